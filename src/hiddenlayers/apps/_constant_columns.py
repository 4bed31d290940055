"""The Autoencoder's columns that hold one value in every training row: said at fit, and said again when new rows move them.

Such a column has no spread to standardize by, so its scale is 1, as scikit-learn's ``StandardScaler`` (and PyOD's
detectors, which standardize with it) leave a zero-variance column: it stays in its own units. The network never saw it
move, so a row where it does is reconstructed badly, and not only in that column (the encoder reads the change too):
a shift of 100 units makes the row's reconstruction error about 100² / n_features and flags it whatever its other columns
say. That is the right answer where a change there is an anomaly (a sensor that never moved now does), and a wrong one
where it is not (a constant id or unit column): so the model keeps scikit-learn's scaling, and says which columns these are
at fit, and again at scoring, with the rows and the size of the change, rather than let the score jump without a word.
``fit``'s own validation rows (``X_val``), scaled by the training rows' statistics, are said once at fit when they move such
a column, since early stopping scores them; a ``validation_fraction`` split's rows are part of ``X``, whose statistics they set.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._stacklevel import user_stacklevel


def constant_columns(X: np.ndarray) -> list[int]:
    """The indices of the columns of the training rows ``X`` ``(n, n_features)`` that hold one value: those the fit scales by 1,
    by the one rule of :func:`hiddenlayers.data.constant_spread` (a spread at most 1e-12 of the column's level)."""
    from ..data import center_spread, constant_spread

    return [int(j) for j in np.flatnonzero(constant_spread(*center_spread(X)))]


def _named(columns: list[int], names: Any) -> str:
    """``'a', 'b'`` (the fitted ``feature_names_in_``) or ``2, 5`` (positions), at most five shown."""
    shown = [repr(str(names[j])) if names is not None else str(j) for j in columns[:5]]
    return ("column " if len(columns) == 1 else "columns ") + ", ".join(shown) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")


def warn_constant_at_fit(columns: list[int], names: Any) -> None:
    """One ``UserWarning`` (at the user's line) naming the training data's constant ``columns`` (``names``: the fitted column
    names, None for an array); none without them."""
    if not columns:
        return
    warnings.warn(f"{_named(columns, names)} of the training rows hold{'s' if len(columns) == 1 else ''} one value: with no spread to "
                  "standardize by, the scale is 1 (the column's own units, as StandardScaler's), so at scoring any change there counts "
                  "squared, in those units, in a row's reconstruction error and can flag the row whatever its other columns say. "
                  "Drop such columns unless a change in them is itself an anomaly.", UserWarning, stacklevel=user_stacklevel())


def _warn_moved(X: np.ndarray, mean: np.ndarray, columns: list[int], names: Any, words: str) -> None:
    """One ``UserWarning`` (at the user's line) when rows ``X`` ``(n, n_features)`` move one of the constant ``columns`` off its
    training value ``mean``: ``words`` with ``{rows}`` (how many rows), ``{n}``, ``{columns}`` (those moved, named) and
    ``{largest}`` (the largest change, in the column's units). A difference within float rounding of that value (``1e-9`` of
    it, or of 1) is no move."""
    if not columns or not len(X):
        return
    change = np.abs(X[:, columns] - mean[columns])
    moved = change > 1e-9 * np.maximum(1.0, np.abs(mean[columns]))
    if moved.any():
        which = [c for c, m in zip(columns, moved.any(axis=0)) if m]
        warnings.warn(words.format(rows=int(moved.any(axis=1).sum()), n=len(X), columns=_named(which, names), largest=f"{float(change[moved].max()):.4g}"),
                      UserWarning, stacklevel=user_stacklevel())


def warn_moved_constants(X: np.ndarray, mean: np.ndarray, columns: list[int], names: Any) -> None:
    """One ``UserWarning`` when rows ``X`` ``(n, n_features)`` move a column that held one value (``mean``) in every training row:
    how many rows, and the largest change in the column's units, which the reconstruction error counts squared."""
    _warn_moved(X, mean, columns, names, "{rows} of {n} rows change {columns}, which held one value in every training row (scale 1: its own "
                "units); the largest change, {largest}, counts squared in its row's reconstruction error, so such rows score as anomalies "
                "whatever their other columns say.")


def warn_validation_moves_constants(X_val: np.ndarray, mean: np.ndarray, columns: list[int], names: Any) -> None:
    """One ``UserWarning`` at fit when ``fit``'s own validation rows ``X_val`` ``(n_val, n_features)`` move a column that held one
    value (``mean``) in every row of ``X``: they are scaled by ``X``'s statistics (scale 1 there), so the change counts squared
    in the reconstruction error early stopping scores, and decides when it stops.

    A ``validation_fraction`` split needs none: its rows are rows of ``X``, whose statistics (and constant columns) they set,
    as PyOD's detectors standardize all of ``X`` before they hold rows out; so they cannot move a column constant in ``X``.
    """
    _warn_moved(X_val, mean, columns, names, "X_val: {rows} of {n} rows change {columns}, which held one value in every row of X (scale 1: its "
                "own units); the largest change, {largest}, counts squared in the reconstruction error early stopping scores, so those rows "
                "decide when the fit stops whatever their other columns say. Drop such columns from X and X_val unless a change in them "
                "is itself an anomaly.")


__all__ = ["constant_columns", "warn_constant_at_fit", "warn_moved_constants", "warn_validation_moves_constants"]
