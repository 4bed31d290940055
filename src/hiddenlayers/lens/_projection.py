"""Each layer's representation in 2-D: PCA by default, t-SNE on request."""

from __future__ import annotations

from typing import Any

import numpy as np

METHODS = ("pca", "tsne")


def project_2d(features: np.ndarray, *, method: str = "pca", random_state: int = 0) -> np.ndarray:
    """``(n, d)`` -> ``(n, 2)`` coordinates. ``d < 2`` is padded with zeros."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}. Received: method={method!r}.")
    f = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    if f.shape[1] < 2:
        return np.hstack([f, np.zeros((f.shape[0], 2 - f.shape[1]))])
    if method == "pca":
        from sklearn.decomposition import PCA

        if np.allclose(f.std(0), 0):
            return np.zeros((f.shape[0], 2))
        return PCA(n_components=2, random_state=random_state).fit_transform(f)
    from sklearn.manifold import TSNE

    perplexity = float(min(30, max(2, (f.shape[0] - 1) // 3)))
    return TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=random_state).fit_transform(f)


def project(
    model: Any, X: Any, *, layers: Any = None, method: str = "pca", max_rows: int | None = 2000, random_state: int = 0
) -> dict[str, np.ndarray]:
    """``{layer: (n, 2)}`` for the first ``max_rows`` rows of ``X`` (None: every row; colour them by label when plotting)."""
    from ._record import record
    from ._target import check_max_rows

    max_rows = check_max_rows(max_rows)
    rec = record(model, X[:max_rows], layers)
    return {n: project_2d(rec.features(n), method=method, random_state=random_state) for n in rec}


__all__ = ["project", "project_2d"]
