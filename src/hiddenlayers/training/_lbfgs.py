"""Full-batch L-BFGS training through SciPy, as scikit-learn's ``solver="lbfgs"``.

The loss and its gradient come from the same step (hand-written engine or
autograd) as stochastic training, on the whole data set at once. The value
SciPy gets is the loss as the fit records it (``Loss.reported``), the gradient
``value``'s: for a regressor's several outputs the mean over them with the sum's
gradient, the pair scikit-learn's ``_loss_grad_lbfgs`` hands SciPy, so the line
search takes scikit-learn's steps (with the sum's value, a consistent pair, its
iterates were 0.13 off scikit-learn's weights after 40 iterations on linnerud;
``tests/estimators/test_sklearn_parity.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from scipy.optimize import OptimizeResult, minimize

from .._docsections import parameters_section
from .._stacklevel import user_stacklevel
from ._engine import make_step
from ._inputs import dense_rows, to_tensor
from ._losses import Loss
from ._optim import FlatParams
from ._stopping import STOP_REASONS, Callback, History, StoppingRule, TrainState, held_at_start, warn_interrupted


def _stepper(
    network: torch.nn.Module, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None, loss: Loss, alpha: float, engine: str,
) -> tuple[FlatParams, Any, tuple[Any, Any, Any], float]:
    """The flat parameters, the engine's step and the whole data in the engine's own array type (NumPy views on the
    CPU), converted once rather than per evaluation; ``denom`` the mean's divisor. A sparse ``X`` stays sparse (CSR)
    on the CPU's NumPy engine, whose first layer multiplies its stored values, as scikit-learn's L-BFGS does."""
    flat = FlatParams(network)
    stepper = make_step(network, loss, flat, alpha, engine)
    cv = getattr(stepper, "convert", lambda t: t)
    on_numpy = isinstance(cv(flat.data[:1]), np.ndarray)
    Xt, Yt, Wt, denom = _whole_data(network, X, Y, sample_weight, keep_sparse=on_numpy)
    return flat, stepper, (Xt if sp.issparse(Xt) else cv(Xt), cv(Yt), None if Wt is None else cv(Wt)), denom


def _objective(
    network: torch.nn.Module, flat: FlatParams, stepper: Any, data: tuple[Any, Any, Any], denom: float, alpha: float, kept: _Kept,
    history: History, state: TrainState, callbacks: Sequence[Callback], stopping: StoppingRule | None, t0: float,
) -> tuple[Any, Any, dict[str, str]]:
    """SciPy's ``fun`` (the penalised mean loss and its gradient at ``theta``, offered to ``kept``) and ``callback``
    (one history row per iteration, the callbacks, the stopping rule), and the dict where the stop's reason lands."""
    xs, ys, ws = data
    last: dict[str, Any] = {}  # the latest evaluation (theta, loss sum), for the callbacks' on_batch_end

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        flat.data.copy_(torch.from_numpy(theta))
        loss_sum = stepper.step(xs, ys, ws)
        value = float(loss_sum) / denom + 0.5 * alpha * float(flat.l2()) / denom
        kept.offer(theta, value, len(history.epoch))
        if callbacks:
            last["theta"], last["loss_sum"] = theta.copy(), float(loss_sum)
        return value, flat.grad.detach().cpu().double().numpy().copy()

    stopped: dict[str, str] = {}  # the reason a callback or the rule gave to stop

    def on_iter(intermediate_result: OptimizeResult) -> None:
        _append_row(history, len(history.epoch) + 1, float(intermediate_result.fun), t0)
        if callbacks:
            _iteration_end(callbacks, network, history, state, flat, last, intermediate_result.x)
        reason = "callback" if state.stop_training else (stopping(history) if stopping is not None else None)
        if reason:
            stopped["reason"] = reason
            raise StopIteration  # SciPy ends the run with this iterate (status 99)
        if callbacks:
            _epoch_begin(callbacks, network, history, state)

    return fun, on_iter, stopped


_FIT_LBFGS_PARAMETERS = """
Parameters
----------
network : torch.nn.Module
    The network, trained in place.
X : array-like of shape (n, in_features)
    All rows (the iteration's one batch).
Y : numpy.ndarray of shape (n, n_outputs)
    Their targets in the loss's form.
loss : Loss
    The loss.
alpha : float
    The L2 strength.
sample_weight : numpy.ndarray of shape (n,) or None
    Row weights (the loss is their weighted mean).
max_iter : int
    The most iterations.
max_fun : int
    The most loss evaluations.
tol : float
    SciPy's tolerance.
history : History
    A history with rows (a warm call) goes on: its iterations are numbered after the last row and its clock runs on,
    as :func:`train`'s epochs do; ``res.nit`` counts this call's.
engine : {"auto", "dense", "autograd"}
    As :func:`train` takes it.
callbacks : sequence of Callback
    See each iteration as an epoch: ``on_train_begin``, then ``on_epoch_begin`` / ``on_epoch_end`` around each
    iteration with the network holding that iteration's weights, then ``on_train_end`` with the weights kept;
    ``on_batch_end`` (``batch_loss``: the summed per-row losses as the fit records them, without the L2 term) once per iteration.
    ``state.stop_training = True`` stops after the iteration (``"callback"``).
stopping : StoppingRule, optional
    Asked after each iteration, once the callbacks have seen it: when it names a reason the run stops with that
    iterate; a callback's stop wins over it.
"""


@parameters_section(_FIT_LBFGS_PARAMETERS)
def fit_lbfgs(
    network: torch.nn.Module,
    X: Any,
    Y: np.ndarray,
    *,
    loss: Loss,
    alpha: float,
    sample_weight: np.ndarray | None,
    max_iter: int,
    max_fun: int,
    tol: float,
    history: History,
    engine: str = "auto",
    callbacks: Sequence[Callback] = (),
    stopping: StoppingRule | None = None,
) -> tuple[History, OptimizeResult]:
    """Minimise the penalised mean loss over all of ``(X, Y)`` with SciPy's L-BFGS-B; one history row per iteration.

    Ctrl-C (``KeyboardInterrupt``) stops SciPy as it stops the stochastic solvers: the network keeps the parameters of the
    lowest finite loss evaluated so far (its starting ones if none), ``history.stop_reason`` is ``"interrupted"``, an
    :class:`~hiddenlayers.exceptions.InterruptedWarning` says so, and the returned result's ``fun`` is that loss, ``nit``
    the iterations completed, ``status`` -1. When the kept point was evaluated in the iteration Ctrl-C cut, that iteration
    is recorded too, so the history ends on the weights the network holds. ``history.held_epoch`` is the iteration whose
    weights the network keeps. Returns ``(history, result)``.
    """
    flat, stepper, (xs, ys, ws), denom = _stepper(network, X, Y, sample_weight, loss, alpha, engine)
    network.train()
    before = len(history.epoch)
    kept = _Kept(flat.data.detach().cpu().double().numpy().copy(), held_at_start(history) or 0)
    state = TrainState()
    t0 = time.perf_counter() - (history.time[-1] if history.time else 0.0)  # a resumed history's clock runs on
    fun, on_iter, stopped = _objective(network, flat, stepper, (xs, ys, ws), denom, alpha, kept, history, state, callbacks, stopping, t0)

    try:  # an overflowing evaluation is said once by _stop_reason (kept.overflowed), not by NumPy's RuntimeWarnings, as in train()
        for cb in callbacks:  # Ctrl-C here, before the first evaluation, stops the run as in train(): the weights it began with
            cb.on_train_begin(network=network, history=history, state=state)
        if callbacks:  # the first iteration's begin: Ctrl-C there stops the run as in train(), not raw
            _epoch_begin(callbacks, network, history, state)
        with np.errstate(over="ignore", invalid="ignore"):
            res = minimize(
                fun, kept.x.copy(), method="L-BFGS-B", jac=True, callback=on_iter,
                options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
            )
    except KeyboardInterrupt:  # Ctrl-C: stop with the best weights evaluated, as the stochastic solvers do
        res = _interrupted(kept, history, t0, before)
    flat.data.copy_(torch.from_numpy(res.x))
    flat.release()
    network.eval()
    _record_stop(history, res, kept, stopped.get("reason"), max_iter)
    for cb in callbacks:
        cb.on_train_end(network=network, history=history, state=state)
    return history, res


def _whole_data(network: torch.nn.Module, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None,
                keep_sparse: bool = False) -> tuple[Any, Any, Any, float]:
    """``(X, Y, sample_weight, weight total)`` as tensors of the network's dtype and device: the one batch. A sparse ``X``
    is CSR of that dtype with ``keep_sparse`` (the NumPy engine), else made dense (:func:`dense_rows`: refused past 2 GiB)."""
    ref = next(network.parameters())
    dtype, device = ref.dtype, ref.device
    if sp.issparse(X) and keep_sparse:
        Xt = X.tocsr().astype(torch.empty(0, dtype=dtype).numpy().dtype, copy=False)
    else:
        Xt = to_tensor(dense_rows(X, dtype, "solver='lbfgs' with this network or device (all rows in one step, through PyTorch)",
                                  "use solver='adam' or 'sgd', which make one batch dense at a time, or train on the CPU a network of "
                                  "dense layers (no norm or dropout), whose engine keeps X sparse"), dtype, device)
    Yt = to_tensor(Y, dtype, device)
    Wt = None if sample_weight is None else to_tensor(sample_weight, dtype, device)
    denom = float(X.shape[0]) if sample_weight is None else float(np.sum(sample_weight))
    return Xt, Yt, Wt, denom


def _append_row(history: History, epoch: int, train_loss: float, t0: float) -> None:
    """One iteration's row in ``history`` (no validation or rate: NaN; time: seconds since ``t0``)."""
    history.epoch.append(epoch)
    history.train_loss.append(train_loss)
    history.val_loss.append(float("nan"))
    history.val_score.append(float("nan"))
    history.lr.append(float("nan"))
    history.time.append(time.perf_counter() - t0)


def _iteration_end(callbacks: Sequence[Callback], network: torch.nn.Module, history: History, state: TrainState, flat: FlatParams,
                   last: dict[str, Any], x: np.ndarray) -> None:
    """After iteration ``x`` (recorded in ``history``): the callbacks' batch and epoch ends (the next one's begin is the caller's, unless it stops).

    ``on_batch_end`` runs only when the gradients held are the iterate's (``last``: SciPy's latest evaluation);
    else the network is given the iterate, so ``on_epoch_end`` sees its weights.
    """
    if "theta" in last and np.array_equal(last["theta"], x):  # the gradients held are the iterate's: the iteration's one "batch"
        for cb in callbacks:
            cb.on_batch_end(network=network, history=history, state=state, batch_loss=last["loss_sum"])
    else:
        flat.data.copy_(torch.from_numpy(x))  # the iterate (the last evaluation was a line-search trial)
    logs = {"epoch": history.epoch[-1], "train_loss": history.train_loss[-1], "val_loss": math.nan, "val_score": math.nan}
    for cb in callbacks:
        cb.on_epoch_end(network=network, history=history, state=state, logs=logs, flat=flat)
    network.train()


def _record_stop(history: History, res: OptimizeResult, kept: _Kept, stopped: str | None, max_iter: int) -> None:
    """Record in ``history`` why SciPy stopped (warning as :func:`_stop_reason` does), the best and the held iteration.

    ``stopped``: the reason ``on_iter`` stopped SciPy with (a callback's, or the stopping rule's);
    ``max_iter``: this call's iteration limit.
    """
    reason = _stop_reason(res, kept, max_iter)
    if reason == "callback" and stopped:
        reason = stopped
    history.stop_reason = reason
    history.stop_message = STOP_REASONS[reason]
    history.best_epoch = len(history.epoch) or None
    # SciPy's result is its last iterate (or the start, if none); Ctrl-C's is the kept point, in history by _interrupted
    history.held_epoch = kept.held() if reason == "interrupted" else len(history.epoch)


def _epoch_begin(callbacks: Sequence[Callback], network: torch.nn.Module, history: History, state: TrainState) -> None:
    """Tell the callbacks that the next iteration (an epoch to them) begins."""
    state.epoch = len(history.epoch) + 1
    for cb in callbacks:
        cb.on_epoch_begin(network=network, history=history, state=state, epoch=state.epoch)


def _stop_reason(res: OptimizeResult, kept: _Kept, max_iter: int) -> str:
    """Why SciPy stopped, warned about as the stochastic solvers warn (Ctrl-C, or no convergence, as scikit-learn).

    Unconverged, it is ``"max_epochs"`` only when the run used its ``max_iter`` iterations: SciPy stops
    earlier when ``max_fun`` loss evaluations are spent (``"max_fun"``) or for another reason, such as a
    failed line search (``"not_converged"``).
    """
    if res.status == _INTERRUPTED:
        warn_interrupted(kept.where())
        return "interrupted"
    if res.status == 0:
        return "converged"
    if res.status == _CALLBACK:
        return "callback"
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    text = (f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}): {res.message}. "
            "Increase max_iter or max_fun, or scale the data.")
    if kept.overflowed:  # what NumPy's overflow warnings said, in one line with the fix
        text = (f"lbfgs failed to converge after {res.nit} iteration(s): the loss overflowed (became inf or NaN) at "
                f"{kept.overflowed} of the {kept.evaluations} point(s) it evaluated; the model keeps its last finite iterate. "
                "Scale the inputs (and a regression's targets: scale_target=True).")
    warnings.warn(text, ConvergenceWarning, stacklevel=user_stacklevel())
    if res.nit >= max_iter:
        return "max_epochs"
    return "max_fun" if res.status == 1 else "not_converged"


#: ``OptimizeResult.status`` of a run stopped by Ctrl-C (SciPy's own codes are 0..3)
_INTERRUPTED = -1
#: ``OptimizeResult.status`` when a callback raised ``StopIteration`` (SciPy >= 1.11)
_CALLBACK = 99


class _Kept:
    """The parameters of the lowest finite loss SciPy has evaluated so far: what Ctrl-C keeps.

    Starts at the initial parameters (``x``, float64), so an interrupt before the
    first evaluation keeps the model as it was. L-BFGS's iterates only go down,
    so the kept point is at least as good as the last completed iteration's.
    ``start``: the history's epoch whose weights the run began with (0: none, a fresh fit).
    """

    def __init__(self, x0: np.ndarray, start: int = 0) -> None:
        self.x, self.fun, self.evaluations, self.start = x0, math.inf, 0, start
        self.overflowed = 0  # evaluations whose loss was inf or NaN (an overflow: NumPy's warnings are silenced)
        self.iteration, self.first = 0, True  # in which iteration the kept point was evaluated; whether it is the start

    def offer(self, theta: np.ndarray, value: float, completed: int) -> None:
        """Keep ``theta`` (copied: SciPy may reuse its array) when its loss ``value`` is finite and the lowest yet.

        ``completed``: the iterations done before this evaluation (it is part of the next one).
        """
        self.evaluations += 1
        self.overflowed += not math.isfinite(value)
        if math.isfinite(value) and value < self.fun:
            np.copyto(self.x, theta)
            self.fun, self.iteration, self.first = value, completed + 1, self.evaluations == 1

    def held(self) -> int:
        """The iteration whose evaluation the kept parameters are, as ``History.held_epoch`` records it (the start's: ``start``)."""
        return self.start if self.first or not math.isfinite(self.fun) else self.iteration

    def where(self) -> str:
        """The kept weights in words, for the :class:`InterruptedWarning`."""
        if self.first or not math.isfinite(self.fun):
            return "the start of this run"
        return f"the lowest loss evaluated ({self.fun:.6g}, in iteration {self.iteration})"


def _interrupted(kept: _Kept, history: History, t0: float, before: int) -> OptimizeResult:
    """The result of a run stopped by Ctrl-C: the kept parameters and their loss (NaN if none was evaluated); ``nit`` this run's rows.

    ``before``: the history's rows before this run (a warm call's).

    Ctrl-C may land between two appends of ``on_iter``: the history's lists are
    cut to their common length, so every row is whole. A kept point evaluated in the
    iteration Ctrl-C cut (SciPy had not reported it yet, or was still searching the
    line) gets that iteration's row, with its own loss: without it the history would
    end on an iteration whose weights the network no longer holds, and a later warm
    call, numbering its epochs on from the history, would name them as its own.
    """
    rows = min(len(history.epoch), len(history.train_loss), len(history.val_loss), len(history.val_score), len(history.lr), len(history.time))
    for values in (history.epoch, history.train_loss, history.val_loss, history.val_score, history.lr, history.time):
        del values[rows:]
    rows = max(rows, before)  # (the earlier calls' rows are whole)
    if not kept.first and math.isfinite(kept.fun) and kept.iteration > rows:  # == rows + 1: evaluated after the last recorded iteration
        _append_row(history, rows + 1, kept.fun, t0)
        rows += 1
    return OptimizeResult(x=kept.x, fun=kept.fun if math.isfinite(kept.fun) else math.nan, nit=rows - before, nfev=kept.evaluations, status=_INTERRUPTED, success=False,
                          message="interrupted by the user (KeyboardInterrupt)")
