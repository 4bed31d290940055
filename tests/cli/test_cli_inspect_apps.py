"""`hiddenlayers inspect` of the application files whose examples are no table rows: a SequenceClassifier's and a
SpeechRecognizer's long tables, a Forecaster's series, a Recommender's (user, item) pairs, a Translator's table of sentence
pairs, each read as ``predict`` (``evaluate``) reads it.

Each app is fitted tiny (1 epoch) once for the module. Before, every one of them was refused ("inspect takes a model trained
by `hiddenlayers train`, an Autoencoder, TextClassifier or ImageClassifier file"); a DQNAgent reads a table of observations.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import Forecaster, Recommender, SequenceClassifier, SpeechRecognizer, Translator
from hiddenlayers.lens import record

FAST = dict(max_iter=1, early_stopping=False, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("inspect_apps")
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(60) / 5) + 0.1 * rng.normal(size=60)
    pd.DataFrame({"level": series}).to_csv(d / "series.csv", index=False)
    pd.DataFrame({"level": series, "other": series * 2}).to_csv(d / "two.csv", index=False)
    long = pd.DataFrame({"ID": np.repeat(np.arange(100, 112), 5), "T": np.tile(np.arange(5), 12), "a": rng.normal(size=60),
                         "b": rng.normal(size=60), "label": np.repeat(["x", "y"] * 6, 5)}).sample(frac=1, random_state=0)  # rows shuffled
    long.to_csv(d / "long.csv", index=False)
    long.drop(columns=["label"]).to_csv(d / "unlabelled.csv", index=False)
    frames = long.drop(columns=["label"]).assign(text=long["ID"].map(lambda i: ["ab", "b", "a", "ba"][i % 4]))
    frames.to_csv(d / "frames.csv", index=False)
    pairs = pd.DataFrame({"user": rng.integers(0, 10, 60), "item": rng.choice(list("xyzw"), 60)})
    ratings = rng.uniform(1, 5, 60)
    fitted = {
        "fc": Forecaster(window=6, horizon=2, hidden_layer_sizes=(8,), **FAST).fit(series),
        "seq": SequenceClassifier("gru8,4", **FAST).fit_long(long, "label", id_column="ID", order_column="T"),
        "speech": SpeechRecognizer("gru4", **FAST).fit_long(frames, "text", id_column="ID", order_column="T"),
        "rec": Recommender(n_factors=4, hidden_layer_sizes=(8,), **FAST).fit(pairs, ratings),
        "tr": Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(["a b", "c d"] * 3, ["x y", "z w"] * 3),
        "trt": Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(
            pd.Series(["a b", "c d e", "a"] * 3, name="en"), pd.Series(["x y", "z w", "v u t"] * 3, name="es")),
    }
    pd.DataFrame({"en": ["a b", "c d e", "a", "b c"], "es": ["x y", "z w", "v u t", "y z"], "alt": ["x", "w z", "u", "y"]}).to_csv(d / "pairs.csv", index=False)
    for name, app in fitted.items():
        app.save(d / f"{name}.safetensors")
    new = pd.concat([pairs, pd.DataFrame({"user": [999], "item": ["x"]})], ignore_index=True)  # user 999: never seen in fit, on line 62
    new.assign(rating=np.append(ratings, 3.0)).to_csv(d / "ratings.csv", index=False)
    return {"dir": d, "apps": fitted, "series": series, "long": long, "pairs": pairs, "ratings": ratings}


def _json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _dead(layers: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    return {la["name"]: (la["units"], la["dead"]) for la in layers}


def _notes(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<p class="na">([^<]*)</p>', page)]


def test_inspect_reads_a_sequence_classifier_long_table_by_its_stored_columns(apps: dict[str, Any], tmp_path: Path) -> None:
    d, model = apps["dir"], apps["apps"]["seq"]
    out = tmp_path / "seq.html"
    got = _json(run("inspect", d / "seq.safetensors", d / "long.csv", "--out", out, "--json"))
    assert (got["rows"], got["target"]) == (12, "label")  # one example per sequence; the training's label column
    seqs = model.sequences_from_long(apps["long"]).sequences
    assert _dead(got["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in record(model, seqs).stats.items()}
    page = out.read_text(encoding="utf-8")
    assert "Held-out accuracy of a linear model" in page and "pass y (one label per row)" not in page
    assert "top rows: values of the id column &#x27;ID&#x27;." in page  # the top rows are named by their sequence ids
    ids = {int(v) for cell in re.findall(r"<td>hidden\d</td><td>\d+</td><td>([^<]*)</td>", page) for v in cell.split(", ")}
    assert ids and ids <= set(range(100, 112))
    bare = run("inspect", d / "seq.safetensors", d / "unlabelled.csv", "--out", tmp_path / "bare.html", "--json", "--sections", "layers")
    assert _json(bare)["target"] is None and "the data has no 'label' column (the model's target)" in bare.stderr
    assert_user_error(run("inspect", d / "seq.safetensors", d / "long.csv", "--target", "lable", "--out", tmp_path / "x.html"),
                      "unknown target column 'lable'")  # before any reading, as for table models
    assert not (tmp_path / "x.html").exists()


def test_inspect_reads_a_forecaster_series_one_example_per_lag_window(apps: dict[str, Any], tmp_path: Path) -> None:
    d, model, series = apps["dir"], apps["apps"]["fc"], apps["series"]
    out = tmp_path / "fc.html"
    got = _json(run("inspect", d / "fc.safetensors", d / "series.csv", "--out", out, "--json"))
    assert (got["rows"], got["value_column"], got["target"]) == (60 - 6, "level", "the next value of 'level'")  # every window with a value after it
    assert _dead(got["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in record(model, series[:-1]).stats.items()}
    page = out.read_text(encoding="utf-8")
    assert "Held-out r2 of a linear model" in page  # each layer probed for the next value
    assert not any("takes its targets from X" in n for n in _notes(page)) and "direction 1" in page  # the loss landscape is drawn
    assert "top rows: the file line of each lag window&#x27;s last value." in page
    assert re.search(r"<td>hidden1</td><td>\d+</td><td>line \d+, line \d+, line \d+</td>", page)
    two = run("inspect", d / "fc.safetensors", d / "two.csv", "--out", tmp_path / "two.html", "--value-column", "other", "--json", "--sections", "layers")
    assert _json(two)["value_column"] == "other"
    assert_user_error(run("inspect", d / "fc.safetensors", d / "two.csv", "--out", tmp_path / "x.html"), "pass --value-column NAME")
    assert_user_error(run("inspect", d / "fc.safetensors", d / "series.csv", "--target", "level", "--out", tmp_path / "x.html"),
                      "--target names a label column; a Forecaster reads one series")
    assert_user_error(run("inspect", d / "fc.safetensors", d / "series.csv", "--landscape", tmp_path / "l.png", "--out", tmp_path / "x.html"),
                      "--landscape is for table models and Autoencoder files; ")
    assert_user_error(run("inspect", d / "seq.safetensors", d / "long.csv", "--value-column", "a", "--out", tmp_path / "x.html"),
                      "--value-column is for Forecaster files")
    assert not (tmp_path / "x.html").exists()


def test_inspect_reads_an_image_classifiers_npz_and_npy_as_predict_and_evaluate_do(tmp_path: Path) -> None:
    """`inspect image.safetensors digits.npz` was "'digits.npz' holds an array of shape (1797, 8, 8): give a 2-D table" though
    predict and evaluate read the same file; now the .npz's X (labels y for the probes) and an .npy's images are read alike."""
    from hiddenlayers.apps import ImageClassifier

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (40, 8, 8), dtype=np.uint8), np.repeat(["a", "b"], 20)
    model = ImageClassifier("conv2k3:same,4", **FAST).fit(X, y)
    model.save(tmp_path / "img.safetensors")
    np.savez(tmp_path / "img.npz", X=X, y=y)
    np.save(tmp_path / "img.npy", X)
    got = _json(run("inspect", tmp_path / "img.safetensors", tmp_path / "img.npz", "--out", tmp_path / "a.html", "--json"))
    assert (got["rows"], got["target"]) == (40, "y")
    assert _dead(got["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in record(model, X).stats.items()}
    assert "Held-out accuracy of a linear model" in (tmp_path / "a.html").read_text(encoding="utf-8")  # y's labels feed the probes
    got = _json(run("inspect", tmp_path / "img.safetensors", tmp_path / "img.npy", "--out", tmp_path / "b.html", "--json", "--sections", "layers"))
    assert (got["rows"], got["target"]) == (40, None)
    assert_user_error(run("inspect", tmp_path / "img.safetensors", tmp_path / "img.npy", "--target", "y", "--out", tmp_path / "c.html"),
                      "--target names the labels, and an .npy array holds none")


def test_inspect_method_occlusion_maps_an_image_classifiers_pixels(tmp_path: Path) -> None:
    """`inspect --method occlusion` on an image app file: the 'Top features' section is a map of mean |occlusion| per pixel
    (3x3 windows, stride 2, filled with a black image), named in its lead; before, images had no attribution section at all."""
    from hiddenlayers.apps import ImageClassifier

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (30, 8, 8), dtype=np.uint8), np.repeat(["a", "b"], 15)
    ImageClassifier("conv2k3,4", **FAST).fit(X, y).save(tmp_path / "img.safetensors")
    np.save(tmp_path / "img.npy", X)
    out = tmp_path / "o.html"
    ok("inspect", tmp_path / "img.safetensors", tmp_path / "img.npy", "--out", out, "--sections", "features", "--method", "occlusion")
    page = out.read_text(encoding="utf-8")
    features = page.split('<section id="features">')[1].split("</section>")[0]
    assert "Where in each image the outputs look (occlusion from a black image, Captum)" in features
    assert 'alt="mean |occlusion| per pixel: largest at row (pixels) ' in features and "<img" in features


def test_inspect_reads_a_recommender_pairs_and_leaves_out_cold_start_rows(apps: dict[str, Any], tmp_path: Path) -> None:
    d, model = apps["dir"], apps["apps"]["rec"]
    out = tmp_path / "rec.html"
    result = run("inspect", d / "rec.safetensors", d / "ratings.csv", "--target", "rating", "--out", out, "--json")
    got = _json(result)
    assert (got["rows"], got["target"]) == (60, "rating")  # the unseen user's row is left out, and said so
    assert "1 of 61 rows have a user or item not seen in fit (cold start)" in result.stderr
    assert _dead(got["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in record(model, apps["pairs"]).stats.items()}
    page = out.read_text(encoding="utf-8")
    assert "Held-out r2 of a linear model" in page and "direction 1" in page  # the ratings: probes and the loss landscape
    lines = {int(v) for cell in re.findall(r"<td>mlp.hidden1</td><td>\d+</td><td>([^<]*)</td>", page) for v in cell.split(", ")}
    assert lines and lines <= set(range(2, 62))  # file lines of the seen rows (header = line 1; line 62 is the cold-start row)


def test_inspect_reads_a_speech_recognizer_long_table_of_frames(apps: dict[str, Any], tmp_path: Path) -> None:
    d, model = apps["dir"], apps["apps"]["speech"]
    got = _json(run("inspect", d / "speech.safetensors", d / "frames.csv", "--out", tmp_path / "asr.html", "--json", "--sections", "layers"))
    assert (got["rows"], got["target"]) == (12, None)  # one example per utterance; a transcript is no class label
    utterances = model.sequences_from_long(pd.read_csv(d / "frames.csv")).sequences
    assert _dead(got["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in record(model, utterances).stats.items()}
    assert_user_error(run("inspect", d / "speech.safetensors", d / "frames.csv", "--target", "text", "--out", tmp_path / "x.html"),
                      "a SpeechRecognizer's transcripts are no class labels: drop --target")


def test_info_shows_the_long_table_columns_a_speech_file_reads(apps: dict[str, Any]) -> None:
    """info showed a table app's data columns but none of a SpeechRecognizer's: its id, order, frame and transcript columns."""
    path = apps["dir"] / "speech.safetensors"
    assert _json(run("info", path, "--json"))["long_columns"] == {"id_column": "ID", "order_column": "T", "features": ["a", "b"], "target": "text"}
    shown = [" ".join(line.replace("│", " ").split()) for line in ok("info", path).stdout.splitlines()]
    assert {"id column ID", "order column T", "feature columns a, b", "transcript column text"} <= set(shown), shown


def test_inspect_reads_a_translator_table_of_sentence_pairs_encoder_and_decoder(apps: dict[str, Any], tmp_path: Path) -> None:
    """Before, a Translator file was refused ("its encoder-decoder reads two inputs"); now its pairs are read as `evaluate` reads
    them and the report shows the encoder's layers on the sources and the decoder's on the teacher-forced targets."""
    d, model = apps["dir"], apps["apps"]["trt"]
    out = tmp_path / "tr.html"
    got = _json(run("inspect", d / "trt.safetensors", d / "pairs.csv", "--out", out, "--json"))
    assert (got["rows"], got["target"]) == (4, "es")  # one example per pair; the stored target column
    assert (got["labels"], got["source_column"]) == (None, "en")  # translations are no labels: the probes had none
    frame = pd.read_csv(d / "pairs.csv")
    expected = record(model, (list(frame["en"]), list(frame["es"]))).stats
    assert _dead(got["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in expected.items()}
    assert set(_dead(got["layers"])) == {"encoder.embedding", "encoder.rnn", "decoder.embedding", "decoder.rnn", "decoder.attentional"}
    page = out.read_text(encoding="utf-8")
    notes = _notes(page)
    assert "Not available: a Translator's pairs hold translations, not class labels: there is nothing to probe the layers with." in notes
    assert "Not available: Translator has no training loss the report can evaluate: inspect draws the loss landscape of models with a training loss only." in notes
    assert not any(w in n for n in notes for w in ("pass y", "data_report", "hl.check", "loss_landscape(")), notes  # the command's words, not Python's
    assert ("Not available: train the app with `hiddenlayers train DATA --app translator --gradient-flow` to record gradient flow "
            "per epoch.") in notes  # the option that records it (a Translator's fit in Python hands callbacks its two-input network)
    lines = {int(v) for cell in re.findall(r"<td>decoder.rnn</td><td>\d+</td><td>([^<]*)</td>", page) for v in cell.split(", ")}
    assert "top rows: lines of" in page and lines and lines <= {2, 3, 4, 5}  # the pairs' file lines (header = line 1)
    assert f"(`hiddenlayers check {d / 'pairs.csv'}` runs them all)" in html.unescape(page) and "hl.check(X, y)" not in page
    alt = _json(run("inspect", d / "trt.safetensors", d / "pairs.csv", "--target", "alt", "--out", tmp_path / "alt.html", "--json", "--sections", "layers"))
    other = record(model, (list(frame["en"]), list(frame["alt"]))).stats  # --target: another column of translations, as evaluate
    shown = " ".join(ok("inspect", d / "trt.safetensors", d / "pairs.csv", "--out", tmp_path / "t.html", "--sections", "layers").stdout.split())
    assert "labels: es" not in shown and ("hidden layers on 4 sentence pairs (encoder on 'en', decoder teacher-forced on 'es'; "
                                          "translations are no labels: no probes)") in shown, shown  # it said "(labels: es)"
    assert alt["target"] == "alt" and _dead(alt["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in other.items()}


def test_inspect_refuses_a_translator_without_columns_and_a_bad_pairs_table(apps: dict[str, Any], tmp_path: Path) -> None:
    d = apps["dir"]
    path = d / "tr.safetensors"  # fitted on lists: no column names to read a file by
    assert_user_error(run("inspect", path, d / "pairs.csv", "--out", tmp_path / "x.html"),
                      f"'{path}' holds a Translator fitted on lists of sentences, which stores no column names to read a data file by")
    assert_user_error(run("inspect", d / "trt.safetensors", d / "series.csv", "--out", tmp_path / "x.html"),
                      "the source column 'en' is not a column of the data")
    assert_user_error(run("inspect", d / "trt.safetensors", d / "pairs.csv", "--target", "esp", "--out", tmp_path / "x.html"), "'esp'")
    assert not (tmp_path / "x.html").exists()


def test_inspect_prints_the_gradient_flow_hint_as_written(apps: dict[str, Any], tmp_path: Path) -> None:
    """Rich read the hint's '[hl.lens.GradientFlow(X_sample)]' as markup and printed 'callbacks=)'."""
    d = apps["dir"]
    shown = " ".join(ok("inspect", d / "fc.safetensors", d / "series.csv", "--out", tmp_path / "fc.html", "--sections", "layers").stdout.split())
    assert "fit it with callbacks=[hl.lens.GradientFlow(X_sample)])" in shown


def test_inspect_reads_a_dqn_agent_table_of_observations(tmp_path: Path) -> None:
    """Before, a DQNAgent file was refused ("it learns from an environment, not a data file"), though hl.lens.report(agent,
    observations) worked: now a table of observation columns (as `serve` takes observations) is read, --target naming labels."""
    pytest.importorskip("gymnasium")
    from hiddenlayers.apps import DQNAgent

    agent = DQNAgent((8,), learning_starts=20, batch_size=8, random_state=0).fit("CartPole-v1", total_steps=40, eval_every=40, eval_episodes=1)
    path = tmp_path / "dqn.safetensors"
    agent.save(path)
    states, actions = agent.rollout("CartPole-v1", episodes=1, seed=0)
    frame = pd.DataFrame(states, columns=["x", "v", "angle", "spin"]).assign(action=actions)
    frame.to_csv(tmp_path / "obs.csv", index=False)
    out = tmp_path / "dqn.html"
    got = _json(run("inspect", path, tmp_path / "obs.csv", "--target", "action", "--out", out, "--json"))
    assert (got["rows"], got["target"]) == (len(states), "action")
    assert _dead(got["layers"]) == {n: (s.units, s.to_dict()["dead"]) for n, s in record(agent, states).stats.items()}
    page = out.read_text(encoding="utf-8")
    assert "top rows: lines of" in page and "DQNAgent&#x27;s fit loop takes no callbacks" in page
    frame.drop(columns=["action"]).to_csv(tmp_path / "bare.csv", index=False)
    bare = out.with_name("bare.html")
    assert _json(run("inspect", path, tmp_path / "bare.csv", "--out", bare, "--json", "--sections", "probes"))["target"] is None
    assert "pass --target COLUMN (a column of labels in the data) to probe the layers." in bare.read_text(encoding="utf-8")
    assert_user_error(run("inspect", path, tmp_path / "obs.csv", "--out", tmp_path / "x.html"),
                      "the agent reads observations of 4 values, but")  # the action column is no observation value
    frame.assign(spin="left").to_csv(tmp_path / "text.csv", index=False)
    assert_user_error(run("inspect", path, tmp_path / "text.csv", "--target", "action", "--out", tmp_path / "x.html"),
                      "column 'spin' holds text, not observation values")
    assert not (tmp_path / "x.html").exists()
