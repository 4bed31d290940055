"""Ranking metrics of top-N lists on held-out ratings: precision, recall, NDCG, MAP and hit rate at ``k``.

The held-out ratings say which items each user likes: those rated ``relevant`` or more. A user's list is
the ``k`` items a :class:`~hiddenlayers.apps.Recommender` ranks first among those the user did not rate in
fit (``recommend(exclude_seen=True)``), or a list given as a DataFrame (a baseline's). Every figure is
a mean over the held-out users with at least one relevant item and a list; one merge of lists and
relevant pairs computes them all, no loop over users.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._recommend import _pairs, check_id_kinds, check_ids
from ._recommend_means import list_means
from ._recommend_topn import check_n

LIST_COLUMNS = ("user", "rank", "item")


def ranking_metrics(model: Any, X_test: Any, y_test: Any, *, k: int = 10, relevant: float = 4.0) -> dict[str, float]:
    """Precision, recall, NDCG, MAP and hit rate at ``k`` of ``model``'s top-``k`` lists on held-out ratings.

    Parameters
    ----------
    model
        A fitted ``Recommender`` (its lists: ``recommend(users, n=k, exclude_seen=True)``, so items rated in fit
        are left out), or a DataFrame of lists with columns ``user``, ``rank`` (1 = first) and ``item``, as
        ``recommend`` returns (e.g. a popularity baseline's): each user's ranks whole numbers from 1, distinct, and its
        items distinct (else a DataError); ranks past ``k`` are ignored.
    X_test
        Held-out ``(user, item)`` pairs, in any form ``Recommender.predict`` reads.
    y_test
        Their ratings, ``(n,)``.
    k
        List length scored (a whole number from 1).
    relevant
        Rating from which a held-out item counts as relevant (liked): ``rating >= relevant``.

    Returns
    -------
    dict
        Means over the evaluated users (held-out users with a relevant item and a list: a model's users seen in
        fit; a DataFrame's users present in it), with ``R`` a user's relevant items, ``hits`` those in the first
        ``k`` of the list and ``rank`` a hit's rank: ``precision`` = hits / k; ``recall`` = hits / |R|;
        ``ndcg`` = Σ 1/log2(rank + 1) over the hits, over the same sum for ranks 1..min(k, |R|); ``map`` =
        Σ (hits up to rank) / rank over the hits, over min(k, |R|); ``hit_rate`` = share of users with a hit.
        Also ``users`` (how many were evaluated) and ``users_left_out`` (with a relevant item but no list: a
        model's users not seen in fit). Relevant items the model never saw stay in ``R``: no list can reach them.
    """
    k = check_n(k, "k")
    if isinstance(relevant, bool) or not isinstance(relevant, Real) or not np.isfinite(relevant):
        raise TypeError(f"relevant must be a finite rating, e.g. relevant=4.0 (4 stars and up are liked). Received: relevant={relevant!r}.")
    liked = _relevant_pairs(X_test, y_test, float(relevant))
    wanted = pd.unique(liked["user"])
    lists = _lists(model, wanted, k)
    lists = lists[lists["rank"] <= k]
    evaluated = pd.Index(wanted)[pd.Index(wanted).isin(lists["user"])]
    if not len(evaluated):
        raise DataError("No held-out user with a relevant item has a list: pass lists (or a model) for the held-out users.")
    try:
        hits = lists.merge(liked, on=["user", "item"])
    except ValueError as err:  # ids of another type on the two sides: pandas refuses the merge
        raise DataError(f"The lists' ids and X_test's are of different types ({err}): convert one side, e.g. .astype(int).") from None
    return list_means(hits, liked.groupby("user").size().reindex(evaluated).to_numpy(), evaluated, k) | {
        "users": len(evaluated), "users_left_out": len(wanted) - len(evaluated)}


def _relevant_pairs(X_test: Any, y_test: Any, relevant: float) -> pd.DataFrame:
    """The distinct held-out (user, item) pairs rated ``relevant`` or more; none is a DataError."""
    users, items = _pairs(X_test)
    check_ids("user", users, when="scoring")
    check_ids("item", items, when="scoring")
    try:
        ratings = np.asarray(y_test, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DataError(f"y_test must hold numeric ratings; it has values such as {np.asarray(y_test).reshape(-1)[:3].tolist()}.") from None
    if ratings.shape[0] != users.shape[0]:
        raise DataError(f"X_test has {users.shape[0]} rows but y_test has {ratings.shape[0]} ratings: pass one rating per (user, item) pair.")
    keep = ratings >= relevant
    if not keep.any():
        raise DataError(f"No held-out rating reaches relevant={relevant} (highest: {np.nanmax(ratings) if len(ratings) else None}): "
                        "lower relevant, or pass more held-out ratings.")
    return pd.DataFrame({"user": users[keep], "item": items[keep]}).drop_duplicates(ignore_index=True)


def _lists(model: Any, users: np.ndarray, k: int) -> pd.DataFrame:
    """The lists to score: a DataFrame's (checked), or the model's for ``users`` seen in its fit."""
    if isinstance(model, pd.DataFrame):
        missing = [c for c in LIST_COLUMNS if c not in model.columns]
        if missing:
            raise DataError(f"The lists lack column(s) {missing}: pass columns user, rank, item, as Recommender.recommend returns.")
        return _checked_lists(model.loc[:, list(LIST_COLUMNS)])
    recommend = getattr(model, "recommend", None)
    if recommend is None:
        raise TypeError(f"model must be a fitted Recommender or a DataFrame of lists (user, rank, item). Received: {type(model).__name__}.")
    model._require_fitted()
    codes = model.users_.get_indexer(users)
    check_id_kinds("user", users, codes, model.users_)
    known = users[codes >= 0]
    if not len(known):
        raise DataError("No held-out user was seen in fit, so the model has no list for any: hold out ratings of users it was fitted on.")
    return recommend(known, n=min(k, len(model.items_)), exclude_seen=True)


def _checked_lists(lists: pd.DataFrame) -> pd.DataFrame:
    """``lists`` (user, rank, item) if each user's ranks are distinct whole numbers from 1 and its items distinct; else a DataError.

    Ranks from 0 made NDCG and MAP infinite (a hit at rank 0), ties let more than ``k`` items into the first ``k``, and an item
    listed twice counted its hit twice: each gave figures past their bounds, not an error."""
    try:
        rank = np.asarray(lists["rank"], dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"The lists' rank column must hold whole numbers from 1 (1 = first); it has {lists['rank'].head(3).tolist()}.") from None
    bad = ~(np.isfinite(rank) & (rank >= 1) & (rank == np.floor(rank)))
    if bad.any():
        raise DataError(f"The lists' rank column must hold whole numbers from 1 (1 = first); row {int(np.flatnonzero(bad)[0])} has "
                        f"{_plain(lists['rank'].iloc[int(np.flatnonzero(bad)[0])])!r}: number each user's list 1, 2, ... (add 1 to ranks from 0).")
    for columns, what in ((["user", "rank"], "rank"), (["user", "item"], "item")):
        twice = lists.duplicated(columns).to_numpy()
        if twice.any():
            first = lists.iloc[int(np.flatnonzero(twice)[0])]
            raise DataError(f"The lists give user {_plain(first['user'])!r} the {what} {_plain(first[what])!r} twice: each user's list needs "
                            "distinct ranks (1, 2, ...: no ties) and distinct items, as Recommender.recommend returns.")
    return lists.assign(rank=rank.astype(np.int64))


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


__all__ = ["ranking_metrics"]
