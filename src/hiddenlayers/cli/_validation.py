"""``train DATA --validation FILE``: the user's own held-out rows, which early stopping scores (the estimators' ``X_val``/``y_val``).

FILE has DATA's columns; it is read as ``evaluate`` reads a table for a model (the preprocessing fitted on DATA's
training rows, never on FILE; labels checked against the training rows' classes; the ``--sample-weight`` column
weighting the score), and each problem is one line naming ``--validation`` and the file.
Where DATA is streamed (a folder or glob, or ``--workers``), ``--validation`` (a folder, glob or file) is streamed too
(:func:`validation_source`: the fit's ``X_val`` source, read through DATA's preprocessing) and may share no file with DATA.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..data import TablePreprocessor
from ..exceptions import DataError
from ._common import STREAM_SUFFIXES, WEIGHT_COLUMN_KEY, UserError


def validation_rows(path: str, pre: TablePreprocessor, state: dict[str, Any], task: str,
                    y_train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(A_val, y_val, w_val)`` of the labelled table ``path``: the model matrix ``(n_val, inputs)`` by ``pre``, the target
    ``(n_val,)`` (a classifier's labels among ``y_train``'s classes, a regressor's numbers) and the weight column's weights or None.

    ``state``: what the model file will store as ``preprocessing_`` (target, task, weight column).
    """
    from ._data import labelled_weighted

    reader = SimpleNamespace(preprocessing_=state)  # read as evaluate reads a table for a model with this preprocessing
    if task == "classification":
        reader.classes_ = np.unique(y_train.astype(str)) if y_train.dtype == object else np.unique(y_train)
    try:
        _, A, y, w = labelled_weighted(reader, path, state["target"], state.get(WEIGHT_COLUMN_KEY))
    except (UserError, DataError) as exc:
        raise type(exc)(f"--validation {path}: {_plain(exc)}") from None
    if len(y) < 2:
        raise DataError(f"--validation {path}: {len(y)} usable row(s), and early stopping scores at least 2: pass a larger file.")
    if w is not None and not np.sum(w) > 0:
        raise DataError(f"--validation {path}: every row's --sample-weight is 0, so they cannot score the model: give some rows a weight > 0.")
    return A, np.asarray(y), w


def validation_source(path: str, src: Any, *, features: list[str] | None, max_categories: int) -> Any:
    """``--validation PATH`` of a streamed DATA as a :class:`~hiddenlayers.data.ParquetSource` with ``src``'s target and weight
    columns (``features``: ``--features``'s, else every column, which the fit compares with DATA's). Refused in one line: an
    unreadable or empty path, and any file that is also one of DATA's (scoring rows the model trains on hides overfitting).
    Its statistics pass keeps no data-check tallies (``data_checks=False``): it still refuses missing targets and
    infinite values, and the data check judges DATA."""
    import os

    from ..data import ParquetSource, shared_files

    if os.path.isfile(path) and not path.lower().endswith(STREAM_SUFFIXES):  # ParquetSource would read it as Parquet
        raise UserError(f"--validation {path}: a streamed DATA (a folder, a glob or --workers) streams its validation rows too, from "
                        f"Parquet or CSV files ({', '.join(STREAM_SUFFIXES)}): convert the file, or give DATA as one table.")
    try:
        val = ParquetSource(path, target=src.target, features=features, weight=src.weight, max_categories=max_categories, data_checks=False)
    except (ValueError, OSError) as exc:
        raise UserError(f"--validation {path}: {_plain(exc)}") from None
    shared = shared_files(val.files, src.files)  # (the fit refuses them too, in its own words: checked here first, before any footer is planned)
    if shared:
        more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
        raise UserError(f"--validation {path}: {', '.join(repr(f) for f in shared[:3])}{more} {'is' if len(shared) == 1 else 'are'} also in DATA ({src.path}), so early stopping "
                        "would score rows the model trains on (leakage): keep the validation files out of DATA.")
    return val


def validation_failed(exc: Exception, path: str) -> UserError | None:
    """The one line of a streamed fit's refusal of its ``X_val`` source in the command line's words (``--validation PATH: ...``,
    DATA for the training source); None for an error about something else."""
    text = str(exc.args[0]) if exc.args else str(exc)
    for lead in (f"X_val ({path}): ", f"X_val ({path}) ", "X_val: "):
        if text.startswith(lead):
            rest = text[len(lead):].replace("the training source", "DATA")
            return UserError(f"--validation {path}: {'it ' if lead.endswith(') ') else ''}{rest}")
    return None


def _plain(exc: Exception) -> str:
    """The message of ``exc``, its 'the model' said as what it is here (the model being trained)."""
    text = str(exc.args[0]) if exc.args else str(exc)
    for said, meant in (("of the model (", "of the training data ("), ("but the model is a classifier of the classes", "but DATA's target has the classes"),
                        ("that the model was trained on", "that DATA has"), ("the model is a regressor: its target holds numbers", "DATA's target holds numbers")):
        text = text.replace(said, meant)
    return text


__all__ = ["validation_failed", "validation_rows", "validation_source"]
