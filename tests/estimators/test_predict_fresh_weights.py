"""``predict`` computes with the weights ``network_`` holds, after a user's own PyTorch changes to it.

A plain dense network predicts from NumPy copies of its weights (``_predict.cache_weights``); a PyTorch user who trains
``network_`` further in their own loop, loads a ``state_dict`` into it or replaces it got the old model's predictions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl


@pytest.fixture(scope="module")
def data():
    X, y = load_iris(return_X_y=True)
    return X / X.max(axis=0), y


def _fitted(X, y, seed: int) -> hl.MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8,), max_iter=5, random_state=seed).fit(X, y)


def _module_proba(clf: hl.MLPClassifier, X) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(clf.network_(torch.as_tensor(X, dtype=torch.float32)), dim=1).numpy()


def test_predict_follows_a_users_own_training_loop(data) -> None:
    X, y = data
    clf = _fitted(X, y, 0)
    before = clf.predict_proba(X)  # the NumPy copies are made and used once
    opt = torch.optim.SGD(clf.network_.parameters(), lr=0.5)
    xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    for _ in range(30):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(clf.network_(xt), yt).backward()
        opt.step()
    after = clf.predict_proba(X)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, _module_proba(clf, X), rtol=1e-5, atol=1e-6)
    assert clf.score(X, y) == np.mean(after.argmax(axis=1) == y)


def test_predict_follows_load_state_dict_and_a_replaced_network(data) -> None:
    X, y = data
    clf, other = _fitted(X, y, 0), _fitted(X, y, 1)
    clf.predict(X)
    clf.network_.load_state_dict(other.network_.state_dict())
    np.testing.assert_allclose(clf.predict_proba(X), other.predict_proba(X), rtol=1e-6)
    third = _fitted(X, y, 2)
    clf.network_ = third.network_
    np.testing.assert_allclose(clf.predict_proba(X), third.predict_proba(X), rtol=1e-6)
    np.testing.assert_allclose(clf.coefs_[0], third.coefs_[0])


@pytest.mark.parametrize("spec", ["8", "8:relu:dropout=0.1"])  # the NumPy path and the PyTorch one
def test_set_params_dtype_after_fit_leaves_inference_to_the_fitted_network(data, spec: str) -> None:
    """scikit-learn's rule: a parameter set after fit is for the next fit. A float32 network told ``dtype='float64'``
    raised PyTorch's 'mat1 and mat2 must have the same dtype' from ``transform`` (and from ``predict`` with dropout)."""
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier(spec, max_iter=5, random_state=0).fit(X, y)
    proba, hidden = clf.predict_proba(X), clf.transform(X)
    clf.set_params(dtype="float64")
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    np.testing.assert_array_equal(clf.transform(X), hidden)
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)


def test_sparse_X_is_predicted_without_being_made_dense(data, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sparse X (HashingVectorizer's 2**16 columns: 2000 rows made a 1 GB dense copy, predict took 11 s against
    scikit-learn's 0.03 s) goes through scipy's sparse product on the NumPy path; the numbers are the dense X's."""
    import scipy.sparse as sp

    X, y = data
    X = np.where(X > 0.6, X, 0.0)  # a third of the cells zero
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8, 6), max_iter=5, random_state=0).fit(X, y)
        reg = hl.MLPRegressor(hidden_layer_sizes=(), max_iter=5, random_state=0).fit(X, y.astype(float))  # no hidden layer: the head alone
    dense_proba, dense_reg = clf.predict_proba(X), reg.predict(X)

    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise AssertionError("the sparse X was made dense")

    for cls in (sp.csr_matrix, sp.csc_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        np.testing.assert_allclose(clf.predict_proba(fmt(X)), dense_proba, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(reg.predict(fmt(X)), dense_reg, rtol=1e-5, atol=1e-6)
        assert clf.score(fmt(X), y) == np.mean(dense_proba.argmax(axis=1) == y)


def test_sparse_X_is_transformed_without_being_made_dense(data, monkeypatch: pytest.MonkeyPatch) -> None:
    """``transform`` of a sparse X (an MLP as a feature step after HashingVectorizer) made blocks of 8192 rows dense
    (8 GB at 2**18 columns); each hidden layer now comes from the sparse product, with the dense X's numbers."""
    import scipy.sparse as sp

    X, y = data
    X = np.where(X > 0.6, X, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8, 6), max_iter=5, random_state=0).fit(X, y)
    dense = [clf.transform(X, layer=k) for k in (1, 2)]
    for cls in (sp.csr_matrix, sp.csc_matrix):
        monkeypatch.setattr(cls, "toarray", lambda self, *a, **k: pytest.fail("the sparse X was made dense"))
    for k, want in zip((1, 2), dense):
        got = clf.transform(sp.csr_matrix(X), layer=k)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clf.transform(sp.csr_matrix(X)), dense[1], rtol=1e-5, atol=1e-6)  # layer=-1: the last
