"""Lazy row-wise Adam for the Recommender's embedding tables: a step reads and writes only the batch's rows.

A batch of 256 ratings touches a few hundred of the ~10,000 user and item rows. Dense gradients
(``nn.Embedding``'s default) make every step zero, back-propagate into and update every row; here
each step gathers the batch's distinct rows into small leaf tensors (:meth:`RowAdam.lookup`),
autograd fills their gradients, and :meth:`RowAdam.step` updates those rows and their Adam moments
alone. This is ``torch.optim.SparseAdam``'s rule (lazy Adam, as implicit and Spotlight use), with
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


class RowAdam:
    """Adam on the rows of ``tables`` (``nn.Embedding`` weights) that each step's batch looked up.

    ``tables`` that do not require a gradient (frozen) are looked up but never updated.
    The step count ``t`` is shared by all tables and counts every step (as the dense Adam's does).
    """

    def __init__(self, tables: list[nn.Embedding], beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8) -> None:
        self.weights = [t.weight for t in tables]
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.xp: Any = np if self.weights[0].device.type == "cpu" else torch
        self._w = [w.detach().numpy() if self.xp is np else w.detach() for w in self.weights]  # views: writes reach the tables
        self.trainable = [w.requires_grad for w in self.weights]
        self.m = [self.xp.zeros_like(w) for w in self._w]
        self.v = [self.xp.zeros_like(w) for w in self._w]
        self.t = 0
        self._looked: list[tuple[Any, Any, Tensor]] = []  # per table: distinct rows, how often the batch looks each up, leaf

    def _distinct(self, codes: Tensor) -> tuple[Any, Any, Tensor]:
        """``codes``' distinct values (NumPy on the CPU), their counts, and each code's position among them (a tensor)."""
        if self.xp is np:
            rows, inverse, counts = np.unique(codes.numpy(), return_inverse=True, return_counts=True)
            return rows, counts, torch.from_numpy(inverse)
        rows, inverse, counts = torch.unique(codes, return_inverse=True, return_counts=True)
        return rows, counts, inverse

    def lookup(self, codes: list[Tensor]) -> list[Tensor]:
        """Each table's rows for its ``(B,)`` codes, ``(B, width)``, through leaves of the distinct rows that :meth:`step` updates.

        Codes given as the same tensor for two tables (a user's vector and bias) are sorted out once."""
        self._looked = []
        out, seen = [], {}
        for w, train, c in zip(self._w, self.trainable, codes, strict=True):
            if id(c) not in seen:
                seen[id(c)] = self._distinct(c)
            rows, counts, inverse = seen[id(c)]
            leaf = torch.as_tensor(w[rows])  # (distinct rows, width), a copy
            if train:
                leaf.requires_grad_()
            self._looked.append((rows, counts, leaf))
            out.append(leaf[inverse])
        return out

    @torch.no_grad()
    def step(self, lr: float, l2: float = 0.0) -> None:
        """Update the rows the last :meth:`lookup` gathered from their leaves' gradients plus ``l2``'s penalty.

        ``l2``: the penalty ``l2 · Σ ‖row‖²`` over the batch's lookups (a row looked up twice counts
        twice) adds ``2 · l2 · count · row`` to each row's gradient here, not through autograd."""
        self.t += 1
        lr_t = lr * math.sqrt(1.0 - self.beta_2**self.t) / (1.0 - self.beta_1**self.t)
        xp = self.xp
        for w, m, v, train, (rows, counts, leaf) in zip(self._w, self.m, self.v, self.trainable, self._looked, strict=True):
            if not train or leaf.grad is None:
                continue
            p = leaf.detach().numpy() if xp is np else leaf.detach()  # the rows as looked up (before this step)
            g = leaf.grad.numpy() if xp is np else leaf.grad
            if l2:
                g += (2.0 * l2) * counts[:, None] * p
            m_rows, v_rows = m[rows], v[rows]  # copies
            m_rows *= self.beta_1
            m_rows += (1.0 - self.beta_1) * g
            v_rows *= self.beta_2
            v_rows += (1.0 - self.beta_2) * (g * g)
            m[rows], v[rows] = m_rows, v_rows
            p -= lr_t * m_rows / (xp.sqrt(v_rows) + self.epsilon)
            w[rows] = p
        self._looked = []

    def state(self) -> list[Tensor]:
        """Copies of the tables' weights (early stopping's best so far)."""
        return [w.detach().clone() for w in self.weights]

    @torch.no_grad()
    def restore(self, saved: list[Tensor]) -> None:
        """Put back weights from :meth:`state`."""
        for w, s in zip(self.weights, saved, strict=True):
            w.copy_(s)


__all__ = ["RowAdam"]
