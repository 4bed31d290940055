"""``predict``, ``predict_proba`` and ``score`` of a streamed table (:class:`hiddenlayers.data.ParquetSource`).

A model that ``fit(source)`` trained predicts the same kind of source: each record batch of
:meth:`~hiddenlayers.data.ParquetSource.batches` (file order, each file's rows in order) goes through the checks, the
stored preprocessing and the forward pass that ``predict(frame)`` runs on a DataFrame, and the answers are concatenated.
Memory holds one record batch (``read_rows`` rows of the features) and the answers so far: ``(n,)`` labels or values,
``(n, classes)`` probabilities, small next to the features. A bad cell, or a row the network overflows on, is named by
its file and CSV line or Parquet row (:meth:`~hiddenlayers.data.ParquetSource.locate`), not by its place in a batch.
``score`` keeps the target (and weight) column's values too, then scores them as ``score`` of the rows in memory does.

The stored preprocessing's notes (columns the model ignores, values outside the categories kept in training, missing
cells in a column that had none) are gathered over every batch and said once the last batch is done, each kind one
:class:`~hiddenlayers.TableNoteWarning` with its counts summed over every batch and the files they are in
(:func:`~hiddenlayers.data.joined_notes`, the words of ``hiddenlayers predict DIR``): said per batch, they were dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .._stacklevel import user_stacklevel
from ..data import BatchNotes
from ..exceptions import DataError, NonFiniteOutputError, TableNoteWarning
from ._predict import check_X, overflow_checked, raw_output

if TYPE_CHECKING:
    from ..data import ParquetSource
    from ._mlp_base import _BaseMLP

#: ``score(X)`` of rows in memory without their labels (``y`` may be left out for a source only)
NO_Y = "score(X, y) needs y, the true labels or values of X's rows (only score(source) reads them from the source's target column)."

#: ``answer(z, A)``: the method's answer from the head outputs ``z`` of the checked batch ``A`` (``_from_raw``, ``_proba``)
Answer = Callable[[np.ndarray, Any], np.ndarray]


class _Notes(BatchNotes):
    """The preprocessing's notes of a source's batches (a list :func:`~._predict.check_X` appends to) and the file each came from."""

    def warn(self) -> None:
        """Each note once, a counted one with its counts over every batch (:func:`~hiddenlayers.data.joined_notes`), as a
        :class:`~hiddenlayers.TableNoteWarning` naming the user's line."""
        for msg in self.joined():
            warnings.warn(msg, TableNoteWarning, stacklevel=user_stacklevel())


def _batches(src: ParquetSource, notes: _Notes) -> Iterator[tuple[Any, Any, Callable[[int], str]]]:
    """``(features, target and weight columns, where)`` of each record batch of ``src``; ``where(i)`` names row ``i``. The
    notes added to ``notes`` while a batch is out are recorded as its file's."""
    from functools import partial

    own = [c for c in (src.target, src.weight) if c is not None]
    for file, at, frame in src.batches():
        yield frame.drop(columns=own), frame[own], partial(_locate, src, file, at)
        notes.read(file)


def _locate(src: ParquetSource, file: str, at: int, i: int) -> str:
    """Row ``i`` of the batch that starts at row ``at`` of ``file``, by its file and line (:meth:`ParquetSource.locate`)."""
    return src.locate(file, at + i)


def _answer(est: _BaseMLP, frame: Any, where: Callable[[int], str], answer: Answer, notes: _Notes) -> np.ndarray:
    """``answer`` of one batch, as the method answers a DataFrame; an overflowing row named by ``where``; the preprocessing's
    notes added to ``notes``."""
    A = check_X(est, frame, where, notes)
    try:
        return overflow_checked(est, raw_output(est, A, check_input=False), lambda z: answer(z, A))
    except NonFiniteOutputError as exc:
        first = int(exc.rows[0])
        message = str(exc).replace(f"X[{first}]", where(first), 1)
        raise NonFiniteOutputError(message, exc.rows, exc.answer) from None


def source_answers(est: _BaseMLP, src: ParquetSource, answer: Answer) -> np.ndarray:
    """``answer`` of every row of ``src`` in file order (``predict``: ``(n,)`` or ``(n, outputs)``; ``predict_proba``: ``(n, classes)``);
    the preprocessing's notes said once at the end (see the module docstring)."""
    notes = _Notes()
    parts = [_answer(est, frame, where, answer, notes) for frame, _, where in _batches(src, notes)]
    if not parts:
        raise DataError(f"{src.path} has no rows to predict: its files hold a header (or schema) and no rows.")
    notes.warn()
    return np.concatenate(parts)


def source_score(est: _BaseMLP, src: ParquetSource, y: Any, sample_weight: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(y, predict(rows), weights or None)`` of every row of ``src``, for ``score``: ``y`` from the source's target column,
    the weights from its weight column (``ParquetSource(weight=)``). A ``y`` or ``sample_weight`` given beside a source,
    a source without a target, or a missing target value is a one-line error."""
    import pandas as pd

    if y is not None or sample_weight is not None:
        raise ValueError("score(source) reads y from the source's target column and the weights from its weight column: "
                         "pass the source alone (ParquetSource(path, target=..., weight=...)).")
    if src.target is None:
        raise ValueError("score(source) needs the source's target column: make it with ParquetSource(path, target=COLUMN).")
    ys, ws, preds = [], [], []
    notes = _Notes()
    for frame, own, where in _batches(src, notes):
        target = own[src.target]
        missing = target.isna().to_numpy()
        if missing.any():
            raise DataError(f"the target column {src.target!r} has missing values (first at {where(int(missing.argmax()))}): "
                            "drop those rows to score the model.")
        preds.append(_answer(est, frame, where, est._from_raw, notes))
        ys.append(target)
        if src.weight is not None:
            ws.append(own[src.weight])
    if not preds:
        raise DataError(f"{src.path} has no rows to score: its files hold a header (or schema) and no rows.")
    notes.warn()
    w = np.asarray(pd.concat(ws, ignore_index=True), dtype=np.float64) if ws else None
    return pd.concat(ys, ignore_index=True).to_numpy(), np.concatenate(preds), w


__all__ = ["NO_Y", "source_answers", "source_score"]
