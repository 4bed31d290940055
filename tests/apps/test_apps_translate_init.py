"""Translator(init_from=, freeze=): rows copied by token text, layers by shape, refusals, files, clones; a Bible learning test."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

import hiddenlayers as hl
from hiddenlayers import Autoencoder
from hiddenlayers.apps import Translator
from hiddenlayers.apps._translate.text import SPECIALS, tokenize
from hiddenlayers.apps._translate.warm import shared_rows

SMALL = dict(hidden_size=16, embed_dim=8, batch_size=32, early_stopping=False)
# a learning rate so small that one epoch moves no weight by more than ~1e-8: what fit copied is what the model holds
STILL = dict(SMALL, max_iter=1, learning_rate_init=1e-9)
LAYERS = ["encoder", "bridge", "attn", "decoder", "combine", "project"]


def pairs(words: list[tuple[str, str]], n: int, seed: int) -> tuple[list[str], list[str]]:
    """``n`` pairs of 2-5 words from the (source, target) word list ``words``, the target in reverse order."""
    rng = np.random.default_rng(seed)
    rows = [rng.integers(0, len(words), rng.integers(2, 6)) for _ in range(n)]
    return [" ".join(words[i][0] for i in r) for r in rows], [" ".join(words[i][1] for i in r[::-1]) for r in rows]


GENERAL = [("red", "rojo"), ("blue", "azul"), ("cat", "gato"), ("dog", "perro"), ("runs", "corre"), ("eats", "come"), ("big", "grande"), ("one", "uno")]
# the domain: some words of the general data (in another frequency order, so other ids) and words the source never saw
DOMAIN = [("dog", "perro"), ("dog", "perro"), ("dog", "perro"), ("eats", "come"), ("cat", "gato"), ("valve", "valvula"), ("pump", "bomba")]


@pytest.fixture(scope="module")
def source() -> Translator:
    return Translator(**SMALL, max_iter=2, random_state=0).fit(*pairs(GENERAL, 200, 0))


@pytest.fixture(scope="module")
def domain() -> tuple[list[str], list[str]]:
    return pairs(DOMAIN, 60, 1)


def _row(model: Translator, layer: str, side: str, token: str) -> torch.Tensor:
    vocab = model.source_vocab_ if side == "source" else model.target_vocab_
    return model.model_.get_parameter(layer)[vocab.index(token)].detach()


@pytest.mark.parametrize("tie", [True, False])
def test_rows_are_copied_by_token_text_and_new_tokens_start_fresh(source: Translator, domain: tuple[list[str], list[str]], tie: bool) -> None:
    # tied embeddings are the default: the module's source is that model (only read here)
    src = source if tie else Translator(**SMALL, max_iter=2, random_state=0, tie_embeddings=False).fit(*pairs(GENERAL, 200, 0))
    assert src.tie_embeddings is tie
    tuned = Translator(**STILL, random_state=3, tie_embeddings=tie, init_from=src).fit(*domain)
    fresh = Translator(**STILL, random_state=3, tie_embeddings=tie).fit(*domain)  # the same data, seed and so the same initial weights
    assert tuned.source_vocab_ == fresh.source_vocab_ and "valve" in tuned.source_vocab_  # the vocabulary is this data's
    assert tuned.source_vocab_.index("dog") != src.source_vocab_.index("dog")  # ids differ: a copy by position would be wrong
    out = ["model.out_bias"] if tie else ["model.out.weight", "model.out.bias"]
    for side, layer, shared, new in (("source", "src_embed.weight", "dog", "pump"), ("target", "tgt_embed.weight", "perro", "bomba"),
                                     *(("target", name[6:], "perro", "bomba") for name in out)):
        torch.testing.assert_close(_row(tuned, layer, side, shared), _row(src, layer, side, shared), atol=1e-6, rtol=0)
        torch.testing.assert_close(_row(tuned, layer, side, new), _row(fresh, layer, side, new), atol=1e-6, rtol=0)
    assert tuned.transferred_ == ["src_embed", "tgt_embed", "out_bias" if tie else "out", *LAYERS[: 6 if tie else 5]]
    for name in ("encoder.weight_ih_l0", "decoder.weight_hh_l0", "combine.weight"):
        torch.testing.assert_close(tuned.model_.get_parameter(name), src.model_.get_parameter(name), atol=1e-6, rtol=0)
    assert tuned.provenance_ == {"source": "Translator", "source_sha256": None, "transferred": tuned.transferred_, "frozen": [],
                                 "source_tokens_copied": 3, "source_tokens_new": 2, "target_tokens_copied": 3, "target_tokens_new": 2}
    assert fresh.provenance_ is None and fresh.transferred_ == []


def test_shared_rows_pairs_each_token_with_its_row_in_both() -> None:
    new, old = shared_rows([*SPECIALS, "a", "b", "c"], [*SPECIALS, "c", "x", "a"])
    assert new.tolist() == [0, 1, 2, 3, 4, 6] and old.tolist() == [0, 1, 2, 3, 6, 4]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("abcdefgh"), unique=True), st.lists(st.sampled_from("abcdefgh"), unique=True))
def test_shared_rows_match_every_common_token_and_nothing_else(old: list[str], new: list[str]) -> None:
    old, new = [*SPECIALS, *old], [*SPECIALS, *new]
    rows_new, rows_old = shared_rows(old, new)
    assert [new[i] for i in rows_new.tolist()] == [old[j] for j in rows_old.tolist()]
    assert {new[i] for i in rows_new.tolist()} == set(old) & set(new) and rows_new.tolist() == sorted(rows_new.tolist())


def test_frozen_layers_stay_bit_identical_and_train_again_after(source: Translator, domain: tuple[list[str], list[str]]) -> None:
    tuned = Translator(**SMALL, max_iter=2, random_state=1, init_from=source, freeze=2).fit(*domain)
    assert tuned.frozen_ == ["encoder", "bridge"] and tuned.provenance_["frozen"] == ["encoder", "bridge"]
    for name, same in (("encoder.weight_ih_l0", True), ("bridge.weight", True), ("decoder.weight_ih_l0", False), ("combine.weight", False)):
        assert torch.equal(tuned.model_.get_parameter(name), source.model_.get_parameter(name)) is same, name
    assert all(p.requires_grad for p in tuned.model_.parameters())
    named = Translator(**SMALL, max_iter=1, random_state=1, init_from=source, freeze=["decoder", "attn"]).fit(*domain)
    assert named.frozen_ == ["attn", "decoder"]  # in data order
    lstm = Translator(**SMALL, max_iter=1, cell="lstm", random_state=0, freeze=3).fit(*domain)  # freeze without a source: fresh layers fixed
    assert lstm.frozen_ == ["encoder", "bridge", "bridge_cell"] and lstm.provenance_ == {"source": None, "source_sha256": None, "transferred": [],
                                                                                          "frozen": ["encoder", "bridge", "bridge_cell"]}


@pytest.mark.parametrize(("freeze", "error", "message"), [
    (7, ValueError, "freeze must be 0..5 (the number of hidden layers to keep fixed). Received: freeze=7."),
    (["src_embed"], ValueError, "freeze names unknown layer(s) ['src_embed']: the hidden layers are ['encoder', 'bridge', 'attn', 'decoder', 'combine']"),
    ("head_first", ValueError, "freeze='head_first' is for MLPClassifier/MLPRegressor and ImageClassifier; Translator takes a count"),
])
def test_bad_freeze_is_one_line(source: Translator, domain: tuple[list[str], list[str]], freeze: object, error: type, message: str) -> None:
    with pytest.raises(error) as caught:
        Translator(**STILL, init_from=source, freeze=freeze).fit(*domain)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_layers_of_another_shape_start_fresh_and_are_named_in_one_warning(source: Translator, domain: tuple[list[str], list[str]]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tuned = Translator(**{**STILL, "hidden_size": 24}, random_state=0, init_from=source).fit(*domain)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and messages[0].startswith("init_from: 6 layer(s) not copied, their shapes differ (shapes are (out, in)): "
                                                         "encoder (source GRU (48, 8), this model GRU (72, 8)); bridge (source Linear (16, 32)")
    assert tuned.transferred_ == ["src_embed", "tgt_embed", "out_bias"]  # the embeddings (embed_dim 8) and the tied output's bias
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        other = Translator(**STILL, attention="bahdanau", random_state=0, init_from=source).fit(*domain)
    assert str(caught[0].message) == ("init_from: 2 layer(s) not copied, for the reason each gives (shapes are (out, in)): attn (the source's "
                                      "attention is 'luong', this model's 'bahdanau'); decoder (source GRU (48, 8), this model GRU (48, 40)); "
                                      "they start from fresh random weights.")  # not "their shapes differ": the attention's are the same
    assert "attn" not in other.transferred_ and "encoder" in other.transferred_
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Translator(**{**STILL, "hidden_size": 24}, tie_embeddings=False, random_state=0, init_from=source).fit(*domain)
    message = str(caught[0].message)
    assert message.startswith("init_from: 6 layer(s) not copied, for the reason each gives (shapes are (out, in)): out (the source ties its "
                              "output layer to the target embeddings); encoder (source GRU (48, 8), this model GRU (72, 8)); "), message


@pytest.mark.parametrize(("change", "message"), [
    ({"lowercase": False}, "init_from: the source Translator has lowercase=True, this one lowercase=False: their tokens would not mean the same, "
                           "so no word's row could be copied; set lowercase=True (the source's) or drop init_from."),
    ({"tokenizer": "char"}, "init_from: the source Translator has tokenizer='word', this one tokenizer='char'"),
    ({"normalize": None}, "init_from: the source Translator has normalize='NFC', this one normalize=None: their tokens would not mean the same"),
    ({"hidden_size": 24, "embed_dim": 4}, "init_from: no layer of the source could be copied, for the reason each gives: src_embed (source width 8, this model 4: "
                                          "embed_dim differs); tgt_embed (source width 8, this model 4: embed_dim differs); out_bias (tgt_embed, the tied"),
])
def test_a_source_whose_tokens_or_layers_do_not_fit_is_one_error_and_the_model_is_unchanged(
    source: Translator, domain: tuple[list[str], list[str]], change: dict[str, object], message: str
) -> None:
    model = Translator(**STILL, random_state=0).fit(*domain)
    before = (list(model.source_vocab_), model.model_, model.provenance_)
    model.set_params(init_from=source, **change)
    with pytest.raises(ValueError) as caught:
        model.fit(*pairs(GENERAL, 30, 5))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert (model.source_vocab_, model.model_, model.provenance_) == before
    if "hidden_size" in change:
        assert "Give the model the source's layer sizes (hidden_size, embed_dim and the other sizes its file stores)" in str(caught.value)


def test_no_word_in_common_is_not_a_copy(source: Translator) -> None:
    with pytest.raises(ValueError, match="^init_from: no layer of the source could be copied, for the reason each gives: ") as caught:
        Translator(**{**STILL, "hidden_size": 24}, init_from=source).fit(*pairs([("valve", "valvula"), ("pump", "bomba")], 20, 0))
    assert "src_embed (no source word in common with the source's vocabulary)" in str(caught.value)


def test_another_class_is_refused(tmp_path: Path, domain: tuple[list[str], list[str]]) -> None:
    ae = Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(np.random.default_rng(0).normal(size=(40, 3)))
    ae.save(tmp_path / "ae.safetensors")
    for other in (ae, tmp_path / "ae.safetensors"):
        with pytest.raises(ValueError, match="init_from: the source is an Autoencoder, not a Translator: start a Translator from a fitted Translator"):
            Translator(**STILL, init_from=other).fit(*domain)
    with pytest.raises(TypeError, match="init_from must be a fitted model"):
        Translator(**STILL, init_from=Translator()).fit(*domain)


def test_a_fitted_translator_is_a_source_the_mlp_estimators_refuse_in_one_line(source: Translator) -> None:
    with pytest.raises(ValueError, match="init_from: the source model has no hidden layers to copy"):
        hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, init_from=source).fit(np.zeros((10, 2)), np.zeros(10))


def test_file_source_provenance_and_round_trip(source: Translator, domain: tuple[list[str], list[str]], tmp_path: Path) -> None:
    source.save(tmp_path / "general.safetensors")
    tuned = Translator(**SMALL, max_iter=1, random_state=0, init_from=str(tmp_path / "general.safetensors"), freeze=1).fit(*domain)
    assert tuned.provenance_["source"] == "general.safetensors" and len(tuned.provenance_["source_sha256"]) == 64
    tuned.save(tmp_path / "tuned.safetensors")
    back = hl.load(tmp_path / "tuned.safetensors")
    assert back.provenance_ == tuned.provenance_ and back.init_from is None and back.freeze == 1
    assert (back.transferred_, back.frozen_) == (tuned.transferred_, tuned.frozen_) == (tuned.provenance_["transferred"], ["encoder"])
    assert back.predict(domain[0][:5]) == tuned.predict(domain[0][:5])
    fresh = Translator(**STILL, random_state=0).fit(*domain)
    fresh.save(tmp_path / "fresh.safetensors")
    assert not hasattr(hl.load(tmp_path / "fresh.safetensors"), "provenance_")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_cpu_source_starts_a_gpu_model(source: Translator, domain: tuple[list[str], list[str]]) -> None:
    tuned = Translator(**STILL, random_state=3, device="cuda", init_from=source).fit(*domain)
    assert next(tuned.model_.parameters()).is_cuda and "encoder" in tuned.transferred_
    torch.testing.assert_close(_row(tuned, "src_embed.weight", "source", "dog").cpu(), _row(source, "src_embed.weight", "source", "dog"), atol=1e-6, rtol=0)


def test_clone_keeps_a_fitted_source_by_reference(source: Translator) -> None:
    assert clone(Translator(init_from=source)).init_from is source
    assert clone(Translator(init_from="a.safetensors")).init_from == "a.safetensors"


# -- learning: a model pre-trained on general verses helps on a small domain --------------------------------------------


def _bibles_missing() -> str | None:
    from hiddenlayers.data._bible import resolve_module
    from hiddenlayers.exceptions import DataError

    if shutil.which("mod2imp") is None:
        return "mod2imp not installed (apt-get install libsword-utils; `make system-deps` does it)"
    try:
        resolve_module("WEB"), resolve_module("SpaRV")
    except DataError:
        return "Bible modules not installed (apt-get install sword-text-web sword-text-sparv; `make system-deps` does it)"
    return None


def _per_token(model: Translator, sources: list[str], targets: list[str]) -> float:
    """Mean log-probability (nats) per reference token, EOS included."""
    tokens = sum(len(tokenize(t)) + 1 for t in targets)
    return float(model.log_probability(sources, targets).sum() / tokens)


@pytest.mark.skipif(_bibles_missing() is not None, reason=str(_bibles_missing()))
def test_pretraining_on_general_verses_helps_a_small_gospel_set(bible_pairs: pd.DataFrame) -> None:
    """Pre-train on the 1,470 verses of 3-10 words outside the Gospels (English -> Spanish, 2 epochs), fine-tune on 200 Gospel verses
    for 4 epochs; on the other 42 Gospel verses of 3-10 words the fine-tuned model gives the references more log-probability per
    token than a fresh model trained the same way on the 200. Gains (nats per token) at fine-tuning seeds 0-2, measured with the
    data order and the source's seed s = 0, 1, 2 (the test's is s = 0): 0.355/0.205/0.276, 0.296/0.320/0.669, 0.246/0.421/0.637
    (3 source epochs, as before: 0.426/0.278/0.347, 0.390/0.389/0.750, 0.329/0.501/0.718; 2 epochs at batch 128 fell to a mean
    0.193 at s = 0). A source pre-trained on 1,000 of them was worse than fresh (-5.98 vs -5.77 nats at seed 0, 3 epochs): the
    transfer helps once the source has learned enough."""
    pairs_ = bible_pairs  # hl.data.load_bible_pairs(), read once a session (conftest)
    words = pairs_.src.str.split().str.len()
    short = pairs_[words.between(3, 10)]
    gospel = short.book.isin(["Matthew", "Mark", "Luke", "John"])
    rng = np.random.default_rng(0)
    general = short[~gospel].iloc[rng.permutation(int((~gospel).sum()))[:1500]]
    domain = short[gospel].iloc[rng.permutation(int(gospel.sum()))]
    tune, held = domain.iloc[:200], domain.iloc[200:]  # 242 short Gospel verses: 42 held out
    sizes = dict(hidden_size=32, embed_dim=32, batch_size=64, early_stopping=False)
    source = Translator(**sizes, max_iter=2, random_state=0).fit(general.src.tolist(), general.tgt.tolist())
    gains = []
    for seed in range(3):
        tuned = Translator(**sizes, max_iter=4, random_state=seed, init_from=source).fit(tune.src.tolist(), tune.tgt.tolist())
        fresh = Translator(**sizes, max_iter=4, random_state=seed).fit(tune.src.tolist(), tune.tgt.tolist())
        gains.append(_per_token(tuned, held.src.tolist(), held.tgt.tolist()) - _per_token(fresh, held.src.tolist(), held.tgt.tolist()))
        assert tuned.provenance_["target_tokens_copied"] > 200 and tuned.provenance_["target_tokens_new"] > 200
    print("gains (nats per token, seeds 0-2):", [round(g, 3) for g in gains])
    assert min(gains) > 0.1 and float(np.mean(gains)) > 0.2, gains
