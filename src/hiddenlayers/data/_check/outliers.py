"""Outlier rows, from an IsolationForest on the standardised table.

Why an IsolationForest and not our Autoencoder's reconstruction error: it
needs no training loop (100 trees on 256-row samples: about a second on
100,000 rows, where an autoencoder needs epochs), it has no width or epoch
count to tune, and it scores rows by how few random splits isolate them, which
does not assume the data lie near a low-dimensional surface. A row is flagged
when its score lies more than ``cut`` robust standard deviations (MAD) beyond
the median score, so clean data with long but smooth tails stays quiet.
A forest picks split features at random, so one wild value in one of many
columns (a typo, a unit mix-up) can hide from it; such rows are also flagged
when a value lies more than ``cell_cut`` robust SDs from its column's median
(50: skewed real columns reach about 40, e.g. breast cancer's ``area error``).
"""

from __future__ import annotations

import numpy as np

from .common import Finding, preview


def outlier_scores(A: np.ndarray, seed: int = 0) -> np.ndarray:
    """Anomaly score per row (higher = more isolated), from scikit-learn's IsolationForest; shape (rows,)."""
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=50, max_samples=min(256, len(A)), random_state=seed, n_jobs=1).fit(A)
    return -forest.score_samples(A)


def extreme_cells(A: np.ndarray, cell_cut: float = 50.0) -> np.ndarray:
    """Largest robust z-score of each row over the columns with a non-zero MAD; shape (rows,)."""
    med = np.median(A, axis=0)
    mad = np.median(np.abs(A - med), axis=0) * 1.4826
    ok = mad > 0
    if not ok.any():
        return np.zeros(len(A))
    return np.asarray(np.abs(A[:, ok] - med[ok]) / mad[ok]).max(axis=1)


def check_outliers(A: np.ndarray, cut: float = 8.0, cell_cut: float = 50.0, seed: int = 0) -> list[Finding]:
    """Rows far more isolated than the rest, or with one wild value (see the module docstring), most extreme first."""
    if len(A) < 20 or A.shape[1] == 0 or not np.any(A.std(axis=0) > 0):
        return []
    s = outlier_scores(A, seed)
    med = np.median(s)
    mad = np.median(np.abs(s - med)) * 1.4826
    z = (s - med) / mad if mad > 0 else np.zeros(len(s))
    cell = extreme_cells(A, cell_cut)
    z = np.maximum(z, np.where(cell > cell_cut, cut + cell / cell_cut, 0.0))  # a wild cell ranks with the isolated rows
    rows = np.flatnonzero(z > cut)
    if rows.size == 0:
        return []
    rows = rows[np.argsort(-z[rows], kind="stable")]
    return [Finding("outliers", "info",
                    f"{rows.size} row(s) are outliers (IsolationForest score over {cut:g} robust SDs above the median, or a value over {cell_cut:g} robust SDs from its column's median): rows {preview(rows)}",
                    "check them for entry errors or unit mix-ups; drop them if they are wrong (report.clean(X, y, drop=('outliers',)))",
                    rows=tuple(int(r) for r in rows), details={"robust_z": [round(float(z[r]), 2) for r in rows[:100]], "detector": "IsolationForest"})]
