"""fit on a SciPy sparse X: the NumPy engine multiplies the stored values (training/_sparse_first), never a dense copy.
The fit equals the fit on the same X made dense (float tolerance: only the products' summation order differs), and
learns hashed text as scikit-learn's MLP does."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.neural_network import MLPClassifier as SkMLP

import hiddenlayers as hl


def _sparse(n: int, d: int, per_row: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    X = sp.csr_matrix((rng.random(n * per_row), (rows, rng.integers(0, d, n * per_row))), shape=(n, d))
    X.sum_duplicates()
    return X


def _fit(est, X, y, **kw):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_sparse_fit_equals_dense_fit(solver: str) -> None:
    X = _sparse(300, 2000, 15, 0)
    y = (X @ np.random.default_rng(1).standard_normal(2000) > 0).astype(int)
    kw = dict(hidden_layer_sizes=(12, 6), solver=solver, max_iter=4, batch_size=64, alpha=1e-3, random_state=0, dtype="float64")
    a, b = _fit(hl.MLPClassifier(**kw), X, y), _fit(hl.MLPClassifier(**kw), X.toarray(), y)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(ca, cb, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)


def test_sparse_fit_with_zero_weights_and_float32_X_equals_dense() -> None:
    """Rows of weight 0 left out of a batch (CSR row mask), a float32 X fitted in float64, a regressor."""
    X = _sparse(200, 500, 10, 2).astype(np.float32)
    y = np.asarray(X.sum(axis=1)).ravel()
    w = np.random.default_rng(3).uniform(0.5, 2.0, 200)
    w[::7] = 0.0
    kw = dict(hidden_layer_sizes=(8,), max_iter=3, batch_size=50, random_state=0, dtype="float64")
    a = _fit(hl.MLPRegressor(**kw), X, y, sample_weight=w)
    b = _fit(hl.MLPRegressor(**kw), X.toarray(), y, sample_weight=w)
    for ca, cb in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(ca, cb, rtol=1e-6, atol=1e-9)


def test_sparse_fit_never_makes_X_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    """400 rows x 2**16 columns: one dense batch of 200 rows is 105 MB in float64 (the old path made one per step);
    the fit's NumPy allocations stay far below it, and nothing calls toarray/todense."""
    X = _sparse(400, 2**16, 20, 4)
    y = np.arange(400) % 2
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", lambda self, *a, **k: pytest.fail("the sparse X was made dense"))
        monkeypatch.setattr(cls, "todense", lambda self, *a, **k: pytest.fail("the sparse X was made dense"))
    est = hl.MLPClassifier((8,), max_iter=2, batch_size=200, random_state=0, dtype="float64")
    tracemalloc.start()
    try:
        _fit(est, X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB"


def _hashed_texts(n: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Three topics of 40 words each over 400 shared words; a text is 30 words, a third of them from its topic."""
    rng = np.random.default_rng(seed)
    common = [f"w{i}" for i in range(400)]
    topics = [[f"t{c}_{i}" for i in range(40)] for c in range(3)]
    y = rng.integers(0, 3, n)
    texts = [" ".join([*rng.choice(common, 20), *rng.choice(topics[c], 10)]) for c in y]
    return HashingVectorizer(n_features=2**12, alternate_sign=False).transform(texts), y


def test_hashed_text_learns_as_scikit_learn() -> None:
    X, y = _hashed_texts(600, 0)
    Xt, yt = _hashed_texts(300, 1)
    kw = dict(hidden_layer_sizes=(32,), max_iter=15, batch_size=100, random_state=0)
    ours = _fit(hl.MLPClassifier(**kw), X, y).score(Xt, yt)
    theirs = _fit(SkMLP(**kw), X, y).score(Xt, yt)
    assert ours > 0.9 and abs(ours - theirs) < 0.05, (ours, theirs)
