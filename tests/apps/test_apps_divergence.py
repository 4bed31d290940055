"""Every application's training loop keeps training's divergence rule (``training/_divergence``).

An epoch's mean loss that is NaN/inf or above 1e4 x the first batch's stops the fit with the estimators'
``DivergedWarning`` and the last usable weights; a fresh fit whose first epoch diverges has no usable
weights and raises one ``ValueError`` naming what the loss did and the fix, leaving the model as it was.
The Recommender's and the Translator's loops are their own (as DANN's in ``training``); the image,
sequence and squared-error apps go through ``training.train``, whose first-epoch fall-back was an
untrained network saved as if fitted.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_wine

from hiddenlayers.apps import Autoencoder, Forecaster, ImageClassifier, Recommender, SequenceClassifier, Translator
from hiddenlayers.exceptions import DivergedWarning

SOURCES = ["a b c", "b c d", "c d e", "d e f"] * 10
TARGETS = ["x y", "y z", "z w", "w v"] * 10
FIRST_EPOCH = "training diverged in its first epoch"


def _ratings() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    pairs = np.stack([rng.integers(0, 20, 300), rng.integers(0, 30, 300)], axis=1)
    return pairs, rng.integers(1, 6, 300).astype(float)


def _translator(**kw: object) -> Translator:
    return Translator(hidden_size=8, embed_dim=8, max_iter=3, random_state=0, early_stopping=False, **kw)  # type: ignore[arg-type]


def test_translator_stops_a_finite_explosion_with_the_estimators_warning() -> None:
    # one batch of 40 pairs: epoch 1 is the start's loss; its step at rate 1e5 sends epoch 2 to ~1e10 (finite)
    with pytest.warns(DivergedWarning, match=r"at epoch 2: the loss grew to .*more than 10000 times its start.*restored the weights of "
                      r"epoch 1\. Lower learning_rate_init \(now 100000.0\), or lower max_grad_norm \(now 5.0\)\."):
        model = _translator(learning_rate_init=1e5).fit(SOURCES, TARGETS)
    assert model.stop_reason_ == "diverged" and model.n_iter_ == 2
    assert model.history_.held_epoch == 1
    assert model.loss_curve_[1] > 1e4 * model.history_.start_loss


def test_translator_with_no_usable_epoch_raises_and_keeps_the_fitted_model() -> None:
    model = _translator(batch_size=64).fit(SOURCES, TARGETS)
    before = model.predict(SOURCES[:4])
    model.set_params(learning_rate_init=1e5, batch_size=2)  # 20 steps in epoch 1: it ends ~1e5 x its start
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergedWarning)  # the error says it; no warning besides
        with pytest.raises(ValueError, match=FIRST_EPOCH + r": the loss grew to .*and no epoch is usable\. Lower learning_rate_init"):
            model.fit(SOURCES, TARGETS)
    assert model.learning_rate_init == 1e5 and model.predict(SOURCES[:4]) == before and model.n_iter_ == 3


def test_recommender_with_no_usable_epoch_raises_and_keeps_the_fitted_model() -> None:
    pairs, ratings = _ratings()
    model = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(pairs, ratings)
    before = model.predict(pairs[:10])
    model.set_params(learning_rate_init=1e4)
    with pytest.raises(ValueError, match=FIRST_EPOCH + r": the loss grew to .*Lower learning_rate_init \(now 10000.0\), or check the ratings"):
        model.fit(pairs, ratings)
    np.testing.assert_array_equal(model.predict(pairs[:10]), before)
    assert model.n_iter_ == len(model.loss_curve_) <= 2


def test_recommender_warm_fit_that_diverges_keeps_the_weights_it_began_with() -> None:
    pairs, ratings = _ratings()
    model = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0, early_stopping=False, warm_start=True).fit(pairs, ratings)
    before, epochs = model.predict(pairs[:10]), model.n_iter_
    model.set_params(learning_rate_init=1e4)
    with pytest.warns(DivergedWarning, match=rf"restored the weights of epoch {epochs} \(the weights this call began with\)"):
        model.fit(pairs, ratings)
    assert model.stop_reason_ == "diverged" and model.n_iter_ == epochs + 1
    np.testing.assert_allclose(model.predict(pairs[:10]), before)


@pytest.mark.parametrize("app", ["image", "sequence", "autoencoder"])
def test_train_based_apps_refuse_a_fit_with_no_usable_epoch(app: str) -> None:
    """Before, the fit returned the untrained start with a DivergedWarning (predictions of random weights)."""
    if app == "autoencoder":
        X, _ = load_wine(return_X_y=True)
        model, args = Autoencoder(max_iter=2, learning_rate_init=1e7, random_state=0, batch_size=16), (X,)
    else:
        X, y = load_digits(return_X_y=True)
        X, y = X[:100] / 16, y[:100]
        if app == "image":
            model, args = ImageClassifier(max_iter=2, learning_rate_init=1e7, random_state=0, early_stopping=False, batch_size=10), (X.reshape(-1, 1, 8, 8), y)
        else:
            model = SequenceClassifier(max_iter=2, learning_rate_init=1e7, random_state=0, early_stopping=False, clip_grad_norm=None,
                                       batch_size=10)
            args = ([r.reshape(8, 8) for r in X], y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergedWarning)
        with pytest.raises(ValueError, match=f"{FIRST_EPOCH}|Solver produced non-finite parameter weights"):
            model.fit(*args)
    assert not hasattr(model, "history_") and not hasattr(model, "network_")


@pytest.mark.parametrize("app", ["image", "autoencoder", "forecaster"])
def test_apps_without_clip_grad_norm_name_a_fix_they_have(app: str) -> None:
    """Their warning said '... or set clip_grad_norm', a parameter they do not have; it names the step size and the data, as their error does."""
    model: Any
    args: tuple[Any, ...]
    if app == "autoencoder":
        model, args = Autoencoder(max_iter=2, random_state=0, batch_size=16, warm_start=True), (load_wine(return_X_y=True)[0],)
    elif app == "forecaster":
        model, args = Forecaster(window=8, hidden_layer_sizes=(8,), max_iter=2, random_state=0, warm_start=True), (np.sin(np.arange(200) / 5),)
    else:
        X, y = load_digits(return_X_y=True)
        model, args = ImageClassifier("conv4k3:same,8", max_iter=2, random_state=0, early_stopping=False, warm_start=True,
                                      batch_size=10), (X[:100].reshape(-1, 1, 8, 8) / 16, y[:100])
    model.fit(*args)
    model.set_params(learning_rate_init=1e7)
    with pytest.warns(DivergedWarning) as caught:
        model.fit(*args)
    message = str(caught[0].message)
    assert message.endswith("Lower learning_rate_init (now 10000000.0), or check the data for huge values.") and "clip_grad_norm" not in message
    assert not hasattr(model, "clip_grad_norm")
    assert model.stop_reason_ == "diverged"


def test_an_autoencoder_whose_held_out_error_was_never_finite_names_the_epoch_that_diverged() -> None:
    """One batch an epoch: epoch 1's training loss is the start's (taken before its one step, finite), while the step at
    rate 1e6 sends the held-out error to inf; epoch 2's loss is inf. No epoch is usable, and the error said "The loss
    became inf in the first epoch" while the progress bar and the history said 2 epochs: it names epoch 2 now."""
    from hiddenlayers.apps import _fit

    X, _ = load_wine(return_X_y=True)
    seen: list[Any] = []
    real = _fit.refuse_unusable

    def spy(history: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(list(history.epoch))
        real(history, *args, **kwargs)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(_fit, "refuse_unusable", spy)
        with pytest.raises(ValueError) as raised:
            Autoencoder(learning_rate_init=1e6, batch_size=500, random_state=0).fit(X)
    assert seen == [[1, 2]]  # the run this test is about: a finite first epoch, whose held-out error was not
    assert "in the first epoch" not in str(raised.value)
    assert str(raised.value).endswith("The loss became inf at epoch 2, and no earlier epoch is usable (none had a finite held-out "
                                      "score): lower learning_rate_init (now 1000000.0), or check the data for huge values.")


def test_no_usable_epoch_names_the_epoch_of_a_finite_explosion() -> None:
    from hiddenlayers.training import no_usable_epoch

    assert no_usable_epoch(2e9, 1.0, 10.0, "or check the data", epoch=3) == (
        "training diverged at epoch 3: the loss grew to 2e+09, more than 10000 times its start (1), and no earlier epoch is usable "
        "(none had a finite held-out score). Lower learning_rate_init (now 10.0), or check the data.")
    assert no_usable_epoch(2e9, 1.0, 10.0, "or check the data").startswith("training diverged in its first epoch: ")  # as before
