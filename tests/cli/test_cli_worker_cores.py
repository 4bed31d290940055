"""cli/_worker_cores: --workers N above the cores this process may use is one note before launch, with the fix."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

import hiddenlayers.cli._train_stream as train_stream
from hiddenlayers.cli._worker_cores import oversubscribed, usable_cores, worker_threads


def test_more_workers_than_cores_is_one_note_naming_both_counts_and_the_fix() -> None:
    assert oversubscribed(8, {}, cores=2) == (
        "--workers 8 starts 8 processes of 1 thread each (OMP_NUM_THREADS) on the 2 cores this process may use "
        "(os.sched_getaffinity): they will take turns on them, and every step waits for the slowest, so the run is slower "
        "than with fewer: use --workers 2 or fewer.")
    said = oversubscribed(2, {"OMP_NUM_THREADS": "4"}, cores=4)
    assert said is not None and "2 processes of 4 threads each" in said
    assert said.endswith("use --workers 1 or fewer, or a lower OMP_NUM_THREADS (now 4; the launcher's default is 1).")
    assert oversubscribed(2, {}, cores=2) is None and oversubscribed(2, {"OMP_NUM_THREADS": "2"}, cores=4) is None


@given(workers=st.integers(1, 64), threads=st.one_of(st.none(), st.text(max_size=4)), cores=st.integers(1, 64))
def test_a_note_exactly_when_the_busy_threads_pass_the_cores(workers: int, threads: str | None, cores: int) -> None:
    env = {} if threads is None else {"OMP_NUM_THREADS": threads}
    each = worker_threads(env)
    assert each >= 1 and (each == int(threads.strip()) if threads and threads.strip().isdigit() and int(threads.strip()) >= 1 else each == 1)
    assert (oversubscribed(workers, env, cores=cores) is None) == (workers * each <= cores)


def test_usable_cores_is_this_process_affinity() -> None:
    want = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == want


def test_the_launcher_says_it_before_any_worker_starts(monkeypatch, capsys) -> None:
    """No warning came before: N processes fought for fewer cores without a word."""
    started = []

    def no_launch(*args, **kwargs):
        started.append(args)
        raise RuntimeError("not launched in this test")

    monkeypatch.setattr(train_stream.subprocess, "Popen", no_launch)
    monkeypatch.setattr("hiddenlayers.cli._worker_cores.usable_cores", lambda: 2)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with pytest.raises(RuntimeError, match="not launched"):
        train_stream.launch_workers(3, 0, ["train", "d", "--workers", "3"])
    err = capsys.readouterr().err
    assert err.startswith("note: --workers 3 starts 3 processes of 1 thread each (OMP_NUM_THREADS) on the 2 cores") and started
    with pytest.raises(RuntimeError, match="not launched"):
        train_stream.launch_workers(2, 0, ["train", "d", "--workers", "2"])
    assert capsys.readouterr().err == ""
