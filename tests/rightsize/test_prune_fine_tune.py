"""prune's fine-tuning: one warm fit whose epochs all take the rows in one order (the weights of one partial_fit per epoch), ending at the best epoch on validation rows when given."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import hiddenlayers as hl
from fit_helpers import fits_interrupted
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


def _partial_fit_loop(clf, X, y, epochs):
    """The old fine-tuning: ``epochs`` calls of partial_fit (each reseeds an int random_state: one order every epoch)."""
    ref = copy.deepcopy(clf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            ref.partial_fit(X, y)
    return ref


def test_one_warm_fit_gives_the_weights_of_one_partial_fit_per_epoch(fitted, monkeypatch):
    clf, X, y = fitted
    ref = _partial_fit_loop(clf, X[:600], y[:600], 5)
    model = copy.deepcopy(clf)
    calls = []
    real = hl.MLPClassifier.partial_fit
    monkeypatch.setattr(hl.MLPClassifier, "partial_fit", lambda *a, **k: calls.append(1) or real(*a, **k))
    out, score = _fine_tune(model, X[:600], y[:600], None, None, 5)
    assert calls == [] and math.isnan(score) and len(out.history_) == len(clf.history_) + 5
    assert _same(_weights(out), _weights(ref))
    # the settings it borrowed are put back
    assert (out.max_iter, out.warm_start, out.shuffle, out.n_iter_no_change, out.callbacks) == (3, False, True, 10, None)


def test_without_a_seed_every_epoch_still_takes_one_order(fitted):
    # random_state=None: each partial_fit call drew a new order from NumPy's global stream, and a new order each
    # epoch costs cuts (RESULTS.md). Now one draw, one order: as partial_fit calls that all reseed to that draw.
    clf, X, y = fitted
    np.random.seed(7)
    out = _fine_tune(copy.deepcopy(clf).set_params(random_state=None), X[:600], y[:600], None, None, 4)[0]
    ref = copy.deepcopy(clf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            ref.set_params(random_state=np.random.RandomState(7)).partial_fit(X[:600], y[:600])
    assert _same(_weights(out), _weights(ref))


def test_a_model_that_does_not_shuffle_takes_the_rows_in_order(fitted):
    clf, X, y = fitted
    model = copy.deepcopy(clf).set_params(shuffle=False)
    out = _fine_tune(copy.deepcopy(model), X[:600], y[:600], None, None, 3)[0]
    assert _same(_weights(out), _weights(_partial_fit_loop(model, X[:600], y[:600], 3))) and out.shuffle is False


def test_with_validation_rows_it_keeps_the_first_epoch_of_the_best_score(fitted):
    clf, X, y = fitted
    Xv, yv = X[600:900], y[600:900]
    epochs = 6
    # epoch k of one run equals a run of k epochs (same order, same optimizer): the reference for each epoch
    after = [copy.deepcopy(clf)] + [_partial_fit_loop(clf, X[:600], y[:600], k) for k in range(1, epochs + 1)]
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
    out, _ = _fine_tune(copy.deepcopy(clf), X[:600][rows], y[:600][rows], None, None, 3)
    assert len(out.history_) == len(clf.history_) + 3 and out.warm_start is False and out.shuffle is True
    assert _same(_weights(out), _weights(_partial_fit_loop(clf, X[:600][rows], y[:600][rows], 3)))


def test_no_epochs_leave_the_model_as_it_was(fitted):
    clf, X, y = fitted
    model = copy.deepcopy(clf)
    out, score = _fine_tune(model, X[:600], y[:600], X[600:700], y[600:700], 0)
    assert out is model and _same(_weights(out), _weights(clf)) and score == clf.score(X[600:700], y[600:700])


@pytest.fixture(scope="module")
def balanced(fitted):
    """The fitted model trained on its own objective: class_weight='balanced' and label_smoothing 0.1 (a fresh optimizer, as a cut leaves it)."""
    clf, X, y = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = copy.deepcopy(clf).set_params(class_weight="balanced", label_smoothing=0.1).fit(X[:600], y[:600])
    model.replace_network(model.network_)
    return model


def _as_dict(model, y):
    """``model`` with its 'balanced' class_weight written out over ``y`` (1.0 for the classes ``y`` lacks)."""
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(y)
    w = dict(zip(present.tolist(), compute_class_weight("balanced", classes=present, y=y)))
    return copy.deepcopy(model).set_params(class_weight={c: w.get(c, 1.0) for c in model.classes_.tolist()})


def test_fine_tuning_keeps_the_model_s_class_weight_and_label_smoothing(balanced, fitted):
    _, X, y = fitted
    out, _ = _fine_tune(copy.deepcopy(balanced), X[:600], y[:600], None, None, 3)
    assert out.class_weight == "balanced" and out.label_smoothing == 0.1
    # the weights of partial_fit epochs under the same class weights and smoothing, not of the unweighted objective
    assert _same(_weights(out), _weights(_partial_fit_loop(_as_dict(balanced, y[:600]), X[:600], y[:600], 3)))
    assert not _same(_weights(out), _weights(_partial_fit_loop(_as_dict(balanced, y[:600]).set_params(class_weight=None), X[:600], y[:600], 3)))


def test_rows_that_lack_a_class_fine_tune_a_balanced_model_with_its_weights_written_out(balanced, fitted):
    """partial_fit refuses class_weight='balanced': the epochs of rows that lack a class failed with that error."""
    _, X, y = fitted
    rows = y[:600] != 9
    out, _ = _fine_tune(copy.deepcopy(balanced), X[:600][rows], y[:600][rows], None, None, 3)
    assert out.class_weight == "balanced" and out.label_smoothing == 0.1  # put back after the epochs
    assert _same(_weights(out), _weights(_partial_fit_loop(_as_dict(balanced, y[:600][rows]), X[:600][rows], y[:600][rows], 3)))


@pytest.mark.parametrize("lacking", [False, True])
def test_an_averaged_model_fine_tunes_without_averaging_and_keeps_its_setting(fitted, lacking):
    """The epochs of rows that lack a class are partial_fit calls, which refuse weight_averaging: fine-tuning failed with that error."""
    clf, X, y = fitted
    model = copy.deepcopy(clf).set_params(weight_averaging="swa", swa_start=0.5, swa_lr=0.01, swa_anneal_epochs=3)
    plain = copy.deepcopy(clf)
    rows = y[:600] != 9 if lacking else np.ones(600, dtype=bool)
    out, _ = _fine_tune(model, X[:600][rows], y[:600][rows], None, None, 2)
    ref, _ = _fine_tune(plain, X[:600][rows], y[:600][rows], None, None, 2)
    assert out.weight_averaging == "swa" and out.swa_start == 0.5 and out.swa_lr == 0.01 and out.swa_anneal_epochs == 3
    assert _same(_weights(out), _weights(ref))  # the fine-tuning epochs' own weights, not an average of them


def _ctrl_c_at_epoch(monkeypatch, at):
    """Ctrl-C (a KeyboardInterrupt, which the fit catches: stop, keep the best weights, return) at the end of fine-tuning epoch ``at``."""
    from hiddenlayers.rightsize._prune import prune as pr

    seen = []
    real = pr._EpochWeights.on_epoch_end

    def on_epoch_end(self, **kwargs):
        seen.append(1)
        if len(seen) == at:
            raise KeyboardInterrupt
        real(self, **kwargs)

    monkeypatch.setattr(pr._EpochWeights, "on_epoch_end", on_epoch_end)
    return seen


@pytest.mark.parametrize("lacking", [False, True])
def test_ctrl_c_in_fine_tuning_stops_it_and_goes_on_as_keyboard_interrupt(fitted, monkeypatch, lacking):
    """The fine-tuning fit (or partial_fit) took Ctrl-C as "stop this fit" and returned: prune went on to the next cut and
    saved its choice. The KeyboardInterrupt now goes on (prune stops), and the settings fine-tuning borrowed are put back."""
    clf, X, y = fitted
    rows = y[:600] != 9 if lacking else np.ones(600, bool)  # lacking a class: one partial_fit per epoch
    model = copy.deepcopy(clf)
    seen = _ctrl_c_at_epoch(monkeypatch, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hl.InterruptedWarning)
        with pytest.raises(KeyboardInterrupt):
            _fine_tune(model, X[:600][rows], y[:600][rows], X[600:700], y[600:700], 5)
    assert len(seen) == 2  # no epoch after the Ctrl-C
    assert (model.max_iter, model.warm_start, model.shuffle, model.n_iter_no_change, model.callbacks) == (3, False, True, 10, None)


def test_ctrl_c_in_a_cross_fitted_refit_stops_prune_and_leaves_the_model(fitted, monkeypatch):
    clf, X, y = fitted
    before = _weights(clf)
    fits_interrupted(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        hl.prune(clf, X[:600], y[:600], max_drop=0.2, cv=2, fine_tune_epochs=1, latency_calls=0)
    assert _same(_weights(clf), before)
