"""One check of X's shape that every estimator shares (``MLPClassifier``, ``MLPRegressor`` and the applications), and
one count of X's rows (:func:`row_count`) that the lens and ``cost`` share.

scikit-learn's ``check_array`` answers a 1-D X with a message over three lines
that prints every value; this one is a single line naming the shape and both
reshapes. It is still a ``ValueError`` (a :class:`~hiddenlayers.exceptions.DataError`)
and still says "Reshape your data", as scikit-learn's ``check_estimator``
requires of 1-D input. It lives in ``data/``, the lowest stage, so the
estimators and the applications share it without one importing the other.

>>> require_2d([[1.0, 2.0]])
>>> require_2d([1.0, 2.0])
Traceback (most recent call last):
...
hiddenlayers.exceptions.DataError: X must be 2-D (n_samples, n_features). Received shape (2,). Reshape your data with X.reshape(-1, 1) if it holds one feature, or X.reshape(1, -1) if it is one sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import DataError


def refuse_meta(data: Any) -> None:
    """Raise a one-line :class:`DataError` when ``data`` is a PyTorch tensor on the ``meta`` device, which has a shape but
    no values; anything else passes.

    Why: PyTorch's own errors said "Use Tensor.cpu() to copy the tensor to host memory first" (the estimators) or
    "Tensor.item() cannot be called on meta tensors" (the lens), neither of which can help. The estimators, the
    applications and the lens share it.

    Parameters
    ----------
    data : object
        The rows (or targets) as the caller passed them.
    """
    device = getattr(data, "device", None)
    if getattr(device, "type", None) == "meta" and hasattr(data, "shape"):
        raise DataError(f"the data is a tensor on the 'meta' device (shape {tuple(data.shape)}), which holds no values, only a shape: "
                        "pass the tensor with its values (made on 'cpu' or 'cuda', or loaded with the weights it stands for).")


def require_2d(X: Any, name: str = "X") -> None:
    """Raise a one-line :class:`DataError` when ``X`` has fewer than 2 axes.

    Inputs whose shape cannot be read (a ragged list) pass: ``check_array`` explains those. More than 2 axes is left to
    the caller, which may take them.

    Parameters
    ----------
    X : array-like
        An array, list, DataFrame, Series or sparse matrix.
    name : str
        What the message calls the input (``"X"``, ``"codes"``).
    """
    shape = getattr(X, "shape", None)  # arrays, frames, sparse matrices, tensors: no conversion
    if not isinstance(shape, tuple):
        try:  # lists, scalars, array-likes; np.asarray, as np.shape would refuse objects that only define __array__
            shape = np.asarray(X).shape
        except (ValueError, TypeError):  # a ragged list: check_array says so
            return
    shape = tuple(shape)  # torch.Size prints as torch.Size([n])
    if len(shape) < 2:
        raise DataError(
            f"{name} must be 2-D (n_samples, n_features). Received shape {shape}. Reshape your data with {name}.reshape(-1, 1) "
            f"if it holds one feature, or {name}.reshape(1, -1) if it is one sample."
        )


def row_count(X: Any) -> int | None:
    """The rows of ``X``, or None for anything else, which each caller answers in its own words.

    The first axis of anything with a shape (an array, tensor, DataFrame, or a SciPy sparse matrix, which has no
    ``len``), the length of a list (an application's texts or sequences); None for a 0-d array, a tuple, a loader (the
    lens says what to pass instead).

    Parameters
    ----------
    X : object
        The input.

    Examples
    --------
    >>> row_count(np.zeros((3, 2))), row_count(["a text", "another"]), row_count(np.float64(1.0))
    (3, 2, None)
    """
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    return len(X) if isinstance(X, list) else None


__all__ = ["require_2d", "row_count"]
