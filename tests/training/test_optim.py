"""Optimizers and schedules against scikit-learn's own implementations."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from hiddenlayers.network import Network
from hiddenlayers.training import FlatParams, Schedule, clip_grad_norm_, make_optimizer
from hiddenlayers.training._optim import check_optimizer_kwargs


def _flat(seed: int = 0) -> tuple[Network, FlatParams]:
    torch.manual_seed(seed)
    net = Network(5, (4, 3), 2).double()
    return net, FlatParams(net)


def _sk_params(net: Network) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in net.parameters()]


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_matches_sklearn(nesterov: bool) -> None:
    net, flat = _flat()
    opt = make_optimizer("sgd", flat, momentum=0.9, nesterov=nesterov)
    params = _sk_params(net)
    sk = SGDOptimizer(params, learning_rate_init=0.05, momentum=0.9, nesterov=nesterov)
    rng = np.random.default_rng(0)
    for _ in range(5):
        grads = [rng.standard_normal(p.shape) for p in params]
        flat.grad.copy_(torch.cat([torch.from_numpy(g).reshape(-1) for g in grads]))
        opt.step(0.05)
        sk.update_params(params, grads)
    ours = [p.detach().numpy() for p in net.parameters()]
    for a, b in zip(ours, params):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_adam_matches_sklearn() -> None:
    net, flat = _flat(1)
    opt = make_optimizer("adam", flat, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    params = _sk_params(net)
    sk = AdamOptimizer(params, learning_rate_init=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    rng = np.random.default_rng(1)
    for _ in range(7):
        grads = [rng.standard_normal(p.shape) for p in params]
        flat.grad.copy_(torch.cat([torch.from_numpy(g).reshape(-1) for g in grads]))
        opt.step(0.01)
        sk.update_params(params, grads)
    for a, b in zip([p.detach().numpy() for p in net.parameters()], params):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_adamw_decays_only_linear_weights() -> None:
    net, flat = _flat(2)
    opt = make_optimizer("adamw", flat, weight_decay=0.5)
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    flat.grad.zero_()
    opt.step(0.1)
    for name, p in net.named_parameters():
        if name.endswith("bias"):
            assert torch.equal(p, before[name]), name
        else:
            torch.testing.assert_close(p, before[name] * (1 - 0.1 * 0.5))


def test_rmsprop_step_formula() -> None:
    net, flat = _flat(3)
    opt = make_optimizer("rmsprop", flat, epsilon=1e-8)
    p0 = flat.data.clone()
    g = torch.linspace(-1, 1, flat.grad.numel(), dtype=torch.float64)
    flat.grad.copy_(g)
    opt.step(0.01)
    v = 0.01 * g * g
    torch.testing.assert_close(flat.data, p0 - 0.01 * g / (v.sqrt() + 1e-8))


def test_flat_params_are_views_and_release() -> None:
    net, flat = _flat()
    flat.data.fill_(0.25)
    assert all(torch.all(p == 0.25) for p in net.parameters())
    flat.release()
    flat.data.fill_(1.0)
    assert all(torch.all(p == 0.25) for p in net.parameters())
    assert all(p.grad is None for p in net.parameters())


def test_optimizer_state_round_trip() -> None:
    net, flat = _flat()
    opt = make_optimizer("adam", flat)
    flat.grad.fill_(0.3)
    opt.step(0.01)
    state = opt.state()
    net2, flat2 = _flat()
    opt2 = make_optimizer("adam", flat2)
    opt2.load_state(state)
    assert opt2.t == 1
    np.testing.assert_allclose(np.asarray(opt2.m), np.asarray(opt.m))


def test_clip_grad_norm() -> None:
    _, flat = _flat()
    flat.grad.fill_(10.0)
    clip_grad_norm_(flat, 1.0)
    assert math.isclose(float(torch.linalg.vector_norm(flat.grad)), 1.0, rel_tol=1e-9)
    flat.grad.fill_(1e-3)
    clip_grad_norm_(flat, 1.0)
    assert torch.all(flat.grad == 1e-3)


def test_schedules() -> None:
    s = Schedule("invscaling", 0.1, power_t=0.5)
    s.epoch_end(1, 99, improved=True)
    assert math.isclose(s.lr, 0.1 / 100**0.5)
    c = Schedule("cosine", 0.1, max_epochs=10)
    c.epoch_end(10, 0, improved=True)
    assert c.lr == pytest.approx(0.0, abs=1e-12)
    c = Schedule("cosine", 0.1, max_epochs=10)
    c.epoch_end(5, 0, improved=True)
    assert c.lr == pytest.approx(0.05)
    a = Schedule("adaptive", 0.1)
    assert a.on_no_improvement() and a.lr == pytest.approx(0.02)
    a.lr = 1e-7
    assert not a.on_no_improvement()
    p = Schedule("plateau", 0.1, patience=2)
    p.epoch_end(1, 0, improved=False)
    assert p.lr == 0.1
    p.epoch_end(2, 0, improved=False)
    assert p.lr == pytest.approx(0.01)
    assert not Schedule("constant", 0.1).on_no_improvement()
    with pytest.raises(ValueError, match="learning_rate must be one of constant, invscaling, adaptive, cosine, plateau"):
        Schedule("linear", 0.1)


def test_unknown_solver_message() -> None:
    _, flat = _flat()
    with pytest.raises(ValueError, match=r"solver must be one of sgd, adam, adamw, rmsprop, lbfgs\. Received: solver='adagrad'"):
        make_optimizer("adagrad", flat)


def test_adam_falls_back_when_the_fused_kernel_is_unusable(monkeypatch) -> None:
    """The CPU fast path calls a private PyTorch kernel; if another torch version changes it, the update stays right."""
    ref_net, ref_flat = _flat(1)
    ref = make_optimizer("adam", ref_flat)
    net, flat = _flat(1)
    opt = make_optimizer("adam", flat)

    def broken(*args, **kwargs):
        raise TypeError("_fused_adam_() got an unexpected keyword argument")

    monkeypatch.setattr(torch, "_fused_adam_", broken)
    for _ in range(3):
        for f in (ref_flat, flat):
            f.grad.copy_(torch.linspace(-1, 1, f.grad.numel(), dtype=f.grad.dtype))
        monkeypatch.undo()
        ref.step(0.01)
        monkeypatch.setattr(torch, "_fused_adam_", broken)
        opt.step(0.01)
    assert not opt._fused
    np.testing.assert_allclose(flat.data.numpy(), ref_flat.data.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver, fused", [("sgd", False), ("rmsprop", False), ("adam", True), ("adam", False)])
def test_step_with_l2_equals_adding_the_penalty_gradient_first(solver: str, fused: bool) -> None:
    """``step(lr, l2=c)`` is ``grad += c·W`` on linear weights only (not biases), then ``step(lr)``."""
    ref_net, ref_flat = _flat(3)
    ref = make_optimizer(solver, ref_flat)
    net, flat = _flat(3)
    opt = make_optimizer(solver, flat)
    if solver == "adam" and not fused:
        opt._fused = False  # the NumPy update, as when the private kernel is unusable
    assert opt.folds_l2 == fused
    rng = np.random.default_rng(3)
    for step in range(5):
        g = torch.from_numpy(rng.standard_normal(flat.grad.numel()))
        c = 0.01 * (step + 1)
        flat.grad.copy_(g)
        ref_flat.grad.copy_(g + c * ref_flat.decay_mask * ref_flat.data)
        opt.step(0.05, l2=c)
        ref.step(0.05)
    np.testing.assert_allclose(flat.data.numpy(), ref_flat.data.numpy(), rtol=1e-12, atol=1e-14)


def _on_torch(opt):
    """The optimizer's buffers as torch views of the same memory: what it holds on a GPU, here on the CPU."""
    opt.xp = torch
    for k, v in list(vars(opt).items()):
        if isinstance(v, np.ndarray):
            setattr(opt, k, torch.from_numpy(v))
    opt._fused = False
    return opt


@pytest.mark.parametrize(("solver", "kw"), [("adam", {}), ("adamw", {"weight_decay": 0.01}), ("sgd", {}),
                                            ("sgd", {"nesterov": False}), ("rmsprop", {})])
def test_device_step_equals_step(solver: str, kw: dict) -> None:
    # the CUDA-graph step reads per-step numbers from device_scalars; it must follow step()
    opts = [_on_torch(make_optimizer(solver, _flat(1)[1], **kw)) for _ in range(2)]
    rng = np.random.default_rng(0)
    for lr in [0.01, 0.003]:
        s = torch.from_numpy(opts[1].device_scalars(lr, opts[1].t, 5))
        assert s.shape == (5, 2)
        for j in range(5):
            g = torch.from_numpy(rng.standard_normal(opts[0].flat.grad.shape[0]))
            for opt in opts:
                opt.flat.grad.copy_(g)
            opts[0].step(lr)
            opts[1].device_step(s[j])
        opts[1].t += 5
    assert opts[0].t == opts[1].t == 10
    assert opts[1].__dict__.get("_device_fused", True)  # adam: PyTorch's fused kernel took every step
    torch.testing.assert_close(opts[1].flat.data, opts[0].flat.data, rtol=1e-12, atol=1e-14)


def test_device_step_refused_on_cpu_buffers() -> None:
    _, flat = _flat()
    with pytest.raises(ValueError, match="on a GPU"):
        make_optimizer("adam", flat).prepare_device_step()


@pytest.mark.parametrize(("kwargs", "exc", "message"), [
    ({"kind": "cosine", "lr0": -1}, ValueError, "Schedule lr0 must be a finite number > 0 (the starting learning rate). Received: lr0=-1."),
    ({"kind": "cosine", "lr0": math.nan}, ValueError, "Schedule lr0 must be a finite number > 0 (the starting learning rate). Received: lr0=nan."),
    ({"kind": "invscaling", "lr0": 0.1, "power_t": -1}, ValueError,
     "Schedule power_t must be a finite number >= 0 (the exponent of 'invscaling'). Received: power_t=-1."),
    ({"kind": "plateau", "lr0": 0.1, "patience": 0}, ValueError,
     "Schedule patience must be an integer >= 1 (epochs without improvement before 'plateau' lowers the rate). Received: patience=0."),
    ({"kind": "plateau", "lr0": 0.1, "patience": -3}, ValueError,
     "Schedule patience must be an integer >= 1 (epochs without improvement before 'plateau' lowers the rate). Received: patience=-3."),
    ({"kind": "cosine", "lr0": 0.1, "max_epochs": 0}, ValueError,
     "Schedule max_epochs must be an integer >= 1 (the epochs of one cosine cycle). Received: max_epochs=0."),
])
def test_schedule_refuses_nonsense(kwargs: dict[str, object], exc: type[Exception], message: str) -> None:
    kind, lr0 = kwargs.pop("kind"), kwargs.pop("lr0")
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        Schedule(kind, lr0, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_optimizer_kwargs_ranges(value: float) -> None:
    """beta in [0, 1), epsilon > 0, momentum in [0, 1]: anything else is one ValueError naming the key."""
    for key, ok in (("beta_1", 0 <= value < 1), ("epsilon", 0 < value < math.inf), ("momentum", 0 <= value <= 1)):
        solver = "sgd" if key == "momentum" else "adam"
        if ok:
            assert check_optimizer_kwargs(solver, {key: value}) == {key: value}
        else:
            with pytest.raises(ValueError, match=rf"^optimizer_kwargs\['{key}'\] must be a finite number"):
                check_optimizer_kwargs(solver, {key: value})


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop", "adamw"])
def test_moments_carry_over_only_to_the_same_parameters(name):
    """A warm fit continues the optimizer only on the same layout; after freeze changed which layers train
    (here two layers of equal size, so the buffers have equal length), it starts afresh instead of applying
    one layer's moments to another."""

    def stepped(frozen: str):
        torch.manual_seed(0)
        net = Network(8, "8,8", 3)
        for p in getattr(net, frozen).parameters():
            p.requires_grad_(False)
        flat = FlatParams(net)
        opt = make_optimizer(name, flat)
        flat.grad.normal_()
        opt.step(0.01)
        return flat, opt

    def moments(opt) -> dict:
        return {k: v for k, v in opt.state().items() if k not in ("t", "layout")}

    flat1, opt1 = stepped("hidden1")
    state = opt1.state()
    assert opt1.t == 1 and any(v.abs().sum() > 0 for v in moments(opt1).values())
    flat2, _ = stepped("hidden2")
    assert flat1.data.numel() == flat2.data.numel() and flat1.layout != flat2.layout
    other = make_optimizer(name, flat2)
    other.load_state(state)  # another layout: nothing carried
    assert other.t == 0 and all(v.abs().sum() == 0 for v in moments(other).values())
    flat3, _ = stepped("hidden1")
    same = make_optimizer(name, flat3)
    same.load_state(state)  # the same layout: moments and step count carried
    assert same.t == 1
    for k, v in moments(same).items():
        torch.testing.assert_close(v, moments(opt1)[k], rtol=0, atol=0)
