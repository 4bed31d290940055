"""``domain_adaptation="dann"``: the estimators' fit with unlabelled target rows.

Checks the combination of parameters, then trains through
:func:`hiddenlayers.training.train_dann` and sets scikit-learn's fitted
attributes (``loss_curve_``, ``n_iter_``, ``loss_``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .._rng import seeded
from ..data import require_2d
from ..training import Schedule, dense_rows, refuse_unusable, to_tensor, train_dann
from ._checks import _DTYPES, _validate
from ._fit import _stopping_rules, fit_callbacks, optimizer_kwargs

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP

DOMAIN_ADAPTATIONS = (None, "dann")


def fit_dann(est: _BaseMLP, X: Any, Y: np.ndarray, sample_weight: Any, X_target: Any, incremental: bool, learning_rate_init: float | None) -> None:
    """Fit ``est.network_`` on ``(X, Y)`` and unlabelled ``X_target`` with a domain head (DANN).

    DANN runs ``max_iter`` epochs (its lambda ramp is set by them): no-improvement does not
    stop it; ``loss_threshold`` and ``max_time`` stop it after the epoch that crosses them, as in the other
    fits, as does a callback's ``state.stop_training`` (``est.callbacks``, then the verbose lines and progress bar, get the
    MLP fit's hooks each epoch; ``stop_reason_`` ``"callback"``), and ``clip_grad_norm`` caps each step's whole gradient (the domain head's included). It still keeps scikit-learn's count of epochs without ``tol`` progress of the
    task loss, carried on from earlier calls, so a later warm fit or ``partial_fit`` without
    DANN carries on from it as after any stochastic fit.
    """
    if est.domain_adaptation not in DOMAIN_ADAPTATIONS:
        raise ValueError(f"domain_adaptation must be None or 'dann'. Received: domain_adaptation={est.domain_adaptation!r}.")
    if est.domain_adaptation is None:
        raise ValueError("X_target (unlabelled target rows) is used only with domain_adaptation='dann': set it, or drop X_target.")
    if X_target is None:
        raise ValueError("domain_adaptation='dann' needs unlabelled target rows: call fit(X, y, X_target=...).")
    for bad, why, fix in (
        (incremental, "partial_fit", "call fit"),
        (est.solver == "lbfgs", "solver='lbfgs'", "set solver='adam' or 'sgd'"),
        (est.early_stopping, "early_stopping=True", "set early_stopping=False"),
        (getattr(est, "class_weight", None) is not None, "class_weight (it weights rows as sample_weight does)", "set class_weight=None"),
        (sample_weight is not None, "sample_weight", "fit without sample_weight"),
    ):
        if bad:
            raise ValueError(f"domain_adaptation='dann' does not support {why}: {fix}, or domain_adaptation=None to keep it.")
    require_2d(X_target, "X_target")
    try:
        Xt = _validate(est, X_target, accept_sparse=False, dtype=(np.float64, np.float32), reset=False, ensure_all_finite=False)
    except ValueError as exc:  # scikit-learn's words say "X has 10 features": name the argument that has them
        raise type(exc)(f"X_target: {exc}".replace("X_target: X has", "X_target has", 1)) from None
    _refuse_non_finite(X_target, Xt)
    if Xt.shape[0] == 0:
        raise ValueError("X_target has 0 rows: DANN needs unlabelled target rows.")
    dtype, device = _DTYPES[est.dtype], est._device
    X = dense_rows(X, dtype, "domain_adaptation='dann'", "reduce X's columns first (e.g. sklearn's TruncatedSVD), or fit without domain_adaptation")
    as_t = lambda a: to_tensor(a, dtype, device)  # noqa: E731
    lr0 = est.learning_rate_init if learning_rate_init is None else learning_rate_init
    batch_size = min(200, X.shape[0]) if est.batch_size == "auto" else int(est.batch_size)
    no_imp, stopping, _ = _stopping_rules(est, incremental=False)  # from the earlier calls' best loss and count; loss_threshold, max_time
    epochs_before = len(est.history_)
    seed = int(est._random_state.randint(np.iinfo(np.int32).max))
    with seeded(seed, device):  # the CPU's generator and the fit's CUDA device's: torch.manual_seed reseeded every GPU's for good
        hist = train_dann(
            est.network_, as_t(X), as_t(Y), as_t(Xt), loss=est._loss(), solver=est.solver, learning_rate_init=lr0,
            batch_size=batch_size, max_epochs=est.max_iter, alpha=est.alpha if est.solver != "adamw" else 0.0,
            generator=torch.Generator().manual_seed(seed), optimizer_kwargs=optimizer_kwargs(est), history=est.history_,
            clip_grad_norm=est.clip_grad_norm, stopping=stopping,
            callbacks=fit_callbacks(est, Schedule("constant", lr0, max_epochs=est.max_iter), est.max_iter),
        )
    refuse_unusable(hist, lr0)  # a first epoch that diverged: no usable weights (the caller puts the model back)
    est._optimizer_state = None
    for loss in hist.train_loss[epochs_before:]:
        no_imp.update(loss)
    est._no_improvement_count = no_imp.count
    est.n_iter_ = len(hist) - epochs_before  # this call's epochs, as scikit-learn counts a warm fit's
    est.t_ = int(est.t_) + X.shape[0] * est.n_iter_  # samples seen, over warm fits too (build resets it)
    est.loss_curve_ = list(hist.train_loss)
    est.loss_ = hist.train_loss[-1] if hist.train_loss else np.nan  # no loss when Ctrl-C came in the first epoch
    est.best_loss_ = float(no_imp.best)  # the rule's, as the MLPs' (inf before any finite loss; was NaN after a Ctrl-C in epoch 1)
    est.stop_reason_ = hist.stop_reason  # max_iter epochs (its λ ramp is set by them), unless interrupted, diverged, a callback, or loss_threshold/max_time


def _refuse_non_finite(given: Any, Xt: np.ndarray) -> None:
    """One line naming the first row (and its column) of the target rows ``Xt`` ``(n_t, features)`` with NaN or infinity
    (``given``: ``X_target`` as passed, whose column names a DataFrame's message uses); scikit-learn's check said "Input X
    contains NaN" and a paragraph on imputers, naming neither ``X_target`` nor the row."""
    bad = ~np.isfinite(Xt)
    if not bad.any():
        return
    row, col = (int(i) for i in np.argwhere(bad)[0])
    columns = getattr(given, "columns", None)
    column = repr(str(columns[col])) if columns is not None else str(col)
    raise ValueError(f"X_target has NaN or infinity in row {row} (column {column}; {int(bad.any(axis=1).sum())} row(s) in all): DANN reads "
                     "every unlabelled target row; drop or impute those rows first.")


__all__ = ["DOMAIN_ADAPTATIONS", "fit_dann"]
