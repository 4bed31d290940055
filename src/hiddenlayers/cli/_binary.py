"""Sensitivity and specificity of a two-class target, for ``evaluate`` (``--pos-label``) and ``train``'s held-out metrics.

A medical table's binary target is read by its sensitivity (the recall of the positive class: the share of the sick
found) and specificity (the recall of the negative class: the share of the healthy cleared), where accuracy, balanced
accuracy and macro F1 need no positive class. The positive class is scikit-learn's ``pos_label``: the second of the
two sorted labels (1 of 0/1, True of booleans, "yes" of "no"/"yes"); the output names it, as "sensitivity (recall of
'1')", since for some data the other label is the one a clinician calls positive (scikit-learn's breast cancer: 0 is
malignant): ``evaluate --pos-label 0`` makes that one positive (one class's sensitivity is the other's specificity).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def binary_rates(cm: np.ndarray) -> dict[str, float]:
    """``sensitivity`` ``tp / (tp + fn)`` and ``specificity`` ``tn / (tn + fp)`` of a 2 x 2 confusion matrix ``cm`` (rows: true,
    columns: predicted, the positive class second; counts or sums of weights); NaN where no row is of that class (no
    recall to take, as scikit-learn's balanced accuracy leaves such a class out). Empty for any other shape (more classes)."""
    cm = np.asarray(cm, dtype=np.float64)
    if cm.shape != (2, 2):
        return {}
    (tn, fp), (fn, tp) = cm
    return {"sensitivity": float(tp / (tp + fn)) if tp + fn > 0 else float("nan"),
            "specificity": float(tn / (tn + fp)) if tn + fp > 0 else float("nan")}


def with_positive(result: dict[str, Any], pos_label: str | None) -> dict[str, Any]:
    """``result`` (``evaluate``'s) with its two-class metrics' positive class named in its confusion matrix's ``positive``:
    ``pos_label`` (``--pos-label``, one of the matrix's labels as text; the first one swaps sensitivity and specificity), or
    by default the second label. A ``pos_label`` for a result without a two-class target (more classes, a regressor, an
    application's own metrics) is a :class:`~._common.UserError` naming why; a label not of the model's, one naming them."""
    from ._common import UserError

    m = result.get("metrics") or {}
    confusion = m.get("confusion_matrix") if isinstance(m, dict) else None
    labels = (confusion or {}).get("labels") or []
    if "sensitivity" not in m or len(labels) != 2:
        if pos_label is not None:
            what = f"{len(labels)} classes" if labels else f"{result.get('task', 'its')} metrics"
            raise UserError(f"--pos-label picks the positive class of a two-class target, but this model's evaluation has {what}: drop --pos-label.")
        return result
    if pos_label is not None and str(pos_label) not in labels:
        raise UserError(f"--pos-label {pos_label!r} is not one of the model's two classes, {labels[0]!r} and {labels[1]!r}: pass one of them.")
    positive = labels[1] if pos_label is None else str(pos_label)
    if positive == labels[0]:  # the first class positive: its recall is the sensitivity
        m["sensitivity"], m["specificity"] = m["specificity"], m["sensitivity"]
    confusion["positive"] = positive  # type: ignore[index]
    return result


def metric_label(key: str, confusion: dict[str, Any] | None) -> str:
    """The words for metric ``key`` in a table: ``sensitivity`` and ``specificity`` name the class whose recall they are
    (``confusion``: the result's ``confusion_matrix``, its two ``labels`` and the ``positive`` one, default the second),
    the others their key's words."""
    words = key.replace("_", " ")
    labels = (confusion or {}).get("labels") or []
    if key in ("sensitivity", "specificity") and len(labels) == 2:
        positive = (confusion or {}).get("positive", labels[1])
        negative = labels[0] if positive == labels[1] else labels[1]
        return f"{words} (recall of '{positive if key == 'sensitivity' else negative}')"
    return words
