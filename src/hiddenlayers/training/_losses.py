"""Losses paired with their output activation, in scikit-learn's conventions.

Each loss takes raw head outputs ``z`` of shape ``(B, k)`` and targets ``Y``
of the same shape (one-hot for softmax, 0/1 for logistic, values for
regression) and returns the **sum over the batch** of per-sample losses, so
epoch losses accumulate on the device without a host sync. ``grad`` returns
``dL/dz`` for the per-sample loss; ``np_value_grad`` computes both in NumPy
for the CPU engine (the caller divides by the batch size):
for every pair here it is ``output_activation(z) - Y``, the canonical link.

For several regression outputs the per-sample loss sums over outputs
(``0.5 · Σ_k (z_k - y_k)²``); scikit-learn reports the mean over outputs but
steps along the sum's gradient, so the training dynamics are the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ._np_const import filled

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


def _np_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _np_logistic(z: np.ndarray) -> np.ndarray:
    from ..network import np_sigmoid

    return np_sigmoid(z)


@dataclass(frozen=True)
class Loss:
    """A loss with its output activation (``softmax``, ``logistic``, ``identity``, ``exp``)."""

    name: str
    out_activation: str
    value: Callable[[Tensor, Tensor, Tensor | None], Tensor]
    output: Callable[[Tensor], Tensor]
    np_output: Callable[[np.ndarray], np.ndarray]
    np_value_grad: Callable[[np.ndarray, np.ndarray, np.ndarray | None], tuple[float, np.ndarray]]

    def grad(self, z: Tensor, y: Tensor) -> Tensor:
        """Per-sample ``dL/dz`` as a new tensor: ``output(z) - y``."""
        return self.output(z).sub_(y)


LOSSES: dict[str, Loss] = {
    "log_loss": Loss("log_loss", "softmax", _softmax_ce, lambda z: torch.softmax(z, 1), _np_softmax, _np_softmax_ce_vg),
    "binary_log_loss": Loss("binary_log_loss", "logistic", _binary_ce, torch.sigmoid, _np_logistic, _np_binary_ce_vg),
    "squared_error": Loss("squared_error", "identity", _squared, lambda z: z.clone(), lambda z: z, _np_squared_vg),
    "poisson": Loss("poisson", "exp", _poisson, torch.exp, np.exp, _np_poisson_vg),
}


def get_loss(name: str) -> Loss:
    """The loss called ``name``; an unknown name lists the valid ones."""
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}. Received: loss={name!r}.")
    return LOSSES[name]


__all__ = ["LOSSES", "Loss", "get_loss"]
