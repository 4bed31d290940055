"""Where a streamed check's rows are in the user's files: each finding's rows as file and line.

The streamed check numbers rows across the files in reading order (0-based, as
:func:`~.check.check` numbers the concatenated table: the JSON's ``rows``). A user
opens one file, so :func:`located_findings` gives each finding what ``check FILE``
gives (:func:`.common.located`): ``lines`` (a CSV file's line, header = line 1, or a
Parquet file's data row counted from 1, as ``line_unit`` says), ``details["files"]``
(the file of each row), and a message naming them, ``'a.csv' lines 7, 9; 'b.csv' line 3``,
instead of ``rows 5, 7, 12``.

>>> from hiddenlayers.data import Finding
>>> f = Finding("missing_rows", "warning", "2 row(s) miss values: rows 1, 4", "drop them", rows=(1, 4))
>>> located_findings([f], [(0, "a.parquet", 0), (3, "b.parquet", 0)], rows_lines)[0].message
"2 row(s) miss values: 'a.parquet' row 2; 'b.parquet' row 2"
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace

from .common import LINE_FINDINGS, Finding

#: ``lines_of(file, rows)``: ``(unit, numbers)``, the line (``"line"``) or 1-based data row (``"row"``) of each
#: 0-based row of ``file`` (rows among those read from that file).
LinesOf = Callable[[str, list[int]], tuple[str, list[int]]]


def rows_lines(file: str, rows: list[int]) -> tuple[str, list[int]]:
    """:data:`LinesOf` of a file without lines (Parquet): its data rows, counted from 1."""
    return "row", [r + 1 for r in rows]


def located_findings(found: list[Finding], starts: list[tuple[int, str, int]], lines_of: LinesOf) -> list[Finding]:
    """``found`` with each finding's rows named by file and line (see the module docstring).

    ``starts``: ``(stream row, file, row of that file)`` at the start of each record batch, in reading order.
    ``lines_of`` is called once per file for the rows of every finding (one read of a CSV file up to its last such row).
    Findings about file lines already (``ragged_rows``) or about other data are returned as they are.
    """
    todo = [f for f in found if _has_stream_rows(f) and starts]
    keys = [s for s, _, _ in starts]
    where: dict[int, tuple[str, int]] = {}  # stream row -> (file, row of that file)
    for r in {r for f in todo for r in f.rows}:
        s, file, first = starts[max(0, bisect_right(keys, r) - 1)]  # the last batch starting at or before r (an empty one never does)
        where[r] = (file, first + r - s)
    per_file: dict[str, list[int]] = {}
    for file, row in where.values():
        per_file.setdefault(file, []).append(row)
    line: dict[tuple[str, int], int] = {}
    units: dict[str, str] = {}  # file -> "line" or "row"
    for file, rows in per_file.items():
        units[file], got = lines_of(file, sorted(rows))
        line.update({(file, row): int(v) for row, v in zip(sorted(rows), got)})
    ids = {id(f) for f in todo}
    return [_located(f, where, line, units) if id(f) in ids else f for f in found]


def _has_stream_rows(f: Finding) -> bool:
    """Whether ``f``'s rows are rows of the streamed table (not file lines already, nor rows of other data)."""
    return bool(f.rows) and f.check not in LINE_FINDINGS and not f.check.startswith("against_") and not f.details.get("rows_refer_to")


def _located(f: Finding, where: dict[int, tuple[str, int]], line: dict[tuple[str, int], int], units: dict[str, str]) -> Finding:
    files = [where[r][0] for r in f.rows]
    unit = units[files[0]]  # one source reads one format
    lines = [line[where[r]] for r in f.rows]
    text = _words(files[:5], lines[:5], unit)
    head = re.escape(", ".join(str(r) for r in f.rows[:5]))
    pattern = re.compile(rf"rows {head}(?P<more> \(\+\d+ more\))?(?:; first at '[^']*' (?:line|row) \d+)?")
    message = pattern.sub(lambda m: text + (m.group("more") or ""), f.message, count=1)
    return replace(f, message=message, lines=tuple(lines), line_unit=unit, details={**f.details, "files": files})


def _words(files: list[str], lines: list[int], unit: str) -> str:
    """``"'a.csv' lines 7, 9; 'b.csv' line 3"``: consecutive rows of one file named together."""
    parts: list[tuple[str, list[int]]] = []
    for file, n in zip(files, lines):
        if parts and parts[-1][0] == file:
            parts[-1][1].append(n)
        else:
            parts.append((file, [n]))
    return "; ".join(f"'{file}' {unit}{'s' if len(ns) > 1 else ''} {', '.join(map(str, ns))}" for file, ns in parts)
