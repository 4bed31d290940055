"""The losses :mod:`._explain` writes out, for one sample: value, output and ``dL/dz`` in NumPy, and the same loss in PyTorch for the autograd check.

Each mirrors one of the estimators' training losses (:mod:`._losses`) for a batch of one
row: squared error, softmax + cross entropy, logistic + binary cross entropy per
output, Zhang & Sabuncu's generalized cross entropy ``(1 - p_y^q)/q`` over either
output, and the half Poisson deviance of ``y = e^z``. Written out independently of
:mod:`._losses`, so the tests can check one against the other. One more is the
textbooks' rather than the estimators': ``logistic_squared_error``, ``½·Σ(σ(z) - t)²``
over logistic outputs, the quadratic cost of Nielsen's book (chapter 2's
``δ^L = (a - y) ⊙ σ'(z^L)``) and of Mazur's worked example, which no estimator trains on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: what explain and explain_network take: the estimators' training losses (the generalized cross entropy needs ``q``)
LOSSES = ("squared_error", "cross_entropy", "binary_cross_entropy", "generalized_cross_entropy", "binary_generalized_cross_entropy", "poisson",
          "logistic_squared_error")
GCE = ("generalized_cross_entropy", "binary_generalized_cross_entropy")
DEFAULT_Q = 0.7  # explain's q when a generalized cross entropy is chosen without one: the estimators' gce_q default


def loss_value_grad(z_out: np.ndarray, target: np.ndarray, loss_name: str, q: float | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, network output, dL/dz_out) for the output layer's raw ``z_out``."""
    if loss_name in GCE:
        value, p, _, dz = gce(z_out, target, loss_name == GCE[1], float(q or 0.0))
        return value, p, dz
    if loss_name == "poisson":  # half Poisson deviance, log link: e^z - t·z + t·log t - t per output (t·log t = 0 at t = 0)
        from scipy.special import xlogy

        mu = np.exp(z_out)
        return float((mu - target * z_out + xlogy(target, target) - target).sum()), mu, mu - target
    if loss_name == "squared_error":
        diff = z_out - target
        return float(0.5 * diff @ diff), z_out.copy(), diff
    if loss_name == "logistic_squared_error":  # y = σ(z) per output, ½·Σ(y - t)²: dL/dz = (y - t)·y·(1 - y)
        y = np.exp(-np.logaddexp(0.0, -z_out))
        diff = y - target
        return float(0.5 * diff @ diff), y, diff * y * (1.0 - y)
    if loss_name == "binary_cross_entropy":  # a logistic per output: -Σ t·log p + (1 - t)·log(1 - p), written stably in z
        p = np.exp(-np.logaddexp(0.0, -z_out))  # 1 / (1 + e^-z), with no overflow warning for z << 0
        return float((np.logaddexp(0.0, z_out) - target * z_out).sum()), p, p - target
    log_p = z_out - (z_out.max() + np.log(np.exp(z_out - z_out.max()).sum()))  # log-softmax: exact where p underflows to 0
    p = np.exp(log_p)
    return float(-(target * log_p).sum()), p, p - target


def gce(z_out: np.ndarray, target: np.ndarray, binary: bool, q: float) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """(loss, probabilities p, p_y, dL/dz) of the generalized cross entropy ``Σ (1 - p_y^q) / q``.

    Softmax: ``log p_y = Σ t·log p`` (one value, the labelled class's); logistic: per output
    ``log p_y = t·z - log(1 + e^z)`` (``p`` for a 1, ``1 - p`` for a 0). Since
    ``d(-log p_y)/dz = p - t``, the chain rule gives ``dL/dz = p_y^q · (p - t)``.
    """
    if binary:
        p = np.exp(-np.logaddexp(0.0, -z_out))
        log_p_y = target * z_out - np.logaddexp(0.0, z_out)
    else:
        log_p = z_out - (z_out.max() + np.log(np.exp(z_out - z_out.max()).sum()))
        p = np.exp(log_p)
        log_p_y = np.array([float(target @ log_p)])
    p_y_q = np.exp(q * log_p_y)
    return float(((1.0 - p_y_q) / q).sum()), p, np.exp(log_p_y), p_y_q * (p - target)


def torch_loss(h: Any, tt: Any, loss: str, q: float | None = None) -> Any:
    """The same loss in PyTorch (float64 tensors ``(n_out,)``), for autograd to differentiate."""
    import torch

    if loss == "squared_error":
        L = 0.5 * ((h - tt) ** 2).sum()
    elif loss == "logistic_squared_error":
        L = 0.5 * ((torch.sigmoid(h) - tt) ** 2).sum()
    elif loss == "binary_cross_entropy":
        L = torch.nn.functional.binary_cross_entropy_with_logits(h, tt, reduction="sum")
    elif loss == "poisson":
        L = (torch.exp(h) - tt * h + torch.special.xlogy(tt, tt) - tt).sum()
    elif loss in GCE:  # (1 - p_y^q) / q, with p_y through torch's own log-softmax / log-sigmoid
        log_p_y = tt * h + torch.nn.functional.logsigmoid(-h) if loss == GCE[1] else (tt * torch.log_softmax(h, dim=0)).sum()
        L = ((1.0 - torch.exp(float(q or 0.0) * log_p_y)) / float(q or 0.0)).sum()
    else:
        L = -(tt * torch.log_softmax(h, dim=0)).sum()
    return L


__all__ = ["DEFAULT_Q", "GCE", "LOSSES", "gce", "loss_value_grad", "torch_loss"]
