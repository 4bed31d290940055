"""The text form of layer specs: each kind's token parser and printer.

One ``KIND_to_text(layer)`` and ``KIND_from_text(cls, token)`` pair per kind in
:mod:`hiddenlayers.network._spec` (whose classes delegate here), plus the shared option helpers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..exceptions import SpecError
from ._np_dense import activation_names

if TYPE_CHECKING:
    from ._spec import Conv, Dense, Embed, Flatten, GlobalPool, Pool, Recurrent

_TEXT_HELP = "expected UNITS[:ACTIVATION][:dropout=P][:norm=batch|layer], e.g. '128' or '256:gelu:dropout=0.1'"
ACTIVATION_NAMES = frozenset(activation_names())


def _put(kwargs: dict[str, Any], token: str, name: str, value: Any) -> None:
    """Set one option of a layer, refusing a second value: '128:relu:tanh' would otherwise keep the last silently."""
    if name in kwargs:
        raise SpecError(f"{name} given twice in {token!r}: keep one.")
    kwargs[name] = value


def _common_option(kwargs: dict[str, Any], token: str, key: str, value: str | None, allowed: tuple[str, ...]) -> bool:
    """Handle activation / dropout / norm options shared by several kinds; False if ``key`` is none of them."""
    if value is None and key in ("batchnorm", "bn") and "norm" in allowed:
        _put(kwargs, token, "norm", "batch")
    elif value is None and key in ACTIVATION_NAMES and "activation" in allowed:
        _put(kwargs, token, "activation", key)
    elif key in ("act", "activation") and value is not None and "activation" in allowed:
        _put(kwargs, token, "activation", value)
    elif key == "dropout" and value is not None and "dropout" in allowed:
        try:
            dropout = float(value)
        except ValueError:
            raise SpecError(f"dropout must be a number in [0, 1). Received: 'dropout={value}' in {token!r}.") from None
        _put(kwargs, token, "dropout", dropout)
    elif key == "norm" and value is not None and "norm" in allowed:
        _put(kwargs, token, "norm", value)
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


def dense_to_text(layer: Dense) -> str:
    parts = [str(layer.units)]
    if layer.activation is not None:
        parts.append(layer.activation)
    if layer.norm is not None:
        parts.append(f"norm={layer.norm}")
    if layer.dropout:
        parts.append(f"dropout={layer.dropout!r}")
    return ":".join(parts)


def dense_from_text(cls: type[Dense], token: str) -> Dense:
    head, *opts = token.split(":")
    head = head.strip()
    if not (head.isascii() and head.isdigit()):
        if re.fullmatch(r"\d+(?:\s*[-x ]\s*\d+)+", head, re.ASCII):  # "128 64", "128-64", "128x64": widths joined otherwise than by commas
            raise SpecError(f"layer {token!r} is several widths: separate the layers with commas, "
                            f"'{','.join(re.findall(r'[0-9]+', head))}'.")
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
            _put(kwargs, token, "activation", value)
        elif key == "dropout":
            try:
                dropout = float(value)
            except ValueError:
                raise SpecError(f"dropout must be a number in [0, 1). Received: {opt!r} in {token!r}.") from None
            _put(kwargs, token, "dropout", dropout)
        elif key == "norm":
            _put(kwargs, token, "norm", value)
        else:
            raise SpecError(
                f"unknown option {key!r} in layer {token!r}: use activation, dropout or norm; {_TEXT_HELP}."
            )
    return cls(units, **kwargs)


def conv_to_text(layer: Conv) -> str:
    parts = [f"conv{'' if layer.dims is None else f'{layer.dims}d'}{layer.filters}k{layer.kernel}"]
    if layer.stride != 1:
        parts.append(f"s{layer.stride}")
    if layer.padding == "same":
        parts.append("same")
    elif layer.padding:
        parts.append(f"p{layer.padding}")
    parts += [layer.activation] if layer.activation else []
    parts += [f"norm={layer.norm}"] if layer.norm else []
    parts += [f"dropout={layer.dropout!r}"] if layer.dropout else []
    return ":".join(parts)


def conv_from_text(cls: type[Conv], token: str) -> Conv:
    head, opts = _split(token)
    m = re.fullmatch(r"conv(?:([12])d)?([0-9]+)k([0-9]+)", head, re.ASCII)
    if m is None:
        raise SpecError(f"layer {token!r} is not a convolution: expected conv[1d|2d]FILTERSkKERNEL such as 'conv32k3'.")
    kwargs: dict[str, Any] = {"dims": int(m.group(1)) if m.group(1) else None}
    for key, value in opts:
        if value is None and key in ("same", "valid"):
            _put(kwargs, token, "padding", key)
        elif value is None and re.fullmatch(r"s[0-9]+", key, re.ASCII):
            _put(kwargs, token, "stride", int(key[1:]))
        elif value is None and re.fullmatch(r"p[0-9]+", key, re.ASCII):
            _put(kwargs, token, "padding", int(key[1:]))
        elif key == "stride" and value is not None:
            _put(kwargs, token, "stride", _text_int(value, token, "stride"))
        elif key == "padding" and value is not None:
            padding = value.lower() if value.lower() in ("same", "valid") else _text_int(value, token, "padding")
            _put(kwargs, token, "padding", padding)
        elif not _common_option(kwargs, token, key, value, ("activation", "norm", "dropout")):
            raise _unknown(token, key, value, "sN (stride), pN or same (padding), an activation, norm=batch or dropout=P")
    return cls(int(m.group(2)), int(m.group(3)), **kwargs)


def pool_to_text(layer: Pool) -> str:
    text = f"{'avg' if layer.op == 'avg' else ''}pool{layer.size}"
    return text + (f":s{layer.stride}" if layer.stride is not None else "")


def pool_from_text(cls: type[Pool], token: str) -> Pool:
    head, opts = _split(token)
    m = re.fullmatch(r"(max|avg)?pool([0-9]+)", head, re.ASCII)
    if m is None:
        raise SpecError(f"layer {token!r} is not a pooling layer: expected poolN, maxpoolN or avgpoolN such as 'pool2'.")
    kwargs: dict[str, Any] = {"op": m.group(1) or "max"}
    for key, value in opts:
        if value is None and re.fullmatch(r"s[0-9]+", key, re.ASCII):
            _put(kwargs, token, "stride", int(key[1:]))
        elif key == "stride" and value is not None:
            _put(kwargs, token, "stride", _text_int(value, token, "stride"))
        else:
            raise _unknown(token, key, value, "sN (stride)")
    return cls(int(m.group(2)), **kwargs)


def flatten_to_text(layer: Flatten) -> str:
    return "flatten"


def flatten_from_text(cls: type[Flatten], token: str) -> Flatten:
    head, opts = _split(token)
    if head != "flatten" or opts:
        raise SpecError(f"layer {token!r}: flatten takes no options; write 'flatten'.")
    return cls()


def global_pool_to_text(layer: GlobalPool) -> str:
    return "gap" if layer.op == "avg" else "gmp"


def global_pool_from_text(cls: type[GlobalPool], token: str) -> GlobalPool:
    head, opts = _split(token)
    if head not in ("gap", "gmp") or opts:
        raise SpecError(f"layer {token!r} is not global pooling: write 'gap' (average) or 'gmp' (max), with no options.")
    return cls("avg" if head == "gap" else "max")


def recurrent_to_text(layer: Recurrent) -> str:
    parts = [f"{layer.cell}{layer.units}"]
    parts += ["bi"] if layer.bidirectional else []
    parts += ["seq"] if layer.sequence else []
    parts += [f"layers={layer.layers}"] if layer.layers != 1 else []
    parts += [f"dropout={layer.dropout!r}"] if layer.dropout else []
    return ":".join(parts)


def recurrent_from_text(cls: type[Recurrent], token: str) -> Recurrent:
    head, opts = _split(token)
    m = re.fullmatch(r"(lstm|gru)([0-9]+)", head, re.ASCII)
    if m is None:
        raise SpecError(f"layer {token!r} is not recurrent: expected lstmUNITS or gruUNITS such as 'lstm128'.")
    kwargs: dict[str, Any] = {}
    for key, value in opts:
        if value is None and key in ("bi", "bidirectional"):
            _put(kwargs, token, "bidirectional", True)
        elif value is None and key in ("seq", "sequence"):
            _put(kwargs, token, "sequence", True)
        elif value is None and key == "last":
            _put(kwargs, token, "sequence", False)
        elif key == "layers" and value is not None:
            _put(kwargs, token, "layers", _text_int(value, token, "layers"))
        elif not _common_option(kwargs, token, key, value, ("dropout",)):
            raise _unknown(token, key, value, "bi, seq, last, layers=N or dropout=P")
    return cls(int(m.group(2)), m.group(1), **kwargs)


def embed_to_text(layer: Embed) -> str:
    return f"embed{layer.dim}" + (f":dropout={layer.dropout!r}" if layer.dropout else "")


def embed_from_text(cls: type[Embed], token: str) -> Embed:
    head, opts = _split(token)
    m = re.fullmatch(r"embed([0-9]+)", head, re.ASCII)
    if m is None:
        raise SpecError(f"layer {token!r} is not an embedding: expected embedDIM such as 'embed64'.")
    kwargs: dict[str, Any] = {}
    for key, value in opts:
        if not _common_option(kwargs, token, key, value, ("dropout",)):
            raise _unknown(token, key, value, "dropout=P")
    return cls(int(m.group(1)), **kwargs)
