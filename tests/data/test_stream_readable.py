"""refuse_unreadable: a streamed table's rows read through another table's preprocessing, the first unreadable row named by file and line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiddenlayers import DataError
from hiddenlayers.data import ParquetSource, refuse_unreadable


def test_rows_read_by_the_training_preprocessing_and_the_first_bad_one_named(tmp_path) -> None:
    rng = np.random.default_rng(0)
    train, valid = tmp_path / "train", tmp_path / "valid"
    train.mkdir()
    valid.mkdir()
    pd.DataFrame({"x": rng.normal(size=40), "k": rng.choice(["a", "b"], 40), "y": rng.normal(size=40)}).to_csv(train / "t.csv", index=False)
    good = pd.DataFrame({"x": rng.normal(size=10), "k": ["a"] * 10, "y": rng.normal(size=10)})
    good.to_csv(valid / "v1.csv", index=False)
    pre = ParquetSource(str(train), target="y").scan().preprocessor
    refuse_unreadable(ParquetSource(str(valid), target="y"), pre)  # readable: nothing raised
    (tmp_path / "text").mkdir()  # x numeric in training, text here: this source's own pass reads it as a category
    good.assign(x=["low"] * 3 + ["high"] * 7).to_parquet(tmp_path / "text" / "v.parquet", row_group_size=4)
    with pytest.raises(DataError) as err:
        refuse_unreadable(ParquetSource(str(tmp_path / "text"), target="y"), pre)
    assert str(err.value) == f"column 'x' must be numeric but '{tmp_path / 'text' / 'v.parquet'}' row 1 holds 'low': fix the value or leave it empty."


def test_a_source_not_yet_scanned_is_checked_inside_its_own_pass(tmp_path, monkeypatch) -> None:
    """One read of each unit serves the source's statistics pass and the check (they were two reads); a second check
    through the same preprocessing reads nothing."""
    rng = np.random.default_rng(1)
    for name in ("train", "valid"):
        (tmp_path / name).mkdir()
        frame = pd.DataFrame({"x": rng.normal(size=30), "k": rng.choice(["a", "b"], 30), "y": rng.normal(size=30)})
        frame.to_parquet(tmp_path / name / "t.parquet", row_group_size=10)
    pre = ParquetSource(str(tmp_path / "train"), target="y").scan().preprocessor
    reads: list[int] = []
    real = ParquetSource.read_unit
    monkeypatch.setattr(ParquetSource, "read_unit", lambda src, i: reads.append(i) or real(src, i))
    valid = ParquetSource(str(tmp_path / "valid"), target="y")
    refuse_unreadable(valid, pre)
    assert valid.scan().n_rows == 30 and reads == [0, 1, 2]  # the pass ran inside the check, and is cached
    refuse_unreadable(valid, pre)
    assert reads == [0, 1, 2]
