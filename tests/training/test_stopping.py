"""Every stopping rule stops for its reason; divergence and Ctrl-C keep the best weights."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl
from fit_helpers import FakeClock
from fit_helpers import quiet_fit as _fit
from hiddenlayers.training import STOP_REASONS, History, LossBelow, MaxEpochs, NoImprovement, TimeLimit


def test_max_epochs(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _fit(hl.MLPClassifier((8,), max_iter=4, random_state=0), X, y)
    assert clf.stop_reason_ == "max_epochs" and clf.n_iter_ == 4 and len(clf.history_) == 4
    assert clf.history_.stop_message == STOP_REASONS["max_epochs"]


def test_loss_below_threshold(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _fit(hl.MLPClassifier((16,), max_iter=500, learning_rate_init=0.01, loss_threshold=0.3, random_state=0), X, y)
    assert clf.stop_reason_ == "loss_below"
    assert clf.loss_curve_[-1] < 0.3 <= min(clf.loss_curve_[:-1])
    assert clf.n_iter_ < 500


def test_no_improvement_train_loss(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _fit(hl.MLPClassifier((8,), max_iter=500, tol=0.05, n_iter_no_change=3, random_state=0), X, y)
    assert clf.stop_reason_ == "no_improvement_train_loss"
    # sklearn's rule: stop after more than n_iter_no_change epochs without a tol-sized gain
    assert clf.n_iter_ == 5
    from sklearn.neural_network import MLPClassifier as SkMLP

    assert _fit(SkMLP((8,), max_iter=500, tol=0.05, n_iter_no_change=3, random_state=0), X, y).n_iter_ == clf.n_iter_


def test_no_improvement_validation_score_restores_best(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    clf = _fit(hl.MLPClassifier((8,), max_iter=500, early_stopping=True, n_iter_no_change=5, learning_rate_init=0.01, random_state=0), X, y)
    assert clf.stop_reason_ == "no_improvement_validation_score"
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ and clf.best_validation_score_ == max(scores)
    best_epoch = clf.history_.best_epoch
    assert scores[best_epoch - 1] == max(scores) and best_epoch < clf.n_iter_
    # the restored weights are those of the best epoch: replay training up to it
    replay = _fit(hl.MLPClassifier((8,), max_iter=best_epoch, early_stopping=True, n_iter_no_change=10**6, learning_rate_init=0.01, random_state=0), X, y)
    np.testing.assert_array_equal(replay.predict_proba(X), clf.predict_proba(X))


def test_time_limit(iris: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = iris
    clock = FakeClock().install(monkeypatch)

    class Slow(hl.Callback):
        def on_epoch_end(self, **kwargs: Any) -> None:
            clock.advance(0.02)

    clf = _fit(hl.MLPClassifier((8,), max_iter=10_000, n_iter_no_change=10**6, max_time=0.1, callbacks=[Slow()], random_state=0), X, y)
    assert clf.stop_reason_ == "time_limit"
    assert clf.n_iter_ == 6  # each epoch end adds 0.02 s, read at the next epoch: epoch 6 is the first at 0.1 s
    assert clf.history_.time[-1] >= 0.1


def test_callback_stops_training(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    seen: list[str] = []

    class StopAt3(hl.Callback):
        def on_train_begin(self, **kwargs: Any) -> None:
            seen.append("begin")

        def on_epoch_end(self, *, state: Any, logs: dict, **kwargs: Any) -> None:
            seen.append(f"epoch{logs['epoch']}")
            if logs["epoch"] == 3:
                state.stop_training = True

        def on_train_end(self, **kwargs: Any) -> None:
            seen.append("end")

    clf = _fit(hl.MLPClassifier((8,), max_iter=100, callbacks=[StopAt3()], random_state=0), X, y)
    assert clf.stop_reason_ == "callback" and clf.n_iter_ == 3
    assert seen == ["begin", "epoch1", "epoch2", "epoch3", "end"]


def test_a_divergence_keeps_no_exploded_weights() -> None:
    """Unscaled inputs, rate 1e6, 200 rows: one batch per epoch, so epoch 1's loss is the untrained network's and its one
    step sent the weights to ~1e20 (epoch 2's loss: inf). The fit restored those as "epoch 1" and predicted ~1e19; with
    no usable epoch before them it now raises scikit-learn's words for non-finite weights, and keeps nothing."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * 1000.0  # unscaled
    y = X @ rng.normal(size=5)
    reg = hl.MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e6, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither NumPy's overflow warnings nor a DivergedWarning before the error
        with pytest.raises(ValueError, match=r"^Solver produced non-finite parameter weights\. .* The loss became (nan|inf) at epoch 2, and no "
                                             r"earlier epoch is usable \(the weights epoch 1 ended with had already diverged\): lower "
                                             r"learning_rate_init \(now 1000000\.0\), scale the inputs, or set clip_grad_norm\.$"):
            reg.fit(X, y)
    assert not hasattr(reg, "coefs_")


def test_ctrl_c_keeps_best_weights(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    snapshots: list[np.ndarray] = []

    class CtrlC(hl.Callback):
        def on_epoch_end(self, *, network: Any, logs: dict, **kwargs: Any) -> None:
            snapshots.append(network.hidden1.linear.weight.detach().cpu().numpy().copy())
            if logs["epoch"] == 3:
                raise KeyboardInterrupt

    clf = hl.MLPClassifier((8,), max_iter=100, callbacks=[CtrlC()], random_state=0, learning_rate_init=0.01)
    with pytest.warns(hl.InterruptedWarning, match=r"^training interrupted by the user; restored the weights of epoch 3\.$"):
        clf.fit(X, y)
    assert clf.stop_reason_ == "interrupted" and clf.n_iter_ == 3
    assert clf.history_.best_epoch == 3  # the loss fell every epoch
    np.testing.assert_array_equal(clf.coefs_[0], snapshots[2].T)
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_ctrl_c_in_the_first_epoch_leaves_a_fitted_model_at_its_start(iris) -> None:  # type: ignore[no-untyped-def]
    X, y = iris

    class CtrlCAtFirstBatch(hl.Callback):
        def on_batch_end(self, **kwargs: Any) -> None:
            raise KeyboardInterrupt

    clf = hl.MLPClassifier((8,), max_iter=5, callbacks=[CtrlCAtFirstBatch()], random_state=0)
    with pytest.warns(hl.InterruptedWarning, match=r"restored the weights of the start of this run\.$"):
        clf.fit(X, y)  # raised IndexError (loss_ of an empty history)
    assert clf.stop_reason_ == "interrupted" and clf.n_iter_ == 0 and clf.loss_curve_ == [] and np.isnan(clf.loss_)
    assert clf.predict(X).shape == y.shape


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_ctrl_c_in_a_callbacks_on_train_begin_stops_the_run_as_in_an_epoch(iris, solver: str) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C while a callback's on_train_begin runs (before the first step) came through as a raw KeyboardInterrupt, while
    Ctrl-C one batch later gave InterruptedWarning and a model; now one rule: the run ends 'interrupted' with the weights it
    began with, a warm fit's trained ones untouched, and every callback's on_train_end still runs."""
    X, y = iris

    class CtrlCAtBegin(hl.Callback):
        armed, ended = True, 0

        def on_train_begin(self, **kwargs: Any) -> None:
            if self.armed:
                raise KeyboardInterrupt

        def on_train_end(self, **kwargs: Any) -> None:
            self.ended += 1

    cb = CtrlCAtBegin()
    clf = hl.MLPClassifier((8,), max_iter=5, solver=solver, callbacks=[cb], random_state=0, warm_start=True)
    with pytest.warns(hl.InterruptedWarning, match=r"restored the weights of the start of this run\.$"):
        clf.fit(X, y)
    assert clf.stop_reason_ == clf.history_.stop_reason == "interrupted" and clf.n_iter_ == 0 and np.isnan(clf.loss_)
    assert clf.predict(X).shape == y.shape and cb.ended == 1
    cb.armed = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)  # trains 5 epochs (iterations)
    trained, proba = len(clf.history_), clf.predict_proba(X)
    cb.armed = True
    with pytest.warns(hl.InterruptedWarning):
        clf.fit(X, y)  # a warm fit cut before its first step keeps the trained weights
    assert clf.stop_reason_ == "interrupted" and clf.n_iter_ == 0 and len(clf.history_) == trained and cb.ended == 3
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


# ------------------------------------------------------------- the rule objects
def _history(losses: list[float], times: list[float] | None = None) -> History:
    h = History()
    for i, v in enumerate(losses, start=1):
        h.epoch.append(i)
        h.train_loss.append(v)
        h.time.append(times[i - 1] if times else float(i))
    return h


def test_rule_objects_and_combination() -> None:
    assert MaxEpochs(3)(_history([1, 1])) is None
    assert MaxEpochs(3)(_history([1, 1, 1])) == "max_epochs"
    assert LossBelow(0.5)(_history([1, 0.6])) is None
    assert LossBelow(0.5)(_history([1, 0.4])) == "loss_below"
    assert TimeLimit(2.5)(_history([1, 1], [1.0, 2.0])) is None
    assert TimeLimit(2.5)(_history([1, 1, 1], [1.0, 2.0, 3.0])) == "time_limit"
    rule = MaxEpochs(10) | LossBelow(0.1) | TimeLimit(100)
    assert repr(rule) == "MaxEpochs(10) | LossBelow(0.1) | TimeLimit(100.0)"
    assert rule(_history([0.05])) == "loss_below"
    assert rule(_history([1.0] * 10)) == "max_epochs"
    ni = NoImprovement("train_loss", tol=0.1, patience=2)
    for v in (1.0, 0.95, 0.93):
        ni.update(v)
    assert ni(_history([1.0])) is None
    ni.update(0.92)
    assert ni(_history([1.0])) == "no_improvement_train_loss"
    with pytest.raises(ValueError, match=r"^NoImprovement monitor must be 'train_loss', 'val_score' or 'val_loss'\. Received: monitor='acc'\.$"):
        NoImprovement("acc")


def test_history_round_trip() -> None:
    h = _history([1.0, 0.5])
    h.stop_reason, h.best_epoch = "max_epochs", 2
    assert History.from_dict(h.to_dict()) == h


@pytest.mark.parametrize("resumed", [False, True])
def test_train_called_directly_stops_at_max_epochs(iris: tuple[np.ndarray, np.ndarray], resumed: bool) -> None:
    # train() without any stopping rule used to loop for ever: max_epochs alone must bound the call
    import torch

    from hiddenlayers.network import Network
    from hiddenlayers.training import get_loss, train

    X, y = iris
    net = Network(4, "8", 3)
    Xt = torch.tensor(X, dtype=torch.float32)
    Yt = torch.nn.functional.one_hot(torch.tensor(y), 3).float()
    history = History()
    if resumed:
        train(net, Xt, Yt, loss=get_loss("log_loss"), max_epochs=2, history=history)
    res = train(net, Xt, Yt, loss=get_loss("log_loss"), max_epochs=3, history=history)
    assert res.history.epoch == list(range(1, 6 if resumed else 4))
    assert res.history.stop_reason == "max_epochs"
    with pytest.raises(ValueError, match=r"^max_epochs must be an integer >= 1 \(the most epochs this call trains\)\. Received: max_epochs=0\.$"):
        train(net, Xt, Yt, loss=get_loss("log_loss"), max_epochs=0)


@pytest.mark.parametrize(
    ("callbacks", "message"),
    [
        ([object()], r"callbacks\[0\] is <object object"),
        ([hl.Callback(), lambda **kw: None], r"callbacks\[1\] is <function"),
        ("cb", r"must be a list of hl.Callback objects. Received: 'cb'"),
        (hl.Callback(), r"wrap one in a list: callbacks=\[cb\]"),
        # the class, not a callback made from it: "subclass hiddenlayers.Callback" was no fix for what already is one
        ([hl.CSVLogger], r"^callbacks\[0\] is the class CSVLogger, not a callback made from it: pass callbacks=\[CSVLogger\(path\)\]\.$"),
        ([hl.Callback(), hl.lens.GradientFlow], r"^callbacks\[1\] is the class GradientFlow, not a callback made from it: pass callbacks=\[GradientFlow\(\)\]\.$"),
        ([hl.BackupAndRestore], r"pass callbacks=\[BackupAndRestore\(backup_dir\)\]\.$"),
        # a stopping rule where Keras puts EarlyStopping: "subclass hiddenlayers.Callback" sent the user the wrong way
        ([hl.NoImprovement(patience=3)], r"^callbacks\[0\] is NoImprovement\(monitor='train_loss', tol=0\.0001, patience=3\), a stopping rule, not "
                                         r"a callback: pass it to hl\.train\(\.\.\., stopping=NoImprovement\(monitor='train_loss', tol=0\.0001, "
                                         r"patience=3\)\); an estimator takes the same rules as its max_iter, loss_threshold, max_time and "
                                         r"n_iter_no_change \(with early_stopping=True for the validation score\)\.$"),
        ([hl.Callback(), hl.LossBelow(0.5) | hl.TimeLimit(5)], r"^callbacks\[1\] is LossBelow\(0\.5\) \| TimeLimit\(5\.0\), a stopping rule"),
    ],
)
def test_callbacks_that_are_not_callback_objects_get_one_clear_error(iris: tuple[np.ndarray, np.ndarray], callbacks: Any, message: str) -> None:
    """A function or duck-typed object in place of an hl.Callback: a TypeError naming it, from fit and from train()."""
    X, y = iris
    with pytest.raises(TypeError, match=message):
        hl.MLPClassifier((4,), max_iter=2, callbacks=callbacks).fit(X, y)
    import torch

    from hiddenlayers.training import train

    net = hl.Network(4, "4", 3)
    with pytest.raises(TypeError, match=message):
        train(net, torch.zeros(6, 4), torch.zeros(6, 3), loss="squared_error", callbacks=callbacks, max_epochs=1)



class _KerasHook(hl.Callback):
    """A hook written as Keras' ``on_epoch_end(self, epoch, logs=None)``."""

    def __init__(self) -> None:
        self.calls = 0

    def on_epoch_end(self, epoch, logs=None):  # type: ignore[override]
        self.calls += 1


class _KeywordsNoKwargs(hl.Callback):
    def on_batch_end(self, *, network, history, state):  # type: ignore[override]
        pass


@pytest.mark.parametrize(("make", "message"), [
    (_KerasHook, r"^callbacks\[1\] \(_KerasHook\)\.on_epoch_end\(epoch, logs=None\) must take \*\*kwargs: the fit calls each hook "
                 r"with keywords only .*not Keras' \(epoch, logs\); define it as def on_epoch_end\(self, \*\*kwargs\)"),
    (_KeywordsNoKwargs, r"^callbacks\[1\] \(_KeywordsNoKwargs\)\.on_batch_end\(\*, network, history, state\) must take \*\*kwargs"),
])
def test_a_hook_without_kwargs_is_refused_before_any_epoch(iris: tuple[np.ndarray, np.ndarray], make: Any, message: str) -> None:
    """Before: the first epoch ran, then Python's "unexpected keyword argument 'network'" (on_batch_end: 'batch_loss'),
    which did not say how a hook is called. Now one line naming the hook and its fix, before any step, and the
    estimator stays unfitted; from train() too."""
    X, y = iris
    cb = make()
    clf = hl.MLPClassifier((4,), max_iter=2, callbacks=[hl.Callback(), cb])
    with pytest.raises(TypeError, match=message) as info:
        clf.fit(X, y)
    assert "\n" not in str(info.value)
    assert getattr(cb, "calls", 0) == 0 and not hasattr(clf, "coefs_")
    import torch

    from hiddenlayers.training import train

    with pytest.raises(TypeError, match=message):
        train(hl.Network(4, "4", 3), torch.zeros(6, 4), torch.zeros(6, 3), loss="squared_error", callbacks=[hl.Callback(), cb], max_epochs=1)



@pytest.mark.parametrize(("name", "message"), [
    ("stop_trainng", r"^TrainState has no attribute 'stop_trainng': did you mean 'stop_training'\? its attributes are epoch, "
                     r"stop_training, start_time, averaging, resumed_epochs; a callback stops the fit with state\.stop_training = True"),
    ("should_stop", r"^TrainState has no attribute 'should_stop': its attributes are epoch, stop_training, start_time, averaging, resumed_epochs"),
])
def test_a_misspelt_stop_flag_is_an_error_not_a_fit_that_runs_on(iris: tuple[np.ndarray, np.ndarray], name: str, message: str) -> None:
    """Before: ``state.stop_trainng = True`` (or Lightning's ``should_stop``) set an attribute nothing read and the
    fit ran on to max_iter. Now an AttributeError naming the field; the spelt flag still stops the fit."""
    X, y = iris

    class Flag(hl.Callback):
        def __init__(self, attr: str) -> None:
            self.attr = attr

        def on_epoch_end(self, *, logs: dict[str, Any], state: Any, **kwargs: Any) -> None:
            if logs["epoch"] == 2:
                setattr(state, self.attr, True)

    with pytest.raises(AttributeError, match=message):
        _fit(hl.MLPClassifier((4,), max_iter=5, random_state=0, callbacks=[Flag(name)]), X, y)
    clf = _fit(hl.MLPClassifier((4,), max_iter=5, random_state=0, callbacks=[Flag("stop_training")]), X, y)
    assert (clf.n_iter_, clf.stop_reason_) == (2, "callback")


@pytest.mark.parametrize(("make", "exc", "message"), [
    (lambda: MaxEpochs(0), ValueError, "MaxEpochs n must be an integer >= 1 (the epoch after which training stops). Received: n=0."),
    (lambda: MaxEpochs(-1), ValueError, "MaxEpochs n must be an integer >= 1 (the epoch after which training stops). Received: n=-1."),
    (lambda: MaxEpochs(2.7), TypeError, "MaxEpochs n must be an integer >= 1 (the epoch after which training stops). Received: n=2.7; pass a whole number."),
    (lambda: TimeLimit(-1), ValueError, "TimeLimit seconds must be a number > 0 (wall time; inf for none). Received: seconds=-1."),
    (lambda: TimeLimit(float("nan")), ValueError, "TimeLimit seconds must be a number > 0 (wall time; inf for none). Received: seconds=nan."),
    (lambda: LossBelow(float("nan")), ValueError, "LossBelow threshold must be a number (the value to fall below). Received: threshold=nan."),
    (lambda: LossBelow(0.1, monitor="val_los"), ValueError,
     "LossBelow monitor must be 'train_loss', 'val_score' or 'val_loss'. Received: monitor='val_los'. Did you mean 'val_loss'?"),
    (lambda: NoImprovement(patience=-1), ValueError,
     "NoImprovement patience must be an integer >= 0 (epochs without progress before stopping). Received: patience=-1."),
    (lambda: NoImprovement(tol=-1), ValueError,
     "NoImprovement tol must be a finite number >= 0 (the least change that counts as progress). Received: tol=-1."),
    (lambda: NoImprovement(tol=float("nan")), ValueError,
     "NoImprovement tol must be a finite number >= 0 (the least change that counts as progress). Received: tol=nan."),
    (lambda: MaxEpochs(3) | 5, TypeError, "each rule joined with | (AnyOf) must be a stopping rule (hl.MaxEpochs, hl.LossBelow, "
     "hl.NoImprovement, hl.TimeLimit, or several joined with |). Received: 5; for a number of epochs pass hl.MaxEpochs(5)."),
])
def test_rule_constructors_refuse_nonsense(make: Any, exc: type[Exception], message: str) -> None:
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        make()


def test_rule_values_the_estimators_pass_are_kept() -> None:
    assert NoImprovement(tol=0, patience=10**12).patience == 10**12
    assert NoImprovement(tol=0.0, patience=0).tol == 0.0
    assert TimeLimit(float("inf")).seconds == float("inf") and MaxEpochs(2.0).n == 2


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_improvement_tol_is_finite_and_not_negative(tol: float) -> None:
    if tol >= 0 and tol != float("inf"):
        assert NoImprovement(tol=tol).tol == tol
    else:
        with pytest.raises(ValueError, match=r"^NoImprovement tol must be a finite number >= 0 "):
            NoImprovement(tol=tol)


def test_history_to_frame_is_one_row_per_epoch() -> None:
    """Keras users plot ``pd.DataFrame(history.history)``; ``pd.DataFrame(history_.to_dict())`` raised pandas' 'Mixing
    dicts with non-Series' (the run's scalars sit beside the lists), so ``to_frame`` gives the per-epoch columns."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8,), max_iter=7, early_stopping=True, n_iter_no_change=50, random_state=0).fit(X, y)
    frame = clf.history_.to_frame()
    assert list(frame.columns) == ["train_loss", "val_loss", "val_score", "lr", "time"]
    assert frame.index.name == "epoch" and list(frame.index) == [1, 2, 3, 4, 5, 6, 7]
    np.testing.assert_array_equal(frame["train_loss"], clf.loss_curve_)
    np.testing.assert_array_equal(frame["val_score"], clf.validation_scores_)
    older = hl.History(epoch=[1, 2], train_loss=[0.5, 0.4])  # a history with the loss alone
    assert list(older.to_frame().columns) == ["train_loss"]


def test_history_repr_is_one_line_with_the_key_numbers() -> None:
    """`clf.history_` ending a REPL line printed every epoch's lists; the repr names epochs, losses, best score, stop reason."""
    n = 300
    h = History(epoch=list(range(1, n + 1)), train_loss=[1.0 / e for e in range(1, n + 1)], val_loss=[0.5] * n,
                val_score=[float("nan")] + [0.5 + e / 1000 for e in range(2, n + 1)], lr=[0.001] * n, time=[0.1 * e for e in range(n)],
                stop_reason="max_epochs")
    line = repr(h)
    assert line == ("History(epochs=300, train_loss 1 -> 0.003333, best val_score 0.8 at epoch 300, stop_reason='max_epochs'; "
                    ".to_frame() has every epoch)")
    assert repr(History()) == "History(epochs=0; .to_frame() has every epoch)"
    assert str(h).splitlines()[0].split() == ["train_loss", "val_loss", "val_score", "lr", "time"] and "<table" in h._repr_html_()
