"""The NumPy forward of a table's dense network with dropout and norms, against PyTorch's own eval-mode forward.

``predict`` on the CPU and the server's NumPy path run :func:`dense_forward` with each norm's eval-mode map
(:func:`batch_norm_map` of the running statistics, :func:`layer_norm_map`) and no dropout step; the network's
``numpy_norms`` gives those maps, or None where NumPy would not compute what the PyTorch forward does.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from hiddenlayers.network import Network, batch_norm_map, dense_forward, get_activation, layer_norm_map


def _trained_statistics(net: Network, seed: int) -> Network:
    """``net`` after a few training-mode passes on shifted, scaled rows (batch norms' running statistics far from 0 and 1), with
    its norms' affine parameters drawn, in eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
        net.train()
        for _ in range(3):
            net(3.0 + 2.0 * torch.randn(16, net.in_features, generator=g, dtype=net.head.weight.dtype))
    return net.eval()


def _numpy_forward(net: Network, X: np.ndarray, dt: type) -> np.ndarray:
    layers = [(lin.weight.detach().numpy().T.astype(dt), lin.bias.detach().numpy().astype(dt)) for lin in net.linears()]
    acts = [get_activation(a).np_forward for a in net.activation_names()]
    norms = net.numpy_norms(dt)
    assert norms is not None
    return dense_forward(layers, acts, X, dt, norms=norms)


@settings(max_examples=25, deadline=None)
@given(spec=st.sampled_from(["6:relu:batchnorm:dropout=0.5,4:tanh:layernorm", "5:layernorm:elu,5:batchnorm:silu", "7:dropout=0.3:logistic"]),
       double=st.booleans(), seed=st.integers(0, 2**16))
def test_the_numpy_forward_is_the_eval_mode_torch_forward(spec: str, double: bool, seed: int) -> None:
    dtype, dt = (torch.float64, np.float64) if double else (torch.float32, np.float32)
    torch.manual_seed(seed)
    net = _trained_statistics(Network(3, spec, 2).to(dtype), seed)
    X = np.random.default_rng(seed).normal(3.0, 2.0, size=(9, 3))
    with torch.no_grad():
        want = net(torch.as_tensor(X, dtype=dtype)).numpy()
    got = _numpy_forward(net, X, dt)
    assert got.dtype == dt
    np.testing.assert_allclose(got, want, rtol=1e-12 if double else 2e-5, atol=1e-12 if double else 2e-5)


def test_norm_maps_without_affine_parameters_match_torch() -> None:
    z = np.random.default_rng(0).normal(2.0, 3.0, size=(6, 4)).astype(np.float32)
    bn = nn.BatchNorm1d(4, affine=False).eval()
    bn.running_mean.fill_(1.5)
    bn.running_var.fill_(4.0)
    ln = nn.LayerNorm(4, elementwise_affine=False)
    with torch.no_grad():
        t = torch.from_numpy(z)
        np.testing.assert_allclose(batch_norm_map(bn.running_mean.numpy(), bn.running_var.numpy(), None, None, bn.eps, np.float32)(z),
                                   bn(t).numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(layer_norm_map(None, None, ln.eps, np.float32)(z), ln(t).numpy(), rtol=1e-5, atol=1e-5)


def test_a_row_whose_variance_overflows_is_nan_never_a_number() -> None:
    """float32 squares a row's spread: near 1e20 the variance is inf. PyTorch answers 0 for such a row (1e20) or NaN (a row
    of equal 1e30s); the map answers NaN, which predict and the server refuse by name, never a number for a row it cannot compute."""
    z = np.array([[0.0, 1e20, 0.0, -5e19], [0.5, -1.0, 2.0, 0.0]], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        out = layer_norm_map(np.ones(4, np.float32), np.zeros(4, np.float32), 1e-5, np.float32)(z)
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()
    with np.errstate(over="ignore"):
        wide = layer_norm_map(None, None, 1e-5, np.float64)(z.astype(np.float64))
    assert np.isfinite(wide).all()  # within float64's range


def test_numpy_norms_only_for_what_numpy_computes_as_torch() -> None:
    assert Network(3, "4:batchnorm:dropout=0.2,4:layernorm,4", 1).numpy_norms(np.float32) is not None
    assert [m is None for m in Network(3, "4,4:layernorm", 1).numpy_norms(np.float32)] == [True, False]  # type: ignore[union-attr]
    no_stats = Network(3, "4:batchnorm", 1)
    no_stats.hidden1.norm = nn.BatchNorm1d(4, track_running_stats=False)  # normalizes each batch by its own, even in eval mode
    swapped = Network(3, "4:layernorm", 1)
    swapped.hidden1.norm = nn.GroupNorm(2, 4)
    alpha = Network(3, "4:dropout=0.2", 1)
    alpha.hidden1.dropout = nn.AlphaDropout(0.2)
    hardswish = Network(3, "4:layernorm", 1)
    hardswish.hidden1.act = nn.Hardswish()  # named relu, computing another function
    slope = Network(3, "4:leaky_relu", 1)
    slope.hidden1.act = nn.LeakyReLU(0.2)
    assert Network(3, "4:leaky_relu,4:gelu,4:softplus", 1).numpy_norms(np.float32) == [None, None, None]
    for net in (no_stats, swapped, alpha, hardswish, slope, Network((1, 4, 4), "conv2k3,4", 1), Network(4, "embed4,4", 1, vocab_size=9)):
        assert net.numpy_norms(np.float32) is None
    # the engine's plain dense test is unchanged: a dropout or norm still trains through autograd
    assert not Network(3, "4:dropout=0.2", 1).is_plain_dense()


@pytest.mark.parametrize("layer", [0, 1])
def test_a_hidden_layer_of_the_numpy_forward_is_the_torch_one(layer: int) -> None:
    torch.manual_seed(0)
    net = _trained_statistics(Network(3, "6:relu:batchnorm:dropout=0.5,4:tanh:layernorm", 2), 0)
    X = np.random.default_rng(1).normal(size=(5, 3))
    layers = [(lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy()) for lin in net.linears()]
    acts = [get_activation(a).np_forward for a in net.activation_names()]
    got = dense_forward(layers, acts, X, np.float32, layer, net.numpy_norms(np.float32))
    with torch.no_grad():
        want = net(torch.as_tensor(X, dtype=torch.float32), return_hidden=True)[1][layer].numpy()
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)
