"""Exact duplicate rows of a streamed table, over every row in the one pass, in bounded memory.

:class:`RowHashes` keeps one 64-bit hash per row (8 bytes) and one of its
target (8 bytes), in numpy arrays, for the first :data:`HASH_CAP` rows; rows
past the cap are not compared, and the findings say the count is a sample.
A row's hash is the sum (mod 2**64) of its cells' hashes, each column's hash
multiplied by its own odd constant, so a column can be taken out afterwards:
the in-memory check compares rows without their ID columns (every row
differs there), which are only known once every row is read. A column that
may still be one (not float, not bool, no missing cell, every batch's values
distinct) keeps its own hashes, 8 bytes a row, until a batch shows otherwise.

Equal rows have equal hashes (missing equals missing, -0.0 equals 0.0, an
integer equals the same float); unequal rows share one with odds ~n²/2**65
(1e-5 at 20 million rows). At the report the arrays are sorted once: about
40 bytes a row at the peak, 0.8 GB at the cap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import Finding

#: Rows whose hashes are kept (160 MB each for the row and the target hashes); later rows are not compared.
HASH_CAP = 20_000_000
_NO_LABEL = np.uint64(0)  # the target hash of a row without a usable target (missing, or not a finite number)


def cell_hashes(s: Any) -> np.ndarray:
    """One uint64 hash per cell of the Series ``s``: numbers by their float64 value, other cells by their text."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = np.array(s.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        v[np.isnan(v)] = np.nan  # one NaN bit pattern
        v += 0.0  # -0.0 -> 0.0
        return pd.util.hash_array(v.view(np.uint64))
    return pd.util.hash_array(s.to_numpy(dtype=object))


def _weight(j: int) -> np.uint64:
    """Column ``j``'s odd multiplier (distinct per column, so swapped values in two columns are two different rows)."""
    return np.uint64(((0x9E3779B97F4A7C15 * (2 * j + 1)) | 1) & 0xFFFFFFFFFFFFFFFF)


class RowHashes:
    """Row and target hashes of the first ``cap`` rows of a streamed table, and the duplicate findings they give."""

    def __init__(self, cap: int = HASH_CAP) -> None:
        self.cap = cap
        self.n = 0  # rows hashed
        self.seen = 0  # rows offered
        self._rows: list[np.ndarray] = []
        self._labels: list[np.ndarray] = []
        self._order: dict[str, int] = {}  # column -> its index (its multiplier)
        self._maybe_id: dict[str, list[np.ndarray]] = {}  # columns that may be IDs -> their cell hashes so far
        self._not_id: set[str] = set()

    def add(self, frame: Any, y: Any) -> None:
        """Hash one record batch: features ``frame`` (DataFrame) and target ``y`` (Series, same rows)."""
        import pandas as pd

        first = self.seen == 0
        self.seen += len(frame)
        take = min(len(frame), self.cap - self.n)
        if take <= 0:
            return
        frame, y = frame.iloc[:take], y.iloc[:take]
        h = np.zeros(take, dtype=np.uint64)
        for c, s in frame.items():
            c = str(c)
            j = self._order.setdefault(c, len(self._order))
            cells = cell_hashes(s)
            with np.errstate(over="ignore"):
                h += cells * _weight(j)
            if c in self._not_id:
                continue
            may = (first or c in self._maybe_id) and not (pd.api.types.is_float_dtype(s) or pd.api.types.is_bool_dtype(s)) \
                and not s.isna().any() and np.unique(cells).size == take
            if may:
                self._maybe_id.setdefault(c, []).append(cells)
            else:
                self._not_id.add(c)
                self._maybe_id.pop(c, None)
        self._rows.append(h)
        self._labels.append(_label_hashes(y))
        self.n += take

    def findings(self, without: set[str], labelled: bool, row_cap: int) -> list[Finding]:
        """``duplicates`` and ``conflicting_labels`` as check() words them, rows compared without the columns ``without``.

        ``labelled``: whether the target is usable (else no label conflicts); ``row_cap``: rows kept per finding.
        """
        from .duplicates import conflicts_finding, duplicates_finding

        if self.n < 2 or not self._order or not (set(self._order) - without):
            return []
        h = np.concatenate(self._rows)
        for c in without & set(self._maybe_id):  # an ID column out of every row's hash
            with np.errstate(over="ignore"):
                h -= np.concatenate(self._maybe_id[c]) * _weight(self._order[c])
        order = np.argsort(h, kind="stable")  # equal hashes in row order: each group's first row is the earliest
        hs = h[order]
        del h
        repeat = np.empty(self.n, dtype=bool)
        repeat[0] = False
        np.equal(hs[1:], hs[:-1], out=repeat[1:])
        del hs
        sample = self.n if self.seen > self.n else None
        out = []
        extra = np.sort(order[repeat])
        if extra.size:
            starts = np.flatnonzero(~repeat[:-1] & repeat[1:])  # the first row of each group of 2+
            out.append(duplicates_finding(extra[:row_cap], int(extra.size), int(starts.size), sample))
        if labelled and extra.size:
            out += self._conflicts(order, repeat, row_cap, sample, conflicts_finding)
        return out

    def _conflicts(self, order: np.ndarray, repeat: np.ndarray, row_cap: int, sample: int | None, make: Any) -> list[Finding]:
        """``conflicting_labels``: groups of equal rows (``order``: rows by hash; ``repeat``: same hash as the one before) whose labels differ."""
        lab = np.concatenate(self._labels)[order]
        starts = np.flatnonzero(~repeat)  # every group, single rows too (reduceat needs contiguous segments)
        has = lab != _NO_LABEL
        lo = np.minimum.reduceat(np.where(has, lab, np.iinfo(np.uint64).max), starts)
        hi = np.maximum.reduceat(np.where(has, lab, 0), starts)
        bad = np.flatnonzero(lo < hi)  # two labelled rows that differ
        if not bad.size:
            return []
        group = np.cumsum(~repeat) - 1  # each sorted row's group
        rows = np.sort(order[np.isin(group, bad) & has])
        return [make(int(bad.size), rows[:row_cap], int(rows.size), sample)]


def _label_hashes(y: Any) -> np.ndarray:
    """The target's hash per row (:func:`cell_hashes`), ``_NO_LABEL`` where it is missing or, numeric, not finite."""
    import pandas as pd

    h = cell_hashes(y) ^ np.uint64(0x5BD1E9955BD1E995)  # the value 0 hashes to 0, the sentinel: moved off it
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        h[~np.isfinite(y.to_numpy(dtype=np.float64, na_value=np.nan))] = _NO_LABEL
    else:
        h[y.isna().to_numpy()] = _NO_LABEL
    return h


__all__ = ["HASH_CAP", "RowHashes", "cell_hashes"]
