"""A journal file whose last record was cut short: refused before a search writes to it.

Why: Optuna's journal reader skips a last line without its newline (a record a worker is still writing, or one a full
disk or a crash cut short), but its writer appends the next record right after those bytes. The torn record and the new
one then make one line that is not JSON, with records after it, and Optuna refuses the whole journal from then on
("Expecting ',' delimiter"): resuming a search from such a file destroyed every trial it held. The check is made under
the journal's own lock, so the record of a worker writing at that moment is never taken for a torn one.
"""

from __future__ import annotations

import os

_BLOCK = 1 << 16  # bytes read at a time, from the end, looking for the last newline


def torn_tail(path: str) -> int | None:
    """The size of ``path``'s complete lines when bytes follow its last newline (a record cut short), else None
    (no file, an empty one, or one that ends with a newline)."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return None
    with fh:
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return None
        fh.seek(end - 1)
        if fh.read(1) == b"\n":
            return None
        start = end
        while start > 0:
            start = max(0, start - _BLOCK)
            fh.seek(start)
            block = fh.read(min(_BLOCK, end - start))
            cut = block.rfind(b"\n")
            if cut >= 0:
                return start + cut + 1
        return 0


def check_journal_tail(path: str, lock: object) -> None:
    """Raise ``ValueError`` (one line: the file, what happened, the command that mends it) when the journal ``path``
    ends in a record cut short; checked holding ``lock`` (the backend's ``JournalFileOpenLock``: ``acquire``/``release``),
    so no worker is writing (taken only where the file seems torn). Nothing is written to the file."""
    if torn_tail(path) is None:  # the usual case, decided without the lock: nothing follows the last newline
        return
    lock.acquire()  # type: ignore[attr-defined]
    try:  # again, holding the lock: a worker's record being written has its newline once the lock is free
        kept = torn_tail(path)
        size = os.path.getsize(path) if kept is not None else 0
    finally:
        lock.release()  # type: ignore[attr-defined]
    if kept is None:
        return
    raise ValueError(
        f"storage: the journal '{path}' ends in a record cut short ({size - kept} bytes after its last complete line: a search "
        "stopped by a full disk or a crash while writing it), and the next trial would be written onto it, making the whole "
        f"journal unreadable. Remove those bytes (every complete trial stays): {truncate_command(path, kept)}, then run the search again."
    )


def truncate_command(path: str, size: int) -> str:
    """A shell command that cuts the file ``path`` to ``size`` bytes: ``python -c 'import os; os.truncate("PATH", SIZE)'``,
    quoted for a POSIX shell (the path a JSON string, which Python reads alike, so the usual one holds no single quote).

    Why: the code was put in double quotes around ``repr(path)``, so a path holding a quote (``repr`` then uses double
    quotes), a ``$`` or a backtick broke the command, or had the shell expand it, when pasted as printed.

    Parameters
    ----------
    path : str
        The file.
    size : int
        Its size afterwards, in bytes.
    """
    import json
    import shlex

    return f"python -c {shlex.quote(f'import os; os.truncate({json.dumps(path, ensure_ascii=False)}, {size})')}"


__all__ = ["check_journal_tail", "torn_tail", "truncate_command"]
