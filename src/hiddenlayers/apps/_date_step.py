"""The step of a forecaster's training dates, kept in its file and checked against the dates it is given later.

A :class:`~hiddenlayers.apps.Forecaster` reads values, not dates: a model fitted on monthly values and given daily rows
forecasts from its window of 24 values all the same, but they span 24 days, not the 24 months it learnt from, and its
forecasts come out as the next days. Nothing in the numbers says so. ``fit`` on a pandas Series of dates (and ``train
--app forecaster`` on a file with a date column) keeps the dates' step (``freq_``, :func:`~hiddenlayers.apps.date_step`);
``predict``, ``forecast``, ``score`` and ``backtest`` (the ``predict`` and ``evaluate`` commands) refuse dates of another
step, naming both and the fix. Refused, not warned: darts refuses to join series of different frequencies, and sktime
forecasts in the frequency of the data it was fitted on; a forecast from another step is wrong in every value. A model
without a stored step (fitted on an array, or a file written before it was kept) is not checked.

Two steps are the same when they span the same time on average (:func:`steps_differ`): month starts and month ends are
one monthly step, weekly on Sundays and on Mondays one weekly step; business days and days are not.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import DataError

_SAME = 0.01  # two steps whose mean lengths are within this share of each other are one step (month starts, month ends)
_SPAN = 24  # steps of a calendar offset (months, business days) measured for its mean length


def _mean_days(step: str) -> float:
    """The mean length of ``step`` (a pandas offset alias) in days: a fixed one's own (hours, days), a calendar one's over
    :data:`_SPAN` steps (a month ~30.4, a business day 1.4)."""
    import pandas as pd

    offset = pd.tseries.frequencies.to_offset(step)
    try:
        return float(pd.Timedelta(offset).total_seconds()) / 86400
    except (TypeError, ValueError):  # a calendar offset: no fixed length
        grid = pd.date_range("2001-01-01", periods=_SPAN + 1, freq=offset, unit="s")
        return float((grid[-1] - grid[0]).total_seconds()) / 86400 / _SPAN


def steps_differ(trained: str, found: str) -> bool:
    """Whether the step ``found`` (of new dates) differs from ``trained`` (the training series'): their mean lengths differ by
    more than 1% (``"MS"`` and ``"ME"`` are one step, ``"D"`` and ``"B"`` two).

    Parameters
    ----------
    trained : str
        The training series' step, a pandas offset alias (``Forecaster.freq_``).
    found : str
        The new dates' step (:func:`~hiddenlayers.apps.date_step`).
    """
    a, b = _mean_days(trained), _mean_days(found)
    return abs(a - b) > _SAME * max(a, b)


def step_mismatch_message(found: str, trained: str, named: str, window: int, fix: str) -> str:
    """The one-line refusal of dates stepping by ``found`` given to a model fitted on values ``trained`` apart.

    Parameters
    ----------
    found : str
        The new dates' step (a pandas offset alias).
    trained : str
        The training series' step.
    named : str
        Names the dates ("the dates of series", "the dates of column 'day'").
    window : int
        The model's window (values each forecast reads).
    fix : str
        The remedy in the caller's words.
    """
    return (f"{named} step by '{found}', but the model was fitted on values one '{trained}' apart: its window of {window} values "
            f"would span {window} steps of '{found}', not the {window} steps of '{trained}' it learnt from, and each forecast would be "
            f"read as one '{found}' step after the last; {fix}.")


def _follows(dates: Any, trained: str) -> bool:
    """Whether ``dates`` are exactly consecutive steps of ``trained`` from their first (three business days Monday to Wednesday
    are, though their own inferred step is a day: too few to show a weekend)."""
    import pandas as pd

    index = dates.to_timestamp() if isinstance(dates, pd.PeriodIndex) else pd.DatetimeIndex(dates)
    try:
        grid = pd.date_range(index[0], periods=len(index), freq=trained)
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(len(grid) == len(index) and (grid == index).all())


def mismatched_step(dates: Any, trained: str | None, *, wall: Any = None) -> str | None:
    """The step of ``dates`` where it differs from ``trained`` (the model's ``freq_``), else None.

    None also where there is nothing to compare (no ``trained`` step, fewer than 3 dates), or where the dates are exactly
    consecutive steps of ``trained`` though their own inferred step is another (business days within one week read as days).

    Parameters
    ----------
    dates : DatetimeIndex, PeriodIndex or array-like
        The new series' dates, in time order.
    trained : str or None
        The training series' step, a pandas offset alias.
    wall : DatetimeIndex, optional
        As in :func:`~hiddenlayers.apps.date_gaps`: the same dates in local wall-clock time, for dates in UTC whose rows
        carried their own offsets.
    """
    from ._date_gaps import date_step

    if trained is None:
        return None
    found = date_step(dates, wall=wall)
    if found is None or not steps_differ(trained, found) or _follows(dates if wall is None else wall, trained):
        return None
    return found


def series_step(series: Any) -> str | None:
    """The step of ``series``' dates where it is a pandas Series (or DataFrame) on a time index (dates, periods), else None."""
    import pandas as pd

    from ._date_gaps import date_step

    index = getattr(series, "index", None)
    return date_step(index) if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) else None


def check_series_step(series: Any, trained: str | None, name: str, window: int) -> None:
    """Refuse ``series`` (a pandas Series on a time index) whose dates step otherwise than ``trained``; anything else (an
    array, a model with no stored step, dates too few to tell a step) passes.

    Parameters
    ----------
    series : Any
        The values given, as the user gave them.
    trained : str or None
        The model's ``freq_``.
    name : str
        The argument's name in the message (``series``, ``X``).
    window : int
        The model's window.
    """
    import pandas as pd

    index = getattr(series, "index", None)
    found = mismatched_step(index, trained) if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) else None
    if found is None or trained is None:
        return
    fix = (f"resample {name} to the model's step first ({name}.resample('{trained}').mean(), or .asfreq('{trained}') to keep its values), "
           f"or fit a model on values of this step")
    raise DataError(step_mismatch_message(found, trained, f"the dates of {name}", window, fix))


def checked_freq(value: Any, path: Any) -> str | None:
    """A model file's stored step ``value`` (None, or a pandas offset alias), refused as a damaged file where it is neither.

    Parameters
    ----------
    value : Any
        The stored ``freq_``.
    path : Any
        The file, for the message.
    """
    import pandas as pd

    from ..exceptions import ModelFileError

    if value is None:
        return None
    try:
        valid = isinstance(value, str) and pd.tseries.frequencies.to_offset(value) is not None
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ModelFileError(f"'{path}' freq_ {value!r} is not a pandas frequency: the file was altered or is damaged.")
    return value


__all__ = ["check_series_step", "checked_freq", "mismatched_step", "series_step", "step_mismatch_message", "steps_differ"]
