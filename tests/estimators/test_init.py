"""Initial weights: scikit-learn's exact draws by default, seeded He/Glorot with init='auto'."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLP

import hiddenlayers as hl


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
def test_default_init_is_sklearns(activation: str) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 4)), rng.integers(0, 3, 40)
    kw = dict(hidden_layer_sizes=(5, 3), activation=activation, max_iter=1, random_state=7, shuffle=False, learning_rate_init=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = SkMLP(**kw).fit(X, y)
        ours = hl.MLPClassifier(**kw, dtype="float64").fit(X, y)
    for a, b in zip(sk.coefs_ + sk.intercepts_, ours.coefs_ + ours.intercepts_):
        np.testing.assert_allclose(a, b, atol=1e-9)  # one step of lr 1e-12 apart


def test_auto_init_is_seeded_and_scaled() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 30)), rng.integers(0, 2, 40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = hl.MLPClassifier((200,), init="auto", max_iter=1, random_state=3, learning_rate_init=1e-12).fit(X, y)
        b = hl.MLPClassifier((200,), init="auto", max_iter=1, random_state=3, learning_rate_init=1e-12).fit(X, y)
    for u, v in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(u, v)
    w = a.coefs_[0]
    # He-uniform for ReLU: U(-sqrt(6/fan_in), sqrt(6/fan_in)), std = sqrt(2/fan_in)
    assert np.abs(w).max() <= np.sqrt(6 / 30) + 1e-6
    assert w.std() == pytest.approx(np.sqrt(2 / 30), rel=0.1)


def test_float64_model_starts_from_sklearns_exact_draws() -> None:
    """dtype='float64' starts from the float64 draws themselves, not their float32 rounding (2.5e-8 off before)."""
    from hiddenlayers.training import Callback

    class FirstWeights(Callback):
        weights: list[np.ndarray] = []

        def on_train_begin(self, network, **kwargs) -> None:  # type: ignore[no-untyped-def]
            self.weights = [lin.weight.detach().numpy().T.copy() for lin in network.linears()]

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 4)), rng.integers(0, 3, 40)
    grab = FirstWeights()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hl.MLPClassifier((5, 3), max_iter=1, random_state=7, dtype="float64", callbacks=[grab]).fit(X, y)
    from sklearn.neural_network import MLPRegressor

    sk = MLPRegressor(hidden_layer_sizes=(5, 3))  # the classifier's _initialize needs its fitted binarizer; the draws are the same
    sk._random_state = np.random.RandomState(7)
    sk._initialize(np.zeros((40, 3)), [4, 5, 3, 3], np.dtype(np.float64))
    assert grab.weights[0].dtype == np.float64
    for ours, theirs in zip(grab.weights, sk.coefs_):
        np.testing.assert_array_equal(ours, theirs)
