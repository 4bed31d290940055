"""The divergence rule: NaN/inf, or a finite loss past DIVERGENCE_FACTOR x the history's start loss (training/_divergence)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes

import hiddenlayers as hl
from hiddenlayers.network import Network
from hiddenlayers.training import DIVERGENCE_FACTOR, History, has_diverged, train


@given(st.floats(min_value=1e-6, max_value=1e6), st.floats(min_value=0.0, max_value=0.999))
def test_a_loss_up_to_the_factor_never_diverges_and_one_past_it_does(start: float, frac: float) -> None:
    assert not has_diverged(start * DIVERGENCE_FACTOR * frac, start)
    assert has_diverged(start * DIVERGENCE_FACTOR * 1.001, start)


@pytest.mark.parametrize("start", [None, 0.0, -1.0, math.nan, math.inf])
def test_without_a_positive_finite_start_only_nan_and_inf_diverge(start: float | None) -> None:
    assert not has_diverged(1e300, start)
    assert has_diverged(math.nan, start) and has_diverged(math.inf, start)


def _diabetes() -> tuple[torch.Tensor, torch.Tensor]:
    X, y = load_diabetes(return_X_y=True)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None]


def _net() -> Network:
    torch.manual_seed(0)
    return Network(10, "32", 1)


def test_train_keeps_the_first_batchs_loss_as_the_start_and_a_resumed_history_keeps_it() -> None:
    X, Y = _diabetes()
    net = _net()
    with torch.no_grad():
        first = float(((net(X[:50]) - Y[:50]) ** 2).mean() / 2)  # half squared error of the first batch (no shuffle)
    hist = train(net, X, Y, loss="squared_error", solver="adam", learning_rate_init=1e-3, batch_size=50, max_epochs=2, shuffle=False).history
    assert hist.start_loss == pytest.approx(first, rel=1e-5)
    again = train(net, X, Y, loss="squared_error", solver="adam", learning_rate_init=1e-3, batch_size=50, max_epochs=1, history=hist).history
    assert again.start_loss == pytest.approx(first, rel=1e-5)  # not the trained network's loss
    assert History.from_dict(again.to_dict()).start_loss == again.start_loss  # kept in model files


def test_a_finite_explosion_stops_training_with_one_warning_and_no_numpy_overflow() -> None:
    """RMSprop at rate 1e6 on diabetes: the loss reached 3e30 and stayed finite, so training ran on to 'no improvement'
    with NumPy's overflow RuntimeWarnings and no DivergedWarning. It now stops at epoch 1 and says what the loss did."""
    X, Y = _diabetes()
    net = _net()
    before = [p.detach().clone() for p in net.parameters()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist = train(net, X, Y, loss="squared_error", solver="rmsprop", learning_rate_init=1e6, batch_size=50, max_epochs=20).history
    assert [w.category for w in caught] == [hl.DivergedWarning]
    assert str(caught[0].message).startswith("training diverged at epoch 1: the loss grew to ")
    assert "more than 10000 times its start" in str(caught[0].message) and "Lower learning_rate_init (now 1000000.0)" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert hist.stop_reason == "diverged" and len(hist) == 1 and math.isfinite(hist.train_loss[0])
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))  # the starting weights back


def test_sgd_at_rate_10_warns_once_without_numpys_overflow_warning() -> None:
    X, Y = _diabetes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(_net(), X, Y, loss="squared_error", solver="sgd", learning_rate_init=10.0, batch_size=50, max_epochs=20)
    assert [w.category for w in caught] == [hl.DivergedWarning]


def test_a_divergence_after_good_epochs_restores_the_best_one() -> None:
    X, Y = _diabetes()
    Xs = (X - X.mean(0)) / X.std(0)
    net = _net()
    hist = train(net, Xs, Y, loss="squared_error", solver="sgd", learning_rate_init=1e-4, batch_size=50, max_epochs=5).history
    good = [p.detach().clone() for p in net.parameters()]
    with pytest.warns(hl.DivergedWarning, match="restored the weights of epoch 5"):
        hist = train(net, Xs, Y, loss="squared_error", solver="sgd", learning_rate_init=1.0, batch_size=50, max_epochs=20, history=hist,
                     optimizer_kwargs={"momentum": 0.9}).history
    assert hist.stop_reason == "diverged"
    assert all(torch.equal(a, b) for a, b in zip(good, net.parameters()))
    assert np.isfinite(net(Xs).detach().numpy()).all()


def test_the_warnings_remedy_is_the_callers_diverged_fix() -> None:
    """train() named clip_grad_norm to every caller, also to apps that have no such parameter; diverged_fix names theirs."""
    X, Y = _diabetes()
    Xs = (X - X.mean(0)) / X.std(0)
    net = _net()
    hist = train(net, Xs, Y, loss="squared_error", solver="sgd", learning_rate_init=1e-4, batch_size=50, max_epochs=2).history
    with pytest.warns(hl.DivergedWarning) as caught:
        train(net, Xs, Y, loss="squared_error", solver="sgd", learning_rate_init=1.0, batch_size=50, max_epochs=20, history=hist,
              optimizer_kwargs={"momentum": 0.9}, diverged_fix="or check the data")
    assert str(caught[0].message).endswith("Lower learning_rate_init (now 1.0), or check the data.")


def test_a_first_epoch_nan_names_the_learning_rate_after_sklearns_words() -> None:
    """A fresh fit whose first epoch's loss was NaN raised scikit-learn's words alone ('The input data may contain large values
    and need to be preprocessed'), which blame the data where the step size is as likely: `train --app autoencoder --lr 1e6`."""
    from hiddenlayers.training._divergence import no_usable_epoch

    said = no_usable_epoch(float("nan"), 0.5, 1e6, "or check the data")
    assert said == ("Solver produced non-finite parameter weights. The input data may contain large values and need to be preprocessed. "
                    "The loss became nan in the first epoch: lower learning_rate_init (now 1000000.0), or check the data.")
    X = np.random.default_rng(0).normal(size=(40, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"^Solver produced non-finite .* lower learning_rate_init \(now 1000000\.0\)"):
            hl.apps.Autoencoder((8,), n_components=2, learning_rate_init=1e6, max_iter=3, random_state=0).fit(X)
