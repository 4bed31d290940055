"""The ONNX graph of a table MLP made of dense layers, written directly with ``onnx.helper`` (no ``torch.export``).

Why: ``torch.onnx.export`` traces with torch.export, decomposes and translates through onnxscript's torchlib: about
6.5 s for a process's first export (importing torch._dynamo/torch.export, building the torchlib registry) and 0.5 s
warm, for a graph of a few ``Gemm`` nodes (``benchmarks/bench_export.py``). :func:`dense_graph` writes the same graph
(same input and output names, float type, dynamic batch, opset) in milliseconds, from the network's weights:

* the table preprocessing as :func:`._onnx_graph._exportable` computes it: the median fill of NaN (``IsNaN``,
  ``Where``), ``(x - mean) / scale``, the missing indicators, the one-hot blocks in the preprocessing's column order;
* per dense layer ``Gemm`` (weight ``(out, in)``, ``transB=1``, so :mod:`._int8` quantises it per output unit), a batch
  norm folded into it with its running statistics (as torch's exporter folds it; :func:`_folded`), a layer norm in
  inference form (``LayerNormalization`` from opset 17, its decomposition at 16), the activation as standard operators,
  dropout left out (identity at inference);
* the head, the output activation (softmax; sigmoid, two columns for a binary classifier; exp) and a scaled
  regressor's ``* scale + mean``.

A float64 graph writes leaky_relu, elu, softplus and selu from ``Where``/``Exp``/``Log`` (onnxruntime has float64
kernels for these, not for ``LeakyRelu``, ``Elu``, ``Softplus``, ``Selu``). Anything else (another layer kind, an
activation module without an exact form here, a norm without running statistics) returns ``None``: the caller
exports through torch's exporter as before. The caller checks the graph against PyTorch with onnxruntime.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_SELU_ALPHA = 1.6732632423543772848170429916717  # torch.nn.SELU's constants
_SELU_SCALE = 1.0507009873554804934193349852946


class _Builder:
    """Nodes and initializers of one graph, each named uniquely, in float ``dtype`` (``np.float32`` or ``np.float64``)."""

    def __init__(self, dtype: Any, opset: int) -> None:
        self.dtype = dtype
        self.opset = opset
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, value: Any, stem: str = "c", dtype: Any = None, name: str | None = None) -> str:
        """An initializer holding ``value`` (the graph's float type unless ``dtype``), named ``name`` (default: ``stem`` numbered); returns its name."""
        from onnx import numpy_helper

        name = name or self.name(stem)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype or self.dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], stem: str | None = None, **attrs: Any) -> str:
        """One node with one output; returns the output's name."""
        from onnx import helper

        out = self.name(stem or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def _activation(b: _Builder, x: str, module: Any) -> str | None:
    """``module`` (a torch activation, in inference form) applied to ``x``, or None when it has no exact form here."""
    from torch import nn

    double = b.dtype == np.float64
    kind = type(module)
    if kind is nn.Identity:
        return x
    if kind in (nn.ReLU, nn.Tanh, nn.Sigmoid):
        return b.op({nn.ReLU: "Relu", nn.Tanh: "Tanh", nn.Sigmoid: "Sigmoid"}[kind], [x])
    if kind is nn.SiLU:  # x * sigmoid(x)
        return b.op("Mul", [x, b.op("Sigmoid", [x])])
    if kind is nn.LeakyReLU:
        slope = float(module.negative_slope)
        if not double:
            return b.op("LeakyRelu", [x], alpha=slope)
        return b.op("Where", [_positive(b, x), x, b.op("Mul", [x, b.const(slope)])])
    if kind is nn.ELU:
        return _elu(b, x, float(module.alpha), 1.0, double)
    if kind is nn.SELU:
        return _elu(b, x, _SELU_ALPHA, _SELU_SCALE, double)
    if kind is nn.GELU:
        return _gelu(b, x, module.approximate)
    if kind is nn.Softplus:
        return _softplus(b, x, float(module.beta), float(module.threshold), double)
    if kind is nn.Mish:  # x * tanh(softplus(x)), softplus with torch's threshold 20
        return b.op("Mul", [x, b.op("Tanh", [_softplus(b, x, 1.0, 20.0, double)])])
    return None


def _positive(b: _Builder, x: str) -> str:
    return b.op("Greater", [x, b.const(0.0)])


def _elu(b: _Builder, x: str, alpha: float, scale: float, double: bool) -> str:
    """``scale * (x if x > 0 else alpha * (exp(x) - 1))``: ELU (scale 1) and SELU."""
    if not double:
        if scale == 1.0:
            return b.op("Elu", [x], alpha=alpha)
        if alpha == _SELU_ALPHA and scale == _SELU_SCALE:
            return b.op("Selu", [x], alpha=alpha, gamma=scale)
    negative = b.op("Mul", [b.op("Sub", [b.op("Exp", [x]), b.const(1.0)]), b.const(alpha)])
    out = b.op("Where", [_positive(b, x), x, negative])
    return out if scale == 1.0 else b.op("Mul", [out, b.const(scale)])


def _gelu(b: _Builder, x: str, approximate: str) -> str:
    """torch's GELU: exact ``x * 0.5 * (1 + erf(x / sqrt 2))``, or its tanh form ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    if approximate == "tanh":
        cube = b.op("Mul", [b.op("Mul", [x, x]), x])
        inner = b.op("Mul", [b.op("Add", [x, b.op("Mul", [cube, b.const(0.044715)])]), b.const(math.sqrt(2.0 / math.pi))])
        gate = b.op("Add", [b.op("Tanh", [inner]), b.const(1.0)])
    else:
        gate = b.op("Add", [b.op("Erf", [b.op("Mul", [x, b.const(1.0 / math.sqrt(2.0))])]), b.const(1.0)])
    return b.op("Mul", [b.op("Mul", [x, b.const(0.5)]), gate])


def _softplus(b: _Builder, x: str, beta: float, threshold: float, double: bool) -> str:
    """torch's softplus: ``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    bx = x if beta == 1.0 else b.op("Mul", [x, b.const(beta)])
    soft = b.op("Softplus", [bx]) if not double else b.op("Log", [b.op("Add", [b.op("Exp", [bx]), b.const(1.0)])])
    if beta != 1.0:
        soft = b.op("Div", [soft, b.const(beta)])
    return b.op("Where", [b.op("Greater", [bx, b.const(threshold)]), x, soft])


def _array(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy()


def _norm(b: _Builder, x: str, norm: Any, scope: str) -> str | None:
    """A dense layer's layer norm in inference form, or None when it has no exact form here (a batch norm is folded into
    its layer's Gemm by :func:`_folded`); ``scope``: its parameters' name prefix (``network.hidden1.norm``)."""
    from torch import nn

    if norm is None:
        return x
    if type(norm) is not nn.LayerNorm or len(norm.normalized_shape) != 1:
        return None
    width = int(math.prod(norm.normalized_shape))
    weight = _array(norm.weight) if norm.weight is not None else np.ones(width)
    bias = _array(norm.bias) if norm.bias is not None else np.zeros(width)
    if b.opset >= 17:
        return b.op("LayerNormalization", [x, b.const(weight, name=f"{scope}.weight"), b.const(bias, name=f"{scope}.bias")], axis=-1,
                    epsilon=float(norm.eps))
    centred = b.op("Sub", [x, b.op("ReduceMean", [x], axes=[-1], keepdims=1)])  # opset 16: axes an attribute
    var = b.op("ReduceMean", [b.op("Mul", [centred, centred])], axes=[-1], keepdims=1)
    scaled = b.op("Div", [centred, b.op("Sqrt", [b.op("Add", [var, b.const(float(norm.eps))])])])
    return b.op("Add", [b.op("Mul", [scaled, b.const(weight, name=f"{scope}.weight")]), b.const(bias, name=f"{scope}.bias")])


def _folded(linear: Any, norm: Any) -> tuple[np.ndarray, np.ndarray | None] | None:
    """``(W', b')`` of ``linear`` followed by ``norm`` in inference form, as one affine map: ``linear``'s own ``(W, b)`` where
    ``norm`` is not a batch norm; a batch norm with running statistics folded in, ``s = gamma / sqrt(var + eps)``,
    ``W' = W * s`` (per output unit), ``b' = (b - mean) * s + beta``, computed in float64 and rounded once to the graph's
    type (:meth:`_Builder.const`); None for a batch norm without running statistics (torch normalises by the batch's).

    Why: torch's exporter folds it so, and a Gemm alone is one operator fewer per layer, whose int8 copy quantises the
    folded weights (:mod:`._int8`), the ones that compute."""
    from torch import nn

    weight = _array(linear.weight)
    bias = _array(linear.bias) if linear.bias is not None else None
    if type(norm) is not nn.BatchNorm1d:
        return weight, bias
    if norm.running_mean is None or norm.running_var is None:
        return None
    f64 = np.float64
    out = weight.shape[0]
    gamma = _array(norm.weight).astype(f64) if norm.weight is not None else np.ones(out)
    beta = _array(norm.bias).astype(f64) if norm.bias is not None else np.zeros(out)
    s = gamma / np.sqrt(_array(norm.running_var).astype(f64) + float(norm.eps))
    b0 = bias.astype(f64) if bias is not None else np.zeros(out)
    return weight.astype(f64) * s[:, None], (b0 - _array(norm.running_mean).astype(f64)) * s + beta


def _linear(b: _Builder, x: str, weight: np.ndarray, bias: np.ndarray | None, scope: str) -> str:
    """``x @ W.T + b`` as one Gemm, the weight ``(out, in)`` kept so (``transB=1``), ``bias`` ``(out,)`` or None; ``scope``: the
    parameters' name prefix, as torch's exporter names them (``network.hidden1.linear``), from which ``hiddenlayers info``
    names the layers."""
    inputs = [x, b.const(weight, name=f"{scope}.weight")]
    if bias is not None:
        inputs.append(b.const(bias, name=f"{scope}.bias"))
    return b.op("Gemm", inputs, "gemm", transB=1)


def _network(b: _Builder, x: str, network: Any) -> str | None:
    """The hidden layers and head of ``network``, or None when one of its layers is not a plain dense one."""
    from torch import nn

    from ..network import DenseLayer, Network

    if type(network) is not Network or network.vocab_size is not None or len(network.input_shape) != 1:
        return None
    h = x
    for name, layer in zip(network.hidden_names, network.hidden_layers):
        if type(layer) is not DenseLayer or not (layer.dropout is None or type(layer.dropout) is nn.Dropout):
            return None
        affine = _folded(layer.linear, layer.norm)  # a batch norm folded into the Gemm
        if affine is None:
            return None
        gemm = _linear(b, h, *affine, f"network.{name}.linear")
        z = _norm(b, gemm, layer.norm if type(layer.norm) is not nn.BatchNorm1d else None, f"network.{name}.norm")
        a = _activation(b, z, layer.act) if z is not None else None
        if a is None:
            return None
        h = a
    head = network.head
    return _linear(b, h, _array(head.weight), _array(head.bias) if head.bias is not None else None, "network.head")


def _preprocess(b: _Builder, x: str, columns: list[dict[str, Any]] | None) -> str:
    """The matrix the network reads from the graph input ``x``: raw numeric columns (NaN = missing), then one-hot blocks."""
    from ._onnx_graph import _width

    if columns is None:
        return x
    numeric = [c for c in columns if c["kind"] == "numeric"]
    n_num, width = len(numeric), sum(_width(c) for c in columns)
    if not n_num:
        return x
    n_hot = width - sum(_width(c) for c in numeric)
    int64 = np.int64
    raw = x if not n_hot else b.op("Slice", [x, b.const([0], dtype=int64), b.const([n_num], dtype=int64), b.const([1], dtype=int64)])
    isnan = b.op("IsNaN", [raw])
    filled = b.op("Where", [isnan, b.const([c["fill"] for c in numeric]), raw])
    z = b.op("Div", [b.op("Sub", [filled, b.const([c["mean"] for c in numeric])]), b.const([c["scale"] for c in numeric])])
    # [z | indicators | one-hot blocks], then one Gather into the preprocessing's column order
    parts, order, i, off = [z], [], 0, 0
    flags = [j for j, c in enumerate(numeric) if c["missing_indicator"]]
    if flags:
        parts.append(b.op("Cast", [b.op("Gather", [isnan, b.const(flags, dtype=int64)], axis=1)], to=_onnx_type(b.dtype)))
    if n_hot:
        parts.append(b.op("Slice", [x, b.const([n_num], dtype=int64), b.const([n_num + n_hot], dtype=int64), b.const([1], dtype=int64)]))
    for c in columns:
        if c["kind"] == "numeric":
            order.append(i)
            if c["missing_indicator"]:
                order.append(n_num + flags.index(i))
            i += 1
        else:
            order.extend(range(n_num + len(flags) + off, n_num + len(flags) + off + _width(c)))
            off += _width(c)
    full = b.op("Concat", parts, axis=1) if len(parts) > 1 else z
    return full if order == list(range(width)) else b.op("Gather", [full, b.const(order, dtype=int64)], axis=1)


def _onnx_type(dtype: Any) -> int:
    from onnx import TensorProto

    return int(TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT)


def _output(b: _Builder, out: str, out_activation: str, binary: bool, target: tuple[Any, Any] | None) -> str | None:
    """The output activation and a scaled regressor's ``* scale + mean`` after the head, or None for an unknown activation."""
    if out_activation == "softmax":
        out = b.op("Softmax", [out], axis=1)
    elif out_activation == "logistic":
        out = b.op("Sigmoid", [out])
        if binary:
            out = b.op("Concat", [b.op("Sub", [b.const(1.0), out]), out], axis=1)
    elif out_activation == "exp":
        out = b.op("Exp", [out])
    elif out_activation != "identity":
        return None
    if target is not None:
        out = b.op("Add", [b.op("Mul", [out, b.const(np.asarray(target[1], dtype=np.float64))]),
                           b.const(np.asarray(target[0], dtype=np.float64))])
    return out


def dense_graph(network: Any, out_activation: str, binary: bool, columns: list[dict[str, Any]] | None,
                target: tuple[Any, Any] | None, *, opset: int, input_name: str, out_name: str, steps: list[tuple[str, Any]] | None = None) -> Any:
    """The ONNX ``ModelProto`` of preprocessing + ``network`` + output, as :func:`._onnx_graph._exportable` computes it, or None.

    ``network``: a fitted :class:`~hiddenlayers.network.Network` (CPU, eval mode) whose float type (float32 or float64)
    the whole graph computes in; ``out_activation``: the estimator's (``softmax``, ``logistic``, ``exp``, ``identity``);
    ``binary``: a binary classifier, whose one sigmoid becomes two columns ``[1 - p, p]``; ``columns``: the table
    preprocessing's column dicts (None: the input is the matrix the network reads); ``target``: a scaled regressor's
    ``(target_mean_, target_scale_)``, each ``(n_outputs,)``; ``opset``: the default domain's opset written;
    ``input_name``/``out_name``: the graph's input ``(batch, width)`` and output ``(batch, n_outputs)``;
    ``steps``: a Pipeline's fitted scikit-learn steps before the network (:func:`._pipeline_graph.kept_steps`), written
    ahead of it (:func:`._pipeline_graph.steps_graph`), the input then ``(batch, steps[0]'s n_features_in_)``; None: none.
    None where a layer, norm or activation has no exact form here: the caller uses torch's exporter.
    """
    import torch
    from onnx import helper

    from .. import __version__

    dtypes = {torch.float32: np.float32, torch.float64: np.float64}
    dtype = dtypes.get(next(network.parameters()).dtype)
    if dtype is None:  # another float type: torch's exporter decides
        return None
    b = _Builder(dtype, opset)
    if steps:
        from ._pipeline_graph import steps_graph

        first = steps_graph(b, input_name, steps)
    else:
        first = _preprocess(b, input_name, columns)
    out = _network(b, first, network)
    out = _output(b, out, out_activation, binary, target) if out is not None else None
    if out is None:
        return None
    b.nodes.append(helper.make_node("Identity", [out], [out_name], name="output"))
    width = int(steps[0][1].n_features_in_) if steps else int(network.in_features) if columns is None else _input_width(columns)
    real = _onnx_type(dtype)
    graph = helper.make_graph(b.nodes, "main_graph", [helper.make_tensor_value_info(input_name, real, ["batch", width])],
                              [helper.make_tensor_value_info(out_name, real, ["batch", int(network.out_features) + int(binary)])], b.inits)
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="hiddenlayers", producer_version=__version__)
    model.ir_version = ir_version_for(opset)
    return model


#: The IR version torch's exporter writes, and the newest onnxruntime 1.18 (the oldest the project allows) reads.
_IR_FLOOR = 10


def ir_version_for(opset: int) -> int:
    """The ONNX IR version a file of default-domain ``opset`` declares: 10, as torch's exporter writes and every onnxruntime
    the project allows (1.18 on) reads, or the IR version onnx requires for an opset newer than IR 10's (11 at opset 23, ...,
    14 at 28: ``onnx.helper.find_min_ir_version_for``), which torch's exporter leaves at 10."""
    from onnx import helper

    return max(_IR_FLOOR, int(helper.find_min_ir_version_for([helper.make_opsetid("", opset)])))


def _input_width(columns: list[dict[str, Any]]) -> int:
    """The graph input's width: the raw numeric columns, then each categorical column's one-hot block."""
    from ._onnx_graph import _width

    return sum(1 if c["kind"] == "numeric" else _width(c) for c in columns)


__all__ = ["dense_graph", "ir_version_for"]
