"""Recommender(init_from=, freeze=): ids matched by value, new ids fresh, refusals, files, and a learning test on low-rank ratings."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hiddenlayers import Autoencoder, Recommender
from hiddenlayers.exceptions import DataError

N_USERS, N_ITEMS = 100, 80  # last month's; this month adds 30 users and 20 items
rng0 = np.random.default_rng(0)
U, V, BU = rng0.normal(size=(N_USERS + 30, 3)), rng0.normal(size=(N_ITEMS + 20, 3)), 0.3 * rng0.normal(size=N_USERS + 30)
PARAMS = {"n_factors": 8, "hidden_layer_sizes": (32,), "reg": 0.01, "max_iter": 40, "n_iter_no_change": 5, "learning_rate_init": 0.005}


def _month(n: int, n_users: int, n_items: int, seed: int) -> pd.DataFrame:
    """``n`` ratings of a rank-3 process plus a user bias; items are strings, users ints."""
    rng = np.random.default_rng(seed)
    users, items = rng.integers(0, n_users, n), rng.integers(0, n_items, n)
    r = 3.0 + BU[users] + 0.5 * np.einsum("ij,ij->i", U[users], V[items]) + 0.1 * rng.normal(size=n)
    return pd.DataFrame({"user": users, "item": [f"m{i}" for i in items], "rating": r})


@pytest.fixture(scope="module")
def last_month() -> Recommender:
    df = _month(4000, N_USERS, N_ITEMS, 1)
    return Recommender(**PARAMS, random_state=0).fit(df[["user", "item"]], df.rating)


def test_known_ids_are_matched_by_id_and_new_ids_get_fresh_rows(last_month: Recommender) -> None:
    now = _month(300, N_USERS + 30, N_ITEMS + 20, 2).iloc[::-1]  # another order of ids than last month's
    tuned = Recommender(**{**PARAMS, "max_iter": 1, "learning_rate_init": 1e-9}, random_state=0, init_from=last_month).fit(now[["user", "item"]], now.rating)
    assert list(tuned.users_[:N_USERS]) == list(last_month.users_)  # every id the source knew, this month's data lacks some
    assert set(tuned.users_[N_USERS:]) == set(now.user) - set(last_month.users_)
    for uid in (now.user.iloc[0], last_month.users_[-1]):
        if uid in last_month.users_:
            np.testing.assert_allclose(tuned.network_.user.weight[tuned.users_.get_loc(uid)].detach(),
                                       last_month.network_.user.weight[last_month.users_.get_loc(uid)].detach(), atol=1e-6)
    known = now[now.user.isin(last_month.users_) & now.item.isin(last_month.items_)][["user", "item"]]
    # an lr of 1e-9 leaves the copy as it was: known pairs are rated as last month's model rated them
    np.testing.assert_allclose(tuned.predict(known), last_month.predict(known), atol=1e-4)
    assert tuned.global_mean_ == last_month.global_mean_
    assert tuned.transferred_ == ["user", "item", "user_bias", "item_bias", "mlp.hidden1", "mlp.head"]
    assert tuned.provenance_["new_users"] == len(tuned.users_) - N_USERS and tuned.provenance_["users_from_source"] == N_USERS


def test_fine_tuning_beats_fresh_training_on_this_months_small_data(last_month: Recommender) -> None:
    """900 ratings this month (30 new users, 20 new items), RMSE on 300 held-out ones of pairs seen this month. Measured:
    fresh 0.916/0.900/0.870 vs fine-tuned 0.501/0.446/0.489 over seeds 0-2, RMSE 0.38-0.45 lower (the fresh fit keeps
    its damped-bias start: 900 ratings of 130 users are too few for its vectors)."""
    gains = []
    for seed in range(3):
        now = _month(1200, N_USERS + 30, N_ITEMS + 20, seed + 10)
        tr, te = now.iloc[:900], now.iloc[900:]
        te = te[te.user.isin(tr.user) & te.item.isin(tr.item)]
        fresh = Recommender(**PARAMS, random_state=seed).fit(tr[["user", "item"]], tr.rating)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every layer matches: no warning (but the random pairs' repeats, said once more)
            warnings.filterwarnings("ignore", message=r"X holds \d+ \(user, item\) pair", category=UserWarning)
            tuned = Recommender(**PARAMS, random_state=seed, init_from=last_month).fit(tr[["user", "item"]], tr.rating)
        gains.append(fresh.rmse(te[["user", "item"]], te.rating) - tuned.rmse(te[["user", "item"]], te.rating))
    assert min(gains) > 0.2, gains


def test_another_n_factors_keeps_the_biases_and_warns_naming_the_rest(last_month: Recommender) -> None:
    now = _month(300, N_USERS, N_ITEMS, 3)
    with pytest.warns(UserWarning, match=r"^init_from: 3 layer\(s\) not copied, their shapes differ \(shapes are \(out, in\)\): user \(source width 8, "
                      r"this model 4: n_factors differs\); item \(source width 8, this model 4: n_factors differs\); mlp.hidden1 \(source DenseLayer "
                      r"\(32, 16\), this model DenseLayer \(32, 8\)\); they start from fresh random weights.$"):
        tuned = Recommender(**{**PARAMS, "n_factors": 4, "max_iter": 2}, random_state=0, init_from=last_month).fit(now[["user", "item"]], now.rating)
    assert tuned.transferred_ == ["user_bias", "item_bias", "mlp.head"]


def test_freeze_keeps_mlp_layers_fixed_and_bad_sources_are_refused(last_month: Recommender, tmp_path: Path) -> None:
    now = _month(300, N_USERS + 30, N_ITEMS + 20, 4)
    X, y = now[["user", "item"]], now.rating
    tuned = Recommender(**{**PARAMS, "max_iter": 3}, random_state=0, init_from=last_month, freeze=1).fit(X, y)
    assert tuned.frozen_ == ["mlp.hidden1"]
    assert torch.equal(tuned.network_.mlp.hidden1.linear.weight, last_month.network_.mlp.hidden1.linear.weight)
    with pytest.raises(ValueError, match=r"^freeze must be 0..1"):
        Recommender(**PARAMS, init_from=last_month, freeze=2).fit(X, y)
    ae = Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(np.random.default_rng(0).normal(size=(30, 3)))
    ae.save(tmp_path / "ae.safetensors")
    with pytest.raises(ValueError, match="^init_from: the source is an Autoencoder, not a Recommender: start a Recommender from a fitted Recommender"):
        Recommender(**PARAMS, init_from=str(tmp_path / "ae.safetensors")).fit(X, y)


def test_the_record_survives_save_and_load(last_month: Recommender, tmp_path: Path) -> None:
    last_month.save(tmp_path / "last.safetensors")
    now = _month(300, N_USERS + 30, N_ITEMS + 20, 5)
    tuned = Recommender(**{**PARAMS, "max_iter": 2}, random_state=0, init_from=str(tmp_path / "last.safetensors")).fit(now[["user", "item"]], now.rating)
    assert tuned.provenance_["source"] == "last.safetensors" and len(tuned.provenance_["source_sha256"]) == 64
    tuned.save(tmp_path / "now.safetensors")
    back = Recommender.load(tmp_path / "now.safetensors")
    assert back.provenance_ == tuned.provenance_ and back.init_from is None
    assert (back.transferred_, back.frozen_) == (tuned.transferred_, tuned.frozen_) and back.transferred_
    np.testing.assert_array_equal(back.predict(now[["user", "item"]]), tuned.predict(now[["user", "item"]]))


def test_ids_of_another_type_than_the_sources_are_refused_not_all_new(last_month: Recommender) -> None:
    now = _month(300, N_USERS, N_ITEMS, 6)
    with pytest.raises(DataError, match=r"^User ids are strings \(first: '\d+'\) but the model was fitted on numbers .* convert them with \.astype\(int\) first\.$"):
        Recommender(**PARAMS, init_from=last_month).fit(now[["user", "item"]].astype({"user": str}), now.rating)
