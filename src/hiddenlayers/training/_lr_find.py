"""The learning-rate range test (fastai's ``lr_find``, Lightning's ``Tuner.lr_find``) for any ``nn.Module``.

One mini-batch step per rate, the rate growing geometrically from ``start_lr``
to ``end_lr``; the loss of each step is recorded, and the sweep stops once the
smoothed loss passes ``diverge`` times its best or a loss is NaN/inf. The steps
are :func:`~._loop.train`'s own (the same flat parameter buffer, optimizer,
step function and L2), so a suggested rate means what ``learning_rate_init``
means there. Afterwards the module is as it was: its parameters are put back
on their own tensors (bit for bit, gradients too), its buffers (BatchNorm's
running statistics) copied back, each submodule's train/eval flag restored,
and the global random state (dropout draws) left untouched.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from .._docsections import parameters_section
from ..network import in_mode
from ._batches import Batches, min_batch_rows
from ._engine import make_step
from ._inputs import as_tensor, check_finite, check_lengths, check_shapes, check_weights
from ._loop import thread_limits
from ._losses import Loss, get_loss
from ._lr_find_result import LRFindResult, smoothed_losses, steepest_descent
from ._numbers import real, whole
from ._optim import FlatParams, check_optimizer_kwargs, clip_grad_norm_, make_optimizer

LBFGS_NO_RATE = "solver='lbfgs' has no learning rate to find (it chooses each step's size by line search): use solver='sgd' or 'adam', or fit with lbfgs as it is."


def check_sweep(*, start_lr: Any, end_lr: Any, num_steps: Any, smooth: Any, diverge: Any) -> tuple[float, float, int, float, float]:
    """The sweep's numbers, each in its range (one ``ValueError``/``TypeError`` line otherwise), as floats and an int.

    Parameters
    ----------
    start_lr, end_lr, num_steps, smooth, diverge
        As :func:`lr_find` takes them.
    """
    start = real("start_lr", start_lr, low=0, low_open=True, meaning="the first rate tried")
    end = real("end_lr", end_lr, low=0, low_open=True, meaning="the last rate tried")
    if end <= start:
        raise ValueError(f"end_lr must be greater than start_lr (the sweep goes up). Received: start_lr={start_lr!r}, end_lr={end_lr!r}.")
    steps = whole("num_steps", num_steps, 2, "mini-batch steps, one rate each")
    s = real("smooth", smooth, low=0, high=1, low_open=True, meaning="the weight of each new loss in the moving average; 1 for none")
    d = real("diverge", diverge, low=1, low_open=True, meaning="stop once the smoothed loss passes this many times its best")
    return start, end, steps, s, d


def sweep_rates(start_lr: float, end_lr: float, num_steps: int) -> np.ndarray:
    """``num_steps`` rates from ``start_lr`` to ``end_lr`` (both included), each the last times a constant factor."""
    return np.geomspace(start_lr, end_lr, num_steps)


@contextmanager
def _put_back(module: torch.nn.Module) -> Iterator[None]:
    """Run the block on ``module`` and then hand it back as it was: parameters, gradients, buffers, modes, global RNG.

    :class:`FlatParams` re-homes each parameter's ``.data`` into its buffer; the
    original tensors are never written, so pointing ``.data`` back at them restores
    the weights bit for bit without a copy. Buffers are updated in place (running
    statistics), so they are copied aside first.
    """
    params = [(p, p.data, p.grad) for p in module.parameters()]
    buffers = [(b, b.detach().clone()) for b in module.buffers()]
    devices = sorted({p.device.index for p in module.parameters() if p.device.type == "cuda"})
    try:
        with torch.random.fork_rng(devices=devices), in_mode(module, True):
            yield
    finally:
        with torch.no_grad():
            for p, data, grad in params:
                p.data = data
                p.grad = grad
            for b, kept in buffers:
                b.copy_(kept)


def _batches_forever(batches: Batches) -> Iterator[tuple[Any, Any, Any]]:
    """Batch after batch, epoch after epoch (a fresh order each epoch when shuffling)."""
    while True:
        yield from batches


_LR_FIND_PARAMETERS = """
Parameters
----------
module : torch.nn.Module
    Any module, trained in place during the sweep, then put back exactly: weights, gradients, buffers, train/eval
    flags.
X : torch.Tensor, numpy.ndarray or scipy.sparse matrix of shape (n, ...)
    As :func:`~._loop.train` takes it.
Y : torch.Tensor or numpy.ndarray of shape (n, n_outputs)
    As :func:`~._loop.train` takes it.
loss, optimizer_kwargs, batch_size, alpha, engine
    As :func:`~._loop.train` takes them.
solver : {"sgd", "adam", "adamw", "rmsprop"}
    ``lbfgs`` has no rate.
start_lr : float
    The first step's rate.
end_lr : float
    The last step's rate.
num_steps : int
    Steps of the sweep.
smooth : float
    Weight of each new loss in the bias-corrected moving average, in (0, 1].
diverge : float
    Stop early once the smoothed loss passes this many times its best (or a loss is NaN/inf).
sample_weight : array-like of shape (n,), optional
    As in training; a batch whose rows all have weight 0 is skipped: it is no step of the sweep.
shuffle : bool
    Draw the batch order from ``generator``.
generator : torch.Generator, optional
    Draws the batch order.
clip_grad_norm : float, optional
    Caps each step's whole gradient norm as in training (None: no clipping).
"""


@parameters_section(_LR_FIND_PARAMETERS)
def lr_find(
    module: torch.nn.Module, X: Tensor | np.ndarray | sp.spmatrix, Y: Tensor | np.ndarray, *, loss: Loss | str, solver: str = "adam",
    start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100, smooth: float = 0.05, diverge: float = 4.0,
    batch_size: int = 200, alpha: float = 0.0, sample_weight: Tensor | np.ndarray | None = None, shuffle: bool = True,
    optimizer_kwargs: dict[str, Any] | None = None, generator: torch.Generator | None = None, engine: str = "auto",
    clip_grad_norm: float | None = None,
) -> LRFindResult:
    """Sweep the learning rate geometrically over ``num_steps`` mini-batch steps of ``solver`` and record the loss at each.

    Step ``i`` runs at ``start_lr · (end_lr / start_lr)^(i / (num_steps - 1))``. Parameters with ``requires_grad=False``
    (frozen layers, :func:`~._freeze.frozen`) are left out of the steps, as in training. The suggestion is the rate where
    the smoothed loss falls fastest (see :func:`~._lr_find_result.steepest_descent`); train at it, or a little below.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> X = torch.randn(256, 4); Y = X @ torch.randn(4, 1)
    >>> net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    >>> found = lr_find(net, X, Y, loss="squared_error", solver="sgd", num_steps=60, batch_size=32)
    >>> len(found.lrs) <= 60 and found.lrs[0] == 1e-7
    True
    >>> 1e-7 < found.suggestion < 10
    True
    """
    start, end, steps, smooth_f, diverge_f = check_sweep(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, smooth=smooth, diverge=diverge)
    if solver == "lbfgs":
        raise ValueError(LBFGS_NO_RATE)
    loss = get_loss(loss) if isinstance(loss, str) else loss
    whole("batch_size", batch_size, 1, "rows per step")
    alpha = real("alpha", alpha, low=0, meaning="the L2 strength; 0 for none")
    clip = None if clip_grad_norm is None else real("clip_grad_norm", clip_grad_norm, low=0, low_open=True,
                                                     meaning="the largest gradient norm; None for no clipping")
    kwargs = check_optimizer_kwargs(solver, optimizer_kwargs) if solver in ("sgd", "adam", "adamw", "rmsprop") else None
    if kwargs is None:
        raise ValueError(f"solver must be one of sgd, adam, adamw, rmsprop. Received: solver={solver!r}.")
    if solver == "adamw" and alpha and "weight_decay" not in kwargs:
        kwargs["weight_decay"] = alpha  # as train(): AdamW's decay is alpha unless set
    param = next(iter(module.parameters()), None)
    if param is None or not any(p.requires_grad for p in module.parameters()):
        raise ValueError("the module has no trainable parameters: nothing for a learning rate to move.")
    device, dtype = param.device, param.dtype
    Xt = as_tensor("X", X, dtype, device, sparse_ok=True)
    Yt: Tensor = as_tensor("Y", Y, dtype, device)
    W = None if sample_weight is None else as_tensor("sample_weight", sample_weight, dtype, device)
    n = check_lengths(Xt, Yt, W)
    check_shapes(module, Xt, Yt, loss)
    check_finite(module, Xt, Yt, loss)  # a NaN row made the sweep stop at its first step as if every rate diverged
    if W is not None:
        check_weights(W)
    rates = sweep_rates(start, end, steps)
    with _put_back(module):
        lrs, losses, reason = _sweep(module, Xt, Yt, W, loss=loss, solver=solver, kwargs=kwargs, rates=rates, alpha=alpha,
                                     batch_size=min(int(batch_size), n), shuffle=shuffle, generator=generator, engine=engine, device=device,
                                     smooth=smooth_f, diverge=diverge_f, clip_grad_norm=clip)
    smoothed = smoothed_losses(losses, smooth_f)
    return LRFindResult(lrs=tuple(lrs), losses=tuple(losses), smoothed=tuple(float(v) for v in smoothed),
                        suggestion=steepest_descent(lrs, smoothed), stop_reason=reason, smooth=smooth_f)


def _sweep(module: torch.nn.Module, X: Any, Y: Tensor, W: Tensor | None, *, loss: Loss, solver: str, kwargs: dict[str, Any],
           rates: np.ndarray, alpha: float, batch_size: int, shuffle: bool, generator: torch.Generator | None, engine: str,
           device: torch.device, smooth: float, diverge: float, clip_grad_norm: float | None) -> tuple[list[float], list[float], str]:
    """The steps of the sweep, written out: ``(rates tried, losses, stop reason)``; ``module`` is left trained (the caller puts it back)."""
    flat = FlatParams(module)
    l2 = alpha if solver != "adamw" else 0.0  # AdamW decays the weights itself
    optimizer = make_optimizer(solver, flat, **kwargs)
    stepper = make_step(module, loss, flat, l2, engine)
    on_numpy = isinstance(stepper.convert(flat.data[:1]), np.ndarray)
    batches = Batches(X, Y, W, batch_size, shuffle=shuffle, generator=generator, convert=stepper.convert,
                      numpy_engine=on_numpy, device=device, dtype=flat.data.dtype, min_rows=min_batch_rows(module))
    lrs: list[float] = []
    losses: list[float] = []
    beta, avg, best = 1.0 - smooth, 0.0, math.inf
    reason = "num_steps"
    try:
        with thread_limits(module, batch_size, device, numpy_engine=on_numpy, sample=X[:1] if isinstance(X, Tensor) else None):
            for i, (lr, (xb, yb, wb)) in enumerate(zip(rates, _batches_forever(batches))):
                rows = xb.shape[0] if wb is None else float(wb.sum())
                penalty = 0.5 * l2 * float(flat.l2()) / rows if l2 else 0.0  # at the weights this batch's loss is computed with
                value = float(stepper.step(xb, yb, wb)) / rows + penalty
                lrs.append(float(lr))
                losses.append(value)
                if not math.isfinite(value):
                    reason = "non_finite"
                    break
                avg = beta * avg + smooth * value
                smoothed = avg / (1.0 - beta ** (i + 1))
                if i > 0 and best > 0 and smoothed > diverge * best:  # (a loss that can go negative never counts as diverged)
                    reason = "diverged"
                    break
                best = min(best, smoothed)
                if clip_grad_norm:
                    clip_grad_norm_(flat, clip_grad_norm)  # as train() clips: the whole gradient, before the update
                optimizer.step(float(lr))
    finally:
        flat.release()  # each parameter on its own storage again (RNNs back in cuDNN's layout); the caller re-points .data
    return lrs, losses, reason


__all__ = ["LBFGS_NO_RATE", "check_sweep", "lr_find", "sweep_rates"]
