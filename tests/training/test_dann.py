"""train_dann: Ganin's schedules, and the domain head really aligns the two domains' features."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from hiddenlayers.network import Network
from hiddenlayers.training import dann_lambda, dann_learning_rate, get_loss, train_dann


def test_schedules_follow_the_paper():
    assert dann_lambda(0.0) == 0.0 and dann_lambda(0.5) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert dann_learning_rate(0.01, 0.0) == 0.01
    assert dann_learning_rate(0.01, 1.0) == pytest.approx(0.01 / 11**0.75)
    assert dann_learning_rate(0.01, 0.3) < dann_learning_rate(0.01, 0.2)


def test_domain_loss_carries_a_planted_shift_over():
    """Target pixels x0.5 + 0.3, no target labels: the same network, seed and batches read the target
    better with the domain loss than without it (its accuracy is what DANN is for)."""
    X, y = load_digits(return_X_y=True)
    X = torch.as_tensor(X / 16.0, dtype=torch.float32)
    Y = torch.nn.functional.one_hot(torch.as_tensor(y), 10).float()
    Xs, Ys, Xt, yt = X[:900], Y[:900], X[900:] * 0.5 + 0.3, torch.as_tensor(y[900:])
    torch.manual_seed(0)
    base = Network(64, "32,16", 10)
    acc = {}
    for weight in (0.0, 1.0):
        net = copy.deepcopy(base)
        hist = train_dann(
            net,
            Xs,
            Ys,
            Xt,
            loss=get_loss("log_loss"),
            batch_size=100,
            max_epochs=20,
            domain_weight=weight,
            generator=torch.Generator().manual_seed(0),
        )
        assert hist.stop_reason == "max_epochs" and hist.lr[-1] < hist.lr[0]  # the step size anneals
        with torch.no_grad():
            acc[weight] = float((net(Xt).argmax(1) == yt).float().mean())
    assert acc[1.0] > acc[0.0] + 0.1, acc



def test_estimator_dann_stops_a_finite_explosion_and_refuses_a_fit_with_no_usable_epoch():
    """An MLPClassifier with domain_adaptation='dann' (train_dann) keeps training's rule: SGD at rate 10 on raw wine, one batch
    per epoch, sends epoch 2's task loss to ~6e9 (finite), which ran on to max_iter before; now it stops there with the
    DivergedWarning and epoch 1's weights (a one-epoch fit's: the first step's rate and lambda do not depend on max_iter).
    A first epoch that explodes (batches of 64 at rate 0.3) leaves no usable weights: one ValueError saying what the loss
    did, the fitted model as it was (before: NaN alone raised, in sklearn's 'non-finite' words)."""
    import warnings

    from sklearn.datasets import load_wine

    from hiddenlayers import MLPClassifier
    from hiddenlayers.exceptions import DivergedWarning

    X, y = load_wine(return_X_y=True)
    params = dict(hidden_layer_sizes=(8,), learning_rate_init=10.0, random_state=0, domain_adaptation="dann", solver="sgd")
    one = MLPClassifier(max_iter=1, **params).fit(X, y, X_target=X)
    est = MLPClassifier(max_iter=3, **params)
    with pytest.warns(DivergedWarning, match=r"at epoch 2: the loss grew to .*more than 10000 times its start.*restored the weights of epoch 1\."):
        est.fit(X, y, X_target=X)
    assert est.stop_reason_ == "diverged" and est.n_iter_ == 2
    torch.testing.assert_close(torch.as_tensor(est.predict_proba(X)), torch.as_tensor(one.predict_proba(X)))
    est.set_params(batch_size=64, learning_rate_init=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergedWarning)  # the error says it; no warning besides
        with pytest.raises(ValueError, match="training diverged in its first epoch: the loss grew to .*no epoch is usable"):
            est.fit(X, y, X_target=X)
    torch.testing.assert_close(torch.as_tensor(est.predict_proba(X)), torch.as_tensor(one.predict_proba(X)))


def _dann_wine(**params):  # type: ignore[no-untyped-def]
    from sklearn.datasets import load_wine

    from hiddenlayers import MLPClassifier

    X, y = load_wine(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    est = MLPClassifier(**{"hidden_layer_sizes": (8,), "random_state": 0, "domain_adaptation": "dann", "solver": "sgd", "momentum": 0.0,
                           "nesterovs_momentum": False, **params})
    return est.fit(X, y, X_target=X[::-1].copy())


def _flat(est) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.concatenate([a.ravel() for a in (*est.coefs_, *est.intercepts_)])


def test_dann_honours_clip_grad_norm():
    """DANN's own loop ignored clip_grad_norm. Plain SGD moves the weights by at most rate x the clipped norm a step
    (the whole gradient, the domain head's included, is clipped): 2 steps at rate 0.1 with clip 1e-3 move them < 2e-4."""
    start = _flat(_dann_wine(max_iter=1, learning_rate_init=1e-30))  # the same initial weights (the step is ~0)
    clipped = _flat(_dann_wine(max_iter=2, learning_rate_init=0.1, clip_grad_norm=1e-3))
    free = _flat(_dann_wine(max_iter=2, learning_rate_init=0.1))
    assert np.linalg.norm(clipped - start) <= 2 * 0.1 * 1e-3 * (1 + 1e-6)
    assert np.linalg.norm(free - start) > 1e-2  # unclipped, the same steps go much further


def test_dann_honours_max_time_and_loss_threshold(monkeypatch):
    """DANN's own loop ran max_iter epochs whatever the estimators' max_time or loss_threshold; now they stop it after the
    epoch that crosses them, with the tables' stop reasons. The clock moves 1000 s at each reading (no test reads real time)."""
    import itertools
    import time

    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(ticks))
    timed = _dann_wine(max_iter=5, learning_rate_init=0.01, max_time=1.0)
    assert timed.stop_reason_ == "time_limit" and timed.n_iter_ == 1 and timed.history_.time[-1] >= 1.0
    monkeypatch.undo()
    low = _dann_wine(max_iter=5, learning_rate_init=0.01, loss_threshold=100.0)
    assert low.stop_reason_ == "loss_below" and low.n_iter_ == 1
    assert _dann_wine(max_iter=3, learning_rate_init=0.01).stop_reason_ == "max_epochs"


def test_a_dann_regressor_records_its_task_loss_as_the_mean_over_outputs():
    """As the plain fit: scikit-learn's ½·mean over rows and outputs of a several-output squared error (the steps are the
    sum's). At a step of ~0 the one-batch epoch's task loss is the starting weights'."""
    import warnings

    from fit_helpers import linnerud_scaled
    from hiddenlayers import MLPRegressor

    X, Y = linnerud_scaled()
    reg = MLPRegressor(hidden_layer_sizes=(6,), domain_adaptation="dann", learning_rate_init=1e-30, alpha=0.0, max_iter=2, random_state=0,
                       dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, Y, X_target=X[::-1].copy())
    assert reg.loss_curve_ == pytest.approx([0.5 * float(np.mean((reg.predict(X) - Y) ** 2))] * 2, rel=1e-12)
