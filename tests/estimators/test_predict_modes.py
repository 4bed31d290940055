"""The estimators' PyTorch forward (``transform``, predict off the NumPy path) hands ``network_`` back with every submodule's mode."""

from __future__ import annotations

import warnings

import pytest
import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl
from hiddenlayers.estimators._predict import torch_forward


@pytest.fixture(scope="module")
def data():
    return load_iris(return_X_y=True)


def _fitted(X, y) -> hl.MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8, 6), max_iter=3, random_state=0).fit(X, y)


def _modes(net: torch.nn.Module) -> dict[str, bool]:
    return {name: m.training for name, m in net.named_modules()}


def test_transform_keeps_every_submodule_mode(data) -> None:
    X, y = data
    clf = _fitted(X, y)
    clf.network_.train()
    clf.network_.hidden1.eval()  # a training network with a frozen first layer
    before = _modes(clf.network_)
    assert clf.transform(X, layer=1).shape == (len(X), 8)
    assert _modes(clf.network_) == before


def test_torch_forward_keeps_modes_when_the_forward_raises(data) -> None:
    X, y = data
    clf = _fitted(X, y)
    clf.network_.hidden2.train()  # an eval network with one layer left training
    before = _modes(clf.network_)

    def fail(module: torch.nn.Module, args: object) -> None:
        raise RuntimeError("forward failed")

    handle = clf.network_.head.register_forward_pre_hook(fail)
    with pytest.raises(RuntimeError, match="forward failed"):
        torch_forward(clf, X.astype("float32"))
    handle.remove()
    assert _modes(clf.network_) == before
