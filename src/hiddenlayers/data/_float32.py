"""The float32 a network computes in: the first input cell beyond its range, the first output row that is not finite, and
the digits its outputs are written with.

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

A float32 network's output carries float32's precision: :func:`float32_numbers` is the one rule by which
``hiddenlayers predict`` (its JSON lines) and the model server (table models and applications) write it, with
float32's shortest digits (``0.3``) rather than those of its float64 copy (``0.30000001192092896``).

>>> float32_numbers(np.array([0.3, 1 / 3], dtype=np.float32))
[0.3, 0.33333334]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..exceptions import DataError
from ._cells import at_row

#: The largest float32 (about 3.4e38): a larger magnitude becomes infinite inside the network.
F32_MAX = float(np.finfo(np.float32).max)


def first_beyond_float32(A: Any) -> tuple[int, int] | None:
    """``(row, column)`` of the first cell of ``A`` (row by row) whose magnitude exceeds :data:`F32_MAX`; None if all fit.

    Parameters
    ----------
    A : numpy.ndarray
        A 2-D array.
    """
    big = np.abs(np.asarray(A)) > F32_MAX
    if not big.any():
        return None
    r, k = (int(a[0]) for a in np.nonzero(big))
    return r, k


def non_finite_rows(out: Any) -> np.ndarray:
    """The 0-based indices of the rows of ``out`` holding a NaN or an infinity.

    Parameters
    ----------
    out : numpy.ndarray of shape (n, ...)
        Model outputs.
    """
    a = np.asarray(out)
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    return np.flatnonzero(~np.isfinite(a).reshape(len(a), -1).all(axis=1))


def first_non_finite_row(out: Any) -> int | None:
    """Index of the first row of ``out`` holding a NaN or an infinity; None if every row is finite.

    Parameters
    ----------
    out : numpy.ndarray of shape (n, ...)
        Model outputs.
    """
    rows = non_finite_rows(out)
    return int(rows[0]) if rows.size else None


def float32_numbers(values: Any) -> list[Any]:
    """``values`` as float32, then as nested lists of Python floats that JSON writes with float32's shortest digits.

    A float32 network's probability 0.3 is ``np.float32(0.3)``; ``tolist()`` widens it to 0.30000001192092896, the digits
    past float32's being noise. Each float here is the float64 nearest float32's shortest decimal text (NumPy's, which
    reads back as the same float32), so it prints that text and reads back (as float32) to the same value. NaN and
    infinities stay so (a caller that sends them says what they mean).

    Parameters
    ----------
    values : array-like
        Any shape.
    """
    return np.asarray(values, dtype=np.float32).astype(str).astype(np.float64).tolist()  # type: ignore[no-any-return]


def check_float32(A: Any, names: list[str], frame: Any, where: Callable[[int], str] | None = None) -> None:
    """A DataError naming the first cell of ``A`` beyond float32's range, in which the network computes.

    Such a value (a raw one, or one the stored scaling makes that large) turns infinite inside the network.

    Parameters
    ----------
    A : numpy.ndarray of shape (n, len(names))
        The matrix the network reads.
    names : list of str
        ``A``'s columns.
    frame : DataFrame
        The table they came from (its cell is what the message shows).
    where : callable, optional
        A row's place as :func:`~._cells.at_row` words it (a folder's file and line).
    """
    found = first_beyond_float32(A)
    if found is None:
        return
    r, k = found
    raw = frame[names[k]].iloc[r] if names[k] in frame.columns else A[r, k]
    shown = repr(raw) if isinstance(raw, str) else f"{float(raw):.3g}"
    raise DataError(f"column '{names[k]}' must be within ±3.4e38 (float32, which the model computes in; after the stored scaling) "
                    f"but {at_row(r, where)} holds {shown}: fix the value or leave it empty.")


__all__ = ["F32_MAX", "check_float32", "first_beyond_float32", "float32_numbers", "first_non_finite_row", "non_finite_rows"]
