"""Recommender(warm_start=True): a second fit goes on from the fitted embeddings, biases and MLP with the fitted ids and global
mean; a new id or a changed n_factors is refused; epochs go on after load too; clone drops the fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from hiddenlayers.apps import Recommender

N_USERS, N_ITEMS = 60, 40
_RNG = np.random.default_rng(0)
U, V, BU = _RNG.normal(size=(N_USERS, 3)), _RNG.normal(size=(N_ITEMS, 3)), _RNG.normal(0, 0.5, N_USERS)


def _ratings(n: int, seed: int) -> pd.DataFrame:
    """``n`` ratings of a rank-3 process plus a user bias; items are strings, users ints."""
    rng = np.random.default_rng(seed)
    users, items = rng.integers(0, N_USERS, n), rng.integers(0, N_ITEMS, n)
    r = 3.0 + BU[users] + 0.5 * np.einsum("ij,ij->i", U[users], V[items]) + 0.1 * rng.normal(size=n)
    return pd.DataFrame({"user": users, "item": [f"i{i}" for i in items], "rating": r})


def _make(**kw: Any) -> Recommender:
    return Recommender(**{"n_factors": 4, "hidden_layer_sizes": (8,), "max_iter": 3, "early_stopping": False, "random_state": 0,
                          "learning_rate_init": 1e-2, "device": "cpu", "warm_start": True, **kw})


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]:
    train, test = _ratings(3000, 1), _ratings(500, 2)
    return train[["user", "item"]], train.rating, test[["user", "item"]], test.rating


def _weights(model: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].double(), b[k].double(), rtol=0, atol=atol) for k in a)


def _rmse(model: Recommender, X: pd.DataFrame, y: pd.Series) -> float:
    return float(np.sqrt(np.mean((model.predict(X) - y.to_numpy()) ** 2)))


def test_second_fit_starts_from_the_first_fits_weights_and_goes_on(data: Any) -> None:
    X, y, Xt, yt = data
    model = _make().fit(X, y)
    end, curve, rmse = _weights(model), list(model.loss_curve_), _rmse(model, Xt, yt)
    still = _make().fit(X, y).set_params(learning_rate_init=1e-12, max_iter=1).fit(X, y)
    assert _same(_weights(still), end, atol=1e-6)  # biases and head too: no new bias start
    model.fit(X, y)
    assert model.n_iter_ == 6 and model.history_.epoch == [1, 2, 3, 4, 5, 6] and model.loss_curve_[:3] == curve
    assert model.loss_curve_[3] < curve[0] and model.loss_curve_[-1] < curve[-1]
    assert _rmse(model, Xt, yt) <= rmse * 1.02


def test_identical_warm_sequences_give_identical_weights(data: Any) -> None:
    X, y, _, _ = data
    a, b = (_make(max_iter=1).fit(X, y).fit(X.iloc[:500], y.iloc[:500]) for _ in range(2))
    assert _same(_weights(a), _weights(b))


def test_new_ids_and_changed_shapes_are_refused(data: Any) -> None:
    X, y, _, _ = data
    model = _make(max_iter=1).fit(X, y)
    before = _weights(model)
    more = pd.DataFrame({"user": [0, 999], "item": ["i0", "i1"]})
    with pytest.raises(ValueError, match=r"X has 1 user id\(s\) not seen in the first fit \(first: 999\).*init_from=the fitted model"):
        model.fit(more, [3.0, 4.0])
    with pytest.raises(ValueError, match=r"X has 1 item id\(s\) not seen in the first fit \(first: 'new'\)"):
        model.fit(pd.DataFrame({"user": [0, 1], "item": ["i0", "new"]}), [3.0, 4.0])
    model.set_params(n_factors=8)
    with pytest.raises(ValueError, match="Received: n_factors=8, but the fitted network was built with n_factors=4; set warm_start=False"):
        model.fit(X, y)
    assert _same(_weights(model), before) and model.n_iter_ == 1


def test_save_load_then_warm_fit_and_clone(data: Any, tmp_path: Path) -> None:
    X, y, _, _ = data
    model = _make().fit(X, y)
    model.save(tmp_path / "rec.safetensors")
    loaded = Recommender.load(tmp_path / "rec.safetensors")  # the file keeps loss_curve_: the epochs go on from n_iter_
    end = _weights(loaded)
    loaded.set_params(learning_rate_init=1e-12, max_iter=2).fit(X, y)
    assert _same(_weights(loaded), end, atol=1e-6) and loaded.n_iter_ == 5 and loaded.history_.epoch[-2:] == [4, 5]
    twin = clone(loaded)
    assert twin.warm_start is True and not twin.__sklearn_is_fitted__()
