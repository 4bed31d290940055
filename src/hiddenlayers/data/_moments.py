"""A column's weighted mean and variance, learned batch by batch in one pass (Chan, Golub and LeVeque's merge).

Why: a streamed regression standardizes its target (``MLPRegressor(scale_target=True)``) by the
mean and standard deviation of every row, which only one pass over the files can give. Adding
batch moments with the pairwise merge keeps float64 accuracy where summing ``y`` and ``y**2``
loses it (a target near 1e6 with a spread of 1: the two sums cancel to noise). Rows count by
their weights (a row of weight 2 is that row twice; weight 0 leaves it out), as
``StandardScaler.fit(sample_weight=)`` counts them.

>>> import numpy as np
>>> m = Moments(); m.add(np.array([1.0, 2.0])); m.add(np.array([3.0, 4.0]))
>>> float(m.mean), float(m.var)
(2.5, 1.25)
"""

from __future__ import annotations

import numpy as np


class Moments:
    """Running weighted moments of one numeric column: ``weight`` (summed row weights), ``mean`` and ``var`` (float64).

    ``var`` is the population variance (``ddof=0``, as ``np.std`` and ``StandardScaler``); before any
    weighted row both are NaN. Batches may come in any order and any sizes: the result is the same
    (up to float64 rounding) as ``np.average`` over all rows at once.
    """

    def __init__(self) -> None:
        self.weight = 0.0
        self._mean = 0.0
        self._m2 = 0.0  # the weighted sum of squared deviations from the mean

    def add(self, values: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Count a batch of values with their row weights; a batch of weight 0 changes nothing.

        Parameters
        ----------
        values : numpy.ndarray of shape (n,)
            The column's values in the batch.
        weights : numpy.ndarray of shape (n,), optional
            Row weights (None: each 1).
        """
        y = np.asarray(values, dtype=np.float64).ravel()
        w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
        wb = float(w.sum())
        if not wb > 0:
            return
        with np.errstate(invalid="ignore", over="ignore"):  # an infinite value makes NaN moments, which their reader refuses
            mb = float((w * y).sum() / wb)  # not np.dot: OpenBLAS threads a long dot, ~10x the CPU of numpy's pairwise sum here
            m2b = float((w * (y - mb) ** 2).sum())
        total = self.weight + wb
        delta = mb - self._mean
        self._mean += delta * (wb / total)
        self._m2 += m2b + delta * delta * (self.weight * wb / total)
        self.weight = total

    def state(self) -> tuple[float, float, float]:
        """``(weight, mean, sum of squared deviations)``: everything it holds, as numbers (:meth:`from_state` rebuilds it)."""
        return float(self.weight), float(self._mean), float(self._m2)

    @classmethod
    def from_state(cls, weight: float, mean: float, m2: float) -> Moments:
        """The moments :meth:`state` gave (sent from one process to another as plain numbers).

        Parameters
        ----------
        weight : float
            The summed row weights.
        mean : float
            The weighted mean.
        m2 : float
            The weighted sum of squared deviations from the mean.
        """
        out = cls()
        out.weight, out._mean, out._m2 = float(weight), float(mean), float(m2)
        return out

    @property
    def mean(self) -> float:
        """The weighted mean (NaN before any weighted row)."""
        return self._mean if self.weight > 0 else float("nan")

    @property
    def var(self) -> float:
        """The weighted population variance (NaN before any weighted row)."""
        return self._m2 / self.weight if self.weight > 0 else float("nan")


__all__ = ["Moments"]
