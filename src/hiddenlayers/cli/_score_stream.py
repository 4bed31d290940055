"""``predict DIR`` and ``evaluate DIR``: a folder (or glob) of Parquet or CSV files scored batch by batch.

A model trained with ``train big/ --target y`` scores a held-out folder without loading it: the record batches
of :meth:`hiddenlayers.data.ParquetSource.batches` (file order, each file's rows in order) go through the model one
at a time. ``predict`` writes each batch's rows as they come (``--out``: a temp file beside it, renamed at the end,
so a failure or Ctrl-C leaves no half file; stdout: CSV); ``evaluate`` adds each batch to :class:`~._stream_metrics.MetricSums`,
whose metrics equal those of every row at once. Every file's columns are checked against the model's before a row
is read, with the one-file messages and the file named; a cell is named by its file and line (Parquet: row).
Table models only: a ``.safetensors`` file, or its ``.onnx`` export (:class:`~hiddenlayers.ship.OnnxModel`, run by onnxruntime on
each batch: the same output file, rows, errors and metrics). An application file, or an application's export, reads one file.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..data import BatchNotes
from ..exceptions import DataError
from ._common import UserError, note, one_line
from ._data import categorical_columns, check_keep, input_columns, load_model, output_columns, refuse_missing_inputs, stored_target

#: Rows per record batch read from disk (``ParquetSource(read_rows=)``): memory holds one batch and its predictions.
READ_ROWS = 65_536


def is_folder_input(data: str) -> bool:
    """A directory, or a glob that names no file: scored batch by batch (a file keeps the in-memory path)."""
    return os.path.isdir(data) or (any(ch in data for ch in "*?[") and not os.path.isfile(data))


#: a data file of these suffixes is scored batch by batch by a table model (:func:`streamed_file`), as a folder is
STREAMED_SUFFIXES = (".csv", ".csv.gz", ".txt", ".tsv", ".tab", ".parquet", ".pq", ".jsonl", ".ndjson")


def streamed_file(data: str) -> bool:
    """``data`` is one table file (CSV, TSV, gzip-compressed CSV, JSON lines or Parquet, by its suffix) that a table model
    scores batch by batch, as a folder's files (``predict`` and ``evaluate``): memory holds one batch and its predictions,
    not the table (300 MB of CSV read whole took 4 GB). A bundled dataset, a JSON array and NumPy files are read whole."""
    return os.path.isfile(data) and data.lower().endswith(STREAMED_SUFFIXES)


def refuse_folder(data: str, what: str) -> None:
    """A UserError when ``data`` is a folder or glob and ``what`` (an application file, or its .onnx export) reads one file."""
    if is_folder_input(data):
        raise UserError(f"'{data}' is a folder or a glob, which is scored batch by batch for a table model's .safetensors file or .onnx export only; "
                        f"{what} reads one data file: pass one file.")


def _checked_files(model: Any, data: str, extra: list[str], check: Callable[[pd.DataFrame], None] | None = None) -> list[str]:
    """The columns to read (the model's inputs, then ``extra`` not among them), once every file of ``data`` has the model's
    inputs (the one-file message, the file named) and passes ``check`` (given an empty frame of its columns), and no Parquet
    footer shows an infinite number in them (:func:`~hiddenlayers.data.refuse_infinite_in_footers`): refused before a row
    is written, where ``predict``'s stdout keeps what it printed."""
    from ..data import refuse_infinite_in_footers, stream_file_columns

    inputs = input_columns(model)
    if not inputs:
        raise UserError("this model file records no column names, so a folder's columns cannot be matched to it: pass one file.")
    files = stream_file_columns(data)
    for file, names in files.items():
        try:
            refuse_missing_inputs(model, names)
            if check is not None:
                check(pd.DataFrame(columns=names))
        except (DataError, UserError) as exc:
            raise type(exc)(f"'{file}': {exc}") from None
    refuse_infinite_in_footers(list(files), inputs)
    return [*inputs, *[c for c in extra if c not in inputs]]


def _load(model_path: str) -> Any:
    """The table model in ``model_path``: an :class:`~hiddenlayers.ship.OnnxModel` for an ``.onnx`` export, else the
    ``.safetensors`` file's estimator (a TableEncoder Pipeline's MLP with its encoder's preprocessing), or its Pipeline of
    scikit-learn steps then an MLP, run whole on each batch as ``predict FILE`` runs it (fitted steps work row by row)."""
    if Path(model_path).suffix.lower() == ".onnx":
        from ..ship import OnnxModel

        return OnnxModel(model_path)
    return load_model(model_path, pipeline=True)


def _trained_weight(model: Any) -> str | None:
    """The weight column the model was trained with (``train --sample-weight``), as its file records it; None if none."""
    from ..ship import OnnxModel
    from ._weights import stored_weight_column

    return model.weight_column if isinstance(model, OnnxModel) else stored_weight_column(model)


def _where(src: Any, file: str, at: int, rows: Any = None, *, named: bool = True) -> Callable[[int], str]:
    """``where(i)``: row ``i`` of a batch (``rows[i]`` of it where rows were left out) by its file and line (``named``
    False: by its line alone, ``line 7``, as a file read whole names it: one file, which the user named)."""
    if named:
        return lambda i: src.locate(file, at + (i if rows is None else int(rows[i])))

    def where(i: int) -> str:
        unit, (n,) = src.lines_of(file, [at + (i if rows is None else int(rows[i]))])
        return f"{unit} {n}"

    return where


class _Notes(BatchNotes):
    """The preprocessing's notes of a folder's record batches (a list that :func:`~._data.model_inputs` appends to), and the
    file each came from (:meth:`read`, after each batch), for :func:`~hiddenlayers.data.joined_notes`; ``named`` False
    (one file): without the files, as the file read whole says them."""

    def __init__(self, named: bool = True) -> None:
        super().__init__()
        self.named = named

    def say(self) -> None:
        """Each note once at the end: a counted one (unseen categories, missing cells the model never saw) as one line with
        its counts over every batch and the files they are in; up to 5 others, then how many more."""
        shown = self.joined(named=self.named)
        for msg in shown[:5]:
            note(msg)
        if len(shown) > 5:
            note(f"... and {len(shown) - 5} more notes of later record batches")


def predict_stream(model_path: str, data: str, *, proba: bool, out: str | None, keep: list[str] | None, read_rows: int = READ_ROWS,
                   threshold: float | None = None, pos_label: str | None = None) -> int | None:
    """Write the predictions of every row of ``data`` (a folder or glob, or one table file: :func:`streamed_file`, a pipe's
    too) to ``out`` (by its suffix) or stdout as CSV, a record batch at a time; the rows written. None: ``data`` is one file
    and the model records no column names to match its columns to (it reads them by position: read whole by the caller).

    The rows come in the folder's file order, ``keep`` columns in front, as ``predict FILE`` writes them. Output row k is
    input row k: a row of the wrong width is refused, naming its file and line (a folder's was dropped with a note, so
    every later prediction sat beside the wrong input row of whoever joined the two by position). One file says its
    rows, notes and refusals in the words of the file read whole (``line 7``, not ``'f.csv' line 7``; its counts over
    every row), so streaming it changed nothing but the memory it takes. ``threshold`` and ``pos_label``: ``--threshold``
    and ``--pos-label`` (:func:`._binary.cut_for`).
    """
    from ._binary import cut_for
    from ._predict_rows import predict_rows, refuse_proba
    from ._score_file import file_columns_checked, refuse_infinite_ahead, source

    model = _load(model_path)
    one = os.path.isfile(data)
    if one and not input_columns(model):
        return None
    refuse_proba(model, proba)
    cut = cut_for(getattr(model, "classes_", None), threshold, pos_label, model_path)
    said: list[str] = []  # one file's header notes, said once its rows are written, before the batches' own (the whole read's order)
    outputs = output_columns(stored_target(model), getattr(model, "classes_", None), proba)
    if one:
        columns = file_columns_checked(model, data, keep, outputs, said)
        refuse_infinite_ahead(model, data, read_rows)
    else:
        columns = _checked_files(model, data, keep or [], lambda frame: check_keep(frame, keep, outputs))
    src = source(data, columns, read_rows, categorical_columns(model))
    notes = _Notes(named=not one)

    def batches() -> Any:
        reading = src.batches()
        for file, at, frame in reading:
            rows = predict_rows(model, frame, _where(src, file, at, named=not one), proba, keep, notes, cut)
            notes.read(file)
            _refuse_dropped(src, reading if one else None)
            yield rows
        _refuse_dropped(src, iter(()) if one else None)  # a ragged last line, or no row that fits

    if out is None:  # streamed as it comes: a later file's bad cell ends it after the rows before (the error says how many)
        rows = batches()
        try:
            n = _write_batches(rows, sys.stdout, ".csv", text=True, said="stdout", source=data, one=one)
        except BrokenPipeError:  # `| head`: the reader left; done, exit 0 as predict FILE (Click's own exit was 1)
            rows.close()  # the reader's threads stopped now: left to the interpreter's exit, they aborted it (exit 134)
            sys.stderr.close()
            return 0
    else:
        from .._files import atomic_stream

        with atomic_stream(out) as fh:
            n = _write_batches(batches(), fh, Path(out).suffix.lower(), text=False, source=data, one=one)
    for msg in said:
        note(msg)
    notes.say()
    return n


def _refuse_dropped(src: Any, rest: Iterator[Any] | None) -> None:
    """A DataError when the reader dropped rows (its notes: "dropped K of N data rows of 'F': reasons"), where every input
    row needs its prediction. ``rest``: the batches of one file still to read, read through (not predicted) so the error
    counts every row of the wrong width, in the words of the file read whole (:func:`~hiddenlayers.data.unfit_rows_reason`);
    None: a folder's, which names the rows found so far."""
    dropped = src.drop_notes()
    if not dropped:
        return
    if rest is not None:
        from ..data import unfit_rows_reason

        read = sum(len(frame) for _, _, frame in rest)  # the rest of the file, for every row of the wrong width
        found = re.match(r"dropped (\d+) of (\d+) data rows of '(.*?)': (.*)$", src.drop_notes()[0], re.S)
        if found:
            n, total, source, reasons = found.groups()
            if int(n) == int(total) and not read:  # no row fits: read_table's words
                raise DataError(f"no usable rows: {src.drop_notes()[0]}. Fix those lines: every row needs one value per header column.")
            raise DataError(unfit_rows_reason(source, int(n), int(total), reasons))
    found = re.match(r"dropped \d+ of \d+ data rows of (.*?): (.*)$", dropped[0])
    source, reasons = found.groups() if found else ("the data", dropped[0])
    raise DataError(f"{source} has rows that do not fit its header ({reasons}): predict writes one row per input row. "
                    "Fix those lines: every row needs one value per header column.")


def _write_batches(batches: Any, fh: IO[Any], suffix: str, *, text: bool, said: str | None = None, source: str = "", one: bool = False) -> int:
    """Write each DataFrame of ``batches`` to ``fh`` as ``suffix`` (:class:`_BatchWriter`); the rows written.

    ``said``: where ``fh`` writes to when what is written stays there after an error (stdout, which no temp file guards):
    an error after some rows (a bad cell in a later file, which no header check sees) then says how many rows are there
    already, so whoever reads the pipe knows its table is cut short. None: ``fh`` is a temp file, removed on an error.
    ``source``: the folder, glob or file the rows come from, named when it has none (``one``: a file, in the words of
    the file read whole, :func:`~hiddenlayers.data.no_rows_reason`)."""
    out = _BatchWriter(fh, suffix, text)
    try:
        for frame in batches:
            out.write(frame)
    except (DataError, UserError) as exc:
        if said is None or not out.rows:
            raise
        why = (f"{one_line(exc)} ({out.rows:,} rows of the earlier record batches were already written to {said}: that table is cut "
               "short; --out FILE writes nothing on an error)")
        raise (DataError(why) if isinstance(exc, DataError) else UserError(why)) from None
    finally:
        out.close()
    if out.rows == 0:  # every format alike (a .csv or stdout got nothing, not even a header, and exit 0), as one file without rows is refused
        if one:
            from ..data import no_rows_reason, stream_file_columns

            raise DataError(no_rows_reason(source, stream_file_columns(source)[source]))
        raise DataError(f"'{source}' has no rows to predict: nothing written.")
    return out.rows


class _BatchWriter:
    """Writes DataFrames one after another to ``fh`` as ``suffix`` (.parquet: one row group each; .csv/.tsv: the header once;
    .jsonl), as text (``text``: stdout) or bytes; ``rows``: those written so far. A batch whose Parquet types differ from the
    first's is cast to them (a DataError if it cannot)."""

    def __init__(self, fh: IO[Any], suffix: str, text: bool) -> None:
        self.fh, self.suffix, self.text = fh, suffix, text
        self.rows = 0
        self._parquet: Any = None
        self._schema: Any = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows."""
        from ._table_out import jsonl_bytes

        if self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False, schema=self._schema)
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(self.fh, self._schema)
            self._parquet.write_table(table)
        elif self.suffix == ".jsonl":
            self.fh.write(jsonl_bytes(frame).decode() if self.text else jsonl_bytes(frame))
        else:
            body = frame.to_csv(index=False, header=self.rows == 0, sep="\t" if self.suffix == ".tsv" else ",")
            self.fh.write(body if self.text else body.encode())
        self.rows += len(frame)

    def close(self) -> None:
        """End a Parquet file's footer (nothing to end for the text formats)."""
        if self._parquet is not None:
            self._parquet.close()


def evaluate_stream(model_path: str, data: str, *, target: str | None, sample_weight: str | None, read_rows: int = READ_ROWS,
                    pos_label: str | None = None, threshold: float | None = None) -> dict[str, Any] | None:
    """``evaluate``'s result (``rows``, ``task``, ``metrics``, ...) for every row of ``data`` (a folder or glob, or one table
    file: :func:`streamed_file`, a pipe's too), batch by batch; None: ``data`` is one file and the model records no column
    names to match its columns to (it reads them by position: read whole by the caller).

    Rows without a target value are left out (and named per file in ``evaluate FILE``'s note), as ``evaluate FILE`` drops them; labels, weights
    and cells are checked as there, a bad one named by its file and line. One file says its rows, notes and refusals in
    the words of the file read whole (``line 7``, not ``'f.csv' line 7``), its metrics the same: a classifier's unweighted
    counts exactly; a weighted confusion matrix and a regressor's MAE, RMSE and R² are sums over batches, and ROC-AUC and
    average precision rank float32 probabilities that a batch's matrix product can round otherwise than the whole table's,
    so those may differ from the whole read's in the last digits (1e-10 to 1e-9 relative on a 294 MB CSV). The whole read
    is kept (None) for a model that reads columns by position; when two faults meet (an unknown ``--target`` in a file of
    no usable rows) this names the option first, the whole read the rows.
    ``threshold``: ``--threshold``, the probability of the positive class (``pos_label``, ``--pos-label``) at or above which a
    row is predicted positive (:func:`._binary.cut_for`). A classifier's probabilities are kept for ROC-AUC and average
    precision (:class:`~._stream_metrics.MetricSums`).
    """
    from ._binary import cut_for
    from ._data import refuse_input_as_target
    from ._score_file import labelled_file_checked, labelled_source, no_labelled_rows, refuse_infinite_ahead

    model = _load(model_path)
    one = os.path.isfile(data)
    if one and not input_columns(model):
        return None
    cut = cut_for(getattr(model, "classes_", None), threshold, pos_label, model_path)
    name = target or stored_target(model)
    if name is None:
        from ..ship import OnnxModel

        if isinstance(model, OnnxModel):  # the export's own words, as its file read whole said them (cli/_onnx)
            raise UserError(f"'{model_path}' does not record its target column (its model was not trained by `hiddenlayers train`): pass --target COLUMN.")
        raise UserError("this model file does not record its target column: pass --target COLUMN.")
    refuse_input_as_target(model, target)
    if sample_weight is not None and sample_weight in input_columns(model):
        raise UserError(f"--sample-weight '{sample_weight}' is one of the model's input columns: a weight column is never a feature; "
                        "pass a column the model does not read.")
    notes = _Notes(named=not one)
    if one:  # the whole read's refusals before any row, in its words
        features, name = labelled_file_checked(model, data, target, name, sample_weight, notes)
        notes.read(data)
        refuse_infinite_ahead(model, data, read_rows)
    else:
        features = _checked_files(model, data, [])  # the model's columns first, as evaluate FILE: another dataset's files, not their labels
        if target is None:
            _refuse_unlabelled(data, name)
    src = labelled_source(data, name, features, sample_weight, read_rows, categorical_columns(model))
    sums, read, no_target = _add_batches(model, src, name, sample_weight, notes, cut, pos_label, one)
    if sums.rows == 0:
        if one:
            raise no_labelled_rows(data, src, name, read, no_target)
        raise DataError(f"'{data}' has no rows with a value of the target '{name}' to score the model on.")
    from ..ship import OnnxModel

    exported = one and isinstance(model, OnnxModel)  # an export's file read whole said the dropped rows before the graph's notes
    if not exported:
        notes.say()
    for msg in src.drop_notes(no_target):  # as evaluate FILE's note: per file, with the lines
        note(msg)
    if exported:
        notes.say()
    trained = _trained_weight(model)
    if sample_weight is None and trained is not None and trained in next(iter(_file_columns(data).values())):
        note(f"these metrics are unweighted: pass --sample-weight {trained} to weight them as the training did.")
    classes = getattr(model, "classes_", None)
    return {"model": model_path, "data": data, "rows": sums.rows, "task": "classification" if classes is not None else "regression",
            "weighted_by": sample_weight, **({"threshold": threshold} if cut else {}), "metrics": sums.metrics()}


def _add_batches(model: Any, src: Any, name: str, sample_weight: str | None, notes: _Notes, cut: Any, pos_label: str | None,
                 one: bool) -> tuple[Any, int, dict[str, tuple[int, list[int]]]]:
    """(the :class:`~._stream_metrics.MetricSums` of every batch of ``src`` scored, the rows read, each file's rows without a
    value of the target ``name``: their count and first rows, for its drop note). ``one``: rows named as one file read whole names them."""
    from ..data import SHOW_LINES
    from ._binary import scored_positive
    from ._data import MODEL_IS_REGRESSOR, class_labels, regression_target
    from ._predict_rows import predictions
    from ._stream_metrics import MetricSums
    from ._weights import take_weights

    classes = getattr(model, "classes_", None)
    sums = MetricSums(classes, scored_positive(classes, pos_label))
    no_target = dict[str, tuple[int, list[int]]]()
    read = 0
    for file, at, frame in src.batches():
        read += len(frame)
        y = frame.pop(name)
        labelled = y.notna().to_numpy()
        rows = labelled.nonzero()[0]
        if len(rows) < len(y):  # the file's count and first rows without a target, for its drop note
            n, first = no_target.get(file, (0, []))
            no_target[file] = (n + len(y) - len(rows), [*first, *(at + (~labelled).nonzero()[0][:SHOW_LINES]).tolist()][:SHOW_LINES])
        frame, y = frame[labelled].reset_index(drop=True), y[labelled].reset_index(drop=True)
        where = _where(src, file, at, rows, named=not one)
        frame, w = take_weights(frame, sample_weight, target=name, where=where)
        yv = class_labels(y, classes, name) if classes is not None else regression_target(y, name, where, MODEL_IS_REGRESSOR)
        if len(yv):
            pred, proba = predictions(model, frame, where, notes, cut)
            sums.add(yv, pred, w, proba)
            notes.read(file)
    return sums, read, no_target


def _refuse_unlabelled(data: str, stored: str) -> None:
    """Rows without ``stored``, the target the model records (no ``--target`` given), in the words ``evaluate FILE`` says
    it (:func:`~._common.no_stored_target`), not the source's "no target column ... choose one of"; the first file's
    columns decide, as the header checks read them (an unreadable or empty folder is left to the source's own error)."""
    try:
        columns = next(iter(_file_columns(data).values()), None)
    except DataError:
        return
    if columns is not None and stored not in columns:
        from ._common import no_stored_target

        raise no_stored_target(stored, [str(c) for c in columns])


def _file_columns(data: str) -> dict[str, list[str]]:
    from ..data import stream_file_columns

    return stream_file_columns(data)
