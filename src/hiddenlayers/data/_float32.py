"""The float32 range a network computes in: the first input cell beyond it, the first output row that is not finite.

A value beyond ±3.4e38 (:data:`F32_MAX`; a raw one, or one the stored scaling
makes that large) turns infinite inside the network, whose outputs are then
NaN: empty probabilities and an arbitrary label. ``hiddenlayers predict`` and
the model server both refuse such an input by its cell and such an output by
its row, each in its own words (a file's value to fix, a request's value to
send); ``predict`` uses these two finders, the server the same tests on every
row of a batch (it refuses only the rows that fail).

>>> import numpy as np
>>> first_beyond_float32(np.array([[1.0, 2.0], [3.0, 1e39]]))
(1, 1)
>>> first_non_finite_row(np.array([[0.5, 0.5], [np.nan, 0.1]]))
1
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The largest float32 (about 3.4e38): a larger magnitude becomes infinite inside the network.
F32_MAX = float(np.finfo(np.float32).max)


def first_beyond_float32(A: Any) -> tuple[int, int] | None:
    """``(row, column)`` of the first cell of the 2-D ``A`` (row by row) whose magnitude exceeds :data:`F32_MAX`; None if all fit."""
    big = np.abs(np.asarray(A)) > F32_MAX
    if not big.any():
        return None
    r, k = (int(a[0]) for a in np.nonzero(big))
    return r, k


def non_finite_rows(out: Any) -> np.ndarray:
    """The 0-based indices of the rows of ``out`` (``(n, ...)`` model outputs) holding a NaN or an infinity."""
    a = np.asarray(out)
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    return np.flatnonzero(~np.isfinite(a).reshape(len(a), -1).all(axis=1))


def first_non_finite_row(out: Any) -> int | None:
    """Index of the first row of ``out`` (``(n, ...)`` model outputs) holding a NaN or an infinity; None if every row is finite."""
    rows = non_finite_rows(out)
    return int(rows[0]) if rows.size else None


__all__ = ["F32_MAX", "first_beyond_float32", "first_non_finite_row", "non_finite_rows"]
