"""ROC-AUC and average precision of a classifier's probabilities (evaluate, train's held-out metrics): scikit-learn's numbers,
and the cases where they are undefined left out with a note; --threshold's range check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from hiddenlayers.cli._binary import check_threshold, metric_label
from hiddenlayers.cli._class_scores import score_metrics
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._data import prediction_metrics


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 60), seed=st.integers(0, 10_000), weighted=st.booleans(), positive=st.sampled_from([0, 1]),
       labels=st.sampled_from([(0, 1), ("benign", "malignant"), (False, True)]))
def test_two_classes_score_the_positive_class_probability(n, seed, weighted, positive, labels):
    rng = np.random.default_rng(seed)
    classes = np.array(labels)
    y = classes[rng.integers(0, 2, n)]
    p1 = rng.choice([0.1, 0.3, 0.5, 0.7, 0.9], n) if seed % 2 else rng.random(n)  # ties too
    P = np.column_stack([1 - p1, p1]).astype(np.float32)
    w = rng.choice([0.5, 1.0, 3.0], n) if weighted else None
    found, why = score_metrics(y, P, classes, w, positive)
    if len(np.unique(y)) < 2:
        assert found == {} and why is not None and "ranking needs rows of both classes" in why
        return
    hit = y == classes[positive]
    assert why is None
    assert found["roc_auc"] == pytest.approx(roc_auc_score(hit, P[:, positive].astype(np.float64), sample_weight=w), abs=1e-12)
    assert found["average_precision"] == pytest.approx(average_precision_score(hit, P[:, positive].astype(np.float64), sample_weight=w), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(6, 60), seed=st.integers(0, 10_000), weighted=st.booleans())
def test_more_classes_give_the_one_vs_rest_macro_roc_auc(n, seed, weighted):
    rng = np.random.default_rng(seed)
    classes = np.array(["a", "b", "c"])
    y = classes[np.r_[0, 1, 2, rng.integers(0, 3, n - 3)]]
    logits = rng.normal(size=(n, 3))
    P = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    w = rng.choice([0.5, 1.0, 3.0], n) if weighted else None
    found, why = score_metrics(y, P, classes, w)
    expected = roc_auc_score(y, P / P.sum(1, keepdims=True, dtype=np.float64), multi_class="ovr", average="macro", labels=list(classes), sample_weight=w)
    assert why is None and set(found) == {"roc_auc"} and found["roc_auc"] == pytest.approx(expected, abs=1e-9)


def test_a_class_without_a_row_leaves_them_out_with_a_note(capsys):
    """scikit-learn raises (two classes) or gives NaN (one-vs-rest) where a class has no row: left out, and said why."""
    P = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert score_metrics(np.array([1, 1]), P, [0, 1]) == ({}, "no ROC-AUC or average precision: the labels hold no row of class '0', and "
                                                              "ranking needs rows of both classes; score data with both to have them.")
    # a class whose rows all weigh 0 counts as absent too
    assert score_metrics(np.array([0, 1]), P, [0, 1], np.array([0.0, 1.0]))[0] == {}
    three = np.full((2, 3), 1 / 3)
    assert score_metrics(np.array(["a", "b"]), three, ["a", "b", "c"])[1] == ("no ROC-AUC: the labels hold no row of class 'c', and one-vs-rest "
                                                                              "needs a row of every class; score data with every class to have it.")
    m = prediction_metrics(np.array([1, 1]), np.array([1, 1]), np.array([0, 1]), proba=P)
    assert "roc_auc" not in m and "average_precision" not in m and m["accuracy"] == 1.0
    assert capsys.readouterr().err.startswith("note: no ROC-AUC or average precision: the labels hold no row of class '0'")


def test_without_probabilities_there_are_none():
    """The application classifiers' metrics (their predictions only) are as they were."""
    m = prediction_metrics(np.array([0, 1]), np.array([0, 1]), np.array([0, 1]))
    assert "roc_auc" not in m and "average_precision" not in m


def test_labels_name_the_kind_and_the_positive_class():
    two = {"labels": ["benign", "malignant"]}
    assert metric_label("roc_auc", two) == "ROC-AUC" and metric_label("roc_auc", None) == "ROC-AUC"  # an Autoencoder's: no classes
    assert metric_label("roc_auc", {"labels": ["a", "b", "c"]}) == "ROC-AUC (one-vs-rest, macro)"
    assert metric_label("average_precision", two) == "average precision (of 'malignant')"
    assert metric_label("average_precision", {**two, "positive": "benign"}) == "average precision (of 'benign')"


@settings(max_examples=100, deadline=None)
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_threshold_is_a_probability_strictly_between_0_and_1(value):
    if 0 < value < 1:
        assert check_threshold(value) == value
        return
    with pytest.raises(UserError) as info:
        check_threshold(value)
    assert str(info.value) == ("--threshold must be a probability between 0 and 1 (exclusive): a row is predicted positive where the positive "
                               f"class's probability is at least it. Received: {value:g}.")
    assert check_threshold(None) is None
