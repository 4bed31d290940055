"""One example passed where rows are expected (``X[0]``, one image, one sequence): refused in one line.

The lens reads the first axis of ``X`` as rows. PyTorch's layers also take one
example without a batch axis (``nn.Linear`` a ``(features,)`` vector, ``nn.Conv2d`` a
``(C, H, W)`` image, an RNN a ``(T, F)`` sequence), so ``X[0]`` runs without an error
and its units would be read as rows. :func:`watching` raises at the first such layer
of a pass (a forward hook on each layer whose unbatched input rank is known);
:func:`check_rows` raises after the pass when a layer of another kind returned a
first axis that is not a 1-D block's rows (embedding ids are rows of one value and pass).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

_CONV_RANKS = ((nn.Conv1d, 2), (nn.ConvTranspose1d, 2), (nn.Conv2d, 3), (nn.ConvTranspose2d, 3), (nn.Conv3d, 4), (nn.ConvTranspose3d, 4))


def unbatched_rank(m: nn.Module) -> int | None:
    """The input rank at which layer ``m`` reads one example without a batch axis (None: unknown or not a leaf it judges)."""
    if isinstance(m, nn.Linear):
        return 1  # (features,)
    if isinstance(m, nn.RNNBase):
        return 2  # (steps, features)
    for kind, rank in _CONV_RANKS:
        if isinstance(m, kind):
            return rank  # (C, L), (C, H, W), (C, D, H, W)
    return None


@dataclass
class Watch:
    """What :func:`watching` needs to name the problem: the shape of the block about to run (set by the caller)."""

    block: tuple[int, ...] = ()


@contextmanager
def watching(module: nn.Module) -> Iterator[Watch]:
    """Hooks on ``module``'s layers that raise :func:`message`'s ``ValueError`` as soon as one reads one example.

    Raised from the layer's forward hook, before a later layer fails on the unbatched shape with a
    less helpful error (a flattened image no longer fits the next ``nn.Linear``). Set ``watch.block``
    to each block's shape before running it; the hooks are removed when the block ends, also on error.
    """
    watch = Watch()

    def hook(name: str, rank: int) -> Any:
        def check(_m: nn.Module, inputs: Any, output: Any) -> None:
            x = inputs[0] if inputs else None
            if isinstance(x, Tensor) and x.ndim == rank:
                out = output[0] if isinstance(output, (tuple, list)) else output
                raise ValueError(message(watch.block or tuple(x.shape), name, tuple(out.shape) if isinstance(out, Tensor) else ()))
        return check

    handles = []
    for name, m in module.named_modules():
        rank = unbatched_rank(m)
        if rank is not None:
            handles.append(m.register_forward_hook(hook(name, rank)))
    try:
        yield watch
    finally:
        for h in handles:
            h.remove()


def message(shape: Sequence[int], name: str, out_shape: Sequence[int]) -> str:
    """The one line for block ``shape`` read by layer ``name`` as one example whose output has ``out_shape``."""
    shape, out = tuple(shape), tuple(out_shape)
    if len(shape) == 1:
        return (f"X has one axis, shape {shape}, but layer {name!r} read it as one example (output shape {out}), "
                f"not {shape[0]} rows: pass one example as X.reshape(1, -1), or rows as a (n_rows, n_features) array.")
    return (f"X has shape {shape}, but layer {name!r} read it as one example (output shape {out}), not {shape[0]} rows "
            f"of shape {shape[1:]}: pass one example as X[None] (shape {(1, *shape)}), or rows as an (n_rows, ...) array.")


def check_rows(xb: Tensor, outputs: Mapping[str, Sequence[Tensor]]) -> None:
    """After a pass: raise ``ValueError`` (:func:`message`) when block ``xb`` is 1-D and a recorded layer's last output
    (``outputs``) has no first axis of ``xb``'s rows (a layer of a kind :func:`watching` does not judge read it whole)."""
    if xb.ndim != 1:
        return
    for name, outs in outputs.items():
        if outs and (outs[-1].ndim == 0 or outs[-1].shape[0] != xb.shape[0]):
            raise ValueError(message(xb.shape, name, outs[-1].shape))


__all__ = ["Watch", "check_rows", "message", "unbatched_rank", "watching"]
