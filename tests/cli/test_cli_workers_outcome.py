"""`train DIR --workers N`: what the launcher says and its exit status come from what rank 0 did, not torchrun's status.

After Ctrl-C torchrun exits non-zero even when rank 0 stopped the fit and saved the model: the launcher said
"interrupted" (exit 130) or "the 2 workers failed (exit 1)". It now names the saved file and exits 130 (a Ctrl-C'd
command's status, so a script stops there), as the one-process path does. No torchrun is started here: a stand-in for its process
writes (or not) rank 0's result file where the launcher asked for it, and exits as torchrun does after a signal.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys

import pandas as pd
import pytest

import hiddenlayers.cli._train_stream as train_stream
from cli_helpers import assert_user_error, interrupted_run, run
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._train_stream import RESULT_ENV, workers_outcome


class _Torchrun:
    """A stand-in for ``subprocess.Popen(torchrun ...)``: Ctrl-C while waiting (``ctrl_c``), rank 0's result file, an exit status."""

    saved: str | None = None
    stop_reason = "interrupted"
    ctrl_c = True
    returncode_after = 1
    stderr_text = "[rank1]: Traceback ...\ntorch.distributed.elastic.multiprocessing.api.SignalException: Process 7 got signal: 2\n"
    signals: list[int] = []

    def __init__(self, cmd, *, env, **kwargs):
        self.env, self.returncode = env, None
        self.stderr = io.StringIO(self.stderr_text)
        self._waits = 0

    def wait(self):
        self._waits += 1
        if self.ctrl_c and self._waits == 1:
            raise KeyboardInterrupt
        if self.saved is not None:  # rank 0 stopped between steps and saved, then wrote its result file
            with open(self.env[RESULT_ENV], "w") as fh:
                json.dump({"model": self.saved, "stop_reason": self.stop_reason}, fh)
        self.returncode = self.returncode_after
        return self.returncode

    def send_signal(self, sig):
        type(self).signals.append(sig)

    def terminate(self):
        type(self).signals.append(signal.SIGTERM)


@pytest.fixture
def torchrun(monkeypatch):
    class T(_Torchrun):
        signals: list[int] = []

    monkeypatch.setattr(train_stream.subprocess, "Popen", T)
    return T


def test_ctrl_c_after_rank_0_saved_is_exit_130_naming_the_file(torchrun, tmp_path):
    torchrun.saved = str(tmp_path / "m.safetensors")
    res = interrupted_run("train", tmp_path, "--target", "y", "--workers", "2", "--out", tmp_path / "m.safetensors")  # before: exit 0
    assert res.stderr.strip().splitlines()[-1] == f"interrupted: the best model so far was saved to {tmp_path / 'm.safetensors'}"
    assert "failed" not in res.stderr and torchrun.signals == [signal.SIGINT]  # passed on once to torchrun's own session


def test_ctrl_c_before_anything_was_saved_is_exit_130_saying_so_never_failed(torchrun, tmp_path):
    res = run("train", tmp_path, "--target", "y", "--workers", "2", "--out", tmp_path / "m.safetensors")
    assert res.exit_code == 130, res.output
    assert res.stderr.splitlines()[-2:] == ["note: the workers stopped before rank 0 saved a model: nothing was saved", "interrupted"]
    assert "failed" not in res.stderr


def test_workers_interrupted_directly_and_saved_is_exit_130(torchrun, tmp_path):
    torchrun.ctrl_c, torchrun.saved = False, str(tmp_path / "m.safetensors")  # a SIGINT sent to the workers, not the launcher
    res = interrupted_run("train", tmp_path, "--target", "y", "--workers", "2", "--out", tmp_path / "m.safetensors")
    assert "interrupted: the best model so far was saved to" in res.stderr


def test_ctrl_c_after_the_fit_ended_is_exit_130_naming_the_saved_file(torchrun, tmp_path):
    torchrun.saved, torchrun.stop_reason = str(tmp_path / "m.safetensors"), "max_epochs"
    res = interrupted_run("train", tmp_path, "--target", "y", "--workers", "2", "--out", tmp_path / "m.safetensors")
    assert res.stderr.strip().splitlines()[-1] == f"interrupted after the fit ended: the model was saved to {tmp_path / 'm.safetensors'}"


def test_a_run_that_ended_is_exit_0(torchrun, tmp_path):
    torchrun.ctrl_c, torchrun.saved, torchrun.stop_reason, torchrun.returncode_after = False, str(tmp_path / "m.safetensors"), "max_epochs", 0
    res = run("train", tmp_path, "--target", "y", "--workers", "2", "--out", tmp_path / "m.safetensors")
    assert res.exit_code == 0 and "interrupted" not in res.stderr, res.output


def test_the_outcome_from_the_exit_status_and_rank_0s_result():
    saved = {"model": "m.safetensors", "stop_reason": "max_epochs"}
    assert workers_outcome(0, False, saved, "", 2) == (0, None)
    assert workers_outcome(1, True, {**saved, "stop_reason": "interrupted"}, "", 2) == (130, "interrupted: the best model so far was saved to m.safetensors")
    assert workers_outcome(1, False, {**saved, "stop_reason": "interrupted"}, "", 2)[0] == 130  # the workers' own SIGINT
    assert workers_outcome(1, True, saved, "", 2) == (130, "interrupted after the fit ended: the model was saved to m.safetensors")
    code, line = workers_outcome(1, False, saved, "", 2)  # saved, then a worker failed on its way out
    assert code == 0 and "saved m.safetensors" in line
    assert workers_outcome(-2, True, None, "", 2)[0] == 130
    with pytest.raises(UserError, match="training failed: bad"):  # a worker's own one-line error, as before
        workers_outcome(1, False, None, "[rank0]: error: training failed: bad\n", 2)
    with pytest.raises(UserError, match=r"the 2 workers failed \(exit 1\)"):
        workers_outcome(1, False, None, "", 2)


def test_a_workers_own_error_is_shown_before_the_others_broken_connection():
    """Rank 0 stops on a full disk; rank 1 then fails in gloo ('Connection closed by peer'): the launcher showed the
    alphabetically first line, rank 1's 'internal error ... please report it', and not why the run stopped."""
    stderr = ("[rank1]: error: internal error RuntimeError: [gloo/transport/tcp/pair.cc:553] Connection closed by peer (rerun with --debug)\n"
              "[rank0]: error: no space left on the device while writing 'full/w.safetensors.ckpt': nothing was written there\n")
    with pytest.raises(UserError, match=r"^no space left on the device while writing 'full/w.safetensors.ckpt'"):
        workers_outcome(1, False, None, stderr, 2)
    with pytest.raises(UserError, match=r"^internal error RuntimeError: \[gloo"):  # nothing better to show: the first
        workers_outcome(1, False, None, stderr.splitlines()[0] + "\n", 2)


def _no_torchrun(*args, **kwargs):
    raise AssertionError("torchrun was started")


def test_a_batch_that_does_not_share_out_over_the_workers_is_refused_before_any_worker_starts(tmp_path, monkeypatch) -> None:
    """`--workers 3 --batch-size 100` started three processes, each read and checked every file, then each failed with
    "training failed: batch_size=100 must be a multiple of the 3 processes"; the launcher refuses it, naming the options and
    the batches that fit."""
    monkeypatch.setattr(train_stream.subprocess, "Popen", _no_torchrun)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    d = tmp_path / "parts"
    d.mkdir()
    assert_user_error(run("train", d, "--target", "y", "--workers", "3", "--batch-size", "100"),
                      "--batch-size 100 is the global batch, shared out equally over the 3 processes of --workers, so it must be a "
                      "multiple of 3: use --batch-size 99 or 102.")


def test_max_restarts_without_workers_is_refused_rather_than_ignored(tmp_path, monkeypatch) -> None:
    """`train DIR --max-restarts 2` in one process trained as if it were not there (nothing restarts one process)."""
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    d = tmp_path / "parts"
    d.mkdir()
    pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "y": [0, 1, 0, 1]}).to_parquet(d / "part0.parquet")
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", d, "--target", "y", "--max-restarts", "2", "--epochs", "1", "--out", out),
                      f"--max-restarts 2 restarts the processes of --workers N (2 or more), and this run has one: add --workers 2, or drop "
                      f"--max-restarts (a killed run resumes from {out}.ckpt when the same command runs again).")
    assert not out.exists()
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")  # a worker of --workers: its argv keeps the option, which torchrun acted on
    calls: list[str] = []
    monkeypatch.setattr(train_stream, "run_train_stream", lambda data, **kw: calls.append(str(data)))
    assert run("train", d, "--target", "y", "--max-restarts", "2", "--out", out).exit_code == 0 and calls == [str(d)]


def test_a_restart_after_the_fit_ended_keeps_the_saved_model(tmp_path, monkeypatch) -> None:
    """A worker that died after rank 0 had saved the finished fit (and removed the checkpoint) made torchrun restart every
    rank, which trained from epoch 1 again and wrote over the model (seen with a SIGKILL as the workers left). A restarted
    attempt that finds rank 0's result file of a finished fit ends at once, the model as it was."""
    d = tmp_path / "parts"
    d.mkdir()
    pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "y": [0, 1, 0, 1]}).to_parquet(d / "part0.parquet")
    out, result = tmp_path / "m.safetensors", tmp_path / "result.json"
    out.write_bytes(b"the finished fit")
    result.write_text(json.dumps({"model": str(out), "stop_reason": "max_epochs", "checkpoint": None}))
    monkeypatch.setenv(RESULT_ENV, str(result))
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    res = run("train", d, "--target", "y", "--epochs", "1", "--out", out)
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == b"the finished fit"
    assert f"note: a worker exited after rank 0 had saved the finished fit to {out}: not training it again" in res.stderr
    result.write_text(json.dumps({"model": str(out), "stop_reason": "interrupted", "checkpoint": None}))  # Ctrl-C'd: a restart resumes
    assert run("train", d, "--target", "y", "--epochs", "1", "--out", out, "--no-check").exit_code == 0
    assert out.read_bytes() != b"the finished fit"


def test_sigterm_to_the_launcher_stops_the_workers_and_exits_143(torchrun, tmp_path, monkeypatch) -> None:
    """`kill PID` (or `timeout`, a scheduler's cancel) of `train DIR --workers 2` ended the launcher alone: torchrun, in its
    own session, and both workers trained on as orphans and wrote --out after the command had exited 143. The launcher
    passes the signal on to torchrun, waits for it, and exits 143 saying so."""

    class Terminated(torchrun):  # type: ignore[misc,valid-type]
        ctrl_c = False

        def wait(self):
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):  # the old launcher: SIGTERM would end pytest itself
                raise AssertionError("the launcher leaves SIGTERM to its default: it ends the launcher alone")
            if not type(self).signals:
                os.kill(os.getpid(), signal.SIGTERM)  # runs the launcher's handler here, in the main thread
            self.returncode = -signal.SIGTERM
            return self.returncode

    monkeypatch.setattr(train_stream.subprocess, "Popen", Terminated)
    before = signal.getsignal(signal.SIGTERM)
    res = run("train", tmp_path, "--target", "y", "--workers", "2", "--out", tmp_path / "m.safetensors")
    assert res.exit_code == 143, res.output
    assert Terminated.signals == [signal.SIGTERM]  # passed on to torchrun's session
    assert res.stderr.strip().splitlines()[-1].startswith("terminated by SIGTERM: the workers were stopped with it")
    assert signal.getsignal(signal.SIGTERM) == before  # put back


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_launcher_killed_outright_takes_torchrun_with_it(tmp_path, monkeypatch) -> None:
    """`kill -9` of the launcher (or the OOM killer, a scheduler's hard kill) cannot be caught: torchrun, in its own session,
    and its workers trained on as orphans and wrote --out later. torchrun now gets SIGTERM from the kernel when the launcher's
    thread that started it ends (PR_SET_PDEATHSIG), the signal the launcher passes on itself. A sleeping process stands in
    for torchrun, started with the launcher's own Popen arguments from a thread that then ends, as a killed launcher's does."""
    import subprocess
    import threading

    real = subprocess.Popen
    started: list[subprocess.Popen] = []

    class Stop(Exception):
        pass

    def popen(cmd, **kwargs):
        started.append(real([sys.executable, "-c", "import time; time.sleep(60)"], **{**kwargs, "stderr": subprocess.DEVNULL}))
        raise Stop  # the launcher's thread ends here, torchrun just started

    def launcher() -> None:
        with pytest.raises(Stop):
            train_stream.launch_workers(2, 0, ["train", str(tmp_path), "--target", "y", "--workers", "2"])

    monkeypatch.setattr(train_stream.subprocess, "Popen", popen)
    thread = threading.Thread(target=launcher)
    thread.start()
    thread.join()
    (proc,) = started
    try:
        assert proc.wait(timeout=20) == -signal.SIGTERM
    finally:
        if proc.poll() is None:  # the old launcher: the stand-in outlives it
            proc.kill()
            proc.wait()


#: the end of node 0's torchrun output after `kill -9` of its rank 0 mid-fit (torch 2.13, a real run over two machines)
_KILLED = """E1207 01:24:51.639000 23540 torch/distributed/elastic/multiprocessing/api.py:1002] failed (exitcode: -9) local_rank: 0 (pid: 23587) of binary: python
Traceback (most recent call last):
  File "torch/distributed/launcher/api.py", line 383, in launch_agent
    raise ChildFailedError(
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
======================================================
hiddenlayers FAILED
------------------------------------------------------
Failures:
  <NO_OTHER_FAILURES>
------------------------------------------------------
Root Cause (first observed failure):
[0]:
  time      : 2026-12-07_01:24:51
  host      : localhost
  rank      : 0 (local_rank: 0)
  exitcode  : -9 (pid: 23587)  (SIGKILL)
  error_file: <N/A>
  traceback : Signal 9 (SIGKILL) received by PID 23587
======================================================
"""


def test_a_worker_killed_on_this_machine_is_named_with_its_signal_not_the_other_machines():
    """Rank 0 hard-killed on node 0 printed no `error:` line, so node 0's launcher said "the other machines' output says why":
    the wrong way. torchrun's summary names the rank and the signal, said on the machine where it died, before a local
    worker's broken connection ('internal error'), which is its effect."""
    from hiddenlayers.cli._train_nodes import Nodes

    node0 = Nodes(2, 0, "10.0.0.5", 29500, 60.0)
    said = (r"^rank 0 \(local rank 0 on this machine\) was killed by SIGKILL \(signal 9\) and said nothing: something stopped it from "
            r"outside \(the system's out-of-memory killer sends SIGKILL: `dmesg` says; or a kill, a scheduler\); a re-run of the same "
            r"commands on every machine resumes from the checkpoint of the last whole epoch, if one was written.$")
    with pytest.raises(UserError, match=said):
        workers_outcome(1, False, None, _KILLED, 1, node0)
    broken = "[rank1]: error: internal error RuntimeError: [gloo/transport/tcp/pair.cc:553] Connection closed by peer\n"
    with pytest.raises(UserError, match=r"^rank 0 \(local rank 0 on this machine\) was killed by SIGKILL"):
        workers_outcome(1, False, None, broken + _KILLED, 2)
    with pytest.raises(UserError, match=r"a re-run of the same command resumes"):  # one machine: one command
        workers_outcome(1, False, None, _KILLED, 1)
    own = "[rank0]: error: training failed: bad\n"  # a worker's own error still comes first
    with pytest.raises(UserError, match=r"^training failed: bad$"):
        workers_outcome(1, False, None, own + _KILLED.replace("-9 (pid: 23587)  (SIGKILL)", "2 (pid: 23587)"), 1)


def test_a_worker_that_exited_without_a_word_is_named_with_its_status():
    quiet = _KILLED.replace("rank      : 0 (local_rank: 0)", "rank      : 3 (local_rank: 1)").replace(
        "-9 (pid: 23587)  (SIGKILL)", "7 (pid: 23587)")
    with pytest.raises(UserError, match=r"^rank 3 \(local rank 1 on this machine\) exited with status 7 and said nothing "):
        workers_outcome(1, False, None, quiet, 2)
    broken = "[rank2]: error: internal error RuntimeError: Connection closed by peer\n"  # said something: that, not "nothing"
    with pytest.raises(UserError, match=r"^internal error RuntimeError: Connection closed by peer$"):
        workers_outcome(1, False, None, broken + quiet, 2)


def test_a_lost_connection_is_an_effect_shown_after_the_cause():
    """A worker whose peer died now says 'the connection to another rank was lost' (no longer 'internal error ... please
    report it'): still an effect, so the killed rank (torchrun's summary) or another worker's own error comes first, and
    alone it is what the launcher shows."""
    from hiddenlayers.training import lost_peer_line

    with pytest.MonkeyPatch.context() as mp:  # the worker's own line, as training words it (the launcher ranks it by its start)
        mp.setenv("WORLD_SIZE", "2")
        lost = f"[rank1]: error: {lost_peer_line(RuntimeError('[gloo/transport/tcp/pair.cc:534] Connection closed by peer'))}\n"
    with pytest.raises(UserError, match=r"^rank 0 \(local rank 0 on this machine\) was killed by SIGKILL"):
        workers_outcome(1, False, None, lost + _KILLED, 2)
    with pytest.raises(UserError, match=r"^training failed: bad$"):
        workers_outcome(1, False, None, lost + "[rank0]: error: training failed: bad\n", 2)
    with pytest.raises(UserError, match=r"^the connection to another rank was lost during training"):
        workers_outcome(1, False, None, lost, 2)


def test_a_worker_whose_peer_died_says_so_in_one_line_not_internal_error(monkeypatch, capsys):
    """The CLI of a worker (WORLD_SIZE > 1) whose collective failed in gloo ('Connection closed by peer'): one line naming
    what happened and the fix, exit 1; it said 'internal error RuntimeError: ... please report it'. Without a group
    (WORLD_SIZE unset) the same error stays an internal error."""
    from typer.core import TyperGroup

    from hiddenlayers.cli._app import app

    def broken(self, *args, **kwargs):
        raise RuntimeError("[../third_party/gloo/gloo/transport/tcp/pair.cc:534] Connection closed by peer [127.0.0.1]:23456")

    monkeypatch.setattr(TyperGroup, "main", broken)
    for world, said in (("2", "error: the connection to another rank was lost during training (connection closed by peer): "),
                        ("1", "error: internal error RuntimeError: ")):
        monkeypatch.setenv("WORLD_SIZE", world)
        with pytest.raises(SystemExit) as exit_:
            app(["info", "x"])
        err = capsys.readouterr().err
        assert exit_.value.code == 1 and err.startswith(said) and err.count("\n") == 1, err


def test_a_streamed_fits_batch_refusal_and_note_name_the_batch_size_option(tmp_path) -> None:
    """`train DIR --workers 2 --batch-size 10` on two 3-row files failed with "too few rows ... lower batch_size": the Python
    parameter, which a user of the command never typed. The failure (and the note of rows left out by whole batches) says
    --batch-size, through the same option words as a divergence's --lr; the estimators still say batch_size."""
    import warnings

    import hiddenlayers as hl
    from hiddenlayers.cli._option_words import option_words
    from hiddenlayers.cli._train import DEDICATED
    from hiddenlayers.data import ParquetSource
    from hiddenlayers.estimators._stream_plan import plan_units

    for i, n in enumerate((3, 3, 175, 175)):
        (tmp_path / ("few" if i < 2 else "many")).mkdir(exist_ok=True)
        pd.DataFrame({"a": range(n), "y": [0.0, 1.0] * (n // 2) + [0.0] * (n % 2)}).to_parquet(tmp_path / ("few" if i < 2 else "many") / f"p{i}.parquet")
    few = ParquetSource(str(tmp_path / "few"), target="y")
    with pytest.raises(ValueError, match="lower batch_size,") as caught:
        plan_units(hl.MLPRegressor(early_stopping=False, batch_size=10), few, few.scan(), False, 2)
    said = str(train_stream._training_failed(caught.value))
    assert said == (f"training failed: {few.path} has too few rows for 2 processes: each needs at least one batch (5 rows, of a global "
                    "--batch-size=10), and the smallest share holds 3: lower --batch-size, or lower --workers.")
    many = ParquetSource(str(tmp_path / "many"), target="y")
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")
        plan_units(hl.MLPRegressor(early_stopping=False, batch_size=100), many, many.scan(), False, 2)
    assert [option_words(str(w.message), DEDICATED).endswith("(the global --batch-size=100) of its share of 175: lower --batch-size, "
                                                             "or give the fit more rows.") for w in notes] == [True]


def test_a_streamed_fits_refusals_and_notes_name_the_workers_option(tmp_path) -> None:
    """`train DIR --workers 3` on a folder of two files failed with "... or train with fewer processes": the command's count of
    processes is --workers, so the refusal (and the note of rows left out by row groups that do not split evenly) say "lower
    --workers", through the streamed fit's option words; the estimators still say "train with fewer processes"."""
    import warnings

    import hiddenlayers as hl
    from hiddenlayers.cli._option_words import option_words
    from hiddenlayers.data import ParquetSource
    from hiddenlayers.estimators import refuse_unit_counts
    from hiddenlayers.estimators._stream_plan import plan_units

    for i, n in enumerate((40, 40, 400, 40, 40)):
        folder = tmp_path / ("two" if i < 2 else "uneven")
        folder.mkdir(exist_ok=True)
        pd.DataFrame({"a": range(n), "y": [0.0, 1.0] * (n // 2)}).to_parquet(folder / f"p{i}.parquet")
    two = ParquetSource(str(tmp_path / "two"), target="y")
    with pytest.raises(ValueError, match="or train with fewer processes[.]$") as caught:
        refuse_unit_counts(two, False, 0.1, 3)
    said = str(train_stream._training_failed(caught.value))
    assert said.startswith(f"training failed: {two.path} has 2 row group(s) or CSV file(s) to train on, fewer than the 3 processes")
    assert said.endswith("or more files, or lower --workers.") and "processes." not in said, said
    uneven = ParquetSource(str(tmp_path / "uneven"), target="y")
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")
        plan_units(hl.MLPRegressor(early_stopping=False, batch_size=2), uneven, uneven.scan(), False, 2)
    words = [option_words(str(w.message), train_stream.stream_options()) for w in notes]
    assert [w.endswith("write smaller row groups (pyarrow's row_group_size=) or more files, or lower --workers.") for w in words] == [True], words
