"""``--workers N`` against the cores this process may run on: more busy threads than cores is said before launch.

The launcher gives each worker ``OMP_NUM_THREADS=1`` unless the environment sets it (PyTorch's intra-op threads and the
BLAS read it), so ``N`` workers keep ``N x OMP_NUM_THREADS`` threads busy. Past the cores this process may use
(``os.sched_getaffinity``: a container's or ``taskset``'s limit, not the machine's count), they take turns on them, and
since every step waits for the slowest rank at its all-reduce, a run of 8 workers on 2 cores is slower than one of 2.
Nothing stopped or said so; :func:`oversubscribed` is the one line that does, with the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: what the launcher sets when the environment sets nothing (``_train_stream.launch_workers``)
DEFAULT_THREADS = "1"


def usable_cores() -> int:
    """The cores this process may run on (``os.sched_getaffinity``), or ``os.cpu_count()`` where that is unknown (macOS)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_threads(env: Mapping[str, str]) -> int:
    """Threads each worker runs on: ``OMP_NUM_THREADS`` as the launcher passes it (``1`` unless ``env`` sets it; a value
    that is not a whole number >= 1 counts as 1, as the workers' libraries then fall back to their own)."""
    value = env.get("OMP_NUM_THREADS", DEFAULT_THREADS).strip()
    return int(value) if value.isdigit() and int(value) >= 1 else 1


def oversubscribed(workers: int, env: Mapping[str, str], cores: int | None = None) -> str | None:
    """The note for ``workers`` processes of :func:`worker_threads` threads each on ``cores`` (default :func:`usable_cores`)
    when they are more than the cores, naming the counts and the fix; None when they fit."""
    cores = usable_cores() if cores is None else cores
    threads = worker_threads(env)
    if workers * threads <= cores:
        return None
    fix = f"use --workers {max(1, cores // threads)} or fewer"
    if threads > 1:
        fix += f", or a lower OMP_NUM_THREADS (now {threads}; the launcher's default is 1)"
    each = f"{threads} thread{'' if threads == 1 else 's'} each (OMP_NUM_THREADS)"
    return (f"--workers {workers} starts {workers} processes of {each} on the {cores} core{'' if cores == 1 else 's'} this process "
            f"may use (os.sched_getaffinity): they will take turns on them, and every step waits for the slowest, so the run is "
            f"slower than with fewer: {fix}.")


__all__ = ["oversubscribed", "usable_cores", "worker_threads"]
