"""The 0-1 pixel-scale guard of an ImageClassifier and its callers: when float pixels look like another scale, and what to say.

A model fitted on pixels 0-1 (uint8 images it scaled by 1/255, or floats such as digits ``X / 16``) reads float
pixels above :data:`UNIT_SCALE_MAX` far too bright, and pixels below :data:`UNIT_SCALE_MIN` are standardised ones
(torchvision's ``Normalize``), which it standardises a second time (:func:`standardised_pixels`, :func:`standardised_advice`).
``predict`` warns, the server and the CLI refuse; each names the fix through :func:`scale_advice`, from the training
pixels' own range (``pixel_range_``, ``pixel_dtype_``, stored at fit): "divide by 255" is right only for 0-255 images,
not for digits fitted on ``X / 16``. Files written before the range was stored have none: the callers keep their
generic wording.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: a fitted ImageClassifier whose every channel has ``mean_ + scale_`` (mean + std of the pixels it was fitted on, as
#: its network reads them) at most this read pixels on the 0-1 scale: pixels in [0, 1] cannot exceed about 1.21
UNIT_SCALE_FIT = 1.25
#: the largest float pixel such a model takes: above it the pixels are on the 0-255 scale (uint8 given as floats)
UNIT_SCALE_MAX = 1.5
#: the smallest float pixel a model fitted on pixels 0-1 (none below 0) takes: below it the pixels were standardised, as
#: torchvision's ``Normalize`` does ((x - mean) / std: from about -0.42 for MNIST's statistics, -1 for 0.5/0.5, -2.1 for ImageNet's)
UNIT_SCALE_MIN = -0.25


def fitted_on_unit_scale(app: Any) -> bool:
    """Whether ``app`` was fitted on pixels 0-1: uint8 images it scaled by 1/255, or floats 0-1.

    Its stored standardisation is all it keeps of its training pixels: per channel the mean (``mean_``) and the standard
    deviation (``scale_``) of the pixels as the network read them. Values in [0, 1] have
    ``mean + std <= (1 + sqrt(2)) / 2 ~ 1.21``; pixels fitted on the 0-255 scale almost never do.

    Parameters
    ----------
    app : ImageClassifier
        A fitted ImageClassifier.
    """
    mean, scale = (np.asarray(getattr(app, k, np.nan), dtype=np.float64) for k in ("mean_", "scale_"))
    return bool(mean.size and np.isfinite(mean + scale).all() and (mean + scale <= UNIT_SCALE_FIT).all())


def fitted_beyond_unit_scale(app: Any) -> bool:
    """Whether ``app`` is known to be fitted on float pixels beyond 0-1 (0-255 images given as floats).

    Its stored ``mean_``/``scale_`` are finite and off :func:`fitted_on_unit_scale`'s scale. Such a model reads uint8
    pixels scaled by 1/255 255 times too dark: predict warns, the server and the CLI refuse them. An export from before
    the statistics were stored (NaN) is neither on nor beyond the 0-1 scale: nothing is refused.

    Parameters
    ----------
    app : ImageClassifier
        A fitted ImageClassifier, or an export's stand-in.
    """
    mean, scale = (np.asarray(getattr(app, k, np.nan), dtype=np.float64) for k in ("mean_", "scale_"))
    return bool(mean.size and np.isfinite(mean + scale).all() and not fitted_on_unit_scale(app))


def standardised_pixels(app: Any, low: float) -> bool:
    """Whether pixels down to ``low`` given to ``app`` are standardised ones (torchvision's ``Normalize``), not its pixels.

    ``app`` was fitted on pixels 0-1 (:func:`fitted_on_unit_scale`) none of which was below 0 (its ``pixel_range_``; a
    file without it says nothing), and ``low`` is below :data:`UNIT_SCALE_MIN`. The model standardises its pixels
    itself, with its ``mean_`` and ``scale_``: standardised ones it reads shifted and squeezed, and predicted from
    them without a word (pixels -1 to 1 of ``Normalize((0.5,), (0.5,))`` never reached the 0-255 guard).

    Parameters
    ----------
    app : ImageClassifier
        A fitted ImageClassifier.
    low : float
        The smallest pixel given.
    """
    span = getattr(app, "pixel_range_", None)
    return span is not None and float(span[0]) >= 0 and low < UNIT_SCALE_MIN and fitted_on_unit_scale(app)


def standardised_advice(uint8_fix: str) -> str:
    """What a model fitted on pixels 0-1 says to standardised pixels (:func:`standardised_pixels`), after "but".

    Parameters
    ----------
    uint8_fix : str
        The caller's words for giving 0-255 pixels as uint8 (``"pass the images as a uint8 array"``).
    """
    return ("the model was fitted on pixels 0-1 and standardises them itself (mean_, scale_): pass the pixels before any normalisation "
            f"(undo torchvision's Normalize, X * std + mean), 0-1, or {uint8_fix}.")


def scale_advice(app: Any, value: float, uint8_fix: str, these: str = "the floats") -> str | None:
    """What the model was fitted on and how to scale float pixels up to ``value`` to it, from its training range; None without one.

    A model fitted on floats ``low``-``high`` is told to scale them the same way, e.g. a division by ``value / high``
    (16 for raw digits against a model fitted on ``X / 16``) if ``value`` is their full scale. One fitted on uint8 images
    is told to give 0-255 pixels, or to divide by 255; pixels beyond 255 (16-bit images, 0-65535) to divide by their
    full scale instead, as 255 would leave them up to 257.

    Parameters
    ----------
    app : ImageClassifier
        The fitted model.
    value : float
        The largest pixel given.
    uint8_fix : str
        The caller's words for giving 0-255 pixels as uint8 (``"pass the images as a uint8 array"``), offered only for a
        model fitted on uint8 images.
    these : str
        What the pixels are called in "or divide {these} by 255" (``"them"`` for an integer array, which holds no
        floats).
    """
    span, dtype = getattr(app, "pixel_range_", None), getattr(app, "pixel_dtype_", None)
    if span is None or dtype is None:
        return None
    low, high = (float(v) for v in span)
    if dtype == "uint8" and value > 255.5:  # no 0-255 pixels: dividing by 255 left 16-bit pixels up to 257, still refused
        return (f"the model was fitted on uint8 images 0-255 (scaled by 1/255), and pixels beyond 255 are not 8-bit: divide {these} by "
                "their full scale, 65535 for 16-bit images, to pixels 0-1.")
    if dtype == "uint8":
        return f"the model was fitted on uint8 images 0-255 (scaled by 1/255): {uint8_fix}, or divide {these} by 255."
    factor = f"{value / high:.4g}" if high > 0 else f"{value:.4g}"
    return (f"the model was fitted on float pixels from {low:.4g} to {high:.4g}: scale these as its training images were, "
            f"e.g. divide them by {factor} if {value:.4g} is their full scale.")


def pixel_words(dtype: Any) -> tuple[str, str]:
    """``(adjective, pronoun)`` for pixels of NumPy ``dtype`` in a message.

    ``("float", "the floats")`` for floats (or an unknown dtype: a table's numbers), ``("int64", "them")`` for an
    integer array, which an "int64 array of float pixels" misnamed.

    Parameters
    ----------
    dtype : numpy dtype or None
        The pixels' dtype.
    """
    kind = np.dtype(dtype) if dtype is not None else None
    return ("float", "the floats") if kind is None or kind.kind == "f" else (str(kind), "them")


__all__ = ["UNIT_SCALE_FIT", "UNIT_SCALE_MAX", "UNIT_SCALE_MIN", "fitted_beyond_unit_scale", "fitted_on_unit_scale", "pixel_words", "scale_advice",
           "standardised_advice", "standardised_pixels"]
