"""The int8 copy of an exported graph: weights stored as int8, every row computed on its own.

onnxruntime's ``quantize_dynamic`` quantises each layer's *input* with one scale
for the whole batch (``DynamicQuantizeLinear``), so a row's answer depends on
the other rows it is run with: one row of huge values in a batch rounds every
other row's activations to zero (breast_cancer, a row of 1e30 in a batch of 5:
the other rows' probabilities of 'yes' all became 0.544; run alone, 0.665,
0.956 and 0.893). A server batches rows of different clients together, so one client's
row changed another's answer. Here only the weights are quantised: each weight
matrix (``MatMul``/``Gemm``) or convolution filter bank (``Conv``) becomes an
int8 initializer with one float32 scale per output unit (symmetric, zero point
0) and a ``DequantizeLinear`` before its layer; activations stay float32. The
file's weights take a quarter of the bytes, and a row's answer is the same in
any batch.

At opset 28 and later, whose ``DequantizeLinear`` (version 28) onnxruntime has no kernel for (1.32: "Could not find
an implementation for DequantizeLinear(28)"), each weight is read back as ``Cast`` to float32 then ``Mul`` by its
scales instead: the same values (``q * scale``, zero point 0) from operators every runtime has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._pipeline_graph import STEP_PREFIX

_WEIGHTED = ("MatMul", "Gemm", "Conv")
#: The newest ``DequantizeLinear`` (the opset it changed in) onnxruntime runs: 28's has no kernel there.
_NEWEST_DEQUANTIZE = 25


def _output_axis(node: Any, dims: int) -> int | None:
    """The weight axis that indexes the layer's outputs (one scale each), or None for a weight left in float32."""
    if node.op_type == "Conv":
        return 0 if dims >= 3 else None
    if dims != 2:
        return None
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    return 1  # MatMul: (in, out)


def _quantised(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``w`` (float32) as int8 values and one float32 scale per index of ``axis``: ``w ~= q * scale`` (symmetric, |q| <= 127)."""
    others = tuple(a for a in range(w.ndim) if a != axis)
    peak = np.max(np.abs(w), axis=others)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def written_opset(proto: Any) -> int:
    """The default-domain (``ai.onnx``) opset recorded in the model ``proto``."""
    return next(int(o.version) for o in proto.opset_import if o.domain in ("", "ai.onnx"))


def _dequantize_version(model: Any) -> int:
    """The version of ``DequantizeLinear`` in force at ``model``'s default-domain opset (10, 13, 19, ..., 25, 28)."""
    import onnx

    return int(onnx.defs.get_schema("DequantizeLinear", written_opset(model)).since_version)


def _dequantize(g: Any, name: str, q: np.ndarray, scale: np.ndarray, axis: int, cast: bool) -> list[Any]:
    """The initializers (added to ``g``) and nodes that read the int8 weight ``q`` back as float32 ``{name}_dq``:
    ``DequantizeLinear`` (scales along ``axis``, zero point 0), or where ``cast`` ``Cast`` then ``Mul`` by the scales
    shaped to broadcast along ``axis``."""
    from onnx import TensorProto, helper, numpy_helper

    if not cast:
        g.initializer.extend([numpy_helper.from_array(q, f"{name}_int8"), numpy_helper.from_array(scale, f"{name}_scale"),
                              numpy_helper.from_array(np.zeros(scale.shape, np.int8), f"{name}_zero")])
        return [helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"], [f"{name}_dq"],
                                 name=f"{name}_dequantize", axis=axis)]
    shape = [1] * q.ndim
    shape[axis] = -1
    g.initializer.extend([numpy_helper.from_array(q, f"{name}_int8"), numpy_helper.from_array(scale.reshape(shape), f"{name}_scale")])
    return [helper.make_node("Cast", [f"{name}_int8"], [f"{name}_float"], name=f"{name}_cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{name}_float", f"{name}_scale"], [f"{name}_dq"], name=f"{name}_dequantize")]


def weight_only_int8(data: bytes) -> bytes:
    """The ONNX model ``data`` with each float32 weight of a ``MatMul``, ``Gemm`` or ``Conv`` stored as int8 (per output unit scale).

    The steps of a Pipeline ahead of its MLP (initializers named ``pipeline.*``: a PCA's projection) stay float32: only the
    network's weights are quantised. Each weight is read back by a ``DequantizeLinear`` node (``Cast`` and ``Mul`` from opset 28, see above), so the graph
    computes in float32 and a row's output does not depend on the rows it is batched with. Weights of other operators (LSTM/GRU, biases, embeddings) stay float32.
    """
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load_from_string(data)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    users: dict[str, int] = {}
    for n in g.node:
        for name in n.input:
            users[name] = users.get(name, 0) + 1
    new_nodes, done = [], set()
    cast = _dequantize_version(model) > _NEWEST_DEQUANTIZE
    for n in g.node:
        if n.op_type not in _WEIGHTED or len(n.input) < 2 or n.input[1] not in inits or users[n.input[1]] != 1:
            continue
        init = inits[n.input[1]]
        if init.name.startswith(STEP_PREFIX):  # a Pipeline's PCA step ahead of the MLP: preprocessing, kept exact
            continue
        axis = _output_axis(n, len(init.dims))
        if init.data_type != TensorProto.FLOAT or axis is None:
            continue
        q, scale = _quantised(numpy_helper.to_array(init), axis)
        new_nodes.extend(_dequantize(g, init.name, q, scale, axis, cast))
        n.input[1] = f"{init.name}_dq"
        done.add(init.name)
    kept = [i for i in g.initializer if i.name not in done]
    del g.initializer[:]
    g.initializer.extend(kept)
    nodes = new_nodes + list(g.node)  # the dequantisations read initializers only, so they may run first
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def quantized_ops(data: bytes) -> str:
    """Which operators of the int8 ONNX model ``data`` (from :func:`weight_only_int8`) read int8 weights, as one note."""
    import onnx

    g = onnx.load_from_string(data).graph
    int8 = {i.name for i in g.initializer if i.data_type == onnx.TensorProto.INT8}
    cast = {n.output[0] for n in g.node if n.op_type == "Cast" and n.input[0] in int8}
    dequantised = {n.output[0] for n in g.node if n.op_type == "DequantizeLinear" or (n.op_type == "Mul" and n.input[0] in cast)}
    weighted = [n for n in g.node if n.op_type in _WEIGHTED and len(n.input) > 1]
    counts = {op: sum(1 for n in weighted if n.op_type == op and n.input[1] in dequantised) for op in _WEIGHTED}
    floats = {op: sum(1 for n in weighted if n.op_type == op and n.input[1] not in dequantised) for op in _WEIGHTED}
    floats.update({op: sum(1 for n in g.node if n.op_type == op) for op in ("LSTM", "GRU")})
    done = ", ".join(f"{k} {op}" for op, k in counts.items() if k) or "no operator"
    left = ", ".join(f"{k} {op}" for op, k in floats.items() if k)
    return (f"int8 (weights): weights of {done} stored as int8 (one scale per output unit), computed in float32, "
            f"so a row's answer does not depend on its batch{', still float: ' + left if left else ''}")


__all__ = ["quantized_ops", "weight_only_int8", "written_opset"]
