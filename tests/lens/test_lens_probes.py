"""Linear probes: about 1.0 on separable labels, about chance on shuffled labels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from hiddenlayers.lens import probe
from hiddenlayers.lens._probes import probe_features


def test_separable_labels_score_near_one_and_shuffled_near_chance(rng):
    X = rng.normal(size=(600, 5)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) > 0).astype(int)
    net = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 2))
    res = probe(net, X, y, layers=["1"])
    assert res.layers == ["input", "1"] and res.metric == "accuracy"
    assert res.test_score[0] >= 0.97  # the input is linearly separable by construction
    shuffled = probe(net, X, rng.permutation(y), layers=["1"])
    assert abs(shuffled.test_score[0] - shuffled.chance) < 0.1
    assert shuffled.chance == pytest.approx(0.5, abs=0.1)


def test_multiclass_and_regression_probes(rng):
    f = rng.normal(size=(400, 3))
    y = np.argmax(f, axis=1)
    res = probe_features({"f": f}, y)
    assert res.test_score[0] > 0.9
    reg = probe_features({"f": f, "noise": rng.normal(size=(400, 3))}, f @ np.array([1.0, 2.0, 3.0]))
    assert reg.metric == "r2" and reg.test_score[0] > 0.99 and reg.test_score[1] < 0.1
    assert reg.best() == "f"


def test_errors(rng):
    with pytest.raises(ValueError, match="one label per row"):
        probe(nn.Linear(3, 2), rng.normal(size=(10, 3)).astype(np.float32), np.zeros(9))
    with pytest.raises(ValueError, match="test_size must be"):
        probe_features({"f": np.zeros((10, 2))}, np.arange(10) % 2, test_size=1.5)
    with pytest.raises(ValueError, match="1-D labels"):
        probe_features({"f": np.zeros((10, 2))}, np.zeros((10, 2)))


def test_chance_is_the_training_majority_scored_on_held_out_rows():
    """Chance must not peek at the test labels: the test split's own majority share is an upper bound no probe can be held to."""
    y = np.random.default_rng(0).permutation(np.r_[np.zeros(21), np.ones(19), [2]]).astype(int)  # one singleton class: no stratification
    res = probe_features({"f": np.zeros((y.size, 1))}, y)
    # train split: 12 of class 0, 15 of class 1; test split: 9 of class 0, 4 of class 1 -> always "1" scores 4/13
    assert res.chance == pytest.approx(4 / 13)


@pytest.fixture(scope="module")
def sorted_iris():
    import warnings

    from sklearn.datasets import load_iris

    import hiddenlayers as hl

    X, y = load_iris(return_X_y=True)  # sorted by class: 50 setosa, then 50 versicolor, then 50 virginica
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    return clf, X, y


def test_row_caps_draw_at_random_not_the_first_rows(sorted_iris):
    """The first 100 rows of iris hold two classes: a probe or report on them would never see virginica."""
    from hiddenlayers.lens._report import _prepare

    clf, X, y = sorted_iris
    res = probe(clf, X, y, max_rows=100)
    assert res.chance < 0.45  # three classes (the first 100 rows: two, chance 0.5)
    _, Xp, yv, positions = _prepare(clf, X, y, 100)
    assert Xp.shape == (100, 4) and yv is not None and set(yv.tolist()) == {0, 1, 2}
    assert positions is not None and np.array_equal(Xp, X[positions]) and np.array_equal(yv, y[positions])  # where each row sits in X
    i = [np.flatnonzero((X == row).all(1))[0] for row in Xp[:5]]
    assert yv[:5].tolist() == y[i].tolist()  # rows and labels stay paired


@pytest.mark.parametrize("cap", [-5, 0, 2.5])
def test_bad_row_caps_are_refused(sorted_iris, cap):
    from hiddenlayers.lens import report

    clf, X, y = sorted_iris
    with pytest.raises(ValueError, match=rf"max_rows must be None \(every row\) or an integer >= 4 \(the probe needs rows to train and to test on\)\. Received: max_rows={cap}\."):
        probe(clf, X, y, max_rows=cap)
    with pytest.raises(ValueError, match=rf"max_rows must be None \(every row\) or an integer >= 2\. Received: max_rows={cap}\."):
        report(clf, X, y, max_rows=cap)


def test_many_classes_on_few_rows_split_at_random_instead_of_failing(rng):
    """Ten classes, two rows each: no stratified 30% test split exists (6 rows < 10 classes); scikit-learn raised."""
    y = np.repeat(np.arange(10), 2)
    res = probe_features({"f": rng.normal(size=(20, 3))}, y)
    assert len(res.test_score) == 1 and 0.0 <= res.test_score[0] <= 1.0
    # stratified where possible: 90/10 labels keep their shares in the held-out rows (27 and 3 of 30)
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    assert probe_features({"f": rng.normal(size=(100, 2))}, y).chance == pytest.approx(0.9)


def test_a_plain_module_on_whole_number_regression_targets_is_probed_by_r2_and_task_overrides():
    """diabetes' targets are whole-number floats: scikit-learn reads them as 214 classes, so probe() of a plain module
    scored every layer by accuracy ~0 (the report already read them as a quantity); task= says it outright."""
    import torch
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X = X.astype(np.float32)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 1))
    res = probe(net, X, y, layers=["1"])
    assert res.metric == "r2" and res.chance == 0.0
    assert res.test_score[0] > 0.3  # the input's linear fit: R² about 0.4 on diabetes
    assert probe(net, X, y, layers=["1"], task="regression").test_score == res.test_score
    labels = (y > np.median(y)).astype(np.float64)  # two float values: classes, as before
    assert probe(net, X, labels, layers=["1"]).metric == "accuracy"
    assert probe(net, X, y > np.median(y), layers=["1"], task="classification").metric == "accuracy"
    with pytest.raises(ValueError, match=r"^task must be 'classification', 'regression' or None"):
        probe(net, X, y, task="r2")


def test_wide_features_are_probed_in_the_rows_span_with_the_same_optimum(rng):
    """Fewer training rows than features: the logistic probe solved on the rows' span has the full problem's optimum."""
    from sklearn.linear_model import LogisticRegression

    from hiddenlayers.lens._probes import _row_space

    A_tr, A_te = rng.normal(size=(40, 300)), rng.normal(size=(15, 300))
    y_tr = np.argmax(A_tr[:, :3], axis=1)
    Z_tr, Z_te = _row_space(A_tr, A_te)
    assert Z_tr.shape == (40, 40) and Z_te.shape == (15, 40)  # one coordinate per training row, not per feature
    full = LogisticRegression(tol=1e-10, max_iter=10_000).fit(A_tr, y_tr)
    span = LogisticRegression(tol=1e-10, max_iter=10_000).fit(Z_tr, y_tr)
    np.testing.assert_allclose(span.decision_function(Z_te), full.decision_function(A_te), atol=1e-4)
    np.testing.assert_allclose(span.decision_function(Z_tr), full.decision_function(A_tr), atol=1e-4)
    # as many rows as features (or more): the features as they are
    narrow = rng.normal(size=(40, 30))
    assert _row_space(narrow, A_te[:, :30])[0] is narrow
    # constant features: one all-zero coordinate, the probe answers the majority class as before
    zeros = probe_features({"f": np.zeros((30, 100))}, np.r_[np.zeros(20), np.ones(10)].astype(int))
    assert zeros.test_score[0] == pytest.approx(zeros.chance)


@pytest.mark.parametrize("bad", [np.nan, np.inf, None])
def test_a_missing_label_is_one_line_naming_its_row_before_any_probe(rng, bad):
    """scikit-learn's "Input y contains NaN." named neither y's row nor the fix; the report raised it half-way through."""
    import hiddenlayers as hl

    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.array([0.0, 1.0] * 20, dtype=object if bad is None else float)
    y[7] = bad
    expected = r"^y holds 1 missing or infinite label\(s\) \(first in row 7\): drop those rows \(from X too\) or fill them in\.$"
    with pytest.raises(ValueError, match=expected):
        probe(net, X, y)
    with pytest.raises(ValueError, match=expected):
        hl.lens.report(net, X, y, sections=["probes"])
    with pytest.raises(ValueError, match=expected.replace("^y", "^y_target")):
        hl.lens.domain_shift(net, X, X + 1, y_target=y, n_permutations=10)
    hl.lens.report(net, X, y, sections=["layers"])  # a page without probes still takes such labels, as before


def test_one_row_is_one_line_saying_a_probe_needs_two(rng):
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with pytest.raises(ValueError, match=r"^a probe needs at least 2 rows, one to fit on and one held out to score it\. Received 1; pass more rows\.$"):
        probe_features({"h": rng.normal(size=(1, 4))}, np.array([1]))
    with pytest.raises(ValueError, match="at least 2 rows"):
        probe(net, rng.normal(size=(1, 3)).astype(np.float32), np.array([1]), max_rows=None)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0, 2.5, np.nan, np.inf, -np.inf]), min_size=1, max_size=30))
def test_refuse_missing_labels_names_the_first_bad_row_and_passes_clean_labels(values):
    from hiddenlayers.lens._probes import refuse_missing_labels

    y = np.array(values, dtype=float)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size == 0:
        refuse_missing_labels(y)
        return
    with pytest.raises(ValueError, match=rf"^y holds {bad.size} missing or infinite label\(s\) \(first in row {bad[0]}\)"):
        refuse_missing_labels(y)


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]


def test_probes_fit_on_one_blas_thread_and_give_the_caller_its_threads_back(rng, monkeypatch):
    """Two BLAS threads made a 5,000 x 128 probe cost 1.0 CPU s instead of 0.07 (their hand-offs): the fits run on one."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    seen: list[list[int]] = []
    for cls in (LogisticRegression, Pipeline):  # the classification and the regression probe
        fit = cls.fit
        monkeypatch.setattr(cls, "fit", lambda self, *a, _fit=fit, **k: (seen.append(_blas_threads()), _fit(self, *a, **k))[1])
    X = rng.normal(size=(60, 5))
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        pr = probe_features({"a": X}, (X[:, 0] > 0).astype(int))
        probe_features({"a": X}, X[:, 0] * 0.5, task="regression")
        assert _blas_threads() == before
    assert len(seen) == 2 and all(t == [1] * len(t) for t in seen), seen
    assert pr.test_score[0] > 0.8  # the probe itself still works
