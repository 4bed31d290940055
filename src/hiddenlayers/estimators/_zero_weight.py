"""Rows of ``sample_weight`` 0 left out of a fit before anything sees them.

scikit-learn's sample-weight equivalence: a row of weight 0 is as if absent. The
loss already gives it no share, but other parts of a fit would still see it:
batch norm's batch statistics (and so its running statistics), the
early-stopping split (which rows are held out), ``batch_size="auto"``'s
``min(200, n)``, the batches' composition and the samples counted in ``t_``
(which ``invscaling`` reads). Dropping the rows once, before the split, makes the
fit the fit on the other rows (same seed, same result). A streamed fit's chunks keep
their rows (so one process and ``--workers`` ranks take the same batches);
``train`` leaves them out of each batch's step (``training/_loop._weighted_rows``) and
out of ``t_`` (``_counted_rows``), as the in-memory fit does (under ``torch.distributed``
every row counts, each rank its own, so the ranks' ``invscaling`` rates stay equal).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..training import distributed_world


def drop_unweighted(X: Any, Xt: torch.Tensor | None, y: np.ndarray, Y: np.ndarray,
                    sample_weight: np.ndarray | None) -> tuple[Any, torch.Tensor | None, np.ndarray, np.ndarray, np.ndarray | None]:
    """``(X, Xt, y, Y, sample_weight)`` without the rows whose weight is 0 (``X``: array or CSR, ``Xt``: its training tensor or None).

    Unchanged when no weight is 0, or when every one is (``partial_fit``'s no-op chunk, or the error that refuses it),
    and under ``torch.distributed``, where every rank must take the same number of steps (there a batch of weight 0
    makes no step and adds nothing: ``training/_distributed``).
    """
    if sample_weight is None or distributed_world()[1] > 1:
        return X, Xt, y, Y, sample_weight
    keep = np.asarray(sample_weight) > 0
    if keep.all() or not keep.any():
        return X, Xt, y, Y, sample_weight
    rows = np.flatnonzero(keep)
    Xt = None if Xt is None else Xt.index_select(0, torch.as_tensor(rows, device=Xt.device))
    return X[rows], Xt, y[rows], Y[rows], sample_weight[rows]


__all__ = ["drop_unweighted"]
