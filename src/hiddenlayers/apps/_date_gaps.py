"""Gaps in a series' dates: the step they mostly take, and where steps are missing.

A :class:`~hiddenlayers.apps.Forecaster` reads its values as evenly spaced steps, so a series of dates with gaps (daily
with some days missing) is trained on as if no day were missing: a lag window across a gap spans more time than the
others. statsmodels warns about a date index without a frequency; here :func:`date_gaps` finds the step (pandas'
``infer_freq`` on the whole index, else the most common answer on short stretches of it: calendar steps such as business
days or month starts are found as such) and counts the places where steps are missing (a time-zone-aware index's days in
local calendar days, so a daylight-saving change is no gap), and :func:`date_gaps_message` says it once (``Forecaster.fit``'s warning, ``train --app forecaster``'s note). Gaps are not refused: they may be meant.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

_STRETCH = 8  # values per stretch whose step is inferred when the whole index has none
_STRETCHES = 51  # at most this many stretches, spread over the index
_GRID_ROOM = 20  # a calendar grid of more than this many steps per value is not built (the step is then the modal difference)


@dataclass(frozen=True)
class DateGaps:
    """Where a series' dates skip steps.

    Attributes
    ----------
    step : str
        The inferred step as pandas' alias (``"D"``, ``"B"``, ``"MS"``, ``"2h"``).
    gaps : int
        The places where at least one step is missing.
    missing : int
        The steps missing in all.
    first : int
        The position of the first date after a gap (the one before it is ``first - 1``).
    off_step : int
        Dates not on the step's grid (irregular times), counted apart.
    """

    step: str
    gaps: int
    missing: int
    first: int
    off_step: int


def _infer(index: Any) -> Any:
    """pandas' inferred frequency of ``index`` as an offset, or None (irregular, or too short)."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3's notice that infer_freq will return an offset, not a string
        try:
            freq = pd.infer_freq(index)
        except (TypeError, ValueError):
            return None
    return None if freq is None else pd.tseries.frequencies.to_offset(freq)


def _common_step(index: Any) -> Any:
    """The step most short stretches of ``index`` take (an offset), or its most common difference where none has one."""
    import pandas as pd

    n = len(index)
    width = min(_STRETCH, n)
    starts = np.unique(np.linspace(0, n - width, num=min(_STRETCHES, n - width + 1)).astype(int))
    found = Counter(f for s in starts if (f := _infer(index[s : s + width])) is not None)
    if found:
        return found.most_common(1)[0][0]
    diffs = np.diff(index.asi8)
    values, counts = np.unique(diffs[diffs > 0], return_counts=True)
    return pd.tseries.frequencies.to_offset(pd.Timedelta(int(values[counts.argmax()]), unit="ns")) if values.size else None


def _positions(index: Any, step: Any) -> np.ndarray:
    """Each date's step number counted from the first date (-1: off the step's grid)."""
    import pandas as pd

    ns = index.asi8
    try:
        fixed = pd.Timedelta(step).as_unit("ns").value  # a fixed duration (hours, seconds): arithmetic, no grid
    except (TypeError, ValueError):
        fixed = None
    span = int(ns[-1] - ns[0])
    typical = int(np.median(np.diff(ns))) or 1
    if fixed is None and span // typical > _GRID_ROOM * len(index):
        fixed = typical  # a calendar grid this large is not built: the typical difference stands in
    if fixed is not None:
        offset = ns - ns[0]
        return np.where(offset % fixed == 0, offset // fixed, -1)
    grid = pd.date_range(index[0], index[-1], freq=step)
    pos = grid.get_indexer(index)
    return pos if len(grid) and grid[0] == index[0] else np.where(pos >= 0, pos + 1, -1)


def _calendar_view(index: Any, step: Any, wall: Any = None) -> Any:
    """``index`` as its steps are counted: a time-zone-aware index whose step is a day or longer (days, weeks, business days,
    months) in local wall-clock time (``wall`` where given, else the index's own), so the 23- and 25-hour days of a
    daylight-saving change are one day each, not off the step; a step shorter than a day (hours, minutes) in elapsed time,
    as the index holds it (a DST change skips or repeats an hour of the clock, not of the series)."""
    import pandas as pd

    if index.tz is None:
        return index
    try:
        if pd.Timedelta(step) < pd.Timedelta(days=1):
            return index
    except (TypeError, ValueError):  # a calendar step (weeks, months, business days): no fixed duration
        pass
    return index.tz_localize(None) if wall is None else wall


def date_gaps(dates: Any, *, wall: Any = None) -> DateGaps | None:
    """The gaps of ``dates``, or None where they are evenly spaced in some step.

    None also for fewer than 3 dates, or any missing date. Evenly spaced is in pandas' frequencies: days, business days,
    month ends, ...

    Parameters
    ----------
    dates : DatetimeIndex, PeriodIndex or array-like
        In time order; anything ``pd.DatetimeIndex`` reads.
    wall : DatetimeIndex, optional
        For ``dates`` in UTC whose rows each carried their own UTC offset (a CSV of a time-zone-aware index, whose offset
        changes at daylight saving, so no one zone reads it), the same dates in local wall-clock time (time-zone-naive, as
        written without the offset): steps of a day or longer are counted on it, as a time-zone-aware index's are.
    """
    import pandas as pd

    index = dates.to_timestamp() if isinstance(dates, pd.PeriodIndex) else pd.DatetimeIndex(dates)
    local = None if wall is None else pd.DatetimeIndex(wall)
    if len(index) < 3 or index.hasnans or _infer(index) is not None or (local is not None and _infer(local) is not None):
        return None
    try:
        index = index.as_unit("ns")  # one unit for the index's and the step's integers
        local = None if local is None else local.as_unit("ns")
    except (ValueError, OverflowError):  # dates beyond nanoseconds' range (years before 1677 or after 2262): not checked
        return None
    step = _common_step(index if local is None else local)
    if step is None:
        return None
    pos = _positions(_calendar_view(index, step, local), step)
    both = (pos[:-1] >= 0) & (pos[1:] >= 0)  # pairs of neighbours both on the grid: a jump of more than one step is a gap
    jumps = np.diff(pos)
    skipped = np.flatnonzero(both & (jumps > 1))
    off_step = int((pos < 0).sum())
    if not skipped.size and not off_step:
        return None
    first = int(skipped[0]) + 1 if skipped.size else int(np.flatnonzero(pos < 0)[0])
    return DateGaps(step.freqstr, int(skipped.size), int((jumps[skipped] - 1).sum()), first, off_step)


def _step_of(index: Any, local: Any) -> Any:
    """The step ``index`` takes (``local``: its wall-clock times, where given, are read instead), an offset: pandas' inferred
    frequency, else the step most of its short stretches take (:func:`_common_step`); None where none can be told."""
    step = _infer(index if local is None else local)
    if step is None:
        try:
            step = _common_step(index.as_unit("ns") if local is None else local.as_unit("ns"))
        except (ValueError, OverflowError):  # dates beyond nanoseconds' range
            return None
    return step


def date_step(dates: Any, *, wall: Any = None) -> str | None:
    """The step of ``dates`` as pandas' offset alias (``"D"``, ``"MS"``, ``"B"``, ``"2h"``), or None where it cannot be told.

    The step :func:`next_dates` dates a forecast in and :func:`date_gaps` counts gaps in: pandas' inferred frequency, else the
    step most of the dates take (dates with gaps still have one). A ``PeriodIndex`` is read as its start times (monthly
    periods: ``"MS"``). None for fewer than 3 dates or a missing one (NaT). ``Forecaster.fit`` stores it as ``freq_``.

    Parameters
    ----------
    dates : DatetimeIndex, PeriodIndex or array-like
        In time order; anything ``pd.DatetimeIndex`` reads.
    wall : DatetimeIndex, optional
        As in :func:`date_gaps`: the same dates in local wall-clock time, for dates in UTC whose rows carried their own offsets.
    """
    import pandas as pd

    index = dates.to_timestamp() if isinstance(dates, pd.PeriodIndex) else pd.DatetimeIndex(dates)
    local = None if wall is None else pd.DatetimeIndex(wall)
    if len(index) < 3 or index.hasnans or (local is not None and local.hasnans):
        return None
    step = _step_of(index, local)
    return None if step is None else str(step.freqstr)


def next_dates(dates: Any, steps: int, *, wall: Any = None, step: str | None = None) -> Any:
    """The ``steps`` dates after the last of ``dates``, one step of theirs apart: the dates of a forecast's values, or None.

    The step is the one :func:`date_gaps` counts in (pandas' inferred frequency: days, business days, month starts, ...;
    else the step most of the dates take), so the first forecast value is dated one step after the last observed date, as
    statsmodels' ``forecast`` and sktime's ``ForecastingHorizon`` date theirs. None for a missing date (NaT), or fewer than 3
    dates without ``step``. A time-zone-aware index keeps its zone (a day is a calendar day across daylight saving).

    Parameters
    ----------
    dates : DatetimeIndex, PeriodIndex or array-like
        The observed dates, in time order; anything ``pd.DatetimeIndex`` reads.
    steps : int
        Dates to give (the forecast's length).
    wall : DatetimeIndex, optional
        As in :func:`date_gaps`: for ``dates`` in UTC whose rows each carried their own UTC offset, the same dates in local
        wall-clock time; a step of a day or longer goes on from the last of these (the dates are then local and naive,
        since no one zone reads them), a shorter step from the UTC instants.
    step : str, optional
        The step (a pandas offset alias) to date in where ``dates`` are too few to tell theirs (fewer than 3): the model's
        training series' step (``Forecaster.freq_``), so one or two rows still give dated forecasts.
    """
    import pandas as pd

    if isinstance(dates, pd.PeriodIndex):
        return pd.period_range(dates[-1] + 1, periods=steps, freq=dates.freq) if len(dates) else None
    index = pd.DatetimeIndex(dates)
    local = None if wall is None else pd.DatetimeIndex(wall)
    if not len(index) or index.hasnans or (local is not None and local.hasnans):
        return None
    if len(index) < 3:
        if step is None:
            return None
        offset = pd.tseries.frequencies.to_offset(step)
    else:
        offset = _step_of(index, local)
    if offset is None:
        return None
    last = index[-1] if local is None or _calendar_view(index, offset, local) is index else local[-1]
    return pd.date_range(last, periods=steps + 1, freq=offset)[1:]


def shown_date(date: Any) -> str:
    """A date as a user wrote it: ``2024-01-05`` at midnight, else with its time (a Period as itself)."""
    import pandas as pd

    if isinstance(date, pd.Timestamp) and date == date.normalize():
        return date.date().isoformat()
    return str(date)


def date_gaps_message(gaps: DateGaps, dates: Any, named: str, where: Callable[[int], str], fix: str) -> str:
    """The one warning on ``gaps`` of ``dates`` (as :func:`date_gaps` read them).

    Parameters
    ----------
    gaps : DateGaps
        What :func:`date_gaps` found.
    dates : DatetimeIndex or array-like
        The dates.
    named : str
        Names the dates ("the series' dates", "the dates of column 'day'").
    where : callable
        ``where(i)`` places date ``i`` ("position 4", "line 6").
    fix : str
        The remedy in the caller's words.
    """
    i = gaps.first
    before, after = (shown_date(dates[j]) for j in (i - 1, max(i, 1)))
    if gaps.gaps:
        what = (f"{gaps.gaps} gap(s) ({gaps.missing} missing step(s) of '{gaps.step}'), the first after {before} ({where(i - 1)}), "
                f"whose next date is {after}")
        what += f"; {gaps.off_step} date(s) are off that step" if gaps.off_step else ""
    else:
        what = f"{gaps.off_step} date(s) off its step of '{gaps.step}', the first {after} ({where(i)}, after {before})"
    return (f"{named} are not evenly spaced: {what}. A Forecaster reads the values as evenly spaced steps, so a lag window "
            f"across a gap spans more time than the others: {fix}, or leave them if the gaps are meant (market days, say).")


def warn_series_gaps(series: Any) -> None:
    """``Forecaster.fit``'s one ``UserWarning`` when ``series`` is a pandas Series on a time index (dates, periods) whose dates
    skip steps (:func:`date_gaps`); nothing for another series."""
    import pandas as pd

    from .._stacklevel import user_stacklevel

    index = getattr(series, "index", None)
    if not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        return
    gaps = date_gaps(index)
    if gaps is not None:
        fix = f"fill the missing dates first (e.g. series.asfreq('{gaps.step}').interpolate())"
        warnings.warn(date_gaps_message(gaps, index, "the series' dates", lambda i: f"position {i}", fix), UserWarning,
                      stacklevel=user_stacklevel())


__all__ = ["DateGaps", "date_gaps", "date_step", "date_gaps_message", "next_dates", "warn_series_gaps"]
