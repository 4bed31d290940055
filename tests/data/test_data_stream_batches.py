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
