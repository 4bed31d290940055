"""What a delimited file must be before its rows are read: UTF-8 text with a usable header.

Both readers of CSV files use these checks, so they refuse the same files
with the same one-line messages: :func:`hiddenlayers.data.read_table` (a file
in memory) and :class:`hiddenlayers.data.ParquetSource` (files streamed).
pandas and pyarrow would otherwise rename a repeated column (``a.1``), name an
empty one (``Unnamed: 1``), read a ``;``-separated file as one column, or
report a bad byte by its offset in some internal buffer.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path
from typing import IO, cast

from ..exceptions import DataError

#: The most bytes read to find the header line.
HEADER_BYTES = 1 << 20
#: Byte-order marks of UTF-16 and UTF-32 files, and the encoding each names.
BOMS = {b"\xff\xfe\x00\x00": "utf-32", b"\x00\x00\xfe\xff": "utf-32", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
#: Separators a file may really use when its header reads as one field.
OTHER_SEPARATORS = {";": "';'-separated", "\t": "tab-separated", ",": "comma-separated", "|": "'|'-separated"}


def _open_bytes(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes, decompressed when it ends in ``.gz``."""
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))  # a GzipFile reads bytes like any binary file
    return path.open("rb")


def _iconv_hint(path: Path, encoding: str) -> str:
    return f"save it as UTF-8 (e.g. `iconv -f {encoding} -t utf-8 {path.name} > utf8-{path.name}`)"


def encoding_problem(path: Path, shown: str) -> str | None:
    """Why ``path`` is not UTF-8 text, naming the first bad line and the fix; ``None`` if it all decodes.

    A UTF-16/32 file is known by its byte-order mark (or, without one, by NUL
    bytes on its first line). Otherwise the file is decoded line by line: a
    ``\\n`` byte is never part of a UTF-8 character, so the first line that
    fails is where the bad byte is.
    """
    with _open_bytes(path) as f:
        head = f.read(4)
        for bom, encoding in BOMS.items():
            if head.startswith(bom):
                return f"'{shown}' is {encoding.upper()} text, not UTF-8: {_iconv_hint(path, encoding)}."
        f.seek(0)
        for number, line in enumerate(f, start=1):
            if number == 1 and b"\x00" in line:
                return f"'{shown}' holds NUL bytes on line 1 (UTF-16 text?), not UTF-8: {_iconv_hint(path, 'utf-16')}."
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                byte = line[exc.start]
                return (f"'{shown}' is not UTF-8: line {number} has the byte 0x{byte:02x} (byte {exc.start + 1} of the line); "
                        f"{_iconv_hint(path, 'latin1')}.")
    return None


def header_fields(path: Path, sep: str, shown: str) -> list[str]:
    """The header record of ``path`` as the readers see it (leading spaces dropped); raises DataError if it is not UTF-8."""
    with _open_bytes(path) as f:
        raw = b""
        while not raw.strip():  # pandas and pyarrow skip blank lines before the header
            line = f.readline(HEADER_BYTES)
            if not line:
                break
            raw = re.split(rb"\r\n|\r|\n", line)[0]  # an old-Mac file's lines end in a bare \r
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(encoding_problem(path, shown) or f"'{shown}' is not UTF-8 text: save it as UTF-8.") from None
    if text.startswith(("\ufffe", "\x00")) or "\x00" in text:
        raise DataError(encoding_problem(path, shown) or f"'{shown}' holds NUL bytes: save it as UTF-8 text.")
    return next(csv.reader([text], delimiter=sep, skipinitialspace=True), [])


def check_header(fields: list[str], sep: str, shown: str, sample: str = "") -> None:
    """Refuse a header with a repeated or empty name, or one that reads as one field holding another separator.

    ``sample``: the line after the header, so the conversion hint for a ';'-separated file also says
    ``decimal=','`` when its numbers are written with decimal commas (``3,14``), as such files' usually are.

    Raises :class:`DataError`: ``"'dup.csv' has the column 'a' twice: rename one."``
    """
    if len(fields) == 1:
        for other, kind in OTHER_SEPARATORS.items():
            if other != sep and other in fields[0]:
                raise DataError(
                    f"'{shown}' looks {kind} (its header is the one column {fields[0][:60]!r}), but is read as "
                    f"{'tab' if sep == chr(9) else repr(sep)}-separated: {_convert_hint(other, sep, shown, sample)}"
                )
    seen: set[str] = set()
    for position, name in enumerate(fields, start=1):
        if not name.strip() and position == len(fields) > 1:  # 'a,b,y,': a spreadsheet's export with an empty last column
            shown_sep = "a tab" if sep == "\t" else repr(sep)
            write = ", sep='\\t'" if sep == "\t" else ""
            raise DataError(f"'{shown}' has no name for its last column (column {position}: its header line ends with {shown_sep}): "
                            f"if that column is empty (every line ends with {shown_sep}), drop it, e.g. python -c \"import pandas as pd; "
                            f"pd.read_csv('{shown}'{write}).iloc[:, :-1].to_csv('fixed{Path(shown).suffix}', index=False{write})\"; else name it.")
        if not name.strip():
            raise DataError(f"'{shown}' has no name for column {position} of its header: name it (every column needs a unique name).")
        if name in seen:
            raise DataError(f"'{shown}' has the column {name!r} twice: rename one.")
        seen.add(name)


def _convert_hint(other: str, sep: str, shown: str, sample: str = "") -> str:
    if other in ("\t", ","):
        return f"give it the suffix {'.tsv' if other == chr(9) else '.csv'}, which is read {'tab' if other == chr(9) else 'comma'}-separated."
    target = "tab-separated .tsv" if sep == "\t" else "comma-separated"
    write = ", sep='\\t'" if sep == "\t" else ""
    decimal = ", decimal=','" if other == ";" and re.search(r"(^|;)\s*-?\d+,\d+\s*(;|$)", sample) else ""
    return (f"convert it to a {target} file, e.g. python -c \"import pandas as pd; "
            f"pd.read_csv('{shown}', sep='{other}'{decimal}).to_csv('converted.csv', index=False{write})\".")


def read_header(path: Path, sep: str, shown: str) -> list[str]:
    """The checked header of ``path`` (:func:`header_fields` then :func:`check_header`)."""
    fields = header_fields(path, sep, shown)
    check_header(fields, sep, shown, _second_line(path) if len(fields) == 1 else "")
    return fields


def _second_line(path: Path) -> str:
    """The first line after the header's (decoded leniently; "" if none): the sample :func:`check_header` reads."""
    with _open_bytes(path) as f:
        lines = [f.readline(HEADER_BYTES) for _ in range(2)]
    return re.split(r"\r\n|\r|\n", lines[1].decode("utf-8", "replace"))[0] if lines[1] else ""


__all__ = ["check_header", "encoding_problem", "header_fields", "read_header"]
