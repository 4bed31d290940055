"""The generalized cross entropy: its NumPy and PyTorch forms agree, its
hand-written gradient equals autograd's and finite differences, its limits
are cross entropy (q -> 0) and 1 - p_y (q = 1), and it learns through wrong labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hiddenlayers.training import generalized_cross_entropy, get_loss
from loss_helpers import targets


def _case(binary: bool, dtype: type, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = (3 * rng.standard_normal((29, 1 if binary else 4))).astype(dtype)
    y = targets("binary_log_loss" if binary else "log_loss", 29, z.shape[1], rng).astype(dtype)
    return z, y


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("q", [0.2, 0.7, 1.0])
def test_numpy_value_and_grad_equal_the_torch_form(binary: bool, dtype: type, weighted: bool, q: float) -> None:
    z, y = _case(binary, dtype)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(z)).astype(dtype) if weighted else None
    loss = generalized_cross_entropy(q, binary=binary)
    zt, yt = torch.from_numpy(z.astype(np.float64)), torch.from_numpy(y.astype(np.float64))
    want = float(loss.value(zt, yt, None if w is None else torch.from_numpy(w.astype(np.float64))))
    value, grad = loss.np_value_grad(z.copy(), y, w)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert value == pytest.approx(want, rel=tol)
    np.testing.assert_allclose(grad, loss.grad(zt, yt).numpy(), rtol=tol, atol=tol)
    assert grad.dtype == dtype


@pytest.mark.parametrize("binary", [False, True])
def test_grad_is_autograd_and_finite_differences(binary: bool) -> None:
    z, y = _case(binary, np.float64, seed=2)
    loss = generalized_cross_entropy(0.4, binary=binary)
    zt = torch.from_numpy(z).requires_grad_(True)
    yt = torch.from_numpy(y)
    loss.value(zt, yt, None).backward()  # the per-sample gradients, as the sum's gradient
    torch.testing.assert_close(loss.grad(zt.detach(), yt), zt.grad)
    assert torch.autograd.gradcheck(lambda t: loss.value(t, yt, None), (zt.detach().clone().requires_grad_(True),))


def test_small_q_is_cross_entropy_and_q_one_is_one_minus_p() -> None:
    z, y = _case(False, np.float64, seed=3)
    zt, yt = torch.from_numpy(z), torch.from_numpy(y)
    ce = get_loss("log_loss")
    tiny = generalized_cross_entropy(1e-7)
    assert float(tiny.value(zt, yt, None)) == pytest.approx(float(ce.value(zt, yt, None)), rel=1e-5)
    torch.testing.assert_close(tiny.grad(zt, yt), ce.grad(zt, yt), rtol=1e-5, atol=1e-6)
    p_y = (torch.softmax(zt, 1) * yt).sum(1)
    assert float(generalized_cross_entropy(1.0).value(zt, yt, None)) == pytest.approx(float((1 - p_y).sum()))


def test_rows_the_model_finds_implausible_pull_less_than_under_cross_entropy() -> None:
    z = torch.tensor([[4.0, 0.0], [0.0, 4.0]], dtype=torch.float64)  # row 1's label (0) gets p = 0.018
    y = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    gce, ce = generalized_cross_entropy(0.7).grad(z, y), get_loss("log_loss").grad(z, y)
    ratio = gce.norm(dim=1) / ce.norm(dim=1)
    assert ratio[1] < 0.1 < 0.9 < ratio[0]  # p_y^q: 0.018^0.7 = 0.06 and 0.982^0.7 = 0.99


@pytest.mark.parametrize("q", [0.0, -0.1, 1.5, float("nan")])
def test_q_outside_zero_one_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match="q must lie in"):
        generalized_cross_entropy(q)


@settings(max_examples=60, deadline=None)
@given(
    z=arrays(np.float64, st.tuples(st.integers(1, 9), st.integers(1, 6)), elements=st.floats(-60, 60)),
    offsets=st.lists(st.floats(-300, 300), min_size=9, max_size=9),
    q=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**16),
)
def test_value_and_grad_stay_finite_and_agree_for_any_spread_of_logits(z: np.ndarray, offsets: list[float], q: float, seed: int) -> None:
    binary = z.shape[1] == 1  # one column: the logistic form; several: softmax
    z = z + np.asarray(offsets[: z.shape[0]])[:, None]  # rows hundreds apart
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, z.shape).astype(float) if binary else np.eye(z.shape[1])[rng.integers(0, z.shape[1], z.shape[0])]
    loss = generalized_cross_entropy(q, binary=binary)
    zt, yt = torch.from_numpy(z), torch.from_numpy(y)
    value, grad = loss.np_value_grad(z.astype(np.float32), y.astype(np.float32), None)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert 0.0 <= value <= z.shape[0] * (z.shape[1] if binary else 1) / q * (1 + 1e-6)  # each term lies in [0, 1/q]
    assert value == pytest.approx(float(loss.value(zt, yt, None)), rel=1e-4, abs=1e-3)
    np.testing.assert_allclose(grad, loss.grad(zt, yt).numpy(), atol=1e-5)
