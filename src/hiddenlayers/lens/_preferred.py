"""What input each hidden unit responds to most: activation maximisation on a ball around the data.

For each selected unit of one layer, :func:`preferred_inputs` finds the input
``x`` that maximises the unit's activation (a conv unit: its channel's mean
over positions, or its centre position; a recurrent unit: its mean or middle
step) by projected gradient ascent with autograd, subject to
``|x - mean| <= radius`` in the network's input space (after the model's own
scaling). Why a ball around the data mean: a unit that grows with its input
(ReLU) has no maximum at all, and the ball keeps the answer on the data's
scale. For a ReLU unit of a first dense layer the optimum is known in closed
form, ``mean + radius * w / |w|`` (``w``: the unit's weight row), which the
tests check.

``bounds`` adds a box, ``low <= x <= high`` per input value: ``"data"`` is
each input's range over X's prepared rows, so a preferred image holds only
pixel values some image has (sklearn's digits: 0..16, where the ball alone
reaches below 0 and above 16). The default, ``"auto"``, is ``"data"`` for images and
no box for tables. Each ascent step projects onto the intersection exactly:
``d = clip(y / (1 + lam), low - mean, high - mean)`` with the smallest
``lam >= 0`` that puts ``d`` in the ball (the KKT point of the projection:
for a fixed ``lam`` the problem separates per coordinate), ``lam`` found by
bisection and taken from the ball's side, so the answer is in both.

Where the gradient at the mean is zero (a ReLU unit off at the mean), the
ascent starts from the best of a seeded set of probes: the mean plus a tiny
perturbation, and random points at 1/4, 1/2 and all of the radius.

For a scikit-learn Pipeline ending in one of our models, the input space is that
of the Pipeline's earlier steps' output (a TableEncoder's ``color=red`` columns,
a PCA's components): the preferred inputs are in those encoded columns, named by
``pipe[:-1].get_feature_names_out()``, and ``PreferredInputs.input_space`` says so.
No step is inverted (a one-hot optimum such as ``color=red`` 0.7 has no raw row).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .._docsections import parameters_section
from ._preferred_result import PreferredInputs
from ._record import _first_tensor, _kind
from ._runnable import check_runnable, diagnosed
from ._select import layer_listing, select_layers
from ._state import evaluating
from ._target import Target, as_target, n_rows
from ._time_first import time_first_modules

_REDUCE = ("mean", "centre")
_ELEMENTWISE = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Softplus,
    nn.Tanh, nn.Sigmoid, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Threshold,
)
# starting points where the gradient at the mean is zero: a 1e-3 perturbation, then 21 random points at each of 1/4, 1/2, 1 radius
_PROBE_SCALES = np.concatenate([[1e-3], np.repeat([0.25, 0.5, 1.0], 21)])


_PREFERRED_INPUTS_PARAMETERS = """
Parameters
----------
model : estimator, application, Network or torch.nn.Module
    The model.
X : array-like of shape (N, ...)
    Rows used for the mean and the default radius.
layer : layer selector, optional
    One layer, as ``record`` selects them (default: the first hidden layer).
units : int or sequence of int, optional
    An index or a list of them (default: every unit).
steps : int
    Steps of ascent with normalised gradients, cosine-decayed.
radius : float, optional
    The ball's radius in the network's input space (default: the median distance of X's prepared rows to their
    mean).
step_size : float
    Each step's length as a share of ``radius``.
reduce : {"mean", "centre"}
    A conv channel's mean or centre position (a recurrent unit: mean or middle step).
image_shape : tuple of int, optional
    ``(H, W)`` or ``(C, H, W)`` for rows of flattened pixels (an ``(N, C, H, W)`` input is an image already).
feature_names : sequence, optional
    Names of the input features, for the bar charts.
batch_size : int
    Units optimised together.
seed : int
    Seed of the probes the ascent starts from (the best of them).
bounds : "auto", "data", None or tuple
    ``"auto"`` (``"data"`` for images, else None), ``"data"`` (each input's min and max over X's prepared rows),
    None (the ball only) or ``(low, high)``, each a scalar or one value per input value (flattened or the input's
    shape), in the network's input space; the box must hold X's mean.
"""


@parameters_section(_PREFERRED_INPUTS_PARAMETERS)
def preferred_inputs(
    model: Any,
    X: Any,
    *,
    layer: Any = None,
    units: Any = None,
    steps: int = 200,
    radius: float | None = None,
    step_size: float = 0.1,
    reduce: str = "mean",
    image_shape: tuple[int, ...] | None = None,
    feature_names: Any = None,
    batch_size: int = 64,
    seed: int = 0,
    bounds: Any = "auto",
) -> PreferredInputs:
    """For each unit of ``layer``, the input within ``radius`` of X's mean that maximises it (see the module doc).

    The module is run in eval mode and handed back as it was; only the input gets gradients (no parameter's ``grad`` or
    ``requires_grad`` changes).

    Examples
    --------
    >>> import numpy as np
    >>> import hiddenlayers as hl
    >>> X = np.random.default_rng(0).random((100, 64), dtype=np.float32)   # e.g. 8x8 images as rows
    >>> pref = hl.lens.preferred_inputs(hl.Network(64, (16,), 10), X, units=range(4), image_shape=(8, 8))
    >>> pref.images().shape                # (units, H, W)
    (4, 8, 8)
    >>> bool((pref.activation >= pref.activation_at_mean).all())
    True
    """
    _check_args(steps, radius, step_size, reduce, batch_size, seed)
    target = as_target(model)
    check_runnable(target.module)
    name, layer_module = _one_layer(target, layer)
    Xa = _rows(target, X)
    input_shape = tuple(int(d) for d in Xa.shape[1:])
    mean, r = _ball(Xa, radius)
    shape = _image_shape(image_shape, input_shape)
    box = _box(bounds, Xa, mean, shape is not None)
    names = _feature_names(feature_names, target, X, int(np.prod(input_shape)))
    chosen, at_mean, x, reached, flat = _ascend_units(
        target, name, layer_module, units, mean, r, box, reduce=reduce, input_shape=input_shape, seed=seed, steps=steps,
        step_size=step_size, batch_size=batch_size)
    return PreferredInputs(
        layer=name,
        units=chosen,
        inputs=x.reshape(len(chosen), *input_shape),
        activation=reached,
        activation_at_mean=at_mean,
        mean=mean.reshape(input_shape),
        radius=r,
        flat=flat,
        image_shape=shape,
        feature_names=names,
        bounds=None if box is None else (box[0].reshape(input_shape), box[1].reshape(input_shape)),
        input_space=target.input_space,
    )


def _ascend_units(
    target: Target, name: str, layer_module: nn.Module, units: Any, mean: np.ndarray, r: float, box: tuple[np.ndarray, np.ndarray] | None,
    *, reduce: str, input_shape: tuple[int, ...], seed: int, steps: int, step_size: float, batch_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every chosen unit's ascent, ``batch_size`` units at a time, with the module in eval mode and only the input taking gradients.

    Returns ``(chosen units (U,), activations at the mean (U,), best inputs (U, D), their activations (U,), flat (U,))``.
    """
    module = target.module
    from ..training import thread_limits

    sample = target.to_tensor(mean.reshape(1, *input_shape))  # one row: sizes a conv net's cost for the thread choice
    with evaluating(module), torch.inference_mode(False), torch.enable_grad(), diagnosed(module) as run, _capture(layer_module) as boxes, \
            thread_limits(module, len(_PROBE_SCALES), sample.device, numpy_engine=False, sample=sample):  # small batches: one thread wins
        values = _values_fn(run, boxes, name, layer_module, reduce, input_shape, time_first=id(layer_module) in time_first_modules(module))
        at_mean_all = values(target.to_tensor(mean[None]), None)[0][0].detach()  # (U,)
        chosen = _units(units, int(at_mean_all.shape[0]), name)
        probes = _probes(mean, r, seed, box)
        probe_values = values(target.to_tensor(probes), None)[0].detach().cpu().double().numpy()  # (P, U)
        parts = [
            _ascend(values, target.to_tensor, mean, r, box, chosen[i : i + batch_size], probes, probe_values, steps, step_size)
            for i in range(0, len(chosen), batch_size)
        ]
    x, reached, flat = (np.concatenate([p[j] for p in parts]) for j in range(3))
    return chosen, at_mean_all.cpu().double().numpy()[chosen], x, reached, flat


def _check_args(steps: Any, radius: Any, step_size: Any, reduce: Any, batch_size: Any, seed: Any) -> None:
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1. Received: {name}={value!r}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an integer. Received: seed={seed!r}.")
    if radius is not None and (isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not math.isfinite(radius) or radius <= 0):
        raise ValueError(
            f"radius must be a finite number > 0 (the largest distance from the data mean, in the network's input units), "
            f"or None for the median distance of X's rows to their mean. Received: radius={radius!r}."
        )
    if isinstance(step_size, bool) or not isinstance(step_size, numbers.Real) or not 0 < float(step_size) <= 1:
        raise ValueError(f"step_size must be a number in (0, 1] (a fraction of radius). Received: step_size={step_size!r}.")
    if reduce not in _REDUCE:
        raise ValueError(f"reduce must be one of {', '.join(map(repr, _REDUCE))} (a conv channel's mean or centre position). Received: reduce={reduce!r}.")


def _one_layer(target: Target, layer: Any) -> tuple[str, nn.Module]:
    """The one layer ``layer`` picks; default: the first hidden layer. None of them or several is one error."""
    module = target.module
    if layer is None:
        if not target.default_layers:
            every = select_layers(module, "*")
            raise ValueError(f"layer is required: {type(module).__name__} names no hidden layers; pass one of its layers: {layer_listing(module, every)}.")
        layer = target.default_layers[0]
    chosen = select_layers(module, layer, target.default_layers, param="layer")
    if len(chosen) > 1:
        raise ValueError(f"layer={layer!r} picks {len(chosen)} layers ({layer_listing(module, chosen)}): name one of them.")
    return next(iter(chosen.items()))


def _rows(target: Target, X: Any) -> np.ndarray:
    """X's prepared rows as a real-valued ``(N, ...)`` array (NaN and inf refused by ``Target.prepared``)."""
    Xp = target.prepared(X)
    if n_rows(Xp) == 0:
        raise ValueError("X has 0 rows: pass at least one row (its mean is the centre of the search).")
    if hasattr(Xp, "toarray"):
        Xp = Xp.toarray()
    Xa = Xp.detach().cpu().numpy() if isinstance(Xp, Tensor) else np.asarray(Xp)
    if Xa.dtype.kind not in "fiub" or Xa.ndim < 2:
        raise ValueError(f"preferred inputs need rows of real values (N, ...); this model reads {Xa.dtype} rows of shape {Xa.shape}.")
    if Xa.dtype.kind != "f":
        raise ValueError(f"preferred inputs need real-valued inputs; this model reads {Xa.dtype} values (ids), which have no gradient between them.")
    return Xa


def _ball(Xa: np.ndarray, radius: float | None) -> tuple[np.ndarray, float]:
    """The data mean (flattened, float64) and the radius: given, or the median distance of the rows to the mean."""
    flat = Xa.reshape(len(Xa), -1)
    mean = flat.mean(axis=0, dtype=np.float64)
    if radius is not None:
        return mean, float(radius)
    dists = np.concatenate([np.linalg.norm(flat[i : i + 4096] - mean, axis=1) for i in range(0, len(flat), 4096)])
    r = float(np.median(dists))
    if not r > 0:
        raise ValueError(
            f"X's {len(flat)} row(s) are all at their mean (median distance 0), so there is no default radius: "
            "pass more varied rows, or radius= in the network's input units."
        )
    return mean, r


def _box(bounds: Any, Xa: np.ndarray, mean: np.ndarray, image: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """``bounds`` as flat float64 ``(low, high)``, each ``(D,)``; None: no box. One-line errors for what makes no box."""
    if isinstance(bounds, str) and bounds in ("auto", "data"):
        if bounds == "auto" and not image:
            return None
        flat = Xa.reshape(len(Xa), -1)
        return flat.min(axis=0).astype(np.float64), flat.max(axis=0).astype(np.float64)
    if bounds is None:
        return None
    usage = ("bounds must be 'auto', 'data' (each input's range over X), None (no box) or a (low, high) pair of numbers "
             "or per-input arrays")
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ValueError(f"{usage}. Received: bounds={bounds!r}."[:300])
    width = mean.size
    ends = []
    for which, value in zip(("low", "high"), bounds):
        try:
            a = np.asarray(value.detach().cpu().numpy() if isinstance(value, Tensor) else value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{usage}; its {which} is not numeric. Received: {which}={value!r}."[:300]) from None
        if a.ndim and a.size != width:
            raise ValueError(f"bounds' {which} has {a.size} values but one input has {width}: pass a number, or one value per input value.")
        if np.isnan(a).any():
            raise ValueError(f"bounds' {which} holds NaN: pass numbers (-inf or inf for no limit on that side).")
        ends.append(np.broadcast_to(a.reshape(-1), (width,)).astype(np.float64))
    low, high = ends
    bad = np.flatnonzero(low > high)
    if bad.size:
        j = int(bad[0])
        raise ValueError(f"bounds' low is above its high for input {j} ({low[j]:.6g} > {high[j]:.6g}): pass low <= high.")
    out = np.flatnonzero((mean < low) | (mean > high))
    if out.size:
        j = int(out[0])
        raise ValueError(
            f"bounds must hold X's mean (the search's centre): input {j}'s mean {mean[j]:.6g} is outside [{low[j]:.6g}, {high[j]:.6g}] "
            "(in the network's input space, after the model's scaling); widen them, or pass bounds='data'."
        )
    return low, high


def _project(d: Tensor, r: float, box: tuple[Tensor, Tensor] | None) -> Tensor:
    """The nearest point to each row of ``d`` ``(B, D)`` with ``|d| <= r`` and ``low <= d <= high`` (``box``: bounds minus the mean).

    Without a box: ``d`` scaled back onto the ball. With one (0 inside it):
    ``clip(d / (1 + lam))`` with the least ``lam >= 0`` that is in the ball;
    at ``lam = |d|/r - 1`` the point is in the ball already (clipping towards 0
    only shrinks it), so bisection on ``[0, |d|/r - 1]`` finds ``lam``, and
    its upper end is returned, inside the ball.
    """
    if box is None:
        return d * (r / d.norm(dim=1, keepdim=True).clamp_min(1e-300)).clamp(max=1.0)
    low, high = box
    c = torch.minimum(torch.maximum(d, low), high)
    out = c.norm(dim=1) > r
    if not bool(out.any()):
        return c
    y = d[out]
    lo = torch.zeros(y.shape[0], 1, dtype=d.dtype)
    hi = (y.norm(dim=1, keepdim=True) / r - 1.0).clamp_min(0.0)
    for _ in range(40):  # halves [lo, hi] 40 times: lam to 1e-12 of its bracket (about step_size, as |y| <= (1 + step_size)·r)
        mid = 0.5 * (lo + hi)
        inside = torch.minimum(torch.maximum(y / (1.0 + mid), low), high).norm(dim=1, keepdim=True) <= r
        hi = torch.where(inside, mid, hi)
        lo = torch.where(inside, lo, mid)
    c[out] = torch.minimum(torch.maximum(y / (1.0 + hi), low), high)
    return c


def _image_shape(given: Any, input_shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """``given`` checked against the input's size; else the input's own ``(C, H, W)``; else None (not images)."""
    size = int(np.prod(input_shape))
    if given is None:
        return input_shape if len(input_shape) == 3 else None
    ok = isinstance(given, (tuple, list)) and len(given) in (2, 3) and all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and int(d) > 0 for d in given
    )
    if not ok or int(np.prod(given)) != size:
        raise ValueError(
            f"image_shape must be (H, W) or (C, H, W) with H x W (x C) equal to the {size} values of one input {input_shape}. "
            f"Received: image_shape={given!r}."
        )
    return tuple(int(d) for d in given)


def _feature_names(given: Any, target: Target, X: Any, width: int) -> list[str] | None:
    """One name per input value: ``given``, else the names the target knows (a Pipeline's encoded columns), else the model's
    ``feature_names_in_``, else a DataFrame's columns the module reads as they are."""
    if given is not None:
        names = [str(n) for n in given]
        if len(names) != width:
            raise ValueError(f"feature_names has {len(names)} names but one input has {width} values: pass one name per input value.")
        return names
    found = target.feature_names
    if found is None and target.estimator is not None:
        found = getattr(target.estimator, "feature_names_in_", None)
    if found is None and target.prepare is None:
        found = getattr(X, "columns", None)
    if found is not None and len(found) == width:
        return [str(n) for n in found]
    return None


def _units(units: Any, n_units: int, layer: str) -> np.ndarray:
    """``units`` as an index array in ``0..n_units-1``; None: every unit."""
    if units is None:
        return np.arange(n_units)
    items = [units] if isinstance(units, numbers.Integral) else units
    try:
        idx = list(items)
    except TypeError:
        idx = [units]
    bad = [u for u in idx if isinstance(u, bool) or not isinstance(u, numbers.Integral) or not 0 <= int(u) < n_units]
    if bad or not idx:
        raise ValueError(
            f"units must be unit indices in 0..{n_units - 1} (layer {layer!r} has {n_units} units), or None for every unit. "
            f"Received: units={units!r}."
        )
    return np.asarray(idx, dtype=np.int64)


def _activation_module(layer: nn.Module) -> nn.Module | None:
    """The elementwise activation whose input is ``layer``'s pre-activation: our DenseLayer's ``act``, the layer itself, or its last child."""
    act = getattr(layer, "act", None)
    if isinstance(act, nn.Module) and hasattr(layer, "activation_name"):
        return act
    if isinstance(layer, _ELEMENTWISE):
        return layer
    children = list(layer.children())
    return children[-1] if children and isinstance(children[-1], _ELEMENTWISE) else None


def _copied(value: Any) -> Any:
    """The first tensor of ``value`` (:func:`~._record._first_tensor`) cloned, graph kept; ``value`` itself when it holds none."""
    t = _first_tensor(value)
    return value if t is None else t.clone()


@contextmanager
def _capture(layer: nn.Module) -> Iterator[tuple[list[Any], list[Any]]]:
    """Lists that hold ``layer``'s outputs and pre-activations of the current forward pass, graph attached; hooks removed after, also on error."""
    box: list[Any] = []
    pre: list[Any] = []
    # Copies (differentiable) taken when each value is made: an in-place op later in the pass (ReLU(inplace=True)
    # after the layer, or the layer itself) would otherwise turn the output, or the pre-activation, into the ReLU's.
    handles = [layer.register_forward_hook(lambda _m, _i, out: box.append(_copied(out)))]
    act = _activation_module(layer)
    if act is not None:
        handles.append(act.register_forward_pre_hook(lambda _m, inp: pre.append(_copied(inp[0]) if inp else None)))
    try:
        yield box, pre
    finally:
        for h in handles:
            h.remove()


def _values_fn(
    run: Callable[[Tensor], Any], boxes: tuple[list[Any], list[Any]], name: str, layer: nn.Module, reduce: str, input_shape: tuple[int, ...],
    *, time_first: bool = False,
) -> Callable[[Tensor, np.ndarray | None], tuple[Tensor, Tensor | None]]:
    """``values(xt, units)``: each row's activation of its unit ``(B,)`` and its pre-activation (None when unknown).

    ``units=None``: every unit's, ``(B, U)``. ``xt``: ``(B, D)`` flattened
    inputs on the module's device, reshaped here to the module's input shape.
    A layer called twice in one pass is read at its first call. ``time_first``: the
    layer's 3-D output is ``(T, N, U)`` (:func:`~._time_first.time_first_modules`).
    """
    box, pre_box = boxes

    def pick(t: Tensor, units: np.ndarray | None) -> Tensor:
        if time_first and t.ndim == 3:
            t = t.transpose(0, 1)  # (T, N, U) -> (N, T, U): a batch_first=False layer, or one inside such a block
        per_unit = _per_unit(t, _kind(layer, t), reduce)  # (B, U)
        if units is None:
            return per_unit
        return per_unit[torch.arange(per_unit.shape[0], device=per_unit.device), torch.as_tensor(units, device=per_unit.device)]

    def values(xt: Tensor, units: np.ndarray | None) -> tuple[Tensor, Tensor | None]:
        box.clear()
        pre_box.clear()
        run(xt.reshape(xt.shape[0], *input_shape))
        if not box:
            raise ValueError(f"layer {name!r} never ran in forward(): pick a layer on the forward path.")
        out = _first_tensor(box[0])
        if out is None:
            raise ValueError(f"layer {name!r} returned no tensor (e.g. a PackedSequence): pick the submodule that computes the tensor you want.")
        if not bool(torch.isfinite(out.detach()).all()):
            raise ValueError(f"layer {name!r} produced NaN or infinite activations: check the network for divergence (retrain it) before looking inside it.")
        pre = pre_box[0] if pre_box and isinstance(pre_box[0], Tensor) and pre_box[0].shape == out.shape else None
        return pick(out, units), None if pre is None else pick(pre, units)

    return values


def _per_unit(out: Tensor, kind: str, reduce: str) -> Tensor:
    """``(B, U)`` from one layer output: dense as is; conv ``(B, C, ...)`` and recurrent ``(B, T, U)`` reduced over positions."""
    if out.ndim == 1:
        return out[:, None]
    if kind == "dense":
        return out.reshape(out.shape[0], -1)
    a = out if kind == "conv" else out.movedim(-1, 1)  # (B, U, *positions)
    if reduce == "mean":
        return a.flatten(2).mean(dim=2)
    return a.flatten(2)[:, :, _centre_index(tuple(a.shape[2:]))]


def _centre_index(positions: tuple[int, ...]) -> int:
    """The flat index of the middle position of a ``positions`` grid (H, W: row H//2, column W//2)."""
    return int(np.ravel_multi_index(tuple(s // 2 for s in positions), positions))


def _probes(mean: np.ndarray, r: float, seed: int, box: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Seeded starting points ``(P, D)``: the mean plus a 1e-3·radius perturbation, then random points at 1/4, 1/2 and 1 radius.

    With a ``box`` (``(low, high)``, flat), each is projected into the box and the ball.
    """
    rng = np.random.default_rng(seed)
    scales = _PROBE_SCALES
    dirs = rng.standard_normal((len(scales), mean.size))
    dirs /= np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-300)
    d = r * scales[:, None] * dirs
    if box is not None:
        d = _project(torch.from_numpy(d), r, _box_around(box, mean)).numpy()
    return mean + d


def _box_around(box: tuple[np.ndarray, np.ndarray], mean: np.ndarray) -> tuple[Tensor, Tensor]:
    """The box as limits on ``d = x - mean``: ``(low - mean, high - mean)``, float64 tensors ``(D,)``."""
    return torch.from_numpy(box[0] - mean), torch.from_numpy(box[1] - mean)


def _ascend(
    values: Callable[[Tensor, np.ndarray | None], tuple[Tensor, Tensor | None]],
    to_tensor: Callable[[Any], Tensor],
    mean: np.ndarray,
    r: float,
    box: tuple[np.ndarray, np.ndarray] | None,
    units: np.ndarray,
    probes: np.ndarray,
    probe_values: np.ndarray,
    steps: int,
    step_size: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Projected gradient ascent for ``units`` at once (one row each): best inputs ``(B, D)``, activations ``(B,)``, flat ``(B,)``.

    Each step moves ``d = x - mean`` by ``step_size·r`` (cosine-decayed) along
    the normalised gradient, then projects it back onto ``|d| <= r`` and the
    ``box`` (flat ``(low, high)``; None: none), see :func:`_project`; the best
    point seen is kept, so the answer never falls below the mean's activation.
    """
    mean_t = torch.from_numpy(mean)
    box_d = None if box is None else _box_around(box, mean)
    box_x = None if box is None else (torch.from_numpy(box[0]), torch.from_numpy(box[1]))

    def point(d: Tensor) -> Tensor:
        """``mean + d``, clipped to the box again: ``mean + (low - mean)`` can round below ``low``."""
        x = mean_t + d
        return x if box_x is None else torch.minimum(torch.maximum(x, box_x[0]), box_x[1])

    def grad_of(v: Tensor | None, x: Tensor, retain: bool) -> Tensor:
        grad = torch.autograd.grad(v.sum(), x, allow_unused=True, retain_graph=retain)[0] if v is not None and v.requires_grad else None
        g = torch.zeros(len(units), mean.size, dtype=torch.float64) if grad is None else grad.detach().reshape(len(units), -1).to("cpu", torch.float64)
        return torch.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)

    def value_grad(d: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Activations ``(B,)``, the ascent direction ``(B, D)``, and whether the activation's own gradient was nonzero ``(B,)``."""
        x = to_tensor(point(d).numpy()).requires_grad_(True)
        v, pre = values(x, units)
        g = grad_of(v, x, retain=pre is not None)
        own = g.norm(dim=1) > 0
        if pre is not None and not bool(own.all()):  # off (a ReLU below 0): climb its pre-activation until it turns on
            g = torch.where(own[:, None], g, grad_of(pre, x, retain=False))
        return v.detach().to("cpu", torch.float64), g, own

    B = len(units)
    d = torch.zeros(B, mean.size, dtype=torch.float64)
    v0, g0, _ = value_grad(d)
    stuck = (g0.norm(dim=1) == 0).numpy()
    if stuck.any():  # no gradient at the mean, not even of the pre-activation: start from the best probe (or the perturbed mean)
        pv = probe_values[:, units]  # (P, B)
        best = pv.argmax(axis=0)
        start = np.where(pv[best, np.arange(B)] > v0.numpy(), best, 0)
        rows = np.flatnonzero(stuck)
        d[rows] = torch.from_numpy(probes[start[rows]] - mean)
    best_d, best_v = torch.zeros_like(d), v0.clone()
    sloped = torch.zeros(B, dtype=torch.bool)  # the activation's own gradient was nonzero somewhere
    for t in range(steps + 1):
        v, g, own = value_grad(d)
        sloped |= own
        better = v > best_v
        best_v = torch.where(better, v, best_v)
        best_d[better] = d[better]
        if t == steps:
            break
        gn = g.norm(dim=1, keepdim=True)
        go = gn[:, 0] > 0
        eta = step_size * r * 0.5 * (1.0 + math.cos(math.pi * t / steps))
        d = d + eta * g / gn.clamp_min(1e-300) * go[:, None]
        d = _project(d, r, box_d)  # back into the ball (and the box)
    flat = ~sloped & (best_v <= v0)
    return point(best_d).numpy(), best_v.numpy(), flat.numpy()


__all__ = ["preferred_inputs"]
