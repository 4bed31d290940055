"""The result of :func:`preferred_inputs`: each unit's preferred input, its activation, and the plots.

Images come back as ``(k, H, W)`` or ``(k, H, W, 3)``; tabular inputs as one
bar chart per unit of the features that move farthest from the data mean.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class PreferredInputs:
    """The input each unit of ``layer`` responds to most, within ``radius`` of the data mean.

    Attributes
    ----------
    layer : str
        The layer.
    units : numpy.ndarray of shape (k,)
        Unit (conv: channel) indices.
    inputs : numpy.ndarray of shape (k, *input_shape)
        Each unit's preferred input, in the network's input space.
    activation : numpy.ndarray of shape (k,)
        The activation reached there.
    activation_at_mean : numpy.ndarray of shape (k,)
        The activation at the data mean.
    mean : numpy.ndarray of shape input_shape
        The data mean.
    radius : float
        The ball's radius around the mean, in the network's input units.
    flat : numpy.ndarray of shape (k,)
        Units whose gradient was zero at the mean and at every probe (constant near the data: a dead ReLU unit), whose
        input is the mean itself.
    image_shape : tuple of int or None
        ``(H, W)`` or ``(C, H, W)`` when the inputs are images.
    feature_names : list of str or None
        One per input value, when known.
    bounds : tuple of numpy.ndarray or None
        ``(low, high)``, each ``input_shape``, the box the inputs were kept in (None: the ball only).
    input_space : str or None
        What the input values are when they are not the model's raw columns (a Pipeline's encoded columns, shown in the
        plot's title: no step is inverted), None otherwise.
    """

    layer: str
    units: np.ndarray
    inputs: np.ndarray
    activation: np.ndarray
    activation_at_mean: np.ndarray
    mean: np.ndarray
    radius: float
    flat: np.ndarray
    image_shape: tuple[int, ...] | None = None
    feature_names: list[str] | None = None
    bounds: tuple[np.ndarray, np.ndarray] | None = None
    input_space: str | None = None

    def images(self, *, relative: bool = False) -> np.ndarray:
        """The inputs as images: ``(k, H, W)`` for one channel, ``(k, H, W, 3)`` for colour (RGBA: its RGB).

        More than 4 channels: their mean, ``(k, H, W)``.

        Parameters
        ----------
        relative : bool
            ``inputs - mean`` (what the unit adds to the average input) instead of the inputs.
        """
        if self.image_shape is None:
            raise ValueError("these inputs are not images: pass image_shape=(H, W) or (C, H, W) to preferred_inputs for rows of flattened pixels.")
        a = (self.inputs - self.mean) if relative else self.inputs
        a = a.reshape(len(a), *self.image_shape)
        if a.ndim == 3:
            return a
        if a.shape[1] == 1:
            return a[:, 0]
        if a.shape[1] in (3, 4):
            return np.moveaxis(a[:, :3], 1, -1)
        return a.mean(axis=1)

    def plot(self, *, max_units: int = 16, relative: bool | None = None, max_features: int = 15) -> Any:
        """A matplotlib Figure (Agg, no pyplot): a grid of images, or one bar chart per unit for tabular inputs.

        Parameters
        ----------
        max_units : int
            The most units drawn.
        relative : bool, optional
            Draw ``inputs - mean`` (default: False for images, True for tables).
        max_features : int
            Bar charts show the inputs that move farthest from the mean, at most this many, named when the model knows its
            feature names.
        """
        from ._plot_text import font_families, label
        from ._plots import new_figure

        for name, value, low in (("max_units", max_units, 1), ("max_features", max_features, 1)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}. Received: {name}={value!r}.")
        k = min(len(self.units), int(max_units))
        image = self.image_shape is not None
        rel = (not image) if relative is None else bool(relative)
        if image:
            imgs = self.images(relative=rel)[:k]
            cols = min(k, 8)
            rows = math.ceil(k / cols)
            fig = new_figure(1.5 * cols + 0.4, 1.7 * rows + 0.5)
            _place_images(fig, rows, cols, [self._title(i) for i in range(k)], self._suptitle(rel))
            for i in range(k):
                ax = fig.add_subplot(rows, cols, i + 1)
                img = imgs[i]
                if rel:
                    lim = float(np.abs(img).max()) or 1.0
                    ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
                elif img.ndim == 3:  # colour: each image stretched to [0, 1]
                    lo, hi = float(img.min()), float(img.max())
                    ax.imshow((img - lo) / (hi - lo) if hi > lo else np.zeros_like(img))
                else:
                    ax.imshow(img, cmap="gray")
                ax.set_title(self._title(i), fontsize=8)
                ax.set_axis_off()
        else:
            flat_in = self.inputs.reshape(len(self.inputs), -1)
            dev = flat_in - self.mean.reshape(-1)
            shown = dev if rel else flat_in
            names = self.feature_names or [f"x{j}" for j in range(flat_in.shape[1])]
            n_feat = min(int(max_features), flat_in.shape[1])
            cols = min(k, 4)
            rows = math.ceil(k / cols)
            fig = new_figure(3.2 * cols, (0.2 * n_feat + 0.9) * rows + 0.4)
            tops = [np.argsort(-np.abs(dev[i]), kind="stable")[:n_feat][::-1] for i in range(k)]  # farthest from the mean at the top
            families = font_families(names[j] for top in tops for j in top)  # a fallback font for names the default lacks (数据)
            font = {"fontfamily": families} if families else {}
            _place_bars(fig, (rows, cols), [label(names[j], 20) for top in tops for j in top], families,
                        [self._title(i) for i in range(k)], self._suptitle(rel))
            for i, top in enumerate(tops):
                ax = fig.add_subplot(rows, cols, i + 1)
                vals = shown[i][top]
                ax.barh(np.arange(n_feat), vals, color=np.where(vals >= 0, "#2f6fde", "#c05621"))
                ax.set_yticks(np.arange(n_feat), [label(names[j], 20) for j in top], fontsize=7, **font)
                ax.axvline(0, color="#888", lw=0.8)
                ax.set_title(self._title(i), fontsize=8)
                ax.tick_params(axis="x", labelsize=7)
        fig.suptitle(self._suptitle(rel), fontsize=9)
        return fig

    def _title(self, i: int) -> str:
        return f"unit {self.units[i]}: {self.activation[i]:.3g}"

    def _suptitle(self, relative: bool) -> str:
        from ._plot_text import label

        what = "input − data mean" if relative else "input"
        space = "; in the encoded columns the network reads" if self.input_space else ""
        return f"preferred {what} of {label(self.layer)} (radius {self.radius:.3g}{space})"


GAP = 0.08  # inches between a text and the next thing


def _heads(fig: Any, titles: list[str], suptitle: str) -> tuple[float, float]:
    """``(top margin, height of one axes title with its pad)`` in inches: room for the suptitle (at
    Matplotlib's default y=0.98) and the first row's titles."""
    from ._plots import TITLE_PAD, text_inches

    title = text_inches(fig, titles, 8)[1] + TITLE_PAD
    top = 0.02 * fig.get_size_inches()[1] + text_inches(fig, [suptitle], 9)[1] + GAP + title
    return top, title


def _place_images(fig: Any, rows: int, cols: int, titles: list[str], suptitle: str) -> None:
    """A fixed layout for the image grid (no ticks: titles and the suptitle are all there is to fit)."""
    from ._plots import fixed_grid

    top, title = _heads(fig, titles, suptitle)
    fixed_grid(fig, rows, cols, left=GAP, right=GAP, bottom=GAP, top=top, wspace=GAP, hspace=title + GAP)


def _place_bars(fig: Any, grid: tuple[int, int], ylabels: list[str], family: Any, titles: list[str], suptitle: str) -> None:
    """A fixed layout for the bar charts: room for the widest feature name (7 pt) left of every chart and
    two lines of x tick labels (the numbers and a possible offset such as ``1e-3``) below it."""
    from ._plots import TICK, fixed_grid, text_inches

    top, title = _heads(fig, titles, suptitle)
    names = text_inches(fig, ylabels, 7, family)[0] + TICK
    numbers = 2 * text_inches(fig, ["−0123456789.e"], 7)[1] + TICK
    fixed_grid(fig, *grid, left=names + GAP, right=2 * GAP, bottom=numbers + GAP, top=top,
               wspace=names + 2 * GAP, hspace=numbers + title + GAP)


__all__ = ["PreferredInputs"]
