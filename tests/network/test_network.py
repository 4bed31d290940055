"""Network: named hidden layers, hidden outputs from one pass, config round trip."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers import Network, Spec
from hiddenlayers.network import count_parameters, resolve_device


def test_children_are_named_hidden1_to_head() -> None:
    net = Network(4, "16:tanh,8", 3)
    assert [name for name, _ in net.named_children()] == ["hidden1", "hidden2", "head"]
    assert net.hidden_names == ["hidden1", "hidden2"]
    assert (net.hidden1.in_features, net.hidden1.out_features) == (4, 16)
    assert (net.hidden2.in_features, net.hidden2.out_features) == (16, 8)
    assert (net.head.in_features, net.head.out_features) == (8, 3)
    assert net.activation_names() == ["tanh", "relu"]
    assert count_parameters(net) == 4 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3


def test_forward_and_return_hidden() -> None:
    net = Network(5, (7, 6, 4), 2, activation="tanh")
    x = torch.randn(9, 5)
    out = net(x)
    assert out.shape == (9, 2)
    out2, hidden = net(x, return_hidden=True)
    torch.testing.assert_close(out, out2)
    assert [h.shape for h in hidden] == [(9, 7), (9, 6), (9, 4)]
    # each hidden output is the layer applied to the previous one
    torch.testing.assert_close(hidden[0], torch.tanh(net.hidden1.linear(x)))
    torch.testing.assert_close(hidden[2], torch.tanh(net.hidden3.linear(hidden[1])))
    torch.testing.assert_close(out, net.head(hidden[2]))


def test_no_hidden_layers_is_a_linear_model() -> None:
    net = Network(3, (), 2)
    out, hidden = net(torch.randn(4, 3), return_hidden=True)
    assert out.shape == (4, 2) and hidden == []
    assert [name for name, _ in net.named_children()] == ["head"]


def test_plain_dense_detection() -> None:
    assert Network(3, "4,4", 1).is_plain_dense()
    assert not Network(3, "4:dropout=0.2", 1).is_plain_dense()
    assert not Network(3, "4:batchnorm", 1).is_plain_dense()
    assert len(Network(3, "4,5", 1).linears()) == 3


@pytest.mark.parametrize("spec", ["16:gelu:dropout=0.25,8:layernorm", "5", (3, 2), "4:batchnorm:sigmoid"])
def test_config_round_trip(spec: object) -> None:
    net = Network(6, spec, 3, activation="elu")
    net.eval()
    config = json.loads(json.dumps(net.config()))  # JSON-able
    again = Network.from_config(config)
    assert again.config() == net.config()
    assert again.spec == net.spec == Spec.parse(spec)
    assert [type(m) for m in again.modules()] == [type(m) for m in net.modules()]
    again.load_state_dict(net.state_dict())
    again.eval()
    x = torch.randn(5, 6)
    torch.testing.assert_close(again(x), net(x))


def test_repr_shows_structure() -> None:
    text = repr(Network(2, "3:tanh", 1))
    assert "(hidden1): DenseLayer(" in text and "activation='tanh'" in text and "(head): Linear(in_features=3, out_features=1" in text


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match=r"^device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'\. Received: device='gpu7'\.$"):
        resolve_device("gpu7")


def test_a_device_this_machine_lacks_fails_before_any_work() -> None:
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    found = f"{n} CUDA GPU(s)" if n else "no CUDA GPU"
    with pytest.raises(ValueError, match="^" + re.escape(f"device='cuda:{n}' but this machine has {found}: use device='auto'")):
        resolve_device(f"cuda:{n}")
    mps = getattr(torch.backends, "mps", None)
    if not (mps is not None and mps.is_available()):
        with pytest.raises(ValueError, match=r"^device='mps' but Apple MPS is not available on this machine"):
            resolve_device("mps")


def test_a_missing_device_is_a_public_error_type() -> None:
    """A search's failed trial and a traceback print the type's name: it read the private ``_MissingDevice``."""
    import hiddenlayers as hl
    from hiddenlayers.rightsize._search.run import failure_text

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(hl.DeviceUnavailableError) as info:
        resolve_device(f"cuda:{n}")
    assert isinstance(info.value, hl.HiddenLayersError) and isinstance(info.value, ValueError)
    assert type(info.value).__module__ == "hiddenlayers.exceptions" and not type(info.value).__name__.startswith("_")
    assert failure_text(info.value).startswith(f"DeviceUnavailableError: device='cuda:{n}' but this machine has ")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_estimators_refuse_a_missing_gpu_at_fit() -> None:
    import hiddenlayers as hl

    X, y = np.random.default_rng(0).normal(size=(20, 16)), np.arange(20) % 2
    for est in (hl.MLPClassifier(device="cuda"), hl.ImageClassifier(device="cuda")):
        with pytest.raises(ValueError, match=r"^device='cuda' but this machine has no CUDA GPU"):
            est.fit(X if isinstance(est, hl.MLPClassifier) else X.reshape(20, 4, 4), y)  # 4 x 4: the smallest images the default layers take


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"init": "bad"}, "init must be 'auto' (He/Glorot by activation) or 'none' (torch's defaults). Received: init='bad'."),
        ({"init": None}, "init must be 'auto' (He/Glorot by activation) or 'none' (torch's defaults). Received: init=None."),
        ({"out_features": 0}, "out_features must be an integer >= 1 (the number of outputs: classes or targets). Received: out_features=0."),
        ({"out_features": -1}, "out_features must be an integer >= 1 (the number of outputs: classes or targets). Received: out_features=-1."),
        ({"out_features": 2.5}, "out_features must be an integer >= 1 (the number of outputs: classes or targets). Received: out_features=2.5."),
        ({"out_features": True}, "out_features must be an integer >= 1 (the number of outputs: classes or targets). Received: out_features=True."),
        ({"out_features": "3"}, "out_features must be an integer >= 1 (the number of outputs: classes or targets). Received: out_features='3'."),
    ],
)
def test_bad_network_arguments_are_one_line_value_errors(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"out_features": 2, **kwargs}
    with pytest.raises(ValueError) as info:
        Network(4, (8,), **args)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_numpy_integer_out_features_is_accepted() -> None:
    net = Network(4, (8,), np.int64(3), init="none")
    assert net.out_features == 3 and type(net.out_features) is int


def test_a_wrong_input_width_or_dtype_is_one_line_naming_both() -> None:
    """PyTorch's words were 'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x8)' and 'mat1 and mat2 must have the
    same dtype, but got Double and Float': neither says what the network expects."""
    net = Network(4, "8", 2)
    with pytest.raises(ValueError, match=re.escape("Network expects an input of shape (N, 4): 4 features per row (in_features=4), float32. "
                                                   "Received: shape (2, 3), dtype float32; give it rows of 4 values.")):
        net(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=re.escape("Received: shape (2, 5), dtype float64;")):
        net(torch.zeros(2, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match=re.escape("Network computes in float32. Received: an input of shape (2, 4), dtype float64; "
                                                  "convert it with x.to(torch.float32), or the network with net.to(torch.float64).")):
        net(torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match=re.escape("Received: an input of shape (2, 4), dtype int64; convert it with x.to(torch.float32).")):
        net(torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(TypeError, match=re.escape("Network takes a torch.Tensor of shape (N, 4). Received: ndarray; convert it first")):
        net(np.zeros((2, 4), dtype=np.float32))
    assert net.double()(torch.zeros(2, 4, dtype=torch.float64)).dtype == torch.float64  # a float64 network takes float64


def test_an_error_that_is_not_the_inputs_is_pytorchs_own() -> None:
    """An image network given the wrong channels keeps PyTorch's message, which names them; the input's dtype is named."""
    net = Network((1, 8, 8), "conv4k3,8", 2)
    with pytest.raises(RuntimeError, match="expected input.* to have 1 channels, but got 3 channels"):
        net(torch.zeros(2, 3, 8, 8))
    with pytest.raises(TypeError, match=re.escape("Network computes in float32. Received: an input of shape (2, 1, 8, 8), dtype float64;")):
        net(torch.zeros(2, 1, 8, 8, dtype=torch.float64))


@settings(max_examples=30, deadline=None)
@given(width=st.integers(1, 6), given_width=st.integers(1, 6), rows=st.integers(1, 3))
def test_any_table_width_but_in_features_is_refused_by_name(width: int, given_width: int, rows: int) -> None:
    net = Network(width, "3", 2)
    x = torch.zeros(rows, given_width)
    if given_width == width:
        assert net(x).shape == (rows, 2)
    else:
        with pytest.raises(ValueError, match=re.escape(f"shape (N, {width}): {width} features per row") + ".*" +
                           re.escape(f"Received: shape ({rows}, {given_width}), dtype float32")):
            net(x)


@pytest.mark.parametrize(("spec", "shape"), [("lstm6:bi:seq,gru4", (12, 3)), ("gru5:seq,conv3k3,gap", (12, 3)), ("lstm3:layers=2:bi", (12, 3)),
                                           ("conv4k3:norm=batch,pool2,conv4k3:same:tanh,gap,8", (1, 9, 9)), ("conv3k2,pool2,flatten,6", (8, 2))])
def test_a_network_built_on_the_meta_device_matches_the_real_build_running_only_its_convolutions_and_pooling(
    spec: str, shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model file's shape check builds the network on PyTorch's meta device, where an LSTM/GRU pass is the step-by-step
    Python fallback (about 60 ms a pass) and an activation, norm or mean imports torch._dynamo (about 3 s): most of loading
    a sequence or image model. Those keep their input's shape or set it from the layer alone, so the meta build runs none
    of them, and gives the same layers and tensor shapes as the real build."""
    real = Network(shape, spec, 2)
    calls: list[str] = []
    for cls in (torch.nn.LSTM, torch.nn.GRU, torch.nn.ReLU, torch.nn.Tanh, torch.nn.BatchNorm1d, torch.nn.BatchNorm2d):
        original = cls.forward
        monkeypatch.setattr(cls, "forward", lambda self, *a, _f=original, **k: calls.append(type(self).__name__) or _f(self, *a, **k))
    with torch.device("meta"):
        meta = Network(shape, spec, 2)
    assert calls == []
    assert {k: tuple(v.shape) for k, v in meta.state_dict().items()} == {k: tuple(v.shape) for k, v in real.state_dict().items()}
    assert all(v.is_meta for v in meta.state_dict().values())
    assert real(torch.zeros(2, *shape)).shape == (2, 2)
