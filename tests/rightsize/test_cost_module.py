"""cost() of a plain torch.nn.Module: parameters and FLOPs checked against sum(p.numel()) and torch's flop counter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from hiddenlayers.rightsize import cost

FAST = {"n_calls": 20, "throughput_batch": 32, "batch_size": 8}


def _flop_count(module: nn.Module, x: torch.Tensor, backward: bool) -> int:
    with FlopCounterMode(display=False) as counter:
        out = module(x)
        if backward:
            (out * out).sum().backward()
    module.zero_grad(set_to_none=True)
    return int(counter.get_total_flops())


class _Conv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Linear(8 * 6 * 6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


def test_an_mlp_module_on_real_rows_matches_the_flop_counter_and_numel() -> None:
    torch.manual_seed(0)
    X = load_iris().data.astype(np.float32)
    mlp = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    r = cost(mlp, example_input=X[:10], train_batch_size=10, **FAST)
    assert r.params == sum(p.numel() for p in mlp.parameters()) == 4 * 16 + 16 + 16 * 3 + 3
    x = torch.from_numpy(X)
    assert r.flops_per_prediction == _flop_count(mlp, x[:1], False) == 2 * (4 * 16 + 16 * 3)
    assert r.flops_per_train_step == _flop_count(mlp, x[:10], True) > 2 * r.flops_per_prediction
    assert [(lc.name, lc.in_features, lc.out_features, lc.activation) for lc in r.layers] == [("0", 4, 16, "Linear"), ("2", 16, 3, "Linear")]
    assert [lc.flops_per_prediction for lc in r.layers] == [2 * 4 * 16, 2 * 16 * 3]
    assert r.weight_bytes == 4 * r.params and r.activation_bytes == 8 * 4 * (4 + 16)  # the input and the ReLU's output, as backward keeps them
    assert 0 < r.latency_forward_p50_us <= r.latency_forward_p99_us and r.throughput_per_s > 0 and r.energy_per_1000_predictions_j > 0
    assert r.latency_predict_p50_us is None  # no predict() to time
    assert r.energy_per_epoch_j is None and r.epoch_samples is None
    assert any("no energy per epoch" in n for n in r.notes)
    assert "raw forward batch 1" in str(r)


def test_a_conv_module_from_input_shape_and_its_modes_and_gradients_left_alone() -> None:
    torch.manual_seed(0)
    net = _Conv().train()
    net.features[1].eval()  # a submodule's own mode must come back as it was
    r = cost(net, input_shape=(3, 6, 6), **FAST)
    x = torch.randn(1, 3, 6, 6)
    with torch.no_grad():
        probe = _Conv().eval()
        probe.load_state_dict(net.state_dict())
    assert r.params == sum(p.numel() for p in net.parameters())
    assert r.flops_per_prediction == _flop_count(probe, x, False)
    assert r.train_batch_size == 8  # batch_size when no train_batch_size: a plain module has no training batch of its own
    assert [lc.name for lc in r.layers] == ["features.0", "features.1", "head"]
    assert net.training and not net.features[1].training and net.features[0].training
    assert all(p.grad is None for p in net.parameters())
    same = cost(net, input_shape=[3, 6, 6], **FAST)  # a list works too; the same counts
    assert same.flops_per_prediction == r.flops_per_prediction and same.params == r.params


def test_a_module_without_an_input_gets_one_error_asking_for_one() -> None:
    mlp = nn.Sequential(nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"^cost\(\) of a plain torch\.nn\.Module \(Sequential\) needs an input to run it on: pass "
                       r"example_input= .* or input_shape= ") as info:
        cost(mlp, **FAST)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": (0, 4)}, "input_shape must be one input's shape"),
        ({"input_shape": "4"}, "input_shape must be one input's shape"),
        ({"input_shape": (True,)}, "input_shape must be one input's shape"),
        ({"example_input": np.zeros((0, 4), np.float32)}, "example_input must be a batch of at least one input"),
        ({"example_input": np.zeros((2, 4), np.float32), "input_shape": (4,)}, "not both"),
        ({"X": np.zeros((2, 4), np.float32)}, "X is for a hiddenlayers estimator"),
        ({"input_shape": (4,), "epoch_samples": 100}, "omit epoch_samples"),
    ],
)
def test_bad_inputs_for_a_plain_module_are_one_line_each(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cost(nn.Sequential(nn.Linear(4, 2)), **kwargs, **FAST)


def test_example_input_is_refused_for_a_hiddenlayers_network() -> None:
    from hiddenlayers.network import Network

    with pytest.raises(ValueError, match="example_input= and input_shape= are for a plain torch.nn.Module; Network makes its own"):
        cost(Network(5, "7,3", 2), input_shape=(5,), **FAST)


def test_an_input_the_module_cannot_take_is_one_line_naming_its_shape() -> None:
    with pytest.raises(ValueError, match=r"^Sequential cannot run on an input of shape \(1, 5\) \(torch\.float32\): .*input_shape it takes\.$") as info:
        cost(nn.Sequential(nn.Linear(4, 2)), input_shape=(5,), **FAST)
    assert "\n" not in str(info.value)


class _OwnWeight(nn.Module):
    """A layer, then a matrix product with the module's own parameter: 12 parameters and 24 FLOPs no leaf layer holds."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(8, 4)
        self.w = nn.Parameter(torch.randn(4, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.a(x)) @ self.w


def test_the_rows_sum_to_the_totals_when_a_module_owns_weights_outside_its_layers() -> None:
    """The rows summed to 36 of 48 parameters and their energy shares to 73% under a 'total ... 100%' row."""
    torch.manual_seed(0)
    r = cost(_OwnWeight(), input_shape=(8,), **FAST)
    assert r.params == 36 + 12 and r.flops_per_prediction == 2 * (8 * 4 + 4 * 3)
    assert [(lc.name, lc.params, lc.flops_per_prediction) for lc in r.layers] == [("a", 36, 64), ("(other)", 12, 24)]
    assert sum(lc.flops_per_train_step for lc in r.layers) == r.flops_per_train_step > 0
    assert sum(lc.weight_bytes for lc in r.layers) == r.weight_bytes == 4 * 48
    assert sum(lc.energy_share for lc in r.layers) == pytest.approx(1.0)
    assert "(other)" in str(r) and "outside the layers" in str(r)
    plain = cost(nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 3)), input_shape=(8,), **FAST)
    assert "(other)" not in [lc.name for lc in plain.layers]  # everything in a layer: no such row
