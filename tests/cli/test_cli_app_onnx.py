"""``predict`` and ``evaluate`` of a Recommender's, Forecaster's and SequenceClassifier's ``.onnx`` export (cli/_apponnx).

They were refused ("... whose input is not a table: run it with onnxruntime directly ... or serve it") although ``serve``
serves those exports. Now the export reads the table its ``.safetensors`` file reads (the same columns, options and
outputs, float32 text), its numbers by the graph: each parity test holds the two within the export's tolerance (1e-4).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run

pytest.importorskip("onnxruntime")
TOL = 1e-4  # export_onnx's parity tolerance


def _table(*args: object) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(ok("predict", *args).stdout))


def _export(model: Any, d: Path, name: str) -> tuple[Path, Path]:
    model.save(d / f"{name}.safetensors")
    ok("export", d / f"{name}.safetensors", "--out", d / f"{name}.onnx")
    return d / f"{name}.safetensors", d / f"{name}.onnx"


def _evaluation(*args: object) -> dict[str, Any]:
    return json.loads(ok("evaluate", *args, "--json").stdout)  # type: ignore[no-any-return]


def _close(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Two evaluate results: the same keys, numbers within the tolerance, the rest equal (the model path aside)."""
    assert a.keys() == b.keys()
    for k in a:
        if k == "model":
            continue
        if isinstance(a[k], dict):
            _close(a[k], b[k])
        elif isinstance(a[k], float):
            assert a[k] == pytest.approx(b[k], rel=TOL, abs=TOL), k
        elif isinstance(a[k], list) and a[k] and isinstance(a[k][0], dict):
            for x, y in zip(a[k], b[k]):
                _close(x, y)
        else:
            assert a[k] == b[k], k


def test_a_recommender_export_predicts_and_evaluates_as_its_file(tmp_path: Path) -> None:
    from hiddenlayers.apps import Recommender

    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"user": rng.integers(0, 20, 200), "movie": rng.choice(list("xyzw"), 200)})
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), clip=(1, 5), max_iter=3, random_state=0, device="cpu").fit(pairs, rng.uniform(1, 5, 200))
    st, ox = _export(rec, tmp_path, "rec")
    new = pd.DataFrame({"id": range(6), "movie": ["x", "q", "y", "z", "w", "x"], "user": [0, 1, 99, 3, 4, 5]})  # columns by name; an unseen item and user
    new.to_csv(tmp_path / "new.csv", index=False)
    a, b = _table(st, tmp_path / "new.csv", "--keep", "id"), _table(ox, tmp_path / "new.csv", "--keep", "id")
    assert list(b.columns) == list(a.columns) == ["id", "predicted_rating"]
    # the cold-start note the file's predict gives (its warning), the export's too: it gave none
    notes = [ok("predict", m, tmp_path / "new.csv").stderr for m in (st, ox)]
    assert notes[0] == notes[1] == ("note: 2 of 6 rows have a user (1) or item (1) not seen in fit: predicted from the global mean plus the known "
                                    "side's bias.\n")
    np.testing.assert_allclose(b["predicted_rating"], a["predicted_rating"], rtol=TOL, atol=TOL)
    text = pd.read_csv(io.StringIO(ok("predict", ox, tmp_path / "new.csv").stdout), dtype=str)["predicted_rating"]
    assert all(str(np.float32(float(t))) == t for t in text)  # float32's shortest text, as the .safetensors file writes it
    new.assign(rating=[3, 4, 2, 5, 1, 3]).to_csv(tmp_path / "rated.csv", index=False)
    _close(_evaluation(st, tmp_path / "rated.csv", "--target", "rating"), _evaluation(ox, tmp_path / "rated.csv", "--target", "rating"))
    assert_user_error(run("predict", ox, tmp_path / "new.csv", "--proba"), "--proba needs a classifier")
    assert_user_error(run("predict", ox, tmp_path / "new.csv", "--steps", "2"), "--steps is for Forecaster files")
    assert_user_error(run("evaluate", ox, tmp_path / "rated.csv", "--target", "rating", "--sample-weight", "id"), "drop --sample-weight")
    (tmp_path / "dir").mkdir()
    new.to_csv(tmp_path / "dir" / "new.csv", index=False)
    for command in ("predict", "evaluate"):  # an application's export reads one file (a table model's streams a folder)
        assert_user_error(run(command, ox, tmp_path / "dir"), "the export of a Recommender reads one data file: pass one file")


def test_a_forecaster_export_forecasts_and_backtests_as_its_file(tmp_path: Path) -> None:
    from hiddenlayers.apps import Forecaster

    series = np.sin(np.arange(120) / 5)
    fc = Forecaster(window=8, horizon=2, hidden_layer_sizes=(8,), target="delta", max_iter=5, early_stopping=False, random_state=0, device="cpu")
    st, ox = _export(fc.fit(series[:100]), tmp_path, "fc")
    pd.DataFrame({"level": series, "other": "x"}).to_csv(tmp_path / "s.csv", index=False)
    a, b = _table(st, tmp_path / "s.csv", "--steps", "5"), _table(ox, tmp_path / "s.csv", "--steps", "5")  # 5 > horizon 2: recursive
    assert list(b.columns) == list(a.columns) == ["step", "forecast_level"]
    np.testing.assert_allclose(b["forecast_level"], a["forecast_level"], rtol=TOL, atol=TOL)
    args = ("--steps", "3", "--folds", "4", "--stride", "2")
    _close(_evaluation(st, tmp_path / "s.csv", *args), _evaluation(ox, tmp_path / "s.csv", *args))
    pd.DataFrame({"level": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "short.csv", index=False)
    r = run("predict", ox, tmp_path / "short.csv")
    assert_user_error(r, "8")  # fewer values than the window: one line naming it
    assert_user_error(run("predict", ox, tmp_path / "s.csv", "--keep", "other"), "--keep is for table models")


def test_a_sequence_export_reads_the_long_table_its_file_read(tmp_path: Path) -> None:
    from hiddenlayers.apps import SequenceClassifier

    rng = np.random.default_rng(0)
    rows = [(f"s{i}", t, *rng.normal(size=2) + (i % 2), "up" if i % 2 else "down") for i in range(16) for t in range(int(rng.integers(4, 9)))]
    long = pd.DataFrame(rows, columns=["sid", "t", "f1", "f2", "label"])
    seq = SequenceClassifier("conv4k3:same,gap,4", max_iter=3, early_stopping=False, random_state=0, device="cpu")
    st, ox = _export(seq.fit_long(long, "label", id_column="sid", order_column="t"), tmp_path, "seq")
    long.sample(frac=1, random_state=0).to_csv(tmp_path / "long.csv", index=False)  # shuffled: the order column puts the steps back
    a, b = _table(st, tmp_path / "long.csv", "--proba"), _table(ox, tmp_path / "long.csv", "--proba")
    assert list(b.columns) == list(a.columns) == ["sid", "predicted_label", "proba_down", "proba_up"]
    assert b["sid"].tolist() == a["sid"].tolist() and b["predicted_label"].tolist() == a["predicted_label"].tolist()
    np.testing.assert_allclose(b[["proba_down", "proba_up"]], a[["proba_down", "proba_up"]], rtol=TOL, atol=TOL)
    _close(_evaluation(st, tmp_path / "long.csv"), _evaluation(ox, tmp_path / "long.csv"))  # the stored label column, no --target
    for path in (st, ox):  # info showed none of the columns the file (and its export) reads a long table by
        assert json.loads(ok("info", path, "--json").stdout)["long_columns"] == {"id_column": "sid", "order_column": "t", "features": ["f1", "f2"],
                                                                               "target": "label"}
        shown = [" ".join(line.replace("│", " ").split()) for line in ok("info", path).stdout.splitlines()]
        assert {"id column sid", "order column t", "feature columns f1, f2", "target label"} <= set(shown), shown
    long.drop(columns=["f2"]).to_csv(tmp_path / "lacks.csv", index=False)
    assert_user_error(run("predict", ox, tmp_path / "lacks.csv"), "the feature column 'f2' is not a column of the data")
    assert not (tmp_path / "out.csv").exists()
    assert_user_error(run("predict", ox, tmp_path / "lacks.csv", "--out", tmp_path / "out.csv"), "'f2'")
    assert not (tmp_path / "out.csv").exists()  # nothing written


def test_an_autoencoder_export_scores_rows_as_its_file(tmp_path: Path) -> None:
    from hiddenlayers.apps import Autoencoder

    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(80, 4)), columns=list("abcd"))
    st, ox = _export(Autoencoder((8,), n_components=2, max_iter=5, random_state=0, device="cpu").fit(table), tmp_path, "auto")
    marked = pd.concat([table.iloc[:20], table.iloc[:6] * 6 + 3], ignore_index=True)[["d", "c", "b", "a"]]  # columns by name, any order
    marked.assign(key=range(26), anomaly=[0] * 20 + [1] * 6).to_csv(tmp_path / "marked.csv", index=False)
    a = _table(st, tmp_path / "marked.csv", "--keep", "key,anomaly")
    b = _table(ox, tmp_path / "marked.csv", "--keep", "key,anomaly")
    assert list(b.columns) == list(a.columns) == ["key", "anomaly", "reconstruction_error", "predicted_anomaly"]
    np.testing.assert_allclose(b["reconstruction_error"], a["reconstruction_error"], rtol=TOL, atol=TOL)
    assert b["predicted_anomaly"].tolist() == a["predicted_anomaly"].tolist() and b["predicted_anomaly"].iloc[20:].tolist() == [-1] * 6
    assert "note: predicted_anomaly is -1 for an anomaly" in ok("predict", ox, tmp_path / "marked.csv").stderr  # the export's too
    _close(_evaluation(st, tmp_path / "marked.csv", "--target", "anomaly"), _evaluation(ox, tmp_path / "marked.csv", "--target", "anomaly"))
    marked.drop(columns=["c"]).to_csv(tmp_path / "lacks.csv", index=False)
    assert_user_error(run("predict", ox, tmp_path / "lacks.csv"), "'c'")
    assert_user_error(run("predict", ox, tmp_path / "marked.csv", "--feature-errors"), "--feature-errors needs the Autoencoder's .safetensors file")
    gap = marked.copy()
    gap.loc[3, "b"] = np.nan
    gap.to_csv(tmp_path / "gap.csv", index=False)
    assert_user_error(run("predict", ox, tmp_path / "gap.csv"), "column 'b' has a missing or infinite value on line 5")
    (tmp_path / "dir").mkdir()
    marked.to_csv(tmp_path / "dir" / "marked.csv", index=False)
    for command in ("predict", "evaluate"):  # "the export of a Autoencoder" before, in evaluate
        assert_user_error(run(command, ox, tmp_path / "dir"), "the export of an Autoencoder reads one data file: pass one file")
    assert_user_error(run("evaluate", ox, tmp_path / "marked.csv", "--sample-weight", "key"), "is the export of an Autoencoder: drop --sample-weight")
    assert_user_error(run("export", st, tmp_path / "marked.csv", "--target", "anomaly", "--out", tmp_path / "x.onnx"),
                      "an Autoencoder's export checks parity on DATA's inputs alone: drop --target")


@pytest.mark.parametrize("input_dtype", ["float32", "uint8"])
def test_an_image_export_reads_pixel_tables_and_arrays_as_its_file(tmp_path: Path, input_dtype: str) -> None:
    from sklearn.datasets import load_digits

    from hiddenlayers import export_onnx
    from hiddenlayers.apps import ImageClassifier

    digits = load_digits()
    pixels = (digits.images[:60] * (255 / 16)).astype(np.uint8)  # 0-255
    clf = ImageClassifier("conv4k3:same,pool2,8", max_iter=2, random_state=0, device="cpu").fit(pixels, digits.target[:60])
    st, ox = tmp_path / "img.safetensors", tmp_path / "img.onnx"
    clf.save(st)
    export_onnx(clf, ox, input_dtype=input_dtype)
    table = pd.DataFrame(pixels.reshape(60, -1), columns=[f"p{i}" for i in range(64)]).assign(label=digits.target[:60], key=range(60))
    table.to_csv(tmp_path / "px.csv", index=False)
    args = ("--image-dtype", "uint8", "--keep", "key,label", "--proba")
    a, b = _table(st, tmp_path / "px.csv", *args), _table(ox, tmp_path / "px.csv", *args)
    assert list(b.columns) == list(a.columns) and list(a.columns[:3]) == ["key", "label", "predicted_label"]
    probas = [c for c in a.columns if c.startswith("proba_")]
    np.testing.assert_allclose(b[probas], a[probas], rtol=TOL, atol=TOL)
    assert (b["predicted_label"] == a["predicted_label"]).mean() >= 0.95  # a tie within 1e-4 may break either way
    np.save(tmp_path / "px.npy", pixels)
    np.testing.assert_allclose(_table(ox, tmp_path / "px.npy", "--proba")[probas], _table(st, tmp_path / "px.npy", "--proba")[probas], rtol=TOL, atol=TOL)
    np.savez(tmp_path / "px.npz", X=pixels, y=digits.target[:60])
    _close(_evaluation(st, tmp_path / "px.npz"), _evaluation(ox, tmp_path / "px.npz"))
    if input_dtype == "uint8":  # float pixels that are no 0-255 whole numbers: one line
        pd.DataFrame(pixels.reshape(60, -1) / 300).to_csv(tmp_path / "frac.csv", index=False)
        assert_user_error(run("predict", ox, tmp_path / "frac.csv"), "this export reads uint8 pixels 0-255")
        # 0-255 pixels without --image-dtype uint8: before, the pixel rule's "or divide them by 255", a fix this export refuses
        for option in ((), ("--image-dtype", "float32")):
            assert_user_error(run("predict", ox, tmp_path / "px.csv", "--keep", "key,label", *option),
                              "this export reads uint8 pixels 0-255 (exported with input_dtype='uint8'): pass whole numbers 0-255 with --image-dtype uint8")
        assert_user_error(run("predict", ox, tmp_path / "px.npy", "--image-dtype", "float32"), "this export reads uint8 pixels 0-255")
