"""The column names ``train --app``'s labelled apps read, checked before any value is (:mod:`._apptrain_fit`).

The fit runs these on the table it read, and ``cli/_header.py`` on a zero-row frame of the file's header before the
output check, so a misspelt ``--features`` or a ``--text-column`` that is the ``--target`` is refused in one set of words.
"""

from __future__ import annotations

import pandas as pd

from ._common import UserError
from ._options import parse_features


def check_text_column(column: str | None, target: str) -> None:
    """``--text-column`` (``column``; None: found from the column types) is not the ``--target`` column ``target``
    (the header check's words too, ``cli/_header.py``)."""
    if column is not None and column == target:
        raise UserError(f"--text-column '{column}' is the --target column: pass the column of texts, and the labels as --target.")


def feature_columns(frame: pd.DataFrame, features: str | None, exclude: str | None) -> list[str]:
    """``--features`` (checked to be columns of ``frame``), else every column but ``exclude`` (the ``--target`` column);
    a zero-row frame of the file's header checks the names before the output (``cli/_header.py``)."""
    names = parse_features(features)
    if names is None:
        return [str(c) for c in frame.columns if c != exclude]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise UserError(f"--features names '{missing[0]}', which is not a column of the data; its columns are {', '.join(map(repr, list(frame.columns)[:10]))}.")
    if exclude in names:
        raise UserError(f"--features names the --target column '{exclude}': leave it out of --features.")
    return names


__all__ = ["check_text_column", "feature_columns"]
