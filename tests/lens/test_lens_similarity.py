"""Linear CKA against known answers, both estimators."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ortho_group

import hiddenlayers as hl
from hiddenlayers.lens import cka, cka_matrix, layer_similarity


def _gram_cka(X: np.ndarray, Y: np.ndarray) -> float:
    """Reference: the Gram-matrix (HSIC) form, O(n²)."""
    n = X.shape[0]
    H = np.eye(n) - 1.0 / n
    K, L = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    return float((K * L).sum() / np.sqrt((K * K).sum() * (L * L).sum()))


@pytest.mark.parametrize("unbiased", [False, True])
def test_self_similarity_is_one(rng, unbiased):
    X = rng.normal(size=(100, 12))
    assert cka(X, X, unbiased=unbiased) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3), unbiased=st.booleans())
def test_invariant_to_orthogonal_transform_and_isotropic_scaling(seed, scale, unbiased):
    r = np.random.default_rng(seed)
    X = r.normal(size=(60, 8))
    Y = X @ r.normal(size=(8, 5)) + 0.5 * r.normal(size=(60, 5))
    Q = ortho_group.rvs(8, random_state=seed)
    base = cka(X, Y, unbiased=unbiased)
    assert cka(scale * X @ Q, Y, unbiased=unbiased) == pytest.approx(base, rel=1e-8, abs=1e-10)
    assert cka(X + 3.0, Y, unbiased=unbiased) == pytest.approx(base, rel=1e-8, abs=1e-10)  # centring


def test_biased_matches_gram_formula_and_noise_is_low(rng):
    X, Y = rng.normal(size=(80, 6)), rng.normal(size=(80, 4))
    assert cka(X, Y) == pytest.approx(_gram_cka(X, Y), rel=1e-10)
    A, B = rng.normal(size=(2000, 10)), rng.normal(size=(2000, 10))
    assert cka(A, B) < 0.03
    # few rows, many features: the biased estimator is inflated, the unbiased one is not
    A, B = rng.normal(size=(50, 200)), rng.normal(size=(50, 200))
    assert cka(A, B) > 0.5
    assert abs(cka(A, B, unbiased=True)) < 0.05


def test_errors():
    with pytest.raises(ValueError, match="same rows"):
        cka(np.zeros((5, 2)), np.zeros((6, 2)))
    with pytest.raises(ValueError, match="at least 4 rows"):
        cka(np.ones((3, 2)), np.ones((3, 2)), unbiased=True)
    with pytest.raises(ValueError, match="NaN or infinite"):
        cka(np.full((5, 2), np.nan), np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"\(n_rows, n_features\)"):
        cka(np.ones(5), np.ones(5))
    assert cka(np.ones((5, 2)), np.random.default_rng(0).normal(size=(5, 2))) == 0.0


def test_layer_similarity_one_model_two_models_two_datasets():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = hl.MLPClassifier((8, 8, 8), max_iter=20, random_state=0).fit(X, y)
        b = hl.MLPClassifier((8, 8, 8), max_iter=20, random_state=1).fit(X, y)
    one = layer_similarity(a, X)
    assert one.rows == one.cols == ["hidden1", "hidden2", "hidden3"]
    np.testing.assert_allclose(np.diag(one.matrix), 1.0)
    np.testing.assert_allclose(one.matrix, one.matrix.T)
    two = layer_similarity(a, X, other=b, unbiased=True)
    assert two.matrix.shape == (3, 3) and two.unbiased
    same = layer_similarity(a, X, X_other=X.copy())
    np.testing.assert_allclose(same.matrix, one.matrix, rtol=1e-6)
    with pytest.raises(ValueError, match="row for row"):
        layer_similarity(a, X, X_other=X[:10])
    m = cka_matrix({"a": X}, {"b": X, "c": X @ ortho_group.rvs(4, random_state=0)})
    np.testing.assert_allclose(m.matrix, [[1.0, 1.0]])
