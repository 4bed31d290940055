"""A Forecaster's series on an index of ISO 8601 date text (``read_csv(index_col=...)`` without ``parse_dates``) is read
on its dates (apps/_text_dates): a newest-first file was trained on reversed without a word, and no step was kept."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hiddenlayers import Forecaster
from hiddenlayers.apps._text_dates import with_text_dates
from hiddenlayers.exceptions import DataError

MONTHS = pd.date_range("2001-01-01", periods=40, freq="MS")
VALUES = np.sin(np.arange(40) / 3)
CSV = pd.DataFrame({"date": MONTHS.strftime("%Y-%m-%d"), "v": VALUES}).to_csv(index=False)


def _read(text: str) -> pd.Series:
    return pd.read_csv(io.StringIO(text), index_col="date")["v"]  # no parse_dates: the index is the dates' text


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(window=4, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(_read(CSV))


@pytest.mark.filterwarnings("ignore:.*backtest folds forecast values the model was trained on")
def test_the_step_of_text_dates_is_kept_and_checked(fitted: Forecaster) -> None:
    assert fitted.freq_ == "MS"  # None: no step kept, none checked
    days = pd.Series(VALUES, index=pd.date_range("2001-01-01", periods=40, freq="D").strftime("%Y-%m-%d"))
    with pytest.raises(DataError, match="^the dates of X step by 'D', but the model was fitted on values one 'MS' apart"):
        fitted.predict(days)
    bt = fitted.backtest(_read(CSV), steps=2, folds=2)
    assert bt.folds["end"].tolist() == [pd.Timestamp("2004-02-01"), pd.Timestamp("2004-04-01")]  # the folds dated


CALLS = {
    "fit": lambda f, s: Forecaster(window=4, max_iter=1).fit(s),
    "predict": lambda f, s: f.predict(s),
    "forecast": lambda f, s: f.forecast(2, s),
    "score": lambda f, s: f.score(s),
    "backtest": lambda f, s: f.backtest(s, folds=2),
}


@pytest.mark.filterwarnings("ignore:.*backtest folds forecast values the model was trained on")
@pytest.mark.parametrize("method", list(CALLS))
def test_a_newest_first_file_read_without_parse_dates_is_refused_not_read_reversed(fitted: Forecaster, method: str) -> None:
    newest_first = _read(pd.read_csv(io.StringIO(CSV)).iloc[::-1].to_csv(index=False))
    with pytest.raises(DataError, match=r"the time index of \w+ is out of order: 2004-03-01 00:00:00 comes after 2004-04-01 .*\.sort_index\(\)"):
        CALLS[method](fitted, newest_first)
    CALLS[method](fitted, newest_first.sort_index())  # the fix given works: ISO text sorts as its dates


def test_an_index_of_date_objects_is_read_as_dates_too() -> None:
    series = pd.Series(VALUES, index=pd.Index(list(MONTHS.date), dtype=object))
    assert with_text_dates(series).index.equals(MONTHS)
    with pytest.raises(DataError, match="is out of order"):
        Forecaster(window=4, max_iter=1).fit(series.iloc[::-1])


@pytest.mark.parametrize("index", [
    [str(2000 + i) for i in range(40)],  # years alone may be labels
    [f"store {i}" for i in range(40)],
    list(range(40)),
    ["2001-01-01"] * 39 + ["soon"],  # not all dates
    [dt.date(2001, 1, 1)] * 39 + ["x"],
])
def test_an_index_of_other_values_is_left_as_given(index: list[Any]) -> None:
    series = pd.Series(VALUES, index=pd.Index(index, dtype=object))
    assert with_text_dates(series) is series
    assert Forecaster(window=4, max_iter=1).fit(series.iloc[::-1]).freq_ is None  # read in its order, as before


def test_dates_in_several_utc_offsets_are_left_as_given() -> None:
    text = pd.Index(["2021-03-27T00:00:00+01:00", "2021-03-28T00:00:00+01:00", "2021-03-29T00:00:00+02:00"])
    series = pd.Series([1.0, 2.0, 3.0], index=text)
    assert with_text_dates(series) is series
