"""One JSON lines file read a record batch at a time: what ``predict FILE.jsonl`` and a JSON lines pipe stream.

:class:`~._stream.ParquetSource` reads Parquet and CSV through ``pyarrow.dataset``; pyarrow's JSON reader types a
column from its first block and stops at a later line of another type, and reads ISO dates as timestamps. A JSON
lines file is read here by pandas in chunks of lines instead (``pandas.read_json(lines=True, dtype=False,
chunksize=)``), the reader :func:`~._table.read_table` uses for the whole file, so every value keeps the type JSON
gave it, as there. The class answers what a command asks of a source it streams (:meth:`batches`, :meth:`locate`,
:meth:`lines_of`, :meth:`drop_notes`), so ``predict`` writes its rows by the same code for both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import DataError

#: Lines read to learn a JSON lines file's columns (the keys of its first records), before any row is predicted
HEAD_ROWS = 1_000


def jsonl_columns(path: str, rows: int = HEAD_ROWS) -> list[str]:
    """The column names of the JSON lines file ``path``: the keys of its first ``rows`` records, in the order first seen
    (a later record's new key is read as missing before it, as :func:`~._table.read_table` reads the whole file).

    Parameters
    ----------
    path : str
        A ``.jsonl``/``.ndjson`` file.
    rows : int
        Records read.
    """
    for frame in _chunks(path, rows):
        return [str(c) for c in frame.columns]
    raise DataError(f"'{path}' has no data rows: give a file with at least one JSON record per line.")


def _chunks(path: str, rows: int) -> Iterator[Any]:
    """The records of ``path`` as DataFrames of at most ``rows`` rows (blank lines skipped), each value of JSON's type."""
    import pandas as pd

    from ._table_readers import not_utf8, refuse_nested

    try:
        with pd.read_json(path, lines=True, dtype=False, chunksize=rows) as reader:
            at = 0
            for frame in reader:
                if len(frame):
                    refuse_nested(frame, path, at)  # a list or object cell: the column to flatten, as read_table names it
                    at += len(frame)
                    yield frame
    except DataError:
        raise
    except UnicodeDecodeError:
        raise DataError(not_utf8(Path(path), path)) from None
    except ValueError as exc:  # pandas' words for a line that is not JSON
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read '{path}' as jsonl: {reason[:200]}. Check the file's format and suffix.") from None


class JsonLinesFile:
    """The JSON lines file ``path``'s ``features`` columns, ``read_rows`` records at a time, in file order.

    A record without one of the columns has it missing (NaN), as in the whole file read at once. Rows are named
    ``"row N"``, the data row counted from 1, as :meth:`~._table_record.Table.where` names a JSON file's rows.

    Parameters
    ----------
    path : str
        The file.
    features : sequence of str
        The columns to read.
    read_rows : int
        Records per batch.
    target : str, optional
        The labels' column among ``features`` (``evaluate``), which :meth:`drop_notes` names for rows the caller left
        out without a value of it.
    """

    file_format = "jsonl"

    def __init__(self, path: str, features: Sequence[str], read_rows: int = 65_536, *, target: str | None = None) -> None:
        self.path, self.features, self.read_rows, self.target = str(path), list(features), read_rows, target
        self.files = [self.path]
        self.rows = 0  # the records read so far

    def batches(self) -> Iterator[tuple[str, int, Any]]:
        """Every batch once, in file order: ``(file, row, frame)``, ``row`` the batch's first row (0-based) in the file."""
        self.rows = 0
        for frame in _chunks(self.path, self.read_rows):
            yield self.path, self.rows, frame.reindex(columns=self.features).reset_index(drop=True)
            self.rows += len(frame)

    def lines_of(self, file: str, rows: list[int]) -> tuple[str, list[int]]:
        """``("row", rows counted from 1)``: a JSON lines file's rows have no line of their own to name.

        Parameters
        ----------
        file : str
            The file.
        rows : list of int
            0-based rows of it.
        """
        return "row", [r + 1 for r in rows]

    def locate(self, file: str, row: int) -> str:
        """``"'f.jsonl' row 8"`` for 0-based ``row`` of ``file``.

        Parameters
        ----------
        file : str
            The file.
        row : int
            0-based.
        """
        return f"'{file}' row {row + 1}"

    def drop_notes(self, no_target: Mapping[str, tuple[int, Sequence[int]]] | None = None) -> list[str]:
        """The note of the rows the caller left out without a value of ``target`` (``no_target``), in the words of the file
        read whole (:func:`~._table_record.drop_note`); none else: every record is read (a line that is not JSON is an
        error, as in the whole file).

        Parameters
        ----------
        no_target : mapping, optional
            File -> (rows left out for a missing target, the first of them, 0-based), as :meth:`ParquetSource.drop_notes` takes it.
        """
        from ._table_record import drop_note, missing_target_reason

        n, first = (no_target or {}).get(self.path, (0, []))
        if not n or self.target is None:
            return []
        return [drop_note(self.path, self.rows, {missing_target_reason(self.target): (n, [r + 1 for r in first])}, "row")]


__all__ = ["JsonLinesFile", "jsonl_columns"]
