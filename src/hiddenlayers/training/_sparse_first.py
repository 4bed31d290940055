"""The first layer's product and gradient for a SciPy sparse batch on the CPU (NumPy) engine, never made dense.

A hashed-text batch (``HashingVectorizer``: 200 rows x 2**16 columns, 100 stored
values a row) touches about a quarter of the columns. Densifying it cost a
``(B, in_features)`` copy and two dense products over every column (the forward
``x Wᵀ`` and the gradient ``dzᵀ x``), most of a step. Here both products run on
the batch's columns only:

- :func:`columns` gathers the batch's distinct columns ``u`` once per step and
  re-indexes the CSR rows onto them (``xu``: ``(B, len(u))``, the same stored values);
- :func:`linear` is ``xu · W[:, u]ᵀ + b``, scipy's sparse product;
- :func:`grad_w_into` writes ``l2·W`` over the whole gradient (or zeros), then
  adds ``dzᵀ · xu`` into the columns ``u``: the weights are ``(out, in)``, so a
  column is strided; one flat ``index_add_`` over the places row by row took
  30 ms where NumPy's ``out[:, u] +=`` took 107 (200 x 2**16, 100 units, load ~11),
  and without L2 (adam folds it into its step) ``np.put`` writes them (8 ms).

Only the summation order differs from the dense products (float tolerance).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
import torch


class SparseBatch(NamedTuple):
    """A CSR batch on its distinct columns: ``xu`` ``(B, len(u))``, ``u`` (sorted column ids) and ``width`` (``in_features``)."""

    xu: sp.csr_matrix
    u: np.ndarray
    width: int


def columns(x: Any) -> SparseBatch:
    """``x`` (SciPy sparse ``(B, in_features)``) as a :class:`SparseBatch`: its stored values re-indexed onto its columns."""
    x = x.tocsr()  # a CSR batch as it is, no copy
    u, inv = np.unique(x.indices, return_inverse=True)
    xu = sp.csr_matrix((x.data, inv.reshape(-1), x.indptr), shape=(x.shape[0], len(u)))
    return SparseBatch(xu, u, int(x.shape[1]))


def linear(xs: SparseBatch, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x Wᵀ + b`` ``(B, out)`` from the batch's columns of ``W`` ``(out, in)``; ``b`` ``(out,)``."""
    Wu = np.take(W, xs.u, axis=1)  # (out, len(u))
    z = np.asarray(xs.xu @ Wu.T, dtype=W.dtype)  # scipy's CSR x dense product on the stored values
    z += b
    return z


def grad_w_into(xs: SparseBatch, dz: np.ndarray, W: np.ndarray, l2: float, out: np.ndarray) -> None:
    """``out`` ``(out, in)`` = ``dzᵀ x + l2·W``: the L2 term over every weight, the data term into the batch's columns only.

    ``dz`` ``(B, out)``: the batch's ``dL/dz`` of this layer; ``l2`` 0 writes zeros first.
    """
    g = np.ascontiguousarray((xs.xu.T.tocsr() @ dz).T, dtype=out.dtype)  # (out, len(u)): dzᵀ x on the batch's columns
    at = (np.arange(out.shape[0])[:, None] * xs.width + xs.u).ravel()  # those columns' places in out, row by row
    if l2:
        np.multiply(W, l2, out=out)
        torch.from_numpy(out).view(-1).index_add_(0, torch.from_numpy(at), torch.from_numpy(g).view(-1))
    else:  # zeros elsewhere; the columns written, not added (u holds each column once): half the scattered traffic
        out.fill(0.0)
        np.put(out, at, g)


__all__ = ["SparseBatch", "columns", "grad_w_into", "linear"]
