"""The weight column of a :class:`~._stream.ParquetSource`: per-row weights read with each record batch.

A weight column (LightGBM's ``weight_column``, H2O's ``weights_column``) is never a
feature. Its values pass the checks ``fit(sample_weight=)`` makes: numbers, none
missing, finite, none negative; each bad value is a :class:`DataError` naming the
file and the CSV line or Parquet row of the first one, as the streamed data
check names rows. "Every weight is 0" can only be judged once every row has been
read: :func:`refuse_all_zero` says it after the statistics pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._check.weights import as_weights, weight_problem


def check_weight_name(weight: str, target: str, features: list[str] | None) -> None:
    """Refuse a weight column that is the target or one of the named ``features`` (a weight is never a feature)."""
    if weight == target:
        raise DataError(f"the weight column {weight!r} is the target column: the weights must come from another column (pass that one).")
    if features is not None and weight in features:
        raise DataError(f"the weight column {weight!r} is also listed in features= (--features): a weight is never a feature; remove it from the features.")


def check_weight_files(path: str, columns: dict[str, list[str]], weight: str) -> None:
    """Every file (``columns``: file -> names) has the ``weight`` column; else a DataError naming the first that lacks it."""
    lacking = [f for f, names in columns.items() if weight not in names]
    if not lacking:
        return
    first = next(iter(columns))
    if len(lacking) == len(columns):
        names = columns[first]
        raise DataError(f"no weight column {weight!r} in {path}: choose one of {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}.")
    having = next(f for f in columns if f not in lacking)
    raise DataError(f"'{lacking[0]}' has no column {weight!r} (the weights; '{having}' has it): add it to every file, or move '{lacking[0]}' out of {path}.")


def batch_weights(values: pd.Series, name: str, file: str, at: int, locate: Callable[[str, int], str]) -> np.ndarray:
    """One record batch's weights ``(rows,)`` float64, checked as ``fit`` checks ``sample_weight``.

    ``values``: the batch's weight column; its first row is row ``at`` (0-based) of ``file``;
    ``locate(file, row)`` words where a row is (``"'p.csv' line 9"``, ``"'p.parquet' row 8"``: counted from 1). The rules and
    their words are the data check's (:func:`~._check.weights.weight_problem`), counted in this batch; a batch
    whose weights are all 0 is fine (other batches may weigh), :func:`refuse_all_zero` judges the whole.
    """
    problem = weight_problem(values, f"the weight column {name!r}", lambda row: locate(file, at + row),
                             scope=" in this batch")
    if problem is not None and len(problem[2]):  # no bad rows: only "every weight is 0", judged over all batches
        what, fix, _ = problem
        raise DataError(f"{what} {fix}")
    return as_weights(values)


def refuse_all_zero(path: str, name: str, total: float) -> None:
    """After the statistics pass: a DataError when the weights of every row sum to 0 (``total``), as ``fit`` refuses it."""
    if not total > 0:
        raise DataError(f"the weight column {name!r} is 0 on every row of {path}: Sample weights must contain at least one non-zero number. "
                        "Give some rows a weight > 0.")


__all__ = ["batch_weights", "check_weight_files", "check_weight_name", "refuse_all_zero"]
