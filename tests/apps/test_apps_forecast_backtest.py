"""Forecaster.backtest: rolling-origin folds against hand-computed ones, the one hold-out as folds=1, errors, fold arithmetic, real data."""

from __future__ import annotations

import importlib.util
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers import Forecaster, NotFittedError
from hiddenlayers.apps import Backtest
from hiddenlayers.apps._backtest import fold_origins
from hiddenlayers.exceptions import DataError

RNG = np.random.default_rng(0)
SERIES = np.sin(np.arange(120) * 2 * np.pi / 15) + 0.05 * RNG.normal(size=120)


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(window=6, horizon=2, hidden_layer_sizes=(8,), max_iter=20, random_state=0, device="cpu").fit(SERIES[:80])


def _hand(f: Forecaster, s: np.ndarray, origin: int, steps: int) -> dict[str, float]:
    """One fold's scores written out: the forecast from the values before ``origin``, the next ``steps`` values as truth."""
    pred, truth, before = f.forecast(steps, s[:origin]), s[origin : origin + steps], s[:origin]
    mae = np.mean(np.abs(pred - truth))
    return {"mae": mae, "rmse": np.sqrt(np.mean((pred - truth) ** 2)), "mase": mae / np.mean(np.abs(np.diff(before))),
            "mape": np.mean(np.abs(pred - truth) / np.abs(truth)), "smape": np.mean(2 * np.abs(pred - truth) / (np.abs(truth) + np.abs(pred))),
            "naive_mae": np.mean(np.abs(truth - before[-1]))}


def test_folds_are_the_forecasts_from_each_origin_scored_by_hand(fitted: Forecaster) -> None:
    s = SERIES[74:]  # 46 values: the stretch after the training series, with a window before it
    bt = fitted.backtest(s, steps=3, folds=4, stride=5)
    assert isinstance(bt, Backtest) and (bt.steps, bt.stride) == (3, 5)
    assert bt.folds.index.tolist() == [1, 2, 3, 4]
    assert bt.folds["origin"].tolist() == [28, 33, 38, 43]  # the last 3 before the end, each earlier one 5 before
    for fold, origin in zip(bt.folds.index, bt.folds["origin"]):
        hand = _hand(fitted, s, origin, 3)
        for metric, value in hand.items():
            assert bt.folds.loc[fold, metric] == pytest.approx(value, rel=1e-6), (fold, metric)
    for metric in ("mae", "rmse", "mase", "mape", "smape", "naive_mae"):
        assert bt.mean[metric] == pytest.approx(np.mean([_hand(fitted, s, o, 3)[metric] for o in (28, 33, 38, 43)]), rel=1e-6)
    d = bt.to_dict()
    assert d["folds"][0]["fold"] == 1 and d["folds"][0]["origin"] == 28 and d["mean"] == bt.mean


def test_defaults_steps_horizon_stride_steps_and_overlapping_folds(fitted: Forecaster) -> None:
    bt = fitted.backtest(SERIES[74:])
    assert (bt.steps, bt.stride, len(bt.folds)) == (2, 2, 5) and bt.folds["origin"].tolist() == [36, 38, 40, 42, 44]
    overlap = fitted.backtest(SERIES[74:], steps=4, folds=3, stride=1)  # stride < steps: folds share values, as a sliding origin does
    assert overlap.folds["origin"].tolist() == [40, 41, 42]
    assert overlap.folds.loc[3, "mae"] == pytest.approx(_hand(fitted, SERIES[74:], 42, 4)["mae"], rel=1e-6)


def test_one_fold_is_the_hold_out_evaluate_reported(fitted: Forecaster) -> None:
    """The numbers of the command's one hold-out before backtest existed, written as it computed them (sklearn's metrics)."""
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    s, k = SERIES[80:], 5
    history, held = s[:-k], s[-k:]
    pred = fitted.forecast(k, history)
    mae = mean_absolute_error(held, pred)
    old = {"mae": mae, "rmse": root_mean_squared_error(held, pred), "mase": mae / np.mean(np.abs(np.diff(history))),
           "naive_mae": mean_absolute_error(held, np.full(k, history[-1]))}
    bt = fitted.backtest(s, steps=k, folds=1)
    assert bt.folds["origin"].tolist() == [len(s) - k]
    assert {m: bt.mean[m] for m in old} == pytest.approx(old, rel=1e-12)


def test_constant_history_has_no_mase_and_the_mean_skips_it(fitted: Forecaster) -> None:
    s = np.r_[np.ones(10), SERIES[:20]]
    bt = fitted.backtest(s, steps=2, folds=12, stride=2)
    assert bt.folds["origin"].tolist() == list(range(6, 30, 2))
    flat = bt.folds["origin"] <= 10  # the values before origins 6, 8 and 10 are all 1: no one-step change to scale by
    assert bt.folds.loc[flat, "mase"].isna().all() and bt.folds.loc[~flat, "mase"].notna().all() and bt.folds["mae"].notna().all()
    assert bt.mean["mase"] == pytest.approx(bt.folds.loc[~flat, "mase"].mean())


def test_errors(fitted: Forecaster) -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Forecaster().backtest(SERIES)
    need = 6 + 3 + 4 * 3
    message = (f"series has {need - 1} values; a backtest of folds=5 with steps=3 and stride=3 needs at least {need} "
               f"(window 6 + steps 3 + (folds - 1) x stride 3): pass a longer series, fewer folds or a smaller stride.")
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        fitted.backtest(SERIES[: need - 1], steps=3, folds=5)
    assert len(fitted.backtest(SERIES[:need], steps=3, folds=5).folds) == 5  # exactly enough
    for name, kwargs in (("folds", {"folds": 0}), ("steps", {"steps": 0}), ("stride", {"stride": 0}), ("folds", {"folds": 2.5})):
        with pytest.raises(ValueError, match=rf"^{name} must be an integer >= 1\. Received: {name}="):
            fitted.backtest(SERIES, **kwargs)
    with pytest.raises(DataError, match="missing or non-finite values: fill them first"):
        fitted.backtest(np.r_[SERIES[:40], np.nan, SERIES[40:60]])


@settings(max_examples=200, deadline=None)
@given(window=st.integers(1, 30), steps=st.integers(1, 20), folds=st.integers(1, 15), stride=st.integers(1, 20), extra=st.integers(-5, 40))
def test_fold_origins_arithmetic(window: int, steps: int, folds: int, stride: int, extra: int) -> None:
    need = window + steps + (folds - 1) * stride
    n = need + extra
    if n < need:
        with pytest.raises(DataError, match=f"needs at least {need} "):
            fold_origins(n, steps, folds, stride, window)
        return
    origins = fold_origins(n, steps, folds, stride, window)
    assert len(origins) == folds and origins[-1] == n - steps  # the last fold ends with the series
    assert (np.diff(origins) == stride).all()  # each origin stride after the one before
    assert origins[0] >= window  # every fold has a full window before it
    assert (origins + steps <= n).all()  # every fold's values lie inside the series


@settings(max_examples=15, deadline=None)
@given(n=st.integers(6 + 4, 60), steps=st.integers(1, 4), stride=st.integers(1, 6))
def test_backtest_uses_every_fold_that_fits(fitted: Forecaster, n: int, steps: int, stride: int) -> None:
    folds = (n - 6 - steps) // stride + 1  # the most folds the series holds
    bt = fitted.backtest(SERIES[:n], steps=steps, folds=folds, stride=stride)
    assert len(bt.folds) == folds and bt.folds["origin"].iloc[0] >= 6 and bt.folds["origin"].iloc[-1] == n - steps
    with pytest.raises(DataError, match="needs at least"):
        fitted.backtest(SERIES[:n], steps=steps, folds=folds + 1, stride=stride)


@pytest.mark.skipif(importlib.util.find_spec("statsmodels") is None, reason="the sunspots data come with statsmodels")
def test_sunspots_backtest_beats_naive_on_years_it_did_not_train_on() -> None:
    """examples/forecast_sunspots.py's setting: train before 1960, one-step forecasts of 1960-2008 (49 years)."""
    from hiddenlayers.data import load_sunspots

    s = load_sunspots().to_numpy()
    f = Forecaster(window=10, hidden_layer_sizes=(32,), target="delta", random_state=0, device="cpu").fit(s[:-49])
    bt = f.backtest(s, steps=1, folds=49)  # origins 1960..2008: each reads only the true values before it
    assert bt.folds["origin"].iloc[0] == len(s) - 49
    assert bt.mean["mase"] < 0.9 and bt.mean["mae"] < 0.8 * bt.mean["naive_mae"]
    three = f.backtest(s, steps=3, folds=15)  # 3 years ahead from 15 origins (recursive beyond the horizon)
    assert three.mean["mae"] < three.mean["naive_mae"]


def test_folds_that_forecast_the_training_series_are_one_warning_naming_them_and_the_fix(fitted: Forecaster) -> None:
    """A backtest on the series the model was fitted on scored the model's fit as its forecasts, without a word (its docstring
    asked for later values; nothing checked). The training series' last window (``last_window_``, SERIES[74:80]) found once in
    the series tells which folds forecast values the model learnt."""
    message = ("5 of the 25 backtest folds forecast values the model was trained on: the series' first 80 values end as its training "
               "series does (its last 6 values), and folds 1-5 forecast some of those 80, so their scores flatter it; score values after "
               "the training series: drop the first 74 values (the 6 kept before the new ones are the first fold's window), or fewer folds/steps.")
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        bt = fitted.backtest(SERIES, steps=2, folds=25)  # origins 70, 72, ..., 118: 70-78 lie in the training series
    assert bt.folds["origin"].tolist()[:6] == [70, 72, 74, 76, 78, 80]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the values after the training series, with its last window before them: no warning
        fitted.backtest(SERIES[74:], steps=2, folds=20)
        fitted.backtest(SERIES, steps=2, folds=20)  # origins 80 on: every forecast value is new to the model
        fitted.backtest(SERIES[:60], steps=2, folds=5)  # before the training series' end, its last window not in it: not told


def test_trained_through_needs_the_last_window_exactly_once_and_not_flat() -> None:
    from hiddenlayers.apps._backtest import trained_through

    s = np.arange(20.0)
    assert trained_through(s, s[5:9]) == 9
    assert trained_through(np.r_[s, s], s[5:9]) is None  # twice: no telling which is the training series' end
    assert trained_through(s, np.array([1.5, 2.5])) is None
    assert trained_through(np.r_[np.zeros(5), s], np.zeros(3)) is None  # flat: it matches any flat stretch
    assert trained_through(s[:3], s[5:9]) is None


def test_season_scales_mase_by_the_seasonal_naive_error_and_scores_that_baseline_by_hand(fitted: Forecaster) -> None:
    """sktime's MASE takes ``sp`` (Hyndman & Koehler's seasonal MASE); the backtest's only baseline was the last value
    repeated, which a seasonal series' forecaster beats without being useful. SERIES has a period of 15."""
    s, m = SERIES[74:], 15
    bt = fitted.backtest(s, steps=20, folds=2, stride=3, season=m)
    assert bt.season == m and list(bt.folds.columns) == ["origin", "mae", "rmse", "mase", "mape", "smape", "naive_mae", "snaive_mae"]
    for fold, origin in zip(bt.folds.index, bt.folds["origin"]):
        before, truth = s[:origin], s[origin : origin + 20]
        snaive = np.array([before[len(before) - m + (h - 1) % m] for h in range(1, 21)])  # h > 15 wraps to the last season again
        hand_mae = np.mean(np.abs(fitted.forecast(20, before) - truth))
        assert bt.folds.loc[fold, "snaive_mae"] == pytest.approx(np.mean(np.abs(truth - snaive)), rel=1e-9)
        assert bt.folds.loc[fold, "mase"] == pytest.approx(hand_mae / np.mean(np.abs(before[m:] - before[:-m])), rel=1e-6)
    assert bt.mean["snaive_mae"] < 0.5 * bt.mean["naive_mae"]  # a season ahead is the better baseline on a periodic series
    assert bt.to_dict()["season"] == m and "snaive_mae" in bt.to_dict()["folds"][0]
    plain = fitted.backtest(s, steps=20, folds=2, stride=3)
    assert plain.season == 1 and "snaive_mae" not in plain.folds and plain.mean == fitted.backtest(s, steps=20, folds=2, stride=3, season=1).mean
    with pytest.raises(ValueError, match=r"^season must be an integer >= 1\. Received: season=0"):
        fitted.backtest(s, season=0)


def test_seasonal_naive_needs_a_season_of_history() -> None:
    from hiddenlayers.apps._backtest import seasonal_naive

    np.testing.assert_array_equal(seasonal_naive(np.arange(10.0), 5, 4), [6, 7, 8, 9, 6])
    np.testing.assert_array_equal(seasonal_naive(np.arange(10.0), 3, 1), [9, 9, 9])
    assert seasonal_naive(np.arange(3.0), 2, 4) is None


def test_mape_is_sklearns_and_undefined_where_a_value_forecast_is_zero(fitted: Forecaster) -> None:
    """A statsmodels/sktime user reads MAPE and sMAPE; there were none. Where the truth holds a 0, scikit-learn's MAPE divides
    by its epsilon (a number of the order of 1e15 times the error): such a fold has no MAPE, the mean is over the others."""
    from sklearn.metrics import mean_absolute_percentage_error

    s = SERIES[74:].copy()
    s[40] = 0.0  # in the third of four folds of 3 (origins 34, 37, 40, 43)
    bt = fitted.backtest(s, steps=3, folds=4)
    zero = bt.folds["origin"] == 40
    assert bt.folds.loc[zero, "mape"].isna().all() and bt.folds.loc[~zero, "mape"].notna().all()
    for fold, origin in zip(bt.folds.index[~zero], bt.folds["origin"][~zero]):
        truth = s[origin : origin + 3]
        assert bt.folds.loc[fold, "mape"] == pytest.approx(mean_absolute_percentage_error(truth, fitted.forecast(3, s[:origin])), rel=1e-6)
    assert bt.mean["mape"] == pytest.approx(bt.folds.loc[~zero, "mape"].mean())
    assert bt.folds["smape"].notna().all()  # defined with a zero: its denominator is |y| + |ŷ|
    assert np.isnan(bt.to_dict()["folds"][2]["mape"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1, max_size=8))
def test_smape_is_sktimes_from_0_to_2_and_symmetric(pairs: list[tuple[float, float]]) -> None:
    """sMAPE as sktime's default (symmetric=True): mean of 2|y - ŷ| / (|y| + |ŷ|), 0 to 2; a pair of zeros counts 0."""
    from hiddenlayers.apps._backtest import _percentage_errors

    truth, pred = (np.array(v, dtype=np.float64) for v in zip(*pairs))
    got = _percentage_errors(truth, pred)
    assert 0.0 <= got["smape"] <= 2.0 + 1e-12
    assert got["smape"] == pytest.approx(_percentage_errors(pred, truth)["smape"], rel=1e-12, abs=1e-15)
    both = np.abs(truth) + np.abs(pred)
    expected = np.mean([2 * abs(t - p) / b if b > 0 else 0.0 for t, p, b in zip(truth, pred, both)])
    assert got["smape"] == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert np.isnan(got["mape"]) == bool((truth == 0).any())


@pytest.mark.parametrize("index", [pd.date_range("2001-01-01", periods=46, freq="MS"), pd.period_range("2001-01", periods=46, freq="M"),
                                   pd.date_range("2024-03-01 06:00", periods=46, freq="h")])
def test_a_series_on_dates_gives_each_folds_first_and_last_date(fitted: Forecaster, index: pd.Index) -> None:
    """The folds showed positions only: a user of a dated series counted the dates from them. Each fold now has its first and
    last forecast date (``start``, ``end``), the positions and scores as for the same values without dates."""
    values = SERIES[74:]
    bt = fitted.backtest(pd.Series(values, index=index), steps=3, folds=4, stride=5)
    plain = fitted.backtest(values, steps=3, folds=4, stride=5)
    assert list(bt.folds.columns[:3]) == ["origin", "start", "end"] and "start" not in plain.folds
    assert bt.folds["start"].tolist() == [index[o] for o in (28, 33, 38, 43)]
    assert bt.folds["end"].tolist() == [index[o + 2] for o in (28, 33, 38, 43)]
    pd.testing.assert_frame_equal(bt.folds.drop(columns=["start", "end"]), plain.folds)
    first = bt.to_dict()["folds"][0]
    assert (first["start"], first["end"]) == ({"MS": ("2003-05-01", "2003-07-01"), "M": ("2003-05", "2003-07")}.get(
        getattr(index, "freqstr", ""), ("2024-03-02 10:00:00", "2024-03-02 12:00:00")))
    assert list(first)[:4] == ["fold", "origin", "start", "end"] and json_ready(bt.to_dict())


def json_ready(d: dict[str, object]) -> bool:
    import json

    return bool(json.dumps(d, allow_nan=True))
