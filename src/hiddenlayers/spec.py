"""The hidden-layer spec: one structure, three equal forms that round-trip.

* Python objects: ``Spec((Dense(256, "gelu", dropout=0.1), Dense(128, "tanh")))``
* JSON: ``[{"kind": "dense", "units": 256, "activation": "gelu", ...}, ...]``
* text (for the CLI): ``"256:gelu:dropout=0.1,128:tanh"``

Text grammar: layers are separated by commas; a dense layer is ``UNITS``
followed by ``:``-separated options, each an activation name, ``batchnorm`` /
``layernorm``, or ``key=value`` with key ``activation``, ``dropout`` or
``norm``. An activation left out means "the model's default activation".
Structured kinds start with a word: ``conv32k3:s2:same:relu:norm=batch``,
``pool2`` / ``avgpool2``, ``flatten``, ``gap`` / ``gmp`` (global average / max
pooling), ``lstm128:bi:seq:layers=2`` / ``gru64``, ``embed64``; so
``"conv32k3,pool2,conv64k3,pool2,128"`` is a small CNN and
``"embed64,lstm128,64"`` a text classifier's hidden layers.

Each layer kind is a frozen dataclass registered in :data:`LAYER_KINDS` under
its ``kind`` tag; JSON and text are derived from its fields, so a new kind
(convolution, recurrence, embedding) joins by adding one class.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Union

from .exceptions import SpecError
from .layers import activation_names, canonical_activation

_TEXT_HELP = "expected UNITS[:ACTIVATION][:dropout=P][:norm=batch|layer], e.g. '128' or '256:gelu:dropout=0.1'"
ACTIVATION_NAMES = frozenset(activation_names())
_NORM_ALIASES = {"batchnorm": "batch", "layernorm": "layer", "bn": "batch", "ln": "layer"}


def _check_dropout(dropout: Any) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
        raise SpecError(f"dropout must be a number in [0, 1). Received: dropout={dropout!r}.")
    dropout = float(dropout)
    if not (0.0 <= dropout < 1.0) or math.isnan(dropout):
        raise SpecError(f"dropout must be in [0, 1). Received: dropout={dropout}.")
    return dropout


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
        object.__setattr__(self, "dropout", _check_dropout(self.dropout))
        norm = self.norm
        if norm is not None:
            if not isinstance(norm, str):
                raise SpecError(f"norm must be 'batch', 'layer' or None. Received: norm={self.norm!r}.")
            norm = _NORM_ALIASES.get(norm, norm)
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




def _as_int(value: Any) -> int | None:
    """``value`` as a Python int when it is integral (int, NumPy int, 3.0), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return int(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return None


def _positive_int(value: Any, kind: str, name: str, minimum: int = 1) -> int:
    number = _as_int(value)
    if number is None:
        raise SpecError(f"{kind} layer {name} must be an integer >= {minimum}. Received: {name}={value!r}.")
    if number < minimum:
        raise SpecError(f"{kind} layer {name} must be an integer >= {minimum}. Received: {name}={number}.")
    return number


def _flag(value: Any, kind: str, name: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{kind} layer {name} must be true or false. Received: {name}={value!r}.")
    return value


def _choice(value: Any, kind: str, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SpecError(f"{kind} layer {name} must be one of {', '.join(map(repr, allowed))}. Received: {name}={value!r}.")
    return value


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _common_option(kwargs: dict[str, Any], token: str, key: str, value: str | None, allowed: tuple[str, ...]) -> bool:
    """Handle activation / dropout / norm options shared by several kinds; False if ``key`` is none of them."""
    if value is None and key in ("batchnorm", "bn") and "norm" in allowed:
        kwargs["norm"] = "batch"
    elif value is None and key in ACTIVATION_NAMES and "activation" in allowed:
        kwargs["activation"] = key
    elif key in ("act", "activation") and value is not None and "activation" in allowed:
        kwargs["activation"] = value
    elif key == "dropout" and value is not None and "dropout" in allowed:
        try:
            kwargs["dropout"] = float(value)
        except ValueError:
            raise SpecError(f"dropout must be a number in [0, 1). Received: 'dropout={value}' in {token!r}.") from None
    elif key == "norm" and value is not None and "norm" in allowed:
        kwargs["norm"] = value
    else:
        return False
    return True


def _unknown(token: str, key: str, value: str | None, allowed: str) -> SpecError:
    opt = key if value is None else f"{key}={value}"
    return SpecError(f"unknown option {opt!r} in layer {token!r}: use {allowed}.")


def _split(token: str) -> tuple[str, list[tuple[str, str | None]]]:
    head, *opts = token.split(":")
    pairs = []
    for opt in opts:
        key, sep, value = opt.partition("=")
        pairs.append((key.strip().lower(), value.strip() if sep else None))
    return head.strip().lower(), pairs


def _text_int(text: str, token: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise SpecError(f"{name} in layer {token!r} must be a whole number. Received: {text!r}.")
    return int(text)


@dataclass(frozen=True)
class Conv:
    """A convolution of ``filters`` kernels of size ``kernel``: ``conv32k3``.

    ``dims`` 1 or 2 (``None``: from the input; ``(C, H, W)`` -> 2-D,
    ``(steps, channels)`` -> 1-D); ``padding`` a number of cells or
    ``"same"``; ``norm`` ``None`` or ``"batch"``. Images are ``(N, C, H, W)``;
    1-D signals are channels-last ``(N, steps, channels)`` like sequences.
    """

    filters: int
    kernel: int
    dims: int | None = None
    stride: int = 1
    padding: int | str = 0
    activation: str | None = None
    norm: str | None = None
    dropout: float = 0.0
    kind: ClassVar[str] = "conv"

    def __post_init__(self) -> None:
        _set(self, "filters", _positive_int(self.filters, "conv", "filters"))
        _set(self, "kernel", _positive_int(self.kernel, "conv", "kernel"))
        if self.dims is not None and _as_int(self.dims) not in (1, 2):
            raise SpecError(f"conv layer dims must be 1, 2 or None (from the input). Received: dims={self.dims!r}.")
        _set(self, "dims", None if self.dims is None else _as_int(self.dims))
        _set(self, "stride", _positive_int(self.stride, "conv", "stride"))
        if self.padding in ("same", "valid"):
            _set(self, "padding", "same" if self.padding == "same" else 0)
        else:
            pad = _as_int(self.padding)
            if pad is None or pad < 0:
                raise SpecError(f"conv layer padding must be an integer >= 0, 'same' or 'valid'. Received: padding={self.padding!r}.")
            _set(self, "padding", pad)
        if self.padding == "same" and self.stride != 1:
            raise SpecError(f"conv layer padding='same' needs stride 1. Received: stride={self.stride}; use a number of cells such as :p1.")
        _set(self, "activation", None if self.activation is None else canonical_activation(self.activation))
        norm = _NORM_ALIASES.get(self.norm, self.norm) if isinstance(self.norm, str) else self.norm
        _set(self, "norm", None if norm is None else _choice(norm, "conv", "norm", ("batch",)))
        _set(self, "dropout", _check_dropout(self.dropout))

    def to_text(self) -> str:
        parts = [f"conv{'' if self.dims is None else f'{self.dims}d'}{self.filters}k{self.kernel}"]
        if self.stride != 1:
            parts.append(f"s{self.stride}")
        if self.padding == "same":
            parts.append("same")
        elif self.padding:
            parts.append(f"p{self.padding}")
        parts += [self.activation] if self.activation else []
        parts += [f"norm={self.norm}"] if self.norm else []
        parts += [f"dropout={self.dropout!r}"] if self.dropout else []
        return ":".join(parts)

    @classmethod
    def from_text(cls, token: str) -> Conv:
        head, opts = _split(token)
        m = re.fullmatch(r"conv(?:([12])d)?([0-9]+)k([0-9]+)", head, re.ASCII)
        if m is None:
            raise SpecError(f"layer {token!r} is not a convolution: expected conv[1d|2d]FILTERSkKERNEL such as 'conv32k3'.")
        kwargs: dict[str, Any] = {"dims": int(m.group(1)) if m.group(1) else None}
        for key, value in opts:
            if value is None and key in ("same", "valid"):
                kwargs["padding"] = key
            elif value is None and re.fullmatch(r"s[0-9]+", key, re.ASCII):
                kwargs["stride"] = int(key[1:])
            elif value is None and re.fullmatch(r"p[0-9]+", key, re.ASCII):
                kwargs["padding"] = int(key[1:])
            elif key == "stride" and value is not None:
                kwargs["stride"] = _text_int(value, token, "stride")
            elif key == "padding" and value is not None:
                kwargs["padding"] = value.lower() if value.lower() in ("same", "valid") else _text_int(value, token, "padding")
            elif not _common_option(kwargs, token, key, value, ("activation", "norm", "dropout")):
                raise _unknown(token, key, value, "sN (stride), pN or same (padding), an activation, norm=batch or dropout=P")
        return cls(int(m.group(2)), int(m.group(3)), **kwargs)


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over windows of ``size`` (``pool2``, ``avgpool2``).

    ``stride`` defaults to ``size`` (non-overlapping windows).
    """

    size: int
    op: str = "max"
    stride: int | None = None
    kind: ClassVar[str] = "pool"

    def __post_init__(self) -> None:
        _set(self, "size", _positive_int(self.size, "pool", "size"))
        _set(self, "op", _choice(self.op, "pool", "op", ("max", "avg")))
        stride = None if self.stride is None else _positive_int(self.stride, "pool", "stride")
        _set(self, "stride", None if stride == self.size else stride)

    def to_text(self) -> str:
        text = f"{'avg' if self.op == 'avg' else ''}pool{self.size}"
        return text + (f":s{self.stride}" if self.stride is not None else "")

    @classmethod
    def from_text(cls, token: str) -> Pool:
        head, opts = _split(token)
        m = re.fullmatch(r"(max|avg)?pool([0-9]+)", head, re.ASCII)
        if m is None:
            raise SpecError(f"layer {token!r} is not a pooling layer: expected poolN, maxpoolN or avgpoolN such as 'pool2'.")
        kwargs: dict[str, Any] = {"op": m.group(1) or "max"}
        for key, value in opts:
            if value is None and re.fullmatch(r"s[0-9]+", key, re.ASCII):
                kwargs["stride"] = int(key[1:])
            elif key == "stride" and value is not None:
                kwargs["stride"] = _text_int(value, token, "stride")
            else:
                raise _unknown(token, key, value, "sN (stride)")
        return cls(int(m.group(2)), **kwargs)


@dataclass(frozen=True)
class Flatten:
    """Flatten each sample to one vector: ``(N, C, H, W)`` -> ``(N, C*H*W)``."""

    kind: ClassVar[str] = "flatten"

    def to_text(self) -> str:
        return "flatten"

    @classmethod
    def from_text(cls, token: str) -> Flatten:
        head, opts = _split(token)
        if head != "flatten" or opts:
            raise SpecError(f"layer {token!r}: flatten takes no options; write 'flatten'.")
        return cls()


@dataclass(frozen=True)
class GlobalPool:
    """Average (``gap``) or max (``gmp``) over all positions: one value per channel."""

    op: str = "avg"
    kind: ClassVar[str] = "globalpool"

    def __post_init__(self) -> None:
        _set(self, "op", _choice(self.op, "globalpool", "op", ("avg", "max")))

    def to_text(self) -> str:
        return "gap" if self.op == "avg" else "gmp"

    @classmethod
    def from_text(cls, token: str) -> GlobalPool:
        head, opts = _split(token)
        if head not in ("gap", "gmp") or opts:
            raise SpecError(f"layer {token!r} is not global pooling: write 'gap' (average) or 'gmp' (max), with no options.")
        return cls("avg" if head == "gap" else "max")


@dataclass(frozen=True)
class Recurrent:
    """An LSTM or GRU of ``units`` per direction: ``lstm128``, ``gru64:bi:seq``.

    Input ``(N, steps, features)``. ``sequence=False`` returns the last state
    ``(N, units * directions)``; ``True`` every step ``(N, steps, units * directions)``.
    ``layers`` stacks cells; ``dropout`` acts between stacked cells and on the output.
    """

    units: int
    cell: str = "lstm"
    bidirectional: bool = False
    sequence: bool = False
    layers: int = 1
    dropout: float = 0.0
    kind: ClassVar[str] = "recurrent"

    def __post_init__(self) -> None:
        _set(self, "units", _positive_int(self.units, "recurrent", "units"))
        _set(self, "cell", _choice(self.cell, "recurrent", "cell", ("lstm", "gru")))
        _flag(self.bidirectional, "recurrent", "bidirectional")
        _flag(self.sequence, "recurrent", "sequence")
        _set(self, "layers", _positive_int(self.layers, "recurrent", "layers"))
        _set(self, "dropout", _check_dropout(self.dropout))

    def to_text(self) -> str:
        parts = [f"{self.cell}{self.units}"]
        parts += ["bi"] if self.bidirectional else []
        parts += ["seq"] if self.sequence else []
        parts += [f"layers={self.layers}"] if self.layers != 1 else []
        parts += [f"dropout={self.dropout!r}"] if self.dropout else []
        return ":".join(parts)

    @classmethod
    def from_text(cls, token: str) -> Recurrent:
        head, opts = _split(token)
        m = re.fullmatch(r"(lstm|gru)([0-9]+)", head, re.ASCII)
        if m is None:
            raise SpecError(f"layer {token!r} is not recurrent: expected lstmUNITS or gruUNITS such as 'lstm128'.")
        kwargs: dict[str, Any] = {}
        for key, value in opts:
            if value is None and key in ("bi", "bidirectional"):
                kwargs["bidirectional"] = True
            elif value is None and key in ("seq", "sequence"):
                kwargs["sequence"] = True
            elif value is None and key == "last":
                kwargs["sequence"] = False
            elif key == "layers" and value is not None:
                kwargs["layers"] = _text_int(value, token, "layers")
            elif not _common_option(kwargs, token, key, value, ("dropout",)):
                raise _unknown(token, key, value, "bi, seq, last, layers=N or dropout=P")
        return cls(int(m.group(2)), m.group(1), **kwargs)


@dataclass(frozen=True)
class Embed:
    """A learned vector of ``dim`` numbers per token or category id: ``embed64``.

    The vocabulary size comes from the data (``Network(..., vocab_size=V)``),
    not the spec. Input ``(N, steps)`` integer ids -> ``(N, steps, dim)``.
    """

    dim: int
    dropout: float = 0.0
    kind: ClassVar[str] = "embed"

    def __post_init__(self) -> None:
        _set(self, "dim", _positive_int(self.dim, "embed", "dim"))
        _set(self, "dropout", _check_dropout(self.dropout))

    def to_text(self) -> str:
        return f"embed{self.dim}" + (f":dropout={self.dropout!r}" if self.dropout else "")

    @classmethod
    def from_text(cls, token: str) -> Embed:
        head, opts = _split(token)
        m = re.fullmatch(r"embed([0-9]+)", head, re.ASCII)
        if m is None:
            raise SpecError(f"layer {token!r} is not an embedding: expected embedDIM such as 'embed64'.")
        kwargs: dict[str, Any] = {}
        for key, value in opts:
            if not _common_option(kwargs, token, key, value, ("dropout",)):
                raise _unknown(token, key, value, "dropout=P")
        return cls(int(m.group(1)), **kwargs)


_TOKEN_KINDS: tuple[tuple[str, Any], ...] = (
    (r"conv", Conv), (r"(?:max|avg)?pool", Pool), (r"flatten", Flatten),
    (r"gap|gmp", GlobalPool), (r"lstm|gru", Recurrent), (r"embed", Embed),
)


def _layer_from_text(token: str) -> LayerSpec:
    head = token.split(":", 1)[0].strip().lower()
    for pattern, cls in _TOKEN_KINDS:
        if re.match(pattern, head, re.ASCII):
            return cls.from_text(token)  # type: ignore[no-any-return]
    return Dense.from_text(token)


LayerSpec = Union[Dense, Conv, Pool, Flatten, GlobalPool, Recurrent, Embed]  # noqa: UP007
LAYER_KINDS: dict[str, type] = {cls.kind: cls for cls in (Dense, Conv, Pool, Flatten, GlobalPool, Recurrent, Embed)}


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
            f"unknown key(s) {', '.join(sorted(extra))} in a {kind} layer: use {', '.join(sorted(names)) or 'only kind'}."
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
        return _layer_from_text(token)
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
        if isinstance(value, (dict, *LAYER_KINDS.values())):
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


__all__ = ["LAYER_KINDS", "Conv", "Dense", "Embed", "Flatten", "GlobalPool", "LayerSpec", "Pool", "Recurrent", "Spec"]
