"""``BackupAndRestore`` in :func:`hiddenlayers.training.train`: a run broken at epoch k and resumed from its backup gives the
weights and history of the unbroken run, bit for bit; a backup of another network or other rows, a damaged or foreign file,
is refused in one line with the network and the file as they were; the backup goes when a run ends (not after Ctrl-C)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import hiddenlayers as hl
from fit_helpers import BreakAt
from hiddenlayers.network import Network
from hiddenlayers.training import BackupAndRestore, History, NoImprovement, Schedule, WeightAveraging, train


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X[:240] / 16, dtype=torch.float32)
    Y = torch.nn.functional.one_hot(torch.tensor(y[:240]), 10).float()
    return X, Y


def _run(X, Y, callbacks=(), *, averaging=None, spec="12:dropout=0.2", seed=0):
    """One run of 6 epochs on a fresh network (the same start for every call): (network, history)."""
    torch.manual_seed(0)
    net = Network(X.shape[1], spec, 10)
    torch.manual_seed(seed)  # dropout's generator
    gen = torch.Generator().manual_seed(1)
    no_imp = NoImprovement("train_loss", 1e-4, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train(net, X, Y, loss="log_loss", batch_size=32, max_epochs=6, generator=gen, no_improvement=no_imp,
                       callbacks=list(callbacks), averaging=averaging)
    return net, result.history


def _same_history(a: History, b: History) -> None:
    da, db = a.to_dict(), b.to_dict()
    da.pop("time"), db.pop("time")
    assert repr(da) == repr(db)


@pytest.mark.parametrize("averaging", [None, "ema", "swa"])
def test_resumed_run_equals_the_unbroken_one(digits, tmp_path, averaging) -> None:
    X, Y = digits

    def avg():
        return None if averaging is None else WeightAveraging(averaging, decay=0.9, start_epoch=2)

    ref, ref_hist = _run(X, Y, averaging=avg())
    backup = BackupAndRestore(tmp_path / "bk")
    _, broken = _run(X, Y, [backup, BreakAt(4)], averaging=avg())
    assert broken.stop_reason == "interrupted" and backup.path.exists()
    # another global seed: dropout's draws must come from the backup, not from the caller's generator
    net, hist = _run(X, Y, [backup], averaging=avg(), seed=123)
    assert all(torch.equal(p, q) for p, q in zip(ref.state_dict().values(), net.state_dict().values()))
    _same_history(ref_hist, hist)
    assert not (tmp_path / "bk").exists()  # a run that ends deletes its backup (and the folder it made)


def test_a_resumed_runs_progress_bar_starts_at_the_epochs_done(digits, tmp_path, capsys) -> None:
    # before: the bar of the run resumed after epoch 3 of 6 started at 0/6 and ended at 3/6
    from hiddenlayers.training import ProgressBar

    class Bar(ProgressBar):
        def on_train_begin(self, **kwargs) -> None:
            super().on_train_begin(**kwargs)
            self.started = (self._progress.tasks[0].completed, getattr(kwargs["state"], "resumed_epochs", None))

        def on_train_end(self, **kwargs) -> None:
            self.ended = self._progress.tasks[0].completed
            super().on_train_end(**kwargs)

    X, Y = digits
    backup = BackupAndRestore(tmp_path / "bk")
    fresh = Bar(6)
    _, broken = _run(X, Y, [backup, BreakAt(4), fresh])
    assert fresh.started[0] == 0 and broken.epoch == [1, 2, 3, 4]
    resumed = Bar(6)
    _, hist = _run(X, Y, [backup, resumed])
    assert resumed.started[0] == 3 and resumed.ended == 6 and hist.epoch == [1, 2, 3, 4, 5, 6]  # the backup holds epoch 3's state
    assert (fresh.started[1], resumed.started[1]) == (0, 3)  # TrainState.resumed_epochs, which the bar reads
    assert "6/6" in capsys.readouterr().err


def test_delete_checkpoint_false_keeps_the_backup(digits, tmp_path) -> None:
    X, Y = digits
    backup = BackupAndRestore(tmp_path / "bk", delete_checkpoint=False)
    _run(X, Y, [backup])
    saved = torch.load(backup.path, weights_only=True)
    assert saved["loop"]["history"]["epoch"] == [1, 2, 3, 4, 5]  # the last epoch's state is never resumed: not written


def test_backup_of_another_network_or_rows_is_refused_and_nothing_changes(digits, tmp_path) -> None:
    X, Y = digits
    backup = BackupAndRestore(tmp_path / "bk")
    _run(X, Y, [backup, BreakAt(3)])
    before = backup.path.read_bytes()
    torch.manual_seed(0)
    other = Network(X.shape[1], "13", 10)
    start = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(ValueError, match=r"was written by another fit \(network: .* there, .* here\).*delete it"):
        train(other, X, Y, loss="log_loss", max_epochs=2, callbacks=[backup])
    assert all(torch.equal(start[k], v) for k, v in other.state_dict().items())
    with pytest.raises(ValueError, match=r"another fit \(training rows: 240 rows, digest \w+ there, 239 rows"):
        _run(X[:-1], Y[:-1], [backup])
    assert backup.path.read_bytes() == before


def test_damaged_and_foreign_files_are_one_line(digits, tmp_path) -> None:
    X, Y = digits
    backup = BackupAndRestore(tmp_path / "bk")
    backup.path.parent.mkdir()
    backup.path.write_bytes(b"PK\x03\x04 not a whole zip")
    with pytest.raises(ValueError, match=r"cannot be read \(\w+\): it is damaged or not a hiddenlayers backup; delete it"):
        _run(X, Y, [backup])
    torch.save({"weights": torch.zeros(2)}, backup.path)
    with pytest.raises(ValueError, match="is not a hiddenlayers backup"):
        _run(X, Y, [backup])


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_loading_runs_no_code(tmp_path) -> None:
    """A pickle that would run code on load is refused by torch.load(weights_only=True), as a damaged file."""
    import os
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "ran"),))

    backup = BackupAndRestore(tmp_path / "bk")
    backup.path.parent.mkdir()
    backup.path.write_bytes(pickle.dumps({"format": "hiddenlayers-backup", "x": Evil()}))
    with pytest.raises(ValueError, match="cannot be read"):
        backup.read()
    assert not (tmp_path / "ran").exists()


def test_bad_settings_are_one_line(digits, tmp_path) -> None:
    X, Y = digits
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="backup_dir '.*file' is a file: give a folder"):
        _run(X, Y, [BackupAndRestore(tmp_path / "file")])
    with pytest.raises(TypeError, match="backup_dir must be a folder path. Received: backup_dir=3"):
        _run(X, Y, [BackupAndRestore(3)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="callbacks hold 2 BackupAndRestore callbacks"):
        _run(X, Y, [BackupAndRestore(tmp_path / "a"), BackupAndRestore(tmp_path / "b")])


def test_public_names_and_repr() -> None:
    assert hl.BackupAndRestore is BackupAndRestore is hl.training.BackupAndRestore
    assert repr(BackupAndRestore("runs/b", delete_checkpoint=False)) == "BackupAndRestore('runs/b', delete_checkpoint=False)"


def test_optimizer_kept_state_round_trip(digits) -> None:
    """``kept_state``/``load_kept``: a kept copy put into a fresh optimizer restores the same moments and step count."""
    from hiddenlayers.training import FlatParams, make_optimizer

    net = Network(4, "3", 2)
    flat = FlatParams(net)
    opt = make_optimizer("adam", flat)
    assert opt.kept_state() is None
    rng = np.random.default_rng(0)
    for key in ("m", "v"):  # NumPy arrays or tensors, by engine
        getattr(opt, key)[...] = torch.as_tensor(rng.normal(size=getattr(opt, key).shape)).numpy()
    opt.t = 7
    opt.keep_state()
    kept = opt.kept_state()
    assert kept is not None and kept["t"] == 7
    other = make_optimizer("adam", FlatParams(Network(4, "3", 2)))
    other.load_kept(kept)
    other.restore_kept()
    assert other.t == 7
    for key in ("m", "v"):
        np.testing.assert_array_equal(np.asarray(getattr(other, key)), np.asarray(getattr(opt, key)))



def test_train_resumed_with_more_epochs_equals_the_unbroken_run_and_a_new_cosine_cycle_is_refused(digits, tmp_path) -> None:
    """``train(max_epochs=...)`` is free on resuming (the constant schedule never reads it); a cosine ``Schedule`` whose cycle
    changed is refused, naming it, before the weights or history change."""
    X, Y = digits

    def run(max_epochs, callbacks=(), schedule=None):
        torch.manual_seed(0)
        net = Network(X.shape[1], "12", 10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = train(net, X, Y, loss="log_loss", batch_size=32, max_epochs=max_epochs, generator=torch.Generator().manual_seed(1),
                           callbacks=list(callbacks), schedule=schedule)
        return net, result.history

    net, hist = run(7)
    backup = BackupAndRestore(tmp_path / "bk")
    run(4, [backup, BreakAt(3)])
    got, got_hist = run(7, [backup])
    _same_history(got_hist, hist)
    assert all(torch.equal(a, b) for a, b in zip(got.state_dict().values(), net.state_dict().values()))

    run(4, [backup, BreakAt(3)], Schedule("cosine", 0.01, max_epochs=4))
    before = backup.path.read_bytes()
    with pytest.raises(ValueError, match=r"max_epochs changed from 4 to 7, but learning_rate='cosine' anneals over max_epochs"):
        run(7, [backup], Schedule("cosine", 0.01, max_epochs=7))
    assert backup.path.read_bytes() == before
    _, resumed = run(7, [backup], Schedule("cosine", 0.01, max_epochs=4))  # the same cycle, more epochs: resumed
    assert resumed.epoch == list(range(1, 8)) and not backup.path.exists()


@pytest.mark.parametrize("theirs, ours, done, refused", [
    ({"max_epochs": 6, "cosine_cycle": None, "swa_start": None}, {"max_epochs": 9, "cosine_cycle": None, "swa_start": None}, 5, False),
    ({"max_epochs": 6, "cosine_cycle": 6, "swa_start": None}, {"max_epochs": 9, "cosine_cycle": 9, "swa_start": None}, 1, True),
    ({"max_epochs": 6, "cosine_cycle": 6, "swa_start": None}, {"max_epochs": 9, "cosine_cycle": 6, "swa_start": None}, 5, False),
    ({"max_epochs": 6, "cosine_cycle": None, "swa_start": 5}, {"max_epochs": 9, "cosine_cycle": None, "swa_start": 7}, 3, False),
    ({"max_epochs": 6, "cosine_cycle": None, "swa_start": 5}, {"max_epochs": 9, "cosine_cycle": None, "swa_start": 7}, 4, True),
    ({"max_epochs": 9, "cosine_cycle": None, "swa_start": 7}, {"max_epochs": 6, "cosine_cycle": None, "swa_start": 5}, 4, True),
    ({"max_epochs": 6, "cosine_cycle": None, "swa_start": 2}, {"max_epochs": 9, "cosine_cycle": None, "swa_start": 2}, 5, False),
    ({"max_epochs": "6", "cosine_cycle": [6], "swa_start": True}, {"max_epochs": 9, "cosine_cycle": 9, "swa_start": 7}, 5, False),
])
def test_epochs_refusal_judges_what_the_saved_epochs_depend_on(theirs, ours, done, refused) -> None:
    """Refused: any change of a cosine cycle, and an SWA start that moved once the saved epochs reach the epoch before the
    earlier of the two; free: the count alone, an unchanged cycle or start, and values no backup writes (a foreign record)."""
    from hiddenlayers.training import epochs_refusal

    got = epochs_refusal(theirs, ours, done, "max_iter")
    assert (got is not None) == refused
    if refused:
        assert got.startswith("max_iter changed from ") and got.endswith(f"keep max_iter={theirs['max_epochs']}") and "\n" not in got


class _Explode(hl.Callback):
    """The weights times 1e6 at the end of epoch ``at`` (as if its last step had exploded); Ctrl-C as epoch ``stop`` begins."""

    def __init__(self, at: int, stop: int | None = None) -> None:
        self.at, self.stop = at, stop

    def on_epoch_begin(self, *, epoch, **kwargs) -> None:
        if epoch == self.stop:
            raise KeyboardInterrupt

    def on_epoch_end(self, *, network, logs, **kwargs) -> None:
        if logs["epoch"] == self.at:
            with torch.no_grad():
                for p in network.parameters():
                    p.mul_(1e6)


def test_a_resumed_run_falls_back_from_a_diverged_best_as_the_unbroken_one(digits, tmp_path) -> None:
    """Epoch 4 improves, then its weights explode and epoch 5 diverges: the run keeps epoch 3's (the best before). A run
    resumed from the backup of epoch 4 must know that best too: the backup holds it (before, nothing did)."""
    X, Y = digits
    ref, ref_hist = _run(X, Y, [_Explode(4)])
    assert ref_hist.stop_reason == "diverged" and ref_hist.held_epoch == 3
    backup = BackupAndRestore(tmp_path / "bk")
    _, broken = _run(X, Y, [backup, _Explode(4, stop=5)])
    assert broken.stop_reason == "interrupted" and backup.path.exists()
    net, hist = _run(X, Y, [backup])
    assert hist.stop_reason == "diverged" and hist.held_epoch == 3
    assert all(torch.equal(p, q) for p, q in zip(ref.state_dict().values(), net.state_dict().values()))
