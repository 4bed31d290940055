"""One reader per file format :func:`~._table.read_table` takes: CSV/TSV (ragged rows dropped and recorded by line),
Parquet (decimal columns as float64), JSON (values keep JSON's types), ``.npy``/``.npz`` (never unpickled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..exceptions import DataError
from ._datasets import DATASET_TARGET
from ._table_record import TOO_FEW, TOO_MANY, Table


def read_delimited(path: Path, sep: str, text: str) -> Table:
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


def read_parquet(path: Path) -> Any:
    """A Parquet file as pandas reads it, but for its decimal columns (a database's NUMERIC): float64, cast by Arrow
    (:func:`~._arrow_decimals.decimals_as_float`), where pandas gives objects of ``decimal.Decimal`` that no numeric
    check (``is_numeric_dtype``: the target's task, the data check) takes for numbers."""
    import pandas as pd
    import pyarrow.parquet as pq

    from ._arrow_decimals import decimals_as_float, has_decimals

    if not has_decimals(pq.read_schema(path)):
        return pd.read_parquet(path)
    return decimals_as_float(pq.read_table(path)).to_pandas()


def read_json(path: Path, kind: str) -> Any:
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


def refuse_nested(frame: Any, text: str, first_row: int = 0) -> None:
    """A :class:`DataError` naming the first cell of ``frame`` (read from ``text``, its first row being row ``first_row`` of
    the file, 0-based: a streamed batch's) that holds a list, an object or an array.

    Why: JSON (``{"a": [1, 2]}``) and Parquet (a list or struct column) hold such cells, pandas reads them into object
    columns as they are, and every step after the read takes one value per cell: the data checks and the preprocessing
    died on ``unhashable type: 'list'`` (an internal error) where the user needed to be told which column to flatten.
    """
    import numpy as np
    from pandas.api.types import is_object_dtype

    nested = (list, dict, tuple, np.ndarray)
    for i, (column, dtype) in enumerate(frame.dtypes.items()):
        if not is_object_dtype(dtype):  # numbers, bools and pandas' text columns hold no lists
            continue
        cells = frame.iloc[:, i]  # by position: a repeated name is refused after the read, with its own message
        hits = cells.map(lambda v: isinstance(v, nested)).to_numpy(dtype=bool)
        if hits.any():
            row = int(np.argmax(hits))
            shown = repr(cells.iloc[row])
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise DataError(f"'{text}' column '{column}' holds a nested value in row {first_row + row + 1} ({shown}): give one plain value "
                            "(a number, text, true/false or empty) per cell; flatten nested records first (e.g. pandas.json_normalize).")


def not_utf8(path: Path, text: str) -> str:
    """The one-line message for a text file that is not UTF-8: its first bad line and how to convert it."""
    from ._csv_text import encoding_problem

    return encoding_problem(path, text) or f"'{text}' is not UTF-8 text: save it as UTF-8."


def read_numpy(path: Path, kind: str) -> Any:
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


__all__ = ["not_utf8", "read_delimited", "read_json", "read_numpy", "read_parquet"]
