"""The means of top-``k`` lists (precision, recall, NDCG, MAP, hit rate) from their hits, in one groupby, no loop over users.

:func:`~hiddenlayers.apps.ranking_metrics` scores a model's lists with it, and ``loss="bpr"``'s early stopping scores the
held-out users' lists each epoch (:mod:`._recommend_heldout`); it needs no estimator, so the fit's loop can import it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def list_means(hits: pd.DataFrame, n_relevant: np.ndarray, evaluated: pd.Index, k: int) -> dict[str, float]:
    """Precision, recall, NDCG, MAP and hit rate at ``k``: means over the ``evaluated`` users (a pandas Index) of their lists.

    ``hits``: the listed items that are relevant, columns ``user`` and ``rank`` (1 = first; ranks past ``k`` already dropped);
    ``n_relevant``: ``(len(evaluated),)`` each user's count of relevant items. The formulas are
    :func:`~hiddenlayers.apps.ranking_metrics`' (its Returns section)."""
    hits = hits.sort_values(["user", "rank"], kind="stable")
    rank = hits["rank"].to_numpy(dtype=np.float64)
    nth = hits.groupby("user", sort=False).cumcount().to_numpy() + 1  # this hit is the user's nth
    per_user = pd.DataFrame({"user": hits["user"].to_numpy(), "gain": 1.0 / np.log2(rank + 1.0), "precision_at": nth / rank})
    sums = per_user.groupby("user").agg(hits=("gain", "size"), dcg=("gain", "sum"), ap=("precision_at", "sum")).reindex(evaluated, fill_value=0)
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))  # ideal[j]: the DCG of hits at ranks 1..j+1
    depth = np.minimum(k, n_relevant)
    n_hits = sums["hits"].to_numpy(dtype=np.float64)
    return {
        "precision": float(np.mean(n_hits / k)),
        "recall": float(np.mean(n_hits / n_relevant)),
        "ndcg": float(np.mean(sums["dcg"].to_numpy() / ideal[depth - 1])),
        "map": float(np.mean(sums["ap"].to_numpy() / depth)),
        "hit_rate": float(np.mean(n_hits > 0)),
    }


__all__ = ["list_means"]
