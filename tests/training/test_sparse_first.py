"""The NumPy engine's step on a SciPy sparse batch (the first layer on the batch's columns) equals its step on the same
batch made dense: loss and every gradient, for each activation, with and without weights, L2, a second hidden layer, no
hidden layer, and a frozen first layer."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import Tensor

from hiddenlayers.network import ACTIVATIONS, Network
from hiddenlayers.training import FlatParams, get_loss
from hiddenlayers.training._engine import DenseEngine
from hiddenlayers.training._sparse_first import columns, grad_w_into, linear


def _batch(rng: np.random.Generator, n: int, d: int, density: float) -> sp.csr_matrix:
    x = sp.random(n, d, density=density, format="csr", random_state=rng)
    x.data = rng.standard_normal(x.nnz)
    return x  # type: ignore[no-any-return]


def _steps(net: Network, x: sp.csr_matrix, Y: np.ndarray, w: np.ndarray | None, alpha: float, loss: str) -> tuple[float, float, Tensor, Tensor]:
    flat = FlatParams(net)
    eng = DenseEngine(net, get_loss(loss), flat, alpha=alpha, backend="numpy")
    flat.grad.fill_(123.0)  # the step must overwrite, not accumulate
    dense_loss = float(eng.step(x.toarray(), Y, w))
    dense_grad = flat.grad.clone()
    flat.grad.fill_(-7.0)
    sparse_loss = float(eng.step(x, Y, w))
    return sparse_loss, dense_loss, flat.grad.clone(), dense_grad


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_step_equals_dense_step(activation: str, weighted: bool) -> None:
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    n, d, k = 9, 50, 3
    net = Network(d, (6, 5), k, activation=activation).double()
    x = _batch(rng, n, d, 0.1)
    Y = np.eye(k)[rng.integers(0, k, n)]
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    got_loss, want_loss, got, want = _steps(net, x, Y, w, 0.1, "log_loss")
    assert got_loss == pytest.approx(want_loss, rel=1e-12)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("hidden", [(), (4,)])
def test_sparse_step_no_hidden_layer_and_float32(hidden: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    n, d = 12, 40
    net = Network(d, hidden, 2)  # float32
    x = _batch(rng, n, d, 0.2).astype(np.float32)
    Y = rng.standard_normal((n, 2)).astype(np.float32)
    got_loss, want_loss, got, want = _steps(net, x, Y, None, 0.0, "squared_error")
    assert got.dtype == torch.float32
    assert got_loss == pytest.approx(want_loss, rel=1e-5)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_sparse_step_with_a_frozen_first_layer() -> None:
    rng = np.random.default_rng(2)
    net = Network(30, (5, 4), 2).double()
    net.linears()[0].requires_grad_(False)
    x = _batch(rng, 8, 30, 0.2)
    Y = np.eye(2)[rng.integers(0, 2, 8)]
    got_loss, want_loss, got, want = _steps(net, x, Y, None, 0.01, "log_loss")
    assert got_loss == pytest.approx(want_loss, rel=1e-12)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_columns_linear_and_gradient_by_hand() -> None:
    """A batch with an empty row, a repeated column and columns never touched: the product and the gradient on the
    batch's columns, the untouched columns' gradient the L2 term alone."""
    x = sp.csr_matrix(np.array([[0.0, 2.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, -1.0, 0.0, 0.0, 0.0]]))
    xs = columns(x)
    np.testing.assert_array_equal(xs.u, [1, 4])
    W = np.arange(10.0).reshape(2, 5)
    b = np.array([0.5, -0.5])
    np.testing.assert_allclose(linear(xs, W, b), x.toarray() @ W.T + b)
    dz = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out = np.full_like(W, np.nan)
    grad_w_into(xs, dz, W, 0.25, out)
    np.testing.assert_allclose(out, dz.T @ x.toarray() + 0.25 * W)
    grad_w_into(xs, dz, W, 0.0, out)
    np.testing.assert_allclose(out[:, [0, 2, 3]], 0.0)


@pytest.mark.parametrize("shuffle", [True, False])
def test_train_on_sparse_X_with_zero_weight_rows_equals_dense(shuffle: bool) -> None:
    """train() itself: a batch's rows of weight 0 left out by a CSR row mask, a batch of weight 0 skipped, float32 X
    fitted in float64 (one cast of the stored values), shuffled or not: the dense X's weights and losses."""
    from hiddenlayers.training import train

    rng = np.random.default_rng(5)
    x = _batch(rng, 60, 40, 0.15).astype(np.float32)
    Y = torch.from_numpy(np.eye(2)[rng.integers(0, 2, 60)])
    w = torch.from_numpy(rng.uniform(0.5, 2.0, 60))
    w[::5] = 0.0
    w[40:50] = 0.0  # one whole batch of weight 0
    nets = []
    for X in (x, torch.from_numpy(x.toarray()).double()):
        torch.manual_seed(0)
        net = Network(40, (6,), 2).double()
        res = train(net, X, Y, loss="log_loss", sample_weight=w, batch_size=10, max_epochs=3, shuffle=shuffle, alpha=0.01,
                    generator=torch.Generator().manual_seed(1))
        nets.append((net, res.history.train_loss))
    for pa, pb in zip(nets[0][0].parameters(), nets[1][0].parameters()):
        torch.testing.assert_close(pa, pb, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(nets[0][1], nets[1][1], rtol=1e-10)
