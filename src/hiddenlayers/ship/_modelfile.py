"""Model files: one ``.safetensors`` file, configuration as JSON metadata.

Every estimator and application writes itself (``model.save(path)``) into the
one container of :mod:`hiddenlayers._files`; this module is the front door that
needs no class: :func:`save` any fitted model, :func:`read_metadata` without
loading tensors, and :func:`load` whatever a file holds. Loading parses JSON and
raw tensors only: it never runs code or unpickles anything. Writes are atomic.
"""

from __future__ import annotations

import os
from typing import Any

from .._files import read_metadata
from .._meta import FORMAT_VERSION, MODEL_KINDS

_ESTIMATORS = ("MLPClassifier", "MLPRegressor")


def save(model: Any, path: str | os.PathLike[str], *, extra: dict[str, Any] | None = None) -> None:
    """Save a fitted estimator or application to ``path`` (one ``.safetensors`` file, atomic).

    ``extra`` (JSON-able) is stored with an MLP estimator and read back by :func:`read_metadata`.
    """
    name = type(model).__name__
    if name not in MODEL_KINDS:
        raise TypeError(f"save() takes a fitted hiddenlayers estimator or application. Received: {name}.")
    if name in _ESTIMATORS:
        model.save(path, extra=extra)
    elif extra is not None:
        raise TypeError(f"extra= is stored only with MLPClassifier and MLPRegressor. Received a {name}.")
    else:
        model.save(path)


def load(path: str | os.PathLike[str], *, device: str | None = None) -> Any:
    """Load any model saved by hiddenlayers; predictions match the saved model exactly.

    Never executes code from the file. Raises :class:`ModelFileError` for a
    missing, truncated, foreign, tampered or newer-format file.
    """
    from .. import apps, estimators
    from ..network import resolve_device

    meta = read_metadata(path)
    if device is not None:
        resolve_device(device)  # a bad or missing device is the caller's error, not the file's
    package = estimators if meta["estimator"] in _ESTIMATORS else apps
    return getattr(package, meta["estimator"]).load(path, device=device)


__all__ = ["FORMAT_VERSION", "load", "read_metadata", "save"]
