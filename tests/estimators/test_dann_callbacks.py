"""``domain_adaptation="dann"`` calls the estimator's callbacks each epoch, as every other MLP fit does.

DANN's own loop (``training.train_dann``) called none: a ``CSVLogger`` wrote nothing and a callback's
``state.stop_training`` was ignored. It now gets ``train``'s hooks (through ``training.LoopHooks``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

import hiddenlayers as hl


def _wine() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_wine(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def _dann(**params: Any) -> hl.MLPClassifier:
    return hl.MLPClassifier(**{"hidden_layer_sizes": (8,), "random_state": 0, "domain_adaptation": "dann", "max_iter": 3, **params})


class _Stop(hl.Callback):
    def __init__(self) -> None:
        self.hooks: list[str] = []
        self.batches = 0

    def on_train_begin(self, **kwargs: Any) -> None:
        self.hooks.append("train_begin")

    def on_epoch_begin(self, **kwargs: Any) -> None:
        self.hooks.append(f"epoch_begin {kwargs['epoch']}")

    def on_batch_end(self, **kwargs: Any) -> None:
        self.batches += 1

    def on_epoch_end(self, **kwargs: Any) -> None:
        self.hooks.append(f"epoch_end {kwargs['logs']['epoch']}")
        assert set(kwargs["logs"]) == {"epoch", "train_loss", "val_loss", "val_score", "lr"}
        kwargs["state"].stop_training = kwargs["logs"]["epoch"] >= 2

    def on_train_end(self, **kwargs: Any) -> None:
        self.hooks.append(f"train_end {kwargs['history'].stop_reason}")


def test_csvlogger_logs_every_dann_epoch(tmp_path: Path) -> None:
    X, y = _wine()
    path = tmp_path / "dann.csv"
    est = _dann(callbacks=[hl.CSVLogger(path)]).fit(X, y, X_target=X[::-1].copy())
    logged = pd.read_csv(path, index_col="epoch")
    assert list(logged.index) == [1, 2, 3]
    pd.testing.assert_frame_equal(logged, est.history_.to_frame())


def test_a_callback_stops_dann_after_its_epoch_and_sees_every_hook() -> None:
    X, y = _wine()
    cb = _Stop()
    est = _dann(max_iter=5, batch_size=50, callbacks=[cb]).fit(X, y, X_target=X[::-1].copy())
    assert est.n_iter_ == 2 and est.stop_reason_ == "callback"
    assert cb.hooks == ["train_begin", "epoch_begin 1", "epoch_end 1", "epoch_begin 2", "epoch_end 2", "train_end callback"]
    assert cb.batches == 2 * 4  # 178 rows in batches of 50


def test_dann_refuses_bad_callbacks_in_the_mlps_words() -> None:
    X, y = _wine()
    est = _dann(callbacks=hl.CSVLogger("never.csv"))
    try:
        est.fit(X, y, X_target=X)
    except TypeError as exc:
        assert str(exc).startswith("callbacks must be a list of hl.Callback objects.")
    else:
        raise AssertionError("fit took a callback not in a list")
    assert not hasattr(est, "coefs_")


def test_ctrl_c_in_on_train_begin_stops_dann_as_ctrl_c_in_an_epoch_does() -> None:
    """A raw KeyboardInterrupt came out of DANN's fit when Ctrl-C hit a callback's on_train_begin; now the run stops
    'interrupted' with InterruptedWarning and the weights it began with (a warm fit's trained ones)."""
    X, y = _wine()

    class CtrlC(hl.Callback):
        armed = False

        def on_train_begin(self, **kwargs: Any) -> None:
            if self.armed:
                raise KeyboardInterrupt

    cb = CtrlC()
    est = _dann(warm_start=True, callbacks=[cb]).fit(X, y, X_target=X[::-1].copy())
    proba, epochs = est.predict_proba(X), len(est.history_)
    cb.armed = True
    with pytest.warns(hl.InterruptedWarning, match=r"^training interrupted by the user; restored the weights of epoch 3"):
        est.fit(X, y, X_target=X[::-1].copy())
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 0 and len(est.history_) == epochs
    np.testing.assert_array_equal(est.predict_proba(X), proba)
