"""A table of several columns where a Forecaster reads one series: one line naming the series to pass (apps/_one_series)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hiddenlayers import Forecaster
from hiddenlayers.apps._one_series import check_one_column
from hiddenlayers.exceptions import DataError

SERIES = np.sin(np.arange(60) / 4)
DAYS = pd.date_range("2024-01-01", periods=60, freq="D")
FILE = pd.DataFrame({"day": DAYS, "load": SERIES})  # read_csv(..., parse_dates=["day"]) of a file of dates then values


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(pd.Series(SERIES, index=DAYS))


CALLS = {
    "fit": (lambda f, x: Forecaster(window=5, max_iter=1).fit(x), "series"),
    "forecast": (lambda f, x: f.forecast(2, x), "series"),
    "backtest": (lambda f, x: f.backtest(x, folds=2), "series"),
    "predict": (lambda f, x: f.predict(x), "X"),
    "score": (lambda f, x: f.score(x), "X"),
}


@pytest.mark.parametrize("method", list(CALLS))
def test_a_frame_of_dates_and_values_points_to_the_values_on_their_dates(fitted: Forecaster, method: str) -> None:
    call, name = CALLS[method]  # it pointed predict and score to X['day'], and fit/forecast/backtest said only what they had
    for frame in (FILE, FILE[["load", "day"]]):
        with pytest.raises(DataError, match=rf"^{name} has 2 features, but Forecaster is expecting 1 feature as input: .* e\.g\. "
                                             + re.escape(f"{name}.set_index('day')['load'] (its dates as the index")):
            call(fitted, frame)
    assert np.array_equal(fitted.predict(FILE.set_index("day")["load"]), fitted.predict(SERIES))  # the fix given works


@pytest.mark.parametrize(("frame", "example"), [
    (pd.DataFrame({"name": ["a"] * 60, "load": SERIES, "temp": SERIES}), "X['load']"),  # text is no series
    (pd.DataFrame({"up": SERIES > 0, "load": SERIES}), "X['load']"),  # nor a flag
    (pd.DataFrame({"month": pd.period_range("2020-01", periods=60, freq="M"), "load": SERIES}), "X.set_index('month')['load']"),
    (pd.DataFrame({"ts": DAYS.tz_localize("UTC"), "a": ["x"] * 60}), "X.set_index('ts')['a']"),  # no numbers: the first other column
])
def test_the_example_is_the_first_numeric_column(frame: pd.DataFrame, example: str) -> None:
    with pytest.raises(DataError, match=re.escape(f"e.g. {example}")):
        check_one_column(frame, "X")


@pytest.mark.parametrize(("values", "message"), [
    (np.zeros((30, 2)), r"^series has 2 features, .* pass the series alone, e\.g\. series\[:, 0\]\.$"),
    (np.zeros((2, 30)), r"^series is a \(2, 30\) array, 2 series of 30 values \(one per row\), .* pass one row, e\.g\. series\[0\]\.$"),
])
def test_an_array_of_several_columns_or_rows(values: np.ndarray, message: str) -> None:
    with pytest.raises(DataError, match=message):
        Forecaster(window=5).fit(values)


@pytest.mark.parametrize("one", [SERIES, SERIES[:, None], SERIES[None, :], FILE[["load"]], pd.Series(SERIES), [1.0, 2.0]])
def test_one_column_passes(one: Any) -> None:
    check_one_column(one, "series")
