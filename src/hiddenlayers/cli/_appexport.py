"""``export MODEL DATA`` of an application file: DATA's inputs, read as ``predict`` reads them for that app, are the parity rows.

DATA serves an export as the rows its graph must answer as the app does (``export_onnx``'s ``X``): without it, each app's
export checks parity on random inputs of its fitted form. Every app :func:`hiddenlayers.ship.export_onnx` takes reads its
parity inputs from the same file ``predict`` reads:

* Recommender: the (user, item) columns it was fitted on (unseen ids too: the graph answers them as ``predict`` does);
* Autoencoder: the rows of its fitted columns; ImageClassifier: the pixel table, ``.npy`` or ``.npz`` of images;
* TextClassifier: the texts of its text column (``--text-column``, else the one its file keeps, else the only text column);
* Forecaster: the series of its value column (every window of it); SequenceClassifier and SpeechRecognizer: the long
  table by the columns the file stores (one sequence or utterance per id);
* DQNAgent: a table of observations, one per row, its columns the observation's values in order (as ``inspect`` reads them).

A label column the app's file keeps (a rating, an anomaly flag) is left out of the inputs, as ``predict`` leaves it.
``--target`` names the labels of a table model's score before and after ``--int8``; an app's export reports parity only.
"""

from __future__ import annotations

from typing import Any

from .._words import article
from ._common import UserError


def export_inputs(model: Any, path: str, data: str, target: str | None, text_column: str | None = None) -> Any:
    """The parity inputs ``X`` of application ``model`` (read from ``path``) in ``data``, in the form its ``predict`` takes;
    a file the app's reader refuses is its one line. ``target``: ``--target``, refused (no score of an app is compared);
    ``text_column``: ``--text-column``, a TextClassifier's column of texts (None: ``predict``'s default)."""
    kind = type(model).__name__
    if target is not None:
        raise UserError(f"--target names the labels of a table model's score before and after --int8; {article(kind)}'s export checks parity "
                        f"on DATA's inputs alone: drop --target.")
    if kind in ("SequenceClassifier", "SpeechRecognizer") and getattr(model, "long_columns_", None) is None:
        _refuse_array_fitted(model, path)
    if kind == "Forecaster":
        from ._appfiles import data_column, read_series

        return read_series(data, None, data_column(model, "value_column"))[0]  # the whole series: the graph answers each window of it
    if kind == "SpeechRecognizer":
        from ._appspeech import long_utterances

        return long_utterances(model, path, data)
    if kind == "SequenceClassifier":  # predict's reader: the labels, which inspect reads beside them, are not the export's
        from ._appseq import read_long

        return list(read_long(model, path, data)[1].sequences)
    if kind == "DQNAgent":
        from ._inspect_apps import app_rows

        return app_rows(model, path, data, None, {}).X
    from ._appfiles import predict_inputs, refuse_missing_ids

    X, where = predict_inputs(model, data, {"text_column": text_column})
    if kind == "Recommender":
        refuse_missing_ids(X, where)
    return X


def _refuse_array_fitted(model: Any, path: str) -> None:
    """A sequence or speech model fitted on arrays stores no columns to read DATA by, but exports without it: one line saying so
    (``predict``'s refusal sent the user to Python or ``serve``, though ``export PATH --out OUT`` works as it is)."""
    kind = type(model).__name__
    ids = getattr(model, "input_kind_", None) == "ids"
    what = "frame arrays" if kind == "SpeechRecognizer" else "token id arrays" if ids else "arrays"
    random = "random id sequences of the ids seen in fit" if ids else "random frames of its fitted width"
    raise UserError(f"'{path}' holds {article(kind)} fitted on {what} ({kind}.fit), which stores no long-table columns to read DATA by: "
                    f"drop DATA (`hiddenlayers export {path} --out model.onnx` checks parity on {random}), "
                    f"or check it on your own from Python: hl.export_onnx(hl.load('{path}'), 'model.onnx', X={'ids' if ids else 'frames'}).")


__all__ = ["export_inputs"]
