"""Multiply-adds of a network's forward pass, for the one-thread rules of the fit loop and of inference.

:func:`hooked_row_macs` counts one row from the weighted layers' shapes in a plain forward pass (no ``torch._dynamo``
import); :func:`forward_macs` counts with PyTorch's ``FlopCounterMode``, for the layer kinds the first does not know.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from ..network import in_mode, recurrent_macs


def forward_macs(network: torch.nn.Module, sample: Tensor) -> float:
    """Multiply-adds per row of one forward pass of ``sample`` (``torch.utils.flop_counter``), in eval mode; every
    submodule's mode is restored.

    Parameters
    ----------
    network : torch.nn.Module
        The network.
    sample : torch.Tensor of shape (n, ...)
        Input rows as the network takes them.
    """
    from torch.utils.flop_counter import FlopCounterMode

    # eval: batch norm cannot take one row in training mode, and its running stats must not move
    with in_mode(network, False), FlopCounterMode(display=False) as counter, torch.no_grad():
        network(sample)
    return counter.get_total_flops() / 2 / max(int(sample.shape[0]), 1)


_NO_MATMUL = (torch.nn.modules.batchnorm._NormBase, torch.nn.LayerNorm, torch.nn.GroupNorm, torch.nn.Embedding, torch.nn.PReLU)


def hooked_row_macs(network: torch.nn.Module, row: Tensor) -> float | None:
    """One row's multiply-adds through ``network``, from each weighted layer's input and output shapes in one plain forward
    pass of ``row``: ``Linear`` (output elements x ``in_features``), convolutions (output elements x input channels per
    group x kernel size), LSTM/GRU/RNN (:func:`~hiddenlayers.network.recurrent_macs`); norms,
    embeddings and PReLU hold no matmul; a recurrent layer reading a packed row counts the row's own steps. None when
    another kind holds weights: :func:`forward_macs` counts those.

    Why not always the counted pass: :class:`torch.utils.flop_counter.FlopCounterMode`'s first use imports
    ``torch._dynamo``, 2.5-3 s on this 2-core machine, which a one-shot ``predict`` of an ImageClassifier, and the first
    fit of a convolutional or recurrent network in a process (the fit loop's thread rule), would pay.

    Parameters
    ----------
    network : torch.nn.Module
        The network (its submodules' modes are kept).
    row : torch.Tensor of shape (1, ...)
        One input row as the network takes it.
    """
    total, unknown = [0.0], []

    def count(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        out = output[0] if isinstance(output, tuple) else output
        if isinstance(module, torch.nn.Linear):
            total[0] += out.numel() * module.in_features
        elif isinstance(module, torch.nn.modules.conv._ConvNd):
            total[0] += out.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
        elif isinstance(module, torch.nn.RNNBase) and (isinstance(inputs[0], PackedSequence) or inputs[0].dim() == 3):
            total[0] += recurrent_macs(module, inputs[0])  # a packed row (a bidirectional layer's, apps/_seq): its own steps
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


def row_macs_of(network: torch.nn.Module, sample: Tensor) -> float:
    """One row's multiply-adds: :func:`hooked_row_macs` of the first row, or :func:`forward_macs` of ``sample`` where a
    layer kind is unknown to it.

    Parameters
    ----------
    network, sample
        As :func:`forward_macs` takes them: the network, and input rows ``(n, ...)`` as it takes them.
    """
    hooked = hooked_row_macs(network, sample[:1])
    return hooked if hooked is not None else forward_macs(network, sample)


__all__ = ["forward_macs", "hooked_row_macs", "row_macs_of"]
