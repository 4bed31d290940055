"""`hiddenlayers serve` of applications' ONNX exports (ship/_serve/app_onnx.py): onnxruntime alone, no PyTorch in the server's
process, the request form of the app's .safetensors server and the same answers within float32 tolerance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
pytest.importorskip("onnxruntime")

import hiddenlayers as hl  # noqa: E402
from hiddenlayers.ship._serve.app_model import open_served  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError  # noqa: E402
from serve_helpers import Client  # noqa: E402
from speech_helpers import toy_utterances  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An ImageClassifier (digits, 0-255 pixels), a SpeechRecognizer and a DQNAgent, each saved and exported, and a server of each export."""
    from sklearn.datasets import load_digits

    from hiddenlayers.apps import DQNAgent, ImageClassifier, SpeechRecognizer

    d = tmp_path_factory.mktemp("serve_onnx")
    digits = load_digits()
    pixels = (digits.images[:300] * (255 / 16)).astype(np.uint8)
    image = ImageClassifier("conv4k3:same,pool2,16", max_iter=3, early_stopping=False, random_state=0, device="cpu").fit(pixels, digits.target[:300])
    hl.export_onnx(image, d / "image.onnx", X=pixels[:64])
    hl.export_onnx(image, d / "image8.onnx", X=pixels[:64], input_dtype="uint8")
    X, y = toy_utterances(40)
    speech = SpeechRecognizer("conv8k3:same,pool2,conv8k3:same", max_iter=15, learning_rate_init=1e-2, early_stopping=False, random_state=0,
                              device="cpu").fit(X, y)
    hl.export_onnx(speech, d / "asr.onnx", X=toy_utterances(8, seed=1)[0])
    agent = DQNAgent((8,), learning_starts=10, random_state=0).fit("CartPole-v1", total_steps=30, eval_every=30, eval_episodes=1)
    hl.export_onnx(agent, d / "agent.onnx")
    clients = {name: Client(d / f"{name}.onnx", max_rows=16) for name in ("image", "image8", "asr", "agent")}
    yield {"dir": d, "image": image, "pixels": pixels, "speech": speech, "agent": agent, "clients": clients}
    for c in clients.values():
        c.stop()


def test_the_server_of_an_app_export_imports_no_torch(exports: dict) -> None:
    paths = [str(exports["dir"] / f"{n}.onnx") for n in ("image", "asr", "agent")]
    code = ("import sys; from hiddenlayers.ship._serve.serve import make_app, ServeConfig; "
            f"[make_app(ServeConfig(model=p)) for p in {paths!r}]; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC}, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_image_export_answers_as_the_classifier_for_uint8_and_float_pixels(exports: dict) -> None:
    clf, X = exports["image"], exports["pixels"][:12]
    client = exports["clients"]["image"]
    status, got = client.post("/predict_proba", {"images": X.tolist(), "dtype": "uint8"})
    assert status == 200 and got["classes"] == list(range(10))
    np.testing.assert_allclose(got["probabilities"], clf.predict_proba(X), atol=1e-5)
    F = X / 255.0
    for layout in (F, F[..., None], F[:, None]):  # (H, W), (H, W, 1), (C, H, W), as the .safetensors server reads them
        assert client.post("/predict", {"images": layout.tolist()}) == (200, {"predictions": clf.predict(F).tolist(), "model_version": 1})
    status, got = client.post("/predict", {"images": X[:1].astype(float).tolist()})  # 0-255 as floats to a model fitted on 0-1 pixels
    assert status == 422 and 'send 0-255 pixels with "dtype": "uint8"' in got["error"]
    status, meta = client.request("GET", "/metadata")
    assert meta["format"] == "onnx" and meta["estimator"] == "ImageClassifier" and "torch" not in meta["versions"]


def test_a_uint8_image_export_reads_uint8_requests_only(exports: dict) -> None:
    clf, X = exports["image"], exports["pixels"][:5]
    client = exports["clients"]["image8"]
    status, got = client.post("/predict_proba", {"images": X.tolist(), "dtype": "uint8"})
    assert status == 200
    np.testing.assert_allclose(got["probabilities"], clf.predict_proba(X), atol=1e-5)
    assert client.post("/predict", {"images": (X / 255.0).tolist()}) == (
        422, {"error": 'this export reads uint8 pixels 0-255 (exported with input_dtype="uint8"): send them with "dtype": "uint8".'})


def test_speech_export_transcribes_as_the_recognizer_greedy_and_by_beam(exports: dict) -> None:
    rec, client = exports["speech"], exports["clients"]["asr"]
    X = toy_utterances(6, seed=2)[0]
    assert sum(map(len, rec.predict(X))) > 6  # it emits symbols: equal transcripts mean something
    body = [x.tolist() for x in X]
    assert client.post("/predict", {"utterances": body}) == (200, {"transcripts": rec.predict(X), "model_version": 1})
    assert client.post("/predict", {"utterances": body, "beam_size": 3}) == (200, {"transcripts": rec.predict(X, beam_size=3), "model_version": 1})
    status, meta = client.request("GET", "/metadata")
    assert meta["input"]["alphabet"] == "ab" and meta["input"]["max_steps"] == 1000 and meta["estimator"] == "SpeechRecognizer"
    status, got = client.post("/predict", {"utterances": [[[0.0, 0.0, 0.0]] * 1001]})
    assert status == 413 and "over this server's limit of 1000 for this model (the export does not store the longest utterance in fit)" in got["error"]
    assert client.post("/predict", {"utterances": [[[0.0, 0.0]]]})[0] == 422


def test_agent_export_acts_as_the_agent_with_q_values_on_request(exports: dict) -> None:
    agent, client = exports["agent"], exports["clients"]["agent"]
    obs = np.random.default_rng(0).normal(size=(12, 4))
    assert client.post("/predict", {"observations": obs.tolist()}) == (200, {"actions": agent.act(obs).tolist(), "model_version": 1})
    status, got = client.post("/predict", {"observations": obs.tolist(), "return_q": True})
    assert status == 200 and got["actions"] == agent.act(obs).tolist()
    np.testing.assert_allclose(got["q_values"], agent.q_values(obs), rtol=1e-5, atol=1e-6)
    status, got = client.post("/predict", {"observations": [[0, 0, 0]]})
    assert status == 422 and got["error"].startswith("observations[0] must be 4 numbers")


def test_concurrent_requests_to_an_export_each_get_their_own_answer(exports: dict) -> None:
    agent, client = exports["agent"], exports["clients"]["agent"]
    bodies = [np.random.default_rng(i).normal(size=(1 + i % 4, 4)) for i in range(12)]
    answers: list[Any] = [None] * len(bodies)

    def send(i: int) -> None:
        answers[i] = client.request("POST", "/predict", json.dumps({"observations": bodies[i].tolist()}).encode())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [(200, {"actions": agent.act(b).tolist(), "model_version": 1}) for b in bodies]


def test_autoencoder_export_scores_and_labels_rows_as_the_autoencoder(tmp_path: Path) -> None:
    import pandas as pd

    from hiddenlayers.apps import Autoencoder

    table = pd.DataFrame(np.random.default_rng(0).normal(size=(80, 3)), columns=["a", "b", "c"])
    ae = Autoencoder((4,), n_components=2, max_iter=3, early_stopping=False, random_state=0, device="cpu").fit(table)
    hl.export_onnx(ae, tmp_path / "ae.onnx", X=table)
    model = open_served(tmp_path / "ae.onnx")
    rows = table.iloc[:10]
    for body in ({"rows": rows.to_dict("records")}, {"columns": rows.to_dict("list")}):
        got = model.answer(model.predict(model.rows(body, 16), False), False)
        np.testing.assert_allclose(got["scores"], ae.score_samples(rows), rtol=1e-4, atol=1e-6)
        assert got["predictions"] == ae.predict(rows).tolist()
    with pytest.raises(RequestError, match="'d'"):
        model.rows({"rows": [{"a": 1, "b": 2, "d": 3}]}, 16)  # a column it does not read, named as the .safetensors server names it
    assert model.metadata()["input"]["offset"] == pytest.approx(ae.offset_)


def test_the_export_of_every_app_export_onnx_takes_is_served() -> None:
    from hiddenlayers.ship._app_graph import ONNX_APPS
    from hiddenlayers.ship._serve.app_onnx import _ONNX_ADAPTERS

    assert set(_ONNX_ADAPTERS) == set(ONNX_APPS)  # a new exportable app needs its adapter (the others: test_serve_app_onnx_more)


def test_a_batch_joining_uint8_and_float_requests_to_an_image_export(exports: dict) -> None:
    clf, X = exports["image"], exports["pixels"][:4]
    model = open_served(exports["dir"] / "image.onnx")
    rows = model.rows({"images": X[:2].tolist(), "dtype": "uint8"}, 16) + model.rows({"images": (X[2:] / 255.0).tolist()}, 16)
    np.testing.assert_allclose(model.predict(rows, True), clf.predict_proba(X), atol=1e-5)
    with pytest.raises(RequestError, match=r"images\[0\] has shape \(7,\)"):
        model.rows({"images": [[0] * 7]}, 16)
