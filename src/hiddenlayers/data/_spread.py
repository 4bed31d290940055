"""The one standardisation rule of a numeric column: its mean and spread at any magnitude, and when it is constant.

Why: ``np.std`` squares the values, so a column of 1e-300 (the squares underflow to 0) read as constant and one
of 1e300 (they overflow to inf) got an infinite scale, its standardised values all 0 and the answers NaN. And an
absolute test, "a spread under 1e-12 is constant", read a column in small units (1e-13 ± 5e-14, or 1e-30) as
constant: standardised by 1, its values reached the network as ~0 and the column's signal was lost without a word.
scikit-learn's ``StandardScaler`` judges "constant" relative to the column's level; so does :func:`unit_scale`.

>>> import numpy as np
>>> mean, std = center_spread(np.array([[1e-30], [3e-30]]))
>>> f"{mean[0]:.3g} {unit_scale(mean, std)[0]:.3g}"
'2e-30 1e-30'
"""

from __future__ import annotations

from typing import Any

import numpy as np

RELATIVE_TINY = 1e-12
"""A spread at most this fraction of the mean's size is rounding, not signal: the column is only centred."""


def center_spread(values: Any, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The mean and population standard deviation (``ddof=0``, as ``np.std``) of ``values`` along ``axis``, float64.

    Both are computed on the values divided by the power of two at or above their largest magnitude along ``axis``,
    then scaled back, so neither the sum nor the squares overflow or underflow: a column of 1e300 or of 1e-300 gets
    its true spread. A power of two scales exactly, so where ``np.mean`` and ``np.std`` neither overflow nor
    underflow the results are theirs, bit for bit.

    Parameters
    ----------
    values : array-like of float
        Finite numbers, at least one along ``axis``: e.g. ``(n_rows, n_columns)`` with ``axis=0`` for each column's statistics.
    axis : int
        The axis the statistics run along (the rows).

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, std)``, each of ``values``' shape without ``axis``.
    """
    v = np.asarray(values, dtype=np.float64)
    peak = np.max(np.abs(v), axis=axis, keepdims=True)
    peak = np.ldexp(1.0, np.frexp(np.where((peak > 0) & np.isfinite(peak), peak, 1.0))[1])  # 2**e >= peak
    scaled = v / peak
    return np.squeeze(peak, axis) * scaled.mean(axis=axis), np.squeeze(peak, axis) * scaled.std(axis=axis)


def unit_scale(mean: Any, std: Any) -> np.ndarray:
    """The divisor that standardises a column: ``std``, or 1.0 where it is 0, not finite, or at most
    :data:`RELATIVE_TINY` times ``|mean|`` (a column constant but for rounding is only centred).

    Parameters
    ----------
    mean : float or numpy.ndarray
        Each column's mean.
    std : float or numpy.ndarray
        Each column's standard deviation, of ``mean``'s shape.

    Returns
    -------
    numpy.ndarray
        The scales, float64, of ``std``'s shape (a 0-d array for scalars: ``float()`` it).
    """
    s = np.array(std, dtype=np.float64)
    return np.where(constant_spread(mean, s), 1.0, s)


def constant_spread(mean: Any, std: Any) -> np.ndarray:
    """Where a column is constant, the rule :func:`unit_scale` standardises by: ``std`` 0, not finite, or at most
    :data:`RELATIVE_TINY` times ``|mean|``.

    Parameters
    ----------
    mean : float or numpy.ndarray
        Each column's mean.
    std : float or numpy.ndarray
        Each column's standard deviation, of ``mean``'s shape.

    Returns
    -------
    numpy.ndarray
        A bool array of ``std``'s shape (0-d for scalars).
    """
    s = np.array(std, dtype=np.float64)
    return ~np.isfinite(s) | (s <= 0) | (s <= RELATIVE_TINY * np.abs(np.asarray(mean, dtype=np.float64)))
