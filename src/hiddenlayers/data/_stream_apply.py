"""A function of a streamed table's rows, one record batch at a time (:meth:`ParquetSource.apply`).

Why: our estimators' ``predict(source)`` streams a source, but a scikit-learn ``Pipeline`` cannot: its first step
(``SimpleImputer``, ``StandardScaler``, a ``TableEncoder``) reads rows in memory, so ``pipe.predict(source)`` fails inside
scikit-learn. ``source.apply(pipe.predict)`` hands ``fn`` each record batch's feature columns as a DataFrame (the
target and weight columns left out, the columns in the source's order), in file order, and joins the answers, so memory
holds one batch and the answers, as ``predict(source)`` does. A ``ValueError`` in a batch (a cell a step cannot read)
is a :class:`~hiddenlayers.exceptions.DataError` naming the batch's file and its first and last line (Parquet: row).
An answer whose rows are not the batch's (a summary, a filtered array, None) is the same DataError: joined, it
would pair later rows with other rows' answers.

A :class:`~hiddenlayers.TableEncoder` step warns its notes (unseen categories, missing cells it never saw, ignored
columns) per ``transform``, so per batch: counts that differ batch by batch, each a warning of its own, or one batch's
worth where a filter shows a warning once. ``apply`` keeps each batch's TableNoteWarning and,
once every batch is done, warns each kind once with its counts over every batch and the files they are in
(:func:`~._count_notes.joined_notes`, as ``predict DIR`` says them and ``clf.predict(source)`` warns them). Other
warnings pass through as they come. (Like :class:`warnings.catch_warnings`, which it uses, this is not thread-safe.)
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .._stacklevel import user_stacklevel
from ..exceptions import DataError, TableNoteWarning
from ._count_notes import BatchNotes

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
    notes = BatchNotes()
    with _table_notes(notes):
        parts = _answers(src, fn, own, notes)
    for msg in notes.joined():
        warnings.warn(msg, TableNoteWarning, stacklevel=user_stacklevel())
    return _joined(parts)


@contextlib.contextmanager
def _table_notes(notes: list[str]) -> Iterator[None]:
    """Within: every :class:`~hiddenlayers.TableNoteWarning` is appended to ``notes`` (its text: a ``CountNote`` keeps its
    counts) instead of shown; other warnings are shown as they come, by the user's filters."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", TableNoteWarning)  # every batch's, to be counted: the joined ones obey the user's filters
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None, line: str | None = None) -> None:
            if issubclass(category, TableNoteWarning):
                notes.append(message.args[0] if isinstance(message, Warning) and message.args else str(message))
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


def _answers(src: ParquetSource, fn: Callable[[Any], Any], own: list[str], notes: BatchNotes) -> list[Any]:
    """``fn``'s answer of each record batch of ``src`` (``own``: the columns left out), each checked to hold the batch's rows;
    the notes added to ``notes`` meanwhile recorded as that batch's file's."""
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
        notes.read(file)
        parts.append(answer)
    if not parts:
        raise DataError(f"{src.path} has no rows: its files hold a header (or schema) and no rows.")
    return parts


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
