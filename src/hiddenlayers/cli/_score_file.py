"""``predict MODEL FILE`` of a table model: one file scored batch by batch (:func:`~._score_stream.predict_stream`), its
refusals in the words, and at the moment, of the file read whole.

Before, one file was read whole (300 MB of CSV: 1.4 GB of memory) while a folder and a pipe streamed. Read a batch at a
time, a file's problems would show only when their batch is read, after the rows before were on stdout, and in a
folder's words (``'f.csv' line 7``). So what the whole read refused before any row is still refused before any row here:
an empty file, ``--keep``, a column the model lacks (the preprocessing's own words, from the header), an infinite number
(a Parquet file's footers; a CSV's or TSV's numeric columns read once ahead, only when the text holds ``inf`` at all); and
rows are named by their line (``line 7``), as the whole read named them.
"""

from __future__ import annotations

import gzip
import os
import re
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._data import check_keep, input_columns, refuse_missing_inputs

_INFINITY = re.compile(rb"inf", re.IGNORECASE)  # every spelling pandas reads as infinite holds it: inf, -Infinity, INF
_BLOCK = 1 << 24
DELIMITED = (".csv", ".csv.gz", ".txt", ".tsv", ".tab")  # the text files read_table reads by pandas' read_csv


def source(data: str, columns: list[str], read_rows: int, text_columns: list[str] | None = None) -> Any:
    """The batch reader of ``data``'s ``columns``: a :class:`~hiddenlayers.data.JsonLinesFile` for one JSON lines file, else a
    :class:`~hiddenlayers.data.ParquetSource` (Parquet, CSV, TSV; a folder or glob of them) read for prediction, with
    ``text_columns`` (the model's categorical ones, :func:`~._data.categorical_columns`) read as text from CSV."""
    from ..data import JsonLinesFile, ParquetSource

    if os.path.isfile(data) and data.lower().endswith((".jsonl", ".ndjson")):
        return JsonLinesFile(data, columns, read_rows)
    return ParquetSource(data, target=None, features=columns, read_rows=read_rows, text_columns=text_columns or ())


def file_columns_checked(model: Any, data: str, keep: list[str] | None, outputs: list[str]) -> list[str]:
    """The columns to read from the file ``data`` (the model's inputs, then ``keep``), once its refusals that come before any
    row are made, in the order and words of the file read whole: an empty file, ``--keep``, a column the model needs (the
    preprocessing's own error, run on the header's empty frame), an infinite number in a Parquet footer."""
    from ..data import refuse_infinite_in_footers, stream_file_columns

    if os.path.getsize(data) == 0:
        raise DataError(f"'{data}' is empty: give a file with a header row and at least one row of data.")
    names = stream_file_columns(data)[data]
    header = pd.DataFrame(columns=names)
    check_keep(header, keep, outputs)
    inputs = input_columns(model)
    if any(c not in set(names) for c in inputs):
        from ._predict_rows import predict_rows

        predict_rows(model, header, None, False, keep, [])  # raises the missing columns as predict FILE read whole says it
        refuse_missing_inputs(model, names)  # a model whose preprocessing took it: said as for a folder
    refuse_infinite_in_footers([data], inputs, named=False)
    return [*inputs, *[c for c in keep or [] if c not in inputs]]


def refuse_infinite_ahead(model: Any, data: str, read_rows: int) -> None:
    """A DataError for the first infinite number in a numeric column of the CSV or TSV file ``data`` that ``model``'s stored
    preprocessing reads, with every such cell of that column counted, as the file read whole refused it: before any row.

    Nothing to read for most files: only text holding ``inf`` anywhere (:data:`_INFINITY`) can hold an infinite number,
    and then the numeric columns alone are read once ahead. Parquet's footers say it (:func:`file_columns_checked`); a model
    without a stored table preprocessing (an ``.onnx`` export, a Pipeline) refuses it when its batch is read.
    """
    from ..data import refuse_infinite

    state = getattr(model, "preprocessing_", None) or {}
    numeric = [str(c["name"]) for c in state.get("columns", []) if c.get("kind") == "numeric"]
    if not numeric or not data.lower().endswith(DELIMITED) or not _may_hold_infinity(data):
        return
    src = source(data, numeric, read_rows)
    found: dict[str, tuple[int, str, list[float]]] = {}  # column -> (first row, its file, every infinite value)
    for file, at, frame in src.batches():
        for name in numeric:
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            bad = np.flatnonzero(np.isinf(values))
            if bad.size:
                first, where, seen = found.get(name, (at + int(bad[0]), file, []))
                found[name] = (first, where, seen + values[bad].tolist())
    for name in numeric:  # the preprocessing's column order: the first column it would refuse
        if name in found:
            first, file, values = found[name]
            unit, (n,) = src.lines_of(file, [first])
            refuse_infinite(name, np.asarray(values), lambda i, place=f"{unit} {n}": place)


def _may_hold_infinity(path: str) -> bool:
    """Whether the text file ``path`` (gzip-compressed for ``.gz``) holds ``inf`` in any case anywhere, read a block at a time."""
    opener: Any = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        tail = b""
        while block := fh.read(_BLOCK):
            if _INFINITY.search(tail + block):
                return True
            tail = block[-2:]
    return False


__all__ = ["file_columns_checked", "refuse_infinite_ahead", "source"]
