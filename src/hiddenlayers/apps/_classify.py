"""What the image, sequence and text classifiers share around their fit loops.

All train on cross entropy or, for ``loss="gce"``, the noise-robust generalized
cross entropy; weight rows by ``fit``'s ``sample_weight`` times ``class_weight`` and
soften the one-hot targets by ``label_smoothing``, as ``MLPClassifier`` does (the
estimators' public helpers, so both read the same rules and messages); hold out a
stratified validation split for early stopping, scored with the same weights, or score ``fit``'s own
``X_val``/``y_val``/``sample_weight_val`` instead (the tables' names and refusals; every row of ``X`` trains); print one
line per epoch when ``verbose``, copy the training ``History`` into
scikit-learn's fitted attributes and refuse to predict before ``fit``.

A refit that fails leaves a fitted model as it was: ``fit`` checks the labels
(:meth:`ClassifierFitting._classes`) and the data into locals before it assigns
any fitted attribute, and :func:`hiddenlayers.estimators.restored_on_error` puts the old attributes back
when a check that needs the new network (``init_from``, ``freeze``) or training fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import column_or_1d

from ..data import check_class_labels, check_score_labels
from ..estimators import (
    check_sample_weight,
    class_row_weights,
    combine,
    loss_row_weights,
    smooth_targets,
    validation_given,
    validation_labels,
)
from ..training import Callback, History, Loss, classification_loss
from ._fit import fit_callbacks
from ._fitted import FitRequired, refuses_empty
from ._partial import partial_codes


@dataclass
class HeldOut:
    """``fit``'s own validation set, checked: class ``codes`` ``(n_val,)`` among the fit's classes, and ``weight``
    ``(n_val,)`` (``sample_weight_val``; None: unweighted) that scores them (``class_weight`` is not applied, as the tables')."""

    codes: np.ndarray
    weight: np.ndarray | None


def named(what: str, exc: Exception) -> Exception:
    """``exc`` (its type kept) with its message prefixed by ``what``: ``"X_val: images must have shape ..."``."""
    if exc.args and isinstance(exc.args[0], str):
        exc.args = (f"{what}: {exc.args[0]}", *exc.args[1:])
    return exc


class _EpochPrinter(Callback):
    """``verbose``: one line per epoch with the loss and validation accuracy."""

    def on_epoch_end(self, **kwargs: Any) -> None:
        logs = kwargs["logs"]
        print(f"epoch {logs['epoch']}: loss {logs['train_loss']:.4f}, validation accuracy {logs['val_score']:.4f}", flush=True)


class ClassifierFitting(FitRequired):
    """Mixin for classifiers with ``early_stopping``, ``validation_fraction``, ``verbose`` and ``network_``.

    ``_samples`` names what one row is ("images", "sequences") in messages.
    """

    _samples = "samples"
    _not_fitted = "This {name} instance is not fitted yet: call fit(X, y) before using it."
    early_stopping: bool
    validation_fraction: float
    random_state: int | np.random.RandomState | None
    verbose: bool
    loss: str
    gce_q: float
    class_weight: Any
    label_smoothing: float
    classes_: np.ndarray

    def _train_loss(self) -> Loss:
        """The loss the network is trained on: cross entropy, or the generalized cross entropy for ``loss="gce"``."""
        return classification_loss(self.loss, self.gce_q)

    def _check_smoothing(self) -> None:
        """``label_smoothing`` with ``loss="gce"`` refused, in ``MLPClassifier``'s words (gce reads one labelled class per row)."""
        if self.label_smoothing and self.loss != "log_loss":
            raise ValueError(f"label_smoothing works with loss='log_loss' only (loss={self.loss!r} reads one labelled class per row): "
                             "set label_smoothing=0, or loss='log_loss'.")

    def _targets(self, codes: np.ndarray) -> np.ndarray:
        """Class codes ``(n,)`` as one-hot ``(n, n_classes)`` float64 targets, smoothed by ``label_smoothing``.

        ``label_smoothing=0`` gives the plain one-hot rows, so the default fit is the one before smoothing existed, bit for bit.
        """
        return smooth_targets(np.eye(len(self.classes_))[codes], float(self.label_smoothing), True, np.float64)

    def _row_weights(self, sample_weight: Any, labels: np.ndarray, classes: np.ndarray) -> np.ndarray | None:
        """One weight per row ``(n,)`` float64: ``sample_weight`` (>= 0, finite, one per row) times ``class_weight``'s; None for neither.

        The estimators' own checks and product (``check_sample_weight``, ``class_row_weights``), so the messages are
        ``MLPClassifier``'s; ``labels`` ``(n,)`` are the rows' labels among ``classes``.
        """
        rows_of = np.empty((labels.shape[0], 0))  # what the checks count rows of
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, rows_of)
        rows = class_row_weights(self.class_weight, classes, labels, "multiclass", incremental=False)
        return sample_weight if rows is None else check_sample_weight(combine(rows, sample_weight), rows_of)

    def _split_weights(self, weights: np.ndarray | None, train_idx: np.ndarray,
                       val_idx: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``weights`` of the training and the validation rows; a split with no weight left on either side is refused."""
        if weights is None:
            return None, None
        w_train, w_val = weights[train_idx], (None if val_idx is None else weights[val_idx])
        if not w_train.sum() > 0:
            raise ValueError(f"the {self._samples} left to train on all have weight 0 (sample_weight times class_weight): "
                             "give more of them a weight > 0, or early_stopping=False to train on every row.")
        if w_val is not None and not w_val.sum() > 0:
            raise ValueError(f"the {self._samples} held out for early stopping all have weight 0 (sample_weight times class_weight), "
                             "so they cannot score the model: give more of them a weight > 0, or early_stopping=False.")
        return w_train, w_val

    def _validator(self, logits_of: Callable[[], torch.Tensor], yv: torch.Tensor,
                   wv: np.ndarray | None) -> Callable[[], tuple[float, float]]:
        """Early stopping's ``validate``: ``(cross entropy, accuracy)`` of the held-out rows, each weighted by ``wv`` when given.

        The weighted ones are ``sum(w·ce) / sum(w)`` and ``sum(w·correct) / sum(w)`` (scikit-learn's weighted
        ``accuracy_score``, as ``MLPClassifier``'s held-out score), so ``"balanced"`` scores balanced accuracy.
        """
        w = None if wv is None else torch.as_tensor(wv, dtype=torch.float64, device=yv.device)

        def validate() -> tuple[float, float]:
            logits = logits_of()
            self.network_.train()  # type: ignore[attr-defined]
            if w is None:
                loss = torch.nn.functional.cross_entropy(logits, yv).item()
                return loss, (logits.argmax(1) == yv).float().mean().item()
            ce = torch.nn.functional.cross_entropy(logits, yv, reduction="none").double()
            total = w.sum()
            return ((ce * w).sum() / total).item(), (((logits.argmax(1) == yv).double() * w).sum() / total).item()

        return validate

    def network_targets(self, y: Any) -> np.ndarray:
        """Labels ``y`` as the one-hot ``(n, n_classes)`` float64 targets (smoothed by ``label_smoothing``) the training loss compares ``network_``'s logits with.

        For tools that evaluate the training loss outside ``fit`` (``hl.lens.loss_landscape``); a label the model was not
        fitted on is a ValueError.

        Parameters
        ----------
        y : array-like of shape (n,)
            Labels the model was fitted on.
        """
        self._require_fitted()
        y = np.asarray(y)
        check_score_labels(y, self.classes_, type(self).__name__)
        codes = np.searchsorted(self.classes_, y)
        known = (codes < len(self.classes_)) & (self.classes_[np.minimum(codes, len(self.classes_) - 1)] == y)
        if y.ndim != 1 or not known.all():
            bad = y if y.ndim != 1 else y[~known][:5]
            raise ValueError(f"y must hold one label of classes_ {self.classes_.tolist()[:10]} per sample. Received: {bad!r}.")
        return self._targets(codes)

    def network_loss(self, z: Any, targets: Any, sample_weight: Any = None) -> Any:
        """The training loss summed over rows: logits ``z`` against :meth:`network_targets`; divide by ``n`` for the mean.

        Cross entropy, or the generalized cross entropy for ``loss="gce"``.

        Parameters
        ----------
        z : torch.Tensor of shape (n, n_classes)
            The network's logits.
        targets : torch.Tensor of shape (n, n_classes)
            :meth:`network_targets` of the same rows.
        sample_weight : torch.Tensor of shape (n,), optional
            Gives ``Σ w·loss``: divide by ``Σ w`` for the weighted mean ``fit`` minimises (its weights are ``sample_weight``
            times ``class_weight``'s; the caller multiplies those in).
        """
        self._require_fitted()
        return self._train_loss().value(z, targets, loss_row_weights(sample_weight, z))

    def _classes(self, y: Any, n: int, least: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """``(classes, codes)`` of labels ``y`` for ``n`` samples, checked: one label each, class labels, ``least`` classes at least.

        During a first :meth:`partial_fit` call its ``classes`` are the classes (``y``'s labels must be among them)."""
        y = np.asarray(y)
        if y.shape == (n, 1):  # a column vector (df[["label"]]): read as its labels with scikit-learn's DataConversionWarning, as its MLP does
            y = column_or_1d(y, warn=True)
        if y.ndim != 1 or y.shape[0] != n:
            # Keras' to_categorical rows: an (n, k) 0/1 array with one 1 a row, which scikit-learn's classifiers take as labels
            one_hot = y.ndim == 2 and y.shape[0] == n and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()
            fix = " These are one-hot rows: pass the labels, y.argmax(axis=1)." if one_hot else ""
            raise ValueError(f"y must hold one label per {self._samples[:-1]}: X has {n} {self._samples}, y has shape {y.shape}.{fix}")
        check_class_labels(y, type(self).__name__)
        try:
            classes, codes = np.unique(y, return_inverse=True)
        except TypeError as exc:  # labels of one Python type that do not sort (e.g. dicts)
            raise ValueError(f"y has labels that cannot be sorted into classes ({exc}): pass integers, strings or booleans.") from None
        given = getattr(self, "_partial_classes", None)
        if given is not None:
            return given, partial_codes(given, classes, codes)
        if len(classes) < least:
            raise ValueError(f"y has a single class {classes.tolist()[0]!r}: a classifier needs at least two.")
        return classes, codes

    @refuses_empty
    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy of ``predict(X)`` against labels ``y`` (scikit-learn's ``ClassifierMixin.score``).

        Labels of another type than ``classes_`` (``"1"`` for a model fitted on ``1``) raise one ``ValueError`` saying so,
        before any prediction: no prediction could ever equal them.

        Parameters
        ----------
        X : array-like
            The inputs, as ``predict`` takes them.
        y : array-like of shape (n,)
            The true labels.
        sample_weight : array-like of shape (n,), optional
            Each row's weight in the mean (None: all 1).
        """
        self._require_fitted()
        check_score_labels(y, self.classes_, type(self).__name__)
        return float(super().score(X, y, sample_weight))  # type: ignore[misc]  # ClassifierMixin.score, later in the MRO

    def _val_given(self, X_val: Any, y_val: Any, sample_weight_val: Any, *, labelled: bool = False) -> bool:
        """Whether ``fit`` got its own validation set; the tables' refusals (one without the other, ``sample_weight_val``
        alone, ``early_stopping=False``) before any data is read. ``labelled``: ``X_val`` brings its labels (an image folder)."""
        labels = "its own" if labelled and y_val is None else y_val
        return validation_given(X_val, labels, sample_weight_val, bool(self.early_stopping))

    def _held_out(self, y_val: Any, n_val: int, classes: np.ndarray, sample_weight_val: Any) -> HeldOut:
        """``y_val`` (one label per sample of ``X_val``, ``n_val`` of them, all among ``classes``: others refused by name) and
        ``sample_weight_val`` checked as the tables check them, as a :class:`HeldOut`."""
        labels = validation_labels(y_val, classes)
        one = self._samples[:-1]
        if labels.shape[0] != n_val:
            raise ValueError(f"X_val has {n_val} {self._samples} and y_val {labels.shape[0]} labels: give one label per {one} of X_val.")
        if n_val < 2:
            raise ValueError(f"X_val has {n_val} {one}: early stopping scores at least 2. Pass more validation {self._samples}.")
        weight = None
        if sample_weight_val is not None:
            try:
                weight = check_sample_weight(sample_weight_val, np.empty((n_val, 0)), allow_all_zero=True)
            except ValueError as exc:
                raise named("sample_weight_val", exc) from None
            if not weight.sum() > 0:
                raise ValueError(f"sample_weight_val is 0 for every {one} of X_val, so they cannot score the model: give some a weight > 0.")
        return HeldOut(np.searchsorted(classes, labels).astype(np.intp), weight)

    def _rows(self, y_idx: np.ndarray, row_weights: np.ndarray | None, held: HeldOut | None) -> tuple[
            np.ndarray, tuple[np.ndarray, np.ndarray | None], tuple[np.ndarray | None, np.ndarray | None]]:
        """``(codes, (train, validation) rows, their weights)`` for ``_train``: the split of ``y_idx`` ``(n,)`` drawn by
        :meth:`_split`, or with ``held`` (``X_val``'s, whose samples the caller puts after ``X``'s) all ``n`` rows training
        and rows ``n..n+n_val`` scoring, weighted by ``sample_weight_val``."""
        if held is None:
            split = self._split(y_idx)
            return y_idx, split, self._split_weights(row_weights, *split)
        n, n_val = y_idx.shape[0], held.codes.shape[0]
        return np.concatenate([y_idx, held.codes]), (np.arange(n), np.arange(n, n + n_val)), (row_weights, held.weight)

    def _split(self, y_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Sorted train and validation row indices; stratified when every class can give a row."""
        n = y_idx.shape[0]
        if not self.early_stopping:
            return np.arange(n), None
        from sklearn.model_selection import train_test_split

        n_val = max(1, int(round(self.validation_fraction * n)))
        if n - n_val < 1:
            raise ValueError(
                f"{n} {self._samples} are too few for early_stopping with validation_fraction={self.validation_fraction}: "
                f"pass more {self._samples} or early_stopping=False."
            )
        counts = np.bincount(y_idx)
        stratify = y_idx if counts.min() >= 2 and n_val >= len(counts) else None
        train_idx, val_idx = train_test_split(np.arange(n), test_size=n_val, stratify=stratify, random_state=self.random_state)
        return np.sort(train_idx), np.sort(val_idx)

    def _callbacks(self) -> list[Callback]:
        return fit_callbacks(self, *([_EpochPrinter()] if self.verbose else []))

    def _set_history(self, history: History) -> None:
        """scikit-learn's fitted attributes from the training ``history`` (of a fit, or of a loaded file).

        ``best_validation_score_`` is the score of the weights kept, the best epoch's (-inf before any
        finite score), as the MLP estimators' is. Before, it was ``max(val_score)``: with a NaN score the
        result depended on where the NaN was, and after ``freeze="head_first"`` (whose second phase
        starts its rule afresh) it could be a first-phase score of weights not kept.
        """
        self.history_ = history
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history.train_loss)
        self.validation_scores_ = list(history.val_score) if self.early_stopping else None
        self.best_validation_score_ = _kept_score(history) if self.early_stopping else None
        self.stop_reason_ = history.stop_reason


def _kept_score(history: History) -> float:
    """The validation score of ``history``'s best epoch, whose weights early stopping keeps; -inf without one."""
    if history.best_epoch is None or history.best_epoch not in history.epoch:
        return -np.inf
    return float(history.val_score[history.epoch.index(history.best_epoch)])


__all__ = ["ClassifierFitting", "HeldOut", "named"]
