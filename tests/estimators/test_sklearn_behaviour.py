"""Behaviour that a user's scikit-learn MLP code relies on, checked against scikit-learn itself.

Each test runs scikit-learn's estimator and ours on the same data and compares
what a user sees: the ``verbose`` lines, errors, dtypes, warnings.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from sklearn import neural_network as sk
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl
from hiddenlayers.exceptions import DivergedWarning

NON_FINITE = "Solver produced non-finite parameter weights. The input data may contain large values and need to be preprocessed."


def _lines(capsys: pytest.CaptureFixture[str], est, X, y) -> tuple[list[str], str]:  # type: ignore[no-untyped-def]
    """stdout lines of ``est.fit(X, y)`` with the numbers that float32 and shuffling change masked; and stderr."""
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    out = capsys.readouterr()
    masked = [re.sub(r"(loss = |Validation score: )\S+$", r"\1#", line) for line in out.out.splitlines()]
    return masked, out.err


VERBOSE_CASES = {
    "max_iter": ("MLPClassifier", {"max_iter": 3}),
    "validation_stop": ("MLPClassifier", {"early_stopping": True, "tol": 1.0, "n_iter_no_change": 2, "max_iter": 50}),
    "train_loss_stop": ("MLPRegressor", {"tol": 100.0, "n_iter_no_change": 2, "max_iter": 50}),
    "adaptive_sgd": ("MLPRegressor", {"solver": "sgd", "learning_rate": "adaptive", "tol": 100.0, "n_iter_no_change": 1, "max_iter": 60}),
}


@pytest.mark.parametrize("case", list(VERBOSE_CASES))
def test_verbose_prints_sklearns_lines(case: str, iris_raw, capsys) -> None:  # type: ignore[no-untyped-def]
    name, kw = VERBOSE_CASES[case]
    X, y = iris_raw
    y = y if name == "MLPClassifier" else y.astype(float)
    theirs, _ = _lines(capsys, getattr(sk, name)(hidden_layer_sizes=(8,), random_state=0, verbose=True, **kw), X, y)
    ours_est = getattr(hl, name)(hidden_layer_sizes=(8,), random_state=0, verbose=True, **kw)
    ours, err = _lines(capsys, ours_est, X, y)
    assert ours == theirs
    assert err == ""  # no progress bar unless asked for
    printed = [line for line in capsys.readouterr().out.splitlines()]
    assert printed == []
    assert theirs[0] == "Iteration 1, loss = #"


def test_verbose_loss_is_the_loss_curve(iris_raw, capsys) -> None:  # type: ignore[no-untyped-def]
    X, y = iris_raw
    clf = hl.MLPClassifier((8,), max_iter=4, random_state=0, verbose=True, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert out[0::2] == [f"Iteration {i + 1}, loss = {v:.8f}" for i, v in enumerate(clf.loss_curve_)]
    assert out[1::2] == [f"Validation score: {v:f}" for v in clf.validation_scores_]


def test_progress_bar_is_an_explicit_opt_in(iris_raw, capsys) -> None:  # type: ignore[no-untyped-def]
    X, y = iris_raw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hl.MLPClassifier((4,), max_iter=2, random_state=0, progress_bar=True).fit(X, y)
    out = capsys.readouterr()
    assert out.out == "" and "MLPClassifier stopped after epoch 2" in out.err
    assert hl.MLPClassifier().get_params()["progress_bar"] is False
    with pytest.raises(ValueError, match=r"progress_bar must be True or False \(the Rich progress bar on stderr\)\. Received: progress_bar='yes'\."):
        hl.MLPClassifier(progress_bar="yes").fit(X, y)


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_non_finite_weights_raise_sklearns_error(name: str, solver: str) -> None:
    X = np.full((10, 2), np.finfo(np.float64).max)
    y = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match=re.escape(NON_FINITE)):
        getattr(sk, name)(solver=solver, max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergedWarning)  # the error, not a warning first
        with pytest.raises(ValueError, match=re.escape(NON_FINITE)):
            getattr(hl, name)(solver=solver, max_iter=3, dtype="float64").fit(X, y)  # a network that holds X: scikit-learn's error
        with pytest.raises(ValueError, match=re.escape("X[0, 0] = 1.8e+308 is beyond float32's range (±3.4e38)")):
            getattr(hl, name)(solver=solver, max_iter=3).fit(X, y)  # float32, the default: X is refused first, by its cell


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_lbfgs_on_huge_inputs_stops_as_sklearns(name: str) -> None:
    # L-BFGS refuses the first step (ABNORMAL): both keep the initial, finite weights and raise nothing
    X = np.full((10, 2), np.finfo(np.float64).max)
    y = np.array([0, 1] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = getattr(sk, name)(solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
        ours = getattr(hl, name)(solver="lbfgs", max_iter=3, random_state=0, dtype="float64").fit(X, y)  # float32 refuses X (above)
    assert ours.n_iter_ == ref.n_iter_ == 0
    assert all(np.isfinite(c).all() for c in ours.coefs_ + ours.intercepts_)


def test_a_row_that_overflows_inside_a_float32_layer_norm_is_refused_not_answered_nan() -> None:
    """A row of 1e30 is within float32's range, so predict took it, but a layer norm squares its spread (1e60): the variance
    was inf and predict_proba answered NaN, silently (the .onnx export answers finite values). Now every answering method
    names the row in one line (NonFiniteOutputError, a DataError), as `hiddenlayers predict` and the server refuse a row
    whose output is not finite; other rows still answer, and a float64 network, in whose range the variance fits, answers
    that row."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = hl.MLPClassifier("8:tanh:norm=layer", max_iter=5, random_state=0).fit(X, y)
        reg = hl.MLPRegressor(hidden_layer_sizes="8:tanh:norm=layer", max_iter=5, random_state=0).fit(X, y.astype(float))
        wide = hl.MLPClassifier("8:tanh:norm=layer", max_iter=5, random_state=0, dtype="float64").fit(X, y)
    big = X[:4].copy()
    big[2, 1] = 1e30
    message = re.escape("X[2] gives a network output that is not finite, though its values are: they are so large that the network "
                        "overflows float32 inside (a layer norm's variance, say), so its answer would be NaN: rescale that row's values")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning first
        for call in (clf.predict, clf.predict_proba, clf.predict_log_proba, clf.predict_logits, clf.predict_with_proba, reg.predict,
                     lambda rows: clf.score(rows, y[:4])):
            with pytest.raises(hl.DataError, match=message):
                call(big)
    with pytest.raises(hl.NonFiniteOutputError) as caught:  # what `hiddenlayers predict` and the server refuse row by row
        clf.predict_with_proba(big)
    labels, P = caught.value.answer
    assert caught.value.rows.tolist() == [2] and np.isnan(P[2]).all() and np.isfinite(np.delete(P, 2, axis=0)).all()
    np.testing.assert_array_equal(np.delete(labels, 2), clf.predict(np.delete(big, 2, axis=0)))
    assert np.isfinite(clf.predict_proba(np.delete(big, 2, axis=0))).all()
    proba = wide.predict_proba(big)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(1), 1.0)


def test_finite_outputs_are_not_searched_row_by_row(monkeypatch: pytest.MonkeyPatch, iris_raw) -> None:  # type: ignore[no-untyped-def]
    """The serving case: a finite answer costs one isfinite pass, not the row search (flatnonzero, a reshape) that names a
    non-finite row (14-19 us against the pass's 3-4 us, timed on the loaded 2-core box); that search still runs when a row is not finite (above)."""
    from hiddenlayers.estimators import _predict

    X, y = iris_raw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)
    expected = clf.predict_proba(X[:2])

    def searched(out):  # type: ignore[no-untyped-def]
        raise AssertionError("searched the rows of a finite output")

    monkeypatch.setattr(_predict, "non_finite_rows", searched)
    np.testing.assert_array_equal(clf.predict_proba(X[:2]), expected)
    assert clf.predict(X[:1]).shape == (1,)


def test_divergence_after_a_good_epoch_restores_and_warns(iris_raw) -> None:  # type: ignore[no-untyped-def]
    # rate 0.1: at rate 1, epoch 1's one step (one batch of 150 rows) already sent the weights to 1e5 times the start's loss,
    # no usable epoch, which the fit refuses (test_fit_divergence)
    X, y = iris_raw
    reg = hl.MLPRegressor(activation="identity", solver="sgd", learning_rate_init=0.1, max_iter=20, random_state=0)
    with pytest.warns(DivergedWarning, match="training diverged at epoch 3: .*; restored the weights of epoch 1"):
        reg.fit(X, y.astype(float))
    assert reg.stop_reason_ == "diverged" and np.isfinite(reg.loss_curve_[0])
    assert all(np.isfinite(c).all() for c in reg.coefs_ + reg.intercepts_)


def test_diverging_early_stopping_fit_finishes(iris_raw) -> None:  # type: ignore[no-untyped-def]
    # scikit-learn issue #29504: scoring a diverged network's validation split must not raise
    X, y = iris_raw  # rate 0.1: at rate 1 epoch 1's weights had diverged already, and the untrained start is kept
    reg = hl.MLPRegressor(activation="identity", solver="sgd", learning_rate_init=0.1, early_stopping=True, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergedWarning)
        reg.fit(X, y.astype(float))
    assert np.isfinite(reg.validation_scores_[0]) and reg.best_validation_score_ == max(s for s in reg.validation_scores_ if np.isfinite(s))
    assert all(np.isfinite(c).all() for c in reg.coefs_ + reg.intercepts_)
    assert np.isfinite(reg.predict(X)).all()


def test_a_warm_fit_after_a_divergence_starts_the_moments_afresh(iris_raw) -> None:  # type: ignore[no-untyped-def]
    """A diverged fit keeps a good epoch's weights but not the diverged steps' moments (non-finite): a warm fit at a
    lower rate trains from those weights; before, it took the NaN momentum and diverged again in its first epoch.
    (At rate 1 the first epoch's weights were already 1e5 times the start's loss, now a divergence of their own: rate 0.01.)"""
    X, y = iris_raw
    reg = hl.MLPRegressor(activation="identity", solver="sgd", learning_rate_init=0.01, momentum=0.9,
                          early_stopping=True, max_iter=50, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergedWarning)
        reg.fit(X, y.astype(float))
    assert reg.stop_reason_ == "diverged"
    assert all(bool(torch.isfinite(v).all()) for v in reg._optimizer_state.values() if isinstance(v, torch.Tensor))
    reg.set_params(learning_rate_init=1e-5)  # small enough for the first epoch's large weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", DivergedWarning)
        reg.fit(X, y.astype(float))
    assert reg.stop_reason_ != "diverged" and reg.n_iter_ > 1


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_diverged_fit_takes_t_back_with_the_weights(iris_raw, early_stopping: bool) -> None:
    """A divergence restores the best epoch's weights, and t_ (the samples seen) now goes back with them, as after
    Ctrl-C; before, t_ counted the undone epochs, the diverged one included. The rate stays the diverged epoch's."""
    X, y = iris_raw
    reg = hl.MLPRegressor(activation="identity", solver="sgd", learning_rate_init=0.01, momentum=0.9, max_iter=50,
                          random_state=0, early_stopping=early_stopping)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergedWarning)
        reg.fit(X, y.astype(float))
    rows = 135 if early_stopping else 150  # a tenth held out for early stopping
    assert reg.stop_reason_ == "diverged" and len(reg.history_) > reg.history_.best_epoch + 1
    assert reg.t_ == reg.history_.best_epoch * rows
    assert reg._optimizer_state["lr"] == 0.01


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("learning_rate", ["constant", "plateau"])
def test_a_diverged_fit_takes_its_counts_back_with_the_weights(iris_raw, early_stopping: bool, learning_rate: str) -> None:
    """Epoch 1 is the best, epochs 2-5 are undone by the divergence at epoch 6 (its loss past 1e4 x the start's; NaN came
    at epoch 9 before that was a divergence too): the no-improvement count, plateau's
    stalled epochs and the best score now are those of a fit that stopped at epoch 1, whose weights the model holds.
    Before, the count said 7 (the undone epochs; with a NaN held-out score, 0) and plateau's stalled count 2. The rate
    stays where the undone epochs left it, and loss_curve_ keeps the epochs run."""
    X, y = iris_raw
    kw = dict(activation="identity", solver="sgd", learning_rate_init=0.01, momentum=0.9, random_state=0,
              early_stopping=early_stopping, learning_rate=learning_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergedWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = hl.MLPRegressor(max_iter=50, **kw).fit(X, y.astype(float))
        kept = hl.MLPRegressor(max_iter=1, **kw).fit(X, y.astype(float))
    assert reg.stop_reason_ == "diverged" and reg.history_.best_epoch == 1 and reg.n_iter_ == len(reg.loss_curve_) == 6
    for a, b in zip(reg.coefs_ + reg.intercepts_, kept.coefs_ + kept.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert reg._no_improvement_count == kept._no_improvement_count == 0
    assert reg._optimizer_state["stalled"] == kept._optimizer_state["stalled"] == 0
    assert (reg.best_loss_, reg.best_validation_score_) == (kept.best_loss_, kept.best_validation_score_)
    assert reg._optimizer_state["lr"] == 0.01  # (plateau's first cut would come after the epoch that now diverges)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_warm_fit_that_diverges_before_improving_goes_back_to_its_start_counts(iris_raw, early_stopping: bool) -> None:
    """A warm fit whose 5 epochs never beat the first fit's best, then diverge (past 1e4 x the start's loss), keeps the weights it began with, and now
    the count, plateau's stalled epochs, t_ and best score it began with (the carried ones: what the next call goes on
    from). Before, it carried on a count of 7 and 2 stalled epochs that described no weights it held."""
    X, y = iris_raw
    reg = hl.MLPRegressor(activation="identity", solver="sgd", learning_rate_init=0.01, momentum=0.9, random_state=0,
                          early_stopping=early_stopping, learning_rate="plateau", warm_start=True, max_iter=1)
    names = ("t_", "_no_improvement_count", "best_loss_", "best_validation_score_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergedWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y.astype(float))
        before, coefs, stalled = {k: getattr(reg, k) for k in names}, [c.copy() for c in reg.coefs_], reg._optimizer_state["stalled"]
        reg.set_params(max_iter=50).fit(X, y.astype(float))
    assert reg.stop_reason_ == "diverged" and reg.history_.best_epoch == 1 and reg.n_iter_ == 5
    assert all(np.array_equal(a, b) for a, b in zip(reg.coefs_, coefs))
    assert {k: getattr(reg, k) for k in names} == before and reg._optimizer_state["stalled"] == stalled == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_validation_score_is_the_kept_weights_after_a_divergence(iris_raw, seed: int) -> None:
    """The diverged epoch is scored too (its NaN outputs predict one class): with seed 1 that score, 0.47, beat the best
    epoch's 0.27. best_validation_score_ was the diverged epoch's; it is now the score of the weights kept, while
    validation_scores_ keeps every epoch's. At rate 1e30 epoch 1's weights had diverged too (the diverged epoch's first batch
    says so), so the untrained start is kept, whose score no epoch measured: -inf, as before any epoch."""
    X, y = iris_raw
    clf = hl.MLPClassifier((8,), solver="sgd", learning_rate_init=1e30, momentum=0.9, max_iter=30, random_state=seed, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergedWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        clf.fit(X, y)
    held = clf.history_.held_epoch
    assert clf.stop_reason_ == "diverged" and clf.history_.best_epoch == 1 and not held and len(clf.validation_scores_) == 2
    assert clf.best_validation_score_ == -np.inf


@pytest.mark.parametrize("net_dtype", ["float32", "float64"])
@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
def test_fitted_weights_and_predictions_take_the_inputs_dtype(iris_raw, x_dtype, net_dtype: str) -> None:  # type: ignore[no-untyped-def]
    X, y = iris_raw
    Xd = X.astype(x_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0, dtype=net_dtype).fit(Xd, y.astype(x_dtype))
        clf = hl.MLPClassifier((8,), max_iter=3, random_state=0, dtype=net_dtype).fit(Xd, y)
        ref = sk.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(Xd, y.astype(x_dtype))
    for est in (reg, clf, ref):
        assert {a.dtype for a in est.coefs_ + est.intercepts_} == {np.dtype(x_dtype)}
    assert reg.predict(Xd).dtype == ref.predict(Xd).dtype == x_dtype
    assert clf.predict_proba(Xd).dtype == x_dtype
    # sklearn promotes as X @ coefs_ does: mixing float32 and float64 gives float64
    other = np.float64 if x_dtype is np.float32 else np.float32
    assert reg.predict(X.astype(other)).dtype == ref.predict(X.astype(other)).dtype == np.float64


def test_dataframe_with_early_stopping_warns_nothing(iris_raw) -> None:  # type: ignore[no-untyped-def]
    pd = pytest.importorskip("pandas")
    X, y = iris_raw
    df = pd.DataFrame(X, columns=["sepal length", "sepal width", "petal length", "petal width"])
    ref = sk.MLPClassifier((8,), max_iter=3, early_stopping=True, random_state=0)
    ours = hl.MLPClassifier((8,), max_iter=3, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(df, y)
        ours.fit(df, y)
        ours.predict(df)
    np.testing.assert_array_equal(ours.feature_names_in_, ref.feature_names_in_)
    assert ours.feature_names_in_.dtype == ref.feature_names_in_.dtype == object
    with pytest.warns(UserWarning, match="X does not have valid feature names, but MLPClassifier was fitted with feature names"):
        ours.predict(X)


@pytest.mark.parametrize("rare", [True, False])
def test_one_member_class_error_names_it_as_sklearn_does(rare: bool) -> None:
    X = np.random.RandomState(0).randn(20, 3)
    y = np.array([rare] + [not rare] * 19)
    with pytest.raises(ValueError) as theirs:
        sk.MLPClassifier(early_stopping=True, max_iter=2).fit(X, y)
    with pytest.raises(ValueError) as ours:
        hl.MLPClassifier(early_stopping=True, max_iter=2).fit(X, y)
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value).endswith(f"Classes with too few members are: ['{rare}']")


def test_one_member_class_error_names_other_labels_as_given() -> None:
    X = np.random.RandomState(0).randn(20, 3)
    with pytest.raises(ValueError, match=re.escape("Classes with too few members are: ['cat']")):
        hl.MLPClassifier(early_stopping=True, max_iter=2).fit(X, np.array(["cat"] + ["dog"] * 19))


def test_model_file_keeps_the_fit_dtype(iris_raw, tmp_path) -> None:  # type: ignore[no-untyped-def]
    X, y = iris_raw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0, dtype="float64").fit(X.astype(np.float32), y.astype(np.float32))
    reg.save(tmp_path / "m.safetensors")
    again = hl.load(tmp_path / "m.safetensors")
    assert again.coefs_[0].dtype == np.float32 and again.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))


def _fitted_on(labels: np.ndarray) -> tuple[np.ndarray, hl.MLPClassifier]:
    X = np.random.default_rng(0).random((40, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return X, hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0, device="cpu").fit(X, labels)


@pytest.mark.parametrize(("fit_labels", "score_labels", "given", "fitted"), [
    (np.arange(40) % 3, (np.arange(40) % 3).astype(str), "str", "number"),
    (np.where(np.arange(40) % 2, "yes", "no"), np.arange(40) % 2, "number", "str"),
    (np.arange(40) % 2, list((np.arange(40) % 2).astype(str)), "str", "number"),
])
def test_score_with_labels_of_another_type_names_both_types(fit_labels, score_labels, given: str, fitted: str) -> None:  # type: ignore[no-untyped-def]
    """Strings scored against a model fitted on ints (or the reverse): one line naming both types and the
    conversion, the applications' message, where scikit-learn stops on "Mix of label input types"."""
    X, clf = _fitted_on(fit_labels)
    with pytest.raises(ValueError, match=f"y has {given} labels .* fitted on {fitted} labels .* y.astype") as info:
        clf.score(X, score_labels)
    assert "\n" not in str(info.value) and "Mix of label input types" not in str(info.value)


@pytest.mark.parametrize("labels", [np.arange(40) % 3, np.where(np.arange(40) % 2, "yes", "no"), np.arange(40) % 2 == 1])
def test_score_with_matching_labels_is_scikit_learns_accuracy(labels: np.ndarray) -> None:
    """Labels of the fitted type: accuracy_score of predict(X), with sample_weight, as ClassifierMixin.score."""
    from sklearn.metrics import accuracy_score

    X, clf = _fitted_on(labels)
    weights = np.random.default_rng(1).random(40)
    assert clf.score(X, labels) == accuracy_score(labels, clf.predict(X))
    assert clf.score(X, labels, sample_weight=weights) == accuracy_score(labels, clf.predict(X), sample_weight=weights)
    assert clf.score(X, list(labels)) == accuracy_score(labels, clf.predict(X))
