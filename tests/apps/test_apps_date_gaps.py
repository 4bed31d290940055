"""apps/_date_gaps.py: where a series' dates skip steps, and Forecaster.fit's one warning about it (it read them as evenly spaced, silently)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.apps import DateGaps, Forecaster, date_gaps, date_gaps_message

FREQS = ["D", "B", "h", "15min", "W-SUN", "MS", "ME", "QS", "2D"]


@settings(max_examples=40, deadline=None)
@given(freq=st.sampled_from(FREQS), n=st.integers(3, 60), start=st.integers(0, 3000))
def test_evenly_spaced_dates_in_any_step_have_no_gaps(freq: str, n: int, start: int) -> None:
    """Business days, month ends, weeks: a step of their own, never gaps (a user may mean them)."""
    first = pd.Timestamp("2001-01-01") + pd.Timedelta(days=start)
    assert date_gaps(pd.date_range(first, periods=n, freq=freq)) is None


@settings(max_examples=40, deadline=None)
@given(freq=st.sampled_from(["D", "B", "h", "MS"]), n=st.integers(12, 80), data=st.data())
def test_dropped_dates_are_counted_as_gaps_of_the_inferred_step(freq: str, n: int, data: st.DataObject) -> None:
    index = pd.date_range("2020-01-06", periods=n, freq=freq)
    dropped = sorted(data.draw(st.sets(st.integers(1, n - 2), min_size=1, max_size=max(1, n // 6))))
    kept = index.delete(dropped)
    runs = 1 + int(np.sum(np.diff(dropped) > 1))  # neighbouring dropped dates make one gap
    first = dropped[0]  # the first kept date after the first gap is at this position in the kept index
    assert date_gaps(kept) == DateGaps(pd.tseries.frequencies.to_offset(freq).freqstr, runs, len(dropped), first, 0)


def test_short_or_incomplete_or_off_step_dates() -> None:
    assert date_gaps(pd.DatetimeIndex(["2024-01-01", "2024-01-03"])) is None  # fewer than 3: nothing to infer
    assert date_gaps(pd.DatetimeIndex(["2024-01-01", None, "2024-01-04", "2024-01-05"])) is None  # a missing date: fit refuses it elsewhere
    periods = pd.period_range("2020-01", periods=12, freq="M").delete(3)
    assert date_gaps(periods) == DateGaps("MS", 1, 1, 3, 0)
    odd = pd.date_range("2024-01-01", periods=20, freq="D").insert(5, pd.Timestamp("2024-01-05 12:00"))
    got = date_gaps(odd)
    assert got == DateGaps("D", 0, 0, 5, 1)
    assert date_gaps_message(got, odd, "x", lambda i: f"position {i}", "fix") == (
        "x are not evenly spaced: 1 date(s) off its step of 'D', the first 2024-01-05 12:00:00 (position 5, after 2024-01-05). "
        "A Forecaster reads the values as evenly spaced steps, so a lag window across a gap spans more time than the others: "
        "fix, or leave them if the gaps are meant (market days, say).")


def test_forecaster_fit_on_dates_with_gaps_warns_once_and_still_fits() -> None:
    index = pd.date_range("2024-01-01", periods=60, freq="D").delete([9, 30, 31])
    series = pd.Series(np.sin(np.arange(len(index)) / 4), index=index)
    model = Forecaster(window=4, hidden_layer_sizes=(4,), max_iter=2, early_stopping=False, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(series)
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert said == [
        "the series' dates are not evenly spaced: 2 gap(s) (3 missing step(s) of 'D'), the first after 2024-01-09 (position 8), whose "
        "next date is 2024-01-11. A Forecaster reads the values as evenly spaced steps, so a lag window across a gap spans more time "
        "than the others: fill the missing dates first (e.g. series.asfreq('D').interpolate()), or leave them if the gaps are meant "
        "(market days, say)."]
    assert [w.filename for w in caught if issubclass(w.category, UserWarning)] == [__file__]
    assert model.n_iter_ == 2  # fitted all the same: gaps are not refused
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # business days, or a plain array: no warning
        model.fit(pd.Series(np.sin(np.arange(60) / 4), index=pd.bdate_range("2024-01-01", periods=60)))
        model.fit(series.to_numpy())
