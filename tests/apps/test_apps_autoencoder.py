"""Autoencoder: shapes, outlier scores on injected outliers, save/load, errors, device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from hiddenlayers import Autoencoder, ModelFileError, NotFittedError
from hiddenlayers.exceptions import DataError


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
    with pytest.raises(DataError, match="X has 3 features, but this Autoencoder was fitted with 8"):
        fitted.score_samples(np.zeros((2, 3)))
    with pytest.raises(DataError, match="codes have 5 columns, but n_components=2"):
        fitted.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"contamination must be a number strictly between 0.0 and 0.5.*Received: contamination=0.9"):
        Autoencoder(contamination=0.9).fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="activation must be one of .*Received: activation='relux'"):
        Autoencoder(activation="relux").fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="n_components must be an integer >= 1. Received: n_components=0"):
        Autoencoder(n_components=0).fit(np.zeros((10, 2)))


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
