"""Fitting the MLP estimators on a streamed table (:class:`hiddenlayers.data.ParquetSource`).

An epoch is one pass over the source's training units, chunk by chunk; each
chunk is one ``partial_fit`` (the same fit loop as in memory, the optimizer
state carried over). The epoch's loss is the row-weighted mean of the chunks'.
With ``early_stopping`` whole units are held out and scored after each epoch.
Under a ``torch.distributed`` process group each rank reads units
``rank::world`` and the fit loop all-reduces the gradients; every rank reads
the same number of rows, so every rank takes the same number of steps.
When ``$HIDDENLAYERS_CHECKPOINT`` names a file, the state is saved there after
each epoch and a new run resumes from it (``torchrun --max-restarts``).
A warm fit or ``partial_fit`` carries on the no-improvement rule from the best
loss (or held-out score) and the count of epochs without ``tol`` progress of
earlier calls, as the in-memory fit and scikit-learn's ``_no_improvement_count`` do:
a warm fit of a model that stopped for lack of progress stops after one more such epoch.
That rule counts epochs, never chunks: a chunk's own ``partial_fit`` starts its count
afresh, so it never fires. The learning-rate schedule is the epochs' too: every chunk of a
pass trains at one rate (its ``partial_fit`` at a constant rate), and after the pass the
in-memory fit's schedule (:func:`~._fit.schedule_at`) moves it, as it does after an epoch
on arrays: ``invscaling`` to ``lr0 / (t_ + 1) ** power_t`` with ``t_`` the samples seen
(scikit-learn's, per epoch), ``cosine`` one step along the call's cycle, ``plateau`` a
tenth after ``n_iter_no_change // 2`` epochs without progress, ``adaptive`` (``sgd``) a
fifth once ``n_iter_no_change`` epochs in a row missed ``tol`` (instead of stopping, down
to 1e-6). So a streamed fit takes, epoch by epoch, the rates of an in-memory fit on the
same rows, and ``partial_fit(source)`` calls (one pass each) those of in-memory
``partial_fit`` calls. A fit that runs ``max_iter`` epochs warns (``ConvergenceWarning``) as in memory.
Ctrl-C ends a streamed fit as it ends an in-memory one (one ``InterruptedWarning``,
``stop_reason_ == "interrupted"``, the unfinished epoch not recorded), keeping the best
epoch's weights with held-out units, else the last whole epoch's, with the optimizer
state (moments, step count), ``t_``, learning rate (plateau's stalled epochs too) and
no-improvement count they went with (one process only). A chunk whose loss turns NaN/inf ends the
fit the same way (one ``DivergedWarning``, ``stop_reason_ == "diverged"``), but with fresh moments and
the rate kept, as in memory; in a first fit's first pass, with no whole epoch to go back to, it raises
scikit-learn's ``ValueError``. ``best_loss_`` and ``best_validation_score_`` are the no-improvement
rule's, so they describe the weights kept. Each chunk trains at its pass's rate through a private
override (:func:`~._fit.at_pass_rate`): callbacks see the user's ``learning_rate`` and
``learning_rate_init``.
Callbacks (the user's, then the ``verbose`` lines and progress bar) see passes as epochs: the epoch
hooks run once per pass with the stream's history and state, ``on_batch_end`` at every batch of every
chunk, and ``state.stop_training`` stops the fit after the pass, as in memory (:class:`_PassHooks`).
``freeze="head_first"`` runs two such runs, the head alone then every layer at a tenth of the rate
(:func:`~._transfer.head_first_passes`).
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import is_classifier

from .._stacklevel import user_stacklevel
from ..data import read_ahead
from ..exceptions import DivergedWarning, InterruptedWarning
from ..training import STOP_REASONS, Callback, History, NoImprovement, TrainState, held_at_start, kept_weights, warn_interrupted
from ._checkpoint import checked_weights, read_checkpoint
from ._class_weight import balanced_from_counts
from ._fit import NON_FINITE, at_pass_rate, fit_callbacks, schedule_at, warn_not_converged
from ._transfer import head_first_passes

if TYPE_CHECKING:
    from ..data import ParquetSource
    from ._mlp_base import _BaseMLP

CHECKPOINT_ENV = "HIDDENLAYERS_CHECKPOINT"  # a file: written each epoch (rank 0), resumed from when present
CHUNK_BATCHES = 1024  # batches per partial_fit call: big enough that the call's set-up is noise


@dataclass
class _Stream:
    """What a streamed fit call reads, fixed before its first pass (``head_first``'s two phases share it)."""

    src: ParquetSource
    scan: Any
    kw: dict[str, Any]  # partial_fit's keywords: a classifier's classes
    val_units: list[int]  # held-out units (early stopping)
    shards: list[list[int]]  # each rank's training units
    batch: int  # this rank's batch
    limit: int  # rows per rank per epoch
    rank: int
    world: int


def fit_source(est: _BaseMLP, src: ParquetSource, incremental: bool) -> _BaseMLP:
    """``est.fit(src)`` (``max_iter`` epochs, early stopping on held-out units) or ``est.partial_fit(src)`` (one epoch).

    ``freeze="head_first"`` runs two such runs (:func:`~._transfer.head_first_passes`); its phase 1 keeps no
    checkpoint, so a restarted run trains phase 1 again and resumes phase 2 from its last epoch.
    """
    from ..training import distributed_world

    rank, world = distributed_world()
    scan = src.scan()
    classifier = is_classifier(est)
    _check_target(src, scan, classifier)
    fresh = _forget_if_fresh(est, incremental)
    val_units, shards, batch, limit = _plan(est, src, scan, incremental, world)
    stream = _Stream(src, scan, {"classes": scan.classes} if classifier else {}, val_units, shards, batch, limit, rank, world)
    ckpt = os.environ.get(CHECKPOINT_ENV) if not incremental else None
    with _balanced_from_scan(est, scan, incremental):
        if est.freeze != "head_first":
            return _passes(est, stream, incremental, fresh, est.learning_rate_init, ckpt)

        def phase(number: int, lr0: float) -> None:
            _passes(est, stream, incremental, fresh and number == 1, lr0, ckpt if number == 2 else None)

        head_first_passes(est, phase)
    return est


@contextlib.contextmanager
def _balanced_from_scan(est: _BaseMLP, scan: Any, incremental: bool) -> Iterator[None]:
    """Within: a streamed ``fit``'s ``class_weight="balanced"`` is the dict of the source's label counts (its statistics pass).

    Each chunk's ``partial_fit`` sees one chunk, so it could not balance (and refuses "balanced", as scikit-learn's
    does); the counts of the whole source give every chunk the weights an in-memory fit on all rows would.
    ``partial_fit(source)`` keeps the refusal, as in memory: its weights would change from call to call.
    """
    counts = scan.class_counts() if is_classifier(est) else None
    if getattr(est, "class_weight", None) != "balanced" or incremental or counts is None:
        yield
        return
    est._stream_class_weight = balanced_from_counts(counts)
    try:
        yield
    finally:
        est.__dict__.pop("_stream_class_weight", None)


def _passes(est: _BaseMLP, s: _Stream, incremental: bool, fresh: bool, lr0: float, ckpt: str | None) -> _BaseMLP:
    """One training run over the stream from rate ``lr0``: ``fit``'s up to ``max_iter`` passes, or ``partial_fit``'s one.

    ``fresh``: a new model (else the history, rules and schedule go on); ``ckpt``: the checkpoint file, or None. The callbacks'
    epoch hooks run once per pass (:class:`_PassHooks`), as the in-memory loop runs them once per epoch.
    """
    from ..training import save_checkpoint

    epochs = 1 if incremental else est.max_iter
    history = est.history_ if (not fresh and hasattr(est, "history_")) else History()
    no_imp, best_state = _no_improvement(est, bool(s.val_units), fresh)
    # the optimizer states of the weights Ctrl-C may go back to: references suffice, as training never writes into one
    best_opt = est._optimizer_state if best_state is not None else None
    rows_per_chunk = s.batch * CHUNK_BATCHES
    seed = _seed(est)
    target_epochs = len(history) + epochs
    saved = read_checkpoint(ckpt) if ckpt else None
    if saved is not None:  # a restarted run: set the estimator up on one chunk, then take the saved state
        with _one_epoch_settings(est, s.batch):
            X, y = next(s.src.chunks(s.shards[s.rank], rows=s.batch, limit=s.batch))
            est.partial_fit(X, y, **s.kw)
        history, best_state = _resume(est, saved, str(ckpt), no_imp)
        best_opt = est._optimizer_state  # the nearest kept: the checkpoint holds the best epoch's weights only (and t_, rate: the epoch's)
    first = target_epochs - epochs if not incremental else len(history) - len(history) % max(1, est.max_iter)
    schedule = _schedule(est, lr0, saved, fresh, len(history), first)
    hooks = _PassHooks.make(fit_callbacks(est, schedule, epochs), history)
    # t_, the schedule and the no-improvement count with the best weights
    best_at = (int(est.t_), schedule.state(), no_imp.count) if best_state is not None else None
    while len(history) < target_epochs:
        epoch = len(history) + 1
        order = None if not est.shuffle else seed + 1000 * epoch + s.rank
        start = {k: v.clone() for k, v in est.network_.state_dict().items()} if hasattr(est, "network_") and s.world == 1 else None
        start_opt, start_t = getattr(est, "_optimizer_state", None), getattr(est, "t_", 0)
        rate = schedule.lr  # every chunk of the pass trains at the epoch's rate
        hooks.begin_pass(epoch)
        with _one_epoch_settings(est, s.batch, hooks), at_pass_rate(est, rate):
            if hasattr(est, "network_"):
                est.history_ = History()  # the chunks' own records: scratch, the epoch's go to ``history``
            chunks = read_ahead(s.src.chunks(s.shards[s.rank], rows=rows_per_chunk, seed=order, limit=s.limit), depth=1)  # the next is read while one trains
            loss_sum, rows, stopped = _pass(est, chunks, s.kw, s.world)
        if stopped == "interrupted":
            _stop_interrupted(est, history, start, best_state, first=target_epochs - epochs)
            if best_at is not None or start is not None:  # (else a first fit's first pass: the last chunk's own)
                _go_back(est, schedule, no_imp, *((best_opt, best_at) if best_at is not None else (start_opt, (start_t, None, no_imp.count))))
            break
        if stopped == "diverged":  # moments dropped (non-finite), the rate kept: as in memory
            _stop_diverged(est, history, start, best_state, first=target_epochs - epochs, epoch=epoch)
            _go_back(est, schedule, no_imp, {}, best_at if best_at is not None else (start_t, None, no_imp.count), keep_rate=True)
            break
        train_loss, val_score = _record_pass(est, s, history, epoch, loss_sum, rows, rate)
        improved = no_imp.update(val_score if s.val_units else train_loss)
        if improved:
            history.best_epoch = epoch
            if s.val_units:
                best_state = {k: v.clone() for k, v in est.network_.state_dict().items()}
                best_opt = est._optimizer_state
        schedule.epoch_end(epoch, int(est.t_), improved)  # the epoch's schedule step, as in memory
        logs = {"epoch": epoch, "train_loss": train_loss, "val_loss": math.nan, "val_score": val_score, "lr": schedule.lr}
        hooks.end_pass(est.network_, logs)  # the epoch's callbacks, then the stopping checks, as in memory
        reason = _stop_reason(est, history, no_imp, schedule, incremental, hooks.state.stop_training)
        if improved and s.val_units:
            best_at = (int(est.t_), schedule.state(), no_imp.count)
        if ckpt:
            save_checkpoint(ckpt, _checkpoint(est, history, no_imp, schedule, best_state))
        if reason:
            history.stop_reason = reason
            break
    else:
        history.stop_reason = "partial_fit" if incremental else "max_epochs"
        if not incremental:
            warn_not_converged(est)
    _end_run(est, s, history, hooks, no_imp, best_state, incremental, before=target_epochs - epochs)
    return est


def _record_pass(est: _BaseMLP, s: _Stream, history: History, epoch: int, loss_sum: float, rows: float, rate: float) -> tuple[float, float]:
    """Record pass ``epoch`` in ``history``: ``(train_loss, val_score)``, the loss agreed by every rank, the held-out units scored (else NaN)."""
    from ..training import reduce_sum

    loss_sum, rows = reduce_sum([loss_sum, rows])  # agreed by every rank
    train_loss = loss_sum / rows
    val_score = _stream_score(est, s.src, s.val_units) if s.val_units else math.nan
    _record(history, epoch, train_loss, val_score, rate)
    return train_loss, val_score


def _end_run(est: _BaseMLP, s: _Stream, history: History, hooks: _PassHooks, no_imp: NoImprovement, best_state: dict[str, Any] | None,
             incremental: bool, before: int) -> None:
    """After a run's last pass: the best weights back (with held-out units), the held epoch, the fitted attributes, ``on_train_end``.

    ``before``: the epochs recorded before this call (``n_iter_`` counts the others).
    """
    if best_state is not None:
        est.network_.load_state_dict(best_state)
        est._cache_weights()
        history.held_epoch = history.best_epoch
    elif history.stop_reason not in ("interrupted", "diverged"):
        history.held_epoch = history.epoch[-1] if history.epoch else None
    _set_fitted(est, history, bool(s.val_units), len(history) - before, incremental, no_imp)
    est._no_improvement_count = no_imp.count  # the epochs' count, not the chunks' partial_fit calls'
    scan = s.scan
    est.preprocessing_ = {**scan.preprocessor.to_dict(), "target": s.src.target, "task": "classification" if is_classifier(est) else "regression"}
    history.stop_message = STOP_REASONS.get(history.stop_reason or "", "")
    hooks.end(est.network_)


class _PassHooks(Callback):
    """A streamed run's callbacks (the user's, then the verbose lines and progress bar), called as the in-memory loop calls them.

    The stream calls the epoch hooks once per pass, with its ``history`` and :class:`TrainState`
    (``state.epoch``: the pass; ``state.stop_training`` stops the fit after the pass) and, at the
    pass's end, ``logs`` (no ``flat``: each chunk's buffer is gone by then). Within a pass this relay
    is each chunk's ``partial_fit``'s only callback: at a chunk's start, once the network exists (a
    first fit builds it in its first chunk), it calls ``on_train_begin`` (the run's first chunk) and
    ``on_epoch_begin`` (the pass's first); :class:`_BatchHooks` passes on every batch's ``on_batch_end``
    (its ``batch_loss``: the pass's running sum, as in memory the epoch's). A chunk's run never calls the others' epoch hooks.
    """

    def __init__(self, callbacks: list[Callback], history: History) -> None:
        self.callbacks, self.history, self.state = callbacks, history, TrainState()
        self.batch_cbs = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        self.started = self.opening = False

    @staticmethod
    def make(callbacks: list[Callback], history: History) -> _PassHooks:
        """The relay for ``callbacks``; one that reads batches only when one of them does (else the chunks keep their fast paths)."""
        hooks = _PassHooks(callbacks, history)
        return _BatchHooks(callbacks, history) if hooks.batch_cbs else hooks

    def _call(self, hook: str, network: Any, **kwargs: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(network=network, history=self.history, state=self.state, **kwargs)

    def _open(self, network: Any) -> None:
        if not self.started:
            self.started = True
            self._call("on_train_begin", network)
        if self.opening:
            self.opening = False
            self._call("on_epoch_begin", network, epoch=self.state.epoch)

    def begin_pass(self, epoch: int) -> None:
        """Pass ``epoch`` is about to start: its first chunk calls ``on_epoch_begin``."""
        self.state.epoch, self.opening = epoch, True

    def on_train_begin(self, **kwargs: Any) -> None:  # a chunk's run starts
        self._open(kwargs["network"])

    def end_pass(self, network: Any, logs: dict[str, Any]) -> None:
        """The pass's ``on_epoch_end``, after its bookkeeping (``logs``: the epoch's numbers, ``lr`` the next pass's rate)."""
        self._call("on_epoch_end", network, logs=logs)

    def end(self, network: Any) -> None:
        """The run's ``on_train_end``, once its weights and ``stop_reason`` are final."""
        self.opening = False
        self._open(network)  # (a resumed run that had no pass left to train)
        self._call("on_train_end", network)


class _BatchHooks(_PassHooks):
    """:class:`_PassHooks` for callbacks that read batches: each chunk's batch reaches them, with the stream's history and state.

    ``batch_loss`` is the pass's running sum of the per-row losses (no L2 term), as the in-memory loop's is the
    epoch's: the chunks before this one (``done``) plus this chunk's own running sum (``last``), a float or 0-d tensor,
    never read back from the device here.
    """

    def __init__(self, callbacks: list[Callback], history: History) -> None:
        super().__init__(callbacks, history)
        self.done: Any = 0.0
        self.last: Any = 0.0

    def begin_pass(self, epoch: int) -> None:
        super().begin_pass(epoch)
        self.done = self.last = 0.0

    def on_train_begin(self, **kwargs: Any) -> None:  # a chunk's run starts: the last one's sum joins the pass's
        self.done, self.last = self.done + self.last, 0.0
        super().on_train_begin(**kwargs)

    def on_batch_end(self, **kwargs: Any) -> None:
        self.last = kwargs.get("batch_loss", 0.0)
        batch_loss = self.done + self.last
        for cb in self.batch_cbs:
            cb.on_batch_end(network=kwargs.get("network"), history=self.history, state=self.state, batch_loss=batch_loss)


def _stop_reason(est: _BaseMLP, history: History, no_imp: Any, schedule: Any, incremental: bool, asked: bool) -> str | None:
    """After an epoch: why the fit stops now, or None; the next epoch's (or call's) rate goes into the optimizer state.

    A callback's ``state.stop_training`` (``asked``) wins, as in memory; 'adaptive' takes a stall instead of
    stopping (its count starts over); a ``partial_fit`` stops early only when a callback asks.
    """
    if asked:
        est._optimizer_state = {**(est._optimizer_state or {}), **schedule.state()}
        return "callback"
    reason = no_imp(history)
    if reason and schedule.on_no_improvement():
        no_imp.count, reason = 0, None
    est._optimizer_state = {**(est._optimizer_state or {}), **schedule.state()}
    return None if incremental else reason


def _go_back(est: _BaseMLP, schedule: Any, no_imp: Any, kept: dict[str, Any] | None, at: tuple[int, dict[str, Any] | None, int],
             keep_rate: bool = False) -> None:
    """After Ctrl-C or a divergence: ``t_``, the schedule, the no-improvement count and the optimizer state that go with the weights kept.

    ``at``: ``(t_, schedule state, epochs without progress)`` of those weights (schedule None: the schedule's
    now, the pass's start); ``kept``: their optimizer state (None: the last chunk's own, in a first fit's first pass;
    ``{}`` after a divergence: fresh moments). ``keep_rate``: only plateau's stalled epochs go back, not the rate.
    """
    est.t_, no_imp.count = at[0], at[2]
    if at[1] is not None:
        schedule.load_state({"stalled": at[1]["stalled"]} if keep_rate else at[1])
    if kept is not None:
        est._optimizer_state = {**kept, **schedule.state()}


def _forget_if_fresh(est: _BaseMLP, incremental: bool) -> bool:
    """Whether this call starts a new model (no network yet, or a cold ``fit``); if so, forget the old one's network and labels."""
    fresh = not hasattr(est, "network_") or (not est.warm_start and not incremental)
    if fresh:
        for attr in ("network_", "classes_", "_label_binarizer"):
            if hasattr(est, attr):
                delattr(est, attr)
    return fresh


def _schedule(est: _BaseMLP, lr0: float, saved: dict[str, Any] | None, fresh: bool, done: int, first: int) -> Any:
    """The run's learning-rate schedule from ``lr0`` after ``done`` epochs (``first``: its cycle's first epoch), going on from a
    warm model's or a checkpoint's rate and plateau count; a fresh fit's stale optimizer state starts nothing."""
    carried = est._optimizer_state if (saved is not None or not fresh) else None
    schedule = schedule_at(est, lr0, done=done, first_epoch=first, carried=carried)
    if saved is not None and len(saved["no_improvement"]) > 2:
        schedule.stalled = int(saved["no_improvement"][2])  # plateau's epochs without progress
    return schedule


def _check_target(src: ParquetSource, scan: Any, classifier: bool) -> None:
    """The source's target suits the estimator: at most 1000 labels for a classifier, numbers for a regressor."""
    if classifier and scan.classes is None:
        raise ValueError(f"the target {src.target!r} has more than 1000 distinct values: use MLPRegressor for a numeric target.")
    if not classifier and not scan.target_numeric:
        raise ValueError(f"the target {src.target!r} is not numeric: use MLPClassifier for labels.")


def _resume(est: _BaseMLP, saved: dict[str, Any], path: str, no_imp: Any) -> tuple[History, Any]:
    """Put a checkpoint's network, optimizer, samples seen and no-improvement count into ``est``: ``(history, best weights)``."""
    est.network_.load_state_dict(checked_weights(est.network_, saved["network"], path))
    est._optimizer_state, est.t_ = saved["optimizer"], int(saved["t"])
    no_imp.best, no_imp.count = float(saved["no_improvement"][0]), int(saved["no_improvement"][1])
    est._cache_weights()
    return History.from_dict(saved["history"]), saved["best"]


def _checkpoint(est: _BaseMLP, history: History, no_imp: Any, schedule: Any, best_state: Any) -> dict[str, Any]:
    """What an epoch's checkpoint holds, so a restarted worker goes on from this epoch (plateau's stalled count included)."""
    return {
        "network": est.network_.state_dict(), "optimizer": est._optimizer_state, "t": int(est.t_),
        "history": history.to_dict(), "no_improvement": [float(no_imp.best), int(no_imp.count), int(schedule.stalled)], "best": best_state,
    }


def _pass(est: _BaseMLP, chunks: Iterator[tuple[np.ndarray, np.ndarray]], kw: dict[str, Any], world: int) -> tuple[float, float, str | None]:
    """One pass's chunks, a ``partial_fit`` each: ``(row-weighted loss sum, rows, "interrupted", "diverged" or None)``.

    A chunk's Ctrl-C or divergence (its weights back at its start) ends the pass, as it ends an
    in-memory fit; under ``torchrun`` every rank must take the same steps, so there a Ctrl-C's
    pass goes on (each chunk warns on its own), while a divergence, whose loss the ranks agree on
    (``GradientSync.agree``), ends every rank's pass at the same chunk.
    """
    loss_sum = rows = 0.0
    for X, y in chunks:
        if hasattr(est, "network_"):  # a chunk is no epoch: its own stall count starts afresh and never fires
            est._no_improvement_count, est.best_loss_ = 0, np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergedWarning)  # the streamed fit warns once, naming the weights it keeps
            if world == 1:
                warnings.simplefilter("ignore", InterruptedWarning)
            est.partial_fit(X, y, **kw)
        stopped = est.history_.stop_reason if est.history_.stop_reason in ("interrupted", "diverged") else None
        if stopped and (world == 1 or stopped == "diverged"):
            getattr(chunks, "close", lambda: None)()  # read_ahead's reader stops now, not when collected
            return loss_sum, rows, stopped
        loss_sum += float(est.loss_) * len(y)
        rows += len(y)
    return loss_sum, rows, None


def _stop_interrupted(est: _BaseMLP, history: History, start: dict[str, Any] | None, best_state: dict[str, Any] | None, first: int) -> None:
    """End a streamed fit on Ctrl-C, with one :class:`InterruptedWarning` naming the weights kept.

    With held-out units the best epoch's (loaded by the caller); else those at the start of the
    unfinished pass, i.e. the last whole epoch's (or the model's before this call); in a first fit's
    first pass, which has no start to go back to, the last whole chunk's. ``first``: epochs before this call.
    """
    history.stop_reason = "interrupted"
    where = _go_back_weights(est, history, start, best_state, first) if best_state is not None or start is not None else "the last whole chunk of epoch 1"
    warn_interrupted(where)


def _go_back_weights(est: _BaseMLP, history: History, start: dict[str, Any] | None, best_state: dict[str, Any] | None, first: int) -> str:
    """After Ctrl-C or a divergence: load ``start`` unless there are best weights (loaded by the caller); name the weights kept.

    Records their epoch in ``history.held_epoch``. Those of an earlier call (a warm call that has not improved, or whose first
    pass stopped) are named as the weights this call began with: ``history.best_epoch`` may be another epoch's.
    """
    if best_state is not None:
        held = history.best_epoch
        this_run = held is not None and held > first
    else:
        assert start is not None
        est.network_.load_state_dict(start)
        est._cache_weights()
        this_run = len(history) > first
        held = len(history) if this_run else held_at_start(history)  # no epoch of this call recorded: the start's
    history.held_epoch = held
    return kept_weights(held, this_run)


def _stop_diverged(est: _BaseMLP, history: History, start: dict[str, Any] | None, best_state: dict[str, Any] | None, first: int,
                   epoch: int) -> None:
    """End a streamed fit whose pass ``epoch`` diverged (a chunk's loss NaN/inf), with one :class:`DivergedWarning`.

    The weights go back as after Ctrl-C (the best epoch's with held-out units, loaded by the caller; else the
    last whole epoch's, or the model's before this call). A first fit's first pass has no whole epoch to
    fall back on: scikit-learn's ``ValueError``, as in memory before any good epoch (the model stays unfitted).
    """
    if best_state is None and start is None:
        raise ValueError(NON_FINITE)
    where = _go_back_weights(est, history, start, best_state, first)
    history.stop_reason = "diverged"
    loss = est.history_.train_loss[-1] if est.history_.train_loss else math.nan  # the diverged chunk's
    warnings.warn(
        f"training diverged at epoch {epoch}: the loss became {loss}; restored the weights of {where}. "
        f"Lower learning_rate_init (now {est.learning_rate_init}), scale the inputs, or set clip_grad_norm.",
        DivergedWarning,
        stacklevel=user_stacklevel(),  # the caller of est.fit(source), on every path
    )


def _no_improvement(est: _BaseMLP, held_out: bool, fresh: bool) -> tuple[NoImprovement, dict[str, Any] | None]:
    """The epochs' no-improvement rule (on the held-out score, or the training loss) and the best weights so far.

    A warm call carries on from earlier calls' best and stalled epochs, as the
    in-memory fit does (scikit-learn's); with held-out units every call ended on
    its best weights, so those are the model's weights now.
    """
    no_imp = NoImprovement("val_score" if held_out else "train_loss", est.tol, int(min(est.n_iter_no_change, 10**12)))
    best_state: dict[str, Any] | None = None
    if not fresh:
        carried = est.best_validation_score_ if held_out else est.best_loss_
        if carried is not None and np.isfinite(carried):
            no_imp.best = float(carried)
            if held_out:
                best_state = {k: v.clone() for k, v in est.network_.state_dict().items()}
        no_imp.count = getattr(est, "_no_improvement_count", 0)  # 0 for a model saved before it was kept
    return no_imp, best_state


def _record(history: History, epoch: int, train_loss: float, val_score: float, lr: float) -> None:
    """One streamed epoch's row of ``history`` (no validation loss or time: NaN)."""
    history.epoch.append(epoch)
    history.train_loss.append(train_loss)
    history.val_loss.append(math.nan)
    history.val_score.append(val_score)
    history.lr.append(lr)
    history.time.append(math.nan)


def _plan(est: _BaseMLP, src: ParquetSource, scan: Any, incremental: bool, world: int) -> tuple[list[int], list[list[int]], int, int]:
    """``(validation units, each rank's training units, per-rank batch, rows per rank per epoch)``.

    Early stopping holds out whole units (row groups or CSV files); every rank
    reads the same number of rows, cut to whole batches, so all take the same steps.
    """
    units = list(range(len(src.units)))
    val_units: list[int] = []
    if est.early_stopping and not incremental:
        k = max(1, round(est.validation_fraction * len(units)))
        if k >= len(units):
            raise ValueError(f"early stopping holds out whole row groups (or CSV files), and {src.path} has only {len(units)}: write more row groups, or set early_stopping=False.")
        val_units = sorted(np.random.RandomState(_seed(est)).permutation(len(units))[:k].tolist())
    train_units = [u for u in units if u not in set(val_units)]
    shards = [train_units[r::world] for r in range(world)]
    global_batch = 200 if est.batch_size == "auto" else int(est.batch_size)
    if global_batch % world:
        raise ValueError(f"batch_size={global_batch} must be a multiple of the {world} processes: each takes an equal share.")
    batch = global_batch // world
    limit = min(sum(scan.units_rows[u] for u in s) for s in shards)  # same rows on every rank: same steps
    if world > 1:
        limit -= limit % batch
    if limit < 1:
        raise ValueError(f"{src.path} has too few rows for {world} processes: each needs at least one batch.")
    return val_units, shards, batch, limit


def _set_fitted(est: _BaseMLP, history: History, held_out: bool, n_iter: int, incremental: bool, no_imp: NoImprovement) -> None:
    """scikit-learn's fitted attributes from the epochs' ``history`` (``held_out``: early stopping on held-out units).

    ``n_iter``: the epochs of this call (a restarted run's included), as scikit-learn's ``n_iter_`` counts a warm fit's.
    ``incremental``: a ``partial_fit``, whose ``stop_reason_`` is "partial_fit" as in memory, after Ctrl-C too
    (``history_.stop_reason`` says "interrupted").
    """
    est.history_ = history
    est.loss_curve_ = list(history.train_loss)
    est.loss_ = history.train_loss[-1] if history.train_loss else math.nan  # NaN: Ctrl-C in a first fit's first pass
    est.n_iter_ = n_iter
    est.stop_reason_ = "partial_fit" if incremental else history.stop_reason
    est.validation_scores_ = list(history.val_score) if held_out else None
    est.best_validation_score_ = float(no_imp.best) if held_out else None  # the kept weights' (-inf before any epoch)
    est.best_loss_ = None if held_out else float(no_imp.best)  # the rule's, which undone epochs never changed


def _seed(est: _BaseMLP) -> int:
    rs = est.random_state
    return int(rs) if isinstance(rs, (int, np.integer)) else 0


@contextlib.contextmanager
def _one_epoch_settings(est: _BaseMLP, batch: int, hooks: Callback | None = None) -> Iterator[None]:
    """Each chunk's ``partial_fit``: this rank's batch size, no own early stopping or progress lines, and as its only
    callback the stream's relay ``hooks`` (None: none, as for a resumed run's set-up chunk).

    (The epoch's rate goes in by :func:`~._fit.at_pass_rate` and the relay by a private attribute, so
    callbacks see the user's ``learning_rate``, ``learning_rate_init`` and ``callbacks``.)
    """
    keys = ("batch_size", "early_stopping", "verbose", "progress_bar")
    keep = {k: getattr(est, k) for k in keys}
    est.batch_size, est.early_stopping, est.verbose, est.progress_bar = batch, False, False, False
    est._pass_callbacks = [hooks] if hooks is not None else []
    try:
        yield
    finally:
        for k, v in keep.items():
            setattr(est, k, v)
        est.__dict__.pop("_pass_callbacks", None)


def _stream_score(est: _BaseMLP, src: ParquetSource, units: list[int]) -> float:
    """Accuracy (classifier) or R² (regressor) over ``units``, summed chunk by chunk."""
    n = hits = sse = s1 = s2 = 0.0
    for X, y in src.chunks(units, rows=65_536):
        pred = est._predict_validated(X)
        n += len(y)
        if is_classifier(est):
            hits += float((pred == y).sum())
        else:
            yv = y.astype(np.float64)
            sse += float(((pred.reshape(yv.shape) - yv) ** 2).sum())
            s1 += float(yv.sum())
            s2 += float((yv**2).sum())
    if is_classifier(est):
        return hits / n
    sst = s2 - s1 * s1 / n
    return 1.0 - sse / sst if sst > 0 else 0.0


__all__ = ["fit_source"]
