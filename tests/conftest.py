"""Shared fixtures: every test starts from the same random state."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import settings

# The suite is deterministic: hypothesis draws the same examples on every run,
# so a red CI run is a real regression, not a new draw. `make fuzz` runs the
# property tests with fresh random examples to look for new failures.
# No deadline: the tests assert behaviour, not speed, and a busy 2-core CI
# machine made a 200 ms per-example limit fail tests that were right.
settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("fuzz", derandomize=False, deadline=None)
settings.load_profile("default")


@pytest.fixture(autouse=True)
def seed() -> int:
    """Seed Python, NumPy and PyTorch so each test is reproducible on its own."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    return 0


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh seeded NumPy generator for test data."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small mixed CSV for the CLI tests: numeric columns ``a``, ``b``, a
    categorical ``color`` with missing values, and text labels ``label``."""
    rng = np.random.default_rng(0)
    n = 150
    a = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n).astype(object)
    color[:5] = None
    label = np.where(a + (color == "red") > 0.3, "yes", "no")
    path = tmp_path_factory.mktemp("data") / "t.csv"
    pd.DataFrame({"a": a, "b": rng.normal(size=n), "color": color, "label": label}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris, standardised (what most estimator tests fit on)."""
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def iris_raw() -> tuple[np.ndarray, np.ndarray]:
    """Iris as scikit-learn ships it (for side-by-side runs with scikit-learn's MLP)."""
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)
