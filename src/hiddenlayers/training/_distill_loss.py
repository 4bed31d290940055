"""The knowledge-distillation loss (Hinton, Vinyals & Dean 2015) as a :class:`Loss`.

Per row, with student head outputs ``z`` and temperature ``T``::

    alpha · m · hard(y, z)  +  (1 - alpha) · T² · KL(q || out(z / T))

``hard`` is the student's own loss (cross entropy, or generalized cross entropy),
``out`` its output activation (softmax, or logistic per output), ``q`` the teacher's
probabilities softened at ``T`` and ``m`` 1 for a labelled row, 0 for a row that has
only the teacher's targets. The ``T²`` keeps the soft term's gradient on the scale of
the hard one's as ``T`` grows (the paper's section 2).

``Y`` holds all three, one row per sample: ``[y (k) | q (k) | m (1)]`` for ``k``
head outputs (``Loss.target_width``). The gradient is written out, for the hand-written
engine (NumPy and PyTorch) and checked against autograd and finite differences in the
tests::

    dL/dz = alpha · m · hard'(y, z)  +  (1 - alpha) · T · (out(z / T) - q)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import xlogy
from torch import Tensor

from ._losses import LOSSES, Loss


def _check(temperature: float, alpha: float) -> tuple[float, float]:
    """``(temperature, alpha)`` as floats: ``temperature > 0`` and ``alpha`` in [0, 1], both finite."""
    try:
        t, a = float(temperature), float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"temperature and alpha must be real numbers. Received: temperature={temperature!r}, alpha={alpha!r}.") from None
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"temperature must be a finite number > 0 (1 leaves the teacher's probabilities as they are; 2-5 is usual). "
                         f"Received: temperature={temperature!r}.")
    if not (math.isfinite(a) and 0.0 <= a <= 1.0):
        raise ValueError(f"alpha must lie in [0, 1] (the weight of the hard-label loss; 0: the teacher's targets only). Received: alpha={alpha!r}.")
    return t, a


def _neg_entropy(q: Tensor, binary: bool) -> Tensor:
    """Σ q·log q per row, (B,): over the outputs, and each output's complement too for logistic ones."""
    per = torch.special.xlogy(q, q)
    if binary:
        per = per + torch.special.xlogy(1.0 - q, 1.0 - q)
    return per.sum(1)


def _np_neg_entropy(q: np.ndarray, binary: bool) -> np.ndarray:
    """The NumPy twin of :func:`_neg_entropy`, for the CPU engine."""
    per = xlogy(q, q)
    if binary:
        per += xlogy(1.0 - q, 1.0 - q)
    return per.sum(axis=1)  # type: ignore[no-any-return]


def distillation_loss(base: Loss, temperature: float = 2.0, alpha: float = 0.5) -> Loss:
    """The distillation objective over ``base``: a :class:`Loss` whose ``Y`` is ``[y | q | m]``.

    Predictions use ``base``'s output activation, unsoftened.

    Parameters
    ----------
    base : Loss
        The student's loss on hard labels; must have a softmax or logistic output (a classifier's).
    temperature : float
        ``T > 0``, the softening of both the teacher's targets ``q`` (made by the caller:
        ``softmax(teacher logits / T)``) and the student's outputs.
    alpha : float
        The hard loss's weight, in [0, 1]; ``1 - alpha`` goes to ``T² · KL``.

    Examples
    --------
    >>> from hiddenlayers.training import get_loss
    >>> distillation_loss(get_loss("log_loss"), temperature=2.0, alpha=0.5).name
    'distill(T=2, alpha=0.5, log_loss)'
    """
    T, a = _check(temperature, alpha)
    if base.out_activation not in ("softmax", "logistic"):
        raise ValueError(f"distillation needs a classifier's loss (softmax or logistic output). Received: {base.name} ({base.out_activation}).")
    binary = base.out_activation == "logistic"
    soft = LOSSES["binary_log_loss" if binary else "log_loss"]  # CE(q, z/T) = KL(q || out(z/T)) + H(q)

    def value(z: Tensor, Y: Tensor, w: Tensor | None) -> Tensor:
        k = z.shape[1]
        y, q, m = Y[:, :k], Y[:, k : 2 * k], Y[:, 2 * k]
        total = z.new_zeros(())
        if a > 0:
            total = total + a * base.value(z, y, m if w is None else m * w)
        if a < 1:
            ne = _neg_entropy(q, binary)
            kl = soft.value(z / T, q, w) + (ne.sum() if w is None else torch.dot(ne, w))
            total = total + (1.0 - a) * T * T * kl
        return total

    def grad(z: Tensor, Y: Tensor) -> Tensor:
        k = z.shape[1]
        y, q, m = Y[:, :k], Y[:, k : 2 * k], Y[:, 2 * k : 2 * k + 1]
        g = None
        if a > 0:
            g = base.grad(z, y).mul_(m)
            if a != 1:
                g.mul_(a)
        if a < 1:
            s = soft.output(z / T).sub_(q).mul_((1.0 - a) * T)
            g = s if g is None else g.add_(s)
        assert g is not None
        return g

    def np_value_grad(z: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
        k = z.shape[1]
        y, q, m = Y[:, :k], Y[:, k : 2 * k], Y[:, 2 * k]
        total, g = 0.0, None
        if a > 0:
            # every row labelled (the usual batch): base's own call, so alpha=1 is a plain fit bit for bit
            labelled = bool(m.min() >= 1)
            v, g = base.np_value_grad(z, y, w if labelled else (m if w is None else m * w))
            if not labelled:
                g *= m[:, None]
            if a != 1:
                g *= a
            total = a * v
        if a < 1:
            v, s = soft.np_value_grad(z / T if T != 1 else z, q, w)
            ne = _np_neg_entropy(q, binary)
            v += float(ne.sum() if w is None else ne @ w)
            total += (1.0 - a) * T * T * v
            s *= (1.0 - a) * T
            g = s if g is None else np.add(g, s, out=g)
        assert g is not None
        return float(total), g

    return Loss(
        f"distill(T={T:g}, alpha={a:g}, {base.name})", base.out_activation, value, base.output, base.np_output, np_value_grad,
        grad_fn=grad, target_width=lambda k: 2 * k + 1,
    )


__all__ = ["distillation_loss"]
