"""A wide table's plain numeric columns as float64 blocks, so a check judges every column in numpy at once.

Per-column pandas calls (``frame[c]``, ``to_numpy``, dtype tests) cost tens of
microseconds each: on 16,384 TF-IDF columns of 300 rows that overhead, not the
arithmetic, was most of a fast check. A block holds up to :data:`BLOCK_BYTES`
of values, transposed (one row per column, so reductions run along contiguous
memory, summed as numpy sums a single column), which bounds the temporaries a
check makes from it to a few times that. Columns of other kinds (text,
bool, nullable extension dtypes) stay with each check's per-column code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

#: Bytes of float64 values per block (a check's temporaries are a few times this).
BLOCK_BYTES = 32 * 2**20


def plain_columns(frame: Any) -> np.ndarray:
    """Bool per column position: a NumPy integer or float dtype (not bool, not a nullable extension dtype).

    All False when column names repeat: the per-column code reads columns by name, so such a table keeps it.
    """
    if not frame.columns.is_unique:
        return np.zeros(frame.shape[1], dtype=bool)
    return np.array([isinstance(t, np.dtype) and t.kind in "iuf" for t in frame.dtypes], dtype=bool)


def float_blocks(frame: Any, positions: np.ndarray, per_cell: int = 1) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(positions, W)`` for the columns at ``positions``, a block at a time; ``W`` is float64 of shape (block, rows), missing -> NaN.

    ``per_cell``: how many float64 temporaries the caller makes per value (its block shrinks to keep them in budget).
    """
    step = max(1, BLOCK_BYTES // max(8 * len(frame) * per_cell, 1))
    for start in range(0, len(positions), step):
        pos = positions[start:start + step]
        W = frame.iloc[:, pos].to_numpy(dtype=np.float64, na_value=np.nan)
        yield pos, np.ascontiguousarray(W.T)
