"""An exported CNN takes a camera's uint8 pixels (the /255 in the graph), and `info` lists its convolutions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import Autoencoder, ImageClassifier
from hiddenlayers.ship import describe_onnx, export_onnx

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

BAD_DTYPE = ("input_dtype must be one of 'float32', 'uint8' (the ONNX input X's element type; 'uint8' for an ImageClassifier's 0-255 pixels). "
             "Received: input_dtype='int8'.")
FLOAT_X = ("with input_dtype='uint8', X must be uint8 pixels 0-255, images (n, 8, 8), as the ONNX input reads them. "
           "Received dtype float32: pass the camera's uint8 images, or use input_dtype='float32' for float pixels.")


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return (d.images * (255 / 16)).astype(np.uint8), d.target  # (1797, 8, 8) uint8, as a camera gives them


@pytest.fixture(scope="module")
def cnn(digits: tuple[np.ndarray, np.ndarray]) -> ImageClassifier:
    X, y = digits
    return ImageClassifier(max_iter=2, device="cpu", random_state=0).fit(X[:800], y[:800])  # the default CNN, 'same'-padded for 8 x 8


def _session(path: Path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_uint8_input_matches_predict_proba(cnn: ImageClassifier, digits, tmp_path: Path) -> None:
    X, y = digits
    path = tmp_path / "camera.onnx"
    r = export_onnx(cnn, path, X=X[800:1000], y=y[800:1000], input_dtype="uint8", quantize=True)
    assert r.input_dtype == "uint8" and r.input_shape == ["batch", 8, 8] and r.parity_rows == 200 and r.max_abs_diff < 1e-5
    assert "uint8" in r.notes[0] and "division by 255" in r.notes[0]
    sess = _session(path)
    assert sess.get_inputs()[0].type == "tensor(uint8)"
    for n in (1, 9):  # dynamic batch; the camera's pixels go in as they are
        got = sess.run(None, {"X": X[1000 : 1000 + n]})[0]
        np.testing.assert_allclose(got, cnn.predict_proba(X[1000 : 1000 + n]), atol=1e-5)
    app_input = json.loads({p.key: p.value for p in onnx.load(str(path)).metadata_props}["hiddenlayers_app_input"])
    assert app_input["dtype"] == "uint8" and app_input["shape"] == ["batch", 8, 8]
    assert r.score_before == pytest.approx(cnn.score(X[800:1000], y[800:1000])) and r.score_after >= r.score_before - 0.05
    assert _session(Path(r.quantized_path)).get_inputs()[0].type == "tensor(uint8)"
    # random parity images (0-255, around the training pixels) when X is not given; float32 stays the default (the next test)
    assert export_onnx(cnn, tmp_path / "random.onnx", input_dtype="uint8").parity_rows == 64
    assert _session(tmp_path / "random.onnx").get_inputs()[0].type == "tensor(uint8)"


def test_random_parity_images_raise_no_pixel_scale_warning(cnn: ImageClassifier, tmp_path: Path) -> None:
    """Without X the export draws its own parity images: they stay in the training range, so predict's 0-1 scale rule
    (float pixels above 1.5 on a model fitted on 0-1 pixels) no longer told the user, who gave no pixels, to divide by 255."""
    import warnings

    d = load_digits()
    float_fit = ImageClassifier("conv4k3:same,8", max_iter=1, device="cpu", random_state=0).fit(d.images[:100] / 16, d.target[:100])  # 0-1 floats
    for model in (cnn, float_fit):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            report = export_onnx(model, tmp_path / f"{id(model)}.onnx")
        assert report.parity_rows == 64 and report.max_abs_diff < 1e-5


def test_uint8_colour_channels_last(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, size=(60, 6, 6, 3), dtype=np.uint8), np.repeat(["a", "b"], 30)
    clf = ImageClassifier("conv4k3,4", max_iter=2, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    r = export_onnx(clf, tmp_path / "rgb.onnx", X=X[:20], input_dtype="uint8")
    assert r.input_shape == ["batch", 6, 6, 3] and r.max_abs_diff < 1e-5
    np.testing.assert_allclose(_session(tmp_path / "rgb.onnx").run(None, {"X": X[20:27]})[0], clf.predict_proba(X[20:27]), atol=1e-5)


def test_a_model_fitted_on_0_255_floats_reads_uint8_pixels_as_given_in_its_uint8_export_and_refuses_them_scaled(digits, tmp_path: Path) -> None:
    """Fitted on 0-255 pixels given as floats: its input_dtype="uint8" graph divided by 255, so a camera's pixels were read 255
    times too dark (answers at chance, parity "passed" against predict's own too-dark reading, with its warning). The graph now
    reads them as given: predict_proba of the same pixels as floats. Where uint8 pixels are still divided by 255 (a float32
    export served or predicted with "dtype": "uint8" / a uint8 .npy; a uint8 export without the divisor, written before) they
    are refused, as the .safetensors file's server and CLI refuse them."""
    import warnings

    from hiddenlayers.ship import app_export
    from hiddenlayers.ship._serve.model import RequestError

    X, y = digits
    app = ImageClassifier("conv4k3:same,8", max_iter=2, device="cpu", random_state=0).fit(X[:300].astype(np.float32), y[:300])
    u8, f32, images = tmp_path / "u8.onnx", tmp_path / "f32.onnx", tmp_path / "u8.npy"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "these uint8 images are read as pixels 0-1" from the parity check
        r = export_onnx(app, u8, X=X[300:400], input_dtype="uint8")
        assert export_onnx(app, tmp_path / "random.onnx", input_dtype="uint8").max_abs_diff < 1e-5  # random 0-255 parity pixels
    assert r.max_abs_diff < 1e-5 and "read as given" in r.notes[0]
    expected = app.predict_proba(X[400:420].astype(np.float32))
    np.testing.assert_allclose(_session(u8).run(None, {"X": X[400:420]})[0], expected, atol=1e-5)
    served = app_export(u8)
    np.testing.assert_allclose(served.predict(served.rows({"images": X[400:420].tolist(), "dtype": "uint8"}, 32), True), expected, atol=1e-5)
    export_onnx(app, f32, X=X[300:310].astype(np.float32))
    scaled = app_export(f32)
    with pytest.raises(RequestError, match=r'^"dtype": "uint8" pixels are read as 0-1 \(scaled by 1/255\), but the model was fitted on float pixels beyond 0-1: '):
        scaled.rows({"images": X[:2].tolist(), "dtype": "uint8"}, 8)
    np.save(images, X[400:420])
    assert_user_error(run("predict", f32, images), f"'{images}' holds uint8 pixels, read as 0-1 (scaled by 1/255), but the model was fitted on "
                                                   "float pixels beyond 0-1: pass --image-dtype float32 to read them as given.")
    got = ok("predict", u8, images).stdout.split()[1:]  # the header, then one label a line
    assert got == [str(v) for v in app.classes_[expected.argmax(1)]]
    older = onnx.load(str(u8))  # an export from before the divisor was stored: its uint8 graph divided by 255
    for p in older.metadata_props:
        if p.key == "pixels":
            p.value = json.dumps({k: v for k, v in json.loads(p.value).items() if k != "uint8_divisor"})
    onnx.save(older, str(tmp_path / "older.onnx"))
    with pytest.raises(RequestError, match=r"^this export divides uint8 pixels by 255, but the model was fitted on float pixels beyond 0-1: export it again"):
        app_export(tmp_path / "older.onnx").rows({"images": X[:2].tolist(), "dtype": "uint8"}, 8)
    assert_user_error(run("predict", tmp_path / "older.onnx", images), "float pixels beyond 0-1: export the model again with this version")


def test_bad_input_dtype_and_pixels_are_one_line(cnn: ImageClassifier, digits, tmp_path: Path) -> None:
    X, _ = digits
    out = tmp_path / "bad.onnx"
    with pytest.raises(ValueError) as err:
        export_onnx(cnn, out, input_dtype="int8")
    assert str(err.value) == BAD_DTYPE
    with pytest.raises(ValueError) as err:
        export_onnx(cnn, out, X=X[:5].astype(np.float32), input_dtype="uint8")
    assert str(err.value) == FLOAT_X
    with pytest.raises(ValueError, match=r"^with input_dtype='uint8', X must be uint8 pixels 0-255.*Received dtype int16"):
        export_onnx(cnn, out, X=X[:5].astype(np.int16) * 2, input_dtype="uint8")  # values beyond 255
    with pytest.raises(ValueError, match=r"^X must be images \(n, 8, 8\) with at least one row .* Received shape \(5, 8\)\.$"):
        export_onnx(cnn, out, X=X[:5, 0], input_dtype="uint8")
    ae = Autoencoder((4,), n_components=2, max_iter=2, device="cpu", random_state=0).fit(np.random.default_rng(0).random((30, 5)))
    with pytest.raises(ValueError, match=r"^input_dtype='uint8' is for an ImageClassifier's pixels; an Autoencoder reads real values"):
        export_onnx(ae, out, input_dtype="uint8")
    assert not out.exists()
    # whole numbers 0-255 of another integer type are the same pixels
    assert export_onnx(cnn, out, X=X[:5].astype(np.int64), input_dtype="uint8").max_abs_diff < 1e-5


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.text(max_size=8), st.sampled_from(["float64", "int8", "UINT8", "uint16", " uint8"]), st.integers(), st.none()))
def test_input_dtype_validation_names_the_choices(value: object) -> None:
    from hiddenlayers.ship._export import _check_export_args

    if value in ("float32", "uint8"):
        return
    with pytest.raises(ValueError, match=r"^input_dtype must be one of 'float32', 'uint8' .* Received: input_dtype="):
        _check_export_args(object(), False, None, None, None, 18, 1e-4, value)


def test_describe_onnx_lists_the_convolutions(cnn: ImageClassifier, tmp_path: Path) -> None:
    path = tmp_path / "cnn.onnx"
    r = export_onnx(cnn, path, quantize=True)  # without input_dtype: float32, the default
    assert r.input_dtype == "float32" and _session(path).get_inputs()[0].type == "tensor(float)"
    info = describe_onnx(path)
    layers = info["layers"]
    assert [(row["layer"], row["kind"], row["op"]) for row in layers] == [
        ("hidden1", "conv", "Conv"), ("hidden2", "pool", "MaxPool"), ("hidden3", "conv", "Conv"), ("hidden4", "pool", "MaxPool"),
        ("hidden5", "dense", "Gemm"), ("head", "dense", "Gemm")]  # (hidden5 flattens its input itself: no row of its own)
    assert info["inputs"] == [8, 8] and info["outputs"] == 10
    assert {k: layers[0][k] for k in ("inputs", "units", "kernel", "stride", "padding", "dilation", "groups", "bias", "followed_by")} == {
        "inputs": 1, "units": 32, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1, 1, 1], "dilation": [1, 1], "groups": 1,
        "bias": True, "followed_by": "Relu"}
    assert (layers[2]["inputs"], layers[2]["units"], layers[2]["parameters"]) == (32, 64, 32 * 64 * 9 + 64)
    assert {k: layers[1][k] for k in ("kernel", "stride", "padding", "parameters", "weight_type")} == {
        "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0, 0, 0], "parameters": 0, "weight_type": None}
    assert info["parameters"] == sum(p.numel() for p in cnn.network_.parameters())  # every weight is in a listed layer
    q = describe_onnx(r.quantized_path)
    weighted = [row for row in q["layers"] if row["kind"] in ("conv", "dense")]
    assert [row["op"] for row in weighted] == ["Conv", "Conv", "Gemm", "Gemm"]  # int8 weights, read by DequantizeLinear
    assert all(row["bias"] and row["weight_type"] == "int8" for row in weighted) and q["parameters"] == info["parameters"]
    assert [row["kind"] for row in q["layers"]] == [row["kind"] for row in layers]  # the pooling and flattening too


def test_describe_onnx_reads_stride_and_valid_padding(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, size=(40, 9, 9), dtype=np.uint8), np.arange(40) % 2
    clf = ImageClassifier("conv4k3:s2,conv6k2,8", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    export_onnx(clf, tmp_path / "s2.onnx")
    convs = [row for row in describe_onnx(tmp_path / "s2.onnx")["layers"] if row["kind"] == "conv"]
    assert [(row["kernel"], row["stride"], row["padding"], row["units"]) for row in convs] == [
        ([3, 3], [2, 2], [0, 0, 0, 0], 4), ([2, 2], [1, 1], [0, 0, 0, 0], 6)]


def test_cli_export_uint8_and_info_shows_convolutions(cnn: ImageClassifier, digits, tmp_path: Path) -> None:
    X, _ = digits
    model = tmp_path / "cnn.safetensors"
    cnn.save(model)
    out = tmp_path / "cnn.onnx"
    report = json.loads(ok("export", model, "--out", out, "--input-dtype", "uint8", "--json").stdout)
    assert report["input_dtype"] == "uint8" and report["max_abs_diff"] < 1e-5
    np.testing.assert_allclose(_session(out).run(None, {"X": X[:4]})[0], cnn.predict_proba(X[:4]), atol=1e-5)
    text = " ".join(ok("info", out).stdout.split())  # Rich wraps at the console width
    assert "convolution, pooling and dense layers found in the graph" in text and "│ 3x3 s1 p1 │" in text
    assert "│ hidden2 │ max │ - │ - │ 2x2 s2 p0 │" in text and "│ hidden4 │ max │ - │ - │ 2x2 s2 p0 │" in text
    assert "(batch, H, W) uint8" in text
    assert_user_error(run("export", model, "--out", tmp_path / "x.onnx", "--input-dtype", "int8"), "--input-dtype must be one of float32, uint8. Received: 'int8'.")
    assert not (tmp_path / "x.onnx").exists()


@pytest.mark.parametrize(("spec", "rows"), [
    ("conv4k3:same,avgpool2,conv6k3:same,gap,8", [("hidden1", "conv", "Conv"), ("hidden2", "pool", "AveragePool"),
                                                  ("hidden3", "conv", "Conv"), ("hidden4", "global_pool", "ReduceMean"),
                                                  ("hidden5", "dense", "Gemm"), ("head", "dense", "Gemm")]),
    ("conv4k3,pool2,flatten,8", [("hidden1", "conv", "Conv"), ("hidden2", "pool", "MaxPool"), ("hidden3", "flatten", "Reshape"),
                                 ("hidden4", "dense", "Gemm"), ("head", "dense", "Gemm")]),
])
def test_describe_and_info_list_pooling_and_flatten_and_the_image_input(digits, tmp_path: Path, spec: str, rows: list) -> None:
    """An exported CNN: ``inputs`` is the image's shape (before: the first dense layer's width), and the pooling, global
    pooling and flatten layers are rows as the convolutions are, in describe_onnx, in `info` of the ONNX file and of the model file."""
    X, y = digits
    clf = ImageClassifier(spec, max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X[:200], y[:200])
    model, out = tmp_path / "cnn.safetensors", tmp_path / "cnn.onnx"
    clf.save(model)
    export_onnx(clf, out)
    info = describe_onnx(out)
    assert info["inputs"] == [8, 8] and info["outputs"] == 10
    assert [(r["layer"], r["kind"], r["op"]) for r in info["layers"]] == rows
    assert all(r["parameters"] == 0 and r["inputs"] is None for r in info["layers"] if r["kind"] not in ("conv", "dense"))
    assert info["parameters"] == sum(p.numel() for p in clf.network_.parameters())
    text = " ".join(ok("info", out).stdout.split())
    assert "convolution, pooling and dense layers found in the graph" in text
    assert ("│ hidden2 │ avg │ - │ - │ 2x2 s2 p0 │" in text and "│ hidden4 │ gap │ - │ - │ - │" in text) if "gap" in spec else (
        "│ hidden2 │ max │ - │ - │ 2x2 s2 p0 │" in text and "│ hidden3 │ flat │ - │ - │ - │" in text)
    app = json.loads(ok("info", model, "--json").stdout)
    words = {r["layer"]: r["tensors"] for r in app["layers"]}
    assert [r["layer"] for r in app["layers"]] == [r[0] for r in rows]
    assert words["hidden2"] == ("(no weights: avgpool2)" if "gap" in spec else "(no weights: pool2)")
