"""``train --workers``'s torchrun stops when its launcher dies, whatever kills the launcher.

The launcher starts torchrun in its own session (so that a Ctrl-C reaches the launcher alone, which passes one SIGINT on)
and passes SIGTERM and SIGHUP on to it. A SIGKILL cannot be caught: ``kill -9``, a scheduler's hard kill after its grace
period, or the out-of-memory killer choosing the launcher left torchrun and every worker training on, orphaned, to write
``--out`` and ``OUT.ckpt`` after the command had ended (and a re-run trained beside them on the same files). On Linux the
kernel's parent-death signal (``prctl(PR_SET_PDEATHSIG)``) sends torchrun SIGTERM when the launcher's thread that started it
ends, the path a passed-on SIGTERM takes: torchrun stops its workers, and the last whole epoch's checkpoint resumes.
Elsewhere (no ``prctl``) nothing is set, as before.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def stops_with_launcher() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that makes the child get SIGTERM when this process (the thread that
    starts it) ends, or None where the kernel has no parent-death signal. The C function is looked up here, before the fork;
    the child only calls it, then stops at once if this process ended before it could (its parent is another by then)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the launcher died between the fork and the prctl call
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child


__all__ = ["stops_with_launcher"]
