"""Knowledge distillation: a small ``MLPClassifier`` learns from a bigger teacher's probabilities.

Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a Neural Network". The
student's own ``fit`` runs (preprocessing, solver, early stopping, callbacks,
``random_state``, ``history_``) on the objective of
:func:`~hiddenlayers.training.distillation_loss`; this module makes its targets
from the teacher and hands them to the fit through ``student._distilling``
for the call only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax, softmax

from .._words import foreign_note
from ..data import row_count
from ..training import Loss, distillation_loss, get_loss
from ._checks import check_sample_weight
from ._mlp import MLPClassifier


@dataclass
class _Distilling:
    """What the student's fit reads while :func:`distill` runs: the softened teacher and which rows are labelled.

    ``log_q``: ``(n, C)`` log of the teacher's probabilities softened at ``temperature``, over
    ``teacher_classes``, for every row the fit sees (labelled rows first); ``n_labelled``: how many are.
    """

    temperature: float
    alpha: float
    log_q: np.ndarray
    teacher_classes: np.ndarray
    n_labelled: int

    def loss(self, base: Loss) -> Loss:
        """The student's loss ``base`` (its hard-label loss) with the teacher's soft term."""
        return distillation_loss(base, self.temperature, self.alpha)

    def n_outputs(self, Y: np.ndarray) -> int:
        """The student's head width for targets ``Y = [y (k) | q (k) | m (1)]``."""
        return (Y.shape[1] - 1) // 2

    def targets(self, classes: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``[Y | q | m]``: the student's one-hot ``Y`` ``(n, k)``, the teacher's softened probabilities over ``classes``, the labelled mask.

        ``q`` is renormalised over the student's classes (a subset of the teacher's); for a
        binary student (``k == 1``) it is the probability of ``classes[1]``.
        """
        idx = np.searchsorted(self.teacher_classes, classes)
        q = softmax(self.log_q[:, idx], axis=1)  # renormalised over the student's classes: (n, len(classes))
        if not np.isfinite(q).all():
            row = int(np.flatnonzero(~np.isfinite(q).all(axis=1))[0])
            raise ValueError(f"the teacher gives probability 0 to every one of the student's classes {list(classes)} on row {row}: "
                             "drop such rows or train the student on all of the teacher's classes.")
        if Y.shape[1] == 1:
            q = q[:, 1:]
        m = np.zeros((Y.shape[0], 1))
        m[: self.n_labelled] = 1.0
        return np.hstack([Y.astype(np.float64), q, m])

    def validation_weight(self, Y_val: np.ndarray, w_val: Any) -> Any:
        """Early stopping's held-out weights: the labelled rows only; all rows (scored on the teacher's labels) when none is."""
        m = Y_val[:, -1]
        if m.min() >= 1 or m.max() <= 0:
            return w_val
        return m if w_val is None else m * w_val


def distill(
    student: MLPClassifier, teacher: Any, X: Any, y: Any = None, *, temperature: float = 2.0, alpha: float = 0.5, X_unlabeled: Any = None,
    sample_weight: Any = None, unlabeled_weight: Any = None,
) -> MLPClassifier:
    """Fit ``student`` in place on ``teacher``'s softened probabilities (and ``y`` where given) and return it, as ``fit`` does.

    Per row the student minimises ``alpha · CE(y, softmax(z)) + (1 - alpha) · T² · KL(softmax(t/T) || softmax(z/T))``
    (Hinton, Vinyals & Dean 2015; ``T`` = ``temperature``). ``t`` are the teacher's logits when it is an
    :class:`MLPClassifier` (:meth:`~MLPClassifier.predict_logits`), else the log of its ``predict_proba``: for a softmax
    teacher ``softmax(log p / T)`` is the same thing, for others (trees, SVMs, pipelines, ensembles) it softens their
    probabilities alike. The student's ``fit`` runs unchanged otherwise: preprocessing, solver, ``random_state``,
    callbacks, ``history_``; ``loss_curve_`` records the distillation objective. With ``early_stopping`` the held-out
    rows are scored on their hard labels when ``y`` is given, else on agreement with the teacher's labels.

    Parameters
    ----------
    student : MLPClassifier
        Unfitted, or fitted with ``warm_start=True`` to go on from its weights.
    teacher : classifier
        Any fitted classifier with ``predict_proba`` and ``classes_``; its classes must cover the student's (the soft
        targets are renormalised over the student's classes).
    X : array-like of shape (n, n_features)
        The training rows.
    y : array-like of shape (n,), optional
        Their labels; None: pure distillation (the student's classes are then those the teacher predicts).
    temperature : float
        ``T``, > 0: the softening of both distributions in the KL term.
    alpha : float
        The hard labels' weight, in [0, 1].
    X_unlabeled : array-like of shape (n_unlabeled, n_features), optional
        More rows, same columns, that get only the soft term (needs ``alpha < 1``).
    sample_weight : array-like of shape (n,), optional
        Weights ``>= 0`` of ``X``'s rows, multiplied into each row's distillation loss as ``fit``'s ``sample_weight`` is
        (a weighted mean per batch; a row of weight 0 as if absent; times ``class_weight``, which for unlabelled rows goes
        by the teacher's label). Not given: 1 per row.
    unlabeled_weight : array-like of shape (n_unlabeled,), optional
        Weights ``>= 0`` of ``X_unlabeled``'s rows, as ``sample_weight``. Not given: the mean weight of ``X``'s rows of
        weight > 0 (1 without ``sample_weight``), so scaling ``sample_weight`` changes nothing, as in ``fit``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> student = distill(MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0), teacher, X, y)
    >>> student.predict_proba(X[:2]).shape
    (2, 3)
    """
    T, a = _check_call(student, teacher, y, temperature, alpha, X_unlabeled)
    if unlabeled_weight is not None and X_unlabeled is None:
        raise ValueError("unlabeled_weight weighs the rows of X_unlabeled, but X_unlabeled is None: pass X_unlabeled, or weigh X's rows with sample_weight.")
    X_all, n_labelled = _stack(X, y, X_unlabeled)
    weights = _row_weights(X, X_unlabeled, sample_weight, unlabeled_weight)
    log_q = _soft_targets(teacher, X_all, T)
    classes = np.asarray(teacher.classes_)
    if y is None:
        y_all = classes[log_q.argmax(axis=1)]  # the teacher's labels: the student's classes, and early stopping's yardstick
    else:
        y = np.asarray(y)
        _check_labels(y, classes)
        y_all = y if X_unlabeled is None else np.concatenate([y, classes[log_q[n_labelled:].argmax(axis=1)]])
    if student.__dict__.get("classes_") is not None and student.warm_start:
        missing = sorted(set(np.asarray(student.classes_).tolist()) - set(classes.tolist()), key=str)
        if missing:
            raise ValueError(f"the teacher's classes {classes.tolist()} must cover the student's; the student has {missing[:5]} too. "
                             "Fit the student afresh (warm_start=False) or use a teacher of the same classes.")
    order = np.argsort(classes, kind="stable")
    state = _Distilling(T, a if y is not None else 0.0, log_q[:, order], classes[order], n_labelled if y is not None else 0)
    with _distilling(student, state):
        return student.fit(X_all, y_all, sample_weight=weights)


def _row_weights(X: Any, X_unlabeled: Any, sample_weight: Any, unlabeled_weight: Any) -> np.ndarray | None:
    """The fit's ``sample_weight`` ``(n + n_unlabeled,)``: ``X``'s rows' weights, then ``X_unlabeled``'s; None if neither is given.

    Not given, ``X``'s weigh 1 each, and ``X_unlabeled``'s the mean weight of ``X``'s rows of weight > 0 (1 when none is):
    an unlabelled row counts as much as an average row of ``X``. Were it 1, ``sample_weight=10 * w`` would give ``X``'s
    rows 10 times the unlabelled rows' share of each batch's weighted mean, where ``fit`` gives ``w`` and ``10 * w`` one
    model; and rows of weight 0 are as if absent, so they do not pull the mean down.
    """
    if sample_weight is None and unlabeled_weight is None:
        return None
    w = np.ones(_rows(X)) if sample_weight is None else _weights_of(sample_weight, X, "sample_weight")
    if X_unlabeled is None:
        u = np.zeros(0)
    elif unlabeled_weight is None:
        u = np.full(_rows(X_unlabeled, "X_unlabeled"), float(w[w > 0].mean()) if w.any() else 1.0)
    else:
        u = _weights_of(unlabeled_weight, X_unlabeled, "unlabeled_weight")
    if not (w.any() or u.any()):
        raise ValueError("every row has weight 0 (sample_weight, unlabeled_weight): none is left to learn from. Give some rows a weight > 0.")
    return np.concatenate([w, u])


def _weights_of(weights: Any, X: Any, name: str) -> np.ndarray:
    """``weights`` of ``X``'s rows checked as the fit checks ``sample_weight`` (the error names ``name``); all 0 may pass here.

    One part all zero is allowed (the other part's rows carry the fit); :func:`_row_weights` refuses all rows at 0.
    """
    try:
        zero = np.ndim(weights) == 1 and not np.any(np.asarray(weights, dtype=np.float64))
        sw = check_sample_weight(np.ones(np.shape(weights)) if zero else weights, X)
    except ValueError as e:  # scikit-learn's checks, named for this argument
        message = str(e).replace("sample_weight", name)
        raise ValueError(message if name in message else f"{name}: {message}") from None
    return np.zeros_like(sw) if zero else sw


def _rows(X: Any, name: str = "X") -> int:
    """The rows of ``X`` by :func:`hiddenlayers.data.row_count` (the project's one count: arrays, DataFrames, sparse
    matrices, lists of rows); anything else (a number, None, a tuple) is one ``ValueError`` naming ``name`` and what to pass."""
    n = row_count(X)
    if n is None:
        got = f"a 0-d array ({X!r})" if np.ndim(X) == 0 and hasattr(X, "shape") else type(X).__name__
        raise ValueError(f"{name} must be rows of features (n_samples, n_features): an array, a DataFrame, a sparse matrix or a list of rows. "
                         f"Received: {got}.")
    return n


@contextmanager
def _distilling(student: MLPClassifier, state: _Distilling) -> Iterator[None]:
    """Within: ``student``'s fit reads ``state`` (its loss, targets and early-stopping weights)."""
    student._distilling = state
    try:
        yield
    finally:
        student.__dict__.pop("_distilling", None)


def _check_call(student: Any, teacher: Any, y: Any, temperature: Any, alpha: Any, X_unlabeled: Any) -> tuple[float, float]:
    """The arguments that need no data: ``(temperature, alpha)`` as floats, or one clear error."""
    if not isinstance(student, MLPClassifier):
        raise TypeError(f"student must be a hiddenlayers MLPClassifier (the small network to train). Received: {type(student).__name__}"
                        f"{foreign_note(student)}.")  # scikit-learn's class has our name: "Received: MLPClassifier" alone was a riddle
    if student is teacher:  # its fit would overwrite the weights it learns from, mid-way: the teacher lost
        raise ValueError("student is the teacher itself: distill fits the student in place, which would overwrite the teacher. Pass a new "
                         "model, e.g. hl.MLPClassifier(hidden_layer_sizes=(32,)), or sklearn.base.clone(teacher) for the same settings.")
    if not callable(getattr(teacher, "predict_proba", None)):
        raise TypeError(f"teacher must be a fitted classifier with predict_proba (e.g. SVC(probability=True), a forest, an MLPClassifier). "
                        f"Received: {type(teacher).__name__}, which has no predict_proba.")
    if getattr(teacher, "classes_", None) is None:
        raise ValueError(f"teacher must be fitted (it has no classes_): call teacher.fit(X, y) first. Received: an unfitted {type(teacher).__name__}.")
    if student.domain_adaptation is not None:
        raise ValueError("distill does not combine with domain_adaptation: set the student's domain_adaptation=None.")
    distillation_loss(get_loss("log_loss"), temperature, alpha)  # the one check of temperature and alpha
    T, a = float(temperature), float(alpha)
    if y is None and a == 1.0:
        raise ValueError("alpha=1 weighs only the hard labels, but y is None: pass y, or lower alpha (0 for pure distillation).")
    if X_unlabeled is not None and y is not None and a == 1.0:
        raise ValueError("X_unlabeled rows get only the teacher's soft term, which alpha=1 switches off: lower alpha, e.g. 0.5.")
    return T, a


def _stack(X: Any, y: Any, X_unlabeled: Any) -> tuple[Any, int]:
    """``(rows, n_labelled)``: ``X`` and ``X_unlabeled`` one under the other (same kind, same columns)."""
    n = _rows(X)
    if y is not None and len(y) != n:
        raise ValueError(f"X and y must have the same number of rows. Received: {n} rows of X, {len(y)} labels.")
    if X_unlabeled is None:
        return X, n
    import pandas as pd

    if isinstance(X, pd.DataFrame) or isinstance(X_unlabeled, pd.DataFrame):
        if not (isinstance(X, pd.DataFrame) and isinstance(X_unlabeled, pd.DataFrame)) or list(X.columns) != list(X_unlabeled.columns):
            raise ValueError("X_unlabeled must have X's columns, in X's order: "
                             f"X has {_columns(X)}, X_unlabeled has {_columns(X_unlabeled)}.")
        return pd.concat([X, X_unlabeled], ignore_index=True), n
    if sp.issparse(X) or sp.issparse(X_unlabeled):
        A, B = sp.csr_matrix(X), sp.csr_matrix(X_unlabeled)
    else:
        A, B = np.asarray(X), np.asarray(X_unlabeled)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise ValueError(f"X_unlabeled must have X's columns: X is {A.shape}, X_unlabeled is {B.shape}. Pass rows of the same features.")
    return (sp.vstack([A, B], format="csr") if sp.issparse(A) else np.concatenate([A, B])), n


def _columns(X: Any) -> str:
    cols = getattr(X, "columns", None)
    return f"columns {list(cols)}" if cols is not None else f"{np.shape(X)[-1]} unnamed columns"


def _soft_targets(teacher: Any, X: Any, T: float) -> np.ndarray:
    """``log softmax(t / T)`` ``(n, C)`` over ``teacher.classes_``: ``t`` the teacher's logits, else its log-probabilities."""
    classes = np.asarray(teacher.classes_)
    if isinstance(teacher, MLPClassifier) and teacher.label_type_ == "multilabel-indicator":
        raise ValueError("the teacher is a multi-label MLPClassifier: distill teaches one class per row; use a binary or multiclass teacher.")
    if isinstance(teacher, MLPClassifier) and len(classes) >= 2:
        z = np.asarray(teacher.predict_logits(X), dtype=np.float64)
        t = np.hstack([np.zeros_like(z), z]) if z.shape[1] == 1 else z  # binary: sigmoid(z) = softmax([0, z])[1]
        what = "predict_logits"
    else:
        p = np.asarray(teacher.predict_proba(X), dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != len(classes):
            raise ValueError(f"teacher.predict_proba must return (n_samples, {len(classes)}) probabilities, one column per class in "
                             f"teacher.classes_; got shape {p.shape}. Multi-label teachers are not supported.")
        _check_finite(p, "predict_proba")
        if (p < 0).any() or not (p.sum(axis=1) > 0).all():
            raise ValueError("teacher.predict_proba returned negative probabilities or a row of zeros: check the teacher (is it fitted?).")
        with np.errstate(divide="ignore"):
            t = np.log(p)  # log 0 = -inf: a class the teacher rules out stays at probability 0
        what = "predict_proba"
    _check_finite(np.where(np.isneginf(t), 0.0, t), what)
    return log_softmax(t / T, axis=1)  # type: ignore[no-any-return]


def _check_finite(a: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(a).all(axis=1)
    if bad.any():
        raise ValueError(f"teacher.{what} returned NaN or infinite values for {int(bad.sum())} of {len(a)} rows (first: row "
                         f"{int(np.flatnonzero(bad)[0])}): check the teacher and those rows of X.")


def _check_labels(y: np.ndarray, classes: np.ndarray) -> None:
    """``y``'s labels must be among the teacher's ``classes`` (the student learns a distribution over them)."""
    if y.ndim != 1:
        raise ValueError(f"y must be one column of class labels (n_samples,); got shape {y.shape}. Multi-label distillation is not supported.")
    unknown = sorted(set(np.unique(y).tolist()) - set(classes.tolist()), key=str)
    if unknown:
        raise ValueError(f"the teacher's classes {classes.tolist()} must cover the student's: y has {unknown[:5]} too. "
                         "Use a teacher fitted on these labels, or drop those rows.")


__all__ = ["distill"]
