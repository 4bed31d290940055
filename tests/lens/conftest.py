"""Fixtures shared by the lens's tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn


@pytest.fixture(scope="module")
def net_and_rows() -> tuple[nn.Module, np.ndarray]:
    """A small ReLU MLP (4 inputs, 3 outputs) in eval mode and 12 rows for it: what the attribution methods are compared on."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    X = np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32)
    return net, X
