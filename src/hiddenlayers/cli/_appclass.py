"""The classifier apps' probabilities and ``evaluate``'s metrics of them (TextClassifier, ImageClassifier, SequenceClassifier and
their ``.onnx`` exports' stand-ins).

An app classifier is judged as a table classifier is (:func:`._data.prediction_metrics`): at its one cut, the most probable class
(accuracy, F1, the confusion matrix, and for two classes sensitivity and specificity), and across every cut by how its
probabilities rank the rows (ROC-AUC; for two classes the average precision of the positive class, ``--pos-label``,
:mod:`._class_scores`). One place, so the label-column, ``.npz``, folder and long-table readers score alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import at_row
from ._common import UserError, one_line
from ._table_out import network_precision


def class_proba(model: Any, X: Any, where: Any = None) -> np.ndarray:
    """A classifier app's probabilities ``(n, n_classes)`` of ``X`` (columns in ``model.classes_``' order), in its network's float
    type (float32 text for a float32 network, as table models', :mod:`._table_out`); a value the app refuses (its ValueError or
    TypeError) is one line, and a row whose output is not finite one line naming it (``where``: :func:`~hiddenlayers.data.at_row`)."""
    try:
        P = network_precision(model, model.predict_proba(X))
    except (ValueError, TypeError) as exc:
        raise UserError(one_line(exc)) from None
    if not np.isfinite(P).all():
        row = int(np.flatnonzero(~np.isfinite(P).all(axis=1))[0])
        raise UserError(f"the model's output for {at_row(row, where)} is not finite (its values are far from the training data): fix that row.")
    return P


def class_metrics(model: Any, proba: np.ndarray, labels: np.ndarray, pos_label: str | None = None) -> dict[str, Any]:
    """``evaluate``'s metrics of a classifier app from its probabilities ``proba`` ``(n, n_classes)`` against ``labels`` ``(n,)``
    (in its ``classes_``): accuracy, F1 and the confusion matrix of the most probable class (its ``predict``), ROC-AUC and, for
    two classes, the average precision of the positive class ``pos_label`` (``--pos-label``; default the second), left out with
    a note where a class has no row."""
    from ._binary import scored_positive
    from ._data import prediction_metrics

    classes = np.asarray(model.classes_)
    return prediction_metrics(classes[np.asarray(proba).argmax(axis=1)], labels, classes, proba=proba, positive=scored_positive(classes, pos_label))


__all__ = ["class_metrics", "class_proba"]
