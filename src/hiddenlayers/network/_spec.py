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
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Union

from .._words import article
from ..exceptions import SpecError
from . import _spec_text as _text
from ._np_dense import canonical_activation
from ._spec_check import _NORM_ALIASES, _as_int, _check_dropout, _choice, _flag, _positive_int, _set
from ._spec_text import _TEXT_HELP, ACTIVATION_NAMES  # noqa: F401  (re-exported: spec._TEXT_HELP, spec.ACTIVATION_NAMES)


@dataclass(frozen=True)
class Dense:
    """A dense hidden layer of ``units`` neurons.

    Parameters
    ----------
    units : int
        Neurons of the layer, >= 1.
    activation : str, optional
        Its activation (a name of ``ACTIVATIONS``); None uses the model's default.
    dropout : float
        Drop probability after the activation, in [0, 1).
    norm : {None, "batch", "layer"}
        Batch or layer normalisation of ``W·x + b``, before the activation.
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
        """This layer as its token in a spec's text (the inverse of :meth:`from_text`)."""
        return _text.dense_to_text(self)

    @classmethod
    def from_text(cls, token: str) -> Dense:
        """The layer one token of a spec's text stands for (the inverse of :meth:`to_text`).

        Parameters
        ----------
        token : str
            One layer's token, as :meth:`to_text` writes it; one that does not parse is a :class:`SpecError`.
        """
        return _text.dense_from_text(cls, token)


@dataclass(frozen=True)
class Conv:
    """A convolution of ``filters`` kernels of size ``kernel``: ``conv32k3``.

    Images are ``(N, C, H, W)``; 1-D signals are channels-last ``(N, steps, channels)`` like sequences.

    Parameters
    ----------
    filters : int
        Output channels, >= 1.
    kernel : int
        Kernel size in cells (square in 2-D), >= 1.
    dims : {None, 1, 2}
        1-D or 2-D; None: from the input (``(C, H, W)`` -> 2-D, ``(steps, channels)`` -> 1-D).
    stride : int
        Step between kernel positions, in cells.
    padding : int or "same"
        Zero cells added on each side, or ``"same"`` (output as large as the input at stride 1; ``"valid"`` is 0).
    activation : str, optional
        Its activation; None uses the model's default.
    norm : {None, "batch"}
        Batch normalisation before the activation.
    dropout : float
        Drop probability after the activation, in [0, 1).
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
        """This layer as its token in a spec's text (the inverse of :meth:`from_text`)."""
        return _text.conv_to_text(self)

    @classmethod
    def from_text(cls, token: str) -> Conv:
        """The layer one token of a spec's text stands for (the inverse of :meth:`to_text`).

        Parameters
        ----------
        token : str
            One layer's token, as :meth:`to_text` writes it; one that does not parse is a :class:`SpecError`.
        """
        return _text.conv_from_text(cls, token)


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over windows of ``size`` (``pool2``, ``avgpool2``).

    Parameters
    ----------
    size : int
        Window size in cells, >= 1.
    op : {"max", "avg"}
        Max or average over each window.
    stride : int, optional
        Step between windows; None (or equal to ``size``): non-overlapping windows.
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
        """This layer as its token in a spec's text (the inverse of :meth:`from_text`)."""
        return _text.pool_to_text(self)

    @classmethod
    def from_text(cls, token: str) -> Pool:
        """The layer one token of a spec's text stands for (the inverse of :meth:`to_text`).

        Parameters
        ----------
        token : str
            One layer's token, as :meth:`to_text` writes it; one that does not parse is a :class:`SpecError`.
        """
        return _text.pool_from_text(cls, token)


@dataclass(frozen=True)
class Flatten:
    """Flatten each sample to one vector: ``(N, C, H, W)`` -> ``(N, C*H*W)``."""

    kind: ClassVar[str] = "flatten"

    def to_text(self) -> str:
        """This layer as its token in a spec's text (the inverse of :meth:`from_text`)."""
        return _text.flatten_to_text(self)

    @classmethod
    def from_text(cls, token: str) -> Flatten:
        """The layer one token of a spec's text stands for (the inverse of :meth:`to_text`).

        Parameters
        ----------
        token : str
            One layer's token, as :meth:`to_text` writes it; one that does not parse is a :class:`SpecError`.
        """
        return _text.flatten_from_text(cls, token)


@dataclass(frozen=True)
class GlobalPool:
    """Average (``gap``) or max (``gmp``) over all positions: one value per channel.

    Parameters
    ----------
    op : {"avg", "max"}
        Average or max over the positions.
    """

    op: str = "avg"
    kind: ClassVar[str] = "globalpool"

    def __post_init__(self) -> None:
        _set(self, "op", _choice(self.op, "globalpool", "op", ("avg", "max")))

    def to_text(self) -> str:
        """This layer as its token in a spec's text (the inverse of :meth:`from_text`)."""
        return _text.global_pool_to_text(self)

    @classmethod
    def from_text(cls, token: str) -> GlobalPool:
        """The layer one token of a spec's text stands for (the inverse of :meth:`to_text`).

        Parameters
        ----------
        token : str
            One layer's token, as :meth:`to_text` writes it; one that does not parse is a :class:`SpecError`.
        """
        return _text.global_pool_from_text(cls, token)


@dataclass(frozen=True)
class Recurrent:
    """An LSTM or GRU of ``units`` per direction: ``lstm128``, ``gru64:bi:seq``.

    Input ``(N, steps, features)``.

    Parameters
    ----------
    units : int
        Hidden units per direction, >= 1.
    cell : {"lstm", "gru"}
        The recurrent cell.
    bidirectional : bool
        Also read the sequence backwards (the output doubles: ``units * 2``).
    sequence : bool
        False returns the last state ``(N, units * directions)``; True every step ``(N, steps, units * directions)``.
    layers : int
        Stacked cells, >= 1.
    dropout : float
        Drop probability between stacked cells and on the output, in [0, 1).
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
        """This layer as its token in a spec's text (the inverse of :meth:`from_text`)."""
        return _text.recurrent_to_text(self)

    @classmethod
    def from_text(cls, token: str) -> Recurrent:
        """The layer one token of a spec's text stands for (the inverse of :meth:`to_text`).

        Parameters
        ----------
        token : str
            One layer's token, as :meth:`to_text` writes it; one that does not parse is a :class:`SpecError`.
        """
        return _text.recurrent_from_text(cls, token)


@dataclass(frozen=True)
class Embed:
    """A learned vector of ``dim`` numbers per token or category id: ``embed64``.

    The vocabulary size comes from the data (``Network(..., vocab_size=V)``), not the spec. Input ``(N, steps)`` integer
    ids -> ``(N, steps, dim)``.

    Parameters
    ----------
    dim : int
        Numbers per id, >= 1.
    dropout : float
        Drop probability on the vectors, in [0, 1).
    """

    dim: int
    dropout: float = 0.0
    kind: ClassVar[str] = "embed"

    def __post_init__(self) -> None:
        _set(self, "dim", _positive_int(self.dim, "embed", "dim"))
        _set(self, "dropout", _check_dropout(self.dropout))

    def to_text(self) -> str:
        """This layer as its token in a spec's text (the inverse of :meth:`from_text`)."""
        return _text.embed_to_text(self)

    @classmethod
    def from_text(cls, token: str) -> Embed:
        """The layer one token of a spec's text stands for (the inverse of :meth:`to_text`).

        Parameters
        ----------
        token : str
            One layer's token, as :meth:`to_text` writes it; one that does not parse is a :class:`SpecError`.
        """
        return _text.embed_from_text(cls, token)


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
            f"unknown key(s) {', '.join(sorted(extra))} in {article(kind)} layer: use {', '.join(sorted(names)) or 'only kind'}."
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

    Parameters
    ----------
    layers : tuple of layer specs
        ``Dense``, ``Conv``, ``Pool``, ``Flatten``, ``GlobalPool``, ``Recurrent`` and ``Embed`` objects, input first.

    Examples
    --------
    >>> Spec.parse("256:gelu:dropout=0.1,128:tanh").to_text()
    '256:gelu:dropout=0.1,128:tanh'
    """

    layers: tuple[LayerSpec, ...] = ()

    @classmethod
    def parse(cls, value: Any) -> Spec:
        """Build a spec from text, JSON text, an int, or a sequence of layers.

        ``hidden_layer_sizes=(128, 64)`` works as in scikit-learn. Anything else is a :class:`SpecError` that shows the
        forms.

        Parameters
        ----------
        value : str, int, sequence or Spec
            Spec text (``"256:gelu:dropout=0.1,128"``), JSON text, one width, or a sequence whose items may be ints
            (units), text tokens, dicts (JSON form) or layer objects; a Spec is returned as it is.
        """
        if isinstance(value, Spec):
            return value
        if isinstance(value, (bytes, bytearray)):
            raise SpecError(f"hidden layers must be text, not bytes: decode it first. Received: {value!r}.")
        if isinstance(value, str):
            text = value.strip()
            if text.startswith(("[", "{")):
                return cls.from_json(text)
            if text.startswith("(") and text.endswith(")"):  # Python's tuple written as text: "(128, 64)"
                widths = ",".join(t.strip() for t in text[1:-1].split(",") if t.strip())
                raise SpecError(f"hidden layers as text are the widths separated by commas, without brackets: '{widths}'"
                                f"{' (no hidden layers)' if not widths else ''}. Received: {value!r}.")
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
        """The spec a JSON text of layer objects describes (the inverse of :meth:`to_json`).

        Parameters
        ----------
        text : str
            A JSON list of layer objects (``[{"units": 64}, ...]``) or one object; anything else is a :class:`SpecError`
            that says what to write.
        """
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
        if data and all(isinstance(d, int) and not isinstance(d, bool) for d in data):  # "[128, 64]": widths in Python's list form
            raise SpecError(f"each layer in a JSON spec must be an object, e.g. {{\"units\": {data[0]}}}; for widths alone write the text "
                            f"'{','.join(map(str, data))}' or the sequence ({', '.join(map(str, data))}{',' * (len(data) == 1)}). Received: {text}.")
        return cls(tuple(_layer_from_dict(d) for d in data))

    def to_list(self) -> list[dict[str, Any]]:
        """The layers as JSON-able dicts, one per layer in order (what :meth:`to_json` writes)."""
        return [_layer_to_dict(layer) for layer in self.layers]

    def to_json(self) -> str:
        """The layers as a JSON list of objects, read back by :meth:`from_json` (model files store this)."""
        return json.dumps(self.to_list())

    def to_text(self) -> str:
        """The spec as its comma-separated text, one token per layer (``"conv32k3,pool2,flatten,64"``)."""
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
