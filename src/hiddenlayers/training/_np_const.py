"""Cached read-only NumPy constant vectors for the CPU engine's hot path.

A ``ones`` vector turns a column sum into one BLAS matrix-vector product and
a ``zeros`` row makes ReLU a broadcast ``maximum``; building them each step
would cost as much as the op they speed up.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=64)
def filled(n: int, value: float, dtype: np.dtype) -> np.ndarray:
    """A read-only length-``n`` vector of ``value`` (one per length, value and dtype)."""
    a = np.full(n, value, dtype=dtype)
    a.flags.writeable = False
    return a


__all__ = ["filled"]
