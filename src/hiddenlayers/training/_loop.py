"""The fit loop: forward, loss, backward, step, callbacks, stopping checks.

:func:`train` is written out in one readable function. Data in memory is
batched by tensor slicing after one permutation per epoch (no DataLoader;
the NumPy engine gathers each batch's rows into a kept buffer instead);
the epoch's loss accumulates on the device and is read once per epoch, so a
step never waits on the host. A non-finite loss or Ctrl-C stops training,
restores the best weights seen and records why in ``History.stop_reason``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from ..exceptions import DivergedWarning, InterruptedWarning
from ._cuda_graph import GraphEpochs
from ._distributed import gradient_sync
from ._engine import make_step
from ._losses import Loss
from ._optim import FlatParams, Optimizer, Schedule, clip_grad_norm_, make_optimizer
from ._precision import check_precision, compute_dtype, precision_scope
from ._stopping import STOP_REASONS, AnyOf, Callback, History, NoImprovement, StoppingRule, TrainState

Validator = Callable[[], tuple[float, float]]


@dataclass
class TrainResult:
    """What :func:`train` hands back besides the trained network."""

    history: History
    optimizer: Optimizer
    samples_seen: int
    steps: int


def _rows(X: Any, sl: slice | Tensor, device: torch.device, dtype: torch.dtype) -> Tensor:
    if isinstance(X, Tensor):
        return X[sl]
    block = X[sl] if isinstance(sl, slice) else X[sl.cpu().numpy()]
    return torch.as_tensor(block.toarray(), dtype=dtype, device=device)


class _BatchGather:
    """Shuffled batches for the NumPy engine, each gathered when its step needs it.

    The rows of a batch are copied into buffers kept across steps: the batch
    (256 x 100 float32 is 100 kB) is still in cache for the products, where a
    whole-epoch shuffled copy writes the data set out and reads it back, and
    holds a second copy of X. ``mode="clip"`` because ``mode="raise"``
    buffers ``out`` (the indices come from a permutation: none is out of range).
    """

    def __init__(self, X: Any, Y: Any, W: Any, rows: int) -> None:
        """``X``, ``Y``, ``W`` (or None): NumPy arrays with one row per sample; ``rows``: the batch size."""
        self.src = (X, Y, W)
        self.buf: tuple[Any, ...] = tuple(None if a is None else np.empty((rows, *a.shape[1:]), a.dtype) for a in self.src)

    def __call__(self, idx: np.ndarray) -> tuple[Any, Any, Any]:
        """``(x, y, w)`` of rows ``idx`` (``w`` None without sample weights)."""
        x, y, w = (None if a is None else np.take(a, idx, axis=0, out=b[: len(idx)], mode="clip") for a, b in zip(self.src, self.buf))
        return x, y, w


def _limit_blas_threads(network: torch.nn.Module, batch_size: int, device: torch.device) -> Any:
    """Run small CPU matmuls on one BLAS thread.

    For a batch of a small network the threads' hand-offs cost more than the
    arithmetic they share (a 200x64x64 product runs faster on one core), and
    on a busy machine spinning BLAS threads steal time from the main one.
    """
    if device.type != "cpu":
        return None
    widths = [m.weight.shape for m in network.modules() if isinstance(m, torch.nn.Linear)]
    largest = max((o * i for o, i in widths), default=0)
    dense_only = all(
        isinstance(m, (torch.nn.Linear, torch.nn.BatchNorm1d, torch.nn.LayerNorm))
        for m in network.modules()
        if next(m.parameters(recurse=False), None) is not None
    )
    if not dense_only or batch_size * largest >= 1 << 22:
        return None  # big products, or conv/recurrent layers whose cost the widths don't show
    return _OneThread()


class _OneThread:
    """BLAS and torch intra-op threads set to 1 until :meth:`restore_original_limits`."""

    def __init__(self) -> None:
        from threadpoolctl import threadpool_limits

        self._blas = threadpool_limits(limits=1, user_api="blas")
        self._torch = torch.get_num_threads()
        torch.set_num_threads(1)

    def restore_original_limits(self) -> None:
        self._blas.restore_original_limits()
        torch.set_num_threads(self._torch)


def _overrides(cb: Callback, hook: str) -> bool:
    return getattr(type(cb), hook) is not getattr(Callback, hook)


def train(
    network: torch.nn.Module,
    X: Tensor | sp.spmatrix,
    Y: Tensor,
    *,
    loss: Loss,
    solver: str = "adam",
    learning_rate_init: float = 1e-3,
    schedule: Schedule | None = None,
    batch_size: int = 200,
    max_epochs: int = 200,
    shuffle: bool = True,
    sample_weight: Tensor | None = None,
    alpha: float = 0.0,
    validate: Validator | None = None,
    stopping: StoppingRule | None = None,
    no_improvement: NoImprovement | None = None,
    callbacks: Sequence[Callback] = (),
    clip_grad_norm: float | None = None,
    generator: torch.Generator | None = None,
    engine: str = "auto",
    optimizer_kwargs: dict[str, Any] | None = None,
    optimizer_state: dict[str, Any] | None = None,
    history: History | None = None,
    restore_best: bool = False,
    samples_seen: int = 0,
    device: torch.device | None = None,
    warn_if_diverged_at_start: bool = True,
    precision: str = "fp32",
    cuda_graphs: bool = True,
) -> TrainResult:
    """Train ``network`` on ``(X, Y)`` in place and return its history.

    ``X``: ``(n, in_features)`` tensor (or SciPy sparse matrix, densified per
    batch); ``Y``: ``(n, n_outputs)`` targets in the loss's form. ``validate``
    returns ``(val_loss, val_score)`` and is called after every epoch.
    ``no_improvement`` is the rule whose counter also drives "best weights"
    and the ``adaptive``/``plateau`` schedules; ``stopping`` holds the others
    (``MaxEpochs``, ``LossBelow``, ``TimeLimit``, ...).
    ``warn_if_diverged_at_start=False`` silences the :class:`DivergedWarning` of a
    divergence before any good epoch (the starting weights are restored either
    way) for a caller that raises its own error then, as the estimators do.
    ``precision``: ``"fp32"``, ``"tf32"`` or ``"bf16"`` (CUDA only; see
    ``_precision``). ``cuda_graphs=True`` replays the dense engine's full
    batches as CUDA graphs on a GPU where nothing reads per-batch values
    (no batch callbacks); False keeps every step eager.
    """
    device = device or (Y.device if isinstance(Y, Tensor) else torch.device("cpu"))
    precision = check_precision(precision, device, next(network.parameters()).dtype)
    n = X.shape[0]
    batch_size = max(1, min(int(batch_size), n))
    schedule = schedule or Schedule("constant", learning_rate_init, max_epochs=max_epochs)
    history = history if history is not None else History()
    rules = [r for r in (no_improvement, stopping) if r is not None]
    rule: StoppingRule | None = AnyOf(*rules) if rules else None
    flat = FlatParams(network)
    opt_kwargs = dict(optimizer_kwargs or {})
    optimizer = make_optimizer(solver, flat, **opt_kwargs)
    if optimizer_state:
        optimizer.load_state(optimizer_state)
    batch_cbs = [cb for cb in callbacks if _overrides(cb, "on_batch_end")]
    # the L2 gradient goes into the optimizer's pass when that is cheaper, unless something reads
    # the gradient between backward and update (clipping, batch callbacks): they must see it whole
    sync = gradient_sync()  # None in one process; else the gradient all-reduce of each step
    l2 = (alpha if solver != "adamw" else 0.0) / (sync.world if sync else 1)  # the L2 of the global batch
    fold_l2 = bool(l2) and optimizer.folds_l2 and not clip_grad_norm and not batch_cbs and sync is None  # same path on all ranks
    stepper = make_step(network, loss, flat, 0.0 if fold_l2 else l2, engine, low=compute_dtype(precision))
    cv = stepper.convert
    dtype = flat.data.dtype
    sw_total = float(sample_weight.sum()) if sample_weight is not None else float(n)
    n_batches = math.ceil(n / batch_size)
    runner = None
    total_t: Any = None
    if (
        cuda_graphs and device.type == "cuda" and getattr(getattr(stepper, "ops", None), "name", "") == "torch"
        and isinstance(X, Tensor) and not batch_cbs and not fold_l2 and n // batch_size >= 4
        and type(optimizer).device_step is not Optimizer.device_step and sync is None
    ):
        runner = GraphEpochs(stepper, optimizer, flat, X, Y, sample_weight, batch_size, clip_grad_norm)
    if sync is not None:
        sync.check_steps(n_batches)
    state = TrainState()
    best = flat.data.clone()
    # CPU NumPy engine: each shuffled batch is gathered and the best weights copied in NumPy, into
    # buffers kept across steps (see FlatParams.l2 for why no torch op runs between BLAS calls)
    on_numpy = isinstance(cv(flat.data[:1]), np.ndarray)
    gather = None
    if on_numpy and shuffle and isinstance(X, Tensor):
        gather = _BatchGather(cv(X), cv(Y), None if sample_weight is None else cv(sample_weight), min(batch_size, n))
    t0 = time.perf_counter() - (history.time[-1] if history.time else 0.0)
    start_epoch = history.epoch[-1] if history.epoch else 0
    reason: str | None = None
    steps = 0
    for cb in callbacks:
        cb.on_train_begin(network=network, history=history, state=state)
    blas = _limit_blas_threads(network, batch_size, device)
    torch_threads = torch.get_num_threads()
    if on_numpy and blas is None:
        # NumPy's BLAS keeps both cores; the few torch ops in the loop (fused Adam, shuffle) run on
        # this thread: a second pool waking between BLAS calls fights BLAS's spinning threads
        torch.set_num_threads(1)
    scope = precision_scope(precision)
    scope.__enter__()
    try:
        epoch = start_epoch
        while True:
            epoch += 1
            state.epoch = epoch
            network.train()
            for cb in callbacks:
                cb.on_epoch_begin(network=network, history=history, state=state, epoch=epoch)
            if runner is not None:
                perm = torch.randperm(n, generator=generator).to(device) if shuffle else torch.arange(n, device=device)
                total_t = runner.run_epoch(perm, schedule.lr)
                steps += n_batches
            dense_x = isinstance(X, Tensor)
            Xc: Any
            Yc: Any
            Wc: Any
            if runner is not None:
                pass  # the epoch ran above
            elif gather is not None:
                perm_np = torch.randperm(n, generator=generator).numpy()
            else:
                if shuffle:
                    perm = torch.randperm(n, generator=generator).to(device)
                    Xs = X[perm] if dense_x else X[perm.cpu().numpy()]
                    Ys = Y[perm]
                    Ws = sample_weight[perm] if sample_weight is not None else None
                else:
                    Xs, Ys, Ws = X, Y, sample_weight
                Yc, Wc = cv(Ys), (cv(Ws) if Ws is not None else None)
                Xc = cv(Xs) if dense_x else Xs
            total: Any = total_t if runner is not None else 0.0  # a float (NumPy engine) or a 0-d tensor: read once per epoch
            xb: Any
            yb: Any
            wb: Any
            for start in range(0, n if runner is None else 0, batch_size):
                sl = slice(start, start + batch_size)
                if gather is not None:
                    xb, yb, wb = gather(perm_np[sl])
                else:
                    xb = Xc[sl] if dense_x else cv(_rows(Xc, sl, device, dtype))
                    yb, wb = Yc[sl], (Wc[sl] if Wc is not None else None)
                total = total + stepper.step(xb, yb, wb)
                if sync is not None:
                    sync(flat.grad)
                if clip_grad_norm:
                    clip_grad_norm_(flat, clip_grad_norm)
                if fold_l2:
                    optimizer.step(schedule.lr, l2=l2 / (xb.shape[0] if wb is None else float(wb.sum())))
                else:
                    optimizer.step(schedule.lr)
                steps += 1
                for cb in batch_cbs:
                    cb.on_batch_end(network=network, history=history, state=state, batch_loss=total)
            samples_seen += n
            penalty = 0.5 * l2 * float(flat.l2()) * n_batches / n if l2 else 0.0  # l2: this rank's share of alpha
            train_loss = float(total) / sw_total + penalty
            val_loss, val_score = validate() if validate is not None else (math.nan, math.nan)
            if sync is not None:  # the same figures on every rank: the same stopping and schedule
                train_loss, val_loss, val_score = sync.agree(train_loss, val_loss, val_score)
            history.epoch.append(epoch)
            history.train_loss.append(train_loss)
            history.val_loss.append(val_loss)
            history.val_score.append(val_score)
            history.lr.append(schedule.lr)
            history.time.append(time.perf_counter() - t0)
            if not math.isfinite(train_loss):
                reason = "diverged"
                break
            if no_improvement is not None:
                value = {"train_loss": train_loss, "val_score": val_score, "val_loss": val_loss}[no_improvement.monitor]
                improved = no_improvement.update(value)
            else:
                improved = not history.best_epoch or train_loss < min(history.train_loss[:-1])
            if improved:
                if on_numpy:
                    np.copyto(best.numpy(), flat.data.numpy())
                else:
                    best.copy_(flat.data)
                history.best_epoch = epoch
            schedule.epoch_end(epoch, samples_seen, improved)
            logs = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_score": val_score, "lr": schedule.lr}
            for cb in callbacks:
                cb.on_epoch_end(network=network, history=history, state=state, logs=logs, flat=flat)
            reason = "callback" if state.stop_training else (rule(history) if rule else None)
            if reason and reason.startswith("no_improvement") and schedule.on_no_improvement():
                assert no_improvement is not None
                no_improvement.count = 0
                reason = rule(history) if rule else None
            if reason:
                break
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        scope.__exit__(None, None, None)
        if blas is not None:
            blas.restore_original_limits()
        elif torch.get_num_threads() != torch_threads:
            torch.set_num_threads(torch_threads)
    if reason in ("diverged", "interrupted"):
        flat.data.copy_(best)
        where = f"epoch {history.best_epoch}" if history.best_epoch else "the start of this run"
        if reason == "diverged" and (history.best_epoch or warn_if_diverged_at_start):
            warnings.warn(
                f"training diverged at epoch {epoch}: the loss became {history.train_loss[-1]}; "
                f"restored the weights of {where}. Lower learning_rate_init (now {learning_rate_init}), "
                "scale the inputs, or set clip_grad_norm.",
                DivergedWarning,
                stacklevel=3,
            )
        elif reason == "interrupted":
            warnings.warn(f"training interrupted by the user; restored the weights of {where}.", InterruptedWarning, stacklevel=3)
    elif restore_best and history.best_epoch:
        flat.data.copy_(best)
    history.stop_reason = reason
    history.stop_message = STOP_REASONS.get(reason or "", "")
    network.eval()
    for cb in callbacks:
        cb.on_train_end(network=network, history=history, state=state)
    flat.release()
    optimizer.flat = None  # type: ignore[assignment]
    return TrainResult(history=history, optimizer=optimizer, samples_seen=samples_seen, steps=steps)


def to_tensor(a: np.ndarray, dtype: torch.dtype, device: torch.device) -> Tensor:
    """A contiguous tensor of ``dtype`` on ``device`` (no copy when already right)."""
    return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)


__all__ = ["TrainResult", "Validator", "to_tensor", "train"]
