"""The weight column of a streamed source (``ParquetSource(weight=)``): read with each batch, checked, never a feature."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import ParquetSource
from hiddenlayers.data._stream_weights import batch_weights
from hiddenlayers.exceptions import DataError


def _frame(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"a": np.arange(n, dtype=float), "w": np.linspace(0.5, 3.0, n), "y": np.arange(n) % 2})


def test_the_weight_column_is_read_with_each_chunk_and_is_no_feature(tmp_path) -> None:
    df = _frame()
    df.to_parquet(tmp_path / "t.parquet", row_group_size=4, index=False)
    src = ParquetSource(str(tmp_path), target="y", weight="w")
    assert src.features == ["a"] and "weight='w'" in repr(src)
    assert src.scan().units_weight == pytest.approx([df["w"][:4].sum(), df["w"][4:].sum()])
    X, y, w = next(src.weighted_chunks([0, 1], rows=100))
    assert X.shape == (6, 1)
    np.testing.assert_array_equal(w, df["w"].to_numpy())
    assert all(len(c) == 2 for c in src.chunks([0, 1], rows=3))  # (X, y) as before
    unweighted = ParquetSource(str(tmp_path), target="y")
    assert unweighted.features == ["a", "w"] and next(unweighted.weighted_chunks([0], rows=10))[2] is None
    assert unweighted.scan().units_weight is None
    report = src.check()  # the data check never sees the weight column
    assert all("'w'" not in f.message for f in report.findings)


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "holds -1 .*must be >= 0"), ("", "has no value on"), ("heavy", "must hold numbers but holds 'heavy'"), ("inf", "holds inf")],
)
def test_a_bad_weight_in_a_csv_is_named_by_file_and_line(tmp_path, value: str, message: str) -> None:
    # the first file (whose types the others read into): a blank line before the bad row, which is line 4
    (tmp_path / "p1.csv").write_text(f"a,w,y\n1,1,0\n\n2,{value},1\n3,1,0\n")
    (tmp_path / "p2.csv").write_text("a,w,y\n1,1,0\n2,2,1\n")
    with pytest.raises(DataError, match=message) as e:
        ParquetSource(str(tmp_path), target="y", weight="w").scan()
    assert re.search(r"'[^']*p1\.csv' line 4(; | \()1 (negative )?row in this batch\)", str(e.value))  # the data check's words, counted per batch


def test_a_bad_weight_in_parquet_is_named_by_file_and_row_and_all_zero_is_refused_after_the_pass(tmp_path) -> None:
    df = _frame(8)
    df.loc[5, "w"] = -2.0
    df.to_parquet(tmp_path / "t.parquet", row_group_size=4, index=False)
    with pytest.raises(DataError, match=r"holds -2 \('.*t\.parquet' row 6; 1 negative row in this batch\)"):
        ParquetSource(str(tmp_path), target="y", weight="w").scan()
    df["w"] = 0.0
    df.to_parquet(tmp_path / "t.parquet", row_group_size=4, index=False)
    src = ParquetSource(str(tmp_path), target="y", weight="w")
    with pytest.raises(DataError, match="'w' is 0 on every row"):
        src.scan()
    assert src.check() is not None  # the data check still reports (it trains nothing)


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"weight": "y"}, "is the target column"), ({"weight": "q"}, "no weight column 'q'.*choose one of a, w, y"),
     ({"weight": "w", "features": ["a", "w"]}, "also listed in features")],
)
def test_a_weight_column_that_cannot_be_one_is_refused_when_the_source_is_made(tmp_path, kw, message) -> None:
    _frame().to_parquet(tmp_path / "t.parquet", index=False)
    with pytest.raises(DataError, match=message):
        ParquetSource(str(tmp_path), target="y", **kw)


def test_every_file_needs_the_weight_column(tmp_path) -> None:
    _frame().to_parquet(tmp_path / "a.parquet", index=False)
    _frame().drop(columns="w").assign(w2=1.0).to_parquet(tmp_path / "b.parquet", index=False)
    with pytest.raises(DataError, match=r"'.*b\.parquet' has no column 'w' \(the weights"):
        ParquetSource(str(tmp_path), target="y", weight="w", features=["a"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.text(max_size=3)), min_size=1, max_size=20),
       st.integers(0, 50))
def test_batch_weights_keeps_what_fit_keeps_and_names_the_first_bad_row(values: list, at: int) -> None:
    series = pd.Series(values, dtype=object)
    num = pd.to_numeric(series.map(lambda v: float(v) if isinstance(v, bool) else v), errors="coerce")
    good = bool(num.notna().all()) and bool(np.isfinite(num.to_numpy(dtype=float)).all()) and bool((num >= 0).all())
    try:
        w = batch_weights(series, "w", "f.csv", at, lambda f, r: f"'{f}' row {r}")
    except DataError as e:
        assert not good
        assert "the weight column 'w'" in str(e) and "'f.csv' row " in str(e)
        row = int(str(e).split("'f.csv' row ")[1].split(";")[0])
        assert at <= row < at + len(values)
    else:
        assert good
        np.testing.assert_array_equal(w, num.to_numpy(dtype=np.float64))
