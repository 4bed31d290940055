"""Whether missingness predicts a numeric target, for a streamed table (``missing_predicts_target``, regression).

check() compares the target where a column is missing with where it is not
(Mann-Whitney), which needs every row's target at once. :class:`MissingByValue`
keeps, for the first :data:`~.stream_rows.HASH_CAP` rows, the target as float64
(8 bytes a row, dropped once the target holds text) and each column's missing
cells as bits (1 bit a row, for the columns with a missing cell): 160 MB and 2.5 MB
a column at the cap. Past it, the finding says it judged a sample.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .common import Finding
from .stream_rows import HASH_CAP


class MissingByValue:
    """The numeric target and the missing cells of the first ``cap`` rows of a streamed table."""

    def __init__(self, cap: int = HASH_CAP) -> None:
        self.cap = cap
        self.n = 0  # rows kept
        self.seen = 0  # rows offered
        self._y: list[np.ndarray] | None = []  # None once the target is not numeric (no regression then)
        self._masks: dict[str, list[tuple[int, int, np.ndarray]]] = {}  # column -> (first row, rows, packed bits) per batch

    def add(self, masks: dict[str, np.ndarray], y: Any) -> None:
        """One record batch: ``masks`` the bool masks (shape (rows,)) of its columns with a missing cell, ``y`` its target (Series)."""
        import pandas as pd

        self.seen += len(y)
        take = min(len(y), self.cap - self.n)
        if take <= 0:
            return
        if self._y is not None:
            if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
                self._y.append(y.to_numpy(dtype=np.float64, na_value=np.nan)[:take])
            else:
                self._y = None
        for c, m in masks.items():
            self._masks.setdefault(c, []).append((self.n, take, np.packbits(m[:take])))
        self.n += take

    def kept_target(self) -> np.ndarray | None:
        """The numeric target of the first :attr:`n` rows as float64 ``(n,)``, NaN where missing; None once it held text.

        :func:`~.target_range.check_extreme_target` judges it (``extreme_target``), :attr:`seen` saying whether it is every row."""
        if self._y is None:
            return None
        return np.concatenate(self._y) if self._y else np.zeros(0)

    def findings(self, columns: list[str]) -> list[Finding]:
        """``missing_predicts_target`` as check() finds it for regression, ``columns`` in the table's order; [] if none."""
        from .columns import missing_predicts_finding, missing_value_test

        y = self.kept_target()
        if y is None or not y.size:
            return []
        keep = np.isfinite(y)  # the rows check() keeps for a regression target
        yk = y[keep]
        if yk.size < 20:
            return []
        hits = []
        for c in columns:
            if c not in self._masks:
                continue
            m = np.zeros(self.n, dtype=bool)
            for start, rows, bits in self._masks[c]:
                m[start : start + rows] = np.unpackbits(bits, count=rows).astype(bool)
            mk = m[keep]
            if not 0.01 <= mk.mean() <= 0.99:
                continue
            found = missing_value_test(yk, mk)
            if found is not None and found[0] < 1e-3 and found[1] >= 0.1:
                hits.append((c, *found))
        out = missing_predicts_finding(hits)
        if self.seen > self.n:
            out = [replace(f, message=f"{f.message} (among the first {self.n:,} rows only)", details={**f.details, "sample_rows": self.n}) for f in out]
        return out


__all__ = ["MissingByValue"]
