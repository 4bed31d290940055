"""Domain-adversarial training (DANN, Ganin et al. 2016): adapt to a domain without its labels.

A domain head reads the last hidden layer through a gradient-reversal layer
(identity forward, ``-λ ·`` gradient backward) and learns to tell source rows
from target rows; the reversed gradient pushes the hidden layers towards
features the domain head cannot separate, while the task head keeps them
useful on the labelled source rows. ``λ`` ramps up as ``2 / (1 + e^{-10 p}) - 1``
over training progress ``p`` (Ganin's schedule), so the task is learned first,
and the learning rate anneals as ``lr / (1 + 10 p)^0.75`` (the paper's
schedule, which keeps the adversarial game from oscillating late in training).
Trained through autograd on the project's flat-buffer optimizers.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .._docsections import parameters_section
from .._stacklevel import user_stacklevel
from ..exceptions import DivergedWarning
from ._divergence import diverged_message, has_diverged, note_start_loss
from ._hooks import LoopHooks
from ._losses import Loss
from ._optim import FlatParams, Optimizer, clip_grad_norm_, make_optimizer
from ._stopping import Callback, History, StoppingRule, held_at_start, kept_weights, warn_interrupted


class GradientReversal(torch.autograd.Function):
    """``forward(x, λ) = x``; ``backward(g) = -λ g`` (no gradient for ``λ``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, lambd: float) -> Tensor:  # type: ignore[override]
        """``x`` itself (as a view); keeps ``lambd`` for :meth:`backward`.

        Parameters
        ----------
        x : torch.Tensor
            The features.
        lambd : float
            The reversal's strength.
        """
        ctx.lambd = float(lambd)
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        """``-lambd · grad`` for ``x``, and no gradient for ``lambd``.

        Parameters
        ----------
        grad : torch.Tensor
            The gradient arriving from the domain head.
        """
        return -ctx.lambd * grad, None


def grad_reverse(x: Tensor, lambd: float = 1.0) -> Tensor:
    """``x`` unchanged, with its gradient multiplied by ``-lambd`` on the way back.

    Parameters
    ----------
    x, lambd
        As :meth:`GradientReversal.forward` takes them: the features, and the reversal's strength.
    """
    return GradientReversal.apply(x, lambd)  # type: ignore[no-any-return]


def dann_lambda(progress: float) -> float:
    """Ganin's ramp ``2 / (1 + exp(-10 p)) - 1`` for training progress ``p`` in [0, 1].

    Parameters
    ----------
    progress : float
        ``p``, the share of training done.
    """
    return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0


def dann_learning_rate(lr0: float, progress: float) -> float:
    """Ganin's annealing ``lr0 / (1 + 10 p)^0.75`` for training progress ``p`` in [0, 1].

    Parameters
    ----------
    lr0 : float
        The starting rate.
    progress : float
        ``p``, the share of training done.
    """
    return lr0 / (1.0 + 10.0 * progress) ** 0.75


class _DANN(nn.Module):
    """The network plus a domain head on its last hidden layer (one module: one flat buffer)."""

    def __init__(self, network: nn.Module, units: int, width: int) -> None:
        super().__init__()
        self.network = network
        self.domain = nn.Sequential(nn.Linear(units, width), nn.ReLU(), nn.Linear(width, 1))

    def objective(self, x: Tensor, y: Tensor, x_target: Tensor, loss: Loss, lambd: float, domain_weight: float) -> tuple[Tensor, Tensor]:
        """``(objective, task-loss sum)`` of one source batch ``(x, y)`` paired with a target batch.

        The objective is the task loss's batch mean plus ``domain_weight`` times the
        domain head's binary cross-entropy (source 0, target 1) read through the reversal.
        The task-loss sum is the one the fit records (``loss.reported``: a regressor's mean over outputs).
        """
        m = x.shape[0]
        out, hidden = self.network(torch.cat([x, x_target]), return_hidden=True)
        task_sum = loss.value(out[:m], y, None)
        d_logit = self.domain(grad_reverse(hidden[-1].flatten(1), lambd)).squeeze(1)
        d_label = torch.cat([torch.zeros(m), torch.ones(x_target.shape[0])]).to(d_logit)
        objective = task_sum / m + domain_weight * nn.functional.binary_cross_entropy_with_logits(d_logit, d_label)
        return objective, loss.reported(task_sum, out)


def _record(history: History, train_loss: float, lr: float, seconds: float) -> None:
    """One epoch's row in ``history`` (DANN has no validation split: its scores are NaN)."""
    history.epoch.append(len(history.epoch) + 1)
    history.train_loss.append(train_loss)
    history.val_loss.append(math.nan)
    history.val_score.append(math.nan)
    history.lr.append(lr)
    history.time.append(seconds)


def _build(network: nn.Module, X: Tensor, domain_width: int, solver: str,
           optimizer_kwargs: dict[str, Any] | None) -> tuple[_DANN, FlatParams, Optimizer, list[Tensor]]:
    """``(model, flat buffer, optimizer, L2 weights)``: ``network`` plus a domain head sized to its last hidden layer.

    The L2 weights are the network's trainable ``nn.Linear`` weights (not the domain head's).
    """
    with torch.no_grad():
        units = network(X[:2], return_hidden=True)[1][-1].flatten(1).shape[1]
    model = _DANN(network, units, domain_width).to(dtype=X.dtype, device=X.device)
    flat = FlatParams(model)
    optimizer = make_optimizer(solver, flat, **dict(optimizer_kwargs or {}))
    weights = [m.weight for m in network.modules() if isinstance(m, nn.Linear) and m.weight.requires_grad]
    return model, flat, optimizer, weights


def _l2_penalty(weights: list[Tensor], alpha: float, rows: int) -> Tensor | float:
    """A batch's L2 term ``alpha/2 · |W|²`` per row of its ``rows``, as scikit-learn adds it to the batch mean."""
    return 0.5 * alpha / rows * sum((W * W).sum() for W in weights)


def _epoch_steps(model: _DANN, flat: FlatParams, optimizer: Optimizer, weights: list[Tensor], data: tuple[Tensor, Tensor, Tensor],
                 history: History, *, loss: Loss, step: int, total_steps: int, learning_rate_init: float, batch_size: int, alpha: float,
                 domain_weight: float, clip_grad_norm: float | None, generator: torch.Generator | None,
                 hooks: LoopHooks | None = None) -> tuple[float, int, float]:
    """One epoch of DANN steps over ``data`` = (X ``(n, ...)``, Y ``(n, k)``, X_target ``(n_t, ...)``), each source batch paired with
    a target batch of its size (the target rows cycle): ``(the epoch's mean task loss, steps taken so far, the last step's rate)``.
    ``hooks`` get each step's ``on_batch_end`` (``batch_loss``: the epoch's task-loss sum so far)."""
    X, Y, X_target = data
    n, n_t = X.shape[0], X_target.shape[0]
    perm = torch.randperm(n, generator=generator).to(X.device)
    perm_t = torch.randperm(n_t, generator=generator).to(X.device)
    total, lr = 0.0, learning_rate_init
    for b, start in enumerate(range(0, n, batch_size)):
        idx = perm[start : start + batch_size]
        tidx = perm_t[torch.arange(b * batch_size, b * batch_size + len(idx)) % n_t]
        flat.grad.zero_()
        lambd, lr = dann_lambda(step / total_steps), dann_learning_rate(learning_rate_init, step / total_steps)
        objective, task_sum = model.objective(X[idx], Y[idx], X_target[tidx], loss, lambd, domain_weight)
        batch_sum = float(task_sum.detach())
        note_start_loss(history, batch_sum / len(idx))  # a history's first batch, before its step: the divergence rule's reference
        if alpha:
            objective = objective + _l2_penalty(weights, alpha, len(idx))
        objective.backward()
        if clip_grad_norm is not None:
            clip_grad_norm_(flat, clip_grad_norm)
        optimizer.step(lr)
        total += batch_sum
        step += 1
        if hooks is not None and hooks.reads_batches:
            hooks.batch_end(total)
    return total / n, step, lr


_TRAIN_DANN_PARAMETERS = """
Parameters
----------
network : Network
    A :class:`~hiddenlayers.Network` (its ``forward(x, return_hidden=True)`` gives the hidden layers).
X : torch.Tensor of shape (n, in_features)
    The labelled source rows.
Y : torch.Tensor of shape (n, n_outputs)
    Their targets in the loss's form.
X_target : torch.Tensor of shape (m, in_features)
    The unlabelled target rows.
loss : Loss
    The task loss.
solver, learning_rate_init, batch_size, max_epochs, alpha, generator, optimizer_kwargs, history
    As :func:`~._loop.train` takes them.
domain_weight : float
    The domain loss's weight.
domain_width : int
    Units of the domain head's hidden layer.
clip_grad_norm : float, optional
    Caps each step's whole gradient (network and domain head) at that L2 norm.
stopping : StoppingRule, optional
    Asked after each epoch that did not diverge (e.g. ``LossBelow``, ``TimeLimit``); stops the run there with its
    reason.
callbacks : sequence of Callback
    Get ``train``'s hooks on ``network`` (:class:`~._hooks.LoopHooks`); ``state.stop_training`` stops after that
    epoch (``"callback"``).
"""


@np.errstate(over="ignore", invalid="ignore")  # a diverging step's overflow: the DivergedWarning or the caller's error says it
@parameters_section(_TRAIN_DANN_PARAMETERS)
def train_dann(
    network: nn.Module,
    X: Tensor,
    Y: Tensor,
    X_target: Tensor,
    *,
    loss: Loss,
    solver: str = "adam",
    learning_rate_init: float = 1e-3,
    batch_size: int = 200,
    max_epochs: int = 200,
    alpha: float = 0.0,
    domain_weight: float = 1.0,
    domain_width: int = 64,
    generator: torch.Generator | None = None,
    optimizer_kwargs: dict[str, Any] | None = None,
    history: History | None = None,
    clip_grad_norm: float | None = None,
    stopping: StoppingRule | None = None,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``network`` on labelled ``(X, Y)`` and unlabelled ``X_target`` in place (DANN).

    Each step pairs a source batch with a target batch of the same size (the target rows cycle). The loss per step is the
    task loss (batch mean, plus ``alpha/2 · |W|²`` per row) plus ``domain_weight`` times the domain head's binary
    cross-entropy; ``history.train_loss`` records the task loss. The step size anneals from ``learning_rate_init``
    (:func:`dann_learning_rate`). An epoch whose task loss diverges (NaN/inf, or past ``_divergence``'s 1e4 x the
    history's start loss) stops the run: the last whole epoch's weights (or those it began with) are put back, with a
    ``DivergedWarning`` when they are an epoch's; ``history.held_epoch`` 0 then means no epoch is usable (the caller
    raises: ``refuse_unusable``). A resumed ``history``'s clock runs on, as in :func:`~._loop.train`. DANN holds out no
    rows: ``val_loss`` and ``val_score`` are NaN.
    """
    history, n = history if history is not None else History(), X.shape[0]
    if X_target.shape[0] < 1:
        raise ValueError("X_target has 0 rows: DANN needs unlabelled target rows.")
    batch_size = max(1, min(int(batch_size), n))
    model, flat, optimizer, weights = _build(network, X, domain_width, solver, optimizer_kwargs)
    total_steps = max(1, max_epochs * math.ceil(n / batch_size))
    step, lr, t0 = 0, learning_rate_init, time.perf_counter() - (history.time[-1] if history.time else 0.0)
    model.train()
    kept, kept_epoch = flat.data.clone(), 0  # the weights Ctrl-C goes back to: the last whole epoch's (0: the run's start)
    at_start, hooks = held_at_start(history), LoopHooks(list(callbacks), network, history)  # the epoch the run began with
    try:
        hooks.begin()  # Ctrl-C here is one before the first step: the run's start kept, as in train()
        for _epoch in range(max_epochs):
            hooks.epoch_begin(len(history) + 1)
            train_loss, step, lr = _epoch_steps(model, flat, optimizer, weights, (X, Y, X_target), history, loss=loss, step=step,
                                                total_steps=total_steps, learning_rate_init=learning_rate_init, batch_size=batch_size,
                                                alpha=alpha, domain_weight=domain_weight, clip_grad_norm=clip_grad_norm, generator=generator,
                                                hooks=hooks)
            _record(history, train_loss, lr, time.perf_counter() - t0)
            if has_diverged(train_loss, history.start_loss):
                history.stop_reason = "diverged"
                _fall_back(flat, kept, kept_epoch or at_start, bool(kept_epoch), history, learning_rate_init)
                break
            kept.copy_(flat.data)
            kept_epoch = len(history)
            reason = "callback" if hooks.epoch_end() else (stopping(history) if stopping is not None else None)  # a callback's stop wins
            if reason:
                history.stop_reason = reason
                break
        else:
            history.stop_reason = "max_epochs"
    except KeyboardInterrupt:
        with torch.no_grad():
            flat.data.copy_(kept)
        history.stop_reason = "interrupted"
        warn_interrupted(kept_weights(kept_epoch or at_start, this_run=bool(kept_epoch)))
    finally:
        history.held_epoch = kept_epoch or at_start or 0  # 0 after a divergence: no usable epoch (the caller raises)
        model.eval()
        flat.release()
    hooks.end()
    return history


def _fall_back(flat: FlatParams, kept: Tensor, epoch: int | None, this_run: bool, history: History, learning_rate_init: float) -> None:
    """After a diverged epoch: put ``kept`` (the weights of ``epoch``, the last whole one; 0/None: the run's start) back into
    ``flat`` and, when they are an epoch's, say so in one ``DivergedWarning`` (with none the caller raises instead)."""
    with torch.no_grad():
        flat.data.copy_(kept)
    if epoch:
        warnings.warn(diverged_message(history.epoch[-1], history.train_loss[-1], history.start_loss, kept_weights(epoch, this_run),
                                       learning_rate_init), DivergedWarning, stacklevel=user_stacklevel())


__all__ = ["GradientReversal", "dann_lambda", "dann_learning_rate", "grad_reverse", "train_dann"]
