"""Reading tables and bundled datasets (hiddenlayers.data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiddenlayers.data._table import DATASETS, default_target, find_dataset, infer_task, load_table, split_target
from hiddenlayers.exceptions import DataError

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"], "y": [0, 1, 0]})


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl", ".json"])
def test_round_trip_formats(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        FRAME.to_csv(path, index=False)
    elif suffix == ".tsv":
        FRAME.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        FRAME.to_parquet(path)
    else:
        FRAME.to_json(path, orient="records", lines=True)
    got = load_table(path)
    pd.testing.assert_frame_equal(got, FRAME, check_dtype=False)


def test_numpy_files(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "x.npy", X)
    assert list(load_table(tmp_path / "x.npy").columns) == ["x0", "x1", "x2"]
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1, 0, 1]))
    frame = load_table(str(tmp_path / "d.npz"))
    assert default_target(str(tmp_path / "d.npz"), frame) == "target"
    assert frame["target"].tolist() == [0, 1, 0, 1]


def test_npy_object_array_is_refused_without_unpickling(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="cannot read"):
        load_table(tmp_path / "o.npy")


@pytest.mark.parametrize("name", list(DATASETS))
def test_bundled_datasets(name):
    frame = load_table(name)
    X, y = split_target(frame, "target")
    assert len(X) == len(y) > 100
    assert infer_task(y) == DATASETS[name].task


def test_dataset_names_are_forgiving():
    assert find_dataset("Breast-Cancer") is DATASETS["breast_cancer"]
    assert find_dataset("mnist") is None


def test_errors(tmp_path):
    with pytest.raises(DataError, match="neither a file nor a bundled dataset"):
        load_table(tmp_path / "missing.csv")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        load_table(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no data rows"):
        load_table(tmp_path / "h.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        load_table(tmp_path / "t.xlsx")
    with pytest.raises(DataError, match="is a folder"):
        load_table(tmp_path)
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read"):
        load_table(tmp_path / "bad.parquet")


def test_split_target():
    X, y = split_target(FRAME, "y")
    assert list(X.columns) == ["a", "b"]
    X, y = split_target(FRAME, "-1", ["a"])
    assert list(X.columns) == ["a"] and y.name == "y"
    with pytest.raises(DataError, match="unknown target column 'yy'.*Did you mean 'y'"):
        split_target(FRAME, "yy")
    with pytest.raises(DataError, match="no target column given: pass --target"):
        split_target(FRAME, None)
    with pytest.raises(DataError, match="unknown feature column"):
        split_target(FRAME, "y", ["zz"])


def test_missing_targets_are_dropped():
    frame = pd.DataFrame({"a": [1, 2, 3], "y": [1.0, None, 0.0]})
    X, y = split_target(frame, "y")
    assert len(y) == 2


def test_infer_task():
    assert infer_task(pd.Series(["a", "b"])) == "classification"
    assert infer_task(pd.Series([0, 1, 2, 1])) == "classification"
    assert infer_task(pd.Series([0.5, 1.2, 3.3])) == "regression"
    assert infer_task(pd.Series(np.arange(100))) == "regression"
