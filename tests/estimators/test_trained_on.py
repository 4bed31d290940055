"""A streamed checkpoint's one record of what it was trained on (estimators/_trained_on): settings, columns, files and the
validation set, one check naming the first difference, and checkpoints of the older layouts ("identity", "inputs", both,
neither) resumed or refused as they were."""

from __future__ import annotations

import hashlib
import os
import re

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.estimators import check_checkpoint
from hiddenlayers.training import load_checkpoint, save_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

KW = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0, tol=0.0, n_iter_no_change=100)
KW_VAL = {**KW, "early_stopping": True}  # a fit given its own validation rows
FIX = ("Resuming would go on with early stopping's best score and patience measured on other rows: delete the checkpoint to "
       "train from the start, or resume with the validation set it was written with.")


class _Die(hl.Callback):
    """The process dies at the end of epoch 2, before that epoch's checkpoint is written (it holds epoch 1)."""

    def on_epoch_end(self, *, logs, **kwargs) -> None:
        if logs["epoch"] == 2:
            raise RuntimeError("the process died")


def _frame(n: int, seed: int) -> pd.DataFrame:
    a = np.random.default_rng(seed).normal(size=(n, 2))
    return pd.DataFrame({"a": a[:, 0], "b": a[:, 1], "y": (a.sum(1) > 0).astype(int)})


@pytest.fixture
def d(tmp_path):
    """``train/``: two Parquet files of 200 rows (4 row groups of 100); ``valid/``: one of 100 rows."""
    frame = _frame(400, 0)
    (tmp_path / "train").mkdir()
    (tmp_path / "valid").mkdir()
    frame[:200].to_parquet(tmp_path / "train" / "p1.parquet", row_group_size=100)
    frame[200:].to_parquet(tmp_path / "train" / "p2.parquet", row_group_size=100)
    _frame(100, 1).to_parquet(tmp_path / "valid" / "v.parquet")
    return tmp_path


def _train(d, **kw) -> ParquetSource:
    return ParquetSource(str(d / "train"), target="y", **kw)


def _valid(d) -> ParquetSource:
    return ParquetSource(str(d / "valid"), target="y")


def _killed(d, monkeypatch, src=None, callbacks=(), kw=KW, **fit) -> str:
    """The checkpoint (``$HIDDENLAYERS_CHECKPOINT``, or a ``BackupAndRestore``'s among ``callbacks``) of a fit that died at epoch 2."""
    ckpt = str(d / "fit.ckpt")
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", ckpt)
    backup = next((c for c in callbacks if isinstance(c, hl.BackupAndRestore)), None)
    if backup is not None:
        monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT")
        ckpt = str(backup.path)
    with pytest.raises(RuntimeError, match="the process died"):
        hl.MLPClassifier(**kw, callbacks=[*callbacks, _Die()]).fit(src or _train(d), **fit)
    return ckpt


def _refused(ckpt: str, message: str, *calls) -> None:
    """Each call raises one line, ``checkpoint 'CKPT' was written by`` + ``message``; the checkpoint is left as it was."""
    before = open(ckpt, "rb").read()
    for call in calls:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == f"checkpoint '{ckpt}' was written by {message}"
    assert open(ckpt, "rb").read() == before


def test_a_checkpoint_keeps_one_record_of_settings_columns_files_and_validation(d, monkeypatch):
    ckpt = _killed(d, monkeypatch, kw=KW_VAL, X_val=_valid(d))
    saved = load_checkpoint(ckpt)
    assert "identity" not in saved and "inputs" not in saved
    record = saved["trained_on"]
    assert record["columns"] == "target 'y', weight None, features ['a', 'b']"
    assert record["settings"]["model"] == "MLPClassifier" and record["settings"]["alpha"] == "0.0001" and "max_iter" not in record["settings"]
    assert sorted(record["files"]) == ["p1.parquet", "p2.parquet"] and record["files"]["p1.parquet"]["rows"] == 200
    assert len(record["files"]["p1.parquet"]["footer"]) == 16 and list(record["validation"]["files"]) == ["v.parquet"]
    assert check_checkpoint(hl.MLPClassifier(**KW_VAL), _train(d), ckpt, X_val=ParquetSource(str(d / "valid") + "/", target="y")) is not None


@pytest.mark.parametrize("change", ["added", "rewritten", "none", "in memory"])
def test_a_resume_scored_on_other_validation_rows_is_refused(d, monkeypatch, change):
    """Before: the validation source was in no record, and a resume whose validation files changed went on silently with
    early stopping's best score and patience measured on other rows. Refused in one line, by check_checkpoint and the fit."""
    ckpt = _killed(d, monkeypatch, kw=KW_VAL, X_val=_valid(d))
    fit: dict = {"X_val": None}  # the validation source made once its files changed
    if change == "added":
        _frame(30, 2).to_parquet(d / "valid" / "v2.parquet")
        said = f"a run scored on other validation files: since then 'v2.parquet' was added. {FIX}"
    elif change == "rewritten":
        _frame(100, 1)[:60].to_parquet(d / "valid" / "v.parquet")
        said = f"a run scored on other validation files: since then 'v.parquet' holds 60 rows, not 100. {FIX}"
    elif change == "none":  # held-out row groups instead
        fit, said = {}, f"a run with validation files (1 file), and this run has no validation set of its own. {FIX}"
    else:
        rows = _frame(100, 1)
        fit = {"X_val": rows[["a", "b"]], "y_val": rows["y"].to_numpy()}
        said = "a run with validation files (1 file), and this run has validation rows in memory (100 rows, digest "
    if change in ("added", "rewritten"):
        fit = {"X_val": _valid(d)}
    est = hl.MLPClassifier(**KW_VAL)
    before = open(ckpt, "rb").read()
    for call in (lambda: check_checkpoint(est, _train(d), ckpt, **fit), lambda: hl.MLPClassifier(**KW_VAL).fit(_train(d), **fit)):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value).startswith(f"checkpoint '{ckpt}' was written by {said}") and str(info.value).endswith(FIX)
    assert open(ckpt, "rb").read() == before


def test_validation_rows_in_memory_that_changed_are_refused(d, monkeypatch):
    """fit(source, X_val=frame, y_val=labels): the rows' count and digest are in the record (before, a checkpoint of
    $HIDDENLAYERS_CHECKPOINT kept none, and a resume scored other rows silently); the same rows resume."""
    rows = _frame(100, 1)
    ckpt = _killed(d, monkeypatch, kw=KW_VAL, X_val=rows[["a", "b"]], y_val=rows["y"].to_numpy())
    moved = rows.assign(a=rows["a"] + np.r_[1.0, np.zeros(99)])  # one cell of one row
    with pytest.raises(ValueError, match=rf"^checkpoint '{ckpt}' was written by a run scored on other validation rows \(100 rows, "
                                         r"digest \w+ there, 100 rows, digest \w+ here\)\. Resuming would go on"):
        hl.MLPClassifier(**KW_VAL).fit(_train(d), X_val=moved[["a", "b"]], y_val=rows["y"].to_numpy())
    resumed = hl.MLPClassifier(**KW_VAL).fit(_train(d), X_val=rows[["a", "b"]], y_val=rows["y"].to_numpy())
    assert resumed.history_.epoch == [1, 2, 3] and len(resumed.validation_scores_) == 3


def test_other_columns_of_the_same_files_are_refused_whatever_keeps_the_checkpoint(d, monkeypatch):
    """The features in another order: the same network shape, so $HIDDENLAYERS_CHECKPOINT's checkpoint resumed silently with
    each weight reading the other column (only a BackupAndRestore's judged the columns). Refused for both now, columns first."""
    ckpt = _killed(d, monkeypatch, src=_train(d, features=["a", "b"]))
    swapped = _train(d, features=["b", "a"])
    said = ("another fit (columns: target 'y', weight None, features ['a', 'b'] there, target 'y', weight None, features ['b', 'a'] "
            "here): it resumes only the same model on the same rows; delete it to train from the start.")
    _refused(ckpt, said, lambda: check_checkpoint(hl.MLPClassifier(**KW), swapped, ckpt), lambda: hl.MLPClassifier(**KW).fit(swapped))
    _frame(50, 3).to_parquet(d / "train" / "p3.parquet")  # a file added too: the columns are named first
    _refused(ckpt, said, lambda: hl.MLPClassifier(**KW).fit(_train(d, features=["b", "a"])))


def test_a_parquet_folder_copied_without_its_times_resumes_as_the_unbroken_fit(d, monkeypatch):
    """Before, a new modification time alone (a copy that did not keep times) refused the resume; a Parquet file is told by
    its size, footer rows and footer digest now. The resumed fit is the unbroken one."""
    ckpt = _killed(d, monkeypatch)
    for f in ("p1.parquet", "p2.parquet"):
        st = os.stat(d / "train" / f)
        os.utime(d / "train" / f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert check_checkpoint(hl.MLPClassifier(**KW), _train(d), ckpt) is not None
    resumed = hl.MLPClassifier(**KW).fit(_train(d))
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT")
    ref = hl.MLPClassifier(**KW).fit(_train(d))
    assert resumed.history_.epoch == [1, 2, 3] and resumed.loss_curve_ == ref.loss_curve_



def test_a_value_edited_in_place_with_the_footer_kept_is_refused_by_the_statistics(d, monkeypatch):
    """A feature value changed inside its column's range (no compression, plain encoding: the same bytes, rows and footer
    statistics) and the file's time put back: the fingerprint cannot see it, and the fit resumed on other rows. The record
    holds a digest of the statistics pass, part by part, so the resumed pass names the column whose statistics moved."""
    frame = pd.read_parquet(d / "train" / "p1.parquet")
    plain = dict(row_group_size=100, compression=None, use_dictionary=False)
    frame.to_parquet(d / "train" / "p1.parquet", **plain)
    ckpt = _killed(d, monkeypatch)
    st = os.stat(d / "train" / "p1.parquet")
    before = (d / "train" / "p1.parquet").read_bytes()
    frame.loc[5, "b"] = (frame["b"].min() + frame["b"].max()) / 2  # inside the range: the footer's min/max kept
    frame.to_parquet(d / "train" / "p1.parquet", **plain)
    os.utime(d / "train" / "p1.parquet", ns=(st.st_atime_ns, st.st_mtime_ns))  # the time it had: the fingerprint is the same
    assert len((d / "train" / "p1.parquet").read_bytes()) == len(before) and (d / "train" / "p1.parquet").read_bytes() != before
    record = load_checkpoint(ckpt)["trained_on"]
    assert sorted(record["statistics"]) == ["column 'a'", "column 'b'", "the row weights", "the target"]
    said = ("a run on other rows: the files are those it recorded (names, sizes, Parquet footers), but column 'b' reads with "
            "other statistics now (a file edited in place after the checkpoint was written, or another max_categories). Resuming "
            "would go on training its weights on other values under other statistics: delete the checkpoint to train from the start "
            "on these files, or put back the files it was trained on.")
    _refused(ckpt, said, lambda: check_checkpoint(hl.MLPClassifier(**KW), _train(d), ckpt),
             lambda: hl.MLPClassifier(**KW).fit(_train(d)))
    (d / "train" / "p1.parquet").write_bytes(before)  # put back: resumes
    assert hl.MLPClassifier(**KW).fit(_train(d)).history_.epoch == [1, 2, 3]


@pytest.mark.parametrize("change, there, here", [
    ({"random_state": 3}, "1 there (units 2)", "1 here (units 3)"),
    ({"validation_fraction": 0.5}, "1 there (units 2)", "2 here (units 2, 3)"),
    ({"early_stopping": False}, "1 there (units 2)", "0 here"),
])
def test_a_resume_that_would_hold_out_other_row_groups_is_refused(d, monkeypatch, change, there, here):
    """Early stopping's held-out row groups are drawn from random_state and validation_fraction, which a resumed
    $HIDDENLAYERS_CHECKPOINT is not judged by: a re-run with another seed or fraction (or early stopping off) resumed
    silently, training on the rows the old epochs were scored on and scoring rows they trained on. The record keeps the
    held-out units; another draw is refused in one line, the checkpoint kept. The same settings resume."""
    ckpt = _killed(d, monkeypatch, kw=KW_VAL)
    assert load_checkpoint(ckpt)["trained_on"]["held_out"] == [2]
    said = (f"a run that held out other row groups (or CSV files) for early stopping ({there}, {here}: another seed or "
            "validation_fraction, or early stopping turned on or off). Resuming would train on the rows its epochs were scored "
            "on, and score rows it trained on: resume with the settings it was written with, or delete the checkpoint to train "
            "from the start.")
    _refused(ckpt, said, lambda: check_checkpoint(hl.MLPClassifier(**{**KW_VAL, **change}), _train(d), ckpt),
             lambda: hl.MLPClassifier(**{**KW_VAL, **change}).fit(_train(d)))
    assert check_checkpoint(hl.MLPClassifier(**KW_VAL), _train(d), ckpt) is not None
    assert hl.MLPClassifier(**KW_VAL).fit(_train(d)).history_.epoch == [1, 2, 3]

def _older(saved: dict, d, layout: str) -> dict:
    """``saved`` (this version's checkpoint) in an older ``layout``: "both" (``identity`` and ``inputs``, as the merged branches
    wrote it), "identity" or "inputs" alone, or "neither"; the records as those versions wrote them."""
    record = saved.pop("trained_on", None)
    if record is None:  # (an older version's own checkpoint: this test runs on those versions too)
        identity = saved.pop("identity")
        saved.pop("inputs")
        record = {"settings": {k: v for k, v in identity.items() if k not in ("columns", "rows")}, "columns": identity["columns"],
                  "files": {"p1.parquet": None, "p2.parquet": None}}
    files = {}
    for name in sorted(record["files"]):
        st = os.stat(d / "train" / name)
        files[name] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "rows": 200}
    digest = hashlib.sha256(repr([100, 100, 100, 100]).encode()).hexdigest()[:16]
    identity = {**record["settings"], "columns": record["columns"], "rows": f"400 rows in 4 row groups or files, digest {digest}"}
    if layout in ("both", "identity"):
        saved["identity"] = identity
    if layout in ("both", "inputs"):
        saved["inputs"] = {"files": files}
    return saved


@pytest.mark.parametrize("layout, backup, change, said", [
    ("both", False, "touched", "a run on other files: since then 'p2.parquet' was modified after the checkpoint's run read it"),
    ("inputs", False, "touched", "a run on other files: since then 'p2.parquet' was modified after the checkpoint's run read it"),
    ("identity", False, "touched", None),
    ("neither", False, None, None),
    ("identity", True, "rewritten", "another fit (rows: 400 rows in 4 row groups or files, digest "),
    ("both", True, "alpha", "another fit (alpha: 0.0001 there, 0.01 here): it resumes only the same model on the same rows"),
])
def test_checkpoints_of_the_older_layouts_resume_or_are_refused_as_before(d, monkeypatch, layout, backup, change, said):
    """Written before the one record: "inputs" (the files, their times judged: no footer digest then) refused on changed
    files; "identity" judged for a BackupAndRestore's checkpoint only, its rows digest too; a checkpoint recording no files
    resumes with a warning, as the unbroken fit."""
    callbacks = [hl.BackupAndRestore(d / "bk", delete_checkpoint=False)] if backup else []
    ckpt = _killed(d, monkeypatch, callbacks=callbacks)
    save_checkpoint(ckpt, _older(load_checkpoint(ckpt), d, layout))
    kw = dict(KW)
    if change == "touched":
        st = os.stat(d / "train" / "p2.parquet")
        os.utime(d / "train" / "p2.parquet", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    elif change == "rewritten":
        _frame(400, 0)[200:350].to_parquet(d / "train" / "p2.parquet", row_group_size=100)
    elif change == "alpha":
        kw["alpha"] = 0.01
    model = hl.MLPClassifier(**kw, callbacks=callbacks)
    if said is not None:
        with pytest.raises(ValueError, match="^" + re.escape(f"checkpoint '{ckpt}' was written by {said}")):
            model.fit(_train(d))
        return
    with pytest.warns(UserWarning, match="records no fingerprint of the files it was trained on"):
        resumed = model.fit(_train(d))
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT")
    ref = hl.MLPClassifier(**KW).fit(_train(d))
    assert resumed.history_.epoch == [1, 2, 3] and resumed.loss_curve_ == ref.loss_curve_
