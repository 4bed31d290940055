"""``freeze_curve``: each score is the fine-tune of a copy with the first k layers frozen, on its split; bad calls say what to fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.model_selection import StratifiedShuffleSplit

import hiddenlayers as hl


@pytest.fixture(scope="module")
def source():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hl.MLPClassifier((12, 8), max_iter=15, random_state=0).fit(X[:500], y[:500])
    return model, X[500:700], y[500:700]


def test_scores_are_the_hand_computed_fine_tunes(source):
    model, X, y = source
    curve = hl.lens.freeze_curve(model, X, y, n_splits=2, params={"max_iter": 5}, random_state=3)
    splits = list(StratifiedShuffleSplit(n_splits=2, test_size=0.3, random_state=3).split(np.zeros(len(y)), y))
    keep = {k: v for k, v in model.get_params(deep=False).items() if k not in ("init_from", "freeze", "verbose", "warm_start", "domain_adaptation")}
    base = {**keep, "early_stopping": False, "max_iter": 5}

    def by_hand(init_from, freeze):
        out = []
        for i, (tr, te) in enumerate(splits):
            est = hl.MLPClassifier(**{**base, "random_state": 3 + i, "init_from": init_from, "freeze": freeze})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(est.fit(X[tr], y[tr]).score(X[te], y[te]))
        return out

    assert curve.ks == [0, 1, 2] and curve.layers == ["hidden1", "hidden2"] and curve.metric == "accuracy"
    for k in curve.ks:
        assert curve.scores[k] == pytest.approx(by_hand(model, k))
        assert curve.mean[k] == pytest.approx(np.mean(curve.scores[k])) and curve.std[k] == pytest.approx(np.std(curve.scores[k]))
    assert curve.scratch_mean == pytest.approx(np.mean(by_hand(None, None)))
    assert curve.best_k == int(np.argmax(curve.mean))


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"params": {"freeze": 2}}, ValueError, r"params sets freeze, which freeze_curve sets for each run"),
        ({"params": {"random_state": 5}}, ValueError, r"params sets random_state, .*freeze_curve\(\.\.\., random_state=\.\.\.\)"),
        ({"params": {"max_iters": 5}}, ValueError, r"params names 'max_iters', not a parameter of MLPClassifier\. Did you mean 'max_iter'\?"),
        ({"params": [("max_iter", 5)]}, TypeError, r"params must be a dict of MLPClassifier parameters"),
        ({"test_size": "0.3"}, ValueError, r"test_size must be a number in \(0, 1\)"),
        ({"columns": 10}, ValueError, r"X_target has shape \(200, 10\) but the model was fitted on 64 columns"),
    ],
)
def test_bad_calls_say_what_to_fix(source, kw, error, message):
    model, X, y = source
    X = X[:, : kw.pop("columns")] if "columns" in kw else X
    with pytest.raises(error, match=message):
        hl.lens.freeze_curve(model, X, y, n_splits=1, **kw)


def test_rows_as_a_list_are_read_as_scikit_learn_reads_them(source):
    model, X, y = source
    as_list = hl.lens.freeze_curve(model, X.tolist(), y, n_splits=1, params={"max_iter": 2})
    as_array = hl.lens.freeze_curve(model, X, y, n_splits=1, params={"max_iter": 2})
    assert as_list.scores == as_array.scores


def test_ctrl_c_in_a_fine_tune_stops_the_curve(source, monkeypatch):
    """A fine-tune that Ctrl-C stopped returns (stop_reason_ 'interrupted', its warning silenced here); the curve went on
    with the next fits and scored the cut one as a point. It now stops at that fit, as prune and search do."""
    from fit_helpers import fits_interrupted

    model, X, y = source
    fits_interrupted(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        hl.lens.freeze_curve(model, X, y, n_splits=1, params={"max_iter": 2})


@pytest.mark.parametrize(("rows", "test_size"), [(1, 0.3), (3, 0.9)])
def test_too_few_target_rows_for_both_sides_is_one_line_of_ours(source, rows, test_size):
    """One row, or a test_size that leaves none to fine-tune on: it was scikit-learn's 'With n_samples=1, test_size=0.3
    and train_size=None, the resulting train set will be empty. Adjust any of the aforementioned parameters.'"""
    model, X, y = source
    with pytest.raises(ValueError, match=rf"X_target has {rows} row\(s\), too few to hold out test_size={test_size} .*pass more target rows"):
        hl.lens.freeze_curve(model, X[:rows], y[:rows], test_size=test_size, n_splits=1)
