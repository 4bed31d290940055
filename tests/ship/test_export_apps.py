"""export_onnx() for the numeric-input applications: the app's own preprocessing in the graph, parity with its own API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import Autoencoder, Forecaster, ImageClassifier, Translator
from hiddenlayers.exceptions import ModelFileError
from hiddenlayers.ship import OnnxModel, describe_onnx, export_onnx

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


def _session(path: Path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _props(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return (d.images * (255 / 16)).astype(np.uint8), d.target  # (1797, 8, 8) uint8 images


@pytest.fixture(scope="module")
def image_clf(digits: tuple[np.ndarray, np.ndarray]) -> ImageClassifier:
    X, y = digits
    return ImageClassifier("conv8k3:same,pool2,32", max_iter=8, learning_rate_init=3e-3, device="cpu", random_state=0).fit(X[:1000], y[:1000])


@pytest.fixture(scope="module")
def autoencoder() -> Autoencoder:
    X, _ = load_breast_cancer(return_X_y=True)
    return Autoencoder((16,), n_components=4, max_iter=40, device="cpu", random_state=0).fit(X)


def test_image_classifier_raw_pixels_to_probabilities(image_clf: ImageClassifier, digits, tmp_path: Path) -> None:
    X, y = digits
    path = tmp_path / "digits.onnx"
    r = export_onnx(image_clf, path, X=X[1000:1200], y=y[1000:1200], quantize=True)
    assert r.max_abs_diff < 1e-4 and r.parity_rows == 200 and r.input_shape == ["batch", 8, 8]
    assert r.output_name == "probabilities" and r.bytes == path.stat().st_size
    sess = _session(path)
    for n in (1, 7):  # dynamic batch; input = raw float pixels as predict reads them (uint8 / 255)
        out = sess.run(None, {"X": X[1200 : 1200 + n].astype(np.float32) / 255})[0]
        assert out.shape == (n, 10)
        np.testing.assert_allclose(out, image_clf.predict_proba(X[1200 : 1200 + n]), atol=1e-4)
    props = _props(path)
    assert json.loads(props["classes"]) == list(range(10)) and props["hiddenlayers_estimator"] == "ImageClassifier"
    assert json.loads(props["hiddenlayers_app_input"])["shape"] == ["batch", 8, 8]
    # int8: what quantising this CNN's weights did is reported, and it still classifies
    assert r.quantized_path == str(tmp_path / "digits.int8.onnx") and Path(r.quantized_path).exists()
    assert r.metric == "accuracy" and r.score_before == pytest.approx(image_clf.score(X[1000:1200], y[1000:1200]))
    assert r.score_after >= r.score_before - 0.05
    assert any(n.startswith("int8 (weights): weights of 2 Gemm, 1 Conv stored as int8") for n in r.notes), r.notes


def test_image_classifier_colour_channels_last_and_random_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(60, 6, 6, 3), dtype=np.uint8)  # (N, H, W, C) colour images
    y = np.repeat(["a", "b"], 30)
    clf = ImageClassifier("conv4k3,4", max_iter=2, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    path = tmp_path / "rgb.onnx"
    r = export_onnx(clf, path)  # random images around the training pixels
    assert r.parity_rows == 64 and r.max_abs_diff < 1e-4 and r.input_shape == ["batch", 6, 6, 3]
    out = _session(path).run(None, {"X": X[:7].astype(np.float32) / 255})[0]
    np.testing.assert_allclose(out, clf.predict_proba(X[:7]), atol=1e-4)
    with pytest.raises(ValueError, match=r"^X must be images \(n, 6, 6, 3\) with at least one row .* Received shape \(7, 6, 6\)\.$"):
        export_onnx(clf, tmp_path / "bad.onnx", X=X[:7, :, :, 0])
    assert not (tmp_path / "bad.onnx").exists()


def test_autoencoder_raw_rows_to_scores_and_reconstruction(autoencoder: Autoencoder, tmp_path: Path) -> None:
    X, _ = load_breast_cancer(return_X_y=True)
    path = tmp_path / "ae.onnx"
    r = export_onnx(autoencoder, path, X=X[:200], quantize=True)
    assert r.max_abs_diff < 1e-4 and r.output_name == "scores, reconstruction" and r.quantized_max_abs_diff is not None
    sess = _session(path)
    assert [o.name for o in sess.get_outputs()] == ["scores", "reconstruction"]
    offset = json.loads(_props(path)["offset"])
    for n in (1, 7):
        rows = X[300 : 300 + n].astype(np.float32)
        scores, recon = sess.run(None, {"X": rows})
        assert scores.shape == (n,) and recon.shape == (n, 30)
        np.testing.assert_allclose(scores, autoencoder.score_samples(rows), atol=1e-4)
        np.testing.assert_allclose(scores - offset, autoencoder.decision_function(rows), atol=1e-4)
        np.testing.assert_allclose(recon, autoencoder.inverse_transform(autoencoder.transform(rows)), rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match=r"^y is for classifiers .* an Autoencoder is scored by its own outputs: leave y out\.$"):
        export_onnx(autoencoder, tmp_path / "y.onnx", X=X[:10], y=np.zeros(10))


@pytest.mark.parametrize("target", ["level", "delta"])
def test_forecaster_windows_to_next_values(target: str, tmp_path: Path) -> None:
    s = 10 + 3 * np.sin(np.arange(400) / 5)
    f = Forecaster(window=12, horizon=3, max_iter=40, target=target, device="cpu", random_state=0).fit(s[:300])
    path = tmp_path / "f.onnx"
    r = export_onnx(f, path, X=s[300:])  # a series: every window of it
    assert r.parity_rows == 100 - 12 + 1 and r.max_abs_diff < 1e-4 and r.output_name == "forecasts"
    done = "scaling and the delta from the last value are" if target == "delta" else "scaling is"  # it said "scaling are"
    assert r.notes[0].startswith(f"input X is windows of the last 12 raw values (oldest first); {done} in the graph; ")
    sess = _session(path)
    windows = np.lib.stride_tricks.sliding_window_view(s[300:], 12).astype(np.float32)
    for n in (1, 7):
        out = sess.run(None, {"X": windows[:n]})[0]
        assert out.shape == (n, 3)
        np.testing.assert_allclose(out, f.predict(s[300 : 300 + 12 + n - 1]), atol=1e-4)
    assert json.loads(_props(path)["forecaster"]) == {"window": 12, "horizon": 3, "target": target, "mean": f.mean_, "scale": f.scale_, "freq": None}
    assert export_onnx(f, path).parity_rows == 256  # random windows


def test_other_apps_are_refused_in_one_line(tmp_path: Path) -> None:
    tr = Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(["a b", "c d"] * 3, ["x y", "z w"] * 3)
    with pytest.raises(TypeError, match=r"^export_onnx\(\) takes a fitted MLPClassifier, MLPRegressor or one of the applications "
                                        r"\(ImageClassifier, Autoencoder, Forecaster, SequenceClassifier, TextClassifier, Recommender, SpeechRecognizer, "
                                        r"DQNAgent\)\. Received: Translator\.$"):
        export_onnx(tr, tmp_path / "tr.onnx")
    assert not (tmp_path / "tr.onnx").exists()


def test_cli_exports_a_saved_app_file_and_info_reads_it(image_clf: ImageClassifier, autoencoder: Autoencoder, tmp_path: Path) -> None:
    st = tmp_path / "cnn.safetensors"
    image_clf.save(st)
    out = tmp_path / "cnn.onnx"
    res = ok("export", st, "--out", out, "--int8", "--json")
    report = json.loads(res.stdout)
    assert report["max_abs_diff"] < 1e-4 and report["input_shape"] == ["batch", 8, 8] and Path(report["quantized_path"]).exists()
    X, _ = load_digits(return_X_y=True)
    got = _session(out).run(None, {"X": (X[:5].reshape(-1, 8, 8) / 16).astype(np.float32)})[0]
    np.testing.assert_allclose(got, image_clf.predict_proba((X[:5].reshape(-1, 8, 8) / 16).astype(np.float32)), atol=1e-4)
    info = describe_onnx(out)
    assert info["estimator"] == "ImageClassifier" and info["app_input"]["layout"] == "(batch, H, W)"
    assert info["graph_inputs"] == [{"name": "X", "type": "float", "shape": ["batch", 8, 8]}]
    shown = ok("info", out).stdout
    assert "ImageClassifier" in shown and "(batch, H, W) float32" in shown
    # OnnxModel runs table exports only; predict reads this one as its .safetensors file (tests/cli/test_cli_app_onnx.py)
    with pytest.raises(ModelFileError, match="is the ONNX export of an ImageClassifier, whose input is not a table: run it with onnxruntime directly"):
        OnnxModel(out)
    assert_user_error(run("predict", out, tmp_path / "x.csv"), "x.csv")  # a missing data file: one line, no traceback
    ae = tmp_path / "ae.safetensors"
    autoencoder.save(ae)
    ok("export", ae, "--out", tmp_path / "ae.onnx")
    assert [o["name"] for o in describe_onnx(tmp_path / "ae.onnx")["graph_outputs"]] == ["scores", "reconstruction"]
    assert_user_error(run("export", ae, tmp_path / "x.csv", "--out", tmp_path / "ae2.onnx"), "x.csv")  # DATA: parity rows (a missing file: one line)


def test_cli_refuses_an_unsupported_app_file(tmp_path: Path) -> None:
    path = tmp_path / "tr.safetensors"
    Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(["a b", "c d"] * 3, ["x y", "z w"] * 3).save(path)
    assert_user_error(run("export", path, "--out", tmp_path / "tr.onnx"),
                      "holds a Translator (an application file); export takes a model trained by `hiddenlayers train`, or a saved ImageClassifier")
    assert not (tmp_path / "tr.onnx").exists()


def test_autoencoder_with_a_column_float32_cannot_hold_is_refused_in_one_line(tmp_path: Path) -> None:
    # a column of ~1e-300 keeps its true scale in fit (float64), but float32 (the graph's input and constants) holds it as 0:
    # the export used to fail its parity check with NaN and "report this model's spec"; now it names the column and the fix
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"tiny": rng.normal(size=40) * 1e-300, "b": rng.normal(size=40), "c": rng.normal(size=40)})
    model = Autoencoder((4,), n_components=1, max_iter=2, device="cpu", random_state=0).fit(X)
    path = tmp_path / "ae.onnx"
    with pytest.raises(ValueError, match=r"^column 'tiny' of this Autoencoder .*float32.*rescale") as info:
        export_onnx(model, path)
    assert "\n" not in str(info.value) and not path.exists()



def test_autoencoder_fitted_on_named_columns_exports_without_a_names_warning_and_checks_a_frames_columns(tmp_path: Path) -> None:
    # the parity reference was computed from an unnamed array: every export of such a model warned twice "X does not have valid
    # feature names", with the frame it was fitted on too; a frame of other columns (or another order) was read by position
    import warnings

    from hiddenlayers.exceptions import DataError

    frame = load_breast_cancer(as_frame=True).data.iloc[:, :6]
    model = Autoencoder((4,), n_components=2, max_iter=2, device="cpu", random_state=0).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export_onnx(model, tmp_path / "ae.onnx", X=frame.iloc[:50])
    with pytest.raises(DataError, match=r"^The feature names should match .* Pass X\[\['mean radius', "):
        export_onnx(model, tmp_path / "other.onnx", X=frame.iloc[:50, ::-1])  # refused before any graph is traced
    assert not (tmp_path / "other.onnx").exists()

def test_forecaster_of_a_series_float32_cannot_hold_is_refused_in_one_line(tmp_path: Path) -> None:
    series = np.cumsum(np.random.default_rng(0).normal(size=120)) * 1e-300
    model = Forecaster(window=4, max_iter=2, device="cpu", random_state=0).fit(series)
    with pytest.raises(ValueError, match=r"^the series of this Forecaster .*float32.*rescale"):
        export_onnx(model, tmp_path / "f.onnx")


@pytest.mark.parametrize(("mean", "scale", "refused"), [(0.0, 1e-300, True), (0.0, 1e39, True), (1e39, 1.0, True),
                                                        (1e-30, 1e-30, False), (-3e38, 1e30, False), (0.0, 1.0, False)])
def test_refuse_float32_scale_is_float32s_normal_range(mean: float, scale: float, refused: bool) -> None:
    from types import SimpleNamespace

    from hiddenlayers.ship._app_base import refuse_float32_scale

    model = SimpleNamespace(mean_=np.array([0.0, mean]), scale_=np.array([1.0, scale]))
    if refused:
        with pytest.raises(ValueError, match="^column 'x' of this SimpleNamespace"):
            refuse_float32_scale(model, ["w", "x"])
    else:
        refuse_float32_scale(model, ["w", "x"])
