"""What many test modules share: a fit that hides the ConvergenceWarning of a deliberately short run, and digits with wrong labels."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning


def quiet_fit(est: Any, X: Any, y: Any, **kw: Any) -> Any:
    """``est.fit(X, y, **kw)`` without the ConvergenceWarning a few epochs raise on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def noisy_digits(rate: float = 0.4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], split 70/30 (stratified): ``(X_train, X_test, noisy y_train, clean y_test)``,
    with ``rate`` of the training labels moved to another class at random."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16, y, test_size=0.3, random_state=0, stratify=y)
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(ytr), int(rate * len(ytr)), replace=False)
    noisy = ytr.copy()
    noisy[idx] = (noisy[idx] + rng.integers(1, 10, idx.size)) % 10
    return Xtr, Xte, noisy, yte
