"""Autoencoder.fit(X, X_val=...): early stopping scores the user's own rows (standardized as X is) instead of a split of X."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

import hiddenlayers as hl
from hiddenlayers.exceptions import DataError


def _data() -> tuple[np.ndarray, np.ndarray]:
    X, _ = load_breast_cancer(return_X_y=True)
    return X[:450], X[450:]  # a fixed later block


def _ae(**kw: object) -> hl.Autoencoder:
    return hl.Autoencoder(**{"hidden_layer_sizes": (16,), "n_components": 4, "max_iter": 8, "n_iter_no_change": 100, "random_state": 0, **kw})


def test_val_loss_is_the_given_rows_reconstruction_error() -> None:
    X, Xv = _data()
    ae = _ae().fit(X, X_val=Xv)
    assert len(ae.history_.val_loss) == ae.n_iter_ == 8
    # the kept weights are the best epoch's on X_val: its loss there is X_val's error (per row, summed over the 30 columns)
    assert min(ae.history_.val_loss) == pytest.approx(ae.reconstruction_error(Xv).mean() * X.shape[1], rel=1e-5)
    shorter = _ae(max_iter=3).fit(X, X_val=Xv)
    assert shorter.history_.val_loss == pytest.approx(ae.history_.val_loss[:3], rel=1e-6)
    np.testing.assert_allclose(ae.mean_, X.mean(0))  # the scaling is X's, never X_val's


def test_refusals() -> None:
    X, Xv = _data()
    with pytest.raises(ValueError, match="X_val is passed to fit while early_stopping=False"):
        _ae(early_stopping=False).fit(X, X_val=Xv)
    bad = Xv.copy()
    bad[0, 0] = np.nan
    with pytest.raises(DataError, match="^X_val contains NaN or infinity in 1 of 119 rows"):  # it read 'X_val: X contains'
        _ae().fit(X, X_val=bad)
    with pytest.raises(DataError, match=r"^X_val must be 2-D \(n_samples, n_features\)\. Received shape \(119, 5, 6\)"):
        _ae().fit(X, X_val=Xv.reshape(119, 5, 6))
    with pytest.raises(DataError, match="^X_val has non-numeric values"):  # it read 'X_val: X_val has'
        _ae().fit(X, X_val=np.where(Xv > 0, "a", "b"))
    far = Xv.copy()
    far[4, 2] = 1e39 * X[:, 2].std()  # infinite once standardized in float32: early stopping's validation loss was NaN
    with pytest.raises(DataError, match=r"^X_val row 4, column 2 holds .* beyond float32's range"):
        _ae().fit(X, X_val=far)
    with pytest.raises(DataError, match="X_val has 29 columns and X 30"):
        _ae().fit(X, X_val=Xv[:, 1:])
    cols = [f"c{i}" for i in range(30)]
    with pytest.raises(DataError, match="are not X's"):
        _ae().fit(pd.DataFrame(X, columns=cols), X_val=pd.DataFrame(Xv, columns=cols[::-1]))
    with pytest.raises(DataError, match="X_val has 1 row"):
        _ae().fit(X, X_val=Xv[:1])
    with pytest.raises(DataError, match=r"^X_val has 0 row\(s\): early stopping scores at least 2"):  # it was 'Found array with 0 sample(s)'
        _ae().fit(X, X_val=Xv[:0])
