"""A fit seeds (and puts back) the generators of the devices it uses, not every CUDA device's (hiddenlayers._rng.seeded)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import hiddenlayers as hl
from hiddenlayers._rng import cuda_indices, seeded


def test_cuda_indices_are_the_cuda_devices_given_a_bare_one_the_current(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 2)  # what a process on its third GPU reports
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    assert cuda_indices(torch.device("cpu"), None) == []
    assert cuda_indices(torch.device("cuda", 3), "cuda:1", torch.device("cuda:3")) == [1, 3]
    assert cuda_indices(torch.device("cuda")) == [2] == cuda_indices("cuda", "cuda:2")
    assert cuda_indices(torch.device("meta"), "cpu") == []


def test_seeded_on_the_cpu_seeds_and_puts_back_the_cpu_generator_and_no_cuda_device(monkeypatch) -> None:
    seeded_all: list[int] = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", seeded_all.append)  # what torch.manual_seed calls for every GPU
    torch.manual_seed(4)
    seeded_all.clear()
    with seeded(9, torch.device("cpu"), None):
        inside = torch.rand(3)
    assert torch.equal(inside, torch.rand(3, generator=torch.Generator().manual_seed(9)))
    assert torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(4)))  # the caller's stream goes on
    assert seeded_all == []


def test_a_dann_fit_on_the_cpu_seeds_no_cuda_device(monkeypatch) -> None:
    """The DANN fit seeded its dropout with torch.manual_seed, which seeds (or queues a seed for) every CUDA device, outside
    the fork that puts back only the fit's own: a CPU fit reseeded every GPU's generator for good."""
    seeded_all: list[Any] = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", seeded_all.append)
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    hl.MLPClassifier((4,), max_iter=2, random_state=0, domain_adaptation="dann").fit(X, y, X_target=X + 1.0)
    assert seeded_all == []


@pytest.mark.skipif(torch.cuda.device_count() < 1, reason="needs a CUDA device")
def test_seeded_on_one_gpu_seeds_that_gpu_and_puts_it_back() -> None:
    torch.cuda.manual_seed(4)
    before = torch.cuda.get_rng_state(0)
    with seeded(9, "cuda:0"):
        inside = torch.rand(3, device="cuda:0")
    torch.cuda.manual_seed(9)
    assert torch.equal(inside, torch.rand(3, device="cuda:0"))
    torch.cuda.set_rng_state(before, 0)
    with seeded(9, "cuda:0"):
        pass
    assert torch.equal(torch.cuda.get_rng_state(0), before)
