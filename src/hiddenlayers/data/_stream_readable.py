"""Rows of one streamed table read through another table's preprocessing, each problem named by file and line.

A streamed fit's validation source (``fit(src, X_val=ParquetSource(...))``, ``train DIR --validation VALID``) is read
through the *training* source's preprocessing, which typed each column on the training rows. The validation source's own
statistics pass types its columns on its own rows, so it cannot see a column that is numeric in training but holds text
there: the first pass's score then failed with "row 1 holds 'hi'", naming neither the file nor its line, after a whole
pass of training. :func:`refuse_unreadable` reads every row once before training, with the rules the training rows
are read by (:meth:`TablePreprocessor.transform`, ``numeric_values``), and names the first problem where it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exceptions import DataError

if TYPE_CHECKING:
    from ._preprocessing import TablePreprocessor
    from ._stream import ParquetSource


def refuse_unreadable(source: ParquetSource, preprocessor: TablePreprocessor) -> None:
    """A :class:`DataError` naming the file and line (``'v.csv' line 6``; a Parquet file's row) of the first row of
    ``source``'s feature columns that ``preprocessor`` cannot read: text in a column it reads as numbers, an infinite
    value, a cell of a kind no column holds. Reads every batch of ``source`` once; memory holds one batch."""
    drop = [c for c in (source.target, source.weight) if c is not None]
    for file, first, frame in source.batches():

        def where(r: int, file: str = file, first: int = first) -> str:
            return source.locate(file, first + r)

        try:
            preprocessor.transform(frame.drop(columns=drop), where=where)
        except DataError as exc:
            text = str(exc.args[0]) if exc.args else str(exc)
            raise DataError(text if f"'{file}'" in text else f"{text.rstrip('.')} (in '{file}').") from None


__all__ = ["refuse_unreadable"]
