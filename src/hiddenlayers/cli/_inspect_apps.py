"""``inspect``'s inputs of an application file whose examples are no table rows, read by ``predict``'s reader for that app.

* SequenceClassifier (``train --app sequence``): the long table by the id, order and feature columns its file stores
  (:func:`._appseq.read_long`), one example per sequence, named by its id; labels: ``--target``, else the label column
  of the training where the data has it (the probes and the colours).
* SpeechRecognizer (``train --app speech``): the long table of frames by its stored columns (:func:`._appspeech.read_utterances`),
  one example per utterance, named by its id. A transcript is no class label: no ``--target``.
* Forecaster: the series of ``--value-column`` (default the only numeric column, :func:`._appfiles.read_series`); one example
  per lag window, named by the file line of its last value; the value after each window is its label (a regression probe
  of what each layer knows about the next value), and the series gives the loss landscape its targets.
* Recommender: the user and item columns it was fitted on (as ``predict``); its ratings (``--target``, else the rating column of
  the training where the data has it) are the labels. Rows with a user or item not seen in fit have no embedding: left out, with a note.

* Translator: the table of sentence pairs ``predict``/``evaluate`` read (:mod:`._apptranslate`): its stored source column and
  the target column (``--target``, else the stored one), one example per pair, named by its file line; the encoder's layers are
  recorded on the sources and the decoder's on the teacher-forced targets. Translations are no class labels: no probes.
* DQNAgent: a table of observations, one per row, its columns the observation's values in order (as ``serve`` takes
  ``{"observations": [[x1, x2, ...], ...]}``; e.g. states logged from the environment), named by their file lines; ``--target``
  names a column of labels for the probes (e.g. the action taken), left out of the observation.

A SequenceClassifier, SpeechRecognizer or Translator fitted on lists or arrays stores no columns to read a file by: the readers'
one-line refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._common import UserError, note

#: the applications ``inspect`` reads by ``predict``'s readers here (the Text and Image classifiers: :mod:`._inspect`)
READ_AS_PREDICT = ("SequenceClassifier", "SpeechRecognizer", "Forecaster", "Recommender", "Translator", "DQNAgent")


@dataclass
class AppRows:
    """What ``lens.report`` takes for one app: ``X`` (the app's own input), ``y`` (one label per network-input row, or None),
    the labels' name, and ``report``'s ``row_names`` / ``row_names_note`` (one per network-input row)."""

    X: Any
    y: np.ndarray | None
    target: str | None
    row_names: list[Any] | None = None
    row_names_note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # more of the command's result (e.g. the value column)


def app_rows(model: Any, path: str, data: str, target: str | None, options: dict[str, Any]) -> AppRows:
    """The report's inputs of ``model`` (from ``path``) on ``data`` (``options``: ``value_column``), every example of the file."""
    kind = type(model).__name__
    if kind == "Forecaster":
        return _series(model, data, target, options.get("value_column"))
    if kind == "SpeechRecognizer":
        if target is not None:
            raise UserError("--target names a label column for the probes; a SpeechRecognizer's transcripts are no class labels: drop --target.")
        from ._appspeech import read_utterances

        long = read_utterances(model, path, data)
        return AppRows(list(long.sequences), None, None, list(long.ids), f"values of the id column '{model.long_columns_['id_column']}'")
    if kind == "SequenceClassifier":
        return _sequences(model, path, data, target)
    if kind == "Translator":
        return _translations(model, path, data, target)
    if kind == "DQNAgent":
        return _observations(model, data, target)
    return _pairs(model, data, target)


def _translations(model: Any, path: str, data: str, target: str | None) -> AppRows:
    """A Translator's (source, target) sentence pairs of ``data``, read as ``evaluate`` reads them: a frame of the stored
    source column and the target column (``--target``, else the stored one) under the names the model reads them by."""
    import pandas as pd

    from ._apptranslate import read_pairs

    table, source, stored, name, sources, references = read_pairs(model, path, data, target)
    return AppRows(pd.DataFrame({source: sources, stored: references}), None, name, *_line_names(table, data),
                   {"source_column": source})  # the result says what was read: no labels, the pairs' two columns


def _sequences(model: Any, path: str, data: str, target: str | None) -> AppRows:
    """A SequenceClassifier's sequences of the long table ``data`` and their labels (see the module docstring)."""
    from ._appseq import read_long, sequence_labels

    table, long = read_long(model, path, data)
    name = target or str(model.long_columns_["target"])
    y = None
    if target is None and name not in table.frame.columns:
        note(f"the data has no '{name}' column (the model's target): the report is built without labels, so no probes.")
    else:
        y = sequence_labels(model, table, long, name)
    ids = model.long_columns_["id_column"]
    return AppRows(list(long.sequences), y, None if y is None else name, list(long.ids), f"values of the id column '{ids}'")


def _series(model: Any, data: str, target: str | None, column: str | None) -> AppRows:
    """A Forecaster's series (all but its last value: each window's next value is its label), its windows named by their last value's line."""
    from ._appfiles import data_column, read_series

    if target is not None:
        raise UserError("--target names a label column; a Forecaster reads one series, and the value after each window is its label: "
                        "drop --target (the series' column: --value-column).")
    values, column, where = read_series(data, column, data_column(model, "value_column"))
    window = int(model.window)
    if len(values) < window + 2:
        raise UserError(f"the series '{column}' has {len(values)} values; the report needs at least window {window} + 2 "
                        f"(two windows, each with the value after it): pass a longer series.")
    names = [where(i) for i in range(window - 1, len(values) - 1)]  # window i ends at value i + window - 1
    return AppRows(values[:-1], values[window:], f"the next value of '{column}'", names,
                   "the file line of each lag window's last value", {"value_column": column})


def _observations(model: Any, data: str, target: str | None) -> AppRows:
    """A DQNAgent's observations of ``data`` (one per row, every column but ``target`` in order, ``obs_dim_`` numbers) and
    the labels of ``target`` (None: no labels)."""
    import pandas as pd

    from ..data import read_table
    from ._common import labelled_table

    table = read_table(data)
    if target is not None:
        table, target = labelled_table(data, target, None, "", table=table)
    if table.n_dropped:
        note(table.drop_summary())
    frame = table.frame
    y = None if target is None else frame[target].to_numpy()
    values = frame.drop(columns=[target]) if target is not None else frame
    dim, columns = int(model.obs_dim_), [str(c) for c in values.columns]
    if len(columns) != dim:
        extra = " besides --target" if target is not None else ""
        raise UserError(f"the agent reads observations of {dim} values, but '{data}' has {len(columns)} column(s){extra} ({', '.join(columns[:8])}): "
                        f"pass a table of {dim} observation columns, in the environment's order" + ("" if target is not None else
                        ", and name any other column (labels) with --target") + ".")
    text = [c for c in columns if not pd.api.types.is_numeric_dtype(values[c])]
    if text:
        raise UserError(f"column '{text[0]}' holds text, not observation values: an observation is {dim} numbers; name a label column with --target.")
    X = values.to_numpy(dtype=np.float32)
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad.size:
        raise UserError(f"{table.where(int(bad[0]))} has a missing or infinite observation value ({bad.size} row(s)): fill or drop those rows.")
    return AppRows(X, y, target, *_line_names(table, data))


def _pairs(model: Any, data: str, target: str | None) -> AppRows:
    """A Recommender's (user, item) rows of ``data`` seen in fit, and their ratings where the data has them (see the module docstring)."""
    from ..data import read_table
    from ._appfiles import _named_columns, data_column
    from ._common import labelled_table
    from ._data import regression_target

    table = read_table(data)
    kept = data_column(model, "target")
    name = target if target is not None or kept not in table.frame.columns else kept
    if name is not None:
        table, name = labelled_table(data, name, None, "", table=table)
    if table.n_dropped:
        note(table.drop_summary())
    frame = table.frame
    y = None if name is None else regression_target(frame[name], name, table.where, fix="check --target (the ratings are numbers)")
    X = _named_columns(model, frame.drop(columns=[name]) if name is not None else frame)
    seen = model.seen(X).all(axis=1)
    if not seen.all():
        note(f"{int((~seen).sum())} of {len(X)} rows have a user or item not seen in fit (cold start), which has no embedding: the report leaves them out.")
    lines, note_ = _line_names(table, data, seen)
    return AppRows(X[seen].reset_index(drop=True), None if y is None else y[seen], name, lines, note_)


def _line_names(table: Any, data: str, rows: np.ndarray | None = None) -> tuple[list[int], str]:
    """``report``'s ``row_names`` and ``row_names_note`` for the rows of ``table`` (``rows``: a mask or positions of them; None:
    all): each row's place in ``data``, its file line (header = line 1), or its data row counted from 1 for other formats."""
    lines = table.lines() if rows is None else table.lines()[rows]
    unit = "lines" if table.unit == "line" else "data rows"
    return [int(v) for v in lines], f"{unit} of '{data}'" + (" (the file line, header = line 1)" if table.unit == "line" else ", counted from 1")


__all__ = ["READ_AS_PREDICT", "AppRows", "app_rows"]
