"""``predict`` and ``evaluate`` of an application's ``.onnx`` export (a Recommender's, Forecaster's, SequenceClassifier's, Autoencoder's,
ImageClassifier's or TextClassifier's: its texts tokenized by the tokenizer the file holds).

Each export is opened as the server opens it (:func:`hiddenlayers.ship.app_export`: the app's request form, its checks and
its graph-backed answers, one place for each app's ONNX input rule) and wrapped here in a stand-in of the fitted app that
:mod:`._appfiles`, :mod:`._appseq` and :mod:`._appscore` already read: the same columns (the ones the ``.safetensors`` file
kept, stored in the export's metadata), the same outputs and metrics, float32 numbers written as float32 text. A value the
server would refuse is one line here.

A DQNAgent's export keeps a one-line refusal (its file has no table form either: it is served, or played by ``evaluate``
from its ``.safetensors`` file); a SpeechRecognizer's is read by :mod:`._appspeech`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError, one_line

#: the exports predict and evaluate read through this module
TABLE_EXPORTS = ("Recommender", "Forecaster", "SequenceClassifier", "Autoencoder", "ImageClassifier", "TextClassifier")


def _answers(adapter: Any, body: dict[str, Any], n: int, proba: bool = False) -> list[Any]:
    """The server's answers to ``body`` of ``n`` items (one answer each), its refusal of a value as one line."""
    try:
        return adapter.predict(adapter.rows(body, max_rows=max(1, n)), proba)  # type: ignore[no-any-return]
    except ValueError as exc:  # the server's RequestError/RowsRefused: a value the export does not take
        raise UserError(f"the data holds a value this export refuses: {one_line(exc)}") from None


class _Export:
    """What every stand-in holds: the export's adapter, the columns the app's file kept, and the graph's float type (its numbers')."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        self.adapter, self.app = adapter, adapter.app
        # ._table_out.network_precision: the float type the graph computes in (float64 for a float64 model's export), as the .safetensors file's network
        self.dtype = "float64" if getattr(adapter, "double", False) else "float32"
        self.floats: Any = np.float64 if self.dtype == "float64" else np.float32
        self.data_columns_ = columns.get("data_columns")


class Recommender(_Export):
    """A Recommender's export: ratings of (user, item) rows, by the graph; ``seen`` from the fitted ids it stores."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        info = adapter.runner.info("recommender", {})
        self.users_, self.items_ = self.app.users_, self.app.items_
        self.global_mean_, self.clip = float(info.get("global_mean", np.nan)), info.get("clip")
        self.loss = info.get("loss", "squared_error")  # "bpr": the graph gives ranking scores (an export from before: ratings)
        names = adapter.runner.info("input_columns", None)
        self.feature_names_in_ = None if names is None else np.asarray(names, dtype=object)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The graph's rating of each row of ``X`` (the user column, then the item column), checked as a request's ids."""
        from ..apps import cold_start_words

        users, items = (X.iloc[:, k].tolist() for k in (0, 1))
        ratings = np.asarray([rating for rating, _ in _answers(self.adapter, {"users": users, "items": items}, len(users))], dtype=np.float32)
        seen = self.seen(X)
        if not seen.all():  # the .safetensors file's warning, which the commands show as a note
            warnings.warn(cold_start_words(seen[:, 0], seen[:, 1], self.loss), UserWarning, stacklevel=2)
        return ratings

    def seen(self, X: pd.DataFrame) -> np.ndarray:
        """Bool ``(n, 2)``: whether each row's user (column 0) and item (column 1) are among the fitted ids the export stores."""
        return np.stack([known.get_indexer(X.iloc[:, k].to_numpy()) >= 0 for k, known in enumerate((self.users_, self.items_))], axis=1)


class Forecaster(_Export):
    """A Forecaster's export: the next values of a series, each ``horizon`` block one pass of the graph (the server's recursion)."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        self.window, self.horizon = int(self.app.window), int(self.app.horizon)
        self.freq_ = self.app.freq_  # the training dates' step the export stores (None: none stored), checked as the file's (check_data_step)

    def forecast(self, steps: int, series: np.ndarray) -> np.ndarray:
        return np.asarray(_answers(self.adapter, {"series": [np.asarray(series).tolist()], "steps": int(steps)}, 1)[0], dtype=np.float32)

    def backtest(self, series: np.ndarray, steps: int | None, folds: int, stride: int | None, season: int = 1) -> Any:
        """:meth:`hiddenlayers.apps.Forecaster.backtest`, each fold's forecast by the graph (the series checked as a request's)."""
        from ..apps import run_backtest

        s = np.asarray(series, dtype=np.float64)
        _answers(self.adapter, {"series": [s.tolist()], "steps": 1}, 1)  # the server's checks of the values (length, float32's range)
        return run_backtest(self.app.forecast_many, self.window, s, self.horizon if steps is None else steps, folds, stride, season=season)


class Autoencoder(_Export):
    """An Autoencoder's export: each row's reconstruction error (minus the graph's ``scores``) and its anomaly flag (+1 where
    ``scores - offset >= 0``), the rows checked by the server's table rules against the fitted column names it stores."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        self.n_features_in_ = int(self.app.n_features_in_)
        self.feature_names_in_ = getattr(self.app, "feature_names_in_", None)

    def _scored(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, 2)``: each row's score and flag, by the server's adapter (by name where the export stores the names)."""
        body = ({"columns": {str(c): X[c].tolist() for c in X.columns}} if self.feature_names_in_ is not None
                else {"rows": np.asarray(X, dtype=np.float64).tolist()})
        return np.asarray(_answers(self.adapter, body, len(X)), dtype=np.float64).reshape(-1, 2)

    def reconstruction_error(self, X: pd.DataFrame) -> np.ndarray:
        return (-self._scored(X)[:, 0]).astype(np.float32)  # score_samples is minus the error

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self._scored(X)[:, 1].astype(np.int64)


class ImageClassifier(_Export):
    """An ImageClassifier's export: probabilities of images (read by the command line's pixel rule, :func:`._appfiles.read_images`,
    with the fitted shape and pixel statistics the export stores), by the graph through the server's adapter."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        self.image_shape_, self.classes_ = self.app.image_shape_, np.asarray(self.app.classes_)
        self.mean_, self.scale_ = self.app.mean_, self.app.scale_  # the fitted pixels' statistics (the 0-1 scale check), NaN in older exports
        self.input_dtype = self.adapter.runner.dtype  # "uint8": the export reads 0-255 pixels only (refuse_float_pixels)
        self.uint8_scaled = self.adapter.uint8_scaled  # False: its uint8 graph reads 0-255 as given (refuse_uint8_pixels)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, n_classes)`` of the images ``X`` as the pixel rule gave them (uint8 0-255, or float pixels as given),
        sent to the server's adapter with that ``dtype``, which scales uint8 by 1/255 as the app's ``predict_proba`` does."""
        X = np.asarray(X)
        from ._appfiles import refuse_float_pixels

        dtype = "uint8" if X.dtype == np.uint8 else "float32"
        refuse_float_pixels(self, dtype)
        return np.asarray(_answers(self.adapter, {"images": X.tolist(), "dtype": dtype}, len(X), proba=True), dtype=self.floats)


class SequenceClassifier(_Export):
    """A SequenceClassifier's export (feature frames): probabilities of each sequence of a long table, by the graph."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        self.long_columns_ = columns.get("long_columns")
        self.classes_ = np.asarray(self.app.classes_)
        self.ids = adapter.ids  # an export of token ids (hl.ship.TokenOnnx runs it from Python), else of frames

    def sequences_from_long(self, frame: pd.DataFrame, where: Any = None) -> Any:
        from ..apps import check_columns, long_sequences

        c = self.long_columns_ or {}
        check_columns(frame, {"the id column": c["id_column"], "the order column": c["order_column"], "the feature column": c["features"]})
        return long_sequences(frame, c["id_column"], c["features"], c["order_column"], where)

    def predict_proba(self, sequences: list[np.ndarray]) -> np.ndarray:
        body = {"sequences": [np.asarray(s, dtype=np.float64).tolist() for s in sequences]}
        return np.asarray(_answers(self.adapter, body, len(sequences), proba=True), dtype=self.floats)

    def predict(self, sequences: list[np.ndarray]) -> np.ndarray:
        return self.classes_[self.predict_proba(sequences).argmax(axis=1)]  # type: ignore[no-any-return]


class TextClassifier(_Export):
    """A TextClassifier's export: probabilities of the texts of a text column (read by :func:`._appfiles.read_texts`, by the text
    column the export stores), each tokenized by the tokenizer the file holds and run by the graph, through the server's adapter."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        self.classes_ = np.asarray(self.app.classes_)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(_answers(self.adapter, {"texts": list(texts)}, len(texts), proba=True), dtype=self.floats)

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]  # type: ignore[no-any-return]


def exported_app(path: str) -> Any:
    """The stand-in of the app whose export ``path`` is (one of :data:`TABLE_EXPORTS`), for :func:`._appfiles.predict_app` and
    :func:`._appfiles.evaluate_app`; an export written before its columns were stored reads as a file fitted from Python."""
    from ..exceptions import ModelFileError
    from ..ship import TABLE_COLUMNS_KEY, app_export

    try:
        adapter = app_export(path)
    except ModelFileError as exc:
        raise UserError(one_line(exc)) from None
    columns = adapter.runner.info(TABLE_COLUMNS_KEY, None) or {}
    kinds = {"Recommender": Recommender, "Forecaster": Forecaster, "SequenceClassifier": SequenceClassifier, "Autoencoder": Autoencoder,
             "ImageClassifier": ImageClassifier, "TextClassifier": TextClassifier}
    return kinds[adapter.estimator](adapter, columns)


def export_app(path: str) -> str | None:
    """The application whose ``.onnx`` export ``path`` is, where the commands read it as that app: a SpeechRecognizer
    (:mod:`._appspeech`) or one of :data:`TABLE_EXPORTS` (:func:`exported_app`); None for a table model's export
    (:func:`._predict_rows.predict_onnx`), or a missing or foreign file. ``predict`` and ``evaluate`` both ask it."""
    from ..ship import onnx_estimator

    kind = onnx_estimator(path)
    return kind if kind == "SpeechRecognizer" or kind in TABLE_EXPORTS else None


__all__ = ["TABLE_EXPORTS", "export_app", "exported_app"]
