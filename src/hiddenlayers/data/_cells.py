"""What a table's columns and cells may be, for every reader of the stored preprocessing.

:class:`~._preprocessing.TablePreprocessor`, the ONNX runner and the model
server share these rules, so one row gets one answer from a DataFrame, a CSV
or Parquet file and a JSON request:

* column names are flat and unique once made text (``1`` and ``"1"`` clash);
* a column of dates, durations, periods, intervals or complex numbers is
  refused by name: as text its values would differ by source (Parquet's
  ``2021-01-01 00:00:00`` is CSV's ``2021-01-01``), and as one number it would
  mean nanoseconds since 1970, so the user chooses the numbers (days since a
  start, day of week, ...);
* a number in a categorical column is compared as text in one spelling: a
  whole float is written as an integer (``1.0`` -> ``"1"``), as a CSV column
  that is read as integers on one day and as floats (a blank cell) on another
  gives it; categories stored by older versions as ``"1.0"`` still match; a
  ``decimal.Decimal`` (a database's NUMERIC column read by pandas, JSON read with
  ``parse_float=Decimal``, an Arrow decimal) is spelled as the int or float of its
  value (``Decimal("2.0")`` -> ``"2"``, ``Decimal("2.50")`` -> ``"2.5"``);
* an infinite number in a categorical column (``inf``, ``Decimal("Infinity")``) is
  refused with its column and row (:func:`category_texts`), as a numeric column and
  the server refuse it: its text ``"inf"`` would be a category of its own;
* a boolean in a numeric column is ``1.0`` / ``0.0``, whatever brings it: a
  bool column of a DataFrame or Parquet file (as NumPy and scikit-learn read
  it, so a model fitted in Python on one learned it so), JSON ``true``, an
  Arrow bool, or the text pandas' CSV reader takes for one (:data:`BOOL_TEXT`;
  a CSV column of ``True``/``False`` cells is a bool column);
* a column of ``decimal.Decimal`` (an object column whose present cells are all
  Decimals: a database's NUMERIC column read by ``pandas.read_sql``) is numeric,
  each cell ``float(value)`` (:func:`decimal_floats`), ``Decimal("NaN")`` missing and
  ``Decimal("Infinity")`` refused as an infinite float is; a column that mixes
  Decimals with text stays categorical, its Decimals spelled as above.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ..exceptions import DataError

#: What each refused dtype holds, for the message (pandas dtype kind or name -> words).
_UNREADABLE = {"M": "dates and times", "m": "durations", "c": "complex numbers", "period": "periods", "interval": "intervals"}
#: A whole float within this bound is written as an integer (beyond it floats are not exact integers).
_EXACT = 2.0**53
_FIXES = {
    "dates and times": "turn it into numbers first (e.g. days since a start date, or df[c].dt.dayofweek) ",
    "durations": "turn it into numbers first (e.g. seconds: df[c].dt.total_seconds()) ",
    "periods": "turn it into numbers first (e.g. df[c].dt.month) ",
}
_WHOLE_FLOAT_TEXT = re.compile(r"(-?[0-9]+)\.0")
#: The text pandas' CSV reader reads as a boolean (true/false in any case), by its lower case, as a numeric column's number.
BOOL_TEXT = {"true": 1.0, "false": 0.0}


def check_column_names(frame: Any, where: str = "the table") -> None:
    """A :class:`DataError` for a MultiIndex header, or names that repeat once made text (``"a"`` twice, ``1`` and ``"1"``).

    Parameters
    ----------
    frame : DataFrame
        The table.
    where : str
        How the message names it.
    """
    import pandas as pd

    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError(f"{where} has a header of {frame.columns.nlevels} levels (a MultiIndex): give one name per column, "
                        "e.g. frame.columns = ['_'.join(map(str, c)) for c in frame.columns].")
    seen: set[str] = set()
    for name in frame.columns:
        text = str(name)
        if text in seen:
            raise DataError(f"{where} has the column '{text}' twice (names are compared as text): give every column a unique name.")
        seen.add(text)


def unreadable_kind(col: Any) -> str | None:
    """What ``col`` holds when the preprocessing cannot read it ("dates and times", ...), else ``None``.

    Parameters
    ----------
    col : Series or dtype
        A column, or its dtype.
    """
    import pandas as pd

    dtype = getattr(col, "dtype", col)
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if isinstance(dtype, pd.ArrowDtype):
        dtype = dtype.numpy_dtype if dtype.kind in "Mmc" else dtype
    kind = getattr(dtype, "kind", "")
    if kind in _UNREADABLE:
        return _UNREADABLE[kind]
    name = str(dtype).split("[")[0]
    return _UNREADABLE.get(name)


def check_readable(name: str, col: Any, categories: list[str] | None = None) -> None:
    """A :class:`DataError` naming column ``name`` when it holds dates, durations, periods, intervals or complex numbers.

    Parameters
    ----------
    name, col
        The column's name, and the column (a pandas Series).
    categories : list of str, optional
        The text categories a fitted model learned for the column (from a CSV file, say); the message then asks for the
        column as that text.
    """
    what = unreadable_kind(col)
    if what is None:
        return
    if categories:
        example = str(categories[0])
        raise DataError(f"column '{name}' holds {what} ({col.dtype}), but the model learned it as text such as {example!r}: "
                        f"give the column as that text, as in the training data (e.g. df['{name}'].astype(str) or .dt.strftime(...)).")
    fix = _FIXES.get(what, "turn it into real numbers first ")
    raise DataError(f"column '{name}' holds {what} ({col.dtype}), which the model cannot read: {fix}or drop the column (--features).")


def is_missing(value: Any) -> bool:
    """Whether one cell is missing (None, NaN, ``pd.NA``, ``NaT``); a list, tuple or dict is a value.

    Parameters
    ----------
    value : object
        The cell.
    """
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    if isinstance(value, Decimal):
        return value.is_nan()  # NaN and sNaN (pd.isna raises on a signalling NaN)
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _number_cell(value: Any) -> Any:
    """One cell of a numeric column before ``pd.to_numeric``: None when missing, a bool as 1.0/0.0, else its trimmed text."""
    import numpy as np

    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_, Decimal)):  # a Decimal exactly as float() rounds it, not re-read from its text
        return float(value)
    text = str(value).strip()
    return BOOL_TEXT.get(text.lower(), text)


def at_row(row: int, where: Callable[[int], str] | None = None) -> str:
    """Where 0-based position ``row`` of a table is, for a message.

    Parameters
    ----------
    row : int
        The 0-based position.
    where : callable, optional
        ``where(row)`` (the CLI's ``"line 7"``, the user's file line); None: ``"row N"`` counted from 1 (data without a
        file: a Python array or frame).
    """
    return where(row) if where is not None else f"row {row + 1}"


def refuse_missing_cells(A: Any, names: list[str], where: Callable[[int], str] | None, why: str) -> None:
    """A DataError naming the first missing (NaN) cell of ``A``, its place and how many rows have one, then ``why``; nothing when none is missing.

    Parameters
    ----------
    A : numpy.ndarray of shape (n, len(names))
        The 2-D float array.
    names : list of str
        Its columns.
    where : callable or None
        A row's place, as :func:`at_row` takes it.
    why : str
        Why nothing fills the cell, and the fix.
    """
    import numpy as np

    missing = np.isnan(A)
    if not missing.any():
        return
    r, k = (int(v[0]) for v in np.nonzero(missing))
    raise DataError(f"column '{names[k]}' has no value on {at_row(r, where)} ({int(missing.any(axis=1).sum())} row(s) with a missing value), {why}")


def numeric_values(name: str, col: Any, where: Callable[[int], str] | None = None) -> Any:
    """Column ``name`` as the float64 array a numeric column reads, NaN where missing.

    Numbers as they are; booleans (and :data:`BOOL_TEXT`) as 1.0/0.0; text by ``pd.to_numeric`` after trimming spaces.
    Text that is no number, infinite values and columns of dates (:func:`check_readable`) are a :class:`DataError`
    naming the column (and the row).

    Parameters
    ----------
    name : str
        The column's name.
    col : Series
        The column.
    where : callable, optional
        A row's place, as :func:`at_row` takes it.
    """
    import numpy as np
    import pandas as pd

    check_readable(name, col)
    if pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=np.float64)
    elif (decimals := decimal_floats(name, col, where)) is not None:
        values = decimals
    else:
        cells = [_number_cell(v) for v in col.to_numpy(dtype=object)]
        parsed = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(parsed) & np.array([c is not None for c in cells], dtype=bool)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"column '{name}' must be numeric but {at_row(row, where)} holds {str(col.iloc[row])!r}: fix the value or leave it empty.")
        values = parsed
    refuse_infinite(name, values, where)
    return values


def refuse_infinite(name: str, values: Any, where: Callable[[int], str] | None = None, place: str = "") -> None:
    """A DataError naming numeric column ``name``'s first infinite value in the float array ``values`` and its place
    (``place`` when given, such as ``"a chunk"``, else :func:`at_row` with ``where``: a folder's file and line); nothing when none is.

    Why the place: in a table of thousands of rows, or a folder of files, "holds infinite values" alone leaves the
    user searching for the cell; the row (file line) and how many cells are infinite say where to look.

    Parameters
    ----------
    name : str
        The column.
    values : array of float
        Its values (row ``i`` of them is ``where(i)``); every infinite one is counted.
    where : callable, optional
        Row ``i``'s place in the user's file (:func:`at_row`).
    place : str
        The first infinite value's place, said instead of ``where``'s.
    """
    import numpy as np

    bad = np.flatnonzero(np.isinf(values))
    if bad.size:
        more = f" ({bad.size} infinite cells in all)" if bad.size > 1 else ""
        raise DataError(f"column '{name}' is numeric, but {place or at_row(int(bad[0]), where)} holds the infinite number {float(values[bad[0]])}{more}: "
                        "replace it with a finite number, or leave the cell empty.")


def decimal_floats(name: str, col: Any, where: Callable[[int], str] | None = None) -> Any:
    """Column ``name`` as a float64 array when it is a column of Decimals, else ``None``.

    A column of Decimals: an object column whose present cells are all ``decimal.Decimal`` and at least one is, as
    ``pandas.read_sql`` gives a NUMERIC column. Each is ``float(value)``, the correctly rounded float of its exact value;
    ``Decimal("NaN")`` is NaN (missing) and ``Decimal("Infinity")`` is ``inf``, which the caller refuses as any infinite
    number. A finite Decimal beyond float64's range (``1E+400``) is a :class:`DataError` naming the column and row.

    Parameters
    ----------
    name, col, where
        As :func:`numeric_values` takes them: the column's name, the column, and a row's place (:func:`at_row`).
    """
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_object_dtype(col) or pd.api.types.infer_dtype(col, skipna=True) != "decimal":
        return None
    cells = col.to_numpy(dtype=object)
    values = np.full(len(cells), np.nan)
    for i, value in enumerate(cells):
        if isinstance(value, Decimal) and not value.is_nan():
            values[i] = float(value)
            if value.is_finite() and math.isinf(values[i]):
                raise DataError(f"column '{name}' must be within ±3.4e38 (float32, which the model computes in) but "
                                f"{at_row(i, where)} holds {value}: fix the value or leave it empty.")
    return values


def numeric_matrix(frame: Any, where: Callable[[int], str] | None = None) -> Any:
    """``(n_rows, n_columns)`` float64 of a table whose columns are all numeric (a model without stored preprocessing).

    Each column by :func:`numeric_values`' rule, so booleans (and ``True``/``false`` text) are 1.0/0.0, as scikit-learn
    read a DataFrame's bool column when such a model was fitted; text that is no number is a :class:`DataError` naming the
    column and row. Missing cells stay NaN (the caller decides).

    Parameters
    ----------
    frame : DataFrame
        The table.
    where : callable, optional
        A row's place, as :func:`at_row` takes it.
    """
    import numpy as np

    try:
        return frame.to_numpy(dtype=np.float64)
    except (ValueError, TypeError):  # text, True/False text, dates: the rule names the cell
        pass
    cols = [numeric_values(str(name), frame.iloc[:, k], where) for k, name in enumerate(frame.columns)]
    return np.column_stack(cols) if cols else np.zeros((frame.shape[0], 0))


def category_text(value: Any) -> str:
    """A present cell of a categorical column as the text its category is stored as.

    ``str(value)``, except that a whole float is written as an integer (``2.0`` -> ``"2"``), as a column of integers that
    gained a blank cell (so pandas reads floats) still means the same categories.

    Parameters
    ----------
    value : object
        The cell (not missing).
    """
    import numpy as np

    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value) and abs(float(value)) < _EXACT:
        return str(int(value))
    if isinstance(value, Decimal) and value.is_finite():
        return _decimal_text(value)
    return str(value)


def _decimal_text(value: Decimal) -> str:
    """A finite Decimal as the int or float of the same value is spelled: its text (``"2.0"``, ``"2.50"``, ``"1E+2"``)
    depends on how it was made, so a database column of NUMERIC(10, 2) would never meet the categories of a CSV file."""
    if value == value.to_integral_value():
        if value.adjusted() < 4000:  # an int's text (Python writes at most 4300 digits); exact, as an int column's categories
            return str(int(value))
    else:
        as_float = float(value)
        if as_float != 0.0:  # not a value below the smallest float: the float's shortest text ("2.5"), as a float column's
            return category_text(as_float)
    return str(value.normalize())


def _infinite(value: Any) -> bool:
    """Whether one present cell is an infinite number (a float, NumPy float or Decimal)."""
    import numpy as np

    if isinstance(value, (float, np.floating)):
        return math.isinf(value)
    return isinstance(value, Decimal) and value.is_infinite()


def category_texts(name: str, cells: Iterable[Any], where: Callable[[int], str] | None = None) -> list[str | None]:
    """The cells of categorical column ``name`` as :func:`category_text`, ``None`` where missing (:func:`is_missing`).

    An infinite number is a :class:`DataError` naming the column and its row: a numeric column refuses it, and so does the
    server in a categorical one, while its text ``"inf"`` would be a category.

    The cells of the common types (``str``, ``float``, ``int``, ``bool``, ``None``) are read a column at a time (NumPy
    masks, C-level ``str``); any other cell (``pd.NA``, a ``Decimal``, a NumPy scalar, ...) by the rule one at a time.
    The result and the error are those of the rule applied cell by cell in order (:func:`_category_texts_each`).

    Parameters
    ----------
    name : str
        The column's name, for messages.
    cells : iterable
        Its cells.
    where : callable, optional
        A row's place, as :func:`at_row` takes it.
    """
    import numpy as np

    if isinstance(cells, np.ndarray) and cells.dtype == object and cells.ndim == 1:
        arr = cells
    else:
        arr = np.fromiter(iter(cells), dtype=object)
    try:
        return _category_texts_by_type(name, arr, where)
    except DataError:
        raise
    except Exception:  # a cell whose str() raises (an int of over 4,300 digits): the rule's order decides which error
        return _category_texts_each(name, arr, where)


def _category_texts_each(name: str, cells: Iterable[Any], where: Callable[[int], str] | None, rows: Iterable[int] | None = None) -> list[str | None]:
    """:func:`category_texts`' rule, one cell at a time (``rows``: the cells' 0-based rows; None: 0, 1, 2, ...)."""
    out: list[str | None] = []
    for i, value in zip(range(sys.maxsize) if rows is None else rows, cells):
        if is_missing(value):
            out.append(None)
        elif _infinite(value):
            raise DataError(f"column '{name}' is categorical, but {at_row(i, where)} holds the infinite number {value}: "
                            "replace it with text or a finite number, or leave the cell empty.")
        else:
            out.append(category_text(value))
    return out


def _texts(values: Any) -> Any:
    """``str`` of each of the int64 or float64 array ``values`` as a Python int or float, each distinct value made text once."""
    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(values)  # a categorical column has few distinct values
    return np.array(list(map(str, distinct.tolist())), dtype=object)[codes]


def _rest_texts(name: str, cells: Any, where: Callable[[int], str] | None, rows: list[int]) -> list[str | None]:
    """:func:`_category_texts_each` of the cells of other types at ``rows``, in order; a finite nonzero Decimal's text
    made once per value, on which it depends alone (``Decimal("2.0")`` and ``Decimal("2")`` are "2"; not so zeros:
    ``Decimal("-0E+5000")`` is "-0", ``Decimal("0")`` "0")."""
    memo: dict[Decimal, str | None] = {}
    out: list[str | None] = []
    for i, value in zip(rows, cells):
        if type(value) is Decimal and value.is_normal():
            if value not in memo:
                memo[value] = _category_texts_each(name, (value,), where, (i,))[0]
            out.append(memo[value])
        else:
            out.extend(_category_texts_each(name, (value,), where, (i,)))
    return out


def _of_type(types: Any, *kinds: type) -> Any:
    """Where the object array of types ``types`` is exactly one of ``kinds`` (a bool mask)."""
    import numpy as np

    mask = np.zeros(len(types), dtype=bool)
    for kind in kinds:
        boxed = np.empty((), dtype=object)
        boxed[()] = kind  # boxed, or NumPy reads a scalar type such as np.bool_ as a dtype
        mask |= types == boxed
    return mask


def _category_texts_by_type(name: str, arr: Any, where: Callable[[int], str] | None) -> list[str | None]:
    """:func:`category_texts` of the 1-D object array ``arr``, its common types a column at a time."""
    import numpy as np

    n = len(arr)
    types = np.fromiter(map(type, arr), dtype=object, count=n)
    is_float = _of_type(types, float)
    floats = arr[is_float].astype(np.float64)
    infinite = np.flatnonzero(is_float)[np.isinf(floats)]
    stop = int(infinite[0]) if infinite.size else n  # the rule stops at the first infinite float, or earlier at another cell
    out = np.full(n, None, dtype=object)
    is_str = _of_type(types, str)
    out[is_str] = arr[is_str]  # str(value) is value
    is_text = _of_type(types, int, bool, np.bool_)  # str(value), never missing nor infinite
    if is_text.any():
        out[is_text] = list(map(str, arr[is_text]))
    is_text |= is_str
    present = ~np.isnan(floats)
    whole = present & ~np.isinf(floats) & (floats == np.trunc(floats)) & (np.abs(floats) < _EXACT)
    float_text = np.full(len(floats), None, dtype=object)
    float_text[whole] = _texts(floats[whole].astype(np.int64))  # 2.0 -> "2", as category_text writes it
    other = present & ~whole
    float_text[other] = _texts(floats[other])
    out[is_float] = float_text
    rest = np.flatnonzero(~(is_text | is_float | _of_type(types, type(None))))
    rest = rest[rest < stop]  # other types by the rule, in order (one may be an infinite Decimal before the float)
    if rest.size:
        out[rest] = _rest_texts(name, arr[rest], where, rest.tolist())
    if stop < n:
        _category_texts_each(name, arr[stop : stop + 1], where, [stop])  # raises the rule's error for that cell
    return out.tolist()  # type: ignore[no-any-return]


def category_lookup(categories: list[str]) -> dict[str, int]:
    """Text -> position of each stored category, plus ``"2"`` for a ``"2.0"`` stored before :func:`category_text` existed.

    Parameters
    ----------
    categories : list of str
        The stored categories.
    """
    codes = {str(c): i for i, c in enumerate(categories)}
    for c, i in list(codes.items()):
        m = _WHOLE_FLOAT_TEXT.fullmatch(c)
        if m is not None:
            codes.setdefault(str(int(m.group(1))), i)
    return codes


__all__ = ["BOOL_TEXT", "category_lookup", "category_text", "category_texts", "check_column_names", "check_readable", "decimal_floats", "is_missing", "numeric_matrix", "numeric_values", "refuse_infinite", "unreadable_kind"]
