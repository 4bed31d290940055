"""The report's fixed layout for small multiples (lens/_plots.py: text_inches, fixed_grid) and its use by
PreferredInputs.plot: every label inside the figure and clear of the neighbouring charts, with no layout engine."""

from __future__ import annotations

import io

import numpy as np
import pytest

from hiddenlayers.lens._plots import fixed_grid, new_figure, text_inches
from hiddenlayers.lens._preferred_result import PreferredInputs


def _saved(fig, dpi=90):
    fig.savefig(io.BytesIO(), format="png", dpi=dpi)
    return fig.canvas.get_renderer()


def test_text_inches_grows_with_the_text_and_the_size():
    fig = new_figure(4, 3)
    short, tall = text_inches(fig, ["ash"], 7)
    long, _ = text_inches(fig, ["ash", "nonflavanoid_phenols"], 7)
    bigger, taller = text_inches(fig, ["ash"], 14)
    assert 0 < short < long and short < bigger and tall < taller
    assert text_inches(fig, [], 7) == (0.0, 0.0)


def test_fixed_grid_places_the_axes_with_the_margins_in_inches():
    fig = new_figure(8, 4)
    assert fixed_grid(fig, 2, 4, left=1.0, right=0.5, bottom=0.4, top=0.6, wspace=0.8, hspace=0.7)
    axes = [fig.add_subplot(2, 4, i + 1) for i in range(8)]
    assert fig.get_layout_engine() is None
    boxes = [ax.get_position().transformed(fig.transFigure).transformed(fig.dpi_scale_trans.inverted()) for ax in axes]  # inches
    assert boxes[0].x0 == pytest.approx(1.0) and boxes[3].x1 == pytest.approx(7.5)
    assert boxes[4].y0 == pytest.approx(0.4) and boxes[0].y1 == pytest.approx(3.4)
    assert boxes[1].x0 - boxes[0].x1 == pytest.approx(0.8) and boxes[0].y0 - boxes[4].y1 == pytest.approx(0.7)


def test_fixed_grid_leaves_a_too_small_figure_to_its_layout_engine():
    fig = new_figure(2, 2)
    assert not fixed_grid(fig, 1, 4, left=1.0, right=0.5, bottom=0.4, top=0.6, wspace=0.8, hspace=0.7)
    assert fig.get_layout_engine() is not None


def _pref(names, k, image_shape=None):
    rng = np.random.default_rng(0)
    width = len(names) if image_shape is None else int(np.prod(image_shape))
    return PreferredInputs(layer="hidden1", units=np.arange(k), inputs=rng.normal(size=(k, width)) * 50, activation=rng.random(k) * 9,
                           activation_at_mean=rng.random(k), mean=np.zeros(width), radius=3.0, flat=np.zeros(k, dtype=bool),
                           image_shape=image_shape, feature_names=None if image_shape else names)


@pytest.mark.parametrize("dpi", [60, 90, 150])
def test_preferred_bars_labels_stay_inside_the_figure_and_off_the_neighbours(dpi):
    names = ["od280/od315_of_diluted_wines", "nonflavanoid_phenols", "ash", "x" * 40, "proline", "hue"]
    fig = _pref(names, 7).plot(max_features=6)
    assert fig.get_layout_engine() is None  # laid out once, no constrained-layout passes
    r = _saved(fig, dpi)
    width, height = fig.bbox.width, fig.bbox.height
    axes = fig.axes
    for i, ax in enumerate(axes):
        texts = [t for t in ax.get_yticklabels() + ax.get_xticklabels() + [ax.title] if t.get_text()]
        for t in texts:
            bb = t.get_window_extent(r)
            assert bb.x0 >= 0 and bb.x1 <= width and bb.y0 >= 0 and bb.y1 <= height, t.get_text()
            for j, other in enumerate(axes):
                if j != i:
                    assert not bb.overlaps(other.get_window_extent(r)), (t.get_text(), i, j)
    sup = fig._suptitle.get_window_extent(r)
    assert sup.y1 <= height and not any(sup.overlaps(ax.title.get_window_extent(r)) for ax in axes)


def test_preferred_images_titles_clear_the_row_above():
    fig = _pref([], 16, image_shape=(8, 8)).plot()
    assert fig.get_layout_engine() is None
    r = _saved(fig)
    for ax in fig.axes:
        title = ax.title.get_window_extent(r)
        assert title.y1 <= fig.bbox.height
        assert not any(title.overlaps(o.get_window_extent(r)) for o in fig.axes if o is not ax)
