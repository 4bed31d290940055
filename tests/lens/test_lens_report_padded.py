"""The report's attribution section for padded sequences (rows of several lengths): a map per shown row, real steps only."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.lens import attribute
from hiddenlayers.lens._report_padded import N_STEPS, PAD_COLOUR, padded_figure, padded_maps, real_steps


@pytest.fixture(scope="module")
def padded_gru():
    """12 sequences of 2-6 frames of 2 features (NaN-padded to the longest) and a SequenceClassifier of three classes on them."""
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    rng = np.random.default_rng(0)
    frames = [rng.normal(size=(int(t), 2)) + i % 3 for i, t in enumerate(rng.integers(2, 7, size=12))]
    y = np.array(["a", "b", "c"] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = seq.SequenceClassifier("gru4", max_iter=3, early_stopping=False, random_state=0).fit(frames, y)
    return frames, y, clf


def test_each_rows_map_is_its_sequence_attributed_alone_over_its_real_steps(padded_gru):
    """The shown rows are attributed together, padded; each map equals hl.lens.attribute of that sequence alone (no
    padding at all) for its predicted class, and holds its own steps only: the padding is no part of it."""
    frames, _, clf = padded_gru
    target = hl.lens.as_target(clf)
    Xa = np.asarray(target.prepared(frames))
    assert np.isnan(Xa).any()
    rows = np.array([0, 3, 5, 8, 11])
    maps = padded_maps(target.module, Xa, rows, 0.0)
    predicted = clf.predict([frames[r] for r in rows])
    for m, label in zip(maps, predicted, strict=True):
        assert m.values.shape == (len(frames[m.row]), 2) and m.outputs == 3
        assert clf.classes_[m.output] == label
        alone = attribute(clf, [frames[m.row]], target=label, n_steps=N_STEPS, baseline="zeros")[0]  # the network input's zeros, as 0.0 above
        np.testing.assert_allclose(m.values, np.abs(alone), rtol=1e-4, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(1, 4), st.data())
def test_real_steps_is_one_past_the_last_step_with_a_number(steps, features, data):
    length = data.draw(st.integers(0, steps))
    row = np.random.default_rng(steps).normal(size=(steps, features))
    row[length:] = np.nan
    if length > 1 and features > 1:
        row[0, 0] = np.nan  # a missing value inside a real step is no padding
    assert real_steps(row) == length


def test_the_figure_draws_each_rows_steps_and_greys_the_rest(padded_gru):
    frames, _, clf = padded_gru
    target = hl.lens.as_target(clf)
    Xa = np.asarray(target.prepared(frames))
    maps = padded_maps(target.module, Xa, np.array([1, 2, 4]), 0.0)
    fig = padded_figure(maps, ["one", "two", "three"], Xa.shape[1], "title")
    panels = [ax for ax in fig.axes if ax.images and ax.get_title() in ("one", "two", "three")]
    assert len(panels) == 3
    for ax, m in zip(panels, maps, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), m.values)  # no padded step in the image
        grey = [p for p in ax.patches if p.get_hatch() == "//"]
        assert len(grey) == (1 if len(m.values) < Xa.shape[1] else 0)
        if grey:
            assert grey[0].get_y() == len(m.values) - 0.5 and grey[0].get_height() == Xa.shape[1] - len(m.values)
            assert grey[0].get_facecolor()[:3] == pytest.approx(tuple(int(PAD_COLOUR[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    assert {ax.images[0].get_clim() for ax in panels} == {(0.0, max(float(m.values.max()) for m in maps))}  # one scale


def test_the_report_draws_the_section_for_padded_sequences(padded_gru):
    """Before, the section said "not available ... attribute them with hl.lens.attribute" for these rows."""
    frames, y, clf = padded_gru
    names = [f"seq-{i}" for i in range(len(frames))]
    (sid, _, lead, body), = hl.lens.report(clf, frames, y, sections=["features"], row_names=names, row_names_note="our names").sections
    assert sid == "features" and "Not available" not in body and body.count("<figure>") == 1
    assert lead == ("Where in each sequence the outputs look (integrated gradients from zeros, Captum), for 4 of the rows, each for "
                    "its predicted output over its own steps (the rows have several lengths).")
    assert "|integrated gradients| per step and feature of each row, its real steps only; darker = more attribution, grey = past" in body
    assert "rows: our names" in body
    shown = [int(n) for n in re.findall(r"row seq-(\d+): ", body.split('alt="')[1].split('"')[0])]
    assert len(shown) == 4
    for i in shown:
        assert f"row seq-{i}: {len(frames[i])} steps, predicted " in body


def test_another_method_or_a_smoothing_is_one_note_naming_integrated_gradients(padded_gru):
    frames, y, clf = padded_gru
    for kwargs, words in ((dict(attribution_method="saliency"), "saliency"),
                          (dict(attribution_smooth="smoothgrad"), "SmoothGrad of integrated gradients")):
        (_, _, _, body), = hl.lens.report(clf, frames, y, sections=["features"], **kwargs).sections
        assert body == (f'<p class="na">Not available: these sequences are padded to 6 steps (rows of several lengths), which integrated '
                        f"gradients alone attributes, unsmoothed, each row for its own length; this report asked for {words}: ask for "
                        "integrated gradients without smoothing.</p>")


def test_the_rows_mean_of_padded_rows_is_each_steps_mean_over_the_rows_that_have_it(padded_gru):
    """A plain mean over the padded rows is NaN at every step a short row lacks: no baseline at all."""
    frames, y, clf = padded_gru
    (_, _, lead, body), = hl.lens.report(clf, frames, y, sections=["features"], baseline="mean").sections
    assert "Not available" not in body and lead.startswith("Where in each sequence the outputs look (integrated gradients from the rows' mean, Captum)")
    target = hl.lens.as_target(clf)
    Xa = np.asarray(target.prepared(frames))
    maps = padded_maps(target.module, Xa, np.array([0, 1]), np.nanmean(Xa, axis=0))
    assert all(np.isfinite(m.values).all() and m.values.shape == (len(frames[m.row]), 2) for m in maps)


@pytest.mark.parametrize("name, stat", [("mean", np.nanmean), ("median", np.nanmedian)])
def test_attribute_takes_a_named_baseline_of_padded_rows_step_by_step(padded_gru, name, stat):
    """attribute(..., baseline="mean"/"median") of padded sequences: each step's statistic over the rows that reach it (a
    plain mean is NaN at every step a short row lacks, refused as "baseline holds NaN"), the same as passing that row."""
    frames, _, clf = padded_gru
    Xa = np.asarray(hl.lens.as_target(clf).prepared(frames))
    named = attribute(clf, frames, target="a", baseline=name, n_steps=8)
    given = attribute(clf, frames, target="a", baseline=stat(Xa, axis=0), n_steps=8)
    assert np.isfinite(named).all()
    np.testing.assert_allclose(named, given, rtol=1e-5, atol=1e-9)  # float32 steps: 3e-6 relative seen on AVX2
