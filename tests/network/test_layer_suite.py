"""The shared layer suite: every layer kind builds, has the right shapes, matches finite
differences, survives a safetensors round trip and is recorded by the lens with no hook left."""

from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import load_file, save_file

import hiddenlayers as hl
from hiddenlayers import Network, SpecError
from hiddenlayers.network import ConvLayer, DenseLayer, EmbedLayer, FlatDense, GlobalPoolLayer, PoolLayer, RecurrentLayer

# (spec, per-sample input shape or int, vocab_size, module type of hidden1)
CASES = [
    ("conv3k3:tanh,pool2,4:tanh", (1, 5, 5), None, ConvLayer),
    ("conv4k3:same:tanh:norm=batch,avgpool2,flatten", (1, 4, 4), None, ConvLayer),
    ("conv4k3:s2:p1:tanh:dropout=0.5,gap", (1, 5, 5), None, ConvLayer),
    ("conv1d3k2:s2:p1:tanh,gmp", (5, 2), None, ConvLayer),
    ("avgpool2:s1,conv1d2k2:elu,pool2", (6, 2), None, PoolLayer),
    ("gap,3:tanh", (2, 3, 3), None, GlobalPoolLayer),
    ("lstm4,3:tanh", (4, 3), None, RecurrentLayer),
    ("gru3:bi:seq,gap", (4, 2), None, RecurrentLayer),
    ("lstm2:bi:layers=2:seq:dropout=0.1,flatten", (3, 2), None, RecurrentLayer),
    ("embed4,gru3", 5, 7, EmbedLayer),
    ("embed3:dropout=0.2,conv1d2k2:tanh,pool2,4:tanh", 6, 6, EmbedLayer),
    ("embed2,3:tanh", 1, 4, EmbedLayer),
    ("4:tanh:layernorm,3:gelu", 3, None, DenseLayer),
]
IDS = [c[0] for c in CASES]


def _inputs(shape: object, vocab: int | None, n: int = 3, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    dims = shape if isinstance(shape, tuple) else (shape,)
    if vocab is not None:
        return torch.randint(0, vocab, (n, *dims), generator=g)
    return torch.randn((n, *dims), generator=g, dtype=dtype)


def _net(spec: str, shape: object, vocab: int | None) -> Network:
    torch.manual_seed(0)
    return Network(shape, spec, 3, activation="tanh", vocab_size=vocab).double()  # type: ignore[arg-type]


@pytest.mark.parametrize("spec, shape, vocab, first", CASES, ids=IDS)
def test_build_and_shapes(spec: str, shape: object, vocab: int | None, first: type) -> None:
    net = _net(spec, shape, vocab)
    n_layers = len(spec.split(","))
    assert [name for name, _ in net.named_children()] == [f"hidden{i}" for i in range(1, n_layers + 1)] + ["head"]
    assert isinstance(net.hidden1, first)
    net.eval()
    x = _inputs(shape, vocab)
    out, hidden = net(x, return_hidden=True)
    assert out.shape == (3, 3)
    assert [tuple(h.shape) for h in hidden] == [(3, *s) for s in net.hidden_shapes]
    torch.testing.assert_close(out, net(x))
    assert net.head.in_features == math.prod(net.hidden_shapes[-1])
    assert net.is_plain_dense() is False


@pytest.mark.parametrize("spec, shape, vocab, first", CASES, ids=IDS)
def test_gradients_match_finite_differences(spec: str, shape: object, vocab: int | None, first: type) -> None:
    net = _net(spec, shape, vocab)
    net.eval()  # dropout off; batch norm uses its (fixed) running statistics
    x = _inputs(shape, vocab, n=2)
    names = [name for name, _ in net.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for p in net.parameters())

    def f(*ps: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(net, dict(zip(names, ps)), (x,))

    assert torch.autograd.gradcheck(f, params, eps=1e-6, atol=1e-5, rtol=1e-4)
    if vocab is None:
        xg = x.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(lambda t: net(t), (xg,), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("spec, shape, vocab, first", CASES, ids=IDS)
def test_safetensors_round_trip(spec: str, shape: object, vocab: int | None, first: type, tmp_path: object) -> None:
    net = _net(spec, shape, vocab)
    net.train()
    net(_inputs(shape, vocab, n=4))  # move batch-norm running statistics off their start
    net.eval()
    path = str(tmp_path) + "/net.safetensors"  # type: ignore[operator]
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, path)
    again = Network.from_config(net.config()).double()
    again.load_state_dict(load_file(path), strict=True)
    again.eval()
    x = _inputs(shape, vocab)
    torch.testing.assert_close(again(x), net(x), rtol=0, atol=0)
    assert again.config() == net.config()
    assert again.spec.to_text() == net.spec.to_text()


@pytest.mark.parametrize("spec, shape, vocab, first", CASES, ids=IDS)
def test_lens_records_every_layer(spec: str, shape: object, vocab: int | None, first: type) -> None:
    net = _net(spec, shape, vocab)
    x = _inputs(shape, vocab, n=5)
    rec = hl.lens.record(net, x, batch_size=2)
    assert list(rec) == net.hidden_names
    for name, s in zip(net.hidden_names, net.hidden_shapes):
        assert rec[name].shape == (5, *s)
        assert rec.kinds[name] == {1: "dense", 2: "recurrent", 3: "conv"}[len(s)]
        assert rec.stats[name].units == s[0 if len(s) == 3 else -1]
        assert rec.features(name).shape[0] == 5
    assert all(not m._forward_hooks for m in net.modules())


def test_dense_after_structured_layers_flattens() -> None:
    net = Network((1, 6, 6), "conv2k3,4", 2)
    assert isinstance(net.hidden2, FlatDense) and net.hidden2.in_features == 2 * 4 * 4
    assert type(Network(4, "3,3", 2).hidden2) is DenseLayer
    assert Network(4, "3,3", 2).is_plain_dense()


def test_issue_examples_build() -> None:
    cnn = Network((1, 28, 28), "conv32k3,pool2,conv64k3,pool2,128", 10)
    assert cnn.hidden_shapes == [(32, 26, 26), (32, 13, 13), (64, 11, 11), (64, 5, 5), (128,)]
    text = Network(20, "embed64,lstm128,64", 2, vocab_size=100)
    assert text(torch.zeros(4, 20, dtype=torch.long)).shape == (4, 2)
    assert text(torch.zeros(4, 7, dtype=torch.long)).shape == (4, 2)  # other lengths too
    assert Network.from_config(text.config()).config() == text.config() == {
        "in_features": 20, "spec": text.spec.to_list(), "out_features": 2, "activation": "relu", "vocab_size": 100,
    }
    assert cnn.config()["in_features"] == [1, 28, 28]


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((8, "conv4k3", 2), {}, "layer 1 (conv4k3) needs a sequence input (steps, channels); its input has shape (8,) per sample: change the spec or the input shape."),
        (((1, 8, 8), "conv1d4k3", 2), {}, "layer 1 (conv1d4k3) needs a sequence input (steps, channels); its input has shape (1, 8, 8) per sample: change the spec or the input shape."),
        (((5, 2), "conv2d4k3", 2), {}, "layer 1 (conv2d4k3) needs an image input (C, H, W); its input has shape (5, 2) per sample: change the spec or the input shape."),
        ((8, "lstm4", 2), {}, "layer 1 (lstm4) needs a sequence input (steps, features); its input has shape (8,) per sample: change the spec or the input shape."),
        (((1, 8, 8), "8,pool2", 2), {}, "layer 2 (pool2) needs an image (C, H, W) or sequence (steps, channels) input; its input has shape (8,) per sample: change the spec or the input shape."),
        ((8, "embed4", 2), {}, "layer 1 (embed4) reads integer ids: it must be the first layer and the network needs vocab_size=V (the number of distinct ids)."),
        ((8, "4", 2), {"vocab_size": 10}, "integer ids (vocab_size=10) need an embedding first: start the spec with e.g. 'embed64,'. Received: '4'."),
    ],
)
def test_shape_errors(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(SpecError) as info:
        Network(*args, **kwargs)
    assert str(info.value) == message


def test_too_small_input_is_a_clear_error() -> None:
    with pytest.raises(SpecError, match=r"^layer 3 \(pool2\) cannot take an input of shape \(8, 1, 1\) per sample .*: use padding \('same'\)"):
        Network((1, 4, 4), "conv8k3,pool2,pool2", 2)


@pytest.mark.parametrize("bad", [0, (1, 0, 3), (1, 2, 3, 4), "7", (2.5,), True])
def test_bad_input_shape(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^in_features must be a positive int .* Received: in_features="):
        Network(bad, "4", 2)  # type: ignore[arg-type]


def test_vocab_size_errors() -> None:
    with pytest.raises(ValueError, match=r"^vocab_size must be None or an integer >= 1 .* Received: vocab_size=0\.$"):
        Network(5, "embed4", 2, vocab_size=0)
    with pytest.raises(ValueError, match=r"^with vocab_size the input is ids per sample: in_features must be an int"):
        Network((5, 2), "embed4", 2, vocab_size=3)
    with pytest.raises(TypeError, match=r"^an embedding layer reads integer ids, not torch.float32"):
        Network(5, "embed4", 2, vocab_size=3)(torch.zeros(2, 5))


def test_structured_network_trains_through_autograd() -> None:
    from hiddenlayers.training import FlatParams, MaxEpochs, get_loss, train
    from hiddenlayers.training._engine import AutogradStep, make_step

    torch.manual_seed(0)
    x = torch.randn(48, 1, 6, 6)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    Y = torch.nn.functional.one_hot(y, 2).float()
    net = Network((1, 6, 6), "conv4k3:same,pool2,8", 2)
    assert isinstance(make_step(net, get_loss("log_loss"), FlatParams(net), 0.0), AutogradStep)
    net = Network((1, 6, 6), "conv4k3:same,pool2,8", 2)
    result = train(net, x, Y, loss=get_loss("log_loss"), learning_rate_init=0.01, batch_size=16, max_epochs=15, stopping=MaxEpochs(15))
    assert result.history.train_loss[-1] < 0.5 * result.history.train_loss[0]
