"""The report's figures are drawn once: ``figure_html`` runs constrained layout itself at the saving resolution
instead of letting ``savefig`` draw the whole figure a second time to run it; the PNG stays the same bytes."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from hiddenlayers._html import figure_html
from hiddenlayers.lens import _plots

RNG = np.random.default_rng(0)  # the data are drawn once: each builder must draw the same figure
TABLE = {name: {"epoch": np.arange(1, 6), "grad_norm": RNG.uniform(1e-3, 1, 5), "update_ratio": RNG.uniform(1e-4, 1e-2, 5),
                "fraction_active": RNG.uniform(0, 1, 5)} for name in ("hidden1", "hidden2")}
POINTS = {"hidden1": RNG.normal(size=(60, 2)), "hidden2": RNG.normal(size=(60, 2))}
LABELS = np.repeat(np.arange(3), 20)
HISTS = {"a": RNG.normal(size=500), "b": RNG.uniform(size=500)}
MAPS, MAP_POINTS = RNG.normal(size=(3, 8, 8)), RNG.uniform(size=(40, 2))

# each: a builder of one of the report's figures (log axes, colour bar, legend outside, suptitle, rotated ticks)
BUILDERS = {
    "gradient flow": lambda: _plots.gradient_flow(TABLE),
    "heatmap": lambda: _plots.heatmap(np.array([[1.0, 0.4], [0.4, 1.0]]), ["hidden1", "hidden2"], ["hidden1", "hidden2"], "linear CKA"),
    "scatter": lambda: _plots.scatter_grid(POINTS, LABELS, "pca"),
    "scatter, real target": lambda: _plots.scatter_grid(POINTS, np.linspace(0, 1, 60), "pca"),
    "histograms": lambda: _plots.histograms(HISTS),
    "neuron grid": lambda: _plots.neuron_grid(MAPS, [0, 1, 2], (0, 1, 0, 1), MAP_POINTS, LABELS[:40], "hidden1", ("x0", "x1")),
}


def _png(page: str) -> bytes:
    return base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_figure_html_gives_savefigs_png_and_draws_once(name: str) -> None:
    plain = io.BytesIO()
    BUILDERS[name]().savefig(plain, format="png", dpi=90)  # Matplotlib's own path: a hidden layout draw, then the drawing
    fig = BUILDERS[name]()
    draws: list[object] = []
    fig.canvas.mpl_connect("draw_event", draws.append)
    page = figure_html(fig, "caption")
    assert _png(page) == plain.getvalue()  # the same pixels, the same bytes
    assert len(draws) == 1  # savefig alone draws twice when a layout engine is set


def test_figure_without_a_layout_engine_is_saved_as_it_is() -> None:
    fig = _plots.new_figure(3, 2)
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    fig.set_layout_engine(None)
    fig.subplots_adjust(left=0.3)
    plain = io.BytesIO()
    fig.savefig(plain, format="png", dpi=90)
    assert _png(figure_html(fig)) == plain.getvalue()
    assert fig.axes[0].get_position().x0 == pytest.approx(0.3)
