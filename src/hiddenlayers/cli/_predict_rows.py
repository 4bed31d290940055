"""``predict``'s output for rows of a table model: the predictions (and probabilities) of one table or one record batch.

One module, so ``predict FILE`` (:mod:`._train`) and ``predict DIR`` (:mod:`._score_stream`, batch by batch) write the same
columns, checked alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError
from ._data import check_finite_output, model_columns, model_inputs, with_kept, without_kept
from ._table_out import network_precision


def predict_rows(model: Any, frame: pd.DataFrame, where: Callable[[int], str] | None, proba: bool, keep: list[str] | None,
                 notes: list[str] | None = None) -> pd.DataFrame:
    """``predicted_<target>`` (and ``proba_<class>`` with ``proba``) for each row of ``frame``, ``keep`` columns in front.

    ``where(i)`` names row ``i`` of ``frame`` in the user's file (errors); ``notes`` as :func:`~._data.model_inputs` takes it.
    The caller has checked ``proba`` (a classifier) and ``keep`` (:func:`~._data.check_keep`).
    """
    state = getattr(model, "preprocessing_", None) or {}
    A = model_inputs(model, without_kept(frame, keep, model_columns(model)), where, notes)
    col = f"predicted_{state.get('target') or 'value'}"
    pred, P = labels_and_proba(model, A)
    check_finite_output(pred if P is None else P, where)  # a label hides the NaN outputs it was taken from
    pred = pred if P is not None else network_precision(model, pred)  # written as the .onnx export's are (see ._table_out)
    P = None if P is None else network_precision(model, P)
    result = pd.DataFrame({col: pred} if np.ndim(pred) == 1 else {f"{col}_{i}": pred[:, i] for i in range(pred.shape[1])})
    if proba and P is not None:
        for i, c in enumerate(model.classes_):
            result[f"proba_{c}"] = P[:, i]
    return with_kept(result, frame, keep)


def refuse_proba(model: Any, proba: bool) -> None:
    """``--proba`` of a regressor: a UserError (it has no class probabilities)."""
    if proba and not hasattr(model, "classes_"):
        raise UserError("--proba needs a classifier; this model is a regressor: drop --proba.")


def labels_and_proba(model: Any, A: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(predict(A), predict_proba(A) or None for a regressor)``: one forward pass for an MLP classifier. Rows the network
    overflows on keep their NaN answers here (the estimator's :class:`~hiddenlayers.exceptions.NonFiniteOutputError`
    carries them), for :func:`~._data.check_finite_output` to name by their file line."""
    from ..estimators import MLPClassifier
    from ..exceptions import NonFiniteOutputError

    try:
        if isinstance(model, MLPClassifier):
            return model.predict_with_proba(A)  # type: ignore[no-any-return]
        # a Pipeline of scikit-learn steps (load_model(path, pipeline=True)) too: its columns were taken by name (model_inputs)
        return model.predict(A), (model.predict_proba(A) if hasattr(model, "classes_") else None)
    except NonFiniteOutputError as exc:
        if isinstance(exc.answer, tuple):
            return exc.answer  # type: ignore[no-any-return]
        return exc.answer, None  # a regressor's predictions
