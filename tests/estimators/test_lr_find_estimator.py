"""hl.lr_find on the MLP estimators: the estimator's own setup, never fitted, reproducible, and a suggestion that trains."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

import hiddenlayers as hl


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """sklearn's digits, standardised on the training part: (X_train, X_val, y_train, y_val)."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_va), y_tr, y_va


def test_the_suggestion_trains_better_than_a_tiny_rate(digits) -> None:
    X_tr, X_va, y_tr, y_va = digits
    found = hl.lr_find(hl.MLPClassifier((64,), solver="sgd", random_state=0), X_tr, y_tr)
    assert found.suggestion is not None and 1e-3 < found.suggestion < 5
    scores = {}
    for lr in (found.suggestion, 1e-5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 3 epochs do not converge
            clf = hl.MLPClassifier((64,), solver="sgd", learning_rate_init=lr, max_iter=3, random_state=0).fit(X_tr, y_tr)
        scores[lr] = clf.score(X_va, y_va)
    assert scores[found.suggestion] >= 0.9 and scores[found.suggestion] > scores[1e-5] + 0.3, scores


def test_the_estimator_is_never_fitted_or_changed(digits) -> None:
    X_tr, _, y_tr, _ = digits
    est = hl.MLPRegressor(hidden_layer_sizes=(8,), solver="adam", batch_size=64, random_state=1)
    before = est.get_params()
    found = hl.lr_find(est, X_tr[:300], y_tr[:300].astype(float), num_steps=30)
    assert len(found.lrs) <= 30
    assert not hasattr(est, "network_") and not hasattr(est, "n_outputs_") and est.get_params() == before


def test_reproducible_with_random_state(digits) -> None:
    X_tr, _, y_tr, _ = digits
    runs = [hl.lr_find(hl.MLPClassifier((16,), random_state=3), X_tr[:400], y_tr[:400], num_steps=25) for _ in range(2)]
    other = hl.lr_find(hl.MLPClassifier((16,), random_state=4), X_tr[:400], y_tr[:400], num_steps=25)
    assert runs[0] == runs[1]
    assert other.losses != runs[0].losses


def test_the_sweep_starts_from_the_weights_fit_starts_from(digits) -> None:
    X_tr, _, y_tr, _ = digits
    found = hl.lr_find(hl.MLPClassifier((16,), solver="sgd", batch_size=50, shuffle=False, alpha=0.0, random_state=0),
                       X_tr[:100], y_tr[:100], num_steps=2, start_lr=1e-7, end_lr=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16,), solver="sgd", batch_size=50, shuffle=False, alpha=0.0, learning_rate_init=1e-7, max_iter=1,
                               random_state=0).fit(X_tr[:100], y_tr[:100])
    # the first step's loss is at the initial weights; fit's first epoch averages two such batch losses at ~the same weights
    assert np.mean(found.losses) == pytest.approx(clf.loss_curve_[0], rel=1e-3)


def test_lbfgs_is_refused_in_one_line(digits) -> None:
    X_tr, _, y_tr, _ = digits
    with pytest.raises(ValueError, match="solver='lbfgs' has no learning rate to find"):
        hl.lr_find(hl.MLPClassifier(solver="lbfgs"), X_tr, y_tr)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), np.array([0, 1]), "NaN"),
        (np.zeros((0, 2)), np.zeros(0), "0 sample"),
        (np.zeros((3, 2)), np.array([0, 1]), "inconsistent numbers of samples"),
    ],
)
def test_bad_data_gets_the_estimators_usual_errors(X, y, message) -> None:
    with pytest.raises(ValueError, match=message):
        hl.lr_find(hl.MLPClassifier((4,)), X, y)


def test_bad_numbers_and_a_torch_module_are_refused_before_any_work() -> None:
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="end_lr must be greater than start_lr"):
        hl.lr_find(hl.MLPClassifier(), X, y, start_lr=1.0, end_lr=0.5)
    with pytest.raises(TypeError, match="hl.training.lr_find"):
        hl.lr_find(nn.Linear(2, 2), X, y)
    assert hl.lr_find is hl.estimators.lr_find


@pytest.fixture(scope="module")
def source(digits) -> hl.MLPClassifier:
    """A fitted (16, 8) network whose hidden layers the frozen sweeps start from."""
    X_tr, _, y_tr, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((16, 8), max_iter=3, random_state=0).fit(X_tr[:300], y_tr[:300])


def _layers_seen(monkeypatch: pytest.MonkeyPatch, est: hl.MLPClassifier, X: np.ndarray, y: np.ndarray) -> tuple[list, list, object]:
    """hl.lr_find(est, X, y) with hidden1's and hidden2's weights recorded before every step of the sweep; also the result."""
    import hiddenlayers.training._lr_find as module

    real = module.make_step
    seen: tuple[list, list] = ([], [])

    def recording(network, *args, **kwargs):
        stepper = real(network, *args, **kwargs)
        step = stepper.step

        def step_and_record(*a, **k):
            for layer, out in ((network.hidden1, seen[0]), (network.hidden2, seen[1])):
                out.append(next(layer.parameters()).detach().clone())
            return step(*a, **k)

        stepper.step = step_and_record
        return stepper

    monkeypatch.setattr(module, "make_step", recording)
    found = hl.lr_find(est, X, y, num_steps=12, start_lr=1e-3, end_lr=1.0, diverge=1e9)
    monkeypatch.undo()
    return seen[0], seen[1], found


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_frozen_layers_are_never_stepped_in_the_sweep(digits, source, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    X_tr, _, y_tr, _ = digits
    X, y = X_tr[:200], y_tr[:200]
    kw = {"hidden_layer_sizes": (16, 8), "solver": "sgd", "batch_size": 50, "init_from": source, "random_state": 0, "engine": engine}
    before = {k: v.clone() for k, v in source.network_.state_dict().items()}
    first, second, found = _layers_seen(monkeypatch, hl.MLPClassifier(freeze=1, **kw), X, y)
    w = next(source.network_.hidden1.parameters()).detach()
    assert len(first) == len(found.lrs) == 12
    assert all(torch.equal(a, w.to(a.dtype)) for a in first)  # the frozen layer: the source's weights at every step
    assert not torch.equal(second[0], second[-1])  # the layer above it trains
    moving, _, free = _layers_seen(monkeypatch, hl.MLPClassifier(**kw), X, y)
    assert not torch.equal(moving[0], moving[-1]) and free.losses != found.losses  # unfrozen, the same sweep moves it
    head_first, _, _ = _layers_seen(monkeypatch, hl.MLPClassifier(freeze="head_first", **kw), X, y)
    assert all(torch.equal(a, head_first[0]) for a in head_first)  # head_first: phase 1's sweep, the head alone
    assert all(torch.equal(before[k], v) for k, v in source.network_.state_dict().items())  # the source, bit for bit
    with pytest.raises(ValueError, match="freeze must be 0..2"):
        hl.lr_find(hl.MLPClassifier(freeze=3, **kw), X, y)


def test_clip_grad_norm_changes_the_sweep_at_high_rates(digits) -> None:
    X_tr, _, y_tr, _ = digits
    kw = {"hidden_layer_sizes": (16,), "solver": "sgd", "batch_size": 50, "random_state": 0}
    args = {"num_steps": 15, "start_lr": 1e-4, "end_lr": 10.0, "diverge": 1e9}
    plain = hl.lr_find(hl.MLPClassifier(**kw), X_tr[:200], y_tr[:200], **args)
    clipped = hl.lr_find(hl.MLPClassifier(clip_grad_norm=0.01, **kw), X_tr[:200], y_tr[:200], **args)
    assert clipped.losses[0] == plain.losses[0]  # the first loss is at the starting weights
    assert clipped.losses[-1] != pytest.approx(plain.losses[-1], rel=1e-3)


def _rows_trained(monkeypatch: pytest.MonkeyPatch, run: Any, module: Any, name: str) -> torch.Tensor:
    """The X tensor ``run()`` hands to ``module.name`` (fit's ``train`` or the sweep's ``lr_find``), captured."""
    seen: list[torch.Tensor] = []
    real = getattr(module, name)

    def spy(network: Any, X: Any, *args: Any, **kw: Any) -> Any:
        seen.append(X.clone())
        return real(network, X, *args, **kw)

    monkeypatch.setattr(module, name, spy)
    run()
    monkeypatch.undo()
    return seen[0]


@pytest.mark.parametrize("est", [hl.MLPClassifier, hl.MLPRegressor])
def test_with_early_stopping_the_sweep_runs_on_fits_training_rows_only(digits, monkeypatch: pytest.MonkeyPatch, est: Any) -> None:
    """fit holds out validation_fraction to score; the sweep leaves out exactly those rows (before: it swept every row)."""
    from hiddenlayers.estimators import _fit, _lr_find

    X_tr, _, y_tr, _ = digits
    X, y = X_tr[:300], y_tr[:300] if est is hl.MLPClassifier else y_tr[:300].astype(float)
    kw = {"hidden_layer_sizes": (8,), "early_stopping": True, "validation_fraction": 0.25, "max_iter": 1, "random_state": 5}
    swept = _rows_trained(monkeypatch, lambda: hl.lr_find(est(**kw), X, y, num_steps=5), _lr_find, "lr_find_module")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trained = _rows_trained(monkeypatch, lambda: est(**kw).fit(X, y), _fit, "train")
    assert swept.shape[0] == trained.shape[0] == 225
    assert torch.equal(swept, trained)  # the same rows, in the same order
    every = _rows_trained(monkeypatch, lambda: hl.lr_find(est(**{**kw, "early_stopping": False}), X, y, num_steps=5), _lr_find, "lr_find_module")
    assert every.shape[0] == 300  # without early stopping fit trains on every row, and so does the sweep


def test_rows_of_weight_zero_are_as_if_absent(digits) -> None:
    """Rows of sample_weight 0 took places in the early-stopping split and the batches (as fit no longer lets them):
    the sweep differed from the sweep without them. It is now that sweep, as fit is that fit."""
    X, y = digits[0][:300], digits[2][:300]
    rng = np.random.RandomState(0)
    w = rng.uniform(0.5, 2.0, len(y))
    at = np.sort(rng.choice(len(y) + 60, 60, replace=False))
    at -= np.arange(60)
    Xp, yp, wp = np.insert(X, at, 30.0 * rng.randn(60, X.shape[1]), axis=0), np.insert(y, at, rng.randint(0, 10, 60)), np.insert(w, at, 0.0)
    est = hl.MLPClassifier("16:batchnorm", solver="sgd", early_stopping=True, random_state=0)
    a = hl.lr_find(est, X, y, sample_weight=w, num_steps=30)
    b = hl.lr_find(est, Xp, yp, sample_weight=wp, num_steps=30)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-6)
    assert np.isfinite(a.losses).all()
