"""Target leakage: columns that alone predict the target almost perfectly (a leak, or a trivial problem).

:func:`leakage_score` judges one column (the streamed check's too). :func:`check_leakage` scores a
table's plain numeric columns a block at a time in numpy (:mod:`.blocks`), giving the same scores
as :func:`leakage_score` (same sums in the same order), and keeps :func:`leakage_score` for the
columns whose case is irregular: text, bool, nullable dtypes, any non-finite value, or integers
beyond 2**53 (which float64 would merge).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .blocks import float_blocks, plain_columns
from .common import Finding

_EXACT = 2.0**53  # beyond it float64 merges integers that factorize keeps apart


def check_leakage(frame: Any, y: np.ndarray | None, task: str | None, skip: frozenset[str] | set[str] = frozenset(), bins: int = 16) -> list[Finding]:
    """Columns that alone predict the target almost perfectly (a leak, or a trivial problem).

    A column with at most ``bins`` values (or categories) is scored by the
    accuracy of predicting each value's majority label (R² of its mean target
    for regression). A column with more distinct numbers is sorted and scored
    by how rarely the label changes between neighbours beyond the k-1 changes
    that k classes need (regression: ``1 - mean((y[i+1]-y[i])²) / (2 var y)``).
    A score of 0.99 or more is flagged; targets where one class holds 95%+ are skipped.
    """
    target = leakage_target(y, task, len(frame))
    if target is None:
        return []
    scores = leakage_scores(frame, target, skip, bins)
    hits = [(c, float(s)) for c, s in scores.items() if s is not None and s >= 0.99]
    return leakage_finding(hits, target[0] is not None)


def leakage_scores(frame: Any, target: tuple[np.ndarray | None, np.ndarray | None], skip: frozenset[str] | set[str] = frozenset(),
                   bins: int = 16) -> dict[str, float | None]:
    """:func:`leakage_score` of every column of ``frame`` not in ``skip``, by name in column order (None: not judged).

    ``target``: :func:`leakage_target`'s. Plain numeric columns are scored a block at a time (:mod:`.blocks`).
    """
    perm = np.random.default_rng(0).permutation(len(frame))  # ties fall in random order
    wanted = np.array([str(c) not in skip for c in frame.columns], dtype=bool)
    scores: dict[int, float | None] = {}
    plain = np.flatnonzero(wanted & plain_columns(frame))
    for pos, W in float_blocks(frame, plain, per_cell=6):
        scores.update((int(pos[r]), s) for r, s in _block_scores(W, target, perm, bins).items())
    return {str(c): scores[j] if j in scores else leakage_score(frame[c], target, perm, bins)
            for j, c in enumerate(frame.columns) if wanted[j]}


def _block_scores(W: np.ndarray, target: tuple[np.ndarray | None, np.ndarray | None], perm: np.ndarray, bins: int) -> dict[int, float | None]:
    """:func:`leakage_score` of each row of ``W`` (shape (columns, rows), float64) whose case is regular, by row number.

    Regular: every value finite and under 2**53 in size (the others are left out, for the per-column code). The sorted-neighbour score then runs over all rows,
    and the few-values score groups equal values of the sorted column (what ``pd.factorize`` groups).
    """
    ycodes, yv = target
    n = W.shape[1]
    Wp = W[:, perm]
    order = np.argsort(Wp, axis=1, kind="stable")
    S = np.take_along_axis(Wp, order, axis=1)
    regular = np.isfinite(S).all(axis=1) & (np.abs(S).max(axis=1, initial=0.0) < _EXACT)
    with np.errstate(invalid="ignore"):  # inf - inf in an irregular column (left to the per-column code)
        step = np.diff(S, axis=1) > 0  # sorted and finite: > 0 marks a new value
    distinct = np.count_nonzero(step, axis=1) + 1
    out: dict[int, float | None] = {int(r): None for r in np.flatnonzero(regular)}
    sorted_rows = np.flatnonzero(regular & (distinct > bins))
    few_rows = np.flatnonzero(regular & (distinct <= bins) & (distinct >= 2))  # one value: None, as factorize's nb < 2
    if ycodes is not None:
        codes = ycodes[perm]
        scores = _sorted_accuracy(codes[order[sorted_rows]], int(ycodes.max()) + 1)
        few = _grouped_accuracy(step[few_rows], codes[order[few_rows]], int(ycodes.max()) + 1, bins) / n
    else:
        yr = np.asarray(yv, dtype=np.float64)
        scores = _sorted_r2(yr[perm][order[sorted_rows]])
        few = _grouped_r2(step[few_rows], order[few_rows], perm, yr, bins)
    for r, s in zip(sorted_rows.tolist(), scores.tolist()):
        out[r] = float(s)
    for r, s in zip(few_rows.tolist(), few.tolist()):
        out[r] = float(s)
    return out


def _sorted_accuracy(ys: np.ndarray, k: int) -> np.ndarray:
    """The sorted-neighbour score of class codes ``ys`` (shape (columns, rows), each row in its column's sorted order).

    Every row is kept (all finite), so each column sees all ``k`` classes.
    """
    n = ys.shape[1]
    changes = np.count_nonzero(ys[:, 1:] != ys[:, :-1], axis=1)
    return 1 - np.maximum(changes - (k - 1), 0) / max(n - 1, 1)


def _sorted_r2(yo: np.ndarray) -> np.ndarray:
    """The sorted-neighbour R² of a numeric target ``yo`` (shape (columns, rows), each row in its column's sorted order)."""
    var = yo.var(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1 - np.mean(np.diff(yo, axis=1) ** 2, axis=1) / (2 * var)
    return np.where(var > 0, r2, 0.0)


def _groups(step: np.ndarray) -> np.ndarray:
    """Group number (0, 1, ...) of each sorted position from ``step`` (shape (columns, rows - 1): a new value starts)."""
    return np.concatenate([np.zeros((len(step), 1), dtype=np.int64), np.cumsum(step, axis=1)], axis=1)


def _grouped_accuracy(step: np.ndarray, ys: np.ndarray, k: int, bins: int) -> np.ndarray:
    """Per column, the count of rows whose label is their value's majority label (``joint.max(axis=1).sum()``).

    ``step``: new-value marks of the sorted columns (at most ``bins`` values each); ``ys``: their class codes in that order.
    """
    m = len(step)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    key = (np.arange(m)[:, None] * bins + _groups(step)) * k + ys
    joint = np.bincount(key.ravel(), minlength=m * bins * k).reshape(m, bins, k)
    return joint.max(axis=2).sum(axis=1)


def _grouped_r2(step: np.ndarray, order: np.ndarray, perm: np.ndarray, yr: np.ndarray, bins: int) -> np.ndarray:
    """Per column, the R² of each value's mean target, summed in row order as :func:`leakage_score` sums it.

    ``step``/``order``: new-value marks and sorting order of the permuted columns; ``yr``: the target in row order.
    """
    m, n = order.shape
    if m == 0:
        return np.zeros(0)
    codes = np.empty_like(order)
    np.put_along_axis(codes, order, _groups(step), axis=1)  # group of each permuted row
    rows = np.empty_like(codes)
    rows[:, perm] = codes  # group of each row, in row order
    flat = (np.arange(m)[:, None] * bins + rows).ravel()
    cnt = np.bincount(flat, minlength=m * bins).reshape(m, bins)
    sums = np.bincount(flat, weights=np.tile(yr, m), minlength=m * bins).reshape(m, bins)
    means = sums / np.maximum(cnt, 1)
    resid = (yr - np.take_along_axis(means, rows, axis=1)) ** 2
    return 1 - resid.mean(axis=1) / yr.var()


def leakage_target(y: np.ndarray | None, task: str | None, n: int) -> tuple[np.ndarray | None, np.ndarray | None] | None:
    """``(class codes, None)`` or ``(None, float64 values)`` of the target for :func:`leakage_score`; None when leakage
    is not judged (no target, under 30 rows, one class in 95%+ of rows, a constant number)."""
    if y is None or task is None or n < 30:
        return None
    ycodes = np.unique(y.astype(str), return_inverse=True)[1] if task == "classification" else None
    if ycodes is not None and np.bincount(ycodes).max() / n >= 0.95:
        return None
    yv = None if ycodes is not None else np.asarray(y, dtype=np.float64)
    if yv is not None and not yv.var() > 0:
        return None
    return ycodes, yv


def leakage_score(s: Any, target: tuple[np.ndarray | None, np.ndarray | None], perm: np.ndarray, bins: int = 16) -> float | None:
    """How well the column ``s`` (Series, shape (rows,)) alone predicts the target (see :func:`check_leakage`); None when
    it cannot be judged. ``target``: :func:`leakage_target`'s; ``perm``: the row order ties fall in."""
    import pandas as pd

    ycodes, yv = target
    n = len(s)
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    v = s.to_numpy(dtype=np.float64, na_value=np.nan)[perm] if numeric else None
    order = np.argsort(v, kind="stable") if v is not None else None
    with np.errstate(invalid="ignore"):  # inf - inf between two equal infinite cells is NaN, not a new value
        distinct = np.count_nonzero(np.diff(v[order]) > 0) + 1 if v is not None and order is not None else 0
    if v is not None and order is not None and distinct > bins:
        order = order[np.isfinite(v[order])]
        if order.size < 30:
            return None
        if ycodes is not None:
            ys = ycodes[perm][order]
            k = np.unique(ys).size
            changes = int(np.count_nonzero(ys[1:] != ys[:-1]))
            return float(1 - max(changes - (k - 1), 0) / max(len(ys) - 1, 1))
        yo = np.asarray(yv)[perm][order]
        return float(1 - np.mean(np.diff(yo) ** 2) / (2 * yo.var())) if yo.var() > 0 else 0.0
    b = pd.factorize(s, use_na_sentinel=False)[0]
    nb = int(b.max(initial=0)) + 1
    if nb > max(bins, n // 20) or nb < 2:
        return None  # too many categories to judge from counts, or one value
    if ycodes is not None:
        joint = np.zeros((nb, ycodes.max() + 1), dtype=np.int64)
        np.add.at(joint, (b, ycodes), 1)
        return float(joint.max(axis=1).sum() / n)
    cnt = np.bincount(b, minlength=nb)
    yr = np.asarray(yv)
    means = np.bincount(b, weights=yr, minlength=nb) / np.maximum(cnt, 1)
    return float(1 - ((yr - means[b]) ** 2).mean() / yr.var())


def leakage_finding(hits: list[tuple[str, float]], classes: bool, sample: int | None = None) -> list[Finding]:
    """The ``leakage`` finding of ``hits`` (``(column, score)``), accuracy if ``classes`` else R²; [] if none.

    ``sample``: the rows judged when not every row was (a streamed check past its cap).
    """
    if not hits:
        return []
    metric = "accuracy" if classes else "R²"
    desc = ", ".join(f"{c} ({metric} {s:.3f})" for c, s in hits[:5])
    among = "" if sample is None else f" (among the first {sample:,} rows only)"
    return [Finding("leakage", "warning", f"{len(hits)} column(s) alone predict the target almost perfectly: {desc}{among}",
                    "check these are known before the target is: if not, drop them (a leak inflates every score)",
                    columns=tuple(h[0] for h in hits), details={"scores": dict(hits), **({"sample_rows": sample} if sample else {})})]
