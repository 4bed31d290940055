"""ROC-AUC and average precision of a classifier's probabilities, for ``evaluate`` and ``train``'s held-out metrics.

Accuracy, F1, sensitivity and the confusion matrix judge the labels at one cut (the class of highest probability, or
``--threshold``); a screening model is also judged across every cut, by how it ranks the rows: ROC-AUC (the chance a
random positive row scores above a random negative one; 0.5 is chance) and, for two classes, average precision (the
area under the precision-recall curve, which reads a rare positive class better than ROC-AUC does). Both are
scikit-learn's (``roc_auc_score``, ``average_precision_score``) on the model's probabilities, weighted by the rows'
``sample_weight``: two classes score the positive class's probability (``--pos-label``, default the second label);
more classes give the one-vs-rest macro ROC-AUC, ``roc_auc_score(multi_class="ovr")``, and no average precision.

Ranking needs rows of every class scored (with a weight above 0): where one is missing the two are left out, with a
note saying why, rather than scikit-learn's error or NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def class_codes(y: np.ndarray, classes: Any) -> np.ndarray:
    """Each label of ``y`` ``(n,)`` as its index in ``classes`` (int32; -1 for a label not among them): 4 bytes a row, whatever
    the labels' type, for what keeps every row's label (:class:`~._stream_metrics.MetricSums`)."""
    y = np.asarray(y)
    codes = np.full(len(y), -1, dtype=np.int32)
    for j, c in enumerate(classes):
        codes[y == c] = j
    return codes


def score_metrics(y: np.ndarray, proba: np.ndarray, classes: Any, sample_weight: np.ndarray | None = None,
                  positive: int = 1) -> tuple[dict[str, float], str | None]:
    """``({"roc_auc": ..., "average_precision": ...}, None)``, or ``({}, why)`` where they are undefined.

    ``y`` ``(n,)``: the true labels; ``proba`` ``(n, n_classes)``: the model's probabilities, columns in ``classes``' order
    (its ``classes_``); ``sample_weight`` ``(n,)``: each row's weight (None: 1 each); ``positive``: the index in ``classes``
    of a two-class target's positive class (``--pos-label``), whose probability is the score. ``why``: a note's words.
    """
    return code_scores(class_codes(y, classes), proba, classes, sample_weight, positive)


def code_scores(codes: np.ndarray, proba: np.ndarray, classes: Any, sample_weight: np.ndarray | None = None,
                positive: int = 1) -> tuple[dict[str, float], str | None]:
    """:func:`score_metrics` of the labels as their indices in ``classes`` (:func:`class_codes`)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = list(classes)
    w = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    held = np.bincount(codes[codes >= 0], weights=w[codes >= 0], minlength=len(labels))
    absent = [str(c) for c, h in zip(labels, held) if not h > 0]
    if absent:
        return {}, _absent(absent, len(labels))
    P = np.asarray(proba, dtype=np.float64)
    if len(labels) == 2:
        hit, score = codes == positive, P[:, positive]
        return {"roc_auc": float(roc_auc_score(hit, score, sample_weight=sample_weight)),
                "average_precision": float(average_precision_score(hit, score, sample_weight=sample_weight))}, None
    P = P / P.sum(axis=1, keepdims=True)  # float32 softmax rows: scikit-learn checks they sum to 1
    return {"roc_auc": float(roc_auc_score(codes, P, multi_class="ovr", average="macro", labels=np.arange(len(labels)),
                                           sample_weight=sample_weight))}, None


def _absent(absent: list[str], n_classes: int) -> str:
    """The note for classes without a (weighted) row: what is left out and why."""
    shown = ", ".join(repr(c) for c in absent[:5]) + (", ..." if len(absent) > 5 else "")
    if n_classes == 2:
        return (f"no ROC-AUC or average precision: the labels hold no row of class {shown}, and ranking needs rows of both classes; "
                "score data with both to have them.")
    return (f"no ROC-AUC: the labels hold no row of class{'es' if len(absent) > 1 else ''} {shown}, and one-vs-rest needs a row of "
            "every class; score data with every class to have it.")


__all__ = ["class_codes", "code_scores", "score_metrics"]
