"""scikit-learn's ``FixedThresholdClassifier`` wraps our classifier (clone, fit, predict): the Python way to an operating
point, as ``hiddenlayers predict/evaluate --threshold`` is the command line's; both cut the positive class's probability alike."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import FixedThresholdClassifier

import hiddenlayers as hl
from hiddenlayers.cli._binary import Cut


@pytest.mark.parametrize("pos_label", [None, "no"])
@pytest.mark.parametrize("threshold", [0.3, 0.7])
def test_fixed_threshold_classifier_cuts_our_probabilities(iris, pos_label, threshold) -> None:
    X, species = iris
    y = np.where(species == 1, "yes", "no")  # two classes, sorted: "no" then "yes"; versicolor is not linearly separable
    wrapped = clone(FixedThresholdClassifier(hl.MLPClassifier((8,), max_iter=100, learning_rate_init=0.01, random_state=0), threshold=threshold,
                                             pos_label=pos_label, response_method="predict_proba"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        wrapped.fit(X, y)
    inner = wrapped.estimator_
    assert isinstance(inner, hl.MLPClassifier) and list(wrapped.classes_) == ["no", "yes"]
    P = inner.predict_proba(X)
    positive = 1 if pos_label is None else 0
    expected = np.where(P[:, positive] >= threshold, inner.classes_[positive], inner.classes_[1 - positive])
    pred = wrapped.predict(X)
    assert (pred == expected).all()
    assert (pred == Cut(threshold, positive).labels(P, inner.classes_)).all()  # --threshold's cut: the same labels
    assert (pred != inner.predict(X)).any()  # the threshold moved some rows off the more probable class


def test_tuned_threshold_classifier_picks_a_threshold_for_ours(iris) -> None:
    """The README names TunedThresholdClassifierCV too: it cross-validates our classifier's probabilities and refits it."""
    from sklearn.model_selection import TunedThresholdClassifierCV

    X, species = iris
    y = (species == 1).astype(int)
    tuned = TunedThresholdClassifierCV(hl.MLPClassifier((8,), max_iter=30, learning_rate_init=0.01, random_state=0), cv=2,
                                       scoring="balanced_accuracy", thresholds=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tuned.fit(X, y)
    assert isinstance(tuned.estimator_, hl.MLPClassifier) and 0 < tuned.best_threshold_ < 1
    P = tuned.estimator_.predict_proba(X)[:, 1]
    assert (tuned.predict(X) == (P >= tuned.best_threshold_).astype(int)).all()
