"""Layers that read time first, ``(T, N, F)``: PyTorch's ``batch_first=False`` default, seen by the lens.

``nn.LSTM``/``nn.GRU``/``nn.RNN``, ``nn.MultiheadAttention`` and the ``nn.Transformer*`` layers take
``(steps, batch, features)`` unless built with ``batch_first=True``. The lens reads the first axis of
``X`` and of every recorded output as rows, so:

- a model fed time first (``X`` of shape ``(T, N, F)``) was cut into batches along time, its ``T`` steps
  counted as rows; with ``T`` above ``batch_size`` each block restarted the recurrence and the arrays
  failed to concatenate (or, worse, did). :func:`time_first_guard` refuses it in one line, at the first
  such layer, naming the fix;
- inside a model that transposes its rows itself (``forward(x): return self.enc(x.transpose(0, 1))``), the
  layers of a time-first block give ``(T, N, U)``; :func:`time_first_modules` names them, so the recorder
  turns their outputs to ``(N, T, U)`` as it does an RNN's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

_TIME_FIRST_KINDS = (nn.RNNBase, nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer, nn.Transformer)


def reads_time_first(m: nn.Module) -> bool:
    """Whether ``m`` itself takes ``(T, N, F)`` input: one of PyTorch's sequence layers with ``batch_first=False``
    (an ``nn.TransformerEncoder``/``Decoder`` as its layers are built)."""
    if isinstance(m, (nn.TransformerEncoder, nn.TransformerDecoder)) and len(m.layers):
        return reads_time_first(m.layers[0])
    if isinstance(m, (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)):
        m = m.self_attn  # (these keep their batch_first in their attention only)
    return isinstance(m, _TIME_FIRST_KINDS) and not getattr(m, "batch_first", True)


def time_first_modules(root: nn.Module | Iterable[nn.Module]) -> set[int]:
    """``id`` of every module of ``root`` whose 3-D output is ``(T, N, U)``: a time-first layer and each module inside it.

    ``root``: a model, or all of its modules already listed (``list(root.modules())``: one walk of the tree where a caller
    reads it for more than this)."""
    found: set[int] = set()
    for m in root.modules() if isinstance(root, nn.Module) else root:
        if reads_time_first(m):
            found.update(id(sub) for sub in m.modules())
    return found


@dataclass
class RowsWatch:
    """The block about to run (set by the caller before each forward pass): its ``rows``, and ``shape``, X's shape for the message."""

    rows: int = 0
    shape: tuple[int, ...] = ()


def message(name: str, layer: nn.Module, sequences: int, shape: tuple[int, ...]) -> str:
    """The one line for time-first ``layer`` (``name``; empty: the model itself) given X (of ``shape``) time first, ``sequences`` in its batch axis."""
    where = f"layer {name!r} ({type(layer).__name__}, batch_first=False)" if name else f"{type(layer).__name__} (batch_first=False)"
    swapped = f", here {(shape[1], shape[0], *shape[2:])}" if len(shape) >= 2 else ""
    return (
        f"X of shape {shape} reached {where} time first: it reads "
        f"(steps, batch, features), so X's first axis, which the lens reads as rows, went in as time steps (of {sequences} sequences). "
        f"Pass X as (rows, steps, ...){swapped}, and wrap the model so it takes that (forward(self, x): return model(x.transpose(0, 1))), "
        "or build the layer with batch_first=True."
    )


@contextmanager
def time_first_guard(module: nn.Module) -> Iterator[RowsWatch]:
    """Forward pre-hooks on ``module``'s time-first layers (:func:`reads_time_first`) that raise :func:`message`'s
    ``ValueError`` when X's rows arrive as their time axis: a 3-D input whose axis 0 is the block's rows and axis 1
    is not (with as many sequences as steps, the two cannot be told apart and nothing is said). Removed after, also on error.
    """
    watch = RowsWatch()

    def guard(name: str) -> Any:
        def check(m: nn.Module, inputs: tuple) -> None:
            x = inputs[0] if inputs else None
            if isinstance(x, Tensor) and x.ndim == 3 and watch.rows and x.shape[0] == watch.rows != x.shape[1]:
                raise ValueError(message(name, m, int(x.shape[1]), watch.shape or tuple(x.shape)))
        return check

    handles: list[Any] = []
    covered: set[int] = set()
    for name, m in module.named_modules():
        if id(m) not in covered and reads_time_first(m):  # the outermost time-first layer speaks, not each one inside it
            covered.update(id(sub) for sub in m.modules())
            handles.append(m.register_forward_pre_hook(guard(name)))
    try:
        yield watch
    finally:
        for h in handles:
            h.remove()


__all__ = ["RowsWatch", "message", "reads_time_first", "time_first_guard", "time_first_modules"]
