"""Cells refused from Parquet footers alone: an infinite number, found before a row is read.

``predict MODEL DIR`` writes its rows to stdout as each record batch is predicted, so a bad cell in a later file
stopped it with part of the table already printed. Every file's columns are checked from its header first; a Parquet
footer also holds each row group's minimum and maximum per column, and an infinite number (refused in every column a
model reads: :func:`~._cells.refuse_infinite`) shows there as ``-inf`` or ``inf``. Only the row group it flags is then
read, one column of it, to name the row as the batch would have named it. What a footer cannot show (text in a numeric
CSV column, a number past float32 after the model's scaling) is still found when its batch is read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ._stream_files import JSON_LINES, file_kind


def refuse_infinite_in_footers(files: Sequence[str], columns: Iterable[str], named: bool = True) -> None:
    """A DataError naming the first infinite cell of ``columns`` in the Parquet ``files`` whose footers' statistics show one
    (``"column 'a' is numeric, but 'p1.parquet' row 8 holds the infinite number -inf: ..."``); nothing for CSV files, a
    footer without statistics, or none infinite. Reads footers only, and one column of a flagged row group.

    Parameters
    ----------
    files : sequence of str
        The data files, in the order they are read (CSV files are skipped: they have no footer).
    columns : iterable of str
        The columns the model reads; infinite values elsewhere are not its concern.
    named : bool
        False: the row named without its file (``row 8``), as one file read whole names it.
    """
    import pyarrow.parquet as pq

    wanted = set(columns)
    for file in files:
        if file_kind(file) != "parquet" or file.lower().endswith(JSON_LINES):
            continue
        try:
            meta = pq.ParquetFile(file).metadata
        except (OSError, ValueError):  # an unreadable footer: the source's own check names it
            continue
        first_row = 0
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                chunk = group.column(c)
                if chunk.path_in_schema in wanted and _infinite_bound(chunk.statistics):
                    _refuse_row_group(file, g, chunk.path_in_schema, first_row, named)
            first_row += group.num_rows


def _infinite_bound(stats: object) -> bool:
    """Whether a column chunk's statistics hold an infinite minimum or maximum (a float column with such a cell)."""
    if stats is None or not getattr(stats, "has_min_max", False):
        return False
    bounds = (getattr(stats, "min", None), getattr(stats, "max", None))
    return any(isinstance(v, float) and math.isinf(v) for v in bounds)


def _refuse_row_group(file: str, group: int, column: str, first_row: int, named: bool = True) -> None:
    """Read ``column`` of row group ``group`` of ``file`` (its rows from ``first_row``, 0-based in the file) and refuse its
    first infinite cell by its row, counted from 1 as :meth:`~._stream.ParquetSource.locate` counts it."""
    import numpy as np
    import pyarrow.parquet as pq

    from ._cells import refuse_infinite

    values = pq.ParquetFile(file).read_row_group(group, columns=[column]).column(0).to_numpy(zero_copy_only=False)
    values = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(np.isinf(values))
    if bad.size:
        row = f"row {first_row + int(bad[0]) + 1}"
        refuse_infinite(column, values[bad[:1]], place=f"'{file}' {row}" if named else row)  # the first only: no count of one group's


__all__ = ["refuse_infinite_in_footers"]
