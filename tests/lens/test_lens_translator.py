"""The lens inside a Translator: its encoder's layers on the sources, its decoder's on the teacher-forced targets.

Before, ``hl.lens.record`` and ``hl.lens.report`` refused a Translator ("has no single-input network (network_) that the lens
can run on X"). Now ``Translator.network_input((sources, targets))`` packs each pair into one ``(2, W)`` row of ids and
``Translator.lens_network()`` runs the fitted network on it, every recorded layer keeping only each sentence's real steps.
The recordings are checked against the Translator's own numbers: ``transform`` (the encoder's states averaged over a
sentence's tokens) and ``log_probability`` (the teacher-forced decoder's output).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import hiddenlayers as hl
from hiddenlayers.apps import Translator

EN = ["the cat sleeps", "the dog sleeps", "the cat eats", "the dog eats now", "a bird sings"] * 3
ES = ["el gato duerme", "el perro duerme", "el gato come", "el perro come ahora", "un pajaro canta bien"] * 3
LAYERS = ["encoder.embedding", "encoder.rnn", "decoder.embedding", "decoder.rnn", "decoder.attentional"]
TINY = dict(hidden_size=8, embed_dim=4, max_iter=2, early_stopping=False, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator(**TINY).fit(pd.Series(EN, name="en"), pd.Series(ES, name="es"))


@pytest.fixture(scope="module")
def stepwise() -> Translator:
    """Bahdanau attention with LSTM cells: the decoder runs one step at a time (no parallel teacher forcing)."""
    return Translator(attention="bahdanau", cell="lstm", **TINY).fit(EN, ES)


def _teacher_forced_logp(model: Translator, rec: hl.lens.Recording, targets: list[str]) -> np.ndarray:
    """Each target's log-probability from the recorded output logits ``(N, W, V)`` (as log_probability sums it)."""
    ids = model._target_ids(targets)
    logp = torch.log_softmax(torch.from_numpy(rec.output).double(), dim=2).numpy()
    return np.array([sum(logp[i, t, tok] for t, tok in enumerate([*row, 3])) for i, row in enumerate(ids)])  # 3: EOS


@pytest.mark.parametrize("which", ["translator", "stepwise"])
def test_record_reads_each_side_on_its_own_real_steps(which: str, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(which)
    rec = hl.lens.record(model, (EN, ES), keep_output=True)
    assert list(rec) == LAYERS
    src_steps = np.array([len(s.split()) + 1 for s in EN])  # the words and EOS
    tgt_steps = np.array([len(t.split()) + 1 for t in ES])  # BOS and the words
    for name in LAYERS:
        np.testing.assert_array_equal(rec.lengths[name], src_steps if name.startswith("encoder") else tgt_steps)
        assert rec.stats[name].samples == (src_steps if name.startswith("encoder") else tgt_steps).sum()  # no padded step counted
    assert rec["encoder.rnn"].shape == (len(EN), 5, 16)  # (pairs, longest side's steps, 2 directions x hidden_size) and rec.activations["decoder.rnn"] == "tanh"
    # the encoder's states averaged over each sentence's real steps are Translator.transform's
    np.testing.assert_allclose(rec.features("encoder.rnn"), model.transform(EN), rtol=1e-5, atol=1e-6)
    # the decoder's teacher-forced output gives each reference the log-probability the Translator gives it
    np.testing.assert_allclose(_teacher_forced_logp(model, rec, ES), model.log_probability(EN, ES), rtol=1e-4, atol=1e-4)


def test_record_max_rows_takes_the_first_pairs(translator: Translator) -> None:
    """max_rows cut only inputs with a shape: the pairs (and an app's list of texts) were recorded whole."""
    few = hl.lens.record(translator, (EN, ES), max_rows=3)
    assert few.n_rows == 3
    first = hl.lens.record(translator, (EN[:3], ES[:3]))
    np.testing.assert_allclose(few.units("decoder.rnn"), first.units("decoder.rnn"), rtol=1e-5, atol=1e-6)  # real steps; the padding may differ


def test_padded_steps_leave_the_statistics_unchanged(translator: Translator) -> None:
    """A short pair recorded alone or beside a long one (more padding) gives the same real-step values."""
    alone = hl.lens.record(translator, (["a bird"], ["un pajaro"]))
    beside = hl.lens.record(translator, (["a bird", "the dog eats now the cat sleeps"], ["un pajaro", "el perro come ahora el gato duerme"]))
    for name in LAYERS:
        np.testing.assert_allclose(beside.units(name, np.array([0])), alone.units(name), rtol=1e-5, atol=1e-6)


def test_record_reads_a_dataframe_of_the_stored_columns_and_refuses_other_forms(translator: Translator, stepwise: Translator) -> None:
    frame = pd.DataFrame({"es": ES, "en": EN, "other": 1})
    np.testing.assert_array_equal(translator.network_input(frame), translator.network_input((EN, ES)))
    with pytest.raises(ValueError, match=r"the DataFrame has no column 'es' \(this model's target column\)"):
        translator.network_input(frame.drop(columns=["es"]))
    with pytest.raises(TypeError, match=r"was fitted on lists, so it stores no column names to read a DataFrame by"):
        hl.lens.record(stepwise, frame)
    with pytest.raises(TypeError, match=r"a Translator's pairs are a tuple \(sources, targets\) of two lists of sentences.*Received: list"):
        hl.lens.record(translator, [("the cat", "el gato")])
    with pytest.raises(ValueError, match="sources and targets must pair up one to one: got 2 sources and 1 targets"):
        hl.lens.record(translator, (["the cat", "a dog"], ["el gato"]))
    with pytest.raises(hl.NotFittedError, match="This Translator instance is not fitted yet"):
        hl.lens.record(Translator(), (EN, ES))


def test_report_shows_both_sides_and_says_why_sections_do_not_apply(translator: Translator, tmp_path: Path) -> None:
    labels = np.array([s.split()[1] if s.startswith("the") else "other" for s in EN])  # one label per pair: what the probes read
    rep = hl.lens.report(translator, (EN, ES), labels)
    path = tmp_path / "tr.html"
    rep.save(path)
    page = path.read_text(encoding="utf-8")
    for name in LAYERS:
        assert f"<td>{name}</td>" in page
    total = sum(p.numel() for p in translator.model_.parameters())
    assert f"Total trainable parameters: <b>{total:,}</b>" in page  # the whole encoder-decoder, output layer included
    assert "Held-out accuracy of a linear model on each layer" in page  # the pairs' labels probe both sides
    assert "Translator has no training loss the report can evaluate" in page
    assert "attribution needs real-valued inputs; this model reads integer ids" in page
    bare = hl.lens.report(translator, (EN, ES), sections=["probes", "data"]).html
    assert "pass y (one label per row) to probe the layers." in bare and "the input is not a table" in bare


def test_report_advice_gives_the_callers_words(translator: Translator) -> None:
    """The notes' fixes are the caller's to word (the CLI names its options); Python's words are the default."""
    page = hl.lens.report(translator, (EN, ES), sections=["probes", "data"],
                          advice={"labels": "pass --target COLUMN to probe the layers.", "data": "run `hiddenlayers check pairs.csv`"}).html
    assert "pass --target COLUMN to probe the layers." in page and "the input is not a table; run `hiddenlayers check pairs.csv`." in page
    assert "pass y" not in page and "hl.check" not in page
    assert set(hl.lens.REPORT_ADVICE) == {"labels", "landscape-labels", "landscape-loss", "data", "data-all"}
    with pytest.raises(ValueError, match=re.escape("unknown advice key 'label': the keys are labels, landscape-labels")):
        hl.lens.report(translator, (EN, ES), advice={"label": "x"})
    with pytest.raises(TypeError, match=re.escape("advice['labels'] must be a sentence (a non-empty str). Received: ''.")):
        hl.lens.report(translator, (EN, ES), advice={"labels": ""})
