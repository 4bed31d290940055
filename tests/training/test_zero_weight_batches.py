"""A minibatch whose rows all have sample weight 0 makes no step (no 0/0), in every path that divides by a batch's weight.

The rule (``training/_batches.py``): the loss is a weighted mean per batch, and a batch of zero total weight
carries no information, so it is left out: no optimizer step (Adam's step count and moments unchanged), no
L2 term, nothing added to the epoch's loss; ``samples_seen`` still counts its rows (they were passed over).
A fit is then the fit on the same batches with the empty ones absent.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import hiddenlayers as hl
from hiddenlayers.training import lr_find, train
from hiddenlayers.training._engine import AutogradStep, DenseEngine
from hiddenlayers.training._losses import get_loss
from hiddenlayers.training._optim import FlatParams

B = 5  # rows per batch
KEPT = [1, 4, 9, 13]  # the batches (of 20) that hold a weight > 0


def _data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """100 rows in 20 batches of 5; only the batches ``KEPT`` have weights > 0 (some of their rows 0 too)."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(100, 4, generator=g, dtype=torch.float64)
    Y = F.one_hot((X[:, 0] > 0).long(), 2).double()
    w = torch.zeros(100, dtype=torch.float64)
    for b in KEPT:
        w[b * B : (b + 1) * B] = torch.rand(B, generator=g, dtype=torch.float64) * 2
    w[KEPT[0] * B] = 0.0  # a zero row inside a kept batch stays in its batch's mean, as before
    return X, Y, w


def _net(seed: int = 1) -> hl.Network:
    torch.manual_seed(seed)
    return hl.Network(4, "8", 2).double()


def _flat(net: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in net.parameters()])


@pytest.mark.parametrize("clip", [None, 10.0], ids=["folded_l2", "unfolded_l2"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_a_zero_weight_batch_is_a_fit_without_it(engine: str, solver: str, clip: float | None) -> None:
    X, Y, w = _data()
    rows = torch.cat([torch.arange(b * B, (b + 1) * B) for b in KEPT])
    kw: dict[str, Any] = {"loss": "log_loss", "alpha": 0.1, "batch_size": B, "shuffle": False, "max_epochs": 3, "solver": solver,
                          "engine": engine, "clip_grad_norm": clip, "learning_rate_init": 0.05}
    a, b = _net(), _net()
    ra = train(a, X, Y, sample_weight=w, **kw)
    rb = train(b, X[rows], Y[rows], sample_weight=w[rows], **kw)
    assert torch.isfinite(_flat(a)).all()
    np.testing.assert_allclose(_flat(a).numpy(), _flat(b).numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ra.history.train_loss, rb.history.train_loss, rtol=0, atol=1e-12)
    assert ra.steps == rb.steps == 3 * len(KEPT)
    sa, sb = ra.optimizer.state(), rb.optimizer.state()  # the step count and moments: no zero batch moved them
    assert sa["t"] == sb["t"]
    for k in sa:
        if isinstance(sa[k], torch.Tensor):
            np.testing.assert_allclose(sa[k].numpy(), sb[k].numpy(), rtol=0, atol=1e-12, err_msg=k)
    assert ra.samples_seen == rb.samples_seen == 3 * int((w > 0).sum())  # rows of weight 0 as if absent: not counted


def test_adam_state_is_untouched_by_a_run_of_zero_batches() -> None:
    X, Y, w = _data()
    res = train(_net(), X, Y, sample_weight=w, loss="log_loss", batch_size=B, shuffle=False, max_epochs=1)
    assert res.optimizer.t == len(KEPT)
    # a fit whose weighted rows come last: the first 16 batches move nothing, the state is that of the last 4 alone
    order = torch.cat([torch.nonzero(w == 0).flatten()[: 16 * B], torch.cat([torch.arange(b * B, (b + 1) * B) for b in KEPT])])
    late, only = _net(), _net()
    r_late = train(late, X[order], Y[order], sample_weight=w[order], loss="log_loss", batch_size=B, shuffle=False, max_epochs=1)
    tail = order[-len(KEPT) * B :]
    r_only = train(only, X[tail], Y[tail], sample_weight=w[tail], loss="log_loss", batch_size=B, shuffle=False, max_epochs=1)
    assert r_late.optimizer.t == r_only.optimizer.t == len(KEPT)
    assert torch.equal(_flat(late), _flat(only))


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_shuffled_epochs_with_many_empty_batches_train(engine: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    y = (X[:, 0] > 0).astype(int)
    w = np.zeros(100)
    w[rng.choice(100, 10, replace=False)] = 1.0
    res = train(_net(), X, F.one_hot(torch.as_tensor(y), 2).double(), sample_weight=w, loss="log_loss", batch_size=B,
                max_epochs=4, engine=engine, generator=torch.Generator().manual_seed(0))
    assert res.history.stop_reason == "max_epochs" and all(np.isfinite(res.history.train_loss))
    assert 4 <= res.steps <= 4 * 10  # at most one step per weighted row's batch


@pytest.mark.parametrize("network", ["dense", "normed"])
def test_mlp_classifier_with_ten_weighted_rows_in_a_hundred_fits(network: str) -> None:
    """The report: ``MLPClassifier(batch_size=5)`` with 10 non-zero weights among 100 rows (ZeroDivisionError / NaN before)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    y = (X[:, 0] > 0).astype(int)
    w = np.zeros(100)
    w[rng.choice(100, 10, replace=False)] = 1.0
    layers = (8,) if network == "dense" else "8:norm=layer"  # a norm forces autograd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        clf = hl.MLPClassifier(hidden_layer_sizes=layers, batch_size=5, max_iter=5, random_state=0).fit(X, y, sample_weight=w)
    assert np.isfinite(clf.loss_curve_).all() and clf.predict(X).shape == (100,)


def test_image_classifier_app_trains_with_empty_batches() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((40, 8, 8)).astype(np.float32)
    y = np.r_[np.zeros(20, dtype=int), np.ones(20, dtype=int)]
    w = np.zeros(40)
    w[[3, 25]] = 1.0
    clf = hl.ImageClassifier("conv4k3,8", max_iter=2, batch_size=4, random_state=0, early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        clf.fit(X, y, sample_weight=w)
    assert clf.stop_reason_ != "diverged" and np.isfinite(clf.loss_curve_).all()


@pytest.mark.parametrize("step", ["numpy", "torch", "autograd"])
def test_an_empty_batch_gives_a_zero_gradient_not_nan(step: str) -> None:
    """Under DDP a rank's empty share still steps: the engines give it a zero gradient, its L2 term included."""
    net = _net()
    flat = FlatParams(net)
    loss = get_loss("log_loss")
    stepper: Any = AutogradStep(net, loss, flat, alpha=0.1) if step == "autograd" else DenseEngine(net, loss, flat, 0.1, backend=step)
    X, Y, _ = _data()
    x, y, w = X[:B], Y[:B], torch.zeros(B, dtype=torch.float64)
    cv = stepper.convert
    value = stepper.step(cv(x), cv(y), cv(w))
    assert float(value) == 0.0 and torch.equal(flat.grad, torch.zeros_like(flat.grad))
    flat.release()


def test_lr_find_skips_empty_batches() -> None:
    X, Y, w = _data()
    res = lr_find(_net(), X, Y, loss="log_loss", sample_weight=w, batch_size=B, shuffle=False, num_steps=8)
    assert len(res.losses) == 8 and np.isfinite(res.losses).all()


@pytest.mark.parametrize("est", [hl.MLPClassifier, hl.MLPRegressor])
def test_an_early_stopping_split_with_a_weightless_side_is_refused_before_training(est: Any) -> None:
    """One weighted row: the rows of weight 0 are left out (estimators/_zero_weight), so one row is left to split: refused up
    front, in our words: what the split needs and the fix (was scikit-learn's train_test_split or stratification error)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    for row in range(40):
        w = np.zeros(40)
        w[row] = 1.0
        model = est(hidden_layer_sizes=(4,), max_iter=2, random_state=0, early_stopping=True)
        with pytest.raises(ValueError, match=r"^early_stopping=True holds out validation_fraction=0.1 of the rows to score each epoch "
                                             r"and needs at least 11 rows for it \(2 held out, 1 to train on\), and 1 row\(s\) have "
                                             r"sample_weight > 0 .*: give at least 11 rows a weight > 0, or pass early_stopping=False\.$") as err:
            model.fit(X, y, sample_weight=w)
        assert "\n" not in str(err.value)
        assert not hasattr(model, "loss_curve_")  # refused before any epoch


def _pf_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("est", [hl.MLPClassifier, hl.MLPRegressor])
@pytest.mark.parametrize("engine", ["auto", "autograd"])
def test_a_partial_fit_chunk_of_weight_zero_is_a_no_op(engine: str, est: Any) -> None:
    """As a zero-weight minibatch inside fit: no step, no L2, no loss entry; t_ does not count its rows, as they are as if
    absent (it did, 30 a call, so invscaling's rate depended on them); sklearn refuses the chunk."""
    X, y = _pf_data()
    kw: dict[str, Any] = {"hidden_layer_sizes": (6,), "random_state": 0, "engine": engine, "shuffle": False, "alpha": 0.1}
    first = {"classes": [0, 1]} if est is hl.MLPClassifier else {}
    zero = np.zeros(len(y))
    a = est(**kw).partial_fit(X, y, sample_weight=zero, **first)  # the first call: shapes (and classes) from the chunk, nothing trained
    assert a.n_iter_ == 0 and a.t_ == 0 and a.loss_curve_ == [] and np.isnan(a.loss_) and a.stop_reason_ == "partial_fit"
    assert a.predict(X).shape == (30,)
    if est is hl.MLPClassifier:
        assert list(a.classes_) == [0, 1]
    b = est(**kw).partial_fit(X, y, **first)  # the same run without the zero chunk
    a.partial_fit(X, y)
    state = {k: (v.clone() if isinstance(v, torch.Tensor) else v) for k, v in a._optimizer_state.items()}
    coefs, curve = [c.copy() for c in a.coefs_], list(a.loss_curve_)
    a.partial_fit(X, y, sample_weight=zero)  # a later zero chunk: weights, optimizer state and record untouched
    assert a.n_iter_ == 0 and a.t_ == 30 and a.loss_curve_ == curve
    assert all(np.array_equal(c, d) for c, d in zip(coefs, a.coefs_))
    for k, v in state.items():
        assert torch.equal(v, a._optimizer_state[k]) if isinstance(v, torch.Tensor) else v == a._optimizer_state[k], k
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    assert a.loss_curve_ == b.loss_curve_ and a.t_ == b.t_
    for c, d in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(c, d)  # the zero chunks changed nothing (constant rate: t_ does not move it)


def test_a_chunk_whose_class_weight_times_sample_weight_is_zero_is_a_no_op_and_fit_still_refuses_all_zero() -> None:
    X, y = _pf_data()
    clf = hl.MLPClassifier((6,), random_state=0, class_weight={0: 2.0, 1: 0.5}).partial_fit(X, y, classes=[0, 1], sample_weight=np.zeros(30))
    assert clf.n_iter_ == 0 and clf.t_ == 0
    with pytest.raises(ValueError, match="at least one non-zero"):
        hl.MLPClassifier((6,), random_state=0).fit(X, y, sample_weight=np.zeros(30))
    with pytest.raises(ValueError, match="must be >= 0"):
        hl.MLPClassifier((6,), random_state=0).partial_fit(X, y, classes=[0, 1], sample_weight=-np.ones(30))


def test_a_zero_weight_rows_values_change_nothing_in_a_batch_norm_network() -> None:
    """Inside a batch, rows of weight 0 are left out of the step (training/_loop._weighted_rows), as a streamed chunk's are:
    batch norm's batch and running statistics took them in, so their values (here 1e3 outliers) changed the fit. (A batch
    with one weighted row keeps its zero rows, as batch norm cannot train on one row: shuffled, that fit still runs.)"""
    X, Y, W = _data()
    W = W.clone()
    W[W > 0] = (1.0 + torch.arange(int((W > 0).sum())) % 3).double()  # weighted rows 1-3; the rest of KEPT's batches and the others 0
    other = X.clone()
    other[W == 0] = 1e3

    def fit(X_: torch.Tensor) -> dict[str, torch.Tensor]:
        torch.manual_seed(0)
        net = hl.Network(4, "8:batchnorm", 2).double()
        train(net, X_, Y, loss="log_loss", solver="adam", learning_rate_init=0.01, batch_size=B, max_epochs=3, sample_weight=W,
              shuffle=shuffle, generator=torch.Generator().manual_seed(0))
        return {k: v.clone() for k, v in net.state_dict().items()}

    shuffle = True
    assert all(torch.isfinite(v).all() for v in fit(X).values())  # batches of one weighted row among them
    shuffle = False  # KEPT's batches: 4 or 5 weighted rows each
    a, b = fit(X), fit(other)
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)
