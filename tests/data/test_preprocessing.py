"""JSON-serialisable tabular preprocessing (hiddenlayers.data.TablePreprocessor)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import TablePreprocessor
from hiddenlayers.exceptions import DataError


def _frame():
    return pd.DataFrame({
        "age": [20.0, 30.0, None, 50.0],
        "city": ["paris", "rome", "paris", None],
        "ok": [True, False, True, True],
    })


def test_fit_transform_and_names():
    pre = TablePreprocessor().fit(_frame())
    assert pre.output_names == ["age", "age=<missing>", "city=paris", "city=rome", "city=<missing>", "ok=True", "ok=False"]
    M = pre.transform(_frame()).matrix
    assert M.shape == (4, 7)
    # the missing age is filled with the median (30) and flagged
    assert M[2, 1] == 1.0 and M[:, 1].sum() == 1.0
    np.testing.assert_allclose(M[:, 0].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(M[:, 0].std(), 1.0)


def test_json_round_trip_and_column_order():
    pre = TablePreprocessor().fit(_frame())
    again = TablePreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    shuffled = _frame()[["ok", "city", "age"]]
    np.testing.assert_array_equal(again.transform(shuffled).matrix, pre.transform(_frame()).matrix)


def test_extra_missing_and_unseen():
    pre = TablePreprocessor().fit(_frame())
    new = pd.DataFrame({"age": [1.0], "city": ["oslo"], "ok": [True], "extra": [3]})
    res = pre.transform(new)
    assert res.unseen == {"city": 1}
    assert any("ignored 1 column(s)" in n and "extra" in n for n in res.notes)
    assert any("1 value(s) outside the categories kept in training" in n for n in res.notes)
    assert res.matrix[0, 2:5].sum() == 0.0
    with pytest.raises(DataError, match=r"lacks column\(s\) 'city', 'ok' that the model was trained on"):
        pre.transform(pd.DataFrame({"age": [1.0]}))


def test_category_cap_and_other_bucket():
    frame = pd.DataFrame({"c": list("aaabbcdefg")})
    pre = TablePreprocessor(max_categories=3).fit(frame)
    assert pre.output_names == ["c=a", "c=b", "c=<other>"]
    M = pre.transform(pd.DataFrame({"c": ["a", "g", "zzz"]})).matrix
    np.testing.assert_array_equal(M, [[1, 0, 0], [0, 0, 1], [0, 0, 1]])


def test_text_in_numeric_column():
    frame = pd.DataFrame({"x": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "oops"]})
    with pytest.raises(DataError, match=r"column 'x' is numeric but holds text in 1 row\(s\) \(e.g. 'oops' at row 10\)"):
        TablePreprocessor().fit(frame)
    pre = TablePreprocessor().fit(pd.DataFrame({"x": [1.0, 2.0]}))
    with pytest.raises(DataError, match="column 'x' must be numeric but row 2 holds 'abc'"):
        pre.transform(pd.DataFrame({"x": ["1", "abc"]}))
    # numeric text is accepted at predict time
    assert pre.transform(pd.DataFrame({"x": ["2"]})).matrix[0, 0] == 1.0


def test_bad_state_and_args():
    with pytest.raises(DataError, match="stored preprocessing is damaged"):
        TablePreprocessor.from_dict({"kind": "table", "version": 1})
    with pytest.raises(ValueError, match="max_categories must be an integer >= 2"):
        TablePreprocessor(max_categories=1)
    with pytest.raises(DataError, match="all missing"):
        TablePreprocessor().fit(pd.DataFrame({"x": [None, None]}))


cells = st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=False, width=32), st.text(max_size=3))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=8))
def test_random_tables_transform_or_raise_data_error(rows):
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    try:
        pre = TablePreprocessor().fit(frame)
    except DataError:
        return
    M = pre.transform(frame).matrix
    assert M.shape == (len(rows), len(pre.output_names))
    assert np.all(np.isfinite(M))
    again = TablePreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    np.testing.assert_array_equal(again.transform(frame).matrix, M)


@pytest.mark.parametrize("marker", ["NA", " null", "", "N/A", "None"])
def test_a_category_spelled_as_missing_warns_in_fit_and_partial_fit(marker):
    """A DataFrame may hold the text "NA" as a value; the CSV reader reads it as missing, so the user is told at fit."""
    import warnings

    frame = pd.DataFrame({"region": ["EU", marker, "EU", "US"], "x": [1.0, 2.0, 3.0, 4.0]})
    with pytest.warns(UserWarning, match=rf"column 'region' has the category '{marker}', which CSV files read as a missing value"):
        TablePreprocessor().fit(frame)
    with pytest.warns(UserWarning, match="column 'region' has the category"):
        TablePreprocessor().partial_fit(frame).transform(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TablePreprocessor().fit(frame.replace({marker: None}))  # a real missing value: no warning
        TablePreprocessor().fit(frame.replace({marker: "NA "}))  # the CSV reader keeps "NA " as text


def test_a_category_spelled_as_missing_warns_once_over_a_streamed_fit() -> None:
    """partial_fit chunk by chunk: one warning per column, pointing at the caller's line, as the ID/date warning; before,
    one per chunk. A column whose marker first shows in a later chunk warns then; a new preprocessor warns again."""
    import warnings

    frame = pd.DataFrame({"region": ["EU", "NA", "US", "EU"] * 3, "kind": ["a", "b", "c", "a"] * 2 + ["null", "a", "b", "c"]})

    def markers(fit) -> list:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit()
        return [w for w in caught if "read as a missing value" in str(w.message)]

    pre = TablePreprocessor()
    got = markers(lambda: [pre.partial_fit(frame.iloc[k:k + 4]) for k in (0, 4, 8)])
    assert [str(w.message).split("'")[1] for w in got] == ["region", "kind"]  # kind's 'null' is in the third chunk only
    assert all(w.filename == __file__ for w in got)
    assert markers(lambda: pre.partial_fit(frame.iloc[:4])) == []  # the same preprocessor: said already
    assert len(markers(lambda: TablePreprocessor().partial_fit(frame.iloc[:4]))) == 1


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 29), st.sampled_from(["range", "shifted", "text", "shuffled"]), st.integers(0, 3))
def test_the_row_of_a_typo_in_a_numeric_column_is_its_position_whatever_the_index(bad: int, index: str, n_missing: int) -> None:
    # before: the index label was taken as the row (a DataFrame indexed by text crashed with ValueError: invalid literal for int())
    values: list = [str(i) for i in range(30)]
    values[bad] = "oops"
    for k in range(n_missing):
        values[(bad + 1 + k) % 30] = None
    labels = {"range": None, "shifted": list(range(100, 130)), "text": [f"r{i}" for i in range(30)], "shuffled": list(range(30))[::-1]}[index]
    frame = pd.DataFrame({"a": values}, index=labels)
    with pytest.raises(DataError, match=rf"^column 'a' is numeric but holds text in 1 row\(s\) \(e\.g\. 'oops' at row {bad + 1}\)"):
        TablePreprocessor().fit(frame)


def _column_warnings(fit, *args) -> list:
    import warnings

    from hiddenlayers.exceptions import ColumnWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(*args)
    return [w for w in caught if issubclass(w.category, ColumnWarning)]


def test_an_id_column_is_one_warning_naming_it() -> None:
    """All-unique text was one-hot encoded into 19 arbitrary values plus '<other>' without a word."""
    n = 60
    frame = pd.DataFrame({"user": [f"u{i:03d}" for i in range(n)], "city": ["a", "b", "c"] * 20, "x": np.arange(n, dtype=float)})
    got = _column_warnings(TablePreprocessor().fit, frame)
    assert len(got) == 1 and (got[0].message.column, got[0].message.reason) == ("user", "id")
    assert str(got[0].message).startswith("column 'user': every value is distinct (60 values): an ID? drop it or pass it as a number")
    assert got[0].filename == __file__  # points at the caller's line
    pre = TablePreprocessor()
    got = _column_warnings(lambda: [pre.partial_fit(frame.iloc[k:k + 30]) for k in (0, 30)])
    assert [(w.message.column, w.filename) for w in got] == [("user", __file__)]  # once over the chunks
    # few distinct values (every one kept, no '<other>'), or a value repeated: no warning
    assert _column_warnings(TablePreprocessor().fit, frame.iloc[:20]) == []
    assert _column_warnings(TablePreprocessor().fit, frame.assign(user=frame["user"].where(frame.index != 5, "u000"))) == []


def test_dates_as_text_are_one_warning_naming_the_column_and_the_fix() -> None:
    """A CSV's dates are text; when they repeat, nothing said they were read as unordered categories."""
    days = pd.Series(pd.date_range("2021-01-01", periods=10)).dt.strftime("%Y-%m-%d").tolist() * 6
    stamps = ["2021-01-03T10:00:00", "2021-01-03 11:30", "2021-02-01T00:00:00Z", "2021-03-04"] * 15
    frame = pd.DataFrame({"day": days, "at": stamps, "code": ["2021", "2022", "12-3"] * 20, "bad": ["2021-13-45", "2021-01-01"] * 30})
    got = _column_warnings(TablePreprocessor().fit, frame)
    assert [(w.message.column, w.message.reason) for w in got] == [("day", "dates"), ("at", "dates")]
    assert str(got[0].message) == (
        "column 'day' holds dates as text (e.g. '2021-01-01'), which the model reads as categories, one per date, unordered, a new date unknown: "
        "turn it into numbers first (e.g. days since a start date, day of week, month), or drop it.")
    unique = pd.DataFrame({"day": pd.Series(pd.date_range("2021-01-01", periods=60)).dt.strftime("%Y-%m-%d")})
    assert [w.message.reason for w in _column_warnings(TablePreprocessor().fit, unique)] == ["dates"]  # dates, not also an ID


@settings(max_examples=60)
@given(st.lists(st.datetimes(min_value=pd.Timestamp("1700-01-01").to_pydatetime(), max_value=pd.Timestamp("2200-01-01").to_pydatetime()),
                min_size=1, max_size=30),
       st.sampled_from(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]), st.text(min_size=1, max_size=8))
def test_dates_as_text_finds_iso_dates_and_nothing_else(stamps, fmt, word) -> None:
    from hiddenlayers.data._column_hints import dates_as_text

    texts = [d.strftime(fmt) for d in stamps]
    assert dates_as_text(texts) == texts[0]
    if pd.isna(pd.to_datetime(word.strip(), format="ISO8601", errors="coerce")):
        assert dates_as_text([*texts, word]) is None and dates_as_text([word, *texts]) is None


def test_numbers_as_text_are_one_warning_naming_the_column_and_the_fix() -> None:
    """Numbers stored as text (a Parquet string column, an object column) were silently one-hot encoded, where a CSV of
    the same values gives numbers: 300 prices became 19 arbitrary categories and '<other>' without a word."""
    rng = np.random.default_rng(0)
    n = 300
    prices = rng.normal(10, 3, n).round(2).astype(str)
    frame = pd.DataFrame({
        "price": pd.Series(np.where(np.arange(n) % 50 == 7, None, prices), dtype="string"),  # a few blanks
        "rating": rng.choice(["1", "2", "3", "4", "5"], n).astype(object),
        "zip": rng.choice(["02139", "10001", "94105", "60601"], n).astype(object),  # leading zeros: codes, text on purpose
        "account": rng.choice(["1234", "5678", "9012", "3456"], n).astype(object),  # digits of one width: codes
        "flag": rng.choice(["0", "1"], n).astype(object),  # two values: one-hot says what a number says
        "row": [str(i) for i in range(n)],  # whole numbers, each once: an ID, said as an ID only
    })
    got = _column_warnings(TablePreprocessor().fit, frame)
    assert [(w.message.column, w.message.reason) for w in got] == [("price", "numbers"), ("rating", "numbers"), ("row", "id")]
    msg = str(got[0].message)
    assert msg.startswith(f"column 'price' holds numbers as text (e.g. {frame['price'].value_counts().index[0]!r}), which the model reads as categories")
    assert "keeps 19 of its" in msg and "df['price'] = pd.to_numeric(df['price'])" in msg and "\n" not in msg
    assert "'<other>'" not in str(got[1].message)  # 5 values: every one kept
    assert got[0].filename == __file__
    # the stored preprocessing is unchanged: still categories, so a saved model reads its column as before
    from hiddenlayers.exceptions import ColumnWarning

    with pytest.warns(ColumnWarning, match="column 'rating' holds numbers as text"):
        pre = TablePreprocessor().fit(frame[["rating"]])
    assert pre.columns[0]["kind"] == "categorical"
    # streamed: once over the chunks
    pre = TablePreprocessor()
    got = _column_warnings(lambda: [pre.partial_fit(frame[["price"]].iloc[k:k + 100]) for k in (0, 100, 200)])
    assert [(w.message.column, w.message.reason) for w in got] == [("price", "numbers")]
    # converted as the warning says: numbers, no warning
    fixed = frame.assign(price=pd.to_numeric(frame["price"]), rating=pd.to_numeric(frame["rating"]))
    assert [w.message.column for w in _column_warnings(TablePreprocessor().fit, fixed)] == ["row"]


_FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(_FINITE.map(str), _FINITE.map(repr), st.integers(-10**9, 10**9).map(str), _FINITE.map(lambda v: f"{v:.3f}")),
                min_size=1, max_size=40, unique=True),
       st.text(max_size=6), st.integers(0, 40))
def test_numbers_as_text_finds_numbers_and_nothing_else(texts, word, at) -> None:
    """Every distinct value the text of a finite number, at least 3 of them, no code among them: found; one word that
    is no number anywhere in the list: not found."""
    from hiddenlayers.data._column_hints import numbers_as_text

    def code(t: str) -> bool:
        return t.lstrip("+-").startswith("0") and len(t.lstrip("+-")) > 1 and t.lstrip("+-")[1].isdigit()

    fixed_width = len(texts[0]) >= 4 and all(t.isascii() and t.isdigit() and len(t) == len(texts[0]) for t in texts)
    expected = len(texts) >= 3 and not fixed_width and not any(code(t) for t in texts)
    found = numbers_as_text(texts)
    assert (found is not None) == expected
    if found is not None:
        assert found.example == texts[0]
        assert found.whole == all(float(t) == round(float(t)) for t in texts)
    bad = pd.to_numeric(pd.Series([word.strip()], dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    comma_number = re.fullmatch(r"[+-]?[0-9]+(,[0-9]+)?", word.strip()) is not None  # '1,5': a decimal comma, a number too
    # '$5', '12%', '1,234': money, a percentage, thousands separators: numbers too (a column of them is found)
    unspaced = re.sub("(?<=[0-9])[ \u00a0\u202f](?=[0-9]{3}(?![0-9]))", "", word.strip())  # '1 234': thousands
    decorated = re.fullmatch(r"[+-]?\s*[$€£¥₹]?\s*[0-9][0-9.,]*\s*([$€£¥₹%]|[A-Za-zµ°][A-Za-zµ°/²³]{0,7})?", unspaced) is not None
    if not np.isfinite(bad).all() and word.strip() not in texts and not comma_number and not decorated:
        mixed = [*texts[:at], word, *texts[at:]]
        assert numbers_as_text(mixed) is None


@settings(max_examples=30, deadline=None)
@given(st.lists(_FINITE.map(str), min_size=3, max_size=30, unique=True), st.integers(2, 3))
def test_the_data_check_and_the_preprocessing_agree_on_numbers_as_text(texts, repeat) -> None:
    """One test behind both, so ``train`` says it once: the check's finding names exactly the column the preprocessing warns about."""
    from hiddenlayers.data._check.columns import check_id_like

    frame = pd.DataFrame({"v": pd.Series(texts * repeat, dtype=object)})
    warned = [w.message.column for w in _column_warnings(TablePreprocessor().fit, frame) if w.message.reason == "numbers"]
    found = [c for f in check_id_like(frame) if f.check == "numeric_text_columns" for c in f.columns]
    assert warned == found == ["v"]


def test_ordered_categories_are_one_hot_and_documented() -> None:
    """Their order is not used (documented, in the docstring and the data guide)."""
    sizes = pd.Categorical(["low", "mid", "high"] * 4, categories=["low", "mid", "high"], ordered=True)
    pre = TablePreprocessor().fit(pd.DataFrame({"size": sizes}))
    assert pre.output_names == ["size=high", "size=low", "size=mid"]
    assert "order is ignored" in (TablePreprocessor.__doc__ or "")


def test_money_percentages_and_thousands_as_text_are_numbers_and_each_fix_reads_them() -> None:
    """A spreadsheet's '$1,000.50', '12%', '100,000' and '2.5 kg' were read as categories with no word or the wrong one:
    the money column was called an ID, the percentages and weights were not named at all, and the thousands were told
    decimal=',' (which reads '100,000' as 100.0). Each is now numbers as text, and the fix it names gives the right numbers."""
    from hiddenlayers.data._check.columns import check_id_like
    from hiddenlayers.data._column_hints import numbers_as_text

    n = 40
    frame = pd.DataFrame({"price": [f"${1000 + 37 * i:,}.50" for i in range(n)], "rate": [f"{i % 25}%" for i in range(n)],
                          "pop": [f"{100000 + 1234 * i:,}" for i in range(n)], "eur": [f"{i},5 €" for i in range(n)],
                          "kg": [f"{i / 4} kg" for i in range(n)], "fr": [f"{1000 + 37 * i:,}".replace(",", "\u00a0") + ",5" for i in range(n)]})
    assert {c: numbers_as_text(frame[c].tolist()).written for c in frame} == {  # type: ignore[union-attr]
        "price": "currency", "rate": "percent", "pop": "thousands", "eur": "currency", "kg": "unit", "fr": "thousands"}
    got = {w.message.column: str(w.message) for w in _column_warnings(TablePreprocessor().fit, frame)}
    assert set(got) == {"price", "rate", "pop", "eur", "kg", "fr"} and all("holds numbers as text" in m for m in got.values())
    expected = {"price": 1000 + 37 * np.arange(n) + 0.5, "rate": (np.arange(n) % 25) / 100, "pop": 100000 + 1234 * np.arange(n),
                "eur": np.arange(n) + 0.5, "kg": np.arange(n) / 4,
                "fr": 1000.5 + 37 * np.arange(n)}
    for col, msg in got.items():  # run the fix the warning names, as written: the column's true numbers
        code = re.search(r"\((df\[.*?\] = pd\.to_numeric\(.*\)(?: / 100)?)\)", msg)
        assert code is not None, msg
        df = frame.copy()
        exec(code.group(1), {"pd": pd, "df": df})  # noqa: S102 - the fix text of our own warning
        np.testing.assert_allclose(df[col].to_numpy(dtype=float), expected[col])
    assert "decimal=','" not in got["pop"].split(";")[0] and "thousands=','" in got["pop"]
    finding = [f for f in check_id_like(frame) if f.check == "numeric_text_columns"]
    assert finding and finding[0].columns == ("price", "rate", "pop", "eur", "kg", "fr")
    assert not [f for f in check_id_like(frame) if f.check == "id_columns"]
    assert "thousands=','" in finding[0].message and "percent signs" in finding[0].message and ".str.rstrip('%')" in finding[0].fix
    assert numbers_as_text(["$1", "2$", "a$"]) is None and numbers_as_text(["$1$", "2", "3"]) is None
    assert numbers_as_text(["5 kg", "300 g", "2 kg"]) is None  # mixed units: no one line converts them
    assert "numbers with a unit ('kg')" in got["kg"]


def test_numbers_with_a_decimal_comma_are_numbers_as_text_and_the_fix_says_decimal() -> None:
    """'0,2' (a European spreadsheet's CSV export) was one-hot encoded without a word: pd.to_numeric refuses it."""
    from hiddenlayers.data._check.columns import check_id_like
    from hiddenlayers.data._column_hints import numbers_as_text

    found = numbers_as_text(["0,2", "1,5", "12", "-3,75"])
    assert found is not None and found.decimal_comma and not found.whole and found.example == "0,2"
    assert numbers_as_text(["1,2,3", "4,5", "6"]) is None and numbers_as_text(["a,b", "1,5", "2"]) is None
    assert numbers_as_text(["1.5", "2.5", "3.5"]).decimal_comma is False  # type: ignore[union-attr]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"width": [f"{v:.1f}".replace(".", ",") for v in rng.normal(3, 1, 60)]})
    got = _column_warnings(TablePreprocessor().fit, frame)
    assert [(w.message.column, w.message.reason) for w in got] == [("width", "numbers")]
    msg = str(got[0].message)
    assert "pd.read_csv(..., decimal=',')" in msg and "pd.to_numeric(df['width'].str.replace(',', '.'))" in msg and "\n" not in msg
    finding = [f for f in check_id_like(frame) if f.check == "numeric_text_columns"]
    assert finding and finding[0].columns == ("width",) and "decimal=','" in finding[0].message and "decimal=','" in finding[0].fix


def test_errors_name_a_row_where_the_caller_says_it_is() -> None:
    # the CLI passes Table.where ("line 12"); Python data keeps "row N", counted from 1
    train = pd.DataFrame({"x": [str(float(i)) for i in range(20)] + ["oops"]})
    with pytest.raises(DataError, match=r"\(e.g. 'oops' at line 99\)"):
        TablePreprocessor().fit(train, where=lambda i: f"line {i + 79}")
    with pytest.raises(DataError, match=r"\(e.g. 'oops' at row 21\)"):
        TablePreprocessor().fit(train)
    pre = TablePreprocessor().fit(pd.DataFrame({"x": np.arange(20.0)}))
    new = pd.DataFrame({"x": ["1", "two"]})
    with pytest.raises(DataError, match="column 'x' must be numeric but line 7 holds 'two'"):
        pre.transform(new, where=lambda i: f"line {i + 6}")
    with pytest.raises(DataError, match="column 'x' must be numeric but row 2 holds 'two'"):
        pre.transform(new)


def test_values_beyond_float32_are_refused_by_fit_and_partial_fit():
    """1e308 is a float64 but no float32: fit stored the column's scale as inf (its variance overflowed), so the
    model file saved after training could not be loaded ("the stored preprocessing is damaged")."""
    frame = pd.DataFrame({"a": [1.0, 2.0, 1e308, 4.0], "c": ["x", "y", "x", "y"]})
    with pytest.raises(DataError, match=re.escape("column 'a' must be within ±3.4e38 (float32, which the model computes in) but row 3 holds 1e+308: fix the value")):
        TablePreprocessor().fit(frame)
    with pytest.raises(DataError, match=re.escape("but line 4 holds 1e+308")):
        TablePreprocessor().fit(frame, where=lambda i: f"line {i + 2}")
    with pytest.raises(DataError, match=re.escape("column 'a' must be within ±3.4e38 (float32, which the model computes in) but a chunk holds -1e+300")):
        TablePreprocessor().partial_fit(frame.assign(a=[1.0, -1e300, 2.0, 3.0]))
    edge = frame.assign(a=[1.0, 3.4e38, -3.4e38, 0.0])  # within float32: its state survives JSON
    pre = TablePreprocessor().fit(edge)
    again = TablePreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    assert np.isfinite(again.transform(edge).matrix).all()


def test_missing_cells_of_a_column_that_had_none_in_training_are_noted():
    """They were filled with the median silently: the model learned no indicator for them, so the user is told,
    as unseen categories are; a column that had missing values in training (its indicator learned) is not noted."""
    pre = TablePreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, None, 2.0], "c": ["x", "y", "x"]}))
    res = pre.transform(pd.DataFrame({"a": [None, None, 5.0], "b": [None, 1.0, 1.0], "c": ["x", "x", "y"]}))
    assert res.notes == ["2 missing value(s) in column(s) that had none in training (a: 2) were filled with the stored fill value "
                         "(the training median; a streamed fit's mean): the model never saw them missing"]
    assert res.matrix[:2, 0].tolist() == [0.0, 0.0]  # the median 2.0, standardised
    assert pre.transform(pd.DataFrame({"a": [1.0], "b": [None], "c": ["x"]})).notes == []


def test_partial_fit_waiting_for_values_learns_a_column_empty_in_the_first_chunks():
    """A column with no value in the first chunk (a sensor added later): partial_fit refused it at once, though later
    chunks hold values; waiting for them, the state is fit's on every row (mean fill), and refuse_empty refuses a
    column still empty at the end with fit's message."""
    frame = pd.DataFrame({"a": np.arange(8.0), "b": [np.nan] * 4 + [1.0, 2.0, 4.0, 5.0]})
    with pytest.raises(DataError, match="column 'b' has no values"):
        TablePreprocessor().partial_fit(frame.iloc[:4])
    pre = TablePreprocessor()
    pre.partial_fit(frame.iloc[:4], wait_for_values=True)
    assert [c["name"] for c in pre.columns] == ["a"]
    pre.partial_fit(frame.iloc[4:], wait_for_values=True)
    pre.refuse_empty()
    b = pre.columns[1]
    assert (b["name"], b["mean"], b["missing_indicator"]) == ("b", 3.0, True)
    assert b["scale"] == pytest.approx(np.sqrt(((frame["b"].fillna(3.0) - 3.0) ** 2).mean()))
    empty = TablePreprocessor().partial_fit(frame.iloc[:4], wait_for_values=True)
    with pytest.raises(DataError, match=r"^column 'b' has no values \(all missing\): drop it with --features\.$"):
        empty.refuse_empty()


@settings(max_examples=40, deadline=None)
@given(
    cities=st.lists(st.sampled_from(["a", "b", "c", "d", None]), min_size=2, max_size=40),
    ages=st.lists(st.one_of(st.none(), st.floats(-1e3, 1e3)), min_size=2, max_size=40),
    max_categories=st.integers(2, 5),
    chunk=st.integers(1, 7),
)
def test_training_mean_is_the_encoded_training_rows_mean_in_fit_and_partial_fit(cities, ages, max_categories, chunk):
    """What the lens's "mean" baseline reads of a train-made model: stored at fit time, equal to the mean of the encoded
    training matrix (0 per standardised number, missing rates, category frequencies with <other> and missing)."""
    n = min(len(cities), len(ages))
    frame = pd.DataFrame({"age": pd.array(ages[:n], dtype="Float64").astype(float), "city": pd.Series(cities[:n], dtype=object)})
    if frame["age"].isna().all() or frame["city"].isna().all():
        return
    pre = TablePreprocessor(max_categories=max_categories).fit(frame)
    np.testing.assert_allclose(pre.training_mean(), pre.transform(frame).matrix.mean(0), atol=1e-9)
    streamed = TablePreprocessor(max_categories=max_categories)
    for k in range(0, n, chunk):
        streamed.partial_fit(frame.iloc[k:k + chunk], wait_for_values=True)
    streamed.refuse_empty()
    np.testing.assert_allclose(streamed.training_mean(), streamed.transform(frame).matrix.mean(0), atol=1e-9)
    again = TablePreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    np.testing.assert_array_equal(again.training_mean(), pre.training_mean())


def test_an_older_state_without_frequencies_loads_and_has_no_training_mean():
    state = TablePreprocessor().fit(_frame()).to_dict()
    for c in state["columns"]:
        c.pop("frequencies", None)
        c.pop("missing_rate", None)
    old = TablePreprocessor.from_dict(state)
    assert old.training_mean() is None
    np.testing.assert_array_equal(old.transform(_frame()).matrix, TablePreprocessor().fit(_frame()).transform(_frame()).matrix)
    state["columns"][1]["frequencies"] = [0.5]
    with pytest.raises(DataError, match="stored preprocessing is damaged.*1 frequencies for"):
        TablePreprocessor.from_dict(state)


@pytest.mark.parametrize(("column", "key", "value", "problem"), [
    (1, "other", None, "column 'c' has a name that is not text or a flag that is not true/false"),
    (0, "missing_indicator", "yes", "column 'a' has a name that is not text or a flag that is not true/false"),
    (1, "categories", ["x", 2], "column 'c' has categories that are not a list of text"),
    (1, "categories", "xy", "column 'c' has categories that are not a list of text"),
    # an integer flag other than 0/1 (-1 in an edited file) made transform's block one column narrow: IndexError at predict
    (1, "missing_indicator", -1, "column 'c' has a name that is not text or a flag that is not true/false"),
    (0, "missing_indicator", 2, "column 'a' has a name that is not text or a flag that is not true/false"),
    (1, "other", -1, "column 'c' has a name that is not text or a flag that is not true/false"),
])
def test_a_stored_state_that_would_break_transform_is_refused_when_read(column: int, key: str, value: object, problem: str) -> None:
    """A null `other` (an edited model file) was read as False by bool() and transform then raised TypeError at predict."""
    state = json.loads(json.dumps(TablePreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "y"]})).to_dict()))
    state["columns"][column][key] = value
    with pytest.raises(DataError, match=re.escape(f"the stored preprocessing is damaged (ValueError: {problem}).")):
        TablePreprocessor.from_dict(state)


@pytest.mark.parametrize("inf", [float("inf"), float("-inf"), np.float32("inf"), Decimal("Infinity")])
def test_an_infinite_number_in_a_categorical_column_is_refused_in_fit_partial_fit_and_transform(inf) -> None:
    # before: the category "inf" (learned in fit, unseen in transform), where a numeric column and the server refuse it
    bad = pd.DataFrame({"city": pd.Series(["paris", inf, None], dtype=object), "x": [1.0, 2.0, 3.0]})
    message = (f"column 'city' is categorical, but {{}} holds the infinite number {inf}: replace it with text or a finite number, "
               "or leave the cell empty.")
    with pytest.raises(DataError, match="^" + re.escape(message.format("row 2")) + "$"):
        TablePreprocessor().fit(bad)
    with pytest.raises(DataError, match="^" + re.escape(message.format("line 3")) + "$"):
        TablePreprocessor().fit(bad, where=lambda i: f"line {i + 2}")  # a CSV file: its header is line 1
    with pytest.raises(DataError, match="^" + re.escape(message.format("a chunk")) + "$"):
        TablePreprocessor().partial_fit(bad)
    pre = TablePreprocessor().fit(bad.assign(city=["paris", "rome", None]))
    with pytest.raises(DataError, match="^" + re.escape(message.format("row 2")) + "$"):
        pre.transform(bad)
    # NaN stays missing, as before, and text spelled "inf" stays text
    ok = pre.transform(bad.assign(city=pd.Series(["paris", float("nan"), "inf"], dtype=object)))
    assert ok.matrix[1].tolist() == pre.transform(bad.assign(city=["paris", None, None])).matrix[1].tolist() and ok.unseen == {"city": 1}


def _decimals(values: list) -> pd.Series:
    """An object column of Decimals, as pandas.read_sql gives a NUMERIC column (None where missing)."""
    return pd.Series(values, dtype=object)


def test_a_column_of_decimals_is_numeric_as_its_floats_in_fit_partial_fit_and_transform() -> None:
    # before: learned as categorical, one one-hot column per distinct amount ("1.5", "2.25", ...)
    amounts = [Decimal("1.50"), Decimal("2.25"), None, Decimal("NaN"), Decimal("4"), Decimal("-0.10")]
    floats = [1.5, 2.25, np.nan, np.nan, 4.0, -0.1]
    dec = pd.DataFrame({"amount": _decimals(amounts), "city": ["a", "b", "a", "b", "a", "b"]})
    flo = dec.assign(amount=floats)
    for fit in ("fit", "partial_fit"):
        on_dec, on_flo = getattr(TablePreprocessor(), fit)(dec), getattr(TablePreprocessor(), fit)(flo)
        assert on_dec.to_dict() == on_flo.to_dict() and on_dec.columns[0]["kind"] == "numeric"
        want = on_flo.transform(flo).matrix
        # fitted on Decimals or floats, given Decimals or floats: one matrix, bit for bit
        for pre in (on_dec, on_flo):
            for frame in (dec, flo):
                assert np.array_equal(pre.transform(frame).matrix, want)
    # a chunk of Decimals after a chunk of floats, and the reverse: the state of the whole table
    whole = TablePreprocessor().partial_fit(flo).to_dict()
    assert TablePreprocessor().partial_fit(flo[:3]).partial_fit(dec[3:]).to_dict() == whole
    assert TablePreprocessor().partial_fit(dec[:3]).partial_fit(flo[3:]).to_dict() == whole


def test_decimals_mixed_with_text_stay_categorical_and_infinite_or_huge_decimals_are_refused() -> None:
    mixed = pd.DataFrame({"code": _decimals([Decimal("2.00"), "x", Decimal("2"), None]), "v": [1.0, 2.0, 3.0, 4.0]})
    pre = TablePreprocessor().fit(mixed)
    assert pre.columns[0]["kind"] == "categorical" and pre.columns[0]["categories"] == ["2", "x"]
    inf = pd.DataFrame({"amount": _decimals([Decimal("1"), Decimal("-Infinity"), None])})
    message = "column 'amount' is numeric, but {} holds the infinite number -inf: replace it with a finite number, or leave the cell empty."
    for fit, place in ((TablePreprocessor().fit, "row 2"), (TablePreprocessor().partial_fit, "a chunk"),
                       (TablePreprocessor().fit(inf[:1]).transform, "row 2")):
        with pytest.raises(DataError, match="^" + re.escape(message.format(place)) + "$"):
            fit(inf)
    huge = pd.DataFrame({"amount": _decimals([Decimal("1"), None, Decimal("-1E+400")])})  # beyond float64: float() gives -inf
    with pytest.raises(DataError, match="^" + re.escape("column 'amount' must be within ±3.4e38 (float32, which the model computes in) "
                                                         "but line 4 holds -1E+400: fix the value or leave it empty.") + "$"):
        TablePreprocessor().fit(huge, where=lambda i: f"line {i + 2}")
    with pytest.raises(DataError, match="but row 2 holds 1e\\+39: fix"):  # within float64, beyond float32: the float32 rule
        TablePreprocessor().fit(pd.DataFrame({"amount": _decimals([Decimal("1"), Decimal("1E+39")])}))


def test_an_infinite_number_in_a_numeric_column_is_named_by_its_line_and_counted() -> None:
    """Before: "column 'a' holds infinite values", with no row, in fit and transform alike: a user with thousands of rows
    (or a folder of files, whose ``where`` names the file) had to search for the cell."""
    frame = pd.DataFrame({"a": [1.0, 2.0, np.inf, 4.0, -np.inf], "c": ["x", "y", "x", "y", "x"]})
    line = lambda i: f"line {i + 2}"  # noqa: E731 - a CSV file: its header is line 1
    message = ("column 'a' is numeric, but {} holds the infinite number inf (2 infinite cells in all): "
               "replace it with a finite number, or leave the cell empty.")
    with pytest.raises(DataError, match="^" + re.escape(message.format("line 4")) + "$"):
        TablePreprocessor().fit(frame, where=line)
    pre = TablePreprocessor().fit(frame.iloc[:2])
    with pytest.raises(DataError, match="^" + re.escape(message.format("row 3")) + "$"):
        pre.transform(frame)
    with pytest.raises(DataError, match="^" + re.escape(message.format("line 4")) + "$"):
        pre.transform(frame.astype({"a": str}), line)  # text cells ("inf") read as numbers: the same rule
    one = "column 'a' is numeric, but line 3 holds the infinite number -inf: replace it with a finite number, or leave the cell empty."
    with pytest.raises(DataError, match="^" + re.escape(one) + "$"):
        pre.transform(frame.iloc[[0, 4]], line)


_DECIMAL = st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**30, max_value=10**30, places=None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_DECIMAL, st.none(), st.just(Decimal("NaN"))), min_size=1, max_size=12).filter(
    lambda v: any(isinstance(d, Decimal) and not d.is_nan() for d in v)))
def test_decimals_read_as_the_correctly_rounded_float_of_each_value(values: list) -> None:
    from hiddenlayers.data import decimal_floats, numeric_values

    floats = [np.nan if v is None or v.is_nan() else float(v) for v in values]
    got = decimal_floats("a", _decimals(values))
    assert got is not None and np.array_equal(got, floats, equal_nan=True)
    assert np.array_equal(numeric_values("a", _decimals(values)), floats, equal_nan=True)
    # a Decimal mixed with numbers as text in a numeric column: the same float, not its text re-read
    assert np.array_equal(numeric_values("a", _decimals([*values, "3"])), [*floats, 3.0], equal_nan=True)
    dec, flo = pd.DataFrame({"a": _decimals(values)}), pd.DataFrame({"a": floats})
    assert TablePreprocessor().fit(dec).to_dict() == TablePreprocessor().fit(flo).to_dict()
