"""history_.val_loss: the held-out rows' loss each epoch (Keras' val_loss). It was NaN in every MLP fit, in memory and streamed,
so history_.to_frame()[["train_loss", "val_loss"]].plot() drew one line."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

import hiddenlayers as hl
from fit_helpers import linnerud_scaled
from hiddenlayers.data import ParquetSource


def _quiet(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits do not converge: not the point here
        return fit(*args, **kwargs)


@pytest.mark.parametrize("weighted", [False, True])
def test_val_loss_is_the_kept_models_log_loss_on_the_held_out_rows(weighted):
    X, y = load_digits(return_X_y=True)
    X_tr, X_val, y_tr, y_val = train_test_split(X / 16, y, random_state=0)
    w_val = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y_val)) if weighted else None
    clf = hl.MLPClassifier((16,), early_stopping=True, max_iter=15, random_state=0)
    _quiet(clf.fit, X_tr, y_tr, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    h = clf.history_
    assert len(h.val_loss) == len(h.train_loss) == 15 and np.isfinite(h.val_loss).all()
    kept = h.held_epoch - 1
    assert h.val_loss[kept] == pytest.approx(log_loss(y_val, clf.predict_proba(X_val), sample_weight=w_val), rel=1e-5)
    assert h.val_score[kept] == clf.best_validation_score_ == clf.score(X_val, y_val, sample_weight=w_val)
    assert h.val_loss[-1] < h.val_loss[0]  # it learns: the held-out loss falls


def test_a_regressors_val_loss_is_half_the_mean_squared_error_in_the_scaled_units_as_its_loss_curve():
    X, y = load_diabetes(return_X_y=True)
    reg = hl.MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, scale_target=True, max_iter=10, random_state=0, learning_rate_init=0.01)
    _quiet(reg.fit, X[:350], y[:350], X_val=X[350:], y_val=y[350:])
    kept = reg.history_.held_epoch - 1
    scaled_error = (reg.predict(X[350:]) - y[350:]) / reg.target_scale_
    assert reg.history_.val_loss[kept] == pytest.approx(0.5 * np.mean(scaled_error**2), rel=1e-4)


def test_a_several_output_regressors_val_loss_is_the_mean_over_rows_and_outputs_as_its_loss_curve():
    # scikit-learn's squared loss of several outputs is ½·mean over the rows and the outputs; val_loss was ½·Σ over them
    X, Y = linnerud_scaled()
    reg = hl.MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=10, random_state=0, learning_rate_init=0.01, dtype="float64")
    _quiet(reg.fit, X[:14], Y[:14], X_val=X[14:], y_val=Y[14:])
    kept = reg.history_.held_epoch - 1
    assert reg.history_.val_loss[kept] == pytest.approx(0.5 * np.mean((reg.predict(X[14:]) - Y[14:]) ** 2), rel=1e-9)


def test_the_split_drawn_from_X_records_its_val_loss_and_callbacks_see_it():
    X, y = load_digits(return_X_y=True)
    seen = []

    class Logs(hl.Callback):
        def on_epoch_end(self, *, logs, **kwargs):
            seen.append(logs["val_loss"])

    clf = hl.MLPClassifier((8,), early_stopping=True, max_iter=3, random_state=0, callbacks=[Logs()])
    _quiet(clf.fit, X / 16, y)
    assert np.isfinite(seen).all() and seen == clf.history_.val_loss


def test_a_streamed_fit_records_the_held_out_units_loss(tmp_path):
    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X / 16, columns=[f"p{i}" for i in range(64)]).assign(y=y)
    frame.to_parquet(tmp_path / "d.parquet", row_group_size=150)
    clf = hl.MLPClassifier((8,), early_stopping=True, max_iter=3, random_state=0, learning_rate_init=0.01)
    _quiet(clf.fit, ParquetSource(tmp_path / "d.parquet", target="y"))
    loss = clf.history_.val_loss
    assert len(loss) == 3 and np.isfinite(loss).all() and loss[2] < loss[0]
    # without held-out units there is nothing to score: NaN, as train_loss alone is recorded
    plain = _quiet(hl.MLPClassifier((8,), max_iter=1, random_state=0).fit, ParquetSource(tmp_path / "d.parquet", target="y"))
    assert np.isnan(plain.history_.val_loss).all()
