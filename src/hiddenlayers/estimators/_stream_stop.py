"""How a streamed fit (:func:`~._fit_stream.fit_source`) stops after a pass, and what it keeps when a pass ends early.

After each pass: why the fit stops (a callback, the no-improvement rule; ``adaptive`` stalls instead).
On Ctrl-C or a chunk whose loss turns NaN/inf: the weights go back (the best epoch's with held-out
units, else the last whole epoch's), with the ``t_``, schedule, no-improvement count and optimizer
state that went with them, and one warning names the weights kept.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from .._stacklevel import user_stacklevel
from ..exceptions import DivergedWarning
from ..training import (
    AnyOf,
    History,
    LossBelow,
    StoppingRule,
    TimeLimit,
    diverged_message,
    held_at_start,
    kept_weights,
    no_usable_epoch,
    warn_interrupted,
)

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP


def stream_limits(est: _BaseMLP, offset: float, incremental: bool) -> StoppingRule | None:
    """A fit call's ``loss_threshold`` and ``max_time`` rules (``max_time`` from ``offset``, the seconds the history already
    counts), as the in-memory fit makes them; None for ``partial_fit`` or without either (a streamed fit ignored both)."""
    rules: list[StoppingRule] = []
    if not incremental and est.loss_threshold is not None:
        rules.append(LossBelow(est.loss_threshold))
    if not incremental and est.max_time is not None:
        rules.append(TimeLimit(offset + est.max_time))
    return None if not rules else rules[0] if len(rules) == 1 else AnyOf(*rules)


def last_time(history: History) -> float:
    """The seconds ``history`` counts (its last finite time; 0 without one, as a stream's epochs before times were kept)."""
    times = [t for t in history.time if math.isfinite(t)]
    return float(times[-1]) if times else 0.0


def stop_reason_after(est: _BaseMLP, history: History, no_imp: Any, schedule: Any, incremental: bool, asked: bool,
                      limits: StoppingRule | None = None) -> str | None:
    """After an epoch: why the fit stops now, or None; the next epoch's (or call's) rate goes into the optimizer state.

    A callback's ``state.stop_training`` (``asked``) wins, as in memory; 'adaptive' takes a stall instead of
    stopping (its count starts over); a ``partial_fit`` stops early only when a callback asks. Then
    ``limits`` (:func:`stream_limits`), after the no-improvement rule as in memory.
    """
    if asked:
        est._optimizer_state = {**(est._optimizer_state or {}), **schedule.state()}
        return "callback"
    reason = no_imp(history)
    if reason and schedule.on_no_improvement():
        no_imp.count, reason = 0, None
    est._optimizer_state = {**(est._optimizer_state or {}), **schedule.state()}
    if incremental:
        return None
    return reason or (limits(history) if limits is not None else None)


def go_back(est: _BaseMLP, schedule: Any, no_imp: Any, kept: dict[str, Any] | None, at: tuple[int, dict[str, Any] | None, int],
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


def stop_interrupted(est: _BaseMLP, history: History, start: dict[str, Any] | None, best_state: dict[str, Any] | None, first: int,
                     chunk_trained: bool = True) -> None:
    """End a streamed fit on Ctrl-C, with one :class:`InterruptedWarning` naming the weights kept.

    With held-out units the best epoch's (loaded by the caller); else those at the start of the
    unfinished pass, i.e. the last whole epoch's (or the model's before this call); in a first fit's
    first pass, which has no start to go back to, the last whole chunk's, or with no chunk trained (``chunk_trained``
    False: the Ctrl-C came in the first chunk, whose ``partial_fit`` went back to its start) the untrained start, named
    as the in-memory fit names it ("the start of this run"). ``first``: epochs before this call.
    """
    history.stop_reason = "interrupted"
    if best_state is not None or start is not None:
        where = _go_back_weights(est, history, start, best_state, first)
    else:
        where = "the last whole chunk of epoch 1" if chunk_trained else kept_weights(None, True)
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


def stop_diverged(est: _BaseMLP, history: History, start: dict[str, Any] | None, best_state: dict[str, Any] | None, first: int,
                  epoch: int) -> None:
    """End a streamed fit whose pass ``epoch`` diverged (a chunk's loss NaN/inf), with one :class:`DivergedWarning`.

    The weights go back as after Ctrl-C (the best epoch's with held-out units, loaded by the caller; else the
    last whole epoch's, or the model's before this call). A first fit's first pass has no whole epoch to
    fall back on: scikit-learn's ``ValueError``, as in memory before any good epoch (the model stays unfitted).
    """
    loss = est.history_.train_loss[-1] if est.history_.train_loss else math.nan  # the diverged chunk's
    if best_state is None and start is None:
        raise ValueError(no_usable_epoch(loss, est.history_.start_loss, est.learning_rate_init))
    where = _go_back_weights(est, history, start, best_state, first)
    history.stop_reason = "diverged"
    warnings.warn(
        diverged_message(epoch, loss, est.history_.start_loss, where, est.learning_rate_init),
        DivergedWarning,
        stacklevel=user_stacklevel(),  # the caller of est.fit(source), on every path
    )
