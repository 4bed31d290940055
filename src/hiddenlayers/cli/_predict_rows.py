"""``predict``'s output for rows of a table model: the predictions (and probabilities) of one table or one record batch.

One module, so ``predict FILE`` (:mod:`._train`) and ``predict DIR`` (:mod:`._score_stream`, batch by batch) write the same
columns, checked alike, for a ``.safetensors`` model and for its ``.onnx`` export (:class:`~hiddenlayers.ship.OnnxModel`,
its preprocessing inside the graph).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ._binary import Cut
from ._common import UserError, note
from ._data import check_finite_output, check_keep, model_columns, model_inputs, output_columns, with_kept, without_kept
from ._table_out import network_precision


def predict_rows(model: Any, frame: pd.DataFrame, where: Callable[[int], str] | None, proba: bool, keep: list[str] | None,
                 notes: list[str] | None = None, cut: Cut | None = None) -> pd.DataFrame:
    """``predicted_<target>`` (and ``proba_<class>`` with ``proba``) for each row of ``frame``, ``keep`` columns in front.

    ``where(i)`` names row ``i`` of ``frame`` in the user's file (errors); ``notes`` as :func:`~._data.model_inputs` takes it.
    The caller has checked ``proba`` (a classifier) and ``keep`` (:func:`~._data.check_keep`). ``model``: an estimator
    (or a Pipeline) from a ``.safetensors`` file, or an :class:`~hiddenlayers.ship.OnnxModel`. ``cut``: ``--threshold``
    (:class:`~._binary.Cut`), a two-class model's labels from its positive class's probability (None: the more probable class).
    """
    from ..ship import OnnxModel

    if isinstance(model, OnnxModel):
        return _onnx_rows(model, frame, where, proba, keep, notes, cut)
    state = getattr(model, "preprocessing_", None) or {}
    A = model_inputs(model, without_kept(frame, keep, model_columns(model)), where, notes)
    col = f"predicted_{state.get('target') or 'value'}"
    pred, P = labels_and_proba(model, A)
    with np.errstate(over="ignore"):  # a value beyond float32's range is inf here, refused below as the export's graph refuses it
        shown = network_precision(model, pred if P is None else P)  # written as the .onnx export's are (see ._table_out)
    check_finite_output(shown, where)  # the probabilities: a label hides the NaN outputs it was taken from
    if cut is not None and P is not None:
        pred = cut.labels(P, model.classes_)
    pred, P = (shown, None) if P is None else (pred, shown)
    result = pd.DataFrame({col: pred} if np.ndim(pred) == 1 else {f"{col}_{i}": pred[:, i] for i in range(pred.shape[1])})
    if proba and P is not None:
        for i, c in enumerate(model.classes_):
            result[f"proba_{c}"] = P[:, i]
    return with_kept(result, frame, keep)


def _onnx_rows(model: Any, frame: pd.DataFrame, where: Callable[[int], str] | None, proba: bool, keep: list[str] | None,
               notes: list[str] | None, cut: Cut | None = None) -> pd.DataFrame:
    """:func:`predict_rows` of an ``.onnx`` export: the graph's output for ``frame``, decoded (its notes to ``notes``, or printed
    once the outputs are checked finite, so an error stays the only line)."""
    out, said = onnx_output(model, without_kept(frame, keep, model.inputs or None), where)
    for msg in said:
        note(msg) if notes is None else notes.append(msg)
    pred = model.decode(out) if cut is None else cut.labels(out, model.classes_)
    col = f"predicted_{model.target or 'value'}"
    result = pd.DataFrame({col: pred} if np.ndim(pred) == 1 else {f"{col}_{i}": pred[:, i] for i in range(pred.shape[1])})
    if proba and model.classes_ is not None:
        for i, c in enumerate(model.classes_):
            result[f"proba_{c}"] = out[:, i]
    return with_kept(result, frame, keep)


def onnx_output(model: Any, frame: pd.DataFrame, where: Callable[[int], str] | None) -> tuple[np.ndarray, list[str]]:
    """The ``.onnx`` export's graph output for ``frame`` (:meth:`~hiddenlayers.ship.OnnxModel.run`) and its notes, the output
    checked finite: a value beyond float32 overflows in the graph's cast, and a NaN row is a DataError naming it (as
    ``predict`` says it, and the ``.safetensors`` file's float32 check), never a class that argmax picks from NaN."""
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow in the cast: the check below names its row
        out, said = model.run(frame, where)
    check_finite_output(out, where)
    return out, said


def predict_onnx(model_path: str, data: str, *, proba: bool, keep: list[str] | None = None, threshold: float | None = None,
                 pos_label: str | None = None) -> pd.DataFrame:
    """Predictions (and probabilities) of an ``.onnx`` file on a raw table, as a DataFrame (``keep``: input columns in front;
    ``threshold`` and ``pos_label``: ``--threshold`` and ``--pos-label``, :func:`~._binary.cut_for`)."""
    from ..data import read_table
    from ..ship import OnnxModel
    from ._binary import cut_for

    model = OnnxModel(model_path)
    refuse_proba(model, proba)
    cut = cut_for(model.classes_, threshold, pos_label, model_path)
    table = read_table(data).every_row()
    check_keep(table.frame, keep, output_columns(model.target, model.classes_, proba))
    return _onnx_rows(model, table.frame, table.where, proba, keep, None, cut)


def predictions(model: Any, frame: pd.DataFrame, where: Callable[[int], str] | None, notes: list[str],
                cut: Cut | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``model``'s predictions ``(n,)`` (class labels, or values) for the raw rows of ``frame`` (``evaluate``'s) and a classifier's
    probabilities ``(n, n_classes)`` (None: a regressor), its notes to ``notes``: a ``.safetensors`` model through its stored
    preprocessing, an ``.onnx`` export through its graph. ``cut``: ``--threshold`` (:class:`~._binary.Cut`), a two-class
    model's labels from its positive class's probability."""
    from ..ship import OnnxModel

    if isinstance(model, OnnxModel):
        out, said = onnx_output(model, frame, where)
        notes.extend(said)
        if model.classes_ is None:
            return model.decode(out), None
        return (model.decode(out) if cut is None else cut.labels(out, model.classes_)), out
    A = model_inputs(model, frame, where, notes)
    if getattr(model, "classes_", None) is None or not hasattr(model, "predict_proba"):
        return model.predict(A), None
    from ..estimators import MLPClassifier

    pred, P = model.predict_with_proba(A) if isinstance(model, MLPClassifier) else (model.predict(A), model.predict_proba(A))  # one pass
    return (pred if cut is None else cut.labels(P, model.classes_)), P


def refuse_proba(model: Any, proba: bool) -> None:
    """``--proba`` of a regressor (an .onnx export's too, whose ``classes_`` is None): a UserError (it has no class probabilities)."""
    if proba and getattr(model, "classes_", None) is None:
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
