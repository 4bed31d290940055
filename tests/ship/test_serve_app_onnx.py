"""`hiddenlayers serve` of applications' ONNX exports (ship/_serve/app_onnx.py): onnxruntime alone, no PyTorch in the server's
process, the request form of the app's .safetensors server and the same answers within float32 tolerance. Two module
fixtures: `exports` (ImageClassifier, SpeechRecognizer, DQNAgent) and `rsf_exports` (Recommender, SequenceClassifier, Forecaster)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
pytest.importorskip("onnxruntime")

import hiddenlayers as hl  # noqa: E402
from hiddenlayers.exceptions import ModelFileError  # noqa: E402
from hiddenlayers.ship._serve.app_model import open_served  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError  # noqa: E402
from serve_helpers import Client, serving_imports_torch  # noqa: E402
from speech_helpers import toy_utterances  # noqa: E402


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory, toy_speech_export: tuple) -> Any:
    """An ImageClassifier (digits, 0-255 pixels), a SpeechRecognizer (conftest's, exported once a session) and a DQNAgent, each
    exported, and a server of each export."""
    from sklearn.datasets import load_digits

    from hiddenlayers.apps import DQNAgent, ImageClassifier

    d = tmp_path_factory.mktemp("serve_onnx")
    digits = load_digits()
    pixels = (digits.images[:300] * (255 / 16)).astype(np.uint8)
    image = ImageClassifier("conv4k3:same,pool2,16", max_iter=3, early_stopping=False, random_state=0, device="cpu").fit(pixels, digits.target[:300])
    hl.export_onnx(image, d / "image.onnx", X=pixels[:64])
    hl.export_onnx(image, d / "image8.onnx", X=pixels[:64], input_dtype="uint8")
    speech, files = toy_speech_export[0], {"asr": toy_speech_export[1]}
    agent = DQNAgent((8,), learning_starts=10, random_state=0).fit("CartPole-v1", total_steps=30, eval_every=30, eval_episodes=1)
    hl.export_onnx(agent, d / "agent.onnx")
    files.update({name: d / f"{name}.onnx" for name in ("image", "image8", "agent")})
    clients = {name: Client(path, max_rows=16) for name, path in files.items()}
    yield {"dir": d, "files": files, "image": image, "pixels": pixels, "speech": speech, "agent": agent, "clients": clients}
    for c in clients.values():
        c.stop()


def test_the_server_of_an_app_export_imports_no_torch(exports: dict) -> None:
    assert not serving_imports_torch([exports["files"][n] for n in ("image", "asr", "agent")])


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
    refusal = (422, {"error": 'this export reads uint8 pixels 0-255 (exported with input_dtype="uint8"): send them with "dtype": "uint8".'})
    assert client.post("/predict", {"images": (X / 255.0).tolist()}) == refusal
    # 0-255 pixels sent without "dtype": before, the pixel rule's 422 came first, whose "or float pixels divided by 255"
    # only led to the refusal above; the dtype is the fix, so it is said first
    assert client.post("/predict", {"images": X.tolist()}) == refusal
    assert client.post("/predict", {"images": X.astype(float).tolist(), "dtype": "float32"}) == refusal


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

    assert set(_ONNX_ADAPTERS) == set(ONNX_APPS)  # a new exportable app needs its adapter


def test_a_batch_joining_uint8_and_float_requests_to_an_image_export(exports: dict) -> None:
    clf, X = exports["image"], exports["pixels"][:4]
    model = open_served(exports["dir"] / "image.onnx")
    rows = model.rows({"images": X[:2].tolist(), "dtype": "uint8"}, 16) + model.rows({"images": (X[2:] / 255.0).tolist()}, 16)
    np.testing.assert_allclose(model.predict(rows, True), clf.predict_proba(X), atol=1e-5)
    with pytest.raises(RequestError, match=r"images\[0\] has shape \(7,\)"):
        model.rows({"images": [[0] * 7]}, 16)


@pytest.fixture(scope="module")
def rsf_exports(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Tiny fitted apps, each exported, and a server of each export that the tests post to over HTTP."""
    import pandas as pd

    from hiddenlayers.apps import Forecaster, Recommender, SequenceClassifier

    d = tmp_path_factory.mktemp("serve_onnx_more")
    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"user": rng.integers(0, 20, 300), "item": rng.integers(0, 15, 300)})
    rec = Recommender(hidden_layer_sizes=(4,), max_iter=3, random_state=0, device="cpu").fit(pairs, rng.normal(3, 1, 300))
    hl.export_onnx(rec, d / "rec.onnx")
    named = pd.DataFrame({"user": [f"u{u}" for u in pairs["user"]], "item": [f"i{i}" for i in pairs["item"]]})
    rec_s = Recommender(max_iter=2, random_state=0, device="cpu").fit(named, rng.normal(3, 1, 300))
    hl.export_onnx(rec_s, d / "rec_s.onnx")
    frames = _frames(rng, rng.integers(4, 13, size=120))
    labels = np.array(["up" if x[:, 0].mean() > 1 else "down" for x in frames])
    kw: dict[str, Any] = {"max_iter": 3, "early_stopping": False, "device": "cpu", "random_state": 0}
    seq = SequenceClassifier("conv4k3:same,gap,4", **kw).fit(frames, labels)  # a dynamic steps axis (a recurrent layer too: its export is slower)
    pool = SequenceClassifier("conv4k3:same,pool2,gap,4", **kw).fit(frames, labels)  # pooling fixes the graph at the longest in fit (12)
    even = [f[:4] for f in frames]
    flat = SequenceClassifier("conv4k3:same,4", **kw).fit(even, labels)  # the time axis flattened: exactly 4 steps
    cut = SequenceClassifier("conv4k3:same,gap,4", max_len=6, **kw).fit(frames, labels)  # the graph cuts each sequence at 6 steps
    for name, app, X in (("seq", seq, frames[:30]), ("pool", pool, frames[:30]), ("flat", flat, even[:30]), ("cut", cut, frames[:30])):
        hl.export_onnx(app, d / f"{name}.onnx", X=X)
    series = 5 + 3 * np.sin(np.arange(200) / 4) + rng.normal(0, 0.1, 200)
    fc = Forecaster(window=6, horizon=2, hidden_layer_sizes=(8,), target="delta", max_iter=20, early_stopping=False, random_state=0, device="cpu")
    fc.fit(series)
    hl.export_onnx(fc, d / "fc.onnx", X=series)
    apps = {"rec": rec, "rec_s": rec_s, "seq": seq, "pool": pool, "flat": flat, "cut": cut, "fc": fc, "series": series}
    clients = {name: Client(d / f"{name}.onnx", max_rows=16) for name in ("rec", "seq", "fc")}
    yield {"dir": d, "clients": clients, **apps}
    for c in clients.values():
        c.stop()


def test_the_server_of_a_recommender_sequence_or_forecaster_export_imports_no_torch(rsf_exports: dict) -> None:
    assert not serving_imports_torch([rsf_exports["dir"] / f"{n}.onnx" for n in ("rec", "seq", "fc")])


def _frames(rng: np.random.Generator, lengths: Any) -> list[np.ndarray]:
    return [rng.normal(size=(int(t), 3)) * 2 + 1 for t in lengths]


def _older(path: Path, out: Path, key: str, field: str | None = None) -> None:
    """``path`` as an older export wrote it: without the metadata ``key`` (or only its JSON ``field``, or fields "a,b"), saved to ``out``."""
    import json

    import onnx

    proto = onnx.load(str(path))
    kept = [p for p in proto.metadata_props if p.key != key or field is not None]
    for p in kept:
        if p.key == key:
            p.value = json.dumps({k: v for k, v in json.loads(p.value).items() if k not in (field or "").split(",")})
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    onnx.save(proto, str(out))


def _rated(model: Any, body: dict) -> dict:
    return model.answer(model.predict(model.rows(body, 16), False), False)


def test_recommender_export_rates_pairs_as_the_recommender_unseen_ids_included(rsf_exports: dict) -> None:
    rec, client = rsf_exports["rec"], rsf_exports["clients"]["rec"]
    users, items = [0, 3, 19, 25, 2**70, 7, 40], [1, 14, 99, 2, 5, 3.0, 77]  # unseen: rows 2 to 4 (one side each, a huge id) and 6 (both)
    status, got = client.post("/predict", {"users": users, "items": items})
    assert status == 200 and got["unseen"] == [2, 3, 4, 6]
    with pytest.warns(UserWarning, match="4 of 7 rows"):
        want = rec.predict((users, [int(i) for i in items]))
    np.testing.assert_allclose(got["predictions"], want, rtol=1e-5, atol=1e-5)
    assert len(set(np.round(got["predictions"], 6))) > 3  # distinct ratings: equal answers mean something
    safe = open_served(rec)
    assert _rated(safe, {"users": users, "items": items})["unseen"] == got["unseen"]  # as the .safetensors server says
    status, meta = client.request("GET", "/metadata")
    assert meta["format"] == "onnx" and meta["estimator"] == "Recommender" and "torch" not in meta["versions"]
    assert meta["input"] == {**safe.inputs()} and meta["input"]["n_users"] == 20
    assert client.request("GET", "/ready")[0] == 200
    assert client.post("/predict", {"users": ["a"], "items": [1]}) == (
        422, {"error": "users[0] is 'a', but the model's user ids are integers: send them as integers, so that known ids are found."})
    assert client.post("/predict", {"users": [1, 2], "items": [1]})[0] == 400
    assert client.post("/predict_proba", {"users": [1], "items": [1]})[0] == 400


def test_recommender_export_of_string_ids(rsf_exports: dict) -> None:
    rec, model = rsf_exports["rec_s"], open_served(rsf_exports["dir"] / "rec_s.onnx")
    users, items = ["u1", "u19", "nobody", "u4"], ["i0", "i3", "i2", "new"]
    got = _rated(model, {"users": users, "items": items})
    assert got["unseen"] == [2, 3]
    with pytest.warns(UserWarning, match="2 of 4 rows"):
        want = rec.predict((users, items))
    np.testing.assert_allclose(got["predictions"], want, rtol=1e-5, atol=1e-5)
    with pytest.raises(RequestError, match="the model's item ids are strings"):
        model.rows({"users": ["u1"], "items": [3]}, 16)


def test_a_recommender_export_without_its_fitted_ids_is_refused_saying_to_export_again(rsf_exports: dict, tmp_path: Path) -> None:
    _older(rsf_exports["dir"] / "rec.onnx", tmp_path / "old.onnx", "recommender_ids")
    with pytest.raises(ModelFileError, match=r"without the fitted ids .* export it again with `hiddenlayers export`, or serve the Recommender's "
                                             r"\.safetensors file\.$"):
        open_served(tmp_path / "old.onnx")


def test_sequence_export_classifies_frames_as_the_classifier_any_length(rsf_exports: dict) -> None:
    clf, client = rsf_exports["seq"], rsf_exports["clients"]["seq"]
    seqs = _frames(np.random.default_rng(1), [1, 7, 12, 20, 3])  # one batch of mixed lengths, 20 longer than any in fit
    body = {"sequences": [s.tolist() for s in seqs]}
    status, got = client.post("/predict_proba", body)
    assert status == 200 and got["classes"] == ["down", "up"]
    np.testing.assert_allclose(got["probabilities"], clf.predict_proba(seqs), atol=1e-5)
    assert client.post("/predict", body) == (200, {"predictions": clf.predict(seqs).tolist(), "model_version": 1})
    status, meta = client.request("GET", "/metadata")
    assert meta["format"] == "onnx" and meta["estimator"] == "SequenceClassifier" and "torch" not in meta["versions"]
    assert meta["input"] == open_served(clf).inputs() and meta["input"]["max_steps"] == 1000
    assert client.request("GET", "/ready")[0] == 200
    status, got = client.post("/predict", {"sequences": [[[0.0, 0.0, 0.0]] * 1001]})
    assert status == 413 and "over this server's limit of 1000" in got["error"]
    assert client.post("/predict", {"sequences": [[[0.0, 0.0]]]}) == (
        422, {"error": "sequences[0] must be a list of frames, each a list of 3 numbers, as the model was fitted on. Received shape (1, 2)."})
    assert client.post("/predict", {"sequence": []})[0] == 400


def test_a_sequence_export_fixed_by_pooling_reads_up_to_the_fitted_length(rsf_exports: dict) -> None:
    clf, model = rsf_exports["pool"], open_served(rsf_exports["dir"] / "pool.onnx")
    seqs = _frames(np.random.default_rng(2), [12, 2, 5, 9])
    got = model.predict(model.rows({"sequences": [s.tolist() for s in seqs]}, 16), True)
    np.testing.assert_allclose(got, clf.predict_proba(seqs), atol=1e-5)
    assert open_served(clf).rows({"sequences": [[[0.0] * 3] * 13]}, 16)  # the .safetensors server reads 13 steps; the export's graph cannot
    with pytest.raises(RequestError, match=r"^sequences\[0\] has 13 steps, but this export's graph is fixed at 12 steps \(the longest sequence in fit\): "
                                           r"send at most 12, or serve the SequenceClassifier's \.safetensors file, which reads longer ones\.$"):
        model.rows({"sequences": [[[0.0] * 3] * 13]}, 16)
    assert model.inputs()["max_steps"] == 12


def test_a_sequence_export_with_max_len_cuts_longer_sequences_as_predict_does(rsf_exports: dict) -> None:
    clf, model = rsf_exports["cut"], open_served(rsf_exports["dir"] / "cut.onnx")
    seqs = _frames(np.random.default_rng(4), [30, 2, 6, 9])  # predict reads each one's first 6 steps
    np.testing.assert_allclose(model.predict(model.rows({"sequences": [s.tolist() for s in seqs]}, 16), True), clf.predict_proba(seqs), atol=1e-5)
    assert model.inputs()["max_steps"] is None and model.inputs()["max_len"] == 6 and model.graph_steps is None  # a dynamic graph


def test_a_sequence_export_that_flattens_time_reads_the_fitted_length_only(rsf_exports: dict) -> None:
    clf, model = rsf_exports["flat"], open_served(rsf_exports["dir"] / "flat.onnx")
    seqs = _frames(np.random.default_rng(3), [4, 4, 4])
    np.testing.assert_allclose(model.predict(model.rows({"sequences": [s.tolist() for s in seqs]}, 16), True), clf.predict_proba(seqs), atol=1e-5)
    with pytest.raises(RequestError, match=r"sequences\[0\] has 3 steps, but this model's layers flatten the time axis: every sequence needs 4 steps"):
        model.rows({"sequences": [[[0.0] * 3] * 3]}, 16)


def test_an_older_sequence_export_fixed_at_the_fitted_length_reads_only_that_length(rsf_exports: dict, tmp_path: Path) -> None:
    _older(rsf_exports["dir"] / "pool.onnx", tmp_path / "old.onnx", "sequence", "fixed_length")  # pooling or flattening: it does not say
    model = open_served(tmp_path / "old.onnx")
    assert len(model.rows({"sequences": [[[0.0] * 3] * 12]}, 16)) == 1
    with pytest.raises(RequestError, match="every sequence needs 12 steps"):
        model.rows({"sequences": [[[0.0] * 3] * 5]}, 16)


def test_forecaster_export_forecasts_as_the_forecaster_recursively_past_its_horizon(rsf_exports: dict) -> None:
    fc, client, series = rsf_exports["fc"], rsf_exports["clients"]["fc"], rsf_exports["series"]
    tails = [series[:50], series[:80].tolist() + [7.5], series[-30:]]  # histories of different lengths: the last window of each is read
    body = {"series": [list(map(float, t)) for t in tails], "steps": 9}  # horizon 2: five passes, each block fed back
    status, got = client.post("/predict", body)
    assert status == 200
    np.testing.assert_allclose(got["forecasts"], fc.forecast_many(9, [np.asarray(t, dtype=float) for t in tails]), rtol=1e-4, atol=1e-4)
    assert np.ptp(np.asarray(got["forecasts"])[0]) > 0.1  # a forecast that moves: equal answers mean something
    status, got = client.post("/predict", {"series": [series[:40].tolist()]})  # steps: the horizon by default
    np.testing.assert_allclose(got["forecasts"], [fc.forecast(2, series[:40])], rtol=1e-4, atol=1e-4)
    status, meta = client.request("GET", "/metadata")
    assert meta["format"] == "onnx" and meta["estimator"] == "Forecaster" and "torch" not in meta["versions"]
    assert meta["input"] == open_served(fc).inputs() and meta["input"]["steps"] == {"default": 2, "max": 1000}
    assert client.request("GET", "/ready")[0] == 200
    assert client.post("/predict", {"series": [series[:40].tolist()], "steps": 1001}) == (
        422, {"error": "\"steps\" must be 1 to 1000 (this server's limit for one forecast). Received: 1001."})
    assert client.post("/predict", {"series": [[1.0, 2.0]]}) == (
        422, {"error": "series[0] has 2 values, but the model reads the last window=6: send at least 6."})
    assert client.post("/predict", {"series": [[1.0] * 5 + [None]]})[0] == 422
    assert client.post("/predict", {"serie": []})[0] == 400


def test_a_forecaster_export_checks_values_against_its_stored_scaling_and_float32(rsf_exports: dict, tmp_path: Path) -> None:
    fc = rsf_exports["fc"]
    assert fc.scale_ > 1.5  # the series' spread: the values below are within float32 once scaled, and beyond it raw
    model, safe = open_served(rsf_exports["dir"] / "fc.onnx"), open_served(fc)
    for served in (model, safe):
        with pytest.raises(RequestError, match=r"^series\[0\] holds 1e\+39, beyond .* after the model's scaling"):
            served.rows({"series": [[1.0] * 5 + [1e39]]}, 16)
    assert len(safe.rows({"series": [[1.0] * 5 + [4.5e38]]}, 16)) == 1  # PyTorch scales it in float64 first; the graph reads it as float32:
    with pytest.raises(RequestError, match=r"^series\[0\] holds 4\.5e\+38, beyond .*, which this export reads"):
        model.rows({"series": [[1.0] * 5 + [4.5e38]]}, 16)
    _older(rsf_exports["dir"] / "fc.onnx", tmp_path / "old.onnx", "forecaster", "mean,scale")  # before the scaling was stored
    old = open_served(tmp_path / "old.onnx")
    assert len(old.rows({"series": [[1.0] * 5 + [3e38]]}, 16)) == 1
    with pytest.raises(RequestError, match=r"^series\[0\] holds 4\.5e\+38, beyond"):
        old.rows({"series": [[1.0] * 5 + [4.5e38]]}, 16)
