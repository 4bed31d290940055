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
    from ..data import preview

    if name == target:
        raise UserError(f"--sample-weight '{name}' is the target column: the weights must come from another column (pass that one).")
    if name not in columns:
        import difflib

        close = difflib.get_close_matches(name, columns, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UserError(f"unknown --sample-weight column '{name}': the table has {preview([repr(c) for c in columns], 8)}.{hint}")
    if features is not None and name in features:
        raise UserError(f"--sample-weight '{name}' is also listed in --features: a weight column is never a feature; remove it from --features.")
    return name


def weight_problem(values: pd.Series, name: str, where: Callable[[int], str] | None = None) -> tuple[str, str, np.ndarray] | None:
    """``(what is wrong, how to fix it, the bad rows)`` of weight column ``values``, or None when ``fit`` takes them.

    The checks are ``fit``'s (``estimators.check_sample_weight``), in its words where it has them, the first failing one
    said; ``where(row)`` says where a 0-based row is in the user's file (``"line 7"``), ``"row N"`` without it.
    The bad rows are 0-based positions in ``values`` (empty when every row is 0).
    """

    def at(row: int) -> str:
        return where(row) if where is not None else f"row {row + 1}"

    def first(mask: np.ndarray, kind: str = "") -> tuple[np.ndarray, int, str]:
        """The rows of ``mask``, its first and how many there are (``"2 rows"``, ``"1 negative row"``)."""
        rows = np.flatnonzero(mask)
        return rows, int(rows[0]), f"{len(rows)} {kind}row{'s' if len(rows) > 1 else ''}"

    if pd.api.types.is_bool_dtype(values):  # True/False as 1/0, as every numeric column reads booleans
        values = values.astype(np.float64)
    num = pd.to_numeric(values, errors="coerce")
    text = (num.isna() & values.notna()).to_numpy()
    if text.any():
        rows, row, count = first(text)
        return (f"--sample-weight column '{name}' must hold numbers but holds {str(values.iloc[row])!r} ({at(row)}; {count}):",
                "fix it, or choose another column.", rows)
    w = np.asarray(num.to_numpy(dtype=np.float64), dtype=np.float64)
    if np.isnan(w).any():
        rows, row, count = first(np.isnan(w))
        return (f"--sample-weight column '{name}' has no value on {at(row)} ({count}): Input sample_weight contains NaN.",
                "Give every row a weight (0 leaves a row out).", rows)
    if np.isinf(w).any():
        rows, row, count = first(np.isinf(w))
        return (f"--sample-weight column '{name}' holds {w[row]:g} ({at(row)}; {count}): Input sample_weight contains infinity.",
                "Give every row a finite weight.", rows)
    if (w < 0).any():
        rows, row, count = first(w < 0, "negative ")
        return (f"--sample-weight column '{name}' holds {w[row]:g} ({at(row)}; {count}): sample_weight must be >= 0, as a negative "
                "weight rewards mispredicting its row.", "Drop those rows or give them weight 0.", rows)
    if len(w) and not w.any():
        return (f"--sample-weight column '{name}' is 0 on every row: Sample weights must contain at least one non-zero number.",
                "Give some rows a weight > 0.", np.array([], dtype=np.int64))
    return None


def row_weights(values: pd.Series, name: str, where: Callable[[int], str] | None = None) -> np.ndarray:
    """The column ``values`` as ``fit``'s ``sample_weight``, float64 ``(n_rows,)``; a DataError naming the first bad row.

    The checks and ``where`` are :func:`weight_problem`'s.
    """
    problem = weight_problem(values, name, where)
    if problem is not None:
        raise DataError(f"{problem[0]} {problem[1]}")
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(np.float64)
    return np.array(pd.to_numeric(values).to_numpy(dtype=np.float64), dtype=np.float64)  # a writable copy: torch warns on a read-only array


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


__all__ = ["STORED_KEY", "check_weight_column", "row_weights", "stored_weight_column", "take_weights", "weight_problem"]
