"""Each loss's NumPy value-and-gradient (the CPU engine's) equals its PyTorch
form, including logits far apart where a naive softmax under- or overflows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hiddenlayers.training import LOSSES, get_loss, regression_loss
from loss_helpers import targets


def _reference(name: str, z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
    """Value and per-sample gradient from the PyTorch form, in float64."""
    loss = get_loss(name)
    zt, yt = torch.from_numpy(z.astype(np.float64)), torch.from_numpy(y.astype(np.float64))
    wt = None if w is None else torch.from_numpy(w.astype(np.float64))
    return float(loss.value(zt, yt, wt)), loss.grad(zt, yt).numpy()


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_numpy_value_and_grad_equal_the_torch_form(name: str, dtype: type, weighted: bool) -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((33, 4)).astype(dtype)
    y = targets(name, 33, 4, rng).astype(dtype)
    w = rng.uniform(0.5, 2.0, 33).astype(dtype) if weighted else None
    want_value, want_grad = _reference(name, z, y, w)
    value, grad = get_loss(name).np_value_grad(z.copy(), y, w)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert value == pytest.approx(want_value, rel=tol)
    np.testing.assert_allclose(grad, want_grad, rtol=tol, atol=tol)
    assert grad.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_far_below_the_batch_maximum_stay_exact(dtype: type) -> None:
    # one shift for the whole batch would underflow the second row to exp(-500) = 0
    z = np.array([[500.0, 499.0, 0.0], [0.0, 1.0, 2.0], [-3.0, -3.0, -3.0]], dtype=dtype)
    y = np.eye(3, dtype=dtype)[[0, 2, 1]]
    want_value, want_grad = _reference("log_loss", z, y, None)
    value, grad = get_loss("log_loss").np_value_grad(z, y, None)
    assert np.isfinite(value) and np.isfinite(grad).all()
    # float32 keeps ~3e-5 of absolute precision near 500: the summed value carries that much
    assert value == pytest.approx(want_value, abs=2e-4 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-5, atol=1e-7)


def test_softmax_nan_logits_give_a_nan_loss_not_an_error() -> None:
    z = np.array([[0.0, np.nan], [1.0, 2.0]], dtype=np.float32)
    value, _ = get_loss("log_loss").np_value_grad(z, np.eye(2, dtype=np.float32), None)
    assert np.isnan(value)  # the fit loop turns this into "diverged"


@settings(max_examples=60, deadline=None)
@given(
    z=arrays(np.float64, st.tuples(st.integers(1, 9), st.integers(2, 6)), elements=st.floats(-60, 60)),
    offsets=st.lists(st.floats(-300, 300), min_size=9, max_size=9),
    seed=st.integers(0, 2**16),
)
def test_softmax_matches_log_softmax_for_any_spread_of_rows(z: np.ndarray, offsets: list[float], seed: int) -> None:
    z = z + np.asarray(offsets[: z.shape[0]])[:, None]  # rows hundreds apart
    y = np.eye(z.shape[1])[np.random.default_rng(seed).integers(0, z.shape[1], z.shape[0])]
    want_value, want_grad = _reference("log_loss", z, y, None)
    value, grad = get_loss("log_loss").np_value_grad(z.astype(np.float32), y.astype(np.float32), None)
    assert value == pytest.approx(want_value, rel=1e-4, abs=1e-3)
    np.testing.assert_allclose(grad, want_grad, atol=1e-5)


def test_train_takes_a_loss_by_name() -> None:
    """hl.train(network, X, Y, loss="log_loss") is train with get_loss("log_loss"); an unknown name lists the valid ones."""
    import hiddenlayers as hl
    from hiddenlayers.training import get_loss, train

    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.standard_normal((40, 3)), dtype=torch.float32)
    Y = torch.nn.functional.one_hot(torch.as_tensor(rng.integers(0, 3, 40)), 3).float()
    runs = []
    for loss in ("log_loss", get_loss("log_loss")):
        torch.manual_seed(0)
        net = hl.Network(3, "8", 3)
        runs.append(train(net, X, Y, loss=loss, max_epochs=3, generator=torch.Generator().manual_seed(0)).history.train_loss)
    assert runs[0] == runs[1]
    with pytest.raises(ValueError, match=r"^loss must be one of .*Received: loss='hinge'\.$"):
        train(hl.Network(3, "8", 3), X, Y, loss="hinge", max_epochs=1)


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_loss_records_scikit_learns_number_for_several_outputs(weighted: bool) -> None:
    from sklearn.neural_network._base import poisson_loss, squared_loss

    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    w = rng.uniform(0.5, 2.0, 6) if weighted else None
    zt, yt, wt = torch.from_numpy(z), torch.from_numpy(y), None if w is None else torch.from_numpy(w)
    rows = 6.0 if w is None else float(w.sum())
    mean, plain = regression_loss("squared_error"), get_loss("squared_error")
    summed = float(mean.value(zt, yt, wt))
    assert summed == float(plain.value(zt, yt, wt)) and torch.equal(mean.grad(zt, yt), plain.grad(zt, yt))  # the same objective
    # scikit-learn's squared_loss: ½·(weighted) mean over rows and outputs; get_loss's keeps the sum over outputs
    assert mean.reported(summed, z) / rows == pytest.approx(squared_loss(y, z, w), rel=1e-14)
    assert plain.reported(summed, z) == summed
    assert mean.reported(summed, z[:, :1]) is summed  # one output: the number itself
    # scikit-learn's poisson_loss sums over the outputs (its mean is over rows only): unchanged
    ypos = np.abs(y)
    assert regression_loss("poisson") is get_loss("poisson")
    value = float(get_loss("poisson").value(zt, torch.from_numpy(ypos), wt))
    assert value / rows == pytest.approx(poisson_loss(ypos, np.exp(z), w), rel=1e-12)
