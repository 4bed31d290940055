"""Numeric parity with scikit-learn's MLP: same data, same ``random_state``, same numbers.

The docs promise scikit-learn's initial draws and its optimizer arithmetic. With
``shuffle=False`` (the batch order is the one thing drawn differently: README,
"Differences from scikit-learn") and ``dtype="float64"``, a fit must give
scikit-learn's weights, loss curve, validation scores and stopping epoch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import neural_network as sk
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl
from fit_helpers import linnerud_scaled


def _problem(kind: str, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3)
    score = X @ np.array([1.0, -2.0, 0.5])
    if kind == "binary":
        y = (score > 0).astype(int)
        y[:2] = [0, 1]  # both classes, at least twice, for a stratified split
        y[2:4] = [0, 1]
        return X, y
    if kind == "multiclass":
        return X, np.arange(n) % 3  # every class well represented
    return X, score + 0.1 * rng.randn(n)


def _both(name: str, X: np.ndarray, y: np.ndarray, **kw: object) -> tuple[object, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Got `batch_size` less than 1 or larger than sample size")
        theirs = getattr(sk, name)(random_state=kw.pop("random_state"), shuffle=False, **kw).fit(X, y)
        ours = getattr(hl, name)(random_state=theirs.random_state, shuffle=False, dtype="float64", **kw).fit(X, y)
    return theirs, ours


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["binary", "multiclass", "regression"]),
    seed=st.integers(0, 2**16),
    n=st.integers(20, 45),
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=2).map(tuple),
    activation=st.sampled_from(["relu", "tanh", "logistic", "identity"]),
    solver=st.sampled_from(["sgd", "adam"]),
    learning_rate=st.sampled_from(["constant", "invscaling", "adaptive"]),
    learning_rate_init=st.sampled_from([0.001, 0.01, 0.1]),
    power_t=st.sampled_from([0.25, 0.5]),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    nesterovs_momentum=st.booleans(),
    alpha=st.sampled_from([0.0, 1e-4, 0.1, 1.0]),
    batch_size=st.sampled_from(["auto", 7, 16]),
    betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9)]),
    early_stopping=st.booleans(),
    tol=st.sampled_from([1e-4, 1e-2, 0.1]),
    n_iter_no_change=st.integers(1, 3),
    max_iter=st.integers(1, 12),
)
def test_stochastic_fit_matches_sklearn(kind: str, seed: int, n: int, hidden: tuple[int, ...], activation: str, solver: str,
                                        learning_rate: str, learning_rate_init: float, power_t: float, momentum: float,
                                        nesterovs_momentum: bool, alpha: float, batch_size: object, betas: tuple[float, float],
                                        early_stopping: bool, tol: float, n_iter_no_change: int, max_iter: int) -> None:
    X, y = _problem(kind, seed, n)
    name = "MLPRegressor" if kind == "regression" else "MLPClassifier"
    theirs, ours = _both(
        name, X, y, random_state=seed, hidden_layer_sizes=hidden, activation=activation, solver=solver, learning_rate=learning_rate,
        learning_rate_init=learning_rate_init, power_t=power_t, momentum=momentum, nesterovs_momentum=nesterovs_momentum, alpha=alpha,
        batch_size=batch_size, beta_1=betas[0], beta_2=betas[1], early_stopping=early_stopping, validation_fraction=0.25, tol=tol,
        n_iter_no_change=n_iter_no_change, max_iter=max_iter,
    )
    # the loss as scikit-learn reports it: each batch's L2 penalty at the weights before its step
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9, atol=1e-12)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    if early_stopping:
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-9, atol=1e-12)
        assert ours.best_loss_ is None and theirs.best_loss_ is None
        assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-9, abs=1e-12)
    else:
        assert ours.validation_scores_ is None and theirs.validation_scores_ is None and ours.best_validation_score_ is None
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-9)
    for attr in ("n_layers_", "n_outputs_", "out_activation_", "n_features_in_"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    if kind != "regression":
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)


def test_loss_curve_counts_the_l2_penalty_before_each_step(iris_raw) -> None:  # type: ignore[no-untyped-def]
    # With several batches and a strong penalty the weights move within an epoch: the penalty of
    # the epoch's end weights (taken once per batch) was off scikit-learn's by 1e-4 here.
    X, y = iris_raw
    theirs, ours = _both("MLPClassifier", X, y, random_state=0, hidden_layer_sizes=(6,), solver="sgd", alpha=1.0, batch_size=30,
                         learning_rate_init=0.05, max_iter=5)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-12)


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_validation_fraction_zero_is_accepted_without_early_stopping(name: str) -> None:
    X, y = _problem("binary", 0, 30)
    kw = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0, validation_fraction=0)
    theirs, ours = _both(name, X, y, **kw)  # scikit-learn's constraint is [0, 1)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    with pytest.raises(ValueError):
        getattr(sk, name)(early_stopping=True, **kw).fit(X, y)
    with pytest.raises(ValueError, match=r"^validation_fraction=0 holds out no rows, but early_stopping=True .* or early_stopping=False\.$"):
        getattr(hl, name)(early_stopping=True, **kw).fit(X, y)


def test_max_iter_true_is_one_clear_error() -> None:
    X, y = _problem("binary", 0, 20)
    with pytest.raises(ValueError, match=r"^max_iter must be an integer >= 1\. Received: max_iter=True\.$"):
        hl.MLPClassifier(max_iter=True).fit(X, y)


@pytest.mark.parametrize(
    "kw",
    [
        {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.1, "tol": 10.0, "n_iter_no_change": 1},
        {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.1, "power_t": 0.3},
        {"solver": "adam", "tol": 10.0, "n_iter_no_change": 1, "alpha": 0.5, "batch_size": 9},
    ],
    ids=["adaptive", "invscaling", "adam"],
)
def test_partial_fit_matches_sklearn(kw: dict) -> None:
    # scikit-learn counts the calls without tol progress across partial_fit: 'adaptive' divides the rate by 5
    # after n_iter_no_change of them (the rate stayed at learning_rate_init before)
    X, y = _problem("binary", 3, 40)
    theirs = sk.MLPClassifier(hidden_layer_sizes=(5,), shuffle=False, random_state=1, **kw)
    ours = hl.MLPClassifier(hidden_layer_sizes=(5,), shuffle=False, random_state=1, dtype="float64", **kw)
    for _ in range(6):
        theirs.partial_fit(X, y, classes=[0, 1])
        ours.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    if kw["solver"] == "sgd":
        assert ours._optimizer_state["lr"] == pytest.approx(theirs._optimizer.learning_rate, rel=1e-12)
    assert ours.t_ == theirs.t_ and ours.n_iter_ == theirs.n_iter_ == 1


@pytest.mark.parametrize("early_stopping", [False, True])
def test_warm_fit_carries_the_no_improvement_count(early_stopping: bool) -> None:
    # a warm fit of a model that stopped for lack of progress stops after one more such epoch, as sklearn's
    # (the count started over before: n_iter_no_change + 1 more epochs)
    X, y = _problem("binary", 5, 60)
    kw = dict(hidden_layer_sizes=(5,), tol=10.0, n_iter_no_change=3, max_iter=50, warm_start=True, early_stopping=early_stopping)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = sk.MLPClassifier(random_state=1, **kw)
        ours = hl.MLPClassifier(random_state=1, **kw)
        for _ in range(3):
            theirs.fit(X, y)
            ours.fit(X, y)
            assert ours.n_iter_ == theirs.n_iter_
    assert ours.n_iter_ == 1 and len(ours.loss_curve_) == 5 + 1 + 1  # 1 improvement on inf, n_iter_no_change + 1 stalls; then 1, 1


def test_head_first_second_phase_has_its_own_patience() -> None:
    X, y = _problem("binary", 5, 60)
    clf = hl.MLPClassifier((5,), freeze="head_first", tol=10.0, n_iter_no_change=2, max_iter=50, random_state=0)
    clf.fit(X, y)
    # phase 1: an improvement on inf, then n_iter_no_change + 1 epochs without progress; phase 2 (best loss carried): those alone
    assert len(clf.loss_curve_) == 4 + 3


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("limits", [{"max_iter": 12}, {"max_iter": 300, "max_fun": 14}], ids=["max_iter", "max_fun"])
def test_lbfgs_fit_matches_sklearn(kind: str, limits: dict) -> None:
    # Early iterations match to rounding; near a flat region the last-digit differences of the
    # matmuls can send L-BFGS's line search elsewhere (seen after 17 iterations here), so short runs
    X, y = _problem(kind, 11, 40)
    name = "MLPRegressor" if kind == "regression" else "MLPClassifier"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = getattr(sk, name)(hidden_layer_sizes=(5,), solver="lbfgs", alpha=0.01, random_state=2, **limits).fit(X, y)
        ours = getattr(hl, name)(hidden_layer_sizes=(5,), solver="lbfgs", alpha=0.01, random_state=2, dtype="float64", **limits).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_several_outputs_record_sklearns_loss_and_stop_at_its_epoch(solver: str) -> None:
    # scikit-learn's squared loss is ½·mean over rows AND outputs (the L2 term not divided by them), while both step along
    # the sum's gradient; ours recorded ½·Σ over the outputs, so tol judged a number ~3 times larger: 32 epochs against
    # sklearn's 21 (adam), 25 against 20 (sgd)
    X, Y = linnerud_scaled()
    theirs, ours = _both("MLPRegressor", X, Y, random_state=0, hidden_layer_sizes=(8,), solver=solver, tol=1e-2, max_iter=300,
                         learning_rate_init=0.01, batch_size=7, alpha=0.01)
    assert ours.n_iter_ == theirs.n_iter_ < 300 and ours.t_ == theirs.t_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9) and ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-9)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_several_outputs_partial_fit_records_sklearns_loss() -> None:
    X, Y = linnerud_scaled()
    kw = dict(hidden_layer_sizes=(6,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.05, tol=1e-2, n_iter_no_change=1,
              batch_size=8, shuffle=False, random_state=3)
    theirs, ours = sk.MLPRegressor(**kw), hl.MLPRegressor(dtype="float64", **kw)
    for _ in range(6):  # 'adaptive' cuts the rate after calls without tol progress, as judged on the recorded loss
        theirs.partial_fit(X, Y)
        ours.partial_fit(X, Y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert ours._optimizer_state["lr"] == pytest.approx(theirs._optimizer.learning_rate, rel=1e-12)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_several_outputs_lbfgs_follows_sklearns_iterates() -> None:
    # scikit-learn hands SciPy the recorded loss (the mean over outputs) with the sum's gradient; so do we: with the sum's
    # value (a consistent pair) the line search took other steps, 0.13 off sklearn's weights after 40 iterations
    X, Y = linnerud_scaled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = sk.MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=40, random_state=0).fit(X, Y)
        ours = hl.MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=40, random_state=0, dtype="float64").fit(X, Y)
    assert ours.n_iter_ == theirs.n_iter_ == 40
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


_WIDTHS = st.one_of(
    st.integers(1, 6), st.integers(1, 6).map(np.int64), st.integers(1, 6).map(float), st.integers(1, 6).map(np.float32),
    st.floats(0.5, 6.5).filter(lambda f: not f.is_integer()), st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(widths=st.lists(_WIDTHS, min_size=1, max_size=2), form=st.sampled_from(["tuple", "list", "array", "scalar"]))
def test_hidden_layer_sizes_accepts_what_scikit_learn_accepts(widths: list, form: str) -> None:
    """Ints and NumPy ints are widths; floats (even 5.0) and bools are a TypeError in both, ours one line naming the fix."""
    value = {"tuple": tuple(widths), "list": list(widths), "array": np.array(widths), "scalar": widths[0]}[form]
    X, y = _problem("binary", 0, 20)
    outcomes = []
    for est in (sk.MLPClassifier(hidden_layer_sizes=value, max_iter=1), hl.MLPClassifier(hidden_layer_sizes=value, max_iter=1, device="cpu")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                est.fit(X, y)
                outcomes.append(None)
            except (TypeError, ValueError) as exc:  # scikit-learn's InvalidParameterError is both
                outcomes.append(exc)
    theirs, ours = outcomes
    assert (theirs is None) == (ours is None), (value, theirs, ours)
    if ours is not None:
        assert isinstance(ours, hl.SpecError) and "\n" not in str(ours)
        assert isinstance(ours, TypeError) or not isinstance(theirs, TypeError), (theirs, ours)  # the same class as theirs
        assert str(ours).startswith("hidden_layer_sizes must be an int or a sequence of ints") or "units=0" in str(ours)  # np.array([1, False])


@pytest.mark.parametrize("sizes", ["256:gelu,128", ("16:tanh", 8), [{"units": 4.0}], '[{"units": 4}]', np.array([5, 3])])
def test_hidden_layer_sizes_specs_beyond_scikit_learn_still_work(sizes: object) -> None:
    """Text specs, JSON and layer dicts (the project's extension) are not held to the int-only rule."""
    X, y = _problem("binary", 0, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert hl.MLPClassifier(hidden_layer_sizes=sizes, max_iter=1, device="cpu").fit(X, y).n_layers_ >= 3
