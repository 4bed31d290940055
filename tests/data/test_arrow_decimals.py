"""Arrow decimal columns read as float64: the cast itself, a Parquet file read whole (``read_table``), the streamed
``ParquetSource`` and ``TableEncoder`` given an Arrow table."""

from __future__ import annotations

import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource, TablePreprocessor, decimals_as_float, read_table


@st.composite
def _column(draw: st.DrawFn) -> tuple[pa.DataType, list[Decimal | None]]:
    """A decimal type of any width (128 or 256 bits) and values that fit it (made from text: exact, where arithmetic
    rounds to 28 digits), None among them."""
    precision = draw(st.integers(1, 76))
    scale = draw(st.integers(0, precision))
    kind = pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    digits = st.integers(-(10**precision - 1), 10**precision - 1)
    values = draw(st.lists(st.one_of(st.none(), digits.map(lambda i: Decimal(f"{i}E-{scale}"))), min_size=1, max_size=8))
    return kind, values


@settings(max_examples=80, deadline=None)
@given(_column())
def test_a_decimal_column_is_the_correctly_rounded_float_of_each_value(column) -> None:
    # the float a CSV file's same text reads as, and what TablePreprocessor gives a Decimal cell; Arrow's own
    # decimal-to-double cast is one unit in the last place off for about one value in ten (355.7041204026)
    kind, values = column
    table = pa.table({"d": pa.array(values, kind), "s": pa.array(["x"] * len(values))})
    got = decimals_as_float(table)
    assert got.schema.field("d").type == pa.float64() and got.column("s").equals(table.column("s"))
    assert got.column("d").to_pylist() == [None if v is None else float(v) for v in values]
    batch = decimals_as_float(table.to_batches()[0])
    assert batch.column(0).to_pylist() == got.column("d").to_pylist()


def _decimal_file(path, n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Parquet file of a decimal128 and a decimal256 feature, a text one and a decimal target (a database's table),
    and the same table as floats, as its CSV export reads."""
    rng = np.random.default_rng(0)
    cents = rng.integers(-10**6, 10**6, n)
    amount = [None if i % 7 == 3 else Decimal(int(c)).scaleb(-2) for i, c in enumerate(cents)]
    rate = [Decimal(int(c)).scaleb(-6) for c in rng.integers(0, 10**6, n)]
    y = [Decimal(int(c)).scaleb(-1) for c in rng.integers(0, 1000, n)]
    table = pa.table({"amount": pa.array(amount, pa.decimal128(12, 2)), "rate": pa.array(rate, pa.decimal256(40, 6)),
                      "city": pa.array(rng.choice(["a", "b", "c"], n)), "y": pa.array(y, pa.decimal128(5, 1))})
    pq.write_table(table, path, row_group_size=n // 2)
    floats = pd.DataFrame({"amount": [np.nan if v is None else float(v) for v in amount], "rate": [float(v) for v in rate],
                           "city": table.column("city").to_pylist(), "y": [float(v) for v in y]})
    return table.to_pandas(), floats


def test_read_table_reads_a_parquet_decimal_column_as_floats(tmp_path) -> None:
    # before: object columns of Decimal, which the target's task took for text (a classification of 60 "classes")
    frame, floats = _decimal_file(tmp_path / "t.parquet")
    got = read_table(tmp_path / "t.parquet").frame
    assert got.dtypes.tolist()[:2] == [np.float64, np.float64] and got["y"].dtype == np.float64
    pd.testing.assert_frame_equal(got, floats, check_dtype=False)
    assert hl.data.infer_task(got["y"]) == "regression"
    without = tmp_path / "plain.parquet"
    floats.to_parquet(without)  # no decimal column: pandas' own reader, as before
    pd.testing.assert_frame_equal(read_table(without).frame, pd.read_parquet(without))


def test_a_streamed_parquet_source_reads_decimal_columns_as_numbers(tmp_path) -> None:
    # before: 'amount' and 'rate' categorical (a column per distinct amount), the target a classification
    (tmp_path / "dec").mkdir()
    (tmp_path / "flo").mkdir()
    _, floats = _decimal_file(tmp_path / "dec" / "t.parquet")
    floats.to_parquet(tmp_path / "flo" / "t.parquet", row_group_size=30)
    dec, flo = ParquetSource(str(tmp_path / "dec"), target="y"), ParquetSource(str(tmp_path / "flo"), target="y")
    assert dec.scan().inferred_task() == "regression"
    assert dec.scan().preprocessor.to_dict() == flo.scan().preprocessor.to_dict()
    assert [c["kind"] for c in dec.scan().preprocessor.columns] == ["numeric", "numeric", "categorical"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(dec)
        b = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(flo)
    assert a.preprocessing_ == b.preprocessing_
    assert np.array_equal(a.predict(floats), b.predict(floats))


def test_table_encoder_reads_an_arrow_decimal_column_as_numbers() -> None:
    table = pa.table({"amount": pa.array([Decimal("1.25"), None, Decimal("3.50"), Decimal("-2")], pa.decimal128(6, 2)),
                      "city": ["a", "b", "a", "b"]})
    floats = pd.DataFrame({"amount": [1.25, np.nan, 3.5, -2.0], "city": ["a", "b", "a", "b"]})
    got = hl.TableEncoder().fit(table)
    assert np.array_equal(got.transform(table), hl.TableEncoder().fit(floats).transform(floats))
    assert TablePreprocessor().fit(floats).output_names == list(got.get_feature_names_out())


def test_table_encoder_reads_arrow_decimals_as_the_float_of_each_value() -> None:
    # float(Decimal) either way: an Arrow table (by the Arrow cast) and a DataFrame of Decimals
    # (pd.read_sql's NUMERIC) give the same matrix as the floats, to the bit, for values Arrow's direct cast misses by an ulp
    values = [Decimal("355.7041204026"), Decimal("-0.1000000001"), None, Decimal("12345678.9012345678")]
    floats = pd.DataFrame({"amount": [np.nan if v is None else float(v) for v in values], "city": ["a", "b", "a", "b"]})
    want = hl.TableEncoder().fit(floats).transform(floats)
    for kind in (pa.decimal128(20, 10), pa.decimal256(40, 10)):
        table = pa.table({"amount": pa.array(values, kind), "city": ["a", "b", "a", "b"]})
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numbers: no note, no column warning
            got = hl.TableEncoder().fit(table)
            assert np.array_equal(got.transform(table), want)
            assert np.array_equal(got.transform(table.to_batches()[0]), want)  # a RecordBatch too
        assert np.array_equal(hl.TableEncoder().fit(table.to_pandas()).transform(table.to_pandas()), want)
