"""The held-out rows' loss, recorded each epoch as ``history_.val_loss`` (Keras' ``val_loss``).

One job: the training loss (``est._loss()``: log loss, GCE, squared error, Poisson; as the fit records it,
``Loss.reported``: a regressor's squared error is the mean over its outputs) summed over
held-out rows from their head outputs, on the targets the training loss reads (``est._targets``:
one-hot and label smoothing, a scaled regression target), weighted by the rows' weights. Without
the L2 term, which depends on the training rows' count, not the held-out rows. ``hl.distill``'s student scores the distillation objective on the
held-out rows' own teacher targets. The in-memory
early-stopping score (:func:`~._fit.split_validation`) and the streamed one (``_fit_stream``) share it,
so both record the same number for the same rows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP


def loss_sum(est: _BaseMLP, raw: np.ndarray, y: Any, sample_weight: Any, targets: np.ndarray | None = None) -> tuple[float, float]:
    """``(Σ w·loss, Σ w)`` over rows ``y`` with head outputs ``raw`` ``(n, n_outputs)``; all weights 1 when ``sample_weight`` is None.

    ``targets``: the rows' training targets when ``y`` alone does not give them: ``hl.distill``'s student's
    ``[y | q | mask]`` rows, which carry the teacher's probabilities of those very rows (the split's held-out part).
    Without them the student's loss is ``(nan, 1)``: its targets cannot be made from ``y``.
    """
    if targets is None and est.__dict__.get("_distilling") is not None:
        return math.nan, 1.0
    rows = est._targets(np.asarray(y)) if targets is None else targets
    target = torch.from_numpy(np.asarray(rows, dtype=np.float64).reshape(raw.shape[0], -1))
    w = None if sample_weight is None else torch.from_numpy(np.asarray(sample_weight, dtype=np.float64))
    loss, z = est._loss(), torch.from_numpy(np.asarray(raw, dtype=np.float64))
    with torch.no_grad():
        total = float(loss.reported(loss.value(z, target, w), z))  # a regressor's: the mean over outputs, as its training loss
    return total, float(raw.shape[0] if w is None else w.sum())


__all__ = ["loss_sum"]
