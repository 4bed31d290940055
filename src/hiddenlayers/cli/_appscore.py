"""``evaluate`` for the application files that are not classifiers: the metric each field reports.

* Recommender: RMSE and MAE of the predicted rating against the rating column ``--target``
  (the user and item columns as fitted; unseen ids rated as ``Recommender.predict`` does);
* Forecaster: a hold-out backtest, as statsmodels / sktime / darts score a forecaster: the last
  ``--steps`` values (default: its ``horizon``) are held out, forecast from the values before
  them, and scored by MAE, RMSE and MASE (MAE over the mean absolute one-step change of the
  values before them, sktime's ``mean_absolute_scaled_error``: below 1 beats repeating the
  last value one step ahead), beside ``naive_mae`` (the last value repeated ``--steps`` times);
* Autoencoder: the reconstruction error as an anomaly score against an anomaly column ``--target``
  (ROC-AUC and average precision, as ``examples/anomaly_shuttle.py`` scores it), and the precision
  and recall of its ``predict`` flag (-1) at the threshold fitted from ``contamination``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError

#: the anomaly column's two values -> which one marks an anomaly (0/1 and booleans: 1; the outlier detectors' +1/-1: -1)
_ANOMALY = {frozenset({0, 1}): 1, frozenset({-1, 1}): -1}


def score_recommender(model: Any, frame: pd.DataFrame, target: str, inputs: Any) -> dict[str, Any]:
    """RMSE and MAE (rating units) of ``model``'s ratings on ``frame``'s user and item columns against column ``target``."""
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    y = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise UserError(f"the rating column '{target}' holds a non-number in data row {int(bad[0]) + 1} ({bad.size} row(s)): fix or drop those rows.")
    pred = inputs(frame.drop(columns=[target]))
    return {"task": "rating", "metrics": {"rmse": float(root_mean_squared_error(y, pred)), "mae": float(mean_absolute_error(y, pred))}}


def score_forecaster(model: Any, values: np.ndarray, column: str, steps: int | None, forecast: Any) -> dict[str, Any]:
    """The hold-out backtest of ``model`` on the series ``values`` (oldest first): its last ``steps`` values forecast from the rest.

    ``forecast(n, history)`` is the app's ``forecast`` (errors already one line).
    """
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    k = int(model.horizon) if steps is None else steps
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise UserError(f"the series '{column}' has missing or non-finite values (data row {int(bad[0]) + 1}, {bad.size} in all): fill or drop them.")
    need = int(model.window) + k
    if len(values) < need:
        raise UserError(f"the series '{column}' has {len(values)} values; a backtest of --steps {k} needs window {model.window} + {k} = {need}: "
                        "pass a longer series or fewer --steps.")
    history, held = values[:-k], values[-k:]
    pred = forecast(k, history)
    mae = float(mean_absolute_error(held, pred))
    metrics = {"mae": mae, "rmse": float(root_mean_squared_error(held, pred))}
    scale = float(np.mean(np.abs(np.diff(history)))) if len(history) > 1 else 0.0
    if scale > 0:
        metrics["mase"] = mae / scale
    metrics["naive_mae"] = float(mean_absolute_error(held, np.full(k, history[-1])))
    return {"task": "forecast", "steps": k, "history": len(history), "metrics": metrics}


def anomaly_labels(column: pd.Series, name: str) -> np.ndarray:
    """``column`` as booleans (True: an anomaly): 0/1 or True/False (1 marks one), or +1/-1 as an outlier detector writes them (-1 marks one)."""
    values = column.to_numpy()
    numbers = values.astype(np.float64) if column.dtype == bool else pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    found = set(np.unique(numbers[np.isfinite(numbers)]).tolist())
    marker = _ANOMALY.get(frozenset(found)) if np.isfinite(numbers).all() else None
    if marker is None:
        shown = ", ".join(map(repr, list(dict.fromkeys(values.tolist()))[:6]))
        raise UserError(f"the anomaly column '{name}' must hold 0/1 or True/False (1: an anomaly), or +1/-1 (-1: an anomaly), both present. "
                        f"Received values {shown}.")
    return numbers == marker


def score_autoencoder(model: Any, frame: pd.DataFrame, target: str, inputs: Any) -> dict[str, Any]:
    """ROC-AUC and average precision of the reconstruction error against the anomaly column ``target``, and the ``predict`` flag's precision and recall."""
    from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

    anomaly = anomaly_labels(frame[target], target)
    error, flag = inputs(frame.drop(columns=[target]))
    metrics = {"roc_auc": float(roc_auc_score(anomaly, error)), "average_precision": float(average_precision_score(anomaly, error)),
               "flag_precision": float(precision_score(anomaly, flag == -1, zero_division=0)),
               "flag_recall": float(recall_score(anomaly, flag == -1, zero_division=0))}
    return {"task": "anomaly detection", "anomalies": int(anomaly.sum()), "metrics": metrics}
