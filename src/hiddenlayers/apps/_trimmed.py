"""Trimmed squared error: each batch leaves its worst-reconstructed rows out of the loss.

An autoencoder fitted on contaminated rows learns to reconstruct the anomalies
too, so their reconstruction error stops standing out. Leaving the ``fraction``
of each batch with the largest error out of the loss keeps those rows from
pulling on the weights: the trimmed least squares of robust statistics, as in
the trimmed / robust autoencoders of the anomaly-detection literature.

Trimming starts at the first step, with no warm-up: at initialization the
largest errors are the rows farthest from the mean, which anomalies usually
are. On the shuttle data a warm-up of 1-5 plain epochs let the network learn
part of the anomalies first, and the trimmed fits were no better or worse
(examples/RESULTS.md).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ..training import Loss, get_loss


def kept_rows(n: int, fraction: float) -> int:
    """How many of ``n`` rows a trim of ``fraction`` keeps: the ``floor(fraction * n)`` largest go, at least one row stays."""
    return max(1, n - math.floor(fraction * n))


def trimmed_mean(errors: Tensor, fraction: float) -> float:
    """Mean of the per-row ``errors`` (n,) without the ``fraction`` largest (the validation loss of a trimmed fit)."""
    if errors.shape[0] == 0:
        return 0.0
    return float(torch.topk(errors, kept_rows(errors.shape[0], fraction), largest=False, sorted=False).values.mean().item())


def trimmed_squared_error(fraction: float) -> Loss:
    """Half squared error summed over a batch's rows but its ``fraction`` worst, scaled by ``B / kept``.

    The scaling keeps the step size of the plain loss (the loop divides by the
    batch size ``B``). Which rows are kept is decided on the current errors and
    is not differentiated. Sample weights are not supported: the autoencoder uses none.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must lie in [0, 1). Received: fraction={fraction!r}.")
    base = get_loss("squared_error")

    def value(z: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
        per = 0.5 * ((z - y) ** 2).sum(1)  # (B,) per-row half squared error
        keep = kept_rows(per.shape[0], fraction)
        idx = torch.topk(per.detach(), keep, largest=False, sorted=False).indices  # (keep,)
        return per[idx].sum() * (per.shape[0] / keep)

    def np_value_grad(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
        d = z - y
        per = 0.5 * np.einsum("ij,ij->i", d, d)
        keep = kept_rows(per.shape[0], fraction)
        scale = np.zeros(per.shape[0], dtype=d.dtype)  # B / keep on the kept rows, 0 on the trimmed ones
        scale[np.argpartition(per, keep - 1)[:keep]] = per.shape[0] / keep
        return float(per @ scale), d * scale[:, None]

    return Loss(f"trimmed_squared_error({fraction:g})", base.out_activation, value, base.output, base.np_output, np_value_grad)


__all__ = ["kept_rows", "trimmed_mean", "trimmed_squared_error"]
