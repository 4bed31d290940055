"""Anything that works with scikit-learn's MLP works with ours."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_iris, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import hiddenlayers as hl
from fit_helpers import quiet_fit as _fit

# Our default dtype is float32; these two checks compare weighted fits with
# repeated-row fits at rtol=1e-7, below float32 resolution (the fits differ in
# the last bit: e.g. 0.0937657423 vs 0.0937657541). scikit-learn's own MLP
# computes in float64 here. The same checks pass with dtype="float64"
# (test_sample_weight_equivalence_in_float64 below).
FLOAT32_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": "float32 rounding is above the check's rtol=1e-7; passes in float64",
    "check_sample_weight_equivalence_on_sparse_data": "float32 rounding is above the check's rtol=1e-7; passes in float64",
}


@pytest.mark.parametrize("est", [hl.MLPClassifier(max_iter=20, random_state=0), hl.MLPRegressor(max_iter=20, random_state=0)], ids=["clf", "reg"])
def test_check_estimator(est) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(est, expected_failed_checks=FLOAT32_XFAIL, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) > 40


@pytest.mark.parametrize("est", [hl.MLPClassifier(max_iter=20, random_state=0, dtype="float64"), hl.MLPRegressor(max_iter=20, random_state=0, dtype="float64")], ids=["clf", "reg"])
def test_sample_weight_equivalence_in_float64(est) -> None:  # type: ignore[no-untyped-def]
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data, check_sample_weight_equivalence_on_sparse_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_sample_weight_equivalence_on_dense_data(type(est).__name__, est)
        check_sample_weight_equivalence_on_sparse_data(type(est).__name__, est)


def test_pipeline_grid_search_cross_val(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), hl.MLPClassifier(max_iter=30, learning_rate_init=0.01, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), "16:tanh"], "mlpclassifier__alpha": [1e-4, 1e-2]}, cv=3)
        grid.fit(X, y)
        scores = cross_val_score(pipe, X, y, cv=3)
    assert grid.best_score_ > 0.8
    assert set(grid.cv_results_["param_mlpclassifier__hidden_layer_sizes"]) == {(4,), "16:tanh"}
    assert scores.shape == (3,) and scores.mean() > 0.8


def test_clone_and_pickle(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = hl.MLPClassifier("8:tanh", max_iter=5, random_state=0, loss_threshold=0.01)
    c2 = clone(clf)
    assert c2.get_params() == clf.get_params() and c2 is not clf
    _fit(clf, X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert again.loss_curve_ == clf.loss_curve_
    assert not hasattr(clone(clf), "network_")


@pytest.mark.parametrize("cls", [hl.MLPClassifier, hl.MLPRegressor], ids=["clf", "reg"])
def test_pickles_name_the_estimators_module_they_always_named(cls) -> None:  # type: ignore[no-untyped-def]
    """A pickle (joblib) records the class by module and name: both stay ``hiddenlayers.estimators._mlp``'s, so old pickles load."""
    import pickletools

    assert (cls.__module__, cls.__qualname__) == ("hiddenlayers.estimators._mlp", cls.__name__)
    ops = [arg for op, arg, _ in pickletools.genops(pickle.dumps(cls(max_iter=1))) if isinstance(arg, str)]
    assert "hiddenlayers.estimators._mlp" in ops and cls.__name__ in ops


def test_partial_fit_with_classes(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = hl.MLPClassifier((8,), random_state=0, learning_rate_init=0.01)
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit."):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert list(clf.classes_) == [0, 1, 2] and clf.n_iter_ == 1
    for _ in range(40):
        clf.partial_fit(X, y)
    assert clf.stop_reason_ == "partial_fit"
    assert len(clf.loss_curve_) == 41 and clf.loss_curve_[-1] < clf.loss_curve_[1]
    assert clf.score(X, y) > 0.8
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        clf.partial_fit(X[:2], [5, 6])
    assert not hasattr(hl.MLPClassifier(solver="lbfgs"), "partial_fit")
    reg = hl.MLPRegressor(hidden_layer_sizes=(4,), random_state=0)
    reg.partial_fit(X, y.astype(float))
    reg.partial_fit(X, y.astype(float))
    assert len(reg.loss_curve_) == 2


def test_warm_start_continues(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = hl.MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0)
    _fit(clf, X, y)
    first = list(clf.loss_curve_)
    coefs = clf.coefs_[0].copy()
    _fit(clf, X, y)
    assert len(clf.loss_curve_) == 10 and clf.loss_curve_[:5] == first
    assert clf.n_iter_ == 5 and clf.t_ == 10 * 150
    assert not np.array_equal(clf.coefs_[0], coefs)
    cold = hl.MLPClassifier((8,), max_iter=5, random_state=0)
    _fit(cold, X, y)
    _fit(cold, X, y)
    assert len(cold.loss_curve_) == 5 and cold.loss_curve_ == first
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same classes as in the previous call to fit"):
        clf.fit(X[y < 2], y[y < 2])


def test_multilabel_classification() -> None:
    X, Y = make_multilabel_classification(n_samples=120, n_features=8, n_classes=4, random_state=0)
    clf = _fit(hl.MLPClassifier((32,), max_iter=200, learning_rate_init=0.01, random_state=0), X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == (120, 4) and set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.predict_proba(X).shape == (120, 4)
    assert clf.score(X, Y) > 0.5  # subset accuracy


def test_multi_output_regression() -> None:
    X, Y = make_regression(n_samples=150, n_features=6, n_targets=3, noise=1.0, random_state=0)
    Y = Y / Y.std(0)
    reg = _fit(hl.MLPRegressor(hidden_layer_sizes=(32,), max_iter=200, learning_rate_init=0.01, random_state=0), X, Y)
    assert reg.predict(X).shape == (150, 3) and reg.n_outputs_ == 3
    assert reg.score(X, Y) > 0.9


def test_sparse_input_matches_dense(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    dense = _fit(hl.MLPClassifier((8,), max_iter=5, random_state=0, dtype="float64"), X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        sparse = _fit(hl.MLPClassifier((8,), max_iter=5, random_state=0, dtype="float64"), fmt(X), y)
        np.testing.assert_allclose(sparse.predict_proba(fmt(X)), dense.predict_proba(X), rtol=1e-9)
        np.testing.assert_allclose(sparse.transform(fmt(X)), dense.transform(X), rtol=1e-9)


def test_sample_weight(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    w = np.where(y == 0, 0.0, 1.0)
    kw = dict(max_iter=5, random_state=0, batch_size=150, shuffle=False, dtype="float64")
    a = _fit(hl.MLPClassifier((8,), alpha=0.0, **kw), X, y, sample_weight=w)
    b = _fit(hl.MLPClassifier((8,), alpha=0.0, **kw), X, y, sample_weight=2 * w)
    # without the L2 term (scaled by 1 / sum of weights, as in sklearn) only relative weights matter
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-9)
    # unit weights are the same as no weights
    d = _fit(hl.MLPClassifier((8,), alpha=0.0, **{**kw, "batch_size": 100}), X[y > 0], y[y > 0])
    e = _fit(hl.MLPClassifier((8,), alpha=0.0, **{**kw, "batch_size": 100}), X[y > 0], y[y > 0], sample_weight=np.ones(100))
    np.testing.assert_allclose(d.predict_proba(X), e.predict_proba(X), rtol=1e-9)
    c = _fit(hl.MLPClassifier((8,), alpha=0.0, **kw), X, y)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\), expected \(150,\)!"):
        hl.MLPClassifier().fit(X, y, sample_weight=[1, 2, 3])


def test_convergence_warning(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"^Stochastic Optimizer: Maximum iterations \(3\) reached and the optimization hasn't converged yet\.$"):
        hl.MLPClassifier((4,), max_iter=3).fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"^lbfgs failed to converge after 2 iteration\(s\)"):
        hl.MLPClassifier((4,), solver="lbfgs", max_iter=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = hl.MLPClassifier((4,), max_iter=500, tol=10.0).fit(X, y)  # stops early: no warning
    assert clf.stop_reason_ == "no_improvement_train_loss"


def test_feature_names_like_sklearn(iris: tuple[np.ndarray, np.ndarray]) -> None:
    import pandas as pd
    from sklearn.neural_network import MLPClassifier as SkMLP

    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    ours = _fit(hl.MLPClassifier((4,), max_iter=2), df, y)
    theirs = _fit(SkMLP((4,), max_iter=2), df, y)
    np.testing.assert_array_equal(ours.feature_names_in_, theirs.feature_names_in_)
    assert ours.feature_names_in_.dtype == object
    ours.predict(df)
    with pytest.raises(ValueError, match="The feature names should match those that were passed during fit."):
        ours.predict(df[["b", "a", "c", "d"]])
    for est in (ours, theirs):
        with pytest.warns(UserWarning, match="X does not have valid feature names, but .* was fitted with feature names"):
            est.predict(X)
    plain = _fit(hl.MLPClassifier((4,), max_iter=2), X, y)
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but MLPClassifier was fitted without feature names"):
        plain.predict(df)


def test_same_params_as_sklearn() -> None:
    import inspect

    from sklearn.neural_network import MLPClassifier as SkC
    from sklearn.neural_network import MLPRegressor as SkR

    for ours, theirs in ((hl.MLPClassifier, SkC), (hl.MLPRegressor, SkR)):
        sk = inspect.signature(theirs).parameters
        mine = inspect.signature(ours).parameters
        assert list(mine)[: len(sk)] == list(sk)
        assert {k: p.default for k, p in sk.items()} == {k: mine[k].default for k in sk}


_ESTIMATOR_NAMES = ["MLPClassifier", "MLPRegressor"]
_APP_NAMES = ["ImageClassifier", "SequenceClassifier", "TextClassifier", "Translator", "Forecaster", "Autoencoder", "Recommender", "DQNAgent"]


@pytest.mark.parametrize("name", _ESTIMATOR_NAMES + _APP_NAMES)
def test_every_estimator_and_app_clones_and_sets_params_like_sklearn(name: str) -> None:
    cls = getattr(hl, name) if name in _ESTIMATOR_NAMES else getattr(hl.apps, name)
    est = cls(random_state=7)
    params = est.get_params(deep=True)
    assert params == est.get_params(deep=False) and params["random_state"] == 7  # stored unchanged, nothing nested
    twin = clone(est)  # sklearn's clone also checks the constructor stored every argument as given
    assert twin is not est and twin.get_params(deep=False) == params
    assert twin.set_params(random_state=3) is twin and twin.get_params()["random_state"] == 3
    twin.set_params(**params)
    assert twin.get_params() == params
    with pytest.raises(ValueError, match=rf"Invalid parameter 'no_such_param' for estimator {name}\("):
        twin.set_params(no_such_param=1)


def test_the_estimators_module_keeps_no_private_sklearn_constraint_import() -> None:
    """``_mlp`` imported scikit-learn's private ``Interval``/``StrOptions`` unused (``noqa: F401``); the constraints are ``_params``'."""
    import hiddenlayers.estimators._mlp as mlp

    assert not hasattr(mlp, "Interval") and not hasattr(mlp, "StrOptions")


def test_pipeline_set_output_pandas_works_as_with_sklearns_mlp() -> None:
    # transform() makes our estimators transformers: Pipeline.set_output(transform="pandas") called set_output on
    # them and failed ("`set_output` is not available") where scikit-learn's MLP (no transform) just works
    import pandas as pd
    from sklearn import config_context

    X, y = load_iris(return_X_y=True, as_frame=True)
    pipe = make_pipeline(StandardScaler(), hl.MLPClassifier(hidden_layer_sizes=(5, 3), max_iter=50, learning_rate_init=0.05, random_state=0)).set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y)
    assert pipe.score(X, y) > 0.5
    clf, Xs = pipe[-1], pipe[0].transform(X.iloc[10:20])
    out = clf.transform(Xs)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["hidden2_0", "hidden2_1", "hidden2_2"]
    assert list(out.index) == list(range(10, 20))  # the input's index, as scikit-learn's transformers keep it
    assert list(clf.transform(Xs, layer=1).columns) == [f"hidden1_{j}" for j in range(5)]
    assert list(clf.get_feature_names_out()) == list(out.columns)
    np.testing.assert_array_equal(out.to_numpy(), clf.set_output(transform="default").transform(Xs))
    assert isinstance(clone(clf.set_output(transform="pandas")).fit(X, y).transform(X), pd.DataFrame)  # clone keeps it
    with config_context(transform_output="pandas"):
        assert isinstance(hl.MLPRegressor(hidden_layer_sizes=(2,), max_iter=2).fit(X, y).transform(X), pd.DataFrame)
    with pytest.raises(ValueError, match=r"transform must be one of \['default', 'pandas', 'polars'\] or None. Received: transform='xml'"):
        clf.set_output(transform="xml")
