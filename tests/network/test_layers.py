"""The activation table and the dense hidden layer: one shared suite for every activation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hiddenlayers import SpecError
from hiddenlayers.network._layers import (
    ACTIVATIONS,
    ALIASES,
    DenseLayer,
    activation_names,
    canonical_activation,
    get_activation,
    init_dense_,
    sklearn_init_,
)

NAMES = sorted(ACTIVATIONS)
# Points on both sides of 0 (but not at 0, where relu-like functions have a kink).
Z = torch.tensor([-6.0, -3.0, -1.3, -0.4, -1e-3, 1e-3, 0.25, 0.9, 2.2, 5.5], dtype=torch.float64)


@pytest.mark.parametrize("name", NAMES)
def test_torch_forward_matches_numpy(name: str) -> None:
    act = ACTIVATIONS[name]
    expected = act.np_forward(Z.numpy().copy())
    np.testing.assert_allclose(act.forward(Z.clone()).numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_module_matches_forward(name: str) -> None:
    act = ACTIVATIONS[name]
    torch.testing.assert_close(act.module()(Z.clone()), act.forward(Z.clone()), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_grad_matches_autograd(name: str) -> None:
    act = ACTIVATIONS[name]
    z = Z.clone().requires_grad_(True)
    h = act.forward(z)
    (auto,) = torch.autograd.grad(h.sum(), z)
    with torch.no_grad():
        hand = act.grad(z.detach(), h.detach())
    torch.testing.assert_close(hand, auto, rtol=1e-10, atol=1e-12)
    np_hand = act.np_grad(z.detach().numpy().copy(), h.detach().numpy().copy())
    np.testing.assert_allclose(np_hand, auto.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_float32_dtype_is_kept(name: str) -> None:
    act = ACTIVATIONS[name]
    z = Z.to(torch.float32)
    h = act.forward(z)
    assert h.dtype == torch.float32
    assert act.grad(z, h).dtype == torch.float32
    zn = z.numpy()
    assert act.np_grad(zn, act.np_forward(zn)).dtype == np.float32


@pytest.mark.parametrize("name", NAMES)
def test_dense_layer_build_forward_and_init(name: str) -> None:
    layer = DenseLayer(7, 5, name)
    assert (layer.in_features, layer.out_features) == (7, 5)
    assert layer.activation_name == name
    out = layer(torch.randn(11, 7))
    assert out.shape == (11, 5)
    assert torch.isfinite(out).all()
    act = ACTIVATIONS[name]
    if act.init == "he":
        bound = act.gain * math.sqrt(3.0 / 7)
    else:
        bound = act.gain * math.sqrt(6.0 / (7 + 5))
    w = layer.linear.weight
    assert w.abs().max() <= bound + 1e-6
    # Uniform on (-bound, bound): a 35-weight draw reaches beyond half the bound.
    assert w.abs().max() > bound / 2
    assert torch.all(layer.linear.bias == 0)
    assert repr(layer).count(f"activation='{name}'") == 1


@pytest.mark.parametrize("name", NAMES)
def test_dense_layer_with_norm_and_dropout(name: str) -> None:
    for norm in ("batch", "layer"):
        layer = DenseLayer(4, 6, name, dropout=0.5, norm=norm)
        layer.train()
        assert layer(torch.randn(8, 4)).shape == (8, 6)
        layer.eval()
        a = layer(torch.randn(3, 4))
        assert a.shape == (3, 6)


def test_aliases_resolve() -> None:
    assert canonical_activation("sigmoid") == "logistic"
    assert canonical_activation(" ReLU ") == "relu"
    assert canonical_activation("swish") == "silu"
    assert canonical_activation("linear") == "identity"
    assert set(activation_names()) == set(ACTIVATIONS) | set(ALIASES)
    for required in ("identity", "relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "logistic", "sigmoid", "softplus"):
        assert required in activation_names()


def test_unknown_activation_lists_names_and_suggests() -> None:
    valid = ", ".join(activation_names())
    with pytest.raises(SpecError) as info:
        get_activation("tahn")
    assert str(info.value) == f"unknown activation 'tahn': use one of {valid}. Did you mean 'tanh'?"
    with pytest.raises(SpecError, match=r"^unknown activation 'zzzzzz': use one of identity, relu, .*softplus, sigmoid, linear, swish, none\.$"):
        get_activation("zzzzzz")
    with pytest.raises(SpecError, match=r"^activation must be a string, one of identity, .*Received: 3\.$"):
        get_activation(3)  # type: ignore[arg-type]


def test_unknown_norm() -> None:
    with pytest.raises(SpecError, match=r"^unknown norm 'group': use 'batch', 'layer' or None\.$"):
        DenseLayer(3, 2, norm="group")


def test_init_dense_is_seeded_by_generator() -> None:
    a, b = torch.nn.Linear(10, 4), torch.nn.Linear(10, 4)
    init_dense_(a, "relu", torch.Generator().manual_seed(3))
    init_dense_(b, "relu", torch.Generator().manual_seed(3))
    torch.testing.assert_close(a.weight, b.weight)


def test_sklearn_init_matches_sklearn() -> None:
    """Same seed, same starting weights as scikit-learn's MLP."""
    from sklearn.neural_network import MLPRegressor

    sk = MLPRegressor(hidden_layer_sizes=(5,), activation="logistic")
    sk._random_state = np.random.RandomState(4)
    sk._initialize(np.zeros((20, 3)), [6, 5, 3], np.dtype(np.float64))
    rng = np.random.RandomState(4)
    first, second = torch.nn.Linear(6, 5).double(), torch.nn.Linear(5, 3).double()
    sklearn_init_(first, "logistic", rng)
    sklearn_init_(second, "logistic", rng)
    np.testing.assert_array_equal(first.weight.detach().numpy().T, sk.coefs_[0])
    np.testing.assert_array_equal(first.bias.detach().numpy(), sk.intercepts_[0])
    np.testing.assert_array_equal(second.weight.detach().numpy().T, sk.coefs_[1])
