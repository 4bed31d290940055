"""What an ``Autoencoder`` file's standardization, threshold and constant columns must be for its scores to mean anything.

Why: ``load`` took them as written. An edited or damaged file whose ``scale`` held a 0 or NaN scored every row NaN
(``predict`` flagged them all), one whose ``mean`` was an integer tensor loaded truncated and scored every row
differently, one with a ``mean`` of the wrong length failed at scoring in NumPy's broadcast error, and one without its
``offset_`` failed at ``predict`` as an ``AttributeError`` (the command line's "internal error"). Each is a
``ValueError`` here, which :func:`~._appfile.file_errors` makes one ``ModelFileError`` naming the file.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import torch


def file_standardization(mean: torch.Tensor, scale: torch.Tensor, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """``mean_`` and ``scale_`` (float64, shape ``(n_features,)``) from a file's ``mean`` and ``scale`` tensors, else a ``ValueError``.

    Each must be a float tensor (float32 or float64, what ``save`` writes) of shape ``(n_features,)``, finite, the
    scale above 0 (``fit`` gives a constant column the scale 1, and ``standardize=False`` every column).

    Parameters
    ----------
    mean, scale : torch.Tensor
        The file's tensors ``mean`` and ``scale``.
    n_features : int
        The file's ``n_features_in_``: the columns each holds one value for.
    """
    out = []
    for name, tensor in (("mean", mean), ("scale", scale)):
        if tensor.dtype not in (torch.float32, torch.float64) or tuple(tensor.shape) != (n_features,):
            raise ValueError(f"tensor {name!r} is {str(tensor.dtype).removeprefix('torch.')} of shape {tuple(tensor.shape)}, not float of shape "
                             f"({n_features},), one value per column")
        values = tensor.detach().cpu().numpy().astype(np.float64)
        if not np.isfinite(values).all() or (name == "scale" and not (values > 0).all()):
            raise ValueError(f"tensor {name!r} holds {'NaN or infinite' if not np.isfinite(values).all() else 'zero or negative'} values, "
                             "so every score would be NaN or wrong")
        out.append(values)
    return out[0], out[1]


def file_offset(value: Any) -> float:
    """A file's ``offset_`` (the threshold ``decision_function`` subtracts) as a finite float, else a ``ValueError``.

    Parameters
    ----------
    value : Any
        The value the file's JSON holds (None where the key is missing).
    """
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"offset_ {value!r} is not a finite number: predict and decision_function need the fitted threshold")
    return float(value)


def file_column_indices(value: Any, n_features: int) -> list[int]:
    """A file's ``constant_columns_``: distinct column positions below ``n_features``, else a ``ValueError``.

    Parameters
    ----------
    value : Any
        The value the file's JSON holds.
    n_features : int
        The file's ``n_features_in_``.
    """
    if not isinstance(value, list) or not all(type(j) is int and 0 <= j < n_features for j in value) or len(set(value)) != len(value):
        raise ValueError(f"constant_columns_ {value!r} are not distinct column positions below n_features_in_ {n_features}")
    return value


__all__ = ["file_column_indices", "file_offset", "file_standardization"]
