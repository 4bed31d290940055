"""``callbacks=[...]`` on every application trained by epochs, with the MLP estimators' semantics.

Each application (those ``training.train`` runs and the Recommender's and Translator's own loops) calls the
user's ``hl.Callback`` hooks in the MLP estimators' order with their ``logs`` keys, honours
``state.stop_training`` (``stop_reason_ == "callback"``), refuses a bad value in fit in their words,
clones and saves with the parameter, and ``hl.CSVLogger`` writes exactly ``history_.to_frame()``.
(DQNAgent has no epochs and no ``History``: it takes no callbacks.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from sklearn.base import clone
from torch import nn

import hiddenlayers as hl
from app_cases import EPOCH_APPS, app_case

LOG_KEYS = {"epoch", "train_loss", "val_loss", "val_score", "lr"}


class Recorder(hl.Callback):
    """Writes down each hook it gets (and the logs of each epoch's end); ``stop_at``: the epoch at whose end it asks to stop."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.calls: list[str] = []
        self.logs: list[dict[str, Any]] = []
        self.batches = 0
        self.networks: set[int] = set()

    def _note(self, hook: str, kwargs: dict[str, Any]) -> None:
        assert isinstance(kwargs["network"], nn.Module) and isinstance(kwargs["history"], hl.History)
        self.networks.add(id(kwargs["network"]))
        self.calls.append(hook)

    def on_train_begin(self, **kwargs: Any) -> None:
        self._note("train_begin", kwargs)

    def on_epoch_begin(self, **kwargs: Any) -> None:
        self._note("epoch_begin", kwargs)
        assert kwargs["epoch"] == kwargs["state"].epoch

    def on_batch_end(self, **kwargs: Any) -> None:
        self.batches += 1
        assert float(kwargs["batch_loss"]) >= 0

    def on_epoch_end(self, **kwargs: Any) -> None:
        self._note("epoch_end", kwargs)
        self.logs.append(dict(kwargs["logs"]))
        if self.stop_at is not None and kwargs["logs"]["epoch"] >= self.stop_at:
            kwargs["state"].stop_training = True

    def on_train_end(self, **kwargs: Any) -> None:
        self._note("train_end", kwargs)


@pytest.mark.parametrize("app", EPOCH_APPS)
def test_bad_callbacks_are_refused_by_fit_in_the_mlps_words(app: str) -> None:
    cb = hl.CSVLogger("unused.csv")
    model, args = app_case(app, callbacks=cb)
    with pytest.raises(TypeError, match=r"^callbacks must be a list of hl.Callback objects\. Received: .*wrap one in a list: callbacks=\[cb\]\.$"):
        model.fit(*args)
    assert not hasattr(model, "history_")
    model.set_params(callbacks=[cb, "log.csv"])
    with pytest.raises(TypeError, match=r"^callbacks\[1\] is 'log.csv', not an hl.Callback: subclass hiddenlayers.Callback"):
        model.fit(*args)
    mlp = hl.MLPClassifier(callbacks=cb)
    with pytest.raises(TypeError) as mlp_error:
        mlp.fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(TypeError) as app_error:
        model.set_params(callbacks=cb).fit(*args)
    assert str(app_error.value) == str(mlp_error.value)


@pytest.mark.parametrize("app", ["image", "recommender", "translator"])
def test_get_params_clone_set_params_and_save_keep_the_parameter(app: str, tmp_path: Path) -> None:
    rec = Recorder()
    model, args = app_case(app, max_iter=1, callbacks=[rec])
    assert model.get_params()["callbacks"] == [rec]
    copy = clone(model)
    assert len(copy.callbacks) == 1 and isinstance(copy.callbacks[0], Recorder) and copy.callbacks[0] is not rec
    assert model.set_params(callbacks=None).callbacks is None
    model.set_params(callbacks=[rec]).fit(*args)
    model.save(tmp_path / "m.safetensors")  # the live callbacks are not stored
    loaded = type(model).load(tmp_path / "m.safetensors")
    assert loaded.callbacks is None


def test_the_parameter_is_documented_on_every_app() -> None:
    for app in EPOCH_APPS:
        model, _ = app_case(app)
        assert "callbacks : list of Callback or None, default=None" in type(model).__doc__


def _weights(model: Any) -> list[Any]:
    net = model.model_ if hasattr(model, "model_") else model.network_
    return [t.detach().clone() for t in net.state_dict().values()]


@pytest.mark.parametrize("app", EPOCH_APPS)
def test_callbacks_get_the_mlps_hooks_and_a_stop_keeps_what_a_fit_of_that_many_epochs_keeps(app: str, tmp_path: Path) -> None:
    """Two epochs with a CSVLogger and a recorder: the log is ``history_.to_frame()`` and the hooks come in the MLPs'
    order with their logs. Stopped by a callback after epoch 2 of 5, the model is the one those two epochs gave (the same
    rule picks the weights kept: the best held-out epoch's with early stopping, else the last), its history that fit's
    but for the stop reason."""
    path, rec = tmp_path / "log.csv", Recorder()
    two, args = app_case(app, max_iter=2, callbacks=[hl.CSVLogger(path), rec])
    two.fit(*args)
    assert two.n_iter_ == 2 and two.stop_reason_ != "callback"
    pd.testing.assert_frame_equal(pd.read_csv(path, index_col="epoch"), two.history_.to_frame())
    assert rec.calls == ["train_begin", "epoch_begin", "epoch_end", "epoch_begin", "epoch_end", "train_end"]
    assert [set(logs) for logs in rec.logs] == [LOG_KEYS, LOG_KEYS]
    h = two.history_
    for i, logs in enumerate(rec.logs):
        assert logs["epoch"] == h.epoch[i] and logs["train_loss"] == h.train_loss[i] and logs["lr"] == h.lr[i]
        assert logs["val_score"] == h.val_score[i] or (logs["val_score"] != logs["val_score"] and h.val_score[i] != h.val_score[i])
    assert rec.batches >= 2 and len(rec.networks) == 1

    stopped, _ = app_case(app, max_iter=5, callbacks=[Recorder(stop_at=2)])
    stopped.fit(*args)
    assert stopped.n_iter_ == 2 and stopped.history_.epoch == [1, 2] and stopped.stop_reason_ == "callback"
    assert stopped.history_.held_epoch == two.history_.held_epoch and stopped.history_.train_loss == two.history_.train_loss
    for a, b in zip(_weights(stopped), _weights(two), strict=True):  # float32 rounding apart (the Autoencoder's: 1e-9)
        assert torch.allclose(a.float(), b.float(), rtol=1e-5, atol=1e-7)


class _CtrlCAtBegin(hl.Callback):
    def on_train_begin(self, **kwargs: Any) -> None:
        raise KeyboardInterrupt


@pytest.mark.parametrize("app", EPOCH_APPS)
def test_ctrl_c_in_on_train_begin_stops_the_fit_as_ctrl_c_in_an_epoch_does(app: str) -> None:
    """Ctrl-C while a callback's on_train_begin runs came through as a raw KeyboardInterrupt (the Recommender's and
    Translator's own loops and training.train alike); now it is a Ctrl-C before the first step: InterruptedWarning, the
    run's start kept, stop_reason_ 'interrupted', as the MLPs do."""
    model, args = app_case(app, max_iter=2, callbacks=[_CtrlCAtBegin()])
    with pytest.warns(hl.InterruptedWarning, match=r"^training interrupted by the user; restored the weights of the start of this run\.$"):
        model.fit(*args)
    assert model.stop_reason_ == "interrupted" and model.n_iter_ == 0
