"""``check(X, y, X_new=None)``: run every data check and gather a :class:`DataReport`.

This module is in ``data/``, the lowest stage, so it does not import our MLP:
the label-error check takes ``label_model`` (a factory of scikit-learn-style
classifiers). ``hiddenlayers.check`` (top level, above every stage) passes our
fast :class:`~hiddenlayers.MLPClassifier`; ``hiddenlayers.data.check`` alone
skips that one check and says so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ...exceptions import DataError
from .._cells import check_column_names, decimal_floats
from .columns import check_constant, check_id_like, check_missing
from .common import Finding, model_matrix
from .drift import check_drift
from .duplicates import check_duplicates, check_shared_rows
from .labels import check_classes, check_label_errors, check_target
from .leakage import check_leakage
from .outliers import check_outliers
from .report import DataReport
from .table import check_beyond_float32, check_columns_shape, check_infinite, check_new_columns, scan_file
from .target_range import check_extreme_target
from .weights import length_finding, weight_findings

FAST_CHECKS = ("table", "infinite", "target", "extreme_target", "classes", "missing", "constant", "id_like", "leakage", "duplicates", "new_columns", "shared_rows")
SLOW_CHECKS = ("label_errors", "outliers", "drift")
#: Fatal findings that leave no usable target: the checks that read the target skip themselves after one.
TARGET_FATAL = ("no_rows", "missing_target", "single_class", "too_few_rows", "target_not_numeric")


def _frame(X: Any, what: str) -> Any:
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        check_column_names(X, what)  # a repeated name makes frame[name] a frame: every check would fail in pandas
        frame = X.copy(deep=False)
        frame.columns = [str(c) for c in frame.columns]
        frame = frame.reset_index(drop=True)
        for k, name in enumerate(frame.columns):  # a column of Decimals (pandas.read_sql's NUMERIC) is numbers, as the model reads it
            floats = decimal_floats(name, frame.iloc[:, k])
            if floats is not None:
                frame[name] = floats
        return frame
    if isinstance(X, (str, os.PathLike)):
        raise TypeError(f"{what} must be a table (DataFrame, array), not a path: read it first with hl.load_table({os.fspath(X)!r}).")
    try:
        A = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{what} must be a 2-D table (DataFrame or array): {exc}") from None
    if A.ndim == 1:
        A = A.reshape(-1, 1)
    if A.ndim != 2:
        raise ValueError(f"{what} must be 2-D (rows x columns). Received an array of shape {A.shape}: reshape it first.")
    return pd.DataFrame(A, columns=[f"x{i}" for i in range(A.shape[1])])


def _target(frame: Any, y: Any) -> tuple[Any, Any, str | None]:
    """(features, target Series or None, target name) from ``y`` (array-like, or the name of a column of ``X``)."""
    import pandas as pd

    if y is None:
        return frame, None, None
    if isinstance(y, str):
        if y not in frame.columns:
            raise DataError(f"y={y!r} is not a column of X: pass the labels, or one of {list(frame.columns)[:8]}.")
        return frame.drop(columns=[y]), _whole_numbers(frame[y].reset_index(drop=True)), y
    ys = y.reset_index(drop=True) if isinstance(y, pd.Series) else pd.Series(np.asarray(y, dtype=object).ravel() if np.ndim(y) > 1 else np.asarray(y))
    if len(ys) != len(frame):
        raise ValueError(f"X has {len(frame)} rows but y has {len(ys)}: pass one label per row.")
    if ys.dtype == object:
        num = pd.to_numeric(ys, errors="coerce")
        if num.notna().sum() == ys.notna().sum():
            ys = num
    ys = _whole_numbers(ys)
    return frame, ys, str(getattr(y, "name", None) or "y")


def _weights(frame: Any, new: Any, sample_weight: Any, target: str | None) -> tuple[Any, Any, Callable[[], list[Finding]] | None]:
    """``(features, new data, the weights' check or None)``: a ``sample_weight`` column name taken out of both tables.

    Raises DataError for a name that is not a column of X, or is the target's.
    """
    import pandas as pd

    if sample_weight is None:
        return frame, new, None
    if isinstance(sample_weight, str):
        if sample_weight == target or sample_weight not in frame.columns:
            raise DataError(f"sample_weight={sample_weight!r} is {'the target' if sample_weight == target else 'not a column of X'}: pass the "
                            f"weights, or the name of another column of X (one of {list(frame.columns)[:8]}).")
        values = frame[sample_weight].reset_index(drop=True)
        label, columns = f"sample_weight column {sample_weight!r}", (sample_weight,)
        frame = frame.drop(columns=[sample_weight])
        if new is not None and sample_weight in new.columns:
            new = new.drop(columns=[sample_weight])
        return frame, new, lambda: weight_findings(values, label, columns)
    w = sample_weight.reset_index(drop=True) if isinstance(sample_weight, pd.Series) else np.asarray(sample_weight, dtype=object)
    if np.ndim(w) != 1 or len(w) != len(frame):
        size = len(w) if np.ndim(w) == 1 else int(np.size(w))
        return frame, new, lambda: [length_finding(size, len(frame), np.shape(w))]
    values = w if isinstance(w, pd.Series) else pd.Series(list(w))
    return frame, new, lambda: weight_findings(values, "sample_weight")


def _whole_numbers(ys: Any) -> Any:
    """A float target whose values are all whole numbers (floats only because some are missing) as integers with missing values."""
    import pandas as pd

    if pd.api.types.is_float_dtype(ys) and ys.notna().any():
        v = ys.dropna().to_numpy(dtype=np.float64)
        if np.all(np.isfinite(v)) and np.all(v == np.round(v)) and ys.isna().any():
            return ys.astype("Int64")
    return ys


def check(
    X: Any,
    y: Any = None,
    X_new: Any = None,
    *,
    task: str = "auto",
    label_model: Callable[[], Any] | None = None,
    fast: bool = False,
    source: str | os.PathLike[str] | None = None,
    seed: int = 0,
    sample_weight: Any = None,
) -> DataReport:
    """Check a table before training: each finding has a severity, rows, columns and a fix.

    A fatal finding stops no check, so one run lists every finding; after a fatal target
    finding (``TARGET_FATAL``) the checks that read the target skip themselves.

    Parameters
    ----------
    X : DataFrame or array of shape (rows, columns)
        The training features (never modified).
    y : array-like of shape (rows,), str, or None
        The target, or the name of its column in ``X``; None skips the target checks.
    X_new : DataFrame or array, optional
        New data (test or production): adds train/new overlap and drift checks.
    task : {"auto", "classification", "regression"}
        What ``y`` is; "auto" guesses as ``hiddenlayers train`` does.
    label_model : callable returning a classifier, optional
        Model for the out-of-fold probabilities of the label-error check;
        None skips that check (``hiddenlayers.check`` passes our fast MLP).
    fast : bool
        Only the fast checks (``FAST_CHECKS``): what ``hiddenlayers train`` runs.
    source : path, optional
        The CSV/TSV file ``X`` was read from: adds ragged and empty lines.
    seed : int
        Seed of the folds, forests and samples.
    sample_weight : array-like of shape (rows,), str, or None
        Each row's training weight, or the name of its column in ``X`` (then no feature, as
        ``check --sample-weight COL`` takes it): adds ``sample_weight`` (fatal: what ``fit`` refuses,
        or not one weight per row), ``zero_weight`` and ``skewed_weights`` (:mod:`.weights`).

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> report = check(X[::2], y[::2], X_new=X[1::2])  # no label_model: that one check is skipped, and says so
    >>> report.fatal
    []
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression'. Received: {task!r}.")
    t0 = time.perf_counter()
    frame, ys, name, new = _tables(X, y, X_new)
    frame, new, weighed = _weights(frame, new, sample_weight, name)
    run = _Run()
    if source is not None:
        run("file", scan_file, source)
    run("table", check_columns_shape, frame)
    run("infinite", lambda: check_infinite(frame) + check_beyond_float32(frame, _named(ys, name)))
    if weighed is not None:
        run("sample_weight", weighed)
    target = _checked_target(ys, task, frame, run, name)
    # a fatal finding does not stop the check: every check that can judge the data runs, so one run lists
    # every problem; an unusable target (fatal target finding) only drops the checks that read the target
    usable = target if not any(f.severity == "fatal" and f.check in TARGET_FATAL for f in run.found) else _no_target(target, len(frame))
    plain, leaky = _fast_checks(run, frame, new, usable)
    if not fast:
        _slow_checks(run, frame, new, usable, plain, leaky, label_model, seed)
    return DataReport(run.found, len(frame), frame.shape[1], target.kind, name, {**run.seconds, "total": time.perf_counter() - t0})


def _named(ys: Any, name: str | None) -> Any:
    """The target as a Series named for messages (``name``, or "target"); None without one."""
    import pandas as pd

    return None if ys is None else pd.Series(ys).rename(name if name is not None else "target")


def _no_target(target: _Target, n: int) -> _Target:
    """``target`` unusable (a fatal target finding): the target-reading checks (classes, leakage, missingness and
    label errors, conflicting labels) skip themselves; its task kind stays the report's."""
    return _Target(None, None, np.ones(n, dtype=bool), None)


class _Run:
    """The findings so far and each check's seconds: ``run(key, fn, *args)`` runs one check, keeps its findings, times it under ``key``.

    One object instead of two loose accumulators, so the helpers below add to
    the same report in the order the checks run (the order of the findings).
    """

    def __init__(self) -> None:
        self.found: list[Finding] = []
        self.seconds: dict[str, float] = {}

    def __call__(self, key: str, fn: Callable[..., list[Finding]], *args: Any, **kw: Any) -> None:
        start = time.perf_counter()
        self.found.extend(fn(*args, **kw))
        self.seconds[key] = time.perf_counter() - start


class _Target(NamedTuple):
    """The target as the checks need it: its task, values, which rows have a usable label, and those labels."""

    kind: str | None  # "classification", "regression", or None (no target, or an unusable one)
    values: Any  # Series of shape (rows,) or None
    keep: np.ndarray  # bool, shape (rows,): the rows with a usable target
    labelled: Any  # array of shape (keep.sum(),): the target on those rows, or None


def _tables(X: Any, y: Any, X_new: Any) -> tuple[Any, Any, str | None, Any]:
    """``(features, target, target name, new data)``: ``X`` and ``X_new`` as frames, the target column out of both.

    Raises DataError when ``X_new`` shares no column with ``X`` (nothing to compare), or,
    both without column names, has another number of columns (they are matched by position).
    """
    import pandas as pd

    frame, ys, name = _target(_frame(X, "X"), y)
    new = None if X_new is None else _frame(X_new, "X_new")
    positional = not isinstance(X, pd.DataFrame) and not isinstance(X_new, pd.DataFrame)
    if new is not None and positional and new.shape[1] != frame.shape[1]:
        raise DataError(f"X_new has {new.shape[1]} columns but X has {frame.shape[1]}: without column names they are matched by position, "
                        f"so new data needs X's {frame.shape[1]} columns in X's order.")
    if new is not None and isinstance(y, str) and y in new.columns:
        new = new.drop(columns=[y])
    if new is not None and not set(new.columns) & set(frame.columns):
        raise DataError(f"X_new shares no column with X (X has {list(frame.columns)[:5]}, X_new {list(new.columns)[:5]}): pass new data with the same columns.")
    return frame, ys, name, new


def _fast_checks(run: _Run, frame: Any, new: Any, target: _Target) -> tuple[Any, set[str]]:
    """Run the fast checks after the target's (classes to shared rows, ``FAST_CHECKS`` order) through ``run``.

    Returns the features without ID-like columns and the leaky columns: the slow
    checks leave both out, as a leak or an ID would hide label errors.
    """
    kind, yv = target.kind, target.labelled
    sub = frame[target.keep].reset_index(drop=True) if not target.keep.all() else frame
    if kind == "classification" and yv is not None:
        run("classes", check_classes, yv)
    run("missing", check_missing, sub, yv, kind)
    run("constant", check_constant, frame)
    unreadable = [c for f in run.found if f.check == "unreadable_columns" for c in f.columns]  # their fix is said: not IDs too
    ids = check_id_like(frame.drop(columns=unreadable) if unreadable else frame)
    run.found.extend(ids)
    # an ID, or dates as text all distinct (timestamps), makes every row unique: leakage and duplicates leave it out; numbers
    # as text all distinct ('$1,000.50', '2.75') are measurements, as a float column of distinct values is: they stay
    skip = {c for f in ids for c in f.columns if f.check == "id_columns" or (f.check == "date_text_columns" and frame[c].nunique() == len(frame))}
    run("leakage", check_leakage, sub, yv, kind, skip)
    leaky = {c for f in run.found if f.check == "leakage" for c in f.columns}
    plain = frame.drop(columns=sorted(skip)) if skip else frame  # IDs make every row unique: compare records without them
    labels_full = None
    if target.values is not None and kind is not None:
        labels_full = np.where(target.keep, target.values.astype(str).to_numpy(), None)
    run("duplicates", check_duplicates, plain, labels_full)
    if new is not None:
        run("new_columns", check_new_columns, frame, new)
        run("shared_rows", check_shared_rows, frame, new)
    return plain, leaky


def _slow_checks(
    run: _Run, frame: Any, new: Any, target: _Target, plain: Any, leaky: set[str], label_model: Callable[[], Any] | None, seed: int
) -> None:
    """Run the slow checks (outliers, label errors, drift) through ``run``, on ``plain`` without the ``leaky`` columns.

    Label errors are found among the labelled rows and reported as rows of X;
    without ``label_model`` that check is skipped with an info finding saying so.
    """
    A = model_matrix(plain.drop(columns=sorted(leaky)) if leaky else plain)  # a leak or an ID would hide label errors
    run("outliers", check_outliers, A, seed=seed)
    if target.kind == "classification" and target.labelled is not None:
        if label_model is None:
            run.found.append(Finding("label_issues_skipped", "info", "label errors were not checked: no label_model was given",
                                     "use hiddenlayers.check (it passes our MLP), or pass label_model=lambda: SomeClassifier()"))
        else:
            keep, pos = target.keep, np.flatnonzero(target.keep)
            left_out = tuple(sorted(leaky | (set(frame.columns) - set(plain.columns))))
            run("label_errors", lambda: [_remap(f, pos) for f in check_label_errors(A[keep], target.labelled, label_model, seed=seed, left_out=left_out)])
    if new is not None:
        run("drift", check_drift, frame, new, seed=seed)


def _checked_target(ys: Any, task: str, frame: Any, run: _Run, name: str | None = None) -> _Target:
    """The target's task kind, values and usable rows, its findings added through ``run`` (``name``: the target's, for messages)."""
    from .. import _target

    keep = np.ones(len(frame), dtype=bool)
    if ys is None:
        return _Target(None, None, keep, None)
    present = ys.dropna()
    kind: str | None = (_target.infer_task(present) if len(present) else "classification") if task == "auto" else task
    run("target", check_target, ys.to_numpy(), frame.shape[1], kind)
    typos = _target.mistyped_numeric_target(ys) if task == "auto" else []
    if typos:  # train refuses it too: read as text, it would be one class per number
        from .common import preview

        run.found.append(Finding("target_not_numeric", "fatal",
                                 f"the target holds numbers but {len(typos)} value(s) that are not (rows {preview(typos)}), so it would be read as one class per number",
                                 "fix those values or leave them empty, or treat the target as classes (task='classification')", rows=tuple(typos)))
        return _Target(None, ys, ys.notna().to_numpy().copy(), None)
    keep = ys.notna().to_numpy().copy()
    if kind == "regression":
        import pandas as pd

        num = pd.to_numeric(ys, errors="coerce")
        if (num.notna() != ys.notna()).any():
            run.found.append(Finding("target_not_numeric", "fatal", "the regression target holds values that are not numbers",
                                     "fix those values, or treat the target as classes (task='classification')"))
            kind = None
        ys = num
        values = ys.to_numpy(dtype=np.float64, na_value=np.nan)
        keep = keep & np.isfinite(values)
        if kind is not None:
            run("extreme_target", check_extreme_target, values, name)
    return _Target(kind, ys, keep, ys[keep].to_numpy())


def _remap(f: Finding, pos: np.ndarray) -> Finding:
    """``f`` with its rows (positions among labelled rows) turned into positions in X."""
    from dataclasses import replace

    from .common import preview

    rows = tuple(int(pos[r]) for r in f.rows)
    msg = f.message.replace(preview(f.rows), preview(rows)) if rows != f.rows else f.message
    return replace(f, rows=rows, message=msg)
