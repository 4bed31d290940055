"""``cost`` hands the user's Network back with every submodule's own mode, also when a measurement raises."""

from __future__ import annotations

import pytest
import torch

import hiddenlayers as hl
from hiddenlayers.network import Network
from hiddenlayers.rightsize import _cost


def _mixed(training: bool) -> Network:
    """An eval network with its BatchNorm left training, or a training one with a frozen (eval) first layer."""
    torch.manual_seed(0)
    net = Network(4, "8:relu:norm=batch:dropout=0.1,6:relu:dropout=0.1", 2)
    if training:
        net.train()
        net.hidden1.eval()
    else:
        net.eval()
        net.hidden1.norm.train()
    return net


def _modes(net: torch.nn.Module) -> dict[str, bool]:
    return {name: m.training for name, m in net.named_modules()}


@pytest.mark.parametrize("training", [False, True])
def test_cost_keeps_every_submodule_mode(training: bool) -> None:
    net = _mixed(training)
    before = _modes(net)
    hl.cost(net, n_calls=20, throughput_batch=16, batch_size=4, epoch_samples=32, train_batch_size=8)
    assert _modes(net) == before


@pytest.mark.parametrize("training", [False, True])
def test_cost_keeps_modes_when_the_latency_measurement_raises(training: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    net = _mixed(training)
    before = _modes(net)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("forward failed")

    monkeypatch.setattr(_cost, "_forward_times_us", boom)
    with pytest.raises(RuntimeError, match="forward failed"):
        hl.cost(net, n_calls=20, throughput_batch=16, batch_size=4, per_layer_latency=False)
    assert _modes(net) == before


@pytest.mark.parametrize("train_step", [False, True])
def test_flop_count_keeps_modes_also_on_error(train_step: bool) -> None:
    net = _mixed(not train_step)
    before = _modes(net)
    _cost._flops(net, torch.randn(3, 4), train_step, True)
    assert _modes(net) == before

    def fail(module: torch.nn.Module, args: object) -> None:
        raise RuntimeError("forward failed")

    handle = net.head.register_forward_pre_hook(fail)
    with pytest.raises(RuntimeError, match="forward failed"):
        _cost._flops(net, torch.randn(3, 4), train_step, True)
    handle.remove()
    assert _modes(net) == before
