"""Peak resident memory of a child process, for the benchmarks that measure it (bench_scale.py, bench_stream_check.py)."""

from __future__ import annotations

import time
from typing import Any


def peak_rss(proc: Any, interval: float) -> int:
    """The largest RSS (bytes) of ``proc`` (a ``psutil.Popen``) seen by polling every ``interval`` seconds until it exits."""
    import psutil

    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(interval)
    return peak
