"""Rolling-origin backtest of a fitted :class:`~hiddenlayers.Forecaster` (``Forecaster.backtest``).

One hold-out (the last ``steps`` values) is one noisy draw; forecasters are
judged over several forecast origins (sktime's ``evaluate`` with an
``ExpandingWindowSplitter``, Darts' ``historical_forecasts``/``backtest``,
scikit-learn's ``TimeSeriesSplit``). Here the origins are counted back from the
end: the last one ``steps`` before it, each earlier one ``stride`` before the next.
Each fold forecasts ``steps`` values from the values before its origin with the
*fitted* model (no refit, as Darts' ``retrain=False``): score a stretch the model
did not train on, or the figures flatter it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._fit import check_positive_int

#: the per-fold scores, in the order of the result's columns (and ``snaive_mae`` after them, with a ``season`` above 1)
METRICS = ("mae", "rmse", "mase", "mape", "smape", "naive_mae")
#: the columns that place a fold (its origin; with dates, the first and last date it forecasts), not scores
PLACES = ("origin", "start", "end")


@dataclass(frozen=True)
class Backtest:
    """A rolling-origin backtest: one row per fold and their mean.

    A result object rather than a bare DataFrame so the mean and the fold arithmetic (``steps``, ``stride``) travel with
    the folds.

    Attributes
    ----------
    folds : DataFrame
        Indexed by fold (1 = the earliest origin), as sktime's ``evaluate`` returns one row per fold, with columns
        ``origin`` (0-based position of the first forecast value; also the number of values before it), for a series on
        dates (a pandas Series on a DatetimeIndex or PeriodIndex) ``start`` and ``end`` (the dates of the first and last
        value the fold forecasts), ``mae``,
        ``rmse``, ``mase`` (MAE over the mean absolute change over ``season`` steps of the values before the origin, as
        sktime's ``MeanAbsoluteScaledError(sp=season)`` and Hyndman & Koehler's seasonal MASE: below 1 beats the (seasonal)
        naive forecast one step ahead in sample; NaN when those values never change, or are no more than ``season``),
        ``mape`` (scikit-learn's ``mean_absolute_percentage_error``: the mean of ``|y - ŷ| / |y|``, a fraction, 0.05 for 5%;
        NaN where a forecast value's truth is 0, where it is undefined and scikit-learn's is of the order of 1e15),
        ``smape`` (sktime's default symmetric MAPE: the mean of ``2|y - ŷ| / (|y| + |ŷ|)``, a fraction from 0 to 2, 0-200%;
        a term whose truth and forecast are both 0 counts 0), ``naive_mae`` (the last value before the origin repeated ``steps`` times) and, with a ``season`` above 1,
        ``snaive_mae`` (the seasonal naive forecast: each value the one ``season`` steps earlier, the last season before the
        origin repeated; NaN with fewer than ``season`` values before it), all in series units but ``mase``, ``mape`` and ``smape``.
    mean : dict of str to float
        Each score's mean over the folds (``mase``, ``mape`` and ``snaive_mae`` over the folds where they are defined).
    steps : int
        Values forecast per fold.
    stride : int
        Steps between consecutive origins.
    season : int
        The seasonal period the MASE scale and ``snaive_mae`` use (1: none, the one-step naive forecast).
    """

    folds: pd.DataFrame
    mean: dict[str, float]
    steps: int
    stride: int
    season: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (JSON-ready but NaN): ``steps``, ``stride``, ``season``, ``folds`` (a list of dicts with ``fold``;
        ``start`` and ``end`` as ISO 8601 text, a date alone at midnight) and ``mean``."""
        from ._date_gaps import shown_date

        scores = [str(c) for c in self.folds.columns if c not in PLACES]
        dates = [c for c in ("start", "end") if c in self.folds.columns]
        rows = [{"fold": int(i), "origin": int(r["origin"]), **{d: shown_date(r[d]) for d in dates}, **{m: float(r[m]) for m in scores}}
                for i, r in self.folds.iterrows()]
        return {"steps": self.steps, "stride": self.stride, "season": self.season, "folds": rows, "mean": dict(self.mean)}


def fold_origins(n: int, steps: int, folds: int, stride: int, window: int) -> np.ndarray:
    """The ``folds`` forecast origins (0-based, ascending) in a series of ``n`` values: the last ``n - steps``, each earlier one ``stride`` before.

    Each origin needs ``window`` values before it, so ``n`` must be at least
    ``window + steps + (folds - 1) * stride``; fewer is a ``DataError`` that says how many.
    """
    need = window + steps + (folds - 1) * stride
    if n < need:
        raise DataError(
            f"series has {n} values; a backtest of folds={folds} with steps={steps} and stride={stride} needs at least {need} "
            f"(window {window} + steps {steps} + (folds - 1) x stride {stride}): pass a longer series, fewer folds or a smaller stride."
        )
    return n - steps - stride * np.arange(folds - 1, -1, -1)


def seasonal_naive(before: np.ndarray, steps: int, season: int) -> np.ndarray | None:
    """The seasonal naive forecast of ``steps`` values after ``before``: value ``h`` (1-based) is ``before[n - season + (h - 1) % season]``,
    the last season repeated (``season`` 1: the last value); None with fewer than ``season`` values before."""
    n = len(before)
    if n < season:
        return None
    return before[n - season + np.arange(steps) % season]


def _percentage_errors(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """MAPE (scikit-learn's ``mean_absolute_percentage_error``; NaN where ``truth`` holds a 0, where scikit-learn divides by
    its epsilon instead and gives a number of the order of 1e15) and sMAPE (sktime's default: ``2|y - ŷ| / (|y| + |ŷ|)``,
    0 to 2, a term of two zeros 0), both fractions."""
    from sklearn.metrics import mean_absolute_percentage_error

    mape = float(mean_absolute_percentage_error(truth, pred)) if np.all(truth != 0) else float("nan")
    both = np.abs(truth) + np.abs(pred)
    terms = np.divide(2 * np.abs(truth - pred), both, out=np.zeros_like(both), where=both > 0)
    return {"mape": mape, "smape": float(np.mean(terms))}


def _scores(truth: np.ndarray, pred: np.ndarray, before: np.ndarray, season: int) -> dict[str, float]:
    """One fold's scores: ``truth`` and ``pred`` (steps,), ``before`` the values before the origin, ``season`` the MASE lag."""
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    mae = float(mean_absolute_error(truth, pred))
    # the in-sample (seasonal) naive MAE, sktime's MASE scale with sp=season
    scale = float(np.mean(np.abs(before[season:] - before[:-season]))) if len(before) > season else 0.0
    found = {"mae": mae, "rmse": float(root_mean_squared_error(truth, pred)), "mase": mae / scale if scale > 0 else float("nan"),
             **_percentage_errors(truth, pred), "naive_mae": float(mean_absolute_error(truth, np.full(len(truth), before[-1])))}
    if season > 1:
        snaive = seasonal_naive(before, len(truth), season)
        found["snaive_mae"] = float("nan") if snaive is None else float(mean_absolute_error(truth, snaive))
    return found


def trained_through(s: np.ndarray, last_window: np.ndarray) -> int | None:
    """How many of ``s``'s first values are the fitted model's training series (the end of it), or None where that cannot be told.

    ``last_window`` is the training series' last ``window`` values (``Forecaster.last_window_``); where it occurs in ``s``
    exactly once, the values up to and with it are taken for the training series' (a backtest on the series it was fitted
    on, say). None where it does not occur, occurs more than once (a repeating series of whole numbers: no telling which),
    or is constant (it would match any flat stretch).
    """
    w = len(last_window)
    if len(s) < w or w == 0 or np.ptp(last_window) == 0:
        return None
    hits = np.flatnonzero((np.lib.stride_tricks.sliding_window_view(s, w) == last_window).all(axis=1))
    return int(hits[0]) + w if len(hits) == 1 else None


def _warn_trained_folds(origins: np.ndarray, trained: int | None, window: int) -> None:
    """One ``UserWarning`` when folds forecast values before ``trained`` (:func:`trained_through`): the model learnt them, so
    those folds score its fit, not its forecasts (darts' and sktime's backtests refit per fold and cannot see this; a
    ``retrain=False`` one on the training series can)."""
    if trained is None or not (origins < trained).any():
        return
    import warnings

    from .._stacklevel import user_stacklevel

    k = int((origins < trained).sum())
    which = "fold 1" if k == 1 else f"folds 1-{k}"
    warnings.warn(
        f"{k} of the {len(origins)} backtest folds forecast values the model was trained on: the series' first {trained} values end "
        f"as its training series does (its last {window} values), and {which} forecast some of those {trained}, so their scores "
        f"flatter it; score values after the training series: drop the first {trained - window} values (the {window} kept before "
        f"the new ones are the first fold's window), or fewer folds/steps.", UserWarning, stacklevel=user_stacklevel())


def run_backtest(forecast_many: Any, window: int, s: np.ndarray, steps: int, folds: Any, stride: Any,
                 last_window: np.ndarray | None = None, season: Any = 1, *, dates: Any = None) -> Backtest:
    """The backtest of a fitted forecaster on the checked series ``s``.

    Parameters
    ----------
    forecast_many : callable
        ``forecast_many(steps, windows)`` forecasts after each row of ``windows`` ``(folds, window)``: every fold in one
        forward pass per horizon block.
    window : int
        Values each forecast reads.
    s : numpy.ndarray of shape (n,)
        The series, float64, finite, oldest first.
    steps : int
        Values forecast per fold.
    folds : int
        Forecast origins.
    stride : int
        Steps between consecutive origins.
    last_window : numpy.ndarray of shape (window,), optional
        The training series' last values (``Forecaster.last_window_``): folds that forecast values of the training series
        (:func:`trained_through`) are one ``UserWarning``. None (an ONNX export, which keeps none): not checked.
    season : int
        The seasonal period (12 for monthly values with a yearly cycle): the MASE scale's lag, and above 1 a ``snaive_mae`` column.
    dates : DatetimeIndex or PeriodIndex of length n, optional
        The values' dates: each fold's first and last forecast date become its ``start`` and ``end`` columns.
    """
    steps = check_positive_int(steps, "steps")
    season = check_positive_int(season, "season")
    folds = check_positive_int(folds, "folds")
    stride = steps if stride is None else check_positive_int(stride, "stride")
    origins = fold_origins(len(s), steps, folds, stride, window)
    _warn_trained_folds(origins, None if last_window is None else trained_through(s, np.asarray(last_window, dtype=np.float64)), window)
    pred = forecast_many(steps, np.stack([s[o - window : o] for o in origins]))  # (folds, steps)
    rows = [_scores(s[o : o + steps], pred[k], s[:o], season) for k, o in enumerate(origins)]
    when = {} if dates is None else {"start": dates[origins], "end": dates[origins + steps - 1]}
    frame = pd.DataFrame({"origin": origins.astype(np.int64), **when, **{m: [r[m] for r in rows] for m in rows[0]}},
                         index=pd.RangeIndex(1, folds + 1, name="fold"))
    mean = {m: float(frame[m].mean()) for m in rows[0]}  # pandas skips NaN: mase over the folds where it is defined
    return Backtest(frame, mean, steps, stride, season)


__all__ = ["METRICS", "PLACES", "Backtest", "fold_origins", "run_backtest", "seasonal_naive", "trained_through"]
