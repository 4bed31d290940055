"""The ``Translator`` training loop: teacher-forced epochs, validation and early stopping.

Functions of the translator (``tr``): :func:`train` runs the epochs over length-sorted
batches and returns the :class:`History`; :func:`evaluate` scores held-out pairs.
Ctrl-C stops it as it stops the estimators and the other applications: one
``InterruptedWarning`` naming the user's line, ``stop_reason`` ``"interrupted"``, the
unfinished epoch not recorded, and the weights kept those of the best validation epoch
(without validation: the last whole epoch's; before any: the run's start). A diverging loss (NaN/inf, or past
1e4 x the history's start loss: ``training``'s rule) stops it with one ``DivergedWarning`` and the best weights, as
the estimators do; with no usable epoch (a fresh fit's first) ``Translator.fit`` raises instead (``refuse_unusable``).
``History.held_epoch`` records the epoch whose weights the model keeps (0: the run's start).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch

from ...training import (
    STOP_REASONS,
    History,
    LoopHooks,
    MaxEpochs,
    NoImprovement,
    TimeLimit,
    diverged_message,
    has_diverged,
    kept_weights,
    note_start_loss,
    warn_interrupted,
)
from .._fit import fit_callbacks
from .adam import TorchAdam
from .text import PAD

if TYPE_CHECKING:
    from .translate import Translator


def train(
    tr: Translator,
    src: list[list[int]],
    tgt: list[list[int]],
    train_idx: np.ndarray,
    val_idx: np.ndarray | None,
    rng: np.random.Generator,
    *,
    clock: Callable[[], float],
    history: History | None = None,
) -> History:
    """The fit loop: forward, loss per target token, backward, clip, Adam step; then validation and stopping.

    ``history`` (a warm fit's) goes on: epochs numbered on, ``max_iter`` more at most, its clock run on (``max_time`` bounds this call);
    Adam starts afresh.

    ``clock`` reads seconds (``time.perf_counter``, passed by ``Translator.fit``) for ``max_time``. ``tr.callbacks`` (the user's),
    then with ``tr.progress_bar`` the other apps' Rich bar over the ``max_iter`` epochs on stderr (:func:`~.._fit.fit_callbacks`),
    are called as ``training.train`` calls them (:class:`~hiddenlayers.training.LoopHooks`); a callback's ``state.stop_training`` stops
    after that epoch (``stop_reason`` ``"callback"``), keeping the weights any stop keeps."""
    history = History() if history is None else history
    hooks = LoopHooks(fit_callbacks(tr), tr.model_, history)
    try:
        return _train(tr, src, tgt, train_idx, val_idx, rng, clock, history, hooks)
    finally:  # after a Ctrl-C or an error too: the bar stops and gives the terminal back
        hooks.end()


def _train(tr: Translator, src: list[list[int]], tgt: list[list[int]], train_idx: np.ndarray, val_idx: np.ndarray | None,
           rng: np.random.Generator, clock: Callable[[], float], history: History, hooks: LoopHooks) -> History:
    """:func:`train`'s epochs, recorded in ``history``; each epoch's hooks go to ``hooks``."""
    model = tr.model_
    optimizer = TorchAdam(model.parameters(), lr=float(tr.learning_rate_init))  # torch.optim.Adam's step, without importing torch._dynamo
    monitor = NoImprovement("val_loss" if val_idx is not None else "train_loss", tr.tol, tr.n_iter_no_change)
    first, before = len(history), (history.time[-1] if history.time else 0.0)  # a warm fit's epochs and seconds so far
    rule = monitor | MaxEpochs(first + tr.max_iter)
    if tr.max_time is not None:
        rule = rule | TimeLimit(before + float(tr.max_time))
    best = copy.deepcopy(model.state_dict())  # the monitored loss's best epoch's weights (the start's before any)
    last, last_epoch = best, 0  # without validation, Ctrl-C keeps the last whole epoch's weights
    t0, reason = clock(), None
    tr_lengths = [len(src[i]) for i in train_idx]
    try:
        hooks.begin()  # Ctrl-C here is one before the first step: the run's start kept, as in training.train
        for epoch in range(first + 1, first + tr.max_iter + 1):
            hooks.epoch_begin(epoch)
            reason = _epoch(tr, optimizer, src, tgt, train_idx, val_idx, tr_lengths, rng, history, hooks, elapsed=lambda: before + clock() - t0)
            if reason == "diverged":
                break
            if monitor.update(history.val_loss[-1] if val_idx is not None else history.train_loss[-1]):
                best, history.best_epoch = copy.deepcopy(model.state_dict()), epoch
            if val_idx is None:
                last, last_epoch = (best if history.best_epoch == epoch else copy.deepcopy(model.state_dict())), epoch
            reason = "callback" if hooks.epoch_end() else rule(history)  # a callback's stop wins, as in training.train
            if not reason and tr.max_time is not None:
                spent = history.time[-1] - (history.time[-2] if len(history.time) > 1 else 0.0)
                if history.time[-1] + spent > before + float(tr.max_time):  # another epoch like the last would overrun
                    reason = "time_limit"
            if reason:
                break
    except KeyboardInterrupt:  # Ctrl-C: keep what the estimators keep, with their warning
        reason = "interrupted"
        kept = history.best_epoch if val_idx is not None else last_epoch
        model.load_state_dict(best if val_idx is not None else last)
        warn_interrupted(f"epoch {kept}" if kept else "the start of this run")
        history.held_epoch = kept or 0
    if reason == "diverged":
        _warn_diverged(tr, history)
    if reason == "diverged" or (reason != "interrupted" and val_idx is not None and history.best_epoch):
        model.load_state_dict(best)
        history.held_epoch = history.best_epoch or 0
    elif reason != "interrupted":  # the weights of the last whole epoch
        history.held_epoch = history.epoch[-1] if history.epoch else 0
    history.stop_reason, history.stop_message = reason, STOP_REASONS.get(reason or "", "")
    model.eval()
    return history


def diverged_fix(tr: Translator) -> str:
    """The Translator's remedy after "Lower learning_rate_init" in the divergence messages (it clips by ``max_grad_norm``)."""
    return f"or lower max_grad_norm (now {tr.max_grad_norm})"


def _warn_diverged(tr: Translator, history: History) -> None:
    """One ``DivergedWarning`` at the user's line, in the estimators' words (the best weights are put back after); none when
    no epoch is usable (a fresh fit's first diverged): ``Translator.fit`` raises then."""
    import warnings

    from ..._stacklevel import user_stacklevel
    from ...exceptions import DivergedWarning

    kept = history.best_epoch or 0
    if not kept:
        return
    where = kept_weights(kept, this_run=True)
    warnings.warn(diverged_message(history.epoch[-1], history.train_loss[-1], history.start_loss, where, tr.learning_rate_init, diverged_fix(tr)),
                  DivergedWarning, stacklevel=user_stacklevel())


def _epoch(
    tr: Translator,
    optimizer: TorchAdam,
    src: list[list[int]],
    tgt: list[list[int]],
    train_idx: np.ndarray,
    val_idx: np.ndarray | None,
    tr_lengths: list[int],
    rng: np.random.Generator,
    history: History,
    hooks: LoopHooks,
    *,
    elapsed: Callable[[], float],
) -> str | None:
    """One teacher-forced pass over the training pairs, then validation; records the epoch in ``history``. ``hooks``
    get each step's ``on_batch_end`` (``batch_loss``: the epoch's summed per-token cross entropy so far).

    Returns ``"diverged"`` when the training loss (cross-entropy per target token) has diverged (``has_diverged``), else None."""
    model = tr.model_
    model.train()
    total, tokens = 0.0, 0
    for b in tr._batches(tr_lengths, shuffle=True, rng=rng):
        s, lengths, t_in, t_out = tr._tensors(src, tgt, train_idx[b])
        mask = t_out != PAD
        logits = model(s, lengths, t_in, float(tr.teacher_forcing), mask=mask)
        loss = torch.nn.functional.cross_entropy(logits, t_out[mask], reduction="sum")
        n_tok = int(mask.sum())
        note_start_loss(history, loss.item() / n_tok)  # the first batch of a history's first run: the divergence rule's reference
        optimizer.zero_grad()
        (loss / n_tok).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), float(tr.max_grad_norm))
        optimizer.step()
        total, tokens = total + loss.item(), tokens + n_tok
        hooks.batch_end(total)
    train_loss = total / tokens
    val_loss, val_acc = evaluate(tr, src, tgt, val_idx) if val_idx is not None else (math.nan, math.nan)
    epoch = len(history) + 1
    for key, value in (
        ("epoch", epoch),
        ("train_loss", train_loss),
        ("val_loss", val_loss),
        ("val_score", val_acc),
        ("lr", float(tr.learning_rate_init)),
        ("time", elapsed()),
    ):
        getattr(history, key).append(value)
    if tr.verbose:
        print(f"epoch {epoch}: loss {train_loss:.4f}, validation loss {val_loss:.4f}, token accuracy {val_acc:.4f}", flush=True)
    return "diverged" if has_diverged(train_loss, history.start_loss) else None


@torch.no_grad()
def evaluate(tr: Translator, src: list[list[int]], tgt: list[list[int]], idx: np.ndarray) -> tuple[float, float]:
    """(cross-entropy per target token, token accuracy) with teacher forcing."""
    tr.model_.eval()
    total, correct, tokens = 0.0, 0, 0
    for b in tr._batches([len(src[i]) for i in idx], shuffle=False):
        s, lengths, t_in, t_out = tr._tensors(src, tgt, idx[b])
        mask = t_out != PAD
        logits, truth = tr.model_(s, lengths, t_in, mask=mask), t_out[mask]
        total += float(torch.nn.functional.cross_entropy(logits, truth, reduction="sum"))
        correct += int((logits.argmax(1) == truth).sum())
        tokens += int(mask.sum())
    return total / tokens, correct / tokens
