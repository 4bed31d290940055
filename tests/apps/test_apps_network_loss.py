"""network_targets / network_loss of Autoencoder, Forecaster and Recommender: exactly the data term each fit minimises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

import hiddenlayers as hl
from hiddenlayers.exceptions import DataError


def _loss(model, Xp, targets) -> float:
    """Mean of ``model.network_loss`` over the rows, run on ``network_`` in eval mode."""
    net = model.network_
    net.eval()
    with torch.no_grad():
        z = net(torch.as_tensor(Xp))
        return float(model.network_loss(z, torch.as_tensor(targets, dtype=z.dtype))) / len(targets)


@pytest.fixture(scope="module")
def rows():
    return np.random.default_rng(0).normal(size=(120, 5)) * [1.0, 3.0, 0.5, 2.0, 1.0] + 4.0


@pytest.mark.parametrize("trim", [0.0, 0.25])
def test_autoencoder_loss_is_half_squared_error_of_standardised_rows(rows, trim):
    ae = hl.Autoencoder((8,), n_components=2, max_iter=3, early_stopping=False, trim_fraction=trim, random_state=0, device="cpu").fit(rows)
    T = ae.network_targets(rows)
    Z = (rows - rows.mean(0)) / rows.std(0)
    np.testing.assert_allclose(T, Z)
    R = (ae.inverse_transform(ae.transform(rows)) - rows.mean(0)) / rows.std(0)
    per = 0.5 * ((R - Z) ** 2).sum(1)
    kept = np.sort(per)[: len(per) - int(np.floor(trim * len(per)))]  # fit's trimmed objective on one batch: mean over kept rows
    assert _loss(ae, ae.network_input(rows), T) == pytest.approx(kept.mean(), rel=1e-5)
    with pytest.raises(DataError, match="features"):
        ae.network_targets(rows[:, :3])


def test_forecaster_targets_follow_each_window_and_loss_is_half_squared_error():
    s = np.sin(np.arange(80) / 4.0) * 3 + np.arange(80) * 0.05
    for target in ("level", "delta"):
        f = hl.Forecaster(window=6, horizon=2, hidden_layer_sizes=(8,), max_iter=3, target=target, random_state=0, device="cpu").fit(s)
        Y = f.network_targets(s)
        Xp = f.network_input(s)
        assert Y.shape == (80 - 6 - 2 + 1, 2) and len(Xp) == 80 - 6 + 1
        truth = sliding_window_view(s[6:], 2)  # the 2 values after each window, in series units
        P = f.predict(s)[: len(Y)]
        expected = 0.5 * (((P - truth) / f.scale_) ** 2).sum(1).mean()  # standardized units, as fit trains
        assert _loss(f, Xp[: len(Y)], Y) == pytest.approx(expected, rel=1e-4)
    with pytest.raises(DataError, match="window \\+ horizon = 8"):
        f.network_targets(s[:7])


def test_recommender_loss_is_mean_squared_rating_error():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"user": rng.integers(0, 12, 200), "item": rng.integers(0, 9, 200)})
    r = rng.integers(1, 6, 200).astype(float)
    rec = hl.Recommender(max_iter=2, random_state=0, device="cpu").fit(X, r)
    Y = rec.network_targets(r)
    assert Y.shape == (200, 1)
    assert _loss(rec, rec.network_input(X), Y) == pytest.approx(((rec.predict(X) - r) ** 2).mean(), rel=1e-5)
    with pytest.raises(DataError, match="numeric ratings"):
        rec.network_targets(["a", "b"])
