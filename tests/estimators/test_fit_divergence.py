"""The estimators on a diverging fit: a loss that explodes while finite is a divergence too, and a fit with no usable
epoch raises instead of returning a model that predicts garbage (training/_divergence)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl
from hiddenlayers.training import DIVERGENCE_FACTOR


@pytest.mark.parametrize(("solver", "lr"), [("rmsprop", 1e6), ("sgd", 10.0)])
def test_a_first_epoch_that_explodes_raises_and_leaves_the_model_unfitted(solver: str, lr: float) -> None:
    """RMSprop at 1e6 on diabetes reached a loss of 3e30 and stopped on 'no improvement' (predictions ~1e15, NumPy's
    overflow warnings, no DivergedWarning); SGD at 10 restored epoch 1 (loss 3e15), which predicted a constant 1e9. With
    no usable epoch the fit now raises, as scikit-learn's does on non-finite weights, and says what the loss did."""
    X, y = datasets.load_diabetes(return_X_y=True)
    est = hl.MLPRegressor(solver=solver, learning_rate_init=lr, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning, no DivergedWarning before the error
        with pytest.raises(ValueError, match=rf"^training diverged in its first epoch: the loss grew to \S+, more than 10000 times "
                                             rf"its start \(1\.5e\+04\), and no epoch is usable\. Lower learning_rate_init \(now {lr}\)"):
            est.fit(X, y)
    assert not hasattr(est, "network_")


def test_with_early_stopping_an_exploding_fit_keeps_the_initial_weights_and_warns() -> None:
    """scikit-learn's early stopping keeps the initial weights when no epoch is good; so do we, with one DivergedWarning."""
    X, y = datasets.load_diabetes(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = hl.MLPRegressor(solver="rmsprop", learning_rate_init=1e6, early_stopping=True, random_state=0).fit(X, y)
    assert [w.category for w in caught] == [hl.DivergedWarning]
    assert "the loss grew to" in str(caught[0].message) and "restored the weights of the start of this run" in str(caught[0].message)
    assert est.stop_reason_ == "diverged" and np.abs(est.predict(X)).max() < 10  # the untrained network's outputs, not 1e15


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "wine", "diabetes", "iris"])
def test_no_default_fit_of_a_bundled_dataset_counts_as_diverged(name: str) -> None:
    """Default settings, every stochastic solver: no DivergedWarning or RuntimeWarning, and the loss stays far below the
    rule's line (the highest seen, SGD on raw wine: 18 x its start in epoch 3, then down; the line is 10,000 x)."""
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    cls = hl.MLPRegressor if name == "diabetes" else hl.MLPClassifier
    for solver in ("sgd", "adam", "adamw", "rmsprop"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = cls(solver=solver, max_iter=15, random_state=0).fit(X, y)
        assert est.stop_reason_ != "diverged"
        assert max(est.loss_curve_) < DIVERGENCE_FACTOR / 100 * est.history_.start_loss, (solver, max(est.loss_curve_))
        assert math.isfinite(est.history_.start_loss)


def _warnings_of(fit) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit()
    return seen


def test_lbfgs_shows_no_numpy_overflow_warning() -> None:
    """L-BFGS's line search tried points whose Poisson loss overflowed: NumPy's 'overflow encountered in exp' and
    'invalid value encountered in matmul' reached the user (the other solvers' were silenced by the loop's own message).
    Now none does; the fit still ends on a finite iterate."""
    X, y = datasets.load_diabetes(return_X_y=True)
    est = hl.MLPRegressor(loss="poisson", hidden_layer_sizes=(16,), solver="lbfgs", max_iter=30, random_state=0)
    seen = _warnings_of(lambda: est.fit(X * 1e3, y * 1e6))
    assert not [w for w in seen if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in seen]
    assert all(np.isfinite(c).all() for c in est.coefs_) and np.isfinite(est.loss_)


def test_lbfgs_that_overflows_from_its_start_says_so_in_one_warning() -> None:
    """Unscaled huge inputs and targets: every point L-BFGS tried overflowed, and the user saw NumPy's RuntimeWarnings
    then 'ABNORMAL'. Now one ConvergenceWarning says the loss overflowed and what to scale."""
    X, y = datasets.load_diabetes(return_X_y=True)
    est = hl.MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=30, random_state=0, dtype="float64")
    seen = _warnings_of(lambda: est.fit(X * 1e150, y * 1e150))
    assert [w.category for w in seen] == [ConvergenceWarning], [str(w.message) for w in seen]
    assert str(seen[0].message).startswith("lbfgs failed to converge after 0 iteration(s): the loss overflowed (became inf or NaN) at ")
    assert str(seen[0].message).endswith("Scale the inputs (and a regression's targets: scale_target=True).")


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_an_l2_penalty_large_from_the_start_is_no_divergence(solver: str) -> None:
    # The penalty is alpha·|W|²/(2·Σw), as scikit-learn's: with a total weight of 1.23e-32 it is ~1e28 at the first
    # step. The start loss left it out, so the first epoch read as a 1e28-fold explosion (hypothesis found the weights).
    X = np.random.RandomState(0).rand(30, 3)
    y = (X[:, 0] > 0.5).astype(int)
    sw = np.zeros(30)
    sw[-1] = 1.23e-32
    est = hl.MLPClassifier((4,), solver=solver, max_iter=1, random_state=0)  # SGD's second step truly explodes (rate·alpha/Σw ~ 1e25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, sample_weight=sw)
    assert est.history_.start_loss > 1e20 and est.stop_reason_ != "diverged"


def test_a_diverged_partial_fit_says_so_in_stop_reason_as_in_its_history() -> None:
    """A partial_fit that diverges keeps the last good weights; stop_reason_ says "diverged" as history_.stop_reason does, so a
    loop of partial_fit calls can read it after each (before, stop_reason_ said "partial_fit" whatever ended the call)."""
    X, y = datasets.load_diabetes(return_X_y=True)
    est = hl.MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e-3, random_state=0)
    for _ in range(3):
        est.partial_fit(X, y)
    assert est.stop_reason_ == est.history_.stop_reason == "partial_fit"
    est.set_params(learning_rate_init=10.0)
    with pytest.warns(hl.DivergedWarning):
        est.partial_fit(X, y)
    assert est.stop_reason_ == est.history_.stop_reason == "diverged"
    assert np.isfinite(est.predict(X)).all()


def _iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = datasets.load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


@pytest.mark.parametrize("cls", [hl.MLPClassifier, hl.MLPRegressor])
def test_an_explosion_in_epoch_1s_one_step_is_no_usable_epoch(cls: type) -> None:
    """150 rows: one batch per epoch, so epoch 1's loss (0.98) is the untrained network's and its one step at rate 1e3
    exploded. The loop restored "epoch 1", whose weights gave epoch 2's loss (1.4e4; a regressor's 8e19) and warned as if
    they were good; now those weights are judged by epoch 2's first batch, and a fresh fit with nothing before them raises."""
    X, y = _iris()
    target = y if cls is hl.MLPClassifier else X[:, 0] * 100
    est = cls(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e3, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DivergedWarning before the error
        with pytest.raises(ValueError, match=r"^training diverged at epoch 2: the loss grew to \S+, more than 10000 times its start \(\S+\), and no "
                                             r"earlier epoch is usable \(the weights epoch 1 ended with had already diverged\)\. Lower learning_rate_init"):
            est.fit(X, target)
    assert not hasattr(est, "network_")


class _Explode(hl.Callback):
    """At the end of epoch ``at`` the weights are multiplied by 1e6, as if that epoch's last step had exploded; keeps a
    copy of every epoch's weights (before the explosion)."""

    def __init__(self, at: int) -> None:
        self.at, self.kept = at, {}

    def on_epoch_end(self, *, network, logs, **kwargs) -> None:
        self.kept[logs["epoch"]] = [p.detach().clone() for p in network.parameters()]
        if logs["epoch"] == self.at:
            with torch.no_grad():
                for p in network.parameters():
                    p.mul_(1e6)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_best_epoch_whose_weights_diverged_falls_back_to_the_best_before(early_stopping: bool) -> None:
    """Epoch 3 improved, then its weights exploded; epoch 4 diverged. The loop restored epoch 3's (exploded) weights;
    now the epoch before is kept, with its best loss, and the warning names it."""
    X, y = _iris()
    boom = _Explode(3)
    est = hl.MLPClassifier((8,), solver="sgd", learning_rate_init=0.1, max_iter=20, random_state=0, callbacks=[boom],
                           early_stopping=early_stopping)
    with pytest.warns(hl.DivergedWarning, match=r"^training diverged at epoch 4: .*; restored the weights of epoch 2\. "):
        est.fit(X, y)
    assert est.stop_reason_ == "diverged" and est.history_.held_epoch == 2
    assert all(torch.equal(a, b) for a, b in zip(boom.kept[2], est.network_.parameters()))
    if not early_stopping:
        assert est.best_loss_ == est.loss_curve_[1]
