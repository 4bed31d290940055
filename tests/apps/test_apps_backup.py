"""``hl.BackupAndRestore`` in the applications' ``callbacks``.

The apps that ``training.train`` runs (Image, Sequence and Text classifiers share one path; the SpeechRecognizer; the
Autoencoder and Forecaster share ``fit_squared_error``) are backed up by the loop: a fit stopped by Ctrl-C keeps its
backup and a new fit resumes it to the weights and history of a fit never stopped. The Recommender and the Translator
train in loops of their own, which write no backup: they refuse the callback at fit, before anything changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import hiddenlayers as hl
from app_cases import app_case
from fit_helpers import BreakAt


def _weights(model: Any) -> list[torch.Tensor]:
    net = model.model_ if hasattr(model, "model_") else model.network_
    return [t.detach().clone() for t in net.state_dict().values()]


@pytest.mark.parametrize("app", ["image", "speech", "forecaster"])
def test_an_app_interrupted_by_ctrl_c_resumes_to_the_uninterrupted_fit(app: str, tmp_path: Path) -> None:
    whole, args = app_case(app, max_iter=4)
    whole.fit(*args)
    broken, _ = app_case(app, max_iter=4, callbacks=[hl.BackupAndRestore(tmp_path / "b"), BreakAt(2)])
    with pytest.warns(hl.InterruptedWarning):  # the apps keep an interrupted fit's weights (stop_reason_ 'interrupted') and its backup
        broken.fit(*args)
    assert broken.stop_reason_ == "interrupted" and (tmp_path / "b" / "backup.pt").exists()
    resumed, _ = app_case(app, max_iter=4, callbacks=[hl.BackupAndRestore(tmp_path / "b")])
    resumed.fit(*args)
    assert resumed.history_.epoch == whole.history_.epoch == [1, 2, 3, 4]
    assert resumed.history_.train_loss == whole.history_.train_loss
    assert all(torch.equal(a, b) for a, b in zip(_weights(resumed), _weights(whole), strict=True))
    assert not (tmp_path / "b").exists()  # the finished fit deleted its backup


@pytest.mark.parametrize("app", ["recommender", "translator"])
def test_apps_with_loops_of_their_own_refuse_the_callback(app: str, tmp_path: Path) -> None:
    model, args = app_case(app, max_iter=2, callbacks=[hl.BackupAndRestore(tmp_path / "b")])
    with pytest.raises(ValueError, match=r"^BackupAndRestore backs up the fits training\.train runs .* drop BackupAndRestore from callbacks\.$"):
        model.fit(*args)
    assert not hasattr(model, "history_") and not (tmp_path / "b").exists()
    model.set_params(callbacks=[hl.CSVLogger(tmp_path / "log.csv")]).fit(*args)  # every other callback still runs
    assert (tmp_path / "log.csv").exists()


def test_an_app_resumed_with_a_larger_max_iter_trains_to_it(tmp_path: Path) -> None:
    """The apps resume through the loop's backup, so they take its rule: a fit broken at epoch 2 of 4 and fitted again with
    max_iter=6 trains on to 6, bit-equal to an unbroken fit of 6 epochs; under learning_rate='cosine', which anneals over
    max_iter, another max_iter is refused in one line naming it, the backup left as it was."""
    whole, args = app_case("image", max_iter=6)
    whole.fit(*args)
    broken, _ = app_case("image", max_iter=4, callbacks=[hl.BackupAndRestore(tmp_path / "b"), BreakAt(3)])
    with pytest.warns(hl.InterruptedWarning):
        broken.fit(*args)
    resumed, _ = app_case("image", max_iter=6, callbacks=[hl.BackupAndRestore(tmp_path / "b")])
    resumed.fit(*args)
    assert resumed.history_.epoch == whole.history_.epoch == [1, 2, 3, 4, 5, 6]
    assert resumed.history_.train_loss == whole.history_.train_loss
    assert all(torch.equal(a, b) for a, b in zip(_weights(resumed), _weights(whole), strict=True))
    assert not (tmp_path / "b").exists()

    broken, _ = app_case("image", max_iter=4, learning_rate="cosine", callbacks=[hl.BackupAndRestore(tmp_path / "c"), BreakAt(3)])
    with pytest.warns(hl.InterruptedWarning):
        broken.fit(*args)
    before = (tmp_path / "c" / "backup.pt").read_bytes()
    again, _ = app_case("image", max_iter=6, learning_rate="cosine", callbacks=[hl.BackupAndRestore(tmp_path / "c")])
    with pytest.raises(ValueError, match=r"^backup '.*': max_iter changed from 4 to 6, but learning_rate='cosine' anneals over max_iter, "
                                         r"so the resumed fit would not equal a fit of 6 epochs: keep max_iter=4, or delete it .*\.$"):
        again.fit(*args)
    assert (tmp_path / "c" / "backup.pt").read_bytes() == before and not hasattr(again, "history_")
