"""Whether a fitted ImageClassifier read pixels on the 0-1 scale, from its stored standardisation alone.

NumPy only (no PyTorch): the server of an ImageClassifier's ONNX export, which imports no PyTorch, applies the same
rule to the mean and scale its file stores as :class:`~hiddenlayers.apps.ImageClassifier` keeps them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: a fitted ImageClassifier whose every channel has ``mean_ + scale_`` (mean + std of the pixels it was fitted on, as
#: its network reads them) at most this read pixels on the 0-1 scale: pixels in [0, 1] cannot exceed about 1.21
UNIT_SCALE_FIT = 1.25
#: the largest float pixel such a model takes: above it the pixels are on the 0-255 scale (uint8 given as floats)
UNIT_SCALE_MAX = 1.5


def fitted_on_unit_scale(app: Any) -> bool:
    """Whether ``app`` (a fitted ImageClassifier) was fitted on pixels 0-1: uint8 images it scaled by 1/255, or floats 0-1.

    Its stored standardisation is all it keeps of its training pixels: per channel the mean (``mean_``) and
    the standard deviation (``scale_``) of the pixels as the network read them. Values in [0, 1] have
    ``mean + std <= (1 + sqrt(2)) / 2 ~ 1.21``; pixels fitted on the 0-255 scale almost never do.
    """
    mean, scale = (np.asarray(getattr(app, k, np.nan), dtype=np.float64) for k in ("mean_", "scale_"))
    return bool(mean.size and np.isfinite(mean + scale).all() and (mean + scale <= UNIT_SCALE_FIT).all())


__all__ = ["UNIT_SCALE_FIT", "UNIT_SCALE_MAX", "fitted_on_unit_scale"]
