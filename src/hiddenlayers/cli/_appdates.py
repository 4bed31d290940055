"""A Forecaster's table with a column of dates not written in ISO 8601: one line naming it, never ignored in silence.

``train --app forecaster``, ``predict`` and ``evaluate`` read a date column to refuse a file out of time order (a
newest-first export would be trained on and forecast as the series reversed), to keep the dates' step and to date the
forecasts; they read dates and ISO 8601 text only, since ``01/02/2001`` is the 2nd of January or the 1st of February by
the writer's custom. A column of other date text (``12/01/2001``, ``01.12.2001``, ``Dec 2001``) was taken for no date
column: a newest-first file of them trained reversed without a word, and its forecasts had no dates and no step check.
:func:`refuse_unread_dates` refuses such a column, naming its first cell and pandas' guess of its format, for the user to
confirm in the fix.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pandas as pd

from ..data import at_row
from ._common import UserError

_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")  # a cell of a date column names its year: "Monday", "May", "12:30", "A1" are no dates
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")  # "2009Q3", as pandas writes a quarterly period (whose reading by to_datetime pandas deprecates)


def _parsed_as_dates(cells: pd.Series) -> bool:
    """Whether every cell (text, none missing) names a year and reads as a date in pandas' own formats (dateutil's)."""
    if not cells.str.contains(_YEAR).all():
        return False
    if cells.str.match(_QUARTER).all():
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' notes on day-first readings and per-element parsing
        try:
            return bool(pd.to_datetime(cells, format="mixed", errors="coerce").notna().all())
        except (ValueError, TypeError, OverflowError):
            return False


def refuse_unread_dates(name: str, col: pd.Series, where: Any) -> None:
    """Refuse the text column ``name`` (``col``, which no cell of reads as ISO 8601) where every present cell is a date of
    another format (:func:`_parsed_as_dates`); any other column passes.

    Parameters
    ----------
    name : str
        The column's name.
    col : pandas.Series
        Its cells, as the table holds them.
    where : callable
        The table's ``where(i)``: the file line of row ``i``.
    """
    cells = col.dropna().astype(str).str.strip()
    if cells.empty or not _parsed_as_dates(cells):
        return
    first = str(cells.iloc[0])
    if cells.str.match(_QUARTER).all():
        fix = f"pd.PeriodIndex(df['{name}'], freq='Q').to_timestamp().strftime('%Y-%m-%d')"
    else:
        from pandas.tseries.api import guess_datetime_format

        guessed = guess_datetime_format(first)
        check = f" ({guessed!r} is pandas' guess from the first cell: check it)" if guessed else ""
        fix = f"pd.to_datetime(df['{name}'], format={guessed or 'mixed'!r}).dt.strftime('%Y-%m-%d'){check}"
    raise UserError(f"the column '{name}' holds dates not written in ISO 8601 ({at_row(col.index.get_loc(cells.index[0]), where)}: {first!r}): a "
                    f"Forecaster reads a date column to check that the rows are oldest first, keep the dates' step and date its forecasts, and "
                    f"reads ISO 8601 text only, since a date such as 01/02/2001 is read day first or month first by custom; rewrite the column "
                    f"as ISO 8601, e.g. pandas: df['{name}'] = {fix}, or drop it.")


__all__ = ["refuse_unread_dates"]
