"""Every number `explain` prints, against references that share no code with it.

The references are PyTorch float64 autograd through ``torch.nn.functional``
(not the library's activation table) and central finite differences of a plain
NumPy forward pass; they check ``z``, ``h``, the loss, ``dL/dz``, ``dL/dh``,
``act'(z)``, ``dL/dW``, ``dL/db``, ``dL/dx``, the updated weights and the loss
after the step, for every activation, loss, size, seed and learning rate.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.network import ACTIVATIONS
from hiddenlayers.training._explain import LOSSES, explain

TORCH_ACT = {
    "identity": lambda z: z, "relu": F.relu, "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "elu": F.elu,
    "gelu": F.gelu, "silu": F.silu, "tanh": torch.tanh, "logistic": torch.sigmoid, "softplus": F.softplus,
}


def _np_act(name: str, z: np.ndarray) -> np.ndarray:
    return TORCH_ACT[name](torch.from_numpy(z)).numpy()


def _torch_loss(y: torch.Tensor, t: torch.Tensor, loss: str, q: float | None = None) -> torch.Tensor:
    if loss == "generalized_cross_entropy":  # (1 - p_y^q)/q, p_y the labelled class's softmax probability (t one-hot)
        return (1 - (torch.softmax(y, 0) ** t).prod() ** q) / q
    if loss == "binary_generalized_cross_entropy":  # per output, p_y = p^t·(1 - p)^(1 - t)
        p = torch.sigmoid(y)
        return ((1 - (p**t * (1 - p) ** (1 - t)) ** q) / q).sum()
    if loss == "poisson":  # half deviance of y = e^z
        return (torch.exp(y) - t * y + torch.special.xlogy(t, t) - t).sum()
    if loss == "squared_error":
        return 0.5 * ((y - t) ** 2).sum()  # the library's (and its training loss's) ½·Σ over outputs
    if loss == "logistic_squared_error":  # the textbooks' quadratic cost over sigmoid outputs
        return 0.5 * ((torch.sigmoid(y) - t) ** 2).sum()
    if loss == "binary_cross_entropy":
        p = torch.sigmoid(y)
        return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).sum()
    return -(t * torch.log(torch.softmax(y, 0))).sum()


def _reference(ex, params):
    """Forward with autograd; z, h of each layer keep their gradients."""
    x = torch.tensor(ex.x, requires_grad=True)
    h, zs, hs = x, [], []
    for i, (W, b) in enumerate(params):
        z = W @ h + b
        h = z if i == len(params) - 1 else TORCH_ACT[ex.activation](z)
        if z.requires_grad:
            z.retain_grad()
            h.retain_grad()
        zs.append(z)
        hs.append(h)
    L = _torch_loss(h, torch.tensor(ex.target), ex.loss_name, ex.q)
    return x, zs, hs, L


def _np_loss(ex, weights, x) -> float:
    """Plain NumPy float64 forward, for finite differences."""
    h = x
    for i, (W, b) in enumerate(weights):
        z = W @ h + b
        h = z if i == len(weights) - 1 else _np_act(ex.activation, z)
    t = ex.target
    with torch.no_grad():
        return float(_torch_loss(torch.from_numpy(h), torch.from_numpy(t), ex.loss_name, ex.q))


def check_every_number(ex) -> None:
    params = [(torch.tensor(s.W, requires_grad=True), torch.tensor(s.b, requires_grad=True)) for s in ex.forward]
    x, zs, hs, L = _reference(ex, params)
    L.backward()
    tol = {"rtol": 1e-10, "atol": 1e-12}
    assert ex.loss == pytest.approx(L.item(), rel=1e-12, abs=1e-14)
    for s, z, h in zip(ex.forward, zs, hs):  # forward, layer by layer
        np.testing.assert_allclose(s.z, z.detach().numpy(), **tol)
        np.testing.assert_allclose(s.h, h.detach().numpy(), **tol)
    out_p = {"squared_error": hs[-1], "binary_cross_entropy": torch.sigmoid(hs[-1]), "cross_entropy": torch.softmax(hs[-1], 0),
             "binary_generalized_cross_entropy": torch.sigmoid(hs[-1]), "generalized_cross_entropy": torch.softmax(hs[-1], 0),
             "poisson": torch.exp(hs[-1]), "logistic_squared_error": torch.sigmoid(hs[-1])}[ex.loss_name]
    np.testing.assert_allclose(ex.output, out_p.detach().numpy(), **tol)
    np.testing.assert_allclose(ex.dL_dout, zs[-1].grad.numpy(), **tol)
    for k, s in enumerate(reversed(ex.backward)):  # input side first, as params
        W, b = params[k]
        np.testing.assert_allclose(s.dL_dz, zs[k].grad.numpy(), **tol)
        np.testing.assert_allclose(s.dL_dW, W.grad.numpy(), **tol)
        np.testing.assert_allclose(s.dL_db, b.grad.numpy(), **tol)
        below = x.grad if k == 0 else hs[k - 1].grad
        np.testing.assert_allclose(s.dL_dh_in, below.numpy(), **tol)
        if k < len(params) - 1:  # the chain rule's two factors of a hidden layer
            np.testing.assert_allclose(s.dL_dh, hs[k].grad.numpy(), **tol)
            np.testing.assert_allclose(s.dL_dh * s.act_grad, s.dL_dz, **tol)
    # one gradient-descent step: W - lr·dL/dW, and the loss there
    lr = ex.learning_rate
    for (W, b), (W_new, b_new) in zip(params, ex.updated):
        np.testing.assert_allclose(W_new, (W - lr * W.grad).detach().numpy(), **tol)
        np.testing.assert_allclose(b_new, (b - lr * b.grad).detach().numpy(), **tol)
    with torch.no_grad():
        stepped = [(W - lr * W.grad, b - lr * b.grad) for W, b in params]
        _, _, _, L_after = _reference(ex, stepped)
    assert ex.loss_after == pytest.approx(L_after.item(), rel=1e-10, abs=1e-14)


def check_finite_differences(ex, eps: float = 1e-6) -> None:
    """Central differences of the NumPy forward, every weight, bias and input."""
    weights = [(s.W.copy(), s.b.copy()) for s in ex.forward]
    x = ex.x.copy()
    grads = [(s.dL_dW, s.dL_db) for s in reversed(ex.backward)]

    def fd(arr: np.ndarray) -> np.ndarray:
        out = np.empty_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = _np_loss(ex, weights, x)
            arr[idx] = old - eps
            down = _np_loss(ex, weights, x)
            arr[idx] = old
            out[idx] = (up - down) / (2 * eps)
        return out

    for (W, b), (dW, db) in zip(weights, grads):
        np.testing.assert_allclose(dW, fd(W), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(db, fd(b), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ex.backward[-1].dL_dh_in, fd(x), rtol=1e-5, atol=1e-7)


def _q(loss: str, q: float) -> dict[str, float]:
    """``{"q": q}`` for the generalized cross entropy (the only losses that take it), else nothing."""
    return {"q": q} if "generalized" in loss else {}


def _target(loss: str, n_out: int, rng: np.random.Generator) -> np.ndarray:
    if loss == "squared_error":
        return np.round(rng.normal(size=n_out), 2)
    if loss in ("binary_cross_entropy", "binary_generalized_cross_entropy", "logistic_squared_error"):
        return np.round(rng.uniform(0, 1, n_out), 2)
    if loss == "poisson":
        return rng.poisson(1.5, n_out).astype(float)
    return np.eye(n_out)[rng.integers(n_out)]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", LOSSES)
def test_every_number_for_every_activation_and_loss(activation, loss):
    rng = np.random.default_rng(7)
    ex = explain((3, 4, 3, 2), activation=activation, loss=loss, seed=5, learning_rate=0.3,
                 target=_target(loss, 2, rng), x=np.round(rng.uniform(-2, 2, 3), 3), **_q(loss, 0.4))
    check_every_number(ex)
    check_finite_differences(ex)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=3, max_size=5),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    loss=st.sampled_from(LOSSES),
    seed=st.integers(0, 2**32 - 1),
    lr=st.floats(1e-4, 2.0),
    q=st.floats(0.05, 1.0),
)
def test_every_number_for_any_sizes_seed_and_rate(sizes, activation, loss, seed, lr, q):
    if loss in ("cross_entropy", "generalized_cross_entropy") and sizes[-1] < 2:
        sizes[-1] = 2
    ex = explain(sizes, activation=activation, loss=loss, seed=seed, learning_rate=lr,
                 target=_target(loss, sizes[-1], np.random.default_rng(seed)), **_q(loss, q))
    check_every_number(ex)
    check_finite_differences(ex)


def test_the_defaults_are_the_documented_ones():
    """Default input: seeded uniform in [-1, 1] to 2 decimals; default target: one-hot on the first output."""
    ex = explain((3, 2, 4), seed=11)
    np.testing.assert_array_equal(ex.x, np.round(ex.x, 2))
    assert np.all(np.abs(ex.x) <= 1)
    np.testing.assert_array_equal(ex.target, [1, 0, 0, 0])
    for s in ex.forward:  # weights and biases to 2 decimals
        np.testing.assert_array_equal(s.W, np.round(s.W, 2))
        np.testing.assert_array_equal(s.b, np.round(s.b, 2))
    np.testing.assert_array_equal(explain((3, 2, 4), seed=11).forward[0].W, ex.forward[0].W)  # the seed decides
