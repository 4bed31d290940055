"""The int8 copy of a graph with nested graphs (an ``If``'s branches, a ``Loop``'s body): a weight they read is a reader too.

Before, only the main graph's nodes were counted as a weight's readers, so a ``MatMul`` weight that an ``If`` branch or a
``Loop`` body also read was quantised and its float initializer removed, under a reader that still named it.
"""

from __future__ import annotations

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402  (after the importorskip that guards it)

from hiddenlayers.ship._int8 import quantized_ops, weight_only_int8  # noqa: E402

_RNG = np.random.default_rng(0)
W = _RNG.normal(size=(4, 3)).astype(np.float32)
W2 = _RNG.normal(size=(3, 2)).astype(np.float32)


def _nested(kind: str) -> bytes:
    """``Y = (X @ W + nested(X @ W)) @ W2``, the nested graph an ``If`` branch (``then``: ``X @ W``; ``else``: ``relu(X @ W)``) or a
    ``Loop`` body (twice: ``v + X @ W``, from ``v = 0``) that reads the main graph's ``W`` by name."""
    f = TensorProto.FLOAT
    if kind == "If":
        then = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["t"])], "then", [], [helper.make_tensor_value_info("t", f, None)])
        other = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["m"]), helper.make_node("Relu", ["m"], ["e"])], "else", [],
                                  [helper.make_tensor_value_info("e", f, None)])
        nested = [helper.make_node("If", ["cond"], ["B"], then_branch=then, else_branch=other)]
        extra = [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])]
        inits = []
    else:
        body = helper.make_graph(
            [helper.make_node("MatMul", ["X", "W"], ["m"]), helper.make_node("Add", ["v", "m"], ["v_out"]),
             helper.make_node("Identity", ["c"], ["c_out"])], "body",
            [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("c", TensorProto.BOOL, []),
             helper.make_tensor_value_info("v", f, None)],
            [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", f, None)])
        nested = [helper.make_node("Loop", ["trips", "", "zero"], ["B"], body=body)]
        extra = []
        inits = [numpy_helper.from_array(np.array(2, np.int64), "trips"), numpy_helper.from_array(np.zeros((1, 3), np.float32), "zero")]
    nodes = [helper.make_node("MatMul", ["X", "W"], ["A"]), *nested, helper.make_node("Add", ["A", "B"], ["C"]),
             helper.make_node("MatMul", ["C", "W2"], ["Y"])]
    graph = helper.make_graph(nodes, "nested", [helper.make_tensor_value_info("X", f, ["batch", 4]), *extra],
                              [helper.make_tensor_value_info("Y", f, ["batch", 2])],
                              initializer=[numpy_helper.from_array(W, "W"), numpy_helper.from_array(W2, "W2"), *inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _run(data: bytes, X: np.ndarray, kind: str, cond: bool) -> np.ndarray:
    feeds = {"X": X, "cond": np.array(cond)} if kind == "If" else {"X": X}
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)[0]


@pytest.mark.parametrize("kind", ["If", "Loop"])
def test_a_weight_a_nested_graph_reads_stays_float_and_the_others_are_int8(kind: str) -> None:
    data = _nested(kind)
    q = weight_only_int8(data)
    g = onnx.load_from_string(q).graph
    inits = {i.name: i for i in g.initializer}
    assert inits["W"].data_type == TensorProto.FLOAT and np.array_equal(numpy_helper.to_array(inits["W"]), W)  # as it was
    assert "W2" not in inits and inits["W2_int8"].data_type == TensorProto.INT8
    assert [n.input[1] for n in g.node if n.op_type == "MatMul"] == ["W", "W2_dq"]
    note = quantized_ops(q)
    assert note.startswith("int8 (weights): weights of 1 MatMul stored as int8")
    assert "still float: 1 MatMul (its weight is read by more than one node), " in note  # the main graph's; the nested ones follow
    X = _RNG.normal(size=(6, 4)).astype(np.float32)
    scale = np.max(np.abs(W2), axis=0) / 127  # W2's one scale per output unit: each weight within half of it
    for cond in (True, False) if kind == "If" else (True,):
        ref, got = _run(data, X, kind, cond), _run(q, X, kind, cond)
        A = X @ W
        C = A + ((A if cond else np.maximum(A, 0)) if kind == "If" else 2 * A)
        bound = np.abs(C) @ np.broadcast_to(scale / 2, W2.shape) + 1e-4  # |C @ (W2q - W2)| <= |C| @ (scale / 2)
        np.testing.assert_allclose(ref, C @ W2, rtol=1e-4, atol=1e-4)
        assert np.all(np.abs(got - ref) <= bound) and np.any(got != ref)  # W2 is int8: the answers move, within its rounding


R = _RNG.normal(size=(3, 3)).astype(np.float32) / 2
K = _RNG.normal(size=(3, 3)).astype(np.float32) / 2


def _recurrent_loop() -> bytes:
    """A recurrent layer written as a ``Loop``, as a custom cell exports: 3 steps of ``h = tanh(X @ W + h @ R) @ K`` from ``h0``,
    then ``Y = h @ W2``. ``W`` and ``R`` are the main graph's weights, read by name in the body; ``K`` is the body's own."""
    f = TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["a"]), helper.make_node("MatMul", ["h", "R"], ["b"]), helper.make_node("Add", ["a", "b"], ["s"]),
         helper.make_node("Tanh", ["s"], ["t"]), helper.make_node("MatMul", ["t", "K"], ["h_out"]), helper.make_node("Identity", ["c"], ["c_out"])],
        "cell", [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("h", f, None)],
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []), helper.make_tensor_value_info("h_out", f, None)],
        initializer=[numpy_helper.from_array(K, "K")])
    nodes = [helper.make_node("Loop", ["trips", "", "h0"], ["H"], body=body), helper.make_node("MatMul", ["H", "W2"], ["Y"])]
    graph = helper.make_graph(nodes, "rnn", [helper.make_tensor_value_info("X", f, ["batch", 4]), helper.make_tensor_value_info("h0", f, ["batch", 3])],
                              [helper.make_tensor_value_info("Y", f, ["batch", 2])],
                              initializer=[numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R"), numpy_helper.from_array(W2, "W2"),
                                           numpy_helper.from_array(np.array(3, np.int64), "trips")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _rnn(X: np.ndarray, w: np.ndarray, r: np.ndarray, w2: np.ndarray) -> np.ndarray:
    h = np.zeros((len(X), 3), np.float32)
    for _ in range(3):
        h = np.tanh(X @ w + h @ r) @ K
    return h @ w2


def test_a_loop_bodys_weights_from_the_main_graph_are_int8_dequantised_once_outside_it() -> None:
    data = _recurrent_loop()
    q = weight_only_int8(data)
    g = onnx.load_from_string(q).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    assert {"W", "R", "W2"}.isdisjoint(inits) and all(inits[f"{n}_int8"].dtype == np.int8 for n in ("W", "R", "W2"))
    (loop,) = [n for n in g.node if n.op_type == "Loop"]
    body = loop.attribute[0].g
    assert [n.input[1] for n in body.node if n.op_type == "MatMul"] == ["W_dq", "R_dq", "K"]  # K, the body's own, as it was
    assert [n.op_type for n in body.node].count("DequantizeLinear") == 0  # read back once, in the main graph, not per step
    assert quantized_ops(q) == ("int8 (weights): weights of 3 MatMul stored as int8 (one scale per output unit), computed in float32, so a "
                                "row's answer does not depend on its batch, still float: 1 MatMul in a Loop body (its weight is the body's own)")
    back = {n: inits[f"{n}_int8"].astype(np.float32) * inits[f"{n}_scale"][None, :] for n in ("W", "R", "W2")}  # DequantizeLinear, axis 1
    X = _RNG.normal(size=(5, 4)).astype(np.float32)
    feeds = {"X": X, "h0": np.zeros((5, 3), np.float32)}
    got = ort.InferenceSession(q, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    ref = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(ref, _rnn(X, W, R, W2), rtol=1e-4, atol=1e-5)
    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # its default fuses DequantizeLinear into MatMul: ~1e-3 off
    exact = ort.InferenceSession(q, plain, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(exact, _rnn(X, back["W"], back["R"], back["W2"]), rtol=1e-4, atol=1e-5)  # the int8 weights' own answers
    assert 0 < np.max(np.abs(got - ref)) < 0.05
