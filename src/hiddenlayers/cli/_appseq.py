"""A SequenceClassifier from a long table on the command line: ``train --app sequence``, ``predict`` and ``evaluate``.

A long table has one row per time step (the layout of tsfresh and sktime users): ``--id-column`` names each
row's sequence, ``--order-column`` its step (absent: the file's order), ``--features`` the numbers read at each
step (default: every other column) and ``--target`` the sequence's label, the same on all its rows
(``hl.apps.long_sequences`` reads it; ``SequenceClassifier.fit_long`` fits on it; ``train --app sequence``: :mod:`._apptrain_fit`). The file stores those columns
(``long_columns_``), so ``predict``, ``evaluate`` and ``inspect`` read a new table of the same layout with no options; they
write or score one row per sequence. A problem of the table is one line naming the column, the sequence id and the file lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError, one_line


def _read(data: str) -> Any:
    """``data`` as a :class:`hiddenlayers.data.Table` of every row (its ``where(i)``: row ``i``'s file line)."""
    from ..data import read_table

    return read_table(data).every_row()


def _problem(exc: Exception) -> UserError:
    return UserError(one_line(exc))


def _long(model: Any, path: str, table: Any) -> Any:
    """The sequences of ``table`` by the columns ``model`` stored; a file fitted on arrays (no stored columns) is one line."""
    from ..exceptions import DataError

    if getattr(model, "long_columns_", None) is None:
        onnx = Path(path).suffix.lower() == ".onnx"  # an export: hl.load reads .safetensors files only
        python = f"hl.ship.TokenOnnx('{path}')" if onnx and getattr(model, "ids", False) else "onnxruntime" if onnx else f"hl.load('{path}')"
        raise UserError(f"'{path}' holds a SequenceClassifier fitted on arrays (SequenceClassifier.fit), which stores no long-table columns "
                        f"to read a data file by: use {python} from Python, or `hiddenlayers serve {path}`, "
                        "or train it from a long table with `hiddenlayers train --app sequence`.")
    try:
        return model.sequences_from_long(table.frame, table.where)
    except DataError as exc:
        raise _problem(exc) from None


def predict_sequences(model: Any, path: str, data: str, proba: bool) -> pd.DataFrame:
    """One row per sequence of the long table ``data``: its id, ``predicted_label`` and (``proba``) the ``proba_<class>`` columns."""
    long = _long(model, path, _read(data))
    from ._table_out import network_precision

    P = network_precision(model, model.predict_proba(long.sequences))  # float32 text for a float32 network, as table models' (._table_out)
    result = pd.DataFrame({str(model.long_columns_["id_column"]): long.ids, "predicted_label": model.classes_[P.argmax(axis=1)]})
    if proba:
        for i, c in enumerate(model.classes_):
            result[f"proba_{c}"] = P[:, i]
    return result


def read_long(model: Any, path: str, data: str) -> tuple[Any, Any]:
    """``(table, sequences)`` of the long table ``data``, read by the columns ``model`` (from ``path``) stored, as ``predict`` reads it."""
    table = _read(data)
    return table, _long(model, path, table)


def sequence_labels(model: Any, table: Any, long: Any, name: str) -> np.ndarray:
    """One label per sequence of ``long`` from the column ``name`` of ``table`` (the same on all of a sequence's rows), in ``model``'s classes."""
    from ..apps import long_labels
    from ..data import did_you_mean
    from ..exceptions import DataError
    from ._data import class_labels

    columns = [str(c) for c in table.frame.columns]
    if name not in columns:
        raise UserError(f"the label column '{name}' is not a column of the data; its columns are {', '.join(map(repr, columns[:10]))}."
                        f"{did_you_mean([name], columns)} Pass --target COLUMN.")
    try:
        return class_labels(pd.Series(long_labels(table.frame[name], long, model.long_columns_["id_column"], table.where)), model.classes_, name, app=True)
    except DataError as exc:
        raise _problem(exc) from None


def evaluate_sequences(model: Any, path: str, data: str, target: str | None, pos_label: str | None = None) -> dict[str, Any]:
    """``evaluate``'s result for a SequenceClassifier on the long table ``data``: accuracy, F1, the confusion matrix, ROC-AUC and
    (two classes) the average precision of the positive class ``pos_label`` (``--pos-label``) over its sequences.

    The labels are ``target``, default the column the model was trained on.
    """
    from ._appclass import class_metrics
    from ._table_out import network_precision

    table, long = read_long(model, path, data)
    name = target or str(model.long_columns_["target"])
    labels = sequence_labels(model, table, long, name)
    metrics = class_metrics(model, network_precision(model, model.predict_proba(long.sequences)), labels, pos_label)
    return {"model": path, "data": data, "rows": len(long.ids), "sequences": len(long.ids), "target": name, "task": "classification", "metrics": metrics}


__all__ = ["evaluate_sequences", "predict_sequences", "read_long", "sequence_labels"]
