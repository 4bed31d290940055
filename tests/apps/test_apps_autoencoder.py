"""Autoencoder: shapes, outlier scores on injected outliers, save/load, errors, column names, failed refits, device."""

from __future__ import annotations

import json
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
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as st_save
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

import hiddenlayers as hl
from hiddenlayers import Autoencoder, ModelFileError, NotFittedError
from hiddenlayers.exceptions import DataError

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(600, 2))
    mix = rng.normal(size=(2, 8))
    inliers = codes @ mix + 0.05 * rng.normal(size=(600, 8))  # a 2-D plane in 8-D
    outliers = rng.normal(scale=2.0, size=(30, 8))  # off the plane
    X = np.vstack([inliers, outliers])
    y = np.r_[np.zeros(600), np.ones(30)]
    return inliers, X, y


@pytest.fixture(scope="module")
def fitted(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Autoencoder:
    return Autoencoder((16,), n_components=2, batch_size=32, max_iter=60, contamination=0.05, random_state=0).fit(data[0])


def test_scores_separate_injected_outliers(fitted: Autoencoder, data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, X, y = data
    assert roc_auc_score(y, -fitted.score_samples(X)) > 0.98
    pred = fitted.predict(X)
    assert set(np.unique(pred)) <= {-1, 1}
    assert (pred[y == 1] == -1).mean() > 0.9  # outliers flagged
    assert (pred[y == 0] == 1).mean() > 0.9  # ~5% of inliers flagged by the contamination threshold
    np.testing.assert_allclose(fitted.decision_function(X), fitted.score_samples(X) - fitted.offset_)


def test_feature_errors_name_the_feature_that_makes_a_row_anomalous(fitted: Autoencoder, data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Per-feature reconstruction error: which features make a row anomalous (it was not offered: users re-derived it from
    inverse_transform, in raw units, where a feature of large units outweighs the others)."""
    inliers = data[0][:40]
    shifted = inliers.copy()
    shifted[:, 5] += 6 * fitted.scale_[5]  # six standard deviations on feature 5 only: off the plane the inliers lie on
    errors = fitted.feature_errors(shifted)
    assert errors.shape == (40, 8) and (errors >= 0).all()
    np.testing.assert_allclose(errors.mean(1), fitted.reconstruction_error(shifted), rtol=1e-5)  # their row mean is the anomaly score
    assert (errors.argmax(1) == 5).all()  # the shifted feature is each row's worst
    assert (errors[:, 5] > 10 * fitted.feature_errors(inliers)[:, 5]).all()
    # standardized units: multiplying a feature's raw units by 1000 (and its fitted scale with it) leaves its errors as they were
    scaled = Autoencoder((16,), n_components=2, batch_size=32, max_iter=60, contamination=0.05, random_state=0).fit(data[0] * np.r_[1000.0, np.ones(7)])
    np.testing.assert_allclose(scaled.feature_errors(inliers * np.r_[1000.0, np.ones(7)]), fitted.feature_errors(inliers), rtol=1e-3, atol=1e-4)
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        fitted.feature_errors(np.empty((0, 8)))


def test_transform_and_inverse(fitted: Autoencoder, data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    inliers = data[0][:50]
    codes = fitted.transform(inliers)
    assert codes.shape == (50, 2)
    back = fitted.inverse_transform(codes)
    assert back.shape == inliers.shape
    rel = np.linalg.norm(back - inliers) / np.linalg.norm(inliers - inliers.mean(0))
    assert rel < 0.3
    assert fitted.n_iter_ >= 1 and len(fitted.loss_curve_) == fitted.n_iter_


def test_save_load_round_trip(fitted: Autoencoder, data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    path = tmp_path / "ae.safetensors"
    fitted.save(path)
    again = Autoencoder.load(path)
    X = data[1]
    np.testing.assert_array_equal(again.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    assert again.get_params() == {**fitted.get_params(), "hidden_layer_sizes": again.hidden_layer_sizes}


def test_load_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a readable safetensors model file"):
        Autoencoder.load(bad)
    with pytest.raises(ModelFileError, match="does not exist"):
        Autoencoder.load(tmp_path / "missing.safetensors")


def test_errors(fitted: Autoencoder) -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Autoencoder().score_samples(np.zeros((2, 3)))
    with pytest.raises(DataError, match="X has 3 features, but Autoencoder is expecting 8 features as input"):
        fitted.score_samples(np.zeros((2, 3)))
    with pytest.raises(DataError, match="codes have 5 columns, but n_components=2"):
        fitted.inverse_transform(np.zeros((2, 5)))
    for bad in (0.9, 0, 0.5000001):  # the bound read 'strictly between 0.0 and 0.500000000001' (0.5 itself is allowed)
        with pytest.raises(ValueError, match=rf"^contamination must be a number > 0 and <= 0\.5\. Received: contamination={bad}\.$"):
            Autoencoder(contamination=bad).fit(np.zeros((10, 2)))
    assert Autoencoder(contamination=0.5, max_iter=1, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 2))).offset_ < 0
    with pytest.raises(ValueError, match="activation must be one of .*Received: activation='relux'"):
        Autoencoder(activation="relux").fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="n_components must be an integer >= 1. Received: n_components=0"):
        Autoencoder(n_components=0).fit(np.zeros((10, 2)))


ONE_D = r"must be 2-D \(n_samples, n_features\)\. Received shape \({shape}\)\. Reshape your data with {name}\.reshape\(-1, 1\) if it holds one feature, or {name}\.reshape\(1, -1\) if it is one sample\.$"


@pytest.mark.parametrize("method", ["fit", "transform", "score_samples", "decision_function", "predict", "reconstruction_error", "feature_errors", "network_input",
                                    "inverse_transform"])
@pytest.mark.parametrize("form", ["array", "list", "series", "scalar"])
def test_one_d_input_is_a_one_line_error_naming_shape_and_reshape(fitted: Autoencoder, method: str, form: str) -> None:
    row = np.arange(8.0)
    X = {"array": row, "list": row.tolist(), "series": pd.Series(row), "scalar": 3.0}[form]
    shape = "" if form == "scalar" else "8,"
    name = "codes" if method == "inverse_transform" else "X"
    model = Autoencoder(max_iter=1) if method == "fit" else fitted
    with pytest.raises(DataError, match=f"^{name} " + ONE_D.format(shape=shape, name=name)) as info:
        getattr(model, method)(X)
    assert "\n" not in str(info.value)



@pytest.mark.parametrize("method", ["fit", "predict", "score_samples", "reconstruction_error", "transform", "inverse_transform"])
def test_three_d_input_is_a_one_line_error_naming_the_flattening(fitted: Autoencoder, method: str) -> None:
    # scikit-learn's words, "Found array with dim 3, while dim <= 2 is required by Autoencoder.", named no fix
    name = "codes" if method == "inverse_transform" else "X"
    model = Autoencoder(max_iter=1) if method == "fit" else fitted
    with pytest.raises(DataError, match=rf"^{name} must be 2-D \(n_samples, n_features\)\. Received shape \(3, 2, 4\): .* flatten each sample "
                                        rf"with {name}\.reshape\(len\({name}\), -1\)\.$"):
        getattr(model, method)(np.zeros((3, 2, 4)))



@pytest.mark.parametrize("method", ["predict", "score_samples", "reconstruction_error", "transform", "feature_errors"])
def test_a_value_float32_cannot_hold_once_standardized_is_one_line_naming_row_and_column(fitted: Autoencoder, method: str) -> None:
    # 1e39 standardized is infinite in the float32 network: the row's score was NaN (and predict flagged it), with no word
    X = np.zeros((3, 8))
    X[1, 5] = 1e39 * fitted.scale_[5]
    with pytest.raises(DataError, match=r"^X row 1, column 5 holds .* beyond float32's range \(±3\.4e38\), which the network computes in, "
                                        r"so its score would be NaN \(1 row\(s\)\); drop those rows or fix their values\.$"):
        getattr(fitted, method)(X)
    X[1, 5] = 1e30 * fitted.scale_[5]  # within float32 once standardized: scored (its error, squared, overflows to inf: flagged)
    assert fitted.predict(X)[1] == -1

def test_non_finite_codes_are_named_as_codes(fitted: Autoencoder) -> None:  # the message said "X contains NaN" and to impute X
    with pytest.raises(DataError, match=r"^codes contains NaN or infinity in 1 of 2 rows \(first: row 1\): .*pass the output of transform\(\)\.$"):
        fitted.inverse_transform(np.array([[0.0, 1.0], [np.nan, 0.0]]))

@pytest.mark.filterwarnings("ignore:X has feature names")  # `fitted` read an array: a frame is named as such before it is read
@pytest.mark.parametrize("method", ["fit", "predict", "score_samples"])
def test_a_text_column_is_one_line_naming_the_column_and_the_encoder(fitted: Autoencoder, method: str) -> None:
    """scikit-learn's bare "could not convert string to float: 'x'" named neither the column nor what to do."""
    X = pd.DataFrame({f"x{j}": np.arange(6.0) for j in range(7)}).assign(city=["oslo", "rome"] * 3)
    model = Autoencoder(max_iter=1) if method == "fit" else fitted
    with pytest.raises(DataError, match=r"^X has non-numeric values \(could not convert string to float: 'oslo', in column 'city'\): an autoencoder "
                                        r"reads numbers; drop text columns, or encode them first, e.g. make_pipeline\(hl.TableEncoder\(\), Autoencoder"):
        getattr(model, method)(X)


# ------------------------------------------------------------------ device
NO_GPU = pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(), reason="device='auto' picks a GPU here, so it need not equal 'cpu' bit for bit"
)


@NO_GPU
def test_device_cpu_equals_default_on_a_cpu_machine(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    X = data[1][:200]
    a = Autoencoder((8,), n_components=2, max_iter=5, random_state=0).fit(X)
    b = Autoencoder((8,), n_components=2, max_iter=5, random_state=0, device="cpu").fit(X)
    assert next(b.network_.parameters()).device.type == "cpu"
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_device_errors(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    with pytest.raises(ValueError, match=r"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Received: device='gpu'"):
        Autoencoder(device="gpu").fit(data[0])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_missing_cuda_is_a_clear_error(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    with pytest.raises(ValueError, match=r"device='cuda' but this machine has no CUDA GPU: use device='auto'"):
        Autoencoder(device="cuda").fit(data[0])


def test_load_onto_cpu_and_params(fitted: Autoencoder, data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    assert fitted.get_params()["device"] == "auto" and clone(Autoencoder(device="cpu")).device == "cpu"
    path = tmp_path / "ae.safetensors"
    fitted.save(path)
    cpu = Autoencoder.load(path, device="cpu")
    assert cpu.device == "cpu" and next(cpu.network_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(cpu.score_samples(data[1]), fitted.score_samples(data[1]), rtol=0, atol=1e-5)  # exact on a CPU; float32 kernels differ on a GPU
    cpu.save(path)
    assert Autoencoder.load(path).device == "cpu"  # the parameter travels in the file
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu'.*Received: device='gpu'"):
        Autoencoder.load(path, device="gpu")


# ------------------------------------------------------------------ before fit
BEFORE_FIT: dict[str, Callable[[Autoencoder, Path], Any]] = {
    "transform": lambda m, p: m.transform(np.zeros((2, 3))),
    "inverse_transform": lambda m, p: m.inverse_transform(np.zeros((2, 2))),
    "reconstruction_error": lambda m, p: m.reconstruction_error(np.zeros((2, 3))),
    "feature_errors": lambda m, p: m.feature_errors(np.zeros((2, 3))),
    "score_samples": lambda m, p: m.score_samples(np.zeros((2, 3))),
    "decision_function": lambda m, p: m.decision_function(np.zeros((2, 3))),
    "predict": lambda m, p: m.predict(np.zeros((2, 3))),
    "network_input": lambda m, p: m.network_input(np.zeros((2, 3))),
    "save": lambda m, p: m.save(p),
    "hl.save": lambda m, p: hl.save(m, p),
}


@pytest.mark.parametrize("method", list(BEFORE_FIT))
def test_every_method_before_fit_raises_not_fitted(method: str, tmp_path: Path) -> None:
    with pytest.raises(NotFittedError, match=r"^This Autoencoder instance is not fitted yet\. Call 'fit'") as info:
        BEFORE_FIT[method](Autoencoder(), tmp_path / "ae.safetensors")
    assert isinstance(info.value, sklearn.exceptions.NotFittedError)  # what sklearn's tools catch
    assert not (tmp_path / "ae.safetensors").exists()


# ------------------------------------------------------------------ column names
@pytest.fixture(scope="module")
def frame(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(data[1], columns=[f"c{i}" for i in range(8)])


@pytest.fixture(scope="module")
def named(frame: pd.DataFrame) -> Autoencoder:
    return Autoencoder((8,), n_components=2, max_iter=5, random_state=0).fit(frame)


def test_fit_on_a_frame_records_column_names(named: Autoencoder, frame: pd.DataFrame) -> None:
    assert named.feature_names_in_.dtype == object
    assert named.feature_names_in_.tolist() == list(frame.columns) and named.n_features_in_ == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same names: no warning
        named.score_samples(frame)


def test_frame_and_array_give_the_same_scores(named: Autoencoder, frame: pd.DataFrame) -> None:
    with pytest.warns(UserWarning, match="^X does not have valid feature names, but Autoencoder was fitted with feature names$"):
        from_array = named.score_samples(frame.to_numpy())
    np.testing.assert_array_equal(named.score_samples(frame), from_array)


@pytest.mark.parametrize(
    "edit",
    [lambda f: f.rename(columns={"c0": "zz"}), lambda f: f[["c1", "c0", *f.columns[2:]]], lambda f: f.iloc[:, :7], lambda f: f.assign(extra=1.0)],
    ids=["renamed", "reordered", "missing", "extra"],
)
@pytest.mark.parametrize("method", ["predict", "transform", "score_samples", "decision_function", "reconstruction_error", "feature_errors", "network_input"])
def test_other_column_names_raise(named: Autoencoder, frame: pd.DataFrame, edit: Callable[[pd.DataFrame], pd.DataFrame], method: str) -> None:
    bad = edit(frame.iloc[:5])
    fitted = str(list(frame.columns))
    msg = (
        f"The feature names should match those that were passed during fit: X has columns {list(bad.columns)}, "
        f"Autoencoder was fitted on {fitted}. Pass X[{fitted}] (the same columns in the same order)."
    )
    with pytest.raises(DataError, match=f"^{re.escape(msg)}$") as info:
        getattr(named, method)(bad)
    assert isinstance(info.value, ValueError)  # scikit-learn raises a ValueError


def test_fit_on_an_array_warns_for_a_frame(fitted: Autoencoder, frame: pd.DataFrame) -> None:
    assert not hasattr(fitted, "feature_names_in_")
    with pytest.warns(UserWarning, match="^X has feature names, but Autoencoder was fitted without feature names$"):
        fitted.predict(frame.iloc[:5])


def test_refit_on_an_array_forgets_the_names(frame: pd.DataFrame) -> None:
    ae = Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(frame)
    ae.fit(frame.to_numpy())
    assert not hasattr(ae, "feature_names_in_")


def test_names_survive_save_and_load(named: Autoencoder, frame: pd.DataFrame, tmp_path: Path) -> None:
    for save, load in ((lambda m, p: m.save(p), Autoencoder.load), (hl.save, hl.load)):
        path = tmp_path / "named.safetensors"
        save(named, path)
        again = load(path)
        assert again.feature_names_in_.dtype == object and again.feature_names_in_.tolist() == named.feature_names_in_.tolist()
        np.testing.assert_array_equal(again.score_samples(frame), named.score_samples(frame))
        with pytest.raises(DataError, match="The feature names should match"):
            again.predict(frame.rename(columns={"c0": "zz"}))


def test_a_file_without_names_loads_as_fitted_on_an_array() -> None:
    old = Autoencoder.load(LEGACY / "autoencoder.safetensors")  # written before the names were stored
    assert not hasattr(old, "feature_names_in_")
    X = np.load(LEGACY / "autoencoder.expected.npz")["X"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old.score_samples(X)


def _rewrite_state(path: Path, out: Path, **state: Any) -> None:
    with safe_open(str(path), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    meta["state"].update(state)
    out.write_bytes(st_save(load_file(str(path)), metadata={"hiddenlayers": json.dumps(meta)}))


@pytest.mark.parametrize("names", [["c0"], "c0", [1, 2, 3, 4, 5, 6, 7, 8]], ids=["too-few", "not-a-list", "not-strings"])
def test_damaged_names_in_a_file_are_a_clear_error(named: Autoencoder, tmp_path: Path, names: Any) -> None:
    named.save(tmp_path / "ok.safetensors")
    _rewrite_state(tmp_path / "ok.safetensors", tmp_path / "bad.safetensors", feature_names_in_=names)
    with pytest.raises(ModelFileError, match=r"bad\.safetensors' feature_names_in_ is not a list of 8 column names: the file was altered or is damaged\.$"):
        Autoencoder.load(tmp_path / "bad.safetensors")



def _rewrite_tensors(path: Path, out: Path, **tensors: torch.Tensor) -> None:
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata()
    out.write_bytes(st_save({**load_file(str(path)), **tensors}, metadata=meta))


@pytest.mark.parametrize(("state", "why"), [
    ({"offset_": None}, r"offset_ None is not a finite number"),  # null, read as a removed key is: was a TypeError at predict
    ({"offset_": float("nan")}, r"offset_ nan is not a finite number"),  # every row was flagged -1
    ({"offset_": "abc"}, r"offset_ 'abc' is not a finite number"),  # was NumPy's ufunc error at decision_function
], ids=["null", "nan", "text"])
def test_a_damaged_threshold_in_a_file_is_a_clear_error(fitted: Autoencoder, tmp_path: Path, state: dict[str, Any], why: str) -> None:
    fitted.save(tmp_path / "ok.safetensors")
    _rewrite_state(tmp_path / "ok.safetensors", tmp_path / "bad.safetensors", **state)
    with pytest.raises(ModelFileError, match=rf"bad\.safetensors' has inconsistent contents \(ValueError: {why}.*the file was altered or is damaged\.$"):
        Autoencoder.load(tmp_path / "bad.safetensors")


@pytest.mark.parametrize(("name", "edit", "why"), [
    ("scale", lambda t: torch.zeros_like(t), "tensor 'scale' holds zero or negative values"),  # every score was NaN, every row flagged
    ("scale", lambda t: torch.full_like(t, float("nan")), "tensor 'scale' holds NaN or infinite values"),
    ("mean", lambda t: t.long(), r"tensor 'mean' is int64 of shape \(8,\), not float of shape \(8,\)"),  # loaded truncated: other scores
    ("mean", lambda t: t[:7], r"tensor 'mean' is float64 of shape \(7,\), not float of shape \(8,\)"),  # NumPy's broadcast error at scoring
], ids=["zero-scale", "nan-scale", "int-mean", "short-mean"])
def test_a_damaged_standardization_in_a_file_is_a_clear_error(fitted: Autoencoder, tmp_path: Path, name: str,
                                                               edit: Callable[[torch.Tensor], torch.Tensor], why: str) -> None:
    fitted.save(tmp_path / "ok.safetensors")
    _rewrite_tensors(tmp_path / "ok.safetensors", tmp_path / "bad.safetensors", **{name: edit(load_file(str(tmp_path / "ok.safetensors"))[name])})
    with pytest.raises(ModelFileError, match=rf"bad\.safetensors' has inconsistent contents \(ValueError: {why}.*the file was altered or is damaged\.$"):
        Autoencoder.load(tmp_path / "bad.safetensors")


# ------------------------------------------------------------------ a failed refit
def _snapshot(model: Autoencoder, X: pd.DataFrame) -> dict[str, Any]:
    return {
        "names": model.feature_names_in_.tolist(), "n_features_in_": model.n_features_in_, "offset_": model.offset_,
        "n_iter_": model.n_iter_, "scores": model.score_samples(X), "codes": model.transform(X), "predict": model.predict(X),
    }


@pytest.mark.parametrize(
    "refit",
    [
        lambda m, f: m.fit(f.to_numpy()[:1]),  # one row
        lambda m, f: m.fit(f.assign(c3=np.nan)),  # NaN
        lambda m, f: m.fit(f.assign(c3="text")),  # not numbers
        lambda m, f: m.fit(np.zeros(5)),  # 1-D
        lambda m, f: m.set_params(contamination=0.9).fit(f.to_numpy()[:, :3]),  # a bad parameter, other columns
        lambda m, f: m.set_params(hidden_layer_sizes="8:nope").fit(f.to_numpy()[:, :3]),
    ],
    ids=["one-row", "nan", "text", "1d", "bad-param", "bad-spec"],
)
def test_a_failed_refit_leaves_the_model_as_it_was(frame: pd.DataFrame, refit: Callable[[Autoencoder, pd.DataFrame], Any]) -> None:
    ae = Autoencoder((8,), n_components=2, max_iter=5, random_state=0).fit(frame)
    before = _snapshot(ae, frame)
    with pytest.raises(ValueError):  # DataError and SpecError are ValueErrors too
        refit(ae, frame)
    ae.set_params(contamination=0.1, hidden_layer_sizes=(8,))
    after = _snapshot(ae, frame)
    assert after.keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


@pytest.mark.parametrize("check", ["check_n_features_in_after_fitting", "check_fit2d_1sample"])
def test_scikit_learn_checks_of_its_messages(check: str) -> None:
    """Two of ``check_estimator``'s checks read the message: another column count is scikit-learn's 'X has 1 features, but
    Autoencoder is expecting 4 features as input', a one-row fit names n_samples=1 (both failed with our own wording)."""
    from sklearn.utils import estimator_checks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(estimator_checks, check)("Autoencoder", Autoencoder(max_iter=2, random_state=0))


def test_a_code_at_least_as_wide_as_the_input_warns_once_at_fit_naming_n_components_and_the_width() -> None:
    """A bottleneck no narrower than the input can learn the identity (the anomaly score then says little): one UserWarning at
    fit naming n_components, the width and the fix; none where the code, or a hidden layer, is narrower; none on a warm fit."""
    X = np.random.default_rng(0).normal(size=(40, 6))
    with pytest.warns(UserWarning) as caught:
        model = Autoencoder((8,), n_components=10, max_iter=1, random_state=0, warm_start=True).fit(X)
    said = [str(w.message) for w in caught if "n_components" in str(w.message)]
    assert len(said) == 1 and "n_components=10 is at least the input's width, 6 columns" in said[0], said
    assert "Set n_components below 6" in said[0] and "as is every hidden layer (the narrowest: 8)" in said[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X)  # a warm fit goes on with the network already warned of
        Autoencoder((8,), n_components=5, max_iter=1, random_state=0).fit(X)  # the code is the bottleneck
        Autoencoder((4,), n_components=10, max_iter=1, random_state=0).fit(X)  # the hidden layer of 4 is
    with pytest.warns(UserWarning, match=r"n_components=6 is at least the input's width, 6 columns: the autoencoder"):
        Autoencoder((16,), n_components=6, max_iter=1, random_state=0).fit(X)


def test_scorers_read_the_normal_side_as_the_guide_says(fitted: Autoencoder, data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """docs/guide/apps.md: scoring="roc_auc" with 1 for an anomaly is 1 minus the ROC-AUC; with ``1 - y`` it is the ROC-AUC; the
    callable average-precision scorer is the anomaly-positive figure ``evaluate`` reports."""
    from sklearn.metrics import average_precision_score, get_scorer

    _, X, y = data
    auc = roc_auc_score(y, fitted.reconstruction_error(X))
    assert auc > 0.9
    assert get_scorer("roc_auc")(fitted, X, y) == pytest.approx(1 - auc)
    assert get_scorer("roc_auc")(fitted, X, 1 - y) == pytest.approx(auc)

    def scorer(est: Autoencoder, X: np.ndarray, y: np.ndarray) -> float:
        return float(average_precision_score(y, -est.score_samples(X)))

    assert scorer(fitted, X, y) == pytest.approx(average_precision_score(y, fitted.reconstruction_error(X)))
