"""What a streaming pass over a :class:`~._stream.ParquetSource` learned (:class:`Scan`), and the same as plain data.

A distributed fit reads every file for this pass once, on rank 0, and sends the others :meth:`Scan.to_plain` (lists, dicts,
numbers and text: no object of the user's files is pickled), from which they rebuild it (:meth:`Scan.from_plain`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._check.stream import StreamCheck
from ._moments import Moments
from ._preprocessing import TablePreprocessor


@dataclass
class Scan:
    """What one streaming pass learned: the preprocessing, the classes and the row counts.

    Attributes
    ----------
    preprocessor : TablePreprocessor
        The preprocessing learned from every row.
    units_rows : list of int
        ``units[i]`` holds ``units_rows[i]`` rows.
    classes : numpy.ndarray or None
        The sorted set of target values (None for a numeric target read as regression).
    target_numeric : bool
        Whether the target's values are numbers.
    checks : StreamCheck, optional
        The data check's tallies from the same pass.
    units_weight : list of float, optional
        The sum of unit ``i``'s row weights (None without a weight column).
    target_moments : Moments, optional
        A numeric target's mean and variance over every row, held-out units included (as the preprocessing's), weighted
        by the weight column; None for a target that is not numeric.
    counts : list of int, optional
        Rows of each class of ``classes``, for a scan taken from rank 0 (no tallies of its own).
    """

    preprocessor: TablePreprocessor
    units_rows: list[int]
    classes: np.ndarray | None
    target_numeric: bool
    n_rows: int = field(init=False)
    checks: StreamCheck | None = None  # the fast data checks' tallies of every row (see :meth:`ParquetSource.check`)
    units_weight: list[float] | None = None
    target_moments: Moments | None = None
    counts: list[int] | None = None  # rows of each class of ``classes``, for a scan taken from rank 0 (no tallies of its own)

    def __post_init__(self) -> None:
        self.n_rows = int(sum(self.units_rows))

    def inferred_task(self) -> str:
        """``"classification"`` or ``"regression"``: :func:`~._target.infer_task`'s rule (``train FILE``'s and ``check FILE``'s)
        on the target's distinct values, so ``train DIR`` and ``check DIR`` judge a folder as they judge the same rows in
        one file: text, booleans or at most 20 distinct whole numbers are classes (diabetes' 214 whole numbers are a
        regression). Text is always classes, however many (over :data:`~._check.stream.MAX_TEXT_CLASSES` the check
        refuses it: ``too_many_classes``); numbers with over 1000 distinct values (no longer collected) are a regression."""
        if not self.target_numeric:
            return "classification"
        if self.classes is None:
            return "regression"
        import pandas as pd

        from ._target import infer_task

        return infer_task(pd.Series(self.classes))

    def class_counts(self) -> dict[Any, int] | None:
        """Rows of each class of ``classes`` (the statistics pass's label tallies); None for a numeric target or without tallies."""
        if self.classes is None:
            return None
        if self.checks is None:
            return None if self.counts is None else dict(zip(self.classes.tolist(), self.counts))
        labels = self.checks.labels
        return {c: int(labels.get(c, 0)) for c in self.classes.tolist()}

    def to_plain(self) -> dict[str, Any]:
        """What training needs of this scan as plain data (lists, dicts, numbers, text): what rank 0 of a distributed fit sends
        the others (:meth:`from_plain`), so that one process reads every file for the statistics pass, not each of them.

        The data check's tallies stay behind (rank 0 judges the data); the class counts go (``class_weight="balanced"``)."""
        moments = self.target_moments
        return {
            "preprocessor": self.preprocessor.to_dict(), "units_rows": [int(n) for n in self.units_rows],
            "classes": None if self.classes is None else self.classes.tolist(), "target_numeric": bool(self.target_numeric),
            "units_weight": None if self.units_weight is None else [float(w) for w in self.units_weight],
            "target_moments": None if moments is None else list(moments.state()),
            "counts": None if (found := self.class_counts()) is None else [int(n) for n in found.values()],
        }

    @classmethod
    def from_plain(cls, plain: dict[str, Any]) -> Scan:
        """The scan :meth:`to_plain` described: the same preprocessing, classes, units, weights and target moments, bit for bit.

        Parameters
        ----------
        plain : dict
            What :meth:`to_plain` returned.
        """
        moments = None if plain["target_moments"] is None else Moments.from_state(*plain["target_moments"])
        return cls(TablePreprocessor.from_dict(plain["preprocessor"]), list(plain["units_rows"]),
                   None if plain["classes"] is None else np.array(plain["classes"]), bool(plain["target_numeric"]), None,
                   plain["units_weight"], moments, plain["counts"])


__all__ = ["Scan"]
