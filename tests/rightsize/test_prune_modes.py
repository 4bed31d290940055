"""``prune`` reads the model's activations in eval mode and hands its network back with every submodule's mode."""

from __future__ import annotations

import warnings

import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl
from hiddenlayers.rightsize._prune.prune import _activations


def _modes(net: torch.nn.Module) -> dict[str, bool]:
    return {name: m.training for name, m in net.named_modules()}


def test_activations_keep_every_submodule_mode() -> None:
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8, 6), max_iter=3, random_state=0).fit(X, y)
    clf.network_.train()
    clf.network_.hidden1.eval()
    before = _modes(clf.network_)
    hidden = _activations(clf, X)
    assert [h.shape for h in hidden] == [(len(X), 8), (len(X), 6)]
    assert _modes(clf.network_) == before
