"""``preferred_inputs``: the input each hidden unit responds to most, checked against closed forms.

For a ReLU unit ``relu(w·x + b)`` of a first dense layer, the maximum on the
ball ``|x - mean| <= r`` is ``mean + r·w/|w|`` (when the unit is on there);
for a bare convolution the channel's mean over positions is linear in ``x``,
so its maximum is ``mean + r·g/|g|`` with ``g`` that linear map's gradient.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import PreferredInputs, preferred_inputs


def _hooks(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


def _ball_optimum(mean: np.ndarray, r: float, w: np.ndarray) -> np.ndarray:
    """``mean + r·w/|w|`` for each row ``w`` of ``w`` ``(units, features)``."""
    return mean + r * w / np.linalg.norm(w, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def digits_clf() -> tuple[hl.MLPClassifier, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    X = X / 16
    return hl.MLPClassifier((24,), max_iter=15, random_state=0).fit(X, y), X


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_first_relu_layer_matches_the_closed_form(digits_clf: tuple) -> None:
    clf, X = digits_clf
    pref = preferred_inputs(clf, X)
    W, b = clf.coefs_[0].T, clf.intercepts_[0]  # (units, features), (units,)
    mean = X.mean(0)
    r = float(np.median(np.linalg.norm(X - mean, axis=1)))
    assert pref.layer == "hidden1" and pref.radius == pytest.approx(r)
    expected = _ball_optimum(mean, r, W)
    on = (expected * W).sum(1) + b > 0  # units that are on at their optimum
    assert on.sum() >= 20
    np.testing.assert_allclose(pref.inputs[on], expected[on], atol=1e-6 * r)
    np.testing.assert_allclose(pref.activation[on], ((expected * W).sum(1) + b)[on], rtol=1e-5)
    np.testing.assert_allclose(pref.activation_at_mean, np.maximum(W @ mean + b, 0), rtol=1e-5, atol=1e-6)
    assert (np.linalg.norm(pref.inputs - mean, axis=1) <= r * (1 + 1e-9)).all()


@pytest.mark.parametrize("inplace", [False, True])
def test_a_unit_off_at_the_mean_climbs_its_pre_activation_and_a_unit_off_everywhere_is_flat(inplace: bool) -> None:
    # ReLU(inplace=True) overwrites its input: the pre-activation read after the pass was the ReLU's output, so unit 1
    # (off at the mean) had no gradient to climb and was called flat
    torch.manual_seed(0)
    lin = nn.Linear(5, 3)
    X = np.random.default_rng(0).normal(size=(200, 5)).astype(np.float32)
    mean = X.mean(0, dtype=np.float64)
    r = 1.5
    with torch.no_grad():
        w = lin.weight.double().numpy()
        norms = np.linalg.norm(w, axis=1)
        # unit 0: on at the mean; unit 1: off at the mean, on at the optimum; unit 2: off on the whole ball
        lin.bias[:] = torch.tensor([1.0 - w[0] @ mean, -0.5 * r * norms[1] - w[1] @ mean, -2 * r * norms[2] - w[2] @ mean])
    model = nn.Sequential(lin, nn.ReLU(inplace=inplace))
    pref = preferred_inputs(model, X, layer="1", radius=r)
    expected = _ball_optimum(mean, r, w)
    np.testing.assert_allclose(pref.inputs[:2], expected[:2], atol=1e-6)
    assert pref.activation_at_mean[1] == 0 and pref.activation[1] == pytest.approx(0.5 * r * norms[1], rel=1e-5)
    assert pref.flat.tolist() == [False, False, True]
    np.testing.assert_array_equal(pref.inputs[2], mean)  # nothing to prefer: the mean itself
    assert pref.activation[2] == pref.activation_at_mean[2] == 0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_digits_with_image_shape_gives_8x8_images_and_plots_headless(digits_clf: tuple) -> None:
    clf, X = digits_clf
    pref = preferred_inputs(clf, X, units=range(6), image_shape=(8, 8))
    assert pref.inputs.shape == (6, 64) and pref.images().shape == (6, 8, 8)
    assert pref.images(relative=True).shape == (6, 8, 8)
    fig = pref.plot()
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"
    shown = [im.get_array().shape for ax in fig.axes for im in ax.get_images()]
    assert shown == [(8, 8)] * 6
    fig.savefig(io.BytesIO(), format="png")
    tab = preferred_inputs(clf, X, units=[0, 1])  # no image shape: one bar chart per unit
    assert tab.image_shape is None
    fig = tab.plot(max_features=5)
    assert [len(ax.patches) for ax in fig.axes] == [5, 5]
    with pytest.raises(ValueError, match=r"^these inputs are not images: pass image_shape="):
        tab.images()


class _ConvNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(3 * 8 * 8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.act(self.conv(x))).flatten(1))


def test_own_conv_module_channel_mean_matches_the_closed_form_and_is_handed_back_as_it_was() -> None:
    torch.manual_seed(0)
    net = _ConvNet()
    net.train()
    net.drop.eval()  # a mixed state that net.train(flag) would not restore
    net.head.weight.requires_grad_(False)
    before = ([m.training for m in net.modules()], [p.requires_grad for p in net.parameters()], _hooks(net))
    X = torch.rand(50, 1, 8, 8)
    r = 2.0
    pref = preferred_inputs(net, X, layer="conv", radius=r, bounds=None)  # the ball only: an image input is boxed by default
    assert pref.inputs.shape == (3, 1, 8, 8) and pref.image_shape == (1, 8, 8) and pref.images().shape == (3, 8, 8)
    # the channel mean of a bare convolution is linear in x: its gradient g_c is the same everywhere
    x = X.mean(0, keepdim=True).double().requires_grad_(True)
    conv = nn.Conv2d(1, 3, 3, padding=1).double()
    conv.load_state_dict(net.conv.state_dict())
    g = np.stack([torch.autograd.grad(conv(x)[0, c].mean(), x)[0].reshape(-1).numpy() for c in range(3)])
    expected = _ball_optimum(X.mean(0).double().reshape(-1).numpy(), r, g)
    np.testing.assert_allclose(pref.inputs.reshape(3, -1), expected, atol=1e-5)
    assert ([m.training for m in net.modules()], [p.requires_grad for p in net.parameters()], _hooks(net)) == before
    assert all(p.grad is None for p in net.parameters())
    # the centre position (row 4, column 4) of a bare convolution is linear too, and sees only a 3x3 patch
    g_centre = np.stack([torch.autograd.grad(conv(x)[0, c, 4, 4], x)[0].reshape(-1).numpy() for c in range(3)])
    mid = preferred_inputs(net, X, layer="conv", reduce="centre", radius=r, steps=40, bounds=None)
    np.testing.assert_allclose(mid.inputs.reshape(3, -1), _ball_optimum(mid.mean.reshape(-1), r, g_centre), atol=1e-5)
    centre = preferred_inputs(net, X, layer="act", reduce="centre", radius=r, steps=50)
    assert (centre.activation >= centre.activation_at_mean).all()
    assert centre.bounds is not None and (centre.inputs >= X.numpy().min(0)).all() and (centre.inputs <= X.numpy().max(0)).all()
    assert (np.linalg.norm((centre.inputs - centre.mean).reshape(3, -1), axis=1) <= r * (1 + 1e-9)).all()
    centre.plot().savefig(io.BytesIO(), format="png")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_same_seed_same_answer_and_table_names_are_kept() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(120, 4)), columns=["age", "income", "height", "weight"])
    y = (frame["age"] + frame["income"] > 0).astype(int)
    clf = hl.MLPClassifier((6,), max_iter=200, random_state=0).fit(frame, y)
    a = preferred_inputs(clf, frame, steps=50)
    b = preferred_inputs(clf, frame, steps=50)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert a.feature_names == ["age", "income", "height", "weight"]
    labels = [t.get_text() for t in a.plot(max_units=1).axes[0].get_yticklabels()]
    assert sorted(labels) == ["age", "height", "income", "weight"]


def _one_line(excinfo: pytest.ExceptionInfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


def test_bad_calls_are_one_line_errors() -> None:
    net = hl.Network(4, (8, 8), 3)
    X = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    with pytest.raises(ValueError) as e:
        preferred_inputs(net, X, layer="hiden1")
    assert re.match(r"^layer='hiden1' matched no layer of Network; its layers are: hidden1 \(DenseLayer\).* Did you mean 'hidden1'\?$", _one_line(e))
    with pytest.raises(ValueError, match=r"^layer='hidden\?' picks 2 layers \(hidden1 \(DenseLayer\), hidden2 \(DenseLayer\)\): name one of them\.$"):
        preferred_inputs(net, X, layer="hidden?")
    with pytest.raises(ValueError, match=r"^layer=3 is not a hidden layer of Network: pass 1\.\.2"):
        preferred_inputs(net, X, layer=3)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError) as e:
        preferred_inputs(net, bad)
    assert _one_line(e).startswith("X holds NaN or infinite values (first in row 3)")
    with pytest.raises(ValueError, match=r"^units must be unit indices in 0\.\.7 \(layer 'hidden2' has 8 units\), or None for every unit\. Received: units=\[2, 8\]\.$"):
        preferred_inputs(net, X, layer=2, units=[2, 8])
    with pytest.raises(ValueError, match=r"^radius must be a finite number > 0 .* Received: radius=0\.$"):
        preferred_inputs(net, X, radius=0)
    with pytest.raises(ValueError, match=r"^X's 30 row\(s\) are all at their mean \(median distance 0\)"):
        preferred_inputs(net, np.ones((30, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"^layer is required: Sequential names no hidden layers; pass one of its layers: 0 \(Linear\), 1 \(ReLU\)"):
        preferred_inputs(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), X)
    with pytest.raises(ValueError, match=r"^image_shape must be \(H, W\) or \(C, H, W\) with .* the 4 values of one input \(4,\)\. Received: image_shape=\(3, 3\)\.$"):
        preferred_inputs(net, X, image_shape=(3, 3))
    with pytest.raises(ValueError, match=r"^preferred inputs need real-valued inputs; this model reads int64 values \(ids\)"):
        preferred_inputs(nn.Sequential(nn.Embedding(10, 4), nn.ReLU()), np.arange(10)[:, None], layer="1")
    with pytest.raises(ValueError, match=r"^reduce must be one of 'mean', 'centre'"):
        preferred_inputs(net, X, reduce="max")


@settings(max_examples=30, deadline=None)
@given(
    radius=st.one_of(st.floats(max_value=0), st.just(float("nan")), st.just(float("inf")), st.booleans(), st.text(max_size=3)),
    unit=st.one_of(st.integers(max_value=-1), st.integers(min_value=8), st.booleans(), st.floats(allow_nan=False)),
)
def test_invalid_radius_and_units_are_refused_naming_the_value(radius: object, unit: object) -> None:
    net = hl.Network(4, (8,), 3)
    X = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=r"^radius must be a finite number > 0 .* Received: radius="):
        preferred_inputs(net, X, radius=radius)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^units must be unit indices in 0\.\.7 .* Received: units="):
        preferred_inputs(net, X, units=[unit], steps=1)
    assert _hooks(net) == 0


def test_result_type_is_exported() -> None:
    assert hl.lens.preferred_inputs is preferred_inputs and isinstance(
        preferred_inputs(hl.Network(2, (3,), 1), np.eye(2, dtype=np.float32), steps=2), PreferredInputs
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_image_classifier_inputs_are_colour_images_without_image_shape() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((40, 8, 8, 3)).astype(np.float32)
    model = hl.ImageClassifier("conv4k3,pool2,8", max_iter=2, random_state=0).fit(X, rng.integers(0, 2, 40))
    pref = preferred_inputs(model, X, steps=20)
    assert pref.layer == "hidden1" and pref.inputs.shape == (4, 3, 8, 8) and pref.image_shape == (3, 8, 8)
    assert pref.images().shape == (4, 8, 8, 3)
    assert [im.get_array().shape for ax in pref.plot().axes for im in ax.get_images()] == [(8, 8, 3)] * 4


def test_bar_charts_draw_names_the_default_font_lacks_with_a_fallback_font() -> None:
    import warnings

    from hiddenlayers.lens._plot_text import font_families

    if font_families(["数据"]) is None:
        pytest.skip("no installed font draws 数据")
    X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    pref = preferred_inputs(nn.Sequential(nn.Linear(3, 2), nn.Tanh()), X, layer="1", steps=5, feature_names=["数据", "b", "c"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s) DejaVu Sans" would draw an empty box
        pref.plot().canvas.draw()


@pytest.fixture(scope="module")
def raw_digits_clf() -> tuple[hl.MLPClassifier, np.ndarray]:
    """Digits as they come, pixels 0..16: the ball alone reaches values no image has."""
    X, y = load_digits(return_X_y=True)
    return hl.MLPClassifier((16,), max_iter=10, random_state=0).fit(X, y), X


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_data_bounds_keep_every_input_within_its_range_over_X(raw_digits_clf: tuple) -> None:
    clf, X = raw_digits_clf
    free = preferred_inputs(clf, X, bounds=None, steps=60)
    assert free.bounds is None and (free.inputs.min() < 0 or free.inputs.max() > 16)  # what the box is for
    pref = preferred_inputs(clf, X, bounds="data", steps=60)
    low, high = X.min(0), X.max(0)
    assert (pref.inputs >= low).all() and (pref.inputs <= high).all()
    assert (pref.activation >= pref.activation_at_mean).all()
    assert (np.linalg.norm(pref.inputs - pref.mean, axis=1) <= pref.radius * (1 + 1e-9)).all()
    np.testing.assert_array_equal(pref.bounds[0], low)
    np.testing.assert_array_equal(pref.bounds[1], high)
    # the default: the box for images (image_shape given, or an (N, C, H, W) input), none for tables
    boxed = preferred_inputs(clf, X, image_shape=(8, 8), steps=60)  # one search checked twice (it was run twice)
    assert boxed.bounds is not None
    np.testing.assert_array_equal(boxed.inputs, pref.inputs)
    assert preferred_inputs(clf, X, units=[0], steps=5).bounds is None
    # a pair: scalars, or one value per input (flattened or in the input's shape)
    pair = preferred_inputs(clf, X, units=range(4), bounds=(0, 16), steps=60)
    assert pair.inputs.min() >= 0 and pair.inputs.max() <= 16
    high = np.maximum(np.ceil(X.mean(0)), 1.0)  # a pixel's mean rounded up: a tight box
    per = preferred_inputs(clf, X, units=range(4), bounds=(np.zeros((8, 8)), torch.from_numpy(high)), steps=60)
    assert per.inputs.min() >= 0 and (per.inputs <= high).all() and (per.inputs == high).any()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.1, 10.0), r=st.floats(0.05, 5.0))
def test_projection_is_the_nearest_point_of_ball_and_box(seed: int, scale: float, r: float) -> None:
    from hiddenlayers.lens._preferred import _project

    rng = np.random.default_rng(seed)
    low = -rng.random(6) * scale
    high = rng.random(6) * scale
    low[0] = -np.inf  # no limit on one side
    y = torch.from_numpy(rng.normal(size=(5, 6)) * 2 * scale)
    p = _project(y.clone(), r, (torch.from_numpy(low), torch.from_numpy(high))).numpy()
    assert (p >= low).all() and (p <= high).all()
    assert (np.linalg.norm(p, axis=1) <= r * (1 + 1e-12)).all()
    # no feasible point is nearer: random points of the ball and box, and p moved a little along each axis
    z = np.clip(rng.normal(size=(4000, 6)) * scale, low, high)
    z *= np.minimum(1.0, r / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-300))
    for i in range(len(p)):
        best = np.linalg.norm(y[i].numpy() - p[i])
        assert (np.linalg.norm(z - y[i].numpy(), axis=1) >= best - 1e-9).all()


def test_bad_bounds_are_one_line_errors() -> None:
    net = hl.Network(4, (8,), 3)
    X = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    cases = [
        ("box", r"^bounds must be 'auto', 'data' .* Received: bounds='box'\.$"),
        ((0, 1, 2), r"^bounds must be 'auto', 'data' .* Received: bounds=\(0, 1, 2\)\.$"),
        ((np.zeros(3), 5), r"^bounds' low has 3 values but one input has 4: pass a number, or one value per input value\.$"),
        ((-5, [1, 1, np.nan, 1]), r"^bounds' high holds NaN: pass numbers \(-inf or inf for no limit on that side\)\.$"),
        (([-5, -5, 3, -5], 2), r"^bounds' low is above its high for input 2 \(3 > 2\): pass low <= high\.$"),
        ((0.5, 9), r"^bounds must hold X's mean \(the search's centre\): input \d's mean -?[\d.]+ is outside \[0\.5, 9\]"),
        (("a", 1), r"^bounds must be 'auto', 'data' .*; its low is not numeric\. Received: low='a'\.$"),
    ]
    for bounds, pattern in cases:
        with pytest.raises(ValueError) as e:
            preferred_inputs(net, X, bounds=bounds, steps=1)
        assert re.match(pattern, _one_line(e)), (bounds, str(e.value))
    assert _hooks(net) == 0


@settings(max_examples=40, deadline=None)
@given(low=st.floats(allow_nan=True, allow_infinity=True), high=st.floats(allow_nan=True, allow_infinity=True))
def test_any_scalar_bounds_either_hold_the_search_or_are_refused_in_one_line(low: float, high: float) -> None:
    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    try:
        pref = preferred_inputs(nn.Sequential(nn.Linear(3, 2), nn.Tanh()), X, layer="1", bounds=(low, high), steps=3)
    except ValueError as e:
        assert "\n" not in str(e) and str(e).startswith("bounds")
        return
    assert (pref.inputs >= low).all() and (pref.inputs <= high).all()
