"""Full-batch L-BFGS training through SciPy, as scikit-learn's ``solver="lbfgs"``.

The loss and its gradient come from the same step (hand-written engine or
autograd) as stochastic training, on the whole data set at once.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from scipy.optimize import OptimizeResult, minimize

from ._engine import make_step
from ._inputs import to_tensor
from ._losses import Loss
from ._optim import FlatParams
from ._stopping import STOP_REASONS, History


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
) -> tuple[History, OptimizeResult]:
    """Minimise the penalised mean loss over all of ``(X, Y)``; one history row per iteration."""
    ref = next(network.parameters())
    dtype, device = ref.dtype, ref.device
    Xd = X.toarray() if sp.issparse(X) else X
    Xt = to_tensor(Xd, dtype, device)
    Yt = torch.as_tensor(Y, dtype=dtype, device=device)
    Wt = None if sample_weight is None else torch.as_tensor(sample_weight, dtype=dtype, device=device)
    denom = float(X.shape[0]) if sample_weight is None else float(np.sum(sample_weight))
    flat = FlatParams(network)
    stepper = make_step(network, loss, flat, alpha, engine)
    # The engine's own array type (NumPy views on the CPU); converted once, not per call.
    cv = getattr(stepper, "convert", lambda t: t)
    xs, ys, ws = cv(Xt), cv(Yt), None if Wt is None else cv(Wt)
    network.train()
    last = {"loss": float("nan")}
    t0 = time.perf_counter()

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        flat.data.copy_(torch.from_numpy(theta))
        loss_sum = stepper.step(xs, ys, ws)
        value = float(loss_sum) / denom + 0.5 * alpha * float(flat.l2()) / denom
        last["loss"] = value
        return value, flat.grad.detach().cpu().double().numpy().copy()

    def on_iter(intermediate_result: OptimizeResult) -> None:
        history.epoch.append(len(history.epoch) + 1)
        history.train_loss.append(float(intermediate_result.fun))
        history.val_loss.append(float("nan"))
        history.val_score.append(float("nan"))
        history.lr.append(float("nan"))
        history.time.append(time.perf_counter() - t0)

    x0 = flat.data.detach().cpu().double().numpy().copy()
    res = minimize(
        fun, x0, method="L-BFGS-B", jac=True, callback=on_iter,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    flat.data.copy_(torch.from_numpy(res.x))
    flat.release()
    network.eval()
    if res.status == 0:
        reason = "converged"
    else:
        reason = "max_epochs"
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}): {res.message}. "
            "Increase max_iter or max_fun, or scale the data.",
            ConvergenceWarning,
            stacklevel=4,
        )
    history.stop_reason = reason
    history.stop_message = STOP_REASONS[reason]
    history.best_epoch = len(history.epoch) or None
    return history, res
