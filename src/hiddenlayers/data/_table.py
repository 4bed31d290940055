"""Tables in: files (CSV, TSV, Parquet, JSON lines, ``.npy``/``.npz``) and bundled datasets.

Everything is read into a :class:`pandas.DataFrame` so the preprocessing
sees one shape of input. JSON values keep the types JSON gave them (no
date guessing from column names), so a JSON lines file and its CSV encode alike. NumPy files are read with ``allow_pickle=False``;
nothing is ever unpickled. Bundled datasets are the real ones that ship inside
scikit-learn (no download): a dataset name works wherever a file path does.

>>> frame = load_table("iris")
>>> frame.shape
(150, 5)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import DataError
from ._close_names import did_you_mean

#: File suffixes this module reads, and the reader each one uses.
SUFFIXES = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".npy": "npy", ".npz": "npz",
}


@dataclass(frozen=True)
class BundledDataset:
    """A real dataset shipped inside an installed package."""

    name: str
    loader: str  # function name in sklearn.datasets
    task: str  # "classification" or "regression"
    description: str

    def load(self) -> Any:
        """The dataset as a DataFrame: feature columns plus a ``target`` column."""
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, self.loader)(as_frame=True)
        frame = bunch.frame.copy()
        if self.task == "classification" and hasattr(bunch, "target_names") and bunch.target_names is not None:
            names = list(bunch.target_names)
            # digits' target names are the digits themselves: keep the integers
            if not all(str(n) == str(i) for i, n in enumerate(names)):
                frame["target"] = [str(names[int(v)]) for v in frame["target"]]
        return frame


DATASETS: dict[str, BundledDataset] = {
    d.name: d
    for d in [
        BundledDataset("digits", "load_digits", "classification", "8x8 images of handwritten digits 0-9 (1797 rows, 64 pixel columns)"),
        BundledDataset("iris", "load_iris", "classification", "iris flowers, 3 species (150 rows, 4 measurements)"),
        BundledDataset("wine", "load_wine", "classification", "wines from 3 cultivars (178 rows, 13 chemical measurements)"),
        BundledDataset("breast_cancer", "load_breast_cancer", "classification", "breast tumours, malignant or benign (569 rows, 30 features)"),
        BundledDataset("diabetes", "load_diabetes", "regression", "diabetes progression after one year (442 rows, 10 features)"),
    ]
}
#: A numeric target of whole numbers with at most this many values is taken as classes.
MAX_CLASSES_GUESS = 20
#: The target column of every bundled dataset.
DATASET_TARGET = "target"


def find_dataset(name: str) -> BundledDataset | None:
    """The bundled dataset called ``name`` (case and ``-``/``_`` insensitive), else ``None``."""
    key = name.strip().lower().replace("-", "_")
    return DATASETS.get(key)


#: Reasons a row is dropped while reading (with the header's width in the message).
TOO_FEW, TOO_MANY = "fewer fields", "more fields"
#: How many line numbers a drop message lists before "...".
SHOW_LINES = 5


@dataclass
class Table:
    """A table read by :func:`read_table`, with the rows dropped on the way and why.

    ``frame`` holds the kept rows; ``data_rows`` counts every data record the
    source held (blank lines aside), so ``len(frame) + sum of dropped = data_rows``.
    ``dropped`` maps a reason to the 1-based file line numbers (CSV/TSV; the
    header is line 1) or data-row numbers (other formats) of the rows it removed.
    """

    frame: Any
    source: str
    data_rows: int
    dropped: dict[str, list[int]] = field(default_factory=dict)
    unit: str = "row"  # "line" for CSV/TSV
    _lines: Any = field(default=None, repr=False)
    _scan: Any = field(default=None, repr=False)
    _records: Any = field(default=None, repr=False)

    @property
    def n_dropped(self) -> int:
        """Rows dropped for any reason."""
        return sum(len(v) for v in self.dropped.values())

    def records(self) -> Any:
        """The file's :class:`~._csv_rows.Records` (its lines, ragged and blank ones included) for CSV/TSV, else None.

        Scanned on first use when pandas' own read needed no scan.
        """
        if self._records is None and self._scan is not None:
            self._records = self._scan()
        return self._records

    def lines(self) -> Any:
        """1-based file line (CSV/TSV) or data-row number of each row of ``frame``, as an int64 array."""
        import numpy as np

        if self._lines is None:
            rec = self.records()
            starts = rec.start if rec is not None else None
            if starts is None or len(starts) != len(self.frame):  # no lines to be had: number the rows
                starts, self.unit = np.arange(1, len(self.frame) + 1), "row"
            self._lines = starts
        return self._lines

    def where(self, row: int) -> str:
        """Where 0-based row ``row`` of ``frame`` is in the user's file: ``"line 7"`` (CSV/TSV: the file line, header =
        line 1, as the user's editor counts) or ``"row 6"`` (other formats: the data row, counted from 1)."""
        return f"{self.unit} {int(self.lines()[row])}"

    def every_row(self) -> Table:
        """This table, or a :class:`DataError` naming the lines the reader dropped (for commands that keep one output row per input row)."""
        if self.n_dropped:
            raise DataError(
                f"'{self.source}' has {self.n_dropped} of {self.data_rows} data rows that do not fit its header: {self.drop_reasons()}. "
                "Fix those lines: every row needs one value per header column."
            )
        return self

    def drop_missing(self, column: str, reason: str) -> Table:
        """A new Table without the rows whose ``column`` is missing; they are recorded under ``reason``."""
        missing = self.frame[column].isna().to_numpy()
        if not missing.any():
            return self
        lines = self.lines()
        return Table(
            self.frame[~missing].reset_index(drop=True), self.source, self.data_rows,
            {**self.dropped, reason: [int(v) for v in lines[missing]]}, self.unit, lines[~missing], self._scan, self._records,
        )

    def drop_summary(self) -> str:
        """``"dropped 2 of 4 data rows of 't.csv': 1 with fewer fields than the 3 header columns (line 5); ..."``; empty if none was dropped."""
        return drop_note(self.source, self.data_rows, {r: (len(w), w) for r, w in self.dropped.items()}, self.unit)

    def drop_reasons(self) -> str:
        """``"1 with fewer fields than the 3 header columns (line 5); 2 with ... (lines 7, 9)"``: why, and where."""
        return _drop_reasons({r: (len(w), w) for r, w in self.dropped.items()}, self.unit)


def missing_target_reason(name: str) -> str:
    """Why a row without a value of the target ``name`` was left out, in :func:`drop_note`'s words (every command's)."""
    return f"no value in the target column '{name}'"


def drop_note(source: str, data_rows: int, reasons: Mapping[str, tuple[int, Sequence[Any]]], unit: str) -> str:
    """The one note of the rows a read of ``source`` left out: ``"dropped 3 of 101 data rows of 't.csv': 1 with fewer fields
    than the 3 header columns (line 102); 2 with no value in the target column 'y' (lines 5, 9)"``; empty if none.

    ``data_rows``: the rows ``source`` held (dropped ones included); ``reasons``: reason -> (rows it dropped, their first
    lines or rows, at least :data:`SHOW_LINES` of them where there are); ``unit``: "line" (CSV/TSV) or "row".
    One function, so a file read whole (:meth:`Table.drop_summary`) and a folder read batch by batch say it alike.
    """
    n = sum(count for count, _ in reasons.values())
    if not n:
        return ""
    return f"dropped {n} of {data_rows} data rows of '{source}': {_drop_reasons(reasons, unit)}"


def _drop_reasons(reasons: Mapping[str, tuple[int, Sequence[Any]]], unit: str) -> str:
    parts = []
    for reason, (count, where) in reasons.items():
        if not count:
            continue
        shown = ", ".join(str(v) for v in list(where)[:SHOW_LINES]) + (", ..." if count > SHOW_LINES else "")
        parts.append(f"{count} with {reason} ({unit}{'s' if count > 1 else ''} {shown})")
    return "; ".join(parts)


def load_table(source: str | os.PathLike[str]) -> Any:
    """Read ``source`` (a file path or a bundled dataset name) into a DataFrame, every data row kept.

    For commands that keep one output row per input row (``predict``): a CSV
    row with too few or too many fields raises :class:`DataError` naming its
    line, where :func:`read_table` would drop it. Also raises
    :class:`DataError` with a one-line fix for a missing, empty, unreadable or
    unsupported file.
    """
    return read_table(source).every_row().frame


def _no_data(text: str, kind: str, frame: Any) -> str:
    """The error for a table ``frame`` of no rows or no columns read from ``text`` (of ``kind``), in that format's words.

    A Parquet or JSON file has no header row, so telling it to have one (as a CSV file is told) named nothing it lacks.
    """
    if kind in ("csv", "tsv"):
        return f"'{text}' has no data rows: give a file with a header row and at least one row of data."
    what = {"parquet": "a Parquet file", "jsonl": "a JSON lines file", "json": "a JSON file"}.get(kind, "a file")
    if frame.shape[1] == 0:
        return f"'{text}' is {what} with no columns: write it again with its columns and rows, or give another file."
    names = [str(c) for c in frame.columns]
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"'{text}' is {what} with no rows (its columns: {shown}): give a file with at least one row of data."


def read_table(source: str | os.PathLike[str]) -> Table:
    """Read ``source`` (a file path or a bundled dataset name) into a :class:`Table`.

    CSV/TSV rows with fewer or more fields than the header are dropped and
    recorded with their line numbers (pandas alone would pad short rows with
    NaN in silence). A clean file is read by pandas' fast reader alone; the
    record-by-record scan runs only when pandas' result shows a possibly
    ragged row. Raises :class:`DataError` with a one-line fix for a missing,
    empty, unreadable or unsupported file, or one with no data rows left.

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
            table = _read_delimited(path, "\t" if kind == "tsv" else ",", text)
        else:
            if kind == "parquet":
                frame = _read_parquet(path)
            elif kind in ("jsonl", "json"):
                frame = _read_json(path, kind)
            else:
                frame = _read_numpy(path, kind)
            table = Table(frame, text, len(frame) if isinstance(frame, pd.DataFrame) else 0)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"'{text}' has no columns: give a file with a header row and at least one row of data.") from None
    except UnicodeDecodeError:
        raise DataError(_not_utf8(path, text)) from None
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
        raise DataError(_no_data(text, kind, frame))
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise DataError(f"'{text}' has the column '{dup}' twice: give every column a unique name.")
    return table


def _read_delimited(path: Path, sep: str, text: str) -> Table:
    """A CSV/TSV file as a Table; rows of the wrong width are dropped and recorded (see :mod:`._csv_rows`)."""
    import warnings

    import numpy as np
    import pandas as pd

    from ._csv_rows import OpenQuote, first_row_is_ragged, has_bare_cr, scan
    from ._csv_text import read_header

    read_header(path, sep, text)  # a repeated or empty name, another separator: pandas would rename or merge in silence
    options = {"sep": sep, "skipinitialspace": True, "index_col": False}
    frame, suspects = None, None
    try:
        with warnings.catch_warnings():
            # pandas truncates a long first row with only a ParserWarning: treat it as ragged.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, **options)
        # pandas pads a short row with NaN: only rows with a missing last value may be short.
        suspects = np.flatnonzero(frame.iloc[:, -1].isna().to_numpy()) if frame.shape[1] > 0 else np.zeros(0, dtype=np.int64)
        if first_row_is_ragged(path, sep) or has_bare_cr(path):
            suspects = None  # fields dropped without a NaN (a long first row; pandas after a bare-\r blank line): count every record
    except (pd.errors.ParserError, pd.errors.ParserWarning):  # a long row past the first, or a quoting problem
        pass
    if frame is not None and suspects is not None and suspects.size == 0:
        return Table(frame, text, len(frame), unit="line", _scan=lambda: scan(path, sep, suspects))
    try:
        rec = scan(path, sep, suspects)
        if frame is not None and suspects is not None and len(rec.start) != len(frame):  # pandas and the scan disagree: count all
            rec = scan(path, sep)
    except OpenQuote as exc:
        raise DataError(exc.message(text)) from None
    if rec.width == 0:
        raise pd.errors.EmptyDataError
    few, many = rec.short, rec.long
    keep = ~(few | many)
    if frame is None or not keep.all():  # else pandas' own read was right: only missing values, no ragged row
        frame = pd.read_csv(rec.kept(keep), **options)
    if len(frame) != int(keep.sum()):  # the csv module and pandas split the records differently
        raise DataError(f"cannot match the rows of '{text}' to its lines (odd quoting?): check the file's quotes and line ends.")
    dropped = {}
    for mask, reason in ((few, TOO_FEW), (many, TOO_MANY)):
        if mask.any():
            dropped[f"{reason} than the {rec.width} header columns"] = [int(v) for v in rec.start[mask]]
    return Table(frame, text, len(rec.start), dropped, "line", rec.start[keep], _records=rec)


def _read_parquet(path: Path) -> Any:
    """A Parquet file as pandas reads it, but for its decimal columns (a database's NUMERIC): float64, cast by Arrow
    (:func:`~._arrow_decimals.decimals_as_float`), where pandas gives objects of ``decimal.Decimal`` that no numeric
    check (``is_numeric_dtype``: the target's task, the data check) takes for numbers."""
    import pandas as pd
    import pyarrow.parquet as pq

    from ._arrow_decimals import decimals_as_float, has_decimals

    if not has_decimals(pq.read_schema(path)):
        return pd.read_parquet(path)
    return decimals_as_float(pq.read_table(path)).to_pandas()


def _read_json(path: Path, kind: str) -> Any:
    """A JSON lines file, or a ``.json`` file of either shape: one record per line, or one array of records.

    ``dtype=False``: values keep the types JSON gave them, as a CSV's cells are
    read. pandas' own inference turns a column named ``date`` or ``*_at`` into
    datetimes (epoch integers too) and ``true``/``false``/``null`` into 1.0/0.0/NaN.
    """
    import pandas as pd

    if kind == "json":
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"["):  # an array of records (``to_json(orient="records")``); read by lines it was one row of dicts
            return pd.read_json(path, dtype=False)
        try:
            return pd.read_json(path, lines=True, dtype=False)
        except ValueError:
            return pd.read_json(path, dtype=False)
    return pd.read_json(path, lines=True, dtype=False)


def _not_utf8(path: Path, text: str) -> str:
    """The one-line message for a text file that is not UTF-8: its first bad line and how to convert it."""
    from ._csv_text import encoding_problem

    return encoding_problem(path, text) or f"'{text}' is not UTF-8 text: save it as UTF-8."


def _read_numpy(path: Path, kind: str) -> Any:
    """A ``.npy`` (2-D: columns ``x0..``) or ``.npz`` (``X`` + ``y``, or one array) as a DataFrame."""
    import numpy as np
    import pandas as pd

    if kind == "npy":
        arr = np.load(path, allow_pickle=False)
        return _array_frame(arr, path)
    with np.load(path, allow_pickle=False) as npz:
        keys = list(npz.files)
        lower = {k.lower(): k for k in keys}
        xkey = next((lower[k] for k in ("x", "data", "features") if k in lower), None)
        ykey = next((lower[k] for k in ("y", "target", "labels", "label") if k in lower), None)
        if xkey is None and len(keys) == 1:
            xkey = keys[0]
        if xkey is None:
            raise DataError(f"'{path}' holds arrays {keys}: name the features 'X' and the target 'y' (np.savez(path, X=X, y=y)).")
        frame = _array_frame(npz[xkey], path)
        if ykey is not None:
            y = npz[ykey]
            if y.ndim != 1 or y.shape[0] != frame.shape[0]:
                raise DataError(f"'{path}': '{ykey}' has shape {y.shape}, expected ({frame.shape[0]},) to match '{xkey}'.")
            frame[DATASET_TARGET if DATASET_TARGET not in frame.columns else "y"] = pd.Series(y)
    return frame


def _array_frame(arr: Any, path: Path) -> Any:
    import pandas as pd

    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise DataError(f"'{path}' holds an array of shape {arr.shape}: give a 2-D table (rows, columns).")
    if arr.dtype.kind not in "biufUS":
        raise DataError(f"'{path}' holds an array of dtype {arr.dtype}: give numbers or strings.")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def default_target(source: str, frame: Any) -> str | None:
    """The target to use when the user gave none: ``target`` for bundled data and ``.npz`` with ``y``."""
    if DATASET_TARGET in frame.columns and (find_dataset(source) is not None or source.lower().endswith(".npz")):
        return DATASET_TARGET
    return None


def split_target(frame: Any, target: str | None, features: list[str] | None = None) -> tuple[Any, Any]:
    """Split ``frame`` into the feature table and the target Series.

    ``target`` is a column name, or an integer position (``-1`` = last
    column); ``features`` picks feature columns (default: all others). Rows
    whose target is missing are dropped.
    """
    from ._check.common import preview

    columns = list(frame.columns)
    shown = preview([repr(c) for c in columns], 8)
    if target is None:
        raise DataError(f"no target column given: pass --target COLUMN, one of {shown}.")
    name = resolve_column(target, columns)
    if features:
        unknown = [f for f in features if f not in columns]
        if unknown:
            raise DataError(f"unknown feature column(s) {', '.join(repr(u) for u in unknown)}: the table has {shown}.{did_you_mean(unknown, unused_columns(columns, features))}")
        if name in features:
            raise DataError(f"the target '{name}' is also listed in --features: remove it from --features.")
        X = frame[list(features)]
    else:
        X = frame.drop(columns=[name])
    if X.shape[1] == 0:
        raise DataError(f"no feature columns left besides the target '{name}': the table needs at least one more column.")
    y = frame[name]
    keep = y.notna().to_numpy()
    if not keep.any():
        raise DataError(f"the target column '{name}' is empty (every value is missing).")
    return X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)


def resolve_column(target: str, columns: list[str]) -> str:
    """``target`` as a column name; an integer string is a position if no column has that name."""
    if target in columns:
        return target
    try:
        pos = int(target)
    except ValueError:
        pos = None
    if pos is not None and -len(columns) <= pos < len(columns):
        return columns[pos]
    from ._check.common import preview

    raise DataError(f"unknown target column '{target}': the table has {preview([repr(c) for c in columns], 8)}.{did_you_mean([target], columns)}")


def unused_columns(columns: list[Any], named: list[str]) -> list[Any]:
    """``columns`` less those ``named`` (where a did-you-mean for a misspelt one of ``named`` looks)."""
    return [c for c in columns if c not in set(named)]


def infer_task(y: Any) -> str:
    """``"classification"`` for text/bool/few-integer targets, else ``"regression"``."""
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        return "regression"
    integral = np.all(values == np.round(values))
    n_unique = len(np.unique(values))
    return "classification" if integral and n_unique <= MAX_CLASSES_GUESS else "regression"


def mistyped_numeric_target(y: Any) -> list[int]:
    """Rows of a text target that would be a regression target but for a few cells that are no numbers (empty if not so).

    A numeric column with one typo ('high' among 441 numbers) reads as text, and :func:`infer_task` would make it a
    classification with one class per distinct number. The rule is the features' (:data:`NUMERIC_TEXT_RATIO` of the
    present cells parse as numbers), and the parsed numbers must themselves look like a regression target.
    """
    import numpy as np
    import pandas as pd

    from ._cells import is_missing
    from ._preprocessing import NUMERIC_TEXT_RATIO

    if pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return []
    present = ~y.map(is_missing).to_numpy(dtype=bool)
    parsed = pd.to_numeric(y.astype(str).str.strip(), errors="coerce")
    bad = present & parsed.isna().to_numpy()
    share = 1 - bad.sum() / max(1, int(present.sum()))
    if not bad.any() or share < NUMERIC_TEXT_RATIO or infer_task(parsed[present & ~bad]) != "regression":
        return []
    return [int(r) for r in np.flatnonzero(bad)]


__all__ = ["DATASETS", "DATASET_TARGET", "BundledDataset", "default_target", "drop_note", "find_dataset", "infer_task", "load_table", "missing_target_reason", "mistyped_numeric_target", "read_table", "split_target", "Table"]
