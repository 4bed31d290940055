"""A SpeechRecognizer's utterances from a long table: one row per frame, the transcript repeated on every row of an utterance.

The frames are read by :mod:`hiddenlayers.apps._seq.long` (the reader of SequenceClassifier's long tables: id, order and
feature columns, the same checks); this module adds what is speech's own: the transcript column must hold text (a column
of numbers would have lost the leading zeros of ``"042"``), one transcript per utterance, and how a message names an
utterance (``utterance utt=7 (line 12)``: its id and first row).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...data import at_row
from ...exceptions import DataError
from .._seq.long import LongSequences, Where, long_labels


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def long_transcripts(frame: pd.DataFrame, target: str, long: LongSequences, id_column: str, where: Where = None) -> list[str]:
    """One transcript per utterance of ``long`` from ``frame[target]``: text, the same on all of an utterance's rows (DataError naming the rows).

    Parameters
    ----------
    frame : DataFrame
        The long table.
    target : str
        The transcript column.
    long : LongSequences
        The utterances read from ``frame``.
    id_column : str
        The utterance id column, for messages.
    where : callable, optional
        ``where(i)``: row ``i``'s place in the user's file, for messages.
    """
    column = frame[target]
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        first = column.dropna()
        shown = f" ({_shown(first.iloc[0])} ...)" if len(first) else ""
        raise DataError(f"the transcript column '{target}' holds numbers{shown}, not text, which loses leading zeros ('042' -> 42): "
                        f"read it as text, e.g. pd.read_csv(path, dtype={{'{target}': str}}).")
    texts = long_labels(column, long, id_column, where, what="transcript")
    for key, r, text in zip(long.ids, long.rows, texts):
        if not isinstance(text, str) or not text.strip():
            what = "an empty text" if isinstance(text, str) else f"{type(text).__name__} {_shown(text)}, not a text"
            raise DataError(f"utterance {id_column}={_shown(key)} has {what} in the transcript column '{target}' ({at_row(int(r[0]), where)}): "
                            "give every utterance the text it says.")
    return [str(t) for t in texts]


def utterance_names(long: LongSequences, id_column: str, where: Where = None) -> list[str]:
    """How a message names each utterance of ``long``: ``utterance utt=7 (line 12)``, by its id and its first row.

    Parameters
    ----------
    long : LongSequences
        The utterances.
    id_column : str
        The utterance id column.
    where : callable, optional
        ``where(i)``: row ``i``'s place in the user's file (default ``row N``).
    """
    return [f"utterance {id_column}={_shown(key)} ({at_row(int(r.min()), where)})" for key, r in zip(long.ids, long.rows)]


__all__ = ["long_transcripts", "utterance_names"]
