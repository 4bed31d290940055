"""``export``, ``predict``, ``evaluate`` and ``info`` of a TextClassifier's ``.onnx`` export (cli/_apponnx, ship/_onnx_text): the texts of
the data's text column are tokenized by the tokenizer the file holds and run by the graph, the output the ``.safetensors`` file's
(labels exactly, probabilities within the export's parity tolerance, 1e-4)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run

pytest.importorskip("onnxruntime")
TOL = 1e-4
TRAIN = ["a fine film", "fine acting, great plot", "what a fine fine film", "a dull mess", "a dull plot!", "boring and dull"] * 4
# held out: unseen words, punctuation and case, a one-word text, one longer than any in fit
HELD = ["a fine mess", "NEVER seen words", "Fine!!!", "dull", "great plot but a dull cast and a boring film, boring", "fine fine"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hiddenlayers.apps import TextClassifier

    d = tmp_path_factory.mktemp("text_cli")
    TextClassifier("embed4,gru4", max_iter=2, early_stopping=False, random_state=0, device="cpu").fit(TRAIN, ["pos"] * 3 * 4 + ["neg"] * 3 * 4) \
        .save(d / "text.safetensors")
    pd.DataFrame({"review": HELD, "stars": [1, 5, 4, 1, 2, 5]}).to_csv(d / "held.csv", index=False)
    pd.DataFrame({"review": HELD, "label": ["neg", "pos", "pos", "neg", "neg", "pos"]}).to_csv(d / "labelled.csv", index=False)
    report = json.loads(ok("export", d / "text.safetensors", d / "held.csv", "--out", d / "text.onnx", "--int8", "--json").stdout)
    assert report["parity_rows"] == len(HELD) and report["max_abs_diff"] < TOL and report["input_dtype"] == "int64"
    assert Path(report["quantized_path"]).name == "text.int8.onnx"
    return d


def _table(*args: object) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(ok("predict", *args).stdout))


def test_predict_of_the_export_equals_the_models_file(files: Path) -> None:
    onnx, own = _table(files / "text.onnx", files / "held.csv", "--proba"), _table(files / "text.safetensors", files / "held.csv", "--proba")
    assert list(onnx.columns) == ["predicted_label", "proba_neg", "proba_pos"] and len(onnx) == len(HELD)
    assert onnx["predicted_label"].tolist() == own["predicted_label"].tolist()
    np.testing.assert_allclose(onnx[["proba_neg", "proba_pos"]].to_numpy(), own[["proba_neg", "proba_pos"]].to_numpy(), atol=TOL)
    kept = _table(files / "text.onnx", files / "held.csv", "--keep", "stars")  # one row per text: --keep works as for the file
    assert kept["stars"].tolist() == [1, 5, 4, 1, 2, 5] and kept["predicted_label"].tolist() == own["predicted_label"].tolist()


def test_evaluate_of_the_export_equals_the_models_file(files: Path) -> None:
    a = json.loads(ok("evaluate", files / "text.onnx", files / "labelled.csv", "--target", "label", "--json").stdout)
    b = json.loads(ok("evaluate", files / "text.safetensors", files / "labelled.csv", "--target", "label", "--json").stdout)
    assert a["rows"] == b["rows"] == len(HELD) and a["metrics"] == b["metrics"]


def test_info_of_the_export_names_its_tokenizer(files: Path) -> None:
    shown = ok("info", files / "text.onnx").stdout
    assert "TextClassifier" in shown and "(batch, steps) int64" in shown
    assert "words, NFKC, lowercased," in shown and "(0 pad, 1 unknown)" in shown and "metadata key 'tokenizer'" in shown
    info = json.loads(ok("info", files / "text.onnx", "--json").stdout)
    assert info["tokenizer"]["mode"] == "word" and info["token_ids"]["pad_id"] == 0


def test_predict_of_the_export_refuses_what_the_file_refuses_in_one_line(files: Path, tmp_path: Path) -> None:
    pd.DataFrame({"review": ["a fine film", None]}).to_csv(tmp_path / "gap.csv", index=False)
    for model in ("text.onnx", "text.safetensors"):
        assert_user_error(run("predict", files / model, tmp_path / "gap.csv"), "text column 'review' has no text on line 3")
    assert_user_error(run("predict", files / "text.onnx", files / "held.csv", "--text-column", "nope"), "nope")


def test_export_reads_the_parity_texts_from_text_column(files: Path, tmp_path: Path) -> None:
    # labelled.csv has two text columns: predict's rule asks for --text-column, which export takes too (it had no such option)
    assert_user_error(run("export", files / "text.safetensors", files / "labelled.csv", "--out", tmp_path / "a.onnx"),
                      "a TextClassifier reads one text column but the data has 2 text columns ('review', 'label'): pass --text-column NAME.")
    report = json.loads(ok("export", files / "text.safetensors", files / "labelled.csv", "--text-column", "review", "--out", tmp_path / "a.onnx",
                           "--json").stdout)
    assert report["parity_rows"] == len(HELD)
    assert_user_error(run("export", files / "text.safetensors", "--text-column", "review", "--out", tmp_path / "b.onnx"),
                      "--text-column names DATA's column of texts: give the data file after the model, or drop --text-column.")
    from hiddenlayers.apps import Autoencoder

    Autoencoder((2,), max_iter=1, random_state=0).fit(np.random.default_rng(0).normal(size=(30, 3))).save(tmp_path / "ae.safetensors")
    pd.DataFrame(np.ones((4, 3)), columns=["x0", "x1", "x2"]).to_csv(tmp_path / "rows.csv", index=False)
    assert_user_error(run("export", tmp_path / "ae.safetensors", tmp_path / "rows.csv", "--text-column", "x0", "--out", tmp_path / "c.onnx"),
                      "--text-column is for TextClassifier files; this model file holds an Autoencoder: drop --text-column.")
    assert not (tmp_path / "b.onnx").exists() and not (tmp_path / "c.onnx").exists()


def test_predict_of_a_token_id_export_without_a_table_form_names_the_python_runner(tmp_path: Path) -> None:
    from hiddenlayers.apps import SequenceClassifier

    ids = [np.arange(t) % 5 for t in range(2, 12)]
    SequenceClassifier("embed4,gru4", max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(ids, [0, 1] * 5).save(tmp_path / "ids.safetensors")
    ok("export", tmp_path / "ids.safetensors", "--out", tmp_path / "ids.onnx")
    pd.DataFrame({"id": [1, 1], "t": [0, 1], "x": [3, 4]}).to_csv(tmp_path / "long.csv", index=False)
    # it said hl.load('ids.onnx'), which reads .safetensors files only
    assert_user_error(run("predict", tmp_path / "ids.onnx", tmp_path / "long.csv"),
                      f"which stores no long-table columns to read a data file by: use hl.ship.TokenOnnx('{tmp_path / 'ids.onnx'}') from Python, "
                      f"or `hiddenlayers serve {tmp_path / 'ids.onnx'}`")
