"""Activation memory: cost's figures against what autograd really keeps for backward (saved_tensors_hooks on a real forward)."""

from __future__ import annotations

import weakref

import pytest
import torch
from torch import nn

from hiddenlayers import Network
from hiddenlayers.rightsize import cost

FAST = {"n_calls": 10, "throughput_batch": 8, "per_layer_latency": False}
#: cost's figure and the hook's count agree to this share (they count the same tensors: the test holds them to it)
TOLERANCE = 0.01


def _hook_count(module: nn.Module, x: torch.Tensor) -> int:
    """Bytes of the distinct storages a training forward on ``x`` saves for backward and still holds, weights left out."""
    weights = {t.untyped_storage().data_ptr() for t in (*module.parameters(), *module.buffers())}
    refs: list[weakref.ref[torch.Tensor]] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        refs.append(weakref.ref(t))
        return t

    was = module.training
    module.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = module(x)
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for r in refs if (t := r()) is not None}
    module.train(was)
    del out
    return sum(n for ptr, n in storages.items() if ptr not in weights)


def _inputs(net: Network, batch: int) -> torch.Tensor:
    torch.manual_seed(0)
    if net.vocab_size:
        return torch.randint(0, net.vocab_size, (batch, *net.input_shape))
    return torch.randn(batch, *net.input_shape)


NETWORKS = {
    "dense relu": lambda: Network(10, "32,16", 3),
    "gelu, tanh, dropout, batch norm": lambda: Network(10, "32:gelu:dropout=0.2:norm=batch,16:tanh", 3),
    "conv, batch norm, max pool": lambda: Network((1, 8, 8), "conv4k3:norm=batch,pool2,16", 3),
    "lstm": lambda: Network((12, 5), "lstm16", 3),
    "gru every step": lambda: Network((12, 5), "gru16:seq,8", 3),
    "embed, bidirectional lstm": lambda: Network(7, "embed6,lstm8:bi", 2, vocab_size=30),
}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_activation_bytes_are_what_autograd_saves(name: str) -> None:
    """The total and the rows' sum equal the hook's count at the batch asked for (the old figure, the layers' outputs, was
    0.02x an LSTM's and 0.36x a dropout + batch-norm network's)."""
    net = NETWORKS[name]()
    r = cost(net, batch_size=8, **FAST)
    expected = _hook_count(net, _inputs(net, 8))
    assert abs(r.activation_bytes - expected) <= TOLERANCE * expected
    assert sum(lc.activation_bytes for lc in r.layers) == r.activation_bytes


@pytest.mark.parametrize(("cell", "gates"), [("lstm", 4), ("gru", 3)])
def test_recurrent_rows_keep_every_steps_gates_and_name_the_cell(cell: str, gates: int) -> None:
    """An LSTM keeps 4 gates x units per step for backward, a GRU 3: the row holds at least that (the CPU kernel keeps more);
    its activation names the cell, not 'tanh' for the whole layer."""
    batch, steps, units = 8, 12, 16
    net = Network((steps, 5), f"{cell}{units}", 3)
    r = cost(net, batch_size=batch, **FAST)
    row = r.layers[0]
    assert row.activation == f"{cell}: sigmoid gates, tanh"
    assert row.activation_bytes >= gates * units * steps * batch * 4
    # linear in nothing but what it keeps: twice the steps, about twice the bytes
    longer = cost(Network((2 * steps, 5), f"{cell}{units}", 3), batch_size=batch, **FAST).layers[0].activation_bytes
    assert 1.6 * row.activation_bytes <= longer <= 2.4 * row.activation_bytes


def test_dense_rows_by_hand() -> None:
    """ReLU keeps its output (which the next product reads too: counted once, in its own row); GELU its input, its output
    kept by the next product; dropout its mask, its output kept by the next product; the input is the first row's."""
    b = 8
    r = cost(Network(10, "32,16", 3), batch_size=b, **FAST)
    assert [lc.activation_bytes for lc in r.layers] == [b * 4 * (10 + 32), b * 4 * 16, 0]
    r = cost(Network(10, "32:gelu,16:dropout=0.5", 3), batch_size=b, **FAST)
    # hidden2: GELU's output (its product's input), the ReLU's output, dropout's mask (float32 on the CPU); the head: dropout's output
    assert [lc.activation_bytes for lc in r.layers] == [b * 4 * (10 + 32), b * 4 * (32 + 16 + 16), b * 4 * 16]


def test_batch_one_with_batch_norm_is_measured_at_two_and_halved() -> None:
    """Batch norm cannot train on one row: the figure at batch 1 is half of batch 2's, not an error."""
    net = Network(10, "32:norm=batch,16", 3)
    one = cost(net, batch_size=1, **FAST)
    two = cost(net, batch_size=2, **FAST)
    assert one.activation_bytes > 0 and abs(one.activation_bytes - two.activation_bytes // 2) <= len(two.layers)


def test_a_plain_module_with_attention_matches_the_hook() -> None:
    """A plain module's rows (leaf modules with weights) hold what they and the weightless modules after them save."""

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
            self.norm = nn.LayerNorm(8)
            self.out = nn.Linear(8, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h, _ = self.attn(x, x, x)
            return self.out(self.norm(x + h).mean(1))

    torch.manual_seed(0)
    block = Block()
    x = torch.randn(6, 5, 8)
    r = cost(block, example_input=x, batch_size=6, n_calls=10, throughput_batch=8)
    expected = _hook_count(block, x)
    assert abs(r.activation_bytes - expected) <= TOLERANCE * expected
    seq = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    r = cost(seq, input_shape=(1, 8, 8), batch_size=4, n_calls=10, throughput_batch=8)
    # the conv's row: its input and the ReLU's output; the Linear's: nothing new (the flattened ReLU output is a view)
    assert [lc.activation_bytes for lc in r.layers] == [4 * 4 * (64 + 4 * 36), 0]
