"""ParquetSource.batches and a source without a target (target=None: read for prediction, never scanned)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiddenlayers.data import ParquetSource, stream_file_columns
from hiddenlayers.exceptions import DataError


def _folder(tmp_path, kind: str):
    frames = [pd.DataFrame({"a": np.arange(50.0) + 100 * i, "id": np.arange(50) + 100 * i, **({"extra": 1.0} if i else {})}) for i in range(2)]
    for i, f in enumerate(frames):
        f.to_parquet(tmp_path / f"p{i}.parquet", row_group_size=20) if kind == "parquet" else f.to_csv(tmp_path / f"p{i}.csv", index=False)
    return frames


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_batches_come_in_file_order_with_their_first_row_and_no_target(tmp_path, kind):
    _folder(tmp_path, kind)
    src = ParquetSource(str(tmp_path), target=None, features=["id", "a"], read_rows=15)
    got = list(src.batches())
    assert all(len(f) <= 15 for _, _, f in got)
    assert pd.concat([f for _, _, f in got], ignore_index=True)["id"].tolist() == list(range(50)) + list(range(100, 150))
    for file, at, frame in got:  # each batch's first row is its row in the file
        assert frame["id"].iloc[0] == at + (100 if file.endswith(f"p1.{'parquet' if kind == 'parquet' else 'csv'}") else 0)
        assert list(frame.columns) == ["id", "a"]
    file, at, _ = got[-1]
    assert src.locate(file, at).startswith(f"'{file}' ")
    with pytest.raises(ValueError, match="has no target"):
        src.scan()
    assert list(stream_file_columns(str(tmp_path)).values()) == [["a", "id"], ["a", "id", "extra"]]


def test_a_source_without_a_target_needs_its_columns_in_every_file(tmp_path):
    _folder(tmp_path, "parquet")
    with pytest.raises(DataError, match=r"p0.parquet' lacks column 'extra'|feature column\(s\) \['extra'\] are not in"):
        ParquetSource(str(tmp_path), target=None, features=["extra"])
    with pytest.raises(ValueError, match="needs features="):
        ParquetSource(str(tmp_path), target=None)


def _retained_by_scan(folder, **kwargs) -> tuple[int, ParquetSource]:
    """Bytes the scan keeps (tracemalloc: numpy's buffers too) once its pass is over."""
    import tracemalloc

    src = ParquetSource(str(folder), target="y", **kwargs)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    src.scan()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return kept, src


def test_a_pass_without_data_checks_keeps_none_of_their_row_bookkeeping(tmp_path):
    """train DIR --no-check: the statistics pass keeps no row hashes (16 bytes a row) nor leakage values."""
    rng = np.random.default_rng(0)
    rows = 60_000
    frame = pd.DataFrame(rng.normal(size=(rows, 8)), columns=[f"x{j}" for j in range(8)])
    frame["y"] = rng.integers(0, 2, rows)
    frame.to_parquet(tmp_path / "a.parquet", row_group_size=20_000)
    with_checks, _ = _retained_by_scan(tmp_path)
    without, src = _retained_by_scan(tmp_path, data_checks=False)
    assert with_checks > rows * 16  # the row hashes and leakage values (2.2 MB when written): the test can fail
    assert without < with_checks / 5, (without, with_checks)
    scan = src.scan()
    assert scan.n_rows == rows and scan.class_counts() == {0: int((frame["y"] == 0).sum()), 1: int((frame["y"] == 1).sum())}
    with pytest.raises(ValueError, match="data_checks=False"):
        src.check()


def test_a_pass_without_data_checks_still_refuses_what_training_refuses(tmp_path):
    pd.DataFrame({"a": [1.0, np.inf, 3.0], "y": [0, 1, 0]}).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(DataError, match="infinite"):
        ParquetSource(str(tmp_path), target="y", data_checks=False).scan()
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0, None, 0]}).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(DataError, match="missing values"):
        ParquetSource(str(tmp_path), target="y", data_checks=False).scan()


def test_a_csv_file_comes_in_batches_of_exactly_read_rows_not_pyarrow_blocks(tmp_path):
    """A CSV's record batches were pyarrow's 1 MB blocks cut at read_rows (4,292, 4,286, ... rows for a wide table), a
    count that varies; a float32 matrix product of a batch that starts off BLAS's kernel blocks rounds a few rows' sums
    otherwise, and `predict big.csv` gave 12 of 100,000 probabilities one float32 digit off the file read whole. Every
    batch now holds read_rows rows but the last, in order, each named from its first row."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(12_000, 8)), columns=[f"x{i}" for i in range(8)])
    frame.insert(0, "id", np.arange(len(frame)))
    frame["n"] = pd.array(np.arange(len(frame)), dtype="Int64")
    frame.loc[11_500, "n"] = None  # a missing whole number in the last batch: float64 there alone, as read_table reads each part
    frame["t"] = np.where(frame["id"] % 2, " a", "b")  # `, a` reads as `a` (pandas' skipinitialspace), in every block
    frame.to_csv(tmp_path / "big.csv", index=False)  # ~2 MB: two pyarrow blocks, joined in Arrow into batches
    src = ParquetSource(str(tmp_path / "big.csv"), target=None, features=["id", "x0", "n", "t"], read_rows=1_000)
    got = list(src.batches())
    assert [len(f) for _, _, f in got] == [1_000] * 12
    assert [at for _, at, _ in got] == list(range(0, 12_000, 1_000))
    assert all(f["id"].iloc[0] == at and f.index[0] == 0 for _, at, f in got)
    assert pd.concat([f for _, _, f in got], ignore_index=True)["x0"].equals(frame["x0"])
    assert [str(f["n"].dtype) for _, _, f in got] == ["int64"] * 11 + ["float64"]
    assert all(f["n"].fillna(-1).tolist() == frame["n"].iloc[at:at + 1_000].fillna(-1).tolist() for _, at, f in got)
    assert set(pd.concat([f["t"] for _, _, f in got])) == {"a", "b"}


def test_a_tsv_file_is_read_with_tabs_and_its_lines_named(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\tx,y\n2\t\"q\"\n\n3\tz\n")
    src = ParquetSource(str(path), target=None, features=["a", "b"])
    (_, at, frame), = list(src.batches())
    assert frame["b"].tolist() == ["x,y", "q", "z"] and stream_file_columns(str(path)) == {str(path): ["a", "b"]}
    assert src.locate(str(path), 2) == f"'{path}' line 5"
