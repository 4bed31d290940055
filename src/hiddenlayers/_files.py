"""Files every stage writes: atomic writes, JSON that keeps non-finite floats, and
the model-file container (safetensors tensors + one JSON metadata document).

Low in the import order on purpose: data loaders, the lens report, the search
result, model files and the CLI all write through :func:`atomic_write_bytes`,
so a crash or Ctrl-C never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ._meta import FORMAT, FORMAT_VERSION, META_KEY, parse_metadata
from .exceptions import ModelFileError

_NONFINITE = "__nonfinite_float__"


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars as Python ones and non-finite floats tagged, ready for ``json.dumps``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return {_NONFINITE: repr(value)}  # JSON has no literal for inf/nan; tagged, so a string "nan" stays a string
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def unjson(value: Any) -> Any:
    """The inverse of :func:`jsonable`: tagged non-finite floats back to floats."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_NONFINITE), str):
        return float(value[_NONFINITE])
    if isinstance(value, list):
        return [unjson(v) for v in value]
    if isinstance(value, dict):
        return {k: unjson(v) for k, v in value.items()}
    return value


def _file_mode(path: Path) -> int:
    """The mode a plain ``open(path, "w")`` would leave: the old file's, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``.

    The folder must exist (a mistyped folder is an error, not created).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(2, f"folder '{path.parent}' does not exist: create it first or choose another output path", str(path.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; keep what open() would give
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_model_file(path: str | os.PathLike[str], estimator: str, body: dict[str, Any], tensors: dict[str, Any]) -> None:
    """Write ``tensors`` (name -> torch tensor) and one JSON document (the format
    header, ``estimator`` and ``body``) to ``path`` as safetensors, atomically."""
    from safetensors.torch import save as st_save

    from . import __version__

    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "library_version": __version__, "estimator": estimator, **body}
    blob = st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata={META_KEY: json.dumps(jsonable(meta), allow_nan=False)})
    atomic_write_bytes(path, blob)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata of a model file, validated, without loading tensors."""
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file '{path}' does not exist: check the path, or train one with `hiddenlayers train`.")
    if path.is_dir():
        raise ModelFileError(f"'{path}' is a folder, not a model file: give the path of a .safetensors file.")
    try:
        with safe_open(str(path), framework="pt") as fh:
            raw = fh.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise ModelFileError(
            f"'{path}' is not a readable safetensors model file ({type(exc).__name__}): it may be truncated, corrupt or of another format."
        ) from None
    return parse_metadata(raw.get(META_KEY), path, ModelFileError)
