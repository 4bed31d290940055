"""CSV/TSV records with their file line numbers and field counts, for :func:`hiddenlayers.data.read_table`.

pandas' fast reader pads a short row with NaN and, when the first data row
is long, silently truncates it: neither can be reported. This module reads
the file with the :mod:`csv` module (the same quoting rules as pandas) to
learn, for every record, where it starts and how many fields it has, so rows
of the wrong width can be dropped *and named*. It is slower than pandas, so
:func:`hiddenlayers.data.read_table` calls it only when pandas' own result
shows a ragged row may exist, or when line numbers are asked for.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Records:
    """Every non-blank record of a delimited file after its header.

    ``start``: 1-based file line on which each record begins (header = line 1);
    ``fields``: its number of fields; ``span``: ``(first, end)`` 0-based line
    slice of each record in ``lines``; ``width``: the header's field count.
    Blank lines (only spaces, or tabs when the delimiter is a comma) are
    skipped, as pandas skips them.
    """

    lines: list[str]
    header_end: int
    width: int
    start: np.ndarray
    fields: np.ndarray
    span: np.ndarray

    def text(self, keep: np.ndarray) -> str:
        """The header plus the records where ``keep`` (bool, one per record) is true, as CSV text."""
        parts = self.lines[: self.header_end]
        for first, end in self.span[keep]:
            parts.extend(self.lines[first:end])
        return "".join(parts)


def scan(path: Path, sep: str) -> Records:
    """Read ``path`` record by record. Raises ``ValueError`` (with a one-line reason) on text the csv module cannot parse."""
    text = path.read_text(encoding="utf-8-sig")
    lines = list(io.StringIO(text, newline=""))  # split on \n, \r\n or \r; kept verbatim
    reader = csv.reader(lines, delimiter=sep, skipinitialspace=True, strict=False)
    blank_chars = " \t\r\n".replace(sep, "")
    width, header_end = 0, 0
    start: list[int] = []
    fields: list[int] = []
    span: list[tuple[int, int]] = []
    first = 0
    try:
        for row in reader:
            end = reader.line_num  # lines consumed so far: this record is lines[first:end]
            blank = end - first == 1 and not lines[first].strip(blank_chars)
            if not blank:
                if header_end == 0:
                    width, header_end = len(row), end
                else:
                    start.append(first + 1)
                    fields.append(len(row))
                    span.append((first, end))
            first = end
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from None
    return Records(
        lines=lines, header_end=header_end, width=width,
        start=np.asarray(start, dtype=np.int64), fields=np.asarray(fields, dtype=np.int64),
        span=np.asarray(span, dtype=np.int64).reshape(-1, 2),
    )
