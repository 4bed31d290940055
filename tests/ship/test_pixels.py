"""hl.ship.image_input: the one pixel rule of the server and the command line (values + dtype -> an ImageClassifier's input)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.ship import IMAGE_LAYOUTS, PIXEL_DTYPES, PixelError, image_input

GRAY = SimpleNamespace(image_shape_=(1, 8, 8))  # (C, H, W) as a fitted ImageClassifier stores it; no mean_: not the 0-1 scale
RGB = SimpleNamespace(image_shape_=(3, 4, 5))
UNIT = SimpleNamespace(image_shape_=(1, 2, 2), mean_=np.array([0.4]), scale_=np.array([0.3]))  # fitted on pixels 0-1


@given(st.lists(st.floats(min_value=-300, max_value=300, allow_nan=False), min_size=64, max_size=64))
@settings(max_examples=60, deadline=None)
def test_uint8_pixels_are_whole_numbers_0_to_255(values: list[float]) -> None:
    a = np.asarray(values).reshape(1, 64)
    if all(v == int(v) and 0 <= v <= 255 for v in values):
        np.testing.assert_array_equal(image_input(GRAY, a, "uint8"), a.reshape(1, 8, 8).astype(np.uint8))
    else:
        with pytest.raises(PixelError, match="not whole numbers 0-255") as exc:
            image_input(GRAY, a, "uint8")
        assert (exc.value.problem, exc.value.image) == ("uint8", 0)
    got = image_input(GRAY, a, "float32")  # float32: any finite pixels, as given
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, a.reshape(1, 8, 8).astype(np.float32))


def test_layouts_read_the_same_images() -> None:
    hwc = np.arange(2 * 4 * 5 * 3, dtype=np.float64).reshape(2, 4, 5, 3)
    chw = hwc.transpose(0, 3, 1, 2)
    for got in (image_input(RGB, hwc), image_input(RGB, hwc.reshape(2, -1)), image_input(RGB, chw, layout="chw"),
                image_input(RGB, chw.reshape(2, -1), layout="chw"), image_input(RGB, chw, layout="any"), image_input(RGB, hwc, layout="any")):
        np.testing.assert_array_equal(got, hwc)
    with pytest.raises(PixelError, match=r"each image has shape \(3, 4, 5\).*give \[4, 5, 3\]") as exc:
        image_input(RGB, chw)  # (C, H, W) images where (H, W, C) ones were said
    assert exc.value.problem == "shape"
    gray = np.arange(2 * 64).reshape(2, 8, 8)
    for shape in ((2, 8, 8), (2, 8, 8, 1), (2, 1, 8, 8), (2, 64)):  # one channel: every form reads alike
        np.testing.assert_array_equal(image_input(GRAY, gray.reshape(shape), "uint8"), gray.astype(np.uint8))


@pytest.mark.parametrize(("values", "dtype", "problem", "image"), [
    ([["a"] * 64], "float32", "numbers", None),
    ([[[1.0, 2.0], [3.0]]], "float32", "numbers", None),  # ragged
    (np.zeros((1, 63)), "float32", "shape", None),
    (np.r_[np.zeros(64), np.zeros(63), np.nan].reshape(2, 64), "float32", "finite", 1),
    (np.r_[np.zeros(64), 1e39, np.zeros(63)].reshape(2, 64), "float32", "float32_range", 1),
    (np.r_[np.zeros(64), -1, np.zeros(63)].reshape(2, 64), "uint8", "uint8", 1),
])
def test_each_broken_rule_is_named(values: object, dtype: str, problem: str, image: int | None) -> None:
    with pytest.raises(PixelError) as exc:
        image_input(GRAY, values, dtype)
    assert (exc.value.problem, exc.value.image) == (problem, image)
    assert isinstance(exc.value, ValueError)


def test_a_model_fitted_on_pixels_0_to_1_refuses_0_to_255_floats() -> None:
    np.testing.assert_array_equal(image_input(UNIT, [[0.0, 0.5, 1.0, 1.5]]), [[[0.0, 0.5], [1.0, 1.5]]])
    with pytest.raises(PixelError, match="up to 255, but the model was fitted on pixels 0-1") as exc:
        image_input(UNIT, [[0, 0, 0, 0], [0, 128, 255, 3]])
    assert (exc.value.problem, exc.value.image, exc.value.value) == ("unit_scale", 1, 255.0)
    assert image_input(UNIT, [[0, 128, 255, 3]], "uint8").dtype == np.uint8  # the same pixels said to be uint8: scaled by the app


def test_bad_dtype_or_layout_is_a_value_error() -> None:
    assert PIXEL_DTYPES == ("float32", "uint8") and IMAGE_LAYOUTS == ("hwc", "chw", "any")
    with pytest.raises(ValueError, match="dtype must be one of"):
        image_input(GRAY, np.zeros((1, 64)), "int8")
    with pytest.raises(ValueError, match="layout one of"):
        image_input(GRAY, np.zeros((1, 64)), layout="nchw")
