"""The rows' weights of ``loss_landscape``: ``sample_weight`` times the model's ``class_weight``, so the centre is the fit's objective.

A classifier fitted with ``class_weight`` (``MLPClassifier``, the image, sequence and text
classifiers) minimises the weighted mean ``Σ w·loss / Σ w`` with ``w`` = ``sample_weight`` times
its class weight of each row's label; the unweighted mean is another function of the weights.
The class weights come from the estimators' public helpers (``class_row_weights``, ``combine``),
so ``"balanced"`` is scikit-learn's ``n / (k · count)`` over the ``y`` given, as ``fit`` computes it.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from torch import Tensor

from ._target import Target


def _as_array(values: Any) -> np.ndarray:
    """A tensor (any device), Series or array-like as a NumPy array."""
    return values.detach().cpu().numpy() if isinstance(values, Tensor) else np.asarray(values)


def check_weights(sample_weight: Any, n: int) -> np.ndarray:
    """``sample_weight`` as float64 ``(n,)``: one finite weight >= 0 per row, not all 0; else a one-line ValueError."""
    try:
        w = np.asarray(_as_array(sample_weight), dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"sample_weight must hold numbers, one weight >= 0 per row of X. Received: {type(sample_weight).__name__} "
                         "with values that are not numbers.") from None
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"sample_weight must hold one weight per row of X: X has {n} rows, sample_weight has shape {w.shape}; "
                         "pass a 1-D array of the rows' weights.")
    bad = ~np.isfinite(w)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"sample_weight must be finite. Received: sample_weight[{i}]={w[i]} ({int(bad.sum())} not finite); "
                         "give those rows a number (0 leaves a row out).")
    negative = w < 0
    if negative.any():
        i = int(np.argmax(negative))
        raise ValueError(f"sample_weight must be >= 0. Received: sample_weight[{i}]={w[i]:g} ({int(negative.sum())} negative); "
                         "a negative weight rewards mispredicting its row: drop those rows or give them weight 0.")
    if not w.sum() > 0:
        raise ValueError("sample_weight is 0 for every row, so the weighted mean loss Σ w·loss / Σ w is undefined: "
                         "give some rows a weight > 0.")
    return w


def _takes_weights(est: Any) -> bool:
    """Whether ``est.network_loss`` takes per-row weights (``sample_weight=``)."""
    try:
        return "sample_weight" in inspect.signature(est.network_loss).parameters
    except (TypeError, ValueError):
        return False


def refuse_weights(target: Target, loss: Any, self_targets: bool) -> None:
    """A ValueError when ``sample_weight`` cannot weigh this model's loss: a ``loss=`` callable, or a loss without row weights."""
    est = target.estimator
    if loss is not None:
        raise ValueError("sample_weight works with the model's own training loss (loss=None): a loss= callable returns the batch's mean, "
                         "which cannot be weighted per row; drop sample_weight, or weight the rows inside your loss.")
    name = type(est if est is not None else target.module).__name__
    if self_targets:
        raise ValueError(f"sample_weight does not apply to this {name}: its targets come from X and its fit takes no sample_weight; "
                         "drop sample_weight.")
    if est is not None and callable(getattr(est, "network_loss", None)) and not _takes_weights(est):
        raise ValueError(f"{name}'s training loss takes no row weights (its fit has no sample_weight): drop sample_weight.")


def row_weights(target: Target, y: Any, sample_weight: np.ndarray | None, n: int, *, class_weighted: bool) -> np.ndarray | None:
    """The weights ``(n,)`` of ``y``'s rows in the model's training objective: ``sample_weight`` times its ``class_weight``'s; None for neither.

    ``y``: the labels of X's ``n`` rows (all of them, before any ``max_rows`` sampling, so ``"balanced"`` counts
    the classes as ``fit`` does). ``class_weighted=False`` leaves the model's ``class_weight`` out.
    """
    est = target.estimator
    class_weight = getattr(est, "class_weight", None) if class_weighted and est is not None else None
    if class_weight is None:
        return sample_weight
    from ..estimators import class_row_weights, combine

    labels, classes = _as_array(y), np.asarray(est.classes_)
    if labels.ndim == 0 or labels.shape[0] != n:
        return sample_weight  # y does not match X's n rows: the landscape's own check names that
    known = np.isin(labels, classes) if labels.ndim == 1 else np.ones(labels.shape[0], dtype=bool)
    if not known.all():
        raise ValueError(f"y holds labels the model was not fitted on, e.g. {labels[~known][:3].tolist()}; its classes_ are "
                         f"{classes.tolist()[:10]}: pass labels among them.")
    y_type = "multiclass" if labels.ndim == 1 else "multilabel-indicator"
    rows = class_row_weights(class_weight, classes, labels, y_type, incremental=False)
    return combine(rows, sample_weight)


__all__ = ["check_weights", "refuse_weights", "row_weights"]
