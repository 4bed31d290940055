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

from cli_helpers import assert_user_error, run
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
    assert "held-out ROC-AUC " in result.stdout and "held-out average precision (of '1')" in result.stdout  # train's summary too
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


def _proba(model: Path, data: Path) -> tuple[np.ndarray, np.ndarray]:
    """The true labels and the model's probabilities (columns: '0', '1') of every row, from `predict --proba`."""
    from io import StringIO

    out = pd.read_csv(StringIO(run("predict", str(model), str(data), "--proba").stdout))
    return pd.read_csv(data)["target"].to_numpy(), out[["proba_0", "proba_1"]].to_numpy()


@pytest.mark.parametrize("pos_label", [None, "0"])
def test_evaluate_gives_roc_auc_and_average_precision_of_the_positive_class(medical, monkeypatch, pos_label):
    """evaluate gave no ROC-AUC for a classifier: a screening model was judged at its one cut (0.5) only."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    monkeypatch.setenv("COLUMNS", "200")
    data, model = medical
    y, P = _proba(model, data)
    opts = () if pos_label is None else ("--pos-label", pos_label)
    m = json.loads(run("evaluate", str(model), str(data), "--json", *opts).stdout)["metrics"]
    positive = 1 if pos_label is None else 0
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, P[:, 1]), abs=1e-6)  # the same ranking, whichever class is positive
    assert m["average_precision"] == pytest.approx(average_precision_score(y == positive, P[:, positive]), abs=1e-6)
    text = run("evaluate", str(model), str(data), *opts).stdout
    assert f"ROC-AUC                     │ {m['roc_auc']:.4f}" in text
    assert f"average precision (of '{positive}')  │ {m['average_precision']:.4f}" in text


def test_evaluate_on_one_class_leaves_them_out_with_a_note(medical, tmp_path):
    data, model = medical
    frame = pd.read_csv(data)
    ones = tmp_path / "ones.csv"
    frame[frame["target"] == 1].to_csv(ones, index=False)
    result = run("evaluate", str(model), str(ones), "--json")
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)["metrics"]
    assert "roc_auc" not in m and "average_precision" not in m and m["sensitivity"] >= 0
    assert "note: no ROC-AUC or average precision: the labels hold no row of class '0'" in result.stderr


@pytest.mark.parametrize("threshold, pos_label", [(0.3, None), (0.8, None), (0.4, "0")])
def test_threshold_cuts_the_positive_class_probability(medical, monkeypatch, threshold, pos_label):
    """--threshold t: the positive class wherever its probability is at least t, in predict and in evaluate's confusion matrix."""
    monkeypatch.setenv("COLUMNS", "200")
    data, model = medical
    y, P = _proba(model, data)
    positive = 1 if pos_label is None else 0
    expected = np.where(P[:, positive] >= threshold, positive, 1 - positive)
    opts = ("--threshold", str(threshold), *(() if pos_label is None else ("--pos-label", pos_label)))
    from io import StringIO

    predicted = pd.read_csv(StringIO(run("predict", str(model), str(data), *opts).stdout))["predicted_target"].to_numpy()
    assert (predicted == expected).all() and (predicted != np.argmax(P, axis=1)).any()  # some rows moved off the likelier class
    out = json.loads(run("evaluate", str(model), str(data), "--json", *opts).stdout)
    assert out["threshold"] == threshold and out["metrics"]["confusion_matrix"]["positive"] == str(positive)
    assert out["metrics"]["confusion_matrix"]["matrix"] == [[int(((y == a) & (expected == b)).sum()) for b in (0, 1)] for a in (0, 1)]
    text = run("evaluate", str(model), str(data), *opts).stdout
    assert f"'{positive}' predicted where its probability >= {threshold:g}" in text


def test_threshold_refusals_say_why(medical, tmp_path):
    data, model = medical
    assert_user_error(run("evaluate", str(model), str(data), "--threshold", "1"), "--threshold must be a probability between 0 and 1 (exclusive)")
    assert_user_error(run("predict", str(model), str(data), "--pos-label", "0"),
                      "--pos-label names the class whose probability --threshold cuts: give --threshold too, or drop --pos-label.")
    assert_user_error(run("predict", str(model), str(data), "--threshold", "0.5", "--pos-label", "2"), "--pos-label '2' is not one of the model's two classes")
    reg = tmp_path / "reg.safetensors"
    frame = pd.read_csv(data)
    frame.assign(target=frame["mean radius"] * 2).iloc[:60].to_csv(tmp_path / "reg.csv", index=False)
    assert run("train", str(tmp_path / "reg.csv"), "-t", "target", "--task", "regression", "--hidden", "4", "--epochs", "2", "-q", "-o", str(reg)).exit_code == 0
    for command in ("predict", "evaluate"):
        assert_user_error(run(command, str(reg), str(tmp_path / "reg.csv"), "--threshold", "0.5"),
                          f"--threshold cuts a two-class classifier's probability of its positive class; '{reg}' holds a regressor, which predicts values: drop --threshold.")


def test_more_classes_give_the_one_vs_rest_roc_auc_and_refuse_a_threshold(tmp_path, monkeypatch):
    from io import StringIO

    from sklearn.datasets import load_iris
    from sklearn.metrics import roc_auc_score

    monkeypatch.setenv("COLUMNS", "200")
    model = tmp_path / "iris.safetensors"
    assert run("train", "iris", "--hidden", "4", "--epochs", "5", "-q", "--no-check", "-o", str(model)).exit_code == 0
    out = pd.read_csv(StringIO(run("predict", str(model), "iris", "--proba").stdout))
    y = load_iris().target_names[load_iris().target]
    P = out[["proba_setosa", "proba_versicolor", "proba_virginica"]].to_numpy(dtype=np.float64)
    m = json.loads(run("evaluate", str(model), "iris", "--json").stdout)["metrics"]
    assert "average_precision" not in m and "sensitivity" not in m
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, P / P.sum(1, keepdims=True), multi_class="ovr", average="macro"), abs=1e-4)
    assert f"ROC-AUC (one-vs-rest, macro) │ {m['roc_auc']:.4f}" in run("evaluate", str(model), "iris").stdout
    assert_user_error(run("evaluate", str(model), "iris", "--threshold", "0.5"),
                      f"'{model}' holds a classifier of 3 classes, which predicts the most probable one: drop --threshold.")


def test_a_folder_gives_the_files_roc_auc_and_threshold(medical, tmp_path):
    """evaluate DIR (and a piped table) scores batch by batch: its ROC-AUC and average precision, from each row's kept
    probabilities, and its --threshold labels are the single file's."""
    data, model = medical
    frame, folder = pd.read_csv(data), tmp_path / "parts"
    folder.mkdir()
    for i, part in enumerate((frame.iloc[:200], frame.iloc[200:400], frame.iloc[400:])):
        part.to_csv(folder / f"p{i}.csv", index=False)
    for opts in ((), ("--threshold", "0.35", "--pos-label", "0")):
        one = json.loads(run("evaluate", str(model), str(data), "--json", *opts).stdout)
        many = json.loads(run("evaluate", str(model), str(folder), "--json", *opts).stdout)
        assert many["metrics"].keys() == one["metrics"].keys() and "roc_auc" in one["metrics"]
        for k, v in one["metrics"].items():
            assert many["metrics"][k] == (v if k == "confusion_matrix" else pytest.approx(v, abs=1e-12)), k
        assert many.get("threshold") == one.get("threshold")
        assert run("predict", str(model), str(folder), *opts[:2]).stdout == run("predict", str(model), str(data), *opts[:2]).stdout


def test_an_application_file_refuses_a_threshold(tmp_path):
    from hiddenlayers import Autoencoder

    rows = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["a", "b", "c"])
    path = tmp_path / "ae.safetensors"
    Autoencoder(n_components=1, max_iter=1).fit(rows).save(path)
    rows.assign(anomaly=[0, 1] * 10).to_csv(tmp_path / "rows.csv", index=False)
    assert_user_error(run("predict", str(path), str(tmp_path / "rows.csv"), "--threshold", "0.5"),
                      f"--threshold cuts a two-class table model's probability of its positive class; '{path}' holds an Autoencoder (an application file): drop --threshold.")
    assert_user_error(run("evaluate", str(path), str(tmp_path / "rows.csv"), "-t", "anomaly", "--threshold", "0.5"),
                      f"--threshold cuts a table model's metrics; '{path}' holds an Autoencoder (an application file): drop --threshold.")
