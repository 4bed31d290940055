"""``class_weight`` and ``label_smoothing`` of ``MLPClassifier``: per-row weights from the labels, softened targets.

``class_weight`` (None, ``"balanced"`` or ``{label: weight}``) becomes one weight per row,
multiplied into ``sample_weight`` as scikit-learn's classifiers do, so everything that reads
``sample_weight`` (the weighted loss, the early-stopping split and its score) reads the product.
``label_smoothing`` ``eps`` in [0, 1) replaces one-hot targets by ``(1 - eps)·onehot + eps/k``
(PyTorch's ``CrossEntropyLoss(label_smoothing=eps)``), and each 0/1 target of a logistic
output (binary, multi-label) by ``y·(1 - eps) + eps/2`` (Keras' ``BinaryCrossentropy``).
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

BALANCED_PARTIAL_FIT = (
    "class_weight 'balanced' is not supported for partial_fit. In order to use 'balanced' weights, use "
    "compute_class_weight('balanced', classes=classes, y=y). In place of y you can use a large enough sample of the "
    "full training set target to properly estimate the class frequency distributions. Pass the resulting weights "
    "as the class_weight parameter."
)  # scikit-learn's SGDClassifier's message, word for word


def check_class_weight(value: Any) -> None:
    """``class_weight`` alone (the labels are checked with ``y``): None, ``"balanced"`` or a dict of finite weights > 0.

    Parameters
    ----------
    value : None, "balanced" or dict
        The ``class_weight`` parameter.
    """
    if value is None or (isinstance(value, str) and value == "balanced"):
        return
    if not isinstance(value, Mapping):
        close = isinstance(value, str) and bool(difflib.get_close_matches(value.lower(), ["balanced"], n=1, cutoff=0.6))
        raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}. Received: class_weight={value!r}"
                         + (" (did you mean 'balanced'?)." if close else "."))
    if not value:
        raise ValueError("class_weight must name at least one class, e.g. {0: 1.0, 1: 5.0}. Received: class_weight={}.")
    for label, w in value.items():
        ok = isinstance(w, numbers.Real) and not isinstance(w, (bool, np.bool_)) and math.isfinite(float(w)) and float(w) > 0
        if not ok:
            raise ValueError(f"class_weight must give each class a finite weight > 0. Received: class_weight[{label!r}]={w!r}; "
                             "give each class a positive weight (1.0 keeps it as it is), or drop its rows instead of weighting them 0.")


def class_row_weights(class_weight: Any, classes: np.ndarray, y: np.ndarray, y_type: str, *, incremental: bool) -> np.ndarray | None:
    """One weight per row of ``y`` ``(n,)`` float64 from ``class_weight`` over the model's ``classes``; None for None.

    ``"balanced"`` is scikit-learn's ``n_samples / (n_classes · bincount(y))`` over the classes present in ``y``
    (``compute_sample_weight``). A dict must give a weight to every class of ``classes`` and name no other label.

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        The parameter.
    classes : numpy.ndarray
        The model's classes.
    y : numpy.ndarray of shape (n,) or (n, n_labels)
        The labels.
    y_type : str
        scikit-learn's ``type_of_target`` of ``y``.
    incremental : bool
        A ``partial_fit`` call: ``"balanced"`` is refused there, as scikit-learn's SGDClassifier does.
    """
    if class_weight is None:
        return None
    if y_type == "multilabel-indicator":
        raise ValueError("class_weight applies to one column of class labels, not to a multi-label indicator y: "
                         "pass per-row weights as sample_weight instead.")
    if isinstance(class_weight, str):
        if incremental:
            raise ValueError(BALANCED_PARTIAL_FIT)
        from sklearn.utils.class_weight import compute_sample_weight

        return np.asarray(compute_sample_weight("balanced", y), dtype=np.float64)
    return _dict_row_weights(class_weight, classes, y)


def _dict_row_weights(class_weight: Mapping[Any, Any], classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows' weights from a ``{label: weight}`` dict that covers ``classes`` exactly."""
    known = classes.tolist()
    unknown = [k for k in class_weight if k not in set(known)]
    if unknown:
        raise ValueError(f"class_weight names labels that are not classes of y: {unknown[:5]}; its keys must be among the classes {known[:10]}.")
    missing = [c for c in known if c not in class_weight]
    if missing:
        raise ValueError(f"class_weight gives no weight to the classes {missing[:5]} of y: add them (1.0 keeps a class as it is), "
                         "or use class_weight='balanced'.")
    per_class = np.array([float(class_weight[c]) for c in known], dtype=np.float64)
    return per_class[np.searchsorted(classes, y)]


def balanced_from_counts(counts: Mapping[Any, int]) -> dict[Any, float]:
    """``"balanced"`` as a dict from label counts (a streamed source's statistics pass): ``n / (k · count)``, as scikit-learn's."""
    n, k = sum(counts.values()), len(counts)
    return {label: n / (k * c) for label, c in counts.items()}


def combine(row_weights: np.ndarray | None, sample_weight: np.ndarray | None) -> np.ndarray | None:
    """The product of the class weights' rows and ``sample_weight`` (either may be None), as scikit-learn's classifiers combine them.

    Parameters
    ----------
    row_weights : numpy.ndarray of shape (n,) or None
        :func:`class_row_weights`.
    sample_weight : numpy.ndarray of shape (n,) or None
        The rows' own weights.
    """
    if row_weights is None:
        return sample_weight
    return row_weights if sample_weight is None else row_weights * sample_weight


def smooth_targets(Y: np.ndarray, eps: float, softmax: bool, dtype: Any) -> np.ndarray:
    """``Y`` with ``eps`` of each row's mass spread evenly: ``(1-eps)·Y + eps/k`` (softmax), ``Y·(1-eps) + eps/2`` (logistic).

    ``eps == 0`` returns ``Y`` itself, so the default fit is the one without smoothing bit for bit.

    Parameters
    ----------
    Y : numpy.ndarray of shape (n, k)
        One-hot (or 0/1 indicator) targets.
    eps : float
        ``label_smoothing``, in [0, 1).
    softmax : bool
        One softmax over the columns (else a logistic per column).
    dtype : numpy dtype
        The result's float type.
    """
    if not eps:
        return Y
    spread = eps / Y.shape[1] if softmax else eps / 2.0
    out = np.asarray(Y, dtype=dtype) * (1.0 - eps)
    out += spread
    return out


def smoothing_floor(eps: float, n_outputs: int, softmax: bool) -> float:
    """The least training loss per row (nats) that :func:`smooth_targets`' targets allow: their entropy.

    A model can at best predict the smoothed target itself, and its cross entropy is then the target's entropy:
    ``-(1-eps+eps/k)·log(1-eps+eps/k) - (k-1)·(eps/k)·log(eps/k)`` for a softmax over ``k = n_outputs`` classes,
    and that of the two values ``1 - eps/2``, ``eps/2`` for each of ``n_outputs`` logistic outputs (their losses add up).
    0 for ``eps == 0``.
    """
    if not eps:
        return 0.0
    k = n_outputs if softmax else 2
    high, low = 1.0 - eps + eps / k, eps / k
    per_output = -high * math.log(high) - (k - 1) * low * math.log(low)
    return per_output if softmax else n_outputs * per_output


def class_weight_to_json(value: Any) -> Any:
    """``class_weight`` for a model file's JSON: a dict as ``[[label, weight], ...]`` (JSON keys are text; labels may be numbers).

    Parameters
    ----------
    value : None, "balanced" or dict
        The parameter.
    """
    if isinstance(value, Mapping):
        return [[_plain(k), _plain(w)] for k, w in value.items()]
    return value


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python one (JSON writes those)."""
    return value.item() if isinstance(value, np.generic) else value


def class_weight_from_json(value: Any) -> Any:
    """The inverse of :func:`class_weight_to_json`.

    Parameters
    ----------
    value : object
        What a model file stores.
    """
    if isinstance(value, list):
        return {k: w for k, w in value}
    return value


__all__ = ["BALANCED_PARTIAL_FIT", "balanced_from_counts", "check_class_weight", "class_row_weights",
           "class_weight_from_json", "class_weight_to_json", "combine", "smooth_targets", "smoothing_floor"]
