"""An MLP model file of a table's dense network, run in NumPy without the estimator class.

``hl.load`` builds an ``MLPClassifier``/``MLPRegressor``, which imports scikit-learn (and
with it SciPy's stats, pandas, pyarrow) and PyTorch: about 2 CPU seconds before a
server's first answer (``benchmarks/bench_serve_start.py``). A table MLP whose network
is dense layers (with dropout, batch or layer norm or neither) already predicts in NumPy
on the CPU (``predict``'s :func:`~hiddenlayers.network.dense_forward` on copies of the
weights and of each norm's eval-mode map; dropout is the identity then), so
:func:`dense_model` reads such a file with ``safetensors.numpy`` and its JSON document,
and answers with the estimators' own functions (:mod:`._answers`): the same bits as
``hl.load(path).predict``/``predict_proba`` on the CPU, for binary, multiclass and
multi-label classifiers and regressors, float32 or float64.

It reads the file only when it can be sure: every check ``hl.load`` makes that the
answers depend on is made here by the same rule, and any other file (a Pipeline's, a
device other than ``cpu``/``auto``, a record or tensor this reader does not know, a
batch norm's negative running variance, or a file ``hl.load`` would refuse) gives None,
and the caller loads it with ``hl.load``, which answers or refuses it as always.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

import numpy as np

from .._meta import BASE_FORMAT_VERSION, PIPELINE_KEY
from ._answers import class_probabilities, decode_labels, regression_values
from ._class_weight import class_weight_from_json
from ._file import _check_sections, sizes_from_json
from ._param_names import PARAM_NAMES
from ._target_scale import scaling_from_json

_CONFIG_KEYS = {"in_features", "spec", "out_features", "activation"}
_CLASSES_KEYS = {"values", "dtype", "y_type"}
_NORM_TENSORS = {None: (), "layer": ("weight", "bias"), "batch": ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")}


class DenseModel:
    """A fitted MLP's dense network and answers, from its model file (:func:`dense_model`).

    Takes the encoded matrix ``X`` ``(n, n_features_in_)`` (float) as the estimator's ``predict`` does and gives its
    answers: ``predict``, and for a classifier ``predict_proba`` and ``predict_with_proba``. Attributes as the
    estimator's: ``estimator`` (its class name), ``dtype``, ``n_features_in_``, ``preprocessing_``, ``n_outputs_``,
    and where the file holds them ``feature_names_in_``, ``classes_`` and ``label_type_`` (a classifier's).

    Parameters
    ----------
    estimator
        The class the file names, ``"MLPClassifier"`` or ``"MLPRegressor"``.
    layers
        ``(W, b)`` per dense map, the head last: ``W`` ``(in, out)``, ``b`` ``(out,)``, in ``dtype``.
    acts
        The NumPy forward of each hidden layer's activation.
    norms
        Each hidden layer's norm as its eval-mode NumPy map (None where it has none).
    dtype
        The network's float type, ``"float32"`` or ``"float64"``, which the forward pass computes in.
    output
        The loss's NumPy output activation (softmax, logistic, identity or exp).
    fit_dtype
        The float type of the rows it was fitted on, which with ``X``'s sets the answers' dtype (scikit-learn's promotion).
    classes
        A classifier's ``(classes_, label_type_)``; None for a regressor.
    """

    classes_: np.ndarray  # a classifier's, in the order of predict_proba's columns (a regressor has none)
    label_type_: str  # a classifier's: "binary", "multiclass" or "multilabel-indicator"
    feature_names_in_: np.ndarray  # where the file holds them: the network's input names
    target_mean_: np.ndarray | None = None  # a regressor fitted with scale_target: predictions are out * target_scale_ + target_mean_
    target_scale_: np.ndarray | None = None
    scale_target: Any = False  # the file's parameter, which its target scaling is checked against

    def __init__(self, estimator: str, layers: list[tuple[np.ndarray, np.ndarray]], acts: list[Any], norms: list[Any], dtype: str,
                 output: Any, fit_dtype: str, classes: tuple[np.ndarray, str] | None) -> None:
        self.estimator, self.dtype = estimator, dtype
        self.layers, self.acts, self.norms, self.output, self._fit_dtype = layers, acts, norms, output, fit_dtype
        self.n_features_in_ = int(layers[0][0].shape[0])
        self.n_outputs_ = int(layers[-1][0].shape[1])
        self.preprocessing_: dict[str, Any] | None = None
        if classes is not None:
            self.classes_, self.label_type_ = classes

    def _raw(self, X: Any) -> np.ndarray:
        from ..network import dense_forward

        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_ or X.dtype.kind != "f":
            raise ValueError(f"X must be a float matrix of {self.n_features_in_} columns. Received shape {X.shape}, dtype {X.dtype}.")
        return dense_forward(self.layers, self.acts, X, np.dtype(self.dtype), norms=self.norms)

    def predict(self, X: Any) -> np.ndarray:
        """Labels ``(n,)`` (a classifier; 0/1 ``(n, n_labels)`` a multi-label one) or values ``(n,)`` / ``(n, n_outputs)`` (a regressor) for ``X``, as the estimator's ``predict``.

        Parameters
        ----------
        X : array-like of shape (n, n_features_in_)
            The encoded matrix, float.
        """
        z = self._raw(X)
        if hasattr(self, "classes_"):
            return decode_labels(z, self.classes_, self.label_type_)
        return regression_values(z, self.output, np.result_type(np.asarray(X).dtype, self._fit_dtype), self.target_mean_, self.target_scale_)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` in ``classes_``' order, as the estimator's ``predict_proba``.

        Parameters
        ----------
        X : array-like of shape (n, n_features_in_)
            The encoded matrix, float.
        """
        return self.predict_with_proba(X)[1]

    def predict_with_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(predict(X), predict_proba(X))`` from one forward pass.

        Parameters
        ----------
        X : array-like of shape (n, n_features_in_)
            The encoded matrix, float.
        """
        z = self._raw(X)
        p = class_probabilities(z, self.label_type_, self.output)
        return decode_labels(z, self.classes_, self.label_type_), p.astype(np.result_type(np.asarray(X).dtype, self._fit_dtype), copy=False)


def dense_model(path: str | os.PathLike[str], meta: dict[str, Any]) -> DenseModel | None:
    """The :class:`DenseModel` of the MLP model file ``path``, or None where only ``hl.load`` may read it (see the module's note).

    Never executes code from the file: its tensors are read by ``safetensors.numpy``, its JSON as data.

    Parameters
    ----------
    path : str or PathLike
        The ``.safetensors`` model file.
    meta : dict
        Its checked metadata (:func:`hiddenlayers._files.read_metadata`).
    """
    try:
        return _read(path, meta)
    except Exception:  # noqa: BLE001 - any surprise in a file: hl.load reads it, and says what is wrong in its own words
        return None


def _read(path: str | os.PathLike[str], meta: dict[str, Any]) -> DenseModel | None:
    kind = meta["estimator"]
    if kind not in ("MLPClassifier", "MLPRegressor") or PIPELINE_KEY in meta or meta["format_version"] != BASE_FORMAT_VERSION:
        return None
    _check_sections(meta)
    params, fitted = meta["params"], meta["fitted"]
    if not set(params) <= PARAM_NAMES[kind]:  # hl.load refuses a parameter the class has not: its words, not ours
        return None
    sizes_from_json(params["hidden_layer_sizes"])
    if "class_weight" in params:
        class_weight_from_json(params["class_weight"])
    dtype = params.get("dtype")
    if dtype not in ("float32", "float64") or params.get("device") not in ("cpu", "auto") or fitted.get("_fit_dtype", "float64") not in ("float32", "float64"):
        return None
    pre = meta.get("preprocessing")
    if pre is not None and pre.get("kind") != "table":
        return None
    shapes = _dense_shapes(meta["network"])
    output = _output(kind, params, meta.get("classes"))
    if shapes is None or output is None:
        return None
    layers, norms = _weights(path, shapes[0], shapes[2], np.dtype(dtype))
    model = DenseModel(kind, layers, shapes[1], norms, dtype, output[0], fitted.get("_fit_dtype", "float64"), output[1])
    model.preprocessing_ = pre
    if "feature_names_in_" in fitted:
        model.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    model.n_outputs_ = fitted.get("n_outputs_", model.n_outputs_)
    model.scale_target = params.get("scale_target", False)
    scaling_from_json(model, meta.get("target_scaling"))  # the estimator's own check and state
    return model if _consistent(model, fitted) else None


def _dense_shapes(config: dict[str, Any]) -> tuple[list[tuple[int, int]], list[Any], list[str | None]] | None:
    """Each dense map's ``(in, out)``, the head last, the hidden layers' NumPy activations and their norms (``"batch"``,
    ``"layer"`` or None), from the network's config; None unless it is a table's stack of dense layers (any dropout)."""
    from ..network import NP_FORWARD, Dense, Spec, canonical_activation

    if not isinstance(config, dict) or set(config) - _CONFIG_KEYS:
        return None
    width, out = config["in_features"], config["out_features"]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in (width, out)):
        return None
    default = config.get("activation", "relu")
    shapes, acts, norms = [], [], []
    for layer in Spec.parse(config["spec"]):
        if not isinstance(layer, Dense) or layer.norm not in _NORM_TENSORS:
            return None
        shapes.append((width, layer.units))
        acts.append(NP_FORWARD[canonical_activation(layer.activation or default)])
        norms.append(layer.norm)
        width = layer.units
    return [*shapes, (width, out)], acts, norms


def _output(kind: str, params: dict[str, Any], classes: Any) -> tuple[Any, tuple[np.ndarray, str] | None] | None:
    """The NumPy output activation and, for a classifier, ``(classes_, label type)``; None for what only the estimator reads."""
    from ..training import NP_OUTPUTS

    if kind == "MLPRegressor":
        loss = params.get("loss")
        return (NP_OUTPUTS["identity" if loss == "squared_error" else "exp"], None) if loss in ("squared_error", "poisson") else None
    if not isinstance(classes, dict) or set(classes) != _CLASSES_KEYS:
        return None
    found = _labels(classes)
    if found is None:
        return None
    q = params.get("gce_q")
    if params.get("loss") == "gce" and not (isinstance(q, numbers.Real) and not isinstance(q, bool) and math.isfinite(q) and 0.0 < float(q) <= 1.0):
        return None  # predict_proba would refuse the q: the estimator says so
    return NP_OUTPUTS["softmax" if found[1] == "multiclass" else "logistic"], found


def _labels(classes: dict[str, Any]) -> tuple[np.ndarray, str] | None:
    """``(classes_, label type)`` as ``hl.load``'s LabelBinarizer makes them from the file's classes record; None where unsure."""
    values, dtype = classes["values"], classes["dtype"]
    if not isinstance(values, list) or not values:
        return None
    if classes["y_type"] == "multilabel-indicator":  # the labels are the columns 0..k-1 (LabelBinarizer's classes_ of a 0/1 matrix)
        k = len(values)
        ok = k >= 2 and all(type(v) is int for v in values) and values == list(range(k)) and dtype == np.dtype(int).str
        return (np.arange(k), "multilabel-indicator") if ok else None
    kinds = {type(v) for v in values}  # one Python type, as LabelBinarizer keeps the labels given: text, integers, bools or floats
    if len(kinds) != 1 or values != sorted(set(values)):
        return None
    y_type = "multiclass" if len(values) > 2 else "binary"  # scikit-learn's type_of_target of the classes, as LabelBinarizer.fit finds it
    labels = _typed_labels(values, kinds.pop(), dtype)
    return None if labels is None or classes["y_type"] != y_type else (labels, y_type)


def _typed_labels(values: list[Any], kind: type, dtype: Any) -> np.ndarray | None:
    """``values`` as ``hl.load`` types them, ``np.asarray(values, dtype)``, where that keeps them as they are; None where unsure.

    Text as object or a wide enough ``<U``; integers in an integer dtype; bools as ``|b1``; floats (0.0/1.0 labels) in a
    float dtype when each is a whole number, as ``type_of_target`` needs of a classifier's labels (else "continuous").
    """
    if kind is str:
        labels = np.asarray(values)
        return labels if dtype in ("object", labels.dtype.str) else None
    try:
        typed = np.dtype(dtype)
    except TypeError:
        return None
    allowed = {int: "iu", bool: "b", float: "f"}.get(kind, "")
    # a float label must be whole and within int64 (type_of_target compares it with its int64 cast: 2.0**63 is "continuous")
    if typed.kind not in allowed or (kind is float and not all(math.isfinite(v) and v == int(v) and -(2**63) <= v < 2**63 for v in values)):
        return None
    try:
        labels = np.asarray(values, dtype=typed)
    except (OverflowError, ValueError):  # an integer past the dtype's range: hl.load says so
        return None
    return labels if labels.tolist() == values else None  # no label changed by the dtype


def _weights(path: str | os.PathLike[str], shapes: list[tuple[int, int]], norms: list[str | None],
             dtype: np.dtype) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[Any]]:
    """``(W (in, out), b)`` per dense map and each hidden layer's eval-mode norm map (None: no norm) from the file's tensors
    (named as the network names them), each of the network's ``dtype`` and finite, a batch norm's running variance >= 0,
    exactly the network's and no other; a ``ValueError`` otherwise (``hl.load`` says what is wrong)."""
    from safetensors.numpy import load_file

    from ..network import NORM_EPS, batch_norm_map, layer_norm_map

    tensors = load_file(str(path))
    names = [f"hidden{i}" for i in range(1, len(shapes))]
    linears = [f"{n}.linear" for n in names] + ["head"]
    expected = {f"{n}.{p}" for n in linears for p in ("weight", "bias")}
    expected |= {f"{n}.norm.{p}" for n, norm in zip(names, norms) for p in _NORM_TENSORS[norm]}
    if set(tensors) != expected:
        raise ValueError("the tensors are not the network's")

    def array(name: str, shape: tuple[int, ...]) -> np.ndarray:
        t = tensors[name]
        if t.shape != shape or t.dtype != dtype or not np.isfinite(t).all():
            raise ValueError(f"tensor {name!r} is not the network's")
        return t

    layers = []
    for name, (n_in, n_out) in zip(linears, shapes):
        W, b = array(f"{name}.weight", (n_out, n_in)), array(f"{name}.bias", (n_out,))
        layers.append((W.T.astype(dtype), b.astype(dtype)))  # the layout predict's copies have (cache_weights)
    maps: list[Any] = []
    for name, norm, (_, units) in zip(names, norms, shapes):
        got = {p: array(f"{name}.norm.{p}", (units,)) for p in _NORM_TENSORS[norm] if p != "num_batches_tracked"}
        if norm == "layer":
            maps.append(layer_norm_map(got["weight"], got["bias"], NORM_EPS, dtype))
        elif norm == "batch":
            count = tensors[f"{name}.norm.num_batches_tracked"]
            if count.shape != () or count.dtype != np.int64 or not (got["running_var"] >= 0).all():
                raise ValueError("a batch norm's statistics are not the network's")
            maps.append(batch_norm_map(got["running_mean"], got["running_var"], got["weight"], got["bias"], NORM_EPS, dtype))
        else:
            maps.append(None)
    return layers, maps


def _consistent(model: DenseModel, fitted: dict[str, Any]) -> bool:
    """Whether the file's records agree with its network as ``hl.load`` requires (its ``_check_consistent``)."""
    from ..data import TablePreprocessor

    if fitted.get("n_features_in_") != model.n_features_in_ or model.n_outputs_ != model.layers[-1][0].shape[1]:
        return False
    names = getattr(model, "feature_names_in_", None)
    if names is not None and len(names) != model.n_features_in_:
        return False
    classes = getattr(model, "classes_", None)
    if classes is not None and (1 if model.label_type_ == "binary" else len(classes)) != model.n_outputs_:
        return False
    pre = model.preprocessing_
    return pre is None or len(TablePreprocessor.from_dict(pre).output_names) == model.n_features_in_


__all__ = ["DenseModel", "dense_model"]
