"""A float64 app network made runnable by onnxruntime's CPU kernels, which have no float64 ``Conv``, ``AveragePool``, ``LSTM`` or ``GRU``.

Measured with onnxruntime's CPU provider (each operator exported from PyTorch in float64 and run): ``Conv`` and
``AveragePool`` find no implementation, ``LSTM`` and ``GRU`` say they "do not support double yet"; ``MatMul``, ``Gemm``,
``MaxPool``, ``ReduceMean``/``ReduceMax``, ``BatchNormalization``, ``LayerNormalization``, ``Softmax``/``LogSoftmax``,
``Pad`` and ``Slice`` run in float64. :func:`double_exportable` therefore rewrites, in a copy of the network:

* each ``nn.Conv1d``/``nn.Conv2d`` (zero padding, one group) as the sum over its kernel's offsets of a strided slice of
  the zero-padded input times that offset's ``(filters, channels)`` weights (``MatMul``), plus the bias: the same sums in
  another order, so float64 results agree to rounding (~1e-15 relative);
* each ``nn.AvgPool1d``/``nn.AvgPool2d`` (no padding) as the mean of the window's strided slices;

and refuses a recurrent (LSTM/GRU) layer in one line, as onnxruntime has no float64 kernel for it and an unrolled loop
would fix the step count. This module imports PyTorch at import time; the graph builders import it inside their functions.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor, nn

#: the fix a refused float64 export names
FLOAT32_FIX = "export a float32 graph with export_onnx(model, path, dtype='float32') (or `hiddenlayers export --dtype float32`), or refit with dtype='float32'"


def _window_slices(x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> list[Tensor]:
    """For each offset of a ``kernel`` window (row-major), the strided slice of ``x`` ``(N, C, *spatial)`` it reads at every output
    position: ``(N, C, *out)``, ``out = (size - dilation * (k - 1) - 1) // stride + 1`` per spatial axis.

    Every bound is a constant (the offset from the start, the rest of the window from the end), none computed from the
    size: a dynamic axis (an utterance's steps) then slices right at any length, where PyTorch's exporter can bake a traced size in.
    """
    slices = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        index: list[Any] = [slice(None), slice(None)]
        for o, k, s, d in zip(offset, kernel, stride, dilation):
            rest = (k - 1 - o) * d  # the window's positions after this offset's
            index.append(slice(o * d, -rest if rest else None, s))
        slices.append(x[tuple(index)])
    return slices


class SliceConv(nn.Module):
    """A ``Conv1d``/``Conv2d`` (zero padding, groups 1) computed by slices and matrix products, which onnxruntime runs in float64.

    ``(N, C_in, *spatial)`` -> ``(N, C_out, *out)``, the convolution's own output (weights and bias are the layer's)."""

    def __init__(self, conv: nn.Conv1d | nn.Conv2d) -> None:
        super().__init__()
        # the convolution's own attributes, which the networks' output-length arithmetic reads (apps/_seq/net)
        self.kernel_size, self.stride, self.padding, self.dilation = conv.kernel_size, conv.stride, conv.padding, conv.dilation
        self.kernel = tuple(conv.kernel_size)
        k = len(self.kernel)
        if conv.padding == "same":  # PyTorch's: total dilation * (k - 1), the odd one at the end
            total = [d * (s - 1) for d, s in zip(conv.dilation, self.kernel)]
            pads = [(t // 2, t - t // 2) for t in total]
        elif conv.padding == "valid":
            pads = [(0, 0)] * k
        else:
            pads = [(int(p), int(p)) for p in conv.padding]  # type: ignore[union-attr]
        self.pad = tuple(v for pair in reversed(pads) for v in pair)  # F.pad's order: last axis first
        w = conv.weight.detach()  # (C_out, C_in, *kernel)
        self.weights = nn.Parameter(w.reshape(w.shape[0], w.shape[1], -1).permute(2, 1, 0).contiguous(), requires_grad=False)  # (offsets, C_in, C_out)
        self.bias = None if conv.bias is None else nn.Parameter(conv.bias.detach().clone(), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        if any(self.pad):
            x = nn.functional.pad(x, self.pad)
        dims = x.ndim - 2
        perm = (0, *range(2, 2 + dims), 1)  # channels last, for the product
        total: Tensor | None = None
        for j, part in enumerate(_window_slices(x, self.kernel, tuple(self.stride), tuple(self.dilation))):
            term = part.permute(*perm) @ self.weights[j]  # (N, *out, C_out)
            total = term if total is None else total + term
        assert total is not None
        if self.bias is not None:
            total = total + self.bias
        return total.permute(0, dims + 1, *range(1, dims + 1))  # (N, C_out, *out)


class SliceAvgPool(nn.Module):
    """An ``AvgPool1d``/``AvgPool2d`` without padding as the mean of its window's strided slices (onnxruntime's ``AveragePool`` has no float64 kernel)."""

    def __init__(self, pool: nn.AvgPool1d | nn.AvgPool2d, dims: int) -> None:
        super().__init__()
        size = pool.kernel_size if isinstance(pool.kernel_size, tuple) else (pool.kernel_size,) * dims
        stride = pool.stride if isinstance(pool.stride, tuple) else (pool.stride,) * dims
        self.kernel_size, self.stride = pool.kernel_size, pool.stride  # the pooling's own, which output-length arithmetic reads
        self.kernel, self.steps = tuple(int(k) for k in size), tuple(int(s) for s in stride)
        self.count = float(torch.tensor(self.kernel).prod())

    def forward(self, x: Tensor) -> Tensor:
        parts = _window_slices(x, self.kernel, self.steps, (1,) * len(self.kernel))
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total / self.count


def double_exportable(network: nn.Module) -> nn.Module:
    """``network`` (a float64 CPU copy, changed in place and returned) with every float64-less operator rewritten, or a one-line
    ``ValueError`` naming the layer onnxruntime cannot run in float64 and :data:`FLOAT32_FIX`."""
    for name, module in list(network.named_modules()):
        if isinstance(module, (nn.LSTM, nn.GRU)):
            raise ValueError(f"this float64 model's graph cannot run in onnxruntime: its {type(module).__name__} layer has no float64 kernel there: {FLOAT32_FIX}.")
        if isinstance(module, (nn.Conv1d, nn.Conv2d)):
            if module.groups != 1 or module.padding_mode != "zeros":
                raise ValueError(f"this float64 model's graph cannot run in onnxruntime: its grouped or non-zero-padded convolution has no float64 kernel there: {FLOAT32_FIX}.")
            _replace(network, name, SliceConv(module))
        elif isinstance(module, (nn.AvgPool1d, nn.AvgPool2d)):
            padding = module.padding if isinstance(module.padding, tuple) else (module.padding,)
            if any(padding) or module.ceil_mode:
                raise ValueError(f"this float64 model's graph cannot run in onnxruntime: its padded average pooling has no float64 kernel there: {FLOAT32_FIX}.")
            _replace(network, name, SliceAvgPool(module, 1 if isinstance(module, nn.AvgPool1d) else 2))
    return network


def _replace(root: nn.Module, name: str, new: nn.Module) -> None:
    """Set the submodule at dotted ``name`` of ``root`` to ``new``."""
    parent_name, _, attr = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, attr, new)


__all__ = ["FLOAT32_FIX", "SliceAvgPool", "SliceConv", "double_exportable"]
