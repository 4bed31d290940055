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


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
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


@pytest.mark.parametrize(("solver", "n", "width", "units"), [("adam", 400, 2**16, 8), ("lbfgs", 4000, 2**12, 4)])
def test_sparse_fit_never_makes_X_dense(monkeypatch: pytest.MonkeyPatch, solver: str, n: int, width: int, units: int) -> None:
    """adam: 400 rows x 2**16 columns, one dense batch of 200 rows is 105 MB in float64 (the old path made one per step).
    lbfgs: 4000 x 2**12, all of X dense is 131 MB (it was made so; 210 GB for 200,000 hashed rows of 2**18), where
    scikit-learn's L-BFGS multiplies the sparse X as it is. The fit's NumPy allocations stay far below it, and nothing
    calls toarray/todense."""
    X = _sparse(n, width, 20 if solver == "adam" else 10, 4)
    y = np.arange(n) % 2
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", lambda self, *a, **k: pytest.fail("the sparse X was made dense"))
        monkeypatch.setattr(cls, "todense", lambda self, *a, **k: pytest.fail("the sparse X was made dense"))
    est = hl.MLPClassifier((units,), solver=solver, max_iter=2, batch_size=200, random_state=0, dtype="float64")
    _fit(est, X[:50], y[:50])  # the first fit's lazy imports, outside the measure
    tracemalloc.start()
    try:
        _fit(est, X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB"


def _wide(n: int, d: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """``n`` rows of ``d`` columns, one stored value each: a few MB stored, n·d·4 bytes dense."""
    rng = np.random.default_rng(6)
    X = sp.csr_matrix((np.ones(n), (np.arange(n), rng.integers(0, d, n))), shape=(n, d))
    return X, np.arange(n) % 2


@pytest.mark.parametrize("how", ["autograd lbfgs", "dann"])
def test_a_step_that_needs_all_of_a_huge_sparse_X_dense_is_refused_with_its_size(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2**16 rows x 2**15 columns is 8 GiB of float32 dense: L-BFGS through PyTorch (a dropout layer) and DANN made it so silently
    X, y = _wide(2**16, 2**15)
    monkeypatch.setattr(sp.csr_matrix, "toarray", lambda self, *a, **k: pytest.fail("the sparse X was made dense"))
    if how == "dann":
        est = hl.MLPClassifier((4,), max_iter=1, random_state=0, domain_adaptation="dann")
        call = lambda: est.fit(X, y, X_target=np.zeros((5, 2**15)))  # noqa: E731
        why, fix = "domain_adaptation='dann'", "TruncatedSVD"
    else:
        est = hl.MLPClassifier("4:relu:dropout=0.1", solver="lbfgs", max_iter=1, random_state=0)
        call = lambda: est.fit(X, y)  # noqa: E731
        why, fix = "solver='lbfgs'", "use solver='adam' or 'sgd'"
    with pytest.raises(hl.DataError, match=r"^X is a sparse matrix of 65,536 x 32,768 with 65,536 stored values; "
                                           rf"{why}.* needs it dense, 8\.0 GiB of float32 \(more than 2 GiB\): .*{fix}"):
        call()


def test_predicting_a_wide_sparse_X_through_pytorch_bounds_each_dense_block() -> None:
    """A network predicted through PyTorch (a GPU's, or one NumPy does not run) made blocks of 8192 rows dense: 8 GB for
    2**18 hashed columns. Each block now stays within 256 MB, and the answers are the NumPy path's."""
    from hiddenlayers.estimators import _predict

    X, y = _wide(300, 2**20)  # 2**28 bytes hold 64 float32 rows of 2**20 columns
    est = _fit(hl.MLPClassifier((4,), max_iter=1, random_state=0), X, y)
    seen: list[int] = []
    real = _predict.to_tensor

    def spy(a, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(a.shape[0])
        return real(a, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_predict, "to_tensor", spy)
        raw = _predict.torch_forward(est, X)[0]
    assert seen == [64, 64, 64, 64, 44]
    np.testing.assert_allclose(raw, _predict.numpy_forward(est, X), rtol=1e-5, atol=1e-6)


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
