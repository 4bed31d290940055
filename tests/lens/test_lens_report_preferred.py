"""The report's "What each unit responds to most" section: bar charts for tables, images for pixels, a note where it cannot apply."""

from __future__ import annotations

import html
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits, load_wine
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import report
from hiddenlayers.lens._report_preferred import MAX_UNITS

HEADING = "<h2>What each unit responds to most</h2>"
ONLY = ["preferred-inputs"]  # the section under test alone: the whole page is test_lens_report's


def section(page: str) -> str:
    """The body of the preferred-inputs section of a rendered page."""
    m = re.search(r'<section id="preferred-inputs">(.*?)</section>', page, re.S)
    assert m is not None, "no preferred-inputs section"
    return m.group(1)


def unit_rows(body: str) -> list[int]:
    """The unit column of the section's table."""
    return [int(u) for u in re.findall(r"<tr><td>(\d+)</td>", body)]


@pytest.fixture(scope="module")
def wine_clf() -> tuple[hl.MLPClassifier, pd.DataFrame, np.ndarray]:
    data = load_wine(as_frame=True)
    X = (data.data - data.data.mean()) / data.data.std()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((12, 6), max_iter=20, random_state=0).fit(X, data.target), X, data.target.to_numpy()


@pytest.fixture(scope="module")
def digits_clf() -> tuple[hl.MLPClassifier, np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((32,), max_iter=10, random_state=0).fit(X / 16, y), X / 16, y


def test_tabular_model_gets_bar_charts_named_by_its_features(wine_clf) -> None:
    clf, X, y = wine_clf
    page = report(clf, X, y, sections=ONLY).html
    assert HEADING in page
    body = section(page)
    assert "<img" in body and "data:image/png;base64," in body and "bars:" in body
    assert 'class="na"' not in body
    alt = html.unescape(re.search(r'<img alt="([^"]*)"', body).group(1))
    assert alt.startswith("preferred inputs of hidden1 (input − data mean): unit ")
    assert any(name in alt for name in X.columns)  # the bars are named by the DataFrame's columns, not x0, x1, ...
    units = unit_rows(body)
    assert 1 <= len(units) <= 12 and len(set(units)) == len(units) and max(units) < 12
    # the table's two columns: the search never ends below the data mean's activation
    cells = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td><td>([^<]+)</td></tr>", body)
    assert cells and all(float(b) >= float(a) for a, b in cells)


def test_digits_model_gets_images_with_image_shape_and_at_most_16_units(digits_clf) -> None:
    clf, X, y = digits_clf
    with_shape = section(report(clf, X[:500], y[:500], image_shape=(8, 8), sections=ONLY).html)
    assert "<img" in with_shape and "each image is the input" in with_shape and "bars:" not in with_shape
    units = unit_rows(with_shape)
    assert 0 < len(units) <= MAX_UNITS < 32  # 32 units: the most active 16 at most
    as_rows = section(report(clf, X[:500], y[:500], sections=ONLY).html)  # no shape given: 64 numbers per row, drawn as bars
    assert "bars:" in as_rows and "each image" not in as_rows


def test_most_active_units_are_shown_first_and_dead_units_left_out() -> None:
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(5, 3))
        net[0].bias.copy_(torch.tensor([0.0, 2.0, 1.0, -100.0, -100.0]))  # units 3 and 4 are dead; unit 1 most active
    X = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32)
    body = section(report(net, X, layers=["1"], sections=ONLY).html)
    assert unit_rows(body) == [1, 2, 0]
    assert "(2 constant on this data, left out)" in html.unescape(body)


def test_a_layer_whose_units_are_all_dead_is_skipped_with_a_note() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        net[0].bias.fill_(-100.0)
    body = section(report(net, np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32), layers=["1"], sections=ONLY).html)
    assert '<p class="na">' in body and "every unit of 1 is constant on this data" in body
    assert "could not be computed" not in body


def test_preferred_layer_picks_another_layer(wine_clf) -> None:
    clf, X, y = wine_clf
    body = section(report(clf, X, y, preferred_layer="hidden2", sections=ONLY).html)
    assert "The input each unit of hidden2 responds to most" in body and max(unit_rows(body)) < 6
    body = section(report(clf, X, y, layers=["hidden2"], preferred_layer=1, sections=ONLY).html)  # a layer the report did not record
    assert "The input each unit of hidden1 responds to most" in body


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"preferred_layer": "hiden1"}, r"preferred_layer='hiden1' matched no layer of Network.*Did you mean 'hidden1'\?"),
    ({"preferred_layer": "hidden*"}, r"preferred_layer='hidden\*' picks 6 layers \(hidden1 \(DenseLayer\), .*: name one of them\."),
    ({"image_shape": (3, 4)}, r"image_shape must be \(H, W\) or \(C, H, W\) with H x W \(x C\) equal to the 13 values of one input"),
])
def test_bad_arguments_are_one_line_errors_before_the_analysis(wine_clf, kwargs, message) -> None:
    clf, X, y = wine_clf
    with pytest.raises(ValueError, match=message):
        report(clf, X, y, **kwargs, sections=ONLY)


def test_id_input_model_is_skipped_with_the_reports_note() -> None:
    text = pytest.importorskip("hiddenlayers.apps._text")
    texts = ["good movie great fun", "bad boring awful", "great acting good plot", "awful bad film"] * 10
    y = np.array([1, 0, 1, 0] * 10)
    clf = text.TextClassifier("embed8,lstm8,6", max_iter=2, early_stopping=False, random_state=0).fit(texts, y)
    page = report(clf, texts, y, units_per_layer=2, sections=ONLY).html
    assert HEADING in page
    body = section(page)
    assert "preferred inputs need real-valued inputs; this model reads integer ids (embeddings)" in body
    assert "<img" not in body and "could not be computed" not in body


def test_report_images_stay_within_each_pixels_range_and_tables_are_not_boxed(digits_clf, wine_clf, monkeypatch) -> None:
    from hiddenlayers.lens import _preferred

    found = []
    search = _preferred.preferred_inputs
    monkeypatch.setattr(_preferred, "preferred_inputs", lambda *a, **k: found.append(search(*a, **k)) or found[-1])
    clf, X, y = digits_clf
    body = section(report(clf, X[:300], y[:300], image_shape=(8, 8), sections=ONLY).html)
    pref = found[-1]
    assert pref.bounds is not None and (pref.inputs >= X[:300].min(0)).all() and (pref.inputs <= X[:300].max(0)).all()
    assert "with each pixel within its range on these rows" in body and "each input within its range on the rows" in body
    wine, Xw, yw = wine_clf
    tab = section(report(wine, Xw, yw, sections=ONLY).html)
    assert found[-1].bounds is None and "within its range" not in tab
