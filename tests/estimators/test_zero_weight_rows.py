"""A row of sample_weight 0 is as if absent (scikit-learn's sample-weight equivalence): batch norm's statistics, the
early-stopping split, batch_size="auto", the batches and t_ no longer see it (estimators/_zero_weight)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl


def _fit(est: Any, X: Any, y: np.ndarray, w: np.ndarray | None = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, sample_weight=w)


def _weights(n: int) -> np.ndarray:
    """Weights 0.5-2 with a quarter of the rows 0 (spread through the data, so every batch holds some)."""
    rng = np.random.RandomState(1)
    w = rng.uniform(0.5, 2.0, n)
    w[rng.rand(n) < 0.25] = 0.0
    return w


def _same(a: Any, b: Any, X: np.ndarray) -> None:
    for c, d in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(c, d, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-5, atol=1e-6)
    assert a.loss_curve_ == pytest.approx(b.loss_curve_, rel=1e-5) and a.t_ == b.t_ and a.n_iter_ == b.n_iter_


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_a_zero_weight_row_is_as_if_absent_with_batch_norm(solver: str, early_stopping: bool) -> None:
    """Batch norm's batch (and running) statistics took the weight-0 rows in, the early-stopping split held them out in
    place of others, and t_ counted them: the fit differed from the fit on the other rows. It is now that fit."""
    if solver == "lbfgs" and early_stopping:
        pytest.skip("L-BFGS holds out no rows")
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    w = _weights(len(y))
    kw: dict[str, Any] = dict(hidden_layer_sizes="16:batchnorm,8", solver=solver, max_iter=8, random_state=0,
                              early_stopping=early_stopping, n_iter_no_change=100)
    a = _fit(hl.MLPClassifier(**kw), X, y, w)
    b = _fit(hl.MLPClassifier(**kw), X[w > 0], y[w > 0], w[w > 0])
    _same(a, b, X)
    for k, v in a.network_.state_dict().items():  # running statistics included
        np.testing.assert_allclose(v.numpy(), b.network_.state_dict()[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_partial_fit_and_sparse_input_drop_the_rows_too() -> None:
    X, y = load_diabetes(return_X_y=True)
    w = _weights(len(y))
    kw: dict[str, Any] = dict(hidden_layer_sizes="8:batchnorm", random_state=0, batch_size=32)
    a = hl.MLPRegressor(**kw).partial_fit(X, y, sample_weight=w)
    b = hl.MLPRegressor(**kw).partial_fit(X[w > 0], y[w > 0], sample_weight=w[w > 0])
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-5, atol=1e-4)
    assert a.t_ == b.t_ == int((w > 0).sum())
    c = _fit(hl.MLPRegressor(max_iter=3, **kw), sp.csr_matrix(X), y, w)
    d = _fit(hl.MLPRegressor(max_iter=3, **kw), sp.csr_matrix(X[w > 0]), y[w > 0], w[w > 0])
    np.testing.assert_allclose(c.predict(X), d.predict(X), rtol=1e-5, atol=1e-4)


class _CtrlCOnce(hl.Callback):
    """Ctrl-C at the first batch of the first run it sees, then never again."""

    def __init__(self) -> None:
        self.done = False

    def on_batch_end(self, **kwargs: Any) -> None:
        if not self.done:
            self.done = True
            raise KeyboardInterrupt


class _StopAfterEpoch(hl.Callback):
    def on_epoch_end(self, *, state: Any, **kwargs: Any) -> None:
        state.stop_training = True


@pytest.mark.parametrize("before", ["interrupted", "callback"])
def test_a_zero_weight_partial_fit_says_partial_fit_in_stop_reason_and_history_alike(before: str) -> None:
    """A partial_fit chunk whose every weight is 0 (a no-op) set stop_reason_ to "partial_fit" but left history_.stop_reason
    (and its message) at the previous call's, "interrupted" or "callback": the two disagreed, where the training guide says
    stop_reason_ is always history_.stop_reason. The call ran to its end without a step: both say "partial_fit" now,
    and the weights, t_ and history's epochs are left as they were."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    cb = _CtrlCOnce() if before == "interrupted" else _StopAfterEpoch()
    est = hl.MLPClassifier(hidden_layer_sizes=(4,), batch_size=10, random_state=0, callbacks=[cb])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y, classes=[0, 1])
        est.partial_fit(X, y)  # an epoch trained (the Ctrl-C was the first call's)
        if isinstance(cb, _CtrlCOnce):
            cb.done = False
            est.partial_fit(X, y)
    assert est.stop_reason_ == est.history_.stop_reason == before
    coefs, t, epochs = [c.copy() for c in est.coefs_], est.t_, list(est.history_.epoch)
    est.partial_fit(X, y, sample_weight=np.zeros(40))
    assert est.stop_reason_ == est.history_.stop_reason == "partial_fit"
    assert est.history_.stop_message == hl.training.STOP_REASONS["partial_fit"]
    assert est.t_ == t and list(est.history_.epoch) == epochs and all(np.array_equal(a, b) for a, b in zip(est.coefs_, coefs))


@given(fraction=st.floats(0.01, 0.95), n=st.integers(1, 400))
@settings(max_examples=200, deadline=None)
def test_the_weighted_split_refusal_names_the_least_rows_that_split(fraction: float, n: int) -> None:
    """The rows the refusal asks for are the fewest whose split (scikit-learn's sizes) holds out 2 and trains on 1."""
    from sklearn.model_selection import train_test_split

    from hiddenlayers.estimators._fit import _check_weighted_split

    def fits(m: int) -> bool:
        try:
            train, held = train_test_split(np.arange(m), test_size=fraction, random_state=0)
        except ValueError:  # its own refusal of a split that leaves no training row
            return False
        return len(train) >= 1 and len(held) >= 2

    if fits(n):
        _check_weighted_split(n, fraction)
        return
    with pytest.raises(ValueError, match=r"needs at least (\d+) rows") as err:
        _check_weighted_split(n, fraction)
    need = int(err.value.args[0].split("needs at least ")[1].split()[0])
    assert fits(need) and not fits(need - 1) and need > n


@pytest.mark.parametrize("est", [hl.MLPClassifier, hl.MLPRegressor])
def test_early_stopping_on_too_few_weighted_rows_is_refused_in_our_words(est: Any) -> None:
    """Two weighted rows of 150 with early_stopping: scikit-learn's 'The validation set is too small' (one row:
    'With n_samples=1 ... the resulting train set will be empty') named neither the weights nor a fix that works."""
    X, y = load_breast_cancer(return_X_y=True)
    w = np.zeros(len(y))
    w[[0, 20]] = 1.0
    model = est(hidden_layer_sizes=(4,), max_iter=2, random_state=0, early_stopping=True, validation_fraction=0.2)
    with pytest.raises(ValueError) as err:
        model.fit(X, y, sample_weight=w)
    assert str(err.value) == ("early_stopping=True holds out validation_fraction=0.2 of the rows to score each epoch and needs at least "
                              "6 rows for it (2 held out, 1 to train on), and 2 row(s) have sample_weight > 0 (rows of weight 0 are "
                              "as if absent): give at least 6 rows a weight > 0, or pass early_stopping=False.")
    w[[1, 21, 40, 41]] = 1.0  # 6 rows: fits (either class)
    _fit(model, X, y, w)
