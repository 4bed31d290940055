"""The input plane the neuron maps are drawn on, fitted once and reused (so maps of several epochs line up).

Two input features: the plane of those features. More: the plane through the
data mean spanned by the first two principal components
(``x = mean + a·pc1 + b·pc2``). The grid covers the data's coordinates in that
plane plus 10% on each side. Above ``max_rows`` rows, the plane is fitted to a
seeded random sample of them (:func:`plane_rows`; default cap
:data:`PLANE_MAX_ROWS`), the one rule of ``neuron_maps``, ``Timelapse`` and the
report: the same X gives the same plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._target import sample_index

#: the seed of the rows a plane is fitted to, above max_rows: fixed, so the same X always gives the same plane
PLANE_SEED = 0
#: the default cap on the rows a plane is fitted to (neuron_maps, Timelapse, the report): PCA on more moves the plane little
PLANE_MAX_ROWS = 2000


@dataclass(frozen=True)
class Plane:
    """A 2-D plane in input space and a ``resolution x resolution`` grid over it.

    ``mean`` ``(features,)`` and ``basis`` ``(2, features)``: a point ``(a, b)``
    of the plane is ``mean + a·basis[0] + b·basis[1]``. ``extent`` =
    ``(a_min, a_max, b_min, b_max)``; ``axes`` names the two axes; ``points``:
    the fitting rows' ``(n, 2)`` coordinates.
    """

    mean: np.ndarray
    basis: np.ndarray
    extent: tuple[float, float, float, float]
    axes: tuple[str, str]
    points: np.ndarray
    resolution: int

    def grid(self) -> np.ndarray:
        """The grid's points in input space, ``(resolution², features)`` float64: row = b (bottom to top), column = a."""
        lo_a, hi_a, lo_b, hi_b = self.extent
        A, B = np.meshgrid(np.linspace(lo_a, hi_a, self.resolution), np.linspace(lo_b, hi_b, self.resolution))
        return self.mean + np.stack([A.ravel(), B.ravel()], 1) @ self.basis  # type: ignore[no-any-return]


def plane_rows(n: int, max_rows: int | None) -> np.ndarray | None:
    """Sorted indices of the ``max_rows`` of ``n`` rows a plane is fitted to, drawn at random with :data:`PLANE_SEED`; None: all ``n``.

    Why not the first ``max_rows``: rows sorted by label or time would fit the
    plane to the first classes or days only. Why one seed: ``neuron_maps`` and
    ``Timelapse`` on the same X then draw on the same plane.
    """
    return sample_index(n, max_rows, PLANE_SEED)


def fit_plane(Xa: np.ndarray, resolution: int) -> Plane:
    """The plane of real-valued rows ``Xa`` ``(n, features)``, ``features >= 2``, ``n >= 2`` (see module doc).

    PCA gets a fixed ``random_state``: the same rows give the same plane, and the
    caller's global NumPy random state is never drawn from (a training run beside it repeats).
    """
    Xa = np.asarray(Xa, dtype=np.float64)
    if Xa.ndim != 2:
        raise ValueError(f"neuron maps need tabular X of shape (n_rows, n_features). Received shape {Xa.shape}.")
    if Xa.shape[1] == 1:
        raise ValueError("neuron maps need at least 2 input features; this model takes 1.")
    if Xa.shape[1] == 2:
        pts, mean, basis, axes = Xa, np.zeros(2), np.eye(2), ("x1", "x2")
    else:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=0).fit(Xa)
        pts, mean, basis, axes = pca.transform(Xa), pca.mean_, pca.components_, ("PC1", "PC2")
    lo, hi = pts.min(0), pts.max(0)
    pad = 0.1 * np.maximum(hi - lo, 1e-6)
    lo, hi = lo - pad, hi + pad
    extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    return Plane(np.asarray(mean, dtype=np.float64), np.asarray(basis, dtype=np.float64), extent, axes, pts, resolution)


__all__ = ["PLANE_MAX_ROWS", "PLANE_SEED", "Plane", "fit_plane", "plane_rows"]
