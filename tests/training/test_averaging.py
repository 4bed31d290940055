"""train()'s weight averaging: the EMA and SWA equal averages written out by hand, on both engines; validation scores them."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from averaging_helpers import RecordWeights, flat, swalr_rates
from hiddenlayers.training import Callback, Schedule, WeightAveraging, train


def _data(n: int = 60) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.randn(n, 4)
    return X, F.one_hot((X[:, 0] + X[:, 1] > 0).long(), 2).float()


def _net(spec: str = "8") -> hl.Network:
    torch.manual_seed(3)
    return hl.Network(4, spec, 2)


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_ema_is_the_exponential_average_of_the_steps(engine: str) -> None:
    X, Y = _data()
    rec = RecordWeights()
    net = _net()
    train(net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.2, batch_size=16, max_epochs=3, engine=engine,
          callbacks=[rec], averaging=WeightAveraging("ema", decay=0.7))
    assert len(rec.steps) == 12  # 4 batches x 3 epochs
    ema = rec.steps[0]
    for w in rec.steps[1:]:
        ema = 0.7 * ema + 0.3 * w
    torch.testing.assert_close(flat(net), ema, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(flat(net), rec.steps[-1])  # not the raw weights


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_swa_is_the_mean_of_the_epochs_from_its_start(engine: str) -> None:
    X, Y = _data()
    rec = RecordWeights()
    net = _net()
    train(net, X, Y, loss="log_loss", solver="adam", learning_rate_init=0.05, batch_size=16, max_epochs=6, engine=engine,
          callbacks=[rec], averaging=WeightAveraging("swa", start_epoch=3))
    torch.testing.assert_close(flat(net), torch.stack(rec.epochs[2:]).mean(0), rtol=1e-5, atol=1e-6)


def test_validation_scores_the_averaged_weights_and_the_raw_trajectory_is_unchanged() -> None:
    X, Y = _data()
    seen: list[torch.Tensor] = []
    net = _net()

    def validate() -> tuple[float, float]:
        seen.append(flat(net))
        return float("nan"), 0.0

    rec = RecordWeights()
    plain_net = _net()
    plain = train(plain_net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.1, batch_size=20, max_epochs=4, shuffle=False)
    res = train(net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.1, batch_size=20, max_epochs=4, shuffle=False,
                validate=validate, callbacks=[rec], averaging=WeightAveraging("swa", start_epoch=2))
    assert res.history.train_loss == plain.history.train_loss  # the steps run on the raw weights, as without averaging
    torch.testing.assert_close(rec.epochs[-1], flat(plain_net))
    torch.testing.assert_close(seen[0], rec.epochs[0])  # epoch 1: nothing averaged yet, the raw weights
    for k in (1, 2, 3):  # from epoch 2 on: the mean of epochs 2..k+1
        torch.testing.assert_close(seen[k], torch.stack(rec.epochs[1 : k + 1]).mean(0))


def test_a_callback_reads_the_run_s_averaging_and_scores_the_averaged_weights_within_swapped() -> None:
    """``state.averaging`` is the run's WeightAveraging: within ``swapped()`` the network holds the SWA mean so far, after it the raw weights."""
    X, Y = _data()
    inside: list[torch.Tensor] = []
    after: list[torch.Tensor] = []

    class Score(Callback):
        def on_epoch_end(self, *, network: Any, state: Any, **kwargs: Any) -> None:
            with state.averaging.swapped():
                inside.append(flat(network))
            after.append(flat(network))

    avg = WeightAveraging("swa", start_epoch=2)
    rec = RecordWeights()
    train(_net(), X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.1, batch_size=20, max_epochs=4, shuffle=False,
          callbacks=[rec, Score()], averaging=avg)
    torch.testing.assert_close(inside[0], rec.epochs[0])  # nothing averaged yet: the raw weights
    for k in (1, 2, 3):
        torch.testing.assert_close(inside[k], torch.stack(rec.epochs[1 : k + 1]).mean(0))
        torch.testing.assert_close(after[k], rec.epochs[k])
    seen: list[Any] = []

    class Look(Callback):
        def on_epoch_end(self, *, state: Any, **kwargs: Any) -> None:
            seen.append(state.averaging)

    train(_net(), X, Y, loss="log_loss", max_epochs=1, callbacks=[Look()])
    assert seen == [None]


def test_batch_norm_statistics_are_recomputed_for_the_averaged_weights() -> None:
    X, Y = _data(64)
    net = _net("8:norm=batch")
    train(net, X, Y, loss="log_loss", solver="adam", learning_rate_init=0.05, batch_size=16, max_epochs=3,
          averaging=WeightAveraging("ema", decay=0.5))
    bn = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm1d))
    with torch.no_grad():  # the statistics of the pre-norm activations under the weights the network holds
        pre = net.linears()[0](X)
    torch.testing.assert_close(bn.running_mean, pre.mean(0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "polyak"}, "weight averaging must be one of 'ema', 'swa'. Received: 'polyak'."),
    ({"kind": "ema", "decay": 1.0}, "ema_decay must be a number in (0, 1), e.g. 0.999. Received: ema_decay=1.0."),
    ({"kind": "swa", "start_epoch": 0}, "the SWA start epoch must be an integer >= 1. Received: 0."),
])
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError) as err:
        WeightAveraging(kind, **kwargs)
    assert str(err.value) == message


@pytest.mark.parametrize("engine", ["dense", "autograd"])
@pytest.mark.parametrize(("kind", "anneal_epochs"), [("invscaling", 3), ("constant", 0), ("cosine", 1), ("invscaling", 10)])
def test_swa_lr_gives_swalrs_rates_from_the_start_epoch(engine: str, kind: str, anneal_epochs: int) -> None:
    X, Y = _data()

    def run(averaging: WeightAveraging) -> list[float]:
        res = train(_net(), X, Y, loss="log_loss", solver="sgd", batch_size=16, max_epochs=9, engine=engine,
                    schedule=Schedule(kind, 0.1, power_t=0.25, max_epochs=9), averaging=averaging)
        return res.history.lr

    plain = run(WeightAveraging("swa", start_epoch=4))
    swa = run(WeightAveraging("swa", start_epoch=4, swa_lr=0.03, anneal_epochs=anneal_epochs))
    assert swa[:3] == plain[:3]  # the schedule's rates before SWA's first epoch
    assert swa[3:] == pytest.approx(swalr_rates(plain[3], 0.03, anneal_epochs, 6), rel=1e-12, abs=0)
    assert swa[-1] == pytest.approx(0.03) or anneal_epochs > 5


def test_swa_lr_changes_the_steps_and_averages_them() -> None:
    X, Y = _data()
    rec, plain_net, net = RecordWeights(), _net(), _net()
    train(plain_net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.1, batch_size=16, max_epochs=5,
          averaging=WeightAveraging("swa", start_epoch=3))
    train(net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.1, batch_size=16, max_epochs=5, callbacks=[rec],
          averaging=WeightAveraging("swa", start_epoch=3, swa_lr=0.5, anneal_epochs=0))
    torch.testing.assert_close(flat(net), torch.stack(rec.epochs[2:]).mean(0), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(flat(net), flat(plain_net))


def test_swa_lr_none_keeps_the_schedule_itself() -> None:
    schedule = Schedule("adaptive", 0.1)
    assert WeightAveraging("swa", start_epoch=2).schedule(schedule) is schedule


def test_adaptive_cuts_before_swa_and_not_after() -> None:
    s = WeightAveraging("swa", start_epoch=3, swa_lr=0.02, anneal_epochs=0).schedule(Schedule("adaptive", 0.1))
    s.epoch_end(1, 10, False)
    assert s.on_no_improvement() and s.lr == pytest.approx(0.02)  # epoch 2 is before SWA's first: the cut is the schedule's
    s.epoch_end(2, 20, False)
    assert s.on_no_improvement()  # epoch 3 is SWA's first: the cut is the rate SWA starts from (here it goes straight to swa_lr)
    assert s.lr == pytest.approx(0.02) and s.state()["lr"] == pytest.approx(0.004)
    s.epoch_end(3, 30, False)
    assert not s.on_no_improvement()  # SWA's rate drives now: no cut, the no-improvement rule stops training
    assert s.lr == pytest.approx(0.02) and s.state()["lr"] == pytest.approx(0.004)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "ema", "swa_lr": 0.1}, "swa_lr sets the learning rate of SWA's epochs; weight averaging 'ema' has none. Received: swa_lr=0.1; "
                                     "use kind 'swa', or swa_lr=None."),
    ({"kind": "swa", "swa_lr": 0.0}, "swa_lr must be a finite number > 0, e.g. 0.01, or None. Received: swa_lr=0.0."),
    ({"kind": "swa", "swa_lr": float("inf")}, "swa_lr must be a finite number > 0, e.g. 0.01, or None. Received: swa_lr=inf."),
    ({"kind": "swa", "anneal_epochs": -1}, "swa_anneal_epochs must be an integer >= 0, e.g. 10. Received: swa_anneal_epochs=-1."),
])
def test_bad_swa_lr_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError) as err:
        WeightAveraging(kind, **kwargs)
    assert str(err.value) == message


@settings(max_examples=60, deadline=None)
@given(lr_start=st.floats(1e-5, 1.0), swa_lr=st.floats(1e-5, 1.0), anneal_epochs=st.integers(0, 12), start_epoch=st.integers(1, 4))
def test_swa_schedule_rates_equal_swalrs_for_any_settings(lr_start: float, swa_lr: float, anneal_epochs: int, start_epoch: int) -> None:
    s = WeightAveraging("swa", start_epoch=start_epoch, swa_lr=swa_lr, anneal_epochs=anneal_epochs).schedule(Schedule("constant", lr_start))
    rates = []
    for epoch in range(1, start_epoch + 15):
        rates.append(s.lr)
        s.epoch_end(epoch, 0, False)
    assert rates[: start_epoch - 1] == [lr_start] * (start_epoch - 1)
    assert rates[start_epoch - 1 :] == pytest.approx(swalr_rates(lr_start, swa_lr, anneal_epochs, 15), rel=1e-9, abs=0)
    assert s.state()["lr"] == lr_start  # the wrapped schedule stood still


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3), st.booleans(), st.none()))
def test_swa_lr_is_taken_exactly_when_a_finite_number_above_0(value: Any) -> None:
    good = value is None or (not isinstance(value, bool) and 0 < value < float("inf"))
    try:
        avg = WeightAveraging("swa", swa_lr=value)
    except ValueError as err:
        assert not good and str(err).startswith("swa_lr must be a finite number > 0")
        return
    assert good and avg.swa_lr == (None if value is None else float(value))


class _CtrlC(Callback):
    def __init__(self, at: int) -> None:
        self.at = at

    def on_epoch_end(self, *, history: Any, **kwargs: Any) -> None:
        if len(history.epoch) == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_in_an_swa_lr_epoch_puts_the_wrapped_schedule_back() -> None:
    X, Y = _data()
    schedule = Schedule("invscaling", 0.1, power_t=0.5)
    with pytest.warns(hl.InterruptedWarning):
        res = train(_net(), X, Y, loss="log_loss", solver="sgd", batch_size=16, max_epochs=8, schedule=schedule, callbacks=[_CtrlC(4)],
                    averaging=WeightAveraging("swa", start_epoch=2, swa_lr=0.05, anneal_epochs=0))
    assert res.history.stop_reason == "interrupted" and res.history.lr[1:] == [0.05, 0.05, 0.05]
    assert schedule.lr == pytest.approx(0.1 / (60 + 1) ** 0.5)  # the schedule stood at epoch 2's rate: SWA's took over there


@settings(max_examples=60, deadline=None)
@given(lr_start=st.floats(1e-5, 1.0), swa_lr=st.floats(1e-5, 1.0), anneal_epochs=st.integers(0, 12), start_epoch=st.integers(1, 4))
def test_linear_annealing_gives_swalrs_linear_rates(lr_start: float, swa_lr: float, anneal_epochs: int, start_epoch: int) -> None:
    """anneal_strategy='linear' (SWALR's other strategy): before, SWA's rate could only anneal by a cosine."""
    avg = WeightAveraging("swa", start_epoch=start_epoch, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy="linear")
    s = avg.schedule(Schedule("constant", lr_start))
    rates = []
    for epoch in range(1, start_epoch + 15):
        rates.append(s.lr)
        s.epoch_end(epoch, 0, False)
    assert rates[start_epoch - 1 :] == pytest.approx(swalr_rates(lr_start, swa_lr, anneal_epochs, 15, "linear"), rel=1e-9, abs=0)


def test_linear_annealing_drives_the_loop_s_rates_and_is_named() -> None:
    X, Y = _data()
    avg = WeightAveraging("swa", start_epoch=2, swa_lr=0.01, anneal_epochs=4, anneal_strategy="linear")
    assert repr(avg) == "WeightAveraging('swa', start_epoch=2, swa_lr=0.01, anneal_epochs=4, anneal_strategy='linear')"
    lr = train(_net(), X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.09, batch_size=16, max_epochs=7, averaging=avg).history.lr
    assert lr == pytest.approx([0.09, 0.09, 0.07, 0.05, 0.03, 0.01, 0.01])  # equal steps of (0.09 - 0.01) / 4


@pytest.mark.parametrize("strategy", ["cosine", "Linear", None, 1])
def test_an_unknown_anneal_strategy_is_refused(strategy: Any) -> None:
    with pytest.raises(ValueError) as err:
        WeightAveraging("swa", swa_lr=0.01, anneal_strategy=strategy)
    assert str(err.value) == f"swa_anneal_strategy must be 'cos' or 'linear' (PyTorch SWALR's names). Received: swa_anneal_strategy={strategy!r}."
