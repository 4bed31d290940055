"""apps/_recursive.py: recursive_forecast, the loop past ``horizon`` that Forecaster.forecast_many and the served ONNX export share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.apps import recursive_forecast


def _next_two(seen: list[np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A 2-step "model": the window's last value + 1 and + 2; the windows it is given are kept in ``seen``."""

    def block(hist: np.ndarray) -> np.ndarray:
        seen.append(hist.copy())
        return hist[:, -1:] + np.array([[1.0, 2.0]])

    return block


@settings(max_examples=30, deadline=None)
@given(steps=st.integers(1, 9), n=st.integers(0, 3))
def test_blocks_are_fed_back_as_the_newest_inputs_and_cut_to_steps(steps: int, n: int) -> None:
    last = np.arange(3 * n, dtype=float).reshape(n, 3)  # windows of 3
    seen: list[np.ndarray] = []
    out = recursive_forecast(_next_two(seen), last, steps)
    assert out.shape == (n, steps)
    np.testing.assert_array_equal(out, last[:, -1:] + np.arange(1, steps + 1))  # each block continues the last one
    assert len(seen) == -(-steps // 2)  # one pass per block of horizon 2
    if n and len(seen) > 1:
        np.testing.assert_array_equal(seen[1], np.hstack([last[:, -1:], out[:, :2]]))  # the last window: the newest three values
