"""The one pixel rule of an ImageClassifier's callers (the server, the command line): values + dtype -> the app's input.

:func:`image_input` checks pixel values and turns them into the array the app's
``predict`` reads, ``(N, H, W)`` (one channel) or ``(N, H, W, C)``, or raises a
:class:`PixelError` (a ValueError) whose ``problem`` names the rule broken, so each
caller can say it in its own words (an HTTP 422, a CLI line) with the fix its user has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import F32_MAX

#: how pixel values are read: ``float32`` as given; ``uint8`` whole numbers 0-255 the app scales by 1/255 (as a camera's array)
PIXEL_DTYPES = ("float32", "uint8")
#: how an image's values are ordered: ``hwc`` (numpy's ``(H, W, C)``), ``chw`` (PyTorch's ``(C, H, W)``), ``any`` (each image's shape says)
IMAGE_LAYOUTS = ("hwc", "chw", "any")


class PixelError(ValueError):
    """Pixel values an ImageClassifier cannot read.

    Parameters
    ----------
    problem : {"numbers", "shape", "finite", "float32_range", "standardised", "unit_scale", "uint8"}
        The rule broken (``standardised``: pixels below ``UNIT_SCALE_MIN`` for a model fitted on pixels 0-1, which
        torchvision's ``Normalize`` gives).
    message : str
        The error's text.
    image : int, optional
        The first bad image's index (0-based; None for ``numbers`` and ``shape``).
    value : float, optional
        That image's largest absolute (``float32_range``), largest (``unit_scale``) or smallest (``standardised``) pixel.
    """

    def __init__(self, problem: str, message: str, *, image: int | None = None, value: float | None = None) -> None:
        super().__init__(message)
        self.problem, self.image, self.value = problem, image, value


def image_shapes(app: Any, layout: str = "any") -> dict[tuple[int, ...], tuple[int, ...] | None]:
    """The shapes one image of ``app`` may have in ``layout`` -> the transpose to ``(H, W, C)`` (None: a reshape does).

    One channel: ``(H, W)``, ``(H, W, 1)``, ``(1, H, W)`` all read alike.
    """
    c, h, w = (int(d) for d in app.image_shape_)
    if c == 1:
        return {(h, w): None, (h, w, 1): None, (1, h, w): None}
    shapes: dict[tuple[int, ...], tuple[int, ...] | None] = {}
    if layout in ("hwc", "any"):
        shapes[(h, w, c)] = None
    if layout in ("chw", "any"):
        shapes[(c, h, w)] = (1, 2, 0)
    return shapes


def image_input(app: Any, values: Any, dtype: str = "float32", *, layout: str = "hwc", float64: bool = False) -> np.ndarray:
    """Pixel ``values`` of a fitted ImageClassifier ``app`` as its ``predict`` reads them, checked.

    Returns float32 (float64) or uint8 ``(N, H, W)`` (one channel) or ``(N, H, W, C)``. Raises :class:`PixelError` naming
    the rule broken.

    Parameters
    ----------
    app : ImageClassifier
        The fitted model (its ``image_shape_``).
    values : array-like
        ``(N, H*W*C)`` (each image flattened in ``layout`` order) or ``(N, *image)`` with each image of a shape of
        :func:`image_shapes`.
    dtype : {"float32", "uint8"}
        ``"float32"``: pixels as given (finite, within float32's range; a model fitted on pixels 0-1 refuses pixels above
        :data:`UNIT_SCALE_MAX`, which are 0-255 pixels given as floats, and, fitted on none below 0, pixels below
        ``UNIT_SCALE_MIN``, standardised ones); ``"uint8"``: whole numbers 0-255, which the app
        scales by 1/255.
    layout : {"hwc", "chw", "any"}
        The order of a flattened image's values and the image shapes read: ``"hwc"`` (channels last), ``"chw"``
        (PyTorch's order) or ``"any"`` (either image shape; no flattened rows).
    float64 : bool
        The model computes in float64 (a float64 ONNX graph), so float pixels are float64 and need no float32 range.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from hiddenlayers.ship import image_input
    >>> app = SimpleNamespace(image_shape_=(3, 2, 2))  # a fitted ImageClassifier's (C, H, W)
    >>> chw = np.arange(12).reshape(1, 3, 2, 2)  # PyTorch's order
    >>> image_input(app, chw.reshape(1, -1), "uint8", layout="chw").shape  # flat columns in (C, H, W) order
    (1, 2, 2, 3)
    >>> image_input(app, chw + 0.5, "uint8", layout="any").dtype
    Traceback (most recent call last):
    ...
    hiddenlayers.ship._pixels.PixelError: image 0 holds values that are not whole numbers 0-255, as dtype uint8 needs.
    """
    if dtype not in PIXEL_DTYPES or layout not in IMAGE_LAYOUTS:
        raise ValueError(f"dtype must be one of {PIXEL_DTYPES} and layout one of {IMAGE_LAYOUTS}. Received: dtype={dtype!r}, layout={layout!r}.")
    try:
        a = np.asarray(values)
    except ValueError:
        a = np.asarray(None)  # ragged nested lists: not an array of numbers
    if a.dtype.kind not in "iuf" or a.ndim < 2:
        raise PixelError("numbers", f"pixels must be numbers in an array (N, ...) of images of one shape; received {a.dtype} values of shape {a.shape}.")
    c, h, w = (int(d) for d in app.image_shape_)
    shapes = image_shapes(app, layout)
    if a.ndim == 2 and a.shape[1] == c * h * w and layout != "any":
        a = a.reshape(len(a), *((c, h, w) if layout == "chw" else (h, w, c)))
    if a.shape[1:] not in shapes:
        raise PixelError("shape", f"each image has shape {a.shape[1:]}, but the model reads {h} x {w} pixels with {c} channel(s): "
                                  f"give {' or '.join(str(list(s)) for s in shapes)}, resized as in fit.")
    _check_values(app, a, dtype, float64)
    perm = shapes[a.shape[1:]]
    a = a.transpose(0, *(p + 1 for p in perm)) if perm is not None else a.reshape(len(a), *((h, w) if c == 1 else (h, w, c)))
    return np.ascontiguousarray(a, dtype=np.uint8 if dtype == "uint8" else np.float64 if float64 else np.float32)


def _first(bad: np.ndarray) -> int:
    """The index of the first image with a True in ``bad`` (N, ...)."""
    return int(np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1))[0])


def _check_values(app: Any, a: np.ndarray, dtype: str, float64: bool = False) -> None:
    """Raise :class:`PixelError` for the first rule the pixels ``a`` (N, ...) break: finite, float32's range (unless ``float64``),
    the 0-1 scale, uint8's 0-255."""
    if not a.size:
        return
    if not np.isfinite(a).all():
        raise PixelError("finite", f"image {_first(~np.isfinite(a))} holds NaN or infinity: give finite pixel values.", image=_first(~np.isfinite(a)))
    if dtype == "float32":
        big = np.abs(a) > (np.inf if float64 else F32_MAX)  # else the app's float32 pass makes it inf
        if big.any():
            i = _first(big)
            v = float(np.abs(a[i]).max())
            raise PixelError("float32_range", f"image {i} holds values beyond float32's range (largest {v:.3g}).", image=i, value=v)
        from ..apps import UNIT_SCALE_MAX, UNIT_SCALE_MIN, fitted_on_unit_scale, standardised_pixels  # here: the ONNX path imports no torch

        if standardised_pixels(app, float(a.min())):
            i = _first(a < UNIT_SCALE_MIN)
            v = float(a[i].min())
            raise PixelError("standardised", f"image {i} holds float pixels down to {v:.4g}, but the model was fitted on pixels 0-1.", image=i, value=v)
        if fitted_on_unit_scale(app) and float(a.max()) > UNIT_SCALE_MAX:
            i = _first(a > UNIT_SCALE_MAX)
            v = float(a[i].max())
            raise PixelError("unit_scale", f"image {i} holds float pixels up to {v:.4g}, but the model was fitted on pixels 0-1.", image=i, value=v)
        return
    bad = (a < 0) | (a > 255)
    if a.dtype.kind == "f":
        bad |= a != np.trunc(a)
    if bad.any():
        raise PixelError("uint8", f"image {_first(bad)} holds values that are not whole numbers 0-255, as dtype uint8 needs.", image=_first(bad))
