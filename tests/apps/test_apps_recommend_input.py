"""Recommender input checks: frames whose column names say item then user are refused (they were read by position and
silently swapped users and items); a (user, item) pair given twice warns for ratings and is one positive for BPR."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers import Recommender
from hiddenlayers.apps._recommend_input import duplicate_pairs, id_side, swapped_id_columns
from hiddenlayers.exceptions import DataError


def _quick(**kw: object) -> Recommender:
    return Recommender(**{"n_factors": 2, "hidden_layer_sizes": (), "max_iter": 1, "early_stopping": False, "random_state": 0, **kw})


def _frame(first: str = "user", second: str = "item") -> tuple[pd.DataFrame, np.ndarray]:
    """Three users and three items, each pair once, in columns ``first`` and ``second``."""
    return pd.DataFrame({first: [1, 1, 2, 3], second: [10, 20, 20, 30]}), np.array([5.0, 3.0, 4.0, 2.0])


def _swapped_message(first: str, second: str) -> str:
    return (f"X's columns are ['{first}', '{second}']: by their names the first holds items and the second users, but X is read by "
            f"position, user then item, so users and items would be swapped: put the user column first, e.g. df[['{second}', '{first}']].")


@pytest.mark.parametrize("first, second", [("item", "user"), ("movieId", "userId"), ("MovieID", "UserID"), ("product_id", "customer_id"),
                                           ("itemid", "userid"), ("track", "listeners")])
def test_fit_refuses_columns_named_item_then_user(first: str, second: str) -> None:
    X, r = _frame(first, second)
    rec = _quick()
    with pytest.raises(DataError, match=f"^{re.escape(_swapped_message(first, second))}$"):
        rec.fit(X, r)
    assert not hasattr(rec, "network_")
    rec.fit(X[[second, first]], r)  # the fix the message names
    assert rec.users_.tolist() == [10, 20, 30]  # the second column's ids are the users now, as the names say


@pytest.mark.parametrize("columns", [["user", "item"], ["a", "b"], ["id1", "id2"], ["userId", "movieId"], ["item", "user_item"], ["book", "author"], [0, 1]])
def test_neutral_or_right_names_are_read_by_position(columns: list[object]) -> None:
    assert not swapped_id_columns(columns)
    X, r = _frame()
    X.columns = columns
    assert _quick().fit(X, r).users_.tolist() == [1, 2, 3]


def test_id_side_reads_words_not_substrings() -> None:
    assert [id_side(n) for n in ["userId", "user_id", "USER", "Customers", "movieId", "product", "SKU"]] == ["user"] * 4 + ["item"] * 3
    assert [id_side(n) for n in ["username", "uid", "iid", "users_items", "itemizer", None, 3]] == [None] * 7


@pytest.mark.parametrize("method", ["predict", "seen", "network_input", "score", "ranking_metrics"])
def test_predict_and_its_kin_refuse_a_swapped_frame_after_a_positional_fit(method: str) -> None:
    X, r = _frame()
    rec = _quick().fit((X.user.to_numpy(), X.item.to_numpy()), r)  # fitted without names: the frame's names are all it has
    flipped = pd.DataFrame({"movieId": X.item, "userId": X.user})
    call = {"score": lambda: rec.score(flipped, r), "ranking_metrics": lambda: hl.apps.ranking_metrics(rec, flipped, r)}.get(
        method, lambda: getattr(rec, method)(flipped))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "X has feature names, but Recommender was fitted without feature names"
        with pytest.raises(DataError, match=re.escape("put the user column first, e.g. df[['userId', 'movieId']].")):
            call()


def test_a_model_fitted_on_those_names_before_the_check_still_reads_them(tmp_path: object) -> None:
    """A model fitted on ['movieId', 'userId'] before this check (its users are the movies) reads frames as fitted: refusing them
    would leave it no frame to read; a warm fit goes on with them too."""
    X, r = _frame()
    rec = _quick(warm_start=True).fit(X, r)
    rec.feature_names_in_ = np.array(["movieId", "userId"], dtype=object)  # as such a model's file holds them
    old = X.rename(columns={"user": "movieId", "item": "userId"})
    np.testing.assert_array_equal(rec.predict(old), rec.predict((X.user.to_numpy(), X.item.to_numpy())))
    rec.fit(old, r)
    with pytest.raises(DataError, match="users and items would be swapped"):
        _quick().fit(old, r)  # a new fit is refused


def test_duplicate_pairs_warn_once_for_ratings_naming_the_first() -> None:
    """Repeated (user, item) rows were fitted as separate ratings without a word."""
    X = pd.DataFrame({"userId": [1, 1, 2, 1, 2, 3], "movieId": ["a", "b", "a", "a", "a", "c"]})
    r = pd.Series([5.0, 3.0, 4.0, 1.0, 2.0, 4.0], name="stars")
    msg = ("X holds 2 (user, item) pair(s) given more than once (first: user 1, item 'a', rows 0 and 3, 0-based): loss='squared_error' "
           "fits each row as a separate rating, as Surprise does, so such a pair weighs more; to fit one rating per pair, aggregate "
           "first, e.g. df.groupby(['userId', 'movieId'], as_index=False).stars.mean().")
    with pytest.warns(UserWarning) as caught:
        _quick().fit(X, r)
    assert [str(w.message) for w in caught] == [msg]
    with pytest.warns(UserWarning, match=re.escape("e.g. df.groupby(['user', 'item'], as_index=False).rating.mean().")):
        _quick().fit((X.userId.to_numpy(), X.movieId.to_numpy()), r.to_numpy())  # no names: the usual ones
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _quick().fit(X.drop_duplicates(), r[~X.duplicated()])  # each pair once: no warning


def test_duplicate_pairs_are_one_positive_for_bpr() -> None:
    """A positive given twice is the same positive: no warning, and the fit is the fit of each pair once."""
    X = pd.DataFrame({"user": [1, 1, 2, 2, 3, 3], "item": ["a", "b", "a", "c", "b", "c"]})
    twice = pd.concat([X, X.iloc[[0, 3, 3]]], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        once, repeated = _quick(loss="bpr", max_iter=2).fit(X), _quick(loss="bpr", max_iter=2).fit(twice)
    np.testing.assert_array_equal(once.predict(X), repeated.predict(X))


def test_duplicate_pairs_finds_mixed_ids() -> None:
    users, items = np.array([1, "1", 1, 2], dtype=object), np.array(["a", "a", "a", "a"], dtype=object)
    assert duplicate_pairs(users, items) == (1, 2, 0)  # the int 1 and the string "1" are two users
    assert duplicate_pairs(np.arange(3), np.arange(3)) is None
