"""``hiddenlayers train DATA --app sequence``: a SequenceClassifier from a long table (one row per time step), read back by predict and evaluate.

The digits images are 8 time steps (rows) of 8 pixels, written as a long table with the rows shuffled; the
trained file must score well held out, and ``predict``/``evaluate`` read a new table by the columns the file
stores. Every bad table is one ``error:`` line, exit 2, nothing written.
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


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


def digits_long(n: int, start: int = 0) -> pd.DataFrame:
    """Digits ``start`` to ``start + n`` as a long table: ID, step T, pixels f0..f7 of that image row, the label on every row; shuffled."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    images = X[start: start + n].reshape(n, 8, 8)
    frame = pd.DataFrame({"ID": np.repeat(np.arange(start, start + n), 8), "T": np.tile(np.arange(8), n),
                          **{f"f{j}": images[:, :, j].ravel() for j in range(8)}, "label": np.repeat(y[start: start + n], 8)})
    return frame.sample(frac=1, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    d = tmp_path_factory.mktemp("train_seq")
    digits_long(800).to_csv(d / "steps.csv", index=False)
    digits_long(300, start=1000).to_csv(d / "new.csv", index=False)
    summary = _json(ok("train", d / "steps.csv", "--app", "sequence", "--id-column", "ID", "--order-column", "T", "--target", "label",
                       "--hidden", "gru24", "--epochs", "12", "--lr", "0.01", "--out", d / "seq.safetensors", "--json"))
    return d, summary


def test_sequence_app_learns_digits_rows_and_predict_and_evaluate_read_its_file(trained: tuple[Path, dict[str, Any]]) -> None:
    d, summary = trained
    assert summary["app"] == "SequenceClassifier" and summary["id_column"] == "ID" and summary["order_column"] == "T"
    assert summary["sequences"] == 640 and summary["test_sequences"] == 160 and summary["rows"] == 640 * 8
    assert summary["features"] == [f"f{j}" for j in range(8)]
    assert summary["test_metrics"]["accuracy"] >= 0.85  # chance is 0.1
    assert summary["test_metrics"]["roc_auc"] >= 0.9  # one-vs-rest macro of the held-out sequences' probabilities, as evaluate gives it
    scored = _json(ok("evaluate", d / "seq.safetensors", d / "new.csv", "--json"))  # the label column: the training's
    assert scored["rows"] == scored["sequences"] == 300 and scored["target"] == "label" and scored["metrics"]["accuracy"] >= 0.85
    assert "classification metrics on 300 sequences" in " ".join(ok("evaluate", d / "seq.safetensors", d / "new.csv").stdout.split())  # not 'rows' (2,400)
    got = pd.read_csv(io.StringIO(ok("predict", d / "seq.safetensors", d / "new.csv", "--proba").stdout))
    truth = pd.read_csv(d / "new.csv").groupby("ID")["label"].first()
    assert len(got) == 300 and list(got.columns[:2]) == ["ID", "predicted_label"] and got.shape[1] == 2 + 10
    assert (got["predicted_label"].to_numpy() == truth.loc[got["ID"]].to_numpy()).mean() == scored["metrics"]["accuracy"]
    np.testing.assert_allclose(got.filter(like="proba_").sum(axis=1), 1.0, atol=1e-6)
    unlabelled = d / "unlabelled.csv"
    pd.read_csv(d / "new.csv").drop(columns=["label"]).to_csv(unlabelled, index=False)
    assert len(pd.read_csv(io.StringIO(ok("predict", d / "seq.safetensors", unlabelled).stdout))) == 300


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


GOOD = pd.DataFrame({"ID": [7, 7, 7, 8, 8, 8], "T": [0, 1, 2, 0, 1, 2], "x": [0.0, 1, 2, 3, 4, 5], "label": ["a", "a", "a", "b", "b", "b"]})
TRAIN = ("--app", "sequence", "--id-column", "ID", "--order-column", "T", "--target", "label")


@pytest.mark.parametrize(("change", "options", "message"), [
    (dict(label=["a", "a", "c", "b", "b", "b"]), (), "sequence ID=7 has rows that disagree on the label column 'label': 'a' on line 2, 'c' on line 4"),
    (dict(x=[0.0, 1, np.nan, 3, 4, 5]), (), "feature column 'x' has a missing or infinite value on line 4 (sequence ID=7)"),
    (dict(ID=[7, 7, 7, 8, 8, 9]), (), "sequence ID=9 has one row (line 7)"),
    ({}, ("--features", "y"), "--features 'y' is not a column of the data"),
    ({}, ("--order-column", "t"), "--order-column 't' is not a column of the data; its columns are 'ID', 'T', 'x', 'label'. Did you mean 'T'?"),
    ({}, ("--id-column", "id"), "Did you mean 'ID'?"),
    (dict(T=[0, 1, 1, 0, 1, 2]), (), "sequence ID=7 has two rows at T=1 (line 3 and line 4)"),
    ({}, ("--id-column", "label"), "--id-column, --order-column, --target must name different columns"),
])
def test_bad_long_tables_are_one_line_and_nothing_is_written(tmp_path: Path, change: dict[str, Any], options: tuple[str, ...], message: str) -> None:
    data = _write(tmp_path, GOOD.assign(**change))
    assert_user_error(run("train", data, *TRAIN, *options, "--out", tmp_path / "m.safetensors", "--epochs", "1"), message)
    assert not (tmp_path / "m.safetensors").exists()


def test_missing_options_and_empty_data_are_one_line(tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", _write(tmp_path, GOOD), "--app", "sequence", "--target", "label", "--out", out), "pass --id-column NAME")
    empty = tmp_path / "empty.csv"
    empty.write_text("ID,T,x,label\n")
    result = run("train", empty, *TRAIN, "--out", out)
    assert result.exit_code == 2 and "Traceback" not in result.output and "rows" in result.stderr
    assert_user_error(run("train", _write(tmp_path, GOOD), *TRAIN, "--window", "3", "--out", out), "--window does not apply to train --app sequence")
    assert not out.exists()


def test_predict_refuses_a_table_without_the_stored_columns(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    d, _ = trained
    other = _write(tmp_path, pd.read_csv(d / "new.csv").rename(columns={"ID": "id"}))
    assert_user_error(run("predict", d / "seq.safetensors", other), "the id column 'ID' is not a column of the data")
    assert_user_error(run("evaluate", d / "seq.safetensors", other), "Did you mean 'id'?")
    assert_user_error(run("evaluate", d / "seq.safetensors", d / "new.csv", "--target", "labl"), "the label column 'labl' is not a column of the data")
    out = tmp_path / "p.csv"
    assert_user_error(run("predict", d / "seq.safetensors", other, "--out", out), "the id column 'ID'")
    assert not out.exists()


def test_a_sequence_file_fitted_on_arrays_is_refused_in_one_line(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from hiddenlayers.apps import SequenceClassifier

    rng = np.random.default_rng(0)
    SequenceClassifier("gru4", max_iter=1, random_state=0).fit([rng.normal(size=(4, 8)) for _ in range(6)], [0, 1] * 3).save(tmp_path / "a.safetensors")
    for command in ("predict", "evaluate"):
        assert_user_error(run(command, tmp_path / "a.safetensors", trained[0] / "new.csv"), "fitted on arrays")
    # export reads DATA only for its parity rows and works without it: the refusal says so (it said to use Python or serve)
    onnx = tmp_path / "a.onnx"
    assert_user_error(run("export", tmp_path / "a.safetensors", trained[0] / "new.csv", "--out", onnx),
                      f"which stores no long-table columns to read DATA by: drop DATA (`hiddenlayers export {tmp_path / 'a.safetensors'} --out model.onnx`")
    assert not onnx.exists()
    ok("export", tmp_path / "a.safetensors", "--out", onnx)
    assert onnx.exists()
    # a token-id model exports too (its parity on random id sequences), but has no table either: DATA is refused the same way
    SequenceClassifier("embed4,gru4", max_iter=1, random_state=0).fit([[1, 2, 3], [3, 2, 1]] * 3, [0, 1] * 3).save(tmp_path / "ids.safetensors")
    assert_user_error(run("export", tmp_path / "ids.safetensors", trained[0] / "new.csv", "--out", tmp_path / "ids.onnx"),
                      "fitted on token id arrays (SequenceClassifier.fit), which stores no long-table columns to read DATA by: drop DATA "
                      f"(`hiddenlayers export {tmp_path / 'ids.safetensors'} --out model.onnx` checks parity on random id sequences of the ids seen in fit)")
    assert not (tmp_path / "ids.onnx").exists()


def test_sequences_of_any_length_in_file_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(2, 9, 40)
    frame = pd.DataFrame({"ID": np.repeat([f"s{i}" for i in range(40)], lengths), "x": rng.normal(size=lengths.sum()),
                          "label": np.repeat(np.arange(40) % 2, lengths)})
    data, out = tmp_path / "uneven.csv", tmp_path / "u.safetensors"
    frame.to_csv(data, index=False)
    summary = _json(ok("train", data, "--app", "sequence", "--id-column", "ID", "--target", "label", "--hidden", "gru4", "--epochs", "1",
                       "--test-size", "0", "--out", out, "--json"))
    assert summary["sequences"] == 40 and summary["rows"] == int(lengths.sum()) and summary["order_column"] == "(the file's order)"
    got = pd.read_csv(io.StringIO(ok("predict", out, data).stdout))
    assert got["ID"].tolist() == [f"s{i}" for i in range(40)]
    gap = tmp_path / "gap.csv"
    frame.assign(x=frame["x"].where(frame.index != 5)).to_csv(gap, index=False)
    assert_user_error(run("predict", out, gap), "feature column 'x' has a missing or infinite value on line 7")


def test_init_from_starts_a_sequence_app_from_another_and_freezes_its_first_layer(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """Digits 1000-1299 (a new table) from the fixture's file: the source's spec is the default, its recurrent layer is copied and kept fixed."""
    d, _ = trained
    out = tmp_path / "warm.safetensors"
    summary = _json(ok("train", d / "new.csv", "--app", "sequence", "--id-column", "ID", "--order-column", "T", "--target", "label",
                       "--init-from", d / "seq.safetensors", "--freeze", "1", "--epochs", "4", "--lr", "0.01", "--out", out, "--json"))
    assert summary["hidden_layers"] == "gru24" and summary["init_from"] == str(d / "seq.safetensors")
    assert summary["transferred"] and summary["frozen"] == summary["transferred"][:1]
    assert summary["test_metrics"]["accuracy"] >= 0.85  # 240 training sequences, 4 epochs: the copied layer does the work
    from hiddenlayers.apps import SequenceClassifier

    source, warm = SequenceClassifier.load(d / "seq.safetensors"), SequenceClassifier.load(out)
    frozen = summary["frozen"][0]
    src_state, warm_state = source.network_.state_dict(), warm.network_.state_dict()
    kept = [k for k in warm_state if k.startswith(frozen + ".")]
    assert kept and all(np.array_equal(src_state[k].numpy(), warm_state[k].numpy()) for k in kept)


def test_init_from_a_sequence_app_takes_a_file_of_the_same_app_only(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    d, _ = trained
    out = tmp_path / "warm.safetensors"
    table = tmp_path / "table.safetensors"
    ok("train", d / "new.csv", "--target", "label", "--epochs", "1", "--out", table)
    result = run("train", d / "new.csv", *TRAIN[:7], "label", "--init-from", table, "--out", out)
    assert_user_error(result, f"--init-from '{table}' holds a table model (`hiddenlayers train`); train --app sequence starts from a "
                      "SequenceClassifier file (written by `hiddenlayers train --app sequence` or SequenceClassifier.save): pass one, or drop --init-from.")
    assert not out.exists()
