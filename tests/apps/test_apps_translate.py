"""Translator: learns a made-up language, decodes greedy/beam, ignores padding, round-trips files."""

from __future__ import annotations

import pickle
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.apps import Translator
from hiddenlayers.apps._translate.seq2seq import beam_decode, greedy_decode, pad_batch
from hiddenlayers.apps._translate.text import SPECIALS, Vocab, detokenize, tokenize
from hiddenlayers.exceptions import ModelFileError, NotFittedError

# A fixed word-to-word dictionary; the target language also reverses word order.
SOURCE_WORDS = "zero one two three four five red blue green cat dog bird runs eats big small".split()
TARGET_WORDS = "cero uno dos tres cuatro cinco rojo azul verde gato perro pajaro corre come grande chico".split()


def make_pairs(n: int, seed: int, low: int = 3, high: int = 7) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    sources, targets = [], []
    for _ in range(n):
        idx = rng.integers(0, len(SOURCE_WORDS), rng.integers(low, high))
        sources.append(" ".join(SOURCE_WORDS[i] for i in idx).capitalize() + ".")
        targets.append(" ".join(TARGET_WORDS[i] for i in idx[::-1]).capitalize() + ".")
    return sources, targets


@pytest.fixture(scope="module")
def data() -> dict[str, list[str]]:
    S, T = make_pairs(1000, seed=1)
    St, Tt = make_pairs(100, seed=2)
    return {"S": S, "T": T, "St": St, "Tt": Tt}


@pytest.fixture(scope="module")
def trained(data: dict[str, list[str]]) -> Translator:
    """5 epochs: BLEU 97.4/96.0/97.6 (beam 4: 95.9/96.0/97.6), held-out token accuracy 0.989/0.988/0.992, first/last loss
    32/23/28 at seeds 0/1/2 (8 epochs: 96.2-97.9): the assertions below hold with a margin."""
    return Translator(hidden_size=64, embed_dim=32, batch_size=32, max_iter=5, random_state=0).fit(data["S"], data["T"])


@pytest.fixture(scope="module")
def rough(data: dict[str, list[str]]) -> Translator:
    """One epoch only: uncertain enough that beam search has something to find."""
    return Translator(hidden_size=32, embed_dim=16, batch_size=32, max_iter=1, early_stopping=False, random_state=0).fit(
        data["S"][:400], data["T"][:400]
    )


# -- learning -------------------------------------------------------------
def test_learns_dictionary_with_reversal(trained: Translator, data: dict[str, list[str]]) -> None:
    bleu = trained.score(data["St"], data["Tt"])
    assert bleu >= 90.0, bleu
    assert trained.score(data["St"], data["Tt"], beam_size=4) >= 90.0
    assert trained.predict(["Red cat runs."]) == ["corre gato rojo."]
    assert trained.n_iter_ == len(trained.loss_curve_) <= 5
    assert trained.loss_curve_[-1] < trained.loss_curve_[0] / 5
    assert trained.stop_reason_ in ("max_epochs", "no_improvement_validation_loss")
    assert trained.validation_scores_ is not None and trained.validation_scores_[-1] > 0.95  # token accuracy


def test_lstm_luong_learns(data: dict[str, list[str]]) -> None:
    # 4 epochs: BLEU 94.0/94.1/94.4 at seeds 0/1/2 (8 epochs: 98.7-99.6; 3 epochs: 74.8-83.2, too close to the bar)
    tr = Translator(
        hidden_size=64, embed_dim=32, cell="lstm", attention="luong", teacher_forcing=0.9, batch_size=32, max_iter=4, random_state=0
    ).fit(data["S"][:800], data["T"][:800])
    assert tr.score(data["St"], data["Tt"]) >= 80.0
    assert tr.transform(data["St"][:3]).shape == (3, 128)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_same_seed_same_model_two_layers_one_direction(data: dict[str, list[str]], cell: str) -> None:
    kw = dict(hidden_size=16, embed_dim=8, cell=cell, num_layers=2, bidirectional=False, dropout=0.2, max_iter=2, random_state=3)
    a = Translator(**kw).fit(data["S"][:100], data["T"][:100])
    b = Translator(**kw).fit(data["S"][:100], data["T"][:100])
    assert a.loss_curve_ == b.loss_curve_ and a.n_iter_ == 2
    assert a.predict(data["St"][:10]) == b.predict(data["St"][:10])
    assert a.transform(data["St"][:3]).shape == (3, 16)


def test_max_time_stops_training(data: dict[str, list[str]]) -> None:
    tr = Translator(hidden_size=8, embed_dim=4, max_iter=5, max_time=1e-9, random_state=0).fit(data["S"][:50], data["T"][:50])
    assert tr.n_iter_ == 1 and tr.stop_reason_ == "time_limit"


# -- decoding -------------------------------------------------------------
def test_beam_of_one_is_greedy(rough: Translator, data: dict[str, list[str]]) -> None:
    src = rough._source_ids(data["St"][:20])
    for ids in src:
        s, lengths = pad_batch([ids])
        g_ids, g_score, _ = greedy_decode(rough.model_, s, lengths, 20)
        b_ids, b_score, _ = beam_decode(rough.model_, s, lengths, 1, 20)
        assert b_ids == g_ids[0]
        assert b_score == pytest.approx(g_score[0], abs=1e-4)


def test_beam_finds_more_probable_translations(rough: Translator, data: dict[str, list[str]]) -> None:
    sources = data["St"][:60]
    greedy = np.array([d[1] for d in rough._decode(sources, 1, None, 1.0)])
    beam = np.array([d[1] for d in rough._decode(sources, 5, None, 0.0)])
    assert beam.mean() >= greedy.mean()
    assert (beam >= greedy - 1e-6).mean() >= 0.9


def test_decoder_scores_match_teacher_forced_log_probability(trained: Translator, data: dict[str, list[str]]) -> None:
    sources = data["St"][:20]
    decoded = trained._decode(sources, 3, None, 1.0)
    texts = [trained._text(d[0]) for d in decoded]
    np.testing.assert_allclose(trained.log_probability(sources, texts), [d[1] for d in decoded], atol=1e-4)
    assert (trained.log_probability(sources, data["Tt"][:20]) <= 0).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**31 - 1), max_size=7), max_size=6))
def test_pad_batch_puts_each_row_first_and_pads_the_rest(seqs: list[list[int]]) -> None:
    """pad_batch fills rows by one mask assignment: each row's ids in order, then PAD; lengths as given; empty rows and batches too."""
    from hiddenlayers.apps._translate.text import PAD

    ids, lengths = pad_batch(seqs)
    width = max(map(len, seqs), default=0)
    assert ids.dtype == lengths.dtype == torch.long and tuple(ids.shape) == (len(seqs), width)
    assert ids.tolist() == [s + [PAD] * (width - len(s)) for s in seqs] and lengths.tolist() == [len(s) for s in seqs]
    assert pad_batch([np.array(s, dtype=np.int32) for s in seqs])[0].tolist() == ids.tolist()  # type: ignore[misc]  # arrays of ids too


def test_padding_does_not_change_results(trained: Translator) -> None:
    short = "Cat runs."
    long = " ".join(SOURCE_WORDS * 2) + "."
    alone = trained.predict([short])
    assert trained.predict([short, long, long, short]) == alone + trained.predict([long]) * 2 + alone
    assert trained.predict([short, long], beam_size=3)[0] == trained.predict([short], beam_size=3)[0]
    np.testing.assert_allclose(trained.transform([short, long])[0], trained.transform([short])[0], atol=1e-6)
    np.testing.assert_allclose(
        trained.log_probability([short, long], ["corre gato.", "gato"])[0], trained.log_probability([short], ["corre gato."])[0], atol=1e-5
    )
    # the raw network: the short sentence's encoder states are the same alone or padded in a batch
    model = trained.model_
    ids = trained._source_ids([short, long])
    one, one_len = pad_batch(ids[:1])
    both, both_len = pad_batch(ids)
    with torch.no_grad():
        a, b = model.encode(one, one_len), model.encode(both, both_len)
    n = len(ids[0])
    torch.testing.assert_close(b.memory[0, :n], a.memory[0], atol=1e-6, rtol=0)
    assert float(b.memory[0, n:].abs().max()) == 0.0


def test_attention_map(trained: Translator) -> None:
    att = trained.attention_map("Red cat runs.")
    assert att.translation == "corre gato rojo."
    assert att.source_tokens == ["red", "cat", "runs", ".", "<eos>"]
    assert att.target_tokens == ["corre", "gato", "rojo", ".", "<eos>"]
    assert att.weights.shape == (5, 5)
    np.testing.assert_allclose(att.weights.sum(1), 1.0, atol=1e-5)
    # reversal: the first target word looks mostly at the last source word ("runs"), the third at the first ("red")
    assert att.weights[0].argmax() == 2 and att.weights[2].argmax() == 0
    assert list(att.to_frame().columns) == att.source_tokens


def test_unknown_and_empty_sources(trained: Translator) -> None:
    with pytest.warns(UserWarning, match="not seen in fit"):
        out = trained.predict(["", "Zebra cat."])
    assert len(out) == 2 and all(isinstance(o, str) for o in out)
    assert trained.predict(["Red cat runs."], max_len=1) == ["corre"]


@pytest.mark.parametrize("beam_size", [1, 3])
def test_an_empty_source_translates_to_an_empty_string_and_leaves_the_others_alone(rough: Translator, beam_size: int) -> None:
    """Line-aligned translators keep a blank line blank: "" and blanks are not decoded (the old code wrote max_len tokens)."""
    said = ["Red cat runs.", "Two dog eats."]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every word known: no warning
        alone = rough.predict(said, beam_size=beam_size)
        assert rough.predict(["", said[0], "  \t ", said[1]], beam_size=beam_size) == ["", alone[0], "", alone[1]]
        assert rough.predict([""], beam_size=beam_size, max_len=20) == [""]
    att = rough.attention_map("")
    assert att.translation == "" and att.target_tokens == att.source_tokens == ["<eos>"] and att.weights.tolist() == [[1.0]]


def test_source_words_not_seen_in_fit_are_counted_in_one_warning(rough: Translator) -> None:
    sources = ["Zebra cat runs.", "Red cat runs.", "Moses and the zebra.", "Red qux."]
    assert rough.unknown_words(sources) == [["zebra"], [], ["moses", "and", "the", "zebra"], ["qux"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rough.predict(sources)
    assert [str(w.message) for w in caught] == [
        "3 of 4 source sentences have words not seen in fit (5 distinct: 'zebra', 'moses', 'and', ...): each reads as the unknown "
        "token, which the model cannot translate (with copy_unknown a translation may copy it through as is)."]
    assert caught[0].filename == __file__  # at the user's line


def test_copy_unknown_replaces_unk_by_attended_source_word(trained: Translator, monkeypatch: pytest.MonkeyPatch) -> None:
    unk, gato = trained.target_vocab_.index("<unk>"), trained.target_vocab_.index("gato")
    # decoder output "<unk> gato <unk>" attending to source positions 0, 1 and 3 (3 = the source's EOS)
    monkeypatch.setattr(trained, "_decode", lambda texts, *a: [([unk, gato, unk], -1.0, [0, 1, 3])] * len(texts))
    with pytest.warns(UserWarning, match="1 distinct: 'moses'"):  # the unknown source word, counted
        assert trained.predict(["Moses cat runs"]) == ["moses gato"]
        assert trained.predict(["Moses cat runs"], copy_unknown=False) == ["<unk> gato <unk>"]


# -- files ----------------------------------------------------------------
def test_save_load_gives_identical_translations(trained: Translator, data: dict[str, list[str]], tmp_path) -> None:
    path = tmp_path / "translator.safetensors"
    trained.save(path)
    for loaded in (Translator.load(path), hl.load(path)):
        assert isinstance(loaded, Translator)
        assert loaded.predict(data["St"][:20]) == trained.predict(data["St"][:20])
        assert loaded.predict(data["St"][:5], beam_size=3) == trained.predict(data["St"][:5], beam_size=3)
        assert loaded.source_vocab_ == trained.source_vocab_ and loaded.target_vocab_ == trained.target_vocab_
        assert loaded.loss_curve_ == trained.loss_curve_ and loaded.stop_reason_ == trained.stop_reason_
        assert loaded.get_params() == trained.get_params()
    assert hl.ship.read_metadata(path)["estimator"] == "Translator"
    with pytest.raises(ModelFileError, match="holds a 'Translator' model, not an Autoencoder"):
        hl.Autoencoder.load(path)


def test_pickle_round_trip(trained: Translator, data: dict[str, list[str]]) -> None:
    copy = pickle.loads(pickle.dumps(trained))
    assert copy.predict(data["St"][:20]) == trained.predict(data["St"][:20])


@pytest.mark.parametrize("old", ["hiddenlayers.apps._translate", "hiddenlayers.apps.translate"])  # before apps/_translate/; the flat layout's
def test_a_pickle_naming_the_old_module_paths_loads(rough: Translator, data: dict[str, list[str]], old: str) -> None:
    blob = pickle.dumps(rough, protocol=0)  # protocol 0 names each class's module as plain text
    for new, was in ((b"hiddenlayers.apps._translate.translate\n", f"{old}\n".encode()),
                     (b"hiddenlayers.apps._translate.text\n", b"hiddenlayers.apps._translate_text\n"),
                     (b"hiddenlayers.apps._translate.seq2seq\n", b"hiddenlayers.apps._seq2seq\n")):
        assert new in blob
        blob = blob.replace(new, was)
    assert b"apps._translate." not in blob
    copy = pickle.loads(blob)  # noqa: S301 (made just above)
    assert type(copy) is Translator and copy.predict(data["St"][:20]) == rough.predict(data["St"][:20])


def test_char_tokenizer_fits_and_saves(tmp_path) -> None:
    tr = Translator(tokenizer="char", hidden_size=16, embed_dim=8, max_iter=1, early_stopping=False, random_state=0)
    tr.fit(["ab", "ba", "abba"], ["12", "21", "1221"])
    assert set(tr.target_vocab_) == set(SPECIALS) | {"1", "2"}
    tr.save(tmp_path / "c.safetensors")
    assert Translator.load(tmp_path / "c.safetensors").predict(["ab"]) == tr.predict(["ab"])


# -- tokenizer --------------------------------------------------------------
def test_word_tokenizer() -> None:
    assert tokenize("Hello, World! It's (¿qué?) 3.5") == [
        "hello",
        ",",
        "world",
        "!",
        "it",
        "'",
        "s",
        "(",
        "¿",
        "qué",
        "?",
        ")",
        "3",
        ".",
        "5",
    ]
    assert detokenize(["hello", ",", "world", "!", "it", "'", "s", "(", "¿", "qué", "?", ")"]) == "hello, world! it's (¿qué?)"
    assert tokenize("  Ab  c ", kind="char") == ["a", "b", " ", "c"]
    vocab = Vocab.build([["b", "a", "b"], ["c", "a", "d"]], max_size=6, min_freq=1)
    assert vocab.itos == list(SPECIALS) + ["a", "b"]
    assert vocab.encode(["a", "zzz"]) == [4, 1]
    assert Vocab.build([["b", "a", "b"], ["c"]], max_size=None, min_freq=2).itos == list(SPECIALS) + ["b"]


def test_a_sentence_typed_with_decomposed_accents_reads_as_the_precomposed_one(tmp_path) -> None:
    """Fitted on precomposed accents (NFC), given "e" + U+0301 (NFD: macOS, PDF copy): the same tokens (each such word was two
    unknown tokens), translations and BLEU; NFC changes no character's look, so "…" stays; older files and pickles read text as typed."""
    src, tgt = ["le caf\u00e9 est bon", "le th\u00e9 est chaud", "un caf\u00e9\u2026"] * 4, ["el caf\u00e9 est\u00e1 bueno", "el t\u00e9 est\u00e1 caliente", "un caf\u00e9\u2026"] * 4
    nfd = [unicodedata.normalize("NFD", s) for s in src[:3]]
    assert tokenize(nfd[0], normalize="NFC") == tokenize(src[0]) == ["le", "caf\u00e9", "est", "bon"]
    assert tokenize(nfd[0]) == ["le", "cafe", "\u0301", "est", "bon"] and tokenize("\u2026\ufb01", normalize="NFC") == ["\u2026", "\ufb01"]
    tr = Translator(hidden_size=8, embed_dim=8, max_iter=1, early_stopping=False, random_state=0).fit(src, tgt)
    assert tr.normalize == "NFC" and "\u2026" in tr.source_vocab_ and "\u2026" in tr.target_vocab_
    assert tr.unknown_words(nfd) == [[], [], []] and tr.predict(nfd) == tr.predict(src[:3])
    refs = [unicodedata.normalize("NFD", t) for t in tgt[:3]]
    assert tr.score(src[:3], refs) == tr.score(src[:3], tgt[:3])  # the references read as the targets were
    tr.save(tmp_path / "t.safetensors")
    assert Translator.load(tmp_path / "t.safetensors").normalize == pickle.loads(pickle.dumps(tr)).normalize == "NFC"
    legacy = Path(__file__).parents[1] / "fixtures" / "legacy"
    # Our own fixture, written by this project's code: unpickling it is the point.
    for old in (hl.load(legacy / "translator.safetensors"), pickle.loads((legacy / "translator.pkl").read_bytes())):  # noqa: S301
        assert old.normalize is None and old.get_params()["normalize"] is None
    with pytest.raises(ValueError, match=r"warm_start=True goes on .*Received: normalize='NFKC', but the fitted network was built with normalize='NFC'"):
        tr.set_params(warm_start=True, normalize="NFKC").fit(src, tgt)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(["word", "char"]))
def test_detokenize_keeps_tokens(text: str, kind: str) -> None:
    tokens = tokenize(text, kind, lowercase=False)
    assert tokenize(detokenize(tokens, kind), kind, lowercase=False) == tokens


# -- errors ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("sources", "targets", "exc", "message"),
    [
        (["a b"], ["x", "y"], ValueError, "sources and targets must pair up one to one: got 1 sources and 2 targets."),
        ([], [], ValueError, "sources is empty: pass at least one sentence."),
        ("a b", ["x"], TypeError, r"sources must be a list of strings, not a single string: wrap it as \[sources\]."),
        (["a", 3], ["x", "y"], TypeError, r"sources\[1\] is int \(3\), not str: every sentence must be a string."),
        (["a"], [None], TypeError, r"targets\[0\] is NoneType \(None\), not str"),
        (5, ["x"], TypeError, "sources must be a list of strings. Received: int."),
        (["a"], ["x"], ValueError, "1 sentence pairs are too few for early_stopping with validation_fraction=0.1"),
    ],
)
def test_fit_errors(sources, targets, exc, message) -> None:
    with pytest.raises(exc, match=message):
        Translator().fit(sources, targets)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cell": "rnn"}, "cell must be one of 'gru', 'lstm'. Received: cell='rnn'."),
        ({"attention": "dot"}, "attention must be one of 'bahdanau', 'luong'. Received: attention='dot'."),
        ({"tokenizer": "bpe"}, "tokenizer must be one of 'word', 'char'. Received: tokenizer='bpe'."),
        ({"hidden_size": 0}, "hidden_size must be an integer >= 1. Received: hidden_size=0."),
        ({"max_len": 1}, "max_len must be an integer >= 2. Received: max_len=1."),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\). Received: dropout=1.0."),
        ({"teacher_forcing": 1.5}, r"teacher_forcing must be a probability in \[0, 1\]. Received: teacher_forcing=1.5."),
        ({"learning_rate_init": 0}, "learning_rate_init must be a number > 0. Received: learning_rate_init=0."),
        ({"max_vocab": 3}, "max_vocab must be an integer >= 5. Received: max_vocab=3."),
        ({"max_time": 0}, "max_time must be None or a number of seconds > 0. Received: max_time=0."),
        ({"normalize": "NFD"}, "normalize must be 'NFKC', 'NFC' or None. Received: normalize='NFD'."),
    ],
)
def test_param_errors(params, message) -> None:
    with pytest.raises(ValueError, match=message):
        Translator(**params).fit(["a b", "c d"], ["x", "y"])
    with pytest.raises(TypeError, match="tie_embeddings must be True or False. Received: tie_embeddings='yes'."):
        Translator(tie_embeddings="yes").fit(["a b", "c d"], ["x", "y"])


def test_use_errors(rough: Translator) -> None:
    with pytest.raises(NotFittedError, match=r"This Translator instance is not fitted yet: call fit\(sources, targets\)"):
        Translator().predict(["a"])
    with pytest.raises(NotFittedError):
        Translator().save("never.safetensors")
    with pytest.raises(ValueError, match="beam_size must be an integer >= 1. Received: beam_size=0."):
        rough.predict(["a"], beam_size=0)
    with pytest.raises(ValueError, match="length_penalty must be a number >= 0. Received: length_penalty=-1."):
        rough.predict(["a"], beam_size=2, length_penalty=-1)
    with pytest.raises(TypeError, match=r"source must be one sentence \(str\). Received: list; use predict\(\) for lists."):
        rough.attention_map(["a"])
    with pytest.raises(TypeError, match="sources must be a list of strings, not a single string"):
        rough.predict("red cat")
    with pytest.raises(ValueError, match="sources and targets must pair up one to one: got 1 sources and 2 targets."):
        rough.score(["a"], ["x", "y"])


# -- fast teacher-forced path and tied embeddings ----------------------------
@pytest.mark.parametrize(("cell", "tie", "embed"), [("gru", False, 8), ("lstm", True, 8), ("gru", True, 12)])
def test_parallel_path_equals_step_by_step(cell: str, tie: bool, embed: int) -> None:
    """Luong without input feeding: one RNN call + batched attention gives the step function's logits."""
    from hiddenlayers.apps._translate.seq2seq import Seq2Seq

    torch.manual_seed(0)
    model = Seq2Seq(
        30,
        25,
        embed_dim=embed,
        hidden_size=12,
        cell=cell,
        num_layers=2,
        bidirectional=True,
        attention="luong",
        dropout=0.3,
        input_feeding=False,
        tie_embeddings=tie,
    ).eval()
    assert model.parallel_ok
    src, lengths = pad_batch([[5, 6, 7, 3], [8, 3], [9, 10, 11, 12, 13, 3]])
    tgt_in, _ = pad_batch([[2, 4, 5, 6], [2, 7], [2, 8, 9, 10, 11, 12]])
    mask = tgt_in != 0
    with torch.no_grad():
        fast = model(src, lengths, tgt_in, mask=mask)
        enc = model.encode(src, lengths)
        state, feed, steps = enc.state, model.initial_feed(enc), []
        for t in range(tgt_in.shape[1]):
            logits, state, feed, _ = model.step(tgt_in[:, t], state, feed, enc)
            steps.append(logits)
        slow = torch.stack(steps, 1)[mask]
        full = model.parallel(tgt_in, enc)  # no mask: every position, (B, T, V)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)
    torch.testing.assert_close(full[mask], slow, atol=1e-5, rtol=0)
    # teacher_forcing < 1 takes the step path, which with all-true inputs is the same
    model.train()
    assert model(src, lengths, tgt_in, teacher_forcing=0.5, mask=mask).shape == fast.shape


def test_input_feeding_and_bahdanau_keep_the_step_path() -> None:
    from hiddenlayers.apps._translate.seq2seq import Seq2Seq

    kw = dict(embed_dim=8, hidden_size=8, cell="gru", num_layers=1, bidirectional=False, dropout=0.0)
    assert not Seq2Seq(10, 10, attention="luong", input_feeding=True, **kw).parallel_ok
    assert not Seq2Seq(10, 10, attention="bahdanau", input_feeding=False, **kw).parallel_ok


def test_tied_embeddings_learn_and_round_trip(data: dict[str, list[str]], tmp_path) -> None:
    tr = Translator(hidden_size=48, embed_dim=24, tie_embeddings=True, batch_size=32, max_iter=5, random_state=0)  # BLEU 90.3/95.6/93.4, seeds 0-2
    tr.fit(data["S"][:800], data["T"][:800])
    names = dict(tr.model_.named_parameters())
    assert "out.weight" not in names and "out_bias" in names and names["project.weight"].shape == (24, 48)
    assert tr.score(data["St"], data["Tt"]) >= 80.0
    path = tmp_path / "tied.safetensors"
    tr.save(path)
    loaded = Translator.load(path)
    assert loaded.get_params()["tie_embeddings"] is True
    assert loaded.predict(data["St"][:20]) == tr.predict(data["St"][:20])
    np.testing.assert_allclose(loaded.log_probability(data["St"][:5], data["Tt"][:5]), tr.log_probability(data["St"][:5], data["Tt"][:5]))


def test_input_feeding_untied_luong_learns_and_round_trips(data: dict[str, list[str]], tmp_path) -> None:
    tr = Translator(
        hidden_size=48, embed_dim=24, attention="luong", input_feeding=True, tie_embeddings=False, batch_size=32, max_iter=6, random_state=0
    )
    assert tr.fit(data["S"][:600], data["T"][:600]).score(data["St"], data["Tt"]) >= 60.0
    assert "out.weight" in dict(tr.model_.named_parameters())
    tr.save(tmp_path / "feed.safetensors")
    assert Translator.load(tmp_path / "feed.safetensors").predict(data["St"][:10]) == tr.predict(data["St"][:10])


def test_max_time_stops_before_an_epoch_that_would_overrun(data: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import hiddenlayers.apps._translate.translate as module

    clock = iter(range(1000))  # each reading of the clock: one second later
    monkeypatch.setattr(module, "time", types.SimpleNamespace(perf_counter=lambda: float(next(clock))))
    tr = Translator(hidden_size=8, embed_dim=4, max_iter=5, max_time=1.5, random_state=0).fit(data["S"][:50], data["T"][:50])
    assert tr.n_iter_ == 1 and tr.stop_reason_ == "time_limit"  # 1 s used, and another 1 s epoch would end past 1.5 s
    clock = iter(range(1000))
    tr = Translator(hidden_size=8, embed_dim=4, max_iter=5, max_time=2.5, random_state=0).fit(data["S"][:50], data["T"][:50])
    assert tr.n_iter_ == 2 and tr.stop_reason_ == "time_limit"


def test_a_refit_that_fails_in_training_leaves_the_model_as_it_was(data: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """New vocabularies and a new model are assigned in the fit; when training raises, the old ones come back."""
    from hiddenlayers.apps._translate import translate as _translate

    model = Translator(hidden_size=16, embed_dim=8, batch_size=32, max_iter=1, early_stopping=False, random_state=0).fit(data["S"][:100], data["T"][:100])
    before = dict(vars(model))
    out = model.predict(data["St"][:5])

    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(_translate, "train", fails)
    with pytest.raises(RuntimeError, match="out of memory"):
        model.fit(["other words entirely"] * 20, ["andere woerter"] * 20)
    assert [k for k, v in before.items() if vars(model).get(k) is not v] == [] and vars(model).keys() == before.keys()
    assert model.predict(data["St"][:5]) == out


def test_held_epoch_is_the_epoch_whose_weights_the_model_keeps(trained: Translator, rough: Translator) -> None:
    """With validation the best epoch's weights are put back; without, the last epoch's (History.held_epoch was never set)."""
    assert trained.history_.best_epoch and trained.history_.held_epoch == trained.history_.best_epoch
    assert rough.history_.held_epoch == rough.history_.epoch[-1] == 1


# -- Ctrl-C -----------------------------------------------------------------
def _ctrl_c_in_epoch(tr: Translator, epoch: int, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, torch.Tensor]]:
    """Ctrl-C at the second training batch of ``epoch``; returns the weights at each epoch's start (``[k]``: after epoch k)."""
    real, starts = tr._batches, []

    def batches(lengths: list[int], shuffle: bool, rng: np.random.Generator | None = None):  # type: ignore[no-untyped-def]
        if not shuffle:  # validation and decoding
            yield from real(lengths, shuffle, rng)
            return
        starts.append({k: v.clone() for k, v in tr.model_.state_dict().items()})
        for i, b in enumerate(real(lengths, shuffle, rng)):
            if len(starts) == epoch and i == 1:
                raise KeyboardInterrupt
            yield b

    monkeypatch.setattr(tr, "_batches", batches)
    return starts


def _same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_ctrl_c_mid_epoch_keeps_the_kept_epochs_weights_with_one_warning(
    data: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch, early_stopping: bool
) -> None:
    """Without validation the last whole epoch's weights are kept, with it the best epoch's; the unfinished epoch is not recorded."""
    tr = Translator(hidden_size=16, embed_dim=8, batch_size=32, max_iter=10, early_stopping=early_stopping, random_state=0)
    starts = _ctrl_c_in_epoch(tr, 4, monkeypatch)
    with pytest.warns(hl.InterruptedWarning, match=r"^training interrupted by the user; restored the weights of epoch [1-3]\.$") as caught:
        out = tr.fit(data["S"][:300], data["T"][:300])
    assert out is tr
    assert [w.filename for w in caught if w.category is hl.InterruptedWarning] == [__file__]
    assert tr.stop_reason_ == "interrupted" and tr.history_.stop_message.startswith("interrupted by the user")
    assert tr.n_iter_ == 3 and len(tr.loss_curve_) == 3 and tr.history_.epoch == [1, 2, 3]
    kept = tr.history_.best_epoch if early_stopping else 3
    assert kept and f"epoch {kept}." in str(caught[0].message)
    assert tr.history_.held_epoch == kept
    assert _same_weights(tr.model_.state_dict(), starts[kept])
    assert not tr.model_.training and all(isinstance(t, str) for t in tr.predict(data["St"][:5]))


def test_ctrl_c_in_the_first_epoch_keeps_the_initial_weights(data: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """As the other applications: a fitted model with the run's starting weights and no epoch recorded."""
    tr = Translator(hidden_size=16, embed_dim=8, batch_size=32, max_iter=5, random_state=0)
    starts = _ctrl_c_in_epoch(tr, 1, monkeypatch)
    with pytest.warns(hl.InterruptedWarning, match=r"^training interrupted by the user; restored the weights of the start of this run\.$") as caught:
        assert tr.fit(data["S"][:300], data["T"][:300]) is tr
    assert caught[0].filename == __file__
    assert tr.stop_reason_ == "interrupted" and tr.n_iter_ == 0 and tr.loss_curve_ == [] and tr.validation_scores_ == []
    assert tr.history_.held_epoch == 0
    assert _same_weights(tr.model_.state_dict(), starts[0])
    assert len(tr.predict(data["St"][:3])) == 3


def test_a_diverging_fit_warns_once_at_the_users_line_and_keeps_the_best_weights(
    data: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Translator's own loop put the best weights back after a NaN loss without a word; the estimators warn DivergedWarning."""
    from hiddenlayers.apps._translate import fit as translate_fit

    real = torch.nn.functional.cross_entropy
    calls = {"train": 0}
    tr = Translator(hidden_size=16, embed_dim=8, batch_size=32, max_iter=6, random_state=0)
    real_batches = tr._batches

    def batches(lengths: list[int], shuffle: bool, rng: np.random.Generator | None = None):  # type: ignore[no-untyped-def]
        if shuffle:
            calls["train"] += 1  # the epoch now training
        yield from real_batches(lengths, shuffle, rng)

    def cross_entropy(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        return out * float("nan") if calls["train"] == 3 and torch.is_grad_enabled() else out

    monkeypatch.setattr(tr, "_batches", batches)
    monkeypatch.setattr(translate_fit.torch.nn.functional, "cross_entropy", cross_entropy)
    with pytest.warns(hl.DivergedWarning, match=r"^training diverged at epoch 3: the loss became nan; restored the weights of epoch [12]\. "
                                                 r"Lower learning_rate_init \(now 0\.002\), or lower max_grad_norm \(now 5\.0\)\.$") as caught:
        tr.fit(data["S"][:300], data["T"][:300])
    assert [w.filename for w in caught if w.category is hl.DivergedWarning] == [__file__]
    assert tr.stop_reason_ == "diverged" and tr.n_iter_ == 3
    assert tr.history_.held_epoch == tr.history_.best_epoch and tr.history_.held_epoch in (1, 2)


def test_named_columns_are_remembered_in_the_file_and_a_refit_on_lists_forgets_them(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"en": ["a b", "c d", "a d", "c b"] * 3, "es": ["x y", "z w", "x w", "z y"] * 3})
    tr = Translator(hidden_size=8, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(frame["en"], frame["es"])
    assert (tr.source_column_, tr.target_column_) == ("en", "es")
    tr.save(tmp_path / "t.safetensors")
    back = Translator.load(tmp_path / "t.safetensors")
    assert (back.source_column_, back.target_column_) == ("en", "es")
    back.fit(frame["en"].tolist(), frame["es"].tolist())
    assert not hasattr(back, "source_column_") and not hasattr(back, "target_column_")


def test_device_defaults_to_auto_as_every_other_app() -> None:  # it was 'cpu': a GPU machine trained the Translator on the CPU
    others = [hl.apps.ImageClassifier, hl.apps.TextClassifier, hl.apps.SequenceClassifier, hl.apps.SpeechRecognizer,
              hl.apps.Forecaster, hl.apps.Autoencoder, hl.apps.Recommender]
    assert {cls().get_params()["device"] for cls in others} == {"auto"}
    assert Translator().get_params()["device"] == "auto"
    assert "device : str, default='auto'" in (Translator.__doc__ or "")


def test_pairs_with_an_empty_side_are_named_in_one_warning() -> None:
    """An empty or blank source or target trained without a word (a cut parallel corpus): one warning names how many and
    which pairs, and the fit goes on; clean pairs give none."""
    src, tgt = ["a b", "", "c", "d e", "f"], ["x y", "z", "   ", "w", "v"]
    with pytest.warns(UserWarning, match=r"^2 of 5 sentence pairs have an empty source or target \(pairs 1, 2\): .*s\.strip\(\) and t\.strip\(\)"):
        Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(src, tgt)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*empty source or target")
        Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(src[:1] + src[3:], tgt[:1] + tgt[3:])
