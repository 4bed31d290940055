"""`hiddenlayers serve` of a Translator file (ship/_serve/app_translate.py): its request form, answers as its own predict, errors."""

from __future__ import annotations

import json
import threading
import warnings
from typing import Any

import pytest
from hypothesis import given, settings

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")

from hiddenlayers.ship._serve.app_model import open_served  # noqa: E402
from serve_helpers import Client, json_bodies, rows_or_refusal  # noqa: E402

ENGLISH = ["the cat sleeps", "the dog eats", "a cat eats", "the dog sleeps"] * 3
SPANISH = ["el gato duerme", "el perro come", "un gato come", "el perro duerme"] * 3
ASKED = ["the cat eats", "a dog", "the dog sleeps", "", "the zebra sleeps"]


def tr_note(texts: list[str]) -> str:
    """The answer's note on ``texts`` holding "the zebra sleeps", whose 'zebra' the toy pairs lack."""
    return (f"1 of {len(texts)} source sentences have words not seen in fit (1 distinct: 'zebra'): each reads as the unknown token, "
            "which the model cannot translate (with copy_unknown a translation may copy it through as is).")


@pytest.fixture(scope="module")
def translator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A tiny Translator that has learnt the toy pairs (so its answers are words, not empty), saved, and a server of its file."""
    from hiddenlayers.apps import Translator

    tr = Translator(hidden_size=16, embed_dim=8, max_iter=30, learning_rate_init=2e-2, early_stopping=False, random_state=0, device="cpu").fit(ENGLISH, SPANISH)
    path = tmp_path_factory.mktemp("serve_translate") / "translate.safetensors"
    tr.save(path)
    client = Client(path, max_rows=8)
    yield {"tr": tr, "path": path, "client": client}
    client.stop()


def test_translations_are_its_predict_greedy_and_by_beam_search(translator: dict) -> None:
    tr, client = translator["tr"], translator["client"]
    assert tr.predict(ASKED[:3]) == ["el gato come", "un perro come", "el perro duerme"]  # it learnt: equal answers mean something
    note = [tr_note(ASKED)]
    with pytest.warns(UserWarning):
        greedy, beam = tr.predict(ASKED), tr.predict(ASKED, beam_size=3)
    assert greedy[3] == beam[3] == ""  # the empty text
    assert client.post("/predict", {"texts": ASKED}) == (200, {"translations": greedy, "notes": note, "model_version": 1})
    assert client.post("/predict", {"texts": ASKED, "beam_size": 3}) == (200, {"translations": beam, "notes": note, "model_version": 1})
    assert client.post("/predict", {"texts": ASKED[:3]}) == (200, {"translations": tr.predict(ASKED[:3]), "model_version": 1})  # all known: no notes
    assert client.post("/predict", {"texts": ASKED, "beam_size": 3.0})[1]["translations"] == tr.predict(ASKED, beam_size=3)


def test_one_batch_of_requests_with_other_beam_widths_translates_each_as_asked(translator: dict) -> None:
    tr = translator["tr"]
    model = open_served(translator["path"])
    rows = model.rows({"texts": ASKED[:2], "beam_size": 4}, 8) + model.rows({"texts": ASKED[2:]}, 8)
    assert model.predict(rows, False) == tr.predict(ASKED[:2], beam_size=4) + tr.predict(ASKED[2:])


def test_ready_metadata_metrics_and_no_proba(translator: dict) -> None:
    client = translator["client"]
    assert client.request("GET", "/ready") == (200, {"status": "ready", "model_version": 1})
    status, meta = client.request("GET", "/metadata")
    assert status == 200 and meta["estimator"] == "Translator" and meta["format"] == "safetensors"
    assert meta["input"]["beam_size"] == {"default": 1, "max": 64} and meta["input"]["max_tokens"] == 50 and meta["input"]["tokenizer"] == "word"
    assert meta["input"]["normalize"] == "NFC"  # the texts are read in the fitted model's Unicode form
    assert client.post("/predict_proba", {"texts": ["the cat"]}) == (
        400, {"error": "/predict_proba needs a classifier; a Translator answers /predict with translations."})
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", client.port, timeout=20)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    assert 'endpoint="/predict_proba",status="400"' in text


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"text": ["x"]}, 400, "unknown key 'text': the body takes only 'texts' and 'beam_size'"),
    ({"texts": "the cat"}, 400, '"texts" must be a list of strings. Received: str.'),
    ({"texts": []}, 400, '"texts" is empty: send at least one.'),
    ({"texts": ["the cat", 3]}, 400, "texts[1] must be a string. Received: int."),
    ({"texts": ["x"] * 9}, 413, '"texts" holds 9 items, more than the limit of 8'),
    ({"texts": ["x"], "beam_size": 0}, 422, '"beam_size" must be 1 to 64 (this server\'s limit). Received: 0.'),
    ({"texts": ["x"], "beam_size": 65}, 422, '"beam_size" must be 1 to 64'),
    ({"texts": ["x"], "beam_size": True}, 400, '"beam_size" must be a whole number (1: greedy). Received: True.'),
])
def test_bad_translation_requests_are_one_line(translator: dict, body: Any, status: int, message: str) -> None:
    got_status, got = translator["client"].post("/predict", body)
    assert got_status == status and message in got["error"] and "\n" not in got["error"]


def test_concurrent_requests_each_get_their_own_translations(translator: dict) -> None:
    tr, client = translator["tr"], translator["client"]
    bodies = [{"texts": ASKED[i % 5 : i % 5 + 2], "beam_size": 1 + i % 3} for i in range(12)]
    answers: list[Any] = [None] * len(bodies)

    def send(i: int) -> None:
        answers[i] = client.request("POST", "/predict", json.dumps(bodies[i]).encode())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for body, answer in zip(bodies, answers):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "the zebra sleeps": its note is in the answer
            expected = {"translations": tr.predict(body["texts"], beam_size=body["beam_size"])}
        if "the zebra sleeps" in body["texts"]:
            expected["notes"] = [tr_note(body["texts"])]
        assert answer == (200, {**expected, "model_version": 1})


@settings(max_examples=60, deadline=None)
@given(body=json_bodies(["texts", "beam_size"]))
def test_any_json_body_is_checked_or_refused_never_a_crash(translator: dict, body: Any) -> None:
    """Whatever JSON arrives, the parser answers (text, beam width) items or a one-line RequestError (a 4xx), nothing else."""
    rows = rows_or_refusal(translator.setdefault("served", open_served(translator["path"])), body, 8)
    assert rows is None or (rows and all(isinstance(t, str) and 1 <= k <= 64 for t, k in rows))
