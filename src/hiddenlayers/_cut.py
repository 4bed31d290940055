"""A two-class classifier's decision threshold, shared by every stage: ``predict``/``evaluate --threshold`` (the command line)
and the server's ``threshold`` (``hl.serve``, ``serve --threshold``) cut the positive class's probability by one rule, and
refuse a model it cannot apply to in the same words, naming the option or parameter (``--threshold``, ``threshold``).

The positive class is scikit-learn's ``pos_label``: by default the second of the two sorted labels (1 of 0/1), or the
one ``pos_label`` names (as text). A row is predicted positive where that class's probability is at least the threshold,
as scikit-learn's ``FixedThresholdClassifier(threshold=, response_method="predict_proba")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Cut:
    """A two-class model predicts its positive class where that class's probability is at least ``threshold``
    (scikit-learn's ``FixedThresholdClassifier(threshold=, response_method="predict_proba")``), not where it is the larger.

    ``positive``: the positive class's index in the model's ``classes_`` (:func:`positive_index`).
    """

    threshold: float
    positive: int

    def labels(self, proba: np.ndarray, classes: Any) -> np.ndarray:
        """The predicted labels ``(n,)`` from the probabilities ``proba`` ``(n, 2)`` (columns in ``classes``' order)."""
        cls = np.asarray(classes)
        return np.where(np.asarray(proba)[:, self.positive] >= self.threshold, cls[self.positive], cls[1 - self.positive])


def threshold_problem(value: float | None, name: str = "--threshold") -> str | None:
    """Why ``value`` is no threshold (``name``: the option or parameter, for the line), or None: a probability strictly
    between 0 and 1, or None (not given)."""
    if value is not None and not 0 < value < 1:  # NaN fails both comparisons
        return (f"{name} must be a probability between 0 and 1 (exclusive): a row is predicted positive where the positive "
                f"class's probability is at least it. Received: {value:g}.")
    return None


def positive_index(classes: Any, pos_label: str | None, owner: str = "the model's two classes", name: str = "--pos-label") -> int:
    """The index in a two-class model's ``classes`` of its positive class: ``pos_label`` (as text), by default the second
    label (scikit-learn's ``pos_label``); a label not among them is a ValueError naming them (``owner``: their words in that
    line; ``name``: the option or parameter)."""
    labels = [str(c) for c in classes]
    if pos_label is None:
        return 1
    if str(pos_label) not in labels:
        raise ValueError(f"{name} {pos_label!r} is not one of {owner}, {labels[0]!r} and {labels[1]!r}: pass one of them.")
    return labels.index(str(pos_label))


def cut_problem(classes: Any, model: str, name: str = "--threshold") -> str | None:
    """Why a model of ``classes`` (its ``classes_``; None: a regressor) takes no threshold, or None where it does (two
    classes); ``model``: what holds it, as the line names it (its file, quoted: ``"'m.safetensors'"``); ``name``: the option
    or parameter."""
    if classes is None:
        return (f"{name} cuts a two-class classifier's probability of its positive class; {model} holds a regressor, which "
                f"predicts values: drop {name}.")
    if len(classes) != 2:
        return (f"{name} cuts a two-class classifier's probability of its positive class; {model} holds a classifier of "
                f"{len(classes)} classes, which predicts the most probable one: drop {name}.")
    return None


__all__ = ["Cut", "cut_problem", "positive_index", "threshold_problem"]
