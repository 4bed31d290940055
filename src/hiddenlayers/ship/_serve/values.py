"""What a request's values mean: the server's number and missing-value rule, the CSV reader's.

``hiddenlayers train`` and ``hiddenlayers predict`` read CSV through pandas: a
cell in :data:`MISSING_TEXT` (after trimming spaces) is missing, a number is
plain decimal notation (``12``, ``-3.5``, ``.5``, ``1e-3``; ``inf`` and
``Infinity`` are numbers too, refused later as infinite), and anything else
(``1_000``, ``0x10``, ``1,5``, ``١٢``) is text, which a numeric column refuses.
The server reads text sent for a numeric column by the same rule, so a row
posted as JSON gets the answer its CSV line would get (Python's ``float()``
alone would take ``1_000`` and ``١٢`` and refuse ``NA``). Text sent for a
categorical column is missing by the same markers (:func:`category`): ``"NA"``
is a missing city in a CSV, so it is one in a request too, not a category. The
one exception is the model's own vocabulary: a column whose fitted categories
hold such text (a model fitted on a DataFrame whose region ``"NA"`` is North
America) reads that exact text as the category (null is missing there), where
a CSV file given to ``hiddenlayers predict`` cannot hold it (pandas reads it as missing).

A boolean sent for a numeric column (JSON ``true``/``false``, an Arrow bool,
or the text ``True``/``false`` a CSV reader takes for one) is ``1.0``/``0.0``,
the one rule of :mod:`hiddenlayers.data` (``numeric_values``): a model fitted
in Python on a DataFrame's bool column learned it so, and ``hiddenlayers
predict`` reads a CSV or Parquet bool column so.

A float32 network: a value beyond its range (:data:`F32_MAX`) would become
infinite inside and come out as NaN, so it is refused by name; a float64 network
(``dtype="float64"``, or its float64 ``.onnx`` export) takes any finite float64.
"""

from __future__ import annotations

import math
import re
import sys
from decimal import Decimal
from typing import Any

from ...data import BOOL_TEXT, F32_MAX, MISSING_TEXT

_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity)", re.IGNORECASE)
F32_TEXT = "±3.4e38, the float32 range the model computes in"
F64_MAX = sys.float_info.max
F64_TEXT = "±1.8e308, the float64 range the model computes in"


def text_number(text: str) -> float | None:
    """``text`` as a number by the CSV reader's rule: NaN when it means missing, None when it is not a number.

    ``True``/``false`` (:data:`~hiddenlayers.data.BOOL_TEXT`) are 1.0/0.0, as in a numeric column of a CSV file.
    """
    text = text.strip()
    if text in MISSING_TEXT:
        return math.nan
    if text.lower() in BOOL_TEXT:
        return BOOL_TEXT[text.lower()]
    if _NUMBER.fullmatch(text) is None:
        return None
    return float(text)


def category(text: str) -> str | None:
    """``text`` sent for a categorical column by the CSV reader's rule: None when it means missing, else itself.

    The reader (pandas, ``skipinitialspace=True``) skips the spaces that open a
    cell, then takes a cell in :data:`MISSING_TEXT` as missing: so ``" NA"`` and
    ``"  "`` are missing, while ``"NA "``, ``"\\tNA"`` and ``"na"`` are text. Text that
    means a value is kept exactly as sent.
    """
    return None if text.lstrip(" ") in MISSING_TEXT else text


def number(v: Any, where: str, double: bool = False) -> float:
    """One value sent for a numeric column, checked: a float (NaN = missing) within float32's range (``double``: a model that
    computes in float64, float64's); ``true``/``false`` are 1.0/0.0.

    ``where`` names the cell ("row 2, column 'age'"). Raises :class:`ValueError`
    with a one-line message naming it and the fix; the caller makes it a 422.
    """
    if v is None:
        return math.nan
    if isinstance(v, str):
        parsed = text_number(v)
        if parsed is None:
            raise ValueError(f"{where} must be numeric but holds {v!r:.40}: send a number, or null for missing.")
        v = parsed
    elif isinstance(v, (bool, Decimal)):  # true/false: 1.0/0.0, as a bool column of a DataFrame, CSV or Parquet file
        v = float(v)
    elif not isinstance(v, (int, float)):
        raise ValueError(f"{where} must be a number or null. Received: {type(v).__name__} {v!r:.40}.")
    if v != v:
        return math.nan
    if isinstance(v, float) and math.isinf(v):
        raise ValueError(f"{where} is infinite: send a finite number, or null for missing.")
    limit, text = (F64_MAX, F64_TEXT) if double else (F32_MAX, F32_TEXT)
    if not -limit <= v <= limit:  # exact for Python ints of any size (no float conversion)
        raise ValueError(f"{where} is out of range: {shown(v)} is beyond {text}: send a smaller number, or null for missing.")
    return float(v)


def shown(v: float | int) -> str:
    """A number as a message shows it: 3 significant digits, or the digit count of an int too long for a float."""
    try:
        return f"{float(v):.3g}"
    except OverflowError:
        return f"{'a negative' if v < 0 else 'an'} integer of {len(str(abs(int(v))))} digits"


__all__ = ["F32_MAX", "F64_MAX", "MISSING_TEXT", "category", "number", "shown", "text_number"]

