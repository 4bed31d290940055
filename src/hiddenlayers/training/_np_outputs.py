"""The output activations in NumPy, without PyTorch: what turns a network's head outputs into answers.

Each loss names its output activation (:class:`~._losses.Loss`'s ``out_activation``:
``softmax``, ``logistic``, ``identity``, ``exp``); ``predict_proba`` and a regressor's
``predict`` apply its NumPy form, :data:`NP_OUTPUTS`. Kept apart from the losses (which
need PyTorch) so the server's NumPy path applies the very same functions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def np_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``z`` ``(n, k)``, shifted by each row's maximum (a new array)."""
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def np_logistic(z: np.ndarray) -> np.ndarray:
    """The logistic function of each of ``z``'s outputs (binary and multi-label classifiers)."""
    from ..network import np_sigmoid

    return np_sigmoid(z)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


#: each output activation's NumPy form, by the name a loss gives it
NP_OUTPUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"softmax": np_softmax, "logistic": np_logistic, "identity": _identity, "exp": np.exp}

__all__ = ["NP_OUTPUTS", "np_logistic", "np_softmax"]
