"""How a streamed source (:class:`~._stream.ParquetSource`) reads CSV files with ``pyarrow``, as ``read_table`` reads one.

:class:`CsvReading` holds one source's CSV reading rules and what they recorded: each file's pyarrow format, whose
row handler skips a row of the wrong width (recorded by its record number, for ``drop_notes``) and a line of spaces
(a blank line to ``read_table``; recorded, so record numbers map to file lines), and stops at a quote that never closes;
one Arrow schema for every file, each column's types promoted across files as Parquet files' are (:func:`promoted`);
and the checks for a quote that never closes (a record that swallowed the rest of the file). A Parquet source has one
too, empty: its reads record nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..exceptions import DataError
from ._csv_rows import ends_in_quote
from ._csv_text import encoding_problem
from ._stream_files import delimiter, open_quote_at_end, open_quote_error, read_error


class CsvReading:
    """The CSV reading of ``files`` (``headers``: each file's header names; empty for Parquet files) and its records.

    ``dropped``: file -> pyarrow's record number (or the row's text where pyarrow gave none) -> (fields, header fields) of
    each row skipped for its width; ``blank_records``: file -> record numbers of lines of spaces (skipped); ``open_quote``:
    files with a refused row that ends inside a quote; ``end_checked``: files whose last line was checked for one;
    ``text``: columns read as text whatever pyarrow would infer from a file's first block (``ParquetSource(text_columns=)``).
    """

    def __init__(self, files: Sequence[str], headers: dict[str, list[str]], text: Sequence[str] = ()) -> None:
        self.files = list(files)
        self.headers = headers
        self.text = list(text)
        self.dropped: dict[str, dict[int | str, tuple[int, int]]] = {}
        self.blank_records: dict[str, set[int]] = {}
        self.open_quote: set[str] = set()
        self.end_checked: set[str] = set()

    def read_error(self, exc: Exception, file: str, row_group: int | None = None) -> Exception:
        """:func:`~._stream_files.read_error` of a failed read of ``file`` with what this reading knows of it."""
        return read_error(exc, file, row_group, self.headers.get(file), self.files[0], file in self.open_quote)

    def file_format(self, file: str) -> Any:
        """pyarrow's CSV format for ``file`` (a TSV's: tab-separated): a row of the wrong width is skipped and recorded by its line, as read_table drops it."""
        import pyarrow.csv as pcsv
        import pyarrow.dataset as ds

        def skip(row: Any) -> str:
            if ends_in_quote(row.text):  # an unclosed quote took the rest of the file: stop, read_error names its line
                self.open_quote.add(file)
                return "error"
            if not row.text.strip(" \t\r\n"):  # spaces alone: a blank line to read_table, no dropped row
                if row.number is not None:  # but a record to pyarrow: locate() counts it
                    self.blank_records.setdefault(file, set()).add(int(row.number))
                return "skip"
            # pyarrow's record number (None where it reads blocks in parallel, which the dataset does not; keyed
            # then by the text, as the first block is read twice); drop_notes turns it into the file line
            key = row.text if row.number is None else int(row.number)
            self.dropped.setdefault(file, {})[key] = (int(row.actual_columns), int(row.expected_columns))
            return "skip"

        # strings_can_be_null: an empty cell or "NA" in a text column is missing, as pandas reads it in read_table (by
        # default pyarrow keeps them as the text "" and "NA", so a streamed fit learnt a class or category "" that
        # prediction, which reads files through read_table, never sees); pyarrow's null spellings are pandas' own.
        import pyarrow as pa

        return ds.CsvFileFormat(parse_options=pcsv.ParseOptions(delimiter=delimiter(file) or ",", invalid_row_handler=skip),
                                convert_options=pcsv.ConvertOptions(strings_can_be_null=True, column_types={c: pa.string() for c in self.text}))

    def schema(self, used: list[str]) -> Any:
        """One Arrow schema of the ``used`` columns for every CSV file: each file's types as pyarrow infers them from its first
        block, promoted as Parquet files' are (:func:`~._stream_files.common_schema`), so a column of whole numbers in the first file and
        decimals in a later one reads as decimals, and one empty in the first file takes a later file's type (the first
        file's types alone refused ``127.5`` as "not a number", where pandas reads the files alike). Types that do not
        promote (numbers and text) keep the first file's: the read then names the file, line and value that differ. A
        column pyarrow reads as bytes (text that is not UTF-8: a latin-1 file) is refused as ``read_table`` refuses the file,
        naming its first bad line and ``iconv``: it was read on, and its cells shown as "b'caf\\xe9'", or "b'4'" on another line."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        types: dict[str, Any] = {}
        for f in self.files:
            try:
                schema = ds.dataset(f, format=self.file_format(f)).schema
            except Exception as exc:  # pyarrow raises its own types for unreadable files
                raise self.read_error(exc, f) from None
            for c in used:
                have, mine = types.get(c), schema.field(c).type
                if pa.types.is_binary(mine) or pa.types.is_large_binary(mine):  # pyarrow's type for text that is not UTF-8
                    raise DataError(encoding_problem(Path(f), f) or f"'{f}' column '{c}' is not UTF-8 text: save the file as UTF-8.")
                types[c] = pa.string() if c in self.text else mine if have is None else (promoted(have, mine) or have)
        # a column empty in every file's first block: float64, as pandas reads an empty column (so it is numeric, and
        # refused as empty if it stays so, as read_table's is; a null column was learnt as a category-less categorical)
        return pa.schema([(c, pa.float64() if pa.types.is_null(types[c]) else types[c]) for c in used])

    def check_end(self, file: str) -> None:
        """Once per file, before its first read: a DataError if its last line ends inside a quote that never closes."""
        if file not in self.end_checked:
            if (found := open_quote_at_end(file)) is not None:
                raise found
            self.end_checked.add(file)

    def records(self, file: str, rows: list[int]) -> list[int]:
        """pyarrow's record numbers (the header is record 1) of ``rows`` (0-based among the rows read from ``file``),
        counting the records skipped before each (rows of the wrong width, lines of spaces)."""
        skipped = sorted({k for k in self.dropped.get(file, {}) if isinstance(k, int)} | self.blank_records.get(file, set()))
        records = []
        for row in rows:
            record = row + 2  # pyarrow's record number: the header is record 1
            for dropped in skipped:
                if dropped > record:
                    break
                record += 1  # a dropped record before this row
            records.append(record)
        return records


def refuse_open_quote(frame: Any, file: str) -> None:
    """A DataError if a batch's last row holds a line break in a text cell and ``file`` has a quote that never closes.

    A record of the right width whose last value opens a quote takes the rest
    of the file as that value, and pyarrow reads it without a word; it is
    always the last row read, and a line break inside a value shows it.
    """
    last = frame.iloc[-1]
    if any(isinstance(v, str) and ("\n" in v or "\r" in v) for v in last.tolist()):
        found = open_quote_error(file)
        if found is not None:
            raise found


def without_initial_spaces(batch: Any) -> Any:
    """``batch`` (a CSV's Arrow record batch) with the spaces that open a text cell taken off, as ``read_table`` reads the
    file (pandas' ``skipinitialspace=True``): ``a, red`` is ``red``, a cell of spaces alone is missing, and so is one
    that reads as a missing marker once they are gone (``" NA"``). pyarrow keeps them (numbers it reads either way), so
    a table written with ``", "`` between its cells was all unseen categories to a model fitted on the file read whole.
    A tab is kept, as pandas keeps it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    columns = []
    for column in batch.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            trimmed = pc.utf8_ltrim(column, characters=" ")
            missing = pc.is_in(trimmed, value_set=pa.array(["", *pcsv.ConvertOptions().null_values], type=column.type))
            column = pc.if_else(missing, pa.scalar(None, column.type), trimmed)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def promoted(a: Any, b: Any) -> Any:
    """The Arrow type CSV columns typed ``a`` and ``b`` both read into: the other where one is null (no value in its first
    block), a number type where both are numbers (int64 and double: double); None otherwise (text and bytes that are not
    UTF-8 stay apart, so the read names the cell)."""
    import pyarrow as pa
    import pyarrow.types as pt

    if pt.is_null(a) or pt.is_null(b):
        return b if pt.is_null(a) else a
    number = (pt.is_integer(a) or pt.is_floating(a)) and (pt.is_integer(b) or pt.is_floating(b))
    return pa.float64() if number and a != b else (a if a == b else None)


__all__ = ["CsvReading", "promoted", "refuse_open_quote", "without_initial_spaces"]
