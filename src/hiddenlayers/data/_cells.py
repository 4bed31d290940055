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
  gives it; categories stored by older versions as ``"1.0"`` still match.
"""

from __future__ import annotations

import math
import re
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


def check_column_names(frame: Any, where: str = "the table") -> None:
    """A :class:`DataError` for a MultiIndex header, or names that repeat once made text (``"a"`` twice, ``1`` and ``"1"``)."""
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
    """What ``col`` (a column, or its dtype) holds when the preprocessing cannot read it ("dates and times", ...), else ``None``."""
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

    ``categories``: the text categories a fitted model learned for the column
    (from a CSV file, say); the message then asks for the column as that text.
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


def category_text(value: Any) -> str:
    """A present cell of a categorical column as the text its category is stored as.

    ``str(value)``, except that a whole float is written as an integer
    (``2.0`` -> ``"2"``), as a column of integers that gained a blank cell (so
    pandas reads floats) still means the same categories.
    """
    import numpy as np

    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value) and abs(float(value)) < _EXACT:
        return str(int(value))
    return str(value)


def category_lookup(categories: list[str]) -> dict[str, int]:
    """Text -> position of each stored category, plus ``"2"`` for a ``"2.0"`` stored before :func:`category_text` existed."""
    codes = {str(c): i for i, c in enumerate(categories)}
    for c, i in list(codes.items()):
        m = _WHOLE_FLOAT_TEXT.fullmatch(c)
        if m is not None:
            codes.setdefault(str(int(m.group(1))), i)
    return codes


__all__ = ["category_lookup", "category_text", "check_column_names", "check_readable", "unreadable_kind"]
