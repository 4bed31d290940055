"""Sensitivity and specificity of a two-class target, for ``evaluate`` and ``train``'s held-out metrics.

A medical table's binary target is read by its sensitivity (the recall of the positive class: the share of the sick
found) and specificity (the recall of the negative class: the share of the healthy cleared), where accuracy, balanced
accuracy and macro F1 need no positive class. The positive class is scikit-learn's ``pos_label``: the second of the
two sorted labels (1 of 0/1, True of booleans, "yes" of "no"/"yes"); the output names it, as "sensitivity (recall of
'1')", since for some data the other label is the one a clinician calls positive (scikit-learn's breast cancer: 0 is
malignant). Then read the two figures the other way round: one class's sensitivity is the other's specificity.
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


def metric_label(key: str, confusion: dict[str, Any] | None) -> str:
    """The words for metric ``key`` in a table: ``sensitivity`` and ``specificity`` name the class whose recall they are
    (``confusion``: the result's ``confusion_matrix``, its ``labels`` negative then positive), the others their key's words."""
    words = key.replace("_", " ")
    labels = (confusion or {}).get("labels") or []
    if key in ("sensitivity", "specificity") and len(labels) == 2:
        which = labels[1] if key == "sensitivity" else labels[0]
        return f"{words} (recall of '{which}')"
    return words
