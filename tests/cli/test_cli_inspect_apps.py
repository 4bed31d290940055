"""`hiddenlayers inspect` of the application files whose examples are no table rows: a SequenceClassifier's and a
SpeechRecognizer's long tables, a Forecaster's series, a Recommender's (user, item) pairs, each read as ``predict`` reads it.

Each app is fitted tiny (1 epoch) once for the module. Before, every one of them was refused ("inspect takes a model trained
by `hiddenlayers train`, an Autoencoder, TextClassifier or ImageClassifier file"); a Translator and a DQNAgent still are, saying why.
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
    }
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


def test_inspect_refuses_a_translator_saying_why_and_what_to_use(apps: dict[str, Any], tmp_path: Path) -> None:
    d = apps["dir"]
    path = d / "tr.safetensors"
    assert_user_error(run("inspect", path, d / "series.csv", "--out", tmp_path / "x.html"),
                      f"'{path}' holds a Translator (an application file), which inspect cannot read: its encoder-decoder reads two inputs")
    assert not (tmp_path / "x.html").exists()


def test_inspect_prints_the_gradient_flow_hint_as_written(apps: dict[str, Any], tmp_path: Path) -> None:
    """Rich read the hint's '[hl.lens.GradientFlow(X_sample)]' as markup and printed 'callbacks=)'."""
    d = apps["dir"]
    shown = " ".join(ok("inspect", d / "fc.safetensors", d / "series.csv", "--out", tmp_path / "fc.html", "--sections", "layers").stdout.split())
    assert "fit it with callbacks=[hl.lens.GradientFlow(X_sample)])" in shown
