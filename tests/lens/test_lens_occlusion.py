"""``method="occlusion"``: Captum's ``Occlusion`` with a window and stride per input kind (images, sequences, tables)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum import attr as ca
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from hiddenlayers.lens import as_target, attribute, feature_importance
from hiddenlayers.lens._occlusion import default_window, occlusion_window


class _Seq(nn.Module):
    """A GRU over ``(n, T, F)`` sequences, its last step read by a dense head: a sequence model's input for occlusion."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(3, 4, batch_first=True)
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.gru(x)[0][:, -1])


@pytest.fixture(scope="module")
def images():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 5 * 5, 2)).eval()
    X = np.random.default_rng(0).normal(size=(4, 2, 7, 7)).astype(np.float32)
    return net, X


def _occlusion(net, X, window, stride, target, base=None):
    x = torch.from_numpy(X)
    base = torch.zeros_like(x) if base is None else base
    return ca.Occlusion(net).attribute(x, sliding_window_shapes=window, strides=stride, baselines=base, target=target).numpy()


def test_image_occlusion_defaults_to_a_3x3_window_through_every_channel_with_stride_2(images):
    net, X = images
    want = _occlusion(net, X, (2, 3, 3), (1, 2, 2), 1)  # zeros: the "auto" baseline of images
    np.testing.assert_allclose(attribute(net, X, target=1, method="occlusion"), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("window", "stride", "full"), [(2, 1, ((2, 2, 2), (1, 1, 1))), ((1, 4, 2), (1, 3, 2), ((1, 4, 2), (1, 3, 2))),
                                                        ((3, 3), (2, 1), ((2, 3, 3), (1, 2, 1)))])
def test_image_occlusion_with_a_window_equals_captum_called_directly(images, window, stride, full):
    net, X = images
    want = _occlusion(net, X, *full, 0)
    np.testing.assert_allclose(attribute(net, X, target=0, method="occlusion", window=window, stride=stride), want, rtol=1e-5, atol=1e-6)


def test_a_one_pixel_window_with_stride_1_is_feature_ablation_per_pixel(images):
    """Occlusion's 1x1x1 window moved one element at a time replaces each input value alone by the baseline: feature ablation."""
    net, X = images
    occl = attribute(net, X, target=1, method="occlusion", window=(1, 1, 1), stride=1)
    np.testing.assert_allclose(occl, attribute(net, X, target=1, method="feature_ablation"), rtol=1e-5, atol=1e-6)


def test_a_tables_default_one_feature_window_is_feature_ablation():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 1)).eval()
    X = np.random.default_rng(1).normal(size=(9, 5)).astype(np.float32)
    occl = attribute(net, X, method="occlusion")  # the table's "auto" baseline: the rows' mean
    np.testing.assert_allclose(occl, attribute(net, X, method="feature_ablation"), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(feature_importance(net, X, method="occlusion", max_rows=None),
                               feature_importance(net, X, method="feature_ablation", max_rows=None), rtol=1e-6)
    two = attribute(net, X, method="occlusion", window=2)  # adjacent columns together: Captum's own numbers
    want = _occlusion(net, X, (2,), (1,), 0, torch.from_numpy(X.mean(0, keepdims=True)).expand(9, -1))
    np.testing.assert_allclose(two, want, rtol=1e-5, atol=1e-6)


def test_sequence_occlusion_defaults_to_3_steps_of_every_feature():
    torch.manual_seed(0)
    net = _Seq().eval()
    X = np.random.default_rng(2).normal(size=(3, 6, 3)).astype(np.float32)
    want = _occlusion(net, X, (3, 3), (1, 1), 1)
    np.testing.assert_allclose(attribute(net, X, target=1, method="occlusion"), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(attribute(net, X, target=1, method="occlusion", window=2, stride=2), _occlusion(net, X, (2, 3), (2, 1), 1),
                               rtol=1e-5, atol=1e-6)


def test_occlusion_of_an_image_classifier_reads_its_black_image_in_network_units():
    """An ImageClassifier standardises its pixels: occlusion fills each window with a black image's network values, not
    with the network's zeros (the training mean, a grey image), as the other methods' "auto" baseline does."""
    from hiddenlayers.apps import ImageClassifier

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (12, 6, 6), dtype=np.uint8), np.repeat(["a", "b"], 6)
    clf = ImageClassifier("conv2k3,4", max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(X, y)
    target = as_target(clf)
    xp = torch.as_tensor(np.asarray(target.prepared(X)), dtype=torch.float32)
    black = torch.as_tensor(np.asarray(target.prepared(np.zeros((1, 6, 6), dtype=np.uint8))), dtype=torch.float32)
    assert float(black.abs().max()) > 0  # the black image is not the network's zeros
    target.module.eval()
    want = ca.Occlusion(target.module).attribute(xp, sliding_window_shapes=(1, 3, 3), strides=(1, 2, 2), baselines=black.expand_as(xp),
                                                 target=1).numpy()
    np.testing.assert_allclose(attribute(clf, X, target="b", method="occlusion"), want, rtol=1e-5, atol=1e-6)


def test_window_and_stride_that_do_not_fit_are_one_line(images):
    net, X = images
    cases = [
        (dict(window=(8, 8)), r"^window=\(8, 8\) does not fit the input, \(C, H, W\) = \(2, 7, 7\) per example: H is 7 long and the window 8; "
                              r"pass sizes within the input's, e\.g\. window=\(2, 3, 3\)\.$"),
        (dict(window=2, stride=3), r"^stride=3 is larger than window=\(2, 2, 2\) along H \(3 > 2\): the elements between two windows would "
                                   r"never be occluded; pass a stride <= the window, e\.g\. stride=2\.$"),
        (dict(window=(1, 2, 3, 4)), r"^window=\(1, 2, 3, 4\) has 4 size\(s\), which fit no form for inputs of \(C, H, W\) = \(2, 7, 7\) per "
                                    r"example: pass \(C, h, w\), \(h, w\) or one int\.$"),
        (dict(window=0), r"^window must be positive ints, \(C, h, w\), \(h, w\) or one int .*Received: window=0\.$"),
        (dict(stride=2.5), r"^stride must be positive ints.*Received: stride=2\.5\.$"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            attribute(net, X, target=0, method="occlusion", **kwargs)
    with pytest.raises(ValueError, match=r"^window= set occlusion's sliding window; method='saliency' has none: pass method='occlusion', or drop window=\.$"):
        attribute(net, X, target=0, method="saliency", window=2)
    with pytest.raises(ValueError, match=r"^window and stride= set occlusion's"):
        feature_importance(net, X, window=2, stride=1)


_SHAPES = st.one_of(st.tuples(st.integers(1, 9)), st.tuples(st.integers(1, 9), st.integers(1, 5)),
                    st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)))
_SIZES = st.one_of(st.none(), st.integers(-1, 10), st.lists(st.integers(-1, 10), min_size=0, max_size=4).map(tuple), st.just("3"), st.just(2.0))


@given(shape=_SHAPES, window=_SIZES, stride=_SIZES)
def test_window_parser_gives_sizes_captum_accepts_or_one_line(shape, window, stride):
    """Whatever is passed, the parser returns one size per axis within the input, with every element covered (a stride
    over the window only where the window spans the axis, Captum's rule), or refuses in one line naming window or stride."""
    try:
        win, step = occlusion_window(window, stride, shape)
    except ValueError as exc:
        text = str(exc)
        assert "\n" not in text and (text.startswith("window") or text.startswith("stride")), text
        return
    assert len(win) == len(step) == len(shape)
    assert all(1 <= w <= d for w, d in zip(win, shape, strict=True)) and all(s >= 1 for s in step)
    assert all(s <= w or w == d for w, s, d in zip(win, step, shape, strict=True))
    if isinstance(window, tuple) and len(window) == len(shape):
        assert win == window  # the full form is taken as given
    if window is None:
        assert win == default_window(shape)


@given(shape=_SHAPES, window=st.one_of(st.none(), st.integers(1, 4)), stride=st.one_of(st.none(), st.integers(1, 4)))
def test_every_window_the_parser_accepts_runs_in_captum(shape, window, stride):
    """The sizes it returns are ones Captum's Occlusion runs with, on a model summing its positive input from a zero
    baseline: each window's change is its elements' sum, so an element gets at least its own value (exactly it for a
    one-element window), and no element is left uncovered (an uncovered one would get 0)."""
    try:
        win, step = occlusion_window(window, stride, shape)
    except ValueError:
        return
    x = torch.arange(1.0, 1.0 + 2 * int(np.prod(shape))).reshape(2, *shape)
    got = ca.Occlusion(lambda t: t.reshape(len(t), -1).sum(1)).attribute(x, sliding_window_shapes=win, strides=step, baselines=0.0)
    assert got.shape == x.shape and bool((got >= x - 1e-4).all())
    if all(w == 1 for w in win):
        torch.testing.assert_close(got, x)


_PY_SIZES = st.one_of(st.integers(-1, 10), st.lists(st.integers(-1, 10), min_size=1, max_size=4).map(tuple))


def _as_numpy(sizes, kind: str):
    """``sizes`` (an int or a tuple of ints) as NumPy writes it: a scalar of dtype ``kind``'s, a 0-d or 1-D array."""
    dtype = {"int": np.int64, "uint": np.uint8, "float": np.float64, "bool": np.bool_}[kind]
    if kind == "uint":
        sizes = tuple(abs(s) for s in sizes) if isinstance(sizes, tuple) else abs(sizes)
    if isinstance(sizes, tuple):
        return np.array(sizes, dtype=dtype), sizes
    return (dtype(sizes) if kind != "uint" else np.array(sizes, dtype=dtype)), sizes


@given(shape=_SHAPES, window=_PY_SIZES, stride=st.one_of(st.none(), _PY_SIZES), kind=st.sampled_from(["int", "uint", "float", "bool"]),
       which=st.sampled_from(["window", "stride", "both"]))
def test_numpy_integer_sizes_read_as_the_same_python_ints_and_floats_or_bools_are_refused(shape, window, stride, kind, which):
    """`window=np.array([2, 2])` was refused ("must be positive ints"), and so was any NumPy integer array: NumPy integer
    scalars and 0-d/1-D integer arrays now read as the ints and tuples they hold, with the same result or the same refusal
    as those; float and bool ones stay refused, in one line naming the argument."""
    py_win, py_step = window, stride
    np_win, py_win = _as_numpy(window, kind) if which in ("window", "both") else (window, window)
    np_step, py_step = _as_numpy(stride, kind) if stride is not None and which in ("stride", "both") else (stride, stride)
    numpy_given = np_win is not py_win or np_step is not py_step
    try:
        got = occlusion_window(np_win, np_step, shape)
    except ValueError as exc:
        text = str(exc)
        assert "\n" not in text and text.startswith(("window", "stride")), text
        got = None
    if kind in ("float", "bool") and numpy_given:
        assert got is None  # 2.0 or True is no size
        return
    try:
        want = occlusion_window(py_win, py_step, shape)
    except ValueError:
        want = None
    assert got == want


def test_numpy_sizes_run_occlusion_as_the_ints_do(images):
    net, X = images
    want = attribute(net, X, target=0, method="occlusion", window=(2, 2), stride=2)
    for window, stride in ((np.array([2, 2]), np.int64(2)), (np.array([2, 2, 2])[1:], np.array(2)), ((np.int32(2), np.int64(2)), (np.int64(2), 2))):
        np.testing.assert_array_equal(attribute(net, X, target=0, method="occlusion", window=window, stride=stride), want)
    with pytest.raises(ValueError, match=r"^window must be positive ints, .*Received: window=array\(\[2\., 2\.\]\)\.$"):
        attribute(net, X, target=0, method="occlusion", window=np.array([2.0, 2.0]))
    with pytest.raises(ValueError, match=r"^stride must be positive ints, .*Received: stride=np\.True_\.$|^stride must be positive ints, .*Received: stride=True\.$"):
        attribute(net, X, target=0, method="occlusion", window=2, stride=np.bool_(True))
