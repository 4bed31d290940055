"""Internals of :func:`hiddenlayers.search`: the trial objective and the workers that run it.

Kept apart from ``search.py`` (the public surface) and ``storage.py``
(storages) so each file holds one idea: this one runs trials.

A trial is scored by ``cv``-fold cross-validation: the configuration is
trained on every fold's training part while a :class:`FoldScore` callback
scores the held-out part after each epoch (and stops the fold after
``patience`` epochs without improvement). The trial's score is the peak of
the *mean* fold curve and its epoch is the one the refit on all the data
trains for: one 20% split of a small data set is too noisy to choose by.
The first fold doubles as the screen of :class:`HopelessStop`.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...training import Callback, reraise_interrupt
from .heldout import rows_digest
from .reach import OutOfReach, probe_latency
from .space import RATE, flops_of, outputs_of, params_of
from .storage import WORKER_ATTR, create_or_load, fail_dead_local_trials, make_storage, opened_storage, this_worker

COST_OBJECTIVES = ("params", "flops", "latency")


# ------------------------------------------------------------ hopeless trials
def best_so_far(curve: list[float]) -> list[float]:
    out, best = [], -math.inf
    for v in curve:
        if v == v:  # skip NaN
            best = max(best, v)
        out.append(best)
    return out


class HopelessStop(Callback):
    """Stop a trial whose validation score is below the median of its peers at the same epoch.

    Peers are completed trials that are *no more expensive* (parameters) when a
    cost is among the objectives, else all completed trials: a trial that is
    worse than cheaper finished ones at equal training time is heading to be
    dominated, which is the multi-objective form of Optuna's median rule.
    Needs ``min_peers`` peers and ``warmup`` epochs before it may stop anything.
    """

    def __init__(self, peers: list[list[float]], warmup: int, min_peers: int, trial: Any = None) -> None:
        self.peers = [best_so_far(c) for c in peers if c]
        self.warmup = warmup
        self.min_peers = min_peers
        self.trial = trial  # single-objective: report each epoch to Optuna too (dashboards)
        self.curve: list[float] = []
        self.stopped_at: int | None = None

    def on_epoch_end(self, **kwargs: Any) -> None:
        logs = kwargs["logs"]
        score = float(logs["val_score"])
        self.curve.append(score)
        epoch = len(self.curve)
        if self.trial is not None and score == score:
            self.trial.report(score, epoch)
        if epoch < self.warmup or len(self.peers) < self.min_peers:
            return
        at = [c[min(epoch, len(c)) - 1] for c in self.peers]
        if best_so_far(self.curve)[-1] < float(np.median(at)):
            self.stopped_at = epoch
            kwargs["state"].stop_training = True


# ---------------------------------------------------------------- objective
@dataclass
class TrialSetup:
    """Everything a worker needs to run trials (picklable for spawned processes).

    ``cv``: folds per trial (1 = one ``validation_fraction`` split);
    ``patience``: epochs without a better held-out score before a fold stops.
    ``sample_weight`` ``(n,)`` or None, ``class_weight`` and ``label_smoothing``: what every
    trial's estimator (and the refit) trains with; the held-out score is weighted by
    :func:`score_weights`. ``scale_target``: the regressors standardize y (:class:`~hiddenlayers.MLPRegressor`'s).
    """

    X: Any
    y: Any
    classifier: bool
    objectives: tuple[str, ...]
    choices: list[str]
    space: Any
    max_epochs: int
    validation_fraction: float
    max_latency_us: float | None
    warmup: int
    min_peers: int
    random_state: int
    latency_calls: int
    cv: int = 1
    patience: int = 10
    sample_weight: Any = None
    class_weight: Any = None
    label_smoothing: float = 0.0
    scale_target: bool = False
    data: dict[str, Any] | None = None  # what the trials are scored on (:func:`data_of`); a resumed study refuses other data
    heldout: Any = None  # the user's own validation rows (:class:`~hiddenlayers.rightsize._search.heldout.HeldOut`): no folds then


def data_of(X: np.ndarray, y: np.ndarray, classifier: bool) -> dict[str, Any]:
    """``{"task", "rows", "columns", "digest"}``: the data a search's trials are scored on, as each trial records it.

    ``digest``: :func:`rows_digest` of ``X`` and ``y``.
    Why: a resumed study whose trials were scored on another target or other rows would rank their
    scores (an accuracy beside an R², say) with this search's, and refit the winner on this data.
    """
    return {"task": "classification" if classifier else "regression", "rows": int(X.shape[0]), "columns": int(X.shape[1]),
            "digest": rows_digest(X, y, classifier)}


def score_weights(setup: TrialSetup) -> np.ndarray | None:
    """Per-row weights ``(n,)`` of the held-out score, or None: ``sample_weight`` times ``class_weight``'s row weights.

    Computed over all of ``setup.y`` and sliced per fold, as :class:`~hiddenlayers.MLPClassifier`'s
    early stopping computes them over its ``y`` and splits them: with ``class_weight="balanced"``
    every class counts alike in the score that ranks the trials (about the balanced accuracy).
    Raises the estimator's ValueError for a ``class_weight`` that does not fit ``y``.
    """
    from sklearn.utils.multiclass import type_of_target

    from ...estimators import class_row_weights, combine

    rows = None
    if setup.classifier and setup.class_weight is not None:
        y = np.asarray(setup.y)
        rows = class_row_weights(setup.class_weight, np.unique(y) if y.ndim == 1 else np.arange(y.shape[1]), y, type_of_target(y),
                                 incremental=False)
    return combine(rows, None if setup.sample_weight is None else np.asarray(setup.sample_weight, dtype=np.float64))


def scored_parts(setup: TrialSetup) -> list[tuple[Any, Any, Any, Any, Any, Any]]:
    """``(X_train, y_train, sample_weight_train, X_held, y_held, score_weights_held)`` per fold (:func:`make_folds`), or the one
    part of the user's validation rows (``setup.heldout``: all of ``X`` trains, ``X_val`` is scored; no folds)."""
    sw = setup.sample_weight
    if setup.heldout is not None:
        from .heldout import heldout_score_weights

        h = setup.heldout
        return [(setup.X, setup.y, sw, h.X, h.y, heldout_score_weights(h, setup.class_weight, setup.classifier))]
    weights = score_weights(setup)
    return [(setup.X[tr], setup.y[tr], None if sw is None else sw[tr], setup.X[va], setup.y[va], None if weights is None else weights[va])
            for tr, va in make_folds(setup)]


def make_folds(setup: TrialSetup) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train rows, held-out rows)`` per fold; stratified for classes; the same for every trial."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    y = np.asarray(setup.y)
    rows = np.arange(len(y))
    counts = np.unique(y, return_counts=True)[1] if setup.classifier and y.ndim == 1 else np.array([0])  # multilabel: not stratified
    if setup.cv == 1:
        strat = y if setup.classifier and counts.min() >= 2 else None
        tr, va = train_test_split(rows, test_size=setup.validation_fraction, random_state=setup.random_state, stratify=strat)
        return [(np.sort(tr), np.sort(va))]
    if setup.classifier and counts.min() >= setup.cv:
        return list(StratifiedKFold(setup.cv, shuffle=True, random_state=setup.random_state).split(rows, y))
    return list(KFold(setup.cv, shuffle=True, random_state=setup.random_state).split(rows))


class FoldScore(Callback):
    """Score the held-out rows after every epoch (the estimator's own ``score``, weighted by ``sample_weight`` when given)
    and stop after ``patience`` flat epochs counted from epoch ``hold`` on.

    Under weight averaging (EMA, SWA) the averaged weights are scored, as the estimator's own
    validation scores them (``state.averaging.swapped()``): the weights a refit keeps. ``hold``:
    SWA's first averaged epoch, so patience cannot stop a fold before its averaging has started
    (1: patience counts from the first epoch). Writes the score into the epoch's ``logs["val_score"]``
    so callbacks after it (:class:`HopelessStop`) read it. ``model`` is set before ``fit``.
    """

    def __init__(self, X: Any, y: Any, patience: int, sample_weight: Any = None, hold: int = 1) -> None:
        self.X, self.y, self.patience, self.sample_weight, self.hold = X, y, patience, sample_weight, hold
        self.model: Any = None
        self.curve: list[float] = []
        self.best, self.flat = -math.inf, 0

    def on_epoch_end(self, **kwargs: Any) -> None:
        averaging = getattr(kwargs.get("state"), "averaging", None)
        with averaging.swapped() if averaging is not None else contextlib.nullcontext():
            self.model._cache_weights()  # predict reads the cached NumPy weights
            score = float(self.model.score(self.X, self.y, sample_weight=self.sample_weight))
        kwargs["logs"]["val_score"] = score
        self.curve.append(score)
        if score > self.best + 1e-12:
            self.best, self.flat = score, 0
        elif len(self.curve) >= self.hold:
            self.flat += 1
            if self.flat >= self.patience:
                kwargs["state"].stop_training = True


def mean_curve(curves: list[list[float]]) -> list[float]:
    """Per-epoch mean of fold curves; a fold that stopped early keeps its last score (NaN counts as -inf)."""
    n = max(len(c) for c in curves)
    grid = np.array([[v if v == v else -np.inf for v in c] + [c[-1] if c[-1] == c[-1] else -np.inf] * (n - len(c)) for c in curves])
    return [float(v) for v in grid.mean(axis=0)]


AVERAGED_ATTR = "averaged"  # the trial's user attribute: whether its score (at its best epoch) was of averaged weights
FIXED_ATTR = "fixed"  # the trial's user attribute holding the settings the space fixed (equal ends), not sampled


def suggest(trial: Any, setup: TrialSetup) -> dict[str, Any]:
    """Sample one configuration; the hidden layers are ONE categorical ``hidden`` value.

    Float settings whose ends are equal, and a ``weight_averaging`` or ``solver`` the
    space offers one of, are not sampled (Optuna would not record them in
    ``trial.params``): they go in the trial's ``fixed`` attribute, so the result rows
    and the refit read the values the trial trained with. When the solvers' learning-rate
    ranges differ, the solver is sampled first and the rate under its name (:func:`_suggest_rate`).
    """
    sp = setup.space
    fixed = sp.fixed()
    trial.set_user_attr(FIXED_ATTR, fixed)
    cfg: dict[str, Any] = {"hidden": trial.suggest_categorical("hidden", setup.choices)}
    cfg["activation"] = trial.suggest_categorical("activation", list(sp.activations))
    if "learning_rate_init" not in fixed and sp.rate_name_of(sp.solvers[0]) != RATE:  # the rate's range depends on the solver
        cfg["solver"] = trial.suggest_categorical("solver", list(sp.solvers))
    cfg["learning_rate_init"] = _suggest_rate(trial, sp, fixed, cfg.get("solver", fixed.get("solver")))
    for name in ("alpha", "dropout"):
        lo, hi = getattr(sp, name)
        cfg[name] = fixed[name] if name in fixed else trial.suggest_float(name, lo, hi, log=name == "alpha")
    cfg["batch_size"] = trial.suggest_categorical("batch_size", list(sp.batch_sizes))
    for name, values in (("weight_averaging", sp.weight_averaging), ("solver", sp.solvers)):
        if name not in cfg:
            cfg[name] = fixed[name] if name in fixed else trial.suggest_categorical(name, list(values))
    return cfg


def _suggest_rate(trial: Any, space: Any, fixed: dict[str, Any], solver: str | None) -> float:
    """The trial's learning rate: fixed, or sampled on a log scale in ``solver``'s range (None: the range every solver shares)
    under :meth:`~hiddenlayers.rightsize.SearchSpace.rate_name_of`'s name. A solver whose own range is one point
    is not sampled: the rate joins the trial's ``fixed`` attribute."""
    if RATE in fixed:
        return float(fixed[RATE])
    rates = space.learning_rates()
    lo, hi = rates[solver] if solver is not None else next(iter(rates.values()))
    if lo == hi:
        trial.set_user_attr(FIXED_ATTR, {**fixed, RATE: lo})
        return lo
    return float(trial.suggest_float(space.rate_name_of(solver), lo, hi, log=True))


SWA_START = 0.75  # a trial's SWA starts at this share of max_epochs: the estimators' default swa_start


def averaging_start(cfg: dict[str, Any], setup: TrialSetup) -> int:
    """The first epoch whose score is of averaged weights under ``cfg``'s ``weight_averaging``: 1 for EMA
    (it averages every step), SWA's start epoch (``SWA_START`` of ``max_epochs``), 0 without averaging."""
    from ...estimators import swa_start_epoch

    kind = cfg.get("weight_averaging")
    if kind is None:
        return 0
    return 1 if kind == "ema" else swa_start_epoch(SWA_START, setup.max_epochs)


def _averaging_options(cfg: dict[str, Any], setup: TrialSetup, epochs: int | None) -> dict[str, Any]:
    """The estimator's ``weight_averaging`` (and SWA's ``swa_start``) for a trial (``epochs`` None) or a refit of ``epochs``.

    A refit's SWA averages the epochs the trial averaged: from the trial's start epoch, given as an
    epoch; a refit that ends before it (the trial peaked before its averaging began) averages nothing,
    as its trial's best score did not, and trains with ``weight_averaging=None``.
    """
    kind = cfg.get("weight_averaging")
    if kind != "swa":
        return {"weight_averaging": kind}
    start = averaging_start(cfg, setup)
    if epochs is None:
        return {"weight_averaging": "swa", "swa_start": SWA_START}
    return {"weight_averaging": "swa", "swa_start": start} if epochs >= start else {"weight_averaging": None}


def build_estimator(cfg: dict[str, Any], setup: TrialSetup, callbacks: list[Any] | None, epochs: int | None = None) -> Any:
    """The estimator of one configuration: ``epochs`` fixed (a refit), else up to ``max_epochs`` under the callbacks' stop.

    A refit anneals the learning rate to 0 over its epochs (cosine): at a
    constant rate the last epoch's weights land wherever the step noise leaves
    them (one digits configuration: held-out accuracy 0.93-0.97 over four seeds), annealed
    they settle (0.978-0.982 over the same four seeds). Not so for a search on the user's own validation rows
    (``setup.heldout``): the trial trained on all of ``X`` too, so the refit keeps its constant rate and is the
    trial's model at its best epoch, scoring on ``X_val`` what the trial reported (annealed, six searches on
    breast_cancer, digits and diabetes lost 0.009-0.065 of it there). ``cfg``'s ``solver`` and ``weight_averaging`` (missing:
    adam and none, what trials stored before they were searched used) see :func:`_averaging_options`.
    """
    from ...estimators import MLPClassifier, MLPRegressor

    widths = [int(w) for w in cfg["hidden"].split(",")]
    drop = float(cfg["dropout"])
    hidden: Any = tuple(widths) if drop == 0 else ",".join(f"{w}:dropout={drop!r}" for w in widths)
    cls = MLPClassifier if setup.classifier else MLPRegressor
    extra = ({"class_weight": setup.class_weight, "label_smoothing": setup.label_smoothing} if setup.classifier
             else {"scale_target": setup.scale_target})
    return cls(
        hidden_layer_sizes=hidden, activation=cfg["activation"], learning_rate_init=cfg["learning_rate_init"],
        alpha=cfg["alpha"], batch_size=int(cfg["batch_size"]), max_iter=epochs or setup.max_epochs, early_stopping=False,
        learning_rate="cosine" if epochs and setup.heldout is None else "constant",
        n_iter_no_change=10**6 if epochs else setup.patience, random_state=setup.random_state, callbacks=callbacks, device="cpu",
        solver=cfg.get("solver", "adam"), **_averaging_options(cfg, setup, epochs), **extra,
    )


def measure_latency(model: Any, X: Any, calls: int) -> tuple[float, float]:
    """``(median, spread)`` of ``model.predict``'s time on one row (µs), over ``calls`` timed calls; see :func:`latency_conditions`.

    ``spread`` is half the interquartile range of the calls: how far one timing
    strays from the median, which the Pareto front takes as the latency's resolution
    (:func:`~hiddenlayers.rightsize._search.dominance.same_latency`).
    """
    from .._cost import time_calls

    x1 = np.ascontiguousarray(np.asarray(X[:1], dtype=np.float32))
    times = time_calls(lambda: model.predict(x1), calls) * 1e6
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return float(median), float(q3 - q1) / 2.0


def probe_cheapest(setup: TrialSetup) -> tuple[str, float, float]:
    """``(spec, median, spread)``: the space's cheapest spec timed as a trial is (:func:`~.reach.probe_latency` with this module's builders)."""
    return probe_latency(setup, build_estimator, fit_or_interrupt, measure_latency)


def latency_conditions() -> dict[str, int | None]:
    """The threads a latency is measured under: ``torch_threads`` and ``blas_threads`` (NumPy's BLAS; None when none is loaded).

    Why: a latency in µs means little without them (4 threads against 1 can
    halve it), and search workers or a resumed search may run under others;
    :func:`~hiddenlayers.cost` reports the same two.
    """
    import torch

    from .._cost import blas_threads

    return {"torch_threads": torch.get_num_threads(), "blas_threads": blas_threads()}


def fit_or_interrupt(model: Any, X: Any, y: Any, sample_weight: Any) -> None:
    """Fit ``model`` (its warnings silenced); a Ctrl-C the fit caught goes on as ``KeyboardInterrupt``.

    Why: the estimator's fit takes Ctrl-C as "stop here, keep the best weights"
    (``stop_reason_ == "interrupted"``), which is right for one fit and wrong for a search:
    the search went on with the next trial and scored the cut one as if it had finished.
    Raised here, Optuna marks the trial failed and the search stops (resumable from its storage).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y, sample_weight=sample_weight)
    reraise_interrupt(model)


class QuietInterrupt:
    """A logging filter for Optuna's trial log: drops its two "Trial N failed" records of a KeyboardInterrupt (and the traceback),
    and logs a trial failed by one of ``QUIET_ERRORS`` in Optuna's one line, without the traceback or the "failed with value None" after it.

    Why: Ctrl-C is the user's own act; the command says "interrupted" in one line,
    and Optuna's warning printed a 40-line traceback before it. A diverged trial printed
    30 lines of the search's own frames around a message that already names the fix.
    """

    def __init__(self) -> None:
        self.muted: str | None = None  # "Trial N failed with value": the record Optuna logs after the failure's

    def filter(self, record: Any) -> bool:
        info, text = record.exc_info, record.getMessage()
        if info and isinstance(info[1], (KeyboardInterrupt, *QUIET_ERRORS)):
            self.muted = text.split(" failed", 1)[0] + " failed with value"
            if isinstance(info[1], KeyboardInterrupt):
                return False
            record.exc_info, record.exc_text = None, None
            return True
        return not (self.muted is not None and text.startswith(self.muted))


@contextlib.contextmanager
def quiet_interrupts() -> Any:
    """:class:`QuietInterrupt` on Optuna's optimize logger inside the block."""
    import logging

    logger = logging.getLogger("optuna.study._optimize")
    quiet = QuietInterrupt()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


FOLD_SCORES_ATTR = "fold_scores_at_best"  # the trial's user attribute: each fold's score at its best epoch (the score is their mean)
FAILED_ATTR = "failed_because"  # the trial's user attribute: why it failed, in one line (a dead worker's trial too: storage.py)
#: what a trial may raise without ending the search: it is marked failed with its reason, and the next trial runs
TRIAL_ERRORS = (Exception,)
#: raised by the estimators with a message that names the fix: logged in one line, without Optuna's traceback
QUIET_ERRORS = (ValueError, FloatingPointError)


def failure_text(exc: BaseException) -> str:
    """``"ValueError: training diverged ..."``: an exception in one line, as a failed trial records it."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def objective(trial: Any, setup: TrialSetup) -> Any:
    """Train one configuration on every fold; return the objective values (score first).

    A trial that raises (one that diverges, say) records why in its ``failed_because`` attribute
    (:func:`failure_text`) before Optuna marks it failed: the result's ``trials()`` and ``search --json`` show it.
    """
    import optuna

    trial.set_user_attr(WORKER_ATTR, this_worker())  # first: lets a later search fail this trial if the process dies
    try:
        return _trial_values(trial, setup)
    except optuna.TrialPruned:
        raise
    except KeyboardInterrupt:
        trial.set_user_attr(FAILED_ATTR, "interrupted (Ctrl-C)")
        raise
    except Exception as exc:
        trial.set_user_attr(FAILED_ATTR, failure_text(exc))
        raise


def _trial_values(trial: Any, setup: TrialSetup) -> Any:
    """:func:`objective`'s work: the trial's settings and costs recorded, every fold trained and scored."""
    import optuna

    from ...estimators import class_weight_to_json
    from .budget import BUDGET_ATTR, budget_of
    from .limit import CONSTRAINT_KEY, LATENCY_ATTR, LATENCY_SPREAD_ATTR, trial_constraints

    cfg = suggest(trial, setup)
    widths = [int(w) for w in cfg["hidden"].split(",")]
    n_in = setup.X.shape[1]
    n_out = outputs_of(setup.y, setup.classifier)
    params = params_of(n_in, widths, n_out)
    trial.set_user_attr("spec", cfg["hidden"])
    trial.set_user_attr("params", params)
    trial.set_user_attr("flops", flops_of(n_in, widths, n_out))
    multi = len(setup.objectives) > 1
    cost_aware = any(o in COST_OBJECTIVES for o in setup.objectives)
    done = trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    peers = [t.user_attrs.get("curve", []) for t in done if not cost_aware or t.user_attrs.get("params", 0) <= params]
    if setup.classifier:  # what the trial trained and was scored with: a resumed study's trials say it
        trial.set_user_attr("class_weight", class_weight_to_json(setup.class_weight))
        trial.set_user_attr("label_smoothing", float(setup.label_smoothing))
    trial.set_user_attr("sample_weight", setup.sample_weight is not None)
    if setup.data is not None:  # a resumed study refuses other data (scoring.check_resumed_data)
        trial.set_user_attr("data", setup.data)
    if not setup.classifier:  # a resumed study refuses another scale_target (resumed.py)
        trial.set_user_attr("scale_target", bool(setup.scale_target))
    trial.set_user_attr(BUDGET_ATTR, budget_of(setup))  # a resumed study refuses another budget (budget.check_resumed_budget)
    curves, model = [], None
    for i, (X_tr, y_tr, sw_tr, X_va, y_va, w_va) in enumerate(scored_parts(setup)):
        scorer = FoldScore(X_va, y_va, setup.patience, w_va, hold=max(1, averaging_start(cfg, setup)))
        stop = HopelessStop(peers, setup.warmup, setup.min_peers, None if multi else trial) if i == 0 else None
        model = build_estimator(cfg, setup, [scorer] + ([stop] if stop else []))
        scorer.model = model
        fit_or_interrupt(model, X_tr, y_tr, sw_tr)
        curves.append(scorer.curve)
        if stop is not None:  # the first fold screens: peers compare against it
            trial.set_user_attr("curve", [float(v) if v == v else None for v in scorer.curve])
            if stop.stopped_at is not None:
                trial.set_user_attr("epochs", len(scorer.curve))
                trial.set_user_attr("stopped_at", int(stop.stopped_at))
                trial.set_user_attr("stopped_early", f"below the median of {len(stop.peers)} peer(s) at epoch {stop.stopped_at}")
                raise optuna.TrialPruned(f"hopeless at epoch {stop.stopped_at}")
    mean = mean_curve(curves)
    best_epoch = int(np.argmax(mean)) + 1
    score = mean[best_epoch - 1]
    if not math.isfinite(score):
        raise FloatingPointError(f"configuration {cfg['hidden']} diverged on every fold")
    trial.set_user_attr("cv_curve", mean)
    trial.set_user_attr("fold_scores", [float(max(c)) for c in curves])
    at_best = [c[min(best_epoch, len(c)) - 1] for c in curves]  # each fold's score at the epoch the refit trains for
    trial.set_user_attr(FOLD_SCORES_ATTR, [float(v) if v == v else None for v in at_best])
    trial.set_user_attr("best_epoch", best_epoch)
    start = averaging_start(cfg, setup)  # whether the best epoch's score was of averaged weights (an SWA may not have started)
    trial.set_user_attr(AVERAGED_ATTR, bool(start) and best_epoch >= start)
    trial.set_user_attr("epochs", len(mean))
    latency = None
    if "latency" in setup.objectives or setup.max_latency_us is not None:
        latency, spread = measure_latency(model, setup.X, setup.latency_calls)
        trial.set_user_attr(LATENCY_ATTR, latency)  # a resumed search judges the trial by it, under its own limit (limit.py)
        trial.set_user_attr(LATENCY_SPREAD_ATTR, spread)  # the front's resolution: closer latencies are the same (result.py)
        for key, threads in latency_conditions().items():  # what the latency was measured under
            trial.set_user_attr(key, threads)
    if setup.max_latency_us is not None and latency is not None:
        trial.set_user_attr("constraints", [latency - setup.max_latency_us])
        if trial_constraints():  # Optuna >= 5: the samplers read it from the trial (constraints_func is deprecated)
            trial.set_constraint(CONSTRAINT_KEY, latency - setup.max_latency_us)
    values = {"score": score, "params": params, "flops": trial.user_attrs["flops"], "latency": latency}
    out = [values[o] for o in setup.objectives]
    return out if multi else out[0]


def constraints_func(trial: Any) -> list[float]:
    """The latency constraint for Optuna < 5's samplers (``latency_us - max_latency_us``; <= 0 is feasible)."""
    return list(trial.user_attrs.get("constraints", [0.0]))


def make_sampler(n_objectives: int, seed: int | None, max_latency_us: float | None, latency_at: int | None = None) -> Any:
    """TPE for one objective, NSGA-II for several; constrained by the trials' latency under ``max_latency_us`` (µs) when given.

    ``latency_at``: the latency's index among the objectives (None: not one). NSGA-II then picks its parents under the
    Pareto front's rule, latencies within the timing's resolution the same (:class:`~hiddenlayers.rightsize._search.elite.SameLatencyElite`).

    Optuna 5 reads the constraint each trial sets (``set_constraint``), so the
    sampler gets no ``constraints_func`` there (it is deprecated and warned about).
    Either way the sampler is wrapped in :class:`~hiddenlayers.rightsize._search.limit.LimitSampler`:
    a resumed study's earlier trials count by their measured latency under
    *this* limit, not by the constraint stored under the limit they ran with.
    """
    import optuna

    from .elite import SameLatencyElite
    from .limit import LimitSampler, trial_constraints

    cf = constraints_func if max_latency_us is not None and not trial_constraints() else None
    with warnings.catch_warnings():  # Optuna 4 calls constraints_func experimental on every search; the user can do nothing about it
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if n_objectives == 1:
            inner: optuna.samplers.BaseSampler = optuna.samplers.TPESampler(seed=seed, constraints_func=cf, n_startup_trials=8)
        else:
            elite = SameLatencyElite(16, latency_at, max_latency_us) if latency_at is not None else None
            inner = optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf, population_size=16, elite_population_selection_strategy=elite)
    return LimitSampler(inner, max_latency_us)


def latency_index(objectives: tuple[str, ...]) -> int | None:
    """The latency's index among ``objectives``, None when it is not one."""
    return objectives.index("latency") if "latency" in objectives else None


def resumed_seed(seed: int | None, before: int) -> int | None:
    """The sampler's seed for a session that finds ``before`` trials in its study: ``seed`` itself for a new study.

    Why: the samplers draw their first configurations at random (TPE's startup
    trials, NSGA-II's first generation); a resumed session seeded as the first one
    drew the same configurations again, so every resumed trial repeated an earlier
    one and the budget it added was spent for nothing. Drawn from ``(seed, before)``:
    still reproducible, and another resume point gives another stream.
    """
    if seed is None or before == 0:
        return seed
    return int(np.random.SeedSequence([seed, before]).generate_state(1)[0])


def run_worker(setup: TrialSetup, storage: Any, name: str, directions: list[str], trials: int, seed: int | None,
               timeout: float | None, threads: int | None = 1, callbacks: list[Any] | None = None) -> None:
    """Run trials on study ``name`` until the study holds ``trials`` trials (all states).

    A resumed study counts its earlier trials: one that already holds
    ``trials`` runs none (Optuna's ``MaxTrialsCallback`` alone stops only after
    a trial, so every resume would add one). Under ``max_latency_us`` the worker stops early when no spec of the
    space can meet it (:class:`~hiddenlayers.rightsize._search.reach.OutOfReach`).
    """
    import optuna
    import torch

    if threads:
        torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with opened_storage(storage, check=False) as store:  # checked by search() before the workers started; closed on every exit
        _optimize(setup, store, name, directions, trials, seed, timeout, callbacks)


def _optimize(setup: TrialSetup, store: Any, name: str, directions: list[str], trials: int, seed: int | None,
              timeout: float | None, callbacks: list[Any] | None) -> None:
    """:func:`run_worker`'s trials on the open Optuna storage ``store``."""
    import optuna

    sampler = make_sampler(len(directions), seed, setup.max_latency_us, latency_index(setup.objectives))
    study = create_or_load(store, name, directions, sampler)
    fail_dead_local_trials(study)  # a killed worker loses only the trial it was running
    before = len(study.get_trials(deepcopy=False))
    remaining = trials - before
    if remaining <= 0:
        return
    if before:  # a resumed study: a sampler seeded as before would draw the earlier trials' configurations again
        study.sampler = make_sampler(len(directions), resumed_seed(seed, before), setup.max_latency_us, latency_index(setup.objectives))
    stop = optuna.study.MaxTrialsCallback(trials, states=None)  # other workers' trials count too
    reach = [OutOfReach(setup, probe_cheapest)] if setup.max_latency_us is not None else []  # a limit no spec meets stops it early
    with quiet_interrupts():  # Ctrl-C: the trial is marked failed and the KeyboardInterrupt goes on, without Optuna's traceback
        study.optimize(lambda t: objective(t, setup), n_trials=remaining, timeout=timeout, callbacks=[stop, *reach, *(callbacks or [])],
                       catch=TRIAL_ERRORS, gc_after_trial=False)

__all__ = ["AVERAGED_ATTR", "COST_OBJECTIVES", "FAILED_ATTR", "FIXED_ATTR", "FOLD_SCORES_ATTR", "SWA_START", "FoldScore", "HopelessStop", "TrialSetup", "create_or_load", "fail_dead_local_trials", "fit_or_interrupt", "make_folds",
           "make_storage", "objective", "resumed_seed", "run_worker", "score_weights", "scored_parts"]


# ------------------------------------------------------- worker processes
def write_job(setup: TrialSetup, folder: str, storage: str, name: str, directions: list[str], trials: int,
              timeout: float | None) -> str:
    """Write what a worker process needs (data as .npz, the rest as JSON); return the JSON path."""
    import dataclasses
    import json

    y = np.asarray(setup.y)
    if y.dtype == object:
        y = y.astype(str)
    from ...estimators import class_weight_to_json

    arrays: dict[str, Any] = {"X": np.asarray(setup.X), "y": y}
    if setup.sample_weight is not None:
        arrays["sample_weight"] = np.asarray(setup.sample_weight, dtype=np.float64)
    if setup.heldout is not None:  # the user's validation rows
        h = setup.heldout
        arrays.update(X_val=h.X, y_val=h.y.astype(str) if h.y.dtype == object else h.y)
        if h.w is not None:
            arrays["sample_weight_val"] = h.w
    np.savez(os.path.join(folder, "data.npz"), **arrays)
    job = {k: v for k, v in vars(setup).items() if k not in ("X", "y", "space", "sample_weight", "heldout")}
    job["class_weight"] = class_weight_to_json(setup.class_weight)  # a dict's labels keep their type
    job["objectives"] = list(setup.objectives)
    job["space"] = dataclasses.asdict(setup.space)
    job.update(storage=storage, name=name, directions=directions, trials=trials, timeout=timeout,
               arrays=os.path.join(folder, "data.npz"))  # not "data": that is the setup's data record, which the trials keep
    path = os.path.join(folder, "job.json")
    with open(path, "w") as fh:
        json.dump(job, fh)
    return path


def worker_main(job_path: str, seed: int) -> None:
    """Entry point of ``python -m hiddenlayers.rightsize._search.run JOB.json SEED``."""
    import json

    from .space import SearchSpace

    with open(job_path) as fh:
        job = json.load(fh)
    from ...estimators import class_weight_from_json

    with np.load(job.pop("arrays"), allow_pickle=False) as data:
        X, y = data["X"], data["y"]
        sample_weight = data["sample_weight"] if "sample_weight" in data.files else None
        heldout = None
        if "X_val" in data.files:
            from .heldout import HeldOut

            heldout = HeldOut(data["X_val"], data["y_val"], data["sample_weight_val"] if "sample_weight_val" in data.files else None)
    job["class_weight"] = class_weight_from_json(job["class_weight"])
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in job.pop("space").items()}
    if isinstance(fields["learning_rate_init"], dict):  # per-solver ranges: JSON made each pair a list
        fields["learning_rate_init"] = {k: tuple(v) for k, v in fields["learning_rate_init"].items()}
    space = SearchSpace(**fields)
    storage, name, directions = job.pop("storage"), job.pop("name"), job.pop("directions")
    trials, timeout = job.pop("trials"), job.pop("timeout")
    job["objectives"] = tuple(job["objectives"])
    setup = TrialSetup(X=X, y=y, space=space, sample_weight=sample_weight, heldout=heldout, **job)
    run_worker(setup, storage, name, directions, trials, seed, timeout, threads=1)


if __name__ == "__main__":  # pragma: no cover - run in worker processes
    import sys

    worker_main(sys.argv[1], int(sys.argv[2]))
