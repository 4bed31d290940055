"""A fitted MLP's answers from its head outputs, in NumPy alone (no PyTorch, no scikit-learn).

``MLPClassifier.predict``/``predict_proba`` and ``MLPRegressor.predict`` decide their
answers here, and so does the NumPy model of a ``.safetensors`` file that the server
runs without the estimator class (:mod:`._np_model`): one code, the same bits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def decode_labels(z: np.ndarray, classes: np.ndarray, y_type: str) -> np.ndarray:
    """The labels for head outputs ``z`` ``(n, n_outputs)``: the argmax's class (multiclass), output > 0 per label
    (multi-label, 0/1 ``(n, n_labels)``), or ``classes[1]`` where the one output is > 0 (binary).

    ``classes``: the fitted classes in order; ``y_type``: scikit-learn's ``type_of_target`` of the fitted labels.
    """
    if y_type == "multiclass":
        return classes[z.argmax(axis=1)]  # type: ignore[no-any-return]
    if y_type == "multilabel-indicator":
        return (z > 0).astype(int)
    pos = z[:, 0] > 0
    if len(classes) == 1:
        return np.repeat(classes, z.shape[0])
    return classes[pos.astype(np.intp)]  # type: ignore[no-any-return]


def class_probabilities(z: np.ndarray, y_type: str, output: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Class probabilities ``(n, n_classes)`` (float64) from head outputs ``z`` ``(n, n_outputs)``.

    ``output``: the loss's NumPy output activation (softmax, or logistic per output); a binary model's one
    output ``p`` becomes the two columns ``[1 - p, p]``.
    """
    p = output(np.array(z, dtype=np.float64))
    if y_type == "binary" or (z.shape[1] == 1 and y_type != "multilabel-indicator"):
        p = np.hstack([1.0 - p, p])
    return p


def regression_values(z: np.ndarray, output: Callable[[np.ndarray], np.ndarray], dtype: Any, mean: np.ndarray | None,
                      scale: np.ndarray | None) -> np.ndarray:
    """A regressor's predictions from head outputs ``z`` ``(n, n_outputs)``: the loss's output activation (identity, or
    exp for Poisson), cast to ``dtype``, then back in y's units (``* scale + mean``, each ``(n_outputs,)``) when the
    target was scaled (``mean`` None: not); ``(n,)`` for one output."""
    y = output(z).astype(dtype, copy=False)
    if mean is not None and scale is not None:
        y = (y * scale.astype(y.dtype, copy=False) + mean.astype(y.dtype, copy=False)).astype(y.dtype, copy=False)
    return y.ravel() if y.shape[1] == 1 else y


__all__ = ["class_probabilities", "decode_labels", "regression_values"]
