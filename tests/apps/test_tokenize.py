"""Tokenizer: word/char splitting, reserved ids, vocabulary limits, exact JSON round trip, any unicode, Unicode normalization."""

from __future__ import annotations

import json
import pickle
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.apps._tokenize import PAD_ID, UNKNOWN_ID, Tokenizer, as_texts


def test_word_mode_ids_and_unknown() -> None:
    tok = Tokenizer("word").fit(["A good film.", "a bad film!"])
    # counts: a 2, film 2, then 1 each in alphabetical order: !, ., bad, good
    assert tok.tokens == ["a", "film", "!", ".", "bad", "good"]
    assert tok.vocab_size == 8
    np.testing.assert_array_equal(tok.encode(["a dull film."])[0], [2, UNKNOWN_ID, 3, 5])
    assert tok.decode([0, 1, 2, 7]) == ["<pad>", "<unk>", "a", "good"]
    assert tok.encode([""])[0].shape == (0,) and tok.encode([""])[0].dtype == np.int64


def test_char_mode_lowercase_and_max_len() -> None:
    tok = Tokenizer("char", lowercase=False, max_len=3).fit(["Abba"])
    assert tok.tokens == ["b", "A", "a"]
    np.testing.assert_array_equal(tok.encode(["abbAx"])[0], [4, 2, 2])
    assert Tokenizer("char").fit(["Abba"]).tokens == ["a", "b"]


def test_max_vocab_and_min_freq() -> None:
    texts = ["x x x y y z"]
    assert Tokenizer(max_vocab=2).fit(texts).tokens == ["x", "y"]
    assert Tokenizer(min_freq=2).fit(texts).tokens == ["x", "y"]
    assert Tokenizer(min_freq=3, max_vocab=None).fit(texts).tokens == ["x"]
    assert Tokenizer(min_freq=9).fit(texts).encode(["x"])[0].tolist() == [UNKNOWN_ID]


def test_texts_from_arrays_and_series() -> None:
    import pandas as pd

    assert as_texts(np.array(["a", "b"])) == ["a", "b"]
    assert as_texts(pd.Series(["a", "b"])) == ["a", "b"]


@pytest.mark.parametrize(
    "make, exc, message",
    [
        (lambda: Tokenizer("bytes"), ValueError, r"^tokenizer must be 'word' or 'char'\. Received: tokenizer='bytes'\.$"),
        (lambda: Tokenizer(max_vocab=0), ValueError, r"^max_vocab must be an integer >= 1 or None\. Received: max_vocab=0\.$"),
        (lambda: Tokenizer(min_freq=None), ValueError, r"^min_freq must be an integer >= 1\. Received: min_freq=None\.$"),
        (lambda: Tokenizer().fit("one text"), TypeError, r"^X must be a list of texts, not one string: wrap it as \[text\]\.$"),
        (lambda: Tokenizer().fit(["ok", None]), TypeError, r"^X\[1\] is a NoneType, not a string"),
        (lambda: Tokenizer().fit(np.array([["a"]])), ValueError, r"^X must be a 1-D list of texts\. Received an array of shape \(1, 1\)\.$"),
        (lambda: Tokenizer().fit(pd.DataFrame({"review": ["a b"]})), ValueError, r"^X must be a 1-D list of texts, not a DataFrame \(columns \['review'\]\): pass its text column, e\.g\. X\['review'\]\.$"),
        (lambda: Tokenizer().fit(pd.DataFrame({"id": [1], "review": ["a"]})), ValueError, r"^X must be a 1-D list of texts, not a DataFrame \(columns \['id', 'review'\]\): pass its text column, e\.g\. X\['review'\]\.$"),
        (lambda: Tokenizer(normalize="NFD"), ValueError, r"^normalize must be 'NFKC', 'NFC' or None\. Received: normalize='NFD'\.$"),
        (lambda: Tokenizer(normalize=True), ValueError, r"^normalize must be 'NFKC', 'NFC' or None\. Received: normalize=True\.$"),
        (lambda: Tokenizer.from_dict({"normalize": "nfkc", "tokens": []}), ValueError, r"^normalize must be 'NFKC', 'NFC' or None\. "),
        (lambda: Tokenizer.from_json("{"), ValueError, r"^tokenizer JSON is not valid JSON"),
        (lambda: Tokenizer.from_json('{"tokens": ["a", "a"]}'), ValueError, r"^tokenizer 'tokens' must be distinct strings\.$"),
    ],
)
def test_errors(make, exc, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=message):
        make()


texts_st = st.lists(st.text(max_size=40), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(train=texts_st, other=texts_st, mode=st.sampled_from(["word", "char"]), lowercase=st.booleans(),
       max_vocab=st.one_of(st.none(), st.integers(1, 20)), max_len=st.one_of(st.none(), st.integers(1, 10)),
       normalize=st.sampled_from(["NFKC", "NFC", None]))
def test_encode_any_unicode_ids_in_range_and_json_exact(train, other, mode, lowercase, max_vocab, max_len, normalize) -> None:  # type: ignore[no-untyped-def]
    tok = Tokenizer(mode, lowercase=lowercase, normalize=normalize, max_vocab=max_vocab, max_len=max_len).fit(train)
    for ids in tok.encode(train + other):
        assert ids.dtype == np.int64
        assert ((ids >= UNKNOWN_ID) & (ids < tok.vocab_size)).all() and not (ids == PAD_ID).any()
        assert max_len is None or ids.size <= max_len
    text = tok.to_json()
    json.loads(text)  # plain JSON
    again = Tokenizer.from_json(text)
    assert again == tok and again.to_json() == text
    for a, b in zip(again.encode(train + other), tok.encode(train + other)):
        np.testing.assert_array_equal(a, b)
    if max_len is None:  # every training token is either in the vocabulary or was cut by max_vocab
        seen = {t for s in train for t in tok.split(s)}
        assert set(tok.tokens) <= seen and (max_vocab is not None or set(tok.tokens) == seen)


CAFE_NFC, CAFE_NFD = "caf\u00e9 cr\u00e8me", "cafe\u0301 cre\u0300me"


@pytest.mark.parametrize("mode", ["word", "char"])
def test_one_text_typed_two_ways_gives_the_same_ids_by_default(mode: str) -> None:
    # precomposed (NFC: Windows, the web) and decomposed (NFD: macOS file names, PDF copy) "cafe crème": one text
    assert unicodedata.normalize("NFC", CAFE_NFD) == CAFE_NFC and CAFE_NFD != CAFE_NFC
    tok = Tokenizer(mode).fit([CAFE_NFC, "a film"])
    assert tok.normalize == "NFKC"
    np.testing.assert_array_equal(tok.encode([CAFE_NFD])[0], tok.encode([CAFE_NFC])[0])
    assert UNKNOWN_ID not in tok.encode([CAFE_NFD])[0]
    if mode == "word":  # compatibility forms fold too: full-width letters, a ligature, a no-break space
        assert tok.split("ＣＡＦＥ\u0301 \ufb01lm a\u00a0film") == ["caf\u00e9", "film", "a", "film"]
        assert Tokenizer(mode, normalize="NFC").split("ＣＡＦＥ cafe\u0301 \ufb01lm") == ["ｃａｆｅ", "caf\u00e9", "\ufb01lm"]  # NFC joins accents only


def test_nfkc_of_common_text_folds_only_compatibility_forms() -> None:
    # what the docstrings promise: superscripts, the ellipsis, fractions and symbols become their plain spellings
    tok = Tokenizer()
    assert tok.split("x\u00b2 wait\u2026 \u00bd brand\u2122") == ["x2", "wait", ".", ".", ".", "1", "\u2044", "2", "brandtm"]
    assert tok.split("Stra\u00dfe na\u00efve \u00c5ngstr\u00f6m \u65e5\u672c\u8a9e") == ["stra\u00dfe", "na\u00efve", "\u00e5ngstr\u00f6m", "\u65e5\u672c\u8a9e"]


def test_a_tokenizer_saved_before_normalize_reads_text_as_typed() -> None:
    old = {"mode": "word", "lowercase": True, "max_vocab": 20000, "min_freq": 1, "max_len": None, "tokens": ["caf\u00e9", "cafe", "\u0301"]}
    tok = Tokenizer.from_dict(old)
    assert tok.normalize is None and tok.to_dict() == {**old, "normalize": None}
    assert tok.split(CAFE_NFD) == ["cafe", "\u0301", "cre", "\u0300", "me"]  # the old split: the accent a token of its own
    assert [ids.tolist() for ids in tok.encode(["cafe\u0301", "\ufb01lm"])] == [[3, 4], [UNKNOWN_ID]]
    unpickled = Tokenizer.__new__(Tokenizer)  # a Tokenizer pickled before normalize existed (a TextClassifier's pickle holds one)
    unpickled.__setstate__({k: v for k, v in vars(tok).items() if k != "normalize"})
    assert unpickled.normalize is None and unpickled.split(CAFE_NFD) == tok.split(CAFE_NFD)
    assert pickle.loads(pickle.dumps(Tokenizer(normalize="NFC"))).normalize == "NFC"


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=30), mode=st.sampled_from(["word", "char"]), lowercase=st.booleans())
def test_every_normal_form_of_a_text_gives_the_same_tokens(text: str, mode: str, lowercase: bool) -> None:
    nfkc = Tokenizer(mode, lowercase=lowercase)
    forms = {form: unicodedata.normalize(form, text) for form in ("NFC", "NFD", "NFKC", "NFKD")}
    assert {tuple(nfkc.split(t)) for t in forms.values()} == {tuple(nfkc.split(text))}
    assert all(unicodedata.is_normalized("NFKC", t) for t in nfkc.split(text))
    nfc = Tokenizer(mode, lowercase=lowercase, normalize="NFC")
    assert nfc.split(forms["NFD"]) == nfc.split(forms["NFC"]) == nfc.split(text)
