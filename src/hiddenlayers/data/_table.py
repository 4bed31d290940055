"""Tables in: files (CSV, TSV, Parquet, JSON lines, ``.npy``/``.npz``) and bundled datasets.

Everything is read into a :class:`pandas.DataFrame` so the preprocessing
sees one shape of input. JSON values keep the types JSON gave them (no
date guessing from column names), so a JSON lines file and its CSV encode alike. NumPy files are read with ``allow_pickle=False``;
nothing is ever unpickled. Bundled datasets are the real ones that ship inside
scikit-learn (no download): a dataset name works wherever a file path does.

:func:`read_table` checks the path and dispatches by suffix; each format's reader is in :mod:`._table_readers`, the
:class:`~._table_record.Table` it returns (and the wording of dropped rows) in :mod:`._table_record`, the bundled datasets
in :mod:`._datasets`, and what is done with the target column (split, task) in :mod:`._target`.

>>> frame = load_table("iris")
>>> frame.shape
(150, 5)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..exceptions import DataError
from ._datasets import DATASET_TARGET, DATASETS, BundledDataset, find_dataset
from ._table_readers import not_utf8, read_delimited, read_json, read_numpy, read_parquet, refuse_nested
from ._table_record import SHOW_LINES, TOO_FEW, TOO_MANY, Table, drop_note, missing_target_reason
from ._target import MAX_CLASSES_GUESS, default_target, infer_task, mistyped_numeric_target, resolve_column, split_target, unused_columns

#: File suffixes this module reads, and the reader each one uses.
SUFFIXES = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".npy": "npy", ".npz": "npz",
}


def load_table(source: str | os.PathLike[str]) -> Any:
    """Read ``source`` (a file path or a bundled dataset name) into a DataFrame, every data row kept.

    For commands that keep one output row per input row (``predict``): a CSV row with too few or too many fields raises
    :class:`DataError` naming its line, where :func:`read_table` would drop it. Also raises :class:`DataError` with a
    one-line fix for a missing, empty, unreadable or unsupported file.

    Parameters
    ----------
    source : str or PathLike
        A CSV/TSV, Parquet, JSON (lines) or NumPy file (by its suffix: ``SUFFIXES``), or the name of a bundled dataset
        (``hiddenlayers datasets`` lists them).
    """
    return read_table(source).every_row().frame


def no_rows_reason(text: str, columns: Sequence[Any]) -> str:
    """The error for a table of no rows (or no columns, ``columns`` empty) read from the file ``text``, in its format's words
    (by its suffix): :func:`read_table`'s, and ``predict``'s for one file it streams, so both say it alike.

    A Parquet or JSON file has no header row, so telling it to have one (as a CSV file is told) named nothing it lacks.

    Parameters
    ----------
    text : str
        The file, as the user gave it.
    columns : sequence
        Its column names.
    """
    kind = SUFFIXES.get(Path(text).suffix.lower(), "csv" if text.lower().endswith(".csv.gz") else "")
    if kind in ("csv", "tsv"):
        return f"'{text}' has no data rows: give a file with a header row and at least one row of data."
    what = {"parquet": "a Parquet file", "jsonl": "a JSON lines file", "json": "a JSON file"}.get(kind, "a file")
    if len(columns) == 0:
        return f"'{text}' is {what} with no columns: write it again with its columns and rows, or give another file."
    names = [str(c) for c in columns]
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"'{text}' is {what} with no rows (its columns: {shown}): give a file with at least one row of data."


def read_table(source: str | os.PathLike[str]) -> Table:
    """Read ``source`` (a file path or a bundled dataset name) into a :class:`Table`.

    CSV/TSV rows with fewer or more fields than the header are dropped and recorded with their line numbers (pandas
    alone would pad short rows with NaN in silence). A clean file is read by pandas' fast reader alone; the
    record-by-record scan runs only when pandas' result shows a possibly ragged row. Raises :class:`DataError` with a
    one-line fix for a missing, empty, unreadable or unsupported file, or one with no data rows left.

    Parameters
    ----------
    source : str or PathLike
        A CSV/TSV, Parquet, JSON (lines) or NumPy file (by its suffix: ``SUFFIXES``), or the name of a bundled dataset
        (``hiddenlayers datasets`` lists them).

    Examples
    --------
    >>> read_table("iris").frame.shape
    (150, 5)
    """
    import pandas as pd

    text = os.fspath(source)
    path = Path(text)
    if not path.exists():
        ds = find_dataset(text)
        if ds is not None:
            frame = ds.load()
            return Table(frame, text, len(frame))
        if text == "-":  # a shell's "standard input": said as such, not as a missing file
            raise DataError("'-' (standard input) is not read here: save the table to a file first (e.g. `cat > new.csv`) and give its "
                            "path; `hiddenlayers predict`, `evaluate` and `check` read DATA '-' from a pipe (`check` its --against too).")
        names = ", ".join(DATASETS)
        raise DataError(f"'{text}' is neither a file nor a bundled dataset: check the path, or use one of {names}.")
    if path.is_dir():
        raise DataError(f"'{text}' is a folder: give a data file (CSV, TSV, Parquet, JSON lines, .npy or .npz); a folder of Parquet or CSV "
                        "files is streamed, never read whole, by hl.data.ParquetSource(path, target=...) and `hiddenlayers train`, "
                        "`predict` and `evaluate`.")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"'{text}' has an unsupported file type '{path.suffix or '(none)'}': use one of {', '.join(sorted(SUFFIXES))}."
        )
    if path.stat().st_size == 0:
        raise DataError(f"'{text}' is empty: give a file with a header row and at least one row of data.")
    try:
        if kind in ("csv", "tsv"):
            table = read_delimited(path, "\t" if kind == "tsv" else ",", text)
        else:
            if kind == "parquet":
                frame = read_parquet(path)
            elif kind in ("jsonl", "json"):
                frame = read_json(path, kind)
            else:
                frame = read_numpy(path, kind)
            if kind != "npy" and kind != "npz" and isinstance(frame, pd.DataFrame):
                refuse_nested(frame, text)  # JSON's lists and objects, Parquet's list and struct columns
            table = Table(frame, text, len(frame) if isinstance(frame, pd.DataFrame) else 0)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"'{text}' has no columns: give a file with a header row and at least one row of data.") from None
    except UnicodeDecodeError:
        raise DataError(not_utf8(path, text)) from None
    except (ValueError, OSError, pd.errors.ParserError, ImportError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read '{text}' as {kind}: {reason[:200]}. Check the file's format and suffix.") from None
    except Exception as exc:  # pyarrow raises its own error classes for corrupt Parquet
        raise DataError(f"cannot read '{text}' as {kind} ({type(exc).__name__}): the file may be corrupt.") from None
    frame = table.frame
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"'{text}' does not hold a table: give rows of records with named columns.")
    if frame.shape[0] == 0 and table.n_dropped:
        raise DataError(f"no usable rows: {table.drop_summary()}. Fix those lines: every row needs one value per header column.")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(no_rows_reason(text, list(frame.columns)))
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise DataError(f"'{text}' has the column '{dup}' twice: give every column a unique name.")
    return table


# the names read from here before the split into _datasets, _table_record, _table_readers and _target, kept importable
__all__ = ["DATASETS", "DATASET_TARGET", "MAX_CLASSES_GUESS", "SHOW_LINES", "SUFFIXES", "TOO_FEW", "TOO_MANY", "BundledDataset", "Table",
           "default_target", "drop_note", "find_dataset", "infer_task", "load_table", "missing_target_reason", "mistyped_numeric_target", "no_rows_reason",
           "read_table", "resolve_column", "split_target", "unused_columns"]
