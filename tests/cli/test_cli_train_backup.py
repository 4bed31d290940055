"""``train FILE``'s per-epoch checkpoint ``OUT.ckpt`` (as ``train DIR`` names it): removed by a run that ends, kept by Ctrl-C
with a line saying how to resume, resumed by a re-run of the same command (which says so) to the model an unbroken run
writes; a damaged checkpoint or one of another model is one line, nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hiddenlayers as hl
from cli_helpers import add_train_callback, assert_user_error, interrupted_run, ok, run
from fit_helpers import BreakAt

ARGS = ("-t", "label", "--hidden", "6", "--epochs", "6", "-q", "--no-check")


def _break_at(monkeypatch, epoch: int) -> None:
    """The next ``train``'s fit gets Ctrl-C at the end of ``epoch``."""
    add_train_callback(monkeypatch, BreakAt(epoch))


def test_a_run_that_ends_leaves_no_checkpoint(table, tmp_path) -> None:
    out = tmp_path / "m.safetensors"
    ok("train", table, *ARGS, "-o", out)
    assert out.exists() and not (tmp_path / "m.safetensors.ckpt").exists()


def test_interrupted_run_resumes_to_the_unbroken_model(table, tmp_path, monkeypatch) -> None:
    out, ckpt = tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    with monkeypatch.context() as m:
        _break_at(m, 3)
        result = interrupted_run("train", table, *ARGS, "-o", out)  # exit 130: before, 0, and `train ... && next` went on
    assert ckpt.exists() and out.exists()
    assert result.stderr.strip().splitlines()[-1] == (f"interrupted: the best model so far was saved to {out}; the checkpoint {ckpt} keeps the "
                                                      "last whole epoch: run the same command again to resume (delete it to start over)")
    result = ok("train", table, *ARGS, "-o", out)  # the same command: the interrupted run's model file is its own
    assert f"note: resuming from the checkpoint {ckpt} after epoch 2" in result.stderr
    assert not ckpt.exists()
    ok("train", table, *ARGS, "-o", tmp_path / "unbroken.safetensors")
    resumed, unbroken = hl.load(out), hl.load(tmp_path / "unbroken.safetensors")
    for a, b in zip(resumed.coefs_ + resumed.intercepts_, unbroken.coefs_ + unbroken.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert resumed.loss_curve_ == unbroken.loss_curve_ and len(resumed.loss_curve_) == 6


def test_ctrl_c_with_json_prints_the_whole_summary_then_exits_130(table, tmp_path, monkeypatch) -> None:
    """``train --json`` after Ctrl-C: stdout is the summary alone (the stop reason, the model file, the checkpoint a re-run
    resumes from, the held-out metrics), stderr's last line says what was saved, and the exit status is 130 (it was 0)."""
    out, ckpt = tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    with monkeypatch.context() as m:
        _break_at(m, 3)
        result = interrupted_run("train", table, *ARGS, "-o", out, "--json")
    summary = json.loads(result.stdout)
    assert summary["stop_reason"] == "interrupted" and summary["stop_message"] == "interrupted by the user (Ctrl-C); best weights restored"
    assert summary["model"] == str(out) and summary["checkpoint"] == str(ckpt) and ckpt.is_file()
    assert summary["epochs"] == hl.load(out).n_iter_ == 3 and 0 <= summary["test_metrics"]["accuracy"] <= 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"interrupted: the best model so far was saved to {out}; the checkpoint {ckpt}")


def test_a_run_that_ends_names_no_checkpoint_in_its_json(table, tmp_path) -> None:
    summary = json.loads(ok("train", table, *ARGS, "-o", tmp_path / "m.safetensors", "--json").stdout)
    assert summary["stop_reason"] != "interrupted" and "checkpoint" not in summary


def test_damaged_checkpoint_is_one_line_and_nothing_is_written(table, tmp_path) -> None:
    out, ckpt = tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    ckpt.write_bytes(b"not a checkpoint")
    assert_user_error(run("train", table, *ARGS, "-o", out),
                      f"training failed: backup '{ckpt}' cannot be read (")
    assert not out.exists() and ckpt.read_bytes() == b"not a checkpoint"


def test_checkpoint_of_another_model_is_one_line(table, tmp_path, monkeypatch) -> None:
    out, ckpt = tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    with monkeypatch.context() as m:
        _break_at(m, 2)
        interrupted_run("train", table, *ARGS, "-o", out)
    before, model_before = ckpt.read_bytes(), out.read_bytes()
    result = run("train", table, *[a if a != "6" else "7" for a in ARGS], "-o", out)
    assert_user_error(result, "was written by another fit (hidden_layer_sizes: '6' there, '7' here)")
    assert "delete it to train from the start, or write to another --out" in result.stderr
    assert ckpt.read_bytes() == before and out.read_bytes() == model_before


def test_lbfgs_keeps_no_checkpoint(table, tmp_path) -> None:
    out, ckpt = tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    ok("train", table, *ARGS, "--solver", "lbfgs", "-o", out)
    assert out.exists() and not ckpt.exists()
    ckpt.write_bytes(b"a stale file")  # no resume for L-BFGS: the model file is not written over without --force
    assert_user_error(run("train", table, *ARGS, "--solver", "lbfgs", "-o", out), "already exists: pass --force")


def test_rerun_with_more_epochs_trains_to_them_and_says_so(table, tmp_path, monkeypatch) -> None:
    """Keras' rule: a run broken at epoch 3 of 6, run again with --epochs 9, resumes and trains to 9, the model of an unbroken
    9-epoch run; under --learning-rate cosine (which anneals over the epochs) another --epochs is one line naming it."""
    out, ckpt = tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    nine = [a if a != "6" or i != ARGS.index("--epochs") + 1 else "9" for i, a in enumerate(ARGS)]
    with monkeypatch.context() as m:
        _break_at(m, 3)
        interrupted_run("train", table, *ARGS, "-o", out)
    result = ok("train", table, *nine, "-o", out)
    assert f"note: resuming from the checkpoint {ckpt} after epoch 2, training to epoch 9 (delete it to train from the start)" in result.stderr
    ok("train", table, *nine, "-o", tmp_path / "unbroken.safetensors")
    resumed, unbroken = hl.load(out), hl.load(tmp_path / "unbroken.safetensors")
    for a, b in zip(resumed.coefs_ + resumed.intercepts_, unbroken.coefs_ + unbroken.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert resumed.loss_curve_ == unbroken.loss_curve_ and len(resumed.loss_curve_) == 9

    with monkeypatch.context() as m:
        _break_at(m, 3)
        interrupted_run("train", table, *ARGS, "--learning-rate", "cosine", "-o", out, "--force")
    before = ckpt.read_bytes()
    assert_user_error(run("train", table, *nine, "--learning-rate", "cosine", "-o", out),
                      "--epochs changed from 6 to 9, but learning_rate='cosine' anneals over --epochs, so the resumed fit would not "
                      "equal a fit of 9 epochs: keep --epochs 6, or delete it to train from the start, or write to another --out.")
    assert ckpt.read_bytes() == before


def test_rerun_with_fewer_epochs_than_the_checkpoint_holds_ends_there(table, tmp_path, monkeypatch) -> None:
    out, ckpt = tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    with monkeypatch.context() as m:
        _break_at(m, 5)
        interrupted_run("train", table, *ARGS, "-o", out)
    fewer = [a if a != "6" or i != ARGS.index("--epochs") + 1 else "3" for i, a in enumerate(ARGS)]
    result = ok("train", table, *fewer, "-o", out)
    assert f"resuming from the checkpoint {ckpt} after epoch 4: --epochs 3 are trained already, so the fit ends there (delete it to train from the start)" in result.stderr
    assert not ckpt.exists() and len(hl.load(out).loss_curve_) == 4


class _CtrlCBeforeAnEpoch(hl.Callback):
    """Ctrl-C in ``on_train_begin`` (``where="begin"``) or at the first batch's end: before any epoch ends."""

    def __init__(self, where: str) -> None:
        self.where = where

    def on_train_begin(self, **kwargs) -> None:
        if self.where == "begin":
            raise KeyboardInterrupt

    def on_batch_end(self, **kwargs) -> None:
        raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["begin", "batch"])
def test_ctrl_c_before_the_first_epoch_ends_saves_no_untrained_model(table, tmp_path, monkeypatch, where: str) -> None:
    """Ctrl-C in a callback's on_train_begin came out raw (nothing saved, 'interrupted'), and one in the first batch saved the
    untrained start as 'the best model so far'. Both now end alike: exit 130, one line saying nothing was trained, no file."""
    out = tmp_path / "m.safetensors"
    with monkeypatch.context() as m:
        add_train_callback(m, _CtrlCBeforeAnEpoch(where))
        result = interrupted_run("train", table, *ARGS, "-o", out)
    assert result.stderr.strip().splitlines()[-1] == f"interrupted before the first epoch ended: nothing was trained, so no model was saved to {out}"
    assert not out.exists() and not (tmp_path / "m.safetensors.ckpt").exists()
