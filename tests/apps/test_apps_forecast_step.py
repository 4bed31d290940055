"""A Forecaster keeps its training dates' step (``freq_``) and refuses a series on dates of another step (apps/_date_step).

A model fitted on monthly values and given daily ones forecast from 24 days as if they were 24 months, without a word:
the file did not keep the step. statsmodels, sktime and darts all carry the series' frequency with the model.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import hiddenlayers as hl
from hiddenlayers.apps import Forecaster, date_step, mismatched_step, next_dates, steps_differ
from hiddenlayers.exceptions import DataError

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"
N = 60
VALUES = np.sin(np.arange(N) / 3) + 2


def _on(freq: str, start: str = "2001-01-01", n: int = N) -> pd.Series:
    return pd.Series(VALUES[:n], index=pd.date_range(start, periods=n, freq=freq))


@pytest.fixture(scope="module")
def monthly() -> Forecaster:
    return Forecaster(window=6, horizon=2, hidden_layer_sizes=(4,), max_iter=2, random_state=0, device="cpu").fit(_on("MS"))


def _refusal(name: str, found: str) -> str:
    return (f"the dates of {name} step by '{found}', but the model was fitted on values one 'MS' apart: its window of 6 values would span 6 "
            f"steps of '{found}', not the 6 steps of 'MS' it learnt from, and each forecast would be read as one '{found}' step after the "
            f"last; resample {name} to the model's step first ({name}.resample('MS').mean(), or .asfreq('MS') to keep its values), or fit "
            f"a model on values of this step.")


def test_fit_keeps_the_step_of_a_series_on_dates_and_none_for_an_array(monthly: Forecaster) -> None:
    assert monthly.freq_ == "MS"
    assert Forecaster(window=6, max_iter=1, random_state=0).fit(VALUES).freq_ is None
    periods = pd.Series(VALUES, index=pd.period_range("2001-01", periods=N, freq="M"))  # periods: their start times' step
    assert Forecaster(window=6, max_iter=1, random_state=0).fit(periods).freq_ == "MS"
    with pytest.warns(UserWarning, match="not evenly spaced"):  # dates with gaps still have a step
        gappy = Forecaster(window=6, max_iter=1, random_state=0).fit(pd.Series(VALUES, index=pd.date_range("2001-01-01", periods=N + 1).delete(9)))
    assert gappy.freq_ == "D"


@pytest.mark.filterwarnings("ignore:.*backtest folds forecast values the model was trained on")
@pytest.mark.parametrize("method", ["predict", "forecast", "score", "backtest", "forecast_many"])
def test_a_series_of_another_step_is_refused_naming_both_steps_and_the_fix(monthly: Forecaster, method: str) -> None:
    daily = _on("D")
    call = {"predict": lambda s: monthly.predict(s), "forecast": lambda s: monthly.forecast(3, s), "score": lambda s: monthly.score(s),
            "backtest": lambda s: monthly.backtest(s, steps=2, folds=2), "forecast_many": lambda s: monthly.forecast_many(2, [s])}[method]
    name = {"predict": "X", "score": "X", "forecast_many": "series[0]"}.get(method, "series")
    with pytest.raises(DataError, match=f"^{re.escape(_refusal(name, 'D'))}$"):
        call(daily)
    for same in (_on("ME"), _on("MS", start="2010-07-01"), pd.Series(VALUES, index=pd.period_range("2001-01", periods=N, freq="M")), VALUES):
        call(same)  # month ends, later months, monthly periods, an array: the same step or none to check


def test_a_warm_fit_on_another_step_is_refused_and_the_model_kept(monthly: Forecaster) -> None:
    model = Forecaster(window=6, horizon=2, hidden_layer_sizes=(4,), max_iter=2, random_state=0, device="cpu", warm_start=True).fit(_on("MS"))
    weights = [p.detach().clone() for p in model.network_.parameters()]
    with pytest.raises(DataError, match=r"^the dates of series step by 'W-SUN', but the model was fitted on values one 'MS' apart"):
        model.fit(_on("W-SUN"))
    assert all(torch.equal(a, b) for a, b in zip(weights, model.network_.parameters()))
    assert model.fit(VALUES).freq_ == "MS"  # an array has no dates: the step the model learnt stays


def test_the_file_keeps_the_step_and_an_old_file_loads_unchecked(monthly: Forecaster, tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    monthly.save(path)
    loaded = hl.load(path)
    assert loaded.freq_ == "MS" and pickle.loads(pickle.dumps(loaded)).freq_ == "MS"
    with pytest.raises(DataError, match="step by 'D'"):
        loaded.predict(_on("D"))
    old = Forecaster.load(LEGACY / "forecaster.safetensors")  # written before the step was kept
    assert old.freq_ is None and old.predict(_on("D", n=40)).shape[0] > 0
    with open(LEGACY / "forecaster.pkl", "rb") as f:  # our own fixture, pickled before too
        assert pickle.load(f).freq_ is None


@pytest.mark.parametrize("stored", [7, "every day", ["MS"]])
def test_a_damaged_step_in_the_file_is_a_model_file_error(monthly: Forecaster, tmp_path: Path, stored: object) -> None:
    path = tmp_path / "m.safetensors"
    monthly.save(path)
    with safe_open(str(path), "pt") as f:
        metadata = dict(f.metadata())
    doc = json.loads(metadata["hiddenlayers"])
    doc["state"]["freq_"] = stored
    save_file(load_file(str(path)), str(path), metadata={**metadata, "hiddenlayers": json.dumps(doc)})
    with pytest.raises(hl.ModelFileError, match=r"freq_ .* is not a pandas frequency: the file was altered or is damaged\.$"):
        hl.load(path)


@pytest.mark.parametrize(("a", "b", "differ"), [
    ("MS", "ME", False), ("W-SUN", "W-MON", False), ("D", "24h", False), ("QS-JAN", "QE-DEC", False), ("YS", "YE", False),
    ("D", "B", True), ("MS", "D", True), ("h", "2h", True), ("MS", "QS", True), ("MS", "4W", True), ("W-SUN", "7D", False),
])
def test_steps_differ_by_their_mean_length(a: str, b: str, differ: bool) -> None:
    assert steps_differ(a, b) is differ and steps_differ(b, a) is differ


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["D", "B", "MS", "ME", "W-SUN", "h", "15min", "QS", "YS"]), st.integers(3, 40), st.integers(0, 3000))
def test_evenly_spaced_dates_of_the_models_step_are_never_refused(freq: str, n: int, day: int) -> None:
    """Whatever step three or more such dates seem to take on their own (Monday to Wednesday: days), a model of their step
    takes them; with a week or more of them, their own step is found as it is."""
    dates = pd.date_range(pd.Timestamp("2000-01-03") + pd.Timedelta(days=day), periods=n, freq=freq)
    assert mismatched_step(dates, freq) is None
    found = date_step(dates)
    assert found is not None and (n < 8 or not steps_differ(freq, found))


def test_date_step_needs_three_dates_and_next_dates_goes_on_in_a_given_step() -> None:
    two = pd.DatetimeIndex(["2024-01-01", "2024-02-01"])
    assert date_step(two) is None and next_dates(two, 2) is None and mismatched_step(two, "D") is None  # too few to tell a step
    assert list(next_dates(two, 2, step="MS")) == list(pd.DatetimeIndex(["2024-03-01", "2024-04-01"]))
    assert list(next_dates(two[:1], 1, step="MS")) == [pd.Timestamp("2024-02-01")]
    three = pd.date_range("2024-01-01", periods=3, freq="D")
    assert list(next_dates(three, 1, step="MS")) == [pd.Timestamp("2024-01-04")]  # dates enough to tell theirs: their own


def test_a_few_business_days_are_taken_by_a_business_day_model_and_refused_by_a_monthly_one() -> None:
    """Monday to Wednesday look daily on their own (no weekend to show): a model of business days takes them."""
    week = pd.bdate_range("2024-01-08", periods=3)
    assert date_step(week) == "D" and mismatched_step(week, "B") is None and mismatched_step(week, "MS") == "D"
    across = pd.DatetimeIndex(["2024-01-11", "2024-01-12", "2024-01-15"])  # Thursday, Friday, Monday: business days for a daily model
    assert mismatched_step(across, "D") == "B"
