"""`hiddenlayers serve` on application files: each app's request form, its answers against its own methods, errors, reload.

The server runs in this process (uvicorn in a thread on a free loopback port), so
the tests share the fitted apps; the table path's own tests are test_serve.py.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")


from cli_helpers import assert_user_error, run  # noqa: E402
from hiddenlayers.apps import Autoencoder, Forecaster, ImageClassifier, Recommender, SequenceClassifier, TextClassifier  # noqa: E402
from hiddenlayers.ship._serve.app_model import open_served  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError  # noqa: E402
from serve_helpers import Client, _free_port, assert_float32_digits  # noqa: E402

TEXTS = ["a fine film", "a dull mess", "fine acting", "a dull plot", "what a fine cast", "dull and slow"] * 4
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg"] * 4
ASKED = ["a fine mess", "never seen words", "", "DULL dull", "fine"]


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One tiny fitted model of each served app, saved; the apps loaded back from their files answer exactly as these."""
    from sklearn.datasets import load_digits

    d = tmp_path_factory.mktemp("serve_apps")
    text = TextClassifier("embed8,gru8", max_iter=2, early_stopping=False, random_state=0, device="cpu").fit(TEXTS, LABELS)
    text2 = TextClassifier("embed8,gru8", max_iter=2, early_stopping=False, random_state=1, device="cpu").fit(TEXTS, LABELS[::-1])
    digits = load_digits()
    pixels = (digits.images[:100] * (255 / 16)).astype(np.uint8)  # (100, 8, 8), 0-255 as a camera gives them (the tests check answers, not accuracy)
    image = ImageClassifier("conv4k3:same,pool2,16", max_iter=2, early_stopping=False, random_state=0, device="cpu").fit(pixels, digits.target[:100])
    # fitted on float pixels 0-255 (not scaled by 1/255): it takes float pixels of any size
    image_raw = ImageClassifier("conv4k3:same,pool2,16", max_iter=2, early_stopping=False, random_state=0, device="cpu").fit(
        pixels.astype(np.float32), digits.target[:100])
    # fitted on float pixels 2-2.5: off the 0-1 scale, with a spread so small that a float within float32's range overflows it
    image_narrow = ImageClassifier("conv4k3:same,pool2,16", max_iter=2, early_stopping=False, random_state=0, device="cpu").fit(
        pixels.astype(np.float32) / 510 + 2, digits.target[:100])
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    auto = Autoencoder((8,), n_components=2, max_iter=3, early_stopping=False, random_state=0, device="cpu").fit(table)
    users, items = rng.integers(0, 20, 300), rng.choice(["x", "y", "z", "w"], 300)
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=2, early_stopping=False, random_state=0, device="cpu").fit((users, items), rng.uniform(1, 5, 300))
    out: dict[str, Any] = {"dir": d, "pixels": pixels, "table": table}
    for name, model in (("text", text), ("text2", text2), ("image", image), ("image_raw", image_raw), ("image_narrow", image_narrow), ("auto", auto), ("rec", rec)):
        model.save(d / f"{name}.safetensors")
        out[name] = model
    return out


@pytest.fixture(scope="module")
def clients(apps: dict[str, Any]):
    cs = {name: Client(apps["dir"] / f"{name}.safetensors", max_rows=8) for name in ("text", "image", "auto", "rec")}
    yield cs
    for c in cs.values():
        c.stop()


def test_text_classifier_answers_as_its_predict_and_predict_proba(clients: dict, apps: dict) -> None:
    status, got = clients["text"].post("/predict", {"texts": ASKED})
    assert status == 200 and got == {"predictions": apps["text"].predict(ASKED).tolist(), "model_version": 1}
    status, got = clients["text"].post("/predict_proba", {"texts": ASKED})
    assert status == 200 and got["classes"] == ["neg", "pos"]
    np.testing.assert_allclose(got["probabilities"], apps["text"].predict_proba(ASKED), atol=1e-6)


def test_image_classifier_reads_uint8_and_float_pixels_in_every_layout(clients: dict, apps: dict) -> None:
    X = apps["pixels"][:5]
    clf = apps["image"]
    status, got = clients["image"].post("/predict_proba", {"images": X.tolist(), "dtype": "uint8"})
    assert status == 200 and got["classes"] == list(range(10))
    np.testing.assert_allclose(got["probabilities"], clf.predict_proba(X), atol=1e-6)
    F = X / 255.0  # the same pixels as floats 0-1: the app reads them as the uint8 ones
    for layout in (F, F[..., None], F[:, None]):  # (H, W), (H, W, 1), (C, H, W)
        status, got = clients["image"].post("/predict", {"images": layout.tolist()})
        assert status == 200 and got["predictions"] == clf.predict(F).tolist()


def test_autoencoder_answers_scores_and_labels_from_rows_and_columns(clients: dict, apps: dict) -> None:
    rows = apps["table"].iloc[:6]
    ae = apps["auto"]
    want_scores, want_labels = ae.score_samples(rows), ae.predict(rows).tolist()
    for body in ({"rows": rows.to_numpy().tolist()}, {"rows": rows.to_dict("records")}, {"columns": rows.to_dict("list")}):
        status, got = clients["auto"].post("/predict", body)
        assert status == 200 and got["predictions"] == want_labels and got["model_version"] == 1
        np.testing.assert_allclose(got["scores"], want_scores, atol=1e-6)
    assert {-1, 1} >= set(want_labels)


def test_recommender_rates_known_and_unseen_ids_as_its_predict(clients: dict, apps: dict) -> None:
    users, items = [0, 3, 99, 5, 7.0], ["x", "q", "y", "w", "z"]  # 99 and "q" were never seen; 7.0 is the user 7
    status, got = clients["rec"].post("/predict", {"users": users, "items": items})
    with pytest.warns(UserWarning, match="2 of 5 rows have a user"):  # the answer names those rows instead
        want = apps["rec"].predict((np.array([0, 3, 99, 5, 7]), np.array(items)))
    assert status == 200 and got["unseen"] == [1, 2]
    np.testing.assert_allclose(got["predictions"], want, atol=1e-6)


INF = float("inf")
BAD = [
    ("text", "/predict", b'{"text": ["x"]}', 400, "unknown key 'text': the body takes only 'texts'; it must be {\"texts\": [\"a text\", ...]}. Did you mean 'texts'?"),
    ("text", "/predict", b'{"texts": "one text"}', 400, '"texts" must be a list of strings. Received: str.'),
    ("text", "/predict", b'{"texts": ["ok", 3]}', 400, "texts[1] must be a string. Received: int."),
    ("text", "/predict", b'{"texts": []}', 400, '"texts" is empty: send at least one.'),
    ("text", "/predict", json.dumps({"texts": ["x"] * 9}).encode(), 413,
     '"texts" holds 9 items, more than the limit of 8: split it, or start the server with a larger --max-rows (max_rows= of hl.serve).'),
    ("image", "/predict", json.dumps({"images": [[[0] * 7] * 8]}).encode(), 422,
     "images[0] has shape (8, 7), but the model reads 8 x 8 pixels with 1 channel(s): send [8, 8] or [8, 8, 1] or [1, 8, 8], resized as in fit."),
    ("image", "/predict", b'{"images": [[[NaN, 0], [0, 0]]]}', 400, "the body holds NaN, which is not JSON: send null for a missing value, a finite number otherwise."),
    ("image", "/predict", json.dumps({"images": [[[INF] * 8] * 8]}).replace("Infinity", "1e400").encode(), 422, "images[0] holds NaN or infinity: send finite pixel values."),
    ("image", "/predict", json.dumps({"images": [[["a"] * 8] * 8]}).encode(), 422, "images[0] must be nested lists of numbers of one shape"),
    ("image", "/predict", json.dumps({"images": [[[300] * 8] * 8], "dtype": "uint8"}).encode(), 422, "images[0] holds values that are not whole numbers 0-255"),
    ("image", "/predict", json.dumps({"images": [[[0] * 8] * 8], "dtype": "int8"}).encode(), 400, '"dtype" must be "float32" (pixels as given) or "uint8"'),
    ("auto", "/predict", b'{"rows": [[1, 2, 3, -Infinity]]}', 400, "the body holds -Infinity, which is not JSON: send null for a missing value"),
    ("auto", "/predict", b'{"rows": [[1, 2, 3, 1e400]]}', 422, "row 1, column 'd' is infinite: send a finite number, or null for missing."),
    ("auto", "/predict", b'{"rows": [[1, 2, 3, null]]}', 422, "row 1, column 'd' is missing (null or NaN)"),
    ("auto", "/predict", b'{"rows": [{"a": 1, "b": 2, "c": 3, "dd": 4}]}', 422, "row 1: unknown column 'dd' (did you mean 'd'?)"),
    ("auto", "/predict", b'{"rows": []}', 400, "the request holds no rows: send at least one."),
    ("auto", "/predict", b'{"row": [[1, 2, 3, 4]]}', 400, "unknown key 'row': the body takes only 'rows' and 'columns'; it must be a JSON object"),
    ("auto", "/predict", b'{"rows": [[1, 2, 3, 4]], "threshold": 0}', 400, "unknown key 'threshold': the body takes only 'rows' and 'columns'"),
    ("rec", "/predict", b'{"users": [1], "items": ["x"], "user": 2}', 400, "unknown key 'user': the body takes only 'users' and 'items'; it must be"),
    ("auto", "/predict_proba", b'{"rows": [[1, 2, 3, 4]]}', 400, "/predict_proba needs a classifier; an Autoencoder answers /predict with scores"),
    ("rec", "/predict", b'{"users": [1, 2], "items": ["x"]}', 400, '"users" has 2 ids but "items" has 1: send one user and one item per row.'),
    ("rec", "/predict", b'{"users": ["1"], "items": ["x"]}', 422, "users[0] is '1', but the model's user ids are integers: send them as integers"),
    ("rec", "/predict", b'{"users": [1.5], "items": ["x"]}', 422, "users[0] must be an id (an integer or a string). Received: 1.5."),
    ("rec", "/predict", b'{"users": [null], "items": ["x"]}', 422, "users[0] must be an id (an integer or a string). Received: None."),
    ("rec", "/predict", b'{"users": [1]}', 400, "the body has no 'items'"),
    ("rec", "/predict_proba", b'{"users": [1], "items": ["x"]}', 400, "/predict_proba needs a classifier; a Recommender answers /predict with ratings."),
]


@pytest.mark.parametrize(("app", "path", "body", "status", "message"), BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_requests_get_a_one_line_4xx(clients: dict, app: str, path: str, body: bytes, status: int, message: str) -> None:
    got_status, got = clients[app].request("POST", path, body)
    assert got_status == status and list(got) == ["error"] and message in got["error"] and "\n" not in got["error"], got


def _arrow(frame: pd.DataFrame) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def test_arrow_bodies_are_table_rows_for_the_autoencoder_and_415_for_a_text_model(clients: dict, apps: dict) -> None:
    rows, arrow = apps["table"].iloc[:3], {"Content-Type": "application/vnd.apache.arrow.stream"}
    status, got = clients["auto"].request("POST", "/predict", _arrow(rows), arrow)
    assert status == 200 and got["predictions"] == apps["auto"].predict(rows).tolist()
    status, got = clients["text"].request("POST", "/predict", _arrow(pd.DataFrame({"texts": ["x"]})), arrow)
    assert (status, got) == (415, {"error": 'an Arrow body carries table rows, but this model is a TextClassifier: send JSON {"texts": ["a text", ...]}.'})


def test_metadata_shows_each_apps_input_form(clients: dict) -> None:
    meta = {name: c.request("GET", "/metadata")[1] for name, c in clients.items()}
    assert meta["text"]["estimator"] == "TextClassifier" and meta["text"]["input"]["body"] == '{"texts": ["a text", ...]}'
    assert meta["image"]["input"]["image_shape"] == [1, 8, 8] and meta["image"]["classes"] == list(range(10))
    assert [c["name"] for c in meta["auto"]["input"]["columns"]] == ["a", "b", "c", "d"]
    assert meta["rec"]["input"]["user_ids"] == "integers" and meta["rec"]["input"]["item_ids"] == "strings"
    assert all(m["sha256"] and m["model_version"] == 1 for m in meta.values())


def test_reload_swaps_in_a_new_app_file(apps: dict, tmp_path: Path) -> None:
    path = tmp_path / "live.safetensors"
    apps["text"].save(path)
    c = Client(path, reload_token="t0k")
    try:
        assert c.post("/predict", {"texts": ASKED})[1]["predictions"] == apps["text"].predict(ASKED).tolist()
        apps["text2"].save(path)
        status, got = c.request("POST", "/reload", b"", {"Authorization": "Bearer t0k"})
        assert status == 200 and got["model_version"] == 2
        status, got = c.post("/predict_proba", {"texts": ASKED})
        assert got["model_version"] == 2
        np.testing.assert_allclose(got["probabilities"], apps["text2"].predict_proba(ASKED), atol=1e-6)
        assert c.request("GET", "/metadata")[1]["model_version"] == 2
    finally:
        c.stop()


def test_a_fitted_app_object_is_served_too(apps: dict) -> None:
    c = Client(apps["auto"])
    try:
        status, got = c.post("/predict", {"rows": apps["table"].iloc[:2].to_numpy().tolist()})
        assert status == 200 and got["predictions"] == apps["auto"].predict(apps["table"].iloc[:2]).tolist()
    finally:
        c.stop()


def test_every_saved_app_is_served_and_other_inputs_are_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from hiddenlayers.apps._appfile import save_app
    from hiddenlayers.exceptions import ModelFileError
    from hiddenlayers.ship._serve import app_model

    path = tmp_path / "future.safetensors"
    save_app(path, "Teleporter", {}, {}, {"w": torch.zeros(1)})  # a kind this version does not know: the loader's own refusal
    assert_user_error(run("serve", path, "--port", _free_port()), "holds an unknown model kind 'Teleporter'")
    monkeypatch.setattr(app_model, "_ADAPTERS", {k: v for k, v in app_model._ADAPTERS.items() if k != "ImageClassifier"})
    apps_path = tmp_path / "image.safetensors"
    with pytest.raises(ModelFileError, match="holds an ImageClassifier, which the server does not serve: it serves MLPClassifier, MLPRegressor, "
                       "TextClassifier, ImageClassifier, SequenceClassifier, SpeechRecognizer, Translator, Autoencoder, Recommender, Forecaster and DQNAgent files."):
        ImageClassifier("4", max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(np.zeros((4, 3, 3)), [0, 1, 0, 1]).save(apps_path)
        open_served(apps_path)
    with pytest.raises(TypeError, match="Forecaster or DQNAgent. Received: object."):
        open_served(object())  # neither a path nor a model


def test_an_unfitted_app_is_one_not_fitted_error() -> None:
    from hiddenlayers.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="this TextClassifier instance is not fitted yet"):
        open_served(TextClassifier())


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["texts", "images", "users", "items", "rows", "dtype", "x"]), inner, max_size=3),
                     max_leaves=12)


@settings(max_examples=60)
@given(body=_JSON)
def test_any_json_body_is_checked_or_refused_never_a_crash(apps: dict, body: Any) -> None:
    """Whatever JSON arrives, each app's parser answers checked items or a RequestError (a 4xx), nothing else."""
    for name in ("text", "image", "auto", "rec"):
        model = _served(apps, name)
        try:
            model.rows(body, 8)
        except RequestError as exc:
            assert 400 <= exc.status < 500 and "\n" not in str(exc)


_SERVED: dict[str, Any] = {}


def _served(apps: dict, name: str) -> Any:
    if name not in _SERVED:
        _SERVED[name] = open_served(apps[name])
    return _SERVED[name]


# -- SequenceClassifier and Forecaster (ship/_serve/app_seq.py) ------------------------------------------------------------

def _frames(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    return [rng.normal(size=(int(t), 3)) for t in rng.integers(2, 9, size=n)]  # (T, 3) each, ragged lengths


@pytest.fixture(scope="module")
def seq_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A frames and a token-id SequenceClassifier, one cut at max_len, and a Forecaster (horizon 2, so longer forecasts recurse), saved."""
    d = tmp_path_factory.mktemp("serve_seq")
    rng = np.random.default_rng(0)
    frames, labels = _frames(rng, 40), np.tile(["a", "b"], 20)
    ids = [rng.integers(0, 12, size=int(t)) for t in rng.integers(2, 9, size=40)]
    kw: dict[str, Any] = {"max_iter": 1, "early_stopping": False, "random_state": 0, "device": "cpu"}
    out: dict[str, Any] = {
        "dir": d, "frames": frames, "ids": ids,
        "seq": SequenceClassifier("gru8,4", **kw).fit(frames, labels),
        "seqids": SequenceClassifier("embed4,gru4", **kw).fit(ids, labels),
        "seqcut": SequenceClassifier("gru4", max_len=5, **kw).fit(frames, labels),
        "fc": Forecaster(window=6, horizon=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0, device="cpu").fit(np.sin(np.arange(80) / 4)),
    }
    for name in ("seq", "seqids", "seqcut", "fc"):
        out[name].save(d / f"{name}.safetensors")
    return out


@pytest.fixture(scope="module")
def seq_clients(seq_apps: dict[str, Any]):
    cs = {name: Client(seq_apps["dir"] / f"{name}.safetensors", max_rows=8) for name in ("seq", "seqids", "fc")}
    yield cs
    for c in cs.values():
        c.stop()


def test_sequence_classifier_answers_frames_and_token_ids_as_its_predict(seq_clients: dict, seq_apps: dict) -> None:
    for name, X in (("seq", seq_apps["frames"][:6]), ("seqids", seq_apps["ids"][:6])):
        clf, body = seq_apps[name], {"sequences": [x.tolist() for x in X]}  # ragged lengths in one request
        status, got = seq_clients[name].post("/predict", body)
        assert status == 200 and got == {"predictions": clf.predict(X).tolist(), "model_version": 1}
        status, got = seq_clients[name].post("/predict_proba", body)
        assert status == 200 and got["classes"] == ["a", "b"]
        np.testing.assert_allclose(got["probabilities"], clf.predict_proba(X), atol=1e-6)


def test_sequences_past_max_len_are_cut_as_the_app_cuts_them(seq_apps: dict) -> None:
    X = [np.random.default_rng(1).normal(size=(4000, 3))] + seq_apps["frames"][:2]  # 4000 steps: over any limit, but max_len=5 reads 5
    model = open_served(seq_apps["seqcut"])
    np.testing.assert_allclose(model.predict(model.rows({"sequences": [x.tolist() for x in X]}, 8), True), seq_apps["seqcut"].predict_proba(X), atol=1e-6)
    assert model.metadata()["input"]["max_steps"] is None


def test_forecaster_answers_as_forecast_for_direct_and_recursive_steps(seq_clients: dict, seq_apps: dict) -> None:
    fc = seq_apps["fc"]
    series = [np.sin(np.arange(k, k + 6 + k) / 4).tolist() for k in range(4)]  # 6 to 9 values: the last window is read
    for steps in (None, 1, 5):
        status, got = seq_clients["fc"].post("/predict", {"series": series} if steps is None else {"series": series, "steps": steps})
        assert status == 200 and got["model_version"] == 1
        np.testing.assert_allclose(got["forecasts"], [fc.forecast(steps or 2, s) for s in series], atol=1e-6)
    model = open_served(fc)  # one batch of two requests with different steps: each gets its own length
    rows = model.rows({"series": series[:2], "steps": 3}, 8) + model.rows({"series": series[2:]}, 8)
    got = model.predict(rows, False)
    assert [len(g) for g in got] == [3, 3, 2, 2]
    for g, s in zip(got, series):
        np.testing.assert_allclose(g, fc.forecast(len(g), s), atol=1e-6)



def test_every_apps_numbers_have_float32s_shortest_digits_as_predict_writes_them(clients: dict, apps: dict, seq_clients: dict, seq_apps: dict) -> None:
    # before: the apps' answers held float64's digits of float32 values (0.30000001192092896 where `predict` writes 0.3)
    status, got = clients["text"].post("/predict_proba", {"texts": ASKED})
    assert status == 200
    assert_float32_digits(got["probabilities"], apps["text"].predict_proba(ASKED))
    rows = apps["table"].iloc[:6]
    status, got = clients["auto"].post("/predict", {"rows": rows.to_numpy().tolist()})
    assert status == 200
    assert_float32_digits(got["scores"], apps["auto"].score_samples(rows))
    status, got = clients["rec"].post("/predict", {"users": [0, 3, 5], "items": ["x", "y", "w"]})
    assert status == 200
    assert_float32_digits(got["predictions"], apps["rec"].predict((np.array([0, 3, 5]), np.array(["x", "y", "w"]))))
    X = seq_apps["frames"][:4]
    status, got = seq_clients["seq"].post("/predict_proba", {"sequences": [x.tolist() for x in X]})
    assert status == 200
    assert_float32_digits(got["probabilities"], seq_apps["seq"].predict_proba(X))
    series = [np.sin(np.arange(k, k + 7) / 4).tolist() for k in range(3)]
    status, got = seq_clients["fc"].post("/predict", {"series": series, "steps": 3})
    assert status == 200
    assert_float32_digits(got["forecasts"], seq_apps["fc"].forecast_many(3, np.array([s[-6:] for s in series])))  # the batch's one call


def test_a_forecast_that_overflows_is_a_422_and_the_batch_uses_forecast_many(seq_apps: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    fc, model = seq_apps["fc"], open_served(seq_apps["fc"])
    calls: list[int] = []
    many = fc.forecast_many
    monkeypatch.setattr(fc, "forecast_many", lambda steps, series: calls.append(len(series)) or many(steps, series))
    rows = model.rows({"series": [[0.1] * 6, [0.2] * 7], "steps": 5}, 8) + model.rows({"series": [[0.3] * 6]}, 8)
    assert [len(g) for g in model.predict(rows, False)] == [5, 5, 2] and calls == [3]  # one call for the whole batch
    huge = [2e38 * float(fc.scale_)] * 6  # within float32 once scaled, but the hidden layer overflows
    bad = model.rows({"series": [[0.1] * 6, huge], "steps": 3}, 8)
    with pytest.raises(RequestError, match=r"^series\[1\]: its forecast is not finite") as e:
        model.predict(bad, False)
    assert e.value.status == 422
    from serve_helpers import batched  # batched with a good request: only the request holding the huge series is refused

    good = model.rows({"series": [[0.2] * 7, [0.3] * 6], "steps": 3}, 8)
    (err, got), batches, passes = batched(model, [bad, good])
    assert batches == [(4, 2)] and passes == [4]
    for g, s in zip(got, model.predict(good, False)):
        np.testing.assert_allclose(g, s, rtol=1e-5, atol=1e-6)
    assert isinstance(err, RequestError) and str(err) == str(e.value)

SEQ_BAD = [
    ("seq", "/predict", {"sequence": [[[0, 0, 0]]]}, 400, "unknown key 'sequence': the body takes only 'sequences'"),
    ("seq", "/predict", {"sequences": [[[0, 0, 0]]] * 9}, 413, '"sequences" holds 9 items, more than the limit of 8'),
    ("seq", "/predict", {"sequences": ["abc"]}, 400, "sequences[0] must be a list of frames. Received: str."),
    ("seq", "/predict", {"sequences": [[]]}, 422, "sequences[0] is empty: send at least one step."),
    ("seq", "/predict", {"sequences": [[[0, 0, 0]], [[0, 0]]]}, 422, "sequences[1] must be a list of frames, each a list of 3 numbers, as the model was fitted on. Received shape (1, 2)."),
    ("seq", "/predict", {"sequences": [[[0, 0, 0], [0, 0]]]}, 422, "sequences[0] must be a list of frames, each a list of 3 numbers, as the model was fitted on: check for text, null"),
    ("seq", "/predict", {"sequences": [[1, 2, 3]]}, 422, "sequences[0] must be a list of frames, each a list of 3 numbers"),
    ("seq", "/predict", {"sequences": [[[0, None, 0]]]}, 422, "sequences[0] must be a list of frames"),
    ("seq", "/predict", b'{"sequences": [[[0, 1e400, 0]]]}', 422, "sequences[0] holds NaN or infinity: send finite values."),
    ("seq", "/predict", {"sequences": [[[0, INF, 0]]]}, 400, "the body holds Infinity, which is not JSON: send null for a missing value"),
    ("seq", "/predict", {"sequences": [[[0, 1e39, 0]]]}, 422, "sequences[0] holds 1e+39, beyond ±3.4e38, the float32 range the model computes in: send a smaller number."),
    ("seq", "/predict", {"sequences": [[[0, 0, 0]] * 1001]}, 413, "sequences[0] has 1001 steps, over this server's limit of 1000 for this model"),
    ("seqids", "/predict", {"sequences": [[1, 2, 12]]}, 422, "sequences[0] holds the token id 12, outside the ids seen in fit (0 to 11): map unseen tokens"),
    ("seqids", "/predict", {"sequences": [[1, -1]]}, 422, "sequences[0] holds the token id -1, outside the ids seen in fit (0 to 11)"),
    ("seqids", "/predict", {"sequences": [[1, 2.5]]}, 422, "sequences[0] must be a list of token ids (integers 0 to 11)"),
    ("seqids", "/predict", {"sequences": [[1, True]]}, 422, "sequences[0] must be a list of token ids (integers 0 to 11)"),
    ("seqids", "/predict", {"sequences": [[[1, 2]]]}, 422, "sequences[0] must be a list of token ids"),
    ("fc", "/predict", {"series": [[0.1] * 5]}, 422, "series[0] has 5 values, but the model reads the last window=6: send at least 6."),
    ("fc", "/predict", b'{"series": [[0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0.1, 1e400, 0.1, 0.1, 0.1, 0.1]]}', 422, "series[1] holds NaN or infinity: fill the gaps first"),
    ("fc", "/predict", {"series": [[0.1] * 6, [0.1, float("nan")] * 4]}, 400, "the body holds NaN, which is not JSON: send null for a missing value"),
    ("fc", "/predict", {"series": [[0.1] * 6, [3e38] * 6]}, 422, "series[1] holds 3e+38, beyond ±3.4e38, the float32 range the model computes in after the model's scaling"),
    ("fc", "/predict", {"series": [[0.1, "x"] * 4]}, 422, "series[0] must be a list of numbers (one value per time step, oldest first)."),
    ("fc", "/predict", {"series": [[0.1] * 6], "steps": 1001}, 422, "\"steps\" must be 1 to 1000 (this server's limit for one forecast). Received: 1001."),
    ("fc", "/predict", {"series": [[0.1] * 6], "steps": 0}, 422, '"steps" must be 1 to 1000'),
    ("fc", "/predict", {"series": [[]]}, 422, "series[0] has 0 values, but the model reads the last window=6: send at least 6."),
    ("fc", "/predict", {"series": [[0.1] * 6], "steps": 10**300}, 422, '"steps" must be 1 to 1000 (this server\'s limit for one forecast). Received: 1e+300.'),
    ("fc", "/predict", {"series": [[0.1] * 6], "steps": "3"}, 400, "\"steps\" must be a whole number of values to forecast. Received: '3'."),
    ("fc", "/predict", {"steps": 3}, 400, "the body has no 'series'"),
    ("fc", "/predict_proba", {"series": [[0.1] * 6]}, 400, "/predict_proba needs a classifier; a Forecaster answers /predict with forecasts."),
]


@pytest.mark.parametrize(("app", "path", "body", "status", "message"), SEQ_BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(SEQ_BAD)])
def test_bad_sequence_and_series_requests_get_a_one_line_4xx(seq_clients: dict, app: str, path: str, body: Any, status: int, message: str) -> None:
    # json.dumps sends inf and NaN as the tokens Infinity / NaN, which are not JSON (refused); 1e400 is JSON and reads as inf
    got_status, got = seq_clients[app].request("POST", path, body if isinstance(body, bytes) else json.dumps(body).encode())
    assert got_status == status and list(got) == ["error"] and message in got["error"] and "\n" not in got["error"], got


def test_metadata_shows_the_sequence_and_forecast_forms_and_limits(seq_clients: dict) -> None:
    meta = {name: c.request("GET", "/metadata")[1] for name, c in seq_clients.items()}
    assert meta["seq"]["estimator"] == "SequenceClassifier" and meta["seq"]["classes"] == ["a", "b"]
    assert meta["seq"]["input"] | {"body": None} == {"body": None, "input_kind": "features", "n_features": 3, "min_steps": 1, "max_steps": 1000,
                                                     "fixed_steps": None, "max_len": None}
    assert meta["seqids"]["input"]["ids"] == [0, 11] and meta["seqids"]["input"]["body"].startswith('{"sequences": [[id, id, ...], ...]}')
    assert meta["fc"]["input"] | {"body": None} == {"body": None, "window": 6, "horizon": 2, "target": "level", "steps": {"default": 2, "max": 1000},
                                                    "freq": None}  # fitted on values without dates: no step
    assert meta["fc"]["classes"] is None and all(m["sha256"] for m in meta.values())


_SEQ_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 20) | st.floats() | st.text(max_size=3),
                         lambda inner: st.lists(inner, max_size=7) | st.dictionaries(st.sampled_from(["sequences", "series", "steps", "x"]), inner, max_size=3),
                         max_leaves=30)


@settings(max_examples=60, deadline=None)
@given(body=_SEQ_JSON)
def test_any_json_body_is_checked_or_refused_by_the_sequence_and_forecast_forms(seq_apps: dict, body: Any) -> None:
    """Whatever JSON arrives, the sequence and forecast parsers answer checked items or a RequestError (a 4xx), nothing else."""
    for name in ("seq", "seqids", "fc"):
        model = _served(seq_apps, name)
        try:
            model.rows(body, 8)
        except RequestError as exc:
            assert 400 <= exc.status < 500 and "\n" not in str(exc)

def test_an_image_beyond_float32_is_refused_alone_before_it_joins_a_batch(apps: dict) -> None:
    served = open_served(apps["dir"] / "image_raw.safetensors")  # fitted on float pixels 0-255: large floats are its scale
    good = apps["pixels"][0].astype(float).tolist()
    with pytest.raises(RequestError) as err:
        served.rows({"images": [good, [[1e300] * 8] * 8]}, 8)  # float32's pass would make it inf and fail every request in its batch
    assert err.value.status == 422 and "images[1] holds values beyond float32's range" in str(err.value)
    assert len(served.rows({"images": [[[3e38] * 8] * 8]}, 8)) == 1  # within float32's range: accepted
    assert served.predict(served.rows({"images": [good]}, 8), False) == apps["image_raw"].predict(apps["pixels"][:1].astype(np.float32)).tolist()
    unit = open_served(apps["dir"] / "image.safetensors")
    assert unit.predict(unit.rows({"images": [good], "dtype": "uint8"}, 8), False) == apps["image"].predict(apps["pixels"][:1]).tolist()


def test_whole_number_pixels_sent_as_floats_to_a_model_fitted_on_uint8_images_are_refused(clients: dict, apps: dict) -> None:
    """JSON has no uint8: 0-255 pixels sent without "dtype": "uint8" arrived as floats and were answered as pixels 255 times
    too bright, with no error. A model fitted on uint8 images (scaled by 1/255: its mean_ + scale_ <= 1.25) refuses them."""
    X = apps["pixels"][:3]
    status, got = clients["image"].post("/predict", {"images": X.tolist()})
    assert status == 422 and got["error"].startswith("images[0] holds float pixels up to ")
    assert 'but the model was fitted on uint8 images 0-255 (scaled by 1/255): send 0-255 pixels with "dtype": "uint8", or divide the floats by 255.' in got["error"]
    status, got = clients["image"].post("/predict", {"images": X.tolist(), "dtype": "uint8"})  # the fix the message names
    assert status == 200 and got["predictions"] == apps["image"].predict(X).tolist()
    edge = np.full((8, 8), 1.5)
    status, got = clients["image"].post("/predict", {"images": [edge.tolist()]})  # up to 1.5: still the 0-1 scale (a little over)
    assert status == 200 and got["predictions"] == apps["image"].predict(edge[None].astype(np.float32)).tolist()
    meta = json.loads(json.dumps(open_served(apps["dir"] / "image.safetensors").inputs()))
    assert '"dtype": "uint8"' in meta["pixels"]
    raw = open_served(apps["dir"] / "image_raw.safetensors")  # fitted on float pixels 0-255: such floats are what it reads
    assert raw.predict(raw.rows({"images": X.astype(float).tolist()}, 8), False) == apps["image_raw"].predict(X.astype(np.float32)).tolist()


def test_standardised_pixels_sent_to_a_model_fitted_on_0_1_pixels_are_refused(apps: dict) -> None:
    """Pixels standardised by torchvision's Normalize((0.5,), (0.5,)), -1 to 1, were answered as 0-1 pixels (under the 1.5 of
    the 0-255 guard): the model standardises its pixels itself. A 422 says to send them before the normalisation."""
    served = open_served(apps["dir"] / "image.safetensors")
    normalised = (apps["pixels"][:2] / 255.0 - 0.5) / 0.5
    with pytest.raises(RequestError) as err:
        served.rows({"images": normalised.tolist()}, 8)
    assert err.value.status == 422 and str(err.value).startswith("images[0] holds float pixels down to -1, but the model was fitted on pixels 0-1 "
                                                                 "and standardises them itself (mean_, scale_): pass the pixels before any normalisation")
    assert len(served.rows({"images": (apps["pixels"][:2] / 255.0 - 0.2).tolist()}, 8)) == 2  # a little below 0: still the 0-1 scale


def test_uint8_pixels_sent_to_a_model_fitted_on_0_255_floats_are_refused(clients: dict, apps: dict) -> None:
    """The converse: "dtype": "uint8" pixels (scaled by 1/255) reached a model fitted on 0-255 floats 255 times too dark and
    were answered at chance, where predict warns and the CLI refuses. A 422 now names "dtype": "float32", which reads them right."""
    X = apps["pixels"][:3]
    raw = open_served(apps["dir"] / "image_raw.safetensors")
    with pytest.raises(RequestError) as err:
        raw.rows({"images": X.tolist(), "dtype": "uint8"}, 8)
    assert err.value.status == 422 and str(err.value) == (
        '"dtype": "uint8" pixels are read as 0-1 (scaled by 1/255), but the model was fitted on float pixels from 0 to 255: '
        'send pixels on its training scale with "dtype": "float32" (0-255 pixels: as given).')
    assert raw.predict(raw.rows({"images": X.tolist(), "dtype": "float32"}, 8), False) == apps["image_raw"].predict(X.astype(np.float32)).tolist()
    status, got = clients["image"].post("/predict", {"images": X.tolist(), "dtype": "uint8"})  # fitted on uint8 images: its scale
    assert status == 200 and got["predictions"] == apps["image"].predict(X).tolist()


def test_an_image_or_row_that_overflows_in_a_batch_fails_only_its_own_request(apps: dict) -> None:
    """ImageClassifier (one dtype, and a uint8 + float32 batch: two passes) and Autoencoder: the 422 names the bad request's own row,
    the good request gets its solo answer, and no request is run again."""
    from serve_helpers import batched

    image = open_served(apps["dir"] / "image_narrow.safetensors")  # fitted off the 0-1 scale: huge floats pass the scale check
    image.beyond_unit = False  # and uint8 pixels, which it refuses (test_uint8_pixels_...): the two-pass batch needs both dtypes
    good = apps["pixels"][:2].tolist()
    huge = [[3e38] * 8] * 8  # within float32's range, so accepted; the convolution overflows
    for dtype in ("float32", "uint8"):
        ok = image.rows({"images": good, "dtype": dtype}, 8)
        bad = image.rows({"images": [good[0], huge]}, 8)
        for proba in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                solo = image.predict(ok, proba)
                (got, err), batches, calls = batched(image, [ok, bad], proba)
            assert batches == [(4, 2)] and calls == [4]
            np.testing.assert_allclose(got, solo, rtol=1e-5, atol=1e-6) if proba else None
            assert proba or got == solo
            assert isinstance(err, RequestError) and err.status == 422 and str(err).startswith("row 2: the model's output is not finite")
    auto = open_served(apps["dir"] / "auto.safetensors")
    ok = auto.rows({"rows": apps["table"].to_numpy()[:2].tolist()}, 8)
    bad = auto.rows({"rows": [[0.0] * 4, [0.0] * 4, [3e38] * 4]}, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (err, got), batches, calls = batched(auto, [bad, ok])
    assert batches == [(5, 2)] and calls == [5]
    assert isinstance(err, RequestError) and str(err).startswith("row 3: the model's output is not finite")
    np.testing.assert_allclose([s for s, _ in got], apps["auto"].score_samples(apps["table"][:2]), rtol=1e-5)


# -- SpeechRecognizer (ship/_serve/app_speech.py) ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A SpeechRecognizer that emits symbols ('a': feature 0 high for 4 frames, 'b': feature 1), saved, and held-out utterances."""
    from hiddenlayers.apps import SpeechRecognizer

    rng = np.random.default_rng(0)

    def utterances(n: int) -> tuple[list[np.ndarray], list[str]]:
        texts = ["".join(rng.choice(list("ab"), size=int(rng.integers(2, 4)))) for _ in range(n)]
        return [np.concatenate([np.eye(3)[[0 if c == "a" else 1] * 4] * 2.0 + rng.normal(0, 0.1, (4, 3)) for c in t]) for t in texts], texts

    X, y = utterances(40)
    rec = SpeechRecognizer("conv8k3:same,pool2,conv8k3:same", max_iter=15, learning_rate_init=1e-2, early_stopping=False, random_state=0, device="cpu").fit(X, y)
    path = tmp_path_factory.mktemp("serve_speech") / "asr.safetensors"
    rec.save(path)
    return {"rec": rec, "path": path, "X": utterances(6)[0]}


def test_speech_recognizer_answers_transcripts_as_its_predict(speech: dict) -> None:
    rec, X = speech["rec"], speech["X"]
    assert sum(map(len, rec.predict(X))) > 6  # it emits symbols, so equal transcripts mean something
    client = Client(speech["path"], max_rows=8)
    try:
        body = [x.tolist() for x in X]  # ragged lengths in one request
        assert client.post("/predict", {"utterances": body}) == (200, {"transcripts": rec.predict(X), "model_version": 1})
        assert client.post("/predict", {"utterances": body, "beam_size": 3}) == (200, {"transcripts": rec.predict(X, beam_size=3), "model_version": 1})
        status, got = client.post("/predict_proba", {"utterances": body})
        assert status == 400 and got == {"error": "/predict_proba needs a classifier; a SpeechRecognizer answers /predict with transcripts."}
        status, meta = client.request("GET", "/metadata")
        assert meta["input"]["alphabet"] == "ab" and meta["input"]["n_features"] == 3 and meta["input"]["min_steps"] == rec.min_length_
    finally:
        client.stop()


def test_one_batch_of_requests_with_other_beam_widths_decodes_each_as_asked(speech: dict) -> None:
    rec, X = speech["rec"], speech["X"]
    model = open_served(speech["path"])
    rows = model.rows({"utterances": [x.tolist() for x in X[:3]]}, 8) + model.rows({"utterances": [x.tolist() for x in X[3:]], "beam_size": 4}, 8)
    assert model.predict(rows, False) == rec.predict(X[:3]) + rec.predict(X[3:], beam_size=4)


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"utterance": []}, 400, "unknown key 'utterance': the body takes only 'utterances' and 'beam_size'"),
    ({"utterances": [[[1.0, 2.0]]]}, 422, "utterances[0] must be a list of frames, each a list of 3 numbers"),
    ({"utterances": [[[1.0, 2.0, float("nan")]] * 4]}, 422, "utterances[0] holds NaN or infinity"),
    ({"utterances": [[[1.0, 2.0, 3.0]]]}, 422, "utterances[0] has 1 frames, too few for the model's convolution/pooling layers: send at least 2"),
    ({"utterances": [[[0.0, 0.0, 0.0]] * 4], "beam_size": 0}, 422, '"beam_size" must be 1 to 64'),
    ({"utterances": [[[0.0, 0.0, 0.0]] * 4], "beam_size": "3"}, 400, '"beam_size" must be a whole number'),
    ({"utterances": [[[0.0, 0.0, 0.0]] * 1001]}, 413, "utterances[0] has 1001 frames, over this server's limit of 1000"),
    ({"utterances": [[[0.0, 0.0, 0.0]] * 4, "abc"]}, 400, "utterances[1] must be a list of frames. Received: str."),
    ({"utterances": [[]]}, 422, "utterances[0] is empty: send at least one frame."),
    ({"utterances": [[[0.0, 0.0, 1e39]] * 4]}, 422, "utterances[0] holds 1e+39, beyond ±3.4e38"),
    ({"utterances": [[[0.0, None, 0.0]] * 4]}, 422, "utterances[0] must be a list of frames, each a list of 3 numbers, as the model was fitted on: check for text"),
])
def test_bad_speech_requests_are_one_line(speech: dict, body: Any, status: int, message: str) -> None:
    model = open_served(speech["path"])
    with pytest.raises(RequestError) as err:
        model.rows(body, 8)
    assert err.value.status == status and message in str(err.value)


def _replaced_during_load(monkeypatch: pytest.MonkeyPatch, path: Path, new: Path, when: str) -> None:
    """The next load of ``path`` (``_modelfile.load``, or the server's NumPy path for a dense table MLP,
    ``estimators.dense_model``) replaces it by a copy of ``new`` (one atomic rename, as a rolling deploy does) just ``when``
    ("before"/"after") it reads it; later loads read the file as it is."""
    import os
    import shutil

    from hiddenlayers import estimators
    from hiddenlayers.ship import _modelfile

    done: list[int] = []

    def swapping(real: Any) -> Any:
        def load(p: Any, *args: Any, **kw: Any) -> Any:
            def swap() -> None:
                if not done and Path(p).resolve() == path.resolve():
                    done.append(1)
                    shutil.copyfile(new, path.with_suffix(".tmp"))
                    os.replace(path.with_suffix(".tmp"), path)

            if when == "before":
                swap()
            out = real(p, *args, **kw)
            if when == "after":
                swap()
            return out
        return load

    monkeypatch.setattr(_modelfile, "load", swapping(_modelfile.load))
    monkeypatch.setattr(estimators, "dense_model", swapping(estimators.dense_model))


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("kind", ["table", "app"])
def test_metadata_sha256_is_that_of_the_model_served_when_the_file_is_replaced_while_it_loads(
        kind: str, when: str, apps: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # before: a table model was hashed, then loaded ("before": the new file served under the old sha256), and an app loaded,
    # then hashed ("after": the old model served under the new file's sha256)
    import hashlib

    if kind == "table":
        from sklearn.datasets import load_iris

        X, y = load_iris(return_X_y=True)
        import hiddenlayers as hl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, seed, target in (("old", 0, y), ("new", 1, y[::-1])):
                hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=seed).fit(X, target).save(tmp_path / f"{name}.safetensors")
        body, answer = {"rows": X[:40].tolist()}, (lambda m: hl.load(m).predict(X[:40]).tolist())
    else:
        for name, source in (("old", "text"), ("new", "text2")):
            (tmp_path / f"{name}.safetensors").write_bytes((apps["dir"] / f"{source}.safetensors").read_bytes())
        body, answer = {"texts": ASKED}, (lambda m: TextClassifier.load(m).predict(ASKED).tolist())
    served_path = tmp_path / "served.safetensors"
    served_path.write_bytes((tmp_path / "old.safetensors").read_bytes())
    sha = {n: hashlib.sha256((tmp_path / f"{n}.safetensors").read_bytes()).hexdigest() for n in ("old", "new")}
    want = {n: answer(tmp_path / f"{n}.safetensors") for n in ("old", "new")}
    assert want["old"] != want["new"]
    _replaced_during_load(monkeypatch, served_path, tmp_path / "new.safetensors", when)
    model = open_served(served_path)
    got = model.predict(model.rows(body, 100), False)
    serving = "new" if got == want["new"] else "old"
    assert got == want[serving]
    assert model.metadata()["sha256"] == sha[serving] == sha["new"]  # the file changed while it loaded: it was loaded again


def test_a_file_that_keeps_changing_while_it_loads_is_refused_in_one_line(apps: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hiddenlayers.exceptions import ModelFileError
    from hiddenlayers.ship import _modelfile

    path = tmp_path / "m.safetensors"
    path.write_bytes((apps["dir"] / "text.safetensors").read_bytes())
    real, sources = _modelfile.load, [apps["dir"] / "text2.safetensors", apps["dir"] / "text.safetensors"]

    def load(p: Any, **kw: Any) -> Any:
        out = real(p, **kw)
        path.write_bytes(sources[0].read_bytes())  # rewritten in place with the other model after each load
        sources.reverse()
        return out

    monkeypatch.setattr(_modelfile, "load", load)
    with pytest.raises(ModelFileError, match=r"^model file '.*m\.safetensors' changed while it was being loaded, 3 times: replace it in one step"):
        open_served(path)
