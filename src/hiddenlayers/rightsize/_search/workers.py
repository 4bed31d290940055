"""Local workers of :func:`hiddenlayers.search` (``workers=N``): worker 0 in the calling process, workers 1..N-1 fresh processes.

Kept apart from ``search.py`` (the public surface) and ``run.py`` (the trial objective and the
worker loop both kinds of worker run): this module starts, watches, stops and reaps processes.

Why the caller is one of the workers: a fresh process spends about 3 CPU-s importing PyTorch,
scikit-learn and Optuna before its first trial, while the caller, which has them loaded, sat
waiting. Worker ``k`` seeds its sampler with ``seed + k`` (the caller is worker 0, seeded
``seed``), as the N processes of earlier versions were, so the seeds a search uses are the same.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from . import run  # its functions looked up at call time (tests replace write_job, run_worker's parts)
from .run import TrialSetup, failure_text


@contextlib.contextmanager
def limited_threads(n: int | None) -> Iterator[None]:
    """torch intra-op and BLAS threads set to ``n`` inside the block (``None``: unchanged), the caller's restored after."""
    if n is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(n):
            yield
    finally:
        torch.set_num_threads(before)


class ProgressCallback:
    """A Rich progress bar on stderr of the trials in the study (all workers'), out of ``total``; an Optuna callback."""

    def __init__(self, total: int) -> None:
        import sys

        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        from ..._rich_plain import console

        # Rich's default columns, the description read as plain text (_rich_plain's rule); stdout stays clean for pipes
        self.progress = Progress(TextColumn("{task.description}", style="progress.description", markup=False), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                                 console=console(file=sys.stderr), transient=True)
        self.task = self.progress.add_task("search", total=total)
        self.progress.start()

    def __call__(self, study: Any, trial: Any) -> None:
        done = len(study.get_trials(deepcopy=False))
        self.progress.update(self.task, completed=done)
        if done >= (self.progress.tasks[0].total or 0):
            self.progress.stop()


def run_workers(setup: TrialSetup, storage: Any, store: Any, name: str, directions: list[str], trials: int, seed: int,
                timeout: float | None, workers: int, progress: bool, study: Any) -> None:
    """Run study ``name`` of ``storage`` (a URL or path; ``store``: this process's Optuna storage of it) until it holds
    ``trials`` trials, in ``workers - 1`` fresh processes and this one, each on one thread; wait for the processes.

    A worker that fails (this one's error outside a trial, or a process's exit status) does not stop the others:
    once all are done, one RuntimeError names each failure and the kept log of its traceback. Ctrl-C (or any
    other BaseException) in this process stops and reaps the processes and goes on.
    """
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="hl-search-job-") as folder:
        job = run.write_job(setup, folder, os.fspath(storage), name, directions, trials, timeout)
        logs = [open(os.path.join(folder, f"worker{i}.log"), "w+") for i in range(1, workers)]
        procs = [subprocess.Popen([sys.executable, "-m", "hiddenlayers.rightsize._search.run", job, str(seed + i)], stdout=log, stderr=log)
                 for i, log in enumerate(logs, start=1)]
        bar = ProgressCallback(trials) if progress else None
        try:
            own = _own_worker(setup, store, name, directions, trials, seed, timeout, bar)
            _wait(procs, bar, study)
        except BaseException:
            _stop(procs)
            for log in logs:
                log.close()
            raise
        finally:
            if bar is not None:
                bar.progress.stop()
        failed = _failed_workers(own, procs, logs)
    if failed:
        raise RuntimeError(f"{len(failed)} search worker process(es) failed ({'; '.join(failed)}); completed trials are kept in the storage.")


def _own_worker(setup: TrialSetup, store: Any, name: str, directions: list[str], trials: int, seed: int, timeout: float | None,
                bar: ProgressCallback | None) -> tuple[str, str] | None:
    """Worker 0: :func:`~.run.run_worker` in this process on one torch and BLAS thread (the caller's settings restored after).

    Returns None, or ``(reason, traceback)`` of an error it raised outside a trial (an error inside one fails that
    trial alone, as in a worker process): reported with the processes' failures, not raised at once, so the
    processes' trials go on and are waited for. KeyboardInterrupt goes on.
    """
    import traceback

    try:
        with limited_threads(1):
            run.run_worker(setup, store, name, directions, trials, seed, timeout, threads=None, callbacks=[bar] if bar is not None else [])
    except Exception as exc:
        return failure_text(exc), traceback.format_exc()
    return None


def _wait(procs: list[Any], bar: ProgressCallback | None, study: Any) -> None:
    """Wait for the worker processes, updating ``bar`` from ``study`` every 0.2 s."""
    import time

    while any(p.poll() is None for p in procs):
        if bar is not None:
            bar(study, None)
        time.sleep(0.2)


def _stop(procs: list[Any], settle: float = 2.0, grace: float = 5.0) -> None:
    """Stop the worker processes and reap every one: those that end within ``settle`` seconds end on their own,
    the others get SIGTERM, then SIGKILL after ``grace`` seconds.

    Why wait first: a terminal's Ctrl-C reaches every process of the group, and each worker then fails its
    running trial as ``interrupted (Ctrl-C)`` and exits; a SIGTERM in that moment could cut its write. A process
    cut by SIGTERM leaves its running trial RUNNING; the next search on the storage fails it
    (:func:`~.storage.fail_dead_local_trials`): its finished trials are whole.
    """
    import subprocess
    import time

    deadline = time.monotonic() + settle
    while time.monotonic() < deadline and any(p.poll() is None for p in procs):
        time.sleep(0.05)
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _failed_workers(own: tuple[str, str] | None, procs: list[Any], logs: list[Any]) -> list[str]:
    """One line per failed worker, the logs closed: ``"this process: KeyError: 'x' (log: .../worker0.log)"`` for worker 0's
    ``own`` failure, ``"exit 1: KeyError: 'trials' (log: /tmp/hl-search-logs-.../worker1.log)"`` for a process's.

    Each failed worker's log (its traceback) is written into one kept folder whose path the line names:
    the job's temporary folder, where the processes wrote theirs, is removed when the search ends.
    """
    failed: list[str] = []
    kept: list[str] = []  # the kept folder, made at the first failure

    def keep(number: int, text: str) -> str:
        kept[:] = kept or [tempfile.mkdtemp(prefix="hl-search-logs-")]
        path = os.path.join(kept[0], f"worker{number}.log")
        with open(path, "w") as fh:
            fh.write(text)
        return path

    if own is not None:
        failed.append(f"this process: {own[0]} (log: {keep(0, own[1])})")
    for i, (p, log) in enumerate(zip(procs, logs), start=1):
        if p.returncode != 0:
            log.seek(0)
            text = log.read()
            tail = text.strip().splitlines()[-1:] or ["(no output)"]
            failed.append(f"exit {p.returncode}: {tail[0]} (log: {keep(i, text)})")
        log.close()
    return failed


__all__ = ["ProgressCallback", "limited_threads", "run_workers"]
