"""check_checkpoint: a streamed fit's checkpoint judged before the fit (the CLI runs it before its data check)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.estimators import check_checkpoint


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("classes", [2, 3, 0])
def test_a_fits_own_checkpoint_passes_and_another_networks_is_stale(classes, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    y = (a > 0).astype(int) + (a > 1) if classes == 3 else ((a > 0).astype(int) if classes == 2 else a * 2.0)
    frame = pd.DataFrame({"a": a, "c": rng.choice(["x", "y", "z"], size=300), "y": y})
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    ckpt = str(tmp_path / "fit.ckpt")
    est = (hl.MLPClassifier if classes else hl.MLPRegressor)(hidden_layer_sizes=(5, 3), max_iter=1, random_state=0)
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", ckpt)
    src = ParquetSource(tmp_path / "t.parquet", target="y")
    check_checkpoint(est, src, ckpt)  # no file yet: nothing to check
    est.fit(src)
    check_checkpoint(est, src, ckpt)  # the same fit resumes from its own file
    other = (hl.MLPClassifier if classes else hl.MLPRegressor)(hidden_layer_sizes=(5, 4))
    with pytest.raises(ValueError, match="holds another network than this fit builds"):
        check_checkpoint(other, src, ckpt)
    (tmp_path / "fit.ckpt").write_bytes(b"junk")
    with pytest.raises(ValueError, match="cannot be read"):
        check_checkpoint(est, src, ckpt)


class _Die(hl.Callback):
    """The process dies at the end of epoch ``at``, before that epoch's checkpoint is written."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_epoch_end(self, *, logs, **kwargs) -> None:
        if logs["epoch"] == self.at:
            raise RuntimeError("the process died")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_resumed_fit_runs_the_broken_runs_clock_on(tmp_path, monkeypatch):
    # the resumed run's epochs were timed from 0 again: history_.time went back (epoch 3 at 2.46 s after epoch 2's 2.48 s
    # on digits), and max_time gave the restarted run the whole budget again
    from hiddenlayers.training import load_checkpoint, save_checkpoint

    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 3))
    pd.DataFrame({"a": a[:, 0], "b": a[:, 1], "y": (a.sum(1) > 0).astype(int)}).to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(tmp_path / "t.parquet", target="y")
    ckpt = tmp_path / "fit.ckpt"
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(ckpt))
    kw = dict(hidden_layer_sizes=(4,), max_iter=6, random_state=0, tol=0.0, n_iter_no_change=100)
    with pytest.raises(RuntimeError, match="the process died"):
        hl.MLPClassifier(**kw, callbacks=[_Die(3)]).fit(src)
    saved = load_checkpoint(str(ckpt))
    assert len(saved["history"]["time"]) == 2
    saved["history"]["time"] = [500.0, 1000.0]  # the broken run had trained 1000 s by its second epoch's end
    save_checkpoint(str(ckpt), saved)
    resumed = hl.MLPClassifier(**kw).fit(src)
    assert resumed.history_.epoch == [1, 2, 3, 4, 5, 6] and resumed.history_.time[2] > 1000.0
    assert np.all(np.diff(resumed.history_.time) > 0)
    save_checkpoint(str(ckpt), saved)
    limited = hl.MLPClassifier(**kw, max_time=900.0).fit(src)  # 1000 s of the 900 spent: the first resumed epoch is the last
    assert limited.stop_reason_ == "time_limit" and limited.history_.epoch == [1, 2, 3]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_streamed_fit_resumed_with_another_max_iter(tmp_path, monkeypatch):
    """A streamed fit killed at epoch 3 of 4 and fitted again with max_iter=6 trains on to 6, the weights and losses of an
    unbroken 6-epoch fit; under learning_rate='cosine' (a cycle of max_iter epochs) the checkpoint is refused in one line,
    by check_checkpoint and by the fit, the file as it was."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 3))
    pd.DataFrame({"a": a[:, 0], "b": a[:, 1], "y": (a.sum(1) > 0).astype(int)}).to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(tmp_path / "t.parquet", target="y")
    ckpt = tmp_path / "fit.ckpt"
    kw = dict(hidden_layer_sizes=(4,), random_state=0, tol=0.0, n_iter_no_change=100)
    ref = hl.MLPClassifier(**kw, max_iter=6).fit(src)
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(ckpt))
    with pytest.raises(RuntimeError, match="the process died"):
        hl.MLPClassifier(**kw, max_iter=4, callbacks=[_Die(3)]).fit(src)
    resumed = hl.MLPClassifier(**kw, max_iter=6).fit(src)
    assert resumed.history_.epoch == [1, 2, 3, 4, 5, 6] and resumed.loss_curve_ == ref.loss_curve_
    assert all(np.array_equal(p, q) for p, q in zip(resumed.coefs_, ref.coefs_))

    ckpt.unlink(missing_ok=True)
    with pytest.raises(RuntimeError, match="the process died"):
        hl.MLPClassifier(**kw, max_iter=4, learning_rate="cosine", callbacks=[_Die(3)]).fit(src)
    before = ckpt.read_bytes()
    message = (f"checkpoint '{ckpt}': max_iter changed from 4 to 6, but learning_rate='cosine' anneals over max_iter, so the resumed "
               "fit would not equal a fit of 6 epochs: keep max_iter=4, or delete it to train from the start.")
    cosine = hl.MLPClassifier(**kw, max_iter=6, learning_rate="cosine")
    for call in (lambda: check_checkpoint(cosine, src, str(ckpt)), lambda: cosine.fit(src)):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message
    assert ckpt.read_bytes() == before and not hasattr(cosine, "history_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_streamed_fit_resumed_from_its_checkpoint_starts_its_progress_bar_at_the_passes_done(tmp_path, monkeypatch):
    """As the in-memory loop resumed from a BackupAndRestore does (TrainState.resumed_epochs): the restarted run's bar
    starts at the 2 passes the checkpoint holds and ends at 5/5. Before, it started at 0/5 and ended at 3/5."""
    from hiddenlayers.training import ProgressBar

    class Bar(ProgressBar):
        def on_train_begin(self, **kwargs) -> None:
            super().on_train_begin(**kwargs)
            self.started = self._progress.tasks[0].completed

        def on_train_end(self, **kwargs) -> None:
            self.ended = self._progress.tasks[0].completed
            super().on_train_end(**kwargs)

    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 2))
    pd.DataFrame({"a": a[:, 0], "b": a[:, 1], "y": (a.sum(1) > 0).astype(int)}).to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(tmp_path / "t.parquet", target="y")
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(tmp_path / "fit.ckpt"))
    kw = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0, tol=0.0, n_iter_no_change=100)
    with pytest.raises(RuntimeError, match="the process died"):
        hl.MLPClassifier(**kw, callbacks=[_Die(3)]).fit(src)
    bar = Bar(5)
    resumed = hl.MLPClassifier(**kw, callbacks=[bar]).fit(src)
    assert resumed.history_.epoch == [1, 2, 3, 4, 5] and (bar.started, bar.ended) == (2, 5)


def _killed_at_epoch_2(folder, ckpt, monkeypatch, **kw) -> ParquetSource:
    """A folder of two Parquet files whose checkpointed fit died at the end of epoch 2 (its checkpoint holds epoch 1)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 2))
    frame = pd.DataFrame({"a": a[:, 0], "b": a[:, 1], "y": (a.sum(1) > 0).astype(int)})
    folder.mkdir()
    frame[:200].to_parquet(folder / "p1.parquet", row_group_size=100)
    frame[200:].to_parquet(folder / "p2.parquet", row_group_size=100)
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(ckpt))
    with pytest.raises(RuntimeError, match="the process died"):
        hl.MLPClassifier(**kw, callbacks=[_Die(2)]).fit(ParquetSource(str(folder), target="y"))
    return ParquetSource(str(folder), target="y")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("change", ["added", "removed", "rewritten"])
def test_a_checkpoint_written_on_other_files_is_refused_naming_what_changed(change, tmp_path, monkeypatch):
    """The checkpoint records its source's files (paths relative to their folder, sizes, Parquet rows and footers, CSV times):
    before, a re-run on changed files resumed silently with the old files' epochs. Refused in one line by check_checkpoint and
    by the fit, the checkpoint left as it was; the same files (the folder named another way) resume. (A new time alone, and
    the older layouts: test_trained_on.py.)"""
    folder, ckpt = tmp_path / "d", tmp_path / "fit.ckpt"
    kw = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0, tol=0.0, n_iter_no_change=100)
    src = _killed_at_epoch_2(folder, ckpt, monkeypatch, **kw)
    est = hl.MLPClassifier(**kw)
    assert check_checkpoint(est, ParquetSource(str(folder) + "/", target="y"), str(ckpt)) is not None  # the same files: resumes
    extra = pd.read_parquet(folder / "p2.parquet")
    if change == "added":
        extra.to_parquet(folder / "p3.parquet")
        said = "since then 'p3.parquet' was added"
    elif change == "removed":
        (folder / "p2.parquet").unlink()
        said = "since then 'p2.parquet' is gone"
    else:
        extra[:150].to_parquet(folder / "p2.parquet")
        said = "since then 'p2.parquet' holds 150 rows, not 200"
    before = ckpt.read_bytes()
    changed = ParquetSource(str(folder), target="y")
    for call in (lambda: check_checkpoint(est, changed, str(ckpt)), lambda: hl.MLPClassifier(**kw).fit(changed)):
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"checkpoint '{ckpt}' was written by a run on other files: {said}") and "\n" not in message
        assert message.endswith("delete the checkpoint to train from the start on these files, or put back the files it was trained on.")
    assert ckpt.read_bytes() == before
    assert src.path == str(folder)


class _NoPass(hl.Callback):
    def on_epoch_begin(self, **kwargs):
        raise AssertionError("an epoch began")


def test_a_checkpoint_path_that_cannot_be_written_is_one_line_before_any_epoch(tmp_path, monkeypatch):
    """$HIDDENLAYERS_CHECKPOINT naming a folder was read as a damaged checkpoint, whose line said to delete it (the user's
    folder); one in a missing folder failed with a bare FileNotFoundError once the first epoch had trained. Both are one
    ValueError now, before the statistics pass and the first epoch; nothing is made or removed."""
    d = tmp_path / "parts"
    d.mkdir()
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=40), "y": np.arange(40) % 2}).to_parquet(d / "p.parquet")
    src = ParquetSource(str(d), target="y")
    for path, said in ((tmp_path, f"HIDDENLAYERS_CHECKPOINT names the folder '{tmp_path}', not a file: name a file for the checkpoint, "
                                  f"such as '{tmp_path / 'fit.ckpt'}'."),
                       (tmp_path / "none" / "fit.ckpt", f"HIDDENLAYERS_CHECKPOINT '{tmp_path / 'none' / 'fit.ckpt'}': folder "
                                                        f"'{tmp_path / 'none'}' does not exist: create it first or choose another output path.")):
        monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(path))
        with pytest.raises(ValueError) as info:
            hl.MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, callbacks=[_NoPass()]).fit(src)
        assert str(info.value) == said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts"]
