"""`hiddenlayers export --dtype` (cli/_rightsize.run_export): a float64 application whose LSTM/GRU onnxruntime cannot run in
float64 is refused in one line (exit 2, nothing written) and exported as a float32 graph with --dtype float32."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("onnxruntime")

from hiddenlayers.cli import app  # noqa: E402


def test_export_dtype_float32_of_a_float64_gru_app_and_the_refusals(tmp_path: Path) -> None:
    from hiddenlayers.apps import SequenceClassifier
    from hiddenlayers.ship import describe_onnx

    rng = np.random.default_rng(0)
    X = [rng.standard_normal((int(t), 2)) for t in rng.integers(4, 9, size=30)]
    y = np.array(["a" if x[:, 0].mean() > 0 else "b" for x in X])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = SequenceClassifier("gru3", max_iter=1, early_stopping=False, random_state=0, device="cpu", dtype="float64").fit(X, y)
    model = tmp_path / "gru64.safetensors"
    clf.save(model)
    runner = CliRunner()
    refused = runner.invoke(app, ["export", str(model), "--out", str(tmp_path / "a.onnx")])
    assert refused.exit_code == 2 and "its GRU layer has no float64 kernel there" in refused.output and "--dtype float32" in refused.output
    assert "Traceback" not in refused.output and not (tmp_path / "a.onnx").exists()
    bad = runner.invoke(app, ["export", str(model), "--out", str(tmp_path / "b.onnx"), "--dtype", "double"])
    assert bad.exit_code == 2 and "--dtype must be float32 or float64" in bad.output and not (tmp_path / "b.onnx").exists()
    done = runner.invoke(app, ["export", str(model), "--out", str(tmp_path / "c.onnx"), "--dtype", "float32"])
    assert done.exit_code == 0, done.output
    assert describe_onnx(tmp_path / "c.onnx")["dtype"] == "float32"


def test_predict_of_a_float64_image_export_reads_and_answers_in_float64(tmp_path: Path) -> None:
    """predict/evaluate of an export (cli/_apponnx's stand-in over the server's adapter) read float pixels by the pixel rule in
    float64 and hand the graph's float64 probabilities on: they match the app's to 1e-8 on pixels float32 would round."""
    from sklearn.datasets import load_digits

    import hiddenlayers as hl
    from hiddenlayers.apps import ImageClassifier
    from hiddenlayers.cli._appfiles import read_images
    from hiddenlayers.cli._apponnx import exported_app

    digits = load_digits()
    X = digits.images[:200] / 16.0 + 1e-9 * np.random.default_rng(1).standard_normal((200, 8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = ImageClassifier("conv3k3,pool2,8", max_iter=1, early_stopping=False, random_state=0, device="cpu", dtype="float64").fit(X, digits.target[:200])
    hl.export_onnx(clf, tmp_path / "img64.onnx", X=X[:20])
    stand = exported_app(str(tmp_path / "img64.onnx"))
    assert stand.dtype == "float64"  # the table writer keeps float64 digits (cli/_table_out.network_precision)
    pixels = read_images(stand, X[150:], "float32", "hwc", "X")
    assert pixels.dtype == np.float64
    P = stand.predict_proba(pixels)
    assert P.dtype == np.float64
    np.testing.assert_allclose(P, clf.predict_proba(X[150:]), rtol=1e-8, atol=1e-12)


def test_a_float64_table_model_reads_values_beyond_float32_as_its_onnx_export_does(tmp_path: Path) -> None:
    """A float64 model's .safetensors file refused -1e300 ('float32, which the model computes in') where its .onnx export and
    the float64 network take it: predict of the two files now agree, and predict(frame) in Python too."""
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    import hiddenlayers as hl

    frame = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, -1]]
    frame.columns = ["radius", "texture", "perimeter", "label"]
    frame.iloc[:300].to_csv(tmp_path / "train.csv", index=False)
    runner = CliRunner()
    model, onnx_file = tmp_path / "m64.safetensors", tmp_path / "m64.onnx"
    trained = runner.invoke(app, ["train", str(tmp_path / "train.csv"), "--target", "label", "--dtype", "float64", "--epochs", "5", "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    assert runner.invoke(app, ["export", str(model), "--out", str(onnx_file)]).exit_code == 0
    new = frame.iloc[300:310].drop(columns="label").reset_index(drop=True)
    new.loc[0, "texture"], new.loc[1, "radius"] = -1e300, 1e39
    new.to_csv(tmp_path / "new.csv", index=False)
    outs = [runner.invoke(app, ["predict", str(f), str(tmp_path / "new.csv"), "--proba"]) for f in (model, onnx_file)]
    assert [o.exit_code for o in outs] == [0, 0], outs[0].output
    import io

    a, b = (pd.read_csv(io.StringIO(o.stdout)) for o in outs)
    assert len(a) == 10 and a["predicted_label"].tolist() == b["predicted_label"].tolist()
    np.testing.assert_allclose(a.iloc[:, 1:].to_numpy(), b.iloc[:, 1:].to_numpy(), atol=1e-8)  # the export's float64 parity
    np.testing.assert_allclose(hl.load(model).predict_proba(new), hl.ship.OnnxModel(onnx_file).predict_proba(pd.read_csv(tmp_path / "new.csv")), atol=1e-8)


def test_export_of_a_table_model_refuses_dtype_options_in_their_own_words(tmp_path: Path) -> None:
    """`export --dtype float32` or `--input-dtype uint8` of a table model was refused in Python's words ("leave dtype=None",
    "leave input_dtype='float32'"), names a command's user never typed: the refusal now names the options."""
    from sklearn.datasets import load_iris

    import hiddenlayers as hl

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y).save(tmp_path / "m.safetensors")
    runner = CliRunner()
    for option, value, fix in (("--dtype", "float32", "leave --dtype out"), ("--input-dtype", "uint8", "leave --input-dtype float32")):
        r = runner.invoke(app, ["export", str(tmp_path / "m.safetensors"), "--out", str(tmp_path / "m.onnx"), option, value])
        assert r.exit_code == 2 and f"{option} {value} is for" in r.output and fix in r.output, r.output
        assert "dtype=" not in r.output and "an MLPClassifier" in r.output and not (tmp_path / "m.onnx").exists()
