"""TextClassifier: learns sentiment words in synthetic sentences, unseen words, vocabulary in the model file."""

from __future__ import annotations

import json
import pickle
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.apps import TextClassifier
from hiddenlayers.apps._tokenize import Tokenizer
from hiddenlayers.exceptions import DataError

POSITIVE = ["good", "great", "wonderful", "superb", "moving", "delightful"]
NEGATIVE = ["bad", "awful", "dull", "boring", "terrible", "tedious"]
FILLER = "the a film movie story plot acting was is and but very quite this that with of in its".split()


def reviews(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Sentences of neutral words with 1-2 sentiment words; a third also get one word of each side (noise)."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, size=int(rng.integers(4, 15))))
        own, other = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
        extra = [rng.choice(own) for _ in range(int(rng.integers(1, 3)))]
        if rng.random() < 0.3:
            extra += [rng.choice(own), rng.choice(other)]
        for word in extra:
            words.insert(int(rng.integers(len(words) + 1)), word)
        X.append(" ".join(words).capitalize() + ".")
        y.append("pos" if label else "neg")
    return X, np.array(y)


@pytest.fixture(scope="module")
def data() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    X, y = reviews(700, 0)
    Xt, yt = reviews(300, 1)
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fitted(data: tuple[list[str], np.ndarray, list[str], np.ndarray]) -> TextClassifier:
    X, y, _, _ = data
    return TextClassifier("embed32,gru32", max_iter=15, random_state=0).fit(X, y)


def test_learns_sentiment_words(fitted: TextClassifier, data: tuple[list[str], np.ndarray, list[str], np.ndarray]) -> None:
    _, _, Xt, yt = data
    assert fitted.score(Xt, yt) >= 0.9  # chance: 0.5
    assert fitted.tokenizer_.vocab_size == fitted.vocab_size_ == 2 + len(set(POSITIVE + NEGATIVE + FILLER)) + 1  # + "."
    assert fitted.input_kind_ == "ids" and fitted.network_.spec.to_text() == "embed32,gru32"
    assert fitted.predict(["A wonderful, superb film."])[0] == "pos"
    assert fitted.predict(["Dull and tedious, awful."])[0] == "neg"
    assert fitted.transform(Xt[:3]).shape == (3, 32)


def test_unseen_words_empty_texts_and_input_forms(fitted: TextClassifier) -> None:
    texts = ["Zxqv blorp wonderful!!", "", "   ", "日本語のテキスト"]
    proba = fitted.predict_proba(texts)
    assert proba.shape == (4, 2) and np.allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(fitted.predict_proba(pd.Series(texts)), proba)
    np.testing.assert_array_equal(fitted.predict_proba(np.array(texts)), proba)
    padded = fitted._check_X(texts)
    assert padded.shape == (4, 5)  # "zxqv blorp wonderful ! !" is the longest
    assert padded[1].tolist() == [1, 0, 0, 0, 0]  # an empty text reads as one unknown token
    assert padded[0, :2].tolist() == [1, 1] and padded[0, 2] > 1  # unseen words -> 1, a known word -> its id


def test_char_tokenizer_and_max_len(data: tuple[list[str], np.ndarray, list[str], np.ndarray]) -> None:
    X, y, Xt, yt = data
    clf = TextClassifier("embed16,conv32k5:same,gmp", tokenizer="char", max_len=80, max_iter=15, random_state=0).fit(X, y)
    assert clf.score(Xt, yt) >= 0.8
    assert clf.tokenizer_.mode == "char" and clf.max_len_ <= 80
    long_text = "the film " * 50 + "awful"
    assert len(clf.tokenizer_.encode([long_text])[0]) == 80


def test_save_load_pickle_vocabulary_in_file(fitted: TextClassifier, data: tuple[list[str], np.ndarray, list[str], np.ndarray], tmp_path: Path) -> None:
    _, _, Xt, _ = data
    path = tmp_path / "text.safetensors"
    fitted.save(path)
    for again in (TextClassifier.load(path), hl.load(path), pickle.loads(pickle.dumps(fitted))):
        assert type(again) is TextClassifier
        np.testing.assert_array_equal(again.predict_proba(Xt[:50] + ["never seen words"]), fitted.predict_proba(Xt[:50] + ["never seen words"]))
        assert again.tokenizer_ == fitted.tokenizer_ and again.get_params() == fitted.get_params()
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    assert meta["estimator"] == "TextClassifier"
    assert Tokenizer.from_json(meta["state"]["tokenizer"]).tokens == fitted.tokenizer_.tokens


def test_words_like_nan_survive_the_file(tmp_path: Path) -> None:
    X = ["nan inf good", "nan -inf bad", "inf good good", "bad bad nan"]
    clf = TextClassifier("embed4,gru4", max_iter=2, early_stopping=False, random_state=0).fit(X, ["nan", "inf", "nan", "inf"])
    clf.save(tmp_path / "m.safetensors")
    again = TextClassifier.load(tmp_path / "m.safetensors")
    assert again.tokenizer_ == clf.tokenizer_ and list(again.classes_) == ["inf", "nan"]


def test_lens_records_embedding_and_recurrent_layers(fitted: TextClassifier, data: tuple[list[str], np.ndarray, list[str], np.ndarray]) -> None:
    _, _, Xt, _ = data
    rec = hl.lens.record(fitted, Xt[:30])
    assert rec.kinds == {"hidden1": "recurrent", "hidden2": "dense"}
    assert rec["hidden1"].shape[::2] == (30, 32) and rec["hidden2"].shape == (30, 32)
    np.testing.assert_allclose(rec["hidden2"], fitted.transform(Xt[:30]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "X, y, exc, message",
    [
        ("just one text", [0], TypeError, r"^X must be a list of texts, not one string: wrap it as \[text\]\.$"),
        (["ok", 3], [0, 1], TypeError, r"^X\[1\] is a int, not a string: every sample must be text"),
        ([], [], ValueError, r"^X has 0 texts: pass at least one\.$"),
        (["a", "b"], [0, 1, 0], ValueError, r"^y must hold one label per sequence: X has 2 sequences, y has shape \(3,\)\.$"),
    ],
)
def test_bad_input(X, y, exc, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=message):
        TextClassifier(max_iter=1).fit(X, y)


def test_bad_params() -> None:
    with pytest.raises(ValueError, match=r"^tokenizer must be 'word' or 'char'\. Received: tokenizer='bpe'\.$"):
        TextClassifier(tokenizer="bpe").fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match=r"^max_len must be an integer >= 1\. Received: max_len=0\.$"):
        TextClassifier(max_len=0).fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match=r"^max_vocab must be an integer >= 1 or None\. Received: max_vocab=-5\.$"):
        TextClassifier(max_vocab=-5).fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match=r"^normalize must be 'NFKC', 'NFC' or None\. Received: normalize='NFD'\.$"):
        TextClassifier(normalize="NFD").fit(["a", "b"], [0, 1])



def test_training_texts_without_a_vocabulary_are_refused_as_count_vectorizer_refuses_them() -> None:
    """Every text empty (or blank, for words), or no token as frequent as min_freq: the network read every text
    as the same ids and predicted the most frequent label without a word; now one line naming the cause and the fix."""
    with pytest.raises(ValueError, match=r"^the 4 training texts hold no word \(each is empty or blank\), so the vocabulary is empty: check"):
        TextClassifier(max_iter=1).fit(["", "  ", "\t", ""], [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"^the 2 training texts hold no character \(each is empty\)"):
        TextClassifier(tokenizer="char", max_iter=1).fit(["", ""], [0, 1])
    with pytest.raises(ValueError, match=r"^no word appears at least min_freq=3 times in the 2 training texts, so the vocabulary is empty: lower min_freq\.$"):
        TextClassifier(min_freq=3, max_iter=1).fit(["a fine film", "a dull one"], [0, 1])

def test_a_text_shorter_than_the_convolution_names_same_padding_which_reads_it() -> None:
    """"fine acting" (2 tokens) under conv8k3 was refused with "pad X yourself", which a text's user cannot do: the line names ':same'
    convolutions, and a ':same' spec fits and predicts such texts (and the empty text)."""
    texts, y = ["a fine film here", "a dull mess indeed", "fine acting", "ok"] * 5, [1, 0, 1, 0] * 5
    with pytest.raises(DataError, match=r"^sequence 2 has 2 steps, .* each needs at least 3; give the convolutions ':same' padding"):
        TextClassifier("embed8,conv8k3,gmp", max_iter=1, early_stopping=False, random_state=0).fit(texts, y)
    same = TextClassifier("embed8,conv8k3:same,gmp", max_iter=1, early_stopping=False, random_state=0).fit(texts, y)
    assert same.min_length_ == 1 and same.predict(["fine", ""]).shape == (2,)


def test_a_text_typed_with_decomposed_accents_reads_as_the_precomposed_one(tmp_path: Path) -> None:
    """Fitted on precomposed "é" (NFC, most web text), asked with "e" + U+0301 (NFD, macOS, PDF copy): the same ids, the same
    answer (each decomposed word read as two unknown tokens before); the setting survives the file, and changing it is a warm
    fit's refusal."""
    good, bad = ["un caf\u00e9 d\u00e9licieux", "tr\u00e8s r\u00e9ussi", "caf\u00e9 \u00e9l\u00e9gant"], ["rat\u00e9", "d\u00e9\u00e7u, rat\u00e9", "tr\u00e8s d\u00e9\u00e7u"]
    X, y = (good + bad) * 4, ([1] * 3 + [0] * 3) * 4
    clf = TextClassifier("embed4,gru4", max_iter=3, early_stopping=False, random_state=0).fit(X, y)
    asked = ["caf\u00e9 d\u00e9licieux", "d\u00e9\u00e7u rat\u00e9", "\ufb01lm R\u00c9USSI"]
    nfd = [unicodedata.normalize("NFD", t) for t in asked]
    assert nfd != asked
    np.testing.assert_array_equal(clf._check_X(nfd), clf._check_X(asked))
    assert (clf._check_X(nfd)[:2, :2] > 1).all() and clf._check_X(nfd)[2, :2].tolist() == [1, clf.tokenizer_._index["r\u00e9ussi"]]
    np.testing.assert_array_equal(clf.predict_proba(nfd), clf.predict_proba(asked))
    nfc = TextClassifier("embed4,gru4", normalize="NFC", max_iter=1, early_stopping=False, random_state=0).fit(X, y)
    nfc.save(tmp_path / "nfc.safetensors")
    again = TextClassifier.load(tmp_path / "nfc.safetensors")
    assert again.normalize == again.tokenizer_.normalize == "NFC" and again.get_params() == nfc.get_params()
    assert pickle.loads(pickle.dumps(nfc)).tokenizer_.normalize == "NFC"
    np.testing.assert_array_equal(again.predict_proba(nfd), nfc.predict_proba(asked))
    with pytest.raises(ValueError, match=r"warm_start=True goes on from the fitted network.*Received: normalize=None, but the fitted network was "
                                         r"built with normalize='NFC'"):
        again.set_params(warm_start=True, normalize=None).fit(X, y)


def test_a_model_saved_before_normalize_reads_text_as_typed() -> None:
    """The legacy file and pickle (written before the setting existed) load with normalize None, as their tokenizer reads."""
    legacy = Path(__file__).parents[1] / "fixtures" / "legacy"
    # Our own fixture, written by this project's code: unpickling it is the point.
    for model in (hl.load(legacy / "text_classifier.safetensors"), pickle.loads((legacy / "text_classifier.pkl").read_bytes())):  # noqa: S301
        assert model.normalize is None and model.get_params()["normalize"] is None and model.tokenizer_.normalize is None
        assert model.tokenizer_.split("cafe\u0301") == ["cafe", "\u0301"]
