"""The estimators' fit path across calls: cosine cycles per call, max_time per call, and a failed refit undone."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import hiddenlayers as hl
from fit_helpers import FakeClock, linnerud_scaled, quiet_fit


def _data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.RandomState(0).rand(120, 5)
    return X, (X[:, 0] + X[:, 1] > 1).astype(int)


def _cosine(lr0: float, k: int, cycle: int) -> float:
    return lr0 * 0.5 * (1 + math.cos(math.pi * k / cycle))


def test_each_warm_fit_runs_its_own_cosine_cycle() -> None:
    X, y = _data()
    est = hl.MLPClassifier((32,), max_iter=5, warm_start=True, learning_rate="cosine", solver="sgd", learning_rate_init=0.1, random_state=0)
    quiet_fit(est, X, y)
    quiet_fit(est, X, y)
    cycle = [_cosine(0.1, k, 5) for k in range(5)]
    assert est.history_.lr == pytest.approx(cycle + cycle)
    assert est.n_iter_ == 5


def test_partial_fit_walks_a_cosine_cycle_of_max_iter_calls_then_restarts() -> None:
    X, y = _data()
    est = hl.MLPClassifier((32,), max_iter=3, learning_rate="cosine", solver="sgd", learning_rate_init=0.1, random_state=0)
    for _ in range(7):
        est.partial_fit(X, y, classes=[0, 1])
    cycle = [_cosine(0.1, k, 3) for k in range(3)]
    assert est.history_.lr == pytest.approx((cycle * 3)[:7])
    assert min(est.history_.lr) > 0


def test_other_schedules_still_resume_where_the_last_fit_left() -> None:
    X, y = _data()
    est = hl.MLPClassifier((8,), max_iter=3, warm_start=True, learning_rate="invscaling", solver="sgd", learning_rate_init=0.1, random_state=0)
    quiet_fit(est, X, y)
    last = est._optimizer_state["lr"]
    quiet_fit(est, X, y)
    assert est.history_.lr[3] == pytest.approx(last)


class _SlowEpochs(hl.Callback):
    """Each epoch takes ``seconds`` on the fit loop's fake clock (at its start, so History's clock counts it)."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def on_epoch_begin(self, **kwargs: Any) -> None:
        self.clock.advance(self.seconds)


def test_max_time_counts_each_fit_call_from_its_start(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data()
    clock = FakeClock().install(monkeypatch)
    est = hl.MLPClassifier((8,), max_iter=2, max_time=0.4, warm_start=True, callbacks=[_SlowEpochs(clock, 0.15)], random_state=0)
    quiet_fit(est, X, y)  # 2 epochs, 0.3 s: under the limit
    assert est.stop_reason_ == "max_epochs"
    clock.advance(10.0)  # time between the calls is not counted
    est.set_params(max_iter=6)
    quiet_fit(est, X, y)  # counted from the call's start: 3 epochs (0.45 s), not 1 (0.75 s since the first fit began)
    assert est.stop_reason_ == "time_limit"
    assert est.n_iter_ == 3
    assert len(est.history_) == 5


class _RaiseAt(hl.Callback):
    """Raises at the end of this call's epoch ``at`` (counted from its train begin)."""

    def __init__(self, at: int | None) -> None:
        self.at, self.seen = at, 0

    def on_train_begin(self, **kwargs: Any) -> None:
        self.seen = 0

    def on_epoch_end(self, **kwargs: Any) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise RuntimeError(f"callback failed at epoch {self.seen}")


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_warm_refit_that_raises_leaves_the_model_as_it_was(solver: str) -> None:
    X, y = _data()
    cb = _RaiseAt(None)
    est = hl.MLPClassifier((8,), "tanh", solver=solver, max_iter=5, warm_start=True, callbacks=[cb], random_state=0)
    quiet_fit(est, X, y)
    before = {name: copy.deepcopy(getattr(est, name)) for name in ("loss_curve_", "n_iter_", "t_", "loss_", "best_loss_", "_optimizer_state")}
    weights = [p.detach().clone() for p in est.network_.parameters()]
    proba = est.predict_proba(X)
    history = list(est.history_.train_loss)

    cb.at = 3
    with pytest.raises(RuntimeError, match=r"^callback failed at epoch 3$"):
        est.fit(X, y)

    assert est.history_.train_loss == history and len(est.history_) == 5
    assert est.loss_curve_ == before["loss_curve_"] and est.n_iter_ == 5
    assert (est.t_, est.loss_, est.best_loss_) == (before["t_"], before["loss_"], before["best_loss_"])
    for key, value in before["_optimizer_state"].items():
        got = est._optimizer_state[key]
        assert torch.equal(got, value) if isinstance(value, torch.Tensor) else got == value, key
    for p, w in zip(est.network_.parameters(), weights):
        assert torch.equal(p, w)
        assert p.grad is None
        assert p.data.data_ptr() != 0 and p.data.numel() == p.data.untyped_storage().nbytes() // p.element_size()  # own storage
    assert not est.network_.training
    np.testing.assert_array_equal(est.predict_proba(X), proba)

    cb.at = None  # the model trains on from where it was
    quiet_fit(est, X, y)
    assert len(est.history_) == 10 and est.n_iter_ == 5


@pytest.mark.parametrize("training", [False, True])
def test_a_warm_refit_that_raises_gives_back_every_submodule_mode(training: bool) -> None:
    X, y = _data()
    cb = _RaiseAt(None)
    est = hl.MLPClassifier(["16:relu:norm=batch", 8], max_iter=3, warm_start=True, callbacks=[cb], random_state=0)
    quiet_fit(est, X, y)
    est.network_.train(training)
    if training:
        est.network_.hidden1.eval()  # a training network with a frozen first layer
    else:
        est.network_.hidden1.norm.train()  # an eval network with its BatchNorm left training
    before = {name: m.training for name, m in est.network_.named_modules()}
    cb.at = 2
    with pytest.raises(RuntimeError, match=r"^callback failed at epoch 2$"):
        est.fit(X, y)
    assert {name: m.training for name, m in est.network_.named_modules()} == before


def test_a_new_fit_that_raises_keeps_the_previous_fitted_model() -> None:
    X, y = _data()
    cb = _RaiseAt(None)
    est = hl.MLPClassifier((8,), max_iter=4, callbacks=[cb], random_state=0)
    quiet_fit(est, X, y)
    net, proba = est.network_, est.predict_proba(X)
    cb.at = 2
    with pytest.raises(RuntimeError, match=r"^callback failed at epoch 2$"):
        est.fit(X, y)
    assert est.network_ is net and len(est.history_) == 4 and est.n_iter_ == 4
    np.testing.assert_array_equal(est.predict_proba(X), proba)


class _RaiseAtBatch(hl.Callback):
    """Raises (``error``) at this call's batch ``at``: mid-epoch, after some steps and running-statistics updates."""

    def __init__(self, at: int | None, error: type[BaseException] = RuntimeError) -> None:
        self.at, self.seen, self.error = at, 0, error

    def on_train_begin(self, **kwargs: Any) -> None:
        self.seen = 0

    def on_batch_end(self, **kwargs: Any) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise self.error(f"callback failed at batch {self.seen}")


def _state(est: hl.MLPClassifier) -> dict[str, Any]:
    """Everything a partial_fit may change, deep-copied for comparison."""
    return {
        "state_dict": {k: v.detach().clone() for k, v in est.network_.state_dict().items()},
        "history": copy.deepcopy(est.history_.to_dict()),
        "attrs": {k: copy.deepcopy(getattr(est, k)) for k in ("loss_curve_", "n_iter_", "t_", "loss_", "best_loss_", "stop_reason_")},
        "optimizer": copy.deepcopy(est._optimizer_state),
    }


def _assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for k, v in a["state_dict"].items():
        assert torch.equal(v, b["state_dict"][k]), k
    assert a["history"] == b["history"] and a["attrs"] == b["attrs"]
    assert a["optimizer"].keys() == b["optimizer"].keys()
    for k, v in a["optimizer"].items():
        assert torch.equal(v, b["optimizer"][k]) if isinstance(v, torch.Tensor) else v == b["optimizer"][k], k


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt, ValueError])
def test_a_partial_fit_that_raises_mid_epoch_leaves_the_model_exactly_as_it_was(error: type[BaseException]) -> None:
    # batch norm (buffers moved in place), gradient flow (history_.extra appended to), several steps taken before the error
    from hiddenlayers.lens import GradientFlow

    X, y = _data()
    cb = _RaiseAtBatch(None, error)
    est = hl.MLPClassifier(["16:relu:norm=batch", 8], batch_size=20, callbacks=[GradientFlow(), cb], random_state=0)
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1])
    before, proba, history = _state(est), est.predict_proba(X), est.history_
    assert before["history"]["extra"]["gradient_flow"] and before["state_dict"]["hidden1.norm.num_batches_tracked"] > 0

    cb.at = 4
    if error is KeyboardInterrupt:  # Ctrl-C mid-epoch: partial_fit stops like fit, keeps the weights before this epoch
        with pytest.warns(hl.InterruptedWarning):
            est.partial_fit(X, y)
        assert est.stop_reason_ == est.history_.stop_reason == "interrupted"  # one truth (before: stop_reason_ said "partial_fit")
    else:
        with pytest.raises(error, match=r"^callback failed at batch 4$"):
            est.partial_fit(X, y)
        _assert_same(_state(est), before)
        assert est.history_ is history  # rolled back in place (cut to its length), not swapped for a deep copy
        assert not est.network_.training and all(p.grad is None for p in est.network_.parameters())
        np.testing.assert_array_equal(est.predict_proba(X), proba)
    cb.at = None
    est.partial_fit(X, y)  # trains on
    assert len(est.history_) >= 4


def test_a_partial_fit_never_writes_into_what_the_restore_keeps_by_reference() -> None:
    """The promise that lets restored_on_error keep parameters and optimizer state by reference, not by copy."""
    X, y = _data()
    est = hl.MLPClassifier((8,), batch_size=30, random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    params = [p.data for p in est.network_.parameters()]  # the storages a failed call would put back
    values = [p.clone() for p in params]
    opt, opt_values = est._optimizer_state, copy.deepcopy(est._optimizer_state)
    history, rows = est.history_, est.history_.to_dict()
    est.partial_fit(X, y)
    assert all(torch.equal(p, v) for p, v in zip(params, values))  # training wrote into new storage
    assert not any(torch.equal(p.data, v) for p, v in zip(est.network_.parameters(), values))  # and it did train
    assert est._optimizer_state is not opt and opt.keys() == opt_values.keys()  # a new dict; the old one untouched
    assert all(torch.equal(opt[k], v) if isinstance(v, torch.Tensor) else opt[k] == v for k, v in opt_values.items())
    assert est.history_ is history and all(history.to_dict()[k][: len(v)] == v for k, v in rows.items() if isinstance(v, list))


def test_a_first_partial_fit_that_raises_leaves_no_classes() -> None:
    """partial_fit's first call set classes_ (and the label binarizer) before the guard: a call that failed on bad X left
    them, and the next call with the corrected classes was refused as 'not the same as on last call'."""
    from fit_helpers import assert_same_state, model_state

    X, y = _data()
    est = hl.MLPClassifier((8,), random_state=0)
    before = model_state(est)
    bad = X.copy()
    bad[5, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.partial_fit(bad, y, classes=[0, 1, 2])
    assert_same_state(model_state(est), before)
    assert not hasattr(est, "classes_")
    est.partial_fit(X, y, classes=[0, 1])  # the corrected classes
    assert list(est.classes_) == [0, 1]


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_fit_that_raises_puts_a_given_random_state_back(early_stopping: bool) -> None:
    """A RandomState given as random_state is drawn from (init, split, shuffling seed): a fit that raises late puts it
    back, so fitting again gives the model a first successful fit gives; before, the failed fit had moved it on."""
    from fit_helpers import assert_same_state, model_state

    X, y = _data()
    cb = _RaiseAt(3)
    est = hl.MLPClassifier((8,), max_iter=5, random_state=np.random.RandomState(0), callbacks=[cb], early_stopping=early_stopping)
    before = model_state(est)
    with pytest.raises(RuntimeError, match=r"^callback failed at epoch 3$"):
        est.fit(X, y)
    assert_same_state(model_state(est), before)
    cb.at = None
    quiet_fit(est, X, y)
    first = quiet_fit(hl.MLPClassifier((8,), max_iter=5, random_state=np.random.RandomState(0), early_stopping=early_stopping), X, y)
    for a, b in zip(est.coefs_, first.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("warm_start", [False, True])
def test_a_refit_that_raises_late_leaves_every_attribute_as_it_was(warm_start: bool) -> None:
    """Every attribute of a fitted model, compared after a fit that fails at epoch 3 (an int seed, early stopping)."""
    from fit_helpers import assert_same_state, model_state

    X, y = _data()
    cb = _RaiseAt(None)
    est = hl.MLPClassifier((8,), max_iter=4, random_state=0, callbacks=[cb], early_stopping=True, warm_start=warm_start)
    quiet_fit(est, X, y)
    before = model_state(est)
    cb.at = 3
    with pytest.raises(RuntimeError, match=r"^callback failed at epoch 3$"):
        est.fit(X, y)
    assert_same_state(model_state(est), before)


class _CtrlCAt(hl.Callback):
    """Ctrl-C after batch ``batch`` of epoch ``epoch`` of the history (None: never; the same batch hook either way)."""

    def __init__(self, epoch: int | None, batch: int = 2) -> None:
        self.epoch, self.batch, self.seen = epoch, batch, 0

    def on_epoch_begin(self, **kwargs: Any) -> None:
        self.seen = 0

    def on_batch_end(self, *, state: Any, **kwargs: Any) -> None:
        self.seen += 1
        if state.epoch == self.epoch and self.seen == self.batch:
            raise KeyboardInterrupt


def _same_optimizer_state(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys() and a["t"] == b["t"]
    for k, v in a.items():
        if isinstance(v, torch.Tensor):
            assert torch.equal(v, b[k]), k


@pytest.mark.parametrize("solver", ["adam", "sgd", "rmsprop"])
def test_ctrl_c_mid_epoch_keeps_the_optimizer_state_of_the_weights_it_keeps(solver: str) -> None:
    """Ctrl-C in epoch 4 puts back epoch 3's weights (the best) and now its moments and step count too: the model is the
    one a 3-epoch fit makes, and a warm fit resumes from a matching state. Before, the moments and step count kept the
    undone steps of epoch 4."""
    X, y = _data()
    kw = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=20, max_iter=10, n_iter_no_change=100, random_state=0)
    three = quiet_fit(hl.MLPClassifier(**{**kw, "max_iter": 3}, callbacks=[_CtrlCAt(None)]), X, y)
    assert three.history_.best_epoch == 3  # the loss fell every epoch: epoch 3 is the best
    cut = hl.MLPClassifier(**kw, callbacks=[_CtrlCAt(4)])
    with pytest.warns(hl.InterruptedWarning, match="restored the weights of epoch 3"):
        cut.fit(X, y)
    assert cut.n_iter_ == 3 and cut.stop_reason_ == "interrupted"
    for a, b in zip(cut.coefs_ + cut.intercepts_, three.coefs_ + three.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert cut._optimizer_state["t"] == 3 * 6  # 6 steps an epoch: epoch 4's 2 undone
    _same_optimizer_state(cut._optimizer_state, three._optimizer_state)


def test_ctrl_c_before_any_better_epoch_puts_the_optimizer_state_back_to_the_calls_start() -> None:
    """A partial_fit cut by Ctrl-C keeps the weights it began with, and now the optimizer state it began with too."""
    X, y = _data()
    cb = _CtrlCAt(None)
    est = hl.MLPClassifier((8,), batch_size=20, callbacks=[cb], random_state=0)
    for _ in range(2):
        est.partial_fit(X, y, classes=[0, 1])
    before = copy.deepcopy(est._optimizer_state)
    cb.epoch = 3
    with pytest.warns(hl.InterruptedWarning, match="epoch 2"):  # the weights this call began with
        est.partial_fit(X, y)
    _same_optimizer_state(est._optimizer_state, before)
    first = hl.MLPClassifier((8,), batch_size=20, callbacks=[_CtrlCAt(1)], random_state=0)
    with pytest.warns(hl.InterruptedWarning):
        first.fit(X, y)  # a first fit's first epoch: fresh moments, no steps
    assert first._optimizer_state["t"] == 0 and all(not v.any() for v in first._optimizer_state.values() if isinstance(v, torch.Tensor))


def test_ctrl_c_and_divergence_name_the_epoch_whose_weights_a_warm_call_keeps(tmp_path: Any) -> None:
    """partial_fit calls without early stopping whose lowest loss came before the last epoch: a call cut by Ctrl-C, or that
    diverges, before improving keeps the weights it began with (the last epoch's) and now says so. Before, both warnings
    named the history's best epoch, whose weights the model no longer held. After a divergence (its epoch recorded) the
    next call's warning still names those weights, not the last epoch of the history; held_epoch survives a model file."""
    X, y = _data()
    cb = _CtrlCAt(None)
    est = hl.MLPClassifier((8,), batch_size=20, learning_rate_init=0.5, callbacks=[cb], random_state=0)
    for _ in range(6):
        est.partial_fit(X, y, classes=[0, 1])
    best = est.history_.best_epoch
    assert best is not None and best < 6  # the lowest loss came before epoch 6
    six = [c.copy() for c in est.coefs_]
    began = r"restored the weights of epoch 6 \(the weights this call began with\)\."
    cb.epoch = 7
    with pytest.warns(hl.InterruptedWarning, match=began + "$"):
        est.partial_fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, six)) and est.history_.held_epoch == 6
    cb.epoch = None
    est.set_params(learning_rate_init=1e30)
    with pytest.warns(hl.DivergedWarning, match="training diverged at epoch 7: .*; " + began), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow on the way to NaN
        est.partial_fit(X, y)
    assert len(est.history_) == 7 and all(np.array_equal(a, b) for a, b in zip(est.coefs_, six))
    est.save(tmp_path / "m.safetensors")
    assert hl.load(tmp_path / "m.safetensors").history_.held_epoch == 6
    cb.epoch = 8
    with pytest.warns(hl.InterruptedWarning, match=began + "$"), warnings.catch_warnings():  # not epoch 7: its weights are gone
        warnings.simplefilter("ignore", RuntimeWarning)  # a step at the diverged epoch's rate, kept, before Ctrl-C
        est.partial_fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, six))


def test_a_history_from_before_held_epoch_was_kept_names_its_last_epoch() -> None:
    """A model file written before History.held_epoch existed loads with None: the weights a call begins with are then
    the last epoch's (what a run without Ctrl-C, divergence or restored best weights ends on)."""
    from hiddenlayers.training import History, held_at_start, kept_weights

    old = {k: v for k, v in History(epoch=[1, 2, 3], best_epoch=2, held_epoch=3).to_dict().items() if k != "held_epoch"}
    history = History.from_dict(old)
    assert history.held_epoch is None and held_at_start(history) == 3 and held_at_start(History()) is None
    assert kept_weights(3, this_run=False) == "epoch 3 (the weights this call began with)"
    assert kept_weights(4, this_run=True) == "epoch 4" and kept_weights(0, this_run=False) == "the start of this run"


# --- loss_threshold and max_time with solver="lbfgs": stopped after the iteration that crosses them -------------------------


class _Begins(hl.Callback):
    """Counts the iterations begun; advances ``clock`` (if any) by ``seconds`` at each, as a slow iteration would."""

    def __init__(self, clock: FakeClock | None = None, seconds: float = 0.0) -> None:
        self.clock, self.seconds, self.begun = clock, seconds, 0

    def on_epoch_begin(self, **kwargs: Any) -> None:
        self.begun += 1
        if self.clock is not None:
            self.clock.advance(self.seconds)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_lbfgs_stops_once_the_loss_falls_below_loss_threshold(kind: str) -> None:
    X, y = _data()
    cls, target = (hl.MLPClassifier, y) if kind == "classifier" else (hl.MLPRegressor, X[:, 0] + X[:, 1])
    free = quiet_fit(cls(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, random_state=0), X, target)
    curve = free.loss_curve_
    threshold = (curve[3] + curve[4]) / 2  # first crossed in iteration 5
    begins = _Begins()
    est = quiet_fit(cls(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, loss_threshold=threshold, callbacks=[begins], random_state=0), X, target)
    assert est.stop_reason_ == "loss_below"
    assert est.n_iter_ == 5 and est.loss_curve_ == pytest.approx(curve[:5])
    assert est.loss_ < threshold
    assert begins.begun == 5  # no iteration is begun after the stop


def test_lbfgs_stops_at_max_time_and_a_callbacks_stop_wins_over_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from hiddenlayers.training import _lbfgs

    X, y = _data()
    clock = FakeClock()
    monkeypatch.setattr(_lbfgs, "time", clock)
    est = quiet_fit(hl.MLPClassifier((8,), solver="lbfgs", max_iter=30, max_time=0.4, callbacks=[_Begins(clock, 0.15)], random_state=0), X, y)
    assert est.stop_reason_ == "time_limit" and est.n_iter_ == 3

    class _StopAtOne(hl.Callback):
        def on_epoch_end(self, *, state: Any, **kwargs: Any) -> None:
            state.stop_training = True

    est = quiet_fit(hl.MLPClassifier((8,), solver="lbfgs", max_iter=30, loss_threshold=1e9, callbacks=[_StopAtOne()], random_state=0), X, y)
    assert est.stop_reason_ == "callback" and est.n_iter_ == 1


def test_lbfgs_ignores_early_stopping_and_reports_no_validation_score() -> None:
    # L-BFGS trains on every row (scikit-learn's too), yet the fit reported validation_scores_ == [] and
    # best_validation_score_ == -inf, a score no validation ever gave (shown by `info` as the file's -inf marker)
    X, y = _data()
    clf = quiet_fit(hl.MLPClassifier((4,), solver="lbfgs", early_stopping=True, max_iter=20, random_state=0), X, y)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.t_ == X.shape[0] * clf.n_iter_  # every row trained: none held out
    assert "solver='lbfgs' trains on every row and ignores it" in " ".join(hl.MLPClassifier.__doc__.split())


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_a_several_output_regressor_records_and_stops_on_the_mean_over_outputs(engine: str) -> None:
    # at a step of ~0 the one-batch epoch's loss is the starting weights': scikit-learn's ½·mean over rows and outputs,
    # not ½·Σ over the outputs (3 times larger); loss_threshold (hl.LossBelow) and the divergence rule's start read it too
    X, Y = linnerud_scaled()
    hidden = (6,) if engine == "dense" else "6:dropout=0.0,5:norm=layer"  # a norm layer: the autograd step
    kw: dict[str, Any] = dict(hidden_layer_sizes=hidden, learning_rate_init=1e-30, alpha=0.0, random_state=0, dtype="float64")
    reg = quiet_fit(hl.MLPRegressor(max_iter=3, **kw), X, Y)
    half_mse = 0.5 * float(np.mean((reg.predict(X) - Y) ** 2))
    assert reg.loss_curve_ == pytest.approx([half_mse] * 3, rel=1e-12)
    assert reg.history_.start_loss == pytest.approx(half_mse, rel=1e-12)
    low = quiet_fit(hl.MLPRegressor(max_iter=3, loss_threshold=1.5 * half_mse, **kw), X, Y)  # above the mean, below the sum
    assert low.stop_reason_ == "loss_below" and low.n_iter_ == 1
