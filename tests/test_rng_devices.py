"""A fit seeds (and puts back) the generators of the devices it uses, not every CUDA device's (hiddenlayers._rng.seeded); `cost`
and `prune` put back the CPU's and their model's (keeps_torch_rng)."""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest
import torch

import hiddenlayers as hl
from hiddenlayers._rng import cuda_indices, keeps_torch_rng, model_devices, seeded


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


class _OnGpu(torch.nn.Module):
    """A module whose one parameter says it is on ``cuda:INDEX`` (this box has no GPU: only its device is read)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def parameters(self, recurse: bool = True) -> Any:
        yield types.SimpleNamespace(device=torch.device("cuda", self.index))


def test_keeps_torch_rng_puts_back_the_cpu_and_the_models_and_current_gpu_not_every_gpu(monkeypatch) -> None:
    """It saved and put back every GPU's generator (fork_rng over all of device_count()), which PyTorch says initialises
    each device: on a machine of 4 GPUs, a model on cuda:2 (the current device 0) touched all four. Now cuda:2 and 0."""
    saved: list[Any] = []
    restored: list[Any] = []
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)  # a process that has used its GPUs
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device="cuda": saved.append(device) or torch.zeros(16, dtype=torch.uint8))
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda state, device="cuda": restored.append(device))

    @keeps_torch_rng
    def draws(model: Any) -> torch.Tensor:
        return torch.rand(3)

    torch.manual_seed(5)
    inside = draws(_OnGpu(2))
    assert torch.equal(inside, torch.rand(3))  # the CPU generator put back: the caller's next draw is the one made inside
    assert sorted(saved) == sorted(restored) == [0, 2]
    saved.clear()
    restored.clear()
    draws(model=torch.nn.Linear(2, 1))  # a model on the CPU: the current GPU's only
    assert saved == restored == [0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 2 epochs: a model to read, not to use
def test_model_devices_reads_a_module_an_estimators_network_and_a_pipelines_last_step() -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.random.default_rng(0).normal(size=(20, 3))
    clf = hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    cpu = [torch.device("cpu")]
    assert model_devices(clf) == model_devices(make_pipeline(StandardScaler(), clf)) == model_devices(clf.network_) == cpu
    assert model_devices(_OnGpu(1)) == [torch.device("cuda", 1)]
    assert model_devices(hl.MLPClassifier((4,))) == model_devices(None) == []  # unfitted: nothing to read
