"""The target column of a table: which one (:func:`default_target`, :func:`resolve_column`), the split into features and
target (:func:`split_target`), and the task it implies (:func:`infer_task`, :func:`mistyped_numeric_target`)."""

from __future__ import annotations

from typing import Any

from ..exceptions import DataError
from ._close_names import did_you_mean
from ._datasets import DATASET_TARGET, find_dataset

#: A numeric target of whole numbers with at most this many values is taken as classes.
MAX_CLASSES_GUESS = 20


def default_target(source: str, frame: Any) -> str | None:
    """The target to use when the user gave none: ``target`` for bundled data and ``.npz`` with ``y``.

    Parameters
    ----------
    source : str
        The path or dataset name read.
    frame : DataFrame
        The table read from it.
    """
    if DATASET_TARGET in frame.columns and (find_dataset(source) is not None or source.lower().endswith(".npz")):
        return DATASET_TARGET
    return None


def split_target(frame: Any, target: str | None, features: list[str] | None = None) -> tuple[Any, Any]:
    """Split ``frame`` into the feature table and the target Series; rows whose target is missing are dropped.

    Parameters
    ----------
    frame : DataFrame
        The table.
    target : str or None
        A column name, or an integer position (``-1`` = last column).
    features : list of str, optional
        The feature columns (default: all others).
    """
    from ._check.common import preview

    columns = list(frame.columns)
    shown = preview([repr(c) for c in columns], 8)
    if target is None:
        raise DataError(f"no target column given: pass --target COLUMN, one of {shown}.")
    name = resolve_column(target, columns)
    if features:
        unknown = [f for f in features if f not in columns]
        if unknown:
            raise DataError(f"unknown feature column(s) {', '.join(repr(u) for u in unknown)}: the table has {shown}.{did_you_mean(unknown, unused_columns(columns, features))}")
        if name in features:
            raise DataError(f"the target '{name}' is also listed in --features: remove it from --features.")
        X = frame[list(features)]
    else:
        X = frame.drop(columns=[name])
    if X.shape[1] == 0:
        raise DataError(f"no feature columns left besides the target '{name}': the table needs at least one more column.")
    y = frame[name]
    keep = y.notna().to_numpy()
    if not keep.any():
        raise DataError(f"the target column '{name}' is empty (every value is missing).")
    return X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)


def resolve_column(target: str, columns: list[str]) -> str:
    """``target`` as a column name; an integer string is a position if no column has that name.

    Parameters
    ----------
    target : str
        A column name or position.
    columns : list of str
        The table's columns.
    """
    if target in columns:
        return target
    try:
        pos = int(target)
    except ValueError:
        pos = None
    if pos is not None and -len(columns) <= pos < len(columns):
        return columns[pos]
    from ._check.common import preview
    from ._column_hints import header_as_data_hint

    raise DataError(f"unknown target column '{target}': the table has {preview([repr(c) for c in columns], 8)}."
                    f"{did_you_mean([target], columns)}{header_as_data_hint([str(c) for c in columns])}")


def unused_columns(columns: list[Any], named: list[str]) -> list[Any]:
    """``columns`` less those ``named`` (where a did-you-mean for a misspelt one of ``named`` looks)."""
    return [c for c in columns if c not in set(named)]


def infer_task(y: Any) -> str:
    """``"classification"`` for text/bool/few-integer targets, else ``"regression"``.

    Parameters
    ----------
    y : array-like
        The target's values.
    """
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        return "regression"
    integral = np.all(values == np.round(values))
    n_unique = len(np.unique(values))
    return "classification" if integral and n_unique <= MAX_CLASSES_GUESS else "regression"


def mistyped_numeric_target(y: Any) -> list[int]:
    """Rows of a text target that would be a regression target but for a few cells that are no numbers (empty if not so).

    A numeric column with one typo ('high' among 441 numbers) reads as text, and :func:`infer_task` would make it a
    classification with one class per distinct number. The rule is the features' (:data:`NUMERIC_TEXT_RATIO` of the
    present cells parse as numbers), and the parsed numbers must themselves look like a regression target.

    Parameters
    ----------
    y : array-like
        The target's values.
    """
    import numpy as np
    import pandas as pd

    from ._cells import is_missing
    from ._preprocessing import NUMERIC_TEXT_RATIO

    if pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return []
    present = ~y.map(is_missing).to_numpy(dtype=bool)
    parsed = pd.to_numeric(y.astype(str).str.strip(), errors="coerce")
    bad = present & parsed.isna().to_numpy()
    share = 1 - bad.sum() / max(1, int(present.sum()))
    if not bad.any() or share < NUMERIC_TEXT_RATIO or infer_task(parsed[present & ~bad]) != "regression":
        return []
    return [int(r) for r in np.flatnonzero(bad)]


__all__ = ["MAX_CLASSES_GUESS", "default_target", "infer_task", "mistyped_numeric_target", "resolve_column", "split_target", "unused_columns"]
