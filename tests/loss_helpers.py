"""Targets in each loss's form, shared by the loss and engine tests."""

from __future__ import annotations

import numpy as np


def targets(loss: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, k)`` float targets that suit ``loss``: one-hot, 0/1, counts or reals."""
    if loss == "log_loss":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "binary_log_loss":
        return rng.integers(0, 2, (n, k)).astype(float)
    if loss == "poisson":
        return rng.poisson(2.0, (n, k)).astype(float)
    return rng.standard_normal((n, k))
