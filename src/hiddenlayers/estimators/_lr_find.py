"""``hl.lr_find(estimator, X, y)``: the learning-rate range test for an ``MLPClassifier`` or ``MLPRegressor``.

The sweep runs on a fresh clone, prepared as ``fit`` prepares the estimator:
the same input checks (NaN/inf, shapes, empty data, labels), the same network
built from ``random_state``, the same early-stopping split (only its training
rows are swept), the same loss, solver and its settings,
``batch_size``, ``alpha``, shuffling, dtype, ``freeze`` and ``clip_grad_norm``; then
:func:`hiddenlayers.training.lr_find` does the steps. The estimator passed
in is never fitted or changed, so ``set_params(learning_rate_init=found.suggestion)``
then ``fit`` starts from the very weights the sweep started from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils import check_random_state
from torch import nn

from .._docsections import parameters_section
from .._rng import seeded
from ..network import resolve_device
from ..training import LRFindResult, check_sweep, frozen, resolve_frozen, to_tensor
from ..training import lr_find as lr_find_module
from ._checks import _DTYPES, check_sample_weight
from ._fit import build, optimizer_kwargs, split_validation, training_tensor
from ._mlp_base import _BaseMLP
from ._transfer import start_from_source
from ._zero_weight import drop_unweighted

LBFGS = "solver='lbfgs' has no learning rate to find (it sizes each step by line search): use solver='sgd' or 'adam' for the sweep and the fit."


_LR_FIND_PARAMETERS = """
Parameters
----------
estimator : MLPClassifier or MLPRegressor
    Unfitted or fitted; left as it is (the sweep trains a fresh clone, prepared as ``fit`` prepares it).
X : array-like of shape (n_samples, n_features)
    The training rows, as ``fit`` takes them.
y : array-like of shape (n_samples,)
    The labels or targets, as ``fit`` takes them.
start_lr : float
    The first step's learning rate.
end_lr : float
    The last step's learning rate (the sweep stops early if the loss diverges).
num_steps : int
    Mini-batch steps of the sweep.
smooth : float
    Weight of each new loss in the exponential moving average the curve shows, in (0, 1].
diverge : float
    Stop once the smoothed loss exceeds this many times its best.
sample_weight : array-like of shape (n_samples,), optional
    One weight per row, as ``fit`` takes it (a row of weight 0 is as if absent, as in ``fit``).
"""


@parameters_section(_LR_FIND_PARAMETERS)
def lr_find(
    estimator: Any, X: Any, y: Any, *, start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100, smooth: float = 0.05,
    diverge: float = 4.0, sample_weight: Any = None,
) -> LRFindResult:
    """Find a learning rate for ``estimator``: a sweep of mini-batch steps with the rate growing geometrically.

    Runs ``num_steps`` mini-batch steps of the estimator's solver on ``(X, y)`` with the rate growing geometrically from
    ``start_lr`` to ``end_lr``, stopping early once the smoothed loss passes ``diverge`` times its best; see
    :func:`hiddenlayers.training.lr_find`. ``result.suggestion`` (the rate where the smoothed loss falls fastest) is a
    ``learning_rate_init`` to fit with; ``result.plot()`` shows the curve. With ``early_stopping`` the sweep runs on the
    rows ``fit`` trains on, never on the ``validation_fraction`` it holds out to score (the same split, from the same
    ``random_state``), so the rate is not tuned on the rows that judge the fit. ``freeze`` and ``clip_grad_norm`` apply
    as in ``fit``: frozen hidden layers are never stepped, and each step's gradient is clipped; with
    ``freeze="head_first"`` the sweep is phase 1's (the head alone, which runs at ``learning_rate_init``; phase 2 runs
    at a tenth of it).

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> found = hl.lr_find(hl.MLPClassifier((16,), solver="sgd", random_state=0), X, y, num_steps=50)
    >>> found.suggestion is not None and 1e-7 <= found.suggestion <= 10
    True
    """
    if isinstance(estimator, nn.Module):
        raise TypeError("lr_find takes an MLPClassifier or MLPRegressor; for a torch module use hl.training.lr_find(module, X, Y, loss=...).")
    if not isinstance(estimator, _BaseMLP):
        raise TypeError(f"lr_find takes an hl.MLPClassifier or hl.MLPRegressor. Received: {type(estimator).__name__}.")
    check_sweep(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, smooth=smooth, diverge=diverge)
    est = clone(estimator)  # keeps a fitted init_from (KeepsFittedSource): the sweep only reads it, as fit does
    if est.solver == "lbfgs":
        raise ValueError(LBFGS)
    spec = est._validate_params()
    est._device = resolve_device(est.device)
    X, y = est._validate_input(X, y, False, reset=True)
    if X.shape[0] == 0:
        raise ValueError("X has 0 samples: at least one sample is required to find a learning rate.")
    sw = None if sample_weight is None else check_sample_weight(sample_weight, X)
    sw = est._with_class_weight(y, sw, X, False)  # the classifier's class_weight: the sweep's loss is the fit's
    est._fit_target_scaling(y, sw, incremental=False, first_pass=True, streamed=False)  # scale_target: fit's scaled targets
    Y = est._targets(y)
    X, _, y, Y, sw = drop_unweighted(X, None, y, Y, sw)  # weight 0: as if absent, as in fit (the split, batch_size, the batches)
    est._random_state = rng = check_random_state(est.random_state)
    est.n_outputs_ = Y.shape[1]
    with torch.random.fork_rng(devices=[]):  # nn.Linear's own init draws from the global stream before ours replaces it
        build(est, spec, X.shape[1], Y.shape[1], rng)
    start_from_source(est)  # init_from: the sweep starts where fit would
    dtype, device = _DTYPES[est.dtype], est._device
    X, Y, sw, _ = split_validation(est, X, Y, y, sw)  # early_stopping: fit's training rows only (its split, from the same draws)
    n = X.shape[0]
    batch_size = min(200, n) if est.batch_size == "auto" else min(int(est.batch_size), n)
    seed = int(rng.randint(np.iinfo(np.int32).max))  # the draw fit makes for its shuffling, after its split
    W = None if sw is None else torch.as_tensor(sw, dtype=dtype, device=device)
    names = est.network_.hidden_names
    fixed = list(names) if est.freeze == "head_first" else resolve_frozen(est.freeze, names)  # as fit_frozen: head_first's phase 1
    with seeded(seed, device), frozen(est.network_, fixed):  # dropout seeded as fit seeds it
        return lr_find_module(
            est.network_, training_tensor(est, X), to_tensor(Y, dtype, device), loss=est._loss(),
            solver=est.solver, start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, smooth=smooth, diverge=diverge,
            batch_size=batch_size, alpha=est.alpha, sample_weight=W, shuffle=est.shuffle, optimizer_kwargs=optimizer_kwargs(est),
            generator=torch.Generator().manual_seed(seed), engine=est.engine, clip_grad_norm=est.clip_grad_norm,
        )


__all__ = ["lr_find"]
