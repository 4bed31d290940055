"""The report's "Top features" section for padded sequences: each shown row's own map, over its real steps only.

A sequence model fitted on rows of several lengths reads them NaN-padded to the longest (``(n, T, F)`` network input).
One mean map over the rows, as :mod:`._report_maps` draws for sequences of one length, would mix at each late step the
rows that have it with the rows that end before it, whose padding is no evidence at all, not zero evidence. So the
section draws a few rows (at most :data:`SHOWN_ROWS`, drawn at random, seed 0, as the report's other samples are), each
with its own |integrated gradients| for its predicted output, ``(L, F)`` over its ``L`` real steps and ``F`` features;
the steps past a row's end are drawn grey and hatched, not white (white is 0 on the map's scale). The rows share one
colour scale, so they compare. Integrated gradients alone handles padding (:func:`~hiddenlayers.lens.attribute`: each
row its own length, the baseline padded as the row is, padding attributed 0), so another method or a smoothing gets a
one-line note naming it.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import torch

from . import _html as H

#: the rows whose maps the section draws (each its own panel)
SHOWN_ROWS = 4
#: Captum's integration steps per row, as the report's feature_importance takes them
N_STEPS = 32
#: the colour of the steps past a row's end
PAD_COLOUR = "#e2e2e2"


class RowMap(NamedTuple):
    """One shown row: its position in the report's rows, the output attributed (its predicted one, of the model's
    ``outputs``; a one-output model's only one) and ``values``, the |attribution| ``(L, F)`` of its ``L`` real steps."""

    row: int
    output: int
    outputs: int
    values: np.ndarray


def real_steps(row: np.ndarray) -> int:
    """The steps of one padded row ``(T, F)`` before its padding: one past the last step with a number (NaN steps are padding)."""
    present = np.flatnonzero(~np.isnan(row).all(axis=1))
    return int(present[-1]) + 1 if present.size else 0


def padded_maps(module: torch.nn.Module, Xa: np.ndarray, rows: np.ndarray, baseline: Any) -> list[RowMap]:
    """|integrated gradients| of each of ``Xa[rows]`` (NaN-padded network input ``(n, T, F)``) for its predicted output,
    cut to its real steps: the rows are attributed together in one Captum call, each with its own length (the baseline
    takes each row's padding, :func:`~hiddenlayers.lens.attribute`'s rule), so each map is that of its sequence alone.

    ``baseline``: one row of network input or a number (a named one resolved by the caller over all the rows).
    A model with more than one number per output row is refused in one line, as ``feature_importance`` refuses it.
    """
    from captum.attr import IntegratedGradients

    from ._attribution import _setup, _unpadded

    module_, x, base = _setup(module, Xa[rows], baseline, N_STEPS, prepared=True)
    with torch.no_grad():
        out = module_(x)
    if out.ndim != 2:
        raise ValueError(f"the map needs one score per output and row, (n, outputs); this model gives {tuple(out.shape[1:])} per row: "
                         "pick the output to explain with hl.lens.attribute(model, X, target=...) (a tuple index into it).")
    picked = out.argmax(1) if out.shape[1] > 1 else torch.zeros(len(out), dtype=torch.long)
    attr = IntegratedGradients(module_).attribute(x, baselines=base, target=picked.tolist(), n_steps=N_STEPS)
    values = _unpadded(attr.detach(), x).abs().cpu().double().numpy()
    n_out = int(out.shape[1])
    return [RowMap(int(r), int(k), n_out, values[i, : real_steps(Xa[r])]) for i, (r, k) in enumerate(zip(rows, picked.tolist(), strict=True))]


def padded_figure(maps: list[RowMap], titles: list[str], steps: int, title: str) -> Any:
    """One panel per shown row, side by side: its map ``(L, F)`` on steps (down) by features (across), one colour scale
    for all, and its steps past ``L`` up to the longest row's ``steps`` grey and hatched (padding, not attributed)."""
    from matplotlib.patches import Rectangle

    from ._plots import new_figure

    features = max(m.values.shape[1] for m in maps)
    top = max(float(m.values.max()) if m.values.size else 0.0 for m in maps) or 1.0
    width = min(3.2, max(1.8, 0.32 * features + 1.1))
    fig = new_figure(min(14.0, width * len(maps) + 1.2), min(7.0, max(2.8, 0.3 * steps + 1.3)))
    axes = fig.subplots(1, len(maps), sharey=True, squeeze=False)[0]
    image = None
    for ax, m, name in zip(axes, maps, titles, strict=True):
        length = m.values.shape[0]
        image = ax.imshow(m.values, cmap="Reds", vmin=0, vmax=top, aspect="auto", interpolation="nearest",
                          extent=(-0.5, features - 0.5, length - 0.5, -0.5))
        if length < steps:  # no step here: neither white (0) nor a colour
            ax.add_patch(Rectangle((-0.5, length - 0.5), features, steps - length, facecolor=PAD_COLOUR, edgecolor="#b0b0b0",
                                   hatch="//", linewidth=0))
        ax.set_xlim(-0.5, features - 0.5)
        ax.set_ylim(steps - 0.5, -0.5)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("feature", fontsize=9)
        ax.set_xticks(range(features) if features <= 12 else range(0, features, math.ceil(features / 12)))
    axes[0].set_ylabel("step", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.colorbar(image, ax=list(axes), shrink=0.8)
    return fig


def padded_section(target: Any, Xa: np.ndarray, X: Any, baseline: Any, method: str, smooth: str | None, model: Any,
                   shown: tuple[np.ndarray, str] | None) -> tuple[str, str]:
    """``(lead, body)`` of the features section for padded sequences ``Xa`` ``(n, T, F)`` (network input, NaN past each
    row's end); ``X``, ``baseline``: as :func:`~._report_maps.map_section` reads them; ``method``, ``smooth``: the report's
    (integrated gradients unsmoothed alone: else a note); ``model``: its class labels name the outputs; ``shown``: the
    rows' names and what they are (None: positions in ``Xa``)."""
    from ._attribution import _auto_for_images, named_baseline
    from ._report_maps import baseline_words, method_words
    from ._target import sample_index

    lead = "Input attribution."
    if method != "integrated_gradients" or smooth is not None:
        return lead, H.na_html(f"these sequences are padded to {Xa.shape[1]} steps (rows of several lengths), which integrated gradients "
                               f"alone attributes, unsmoothed, each row for its own length; this report asked for {method_words(method, smooth)}: "
                               "ask for integrated gradients without smoothing.")
    b = _auto_for_images(target, X, baseline, Xa.ndim)
    if b is baseline and (baseline is None or isinstance(baseline, str)):
        b = named_baseline(baseline, Xa, target.estimator)  # "mean"/"median" of padded rows: each step's over the rows that have it
    drawn = sample_index(len(Xa), SHOWN_ROWS, 0)
    rows = np.arange(len(Xa)) if drawn is None else drawn
    maps = padded_maps(target.module, Xa, rows, b)
    names, what = shown if shown is not None else (np.arange(len(Xa)), "positions in X, counted from 0")
    labels = getattr(model, "classes_", None)
    titles = [f"row {names[m.row]}: {len(m.values)} steps" + _output_words(m, labels) for m in maps]
    how = baseline_words(baseline, method, method_words(method, smooth), "zeros")
    title = f"|integrated gradients| per step{' and feature' if Xa.shape[2] > 1 else ''} of each row, its real steps only"
    caption = f"{title}; darker = more attribution, grey = past the row's end (padding: no step, not attributed); rows: {what}"
    alt = "; ".join(f"{t}, {_peak(m.values)}" for t, m in zip(titles, maps, strict=True))
    lead = (f"Where in each sequence the outputs look ({how}, Captum), for {len(maps)} of the rows, each for its predicted "
            "output over its own steps (the rows have several lengths).")
    return lead, H.figure_html(padded_figure(maps, titles, Xa.shape[1], title), caption, alt=alt)


def _peak(values: np.ndarray) -> str:
    """Where one row's map is largest, in words (the chart's alt text): ``"largest at step 3, feature 1"``."""
    if values.size == 0:
        return "no real step"
    i, j = np.unravel_index(int(np.argmax(values)), values.shape)
    return f"largest at step {int(i)}, feature {int(j)}"


def _output_words(m: RowMap, labels: Any) -> str:
    """``", predicted <class>"`` where the model has one output per class label, else ``""`` (a regressor, or a binary
    classifier's one logit: the output attributed is that logit whichever class it predicts)."""
    if labels is None or m.outputs != len(labels) or m.outputs < 2:
        return ""
    return f", predicted {labels[m.output]}"


__all__ = ["N_STEPS", "SHOWN_ROWS", "RowMap", "padded_figure", "padded_maps", "padded_section", "real_steps"]
