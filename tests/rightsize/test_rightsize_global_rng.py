"""``cost`` and ``prune`` leave PyTorch's global generator as the caller had it.

Their random timing inputs, the energy probe's training steps and the smaller networks ``prune`` builds (``nn.Linear``
initialises itself before the kept weights are copied in) all drew from it, so a user's own ``torch.manual_seed(...)``
sequence shifted because they asked what a model costs (``hiddenlayers/_rng.py``)."""

from __future__ import annotations

import warnings

import pytest
import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl


@pytest.fixture(scope="module")
def fitted() -> tuple[hl.MLPClassifier, object, object]:
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8, 6), max_iter=5, random_state=0).fit(X, y), X, y


def _the_stream_goes_on_from(seed: int) -> bool:
    return torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(seed)))


def test_cost_leaves_the_global_generator(fitted) -> None:
    clf, _, _ = fitted
    torch.manual_seed(4)
    hl.cost(clf, n_calls=10, throughput_batch=8, per_layer_latency=False)
    assert _the_stream_goes_on_from(4)


def test_cost_of_a_plain_module_with_random_inputs_leaves_the_global_generator() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 2))
    torch.manual_seed(5)
    hl.cost(net, input_shape=(4,), n_calls=10, throughput_batch=8, per_layer_latency=False)
    assert _the_stream_goes_on_from(5)


def test_prune_leaves_the_global_generator(fitted) -> None:
    clf, X, y = fitted
    torch.manual_seed(6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.prune(clf, X, y, max_drop=0.2, cv=2, fine_tune_epochs=1, latency_calls=0)
    assert _the_stream_goes_on_from(6)
