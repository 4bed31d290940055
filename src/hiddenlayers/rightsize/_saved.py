"""Activation memory as autograd counts it: the bytes a training forward keeps for backward, per layer.

Why measured, not a formula: what backward keeps depends on the layer kind and
the kernel, not on the output's size alone. A ReLU keeps its output, a GELU its
input, dropout its mask (float32 on the CPU), batch norm its input and per-channel
statistics, max pooling int64 indices, and an LSTM or GRU every step's gates and
states (on the CPU, oneDNN's kernel keeps them in one workspace, rounded up, beside
the input and every step's output). ``torch.autograd.graph.saved_tensors_hooks`` sees every tensor
saved, whatever the kernel.

Convention: each storage is counted once, whole, in the row of the layer whose
forward first saved it (a ReLU's output that the next layer's matrix product
saves again is the ReLU's layer's; the network's input, saved by the first
layer, is that layer's); parameters and buffers are weights, not counted;
what is saved before any row runs is the ``(other)`` row's. Measured by one forward in
training mode at the batch asked for (what it reports, it takes), on the model's device;
tensors a branch the output does not need saved and freed again are not counted.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from ..network import in_mode


def _saved_once(module: nn.Module, x: torch.Tensor, rows: dict[str, nn.Module]) -> dict[str | None, int]:
    """``{row name (None: before any row): bytes saved for backward}`` by one training forward of ``module`` on ``x``.

    Only tensors still held when the forward returns count: a branch the output does not
    depend on (an LSTM's every-step output when the layer returns its last state) is freed with
    what it saved, and its memory may be handed to a later tensor at the same address.
    """
    weights = {t.untyped_storage().data_ptr() for t in (*module.parameters(), *module.buffers())}
    current: list[str | None] = [None]
    packed: list[tuple[weakref.ref[torch.Tensor], str | None]] = []

    def enter(name: str) -> Callable[..., None]:
        def pre(_m: nn.Module, _args: Any) -> None:
            current[0] = name
        return pre

    def pack(t: torch.Tensor) -> torch.Tensor:
        packed.append((weakref.ref(t), current[0]))
        return t

    handles = [m.register_forward_pre_hook(enter(n)) for n, m in rows.items()]
    try:
        with in_mode(module, True), torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            kept = module(x)  # held while the saved tensors are counted: through it the graph keeps them alive
        counts: dict[str | None, int] = {}
        seen = set(weights)
        for ref, row in packed:
            t = ref()
            if t is None:
                continue
            storage = t.untyped_storage()
            if storage.data_ptr() not in seen and storage.nbytes():
                seen.add(storage.data_ptr())
                counts[row] = counts.get(row, 0) + storage.nbytes()
        del kept
    finally:
        for h in handles:
            h.remove()
    return counts


def saved_activation_bytes(module: nn.Module, example: Callable[[int], torch.Tensor], rows: Iterable[tuple[str, nn.Module]],
                           batch_size: int) -> dict[str | None, int]:
    """``{row name: bytes}`` autograd keeps for backward at ``batch_size``, and ``None``: what no row saved.

    ``module`` runs one training forward (its modes put back after) on ``example(batch_size)``;
    ``rows``: ``(name, submodule)`` pairs. Pass a copy when its batch-norm running statistics
    must not move. Measured at the batch itself: the bytes are not linear in it (oneDNN's LSTM
    workspace on the CPU is rounded: 32 KiB at batch 2, 56 KiB at 4). A batch of 1 that batch norm
    cannot train on is measured at 2 and halved.
    """
    named = dict(rows)
    try:
        return _saved_once(module, example(batch_size), named)
    except ValueError:
        if batch_size != 1:
            raise
    return {k: v // 2 for k, v in _saved_once(module, example(2), named).items()}


__all__ = ["saved_activation_bytes"]
