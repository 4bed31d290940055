"""Run a check as a user that file permissions apply to.

Root passes every permission check, so a test of a read-only folder or file
would prove nothing when the suite runs as root (containers, CI). There the
call runs in a forked child that drops to ``nobody`` first; everything it
uses must be imported before (``nobody`` may not read the interpreter's files).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

NOBODY = 65534


def _outcome(fn: Callable[[], str]) -> str:
    try:
        return fn()
    except Exception as exc:  # the test compares the message
        return f"{type(exc).__name__}: {exc}"


def run_unprivileged(fn: Callable[[], str], cwd: Path) -> str:
    """``fn()`` run in folder ``cwd`` without root's rights: its string, or ``"ExcType: message"`` when it raised.

    ``cwd`` is made searchable by others (a child dropped to ``nobody`` must
    enter it); give paths relative to it.
    """
    if os.geteuid() != 0:
        here = os.getcwd()
        os.chdir(cwd)
        try:
            return _outcome(fn)
        finally:
            os.chdir(here)
    cwd.chmod(0o755)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read)
            os.chdir(cwd)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(write, _outcome(fn).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        out = fh.read().decode()
    os.waitpid(pid, 0)
    return out


def read_only_places(root: Path) -> None:
    """Under ``root``: ``ro/``, a folder nobody but root may write, and ``rw/old.log``, an empty read-only file in a folder anyone may write."""
    (root / "ro").mkdir()
    (root / "rw").mkdir()
    (root / "rw" / "old.log").write_bytes(b"")
    (root / "rw" / "old.log").chmod(0o444)
    (root / "ro").chmod(0o555)
    (root / "rw").chmod(0o777)
