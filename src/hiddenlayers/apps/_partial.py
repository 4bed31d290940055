"""``partial_fit(X, y, classes=None)`` of the classifier apps (ImageClassifier, SequenceClassifier, TextClassifier).

scikit-learn's rule: ``classes`` is required on the first call (every label the stream will hold), and
later calls may repeat it unchanged. Each call is one pass over the batch given: the first call fits a new
network and fixes what is learned from the data (the tokenizer's vocabulary, the input standardisation, the
image shape) on that batch; later calls are warm fits (``warm_start``'s rules and refusals) of one epoch
without early stopping. The optimizer restarts at every call, as at every warm ``fit``. With ``weight_averaging`` there is
no ``partial_fit`` (as for the MLP estimators: one epoch per call keeps no average).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.utils.metaestimators import available_if

from ..estimators import PARTIAL_FIT_AVERAGING

_ONE_PASS = {"max_iter": 1, "early_stopping": False, "warm_start": True}


def partial_codes(classes: np.ndarray, seen: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Codes among ``classes`` (a first ``partial_fit``'s) of the labels ``seen[codes]``; a label not in ``classes`` is a ValueError."""
    where = {c: i for i, c in enumerate(classes.tolist())}
    missing = [c for c in seen.tolist() if c not in where]
    if missing:
        raise ValueError(f"`y` has classes not in `classes`: {missing[:5]}. `classes` must list every label of the stream: "
                         f"{classes.tolist()[:10]}.")
    return np.array([where[c] for c in seen.tolist()], dtype=np.intp)[codes]


def _checked_classes(model: Any, classes: Any) -> np.ndarray | None:
    """The first call's classes (sorted, unique), None on a later call; scikit-learn's messages for a missing or changed ``classes``."""
    fitted = model.__sklearn_is_fitted__()
    if classes is None:
        if not fitted:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return None
    given = np.unique(np.asarray(classes))
    if fitted:
        if not np.array_equal(given, np.asarray(model.classes_)):
            raise ValueError(f"`classes={given.tolist()!r}` is not the same as on last call to partial_fit, was: {np.asarray(model.classes_).tolist()!r}")
        return None
    if len(given) < 2:
        raise ValueError(f"classes has {len(given)} label(s): a classifier needs at least two. Received: classes={given.tolist()!r}.")
    return given


@contextmanager
def _one_pass(model: Any, classes: np.ndarray | None) -> Iterator[None]:
    """Inside the block ``model`` fits one epoch without early stopping, warm (``_incremental``: the refusals say ``partial_fit``);
    its parameters are put back after, whatever happens."""
    before = {k: getattr(model, k) for k in _ONE_PASS}
    model.__dict__.update(_ONE_PASS, _incremental=True, _partial_classes=classes)
    try:
        yield
    finally:
        model.__dict__.update(before)
        model.__dict__.pop("_incremental", None)
        model.__dict__.pop("_partial_classes", None)


def _without_averaging(model: Any) -> bool:
    """``partial_fit`` exists without ``weight_averaging`` only (``available_if``), as the MLP estimators': each call is one
    epoch and keeps no average, so ``hasattr(model, "partial_fit")`` tells scikit-learn's tools."""
    if getattr(model, "weight_averaging", None) is not None:
        raise AttributeError(PARTIAL_FIT_AVERAGING)
    return True


class PartialFitting:
    """Mixin: :meth:`partial_fit` for a classifier app whose ``fit(X, y, sample_weight)`` follows ``warm_start``'s rules."""

    @available_if(_without_averaging)
    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> Any:
        """One pass over the batch ``X`` with labels ``y`` (``sample_weight``: ``(n,)`` weights, as in ``fit``).

        ``classes``: every label of the stream, required on the first call (scikit-learn's rule), which fixes the
        vocabulary, standardisation and image shape from its batch; later calls go on from the fitted network, and a
        label outside ``classes_`` or data that does not fit the first call is refused as a warm ``fit`` refuses it.
        """
        first = _checked_classes(self, classes)
        with _one_pass(self, first):
            return self.fit(X, y, sample_weight)  # type: ignore[attr-defined]


__all__ = ["PartialFitting", "partial_codes"]
