"""The report's "Top features" section for images and sequences: where in the example the outputs look.

A table's features are ranked as bars (:func:`~._report._features`); an image's pixels or a sequence's steps are too many
to rank and mean something only where they are, so they are drawn as a map instead: the mean |attribution| of each
element over (at most 300 of) the rows, each row for its own predicted output (:func:`~hiddenlayers.lens.feature_importance`),
an image's channels summed, ``(H, W)``, or a sequence's ``(T, F)`` steps by features. The method (``--method``, e.g.
occlusion, whose windows suit images) and the smoothing are named in the lead and the chart's title.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _html as H


def method_words(method: str, smooth: str | None = None) -> str:
    """``method`` (and its smoothing) in words for a lead or a chart: ``"SmoothGrad of saliency"``, ``"occlusion"``."""
    from ._methods import LABELS
    from ._smooth import SMOOTH_LABELS

    return LABELS[method] if smooth is None else f"{SMOOTH_LABELS[smooth]} of {LABELS[method]}"


def map_section(target: Any, Xa: np.ndarray, X: Any, baseline: Any = "auto", method: str = "integrated_gradients",
                smooth: str | None = None) -> tuple[str, str]:
    """``(lead, body)`` of the features section for images ``Xa`` ``(n, C, H, W)`` or sequences ``(n, T, F)`` (network input).

    ``X``: the rows as the model takes them (their shape turns ``"auto"``, a black image, into network units as
    :func:`~hiddenlayers.lens.attribute` does); ``baseline``, ``method``, ``smooth``: as ``feature_importance`` takes them.
    """
    from ._attribution import _auto_for_images, feature_importance, named_baseline
    from ._plots import attribution_map

    image = Xa.ndim == 4
    b = _auto_for_images(target, X, baseline, Xa.ndim)
    if b is baseline and (baseline is None or isinstance(baseline, str)):
        b = named_baseline(baseline, Xa, target.estimator)
    imp = feature_importance(target.module, Xa, baseline=b, max_rows=300, method=method, smooth=smooth)
    words = method_words(method, smooth)
    if image:
        values, axes = imp.sum(0), ("row (pixels)", "column (pixels)")
        title = f"mean |{words}| per pixel" + (f", {imp.shape[0]} channels summed" if imp.shape[0] > 1 else "")
    else:
        values, axes = imp, ("step", "feature")
        title = f"mean |{words}| per step and feature"
    how = baseline_words(baseline, method, words, "a black image" if image else "zeros")
    where = "each image" if image else "each sequence"
    alt = f"{title}: largest at {_peak(values, axes)}"
    lead = f"Where in {where} the outputs look ({how}, Captum), each row for its predicted output."
    return lead, H.figure_html(attribution_map(values, title, axes), f"{title}; darker = more attribution", alt=alt)


def baseline_words(baseline: Any, method: str, words: str, auto: str) -> str:
    """The method and its baseline in a lead's words, ``"integrated gradients from zeros"``; ``words``: the method's
    (:func:`method_words`), ``auto``: what ``"auto"`` is for these rows (``"a black image"``, ``"zeros"``); a method with no
    baseline (saliency, input x gradient) is its words alone."""
    from ._methods import NO_BASELINE

    named = "auto" if baseline is None else baseline.strip().lower() if isinstance(baseline, str) else "given"
    frm = {"auto": auto, "zeros": "the network input's zeros", "mean": "the rows' mean", "median": "the rows' median"}.get(named, "the given baseline")
    return words if method in NO_BASELINE else f"{words} from {frm}"


def _peak(values: np.ndarray, axes: tuple[str, str]) -> str:
    """Where the map is largest, in words (the chart's alt text): ``"row (pixels) 3, column (pixels) 5"``."""
    i, j = np.unravel_index(int(np.argmax(values)), values.shape)
    return f"{axes[0]} {int(i)}, {axes[1]} {int(j)}"


__all__ = ["baseline_words", "map_section", "method_words"]
