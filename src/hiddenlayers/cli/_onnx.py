"""``evaluate`` on an ``.onnx`` file from ``hiddenlayers export``: onnxruntime, pandas and scikit-learn's metrics, never PyTorch.

The metrics and their tables are the ones ``evaluate`` shows for a
``.safetensors`` model (:func:`hiddenlayers.cli._train.prediction_metrics`,
:func:`hiddenlayers.cli._train.show_evaluation`); only the predictions come
from the ONNX graph, whose preprocessing is inside it.
"""

from __future__ import annotations

from typing import Any

from ._common import note, read_labelled


def run_evaluate_onnx(model_path: str, data: str, *, target: str | None, as_json: bool, sample_weight: str | None = None,
                      pos_label: str | None = None, threshold: float | None = None) -> dict[str, Any]:
    """Metrics of an exported ONNX model on labelled ``data``; printed as tables or JSON. Returns the result.

    The target column is ``target``, else the one the file records (exported
    from a model trained by ``hiddenlayers train``), else ``target`` for a
    bundled dataset; without any of them, a :class:`UserError` asks for ``--target``.
    ``sample_weight``: a column of ``data`` (never a model input) weighting each row in every metric; ``pos_label``: ``--pos-label``;
    ``threshold``: ``--threshold`` (:func:`._binary.cut_for`). A classifier's graph gives its probabilities, so ROC-AUC and
    average precision are there as for the ``.safetensors`` file.
    """
    from ..ship import OnnxModel
    from ._binary import cut_for, scored_positive
    from ._data import MODEL_IS_REGRESSOR, class_labels, prediction_metrics, regression_target, show_evaluation
    from ._predict_rows import onnx_output
    from ._weights import take_weights

    model = OnnxModel(model_path)
    cut = cut_for(model.classes_, threshold, pos_label, model_path)
    missing = f"'{model_path}' does not record its target column (its model was not trained by `hiddenlayers train`): pass --target COLUMN."
    lab = read_labelled(data, target, model.target, missing)
    X, w = take_weights(lab.X, sample_weight, target=lab.name, where=lab.where)
    out, notes = onnx_output(model, X, lab.where)  # (n, classes) probabilities or (n, outputs) predictions
    classes = model.classes_
    y = class_labels(lab.y, classes, lab.name) if classes is not None else regression_target(lab.y, lab.name, lab.where, MODEL_IS_REGRESSOR)
    for msg in [lab.table.drop_summary(), *notes] if lab.table.n_dropped else notes:
        note(msg)
    if classes is None:
        m = prediction_metrics(model.decode(out), y, None, w)
    else:
        pred = model.decode(out) if cut is None else cut.labels(out, classes)
        m = prediction_metrics(pred, y, classes, w, proba=out, positive=scored_positive(classes, pos_label))
    result = {"model": model_path, "data": data, "rows": len(y), "task": "classification" if classes is not None else "regression",
              "weighted_by": sample_weight, **({"threshold": threshold} if cut else {}), "metrics": m}
    show_evaluation(result, as_json, pos_label)
    return result


__all__ = ["run_evaluate_onnx"]
