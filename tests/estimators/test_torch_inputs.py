"""The estimators given PyTorch tensors, as a PyTorch user holds data: the same fit as from NumPy arrays."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl


def _coefs(est) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.concatenate([w.ravel() for w in est.coefs_ + est.intercepts_])


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(np.int64)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tensors_that_require_grad_or_are_not_contiguous_fit_as_arrays_do(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    w = np.linspace(0.5, 1.5, len(y))
    kw = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0}
    ref = hl.MLPClassifier(**kw).fit(X, y, sample_weight=w)
    Xt = torch.tensor(X.T.copy()).T  # float64, not contiguous
    assert not Xt.is_contiguous()
    grad_X = torch.tensor(X, requires_grad=True)  # e.g. features taken from a model's output without detach()
    grad_w = torch.tensor(w, requires_grad=True)
    for given in (Xt, grad_X):
        # was PyTorch's "Can't call numpy() on Tensor that requires grad" from scikit-learn's check_array
        clf = hl.MLPClassifier(**kw).fit(given, torch.tensor(y), sample_weight=grad_w)
        np.testing.assert_array_equal(_coefs(clf), _coefs(ref))
        assert clf.score(given, torch.tensor(y), sample_weight=grad_w) == ref.score(X, y, sample_weight=w)
        clf.partial_fit(given, torch.tensor(y))
    assert grad_X.grad is None and grad_X.requires_grad  # the user's tensor is left as it was
    target = torch.tensor(X[:, 0] * 2, requires_grad=True)
    reg = hl.MLPRegressor(**kw).fit(grad_X, target)
    np.testing.assert_array_equal(_coefs(reg), _coefs(hl.MLPRegressor(**kw).fit(X, X[:, 0] * 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert reg.score(grad_X, target) == pytest.approx(reg.score(X, X[:, 0] * 2), rel=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_float32_tensor_predicts_as_its_float32_array_does(data: tuple[np.ndarray, np.ndarray]) -> None:
    """float32 in, float32 out, whether the rows are an array or a tensor (a tensor's probabilities came out float64)."""
    X, y = data
    X32 = X.astype(np.float32)
    clf = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X32, y)
    for method in (clf.predict_proba, clf.predict):
        from_array, from_tensor = method(X32), method(torch.from_numpy(X32))
        assert from_tensor.dtype == from_array.dtype
        np.testing.assert_array_equal(from_tensor, from_array)
    assert clf.predict_proba(X32).dtype == np.float32


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bfloat16_tensors_fit_as_their_float32_values_do(data: tuple[np.ndarray, np.ndarray]) -> None:
    """A mixed-precision model's features (bfloat16) ended in PyTorch's "Got unsupported ScalarType BFloat16" from
    scikit-learn's conversion; they are read as their float32 values (exactly: bfloat16 is float32 cut short)."""
    X, y = data
    kw = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0}
    Xb = torch.tensor(X, dtype=torch.bfloat16)
    X32 = Xb.float().numpy()
    ref = hl.MLPClassifier(**kw).fit(X32, y)
    clf = hl.MLPClassifier(**kw).fit(Xb, torch.tensor(y))
    np.testing.assert_array_equal(_coefs(clf), _coefs(ref))
    np.testing.assert_array_equal(clf.predict_proba(Xb), ref.predict_proba(Xb.float()))
    assert clf.score(Xb, torch.tensor(y)) == ref.score(X32, y)
    target = torch.tensor(X[:, 0] * 2, dtype=torch.bfloat16)
    reg = hl.MLPRegressor(**kw).fit(Xb, target)
    np.testing.assert_array_equal(_coefs(reg), _coefs(hl.MLPRegressor(**kw).fit(X32, target.float().numpy())))
    np.testing.assert_array_equal(reg.predict(Xb), reg.predict(Xb.float()))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tensors_on_a_gpu_fit_as_their_values_do(data: tuple[np.ndarray, np.ndarray]) -> None:
    """A PyTorch user's data on the GPU ended in "can't convert cuda:0 device type tensor to numpy"."""
    X, y = data
    kw = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0, "device": "cpu"}
    ref = hl.MLPClassifier(**kw).fit(X, y)
    clf = hl.MLPClassifier(**kw).fit(torch.tensor(X, device="cuda"), torch.tensor(y, device="cuda"))
    np.testing.assert_array_equal(_coefs(clf), _coefs(ref))
    np.testing.assert_array_equal(clf.predict(torch.tensor(X, device="cuda")), ref.predict(X))


def test_a_tensor_on_the_meta_device_is_one_line(data: tuple[np.ndarray, np.ndarray]) -> None:
    # was PyTorch's "can't convert meta device type tensor to numpy. Use Tensor.cpu() ...", a traceback whose fix cannot work
    X, y = data
    fitted = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    meta = torch.empty(len(y), 3, device="meta")
    for call in (lambda: hl.MLPClassifier().fit(meta, y), lambda: fitted.predict(meta), lambda: fitted.score(X, torch.empty(len(y), device="meta"))):
        with pytest.raises(hl.DataError, match=r"^the data is a tensor on the 'meta' device \(shape \(40,( 3)?\)\), which holds no values"):
            call()
