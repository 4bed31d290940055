"""The served Autoencoder: table rows (numbers, none missing), checked by the table path's rules -> ``scores`` and ``predictions``.

See :mod:`.app_model` for the request form; :mod:`.app_onnx` serves the autoencoder's ONNX export with this same adapter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...data import F32_MAX
from .app_base import AppModel, _call
from .model import ServedModel, _require_finite
from .values import F64_MAX


class _NumericRows(ServedModel):
    """The table path's row checks (names, counts, the CSV number rule) for an app reading numeric columns only."""

    def __init__(self, columns: list[str], double: bool = False) -> None:  # no model: only what rows() and arrow_rows() read
        self.impute, self.target, self.pre, self.weight_column = False, None, None, None  # an app file records no --sample-weight column
        self._double, self._limit = double, (F64_MAX if double else F32_MAX)  # the range of the float type the app computes in
        self._index_columns([{"name": n, "kind": "numeric"} for n in columns])


class AutoencoderModel(AppModel):
    """An Autoencoder: table rows (numbers, none missing) -> ``scores`` and ``predictions`` (+1 inlier, -1 outlier)."""

    form = '{"rows": [[x0, x1, ...] or {"x0": ..., ...}]} or {"columns": {"x0": [...], ...}}'

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        names = getattr(self.app, "feature_names_in_", None)
        self.names = names is not None
        self.table = _NumericRows([str(n) for n in names] if names is not None else [f"x{i}" for i in range(int(self.app.n_features_in_))], self.double)
        self.no_proba = "/predict_proba needs a classifier; an Autoencoder answers /predict with scores (higher is more normal) and predictions (+1 inlier, -1 outlier)."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        return self.table.rows(body, max_rows)

    def arrow_rows(self, table: Any, max_rows: int) -> list[Any]:
        return self.table.arrow_rows(table, max_rows)

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        X: Any = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
        if self.names:
            import pandas as pd

            X = pd.DataFrame(X, columns=self.table.columns)  # the names it was fitted with, so scikit-learn does not warn
        scores = self.scores(X)
        labels = np.where(scores - self.app.offset_ >= 0, 1, -1)  # predict's rule (decision_function >= 0), without a second pass
        return _require_finite(scores, [[s, k] for s, k in zip(self.numbers(scores), labels.tolist())])

    def scores(self, X: Any) -> np.ndarray:
        """``score_samples`` of the checked rows ``X`` (an array, or a DataFrame of the fitted names): the app's own."""
        return _call(self.app.score_samples, X)

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        return {"scores": [s for s, _ in result], "predictions": [k for _, k in result]}

    def inputs(self) -> dict[str, Any]:
        return {"body": self.form, "columns": self.table.column_info, "offset": float(self.app.offset_)}


__all__ = ["AutoencoderModel"]
