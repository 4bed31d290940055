"""Shared fixtures: every test starts from the same random state."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch


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
