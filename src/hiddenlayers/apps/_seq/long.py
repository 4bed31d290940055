"""Sequences from a long table: one row per time step (the layout of tsfresh and sktime users).

Rows are grouped by an id column (sequences in the order their ids first appear), ordered within
a sequence by an order column (stable; without one, by the rows' order), and each sequence is
the ``(T_i, F)`` float array of its feature columns. A label column, when read, must hold one
value per sequence. Every problem is a :class:`DataError` naming the column, the sequence id and
the rows (``where(i)``: row ``i``'s place for a message, e.g. the CLI's file line; default ``row N``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...data import at_row, did_you_mean
from ...exceptions import DataError

Where = Callable[[int], str] | None


def _shown(value: Any) -> str:
    """``value`` as a message shows it: ``2``, ``'a'`` (a numpy scalar as its Python value, not ``np.int64(2)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


@dataclass(frozen=True)
class LongSequences:
    """A long table's sequences.

    Attributes
    ----------
    ids : numpy.ndarray of shape (N,)
        Each sequence's id.
    sequences : list of numpy.ndarray
        N arrays ``(T_i, F)`` float64.
    rows : list of numpy.ndarray
        Each sequence's 0-based table positions in step order (to name rows in a message).
    """

    ids: np.ndarray
    sequences: list[np.ndarray]
    rows: list[np.ndarray]


def check_columns(frame: pd.DataFrame, names: dict[str, Any]) -> None:
    """Each named column is a column of ``frame``; else a DataError with did-you-mean.

    Parameters
    ----------
    frame : DataFrame
        The table.
    names : dict of str to str or None
        ``{"id_column": "ID", ...}``: how a message names each column -> the column (None skipped).
    """
    columns = [str(c) for c in frame.columns]
    for what, name in names.items():
        for one in [name] if isinstance(name, str) else list(name or []):
            if one not in columns:
                shown = ", ".join(map(repr, columns[:10]))
                raise DataError(f"{what} '{one}' is not a column of the data; its columns are {shown}.{did_you_mean([one], columns)}")


def check_long_columns(frame: pd.DataFrame, named: dict[str, str | None], features: Sequence[str] | None = None, what: str = "features") -> None:
    """The names of a long table's columns, before any value is read; else a DataError.

    Each named column and feature is a column of ``frame`` (with the closest name), no two named ones the same, no
    feature among them, and a feature column left. :func:`long_features`' first step; the CLI runs it on a zero-row
    frame of a file's header too, so a misspelt column is refused before the whole table is read, in these words.

    Parameters
    ----------
    frame, named, features, what
        As :func:`long_features` takes them.
    """
    check_columns(frame, {**named, what: features})
    used = [n for n in named.values() if n is not None]
    if len(set(used)) != len(used):
        raise DataError(f"{', '.join(named)} must name different columns. Received: {', '.join(f'{k}={v!r}' for k, v in named.items() if v is not None)}.")
    if features is not None and set(features) & set(used):
        raise DataError(f"{what} names '{sorted(set(features) & set(used))[0]}', which is the id, order or label column: leave it out of {what}.")
    if not (list(features) if features is not None else [c for c in frame.columns if c not in used]):
        raise DataError("the data has no feature column besides the id, order and label columns: a sequence needs numbers at each step.")


def long_features(frame: pd.DataFrame, named: dict[str, str | None], features: Sequence[str] | None = None, what: str = "features") -> list[str]:
    """The feature columns of a long table: ``features``, else every column of ``frame`` but the ``named`` ones; the numbers read at each step.

    An unknown column (with the closest name), a column named twice, a feature among the named columns
    (:func:`check_long_columns`) or a text feature is a DataError.

    Parameters
    ----------
    frame : DataFrame
        The long table (or a zero-row frame of its header).
    named : dict of str to str or None
        How a message names each column read besides the features -> the column (``{"id_column": "id",
        "order_column": None, "target": "label"}``; the CLI passes its options' names).
    features : sequence of str, optional
        The feature columns.
    what : str
        How a message names ``features``.
    """
    check_long_columns(frame, named, features, what)
    used = [n for n in named.values() if n is not None]
    given = features is not None
    names = list(features) if features is not None else [str(c) for c in frame.columns if c not in used]
    text = [n for n in names if not pd.api.types.is_numeric_dtype(frame[n]) or pd.api.types.is_bool_dtype(frame[n])]
    if text:
        fix = f"leave it out of {what}" if given else f"pass the numeric feature columns as {what}"
        raise DataError(f"feature column '{text[0]}' holds text, not numbers: a sequence model reads numbers at each step; {fix}.")
    return names


def long_sequences(frame: pd.DataFrame, id_column: str, features: Sequence[str], order_column: str | None = None, where: Where = None) -> LongSequences:
    """The sequences of ``frame``: grouped by ``id_column``, ordered by ``order_column``, the values of ``features`` at each step.

    Refused (DataError): no rows, a missing id or order value, two rows of one id at the same order value, a sequence of
    one row (an id column of one value per row is almost always the wrong column), NaN or infinity in a feature.

    Parameters
    ----------
    frame : DataFrame
        The long table.
    id_column : str
        Groups rows into sequences.
    features : sequence of str
        The numbers read at each step.
    order_column : str, optional
        Orders each sequence's rows (None: the table's order).
    where : callable, optional
        ``where(i)``: row ``i``'s place in the user's file, for messages.
    """
    if not len(frame):
        raise DataError("the data has no rows: a long table needs one row per time step of each sequence.")
    ids = frame[id_column]
    for column in (id_column, order_column):
        if column is not None and frame[column].isna().any():
            i = int(np.flatnonzero(frame[column].isna().to_numpy())[0])
            raise DataError(f"the {'id' if column == id_column else 'order'} column '{column}' has no value on {at_row(i, where)}: fill or drop that row.")
    positions = np.arange(len(frame))
    order = None if order_column is None else _order_keys(frame[order_column], order_column, where)
    if order is not None:
        positions = positions[np.argsort(order, kind="stable")]
    groups = pd.Series(positions).groupby(ids.to_numpy()[positions], sort=False).agg(list)
    first = {key: min(rows) for key, rows in groups.items()}
    keys = sorted(groups.index, key=lambda k: first[k])  # sequences in the order their ids first appear
    values = frame[list(features)].to_numpy(dtype=np.float64)
    out_ids, seqs, rows = [], [], []
    for key in keys:
        r = np.asarray(groups[key], dtype=np.int64)
        _check_sequence(frame, key, r, values, features, id_column, order_column, order, where)
        out_ids.append(key)
        seqs.append(values[r])
        rows.append(r)
    return LongSequences(pd.Series(out_ids, dtype=ids.dtype).to_numpy(), seqs, rows)


def _order_keys(column: pd.Series, name: str, where: Where = None) -> np.ndarray:
    """The values the steps are sorted by: the order column's numbers or dates as they are, its text as numbers or ISO 8601 dates.

    Other text is refused: sorted as text, steps dated ``28/01/2020`` ... ``03/02/2020`` would run February first (and
    ``10`` before ``9``), a silently scrambled sequence.
    """
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column.to_numpy()
    numbers = pd.to_numeric(column, errors="coerce")
    if not numbers.isna().any():
        return numbers.to_numpy()
    try:
        dates = pd.to_datetime(column, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # mixed time zones, say
        dates = pd.Series(pd.NaT, index=column.index)
    if not dates.isna().any():
        return dates.to_numpy()
    i = int(np.flatnonzero((dates.isna() & numbers.isna()).to_numpy())[0])
    raise DataError(f"the order column '{name}' holds {_shown(column.iloc[i])} on {at_row(i, where)}, neither a number nor an ISO 8601 date: "
                    "sorted as text, the steps would be out of order (28/01 after 03/02); give numbers, or dates as YYYY-MM-DD "
                    "(e.g. pd.to_datetime(col, dayfirst=True).dt.strftime('%Y-%m-%d')).")


def _check_sequence(frame: pd.DataFrame, key: Any, r: np.ndarray, values: np.ndarray, features: Sequence[str], id_column: str,
                    order_column: str | None, sort_keys: np.ndarray | None, where: Where) -> None:
    """One sequence's rows ``r`` (in step order): more than one, distinct order values (``sort_keys``: :func:`_order_keys`), finite features."""
    if len(r) == 1:
        raise DataError(f"sequence {id_column}={_shown(key)} has one row ({at_row(int(r[0]), where)}): a sequence needs two or more time steps; "
                        f"check that '{id_column}' names whole sequences (not rows), or drop that row.")
    if order_column is not None and sort_keys is not None:
        order = frame[order_column].to_numpy()[r]  # as the user wrote them, for the message
        keys = sort_keys[r]
        same = np.flatnonzero(keys[1:] == keys[:-1])
        if same.size:
            a, b = int(r[same[0]]), int(r[same[0] + 1])
            raise DataError(f"sequence {id_column}={_shown(key)} has two rows at {order_column}={_shown(order[same[0]])} ({at_row(a, where)} and {at_row(b, where)}): "
                            "each time step once; drop the duplicate.")
    bad = ~np.isfinite(values[r])
    if bad.any():
        step, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"feature column '{features[col]}' has a missing or infinite value on {at_row(int(r[step]), where)} "
                        f"(sequence {id_column}={_shown(key)}): a sequence model reads finite numbers at every step; fill or drop those rows.")


def long_labels(labels: pd.Series, long: LongSequences, id_column: str, where: Where = None, what: str = "label") -> np.ndarray:
    """One label per sequence of ``long`` from the per-row ``labels``; a sequence whose rows disagree (or lack a label) is a DataError.

    Parameters
    ----------
    labels : Series
        One label per table row.
    long : LongSequences
        The sequences.
    id_column : str
        The id column, for messages.
    where : callable, optional
        ``where(i)``: row ``i``'s place in the user's file, for messages.
    what : str
        How a message names a value (``"label"``; a SpeechRecognizer's ``"transcript"``).
    """
    values = labels.to_numpy()
    missing = labels.isna().to_numpy()
    out = []
    for key, r in zip(long.ids, long.rows):
        if missing[r].all():
            raise DataError(f"sequence {id_column}={_shown(key)} has no value in the {what} column '{labels.name}' ({at_row(int(r[0]), where)}): "
                            f"give it a {what} or drop it.")
        found = pd.unique(values[r][~missing[r]])
        if len(found) > 1 or missing[r].any():
            a = int(r[~missing[r]][0])
            b = int(r[np.flatnonzero(missing[r] | (values[r] != values[a]))[0]])
            shown = f"no {what}" if missing[b] else _shown(values[b])
            raise DataError(f"sequence {id_column}={_shown(key)} has rows that disagree on the {what} column '{labels.name}': {_shown(values[a])} on {at_row(a, where)}, "
                            f"{shown} on {at_row(b, where)}; a {what} is per sequence: give all its rows the same one.")
        out.append(found[0])
    return pd.Series(out, dtype=labels.dtype).to_numpy()


__all__ = ["LongSequences", "check_columns", "check_long_columns", "long_features", "long_labels", "long_sequences"]
