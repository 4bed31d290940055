"""The files behind a :class:`~._stream.ParquetSource`: found, their columns checked, their read errors made one line.

``pyarrow.dataset`` takes the schema of the first file and reads every other
file into it: a column a later file lacks would read as all missing, a
renamed or extra one would be ignored, and a later file of another type or a
corrupt one fails mid-epoch with pyarrow's own error. So every file's columns
are read when the source is made (Parquet footers, CSV header lines: cheap)
and checked against the first file's, and a failed read names the file, the
line or row group, and the fix.

An unclosed quote makes pyarrow read the rest of a CSV file (or of its read
block) as one value, silently: a short record it skips, a record of the right
width whose last cell holds the rest of the file, or an error about its
chunker; a quote opened on the last line of a file without a final line end
ends at the end of the file, its value showing nothing (:func:`open_quote_at_end`).
Each of those is checked (:func:`open_quote_line`) and refused with
the line that opens the quote, as :func:`~._table.read_table` refuses it.
pyarrow numbers a skipped row by record, blank lines left out: :func:`file_lines`
turns those numbers into the file lines read_table names.

The rule: every file has the target. With ``features`` given, every file has
those columns (others are ignored); without, every file has exactly the first
file's columns, in any order. Parquet types may differ only as Arrow's
permissive promotion allows (``int64`` and ``double`` read as ``double``);
CSV files' types (pyarrow's, from each file's first block) promote between numbers and from null alike
(``_stream_csv.CsvReading.schema``).
"""

from __future__ import annotations

import glob
import gzip
import os
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import IO, Any

from .._files import is_parquet_magic
from ..exceptions import DataError
from ._close_names import did_you_mean
from ._csv_rows import OpenQuote, open_quote_line, record_lines
from ._csv_text import encoding_problem, read_header

#: a single file's suffixes read as delimited text, and their separators (a folder or glob reads .csv and .csv.gz only)
_DELIMITED = {".csv": ",", ".csv.gz": ",", ".txt": ",", ".tsv": "\t", ".tab": "\t"}
JSON_LINES = (".jsonl", ".ndjson")  # one such file streams too (:class:`~._stream_jsonl.JsonLinesFile`), never a folder of them
EXTENSIONS = {"parquet": (".parquet", ".pq"), "csv": (".csv", ".csv.gz"), "auto": (".parquet", ".pq", ".csv", ".csv.gz")}
_CSV_VALUE = re.compile(r"In CSV column #(\d+): Row #(\d+): CSV conversion error to (\w+): invalid value '(.*)'", re.S)
_CSV_UTF8 = re.compile(r"In CSV column #(\d+): Row #(\d+): CSV conversion error to \w+: invalid UTF8 data")
_CSV_ROW = re.compile(r"Row #(\d+)")


def find_files(path: str, format: str) -> list[str]:
    """The files of ``path`` (a directory, a glob or a file), sorted; one format only.

    A leading ``~`` is the home folder, as the shell reads it: a glob is quoted so that the shell leaves it to us (the
    docs say so), which leaves its ``~`` too, and ``'~/data/*.parquet'`` matched nothing, with the advice to quote it."""
    exts = EXTENSIONS[format]
    path = os.path.expanduser(path)
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.lower().endswith(exts))
    elif any(ch in path for ch in "*?[") and not os.path.isfile(path):  # a file named 'd [v2].csv' is a file, not a glob
        files = _glob_files(path, format)
    elif os.path.isfile(path):
        files = [path]
    else:
        raise DataError(f"no such file or directory: {path}")
    if not files and os.path.isdir(path) and (nested := _nested(path, exts)):
        raise DataError(f"no {'/'.join(exts)} files in {path} itself, but {len(nested)} in its subfolders (e.g. '{nested[0]}'), which are not "
                        f"searched: give a glob such as '{_glob_for(path, nested[0])}' (a hive partition's "
                        "value, year=2024/, is then no column: write it into the files to use it as a feature).")
    if not files:
        raise DataError(f"no {'/'.join(exts)} files in {path}: give a directory of Parquet or CSV files, or a glob.")
    kinds = {"csv" if f.lower().endswith((".csv", ".csv.gz")) else "parquet" for f in files}
    if len(kinds) > 1:
        raise DataError(f"{path} mixes Parquet and CSV files: keep one format per source (or pass format=).")
    return files


def delimiter(file: str) -> str | None:
    """The separator of ``file`` read as delimited text (``","``, or a tab for ``.tsv``/``.tab``, the suffixes
    :func:`~._table.read_table` reads so); None for any other file (Parquet, by its bytes)."""
    lower = file.lower()
    return next((sep for suffix, sep in _DELIMITED.items() if lower.endswith(suffix)), None)


def file_kind(file: str) -> str:
    """``"csv"`` for a file of delimited text (:func:`delimiter`: CSV or TSV, gzip-compressed CSV too), else ``"parquet"``."""
    return "csv" if delimiter(file) is not None else "parquet"


def _glob_files(pattern: str, format: str) -> list[str]:
    """The files the glob ``pattern`` matches, sorted; one line for none, for a folder among them, and for a file that is
    neither CSV by its name nor Parquet by its last bytes (its magic, ``PAR1``; ``format="csv"`` reads any name as CSV).

    Before, ``'data/*'`` matching a subfolder or a ``README.txt`` beside the data was read as Parquet, and the line said the
    file was corrupt: "rewrite it". The fix is a narrower glob, which the line names."""
    files = sorted(glob.glob(pattern))
    if not files:
        raise DataError(f"the glob {pattern!r} matches no files: check the pattern (and quote it, so the shell leaves it to hiddenlayers).")
    named = [f for f in files if not os.path.isdir(f) and f.lower().endswith(EXTENSIONS["auto"])]
    suffix = ".csv" if named and named[0].lower().endswith((".csv", ".csv.gz")) else ".parquet"
    folder = os.path.dirname(pattern) or "."
    narrower = f"match the data files only, e.g. '{os.path.join(folder, '*' + suffix)}'"
    for f in files:
        if os.path.isdir(f):
            raise DataError(f"the glob {pattern!r} matches the folder '{f}', which is no data file: {narrower} (a subfolder's files: "
                            f"a glob that names them, such as '{os.path.join(folder, '*', '*' + suffix)}').")
        if format != "csv" and not f.lower().endswith(EXTENSIONS["auto"]) and not _parquet_magic(f):
            raise DataError(f"the glob {pattern!r} matches '{f}', which is neither a Parquet file (by its bytes) nor a CSV file (by its "
                            f"name): {narrower}, or move '{f}' out.")
    return files


def _parquet_magic(path: str) -> bool:
    """Whether the file ``path`` ends as a Parquet file does (``PAR1``, or ``PARE`` encrypted); False where it cannot be read."""
    try:
        with open(path, "rb") as fh:
            if fh.seek(0, os.SEEK_END) < 12:
                return False
            fh.seek(-4, os.SEEK_END)
            return is_parquet_magic(fh.read(4))
    except OSError:
        return False


def shared_files(files: Sequence[str], others: Sequence[str]) -> list[str]:
    """The files of ``others`` (real paths, sorted) that are also among ``files``.

    The same path once links are resolved, or the same file on disk under another name (a hard link: ``ln``, or a copy
    made with ``cp -l``), which :func:`os.path.realpath` does not see. A validation source sharing a file with the
    training source scores rows the model trains on (leakage).

    Parameters
    ----------
    files : sequence of str
        One source's files.
    others : sequence of str
        Another's.
    """

    def identity(f: str) -> tuple[int, int]:
        st = os.stat(f)
        return st.st_dev, st.st_ino

    known = {identity(f): os.path.realpath(f) for f in others}
    return sorted({known[i] for f in files if (i := identity(f)) in known})


def stream_file_columns(path: str) -> dict[str, list[str]]:
    """Each file of ``path`` and its column names, in reading order.

    Cheap (Parquet footers, CSV header lines): a command checks every file's columns against a model's before a
    :class:`~._stream.ParquetSource` reads a row, so its message names the file.

    Parameters
    ----------
    path : str
        A directory or glob of Parquet or CSV files.
    """
    files = find_files(path, "auto")
    if len(files) == 1 and files[0].lower().endswith(JSON_LINES):  # one JSON lines file (predict FILE, a pipe)
        from ._stream_jsonl import jsonl_columns

        return {files[0]: jsonl_columns(files[0])}
    kind = file_kind(files[0])
    return {f: file_columns(f, kind)[0] for f in files}


def _nested(path: str, exts: tuple[str, ...]) -> list[str]:
    """The ``exts`` files in ``path``'s subfolders (sorted), skipping those Spark and Hadoop keep to themselves (``_temporary``, ``.x``)."""
    found = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        found += [os.path.join(root, n) for n in sorted(names) if n.lower().endswith(exts) and not n.startswith(("_", "."))]
    return found


def _glob_for(path: str, file: str) -> str:
    """A glob of ``path`` that reads files laid out as ``file`` is: ``big/year=*/month=*/*.parquet`` (a partition folder ``key=value``
    as ``key=*``, so Spark's ``_temporary`` is left out), ``big/*/*.csv`` for plain subfolders."""
    *folders, name = os.path.relpath(file, path).split(os.sep)
    parts = [f"{d.split('=', 1)[0]}=*" if "=" in d else "*" for d in folders]
    return os.path.join(path, *parts, "*" + (".csv.gz" if name.lower().endswith(".csv.gz") else os.path.splitext(name)[1]))


def file_columns(file: str, kind: str) -> tuple[list[str], Any]:
    """``(column names, Arrow schema or None)`` of one file: a Parquet footer or a CSV header line."""
    if kind == "csv":
        names = read_header(Path(file), delimiter(file) or ",", file)
        if not names:  # else every check after this one says the file lacks each column, as if it had others
            raise DataError(f"'{file}' is empty (no header line, no rows): remove it from the source, or write its header and rows.")
        return names, None
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(file)
    except Exception as exc:  # pyarrow's own error types for a file that is not Parquet
        raise DataError(f"cannot read '{file}' as Parquet: {_first_line(exc)}: the file is corrupt or not Parquet; rewrite it, or move it out of the source.") from None
    if not schema.names:  # else it is said to lack every column, "(it has )"
        raise DataError(f"'{file}' is a Parquet file with no columns: remove it from the source, or write it again with its columns and rows.")
    return list(schema.names), schema


def check_columns(path: str, columns: dict[str, list[str]], target: str | None, features: Sequence[str] | None) -> list[str]:
    """The feature columns, once every file has the target and the same columns.

    Raises :class:`DataError` naming the first file that differs from the first file, and the column.

    Parameters
    ----------
    path : str
        The source's directory or glob, for messages.
    columns : dict of str to list of str
        File -> its column names.
    target : str or None
        The target column; None (a source read for prediction): only the ``features`` (then required) are checked.
    features : sequence of str, optional
        The feature columns (default: all but the target).
    """
    files = list(columns)
    first, names = files[0], columns[files[0]]
    if target is None:
        if features is None:
            raise ValueError("a source without a target needs features= (the columns to read).")
        return _features_in_every_file(path, columns, list(features))
    having = [f for f in files if target in columns[f]]
    if not having:
        position = target.lstrip("-").isdigit()  # `--target -1` picks a column of one file by position; a folder's is named
        raise DataError(f"no target column {target!r} in {path}"
                        + (" (a folder's target is a column name, not a position)" if position else "")
                        + f": choose one of {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}.{did_you_mean([target], names)}")
    if len(having) < len(files):
        lacking = next(f for f in files if f not in having)
        hint = did_you_mean([target], [c for c in columns[lacking] if c not in set(names)])  # a header spelled otherwise ('Y', ' y')
        raise DataError(f"'{lacking}' has no column {target!r} (the target; '{having[0]}' has it): add it to every file, or move '{lacking}' out of {path}.{hint}")
    if features is None:
        used = [n for n in names if n != target]
    else:
        used = list(features)
        if target in used:  # the target as a feature too would leak it; a one-file table refuses it in these words
            raise DataError(f"the target '{target}' is also listed in --features (features=): remove it from --features.")
        absent = [c for c in used if c not in names]
        if absent:
            raise DataError(f"feature column(s) {absent} are not in {path}: check --features.{did_you_mean(absent, [n for n in names if n not in set(used)])}")
    if features is not None:
        return _features_in_every_file(path, columns, used)
    for file in files[1:]:
        have = set(columns[file])
        missing = next((c for c in used if c not in have), None)
        if missing is not None:
            hint = did_you_mean([missing], [c for c in columns[file] if c not in set(names)])
            raise DataError(f"'{file}' lacks column {missing!r} that '{first}' has: write every file with the same columns, or leave {missing!r} out of features= (--features).{hint}")
        extra = next((c for c in columns[file] if c not in set(names)), None)
        if extra is not None:
            raise DataError(f"'{file}' has column {extra!r} that '{first}' lacks: write every file with the same columns, or name the columns to use with features= (--features).")
    return used


def _features_in_every_file(path: str, columns: dict[str, list[str]], used: list[str]) -> list[str]:
    """``used`` once every file has each of them (other columns are ignored); a DataError names the first file lacking one."""
    files = list(columns)
    absent = [c for c in used if c not in columns[files[0]]]
    if absent:
        raise DataError(f"feature column(s) {absent} are not in {path}: check --features.{did_you_mean(absent, columns[files[0]])}")
    for file in files[1:]:
        missing = next((c for c in used if c not in set(columns[file])), None)
        if missing is not None:
            raise DataError(f"'{file}' lacks column {missing!r} that '{files[0]}' has: write every file with the same columns, or leave {missing!r} out of features= (--features).")
    return used


def common_schema(schemas: dict[str, Any], used: list[str]) -> Any:
    """One Arrow schema of the ``used`` columns every Parquet file reads into (int and float promote to float)."""
    import pyarrow as pa

    files = list(schemas)
    out = pa.schema([schemas[files[0]].field(c) for c in used])
    for file in files[1:]:
        mine = pa.schema([schemas[file].field(c) for c in used])
        try:
            out = pa.unify_schemas([out, mine], promote_options="permissive")
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            col = next(c for c in used if not _promotes(out.field(c).type, mine.field(c).type))
            raise DataError(
                f"'{file}' column {col!r} holds {mine.field(col).type} where '{files[0]}' holds {out.field(col).type}: "
                "write the column with one type in every file."
            ) from None
    return out


def _promotes(a: Any, b: Any) -> bool:
    import pyarrow as pa

    try:
        pa.unify_schemas([pa.schema([("c", a)]), pa.schema([("c", b)])], promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return False
    return True


def _text(file: str) -> IO[str]:
    """``file`` (CSV, or ``.csv.gz``) opened as text with its line ends kept, as read_table splits lines."""
    opener: Any = gzip.open if file.lower().endswith(".gz") else open
    return opener(file, "rt", encoding="utf-8", errors="replace", newline="")  # type: ignore[no-any-return]


def open_quote_error(file: str) -> DataError | None:
    """The one-line error for a quote in ``file`` (CSV, or ``.csv.gz``) that is never closed, naming its line; None if all close."""
    with _text(file) as f:
        line = open_quote_line(f, delimiter(file) or ",")
    return None if line is None else DataError(OpenQuote(line).message(file))


def file_lines(file: str, rows: Collection[int]) -> dict[int, int]:
    """The file line (1-based, header = line 1, blank lines counted, as read_table names lines) of each of pyarrow's CSV ``rows``.

    One pass over ``file`` up to the last of ``rows``; see :func:`~._csv_rows.record_lines`.
    """
    if not rows:
        return {}
    with _text(file) as f:
        return record_lines(f, rows, delimiter(file) or ",")


#: bytes read from the end of a CSV file to find its last line (a longer last line is checked by a full scan)
TAIL_BYTES = 1 << 16


def _tail(file: str) -> tuple[bytes, bool]:
    """The last :data:`TAIL_BYTES` bytes of ``file`` (decompressed for ``.gz``), and whether they are the whole file."""
    if file.lower().endswith(".gz"):  # no seeking to the end of a gzip stream: read it through
        tail, whole = b"", True
        with gzip.open(file, "rb") as g:
            while chunk := g.read(1 << 20):
                whole = whole and len(tail) + len(chunk) <= TAIL_BYTES
                tail = (tail + chunk)[-TAIL_BYTES:]
        return tail, whole
    size = os.path.getsize(file)
    with open(file, "rb") as f:
        f.seek(max(0, size - TAIL_BYTES))
        return f.read(), size <= TAIL_BYTES


def open_quote_at_end(file: str) -> DataError | None:
    """The one-line error for a quote that opens on the last line of ``file`` (CSV, or ``.csv.gz``) and is never closed.

    pyarrow ends that value at the end of the file without a word (``9,x,"1``
    reads as ``1``) and, with no line break in it, the value cannot show it.
    Only a file whose last line has no line end can hide it; that line alone
    is checked, and the whole file only when that line opens a quote.
    """
    tail, whole = _tail(file)
    if not tail or tail.endswith((b"\n", b"\r")):
        return None
    cut = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
    if cut < 0 and not whole:  # a last line longer than the tail: the full scan decides
        return open_quote_error(file)
    last = tail[cut + 1:].decode("utf-8", errors="replace")
    if '"' not in last or open_quote_line([last], delimiter(file) or ",") is None:
        return None
    return open_quote_error(file)  # the quote state at that line's start, and the line, from the start of the file


def read_error(exc: BaseException, file: str, row_group: int | None, header: list[str] | None, first: str, quote: bool = False) -> DataError:
    """pyarrow's error while reading ``file`` (its ``row_group``, or a CSV with ``header``) as one line with the fix.

    ``quote``: the row pyarrow refused ends inside a quoted value (see :func:`~._csv_rows.ends_in_quote`).
    """
    reason = _first_line(exc)
    if header is not None and (quote or "out of sync with chunker" in reason or "\n" in str(exc).strip()):  # a value with a line break
        found = open_quote_error(file)
        if found is not None:
            return found
        if not quote:  # a quoted value that spans lines, closed: pyarrow's streaming reader takes a record per line
            return DataError(f"'{file}' has a quoted value that spans lines, which the streaming CSV reader cannot split: "
                             "keep each record on one line (or write the files as Parquet).")
    if header is not None:
        if (m := _CSV_UTF8.search(reason)) is not None:
            return DataError(encoding_problem(Path(file), file) or f"'{file}' line {m.group(2)} is not UTF-8 text: save the file as UTF-8.")
        if (m := _CSV_VALUE.search(reason)) is not None:
            col, row, kind, value = int(m.group(1)), m.group(2), m.group(3), m.group(4)
            if "\ufffd" in value:  # a byte that is not UTF-8, read as the replacement character
                return DataError(encoding_problem(Path(file), file) or f"'{file}' line {row} is not UTF-8 text: save the file as UTF-8.")
            name = header[col] if col < len(header) else f"#{col + 1}"
            return DataError(
                f"'{file}' line {row}: column {name!r} holds {value!r}, not {_kind(kind)} as in '{first}': "
                "fix the value (leave it empty if unknown), or write the column with one type in every file."
            )
        line = _CSV_ROW.search(reason)
        where = f" line {line.group(1)}" if line else ""
        reason = re.sub(r"^.*?Invalid: ", "", reason)
        return DataError(f"cannot read '{file}'{where} as CSV: {reason[:200]}: fix that line, or move the file out of the source.")
    where = f"row group {row_group} of " if row_group is not None else ""
    return DataError(f"cannot read {where}'{file}': {reason[:200]}: the file may be corrupt; rewrite it, or move it out of the source.")


def _kind(arrow_type: str) -> str:
    return "a number" if arrow_type.startswith(("int", "uint", "double", "float")) else f"a {arrow_type}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


__all__ = ["check_columns", "common_schema", "delimiter", "file_columns", "file_kind", "file_lines", "find_files", "shared_files", "open_quote_at_end", "open_quote_error", "read_error"]
