"""export_onnx() of a dtype="float64" table model: a float64 graph from input to output, run by OnnxModel, the server and info."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

import hiddenlayers as hl
from fit_helpers import quiet_fit
from hiddenlayers.ship import OnnxModel, export_onnx

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


def _mixed_regressor():
    """A float64 regressor with stored numeric + categorical preprocessing (as `train` makes), and its raw table."""
    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"a": rng.normal(1e3, 1.0, n), "b": rng.normal(-3, 0.1, n), "city": rng.choice(["Lyon", "Nice", "Lille"], n).astype(object)})
    frame.loc[::9, "a"] = np.nan
    frame.loc[::13, "city"] = None
    y = np.nan_to_num(frame["a"].to_numpy(), nan=1e3) / 50 + frame["b"].to_numpy() + (frame["city"] == "Nice").to_numpy()
    pre = TablePreprocessor().fit(frame)
    reg = quiet_fit(hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=40, random_state=0, dtype="float64", scale_target=True), pre.transform(frame).matrix, y)
    reg.preprocessing_ = {**pre.to_dict(), "target": "y", "task": "regression"}
    return reg, pre, frame


def test_a_float64_model_exports_a_float64_graph_with_float64_parity(tmp_path) -> None:
    """Input X and the output are float64 (they were float32: the graph cast the raw values to float32 and the answer back)."""
    reg, pre, frame = _mixed_regressor()
    path = tmp_path / "reg64.onnx"
    r = export_onnx(reg, path, X=frame)
    assert r.max_abs_diff < 1e-10
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in sess.get_inputs()] == [("X", "tensor(double)"), ("C", "tensor(string)")]
    assert [o.type for o in sess.get_outputs()] == ["tensor(double)"]
    graph = onnx.load(str(path)).graph
    floats = [i.name for i in graph.initializer if i.data_type == onnx.TensorProto.FLOAT]
    assert floats == []  # no float32 weights or constants: every operator computes in float64
    model = OnnxModel(path)
    out, _ = model.run(frame)
    assert out.dtype == np.float64
    # a column near 1e3 with a unit spread: float32 input alone would lose ~1e-4 of each value
    np.testing.assert_allclose(model.predict(frame), reg.predict(pre.transform(frame).matrix), rtol=0, atol=1e-10)


def test_a_float64_classifier_without_preprocessing_the_server_and_info(tmp_path) -> None:
    """The float64 graph runs, serves, and describe_onnx (info) says it computes in float64 (a float32 export's 'float32':
    tests/ship/test_export.py's binary classifier)."""
    from hiddenlayers.ship import describe_onnx
    from hiddenlayers.ship._serve.model import ServedModel

    X, y = load_iris(return_X_y=True)
    clf = quiet_fit(hl.MLPClassifier(("8:tanh:norm=batch", "6:silu:norm=layer"), max_iter=20, random_state=0, dtype="float64"), X, y)
    path = tmp_path / "iris64.onnx"
    r = export_onnx(clf, path, X=X)
    assert r.max_abs_diff < 1e-10
    P = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": X})[0]
    assert P.dtype == np.float64
    np.testing.assert_allclose(P, clf.predict_proba(X), rtol=0, atol=1e-10)
    served = ServedModel(path)
    rows = served.rows({"rows": X[:5].tolist()}, 10)
    np.testing.assert_allclose(served.onnx.run(pd.DataFrame(X[:5]))[0], clf.predict_proba(X[:5]), rtol=0, atol=1e-10)
    assert served.encode(rows)["X"].dtype == np.float64
    info = describe_onnx(path)
    assert info["dtype"] == "float64"
    assert [(v["name"], v["type"]) for v in info["graph_inputs"]] == [("X", "double")]


def test_a_float64_graph_onnxruntime_cannot_run_or_quantise_is_refused_in_one_line(tmp_path) -> None:
    X, y = load_iris(return_X_y=True)
    gelu = quiet_fit(hl.MLPClassifier(("4:gelu",), max_iter=5, random_state=0, dtype="float64"), X, y)
    with pytest.raises(ValueError, match=r"its Erf operator \(the gelu activation\) has no float64 kernel.*dtype='float32'"):
        export_onnx(gelu, tmp_path / "g.onnx")
    relu = quiet_fit(hl.MLPClassifier((4,), max_iter=5, random_state=0, dtype="float64"), X, y)
    with pytest.raises(ValueError, match="quantize=True needs a float32 graph"):
        export_onnx(relu, tmp_path / "q.onnx", quantize=True)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="tolerance must be a number"):
        export_onnx(relu, tmp_path / "t.onnx", tolerance=-1.0)
