"""Model files of the MLP estimators: what :meth:`MLPClassifier.save` writes and
:meth:`MLPClassifier.load` reads (the container itself is :mod:`hiddenlayers._files`).

The tensors are the network's ``state_dict``; the JSON document holds the
estimator class and parameters, network config, classes, fitted attributes,
training history and (when present) the preprocessing. Loading parses JSON and
raw tensors only: it never runs code or unpickles anything.
"""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np

from .._files import built_for_file, check_tensors, inconsistent_contents, jsonable, read_metadata, unjson, write_model_file
from .._meta import BASE_FORMAT_VERSION, PIPELINE_KEY
from .._words import article
from ..exceptions import ModelFileError
from ._class_weight import class_weight_from_json, class_weight_to_json
from ._target_scale import scaling_from_json, scaling_to_json

#: the start of the name of every tensor a file's section (a Pipeline's steps) holds beside the network's weights
SECTION_TENSORS = "pipeline."
_FITTED_SCALARS = ("n_iter_", "t_", "loss_", "best_loss_", "best_validation_score_", "n_outputs_", "n_layers_", "out_activation_", "stop_reason_",
                   "_fit_dtype")


def sizes_to_json(sizes: Any) -> dict[str, Any]:
    """``hidden_layer_sizes`` as stored in a model file: the form the user gave (tuple, list, int, text) and the parsed spec.

    Keeping the form makes ``load(path).get_params()`` equal the saved model's (a tuple stays a tuple), so ``clone`` and
    grid searches see the same parameters; :func:`sizes_from_json` reads it back.

    Parameters
    ----------
    sizes : int, str, tuple or list
        The parameter as given.
    """
    from ..network import Spec

    spec = Spec.parse(list(sizes) if isinstance(sizes, tuple) else sizes).to_list()  # validates, and is what the network was built from
    if isinstance(sizes, (str, numbers.Integral)) and not isinstance(sizes, bool):
        return {"as": "text" if isinstance(sizes, str) else "int", "value": sizes, "spec": spec}
    if isinstance(sizes, (tuple, list)) and all(isinstance(u, numbers.Integral) and not isinstance(u, bool) for u in sizes):
        return {"as": type(sizes).__name__, "value": [int(u) for u in sizes], "spec": spec}
    return {"as": "spec", "value": spec, "spec": spec}


def sizes_from_json(stored: Any) -> Any:
    """``hidden_layer_sizes`` as the user gave it (tuple, list, int or text), else the spec list.

    Files written before the form was kept hold the spec list itself, returned as it is. A form this version does not
    know is a ``ValueError``, which the file's reader turns into a ``ModelFileError`` naming the file.

    Parameters
    ----------
    stored : dict or list
        What :func:`sizes_to_json` wrote (or an older file's spec list).
    """
    if not isinstance(stored, dict):
        return stored
    kind, value = stored.get("as"), stored.get("value")
    if kind == "tuple" and isinstance(value, list):
        return tuple(value)
    if kind in ("list", "int", "text", "spec"):
        return value
    raise ValueError(f"hidden_layer_sizes is stored in an unknown form {kind!r}")  # the file's reader says which file


def _params(est: Any) -> dict[str, Any]:
    params = est.get_params(deep=False)
    params.pop("callbacks", None)
    if "init_from" in params:
        params["init_from"] = None  # where it came from is in the "provenance" record, not a parameter to redo
    params["hidden_layer_sizes"] = sizes_to_json(params["hidden_layer_sizes"])
    if "class_weight" in params:
        params["class_weight"] = class_weight_to_json(params["class_weight"])  # a dict's labels keep their type
    rs = params.get("random_state")
    if rs is not None and not isinstance(rs, (int, np.integer)):
        params["random_state"] = None
    return jsonable(params)


def to_file(model: Any, path: str | os.PathLike[str], extra: dict[str, Any] | None = None, *,
            preprocessing: dict[str, Any] | None = None, sections: dict[str, dict[str, Any]] | None = None,
            tensors: dict[str, Any] | None = None, version: int = BASE_FORMAT_VERSION) -> None:
    """Write the fitted estimator ``model`` to ``path`` (one ``.safetensors`` file, atomic).

    Parameters
    ----------
    model : MLPClassifier or MLPRegressor
        The fitted model.
    path : str or PathLike
        Where to write.
    extra : dict, optional
        The user's JSON, read back by ``read_metadata``.
    preprocessing : dict, optional
        A table preprocessing that runs before ``model`` outside it (a ``Pipeline``'s ``TableEncoder``:
        ``preprocessor_.to_dict()``), stored in place of ``model.preprocessing_``, so the file reads raw tables as a
        ``train``-made one does; the network's own input names (``feature_names_in_``, the encoded columns) are then
        left out, as the table's names are the preprocessing's.
    sections : dict of str to dict, optional
        More JSON objects a later stage records (the ``Pipeline`` around ``model``), by a name the file does not use
        already; :func:`from_file` ignores them.
    tensors : dict of str to torch.Tensor, optional
        More arrays of such a section, each named ``SECTION_TENSORS`` + ..., which :func:`from_file` leaves out of the
        network's.
    version : int
        The format version the file claims (:func:`hiddenlayers._files.write_model_file`).
    """
    name = type(model).__name__
    model._require_fitted()
    clash = sorted(set(sections or {}) & {*_SECTIONS, "extra", "format", "format_version", "library_version", "estimator"})
    if clash:
        raise ValueError(f"sections may not replace the file's own {clash}: name them otherwise.")
    if any(not k.startswith(SECTION_TENSORS) for k in tensors or {}):
        raise ValueError(f"a section's tensors are named '{SECTION_TENSORS}...': name them so.")
    weights = {k: v.detach().cpu().contiguous() for k, v in model.network_.state_dict().items()}
    fitted: dict[str, Any] = {k: getattr(model, k) for k in _FITTED_SCALARS if hasattr(model, k)}
    fitted["n_features_in_"] = int(model.n_features_in_)
    if hasattr(model, "feature_names_in_") and preprocessing is None:
        fitted["feature_names_in_"] = [str(c) for c in model.feature_names_in_]
    fitted["loss_curve_"] = list(getattr(model, "loss_curve_", []))
    fitted["validation_scores_"] = getattr(model, "validation_scores_", None)
    meta: dict[str, Any] = {
        "params": _params(model),
        "network": model.network_.config(),
        "fitted": fitted,
        "history": model.history_.to_dict(),
    }
    if hasattr(model, "classes_"):
        classes = np.asarray(model.classes_)
        meta["classes"] = {"values": classes.tolist(), "dtype": classes.dtype.str if classes.dtype != object else "object", "y_type": model._label_binarizer.y_type_}
    if preprocessing is not None or getattr(model, "preprocessing_", None) is not None:
        meta["preprocessing"] = preprocessing if preprocessing is not None else model.preprocessing_
    if getattr(model, "provenance_", None) is not None:
        meta["provenance"] = model.provenance_  # init_from's source file hash, copied and frozen layers
    if (scaling := scaling_to_json(model)) is not None:
        meta["target_scaling"] = scaling  # scale_target: predictions are out * scale + mean
    if extra:
        meta["extra"] = extra
    meta.update(sections or {})
    write_model_file(path, name, meta, {**weights, **(tensors or {})}, version)


def from_file(cls: type, path: str | os.PathLike[str], device: str | None = None) -> Any:
    """The ``cls`` estimator saved in ``path`` by :func:`to_file`; predictions match the saved model exactly.

    Never executes code from the file. Raises :class:`ModelFileError` for a
    missing, truncated, foreign, tampered or newer-format file, or one that
    holds another kind of model.
    """
    from safetensors.torch import load_file
    from sklearn.preprocessing import LabelBinarizer

    from ..network import Network, load_device, resolve_device
    from ..training import History

    meta = read_metadata(path)
    if device is not None:
        resolve_device(device)  # a bad or missing device is the caller's error, not the file's
    if meta["estimator"] != cls.__name__:
        raise ModelFileError(f"'{path}' holds {article(str(meta['estimator']), quoted=True)} model, not {article(cls.__name__)}: load it with hiddenlayers.load(path).")
    try:
        tensors = load_file(str(path))
    except Exception as exc:
        raise ModelFileError(f"'{path}' has unreadable tensor data ({type(exc).__name__}): the file is truncated or corrupt.") from None
    if PIPELINE_KEY in meta:  # a Pipeline's steps' arrays are the Pipeline's (hiddenlayers.ship._pipeline), not the network's
        tensors = {k: v for k, v in tensors.items() if not k.startswith(SECTION_TENSORS)}
    try:
        _check_sections(meta)
        params = dict(meta["params"])
        params["hidden_layer_sizes"] = sizes_from_json(params["hidden_layer_sizes"])
        if "class_weight" in params:
            params["class_weight"] = class_weight_from_json(params["class_weight"])
        if device is not None:
            params["device"] = device
        model = cls(**params)
        if params.get("loss") == "gce":  # predict_proba builds the loss from gce_q: a q it would refuse (None, 2) is the file's fault
            from ..training import classification_loss

            classification_loss("gce", model.gce_q)
        elif cls.__name__ == "MLPRegressor":  # a regressor's predict applies its loss's output: a loss it does not know, too
            from ..training import get_loss

            get_loss(model.loss)
        import torch

        # Cast before loading so float64 weights are not rounded through float32.
        dtype = {"float32": torch.float32, "float64": torch.float64}[model.dtype]
        net = built_for_file(path, lambda: Network.from_config(meta["network"]), tensors).to(dtype=dtype)  # never a network its tensors do not fill
        _check_shapes(path, tensors, net.state_dict())
        missing, unexpected = net.load_state_dict(tensors, strict=False)
        if missing or unexpected:
            raise ModelFileError(
                f"'{path}' tensors do not match its architecture (missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]}): the file was altered."
            )
        model._device = load_device(model.device, device)
        model.network_ = net.to(device=model._device).eval()
        _set_fitted(model, meta["fitted"])
        model.history_ = History.from_dict(unjson(meta["history"]))
        model._optimizer_state = None
        if "classes" in meta:
            c = meta["classes"]
            classes = np.asarray(c["values"], dtype=object if c["dtype"] == "object" else np.dtype(c["dtype"]))
            lb = LabelBinarizer()
            if c["y_type"] == "multilabel-indicator":
                lb.fit(np.vstack([np.zeros(len(classes), int), np.ones(len(classes), int)]))
            else:
                lb.fit(classes)
            model._label_binarizer = lb
            model.classes_ = lb.classes_
        model.preprocessing_ = meta.get("preprocessing")
        scaling_from_json(model, meta.get("target_scaling"))  # absent in files from before scale_target: unscaled
        if meta.get("provenance") is not None:
            model.provenance_ = meta["provenance"]
        _check_consistent(path, model, net)
        model._cache_weights()
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError) as exc:  # any shape of edited JSON
        raise ModelFileError(inconsistent_contents(path, exc)) from None
    return model


def _set_fitted(model: Any, fitted: dict[str, Any]) -> None:
    """The file's fitted attributes set on ``model``; a ``_fit_dtype`` other than float32 or float64 (what predictions are
    cast to: another crashed ``predict_proba``) is a ``ValueError``, which the file's reader turns into a ``ModelFileError``."""
    for k, v in fitted.items():
        setattr(model, k, np.asarray(v, dtype=object) if k == "feature_names_in_" else unjson(v))
    if getattr(model, "_fit_dtype", "float64") not in ("float32", "float64"):
        raise ValueError(f"_fit_dtype is {model._fit_dtype!r}, not 'float32' or 'float64'")


def _check_shapes(path: str | os.PathLike[str], tensors: dict[str, Any], expected: dict[str, Any]) -> None:
    """A :class:`ModelFileError` for the first tensor (in layer order) whose shape, kind or values (NaN/inf) the network built from the file's config refuses."""
    for key, want in expected.items():
        tensor = tensors.get(key)
        if tensor is not None and tuple(tensor.shape) != tuple(want.shape):
            raise ModelFileError(
                f"'{path}' tensor {key!r} has shape {tuple(tensor.shape)} but its architecture needs "
                f"{tuple(want.shape)}: the file was altered."
            )
    check_tensors(path, tensors, expected)


_SECTIONS = {"params": True, "network": True, "fitted": True, "history": True, "classes": False, "preprocessing": False, "provenance": False,
             "target_scaling": False}


def _check_sections(meta: dict[str, Any]) -> None:
    """A ``TypeError`` naming the first section of ``meta`` that is missing or not a JSON object.

    Required sections (and a classifier's ``classes``) must be objects; optional
    ones (``preprocessing``, ``provenance``) objects or absent/null. A hand-edited ``"fitted": null`` would
    otherwise fail deep inside loading as an ``AttributeError``.
    """
    for key, required in _SECTIONS.items():
        value = meta.get(key)
        required = required or (key == "classes" and meta.get("estimator") == "MLPClassifier")  # a classifier's labels
        if value is None and not required:
            continue
        if key not in meta:
            raise KeyError(key)
        if not isinstance(value, dict):
            raise TypeError(f"{key!r} is {'null' if value is None else type(value).__name__}, not a JSON object")


def _preprocessing_width(state: dict[str, Any]) -> int:
    """How many network inputs the stored table preprocessing produces (a damaged state: ``ValueError``).

    Only the library's own table preprocessing (``"kind": "table"``) is checked; a
    user's own ``preprocessing_`` record is stored as given and not interpreted.
    """
    from ..data import TablePreprocessor
    from ..exceptions import DataError

    try:
        return len(TablePreprocessor.from_dict(state).output_names)
    except (DataError, KeyError, TypeError) as exc:
        raise ValueError(str(exc)) from None


def _check_consistent(path: str | os.PathLike[str], model: Any, net: Any) -> None:
    """A :class:`ModelFileError` when the file's records disagree with its network (an edited file).

    The network's input width must be ``n_features_in_`` (and the number of
    feature names, and the columns the stored preprocessing produces), and its
    outputs those the classes or ``n_outputs_`` need:
    otherwise the model would load and predict wrong labels without an error.
    """
    problems = []
    n_in, n_out = net.in_features, net.out_features
    if isinstance(n_in, int) and model.n_features_in_ != n_in:
        problems.append(f"n_features_in_ is {model.n_features_in_} but the network reads {n_in} inputs")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and len(names) != model.n_features_in_:
        problems.append(f"{len(names)} feature names for {model.n_features_in_} features")
    if hasattr(model, "classes_"):
        k = len(model.classes_)
        need = 1 if model._label_binarizer.y_type_ == "binary" else k  # one class (sklearn allows it) is 'binary' too
        if need != n_out:
            problems.append(f"{k} classes need {need} output(s) but the network has {n_out}")
    pre = getattr(model, "preprocessing_", None)
    if isinstance(pre, dict) and pre.get("kind") == "table" and isinstance(n_in, int) and (width := _preprocessing_width(pre)) != n_in:
        problems.append(f"the preprocessing produces {width} features but the network reads {n_in} inputs")
    if getattr(model, "n_outputs_", n_out) != n_out:
        problems.append(f"n_outputs_ is {model.n_outputs_} but the network has {n_out} outputs")
    if problems:
        raise ModelFileError(f"'{path}' does not agree with itself ({'; '.join(problems)}): the file was altered or is damaged.")
