"""Occlusion's sliding window (``method="occlusion"``, Captum's ``Occlusion``): the window and stride per input kind, checked.

Occlusion replaces one patch of each example at a time by the baseline and attributes the output's change to every
element of the patch; an element in several patches gets their average (Zeiler & Fergus 2014, Captum's ``Occlusion``,
one forward pass per window position). ``window`` and ``stride`` are in the network input's layout, one example's shape
(``x.shape[1:]``):

- images ``(C, H, W)``: ``window`` ``(C, h, w)``, or ``(h, w)`` or ``k`` for a ``h x w`` (``k x k``) patch through every
  channel; default ``(C, 3, 3)``, stride ``2`` (each pixel in one to four patches; a quarter of stride 1's passes);
- sequences ``(T, F)``: ``window`` ``(t, f)``, or ``(t,)`` or ``t`` for ``t`` steps of every feature; default 3 steps, stride 1 step;
- tables ``(features,)``: ``window`` ``(k,)`` or ``k``; default ``(1,)``, stride 1: a one-feature window, which is feature
  ablation (``method="feature_ablation"``, the same numbers). A wider window occludes ``k`` adjacent columns together:
  meaningful only where the column order is (a flattened image's pixels, a lag window's steps).

Sizes are Python or NumPy ints: ``np.int64(2)``, a 0-d integer array as one int, a 1-D integer array as a tuple
(``np.array([2, 2])``); bools and floats are refused.

``stride`` is one int per axis of ``window``, or the shorthands: ``(h, w)`` or one int for an image's rows and columns,
``(t,)`` or one int for a sequence's steps (1 along the channels or features, which the window usually covers whole).
As Captum requires, a stride may not exceed the window along an axis the window does not cover whole (the elements
between two patches would never be occluded); the last patch along an axis is cut at the edge, so every element is covered.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

#: the default patch side (images) or steps (sequences) of a window, where the input is at least that long
DEFAULT_SIDE = 3
#: the default stride of an image's window (a sequence's and a table's: 1)
DEFAULT_IMAGE_STRIDE = 2


def _kind(shape: tuple[int, ...]) -> str:
    """The input kind one example's ``shape`` reads as: a table row, a sequence or an image."""
    return {1: "table", 2: "sequence", 3: "image"}.get(len(shape), f"{len(shape)}-axis")


def _layout(shape: tuple[int, ...]) -> str:
    """How the error messages name one example's axes."""
    names = {1: "(features,)", 2: "(T, F)", 3: "(C, H, W)"}.get(len(shape), f"{len(shape)} axes")
    return f"{names} = {tuple(shape)}"


def _axis(shape: tuple[int, ...], axis: int) -> str:
    """Axis ``axis`` of one example of ``shape`` in words: ``"H"``, ``"T"``, ``"features"``, else its number."""
    names = {1: ("features",), 2: ("T", "F"), 3: ("C", "H", "W")}.get(len(shape))
    return names[axis] if names else f"axis {axis}"


def _ints(value: Any) -> tuple[tuple[int, ...], bool] | None:
    """``(sizes, scalar)``: ``value`` as a tuple of ints and whether it came as one int (a one-tuple); None when it is
    neither an int nor a sequence of ints.

    A NumPy integer scalar counts as an int (``np.int64(2)``: ``numbers.Integral``), a 0-d integer array as one too, and a 1-D
    integer array as a tuple (``np.array([2, 2])``, the result of NumPy arithmetic on a shape); bools, floats and float
    arrays do not (``True`` is no size; ``2.0`` may be a rounding away from another size).
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iu" or value.ndim > 1 or value.size == 0:
            return None
        return tuple(int(v) for v in value.reshape(-1)), value.ndim == 0
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return (int(value),), True
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in value):
        return tuple(int(v) for v in value), False
    return None


def _expand(sizes: tuple[int, ...], shape: tuple[int, ...], whole: bool, scalar: bool) -> tuple[int, ...] | None:
    """``sizes`` written for ``shape``'s kind, as one size per axis; None when the count of sizes fits no form.

    ``whole``: the axes an image's or sequence's shorthand leaves out are taken whole (a window's channels, features);
    else they get 1 (a stride's). ``scalar``: ``sizes`` came as one int (an image's ``k``: ``k x k``).
    """
    kind, n = _kind(shape), len(shape)
    if len(sizes) == n:
        return sizes
    if kind == "image" and (len(sizes) == 2 or scalar):
        hw = sizes * 2 if scalar else sizes
        return ((shape[0] if whole else 1), *hw)
    if kind == "sequence" and len(sizes) == 1:
        return (sizes[0], shape[1] if whole else 1)
    if scalar and not whole:
        return sizes * n  # a stride of one int: every axis
    return None


def default_window(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The window of :func:`occlusion_window` when none is given (see the module docstring)."""
    kind = _kind(shape)
    if kind == "table":
        return (1,)
    if kind == "sequence":
        return (min(DEFAULT_SIDE, shape[0]), shape[1])
    if kind == "image":
        return (shape[0], min(DEFAULT_SIDE, shape[1]), min(DEFAULT_SIDE, shape[2]))
    raise ValueError(f"method='occlusion' has no default window for inputs of {_layout(shape)} per example: "
                     f"pass window= with one size per axis, e.g. window={(1,) * len(shape)}.")


def occlusion_window(window: Any, stride: Any, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(window, stride)`` for Captum's ``Occlusion`` (``sliding_window_shapes``, ``strides``) on examples of ``shape``.

    ``window``, ``stride``: as the module docstring reads them (None: the defaults per input kind). ``shape``: one
    example's network-input shape, ``x.shape[1:]``. A size that is no positive int, a window larger than the input
    along an axis, a count of sizes that fits no form, or a stride over the window along an axis the window does not
    cover whole, is one ``ValueError`` line naming the shapes and the fix (Captum would fail on an ``assert``).
    """
    shape = tuple(int(s) for s in shape)
    win = default_window(shape) if window is None else _sizes("window", window, shape, whole=True)
    if stride is None:
        step = tuple(DEFAULT_IMAGE_STRIDE if _kind(shape) == "image" and i > 0 else 1 for i in range(len(shape)))
    else:
        step = _sizes("stride", stride, shape, whole=False)
    for axis, (w, s, d) in enumerate(zip(win, step, shape, strict=True)):
        if w > d:
            raise ValueError(f"window={_shown(window, win)} does not fit the input, {_layout(shape)} per example: {_axis(shape, axis)} is "
                             f"{d} long and the window {w}; pass sizes within the input's, e.g. window={default_window(shape)}.")
        if s > w and w < d:
            raise ValueError(f"stride={_shown(stride, step)} is larger than window={win} along {_axis(shape, axis)} ({s} > {w}): the "
                             f"elements between two windows would never be occluded; pass a stride <= the window, e.g. stride={min(s, w)}.")
    return win, step


def _shown(given: Any, sizes: tuple[int, ...]) -> Any:
    """The value the user passed, or the default sizes when they passed none (for the error message)."""
    return sizes if given is None else given


def _sizes(name: str, value: Any, shape: tuple[int, ...], *, whole: bool) -> tuple[int, ...]:
    """``window`` or ``stride`` (``name``) as one positive size per axis of ``shape``; else one line naming the forms."""
    found = _ints(value)
    sizes, scalar = found if found is not None else (None, False)
    forms = {"image": "(C, h, w), (h, w) or one int", "sequence": "(t, f), (t,) or one int",
             "table": "(k,) or one int"}.get(_kind(shape), f"{len(shape)} ints")
    if sizes is None or any(s < 1 for s in sizes):
        raise ValueError(f"{name} must be positive ints, {forms} for inputs of {_layout(shape)} per example. Received: {name}={value!r}.")
    full = _expand(sizes, shape, whole, scalar=scalar)
    if full is None:
        raise ValueError(f"{name}={value!r} has {len(sizes)} size(s), which fit no form for inputs of {_layout(shape)} per example: "
                         f"pass {forms}.")
    return full


__all__ = ["DEFAULT_IMAGE_STRIDE", "DEFAULT_SIDE", "default_window", "occlusion_window"]
