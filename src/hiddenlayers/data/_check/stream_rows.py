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
(6e-6 at 15 million rows). At the report the hashes are sorted once: 24 bytes a row
kept with one ID-like column, about 45 at the report's peak (``benchmarks/bench_stream_check.py``
measures it), 0.7 GB at the cap; each further ID-like column adds 8 bytes a row, and a
regression target 8 more (:mod:`.stream_missing`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import Finding

#: Rows whose hashes are kept (120 MB each for the row and the target hashes); later rows are not compared.
HASH_CAP = 15_000_000
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
        self.repeats = np.zeros(0, dtype=np.int64)  # every row that repeats an earlier one, sorted (set by findings)

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
        for c in without & set(self._maybe_id):  # an ID column out of every row's hash, batch by batch (no second array)
            at = 0
            for cells in self._maybe_id[c]:
                with np.errstate(over="ignore"):
                    h[at : at + cells.size] -= cells * _weight(self._order[c])
                at += cells.size
        order = np.argsort(h, kind="stable")  # equal hashes in row order: each group's first row is the earliest
        h.sort()  # in place: h[order] without a third array
        repeat = np.empty(self.n, dtype=bool)
        repeat[0] = False
        np.equal(h[1:], h[:-1], out=repeat[1:])
        del h
        sample = self.n if self.seen > self.n else None
        out = []
        extra = np.sort(order[repeat])
        self.repeats = extra  # near duplicates leave these out, as check() does
        if extra.size:
            starts = np.flatnonzero(~repeat[:-1] & repeat[1:])  # the first row of each group of 2+
            out.append(duplicates_finding(extra[:row_cap], int(extra.size), int(starts.size), sample))
        if labelled and extra.size:
            out += self._conflicts(order, repeat, row_cap, sample, conflicts_finding)
        return out

    def _conflicts(self, order: np.ndarray, repeat: np.ndarray, row_cap: int, sample: int | None, make: Any) -> list[Finding]:
        """``conflicting_labels``: groups of equal rows (``order``: rows by hash; ``repeat``: same hash as the one before) whose labels differ."""
        grouped = repeat.copy()
        grouped[:-1] |= repeat[1:]  # the sorted rows in a group of 2+ (contiguous, each group whole)
        at = np.flatnonzero(grouped)
        lab = np.concatenate(self._labels)[order[at]]
        starts = np.flatnonzero(~repeat[at])  # each group's first
        has = lab != _NO_LABEL
        lab[~has] = np.iinfo(np.uint64).max  # in place (one array): no label never wins the minimum ...
        lo = np.minimum.reduceat(lab, starts)
        lab[~has] = 0  # ... nor the maximum
        hi = np.maximum.reduceat(lab, starts)
        del lab
        bad = lo < hi  # per group: two labelled rows that differ
        if not bad.any():
            return []
        in_bad = np.repeat(bad, np.diff(np.append(starts, at.size)))  # per grouped row: its group conflicts
        rows = np.sort(order[at][in_bad & has])
        return [make(int(np.count_nonzero(bad)), rows[:row_cap], int(rows.size), sample)]


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
