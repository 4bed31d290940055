"""Recommender: beats the global mean on synthetic low-rank ratings, unseen ids, save/load, errors, device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from hiddenlayers import NotFittedError, Recommender
from hiddenlayers.exceptions import DataError


def _ratings(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    U, V = rng.normal(size=(60, 3)), rng.normal(size=(80, 3))
    users, items = rng.integers(0, 60, 4000), rng.integers(0, 80, 4000)
    r = 3.0 + 0.3 * rng.normal(size=60)[users] + np.einsum("ij,ij->i", U[users], V[items]) * 0.5 + 0.1 * rng.normal(size=4000)
    return pd.DataFrame({"user": users, "item": [f"m{i}" for i in items], "rating": r})


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame, Recommender]:
    df = _ratings()
    tr, te = df.iloc[:3400], df.iloc[3400:]
    rec = Recommender(n_factors=8, hidden_layer_sizes=(32,), reg=0.01, max_iter=60, n_iter_no_change=5, random_state=0)
    return tr, te, rec.fit(tr[["user", "item"]], tr.rating)


def test_beats_global_mean(split: tuple[pd.DataFrame, pd.DataFrame, Recommender]) -> None:
    tr, te, rec = split
    known = te[te.item.isin(tr.item) & te.user.isin(tr.user)]
    mean_rmse = np.sqrt(np.mean((known.rating - tr.rating.mean()) ** 2))
    assert rec.rmse(known[["user", "item"]], known.rating) < 0.8 * mean_rmse
    assert rec.score(known[["user", "item"]], known.rating) > 0.3


def test_unseen_users_and_items_fall_back(split: tuple[pd.DataFrame, pd.DataFrame, Recommender]) -> None:
    _, _, rec = split
    with pytest.warns(UserWarning, match=r"2 of 3 rows have a user \(2\) or item \(1\) not seen in fit"):
        pred = rec.predict(([0, 999, 998], ["m1", "m1", "zzz"]))
    assert pred[2] == pytest.approx(rec.global_mean_)
    ib = rec.network_.item_bias.weight[rec.items_.get_loc("m1"), 0].item()
    assert pred[1] == pytest.approx(rec.global_mean_ + ib)


def test_input_forms_agree(split: tuple[pd.DataFrame, pd.DataFrame, Recommender]) -> None:
    _, te, rec = split
    rows = te.iloc[:20]
    a = rec.predict(rows[["user", "item"]])
    b = rec.predict((rows.user.to_numpy(), rows.item.to_numpy()))
    np.testing.assert_array_equal(a, b)


def test_save_load(split: tuple[pd.DataFrame, pd.DataFrame, Recommender], tmp_path: Path) -> None:
    _, te, rec = split
    rec.save(tmp_path / "r.safetensors")
    again = Recommender.load(tmp_path / "r.safetensors")
    rows = te.iloc[:50][["user", "item"]]
    with pytest.warns(UserWarning) if not rows.item.isin(rec.items_).all() else _nothing():
        np.testing.assert_array_equal(again.predict(rows), rec.predict(rows))


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def test_errors() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Recommender().predict(([1], [2]))
    with pytest.raises(DataError, match="X has 3 rows but y has 2 ratings"):
        Recommender().fit(([1, 2, 3], [1, 2, 3]), [4, 5])
    with pytest.raises(DataError, match=r"X must have exactly 2 columns \(user, item\)"):
        Recommender().fit(pd.DataFrame({"a": [1], "b": [2], "c": [3]}), [1])
    with pytest.raises(ValueError, match="reg must be a number >= 0. Received: reg=-1"):
        Recommender(reg=-1).fit(([1, 2], [1, 2]), [1, 2])


# ------------------------------------------------------------------ device
@pytest.mark.skipif(torch.cuda.is_available() or torch.backends.mps.is_available(), reason="device='auto' picks a GPU here")
def test_device_cpu_equals_default_on_a_cpu_machine() -> None:
    df = _ratings(1).iloc[:800]
    kw = dict(n_factors=4, hidden_layer_sizes=(8,), dropout=0.1, max_iter=4, random_state=0)
    a = Recommender(**kw).fit(df[["user", "item"]], df.rating)
    b = Recommender(**kw, device="cpu").fit(df[["user", "item"]], df.rating)
    assert next(b.network_.parameters()).device.type == "cpu" and b.network_.mean.device.type == "cpu"
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict(df[["user", "item"]]), b.predict(df[["user", "item"]]))


def test_device_errors() -> None:
    with pytest.raises(ValueError, match=r"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Received: device='gpu'"):
        Recommender(device="gpu").fit(([1, 2], [1, 2]), [1, 2])


def test_load_onto_cpu_and_params(split: tuple[pd.DataFrame, pd.DataFrame, Recommender], tmp_path: Path) -> None:
    tr, _, rec = split
    assert rec.get_params()["device"] == "auto" and clone(Recommender(device="cpu")).device == "cpu"
    path = tmp_path / "r.safetensors"
    rec.save(path)
    cpu = Recommender.load(path, device="cpu")
    assert cpu.device == "cpu" and {t.device.type for t in cpu.network_.state_dict().values()} == {"cpu"}
    rows = tr.iloc[:50][["user", "item"]]
    np.testing.assert_allclose(cpu.predict(rows), rec.predict(rows), rtol=0, atol=1e-5)  # exact on a CPU; float32 kernels differ on a GPU
    with pytest.raises(ValueError, match="Received: device='gpu'"):
        Recommender.load(path, device="gpu")
