"""``evaluate DIR``'s metrics, summed batch by batch: exactly :func:`~._data.prediction_metrics` of every row at once.

Why sums and not a mean of per-batch metrics: accuracy, balanced accuracy and F1 of a classifier all follow from
the (weighted) confusion matrix, which adds up over batches; a regressor's MAE and RMSE from the weighted sums of
the absolute and squared errors, and R² from those and the target's weighted variance about its mean over every
row (:class:`~hiddenlayers.data.Moments`, a pairwise merge that keeps float64 accuracy). A mean of per-batch F1 or
R² would be another number. Memory holds one confusion matrix or five floats, whatever the rows, except for what ranking
needs: ROC-AUC and average precision order every row by its score, which no sum gives, so a classifier also keeps each
row's probabilities (float32, one per class) and label (its class's index, int32): 4 + 4 x classes bytes a row, 8 more
with weights (12 MB a million rows of two classes), beside the batch the reader holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._binary import binary_rates


class MetricSums:
    """The sums behind ``evaluate``'s metrics; :meth:`add` each batch, then :meth:`metrics`.

    ``classes``: a classifier's ``classes_`` (the confusion matrix's labels, in that order); None for a regressor.
    ``positive``: a two-class target's positive class, its index in ``classes`` (``--pos-label``): the class average precision ranks.
    """

    def __init__(self, classes: Any = None, positive: int = 1) -> None:
        from ..data import Moments

        self.labels = None if classes is None else list(classes)
        self.positive = positive
        self.scored: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []  # each batch's (class indices, float32 probabilities, weights)
        self.cm = None if classes is None else np.zeros((len(self.labels), len(self.labels)), dtype=np.float64)  # type: ignore[arg-type]
        self.rows = 0
        self.weight = 0.0
        self.abs_error = 0.0  # sum of w * |y - pred|
        self.sq_error = 0.0  # sum of w * (y - pred)**2
        self.target = Moments()
        self.weighted = False

    def add(self, y: np.ndarray, pred: np.ndarray, sample_weight: np.ndarray | None = None, proba: np.ndarray | None = None) -> None:
        """Count a batch: labels or values ``y`` ``(n,)``, the model's ``pred`` ``(n,)``, row weights ``(n,)`` (None: each 1),
        a classifier's probabilities ``proba`` ``(n, n_classes)`` (None: no ROC-AUC)."""
        self.rows += len(y)
        self.weighted = self.weighted or sample_weight is not None
        if self.cm is not None:
            from sklearn.metrics import confusion_matrix

            if proba is not None:
                from ._class_scores import class_codes

                weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
                self.scored.append((class_codes(y, self.labels), np.asarray(proba, dtype=np.float32), weights))

            if sample_weight is not None and not np.any(sample_weight):  # counts nothing (scikit-learn refuses all-zero weights)
                return

            self.cm += confusion_matrix(y, pred, labels=self.labels, sample_weight=sample_weight)
            return
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        e = np.asarray(y, dtype=np.float64) - np.asarray(pred, dtype=np.float64).ravel()
        self.weight += float(w.sum())
        self.abs_error += float((w * np.abs(e)).sum())  # numpy's pairwise sum, not a BLAS dot (threads: see data.Moments)
        self.sq_error += float((w * e * e).sum())
        self.target.add(np.asarray(y, dtype=np.float64), w)

    def metrics(self) -> dict[str, Any]:
        """The dict :func:`~._data.prediction_metrics` gives for every row added (the same keys and rules)."""
        if self.cm is not None:
            return self._classification()
        with np.errstate(divide="ignore", invalid="ignore"):
            mae = self.abs_error / self.weight if self.weight else float("nan")
            rmse = float(np.sqrt(self.sq_error / self.weight)) if self.weight else float("nan")
        total = self.target.var * self.target.weight if self.target.weight > 0 else 0.0  # the weighted sum of squares about the mean
        if self.rows <= 1:
            r2 = float("nan")
        elif total == 0:  # scikit-learn's force_finite: a constant target scores 1 if predicted exactly, else 0
            r2 = 1.0 if self.sq_error == 0 else 0.0
        else:
            r2 = 1.0 - self.sq_error / total
        return {"r2": float(r2), "mae": float(mae), "rmse": rmse}

    def _classification(self) -> dict[str, Any]:
        """Accuracy, balanced accuracy, macro F1 (zero_division=0), two classes' sensitivity and specificity and the confusion matrix,
        from the summed matrix."""
        cm = self.cm
        assert cm is not None and self.labels is not None
        tp, true, predicted = np.diag(cm), cm.sum(axis=1), cm.sum(axis=0)
        total = cm.sum()
        present = true > 0  # balanced accuracy: the recall of each class that occurs (scikit-learn leaves the others out)
        balanced = float(np.mean(tp[present] / true[present])) if present.any() else 0.0
        denom = true + predicted  # 2 tp + fp + fn
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        return {
            "accuracy": float(tp.sum() / total) if total else float("nan"),
            "balanced_accuracy": balanced,
            "f1_macro": float(np.mean(f1)),
            **self._scores(),
            **binary_rates(cm),
            "confusion_matrix": {"labels": [str(c) for c in self.labels],
                                 "matrix": (cm.astype(np.int64) if not self.weighted else np.round(cm, 6)).tolist()},
        }

    def _scores(self) -> dict[str, float]:
        """ROC-AUC and average precision of every row added (:func:`~._class_scores.score_metrics`, its note said where they are
        undefined); none when no batch came with probabilities."""
        if not self.scored:
            return {}
        from ._class_scores import code_scores
        from ._common import note

        codes, P = np.concatenate([b[0] for b in self.scored]), np.concatenate([b[1] for b in self.scored])
        w = None if all(b[2] is None for b in self.scored) else np.concatenate([np.ones(len(b[0])) if b[2] is None else b[2] for b in self.scored])
        scores, why = code_scores(codes, P, self.labels, w, self.positive)
        if why:
            note(why)
        return scores
