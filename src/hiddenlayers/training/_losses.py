"""Losses paired with their output activation, in scikit-learn's conventions.

Each loss takes raw head outputs ``z`` of shape ``(B, k)`` and targets ``Y``
of the same shape (one-hot for softmax, 0/1 for logistic, values for
regression) and returns the **sum over the batch** of per-sample losses, so
epoch losses accumulate on the device without a host sync. ``grad`` returns
``dL/dz`` for the per-sample loss; ``np_value_grad`` computes both in NumPy
for the CPU engine (the caller divides by the batch size):
for every pair here it is ``output_activation(z) - Y``, the canonical link.
:func:`generalized_cross_entropy` scales that gradient per sample by ``p_y^q``.

For several regression outputs the per-sample loss sums over outputs
(``0.5 · Σ_k (z_k - y_k)²``), and every step follows that sum's gradient, as
scikit-learn's MLPRegressor steps (its output deltas are ``pred - y``). What
scikit-learn *reports* is another number: ``squared_loss`` is
``0.5 · mean over rows and outputs``, so its ``loss_curve_``, ``loss_``,
``best_loss_`` and the ``tol`` / ``n_iter_no_change`` test all see the sum
divided by the ``k`` outputs (the L2 term ``0.5 · alpha · |W|² / n`` is not
divided). :func:`regression_loss` is the squared error with
``mean_over_outputs=True``: :meth:`Loss.reported` divides the summed value by
``k`` wherever a fit records or compares a loss (the steps' returned batch loss,
hence each epoch's, the start loss, L-BFGS's objective value, the held-out
loss), while ``value`` and the gradients stay the sum's, so the weights are
those of the sum. scikit-learn's Poisson loss sums over outputs (its
``poisson_loss`` averages over rows only): it stays as it is. ``get_loss``'s
squared error (the applications', :func:`~hiddenlayers.training.train`'s by
name) keeps reporting the sum.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ._np_const import filled
from ._np_outputs import NP_OUTPUTS

_np_logistic = NP_OUTPUTS["logistic"]

# a row sum of exp(z - batch max) below this means the row's largest logit is > ~40 below the
# batch's: its smaller terms would underflow in float32 (exp(-87)), so shift that batch per row
_FAR_BELOW = math.exp(-40.0)


def _softmax_ce(z: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
    # -(y · log_softmax(z)): F.cross_entropy with one-hot float targets is
    # ~100x slower in float64 than this form.
    per = -(y * torch.log_softmax(z, 1)).sum(1)
    return per.sum() if w is None else torch.dot(per, w)


def _binary_ce(z: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
    if w is None:
        return F.binary_cross_entropy_with_logits(z, y, reduction="sum")
    return torch.dot(F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(1), w)


def _squared(z: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
    d = z - y
    if w is None:
        return 0.5 * torch.dot(d.reshape(-1), d.reshape(-1))
    return 0.5 * torch.dot((d * d).sum(1), w)


def _poisson(z: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
    # half Poisson deviance with log link: exp(z) - y·z + (y·log y - y)
    per = (torch.exp(z) - y * z + torch.special.xlogy(y, y) - y).sum(1)
    return per.sum() if w is None else torch.dot(per, w)


def _np_softmax_ce_vg(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
    # exp(z - shift) with one shift for the whole batch: NumPy's per-row max along a short
    # axis is slow (12 µs of 28 for 256 x 10). One shift is exact unless some row lies far
    # below the batch's largest logit, where its exp would underflow: then shift per row.
    ones = filled(z.shape[1], 1.0, z.dtype)
    shift: Any = z.max()
    e = np.subtract(z, shift)
    np.exp(e, out=e)
    s = e @ ones  # (B,) row sums as one BLAS product
    if not s.min() >= _FAR_BELOW:  # also when z holds NaN: the per-row form gives the same NaN
        shift = z.max(axis=1)
        np.subtract(z, shift[:, None], out=e)
        np.exp(e, out=e)
        s = e @ ones
    lse = np.log(s)
    lse += shift  # (B,) log-sum-exp; -log softmax(z)[y] = lse - z·y per row
    if w is None:
        value = float(lse.sum()) - float(np.vdot(z, y))  # one BLAS dot instead of a per-row einsum
    else:
        value = float(lse @ w) - float(np.einsum("ij,ij->i", z, y) @ w)
    np.reciprocal(s, out=s)
    e *= s[:, None]
    e -= y
    return value, e


def _np_binary_ce_vg(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
    per = (np.logaddexp(0.0, z) - z * y).sum(axis=1)
    dz = _np_logistic(z)
    dz -= y
    return float(per.sum() if w is None else per @ w), dz


def _np_squared_vg(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
    d = z - y
    per = 0.5 * np.einsum("ij,ij->i", d, d)
    return float(per.sum() if w is None else per @ w), d


def _np_poisson_vg(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
    from scipy.special import xlogy

    ez = np.exp(z)
    per = (ez - y * z + xlogy(y, y) - y).sum(axis=1)
    ez -= y
    return float(per.sum() if w is None else per @ w), ez


@dataclass(frozen=True)
class Loss:
    """A loss with its output activation (``softmax``, ``logistic``, ``identity``, ``exp``); see the module docstring.

    Parameters
    ----------
    name : str
        The loss's name.
    out_activation : str
        Its output activation.
    value : callable
        ``value(z, y, w)``: the sum over the batch of per-sample losses (weighted by ``w`` when given).
    output : callable
        The output activation on tensors.
    np_output : callable
        The output activation on NumPy arrays.
    np_value_grad : callable
        ``np_value_grad(z, y, w)``: the summed loss and ``dL/dz`` in NumPy, for the CPU engine.
    grad_fn : callable, optional
        The per-sample ``dL/dz`` when it is not the canonical ``output(z) - y``.
    target_width : callable, optional
        The columns of ``Y`` for ``k`` outputs when they are not ``k`` (:func:`~hiddenlayers.training.distillation_loss`
        reads labels, soft targets and a mask from one ``Y``).
    mean_over_outputs : bool
        The loss a fit records and compares (epoch losses, ``tol``) is ``value`` divided by the ``k`` outputs, as
        scikit-learn's MLPRegressor reports its squared error; the gradient stays ``value``'s (see :meth:`reported`).
    """

    name: str
    out_activation: str
    value: Callable[[Tensor, Tensor, Tensor | None], Tensor]
    output: Callable[[Tensor], Tensor]
    np_output: Callable[[np.ndarray], np.ndarray]
    np_value_grad: Callable[[np.ndarray, np.ndarray, np.ndarray | None], tuple[float, np.ndarray]]
    grad_fn: Callable[[Tensor, Tensor], Tensor] | None = None
    target_width: Callable[[int], int] | None = None
    mean_over_outputs: bool = False

    def reported(self, summed: Any, z: Any) -> Any:
        """The loss a fit records for ``summed``, ``value(z, y, w)``'s sum over the rows of raw outputs ``z``.

        ``summed / k`` with ``mean_over_outputs`` and ``k > 1`` outputs (scikit-learn's MLPRegressor: half the squared
        error's mean over rows and outputs, once divided by the rows), else ``summed`` itself (the same object).

        Parameters
        ----------
        summed : float or torch.Tensor
            The summed (weighted) per-sample loss of the rows.
        z : torch.Tensor or numpy.ndarray of shape (B, k)
            The raw outputs it was computed from (only their width is read).
        """
        if not self.mean_over_outputs or z.shape[1] == 1:
            return summed
        return summed / z.shape[1]

    def y_columns(self, k: int) -> int:
        """How many columns ``Y`` has for a network with ``k`` outputs.

        Parameters
        ----------
        k : int
            The network's outputs.
        """
        return k if self.target_width is None else self.target_width(k)

    def grad(self, z: Tensor, y: Tensor) -> Tensor:
        """Per-sample ``dL/dz`` as a new tensor: ``output(z) - y`` unless ``grad_fn`` says otherwise.

        Parameters
        ----------
        z : torch.Tensor of shape (B, k)
            Raw head outputs.
        y : torch.Tensor
            Targets in the loss's form.
        """
        if self.grad_fn is not None:
            return self.grad_fn(z, y)
        return self.output(z).sub_(y)


LOSSES: dict[str, Loss] = {
    "log_loss": Loss("log_loss", "softmax", _softmax_ce, lambda z: torch.softmax(z, 1), NP_OUTPUTS["softmax"], _np_softmax_ce_vg),
    "binary_log_loss": Loss("binary_log_loss", "logistic", _binary_ce, torch.sigmoid, NP_OUTPUTS["logistic"], _np_binary_ce_vg),
    "squared_error": Loss("squared_error", "identity", _squared, lambda z: z.clone(), NP_OUTPUTS["identity"], _np_squared_vg),
    "poisson": Loss("poisson", "exp", _poisson, torch.exp, NP_OUTPUTS["exp"], _np_poisson_vg),
}


def _log_p_given(z: Tensor, y: Tensor, binary: bool) -> Tensor:
    """log of the probability the model gives the labelled class: (B, 1) for softmax, (B, k) per logistic output."""
    if binary:
        return -F.binary_cross_entropy_with_logits(z, y, reduction="none")
    return (y * torch.log_softmax(z, 1)).sum(1, keepdim=True)


def _np_log_p_given(z: np.ndarray, y: np.ndarray, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(log p_y, output(z))`` in NumPy, as :func:`_log_p_given` and the output activation."""
    if binary:
        return z * y - np.logaddexp(0.0, z), _np_logistic(z)
    top = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - top).sum(axis=1, keepdims=True)) + top
    return (z * y).sum(axis=1, keepdims=True) - lse, np.exp(z - lse)


@functools.lru_cache(maxsize=64)  # one Loss per (q, binary): predict_proba asks for it on every call
def generalized_cross_entropy(q: float, binary: bool = False) -> Loss:
    """Zhang & Sabuncu's generalized cross entropy (NeurIPS 2018), ``(1 - p_y^q) / q`` per sample.

    ``p_y`` is the probability given to the labelled class (softmax output), or
    for ``binary=True`` to each labelled 0/1 output (logistic, summed over
    outputs). ``q`` in (0, 1]: towards 0 it becomes cross entropy, at 1 the
    noise-tolerant mean absolute error. Its gradient is cross entropy's
    ``output(z) - y`` times ``p_y^q``, so rows the model finds implausible (often
    wrong labels) pull less on the weights.
    """
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must lie in (0, 1]. Received: q={q!r}.")

    def value(z: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
        per = ((1.0 - torch.exp(q * _log_p_given(z, y, binary))) / q).sum(1)
        return per.sum() if w is None else torch.dot(per, w)

    base = LOSSES["binary_log_loss" if binary else "log_loss"]  # the same output activation as cross entropy's

    def grad(z: Tensor, y: Tensor) -> Tensor:
        return base.grad(z, y).mul_(torch.exp(q * _log_p_given(z, y, binary)))

    def np_value_grad(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
        log_p, out = _np_log_p_given(z, y, binary)
        pq = np.exp(q * log_p)
        per = ((1.0 - pq) / q).sum(axis=1)
        out -= y
        out *= pq
        return float(per.sum() if w is None else per @ w), out

    name = f"{'binary_' if binary else ''}gce(q={q:g})"
    return Loss(name, base.out_activation, value, base.output, base.np_output, np_value_grad, grad)


def classification_loss(loss: str, gce_q: float, binary: bool = False) -> Loss:
    """What a classifier trains on: cross entropy for ``loss="log_loss"``, the generalized cross entropy with ``gce_q`` for ``"gce"``.

    Parameters
    ----------
    loss : {"log_loss", "gce"}
        The classifier's ``loss``.
    gce_q : float
        The generalized cross entropy's exponent, in (0, 1].
    binary : bool
        One logistic output (or several, multi-label) instead of a softmax.
    """
    if loss == "gce":
        return generalized_cross_entropy(float(gce_q), binary=binary)
    return get_loss("binary_log_loss" if binary else "log_loss")


#: scikit-learn's MLPRegressor squared error: the same values and gradients, recorded as the mean over outputs
_SKLEARN_SQUARED = dataclasses.replace(LOSSES["squared_error"], mean_over_outputs=True)


def regression_loss(name: str) -> Loss:
    """What :class:`~hiddenlayers.MLPRegressor` trains on: ``get_loss(name)``, its squared error recorded as scikit-learn reports it.

    ``"squared_error"`` gives the loss with ``mean_over_outputs=True`` (``loss_curve_``, ``tol`` and the rest see
    scikit-learn's number for several outputs; the steps are the sum's, as scikit-learn's); ``"poisson"`` is
    :func:`get_loss`'s, which scikit-learn sums over outputs too.

    Parameters
    ----------
    name : {"squared_error", "poisson"}
        The regressor's ``loss``.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((4, 3))  # raw outputs of 4 rows, 3 outputs
    >>> regression_loss("squared_error").reported(6.0, z), get_loss("squared_error").reported(6.0, z)
    (2.0, 6.0)
    """
    return _SKLEARN_SQUARED if name == "squared_error" else get_loss(name)


def get_loss(name: str) -> Loss:
    """The loss called ``name``; an unknown name lists the valid ones.

    Parameters
    ----------
    name : str
        ``"log_loss"``, ``"squared_error"``, ...
    """
    if not isinstance(name, str) or name not in LOSSES:  # a list from an edited file: this error, not "unhashable type"
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}. Received: loss={name!r}.")
    return LOSSES[name]


__all__ = ["LOSSES", "Loss", "classification_loss", "generalized_cross_entropy", "get_loss", "regression_loss"]
