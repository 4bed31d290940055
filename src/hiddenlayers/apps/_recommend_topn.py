"""Top-N lists of a fitted ``Recommender``: the (user, item) pairs fit rated, kept compactly, and the ranking itself.

``Recommender.recommend`` scores every candidate item for a batch of users in one forward pass
(``(users, items)`` pairs through ``RecommenderNet.rate``, no Python loop over items), leaves out
what each user rated in fit (a CSR matrix of the training pairs: row ``u`` holds the item codes user
code ``u`` rated), and keeps the ``n`` best by a stable descending sort of the candidates taken in ascending
item id order (:func:`id_order`), so equal scores rank by item id: the same lists on every run, device and batch
(``torch.topk`` returns ties in no set order). The pairs travel in the model file as two integer tensors
(``rated.indptr``, ``rated.indices``: 8 bytes per user and 4 per training rating).
"""

from __future__ import annotations

import os
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor

from ..exceptions import DataError, ModelFileError
from ..network import evaluating

#: (user, item) pairs scored per forward pass: bounds the pass's memory (about 2 MB per 1,000 pairs at 64 hidden units)
PAIRS_PER_PASS = 1 << 17


def rated_pairs(users: np.ndarray, items: np.ndarray, shape: tuple[int, int], earlier: sp.csr_array | None = None) -> sp.csr_array:
    """The (user code, item code) pairs rated, as a boolean ``shape`` (users x items) CSR matrix with sorted indices.

    ``users``, ``items``: ``(n,)`` codes of fit's rows (a pair rated twice is one entry); ``earlier``: a smaller or equal
    matrix of pairs to keep too (a warm fit's or a source's: its codes are the first rows and columns of ``shape``)."""
    if earlier is not None:
        old = earlier.tocoo()
        users, items = np.concatenate([old.row, users]), np.concatenate([old.col, items])
    data = np.ones(len(users), dtype=bool)
    rated = sp.csr_array((data, (users.astype(np.int64), items.astype(np.int64))), shape=shape)
    rated.sum_duplicates()  # booleans: a pair given twice stays True
    return rated


def rated_tensors(rated: sp.csr_array) -> dict[str, Tensor]:
    """The pairs as the model file stores them: ``rated.indptr`` (int64, users + 1) and ``rated.indices`` (int32, pairs)."""
    return {"rated.indptr": torch.as_tensor(rated.indptr.astype(np.int64)), "rated.indices": torch.as_tensor(rated.indices.astype(np.int32))}


def rated_from_file(tensors: dict[str, Tensor], shape: tuple[int, int], path: str | os.PathLike[str]) -> sp.csr_array | None:
    """The pairs :func:`rated_tensors` wrote, checked against the file's ``shape`` (users, items); None for a file written before them."""
    if "rated.indptr" not in tensors and "rated.indices" not in tensors:
        return None
    try:
        indptr, indices = tensors["rated.indptr"].numpy().astype(np.int64), tensors["rated.indices"].numpy().astype(np.int64)
    except KeyError as missing:
        raise ModelFileError(f"model file '{path}' holds half of the rated pairs (no {missing.args[0]!r}): write it again with save().") from None
    sound = (indptr.ndim == 1 and indices.ndim == 1 and len(indptr) == shape[0] + 1 and indptr[0] == 0 and indptr[-1] == len(indices)
             and bool((np.diff(indptr) >= 0).all()) and (not len(indices) or (indices.min() >= 0 and indices.max() < shape[1])))
    if not sound:
        raise ModelFileError(f"model file '{path}' has rated pairs that do not fit its {shape[0]} users and {shape[1]} items: "
                             "the file is damaged; write it again with save().")
    return sp.csr_array((np.ones(len(indices), dtype=bool), indices, indptr), shape=shape)


def check_n(n: Any, name: str = "n") -> int:
    """``n`` (the argument ``name``: items per user) as a positive int; a bool, a non-integer or a number below 1 is refused
    (TypeError / ValueError)."""
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"{name} must be a whole number of items per user, e.g. {name}=10. Received: {name}={n!r} ({type(n).__name__}).")
    if n < 1:
        raise ValueError(f"{name} must be at least 1 (the number of items per user). Received: {name}={n!r}.")
    return int(n)


def id_array(side: str, ids: Any) -> np.ndarray:
    """``ids`` (one id, or a 1-D list, array or Series of them) as a 1-D array; empty, 2-D or repeated ids are a DataError."""
    arr = np.asarray(ids.to_numpy() if isinstance(ids, (pd.Series, pd.Index)) else ids, dtype=None if not isinstance(ids, (str, bytes)) else object)
    arr = arr.reshape(1) if arr.ndim == 0 else arr
    if arr.ndim != 1:
        raise DataError(f"{side} must be one id or a 1-D list of ids. Received shape {arr.shape}: pass e.g. df['userId'].unique().")
    if not len(arr):
        raise DataError(f"{side} is empty: pass at least one id.")
    repeated = pd.Index(arr).duplicated()
    if repeated.any():
        first = arr[np.flatnonzero(repeated)[0]]
        raise DataError(f"{side} holds {int(repeated.sum())} repeated id(s) (first: {_plain(first)!r}): pass each once, e.g. pd.unique({side}).")
    return arr


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def id_order(ids: pd.Index) -> np.ndarray:
    """Positions that put ``ids`` in ascending order (stable): numbers by value, text alphabetically, and where a model's ids
    mix the two (a warm fit's new ids of another kind), the numbers first. Ties of ``recommend`` rank by this order."""
    values = ids.to_numpy()
    try:
        return np.argsort(values, kind="stable")
    except TypeError:  # ints beside strings: no common order, so by kind, then value
        key = [(0, v, "") if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else (1, 0, str(v)) for v in values]
        return np.array(sorted(range(len(values)), key=key.__getitem__), dtype=np.int64)


def excluded_mask(rated: sp.csr_array, user_codes: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) positions in a ``(len(user_codes), candidates)`` score matrix of the pairs ``rated`` holds.

    ``user_codes``: the batch's user codes (-1: unseen, rated nothing); ``position``: each item code's column among the
    candidates (-1: not a candidate)."""
    known = user_codes >= 0
    rows_of = np.flatnonzero(known)
    sub = rated[user_codes[known]]
    counts = np.diff(sub.indptr)
    rows, cols = np.repeat(rows_of, counts), position[sub.indices]
    keep = cols >= 0
    return rows[keep], cols[keep]


@torch.no_grad()
def candidate_scores(net: Any, user_codes: np.ndarray, item_codes: np.ndarray, mean: float) -> Tensor:
    """Predicted ratings ``(len(user_codes), len(item_codes))`` float64, unclipped, as ``predict`` computes them.

    A known user's row is ``net.rate`` over every (user, candidate) pair in one pass (``user_codes`` x
    ``item_codes`` pairs); an unseen user's (code -1) is ``mean`` plus each item's bias, ``predict``'s fallback."""
    device = net.item.weight.device
    items = torch.as_tensor(item_codes, dtype=torch.int64, device=device)
    out = torch.empty((len(user_codes), len(item_codes)), dtype=torch.float64)
    item_bias = net.item_bias(items)  # (m, 1)
    cold = user_codes < 0
    if cold.any():
        out[torch.as_tensor(cold)] = (mean + item_bias[:, 0].double()).cpu()
    known = np.flatnonzero(~cold)
    if len(known):
        users = torch.as_tensor(user_codes[known], dtype=torch.int64, device=device)
        b, m = len(known), len(item_codes)
        # (b·m, f) user rows against (b·m, f) item rows: every pair of the batch, the users' rows repeated along the items
        pairs = net.rate(net.user(users).repeat_interleave(m, 0), net.item(items).repeat(b, 1),
                         net.user_bias(users).repeat_interleave(m, 0), item_bias.repeat(b, 1))
        out[torch.as_tensor(known)] = pairs.reshape(b, m).double().cpu()
    return out


def list_lengths_words(counts: np.ndarray, candidates: int, seen: str = "rated in fit") -> str:
    """What the lists hold, for the warning on ``n`` past the candidates: ``"the list holds 35 items (the 60 candidates less
    the 25 the user rated in fit)"``, or for several users the shortest and longest.

    Parameters
    ----------
    counts : numpy.ndarray of int, shape (users,)
        Each list's length (0 for a user who rated every candidate).
    candidates : int
        How many items were ranked.
    seen : str
        What the left-out items are, in the caller's words.
    """
    low, high = int(counts.min()), int(counts.max())
    if len(counts) == 1:
        short = f" (the {candidates} candidates less the {candidates - low} the user {seen})" if low < candidates else ""
        return f"the list holds {low} item{'s' if low != 1 else ''}{short}"
    if low == high == candidates:
        return f"each list holds {candidates} items"
    span = f"{low}" if low == high else f"{low} to {high}"
    return f"the lists hold {span} items (the {candidates} candidates less those each user {seen})"


def top_n(net: Any, user_codes: np.ndarray, item_codes: np.ndarray, n: int, mean: float,
          rated: sp.csr_array | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each user's ``n`` best candidates: (row of ``user_codes``, rank 1.., item code, unclipped score), users in order, ranks ascending.

    Scores ``users x candidates`` in batches of about :data:`PAIRS_PER_PASS` pairs; pairs in ``rated`` (None: exclude
    nothing) are set to -inf before the sort and dropped after it, so a user with fewer than ``n`` candidates
    left gets fewer rows. ``n`` is at most ``len(item_codes)``. The sort is stable: equal scores keep the order of
    ``item_codes`` (``recommend`` passes them in item id order)."""
    position = np.full(int(net.item.num_embeddings), -1, dtype=np.int64)
    position[item_codes] = np.arange(len(item_codes))
    step = max(1, PAIRS_PER_PASS // len(item_codes))
    parts: list[tuple[np.ndarray, ...]] = []
    with evaluating(net):
        for start in range(0, len(user_codes), step):
            batch = user_codes[start : start + step]
            scores = candidate_scores(net, batch, item_codes, mean)  # (b, m)
            if rated is not None:
                rows, cols = excluded_mask(rated, batch, position)
                scores[torch.as_tensor(rows), torch.as_tensor(cols)] = -torch.inf
            best, where = (t[:, :n] for t in torch.sort(scores, dim=1, descending=True, stable=True))  # (b, n); topk breaks ties at random
            best_np, where_np = best.numpy(), where.numpy()
            keep = np.isfinite(best_np)  # an excluded pair ranks last, and only where fewer than n were left
            row = np.broadcast_to(np.arange(start, start + len(batch))[:, None], keep.shape)
            rank = np.broadcast_to(np.arange(1, n + 1)[None, :], keep.shape)
            parts.append((row[keep], rank[keep], item_codes[where_np[keep]], best_np[keep]))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]


__all__ = ["PAIRS_PER_PASS", "candidate_scores", "check_n", "excluded_mask", "id_array", "id_order", "list_lengths_words", "rated_from_file", "rated_pairs", "rated_tensors", "top_n"]
