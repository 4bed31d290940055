"""User strings in the report's charts and tables: `$` drawn literally, long names shortened (and listed in
full), characters no font draws listed as text, class legends and colour bars, long cells wrapped."""

from __future__ import annotations

import html
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib import rcParams

import hiddenlayers as hl
from hiddenlayers.lens import report
from hiddenlayers.lens._plot_text import MAX_CHARS, font_families, label
from hiddenlayers.lens._plots import bars, scatter_grid

CSP = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
LONG = "L" * 190 + "_long_name"


def _fit(columns: list[str], labels: np.ndarray, rng) -> tuple[object, pd.DataFrame]:
    X = pd.DataFrame(rng.normal(size=(labels.size, len(columns))), columns=columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8,), max_iter=5, random_state=0).fit(X, labels), X


def section(page: str, sid: str) -> str:
    start = page.index(f'<section id="{sid}">')
    return page[start: page.index("</section>", start)]


def test_label_escapes_dollars_and_shortens():
    assert label("price $x^$") == r"price \$x^\$"
    assert label("a" * 40) == "a" * (MAX_CHARS - 1) + "…" and len(label("a" * 40)) == MAX_CHARS
    assert label("short") == "short"


def test_font_families_default_fallback_or_none():
    assert font_families(["plain", "température"]) == list(rcParams["font.family"])
    cjk = font_families(["数据"])
    assert cjk is None or (len(cjk) == len(rcParams["font.family"]) + 1)  # None: no installed font draws 数据


def test_mathtext_names_draw_literally():
    fig = bars(np.array([0.3, 0.2, 0.1]), ["price $x^$", "a_$\\frac$_b", "$$"], "t")
    fig.canvas.draw()  # mathtext would raise on \frac
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == [r"\$\$", r"a_\$\frac\$_b", r"price \$x^\$"]  # smallest at the bottom; escaped `$` is drawn as `$`


def test_report_with_dollar_long_and_cjk_names(rng):
    cols = ["price $x^$", "a_$\\frac$_b", "$$", LONG, "数据", "plain"]
    y = np.array(["$a$", "b", "C" * 200])[rng.integers(0, 3, 240)]
    clf, X = _fit(cols, y, rng)
    page = report(clf, X, y, sections=["neurons", "features"]).html
    features = section(page, "features")
    assert "Not available" not in features and "data:image/png;base64," in features
    assert html.escape("a_$\\frac$_b") in features and "price $x^$" in features  # in the chart's alt text
    # the long name is cut in the chart, so the full names are listed beside it
    assert '<div class="side">' in features and f'<td class="wrap">{LONG}</td>' in features and "<td>数据</td>" in features
    assert '<td class="wrap">' in section(page, "neurons") and "C" * 200 in section(page, "neurons")  # the long label's cell may break anywhere
    assert "overflow-wrap:anywhere" in page and CSP in page and 'name="viewport"' in page


def test_short_plain_names_need_no_side_table(rng):
    clf, X = _fit(["a", "b", "c"], np.array(["x", "y"])[rng.integers(0, 2, 120)], rng)
    features = section(report(clf, X, clf.predict(X), sections=["features"]).html, "features")
    assert '<div class="side">' not in features and "top input features, largest first:" in features
    assert 'class="wrap"' not in features  # short words never break mid-word


@pytest.mark.parametrize(("n_classes", "entries"), [(3, 3), (12, 12), (15, 12)])
def test_projection_legend_names_up_to_12_classes(rng, n_classes, entries):
    y = np.array([f"class {i}" for i in range(n_classes)])[np.arange(300) % n_classes]
    fig = scatter_grid({"hidden1": rng.normal(size=(300, 2)), "hidden2": rng.normal(size=(300, 2))}, y, "pca")
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(texts) == entries
    if n_classes > 12:
        assert texts[-1] == f"other ({n_classes - 11} classes)"
    fig.canvas.draw()


def test_projection_colour_bar_for_a_real_target(rng):
    fig = scatter_grid({"hidden1": rng.normal(size=(300, 2))}, rng.normal(size=300), "pca")
    assert not fig.legends and len(fig.axes) == 2  # the scatter and its colour bar
    assert fig.axes[1].get_ylabel() == "target"
