"""train --pos-label: a two-class target's held-out average precision, sensitivity and specificity of the class the user names,
for a table model and the classifier apps (text, image, sequence), with evaluate's refusals, said before the fit."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli._train import split_rows


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    """A two-class table (labels 'no'/'yes', separable by column a), its text twin, and a three-class table."""
    d = tmp_path_factory.mktemp("pos_label")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = np.where(x[:, 0] + 0.8 * rng.normal(size=60) > 0, "yes", "no")
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).to_csv(d / "t.csv", index=False)
    words = np.where(y == "yes", "good fine", "bad poor")
    flip = rng.random(60) < 0.3  # some reviews say the other class's words: a ranking to score, not a perfect one
    pd.DataFrame({"review": np.where(flip, np.where(y == "yes", "bad poor", "good fine"), words), "label": y}).to_csv(d / "text.csv", index=False)
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.arange(60) % 3}).to_csv(d / "three.csv", index=False)
    return {"table": d / "t.csv", "text": d / "text.csv", "three": d / "three.csv"}


def _held_out(path: Path, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The positions and labels of the rows train holds out (its split: --test-size 0.2, --seed 0, stratified)."""
    frame = pd.read_csv(path)
    _, X_te, _, y_te, *_ = split_rows(frame.drop(columns=[target]), frame[target].to_numpy(), "classification", 0.2, 0)
    return np.asarray(X_te.index), y_te


@pytest.mark.parametrize("kind", ["table", "text"])
def test_pos_label_names_the_class_the_held_out_metrics_are_of(tables, tmp_path, monkeypatch, kind):
    """train had no --pos-label: the held-out average precision ranked the second label ('yes'), and nothing in --json said so."""
    monkeypatch.setenv("COLUMNS", "200")
    data = tables[kind]
    args = (["-t", "y", "--hidden", "4"] if kind == "table" else ["--app", "text", "--text-column", "review", "-t", "label", "--hidden", "embed4,gru4"])
    model = tmp_path / "m.safetensors"
    common = ("train", data, *args, "--epochs", "3" if kind == "table" else "1", "-q", "-o", model, "--force")
    default = json.loads(ok(*common, "--json").stdout)
    flipped = json.loads(ok(*common, "--json", "--pos-label", "no").stdout)  # the same fit (same seed), scored for 'no'
    assert default["test_positive"] == "yes" and flipped["test_positive"] == "no" and flipped["test_classes"] == ["no", "yes"]
    d, f = default["test_metrics"], flipped["test_metrics"]
    assert f["sensitivity"] == d["specificity"] and f["specificity"] == d["sensitivity"]
    assert f["roc_auc"] == pytest.approx(d["roc_auc"], abs=1e-6)  # the same ranking, whichever class is positive
    rows, y = _held_out(data, "y" if kind == "table" else "label")
    proba = pd.read_csv(StringIO(ok("predict", model, data, "--proba", *(["--text-column", "review"] if kind == "text" else [])).stdout))
    assert f["average_precision"] == pytest.approx(average_precision_score(y == "no", proba["proba_no"].to_numpy()[rows]), abs=1e-6)
    assert d["average_precision"] == pytest.approx(average_precision_score(y == "yes", proba["proba_yes"].to_numpy()[rows]), abs=1e-6)
    if kind == "text":  # the app's table: test_show_summary_names_the_positive_class
        return
    text = ok(*common, "--pos-label", "no").stdout
    assert "held-out average precision (of 'no')" in text and "held-out sensitivity (recall of 'no')" in text
    assert "held-out specificity (recall of 'yes')" in text


@pytest.mark.parametrize("kind, args, message", [
    ("table", ["-t", "y", "--pos-label", "maybe"], "--pos-label 'maybe' is not one of the two classes of target 'y', 'no' and 'yes': pass one of them."),
    ("table", ["-t", "a", "--pos-label", "1"], "--pos-label picks the positive class of a two-class target, but target 'a' has numbers to predict "
                                               "(a regression): drop --pos-label."),
    ("three", ["-t", "y", "--pos-label", "1"], "--pos-label picks the positive class of a two-class target, but target 'y' has 3 classes: drop --pos-label."),
    ("table", ["-t", "y", "--pos-label", "no", "--test-size", "0"], "--pos-label picks the positive class of the held-out metrics, and --test-size 0 "
                                                                   "holds no rows out: drop --pos-label, or give --test-size."),
    ("text", ["--app", "text", "--text-column", "review", "-t", "label", "--pos-label", "maybe"],
     "--pos-label 'maybe' is not one of the two classes of target 'label', 'no' and 'yes': pass one of them."),
    ("table", ["--app", "autoencoder", "--pos-label", "no"], "--pos-label does not apply to train --app autoencoder (an Autoencoder): drop it"),
])
def test_pos_label_refusals_come_before_the_fit(tables, tmp_path, kind, args, message):
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", tables[kind], *args, "--epochs", "1", "-q", "-o", out), message)
    assert not out.exists()  # refused before any fit or write


def test_a_streamed_fit_refuses_pos_label(tables, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = pd.read_csv(tables["table"])
    frame.iloc[:30].to_csv(folder / "p0.csv", index=False)
    frame.iloc[30:].to_csv(folder / "p1.csv", index=False)
    assert_user_error(run("train", folder, "-t", "y", "--pos-label", "no", "-o", tmp_path / "m.safetensors"),
                      "--pos-label picks the positive class of the held-out metrics; a folder of files (or --workers) trains on every row")


def test_show_summary_names_the_positive_class(monkeypatch, capsys):
    """train --app's table names the class of its held-out average precision and sensitivity: --pos-label's."""
    from hiddenlayers.cli._apptrain import show_summary

    monkeypatch.setenv("COLUMNS", "200")
    show_summary({"model": "m.safetensors", "app": "TextClassifier", "test_metrics": {"average_precision": 0.5, "sensitivity": 0.25, "specificity": 0.75},
                  "test_classes": ["no", "yes"], "test_positive": "no", "test_rows": 4, "epochs": 1, "stop_reason": "max_epochs", "seconds": 0.1}, False)
    text = capsys.readouterr().out
    assert "held-out average precision (of 'no')" in text and "held-out sensitivity (recall of 'no')" in text
    assert "held-out specificity (recall of 'yes')" in text
