"""export_onnx(): dynamic batch, output = the estimator's API, preprocessing in the graph, int8."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris

import hiddenlayers as hl
from hiddenlayers.ship import describe_onnx, export_onnx
from hiddenlayers.ship._export import opset_range
from hiddenlayers.ship._export_report import parity_tolerance

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def _run(path, X):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": np.asarray(X, dtype=np.float32)})[0]


def test_multiclass_probabilities_dynamic_batch_and_int8(tmp_path) -> None:
    X, y = load_iris(return_X_y=True)
    clf = _fit(hl.MLPClassifier((16, 8), max_iter=300, random_state=0, engine="autograd"), X, y)
    path = tmp_path / "iris.onnx"
    r = export_onnx(clf, path, X=X, y=y, quantize=True)
    assert path.exists() and r.bytes == path.stat().st_size
    assert r.max_abs_diff < 1e-5 and r.parity_rows == 150
    for n in (1, 7, 150):  # dynamic batch size
        out = _run(path, X[:n])
        assert out.shape == (n, 3)
        np.testing.assert_allclose(out, clf.predict_proba(X[:n]), atol=1e-5)
    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["classes"]) == [0, 1, 2] and props["hiddenlayers_output"] == "probabilities"
    # int8 copy next to it, with accuracy before and after
    assert r.quantized_path == str(tmp_path / "iris.int8.onnx") and r.quantized_bytes > 0
    assert r.metric == "accuracy" and r.score_before == pytest.approx(clf.score(X, y), abs=1e-6)
    assert r.score_after >= r.score_before - 0.05
    assert r.quantized_max_abs_diff < 0.2
    assert json.loads(json.dumps(r.to_dict()))["path"] == str(path)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_binary_classifier_gives_two_columns(tmp_path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    clf = _fit(hl.MLPClassifier((8,), max_iter=20, random_state=0, engine="autograd"), X, y)
    r = export_onnx(clf, tmp_path / "bc.onnx", X=X[:50])
    out = _run(tmp_path / "bc.onnx", X[:50])
    assert out.shape == (50, 2) and r.max_abs_diff < 1e-5
    np.testing.assert_allclose(out, clf.predict_proba(X[:50]), atol=1e-5)
    assert describe_onnx(tmp_path / "bc.onnx")["dtype"] == "float32"  # info's "computes in" (float64: test_export_float64)


def test_regressor_with_numeric_preprocessing_in_graph(tmp_path) -> None:
    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(100, 20, 200), "b": rng.normal(-3, 0.1, 200)})
    frame.loc[::9, "a"] = np.nan
    target = np.nan_to_num(frame["a"].to_numpy(), nan=100.0) / 50 + frame["b"].to_numpy()
    pre = TablePreprocessor().fit(frame)
    reg = _fit(hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0, engine="autograd"), pre.transform(frame).matrix, target)
    reg.preprocessing_ = pre.to_dict()
    r = export_onnx(reg, tmp_path / "reg.onnx", X=frame.to_numpy(), y=target)
    assert r.input_columns == ["a", "b"] and r.n_inputs == 2 and r.output_name == "predictions"
    out = _run(tmp_path / "reg.onnx", frame.to_numpy())
    assert out.shape == (200, 1)
    np.testing.assert_allclose(out.ravel(), reg.predict(pre.transform(frame).matrix), atol=1e-4)
    assert r.metric == "r2" and r.score_before is not None
    from hiddenlayers.ship import OnnxModel

    # a repr that says what the file is (was <...OnnxModel object at 0x...>)
    assert repr(OnnxModel(tmp_path / "reg.onnx")) == f"OnnxModel({str(tmp_path / 'reg.onnx')!r}, MLPRegressor, 2 inputs)"


def _categorical_model(max_categories: int = 3, numeric: bool = True):
    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    n = 240
    color = rng.choice(["red", "green", "blue", "teal", ""], size=n).astype(object)  # "" is a real category here
    color[::11] = None
    size = rng.choice(["S", "M", "L"], size=n).astype(object)
    cols = {"color": color, "size": size}
    if numeric:
        a = rng.normal(10, 3, n)
        a[::7] = np.nan
        cols = {"a": a, **cols}
    frame = pd.DataFrame(cols)
    y = np.where((color == "red") | (size == "S"), "hit", "miss")
    pre = TablePreprocessor(max_categories=max_categories).fit(frame)
    clf = _fit(hl.MLPClassifier((8,), max_iter=60, random_state=0, engine="autograd"), pre.transform(frame).matrix, y)
    clf.preprocessing_ = {**pre.to_dict(), "target": "y", "task": "classification"}
    return clf, pre, frame, y


def test_categorical_one_hot_runs_in_the_graph(tmp_path) -> None:
    """String input C: categories, <other>, unseen and missing values encoded as TablePreprocessor does."""
    from hiddenlayers.ship import OnnxModel

    clf, pre, frame, y = _categorical_model()
    path = tmp_path / "cat.onnx"
    r = export_onnx(clf, path, X=frame, y=y)
    assert r.max_abs_diff < 1e-5 and r.string_input_columns == ["color", "size"] and r.n_inputs == 1
    assert r.missing_token == "<missing>"  # "" is taken by a real category
    new = frame.copy()
    new.loc[:9, "color"] = ["purple", None, "", "red", "teal", "blue", "green", None, "x", "red"]  # unseen, missing, rare (-> <other>)
    new.loc[:3, "size"] = ["XL", None, "S", "M"]  # size has no <other> bucket and had no missing values: unseen -> no column
    new.loc[:2, "a"] = [np.nan, 1e3, -5.0]
    model = OnnxModel(path)
    P, notes = model.run(new.assign(y="ignored", extra=0)[["extra", "size", "y", "color", "a"]])
    np.testing.assert_allclose(P, clf.predict_proba(pre.transform(new).matrix), atol=1e-5)
    assert (model.predict(new) == clf.predict(pre.transform(new).matrix)).all()
    assert any("outside the categories kept in training" in n for n in notes) and any("ignored 1 column(s)" in n for n in notes)
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    spec = json.loads(props["hiddenlayers_inputs"])
    assert spec["numeric"] == ["a"] and [c["name"] for c in spec["categorical"]] == ["color", "size"]
    assert json.loads(props["target"]) == "y" and json.loads(props["classes"]) == ["hit", "miss"]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in sess.get_inputs()] == [("X", "tensor(float)"), ("C", "tensor(string)")]


def test_onnx_model_takes_an_array_where_the_columns_have_no_names_and_names_them_otherwise(tmp_path) -> None:
    """OnnxModel.predict/predict_proba on a NumPy array: an array-trained export answers as the estimator does; one that
    reads named columns says to pass a DataFrame with them (an AttributeError traceback before)."""
    from hiddenlayers.exceptions import DataError
    from hiddenlayers.ship import OnnxModel

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    export_onnx(plain, tmp_path / "plain.onnx", X=X)
    model = OnnxModel(tmp_path / "plain.onnx")
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X), atol=1e-5)
    assert (model.predict(X) == plain.predict(X)).all()
    assert repr(model) == f"OnnxModel({str(tmp_path / 'plain.onnx')!r}, MLPClassifier, 4 inputs, 3 classes)"
    with pytest.raises(DataError, match=r"X must be 2-D \(rows, 4 features\).*X.reshape\(1, -1\)"):
        model.predict(X[0])
    # zero rows: refused as the estimator refuses them (the graph answered [] before)
    with pytest.raises(ValueError) as refused:
        plain.predict(X[:0])
    for rows in (X[:0], pd.DataFrame(X[:0])):
        for method in (model.predict, model.predict_proba):
            with pytest.raises(DataError) as got:
                method(rows)
            assert str(got.value) == str(refused.value) == "Found array with 0 sample(s) (shape=(0, 4)) while a minimum of 1 is required by MLPClassifier."
    with warnings.catch_warnings():  # the category '' that CSV files cannot hold: not this test's point
        warnings.simplefilter("ignore")
        clf, _, frame, y2 = _categorical_model()
    export_onnx(clf, tmp_path / "cat.onnx", X=frame, y=y2)
    with pytest.raises(DataError, match=r"reads named columns \('a', 'color', 'size'\): pass a pandas DataFrame with them, not a ndarray"):
        OnnxModel(tmp_path / "cat.onnx").predict_proba(frame.to_numpy())
    with pytest.raises(DataError, match=r"^Found array with 0 sample\(s\) \(shape=\(0, 3\)\) while a minimum of 1 is required by MLPClassifier\.$"):
        OnnxModel(tmp_path / "cat.onnx").predict(frame.iloc[:0].assign(extra=0))
    assert repr(OnnxModel(tmp_path / "cat.onnx")) == f"OnnxModel({str(tmp_path / 'cat.onnx')!r}, MLPClassifier, 3 inputs, 2 classes)"


def test_scikit_learns_own_mlp_is_named_by_its_library(tmp_path) -> None:
    """Before: "export_onnx() takes a fitted MLPClassifier, MLPRegressor ... Received: MLPRegressor", which reads as a contradiction."""
    from sklearn.neural_network import MLPRegressor as SkMLP

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkMLP(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match=re.escape("Received: MLPRegressor from sklearn, not hiddenlayers: fit hl.MLPRegressor instead (it "
                                                  "takes the same parameters).")):
        export_onnx(sk, tmp_path / "sk.onnx")
    with pytest.raises(TypeError, match=r"Received: dict\.$"):
        export_onnx({}, tmp_path / "d.onnx")
    assert not list(tmp_path.iterdir())


def test_categorical_only_model_with_int8(tmp_path) -> None:
    from hiddenlayers.ship import OnnxModel

    clf, pre, frame, y = _categorical_model(max_categories=20, numeric=False)
    r = export_onnx(clf, tmp_path / "c.onnx", quantize=True)  # random parity rows: every category, unseen and missing
    assert r.n_inputs == 0 and r.parity_rows == 256 and r.max_abs_diff < 1e-5 and r.quantized_max_abs_diff < 0.2
    sess = ort.InferenceSession(str(tmp_path / "c.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["C"]
    np.testing.assert_allclose(OnnxModel(tmp_path / "c.onnx").predict_proba(frame), clf.predict_proba(pre.transform(frame).matrix), atol=1e-5)


def test_onnx_model_errors(tmp_path) -> None:
    from hiddenlayers.ship import OnnxModel

    with pytest.raises(hl.ModelFileError, match="does not exist: check the path"):
        OnnxModel(tmp_path / "none.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"garbage")
    with pytest.raises(hl.ModelFileError, match="is not a readable ONNX model"):
        OnnxModel(tmp_path / "bad.onnx")


def test_errors_and_failed_parity_leave_no_file(tmp_path, monkeypatch) -> None:
    with pytest.raises(hl.NotFittedError, match=r"export_onnx\(\) needs a fitted model"):
        export_onnx(hl.MLPClassifier(), tmp_path / "a.onnx")
    with pytest.raises(TypeError, match="export_onnx\\(\\) takes a fitted MLPClassifier, MLPRegressor or one of the applications .*Received: int"):
        export_onnx(3, tmp_path / "a.onnx")
    X, y = load_iris(return_X_y=True)
    clf = _fit(hl.MLPClassifier((4,), max_iter=2, random_state=0, engine="autograd"), X, y)
    with pytest.raises(ValueError, match="quantized_path was given but quantize=False"):
        export_onnx(clf, tmp_path / "a.onnx", quantized_path=tmp_path / "q.onnx")
    with pytest.raises(ValueError, match="y was given without X"):
        export_onnx(clf, tmp_path / "a.onnx", y=y)
    with pytest.raises(ValueError, match=r"X must be \(n_rows, 4\)"):
        export_onnx(clf, tmp_path / "a.onnx", X=X[:, :2])
    import hiddenlayers.ship._export as export_module

    reference = export_module._reference
    monkeypatch.setattr(export_module, "_reference", lambda module, features: reference(module, features) + 0.5)  # an unfaithful graph
    with pytest.raises(ValueError, match=r"^ONNX output differs from PyTorch by 0.5 \(0.5 of the output\'s size; > tolerance=0.0001\): the export is not faithful"):
        export_onnx(clf, tmp_path / "a.onnx")
    assert list(tmp_path.iterdir()) == []


def test_bad_rows_and_settings_are_refused_before_any_export(tmp_path, monkeypatch) -> None:
    """NaN rows, a wrong shape, a bad tolerance or opset: one line each, before either graph writer runs; no file is left."""
    import torch

    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: pytest.fail("the exporter ran before the arguments were checked"))
    monkeypatch.setattr("hiddenlayers.ship._export.dense_graph", lambda *a, **k: pytest.fail("the graph was written before the arguments were checked"))
    Xb, yb = load_breast_cancer(return_X_y=True)
    small = _fit(hl.MLPClassifier((8,), max_iter=2, random_state=0), Xb, yb)
    lo, hi = opset_range()
    cases = [
        (dict(X=np.full((3, 30), np.nan)), "X contains NaN or infinite values: the parity check needs finite rows the model can predict; drop or fill those rows."),
        (dict(X=np.full((3, 30), np.inf)), "X contains NaN or infinite values"),
        (dict(X=np.zeros((3, 29))), "X must be (n_rows, 30) with at least one row for this model's ONNX input. Received shape (3, 29)."),
        (dict(X=np.zeros((0, 30))), "X must be (n_rows, 30) with at least one row for this model's ONNX input. Received shape (0, 30)."),
        (dict(X=[["a"] * 30]), "X must be numbers, (n_rows, 30), for this model's ONNX input: could not convert string to float: 'a'."),
        (dict(X=Xb[:5], y=yb[:4]), "X and y have different numbers of rows: 5 and 4."),
        (dict(tolerance=-1), "tolerance must be a number >= 0 (the largest |ONNX - PyTorch| difference accepted, relative to outputs beyond size 1), e.g. 1e-4, or None for the default of the graph's float type. Received: tolerance=-1."),
        (dict(tolerance=float("nan")), "tolerance must be a number >= 0"),
        (dict(opset=5), f"opset must be an integer from {lo} to {hi} (the ONNX versions the exporter can write). Received: opset=5."),
        (dict(opset=hi + 1), f"opset must be an integer from {lo} to {hi}"),
        (dict(opset="18"), f"opset must be an integer from {lo} to {hi}"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            export_onnx(small, tmp_path / "m.onnx", **kwargs)
    assert lo == 16 and hi >= 18 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("opset", [17, 18, 21])
def test_the_requested_opset_is_written_and_reported(tmp_path, opset) -> None:
    Xb, yb = load_breast_cancer(return_X_y=True)
    small = _fit(hl.MLPClassifier((8,), max_iter=2, random_state=0), Xb, yb)
    report = export_onnx(small, tmp_path / "m.onnx", opset=opset, X=Xb[:20])
    written = {o.domain or "ai.onnx": o.version for o in onnx.load(str(tmp_path / "m.onnx")).opset_import}
    assert written["ai.onnx"] == report.opset == opset and report.max_abs_diff < 1e-4


def test_an_opset_the_model_cannot_be_converted_to_is_refused(tmp_path) -> None:
    """LayerNormalization has no opset-16 form in torch's exporter: it would silently write 18; that is an error naming what works.

    A dense model's layer norm is written directly (its decomposition at 16, tests/ship/test_dense_graph.py); an activation
    module the direct writer has no form for (Hardswish) sends the model through torch's exporter, where the check stands.
    """
    import torch

    Xb, yb = load_breast_cancer(return_X_y=True)
    ln = _fit(hl.MLPClassifier("8:norm=layer", max_iter=2, random_state=0), Xb, yb)
    ln.network_.hidden1.act = torch.nn.Hardswish()
    hi = opset_range()[1]
    with pytest.raises(ValueError, match="^" + re.escape(f"opset=16 cannot be written for this model: the exporter could convert its operators "
                                                         f"only to opset 18; pass opset=18 or higher (up to {hi}).")):
        export_onnx(ln, tmp_path / "m.onnx", opset=16)
    assert list(tmp_path.iterdir()) == []


def test_export_onnx_refuses_a_fifo_and_a_missing_folder_before_any_work(tmp_path: Path) -> None:
    """The Python API checks where it writes first: a FIFO stays a FIFO, no folder is created, nothing is left behind."""
    import os
    import stat

    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    fifo = tmp_path / "f.onnx"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match=re.escape(f"'{fifo}' is not a regular file (a device, FIFO or socket): choose a file path for the ONNX file.")):
        hl.export_onnx(clf, fifo)
    with pytest.raises(FileNotFoundError, match=re.escape(f"folder '{tmp_path / 'nodir'}' does not exist")):
        hl.export_onnx(clf, tmp_path / "nodir" / "e.onnx")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["f.onnx"]


@pytest.mark.parametrize(
    ("name", "quantized", "message"),
    [
        ("x.txt", None, "path must end in .onnx (the file is an ONNX model), e.g. '{d}/x.onnx'. Received: path='{d}/x.txt'."),
        ("x", None, "path must end in .onnx (the file is an ONNX model), e.g. '{d}/x.onnx'. Received: path='{d}/x'."),
        ("x.onnx", "q.int8", "quantized_path must end in .onnx (the file is an ONNX model), e.g. '{d}/q.onnx'. Received: quantized_path='{d}/q.int8'."),
    ],
)
def test_a_name_not_ending_in_onnx_is_refused_before_any_work(tmp_path: Path, name: str, quantized: str | None, message: str) -> None:
    """export_onnx(model, "x.txt") wrote an ONNX file under a .txt name without a word; the CLI's --out already refused it."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = _fit(hl.MLPClassifier((4,), max_iter=2, random_state=0), X, (X[:, 0] > 0).astype(int))
    kw = {"quantize": True, "quantized_path": tmp_path / quantized} if quantized else {}
    with pytest.raises(ValueError, match="^" + re.escape(message.format(d=tmp_path)) + "$"):
        export_onnx(clf, tmp_path / name, **kw)
    assert list(tmp_path.iterdir()) == []
    assert export_onnx(clf, tmp_path / "upper.ONNX").max_abs_diff < 1e-4  # the suffix in any case, as the CLI takes it


@pytest.mark.parametrize("given", ["", "./", "results/"])
def test_a_path_without_a_file_name_is_shown_as_given(given: str) -> None:
    """export_onnx(path="") said "Received: path='.'": a path the user never gave; it shows what was given now."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = _fit(hl.MLPClassifier((4,), max_iter=2, random_state=0), X, (X[:, 0] > 0).astype(int))
    with pytest.raises(ValueError, match=re.escape(f"Received: path={given!r}.") + "$"):
        export_onnx(clf, given)


def test_the_default_parity_tolerance_is_the_graphs_float_types_and_a_given_one_is_kept() -> None:
    # one rule for the table, application and Pipeline exports: 1e-4 for a float32 graph, 1e-8 for a float64 one
    assert parity_tolerance(None, False) == 1e-4 and parity_tolerance(None, True) == 1e-8
    assert parity_tolerance(0.0, True) == 0.0 and parity_tolerance(0.5, False) == 0.5  # 0 is a tolerance, not "none given"
