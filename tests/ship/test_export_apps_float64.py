"""Applications fitted with dtype="float64" export float64 graphs (ship/_app_graph*.py, ship/_double_ops.py), and the
server and predict of those exports read float64 values (ship/_serve/app_onnx.py): ImageClassifier, SequenceClassifier and
SpeechRecognizer are the apps with a dtype parameter that export_onnx takes (the TextClassifier's float64 export: tests/ship/test_export_text.py; the Translator has no export)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

ort = pytest.importorskip("onnxruntime")

import hiddenlayers as hl  # noqa: E402
from hiddenlayers.ship import describe_onnx  # noqa: E402
from hiddenlayers.ship._serve.app_onnx import app_export  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError  # noqa: E402
from speech_helpers import toy_utterances  # noqa: E402


def _frames(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """``n`` sequences of 6 to 12 frames of 3 features around 1e3 (float32 would keep ~1e-4 of each), the class the first feature's sign."""
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((int(t), 3)) + np.array([0.0, 1e3, -1e3]) for t in rng.integers(6, 13, size=n)]
    return X, np.array(["up" if x[:, 0].mean() > 0 else "down" for x in X])


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tiny float64 apps (a few epochs), each exported once with held-out parity inputs; ``held`` their held-out inputs."""
    from sklearn.datasets import load_digits

    from hiddenlayers.apps import ImageClassifier, SequenceClassifier, SpeechRecognizer

    d = tmp_path_factory.mktemp("apps64")
    digits = load_digits()
    pixels = digits.images / 16.0 + 1e-9 * np.random.default_rng(0).standard_normal(digits.images.shape)  # digits that float32 rounds
    common = {"early_stopping": False, "random_state": 0, "device": "cpu", "dtype": "float64"}
    X, y = _frames(80, 0)
    utt, text = toy_utterances(30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: convergence notes
        models = {
            # both poolings in one network: one fit and one export check the MaxPool and the AveragePool rewrite
            "image": ImageClassifier("conv4k3:same,pool2,avgpool2,12", max_iter=2, **common).fit(pixels[:100], digits.target[:100]),  # parity, not accuracy
            "sequence": SequenceClassifier("conv4k3:same,gap,4", max_iter=3, **common).fit(X, y),
            "speech": SpeechRecognizer("conv6k3:same,avgpool2,conv6k3:same", max_iter=3, **common).fit(utt, text),
        }
    held = {"image": pixels[300:340], "sequence": _frames(20, 1)[0],
            "speech": [u.astype(np.float64) + 1e-9 for u in toy_utterances(8, seed=1)[0]]}
    reports = {name: hl.export_onnx(m, d / f"{name}.onnx", X=held[name]) for name, m in models.items()}
    return {"dir": d, "models": models, "held": held, "reports": reports}


def _own(model: Any, X: Any) -> np.ndarray:
    """What the app's own method returns for ``X``: probabilities, or a recognizer's per-frame log-probabilities, padded."""
    if hasattr(model, "frame_log_probs"):
        lps = model.frame_log_probs(X)
        out = np.zeros((len(lps), max(len(lp) for lp in lps), lps[0].shape[1]))
        for i, lp in enumerate(lps):
            out[i, : len(lp)] = lp
        return out
    return np.asarray(model.predict_proba(X))


def _feeds(name: str, X: Any) -> np.ndarray:
    if name.startswith("image"):
        return np.asarray(X, dtype=np.float64)
    steps = max(len(s) for s in X)
    out = np.full((len(X), steps, X[0].shape[1]), np.nan)
    for i, s in enumerate(X):
        out[i, : len(s)] = s
    return out


@pytest.mark.parametrize("name", ["image", "sequence", "speech"])
def test_a_float64_app_exports_a_float64_graph_that_matches_it_on_held_out_data(apps: dict, name: str) -> None:
    path, model, X, report = apps["dir"] / f"{name}.onnx", apps["models"][name], apps["held"][name], apps["reports"][name]
    assert report.input_dtype == "float64" and report.max_abs_diff <= 1e-8  # the export's own parity check, at the float64 default
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert sess.get_inputs()[0].type == "tensor(double)" and sess.get_outputs()[0].type == "tensor(double)"
    graph = onnx.load(str(path)).graph
    # every weight float64 (a speech graph's frame count, integer arithmetic, divides by a float32 scalar stride: exact)
    assert [i.name for i in graph.initializer if i.data_type == onnx.TensorProto.FLOAT and np.prod(i.dims) > 1] == []
    assert not {"Conv", "AveragePool", "LSTM", "GRU"} & {n.op_type for n in graph.node}  # rewritten: no float64 kernel in onnxruntime
    got = sess.run(None, {"X": _feeds(name, X)})[0]
    np.testing.assert_allclose(got, _own(model, X), rtol=1e-8, atol=1e-12)
    assert describe_onnx(path)["dtype"] == "float64"  # info: "computes in float64"


def test_the_rewritten_operators_are_the_fitted_ones(apps: dict) -> None:
    """The parity above covers convolutions and both poolings: the fitted networks hold them (a spec parse change would hide it)."""
    from torch import nn

    kinds = {name: {type(m) for m in apps["models"][name].network_.modules()} for name in apps["models"]}
    assert {nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d} <= kinds["image"]
    assert {nn.Conv1d, nn.AvgPool1d} <= kinds["speech"] and nn.Conv1d in kinds["sequence"]


def test_info_says_a_float64_app_export_computes_in_float64(apps: dict) -> None:
    from typer.testing import CliRunner

    from hiddenlayers.cli import app as cli

    result = CliRunner().invoke(cli, ["info", str(apps["dir"] / "sequence.onnx")])
    assert result.exit_code == 0 and "computes in float64" in result.output


def test_lstm_and_gru_refused_in_float64_in_one_line_and_exported_with_dtype_float32(tmp_path: Path) -> None:
    from hiddenlayers.apps import SequenceClassifier

    X, y = _frames(40, 2)
    clf = SequenceClassifier("gru4,4", max_iter=1, early_stopping=False, random_state=0, device="cpu", dtype="float64").fit(X, y)
    with pytest.raises(ValueError, match=r"^this float64 model's graph cannot run in onnxruntime: its GRU layer has no float64 kernel there: "
                                         r"export a float32 graph with export_onnx\(model, path, dtype='float32'\).*refit with dtype='float32'\.$"):
        hl.export_onnx(clf, tmp_path / "gru.onnx")
    assert list(tmp_path.iterdir()) == []  # nothing written
    report = hl.export_onnx(clf, tmp_path / "gru32.onnx", X=X[:10], dtype="float32")
    assert report.input_dtype == "float32" and report.max_abs_diff <= 1e-4
    assert describe_onnx(tmp_path / "gru32.onnx")["dtype"] == "float32"
    # a float32 export of a float64 app still refuses values beyond float32 (this export serves it: one export fewer)
    seq = app_export(tmp_path / "gru32.onnx")
    frames = X[0].copy()
    frames[0, 1] = 1e39
    with pytest.raises(RequestError, match=r"^sequences\[0\] holds 1e\+39, beyond ±3.4e38, the float32 range the model computes in: send a smaller number\.$"):
        seq.rows({"sequences": [frames.tolist()]}, 4)


def test_dtype_and_quantize_refusals(apps: dict, tmp_path: Path) -> None:
    from sklearn.datasets import load_iris

    image = apps["models"]["image"]
    with pytest.raises(ValueError, match="quantize=True needs a float32 graph.*dtype='float32'"):
        hl.export_onnx(image, tmp_path / "q.onnx", quantize=True)
    with pytest.raises(ValueError, match=r"dtype must be None \(the model's own float type\) or one of 'float32', 'float64'.*dtype='f64'"):
        hl.export_onnx(image, tmp_path / "d.onnx", dtype="f64")
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"dtype='float32' is for the applications' graphs; an MLPClassifier's graph computes in the dtype it was fitted"):
        hl.export_onnx(clf, tmp_path / "t.onnx", dtype="float32")
    from hiddenlayers.apps import SequenceClassifier

    seq32 = SequenceClassifier("conv4k3:same,gap,4", max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(*_frames(30, 3))
    with pytest.raises(ValueError, match=r"dtype='float64' needs a model that computes in float64, and this SequenceClassifier computes in float32 "
                                         r"\(fit it with dtype='float64'\)"):
        hl.export_onnx(seq32, tmp_path / "s.onnx", dtype="float64")
    assert list(tmp_path.iterdir()) == []


def test_the_export_adapters_take_values_beyond_float32_for_a_float64_graph(apps: dict) -> None:
    """predict/evaluate and the server read an export through its adapter: a float64 graph takes 1e39 (its range), a float32 one refuses it."""
    seq = app_export(apps["dir"] / "sequence.onnx")
    frames = apps["held"]["sequence"][0].copy()
    frames[0, 1] = 1e39
    (p,) = seq.predict(seq.rows({"sequences": [frames.tolist()]}, 4), True)
    assert np.isfinite(p).all()
    speech = app_export(apps["dir"] / "speech.onnx")
    utt = apps["held"]["speech"][0].copy()
    utt[0, 0] = -1e39
    assert isinstance(speech.predict(speech.rows({"utterances": [utt.tolist()]}, 4), False)[0], str)
    image = app_export(apps["dir"] / "image.onnx")
    assert image.rows({"images": [(apps["held"]["image"][0] * 0 + 1e-3).tolist()]}, 4)[0][1].dtype == np.float64


def test_the_server_of_a_float64_image_export_answers_in_float64_and_takes_its_range(apps: dict) -> None:
    from serve_helpers import Client

    model, X = apps["models"]["image"], apps["held"]["image"][:4]
    client = Client(apps["dir"] / "image.onnx", max_rows=8)
    try:
        status, got = client.post("/predict_proba", {"images": X.tolist()})
        assert status == 200
        np.testing.assert_allclose(got["probabilities"], model.predict_proba(X), rtol=1e-8, atol=1e-12)
    finally:
        client.stop()
