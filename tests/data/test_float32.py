"""The float32 rules shared by `hiddenlayers predict` and the server: the first cell beyond its range, the first non-finite output row,
the shortest digits its numbers are written with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hiddenlayers.data import F32_MAX, first_beyond_float32, first_non_finite_row, float32_numbers, preview, split_target
from hiddenlayers.exceptions import DataError

VALUES = st.sampled_from([0.0, -1.0, 3e38, -3.4e38, F32_MAX, np.nextafter(F32_MAX, np.inf), -1e39, 1e300, np.inf, -np.inf, np.nan])


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=VALUES))
def test_first_beyond_float32_is_the_first_cell_row_by_row(A: np.ndarray) -> None:
    cells = [(r, k) for r in range(A.shape[0]) for k in range(A.shape[1]) if abs(A[r, k]) > np.finfo(np.float32).max]
    assert first_beyond_float32(A) == (cells[0] if cells else None)


@given(arrays(np.float32, st.tuples(st.integers(1, 5), st.integers(1, 3)), elements=st.sampled_from([0.0, 1.0, np.nan, np.inf, -np.inf])))
def test_first_non_finite_row_is_the_first_row_with_a_nan_or_an_infinity(out: np.ndarray) -> None:
    rows = [r for r in range(len(out)) if not np.isfinite(out[r]).all()]
    assert first_non_finite_row(out) == (rows[0] if rows else None)
    assert first_non_finite_row(out[:, 0]) == next((r for r in range(len(out)) if not np.isfinite(out[r, 0])), None)  # 1-D outputs too


def test_integer_and_text_free_outputs_are_finite() -> None:
    assert first_non_finite_row(np.array([1, 2, 3])) is None
    assert first_beyond_float32(np.zeros((0, 3))) is None


def test_column_lists_in_messages_use_the_one_preview() -> None:
    frame = pd.DataFrame({f"c{i}": [1.0, 2.0] for i in range(12)})
    with pytest.raises(DataError) as info:
        split_target(frame, None)
    assert str(info.value) == f"no target column given: pass --target COLUMN, one of {preview([repr(c) for c in frame.columns], 8)}."
    assert preview([repr(c) for c in frame.columns], 8).endswith("'c7' (+4 more)")
    from hiddenlayers.cli._data import _no_target

    assert _no_target(list(frame.columns)) == str(info.value)


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float32_numbers_print_float32s_shortest_digits_and_read_back(x: float) -> None:
    f = np.float32(x)
    [[got]] = float32_numbers(np.array([[f]], dtype=np.float32))
    assert type(got) is float and np.float32(got) == f and repr(got) == repr(float(str(f)))


def test_float32_numbers_round_float64_input_to_float32_and_keep_nan_and_infinities() -> None:
    got = float32_numbers(np.array([0.30000001192092896, 1 / 3, np.nan, np.inf, -np.inf]))
    assert got[:2] == [0.3, 0.33333334] and np.isnan(got[2]) and got[3:] == [np.inf, -np.inf]
