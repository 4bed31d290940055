"""A function of a streamed table's rows, one record batch at a time (:meth:`ParquetSource.apply`).

Why: our estimators' ``predict(source)`` streams a source, but a scikit-learn ``Pipeline`` cannot: its first step
(``SimpleImputer``, ``StandardScaler``, a ``TableEncoder``) reads rows in memory, so ``pipe.predict(source)`` fails inside
scikit-learn. ``source.apply(pipe.predict)`` hands ``fn`` each record batch's feature columns as a DataFrame (the
target and weight columns left out, the columns in the source's order), in file order, and joins the answers, so memory
holds one batch and the answers, as ``predict(source)`` does. A ``ValueError`` in a batch (a cell a step cannot read)
is a :class:`~hiddenlayers.exceptions.DataError` naming the batch's file and its first and last line (Parquet: row).
An answer whose rows are not the batch's (a summary, a filtered array, None) is the same DataError: joined, it
would pair later rows with other rows' answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import DataError

if TYPE_CHECKING:
    from ._stream import ParquetSource

#: what ``np.asarray(source)`` says, as scikit-learn's steps call it on a source handed to them (``pipe.predict(source)``)
NOT_AN_ARRAY = ("a ParquetSource streams files larger than memory and is not an array, so a step that reads rows in memory (a "
                "Pipeline's) cannot take it: predict it one record batch at a time with source.apply(pipe.predict) (our "
                "estimators also take it whole: clf.predict(source)).")


def apply_batches(src: ParquetSource, fn: Callable[[Any], Any]) -> Any:
    """``fn`` of every record batch's features of ``src``, joined along the rows (see the module docstring).

    ``fn``'s answers are NumPy arrays (``predict``: ``(n,)``; ``predict_proba``: ``(n, classes)``), pandas objects (a
    step set to ``transform="pandas"``: joined with a fresh index) or SciPy sparse matrices (stacked).
    """
    own = [c for c in (src.target, src.weight) if c is not None]
    parts = []
    for file, at, frame in src.batches():
        try:
            answer = fn(frame.drop(columns=own))
        except ValueError as exc:
            unit, (first, last) = src.lines_of(file, [at, at + len(frame) - 1])
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise DataError(f"{_name(fn)} failed on the record batch of '{file}' {unit}s {first} to {last}: {message}") from exc
        rows = _rows(answer)
        if rows != len(frame):  # joined, a short or long answer would pair later rows with other rows' answers
            unit, (first, last) = src.lines_of(file, [at, at + len(frame) - 1])
            got = f"{rows} row(s)" if rows is not None else f"a {type(answer).__name__} with no rows"
            raise DataError(f"{_name(fn)} gave {got} for the {len(frame)} rows of the record batch of '{file}' {unit}s {first} to {last}: "
                            "apply joins one answer per row, so fn must return one row per row it is given (e.g. pipe.predict, not a summary).")
        parts.append(answer)
    if not parts:
        raise DataError(f"{src.path} has no rows: its files hold a header (or schema) and no rows.")
    return _joined(parts)


def _name(fn: Callable[[Any], Any]) -> str:
    """``fn`` as a message names it: ``"Pipeline.predict"`` for a bound method, else its ``__name__``."""
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return f"{type(owner).__name__}.{name}" if owner is not None else name


def _rows(answer: Any) -> int | None:
    """How many rows ``answer`` holds (its first dimension: an array's, a pandas object's, a sparse matrix's); None for a scalar,
    None or another object without rows."""
    shape = getattr(answer, "shape", None)
    if shape is None:
        try:
            shape = np.shape(answer)
        except (TypeError, ValueError):  # a ragged list: no row count to trust
            return None
    return int(shape[0]) if len(shape) else None


def _joined(parts: list[Any]) -> Any:
    """The batches' answers as one: rows of arrays concatenated, pandas objects concatenated, sparse matrices stacked."""
    first = parts[0]
    if hasattr(first, "iloc"):
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    from scipy import sparse

    if sparse.issparse(first):
        return sparse.vstack(parts, format=first.format)
    return np.concatenate([np.asarray(p) for p in parts])


__all__ = ["NOT_AN_ARRAY", "apply_batches"]
