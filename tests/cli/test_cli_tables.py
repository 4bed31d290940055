"""Messy tables through `train` and `predict`: the same rows as CSV and as Parquet, and dtypes the model cannot read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cli_helpers import assert_user_error, ok, run


def _table(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    f = pd.DataFrame({
        "num": rng.normal(size=n),
        "code": pd.Series(rng.choice(["1", "2", "x"], n)),
        "s": pd.Series(rng.choice(["a", "b", "c"], n), dtype="string[pyarrow]"),
        "i": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 5, n)), dtype="Int64"),
        "b": pd.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), dtype="boolean"),
    })
    f["y"] = np.where(f["num"].to_numpy() + (f["s"] == "a").to_numpy(dtype=float) > 0.3, "yes", "no")
    return f


def test_a_date_column_in_parquet_is_one_line_naming_it(tmp_path: Path) -> None:
    f = _table().assign(when=pd.date_range("2021-01-01", periods=120))
    f.to_parquet(tmp_path / "t.parquet")
    res = run("train", tmp_path / "t.parquet", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2)
    assert_user_error(res, "data check: 1 column(s) hold dates and times, which the model cannot read: when: turn them into numbers")
    res = run("train", tmp_path / "t.parquet", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2, "--no-check")
    assert_user_error(res, "column 'when' holds dates and times (datetime64[")
    assert run("check", tmp_path / "t.parquet", "--target", "y", "--fast").exit_code == 2
    assert not (tmp_path / "m.safetensors").exists()
    # trained on the CSV (dates as text), the Parquet file's dates are asked for as that text, not silently unseen
    f.to_csv(tmp_path / "t.csv", index=False)
    ok("train", tmp_path / "t.csv", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2, "--no-check")
    assert_user_error(run("predict", tmp_path / "m.safetensors", tmp_path / "t.parquet"), "but the model learned it as text such as '2021-")


def test_csv_and_parquet_rows_get_the_same_predictions(tmp_path: Path) -> None:
    f = _table()
    f.to_csv(tmp_path / "t.csv", index=False)
    ok("train", tmp_path / "t.csv", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 5, "--no-check")
    new = f.drop(columns=["y"]).iloc[:, ::-1].assign(extra=1)  # another order, an extra column, no target
    new["code"] = pd.array(np.where(new["code"] == "x", None, new["code"]), dtype=object)
    new["code"] = pd.to_numeric(new["code"])  # codes only: a file of numbers and blanks (floats) once 'x' is gone
    new.to_csv(tmp_path / "new.csv", index=False)
    new.to_parquet(tmp_path / "new.parquet")
    a = ok("predict", tmp_path / "m.safetensors", tmp_path / "new.csv", "--proba").stdout
    b = ok("predict", tmp_path / "m.safetensors", tmp_path / "new.parquet", "--proba").stdout
    assert a == b
    res = ok("predict", tmp_path / "m.safetensors", tmp_path / "new.parquet")
    assert "outside the categories" not in res.stderr  # before: every code read as 1.0/2.0 was an unseen category
    f.drop(columns=["num"]).to_parquet(tmp_path / "missing.parquet")
    assert_user_error(run("predict", tmp_path / "m.safetensors", tmp_path / "missing.parquet"), "the data lacks column(s) 'num'")


def test_a_model_fitted_in_python_on_a_dataframe_predicts_a_parquet_file(tmp_path: Path) -> None:
    # before: scikit-learn's "X does not have valid feature names" warning on stderr for every call, and a missing
    # value an "internal error ValueError: Input X contains NaN ... please report it" (exit 1)
    import warnings

    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.integers(0, 5, 60).astype(float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, X["a"] * 2).save(tmp_path / "m.safetensors")
    X[["b", "a"]].to_parquet(tmp_path / "x.parquet")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = ok("predict", tmp_path / "m.safetensors", tmp_path / "x.parquet")
    assert [str(w.message) for w in seen if "feature names" in str(w.message)] == []
    assert res.stderr == "" and len(res.stdout.splitlines()) == 61
    X.assign(b=pd.array([None, *X["b"].iloc[1:]], dtype="Float64")).to_parquet(tmp_path / "na.parquet")
    assert_user_error(run("predict", tmp_path / "m.safetensors", tmp_path / "na.parquet"),
                      "column 'b' has no value on row 1 (1 row(s) with a missing value), and this model has no stored preprocessing")


def test_a_python_warning_in_a_command_is_one_note_line(tmp_path: Path) -> None:
    """A JSON file keeps the text 'NA' as a category: the preprocessing's UserWarning about it is one note line
    (was Python's 'file:line: UserWarning: ...' text and the source line under it); Python users still get the warning."""
    import os
    import subprocess
    import sys
    import warnings

    import pytest

    from hiddenlayers.data import TablePreprocessor

    f = _table()[["num", "s", "y"]].assign(s=lambda d: d["s"].astype(object).where(d["s"] != "c", "NA"))
    f.to_json(tmp_path / "t.json", orient="records")
    cmd = [sys.executable, "-m", "hiddenlayers", "train", str(tmp_path / "t.json"), "--target", "y", "--out", str(tmp_path / "m.safetensors"),
           "--quiet", "--epochs", "2", "--no-check"]
    import hiddenlayers

    env = {**os.environ, "PYTHONPATH": str(Path(hiddenlayers.__file__).resolve().parents[1])}  # the package this test imported
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    said = [ln for ln in res.stderr.splitlines() if "column 's' has the category 'NA'" in ln]
    assert len(said) == 1 and said[0].startswith("note: column 's' has the category 'NA', which CSV files read as a missing value"), res.stderr
    assert "UserWarning" not in res.stderr and "warnings.warn" not in res.stderr and ".py:" not in res.stderr
    ok("train", tmp_path / "t.json", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2, "--no-check", "--force")
    assert warnings.showwarning is warnings._showwarning_orig  # type: ignore[attr-defined]  # put back after an in-process command
    with pytest.warns(UserWarning, match="column 's' has the category 'NA'"):
        TablePreprocessor().fit(f.drop(columns=["y"]))


def test_an_id_column_and_dates_as_text_are_said_once(tmp_path: Path) -> None:
    """train: the data check's findings name them; the preprocessing's own warning for the same columns is left out.
    With --no-check the preprocessing's warnings are the one note each."""
    f = _table()[["num", "s", "y"]]
    f.insert(0, "user", [f"u{i:04d}" for i in range(len(f))])
    f.insert(1, "day", pd.Series(pd.date_range("2021-01-01", periods=len(f) // 4)).dt.strftime("%Y-%m-%d").repeat(4).to_numpy())
    f.to_csv(tmp_path / "t.csv", index=False)
    res = ok("train", tmp_path / "t.csv", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2)
    assert "warning id_columns: 1 column(s) look like IDs (a different value in every row): user" in res.stderr
    assert "warning date_text_columns: 1 column(s) hold dates as text" in res.stderr
    assert "column 'user'" not in res.stderr and "column 'day'" not in res.stderr, res.stderr
    res = ok("train", tmp_path / "t.csv", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2, "--no-check", "--force")
    notes = [ln for ln in res.stderr.splitlines() if ln.startswith("note: column")]
    assert len(notes) == 2, res.stderr
    assert notes[0].startswith("note: column 'user': every value is distinct (") and "an ID? drop it or pass it as a number" in notes[0]
    assert notes[1].startswith("note: column 'day' holds dates as text (e.g. '2021-01-")


def test_numbers_as_text_in_parquet_are_said_once_and_csv_reads_numbers(tmp_path: Path) -> None:
    """A Parquet string column of numbers trained as categories without a word, where the same values from a CSV
    train as numbers: the data check names it (and its preprocessing note is left out); with --no-check the note says it."""
    f = _table()[["num", "s", "y"]]
    f.insert(0, "price", pd.Series([f"{v:.2f}" for v in np.random.default_rng(1).normal(50, 10, len(f))], dtype="string"))
    f.to_parquet(tmp_path / "t.parquet")
    res = ok("train", tmp_path / "t.parquet", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2)
    assert "warning numeric_text_columns: 1 column(s) hold numbers as text, read as categories" in res.stderr and ": price" in res.stderr
    assert "column 'price'" not in res.stderr, res.stderr
    res = ok("train", tmp_path / "t.parquet", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2, "--no-check", "--force")
    notes = [ln for ln in res.stderr.splitlines() if ln.startswith("note: column")]
    assert len(notes) == 1 and notes[0].startswith("note: column 'price' holds numbers as text (e.g. '"), res.stderr
    assert "pd.to_numeric" in notes[0]
    f.to_csv(tmp_path / "t.csv", index=False)
    res = ok("train", tmp_path / "t.csv", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2, "--force")
    assert "numbers as text" not in res.stderr, res.stderr


def test_a_parquet_file_of_decimals_trains_as_numbers_and_predicts_as_its_csv(tmp_path: Path) -> None:
    # a database's NUMERIC columns written to Parquet (decimal128): before, the feature was one-hot of every distinct
    # amount and the decimal target a classification with a class per value
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    cents = rng.integers(0, 10**5, 80)
    amount = [None if i % 9 == 4 else Decimal(int(c)).scaleb(-2) for i, c in enumerate(cents)]
    y = [Decimal(int(c) % 997).scaleb(-1) for c in cents]
    pq.write_table(pa.table({"amount": pa.array(amount, pa.decimal128(9, 2)), "city": rng.choice(["a", "b"], 80),
                             "y": pa.array(y, pa.decimal128(6, 1))}), tmp_path / "t.parquet")
    ok("train", tmp_path / "t.parquet", "--target", "y", "--out", tmp_path / "m.safetensors", "--quiet", "--epochs", 2)
    meta = hl.load(tmp_path / "m.safetensors").preprocessing_
    assert meta["task"] == "regression" and [c["kind"] for c in meta["columns"]] == ["numeric", "categorical"]
    pd.read_parquet(tmp_path / "t.parquet").to_csv(tmp_path / "t.csv", index=False)  # its CSV export: the same amounts as text
    a = ok("predict", tmp_path / "m.safetensors", tmp_path / "t.csv").stdout
    assert a == ok("predict", tmp_path / "m.safetensors", tmp_path / "t.parquet").stdout


def test_a_model_fitted_on_an_array_says_once_that_it_reads_a_file_by_position(tmp_path: Path) -> None:
    # before: a file whose columns are in another order than the training array's gave other answers with no word
    import warnings

    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 5 iterations
        hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, X[:, 0]).save(tmp_path / "m.safetensors")
    f = pd.DataFrame(X, columns=["d", "b", "a", "c"]).assign(y=X[:, 0])
    f.drop(columns=["y"]).to_csv(tmp_path / "x.csv", index=False)
    f.to_csv(tmp_path / "xy.csv", index=False)
    said = ("note: the model was fitted without column names, so the file's columns are read by position: d, b, a, c "
            "(fit it on a DataFrame to have them matched by name)")
    res = ok("predict", tmp_path / "m.safetensors", tmp_path / "x.csv")
    assert res.stderr.splitlines() == [said] and len(res.stdout.splitlines()) == 41
    assert said in ok("evaluate", tmp_path / "m.safetensors", tmp_path / "xy.csv", "--target", "y").stderr.splitlines()
    hl.export_onnx(hl.load(tmp_path / "m.safetensors"), tmp_path / "m.onnx", X=X)  # its ONNX export reads the file alike
    assert ok("predict", tmp_path / "m.onnx", tmp_path / "x.csv").stderr.splitlines() == [said]
    assert said in ok("evaluate", tmp_path / "m.onnx", tmp_path / "xy.csv", "--target", "y").stderr.splitlines()
    f.drop(columns=["y"]).rename(columns=lambda c: f"x{'dbac'.index(c)}").to_csv(tmp_path / "x0.csv", index=False)
    for model in ("m.safetensors", "m.onnx"):  # columns named x0, x1, ...: scikit-learn's names for the positions, no note
        assert ok("predict", tmp_path / model, tmp_path / "x0.csv").stderr == ""
    # a model fitted on a DataFrame matches by name: no such note
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(f[["a", "b", "c", "d"]], X[:, 0]).save(tmp_path / "n.safetensors")
    assert "without column names" not in ok("predict", tmp_path / "n.safetensors", tmp_path / "x.csv").stderr
