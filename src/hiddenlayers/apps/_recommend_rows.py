"""Lazy row-wise Adam for the Recommender's embedding tables: a step reads and writes only the batch's rows.

A batch of 256 ratings touches a few hundred of the ~10,000 user and item rows. Dense gradients
(``nn.Embedding``'s default) make every step zero, back-propagate into and update every row; here
each step gathers the batch's rows into small leaf tensors (:meth:`RowAdam.lookup`), autograd
fills their gradients, and :meth:`RowAdam.step` sums them per distinct row and updates those rows
and their Adam moments alone. This is ``torch.optim.SparseAdam``'s rule (lazy Adam, as implicit and Spotlight use), with
the bias correction and ``ε`` of the package's Adam (scikit-learn's): a row's moments are unchanged
by the steps whose batch lacks it, and the row does not move in them. The row arithmetic runs on
NumPy views of the tables on the CPU (a NumPy op on a few hundred rows costs a fraction of a torch
op's dispatch) and on the tensors themselves on a GPU; the same in-place operators serve both.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn


def array_module(device: torch.device) -> Any:
    """``numpy`` for tables on the CPU (their NumPy views), else ``torch``: the module :class:`RowAdam`'s arithmetic runs in."""
    return np if device.type == "cpu" else torch


class RowAdam:
    """Adam on the rows of ``tables`` (``nn.Embedding`` weights) that each step's batch looked up.

    ``tables`` that do not require a gradient (frozen) are looked up but never updated.
    The step count ``t`` is shared by all tables and counts every step (as the dense Adam's does).
    """

    def __init__(self, tables: list[nn.Embedding], beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8) -> None:
        self.weights = [t.weight for t in tables]
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.xp: Any = array_module(self.weights[0].device)
        self._w = [w.detach().numpy() if self.xp is np else w.detach() for w in self.weights]  # views: writes reach the tables
        self.trainable = [w.requires_grad for w in self.weights]
        self._moments: dict[tuple[int, ...], tuple[Any, Any]] = {}  # per group of tables looked up by the same codes: m, v
        self.t = 0
        self._looked: list[tuple[Any, Tensor]] = []  # per table: the batch's codes and their looked-up rows (the leaf)

    def lookup(self, codes: list[Tensor]) -> list[Tensor]:
        """Each table's rows for its ``(B,)`` codes: ``(B, width)`` leaf tensors (copies) whose gradients :meth:`step` reads."""
        self._looked = []
        out = []
        as_np = {id(c): c.numpy() for c in codes} if self.xp is np else {id(c): c for c in codes}  # the same tensor: the same object
        for w, train, c in zip(self._w, self.trainable, [as_np[id(c)] for c in codes], strict=True):
            leaf = torch.as_tensor(w[c])  # (B, width), a copy
            if train:
                leaf.requires_grad_()
            self._looked.append((c, leaf))
            out.append(leaf)
        return out

    def _distinct(self, codes: Any) -> tuple[Any, Tensor, Any]:
        """``codes``' distinct values (sorted), each code's position among them (a tensor) and each value's count."""
        if self.xp is not np:
            rows, inverse, counts = torch.unique(codes, return_inverse=True, return_counts=True)
            return rows, inverse, counts
        order = np.argsort(codes, kind="stable")  # np.unique's own steps, without its overhead (~50 µs against ~90)
        ordered = codes[order]
        new = np.empty(len(ordered), dtype=bool)
        new[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        inverse = np.empty(len(ordered), dtype=np.int64)
        inverse[order] = np.cumsum(new) - 1
        return ordered[new], torch.from_numpy(inverse), np.bincount(inverse)

    @torch.no_grad()
    def step(self, lr: float, l2: float = 0.0) -> None:
        """Update the rows the last :meth:`lookup` gathered from their leaves' gradients plus ``l2``'s penalty.

        ``l2``: the penalty ``l2 · Σ ‖row‖²`` over the batch's lookups (a row looked up twice counts
        twice) adds ``2 · l2 · count · row`` to each row's gradient here, not through autograd."""
        self.t += 1
        lr_t = lr * math.sqrt(1.0 - self.beta_2**self.t) / (1.0 - self.beta_1**self.t)
        groups: dict[int, list[int]] = {}  # a user's vector and bias share the codes: their rows update as one wider row
        for k, (codes, leaf) in enumerate(self._looked):
            if self.trainable[k] and leaf.grad is not None:
                groups.setdefault(id(codes), []).append(k)
        for ks in groups.values():
            self._update(ks, lr_t, l2)
        self._looked = []

    def _update(self, ks: list[int], lr_t: float, l2: float) -> None:
        """Adam on the looked-up rows of tables ``ks`` (which share their codes), side by side; ``lr_t`` the bias-corrected rate."""
        xp, codes = self.xp, self._looked[ks[0]][0]
        rows, inverse, counts = self._distinct(codes)
        grads = torch.cat([self._looked[k][1].grad for k in ks], dim=1)  # type: ignore[misc]  # (B, widths)
        summed = torch.zeros((len(rows), grads.shape[1]), dtype=grads.dtype, device=grads.device).index_add_(0, inverse, grads)
        g = summed.numpy() if xp is np else summed  # (distinct rows, widths): each row's gradient over its lookups
        p = xp.concatenate([self._w[k][rows] for k in ks], 1)  # a copy: the rows before this step
        if tuple(ks) not in self._moments:  # zeros of the tables' rows side by side, on their device
            blank = xp.concatenate([xp.zeros_like(self._w[k]) for k in ks], 1)
            self._moments[tuple(ks)] = (blank, blank.clone() if xp is torch else blank.copy())
        m, v = self._moments[tuple(ks)]
        if l2:  # (2 · l2 · count) per row, in the tables' dtype
            g += (counts * (2.0 * l2)).to(p.dtype)[:, None] * p if xp is torch else (counts * (2.0 * l2)).astype(p.dtype)[:, None] * p
        m_rows, v_rows = m[rows], v[rows]  # copies
        m_rows *= self.beta_1
        m_rows += (1.0 - self.beta_1) * g
        v_rows *= self.beta_2
        v_rows += (1.0 - self.beta_2) * (g * g)
        m[rows], v[rows] = m_rows, v_rows
        p -= lr_t * m_rows / (xp.sqrt(v_rows) + self.epsilon)
        start = 0
        for k in ks:
            width = self._w[k].shape[1]
            self._w[k][rows] = p[:, start : start + width]
            start += width

    def state(self) -> list[Tensor]:
        """Copies of the tables' weights (early stopping's best so far)."""
        return [w.detach().clone() for w in self.weights]

    @torch.no_grad()
    def restore(self, saved: list[Tensor]) -> None:
        """Put back weights from :meth:`state`."""
        for w, s in zip(self.weights, saved, strict=True):
            w.copy_(s)


__all__ = ["RowAdam", "array_module"]
