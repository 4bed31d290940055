"""prune's fine-tuning: one training run of ``epochs`` passes, ending at the best epoch on validation rows when given."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.rightsize._prune import _fine_tune


@pytest.fixture(scope="module")
def fitted():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16,), max_iter=3, learning_rate_init=0.01, random_state=0, device="cpu").fit(X[:600], y[:600])
    return clf, X, y


def _weights(model):
    return [c.copy() for c in model.coefs_] + [b.copy() for b in model.intercepts_]


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b))


def test_without_validation_rows_it_runs_exactly_epochs_passes_in_one_fit(fitted, monkeypatch):
    clf, X, y = fitted
    model = copy.deepcopy(clf)
    calls = []
    monkeypatch.setattr(hl.MLPClassifier, "partial_fit", lambda *a, **k: calls.append(1))  # the old loop: one call per epoch
    epochs_before = len(model.history_)
    out, score = _fine_tune(model, X[:600], y[:600], None, None, 7)
    assert calls == [] and len(out.history_) == epochs_before + 7 and math.isnan(score)
    # the settings it borrowed are put back
    assert (out.max_iter, out.warm_start, out.n_iter_no_change, out.callbacks) == (3, False, 10, None)


def test_with_validation_rows_it_keeps_the_first_epoch_of_the_best_score(fitted):
    clf, X, y = fitted
    Xv, yv = X[600:900], y[600:900]
    epochs = 6
    # epoch k of one run equals a run of k epochs (same shuffles, same optimizer): the reference for each epoch
    after = [copy.deepcopy(clf)] + [_fine_tune(copy.deepcopy(clf), X[:600], y[:600], None, None, k)[0] for k in range(1, epochs + 1)]
    scores = [m.score(Xv, yv) for m in after]
    best = int(np.argmax(scores))  # the first of the best
    out, score = _fine_tune(copy.deepcopy(clf), X[:600], y[:600], Xv, yv, epochs)
    assert score == scores[best] == out.score(Xv, yv)
    assert _same(_weights(out), _weights(after[best]))


def test_the_starting_weights_win_when_no_epoch_beats_them(fitted):
    clf, X, y = fitted
    model = copy.deepcopy(clf)
    Xv = X[600:700]
    yv = model.predict(Xv)  # the starting model scores 1.0 here: no epoch can do better
    start = _weights(model)
    out, score = _fine_tune(model, X[:600], y[:600], Xv, yv, 4)
    assert score == 1.0 and _same(_weights(out), start)
    assert len(out.history_) == len(clf.history_) + 4  # the epochs ran; their weights were not kept


def test_rows_that_lack_a_class_take_one_partial_fit_per_epoch(fitted):
    clf, X, y = fitted
    rows = y[:600] != 9  # a warm fit is refused when y lacks one of classes_ (scikit-learn's rule)
    model = copy.deepcopy(clf)
    out, _ = _fine_tune(model, X[:600][rows], y[:600][rows], None, None, 3)
    assert len(out.history_) == len(clf.history_) + 3 and out.warm_start is False
