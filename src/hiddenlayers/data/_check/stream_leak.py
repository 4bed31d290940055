"""Leakage of a streamed table over every row (``leakage``: one column alone predicts the target), in bounded memory.

check() sorts every row by each numeric column (ties in a seeded random order)
and counts the target's changes between neighbours, so it needs each column's
values and the target of every row at once. :class:`LeakColumns` keeps them for
the first rows that fit :data:`LEAK_BUDGET` bytes: a numeric column as float64
(8 bytes a row), any other as int32 codes of its values (4 bytes; a column with
over :data:`MAX_CODES` distinct values stops being kept, as check() does not
judge one with more values than a twentieth of the rows under 1.3M rows; past
that, where check() would judge it, one ``leakage_skipped`` info finding names
such columns, so none is left out in silence), the
target as float64 (numeric) and as codes of its text (its first 1000 labels).
Scoring a column at the report takes about 40 bytes a kept row more, for that column only.
:meth:`LeakColumns.findings` then scores each column with check()'s own
:func:`~.columns.leakage_score`: the same finding on the same rows, and the
finding says so when the rows kept were fewer than the rows read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import Finding

#: Bytes of column values and targets kept (rows kept: this over the bytes a row needs, from the first batch's columns).
LEAK_BUDGET = 256_000_000
#: Distinct values a non-numeric column keeps codes for; past them it is not judged (check() judges at most rows / 20).
MAX_CODES = 65_536
_MAX_LABELS = 1000  # the target's text codes: classification beyond this is not judged (the label counts stop there too)


class LeakColumns:
    """Each column's values and the target of the first rows within ``budget`` bytes (see the module docstring)."""

    def __init__(self, budget: int = LEAK_BUDGET) -> None:
        self.budget = budget
        self.cap: int | None = None  # rows kept, set by the first batch
        self.n = 0
        self.seen = 0
        self._numeric: dict[str, bool] = {}
        self._values: dict[str, list[np.ndarray]] = {}
        self._codes: dict[str, dict[Any, int]] = {}  # non-numeric column -> value -> code
        self._given_up: list[str] = []  # non-numeric columns past MAX_CODES values: not judged (findings says so)
        self._y: list[np.ndarray] | None = []  # float64 while the target is numeric
        self._labels: dict[str, int] | None = {}  # the target's text -> code, None past _MAX_LABELS
        self._y_codes: list[np.ndarray] = []

    def add(self, frame: Any, y: Any) -> None:
        """Keep one record batch's rows (features ``frame``, target ``y``) while the budget lasts."""
        import pandas as pd

        if self.cap is None:
            for c, s in frame.items():
                self._numeric[str(c)] = bool(pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))
            per_row = sum(8 if num else 4 for num in self._numeric.values()) + 12
            self.cap = max(self.budget // per_row, 1)
        self.seen += len(frame)
        take = min(len(frame), self.cap - self.n)
        if take <= 0:
            return
        for c, s in frame.items():
            c = str(c)
            if c not in self._values and self.n:
                continue  # a column given up on (too many values)
            s = s.iloc[:take]
            if self._numeric.get(c, False):
                self._values.setdefault(c, []).append(s.to_numpy(dtype=np.float64, na_value=np.nan))
            elif (codes := self._encode(c, s)) is not None:
                self._values.setdefault(c, []).append(codes)
        self._add_target(y.iloc[:take])
        self.n += take

    def _encode(self, c: str, s: Any) -> np.ndarray | None:
        """int32 codes of the column's values (missing: -1), the same code for the same value in every batch; None (and
        the column dropped) once it has over MAX_CODES values."""
        import pandas as pd

        local, uniques = pd.factorize(s, use_na_sentinel=True)
        table = self._codes.setdefault(c, {})
        for u in uniques.tolist():
            table.setdefault(u, len(table))
        if len(table) > MAX_CODES:
            self._values.pop(c, None)
            self._codes.pop(c, None)
            self._given_up.append(c)
            return None
        lookup = np.array([table[u] for u in uniques.tolist()] + [-1], dtype=np.int32)
        return lookup[local]  # code -1 (missing) indexes the trailing -1

    def _add_target(self, y: Any) -> None:
        import pandas as pd

        if self._y is not None:
            if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
                self._y.append(y.to_numpy(dtype=np.float64, na_value=np.nan))
            else:
                self._y = None
        if self._labels is not None:
            local, uniques = pd.factorize(y, use_na_sentinel=True)  # labels compared as text, as check() compares them
            for u in uniques.tolist():
                self._labels.setdefault(str(u), len(self._labels))
            if len(self._labels) > _MAX_LABELS:
                self._labels, self._y_codes = None, []
            else:  # a missing target: code -1 (the trailing entry), a row check() drops
                self._y_codes.append(np.array([self._labels[str(u)] for u in uniques.tolist()] + [-1], dtype=np.int32)[local])

    def findings(self, kind: str | None, skip: set[str]) -> list[Finding]:
        """check()'s ``leakage`` finding for ``kind`` on the kept rows with a usable target, without the columns ``skip``."""
        import pandas as pd

        from .leakage import leakage_finding, leakage_score, leakage_target

        y = self._target(kind)
        if y is None:
            return []
        keep = np.isfinite(y) if kind == "regression" else y >= 0  # the rows check() keeps: a finite number, a label
        target = leakage_target(y[keep], kind, int(np.count_nonzero(keep)))
        if target is None:
            return []
        perm = np.random.default_rng(0).permutation(int(np.count_nonzero(keep)))  # check()'s tie order
        hits = []
        for c, parts in self._values.items():
            if c in skip:
                continue
            v = np.concatenate(parts)[keep]
            s = pd.Series(v) if self._numeric[c] else pd.Series(pd.Categorical.from_codes(v, categories=range(len(self._codes[c]))))
            score = leakage_score(s, target, perm)
            if score is not None and score >= 0.99:
                hits.append((c, score))
        return leakage_finding(hits, kind == "classification", self.n if self.seen > self.n else None) + self._unjudged(skip, len(perm))

    def _unjudged(self, skip: set[str], n: int) -> list[Finding]:
        """One info finding naming the columns given up past :data:`MAX_CODES` values that check() would judge on the ``n``
        rows scored (it judges a column of up to ``n // 20`` values): [] when there are none (where ``n // 20`` is below
        the cap, check() leaves such a column out too, and so nothing differs)."""
        names = [c for c in self._given_up if c not in skip]
        if not names or n // 20 <= MAX_CODES:
            return []
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return [Finding("leakage_skipped", "info",
                        f"leakage not judged for {len(names)} column(s) of over {MAX_CODES:,} distinct values: {shown} (a streamed "
                        f"check keeps at most {MAX_CODES:,} values a column; check() in memory judges up to {n // 20:,} here)",
                        "if one of them could be known only with the target, check a sample of the rows in memory (hl.check on a DataFrame)",
                        columns=tuple(names))]

    def _target(self, kind: str | None) -> np.ndarray | None:
        """The kept target as check() reads it: float64 for regression, label codes (as text) for classification."""
        if kind == "regression" and self._y is not None and self._y:
            return np.concatenate(self._y)
        if kind == "classification" and self._labels is not None and self._y_codes:
            return np.concatenate(self._y_codes)
        return None


__all__ = ["LEAK_BUDGET", "MAX_CODES", "LeakColumns"]
