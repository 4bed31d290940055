"""Fitting the MLP estimators: build the network, then the stochastic or L-BFGS path.

Functions of the estimator (``est``) that set scikit-learn's fitted attributes
(``network_``, ``loss_curve_``, ``n_iter_``, ...); ``_BaseMLP._fit`` chooses the path.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from .._rng import seeded
from .._stacklevel import user_stacklevel
from ..network import Network, Spec, init_dense_, sklearn_init_
from ..training import (
    STOP_REASONS,
    Callback,
    History,
    LossBelow,
    NoImprovement,
    Schedule,
    StoppingRule,
    TrainResult,
    check_callbacks,
    no_usable_epoch,
    rank_seed,
    steps_per_epoch,
    thread_limits,
    time_limit,
    to_tensor,
    train,
)
from ._averaging import averaging_of, warn_nothing_averaged
from ._backup import keep_split
from ._checks import _DTYPES, require_finite
from ._transfer import keep_frozen_record
from ._validation_data import ValidationSet

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP


def build(est: _BaseMLP, spec: Spec, n_features: int, n_outputs: int, rng: np.random.RandomState) -> None:
    """Make ``est.network_`` (initialised as scikit-learn or He/Glorot) and reset the fit bookkeeping."""
    # in the fit's dtype before the draws, so float64 models start from scikit-learn's exact values
    net = Network(n_features, spec, n_outputs, activation=est.activation, init="none").to(dtype=_DTYPES[est.dtype])
    # The head gets the estimator-level activation's init, as in scikit-learn.
    acts = [*net.activation_names(), est.activation]
    if est.init == "sklearn":
        for lin, act in zip(net.linears(), acts):
            sklearn_init_(lin, act, rng)  # same draws as sklearn for this random_state
    else:
        gen = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        for lin, act in zip(net.linears(), acts):
            init_dense_(lin, act, generator=gen)
    est.network_ = net.to(device=est._device)
    est._optimizer_state = None
    est.history_ = History()
    est.n_iter_ = 0
    est.t_ = 0
    est.best_loss_ = np.inf
    est._no_improvement_count = 0  # epochs without tol progress, carried over warm fits and partial_fit calls as sklearn's
    held_out = est.early_stopping and est.solver != "lbfgs"  # L-BFGS holds out no rows: early_stopping is for the stochastic solvers
    est.validation_scores_ = [] if held_out else None
    est.best_validation_score_ = -np.inf if held_out else None


def _check_split_weights(w_train: Any, w_val: Any) -> None:
    """Refuse, before any step, a split whose training or held-out rows all have weight 0.

    Training rows of zero total weight give no step at all; held-out rows of zero weight
    cannot score the model (the score is a weighted mean: 0/0).
    """
    if w_train is not None and not np.sum(w_train) > 0:
        raise ValueError("the rows left to train on after the early-stopping split all have sample_weight 0 (times class_weight): "
                         "give more rows a weight > 0, or early_stopping=False to train on every row.")
    if w_val is not None and not np.sum(w_val) > 0:
        raise ValueError("the rows held out for early stopping all have sample_weight 0 (times class_weight), so they cannot score "
                         "the model: give more rows a weight > 0, raise validation_fraction, or early_stopping=False.")


def split_validation(est: _BaseMLP, X: Any, Y: np.ndarray, y: np.ndarray, sample_weight: Any,
                     given: ValidationSet | None = None) -> tuple[Any, np.ndarray, Any, Callable[[], tuple[float, float]] | None]:
    """``(X, Y, sample_weight, validate)``: with ``early_stopping``, the training part and the held-out score.

    The split is scikit-learn's (stratified for one-output classifiers, from
    ``est._random_state``); ``validate()`` returns ``(loss, score)`` on the held-out part.
    A later split of the same model (a warm fit, ``freeze="head_first"``'s second phase) is drawn from the
    state the model's first split was drawn from (:func:`_split_rng`), so on the same ``X`` it holds out the
    same rows: the rows it scores were never trained on, and its scores compare with the kept best.
    ``given``: the user's own held-out rows (``fit``'s ``X_val``/``y_val``): no split is drawn, every row trains.
    Without early stopping the data comes back whole and ``validate`` is None.
    """
    if not est.early_stopping:
        return X, Y, sample_weight, None
    if given is not None:
        return X, Y, sample_weight, _scorer(est, given.X, given.y, given.w)
    w_val = None
    if sample_weight is not None:  # weighted: our words (scikit-learn's name no weights); unweighted: its own, as its MLP's
        _check_weighted_split(X.shape[0], float(est.validation_fraction))
    stratify = y if is_classifier(est) and est.n_outputs_ == 1 and y.ndim == 1 else None
    if stratify is not None:
        _check_stratifiable(stratify, float(est.validation_fraction))
    arrays = [X, Y, y] + ([sample_weight] if sample_weight is not None else [])
    parts = train_test_split(*arrays, random_state=_split_rng(est), test_size=est.validation_fraction, stratify=stratify)
    X, X_val, Y, Y_val, _, y_val = parts[:6]
    if sample_weight is not None:
        sample_weight, w_val = parts[6], parts[7]
    distilling, loss_rows = est.__dict__.get("_distilling"), None
    if distilling is not None:  # hl.distill: scored on the labelled rows only, or on agreement with the teacher when none is
        loss_rows = (Y_val, w_val)  # its val_loss: the distillation objective on these rows' own targets, weighted as in training
        w_val = distilling.validation_weight(Y_val, w_val)
    if X_val.shape[0] < 2:
        raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of your dataset.")
    _check_split_weights(sample_weight, w_val)
    return X, Y, sample_weight, _scorer(est, X_val, y_val, w_val, loss_rows)


def _split_rng(est: _BaseMLP) -> np.random.RandomState:
    """The RandomState the early-stopping split is drawn from: the model's first split's, kept in ``est._split_state``.

    scikit-learn draws each call's split from ``_random_state`` after the initial weights, which a warm
    fit does not draw, so a warm fit on the same rows held out other rows (161 of 180 of digits' had
    trained in the call before): early stopping then scored rows the model had learned, against a best
    score of other rows. The first split (``_split_state`` None: set so by a new model) draws as scikit-learn
    does, from ``est._random_state``, and its state is kept; later ones draw from a copy of that state.
    """
    state = getattr(est, "_split_state", None)
    if state is None:
        est._split_state = est._random_state.get_state()
        return est._random_state
    rng = np.random.RandomState()
    rng.set_state(state)
    return rng


def _scorer(est: _BaseMLP, X_val: Any, y_val: np.ndarray, w_val: Any,
            loss_rows: tuple[np.ndarray, Any] | None = None) -> Callable[[], tuple[float, float]]:
    """``validate()`` for :func:`train`: ``(loss, score)`` of the network as it stands on the held-out rows (the training
    loss's weighted mean without the L2 term, ``history_.val_loss``; accuracy or R²). ``loss_rows``: that loss's
    ``(targets, weights)`` where they are not ``y_val``'s and ``w_val`` (``hl.distill``'s student)."""
    def validate() -> tuple[float, float]:
        est._cache_weights()
        # X_val is validated already: scored without input checks (and their feature-name warning)
        return est._held_out(X_val, y_val, sample_weight=w_val, loss_rows=loss_rows)

    return validate


def _stopping_rules(est: _BaseMLP, incremental: bool) -> tuple[NoImprovement, StoppingRule | None, int]:
    """``(no_improvement, stopping, max_epochs)`` from sklearn's parameters; ``partial_fit`` runs one epoch, no other rule.

    ``max_epochs`` counts from the epochs already in ``history_`` (:func:`train` bounds the call by it),
    and ``max_time`` from the call's start (History's clock runs on over warm fits).

    The no-improvement rule carries on from the best score or loss and the count of
    epochs without progress of earlier calls (``warm_start``, ``partial_fit``), as
    scikit-learn's ``best_loss_`` and ``_no_improvement_count`` do: a warm fit of a
    model that stopped for lack of progress stops after one more such epoch, and
    ``partial_fit`` calls that stall lower the ``'adaptive'`` rate. (In a
    ``partial_fit`` call the rule only counts: the call is one epoch anyway.)
    """
    rules: list[StoppingRule] = []
    max_epochs = 1 if incremental else est.max_iter
    patience = est.n_iter_no_change if est.n_iter_no_change != np.inf else 10**12
    no_imp = NoImprovement("val_score" if est.early_stopping else "train_loss", est.tol, int(patience))
    if est.early_stopping and est.best_validation_score_ is not None and np.isfinite(est.best_validation_score_):
        no_imp.best = est.best_validation_score_
    elif not est.early_stopping and est.best_loss_ is not None and np.isfinite(est.best_loss_):
        no_imp.best = est.best_loss_
    no_imp.count = getattr(est, "_no_improvement_count", 0)  # 0 after build (and for a model saved before it was kept)
    if not incremental:
        if est.loss_threshold is not None:
            rules.append(LossBelow(est.loss_threshold))
        limit = time_limit(est.max_time, est.history_)  # the clock runs on over warm fits: counted from here
        if limit is not None:
            rules.append(limit)
    stopping = rules[0] if rules else None
    for r in rules[1:]:
        stopping = stopping | r
    return no_imp, stopping, max_epochs


class CallCosine(Schedule):
    """The cosine schedule restarted at each fit call: epoch ``first_epoch + k`` of the history is the cycle's epoch ``k``.

    :class:`Schedule` reads the history's epoch numbers, which run on over warm
    fits; without the offset a second ``fit`` would start past the cycle's end, at 0.
    """

    def __init__(self, lr0: float, *, max_epochs: int, first_epoch: int, done: int) -> None:
        super().__init__("cosine", lr0, max_epochs=max_epochs)
        self.first_epoch = first_epoch
        super().epoch_end(done - first_epoch, 0, False)  # the rate of this call's first epoch (k = 0: lr0)

    def epoch_end(self, epoch: int, samples_seen: int, improved: bool) -> None:
        super().epoch_end(epoch - self.first_epoch, samples_seen, improved)


def _schedule(est: _BaseMLP, lr0: float, incremental: bool) -> Schedule:
    """The learning-rate schedule of this call from ``lr0``.

    ``cosine`` runs one cycle per call: ``fit`` (warm or not) anneals from
    ``lr0`` to 0 over its ``max_iter`` epochs, like a cosine scheduler made
    per ``model.fit`` in Keras or PyTorch; ``partial_fit`` calls (one epoch
    each) walk a cycle of ``max_iter`` calls and restart at ``lr0`` after it
    (PyTorch's ``CosineAnnealingWarmRestarts`` with ``T_0=max_iter``), the
    position counted from the epochs in ``history_``. The other schedules
    resume at the rate a previous fit left (``warm_start``, ``partial_fit``).
    """
    done = len(est.history_)
    first_epoch = done - (done % max(1, est.max_iter) if incremental else 0)
    return schedule_at(est, lr0, done=done, first_epoch=first_epoch, carried=est._optimizer_state)


def schedule_at(est: _BaseMLP, lr0: float, *, done: int, first_epoch: int, carried: dict[str, Any] | None) -> Schedule:
    """``est``'s schedule after ``done`` epochs of its history, this call's first being ``first_epoch + 1``.

    ``carried``: the optimizer state of earlier calls, whose ``"lr"`` the non-cosine schedules
    resume from (None: start at ``lr0``), and ``"stalled"`` plateau's epochs without progress
    (carried over ``partial_fit`` calls and warm fits as scikit-learn's ``_no_improvement_count``,
    so ``partial_fit`` calls that stall cut the rate after ``patience`` of them). :func:`_schedule`
    for arrays; the streamed fit (``_fit_stream``) builds its epochs' schedule here too, so both step alike.
    """
    if est.learning_rate == "cosine":
        return CallCosine(lr0, max_epochs=est.max_iter, first_epoch=first_epoch, done=done)
    schedule_kind = est.learning_rate if (est.solver == "sgd" or est.learning_rate == "plateau") else "constant"
    schedule = Schedule(schedule_kind, lr0, power_t=est.power_t, max_epochs=est.max_iter, patience=max(1, int(min(est.n_iter_no_change, 10**6)) // 2))
    if carried and est.learning_rate != "constant":
        schedule.load_state({k: carried[k] for k in ("lr", "stalled") if carried.get(k) is not None})
    return schedule


def _pass_schedule(est: _BaseMLP, lr0: float, incremental: bool) -> tuple[float, Schedule]:
    """``(lr0, schedule)`` of this call: a streamed pass's chunk trains at the pass's rate, constant (:func:`at_pass_rate`).

    The rate comes in by a private attribute, not by borrowing ``learning_rate``/``learning_rate_init``:
    the user's callbacks, run by the chunk, see the estimator's own settings.
    """
    rate = est.__dict__.get("_pass_rate")
    if rate is None:
        return lr0, _schedule(est, lr0, incremental)
    # (head_first's second phase: the stream's schedule starts at its lower rate, so the pass's rate is it already)
    return rate, Schedule("constant", rate, max_epochs=max(1, est.max_iter))


@contextmanager
def at_pass_rate(est: _BaseMLP, rate: float) -> Iterator[None]:
    """Within: ``est``'s stochastic fit calls train at ``rate``, constant (a streamed pass's chunks; the schedule steps per pass)."""
    est._pass_rate = rate
    try:
        yield
    finally:
        est.__dict__.pop("_pass_rate", None)


def _call_seed(est: _BaseMLP) -> int:
    """The seed of this call's batch order and dropout: a streamed chunk's own (:func:`at_chunk_seed`), else the next draw of
    ``_random_state`` (scikit-learn's: made afresh from an int ``random_state`` by each call, so ``partial_fit`` calls on
    arrays repeat one order, as scikit-learn's do)."""
    given = est.__dict__.get("_chunk_seed")
    return int(est._random_state.randint(np.iinfo(np.int32).max)) if given is None else int(given)


@contextmanager
def at_chunk_seed(est: _BaseMLP, seed: int | None) -> Iterator[None]:
    """Within: ``est``'s stochastic fit calls draw their batch order and dropout from ``seed`` (a streamed chunk's, from
    :func:`~._stream_plan.chunk_seed`) instead of ``_random_state``; None: from ``_random_state``, as without.

    Why: every chunk's ``partial_fit`` made its ``_random_state`` afresh from the int ``random_state``, so every chunk of
    every pass drew the same order and the same dropout masks.
    """
    if seed is None:
        yield
        return
    est._chunk_seed = seed
    try:
        yield
    finally:
        est.__dict__.pop("_chunk_seed", None)


def fit_callbacks(est: _BaseMLP, schedule: Schedule, max_epochs: int) -> list[Any]:
    """The user's callbacks, then scikit-learn's verbose lines (stdout) and the Rich bar (stderr) when asked.

    Within a streamed pass a chunk's run gets the stream's relay instead (``_pass_callbacks``, set by
    ``_fit_stream``): the stream calls the epoch hooks once per pass, as this loop does once per epoch.
    """
    relay = est.__dict__.get("_pass_callbacks")
    if relay is not None:
        return list(relay)
    callbacks = check_callbacks(est.callbacks)
    if est.verbose:  # scikit-learn's lines on stdout
        from ..training import SklearnLines

        callbacks.append(SklearnLines(schedule, early_stopping=est.early_stopping, tol=est.tol, n_iter_no_change=est.n_iter_no_change))
    if est.progress_bar:  # the Rich bar on stderr, opt-in
        from ..training import ProgressBar

        callbacks.append(ProgressBar(max_epochs, type(est).__name__))
    return callbacks


class _PartialFitReason(Callback):
    """``partial_fit``'s one epoch ends with ``stop_reason_ == history_.stop_reason == "partial_fit"``, as a streamed one's does.

    The loop names the rule that ended the call (``"max_epochs"``, or a no-improvement rule that
    only counts in ``partial_fit``); neither stopped anything a ``partial_fit`` would go on with.
    Ctrl-C, a divergence and a callback's stop keep their own reasons, in both places: a loop of
    ``partial_fit`` calls reads ``stop_reason_ == "interrupted"`` to stop, as after ``fit``.
    """

    def on_train_end(self, *, history: History, **kwargs: Any) -> None:
        if history.stop_reason not in ("interrupted", "diverged", "callback"):
            history.stop_reason, history.stop_message = "partial_fit", STOP_REASONS["partial_fit"]


def _set_fitted(est: _BaseMLP, result: TrainResult, schedule: Schedule, epochs_before: int, no_imp: NoImprovement) -> None:
    """scikit-learn's fitted attributes from a :func:`train` run (``loss_curve_``, ``n_iter_``, ``t_``, best scores).

    ``loss_curve_``, ``validation_scores_`` and ``n_iter_`` are the record of the epochs run, those a
    divergence or Ctrl-C undid included (the diverged epoch's too). What describes the weights kept
    and the run as it goes on comes from ``no_imp``, which :func:`train` puts back with them:
    ``best_loss_`` (the lowest loss the ``n_iter_no_change`` rule compares with, scikit-learn's),
    ``best_validation_score_`` (the score of the weights early stopping keeps) and
    ``_no_improvement_count``. Before, the best scores were the history's: after a divergence
    ``best_validation_score_`` could be the diverged epoch's own score, of weights since thrown away.
    """
    hist = result.history
    # After a divergence the weights are a good epoch's again, but the moments hold the diverged steps' (non-finite)
    # values: the next warm fit or partial_fit starts them afresh (Optimizer.load_state), at the rate kept.
    moments = result.optimizer.state() if hist.stop_reason != "diverged" else {}
    est._optimizer_state = {**moments, **schedule.state()}  # the rate and plateau's stalled epochs the next call goes on from
    est.n_iter_ = len(hist) - epochs_before  # epochs of this call, as sklearn counts
    est.t_ = result.samples_seen
    est.loss_curve_ = list(hist.train_loss)
    est.loss_ = hist.train_loss[-1] if hist.train_loss else math.nan  # NaN: Ctrl-C in a first fit's first epoch
    est.stop_reason_ = hist.stop_reason
    est._no_improvement_count = no_imp.count
    if est.early_stopping:
        est.validation_scores_ = list(hist.val_score)
        est.best_validation_score_ = float(no_imp.best)  # -inf before any finite score
        est.best_loss_ = None
    else:
        est.best_loss_ = float(no_imp.best)  # inf before any finite loss


def setup_threads(est: _BaseMLP, n_rows: int, first_pass: bool) -> AbstractContextManager[None]:
    """The thread scope of a stochastic fit call on a fitted network: training's rule (:func:`thread_limits`) over the whole call.

    Training runs a small network's steps on one thread; the call's other tensor
    work (``X`` to a tensor, its NaN/inf sum, the weights' finiteness check) ran on
    all of torch's, where on a busy 2-core machine one 92k-element conversion took
    20 ms instead of 0.02 (two threads waiting on each other; benchmarks/bench_partial_fit.py).
    A first fit has no network to size yet and keeps the default threads.
    """
    if first_pass or not n_rows or est.solver == "lbfgs" or est.domain_adaptation is not None:
        return nullcontext()
    batch_size = min(200, n_rows) if est.batch_size == "auto" else min(int(est.batch_size), n_rows)
    return thread_limits(est.network_, batch_size, est._device, numpy_engine=False)


def training_tensor(est: _BaseMLP, X: Any) -> Any:
    """``X`` as the fit's training input: a float tensor ``(n, n_features)`` on ``est._device`` in the fit's dtype, or CSR if sparse."""
    if sp.issparse(X):
        return X.tocsr()
    return to_tensor(X, _DTYPES[est.dtype], est._device)  # a read-only X is shared, never written: training indexes copies


def checked_training_tensor(est: _BaseMLP, X: np.ndarray) -> torch.Tensor:
    """:func:`training_tensor` of a dense ``X`` whose NaN/inf check validation left out, made on the tensor (:func:`require_finite`)."""
    Xt = training_tensor(est, X)
    require_finite(est, X, Xt)
    return Xt  # type: ignore[no-any-return]


def fit_stochastic(
    est: _BaseMLP, X: Any, Y: np.ndarray, y: np.ndarray, sample_weight: Any, incremental: bool, learning_rate_init: float | None = None,
    Xt: torch.Tensor | None = None, validation: ValidationSet | None = None,
) -> None:
    """Mini-batch fit (``partial_fit``: one epoch) through :func:`train`; sets sklearn's fitted attributes.

    ``learning_rate_init`` overrides the estimator's (the second phase of ``freeze="head_first"``).
    ``Xt``: ``X`` already on the device (:func:`checked_training_tensor`), used when there is no early-stopping split.
    ``validation``: the user's held-out rows, which early stopping scores in place of a split of ``X``.
    """
    lr0 = est.learning_rate_init if learning_rate_init is None else learning_rate_init
    dtype, device = _DTYPES[est.dtype], est._device
    X, Y, sample_weight, validate = split_validation(est, X, Y, y, sample_weight, validation)
    keep_split(est)  # BackupAndRestore: a resumed fit holds out these rows again
    n = X.shape[0]
    batch_size = min(200, n) if est.batch_size == "auto" else int(est.batch_size)
    if batch_size > n:
        warnings.warn(BATCH_CLIPPED, stacklevel=user_stacklevel())
    if Xt is None:  # (given only when no split is drawn: the whole X)
        Xt = training_tensor(est, X)
    Yt = to_tensor(Y, dtype, device)
    Wt = None if sample_weight is None else to_tensor(sample_weight, dtype, device)
    no_imp, stopping, max_epochs = _stopping_rules(est, incremental)
    lr0, schedule = _pass_schedule(est, lr0, incremental)
    callbacks = fit_callbacks(est, schedule, max_epochs)
    if incremental:
        callbacks.insert(0, _PartialFitReason())  # first: every other callback's on_train_end sees the call's reason
    seed = _call_seed(est)
    gen = torch.Generator().manual_seed(seed)
    epochs_before = len(est.history_)
    # Dropout draws from torch's global generator: seed it from random_state for this fit
    # only, so results repeat without changing the caller's global random state; under
    # torch.distributed each rank's own (rank_seed): the ranks' masks were the same for their different rows.
    with seeded(rank_seed(seed), device):  # the CPU's generator and the fit's CUDA device's, no other device's
        result = train(
            est.network_, Xt, Yt,
            loss=est._loss(), solver=est.solver, learning_rate_init=lr0, schedule=schedule,
            batch_size=batch_size, max_epochs=max_epochs, shuffle=est.shuffle, sample_weight=Wt, alpha=est.alpha,
            validate=validate, stopping=stopping, no_improvement=no_imp, callbacks=callbacks,
            clip_grad_norm=est.clip_grad_norm, generator=gen, engine=est.engine,
            optimizer_kwargs=optimizer_kwargs(est), optimizer_state=est._optimizer_state,
            history=est.history_, restore_best=est.early_stopping, samples_seen=est.t_, device=device,
            warn_if_diverged_at_start=est.early_stopping, precision=est.precision,
            averaging=averaging_of(est, max_epochs * steps_per_epoch(n, batch_size, est.network_)),
        )
    hist = result.history
    if hist.stop_reason == "diverged" and not hist.held_epoch and not est.early_stopping and est.__dict__.get("_pass_rate") is None:
        # no good epoch to fall back on (none improved, or epoch 1 did but its weights proved diverged: the loop's
        # _check_best): scikit-learn's error (with early stopping sklearn restores
        # the initial weights instead, and so do we, with a DivergedWarning). A streamed pass's chunk
        # (at_pass_rate) keeps its start's weights: the streamed fit falls back on a whole epoch's, or raises.
        # A finite explosion (the loss past DIVERGENCE_FACTOR x its start) is as unusable: its message says what the loss did.
        raise ValueError(no_usable_epoch(hist.train_loss[-1], hist.start_loss, lr0, epoch=hist.epoch[-1], best_epoch=hist.best_epoch))
    _set_fitted(est, result, schedule, epochs_before, no_imp)
    if hist.stop_reason == "max_epochs" and not incremental:
        warn_not_converged(est)
    warn_nothing_averaged(est, est.n_iter_, est.stop_reason_)


def pass_over_unweighted(est: _BaseMLP, n_rows: int) -> None:
    """A ``partial_fit`` call on ``n_rows`` rows whose sample weights (times ``class_weight``) are all 0: a no-op.

    Such a chunk carries no information (its weighted mean loss is 0/0), as a zero-weight minibatch
    inside ``fit`` (``training/_batches.py``): no optimizer step, no L2 term, no ``loss_curve_``
    entry; the weights, optimizer state, learning rate and no-improvement count stay as they were.
    ``t_`` does not count its rows: a row of weight 0 is as if absent (``_zero_weight``), as in a chunk
    where only some rows weigh 0; ``n_iter_`` is 0, as no epoch was trained (``loss_curve_``
    grows by ``n_iter_`` per call). A first call has built the network and learnt ``classes_``.
    The call ran to its end, so ``stop_reason_`` and ``history_.stop_reason`` (and its message) both say
    ``"partial_fit"``, as after a call that trained: the history kept the previous call's reason ("interrupted",
    "callback") while ``stop_reason_`` said "partial_fit".
    """
    est.n_iter_ = 0
    est.t_ = int(getattr(est, "t_", 0))
    est.loss_curve_ = list(est.history_.train_loss)
    est.loss_ = est.history_.train_loss[-1] if est.history_.train_loss else math.nan  # NaN: no epoch trained yet
    est.stop_reason_ = est.history_.stop_reason = "partial_fit"
    est.history_.stop_message = STOP_REASONS["partial_fit"]
    keep_frozen_record(est)


def warn_not_converged(est: _BaseMLP) -> None:
    """scikit-learn's ``ConvergenceWarning`` for a stochastic fit that ran ``max_iter`` epochs (in memory or streamed), at the user's line."""
    warnings.warn(
        f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the optimization hasn't converged yet.",
        ConvergenceWarning,
        stacklevel=user_stacklevel(),
    )


#: scikit-learn's words (and category) for a batch_size over the rows a fit trains on; a streamed fit says it once for the whole source
#: and silences each chunk's own (a pass's last chunk may hold fewer rows than a batch: that is no clipping of the user's batch)
BATCH_CLIPPED = "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
NON_FINITE = "Solver produced non-finite parameter weights. The input data may contain large values and need to be preprocessed."


def _split_sizes(n: int, fraction: float) -> tuple[int, int]:
    """``(training rows, held-out rows)`` of scikit-learn's ``train_test_split`` of ``n`` rows at ``test_size=fraction``."""
    held = math.ceil(fraction * n)
    return n - held, held


def _check_weighted_split(n: int, fraction: float) -> None:
    """Refuse an early-stopping split of ``n`` weighted rows (those of ``sample_weight`` > 0: the others are left out
    before it) that leaves fewer than 2 rows to score or none to train on, in one line naming the rows it needs.

    Without it one weighted row met scikit-learn's ``train_test_split`` error ("With n_samples=1 ... the resulting
    train set will be empty") or its stratification error, neither of which says the weights made the data small.
    """
    def fits(m: int) -> bool:
        train, held = _split_sizes(m, fraction)
        return train >= 1 and held >= 2

    if fits(n):
        return
    need = max(3, math.floor(1 / fraction) + 1, math.ceil(1 / (1 - fraction)))  # about the least m that fits; rounding fixed below
    while need > 3 and fits(need - 1):
        need -= 1
    while not fits(need):
        need += 1
    raise ValueError(f"early_stopping=True holds out validation_fraction={fraction:g} of the rows to score each epoch and needs "
                     f"at least {need} rows for it (2 held out, 1 to train on), and {n} row(s) have sample_weight > 0 (rows of "
                     f"weight 0 are as if absent): give at least {need} rows a weight > 0, or pass early_stopping=False.")


def _check_stratifiable(y: np.ndarray, fraction: float) -> None:
    """scikit-learn's error for a class too small to split, naming the classes as given (``['True']``); and one line
    for a split with fewer held-out (or training) rows than classes, naming ``validation_fraction`` and the share that fits.

    sklearn stratifies on its 0/1 indicator column and so names ``'True'``/``'False'``
    whatever the labels; the split is the same either way (classes sorted alike). Its error for too few
    rows per side, "The test_size = 1 should be greater or equal to the number of classes = 2", names
    ``train_test_split``'s ``test_size``, which no parameter of the estimator is (and which ``hiddenlayers
    train --test-size`` is: another split), so a user changed the wrong setting.
    """
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        too_few = [str(c) for c in classes[counts < 2]]
        raise ValueError(
            "The least populated classes in y have only 1 member, which is too few. The minimum number of groups "
            f"for any class cannot be less than 2. Classes with too few members are: {too_few}"
        )
    n, k = len(y), len(classes)
    train, held = _split_sizes(n, fraction)
    if held >= k and train >= k:
        return
    if held < k:  # the least share, in hundredths, that holds out one row of each class (and the 2 rows scoring needs)
        share, way = math.ceil(max(k, 2) / n * 100) / 100, "raise validation_fraction to at least"
    else:  # the most share that leaves one row of each class to train on
        share, way = math.floor((n - k) / n * 100) / 100, "lower validation_fraction to at most"
    train_at, held_at = _split_sizes(n, share)
    fits = 0 < share < 1 and train_at >= k and held_at >= max(k, 2)
    fix = f"{way} {share:g}, use more rows" if fits else "use more rows"
    raise ValueError(
        f"early_stopping=True holds out validation_fraction={fraction:g} of the {n} rows ({held} held out, {train} to train on), and its "
        f"split by class needs at least one row of each of the {k} classes on each side: {fix}, or pass early_stopping=False."
    )


def optimizer_kwargs(est: _BaseMLP) -> dict[str, Any]:
    """The solver's own settings from the estimator's sklearn parameters."""
    if est.solver == "sgd":
        return {"momentum": est.momentum, "nesterov": est.nesterovs_momentum}
    if est.solver in ("adam", "adamw"):
        kw: dict[str, Any] = {"beta_1": est.beta_1, "beta_2": est.beta_2, "epsilon": est.epsilon}
        if est.solver == "adamw":
            kw["weight_decay"] = est.alpha
        return kw
    return {"epsilon": est.epsilon}


def fit_lbfgs(est: _BaseMLP, X: Any, Y: np.ndarray, sample_weight: Any) -> None:
    """Full-batch L-BFGS fit (``solver='lbfgs'``); sets sklearn's fitted attributes.

    Ctrl-C stops it as it stops the stochastic solvers (an ``InterruptedWarning``,
    ``stop_reason_ == "interrupted"``): the model keeps the lowest-loss weights
    evaluated, ``loss_`` is their loss and ``n_iter_`` counts the completed iterations (and the one
    Ctrl-C cut, when its point is the one kept: ``history_`` then ends on the weights held).

    A warm fit (``warm_start``) goes on with ``history_`` as the stochastic solvers' do: its
    iterations are numbered after the last epoch (callbacks such as ``Timelapse`` see the same
    numbers), ``loss_curve_`` holds every call's, and ``t_`` adds this call's samples
    (rows x iterations). ``n_iter_`` counts this call's iterations, as scikit-learn's
    warm L-BFGS does. (scikit-learn keeps no ``loss_curve_`` for L-BFGS at all.)

    ``loss_threshold`` and ``max_time`` stop it after the iteration that crosses them, with the
    stochastic solvers' ``stop_reason_`` (``"loss_below"``, ``"time_limit"``).
    """
    from ..training import fit_lbfgs

    _, stopping, _ = _stopping_rules(est, incremental=False)  # loss_threshold, max_time (L-BFGS has its own tol test)
    hist, res = fit_lbfgs(
        est.network_, X, Y, loss=est._loss(), alpha=est.alpha, sample_weight=sample_weight,
        max_iter=est.max_iter, max_fun=est.max_fun, tol=est.tol, history=est.history_, engine=est.engine,
        callbacks=check_callbacks(est.callbacks), stopping=stopping,
    )
    est.history_ = hist
    est.n_iter_ = int(res.nit)
    est.loss_ = float(res.fun)
    est.loss_curve_ = list(hist.train_loss)
    finite = [v for v in (*hist.train_loss, est.loss_) if np.isfinite(v)]
    est.best_loss_ = min(finite) if finite else math.inf  # the stochastic solvers' (and scikit-learn's) start: no loss reached yet
    est.stop_reason_ = hist.stop_reason
    est.t_ = int(est.t_) + X.shape[0] * est.n_iter_
