"""search(workers=N): this process is worker 0 and N - 1 processes are started; its trials, errors, Ctrl-C and threads."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
import torch

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search import run as run_module
from hiddenlayers.rightsize._search.storage import make_storage

TINY = SearchSpace(layers=(1, 1), widths=(4, 8), batch_sizes=(32,), learning_rate_init=(3e-3, 3e-2))


def _count_processes(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen]:
    """The processes search() starts, recorded as it starts them."""
    started: list[subprocess.Popen] = []
    real = subprocess.Popen

    def popen(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    return started


def _pid(trial: optuna.trial.FrozenTrial) -> int | None:
    """The pid of the process that ran ``trial``; None for a trial whose process was stopped before its objective began."""
    return trial.user_attrs.get("worker", {}).get("pid")


def test_this_process_runs_trials_beside_n_minus_1_processes_on_one_thread(iris, tmp_path, monkeypatch) -> None:
    X, y = iris
    started = _count_processes(monkeypatch)
    storage = str(tmp_path / "s.log")
    real_fit = run_module.fit_or_interrupt
    seen = {"fits": 0}

    def fit(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen["fits"] += 1
        if seen["fits"] == 1:  # this process's first trial waits until the other worker has begun one: both take part, whatever the speeds
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not any(
                    t.user_attrs.get("worker", {}).get("pid") not in (None, os.getpid())
                    for t in optuna.load_study(study_name="w", storage=make_storage(storage)).get_trials(deepcopy=False)):
                time.sleep(0.1)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(run_module, "fit_or_interrupt", fit)
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        found = search(X, y, objectives=("score", "latency"), trials=3, space=TINY, max_epochs=2, cv=1, storage=storage,
                       study_name="w", workers=2, threads=2, min_peers=100, refit=False)
        assert torch.get_num_threads() == 3  # the caller's setting is back
    finally:
        torch.set_num_threads(before)
    # before: 2 processes were started and this one ran no trial
    assert len(started) == 1 and started[0].returncode == 0
    trials = found.study.get_trials()
    pids = {_pid(t) for t in trials}
    assert pids == {os.getpid(), started[0].pid}
    mine = [t for t in trials if _pid(t) == os.getpid()]
    assert mine and all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    # the two processes share the journal file: unique trial numbers (at most workers-1 extra), each with its values
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers)) >= 3 and found.n_complete == len(trials)
    assert all(t.values is not None and "hidden" in t.params for t in trials)
    assert b"hiddenlayers." not in (tmp_path / "s.log").read_bytes()  # no module named: moving one never breaks a resumed study
    # a worker trains on one thread (threads=2 is this process's alone: an in-process search and the refit)
    assert all(t.user_attrs["torch_threads"] == 1 and t.user_attrs["blas_threads"] in (1, None) for t in mine)


def test_a_trial_that_raises_in_this_process_fails_alone_as_in_a_worker_process(iris, tmp_path, monkeypatch) -> None:
    X, y = iris
    real_fit = run_module.fit_or_interrupt
    seen = {"fits": 0}

    def fit(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen["fits"] += 1
        if seen["fits"] == 1:
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(run_module, "fit_or_interrupt", fit)  # this process's trials only: the other worker imports its own
    found = search(X, y, trials=3, space=TINY, max_epochs=2, cv=1, storage=str(tmp_path / "s.log"), workers=2, refit=False)
    # before: this process ran no trial, so none failed
    failed = [t for t in found.study.get_trials() if t.state == optuna.trial.TrialState.FAIL]
    assert [(t.user_attrs["failed_because"], _pid(t)) for t in failed] == [("RuntimeError: mat1 and mat2 shapes cannot be multiplied",
                                                                             os.getpid())]
    assert found.n_failed == 1 and found.n_complete >= 2


def test_an_error_of_this_process_s_worker_is_reported_as_a_worker_process_s(iris, tmp_path, monkeypatch) -> None:
    X, y = iris
    real_write = run_module.write_job

    def broken_job(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        path = real_write(*args, **kwargs)
        Path(path).write_text("{}")  # the process fails reading it
        return path

    def broken_study(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyError("boom")  # this process's worker loop fails before any trial

    monkeypatch.setattr(run_module, "write_job", broken_job)
    monkeypatch.setattr(run_module, "create_or_load", broken_study)
    with pytest.raises(RuntimeError, match=r"^2 search worker process\(es\) failed \(this process: KeyError: 'boom' \(log: .*\); "
                                           r"exit 1: KeyError: 'arrays' \(log: .*\)\); completed trials are kept") as caught:
        search(X, y, trials=2, space=TINY, max_epochs=1, cv=1, refit=False, workers=2, storage=str(tmp_path / "s.log"))
    # before: this process ran no worker loop, so only the process's failure was said
    logs = [Path(part.split(")")[0]) for part in str(caught.value).split("(log: ")[1:]]
    assert [p.name for p in logs] == ["worker0.log", "worker1.log"] and logs[0].parent == logs[1].parent
    own = logs[0].read_text()
    assert own.startswith("Traceback") and "KeyError: 'boom'" in own  # the reason in the line, the traceback in the kept log
    for p in logs:
        p.unlink()
    logs[0].parent.rmdir()


def test_ctrl_c_in_this_process_s_trial_stops_and_reaps_the_processes(iris, tmp_path, monkeypatch) -> None:
    X, y = iris
    started = _count_processes(monkeypatch)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the job's folder, for this test only
    real_end = run_module.FoldScore.on_epoch_end

    def on_epoch_end(self, **kwargs):  # noqa: ANN001, ANN003, ANN202
        real_end(self, **kwargs)
        if len(self.curve) == 2:  # Ctrl-C at the second epoch of this process's first trial, inside the estimator's fit
            raise KeyboardInterrupt

    monkeypatch.setattr(run_module.FoldScore, "on_epoch_end", on_epoch_end)
    storage = f"sqlite:///{tmp_path / 's.db'}"
    with pytest.raises(KeyboardInterrupt):
        search(X, y, trials=4, space=TINY, max_epochs=6, cv=1, storage=storage, study_name="s", workers=2, refit=False)
    assert len(started) == 1 and started[0].returncode is not None  # stopped and reaped
    mine = [t for t in optuna.load_study(study_name="s", storage=storage).trials if _pid(t) == os.getpid()]
    assert [(t.state, t.user_attrs["failed_because"]) for t in mine] == [(optuna.trial.TrialState.FAIL, "interrupted (Ctrl-C)")]
    assert list((tmp_path / "tmp").iterdir()) == []  # the job's folder is gone


def test_a_worker_process_job_carries_the_validation_rows_and_weights(iris, tmp_path) -> None:
    """The job file's round trip, run here: with this process among the workers a two-worker search may run every trial itself."""
    from hiddenlayers.rightsize._search.heldout import HeldOut
    from hiddenlayers.rightsize._search.search import _trial_setup

    X, y = iris
    Xv, yv, wv = X[::3], y[::3], np.linspace(0.5, 2.0, len(y[::3]))
    setup, _, _ = _trial_setup(X, y, ("score",), TINY, task="auto", cv="auto", threads=None, max_params=None, max_flops=None,
                               max_epochs=1, validation_fraction=0.2, max_latency_us=None, warmup_epochs=5, min_peers=4,
                               random_state=0, patience=10, validation=(Xv, yv, wv))
    assert isinstance(setup.heldout, HeldOut)
    storage = str(tmp_path / "s.log")
    job = run_module.write_job(setup, str(tmp_path), storage, "v", ["maximize"], 1, None)
    before = torch.get_num_threads()
    try:
        run_module.worker_main(job, 0)
    finally:
        torch.set_num_threads(before)
    (trial,) = optuna.load_study(study_name="v", storage=make_storage(storage)).get_trials()
    assert trial.state == optuna.trial.TrialState.COMPLETE and trial.user_attrs["data"] == setup.data


def test_stopping_lets_a_process_that_is_ending_end_and_terminates_the_others() -> None:
    """After a terminal's Ctrl-C each worker fails its trial and exits by itself: no SIGTERM cuts that write."""
    import signal
    import sys

    from hiddenlayers.rightsize._search.workers import _stop

    ending = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.1)"])
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    _stop([ending, stuck], settle=3.0)
    # before (terminate at once): both ended by SIGTERM
    assert (ending.returncode, stuck.returncode) == (0, -signal.SIGTERM)
