"""What torchrun's failure summary says of a worker that died without a word (``kill -9``, the out-of-memory killer, a crash).

A worker that fails on its own prints ``error: ...``, which the launcher shows. One killed by a signal prints nothing: the
launcher then said only that the workers failed, and over several machines pointed at "the other machines' output", though
the rank had died on this one. torchrun's agent does know: its ``ChildFailedError`` ends with a summary whose
``Root Cause (first observed failure)`` block names the rank and its exit code, negative for a signal (torch 2.13's
``_FAILURE_FORMAT_TEMPLATE``: ``rank      : 0 (local_rank: 0)``, ``exitcode  : -9 (pid: 123)  (SIGKILL)``).
"""

from __future__ import annotations

import re
import signal

_ROOT = "Root Cause (first observed failure):"
_RANK = re.compile(r"^\s*rank\s*:\s*(\d+)\s*\(local_rank:\s*(\d+)\)")
_EXIT = re.compile(r"^\s*exitcode\s*:\s*(-?\d+)")


def died(stderr: str, resume: str, *, errors_said: bool = False) -> str | None:
    """The one line for the worker torchrun's summary in ``stderr`` names as the first to fail, or None without a summary.

    ``resume``: what a re-run does, said after a signal (the run stopped from outside, not for a reason of its own).
    ``errors_said``: a worker printed an ``error:`` line (an internal error, say): then an exit status is no news, and only a
    signal is said (None otherwise)."""
    if _ROOT not in stderr:
        return None
    rank = code = None
    for line in stderr[stderr.rindex(_ROOT):].splitlines():
        if rank is None and (m := _RANK.match(line)):
            rank = (int(m.group(1)), int(m.group(2)))
        elif rank is not None and (m := _EXIT.match(line)):
            code = int(m.group(1))
            break
    if rank is None or code is None:
        return None
    who = f"rank {rank[0]} (local rank {rank[1]} on this machine)"
    if code < 0:
        return (f"{who} was killed by {_signal_name(-code)} and said nothing: something stopped it from outside (the system's "
                f"out-of-memory killer sends SIGKILL: `dmesg` says; or a kill, a scheduler); {resume}.")
    if errors_said:
        return None
    return (f"{who} exited with status {code} and said nothing (a crash in native code, or a call to exit): run on one machine "
            "with --workers 1 to see its output.")


def _signal_name(number: int) -> str:
    """``SIGKILL (signal 9)``, or ``signal 99`` for a number with no name."""
    try:
        return f"{signal.Signals(number).name} (signal {number})"
    except ValueError:
        return f"signal {number}"


__all__ = ["died"]
