"""One torch thread for a small forward pass at inference, the fit loop's rule for a small batch.

Predicting one image with a small CNN on two threads took 13 ms on the loaded 2-core machine, 1.6 ms on one
(``benchmarks/bench_small_predict.py``): the threads' hand-offs cost more than the arithmetic they share, and on a
busy machine a spinning second thread steals the time of the first. :func:`inference_threads` applies the rule
:func:`~._loop.thread_limits` applies to a fit (``SMALL_BATCH_MACS``) to one forward call.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor

from ..network import in_mode
from ._loop import SMALL_BATCH_MACS, _forward_macs

# per network, the forward multiply-adds of one row by the row's shape and dtype (counted once: a FlopCounterMode pass costs a forward)
_MACS: weakref.WeakKeyDictionary[torch.nn.Module, dict[tuple[tuple[int, ...], torch.dtype], float]] = weakref.WeakKeyDictionary()


def row_macs(network: torch.nn.Module, sample: Tensor) -> float:
    """The forward multiply-adds of one row of ``sample``'s shape through ``network``, counted once per network and row shape.

    Parameters
    ----------
    network : torch.nn.Module
        The network (its submodules' modes are kept).
    sample : torch.Tensor of shape (n, ...)
        Rows as the network takes them; the first is run through the counter.
    """
    key = (tuple(int(d) for d in sample.shape[1:]), sample.dtype)
    counted = _MACS.setdefault(network, {})
    if key not in counted:
        hooked = _hooked_row_macs(network, sample[:1])
        counted[key] = hooked if hooked is not None else _forward_macs(network, sample[:1])
    return counted[key]


_NO_MATMUL = (torch.nn.modules.batchnorm._NormBase, torch.nn.LayerNorm, torch.nn.GroupNorm, torch.nn.Embedding, torch.nn.PReLU)


def _hooked_row_macs(network: torch.nn.Module, row: Tensor) -> float | None:
    """One row's multiply-adds through ``network``, from each weighted layer's input and output shapes in one plain forward
    pass of ``row``: ``Linear`` (output elements x ``in_features``), convolutions (output elements x input channels per
    group x kernel size), LSTM/GRU/RNN (steps x gates x ``hidden x (input + hidden)`` per layer and direction); norms,
    embeddings and PReLU hold no matmul. None when another kind holds weights (or a recurrent layer reads a packed
    sequence): :func:`~._loop._forward_macs` counts those.

    Why not always the counted pass: :class:`torch.utils.flop_counter.FlopCounterMode`'s first use imports
    ``torch._dynamo``, 2.5-3 s on this 2-core machine, which a one-shot ``predict`` of an ImageClassifier would pay.
    """
    total, unknown = [0.0], []

    def count(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        out = output[0] if isinstance(output, tuple) else output
        if isinstance(module, torch.nn.Linear):
            total[0] += out.numel() * module.in_features
        elif isinstance(module, torch.nn.modules.conv._ConvNd):
            total[0] += out.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
        elif isinstance(module, torch.nn.RNNBase) and isinstance(inputs[0], Tensor) and inputs[0].dim() == 3:
            steps = inputs[0].shape[1 if module.batch_first else 0]
            gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1)
            directions = 2 if module.bidirectional else 1
            for layer in range(module.num_layers):
                width = module.input_size if layer == 0 else module.hidden_size * directions
                total[0] += steps * directions * gates * module.hidden_size * (width + module.hidden_size)
        elif not isinstance(module, _NO_MATMUL):
            unknown.append(module)

    hooks = [m.register_forward_hook(count) for m in network.modules() if next(m.parameters(recurse=False), None) is not None]
    try:
        with in_mode(network, False), torch.no_grad():  # eval: batch norm cannot take one row training, nor move its statistics
            network(row)
    finally:
        for hook in hooks:
            hook.remove()
    return None if unknown else total[0]


@contextmanager
def inference_threads(network: torch.nn.Module, sample: Tensor, rows: int) -> Iterator[None]:
    """Run the block on one torch thread when ``rows`` rows of ``sample``'s shape are a small forward pass on the CPU.

    Small: under ``SMALL_BATCH_MACS`` multiply-adds (:func:`row_macs` times ``rows``), the fit loop's line. Elsewhere
    (a GPU, a larger pass, one thread already, no rows) the block runs as it is. The setting is restored after.

    Parameters
    ----------
    network : torch.nn.Module
        The network the block runs forward.
    sample : torch.Tensor of shape (n, ...)
        Its input rows (one is enough to size the pass).
    rows : int
        The rows each forward call of the block takes.
    """
    before = torch.get_num_threads()
    small = (before > 1 and sample.device.type == "cpu" and sample.shape[0] > 0
             and row_macs(network, sample) * rows < SMALL_BATCH_MACS)
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(before)


__all__ = ["inference_threads", "row_macs"]
