"""Near-duplicate rows of a streamed table, over every row, in bounded memory.

The in-memory check (:func:`.duplicates.check_duplicates`) standardises each numeric
column by its mean and SD over all rows, rounds to ``tol`` SDs on two grids offset by
half a cell, and groups rows whose cells (and text columns) are equal. The means and SDs
are only known once every row is read, so a streamed table is read a second time after
the pass that learned them (:meth:`~.._stream.ParquetSource.check`): :class:`NearHashes`
keeps one 64-bit hash per row and grid (16 bytes a row) for the first
:data:`~.stream_rows.HASH_CAP` rows, as the exact duplicates keep theirs; later rows are
not compared, and the finding says the count is a sample. Rows in one grid cell share a
hash; unequal cells share one with odds ~n²/2**65, as for exact duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._float32 import F32_MAX
from .common import combine_columns
from .stream_rows import HASH_CAP, cell_hashes


class NearHashes:
    """Grid hashes of a streamed table's rows (see the module docstring).

    ``spread``: each numeric column's ``(mean, sd)`` over every row (finite values; a constant or
    empty column: ``sd`` 1, as :func:`~.common.scaled_matrix` has it); ``other``: the columns
    compared exactly (text and booleans). Columns in neither (IDs) are left out.
    """

    def __init__(self, spread: dict[str, tuple[float, float]], other: list[str], tol: float = 0.01, cap: int = HASH_CAP) -> None:
        self.columns = list(spread)
        self.mean = np.array([spread[c][0] for c in self.columns], dtype=np.float64)
        self.sd = np.array([spread[c][1] for c in self.columns], dtype=np.float64)
        self.other, self.tol, self.cap = other, tol, cap
        self.n = 0  # rows hashed
        self.seen = 0  # rows offered
        self._grids: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])

    def add(self, frame: Any) -> None:
        """Hash one record batch's features (a DataFrame holding at least this object's columns), in reading order."""
        self.seen += len(frame)
        take = min(len(frame), self.cap - self.n)
        if take <= 0:
            return
        frame = frame.iloc[:take]
        A = np.column_stack([_numbers(frame[c]) for c in self.columns])
        with np.errstate(invalid="ignore"):
            A[~(np.abs(A) <= F32_MAX)] = np.nan  # inf and 1e308 as missing, as scaled_matrix reads them
        Z = (A - self.mean) / self.sd
        Z[np.isnan(Z)] = 0.0  # missing -> the mean, as scaled_matrix
        Z = Z.astype(np.float32)  # the in-memory check's precision, so cells match it
        other = np.zeros(take, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j, c in enumerate(self.other):
                other = (other ^ cell_hashes(frame[c])) * np.uint64(0x100000001B3 + 2 * j)
            for grid, off in zip(self._grids, (0.0, 0.5)):
                cells = np.floor(Z / self.tol + off).astype(np.int64)
                h = combine_columns(np.ascontiguousarray(cells).view(np.uint64))
                grid.append(h ^ (other * np.uint64(0x9E3779B97F4A7C15)))
        self.n += take

    def rows(self, exact: Iterable[int]) -> np.ndarray:
        """Sorted rows (0-based, reading order) in a grid cell with an earlier row on either grid, less ``exact`` (exact repeats)."""
        near = np.zeros(self.n, dtype=bool)
        for grid in self._grids:
            if not grid:
                continue
            h = np.concatenate(grid)
            order = np.argsort(h, kind="stable")  # equal hashes in row order: each cell's first row is the earliest
            h = h[order]
            later = np.empty(self.n, dtype=bool)
            later[0] = False
            np.equal(h[1:], h[:-1], out=later[1:])
            near[order[later]] = True
        near[np.fromiter(exact, dtype=np.int64)] = False
        return np.flatnonzero(near)

    @property
    def sample(self) -> int | None:
        """The rows compared when not every row was (past the cap); None when all were."""
        return self.n if self.seen > self.n else None


def _numbers(s: Any) -> np.ndarray:
    """A column as float64 (missing: NaN); a later batch's text in a column numeric in the first: NaN, as a missing cell."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return np.array(s.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    return np.array(pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


__all__ = ["NearHashes"]
