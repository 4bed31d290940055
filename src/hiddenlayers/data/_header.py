"""A data source's column names from its header alone (a CSV/TSV header line, a Parquet footer), without reading a row.

Why: a command checks its column options (``--target``, ``--keep``, ...) before it looks at its output, and reading
a whole big table only to say that a column is misspelt would be slow; the header says it at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..exceptions import DataError
from ._csv_text import read_header
from ._stream_files import file_columns, file_kind, find_files

#: the single-file suffixes whose header is cheap, and their separator (None: Parquet); as read_table reads them
_CHEAP = {".csv": ",", ".txt": ",", ".tsv": "\t", ".tab": "\t", ".parquet": None, ".pq": None}


def header_columns(source: str) -> list[str] | None:
    """The column names of ``source``: a CSV/TSV/Parquet file's, or the first file's of a folder or glob (streamed sources).

    None where the header is not cheap or not there: a bundled dataset, JSON, NumPy, a missing or unreadable file, a
    header that is not UTF-8 or names a column twice or reads as another separator's (the full read names each of those
    in its own words, later).

    Parameters
    ----------
    source : str
        A file, folder or glob.
    """
    try:
        if os.path.isdir(source) or (any(ch in source for ch in "*?[") and not os.path.isfile(source)):  # 'd [v2].csv' is a file
            first = find_files(source, "auto")[0]
            names = file_columns(first, file_kind(first))[0]
            return names or None
        path = Path(source)
        if not path.is_file() or path.suffix.lower() not in _CHEAP:
            return None
        sep = _CHEAP[path.suffix.lower()]
        names = file_columns(source, "parquet")[0] if sep is None else read_header(path, sep, source)
    except (DataError, OSError):
        return None
    return names or None  # an empty file: the read says so


__all__ = ["header_columns"]
