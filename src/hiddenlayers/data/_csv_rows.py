"""CSV/TSV records with their file line numbers and field counts: the one scanner for ragged rows.

:func:`hiddenlayers.data.read_table` (behind every command) drops the records
it marks ragged, and the data check's ``ragged_rows`` and ``empty_rows``
findings are made from the same :class:`Records`, so both name the same lines.

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
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

#: Lines :func:`first_row_is_ragged` reads; a header plus first record longer than this goes to the exact scan.
HEAD_LINES = 200


@dataclass(frozen=True)
class Records:
    """Every non-blank record of a delimited file after its header.

    ``start``: 1-based file line on which each record begins (header = line 1);
    ``fields``: its number of fields; ``width``: the header's field count (0
    for a file of blank lines); ``blank``: 1-based lines after the header that
    are blank (only spaces, or tabs when the delimiter is a comma), which are
    no records, as pandas skips them. The rule for ragged records lives here:
    :attr:`short` and :attr:`long`.
    """

    width: int
    start: np.ndarray
    fields: np.ndarray
    keep_only: Callable[[np.ndarray], IO[Any]]
    blank: np.ndarray

    @property
    def short(self) -> np.ndarray:
        """Records with fewer fields than the header (bool, one per record)."""
        return self.fields < self.width

    @property
    def long(self) -> np.ndarray:
        """Records with more fields than the header (bool, one per record)."""
        return self.fields > self.width

    def kept(self, keep: np.ndarray) -> IO[Any]:
        """The header plus the records where ``keep`` (bool, one per record) is true, as a file for pandas."""
        return self.keep_only(keep)


class OpenQuote(ValueError):
    """A quote opened on line :attr:`line` (1-based) is never closed: the csv module reads the rest of the file into one field."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} opens a quote that is never closed")
        self.line = line

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.line,), self.__dict__  # pickle rebuilds from these, not from args (the message)

    def message(self, shown: str) -> str:
        """The one-line error for the file ``shown``: where the quote opens, what it did, and the fix."""
        return f"'{shown}': {self}, so the rest of the file reads as one value: close the quote (or double it, \"\", inside a quoted value)."


def _check_last_record(lines: list[str], first: int, sep: str) -> None:
    """Raise :class:`OpenQuote` if the record from 0-based line ``first`` to the end of ``lines`` ends inside a quote.

    With ``strict=False`` the csv module ends such a field at the end of the
    file without a word; parsed again strictly, it says "unexpected end of data".
    """
    try:
        for _ in csv.reader(lines[first:], delimiter=sep, skipinitialspace=True, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise OpenQuote(first + 1) from None


def open_quote_line(lines: Iterable[str], sep: str = ",") -> int | None:
    """The 1-based line whose quote is still open at the end of ``lines``, else None.

    A quote opens a value only at its start (after the separator or a line
    end); inside one, ``""`` is a quote and a lone ``"`` closes it. Lines
    without a quote are skipped whole, so a large file is cheap to check.
    """
    quoted, opened, start = False, 0, True
    for n, line in enumerate(lines, 1):
        quoted, start, opens = _quotes(line, quoted, start, sep)
        if opens:
            opened = n
    return opened if quoted else None


def _quotes(line: str, quoted: bool, start: bool, sep: str) -> tuple[bool, bool, bool]:
    """The quote state after ``line``: ``(quoted, start, opens)`` from the state before it.

    ``quoted``: inside a quoted value; ``start``: at the start of a value (a
    quote there opens one); ``opens``: a quote opened on this line.
    """
    if '"' not in line:
        return quoted, not quoted, False
    opens = False
    i = 0
    while i < len(line):
        c = line[i]
        if quoted:
            if c == '"':
                if line.startswith('"', i + 1):
                    i += 1  # a doubled quote inside the value
                else:
                    quoted = False
        elif c == '"' and start:
            quoted, opens = True, True
        start = not quoted and c in (sep, "\n", "\r")
        i += 1
    return quoted, start, opens


def record_lines(lines: Iterable[str], numbers: Collection[int], sep: str = ",") -> dict[int, int]:
    """The 1-based file line on which each record of ``numbers`` starts, as pyarrow numbers records.

    pyarrow's ``InvalidRow.number`` counts records from 1 (the header) and
    skips empty lines, so after a blank line it is not the file line that
    :func:`hiddenlayers.data.read_table` names; a record whose quoted value
    holds a line break spans lines. ``lines`` keep their line ends (a file
    opened with ``newline=""``); numbers past the last record are left out.
    """
    wanted, found = set(numbers), {}
    record, quoted, start = 0, False, True
    for n, line in enumerate(lines, 1):
        if not quoted:  # a record starts here, unless the line is empty
            if not line.rstrip("\r\n"):
                continue
            record += 1
            if record in wanted:
                found[record] = n
                if len(found) == len(wanted):
                    break
        quoted, start, _ = _quotes(line, quoted, start, sep)
    return found


def ends_in_quote(text: str) -> bool:
    """Whether the CSV record ``text`` (pyarrow's raw text of one row) ends inside a quoted value."""
    return '"' in text and open_quote_line(io.StringIO(text, newline="")) is not None


def _records(lines: list[str], sep: str, blank: list[int] | None = None) -> Iterator[tuple[int, int, int]]:
    """``(first, end, fields)`` of each non-blank record in ``lines`` (0-based line slice), header included.

    The 0-based index of each blank line is appended to ``blank`` when given.
    """
    reader = csv.reader(lines, delimiter=sep, skipinitialspace=True, strict=False)
    blank_chars = " \t\r\n".replace(sep, "")
    first = 0
    try:
        for row in reader:
            end = reader.line_num  # lines consumed so far: this record is lines[first:end]
            if not (end - first == 1 and not lines[first].strip(blank_chars)):
                yield first, end, len(row)
            elif blank is not None:
                blank.append(first)
            first = end
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # a quote that never closes, in a large file
            opened = open_quote_line(lines[first:], sep)
            if opened is not None:
                raise OpenQuote(first + opened) from None
        raise ValueError(f"line {reader.line_num}: {exc}") from None


def scan(path: Path, sep: str, suspects: np.ndarray | None = None) -> Records:
    """Read ``path`` record by record. Raises ``ValueError`` (with a one-line reason) on text the csv module cannot parse,
    :class:`OpenQuote` for a quote that runs to the end of the file.

    Without quote characters or bare ``\\r`` line ends, a record is one line
    and its fields are its delimiters plus one: NumPy finds the lines on the
    bytes (several times faster than the csv module, which handles the rest).
    ``suspects`` (data-record positions) limits the field count to those
    records, the others taken as full: for a file pandas read without error,
    where only rows with a missing last value can be short.
    """
    data = path.read_bytes()
    if b'"' not in data and not _bare_crs(data):
        return _scan_plain(data, sep, suspects)
    return _scan_quoted(data.decode("utf-8-sig"), sep)


def _scan_plain(data: bytes, sep: str, suspects: np.ndarray | None) -> Records:
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == ord("\n")) + 1  # exclusive end of each line, its newline included
    if ends.size == 0 or ends[-1] != buf.size:
        ends = np.append(ends, buf.size)
    starts = np.r_[0, ends[:-1]]
    blank_chars = " \t\r\n".replace(sep, "").encode()
    # Only a line that starts with a blank character can be blank; check those one by one.
    first = buf[np.minimum(starts, max(buf.size - 1, 0))] if buf.size else np.zeros(starts.size, dtype=np.uint8)
    nonblank = ~np.isin(first, np.frombuffer(blank_chars, dtype=np.uint8))
    for i in np.flatnonzero(~nonblank):
        nonblank[i] = bool(data[starts[i]:ends[i]].strip(blank_chars))
    rows = np.flatnonzero(nonblank)
    if rows.size == 0:
        return Records(0, rows, rows, lambda keep: io.BytesIO(b""), rows)
    header, rows = rows[0], rows[1:]
    width = data[starts[header]:ends[header]].count(sep.encode()) + 1
    if suspects is None:
        delims = np.flatnonzero(buf == ord(sep))
        fields = np.searchsorted(delims, ends[rows]) - np.searchsorted(delims, starts[rows]) + 1
    else:
        fields = np.full(rows.size, width, dtype=np.int64)
        for i in suspects:
            fields[i] = data[starts[rows[i]]:ends[rows[i]]].count(sep.encode()) + 1

    def keep_only(keep: np.ndarray) -> IO[Any]:
        line_kept = np.zeros(starts.size, dtype=bool)
        line_kept[header] = True
        line_kept[rows[keep]] = True
        return io.BytesIO(buf[np.repeat(line_kept, ends - starts)].tobytes())

    blank = np.flatnonzero(~nonblank)
    return Records(width, rows + 1, fields, keep_only, blank[blank > header] + 1)


def _scan_quoted(text: str, sep: str) -> Records:
    lines = list(io.StringIO(text, newline=""))  # split on \n, \r\n or \r; kept verbatim
    blank: list[int] = []
    records = _records(lines, sep, blank)
    _, header_end, width = next(records, (0, 0, 0))
    rows = np.asarray(list(records), dtype=np.int64).reshape(-1, 3)
    last = int(rows[-1, 0]) if len(rows) else 0
    if len(rows) and '"' in "".join(lines[last:]):
        _check_last_record(lines, last, sep)

    def keep_only(keep: np.ndarray) -> IO[Any]:
        parts = lines[:header_end]
        for first, end in rows[keep, :2]:
            parts.extend(lines[first:end])
        return io.StringIO("".join(parts))

    after = np.asarray(blank, dtype=np.int64)
    return Records(width, rows[:, 0] + 1, rows[:, 2], keep_only, after[after >= header_end] + 1)


def _bare_crs(data: bytes) -> int:
    """How many ``\\r`` in ``data`` are not followed by ``\\n``."""
    return data.count(b"\r") - data.count(b"\r\n")


def has_bare_cr(path: Path, chunk: int = 1 << 20) -> bool:
    """Whether ``path`` has a ``\\r`` not followed by ``\\n`` (an old-Mac line end), read in chunks of ``chunk`` bytes.

    pandas' C tokenizer can swallow the delimiter that follows a blank line
    ended by a bare ``\\r`` (``c0\\r1\\r\\r,\\r`` reads as one row), so
    such a file's rows are always counted by :func:`scan`.
    """
    with path.open("rb") as f:
        prev_cr = False
        while block := f.read(chunk):
            if prev_cr and not block.startswith(b"\n"):
                return True
            if _bare_crs(block) - block.endswith(b"\r") > 0:  # a \r at the end may pair with the next block's \n
                return True
            prev_cr = block.endswith(b"\r")
    return prev_cr


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
