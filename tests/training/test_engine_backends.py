"""The hand-written engine gives the same loss and gradients on both backends
(NumPy views on the CPU, PyTorch tensors elsewhere) as autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hiddenlayers.network import ACTIVATIONS, Network
from hiddenlayers.training import LOSSES, FlatParams, get_loss, regression_loss
from hiddenlayers.training._engine import AutogradStep, DenseEngine
from loss_helpers import targets


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("weighted", [False, True])
def test_engine_equals_autograd(loss: str, activation: str, backend: str, weighted: bool) -> None:
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    n, d, k = 7, 4, 3
    net = Network(d, (5, 4), k, activation=activation).double()
    X = torch.from_numpy(rng.standard_normal((n, d)))
    Y = torch.from_numpy(targets(loss, n, k, rng))
    W = torch.from_numpy(rng.uniform(0.5, 2.0, n)) if weighted else None
    flat = FlatParams(net)
    auto = AutogradStep(net, get_loss(loss), flat, alpha=0.1)
    want_loss = float(auto.step(X, Y, W))
    want_grad = flat.grad.clone()
    eng = DenseEngine(net, get_loss(loss), flat, alpha=0.1, backend=backend)
    cv = eng.convert
    flat.grad.fill_(123.0)  # the engine must overwrite, not accumulate
    got_loss = float(eng.step(cv(X), cv(Y), cv(W) if W is not None else None))
    assert got_loss == pytest.approx(want_loss, rel=1e-10)
    torch.testing.assert_close(flat.grad, want_grad, rtol=1e-9, atol=1e-11)


def test_engine_refuses_norm_and_dropout() -> None:
    net = Network(3, "4:norm=batch", 2)
    with pytest.raises(ValueError, match="needs dense layers without norm or dropout"):
        DenseEngine(net, get_loss("squared_error"), FlatParams(net), 0.0)


@pytest.mark.parametrize("engine", ["numpy", "torch", "autograd"])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_regressors_mean_over_outputs_changes_the_returned_loss_only(engine: str, weighted: bool) -> None:
    # scikit-learn's MLPRegressor reports ½·mean over the outputs but steps along the sum's gradient: the step returns
    # the sum divided by k, and writes the very gradient of the sum (bit for bit)
    rng = np.random.default_rng(1)
    X = torch.from_numpy(rng.standard_normal((9, 4)))
    Y = torch.from_numpy(rng.standard_normal((9, 3)))
    W = torch.from_numpy(rng.uniform(0.5, 2.0, 9)) if weighted else None
    got = {}
    for name, loss in (("sum", get_loss("squared_error")), ("mean", regression_loss("squared_error"))):
        torch.manual_seed(0)
        net = Network(4, (5,), 3).double()
        flat = FlatParams(net)
        step = AutogradStep(net, loss, flat, alpha=0.1) if engine == "autograd" else DenseEngine(net, loss, flat, alpha=0.1, backend=engine)
        cv = step.convert
        got[name] = (float(step.step(cv(X), cv(Y), None if W is None else cv(W))), flat.grad.clone())
    assert got["mean"][0] == pytest.approx(got["sum"][0] / 3, rel=1e-15)
    assert torch.equal(got["mean"][1], got["sum"][1])
