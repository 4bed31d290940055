"""Under torch.distributed each rank reads the training files and the checkpoint from its own machine's disk.

The checkpoint guard (every rank's OUT.ckpt compared with rank 0's) ran in `train DIR` only: `est.fit(ParquetSource(...))` in
a script under a hand-run multi-node torchrun with $HIDDENLAYERS_CHECKPOINT or BackupAndRestore resumed ranks from different
epochs. And no path compared the files: a machine with other files trained on other rows under rank 0's statistics. Both
are compared now where every streamed fit passes. The collectives are stand-ins (this process is rank 1 of 2).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
import hiddenlayers.training as training
from hiddenlayers.data import ParquetSource
from hiddenlayers.estimators import check_same_files


def _frame(n: int = 320, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x[:, 0] > 0).astype(int)})


@pytest.fixture
def parts(tmp_path: Path) -> Path:
    d = tmp_path / "parts"
    d.mkdir()
    _frame().to_parquet(d / "a.parquet", row_group_size=16, index=False)
    _frame(seed=1).to_parquet(d / "b.parquet", row_group_size=16, index=False)
    return d


def _rank_1_of_2(monkeypatch: pytest.MonkeyPatch, rank_0_files: dict | None = None, rank_0_ckpt: list | None = None) -> None:
    """This process as rank 1 of 2, rank 0's answers given: its files' fingerprint (None: this rank's own), its checkpoint."""

    def from_rank_0(fn, errors=None):
        answer = fn()
        if isinstance(answer, dict):  # the files' fingerprint
            return answer if rank_0_files is None else rank_0_files
        return rank_0_ckpt

    monkeypatch.setattr(training, "distributed_world", lambda: (1, 2))
    monkeypatch.setattr(training, "from_rank_0", from_rank_0)
    monkeypatch.setattr(training, "from_every_rank", lambda value: [None, value])  # rank 0 finds nothing against itself
    monkeypatch.setattr(training, "reduce_sum", lambda values: [float(v) for v in values])  # rank 0 adds 0


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, copy_function=shutil.copy)  # shutil.copy keeps no modification time: as a download, scp without -p
    return dst


def test_a_machine_with_other_parquet_files_is_refused_copies_are_not(parts, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    _frame().to_parquet(other / "a.parquet", row_group_size=16, index=False)
    _frame(n=336, seed=1).to_parquet(other / "b.parquet", row_group_size=16, index=False)
    _rank_1_of_2(monkeypatch, rank_0_files=ParquetSource(str(other), target="y").fingerprint()["files"])
    with pytest.raises(ValueError, match=r"^rank 1 reads other training files than rank 0: 'b.parquet' holds 320 rows "
                                         r"there, 336 on rank 0's machine; the ranks would train on other rows under rank 0's "
                                         r"statistics: give every machine the same files \(copy them, or share the folder\).$"):
        check_same_files(ParquetSource(str(parts), target="y"))
    os.utime(parts / "a.parquet", (1, 1))
    copy = _copy(parts, tmp_path / "copy")  # the same files elsewhere, other times: the same
    _rank_1_of_2(monkeypatch, rank_0_files=ParquetSource(str(copy), target="y").fingerprint()["files"])
    check_same_files(ParquetSource(str(parts), target="y"))
    (copy / "c.parquet").write_bytes((parts / "a.parquet").read_bytes())
    _rank_1_of_2(monkeypatch, rank_0_files=ParquetSource(str(copy), target="y").fingerprint()["files"])
    with pytest.raises(ValueError, match=r"'c.parquet' is on rank 0's machine and not there;"):
        check_same_files(ParquetSource(str(parts), target="y"), "validation")


def test_parquet_files_of_the_same_size_and_rows_are_told_by_their_footer(tmp_path, monkeypatch):
    here, there = tmp_path / "here", tmp_path / "there"
    changed = _frame()
    changed.loc[0, "a"] = 123.0  # one value: the same rows and size (no compression, no dictionary), other column statistics
    for d, frame in ((here, _frame()), (there, changed)):
        d.mkdir()
        frame.to_parquet(d / "a.parquet", row_group_size=16, index=False, compression=None, use_dictionary=False)
    assert (here / "a.parquet").stat().st_size == (there / "a.parquet").stat().st_size
    _rank_1_of_2(monkeypatch, rank_0_files=ParquetSource(str(there), target="y").fingerprint()["files"])
    with pytest.raises(ValueError, match=r"'a.parquet' holds other values there \(its Parquet footer differs from rank 0's\)"):
        check_same_files(ParquetSource(str(here), target="y"))


def test_csv_files_are_compared_by_size_alone_and_the_line_says_so(tmp_path, monkeypatch):
    here, there = tmp_path / "here", tmp_path / "there"
    for d, n in ((here, 40), (there, 40)):
        d.mkdir()
        _frame(n).to_csv(d / "t.csv", index=False)
    os.utime(there / "t.csv", (1, 1))  # another machine's copy: its own time
    _rank_1_of_2(monkeypatch, rank_0_files=ParquetSource(str(there), target="y").fingerprint()["files"])
    check_same_files(ParquetSource(str(here), target="y"))
    _frame(41).to_csv(there / "t.csv", index=False)
    _rank_1_of_2(monkeypatch, rank_0_files=ParquetSource(str(there), target="y").fingerprint()["files"])
    with pytest.raises(ValueError, match=r"than rank 0 \(CSV files are compared by size alone\): 't.csv' is [\d,]+ bytes there, "
                                         r"[\d,]+ on rank 0's machine;"):
        check_same_files(ParquetSource(str(here), target="y"))


def test_a_scripts_streamed_fit_refuses_other_files_before_reading_a_row(parts, tmp_path, monkeypatch):
    other = _copy(parts, tmp_path / "other")
    (other / "b.parquet").unlink()
    _rank_1_of_2(monkeypatch, rank_0_files=ParquetSource(str(other), target="y").fingerprint()["files"])
    with pytest.raises(ValueError, match=r"^rank 1 reads other training files than rank 0: 'b.parquet' is there and not on rank 0's machine"):
        hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(ParquetSource(str(parts), target="y"))


@pytest.mark.parametrize("backup", [False, True])
def test_a_scripts_streamed_fit_refuses_a_checkpoint_rank_0_does_not_have(parts, tmp_path, monkeypatch, backup):
    """$HIDDENLAYERS_CHECKPOINT or BackupAndRestore's backup.pt: this machine keeps an older run's file, rank 0's has none."""
    folder = tmp_path / "backup"
    folder.mkdir()
    ckpt = folder / ("backup.pt" if backup else "fit.ckpt")
    ckpt.write_bytes(b"an older run's checkpoint")
    est = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, callbacks=[hl.BackupAndRestore(str(folder))] if backup else None)
    if not backup:
        monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(ckpt))
    _rank_1_of_2(monkeypatch, rank_0_ckpt=None)
    with pytest.raises(ValueError, match=rf"^1 rank\(s\) do not read rank 0's checkpoint '{ckpt}' \(rank 0 has none; theirs differs\), "
                                         r"so the ranks would resume from different epochs: keep the checkpoint in a folder every "
                                         r"machine shares"):
        est.fit(ParquetSource(str(parts), target="y"))
    assert ckpt.read_bytes() == b"an older run's checkpoint"
