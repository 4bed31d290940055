"""The one refusal of a table of several columns where a :class:`~hiddenlayers.apps.Forecaster` reads one series.

A Forecaster forecasts one series and reads no exogenous inputs, so ``fit``, ``forecast``, ``backtest``, ``predict`` and
``score`` given a DataFrame of several columns (or a 2-D array of several columns and rows) refuse it in one line whose
example is the series it most likely holds: a DataFrame's first numeric column, not a column of dates or text, and where
the frame has a column of dates, that column as the series' index (``df.set_index('date')['co2']``), so the dates' step is
read and kept. (A frame of dates then values, as ``read_csv`` gives a file, was pointed to its date column, ``X['date']``,
and ``fit``, ``forecast`` and ``backtest`` said only "Received shape (200, 2)" or "holding Timestamp(...) at position 0".) An
array wider than long is read as one series per row (``forecast_many``'s layout): one row is the example.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import DataError


def _is_date_column(column: Any) -> bool:
    """Whether a DataFrame column holds dates or times (naive, time-zone-aware, or periods)."""
    import pandas as pd

    return bool(pd.api.types.is_datetime64_any_dtype(column.dtype) or isinstance(column.dtype, pd.PeriodDtype))


def _frame_example(X: Any, name: str) -> str:
    """``X['load']``, or ``X.set_index('date')['load']`` where the frame has a column of dates: the column to forecast, by
    the rule in the module's docstring (the first column where none is numeric)."""
    import pandas as pd

    columns = list(X.columns)
    dates = [c for c in columns if _is_date_column(X[c])]
    numeric = [c for c in columns if c not in dates and pd.api.types.is_numeric_dtype(X[c].dtype) and not pd.api.types.is_bool_dtype(X[c].dtype)]
    value = numeric[0] if numeric else next((c for c in columns if c not in dates), columns[0])
    if dates and value not in dates:
        return f"{name}.set_index({dates[0]!r})[{value!r}] (its dates as the index, whose step the model reads)"
    return f"{name}[{value!r}]"


def check_one_column(X: Any, name: str) -> None:
    """Refuse ``X`` of several columns (a DataFrame, or a 2-D array of more than one row and column) in one line naming
    the series to pass; one column, or a ``(1, n)`` or ``(n, 1)`` array, passes.

    Parameters
    ----------
    X : Any
        The series as the caller gave it.
    name : str
        The argument's name in the message (``X`` for ``predict`` and ``score``, whose words are scikit-learn's
        ``n_features_in_`` check; ``series`` for the others).
    """
    shape = np.shape(X) if not hasattr(X, "columns") else (len(X), len(X.columns))
    if len(shape) != 2 or min(shape) <= 1:
        return
    if not hasattr(X, "columns") and shape[0] < shape[1]:  # wider than long: one series per row, forecast_many's layout
        raise DataError(f"{name} is a {tuple(shape)} array, {shape[0]} series of {shape[1]} values (one per row), but Forecaster forecasts "
                        f"one series at a time: pass one row, e.g. {name}[0].")
    example = _frame_example(X, name) if hasattr(X, "columns") else f"{name}[:, 0]"
    raise DataError(f"{name} has {shape[1]} features, but Forecaster is expecting 1 feature as input: it forecasts one series and reads "
                    f"no exogenous inputs; pass the series alone, e.g. {example}.")


__all__ = ["check_one_column"]
