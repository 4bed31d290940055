"""DATA given as ``-``: the table piped into standard input, for ``predict``, ``evaluate`` and ``check`` (and ``check --against -``).

``cat new.csv | hiddenlayers predict model.safetensors - > preds.csv`` is a filter, as ``sort -`` or ``pandas.read_csv(sys.stdin)``
is. The bytes are copied (in chunks, never all in memory) to a private temporary file named by what its first bytes
show (:func:`piped_suffix`: ``stdin.parquet`` for Parquet's magic (``PAR1``, ``PARE`` encrypted), ``stdin.jsonl`` for JSON lines,
``stdin.tsv`` for a tab-separated header, else ``stdin.csv``), which the command reads as any other file: the same
readers, header and column checks and preprocessing (a table model's ``predict`` and ``evaluate`` score a CSV, TSV, JSON
lines or Parquet one batch by batch, as that file: :func:`~._score_stream.streamed_file`). Why a file and not a stream: a command reads DATA more than once (the
header checks before any work, then the rows; the CSV reader's scan of ragged lines), and a pipe can be read once.
The file is deleted when the command ends, whatever the outcome. The messages name it ``standard input`` (and ``-``
where a command line is shown), never the temporary path: :func:`~._common.shown` rewrites a text, :func:`stdin_data` the
user errors raised inside it, :func:`~._common.note` every note.

``train`` does not take ``-``: its checks and a resumed run (``--resume``) compare the data files themselves.
"""

from __future__ import annotations

import gzip
import io
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .._files import PARQUET_MAGICS, is_parquet_magic
from ._common import STDIN_ARG, STDIN_FILES, UserError, is_user_error, one_line, shown

_CHUNK = 1 << 20
_HEAD = 1 << 16  # bytes of the first line enough to tell its separator
_GZIP_MAGIC = b"\x1f\x8b"


@contextmanager
def stdin_data(data: str | None, *, example: str, what: str = "DATA") -> Iterator[str | None]:
    """``data`` as given, or for ``-`` the path of a temporary file holding what was piped into standard input.

    ``example``: a command line that pipes a table in, for the one-line refusals (standard input is a terminal, or empty);
    ``what``: the argument or option ``data`` was given to (``DATA``, ``--against``), as those refusals name it.
    A user error raised inside names ``standard input``, not the temporary path (:func:`~._common.shown`).
    """
    if data != STDIN_ARG:
        yield data
        return
    if sys.stdin is None or sys.stdin.isatty():  # nothing piped in: reading would wait for the user to type a table
        raise UserError(f"{what} '-' reads a table piped into standard input, and nothing is piped in: pipe one, e.g. `{example}`.")
    with tempfile.TemporaryDirectory(prefix="hiddenlayers-stdin-") as folder:
        path = _spool(Path(folder), example)
        STDIN_FILES.add(path)
        try:
            yield path
        except Exception as exc:
            line = one_line(exc)
            if not is_user_error(exc) or path not in line:
                raise
            raise UserError(shown(line)) from exc
        finally:
            STDIN_FILES.discard(path)


def _spool(folder: Path, example: str) -> str:
    """Copy standard input into ``folder`` as ``stdin`` with the suffix its first bytes show (:func:`piped_suffix`); the file's path.

    Raises :class:`UserError` for an empty standard input (naming ``example``), before any file is read.
    """
    source: IO[bytes] = sys.stdin.buffer  # bytes: Parquet is binary, and a CSV keeps its own encoding for the reader to check
    head = _head(source)
    if head.startswith(_GZIP_MAGIC):  # `cat x.csv.gz | ...`: read as what it holds (it was "NUL bytes ... UTF-16 text?")
        source = gzip.GzipFile(fileobj=io.BufferedReader(_Prefixed(head, source)))  # type: ignore[assignment]
        head = _gunzipped(lambda: _head(source))
    if not head:
        raise UserError(f"standard input ('-') is empty: pipe a table into it (CSV or TSV text with a header row, JSON lines, "
                        f"or a Parquet, .npy or .npz file's bytes, gzip-compressed or not), e.g. `{example}`.")
    path = folder / f"stdin{piped_suffix(head)}"  # in a folder only this user may read
    with open(path, "wb") as fh:
        fh.write(head)
        _gunzipped(lambda: shutil.copyfileobj(source, fh, _CHUNK))
    return str(path)


def _head(source: IO[bytes]) -> bytes:
    """The first bytes of ``source``: enough to tell its format (:func:`_enough`), however the reads come (a pipe may give a few bytes)."""
    head = b""
    while not _enough(head):
        more = source.read(_CHUNK)
        if not more:
            break
        head += more
    return head


def _gunzipped(step: Callable[[], Any]) -> Any:
    """``step()``, a read of gzip-compressed standard input: a damaged or cut stream is one :class:`UserError`."""
    try:
        return step()
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"standard input is gzip-compressed but cannot be read whole ({type(exc).__name__}: {exc}): pipe in the "
                        "whole .gz file, or its text (`gunzip -c`).") from None


class _Prefixed(io.RawIOBase):
    """``head`` (bytes already read from ``rest``), then the rest of ``rest``: a stream gzip can read from its start."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._head[:len(buffer)] if self._head else self._rest.read(len(buffer))
        self._head = self._head[len(data):] if self._head else b""
        buffer[:len(data)] = data
        return len(data)


def _enough(head: bytes) -> bool:
    """``head`` tells the format: it holds Parquet's magic and the first line (or :data:`_HEAD` bytes of it)."""
    return len(head) >= len(PARQUET_MAGICS[0]) and (b"\n" in head or len(head) >= _HEAD)


def piped_suffix(head: bytes) -> str:
    """The suffix of the file standing for standard input whose first bytes are ``head``: ``.parquet`` for Parquet's magic (:data:`~hiddenlayers._files.PARQUET_MAGICS`),
    ``.npy`` and ``.npz`` for NumPy's (a zip), ``.jsonl`` for a JSON object first (JSON lines; ``.json`` for an array), ``.tsv`` for a first line with tabs and no
    comma (a header of tab-separated names), else ``.csv``. Why: a pipe has no name to tell its format by, and a TSV
    read as CSV is one column (whose fix, "give it the suffix .tsv", a pipe cannot take), JSON lines a table of no
    column the model knows.

    Parameters
    ----------
    head : bytes
        The first bytes piped in (the first line, where it is shorter than 64 KiB).
    """
    if is_parquet_magic(head):  # PAR1, or PARE: a file whose footer is encrypted (it was read as CSV text)
        return ".parquet"
    if head.startswith(b"\x93NUMPY"):  # NumPy's .npy magic (an ImageClassifier's images)
        return ".npy"
    if head.startswith(b"PK\x03\x04"):  # a zip: NumPy's .npz (images X and labels y)
        return ".npz"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()  # a UTF-8 byte order mark, and blank lines, before the first value
    if text[:1] in (b"{", b"["):
        return ".jsonl" if text[:1] == b"{" else ".json"
    first = text.split(b"\n", 1)[0]
    return ".tsv" if b"\t" in first and b"," not in first else ".csv"


__all__ = ["piped_suffix", "stdin_data"]
