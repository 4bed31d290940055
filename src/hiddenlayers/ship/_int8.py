"""The int8 copy of an exported graph: weights stored as int8, every row computed on its own.

onnxruntime's ``quantize_dynamic`` quantises each layer's *input* with one scale
for the whole batch (``DynamicQuantizeLinear``), so a row's answer depends on
the other rows it is run with: one row of huge values in a batch rounds every
other row's activations to zero (breast_cancer, a row of 1e30 in a batch of 5:
the other rows' probabilities of 'yes' all became 0.544; run alone, 0.665,
0.956 and 0.893). A server batches rows of different clients together, so one client's
row changed another's answer. Here only the weights are quantised: each weight
matrix (``MatMul``/``Gemm``), convolution filter bank (``Conv``) and recurrent
layer's input and hidden-state weights (``LSTM``/``GRU``/``RNN``: ``W`` and ``R``,
``(directions, gates x hidden, inputs)``) becomes an int8 initializer with one
float32 scale per output unit (a recurrent layer's: per gate row; symmetric, zero
point 0) and a ``DequantizeLinear`` before its layer; biases and activations stay
float32. The file's weights take a quarter of the bytes, and a row's answer is the
same in any batch. Before the recurrent weights were quantised too, a
SequenceClassifier's or SpeechRecognizer's int8 file kept its LSTM/GRU weights in
float32 and was barely smaller than the float file (``lstm64,32`` on spoken digits:
0.94 of its bytes, now 0.36: ``benchmarks/bench_int8_recurrent.py``). torch's exporter leaves a large
recurrent weight as its PyTorch tensor reordered by ``Slice``/``Concat``: that
is folded (:func:`_folded`) and quantised, and the layout nodes dropped. A layer inside a nested graph (a recurrent
cell exported as a ``Loop`` body) is quantised when its weight is the main graph's, read back once outside the body;
:func:`quantized_ops` names each layer left float and why (a weight read twice, computed, or the body's own).

At opset 28 and later, whose ``DequantizeLinear`` (version 28) onnxruntime has no kernel for (1.32: "Could not find
an implementation for DequantizeLinear(28)"), each weight is read back as ``Cast`` to float32 then ``Mul`` by its
scales instead: the same values (``q * scale``, zero point 0) from operators every runtime has.
"""

from __future__ import annotations

import typing
from typing import Any

import numpy as np

from ._pipeline_graph import STEP_PREFIX

_WEIGHTED = ("MatMul", "Gemm", "Conv")
#: ONNX's recurrent operators: inputs 1 and 2 are ``W`` and ``R``, ``(directions, gates x hidden, inputs or hidden)``.
_RECURRENT = ("LSTM", "GRU", "RNN")
#: Operators that only move or reshape values: a recurrent weight made by these from initializers alone is folded, then quantised.
_LAYOUT_OPS = frozenset({"Slice", "Concat", "Unsqueeze", "Squeeze", "Reshape", "Transpose", "Identity", "Gather", "Split", "Constant"})
#: The newest ``DequantizeLinear`` (the opset it changed in) onnxruntime runs: 28's has no kernel there.
_NEWEST_DEQUANTIZE = 25


def _weight_inputs(node: Any) -> tuple[int, ...]:
    """The positions of ``node``'s inputs that are weights to quantise: ``W`` and ``R`` of a recurrent layer, else the second."""
    if node.op_type in _RECURRENT:
        return (1, 2)
    return (1,) if node.op_type in _WEIGHTED else ()


def _output_axis(node: Any, dims: int) -> int | None:
    """The weight axis that indexes the layer's outputs (one scale each), or None for a weight left in float32.

    A recurrent layer's ``W``/``R`` ``(directions, gates x hidden, k)``: axis 1, one scale per gate row (each row is one
    gate unit's weights; a two-direction op's row ``j`` shares its scale across both directions)."""
    if node.op_type in _RECURRENT:
        return 1 if dims == 3 else None
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


def _layout_cone(name: str, producers: dict[str, Any], inits: dict[str, Any]) -> list[Any] | None:
    """The nodes that make ``name`` from initializers through layout operators alone (:data:`_LAYOUT_OPS`), or None when
    anything else (a graph input, an arithmetic operator) takes part; ``[]`` for an initializer itself."""
    cone: dict[int, Any] = {}
    stack, seen = [name], set()
    while stack:
        value = stack.pop()
        if value in seen or value in inits or value == "":
            continue
        seen.add(value)
        node = producers.get(value)
        if node is None or node.op_type not in _LAYOUT_OPS:
            return None
        cone[id(node)] = node
        stack.extend(node.input)
    return list(cone.values())


def _folded(model: Any, name: str, cone: list[Any], inits: dict[str, Any]) -> np.ndarray:
    """The value of ``name``, which the layout nodes ``cone`` make from initializers, by onnx's reference evaluator.

    Why: torch's exporter folds a small LSTM/GRU weight into one ``(1, gates x hidden, k)`` initializer, but leaves a large
    one (``R`` of ``lstm64``: 256 x 64) as its PyTorch tensor reordered into ONNX's gate order by ``Slice`` and ``Concat``,
    then ``Unsqueeze``: the values the layer reads are those of this small graph."""
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    order = [n for n in model.graph.node if any(n is c for c in cone)]  # the graph's own order is a topological one
    used = {i for n in order for i in n.input}
    graph = helper.make_graph(order, "fold", [], [helper.make_tensor_value_info(name, TensorProto.FLOAT, None)],
                              initializer=[inits[i] for i in sorted(used) if i in inits])
    fold = helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)
    outputs = typing.cast("list[Any]", ReferenceEvaluator(fold).run(None, {}))  # a list without intermediate=True
    return np.asarray(outputs[0], dtype=np.float32)


def _drop_dead(g: Any, nodes: list[Any]) -> None:
    """Remove from ``g`` those of ``nodes`` (a folded weight's layout nodes), and the initializers they read, that nothing reads now."""
    candidates = {o for n in nodes for o in n.output}  # by name: protobuf's extend copies the nodes, so no identity survives
    inputs = {i for n in nodes for i in n.input}
    while True:
        read = set(_read_counts(g))  # nested graphs (a Loop's body) may read the outer graph's values too
        dead = [n for n in g.node if n.output and set(n.output) <= candidates and not any(o in read for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    read = set(_read_counts(g))
    kept = [i for i in g.initializer if i.name not in inputs or i.name in read]
    del g.initializer[:]
    g.initializer.extend(kept)


def _nested_graphs(node: Any) -> list[Any]:
    """The graphs ``node``'s attributes hold: an ``If``'s branches, a ``Loop``'s or ``Scan``'s body."""
    return [a.g for a in node.attribute if a.HasField("g")] + [sub for a in node.attribute for sub in a.graphs]


def _read_counts(g: Any) -> dict[str, int]:
    """How many times each value name of the graph ``g`` is read: by its nodes, by the nodes of the graphs nested in them (at
    any depth: a ``Loop`` body reads the main graph's weights by name, which no input of the ``Loop`` node shows), and as an
    output of ``g``. A weight read more than once stays float32: each reader would otherwise need its own dequantisation.

    Why: counting the main graph's nodes alone, a ``MatMul`` weight that an ``If`` branch or ``Loop`` body also read counted
    one reader; it was quantised and its float initializer removed under that body, which still named it."""
    counts: dict[str, int] = {}
    for o in g.output:
        counts[o.name] = counts.get(o.name, 0) + 1
    stack = list(g.node)
    while stack:
        node = stack.pop()
        for name in node.input:
            counts[name] = counts.get(name, 0) + 1
        for sub in _nested_graphs(node):
            stack.extend(sub.node)
            for o in sub.output:  # a body's output may be the outer value itself, read through no node
                counts[o.name] = counts.get(o.name, 0) + 1
    return counts


def _all_nodes(g: Any, where: str = "") -> list[tuple[Any, Any, str]]:
    """Every node of ``g`` and of the graphs nested in it, at any depth, as ``(node, its graph, where)``: ``where`` is ``""``
    in ``g`` itself, else the innermost operator holding it (``"Loop"``, ``"If"``, ``"Scan"``)."""
    found = []
    for n in g.node:
        found.append((n, g, where))
        for sub in _nested_graphs(n):
            found.extend(_all_nodes(sub, n.op_type))
    return found


def weight_only_int8(data: bytes) -> bytes:
    """The ONNX model ``data`` with each float32 weight of a ``MatMul``, ``Gemm`` or ``Conv``, and ``W`` and ``R`` of an ``LSTM``,
    ``GRU`` or ``RNN``, stored as int8 (per output unit scale; a recurrent layer's per gate row).

    The steps of a Pipeline ahead of its MLP (initializers named ``pipeline.*``: a PCA's projection) stay float32: only the
    network's weights are quantised. Each weight is read back by a ``DequantizeLinear`` node (``Cast`` and ``Mul`` from opset 28, see above), so the graph
    computes in float32 and a row's output does not depend on the rows it is batched with. Biases (a recurrent layer's ``B``
    too) and embeddings stay float32, as does a weight read more than once (by a node of a nested graph, an ``If``
    branch or a ``Loop`` body, too: :func:`_read_counts`). A layer inside a nested graph (a recurrent cell exported as a
    ``Loop``) whose weight is the main graph's has it read back once, in the main graph, not at every step; one whose
    weight is the nested graph's own stays float32 (its read-back would run at every step), and :func:`quantized_ops` says so.
    """
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load_from_string(data)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    users = _read_counts(g)
    new_nodes, done, folded = [], set(), []
    cone: list[Any] | None
    cast = _dequantize_version(model) > _NEWEST_DEQUANTIZE
    for n, owner, where in _all_nodes(g):
        for slot in _weight_inputs(n):
            name = n.input[slot] if len(n.input) > slot else ""
            if not name or users[name] != 1 or name.startswith(STEP_PREFIX):  # a Pipeline's PCA step ahead of the MLP: kept exact
                continue
            if name in inits and not (where and any(i.name == name for i in owner.initializer)):
                if inits[name].data_type != TensorProto.FLOAT:
                    continue
                w, cone = numpy_helper.to_array(inits[name]), []
            else:  # a recurrent weight torch's exporter left as layout operators over its tensor (see _folded)
                cone = _layout_cone(name, producers, inits) if n.op_type in _RECURRENT and not where else None
                if not cone:
                    continue
                w = _folded(model, name, cone, inits)
            axis = _output_axis(n, w.ndim)
            if axis is None:
                continue
            q, scale = _quantised(w, axis)
            new_nodes.extend(_dequantize(g, name, q, scale, axis, cast))
            n.input[slot] = f"{name}_dq"  # in a nested graph: the main graph's value, by name, as the weight was
            done.add(name)
            folded.extend(cone)
    kept = [i for i in g.initializer if i.name not in done]
    del g.initializer[:]
    g.initializer.extend(kept)
    nodes = new_nodes + list(g.node)  # the dequantisations read initializers only, so they may run first
    del g.node[:]
    g.node.extend(nodes)
    _drop_dead(g, folded)  # the layout nodes of the weights folded above, and their PyTorch tensors, now unread
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def _why_float(name: str, owner: Any, where: str, inits: dict[str, Any], counts: dict[str, int]) -> str:
    """Why the weight ``name`` of a layer in ``owner`` (nested in a ``where`` operator, or ``""``) was left float32, in a few words."""
    import onnx

    if where and any(i.name == name for i in owner.initializer):
        return f"its weight is the {'body' if where in ('Loop', 'Scan') else 'branch'}'s own"
    if name not in inits:
        return "its weight is computed in the graph"
    if counts.get(name, 0) > 1:
        return "its weight is read by more than one node"
    if inits[name].data_type != onnx.TensorProto.FLOAT or name.startswith(STEP_PREFIX):
        return "its weight is not the network's float32"
    return "its weight's shape has no output axis"


def quantized_ops(data: bytes) -> str:
    """Which operators of the int8 ONNX model ``data`` (from :func:`weight_only_int8`) read int8 weights, and which stayed float
    and why (a nested graph's named: ``in a Loop body``), as one note."""
    import onnx

    g = onnx.load_from_string(data).graph
    inits = {i.name: i for i in g.initializer}
    counts = _read_counts(g)
    int8 = {name for name, i in inits.items() if i.data_type == onnx.TensorProto.INT8}
    cast = {n.output[0] for n in g.node if n.op_type == "Cast" and n.input[0] in int8}
    dequantised = {n.output[0] for n in g.node if n.op_type == "DequantizeLinear" or (n.op_type == "Mul" and n.input[0] in cast)}
    done = dict.fromkeys(_WEIGHTED + _RECURRENT, 0)
    left: dict[str, int] = {}
    for n, owner, where in _all_nodes(g):
        slots = _weight_inputs(n)
        if not slots or len(n.input) <= max(slots):
            continue
        floats = [n.input[i] for i in slots if n.input[i] not in dequantised]
        if not floats:
            done[n.op_type] += 1
            continue
        place = f" in {'a Loop body' if where == 'Loop' else 'a Scan body' if where == 'Scan' else 'an If branch'}" if where else ""
        key = f"{n.op_type}{place} ({_why_float(floats[0], owner, where, inits, counts)})"
        left[key] = left.get(key, 0) + 1
    # an embedding (a token-id model's): its table is a float32 initializer a Gather looks rows up in, left float32 (a lookup has no output axis to scale)
    tables = sum(1 for n in g.node if n.op_type == "Gather" and n.input[0] in inits and inits[n.input[0]].data_type == onnx.TensorProto.FLOAT
                 and len(inits[n.input[0]].dims) == 2)
    if tables:
        left["Gather (an embedding table: rows looked up, kept float32)"] = tables
    stored = ", ".join(f"{k} {op}" for op, k in done.items() if k) or "no operator"
    still = ", ".join(f"{k} {what}" for what, k in left.items())
    rows = "; an LSTM/GRU/RNN's W and R: one per gate row" if any(done[op] for op in _RECURRENT) else ""
    return (f"int8 (weights): weights of {stored} stored as int8 (one scale per output unit{rows}), computed in float32, "
            f"so a row's answer does not depend on its batch{', still float: ' + still if still else ''}")


__all__ = ["quantized_ops", "weight_only_int8", "written_opset"]
