"""explain: one forward + backward pass by hand, checked against autograd."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from rich.console import Console

from hiddenlayers.network import ACTIVATIONS
from hiddenlayers.training._explain import explain, parse_sizes


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy", "binary_cross_entropy"])
def test_matches_autograd_for_every_activation(activation, loss):
    ex = explain((3, 4, 3, 2), activation=activation, loss=loss, seed=1)
    assert ex.max_abs_diff < 1e-7
    assert ex.loss_after < ex.loss  # one small step downhill


def test_hand_numbers_of_a_known_network():
    ex = explain((2, 3, 2), activation="tanh", x="0.5,-1", target="1,0", seed=0)
    h1 = ex.forward[0]
    np.testing.assert_allclose(h1.z, h1.W @ np.array([0.5, -1.0]) + h1.b)
    np.testing.assert_allclose(h1.h, np.tanh(h1.z))
    y = ex.forward[1].z
    assert ex.loss == pytest.approx(0.5 * ((y - [1, 0]) ** 2).sum())
    out, hid = ex.backward
    np.testing.assert_allclose(out.dL_dz, y - [1, 0])
    np.testing.assert_allclose(out.dL_dW, np.outer(y - [1, 0], h1.h))
    np.testing.assert_allclose(hid.dL_dz, (ex.forward[1].W.T @ out.dL_dz) * (1 - h1.h**2))


def test_to_dict_is_json_and_render_prints_every_step():
    ex = explain(seed=3)
    d = json.loads(json.dumps(ex.to_dict()))
    assert d["sizes"] == [2, 3, 2] and d["max_abs_diff"] < 1e-7
    buf = io.StringIO()
    ex.render(Console(file=buf, width=120))
    text = buf.getvalue()
    for part in ["1. Forward pass", "2. Backward pass", "3. Check against PyTorch autograd", "4. One gradient-descent step", "loss before"]:
        assert part in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": "2,3"}, "sizes needs at least 3 positive integers"),
        ({"sizes": "2,a,2"}, "sizes must be integers separated by commas"),
        ({"sizes": "2,99,2"}, "capped at 16 units"),
        ({"x": "1,2,3"}, "input must have 2 numbers"),
        ({"x": "1,b"}, "input must be 2 comma-separated numbers"),
        ({"loss": "hinge"}, "loss must be one of squared_error, cross_entropy, binary_cross_entropy"),
        ({"loss": "binary_cross_entropy", "target": "1.5,0"}, r"each target must be in \[0, 1\]"),
        ({"loss": "cross_entropy", "target": "2,0"}, "probabilities summing to 1"),
        ({"learning_rate": -1.0}, "learning_rate must be a number > 0"),
        ({"activation": "rleu"}, "unknown activation 'rleu'"),
    ],
)
def test_errors(kwargs, message):
    sizes = kwargs.pop("sizes", (2, 3, 2))
    with pytest.raises(ValueError, match=message):
        explain(sizes, **kwargs)


def test_parse_sizes():
    assert parse_sizes("2, 4,3 ,1") == [2, 4, 3, 1]


CE_ONE_OUTPUT = (
    "loss='cross_entropy' needs at least 2 outputs (a softmax over one output is always 1: loss and gradients 0); "
    "for one output use loss='binary_cross_entropy' (logistic), or end sizes with 2 or more. Received: sizes=2,3,1."
)


def test_cross_entropy_over_one_output_is_refused():
    with pytest.raises(ValueError) as info:
        explain((2, 3, 1), loss="cross_entropy")
    assert str(info.value) == CE_ONE_OUTPUT


def test_binary_cross_entropy_is_the_one_output_loss():
    ex = explain((2, 3, 1), loss="binary_cross_entropy", x="0.5,-1", target="1", seed=0)
    z = ex.forward[-1].z
    p = 1 / (1 + np.exp(-z))
    assert ex.loss == pytest.approx(float(-np.log(p[0])))
    np.testing.assert_allclose(ex.dL_dout, p - 1)
    assert np.abs(ex.backward[0].dL_dW).max() > 0 and ex.max_abs_diff < 1e-12 and ex.loss_after < ex.loss
