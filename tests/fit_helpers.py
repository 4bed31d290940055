"""What many test modules share: a fit that hides the ConvergenceWarning of a deliberately short run."""

from __future__ import annotations

import warnings
from typing import Any

from sklearn.exceptions import ConvergenceWarning


def quiet_fit(est: Any, X: Any, y: Any, **kw: Any) -> Any:
    """``est.fit(X, y, **kw)`` without the ConvergenceWarning a few epochs raise on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)
