"""Internals of :func:`hiddenlayers.search`: storage, the trial objective, workers.

Kept apart from ``search.py`` (the public surface) so each file holds one idea:
this one runs trials; that one describes the space and the result.
"""

from __future__ import annotations

import math
import os
import random
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .stopping import Callback

COST_OBJECTIVES = ("params", "flops", "latency")


# ------------------------------------------------------------------ storage
def make_storage(storage: Any) -> Any:
    """An Optuna storage from a URL or path; ``None`` -> in memory.

    ``*.log``/``*.journal``/``journal:PATH`` -> journal file (safe for many
    local processes, no server); ``sqlite:///F``, ``*.db``/``*.sqlite`` ->
    SQLite; ``postgresql://...`` -> PostgreSQL. RDB storages get a heartbeat,
    so a killed worker's running trial is marked failed, not left running.
    """
    import optuna

    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if not isinstance(storage, (str, os.PathLike)):
        raise TypeError(f"storage must be a URL or file path string. Received: {type(storage).__name__}.")
    text = os.fspath(storage)
    if text.startswith("journal:"):
        text = text[len("journal:"):]
        return _journal(text)
    if text.endswith((".log", ".journal", ".jsonl")):
        return _journal(text)
    if text.endswith((".db", ".sqlite", ".sqlite3")) and "://" not in text:
        text = f"sqlite:///{os.path.abspath(text)}"
    if text.startswith(("sqlite:", "postgresql", "postgres:", "mysql")):
        if text.startswith("postgres:"):
            text = "postgresql:" + text[len("postgres:"):]
        if text.startswith("postgresql://"):
            text = _pg_driver(text)
        kwargs: dict[str, Any] = {}
        if text.startswith("sqlite:"):
            kwargs["connect_args"] = {"timeout": 60}
        return _rdb(text, kwargs)
    raise ValueError(
        "storage must be a journal file (*.log, *.journal or journal:PATH), a SQLite file or URL "
        f"(*.db, sqlite:///F), or a PostgreSQL URL (postgresql://user@host/db). Received: storage={text!r}."
    )


def _pg_driver(url: str) -> str:
    """SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3; use psycopg2 when only it is installed."""
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def _rdb(url: str, engine_kwargs: dict[str, Any]) -> Any:
    """An RDB storage; several processes creating its tables at once race, so retry."""
    import optuna
    from sqlalchemy.exc import DBAPIError

    for attempt in range(8):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, heartbeat_interval=30, grace_period=120)
        except DBAPIError:  # "table already exists", unique version row, locked: another process creates the schema
            if attempt == 7:
                raise
            time.sleep(0.05 + random.random() * 0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _journal(path: str) -> Any:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))


def create_or_load(storage: Any, name: str, directions: list[str], sampler: Any) -> Any:
    """Create the study if it does not exist, else load it, surviving the creation race.

    Several processes creating one brand-new study at once can collide inside
    the RDB storage (a duplicate-key error instead of "already exists"): the
    losers wait a moment and load the winner's study.
    """
    import optuna

    last: Exception | None = None
    for attempt in range(8):
        try:
            study = optuna.create_study(storage=storage, study_name=name, directions=list(directions), sampler=sampler,  # type: ignore[arg-type]
                                        load_if_exists=True)
            break
        except Exception as exc:  # DuplicatedStudyError, IntegrityError, OperationalError (sqlite locked)
            last = exc
            time.sleep(0.05 + random.random() * 0.2 * (attempt + 1))
            try:
                study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
                break
            except Exception as exc2:  # not created yet by the winner: retry
                last = exc2
    else:
        raise RuntimeError(f"could not create or load study {name!r}: {type(last).__name__}: {last}") from last
    if [d.name.lower() for d in study.directions] != directions:
        raise ValueError(
            f"study {name!r} in this storage has directions {[d.name.lower() for d in study.directions]}, "
            f"but these objectives need {directions}: use another study_name."
        )
    return study


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
    """Everything a worker needs to run trials (picklable for spawned processes)."""

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


def flops_of(n_in: int, widths: list[int], n_out: int) -> int:
    """FLOPs of one prediction of a dense stack: 2 per multiply-add (as torch's counter)."""
    dims = [n_in, *widths, n_out]
    return int(sum(2 * a * b for a, b in zip(dims[:-1], dims[1:])))


def params_of(n_in: int, widths: list[int], n_out: int) -> int:
    dims = [n_in, *widths, n_out]
    return int(sum(a * b + b for a, b in zip(dims[:-1], dims[1:])))


def suggest(trial: Any, setup: TrialSetup) -> dict[str, Any]:
    """Sample one configuration; the hidden layers are ONE categorical ``hidden`` value."""
    sp = setup.space
    cfg: dict[str, Any] = {"hidden": trial.suggest_categorical("hidden", setup.choices)}
    cfg["activation"] = trial.suggest_categorical("activation", list(sp.activations))
    lo, hi = sp.learning_rate_init
    cfg["learning_rate_init"] = trial.suggest_float("learning_rate_init", lo, hi, log=True) if lo < hi else lo
    lo, hi = sp.alpha
    cfg["alpha"] = trial.suggest_float("alpha", lo, hi, log=True) if lo < hi else lo
    lo, hi = sp.dropout
    cfg["dropout"] = trial.suggest_float("dropout", lo, hi) if lo < hi else lo
    cfg["batch_size"] = trial.suggest_categorical("batch_size", list(sp.batch_sizes))
    return cfg


def build_estimator(cfg: dict[str, Any], setup: TrialSetup, callbacks: list[Any] | None) -> Any:
    from .estimators import MLPClassifier, MLPRegressor

    widths = [int(w) for w in cfg["hidden"].split(",")]
    drop = float(cfg["dropout"])
    hidden: Any = tuple(widths) if drop == 0 else ",".join(f"{w}:dropout={drop!r}" for w in widths)
    cls = MLPClassifier if setup.classifier else MLPRegressor
    return cls(
        hidden_layer_sizes=hidden, activation=cfg["activation"], learning_rate_init=cfg["learning_rate_init"],
        alpha=cfg["alpha"], batch_size=int(cfg["batch_size"]), max_iter=setup.max_epochs, early_stopping=True,
        validation_fraction=setup.validation_fraction, n_iter_no_change=10, random_state=setup.random_state,
        callbacks=callbacks, device="cpu",
    )


def measure_latency(model: Any, X: Any, calls: int) -> float:
    from .cost import time_calls

    x1 = np.ascontiguousarray(np.asarray(X[:1], dtype=np.float32))
    return float(np.median(time_calls(lambda: model.predict(x1), calls))) * 1e6


def objective(trial: Any, setup: TrialSetup) -> Any:
    """Train one configuration; return the objective values (score first)."""
    import optuna

    cfg = suggest(trial, setup)
    widths = [int(w) for w in cfg["hidden"].split(",")]
    n_in = setup.X.shape[1]
    n_out = len(np.unique(setup.y)) if setup.classifier else (1 if np.ndim(setup.y) == 1 else setup.y.shape[1])
    n_out = 1 if setup.classifier and n_out == 2 else n_out
    params = params_of(n_in, widths, n_out)
    trial.set_user_attr("spec", cfg["hidden"])
    trial.set_user_attr("params", params)
    trial.set_user_attr("flops", flops_of(n_in, widths, n_out))
    multi = len(setup.objectives) > 1
    cost_aware = any(o in COST_OBJECTIVES for o in setup.objectives)
    done = trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    peers = [t.user_attrs.get("curve", []) for t in done if not cost_aware or t.user_attrs.get("params", 0) <= params]
    stop = HopelessStop(peers, setup.warmup, setup.min_peers, None if multi else trial)
    model = build_estimator(cfg, setup, [stop])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(setup.X, setup.y)
    trial.set_user_attr("curve", [float(v) if v == v else None for v in stop.curve])
    trial.set_user_attr("epochs", len(stop.curve))
    if stop.stopped_at is not None:
        trial.set_user_attr("stopped_early", f"below the median of {len(stop.peers)} peer(s) at epoch {stop.stopped_at}")
        raise optuna.TrialPruned(f"hopeless at epoch {stop.stopped_at}")
    score = float(model.best_validation_score_)
    latency = None
    if "latency" in setup.objectives or setup.max_latency_us is not None:
        latency = measure_latency(model, setup.X, setup.latency_calls)
        trial.set_user_attr("latency_us", latency)
    if setup.max_latency_us is not None and latency is not None:
        trial.set_user_attr("constraints", [latency - setup.max_latency_us])
    values = {"score": score, "params": params, "flops": trial.user_attrs["flops"], "latency": latency}
    out = [values[o] for o in setup.objectives]
    return out if multi else out[0]


def constraints_func(trial: Any) -> list[float]:
    return list(trial.user_attrs.get("constraints", [0.0]))


def make_sampler(n_objectives: int, seed: int | None, constrained: bool) -> Any:
    import optuna

    cf = constraints_func if constrained else None
    if n_objectives == 1:
        return optuna.samplers.TPESampler(seed=seed, constraints_func=cf, n_startup_trials=8)
    return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf, population_size=16)


def run_worker(setup: TrialSetup, storage: Any, name: str, directions: list[str], trials: int, seed: int | None,
               timeout: float | None, threads: int | None = 1, callbacks: list[Any] | None = None) -> None:
    """Run trials on study ``name`` until the study holds ``trials`` trials (all states)."""
    import optuna
    import torch

    if threads:
        torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = make_storage(storage)
    sampler = make_sampler(len(directions), seed, setup.max_latency_us is not None)
    study = create_or_load(storage, name, directions, sampler)
    stop = optuna.study.MaxTrialsCallback(trials, states=None)
    study.optimize(lambda t: objective(t, setup), n_trials=trials, timeout=timeout, callbacks=[stop, *(callbacks or [])],
                   catch=(ValueError, FloatingPointError), gc_after_trial=False)


__all__ = ["COST_OBJECTIVES", "HopelessStop", "TrialSetup", "create_or_load", "make_storage", "objective", "run_worker"]


# ------------------------------------------------------- worker processes
def write_job(setup: TrialSetup, folder: str, storage: str, name: str, directions: list[str], trials: int,
              timeout: float | None) -> str:
    """Write what a worker process needs (data as .npz, the rest as JSON); return the JSON path."""
    import dataclasses
    import json

    y = np.asarray(setup.y)
    if y.dtype == object:
        y = y.astype(str)
    np.savez(os.path.join(folder, "data.npz"), X=np.asarray(setup.X), y=y)
    job = {k: v for k, v in vars(setup).items() if k not in ("X", "y", "space")}
    job["objectives"] = list(setup.objectives)
    job["space"] = dataclasses.asdict(setup.space)
    job.update(storage=storage, name=name, directions=directions, trials=trials, timeout=timeout,
               data=os.path.join(folder, "data.npz"))
    path = os.path.join(folder, "job.json")
    with open(path, "w") as fh:
        json.dump(job, fh)
    return path


def worker_main(job_path: str, seed: int) -> None:
    """Entry point of ``python -m hiddenlayers._search_run JOB.json SEED``."""
    import json

    from .search import SearchSpace

    with open(job_path) as fh:
        job = json.load(fh)
    with np.load(job.pop("data"), allow_pickle=False) as data:
        X, y = data["X"], data["y"]
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in job.pop("space").items()}
    space = SearchSpace(**fields)
    storage, name, directions = job.pop("storage"), job.pop("name"), job.pop("directions")
    trials, timeout = job.pop("trials"), job.pop("timeout")
    job["objectives"] = tuple(job["objectives"])
    setup = TrialSetup(X=X, y=y, space=space, **job)
    run_worker(setup, storage, name, directions, trials, seed, timeout, threads=1)


if __name__ == "__main__":  # pragma: no cover - run in worker processes
    import sys

    worker_main(sys.argv[1], int(sys.argv[2]))
