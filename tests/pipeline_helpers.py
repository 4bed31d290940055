"""What the tests of a Pipeline of scikit-learn steps then an MLP share (its file, its ONNX export, its serving): iris
with missing cells, and one maker per kind of step stack."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler


def iris_holes() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Iris with a few missing cells in two columns, split 70/30 (held-out rows have holes too)."""
    X, y = load_iris(return_X_y=True)
    X = X.copy()
    X[::7, 1] = np.nan
    X[3::11, 3] = np.nan
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    return Xtr, Xte, ytr, yte


#: each kind of step stack (a SimpleImputer first, so PCA reads no NaN), as a maker of fresh steps
STEPS: dict[str, Any] = {
    "standard": lambda: [SimpleImputer(), StandardScaler()],
    "standard-no-mean": lambda: [SimpleImputer(strategy="median"), StandardScaler(with_mean=False)],
    "minmax": lambda: [SimpleImputer(strategy="most_frequent"), MinMaxScaler(feature_range=(-1, 1), clip=True)],
    "maxabs": lambda: [SimpleImputer(strategy="constant", fill_value=0), MaxAbsScaler()],
    "robust": lambda: [SimpleImputer(strategy="constant", fill_value=-1.5), RobustScaler(quantile_range=(10.0, 90.0), unit_variance=True)],
    "pca": lambda: [SimpleImputer(), "passthrough", StandardScaler(), PCA(n_components=3, whiten=True)],
}
