"""``export_onnx`` traces an eval copy: the estimator's network keeps every submodule's own mode."""

from __future__ import annotations

import warnings

import pytest
import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl

pytest.importorskip("onnxruntime")


def _modes(net: torch.nn.Module) -> dict[str, bool]:
    return {name: m.training for name, m in net.named_modules()}


def test_export_keeps_every_submodule_mode(tmp_path) -> None:
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8, 6), max_iter=3, random_state=0).fit(X, y)
    clf.network_.train()
    clf.network_.hidden1.eval()  # a training network with a frozen first layer
    before = _modes(clf.network_)
    hl.export_onnx(clf, tmp_path / "m.onnx", X=X[:20])
    assert _modes(clf.network_) == before
