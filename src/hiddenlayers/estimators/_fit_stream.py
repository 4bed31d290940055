"""Fitting the MLP estimators on a streamed table (:class:`hiddenlayers.data.ParquetSource`).

An epoch is one pass over the source's training units, chunk by chunk; each
chunk is one ``partial_fit`` (the same fit loop as in memory, the optimizer
state carried over). The epoch's loss is the row-weighted mean of the chunks'.
With ``early_stopping`` whole units are held out and scored after each epoch (under ``torch.distributed`` each rank
its share, the sums all-reduced: each held-out row read once a pass), read again each pass rather than kept in memory.
Under a ``torch.distributed`` process group each rank reads units
``rank::world`` and the fit loop all-reduces the gradients; every rank reads
the same number of rows, so every rank takes the same number of steps.
When ``$HIDDENLAYERS_CHECKPOINT`` names a file (or a ``BackupAndRestore`` callback its ``backup.pt``), the state is saved
there after each epoch (rank 0, atomically) and a new run resumes from it (``torchrun --max-restarts``), the weights and
history bit for bit those of an unbroken run (with an int ``random_state`` each chunk draws its batch order and dropout
masks from ``(random_state, epoch, chunk)``, :func:`~._stream_plan.chunk_seed`, so every chunk and pass draws its own, a run
repeats, and the resumed run's draws are the unbroken one's); a checkpoint trained on other columns, files or validation rows is
refused, a ``BackupAndRestore``'s of another model too (the variable's settings are not judged, only its network, scaling and
epochs: :mod:`._trained_on`). Its clock runs on too: ``history_.time``
runs on from the checkpoint's last epoch and ``max_time`` counts the broken run's recorded seconds.
``MLPRegressor(scale_target=True)`` trains every chunk on ``(y - mean) / std`` with the target's
weighted mean and std over every row from the statistics pass (the in-memory fit's ``y`` and
``sample_weight``); a checkpoint holds them, and a resumed run takes them back from it.
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
no-improvement count they went with. Under ``torch.distributed`` a rank's Ctrl-C is a flag the ranks agree on
(:func:`~hiddenlayers.training.agreed_interrupts`), so every rank stops at the same step or chunk and keeps the same
weights. A chunk whose loss turns NaN/inf ends the
fit the same way (one ``DivergedWarning``, ``stop_reason_ == "diverged"``), but with fresh moments and
the rate kept, as in memory; in a first fit's first pass, with no whole epoch to go back to, it raises
scikit-learn's ``ValueError``. ``best_loss_`` and ``best_validation_score_`` are the no-improvement
rule's, so they describe the weights kept. Each chunk trains at its pass's rate through a private
override (:func:`~._fit.at_pass_rate`): callbacks see the user's ``learning_rate`` and
``learning_rate_init``.
Callbacks (the user's, then the ``verbose`` lines and progress bar) see passes as epochs: the epoch
hooks run once per pass with the stream's history and state, ``on_batch_end`` at every batch of every
chunk, and ``state.stop_training`` stops the fit after the pass, as in memory (:class:`~._stream_hooks.PassHooks`).
``freeze="head_first"`` runs two such runs, the head alone then every layer at a tenth of the rate
(:func:`~._transfer.head_first_passes`).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import is_classifier

from ..data import UnitCache, read_ahead
from ..exceptions import DivergedWarning, InterruptedWarning
from ..training import STOP_REASONS, History, NoImprovement
from ._backup import backup_callback, stream_checkpoint
from ._checkpoint import check_epochs, checked_weights, epochs_of, read_checkpoint
from ._fit import BATCH_CLIPPED, at_chunk_seed, at_pass_rate, fit_callbacks, schedule_at, warn_not_converged
from ._same_on_ranks import check_same_checkpoint, check_same_files
from ._stream_hooks import PassHooks
from ._stream_plan import (
    agreed_seed,
    balanced_from_scan,
    batch_clipped,
    check_target,
    chunk_seed,
    forget_if_fresh,
    held_out_share,
    no_improvement_rule,
    one_epoch_settings,
    plan_units,
    refuse_unit_counts,
    shared_scan,
    stream_seed,
)
from ._stream_stop import go_back, last_time, stop_diverged, stop_interrupted, stop_reason_after, stream_limits
from ._stream_validation import StreamValidation, loss_of, score_of, score_sums, stream_validation, validation_score
from ._target_scale import restore_checkpoint_scaling, scaling_to_json, streamed_chunks
from ._trained_on import RECORD, check_trained_on, older_rows, trained_on
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
    offset: float = 0.0  # seconds the history this call continues already counts (history_.time runs on over warm calls)
    started: float = field(default_factory=time.perf_counter)  # the call's start: each pass's time is offset + seconds since
    stop: Any = None  # under torch.distributed: the ranks' Ctrl-C flag (training.agreed_interrupts), else None
    val: StreamValidation | None = None  # the user's own validation rows (fit's X_val), scored instead of held-out units
    record: dict[str, Any] = field(default_factory=dict)  # what the call trains on (_trained_on.trained_on), kept in its checkpoint
    strict: bool = False  # a BackupAndRestore's checkpoint: another fit's (its settings) is refused, as its in-memory backup is
    older: dict[str, str] = field(default_factory=dict)  # the rows as an older layout's "identity" said them (_trained_on.older_rows)
    clipped: bool = False  # the user's batch_size exceeds the rows of a pass (_stream_plan.batch_clipped): the call's first chunk says so
    cache: UnitCache | None = None  # this rank's preprocessed training and held-out rows, kept over the passes when small (data.UnitCache)

    @property
    def held_out(self) -> bool:
        """Whether early stopping scores rows after each pass (held-out units, or the user's own validation rows)."""
        return bool(self.val_units) or self.val is not None


def fit_source(est: _BaseMLP, src: ParquetSource, incremental: bool, given_val: tuple[Any, Any, Any] | None = None) -> _BaseMLP:
    """``est.fit(src)`` (``max_iter`` epochs, early stopping on held-out units) or ``est.partial_fit(src)`` (one epoch).

    ``given_val``: ``fit``'s ``(X_val, y_val, sample_weight_val)`` (checked by ``refuse_misused``), the rows early stopping
    scores instead of held-out units (:mod:`._stream_validation`); checked here against the statistics pass, before any step.

    ``freeze="head_first"`` runs two such runs (:func:`~._transfer.head_first_passes`); its phase 1 keeps no
    checkpoint, so a restarted run trains phase 1 again and resumes phase 2 from its last epoch.
    """
    from ..training import distributed_world, init_from_env

    init_from_env()  # under torchrun, its process group (the command line has joined it already; else one process)
    rank, world = distributed_world()
    est._validate_params()
    _same_as_rank_0(src, given_val)  # each machine reads its own disk: its files as rank 0's, before their footers plan anything
    # too few units for early stopping or the ranks: refused from the footers, before the statistics pass reads every row
    refuse_unit_counts(src, bool(est.early_stopping and not incremental and given_val is None), est.validation_fraction, world)
    # BackupAndRestore's backup.pt, else $HIDDENLAYERS_CHECKPOINT (partial_fit keeps none; with BackupAndRestore it is refused)
    ckpt = stream_checkpoint(est, os.environ.get(CHECKPOINT_ENV)) if not incremental else None
    check_same_checkpoint(ckpt)  # every rank resumes from rank 0's, not its own machine's older file or none
    scan = shared_scan(src)  # under torchrun: rank 0 reads the files, the others take its statistics
    check_target(src, scan, is_classifier(est))
    fresh = forget_if_fresh(est, incremental)
    with agreed_seed(est, fresh, world):  # every rank starts from rank 0's initial weights
        return _fit_planned(est, src, scan, incremental, fresh, rank, world, given_val, ckpt)


def _same_as_rank_0(src: ParquetSource, given_val: tuple[Any, Any, Any] | None) -> None:
    """Under ``torch.distributed``: the training files, and a validation source's, are rank 0's (:func:`~._same_on_ranks.check_same_files`)."""
    from ..data import ParquetSource

    check_same_files(src)
    if given_val is not None and isinstance(given_val[0], ParquetSource):
        check_same_files(given_val[0], "validation")


def _fit_planned(est: _BaseMLP, src: ParquetSource, scan: Any, incremental: bool, fresh: bool, rank: int, world: int,
                 given_val: tuple[Any, Any, Any] | None, ckpt: str | None) -> _BaseMLP:
    """:func:`fit_source` once the source is scanned and the ranks share a seed: the plan, then the passes (``ckpt``: the
    checkpoint file, or None)."""
    from ..training import agreed_interrupts

    classifier = is_classifier(est)
    # scale_target: y's mean and std from the statistics pass (the same on every rank: each scans every unit in order)
    est._fit_target_scaling(None, None, incremental=incremental, first_pass=fresh, streamed=True, moments=scan.target_moments)
    val = None if given_val is None else stream_validation(est, src, scan, *given_val)
    val_units, shards, batch, limit = plan_units(est, src, scan, incremental, world, rank, hold_out=val is None)
    stream = _Stream(src, scan, {"classes": scan.classes} if classifier else {}, val_units, shards, batch, limit, rank, world,
                     offset=0.0 if fresh or not hasattr(est, "history_") else last_time(est.history_), val=val,
                     record=trained_on(src, est, None if val is None else val.record, scan, held_out=val_units), strict=backup_callback(est) is not None,
                     older=older_rows(scan, None if val is None else val.rows), clipped=world == 1 and batch_clipped(est, batch, limit))
    if not incremental and est.max_iter > 1:  # (partial_fit's one pass would only fill it) this rank's training and held-out units
        stream.cache = UnitCache(scan.units_rows, shards[rank] + held_out_share(val_units, scan.units_rows, rank, world), src.scan().preprocessor)
    with balanced_from_scan(est, scan, incremental), streamed_chunks(est), agreed_interrupts() as stream.stop:
        if est.freeze != "head_first":
            return _passes(est, stream, incremental, fresh, est.learning_rate_init, ckpt)

        def phase(number: int, lr0: float) -> None:
            _passes(est, stream, incremental, fresh and number == 1, lr0, ckpt if number == 2 else None)

        head_first_passes(est, phase)
    return est


def _passes(est: _BaseMLP, s: _Stream, incremental: bool, fresh: bool, lr0: float, ckpt: str | None) -> _BaseMLP:
    """One training run over the stream from rate ``lr0``: ``fit``'s up to ``max_iter`` passes, or ``partial_fit``'s one.

    ``fresh``: a new model (else the history, rules and schedule go on); ``ckpt``: the checkpoint file, or None. The callbacks'
    epoch hooks run once per pass (:class:`~._stream_hooks.PassHooks`), as the in-memory loop runs them once per epoch.
    """
    from ..training import save_checkpoint

    epochs = 1 if incremental else est.max_iter
    history = est.history_ if (not fresh and hasattr(est, "history_")) else History()
    no_imp, best_state = no_improvement_rule(est, s.held_out, fresh)
    # the optimizer states of the weights Ctrl-C may go back to: references suffice, as training never writes into one
    best_opt = est._optimizer_state if best_state is not None else None
    rows_per_chunk = s.batch * CHUNK_BATCHES
    seed = stream_seed(est)
    target_epochs = len(history) + epochs
    saved = _read_saved(ckpt, s)
    call_from = s.offset  # the seconds before this call (max_time's start): a resumed run's call is the broken run's
    if saved is not None:  # a restarted run: set the estimator up on one chunk, then take the saved state
        with one_epoch_settings(est, s.batch):
            X, y = next(s.src.chunks(s.shards[s.rank], rows=s.batch, limit=s.batch))
            est.partial_fit(X, y, **s.kw)
        history, best_state = _resume(est, saved, str(ckpt), no_imp)
        s.offset = last_time(history)  # the broken run's seconds: history_.time runs on, and max_time counts them
        best_opt = est._optimizer_state  # the nearest kept: the checkpoint holds the best epoch's weights only (and t_, rate: the epoch's)
    first = target_epochs - epochs if not incremental else len(history) - len(history) % max(1, est.max_iter)
    schedule = _schedule(est, lr0, saved, fresh, len(history), first)
    hooks = PassHooks.make(fit_callbacks(est, schedule, epochs), history)
    hooks.state.resumed_epochs = len(history) - first if saved is not None else 0  # the checkpoint's passes of this call: a bar starts there
    # t_, the schedule and the no-improvement count with the best weights
    best_at = (int(est.t_), schedule.state(), no_imp.count) if best_state is not None else None
    limits = stream_limits(est, call_from, incremental)  # loss_threshold, max_time: as in memory
    while len(history) < target_epochs:
        epoch = len(history) + 1
        order = None if not est.shuffle else seed + 1000 * epoch + s.rank
        # the last whole epoch's weights, for Ctrl-C (the ranks stop together: agreed_interrupts) or a divergence
        start = {k: v.clone() for k, v in est.network_.state_dict().items()} if hasattr(est, "network_") else None
        start_opt, start_t = getattr(est, "_optimizer_state", None), getattr(est, "t_", 0)
        rate = schedule.lr  # every chunk of the pass trains at the epoch's rate
        hooks.begin_pass(epoch)
        with one_epoch_settings(est, s.batch, hooks), at_pass_rate(est, rate):
            if hasattr(est, "network_"):  # the chunks' own records: scratch, the epoch's go to ``history``; the divergence
                est.history_ = History(start_loss=history.start_loss)  # rule's reference is the fit's, not each pass's start
            chunks = read_ahead(s.src.weighted_chunks(s.shards[s.rank], rows=rows_per_chunk, seed=order, limit=s.limit, cache=s.cache), depth=1)  # the next is read while one trains
            loss_sum, rows, stopped = _pass(est, chunks, s.kw, s.world, s.stop, epoch, warn_clipped=s.clipped and epoch == target_epochs - epochs + 1)
            if history.start_loss is None and not len(history):  # a fresh fit's first pass: its first batch's loss (training's)
                history.start_loss = est.history_.start_loss
        if stopped == "interrupted":
            stop_interrupted(est, history, start, best_state, first=target_epochs - epochs, chunk_trained=rows > 0)
            if best_at is not None or start is not None:  # (else a first fit's first pass: the last chunk's own)
                go_back(est, schedule, no_imp, *((best_opt, best_at) if best_at is not None else (start_opt, (start_t, None, no_imp.count))))
            break
        if stopped == "diverged":  # moments dropped (non-finite), the rate kept: as in memory
            stop_diverged(est, history, start, best_state, first=target_epochs - epochs, epoch=epoch)
            go_back(est, schedule, no_imp, {}, best_at if best_at is not None else (start_t, None, no_imp.count), keep_rate=True)
            break
        train_loss, val_score = _record_pass(est, s, history, epoch, loss_sum, rows, rate)
        improved = no_imp.update(val_score if s.held_out else train_loss)
        if improved:
            history.best_epoch = epoch
            if s.held_out:
                best_state = {k: v.clone() for k, v in est.network_.state_dict().items()}
                best_opt = est._optimizer_state
        schedule.epoch_end(epoch, int(est.t_), no_imp.count == 0)  # the epoch's schedule step (progress by tol), as in memory
        logs = {"epoch": epoch, "train_loss": train_loss, "val_loss": history.val_loss[-1], "val_score": val_score, "lr": schedule.lr}
        hooks.end_pass(est.network_, logs)  # the epoch's callbacks, then the stopping checks, as in memory
        reason = stop_reason_after(est, history, no_imp, schedule, incremental, hooks.state.stop_training, limits)
        if improved and s.held_out:
            best_at = (int(est.t_), schedule.state(), no_imp.count)
        if ckpt:
            save_checkpoint(ckpt, {**_checkpoint(est, history, no_imp, schedule, best_state), RECORD: s.record})
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
    """Record pass ``epoch`` in ``history``: ``(train_loss, val_score)``, the loss agreed by every rank, the held-out units scored (else NaN).

    Its time (seconds, as ``history_.time`` counts them in memory) is the ranks' mean, so ``max_time`` stops every rank at the same pass.
    """
    from ..training import reduce_sum

    seconds = s.offset + time.perf_counter() - s.started
    loss_sum, rows, seconds = reduce_sum([loss_sum, rows, seconds])  # agreed by every rank
    train_loss = loss_sum / rows
    if s.val is not None:  # the user's rows: each rank its share, the sums all-reduced
        val_loss, val_score = validation_score(est, s.val, s.rank, s.world)
    else:
        val_loss, val_score = _stream_score(est, s) if s.val_units else (math.nan, math.nan)
    _record(history, epoch, train_loss, val_score, rate, seconds / s.world, val_loss)
    return train_loss, val_score


def _end_run(est: _BaseMLP, s: _Stream, history: History, hooks: PassHooks, no_imp: NoImprovement, best_state: dict[str, Any] | None,
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
    _set_fitted(est, history, s.held_out, len(history) - before, incremental, no_imp)
    est._no_improvement_count = no_imp.count  # the epochs' count, not the chunks' partial_fit calls'
    scan = s.scan
    est.preprocessing_ = {**scan.preprocessor.to_dict(), "target": s.src.target, "task": "classification" if is_classifier(est) else "regression"}
    history.stop_message = STOP_REASONS.get(history.stop_reason or "", "")
    hooks.end(est.network_)


def _schedule(est: _BaseMLP, lr0: float, saved: dict[str, Any] | None, fresh: bool, done: int, first: int) -> Any:
    """The run's learning-rate schedule from ``lr0`` after ``done`` epochs (``first``: its cycle's first epoch), going on from a
    warm model's or a checkpoint's rate and plateau count; a fresh fit's stale optimizer state starts nothing."""
    carried = est._optimizer_state if (saved is not None or not fresh) else None
    schedule = schedule_at(est, lr0, done=done, first_epoch=first, carried=carried)
    if saved is not None and len(saved["no_improvement"]) > 2:
        schedule.stalled = int(saved["no_improvement"][2])  # plateau's epochs without progress
    return schedule


def _read_saved(ckpt: str | None, s: _Stream) -> dict[str, Any] | None:
    """The checkpoint at ``ckpt`` to resume from (None: none); one trained on other columns, files or validation rows (a
    ``BackupAndRestore``'s: or with other settings) is refused (:func:`~._trained_on.check_trained_on`), before anything changes."""
    return check_trained_on(read_checkpoint(ckpt), s.record, ckpt, strict=s.strict, rows=s.older) if ckpt else None


def _resume(est: _BaseMLP, saved: dict[str, Any], path: str, no_imp: Any) -> tuple[History, Any]:
    """Put a checkpoint's network, optimizer, samples seen and no-improvement count into ``est``: ``(history, best weights)``;
    one written with a ``max_iter`` its epochs depended on is refused first (:func:`~._checkpoint.check_epochs`)."""
    check_epochs(est, saved, path)
    est.network_.load_state_dict(checked_weights(est.network_, saved["network"], path))
    est._optimizer_state, est.t_ = saved["optimizer"], int(saved["t"])
    restore_checkpoint_scaling(est, saved.get("target_scaling"), path)  # absent: a checkpoint of an unscaled fit
    no_imp.best, no_imp.count = float(saved["no_improvement"][0]), int(saved["no_improvement"][1])
    est._cache_weights()
    return History.from_dict(saved["history"]), saved["best"]


def _checkpoint(est: _BaseMLP, history: History, no_imp: Any, schedule: Any, best_state: Any) -> dict[str, Any]:
    """What an epoch's checkpoint holds, so a restarted worker goes on from this epoch (plateau's stalled count included)."""
    return {
        "network": est.network_.state_dict(), "optimizer": est._optimizer_state, "t": int(est.t_),
        "history": history.to_dict(), "no_improvement": [float(no_imp.best), int(no_imp.count), int(schedule.stalled)], "best": best_state,
        "target_scaling": scaling_to_json(est),  # scale_target's, restored as it was on resuming
        "epochs": epochs_of(est),  # what depends on max_iter, which a resumed run may change (check_epochs)
    }


def _pass(est: _BaseMLP, chunks: Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]], kw: dict[str, Any],
          world: int, stop: Any = None, epoch: int = 1, warn_clipped: bool = False) -> tuple[float, float, str | None]:
    """One pass's chunks, a ``partial_fit`` each: ``(weighted loss sum, summed weights, "interrupted", "diverged" or None)``.

    Chunk ``j`` of pass ``epoch`` draws its batch order and dropout from its own seed (:func:`~._stream_plan.chunk_seed`).

    A chunk's loss counts by its rows' summed weights (the source's weight column times ``class_weight``;
    its rows without either), so the pass's loss is the in-memory epoch's ``sum(w·loss) / sum(w)``.
    A chunk whose weights are all 0 is a no-op of ``partial_fit`` (its batches are skipped) and adds nothing.

    A chunk's Ctrl-C or divergence (its weights back at its start) ends the pass, as it ends an
    in-memory fit; a divergence, whose loss the ranks agree on (``GradientSync.agree``), ends every rank's
    pass at the same chunk. A Ctrl-C while the next chunk is read (most of an I/O-bound pass) ends it between
    chunks alike (once a chunk has built the network; before, it is raised on: nothing to keep).
    Under ``torchrun`` every rank must take the same steps: ``stop`` (:func:`~hiddenlayers.training.agreed_interrupts`)
    turns a rank's Ctrl-C into a flag, which the ranks agree on at their next gradient all-reduce (the chunk's
    ``partial_fit`` then stops at that step on every rank) or, while they read, once each has its next chunk
    (one all-reduce per chunk): every rank ends the pass at the same point. Without ``stop`` (a program's own
    SIGINT handler) a distributed pass goes on after a chunk's Ctrl-C.
    """
    loss_sum = rows = 0.0
    index = -1
    while (chunk := _next_chunk(est, chunks, world)) is not None:
        index += 1
        if stop is not None and stop.agreed():  # every rank reads as many chunks: each asks here alike
            if not hasattr(est, "network_"):
                raise KeyboardInterrupt  # a first fit's first chunk, not yet trained: nothing to keep, as in one process
            getattr(chunks, "close", lambda: None)()
            return loss_sum, rows, "interrupted"
        if chunk == "interrupted":
            return loss_sum, rows, "interrupted"
        X, y, w = chunk
        if hasattr(est, "network_"):  # a chunk is no epoch: its own stall count starts afresh and never fires
            est._no_improvement_count, est.best_loss_ = 0, np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergedWarning)  # the streamed fit warns once, naming the weights it keeps
            if not (warn_clipped and index == 0):  # a short chunk clips no batch the user asked for (_stream_plan.batch_clipped)
                warnings.filterwarnings("ignore", message=BATCH_CLIPPED)
            if world == 1 or stop is not None:  # the streamed fit warns once (stop_interrupted)
                warnings.simplefilter("ignore", InterruptedWarning)
            with at_chunk_seed(est, chunk_seed(est, epoch, index)):
                est.partial_fit(X, y, sample_weight=w, **kw)
        stopped = est.history_.stop_reason if est.history_.stop_reason in ("interrupted", "diverged") else None
        if stopped and (world == 1 or stopped == "diverged" or stop is not None):
            getattr(chunks, "close", lambda: None)()  # read_ahead's reader stops now, not when collected
            return loss_sum, rows, stopped
        counted = _weight_sum(est, X, y, w)
        if counted > 0:
            loss_sum += float(est.loss_) * counted
            rows += counted
    return loss_sum, rows, None


def _next_chunk(est: _BaseMLP, chunks: Iterator[Any], world: int) -> Any:
    """The pass's next ``(X, y, w)`` chunk, None after the last, or ``"interrupted"`` on a Ctrl-C while it was read.

    The Ctrl-C escaped the fit there (the command exited 130, no model saved) where one inside a chunk's ``partial_fit``
    kept the weights; a first fit's first chunk not yet trained, or a distributed run, has nothing to keep: raised on.
    """
    try:
        return next(chunks)
    except StopIteration:
        return None
    except KeyboardInterrupt:
        if world > 1 or not hasattr(est, "network_"):
            raise
        getattr(chunks, "close", lambda: None)()  # read_ahead's reader stops now, not when collected
        return "interrupted"


def _row_weights(est: _BaseMLP, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> np.ndarray | None:
    """The rows' weights as the fit weighs them ``(n,)``: ``w`` times ``class_weight``'s (the in-memory product); None for neither."""
    return est._with_class_weight(y, w, X, True) if hasattr(est, "classes_") else w


def _weight_sum(est: _BaseMLP, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
    """What a chunk's mean loss is divided by: its rows, or their summed weights (see :func:`_row_weights`)."""
    rw = _row_weights(est, X, y, w)
    return float(len(y)) if rw is None else float(np.sum(rw))


def _record(history: History, epoch: int, train_loss: float, val_score: float, lr: float, seconds: float = math.nan,
            val_loss: float = math.nan) -> None:
    """One streamed epoch's row of ``history`` (``seconds`` since the fit's first call; ``val_loss`` NaN without held-out units)."""
    history.epoch.append(epoch)
    history.train_loss.append(train_loss)
    history.val_loss.append(val_loss)
    history.val_score.append(val_score)
    history.lr.append(lr)
    history.time.append(seconds)


def _set_fitted(est: _BaseMLP, history: History, held_out: bool, n_iter: int, incremental: bool, no_imp: NoImprovement) -> None:
    """scikit-learn's fitted attributes from the epochs' ``history`` (``held_out``: early stopping on held-out units).

    ``n_iter``: the epochs of this call (a restarted run's included), as scikit-learn's ``n_iter_`` counts a warm fit's.
    ``incremental``: a ``partial_fit``, whose ``stop_reason_`` is ``history_.stop_reason`` as in memory: "partial_fit"
    for a pass that ran, "interrupted", "diverged" or "callback" when one of those ended it.
    """
    est.history_ = history
    est.loss_curve_ = list(history.train_loss)
    est.loss_ = history.train_loss[-1] if history.train_loss else math.nan  # NaN: Ctrl-C in a first fit's first pass
    est.n_iter_ = n_iter
    est.stop_reason_ = history.stop_reason
    est.validation_scores_ = list(history.val_score) if held_out else None
    est.best_validation_score_ = float(no_imp.best) if held_out else None  # the kept weights' (-inf before any epoch)
    est.best_loss_ = None if held_out else float(no_imp.best)  # the rule's, which undone epochs never changed


def _stream_score(est: _BaseMLP, s: _Stream) -> tuple[float, float]:
    """``(loss, score)`` over the held-out units ``s.val_units``: the training loss's weighted mean (``history_.val_loss``, as
    in memory) and accuracy (classifier) or R² (regressor), summed chunk by chunk, weighted as the in-memory held-out score
    is (the weight column times ``class_weight``: scikit-learn's ``sample_weight`` of the score).

    Under ``torch.distributed`` each rank sums its share of the units (:func:`~._stream_plan.held_out_share`) and the
    ranks all-reduce the sums, as for the user's validation rows: each held-out row is read once per pass over all
    ranks (every rank read them all, ``world`` reads a pass), and every rank gets the same score from the same numbers.
    """
    from ..training import reduce_sum

    share = held_out_share(s.val_units, s.scan.units_rows, s.rank, s.world)
    chunks = ((X, y, _row_weights(est, X, y, w)) for X, y, w in s.src.weighted_chunks(share, rows=65_536, cache=s.cache))
    sums = reduce_sum(score_sums(est, chunks))
    return loss_of(sums), score_of(est, sums)


__all__ = ["fit_source"]
