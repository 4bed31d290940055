"""``--sample-weight COLUMN``: per-row weights read from a column of the data file itself.

``train``, ``lr-find``, ``search``, ``distill`` and ``evaluate`` take it (as LightGBM's
``weight_column`` and H2O's ``weights_column``). The column is never a feature: it is
taken out of the table before the features are chosen, naming it in ``--features`` or
as the target is refused, and a model file never needs it at predict time. Its values
pass the checks ``fit(sample_weight=)`` makes (numbers, none missing, finite, none
negative, not all zero), said here with the column and the file line of the first bad row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._common import WEIGHT_COLUMN_KEY as STORED_KEY
from ._common import UserError


def check_weight_column(name: str, columns: list[str], *, target: str | None, features: list[str] | None) -> str:
    """``name`` as a column of ``columns``, which is neither the ``target`` nor one of ``features``; else one line.

    An unknown name lists the table's columns and the closest one, as ``--target`` does.
    """
    from ..data import did_you_mean, preview

    if name == target:
        raise UserError(f"--sample-weight '{name}' is the target column: the weights must come from another column (pass that one).")
    if name not in columns:
        raise UserError(f"unknown --sample-weight column '{name}': the table has {preview([repr(c) for c in columns], 8)}.{did_you_mean([name], columns)}")
    if features is not None and name in features:
        raise UserError(f"--sample-weight '{name}' is also listed in --features: a weight column is never a feature; remove it from --features.")
    return name


def weight_problem(values: pd.Series, name: str, where: Callable[[int], str] | None = None) -> tuple[str, str, np.ndarray] | None:
    """``(what is wrong, how to fix it, the bad rows)`` of weight column ``values``, or None when ``fit`` takes them:
    :func:`hiddenlayers.data.weight_problem` (the rule :func:`hiddenlayers.check` uses too), naming ``--sample-weight column 'NAME'``."""
    from ..data import weight_problem as problem_of

    return problem_of(values, option_label(name), where)


def option_label(name: str) -> str:
    """How the CLI's messages name the weights of column ``name``: ``--sample-weight column 'w'``."""
    return f"--sample-weight column '{name}'"


def row_weights(values: pd.Series, name: str, where: Callable[[int], str] | None = None) -> np.ndarray:
    """The column ``values`` as ``fit``'s ``sample_weight``, float64 ``(n_rows,)``; a DataError naming the first bad row.

    The checks and ``where`` are :func:`weight_problem`'s.
    """
    from ..data import as_weights

    problem = weight_problem(values, name, where)
    if problem is not None:
        raise DataError(f"{problem[0]} {problem[1]}")
    return as_weights(values)


def take_weights(frame: pd.DataFrame, name: str | None, *, target: str | None, features: list[str] | None = None,
                 where: Callable[[int], str] | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """``(frame without the weight column, its weights)``; ``(frame, None)`` when ``name`` is None (no ``--sample-weight``).

    Checked by :func:`check_weight_column` and :func:`row_weights`; ``where`` as :func:`row_weights` takes it.
    """
    if name is None:
        return frame, None
    column = check_weight_column(name, [str(c) for c in frame.columns], target=target, features=features)
    return frame.drop(columns=[column]), row_weights(frame[column].reset_index(drop=True), column, where)


def stored_weight_column(model: Any) -> str | None:
    """The weight column the model file records it was trained with (``train --sample-weight``), or None."""
    return (getattr(model, "preprocessing_", None) or {}).get(STORED_KEY)


__all__ = ["STORED_KEY", "check_weight_column", "option_label", "row_weights", "stored_weight_column", "take_weights", "weight_problem"]
