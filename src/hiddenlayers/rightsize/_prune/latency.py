"""Interleaved ``predict`` latency of models that answer the same rows (:func:`interleaved_latency`): ``prune``'s before and after.

Its batches keep the rows' own form (:func:`timing_batches`), so a scikit-learn ``Pipeline`` is timed on a DataFrame as a
DataFrame (its steps read names and dtypes), on sparse rows as sparse, on a list of texts as a list.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from scipy import sparse


def interleaved_latency(models: list[Any], X: Any, *, big_batch: int = 4096, calls: int = 1000,
                        rounds: int = 10, threads: int | None = 1) -> list[tuple[float, float]]:
    """``predict`` latency of each model at batch 1 (p50, µs) and at ``big_batch`` rows (p50, ms).

    The models take turns: ``rounds`` rounds, each timing ``calls / rounds``
    batch-1 calls (and a few big-batch calls) of every model in a row, so
    load from other processes lands on all of them alike; the median of all
    calls is reported. ``threads`` caps BLAS threads while timing (``None``:
    leave as is). ``X``: rows like the training data (tiled up to ``big_batch``): an array, or for a Pipeline the rows as
    its ``predict`` takes them (a DataFrame, a sparse matrix, a list), each batch kept in that form.
    """
    from threadpoolctl import threadpool_limits

    from .._cost import time_calls

    x1, xb = timing_batches(X, big_batch)
    per_round = max(1, calls // rounds)
    big_per_round = max(2, calls // (50 * rounds))
    small_t: list[list[np.ndarray]] = [[] for _ in models]
    big_t: list[list[np.ndarray]] = [[] for _ in models]
    limits = threadpool_limits(threads) if threads else None
    try:
        calls_b1 = [functools.partial(_predict, m, x1) for m in models]
        calls_big = [functools.partial(_predict, m, xb) for m in models]
        for f1, fb in zip(calls_b1, calls_big):  # warm-up: caches, lazy weights, BLAS thread pools
            time_calls(f1, 1, warmup=20)
            time_calls(fb, 1, warmup=1)
        for r in range(rounds):
            order = list(range(len(models))) if r % 2 == 0 else list(reversed(range(len(models))))  # neither always goes first
            for i in order:
                small_t[i].append(time_calls(calls_b1[i], per_round, warmup=3))
                big_t[i].append(time_calls(calls_big[i], big_per_round, warmup=0))
    finally:
        if limits is not None:
            limits.restore_original_limits()
    return [(float(np.median(np.concatenate(s))) * 1e6, float(np.median(np.concatenate(b))) * 1e3) for s, b in zip(small_t, big_t)]


def _predict(model: Any, X: Any) -> Any:
    return model.predict(X)


def timing_batches(X: Any, big_batch: int) -> tuple[Any, Any]:
    """``(first row, big_batch rows)`` of ``X``, the rows tiled in order to fill the big batch, each in ``X``'s own form: a
    DataFrame stays one (a Pipeline's steps read its names and dtypes), a sparse matrix sparse, a list a list; an array contiguous."""
    reps = -(-big_batch // X.shape[0]) if hasattr(X, "shape") else -(-big_batch // len(X))
    if hasattr(X, "iloc"):
        import pandas as pd

        return X.iloc[:1].copy(), pd.concat([X] * reps, ignore_index=True).iloc[:big_batch].copy()
    if sparse.issparse(X):
        return X[:1], sparse.vstack([X] * reps, format=X.format)[:big_batch]
    if isinstance(X, list):
        return X[:1], (X * reps)[:big_batch]
    X = np.asarray(X)
    return np.ascontiguousarray(X[:1]), np.ascontiguousarray(np.tile(X, (reps,) + (1,) * (X.ndim - 1))[:big_batch])


__all__ = ["interleaved_latency", "timing_batches"]
