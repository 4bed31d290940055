"""A SequenceClassifier's NaN-padded 3-D form ``(n, T, F)`` (sequences ending in whole NaN steps), which ``predict`` takes,
goes to the lens as the list of sequences does; NaN anywhere else, and padding for a model that does not read it, is refused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl


@pytest.fixture(scope="module")
def padded():
    """10 sequences of 2-5 frames of 2 features, as a list and NaN-padded to (10, 5, 2), and a GRU classifier on them."""
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    rng = np.random.default_rng(1)
    frames = [rng.normal(size=(int(t), 2)).astype(np.float32) for t in [2, 5, 3, 4, 5, 2, 3, 4, 5, 3]]
    Xp = np.full((10, 5, 2), np.nan, dtype=np.float32)
    for i, f in enumerate(frames):
        Xp[i, : len(f)] = f
    y = np.arange(10) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = seq.SequenceClassifier("gru4:seq,gru3", max_iter=2, early_stopping=False, random_state=0).fit(frames, y)
    return frames, Xp, y, clf


def test_record_reads_the_padded_array_as_the_list(padded):
    frames, Xp, _, clf = padded
    np.testing.assert_array_equal(clf.predict(Xp), clf.predict(frames))  # the form predict takes
    by_list, by_array = hl.lens.record(clf, frames), hl.lens.record(clf, Xp)
    assert list(by_array) == list(by_list)
    for name in by_list:
        np.testing.assert_allclose(by_array.features(name), by_list.features(name), rtol=1e-6, atol=1e-7)


def test_attribute_probe_and_domain_shift_take_the_padded_array(padded):
    frames, Xp, y, clf = padded
    by_array = hl.lens.attribute(clf, Xp, target=1, baseline="zeros")  # the network input's zeros, for both forms
    np.testing.assert_allclose(by_array, hl.lens.attribute(clf, frames, target=1, baseline="zeros"), rtol=1e-5, atol=1e-6)
    assert (by_array[np.isnan(Xp)] == 0).all()  # the padding gives nothing
    _, delta = hl.lens.attribute(clf, Xp, target=1, return_convergence_delta=True)  # "auto": zero frames in X's units
    assert np.abs(delta).max() < 1e-4  # each row's sum is f(x) - f(baseline)
    by_array, by_list = hl.lens.probe(clf, Xp, y), hl.lens.probe(clf, frames, y)
    assert by_array.layers == by_list.layers
    np.testing.assert_allclose(by_array.test_score, by_list.test_score)
    shifted = hl.lens.domain_shift(clf, Xp[:5], Xp[5:], n_permutations=5).rows
    listed = hl.lens.domain_shift(clf, frames[:5], frames[5:], n_permutations=5).rows
    np.testing.assert_allclose([r.mmd2 for r in shifted], [r.mmd2 for r in listed], rtol=1e-5, atol=1e-7)


def test_nan_inside_a_sequence_is_still_refused(padded):
    _, Xp, _, clf = padded
    bad = Xp.copy()
    bad[3, 1, 0] = np.nan  # inside sequence 3's real steps: a missing value, not padding
    # the app's own reader words it, naming the sequence and the step (not row 0, padded; before: "row 3", no step)
    with pytest.raises(hl.DataError, match=r"^sequence 3 has NaN at step 1, which is not padding \(padding is whole NaN steps"):
        hl.lens.record(clf, bad)
    inf = Xp.copy()
    inf[9, 4] = np.inf  # infinity is never padding: steps 0-4 are all real then, and step 3's NaN is none
    with pytest.raises(hl.DataError, match=r"^sequence 9 has NaN at step 3, which is not padding"):
        hl.lens.record(clf, inf)
    with pytest.raises(hl.DataError, match=r"^sequence 0 has NaN or infinity at step 1 \(of \d+\): clean or impute those steps first\.$"):
        hl.lens.record(clf, [bad[3][:2]])  # a list of (T, F) sequences, as fit takes them
    with pytest.raises(hl.DataError, match=r"^X is a 2-D float array \(2, 2\): one sequence of 2 steps x 2 features is \[X\]"):
        hl.lens.record(clf, bad[3][:2])  # a lone (T, F) sequence: the lens read its steps as rows ("first in row 1")


def test_a_plain_module_gets_no_padding(padded):
    """A module of your own has no reader that strips padding: NaN steps would run through it, so they are refused."""
    _, Xp, _, _ = padded
    with pytest.raises(ValueError, match="NaN or infinite values"):
        hl.lens.record(torch.nn.GRU(2, 3, batch_first=True), Xp)
    flow = hl.lens.GradientFlow(Xp)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(10, 2))
    with pytest.raises(ValueError, match="NaN or infinite values"), flow.epoch(net):
        net(torch.zeros(1, 5, 2)).sum().backward()
        flow.step()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=5), st.integers(1, 3), st.data())
def test_nan_padded_is_whole_trailing_nan_steps_only(lengths, features, data):
    from hiddenlayers.lens._target import nan_padded

    a = np.random.default_rng(len(lengths)).normal(size=(len(lengths), 4, features))
    for i, n in enumerate(lengths):
        a[i, n:] = np.nan
    expected = any(n < 4 for n in lengths)  # no NaN at all is no padding
    assert nan_padded(a) == expected
    row = data.draw(st.integers(0, len(lengths) - 1))
    if lengths[row] >= 2 and features >= 2:
        a[row, 0, 0] = np.nan  # a partly-NaN step inside the real steps
        assert not nan_padded(a)
    assert not nan_padded(a[:, :, 0])  # 2-D: no steps of features


def test_gradient_flow_takes_the_padded_array_as_a_callback(padded):
    """As a SequenceClassifier's callback the app prepares X, padding and all, as its fit reads it."""
    frames, Xp, y, clf = padded
    flow = hl.lens.GradientFlow(Xp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        type(clf)("gru4", max_iter=1, early_stopping=False, random_state=0, callbacks=[flow]).fit(Xp, y)
    frame = flow.to_frame()
    assert len(frame) and np.isfinite(frame["act_std"]).all()


@pytest.mark.parametrize("baseline", ["auto", 0.5, np.array([1.0, -1.0])])
def test_a_baseline_in_the_frames_units_is_the_same_for_the_list_and_the_array(padded, baseline):
    """A number or one frame is in the frames' units for both forms (it was the network input's for a list: the training
    mean for 'auto' and 0.0), and each row's attributions sum to f(x) - f(that baseline's frames)."""
    frames, Xp, _, clf = padded
    by_list, delta = hl.lens.attribute(clf, frames, target=1, baseline=baseline, return_convergence_delta=True)
    np.testing.assert_allclose(by_list, hl.lens.attribute(clf, Xp, target=1, baseline=baseline), rtol=1e-5, atol=1e-6)
    fill = 0.0 if isinstance(baseline, str) else baseline
    base = [np.broadcast_to(np.asarray(fill, dtype=np.float32), f.shape) for f in frames]
    target = hl.lens.as_target(clf)

    def logit(rows: list[np.ndarray]) -> np.ndarray:  # output 1 of the network, which target=1 attributes
        with torch.no_grad():
            return target.module.eval()(target.to_tensor(target.prepared(rows)))[:, 1].double().numpy()

    np.testing.assert_allclose(by_list.sum(axis=(1, 2)) - delta, logit(frames) - logit(base), rtol=1e-3, atol=1e-4)
