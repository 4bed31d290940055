"""The user's own validation rows for :func:`~hiddenlayers.rightsize.search`: ``X_val``, ``y_val``, ``sample_weight_val``.

Given, every trial is scored on these rows (no folds, no split of ``X``): one
"fold" trains on all of ``X`` and scores ``X_val`` after each epoch, which is
also the curve the hopeless-trial rule reads; the refit trains on all of ``X``
for the epochs that curve peaked at. Why: time series, grouped rows or a fixed
benchmark split need the held-out rows chosen, not drawn (``fit``'s ``X_val``
and ``train --validation`` already take them).

The rows are checked as ``X`` and ``y`` are (the estimators' own checks and
words), against ``X``'s columns and ``y``'s classes; a study records a
fingerprint of them (:func:`heldout_of`) so a resumed study scored on other
validation rows, or on folds, is refused as other data is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...data import rows_digest


@dataclass
class HeldOut:
    """Checked validation rows: ``X`` ``(n_val, n_features)`` float64, ``y`` as the search's ``y``, ``w`` ``(n_val,)`` or None."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray | None


def refuse_split_settings(cv: Any, validation_fraction: Any) -> None:
    """One-line ValueError when ``cv`` (other than ``"auto"``) or ``validation_fraction`` (other than None) comes with ``X_val``:
    the validation rows replace the folds and the split, so either would be silently ignored."""
    if not (isinstance(cv, str) and cv == "auto"):
        raise ValueError(f"cv={cv!r} with X_val: every trial is scored on X_val's rows, with no folds of X. Drop cv, or drop X_val and y_val.")
    if validation_fraction is not None:
        raise ValueError(f"validation_fraction={validation_fraction!r} with X_val: X_val's rows replace the held-out share of X, "
                         "which would be ignored. Drop validation_fraction, or drop X_val and y_val.")


def check_heldout(X: np.ndarray, y: np.ndarray, X_val: Any, y_val: Any, sample_weight_val: Any, *, classifier: bool,
                  names: Any = None) -> HeldOut:
    """``(X_val, y_val, sample_weight_val)`` checked as the estimators check ``fit``'s (same words), against the search's
    checked ``X`` ``(n, n_features)`` and ``y``; ``names``: ``X``'s column names when it was a DataFrame (``X_val``'s must match)."""
    import scipy.sparse as sp

    from ...estimators import check_sample_weight, check_training_data, validation_labels

    val_names = getattr(X_val, "columns", None)
    if names is not None and val_names is not None and [str(c) for c in val_names] != [str(c) for c in names]:
        raise ValueError(f"X_val's columns {list(val_names)[:10]} are not X's {list(names)[:10]}: give X_val X's columns, in X's order.")
    try:
        Xv, yv = check_training_data(X_val, y_val, regression=not classifier)
    except ValueError as exc:
        raise ValueError(f"X_val/y_val: {str(exc).splitlines()[0]}") from None
    Xv = np.asarray(Xv.toarray() if sp.issparse(Xv) else Xv, dtype=np.float64)
    if Xv.shape[1] != X.shape[1]:
        raise ValueError(f"X_val has {Xv.shape[1]} columns and X {X.shape[1]}: give X_val X's columns.")
    yv = np.asarray(yv)
    if classifier and y.ndim == 1:
        yv = validation_labels(yv, np.unique(y))
    elif yv.ndim != y.ndim or (y.ndim == 2 and yv.shape[1] != y.shape[1]):
        raise ValueError(f"y_val has shape {yv.shape} and y {y.shape}: give y_val y's number of outputs.")
    if Xv.shape[0] < 2:
        raise ValueError(f"X_val has {Xv.shape[0]} row(s): every trial is scored on it, and a score needs at least 2. Pass more validation rows.")
    w = None
    if sample_weight_val is not None:
        w = check_sample_weight(sample_weight_val, Xv, allow_all_zero=True)
        if not np.sum(w) > 0:
            raise ValueError("sample_weight_val is 0 for every row of X_val, so they cannot score the trials: give some rows a weight > 0.")
    return HeldOut(Xv, yv, w)


def heldout_of(held: HeldOut, classifier: bool) -> dict[str, Any]:
    """``{"rows", "digest"}``: the fingerprint of the validation rows a study's trials were scored on (the data record's
    :func:`rows_digest` of ``X_val``, ``y_val`` and ``sample_weight_val``)."""
    return {"rows": int(held.X.shape[0]), "digest": rows_digest(held.X, held.y, classifier, held.w)}


def heldout_score_weights(held: HeldOut, class_weight: Any, classifier: bool) -> np.ndarray | None:
    """The weights ``(n_val,)`` of the validation score: ``sample_weight_val`` times ``class_weight``'s row weights over ``y_val``
    (``"balanced"``: each class of ``y_val`` counts alike), as the folds' held-out score is weighted; None when neither is given."""
    from sklearn.utils.multiclass import type_of_target

    from ...estimators import class_row_weights, combine

    rows = None
    if classifier and class_weight is not None:
        classes = np.unique(held.y) if held.y.ndim == 1 else np.arange(held.y.shape[1])
        rows = class_row_weights(class_weight, classes, held.y, type_of_target(held.y), incremental=False) \
            if isinstance(class_weight, str) else _dict_weights(class_weight, held.y)
    return combine(rows, held.w)


def _dict_weights(class_weight: dict[Any, Any], y: np.ndarray) -> np.ndarray:
    """``{label: weight}`` as one weight per row of ``y`` (the dict was checked against ``y``'s classes: it covers ``y_val``'s)."""
    return np.array([float(class_weight[v]) for v in y.tolist()], dtype=np.float64)


__all__ = ["HeldOut", "check_heldout", "heldout_of", "heldout_score_weights", "refuse_split_settings", "rows_digest"]
