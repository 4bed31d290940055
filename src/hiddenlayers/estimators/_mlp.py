"""scikit-learn drop-in estimators: ``MLPClassifier`` and ``MLPRegressor``.

Same constructor parameters (names, meanings, defaults) and fitted attributes
as ``sklearn.neural_network``'s, over a PyTorch :class:`Network` trained by
:func:`hiddenlayers.training.train`. Extras keep sklearn's behaviour by
default: per-layer specs in ``hidden_layer_sizes``, more solvers and
schedules, ``loss_threshold``/``max_time`` stopping, ``progress_bar``, ``device``, ``history_``,
``stop_reason_`` and ``transform(X, layer=k)`` for hidden activations.
This module holds what each estimator adds (labels, targets, losses, metrics, signatures); the shared
constructor, fit plumbing and fitted attributes are :class:`~._mlp_base._BaseMLP`'s.
Both classes stay defined here: pickles (joblib) name them as ``hiddenlayers.estimators._mlp``.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target

from .._params import document
from .._stacklevel import user_stacklevel
from ..data import check_score_labels, is_source
from ..network import Spec
from ..training import Loss, classification_loss, regression_loss
from ._answers import class_probabilities, decode_labels, regression_values
from ._checks import as_values, binarize, check_sample_weight, classifier_input, regressor_input
from ._class_weight import class_row_weights, combine, smooth_targets, smoothing_floor
from ._fit_keywords import fit_keywords
from ._mlp_base import _BaseMLP
from ._mlp_params import CLASSIFIER_PARAMS, REGRESSOR_PARAMS
from ._non_finite import located_non_finite
from ._predict import check_X, output_dtype, overflow_checked, raw_output
from ._predict_source import NO_Y, source_answers, source_score
from ._target_scale import scaled, set_target_scaling


@document(CLASSIFIER_PARAMS)
class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's API, PyTorch inside.

    ``verbose=True`` prints scikit-learn's lines on stdout (``Iteration 1, loss = ...``,
    ``Validation score: ...``, why it stopped); ``progress_bar=True`` shows a Rich
    progress bar on stderr instead (or as well). Differences from scikit-learn are
    listed in the README.

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(X, y)
    >>> clf.stop_reason_ in {"max_epochs", "no_improvement_train_loss"}
    True
    """

    _param_table = CLASSIFIER_PARAMS

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *, loss: str = "log_loss", gce_q: float = 0.7,
                 class_weight: Any = None, label_smoothing: float = 0.0, **kwargs: Any) -> None:
        super().__init__(hidden_layer_sizes, activation, **kwargs)
        self.loss = loss
        self.gce_q = gce_q
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def _validate_params(self) -> Spec:  # type: ignore[override]
        spec = super()._validate_params()
        if self.label_smoothing and self.loss != "log_loss":
            raise ValueError(f"label_smoothing works with loss='log_loss' only (loss={self.loss!r} reads one labelled class per row): "
                             "set label_smoothing=0, or loss='log_loss'.")
        return spec

    def _warn_unreachable_threshold(self, n_outputs: int) -> None:
        """A UserWarning when ``loss_threshold`` is below the floor ``label_smoothing`` puts under the training loss (it could never stop the fit)."""
        eps, threshold = float(self.label_smoothing), self.loss_threshold
        if threshold is None or not eps or self.__dict__.get("_distilling") is not None:  # hl.distill's targets have their own entropy
            return
        softmax = self._label_binarizer.y_type_ == "multiclass"
        floor = smoothing_floor(eps, n_outputs, softmax)
        if threshold < floor:
            what = f"{n_outputs} classes" if softmax else f"{n_outputs} logistic output{'s' if n_outputs > 1 else ''}"
            warnings.warn(
                f"loss_threshold={threshold:g} can never stop the fit: label_smoothing={eps:g} keeps the training loss at or above "
                f"{floor:.4g} (the entropy of the smoothed targets, {what}). Set loss_threshold above {floor:.4g}, "
                "or lower label_smoothing.",
                UserWarning, stacklevel=user_stacklevel(),
            )

    def _with_class_weight(self, y: np.ndarray, sample_weight: np.ndarray | None, X: Any, incremental: bool) -> np.ndarray | None:
        """``sample_weight`` times ``class_weight``'s weight of each row's class (scikit-learn's product), checked as a sample weight."""
        class_weight = self.__dict__.get("_stream_class_weight", self.class_weight)  # a streamed fit's 'balanced', from its counts
        rows = class_row_weights(class_weight, self.classes_, y, self._label_binarizer.y_type_, incremental=incremental)
        return sample_weight if rows is None else check_sample_weight(combine(rows, sample_weight), X, allow_all_zero=incremental)

    def _loss(self) -> Loss:
        base = classification_loss(self.loss, self.gce_q, binary=self._label_binarizer.y_type_ != "multiclass")
        distilling = self.__dict__.get("_distilling")  # inside hl.distill: the teacher's soft targets join the loss
        return base if distilling is None else distilling.loss(base)

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool, check_finite: bool = True) -> tuple[Any, np.ndarray]:
        return classifier_input(self, X, y, incremental, reset, check_finite)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """One-hot (softmax) or 0/1 (logistic) targets, smoothed by ``label_smoothing``: the targets the training loss reads."""
        Y = binarize(self._label_binarizer, y)
        softmax = self._label_binarizer.y_type_ == "multiclass"
        Y = smooth_targets(Y, float(self.label_smoothing), softmax, np.float64 if self.dtype == "float64" else np.float32)
        distilling = self.__dict__.get("_distilling")
        return Y if distilling is None else distilling.targets(self.classes_, Y)

    def _checked_y(self, y: Any) -> np.ndarray:
        y = np.asarray(y)
        check_score_labels(y, self.classes_, type(self).__name__)
        if y.ndim == 1:
            unknown = [v for v in np.unique(y).tolist() if v not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(f"y holds labels the model was not fitted on ({', '.join(map(repr, unknown[:5]))}): "
                                 f"pass labels from classes_ {self.classes_.tolist()[:10]}.")
        return y

    @fit_keywords
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, X_target: Any = None, *, X_val: Any = None, y_val: Any = None,
            sample_weight_val: Any = None) -> MLPClassifier:
        """Fit the network to ``X`` and labels ``y``, or to a :class:`~hiddenlayers.data.ParquetSource`.

        Negative weights raise ``ValueError``, where scikit-learn's MLP accepts them: they make the loss unbounded below (a
        row's loss rewarded), so training runs off instead of fitting. A streamed fit (``X`` a source) takes ``X_val``,
        ``y_val``, ``sample_weight_val`` as a DataFrame of the source's feature columns (or an array in their order), or
        ``X_val`` alone as another source of the same columns (its target and weight columns the labels and weights), read
        through the preprocessing learned from ``X`` (:mod:`._stream_validation`); no row group of ``X`` is held out.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ParquetSource
            The training rows (a source streams them from disk; its target column is ``y``).
        y : array-like of shape (n_samples,) or (n_samples, n_labels), optional
            The labels (a 0/1 matrix: multi-label); None only with a source.
        sample_weight : array-like of shape (n_samples,), optional
            Weights ``>= 0`` (None: all 1); the loss is their weighted mean.
        X_target : array-like of shape (n_target, n_features), optional
            Unlabelled rows of another domain, with ``domain_adaptation="dann"``.
        X_val : array-like of shape (n_val, n_features), optional
            Your own held-out rows (a later time span, other groups), scored by early stopping after each epoch in place of
            the ``validation_fraction`` split, so every row of ``X`` trains; given with ``y_val``, with
            ``early_stopping=True`` (scikit-learn's ``HistGradientBoosting*`` rule).
        y_val : array-like of shape (n_val,), optional
            The labels of ``X_val``.
        sample_weight_val : array-like of shape (n_val,), optional
            Weights of that score (with ``X_val`` only; ``class_weight`` is not applied to it).
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False, X_target=X_target,  # type: ignore[no-any-return]
                         val=(X_val, y_val, sample_weight_val))

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None, classes: Any = None) -> MLPClassifier:
        """One epoch over ``(X, y)`` (or a :class:`~hiddenlayers.data.ParquetSource`); ``classes`` is required on the first call.

        ``sample_weight``: ``(n_samples,)`` weights ``>= 0`` (None: all 1); the loss is their weighted
        mean. Negative weights raise ``ValueError``, where scikit-learn's MLP accepts them: they make the
        loss unbounded below (a row's loss rewarded), so training runs off instead of fitting. A chunk whose
        weights (times ``class_weight``) are all 0 is a no-op, where scikit-learn refuses it: no step,
        ``n_iter_`` 0, ``t_`` counts its rows (a first call still learns the classes and builds the network).
        """
        if is_source(X):  # its labels and weights are its columns (y or sample_weight beside it: refused); classes from its scan
            return self._fit(X, y, sample_weight=sample_weight, incremental=True)  # type: ignore[no-any-return]

        def first_call() -> None:  # sets classes_: inside the guard, so a first call that fails leaves none
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)

        return self._fit(X, y, sample_weight=sample_weight, incremental=True, setup=first_call)  # type: ignore[no-any-return]

    @property
    def label_type_(self) -> str:
        """What ``y`` was: ``"binary"``, ``"multiclass"`` or ``"multilabel-indicator"`` (scikit-learn's ``type_of_target``)."""
        self._require_fitted()
        return str(self._label_binarizer.y_type_)

    def _decode(self, z: np.ndarray) -> np.ndarray:
        return decode_labels(z, self.classes_, self._label_binarizer.y_type_)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, shape ``(n_samples,)`` (or ``(n_samples, n_labels)`` for multi-label).

        A row whose network output is not finite (an overflow inside the network) is a ``NonFiniteOutputError`` naming it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ParquetSource
            The rows to predict (a source: batch by batch, in file order).
        """
        if is_source(X):
            return source_answers(self, X, self._from_raw)
        X = check_X(self, X)
        return overflow_checked(self, raw_output(self, X, check_input=False), self._decode)

    def _predict_validated(self, X: Any) -> np.ndarray:
        return self._decode(raw_output(self, X, check_input=False))

    def _from_raw(self, raw: np.ndarray, X: Any) -> np.ndarray:
        return self._decode(raw)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``, weighted by ``sample_weight`` (scikit-learn's ``ClassifierMixin.score``).

        Labels of another type than ``classes_`` (``"1"`` for a model fitted on ``1``, or the reverse) raise one
        ``ValueError`` naming both types and the conversion, before any prediction, where scikit-learn stops on "Mix of
        label input types"; the applications' ``score`` uses the same check (:func:`hiddenlayers.data.check_score_labels`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ParquetSource
            The rows to score; a source is streamed batch by batch, its target column ``y`` and its weight column the
            weights (none given beside it).
        y : array-like of shape (n_samples,), optional
            The true labels (None only with a source).
        sample_weight : array-like of shape (n_samples,), optional
            Each row's weight in the mean (None: all 1).
        """
        self._require_fitted()
        if is_source(X):
            y, pred, w = source_score(self, X, y, sample_weight)
            check_score_labels(y, self.classes_, type(self).__name__)
            return self._score_function(y, pred, w)
        if y is None:
            raise TypeError(NO_Y)
        X, y, sample_weight = as_values(X), as_values(y), as_values(sample_weight)
        if not sp.issparse(y):  # a sparse label-indicator matrix holds numbers, as multi-label classes_ do
            check_score_labels(y, self.classes_, type(self).__name__)
        return float(super().score(X, y, sample_weight))

    def _score_function(self, y: Any, y_pred: np.ndarray, sample_weight: Any = None) -> float:
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, y_pred, sample_weight=sample_weight))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` in the order of ``classes_`` (float32 for float32 ``X``, as sklearn).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ParquetSource
            The rows to predict (a source: batch by batch, as :meth:`predict`).
        """
        if is_source(X):
            return source_answers(self, X, self._proba)
        X = check_X(self, X)
        return overflow_checked(self, raw_output(self, X, check_input=False), lambda z: self._proba(z, X))

    def predict_logits(self, X: Any) -> np.ndarray:
        """Head outputs before the output activation, ``(n_samples, n_outputs)`` in the network's dtype.

        Multiclass: the softmax's logits (``predict_proba`` is their softmax). Binary: one column ``z`` with
        ``P(classes_[1]) = sigmoid(z)``, the logits ``[0, z]`` of a two-class softmax. Multi-label: one logistic logit per
        label. For knowledge distillation (:func:`hiddenlayers.distill` softens these at its temperature) and calibration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to predict.
        """
        return overflow_checked(self, raw_output(self, check_X(self, X), check_input=False), lambda z: z)

    def predict_with_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(predict(X), predict_proba(X))`` from one forward pass: for callers that want both (``hiddenlayers predict``, serving).

        The labels are decided on the head outputs exactly as :meth:`predict` decides (argmax, or output > 0 per label), not
        re-derived from the probabilities, so they equal ``predict(X)`` bit for bit, ties and non-finite outputs included.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to predict.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, y)
        >>> labels, proba = clf.predict_with_proba(X[:3])
        >>> labels.shape, proba.shape
        ((3,), (3, 3))
        """
        X = check_X(self, X)
        return overflow_checked(self, raw_output(self, X, check_input=False), lambda z: (self._decode(z), self._proba(z, X)))

    def _proba(self, z: np.ndarray, X: Any) -> np.ndarray:
        """``predict_proba`` from head outputs ``z`` ``(n, n_outputs)`` of the checked ``X`` (which sets the dtype)."""
        p = class_probabilities(z, self._label_binarizer.y_type_, self._loss().np_output)
        return p.astype(output_dtype(self, X), copy=False)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``, shape ``(n_samples, n_classes)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to predict.
        """
        p = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(p, out=p)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@document(REGRESSOR_PARAMS)
class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor (``loss="squared_error"`` or ``"poisson"``).

    ``verbose=True`` prints scikit-learn's lines on stdout; ``progress_bar=True`` shows
    a Rich progress bar on stderr. Predictions come in ``X``'s float dtype, as sklearn's.

    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=50, random_state=0).fit(X, y / 100)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _param_table = REGRESSOR_PARAMS

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,), activation: str = "relu", *, scale_target: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(hidden_layer_sizes, activation, **kwargs)
        self.loss = loss
        self.scale_target = scale_target

    def _loss(self) -> Loss:
        # squared error recorded as scikit-learn's mean over outputs (loss_curve_, tol); the steps are the sum's, as its
        return regression_loss(self.loss)

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool, check_finite: bool = True) -> tuple[Any, np.ndarray]:
        return regressor_input(self, X, y, incremental, reset, check_finite)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        # standardized by the stored scaling (scale_target): what fit, lr_find, network_targets and explain train against
        return scaled(self, np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1))

    def _fit_target_scaling(self, y: np.ndarray | None, sample_weight: np.ndarray | None, *, incremental: bool, first_pass: bool,
                            streamed: bool, moments: Any = None) -> None:
        set_target_scaling(self, y, sample_weight, incremental=incremental, first_pass=first_pass, streamed=streamed, moments=moments)

    @fit_keywords
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, X_target: Any = None, *, X_val: Any = None, y_val: Any = None,
            sample_weight_val: Any = None) -> MLPRegressor:
        """Fit the network to ``X`` and targets ``y``, or to a :class:`~hiddenlayers.data.ParquetSource`.

        Negative weights raise ``ValueError``, where scikit-learn's MLP accepts them: they make the loss unbounded below (a
        row's loss rewarded), so training runs off instead of fitting.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ParquetSource
            The training rows (a source streams them from disk; its target column is ``y``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
            The targets (None only with a source).
        sample_weight : array-like of shape (n_samples,), optional
            Weights ``>= 0`` (None: all 1); the loss is their weighted mean.
        X_target : array-like of shape (n_target, n_features), optional
            Unlabelled rows of another domain, with ``domain_adaptation="dann"`` (as the classifier's).
        X_val : array-like of shape (n_val, n_features), optional
            Your own held-out rows for early stopping's R², as the classifier's (a streamed fit's too: a validation source,
            or a DataFrame of the source's feature columns).
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), optional
            The targets of ``X_val``, in ``y``'s units.
        sample_weight_val : array-like of shape (n_val,), optional
            Weights of that R².
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False, X_target=X_target,  # type: ignore[no-any-return]
                         val=(X_val, y_val, sample_weight_val))

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``(X, y)``.

        ``sample_weight``: ``(n_samples,)`` weights ``>= 0`` (None: all 1); the loss is their weighted
        mean. Negative weights raise ``ValueError``, where scikit-learn's MLP accepts them: they make the
        loss unbounded below (a row's loss rewarded), so training runs off instead of fitting. A chunk whose
        weights (times ``class_weight``) are all 0 is a no-op, where scikit-learn refuses it: no step,
        ``n_iter_`` 0, ``t_`` counts its rows (a first call still learns the classes and builds the network).
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        """Predictions ``(n_samples,)`` or ``(n_samples, n_outputs)``, in ``X``'s float dtype (as sklearn).

        A row whose network output is not finite (an overflow inside the network) is a ``NonFiniteOutputError`` naming it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ParquetSource
            The rows to predict (a source: batch by batch, in file order).
        """
        if is_source(X):
            return source_answers(self, X, self._from_raw)
        X = check_X(self, X)
        return overflow_checked(self, raw_output(self, X, check_input=False), lambda z: self._from_raw(z, X))

    def _predict_validated(self, X: Any) -> np.ndarray:
        return self._from_raw(raw_output(self, X, check_input=False), X)

    def _from_raw(self, raw: np.ndarray, X: Any) -> np.ndarray:
        return regression_values(raw, self._loss().np_output, output_dtype(self, X), getattr(self, "target_mean_", None),
                                 getattr(self, "target_scale_", None))

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R² of ``predict(X)`` against ``y``, weighted by ``sample_weight`` (scikit-learn's ``RegressorMixin.score``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ParquetSource
            The rows to score; a source is streamed as the classifier's ``score`` streams it.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
            The true targets (None only with a source).
        sample_weight : array-like of shape (n_samples,), optional
            Each row's weight in R² (None: all 1).
        """
        if is_source(X):
            self._require_fitted()
            return self._score_function(*source_score(self, X, y, sample_weight))
        if y is None:
            raise TypeError(NO_Y)
        y = as_values(y)
        try:
            return float(super().score(as_values(X), y, as_values(sample_weight)))
        except ValueError as exc:  # r2_score's bare "Input contains NaN.": X's and the weights' are named before it
            located = located_non_finite(str(exc).replace("Input contains", "Input y contains", 1), y, type(self).__name__, call="score")
            if located is None:
                raise
            raise ValueError(located) from None

    def _score_function(self, y: Any, y_pred: np.ndarray, sample_weight: Any = None) -> float:
        from sklearn.metrics import r2_score

        return float(r2_score(y, y_pred, sample_weight=sample_weight))


def _regressor_signature() -> inspect.Signature:
    # scikit-learn reads parameter names from the signature: derive the
    # regressor's from the shared one (plus ``loss`` first, as in sklearn).
    base = inspect.signature(_BaseMLP.__init__)
    params = list(base.parameters.values())
    loss = inspect.Parameter("loss", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="squared_error", annotation="str")
    scale = inspect.Parameter("scale_target", inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool")
    return base.replace(parameters=[params[0], loss, *params[1:], scale])


def _classifier_signature() -> inspect.Signature:
    # the shared signature plus the classifier's keyword-only ``loss``, ``gce_q``, ``class_weight`` and ``label_smoothing`` at the end,
    # annotated as __init__ writes them (help() and the API reference show each type)
    base = inspect.signature(_BaseMLP.__init__)
    extra = [inspect.Parameter("loss", inspect.Parameter.KEYWORD_ONLY, default="log_loss", annotation="str"),
             inspect.Parameter("gce_q", inspect.Parameter.KEYWORD_ONLY, default=0.7, annotation="float"),
             inspect.Parameter("class_weight", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="Any"),
             inspect.Parameter("label_smoothing", inspect.Parameter.KEYWORD_ONLY, default=0.0, annotation="float")]
    return base.replace(parameters=[*base.parameters.values(), *extra])


MLPRegressor.__init__.__signature__ = _regressor_signature()  # type: ignore[attr-defined]
MLPClassifier.__init__.__signature__ = _classifier_signature()  # type: ignore[attr-defined]

__all__ = ["MLPClassifier", "MLPRegressor"]
