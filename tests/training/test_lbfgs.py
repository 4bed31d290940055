"""L-BFGS under Ctrl-C: stopped like the stochastic solvers, with the best weights evaluated and a warning."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import hiddenlayers as hl
from hiddenlayers.training import History, _lbfgs, fit_lbfgs, get_loss


class _CtrlCAfter:
    """Wrap the step ``make_step`` builds: its call number ``k + 1`` raises KeyboardInterrupt, as Ctrl-C inside SciPy would."""

    def __init__(self, k: int) -> None:
        self.k, self.calls, self.losses, self.thetas = k, 0, [], []

    def __call__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = _lbfgs.make_step
        spy = self

        def make_step(network: Any, loss: Any, flat: Any, *args: Any, **kwargs: Any) -> Any:
            stepper = real(network, loss, flat, *args, **kwargs)
            step = stepper.step

            def interrupted(*a: Any) -> Any:
                if spy.calls == spy.k:
                    raise KeyboardInterrupt
                spy.calls += 1
                spy.thetas.append(flat.data.detach().clone())
                return step(*a)

            stepper.step = interrupted
            return stepper

        monkeypatch.setattr(_lbfgs, "make_step", make_step)


def _problem() -> tuple[hl.Network, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    X = rng.rand(80, 4)
    y = (X[:, 0] > X[:, 1]).astype(int)
    net = hl.Network(4, hl.Spec.parse([6]), 2).double()
    return net, X, np.eye(2)[y]


def _loss_of(net: hl.Network, X: np.ndarray, Y: np.ndarray, alpha: float) -> float:
    """The penalised mean loss fit_lbfgs minimises, computed here with autograd's pieces."""
    with torch.no_grad():
        p = torch.softmax(net(torch.as_tensor(X)), 1)
        data = float(-(torch.as_tensor(Y) * torch.log(p)).sum()) / len(X)
        l2 = sum(float((lin.weight**2).sum()) for lin in net.linears())
    return data + 0.5 * alpha * l2 / len(X)


@pytest.mark.parametrize("k", [0, 1, 12])
def test_ctrl_c_keeps_the_lowest_loss_evaluated_and_warns(monkeypatch: pytest.MonkeyPatch, k: int) -> None:
    net, X, Y = _problem()
    start = [p.detach().clone() for p in net.parameters()]
    ctrl_c = _CtrlCAfter(k)
    ctrl_c(monkeypatch)
    where = "the start of this run" if k <= 1 else r"the lowest loss evaluated \([0-9.e-]+, in iteration \d+\)"
    with pytest.warns(hl.InterruptedWarning, match=rf"^training interrupted by the user; restored the weights of {where}\.$"):
        history, res = fit_lbfgs(net, X, Y, loss=get_loss("log_loss"), alpha=1e-3, sample_weight=None,
                                 max_iter=200, max_fun=15000, tol=1e-8, history=History())
    assert history.stop_reason == "interrupted" and res.status == -1 and not res.success
    assert res.nit == len(history) and all(len(v) == len(history) for v in (history.train_loss, history.time, history.lr))
    assert not net.training and all(p.grad is None for p in net.parameters())
    if k == 0:  # nothing evaluated: the model is as it was
        assert np.isnan(res.fun)
        assert all(torch.equal(p, s) for p, s in zip(net.parameters(), start))
        return
    assert res.fun == pytest.approx(_loss_of(net, X, Y, 1e-3), rel=1e-9)  # the kept weights are the ones whose loss is reported
    assert res.fun <= min(history.train_loss, default=np.inf)  # at least as good as every completed iteration
    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    assert any(torch.equal(flat, t) for t in ctrl_c.thetas)  # one of the points SciPy evaluated


def test_an_estimator_interrupted_in_lbfgs_is_fitted_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.RandomState(0)
    X = rng.rand(100, 5)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    _CtrlCAfter(15)(monkeypatch)
    est = hl.MLPClassifier((8,), solver="lbfgs", max_iter=200, random_state=0)
    with pytest.warns(hl.InterruptedWarning, match=r"^training interrupted by the user; restored the weights of the lowest loss"):
        est.fit(X, y)
    assert est.stop_reason_ == "interrupted" and est.history_.stop_reason == "interrupted"
    assert 0 < est.n_iter_ < 15 and len(est.loss_curve_) == est.n_iter_ == len(est.history_)
    assert np.isfinite(est.loss_) and est.loss_ <= min(est.loss_curve_) and est.best_loss_ == est.loss_
    assert est.t_ == X.shape[0] * est.n_iter_
    assert est.predict_proba(X).shape == (100, 2) and est.score(X, y) > 0.5
    monkeypatch.undo()  # a usable model: it trains on, and saves
    est.set_params(warm_start=True).fit(X, y)
    assert est.stop_reason_ in ("converged", "max_epochs")


class _CtrlCAtCallback(hl.Callback):
    """Ctrl-C in the first batch of epoch ``epoch`` of the history (a stochastic warm call's)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_batch_end(self, *, state: Any, **kwargs: Any) -> None:
        if state.epoch == self.epoch:
            raise KeyboardInterrupt


def _ctrl_c_in_scipys_report(monkeypatch: pytest.MonkeyPatch, k: int) -> None:
    """Ctrl-C as SciPy reports iteration ``k``: its point was evaluated (and kept) but is not in the history yet."""
    real = _lbfgs.minimize

    def minimize(*args: Any, callback: Any, **kwargs: Any) -> Any:
        reports = iter(range(1, 10**6))

        def cut(intermediate_result: Any) -> None:  # the name SciPy looks for to pass its OptimizeResult
            if next(reports) == k:
                raise KeyboardInterrupt
            callback(intermediate_result)

        return real(*args, callback=cut, **kwargs)

    monkeypatch.setattr(_lbfgs, "minimize", minimize)


@pytest.mark.parametrize("where", ["evaluation", "report"])
def test_held_epoch_is_the_iteration_whose_weights_ctrl_c_keeps(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """History.held_epoch after L-BFGS is the iteration the kept weights come from, which the L-BFGS warning names; the
    history ends on it. Before, held_epoch was not set: a later warm call took the last recorded iteration for the
    weights it began with, one before the kept point when Ctrl-C landed as SciPy reported an iteration."""
    net, X, Y = _problem()
    if where == "evaluation":
        _CtrlCAfter(12)(monkeypatch)
    else:
        _ctrl_c_in_scipys_report(monkeypatch, 6)
    with pytest.warns(hl.InterruptedWarning, match=r"in iteration (\d+)\)\.$") as record:
        history, res = fit_lbfgs(net, X, Y, loss=get_loss("log_loss"), alpha=1e-3, sample_weight=None,
                                 max_iter=200, max_fun=15000, tol=1e-8, history=History())
    named = int(str(record[0].message).rsplit("iteration ", 1)[1].rstrip(").")) if record else None
    assert history.held_epoch == named == len(history) == res.nit and history.epoch == list(range(1, named + 1))
    assert history.train_loss[-1] == res.fun == pytest.approx(_loss_of(net, X, Y, 1e-3), rel=1e-9)  # the row is the kept weights'
    assert all(len(v) == len(history) for v in (history.train_loss, history.val_loss, history.val_score, history.lr, history.time))
    if where == "report":
        assert named == 6  # iteration 6's point, evaluated before SciPy could report it


def test_a_warm_call_after_an_interrupted_lbfgs_names_the_weights_it_began_with(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm adam call cut by Ctrl-C before it improves keeps the weights L-BFGS kept, and its warning names their
    iteration (before: the last iteration SciPy had reported, whose weights the model did not hold)."""
    rng = np.random.RandomState(0)
    X = rng.rand(100, 5)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    _ctrl_c_in_scipys_report(monkeypatch, 8)
    est = hl.MLPClassifier((8,), solver="lbfgs", max_iter=200, random_state=0)
    with pytest.warns(hl.InterruptedWarning, match=r"in iteration 8\)\.$"):
        est.fit(X, y)
    assert est.history_.held_epoch == est.n_iter_ == 8 and est.loss_curve_[-1] == est.loss_
    monkeypatch.undo()
    kept = [c.copy() for c in est.coefs_]
    est.set_params(solver="adam", warm_start=True, batch_size=20, callbacks=[_CtrlCAtCallback(9)])
    with pytest.warns(hl.InterruptedWarning, match=r"restored the weights of epoch 8 \(the weights this call began with\)\.$"):
        est.fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, kept))


def test_held_epoch_after_a_full_lbfgs_run_is_its_last_iteration() -> None:
    from sklearn.exceptions import ConvergenceWarning

    net, X, Y = _problem()
    with pytest.warns(ConvergenceWarning):
        history, res = fit_lbfgs(net, X, Y, loss=get_loss("log_loss"), alpha=1e-3, sample_weight=None,
                                 max_iter=5, max_fun=15000, tol=1e-8, history=History())
    assert history.held_epoch == len(history) == res.nit == 5


def _data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    return make_moons(120, noise=0.2, random_state=0)


class _Seen(hl.Callback):
    """Every hook call, in order, with the epoch the history ends on and the network's weights at each epoch's end."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.weights: list[np.ndarray] = []
        self.stop_after = stop_after

    def on_train_begin(self, **kw: Any) -> None:
        self.calls.append(("train_begin", len(kw["history"])))

    def on_epoch_begin(self, **kw: Any) -> None:
        self.calls.append(("epoch_begin", kw["epoch"]))

    def on_batch_end(self, **kw: Any) -> None:
        assert np.isfinite(float(kw["batch_loss"]))
        self.calls.append(("batch_end", kw["state"].epoch))

    def on_epoch_end(self, **kw: Any) -> None:
        epoch = kw["history"].epoch[-1]
        self.calls.append(("epoch_end", epoch))
        self.weights.append(kw["network"].hidden1.linear.weight.detach().clone().numpy())
        if self.stop_after is not None and epoch >= self.stop_after:
            kw["state"].stop_training = True

    def on_train_end(self, **kw: Any) -> None:
        self.calls.append(("train_end", len(kw["history"])))


def test_lbfgs_runs_the_callbacks_once_per_iteration_without_changing_the_fit() -> None:
    """solver='lbfgs' used to drop callbacks= silently (a Timelapse stayed empty); each iteration is now an epoch to them."""
    X, y = _data()
    plain = hl.MLPClassifier((6,), solver="lbfgs", max_iter=8, random_state=0)
    seen = _Seen()
    watched = hl.MLPClassifier((6,), solver="lbfgs", max_iter=8, random_state=0, callbacks=[seen])
    with pytest.warns(Warning):
        plain.fit(X, y)
    with pytest.warns(Warning):
        watched.fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(plain.coefs_, watched.coefs_))
    n = watched.n_iter_
    ends = [e for kind, e in seen.calls if kind == "epoch_end"]
    assert ends == list(range(1, n + 1))
    assert seen.calls[0] == ("train_begin", 0) and seen.calls[-1] == ("train_end", n)
    assert sum(kind == "batch_end" for kind, _ in seen.calls) >= 1
    np.testing.assert_array_equal(seen.weights[-1], watched.coefs_[0].T)  # the network holds the iterate at each epoch's end


def test_lbfgs_stops_when_a_callback_asks() -> None:
    X, y = _data()
    est = hl.MLPClassifier((6,), solver="lbfgs", max_iter=50, random_state=0, callbacks=[_Seen(stop_after=3)]).fit(X, y)
    assert est.n_iter_ == 3 and est.stop_reason_ == "callback" and len(est.loss_curve_) == 3


def test_timelapse_records_an_lbfgs_fit() -> None:
    X, y = _data()
    tl = hl.lens.Timelapse(X, y, every=2, resolution=8)
    with pytest.warns(Warning):
        est = hl.MLPClassifier((6,), solver="lbfgs", max_iter=6, random_state=0, callbacks=[tl]).fit(X, y)
    assert tl.epochs == [0, 2, 4, 6] and est.n_iter_ == 6
    proba = est.predict_proba(tl.plane.grid())
    np.testing.assert_allclose(tl.frame().output.reshape(-1), proba[:, 1] if proba.shape[1] == 2 else proba.argmax(1), atol=1e-5)


def test_a_warm_lbfgs_fit_goes_on_with_its_history() -> None:
    """A warm L-BFGS fit numbers its iterations after the last, as a warm adam fit does: history_, loss_curve_ and a
    callback see the same epochs; n_iter_ is this call's iterations (scikit-learn's warm L-BFGS), t_ adds this call's
    samples. Before, each L-BFGS call began a fresh history_ (epochs 1.. again) while the callback numbered on."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    seen: list[int] = []

    class Epochs(hl.Callback):
        def on_epoch_end(self, *, history: History, **kwargs: Any) -> None:
            seen.append(history.epoch[-1])

    est = hl.MLPClassifier((6,), solver="lbfgs", max_iter=4, random_state=0, warm_start=True, callbacks=[Epochs()])
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    first_curve, first_time = list(est.loss_curve_), est.history_.time[-1]
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert est.history_.epoch == seen == list(range(1, 9)) and est.history_.held_epoch == 8
    assert est.n_iter_ == 4 and est.loss_curve_[:4] == first_curve and len(est.loss_curve_) == 8
    assert est.loss_curve_[-1] == pytest.approx(est.loss_) and est.loss_ <= first_curve[-1]
    assert est.t_ == len(X) * 8 and est.history_.time[4] >= first_time  # the clock runs on


def test_a_warm_lbfgs_call_cut_before_its_first_evaluation_holds_the_weights_it_began_with(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C before a warm call's first evaluation: no row added, n_iter_ 0, held_epoch the last epoch of the earlier call."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    est = hl.MLPClassifier((6,), solver="lbfgs", max_iter=3, random_state=0, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    kept = [c.copy() for c in est.coefs_]
    _CtrlCAfter(0)(monkeypatch)
    with pytest.warns(hl.InterruptedWarning, match="the start of this run"):
        est.fit(X, y)
    assert est.history_.epoch == [1, 2, 3] and est.history_.held_epoch == 3 and est.n_iter_ == 0
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, kept))


def test_a_run_that_spends_max_fun_says_so_not_max_epochs() -> None:
    """SciPy stops at ``max_fun`` loss evaluations long before ``max_iter``: ``stop_reason_`` said ``"max_epochs"``
    ("reached the maximum number of epochs") after 4 of 1000 iterations; it is ``"max_fun"``, with sklearn's warning."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    est = hl.MLPClassifier((8,), solver="lbfgs", max_iter=1000, max_fun=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="EVALUATIONS EXCEEDS LIMIT"):
        est.fit(X, y)
    assert est.n_iter_ < 1000
    assert est.stop_reason_ == "max_fun"
    assert est.history_.stop_message == hl.training.STOP_REASONS["max_fun"]
    assert "max_fun" in est.history_.stop_message


def test_a_run_that_spends_max_iter_stops_at_max_epochs() -> None:
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    est = hl.MLPClassifier((8,), solver="lbfgs", max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="ITERATIONS REACHED LIMIT"):
        est.fit(X, y)
    assert (est.n_iter_, est.stop_reason_) == (3, "max_epochs")


class _CtrlCAtFirstEpochBegin(hl.Callback):
    """Raises KeyboardInterrupt (Ctrl-C) in the first ``on_epoch_begin``, before any step or iteration."""

    def on_epoch_begin(self, **kw: Any) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_before_the_first_lbfgs_iteration_stops_it_as_the_stochastic_solvers_do() -> None:
    """L-BFGS's first ``on_epoch_begin`` ran outside its Ctrl-C handling: a KeyboardInterrupt there came through fit
    raw, where adam's fit stops with an InterruptedWarning. Now both keep the initial weights and say so."""
    X, y = _data()
    fits = {}
    for solver in ("lbfgs", "adam"):
        est = hl.MLPClassifier((8,), solver=solver, max_iter=20, random_state=0, callbacks=[_CtrlCAtFirstEpochBegin()])
        with pytest.warns(hl.InterruptedWarning, match="restored the weights of the start of this run"):
            est.fit(X, y)
        assert (est.stop_reason_, est.n_iter_, est.loss_curve_) == ("interrupted", 0, [])
        fits[solver] = est
    for a, b in zip(fits["lbfgs"].coefs_, fits["adam"].coefs_):  # the same initial weights (same random_state)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_best_loss_before_any_evaluation_is_inf_for_every_solver(solver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C before the first loss evaluation: best_loss_ is inf, scikit-learn's "no loss reached yet", for L-BFGS as for
    the stochastic solvers (L-BFGS gave NaN, its loss_ of nothing evaluated, which compares False with every loss)."""
    X, y = _data()

    class CtrlCAtFirstEpoch(hl.Callback):
        def on_epoch_begin(self, **kwargs: Any) -> None:
            raise KeyboardInterrupt

    est = hl.MLPClassifier((6,), solver=solver, max_iter=3, random_state=0, callbacks=[CtrlCAtFirstEpoch()])
    with pytest.warns(hl.InterruptedWarning):
        est.fit(X, y)
    assert est.best_loss_ == math.inf and np.isnan(est.loss_) and est.n_iter_ == 0
