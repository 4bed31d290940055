"""The batches of one epoch for the fit loop, whichever way the data is held.

:class:`Batches` hides three paths behind one iterator of ``(x, y, w)``:

- **gather** (NumPy engine, shuffled dense data): each batch's rows are
  gathered from one permutation into buffers kept across steps;
- **permuted copy** (torch engine, or sparse ``X``): the epoch's data is
  permuted once, then sliced;
- **in order** (``shuffle=False``): the data is sliced as it is.

Sparse ``X`` stays sparse on the NumPy engine (its first layer multiplies the
stored values: ``_sparse_first``), in the weights' dtype; the torch engine and
autograd get it densified one batch at a time. ``w`` is None without sample
weights. A batch whose rows all have sample weight 0 is left out: the loss is
a weighted mean per batch, and such a batch carries no information (its mean
is 0/0), so it makes no step; the batches around it are the ones a fit without
its rows would see. A streaming source can stand in for :class:`Batches`: the
loop only iterates it once per epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

Batch = tuple[Any, Any, Any]


def batch_bounds(n: int, batch_size: int, min_rows: int = 1) -> list[tuple[int, int]]:
    """``(start, stop)`` of each batch of ``n`` rows: ``batch_size`` rows each, the last one shorter.

    A last batch of fewer than ``min_rows`` rows joins the batch before it (when there is one): batch
    norm cannot train on a batch of one row (PyTorch raises "Expected more than 1 value per channel"),
    and 201 rows at the default batch of 200 would end on one; dropping it instead would lose that row's
    step each epoch it comes last.
    """
    starts = list(range(0, n, batch_size))
    bounds = [(s, min(s + batch_size, n)) for s in starts]
    while len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < min_rows:  # once for min_rows 2 (batch norm's): a batch holds >= 1 row
        bounds.pop()
        bounds[-1] = (bounds[-1][0], n)
    return bounds


def steps_per_epoch(n: int, batch_size: int, module: torch.nn.Module) -> int:
    """The optimizer steps :func:`~hiddenlayers.training.train` takes in an epoch of ``n`` rows at ``batch_size`` for ``module``.

    ``len(batch_bounds(...))`` counted without the list, so a lone last row that joins the batch before it (batch norm)
    is no step of its own, as ``ceil(n / batch_size)`` counted it. Every batch holds a weight > 0 (the fit leaves rows of
    weight 0 out first), so each is a step.

    Parameters
    ----------
    n : int
        Rows, >= 1.
    batch_size : int
        Rows per step.
    module : torch.nn.Module
        The network (whether it holds batch norm).
    """
    size = min(int(batch_size), n)
    count, min_rows = -(-n // size), min_batch_rows(module)
    last = n - (count - 1) * size
    while count > 1 and last < min_rows:  # batch_bounds' joins
        count, last = count - 1, last + size
    return count


def min_batch_rows(module: torch.nn.Module) -> int:
    """The fewest rows a training batch of ``module`` may hold: 2 with a batch-norm layer, else 1."""
    return 2 if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules()) else 1


def _weighted(W: Any, bounds: list[tuple[int, int]]) -> list[bool]:
    """Whether each batch ``bounds`` of ``W`` (this epoch's ``(n,)`` weights, in order: NumPy or tensor) has a weight > 0.

    Weights are checked to be >= 0 before training, so a batch without one sums to exactly 0.
    """
    starts = [s for s, _ in bounds]
    if isinstance(W, np.ndarray):
        return np.logical_or.reduceat(W > 0, np.asarray(starts)).tolist()  # type: ignore[no-any-return]
    counts = torch.cumsum((W > 0).to(torch.int64), 0)  # rows with a weight > 0 up to each row: one pass, one host read
    ends = counts[torch.as_tensor([e - 1 for _, e in bounds], device=W.device)]
    before = torch.cat([ends.new_zeros(1), ends[:-1]])
    return (ends > before).tolist()  # type: ignore[no-any-return]


def _rows(X: Any, sl: slice | Tensor, device: torch.device, dtype: torch.dtype) -> Tensor:
    if isinstance(X, Tensor):
        return X[sl]
    block = X[sl] if isinstance(sl, slice) else X[sl.cpu().numpy()]
    return torch.as_tensor(block.toarray(), dtype=dtype, device=device)


class _BatchGather:
    """Shuffled batches for the NumPy engine, each gathered when its step needs it.

    The rows of a batch are copied into buffers kept across steps: the batch
    (256 x 100 float32 is 100 kB) is still in cache for the products, where a
    whole-epoch shuffled copy writes the data set out and reads it back, and
    holds a second copy of X. ``mode="clip"`` because ``mode="raise"``
    buffers ``out`` (the indices come from a permutation: none is out of range).
    """

    def __init__(self, X: Any, Y: Any, W: Any, rows: int) -> None:
        """``X``, ``Y``, ``W`` (or None): NumPy arrays with one row per sample; ``rows``: the batch size."""
        self.src = (X, Y, W)
        self.buf: tuple[Any, ...] = tuple(None if a is None else np.empty((rows, *a.shape[1:]), a.dtype) for a in self.src)

    def __call__(self, idx: np.ndarray) -> Batch:
        """``(x, y, w)`` of rows ``idx`` (``w`` None without sample weights)."""
        x, y, w = (None if a is None else np.take(a, idx, axis=0, out=b[: len(idx)], mode="clip") for a, b in zip(self.src, self.buf))
        return x, y, w


class Batches:
    """Iterate once per epoch for that epoch's ``(x, y, w)`` batches, in the engine's array type.

    ``X``: ``(n, in_features)`` tensor or SciPy sparse matrix; ``Y``: ``(n,
    n_outputs)`` tensor; ``sample_weight``: ``(n,)`` tensor or None.
    ``convert`` is the engine's tensor -> array conversion (``stepper.convert``);
    ``numpy_engine`` says whether it yields NumPy arrays. Each shuffled epoch
    draws one ``torch.randperm`` from ``generator`` when iteration starts.
    Batches of zero total weight are skipped (see the module's notes), so an
    epoch may yield fewer than ``len(self)``; ``some_zero`` says whether any
    row has weight 0 (one host read here; the check per epoch runs only then).
    ``skip_unweighted=False`` yields every batch: under DDP every rank must take
    the same steps, so a rank's empty batch adds a zero gradient instead.
    ``min_rows``: a last batch with fewer rows joins the one before (2 for a network
    with batch norm: see :func:`batch_bounds`).
    """

    def __init__(
        self,
        X: Any,
        Y: Tensor,
        sample_weight: Tensor | None,
        batch_size: int,
        *,
        shuffle: bool,
        generator: torch.Generator | None,
        convert: Callable[[Tensor], Any],
        numpy_engine: bool,
        device: torch.device,
        dtype: torch.dtype,
        skip_unweighted: bool = True,
        min_rows: int = 1,
    ) -> None:
        self.X, self.Y, self.W = X, Y, sample_weight
        self.n = int(X.shape[0])
        self.batch_size = batch_size
        self.bounds = batch_bounds(self.n, batch_size, min_rows)
        self.shuffle, self.generator = shuffle, generator
        self.convert, self.device, self.dtype = convert, device, dtype
        self.dense = isinstance(X, Tensor)
        self.sparse_batches = numpy_engine and not self.dense  # CSR batches in the engine's dtype (one copy of the stored values at most)
        if self.sparse_batches:
            self.X = X.tocsr().astype(torch.empty(0, dtype=dtype).numpy().dtype, copy=False)
        self.some_zero = skip_unweighted and sample_weight is not None and bool((sample_weight == 0).any())
        self.gather = None
        if numpy_engine and shuffle and self.dense:
            cv = convert
            widest = max(e - s for s, e in self.bounds)
            self.gather = _BatchGather(cv(X), cv(Y), None if sample_weight is None else cv(sample_weight), widest)

    def __len__(self) -> int:
        """Batches per epoch."""
        return len(self.bounds)

    def __iter__(self) -> Iterator[Batch]:
        """The batches of one epoch (a fresh permutation when shuffling)."""
        if self.gather is not None:
            perm = torch.randperm(self.n, generator=self.generator).numpy()
            keep = _weighted(self.gather.src[2][perm], self.bounds) if self.some_zero else None
            for b, (start, stop) in enumerate(self.bounds):
                if keep is None or keep[b]:
                    yield self.gather(perm[start:stop])
            return
        X, Y, W = self._epoch_order()
        cv = self.convert
        keep = _weighted(W, self.bounds) if self.some_zero else None
        for b, (start, stop) in enumerate(self.bounds):
            if keep is not None and not keep[b]:
                continue
            sl = slice(start, stop)
            xb = X[sl] if self.dense or self.sparse_batches else cv(_rows(X, sl, self.device, self.dtype))
            yield xb, Y[sl], (W[sl] if W is not None else None)

    def _epoch_order(self) -> Batch:
        """``(X, Y, W)`` of this epoch: permuted copies when shuffling, converted (sparse X stays sparse)."""
        X, Y, W = self.X, self.Y, self.W
        if self.shuffle:
            perm = torch.randperm(self.n, generator=self.generator).to(self.device)
            X = X[perm] if self.dense else X[perm.cpu().numpy()]
            Y = Y[perm]
            W = W[perm] if W is not None else None
        cv = self.convert
        return (cv(X) if self.dense else X), cv(Y), (cv(W) if W is not None else None)


__all__ = ["Batch", "Batches", "batch_bounds", "min_batch_rows", "steps_per_epoch"]
