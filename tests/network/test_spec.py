"""The hidden-layer spec: text, JSON and objects round-trip exactly; bad specs get clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers import Dense, Spec, SpecError
from hiddenlayers.network import ACTIVATIONS
from hiddenlayers.network._spec import _TEXT_HELP

dense = st.builds(
    Dense,
    units=st.integers(1, 100_000),
    activation=st.one_of(st.none(), st.sampled_from(sorted(ACTIVATIONS))),
    dropout=st.one_of(st.just(0.0), st.floats(0.0, 1.0, exclude_max=True, allow_nan=False)),
    norm=st.sampled_from([None, "batch", "layer"]),
)
specs = st.lists(dense, max_size=6).map(lambda layers: Spec(tuple(layers)))


@settings(max_examples=150, deadline=None)
@given(specs)
def test_text_round_trip(spec: Spec) -> None:
    assert Spec.parse(spec.to_text()) == spec


@settings(max_examples=150, deadline=None)
@given(specs)
def test_json_round_trip(spec: Spec) -> None:
    assert Spec.from_json(spec.to_json()) == spec
    assert Spec.parse(spec.to_json()) == spec if len(spec) else True
    assert Spec.parse(spec.to_list()) == spec
    assert Spec.parse(spec) is spec


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789:,=.-e []{}\"abcdelnoprtuyz_")), max_size=40) | st.text(max_size=30))
def test_garbage_parses_or_raises_spec_error(text: str) -> None:
    try:
        spec = Spec.parse(text)
    except SpecError:
        return
    # Whatever parsed is a valid spec and round-trips.
    assert Spec.parse(spec.to_text()) == spec


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["units", "activation", "dropout", "norm", "kind", "x"]), inner, max_size=4),
                    max_leaves=8))
def test_garbage_objects_parse_or_raise_spec_error(value: object) -> None:
    for candidate in (value, json.dumps([value])):
        try:
            parsed = Spec.parse(candidate)
        except (SpecError, ValueError):  # json.dumps of nan gives NaN, which json accepts
            continue
        assert isinstance(parsed, Spec)
        assert Spec.parse(parsed.to_text()) == parsed


_DENSE_OPTIONS = {
    "activation": st.sampled_from(sorted(ACTIVATIONS)) | st.sampled_from(sorted(ACTIVATIONS)).map(lambda a: f"act={a}"),
    "norm": st.sampled_from(["norm=batch", "norm=layer", "bn", "ln", "batchnorm", "layernorm"]),
    "dropout": st.floats(0.0, 0.9, allow_nan=False).map(lambda p: f"dropout={p!r}"),
}


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 1000), st.sampled_from(sorted(_DENSE_OPTIONS)), st.data())
def test_any_dense_option_given_twice_is_refused(units: int, option: str, data: st.DataObject) -> None:
    """Two values of one option never resolve to the last silently, whatever forms they are written in."""
    first, second = data.draw(_DENSE_OPTIONS[option]), data.draw(_DENSE_OPTIONS[option])
    others = [data.draw(_DENSE_OPTIONS[name]) for name in sorted(_DENSE_OPTIONS) if name != option and data.draw(st.booleans())]
    parts = [first, *others, second]
    token = ":".join([str(units), *data.draw(st.permutations(parts))])
    with pytest.raises(SpecError) as info:
        Spec.parse(token)
    assert str(info.value) == f"{option} given twice in {token!r}: keep one."


@settings(max_examples=100, deadline=None)
@given(specs)
def test_each_option_once_parses(spec: Spec) -> None:
    """The refusal of repeats never touches a layer that names each option once (what to_text writes)."""
    assert Spec.parse(spec.to_text()) == spec


def test_examples() -> None:
    spec = Spec.parse("256:gelu:dropout=0.1,128:tanh")
    assert spec == Spec((Dense(256, "gelu", dropout=0.1), Dense(128, "tanh")))
    assert spec.to_text() == "256:gelu:dropout=0.1,128:tanh"
    assert str(spec) == spec.to_text()
    assert json.loads(spec.to_json()) == [
        {"kind": "dense", "units": 256, "activation": "gelu", "dropout": 0.1, "norm": None},
        {"kind": "dense", "units": 128, "activation": "tanh", "dropout": 0.0, "norm": None},
    ]
    assert Spec.parse(" 64 : ReLU : batchnorm , 32:layernorm ") == Spec((Dense(64, "relu", norm="batch"), Dense(32, norm="layer")))
    assert Spec.parse("8:activation=sigmoid:norm=bn:dropout=0.5")[0] == Dense(8, "logistic", 0.5, "batch")
    assert Spec.parse("") == Spec(())
    assert Spec.parse('{"units": 3, "activation": "tanh"}') == Spec((Dense(3, "tanh"),))
    assert len(Spec.parse("1,2,3")) == 3
    assert [layer.units for layer in Spec.parse("1,2,3")] == [1, 2, 3]


@pytest.mark.parametrize(
    "value, expected",
    [
        ((100,), (100,)),
        ((128, 64), (128, 64)),
        ([10, 5, 2], (10, 5, 2)),
        (50, (50,)),
        (np.int64(7), (7,)),
        (np.array([4, 3]), (4, 3)),
        ((), ()),
        ((16.0,), (16,)),
        (("32:tanh", {"units": 8}), (32, 8)),
    ],
)
def test_sklearn_style_sizes(value: object, expected: tuple[int, ...]) -> None:
    spec = Spec.parse(value)
    assert tuple(layer.units for layer in spec) == expected
    assert all(isinstance(layer.units, int) for layer in spec)


@pytest.mark.parametrize(
    "value, message",
    [
        ("0", "dense layer units must be a positive integer. Received: units=0."),
        ((-3,), "dense layer units must be a positive integer. Received: units=-3."),
        ((2.5,), "dense layer units must be a positive integer. Received: units=2.5."),
        ((True,), "dense layer units must be a positive integer. Received: units=True."),
        ("abc", f"layer 'abc' does not start with a number of units: {_TEXT_HELP}."),
        ("1_0", f"layer '1_0' does not start with a number of units: {_TEXT_HELP}."),
        ("12:dropout=1.5", "dropout must be in [0, 1). Received: dropout=1.5."),
        ("12:dropout=-0.1", "dropout must be in [0, 1). Received: dropout=-0.1."),
        ("12:dropout=nan", "dropout must be in [0, 1). Received: dropout=nan."),
        ("12:dropout=x", "dropout must be a number in [0, 1). Received: 'dropout=x' in '12:dropout=x'."),
        ("12:norm=group", "norm must be 'batch', 'layer' or None. Received: norm='group'."),
        ("12:foo=3", f"unknown option 'foo' in layer '12:foo=3': use activation, dropout or norm; {_TEXT_HELP}."),
        ("12,,3", f"layer 2 of the spec is empty; {_TEXT_HELP}."),
        ("[1", "spec JSON is not valid JSON (Expecting ',' delimiter at char 2)."),
        ('{"units": 0}', "dense layer units must be a positive integer. Received: units=0."),
        ('"12"', f"layer '\"12\"' does not start with a number of units: {_TEXT_HELP}."),
        ('[{"units": 3, "size": 2}]', "unknown key(s) size in a dense layer: use activation, dropout, norm, units."),
        ('[{"kind": "attention", "units": 3}]', "unknown layer kind 'attention': use one of dense, conv, pool, flatten, globalpool, recurrent, embed."),
        ("[3]", """each layer in a JSON spec must be an object, e.g. {"units": 3}; for widths alone write the text '3' or the sequence (3,). """
                "Received: [3]."),
        # widths written as Python or another tool writes them: each says the form that parses (the old messages named "'(128'")
        ("[128, 64]", """each layer in a JSON spec must be an object, e.g. {"units": 128}; for widths alone write the text '128,64' or the """
                      "sequence (128, 64). Received: [128, 64]."),
        ('[{"units": 3}, 4.5]', "each layer in a JSON spec must be an object. Received: 4.5."),
        ("(128, 64)", "hidden layers as text are the widths separated by commas, without brackets: '128,64'. Received: '(128, 64)'."),
        ("()", "hidden layers as text are the widths separated by commas, without brackets: '' (no hidden layers). Received: '()'."),
        ("128 64", "layer '128 64' is several widths: separate the layers with commas, '128,64'."),
        ("128-64-32", "layer '128-64-32' is several widths: separate the layers with commas, '128,64,32'."),
        ("10,128x64:relu", "layer '128x64:relu' is several widths: separate the layers with commas, '128,64'."),
        (None, "hidden layers must be an int, a sequence such as (128, 64), or text such as '256:gelu:dropout=0.1,128'. Received: None."),
        (b"12", "hidden layers must be text, not bytes: decode it first. Received: b'12'."),
        ("128:relu:tanh", "activation given twice in '128:relu:tanh': keep one."),
        ("128:norm=layer:norm=batch", "norm given twice in '128:norm=layer:norm=batch': keep one."),
        ("128:bn:ln", "norm given twice in '128:bn:ln': keep one."),
        ("128:dropout=0.1:dropout=0.2", "dropout given twice in '128:dropout=0.1:dropout=0.2': keep one."),
        ("conv16k3:relu:gelu", "activation given twice in 'conv16k3:relu:gelu': keep one."),
        ("conv16k3:s2:stride=1", "stride given twice in 'conv16k3:s2:stride=1': keep one."),
        ("conv16k3:same:p1", "padding given twice in 'conv16k3:same:p1': keep one."),
        ("pool2:s2:s1", "stride given twice in 'pool2:s2:s1': keep one."),
        ("lstm8:seq:last", "sequence given twice in 'lstm8:seq:last': keep one."),
        ("lstm8:layers=2:layers=3", "layers given twice in 'lstm8:layers=2:layers=3': keep one."),
        ("embed8:dropout=0.1:dropout=0.1", "dropout given twice in 'embed8:dropout=0.1:dropout=0.1': keep one."),
    ],
)
def test_bad_specs_have_clear_errors(value: object, message: str) -> None:
    with pytest.raises(SpecError) as info:
        Spec.parse(value)
    assert str(info.value) == message


def test_bad_activation_in_spec_suggests() -> None:
    with pytest.raises(SpecError, match=r"unknown activation 'rleu': use one of .* Did you mean 'relu'\?$"):
        Spec.parse("12:rleu")


def test_bad_objects() -> None:
    with pytest.raises(SpecError, match=r"^norm must be 'batch', 'layer' or None\. Received: norm=\[\]\.$"):
        Dense(3, norm=[])  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"^dropout must be a number in \[0, 1\)\. Received: dropout='0\.1'\.$"):
        Dense(3, dropout="0.1")  # type: ignore[arg-type]


def test_spec_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        Spec.parse("x")
