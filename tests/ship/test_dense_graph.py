"""The direct ONNX writer of dense table MLPs (ship/_dense_graph): parity with PyTorch, torch's exporter never run, fallback kept."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from torch import nn

import hiddenlayers as hl
from hiddenlayers.network import ACTIVATIONS, Network
from hiddenlayers.ship import export_onnx
from hiddenlayers.ship._dense_graph import dense_graph
from hiddenlayers.ship._onnx_graph import _exportable

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = (X_IRIS - X_IRIS.mean(0)) / X_IRIS.std(0)


@pytest.fixture
def no_torch_export(monkeypatch):
    """torch's exporter raises: a dense table model's export must not need it."""
    def refuse(*args, **kwargs):
        raise AssertionError("torch.onnx.export ran for a dense table model")

    monkeypatch.setattr(torch.onnx, "export", refuse)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def _run(path, X, dtype=np.float32):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": np.asarray(X, dtype=dtype)})[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_registry_activation_is_written_directly_with_parity(tmp_path, no_torch_export, activation, dtype) -> None:
    clf = _fit(hl.MLPClassifier(f"12:{activation},6:{activation}", max_iter=3, random_state=0, dtype=dtype), X_IRIS * 3, Y_IRIS)
    path = tmp_path / "m.onnx"
    if activation == "gelu" and dtype == "float64":  # onnxruntime has no float64 Erf: refused in one line, as before
        with pytest.raises(ValueError, match=r"its Erf operator \(the gelu activation\) has no float64 kernel"):
            export_onnx(clf, path, X=X_IRIS * 3)
        return
    report = export_onnx(clf, path, X=X_IRIS * 3)
    out = _run(path, X_IRIS * 3, np.float64 if dtype == "float64" else np.float32)
    assert out.dtype == np.dtype(dtype) and out.shape == (150, 3)
    np.testing.assert_allclose(out, clf.predict_proba(X_IRIS * 3), atol=1e-5 if dtype == "float32" else 1e-10)
    assert report.max_abs_diff < (1e-5 if dtype == "float32" else 1e-10)
    assert onnx.load(str(path)).producer_name == "hiddenlayers"


@pytest.mark.parametrize("opset", [16, 17, 18])
def test_norms_and_dropout_in_inference_form(tmp_path, no_torch_export, opset) -> None:
    """Batch norm (running statistics), layer norm (its decomposition at opset 16, which torch's exporter could not write) and dropout."""
    clf = _fit(hl.MLPClassifier("10:relu:norm=batch:dropout=0.3,8:tanh:norm=layer", max_iter=5, random_state=0), X_IRIS, Y_IRIS)
    path = tmp_path / "m.onnx"
    report = export_onnx(clf, path, X=X_IRIS, opset=opset)
    np.testing.assert_allclose(_run(path, X_IRIS), clf.predict_proba(X_IRIS), atol=1e-5)
    model = onnx.load(str(path))
    ops = {n.op_type for n in model.graph.node}
    assert report.opset == opset and "BatchNormalization" not in ops and "Dropout" not in ops  # the batch norm folded into its Gemm
    assert ("LayerNormalization" in ops) == (opset >= 17)


def test_binary_and_regressors_with_and_without_target_scaling(tmp_path, no_torch_export) -> None:
    Xb, yb = load_breast_cancer(return_X_y=True)
    binary = _fit(hl.MLPClassifier((8,), max_iter=20, random_state=0), Xb, yb)
    export_onnx(binary, tmp_path / "b.onnx", X=Xb)
    np.testing.assert_allclose(_run(tmp_path / "b.onnx", Xb), binary.predict_proba(Xb), atol=1e-5)
    Xd, yd = load_diabetes(return_X_y=True)
    for dtype in ("float32", "float64"):
        for scale in (False, True):
            reg = _fit(hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0, scale_target=scale, dtype=dtype), Xd, yd)
            path = tmp_path / f"r{dtype}{scale}.onnx"
            export_onnx(reg, path, X=Xd, y=yd)
            out = _run(path, Xd, np.dtype(dtype).type)
            assert out.shape == (len(yd), 1)
            np.testing.assert_allclose(out.ravel(), reg.predict(Xd), rtol=1e-5 if dtype == "float32" else 1e-10, atol=1e-3 if dtype == "float32" else 1e-8)


def test_a_table_of_numbers_categories_and_missing_values(tmp_path, no_torch_export) -> None:
    """A Pipeline of a TableEncoder then an MLP: median fill, indicators, standardisation and one-hot blocks in the written graph."""
    from sklearn.pipeline import make_pipeline

    from hiddenlayers.ship import OnnxModel

    rng = np.random.default_rng(0)
    n = 200
    a, b = rng.normal(10, 3, n), rng.normal(-2, 1, n)
    a[::7], b[::5] = np.nan, np.nan
    frame = pd.DataFrame({"a": a, "color": rng.choice(["red", "green", "blue"], n).astype(object), "b": b,
                          "size": rng.choice(["S", "M", "L", None], n).astype(object)})
    y = np.where((frame["color"] == "red") | (np.nan_to_num(a) > 11), "hit", "miss")
    pipe = _fit(make_pipeline(hl.TableEncoder(), hl.MLPClassifier((8,), max_iter=40, random_state=0)), frame, y)
    path = tmp_path / "t.onnx"
    report = export_onnx(pipe, path, X=frame, y=y)
    new = frame.copy()
    new.loc[:3, "color"] = ["purple", None, "red", "blue"]  # unseen and missing
    new.loc[:3, "a"] = [np.nan, 1e3, -5.0, np.nan]
    np.testing.assert_allclose(OnnxModel(path).predict_proba(new), pipe.predict_proba(new), atol=1e-5)
    assert report.string_input_columns == ["color", "size"] and report.n_inputs == 2


def test_int8_stays_weight_only_per_unit(tmp_path, no_torch_export) -> None:
    Xb, yb = load_breast_cancer(return_X_y=True)
    clf = _fit(hl.MLPClassifier((16, 8), max_iter=40, random_state=0), Xb, yb)
    report = export_onnx(clf, tmp_path / "m.onnx", X=Xb, y=yb, quantize=True)
    g = onnx.load(str(tmp_path / "m.int8.onnx")).graph
    gemms = [n for n in g.node if n.op_type == "Gemm"]
    dq = {n.output[0]: n for n in g.node if n.op_type == "DequantizeLinear"}
    assert len(gemms) == 3 and all(n.input[1] in dq for n in gemms)
    assert all(next(a.i for a in dq[n.input[1]].attribute if a.name == "axis") == 0 for n in gemms)  # (out, in): one scale per output unit
    assert not any(n.op_type in ("DynamicQuantizeLinear", "MatMulInteger") for n in g.node)  # activations stay float32
    assert report.score_after >= report.score_before - 0.01


class _Spy:
    def __init__(self, real):
        self.real, self.calls = real, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


def test_a_layer_the_writer_does_not_know_goes_through_torchs_exporter(tmp_path, monkeypatch) -> None:
    """An activation module with no exact form here (Hardswish): torch's exporter runs, as before (its opset check:
    test_export.py::test_an_opset_the_model_cannot_be_converted_to_is_refused)."""
    clf = _fit(hl.MLPClassifier("8:norm=layer", max_iter=2, random_state=0), X_IRIS, Y_IRIS)
    clf.network_.hidden1.act = nn.Hardswish()
    spy = _Spy(torch.onnx.export)
    monkeypatch.setattr(torch.onnx, "export", spy)
    export_onnx(clf, tmp_path / "m.onnx", X=X_IRIS)
    assert spy.calls == 1 and onnx.load(str(tmp_path / "m.onnx")).producer_name == "pytorch"
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", X_IRIS), clf.predict_proba(X_IRIS), atol=1e-5)


_ACTS = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Identity, nn.Mish, nn.SELU, lambda: nn.LeakyReLU(0.2), lambda: nn.ELU(0.5),
         lambda: nn.GELU(), lambda: nn.GELU(approximate="tanh"), lambda: nn.Softplus(), lambda: nn.Softplus(beta=2.0, threshold=1.5)]


def _column(kind: int, i: int, rng: np.random.Generator) -> dict:
    if kind == 0:
        return {"kind": "numeric", "name": f"n{i}", "fill": float(rng.normal()), "mean": float(rng.normal()),
                "scale": float(rng.uniform(0.5, 3)), "missing_indicator": bool(rng.integers(2))}
    return {"kind": "categorical", "name": f"c{i}", "categories": ["a", "b", "c"][: 1 + int(rng.integers(3))],
            "other": bool(rng.integers(2)), "missing_indicator": bool(rng.integers(2))}


def _inputs(columns: list[dict] | None, width: int, rng: np.random.Generator, n: int = 64) -> np.ndarray:
    """Rows of the graph's input: raw numeric columns (some NaN) then 0/1 one-hot blocks; without columns, the network's matrix."""
    from hiddenlayers.ship._onnx_graph import _width

    if columns is None:
        return rng.normal(0, 3, (n, width))
    num = rng.normal(0, 3, (n, sum(c["kind"] == "numeric" for c in columns)))
    num[rng.random(num.shape) < 0.2] = np.nan
    hot = (rng.random((n, sum(_width(c) for c in columns if c["kind"] != "numeric"))) < 0.4).astype(float)
    return np.hstack([num, hot])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layers=st.lists(st.tuples(st.integers(0, len(_ACTS) - 1), st.integers(1, 6), st.sampled_from([None, "batch", "layer"]), st.booleans()),
                       min_size=0, max_size=3),
       kinds=st.one_of(st.none(), st.lists(st.integers(0, 1), min_size=1, max_size=4)),
       out=st.sampled_from(["softmax", "logistic", "binary", "identity", "exp", "scaled"]),
       double=st.booleans(), opset=st.sampled_from([16, 17, 18, 21]), seed=st.integers(0, 2**16))
def test_random_dense_stacks_match_pytorch(layers, kinds, out, double, opset, seed) -> None:
    from hiddenlayers.ship._onnx_graph import _width

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    columns = None if kinds is None else [_column(k, i, rng) for i, k in enumerate(kinds)]
    width = 5 if columns is None else sum(_width(c) for c in columns)
    spec = ",".join(f"{u}:relu" + (f":norm={nm}" if nm else "") + (":dropout=0.5" if drop else "") for _, u, nm, drop in layers) or "()"
    n_out = 1 if out == "binary" else 3
    network = Network(width, spec if layers else [], n_out).to(torch.float64 if double else torch.float32)
    for layer, (act, *_rest) in zip(network.hidden_layers, layers):
        layer.act = _ACTS[act]()
        if isinstance(layer.norm, nn.BatchNorm1d):
            layer.norm.running_mean.normal_()
            layer.norm.running_var.uniform_(0.5, 2.0)
    network.eval()
    activation = {"binary": "logistic", "scaled": "identity"}.get(out, out)
    target = (rng.normal(size=n_out), rng.uniform(0.5, 4, n_out)) if out == "scaled" else None
    name = "_hl_features" if columns is not None and any(c["kind"] != "numeric" for c in columns) else "X"
    proto = dense_graph(network, activation, out == "binary", columns, target, opset=opset, input_name=name, out_name="out")
    assert proto is not None
    onnx.checker.check_model(proto, full_check=True)
    x = _inputs(columns, width if columns is None else sum(1 if c["kind"] == "numeric" else _width(c) for c in columns), rng)
    x = x.astype(np.float64 if double else np.float32)
    gelu_erf = any(isinstance(layer.act, nn.GELU) and layer.act.approximate == "none" for layer in network.hidden_layers)
    if double and gelu_erf:
        return  # onnxruntime has no float64 Erf (the export refuses it; see the registry test)
    with torch.inference_mode():
        ref = _exportable(network, activation, out == "binary", columns, target)(torch.as_tensor(x)).numpy()
    got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {name: x})[0]
    assert got.dtype == x.dtype and got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-4 if not double else 1e-10, atol=1e-4 if not double else 1e-10)


def _held_out(X, y):
    """Rows the export never saw (its parity rows are the first half): the written graph must answer as the model does beyond them."""
    half = len(X) // 2
    return X[:half], y[:half], X[half:]


def test_a_poisson_regressor_exports_its_exp_output_and_answers_as_predict_on_held_out_rows(tmp_path, no_torch_export) -> None:
    """loss='poisson': the head's output goes through exp; the graph's Exp must be the last step before the output, as predict's."""
    Xd, yd = load_diabetes(return_X_y=True)
    X_fit, y_fit, X_new = _held_out(Xd, yd / 100.0)
    reg = _fit(hl.MLPRegressor(hidden_layer_sizes="8:tanh", loss="poisson", max_iter=30, random_state=0), X_fit, y_fit)
    export_onnx(reg, tmp_path / "p.onnx", X=X_fit)
    out = _run(tmp_path / "p.onnx", X_new)
    assert out.shape == (len(X_new), 1) and (out > 0).all()
    assert [n.op_type for n in onnx.load(str(tmp_path / "p.onnx")).graph.node][-2] == "Exp"
    np.testing.assert_allclose(out.ravel(), reg.predict(X_new), rtol=1e-5, atol=1e-6)


def test_float64_layer_norm_softplus_and_elu_at_opset_16_answer_as_predict_proba_for_any_batch(tmp_path, no_torch_export) -> None:
    """What torch's exporter could not write (layer norm at opset 16; float64 Softplus and Elu, which onnxruntime has no
    float64 kernel for): the decomposed forms, on held-out rows, one row and no rows."""
    order = np.random.default_rng(0).permutation(len(X_IRIS))  # shuffled: both halves hold every class
    X_fit, y_fit, X_new = _held_out(X_IRIS[order], Y_IRIS[order])
    clf = _fit(hl.MLPClassifier("8:softplus:norm=layer,6:elu:norm=batch", max_iter=10, random_state=0, dtype="float64"), X_fit, y_fit)
    report = export_onnx(clf, tmp_path / "m.onnx", X=X_fit, opset=16)
    assert report.opset == 16 and report.input_dtype == "float64"
    for rows in (X_new, X_new[:1], X_new[:0]):
        out = _run(tmp_path / "m.onnx", rows, np.float64)
        assert out.dtype == np.float64 and out.shape == (len(rows), 3)
        if len(rows):
            np.testing.assert_allclose(out, clf.predict_proba(rows), rtol=0, atol=1e-10)


def test_parity_rows_that_are_a_reversed_view_are_accepted_by_a_float64_model(tmp_path, no_torch_export) -> None:
    """``X[::-1]`` (negative strides): it was passed to torch.as_tensor as is, which refuses such arrays (a traceback)
    for a float64 model, whose rows need no conversion and so no copy."""
    clf = _fit(hl.MLPClassifier((6,), max_iter=5, random_state=0, dtype="float64"), X_IRIS, Y_IRIS)
    report = export_onnx(clf, tmp_path / "m.onnx", X=X_IRIS[::-1])
    assert report.parity_rows == 150 and report.max_abs_diff <= 1e-10
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", X_IRIS[::-1], np.float64), clf.predict_proba(X_IRIS[::-1]), atol=1e-10)


def test_a_multi_output_scaled_regressor_and_its_int8_copy_answer_per_output_on_held_out_rows(tmp_path, no_torch_export) -> None:
    """scale_target with two outputs in different units: each output's own ``* scale + mean``, in the float and the int8 file."""
    Xd, yd = load_diabetes(return_X_y=True)
    Y = np.stack([yd, -30.0 * yd + 5000.0], axis=1)  # a second target 30x larger, of the other sign
    X_fit, Y_fit, X_new = _held_out(Xd, Y)
    reg = _fit(hl.MLPRegressor(hidden_layer_sizes="8:norm=batch", scale_target=True, max_iter=30, random_state=0), X_fit, Y_fit)
    report = export_onnx(reg, tmp_path / "r.onnx", X=X_fit, quantize=True)
    want = reg.predict(X_new)
    out = _run(tmp_path / "r.onnx", X_new)
    assert out.shape == want.shape == (len(X_new), 2)
    assert (np.abs(out - want) <= 1e-5 * np.maximum(np.abs(want), reg.target_scale_)).all()  # float32 rounding of the scaled output x its scale
    q = _run(tmp_path / "r.int8.onnx", X_new)
    spread = want.max(0) - want.min(0)
    assert (np.abs(q - want).max(0) < 0.05 * spread).all() and report.quantized_max_abs_diff is not None


def test_the_parity_tolerance_is_relative_for_outputs_larger_than_one(tmp_path, monkeypatch) -> None:
    """Predictions of ~1e4 carry float32 rounding of ~1e4 x 1e-7 each step; probabilities do not: the check allows
    tolerance x |output| beyond size 1 (a relative 3e-5 passes at 1e-4), and still refuses a graph off by more (3e-4)."""
    import hiddenlayers.ship._export as export_module

    Xd, yd = load_diabetes(return_X_y=True)
    reg = _fit(hl.MLPRegressor(hidden_layer_sizes=(4,), scale_target=True, max_iter=5, random_state=0), Xd, yd + 1e4)
    reference = export_module._reference
    monkeypatch.setattr(export_module, "_reference", lambda module, features: reference(module, features) * (1 + 3e-5))
    report = export_onnx(reg, tmp_path / "r.onnx", X=Xd)
    assert 0.1 < report.max_abs_diff < 1.0  # reported as the absolute difference, in y's units
    monkeypatch.setattr(export_module, "_reference", lambda module, features: reference(module, features) * (1 + 3e-4))
    with pytest.raises(ValueError, match=r"^ONNX output differs from PyTorch by 3\.\d+ \(0\.0003 of the output's size; > tolerance=0\.0001\)"):
        export_onnx(reg, tmp_path / "s.onnx", X=Xd)
    assert not (tmp_path / "s.onnx").exists()


# ------------------------------------------------------------- every opset, int8 at each; the IR version; batch norm folded
#: The IR version each opset's file declares: 10 (torch's exporter's, the newest onnxruntime 1.18 reads) up to opset 22,
#: then the one onnx requires for the opset (onnx.helper.VERSION_TABLE); the direct writer said 8 at opsets 16-18.
_IR = {**dict.fromkeys(range(16, 23), 10), 23: 11, 24: 12, 25: 13, 26: 13, 27: 13, 28: 14}


def _opset_checks(path, int8_path, opset: int, X, want) -> None:
    """Both files: onnx's full check, the IR version of the opset, onnxruntime's answers (int8 within its rounding)."""
    for p in (path, int8_path):
        model = onnx.load(str(p))
        onnx.checker.check_model(model, full_check=True)
        assert model.ir_version == _IR.get(opset, onnx.helper.find_min_ir_version_for([onnx.helper.make_opsetid("", opset)]))
    np.testing.assert_allclose(_run(path, X), want, atol=1e-5)
    assert np.abs(_run(int8_path, X) - want).max() < 0.05


def test_every_opset_exports_with_its_int8_copy_through_the_direct_writer(tmp_path, no_torch_export) -> None:
    """opset=28 with quantize=True ended in onnxruntime's raw NOT_IMPLEMENTED ("Could not find an implementation for
    DequantizeLinear(28)"): there the int8 weights are read back by Cast and Mul. Every opset the API takes, with and
    without int8, passes onnx's full check and runs; the IR version is the opset's (8 before, at opsets 16-18)."""
    from hiddenlayers.ship._export import opset_range

    clf = _fit(hl.MLPClassifier("8:relu:norm=batch,6:tanh:norm=layer", max_iter=5, random_state=0), X_IRIS, Y_IRIS)
    want = clf.predict_proba(X_IRIS)
    lo, hi = opset_range()
    for opset in range(lo, hi + 1):
        path = tmp_path / f"m{opset}.onnx"
        report = export_onnx(clf, path, X=X_IRIS, opset=opset, quantize=True)
        assert report.opset == opset and any("weights of 3 Gemm stored as int8" in n for n in report.notes)
        _opset_checks(path, tmp_path / f"m{opset}.int8.onnx", opset, X_IRIS, want)
    ops = {n.op_type for n in onnx.load(str(tmp_path / "m28.int8.onnx")).graph.node}
    assert "DequantizeLinear" not in ops and {"Cast", "Mul"} <= ops
    assert "DequantizeLinear" in {n.op_type for n in onnx.load(str(tmp_path / "m27.int8.onnx")).graph.node}
    layers = hl.ship.describe_onnx(tmp_path / "m28.int8.onnx")["layers"]
    assert [(r["layer"], r["weight_type"], r["inputs"], r["units"]) for r in layers] == [
        ("hidden1", "int8", 4, 8), ("hidden2", "int8", 8, 6), ("head", "int8", 6, 3)]


@pytest.mark.parametrize("opset", [18, 23, 28])
def test_torchs_exporter_at_the_int8_and_ir_boundaries(tmp_path, opset) -> None:
    """The fallback writer too: int8 at opset 28 runs, and the IR version is the opset's (torch's exporter writes 10 at every
    opset, below what onnx requires from opset 23 on)."""
    clf = _fit(hl.MLPClassifier("8:norm=layer", max_iter=2, random_state=0), X_IRIS, Y_IRIS)
    clf.network_.hidden1.act = nn.Hardswish()  # no exact form in the direct writer
    path = tmp_path / "m.onnx"
    export_onnx(clf, path, X=X_IRIS, opset=opset, quantize=True)
    assert onnx.load(str(path)).producer_name == "pytorch"
    _opset_checks(path, tmp_path / "m.int8.onnx", opset, X_IRIS, clf.predict_proba(X_IRIS))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_batch_norm_is_folded_into_its_gemm_exactly_and_int8_quantises_the_folded_weights(tmp_path, no_torch_export, dtype) -> None:
    """The direct writer kept BatchNormalization after hidden1's Gemm (info: hidden1 followed by BatchNormalization) where
    torch's exporter folds it: W' = W * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta, here in
    float64 rounded once to the graph's type; parity holds and the int8 copy stores the folded weights."""
    clf = _fit(hl.MLPClassifier("10:relu:norm=batch,6:tanh", max_iter=30, random_state=0, dtype=dtype), X_IRIS * 2 + 1, Y_IRIS)
    net = clf.network_
    with torch.no_grad():  # a norm that changes the numbers: non-trivial gamma, beta and running statistics
        net.hidden1.norm.weight.uniform_(0.5, 2.0)
        net.hidden1.norm.bias.uniform_(-1.0, 1.0)
    bn, lin = net.hidden1.norm, net.hidden1.linear
    assert float(bn.running_var.min()) != 1.0 and float(bn.running_mean.abs().max()) > 0.01  # trained statistics
    f64 = lambda t: t.detach().double().numpy()  # noqa: E731
    s = f64(bn.weight) / np.sqrt(f64(bn.running_var) + bn.eps)
    W, b = f64(lin.weight) * s[:, None], (f64(lin.bias) - f64(bn.running_mean)) * s + f64(bn.bias)
    report = export_onnx(clf, tmp_path / "m.onnx", X=X_IRIS * 2 + 1, quantize=dtype == "float32")
    model = onnx.load(str(tmp_path / "m.onnx"))
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    assert "BatchNormalization" not in {n.op_type for n in model.graph.node}
    assert not any(name.startswith("network.hidden1.norm") for name in inits)
    np.testing.assert_array_equal(inits["network.hidden1.linear.weight"], W.astype(dtype))
    np.testing.assert_array_equal(inits["network.hidden1.linear.bias"], b.astype(dtype))
    assert report.max_abs_diff < (1e-5 if dtype == "float32" else 1e-10)
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", X_IRIS * 2 + 1, np.dtype(dtype)), clf.predict_proba(X_IRIS * 2 + 1),
                               atol=1e-5 if dtype == "float32" else 1e-10)
    info = hl.ship.describe_onnx(tmp_path / "m.onnx")["layers"]
    assert [(r["layer"], r["followed_by"]) for r in info] == [("hidden1", "Relu"), ("hidden2", "Tanh"), ("head", "Softmax")]
    if dtype == "float32":  # the int8 copy holds the folded weights, one scale per output unit
        g = onnx.load(str(tmp_path / "m.int8.onnx")).graph
        q = {i.name: onnx.numpy_helper.to_array(i) for i in g.initializer}
        back = q["network.hidden1.linear.weight_int8"].astype(np.float64) * q["network.hidden1.linear.weight_scale"][:, None]
        assert np.abs(back - W).max() <= q["network.hidden1.linear.weight_scale"].max() / 2 * 1.001
