"""The ONNX nodes of a Pipeline's scikit-learn steps, written ahead of its MLP's graph (:mod:`._dense_graph`).

Each allow-listed step (``MATRIX_STEPS``) is written as scikit-learn's ``transform`` computes it, from its fitted
attributes, in the graph's float type (the MLP's: float32 or float64):

* ``SimpleImputer`` (any numeric strategy; ``missing_values`` NaN only): ``IsNaN`` then ``Where`` with ``statistics_``;
  a column whose statistic is NaN (no value seen in fit) is dropped, as scikit-learn drops it, unless ``keep_empty_features``;
* ``StandardScaler``: ``Sub mean_`` (``with_mean``), ``Div scale_`` (``with_std``);
* ``MinMaxScaler``: ``Mul scale_``, ``Add min_``, and ``Clip`` to ``feature_range`` where ``clip=True``;
* ``MaxAbsScaler``: ``Div scale_``; ``RobustScaler``: ``Sub center_``, ``Div scale_`` (each where fitted);
* ``PCA``: ``MatMul components_.T``, ``Sub mean_ @ components_.T`` (scikit-learn centres after the projection), and with
  ``whiten`` ``Div sqrt(explained_variance_)`` (clipped below at the dtype's eps, as scikit-learn clips it).

Their initializers are named ``pipeline.<step>.<attribute>``: the int8 copy (:mod:`._int8`) quantises the MLP's weights
only, and ``hiddenlayers info`` lists the MLP's layers only (:data:`STEP_PREFIX`). A step the graph cannot compute exactly
(an imputer of another marker than NaN) is refused in one line by :func:`steps_problem`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._words import article

#: the name prefix of every initializer a Pipeline's steps hold in the graph (not the MLP's weights)
STEP_PREFIX = "pipeline."


def kept_steps(pipe: Any) -> list[tuple[str, Any]]:
    """``pipe``'s ``(name, step)`` pairs before its MLP, skipped steps (``"passthrough"``, None) left out."""
    return [(str(name), step) for name, step in pipe.steps[:-1] if not (step is None or isinstance(step, str))]


def steps_problem(steps: list[tuple[str, Any]]) -> str | None:
    """What keeps ``steps`` from being written as ONNX nodes, with the fix; None when every one can be."""
    for name, step in steps:
        if type(step).__name__ == "SimpleImputer":
            marker = step.missing_values
            if not (isinstance(marker, float) and np.isnan(marker)):
                return (f"step {name!r} is a SimpleImputer of missing_values={marker!r}; the ONNX graph fills NaN cells only: "
                        "fit it with missing_values=np.nan (replace the marker by NaN first)")
    return None


def fills_missing(steps: list[tuple[str, Any]]) -> bool:
    """Whether NaN cells in the raw rows are filled before anything that cannot take them: a SimpleImputer comes before
    any PCA (the scalers carry NaN through, as scikit-learn's do)."""
    for _, step in steps:
        kind = type(step).__name__
        if kind == "SimpleImputer":
            return True
        if kind == "PCA":
            return False
    return False


def _imputer(b: Any, x: str, name: str, step: Any) -> str:
    stats = np.asarray(step.statistics_, dtype=np.float64)
    filled = b.op("Where", [b.op("IsNaN", [x]), b.const(stats, name=f"{STEP_PREFIX}{name}.statistics_"), x])
    empty = np.isnan(stats)
    if step.keep_empty_features or not empty.any():
        return str(filled)
    kept = np.flatnonzero(~empty)
    return str(b.op("Gather", [filled, b.const(kept, dtype=np.int64, name=f"{STEP_PREFIX}{name}.kept")], axis=1))


def _affine(b: Any, x: str, name: str, sub: Any = None, div: Any = None) -> str:
    """``(x - sub) / div``, each part left out where None (an attribute scikit-learn leaves None when not fitted)."""
    if sub is not None:
        x = b.op("Sub", [x, b.const(np.asarray(sub, dtype=np.float64), name=f"{STEP_PREFIX}{name}.sub")])
    if div is not None:
        x = b.op("Div", [x, b.const(np.asarray(div, dtype=np.float64), name=f"{STEP_PREFIX}{name}.div")])
    return str(x)


def _min_max(b: Any, x: str, name: str, step: Any) -> str:
    out = b.op("Add", [b.op("Mul", [x, b.const(step.scale_, name=f"{STEP_PREFIX}{name}.scale_")]),
                       b.const(step.min_, name=f"{STEP_PREFIX}{name}.min_")])
    if step.clip:
        lo, hi = step.feature_range
        out = b.op("Clip", [out, b.const(float(lo), name=f"{STEP_PREFIX}{name}.low"), b.const(float(hi), name=f"{STEP_PREFIX}{name}.high")])
    return str(out)


def _pca(b: Any, x: str, name: str, step: Any) -> str:
    comps = np.asarray(step.components_, dtype=np.float64)
    out = b.op("MatMul", [x, b.const(comps.T, name=f"{STEP_PREFIX}{name}.components_T")])
    out = b.op("Sub", [out, b.const(np.asarray(step.mean_, dtype=np.float64) @ comps.T, name=f"{STEP_PREFIX}{name}.mean_projected")])
    if step.whiten:
        var = np.asarray(step.explained_variance_)
        scale = np.sqrt(var)
        scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
        out = b.op("Div", [out, b.const(scale, name=f"{STEP_PREFIX}{name}.whiten")])
    return str(out)


def steps_graph(b: Any, x: str, steps: list[tuple[str, Any]]) -> str:
    """The nodes of the fitted ``steps`` (:func:`kept_steps`) on the graph input ``x`` ``(batch, n_features_in_)``, added to
    the builder ``b`` (:class:`._dense_graph._Builder`, in the graph's float type); returns the name of their output."""
    for name, step in steps:
        kind = type(step).__name__
        if kind == "SimpleImputer":
            x = _imputer(b, x, name, step)
        elif kind == "StandardScaler":
            x = _affine(b, x, name, step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None)
        elif kind == "RobustScaler":
            x = _affine(b, x, name, step.center_ if step.with_centering else None, step.scale_ if step.with_scaling else None)
        elif kind == "MaxAbsScaler":
            x = _affine(b, x, name, None, step.scale_)
        elif kind == "MinMaxScaler":
            x = _min_max(b, x, name, step)
        elif kind == "PCA":
            x = _pca(b, x, name, step)
        else:  # pipeline_parts admits the allow-list only
            raise TypeError(f"step {name!r} is {article(kind)}, which has no ONNX form here")
    return x


def spread(steps: list[tuple[str, Any]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each raw column's centre and spread ``(n,)`` as the first step learned them (for random parity rows like the
    training rows); zeros and ones where it learned neither."""
    step = steps[0][1]
    kind = type(step).__name__
    centre, scale = np.zeros(n), np.ones(n)
    if kind == "StandardScaler":
        centre = step.mean_ if step.mean_ is not None else centre
        scale = step.scale_ if step.scale_ is not None else scale
    elif kind == "RobustScaler":
        centre = step.center_ if step.center_ is not None else centre
        scale = step.scale_ if step.scale_ is not None else scale
    elif kind == "MinMaxScaler":
        centre, scale = (step.data_min_ + step.data_max_) / 2, np.maximum(step.data_range_ / 4, 1e-12)
    elif kind == "MaxAbsScaler":
        scale = step.max_abs_ / 2
    elif kind == "PCA":
        centre = step.mean_
    elif kind == "SimpleImputer":
        centre = np.nan_to_num(np.asarray(step.statistics_, dtype=np.float64))
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return np.asarray(centre, dtype=np.float64), np.asarray(scale, dtype=np.float64)


__all__ = ["STEP_PREFIX", "fills_missing", "kept_steps", "spread", "steps_graph", "steps_problem"]
