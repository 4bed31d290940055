"""Rows of one streamed table read through another table's preprocessing, each problem named by file and line.

A streamed fit's validation source (``fit(src, X_val=ParquetSource(...))``, ``train DIR --validation VALID``) is read
through the *training* source's preprocessing, which typed each column on the training rows. The validation source's own
statistics pass types its columns on its own rows, so it cannot see a column that is numeric in training but holds text
there: the first pass's score then failed with "row 1 holds 'hi'", naming neither the file nor its line, after a whole
pass of training. :func:`refuse_unreadable` reads every row with the rules the training rows are read by
(:meth:`TablePreprocessor.transform`, ``numeric_values``) before training, and names the first problem where it is.

It costs no read of its own where it can: a source whose statistics pass has not run yet is checked inside that pass
(:meth:`ParquetSource.scan`'s ``each_batch``), so the validation files are read once for both before training (they were
read twice, and three times by ``train DIR --validation``, whose own check ran before the fit's); a source already read
through the same preprocessing is not read again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import DataError

if TYPE_CHECKING:
    from ._preprocessing import TablePreprocessor
    from ._stream import ParquetSource


class UnreadableRowError(DataError):
    """A row of a streamed table that another table's preprocessing cannot read (:func:`refuse_unreadable`), told apart
    from the errors of the source's own statistics pass, which the same read may raise."""


def refuse_unreadable(source: ParquetSource, preprocessor: TablePreprocessor) -> None:
    """An :class:`UnreadableRowError` naming the file and line of the first row ``preprocessor`` cannot read.

    Text in a column it reads as numbers, an infinite value, a cell of a kind no column holds (``'v.csv' line 6``; a
    Parquet file's row). Memory holds one batch. Reads every batch of ``source`` once, inside its statistics pass when
    that has not run (then that pass's own errors, a missing target, an infinite value, no rows, are raised as they
    are), else on its own; a source already read through ``preprocessor`` (the same object) passes without a read.

    Parameters
    ----------
    source : ParquetSource
        The source whose feature columns are read.
    preprocessor : TablePreprocessor
        The preprocessing that must read them.
    """
    if any(p is preprocessor for p in source._readable_by):
        return
    drop = [c for c in (source.target, source.weight) if c is not None]

    def check(file: str, first: int, features: Any) -> None:
        def where(r: int) -> str:
            return source.locate(file, first + r)

        try:
            preprocessor.transform(features, where=where)
        except DataError as exc:
            text = str(exc.args[0]) if exc.args else str(exc)
            raise UnreadableRowError(text if f"'{file}'" in text else f"{text.rstrip('.')} (in '{file}').") from None

    if source._scan is None and source.target is not None:  # one read for the pass and the check
        source.scan(each_batch=check)
    else:
        for file, first, frame in source.batches():
            check(file, first, frame.drop(columns=drop))
    source._readable_by.append(preprocessor)


__all__ = ["UnreadableRowError", "refuse_unreadable"]
