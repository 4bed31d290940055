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
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Lines :func:`first_row_is_ragged` reads; a header plus first record longer than this goes to the exact scan.
HEAD_LINES = 200


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


def _records(lines: list[str], sep: str) -> Iterator[tuple[int, int, int]]:
    """``(first, end, fields)`` of each non-blank record in ``lines`` (0-based line slice), header included."""
    reader = csv.reader(lines, delimiter=sep, skipinitialspace=True, strict=False)
    blank_chars = " \t\r\n".replace(sep, "")
    first = 0
    try:
        for row in reader:
            end = reader.line_num  # lines consumed so far: this record is lines[first:end]
            if not (end - first == 1 and not lines[first].strip(blank_chars)):
                yield first, end, len(row)
            first = end
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from None


def scan(path: Path, sep: str) -> Records:
    """Read ``path`` record by record. Raises ``ValueError`` (with a one-line reason) on text the csv module cannot parse."""
    text = path.read_text(encoding="utf-8-sig")
    lines = list(io.StringIO(text, newline=""))  # split on \n, \r\n or \r; kept verbatim
    records = _records(lines, sep)
    first, header_end, width = next(records, (0, 0, 0))
    rows = np.asarray(list(records), dtype=np.int64).reshape(-1, 3)
    return Records(lines=lines, header_end=header_end, width=width, start=rows[:, 0] + 1, fields=rows[:, 2], span=rows[:, :2])


def first_row_is_ragged(path: Path, sep: str) -> bool:
    """Whether the first data record's field count differs from the header's.

    pandas (with ``index_col=False``) drops the extra fields of the *first*
    data row without a word when they are empty (``1,2,`` under ``a,b``), so
    its result alone cannot show it; reading two records costs next to nothing.
    """
    with path.open(encoding="utf-8-sig", newline="") as f:
        lines = list(itertools.islice(f, HEAD_LINES))
        at_end = not f.readline()
    found = list(itertools.islice(_records(lines, sep), 2))
    if len(found) < 2:
        return not at_end  # no complete first record in the first lines: let the exact scan decide
    return found[1][1] == len(lines) and not at_end or found[0][2] != found[1][2]
