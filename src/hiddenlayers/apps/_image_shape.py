"""How an :class:`~hiddenlayers.apps.ImageClassifier` tells the axes of an array of images apart, and what it says when it cannot.

Arrays come as ``(N, H, W)``, ``(N, H, W, C)`` (numpy's, Keras') or ``(N, C, H, W)`` (PyTorch's), with 1, 3 or 4
channels: :func:`channels_last` says which of the two 4-D orders an array is in, :func:`shape_hint` the fix for
an array that is neither.
"""

from __future__ import annotations

import math

import numpy as np


def channels_last(shape: tuple[int, ...], fitted: tuple[int, ...] | None) -> bool:
    """Whether a 4-D array of images ``shape`` whose last axis may hold channels (1, 3 or 4) is ``(N, H, W, C)``.

    Where its second axis may too (tiny images: ``(N, 1, 4, 4)`` is PyTorch's 4 x 4 grayscale, not 1 x 4 RGBA), a fitted
    model's ``(C, H, W)`` decides when one reading gives it; otherwise the channels are the smaller of the two axes, as
    images are wider than they have channels, and a tie (``(N, 4, 4, 4)``) is channels-last, numpy's order.
    """
    first, last = int(shape[1]), int(shape[-1])
    if first not in (1, 3, 4):
        return True
    if fitted is not None:
        as_last, as_first = (last, *shape[1:3]), tuple(shape[1:])
        if (tuple(fitted) == as_last) != (tuple(fitted) == as_first):
            return tuple(fitted) == as_last
    return last <= first


def shape_hint(a: np.ndarray, fitted: tuple[int, ...] | None) -> str:
    """How to fix images ``a`` of the wrong shape, for a model fitted on ``fitted`` ``(C, H, W)`` (None: not fitted): one image
    of the fitted size, flat rows of pixels (the fitted size, once known), images of 4+ axes whose channels are not where
    they go (a reshape, which flat rows take, would mix their pixels), or of 2 channels where they go (gray and alpha)."""
    if a.ndim >= 4:
        if fitted is not None and a.ndim == 4 and sorted(a.shape[1:]) == sorted(int(d) for d in fitted):
            c, h, w = fitted
            return (f"each image holds the fitted {h} x {w} pixels of {c} channel(s) with its axes in another order: move the channel "
                    "axis right after N or to the end with np.moveaxis (a reshape would mix up the pixels).")
        if a.ndim == 4 and 2 in (a.shape[1], a.shape[-1]):  # the channels are where they go, but no image has 2 (told to move them)
            gray = "X[:, :1]" if a.shape[-1] != 2 else "X[..., :1]"
            return f"2 channels are none of those (grayscale with alpha, Pillow's mode 'LA'?): keep the gray channel, {gray}, or give RGB images."
        ones = tuple(i for i in range(1, a.ndim) if a.shape[i] == 1)
        extra = f" and drop the extra axes of size 1, np.squeeze(X, axis={ones if len(ones) > 1 else ones[0]})" if a.ndim > 4 and ones else ""
        return f"put the channels, 1 (grayscale), 3 (RGB) or 4 (RGBA), on the axis right after N or on the last one{extra}."
    if fitted is None:
        side = math.isqrt(a.shape[1]) if a.ndim == 2 and a.shape[1] > 0 else 0
        if side * side == (a.shape[1] if a.ndim == 2 else -1):  # square images (digits: 64 = 8 x 8)
            return f"for flat rows of pixels reshape them, e.g. X.reshape(-1, {side}, {side}) if each row is a square image."
        return "for flat rows of pixels reshape them to (N, H, W), e.g. X.reshape(-1, 28, 28) for 784 values a row."
    channels, height, width = fitted
    one = (height, width) if channels == 1 else (height, width, channels)
    if a.shape in (one, tuple(fitted)):
        return "this is one image: pass a batch of one, X[None]."
    return f"for flat rows of pixels reshape them to the fitted size, X.reshape(-1, {', '.join(map(str, one))})."


__all__ = ["channels_last", "shape_hint"]
