"""``predict MODEL FILE`` and ``evaluate MODEL FILE`` of a table model: one file scored batch by batch
(:func:`~._score_stream.predict_stream`, :func:`~._score_stream.evaluate_stream`), its refusals in the words, and at the
moment, of the file read whole.

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
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._data import check_keep, input_columns, refuse_missing_inputs

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


def labelled_source(data: str, target: str, features: list[str], weight: str | None, read_rows: int, text_columns: list[str]) -> Any:
    """``evaluate``'s batch reader of ``data`` (one file, or a folder or glob): its ``features``, the ``target`` column and the
    ``weight`` column (``--sample-weight``; None: none), with ``text_columns`` (the model's categorical ones) read as text
    from CSV. A :class:`~hiddenlayers.data.JsonLinesFile` for one JSON lines file, else a :class:`~hiddenlayers.data.ParquetSource`."""
    from ..data import JsonLinesFile, ParquetSource

    if os.path.isfile(data) and data.lower().endswith((".jsonl", ".ndjson")):
        return JsonLinesFile(data, [*features, target, *([weight] if weight else [])], read_rows, target=target)
    return ParquetSource(data, target=target, features=features, weight=weight, read_rows=read_rows, text_columns=text_columns)


def labelled_file_checked(model: Any, data: str, target: str | None, stored: str | None, weight: str | None,
                          said: list[str]) -> tuple[list[str], str]:
    """(the model's input columns, the target column's name) of the one file ``data`` that ``evaluate`` streams, once the
    refusals that the file read whole made before any row are made, in its order and words: an empty file, a column the
    model reads and the file lacks, no column of the ``stored`` target (no ``--target`` given: :func:`~._common.no_stored_target`),
    an unknown ``--target`` (:func:`~hiddenlayers.data.resolve_column`, which also takes a position) or ``weight`` column
    (``--sample-weight``), an infinite number in a Parquet footer. The header's own notes (columns the model does not
    use, its training weight column left out), which the whole read said as it read the other columns, go to ``said``."""
    from ..data import refuse_infinite_in_footers, resolve_column, stream_file_columns
    from ..ship import OnnxModel
    from ._common import no_stored_target
    from ._weights import take_weights

    if os.path.getsize(data) == 0:
        raise DataError(f"'{data}' is empty: give a file with a header row and at least one row of data.")
    names = [str(c) for c in stream_file_columns(data)[data]]
    if not isinstance(model, OnnxModel):  # an export's graph feeds refuse a missing column after the target's checks (_header_notes)
        refuse_missing_inputs(model, names)
    if target is None and stored is not None and stored not in names:
        raise no_stored_target(stored, names)
    name = resolve_column(target or str(stored), names)
    header, _ = take_weights(pd.DataFrame(columns=[c for c in names if c != name]), weight, target=name)
    said.extend(_header_notes(model, header))
    inputs = input_columns(model)
    refuse_infinite_in_footers([data], inputs, named=False)
    return inputs, name


def _header_notes(model: Any, header: pd.DataFrame) -> list[str]:
    """The notes ``model``'s preprocessing (an ``.onnx`` export's graph feeds) says of the columns of ``header`` (an empty frame:
    the file's columns less the target and weight), as it says them of the whole table: the columns it does not use, and
    the weight column it was trained with, left out (where no ``--sample-weight`` took it out first)."""
    from ..ship import OnnxModel
    from ._data import model_inputs

    if isinstance(model, OnnxModel):
        own = [c for c in (model.target, model.weight_column) if c is not None and c in header.columns and c not in model.inputs]
        notes = list(model.feeds(header.drop(columns=own))[1])
        weight = model.weight_column
        if weight is not None and weight in own:  # said, as the export's file read whole said it (ship's OnnxModel)
            notes.insert(0, f"left out column '{weight}': the weight column the model was trained with (train --sample-weight {weight}), not an input")
        return notes
    said: list[str] = []
    model_inputs(model, header, None, said)
    return said


def no_labelled_rows(data: str, src: Any, name: str, read: int, no_target: dict[str, tuple[int, list[int]]]) -> DataError:
    """The refusal of the one file ``data`` of which no row was scored (``read`` rows read, ``no_target`` those without a
    target value, as :meth:`~hiddenlayers.data.ParquetSource.drop_notes` takes them), in the words of the file read whole:
    no data rows; every target value missing; no row left (rows of the wrong width, the rest without a target)."""
    from ..data import no_rows_reason, stream_file_columns

    dropped = src.drop_notes(no_target)
    if not dropped:
        return DataError(no_rows_reason(data, stream_file_columns(data)[data]))
    if read and src.drop_notes() == []:  # every row read, none with a target value
        return DataError(f"the target column '{name}' is empty (every value is missing).")
    if not read:  # no row fits its header
        return DataError(f"no usable rows: {dropped[0]}. Fix those lines: every row needs one value per header column.")
    return DataError(f"no usable rows left: {dropped[0]}. Fix those lines.")


def file_columns_checked(model: Any, data: str, keep: list[str] | None, outputs: list[str], said: list[str] | None = None) -> list[str]:
    """The columns to read from the file ``data`` (the model's inputs, then ``keep``), once its refusals that come before any
    row are made, in the order and words of the file read whole: an empty file, ``--keep``, a column the model needs (the
    preprocessing's own error, run on the header's empty frame), an infinite number in a Parquet footer. ``said``: where the header's notes go (the columns the model does not use)."""
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
    if said is not None:  # the header's notes (the columns the model does not use, --keep's aside), as the whole read said them
        said.extend(_header_notes(model, header.drop(columns=[c for c in keep or [] if c not in inputs])))
    return [*inputs, *[c for c in keep or [] if c not in inputs]]


def refuse_infinite_ahead(model: Any, data: str, read_rows: int) -> None:
    """A DataError for the first infinite number in a numeric column of the CSV or TSV file ``data`` that ``model``'s stored
    preprocessing reads, with every such cell of that column counted, as the file read whole refused it: before any row.

    Nothing to read for most files: only text holding ``inf`` anywhere (:data:`_INFINITY`) can hold an infinite number,
    and then the numeric columns alone are read once ahead. Parquet's footers say it (:func:`file_columns_checked`). An
    ``.onnx`` export's numeric graph inputs are read alike; a Pipeline of scikit-learn steps refuses it when its batch is read.
    """
    from ..data import refuse_infinite
    from ..ship import OnnxModel

    if isinstance(model, OnnxModel):  # its graph's numeric inputs, which its feeds refuse an infinite cell of as the preprocessing does
        numeric = [str(c) for c in (model.spec or {}).get("numeric", [])]
    else:
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
    """Whether the text file ``path`` (gzip-compressed for ``.gz``) holds ``inf`` in any case anywhere, read a block at a time.

    Every spelling pandas reads as infinite holds it (``inf``, ``-Infinity``, ``INF``). A block without an ``f`` or ``F``
    (a file of numbers: 0.01 s for 50 MB) is passed by two byte searches; a case-blind regex read every block at 0.4 s,
    a fifth of ``evaluate``'s CPU on such a file (benchmarks/RESULTS.md)."""
    opener: Any = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        tail = b""
        while block := fh.read(_BLOCK):
            text = tail + block
            if (b"f" in text or b"F" in text) and b"inf" in text.lower():
                return True
            tail = block[-2:]
    return False


__all__ = ["file_columns_checked", "labelled_file_checked", "labelled_source", "no_labelled_rows", "refuse_infinite_ahead", "source"]
