"""Sensitivity and specificity of a two-class target: their standard definitions, the positive class named, in evaluate and train."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import recall_score

from cli_helpers import run
from hiddenlayers.cli._binary import binary_rates, metric_label, with_positive
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._data import prediction_metrics


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 50), seed=st.integers(0, 10_000), weighted=st.booleans(), labels=st.sampled_from([(0, 1), ("no", "yes"), (False, True)]))
def test_sensitivity_and_specificity_are_the_recalls_of_the_second_and_first_class(n, seed, weighted, labels):
    """scikit-learn's pos_label: the second sorted label is positive; sensitivity = its recall, specificity = the other's."""
    rng = np.random.default_rng(seed)
    classes = np.array(labels)
    y, pred = classes[rng.integers(0, 2, n)], classes[rng.integers(0, 2, n)]
    w = rng.choice([0.5, 1.0, 3.0], n) if weighted else None
    m = prediction_metrics(pred, y, classes, w)
    for key, label in (("sensitivity", classes[1]), ("specificity", classes[0])):
        if (y == label).any():
            assert m[key] == pytest.approx(recall_score(y, pred, pos_label=label, sample_weight=w), abs=1e-12)
        else:  # no row of that class: no recall to take
            assert np.isnan(m[key])


def test_more_than_two_classes_have_none():
    assert binary_rates(np.eye(3)) == {}
    assert "sensitivity" not in prediction_metrics(np.array([0, 1, 2]), np.array([0, 1, 2]), np.arange(3))
    assert metric_label("sensitivity", {"labels": ["benign", "malignant"]}) == "sensitivity (recall of 'malignant')"
    assert metric_label("specificity", {"labels": ["benign", "malignant"]}) == "specificity (recall of 'benign')"
    assert metric_label("f1_macro", None) == "f1 macro"


@pytest.fixture(scope="module")
def medical(tmp_path_factory) -> tuple[Path, Path]:
    """A small imbalanced two-class table (scikit-learn's breast cancer, 0: malignant) and a model trained on it."""
    from sklearn.datasets import load_breast_cancer

    folder = tmp_path_factory.mktemp("binary")
    frame = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, 7, -1]]
    data = folder / "cancer.csv"
    frame.to_csv(data, index=False)
    model = folder / "m.safetensors"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")  # whole rows, under xdist's COLUMNS=80 too
        result = run("train", str(data), "-t", "target", "--hidden", "8", "--epochs", "15", "--seed", "0", "-o", str(model))
    assert result.exit_code == 0, result.output
    assert "held-out sensitivity (recall of '1')" in result.stdout and "held-out specificity (recall of '0')" in result.stdout
    return data, model


def test_evaluate_reports_sensitivity_and_specificity_naming_the_positive_class(medical, monkeypatch):
    """evaluate said accuracy, balanced accuracy and macro F1 only: a binary medical target's sensitivity and specificity
    were not there, and nothing named a positive class."""
    monkeypatch.setenv("COLUMNS", "200")
    data, model = medical
    out = json.loads(run("evaluate", str(model), str(data), "--json").stdout)
    m, frame = out["metrics"], pd.read_csv(data)
    (tn, fp), (fn, tp) = np.asarray(m["confusion_matrix"]["matrix"])
    assert m["confusion_matrix"]["labels"] == ["0", "1"]
    assert m["sensitivity"] == pytest.approx(tp / (tp + fn)) and m["specificity"] == pytest.approx(tn / (tn + fp))
    assert tp + fn == (frame["target"] == 1).sum()
    text = run("evaluate", str(model), str(data)).stdout
    assert f"sensitivity (recall of '1') │ {m['sensitivity']:.4f}" in text and f"specificity (recall of '0') │ {m['specificity']:.4f}" in text


def test_pos_label_makes_the_first_class_positive(medical, monkeypatch):
    """--pos-label 0: breast cancer's malignant class is the positive one; its recall is now the sensitivity, named so."""
    monkeypatch.setenv("COLUMNS", "200")
    data, model = medical
    default = json.loads(run("evaluate", str(model), str(data), "--json").stdout)["metrics"]
    flipped = json.loads(run("evaluate", str(model), str(data), "--json", "--pos-label", "0").stdout)["metrics"]
    assert default["confusion_matrix"]["positive"] == "1" and flipped["confusion_matrix"]["positive"] == "0"
    assert flipped["sensitivity"] == default["specificity"] and flipped["specificity"] == default["sensitivity"]
    (tn, fp), _ = np.asarray(flipped["confusion_matrix"]["matrix"])  # row of class 0: its recall
    assert flipped["sensitivity"] == pytest.approx(tn / (tn + fp))
    text = run("evaluate", str(model), str(data), "--pos-label", "0").stdout
    assert "sensitivity (recall of '0')" in text and "specificity (recall of '1')" in text


def test_pos_label_refusals_name_the_fix(medical):
    data, model = medical
    result = run("evaluate", str(model), str(data), "--pos-label", "malignant")
    assert result.exit_code == 2 and "error: --pos-label 'malignant' is not one of the model's two classes, '0' and '1': pass one of them." in result.stderr
    three = {"task": "classification", "metrics": prediction_metrics(np.array([0, 1, 2]), np.array([0, 1, 2]), np.arange(3))}
    regression = {"task": "regression", "metrics": {"r2": 0.5}}
    for result_, what in ((three, "3 classes"), (regression, "regression metrics")):
        with pytest.raises(UserError, match=f"^--pos-label picks the positive class of a two-class target, but this model's evaluation has {what}: drop --pos-label.$"):
            with_positive(result_, "1")
        assert with_positive(result_, None) is result_  # nothing to name without the option
