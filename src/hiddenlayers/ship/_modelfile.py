"""Model files: one ``.safetensors`` file, configuration as JSON metadata.

Every estimator and application writes itself (``model.save(path)``) into the
one container of :mod:`hiddenlayers._files`; this module is the front door that
needs no class: :func:`save` any fitted model (a ``Pipeline`` of a ``TableEncoder``,
or of scikit-learn scalers, imputers and PCA, then an MLP too, :mod:`._pipeline`), :func:`read_metadata` without
loading tensors, and :func:`load` whatever a file holds. Loading parses JSON and
raw tensors only: it never runs code or unpickles anything. Writes are atomic.
"""

from __future__ import annotations

import os
from typing import Any

from .._files import read_metadata
from .._meta import BASE_FORMAT_VERSION, FORMAT_VERSION, MODEL_KINDS, stored_steps
from .._words import article, foreign, foreign_note
from ..exceptions import ModelFileError
from ._pipeline import PIPELINE_KEY, is_pipeline, pipeline_from_file, pipeline_of_model, save_pipeline

_ESTIMATORS = ("MLPClassifier", "MLPRegressor")


def save(model: Any, path: str | os.PathLike[str], *, extra: dict[str, Any] | None = None) -> None:
    """Save a fitted estimator, application or ``Pipeline`` to ``path`` (one ``.safetensors`` file, atomic).

    A ``Pipeline`` (or ``make_pipeline``) of a :class:`~hiddenlayers.TableEncoder` then an ``MLPClassifier`` or
    ``MLPRegressor`` (``"passthrough"`` steps allowed) is stored as the MLP with the encoder's preprocessing, as
    ``hiddenlayers train`` stores a model, plus its steps; :func:`load` gives the Pipeline back. So is a Pipeline of
    scikit-learn steps (``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``, ``RobustScaler``, ``SimpleImputer``,
    ``PCA``) then an MLP: the MLP plus each step's class name, parameters and fitted arrays (:mod:`._pipeline_steps`).
    Other pipelines, and a step whose parameters or state are not plain data, are a ``TypeError`` naming the fix (a
    StandardScaler after a TableEncoder: drop it, the encoder standardises).

    Parameters
    ----------
    model : estimator, application or Pipeline
        The fitted model to store.
    path : str or PathLike
        Where to write the file (replaced atomically).
    extra : dict, optional
        JSON-able values stored with an MLP estimator or such a Pipeline, read back by :func:`read_metadata`.
    """
    name = type(model).__name__
    if is_pipeline(model):
        save_pipeline(model, path, extra)
        return
    if name not in MODEL_KINDS or foreign(model):  # scikit-learn's MLPClassifier has our name, not our save()
        raise TypeError(f"save() takes a fitted hiddenlayers estimator or application, or a Pipeline of a TableEncoder (or scikit-learn scalers, imputers, PCA) then an MLP. "
                        f"Received: {name}{foreign_note(model)}.")
    if name in _ESTIMATORS:
        model.save(path, extra=extra)
    elif extra is not None:
        raise TypeError(f"extra= is stored only with MLPClassifier and MLPRegressor. Received {article(name)}.")
    else:
        model.save(path)


def load(path: str | os.PathLike[str], *, device: str | None = None, as_pipeline: bool | None = None) -> Any:
    """Load any model saved by hiddenlayers; predictions match the saved model exactly.

    Never executes code from the file. Raises :class:`ModelFileError` for a missing, truncated, foreign, tampered or
    newer-format file.

    Parameters
    ----------
    path : str or PathLike
        The ``.safetensors`` file :func:`save` (or ``hiddenlayers train``) wrote.
    device : str, optional
        Replaces the saved device (``"cpu"``, ``"cuda"``, ``"auto"``); None keeps the saved one. A bad device, or one this
        machine lacks, is an error of this argument, not a ModelFileError.
    as_pipeline : bool, optional
        None gives what was saved (a ``Pipeline`` for a file :func:`save` wrote from one, else the model); False gives
        the MLP itself, reading raw tables through its stored preprocessing (as the CLI does; after scikit-learn steps
        it reads their output); True gives ``make_pipeline(TableEncoder, MLP)`` for a ``hiddenlayers train``-made MLP
        file too (columns read by name).
    """
    from .. import apps, estimators
    from ..network import resolve_device

    if as_pipeline is not None and not isinstance(as_pipeline, bool):
        raise TypeError(f"as_pipeline must be True, False or None (what was saved). Received: as_pipeline={as_pipeline!r}.")
    meta = read_metadata(path)
    if device is not None:
        resolve_device(device)  # a bad or missing device is the caller's error, not the file's
    kind = meta["estimator"]
    if kind not in _ESTIMATORS:
        if as_pipeline:
            raise ValueError(f"as_pipeline=True is for MLPClassifier and MLPRegressor files; '{path}' holds {article(kind)}: load it with hl.load(path).")
        return getattr(apps, kind).load(path, device=device)
    if meta["format_version"] > BASE_FORMAT_VERSION and not stored_steps(meta):  # its MLP alone would read raw rows wrongly
        raise ModelFileError(f"'{path}' has inconsistent pipeline metadata (format version {meta['format_version']} holds scikit-learn steps, "
                             "and its pipeline record has none); the file was altered or is damaged.")
    model = getattr(estimators, kind).load(path, device=device)
    record = meta.get(PIPELINE_KEY)
    if as_pipeline is False or (as_pipeline is None and record is None):
        return model
    return pipeline_of_model(model, path) if record is None else pipeline_from_file(model, record, path)


__all__ = ["FORMAT_VERSION", "load", "read_metadata", "save"]
