"""The fit loop: forward, loss, backward, step, callbacks, stopping checks.

:func:`train` reads top to bottom: setup, the loop, finish. The setup is
``_start_history`` (a resumed history, or a fresh one whose rules start over),
``_stopping_rule`` (``max_epochs`` counted on from a resumed history) and
``_plan`` (optimizer, step function, batches, L2 and CUDA-graph choices);
the loop is written out in ``_run_epochs``. Named helpers carry the rest:
:class:`~._batches.Batches` (the batches of an epoch, three ways of holding
data behind one iterator), :func:`thread_limits` (a context manager),
end-of-epoch bookkeeping (``_epoch_loss``, ``_record_epoch``, ``_improved``,
``_stop_reason``) and the finish (``_end_run``: ``_restore``, ``_rewound``, ``_finish``).
The epoch's loss accumulates on the device and is read once per epoch, so a
step never waits on the host. A diverging loss (NaN/inf, or past ``_divergence``'s line) or Ctrl-C stops training,
restores the best weights seen and records why in ``History.stop_reason``.
A ``BackupAndRestore`` callback (``_backup``) gets the loop's whole state after each epoch, and gives it back to a new run.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from .._docsections import parameters_section
from .._stacklevel import user_stacklevel
from ..exceptions import DivergedWarning
from ._averaging import WeightAveraging
from ._backup import BackupAndRestore, backup_of, epochs_record, loop_identity, loop_record, resume_loop
from ._batches import Batches, min_batch_rows
from ._cuda_graph import GraphEpochs
from ._distributed import GradientSync, gradient_sync
from ._divergence import CLIP_FIX, diverged_message, has_diverged
from ._engine import AutogradStep, DenseEngine, make_step
from ._inputs import as_tensor, check_finite, check_lengths, check_numbers, check_rules, check_shapes, check_weights
from ._losses import Loss, get_loss
from ._macs import row_macs_of
from ._optim import FlatParams, Optimizer, Schedule, check_optimizer_kwargs, check_solver, clip_grad_norm_, make_optimizer
from ._precision import check_precision, compute_dtype, precision_scope
from ._stopping import (
    STOP_REASONS,
    AnyOf,
    Callback,
    History,
    MaxEpochs,
    NoImprovement,
    StoppingRule,
    TrainState,
    check_callbacks,
    held_at_start,
    kept_weights,
    warn_interrupted,
)

Validator = Callable[[], tuple[float, float]]


@dataclass
class TrainResult:
    """What :func:`train` hands back besides the trained network.

    Attributes
    ----------
    history : History
        The run's record.
    optimizer : Optimizer
        The optimizer, with its state (for a warm fit to go on from).
    samples_seen : int
        Rows seen over the fit (of weight > 0).
    steps : int
        Optimizer steps this call took.
    """

    history: History
    optimizer: Optimizer
    samples_seen: int
    steps: int


@dataclass
class _Kept:
    """One best epoch's weights and the bookkeeping that goes with them (see :class:`_BestWeights`)."""

    data: Tensor
    epoch: int | None
    saved: bool
    samples_seen: int
    schedule_state: dict[str, Any]
    rules: list[tuple[NoImprovement, float, int]]


class _BestWeights:
    """The flat weights of the best epoch so far, and the optimizer's moments and step count with them.

    The weights are restored on divergence, Ctrl-C or early stopping; after Ctrl-C
    the optimizer state too (and the samples seen, the schedule's state and the no-improvement
    rules' best and count, :meth:`settle`; after a divergence the samples seen, the rules' best
    and count and plateau's stalled epochs, the rate staying lowered),
    so the state a warm fit resumes is the one those weights
    were trained to, not one that counts the undone steps (after a divergence the
    estimators drop the moments instead; early stopping keeps the last epoch's, as
    scikit-learn does). The optimizer state is copied only when the next epoch is
    about to step (:meth:`before_steps`): until then the optimizer holds it, so a run's
    last epoch (a ``partial_fit``'s one) copies nothing. Before any improvement "best"
    is the run's start, the optimizer state ``start`` it began from. On the NumPy
    engine the weights' copy is made in NumPy, into the buffer kept across epochs
    (see ``FlatParams.l2`` for why no torch op runs between BLAS calls).

    The best before the current one is kept too (``prev``: its weights, epoch and what :meth:`settle` kept; the
    run's start before any improvement), in a second buffer the two swap, so a save copies no more than before.
    An epoch's loss is measured before each of its steps, so the weights it ends with are judged by none of
    them: one batch per epoch (fewer than 200 rows at the default ``batch_size``), epoch 1's loss is the
    untrained network's, and a step size that explodes in epoch 1's last step left "the best epoch" holding
    the exploded weights (iris, SGD at rate 1e3: a log loss of 1.4e4 restored as epoch 1's 0.98). When the
    epoch after the best one diverges and its first batch, at exactly the best's weights, has diverged too,
    :meth:`fall_back` keeps the previous best instead (:func:`_check_best`).
    """

    def __init__(self, flat: FlatParams, numpy_engine: bool, optimizer: Optimizer, start: dict[str, Any] | None, held: int | None) -> None:
        self.flat, self.numpy_engine, self.optimizer, self.start = flat, numpy_engine, optimizer, start
        self.data = flat.data.clone()
        self.epoch, self.saved = held, False  # the epoch of the weights kept (held: the start's, 0/None none); saved in this run
        self.state_at = "start"  # where the best's optimizer state is: "start", "optimizer" (not stepped since), "kept"
        self.samples_seen = 0  # the samples seen and the schedule's state after the best epoch (or at the start): see settle
        self.schedule_state: dict[str, Any] = {}
        self.rules: list[tuple[NoImprovement, float, int]] = []  # each no-improvement rule's (best, count) then
        self.prev: _Kept | None = None  # the best before this one, for fall_back (None: none kept, or already fallen back to)

    def settle(self, samples_seen: int, schedule: Schedule, monitors: Sequence[NoImprovement] = ()) -> None:
        """Keep the samples seen, the schedule's state (rate, stalled epochs) and the no-improvement rules'
        best and count that go with the best weights.

        Called at the start and after the best epoch's bookkeeping: Ctrl-C and a divergence put them
        back with the weights (``t_``, plateau's stalled epochs and ``_no_improvement_count`` then count
        no undone epoch; the rate goes back after Ctrl-C only).
        """
        self.samples_seen, self.schedule_state = samples_seen, schedule.state()
        self.rules = [(m, m.best, m.count) for m in monitors]

    def rewind_rules(self) -> None:
        """Put the no-improvement rules' best and count back to those :meth:`settle` kept."""
        for m, best, count in self.rules:
            m.best, m.count = best, count

    def save(self, epoch: int, weights: Tensor | None = None) -> None:
        """Keep the current weights, epoch ``epoch``'s, as the best (their optimizer state is the optimizer's own until the next step).

        ``weights``: the flat weights to keep instead of the network's (the averaged ones, under weight averaging).
        """
        buffer = self.prev.data if self.prev is not None else torch.empty_like(self.data)  # the one allocation: a run's first save
        self.prev = _Kept(self.data, self.epoch, self.saved, self.samples_seen, self.schedule_state, self.rules)
        self.data = buffer
        self.epoch, self.saved = epoch, True
        source = self.flat.data if weights is None else weights
        if self.numpy_engine:
            np.copyto(self.data.numpy(), source.numpy())
        else:
            self.data.copy_(source)
        self.state_at = "optimizer"

    def before_steps(self) -> None:
        """Called before an epoch's first step: the best's optimizer state, still the optimizer's, is copied aside."""
        if self.state_at == "optimizer":
            self.optimizer.keep_state()
            self.state_at = "kept"  # only once the copy is whole: Ctrl-C in it leaves the optimizer's, untouched

    def fall_back(self) -> bool:
        """Keep the previous best (weights, epoch, samples seen, schedule and rules) instead of the current one, whose
        weights proved diverged; whether there was one to fall back to."""
        if self.prev is None:
            return False
        self.data, self.epoch, self.saved, self.samples_seen, self.schedule_state, self.rules = (
            self.prev.data, self.prev.epoch, self.prev.saved, self.prev.samples_seen, self.prev.schedule_state, self.prev.rules)
        self.prev = None
        return True

    def prev_record(self) -> dict[str, Any] | None:
        """The previous best as a backup holds it (``_backup.loop_record``); None when there is none."""
        p = self.prev
        if p is None:
            return None
        return {"data": p.data.detach().cpu().clone(), "epoch": p.epoch, "saved": p.saved, "samples_seen": int(p.samples_seen),
                "schedule_state": dict(p.schedule_state), "rules": [[float(b), int(c)] for _, b, c in p.rules]}

    def load_prev(self, record: dict[str, Any] | None, monitors: Sequence[NoImprovement]) -> None:
        """Put :meth:`prev_record`'s ``record`` back (``_backup.resume_loop``), its rules those of ``monitors``."""
        self.prev = None if record is None else _Kept(
            record["data"].to(self.data.device), record["epoch"], bool(record["saved"]), int(record["samples_seen"]),
            dict(record["schedule_state"]), [(m, float(v), int(c)) for m, (v, c) in zip(monitors, record["rules"])])

    def where(self) -> str:
        """The weights kept, as a warning names them: this run's best epoch, else those the run began with (:func:`kept_weights`)."""
        return kept_weights(self.epoch, self.saved)

    def restore(self, optimizer_too: bool = False) -> None:
        """Put the best weights back into the network (``optimizer_too``: and the optimizer's moments and step count)."""
        self.flat.data.copy_(self.data)
        if optimizer_too and self.state_at == "kept":
            self.optimizer.restore_kept()
        elif optimizer_too and self.state_at == "start":
            self.optimizer.start_over(self.start)


#: forward multiply-adds per batch below which a convolutional or recurrent fit runs on one thread (benchmarks/bench_threads.py)
SMALL_BATCH_MACS = 5e7


def _one_thread_pays(network: torch.nn.Module, batch_size: int, device: torch.device, sample: Tensor | None = None) -> bool:
    """Whether a small network's CPU fit runs faster on one BLAS and torch thread.

    For a batch of a small network the threads' hand-offs cost more than the
    arithmetic they share (a 200x64x64 product runs faster on one core), and
    on a busy machine spinning threads steal time from the main one: a small
    CNN's fit on 2 cores, one of them busy, took 3-4x longer on two threads
    (``benchmarks/bench_threads.py``). Dense networks are sized by their widest
    layer; convolutional and recurrent ones, whose cost the weights don't show,
    by the forward multiply-adds of ``sample`` (one input row) times the batch, counted from the layers' shapes
    (:func:`~._macs.row_macs_of`: ``FlopCounterMode``, whose first use imports ``torch._dynamo``, only for a layer kind
    the shapes do not size).
    """
    if device.type != "cpu":
        return False
    widths = [m.weight.shape for m in network.modules() if isinstance(m, torch.nn.Linear)]
    largest = max((o * i for o, i in widths), default=0)
    dense_only = all(
        isinstance(m, (torch.nn.Linear, torch.nn.BatchNorm1d, torch.nn.LayerNorm))
        for m in network.modules()
        if next(m.parameters(recurse=False), None) is not None
    )
    if dense_only:
        return batch_size * largest < 1 << 22
    return sample is not None and row_macs_of(network, sample) * batch_size < SMALL_BATCH_MACS



def _blas_controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries, cached while no module is imported.

    A fresh ``ThreadpoolController`` reads ``/proc/self/maps`` (thousands of lines
    in a process with torch): about 2.5 ms, paid on every ``partial_fit`` call of a
    small network. threadpoolctl's own cache (3.8+) rebuilds it when ``sys.modules``
    grows, the sign that a new BLAS may have been loaded.
    """
    try:
        from threadpoolctl import get_cached_controller
    except ImportError:  # threadpoolctl < 3.8: a fresh one each time
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController()
    return get_cached_controller()


@contextmanager
def thread_limits(network: torch.nn.Module, batch_size: int, device: torch.device, *, numpy_engine: bool,
                  sample: Tensor | None = None) -> Iterator[None]:
    """Limit BLAS and torch intra-op threads for the fit, and restore them after (exceptions too).

    Small networks on the CPU run on one BLAS and one torch thread (see :func:`_one_thread_pays`). Otherwise, on the
    NumPy engine, NumPy's BLAS keeps every core while torch gets one: the few torch ops in the loop (fused Adam, shuffle)
    run on this thread, and a second pool waking between BLAS calls fights BLAS's spinning threads.

    Parameters
    ----------
    network : torch.nn.Module
        The network fitted.
    batch_size : int
        Rows per step.
    device : torch.device
        Where training runs (limits apply on the CPU).
    numpy_engine : bool
        Whether the NumPy engine runs the steps.
    sample : torch.Tensor, optional
        One input row, which sizes a convolutional or recurrent network.
    """
    torch_threads = torch.get_num_threads()
    blas = None
    if _one_thread_pays(network, batch_size, device, sample):
        blas = _blas_controller().limit(limits=1, user_api="blas")
        torch.set_num_threads(1)
    elif numpy_engine:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if blas is not None:
            blas.restore_original_limits()
        if torch.get_num_threads() != torch_threads:
            torch.set_num_threads(torch_threads)


def _overrides(cb: Callback, hook: str) -> bool:
    return getattr(type(cb), hook) is not getattr(Callback, hook)


def _l2_plan(solver: str, alpha: float, optimizer: Optimizer, clip_grad_norm: float | None, batch_cbs: list[Callback],
             sync: GradientSync | None) -> tuple[float, bool]:
    """``(l2, fold)``: the L2 strength the loop applies, and whether the optimizer folds it into its pass.

    AdamW decays weights itself (``l2 = 0``). The L2 gradient goes into the
    optimizer's pass when that is cheaper, unless something reads the gradient
    between backward and update (clipping, batch callbacks): they must see it whole.
    Under DDP each rank adds its share of the global batch's L2, and every rank
    takes the same (unfolded) path.
    """
    l2 = (alpha if solver != "adamw" else 0.0) / (sync.world if sync else 1)
    return l2, bool(l2) and optimizer.folds_l2 and not clip_grad_norm and not batch_cbs and sync is None


def _graph_runner(stepper: Any, optimizer: Optimizer, flat: FlatParams, X: Any, Y: Tensor, sample_weight: Tensor | None, batch_size: int,
                  clip_grad_norm: float | None, *, enabled: bool, device: torch.device, batch_cbs: list[Callback], fold_l2: bool,
                  sync: GradientSync | None, l2: float = 0.0) -> GraphEpochs | None:
    """The CUDA-graph runner of the dense engine's epochs, where it applies: on a GPU, with the
    torch engine, dense data, at least 4 full batches, an optimizer with a device step, and nothing
    that reads per-batch values (batch callbacks), folds L2 or all-reduces between steps."""
    if not (
        enabled and device.type == "cuda" and getattr(getattr(stepper, "ops", None), "name", "") == "torch"
        and isinstance(X, Tensor) and not batch_cbs and not fold_l2 and X.shape[0] // batch_size >= 4
        and type(optimizer).device_step is not Optimizer.device_step and sync is None
    ):
        return None
    return GraphEpochs(stepper, optimizer, flat, X, Y, sample_weight, batch_size, clip_grad_norm, track_l2=bool(l2), l2=l2)


def _order(n: int, shuffle: bool, generator: torch.Generator | None, device: torch.device) -> Tensor:
    """This epoch's row order on ``device``: a permutation, or ``0..n-1`` without shuffling."""
    return torch.randperm(n, generator=generator).to(device) if shuffle else torch.arange(n, device=device)


def _batch_weight(xb: Any, wb: Any) -> float:
    """A batch's rows, or its summed sample weights: what a folded L2 step divides by."""
    return xb.shape[0] if wb is None else float(wb.sum())


def _epoch_loss(total: Any, sw_total: float, l2_sum: Any, l2: float, weighted_sync: GradientSync | None = None) -> float:
    """Mean training loss of an epoch: the (weighted) data loss plus the L2 penalty as scikit-learn counts it.

    ``l2_sum`` is the sum over the epoch's batches of ``|W|²`` at the weights
    each batch's loss was computed with (before its step), as scikit-learn adds
    each batch's penalty: each batch adds ``0.5 · l2 · |W|²`` once; the sum is
    divided by the rows, or by the summed sample weights, as the data loss is,
    so weights of 2 give the loss of the same rows written out twice. ``weighted_sync`` (DDP with
    sample weights): the ranks' sums and weights are added up first, so the loss is the weighted mean
    of every rank's rows, as one process computes it (0 where no rank's rows weigh anything).
    """
    if weighted_sync is not None:
        from ._distributed import reduce_sum

        num, weight = reduce_sum([float(total) + (0.5 * l2 * float(l2_sum) if l2 else 0.0), sw_total])
        return num / weight if weight > 0 else 0.0
    penalty = 0.5 * l2 * float(l2_sum) / sw_total if l2 else 0.0
    return float(total) / sw_total + penalty


def _record_epoch(history: History, epoch: int, train_loss: float, validate: Validator | None, lr: float, t0: float,
                  sync: GradientSync | None = None, loss_agreed: bool = False) -> dict[str, Any]:
    """Validate, append the epoch's numbers to ``history`` and return them as the callbacks' ``logs``.

    Under DDP the figures are agreed across ranks first: the same stopping and schedule everywhere
    (``loss_agreed``: ``train_loss`` is the ranks' already, :func:`_epoch_loss`'s weighted mean).
    """
    val_loss, val_score = validate() if validate is not None else (math.nan, math.nan)
    if sync is not None and loss_agreed:
        val_loss, val_score = sync.agree(val_loss, val_score)
    elif sync is not None:
        train_loss, val_loss, val_score = sync.agree(train_loss, val_loss, val_score)
    history.epoch.append(epoch)
    history.train_loss.append(train_loss)
    history.val_loss.append(val_loss)
    history.val_score.append(val_score)
    history.lr.append(lr)
    history.time.append(time.perf_counter() - t0)
    return {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_score": val_score}


def _improved(monitors: list[NoImprovement], history: History, logs: dict[str, Any]) -> bool:
    """Feed this epoch to every no-improvement rule; whether it is the best so far, by the first rule's monitor, else by training loss.

    The rules inside ``stopping=`` are fed too (else they would never count an
    epoch and never fire); the first (``no_improvement=``'s, or else the first
    found in ``stopping=``) judges the best epoch.
    """
    if monitors:
        return [m.update(logs[m.monitor]) for m in monitors][0]
    return not history.best_epoch or logs["train_loss"] < min(history.train_loss[:-1])


def _stop_reason(state: TrainState, rule: StoppingRule | None, history: History, schedule: Schedule, monitors: list[NoImprovement]) -> str | None:
    """Why training stops after this epoch, or None to go on.

    A callback's ``state.stop_training`` wins; then the rules. A stall gives
    the schedule a chance first (``adaptive``/``plateau`` lower the rate and
    the stall count starts over).
    """
    reason = "callback" if state.stop_training else (rule(history) if rule else None)
    if reason and reason.startswith("no_improvement") and schedule.on_no_improvement():
        for m in monitors:
            if m(history):
                m.count = 0
        reason = rule(history) if rule else None
    return reason


def _restore(reason: str | None, best: _BestWeights, history: History, *, restore_best: bool, warn_at_start: bool, learning_rate_init: float, epoch: int,
             fix: str = CLIP_FIX) -> None:
    """Put the best weights back after a divergence or Ctrl-C (with a warning), or when ``restore_best`` asks.

    The warning names the weights put back: this run's best epoch's, or those it began with (a warm fit or
    ``partial_fit`` that has not improved on them), whose epoch ``history.best_epoch`` may not be. ``history.held_epoch``
    records the epoch whose weights the network is left with, for the next run's warning; ``fix``: the warning's remedy after the step size.
    """
    held = history.epoch[-1] if history.epoch else best.epoch  # the last epoch's weights, unless put back below
    if reason in ("diverged", "interrupted"):
        best.restore(optimizer_too=reason == "interrupted")
        held, where = best.epoch, best.where()
        if reason == "diverged" and ((history.best_epoch and best.epoch) or warn_at_start):  # not a fresh fit's start (_check_best)
            warnings.warn(
                diverged_message(epoch, history.train_loss[-1], history.start_loss, where, learning_rate_init, fix),
                DivergedWarning,
                stacklevel=user_stacklevel(),  # the user's line: the call of fit, partial_fit or train
            )
        elif reason == "interrupted":
            warn_interrupted(where)
    elif restore_best and history.best_epoch:
        best.restore()
        held = best.epoch
    history.held_epoch = held


def _finish(
    reason: str | None, network: torch.nn.Module, history: History, state: TrainState, callbacks: Sequence[Callback], flat: FlatParams, optimizer: Optimizer
) -> None:
    """Record why training stopped, switch to eval mode, tell the callbacks, and let go of the flat buffer."""
    history.stop_reason = reason
    history.stop_message = STOP_REASONS.get(reason or "", "")
    network.eval()
    for cb in callbacks:
        cb.on_train_end(network=network, history=history, state=state)
    flat.release()
    optimizer.flat = None  # type: ignore[assignment]


def _stopping_rule(no_improvement: NoImprovement | None, stopping: StoppingRule | None, max_epochs: int, history: History,
                   first: int | None = None) -> StoppingRule:
    """All the rules that stop this call: the given ones, plus ``max_epochs`` counted on from a resumed ``history``
    (``first``: the epoch to count from instead, a backup's call start).

    ``max_epochs`` (checked by ``check_numbers``) always bounds this call's
    epochs, whatever else is asked, so :func:`train` never loops for ever.
    """
    rules = [r for r in (no_improvement, stopping) if r is not None]
    start = first if first is not None else (history.epoch[-1] if history.epoch else 0)
    rules.append(MaxEpochs(start + int(max_epochs)))
    return AnyOf(*rules)


def _resumed_optimizer(solver: str, flat: FlatParams, optimizer_kwargs: dict[str, Any],
                       optimizer_state: dict[str, Any] | None) -> Optimizer:
    """``solver``'s optimizer over ``flat``, its moments restored from ``optimizer_state`` when resuming a fit."""
    optimizer = make_optimizer(solver, flat, **optimizer_kwargs)
    if optimizer_state:
        optimizer.load_state(optimizer_state)
    return optimizer


@dataclass
class _Plan:
    """How each step of one :func:`train` call runs, fixed before its first epoch (built by :func:`_plan`).

    Held together so the epoch loop (:func:`_run_epochs`) takes one argument for
    the step machinery instead of a dozen.
    """

    flat: FlatParams
    optimizer: Optimizer
    stepper: DenseEngine | AutogradStep  # forward, loss, zeroed gradients, backward of one batch
    batches: Batches
    runner: GraphEpochs | None  # CUDA-graph replay of whole epochs, where it applies
    sync: GradientSync | None  # None in one process; else the gradient all-reduce of each step
    batch_cbs: list[Callback]  # the callbacks that read each batch
    l2: float  # the L2 strength the loop applies (see _l2_plan)
    fold_l2: bool  # whether the optimizer adds the L2 gradient in its own pass
    clip_grad_norm: float | None
    on_numpy: bool  # the NumPy engine: thread limits and the best-weights copy depend on it
    best: _BestWeights
    sw_total: float  # the rows, or the summed sample weights: what the epoch's loss is divided by
    n: int  # rows of X
    counted: int  # what an epoch adds to samples_seen: the rows of weight > 0 (as if the others were absent); all rows under DDP
    shuffle: bool  # shuffle, generator, device: the CUDA-graph runner's row order (_order)
    generator: torch.Generator | None
    device: torch.device
    averaging: WeightAveraging | None  # the run's EMA or SWA of the weights, or None
    steps: int = 0  # optimizer steps taken so far in this run (counted per step: Ctrl-C mid-epoch keeps the epoch's count)
    zero_rows: bool = False  # some sample weight is 0: each batch's rows of weight 0 are left out of its step (_weighted_rows)
    start_loss: float | None = None  # the mean loss of this run's first batch, before its step (the divergence rule's reference)
    head: tuple[Any, Any, Any] | None = None  # this epoch's first batch: (summed loss, |W|², rows or weights); None on CUDA-graph replay
    backup: BackupAndRestore | None = None  # the run's backup, written after each epoch that does not end it
    call_first: int | None = None  # a resumed run's last epoch before its call (None: the history's last, as it starts)
    epochs: dict[str, int | None] | None = None  # what of the run depends on max_epochs, for its backups (_backup.epochs_record)


def _plan(network: torch.nn.Module, X: Any, Y: Tensor, sample_weight: Tensor | None, *, loss: Loss, solver: str, alpha: float,
          batch_size: int, shuffle: bool, generator: torch.Generator | None, engine: str, optimizer_kwargs: dict[str, Any],
          optimizer_state: dict[str, Any] | None, clip_grad_norm: float | None, callbacks: Sequence[Callback], device: torch.device,
          precision: str, cuda_graphs: bool, sw_total: float, held: int | None, averaging: WeightAveraging | None = None) -> _Plan:
    """Build the step machinery: the optimizer over one flat parameter buffer, the step function, the batches.

    The arguments are :func:`train`'s; ``held``: the epoch of the weights the run begins with (:func:`held_at_start`). The L2 and CUDA-graph choices depend on
    one another (see :func:`_l2_plan`, :func:`_graph_runner`), hence one place.
    """
    batch_size = min(int(batch_size), X.shape[0])  # a batch larger than the data is the whole data
    flat = FlatParams(network)
    optimizer = _resumed_optimizer(solver, flat, optimizer_kwargs, optimizer_state)
    batch_cbs = [cb for cb in callbacks if _overrides(cb, "on_batch_end")]
    sync = gradient_sync()
    l2, fold_l2 = _l2_plan(solver, alpha, optimizer, clip_grad_norm, batch_cbs, sync)
    stepper = make_step(network, loss, flat, 0.0 if fold_l2 else l2, engine, low=compute_dtype(precision))
    on_numpy = isinstance(stepper.convert(flat.data[:1]), np.ndarray)
    batches = Batches(X, Y, sample_weight, batch_size, shuffle=shuffle, generator=generator, convert=stepper.convert,
                      numpy_engine=on_numpy, device=device, dtype=flat.data.dtype, skip_unweighted=sync is None,
                      min_rows=min_batch_rows(network))
    # the graphs replay a fixed number of steps per epoch: not for data with batches of zero weight, which are skipped,
    # nor with an EMA, which updates after every step
    graphs = cuda_graphs and not batches.some_zero and (averaging is None or averaging.kind != "ema")
    runner = _graph_runner(stepper, optimizer, flat, X, Y, sample_weight, batch_size, clip_grad_norm, enabled=graphs,
                           device=device, batch_cbs=batch_cbs, fold_l2=fold_l2, sync=sync, l2=l2)
    if sync is not None:
        sync.check_steps(len(batches))  # every rank must take the same number of steps, or all-reduce hangs
    n = X.shape[0]
    if averaging is not None:
        averaging.begin(flat, network, X, batch_size)
    zero_rows = sample_weight is not None and bool((sample_weight == 0).any())  # (the CUDA graphs are off then: some_zero, or DDP)
    return _Plan(flat=flat, optimizer=optimizer, stepper=stepper, batches=batches, runner=runner, sync=sync, batch_cbs=batch_cbs,
                 l2=l2, fold_l2=fold_l2, clip_grad_norm=clip_grad_norm, on_numpy=on_numpy, zero_rows=zero_rows,
                 best=_BestWeights(flat, on_numpy, optimizer, optimizer_state, held),
                 sw_total=sw_total, n=n, counted=_counted_rows(n, sample_weight, sync), shuffle=shuffle, generator=generator, device=device, averaging=averaging)


def _counted_rows(n: int, sample_weight: Tensor | None, sync: Any) -> int:
    """The rows of ``n`` an epoch counts in ``samples_seen`` (``t_``, which ``invscaling`` reads): those of weight > 0.

    A row of weight 0 is as if absent, as the estimators' in-memory fit drops it before training: a streamed chunk's
    rows of weight 0 (kept so that one process and the ranks take the same batches) are not counted either. Under
    ``torch.distributed`` every row counts, as there the in-memory fit keeps them too: each rank's count is its own,
    and a rank-dependent count would give the ranks different ``invscaling`` rates.
    """
    if sample_weight is None or sync is not None:
        return n
    return int((sample_weight > 0).sum())


def _weighted_rows(xb: Any, yb: Any, wb: Any) -> tuple[Any, Any, Any]:
    """A batch without its rows of sample weight 0, which are as if absent: the loss gave them no share, but batch norm's
    batch statistics (and running ones) counted them. Unchanged when none weighs 0, or fewer than 2 rows weigh more (under
    DDP a rank's batch of weight 0 still steps with the others, adding nothing; batch norm cannot take one row in training:
    there the zero rows stay, as they did, while without batch norm they change nothing either way). NumPy arrays or tensors alike."""
    keep = wb > 0
    if bool(keep.all()) or int(keep.sum()) < 2:
        return xb, yb, wb
    return xb[keep], yb[keep], wb[keep]


def _eager_epoch(plan: _Plan, network: torch.nn.Module, history: History, state: TrainState, lr: float) -> tuple[Any, Any]:
    """One epoch's steps, eagerly (``plan.steps`` counts them): ``(total, l2_sum)``, the epoch's summed (weighted) loss and ``|W|²``
    summed before each step (scikit-learn's per-batch penalty), floats (NumPy engine) or 0-d tensors."""
    stepper, optimizer, flat, sync, l2, averaging = plan.stepper, plan.optimizer, plan.flat, plan.sync, plan.l2, plan.averaging
    total: Any = 0.0  # read once per epoch
    l2_sum: Any = 0.0
    plan.head = None
    for xb, yb, wb in plan.batches:
        if plan.zero_rows:
            xb, yb, wb = _weighted_rows(xb, yb, wb)
        before = flat.l2() if l2 else 0.0  # the weights this batch's loss is computed with
        batch_loss = stepper.step(xb, yb, wb)  # forward, loss, zeroed gradients, backward
        if plan.start_loss is None:  # the run's first batch: its loss and L2 penalty at the starting weights (one read per run)
            weight = _batch_weight(xb, wb)  # the penalty as _epoch_loss counts it: alpha/Σw can dwarf the data loss (tiny weights)
            plan.start_loss = (float(batch_loss) + (0.5 * l2 * float(before) if l2 else 0.0)) / weight if weight > 0 else math.nan
        total = total + batch_loss
        if plan.head is None:  # this epoch's first batch: its loss at the weights the epoch began with, read only on a divergence
            plan.head = (total, before, xb.shape[0] if wb is None else wb)
        # DDP: the gradient averaged over the ranks (weighted by each rank's batch weight); no step where no rank's rows weigh anything
        if sync is not None:
            stepping = sync(flat.grad, None if wb is None else wb.sum())
            if sync.stop_agreed:  # a rank's Ctrl-C (agreed_interrupts), known to every rank at this step: all stop here
                raise KeyboardInterrupt
            if not stepping:
                continue
        if l2:
            l2_sum = l2_sum + before
        if plan.clip_grad_norm:
            clip_grad_norm_(flat, plan.clip_grad_norm)
        if plan.fold_l2:
            optimizer.step(lr, l2=l2 / _batch_weight(xb, wb))
        else:
            optimizer.step(lr)
        if averaging is not None:
            averaging.after_step()  # an EMA's update; nothing for SWA
        plan.steps += 1
        for cb in plan.batch_cbs:
            cb.on_batch_end(network=network, history=history, state=state, batch_loss=total)
    return total, l2_sum


def _head_loss(plan: _Plan) -> float | None:
    """The mean loss, L2 penalty included (as ``start_loss`` counts it), of this epoch's first batch, at the weights the
    epoch began with; None where unknown (CUDA-graph replay). Under DDP the ranks' values are averaged (every rank calls
    this at the same point, as each rank sees the same divergence); a batch of weight 0 counts as 0."""
    if plan.head is None:
        return None
    summed, before, rows = plan.head
    weight = rows if isinstance(rows, int) else float(rows.sum())
    value = (float(summed) + (0.5 * plan.l2 * float(before) if plan.l2 else 0.0)) / weight if weight > 0 else 0.0
    return plan.sync.agree(value)[0] if plan.sync is not None else value


def _check_best(plan: _Plan, epoch: int, start_loss: float | None) -> None:
    """On a divergence at ``epoch``: when the best weights are those the epoch began with (the best is the epoch before,
    not an average) and its first batch's loss at them has diverged too, they are no fit: keep the best before them
    (:meth:`_BestWeights.fall_back`; a fresh fit's untrained start, which the estimators refuse as no usable epoch)."""
    best = plan.best
    if best.epoch != epoch - 1 or not best.saved or plan.averaging is not None:
        return
    head = _head_loss(plan)
    if head is not None and has_diverged(head, start_loss):
        best.fall_back()


def _note_start_loss(history: History, plan: _Plan, fresh: bool) -> None:
    """After a history's first epoch, keep its first batch's loss as ``history.start_loss`` (the divergence rule's reference).

    Under DDP the ranks' values are averaged, so every rank judges divergence alike (a rank whose first
    batch weighed nothing gives NaN, which leaves the rule to finiteness alone). A resumed history keeps the start
    it has; one from before it was kept (None) gets none, as its first batch is no untrained network's.
    """
    if not fresh or history.start_loss is not None or plan.start_loss is None:
        return
    start = plan.start_loss
    if plan.sync is not None:
        start = plan.sync.agree(start)[0]
    history.start_loss = float(start)


def _run_epochs(plan: _Plan, network: torch.nn.Module, callbacks: Sequence[Callback], history: History, state: TrainState, *,
                schedule: Schedule, rule: StoppingRule, monitors: list[NoImprovement], validate: Validator | None,
                samples_seen: int, precision: str, reason: str | None = None) -> tuple[str | None, int, int, int]:
    """The fit loop, written out: each epoch's steps, then its bookkeeping and stopping checks.

    Runs until a stopping rule, a callback, a non-finite loss or Ctrl-C stops
    it, under :func:`thread_limits` and the ``precision`` scope. A resumed
    ``history``'s epochs and clock run on. ``reason``: why the run ends before
    its first epoch (:func:`_past_end`), or None. Returns ``(reason, last epoch,
    steps taken, samples_seen)``.
    """
    flat, batches, runner, sync, averaging = plan.flat, plan.batches, plan.runner, plan.sync, plan.averaging
    t0 = time.perf_counter() - (history.time[-1] if history.time else 0.0)
    epoch = first = history.epoch[-1] if history.epoch else 0
    first = first if plan.call_first is None else plan.call_first  # a resumed run counts its call's epochs from the broken run's start
    state.resumed_epochs = epoch - first  # 0 unless resumed: the epochs of this call the backup holds (a progress bar starts there)
    try:
        for cb in callbacks:
            cb.on_train_begin(network=network, history=history, state=state)
    except KeyboardInterrupt:  # Ctrl-C before the first step: as in a step, the run ends with the weights it began with
        reason = "interrupted"

    if plan.call_first is None:  # (a resumed run's best is the backup's)
        plan.best.settle(samples_seen, schedule, monitors)  # "best" before any improvement: the run's start
    sample = batches.X[:1] if batches.dense else None
    fresh = not history.epoch  # a history's first run: its first batch's loss becomes history.start_loss
    # a diverging NumPy step overflows: the loop's own check reports that (one DivergedWarning), not NumPy's RuntimeWarnings
    with thread_limits(network, batches.batch_size, plan.device, numpy_engine=plan.on_numpy, sample=sample), precision_scope(precision), \
            np.errstate(over="ignore", invalid="ignore"):
        try:
            while not reason:
                epoch += 1
                state.epoch = epoch
                network.train()
                for cb in callbacks:
                    cb.on_epoch_begin(network=network, history=history, state=state, epoch=epoch)
                plan.best.before_steps()  # the best epoch's optimizer state, before this epoch's steps change it
                if runner is not None:  # CUDA graphs replay the epoch's steps: the same updates as _eager_epoch's
                    plan.head = None  # no batch's loss of its own: the best's weights are not checked (_check_best)
                    total, l2_sum = runner.run_epoch(_order(plan.n, plan.shuffle, plan.generator, plan.device), schedule.lr)
                    plan.steps += len(batches)
                    plan.start_loss = runner.first_loss if plan.start_loss is None else plan.start_loss
                else:
                    total, l2_sum = _eager_epoch(plan, network, history, state, schedule.lr)
                _note_start_loss(history, plan, fresh)
                samples_seen += plan.counted
                weighted_sync = plan.sync if plan.sync is not None and plan.batches.W is not None else None
                train_loss = _epoch_loss(total, plan.sw_total, l2_sum, plan.l2, weighted_sync)
                if averaging is not None:
                    averaging.after_epoch(epoch - first)
                with averaging.swapped() if averaging is not None else nullcontext():  # validation scores the averaged weights
                    logs = _record_epoch(history, epoch, train_loss, validate, schedule.lr, t0, sync, loss_agreed=weighted_sync is not None)
                if has_diverged(train_loss, history.start_loss):  # NaN/inf, or a finite explosion (_divergence)
                    reason = "diverged"
                    _check_best(plan, epoch, history.start_loss)
                    break
                improved = _improved(monitors, history, logs)
                if improved:
                    plan.best.save(epoch, averaging.weights() if averaging is not None else None)
                    history.best_epoch = epoch
                # 'plateau' counts the epochs the no-improvement rule counts (no progress by its tol): judged by a bare
                # decrease, a loss that creeps down by less than tol never cut the rate before that rule stopped the fit
                schedule.epoch_end(epoch, samples_seen, monitors[0].count == 0 if monitors else improved)
                if improved:
                    plan.best.settle(samples_seen, schedule, monitors)
                logs["lr"] = schedule.lr
                for cb in callbacks:
                    cb.on_epoch_end(network=network, history=history, state=state, logs=logs, flat=flat)
                reason = _stop_reason(state, rule, history, schedule, monitors)
                if improved:  # an 'adaptive' cut the stall rule made after this best epoch goes with it
                    plan.best.settle(samples_seen, schedule, monitors)
                if plan.backup is not None and not reason:  # the state the next epoch starts from (a last epoch's is never resumed)
                    plan.backup.write(loop_record(plan, network, history, schedule, monitors, samples_seen=samples_seen, first=first))
        except KeyboardInterrupt:
            reason = "interrupted"
    return reason, epoch, plan.steps, samples_seen


_TRAIN_PARAMETERS = """
Parameters
----------
network : torch.nn.Module
    The module whose parameters are trained (a plain dense :class:`~hiddenlayers.network.Network` gets the
    hand-written engine, others autograd).
X : torch.Tensor or scipy.sparse matrix of shape (n, in_features)
    The inputs (a sparse matrix is kept sparse by the CPU dense engine, else densified per batch).
Y : torch.Tensor of shape (n, n_outputs)
    The targets in the loss's form.
loss : Loss or str
    A ``Loss`` from ``get_loss``, or its name (``"log_loss"``, ``"squared_error"``, ...).
solver : str
    One of ``SOLVERS`` (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"lbfgs"``).
learning_rate_init : float
    The optimizer's step size (before ``schedule``).
schedule : Schedule, optional
    How the step size changes over epochs (default: constant).
batch_size : int
    Rows per step (capped at n).
max_epochs : int
    The most epochs of this call, counted on from a resumed ``history`` (or a backup's: may differ,
    ``check_epochs``).
shuffle : bool
    Draw each epoch's row order from ``generator``.
sample_weight : torch.Tensor of shape (n,), optional
    A batch's loss is its weighted mean, and a batch of weight 0 makes no step (no update, no L2 term, no share of
    the epoch's loss; its rows still count as seen), other rows of weight 0 none.
alpha : float
    L2 strength, as scikit-learn's ``alpha``; ``solver="adamw"`` takes it as its weight decay unless
    ``optimizer_kwargs`` sets ``weight_decay``.
validate : callable, optional
    Returns ``(val_loss, val_score)``; called after every epoch.
stopping : StoppingRule, optional
    The stopping rules (``MaxEpochs``, ``LossBelow``, ``TimeLimit``, ...); a ``NoImprovement`` inside is fed every
    epoch too (the first one takes the ``no_improvement`` role when that is None). Rules start over unless
    ``history`` resumes a fit.
no_improvement : NoImprovement, optional
    The rule whose counter also drives "best weights" and the ``adaptive``/``plateau`` schedules.
callbacks : sequence of Callback
    Get every hook (a :class:`~._backup.BackupAndRestore` backs the run up, resumes it).
clip_grad_norm : float, optional
    Cap on the gradient's global norm.
generator : torch.Generator, optional
    The random source of the shuffles.
engine : {"auto", "dense", "autograd"}
    ``"auto"``: the hand-written engine for a plain dense Network, else autograd.
optimizer_kwargs : dict, optional
    The solver's other settings (``momentum``, ``betas``, ``weight_decay``, ...).
optimizer_state : dict, optional
    A saved optimizer state to resume from.
history : History, optional
    The history of the fit this call goes on from (with ``samples_seen``).
restore_best : bool
    Put back the best epoch's weights at the end.
samples_seen : int
    Rows seen so far by the fit this call resumes (an epoch adds its rows of weight > 0: :func:`_counted_rows`).
device : torch.device, optional
    Where training runs (default: ``Y``'s).
warn_if_diverged_at_start : bool
    False silences the :class:`DivergedWarning` of a divergence before any good epoch (the starting weights are
    restored either way) for a caller that raises its own error then, as the estimators do.
precision : {"fp32", "tf32", "bf16"}
    The compute precision (``"tf32"``/``"bf16"``: CUDA only; see ``_precision``).
cuda_graphs : bool
    Replay the dense engine's full batches as CUDA graphs on a GPU where nothing reads per-batch values (no batch
    callbacks); False keeps every step eager.
averaging : WeightAveraging, optional
    A :class:`~._averaging.WeightAveraging` (EMA, SWA): ``validate``, the best epoch and the network at the end get
    its averaged weights; steps, callbacks and ``history.train_loss`` the raw ones; an SWA with ``swa_lr`` sets its
    epochs' rates itself (SWALR's annealing).
diverged_fix : str
    The remedy the divergence warning names after the step size.
"""


@parameters_section(_TRAIN_PARAMETERS)
def train(
    network: torch.nn.Module, X: Tensor | sp.spmatrix, Y: Tensor, *, loss: Loss | str, solver: str = "adam", learning_rate_init: float = 1e-3,
    schedule: Schedule | None = None, batch_size: int = 200, max_epochs: int = 200, shuffle: bool = True, sample_weight: Tensor | None = None,
    alpha: float = 0.0, validate: Validator | None = None, stopping: StoppingRule | None = None, no_improvement: NoImprovement | None = None,
    callbacks: Sequence[Callback] = (), clip_grad_norm: float | None = None, generator: torch.Generator | None = None, engine: str = "auto",
    optimizer_kwargs: dict[str, Any] | None = None, optimizer_state: dict[str, Any] | None = None, history: History | None = None,
    restore_best: bool = False, samples_seen: int = 0, device: torch.device | None = None, warn_if_diverged_at_start: bool = True,
    precision: str = "fp32", cuda_graphs: bool = True, averaging: WeightAveraging | None = None, diverged_fix: str = CLIP_FIX,
) -> TrainResult:
    """Train ``network`` on ``(X, Y)`` in place and return its history.

    Every input is checked before the first step, so a call that raises changes no weight and no ``history``. NumPy
    ``X``/``Y``/``sample_weight`` become tensors of the network's dtype. Under ``torchrun`` (a process group is up) each
    step's gradient is all-reduced (``_distributed``). After Ctrl-C the best weights (with ``restore_best``) come back
    with the optimizer state, ``samples_seen``, ``schedule``'s state (rate, stalled epochs) and the no-improvement rules'
    best and count of that epoch (or of the start, before any improvement); after a divergence ``samples_seen``, the
    rules' best and count and the schedule's stalled epochs go back with the weights restored, and the rate stays the
    diverged epoch's. ``history`` keeps every epoch run, undone ones included.
    """
    # -- checks, all before the first step, so a bad call changes nothing (_inputs)
    device, precision = _device_and_precision(network, Y, device, precision)
    callbacks = check_callbacks(callbacks)
    loss = get_loss(loss) if isinstance(loss, str) else loss
    solver = check_solver(solver)
    check_numbers(batch_size=batch_size, learning_rate_init=learning_rate_init, alpha=alpha, max_epochs=max_epochs, clip_grad_norm=clip_grad_norm)
    opt_kwargs = _optimizer_kwargs(solver, optimizer_kwargs, alpha)
    X, Y, sample_weight, sw_total = _checked_data(network, X, Y, sample_weight, loss, device)
    monitors = check_rules(stopping, no_improvement, validate)

    # -- setup: schedule and stopping rules; then the step machinery (_plan)
    schedule = schedule or Schedule("constant", learning_rate_init, max_epochs=max_epochs)
    schedule = averaging.schedule(schedule) if averaging is not None else schedule  # an SWA's swa_lr takes over at its first epoch
    history = _start_history(history, stopping, no_improvement)
    plan = _plan(network, X, Y, sample_weight, loss=loss, solver=solver, alpha=alpha, batch_size=batch_size, shuffle=shuffle,
                 generator=generator, engine=engine, optimizer_kwargs=opt_kwargs, optimizer_state=optimizer_state,
                 clip_grad_norm=clip_grad_norm, callbacks=callbacks, device=device, precision=precision, cuda_graphs=cuda_graphs,
                 sw_total=sw_total, held=held_at_start(history), averaging=averaging)
    samples_seen = _resumed(plan, callbacks, network, X, Y, sample_weight, history, schedule, monitors, samples_seen, int(max_epochs))
    rule = _stopping_rule(no_improvement, stopping, int(max_epochs), history, plan.call_first)
    state = TrainState(averaging=averaging)  # a callback scores the averaged weights within state.averaging.swapped()

    # -- the loop: forward, loss, backward, step; then the epoch's bookkeeping and stopping checks
    reason, epoch, steps, samples_seen = _run_epochs(plan, network, callbacks, history, state, schedule=schedule, rule=rule, monitors=monitors, validate=validate,
                                                     samples_seen=samples_seen, precision=precision, reason=_past_end(plan, history, int(max_epochs)))

    # -- finish: best weights back where asked, stop reason recorded, callbacks told
    return _end_run(reason, plan, network, history, state, callbacks, schedule, epoch=epoch, steps=steps, samples_seen=samples_seen,
                    restore_best=restore_best, warn_at_start=warn_if_diverged_at_start, learning_rate_init=learning_rate_init, fix=diverged_fix)


def _resumed(plan: _Plan, callbacks: list[Callback], network: torch.nn.Module, X: Any, Y: Tensor, sample_weight: Tensor | None,
             history: History, schedule: Schedule, monitors: list[NoImprovement], samples_seen: int, max_epochs: int) -> int:
    """Give ``plan`` the run's :class:`BackupAndRestore` (if any) and put its backup back (the broken run's state, before the
    first step): the samples seen to go on from. A backup of another network or other rows (:func:`~._backup.loop_identity`),
    or one whose epochs depended on a ``max_epochs`` other than this one (a cosine cycle, SWA's start: ``check_epochs``),
    is refused first: the weights and ``history`` are as they came."""
    plan.backup = backup = backup_of(callbacks)
    plan.epochs = epochs_record(max_epochs, schedule, plan.averaging)
    record = backup.resume_record(loop_identity(network, X, Y, sample_weight), plan.epochs) if backup is not None else None
    if record is None:
        return samples_seen
    plan.call_first, samples_seen = resume_loop(record, plan, network, history, schedule, monitors)
    return samples_seen


def _past_end(plan: _Plan, history: History, max_epochs: int) -> str | None:
    """``"max_epochs"`` when a resumed run's backup holds ``max_epochs`` epochs of its call already (resumed with fewer than
    the broken run's), else None. Such a run ends before any step, as the run that reaches that epoch ends: the backup's
    weights (or the best epoch's, with ``restore_best``; the average, with weight averaging) and all its epochs, none undone."""
    if plan.call_first is None or not history.epoch:
        return None
    return "max_epochs" if history.epoch[-1] - plan.call_first >= max_epochs else None


def _end_run(reason: str | None, plan: _Plan, network: torch.nn.Module, history: History, state: TrainState, callbacks: Sequence[Callback],
             schedule: Schedule, *, epoch: int, steps: int, samples_seen: int, restore_best: bool, warn_at_start: bool,
             learning_rate_init: float, fix: str = CLIP_FIX) -> TrainResult:
    """:func:`train`'s finish and result: the best weights back where asked (:func:`_restore`, with its warning), the
    samples seen, schedule and rules that go with them (:func:`_rewound`), then the stop reason and ``on_train_end`` (:func:`_finish`)."""
    _restore(reason, plan.best, history, restore_best=restore_best, warn_at_start=warn_at_start,
             learning_rate_init=learning_rate_init, epoch=epoch, fix=fix)
    if plan.averaging is not None:  # the averaged weights, unless _restore put the best epoch's (averaged too) or the start's back
        plan.averaging.finish(put=not (reason in ("diverged", "interrupted") or (restore_best and history.best_epoch)))
    samples_seen = _rewound(reason, plan.best, schedule, samples_seen)
    _finish(reason, network, history, state, callbacks, plan.flat, plan.optimizer)
    return TrainResult(history=history, optimizer=plan.optimizer, samples_seen=samples_seen, steps=steps)


def _rewound(reason: str | None, best: Any, schedule: Schedule, samples_seen: int) -> int:
    """The samples seen after this call, which go back with the weights restored after Ctrl-C or a divergence.

    The no-improvement rules (best, count) go back too, so an undone epoch is no epoch without
    progress; on Ctrl-C ``schedule``'s state (rate, stalled epochs) with the optimizer state kept.
    After a divergence only plateau's stalled epochs go back: the rate stays the diverged epoch's
    (the estimators' rule: the moments are dropped and the next call goes on at that rate).
    """
    if reason not in ("interrupted", "diverged"):
        return samples_seen
    best.rewind_rules()
    kept = best.schedule_state if reason == "interrupted" else {"stalled": best.schedule_state.get("stalled", schedule.stalled)}
    schedule.load_state(kept)
    return int(best.samples_seen)


def _device_and_precision(network: torch.nn.Module, Y: Any, device: torch.device | None, precision: str) -> tuple[torch.device, str]:
    """Where training runs (the given ``device``, else ``Y``'s, else the network's) and ``precision`` checked for it."""
    param = next(network.parameters())
    device = device or (Y.device if isinstance(Y, Tensor) else param.device)
    return device, check_precision(precision, device, param.dtype)


def _start_history(history: History | None, stopping: StoppingRule | None, no_improvement: NoImprovement | None) -> History:
    """The history this call appends to: the resumed one, which carries on, or a fresh one.

    A fresh run resets the rules, so rules reused from an earlier call start over.
    """
    if history is not None:
        return history
    for r in (stopping, no_improvement):
        if r is not None:
            r.reset()
    return History()


def _optimizer_kwargs(solver: str, optimizer_kwargs: dict[str, Any] | None, alpha: float) -> dict[str, Any]:
    """The checked ``optimizer_kwargs``; for AdamW, ``alpha`` is its decoupled weight decay unless they set one (as the estimators do)."""
    kwargs = check_optimizer_kwargs(solver, optimizer_kwargs)
    if solver == "adamw" and alpha and "weight_decay" not in kwargs:
        kwargs["weight_decay"] = float(alpha)
    return kwargs


def _checked_data(network: torch.nn.Module, X: Any, Y: Any, sample_weight: Any, loss: Loss,
                  device: torch.device) -> tuple[Any, Tensor, Tensor | None, float]:
    """``(X, Y, sample_weight, weight total)`` as tensors, checked against each other and the network.

    NumPy arrays become tensors of the network's dtype on ``device``; the total
    is the rows, or the summed weights (what the epoch's loss is divided by).
    """
    dtype = next(network.parameters()).dtype
    X = as_tensor("X", X, dtype, device, sparse_ok=True)
    Y = as_tensor("Y", Y, dtype, device)
    if sample_weight is not None:
        sample_weight = as_tensor("sample_weight", sample_weight, dtype, device)
    n = check_lengths(X, Y, sample_weight)
    check_shapes(network, X, Y, loss)
    check_finite(network, X, Y, loss)
    # under DDP one rank's share may weigh nothing (its batches add a zero gradient); the ranks' sum is what counts
    allow_zero = gradient_sync() is not None
    return X, Y, sample_weight, (check_weights(sample_weight, allow_zero=allow_zero) if sample_weight is not None else float(n))


__all__ = ["TrainResult", "Validator", "train"]
