"""Recommender: beats the global mean on synthetic low-rank ratings, unseen ids, save/load, errors, id checks, column names, failed refits, device."""

from __future__ import annotations

import json
import pickle
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as st_save
from sklearn.base import clone

import hiddenlayers as hl
from hiddenlayers import ModelFileError, NotFittedError, Recommender
from hiddenlayers.apps._recommend import check_ids
from hiddenlayers.exceptions import DataError

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"


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


# ------------------------------------------------------------------ before fit
BEFORE_FIT: dict[str, Callable[[Recommender, Path], Any]] = {
    "predict": lambda m, p: m.predict(([1], [2])),
    "predict-frame": lambda m, p: m.predict(pd.DataFrame({"user": [1], "item": [2]})),
    "network_input": lambda m, p: m.network_input(([1], [2])),
    "rmse": lambda m, p: m.rmse(([1], [2]), [3.0]),
    "seen": lambda m, p: m.seen(([1], [2])),
    "score": lambda m, p: m.score(([1, 2], [2, 1]), [3.0, 4.0]),
    "save": lambda m, p: m.save(p),
    "hl.save": lambda m, p: hl.save(m, p),
}


@pytest.mark.parametrize("method", list(BEFORE_FIT))
def test_every_method_before_fit_raises_not_fitted(method: str, tmp_path: Path) -> None:
    with pytest.raises(NotFittedError, match=r"^This Recommender instance is not fitted yet\. Call 'fit'") as info:
        BEFORE_FIT[method](Recommender(), tmp_path / "r.safetensors")
    assert isinstance(info.value, sklearn.exceptions.NotFittedError)
    assert not (tmp_path / "r.safetensors").exists()


# ------------------------------------------------------------------ ids
def _small(seed: int = 0, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 12, size=(n, 2))
    return X, (X[:, 0] % 3 + X[:, 1] % 4).astype(float)


def _quick() -> Recommender:
    return Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=2, random_state=0)


def _rows(bad: np.ndarray) -> str:
    where = ", ".join(str(i) for i in np.flatnonzero(bad)[:5])
    return f"{int(bad.sum())} of {len(bad)} rows (0-based: {where}{', ...' if bad.sum() > 5 else ''})"


def test_nan_ratings_are_named_by_row() -> None:  # one NaN among 200 ratings read 'y must hold at least 2 finite ratings'
    X, r = _small(n=200)
    r = np.asarray(r, dtype=float).copy()
    r[[3, 150]] = [np.nan, np.inf]
    with pytest.raises(DataError, match=r"^y holds NaN or infinite ratings in 2 of 200 rows \(0-based: 3, 150\): drop those rows before fit, e\.g\. df\.dropna\(\)\.$"):
        _quick().fit(X, r)
    with pytest.raises(DataError, match=r"^y holds 1 rating: pass at least 2"):
        _quick().fit(X[:1], r[:1])
    with pytest.raises(DataError, match=r"^y holds 0 ratings: pass at least 2"):  # it said "0 rating"
        _quick().fit(X[:0], r[:0])


def test_nan_ids_are_a_data_error() -> None:  # the review's case: NaN became one user and one item
    X, r = _small(n=200)
    bad = np.where(X > 8, np.nan, X)
    with pytest.raises(DataError, match=rf"^Missing user ids \(NaN or None\) in {re.escape(_rows(np.isnan(bad[:, 0])))}: drop or fill those rows before fit, e\.g\. df\.dropna\(\)\.$"):
        _quick().fit(bad, r)
    with pytest.raises(DataError, match=r"^Missing item ids \(NaN or None\) in \d+ of 200 rows"):
        _quick().fit(pd.DataFrame({"user": X[:, 0], "item": bad[:, 1]}), r)
    with pytest.raises(DataError, match=r"^Missing item ids \(NaN or None\) in 1 of 3 rows \(0-based: 1\):"):
        _quick().fit((["a", "b", "c"], ["x", None, "z"]), [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match=r"^Missing user ids \(NaN or None\) in 1 of 3 rows \(0-based: 2\) of column 'user':"):
        _quick().fit(pd.DataFrame({"user": pd.array([1, 2, None], dtype="Int64"), "item": [1, 2, 3]}), [1.0, 2.0, 3.0])


def test_fit_names_a_frames_id_column() -> None:
    with pytest.raises(DataError, match=r"^Missing item ids \(NaN or None\) in 1 of 3 rows \(0-based: 1\) of column 'movieId': drop or fill those rows before fit, e\.g\. df\.dropna\(\)\.$"):
        _quick().fit(pd.DataFrame({"userId": [1, 2, 3], "movieId": [4.0, np.nan, 6.0]}), [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match=r"^User ids that are not whole numbers \(first: 1\.5\) in 1 of 3 rows \(0-based: 0\) of column 'userId':"):
        _quick().fit(pd.DataFrame({"userId": [1.5, 2, 3], "movieId": [4, 5, 6]}), [1.0, 2.0, 3.0])


PREDICT_FIX = r"drop or fill those rows before predict, e\.g\. df\.dropna\(\); an id not seen in fit is predicted from the global mean plus the known side's bias, a missing one is refused\.$"


@pytest.mark.parametrize("method", ["predict", "rmse", "score", "network_input"])
def test_missing_ids_at_predict_are_refused_not_a_global_mean(method: str) -> None:
    X, r = _small()
    rec = _quick().fit(pd.DataFrame(X, columns=["userId", "movieId"]), r)
    args = (np.ones(3),) if method in ("rmse", "score") else ()
    frame = pd.DataFrame({"userId": [X[0, 0], np.nan, X[2, 0]], "movieId": X[:3, 1]})
    with pytest.raises(DataError, match=rf"^Missing user ids \(NaN or None\) in 1 of 3 rows \(0-based: 1\) of column 'userId': {PREDICT_FIX}"):
        getattr(rec, method)(frame, *args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fitted with names, given a tuple or an array: positional
        with pytest.raises(DataError, match=rf"^Missing item ids \(NaN or None\) in 2 of 3 rows \(0-based: 0, 2\): {PREDICT_FIX}"):
            getattr(rec, method)((X[:3, 0], [None, X[1, 1], None]), *args)
        with pytest.raises(DataError, match=r"^User ids that are not whole numbers \(first: 2\.5\) in 1 of 3 rows \(0-based: 2\): ids must be integers or strings; fix or drop those rows before predict\.$"):
            getattr(rec, method)(np.array([[X[0, 0], X[0, 1]], [X[1, 0], X[1, 1]], [2.5, X[2, 1]]]), *args)


def test_seen_marks_the_user_and_item_each_row_had_in_fit(split: tuple[pd.DataFrame, pd.DataFrame, Recommender]) -> None:
    _, _, rec = split
    X = ([0, 999, 998, 0], ["m1", "m1", "zzz", "zzz"])
    np.testing.assert_array_equal(rec.seen(X), [[True, True], [False, True], [False, False], [True, False]])
    known = rec.seen(X).all(axis=1)
    with pytest.warns(UserWarning, match=r"3 of 4 rows have a user"):  # the rows predict rates by its fallback are the rows seen marks
        pred = rec.predict(X)
    assert pred[~known] == pytest.approx(np.r_[rec.global_mean_ + rec.network_.item_bias.weight[rec.items_.get_loc("m1"), 0].item(), rec.global_mean_,
                                               rec.global_mean_ + rec.network_.user_bias.weight[rec.users_.get_loc(0), 0].item()])
    with pytest.raises(DataError, match="missing"):
        rec.seen(([0, None], ["m1", "m1"]))


def test_unknown_ids_at_predict_still_fall_back() -> None:
    X, r = _small()
    rec = _quick().fit(X, r)
    with pytest.warns(UserWarning, match=r"^1 of 2 rows have a user \(1\) or item \(0\) not seen in fit"):
        pred = rec.predict(([X[0, 0], 10_000], [X[0, 1], X[0, 1]]))
    assert np.isfinite(pred).all()


def test_n_features_in_is_the_two_id_columns(tmp_path: Path) -> None:
    X, r = _small()
    for form in (X, (X[:, 0], X[:, 1]), pd.DataFrame(X, columns=["u", "i"])):
        rec = _quick().fit(form, r)
        assert rec.n_features_in_ == 2
        assert hasattr(rec, "feature_names_in_") == isinstance(form, pd.DataFrame)
    assert not hasattr(Recommender(), "n_features_in_")
    rec.save(tmp_path / "r.safetensors")
    assert Recommender.load(tmp_path / "r.safetensors").n_features_in_ == 2
    assert hl.load(tmp_path / "r.safetensors").n_features_in_ == 2


def test_a_file_and_a_pickle_from_before_n_features_in_have_it() -> None:
    assert Recommender.load(LEGACY / "recommender.safetensors").n_features_in_ == 2
    with (LEGACY / "recommender.pkl").open("rb") as fh:
        old = pickle.load(fh)  # our own fixture, written by the old code
    assert old.n_features_in_ == 2
    assert not hasattr(pickle.loads(pickle.dumps(Recommender())), "n_features_in_")


def test_numbers_that_are_not_whole_are_a_data_error() -> None:
    with pytest.raises(DataError, match=r"^User ids that are not whole numbers \(first: 2\.5\) in 1 of 3 rows \(0-based: 2\): ids must be integers or strings; fix or drop those rows before fit\.$"):
        _quick().fit(([1.0, 2.0, 2.5], [1, 2, 3]), [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match=r"^Item ids that are not whole numbers \(first: inf\) in 2 of 3 rows \(0-based: 0, 1\):"):
        _quick().fit(([1, 2, 3], [np.inf, -np.inf, 3.0]), [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match=r"^User ids that are not whole numbers \(first: 0\.5\) in 1 of 3 rows \(0-based: 1\):"):
        _quick().fit((np.array(["a", 0.5, 3], dtype=object), [1, 2, 3]), [1.0, 2.0, 3.0])


def test_whole_float_ids_fit_like_ints() -> None:  # pandas makes an int column float when it has a missing value
    X, r = _small()
    as_int, as_float = _quick().fit(X, r), _quick().fit(X.astype(float), r)
    np.testing.assert_array_equal(as_float.predict(X.astype(float)), as_int.predict(X))
    assert as_float.predict(X).tolist() == as_int.predict(X).tolist()  # int ids find the float vocabulary


ID = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([None, np.nan, pd.NA, 2.0, -0.0, 1e300]),
    st.text(max_size=3),
)


def _oracle(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Missing and not-whole flags of ``values``, written out one value at a time."""
    missing = np.array([v is None or v is pd.NA or (isinstance(v, float) and v != v) for v in values], dtype=bool)
    frac = np.array([isinstance(v, float) and v == v and not (abs(v) != float("inf") and v == int(v)) for v in values], dtype=bool)
    return missing, frac & ~missing


@settings(max_examples=200, deadline=None)
@given(st.lists(ID, min_size=1, max_size=30))
def test_check_ids_flags_what_the_oracle_flags(values: list[Any]) -> None:
    ids = np.array(values, dtype=object)
    missing, frac = _oracle(values)
    if missing.any():
        with pytest.raises(DataError, match=f"^Missing user ids \\(NaN or None\\) in {re.escape(_rows(missing))}:"):
            check_ids("user", ids)
    elif frac.any():
        with pytest.raises(DataError, match=f"^User ids that are not whole numbers \\(first: .*\\) in {re.escape(_rows(frac))}:"):
            check_ids("user", ids)
    else:
        check_ids("user", ids)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=st.one_of(st.integers(-1000, 1000).map(float), st.floats(allow_nan=True, allow_infinity=True))))
def test_check_ids_on_float_arrays_agrees_with_the_object_form(ids: np.ndarray) -> None:
    missing, frac = _oracle(ids.tolist())
    bad = missing if missing.any() else frac
    if bad.any():
        with pytest.raises(DataError, match=f"^(Missing item ids|Item ids that are not whole numbers).* in {re.escape(_rows(bad))}:"):
            check_ids("item", ids)
    else:
        check_ids("item", ids)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 59), min_size=1, max_size=10, unique=True), st.sampled_from(["user", "item"]), st.sampled_from([np.nan, np.inf, 0.5, None]))
def test_a_fit_with_bad_ids_raises_and_changes_nothing(rows: list[int], side: str, bad_value: Any) -> None:
    X, r = _small()
    rec = _quick().fit(X, r)
    before = rec.predict(X)
    Xb = X.astype(object if bad_value is None else float)
    Xb[rows, 0 if side == "user" else 1] = bad_value
    flagged = np.zeros(len(X), dtype=bool)
    flagged[rows] = True
    missing = bad_value is None or bad_value != bad_value
    problem = f"Missing {side} ids" if missing else f"{side.capitalize()} ids that are not whole numbers"
    with pytest.raises(DataError, match=f"^{problem}.* in {re.escape(_rows(flagged))}:"):
        rec.fit(Xb, r)
    np.testing.assert_array_equal(rec.predict(X), before)


# ------------------------------------------------------------------ column names
def test_fit_on_a_frame_records_column_names(split: tuple[pd.DataFrame, pd.DataFrame, Recommender]) -> None:
    tr, _, rec = split
    assert rec.feature_names_in_.dtype == object and rec.feature_names_in_.tolist() == ["user", "item"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same names, and the positional tuple form: no warning
        rec.predict(tr.iloc[:5][["user", "item"]])
        rec.predict((tr.user.to_numpy()[:5], tr.item.to_numpy()[:5]))


@pytest.mark.parametrize("method", ["predict", "network_input"])
@pytest.mark.parametrize("columns", [["item", "user"], ["user", "movie"], ["user", "item", "rating"]], ids=["swapped", "renamed", "extra"])
def test_other_column_names_raise(split: tuple[pd.DataFrame, pd.DataFrame, Recommender], method: str, columns: list[str]) -> None:
    tr, _, rec = split
    X = tr.iloc[:5].rename(columns={"item": "movie"}) if "movie" in columns else tr.iloc[:5]
    msg = (
        f"The feature names should match those that were passed during fit: X has columns {columns}, "
        "Recommender was fitted on ['user', 'item']. Pass X[['user', 'item']] (the same columns in the same order)."
    )
    with pytest.raises(DataError, match=f"^{re.escape(msg)}$") as info:
        getattr(rec, method)(X[columns])
    assert isinstance(info.value, ValueError)  # scikit-learn raises a ValueError


def test_arrays_warn_after_a_frame_fit_and_frames_after_an_array_fit(split: tuple[pd.DataFrame, pd.DataFrame, Recommender]) -> None:
    tr, _, rec = split
    rows = tr.iloc[:5][["user", "item"]]
    with pytest.warns(UserWarning, match="^X does not have valid feature names, but Recommender was fitted with feature names$"):
        from_array = rec.predict(rows.to_numpy())
    np.testing.assert_array_equal(from_array, rec.predict(rows))
    X, r = _small()
    plain = _quick().fit(X, r)
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match="^X has feature names, but Recommender was fitted without feature names$"):
        plain.predict(pd.DataFrame(X, columns=["u", "i"]))


def test_refit_on_a_tuple_forgets_the_names() -> None:
    X, r = _small()
    rec = _quick().fit(pd.DataFrame(X, columns=["u", "i"]), r)
    assert rec.feature_names_in_.tolist() == ["u", "i"]
    rec.fit((X[:, 0], X[:, 1]), r)
    assert not hasattr(rec, "feature_names_in_")


def test_names_survive_save_and_load(split: tuple[pd.DataFrame, pd.DataFrame, Recommender], tmp_path: Path) -> None:
    tr, _, rec = split
    rows = tr.iloc[:50][["user", "item"]]
    for save, load in ((lambda m, p: m.save(p), Recommender.load), (hl.save, hl.load)):
        path = tmp_path / "r.safetensors"
        save(rec, path)
        again = load(path)
        assert again.feature_names_in_.dtype == object and again.feature_names_in_.tolist() == ["user", "item"]
        np.testing.assert_array_equal(again.predict(rows), rec.predict(rows))
        with pytest.raises(DataError, match="The feature names should match"):
            again.predict(rows[["item", "user"]])


def test_a_file_without_names_loads_as_fitted_on_an_array() -> None:
    old = Recommender.load(LEGACY / "recommender.safetensors")  # written before the names were stored
    assert not hasattr(old, "feature_names_in_")
    X = np.load(LEGACY / "recommender.expected.npz")["X"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old.predict(X.T)


@pytest.mark.parametrize("names", [["user"], "user", ["user", 3]], ids=["too-few", "not-a-list", "not-strings"])
def test_damaged_names_in_a_file_are_a_clear_error(split: tuple[pd.DataFrame, pd.DataFrame, Recommender], tmp_path: Path, names: Any) -> None:
    split[2].save(tmp_path / "ok.safetensors")
    with safe_open(str(tmp_path / "ok.safetensors"), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    meta["state"]["feature_names_in_"] = names
    (tmp_path / "bad.safetensors").write_bytes(st_save(load_file(str(tmp_path / "ok.safetensors")), metadata={"hiddenlayers": json.dumps(meta)}))
    with pytest.raises(ModelFileError, match=r"bad\.safetensors' feature_names_in_ is not a list of 2 column names: the file was altered or is damaged\.$"):
        Recommender.load(tmp_path / "bad.safetensors")


# ------------------------------------------------------------------ a failed refit
@pytest.mark.parametrize(
    "refit",
    [
        lambda m, X, r: m.fit(np.where(X > 8, np.nan, X), r),
        lambda m, X, r: m.fit(X + 0.5, r),
        lambda m, X, r: m.fit(X, np.where(r > 2, np.nan, r)),
        lambda m, X, r: m.fit(X, r[:-1]),
        lambda m, X, r: m.fit(pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": 0}), r),
        lambda m, X, r: m.set_params(reg=-1).fit(X[:, ::-1], r),
    ],
    ids=["nan-ids", "fractional-ids", "nan-ratings", "lengths", "three-columns", "bad-param"],
)
def test_a_failed_refit_leaves_the_model_as_it_was(refit: Callable[[Recommender, np.ndarray, np.ndarray], Any]) -> None:
    X, r = _small()
    frame = pd.DataFrame(X, columns=["u", "i"])
    rec = _quick().fit(frame, r)
    before = (rec.predict(frame), rec.users_.tolist(), rec.items_.tolist(), rec.global_mean_, rec.n_iter_, rec.feature_names_in_.tolist())
    with pytest.raises(ValueError):  # DataError is a ValueError
        refit(rec, X, r)
    rec.set_params(reg=0.05)
    after = (rec.predict(frame), rec.users_.tolist(), rec.items_.tolist(), rec.global_mean_, rec.n_iter_, rec.feature_names_in_.tolist())
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1:] == before[1:]


def test_one_pair_as_a_tuple_names_both_forms() -> None:  # predict((3, 5)) read 'users and items must be 1-D ... Received () and ()'
    X, r = _small()
    model = _quick().fit(X, r)
    with pytest.raises(DataError, match=r"^X is one \(user, item\) pair as a tuple, \(3, 5\), but a tuple is read as \(users, items\): pass \[\(3, 5\)\] \(a list of pairs\) or \(\[3\], \[5\]\)\.$"):
        model.predict((3, 5))
    np.testing.assert_array_equal(model.predict([(3, 5)]), model.predict(([3], [5])))


@pytest.mark.parametrize("unit", [1e-300, 1e39])
def test_ratings_float32_cannot_hold_are_refused_in_one_line(unit: float) -> None:
    # ratings of ~1e-300 are 0 in the network's float32: the model predicted 0 and score() read R² 1.0 from underflowing sums
    X, y = _small()
    model = _quick()
    with pytest.raises(DataError, match=r"^y's ratings have mean .*float32.*rescale them") as info:
        model.fit(X, y * unit)
    assert "\n" not in str(info.value) and not hasattr(model, "network_")


def test_small_but_float32_normal_ratings_still_fit() -> None:
    X, y = _small()
    assert np.isfinite(_quick().fit(X, y * 1e-30).predict(X)).all()
