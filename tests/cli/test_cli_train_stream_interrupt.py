"""``train DIR``'s Ctrl-C does what ``train FILE``'s does: the best model so far saved, the checkpoint ``OUT.ckpt`` kept with a
line saying how to resume, and a re-run of the same command resumes from the last whole epoch (over the model file the
interrupted run wrote) to the model an unbroken run writes. Before, the streamed fit removed its checkpoint on Ctrl-C."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from cli_helpers import add_train_callback, assert_user_error, interrupted_run, ok, run
from hiddenlayers.cli._train_stream import workers_outcome

ARGS = ("--target", "y", "--epochs", "4", "--hidden", "4", "--no-check", "--no-early-stopping")


def _folder(tmp_path):
    d = tmp_path / "parts"
    d.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        a = rng.normal(size=120)
        pd.DataFrame({"a": a, "b": rng.normal(size=120), "y": (a > 0).astype(int)}).to_parquet(d / f"part{i}.parquet")
    return d


class _CtrlCInEpoch(hl.Callback):
    """Ctrl-C at the first batch of epoch ``at``."""

    def __init__(self, at: int) -> None:
        self.at, self.epoch = at, 0

    def on_epoch_begin(self, **kw: Any) -> None:
        self.epoch = kw.get("epoch", self.epoch + 1)

    def on_batch_end(self, **kw: Any) -> None:
        if self.epoch == self.at:
            raise KeyboardInterrupt


def _break_in(monkeypatch, epoch: int) -> None:
    add_train_callback(monkeypatch, _CtrlCInEpoch(epoch))


def test_ctrl_c_keeps_the_checkpoint_and_a_rerun_resumes_to_the_unbroken_model(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT", raising=False)
    d, out, ckpt = _folder(tmp_path), tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    with monkeypatch.context() as m:
        _break_in(m, 3)
        result = interrupted_run("train", d, *ARGS, "-o", out)  # exit 130: before, 0
    assert out.exists() and ckpt.exists()
    assert (f"interrupted: the best model so far was saved to {out}; the checkpoint {ckpt} keeps the last whole epoch: run the same "
            "command again to resume (delete it to start over)") in result.stderr
    assert hl.load(out).n_iter_ == 2
    resumed_run = ok("train", d, *ARGS, "-o", out)  # the same command: not refused for the model file the interrupted run wrote
    # train FILE's note (train DIR resumed without a word, a run --max-restarts restarted too)
    assert (f"note: resuming from the checkpoint {ckpt} after epoch 2, training to epoch 4 (delete it to train from the start)"
            in resumed_run.stderr)
    assert not ckpt.exists()
    ok("train", d, *ARGS, "-o", tmp_path / "unbroken.safetensors")
    resumed, unbroken = hl.load(out), hl.load(tmp_path / "unbroken.safetensors")
    assert resumed.n_iter_ == unbroken.n_iter_ == 4
    np.testing.assert_allclose(resumed.loss_curve_, unbroken.loss_curve_, rtol=1e-6)
    for a, b in zip(resumed.coefs_ + resumed.intercepts_, unbroken.coefs_ + unbroken.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_ctrl_c_with_json_prints_the_summary_naming_the_checkpoint_then_exits_130(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT", raising=False)
    d, out, ckpt = _folder(tmp_path), tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    with monkeypatch.context() as m:
        _break_in(m, 3)
        result = interrupted_run("train", d, *ARGS, "-o", out, "--json")
    summary = json.loads(result.stdout)  # stdout: the summary alone, printed before the exit
    assert summary["stop_reason"] == "interrupted" and summary["epochs"] == 2
    assert summary["model"] == str(out) and summary["checkpoint"] == str(ckpt) and ckpt.is_file()


def test_the_workers_launcher_names_the_kept_checkpoint(tmp_path) -> None:
    ckpt = tmp_path / "m.safetensors.ckpt"
    ckpt.write_bytes(b"x")
    result = json.loads(json.dumps({"model": "m.safetensors", "stop_reason": "interrupted", "checkpoint": str(ckpt)}))
    assert workers_outcome(1, True, result, "", 2) == (
        130, f"interrupted: the best model so far was saved to m.safetensors; the checkpoint {ckpt} keeps the last whole epoch: run the "
           "same command again to resume (delete it to start over)")
    assert workers_outcome(1, True, {"model": "m.safetensors", "stop_reason": "interrupted"}, "", 2) == (
        130, "interrupted: the best model so far was saved to m.safetensors")


def test_a_rerun_with_more_epochs_trains_to_them_unless_cosine_depends_on_them(tmp_path, monkeypatch) -> None:
    """``train DIR``'s checkpoint takes ``train FILE``'s rule: a re-run with another ``--epochs`` trains on to it, and one
    under ``--learning-rate cosine`` (which anneals over the epochs) is one line naming ``--epochs``, before the data check."""
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT", raising=False)
    d, out, ckpt = _folder(tmp_path), tmp_path / "m.safetensors", tmp_path / "m.safetensors.ckpt"
    six = [a if i != ARGS.index("--epochs") + 1 else "6" for i, a in enumerate(ARGS)]
    with monkeypatch.context() as m:
        _break_in(m, 3)
        interrupted_run("train", d, *ARGS, "-o", out)
    assert "after epoch 2, training to epoch 6 (delete" in ok("train", d, *six, "-o", out).stderr
    assert hl.load(out).n_iter_ == 6 and not ckpt.exists()

    with monkeypatch.context() as m:
        _break_in(m, 3)
        interrupted_run("train", d, *ARGS, "--learning-rate", "cosine", "-o", out, "--force")
    before = ckpt.read_bytes()
    assert_user_error(run("train", d, *six, "--learning-rate", "cosine", "-o", out),
                      f"training failed: checkpoint '{ckpt}': --epochs changed from 4 to 6, but learning_rate='cosine' anneals over --epochs, "
                      "so the resumed fit would not equal a fit of 6 epochs: keep --epochs 4, or delete it to train from the start.")
    assert ckpt.read_bytes() == before


def test_only_rank_0_says_what_the_fit_warns(tmp_path, monkeypatch) -> None:
    """Under --workers every rank's fit warns the same (the ranks agree on a Ctrl-C), and the launcher passes on every rank's
    notes: "training interrupted by the user; restored the weights of epoch 12." came twice. Another rank's fit warns nothing."""
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT", raising=False)
    monkeypatch.setattr("hiddenlayers.training.is_writer", lambda: False)  # this process as rank 1 (no group: the fit itself runs alone)
    d, out = _folder(tmp_path), tmp_path / "m.safetensors"
    with monkeypatch.context() as m:
        _break_in(m, 3)
        result = run("train", d, *ARGS, "-o", out)
    assert "training interrupted" not in result.stderr, result.stderr
    assert not out.exists()  # rank 0 alone writes


@pytest.mark.parametrize("as_worker", [False, True])
def test_ctrl_c_before_the_first_epoch_ends_saves_no_untrained_model(tmp_path, monkeypatch, as_worker: bool) -> None:
    """train DIR (and rank 0 of --workers) Ctrl-C'd in its first pass saved the untrained start as "the best model so far", and
    rank 0's result file told the launcher so; train FILE saves nothing there. Now both end alike: exit 130, one line saying
    nothing was trained, no model file, no checkpoint, and under --workers no result file (the launcher says nothing was saved)."""
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT", raising=False)
    result_file = tmp_path / "result.json"
    if as_worker:
        monkeypatch.setenv("HIDDENLAYERS_RESULT_FILE", str(result_file))
    d, out = _folder(tmp_path), tmp_path / "m.safetensors"
    with monkeypatch.context() as m:
        _break_in(m, 1)
        result = run("train", d, *ARGS, "-o", out)
    assert not out.exists() and not (tmp_path / "m.safetensors.ckpt").exists() and not result_file.exists()
    if not as_worker:
        assert result.exit_code == 130, result.output
        assert result.stderr.strip().splitlines()[-1] == (f"interrupted before the first epoch ended: nothing was trained, so no model "
                                                          f"was saved to {out}")
