"""Each layer's representation in 2-D: PCA by default, t-SNE on request."""

from __future__ import annotations

from typing import Any

import numpy as np

METHODS = ("pca", "tsne")
#: the fewest rows each method places: PCA needs 2 to have a direction, t-SNE 3 (its smallest perplexity, 2, must be below the rows)
MIN_ROWS = {"pca": 2, "tsne": 3}


def project_2d(features: np.ndarray, *, method: str = "pca", random_state: int = 0) -> np.ndarray:
    """``(n, d)`` -> ``(n, 2)`` coordinates. ``d < 2`` is padded with zeros.

    Parameters
    ----------
    features : numpy.ndarray of shape (n, d)
        One representation of the rows.
    method : {"pca", "tsne"}
        The projection.
    random_state : int
        Seeds PCA/t-SNE.
    """
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


class Projection(dict[str, np.ndarray]):
    """``{layer: (n, 2) coordinates}``, a dict as before, plus ``rows``: which rows of ``X`` they are.

    Parameters
    ----------
    coords : dict of str to numpy.ndarray
        ``{layer: (n, 2) coordinates}``.
    rows : numpy.ndarray of shape (n,)
        Int positions into ``X``, ascending; row ``i`` of every layer's coordinates is ``X``'s row ``rows[i]`` (take
        ``y[result.rows]`` to colour them by label).
    """

    rows: np.ndarray

    def __init__(self, coords: dict[str, np.ndarray], rows: np.ndarray) -> None:
        super().__init__(coords)
        self.rows = rows


def project(
    model: Any, X: Any, *, layers: Any = None, method: str = "pca", max_rows: int | None = 2000, random_state: int = 0
) -> Projection:
    """``{layer: (n, 2)}`` coordinates of each layer's representation of at most ``max_rows`` rows of ``X``.

    The result is a dict whose ``rows`` attribute holds the positions in ``X`` of the rows used (see
    :class:`Projection`).

    Parameters
    ----------
    model : estimator, Network or torch.nn.Module
        The model (what :func:`record` takes).
    X : array-like of shape (N, ...)
        The rows.
    layers : selector, optional
        Which layers, as :func:`record` takes them.
    method : {"pca", "tsne"}
        The projection.
    max_rows : int, optional
        The rows are drawn at random (seed ``random_state``), not the first ones: data sorted by label would otherwise
        show one class only; None: every row.
    random_state : int
        Seeds the rows drawn and PCA/t-SNE.
    """
    from ._record import record
    from ._target import check_max_rows, count_rows, sample_index, take_rows

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}. Received: method={method!r}.")
    least = MIN_ROWS[method]
    max_rows = check_max_rows(max_rows, least, f" (method={method!r} places at least {least} rows)")
    n = count_rows(X)
    if n < least:  # one row's PCA was all zeros; t-SNE failed on a perplexity the user never set
        raise ValueError(f"project(method={method!r}) needs at least {least} rows of X to place them in 2-D, relative to each other. "
                         f"Received: {n}; pass more rows.")
    idx = sample_index(n, max_rows, random_state)
    rec = record(model, take_rows(X, idx), layers)
    coords = {name: project_2d(rec.features(name), method=method, random_state=random_state) for name in rec}
    return Projection(coords, np.arange(n) if idx is None else idx)


__all__ = ["Projection", "project", "project_2d"]
