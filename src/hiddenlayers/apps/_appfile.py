"""Save and load the application models: one ``.safetensors`` file, JSON metadata.

Same layout as :mod:`hiddenlayers._files` (tensors = ``state_dict`` plus
named arrays; metadata key ``hiddenlayers`` holds one JSON document with
``format``, ``format_version``, ``estimator``, ``params`` and ``state``).
Loading parses JSON and raw tensors only; it never unpickles anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._files import built_for_file, check_tensors, inconsistent_contents, jsonable, read_metadata, unjson, write_model_file
from .._meta import UNREADABLE
from .._words import article
from ..exceptions import ModelFileError
from ..network import PortablePickle
from ..training import History

#: The Parameters section of every application's ``load`` (one text, written into each by ``@parameters_section``).
LOAD_PARAMETERS = """
Parameters
----------
path : str or PathLike
    The ``.safetensors`` file the class's :meth:`save` wrote.
device : str, optional
    Where the network goes (default: the saved ``device`` parameter).
"""


def save_app(path: str | os.PathLike[str], estimator: str, params: dict[str, Any], state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    """Write ``tensors`` and the JSON metadata to ``path`` atomically.

    ``params["hidden_layer_sizes"]`` is stored in the form the user gave it (see
    :func:`hiddenlayers.estimators.sizes_to_json`), so the loaded model's ``get_params()`` equals the saved one's;
    a ``class_weight`` dict as ``[[label, weight], ...]``, so its labels keep their type (JSON keys are text);
    ``callbacks`` is left out (a loaded model has none); a ``np.random.RandomState`` ``random_state`` is stored as None.
    """
    from ..estimators import class_weight_to_json, sizes_to_json

    params = {k: v for k, v in params.items() if k != "callbacks"}  # live objects, as the MLP estimators' files leave them out
    if "hidden_layer_sizes" in params:
        params = {**params, "hidden_layer_sizes": sizes_to_json(params["hidden_layer_sizes"])}
    if "class_weight" in params:
        params = {**params, "class_weight": class_weight_to_json(params["class_weight"])}
    if isinstance(params.get("random_state"), np.random.RandomState):  # a generator's state is no parameter to store (the MLP files' rule)
        params = {**params, "random_state": None}
    write_model_file(path, estimator, {"params": jsonable(params), "state": jsonable(state)}, tensors)


def save_fitted(path: str | os.PathLike[str], model: Any, state: dict[str, Any], tensors: dict[str, torch.Tensor], *,
                estimator: str | None = None, **params: Any) -> None:
    """:func:`save_app` for a fitted application ``model``: its ``get_params(deep=False)`` (updated by ``params``, e.g. a
    parameter in its JSON form) with ``init_from`` stored as None (the source model is not stored; ``provenance_`` names it),
    and ``state`` plus the model's ``provenance_`` record when it has one. ``estimator`` defaults to the class name.
    """
    given = model.get_params(deep=False)
    if "init_from" in given:
        given["init_from"] = None
    if getattr(model, "provenance_", None) is not None:
        state = {**state, "provenance_": model.provenance_}  # init_from's source (file hash), layers copied and kept fixed, rows kept and new
    save_app(path, estimator or type(model).__name__, {**given, **params}, state, tensors)


def load_app(
    path: str | os.PathLike[str], estimator: str, device: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, torch.Tensor]]:
    """Read ``(params, state, tensors)`` written by :func:`save_app` for ``estimator``.

    ``device``, when given, replaces the saved ``device`` parameter (``load(path, device=...)``). A file
    written before a parameter existed has no value for it: the class's default applies.
    """
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file '{path}' does not exist or is not a file: check the path, or fit and save a {estimator} first.")
    meta = read_metadata(path)  # the container's checks: readable, hiddenlayers metadata, format, version, kind
    try:
        tensors = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged tensor data
        raise ModelFileError(f"'{path}' is not a readable safetensors model file ({type(exc).__name__}): {UNREADABLE}") from None
    if meta.get("estimator") != estimator:
        raise ModelFileError(f"'{path}' holds {article(str(meta.get('estimator')), quoted=True)} model, not {article(estimator)}: load it with that class's load().")
    from ..estimators import class_weight_from_json, sizes_from_json

    params = dict(meta.get("params", {}))
    if "hidden_layer_sizes" in params:
        try:
            params["hidden_layer_sizes"] = sizes_from_json(params["hidden_layer_sizes"])
        except (AttributeError, TypeError, ValueError) as exc:
            raise ModelFileError(f"'{path}' {exc}: the file was altered or written by a newer hiddenlayers.") from None
    if "class_weight" in params:
        params["class_weight"] = class_weight_from_json(params["class_weight"])
    if device is not None:
        params["device"] = device
    return params, transfer_state({k: unjson(v) for k, v in meta.get("state", {}).items()}), tensors


def file_errors(load: Callable[..., Any]) -> Callable[..., Any]:
    """An application's ``load(cls, path, *, device=None)`` whose every failure on the file's contents is one :class:`ModelFileError`.

    Why: the JSON of an application's file is read field by field after :func:`load_app`'s checks, and an edited or
    damaged field (null, a list, a string where a number goes, a key removed) escaped as a KeyError, TypeError,
    AttributeError, IndexError or a layer spec's error, which the command line shows as an internal error: the MLP
    estimators' loader already said "has inconsistent contents". A ``device`` that is wrong or missing here is the
    caller's error, checked before the file is read; a GPU out of memory is not the file's fault either.
    """
    import functools

    @functools.wraps(load)
    def checked(cls: type, path: str | os.PathLike[str], *, device: str | None = None) -> Any:
        from ..exceptions import DeviceUnavailableError
        from ..network import resolve_device

        if device is not None:
            resolve_device(device)
        try:
            return load(cls, path, device=device)
        except (ModelFileError, DeviceUnavailableError, torch.OutOfMemoryError):
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as exc:
            raise ModelFileError(inconsistent_contents(path, exc)) from None

    return checked


def transfer_state(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with ``transferred_`` and ``frozen_`` from its ``provenance_`` (an ``init_from``/``freeze`` fit's layer names),
    so a loaded app has the attributes its fit set; a file without a provenance record adds nothing."""
    record = state.get("provenance_")
    if isinstance(record, dict):
        for key in ("transferred", "frozen"):
            if isinstance(record.get(key), list) and f"{key}_" not in state:
                state[f"{key}_"] = list(record[key])
    return state


def restore_transfer(model: Any, state: dict[str, Any]) -> None:
    """Set ``provenance_``, ``transferred_`` and ``frozen_`` of a loaded ``model`` from its ``state`` (after :func:`transfer_state`) as
    the fit set them (the estimators' ``fit_reused``/``reuse_layers``): a plain fit's file, without a record, gives None, [] and [].
    ``frozen_`` matters beyond the record: a warm fit of the loaded model keeps those layers fixed, as the fitted one did."""
    model.provenance_ = state.get("provenance_")
    model.transferred_ = list(state.get("transferred_") or [])
    model.frozen_ = list(state.get("frozen_") or [])


def split_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors whose name starts with ``prefix + '.'``, with the prefix removed."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def as_array(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


def names_state(model: Any) -> dict[str, list[str]]:
    """``{"feature_names_in_": [...]}`` for a model fitted on named columns, else ``{}``: what ``state`` stores of them."""
    names = getattr(model, "feature_names_in_", None)
    return {} if names is None else {"feature_names_in_": [str(c) for c in names]}


def restore_names(model: Any, state: dict[str, Any], path: str | os.PathLike[str], n_columns: int) -> None:
    """Take ``feature_names_in_`` out of a loaded ``state`` onto ``model`` as an object array (scikit-learn's type).

    Files written before the names were stored have none: the model loads without them, as fitted on an array.
    """
    names = state.pop("feature_names_in_", None)
    if names is None:
        return
    if not isinstance(names, list) or len(names) != n_columns or not all(isinstance(c, str) for c in names):
        raise ModelFileError(f"'{path}' feature_names_in_ is not a list of {n_columns} column names: the file was altered or is damaged.")
    model.feature_names_in_ = np.asarray(names, dtype=object)


def history_state(model: Any) -> dict[str, dict[str, Any]]:
    """``{"history": ...}``: the whole training History of a fitted ``model`` (epochs, losses, scores, learning rates, times,
    the run's scalars) as ``state`` stores it, so a loaded model's ``history_`` is the fitted one's, as the MLPs' files keep it."""
    return {"history": model.history_.to_dict()}


def restore_history(model: Any, state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Take ``history`` out of a loaded ``state`` onto ``model.history_``. Files written before it was stored keep only
    ``loss_curve_`` (and ``n_iter_``, ``stop_reason_``): the model loads without ``history_``, and a warm fit goes on from
    a history made of the curve (:func:`~hiddenlayers.apps._warm_fit.past_history`)."""
    record = state.pop("history", None)
    if record is None:
        return
    if not isinstance(record, dict) or not isinstance(record.get("epoch"), list):
        raise ModelFileError(f"'{path}' history is not a training history record: the file was altered or is damaged.")
    model.history_ = History.from_dict(record)


def columns_state(model: Any) -> dict[str, dict[str, str]]:
    """``{"data_columns": {...}}`` when ``model.data_columns_`` is set, else ``{}``: what ``state`` stores of the data file's columns.

    ``data_columns_`` (role -> column name: ``text_column``, ``target``) records which columns of a data file the model was
    trained on (``hiddenlayers train --app`` sets it), so the command line reads a new file of the same layout with no options.
    """
    columns = getattr(model, "data_columns_", None)
    return {"data_columns": {str(k): str(v) for k, v in columns.items()}} if columns else {}


def forget_columns(model: Any) -> Any:
    """After a fit of ``model`` succeeded: drop ``data_columns_`` and ``long_columns_`` (the columns of a data file or long table an
    earlier fit read), so they describe the last fit or are absent. ``train --app`` and ``fit_long`` set them again after their
    fit; a Python ``fit`` (fresh, warm or ``partial_fit``) on arrays read no column. Returns ``model`` (``return forget_columns(self)``)."""
    for attr in ("data_columns_", "long_columns_"):
        model.__dict__.pop(attr, None)
    return model


def restore_columns(model: Any, state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Take ``data_columns`` out of a loaded ``state`` onto ``model.data_columns_``; a file written without it sets nothing."""
    columns = state.pop("data_columns", None)
    if columns is None:
        return
    if not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise ModelFileError(f"'{path}' data_columns is not a mapping of column roles to names: the file was altered or is damaged.")
    model.data_columns_ = dict(columns)


def restore_state(build: Callable[[], Any], tensors: dict[str, torch.Tensor], path: str | os.PathLike[str],
                  dtype: torch.dtype | None = None) -> Any:
    """The module ``build()`` makes, holding ``tensors`` exactly (in eval mode); a mismatch means the file was altered.

    ``build`` makes the network the file's JSON describes: it is built for real only once the file's tensors fit it
    (:func:`~hiddenlayers._files.built_for_file`), so a file that claims a huge network takes no more memory than its tensors.
    ``dtype``: the model's float type (its ``dtype`` parameter), given to the module before the tensors are copied in:
    ``load_state_dict`` casts to the module's type, so a float64 model's weights went through a float32 module built by
    default and came back rounded (its predictions after ``load`` differed from those before ``save``)."""
    module = built_for_file(path, build, tensors)
    if dtype is not None:
        module = module.to(dtype=dtype)
    check_tensors(path, tensors, module.state_dict())
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ModelFileError(f"'{path}' tensors do not match its architecture ({first}): the file was altered or is damaged.") from None
    return module.eval()


class DevicePickle(PortablePickle):
    """Pickling for models that keep their resolved ``_device``: tensors are written from the CPU and go back to the device
    fitted on where it exists (:class:`~hiddenlayers.network.PortablePickle`); ``_device`` (the pickling machine's) is left
    out and read back from the unpickled network's parameters. ``_net_attr`` names that network."""

    _net_attr = "network_"

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_device", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from .._params import missing_defaults

        super().__setstate__({**missing_defaults(type(self), state), **state})  # an older pickle: parameters added since
        if self._net_attr in state:
            self._device = next(getattr(self, self._net_attr).parameters()).device


__all__ = ["DevicePickle", "as_array", "columns_state", "file_errors", "forget_columns", "load_app", "names_state", "restore_columns", "restore_names", "restore_state", "restore_transfer", "save_app", "save_fitted", "split_prefix", "transfer_state"]


def open_model_file(path: str) -> Any:
    """Any model saved in ``path``, an application's or an MLP estimator's (what ``init_from=path`` reads)."""
    from .. import apps, estimators
    from .._files import read_metadata

    kind = read_metadata(path)["estimator"]
    return getattr(estimators if kind in ("MLPClassifier", "MLPRegressor") else apps, kind).load(path)
