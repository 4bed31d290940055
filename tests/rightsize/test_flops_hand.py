"""cost()'s FLOPs counted from the layers' shapes (``_flops_hand``) equal FlopCounterMode's, key for key, without it."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import torch
from test_cost_module import _OwnWeight  # a module multiplying by its own parameter outside its layers
from torch import nn

from hiddenlayers.apps._autoencoder import AutoencoderNet
from hiddenlayers.apps._recommend import RecommenderNet
from hiddenlayers.apps._seq.net import SequenceNetwork
from hiddenlayers.network import Network
from hiddenlayers.rightsize import _measure
from hiddenlayers.rightsize._flops_hand import NO_PRODUCTS, hand_flops


def _frozen(net: Network, *names: str, bias_too: bool = True) -> Network:
    for name in names:
        for pname, p in getattr(net, name).named_parameters():
            if bias_too or not pname.endswith("bias"):
                p.requires_grad_(False)
    return net


def _padded_frames(n: int, steps: int, features: int) -> torch.Tensor:
    """Frames ``(n, steps, features)``, each sequence a step shorter than the one before (NaN steps are padding)."""
    x = torch.randn(n, steps, features)
    for i in range(n):
        x[i, steps - i:] = float("nan")
    return x


def _padded_ids(n: int, steps: int, vocab: int) -> torch.Tensor:
    x = torch.randint(1, vocab, (n, steps))
    for i in range(n):
        x[i, steps - i:] = 0
    return x


Case = tuple[Callable[[], nn.Module], Callable[[int], torch.Tensor], bool]
CASES: dict[str, Case] = {
    "mlp norms dropout": (lambda: Network(6, "8:norm=batch,5:norm=layer:dropout=0.2,4:tanh", 3), lambda n: torch.randn(n, 6), True),
    "mlp identity activations": (lambda: Network(6, "8:identity,5,4:identity:dropout=0.1", 3), lambda n: torch.randn(n, 6), True),
    "sequential identities": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.0), nn.Flatten(), nn.Identity(), nn.Linear(4, 2)),
                              lambda n: torch.randn(n, 3), False),
    "mlp first frozen": (lambda: _frozen(Network(6, "8,5,4", 3), "hidden1"), lambda n: torch.randn(n, 6), True),
    "mlp middle frozen": (lambda: _frozen(Network(6, "8,5,4", 3), "hidden2"), lambda n: torch.randn(n, 6), False),
    "mlp weight frozen, bias trains": (lambda: _frozen(Network(6, "8,5", 3), "hidden1", bias_too=False), lambda n: torch.randn(n, 6), True),
    "image convs": (lambda: Network((2, 11, 11), "conv4k3:s2:p1:norm=batch,pool2,conv3k2:same:dropout=0.1,avgpool2:s1,gap,5", 3),
                    lambda n: torch.randn(n, 2, 11, 11), True),
    "image flatten gmp": (lambda: Network((1, 8, 8), "conv3k3:p2,flatten,7", 3), lambda n: torch.randn(n, 1, 8, 8), True),
    "image conv frozen": (lambda: _frozen(Network((1, 8, 8), "conv3k3,conv2k3,gmp", 2), "hidden1"), lambda n: torch.randn(n, 1, 8, 8), True),
    "conv1d then lstm": (lambda: Network((10, 3), "conv4k3,pool2,lstm5", 2), lambda n: torch.randn(n, 10, 3), True),
    "lstm bi 2 layers": (lambda: Network((7, 3), "lstm5:bi:layers=2:dropout=0.1,4", 2), lambda n: torch.randn(n, 7, 3), True),
    "lstm bi 2 layers float64": (lambda: Network((7, 3), "lstm5:bi:layers=2,4", 2).double(), lambda n: torch.randn(n, 7, 3).double(), True),
    "gru bi 2 layers seq, gru": (lambda: Network((7, 3), "gru5:bi:layers=2:seq,gru4,4", 2), lambda n: torch.randn(n, 7, 3), False),
    "text embed gru": (lambda: Network(6, "embed4,gru5,3", 2, vocab_size=11), lambda n: torch.randint(0, 11, (n, 6)), True),
    "text embed frozen lstm float64": (lambda: _frozen(Network(6, "embed4,lstm5,3", 2, vocab_size=11).double(), "hidden2"),
                                       lambda n: torch.randint(0, 11, (n, 6)), True),
    "text embed frozen lstm": (lambda: _frozen(Network(6, "embed4,lstm5:bi,3", 2, vocab_size=11), "hidden2"),
                               lambda n: torch.randint(0, 11, (n, 6)), True),
    "text embed conv": (lambda: Network(6, "embed4,conv3k2,7", 2, vocab_size=11), lambda n: torch.randint(0, 11, (n, 6)), True),
    "sequences lstm bi packed": (lambda: SequenceNetwork((6, 3), "lstm5:bi:layers=2,4", 2), lambda n: _padded_frames(n, 6, 3), True),
    "sequences gru bi packed": (lambda: SequenceNetwork((6, 3), "conv4k2,gru5:bi:seq,gap", 2), lambda n: _padded_frames(n, 6, 3), True),
    "sequences gru": (lambda: SequenceNetwork((6, 3), "gru5:layers=2", 2), lambda n: _padded_frames(n, 6, 3), True),
    "sequences ids embed lstm": (lambda: SequenceNetwork(6, "embed4,lstm5:bi", 2, vocab_size=9), lambda n: _padded_ids(n, 6, 9), True),
    "autoencoder": (lambda: AutoencoderNet(5, "6:norm=batch,3", 2, "relu"), lambda n: torch.randn(n, 5), False),
    "recommender": (lambda: RecommenderNet(4, 5, 3, "6", "relu", 0.1, 3.5), lambda n: torch.stack([torch.arange(n) % 4, torch.arange(n) % 5], 1), False),
    "recommender gmf head fixed": (lambda: RecommenderNet(4, 5, 3, (), "relu", 0.0, 3.5, interaction="dot"),
                                   lambda n: torch.stack([torch.arange(n) % 4, torch.arange(n) % 5], 1), False),
    "sequential groups dilation 3d": (lambda: nn.Sequential(
        nn.Conv2d(4, 6, 3, groups=2, dilation=2, padding=1), nn.PReLU(), nn.GroupNorm(2, 6), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        nn.Linear(24, 5, bias=False), nn.Hardswish(), nn.Identity(), nn.Linear(5, 2)),
        lambda n: torch.randn(n, 4, 9, 9), False),
    "sequential conv3d": (lambda: nn.Sequential(nn.Conv3d(2, 3, 2, stride=2), nn.BatchNorm3d(3), nn.ReLU(), nn.MaxPool3d(2), nn.Flatten(),
                                                nn.Linear(24, 2)), lambda n: torch.randn(n, 2, 8, 8, 8), False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hand_counts_equal_the_counters_key_for_key(case: str) -> None:
    """A prediction at batch 1 and a training step at batch 3: the same dict as FlopCounterMode's (with _flops' recurrent
    kernels added by hand), key for key, for every layer kind and network class hiddenlayers builds."""
    make, example, is_clf = CASES[case]
    torch.manual_seed(0)
    net = make()
    for train_step, x in ((False, example(1)), (True, example(3))):
        hand = hand_flops(copy.deepcopy(net), x, train_step, is_clf)
        assert hand is not None and hand["Global"] > 0, train_step
        assert hand == _measure._counted_flops(copy.deepcopy(net), x, train_step, is_clf), train_step


class _NoCounter:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("FlopCounterMode used")


def test_the_covered_networks_are_counted_without_flopcountermode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter's first use imports torch._dynamo (about 3 s): cost() of these networks must not enter it."""
    import torch.utils.flop_counter

    from hiddenlayers.rightsize import cost

    monkeypatch.setattr(torch.utils.flop_counter, "FlopCounterMode", _NoCounter)
    for case in ("mlp norms dropout", "image convs", "sequences lstm bi packed", "text embed gru", "autoencoder"):
        make, example, is_clf = CASES[case]
        for train_step in (False, True):
            assert _measure._flops(make(), example(3), train_step, is_clf)["Global"] > 0
    fast = {"n_calls": 10, "throughput_batch": 8, "batch_size": 4, "per_layer_latency": False}
    r = cost(Network((1, 6, 6), "conv2k3,pool2,4", 2), **fast)
    assert r.flops_per_prediction == 2 * (2 * 9 * 16 + 8 * 4 + 4 * 2)
    assert cost(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), input_shape=(3,), **fast).flops_per_train_step == 2 * 4 * (12 * 2 + 8 * 3)


class _OwnNetwork(Network):
    def forward(self, x: torch.Tensor, return_hidden: bool = False) -> torch.Tensor:
        return super().forward(x) @ torch.ones(2, 2)


def _hooked() -> Network:
    net = Network(3, "4", 2)
    net.hidden1.register_forward_hook(lambda m, i, o: o @ torch.ones(4, 4))
    return net


def _replaced_forward() -> Network:
    net = Network(3, "4", 2)
    net.hidden1.act.forward = lambda z: z @ torch.ones(4, 4)  # type: ignore[method-assign]
    return net


def _unknown_kind() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.Unflatten(1, (2, 2)))


@pytest.mark.parametrize("make", [_OwnWeight, lambda: _OwnNetwork(3, "4", 2), _hooked, _replaced_forward, _unknown_kind,
                                  lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(torch.device("meta"))],
                         ids=["own product", "network subclass", "hooked layer", "forward replaced", "unknown kind", "off the cpu"])
def test_what_it_cannot_prove_falls_back_to_the_counter(make: Callable[[], nn.Module]) -> None:
    net = make()
    assert hand_flops(net, torch.randn(2, 3), False, False) is None


def test_products_outside_the_layers_are_counted_as_before() -> None:
    flops = _measure._flops(_OwnWeight(), torch.randn(2, 8), True, False)  # relu(a(x)) @ w: a's input needs no gradient
    assert flops["Global"] == 2 * 2 * (32 * 2 + 12 * 3) and flops["_OwnWeight.a"] == 2 * 2 * 32 * 2


# one instance and input of each kind NO_PRODUCTS lists: a kind added there must be checked here
_NO_PRODUCT_EXAMPLES: dict[type, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    nn.BatchNorm1d: (lambda: nn.BatchNorm1d(3), (4, 3)), nn.BatchNorm2d: (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    nn.BatchNorm3d: (lambda: nn.BatchNorm3d(3), (2, 3, 2, 2, 2)), nn.LayerNorm: (lambda: nn.LayerNorm(3), (4, 3)),
    nn.GroupNorm: (lambda: nn.GroupNorm(1, 3), (2, 3, 4)), nn.Embedding: (lambda: nn.Embedding(5, 3), (4,)),
    nn.Dropout: (lambda: nn.Dropout(0.5), (4, 3)), nn.Flatten: (nn.Flatten, (2, 3, 4)), nn.Identity: (nn.Identity, (4, 3)),
    nn.ReLU: (nn.ReLU, (4, 3)), nn.LeakyReLU: (nn.LeakyReLU, (4, 3)), nn.ELU: (nn.ELU, (4, 3)), nn.GELU: (nn.GELU, (4, 3)),
    nn.SiLU: (nn.SiLU, (4, 3)), nn.Tanh: (nn.Tanh, (4, 3)), nn.Sigmoid: (nn.Sigmoid, (4, 3)), nn.Softplus: (nn.Softplus, (4, 3)),
    nn.PReLU: (nn.PReLU, (4, 3)), nn.Hardswish: (nn.Hardswish, (4, 3)),
    nn.MaxPool1d: (lambda: nn.MaxPool1d(2), (2, 3, 6)), nn.MaxPool2d: (lambda: nn.MaxPool2d(2), (2, 3, 6, 6)),
    nn.MaxPool3d: (lambda: nn.MaxPool3d(2), (2, 3, 4, 4, 4)), nn.AvgPool1d: (lambda: nn.AvgPool1d(2), (2, 3, 6)),
    nn.AvgPool2d: (lambda: nn.AvgPool2d(2), (2, 3, 6, 6)), nn.AvgPool3d: (lambda: nn.AvgPool3d(2), (2, 3, 4, 4, 4)),
    nn.AdaptiveAvgPool1d: (lambda: nn.AdaptiveAvgPool1d(2), (2, 3, 5)), nn.AdaptiveAvgPool2d: (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    nn.AdaptiveMaxPool1d: (lambda: nn.AdaptiveMaxPool1d(2), (2, 3, 5)), nn.AdaptiveMaxPool2d: (lambda: nn.AdaptiveMaxPool2d(2), (2, 3, 5, 5)),
}


def test_the_layers_counted_as_no_products_have_none_forward_or_backward() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    assert set(_NO_PRODUCT_EXAMPLES) == NO_PRODUCTS
    for kind, (make, shape) in _NO_PRODUCT_EXAMPLES.items():
        module = make().train()
        x = torch.randint(0, 5, shape) if kind is nn.Embedding else torch.randn(shape, requires_grad=True)
        with FlopCounterMode(display=False) as counter:
            out = module(x)
            (out * out).sum().backward()
        assert counter.get_total_flops() == 0, kind
