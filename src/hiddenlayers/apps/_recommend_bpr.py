"""The ``Recommender``'s ranking objective, ``loss="bpr"``: Bayesian personalized ranking (Rendle et al. 2009).

A rating model ranks items by the stars a user would give *if* they rated them, not by what they
choose to rate (Cremonesi et al. 2010): on MovieLens its top-10 lists lose to a popularity ranking.
BPR trains the same network on implicit feedback instead: every (user, item) pair of fit (or, with
``positive_threshold``, those rated at least that) is a positive ``i``; each epoch pairs each positive
with ``n_negatives`` items ``j`` drawn uniformly (with replacement) among those the user did not interact with,
and the loss is the batch mean over every (positive, negative) pair of ``-log σ(s(u, i) - s(u, j))``
(``F.logsigmoid``), so the network learns to score a user's items above the others. implicit, LightFM and
Spotlight rank with this loss (LightFM's and Spotlight's several negatives per positive too).

Negatives are drawn exactly, not by rejection: with the user's interacted items ``s_0 < s_1 < ...``
(a CSR row), ``t_m = s_m - m`` counts the free items below ``s_m``, so the ``r``-th free item is
``r + #{m : t_m <= r}``, one ``searchsorted`` over all users at once (:class:`NegativeSampler`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from torch import Tensor, nn

from ..exceptions import DataError
from ..training import FlatParams, LoopHooks, Optimizer
from ._fit import forward_batches
from ._recommend_heldout import HeldOutRanking
from ._recommend_rows import RowAdam

#: at most this many negatives in an epoch (positives x n_negatives) are drawn at once before its first step; more are drawn per
#: batch, so a large n_negatives costs batch_size x n_negatives codes at a time (the draw's temporaries take about 50 bytes
#: a code, some 100 MB here) rather than running out of memory. n_negatives=1 always draws at once, as it did before.
EPOCH_DRAW_LIMIT = 1 << 21

#: fewer positives than this trains on all of them (no held-out pairs for early stopping), as the rating fit's 20 ratings
MIN_HELD_OUT = 20


class NegativeSampler:
    """Uniform draws, for given users, among the items each did not interact with.

    ``interacted``: a boolean users x items CSR matrix with sorted indices (:func:`rated_pairs`; kept as ``interacted``). ``free``: each
    user's count of items not interacted with (a user with 0 has no negative: :func:`bpr_pairs` leaves such users out).
    """

    def __init__(self, interacted: sp.csr_array) -> None:
        self.interacted = interacted
        n_users, self.n_items = interacted.shape
        self.indptr = interacted.indptr.astype(np.int64)
        counts = np.diff(self.indptr)
        self.free = self.n_items - counts  # (n_users,)
        rank = np.arange(len(interacted.indices)) - np.repeat(self.indptr[:-1], counts)  # each entry's position in its row
        below = interacted.indices.astype(np.int64) - rank  # t_m: free items below the interacted item s_m (sorted per row)
        self.keys = np.repeat(np.arange(n_users, dtype=np.int64), counts) * (self.n_items + 1) + below  # sorted overall

    def draw(self, users: np.ndarray, gen: torch.Generator) -> np.ndarray:
        """One item code per entry of ``users`` ``(n,)`` (codes with ``free > 0``), uniform among that user's free items; ``gen`` seeds it."""
        free = self.free[users]
        r = np.minimum((torch.rand(len(users), generator=gen, dtype=torch.float64).numpy() * free).astype(np.int64), free - 1)
        before = np.searchsorted(self.keys, users * (self.n_items + 1) + r, side="right") - self.indptr[users]
        return r + before


def bpr_pairs(codes: np.ndarray, ratings: np.ndarray, threshold: float | None, shape: tuple[int, int]) -> tuple[np.ndarray, NegativeSampler]:
    """The positives ``(m, 2)`` (distinct pairs; rated at least ``threshold`` when given) and the sampler of their negatives.

    Every pair of ``codes`` ``(n, 2)`` counts as interacted (a pair below the threshold is neither a positive nor drawn as a
    negative). Positives of users who interacted with every item have no negative and are left out; none left is a DataError."""
    interacted = sp.csr_array((np.ones(len(codes), dtype=bool), (codes[:, 0], codes[:, 1])), shape=shape)
    interacted.sum_duplicates()
    interacted.sort_indices()
    sampler = NegativeSampler(interacted)
    chosen = codes if threshold is None else codes[ratings >= threshold]
    if not len(chosen):
        raise DataError(f"No rating is at least positive_threshold={threshold!r} (the highest is {ratings.max():g}), so loss='bpr' has no "
                        "positive pair: lower positive_threshold, or set it to None (every pair a positive).")
    keys = np.unique(chosen[:, 0].astype(np.int64) * shape[1] + chosen[:, 1])
    positives = np.stack([keys // shape[1], keys % shape[1]], axis=1)
    positives = positives[sampler.free[positives[:, 0]] > 0]
    if not len(positives):
        raise DataError("Every user with a positive pair interacted with every item, so loss='bpr' has no negative to rank them above: "
                        "fit on more items than each user has, or use loss='squared_error'.")
    return positives, sampler


def bpr_loss(positive: Tensor, negative: Tensor) -> Tensor:
    """BPR's per-pair loss ``-log σ(positive - negative)`` (``F.logsigmoid``, stable for large gaps); scores ``(B, 1)`` each."""
    return -F.logsigmoid(positive - negative)


class BprObjective:
    """``loss="bpr"`` for the Recommender's loop: an epoch of BPR steps on fresh negatives, and the held-out pairs' scores.

    ``sampler`` draws the negatives, ``n_negatives`` per positive each epoch; ``validation``, when set, is ``(pairs (m, 2),
    negatives (m,))`` on the device, one negative per held-out pair drawn once at fit (fixed, so epochs compare), and
    ``ranking`` scores the held-out users' lists (:class:`HeldOutRanking`), which early stopping watches (``monitor``)."""

    monitor = "val_score"

    def __init__(self, sampler: NegativeSampler, n_negatives: int = 1, ranking: HeldOutRanking | None = None) -> None:
        self.sampler = sampler
        self.n_negatives = n_negatives
        self.ranking = ranking

    def held_out(self, net: nn.Module, validation: tuple[Tensor, Tensor]) -> tuple[float, float]:
        """``(the held-out positives' mean BPR loss against their fixed negatives, NDCG@10 of the held-out users' lists)``, in eval mode."""
        pairs, negatives = validation
        with torch.no_grad():
            pos = forward_batches(net, pairs)
            neg = forward_batches(net, torch.stack([pairs[:, 0], negatives], dim=1))
            loss = float(bpr_loss(pos, neg).mean())
        return loss, self.ranking(net) if self.ranking is not None else float("nan")

    def epoch(
        self, est: Any, net: Any, flat: FlatParams, opt: Optimizer, rows: RowAdam, X: Tensor, Y: Tensor | None, gen: torch.Generator,
        acc_dtype: torch.dtype, hooks: LoopHooks,
    ) -> tuple[float, float]:
        """One shuffled pass over the positives ``X`` (n, 2) codes, each with ``n_negatives`` negatives drawn now (``Y`` unused):
        ``(the epoch's mean BPR loss over its (positive, negative) pairs, the first batch's, before its step)``. ``hooks`` get each
        step's ``on_batch_end`` (the summed loss so far). With ``n_negatives=1``, or ``n · n_negatives`` at most
        :data:`EPOCH_DRAW_LIMIT`, the negatives come in one vectorised draw of ``n · n_negatives`` items before the first step
        (each positive's ``n_negatives`` in a row), so ``n_negatives=1`` draws exactly what one negative per positive drew;
        above it each batch draws its own (``batch_size · n_negatives`` at a time, in the shuffled order), so memory stays
        bounded by the batch however large ``n_negatives`` is."""
        net.train()
        n, device, k, sampler = X.shape[0], X.device, self.n_negatives, self.sampler
        perm = torch.randperm(n, generator=gen).to(device)  # drawn on the CPU: the same order on every device
        if k == 1 or n * k <= EPOCH_DRAW_LIMIT:
            negatives = torch.as_tensor(draw_negatives(sampler, X[:, 0].cpu().numpy(), k, gen), device=device)  # (n, k)
            return batch_pass(perm, est.batch_size, hooks, acc_dtype, lambda idx: bpr_step(est, net, flat, opt, rows, X[idx], negatives[idx]))

        def step(idx: Tensor) -> Tensor:  # this batch's (B, k) negatives, drawn now
            xb = X[idx]
            neg = torch.as_tensor(draw_negatives(sampler, xb[:, 0].cpu().numpy(), k, gen), device=device)
            return bpr_step(est, net, flat, opt, rows, xb, neg)

        return batch_pass(perm, est.batch_size, hooks, acc_dtype, step)


def draw_negatives(sampler: NegativeSampler, users: np.ndarray, k: int, gen: torch.Generator) -> np.ndarray:
    """``k`` negatives for each entry of ``users`` ``(n,)``: ``(n, k)`` item codes, row ``p`` drawn for ``users[p]``.

    One vectorised draw of ``n·k`` items (row ``p``'s at ``p·k .. p·k + k - 1`` of the stream), so ``k=1`` is exactly
    ``sampler.draw(users, gen)``: a fit with one negative per positive draws what it drew before ``n_negatives`` existed."""
    return sampler.draw(np.repeat(users, k), gen).reshape(len(users), k)


def batch_pass(perm: Tensor, batch_size: int, hooks: LoopHooks, acc_dtype: torch.dtype, step: Callable[[Tensor], Tensor]) -> tuple[float, float]:
    """``step`` on each ``batch_size`` slice of the row order ``perm`` (n,): ``(the summed losses it returns over n, the first
    batch's loss over its rows)``, added up on the device once (in ``acc_dtype``). ``hooks`` get each step's ``on_batch_end``
    (the summed loss so far, a 0-d tensor). Both of the Recommender's objectives run their epochs through it."""
    n, losses = len(perm), []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging step's overflow: the DivergedWarning or the error says it
        for start in range(0, n, batch_size):
            losses.append(step(perm[start : start + batch_size]))
            if hooks.reads_batches:
                hooks.batch_end(torch.stack(losses).sum())
    return float(torch.stack(losses).to(acc_dtype).sum()) / n, float(losses[0]) / min(n, batch_size)


def bpr_step(est: Any, net: Any, flat: FlatParams, opt: Optimizer, rows: RowAdam, xb: Tensor, neg: Tensor) -> Tensor:
    """One step on positives ``xb`` (B, 2) and their negatives ``neg`` (B, k): ``Σ bpr_loss / (B·k) + reg · Σ ‖looked-up row‖² / B``.

    The loss is the mean over the ``B·k`` (positive, negative) pairs; the penalty falls on every looked-up row (the ``B`` users',
    the ``B`` positives' and the ``B·k`` negatives'). The positive and negative items are looked up together (one item-table
    lookup of ``B + B·k`` codes, so a row drawn twice sums its gradients) and each positive is scored once; the MLP steps by
    ``opt``, the rows by ``rows``. Returns the batch's BPR loss summed over positives of each one's mean over its ``k`` (detached)."""
    u, (b, k) = xb[:, 0], neg.shape
    items = torch.cat([xb[:, 1], neg.reshape(-1)])  # (B + B·k,): the positives, then each positive's k negatives in a row
    eu, ei, bu, bi = rows.lookup([u, items, u, items])  # (B, f), (B + B·k, f), (B, 1), (B + B·k, 1)
    flat.grad.zero_()
    # (B + B·k, 1): the positives' scores, then the negatives', each user's row repeated for its k negatives
    scores = net.rate(torch.cat([eu, eu.repeat_interleave(k, 0)]), ei, torch.cat([bu, bu.repeat_interleave(k, 0)]), bi)
    total = bpr_loss(scores[:b].repeat_interleave(k, 0), scores[b:]).sum()
    (total / (b * k)).backward()
    opt.step(est.learning_rate_init)
    rows.step(est.learning_rate_init, est.reg / b)
    return total.detach() / k


def bpr_training_data(
    est: Any, codes: np.ndarray, ratings: np.ndarray, shape: tuple[int, int], device: torch.device, gen: torch.Generator,
) -> tuple[Tensor, tuple[Tensor, Tensor] | None, BprObjective]:
    """Fit's positives on ``device`` (n, 2), the held-out ``validation`` (``validation_fraction`` of them, with one fixed
    negative each, when ``early_stopping`` and there are at least :data:`MIN_HELD_OUT`) and the objective (with the held-out
    users' :class:`HeldOutRanking` then)."""
    positives, sampler = bpr_pairs(codes, ratings, est.positive_threshold, shape)
    validation, ranking = None, None
    if est.early_stopping and len(positives) >= MIN_HELD_OUT:
        tr, va = train_test_split(np.arange(len(positives)), test_size=est.validation_fraction, random_state=est.random_state)
        negatives = sampler.draw(positives[va, 0], gen)
        validation = (torch.as_tensor(positives[va], device=device), torch.as_tensor(negatives, device=device))
        ranking = HeldOutRanking(positives[va], sampler.interacted, est.random_state)
        positives = positives[tr]
    return torch.as_tensor(positives, dtype=torch.int64, device=device), validation, BprObjective(sampler, est.n_negatives, ranking)


__all__ = ["EPOCH_DRAW_LIMIT", "BprObjective", "batch_pass", "draw_negatives", "NegativeSampler", "bpr_loss", "bpr_pairs", "bpr_step", "bpr_training_data"]
