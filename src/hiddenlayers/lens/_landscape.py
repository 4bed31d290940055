"""``loss_landscape(model, X, y)``: the training loss along random directions, or on the line to another model's weights.

Random directions follow Li et al. (2018), "Visualizing the Loss Landscape of
Neural Nets": a Gaussian direction ``d`` per weight tensor, each filter (row
``d[i]``: one output unit's incoming weights, one convolution kernel) rescaled
to the norm of the matching weight row, ``d[i] <- d[i] / ‖d[i]‖ · ‖W[i]‖``, and
zero for biases and normalisation parameters (1-D), as the paper does; so a
step ``alpha = 1`` moves each unit by its own size, whatever the layer's scale.
``between=other`` is Goodfellow et al.'s (2015) linear interpolation
``θ(α) = (1 − α)·θ_model + α·θ_other``, extended ``span`` beyond both ends (0.5 by default:
their plot's −0.5..1.5).

The weights are changed in place for each grid point and put back exactly
(bit for bit, also when the loss raises), with every module's train/eval flag.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from sklearn.utils import get_tags
from torch import Tensor, nn

from .._docsections import parameters_section
from ..network import evaluating, snapshot_modes
from ._landscape_result import LossLandscape
from ._landscape_weights import check_weights, refuse_weights, row_weights
from ._runnable import check_runnable, diagnosed
from ._target import Target, as_target, check_max_rows, n_rows, sample_index, take_rows

_BATCH = 4096  # rows per forward pass
_NORMALIZATIONS = ("filter", "layer", None)
LossFn = Callable[[Any, Tensor, Tensor | None], Tensor]  # (model output, targets, weights of the batch) -> summed (weighted) loss


def _check_args(directions: Any, span: Any, steps: Any, normalization: Any, between: Any) -> None:
    if isinstance(directions, bool) or directions not in (1, 2):
        raise ValueError(f"directions must be 1 (a curve) or 2 (a surface). Received: directions={directions!r}.")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 3:
        raise ValueError(f"steps must be an integer >= 3 (grid points per direction; odd puts one on the model). Received: steps={steps!r}.")
    if span is not None and (isinstance(span, bool) or not isinstance(span, numbers.Real) or not math.isfinite(span) or span <= 0):
        raise ValueError(f"span must be None (the default reach) or a finite number > 0 (how far the grid reaches along each direction). "
                         f"Received: span={span!r}.")
    if normalization not in _NORMALIZATIONS:
        raise ValueError(f"normalization must be 'filter' (Li et al. 2018), 'layer' or None (raw Gaussian). Received: normalization={normalization!r}.")
    if between is not None and directions != 1:
        raise ValueError("between= gives the 1-D line to another model's weights: pass directions=1 with it (or drop between for a 2-D surface).")


def default_span(span: float | None, between: Any) -> float:
    """``span``, or its default when None: 0.5 beyond both ends of the line ``between=`` (Goodfellow et al.'s -0.5..1.5), 1.0 along random directions."""
    if span is not None:
        return float(span)
    return 0.5 if between is not None else 1.0


def _params(module: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The floating-point parameters the landscape moves (shared ones once)."""
    return [(n, p) for n, p in module.named_parameters() if p.is_floating_point()]


def _random_direction(params: list[tuple[str, nn.Parameter]], gen: torch.Generator, normalization: str | None) -> list[Tensor]:
    """One Gaussian direction per parameter, scaled as ``normalization`` says (see the module docstring); on each parameter's device."""
    out = []
    for _, p in params:
        w = p.detach().double().cpu()
        d = torch.randn(w.shape, generator=gen, dtype=torch.float64)
        if normalization is not None and w.ndim <= 1:
            d.zero_()  # biases and norm scales stay put (Li et al. 2018, section 4)
        elif normalization == "filter":
            rows_w, rows_d = w.reshape(w.shape[0], -1).norm(dim=1), d.reshape(d.shape[0], -1).norm(dim=1)
            scale = torch.where(rows_d > 0, rows_w / rows_d.clamp_min(1e-300), torch.zeros_like(rows_w))
            d *= scale.reshape(-1, *([1] * (w.ndim - 1)))
        elif normalization == "layer":
            d *= w.norm() / d.norm().clamp_min(1e-300)
        out.append(d.to(p.device, p.dtype))
    if normalization is not None and not any(bool(d.any()) for d in out):
        raise ValueError("the model has no weight matrix or kernel to move along (only biases and 1-D parameters, which filter "
                         "normalization leaves still): pass normalization=None for raw Gaussian directions.")
    return out


def _direction_to(params: list[tuple[str, nn.Parameter]], model: nn.Module, other: Any) -> list[Tensor]:
    """``θ_other − θ_model`` per parameter; a different architecture is a ValueError naming the first mismatch."""
    try:
        theirs = dict(_params(as_target(other).module))
    except TypeError as e:
        raise TypeError(f"between must be a model of the same architecture (a torch.nn.Module or a fitted estimator). {e}") from None
    mine = [n for n, _ in params]
    if list(theirs) != mine:
        missing = next((n for n in mine if n not in theirs), None) or next(n for n in theirs if n not in mine)
        raise ValueError(f"between has another architecture than the model: parameter {missing!r} is in one and not the other; "
                         "pass the same network with other weights (e.g. a copy saved before training).")
    out = []
    for name, p in params:
        q = theirs[name]
        if q.shape != p.shape:
            raise ValueError(f"between has another architecture than the model: parameter {name!r} has shape {tuple(q.shape)} there, "
                             f"{tuple(p.shape)} here; pass the same network with other weights.")
        out.append(q.detach().to(p.device, p.dtype) - p.detach())
    return out


def targets_from_X(est: Any) -> bool:
    """Whether ``est``'s training targets come from ``X`` itself (an Autoencoder's rows, a Forecaster's series), not from ``y``.

    scikit-learn's tag: such estimators are fitted without ``y`` (``target_tags.required`` is False).
    """
    if est is None or not callable(getattr(est, "network_targets", None)):
        return False
    try:
        return not get_tags(est).target_tags.required
    except (AttributeError, TypeError, ValueError):  # not a scikit-learn estimator: its targets are y
        return False


def self_target_rows(target: Target, X: Any, cap: int | None, rng: np.random.Generator) -> tuple[Any, np.ndarray]:
    """Network input rows and their targets for a model whose targets come from ``X`` (at most ``cap`` pairs, drawn at random).

    The rows are made from all of ``X`` first and sampled after, so a Forecaster's
    windows stay whole; windows with no full horizon after them (no target) are dropped.
    """
    Xp = target.prepared(X)
    Y = np.asarray(target.estimator.network_targets(X), dtype=np.float64)
    Xp = Xp[: len(Y)]
    if len(Y) == 0:
        raise ValueError("X gives no rows with a target to evaluate the loss on: pass more rows (a Forecaster needs window + horizon values).")
    idx = sample_index(len(Y), cap, rng)
    return take_rows(Xp, idx), take_rows(Y, idx)


def _targets(target: Target, y: Any, loss: Any, rows: int) -> tuple[Tensor, LossFn]:
    """``y`` as a tensor on the model's device and the summed loss of one batch: the model's own, or ``loss``'s mean times the rows."""
    module = target.module
    try:
        param = next(module.parameters())
        device, dtype = param.device, param.dtype
    except StopIteration:
        device, dtype = torch.device("cpu"), torch.get_default_dtype()
    est = target.estimator
    if loss is None:
        if est is None:
            raise ValueError(f"loss= is required for a {type(module).__name__}: pass the loss the model is trained with, "
                             "e.g. loss=torch.nn.CrossEntropyLoss() (called as loss(model(x), y), averaging over the batch).")
        if not (callable(getattr(est, "network_loss", None)) and callable(getattr(est, "network_targets", None))):
            raise ValueError(f"{type(est).__name__} has no training loss the lens can evaluate (no network_loss): pass loss= a callable "
                             "taking (network output, y batch) and returning the batch's mean loss.")
        ready = targets_from_X(est)  # then y already holds network_targets(X) (see self_target_rows)
        Y = torch.as_tensor(np.asarray(y if ready else est.network_targets(y), dtype=np.float64), device=device).to(dtype)
        own = est.network_loss
        s = _target_scale(est, device, dtype)

        def fn(out: Any, yb: Tensor, wb: Tensor | None) -> Tensor:
            if s is not None:  # standardised targets: the squared error back in y's units, (s·(z - y))², as loss_unit says
                out, yb = out * s, yb * s
            return own(out, yb) if wb is None else own(out, yb, sample_weight=wb)
    else:
        if not callable(loss):
            raise TypeError(f"loss must be a callable (output, y) -> mean loss of the batch, e.g. torch.nn.CrossEntropyLoss(). Received: {type(loss).__name__}.")
        Y = y.detach().to(device) if isinstance(y, Tensor) else torch.as_tensor(np.asarray(y), device=device)
        if Y.is_floating_point():
            Y = Y.to(dtype)

        def fn(out: Any, yb: Tensor, wb: Tensor | None) -> Tensor:
            value = loss(out, yb)
            if not isinstance(value, Tensor) or value.numel() != 1:
                raise ValueError("loss must return one number per batch (its mean over the rows, PyTorch's reduction='mean'). "
                                 f"Received: {type(value).__name__}{'' if not isinstance(value, Tensor) else ' of shape ' + str(tuple(value.shape))}.")
            return value.reshape(()) * yb.shape[0]
    if Y.ndim == 0 or Y.shape[0] != rows:
        got = "a single value" if Y.ndim == 0 else f"{Y.shape[0]} rows"
        raise ValueError(f"y has {got} but the network reads {rows} rows of X: pass one target per row of X.")
    return Y, fn


def _target_scale(est: Any, device: torch.device, dtype: torch.dtype) -> Tensor | None:
    """``target_scale_`` ``(n_outputs,)`` of a regressor fitted with ``scale_target=True`` (squared error only), as a tensor; else None.

    Why: such a network trains on ``(y - target_mean_) / target_scale_``, so its own loss is in standard
    deviations of y; the half squared error of the outputs and targets both times the scale is the same
    loss in y's units (the mean cancels in the difference).
    """
    scale = getattr(est, "target_scale_", None)
    if scale is None:
        return None
    return torch.as_tensor(np.asarray(scale, dtype=np.float64).reshape(-1), device=device).to(dtype)


def loss_unit(est: Any, loss: Any = None) -> str:
    """What the landscape's numbers are, in words, for the model's own loss (``loss`` None); ``""`` for a ``loss=`` given.

    A regressor's half squared error is in y's units squared (converted from a ``scale_target`` fit's
    standardised targets, see :func:`_target_scale`); an Autoencoder's or Forecaster's is in the standardised
    units of its data (``mean_``/``scale_``), which the lens does not convert.
    """
    if loss is not None or est is None:
        return ""
    params = est.get_params() if callable(getattr(est, "get_params", None)) else {}
    name = str(params.get("loss", ""))
    if hasattr(est, "classes_"):
        return {"log_loss": "cross entropy per row, nats", "gce": "generalized cross entropy per row"}.get(name, "")
    if all(hasattr(est, a) for a in ("network_input", "mean_", "scale_")):
        return "per row, in the standardised units of the model's data"
    if not hasattr(est, "n_outputs_"):  # an application with its own loss: no claim
        return ""
    return {"poisson": "Poisson deviance per row", "squared_error": "half squared error per row, in y's units squared"}.get(name, "")


def _grid(low: float, high: float, steps: int, anchors: tuple[float, ...], *, insert: bool) -> np.ndarray:
    """``steps`` evenly spaced points on ``[low, high]``, each anchor (0: the model; 1: the other model) exactly on it.

    A point within rounding of an anchor becomes the anchor (``linspace`` may give 5e-17 for 0); with
    ``insert``, an anchor the grid steps over is added, so the line passes through both models.
    """
    grid = np.linspace(low, high, steps)
    tol = 1e-9 * (high - low)
    for a in anchors:
        near = np.abs(grid - a) <= tol
        grid[near] = a
        if insert and not near.any():
            grid = np.insert(grid, int(np.searchsorted(grid, a)), a)
    return grid


@contextmanager
def _restored(module: nn.Module, params: list[tuple[str, nn.Parameter]]) -> Iterator[list[Tensor]]:
    """The parameters' values now (clones); on leaving, every parameter and train/eval flag is put back exactly."""
    restore_modes = snapshot_modes(module)
    saved = [p.detach().clone() for _, p in params]
    try:
        with evaluating(module):
            yield saved
    finally:
        with torch.no_grad():
            for (_, p), w in zip(params, saved):
                p.copy_(w)
        restore_modes()


def _check_rows_and_flag(n: int, class_weighted: Any) -> None:
    """X has rows, and ``class_weighted`` is a bool: each a one-line error otherwise."""
    if n == 0:
        raise ValueError("X has 0 rows: pass at least one row (and its target) to evaluate the loss on.")
    if not isinstance(class_weighted, (bool, np.bool_)):
        raise TypeError(f"class_weighted must be True (weigh rows by the model's class_weight, as fit did) or False. Received: {class_weighted!r}.")


_LOSS_LANDSCAPE_PARAMETERS = """
Parameters
----------
model : estimator, application or torch.nn.Module
    A fitted estimator or application (its own training loss, data term without L2, through its
    ``network_loss``), or any ``torch.nn.Module`` (then ``loss`` is required).
X : array-like
    The rows. A model fitted without ``y`` takes its targets from ``X``: an Autoencoder its rows, a Forecaster the
    series (its windows are sampled, each with the ``horizon`` values after it).
y : array-like, optional
    The targets (ignored by a model fitted without ``y``).
loss : callable, optional
    For a plain module: called as ``loss(model(x), y_batch)`` and averaging over the batch, e.g.
    ``torch.nn.CrossEntropyLoss()``.
directions : {1, 2}
    Random Gaussian directions: a curve or a surface.
span : float, optional
    The grid runs over ``[-span, span]`` along each direction (with ``between``: ``[-span, 1 + span]``); None: 1.0
    for random directions, 0.5 with ``between`` (-0.5..1.5, Goodfellow et al.'s plot).
steps : int
    Grid points along each direction (an odd ``steps`` puts one exactly on the model).
normalization : {"filter", "layer", None}
    ``"filter"`` (Li et al. 2018: each row scaled to its weight row's norm, biases still), ``"layer"`` (each tensor
    to its weight's norm) or None.
between : estimator or torch.nn.Module, optional
    Another model of the same architecture: the line from the model (alpha 0) to it (alpha 1) instead, alpha 0 and
    1 added where the ``steps`` points miss them.
max_rows : int, optional
    At most this many rows of ``X`` (drawn at random).
random_state : int or numpy.random.Generator, optional
    Seeds the rows and directions.
sample_weight : array-like of shape (n,), optional
    The rows' weights (finite, >= 0, not all 0; sampled with the rows when ``max_rows`` cuts); needs the model's own
    loss (not ``loss``) and one that takes row weights.
class_weighted : bool
    A model fitted with ``class_weight`` multiplies its class weight of each row's label in (``"balanced"`` counted
    over the ``y`` given); False leaves the class weights out.
"""


@parameters_section(_LOSS_LANDSCAPE_PARAMETERS)
def loss_landscape(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    loss: Callable[[Any, Tensor], Tensor] | None = None,
    directions: int = 1,
    span: float | None = None,
    steps: int = 41,
    normalization: str | None = "filter",
    between: Any = None,
    max_rows: int | None = 4096,
    random_state: int | np.random.Generator | None = None,
    sample_weight: Any = None,
    class_weighted: bool = True,
) -> LossLandscape:
    """The mean training loss on ``(X, y)`` around the model's weights: a 1-D curve or a 2-D surface.

    Evaluated in eval mode, without gradients; the model's weights and modes are left exactly as they were. The loss is
    the weighted mean ``Σ w·loss / Σ w``, as ``fit`` weights it, so the centre is the data term of the model's own
    training objective.

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = hl.MLPClassifier((16,), max_iter=200, random_state=0).fit(X, y)
    >>> land = hl.lens.loss_landscape(clf, X, y, steps=21, random_state=0)
    >>> land.losses.shape, bool(land.losses[10] == land.center_loss)
    ((21,), True)
    """
    _check_args(directions, span, steps, normalization, between)
    span = default_span(span, between)
    rows_cap = check_max_rows(max_rows)
    target = as_target(model)
    check_runnable(target.module)
    n = n_rows(X)
    _check_rows_and_flag(n, class_weighted)
    self_targets = loss is None and targets_from_X(target.estimator)
    if sample_weight is not None:
        refuse_weights(target, loss, self_targets)
        sample_weight = check_weights(sample_weight, n)
    rng = np.random.default_rng(random_state)
    if self_targets:
        Xs, Ys = self_target_rows(target, X, rows_cap, rng)
        return landscape_prepared(target, Xs, Ys, loss=None, directions=directions, span=span, steps=steps,
                                  normalization=normalization, between=between, rng=rng)
    if y is None:
        what = type(target.estimator if target.estimator is not None else target.module).__name__
        raise ValueError(f"y is required for a {what}: pass the targets of X's rows (labels, values or ratings); "
                         "only models fitted without y (Autoencoder, Forecaster) take their targets from X.")
    if not isinstance(y, Tensor) and getattr(y, "shape", None) is None:
        y = np.asarray(y)  # a list of labels, as scikit-learn takes
    weights = row_weights(target, y, sample_weight, n, class_weighted=bool(class_weighted)) if loss is None else None
    idx = sample_index(n, rows_cap, rng)
    Xp = target.prepared(take_rows(X, idx))
    y_rows = take_rows(y, idx) if idx is not None and len(y.shape) and y.shape[0] == n else y
    return landscape_prepared(target, Xp, y_rows, loss=loss, directions=directions, span=span, steps=steps,
                              normalization=normalization, between=between, rng=rng,
                              sample_weight=take_rows(weights, idx) if weights is not None else None)


def landscape_prepared(target: Target, Xp: Any, y: Any, *, loss: Callable[[Any, Tensor], Tensor] | None, directions: int, span: float,
                       steps: int, normalization: str | None, between: Any, rng: np.random.Generator,
                       sample_weight: np.ndarray | None = None) -> LossLandscape:
    """:func:`loss_landscape` on rows already in the network's input form (``target.prepared``), arguments already checked.

    ``sample_weight``: the rows' final weights ``(rows,)`` (class weights already in, see :func:`row_weights`), or None.
    """
    module = target.module
    rows = n_rows(Xp)
    Y, loss_fn = _targets(target, y, loss, rows)
    W = None if sample_weight is None else torch.as_tensor(np.asarray(sample_weight, dtype=np.float64), device=Y.device)
    denominator = float(rows) if W is None else float(W.sum())
    if not denominator > 0:
        raise ValueError(f"the {rows} rows the loss is taken on all have weight 0 (sample_weight times class_weight): "
                         "give more rows a weight > 0, or raise max_rows to take more of them.")
    batches = [(target.to_tensor(Xp[i:i + _BATCH]), Y[i:i + _BATCH], None if W is None else W[i:i + _BATCH]) for i in range(0, rows, _BATCH)]

    params = _params(module)
    if not params:
        raise ValueError(f"{type(module).__name__} has no floating-point parameters: there is no landscape to draw.")
    if between is not None:
        dirs = [_direction_to(params, module, between)]
        alphas = _grid(-float(span), 1.0 + float(span), int(steps), (0.0, 1.0), insert=True)
    else:
        gen = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
        dirs = [_random_direction(params, gen, normalization) for _ in range(directions)]
        alphas = _grid(-float(span), float(span), int(steps), (0.0,), insert=False)
    betas = alphas.copy() if directions == 2 else None

    def mean_loss(run: Callable[[Tensor], Any]) -> float:
        with torch.inference_mode():
            total = sum((loss_fn(run(xb), yb, wb).double() for xb, yb, wb in batches), torch.zeros((), dtype=torch.float64))
        return float(total) / denominator

    def at(coords: tuple[float, ...]) -> float:
        with torch.no_grad():
            for k, (_, p) in enumerate(params):
                value = saved[k].clone()
                for c, d in zip(coords, dirs):
                    value.add_(d[k], alpha=c)
                p.copy_(value)
        return mean_loss(module)

    with _restored(module, params) as saved:
        with diagnosed(module, rows=rows, batch_size=_BATCH) as run:
            center = mean_loss(run)  # the model's own weights: a shape error here gets the lens' one-line message
        other = at((1.0,)) if between is not None else None
        if betas is None:
            losses = np.array([center if a == 0 else other if a == 1 and other is not None else at((float(a),)) for a in alphas])
        else:
            losses = np.array([[center if a == 0 and b == 0 else at((float(a), float(b))) for b in betas] for a in alphas])
    return LossLandscape(alphas, betas, losses, center, "between" if between is not None else "random",
                         None if between is not None else normalization, rows, other, loss_unit(target.estimator, loss))


__all__ = ["LossLandscape", "landscape_prepared", "loss_landscape", "loss_unit", "targets_from_X"]
