"""Linear CKA against known answers, both estimators."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
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
    assert np.isnan(cka(np.ones((5, 2)), np.random.default_rng(0).normal(size=(5, 2))))  # undefined (0/0), not 0


@pytest.mark.parametrize("n", [2, 3])
def test_biased_cka_on_fewer_than_four_rows_is_refused(n):
    """Centred, 2 rows are one line through the origin: biased CKA was exactly 1 for unrelated data (3 rows: nearly 1)."""
    A, B = np.random.default_rng(1).normal(size=(2, n, 8))
    with pytest.raises(ValueError, match=rf"^CKA needs at least 4 rows: on {n} it is 1 or nearly 1 whatever the data .*Received {n}: pass more rows\.$"):
        cka(A, B)
    assert cka(np.vstack([A, A]), np.vstack([B, A])) < 1.0  # 4 rows: a number again


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


def _gram_cka_unbiased(X: np.ndarray, Y: np.ndarray) -> float:
    """Reference: Song et al. (2012)'s unbiased HSIC on the Gram matrices, O(n²)."""

    def hsic(K: np.ndarray, L: np.ndarray) -> float:
        n = K.shape[0]
        K, L = K - np.diag(np.diag(K)), L - np.diag(np.diag(L))
        one = np.ones(n)
        return float((np.trace(K @ L) + (one @ K @ one) * (one @ L @ one) / ((n - 1) * (n - 2)) - 2 / (n - 2) * one @ K @ L @ one) / (n * (n - 3)))

    K, L = X @ X.T, Y @ Y.T
    return hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))


def test_unbiased_matches_the_gram_form_and_only_isotropic_maps_leave_cka_unchanged(rng):
    X = rng.normal(size=(40, 30))
    Y = X @ rng.normal(size=(30, 6)) + rng.normal(size=(40, 6))
    assert cka(X, Y, unbiased=True) == pytest.approx(_gram_cka_unbiased(X, Y), rel=1e-9)
    assert cka(X.astype(np.float32), Y.astype(np.float32)) == pytest.approx(cka(X.astype(np.float32).astype(np.float64), Y.astype(np.float32).astype(np.float64)), rel=1e-12)
    # an invertible but anisotropic map changes CKA (Kornblith et al.: CKA is not invariant to it)
    X2 = rng.normal(size=(200, 5))
    Y2 = X2[:, :1] + 0.1 * rng.normal(size=(200, 1))
    stretch = np.diag([0.1, 10.0, 10.0, 10.0, 10.0])
    assert cka(X2, Y2) > 0.15 and cka(X2 @ stretch, Y2) < 0.01


@pytest.mark.parametrize("unbiased", [False, True])
def test_large_offsets_and_extreme_scales_do_not_change_cka(rng, unbiased):
    X = rng.normal(size=(300, 8))
    Y = X @ rng.normal(size=(8, 4)) + rng.normal(size=(300, 4))
    base = cka(X, Y, unbiased=unbiased)
    assert 0.3 < base < 1.0
    # raw activations with a large mean and a small spread: the unbiased estimator used to cancel to 0
    assert cka(1e4 + 1e-3 * X, Y, unbiased=unbiased) == pytest.approx(base, rel=1e-6)
    for scale in (1e-90, 1e90):  # ‖YᵀX‖² used to underflow to "constant" (0.0) or overflow to NaN
        assert cka(scale * X, scale * Y, unbiased=unbiased) == pytest.approx(base, rel=1e-10)


@pytest.mark.parametrize("value", [0.1, 1 / 3, 123.456])
def test_a_constant_representation_has_no_cka(rng, value):
    X, Y = np.full((7, 2), value), rng.normal(size=(7, 3))
    # 0/0: NaN, never a number from the centring's rounding noise, and never 0 ("nothing in common")
    assert np.isnan(cka(X, Y)) and np.isnan(cka(X, Y, unbiased=True))
    assert np.isnan(cka(X, X)) and np.isnan(cka(X, X, unbiased=True))  # not even with itself: there is no geometry
    mixed = np.hstack([np.full((50, 2), value), rng.normal(size=(50, 3))])  # constant columns drop out
    Z = mixed[:, 2:] @ rng.normal(size=(3, 2)) + rng.normal(size=(50, 2))
    for unbiased in (False, True):
        assert cka(mixed, Z, unbiased=unbiased) == pytest.approx(cka(mixed[:, 2:], Z, unbiased=unbiased), rel=1e-12)


@pytest.mark.parametrize("args", [({},), ({}, {"b": np.eye(3)}), ({"a": np.eye(3)}, {})])
def test_cka_matrix_refuses_an_empty_dict_in_one_line(args) -> None:
    with pytest.raises(ValueError, match=r"cka_matrix needs [AB] as a non-empty dict") as info:
        cka_matrix(*args)
    assert "\n" not in str(info.value)


def test_cka_matrix_reads_a_recording_as_layer_similarity_does(rng) -> None:
    """record() returns a Recording, a mapping but not a dict: cka_matrix(record(m, X)) was refused as 'not a non-empty dict'."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    X = rng.normal(size=(40, 5)).astype(np.float32)
    rec = hl.lens.record(net, X)
    got = cka_matrix(rec)
    assert got.rows == got.cols == ["0", "1", "2"]
    np.testing.assert_allclose(got.matrix, layer_similarity(net, X).matrix, rtol=1e-12)
    np.testing.assert_allclose(got.matrix[0, 1], cka(rec["0"], rec["1"]), rtol=1e-12)
    half = cka_matrix(rec, {"in": X})  # a Recording against a plain dict
    assert half.matrix.shape == (3, 1) and half.matrix[0, 0] == pytest.approx(cka(rec["0"], X), rel=1e-12)
    with pytest.raises(ValueError, match=r"^cka_matrix needs A as a non-empty dict .* or a Recording"):
        cka_matrix([rec["0"]])


def test_a_dead_layer_is_nan_in_the_matrix_not_zero_and_its_diagonal_is_never_zero(rng) -> None:
    """A ReLU layer whose every unit is dead read CKA 0 with every layer, itself included, under "1 = the same geometry"."""
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        net[0].bias.fill_(-1000.0)  # every unit of the ReLU off on every row
    X = rng.normal(size=(80, 4)).astype(np.float32)
    sim = layer_similarity(net, X)
    assert sim.rows == ["0", "1", "2"]
    assert sim.matrix[0, 0] == pytest.approx(1.0)
    assert np.isnan(sim.matrix[1]).all() and np.isnan(sim.matrix[:, 1]).all()  # the dead ReLU: no CKA at all
    assert np.isnan(sim.matrix[2, 2])  # the head after it is constant too


def test_the_reports_heatmap_says_n_a_for_a_constant_layer_and_names_it(rng, monkeypatch) -> None:
    from hiddenlayers.lens import _plots

    drawn: list[np.ndarray] = []
    real = _plots.heatmap
    monkeypatch.setattr(_plots, "heatmap", lambda m, *a: drawn.append(m) or real(m, *a))
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        net[0].bias.fill_(-1000.0)
    rep = hl.lens.report(net, rng.normal(size=(80, 4)).astype(np.float32), sections=["similarity"])
    assert np.isnan(drawn[0][1, 1]) and drawn[0][0, 0] == pytest.approx(1.0)
    html = rep.html
    assert "n/a: 1, 2 do not vary on these rows (every unit dead or constant)" in html
