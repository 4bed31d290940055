"""The user's own validation set: ``fit(X, y, X_val=, y_val=, sample_weight_val=)``, scikit-learn's names (``HistGradientBoosting*``).

Given, ``X_val``/``y_val`` are the rows early stopping scores after each epoch (``validation_scores_``,
``history_.val_score``) in place of the ``validation_fraction`` split, and every row of ``X`` trains.
They are checked as ``X`` and ``y`` are (columns, names and order against ``feature_names_in_``,
NaN/inf, labels against ``classes_``) and scored as given: ``sample_weight_val`` weights the score
(``class_weight`` weights training rows only, as scikit-learn's ``HistGradientBoostingClassifier`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from ._checks import _validate, check_sample_weight, refuse_beyond_float32

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP


@dataclass
class ValidationSet:
    """Checked held-out rows: ``X`` ``(n_val, n_features_in_)`` in the fit's input dtype, ``y`` as ``fit``'s ``y``, ``w`` ``(n_val,)`` or None."""

    X: Any
    y: np.ndarray
    w: np.ndarray | None


_NO_EARLY_STOPPING = ("X_val and y_val are passed to fit while early_stopping=False: they are the rows early stopping scores. "
                      "Set early_stopping=True, or drop X_val and y_val.")
_NO_EARLY_STOPPING_SOURCE = ("X_val, a source of validation rows, is passed to fit while early_stopping=False: its rows are what early "
                             "stopping scores. Set early_stopping=True, or drop X_val.")


def validation_given(X_val: Any, y_val: Any, sample_weight_val: Any, early_stopping: bool | None = None) -> bool:
    """Whether ``fit`` was given a validation set; a ValueError for a pairing that cannot be used, before anything is fitted.

    ``X_val`` and ``y_val`` come together (scikit-learn's words), ``sample_weight_val`` only with them. The tables' and
    the classifier apps' one wording of these refusals.

    Parameters
    ----------
    X_val, y_val, sample_weight_val
        ``fit``'s validation rows, labels and weights.
    early_stopping : bool, optional
        When not None: they are the rows early stopping scores, so ``False`` is refused.
    """
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val weights the rows of X_val and needs X_val and y_val: pass them too, or drop sample_weight_val.")
        return False
    if y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided: pass the labels of X_val's rows as y_val.")
    if X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided: pass the rows y_val labels as X_val.")
    if early_stopping is False:
        raise ValueError(_NO_EARLY_STOPPING)
    return True


def refuse_misused(est: _BaseMLP, X_val: Any, y_val: Any, sample_weight_val: Any, *, streamed: bool) -> bool:
    """Whether a validation set is given; a ValueError for one that cannot be used, before anything is fitted.

    :func:`validation_given`'s pairing rules; they score early stopping, so they need ``early_stopping=True`` and a
    stochastic solver. A streamed fit (``streamed``: ``fit(source)``) also takes a source of the same columns as ``X_val``
    alone: its target (and weight) column are the labels (and weights), so ``y_val`` and ``sample_weight_val`` are refused
    with it; a fit on arrays takes no source.
    """
    from ..data import is_source

    if is_source(X_val):
        if not streamed:
            raise ValueError("X_val is a streamed source (ParquetSource), which only a streamed fit (fit(source)) reads: pass X_val and "
                             "y_val as arrays, or fit on a source too.")
        for name, given in (("y_val", y_val), ("sample_weight_val", sample_weight_val)):
            if given is not None:
                raise ValueError(f"{name} is given with a source X_val, whose target column (and weight column) are its labels (and "
                                 f"weights): drop {name}, or pass X_val as arrays.")
    elif not validation_given(X_val, y_val, sample_weight_val):
        return False
    if not est.early_stopping:  # a source is X_val alone (its target column the labels): the message names what was passed
        raise ValueError(_NO_EARLY_STOPPING_SOURCE if is_source(X_val) else _NO_EARLY_STOPPING)
    if est.solver == "lbfgs":
        raise ValueError("X_val and y_val are the rows early stopping scores, and solver='lbfgs' runs no early stopping (it trains on "
                         "every row and ignores early_stopping, as scikit-learn's does): use solver='adam' or 'sgd', or drop X_val and y_val.")
    return True


def _named(what: str, exc: Exception) -> Exception:
    """``exc`` with its message prefixed by ``what`` (``"X_val: X has 3 features, ..."``), its type kept."""
    if exc.args and isinstance(exc.args[0], str):
        first, _, more = exc.args[0].partition("\n")  # scikit-learn's NaN error goes on for lines about imputers
        fix = f" Fill or drop those rows of {what}." if more and ("NaN" in first or "infinity" in first) else ""
        exc.args = (f"{what}: {first}{fix}", *exc.args[1:])
    return exc


def check_validation(est: _BaseMLP, X: Any, y: np.ndarray, X_val: Any, y_val: Any, sample_weight_val: Any) -> ValidationSet:
    """``(X_val, y_val, sample_weight_val)`` checked against the fitted ``X``/``y`` (after ``fit``'s own checks set
    ``n_features_in_``, ``feature_names_in_`` and ``classes_``), each error one line naming the argument and the fix."""
    dtype = X.dtype if X.dtype.kind == "f" else np.float64
    try:
        Xv = _validate(est, X_val, accept_sparse=["csr", "csc"], dtype=dtype, reset=False)
    except ValueError as exc:
        raise _named("X_val", exc) from None
    refuse_beyond_float32(est, Xv, "X_val")
    if sp.issparse(Xv) and not sp.issparse(X):
        Xv = Xv.toarray()
    yv = _checked_labels(est, y, y_val)
    try:
        check_consistent_length(Xv, yv)
    except ValueError:
        raise ValueError(f"X_val has {Xv.shape[0]} rows and y_val {len(yv)}: give one label per row of X_val.") from None
    if Xv.shape[0] < 2:
        raise ValueError(f"X_val has {Xv.shape[0]} row(s): early stopping scores at least 2. Pass more validation rows.")
    w = None
    if sample_weight_val is not None:
        try:
            w = check_sample_weight(sample_weight_val, Xv, allow_all_zero=True)
        except ValueError as exc:
            raise _named("sample_weight_val", exc) from None
        if not np.sum(w) > 0:
            raise ValueError("sample_weight_val is 0 for every row of X_val, so they cannot score the model: give some rows a weight > 0.")
    return ValidationSet(Xv, yv, w)


def validation_labels(y_val: Any, classes: np.ndarray) -> np.ndarray:
    """``y_val`` as one column of labels ``(n_val,)``, all among ``classes``; labels ``y`` lacks are refused, named.

    The model cannot predict them. The tables' and the classifier apps' one check.

    Parameters
    ----------
    y_val : array-like
        The validation labels.
    classes : numpy.ndarray
        Those ``y`` has.
    """
    yv = np.asarray(y_val)
    yv = column_or_1d(yv, warn=False) if yv.ndim == 2 and yv.shape[1] == 1 else yv
    if yv.ndim != 1:
        raise ValueError(f"y_val must be one column of labels, as y is. Received shape {yv.shape}.")
    known = set(np.asarray(classes).tolist())
    unseen = [v for v in dict.fromkeys(yv.tolist()) if v not in known]
    if unseen:
        raise ValueError(f"y_val holds labels that y does not ({', '.join(map(repr, unseen[:5]))}"
                         f"{f' and {len(unseen) - 5} more' if len(unseen) > 5 else ''}), which the model cannot predict: "
                         f"keep X_val's rows of the classes {np.asarray(classes).tolist()[:10]}, or add those labels to y.")
    return yv


def _checked_labels(est: _BaseMLP, y: np.ndarray, y_val: Any) -> np.ndarray:
    """``y_val`` in ``y``'s form: a classifier's labels all in ``classes_`` (unseen ones named), a regressor's finite numbers
    with ``y``'s number of outputs."""
    if is_classifier(est):
        yv = np.asarray(y_val)
        if y.ndim == 1:
            return validation_labels(yv, est.classes_)
        if yv.ndim != 2 or yv.shape[1] != y.shape[1] or not np.isin(yv, (0, 1)).all():
            raise ValueError(f"y_val must be a 0/1 indicator matrix of {y.shape[1]} columns, as y is. Received shape {yv.shape}.")
        return yv
    try:
        yv = check_array(y_val, ensure_2d=False, dtype=np.float64, input_name="y_val")
    except ValueError as exc:
        raise _named("y_val", exc) from None
    if yv.ndim == 2 and yv.shape[1] == 1 and y.ndim == 1:
        yv = yv.ravel()
    if yv.ndim != y.ndim or (y.ndim == 2 and yv.shape[1] != y.shape[1]):
        raise ValueError(f"y_val has shape {yv.shape} and y {y.shape}: give y_val y's number of outputs.")
    refuse_beyond_float32(est, yv, "y_val")
    return yv


__all__ = ["ValidationSet", "check_validation", "refuse_misused", "validation_given", "validation_labels"]
