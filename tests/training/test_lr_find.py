"""The learning-rate range test on any nn.Module: the sweep, the early stop, the module handed back untouched."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from hiddenlayers.training import LRFindResult, get_loss, lr_find
from hiddenlayers.training._lr_find_result import smoothed_losses, steepest_descent


def _data(n: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 4, generator=g)
    return X, X @ torch.randn(4, 1, generator=g)


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))


def test_rates_are_geometric_increasing_and_one_loss_per_step() -> None:
    X, Y = _data()
    found = lr_find(_net(), X, Y, loss="squared_error", solver="sgd", start_lr=1e-6, end_lr=1e-2, num_steps=30, batch_size=32)
    lrs = np.array(found.lrs)
    assert found.stop_reason == "num_steps" and not found.stopped_early
    assert len(lrs) == len(found.losses) == len(found.smoothed) == 30
    assert lrs[0] == pytest.approx(1e-6) and lrs[-1] == pytest.approx(1e-2)
    ratios = lrs[1:] / lrs[:-1]
    assert np.all(ratios > 1) and np.allclose(ratios, ratios[0])
    assert all(math.isfinite(v) and v > 0 for v in found.losses)
    assert found.to_frame().columns.tolist() == ["lr", "loss", "smoothed"] and len(found.to_frame()) == 30


def test_stops_early_when_the_loss_diverges() -> None:
    X, Y = _data(64)
    found = lr_find(nn.Linear(4, 1), X, Y * 100, loss="squared_error", solver="sgd", start_lr=1e-4, end_lr=1e4, num_steps=100, batch_size=16)
    assert found.stopped_early and found.stop_reason in ("diverged", "non_finite")
    assert len(found.lrs) < 100
    finite = [v for v in found.smoothed if math.isfinite(v)]
    assert found.stop_reason == "non_finite" or found.smoothed[-1] > 4 * min(finite[:-1])


def test_the_module_comes_back_bit_identical_with_its_modes_grads_and_rng() -> None:
    X, Y = _data()
    net = _net()
    net.eval()
    net[1].train()  # one submodule in its own mode
    net(X).sum().backward()  # a gradient the user had
    params = [p for p in net.parameters()]
    state = {k: v.clone() for k, v in net.state_dict().items()}
    grads = [p.grad.clone() for p in params]
    modes = [m.training for m in net.modules()]
    rng = torch.get_rng_state()
    lr_find(net, X, Y, loss="squared_error", solver="adam", num_steps=40, batch_size=32)
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())
    assert all(a is b for a, b in zip(net.parameters(), params))  # the same Parameter objects (a user's optimizer holds them)
    assert all(torch.equal(p.grad, g) for p, g in zip(params, grads))
    assert [m.training for m in net.modules()] == modes
    assert torch.equal(torch.get_rng_state(), rng)


def test_reproducible_with_a_generator() -> None:
    X, Y = _data()
    net = _net()
    runs = [lr_find(net, X, Y, loss="squared_error", num_steps=30, batch_size=32, generator=torch.Generator().manual_seed(3)) for _ in range(2)]
    assert runs[0] == runs[1]  # same weights to start from (handed back), same batches, same dropout draws


def test_smoothing_is_a_bias_corrected_moving_average() -> None:
    assert np.allclose(smoothed_losses([2.0, 2.0, 2.0], 0.1), 2.0)  # no pull towards 0 at the start
    s = smoothed_losses([1.0, 3.0], 0.5)
    assert s[1] == pytest.approx((0.5 * 0.5 * 1.0 + 0.5 * 3.0) / (1 - 0.25))
    assert np.array_equal(smoothed_losses([1.0, 3.0], 1.0), [1.0, 3.0])


def test_suggestion_is_the_steepest_descent_of_the_smoothed_loss() -> None:
    lrs = np.geomspace(1e-5, 1, 40)
    loss = 1.0 / (1.0 + np.exp(4 * (np.log10(lrs) + 2)))  # falls fastest at 1e-2
    assert steepest_descent(lrs, loss) == pytest.approx(1e-2, rel=0.35)
    assert steepest_descent(lrs[:2], loss[:2]) is None


def test_plot_marks_the_suggestion_on_a_log_axis() -> None:
    found = LRFindResult(lrs=(1e-3, 1e-2, 1e-1), losses=(1.0, 0.5, 0.4), smoothed=(1.0, 0.6, 0.5), suggestion=1e-2,
                         stop_reason="num_steps", smooth=0.05)
    ax = found.plot()
    assert ax.get_xscale() == "log"
    assert any("suggestion" in t.get_text() for t in ax.get_legend().get_texts())


def test_lbfgs_and_a_module_without_parameters_are_refused() -> None:
    X, Y = _data(16)
    with pytest.raises(ValueError, match="solver='lbfgs' has no learning rate"):
        lr_find(nn.Linear(4, 1), X, Y, loss="squared_error", solver="lbfgs")
    with pytest.raises(ValueError, match="no trainable parameters"):
        lr_find(nn.Linear(4, 1).requires_grad_(False), X, Y, loss="squared_error")


_BAD = st.one_of(st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf))


@settings(max_examples=30)
@given(start=st.one_of(_BAD, st.floats(1e-8, 1.0)), end=st.one_of(_BAD, st.floats(1e-9, 1e3)),
       steps=st.integers(-5, 200), smooth=st.one_of(st.floats(-1.0, 2.0), st.just(math.nan)), diverge=st.floats(-1.0, 10.0))
def test_numeric_options_out_of_range_are_one_line_value_errors(start: float, end: float, steps: int, smooth: float, diverge: float) -> None:
    from hiddenlayers.training import check_sweep

    valid = (0 < start < end and math.isfinite(end) and steps >= 2 and 0 < smooth <= 1 and diverge > 1)
    if valid:
        assert check_sweep(start_lr=start, end_lr=end, num_steps=steps, smooth=smooth, diverge=diverge)[2] == steps
        return
    with pytest.raises(ValueError) as info:
        check_sweep(start_lr=start, end_lr=end, num_steps=steps, smooth=smooth, diverge=diverge)
    message = str(info.value)
    assert "\n" not in message and "Received:" in message


def test_clip_grad_norm_clips_each_step_as_train_does_and_the_module_comes_back() -> None:
    X, Y = _data(64)
    X, Y = X.double(), (Y * 50).double()  # large targets: a large first gradient
    net = nn.Linear(4, 1, bias=False).double()
    w0 = net.weight.detach().clone()
    loss = get_loss("squared_error")
    common = {"loss": loss, "solver": "sgd", "batch_size": 64, "shuffle": False, "optimizer_kwargs": {"momentum": 0.0},
              "start_lr": 0.5, "end_lr": 1.0, "num_steps": 2, "diverge": 1e9}
    clipped = lr_find(net, X, Y, clip_grad_norm=0.1, **common)
    plain = lr_find(net, X, Y, **common)
    assert torch.equal(net.weight, w0)  # handed back bit for bit after both sweeps
    w = w0.clone().requires_grad_(True)
    (loss.value(X @ w.T, Y, None) / 64).backward()  # the step's mean loss and its gradient at w0
    g = w.grad
    assert float(torch.linalg.vector_norm(g)) > 0.1
    want = (w0 - 0.5 * g * (0.1 / torch.linalg.vector_norm(g))).detach()  # one SGD step on the clipped gradient
    assert clipped.losses[0] == plain.losses[0]
    assert clipped.losses[1] == pytest.approx(float(loss.value(X @ want.T, Y, None)) / 64, rel=1e-9)
    assert clipped.losses[1] != pytest.approx(plain.losses[1], rel=1e-3)
    with pytest.raises(ValueError, match="clip_grad_norm must be"):
        lr_find(net, X, Y, clip_grad_norm=0.0, **common)


def test_suggestion_ignores_the_fall_back_from_a_blow_up() -> None:
    # the smoothed loss of digits/Adam: it falls to its lowest at 0.055, blows up, then falls back from its peak; the
    # steepest fall was on that way back (0.89, where training diverges: held-out accuracy 0.37 against 0.97 at 0.007)
    lrs = np.geomspace(1e-4, 10, 50)
    x = np.log10(lrs)
    descent = 1.1 + 1.3 / (1 + np.exp(3 * (x + 2)))  # falls fastest at 1e-2, to its lowest at 0.1
    loss = np.where(x <= -1, descent, descent + 10 * (x + 1) - 7 * (x > 0))  # then the blow-up, and a fall of 7 at 1.0
    assert steepest_descent(lrs, loss) == pytest.approx(1e-2, rel=0.35)


def test_a_nan_row_is_refused_not_swept_as_a_divergence() -> None:
    """Before: a NaN in X made every step's loss NaN, and the sweep stopped at once as 'diverged' with no suggestion."""
    import hiddenlayers as hl

    X = torch.randn(64, 4)
    X[5, 1] = math.nan
    Y = torch.nn.functional.one_hot((X[:, 0] > 0).long(), 2).float()
    net = hl.Network(4, "8", 2)
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(ValueError, match=r"^X holds NaN or infinite values \(first in row 5, counted from 0\): drop or impute"):
        lr_find(net, X, Y, loss="log_loss")
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
