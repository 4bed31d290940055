"""A pandas series on an index of ISO 8601 date text, read as dates by a :class:`~hiddenlayers.apps.Forecaster`.

``pd.read_csv("co2.csv", index_col="date")`` without ``parse_dates`` gives a Series whose index is the dates' text
(``"1958-03-01"``), not a ``DatetimeIndex``. The Forecaster checked only a time index, so such a series from a newest-first
file was trained on and forecast as the series reversed without a word, and its step (``freq_``) was not kept, where
``train --app forecaster`` reads the same file's ISO 8601 column as dates, refuses it out of order and keeps its step.
:func:`with_text_dates` gives the series on the dates that text names, so ``fit``, ``predict``, ``forecast``, ``score`` and
``backtest`` read it as they read a series on dates (order and repeats refused, gaps warned, the step kept and checked,
a backtest's folds dated); so is an object index of ``datetime.date`` values (``df.set_index(df["ts"].dt.date)``). Only text that opens with a year and month (``YYYY-MM``) is read: a year alone, ``"2001"``,
may be a label, and other date text is read day first or month first by custom.
"""

from __future__ import annotations

import re
from typing import Any

_ISO_START = re.compile(r"^\d{4}-\d{2}")


def with_text_dates(series: Any) -> Any:
    """``series`` on a ``DatetimeIndex`` where it is a pandas Series or DataFrame whose index is all ISO 8601 date text
    (each opening ``YYYY-MM``, all parsed by pandas' ISO 8601 reader, in one time zone) or an object index of
    ``datetime.date``/``datetime`` values; else ``series`` itself.

    Parameters
    ----------
    series : Any
        The series as the caller gave it.
    """
    import pandas as pd

    if not isinstance(series, (pd.Series, pd.DataFrame)):
        return series
    index = series.index
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) or not len(index):
        return series
    kind = index.inferred_type
    if kind == "string" and not pd.Series(index, dtype=object).astype(str).str.match(_ISO_START).all():
        return series
    if kind not in ("string", "date", "datetime"):  # numbers, mixed values: no dates
        return series
    try:  # text by pandas' ISO 8601 reader; datetime.date and datetime objects (an object index) as they are
        dates = pd.to_datetime(index, format="ISO8601" if kind == "string" else None, errors="coerce")
    except (ValueError, TypeError):  # mixed UTC offsets: no one time zone, left as the caller gave it
        return series
    if dates.hasnans:
        return series
    return series.set_axis(dates)

__all__ = ["with_text_dates"]
