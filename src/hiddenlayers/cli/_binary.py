"""Sensitivity and specificity of a two-class target, for ``evaluate`` (``--pos-label``) and ``train``'s held-out metrics.

A medical table's binary target is read by its sensitivity (the recall of the positive class: the share of the sick
found) and specificity (the recall of the negative class: the share of the healthy cleared), where accuracy, balanced
accuracy and macro F1 need no positive class. The positive class is scikit-learn's ``pos_label``: the second of the
two sorted labels (1 of 0/1, True of booleans, "yes" of "no"/"yes"); the output names it, as "sensitivity (recall of
'1')", since for some data the other label is the one a clinician calls positive (scikit-learn's breast cancer: 0 is
malignant): ``evaluate --pos-label 0`` makes that one positive (one class's sensitivity is the other's specificity).
The positive class is also the one whose probability average precision ranks (:mod:`._class_scores`) and ``--threshold``
cuts (:class:`Cut`, in ``evaluate`` and ``predict``): predicted positive where its probability is at least the threshold,
a screening test's operating point (a lower threshold: more of the sick found, more of the healthy flagged).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._cut import Cut, cut_problem, threshold_problem


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
    positive = labels[positive_index(labels, pos_label)]
    if positive == labels[0]:  # the first class positive: its recall is the sensitivity
        m["sensitivity"], m["specificity"] = m["specificity"], m["sensitivity"]
    confusion["positive"] = positive  # type: ignore[index]
    return result


def metric_label(key: str, confusion: dict[str, Any] | None) -> str:
    """The words for metric ``key`` in a table: ``sensitivity`` and ``specificity`` name the class whose recall they are, and
    ``average_precision`` the class it ranks (``confusion``: the result's ``confusion_matrix``, its two ``labels`` and the
    ``positive`` one, default the second); ``roc_auc`` is "ROC-AUC" (one-vs-rest macro for more classes), the others their key's words."""
    words = key.replace("_", " ")
    labels = (confusion or {}).get("labels") or []
    if key == "roc_auc":  # an Autoencoder's has no classes; more than two: one-vs-rest, macro
        return "ROC-AUC" + (" (one-vs-rest, macro)" if len(labels) > 2 else "")
    if len(labels) != 2 or key not in ("sensitivity", "specificity", "average_precision"):
        return words
    positive = (confusion or {}).get("positive", labels[1])
    negative = labels[0] if positive == labels[1] else labels[1]
    if key == "average_precision":
        return f"{words} (of '{positive}')"
    return f"{words} (recall of '{positive if key == 'sensitivity' else negative}')"


def held_out_confusion(summary: dict[str, Any]) -> dict[str, Any]:
    """The ``labels`` and ``positive`` class of ``train``'s ``summary`` held-out metrics, for :func:`metric_label`."""
    return {"labels": summary.get("test_classes"), **({"positive": summary["test_positive"]} if "test_positive" in summary else {})}


def positive_index(classes: Any, pos_label: str | None, owner: str = "the model's two classes") -> int:
    """The index in a two-class model's ``classes`` of its positive class: ``pos_label`` (``--pos-label``, as text), by default
    the second label (scikit-learn's ``pos_label``); a label not of the model's is the :class:`~._common.UserError`
    :func:`with_positive` gives (``owner``: the classes' words in that line, ``train``'s "the two classes of target 'y'";
    the server's rule too, :func:`hiddenlayers._cut.positive_index`)."""
    from .._cut import positive_index as index

    try:
        return index(classes, pos_label, owner)
    except ValueError as exc:
        from ._common import UserError

        raise UserError(str(exc)) from None


def check_train_pos_label(labels: Any, pos_label: str | None, target: str | None, held_out: bool) -> None:
    """``train``'s ``--pos-label`` checked before the fit, in ``evaluate``'s words: the positive class of the held-out metrics, so
    a ``held_out`` part (``--test-size`` above 0) and a two-class target ``labels`` ``(n,)`` (None: a regression target) of which it
    is one (``target``: the column's name, None for an ``.npz``'s array), else a :class:`~._common.UserError` saying why."""
    if pos_label is None:
        return
    from ._common import UserError

    if not held_out:
        raise UserError("--pos-label picks the positive class of the held-out metrics, and --test-size 0 holds no rows out: drop --pos-label, "
                        "or give --test-size.")
    name = f"target '{target}'" if target is not None else "the labels"
    classes = [] if labels is None else _sorted_classes(labels)
    if len(classes) != 2:
        what = f"{len(classes)} classes" if labels is not None else "numbers to predict (a regression)"
        raise UserError(f"--pos-label picks the positive class of a two-class target, but {name} has {what}: drop --pos-label.")
    positive_index(classes, pos_label, f"the two classes of {name}")


def _sorted_classes(labels: Any) -> list[str]:
    """The distinct values of ``labels`` as text, in the order of a classifier's ``classes_`` (``np.unique``'s; by their text where
    the values do not compare, as mixed types)."""
    try:
        return [str(c) for c in np.unique(np.asarray(labels))]
    except TypeError:
        return sorted({str(c) for c in labels})


def held_out_positive(found: dict[str, Any], pos_label: str | None) -> dict[str, Any]:
    """``train``'s summary fields of its held-out classification metrics ``found`` (:func:`._data.prediction_metrics`' result, the
    average precision already of ``pos_label``'s class): ``test_metrics`` (a two-class target's sensitivity and specificity those
    of ``pos_label``, :func:`with_positive`), ``test_classes`` and, for two classes, ``test_positive``: the class they are of."""
    with_positive({"metrics": found}, pos_label)
    confusion = found["confusion_matrix"]
    fields = {"test_metrics": {k: v for k, v in found.items() if k != "confusion_matrix"}, "test_classes": confusion["labels"]}
    if len(confusion["labels"]) == 2:
        fields["test_positive"] = confusion.get("positive", confusion["labels"][1])
    return fields


def scored_positive(classes: Any, pos_label: str | None) -> int:
    """The index of the class a classifier's average precision ranks and ``--threshold`` cuts: :func:`positive_index` for a
    model of two ``classes``; 1 otherwise (unused there: more classes have neither, and a regressor no class)."""
    return positive_index(classes, pos_label) if classes is not None and len(classes) == 2 else 1


def check_threshold(value: float | None) -> float | None:
    """``--threshold`` as ``evaluate``, ``predict`` and ``serve`` take it: a probability strictly between 0 and 1 (None: not given)."""
    problem = threshold_problem(value)
    if problem is not None:
        from ._common import UserError

        raise UserError(problem)
    return value


def cut_for(classes: Any, threshold: float | None, pos_label: str | None, model: str) -> Cut | None:
    """The :class:`Cut` of ``--threshold`` for a model of ``classes`` (its ``classes_``; None: a regressor), or None without it.

    A regressor or a model of more than two classes is a :class:`~._common.UserError` saying why (``model``: its file);
    ``pos_label`` picks the positive class (:func:`positive_index`).
    """
    if threshold is None:
        return None
    problem = cut_problem(classes, f"'{model}'")
    if problem is not None:
        from ._common import UserError

        raise UserError(problem)
    return Cut(float(threshold), positive_index(classes, pos_label))
