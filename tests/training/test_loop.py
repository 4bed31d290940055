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


class _CtrlCInEpoch(hl.Callback):
    """Ctrl-C at the first batch of epoch ``epoch`` (``at_end``: at the end of that epoch, after its bookkeeping)."""

    def __init__(self, epoch: int, at_end: bool = False) -> None:
        self.epoch, self.at_end = epoch, at_end

    def on_batch_end(self, *, state: Any, **kwargs: Any) -> None:
        if not self.at_end and state.epoch == self.epoch:
            raise KeyboardInterrupt

    def on_epoch_end(self, *, logs: dict, **kwargs: Any) -> None:
        if self.at_end and logs["epoch"] == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize(("kind", "cut", "at_end", "best"), [
    ("invscaling", 5, False, 2), ("plateau", 5, False, 2), ("invscaling", 2, True, 2), ("plateau", 1, False, 0),
])
def test_ctrl_c_takes_samples_seen_and_the_schedule_back_with_the_best_weights(kind: str, cut: int, at_end: bool, best: int) -> None:
    """The held-out score peaks at epoch 2; Ctrl-C in epoch 5 (or at the end of epoch 2 itself, or in epoch 1: the start)
    puts back that epoch's weights, and now samples_seen and the schedule's state (rate, plateau's stalled epochs) as
    they were after it. Before, they counted the undone epochs 3 and 4 (invscaling's rate from 4 epochs' samples,
    plateau's cut after 2 stalled epochs)."""
    scores = iter([0.5, 0.9, 0.6, 0.7, 0.8, 0.85])
    X, Y = _data()
    schedule = hl.training.Schedule(kind, 0.1, patience=2)
    res = train(_net(), X, Y, loss="log_loss", solver="sgd", schedule=schedule, max_epochs=6, samples_seen=7,
                validate=lambda: (float("nan"), next(scores)), no_improvement=NoImprovement("val_score", patience=100),
                callbacks=[_CtrlCInEpoch(cut, at_end)])
    assert res.history.stop_reason == "interrupted" and (res.history.best_epoch or 0) == best
    assert res.samples_seen == 7 + best * 100
    want = hl.training.Schedule(kind, 0.1, patience=2)
    for epoch in range(1, best + 1):  # epochs 1 and 2 both improved
        want.epoch_end(epoch, 7 + epoch * 100, True)
    assert schedule.state() == want.state() and schedule.stalled == 0
