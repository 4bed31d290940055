"""train()'s loop: AdamW's alpha, the no-improvement rules inside stopping=, their reset, and the weighted L2 penalty."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import hiddenlayers as hl
from hiddenlayers.training import LossBelow, MaxEpochs, NoImprovement, _loop, train
from hiddenlayers.training._engine import make_step


def _data(n: int = 100, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.randn(n, 4, dtype=dtype)
    return X, F.one_hot((X[:, 0] > 0).long(), 2).to(dtype)


def _net(seed: int = 1, dtype: torch.dtype = torch.float32) -> hl.Network:
    torch.manual_seed(seed)
    return hl.Network(4, "8", 2).to(dtype)


def test_adamw_takes_alpha_as_its_weight_decay() -> None:
    X, Y = _data()
    runs = {}
    for name, kw in {"alpha": {"alpha": 0.5}, "kwargs": {"optimizer_kwargs": {"weight_decay": 0.5}}, "none": {}}.items():
        net = _net()
        res = train(net, X, Y, loss="log_loss", solver="adamw", max_epochs=3, shuffle=False, **kw)
        runs[name] = (res.optimizer, torch.cat([p.detach().flatten() for p in net.parameters()]))
    assert runs["alpha"][0].weight_decay == 0.5 and runs["none"][0].weight_decay == 0.0
    assert torch.equal(runs["alpha"][1], runs["kwargs"][1]) and not torch.equal(runs["alpha"][1], runs["none"][1])
    # optimizer_kwargs' weight_decay wins over alpha (the estimators pass both)
    res = train(_net(), X, Y, loss="log_loss", solver="adamw", alpha=0.5, max_epochs=1, optimizer_kwargs={"weight_decay": 0.1})
    assert res.optimizer.weight_decay == 0.1


@pytest.mark.parametrize("stopping", [
    MaxEpochs(200) | NoImprovement(patience=2, tol=10.0),  # the docs' combination
    MaxEpochs(200) | (LossBelow(-1.0) | NoImprovement(patience=2, tol=10.0)),  # nested
])
def test_no_improvement_inside_stopping_fires(stopping: Any) -> None:
    res = train(_net(), *_data(), loss="log_loss", stopping=stopping)
    # a tol no epoch can beat: epochs 2, 3, 4 count, and more than patience=2 stops after epoch 4
    assert res.history.stop_reason == "no_improvement_train_loss" and len(res.history) == 4
    assert res.history.best_epoch == 4  # each epoch was still lower, by less than tol


def test_the_docs_rule_stops_a_real_fit_early() -> None:
    res = train(_net(), *_data(), loss="log_loss", learning_rate_init=0.1, batch_size=100,
                stopping=MaxEpochs(200) | NoImprovement(patience=2))
    assert res.history.stop_reason == "no_improvement_train_loss" and len(res.history) < 200


def test_a_reused_rule_starts_over_unless_the_history_is_resumed() -> None:
    X, Y = _data()
    rule = NoImprovement(patience=2, tol=10.0)
    first = train(_net(), X, Y, loss="log_loss", no_improvement=rule)
    again = train(_net(), X, Y, loss="log_loss", no_improvement=rule)
    assert len(first.history) == len(again.history) == 4
    resumed = train(_net(), X, Y, loss="log_loss", no_improvement=rule, history=again.history)
    assert resumed.history.epoch[-1] == 5  # carried on: still stalled, so one more epoch stops it
    inside = MaxEpochs(100) | NoImprovement(patience=2, tol=10.0)
    assert [len(train(_net(), X, Y, loss="log_loss", stopping=inside).history) for _ in range(2)] == [4, 4]


def test_warm_start_keeps_the_estimators_best_loss() -> None:
    X, Y = _data()
    y = Y.argmax(1).numpy()
    clf = hl.MLPClassifier((8,), max_iter=300, warm_start=True, tol=0.05, n_iter_no_change=2, random_state=0).fit(X.numpy(), y)
    before = len(clf.history_)
    clf.fit(X.numpy(), y)
    # the refit's rule starts from the earlier best loss and stall count, as scikit-learn's: the first fit
    # stopped past n_iter_no_change stalls, so one more stall stops the refit (3 epochs if the count had
    # started over, 4 if the best loss had too)
    assert clf.stop_reason_ == "no_improvement_train_loss" and len(clf.history_) - before == 1


@pytest.mark.parametrize("engine", ["numpy", "torch", "autograd"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_weighted_loss_equals_the_loss_on_repeated_rows(engine: str, solver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine != "autograd":  # the hand-written engine on the chosen backend (torch: as on a GPU)
        monkeypatch.setattr(_loop, "make_step", lambda *a, **k: make_step(*a, backend=engine, **k))
    X, Y = _data(dtype=torch.float64)
    w = torch.ones(100, dtype=torch.float64)
    w[::2] = 2.0
    rows = torch.repeat_interleave(torch.arange(100), w.long())
    kw: dict[str, Any] = {"loss": "log_loss", "alpha": 0.5, "batch_size": 1000, "shuffle": False, "max_epochs": 5, "solver": solver,
                          "engine": "autograd" if engine == "autograd" else "dense"}
    weighted = train(_net(dtype=torch.float64), X, Y, sample_weight=w, **kw).history.train_loss
    repeated = train(_net(dtype=torch.float64), X[rows], Y[rows], **kw).history.train_loss
    np.testing.assert_allclose(weighted, repeated, rtol=0, atol=1e-12)
