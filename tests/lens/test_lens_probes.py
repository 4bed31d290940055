"""Linear probes: about 1.0 on separable labels, about chance on shuffled labels."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from hiddenlayers.lens import probe
from hiddenlayers.lens._probes import probe_features


def test_separable_labels_score_near_one_and_shuffled_near_chance(rng):
    X = rng.normal(size=(600, 5)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) > 0).astype(int)
    net = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 2))
    res = probe(net, X, y, layers=["1"])
    assert res.layers == ["input", "1"] and res.metric == "accuracy"
    assert res.test_score[0] >= 0.97  # the input is linearly separable by construction
    shuffled = probe(net, X, rng.permutation(y), layers=["1"])
    assert abs(shuffled.test_score[0] - shuffled.chance) < 0.1
    assert shuffled.chance == pytest.approx(0.5, abs=0.1)


def test_multiclass_and_regression_probes(rng):
    f = rng.normal(size=(400, 3))
    y = np.argmax(f, axis=1)
    res = probe_features({"f": f}, y)
    assert res.test_score[0] > 0.9
    reg = probe_features({"f": f, "noise": rng.normal(size=(400, 3))}, f @ np.array([1.0, 2.0, 3.0]))
    assert reg.metric == "r2" and reg.test_score[0] > 0.99 and reg.test_score[1] < 0.1
    assert reg.best() == "f"


def test_errors(rng):
    with pytest.raises(ValueError, match="one label per row"):
        probe(nn.Linear(3, 2), rng.normal(size=(10, 3)).astype(np.float32), np.zeros(9))
    with pytest.raises(ValueError, match="test_size must be"):
        probe_features({"f": np.zeros((10, 2))}, np.arange(10) % 2, test_size=1.5)
    with pytest.raises(ValueError, match="1-D labels"):
        probe_features({"f": np.zeros((10, 2))}, np.zeros((10, 2)))
