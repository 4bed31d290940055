"""prune's fine-tuning: one warm fit whose epochs all take the rows in one order, ending at the best epoch on validation rows when given."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.rightsize._prune.prune import _fine_tune


@pytest.fixture(scope="module")
def fitted():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16,), max_iter=3, learning_rate_init=0.01, random_state=0, device="cpu").fit(X[:600], y[:600])
    clf.replace_network(clf.network_)  # as prune's cut leaves it: a fresh optimizer
    return clf, X, y


def _weights(model):
    return [c.copy() for c in model.coefs_] + [b.copy() for b in model.intercepts_]


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b))


def _one_order_reference(clf, X, y, epochs, seed):
    """``epochs`` calls of partial_fit, unshuffled, on the rows permuted once by ``seed``: every epoch in one order."""
    ref = copy.deepcopy(clf).set_params(shuffle=False)
    order = np.random.RandomState(seed).permutation(len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            ref.partial_fit(X[order], y[order])
    return ref


def test_every_epoch_takes_the_rows_in_one_order_in_one_warm_fit(fitted, monkeypatch):
    clf, X, y = fitted
    ref = _one_order_reference(clf, X[:600], y[:600], 5, seed=3)
    model = copy.deepcopy(clf)
    calls = []
    real = hl.MLPClassifier.partial_fit
    monkeypatch.setattr(hl.MLPClassifier, "partial_fit", lambda *a, **k: calls.append(1) or real(*a, **k))
    out, score = _fine_tune(model, X[:600], y[:600], None, None, 5, 3)
    assert calls == [] and math.isnan(score) and len(out.history_) == len(clf.history_) + 5
    assert _same(_weights(out), _weights(ref))
    # the settings it borrowed are put back
    assert (out.max_iter, out.warm_start, out.shuffle, out.n_iter_no_change, out.callbacks) == (3, False, True, 10, None)


def test_the_result_does_not_depend_on_the_models_random_state(fitted):
    # A model without a seed drew a new row order for each partial_fit call from NumPy's global stream:
    # two fine-tunings of the same weights differed, and the new order each epoch cost cuts (RESULTS.md)
    clf, X, y = fitted
    model = copy.deepcopy(clf).set_params(random_state=None)
    a = _fine_tune(copy.deepcopy(model), X[:600], y[:600], None, None, 4)[0]
    np.random.rand(5)  # the global stream moves on between the two
    b = _fine_tune(copy.deepcopy(model), X[:600], y[:600], None, None, 4)[0]
    assert _same(_weights(a), _weights(b))
    assert _same(_weights(a), _weights(_one_order_reference(clf, X[:600], y[:600], 4, seed=0)))


def test_with_validation_rows_it_keeps_the_first_epoch_of_the_best_score(fitted):
    clf, X, y = fitted
    Xv, yv = X[600:900], y[600:900]
    epochs = 6
    # epoch k of one run equals a run of k epochs (same order, same optimizer): the reference for each epoch
    after = [copy.deepcopy(clf)] + [_one_order_reference(clf, X[:600], y[:600], k, seed=0) for k in range(1, epochs + 1)]
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


def test_rows_that_lack_a_class_take_one_partial_fit_per_epoch_in_the_same_order(fitted):
    clf, X, y = fitted
    rows = y[:600] != 9  # a warm fit is refused when y lacks one of classes_ (scikit-learn's rule)
    out, _ = _fine_tune(copy.deepcopy(clf), X[:600][rows], y[:600][rows], None, None, 3, 1)
    assert len(out.history_) == len(clf.history_) + 3 and out.warm_start is False and out.shuffle is True
    assert _same(_weights(out), _weights(_one_order_reference(clf, X[:600][rows], y[:600][rows], 3, seed=1)))


def test_no_epochs_leave_the_model_as_it_was(fitted):
    clf, X, y = fitted
    model = copy.deepcopy(clf)
    out, score = _fine_tune(model, X[:600], y[:600], X[600:700], y[600:700], 0)
    assert out is model and _same(_weights(out), _weights(clf)) and score == clf.score(X[600:700], y[600:700])
