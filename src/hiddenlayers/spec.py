"""The hidden-layer spec: one structure, three equal forms that round-trip.

* Python objects: ``Spec((Dense(256, "gelu", dropout=0.1), Dense(128, "tanh")))``
* JSON: ``[{"kind": "dense", "units": 256, "activation": "gelu", ...}, ...]``
* text (for the CLI): ``"256:gelu:dropout=0.1,128:tanh"``

Text grammar: layers are separated by commas; a dense layer is ``UNITS``
followed by ``:``-separated options, each an activation name, ``batchnorm`` /
``layernorm``, or ``key=value`` with key ``activation``, ``dropout`` or
``norm``. An activation left out means "the model's default activation".

Each layer kind is a frozen dataclass registered in :data:`LAYER_KINDS` under
its ``kind`` tag; JSON and text are derived from its fields, so a new kind
(convolution, recurrence, embedding) joins by adding one class.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Union

from .exceptions import SpecError
from .layers import canonical_activation

_TEXT_HELP = "expected UNITS[:ACTIVATION][:dropout=P][:norm=batch|layer], e.g. '128' or '256:gelu:dropout=0.1'"


@dataclass(frozen=True)
class Dense:
    """A dense hidden layer of ``units`` neurons.

    ``activation=None`` uses the model's default; ``dropout`` is the drop
    probability in [0, 1); ``norm`` is ``None``, ``"batch"`` or ``"layer"``.
    """

    units: int
    activation: str | None = None
    dropout: float = 0.0
    norm: str | None = None
    kind: ClassVar[str] = "dense"

    def __post_init__(self) -> None:
        units = self.units
        if isinstance(units, bool) or not isinstance(units, int):
            if isinstance(units, float) and float(units).is_integer():
                units = int(units)
            else:
                try:
                    import numpy as np

                    if isinstance(units, np.integer):
                        units = int(units)
                    else:
                        raise TypeError
                except TypeError:
                    raise SpecError(
                        f"dense layer units must be a positive integer. Received: units={self.units!r}."
                    ) from None
        if units <= 0:
            raise SpecError(f"dense layer units must be a positive integer. Received: units={units}.")
        object.__setattr__(self, "units", units)
        if self.activation is not None:
            object.__setattr__(self, "activation", canonical_activation(self.activation))
        dropout = self.dropout
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise SpecError(f"dropout must be a number in [0, 1). Received: dropout={dropout!r}.")
        dropout = float(dropout)
        if not (0.0 <= dropout < 1.0) or math.isnan(dropout):
            raise SpecError(f"dropout must be in [0, 1). Received: dropout={dropout}.")
        object.__setattr__(self, "dropout", dropout)
        norm = self.norm
        if norm is not None:
            if not isinstance(norm, str):
                raise SpecError(f"norm must be 'batch', 'layer' or None. Received: norm={self.norm!r}.")
            norm = {"batchnorm": "batch", "layernorm": "layer", "bn": "batch", "ln": "layer"}.get(norm, norm)
            if norm not in ("batch", "layer"):
                raise SpecError(f"norm must be 'batch', 'layer' or None. Received: norm={self.norm!r}.")
        object.__setattr__(self, "norm", norm)

    def to_text(self) -> str:
        parts = [str(self.units)]
        if self.activation is not None:
            parts.append(self.activation)
        if self.norm is not None:
            parts.append(f"norm={self.norm}")
        if self.dropout:
            parts.append(f"dropout={self.dropout!r}")
        return ":".join(parts)

    @classmethod
    def from_text(cls, token: str) -> Dense:
        head, *opts = token.split(":")
        head = head.strip()
        if not (head.isascii() and head.isdigit()):
            raise SpecError(f"layer {token!r} does not start with a number of units: {_TEXT_HELP}.")
        units = int(head)
        kwargs: dict[str, Any] = {}
        for opt in opts:
            key, sep, value = opt.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep:
                if key in ("batchnorm", "layernorm", "bn", "ln"):
                    key, value = "norm", key
                else:
                    key, value = "activation", key
            if key in ("act", "activation"):
                kwargs["activation"] = value
            elif key == "dropout":
                try:
                    kwargs["dropout"] = float(value)
                except ValueError:
                    raise SpecError(f"dropout must be a number in [0, 1). Received: {opt!r} in {token!r}.") from None
            elif key == "norm":
                kwargs["norm"] = value
            else:
                raise SpecError(
                    f"unknown option {key!r} in layer {token!r}: use activation, dropout or norm; {_TEXT_HELP}."
                )
        return cls(units, **kwargs)


LayerSpec = Union[Dense]  # noqa: UP007  (grows to Union[Dense, Conv, ...] as kinds join)
LAYER_KINDS: dict[str, type] = {"dense": Dense}


def _layer_from_dict(d: dict[str, Any]) -> LayerSpec:
    if not isinstance(d, dict):
        raise SpecError(f"each layer in a JSON spec must be an object. Received: {d!r}.")
    kind = d.get("kind", "dense")
    if not isinstance(kind, str) or kind not in LAYER_KINDS:
        raise SpecError(f"unknown layer kind {kind!r}: use one of {', '.join(LAYER_KINDS)}.")
    cls = LAYER_KINDS[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    extra = set(d) - names - {"kind"}
    if extra:
        raise SpecError(
            f"unknown key(s) {', '.join(sorted(extra))} in a {kind} layer: use {', '.join(sorted(names))}."
        )
    try:
        return cls(**{k: v for k, v in d.items() if k != "kind"})  # type: ignore[no-any-return]
    except TypeError as exc:
        raise SpecError(f"invalid {kind} layer {d!r}: {exc}.") from None


def _layer_to_dict(layer: LayerSpec) -> dict[str, Any]:
    return {"kind": layer.kind, **dataclasses.asdict(layer)}


def _coerce_layer(item: Any, position: int) -> LayerSpec:
    if isinstance(item, tuple(LAYER_KINDS.values())):
        return item  # type: ignore[return-value]
    if isinstance(item, dict):
        return _layer_from_dict(item)
    if isinstance(item, str):
        token = item.strip()
        if not token:
            raise SpecError(f"layer {position} of the spec is empty; {_TEXT_HELP}.")
        return Dense.from_text(token)
    return Dense(item)


@dataclass(frozen=True)
class Spec:
    """An ordered tuple of hidden-layer specs; build with :meth:`parse`.

    >>> Spec.parse("256:gelu:dropout=0.1,128:tanh").to_text()
    '256:gelu:dropout=0.1,128:tanh'
    """

    layers: tuple[LayerSpec, ...] = ()

    @classmethod
    def parse(cls, value: Any) -> Spec:
        """Build a spec from text, JSON text, an int, or a sequence of layers.

        Sequence items may be ints (units), text tokens, dicts (JSON form) or
        layer objects; ``hidden_layer_sizes=(128, 64)`` works as in scikit-learn.
        """
        if isinstance(value, Spec):
            return value
        if isinstance(value, (bytes, bytearray)):
            raise SpecError(f"hidden layers must be text, not bytes: decode it first. Received: {value!r}.")
        if isinstance(value, str):
            text = value.strip()
            if text.startswith(("[", "{")):
                return cls.from_json(text)
            if not text:
                return cls(())
            return cls(tuple(_coerce_layer(tok, i + 1) for i, tok in enumerate(text.split(","))))
        if isinstance(value, (dict, Dense)):
            return cls((_coerce_layer(value, 1),))
        if isinstance(value, Sequence) or _is_array(value):
            return cls(tuple(_coerce_layer(item, i + 1) for i, item in enumerate(value)))
        try:
            return cls((Dense(value),))
        except SpecError:
            raise SpecError(
                "hidden layers must be an int, a sequence such as (128, 64), or text such as "
                f"'256:gelu:dropout=0.1,128'. Received: {value!r}."
            ) from None

    @classmethod
    def from_json(cls, text: str) -> Spec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"spec JSON is not valid JSON ({exc.msg} at char {exc.pos}).") from None
        except RecursionError:
            raise SpecError("spec JSON is nested too deeply: give a flat list of layer objects.") from None
        if isinstance(data, dict):
            data = [data]  # one layer object
        if not isinstance(data, list):
            raise SpecError(f"spec JSON must be a list of layer objects. Received: {type(data).__name__}.")
        return cls(tuple(_layer_from_dict(d) for d in data))

    def to_list(self) -> list[dict[str, Any]]:
        return [_layer_to_dict(layer) for layer in self.layers]

    def to_json(self) -> str:
        return json.dumps(self.to_list())

    def to_text(self) -> str:
        return ",".join(layer.to_text() for layer in self.layers)

    def __iter__(self) -> Iterator[LayerSpec]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> LayerSpec:
        return self.layers[i]

    def __str__(self) -> str:
        return self.to_text()


def _is_array(value: Any) -> bool:
    return hasattr(value, "__array__") and getattr(value, "ndim", 0) == 1


__all__ = ["LAYER_KINDS", "Dense", "LayerSpec", "Spec"]
