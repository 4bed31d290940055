"""``evaluate`` for the application files that are not classifiers: the metric each field reports.

* Recommender: RMSE and MAE of the predicted rating against the rating column ``--target``
  (the user and item columns as fitted), overall and apart on the rows of known users and items
  and on the cold-start rows (an unseen user or item, rated by ``Recommender.predict``'s fallback);
  one fitted with ``loss="bpr"`` predicts ranking scores, not ratings: its top-10 lists are scored instead
  (``hl.apps.ranking_metrics``: precision, recall, NDCG, MAP, hit rate at 10);
* Forecaster: a rolling-origin backtest (``Forecaster.backtest``), as sktime / darts score a
  forecaster: ``--folds`` origins (default 1: one hold-out), the last ``--steps`` values held out (default:
  with one fold, what ``train --app forecaster`` holds out, 0.2 of the series and at least its ``horizon``, so the
  file scored on its training series repeats train's held-out figures; with more folds, its ``horizon``), each
  earlier fold ``--stride`` (default ``--steps``) before the next, forecast from the values before them and scored by MAE, RMSE and MASE (MAE over the mean absolute one-step change of the
  values before them, sktime's ``mean_absolute_scaled_error``: below 1 beats repeating the
  last value one step ahead), beside ``naive_mae`` (the last value repeated ``--steps`` times); ``--season M``: the MASE
  scale is the change over ``M`` steps (sktime's ``sp``), and ``snaive_mae`` scores the seasonal naive forecast;
  MAPE (scikit-learn's ``mean_absolute_percentage_error``, a fraction; left out, with a note, for a fold whose values hold
  a 0) and sMAPE (sktime's default ``2|y - ŷ| / (|y| + |ŷ|)``, 0 to 2); the metrics are the mean over the folds, each
  fold's rows (and, where the table has a date column, its first and last date) beside its scores;
* Autoencoder: the reconstruction error as an anomaly score against an anomaly column ``--target``
  (ROC-AUC and average precision, as ``examples/anomaly_shuttle.py`` scores it), and the precision
  and recall of its ``predict`` flag (-1) at the threshold fitted from ``contamination``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..data import at_row
from ._common import UserError

#: the anomaly column's two values -> which one marks an anomaly (0/1 and booleans: 1; the outlier detectors' +1/-1: -1)
_ANOMALY = {frozenset({0, 1}): 1, frozenset({-1, 1}): -1}
#: what to do about an anomaly column of one kind only, for evaluate (the default of anomaly_labels) and for train --app autoencoder
ONE_KIND_EVALUATE = "score rows of both kinds, or write the flags alone with `hiddenlayers predict` (no --target)"
ONE_KIND_TRAIN = ("to learn from rows that are all normal, leave out --target and name the input columns with --features "
                  "(every row then trains as normal); to score the model, give rows of both kinds")


def score_recommender(model: Any, frame: pd.DataFrame, target: str, inputs: Any, seen: Any, where: Any = None) -> dict[str, Any]:
    """RMSE and MAE (rating units) of ``model``'s ratings on ``frame``'s user and item columns against column ``target``.

    Overall, and split into the rows whose user and item were both seen in fit (``known``) and the cold-start
    rows (an unseen user or item, predicted by the model's fallback): their errors differ, and one overall
    figure hides how many rows are which. ``inputs(frame)`` is the app's ``predict``, ``seen(frame)`` its
    ``seen`` ((n, 2) booleans: user seen, item seen); ``where(i)``: row ``i``'s file line, for an error naming a row.
    """
    y = _ratings(frame, target, where)
    X = frame.drop(columns=[target])
    pred, ids = inputs(X), seen(X)
    known = ids.all(axis=1)
    cold = {"rows": int((~known).sum()), "unseen_user": int((~ids[:, 0]).sum()), "unseen_item": int((~ids[:, 1]).sum()), **_errors(y[~known], pred[~known])}
    return {"task": "rating", "metrics": _errors(y, pred), "known": {"rows": int(known.sum()), **_errors(y[known], pred[known])}, "cold_start": cold}


def _ratings(frame: pd.DataFrame, target: str, where: Any = None) -> np.ndarray:
    """Column ``target`` of ``frame`` as float64 ratings; a non-number is one line naming its row (``where(i)``: row ``i``'s file line)."""
    y = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise UserError(f"the rating column '{target}' holds a non-number on {at_row(int(bad[0]), where)} ({bad.size} row(s)): fix or drop those rows.")
    return y


#: the list length a ranking Recommender's lists are scored at
RANKING_K = 10


def score_ranking(model: Any, frame: pd.DataFrame, target: str, pairs: Any, where: Any = None) -> dict[str, Any]:
    """Precision, recall, NDCG, MAP and hit rate at :data:`RANKING_K` of a ``loss="bpr"`` Recommender's lists on ``frame``'s pairs.

    ``pairs(frame)``: the user and item columns as fitted. A held-out pair is relevant when its rating in column ``target``
    is at least the model's ``positive_threshold`` (what it was trained to rank first), every pair when that is None. The
    lists leave out the items each user had in fit (``hl.apps.ranking_metrics``); users not seen in fit have no list and
    are counted in ``users_left_out``. ``where(i)``: row ``i``'s file line, for an error naming a row.
    """
    from ..apps import ranking_metrics

    if not hasattr(model, "recommend"):  # an .onnx export scores pairs; its lists need the model's
        raise UserError("this export is of a Recommender trained with loss='bpr', whose outputs are ranking scores, not ratings: it is scored by "
                        "its top-10 lists, which need the .safetensors file; evaluate that file instead.")
    y = _ratings(frame, target, where)
    threshold = model.positive_threshold
    relevant = float(threshold) if threshold is not None else float(y.min()) if len(y) else 0.0
    found = ranking_metrics(model, pairs(frame.drop(columns=[target])), y, k=RANKING_K, relevant=relevant)
    metrics = {f"{name}_at_{RANKING_K}": float(found[name]) for name in ("precision", "recall", "ndcg", "map", "hit_rate")}
    return {"task": "ranking", "metrics": metrics, "relevant_from": relevant, "users": int(found["users"]),
            "users_left_out": int(found["users_left_out"])}


def is_ranking(model: Any) -> bool:
    """Whether ``model`` is a Recommender fitted with ``loss="bpr"`` (scores, not ratings)."""
    return getattr(model, "loss", None) == "bpr"


def _errors(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """RMSE and MAE of ``pred`` against ``y``; NaN for no rows (null in JSON)."""
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    if not len(y):
        return {"rmse": float("nan"), "mae": float("nan")}
    return {"rmse": float(root_mean_squared_error(y, pred)), "mae": float(mean_absolute_error(y, pred))}


#: train --app forecaster's default share of the series held out (--test-size's default for every app), and evaluate's
FORECAST_TEST_SIZE = 0.2
#: evaluate's words for the --steps it held out where none was given, one fold or several
DEFAULT_STEPS = {True: f"by default {FORECAST_TEST_SIZE:g} of the series, at least its horizon, as train --app forecaster holds out",
                 False: "by default its horizon, with --folds"}


def forecast_hold_out(n: int, window: int, horizon: int, steps: int | None, test_size: float | None) -> int:
    """How many of a series' ``n`` last values ``train --app forecaster`` holds out, to forecast them from the values before.

    ``evaluate`` of a Forecaster file holds out as many by default (one fold, no ``--steps``), so that the file scored on the
    series it was trained on gives train's held-out figures again, and a default Forecaster is not scored on one value.

    ``--steps`` is that count; ``--test-size`` a share of the series (sktime's ``temporal_train_test_split``: ``ceil(test_size·n)``
    values, at least ``horizon``), 0 for none. Neither given: :data:`FORECAST_TEST_SIZE` of the series, at least ``horizon`` values
    and at most what leaves ``window + horizon + 1`` to train on. (It was ``horizon`` values: a default Forecaster, horizon 1, was
    scored on one value, which says next to nothing.) The one origin is statsmodels' and sktime's usual hold-out: fit on the head,
    forecast the whole tail (recursively past ``horizon``).
    """
    if steps is not None and test_size is not None:
        raise UserError("--steps and --test-size both set how many of the series' last values are held out (a count, a share): drop one of them.")
    if steps is not None:
        if steps < 1:
            raise UserError(f"--steps must be a whole number >= 1 (values held out). Received: {steps}.")
        return int(steps)
    if test_size is not None:
        if not 0 <= test_size < 1:
            raise UserError(f"--test-size must be in [0, 1) (the share of the series' last values held out). Received: {test_size}.")
        return 0 if test_size == 0 else max(horizon, math.ceil(test_size * n))
    return max(horizon, min(math.ceil(FORECAST_TEST_SIZE * n), n - (window + horizon + 1)))



def score_forecaster(model: Any, values: np.ndarray, column: str, steps: int | None, folds: int | None, backtest: Any, *,
                     stride: int | None = None, where: Any = None, share: float | None = None, dates: Any = None) -> dict[str, Any]:
    """The rolling-origin backtest of ``model`` on the series ``values`` (oldest first): ``folds`` (default 1) origins, ``stride`` apart.

    The last fold holds out the last ``steps`` values, each earlier one starts ``stride`` (default ``steps``) before the next.
    ``steps`` None: with one fold, what ``train --app forecaster`` holds out by default (:func:`forecast_hold_out`: 0.2 of
    the series, at least ``horizon``), with several, ``horizon`` (each fold one forecast of the model's own length); the
    result's ``steps_default`` then says which (absent where ``steps`` was given).
    ``backtest(values, steps, folds, stride)`` is the app's ``backtest`` (errors already one line). ``metrics``
    is the mean over the folds (with one fold: the hold-out's own scores), ``folds`` one entry per fold
    with its data rows (1-based, as the file's rows after the header). ``where(i)``: value ``i``'s file line, for an error.
    ``share``: the ``--test-size`` that ``steps`` came from, named (instead of ``--steps``) where the series is too short.
    ``dates``: the table's dates as text, one per value, where it has a date column: each fold's ``start`` and ``end`` (the
    dates of the first and last value it forecasts) beside its rows.
    """
    n_folds = 1 if folds is None else folds
    if steps is not None:
        k = steps
    else:
        k = forecast_hold_out(len(values), int(model.window), int(model.horizon), None, None) if n_folds == 1 else int(model.horizon)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise UserError(f"the series '{column}' has missing or non-finite values ({at_row(int(bad[0]), where)}, {bad.size} in all): fill or drop them.")
    apart = k if stride is None else stride
    need = int(model.window) + k + (n_folds - 1) * apart
    if len(values) < need:
        given = f", --stride {apart}" if stride is not None else ""
        held = f"--test-size {share:g} ({k} values)" if share is not None else f"--steps {k}" if steps is not None else \
            f"the last {k} values ({DEFAULT_STEPS[n_folds == 1]})"  # none given: the default hold-out, which the user never typed
        what, extra = (held, "") if n_folds == 1 else (f"--folds {n_folds} of {held}{given}", f" + ({n_folds} - 1) x {apart}")
        fewer = (", fewer --folds" + (", a smaller --stride" if stride is not None else "")) if n_folds > 1 else ""
        smaller = "fewer --steps" if share is None else "a smaller --test-size"
        fix = f"pass a longer series{fewer} or {smaller}"
        if n_folds == 1 and len(values) <= int(model.window):  # even one value held out leaves less than a window: no smaller hold-out helps
            fix = f"pass a longer series: one forecast needs the window's {model.window} values before it, and one value after them to score"
        raise UserError(f"the series '{column}' has {len(values)} values; a backtest of {what} needs window {model.window} + {k}{extra} = {need}: {fix}.")
    bt = backtest(values, k, n_folds, apart).to_dict()
    rows = [{"fold": f["fold"], "first_row": f["origin"] + 1, "last_row": f["origin"] + k,
             **({} if dates is None else {"start": dates[f["origin"]], "end": dates[f["origin"] + k - 1]}), "history": f["origin"],
             **{m: v for m, v in f.items() if m not in ("fold", "origin")}} for f in bt["folds"]]
    metrics = {m: v for m, v in bt["mean"].items() if v == v}  # mase (mape) is left out where it is undefined in every fold
    _note_undefined_mase([f["mase"] for f in bt["folds"]], bt["season"])
    _note_undefined_mape([f["mape"] for f in bt["folds"]], column)
    default = {} if steps is not None else {"steps_default": DEFAULT_STEPS[n_folds == 1]}
    return {"task": "forecast", "steps": k, **default, "n_folds": n_folds, "stride": apart, "season": bt["season"], "history": len(values) - k,
            "metrics": metrics, "folds": rows}


def _note_undefined_mase(mase: list[float], season: int = 1) -> None:
    """Say why MASE is missing (every fold) or averaged over fewer folds: its scale, the mean absolute one-step change of the values
    before a fold's origin (with ``season``: their change over a season), is 0 where those values are constant (or repeat each
    season, or are no more than a season). (The table dropped it without a word.)"""
    from ._common import note

    undefined = sum(1 for m in mase if m != m)
    if season > 1:
        why, scale = f"repeat every {season} values or are no more than {season}", f"their mean absolute change over {season} steps"
    else:
        why, scale = "are constant", "their mean absolute one-step change"
    if undefined == len(mase):
        note(f"no MASE: the values before the forecast origin {why}, so its scale ({scale}) is 0; MAE and RMSE are in the series' units.")
    elif undefined:
        note(f"MASE is the mean over {len(mase) - undefined} of the {len(mase)} folds: the values before the other folds' origins {why} "
             "(a scale of 0).")


def _note_undefined_mape(mape: list[float], column: str) -> None:
    """Say why MAPE is missing (every fold) or averaged over fewer folds: a fold whose values hold a 0 has none, since its
    percentage error divides by them (scikit-learn's divides by its epsilon there instead, and its MAPE is of the order of 1e15)."""
    from ._common import note

    undefined = sum(1 for m in mape if m != m)
    why = "the percentage error divides by each value (scikit-learn's MAPE divides by 2.2e-16 there, some 1e15 times the error)"
    if undefined == len(mape):
        which = "the values forecast hold" if len(mape) == 1 else "the values each fold forecasts hold"
        note(f"no MAPE: {which} a 0 in the series '{column}', and {why}; sMAPE, MAE and RMSE are shown.")
    elif undefined:
        other = "the other fold's values" if undefined == 1 else f"the other {undefined} folds' values"
        note(f"MAPE is the mean over {len(mape) - undefined} of the {len(mape)} folds: {other} forecast hold a 0 in the series '{column}', and {why}.")


def anomaly_labels(column: pd.Series, name: str, one_kind: str = ONE_KIND_EVALUATE) -> np.ndarray:
    """``column`` as booleans (True: an anomaly): 0/1 or True/False (1 marks one), or +1/-1 as an outlier detector writes them (-1 marks one).

    ``one_kind``: the fix named when the column holds one of those values only (every row normal, or every row an anomaly),
    which the scores cannot rank (ROC-AUC needs both kinds) and which, for ``1`` alone, does not even say which kind it is.
    """
    values = column.to_numpy()
    numbers = values.astype(np.float64) if column.dtype == bool else pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    found = set(np.unique(numbers[np.isfinite(numbers)]).tolist())
    marker = _ANOMALY.get(frozenset(found)) if np.isfinite(numbers).all() else None
    if marker is None and len(found) == 1 and found <= {0, 1, -1} and np.isfinite(numbers).all():
        value = str(bool(values[0])) if column.dtype == bool else f"{next(iter(found)):g}"
        raise UserError(f"the anomaly column '{name}' holds one value only ({value}): ROC-AUC and the flag's precision and recall need "
                        f"normal rows (0, False or +1) and anomalies (1, True or -1) both: {one_kind}.")
    if marker is None:
        shown = ", ".join(map(repr, list(dict.fromkeys(values.tolist()))[:6]))
        raise UserError(f"the anomaly column '{name}' must hold 0/1 or True/False (1: an anomaly), or +1/-1 (-1: an anomaly), both present. "
                        f"Received values {shown}.")
    return numbers == marker


def score_autoencoder(model: Any, frame: pd.DataFrame, target: str, inputs: Any, where: Any = None) -> dict[str, Any]:
    """ROC-AUC and average precision of the reconstruction error against the anomaly column ``target``, and the ``predict`` flag's precision and recall.

    A row whose error is not finite (values so far from the training data's that the float32 network overflows) is one line
    naming its file line (``where``: :func:`at_row`), as the ``.onnx`` export's adapter refuses it: scikit-learn's metrics
    refused the infinity, an internal error."""
    from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

    anomaly = anomaly_labels(frame[target], target)
    error, flag = inputs(frame.drop(columns=[target]))
    bad = np.flatnonzero(~np.isfinite(np.asarray(error, dtype=np.float64)))
    if bad.size:
        raise UserError(f"the reconstruction error of {at_row(int(bad[0]), where)} is not finite ({bad.size} row(s)): its values are so far from "
                        "the training data's that the network's float32 arithmetic overflows, so no metric can rank it; drop or fix those rows.")
    metrics = {"roc_auc": float(roc_auc_score(anomaly, error)), "average_precision": float(average_precision_score(anomaly, error)),
               "flag_precision": float(precision_score(anomaly, flag == -1, zero_division=0)),
               "flag_recall": float(recall_score(anomaly, flag == -1, zero_division=0))}
    return {"task": "anomaly detection", "anomalies": int(anomaly.sum()), "metrics": metrics}
