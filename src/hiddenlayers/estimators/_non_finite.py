"""scikit-learn's "Input X contains NaN." made one line that says where and what to do.

Why: its message is the sentence then a paragraph that names no row or column and offers
``HistGradientBoostingClassifier`` in place of the network; a pandas user whose ``Float64`` column holds one
``pd.NA`` could not tell which column it was. The sentence stays first, word for word (scikit-learn's
``check_estimator`` and code written against scikit-learn's MLP read it); what follows it is ours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp


def _bad_cells(data: Any) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The rows and columns of ``data``'s NaN or infinite cells, in row order, and its row count; None when it cannot tell."""
    import pandas as pd

    try:
        if sp.issparse(data):
            coo = data.tocoo()
            bad = ~np.isfinite(coo.data)
            order = np.lexsort((coo.col[bad], coo.row[bad]))
            return coo.row[bad][order], coo.col[bad][order], int(data.shape[0])
        if isinstance(data, (pd.DataFrame, pd.Series)):
            values = data.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    values = values.reshape(len(values), -1)
    rows, cols = np.nonzero(~np.isfinite(values))
    return rows, cols, int(values.shape[0])


def located_non_finite(message: str, data: Any, estimator: str, names: Any = None, call: str = "fit") -> str | None:
    """``message`` (scikit-learn's ``"Input X contains NaN."`` and the paragraph after it) as one line: its first sentence,
    how many rows hold such a value, the first one's row (and column: a DataFrame's name, else its position) and the fix;
    None when ``message`` is not that error or ``data`` shows no such cell.

    Parameters
    ----------
    message : str
        The error's text.
    data : array-like, DataFrame or scipy.sparse matrix
        The input the message is about (``X``, or ``y`` for ``"Input y ..."``), as the caller gave it.
    estimator : str
        The estimator's class name, for the fix's example.
    names : sequence of str, optional
        ``data``'s column names when ``data`` is the array made of a DataFrame (the fitted ``feature_names_in_``).
    call : str
        The method the fix for ``y`` names (``"fit"``, ``"score"``).
    """
    first = message.split("\n")[0].strip()
    if not first.startswith(("Input X contains", "Input y contains")):
        return None
    found = _bad_cells(data)
    if found is None or not len(found[0]):
        return None
    rows, cols, n = found
    name, missing = first.split()[1], "NaN" in first
    what = "a missing value (NaN, None or pd.NA)" if missing else "an infinite value"
    if name == "y":
        fix = (f"drop those rows, e.g. keep = ~pd.isna(y); {call}(X[keep], y[keep])" if missing
               else "replace those values or drop those rows")
        return f"{first} {len(np.unique(rows))} of {n} target value(s) are {'missing' if missing else 'infinite'} (first: row {int(rows[0])}): {fix}."
    columns = getattr(data, "columns", names)
    column = repr(str(columns[int(cols[0])])) if columns is not None else str(int(cols[0]))
    fix = (f"impute them, e.g. make_pipeline(SimpleImputer(), {estimator}(...)), or put hl.TableEncoder() in front (it fills "
           "them and flags each filled cell), or drop those rows" if missing else "replace those values or drop those rows")
    return f"{first} {len(np.unique(rows))} of {n} row(s) hold {what} (first: row {int(rows[0])}, column {column}): {fix}."
