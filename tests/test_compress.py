"""prune(): structural removal of hidden units, exact folding, accuracy kept within max_drop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import train_test_split

import hiddenlayers as hl
from hiddenlayers.rightsize._prune import _activations, interleaved_latency, prune, shrink, unit_scores


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


def test_unit_scores_dead_and_duplicate_units_rank_last() -> None:
    rng = np.random.default_rng(0)
    H = np.maximum(rng.standard_normal((500, 4)), 0)
    H[:, 1] = 0.0  # dead
    H[:, 3] = H[:, 0]  # duplicate of unit 0
    W = np.ones((3, 4))
    s = unit_scores(H, W)
    assert s[1] == 0.0 and s[3] == pytest.approx(0.0, abs=1e-6)
    assert s[0] > 0.1 and s[2] > 0.1


def test_shrink_folds_dead_constant_and_duplicate_units_exactly() -> None:
    X, y = load_iris(return_X_y=True)
    clf = _fit(hl.MLPClassifier((6, 5), max_iter=50, random_state=0, engine="autograd"), X, y)
    with torch.no_grad():
        lin = clf.network_.hidden1.linear
        lin.weight[0] = 0.0
        lin.bias[0] = -1.0  # relu(-1) = 0: dead
        lin.weight[1] = 0.0
        lin.bias[1] = 0.7  # constant 0.7: folds into the next bias
        lin.weight[2] = lin.weight[3]
        lin.bias[2] = lin.bias[3]  # duplicate of unit 3
    clf._cache_weights()
    H = _activations(clf, X)
    keep = [np.array([3, 4, 5]), np.arange(5)]
    small = shrink(clf, keep, H)
    assert small.hidden_layer_sizes == (3, 5)
    assert small.network_.hidden1.linear.weight.shape == (3, 4)
    assert small.network_.hidden2.linear.weight.shape == (5, 3)  # the next layer's inputs shrank too
    np.testing.assert_allclose(small.predict_proba(X), clf.predict_proba(X), atol=1e-4)
    assert clf.network_.hidden1.linear.weight.shape == (6, 4)  # the original is untouched


def test_prune_digits_removes_half_the_units_within_max_drop(digits, tmp_path) -> None:
    Xtr, Xte, ytr, yte = digits
    clf = _fit(hl.MLPClassifier((128, 64), max_iter=60, random_state=0), Xtr, ytr)
    before = clf.score(Xte, yte)
    small = prune(clf, Xtr, ytr, max_drop=0.005, fine_tune_epochs=5, search_steps=4, latency_calls=100, big_batch=512)
    r = small.prune_report_
    assert r.units_before == [128, 64]
    assert r.units_after == [layer.out_features for layer in small.network_.hidden_layers] == list(small.hidden_layer_sizes)
    assert r.score_after >= r.score_before - 0.005
    assert r.units_removed_fraction >= 0.5 and r.params_after < r.params_before
    assert small.score(Xte, yte) >= before - 0.02  # real held-out test set
    assert clf.network_.hidden1.out_features == 128
    assert r.latency_b1_before_us > 0 and r.latency_big_after_ms > 0 and r.tried
    assert r.latency_calls == 100 and r.latency_threads == 1
    # >= half the units gone: on a CPU the big batch, where the matrix products dominate, must be faster
    # (timed interleaved); on a GPU a net this small is bound by kernel launches, not arithmetic
    if small._device.type == "cpu":
        assert r.speedup_big > 1.0
    d = r.to_dict()
    assert d["units_removed_fraction"] == pytest.approx(r.units_removed_fraction)
    assert d["speedup_big"] == pytest.approx(r.speedup_big) and d["latency_big_before_ms"] == r.latency_big_before_ms
    small.save(tmp_path / "small.safetensors")  # a normal model: saves and loads
    again = hl.load(tmp_path / "small.safetensors")
    np.testing.assert_array_equal(again.predict(Xte), small.predict(Xte))


def test_prune_report_table_renders(digits) -> None:
    from rich.console import Console

    Xtr, _, ytr, _ = digits
    clf = _fit(hl.MLPClassifier((16,), max_iter=20, random_state=0, engine="autograd"), Xtr, ytr)
    small = prune(clf, Xtr, ytr, max_drop=0.5, fine_tune_epochs=0, search_steps=1, latency_calls=20, big_batch=64)
    console = Console(width=120, record=True)
    console.print(small.prune_report_)
    assert "hidden units" in console.export_text()


def test_interleaved_latency_times_every_model_at_both_batch_sizes(digits) -> None:
    Xtr, _, ytr, _ = digits
    wide = _fit(hl.MLPClassifier((256, 256), max_iter=2, random_state=0), Xtr, ytr)
    narrow = _fit(hl.MLPClassifier((8,), max_iter=2, random_state=0), Xtr, ytr)
    (b1_w, big_w), (b1_n, big_n) = interleaved_latency([wide, narrow], Xtr, big_batch=1024, calls=200, rounds=4)
    assert 0 < b1_n and 0 < b1_w and 0 < big_n < big_w  # ~70x fewer FLOPs per row: clearly faster at a big batch


def test_latency_can_be_skipped(digits) -> None:
    Xtr, _, ytr, _ = digits
    clf = _fit(hl.MLPClassifier((16,), max_iter=5, random_state=0), Xtr, ytr)
    r = prune(clf, Xtr, ytr, max_drop=0.5, fine_tune_epochs=0, search_steps=1, latency_calls=0).prune_report_
    assert np.isnan(r.latency_b1_after_us) and np.isnan(r.speedup_b1) and r.latency_calls == 0


def test_errors(digits) -> None:
    Xtr, _, ytr, _ = digits
    with pytest.raises(hl.NotFittedError, match=r"prune\(\) needs a fitted model"):
        prune(hl.MLPClassifier(), Xtr, ytr)
    with pytest.raises(TypeError, match=r"prune\(\) takes a fitted MLPClassifier or MLPRegressor. Received: list"):
        prune([], Xtr, ytr)
    clf = _fit(hl.MLPClassifier((4,), max_iter=2, random_state=0, engine="autograd"), Xtr, ytr)
    with pytest.raises(ValueError, match="max_drop must be a score drop in \\[0, 1\\)"):
        prune(clf, Xtr, ytr, max_drop=5)
    with pytest.raises(ValueError, match="X has 3 features but the model reads 64"):
        prune(clf, Xtr[:, :3], ytr)
    with pytest.raises(ValueError, match="X and y have different numbers of rows"):
        prune(clf, Xtr, ytr[:5])
    with pytest.raises(ValueError, match="latency_calls must be an integer >= 0. Received: latency_calls=-1"):
        prune(clf, Xtr, ytr, latency_calls=-1)
    with pytest.raises(ValueError, match="big_batch must be an integer >= 1. Received: big_batch=0"):
        prune(clf, Xtr, ytr, big_batch=0)
    with pytest.raises(ValueError, match="latency_threads must be a number of BLAS threads >= 1, or None"):
        prune(clf, Xtr, ytr, latency_threads=0)


def test_prune_refuses_non_dense_layers(digits) -> None:
    from hiddenlayers.network._network import Network

    Xtr, _, ytr, _ = digits
    clf = _fit(hl.MLPClassifier((4,), max_iter=2, random_state=0, engine="autograd"), Xtr, ytr)
    clf.network_ = Network((1, 8, 8), "conv2k3,4", 10)
    with pytest.raises(ValueError, match="prune\\(\\) removes units of dense hidden layers on table inputs only; this network has ConvLayer"):
        prune(clf, Xtr, ytr)
