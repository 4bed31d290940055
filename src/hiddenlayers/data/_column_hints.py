"""Text columns the preprocessing reads as categories but that look like something else: IDs, dates and numbers as text.

:class:`~._preprocessing.TablePreprocessor` one-hot encodes any text column
without error. Two kinds of column are then almost surely a mistake, and it
says so once per column with a :class:`~hiddenlayers.ColumnWarning`:

* an ID: every value distinct, more of them than ``max_categories``, so the
  model keeps ``max_categories - 1`` arbitrary values and sends every other row
  (and every new one) to ``<other>``;
* dates as text (``2021-01-03``, ``2021-01-03T10:00``): each date is a category
  of its own, so a date not seen in training means nothing to the model, and
  their order and distance are lost;
* numbers as text (``"1.5"``, ``"2"``: a Parquet string column, or an object
  column of a DataFrame): a CSV file of the same values is read as numbers,
  but here each value is a category, unordered, and beyond ``max_categories``
  sent to ``<other>``. The column is not converted: that would change what a
  column means without a word (and scikit-learn, like pandas, keeps text as
  text); the warning names the fix, ``pd.to_numeric``, or for numbers written
  with a decimal comma, thousands separators, a percent sign or a currency
  symbol, the pandas line that reads them as written. Codes written with a
  leading zero (``"02139"``) or all digits of one width of 4 or more (zip
  codes, account numbers) are text on purpose and are not warned about.

At most one reason is given per column: dates, then numbers, then ID; whole
numbers that are all distinct (``"1"``, ``"2"``, ... as row numbers) are an ID.
The data check (``id_columns``, ``date_text_columns``, ``numeric_text_columns``)
finds the same columns by the same tests (:func:`dates_as_text`,
:func:`numbers_as_text`), so ``hiddenlayers train`` says it once.
"""

from __future__ import annotations

import re
import warnings
from typing import NamedTuple

from .._stacklevel import user_stacklevel
from ..exceptions import ColumnWarning

#: How many distinct values :func:`dates_as_text` parses (the most frequent first).
SAMPLE = 200
# an ISO date's start (year-month-day) before pandas decides: so '2021', '12' or '3-4' are never dates
_ISO_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# a code, not an amount: a leading zero before a digit ('02139', '-007'), or all digits of one width >= 4 (checked below)
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_DIGITS = re.compile(r"[0-9]+")
# a number written with a decimal comma ('0,2', '-12,75'; or a thousands separator, '1,234'), or a whole number beside them
_COMMA_NUMBER = re.compile(r"[+-]?[0-9]+(,[0-9]+)?")
# thousands separated by commas, then maybe a decimal point: '1,234', '12,345,678.50' (never '0,123': a decimal comma)
_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?")
# an amount of money or a percentage: a sign, a currency symbol before or after, a percent sign after ('$1,200.50', '-€3', '12%', '5 €')
# or a unit after ('2.5 kg', '30km/h', '12 m²')
_DECORATED = re.compile(r"(?P<sign>[+-]?)\s*(?P<pre>[$€£¥₹])?\s*(?P<body>[0-9][0-9.,]*)\s*(?P<post>[$€£¥₹%]|[A-Za-zµ°][A-Za-zµ°/²³]{0,7})?")
_CURRENCY = frozenset("$€£¥₹")
# a space (or a no-break space) between thousands, as French, Nordic and SI writing has it: '1 234 567,5'
_SPACED = re.compile("(?<=[0-9])[ \u00a0\u202f](?=[0-9]{3}(?![0-9]))")
#: Fewer distinct values than this are never warned about as numbers: two one-hot columns say what one number says.
MIN_NUMBER_VALUES = 3


class NumbersAsText(NamedTuple):
    """What :func:`numbers_as_text` found.

    ``example``: one value as written; ``whole``: every value a whole number; ``decimal_comma``: some use a decimal
    comma (``"0,2"``); ``written``: how the numbers are written beyond plain digits, the fix to name: ``""`` (plain),
    ``"decimal_comma"``, ``"thousands"`` (``"1,234"``: read with ``thousands=','``), ``"percent"`` (``"12%"``) or
    ``"currency"`` (``"$1,200.50"``) or ``"unit"`` (``"2.5 kg"``, one unit in the whole column, named by ``unit``): the
    last four are quantities by their look, never an ID. ``spaced``: thousands separated by spaces (``"1 234,5"``).
    """

    example: str
    whole: bool
    decimal_comma: bool = False
    written: str = ""
    unit: str = ""
    spaced: bool = False


def _unspaced(texts: list[str]) -> tuple[list[str], bool]:
    """``texts`` without the spaces between thousands (``"1 234,5"`` -> ``"1234,5"``), and whether there were any."""
    plain = [_SPACED.sub("", t) for t in texts]
    return plain, plain != texts


def _undecorated(texts: list[str]) -> tuple[list[str], str, str] | None:
    """``texts`` without currency symbols, percent signs, a unit and thousands separators, which of them there were, and the unit.

    ``None`` when a value is not a number so written, when the column mixes units (``"5 kg"``, ``"300 g"``: no one
    line converts it), or when the separators are not thousands (``"0,2"``: a decimal comma, which
    :func:`numbers_as_text` reads on). The second item is ``"currency"``, ``"percent"``, ``"unit"``, ``"thousands"`` or ``""``.
    """
    bodies, money, percent, units = [], False, False, set()
    for t in texts:
        m = _DECORATED.fullmatch(t)
        if m is None or (m["pre"] and m["post"]):
            return None
        post = m["post"] or ""
        money = money or bool(m["pre"]) or post in _CURRENCY
        percent = percent or post == "%"
        if post and post not in _CURRENCY and post != "%":
            units.add(post)
        bodies.append(m["sign"] + m["body"])
    if len(units) > 1 or (units and (money or percent)):
        return None
    commas = [b for b in bodies if "," in b]
    thousands = bool(commas) and all(_THOUSANDS.fullmatch(b) for b in commas)
    if thousands:
        bodies = [b.replace(",", "") for b in bodies]
    unit = next(iter(units), "")
    return bodies, "currency" if money else "percent" if percent else "unit" if unit else "thousands" if thousands else "", unit


def dates_as_text(values: list[str]) -> str | None:
    """One of ``values`` as an example when all of them (up to :data:`SAMPLE`) are ISO dates or timestamps, else ``None``.

    ``values``: a text column's distinct present values. A value must start as
    ``YYYY-MM-DD`` and parse with ``pd.to_datetime(format="ISO8601")``.
    """
    import pandas as pd

    sample = [str(v).strip() for v in values[:SAMPLE]]
    if not sample or not all(_ISO_START.match(v) for v in sample):
        return None
    try:  # utc=True: a sample mixing time zones (or none and one) is still dates
        parsed = pd.to_datetime(pd.Series(sample), format="ISO8601", errors="coerce", utc=True)
    except (ValueError, OverflowError):
        return None
    return sample[0] if bool(parsed.notna().all()) else None


def numbers_as_text(values: list[str]) -> NumbersAsText | None:
    """An example of ``values`` when every one is the text of a finite number and none looks like a code, else ``None``.

    ``values``: a text column's distinct present values, most frequent first (all
    of them are parsed, by ``pd.to_numeric`` after stripping spaces). ``None`` too
    for fewer than :data:`MIN_NUMBER_VALUES` values, and for codes: a value with
    a leading zero (``"02139"``), or every value all digits of one width of 4 or more.
    Numbers written with a decimal comma (``"0,2"``: a European spreadsheet's
    export) are numbers too, with ``decimal_comma`` set.
    """
    import numpy as np
    import pandas as pd

    texts = [str(v).strip() for v in values]
    if len(texts) < MIN_NUMBER_VALUES or any(_LEADING_ZERO.match(t) for t in texts):
        return None
    if len(texts[0]) >= 4 and all(len(t) == len(texts[0]) and _DIGITS.fullmatch(t) for t in texts):
        return None
    parsed = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isfinite(parsed).all():
        return NumbersAsText(texts[0], bool((parsed == np.round(parsed)).all()))
    unspaced, spaced = _unspaced(texts)
    plain = _undecorated(unspaced)
    if plain is None:
        return None
    bodies, written, unit = plain
    if spaced and written in ("", "thousands"):
        written = "thousands"
    if all(_COMMA_NUMBER.fullmatch(b) for b in bodies) and any("," in b for b in bodies):
        parsed = np.array([float(b.replace(",", ".")) for b in bodies])
        return NumbersAsText(texts[0], bool((parsed == np.round(parsed)).all()), True, written or "decimal_comma", unit, spaced)
    if not written:
        return None
    parsed = pd.to_numeric(pd.Series(bodies, dtype=object), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(parsed).all():
        return None
    return NumbersAsText(texts[0], bool((parsed == np.round(parsed)).all()), False, written, unit, spaced)


def number_fix(numbers: NumbersAsText, name: str) -> str:
    """The fix for column ``name`` of numbers written as ``numbers`` says (:attr:`NumbersAsText.written`): how to read them as numbers.

    Each way of writing has its own: a decimal comma ``decimal=','``, thousands separators ``thousands=','`` (the
    other reading of ``'1,234'`` named too), a percent sign stripped and divided by 100, currency symbols stripped.
    """
    col = f"df[{name!r}]"
    if numbers.written in ("currency", "unit") or numbers.spaced:
        keep, then = ("0-9,+-", ".str.replace(',', '.')") if numbers.decimal_comma else ("0-9.+-", "")
        if numbers.written == "thousands":  # spaces between thousands ('1 234,5'): no read_csv option reads a no-break space
            return (f"with spaces between thousands ('1 234'): convert the column ({col} = pd.to_numeric({col}.str.replace(r'[^{keep}]', '', "
                    f"regex=True){then})).")
        what = "amounts of money: strip the currency symbols" if numbers.written == "currency" else f"numbers with a unit ({numbers.unit!r}): strip it"
        return f"{what} first ({col} = pd.to_numeric({col}.str.replace(r'[^{keep}]', '', regex=True){then}))."
    if numbers.written == "percent":
        comma = ".str.replace(',', '.')" if numbers.decimal_comma else ""
        return f"percentages: convert the column ({col} = pd.to_numeric({col}.str.rstrip('%'){comma}) / 100)."
    if numbers.written == "thousands":
        return (f"with thousands separators ('1,234'): read the file with pd.read_csv(..., thousands=',') or convert the column "
                f"({col} = pd.to_numeric({col}.str.replace(',', ''))); if the commas are decimal commas instead: decimal=','.")
    if numbers.decimal_comma:
        return (f"with a decimal comma: read the file with pd.read_csv(..., decimal=',') or convert the column "
                f"({col} = pd.to_numeric({col}.str.replace(',', '.'))); a thousands separator instead: thousands=','.")
    return (f"convert it first ({col} = pd.to_numeric({col}), or write it to Parquet as a number column); "
            "a CSV file of the same values is read as numbers.")


# a column name no header holds but a data row does: a decimal number ('0.126', '-1.5e3') or a negative whole number ('-4')
_DATA_NAME = re.compile(r"[+-]?([0-9]*\.[0-9]+|[0-9]+\.[0-9]*)([eE][+-]?[0-9]+)?|-[0-9]+")


def header_as_data(names: list[str]) -> list[str]:
    """The column ``names`` that are numbers as a data row holds them, when they are at least half of them; else ``[]``.

    A file saved without a header row (``df.to_csv(header=False)``, an instrument's export) has its first row of data
    read as the column names: that row is lost, and the names are ``'0.126'``, ``'-0.436'``. A decimal or a negative
    number is never a header's word; a whole number is (years, ``0``, ``1`` of a frame made from an array), so it does not count.
    """
    data = [str(n) for n in names if _DATA_NAME.fullmatch(str(n).strip())]
    return data if data and 2 * len(data) >= len(names) else []


def header_as_data_hint(names: list[str], example: str = "a,b,label") -> str:
    """A sentence for an error about column ``names`` when they look like a row of data (:func:`header_as_data`), else ``""``.

    ``example``: a header line to show (the model's columns, where a model reads the file).
    """
    data = header_as_data(names)
    if not data:
        return ""
    shown = ", ".join(repr(n) for n in data[:3])
    return (f" The header looks like a row of data ({shown}): the file seems to have no header row; add one as its first "
            f"line, naming each column (e.g. {example}).")


def warn_column_hints(name: str, categories: list[str], n_present: int, max_categories: int) -> str | None:
    """Warn when categorical column ``name`` holds dates or numbers as text, or is an ID; returns the reason warned (``"dates"``, ``"numbers"``, ``"id"``) or ``None``.

    ``categories``: its distinct present values, most frequent first;
    ``n_present``: its count of present cells.
    """
    example = dates_as_text(categories)
    if example is not None:
        warnings.warn(ColumnWarning(
            f"column '{name}' holds dates as text (e.g. {example!r}), which the model reads as categories, one per date, unordered, a new date unknown: "
            "turn it into numbers first (e.g. days since a start date, day of week, month), or drop it.", name, "dates"), stacklevel=user_stacklevel())
        return "dates"
    is_id = len(categories) == n_present and len(categories) > max_categories
    numbers = numbers_as_text(categories)
    if numbers is not None and not (is_id and numbers.whole and not numbers.written):
        lumped = f", and it keeps {max_categories - 1} of its {len(categories)} values and sends the rest to '<other>'" if len(categories) > max_categories else ""
        fix = number_fix(numbers, name)
        warnings.warn(ColumnWarning(
            f"column '{name}' holds numbers as text (e.g. {numbers.example!r}), which the model reads as categories, unordered, a new value unknown{lumped}: "
            f"{fix}", name, "numbers"), stacklevel=user_stacklevel())
        return "numbers"
    if is_id:
        warnings.warn(ColumnWarning(
            f"column '{name}': every value is distinct ({n_present} values): an ID? drop it or pass it as a number "
            f"(as categories it keeps {max_categories - 1} of them and sends the rest, and every new value, to '<other>').", name, "id"),
            stacklevel=user_stacklevel())
        return "id"
    return None


__all__ = ["MIN_NUMBER_VALUES", "SAMPLE", "NumbersAsText", "dates_as_text", "header_as_data", "header_as_data_hint", "number_fix", "numbers_as_text", "warn_column_hints"]
