"""What each hidden unit responds to: top-activating rows and maps over the input plane.

``neuron_maps`` evaluates every unit on a grid over the input plane
(Playground-style): the plane of the two input features when the input is
2-D, otherwise the plane through the data mean spanned by the first two
principal components (``x = mean + a·pc1 + b·pc2``; see ``_plane``).
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._stacklevel import user_stacklevel
from ._plane import PLANE_MAX_ROWS, fit_plane, plane_rows


def top_activating(acts: np.ndarray, k: int = 5) -> np.ma.MaskedArray:
    """Row indices of the ``k`` strongest activations per unit: ``(units, k)``, strongest first.

    A unit constant on the rows (a dead unit: every row ties) has no top rows: its row of the result is masked
    (``.tolist()`` gives None; the data under the mask is -1) and one ``UserWarning`` names such units. Before, it got
    the first ``k`` rows, ties read as "the rows that drive it most".

    Parameters
    ----------
    acts : numpy.ndarray of shape (n, units)
        Per-example activations (e.g. ``record(m, X)["hidden1"]``).
    k : int
        Rows per unit.
    """
    from ._target import refuse_model

    refuse_model(acts, "acts", "top_activating")
    a = np.asarray(acts)
    if a.ndim != 2:
        raise ValueError(f"acts must be (n_rows, units). Received shape {a.shape}; use Recording.features(name) for conv/recurrent layers.")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:  # NumPy integers are integers; True is not a count
        raise ValueError(f"k must be an integer >= 1. Received: k={k!r}.")
    k = min(int(k), a.shape[0])
    part = np.argpartition(-a, k - 1, axis=0)[:k]  # (k, units), unordered
    order = np.take_along_axis(-a, part, axis=0).argsort(axis=0, kind="stable")
    top = np.take_along_axis(part, order, axis=0).T
    flat = np.ptp(a, axis=0) <= 1e-6 * (1.0 + np.abs(a).max(axis=0)) if a.shape[0] else np.zeros(a.shape[1], dtype=bool)
    if bool(flat.any()):  # the stats' rule for a constant unit
        top[flat] = -1
        units = np.flatnonzero(flat)
        shown = ", ".join(map(str, units[:10])) + (f" and {len(units) - 10} more" if len(units) > 10 else "")
        warnings.warn(f"unit(s) {shown} are constant on these rows (dead or stuck): no row activates them more than another, "
                      "so they have no top rows (masked).", UserWarning, stacklevel=user_stacklevel())
    return np.ma.MaskedArray(top, mask=np.broadcast_to(flat[:, None], top.shape).copy(), fill_value=-1)


@dataclass
class NeuronMaps:
    """Unit outputs on a ``resolution x resolution`` grid.

    Attributes
    ----------
    maps : dict of str to numpy.ndarray
        ``maps[layer]`` is ``(units, res, res)``.
    extent : tuple of float
        ``(a_min, a_max, b_min, b_max)`` of the plane.
    axes : tuple of str
        The names of the two axes.
    points : numpy.ndarray of shape (n, 2)
        The data's coordinates in that plane.
    rows : numpy.ndarray or None
        The (sorted) indices into ``X`` of those points' rows when ``max_rows`` sampled them, None when every row is
        there (``y[rows]`` colours the points).
    """

    maps: dict[str, np.ndarray]
    extent: tuple[float, float, float, float]
    axes: tuple[str, str]
    points: np.ndarray
    rows: np.ndarray | None = None


def neuron_maps(model: Any, X: Any, *, layers: Any = None, resolution: int = 40, max_rows: int | None = PLANE_MAX_ROWS) -> NeuronMaps:
    """Every hidden unit of ``model`` evaluated over the input plane of ``X`` (see module doc), ``resolution`` points per side.

    Parameters
    ----------
    model : estimator, Network or torch.nn.Module
        The model (what :func:`record` takes).
    X : array-like of shape (n, features)
        The rows that place the plane.
    layers : selector, optional
        Which layers, as :func:`record` takes them.
    resolution : int
        Grid points per side of the plane.
    max_rows : int, optional
        The plane is fitted to at most this many rows of ``X``, drawn at random with a fixed seed when ``X`` has more
        (not the first ones, which for rows sorted by label or time would be a biased part); None: every row. The same
        rule and default as :class:`~hiddenlayers.lens.Timelapse`'s, so both draw on the same plane for the same ``X``.
    """
    from ._record import as_target, record_prepared
    from ._target import check_max_rows

    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2. Received: resolution={resolution!r}.")
    max_rows = check_max_rows(max_rows, 2, " (the plane is fitted to at least 2 rows)")
    target = as_target(model)
    Xp = target.prepared(X)
    Xa = Xp.toarray() if hasattr(Xp, "toarray") else np.asarray(Xp)
    if Xa.ndim != 2:
        raise ValueError(f"neuron maps need tabular X of shape (n_rows, n_features). Received shape {Xa.shape}.")
    if Xa.dtype.kind != "f":
        raise ValueError(f"neuron maps need real-valued inputs; this model reads {Xa.dtype} values (ids), which have no plane between them.")
    idx = plane_rows(len(Xa), max_rows)
    plane = fit_plane(Xa if idx is None else Xa[idx], resolution)
    grid = plane.grid()  # (res², features)
    rec = record_prepared(target, grid.astype(np.float32), layers)
    maps = {n: rec.features(n).T.reshape(-1, resolution, resolution) for n in rec}
    return NeuronMaps(maps, plane.extent, plane.axes, plane.points, idx)


__all__ = ["NeuronMaps", "neuron_maps", "top_activating"]
