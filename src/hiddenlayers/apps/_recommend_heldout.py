"""``loss="bpr"``'s early-stopping score: NDCG@10 of held-out users' top-10 lists, as ``ranking_metrics`` scores a model.

The held-out BPR loss (each held-out positive against one fixed negative) rises on MovieLens from epoch 3 while the lists
go on improving, so it stopped fits too soon. What the user wants of a ranking model is its lists, so early stopping scores
them: each epoch, every item is ranked for a sample of the users with held-out positives (the pairs they interacted with in
fit left out, except the held-out ones, as ``recommend(exclude_seen=True)`` leaves out what a user rated), the held-out
positives are the relevant items, and the score is their NDCG@10 (:func:`list_means`, ``ranking_metrics``' arithmetic). Its cost
is bounded: at most :data:`VALIDATION_USERS` users, each scored against every item (``top_n``'s batched pass), per epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._recommend_means import list_means
from ._recommend_topn import top_n
from ._seed import seed_of

#: the most held-out users whose lists early stopping scores each epoch: more are sampled (seeded by ``random_state``) down to it
VALIDATION_USERS = 200
#: the list length early stopping scores (fewer when there are fewer items)
VALIDATION_K = 10


class HeldOutRanking:
    """NDCG@:data:`VALIDATION_K` of held-out users' lists, for a network whose item codes run ``0 .. n_items - 1``.

    ``held``: the held-out positives, ``(m, 2)`` (user, item) codes, distinct; ``interacted``: a boolean users x items CSR
    matrix of every pair of fit (``held`` among them), whose other pairs are left out of the lists; ``random_state``: seeds
    the sample of users when more than :data:`VALIDATION_USERS` have held-out positives (``users``: those scored, sorted).
    """

    def __init__(self, held: np.ndarray, interacted: sp.csr_array, random_state: Any) -> None:
        users = np.unique(held[:, 0])
        if len(users) > VALIDATION_USERS:
            users = np.sort(np.random.default_rng(seed_of(random_state)).choice(users, VALIDATION_USERS, replace=False))
        self.users = users
        kept = held[np.isin(held[:, 0], users)]
        self.liked = pd.DataFrame({"user": kept[:, 0], "item": kept[:, 1]})
        self.n_relevant = self.liked.groupby("user").size().reindex(users).to_numpy()
        self.n_items = interacted.shape[1]
        self.k = min(VALIDATION_K, self.n_items)
        out = sp.csr_array((np.ones(len(held), dtype=np.int8), (held[:, 0], held[:, 1])), shape=interacted.shape)
        seen = interacted.astype(np.int8) - out  # 1: interacted in fit and not held out; 0: held out (or never)
        seen.eliminate_zeros()
        self.seen = seen.astype(bool)
        self.seen.sort_indices()

    def __call__(self, net: Any) -> float:
        """The mean NDCG@k over :attr:`users` of ``net``'s lists (a ``RecommenderNet``; evaluated in eval mode, its modes kept)."""
        row, rank, item, _ = top_n(net, self.users, np.arange(self.n_items), self.k, 0.0, self.seen)
        lists = pd.DataFrame({"user": self.users[row], "rank": rank, "item": item})
        hits = lists.merge(self.liked, on=["user", "item"])
        return list_means(hits, self.n_relevant, pd.Index(self.users), self.k)["ndcg"]


__all__ = ["VALIDATION_K", "VALIDATION_USERS", "HeldOutRanking"]
