"""One check of class labels that every classifier shares (``MLPClassifier`` and the applications).

It lives in ``data/``, the lowest stage, so the estimators and the applications
give the same message for the same bad ``y`` without one importing the other.
It rejects what no classifier can learn from, each with one line: missing
labels (NaN, None), labels of mixed types (``1`` and ``"a"``, which cannot be
sorted into ``classes_``) and real-valued targets, which scikit-learn's
``type_of_target`` calls ``'continuous'``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def _kind_of(cls: type) -> str:
    """The family labels of type ``cls`` sort within: strings with strings, numbers (booleans too) with numbers."""
    if issubclass(cls, str):
        return "str"
    if issubclass(cls, (numbers.Number, np.bool_)):
        return "number"
    return cls.__name__


def _kind(label: Any) -> str:
    return _kind_of(type(label))


def _plain(label: Any) -> Any:
    """A NumPy scalar as its Python value, so messages show ``nan`` and ``'a'``, not ``np.float64(nan)``."""
    return label.item() if isinstance(label, np.generic) else label


def _check_missing(flat: np.ndarray) -> None:
    if flat.dtype == object:
        import pandas as pd

        missing = np.flatnonzero(pd.isna(flat))
    elif flat.dtype.kind in "fc":
        missing = np.flatnonzero(np.isnan(flat))
    else:
        return
    if missing.size:
        i = int(missing[0])
        raise ValueError(
            f"y has {missing.size} missing label(s) (first: {_plain(flat[i])!r} at index {i}): give those samples a class label or drop them."
        )


def _check_one_kind(flat: np.ndarray) -> None:
    if flat.dtype != object:
        return
    # the distinct types first, at C speed (20 ms for a million labels); only a mix walks the labels for its message
    if len({_kind_of(t) for t in set(map(type, flat))}) <= 1:
        return
    first: dict[str, Any] = {}
    for label in flat:
        first.setdefault(_kind(label), label)
        if len(first) > 1:
            a, b = (_plain(label) for label in first.values())
            raise ValueError(
                f"y mixes label types ({type(a).__name__} {a!r} and {type(b).__name__} {b!r}): pass labels of one type, e.g. y.astype(str)."
            )


def _numbers(flat: np.ndarray) -> np.ndarray | None:
    """``flat`` as floats when its labels are numbers (an object array of numbers too), else None."""
    if flat.dtype.kind in "biuf":
        return flat.astype(np.float64, copy=False)
    if flat.dtype == object and flat.size and _kind(flat[0]) == "number":
        return np.asarray(flat.tolist(), dtype=np.float64)
    return None


def check_class_labels(y: Any, estimator: str, *, regressor: str | None = None) -> None:
    """Raise one ``ValueError`` when ``y`` holds labels no classifier can learn from.

    Missing labels and mixed types are checked first, then real values: integer-valued floats (``1.0``) are class labels,
    as in scikit-learn.

    Parameters
    ----------
    y : array-like
        1-D labels or a 2-D label matrix.
    estimator : str
        Names the classifier in the message.
    regressor : str, optional
        The estimator to use for real-valued targets (without one, the message says to bin them).

    Examples
    --------
    >>> check_class_labels(np.array([0.5, 1.0]), "ImageClassifier")
    Traceback (most recent call last):
    ...
    ValueError: Unknown label type: 'continuous'. ImageClassifier needs class labels (integers, strings or booleans); bin real-valued targets into classes first.
    """
    a = np.asarray(y)
    flat = a.reshape(-1)
    _check_missing(flat)
    _check_one_kind(flat)
    values = _numbers(flat)
    # integers as type_of_target sees them: whole and within int64 (its astype(int) check)
    if values is None or np.all((np.abs(values) < 2.0**63) & (values == np.floor(values))):
        return
    target = "continuous-multioutput" if a.ndim == 2 and a.shape[1] > 1 else "continuous"
    hint = f"for real-valued targets use {regressor}" if regressor else "bin real-valued targets into classes first"
    raise ValueError(f"Unknown label type: {target!r}. {estimator} needs class labels (integers, strings or booleans); {hint}.")


def _kinds(a: np.ndarray) -> set[str]:
    """The label families in ``a`` (``"str"``, ``"number"``, or a type name), read from the dtype where it says."""
    if a.dtype.kind in "US":
        return {"str"}
    if a.dtype.kind in "biuf":
        return {"number"}
    return {_kind_of(t) for t in set(map(type, a.reshape(-1)))}


def check_score_labels(y: Any, classes: Any, estimator: str) -> None:
    """Raise one ``ValueError`` when true labels ``y`` cannot be compared with a fitted classifier's ``classes``.

    What :func:`check_class_labels` refuses in fit is refused here too, and labels of another family than ``classes``
    (strings against numbers or the reverse), which no prediction can ever equal: scikit-learn's accuracy would stop on
    "Mix of label input types".

    Parameters
    ----------
    y : array-like
        The true labels.
    classes : array-like
        The fitted classifier's ``classes_``.
    estimator : str
        Names the classifier in the message.

    Examples
    --------
    >>> check_score_labels(np.array(["0", "1"]), np.array([0, 1]), "ImageClassifier")
    Traceback (most recent call last):
    ...
    ValueError: y has str labels (first: '0') but this ImageClassifier was fitted on number labels (classes_ [0, 1]): pass y with labels of the type fit saw, e.g. y.astype(int) or y.astype(str).
    """
    check_class_labels(y, estimator)
    a, fitted = np.asarray(y), np.asarray(classes)
    given, known = _kinds(a), _kinds(fitted)
    if not a.size or given == known or len(given) != 1 or len(known) != 1:
        return
    shown = fitted[:5].tolist()
    more = ", ..." if fitted.size > 5 else ""
    raise ValueError(
        f"y has {given.pop()} labels (first: {_plain(a.reshape(-1)[0])!r}) but this {estimator} was fitted on {known.pop()} labels "
        f"(classes_ {str(shown)[:-1]}{more}]): pass y with labels of the type fit saw, e.g. y.astype(int) or y.astype(str)."
    )


__all__ = ["check_class_labels", "check_score_labels"]
