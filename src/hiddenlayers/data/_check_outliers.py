"""Outlier rows, from an IsolationForest on the standardised table.

Why an IsolationForest and not our Autoencoder's reconstruction error: it
needs no training loop (100 trees on 256-row samples: about a second on
100,000 rows, where an autoencoder needs epochs), it has no width or epoch
count to tune, and it scores rows by how few random splits isolate them, which
does not assume the data lie near a low-dimensional surface. A row is flagged
when its score lies more than ``cut`` robust standard deviations (MAD) beyond
the median score, so clean data with long but smooth tails stays quiet.
"""

from __future__ import annotations

import numpy as np

from ._check_common import Finding, preview


def outlier_scores(A: np.ndarray, seed: int = 0) -> np.ndarray:
    """Anomaly score per row (higher = more isolated), from scikit-learn's IsolationForest; shape (rows,)."""
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=100, max_samples=min(256, len(A)), random_state=seed, n_jobs=1).fit(A)
    return -forest.score_samples(A)


def check_outliers(A: np.ndarray, cut: float = 8.0, seed: int = 0) -> list[Finding]:
    """Rows far more isolated than the rest (see the module docstring), most isolated first."""
    if len(A) < 20 or A.shape[1] == 0 or not np.any(A.std(axis=0) > 0):
        return []
    s = outlier_scores(A, seed)
    med = np.median(s)
    mad = np.median(np.abs(s - med)) * 1.4826
    if mad <= 0:
        return []
    z = (s - med) / mad
    rows = np.flatnonzero(z > cut)
    if rows.size == 0:
        return []
    rows = rows[np.argsort(-z[rows], kind="stable")]
    return [Finding("outliers", "info",
                    f"{rows.size} row(s) are outliers (IsolationForest score over {cut:g} robust SDs above the median): rows {preview(rows)}",
                    "check them for entry errors or unit mix-ups; drop them if they are wrong (report.clean(X, y, drop=('outliers',)))",
                    rows=tuple(int(r) for r in rows), details={"robust_z": [round(float(z[r]), 2) for r in rows[:100]], "detector": "IsolationForest"})]
