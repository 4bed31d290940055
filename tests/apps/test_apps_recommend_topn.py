"""Recommender.recommend: top-N lists against a brute-force oracle (predict on every pair), the training pairs it leaves out
(kept in the model file, warm fits and init_from), unseen users, candidates, argument errors; ranking_metrics by hand."""

from __future__ import annotations

import math
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file
from safetensors.torch import save_file as st_save_file

import hiddenlayers as hl
from hiddenlayers import ModelFileError, NotFittedError, Recommender
from hiddenlayers.apps import _recommend_topn
from hiddenlayers.exceptions import DataError

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"
N_USERS, N_ITEMS = 25, 30


def _ratings(seed: int = 0, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users, items = rng.integers(0, N_USERS, n), rng.integers(0, N_ITEMS, n)
    r = np.clip(np.round(3 + np.sin(users) * np.cos(items) + 0.5 * rng.normal(size=n)), 1, 5)
    return pd.DataFrame({"user": users, "item": [f"m{i}" for i in items], "rating": r})


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, Recommender]:
    df = _ratings()
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=4, random_state=0)
    return df, rec.fit(df[["user", "item"]], df.rating)


def _oracle(rec: Recommender, user: Any, n: int, rated: set[tuple[Any, Any]] | None, items: list[Any] | None = None) -> pd.Series:
    """The user's n best items by predict, one pair at a time over every candidate, leaving out ``rated`` pairs."""
    candidates = [i for i in (items if items is not None else list(rec.items_)) if rated is None or (user, i) not in rated]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unseen user's predict warns
        scores = rec.predict(pd.DataFrame({"user": [user] * len(candidates), "item": candidates}))
    return pd.Series(scores, index=candidates).sort_values(ascending=False, kind="stable").iloc[:n]


def _pairs(df: pd.DataFrame) -> set[tuple[Any, Any]]:
    return set(zip(df.user, df.item, strict=True))


def test_lists_are_the_oracles_top_n_without_the_rated_items(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    df, rec = fitted
    users = [3, 0, 17]
    out = rec.recommend(users, n=5)
    assert list(out.columns) == ["user", "rank", "item", "score"]
    assert out.user.tolist() == [3] * 5 + [0] * 5 + [17] * 5  # the order of users, then rank
    assert out["rank"].tolist() == [1, 2, 3, 4, 5] * 3
    for user in users:
        mine = out[out.user == user]
        best = _oracle(rec, user, 5, _pairs(df))
        assert mine.item.tolist() == best.index.tolist()
        np.testing.assert_allclose(mine.score.to_numpy(), best.to_numpy(), rtol=1e-6)
        assert not {(user, i) for i in mine.item} & _pairs(df)


def test_exclude_seen_false_ranks_every_item(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    df, rec = fitted
    out = rec.recommend(4, n=N_ITEMS, exclude_seen=False)
    assert len(out) == N_ITEMS and set(out.item) == set(rec.items_)
    assert out.item.tolist() == _oracle(rec, 4, N_ITEMS, None).index.tolist()
    assert np.all(np.diff(out.score.to_numpy()) <= 0)


def test_a_user_with_few_unrated_items_gets_a_shorter_list(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    df, rec = fitted
    user = 5
    left, left_6 = (N_ITEMS - df[df.user == u].item.nunique() for u in (user, 6))
    with pytest.warns(UserWarning) as caught:
        out = rec.recommend([user, 6], n=40)
    assert len(out[out.user == user]) == left
    assert out[out.user == user]["rank"].tolist() == list(range(1, left + 1))
    # the true lengths, not "at most 30": the candidates less each user's rated items (it said "each list holds at most 30")
    low, high = sorted((left, left_6))
    assert [str(w.message) for w in caught] == [f"n=40 is more than the {N_ITEMS} candidate items: the lists hold {low} to {high} items "
                                                f"(the {N_ITEMS} candidates less those each user rated in fit)."]
    with pytest.warns(UserWarning, match=rf"^n=40 is more than the {N_ITEMS} candidate items: the list holds {left} items \(the {N_ITEMS} "
                      rf"candidates less the {N_ITEMS - left} the user rated in fit\)\.$"):
        assert len(rec.recommend(user, n=40)) == left
    with pytest.warns(UserWarning, match=rf"^n=40 is more than the {N_ITEMS} candidate items: each list holds {N_ITEMS} items\.$"):
        rec.recommend([user, 6], n=40, exclude_seen=False)


def test_batches_of_users_give_what_one_pass_gives(fitted: tuple[pd.DataFrame, Recommender], monkeypatch: pytest.MonkeyPatch) -> None:
    _, rec = fitted
    users = list(range(N_USERS))
    whole = rec.recommend(users, n=7)
    monkeypatch.setattr(_recommend_topn, "PAIRS_PER_PASS", 2 * N_ITEMS + 1)  # two users a pass, the last pass one
    pd.testing.assert_frame_equal(rec.recommend(users, n=7), whole)


def _all_tied(rec: Recommender) -> Recommender:
    """A copy of ``rec`` whose items share one vector and bias: every candidate scores the same for each user."""
    import copy

    tied = copy.deepcopy(rec)
    net = tied.network_
    net.item.weight.data[:] = net.item.weight.data[0]
    net.item_bias.weight.data[:] = net.item_bias.weight.data[0]
    return tied


def test_equal_scores_rank_by_item_id(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    """Ties went in torch.topk's order (none set): now by item id, ascending, whatever the order items_ holds them in."""
    df, rec = fitted
    tied = _all_tied(rec)
    assert list(tied.items_) != sorted(tied.items_)  # fit's first-appearance order: the codes are not in id order
    out = tied.recommend([3, 0], n=12)
    for user in (3, 0):
        unrated = sorted(i for i in tied.items_ if (user, i) not in _pairs(df))
        assert out[out.user == user].item.tolist() == unrated[:12]
        assert out[out.user == user].score.nunique() == 1
    pool = ["m7", "m29", "m11", "m2"]  # candidates given in any order rank alike
    assert tied.recommend([1], n=4, items=pool, exclude_seen=False).item.tolist() == ["m11", "m2", "m29", "m7"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unseen user: the fallback, mean + item bias, ties too
        assert tied.recommend([999], n=3).item.tolist() == ["m0", "m1", "m10"]


@pytest.mark.parametrize(("ids", "order"), [
    ([30, 4, 17], [4, 17, 30]), (["b", "a", "c"], ["a", "b", "c"]), ([3, "a", 1, "B"], [1, 3, "B", "a"]), ([2.5, 1, "x"], [1, 2.5, "x"]),
])
def test_id_order_sorts_numbers_then_text(ids: list[Any], order: list[Any]) -> None:
    index = pd.Index(ids, dtype=object if any(isinstance(i, str) for i in ids) else None)
    assert [ids[k] for k in _recommend_topn.id_order(index)] == order


def test_candidate_items(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    df, rec = fitted
    pool = ["m3", "m7", "m11", "m2", "m29"]
    out = rec.recommend([1, 2], n=3, items=pool, exclude_seen=False)
    for user in (1, 2):
        assert out[out.user == user].item.tolist() == _oracle(rec, user, 3, None, pool).index.tolist()
    with pytest.raises(DataError, match=r"items holds 1 id\(s\) not seen in fit \(first: 'zzz'\), which have no vector to rank"):
        rec.recommend([1], items=["m3", "zzz"])
    with pytest.raises(DataError, match=r"items holds 1 repeated id\(s\) \(first: 'm3'\): pass each once"):
        rec.recommend([1], items=["m3", "m7", "m3"])
    with pytest.raises(DataError, match=r"Item ids are numbers \(first: 3\) but the model was fitted on strings"):
        rec.recommend([1], items=[3, 7])


def test_unseen_users_get_predicts_fallback_with_a_warning(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    _, rec = fitted
    with pytest.warns(UserWarning, match=r"1 of 2 users were not seen in fit \(first: 999\): their lists rank items by the global mean"):
        out = rec.recommend([999, 2], n=4)
    cold = out[out.user == 999]
    bias = pd.Series(rec.network_.item_bias.weight[:, 0].detach().numpy().astype(np.float64), index=rec.items_)
    assert cold.item.tolist() == bias.sort_values(ascending=False).index[:4].tolist()
    np.testing.assert_allclose(cold.score.to_numpy(), rec.global_mean_ + bias.sort_values(ascending=False).to_numpy()[:4])


def test_scores_are_clipped_as_predict_clips_them() -> None:
    df = _ratings(1)
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0, clip=(1.0, 3.2)).fit(df[["user", "item"]], df.rating)
    out = rec.recommend([0, 1], n=N_ITEMS, exclude_seen=False)
    assert out.score.max() <= 3.2
    again = rec.predict(out[["user", "item"]])
    np.testing.assert_allclose(out.score.to_numpy(), again, rtol=1e-6)


def test_the_pairs_travel_in_the_file_and_the_pickle(fitted: tuple[pd.DataFrame, Recommender], tmp_path: Path) -> None:
    df, rec = fitted
    rec.save(tmp_path / "r.safetensors")
    tensors = load_file(str(tmp_path / "r.safetensors"))
    distinct = len(_pairs(df))
    assert tensors["rated.indptr"].shape == (N_USERS + 1,) and str(tensors["rated.indptr"].dtype) == "torch.int64"
    assert tensors["rated.indices"].shape == (distinct,) and str(tensors["rated.indices"].dtype) == "torch.int32"
    loaded = Recommender.load(tmp_path / "r.safetensors")
    pd.testing.assert_frame_equal(loaded.recommend([0, 1, 2]), rec.recommend([0, 1, 2]))
    pd.testing.assert_frame_equal(hl.load(tmp_path / "r.safetensors").recommend(3), rec.recommend(3))
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(rec)).recommend([0, 1]), rec.recommend([0, 1]))


def test_a_file_from_before_the_pairs_refuses_exclude_seen_only() -> None:
    for old in (Recommender.load(LEGACY / "recommender.safetensors"), pickle.loads((LEGACY / "recommender.pkl").read_bytes())):
        with pytest.raises(ValueError, match=r"does not hold the \(user, item\) pairs its fit rated .*: pass exclude_seen=False, or fit it again"):
            old.recommend(old.users_[:2])
        out = old.recommend(old.users_[:2], n=2, exclude_seen=False)
        assert len(out) == 4


@pytest.mark.parametrize("damage", ["half", "out-of-range", "wrong-length"])
def test_damaged_pairs_in_a_file_are_a_clear_error(fitted: tuple[pd.DataFrame, Recommender], tmp_path: Path, damage: str) -> None:
    _, rec = fitted
    rec.save(tmp_path / "r.safetensors")
    from safetensors import safe_open

    with safe_open(str(tmp_path / "r.safetensors"), framework="pt") as fh:
        meta = fh.metadata()
    tensors = load_file(str(tmp_path / "r.safetensors"))
    if damage == "half":
        del tensors["rated.indices"]
    elif damage == "out-of-range":
        tensors["rated.indices"][0] = N_ITEMS
    else:
        tensors["rated.indptr"] = tensors["rated.indptr"][:-1].clone()
    st_save_file(tensors, str(tmp_path / "bad.safetensors"), metadata=meta)
    with pytest.raises(ModelFileError, match=r"model file '.*bad.safetensors' (holds half of the rated pairs|has rated pairs that do not fit)"):
        Recommender.load(tmp_path / "bad.safetensors")


def test_a_warm_fit_adds_its_pairs_and_init_from_keeps_the_sources() -> None:
    first, second = _ratings(0, 300), _ratings(1, 300)
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=1, random_state=0, warm_start=True)
    rec.fit(first[["user", "item"]], first.rating)
    known = second[second.user.isin(rec.users_) & second.item.isin(rec.items_)]
    rec.fit(known[["user", "item"]], known.rating)
    got = {(rec.users_[u], rec.items_[i]) for u, i in zip(*rec.rated_.nonzero(), strict=True)}
    assert got == _pairs(first) | _pairs(known)
    new = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=1, random_state=0, init_from=rec)
    extra = pd.DataFrame({"user": [100, 100], "item": ["m1", "new"], "rating": [4.0, 2.0]})
    new.fit(extra[["user", "item"]], extra.rating)
    got = {(new.users_[u], new.items_[i]) for u, i in zip(*new.rated_.nonzero(), strict=True)}
    assert got == _pairs(first) | _pairs(known) | _pairs(extra)


@settings(max_examples=40, deadline=None)
@given(n=st.one_of(st.booleans(), st.integers(max_value=0), st.floats(allow_nan=True), st.text(max_size=3), st.none()))
def test_bad_n_is_refused_in_one_line(fitted: tuple[pd.DataFrame, Recommender], n: Any) -> None:
    _, rec = fitted
    with pytest.raises((TypeError, ValueError), match=r"^n must be (a whole number of items per user, e.g. n=10|at least 1)"):
        rec.recommend([0], n=n)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(min_value=1, max_value=N_ITEMS), users=st.lists(st.integers(0, N_USERS - 1), min_size=1, max_size=6, unique=True))
def test_every_list_is_sorted_distinct_and_unrated(fitted: tuple[pd.DataFrame, Recommender], n: int, users: list[int]) -> None:
    df, rec = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n past a user's unrated items
        out = rec.recommend(users, n=n)
    assert list(pd.unique(out.user)) == [u for u in users if u in set(out.user)]
    for _, mine in out.groupby("user"):
        assert mine.item.is_unique and len(mine) <= n
        assert np.all(np.diff(mine.score.to_numpy()) <= 0)
    assert not _pairs(out) & _pairs(df)


@pytest.mark.parametrize(("users", "error", "message"), [
    ([1, 2, 1], DataError, r"users holds 1 repeated id\(s\) \(first: 1\): pass each once"),
    ([], DataError, r"users is empty: pass at least one id"),
    ([[1, 2]], DataError, r"users must be one id or a 1-D list of ids. Received shape \(1, 2\)"),
    (["1", "2"], DataError, r"User ids are strings \(first: '1'\) but the model was fitted on numbers .*\.astype\(int\)"),
    ([1.5], DataError, r"User ids that are not whole numbers \(first: 1.5\)"),
    ([1, None], DataError, r"Missing user ids \(NaN or None\)"),
])
def test_bad_users_are_refused(fitted: tuple[pd.DataFrame, Recommender], users: Any, error: type[Exception], message: str) -> None:
    _, rec = fitted
    with pytest.raises(error, match=message):
        rec.recommend(users)


def test_other_argument_errors(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    _, rec = fitted
    with pytest.raises(TypeError, match=r"exclude_seen must be True or False. Received: exclude_seen='yes'"):
        rec.recommend([1], exclude_seen="yes")  # type: ignore[arg-type]
    with pytest.raises(NotFittedError):
        Recommender().recommend([1])


# ------------------------------------------------------------------ ranking metrics
def _hand_case() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    lists = pd.DataFrame({"user": ["a"] * 4 + ["b"] * 3, "rank": [1, 2, 3, 4, 1, 2, 3], "item": ["x", "y", "z", "w", "p", "q", "r"]})
    test = pd.DataFrame({"user": ["a", "a", "a", "a", "b", "b", "c"], "item": ["y", "z", "w", "x", "r", "p", "p"]})
    ratings = np.array([5.0, 4.0, 4.5, 2.0, 5.0, 3.0, 4.0])
    return lists, test, ratings


def test_ranking_metrics_by_hand() -> None:
    lists, test, ratings = _hand_case()
    got = hl.apps.ranking_metrics(lists, test, ratings, k=3, relevant=4.0)
    # a: relevant {y, z, w}; in the first 3 (x, y, z) hits at ranks 2 and 3 (w at rank 4 is past k). b: relevant {r}, hit at rank 3.
    # c: relevant {p} but no list: left out.
    ndcg_a = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    expected = {
        "precision": (2 / 3 + 1 / 3) / 2,
        "recall": (2 / 3 + 1) / 2,
        "ndcg": (ndcg_a + 0.5) / 2,
        "map": ((1 / 2 + 2 / 3) / 3 + (1 / 3) / 1) / 2,
        "hit_rate": 1.0,
        "users": 2,
        "users_left_out": 1,
    }
    assert got == pytest.approx(expected)
    at_one = hl.apps.ranking_metrics(lists, test, ratings, k=1, relevant=4.0)
    assert at_one["precision"] == 0 and at_one["hit_rate"] == 0 and at_one["ndcg"] == 0


def test_ranking_metrics_of_a_model_score_its_recommend_lists(fitted: tuple[pd.DataFrame, Recommender]) -> None:
    df, rec = fitted
    held = _ratings(7, 200)
    held = held[~held.set_index(["user", "item"]).index.isin(df.set_index(["user", "item"]).index)]
    held = pd.concat([held, pd.DataFrame({"user": [999], "item": ["m1"], "rating": [5.0]})])  # a user the model never saw
    got = hl.apps.ranking_metrics(rec, held[["user", "item"]], held.rating, k=5, relevant=4.0)
    liked_users = held[(held.rating >= 4) & (held.user != 999)].user.unique()
    lists = rec.recommend(liked_users, n=5)
    assert got == pytest.approx(hl.apps.ranking_metrics(lists, held[["user", "item"]], held.rating, k=5, relevant=4.0) | {"users_left_out": 1})
    assert got["users"] == len(liked_users) and got["users_left_out"] == 1
    assert 0 <= got["map"] <= got["hit_rate"] <= 1


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"k": 0}, ValueError, r"k must be at least 1"),
    ({"k": True}, TypeError, r"k must be a whole number"),
    ({"relevant": "4"}, TypeError, r"relevant must be a finite rating"),
    ({"relevant": 6.0}, DataError, r"No held-out rating reaches relevant=6.0 \(highest: 5.0\): lower relevant"),
])
def test_ranking_metrics_argument_errors(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    lists, test, ratings = _hand_case()
    with pytest.raises(error, match=message):
        hl.apps.ranking_metrics(lists, test, ratings, **kwargs)


def test_ranking_metrics_refuses_lists_without_their_columns_and_other_models() -> None:
    lists, test, ratings = _hand_case()
    with pytest.raises(DataError, match=r"The lists lack column\(s\) \['rank'\]: pass columns user, rank, item"):
        hl.apps.ranking_metrics(lists.drop(columns="rank"), test, ratings)
    with pytest.raises(TypeError, match=r"model must be a fitted Recommender or a DataFrame of lists"):
        hl.apps.ranking_metrics(object(), test, ratings)
    with pytest.raises(DataError, match=r"X_test has 7 rows but y_test has 2 ratings"):
        hl.apps.ranking_metrics(lists, test, ratings[:2])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 8))
def test_ranking_metrics_ndcg_agrees_with_scikit_learn(seed: int, k: int) -> None:
    from sklearn.metrics import ndcg_score

    rng = np.random.default_rng(seed)
    n_users, n_items = 6, 10
    scores = rng.permutation(n_users * n_items).reshape(n_users, n_items).astype(float)  # distinct: no ties
    liked = rng.random((n_users, n_items)) < 0.3
    liked[np.arange(n_users), rng.integers(0, n_items, n_users)] = True  # every user likes something
    order = np.argsort(-scores, axis=1)[:, :k]
    lists = pd.DataFrame({"user": np.repeat(np.arange(n_users), k), "rank": np.tile(np.arange(1, k + 1), n_users), "item": order.reshape(-1)})
    u, i = np.nonzero(np.ones_like(liked))
    got = hl.apps.ranking_metrics(lists, (u, i), np.where(liked[u, i], 5.0, 1.0), k=k, relevant=4.0)
    assert got["ndcg"] == pytest.approx(ndcg_score(liked.astype(float), scores, k=k))
    hits = np.take_along_axis(liked, order, axis=1)
    assert got["precision"] == pytest.approx(hits.sum(1).mean() / k)
    assert got["recall"] == pytest.approx((hits.sum(1) / liked.sum(1)).mean())


@pytest.mark.parametrize(("change", "message"), [
    # ranks from 0: NDCG and MAP were inf (a hit at rank 0), precision counted k + 1 items
    (lambda lists: lists.assign(rank=lists["rank"] - 1), r"rank column must hold whole numbers from 1 \(1 = first\); row 0 has 0: .*add 1 to ranks from 0"),
    (lambda lists: lists.assign(rank=lists["rank"] + 0.5), r"rank column must hold whole numbers from 1 \(1 = first\); row 0 has 1.5:"),
    (lambda lists: lists.assign(rank=lists["rank"].astype(object).where(lists.index != 2, None)), r"row 2 has None"),
    # every item at rank 1 (ties): more than k items counted in the first k, precision past its bound
    (lambda lists: lists.assign(rank=1), r"lists give user 'a' the rank 1 twice: .*distinct ranks \(1, 2, \.\.\.: no ties\)"),
    # an item listed twice counted its hit twice
    (lambda lists: lists.assign(item=["x", "y", "y", "w", "p", "q", "r"]), r"lists give user 'a' the item 'y' twice"),
])
def test_ranking_metrics_refuses_lists_whose_ranks_or_items_break_the_figures(change: Any, message: str) -> None:
    """Lists given as a DataFrame (a baseline's) are checked: ranks from 0, fractional or tied ranks, or an item listed twice
    gave figures past their bounds (NDCG inf, precision over 1 per slot) instead of an error."""
    lists, test, ratings = _hand_case()
    with pytest.raises(DataError, match=message):
        hl.apps.ranking_metrics(change(lists), test, ratings, k=3, relevant=4.0)


def test_ranking_metrics_reads_float_ranks_that_are_whole() -> None:
    lists, test, ratings = _hand_case()
    as_float = hl.apps.ranking_metrics(lists.assign(rank=lists["rank"].astype(float)), test, ratings, k=3, relevant=4.0)
    assert as_float == hl.apps.ranking_metrics(lists, test, ratings, k=3, relevant=4.0)
