"""The estimators' input checks, for tools above them (search) that fit many
estimators on one dataset and want its errors up front, as ``fit`` would give them."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_training_data(X: Any, y: Any, *, regression: bool) -> tuple[Any, np.ndarray]:
    """``(X, y)`` checked exactly as ``MLPRegressor.fit`` or ``MLPClassifier.fit`` check them, with the same errors.

    For tools that train many estimators on one dataset (``hl.search``) and want its errors up front.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The rows.
    y : array-like
        The labels or targets.
    regression : bool
        Check as ``MLPRegressor.fit`` (else as ``MLPClassifier.fit``).
    """
    from ._mlp import MLPClassifier, MLPRegressor

    est: Any = MLPRegressor() if regression else MLPClassifier()
    return est._validate_input(X, y, incremental=False, reset=True)  # type: ignore[no-any-return]
