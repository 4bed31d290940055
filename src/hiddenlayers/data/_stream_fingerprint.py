"""A cheap fingerprint of the files behind a :class:`~._stream.ParquetSource`, and what changed between two of them.

A streamed fit's checkpoint records it (for its training files and for a validation source's), so that a run resumed
on other files (one added, removed, rewritten) is refused instead of going on silently with the statistics, units,
epochs and early-stopping state of the old ones. Nothing is read but the files' metadata: each file's size and
modification time (``os.stat``) and, for Parquet, its rows from the footers (its row groups' counts) and a digest of its
footer's bytes (SHA-256 of the Thrift footer the file ends with: one small read; it holds every column chunk's sizes,
offsets and statistics). A rewrite with other rows, columns, row groups or extremes changes it; one that changes a few
values inside their column's range usually does not (pyarrow's plain-encoded doubles keep their chunk's size whatever the
values, and a flipped label in a dictionary-encoded column kept it too): such an edit in place is not seen, and the docs
say to delete the checkpoint after one. Paths are relative to the folder
holding the files, so a folder moved or named another way (``data/`` or ``/abs/data``) has the same fingerprint.

What identifies a file: for Parquet its size, rows and footer digest, not its modification time, so a copy that did not
keep times (``cp`` without ``-p``, a download, a checkout) still resumes; for CSV, whose rows would take a read of every
line, its size and modification time. A record written before footers were digested (no ``"footer"``) is judged by the
modification time, as it was then.

The fingerprint is plain data (``{"files": {relative path: {"bytes", "mtime_ns", "rows", "footer"}}}``, rows and footer
None for CSV), saved in the checkpoint as it is (``torch.save`` of lists, dicts, numbers and text, read back with
``weights_only=True``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

from .._files import is_parquet_magic  # plain, or an encrypted footer (its bytes are hashed alike)


def footer_digest(path: str) -> str | None:
    """The first 16 hex digits of the SHA-256 of the Parquet file ``path``'s footer (the ``length`` bytes before its last 8:
    a 4-byte little-endian length and the magic), or None where the file does not end as a Parquet file does."""
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size < 12:
            return None
        fh.seek(size - 8)
        tail = fh.read(8)
        length = int.from_bytes(tail[:4], "little")
        if not is_parquet_magic(tail[4:]) or length > size - 12:
            return None
        fh.seek(size - 8 - length)
        return hashlib.sha256(fh.read(length)).hexdigest()[:16]


def fingerprint(files: Sequence[str], rows: dict[str, int] | None) -> dict[str, Any]:
    """The fingerprint of ``files`` (their paths as the source lists them); ``rows``: each file's rows from its metadata
    (Parquet: its footer is digested too), or None (CSV: counting would read every line)."""
    root = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
    out: dict[str, Any] = {}
    for f in files:
        st = os.stat(f)
        rel = os.path.relpath(os.path.abspath(f), root).replace(os.sep, "/")
        out[rel] = {"bytes": int(st.st_size), "mtime_ns": int(st.st_mtime_ns), "rows": None if rows is None else int(rows.get(f, 0)),
                    "footer": None if rows is None else footer_digest(f)}
    return {"files": out}


def fingerprint_change(old: Any, new: dict[str, Any]) -> str | None:
    """What differs from the fingerprint ``old`` to ``new``, in words, or None when nothing does.

    The first difference found is named, in this order: files added, files removed, rows, size, then the footer digest
    where both record one (Parquet), else the modification time (CSV, or a record without footer digests).

    Parameters
    ----------
    old : object
        A checkpoint's fingerprint (one that is not a fingerprint, a damaged record, reads as "cannot be read").
    new : dict
        The files' fingerprint now.
    """
    was = old.get("files") if isinstance(old, dict) else None
    if not isinstance(was, dict):
        return "the checkpoint's record of its files cannot be read"
    now = new["files"]
    membership = _membership(was, now, ("was added", "were added"), ("is gone", "are gone"))
    if membership is not None:
        return membership
    for name in sorted(now):
        a, b = was[name] if isinstance(was[name], dict) else {}, now[name]
        if a.get("rows") is not None and b["rows"] is not None and a.get("rows") != b["rows"]:
            return f"'{name}' holds {b['rows']:,} rows, not {_number(a.get('rows'))}"
        if a.get("bytes") != b["bytes"]:
            return f"'{name}' is {b['bytes']:,} bytes, not {_number(a.get('bytes'))}"
        if a.get("footer") is not None and b.get("footer") is not None:
            if a["footer"] != b["footer"]:
                return f"'{name}' was rewritten after the checkpoint's run read it (its Parquet footer changed)"
        elif a.get("mtime_ns") != b["mtime_ns"]:
            return f"'{name}' was modified after the checkpoint's run read it (its modification time changed)"
    return None


def machine_difference(rank_0s: dict[str, Any], ours: dict[str, Any]) -> str | None:
    """What differs from rank 0's files to this machine's, in words ("there": this machine), or None.

    Modification times are not compared: copies on two machines rarely share them. So a Parquet file is told by its size,
    rows and footer digest, a CSV file by its size alone.

    Parameters
    ----------
    rank_0s : dict
        Rank 0's fingerprint's ``"files"``.
    ours : dict
        This machine's.
    """
    membership = _membership(rank_0s, ours, ("is there and not on rank 0's machine", "are there and not on rank 0's machine"),
                             ("is on rank 0's machine and not there", "are on rank 0's machine and not there"))
    if membership is not None:
        return membership
    for name in sorted(ours):
        a, b = rank_0s[name] if isinstance(rank_0s[name], dict) else {}, ours[name]
        if a.get("rows") != b["rows"]:
            return f"'{name}' holds {_number(b['rows'])} rows there, {_number(a.get('rows'))} on rank 0's machine"
        if a.get("bytes") != b["bytes"]:
            return f"'{name}' is {_number(b['bytes'])} bytes there, {_number(a.get('bytes'))} on rank 0's machine"
        if a.get("footer") != b["footer"]:
            return f"'{name}' holds other values there (its Parquet footer differs from rank 0's)"
    return None


def _membership(was: dict[str, Any], now: dict[str, Any], added: tuple[str, str], removed: tuple[str, str]) -> str | None:
    """The files in ``now`` and not in ``was``, said with ``added`` (the words after one name, after several), else those
    in ``was`` and not in ``now`` with ``removed``; None when both hold the same paths."""
    new, gone = sorted(set(now) - set(was)), sorted(set(was) - set(now))
    if new:
        return f"{_names(new)} {added[len(new) > 1]}"
    if gone:
        return f"{_names(gone)} {removed[len(gone) > 1]}"
    return None


def retimed(old: Any, new: dict[str, Any]) -> list[str]:
    """The Parquet files of ``new`` that ``old`` records with the same footer digest but another modification time, sorted.

    A copy that did not keep times, or a file edited in place inside its columns' ranges (the footer holds no digest of
    the values), which :func:`fingerprint_change` cannot tell apart and lets resume. The caller says so.

    Parameters
    ----------
    old, new
        As :func:`fingerprint_change` takes them.
    """
    was = old.get("files") if isinstance(old, dict) else None
    if not isinstance(was, dict):
        return []
    return [name for name, b in sorted(new["files"].items()) if isinstance(was.get(name), dict) and b.get("footer") is not None
            and was[name].get("footer") == b["footer"] and was[name].get("mtime_ns") != b["mtime_ns"]]


def _number(n: Any) -> str:
    """``n`` with thousands separators, or "?" for a value that is no count (a damaged record)."""
    return f"{n:,}" if isinstance(n, int) else "?"


def _names(names: list[str]) -> str:
    """Up to three file names quoted, then how many more: ``'a.parquet', 'b.parquet' and 4 more``."""
    shown = ", ".join(f"'{n}'" for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


__all__ = ["fingerprint", "fingerprint_change", "footer_digest", "machine_difference", "retimed"]
