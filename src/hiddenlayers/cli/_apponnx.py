"""``predict`` and ``evaluate`` of an application's ``.onnx`` export (a Recommender's, Forecaster's or SequenceClassifier's).

Each export is opened as the server opens it (:func:`hiddenlayers.ship.app_export`: the app's request form, its checks and
its graph-backed answers, one place for each app's ONNX input rule) and wrapped here in a stand-in of the fitted app that
:mod:`._appfiles`, :mod:`._appseq` and :mod:`._appscore` already read: the same columns (the ones the ``.safetensors`` file
kept, stored in the export's metadata), the same outputs and metrics, float32 numbers written as float32 text. A value the
server would refuse is one line here.

The other exports keep a one-line refusal: an ImageClassifier's, an Autoencoder's and a DQNAgent's (served, not predicted
from a table); a SpeechRecognizer's is read by :mod:`._appspeech`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError, one_line

#: the exports predict and evaluate read through this module
TABLE_EXPORTS = ("Recommender", "Forecaster", "SequenceClassifier")


def _answers(adapter: Any, body: dict[str, Any], proba: bool = False) -> list[Any]:
    """The server's answers to ``body`` (one per item), its refusal of a value as one line."""
    try:
        rows = adapter.rows(body, max_rows=max(1, *(len(v) for v in body.values() if isinstance(v, list))))
        return adapter.predict(rows, proba)  # type: ignore[no-any-return]
    except ValueError as exc:  # the server's RequestError/RowsRefused: a value the export does not take
        raise UserError(f"the data holds a value this export refuses: {one_line(exc)}") from None


class _Export:
    """What every stand-in holds: the export's adapter, the columns the app's file kept, and float32 numbers (the graph's)."""

    dtype = "float32"  # ._table_out.network_precision: the graph computes in float32, as the .safetensors file's network

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        self.adapter, self.app = adapter, adapter.app
        self.data_columns_ = columns.get("data_columns")


class Recommender(_Export):
    """A Recommender's export: ratings of (user, item) rows, by the graph; ``seen`` from the fitted ids it stores."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        info = adapter.runner.info("recommender", {})
        self.users_, self.items_ = self.app.users_, self.app.items_
        self.global_mean_, self.clip = float(info.get("global_mean", np.nan)), info.get("clip")
        names = adapter.runner.info("input_columns", None)
        self.feature_names_in_ = None if names is None else np.asarray(names, dtype=object)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The graph's rating of each row of ``X`` (the user column, then the item column), checked as a request's ids."""
        users, items = (X.iloc[:, k].tolist() for k in (0, 1))
        return np.asarray([rating for rating, _ in _answers(self.adapter, {"users": users, "items": items})], dtype=np.float32)

    def seen(self, X: pd.DataFrame) -> np.ndarray:
        """Bool ``(n, 2)``: whether each row's user (column 0) and item (column 1) are among the fitted ids the export stores."""
        return np.stack([known.get_indexer(X.iloc[:, k].to_numpy()) >= 0 for k, known in enumerate((self.users_, self.items_))], axis=1)


class Forecaster(_Export):
    """A Forecaster's export: the next values of a series, each ``horizon`` block one pass of the graph (the server's recursion)."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        self.window, self.horizon = int(self.app.window), int(self.app.horizon)

    def forecast(self, steps: int, series: np.ndarray) -> np.ndarray:
        return np.asarray(_answers(self.adapter, {"series": [np.asarray(series).tolist()], "steps": int(steps)})[0], dtype=np.float32)

    def backtest(self, series: np.ndarray, steps: int | None, folds: int, stride: int | None) -> Any:
        """:meth:`hiddenlayers.apps.Forecaster.backtest`, each fold's forecast by the graph (the series checked as a request's)."""
        from ..apps import run_backtest

        s = np.asarray(series, dtype=np.float64)
        _answers(self.adapter, {"series": [s.tolist()], "steps": 1})  # the server's checks of the values (length, float32's range)
        return run_backtest(self.app.forecast_many, self.window, s, self.horizon if steps is None else steps, folds, stride)


class SequenceClassifier(_Export):
    """A SequenceClassifier's export (feature frames): probabilities of each sequence of a long table, by the graph."""

    def __init__(self, adapter: Any, columns: dict[str, Any]) -> None:
        super().__init__(adapter, columns)
        self.long_columns_ = columns.get("long_columns")
        self.classes_ = np.asarray(self.app.classes_)

    def sequences_from_long(self, frame: pd.DataFrame, where: Any = None) -> Any:
        from ..apps import check_columns, long_sequences

        c = self.long_columns_ or {}
        check_columns(frame, {"the id column": c["id_column"], "the order column": c["order_column"], "the feature column": c["features"]})
        return long_sequences(frame, c["id_column"], c["features"], c["order_column"], where)

    def predict_proba(self, sequences: list[np.ndarray]) -> np.ndarray:
        body = {"sequences": [np.asarray(s, dtype=np.float64).tolist() for s in sequences]}
        return np.asarray(_answers(self.adapter, body, proba=True), dtype=np.float32)

    def predict(self, sequences: list[np.ndarray]) -> np.ndarray:
        return self.classes_[self.predict_proba(sequences).argmax(axis=1)]  # type: ignore[no-any-return]


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
    return {"Recommender": Recommender, "Forecaster": Forecaster, "SequenceClassifier": SequenceClassifier}[adapter.estimator](adapter, columns)


__all__ = ["TABLE_EXPORTS", "exported_app"]
