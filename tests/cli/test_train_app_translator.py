"""``hiddenlayers train DATA --app translator``: a Translator from a table of sentence pairs, read back by predict and evaluate.

The pairs are the translator tests' made-up language: a word-for-word dictionary whose target reverses the
word order. The trained file must translate held-out pairs (BLEU, exact matches), and ``predict``/``evaluate``
read a new table by the source and target columns the file stores. Bad input is one ``error:`` line, exit 2.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run

SOURCE_WORDS = "zero one two three four five red blue green cat dog bird runs eats big small".split()
TARGET_WORDS = "cero uno dos tres cuatro cinco rojo azul verde gato perro pajaro corre come grande chico".split()


def pairs(n: int, seed: int) -> pd.DataFrame:
    """``n`` sentence pairs: ``en`` 3-6 dictionary words, ``es`` their translations in reverse order."""
    rng = np.random.default_rng(seed)
    rows = [rng.integers(0, len(SOURCE_WORDS), rng.integers(3, 7)) for _ in range(n)]
    return pd.DataFrame({"n": np.arange(n), "en": [" ".join(SOURCE_WORDS[i] for i in idx) for idx in rows],
                         "es": [" ".join(TARGET_WORDS[i] for i in idx[::-1]) for idx in rows]})


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    d = tmp_path_factory.mktemp("train_translator")
    pairs(800, seed=1).to_csv(d / "pairs.tsv", sep="\t", index=False)
    pairs(100, seed=2).rename(columns={"n": "id"}).to_csv(d / "new.csv", index=False)
    summary = _json(ok("train", d / "pairs.tsv", "--app", "translator", "--source-column", "en", "--target", "es", "--set", "hidden_size=64",
                       "--set", "embed_dim=32", "--batch-size", "32", "--epochs", "8", "--test-size", "0.1", "--out", d / "tr.safetensors", "--json"))
    return d, summary


def test_translator_app_learns_the_pairs_and_predict_and_evaluate_read_its_file(trained: tuple[Path, dict[str, Any]]) -> None:
    from hiddenlayers.apps import Translator

    d, summary = trained
    assert summary["app"] == "Translator" and summary["source_column"] == "en" and summary["target"] == "es"
    assert summary["rows"] == 720 and summary["test_rows"] == 80
    assert summary["test_metrics"]["bleu"] >= 80 and summary["test_metrics"]["exact_match"] >= 0.6  # an untrained model: ~0
    scored = _json(ok("evaluate", d / "tr.safetensors", d / "new.csv", "--json"))  # columns: the file's
    assert scored["task"] == "translation" and scored["rows"] == 100 and scored["target"] == "es"
    new = pd.read_csv(d / "new.csv")
    model = Translator.load(d / "tr.safetensors")
    assert scored["metrics"]["bleu"] == pytest.approx(model.score(new["en"].tolist(), new["es"].tolist()))
    assert scored["metrics"]["bleu"] >= 80 and scored["metrics"]["mean_log_probability"] < 0
    import sacrebleu

    hyps = model.predict(new["en"].tolist())
    fold = (lambda t: " ".join(t.lower().split())) if model.lowercase else (lambda t: " ".join(t.split()))
    chrf = sacrebleu.corpus_chrf([fold(h) for h in hyps], [[fold(r) for r in new["es"]]]).score
    assert scored["metrics"]["chrf"] == pytest.approx(chrf) and 80 <= scored["metrics"]["chrf"] <= 100
    got = pd.read_csv(io.StringIO(ok("predict", d / "tr.safetensors", d / "new.csv").stdout))
    assert list(got.columns) == ["en", "translation"] and got["translation"].tolist() == model.predict(new["en"].tolist())
    assert (got["translation"] == new["es"]).mean() == pytest.approx(scored["metrics"]["exact_match"])
    beam = pd.read_csv(io.StringIO(ok("predict", d / "tr.safetensors", d / "new.csv", "--beam-size", "3").stdout))
    assert beam["translation"].tolist() == model.predict(new["en"].tolist(), beam_size=3)
    assert _json(ok("evaluate", d / "tr.safetensors", d / "new.csv", "--beam-size", "3", "--json"))["beam_size"] == 3


def test_predict_and_evaluate_refuse_a_table_without_the_stored_columns(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    d, _ = trained
    other = tmp_path / "other.csv"
    pd.read_csv(d / "new.csv").rename(columns={"en": "english"}).to_csv(other, index=False)
    out = tmp_path / "t.csv"
    assert_user_error(run("predict", d / "tr.safetensors", other, "--out", out), "the source column 'en' is not a column of the data")
    assert not out.exists()
    assert_user_error(run("evaluate", d / "tr.safetensors", d / "new.csv", "--target", "spanish"), "--target 'spanish' is not a column")
    assert_user_error(run("predict", d / "tr.safetensors", d / "new.csv", "--beam-size", "0"), "--beam-size must be a whole number >= 1")
    assert_user_error(run("predict", d / "tr.safetensors", d / "new.csv", "--proba"), "--proba needs a classifier")
    assert_user_error(run("evaluate", d / "tr.safetensors", d / "new.csv", "--steps", "2"), "--steps is for Forecaster files")


def test_predict_and_evaluate_translate_a_blank_source_row_as_empty_and_note_unknown_words(trained: tuple[Path, dict[str, Any]],
                                                                                          tmp_path: Path) -> None:
    """A blank source cell translates to "" (as Translator.predict), with one note naming its line; unknown words: one note."""
    from hiddenlayers.apps import Translator

    d, _ = trained
    table = pd.DataFrame({"en": ["red cat runs", None, "zebra dog eats", "  "], "es": ["corre gato rojo", "x", "come perro cebra", "y"]})
    table.to_csv(tmp_path / "blank.csv", index=False)
    model = Translator.load(d / "tr.safetensors")
    result = ok("predict", d / "tr.safetensors", tmp_path / "blank.csv")
    got = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    with pytest.warns(UserWarning):
        expected = model.predict(["red cat runs", "", "zebra dog eats", ""])
    assert got["translation"].tolist() == expected and expected[1] == expected[3] == "" and expected[0] != ""
    assert result.stderr.splitlines() == [
        "note: column 'en' has no sentence on line 3 (2 row(s)): their translation is empty.",
        "note: 1 of 4 source sentences have words not seen in fit (1 distinct: 'zebra'): each reads as the unknown token, which the model "
        "cannot translate (with copy_unknown a translation may copy it through as is)."]
    scored = run("evaluate", d / "tr.safetensors", tmp_path / "blank.csv", "--json")
    assert scored.exit_code == 0 and _json(scored)["rows"] == 4 and "line 3 (2 row(s)): their translation is empty" in scored.stderr


@pytest.mark.parametrize(("frame", "options", "message"), [
    (pd.DataFrame({"en": ["a b", None, "c d"], "es": ["x", "y", "z"]}), ("--source-column", "en"), "column 'en' has no sentence on line 3"),
    (pd.DataFrame({"en": ["a b", "c", "d"], "es": ["x", "y", "z"]}), ("--source-column", "EN"), "Did you mean 'en'?"),
    (pd.DataFrame({"en": ["a", "b", "c"], "fr": ["x", "y", "z"], "es": ["x", "y", "z"]}), (), "pass --source-column NAME"),
    (pd.DataFrame({"en": ["a", "b", "c"], "es": [1, 2, 3]}), ("--source-column", "en"), "--target 'es' holds numbers"),
    (pd.DataFrame({"en": ["a", "b", "c"], "es": ["x", "y", "z"]}), ("--source-column", "en", "--hidden", "8"),
     "--hidden does not apply to train --app translator"),
])
def test_bad_pairs_are_one_line_and_nothing_is_written(tmp_path: Path, frame: pd.DataFrame, options: tuple[str, ...], message: str) -> None:
    data = tmp_path / "p.csv"
    frame.to_csv(data, index=False)
    assert_user_error(run("train", data, "--app", "translator", "--target", "es", *options, "--out", tmp_path / "m.safetensors"), message)
    assert not (tmp_path / "m.safetensors").exists()


def test_a_translator_fitted_on_lists_is_refused_in_one_line(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from hiddenlayers.apps import Translator

    Translator(hidden_size=8, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(["a b", "c d"], ["x y", "z w"]).save(tmp_path / "l.safetensors")
    for command in ("predict", "evaluate"):
        assert_user_error(run(command, tmp_path / "l.safetensors", trained[0] / "new.csv"), "fitted on lists of sentences")


def test_evaluate_without_sacrebleu_is_one_line(trained: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sacrebleu" else real(name, *a))
    assert_user_error(run("evaluate", trained[0] / "tr.safetensors", trained[0] / "new.csv"), "needs sacrebleu: pip install 'hiddenlayers[apps]'")


def test_the_new_options_are_refused_where_they_do_not_apply(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    d, _ = trained
    assert_user_error(run("train", d / "new.csv", "--target", "es", "--source-column", "en", "--out", tmp_path / "m.safetensors"),
                      "--source-column is an option of train --app translator")
    assert_user_error(run("train", d / "new.csv", "--target", "es", "--id-column", "id", "--out", tmp_path / "m.safetensors"),
                      "--id-column is an option of train --app sequence")
    assert not list(tmp_path.iterdir())


class _Echo:
    """A stand-in Translator that "translates" by a fixed table: what translation_metrics needs of a model, and no more."""

    lowercase = True

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def predict(self, sources: list[str], beam_size: int = 1) -> list[str]:
        return [self.table[s] for s in sources]

    def log_probability(self, sources: list[str], references: list[str]) -> np.ndarray:
        return -np.ones(len(sources))


def test_chrf_scores_short_sentences_that_bleu_cannot() -> None:
    """Every sentence under 4 words: corpus BLEU has no 4-gram and is 0 even for near-perfect output; chrF credits it."""
    from hiddenlayers.cli._apptranslate import translation_metrics

    sources, references = ["one", "two", "three"], ["uno dos", "dos tres", "Tres"]
    metrics = translation_metrics(_Echo({"one": "uno dos", "two": "dos tre", "three": "tres"}), sources, references, None)
    assert metrics["bleu"] == 0.0 and metrics["exact_match"] == pytest.approx(2 / 3)
    assert 80 < metrics["chrf"] < 100  # one character off in one sentence; case folded as the model folds it
    perfect = translation_metrics(_Echo(dict(zip(sources, references))), sources, references, None)
    assert perfect["chrf"] == pytest.approx(100.0) and perfect["exact_match"] == 1.0


def test_init_from_fine_tunes_a_translator_file_on_new_pairs(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from hiddenlayers.apps import Translator

    d, _ = trained
    new = pairs(60, seed=5)
    new.loc[:9, "en"] += " valve"  # a word the source never saw, on both sides
    new.loc[:9, "es"] = "valvula " + new.loc[:9, "es"]
    new.to_csv(tmp_path / "domain.csv", index=False)
    out = tmp_path / "tuned.safetensors"
    summary = _json(ok("train", tmp_path / "domain.csv", "--app", "translator", "--source-column", "en", "--target", "es", "--init-from",
                       d / "tr.safetensors", "--freeze", "2", "--epochs", "1", "--test-size", "0.1", "--out", out, "--json"))
    assert summary["hidden_layers"] == "gru64 x 1 (bidirectional encoder), attention luong"  # the source's sizes (the default is 128)
    assert summary["transferred"] == ["src_embed", "tgt_embed", "out_bias", "encoder", "bridge", "attn", "decoder", "combine", "project"]
    assert summary["frozen"] == ["encoder", "bridge"] and summary["init_from"] == str(d / "tr.safetensors")
    model = Translator.load(out)
    assert {k: summary[k] for k in ("source_tokens_copied", "source_tokens_new", "target_tokens_copied", "target_tokens_new")} == {
        "source_tokens_copied": len(model.source_vocab_) - 5, "source_tokens_new": 1, "target_tokens_copied": len(model.target_vocab_) - 5,
        "target_tokens_new": 1}
    assert model.provenance_["source"] == "tr.safetensors" and model.provenance_["frozen"] == ["encoder", "bridge"]
    assert (model.hidden_size, model.embed_dim) == (64, 32)
    assert _json(ok("info", out, "--json"))["provenance"] == model.provenance_  # the file's record, as info shows the other apps'
    table = ok("train", tmp_path / "domain.csv", "--app", "translator", "--source-column", "en", "--target", "es", "--init-from",
               d / "tr.safetensors", "--epochs", "1", "--out", tmp_path / "t2.safetensors").stdout
    assert "layers copied" in table and "new target words" in table and "target words from the source" in table


def test_init_from_mismatches_are_one_line_and_nothing_is_written(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from hiddenlayers import Autoencoder

    d, _ = trained
    Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(np.random.default_rng(0).normal(size=(30, 3))).save(tmp_path / "ae.safetensors")
    base = ("train", d / "new.csv", "--app", "translator", "--source-column", "en", "--target", "es", "--epochs", "1", "--out", tmp_path / "m.safetensors")
    assert_user_error(run(*base, "--init-from", tmp_path / "ae.safetensors"), f"--init-from '{tmp_path / 'ae.safetensors'}' holds an Autoencoder "
                      "(an application file); train --app translator starts from a Translator file")
    assert_user_error(run(*base, "--init-from", d / "tr.safetensors", "--set", "tokenizer=char"),
                      "training failed: init_from: the source Translator has tokenizer='word', this one tokenizer='char': their tokens would not mean the same")
    assert_user_error(run(*base, "--init-from", d / "tr.safetensors", "--set", "hidden_size=8", "--set", "embed_dim=4"),
                      "training failed: init_from: no layer of the source could be copied, for the reason each gives: src_embed (source width")
    assert_user_error(run(*base, "--freeze", "1"), "--freeze needs --init-from")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae.safetensors"]


def test_init_from_a_file_written_before_normalize_takes_its_text_as_typed(tmp_path: Path) -> None:
    """The source's file has no normalize (it read text as typed): the new model reads text so too, as it takes the source's
    tokenizer and case folding; the default, NFC, was refused as another way of reading the same text."""
    from hiddenlayers.apps import Translator

    legacy = Path(__file__).parents[1] / "fixtures" / "legacy" / "translator.safetensors"
    pd.DataFrame({"en": ["a b c", "d e f", "c a", "f e d b"] * 5, "es": ["x y z", "v w", "z x", "w v y"] * 5}).to_csv(tmp_path / "p.csv", index=False)
    ok("train", tmp_path / "p.csv", "--app", "translator", "--source-column", "en", "--target", "es", "--init-from", legacy, "--epochs", "1",
       "--test-size", "0", "--no-early-stopping", "--out", tmp_path / "m.safetensors", "-q")
    model = Translator.load(tmp_path / "m.safetensors")
    assert model.normalize is None and model.provenance_["source"] == "translator.safetensors"


def test_init_from_a_file_written_before_input_feeding_and_tied_embeddings_keeps_its_layers(tmp_path: Path) -> None:
    """A file written before ``input_feeding``/``tie_embeddings`` existed was trained with Luong's input feeding and its own
    output weights (what ``Translator.load`` fills in). ``--init-from`` took today's defaults instead, a decoder of
    another width and tied outputs, so the layers it copies did not fit the new model's."""
    from hiddenlayers.apps import Translator
    from metadata_edits import edit_file

    data = pairs(60, seed=3)
    data.to_csv(tmp_path / "p.csv", index=False)
    Translator(hidden_size=8, embed_dim=4, input_feeding=True, tie_embeddings=False, normalize=None, max_iter=1, early_stopping=False,
               random_state=0).fit(data["en"].tolist(), data["es"].tolist()).save(tmp_path / "new.safetensors")

    def older(meta: dict[str, Any]) -> None:
        for name in ("input_feeding", "tie_embeddings", "normalize"):
            del meta["params"][name]

    source = edit_file(tmp_path / "new.safetensors", tmp_path / "old.safetensors", older)
    assert Translator.load(source).input_feeding  # the file reads as it was trained
    summary = _json(ok("train", tmp_path / "p.csv", "--app", "translator", "--source-column", "en", "--target", "es", "--init-from", source,
                       "--epochs", "1", "--test-size", "0", "--no-early-stopping", "--out", tmp_path / "m.safetensors", "--json"))
    model = Translator.load(tmp_path / "m.safetensors")
    assert (model.input_feeding, model.tie_embeddings, model.normalize) == (True, False, None)
    assert "copied" in json.dumps(summary)
