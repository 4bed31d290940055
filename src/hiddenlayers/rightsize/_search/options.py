"""The checks of :func:`~hiddenlayers.rightsize.search`'s settings that need no data: one rule set, two callers.

:func:`check_search_options` is what :func:`search` runs first, and what the
``hiddenlayers search`` command runs before it reads the table, so a mistyped
option is one line, said before a big file is read or checked. What needs
the data (the number of inputs and outputs a budget counts) stays in
:func:`search`; here a budget is refused only when no data could meet it
(:meth:`~hiddenlayers.rightsize.SearchSpace.fits_budget`).
"""

from __future__ import annotations

import numbers
import os
from typing import Any

from .run import COST_OBJECTIVES
from .space import SearchSpace, budget_error, smallest_spec
from .storage import check_storage_file

OBJECTIVES = ("score", *COST_OBJECTIVES)


def check_search_options(
    *,
    objectives: Any = ("score",),
    trials: Any = 30,
    space: Any = None,
    task: Any = "auto",
    max_params: Any = None,
    max_flops: Any = None,
    max_latency_us: Any = None,
    max_epochs: Any = 100,
    validation_fraction: Any = None,
    storage: Any = None,
    study_name: Any = "hiddenlayers",
    workers: Any = 1,
    timeout: Any = None,
    warmup_epochs: Any = 5,
    min_peers: Any = 4,
    max_saved: Any = 10,
    cv: Any = "auto",
    patience: Any = 10,
    threads: Any = None,
    class_weight: Any = None,
    label_smoothing: Any = 0.0,
) -> tuple[str, ...]:
    """Raise one ``ValueError`` (``TypeError`` for a ``space`` of the wrong type) for the first of :func:`search`'s settings that cannot run.

    Runs before any data is read; returns the objectives as a lower-case tuple. A storage file is read (never written)
    to see that it holds an Optuna study; ``max_params`` / ``max_flops`` are refused when even one input and one output
    leave no spec of ``space`` within them.

    Parameters
    ----------
    objectives, trials, space, task, max_params, max_flops, max_latency_us, max_epochs, validation_fraction, storage, study_name, workers, timeout, warmup_epochs, min_peers, max_saved, cv, patience, threads, class_weight, label_smoothing
        :func:`search`'s settings of these names, with its defaults.

    Examples
    --------
    >>> check_search_options(objectives="score", storage="search.txt")  # doctest: +SKIP
    ValueError: storage must be a journal file (*.log, *.journal or journal:PATH), ...
    """
    objectives = _objectives(objectives)
    for name, v in (("trials", trials), ("workers", workers), ("patience", patience), ("threads", 1 if threads is None else threads)):
        if not _whole(v) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1. Received: {name}={v!r}.")
    if not (isinstance(cv, str) and cv == "auto") and (not _whole(cv) or not 1 <= cv <= 20):
        raise ValueError(f"cv must be 'auto' or a number of folds from 1 (one validation split) to 20. Received: cv={cv!r}.")
    for name, v, what in (("max_params", max_params, "integer"), ("max_flops", max_flops, "integer (FLOPs of one prediction)")):
        if v is not None and (not _whole(v) or v < 1):
            raise ValueError(f"{name} must be a positive {what} or None. Received: {name}={v!r}.")
    if max_latency_us is not None and not (_real(max_latency_us) and max_latency_us > 0):
        raise ValueError(f"max_latency_us must be a positive number of microseconds or None. Received: max_latency_us={max_latency_us!r}.")
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression'. Received: task={task!r}.")
    space = SearchSpace() if space is None else space
    if not isinstance(space, SearchSpace):
        raise TypeError(f"space must be a SearchSpace or None. Received: {type(space).__name__}.")
    space.check()
    _check_counts(max_epochs=max_epochs, warmup_epochs=warmup_epochs, min_peers=min_peers, max_saved=max_saved)
    if validation_fraction is not None and (not _real(validation_fraction) or not 0 < validation_fraction < 1):  # None: 0.2
        raise ValueError(f"validation_fraction must be a share of rows in (0, 1), e.g. 0.2. Received: validation_fraction={validation_fraction!r}.")
    if timeout is not None and (not _real(timeout) or not timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None. Received: timeout={timeout!r}.")
    if not isinstance(study_name, str) or not study_name.strip():  # None: Optuna named a new study, and the result found none of its trials
        raise ValueError(f"study_name must be a non-empty string (the study's name in storage, and the model files' prefix). "
                         f"Received: study_name={study_name!r}.")
    if isinstance(storage, (str, os.PathLike)):
        check_storage_file(os.fspath(storage))
    elif workers > 1 and storage is not None:
        raise ValueError("workers > 1 needs storage as a URL or file path (processes open it themselves).")
    if not space.fits_budget(max_params, max_flops):  # on the smallest data, one column and one output
        raise ValueError(budget_error(max_params, max_flops, smallest_spec(space.layers, space.widths, None, None)))
    _check_classifier_options(class_weight, label_smoothing)
    return objectives


def _check_classifier_options(class_weight: Any, label_smoothing: Any) -> None:
    """``class_weight`` as :class:`~hiddenlayers.MLPClassifier` checks it alone (its labels are checked with ``y``), ``label_smoothing`` in [0, 1)."""
    from ...estimators import check_class_weight

    check_class_weight(class_weight)
    if not _real(label_smoothing) or not 0 <= label_smoothing < 1:
        raise ValueError(f"label_smoothing must be a share of each target in [0, 1), e.g. 0.1 (0: none). Received: label_smoothing={label_smoothing!r}.")


#: other names of the validation score (the estimator's ``score``: accuracy for a classifier, R² for a regressor), as ``--objectives`` reads them
_SCORE_NAMES = ("accuracy", "r2")


def _objectives(objectives: Any) -> tuple[str, ...]:
    """``objectives`` as a lower-case tuple: ``"score"`` first (``"accuracy"`` or ``"r2"`` read as it), then cost objectives, no repeats."""
    if isinstance(objectives, str):
        objectives = (objectives,)
    if not isinstance(objectives, (tuple, list)) or not all(isinstance(o, str) for o in objectives):
        raise ValueError(
            f"objectives must be a name or a list of names: 'score' followed by any of {', '.join(COST_OBJECTIVES)}. Received: objectives={objectives!r}."
        )
    objectives = tuple("score" if o.lower() in _SCORE_NAMES else o.lower() for o in objectives)
    if not objectives or objectives[0] != "score" or any(o not in OBJECTIVES for o in objectives) or len(set(objectives)) != len(objectives):
        raise ValueError(
            f"objectives must start with 'score' followed by any of {', '.join(COST_OBJECTIVES)} (no repeats). "
            f"Received: objectives={objectives!r}."
        )
    return objectives


def _check_counts(**counts: Any) -> None:
    """Each of ``max_epochs`` (>= 1), ``warmup_epochs``, ``min_peers`` (>= 0) and ``max_saved`` (>= 1) a whole number."""
    lows = {"max_epochs": 1, "warmup_epochs": 0, "min_peers": 0, "max_saved": 1}
    for name, v in counts.items():
        low = lows[name]
        if not _whole(v) or v < low:
            hint = " (refit=False refits none)" if name == "max_saved" else ""
            raise ValueError(f"{name} must be an integer >= {low}{hint}. Received: {name}={v!r}.")


def _whole(v: Any) -> bool:
    """An integer (Python's or NumPy's), not a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _real(v: Any) -> bool:
    """A real number (Python's or NumPy's), not a bool; NaN passes here and fails every comparison after."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


__all__ = ["OBJECTIVES", "check_search_options"]
