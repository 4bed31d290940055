"""Trimmed reconstruction loss (``apps/_trimmed.py``) and the Autoencoder's ``trim_fraction``.

The loss against a hand computation and autograd, the validation loss it pairs with,
the parameter's checks, get_params/clone and the model file, and that it learns
what it is for: fitted on rows with 10% anomalies, the trimmed autoencoder ranks
them far better than the plain one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from hiddenlayers import Autoencoder
from hiddenlayers.apps._fit import fit_squared_error
from hiddenlayers.apps._trimmed import kept_rows, trimmed_mean, trimmed_squared_error

TINY = np.random.default_rng(0).normal(size=(30, 3))


# ---------------------------------------------------------------- the loss
@pytest.mark.parametrize(("n", "fraction", "kept"), [(10, 0.0, 10), (10, 0.2, 8), (10, 0.25, 8), (7, 0.49, 4), (1, 0.4, 1), (2, 0.49, 2)])
def test_kept_rows(n: int, fraction: float, kept: int) -> None:
    assert kept_rows(n, fraction) == kept


def test_value_leaves_the_worst_rows_out_and_rescales() -> None:
    y = torch.zeros(5, 2, dtype=torch.float64)
    z = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [0.0, 0.5], [10.0, 10.0]], dtype=torch.float64)
    per = 0.5 * (z**2).sum(1)  # 0.5, 2, 4.5, 0.125, 100
    loss = trimmed_squared_error(0.4)  # 5 rows: the 2 largest (100, 4.5) go
    expected = float(per[[0, 1, 3]].sum()) * 5 / 3
    assert loss.value(z, y, None).item() == pytest.approx(expected)
    value, grad = loss.np_value_grad(z.numpy(), y.numpy(), None)
    assert value == pytest.approx(expected)
    np.testing.assert_allclose(grad, np.r_[[1.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]].reshape(5, 2) * z.numpy() * 5 / 3)


def test_autograd_gradient_matches_the_numpy_one() -> None:
    rng = np.random.default_rng(1)
    z = torch.tensor(rng.normal(size=(16, 3)), requires_grad=True)
    y = torch.tensor(rng.normal(size=(16, 3)))
    loss = trimmed_squared_error(0.25)
    loss.value(z, y, None).backward()
    value, grad = loss.np_value_grad(z.detach().numpy(), y.numpy(), None)
    assert z.grad is not None
    np.testing.assert_allclose(z.grad.numpy(), grad)
    assert value == pytest.approx(loss.value(z.detach(), y, None).item())
    assert int((np.abs(grad).sum(1) == 0).sum()) == 4  # the 4 worst of 16 rows get no gradient


def test_zero_fraction_is_the_plain_squared_error() -> None:
    z, y = torch.randn(9, 4, dtype=torch.float64), torch.randn(9, 4, dtype=torch.float64)
    assert trimmed_squared_error(0.0).value(z, y, None).item() == pytest.approx(0.5 * float(((z - y) ** 2).sum()))
    assert trimmed_mean(torch.tensor([1.0, 2.0, 3.0, 100.0]), 0.25) == pytest.approx(2.0)
    assert trimmed_mean(torch.tensor([1.0, 2.0, 3.0, 100.0]), 0.0) == pytest.approx(26.5)
    with pytest.raises(ValueError, match=r"fraction must lie in \[0, 1\)\. Received: fraction=1\.0\."):
        trimmed_squared_error(1.0)


def test_early_stopping_watches_the_trimmed_validation_loss() -> None:
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 3).double()
    X = torch.tensor(TINY)
    Xv = torch.tensor(np.random.default_rng(2).normal(size=(20, 3)))
    history = fit_squared_error(
        net, X, X, validation=(Xv, Xv), learning_rate_init=1e-3, batch_size=8, max_epochs=1, patience=5, tol=0.0, alpha=0.0,
        generator=torch.Generator().manual_seed(0), loss=trimmed_squared_error(0.2), val_trim=0.2,
    )
    with torch.no_grad():
        per = ((net(Xv) - Xv) ** 2).sum(1)
    assert history.val_loss[0] == pytest.approx(float(per.sort().values[:16].mean()))  # the 4 worst of 20 left out


# ------------------------------------------------------ the parameter
@settings(max_examples=30, deadline=None)
@given(st.one_of(st.floats(allow_nan=True), st.booleans(), st.text(max_size=5), st.none(), st.integers()))
def test_trim_fraction_outside_0_to_half_is_a_one_line_error(value: object) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value < 0.5
    if ok:
        return
    with pytest.raises(ValueError) as info:
        Autoencoder(trim_fraction=value).fit(TINY)  # type: ignore[arg-type]
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("trim_fraction must be a number in [0.0, 0.5)") and f"Received: trim_fraction={value!r}" in msg


@settings(max_examples=10, deadline=None)
@given(st.floats(0.0, 0.5, exclude_max=True))
def test_any_trim_fraction_in_range_fits(value: float) -> None:
    model = Autoencoder((4,), n_components=1, max_iter=2, trim_fraction=value, random_state=0).fit(TINY)
    assert model.trim_fraction == value and math.isfinite(model.loss_curve_[-1])


def test_get_params_clone_and_file_keep_trim_fraction(tmp_path: Path) -> None:
    model = Autoencoder((4,), n_components=1, max_iter=3, trim_fraction=0.2, random_state=0)
    assert model.get_params()["trim_fraction"] == 0.2
    assert clone(model).get_params() == model.get_params()
    assert Autoencoder().get_params()["trim_fraction"] == 0.0  # off by default: plain squared error
    model.fit(TINY)
    path = tmp_path / "ae.safetensors"
    model.save(path)
    again = Autoencoder.load(path)
    assert again.trim_fraction == 0.2
    np.testing.assert_array_equal(again.score_samples(TINY), model.score_samples(TINY))
    assert clone(again).set_params(max_iter=3).fit(TINY).get_params() == model.get_params()


# ------------------------------------------------------ what it is for
def _contaminated(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs on a 2-D plane in 8-D (900 rows) plus a tight cluster of 100 anomalies 6 units off the plane."""
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(2, 8))
    inliers = np.vstack([rng.normal(size=(450, 2)) + c for c in ([0, 0], [4, 4])]) @ mix + 0.05 * rng.normal(size=(900, 8))
    q, _ = np.linalg.qr(mix.T)  # (8, 2): the plane
    off = rng.normal(size=8)
    off -= q @ (q.T @ off)  # orthogonal to the plane
    anomalies = 6 * off / np.linalg.norm(off) + 0.3 * rng.normal(size=(100, 8))
    return np.vstack([inliers, anomalies]), np.r_[np.zeros(900), np.ones(100)]


def test_trimming_keeps_contaminating_anomalies_from_being_learned() -> None:
    X, y = _contaminated(0)
    plain, robust = [], []
    for seed in (0, 1):
        kw = dict(n_components=2, batch_size=64, max_iter=30, device="cpu", random_state=seed)
        plain.append(roc_auc_score(y, -Autoencoder((16,), **kw).fit(X).score_samples(X)))  # type: ignore[arg-type]
        robust.append(roc_auc_score(y, -Autoencoder((16,), trim_fraction=0.2, **kw).fit(X).score_samples(X)))  # type: ignore[arg-type]
    # measured (30 epochs; data seeds 0, 1, 2): plain 0.862/0.289, 0.450/1.000, 0.762/0.779 (it learns the anomaly cluster);
    # trimmed 1.000/1.000, 0.999/1.000, 0.995/0.985: min >= 0.985, gap >= 0.219 (60 epochs: gap >= 0.147; 20: 0.060 at data seed 2)
    assert min(robust) >= 0.97, robust
    assert np.mean(robust) - np.mean(plain) >= 0.05, (plain, robust)
