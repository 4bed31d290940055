"""A cheap fingerprint of the files behind a :class:`~._stream.ParquetSource`, and what changed between two of them.

A streamed fit's checkpoint records it, so that a run resumed on other files (one added, removed, rewritten) is refused
instead of going on silently with the statistics, units and epochs of the old ones. Nothing is read but what the source
has read already when it was made: each file's size and modification time (``os.stat``) and, for Parquet, its rows from
the footers (its row groups' counts). Paths are relative to the folder holding the files, so a folder moved or named
another way (``data/`` or ``/abs/data``) has the same fingerprint; a copy that did not keep the modification times does not.

The fingerprint is plain data (``{"files": {relative path: {"bytes", "mtime_ns", "rows"}}}``, rows None for CSV), saved in
the checkpoint as it is (``torch.save`` of lists, dicts and numbers, read back with ``weights_only=True``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def fingerprint(files: Sequence[str], rows: dict[str, int] | None) -> dict[str, Any]:
    """The fingerprint of ``files`` (their paths as the source lists them); ``rows``: each file's rows from its metadata
    (Parquet), or None (CSV: counting would read every line)."""
    root = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
    out: dict[str, Any] = {}
    for f in files:
        st = os.stat(f)
        rel = os.path.relpath(os.path.abspath(f), root).replace(os.sep, "/")
        out[rel] = {"bytes": int(st.st_size), "mtime_ns": int(st.st_mtime_ns), "rows": None if rows is None else int(rows.get(f, 0))}
    return {"files": out}


def fingerprint_change(old: Any, new: dict[str, Any]) -> str | None:
    """What differs from the fingerprint ``old`` (a checkpoint's) to ``new`` (the files now), in words, or None when nothing does.

    The first difference found is named, in this order: files added, files removed, rows, size, modification time.
    ``old`` that is not a fingerprint (a damaged record) reads as "recorded no files"."""
    was = old.get("files") if isinstance(old, dict) else None
    if not isinstance(was, dict):
        return "the checkpoint's record of its files cannot be read"
    now = new["files"]
    added, removed = sorted(set(now) - set(was)), sorted(set(was) - set(now))
    if added:
        return f"{_names(added)} {'was' if len(added) == 1 else 'were'} added"
    if removed:
        return f"{_names(removed)} {'is' if len(removed) == 1 else 'are'} gone"
    for name in sorted(now):
        a, b = was[name] if isinstance(was[name], dict) else {}, now[name]
        if a.get("rows") is not None and b["rows"] is not None and a.get("rows") != b["rows"]:
            return f"'{name}' holds {b['rows']:,} rows, not {_number(a.get('rows'))}"
        if a.get("bytes") != b["bytes"]:
            return f"'{name}' is {b['bytes']:,} bytes, not {_number(a.get('bytes'))}"
        if a.get("mtime_ns") != b["mtime_ns"]:
            return f"'{name}' was modified after the checkpoint's run read it (its modification time changed)"
    return None


def _number(n: Any) -> str:
    """``n`` with thousands separators, or "?" for a value that is no count (a damaged record)."""
    return f"{n:,}" if isinstance(n, int) else "?"


def _names(names: list[str]) -> str:
    """Up to three file names quoted, then how many more: ``'a.parquet', 'b.parquet' and 4 more``."""
    shown = ", ".join(f"'{n}'" for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


__all__ = ["fingerprint", "fingerprint_change"]
