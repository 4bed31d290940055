"""Column names of a table input, scikit-learn's ``feature_names_in_`` convention for the applications.

A model fitted on a DataFrame with string column names records them; at
predict time a DataFrame must have the same names in the same order (else a
``DataError``, a ``ValueError`` as in scikit-learn), and an input without
names gets scikit-learn's "X does not have valid feature names" warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from ..exceptions import DataError

# validate_data with these runs only its feature-name check: no array conversion, no n_features_in_ check
_NAMES_ONLY: dict[str, Any] = {"skip_check_array": True, "ensure_2d": False}


def column_names(X: Any) -> np.ndarray | None:
    """``X``'s column names as scikit-learn records them in ``fit`` (all strings, else None), leaving every model untouched.

    ``validate_data(model, X, reset=True)`` would set them on the model before
    fit's other checks ran, so a refit that fails later would have lost the
    fitted names; a throwaway estimator takes them instead.
    """
    probe = BaseEstimator()
    validate_data(probe, X, reset=True, **_NAMES_ONLY)
    return getattr(probe, "feature_names_in_", None)


def check_column_names(model: Any, X: Any) -> None:
    """scikit-learn's feature-name check of ``X`` against ``model.feature_names_in_`` (at predict time).

    Different names, or the same in another order, raise a one-line
    ``DataError``; an ``X`` without names for a model fitted with them (or the
    reverse) warns as scikit-learn does, and the columns are read by position.
    """
    try:
        validate_data(model, X, reset=False, **_NAMES_ONLY)
    except ValueError:
        fitted = [str(c) for c in model.feature_names_in_]
        given = [str(c) for c in getattr(X, "columns", [])]
        raise DataError(
            f"The feature names should match those that were passed during fit: X has columns {given}, "
            f"{type(model).__name__} was fitted on {fitted}. Pass X[{fitted}] (the same columns in the same order)."
        ) from None


def set_fitted_names(model: Any, names: np.ndarray | None) -> None:
    """Set ``model.feature_names_in_`` to ``names``, or remove it for a fit on an input without names (as scikit-learn does)."""
    if names is None:
        model.__dict__.pop("feature_names_in_", None)
    else:
        model.feature_names_in_ = np.asarray(names, dtype=object)


__all__ = ["check_column_names", "column_names", "set_fitted_names"]
