"""The autouse ``seed`` fixture (tests/conftest.py): every test starts from seed 0 in Python, NumPy and PyTorch."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch


@pytest.mark.parametrize("run", [0, 1])  # the second run starts from seed 0 again after the first one's draws
def test_each_test_starts_from_seed_zero_in_python_numpy_and_torch(run: int) -> None:
    assert random.random() == random.Random(0).random()
    assert np.random.rand() == np.random.RandomState(0).rand()
    assert torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(0)))
