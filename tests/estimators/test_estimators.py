"""MLPClassifier / MLPRegressor: every optimizer and schedule learns, real-data accuracy, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl
from fit_helpers import noisy_digits
from fit_helpers import quiet_fit as _quiet_fit
from hiddenlayers.training._optim import Adam

SOLVERS = [
    ("sgd", {"nesterovs_momentum": True, "learning_rate_init": 0.05}),
    ("sgd", {"nesterovs_momentum": False, "learning_rate_init": 0.05}),
    ("sgd", {"momentum": 0.0, "learning_rate_init": 0.1}),
    ("adam", {"learning_rate_init": 0.01}),
    ("adamw", {"learning_rate_init": 0.01, "alpha": 0.01}),
    ("rmsprop", {"learning_rate_init": 0.01}),
    ("lbfgs", {}),
]


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive", "cosine", "plateau"])
@pytest.mark.parametrize("solver, extra", SOLVERS, ids=lambda v: v if isinstance(v, str) else "-".join(f"{k}={x}" for k, x in v.items()))
def test_every_optimizer_and_schedule_learns_and_round_trips(
    iris: tuple[np.ndarray, np.ndarray], solver: str, extra: dict, schedule: str, tmp_path: Path
) -> None:
    X, y = iris
    clf = _quiet_fit(hl.MLPClassifier((16,), solver=solver, learning_rate=schedule, max_iter=12, random_state=0, **extra), X, y)
    assert len(clf.loss_curve_) >= 2
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert np.all(np.isfinite(clf.loss_curve_))
    assert clf.n_iter_ == len(clf.loss_curve_)
    path = tmp_path / "m.safetensors"
    clf.save(path)
    again = hl.load(path)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_regressor_learns_and_round_trips(solver: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) + 0.1 * rng.normal(size=200)
    reg = _quiet_fit(hl.MLPRegressor(hidden_layer_sizes=(32,), solver=solver, max_iter=60, learning_rate_init=0.01, random_state=0), X, y)
    assert reg.loss_curve_[-1] < reg.loss_curve_[0] / 5
    assert reg.score(X, y) > 0.9
    reg.save(tmp_path / "r.safetensors")
    np.testing.assert_array_equal(hl.load(tmp_path / "r.safetensors").predict(X), reg.predict(X))


def test_schedules_change_the_learning_rate(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    lr = {}
    for schedule in ("constant", "invscaling", "cosine"):
        clf = _quiet_fit(hl.MLPClassifier((8,), solver="sgd", learning_rate=schedule, learning_rate_init=0.1, max_iter=10, random_state=0), X, y)
        lr[schedule] = clf.history_.lr
    # history_.lr is the rate used during each epoch
    assert lr["constant"] == [0.1] * 10
    # scikit-learn's invscaling: lr0 / (samples seen + 1) ** power_t, updated after each epoch
    assert lr["invscaling"][0] == 0.1
    assert lr["invscaling"][1] == pytest.approx(0.1 / (150 + 1) ** 0.5)
    assert lr["invscaling"][2] == pytest.approx(0.1 / (300 + 1) ** 0.5)
    # cosine: lr0 · (1 + cos(π · epochs done / max_iter)) / 2
    assert lr["cosine"][5] == pytest.approx(0.05) and lr["cosine"][9] == pytest.approx(0.05 * (1 + np.cos(0.9 * np.pi)))
    # adaptive divides by 5 where training would stop for lack of progress
    clf = _quiet_fit(
        hl.MLPClassifier((8,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, max_iter=60, n_iter_no_change=2, tol=10.0, random_state=0), X, y
    )
    assert min(clf.history_.lr) < 0.1 / 5 + 1e-12
    assert sorted(set(clf.history_.lr), reverse=True)[:2] == pytest.approx([0.1, 0.02])


def test_fitted_attributes_like_sklearn(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _quiet_fit(hl.MLPClassifier((7, 5), max_iter=5, random_state=0), X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert clf.n_features_in_ == 4 and list(clf.classes_) == [0, 1, 2]
    assert clf.t_ == 5 * 150 and clf.n_iter_ == 5
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.stop_reason_ == "max_epochs" and clf.history_.stop_reason == "max_epochs"
    assert clf.transform(X, layer=1).shape == (150, 7)
    assert clf.transform(X).shape == (150, 5)
    np.testing.assert_allclose(clf.transform(X, layer=1), np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0), rtol=1e-5, atol=1e-5)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-6)
    with pytest.raises(ValueError, match=r"^layer must be 1\.\.2 \(or -1\.\.-2 from the end\)\. Received: layer=3\.$"):
        clf.transform(X, layer=3)


def test_binary_and_poisson(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _quiet_fit(hl.MLPClassifier((8,), max_iter=30, learning_rate_init=0.01, random_state=0), X, y == 2)
    assert clf.out_activation_ == "logistic" and clf.predict_proba(X).shape == (150, 2)
    assert clf.predict(X).dtype == bool
    rng = np.random.default_rng(0)
    Xp = rng.normal(size=(300, 3))
    yp = rng.poisson(np.exp(0.5 * Xp[:, 0]))
    reg = _quiet_fit(hl.MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=40, learning_rate_init=0.01, random_state=0), Xp, yp)
    assert reg.out_activation_ == "exp" and np.all(reg.predict(Xp) > 0)
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


def test_random_state_reproducible(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    a = _quiet_fit(hl.MLPClassifier((8,), max_iter=5, random_state=3), X, y)
    b = _quiet_fit(hl.MLPClassifier((8,), max_iter=5, random_state=3), X, y)
    c = _quiet_fit(hl.MLPClassifier((8,), max_iter=5, random_state=4), X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ == b.loss_curve_ and a.loss_curve_ != c.loss_curve_


def test_per_layer_spec_and_float64(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _quiet_fit(hl.MLPClassifier("16:tanh:layernorm,8:gelu:dropout=0.1", max_iter=10, dtype="float64", random_state=0), X, y)
    assert clf.network_.activation_names() == ["tanh", "gelu"]
    assert clf.coefs_[0].dtype == np.float64
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    p1, p2 = clf.predict_proba(X), clf.predict_proba(X)
    np.testing.assert_array_equal(p1, p2)  # dropout is off at predict time


# ---------------------------------------------------------------- real data
def test_digits_accuracy() -> None:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    clf = _quiet_fit(hl.MLPClassifier((64,), max_iter=60, learning_rate_init=0.003, random_state=0), Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.97


def test_breast_cancer_accuracy() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    clf = _quiet_fit(hl.MLPClassifier((32,), max_iter=200, random_state=0), scaler.transform(Xtr), ytr)
    assert clf.score(scaler.transform(Xte), yte) >= 0.96


@pytest.mark.parametrize(
    "settings",
    [
        {"hidden_layer_sizes": (16,), "max_iter": 500, "alpha": 1.0, "random_state": 0},
        {"hidden_layer_sizes": (16,), "solver": "lbfgs", "max_iter": 200, "alpha": 10.0, "random_state": 0},
    ],
    ids=["adam", "lbfgs"],
)
def test_diabetes_r2_no_worse_than_sklearn(settings: dict) -> None:
    from sklearn.neural_network import MLPRegressor as SkMLPRegressor

    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    sx = StandardScaler().fit(Xtr)
    ym, ys = ytr.mean(), ytr.std()
    ours = _quiet_fit(hl.MLPRegressor(**settings), sx.transform(Xtr), (ytr - ym) / ys)
    theirs = _quiet_fit(SkMLPRegressor(**settings), sx.transform(Xtr), (ytr - ym) / ys)
    r2_ours = ours.score(sx.transform(Xte), (yte - ym) / ys)
    r2_theirs = theirs.score(sx.transform(Xte), (yte - ym) / ys)
    assert r2_ours >= r2_theirs - 0.01, (r2_ours, r2_theirs)
    assert r2_ours > 0.3


@pytest.mark.parametrize("solver, units", [("lbfgs", 3), ("adam", 4)])
def test_xor_with_a_tiny_hidden_layer(solver: str, units: int) -> None:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 4, dtype=float)
    y = np.array([0, 1, 1, 0] * 4)
    kw = {"max_iter": 500} if solver == "lbfgs" else {"max_iter": 1000, "learning_rate_init": 0.05, "n_iter_no_change": 1000}
    clf = _quiet_fit(hl.MLPClassifier((units,), activation="tanh", solver=solver, alpha=0.0, random_state=1, **kw), X, y)
    np.testing.assert_array_equal(clf.predict(X), y)


# ---------------------------------------------------------------- bad input
NAN_MSG = "Input X contains NaN."


@pytest.mark.parametrize("est", [hl.MLPClassifier(max_iter=2), hl.MLPRegressor(max_iter=2)], ids=["clf", "reg"])
def test_non_finite_input(est, iris) -> None:  # type: ignore[no-untyped-def]
    X, y = iris
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^Input X contains NaN\."):
        est.fit(Xn, y)
    Xn[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"^Input X contains infinity or a value too large for dtype\('float64'\)\. 1 of 150 row\(s\) hold an infinite value \(first: row 3, column 1\): "):
        est.fit(Xn, y)
    yn = y.astype(float)
    yn[0] = np.nan
    with pytest.raises(ValueError, match=r"^Input y contains NaN\. 1 of 150 target value\(s\) are missing \(first: row 0\): drop those rows"):
        est.fit(X, yn)
    yn[0] = np.inf
    with pytest.raises(ValueError, match=r"^Input y contains infinity or a value too large for dtype\('float64'\)\. 1 of 150 target value\(s\) are infinite \(first: row 0\)"):
        est.fit(X, yn)
    _quiet_fit(est, X, y)
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^Input X contains NaN\."):
        est.predict(Xn)


def test_wrong_feature_count_empty_and_one_sample(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _quiet_fit(hl.MLPClassifier((4,), max_iter=2), X, y)
    with pytest.raises(ValueError, match=r"^X has 3 features, but MLPClassifier is expecting 4 features as input\.$"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match=r"^Found array with 0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 is required by MLPClassifier\.$"):
        clf.predict(X[:0])
    with pytest.raises(ValueError, match=r"^Found array with 0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 is required by MLPClassifier\.$"):
        hl.MLPClassifier().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match=r"^Found array with 0 feature\(s\) \(shape=\(150, 0\)\) while a minimum of 1 is required by MLPRegressor\.$"):
        hl.MLPRegressor().fit(X[:, :0], y)
    # one sample fits (like scikit-learn) and predicts its label
    one = _quiet_fit(hl.MLPClassifier((4,), max_iter=3), X[:1], y[:1])
    assert list(one.predict(X[:2])) == [0, 0]
    reg = _quiet_fit(hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=3), X[:1], [2.0])
    assert reg.predict(X[:1]).shape == (1,)
    with pytest.raises(ValueError, match=r"^The validation set is too small\. Increase 'validation_fraction' or the size of your dataset\.$"):
        hl.MLPClassifier(early_stopping=True).fit(X[:5], y[:5])


@pytest.mark.parametrize(("n_per_class", "fraction", "fix"), [
    (4, 0.1, "raise validation_fraction to at least 0.25, use more rows"),  # 1 held out of 8
    (2, 0.1, "raise validation_fraction to at least 0.5, use more rows"),  # 1 held out of 4
    (4, 0.9, "lower validation_fraction to at most 0.75, use more rows"),  # 8 held out of 8: none to train on
    (2, 0.6, "lower validation_fraction to at most 0.5, use more rows"),  # 3 held out of 4, 1 to train on
])
def test_a_binary_early_stopping_split_with_fewer_rows_than_classes_names_validation_fraction(n_per_class: int, fraction: float, fix: str) -> None:
    """scikit-learn's "The test_size = 1 should be greater or equal to the number of classes = 2" named train_test_split's
    test_size, which no parameter here is (and `hiddenlayers train --test-size` is another split): the user changed the wrong one.
    Only a binary classifier's split is stratified (scikit-learn's rule: one output), so two classes; from 4 rows a share fits."""
    X, y = load_breast_cancer(return_X_y=True)
    idx = np.r_[np.flatnonzero(y == 0)[:n_per_class], np.flatnonzero(y == 1)[:n_per_class]]
    model = hl.MLPClassifier((4,), max_iter=2, random_state=0, early_stopping=True, validation_fraction=fraction)
    n = 2 * n_per_class
    held = math.ceil(fraction * n)
    with pytest.raises(ValueError) as err:
        model.fit(X[idx], y[idx])
    assert str(err.value) == (f"early_stopping=True holds out validation_fraction={fraction:g} of the {n} rows ({held} held out, {n - held} to "
                              f"train on), and its split by class needs at least one row of each of the 2 classes on each side: {fix}, or pass "
                              "early_stopping=False.")
    assert not hasattr(model, "coefs_")
    if fix != "use more rows":  # the share it names fits
        share = float(fix.split(" ")[5].rstrip(","))
        _quiet_fit(model.set_params(validation_fraction=share), X[idx], y[idx])
        assert len(model.validation_scores_) == 2


def test_string_features_and_bad_labels(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    with pytest.raises(ValueError, match=r"^X has non-numeric values \(could not convert string to float: 'a'\): encode text or category columns as numbers first, e\.g\. make_pipeline\(hl\.TableEncoder\(\), MLPClassifier\(\.\.\.\)\) \(what hiddenlayers train does\) or sklearn's OneHotEncoder\.$"):
        hl.MLPClassifier().fit(np.array([["a", "b"], ["c", "d"]]), [0, 1])
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    frame = pd.DataFrame({"size": X[:, 0], "colour": np.array(["red", "green", "blue"])[y]})
    with pytest.raises(hl.DataError, match=r"in column 'colour'\): .* e\.g\. make_pipeline\(hl\.TableEncoder\(\), MLPRegressor\(\.\.\.\)\)"):
        hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(frame, X[:, 1])
    fixed = _quiet_fit(make_pipeline(hl.TableEncoder(), hl.MLPClassifier((4,), max_iter=2, random_state=0)), frame, y)  # the fix it names fits
    assert fixed.predict(frame.iloc[:3]).shape == (3,)
    with pytest.raises(ValueError, match=r"^Unknown label type: 'continuous'\. MLPClassifier needs class labels \(integers, strings or booleans\); for real-valued targets use MLPRegressor\.$"):
        hl.MLPClassifier().fit(X, y + 0.5)
    with pytest.raises(hl.DataError, match=r"^y has non-numeric values \(could not convert string to float: 'x'\): MLPRegressor needs numeric targets; for class labels use MLPClassifier\.$"):
        hl.MLPRegressor().fit(X[:3], ["x", "y", "z"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alpha": -1}, "alpha must be a number >= 0. Received: alpha=-1."),
        ({"solver": "foo"}, "solver must be one of sgd, adam, adamw, rmsprop, lbfgs. Received: solver='foo'."),
        ({"learning_rate": "x"}, "learning_rate must be one of constant, invscaling, adaptive, cosine, plateau. Received: learning_rate='x'."),
        ({"learning_rate": 0.01}, "learning_rate must be one of constant, invscaling, adaptive, cosine, plateau. Received: learning_rate=0.01. "
                                  "A number is the step size: pass learning_rate_init=0.01 (learning_rate names the schedule, as in scikit-learn's MLP)."),
        ({"batch_size": 0}, "batch_size must be 'auto' or an integer >= 1. Received: batch_size=0."),
        ({"max_iter": 0}, "max_iter must be an integer >= 1. Received: max_iter=0."),
        ({"learning_rate_init": 0}, "learning_rate_init must be a number > 0. Received: learning_rate_init=0."),
        ({"momentum": 2}, "momentum must be a number in [0, 1]. Received: momentum=2."),
        ({"validation_fraction": 1.0}, "validation_fraction must be a number in [0, 1). Received: validation_fraction=1.0."),
        ({"beta_1": 1}, "beta_1 must be a number in [0, 1). Received: beta_1=1."),
        ({"n_iter_no_change": 0}, "n_iter_no_change must be an integer >= 1 or numpy.inf. Received: n_iter_no_change=0."),
        ({"loss_threshold": -1}, "loss_threshold must be None or a number >= 0. Received: loss_threshold=-1."),
        ({"max_time": 0}, "max_time must be None or a number of seconds > 0. Received: max_time=0."),
        ({"dtype": "float16"}, "dtype must be 'float32' or 'float64'. Received: dtype='float16'."),
        ({"device": "gpu7"}, "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Received: device='gpu7'."),
        ({"hidden_layer_sizes": "12:foo=1"}, "unknown option 'foo' in layer '12:foo=1': use activation, dropout or norm; expected UNITS[:ACTIVATION][:dropout=P][:norm=batch|layer], e.g. '128' or '256:gelu:dropout=0.1'."),
        ({"hidden_layer_sizes": (0,)}, "dense layer units must be a positive integer. Received: units=0."),
    ],
)
def test_bad_parameters(iris: tuple[np.ndarray, np.ndarray], params: dict, message: str) -> None:
    X, y = iris
    with pytest.raises(ValueError) as info:
        hl.MLPClassifier(**params).fit(X, y)
    assert str(info.value) == message


def test_bad_activation_and_regressor_loss(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    with pytest.raises(hl.SpecError, match=r"^unknown activation 'rleu': use one of .*Did you mean 'relu'\?$"):
        hl.MLPClassifier(activation="rleu").fit(X, y)
    with pytest.raises(ValueError, match=r"^loss must be 'squared_error' or 'poisson'\. Received: loss='huber'\.$"):
        hl.MLPRegressor(loss="huber").fit(X, y)
    with pytest.raises(ValueError, match=r"^loss='poisson' needs y >= 0 \(counts or rates\)\. Received negative targets\.$"):
        hl.MLPRegressor(loss="poisson").fit(X, y - 1.0)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "score"])
def test_not_fitted(iris: tuple[np.ndarray, np.ndarray], method: str) -> None:
    X, y = iris
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(hl.NotFittedError) as info:
        getattr(hl.MLPClassifier(), method)(*args)
    assert isinstance(info.value, SklearnNotFittedError)
    assert str(info.value) == "This MLPClassifier instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
    with pytest.raises(hl.NotFittedError):
        hl.MLPRegressor().coefs_  # noqa: B018
    with pytest.raises(hl.NotFittedError):
        hl.MLPRegressor().save("never.safetensors")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_random_state_repeats_dropout_without_touching_global_rng() -> None:
    """Dropout masks come from random_state; torch's global generator is left as it was."""
    import torch

    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 6))
    y = (X[:, 0] > 0).astype(int)
    kw = dict(hidden_layer_sizes="16:dropout=0.5", max_iter=5, random_state=3)
    torch.manual_seed(123)
    a = hl.MLPClassifier(**kw).fit(X, y)
    after_a = torch.rand(1)
    torch.manual_seed(999)
    b = hl.MLPClassifier(**kw).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), after_a)  # the fit did not consume or reset the global stream


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0"])
def test_a_bad_random_state_is_one_value_error_naming_it(bad) -> None:  # type: ignore[no-untyped-def]
    """scikit-learn's own "Seed must be between 0 and 2**32 - 1" named no parameter."""
    with pytest.raises(ValueError, match=rf"^random_state must be None, an int in \[0, 2\*\*32 - 1\] or a np.random.RandomState .*Received: random_state={bad!r}\.$"):
        hl.MLPRegressor(random_state=bad).fit([[0.0], [1.0]], [0.0, 1.0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_torch_threads_do_not_change_a_fit() -> None:
    """The reproducibility guide's claim: torch.set_num_threads(1) or (2) gives the same weights and curve."""
    import torch

    X, y = load_digits(return_X_y=True)
    kw = dict(hidden_layer_sizes="64:dropout=0.2,32", max_iter=3, early_stopping=True, random_state=0)
    fits = []
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            fits.append(hl.MLPClassifier(**kw).fit(X / 16, y))
    finally:
        torch.set_num_threads(before)
    assert all(np.array_equal(a, b) for a, b in zip(fits[0].coefs_, fits[1].coefs_))
    assert fits[0].loss_curve_ == fits[1].loss_curve_


@pytest.mark.parametrize("weighted", [False, True])
def test_l2_folded_into_fused_adam_gives_the_same_fit(monkeypatch, weighted: bool) -> None:  # type: ignore[no-untyped-def]
    """On the CPU, Adam adds alpha's gradient inside its fused pass; the fit must equal the engine adding it
    (alpha over the batch's row count, or over its weight sum with sample_weight)."""
    X, y = load_digits(return_X_y=True)
    w = np.random.default_rng(1).uniform(0.2, 3.0, len(y)) if weighted else None
    kw = dict(hidden_layer_sizes=(32, 16), alpha=0.5, max_iter=5, batch_size=100, random_state=0, dtype="float64")
    folded = _quiet_fit(hl.MLPClassifier(**kw), X / 16, y, sample_weight=w)
    monkeypatch.setattr(Adam, "folds_l2", property(lambda self: False))
    plain = _quiet_fit(hl.MLPClassifier(**kw), X / 16, y, sample_weight=w)
    np.testing.assert_allclose(folded.loss_curve_, plain.loss_curve_, rtol=1e-12)
    for a, b in zip(folded.coefs_ + folded.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    # and alpha matters at all here, so the comparison above can fail
    none = _quiet_fit(hl.MLPClassifier(**{**kw, "alpha": 0.0}), X / 16, y, sample_weight=w)
    assert abs(none.coefs_[0] - plain.coefs_[0]).max() > 1e-3


@pytest.mark.parametrize("weighted", [False, True])
def test_numpy_engine_batches_equal_autograd_batches(weighted: bool) -> None:
    """The NumPy engine gathers each shuffled batch into a kept buffer; autograd slices the permuted
    tensors. Same permutation, same batches (the last one short), so the same fit in float64."""
    X, y = load_digits(return_X_y=True)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y)) if weighted else None
    kw = dict(hidden_layer_sizes=(24,), alpha=0.01, max_iter=3, batch_size=128, random_state=0, dtype="float64")
    dense = _quiet_fit(hl.MLPClassifier(engine="dense", **kw), X / 16, y, sample_weight=w)
    auto = _quiet_fit(hl.MLPClassifier(engine="autograd", **kw), X / 16, y, sample_weight=w)
    np.testing.assert_allclose(dense.loss_curve_, auto.loss_curve_, rtol=1e-10)
    for a, b in zip(dense.coefs_, auto.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_gce_loss_learns_through_wrong_labels_where_cross_entropy_memorises_them(tmp_path: Path) -> None:
    Xtr, Xte, noisy, yte = noisy_digits(0.4)  # 40% of the training labels moved to another class; the test labels are clean
    kw = dict(hidden_layer_sizes=(64,), max_iter=100, batch_size=64, learning_rate_init=3e-3, random_state=0)
    ce = _quiet_fit(hl.MLPClassifier(**kw), Xtr, noisy)
    gce = _quiet_fit(hl.MLPClassifier(loss="gce", **kw), Xtr, noisy)
    assert gce.score(Xte, yte) >= 0.88 and gce.score(Xte, yte) >= ce.score(Xte, yte) + 0.05  # seen: 0.926 against 0.824
    path = tmp_path / "gce.safetensors"
    gce.save(path)
    back = hl.MLPClassifier.load(path)
    assert (back.loss, back.gce_q) == ("gce", 0.7)
    np.testing.assert_allclose(back.predict_proba(Xte), gce.predict_proba(Xte))


def test_gce_loss_fits_a_binary_target_with_each_engine_and_lbfgs() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    dense = _quiet_fit(hl.MLPClassifier((16,), max_iter=60, learning_rate_init=0.01, random_state=0, loss="gce", gce_q=0.3, engine="dense"), X, y)
    auto = _quiet_fit(hl.MLPClassifier((16,), max_iter=60, learning_rate_init=0.01, random_state=0, loss="gce", gce_q=0.3, engine="autograd"), X, y)
    np.testing.assert_allclose(dense.loss_curve_, auto.loss_curve_, rtol=1e-4)
    assert dense.score(X, y) >= 0.95
    assert _quiet_fit(hl.MLPClassifier((16,), max_iter=30, random_state=0, loss="gce", solver="lbfgs"), X, y).score(X, y) >= 0.95


@pytest.mark.parametrize(("params", "match"), [({"loss": "mse"}, "loss must be 'log_loss' or 'gce'"),
                                               ({"loss": "gce", "gce_q": 0.0}, r"gce_q must be a number in \(0, 1\]")])
def test_bad_loss_parameters_are_refused_by_fit(params: dict, match: str) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        hl.MLPClassifier(**params).fit(X[:50], y[:50])


def test_plateau_cuts_the_rate_when_the_loss_creeps_down_by_less_than_tol() -> None:
    """'plateau' counted an epoch as stalled only when the loss did not fall at all, while the n_iter_no_change rule
    counts the epochs that fall by less than tol: a loss creeping down never cut the rate before that rule stopped the
    fit (at default settings on digits, wine and breast cancer the rate stayed at learning_rate_init throughout).
    It now counts the rule's epochs: a tenth after n_iter_no_change // 2 epochs without progress by tol."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    clf = _quiet_fit(hl.MLPClassifier(hidden_layer_sizes=(8,), learning_rate="plateau", tol=0.05, n_iter_no_change=4,
                                      max_iter=30, random_state=0), X / 8, y)
    curve = clf.loss_curve_
    assert all(b < a for a, b in zip(curve, curve[1:]))  # the loss falls every epoch, by less than tol after the first
    rates, lr, best, stalled = [], 0.001, math.inf, 0
    for loss in curve:  # patience 4 // 2 = 2 epochs without progress by tol
        rates.append(lr)
        stalled = 0 if loss <= best - 0.05 else stalled + 1
        best = min(best, loss)
        if stalled >= 2:
            lr, stalled = lr / 10, 0
    assert clf.history_.lr == pytest.approx(rates, rel=1e-12)
    assert min(clf.history_.lr) < 0.001 and clf.stop_reason_ == "no_improvement_train_loss"
