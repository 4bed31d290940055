"""The one standardisation rule: a column's mean and spread at any magnitude, constant only relative to its level."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.data import center_spread, unit_scale

_ROWS = np.random.default_rng(0).normal(size=(25, 3)) + np.array([0.0, 5.0, -2.0])


@settings(max_examples=60, deadline=None)
@given(exponent=st.integers(min_value=-300, max_value=300))
def test_the_spread_scales_with_the_values_at_any_magnitude(exponent: int) -> None:
    # np.std squared the values: 1e-300 underflowed to a spread of 0 (read as constant), 1e300 overflowed to inf
    factor = 10.0**exponent
    mean, std = center_spread(_ROWS * factor)
    np.testing.assert_allclose(mean / factor, _ROWS.mean(0), rtol=1e-12)
    np.testing.assert_allclose(std / factor, _ROWS.std(0), rtol=1e-12)
    np.testing.assert_allclose(unit_scale(mean, std) / factor, _ROWS.std(0), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=30))
def test_the_statistics_are_numpys_bit_for_bit_in_the_normal_range(values: list[float]) -> None:
    v = np.array(values)
    mean, std = center_spread(v)
    assert float(mean) == float(v.mean()) and float(std) == float(v.std())


def test_constant_is_judged_against_the_level() -> None:
    assert float(unit_scale(2.0, 1e-13)) == 1.0  # rounding of a level of 2: only centred
    assert float(unit_scale(0.0, 1e-13)) == 1e-13  # a spread of 1e-13 around 0 is the column's signal
    assert float(unit_scale(1e-30, 3e-31)) == 3e-31
    np.testing.assert_array_equal(unit_scale(np.array([1.0, 1.0, 1.0]), np.array([0.0, np.inf, 0.5])), [1.0, 1.0, 0.5])
    mean, std = center_spread(np.full(7, 0.1))  # a constant column whose mean is not exactly 0.1
    assert float(unit_scale(mean, std)) == 1.0


def test_a_table_column_in_small_units_keeps_its_signal() -> None:
    # an absolute "spread under 1e-12 is constant" standardised this column by 1: the network saw ~1e-30, the signal was lost
    frame = pd.DataFrame({"a": _ROWS[:, 0], "b": _ROWS[:, 1]})
    small = frame.assign(a=frame["a"] * 1e-30, b=frame["b"] * 1e-13)
    ref = hl.TablePreprocessor().fit(frame).transform(frame).matrix
    got = hl.TablePreprocessor().fit(small).transform(small).matrix
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_a_streamed_column_in_small_units_keeps_its_signal() -> None:
    frame = pd.DataFrame({"a": _ROWS[:, 0] * 1e-30})
    pre = hl.TablePreprocessor()
    pre.partial_fit(frame.iloc[:10])
    pre.partial_fit(frame.iloc[10:])
    out = pre.transform(frame).matrix
    np.testing.assert_allclose(out.std(0), [1.0], rtol=1e-9)


def test_a_table_scale_stays_within_float32s_normal_range() -> None:
    # a model file's preprocessing runs in float32 too (its ONNX graph): a scale of 1e-300 is 0 there, every row NaN
    frame = pd.DataFrame({"a": _ROWS[:, 0] * 1e-300})
    scale = hl.TablePreprocessor().fit(frame).to_dict()["columns"][0]["scale"]
    assert scale == float(np.finfo(np.float32).tiny) and np.float32(scale) > 0
