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


LABEL_KINDS = {
    "binary": lambda X, rng: (X[:, 0] > 0).astype(int),
    "multiclass": lambda X, rng: rng.integers(0, 4, len(X)),
    "multilabel": lambda X, rng: (rng.random((len(X), 3)) > 0.5).astype(int),
    "one-class": lambda X, rng: np.zeros(len(X), int),
    "strings": lambda X, rng: np.where(X[:, 1] > 0, "yes", "no"),
    "strings-3": lambda X, rng: np.array(["cat", "dog", "eel"])[rng.integers(0, 3, len(X))],
    "float32": lambda X, rng: rng.integers(0, 3, len(X)),
}


def labelled_classifier(kind: str) -> tuple[Any, np.ndarray]:
    """A small MLPClassifier fitted (5 epochs) on 300 x 5 random rows with labels of ``kind`` (a key of
    LABEL_KINDS; "float32" also makes X float32): ``(estimator, X)``."""
    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = LABEL_KINDS[kind](X, rng)
    if kind == "float32":
        X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y), X
