"""lens.domain_shift: MMD² with a permutation test, proxy A-distance, per hidden layer."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.lens._shift import mmd2_permutation, proxy_a_distance


@pytest.fixture(scope="module")
def digits_model():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(y))
    X, y = X[perm], y[perm]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hl.MLPClassifier((32, 16), max_iter=40, random_state=0).fit(X[:900], y[:900])
    return model, X, y


def test_mmd2_matches_the_formula():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)) + 0.5
    Z = np.vstack([A, B])
    D = ((Z[:, None] - Z[None]) ** 2).sum(-1)
    K = np.exp(-D / np.median(D[~np.eye(9, dtype=bool)]))
    kss, ktt, kst = K[:5, :5], K[5:, 5:], K[:5, 5:]
    want = (kss.sum() - 5) / 20 + (ktt.sum() - 4) / 12 - 2 * kst.mean()
    got, p = mmd2_permutation(A, B, n_permutations=50, rng=np.random.default_rng(0))
    assert got == pytest.approx(want, rel=1e-10)
    assert 1 / 51 <= p <= 1.0


def test_false_alarms_match_the_level_and_shift_grows():
    rng = np.random.default_rng(2)
    p_values = [mmd2_permutation(rng.normal(size=(30, 4)), rng.normal(size=(30, 4)), n_permutations=99, rng=rng)[1] for _ in range(40)]
    rate = float(np.mean(np.array(p_values) < 0.05))
    assert rate <= 0.15  # level 0.05; 40 draws: 0.15 is ~3 standard errors above it
    A = rng.normal(size=(60, 4))
    mmds = [mmd2_permutation(A, rng.normal(size=(60, 4)) + s, n_permutations=20, rng=rng)[0] for s in (0.0, 0.5, 1.0, 2.0)]
    assert abs(mmds[0]) < 0.02 and mmds[0] < mmds[1] < mmds[2] < mmds[3]


def test_proxy_a_distance_is_near_0_or_2():
    rng = np.random.default_rng(3)
    same = proxy_a_distance(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)))
    apart = proxy_a_distance(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)) + 5)
    assert same < 0.5 and apart == pytest.approx(2.0)


def test_planted_shift_is_seen_from_the_first_layer(digits_model):
    model, X, y = digits_model
    quiet = hl.lens.domain_shift(model, X[:400], X[400:800], n_permutations=99, max_rows=400)
    assert [r.layer for r in quiet.rows] == ["hidden1", "hidden2"]
    assert quiet.shifted() == []
    Xt = X[900:1300].copy()
    Xt[:, 26:30] = Xt[:, 26:30] * 2.0 + 0.5  # a few input features scaled and offset
    loud = hl.lens.domain_shift(model, X[:400], Xt, y_target=y[900:1300], tuned=model, n_permutations=99, max_rows=400)
    assert loud.shifted() == ["hidden1", "hidden2"]
    assert loud.rows[0].mmd2 > 10 * max(quiet.rows[0].mmd2, 1e-4)
    assert loud.rows[0].a_distance > quiet.rows[0].a_distance
    assert all(r.cka_tuned == pytest.approx(1.0) for r in loud.rows)  # the "tuned" model is the source itself
    assert all(0.5 < r.target_probe <= 1.0 for r in loud.rows)
    sid, title, lead, body = loud.html_section()
    assert sid == "domain-shift" and "hidden1, hidden2" in body and "<table>" in body
    assert loud.html().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    "kw,msg",
    [
        ({"n_permutations": 0}, r"n_permutations must be an integer >= 1\. Received: n_permutations=0\."),
        ({"max_rows": 1}, r"max_rows must be None \(every row\) or an integer >= 2 \(MMD² and the domain probe need 2 rows per domain\)\."),
        ({"level": 1.5}, r"level must be in \(0, 1\)\."),
        ({"y_target": [0, 1]}, r"X_target has 50 rows but y_target has 2: pass one label per target row\."),
    ],
)
def test_bad_arguments(digits_model, kw, msg):
    model, X, _ = digits_model
    with pytest.raises(ValueError, match=msg):
        hl.lens.domain_shift(model, X[:50], X[50:100], **kw)


def test_freeze_curve_on_few_target_rows(digits_model):
    model, X, y = digits_model
    Xt, yt = X[1000:1090], y[1000:1090]  # 9 labelled rows per class
    curve = hl.lens.freeze_curve(model, Xt, yt, n_splits=2, params={"max_iter": 30})
    assert curve.ks == [0, 1, 2] and curve.layers == ["hidden1", "hidden2"] and curve.metric == "accuracy"
    assert len(curve.scores) == 3 and all(len(s) == 2 for s in curve.scores)
    assert curve.best_k == int(np.argmax(curve.mean))
    assert max(curve.mean) > curve.scratch_mean + 0.05  # the source's layers help on so few rows
    assert curve.to_dict()["best_k"] == curve.best_k
    assert "Freeze curve" == curve.html_section()[1]


def test_freeze_curve_needs_an_mlp(digits_model):
    _, X, y = digits_model
    with pytest.raises(TypeError, match="freeze_curve takes a fitted MLPClassifier or MLPRegressor. Received: MLPClassifier."):
        hl.lens.freeze_curve(hl.MLPClassifier(), X[:50], y[:50])


def test_null_p_values_are_uniform_and_use_the_plus_one_correction():
    """Two samples of one distribution: p-values ~ U(0, 1) (not merely "rarely small": a test that never
    rejects would pass that); a clear shift: p is exactly (0 + 1) / (n_permutations + 1), never 0."""
    from scipy.stats import kstest

    rng = np.random.default_rng(7)
    p = np.array([mmd2_permutation(rng.normal(size=(15, 3)), rng.normal(size=(15, 3)), n_permutations=99, rng=rng)[1] for _ in range(200)])
    assert kstest(p, "uniform").pvalue > 0.01
    assert 0.01 <= float(np.mean(p < 0.05)) <= 0.11 and 0.4 <= float(np.mean(p < 0.5)) <= 0.6
    assert set(np.round(p * 100).astype(int)) <= set(range(1, 101))  # (b + 1) / 100 with b in 0..99
    _, p_far = mmd2_permutation(rng.normal(size=(20, 3)), rng.normal(size=(20, 3)) + 10, n_permutations=49, rng=rng)
    assert p_far == 1 / 50


def test_proxy_a_distance_is_not_fooled_by_unequal_domain_sizes():
    """400 vs 40 rows of one distribution: "always source" errs on 9% of rows (A-distance 1.6); its balanced error is 0.5."""
    rng = np.random.default_rng(4)
    A = rng.normal(size=(400, 3))
    assert proxy_a_distance(A, rng.normal(size=(40, 3))) < 0.5
    assert proxy_a_distance(A, rng.normal(size=(40, 3)) + 5) == pytest.approx(2.0)
    # the formula: 2 (1 - 2 err) with err the held-out balanced error
    near = proxy_a_distance(A, rng.normal(size=(400, 3)) + 1.0)
    assert 0.8 < near < 1.4  # means √3 apart: Bayes error Φ(-√3 / 2) = 0.19, so at best 2 (1 - 2 · 0.19) = 1.23


def test_proxy_a_distance_is_cross_validated_so_the_seed_barely_moves_it():
    """Every row scored once over 5 stratified folds: the spread over split seeds is less than half a held-out half's (0.15)."""
    rng = np.random.default_rng(7)
    A, B = rng.normal(size=(100, 3)), rng.normal(size=(100, 3)) + np.array([0.6, 0.0, 0.0])
    moved = [proxy_a_distance(A, B, random_state=seed) for seed in range(30)]
    assert np.std(moved) < 0.1 and 0.2 < np.mean(moved) < 0.8
    same = [proxy_a_distance(A, rng.normal(size=(100, 3)), random_state=seed) for seed in range(30)]
    assert np.mean(same) < 0.2 and max(same) < 0.5  # one distribution: ~0 (floored; 100 rows each still leave sampling noise)
    apart = [proxy_a_distance(A, B + 10.0, random_state=seed) for seed in range(5)]
    assert apart == [2.0] * 5  # disjoint: 2 under every split


def test_proxy_a_distance_on_tiny_domains():
    rng = np.random.default_rng(0)
    assert proxy_a_distance(rng.normal(size=(2, 3)), rng.normal(size=(30, 3)) + 10.0) == 2.0  # 2 folds: each holds one source row
    with pytest.raises(ValueError, match=r"needs at least 2 rows per domain\. Received 1 source and 30 target rows\."):
        proxy_a_distance(rng.normal(size=(1, 3)), rng.normal(size=(30, 3)))


def test_many_identical_rows_do_not_blind_the_kernel():
    """Mostly all-zero rows (a ReLU layer dead on most inputs): the median squared distance is 0, and the kernel
    exp(-d / 0) used to be constant, so MMD² = 0 and p = 1 whatever the target did."""
    A, B = np.zeros((40, 2)), np.zeros((40, 2))
    B[:12] = 1.0  # 30% of the target rows fire
    mmd2, p = mmd2_permutation(A, B, n_permutations=199, rng=np.random.default_rng(0))
    assert mmd2 > 0.05 and p < 0.05
    assert mmd2_permutation(A, A.copy(), n_permutations=19, rng=np.random.default_rng(0)) == (0.0, 1.0)  # all equal: no shift


def test_cka_to_the_tuned_layer_reads_n_a_where_a_layer_does_not_vary() -> None:
    """CKA is NaN for a constant layer (0/0); the table and page say n/a, never "nan" or a 0 that reads "moved entirely"."""
    from hiddenlayers.lens import DomainShift, LayerShift

    row = LayerShift(layer="hidden1", units=4, mmd2=0.0, p_value=1.0, a_distance=0.0, dead_source=1.0, dead_target=1.0,
                     saturated_source=0.0, saturated_target=0.0, cka_tuned=float("nan"))
    shift = DomainShift([row], 10, 10, 20)
    assert shift._cells()[0][-1] == "n/a"
    assert "nan" not in shift.html_section()[3]
