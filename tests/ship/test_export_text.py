"""export_onnx() of a TextClassifier and of a SequenceClassifier fitted on token ids (ship/_app_graph_ids.py): int64 ids in, padded,
the tokenizer in the file's metadata, and the NumPy runner (ship/_onnx_text.py) and server (ship/_serve/app_onnx.py) that read it.
One module fixture fits and exports the text model once (embed4,gru4, 2 epochs)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.apps import UNKNOWN_ID, SequenceClassifier, TextClassifier, Tokenizer
from hiddenlayers.exceptions import DataError
from hiddenlayers.ship import TOKENIZER_KEY, TOKENS_KEY, TokenOnnx, describe_onnx, export_onnx
from hiddenlayers.ship._onnx_run import _tokenizer_summary

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

GOOD = ["a fine film", "fine acting, great plot", "what a fine fine film", "great fun", "a great cast!"]
BAD = ["a dull mess", "a dull plot!", "boring and dull", "dull, dull acting", "a mess of a film"]
TEXTS, LABELS = (GOOD + BAD) * 3, (["pos"] * 5 + ["neg"] * 5) * 3
# held out: unseen words, an empty text, spaces only (no tokens: one unknown token), case and punctuation, longer than any in fit
HELD = ["a fine mess", "", "   ", "NEVER seen words", "Fine!!! fine? FINE.", "dull " * 12, "great plot but a dull cast and a boring film"]
KW: dict[str, Any] = {"max_iter": 2, "early_stopping": False, "random_state": 0, "device": "cpu"}


def _props(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def _session(path: Path) -> Any:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("text_onnx")
    clf = TextClassifier("embed4,gru4", **KW).fit(TEXTS, LABELS)
    report = export_onnx(clf, d / "text.onnx", X=TEXTS, y=LABELS, quantize=True)
    return {"dir": d, "clf": clf, "path": d / "text.onnx", "report": report}


def test_text_export_reads_padded_token_ids_and_answers_as_predict_proba(text: dict) -> None:
    clf, path, r = text["clf"], text["path"], text["report"]
    assert r.parity_rows == len(TEXTS) and r.max_abs_diff < 1e-4 and r.output_name == "probabilities"
    assert r.input_shape == ["batch", "steps"] and r.input_dtype == "int64" and r.score_before == pytest.approx(clf.score(TEXTS, LABELS))
    sess = _session(path)
    assert sess.get_inputs()[0].type == "tensor(int64)" and sess.get_inputs()[0].shape == ["batch", "steps"]
    ids = clf.tokenizer_.text_ids(HELD)  # what another runtime does: the tokenizer's ids, padded with 0
    width = max(len(i) for i in ids)
    for steps in (width, width + 5):  # dynamic steps; more padding changes nothing
        X = np.zeros((len(ids), steps), dtype=np.int64)
        for row, i in enumerate(ids):
            X[row, : len(i)] = i
        np.testing.assert_allclose(sess.run(None, {"X": X})[0], clf.predict_proba(HELD), atol=1e-4)
    props = _props(path)
    assert Tokenizer.from_json(props[TOKENIZER_KEY]) == clf.tokenizer_  # the file is self-contained
    assert json.loads(props[TOKENS_KEY]) == {"pad_id": 0, "id_shift": 0, "max_id": clf.tokenizer_.vocab_size - 1, "unknown_id": 1}
    assert json.loads(props["classes"]) == ["neg", "pos"] and props["hiddenlayers_estimator"] == "TextClassifier"


def test_the_runner_predicts_held_out_texts_as_the_model(text: dict) -> None:
    clf, model = text["clf"], TokenOnnx(text["path"])
    assert model.tokenizer == clf.tokenizer_ and model.pad_id == 0 and model.graph_steps is None
    assert (model.predict(HELD) == clf.predict(HELD)).all()  # labels exactly
    np.testing.assert_allclose(model.predict_proba(HELD), clf.predict_proba(HELD), atol=1e-4)
    proba = model.predict_proba(HELD)
    assert len({round(float(p), 5) for p in proba[:, 0]}) > 3  # distinct answers: equal ones would prove nothing
    # the empty text and the spaces-only one read as one unknown token, as TextClassifier reads them
    np.testing.assert_allclose(proba[1], proba[2])
    np.testing.assert_allclose(proba[1], model.predict_proba(["qqqq"])[0])


def test_the_table_runner_and_load_point_a_text_export_to_its_runner(text: dict) -> None:
    # hl.load(.onnx) says "run it with hl.ship.OnnxModel(path)", which said only "run it with onnxruntime directly", and
    # "a ImageClassifier": a Python user found TokenOnnx in the guide alone
    with pytest.raises(hl.ModelFileError, match=r"is the ONNX export of a TextClassifier, whose input is not a table: run it with "
                                                r"hl\.ship\.TokenOnnx\(path\) "):
        hl.ship.OnnxModel(text["path"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.sampled_from(list("afinedulmsg ,!?XZ\u00e9\u0301\ufb01ＦＩ\u00a0")), max_size=40), min_size=1, max_size=6))
def test_any_texts_get_the_models_answers(text: dict, texts: list[str]) -> None:
    clf, model = text["clf"], TokenOnnx(text["path"])
    assert (model.predict(texts) == clf.predict(texts)).all()
    np.testing.assert_allclose(model.predict_proba(texts), clf.predict_proba(texts), atol=1e-4)


def test_the_runner_normalizes_texts_as_the_model_by_the_files_tokenizer(text: dict) -> None:
    """The file's tokenizer JSON carries normalize: the NumPy runner folds a ligature, full-width letters and a no-break space (NFKC)
    as the TextClassifier does, so the odd spelling gets the plain one's ids and answers."""
    clf, model = text["clf"], TokenOnnx(text["path"])
    odd, plain = ["a \ufb01ne \ufb01lm", "ＧＲＥＡＴ\u00a0ｆｕｎ"], ["a fine film", "great fun"]
    assert model.tokenizer.normalize == clf.normalize == "NFKC"
    assert [i.tolist() for i in model.text_ids(odd)] == [i.tolist() for i in clf.tokenizer_.text_ids(plain)]
    assert UNKNOWN_ID not in np.concatenate(model.text_ids(odd))
    np.testing.assert_allclose(model.predict_proba(odd), clf.predict_proba(plain), atol=1e-4)


def test_int8_copy_keeps_the_embedding_table_float_and_the_tokenizer(text: dict) -> None:
    r = text["report"]
    qpath = Path(r.quantized_path)
    assert qpath.name == "text.int8.onnx" and r.quantized_max_abs_diff < 0.05
    ops_note = next(n for n in r.notes if "still float" in n)  # a later note may say the tiny int8 file is not smaller
    assert "still float: 1 Gather (an embedding table: rows looked up, kept float32)" in ops_note and "1 GRU" in ops_note
    q = TokenOnnx(qpath)  # the int8 file is self-contained too
    assert q.tokenizer == text["clf"].tokenizer_
    assert np.abs(q.predict_proba(HELD) - text["clf"].predict_proba(HELD)).max() < 0.05


def test_info_names_the_tokenizer_and_the_ids(text: dict) -> None:
    info = describe_onnx(text["path"])
    vocab = text["clf"].tokenizer_.vocab_size
    assert info["tokenizer"] == {"mode": "word", "lowercase": True, "normalize": "NFKC", "vocab_size": vocab, "max_len": 200}
    from hiddenlayers.cli._info import _token_rows

    assert dict(_token_rows(info))["tokenizer"].startswith(f"words, NFKC, lowercased, {vocab:,} ids (0 pad, 1 unknown)")
    old = {k: v for k, v in json.loads(_props(text["path"])[TOKENIZER_KEY]).items() if k != "normalize"}  # an export written before normalize
    assert _tokenizer_summary(old)["normalize"] is None
    assert dict(_token_rows({"tokenizer": _tokenizer_summary(old)}))["tokenizer"].startswith(f"words, lowercased, {vocab:,} ids")
    assert info["token_ids"]["pad_id"] == 0 and info["graph_inputs"] == [{"name": "X", "type": "int64", "shape": ["batch", "steps"]}]


def test_the_server_of_a_text_export_answers_as_the_text_classifier(text: dict) -> None:
    from hiddenlayers.ship._serve.app_model import open_served
    from hiddenlayers.ship._serve.model import RequestError

    clf, served, own = text["clf"], open_served(text["path"]), open_served(text["clf"])
    rows = served.rows({"texts": HELD}, 16)
    assert served.predict(rows, False) == own.predict(own.rows({"texts": HELD}, 16), False) == clf.predict(HELD).tolist()
    np.testing.assert_allclose(served.predict(rows, True), clf.predict_proba(HELD), atol=1e-4)
    meta = served.metadata()
    assert meta["format"] == "onnx" and meta["estimator"] == "TextClassifier" and meta["classes"] == ["neg", "pos"]
    assert meta["input"]["body"] == own.inputs()["body"] and meta["input"]["tokenizer"] == "word"
    with pytest.raises(RequestError, match=r"^texts\[1\] must be a string\. Received: int\.$"):
        served.rows({"texts": ["ok", 3]}, 16)


def test_the_server_of_text_and_id_exports_imports_no_torch(text: dict, ids_export: dict) -> None:
    from serve_helpers import serving_imports_torch

    assert not serving_imports_torch([text["path"], ids_export["path"]])


@pytest.mark.parametrize("spec", ["embed4,lstm4:bi:layers=2", "embed4,conv4k3,gmp", "embed4,gru4:seq,gap"])
def test_bidirectional_stacked_conv_and_fixed_step_specs(spec: str, tmp_path: Path) -> None:
    clf = TextClassifier(spec, tokenizer="char", max_len=30, **{**KW, "max_iter": 1}).fit(TEXTS, LABELS)
    r = export_onnx(clf, tmp_path / "t.onnx")  # random texts of the vocabulary (unseen characters, an empty text where it fits, two of 33)
    assert r.parity_rows == 64 and r.max_abs_diff < 1e-4
    # the graph reads each row's first max_len ids itself, so steps stays dynamic, ':seq' too (it runs on exactly 30 steps: it was fixed at 30)
    assert r.input_shape == ["batch", "steps"] and int(clf.max_len_) < 30
    model = TokenOnnx(tmp_path / "t.onnx")
    assert model.graph_steps is None and ("exactly 30 steps" in r.notes[-1]) == spec.endswith(":seq,gap")
    held = [t for t in HELD if len(t.strip()) >= 3 and len(t) <= int(clf.max_len_)]  # conv4k3 reads >= 3 characters
    assert (model.predict(held) == clf.predict(held)).all()
    np.testing.assert_allclose(model.predict_proba(held), clf.predict_proba(held), atol=1e-4)
    longer = ["x" * 40, "great fun " * 3 + "but a dull mess", "great fun and a great cast"]  # the first two longer than max_len
    whole = copy.copy(clf.tokenizer_)
    whole.max_len = None  # another runtime's tokenizer that does not cut: the graph keeps each row's first 30 ids, as predict does
    ids = whole.text_ids(longer)
    assert [len(i) for i in ids] == [40, 45, 26]
    X = np.zeros((3, 50), dtype=np.int64)
    for row, i in enumerate(ids):
        X[row, : len(i)] = i
    expected = clf.predict_proba(longer)
    np.testing.assert_allclose(_session(tmp_path / "t.onnx").run(None, {"X": X})[0], expected, atol=1e-4)
    np.testing.assert_allclose(model.predict_proba(longer), expected, atol=1e-4)
    if "conv" in spec:
        with pytest.raises(DataError, match=r"^text 1 has 2 tokens, too few for the model's convolution/pooling layers: each needs at least 3\.$"):
            model.predict_proba(["a fine film", "ab"])


def test_fixed_step_graph_without_max_len_is_fixed_at_the_longest_text_in_fit(tmp_path: Path) -> None:
    clf = TextClassifier("embed4,gru4:seq,gap", tokenizer="char", max_len=None, **{**KW, "max_iter": 1}).fit(TEXTS, LABELS)
    r = export_onnx(clf, tmp_path / "t.onnx")
    model = TokenOnnx(tmp_path / "t.onnx")
    assert r.input_shape == ["batch", int(clf.max_len_)] and model.graph_steps == int(clf.max_len_) and r.max_abs_diff < 1e-4
    with pytest.raises(DataError, match=rf"^text 0 has 40 tokens, but this export's graph is fixed at {int(clf.max_len_)} steps \(the longest "
                                        r"sequence in fit\): send at most \d+, or use the \.safetensors file, which reads longer ones\.$"):
        model.predict_proba(["x" * 40])


def test_float64_graph_of_a_conv_text_model_and_refusals(tmp_path: Path) -> None:
    conv = TextClassifier("embed4,conv4k3,gmp", tokenizer="char", dtype="float64", **KW).fit(TEXTS, LABELS)
    r = export_onnx(conv, tmp_path / "f64.onnx", X=TEXTS)
    assert r.max_abs_diff < 1e-8 and TokenOnnx(tmp_path / "f64.onnx").double
    with pytest.raises(ValueError, match=r"^quantize=True needs a float32 graph"):
        export_onnx(conv, tmp_path / "q.onnx", quantize=True)
    gru = TextClassifier("embed4,gru4", **{**KW, "max_iter": 1}).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match=r"^dtype='float64' needs a model that computes in float64, and this TextClassifier computes in float32"):
        export_onnx(gru, tmp_path / "g.onnx", dtype="float64")
    with pytest.raises(ValueError, match=r"^X must be a list of texts for the parity check\. Received: int\.$"):
        export_onnx(gru, tmp_path / "g.onnx", X=3)
    with pytest.raises(ValueError, match=r"^X cannot be the parity texts: X\[1\] is a int, not a string"):
        export_onnx(gru, tmp_path / "g.onnx", X=["ok", 5])
    with pytest.raises(ValueError, match=r"^input_dtype='uint8' is for an ImageClassifier's pixels"):
        export_onnx(gru, tmp_path / "g.onnx", input_dtype="uint8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f64.onnx"]  # a refused export writes nothing


IDS = [np.random.default_rng(i).integers(0, 9, size=2 + i % 6) for i in range(40)]


@pytest.fixture(scope="module")
def ids_export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("ids_onnx")
    clf = SequenceClassifier("embed4,gru4", max_len=6, **KW).fit(IDS, [int(s[0] > 4) for s in IDS])  # the graph cuts each row at 6 ids
    report = export_onnx(clf, d / "ids.onnx", X=IDS)
    return {"clf": clf, "path": d / "ids.onnx", "report": report}


def test_token_id_sequence_classifier_exports_the_same_graph_without_a_tokenizer(ids_export: dict) -> None:
    clf, path, r = ids_export["clf"], ids_export["path"], ids_export["report"]
    assert r.parity_rows == 40 and r.max_abs_diff < 1e-4 and r.input_shape == ["batch", "steps"]
    props = _props(path)
    assert TOKENIZER_KEY not in props and json.loads(props[TOKENS_KEY]) == {"pad_id": -1, "id_shift": 1, "max_id": 8, "unknown_id": None}
    held = [np.array([0]), np.array([8, 8, 0, 1]), np.arange(9), np.array([3] * 20)]  # id 0 is a real token; longer than max_len (6)
    X = np.full((4, 25), -1, dtype=np.int64)  # the user's ids, padded with -1, whole: the graph keeps each row's first 6, as predict does
    for row, s in enumerate(held):
        X[row, : len(s)] = s
    np.testing.assert_allclose(_session(path).run(None, {"X": X})[0], clf.predict_proba(held), atol=1e-4)
    model = TokenOnnx(path)
    assert model.tokenizer is None and (model.predict(held) == clf.predict(held)).all()
    np.testing.assert_allclose(model.predict_proba(np.stack([np.arange(5)] * 2)), clf.predict_proba(np.stack([np.arange(5)] * 2)), atol=1e-4)
    with pytest.raises(ValueError, match=r"is a SequenceClassifier's export, which reads token ids, not texts: pass id sequences\.$"):
        model.text_ids(["a text"])


def test_token_id_refusals_are_one_line(ids_export: dict, tmp_path: Path) -> None:
    model = TokenOnnx(ids_export["path"])
    for bad, message in (([np.array([1.0, 2.0])], r"^sequence 0 has shape \(2,\) and dtype float64: token ids are 1-D integers \(0 to 8\); map tokens to ids first\.$"),
                         ([np.array([1]), np.array([2, -3])], r"^sequence 1 holds the negative token id -3: ids are 0 to 8"),
                         ([np.array([9])], r"^sequence 0 holds the token id 9, outside the ids the model reads \(0 to 8\): map unseen tokens to an id seen in fit\.$"),
                         # a GRU's model has no convolution/pooling layers to name (it said "too few for the model's convolution/pooling layers")
                         ([np.array([1]), np.array([], dtype=np.int64)], r"^sequence 1 is empty \(0 ids\): drop it or give it at least one id\.$"),
                         ([], r"^X has 0 sequences"),
                         (["a fine film"], r"^sequence 0 is a text, but .*ids\.onnx' is a SequenceClassifier's export, which reads token ids "
                                           r"\(0 to 8\), not texts: map each text's tokens to ids first\.$")):
        with pytest.raises(DataError, match=message):
            model.predict_proba(bad)
    with pytest.raises(ValueError, match=r"^X cannot be the parity sequences: token id 9 is larger than any id seen in fit \(8\)"):
        export_onnx(ids_export["clf"], tmp_path / "x.onnx", X=[np.array([1, 9])])
    assert not (tmp_path / "x.onnx").exists()


def test_the_server_of_a_token_id_export_checks_and_answers_as_the_sequence_classifier(ids_export: dict) -> None:
    from hiddenlayers.ship._serve.app_model import open_served
    from hiddenlayers.ship._serve.model import RequestError

    clf, served, own = ids_export["clf"], open_served(ids_export["path"]), open_served(ids_export["clf"])
    body = {"sequences": [[0, 1, 2], [8], [5] * 30]}
    held = [np.array(s) for s in body["sequences"]]
    np.testing.assert_allclose(served.predict(served.rows(body, 16), True), clf.predict_proba(held), atol=1e-4)
    assert served.inputs() == own.inputs() and served.inputs()["ids"] == [0, 8]
    with pytest.raises(RequestError, match=r"^sequences\[0\] holds the token id 9, outside the ids seen in fit \(0 to 8\)"):
        served.rows({"sequences": [[9]]}, 16)
    with pytest.raises(RequestError, match=r"^sequences\[0\] must be a list of token ids \(integers 0 to 8\)"):
        served.rows({"sequences": [[1.5]]}, 16)


def test_tokenizer_text_ids_reads_a_text_without_tokens_as_one_unknown_token() -> None:
    tok = Tokenizer("word").fit(["a b", "b c"])
    assert [i.tolist() for i in tok.text_ids(["b a", "", " ,", "  ", "zz"])] == [[2, 3], [1], [1], [1], [1]]
    assert hl.apps.PAD_ID == 0 and hl.apps.UNKNOWN_ID == 1
