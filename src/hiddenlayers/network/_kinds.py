"""Structured hidden layers: convolution, pooling, flatten, global pooling, recurrence, embedding.

Each module is built from its spec object (:mod:`hiddenlayers.network._spec`) and the
shape of its input, which :class:`~hiddenlayers.Network` infers. Layouts:
images are channels-first ``(N, C, H, W)`` (PyTorch's convention, and the
lens reads 4-D outputs that way); 1-D signals and sequences are
channels-last ``(N, steps, channels)`` (Keras' convention), so a 1-D
convolution, a recurrent layer and an embedding compose without transposes
and the lens treats the last axis as the units.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import Tensor, nn

from ..exceptions import SpecError
from ._layers import DenseLayer, canonical_activation, get_activation
from ._spec import Conv, Embed, GlobalPool, Pool, Recurrent


def init_conv_(conv: nn.Conv1d | nn.Conv2d, activation: str) -> None:
    """He-uniform (ReLU family) or Glorot-uniform init of a convolution, biases zero."""
    act = get_activation(activation)
    weight = conv.weight  # (out_channels, in_channels, *kernel)
    receptive = math.prod(weight.shape[2:])
    fan_in, fan_out = weight.shape[1] * receptive, weight.shape[0] * receptive
    with torch.no_grad():
        if act.init == "he":
            bound = act.gain * math.sqrt(3.0 / fan_in)
        else:
            bound = act.gain * math.sqrt(6.0 / (fan_in + fan_out))
        weight.uniform_(-bound, bound)
        if conv.bias is not None:
            conv.bias.zero_()


class FlatDense(DenseLayer):
    """A :class:`DenseLayer` that first flattens each sample: ``(N, ...)`` -> ``(N, units)``.

    Used where a dense layer follows a convolution, pooling or sequence output.

    Parameters
    ----------
    in_features, out_features, activation, dropout, norm, bias, init
        As :class:`DenseLayer` takes them (``in_features``: the flattened sample's size).
    """

    def forward(self, x: Tensor) -> Tensor:
        """``x`` flattened per sample, then the dense layer: ``(N, ...)`` -> ``(N, out_features)``.

        Parameters
        ----------
        x : torch.Tensor of shape (N, ...)
            The layer's input; each sample holds ``in_features`` values.
        """
        return super().forward(x.flatten(1))


class ConvLayer(nn.Module):
    """``h = dropout(activation(norm(conv(x))))`` in 1-D or 2-D.

    2-D: ``(N, C_in, H, W)`` -> ``(N, filters, H', W')``; 1-D (channels-last): ``(N, steps, C_in)`` -> ``(N, steps', filters)``.

    Parameters
    ----------
    in_channels : int
        Input channels (1-D: features per step).
    spec : Conv
        The layer's spec: filters, kernel, stride, padding, activation, norm, dropout.
    dims : {1, 2}
        1-D or 2-D.
    activation : str
        The activation where ``spec`` names none.
    init : {"auto", "none"}
        ``"auto"``: weights initialised to suit the activation; else PyTorch's default.
    """

    def __init__(self, in_channels: int, spec: Conv, dims: int, activation: str = "relu", *, init: str = "auto") -> None:
        super().__init__()
        self.dims = dims
        self.activation_name = canonical_activation(spec.activation or activation)
        conv_cls = nn.Conv1d if dims == 1 else nn.Conv2d
        self.conv = conv_cls(in_channels, spec.filters, spec.kernel, stride=spec.stride, padding=spec.padding)
        norm_cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
        self.norm = norm_cls(spec.filters) if spec.norm == "batch" else None
        self.act = get_activation(self.activation_name).module()
        self.dropout = nn.Dropout(spec.dropout) if spec.dropout > 0 else None
        if init == "auto":
            init_conv_(self.conv, self.activation_name)

    def forward(self, x: Tensor) -> Tensor:
        """The layer's output: ``(N, filters, H', W')`` (2-D) or ``(N, steps', filters)`` (1-D).

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C_in, H, W)`` (2-D) or ``(N, steps, C_in)`` (1-D, channels-last).
        """
        if self.dims == 1:
            x = x.transpose(1, 2)  # (N, steps, C) -> (N, C, steps)
        z = self.conv(x)
        if self.norm is not None:
            z = self.norm(z)
        if self.dims == 1:
            z = z.transpose(1, 2)  # back to (N, steps', filters)
        h = self.act(z)
        if self.dropout is not None:
            h = self.dropout(h)
        return h

    def extra_repr(self) -> str:
        return f"dims={self.dims}, activation={self.activation_name!r}"


class PoolLayer(nn.Module):
    """Max or average pooling; 2-D on ``(N, C, H, W)``, 1-D on ``(N, steps, C)``.

    Parameters
    ----------
    spec : Pool
        Window size, operation and stride.
    dims : {1, 2}
        1-D or 2-D.
    """

    def __init__(self, spec: Pool, dims: int) -> None:
        super().__init__()
        self.dims, self.op = dims, spec.op
        stride = spec.stride or spec.size
        if dims == 1:
            cls: type[nn.Module] = nn.MaxPool1d if spec.op == "max" else nn.AvgPool1d
        else:
            cls = nn.MaxPool2d if spec.op == "max" else nn.AvgPool2d
        self.pool = cls(spec.size, stride=stride)

    def forward(self, x: Tensor) -> Tensor:
        """The pooled input: ``(N, C, H', W')`` or ``(N, steps', C)``.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)`` (2-D) or ``(N, steps, C)`` (1-D).
        """
        if self.dims == 1:
            return self.pool(x.transpose(1, 2)).transpose(1, 2)  # pool over steps
        return self.pool(x)


class GlobalPoolLayer(nn.Module):
    """Average or max over every position: ``(N, C, H, W)`` or ``(N, steps, C)`` -> ``(N, C)``.

    Parameters
    ----------
    spec : GlobalPool
        Which operation (``"avg"`` or ``"max"``).
    """

    def __init__(self, spec: GlobalPool) -> None:
        super().__init__()
        self.op = spec.op

    def forward(self, x: Tensor) -> Tensor:
        """One value per channel, ``(N, C)``.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)`` or ``(N, steps, C)``.
        """
        dims = (2, 3) if x.ndim == 4 else (1,)
        return x.mean(dim=dims) if self.op == "avg" else x.amax(dim=dims)

    def extra_repr(self) -> str:
        return f"op={self.op!r}"


class RecurrentLayer(nn.Module):
    """An LSTM or GRU over ``(N, steps, features)``, batch first.

    Returns the last state ``(N, units * directions)`` (for a bidirectional layer: the forward direction's state after
    the last step beside the backward direction's after the first), or with ``sequence=True`` every step
    ``(N, steps, units * directions)``. Outputs lie in (-1, 1), like tanh.

    Parameters
    ----------
    in_features : int
        Features per step.
    spec : Recurrent
        Cell, units, layers, directions, ``sequence`` and dropout.
    """

    activation_name = "tanh"

    def __init__(self, in_features: int, spec: Recurrent) -> None:
        super().__init__()
        self.cell, self.sequence, self.bidirectional = spec.cell, spec.sequence, spec.bidirectional
        rnn_cls = nn.LSTM if spec.cell == "lstm" else nn.GRU
        self.rnn = rnn_cls(
            in_features, spec.units, num_layers=spec.layers, batch_first=True,
            bidirectional=spec.bidirectional, dropout=spec.dropout if spec.layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(spec.dropout) if spec.dropout > 0 else None

    def run_rnn(self, x: Any) -> Any:
        """``self.rnn(x)``, its ``(output, state)``.

        During training on a GPU the weights are views of the optimizer's one flat buffer (``FlatParams`` marks the module)
        rather than cuDNN's packed copy, so cuDNN repacks them per call and warns; that note is silenced then. Training ends
        by re-packing them.

        Parameters
        ----------
        x : torch.Tensor or PackedSequence
            The input the LSTM/GRU takes, batch first.
        """
        if getattr(self.rnn, "in_flat_buffer", False) and x.is_cuda:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous chunk")
                return self.rnn(x)
        return self.rnn(x)

    def forward(self, x: Tensor) -> Tensor:
        """The last state ``(N, units * directions)``, or every step ``(N, steps, units * directions)`` with ``sequence``.

        Parameters
        ----------
        x : torch.Tensor of shape (N, steps, features)
            The sequences, batch first.
        """
        out, state = self.run_rnn(x)  # out: (N, steps, units * directions)
        if self.sequence:
            h = out
        else:
            h_n = state[0] if self.cell == "lstm" else state  # (layers * directions, N, units)
            h = torch.cat((h_n[-2], h_n[-1]), dim=1) if self.bidirectional else h_n[-1]
        if self.dropout is not None:
            h = self.dropout(h)
        return h


class EmbedLayer(nn.Module):
    """A learned vector per id: ``(N, steps)`` integer ids -> ``(N, steps, dim)``.

    Parameters
    ----------
    vocab_size : int
        Distinct ids, ``[0, vocab_size)``.
    spec : Embed
        The vector size and dropout.
    """

    def __init__(self, vocab_size: int, spec: Embed) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, spec.dim)
        self.dropout = nn.Dropout(spec.dropout) if spec.dropout > 0 else None

    def forward(self, ids: Tensor) -> Tensor:
        """The ids' vectors, ``(N, steps, dim)``.

        Parameters
        ----------
        ids : torch.Tensor of shape (N, steps)
            Integer ids.
        """
        if ids.is_floating_point():
            raise TypeError(f"an embedding layer reads integer ids, not {ids.dtype}: pass token or category ids as an integer array.")
        h = self.embedding(ids)
        if self.dropout is not None:
            h = self.dropout(h)
        return h


def shape_error(position: int, text: str, shape: tuple[int, ...], need: str) -> SpecError:
    """The one message for a layer that cannot take its input's shape."""
    return SpecError(f"layer {position} ({text}) needs {need}; its input has shape {shape} per sample: change the spec or the input shape.")


__all__ = [
    "ConvLayer", "EmbedLayer", "FlatDense", "GlobalPoolLayer", "PoolLayer", "RecurrentLayer", "init_conv_", "shape_error",
]
