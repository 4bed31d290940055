"""train()'s loop: AdamW's alpha, the no-improvement rules inside stopping=, their reset, and the weighted L2 penalty."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

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


class _NaNWeightsAfter(hl.Callback):
    """At the end of epoch ``epoch`` the weights become NaN: the next epoch's loss is NaN, a divergence at a known epoch."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, *, logs: dict, flat: Any, **kwargs: Any) -> None:
        if logs["epoch"] == self.epoch:
            flat.data.fill_(float("nan"))


@pytest.mark.parametrize(("patience", "lr"), [(3, 0.1), (2, 0.01)])
def test_a_divergence_takes_the_stall_counts_back_with_the_best_weights(patience: int, lr: float) -> None:
    """The held-out score peaks at epoch 2, epochs 3 and 4 stall, epoch 5 diverges: the weights go back to epoch 2's, and
    now so do the no-improvement count and plateau's stalled epochs (0 after epoch 2). Before, both counted the undone
    epochs 3 and 4. The rate stays where the undone epochs left it (patience 2: plateau's tenth at epoch 4 stays)."""
    scores = iter([0.5, 0.9, 0.6, 0.7, 0.8])
    rule = NoImprovement("val_score", patience=100)
    schedule = hl.training.Schedule("plateau", 0.1, patience=patience)
    with pytest.warns(hl.DivergedWarning, match="restored the weights of epoch 2"):
        res = train(_net(), *_data(), loss="log_loss", solver="sgd", schedule=schedule, max_epochs=8, samples_seen=7,
                    validate=lambda: (float("nan"), next(scores)), no_improvement=rule, callbacks=[_NaNWeightsAfter(4)])
    assert res.history.stop_reason == "diverged" and res.history.best_epoch == 2 and len(res.history) == 5
    assert (rule.best, rule.count) == (0.9, 0)
    assert schedule.stalled == 0 and schedule.lr == pytest.approx(lr)
    assert res.samples_seen == 7 + 2 * 100


@pytest.mark.parametrize("monitor", ["train_loss", "val_loss", "val_score"])
def test_a_nan_value_is_no_progress(monitor: str) -> None:
    """A NaN epoch counts as one without improvement and is no new best; before, its failed comparison reset the count."""
    rule = NoImprovement(monitor, tol=0.0, patience=1)
    assert rule.update(0.5) and rule.count == 0
    assert not rule.update(float("nan")) and rule.count == 1 and rule.best == 0.5
    assert not rule.update(float("nan")) and rule.count == 2 and rule(hl.training.History()) is not None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.floats(-10, 10), st.just(float("nan"))), max_size=30), st.sampled_from([0.0, 0.5]))
def test_the_count_is_the_epochs_since_the_last_progress(values: list[float], tol: float) -> None:
    """For any values, NaN included: the count is the epochs since the last one that beat the best by tol."""
    rule = NoImprovement("train_loss", tol=tol, patience=5)
    best, count = float("inf"), 0
    for v in values:
        rule.update(v)
        count = 0 if (not math.isnan(v) and v <= best - tol) else count + 1
        best = v if (not math.isnan(v) and v < best) else best
        assert (rule.count, rule.best) == (count, best)
