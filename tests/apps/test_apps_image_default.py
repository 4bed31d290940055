"""ImageClassifier's default hidden layers work on any image a CNN can take: 8x8 digits, 4x4, 28x28 unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from hiddenlayers import DataError
from hiddenlayers.apps import ImageClassifier
from hiddenlayers.apps._image import DEFAULT_SPEC, SMALL_SPEC, default_spec_for
from hiddenlayers.network import Network

TOO_SMALL = ("images of 2 x 2 pixels are too small for the default hidden layers, which need at least 4 x 4 (two pool2 layers): "
             "pass hidden_layer_sizes for them, e.g. 'conv32k3:same,128' or '128'.")


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X.reshape(-1, 8, 8), y  # (1797, 8, 8) float, 0..16: what a user first tries


@pytest.fixture(scope="module")
def fitted(digits: tuple[np.ndarray, np.ndarray]) -> tuple[ImageClassifier, np.ndarray, np.ndarray]:
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    return ImageClassifier(max_iter=6, random_state=0).fit(X_train, y_train), X_test, y_test


def test_default_learns_8x8_digits(fitted: tuple[ImageClassifier, np.ndarray, np.ndarray]) -> None:
    clf, X_test, y_test = fitted
    assert clf.score(X_test, y_test) > 0.9
    assert clf.hidden_spec_ == SMALL_SPEC  # the default, 'same'-padded to fit 8 x 8, and visible
    assert clf.get_params()["hidden_layer_sizes"] == DEFAULT_SPEC  # what the user gave: clone and grid search refit the same way
    assert clone(clf).get_params() == clf.get_params()


def test_resized_default_survives_save_and_load(fitted: tuple[ImageClassifier, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    clf, X_test, _ = fitted
    clf.save(tmp_path / "digits.safetensors")
    again = ImageClassifier.load(tmp_path / "digits.safetensors")
    assert again.hidden_spec_ == SMALL_SPEC and again.get_params() == clf.get_params()
    np.testing.assert_array_equal(again.predict_proba(X_test[:50]), clf.predict_proba(X_test[:50]))


def test_default_takes_4x4_images(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    small = X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4))  # (N, 4, 4): each 2 x 2 block averaged
    clf = ImageClassifier(max_iter=2, early_stopping=False, random_state=0).fit(small[:400], y[:400])
    assert clf.hidden_spec_ == SMALL_SPEC
    assert clf.predict(small[400:410]).shape == (10,) and clf.score(small[400:800], y[400:800]) > 0.3  # chance is 0.1


def test_default_keeps_valid_convolutions_from_10x10() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.random((24, 12, 10)), np.arange(24) % 2
    clf = ImageClassifier(max_iter=1, early_stopping=False, random_state=0).fit(X, y)
    assert clf.hidden_spec_ == DEFAULT_SPEC  # the network trained and measured on 28 x 28 images is unchanged
    reference = Network((1, 12, 10), DEFAULT_SPEC, 2)
    assert [p.shape for p in clf.network_.parameters()] == [p.shape for p in reference.parameters()]


def test_image_too_small_for_the_default_is_one_line(fitted: tuple[ImageClassifier, np.ndarray, np.ndarray]) -> None:
    X, y = np.random.default_rng(0).random((20, 2, 2)), np.arange(20) % 2
    with pytest.raises(DataError) as err:
        ImageClassifier().fit(X, y)
    assert str(err.value) == TOO_SMALL
    clf, X_test, _ = fitted
    before = clf.predict_proba(X_test[:5])
    with pytest.raises(DataError):  # a refit refused for its images leaves the fitted model as it was
        clf.fit(X, y)
    assert clf.hidden_spec_ == SMALL_SPEC
    np.testing.assert_array_equal(clf.predict_proba(X_test[:5]), before)
    assert ImageClassifier("conv4k3:same,8", max_iter=1, early_stopping=False).fit(X, y).hidden_spec_ == "conv4k3:same,8"  # a spec given is kept


@settings(max_examples=30, deadline=None)
@given(height=st.integers(1, 40), width=st.integers(1, 40), channels=st.sampled_from([1, 3]))
def test_default_builds_for_every_image_from_4x4(height: int, width: int, channels: int) -> None:
    if min(height, width) < 4:
        with pytest.raises(DataError, match=f"images of {height} x {width} pixels are too small"):
            default_spec_for((channels, height, width))
        return
    spec = default_spec_for((channels, height, width))
    assert spec == (DEFAULT_SPEC if min(height, width) >= 10 else SMALL_SPEC)  # the measured default wherever it fits
    Network((channels, height, width), spec, 3)  # builds: no SpecError


@settings(max_examples=20, deadline=None)
@given(side=st.integers(2, 40), square=st.booleans())
def test_flat_rows_before_fit_get_a_reshape_of_their_own_size(side: int, square: bool) -> None:
    """digits' flat (N, 64) rows were told 'e.g. X.reshape(-1, 28, 28)', which fails on them; a square row count names its side."""
    width = side * side if square else side * side + 1
    with pytest.raises(DataError) as info:
        ImageClassifier(max_iter=1).fit(np.zeros((3, width)), np.arange(3))
    msg = str(info.value)
    if square:
        assert msg.endswith(f"e.g. X.reshape(-1, {side}, {side}) if each row is a square image.")
    else:
        assert msg.endswith("reshape them to (N, H, W), e.g. X.reshape(-1, 28, 28) for 784 values a row.")
