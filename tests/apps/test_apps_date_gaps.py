"""apps/_date_gaps.py: where a series' dates skip steps, and Forecaster.fit's one warning about it (it read them as evenly spaced, silently)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
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


@settings(max_examples=30, deadline=None)
@given(tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney"]), freq=st.sampled_from(["D", "2D", "W-SUN", "MS", "B"]),
       data=st.data())
def test_a_time_zone_aware_series_across_dst_counts_local_calendar_steps(tz: str, freq: str, data: st.DataObject) -> None:
    """A daily series in a zone with daylight saving has a 23- and a 25-hour day each year: they were off-step dates (every date
    after the change, counted in 24-hour steps). Now days are local calendar days: only the dates dropped are gaps."""
    index = pd.date_range("2023-09-01", "2025-05-01", freq=freq, tz=tz)  # both of each zone's changes, twice
    if freq in ("D", "2D", "B"):
        index = index[: 220]  # a few hundred dates keep it cheap, still across a change
    n = len(index)
    dropped = sorted(data.draw(st.sets(st.integers(1, n - 2), min_size=1, max_size=3)))
    runs = 1 + int(np.sum(np.diff(dropped) > 1))
    kept = index.delete(dropped)
    assert date_gaps(kept) == DateGaps(pd.tseries.frequencies.to_offset(freq).freqstr, runs, len(dropped), dropped[0], 0)
    assert date_gaps(pd.DatetimeIndex(list(index))) is None  # no freq attribute: the steps are read from the dates alone


def test_an_hourly_series_across_dst_counts_elapsed_hours() -> None:
    """Hours stay hours of elapsed time: the clock's skipped or repeated hour at a change is no gap, a dropped hour is one."""
    index = pd.date_range("2024-03-30 20:00", "2024-04-01", freq="h", tz="Europe/Berlin")  # 2024-03-31 02:00 does not exist
    assert date_gaps(pd.DatetimeIndex(list(index))) is None
    assert date_gaps(index.delete(12)) == DateGaps("h", 1, 1, 12, 0)
    fall = pd.date_range("2024-10-26 20:00", "2024-10-28", freq="h", tz="Europe/Berlin")  # 02:00 comes twice
    assert date_gaps(fall.delete([5, 6])) == DateGaps("h", 1, 2, 5, 0)


def test_forecaster_fit_on_a_daily_series_across_dst_warns_of_the_dropped_day_only() -> None:
    index = pd.date_range("2024-03-20", periods=30, freq="D", tz="Europe/Berlin").delete(20)  # DST starts 2024-03-31
    series = pd.Series(np.sin(np.arange(29) / 3), index=index)
    with pytest.warns(UserWarning, match=r"1 gap\(s\) \(1 missing step\(s\) of 'D'\), the first after 2024-04-08 .*next date is 2024-04-10") as caught:
        Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(series)
    assert not any("off that step" in str(w.message) for w in caught)


def test_utc_dates_with_their_local_wall_clock_count_calendar_days_and_elapsed_hours() -> None:
    """Dates whose UTC offsets change at DST (a CSV of a tz-aware index) come as UTC instants plus their wall-clock times:
    days are counted on the wall clock (the 23-hour day is no gap), hours in elapsed time (the clock's skipped hour is none)."""
    days = pd.date_range("2024-03-20", periods=30, freq="D", tz="Europe/Berlin")
    for index, expected in ((days, None), (days.delete(20), DateGaps("D", 1, 1, 20, 0))):
        utc = index.tz_convert("UTC")
        assert date_gaps(utc, wall=index.tz_localize(None)) == expected
    assert date_gaps(days.tz_convert("UTC")).off_step > 0  # without the wall clock, UTC days after the change are off the step
    hours = pd.date_range("2024-03-30 20:00", "2024-04-01", freq="h", tz="Europe/Berlin")  # 2024-03-31 02:00 does not exist
    assert date_gaps(hours.tz_convert("UTC"), wall=hours.tz_localize(None)) is None
    assert date_gaps(hours.delete(12).tz_convert("UTC"), wall=hours.delete(12).tz_localize(None)) == DateGaps("h", 1, 1, 12, 0)


@settings(max_examples=40, deadline=None)
@given(freq=st.sampled_from(FREQS), n=st.integers(3, 40), steps=st.integers(1, 12), start=st.integers(0, 3000), tz=st.sampled_from([None, "Europe/Paris"]))
def test_next_dates_go_on_one_step_after_the_last_date(freq: str, n: int, steps: int, start: int, tz: str | None) -> None:
    """A forecast's dates are the observed dates' next ``steps`` in their own step (business days, month starts, hours across
    daylight saving), the first one step after the last observed date."""
    from hiddenlayers.apps import next_dates

    first = pd.Timestamp("2001-01-01", tz=tz) + pd.Timedelta(days=start)
    whole = pd.date_range(first, periods=n + steps, freq=freq)
    pd.testing.assert_index_equal(next_dates(whole[:n], steps), whole[n:], check_names=False, exact=False)


def test_next_dates_after_gaps_periods_and_too_few_dates() -> None:
    from hiddenlayers.apps import next_dates

    days = pd.date_range("2024-01-01", periods=30, freq="D").delete([6, 7, 15])  # gaps: the step is still a day
    assert list(next_dates(days, 2).strftime("%Y-%m-%d")) == ["2024-01-31", "2024-02-01"]
    assert list(next_dates(pd.period_range("2020Q1", periods=4, freq="Q"), 2).astype(str)) == ["2021Q1", "2021Q2"]
    assert next_dates(pd.DatetimeIndex(["2024-01-01", "2024-01-02"]), 3) is None  # two dates: no step to tell
    assert next_dates(pd.DatetimeIndex(["2024-01-01", None, "2024-01-03"]), 3) is None


def test_next_dates_of_utc_dates_with_their_wall_clock_times_go_on_in_local_days_or_utc_hours() -> None:
    """A CSV of a Paris index across daylight saving carries +01:00 then +02:00, read as UTC with the local times beside."""
    from hiddenlayers.apps import next_dates

    days = pd.date_range("2024-03-25", periods=10, freq="D", tz="Europe/Paris")
    got = next_dates(days.tz_convert("UTC"), 2, wall=days.tz_localize(None))
    assert list(got.strftime("%Y-%m-%d %H:%M")) == ["2024-04-04 00:00", "2024-04-05 00:00"] and got.tz is None  # local midnights
    hours = pd.date_range("2024-03-30 20:00", periods=10, freq="h", tz="Europe/Paris")
    got = next_dates(hours.tz_convert("UTC"), 2, wall=hours.tz_localize(None))
    assert list(got) == list(pd.date_range(hours[-1], periods=3, freq="h")[1:].tz_convert("UTC"))  # elapsed hours, in UTC
