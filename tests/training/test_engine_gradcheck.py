"""Whole-network gradient check in float64: both engines vs central finite differences.

``make_step(...).step(x, y, w)`` must write d/dθ of
``Σ w_i·loss_i / Σ w_i + alpha/2 · ||W||² / Σ w_i`` into ``flat.grad`` (``w_i = 1``
without sample weights; biases are not penalised, as in scikit-learn).
"""

from __future__ import annotations

import inspect

import pytest
import torch

from hiddenlayers.network import Network
from hiddenlayers.training import LOSSES, FlatParams
from hiddenlayers.training._engine import make_step

N, D = 7, 4
# The dense engine may run on NumPy views (CPU) or on PyTorch tensors; check every backend it has.
_HAS_BACKEND = "backend" in inspect.signature(make_step).parameters
ENGINES = ["dense-numpy", "dense-torch", "autograd"] if _HAS_BACKEND else ["dense", "autograd"]


def _make(net: torch.nn.Module, loss: object, flat: FlatParams, alpha: float, engine: str) -> object:
    name, _, backend = engine.partition("-")
    if backend:
        return make_step(net, loss, flat, alpha, name, backend=backend)  # type: ignore[arg-type, call-arg]
    return make_step(net, loss, flat, alpha, name)  # type: ignore[arg-type]


def _targets(loss: str, z_shape: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
    n, k = z_shape
    if loss == "log_loss":
        return torch.nn.functional.one_hot(torch.randint(0, k, (n,), generator=gen), k).double()
    if loss == "binary_log_loss":
        return torch.randint(0, 2, (n, k), generator=gen).double()
    if loss == "poisson":
        return torch.randint(0, 4, (n, k), generator=gen).double()
    return torch.randn(n, k, generator=gen, dtype=torch.float64)


def _check(net: torch.nn.Module, loss_name: str, engine: str, alpha: float, weighted: bool, k: int) -> None:
    gen = torch.Generator().manual_seed(1)
    net = net.double()
    with torch.no_grad():  # random biases too: zero biases put ReLU units of all-dead rows exactly on the kink
        for p in net.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    flat = FlatParams(net)
    loss = LOSSES[loss_name]
    step = _make(net, loss, flat, alpha, engine)
    convert = getattr(step, "convert", lambda t: t)  # the engine's array type (NumPy views on CPU)
    x = torch.randn(N, D, generator=gen, dtype=torch.float64)
    y = _targets(loss_name, (N, k), gen)
    w = torch.rand(N, generator=gen, dtype=torch.float64) * 2 + 0.1 if weighted else None
    xs, ys, ws = convert(x), convert(y), None if w is None else convert(w)
    denom = float(w.sum()) if w is not None else float(N)

    def objective() -> float:
        total = step.step(xs, ys, ws)
        return float(total) / denom + 0.5 * alpha * float(flat.l2()) / denom

    f0 = objective()
    analytic = flat.grad.clone()
    # The returned value is the summed (weighted) batch loss.
    with torch.no_grad():
        expected_sum = loss.value(net(x), y, w)
    assert float(step.step(xs, ys, ws)) == pytest.approx(float(expected_sum), rel=1e-12, abs=1e-12)
    assert abs(f0 - objective()) < 1e-12  # a step does not change the weights

    eps = 1e-6
    numeric = torch.empty_like(analytic)
    theta = flat.data
    for i in range(theta.numel()):
        old = float(theta[i])
        theta[i] = old + eps
        up = objective()
        theta[i] = old - eps
        down = objective()
        theta[i] = old
        numeric[i] = (up - down) / (2 * eps)
    torch.testing.assert_close(analytic, numeric, rtol=1e-6, atol=1e-7)


ACTIVATION_CASES = ["relu", "tanh", "logistic", "gelu", "elu", "softplus", "leaky_relu", "silu", "identity"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("activation", ACTIVATION_CASES)
def test_gradient_matches_finite_differences(engine: str, activation: str) -> None:
    # Every activation on every engine; the losses rotate so each pairs with several activations
    # (every loss is also checked on every engine, with and without weights, below).
    i = ACTIVATION_CASES.index(activation)
    loss_name = sorted(LOSSES)[i % len(LOSSES)]
    torch.manual_seed(i)
    k = 3
    net = Network(D, f"5:{activation},4", k, activation=activation)
    _check(net, loss_name, engine, alpha=0.3, weighted=i % 2 == 0, k=k)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_mixed_stack_with_and_without_weights(engine: str, loss_name: str, weighted: bool) -> None:
    torch.manual_seed(2)
    net = Network(D, "6:tanh,5:identity,3:logistic", 2)
    _check(net, loss_name, engine, alpha=1.5, weighted=weighted, k=2)


@pytest.mark.parametrize("engine", ENGINES)
def test_gradient_no_hidden_layer_and_zero_alpha(engine: str) -> None:
    _check(Network(D, (), 2), "squared_error", engine, alpha=0.0, weighted=False, k=2)


@pytest.mark.parametrize("spec", ["6:tanh:layernorm,3", "5:batchnorm:gelu"])
def test_autograd_gradient_with_norm_layers(spec: str) -> None:
    torch.manual_seed(3)
    _check(Network(D, spec, 3), "log_loss", "autograd", alpha=0.2, weighted=True, k=3)


def test_auto_engine_choice_and_errors() -> None:
    plain = Network(3, "4", 1).double()
    normed = Network(3, "4:layernorm", 1).double()
    loss = LOSSES["squared_error"]
    assert type(make_step(plain, loss, FlatParams(plain), 0.0, "auto")).__name__ == "DenseEngine"
    assert type(make_step(normed, loss, FlatParams(normed), 0.0, "auto")).__name__ == "AutogradStep"
    with pytest.raises(ValueError, match=r"^engine must be 'auto', 'dense' or 'autograd'\. Received: engine='jit'\.$"):
        make_step(plain, loss, FlatParams(plain), 0.0, "jit")
    with pytest.raises(ValueError, match=r"^the hand-written engine needs dense layers without norm or dropout: use engine='autograd' or 'auto' for this network\.$"):
        make_step(normed, loss, FlatParams(normed), 0.0, "dense")
