"""Hidden-layer configuration search on Optuna: accuracy against cost.

The number of hidden layers and every layer's width are **one** categorical
variable, ``hidden`` (e.g. ``"128,64"``): a trial never carries leftover
per-layer values from deeper trials, and specs over ``max_params`` are never
offered. Activation, learning rate, L2 ``alpha``, dropout and batch size are
searched beside it. One objective uses TPE; several (``score`` plus any of
``params``, ``flops``, ``latency``) use NSGA-II and return the Pareto front.
Each trial is scored by ``cv``-fold cross-validation (3 folds on data up to
20,000 rows by default): the mean fold curve gives both the score and the
number of epochs; the chosen configuration is then refitted on all the data
for that many epochs. Hopeless trials stop early from their first fold's
per-epoch scores, in multi-objective mode too (see
:class:`~hiddenlayers.rightsize._search.run.HopelessStop`).
The chosen rows, refits and their table / HTML page are
:class:`~hiddenlayers.rightsize.SearchResult`.

A ``storage`` (journal file, SQLite, PostgreSQL) makes the search resumable
and shareable: ``workers=N`` runs N local workers on it (this process and N - 1
fresh ones: :mod:`~hiddenlayers.rightsize._search.workers`), and other machines
can join with the same ``storage`` and ``study_name``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..._docsections import parameters_section
from .budget import check_resumed_budget
from .heldout import check_heldout, heldout_of, heldout_score_weights, refuse_split_settings
from .options import OBJECTIVES, check_search_options
from .result import SearchResult, _result
from .resumed import check_resumed_space
from .run import TrialSetup, data_of, latency_index, make_sampler, run_worker, score_weights
from .scoring import check_resumed_data, check_resumed_objectives, check_resumed_scoring
from .space import SearchSpace, budget_error, outputs_of, smallest_spec
from .storage import create_or_load, fail_dead_local_trials, opened_storage
from .workers import ProgressCallback, limited_threads, run_workers

AUTO_CV_ROWS = 20_000  # cv="auto": 3 folds up to this many rows, one validation split above


def _row_defaults(n_rows: int, cv: int | str, threads: int | None) -> tuple[int, int | None]:
    """``(folds, threads)``: ``cv="auto"`` and ``threads=None`` resolved for ``n_rows`` rows of data.

    Up to ``AUTO_CV_ROWS`` rows: 3 folds (one 20% split of a small data set is
    too noisy to choose by) and 1 thread (the models are small; spare threads
    only spin). Above: one validation split, threads left as they are.
    """
    folds = (3 if n_rows <= AUTO_CV_ROWS else 1) if cv == "auto" else int(cv)
    if threads is None and n_rows <= AUTO_CV_ROWS:
        threads = 1
    return folds, threads


def _hidden_choices(X: np.ndarray, y: np.ndarray, task: str, space: SearchSpace, max_params: int | None,
                    max_flops: int | None) -> tuple[bool, SearchSpace, list[str]]:
    """``(classifier, space, hidden specs)``: what the trials choose among, the specs over budget left out.

    The budgets count the output layer, so they need the task and the
    outputs (:func:`~hiddenlayers.rightsize._search.space.outputs_of`): a
    multilabel indicator is classification, one output per label.
    """
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    classifier = task == "classification" or (task == "auto" and kind in ("binary", "multiclass", "multilabel-indicator")
                                              and not _quantity(y))
    n_out = outputs_of(y, classifier)
    choices = space.hidden_choices(X.shape[1], n_out, max_params, max_flops)
    if not choices:
        raise ValueError(budget_error(max_params, max_flops, smallest_spec(space.layers, space.widths, X.shape[1], n_out)))
    return classifier, space, choices


def _quantity(y: np.ndarray) -> bool:
    """Whether ``task="auto"`` reads ``y`` as a regression target although scikit-learn's ``type_of_target`` calls it
    ``"multiclass"``: floats, each a whole number, with more than ``MAX_CLASSES_GUESS`` (20) distinct values.

    Why: diabetes' target (25.0 ... 346.0, 214 values) was searched as 214 classes, each trial scored by accuracy,
    where ``hiddenlayers search`` (:func:`~hiddenlayers.data.infer_task`) and the probes read it as a quantity.
    Integer labels stay classes, however many.
    """
    from ...data import MAX_CLASSES_GUESS

    return y.dtype.kind == "f" and y.ndim == 1 and np.unique(y).size > MAX_CLASSES_GUESS


def check_search_data(X: Any, y: Any, *, task: str = "auto", space: SearchSpace | None = None, max_params: int | None = None,
                      max_flops: int | None = None) -> None:
    """Raise ``search()``'s budget error (ValueError) when no hidden-layer spec of ``space`` fits ``max_params`` / ``max_flops`` for this data.

    :func:`check_search_options` checks the budget against the smallest data (one input, one output); this is the check
    with the data's own columns, which ``search`` makes too. A caller that prints a summary of the data first (the CLI)
    calls it before, so the error comes before anything else.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features)
        Sizes the first layer.
    y : array-like
        Its outputs size the last layer.
    task, space, max_params, max_flops
        As :func:`search` takes them.
    """
    _hidden_choices(X, np.asarray(y), task, space if space is not None else SearchSpace(), max_params, max_flops)


@contextlib.contextmanager
def _shared_storage(storage: Any, workers: int) -> Iterator[tuple[Any, bool]]:
    """``(storage, temporary)``: ``storage`` as given, or for ``workers > 1`` without one a
    journal file in a new temporary folder (processes share trials through it), removed on exit."""
    if workers == 1 or storage is not None:
        yield storage, False
        return
    folder = tempfile.mkdtemp(prefix="hl-search-")
    try:
        yield os.path.join(folder, "search.log"), True
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_SEARCH_PARAMETERS = """
Parameters
----------
X : array-like of shape (n_rows, n_features)
    Taken as the estimators take it (arrays, numeric DataFrames whose column names the refitted models keep, sparse
    matrices); text columns must be encoded first.
y : array-like of shape (n_rows,) or (n_rows, n_outputs)
    Labels or targets.
objectives : sequence of str
    ``"score"`` (validation accuracy or R², maximised; ``"accuracy"`` and ``"r2"`` name it too, as
    ``--objectives`` does) then any of ``"params"``, ``"flops"``, ``"latency"`` (batch-1 ``predict`` p50 µs),
    minimised.
trials : int
    Total trials in the study (a resumed study counts its earlier ones; parallel workers may overshoot by
    workers - 1); a failed trial (one that diverged, say) counts, as in Optuna's ``n_trials``: ``n_failed`` says how
    many.
space : SearchSpace, optional
    The space searched (default: its defaults; ``weight_averaging`` and ``solvers`` sampled per trial, the folds
    scoring the averaged weights, each solver's rate in its range; a resumed study that sampled other choices, or
    rates under other names, is refused).
task : {"auto", "classification", "regression"}
    ``"auto"``: labels and 0/1 label matrices are classification; floats, each a whole number, with more than 20
    distinct values (diabetes' 25.0 ... 346.0) are a regression target, as ``hiddenlayers search`` reads them.
max_params : int, optional
    Remove specs with more parameters from the space.
max_flops : int, optional
    Remove specs with more FLOPs per row from the space.
max_latency_us : float, optional
    A batch-1 ``predict`` p50 limit in µs, a constraint the sampler learns; the sampler and the result judge every
    trial by its measured latency under this limit (a resumed study's earlier trials too, whatever limit they ran
    under; their stored constraints are left as they are; one no spec can meet stops it early:
    :mod:`~hiddenlayers.rightsize._search.reach`).
max_epochs : int
    Epochs per fold.
validation_fraction : float, optional
    The held-out share of the one split when ``cv`` is 1 (None: 0.2).
storage : str, path or Optuna storage, optional
    Where the study lives (see :func:`~hiddenlayers.rightsize._search.storage.make_storage`): a journal file
    (``*.log``), SQLite (``sqlite:///F``, ``*.db``), a PostgreSQL URL; None: in memory.
study_name : str
    The study in ``storage``, resumed when it exists (one scored under another ``max_epochs``, ``cv``,
    ``validation_fraction`` or ``patience``: ResumedBudgetError).
workers : int
    ``N > 1`` runs N local workers on ``storage``: this process is worker 0 and N - 1 fresh processes are workers
    1..N-1, worker k's sampler seeded ``random_state + k`` (without a storage, a temporary journal file, removed at
    the end; the trials stay in ``study``).
timeout : float, optional
    Seconds after which no new trial starts.
random_state : int
    The sampler's and the models' seed.
warmup_epochs : int
    A trial may be stopped below its peers' median only after this many epochs.
min_peers : int
    A trial may be stopped below its peers' median only once this many peers' (other trials') curves are known.
save_dir : str or PathLike, optional
    Folder (made if missing) where the refitted configurations are saved as model files.
max_saved : int
    How many of the chosen configurations are refitted and saved.
refit : bool
    Refit the chosen configurations on all data.
before_refit : callable, optional
    Called with the result (its rows chosen, no model yet) after the last trial and before the first refit; what it
    raises ends the search there, no refit run (e.g. an output file that appeared during the trials refused at once).
progress : bool
    Show a progress bar.
cv : int or "auto"
    Folds per trial (``"auto"``: 3 up to 20,000 rows, else 1 = one ``validation_fraction`` split).
patience : int
    Epochs without a better held-out score before a fold stops.
threads : int, optional
    Torch and BLAS threads of an in-process search and the refit (None: 1 up to 20,000 rows, where the models are
    small and spare threads only spin; else as they are); with ``workers > 1`` every worker uses one, this
    process's settings restored after.
sample_weight : array-like of shape (n_rows,), optional
    Passed to every trial's estimator and the refits (a row of weight 0 is as if absent); weights the score.
class_weight : None, "balanced" or dict
    Classification only: passed to every trial's estimator and the refits, as
    :class:`~hiddenlayers.MLPClassifier` takes it; weights the score.
label_smoothing : float
    Classification only, in [0, 1): passed to every trial's estimator and the refits.
scale_target : bool
    Regression only: every trial's and refit's :class:`~hiddenlayers.MLPRegressor` standardizes y (as
    ``hiddenlayers train`` does by default).
X_val : array-like of shape (n_val, n_features), optional
    Your own validation rows, checked as ``X``: every trial is scored on them each epoch (no folds or split of
    ``X``: ``cv``/``validation_fraction`` refused beside them), pruning reads that curve, the refit trains on all
    of ``X``. A study resumed on other rows (or none) is refused.
y_val : array-like of shape (n_val,), optional
    The labels or targets of ``X_val``.
sample_weight_val : array-like of shape (n_val,), optional
    Weights of ``X_val``'s rows in the score (with ``class_weight``).
"""


@parameters_section(_SEARCH_PARAMETERS)
def search(
    X: Any,
    y: Any,
    *,
    objectives: Any = ("score",),
    trials: int = 30,
    space: SearchSpace | None = None,
    task: str = "auto",
    max_params: int | None = None,
    max_flops: int | None = None,
    max_latency_us: float | None = None,
    max_epochs: int = 100,
    validation_fraction: float | None = None,
    storage: Any = None,
    study_name: str = "hiddenlayers",
    workers: int = 1,
    timeout: float | None = None,
    random_state: int = 0, warmup_epochs: int = 5, min_peers: int = 4,
    save_dir: str | os.PathLike[str] | None = None, max_saved: int = 10,
    refit: bool = True, before_refit: Callable[[SearchResult], None] | None = None, progress: bool = False,
    cv: int | str = "auto", patience: int = 10, threads: int | None = None,
    sample_weight: Any = None, class_weight: Any = None,
    label_smoothing: float = 0.0, scale_target: bool = False,
    X_val: Any = None, y_val: Any = None, sample_weight_val: Any = None,
) -> SearchResult:
    """Search hidden-layer configurations for ``(X, y)``; return the best or the Pareto front.

    Each trial trains on ``cv`` folds (or one split, or your own validation rows) and may be stopped below its peers'
    median. Chosen configurations are refitted on all data for the epochs their mean fold curve peaked at (``refit``)
    and saved under ``save_dir`` as model files. With ``sample_weight`` or ``class_weight`` the held-out ``score`` that
    ranks the trials is weighted by ``sample_weight`` times the class weights, as the estimator's own early-stopping
    score is: with ``"balanced"`` every class counts alike (about the balanced accuracy), not the plain accuracy a
    majority class rules.

    Examples
    --------
    >>> found = search(X, y, objectives=("score", "latency"), trials=40, storage="search.log", workers=2)  # doctest: +SKIP
    >>> found.table()  # doctest: +SKIP
    """
    import optuna  # noqa: F401  (first: without optuna, search fails before any input check)

    validation = _validation(X_val, y_val, sample_weight_val, cv, validation_fraction, save_dir if refit else None)
    objectives = check_search_options(
        objectives=objectives, trials=trials, space=space, task=task, max_params=max_params, max_flops=max_flops,
        max_latency_us=max_latency_us, max_epochs=max_epochs, validation_fraction=validation_fraction, storage=storage,
        study_name=study_name, workers=workers, timeout=timeout, warmup_epochs=warmup_epochs, min_peers=min_peers, max_saved=max_saved, cv=cv,
        patience=patience, threads=threads, class_weight=class_weight, label_smoothing=label_smoothing)
    space = space if space is not None else SearchSpace()
    setup, threads, rows = _trial_setup(
        X, y, objectives, space, task=task, cv=cv, threads=threads, max_params=max_params, max_flops=max_flops,
        max_epochs=max_epochs, validation_fraction=0.2 if validation_fraction is None else validation_fraction, max_latency_us=max_latency_us,
        warmup_epochs=warmup_epochs, min_peers=min_peers, random_state=random_state, patience=patience,
        sample_weight=sample_weight, class_weight=class_weight, label_smoothing=label_smoothing, scale_target=scale_target,
        validation=validation)
    with limited_threads(threads), _run_study(setup, storage, study_name, trials=trials, workers=workers, seed=random_state,
                                              timeout=timeout, progress=progress) as (study, storage):
        return _result(study, setup, objectives, storage, study_name, save_dir, max_saved, refit, _rows(X, y, rows), before_refit)


def _check_save_dir(save_dir: str | os.PathLike[str] | None) -> None:
    """One ValueError, before any trial, where ``save_dir`` cannot take the model files: a file is there (or above it),
    or its nearest existing folder takes no file (:func:`~hiddenlayers._files.write_problem`).

    Why before: the files are written after the last trial's refit, and a missing folder (or a file of that name) failed
    there, the search's result lost with the exception (its trials kept only in a ``storage``).
    """
    from pathlib import Path

    from ..._files import write_problem

    if save_dir is None:
        return
    folder = Path(save_dir)
    existing = next(p for p in (folder, *folder.parents) if p.exists() or p == Path(p.anchor or "."))
    if not existing.is_dir():
        raise ValueError(f"save_dir={os.fspath(save_dir)!r}: '{existing}' is a file, not a folder: give a folder for the model files.")
    problem = write_problem(existing)
    if problem is not None:
        raise ValueError(f"save_dir={os.fspath(save_dir)!r} cannot be written (folder '{existing}': {problem}): "
                         "give a folder you can write to.")


def _validation(X_val: Any, y_val: Any, sample_weight_val: Any, cv: Any, validation_fraction: Any,
                save_dir: Any = None) -> tuple[Any, Any, Any] | None:
    """``(X_val, y_val, sample_weight_val)`` as given, or None without them; a ValueError for a pairing that cannot be used
    (the estimators' words) or for ``cv`` / ``validation_fraction`` beside them (:func:`~.heldout.refuse_split_settings`).
    ``save_dir`` (None: no model files) is checked first, as the other places a search writes (:func:`_check_save_dir`)."""
    from ...estimators import validation_given

    _check_save_dir(save_dir)

    if not validation_given(X_val, y_val, sample_weight_val):
        return None
    refuse_split_settings(cv, validation_fraction)
    return X_val, y_val, sample_weight_val


def _trial_setup(X: Any, y: Any, objectives: tuple[str, ...], space: SearchSpace, *, task: str, cv: int | str,
                 threads: int | None, max_params: int | None, max_flops: int | None, max_epochs: int,
                 validation_fraction: float, max_latency_us: float | None, warmup_epochs: int, min_peers: int,
                 random_state: int, patience: int, sample_weight: Any = None, class_weight: Any = None,
                 label_smoothing: float = 0.0, scale_target: bool = False,
                 validation: tuple[Any, Any, Any] | None = None) -> tuple[TrialSetup, int | None, np.ndarray | None]:
    """``(setup, threads, rows)``: the checked data as dense arrays and what every trial needs, ``cv``
    and ``threads`` resolved for the number of rows (:func:`_row_defaults`); ``rows``: the indices of the rows of
    ``sample_weight`` > 0 the setup keeps (None: all). A row of weight 0 is as if absent, as in ``fit``: it would
    otherwise take a place in a fold (other rows' folds change) and count in the rows that set ``cv="auto"``.

    ``validation``: ``(X_val, y_val, sample_weight_val)`` or None (:mod:`~hiddenlayers.rightsize._search.heldout`): checked here,
    one "fold" then (``cv`` 1), and the data record holds their fingerprint.

    The weights are checked here, before any trial: a trial's ValueError only fails that
    trial, so a ``class_weight`` that does not fit ``y`` would otherwise fail them all, unsaid.
    """
    from ...estimators import check_sample_weight

    names = getattr(X, "columns", None)
    X, y = _inputs(X, y, task)
    sw = None if sample_weight is None else check_sample_weight(sample_weight, X)
    rows = None if sw is None or (sw > 0).all() or not (sw > 0).any() else np.flatnonzero(sw > 0)  # all 0: the fold check says so
    if rows is not None and sw is not None:
        X, y, sw = X[rows], y[rows], sw[rows]
    folds, threads = _row_defaults(X.shape[0], cv, threads)
    folds = 1 if validation is not None else folds  # the user's validation rows: one part, all of X trains
    if validation is None and X.shape[0] < max(folds, 2):  # before scikit-learn's KFold says it in its words
        rows_text = f"{X.shape[0]} row(s)" + ("" if sw is None else " of sample_weight > 0 (rows of weight 0 are as if absent)")
        raise ValueError(f"search() scores each trial on {max(folds, 2)} parts of the data and got {rows_text}: "
                         f"give at least {max(folds, 2)} rows a weight > 0, or pass a smaller cv (1 is one validation split).")
    classifier, space, choices = _hidden_choices(X, y, task, space, max_params, max_flops)
    _refuse_one_class(y, classifier, weighted=sw is not None)
    if not classifier and (class_weight is not None or label_smoothing):
        raise ValueError("class_weight and label_smoothing apply to classification, and y is a regression target: "
                         "drop them, or pass task='classification' for class labels.")
    if not isinstance(scale_target, (bool, np.bool_)):
        raise TypeError(f"scale_target must be True or False. Received: scale_target={scale_target!r}.")
    if classifier and scale_target:
        raise ValueError("scale_target applies to regression, and y holds class labels: drop it, or pass task='regression' for numbers.")
    held = None if validation is None else check_heldout(X, y, *validation, classifier=classifier, names=names)
    data = data_of(X, y, classifier) if held is None else {**data_of(X, y, classifier), "validation": heldout_of(held, classifier)}
    setup = TrialSetup(
        X=X, y=y, classifier=classifier, objectives=objectives, choices=choices, space=space, max_epochs=max_epochs,
        validation_fraction=validation_fraction, max_latency_us=max_latency_us, warmup=warmup_epochs, min_peers=min_peers,
        random_state=random_state, latency_calls=300, cv=folds, patience=patience, sample_weight=sw,
        class_weight=class_weight, label_smoothing=float(label_smoothing), scale_target=bool(scale_target),
        data=data, heldout=held)
    score_weights(setup)  # the estimator's error for a class_weight that does not fit y (every kept row weighs > 0: no fold weighs 0)
    if held is not None:
        heldout_score_weights(held, class_weight, classifier)
    return setup, threads, rows


def _refuse_one_class(y: np.ndarray, classifier: bool, *, weighted: bool) -> None:
    """One ValueError when class labels ``y`` ``(n,)`` (the rows of weight > 0, ``weighted``) hold a single class.

    Why: every trial then predicts that class and scores 1.0, so the search "succeeds" and ranks its trials by
    noise (``hiddenlayers search`` refuses such a target; ``fit`` accepts it, as scikit-learn's MLP does).
    """
    if not classifier or y.ndim != 1:
        return
    labels = np.unique(y)
    if len(labels) < 2:
        rows = f"{len(y)} row(s)" + (" of sample_weight > 0" if weighted else "")
        raise ValueError(f"y holds one class ({labels.tolist()[0]!r}) in {rows}: every trial would score 1.0 and the search could "
                         "rank nothing. Check y (the labels): a search needs at least 2 classes.")


def _rows(X: Any, y: Any, rows: np.ndarray | None) -> tuple[Any, Any]:
    """``(X, y)`` as given (a DataFrame keeps its column names for the refits), cut to ``rows`` unless None."""
    if rows is None:
        return X, y
    from sklearn.utils import _safe_indexing

    return _safe_indexing(X, rows), _safe_indexing(y, rows)


@contextlib.contextmanager
def _run_study(setup: TrialSetup, storage: Any, name: str, *, trials: int, workers: int, seed: int, timeout: float | None,
               progress: bool) -> Iterator[tuple[Any, Any]]:
    """``(study, storage)`` for the block, once study ``name`` holds ``trials`` trials, run in this process alone or, for
    ``workers`` > 1, in this process and ``workers - 1`` others (:func:`~.workers.run_workers`).

    Without a ``storage``, several workers share a temporary journal file; its
    trials are copied into memory before the file goes, and ``storage`` comes back None.
    The storage this opens is closed when the block ends, returns or raises (:func:`~.storage.opened_storage`): the
    study stays readable (an RDB engine connects again when asked), but no connection is left open for the garbage collector.
    """
    directions = ["maximize"] + ["minimize"] * (len(setup.objectives) - 1)
    sampler = make_sampler(len(setup.objectives), seed, setup.max_latency_us, latency_index(setup.objectives))
    with _shared_storage(storage, workers) as (storage, temporary), opened_storage(storage, check=False) as store:
        study = _open_study(store, name, directions, sampler, setup.objectives, storage)
        check_resumed_objectives(study, setup.objectives, storage)  # before any trial: the study's objectives must be ours,
        check_resumed_data(study, setup, storage)  # ... its trials scored on this data
        check_resumed_scoring(study, setup, storage)  # ... and its scores rank with ours,
        check_resumed_budget(study, setup, storage)  # ... earned under our epochs, folds and patience
        check_resumed_space(study, setup, storage)  # ... and its choice lists be ours (Optuna fails every trial otherwise)
        if workers == 1:
            bars = [ProgressCallback(trials)] if progress else []
            try:
                run_worker(setup, store, name, directions, trials, seed, timeout, threads=None, callbacks=bars)
            finally:  # Ctrl-C included: a live bar left running swallowed what the command printed after it
                for bar in bars:
                    bar.progress.stop()
        else:
            run_workers(setup, storage, store, name, directions, trials, seed, timeout, workers, progress, study)
        if temporary:  # the journal is ours and goes on exit: keep the trials in memory
            yield _in_memory(study, store), None
        else:
            yield study, storage


def _in_memory(study: Any, store: Any) -> Any:
    """A copy of ``study``, kept in ``store``, in Optuna's in-memory storage (its trials, directions and sampler)."""
    import optuna

    memory = optuna.storages.InMemoryStorage()
    optuna.copy_study(from_study_name=study.study_name, from_storage=store, to_storage=memory)
    return optuna.load_study(study_name=study.study_name, storage=memory, sampler=study.sampler)


def _open_study(store: Any, name: str, directions: list[str], sampler: Any, objectives: tuple[str, ...], storage: Any) -> Any:
    """The study ``name`` created or resumed in the open Optuna storage ``store`` (``storage``: as the user gave it), run
    for ``objectives`` (one of other directions refused by :func:`~.storage.create_or_load`).

    A trial left RUNNING by a killed worker is marked failed, not left to block the resumed study.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = create_or_load(store, name, directions, sampler, lambda other: check_resumed_objectives(other, objectives, storage))
    fail_dead_local_trials(study)
    return study


def _inputs(X: Any, y: Any, task: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` checked as the estimators check them (same errors), as dense float arrays for the trials."""
    import scipy.sparse as sp
    from sklearn.utils.multiclass import type_of_target

    from ...estimators import check_training_data

    yy = np.asarray(y)
    # a missing or infinite target first: the estimators' check names its rows (type_of_target said "Input contains NaN.")
    regression = task == "regression" or (task == "auto" and yy.dtype.kind in "fc" and (
        not np.isfinite(yy).all() or type_of_target(yy).startswith("continuous") or _quantity(yy)))
    X, y = check_training_data(X, y, regression=regression)  # DataError for text columns, as in fit
    if sp.issparse(X):
        if X.shape[0] * X.shape[1] > 50_000_000:
            raise ValueError(f"search() trains on dense arrays and X is a {X.shape[0]} x {X.shape[1]} sparse matrix: "
                             "reduce the columns (e.g. TruncatedSVD) or search on a sample of rows.")
        X = X.toarray()
    return np.asarray(X), np.asarray(y)


__all__ = ["OBJECTIVES", "SearchResult", "SearchSpace", "search"]
