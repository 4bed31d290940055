"""The recursive multi-step forecast of a direct ``horizon``-step model, in NumPy (no PyTorch: the ONNX server runs it too).

:func:`recursive_forecast` is :meth:`Forecaster.forecast_many`'s loop past ``horizon``, given the one pass that turns
windows into their next block, so a Forecaster (its network) and a served ``.onnx`` export (its graph) forecast alike.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def recursive_forecast(next_block: Callable[[np.ndarray], np.ndarray], last: np.ndarray, steps: int) -> np.ndarray:
    """The next ``steps`` values after each window of ``last``: ``(n, steps)``, in series units.

    Each block is fed back as the newest inputs of the next.

    Parameters
    ----------
    next_block : callable
        Maps windows ``(n, window)`` (series units, oldest first) to their next ``horizon`` values ``(n, horizon)``: one
        pass for all n windows per block.
    last : numpy.ndarray of shape (n, window)
        The windows, oldest first.
    steps : int
        Values to forecast after each.
    """
    window = last.shape[1]
    hist, blocks, done = last, [], 0
    while done < steps:
        blocks.append(next_block(hist))
        done += blocks[-1].shape[1]
        hist = np.concatenate([hist, blocks[-1]], axis=1)[:, -window:]
    return np.concatenate(blocks, axis=1)[:, :steps]


__all__ = ["recursive_forecast"]
