"""``evaluate`` of the classifier apps (TextClassifier, ImageClassifier, SequenceClassifier, and their ``.onnx`` exports) adds
ROC-AUC and, for two classes, the average precision of the positive class (``--pos-label``), as for table classifiers
(cli/_class_scores): scikit-learn's ``roc_auc_score`` / ``average_precision_score`` on the app's own probabilities.

They judged an app only at its one cut (accuracy, F1, the confusion matrix): neither key was in the result.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import ImageClassifier, SequenceClassifier, TextClassifier

TEXTS = ["a fine film", "a dull mess", "fine acting", "a dull plot", "what a fine cast", "dull and slow", "fine", "slow film"] * 3
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg", "neg", "pos"] * 3  # the last two against the words: no perfect ranking
FAST = dict(max_iter=2, early_stopping=False, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("app_class_scores")
    rng = np.random.default_rng(0)
    text = TextClassifier("embed8,gru8", **FAST).fit(TEXTS, LABELS)
    text.save(d / "text.safetensors")
    pd.DataFrame({"review": TEXTS, "label": LABELS}).to_csv(d / "texts.csv", index=False)
    pixels = rng.integers(0, 256, (30, 6, 6)).astype(np.uint8)
    digits = np.arange(30) % 3
    image = ImageClassifier("conv2k3:same,4", **FAST).fit(pixels, digits)
    image.save(d / "image.safetensors")
    np.savez(d / "images.npz", X=pixels, y=digits)
    frames = [rng.normal(size=(4, 2)) + (i % 2) for i in range(12)]
    long = pd.DataFrame([{"id": i, "a": f[0], "b": f[1], "kind": ("calm", "busy")[i % 2]} for i, seq in enumerate(frames) for f in seq])
    seq = SequenceClassifier("conv2k3:same,gap,4", **FAST).fit_long(long, "kind", id_column="id")
    seq.save(d / "seq.safetensors")
    long.to_csv(d / "long.csv", index=False)
    return {"dir": d, "text": text, "image": image, "pixels": pixels, "digits": digits, "seq": seq, "frames": frames}


def _json(*args: object) -> dict[str, Any]:
    return json.loads(ok("evaluate", *args, "--json").stdout)  # type: ignore[no-any-return]


def _binary(y: list[str], proba: np.ndarray, classes: list[str], positive: str) -> dict[str, float]:
    """scikit-learn's ROC-AUC and average precision of class ``positive`` on float32 probabilities (what the command scores)."""
    score = np.asarray(proba, dtype=np.float32)[:, classes.index(positive)]
    hit = np.asarray(y) == positive
    return {"roc_auc": roc_auc_score(hit, score), "average_precision": average_precision_score(hit, score)}


def test_text_classifier_adds_roc_auc_and_the_positive_class_average_precision(files: dict[str, Any]) -> None:
    d, text = files["dir"], files["text"]
    proba = text.predict_proba(TEXTS)
    got = _json(d / "text.safetensors", d / "texts.csv", "--target", "label")["metrics"]
    expected = _binary(LABELS, proba, ["neg", "pos"], "pos")  # the second label by default
    assert {k: got[k] for k in expected} == pytest.approx(expected, abs=1e-12)
    assert 0.5 < got["roc_auc"] < 1  # the fixture's last two texts per round go against their words
    neg = _json(d / "text.safetensors", d / "texts.csv", "--target", "label", "--pos-label", "neg")["metrics"]
    assert neg["average_precision"] == pytest.approx(_binary(LABELS, proba, ["neg", "pos"], "neg")["average_precision"], abs=1e-12)
    assert neg["roc_auc"] == pytest.approx(got["roc_auc"]) and neg["average_precision"] != pytest.approx(got["average_precision"])


def test_the_table_names_the_class_average_precision_ranks(files: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # whole rows, under xdist's COLUMNS=80 too
    d = files["dir"]
    shown = ok("evaluate", d / "text.safetensors", d / "texts.csv", "--target", "label", "--pos-label", "neg").stdout
    assert "ROC-AUC" in shown and "average precision (of 'neg')" in shown
    assert_user_error(run("evaluate", d / "text.safetensors", d / "texts.csv", "--target", "label", "--pos-label", "maybe"),
                      "--pos-label 'maybe' is not one of the model's two classes, 'neg' and 'pos'")


def test_labels_of_one_class_leave_both_out_with_a_note(files: dict[str, Any], tmp_path: Path) -> None:
    d = files["dir"]
    one = tmp_path / "one.csv"
    pd.DataFrame({"review": TEXTS[:6], "label": ["pos"] * 6}).to_csv(one, index=False)
    result = ok("evaluate", d / "text.safetensors", one, "--target", "label", "--json")
    assert "roc_auc" not in json.loads(result.stdout)["metrics"] and "average_precision" not in json.loads(result.stdout)["metrics"]
    assert "note: no ROC-AUC or average precision: the labels hold no row of class 'neg'" in result.stderr


def test_image_classifier_of_three_classes_gets_the_one_vs_rest_macro_roc_auc(files: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    d = files["dir"]
    proba = np.asarray(files["image"].predict_proba(files["pixels"]), dtype=np.float32).astype(np.float64)
    got = _json(d / "image.safetensors", d / "images.npz")["metrics"]
    expected = roc_auc_score(files["digits"], proba / proba.sum(axis=1, keepdims=True), multi_class="ovr", average="macro")
    assert got["roc_auc"] == pytest.approx(expected, abs=1e-12) and "average_precision" not in got
    monkeypatch.setenv("COLUMNS", "200")
    assert "ROC-AUC (one-vs-rest, macro)" in ok("evaluate", d / "image.safetensors", d / "images.npz").stdout
    assert_user_error(run("evaluate", d / "image.safetensors", d / "images.npz", "--pos-label", "1"),
                      "--pos-label picks the positive class of a two-class target, but this model's evaluation has 3 classes")


def test_sequence_classifier_scores_each_sequence_by_its_probability(files: dict[str, Any]) -> None:
    d, seq = files["dir"], files["seq"]
    kinds = [("calm", "busy")[i % 2] for i in range(len(files["frames"]))]
    expected = _binary(kinds, seq.predict_proba(files["frames"]), list(seq.classes_), "calm")
    got = _json(d / "seq.safetensors", d / "long.csv", "--pos-label", "calm")["metrics"]
    assert {k: got[k] for k in expected} == pytest.approx(expected, abs=1e-12)


def test_an_export_is_scored_on_the_graphs_probabilities(files: dict[str, Any], tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    d = files["dir"]
    onnx = tmp_path / "text.onnx"
    ok("export", d / "text.safetensors", d / "texts.csv", "--text-column", "review", "--out", onnx)
    graph = pd.read_csv(io.StringIO(ok("predict", onnx, d / "texts.csv", "--text-column", "review", "--proba").stdout))
    got = _json(onnx, d / "texts.csv", "--target", "label", "--pos-label", "neg")["metrics"]
    expected = _binary(LABELS, graph[["proba_neg", "proba_pos"]].to_numpy(), ["neg", "pos"], "neg")
    assert {k: got[k] for k in expected} == pytest.approx(expected, abs=1e-6)
