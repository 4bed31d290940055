"""Structured layer kinds in the spec: text, JSON and objects round-trip; bad tokens get clear errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers import SpecError
from hiddenlayers.network import ACTIVATIONS, LAYER_KINDS, Conv, Dense, Embed, Flatten, GlobalPool, Pool, Recurrent, Spec

dropouts = st.one_of(st.just(0.0), st.floats(0.0, 1.0, exclude_max=True, allow_nan=False))
activations = st.one_of(st.none(), st.sampled_from(sorted(ACTIVATIONS)))
dense = st.builds(Dense, units=st.integers(1, 4096), activation=activations, dropout=dropouts, norm=st.sampled_from([None, "batch", "layer"]))
conv = st.builds(
    Conv, filters=st.integers(1, 512), kernel=st.integers(1, 11), dims=st.sampled_from([None, 1, 2]), stride=st.just(1) | st.integers(1, 4),
    padding=st.sampled_from([0, 1, 2]), activation=activations, norm=st.sampled_from([None, "batch"]), dropout=dropouts,
) | st.builds(Conv, filters=st.integers(1, 64), kernel=st.integers(1, 7), padding=st.just("same"))
pool = st.builds(Pool, size=st.integers(1, 8), op=st.sampled_from(["max", "avg"]), stride=st.none() | st.integers(1, 8))
recurrent = st.builds(
    Recurrent, units=st.integers(1, 1024), cell=st.sampled_from(["lstm", "gru"]), bidirectional=st.booleans(), sequence=st.booleans(),
    layers=st.integers(1, 4), dropout=dropouts,
)
embed = st.builds(Embed, dim=st.integers(1, 1024), dropout=dropouts)
any_layer = st.one_of(dense, conv, pool, recurrent, embed, st.just(Flatten()), st.builds(GlobalPool, op=st.sampled_from(["avg", "max"])))
specs = st.lists(any_layer, max_size=7).map(lambda layers: Spec(tuple(layers)))


@settings(max_examples=200, deadline=None)
@given(specs)
def test_text_round_trip(spec: Spec) -> None:
    assert Spec.parse(spec.to_text()) == spec
    assert Spec.parse(spec.to_text()).to_text() == spec.to_text()


@settings(max_examples=200, deadline=None)
@given(specs)
def test_json_round_trip(spec: Spec) -> None:
    assert Spec.from_json(spec.to_json()) == spec
    assert Spec.parse(spec.to_list()) == spec
    assert all(d["kind"] in LAYER_KINDS for d in json.loads(spec.to_json()))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789:,=.kdsp conv pool lstm gru embed gap gmp flatten bi seq same relu")), max_size=40))
def test_garbage_parses_or_raises_spec_error(text: str) -> None:
    try:
        spec = Spec.parse(text)
    except SpecError:
        return
    assert Spec.parse(spec.to_text()) == spec


def test_issue_examples() -> None:
    cnn = Spec.parse("conv32k3,pool2,conv64k3,pool2,128")
    assert cnn == Spec((Conv(32, 3), Pool(2), Conv(64, 3), Pool(2), Dense(128)))
    assert Spec.parse("embed64,lstm128,64") == Spec((Embed(64), Recurrent(128), Dense(64)))
    assert Spec.parse("conv32k3:relu:norm=batch")[0] == Conv(32, 3, activation="relu", norm="batch")
    assert Spec.parse("256:gelu:dropout=0.1") == Spec((Dense(256, "gelu", dropout=0.1),))
    assert Spec.parse("128").to_text() == "128"


@pytest.mark.parametrize(
    "text, layer, canonical",
    [
        ("conv16k5:s2:p2", Conv(16, 5, stride=2, padding=2), "conv16k5:s2:p2"),
        ("Conv2d8K3:same:batchnorm:tanh", Conv(8, 3, dims=2, padding="same", norm="batch", activation="tanh"), "conv2d8k3:same:tanh:norm=batch"),
        ("conv1d4k3:stride=1:padding=valid:dropout=0.2", Conv(4, 3, dims=1, dropout=0.2), "conv1d4k3:dropout=0.2"),
        ("conv4k3:activation=sigmoid", Conv(4, 3, activation="logistic"), "conv4k3:logistic"),
        ("pool3", Pool(3), "pool3"),
        ("maxpool2:s2", Pool(2), "pool2"),
        ("avgpool2:stride=1", Pool(2, "avg", stride=1), "avgpool2:s1"),
        ("flatten", Flatten(), "flatten"),
        ("gap", GlobalPool("avg"), "gap"),
        ("gmp", GlobalPool("max"), "gmp"),
        ("lstm128", Recurrent(128), "lstm128"),
        ("gru64:bidirectional:sequence:layers=2:dropout=0.25", Recurrent(64, "gru", True, True, 2, 0.25), "gru64:bi:seq:layers=2:dropout=0.25"),
        ("lstm8:last", Recurrent(8), "lstm8"),
        ("embed64:dropout=0.1", Embed(64, 0.1), "embed64:dropout=0.1"),
    ],
)
def test_tokens(text: str, layer: object, canonical: str) -> None:
    assert Spec.parse(text) == Spec((layer,))  # type: ignore[arg-type]
    assert Spec.parse(text).to_text() == canonical
    assert Spec.parse(layer) == Spec((layer,))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value, message",
    [
        ("conv0k3", "conv layer filters must be an integer >= 1. Received: filters=0."),
        ("conv8k3:s0", "conv layer stride must be an integer >= 1. Received: stride=0."),
        ("conv8k3:same:s2", "conv layer padding='same' needs stride 1. Received: stride=2; use a number of cells such as :p1."),
        ("conv8k3:norm=layer", "conv layer norm must be one of 'batch'. Received: norm='layer'."),
        ("conv8k3:wide", "unknown option 'wide' in layer 'conv8k3:wide': use sN (stride), pN or same (padding), an activation, norm=batch or dropout=P."),
        ("conv8k3:stride=x", "stride in layer 'conv8k3:stride=x' must be a whole number. Received: 'x'."),
        ("conv3d8k3", "layer 'conv3d8k3' is not a convolution: expected conv[1d|2d]FILTERSkKERNEL such as 'conv32k3'."),
        ("conv8", "layer 'conv8' is not a convolution: expected conv[1d|2d]FILTERSkKERNEL such as 'conv32k3'."),
        ("pool2:relu", "unknown option 'relu' in layer 'pool2:relu': use sN (stride)."),
        ("pool0", "pool layer size must be an integer >= 1. Received: size=0."),
        ("flatten:x", "layer 'flatten:x': flatten takes no options; write 'flatten'."),
        ("gap2", "layer 'gap2' is not global pooling: write 'gap' (average) or 'gmp' (max), with no options."),
        ("lstm0", "recurrent layer units must be an integer >= 1. Received: units=0."),
        ("gru8:relu", "unknown option 'relu' in layer 'gru8:relu': use bi, seq, last, layers=N or dropout=P."),
        ("lstm8:dropout=1", "dropout must be in [0, 1). Received: dropout=1.0."),
        ("embed0", "embed layer dim must be an integer >= 1. Received: dim=0."),
        ('[{"kind": "conv", "filters": 3}]', "invalid conv layer {'kind': 'conv', 'filters': 3}: Conv.__init__() missing 1 required positional argument: 'kernel'."),
        ('[{"kind": "conv", "filters": "3", "kernel": 3}]', "conv layer filters must be an integer >= 1. Received: filters='3'."),
        ('[{"kind": "recurrent", "units": 3, "bidirectional": 1}]', "recurrent layer bidirectional must be true or false. Received: bidirectional=1."),
        ('[{"kind": "recurrent", "units": 3, "cell": "rnn"}]', "recurrent layer cell must be one of 'lstm', 'gru'. Received: cell='rnn'."),
        ('[{"kind": "pool", "size": 2, "op": "sum"}]', "pool layer op must be one of 'max', 'avg'. Received: op='sum'."),
        ('[{"kind": "flatten", "units": 2}]', "unknown key(s) units in a flatten layer: use only kind."),
        ('[{"kind": "embed", "dim": 2, "units": 2}]', "unknown key(s) units in an embed layer: use dim, dropout."),
        ('[{"kind": "attention"}]', "unknown layer kind 'attention': use one of dense, conv, pool, flatten, globalpool, recurrent, embed."),
    ],
)
def test_bad_tokens_have_clear_errors(value: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        Spec.parse(value)
    assert str(info.value) == message


def test_numpy_and_float_integers_are_accepted() -> None:
    import numpy as np

    assert Conv(np.int64(8), 3.0) == Conv(8, 3)  # type: ignore[arg-type]
    assert Recurrent(np.int32(4), layers=np.int64(2)).layers == 2  # type: ignore[arg-type]
    assert Pool(2, stride=2).stride is None  # stride == size is the default
