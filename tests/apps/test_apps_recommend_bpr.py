"""Recommender(loss="bpr"): the negative sampler (exact, uniform, never an interacted item), the BPR loss against its
formula, a clustered case whose ranking BPR recovers, positive_threshold, n_negatives, early stopping on the held-out users' NDCG@10, the refusals
of rating-only methods, parameter checks, warm fits and the model file round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open

from hiddenlayers import Recommender
from hiddenlayers.apps import _recommend_bpr as bpr_module
from hiddenlayers.apps._recommend_bpr import NegativeSampler, bpr_loss, bpr_pairs, bpr_step, bpr_training_data, draw_negatives
from hiddenlayers.exceptions import DataError

N_CLUSTERS, PER_CLUSTER, N_USERS, SEEN = 4, 10, 60, 6


def _clustered(seed: int = 0) -> tuple[pd.DataFrame, dict[int, set[int]]]:
    """Users in 4 groups; each interacts with 6 random items of its group's 10 (rating 5) and 3 of the next group's (rating 1).

    Returns the pairs (columns user, item, rating) and each user's 4 other items of its own group: those a ranking should find."""
    rng = np.random.default_rng(seed)
    rows, held = [], {}
    for u in range(N_USERS):
        own = rng.permutation(np.arange(u % N_CLUSTERS * PER_CLUSTER, (u % N_CLUSTERS + 1) * PER_CLUSTER))
        nxt = (u + 1) % N_CLUSTERS * PER_CLUSTER + rng.choice(PER_CLUSTER, 3, replace=False)
        rows += [(u, int(i), 5.0) for i in own[:SEEN]] + [(u, int(i), 1.0) for i in nxt]
        held[u] = set(own[SEEN:].tolist())
    return pd.DataFrame(rows, columns=["user", "item", "rating"]), held


def _hit_share(rec: Recommender, held: dict[int, set[int]], n: int = 4) -> float:
    """The share of the users' top-``n`` items (rated ones left out) that are among their held-out own-group items."""
    top = rec.recommend(list(held), n=n)
    return float(np.mean([item in held[user] for user, item in zip(top.user, top.item, strict=True)]))


@pytest.fixture(scope="module")
def clustered() -> tuple[pd.DataFrame, dict[int, set[int]], Recommender]:
    df, held = _clustered()
    rec = Recommender(n_factors=8, hidden_layer_sizes=(16,), loss="bpr", positive_threshold=4.0, learning_rate_init=0.01,
                      max_iter=60, early_stopping=False, n_iter_no_change=60, random_state=0)
    return df, held, rec.fit(df[["user", "item"]], df.rating)


# ------------------------------------------------------------------ sampler and loss
@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(2, 15), st.data())
def test_negatives_are_never_interacted_and_every_free_item_can_come(n_users: int, n_items: int, data: st.DataObject) -> None:
    dense = np.array(data.draw(st.lists(st.lists(st.booleans(), min_size=n_items, max_size=n_items), min_size=n_users, max_size=n_users)))
    dense[:, -1] = False  # every user has a free item
    interacted = sp.csr_array(dense)
    interacted.sort_indices()
    sampler = NegativeSampler(interacted)
    users = np.repeat(np.arange(n_users), 400)
    drawn = sampler.draw(users, torch.Generator().manual_seed(data.draw(st.integers(0, 2**31 - 1))))
    assert ((drawn >= 0) & (drawn < n_items)).all()
    assert not dense[users, drawn].any()  # never an item the user interacted with
    for u in range(n_users):  # 400 draws among at most 15 free items: each comes (a miss has odds below 1e-10)
        assert set(drawn[users == u].tolist()) == set(np.flatnonzero(~dense[u]).tolist())


def test_negatives_are_uniform_among_the_free_items() -> None:
    dense = np.zeros((1, 10), dtype=bool)
    dense[0, [0, 2, 3, 7, 9]] = True  # free: 1, 4, 5, 6, 8
    drawn = NegativeSampler(sp.csr_array(dense)).draw(np.zeros(50_000, dtype=np.int64), torch.Generator().manual_seed(0))
    share = np.bincount(drawn, minlength=10)[[1, 4, 5, 6, 8]] / len(drawn)
    assert np.abs(share - 0.2).max() < 0.01  # 4.5 standard errors


def test_the_sampler_is_seeded() -> None:
    sampler = NegativeSampler(sp.csr_array(np.eye(5, 50, dtype=bool)))
    users = np.arange(5).repeat(20)
    first = sampler.draw(users, torch.Generator().manual_seed(3))
    assert np.array_equal(first, sampler.draw(users, torch.Generator().manual_seed(3)))
    assert not np.array_equal(first, sampler.draw(users, torch.Generator().manual_seed(4)))


def test_bpr_loss_is_minus_log_sigmoid_of_the_gap_and_its_gradient_autograds() -> None:
    pos = torch.tensor([[2.0], [-1.0], [0.0], [60.0], [-60.0]], dtype=torch.float64, requires_grad=True)
    neg = torch.tensor([[0.5], [1.0], [0.0], [0.0], [0.0]], dtype=torch.float64)
    loss = bpr_loss(pos, neg)
    gap = (pos - neg).detach().numpy()
    assert np.allclose(loss.detach().numpy(), np.logaddexp(0.0, -gap))  # log(1 + e^-gap), finite at large gaps
    loss.sum().backward()
    assert np.allclose(pos.grad.numpy(), -1.0 / (1.0 + np.exp(gap)))  # d/dpos = -(1 - σ(gap))
    assert torch.autograd.gradcheck(lambda p: bpr_loss(p, neg).sum(), (pos.detach().requires_grad_(),))


def test_bpr_pairs_keeps_distinct_positives_above_the_threshold_and_users_with_a_negative() -> None:
    codes = np.array([[0, 0], [0, 0], [0, 1], [1, 0], [1, 1], [2, 2]])
    ratings = np.array([5.0, 5.0, 2.0, 4.0, 5.0, 5.0])
    positives, sampler = bpr_pairs(codes, ratings, 4.0, (3, 3))
    assert positives.tolist() == [[0, 0], [1, 0], [1, 1], [2, 2]]  # (0, 0) once; (0, 1) rated 2 is out
    assert sampler.free.tolist() == [1, 1, 2]  # (0, 1) stays interacted: user 0's only free item is 2
    with pytest.raises(DataError, match=r"No rating is at least positive_threshold=6.*highest is 5"):
        bpr_pairs(codes, ratings, 6.0, (3, 3))
    full = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    with pytest.raises(DataError, match="interacted with every item"):
        bpr_pairs(full, np.ones(4), None, (2, 2))
    kept, _ = bpr_pairs(np.vstack([full, [[2, 0]]]), np.ones(5), None, (3, 2))
    assert kept.tolist() == [[2, 0]]  # users 0 and 1 have no negative


# ------------------------------------------------------------------ what BPR learns
def test_bpr_recovers_each_users_own_cluster(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender]) -> None:
    _, held, rec = clustered
    assert _hit_share(rec, held) >= 0.9
    assert rec.loss_curve_[-1] < 0.5 * rec.loss_curve_[0]
    assert rec.global_mean_ == 0.0


def test_without_a_threshold_the_disliked_items_are_positives_too() -> None:
    df, held = _clustered()
    rec = Recommender(n_factors=8, hidden_layer_sizes=(16,), loss="bpr", learning_rate_init=0.01, max_iter=60,
                      early_stopping=False, n_iter_no_change=60, random_state=0).fit(df[["user", "item"]], df.rating)
    # the next group's items are now liked as much as the own group's: the lists mix both, so fewer hits
    assert _hit_share(rec, held) < 0.8


def test_early_stopping_watches_the_held_out_users_ndcg_and_keeps_its_best_epoch() -> None:
    """Early stopping watched the held-out pairs' BPR loss, which on MovieLens rose from epoch 3 while the lists went on
    improving (NDCG@10 0.121 against 0.151 without it). It watches the held-out users' NDCG@10 now: ``validation_scores_``,
    ``history_.val_score``; the BPR loss stays in ``history_.val_loss``, and the kept weights score the best epoch's NDCG."""
    df, _ = _clustered()
    X = df[["user", "item"]]
    make = lambda: Recommender(n_factors=8, hidden_layer_sizes=(16,), loss="bpr", learning_rate_init=0.01, max_iter=40,  # noqa: E731
                               n_iter_no_change=2, random_state=1)
    rec = make().fit(X, df.rating)
    val = np.array(rec.history_.val_loss)
    assert np.isfinite(val).all() and 0.0 < val[0] < 0.75  # a mean -log σ(gap) near log 2 at the start
    scores = np.array(rec.validation_scores_)
    assert rec.validation_scores_ == rec.history_.val_score and len(scores) == rec.n_iter_
    assert ((scores >= 0) & (scores <= 1)).all() and rec.best_validation_score_ == scores.max()
    assert rec.stop_reason_ == "no_improvement_validation_score" and rec.n_iter_ < 40
    assert rec.history_.best_epoch == int(np.argmax(scores)) + 1 == rec.history_.held_epoch
    # the kept weights are the best epoch's: the same held-out lists score them its NDCG
    codes = np.stack([rec.users_.get_indexer(df.user), rec.items_.get_indexer(df["item"])], axis=1)
    _, _, objective = bpr_training_data(rec, codes, df.rating.to_numpy(), (len(rec.users_), len(rec.items_)), torch.device("cpu"),
                                        torch.Generator().manual_seed(0))
    assert objective.ranking(rec.network_) == pytest.approx(rec.best_validation_score_, abs=1e-12)
    again = make().fit(X, df.rating)  # seeded: negatives, split, sampled users and weights
    assert np.array_equal(rec.predict(X), again.predict(X)) and again.validation_scores_ == rec.validation_scores_
    quiet = Recommender(loss="bpr", max_iter=2, early_stopping=False, random_state=1).fit(X, df.rating)
    assert quiet.validation_scores_ is None and quiet.best_validation_score_ is None
    rating = Recommender(max_iter=2, random_state=1).fit(X, df.rating)  # watches the held-out error: history_.val_loss
    assert rating.validation_scores_ is None and np.isfinite(rating.history_.val_loss).all()


def _ndcg_by_hand(rec: Recommender, held: np.ndarray, seen: np.ndarray, users: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k over ``users`` (codes) of lists ranked from predict over every item, the ``seen`` (users x items) pairs left out."""
    n_items = len(rec.items_)
    values = []
    for u in users:
        scores = rec.predict((rec.users_[[u] * n_items], rec.items_)).astype(np.float64)
        scores[seen[u]] = -np.inf
        top = np.argsort(-scores, kind="stable")[:k]
        relevant = set(held[held[:, 0] == u, 1].tolist())
        dcg = sum(1.0 / np.log2(r + 2) for r, i in enumerate(top) if i in relevant)
        values.append(dcg / sum(1.0 / np.log2(r + 2) for r in range(min(k, len(relevant)))))
    return float(np.mean(values))


def test_the_held_out_ranking_is_ndcg_at_10_with_fits_other_pairs_left_out(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from hiddenlayers.apps import _recommend_heldout
    from hiddenlayers.apps._recommend_heldout import HeldOutRanking

    df, _, rec = clustered
    codes = np.stack([rec.users_.get_indexer(df.user), rec.items_.get_indexer(df["item"])], axis=1)
    interacted = sp.csr_array((np.ones(len(codes), dtype=bool), (codes[:, 0], codes[:, 1])), shape=(len(rec.users_), len(rec.items_)))
    held = codes[::7]  # some of fit's pairs, as if held out: their items must stay rankable
    seen = interacted.toarray()
    seen[held[:, 0], held[:, 1]] = False
    ranking = HeldOutRanking(held, interacted, 0)
    assert np.array_equal(ranking.users, np.unique(held[:, 0]))
    assert ranking(rec.network_) == pytest.approx(_ndcg_by_hand(rec, held, seen, ranking.users), abs=1e-9)
    monkeypatch.setattr(_recommend_heldout, "VALIDATION_USERS", 5)  # more users than that: a seeded sample of 5
    sampled = HeldOutRanking(held, interacted, 3)
    assert len(sampled.users) == 5 and np.isin(sampled.users, held[:, 0]).all()
    assert np.array_equal(sampled.users, HeldOutRanking(held, interacted, 3).users)
    assert sampled(rec.network_) == pytest.approx(_ndcg_by_hand(rec, held, seen, sampled.users), abs=1e-9)


def test_the_file_and_a_pickle_keep_the_validation_scores(tmp_path: Path) -> None:
    import pickle

    df, _ = _clustered()
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), loss="bpr", max_iter=3, random_state=0).fit(df[["user", "item"]], df.rating)
    path = tmp_path / "es.safetensors"
    rec.save(path)
    for back in (Recommender.load(path), pickle.loads(pickle.dumps(rec))):
        assert back.validation_scores_ == rec.validation_scores_ and back.best_validation_score_ == rec.best_validation_score_
        assert back.history_.val_score == rec.history_.val_score


# ------------------------------------------------------------------ refusals and parameters
def test_rating_only_methods_refuse_a_bpr_model(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender]) -> None:
    df, _, rec = clustered
    X, y = df[["user", "item"]], df.rating
    for call in (lambda: rec.score(X, y), lambda: rec.rmse(X, y), lambda: rec.network_targets(y)):
        with pytest.raises(ValueError, match=r"fitted with loss='bpr'.*ranking scores, not ratings.*ranking_metrics"):
            call()
    z = torch.zeros((2, 1))
    with pytest.raises(ValueError, match="loss='bpr'"):
        rec.network_loss(z, z)
    rating = Recommender(n_factors=4, max_iter=2, random_state=0).fit(X, y)
    assert np.isfinite(rating.score(X, y)) and rating.rmse(X, y) > 0


@pytest.mark.parametrize(("params", "message"), [
    ({"loss": "hinge"}, r"loss.*'squared_error' or 'bpr'"),
    ({"loss": None}, r"loss.*'squared_error' or 'bpr'"),
    ({"loss": "bpr", "positive_threshold": "4"}, "positive_threshold"),
    ({"loss": "bpr", "positive_threshold": float("nan")}, "positive_threshold"),
    ({"loss": "bpr", "positive_threshold": True}, "positive_threshold"),
    ({"positive_threshold": 4.0}, r"positive_threshold=4.0 picks the positive pairs of loss='bpr', but loss='squared_error'"),
    ({"loss": "bpr", "clip": (0.5, 5.0)}, r"clip=\(0.5, 5.0\) clips ratings, but loss='bpr' predicts ranking scores"),
    ({"loss": "bpr", "n_negatives": 0}, r"n_negatives must be .*>= 1.*Received: n_negatives=0"),
    ({"loss": "bpr", "n_negatives": 2.0}, r"n_negatives.*Received: n_negatives=2.0"),
    ({"loss": "bpr", "n_negatives": True}, r"n_negatives.*Received: n_negatives=True"),
    ({"n_negatives": 3}, r"n_negatives=3 sets the negatives per positive of loss='bpr', but loss='squared_error' has none"),
])
def test_bad_parameters_are_refused_before_any_work(params: dict[str, Any], message: str) -> None:
    df, _ = _clustered()
    rec = Recommender(**params)
    with pytest.raises(ValueError, match=message):
        rec.fit(df[["user", "item"]], df.rating)
    assert not hasattr(rec, "network_")


def test_default_loss_is_unchanged() -> None:
    assert Recommender().loss == "squared_error" and Recommender().positive_threshold is None


def test_a_warm_fit_keeps_the_loss(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender]) -> None:
    df, held, rec = clustered
    warm = Recommender(**{**rec.get_params(), "warm_start": True, "max_iter": 2})
    warm.fit(df[["user", "item"]], df.rating)  # a fresh (cold) fit first
    warm.set_params(loss="squared_error", positive_threshold=None)
    with pytest.raises(ValueError, match="loss"):
        warm.fit(df[["user", "item"]], df.rating)
    warm.set_params(loss="bpr", positive_threshold=4.0)
    before = warm.n_iter_
    warm.fit(df[["user", "item"]], df.rating)
    assert warm.n_iter_ > before and warm.global_mean_ == 0.0


# ------------------------------------------------------------------ file
def test_the_file_records_the_loss_and_round_trips(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender], tmp_path: Path) -> None:
    df, _, rec = clustered
    path = tmp_path / "bpr.safetensors"
    rec.save(path)
    with safe_open(str(path), "pt") as f:
        metadata = json.dumps(f.metadata())
    assert '\\"loss\\": \\"bpr\\"' in metadata and '\\"positive_threshold\\": 4.0' in metadata
    back = Recommender.load(path)
    assert back.loss == "bpr" and back.positive_threshold == 4.0
    X = df[["user", "item"]]
    assert np.array_equal(back.predict(X), rec.predict(X))
    pd.testing.assert_frame_equal(back.recommend([0, 5], n=3), rec.recommend([0, 5], n=3))
    with pytest.raises(ValueError, match="loss='bpr'"):
        back.rmse(X, df.rating)


def test_an_unseen_user_gets_the_item_biases(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender]) -> None:
    _, _, rec = clustered
    with pytest.warns(UserWarning, match=r"^2 of 2 rows have a user \(2\) or item \(0\) not seen in fit: scored by the known side's bias alone\.$"):
        scores = rec.predict(([999, 999], [0, 1]))  # a ranking model has no global mean to speak of
    codes = rec.items_.get_indexer([0, 1])
    assert np.allclose(scores, rec.network_.item_bias.weight[codes, 0].detach().numpy())


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.booleans(), st.text(max_size=3), st.none()))
def test_positive_threshold_takes_finite_numbers_or_none(value: Any) -> None:
    rec = Recommender(loss="bpr", positive_threshold=value)
    fine = value is None or (not isinstance(value, (bool, str)) and np.isfinite(value))
    if fine:
        rec._check_params()
    else:
        with pytest.raises(ValueError, match="positive_threshold"):
            rec._check_params()


def test_the_rating_loops_rules_hold_for_bpr(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender]) -> None:
    import pickle

    df, _, rec = clustered
    X = df[["user", "item"]]
    timed = Recommender(n_factors=4, hidden_layer_sizes=(8,), loss="bpr", max_iter=50, max_time=1e-6, random_state=0).fit(X, df.rating)
    assert timed.stop_reason_ == "time_limit" and timed.n_iter_ == 1
    back = pickle.loads(pickle.dumps(rec))
    assert back.loss == "bpr" and np.array_equal(back.predict(X), rec.predict(X))
    warm = Recommender(n_factors=8, hidden_layer_sizes=(16,), loss="bpr", max_iter=2, random_state=0, init_from=rec).fit(X, df.rating)
    assert warm.global_mean_ == 0.0 and "mlp.hidden1" in warm.transferred_


def test_a_rating_model_from_a_bpr_source_starts_from_the_ratings_mean(clustered: tuple[pd.DataFrame, dict[int, set[int]], Recommender]) -> None:
    """init_from a loss='bpr' model gave a rating model the source's global_mean_ of 0, so every rating was pulled toward 0
    (on these 1-5 ratings its RMSE was about 3, the error of predicting 0); it starts from the ratings' mean now."""
    df, _, rec = clustered
    X = df[["user", "item"]]
    stars = Recommender(n_factors=8, hidden_layer_sizes=(16,), max_iter=3, random_state=0, init_from=rec).fit(X, df.rating)
    assert stars.global_mean_ == pytest.approx(df.rating.mean())
    assert stars.transferred_ == ["user", "item", "mlp.hidden1"]  # the source's biases and head are in BPR score units: started afresh
    assert abs(stars.predict(X).mean() - df.rating.mean()) < 0.5


# ------------------------------------------------------------------ n_negatives
def test_one_negative_per_positive_fits_exactly_what_it_fitted_before_n_negatives() -> None:
    """n_negatives=1 (the default) must keep every earlier BPR fit: the same weights bit for bit as leaving it out, and the
    weights of the fit before n_negatives existed (commit 29cd1d89, torch 2.13.0 on the CPU), of the same data, parameters and
    seed. The reference is each tensor's absolute sum and first values, within float32 rounding across CPUs (AVX2 and AVX-512
    kernels round differently; a changed draw of negatives moves these in the second decimal). The head's bias is left out: a
    BPR score difference cancels it, so its gradient is rounding noise whose sign differs across CPUs."""
    df, _ = _clustered()
    fits = [Recommender(n_factors=8, hidden_layer_sizes=(16,), loss="bpr", learning_rate_init=0.01, batch_size=64, max_iter=4,
                        early_stopping=False, random_state=0, **extra).fit(df[["user", "item"]], df.rating)
            for extra in ({}, {"n_negatives": 1})]
    states = [{k: v.detach().cpu().numpy().ravel() for k, v in rec.network_.state_dict().items()} for rec in fits]
    assert states[0].keys() == states[1].keys()
    assert all(np.array_equal(states[0][k], states[1][k]) for k in states[0])
    reference = {  # name: (sum of |w|, first values)
        "item.weight": (22.36962, [0.0307509, -0.1104176, 0.0429464]),
        "item_bias.weight": (1.910058, [-0.00532722, -0.0230748, -0.00955578]),
        "mlp.head.weight": (5.447927, [-0.4124403, 0.2907609, -0.3114968]),
        "mlp.hidden1.linear.bias": (0.5212028, [0.045405, 0.113531, 0.0298837]),
        "mlp.hidden1.linear.weight": (82.68904, [-0.5662092, 0.1826375, -0.3388896]),
        "user.weight": (40.02769, [0.064695, -0.0251809, 0.1430315]),
        "user_bias.weight": (0.0, [0.0, 0.0, 0.0]),
    }
    for name, (abs_sum, first) in reference.items():
        got = states[0][name]
        assert float(np.abs(got).sum()) == pytest.approx(abs_sum, rel=1e-4, abs=1e-6), name
        np.testing.assert_allclose(got[:3], first, rtol=1e-4, atol=1e-6, err_msg=name)


def test_draw_negatives_gives_each_row_k_free_items_of_its_user_and_k1_is_the_plain_draw() -> None:
    dense = np.zeros((3, 12), dtype=bool)
    dense[0, :10] = True  # user 0: free items 10, 11
    dense[1, 5:] = True  # user 1: free items 0..4
    dense[2, ::2] = True  # user 2: the odd items
    sampler = NegativeSampler(sp.csr_array(dense))
    users = np.array([2, 0, 1, 0, 2])
    drawn = draw_negatives(sampler, users, 50, torch.Generator().manual_seed(0))
    assert drawn.shape == (5, 50)
    assert not dense[users[:, None], drawn].any()  # every negative is free for its own row's user
    assert set(drawn[1].tolist()) == {10, 11} and set(drawn[4].tolist()) == set(range(1, 12, 2))
    one = draw_negatives(sampler, users, 1, torch.Generator().manual_seed(7))
    assert np.array_equal(one[:, 0], sampler.draw(users, torch.Generator().manual_seed(7)))


def _step_gradient(neg: np.ndarray) -> tuple[float, np.ndarray]:
    """bpr_step's returned loss and the MLP gradient it leaves, for 3 positives and negatives ``neg`` (3, k), on a fixed net."""
    from hiddenlayers.apps._recommend import RecommenderNet
    from hiddenlayers.apps._recommend_rows import RowAdam
    from hiddenlayers.training import FlatParams, make_optimizer

    torch.manual_seed(0)
    net = RecommenderNet(2, 6, 4, (5,), "tanh", 0.0, 0.0)
    flat = FlatParams(net.mlp)
    opt = make_optimizer("adamw", flat, weight_decay=0.0)
    rows = RowAdam([net.user, net.item, net.user_bias, net.item_bias])
    est = Recommender(reg=0.0, learning_rate_init=1e-3)
    xb = torch.tensor([[0, 0], [1, 1], [0, 2]])
    loss = bpr_step(est, net, flat, opt, rows, xb, torch.as_tensor(neg))
    grad = flat.grad.clone().numpy()
    flat.release()
    return float(loss), grad


def test_a_step_averages_the_loss_over_every_positive_negative_pair() -> None:
    """The loss is the mean over the B·k pairs: k copies of one negative give the one-negative step's gradient (a sum would give
    k times it), and the returned figure is Σ over positives of each one's mean over its negatives, against the formula."""
    one_loss, one_grad = _step_gradient(np.array([[3], [4], [5]]))
    copies_loss, copies_grad = _step_gradient(np.array([[3] * 4, [4] * 4, [5] * 4]))
    assert copies_loss == pytest.approx(one_loss, rel=1e-6)
    np.testing.assert_allclose(copies_grad, one_grad, rtol=1e-5, atol=1e-8)
    mixed_loss, _ = _step_gradient(np.array([[3, 4], [4, 5], [5, 3]]))
    from hiddenlayers.apps._recommend import RecommenderNet

    torch.manual_seed(0)
    net = RecommenderNet(2, 6, 4, (5,), "tanh", 0.0, 0.0)  # the same weights, before any step
    with torch.no_grad():
        s = lambda u, i: float(net(torch.tensor([[u, i]]))[0, 0])  # noqa: E731
        expected = sum(np.mean([np.logaddexp(0.0, -(s(u, p) - s(u, j))) for j in js])
                       for (u, p), js in zip([(0, 0), (1, 1), (0, 2)], [[3, 4], [4, 5], [5, 3]], strict=True))
    assert mixed_loss == pytest.approx(expected, rel=1e-5)


def test_several_negatives_per_positive_learn_the_clusters_and_the_file_keeps_them(tmp_path: Path) -> None:
    df, held = _clustered()
    X = df[["user", "item"]]
    rec = Recommender(n_factors=8, hidden_layer_sizes=(16,), loss="bpr", positive_threshold=4.0, n_negatives=5, learning_rate_init=0.01,
                      max_iter=45, early_stopping=False, random_state=0).fit(X, df.rating)
    assert _hit_share(rec, held) >= 0.9
    path = tmp_path / "k5.safetensors"
    rec.save(path)
    back = Recommender.load(path)
    assert back.n_negatives == 5 and np.array_equal(back.predict(X), rec.predict(X))
    again = Recommender(**rec.get_params()).fit(X, df.rating)  # seeded: the k negatives too
    assert np.array_equal(again.predict(X), rec.predict(X))


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.text(max_size=3), st.none()))
def test_n_negatives_takes_whole_numbers_from_1(value: Any) -> None:
    rec = Recommender(loss="bpr", n_negatives=value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        rec._check_params()
    else:
        with pytest.raises(ValueError, match=r"n_negatives must be .*Received: n_negatives="):
            rec._check_params()


def test_early_stopping_of_a_new_fit_keeps_a_trained_epoch_not_the_random_start() -> None:
    # ratings of random pairs: no epoch's held-out NDCG@10 beats the random vectors' by tol, and the fit kept those (zero biases)
    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"user": rng.integers(0, 40, 600), "item": rng.integers(0, 30, 600), "rating": rng.integers(1, 6, 600)})
    pairs = pairs.drop_duplicates(["user", "item"])
    from sklearn.model_selection import train_test_split

    rows = np.sort(train_test_split(np.arange(len(pairs)), test_size=0.2, random_state=0)[0])
    rank = Recommender(hidden_layer_sizes=(), interaction="dot", loss="bpr", n_negatives=3, max_iter=4, early_stopping=True, random_state=0)
    rank.fit(pairs.iloc[rows][["user", "item"]], pairs.rating.to_numpy()[rows])
    assert float(rank.network_.item_bias.weight.abs().max()) > 0  # trained: BPR moves the item biases from their zero start
    assert rank.best_validation_score_ == max(rank.validation_scores_)


def _draw_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on NegativeSampler.draw: the list it fills with each draw's size."""
    sizes: list[int] = []
    real = NegativeSampler.draw

    def spy(self: NegativeSampler, users: np.ndarray, gen: torch.Generator) -> np.ndarray:
        sizes.append(len(users))
        return real(self, users, gen)

    monkeypatch.setattr(NegativeSampler, "draw", spy)
    return sizes


def test_many_negatives_are_drawn_per_batch_so_memory_stays_bounded_by_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above EPOCH_DRAW_LIMIT negatives an epoch, no draw is larger than batch_size x n_negatives (a huge n_negatives used to
    draw positives x n_negatives codes at once and run out of memory); the fit is seeded and still learns the clusters."""
    df, held = _clustered()
    X = df[["user", "item"]]
    n_pos = int((df.rating >= 4.0).sum())
    monkeypatch.setattr(bpr_module, "EPOCH_DRAW_LIMIT", n_pos, raising=False)  # any n_negatives > 1 now draws per batch
    sizes = _draw_sizes(monkeypatch)
    params = dict(n_factors=8, hidden_layer_sizes=(16,), loss="bpr", positive_threshold=4.0, n_negatives=5, learning_rate_init=0.01,
                  batch_size=32, max_iter=45, early_stopping=False, random_state=0)
    rec = Recommender(**params).fit(X, df.rating)
    assert sizes and max(sizes) <= 32 * 5
    assert sum(sizes) == rec.n_iter_ * n_pos * 5  # every positive still gets its 5 negatives each epoch
    assert _hit_share(rec, held) >= 0.9
    again = Recommender(**params).fit(X, df.rating)
    assert np.array_equal(again.predict(X), rec.predict(X))


def test_below_the_limit_an_epoch_draws_its_negatives_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small n_negatives keeps the one draw per epoch of positives x n_negatives (so such fits keep their results)."""
    df, _ = _clustered()
    n_pos = int((df.rating >= 4.0).sum())
    sizes = _draw_sizes(monkeypatch)
    Recommender(n_factors=4, loss="bpr", positive_threshold=4.0, n_negatives=3, batch_size=32, max_iter=2, early_stopping=False,
                random_state=0).fit(df[["user", "item"]], df.rating)
    assert sizes == [n_pos * 3] * 2


def test_a_ranking_fit_takes_the_pairs_alone_as_implicit_does() -> None:
    """``fit(X)`` with loss="bpr": every pair a positive, the same model as ``fit(X, ones)`` (it was "fit() missing 1 required
    positional argument: 'y'", for interactions that have no ratings); where ratings are needed, y=None is one line."""
    pairs, _ = _clustered()
    X = pairs[["user", "item"]]
    kw: dict[str, Any] = dict(n_factors=4, hidden_layer_sizes=(), loss="bpr", max_iter=3, early_stopping=False, random_state=0, device="cpu")
    alone, ones = Recommender(**kw).fit(X), Recommender(**kw).fit(X, np.ones(len(X)))
    np.testing.assert_array_equal(alone.predict(X), ones.predict(X))
    with pytest.raises(DataError, match=r"^y is None, but loss='squared_error' learns ratings: pass one rating per \(user, item\) pair, or set loss='bpr'"):
        Recommender(max_iter=1).fit(X)
    with pytest.raises(DataError, match=r"^y is None, but positive_threshold=3 keeps the pairs rated at least that: pass the ratings"):
        Recommender(**{**kw, "positive_threshold": 3}).fit(X)
