"""The rules every reader of the stored preprocessing shares (data/_cells.py): column names, refused dtypes, category text."""

from __future__ import annotations

import tempfile
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hiddenlayers.data import TablePreprocessor, category_lookup, category_text, is_missing, load_table
from hiddenlayers.exceptions import DataError

N = 8


def _frame(col: object) -> pd.DataFrame:
    return pd.DataFrame({"c": col, "x": np.arange(N, dtype=float)})


@pytest.mark.parametrize(("col", "what", "fix"), [
    (pd.date_range("2020-01-01", periods=N), "dates and times (datetime64[", "df[c].dt.dayofweek"),
    (pd.date_range("2020-01-01", periods=N, tz="Europe/Paris"), "dates and times (datetime64[", "days since a start date"),
    (pd.to_timedelta(np.arange(N), unit="h"), "durations (timedelta64[", "total_seconds()"),
    (pd.period_range("2020-01", periods=N, freq="M"), "periods (period[M])", "df[c].dt.month"),
    (pd.Categorical(pd.date_range("2020-01-01", periods=N)), "dates and times (category)", "days since"),
    (pd.interval_range(0, N), "intervals (interval[", "real numbers"),
    (np.arange(N) + 1j, "complex numbers (complex128)", "real numbers"),
])
def test_dates_durations_and_complex_columns_are_refused_by_name(col: object, what: str, fix: str) -> None:
    # before: dates were one-hot encoded as text (Parquet's '2020-01-01 00:00:00' never matches CSV's '2020-01-01'), complex lost its imaginary part
    with pytest.raises(DataError, match=r"^column 'c' holds ") as e:
        TablePreprocessor().fit(_frame(col))
    assert what in str(e.value) and fix in str(e.value) and "--features" in str(e.value)
    with pytest.raises(DataError, match=r"^column 'c' holds "):
        TablePreprocessor().partial_fit(_frame(col))


def test_dates_given_for_a_column_learned_as_text_ask_for_that_text() -> None:
    text = pd.Series(pd.date_range("2021-01-01", periods=N)).astype(str)  # a CSV's date column
    pre = TablePreprocessor().fit(_frame(text))
    with pytest.raises(DataError, match=r"^column 'c' holds dates and times \(datetime64\[.*\]\), but the model learned it as text such as '2021-01-01': give"):
        pre.transform(_frame(pd.date_range("2021-01-01", periods=N)))
    assert pre.transform(_frame(text)).matrix[:, :N].trace() == N  # the same dates as text: each its own category


@pytest.mark.parametrize(("columns", "message"), [
    (["a", "a"], "the table has the column 'a' twice"),
    ([1, "1"], "the table has the column '1' twice"),
    (pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]), "the table has a header of 2 levels (a MultiIndex)"),
])
def test_duplicate_and_multiindex_headers_are_one_line(columns: object, message: str) -> None:
    # before: AttributeError ('DataFrame' object has no attribute 'str'), TypeError, KeyError
    frame = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=columns)
    with pytest.raises(DataError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        TablePreprocessor().fit(frame)
    good = TablePreprocessor().fit(pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "1"]))
    with pytest.raises(DataError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        good.transform(frame)


def test_integer_column_names_are_read_as_text() -> None:
    frame = pd.DataFrame([[1.0, 2.0], [3.0, 5.0]])
    pre = TablePreprocessor().fit(frame)
    assert pre.feature_names == ["0", "1"]
    assert np.array_equal(pre.transform(frame[[1, 0]]).matrix, pre.transform(frame.rename(columns=str)).matrix)


def test_whole_numbers_in_a_text_column_match_when_read_as_floats() -> None:
    # a CSV column of codes and text trains as categories; a later file whose column holds only numbers and
    # a blank is read as floats (2.0): before, '2.0' was an unseen category and the row silently lost its code
    train = _frame(pd.Series(["1", "2", "x", "1", "2", "x", "1", "2"]))
    pre = TablePreprocessor().fit(train)
    later = _frame(pd.Series([1.0, 2.0, np.nan, 1.0, 2.0, 1.0, 1.0, 2.0]))
    res = pre.transform(later)
    assert res.unseen == {}
    expected = pre.transform(_frame(pd.Series(["1", "2", None, "1", "2", "1", "1", "2"], dtype=object))).matrix
    assert np.array_equal(res.matrix, expected)
    nullable = _frame(pd.array([1, 2, None, 1, 2, 1, 1, 2], dtype="Int64"))
    assert np.array_equal(pre.transform(nullable).matrix, expected)


def test_categories_stored_as_whole_float_text_by_older_versions_still_match() -> None:
    pre = TablePreprocessor().fit(_frame(pd.Series(["a", "b"] * 4)))
    state = pre.to_dict()
    state["columns"][0]["categories"] = ["1.0", "2.0"]  # what str(2.0) stored before
    old = TablePreprocessor.from_dict(state)
    res = old.transform(_frame(pd.Series([1.0, 2.0] * 4)))
    assert res.unseen == {} and res.matrix[:, :2].sum() == N
    assert category_lookup(["1.0", "1", "-3.0", "007"]) == {"1.0": 0, "1": 1, "-3.0": 2, "007": 3, "-3": 2}


@given(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))
def test_a_whole_float_is_written_as_its_integer(v: int) -> None:
    assert category_text(float(v)) == category_text(v) == str(v)
    assert category_text(np.float64(v)) == str(v)


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f) or abs(f) >= 2**53))
def test_other_floats_keep_their_text(v: float) -> None:
    assert category_text(v) == str(v)


_PLACES = st.integers(0, 4)  # trailing zeros: NUMERIC(10, 2) gives Decimal("2.00") where the CSV gave 2


@given(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), _PLACES)
def test_a_whole_decimal_is_its_integers_category(v: int, places: int) -> None:
    # before: Decimal("2.00") was the category "2.00", which a column read as 2 or 2.0 never stored
    d = Decimal(v).quantize(Decimal(1).scaleb(-places))
    assert category_text(d) == category_text(v) == category_text(float(v)) == str(v)
    assert category_text(Decimal(v).scaleb(2).scaleb(-2)) == str(v)  # "1E+2"-style exponents too


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15).filter(lambda f: f != int(f)), _PLACES)
def test_a_fractional_decimal_is_its_floats_category(v: float, places: int) -> None:
    d = Decimal(repr(v) + "0" * places if "e" not in repr(v) else repr(v))  # the float's text, as a database or JSON reader gives it
    assert category_text(d) == category_text(v) == str(v)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.25, 2.0])), min_size=1, max_size=8), _PLACES)
def test_decimal_cells_encode_as_the_numbers_a_model_was_fitted_on(values: list, places: int) -> None:
    fit_on = pd.DataFrame({"c": pd.Series([*values, "a"], dtype=object)})
    pre = TablePreprocessor().fit(fit_on)
    as_decimals = [Decimal(repr(v)).quantize(Decimal(1).scaleb(-places)) if float(v) * 10**places == int(float(v) * 10**places)
                   else Decimal(repr(v)) for v in values]
    got = pre.transform(pd.DataFrame({"c": pd.Series([*as_decimals, "a"], dtype=object)}))
    assert np.array_equal(got.matrix, pre.transform(fit_on).matrix) and not got.unseen


def test_decimal_nans_are_missing_and_other_decimals_keep_a_text() -> None:
    assert is_missing(Decimal("NaN")) and is_missing(Decimal("sNaN"))  # sNaN made pd.isna raise
    assert category_text(Decimal("1E+5000")) == "1E+5000" and category_text(Decimal("1E-400")) == "1E-400"  # no int text, no float 0


def test_messy_dtypes_fit_and_missing_values_are_missing() -> None:
    frame = pd.DataFrame({
        "s": pd.Series(["a", "b", None, "a"] * 2, dtype="string[pyarrow]"),
        "cat": pd.Categorical(["lo", "hi", None, "lo"] * 2, categories=["lo", "hi"], ordered=True),
        "i": pd.array([1, None, 3, 4] * 2, dtype="Int64"),
        "f": pd.array([1.5, None, 3.0, 4.0] * 2, dtype="Float64"),
        "b": pd.array([True, None, False, True] * 2, dtype="boolean"),
        "flag": [True, False] * 4,
    })
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pre = TablePreprocessor().fit(frame)
    assert pre.output_names == ["s=a", "s=b", "s=<missing>", "cat=lo", "cat=hi", "cat=<missing>", "i", "i=<missing>",
                                "f", "f=<missing>", "b=True", "b=False", "b=<missing>", "flag=False", "flag=True"]
    m = pre.transform(frame).matrix
    assert np.isfinite(m).all()
    # the same row as plain Python values (what a CSV or a JSON request gives) encodes the same
    plain = frame.astype(object).where(frame.notna(), None)
    assert np.array_equal(pre.transform(plain).matrix, m)
    # a category unseen in training goes to no column (no <other> bucket: fewer than max_categories)
    new = frame.assign(cat=pd.Categorical(["mid"] * N))
    assert pre.transform(new).unseen == {"cat": N}


@st.composite
def _messy_frames(draw: st.DrawFn) -> pd.DataFrame:
    """2-8 rows of nullable floats and integers, text (some of it numbers) and booleans, each column with a value."""
    n = draw(st.integers(2, 8))

    def cells(values: st.SearchStrategy) -> list:
        return draw(st.lists(st.one_of(st.none(), values), min_size=n, max_size=n))

    frame = pd.DataFrame({
        "f": pd.array(cells(st.floats(-1e6, 1e6).map(lambda v: round(v, 3))), dtype="Float64"),
        "i": pd.array(cells(st.integers(-1000, 1000)), dtype="Int64"),
        "t": pd.Series(cells(st.sampled_from(["a", "b", "c d", "1", "2", "x-1"])), dtype="str"),
        "b": pd.array(cells(st.booleans()), dtype="boolean"),
    })
    for name, value in {"f": 1.0, "i": 1, "t": "a", "b": True}.items():
        if frame[name].isna().all():
            frame.loc[0, name] = value
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_messy_frames())
def test_a_dataframe_its_csv_and_its_parquet_encode_alike(frame: pd.DataFrame) -> None:
    # whichever of the three the preprocessing learns from, the other two give the same matrix
    # (before: a text column holding only "1" and a blank came back from CSV as floats, 1.0, an unseen category)
    with tempfile.TemporaryDirectory() as d:
        frame.to_csv(Path(d) / "t.csv", index=False)
        frame.to_parquet(Path(d) / "t.parquet")
        tables = [frame, load_table(Path(d) / "t.csv"), load_table(Path(d) / "t.parquet")]
    for fit_on in tables:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pre = TablePreprocessor().fit(fit_on)
        first, *others = (pre.transform(t).matrix for t in tables)
        for m in others:
            assert np.allclose(first, m)


def _texts_one_by_one(cells: list) -> list | str:
    """category_texts' rule cell by cell, as it was written before the column-at-a-time path: the texts, or the error."""
    out = []
    for i, v in enumerate(cells):
        if is_missing(v):
            out.append(None)
        elif (isinstance(v, (float, np.floating)) and np.isinf(v)) or (isinstance(v, Decimal) and v.is_infinite()):
            return f"DataError: column 'c' is categorical, but line {i + 2} holds the infinite number {v}: "
        else:
            try:
                out.append(category_text(v))
            except Exception as e:  # noqa: BLE001 - the same failure is expected of the fast path
                return f"{type(e).__name__}: {e}"
    return out


_SPECIAL = [0.0, -0.0, 1e16, -1e16, 2.0**53, 2.0**53 - 1, 1e-300, 5e-324, float("inf"), float("-inf"), float("nan"), True, False,
            np.True_, np.float64(2.0), np.float64("inf"), np.float32(0.5), np.int64(7), None, pd.NA, pd.NaT, "", " 1 ", "2.0",
            "inf", Decimal("2.50"), Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-1E+3"), Decimal("1E+5000"),
            Decimal("-0E+5000"), Decimal("-0"), Decimal("2.0"), Decimal("1E-400"),
            pd.Timestamp("2021-01-01"), np.datetime64("NaT"), 10**5000, [1], (2,)]
_CELLS = st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=3), st.none(), st.sampled_from(_SPECIAL),
                   st.decimals(allow_nan=True, allow_infinity=True, places=2), st.datetimes())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_CELLS, max_size=12))
@example([Decimal("-0"), Decimal("-0E+5000"), "a", 2.0, Decimal("2.0"), np.float64(3.0), pd.NA, True, 10**20, 1e16])
@example([1, "x", None, float("-inf"), Decimal("Infinity")])
@example([Decimal("-Infinity"), np.float64(1.0), float("inf")])
def test_category_texts_by_column_equal_the_rule_cell_by_cell(cells: list) -> None:
    # category_texts reads str/float/int/bool/None cells a column at a time: every text, every missing cell and the
    # first infinite number's error (its row, its spelling) must be those of the rule applied cell by cell
    from hiddenlayers.data import category_texts

    expected = _texts_one_by_one(cells)
    column = np.empty(len(cells), dtype=object)
    for i, v in enumerate(cells):
        column[i] = v  # one by one: a list cell stays a cell
    for given_as in (column, iter(cells)):
        try:
            got: list | str = category_texts("c", given_as, lambda r: f"line {r + 2}")
        except Exception as e:  # noqa: BLE001
            got = f"{type(e).__name__}: {e}"
            if isinstance(e, DataError):
                assert str(e).endswith("replace it with text or a finite number, or leave the cell empty.")
                got = got[: got.index(": replace") + 2]
        assert got == expected
        if isinstance(got, list):
            assert [type(t) for t in got] == [type(t) for t in expected]
