"""Can the lens run this module on one tensor per batch, and why not, in one line.

:func:`~hiddenlayers.lens.record` and the attributions call ``module(x)`` with one ``(batch, ...)``
tensor. A module that needs more inputs (or a keyword-only one), is TorchScript (no hooks), has no values yet ('meta'
parameters), mixes parameter dtypes, or gets an input of the wrong shape or
dtype would otherwise fail deep inside PyTorch (``mat1 and mat2 shapes cannot
be multiplied``); these checks say what the model expects and how to fix the call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

_WRAP = (
    "wrap it in a module whose forward(x) takes one tensor (e.g. forward(self, x): return model(x[:, :4], x[:, 4:])), "
    "or run your own forward call inside `with hl.lens.recording(model, layers) as rec:`"
)


def _required_inputs(module: nn.Module) -> tuple[list[str], list[str]]:
    """Names of the positional and of the keyword-only arguments ``module.forward`` requires (both empty when it cannot be read)."""
    try:
        params = [p for p in inspect.signature(module.forward).parameters.values() if p.default is inspect.Parameter.empty]
    except (TypeError, ValueError):
        return [], []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in params if p.kind in kinds], [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def check_runnable(module: nn.Module) -> None:
    """Raise a one-line error when ``module`` cannot be run on one input tensor (see the module docstring)."""
    kind = type(module).__name__
    if isinstance(module, torch.jit.ScriptModule):
        raise TypeError(
            f"{kind} is a TorchScript module, which takes no hooks: look inside the eager nn.Module it was scripted from "
            "(the model before torch.jit.script/trace)."
        )
    meta = next((n for n, t in [*module.named_parameters(), *module.named_buffers()] if t.is_meta), None)
    if meta is not None:
        raise ValueError(
            f"{kind}'s parameter {meta!r} is on the 'meta' device (it has a shape but no values): materialise the model "
            "first (model.to_empty(device='cpu') then model.load_state_dict(...)) before looking inside it."
        )
    needed, keyword = _required_inputs(module)
    if len(needed) > 1:
        raise TypeError(f"{kind}.forward takes {len(needed)} inputs ({', '.join(needed)}) but the lens feeds one tensor per batch: {_WRAP}.")
    if keyword:  # forward(self, *, x): the lens's module(x) failed on "takes 1 positional argument but 2 were given"
        names = ", ".join(f"{n}=" for n in keyword)
        raise TypeError(
            f"{kind}.forward requires keyword-only input {names} but the lens feeds one tensor per batch as forward's first "
            f"positional argument: wrap it in a module whose forward(x) takes one tensor (e.g. forward(self, x): return "
            f"model({keyword[0]}=x)), or run your own forward call inside `with hl.lens.recording(model, layers) as rec:`."
        )


def _dtypes(module: nn.Module) -> dict[torch.dtype, str]:
    """The floating dtypes of ``module``'s parameters, each with the first parameter that has it."""
    seen: dict[torch.dtype, str] = {}
    for name, p in module.named_parameters():
        if p.is_floating_point():
            seen.setdefault(p.dtype, name)
    return seen


def _expects(layer: nn.Module) -> str:
    """What ``layer`` reads, in words: ``" expects (..., 4) float32 input"``; empty when unknown."""
    weight = getattr(layer, "weight", None)
    dtype = str(weight.dtype).removeprefix("torch.") if isinstance(weight, Tensor) else "floating-point"
    if isinstance(layer, nn.Linear):
        return f", which expects (..., {layer.in_features}) {dtype} input"
    if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        spatial = {1: "L", 2: "H, W", 3: "D, H, W"}[len(layer.kernel_size)]
        return f", which expects (N, {layer.in_channels}, {spatial}) {dtype} input"
    if isinstance(layer, nn.RNNBase):
        order = "(N, T, " if layer.batch_first else "(T, N, "
        return f", which expects {order}{layer.input_size}) {dtype} input"
    if isinstance(layer, nn.Embedding):
        return f", which expects integer ids in 0..{layer.num_embeddings - 1}"
    if isinstance(layer, nn.LayerNorm):
        return f", which expects (..., {', '.join(map(str, layer.normalized_shape))}) input"
    return ""


@contextmanager
def diagnosed(module: nn.Module, *, rows: int | None = None, batch_size: int | None = None) -> Iterator[Callable[[Tensor], Any]]:
    """A ``run(x)`` that calls ``module(x)`` and turns PyTorch's shape and dtype errors into one line naming the layer.

    Each submodule gets a pre-hook noting that the pass reached it, so the
    message names the last layer entered and what it expects; the hooks are
    removed when the block ends, also on error. ``rows`` (X's row count) and
    ``batch_size`` let the message give X's shape, ``(rows, *x.shape[1:])``,
    rather than the failing batch's, which the user never made.
    """
    names = {m: n for n, m in module.named_modules()}
    entered: list[nn.Module] = []
    handles = [m.register_forward_pre_hook(lambda m, _i: entered.append(m)) for m in names if not list(m.children())]

    def run(x: Tensor) -> Any:
        entered.clear()
        try:
            return module(x)
        except (RuntimeError, IndexError) as e:  # (an embedding given an id past its table raises IndexError)
            why = _explain(module, names, entered, x, e, _received(x, rows, batch_size))
            if why is None:
                raise  # not a shape or dtype mismatch at a layer we can describe: PyTorch's own error is the clearest
            raise ValueError(why) from e

    try:
        yield run
    finally:
        for h in handles:
            h.remove()


_MISMATCH = ("shape", "size", "dtype", "expected", "mat1", "channels", "dimension", "index out of range")


def _received(x: Tensor, rows: int | None, batch_size: int | None) -> str:
    """What the module was given, in words: X's shape and the dtype fed, and the batch size when X was split."""
    dtype = str(x.dtype).removeprefix("torch.")
    if rows is None:
        return f"an input of shape {tuple(x.shape)} ({dtype})"
    batches = f", in batches of {batch_size} rows" if batch_size is not None and rows > batch_size else ""
    return f"X of shape {(rows, *x.shape[1:])} (fed as {dtype}{batches})"


def _explain(module: nn.Module, names: dict[nn.Module, str], entered: list[nn.Module], x: Tensor, err: Exception, got: str) -> str | None:
    """One line for a dtype or shape mismatch at a layer we can describe (``got``: what it was given); None for any other error."""
    torch_says = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if not any(word in torch_says.lower() for word in _MISMATCH):
        return None
    dtypes = _dtypes(module)
    if len(dtypes) > 1:
        mix = ", ".join(f"{str(d).removeprefix('torch.')} ({n!r})" for d, n in dtypes.items())
        return (
            f"{type(module).__name__} failed on {got}: its parameters mix dtypes ({mix}); cast the model to one dtype "
            f"(model.float() or model.double()) before looking inside it. PyTorch said: {torch_says}"
        )
    layer = entered[-1] if entered else None
    if layer is None or not _expects(layer):
        return None
    fix = "pass X with the shape and dtype the model takes"
    if isinstance(layer, nn.Embedding) and not x.is_floating_point() and x.numel() and not 0 <= int(x.min()) <= int(x.max()) < layer.num_embeddings:
        fix = f"ids {int(x.min())}..{int(x.max())} were given: map them into the table's range (unknown tokens to a reserved id)"
    elif x.is_complex() and not isinstance(layer, nn.Embedding):  # (a complex tensor; a complex array is refused before)
        fix = "X holds complex numbers: turn them into real numbers first (e.g. X.abs() or X.real)"
    elif not x.is_floating_point() and not isinstance(layer, nn.Embedding):
        fix = "X holds integers: pass floating-point rows (e.g. X.astype('float32'))"
    return f"{type(module).__name__} failed on {got} in layer {names[layer]!r} ({type(layer).__name__}){_expects(layer)}: {fix}. PyTorch said: {torch_says}"


__all__ = ["check_runnable", "diagnosed"]
