"""The int8 copy of a recurrent app's export: an LSTM's/GRU's ``W`` and ``R`` are int8 too, one scale per gate row.

Before, only ``MatMul``/``Gemm``/``Conv`` weights were quantised, so a SequenceClassifier's or SpeechRecognizer's
int8 file kept its recurrent weights, most of its bytes, in float32 and was barely smaller than the float one.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers.apps import SequenceClassifier, SpeechRecognizer
from hiddenlayers.data import load_spoken_digits
from hiddenlayers.ship import export_onnx
from speech_helpers import toy_utterances

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
from onnx import numpy_helper  # noqa: E402  (after the importorskip that guards it)

_RECURRENT = ("LSTM", "GRU")


def _session(path: str | Path, model: bytes | None = None):
    return ort.InferenceSession(model if model is not None else str(path), providers=["CPUExecutionProvider"])


def _padded(seqs: list[np.ndarray]) -> np.ndarray:
    """Each (T_i, F) sequence, then whole NaN steps up to the longest: what the graph reads."""
    out = np.full((len(seqs), max(len(s) for s in seqs), seqs[0].shape[1]), np.nan, dtype=np.float32)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def _dequantised(path: str | Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray, int]], dict[str, np.ndarray]]:
    """The int8 file's weights by the name its layers read them as: ``{name: (q int8, scales, axis)}``, computed here in NumPy
    from the initializers (``DequantizeLinear`` with zero point 0, or ``Cast`` then ``Mul``), and ``{name: q * scale}``."""
    g = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    found: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in inits:
            assert not np.any(inits[n.input[2]]), "symmetric: zero point 0"
            found[n.output[0]] = (inits[n.input[0]], inits[n.input[1]], next(a.i for a in n.attribute if a.name == "axis"))
        elif n.op_type == "Mul" and n.input[0] in producers and producers[n.input[0]].op_type == "Cast":
            q, scale = inits[producers[n.input[0]].input[0]], inits[n.input[1]]
            axis = int(np.argmax(scale.shape))  # the scales are shaped to broadcast along their axis: (1, rows, 1)
            found[n.output[0]] = (q, scale.reshape(-1), axis)
    values = {}
    for name, (q, scale, axis) in found.items():
        shape = [1] * q.ndim
        shape[axis] = -1
        values[name] = q.astype(np.float32) * scale.reshape(shape)
    return found, values


def _float_graph_of(path: str | Path) -> bytes:
    """The int8 file with each dequantisation replaced by its values computed in NumPy (:func:`_dequantised`), as float32."""
    model = onnx.load(str(path))
    g = model.graph
    _, values = _dequantised(path)
    dq_nodes = [n for n in g.node if n.output[0] in values]
    dq_nodes += [n for n in g.node if n.op_type == "Cast" and any(n.output[0] in m.input for m in dq_nodes)]
    dropped = {id(n) for n in dq_nodes}
    read = {i for n in dq_nodes for i in n.input}
    keep_nodes = [n for n in g.node if id(n) not in dropped]
    keep_inits = [i for i in g.initializer if i.name not in read]
    del g.node[:], g.initializer[:]
    g.node.extend(keep_nodes)
    g.initializer.extend(keep_inits + [numpy_helper.from_array(v.astype(np.float32), name) for name, v in values.items()])
    return bytes(model.SerializeToString())


def _recurrent_nodes(path: str | Path) -> list:
    return [n for n in onnx.load(str(path)).graph.node if n.op_type in _RECURRENT]


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """An LSTM SequenceClassifier of the Free Spoken Digit Dataset's MFCCs (digits 0-2: 600 recordings in fit, 300 held out),
    exported with its int8 copy, parity and accuracy on the held-out ones. Its 48 units make torch's exporter fold W (192 x 13)
    into one initializer but leave R (192 x 48) as its PyTorch tensor reordered by Slice and Concat: both ways are quantised."""
    X, y = load_spoken_digits((0, 1, 2))
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:600], order[600:]
    X_test, y_test = [X[i] for i in test], y[test]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = SequenceClassifier("lstm48,16", max_iter=8, early_stopping=False, device="cpu", random_state=0).fit([X[i] for i in train], y[train])
    report = export_onnx(clf, tmp_path_factory.mktemp("int8_lstm") / "digits.onnx", X=X_test, y=y_test, quantize=True)
    return clf, report, X_test, y_test


def _onnx_gate_order(w: np.ndarray, hidden: int) -> np.ndarray:
    """A PyTorch LSTM weight ``(4 x hidden, k)``, gates (input, forget, cell, output), in ONNX's order (input, output, forget, cell)."""
    i, f, c, o = (w[g * hidden : (g + 1) * hidden] for g in range(4))
    return np.concatenate([i, o, f, c])[None]


def test_lstm_w_and_r_are_int8_with_one_scale_per_gate_row(spoken: tuple) -> None:
    clf, report, _, _ = spoken
    onnx.checker.check_model(onnx.load(report.quantized_path), full_check=True)
    (lstm,) = _recurrent_nodes(report.quantized_path)
    found, _ = _dequantised(report.quantized_path)
    rnn = clf.network_.hidden1.rnn
    for slot, torch_weight, k in ((1, rnn.weight_ih_l0, 13), (2, rnn.weight_hh_l0, 48)):  # W (1, 4 x 48 gate rows, 13 MFCCs), R
        q, scale, axis = found[lstm.input[slot]]
        w = _onnx_gate_order(torch_weight.detach().numpy(), 48)
        assert q.dtype == np.int8 and q.shape == w.shape == (1, 192, k) and axis == 1 and scale.shape == (192,)
        assert np.all(np.abs(q) <= 127) and np.all(np.abs(q).max(axis=(0, 2)) == 127)  # each row's largest weight is +-127
        # each weight within half a step of its row's scale
        assert np.all(np.abs(q * scale[None, :, None] - w) <= scale[None, :, None] / 2 * (1 + 1e-5))
    bias = next(i for i in onnx.load(report.quantized_path).graph.initializer if i.name == lstm.input[3])
    assert bias.data_type == onnx.TensorProto.FLOAT  # B, the biases, stay float32
    assert any("weights of 2 Gemm, 1 LSTM stored as int8" in n and "still float" not in n for n in report.notes), report.notes


def test_the_int8_file_shrinks_by_three_bytes_per_weight(spoken: tuple) -> None:
    # before, only the dense weights (48 x 16 + 16 x 3) were int8: the file lost ~2.4 kB of its ~150 kB
    _, report, _, _ = spoken
    found, _ = _dequantised(report.quantized_path)
    weights = sum(q.size for q, _, _ in found.values())
    assert weights == 192 * 13 + 192 * 48 + 48 * 16 + 16 * 3
    assert Path(report.quantized_path).stat().st_size == report.quantized_bytes
    assert report.bytes - report.quantized_bytes > 2.5 * weights
    # R's PyTorch tensor and the Slice/Concat that reordered its gates are gone, not kept beside the int8 copy
    floats = [i for i in onnx.load(report.quantized_path).graph.initializer if i.data_type == onnx.TensorProto.FLOAT]
    assert sum(int(np.prod(i.dims)) for i in floats) < weights / 10, [(i.name, list(i.dims)) for i in floats]


def test_onnxruntime_answers_equal_the_dequantize_linear_math(spoken: tuple) -> None:
    _, report, X_test, _ = spoken
    rows = _padded(X_test[:40])
    int8 = _session(report.quantized_path).run(None, {"X": rows})[0]
    by_numpy = _session("", _float_graph_of(report.quantized_path)).run(None, {"X": rows})[0]
    np.testing.assert_allclose(int8, by_numpy, atol=1e-6)


def test_int8_parity_covers_the_recurrent_weights_and_predictions_agree(spoken: tuple) -> None:
    clf, report, X_test, y_test = spoken
    int8 = _session(report.quantized_path).run(None, {"X": _padded(X_test)})[0].astype(np.float64)
    proba = clf.predict_proba(X_test)
    diff = float(np.max(np.abs(int8 - proba)))
    assert report.quantized_max_abs_diff == pytest.approx(diff, abs=1e-5) and 0 < diff < 0.05  # measured 0.0075
    assert np.mean(int8.argmax(1) == proba.argmax(1)) >= 0.99  # measured 1.0 (300 of 300)
    assert report.score_after >= report.score_before - 0.01 and report.score_before > 0.9


def test_a_bidirectional_gru_at_opset_28_reads_int8_through_cast_and_mul(tmp_path: Path) -> None:
    """onnxruntime has no DequantizeLinear(28): W and R are read back by Cast then Mul, the same values."""
    rng = np.random.default_rng(0)
    X = [(rng.normal(size=(int(t), 3)) * 2 + 1).astype(np.float32) for t in rng.integers(4, 13, size=60)]
    y = np.array([x[:, 0].mean() > 1 for x in X])
    clf = SequenceClassifier("gru64:bi,4", max_iter=2, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    report = export_onnx(clf, tmp_path / "g.onnx", X=X, quantize=True, opset=28)
    onnx.checker.check_model(onnx.load(report.quantized_path), full_check=True)
    nodes = _recurrent_nodes(report.quantized_path)
    found, _ = _dequantised(report.quantized_path)
    assert len(nodes) == 2 and all(n.input[i] in found and found[n.input[i]][0].dtype == np.int8 for n in nodes for i in (1, 2))
    assert not any(n.op_type == "DequantizeLinear" for n in onnx.load(report.quantized_path).graph.node)
    rows = _padded(X[:20])
    int8 = _session(report.quantized_path).run(None, {"X": rows})[0]
    np.testing.assert_allclose(int8, _session("", _float_graph_of(report.quantized_path)).run(None, {"X": rows})[0], atol=1e-6)
    # W (1, 3 gates x 64, 3) and R (1, 192, 64) per direction, R made by Slice and Concat of its PyTorch tensor (folded here)
    assert report.quantized_max_abs_diff < 0.05 and report.bytes - report.quantized_bytes > 2.5 * 2 * (192 * 3 + 192 * 64)


def test_speech_recognizer_lstm_log_probs_from_int8_weights(tmp_path: Path) -> None:
    X, y = toy_utterances(30)
    rec = SpeechRecognizer("conv8k3:same,pool2,lstm16", max_iter=4, early_stopping=False, random_state=0, device="cpu").fit(X, y)
    report = export_onnx(rec, tmp_path / "asr.onnx", X=X[:8], quantize=True)
    (lstm,) = _recurrent_nodes(report.quantized_path)
    found, _ = _dequantised(report.quantized_path)
    assert found[lstm.input[1]][0].shape == (1, 64, 8) and found[lstm.input[2]][0].shape == (1, 64, 16)
    assert any("1 LSTM stored as int8" in n for n in report.notes), report.notes
    log_probs = _session(report.quantized_path).run(["log_probs"], {"X": _padded(X[:8])})[0]
    for got, want in zip(log_probs, rec.frame_log_probs(X[:8]), strict=True):
        np.testing.assert_allclose(got[: len(want)], want, atol=0.05)
    assert report.bytes - report.quantized_bytes > 1.5 * (64 * 8 + 64 * 16)  # the LSTM's W and R alone


def _hand_made_lstm(r_op: str = "Identity") -> tuple[bytes, np.ndarray]:
    """An LSTM graph whose R is made as torch's exporter leaves a large one: ``Unsqueeze(Concat(Slice(T), Slice(T)))`` of a
    PyTorch-ordered tensor T ``(4 x 3, 3)``, passed through ``r_op`` (``Identity``: layout only; ``Neg``: arithmetic), the
    Concat also read by a ``Shape`` the graph outputs; and the input ``X`` ``(steps 5, batch 2, 2)``."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    hidden, n_in = 3, 2
    t = rng.normal(size=(4 * hidden, hidden)).astype(np.float32)
    inits = [numpy_helper.from_array(rng.normal(size=(1, 4 * hidden, n_in)).astype(np.float32), "W"),
             numpy_helper.from_array(t, "T"), numpy_helper.from_array(np.array([0, 6], np.int64), "starts"),
             numpy_helper.from_array(np.array([6, 12], np.int64), "ends"), numpy_helper.from_array(np.array([0], np.int64), "zero"),
             numpy_helper.from_array(np.array([6], np.int64), "six"), numpy_helper.from_array(np.array([12], np.int64), "twelve")]
    nodes = [helper.make_node("Slice", ["T", "six", "twelve", "zero"], ["late"]),  # gates reordered: the last two first
             helper.make_node("Slice", ["T", "zero", "six", "zero"], ["early"]),
             helper.make_node("Concat", ["late", "early"], ["cat"], axis=0),
             helper.make_node(r_op, ["cat"], ["moved"]),
             helper.make_node("Unsqueeze", ["moved", "zero"], ["R"]),
             helper.make_node("Shape", ["cat"], ["cat_shape"]),
             helper.make_node("LSTM", ["X", "W", "R"], ["Y", "Y_h"], hidden_size=hidden)]
    graph = helper.make_graph(nodes, "lstm", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [5, 2, n_in])],
                              [helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, 2, hidden]),
                               helper.make_tensor_value_info("cat_shape", TensorProto.INT64, [2])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    return model.SerializeToString(), np.concatenate([t[6:], t[:6]])[None]


def test_a_weight_made_by_layout_operators_is_folded_and_what_else_reads_them_stays(tmp_path: Path) -> None:
    from hiddenlayers.ship._int8 import quantized_ops, weight_only_int8

    data, r = _hand_made_lstm()
    path = tmp_path / "q.onnx"
    path.write_bytes(weight_only_int8(data))
    g = onnx.load(str(path)).graph
    found, _ = _dequantised(path)
    (lstm,) = [n for n in g.node if n.op_type == "LSTM"]
    q, scale, axis = found[lstm.input[2]]
    assert axis == 1 and np.all(np.abs(q * scale[None, :, None] - r) <= scale[None, :, None] / 2 * (1 + 1e-5))
    ops = [n.op_type for n in g.node]
    assert "Concat" in ops and "Shape" in ops and "Unsqueeze" not in ops  # the Concat is still read by the Shape; the Unsqueeze is gone
    assert {i.name for i in g.initializer} >= {"T", "zero"}  # the slices the Concat still reads keep their inputs
    x = np.random.default_rng(1).normal(size=(5, 2, 2)).astype(np.float32)
    got = _session(path).run(None, {"X": x})
    np.testing.assert_allclose(got[0], _session("", _float_graph_of(path)).run(None, {"X": x})[0], atol=1e-6)
    np.testing.assert_allclose(got[0], _session("", data).run(None, {"X": x})[0], atol=0.02)
    assert got[1].tolist() == [12, 3]
    assert "1 LSTM stored as int8" in quantized_ops(path.read_bytes())


def test_a_weight_computed_by_arithmetic_stays_float_and_the_note_says_so() -> None:
    from hiddenlayers.ship._int8 import quantized_ops, weight_only_int8

    data, _ = _hand_made_lstm("Neg")
    q = weight_only_int8(data)
    g = onnx.load_from_string(q).graph
    (lstm,) = [n for n in g.node if n.op_type == "LSTM"]
    assert lstm.input[2] == "R" and "Neg" in [n.op_type for n in g.node]  # R left as it was; W alone is int8
    assert quantized_ops(q).endswith("still float: 1 LSTM (its weight is computed in the graph)")  # R = Neg(...): why it stayed
