"""Scan.to_plain / from_plain: a streamed fit's statistics as plain data, what rank 0 sends the other ranks of a distributed fit."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import Moments, ParquetSource, Scan

PLAIN = (type(None), bool, int, float, str, list, dict)


def _only_plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_plain(v) for v in value)
    return type(value) in PLAIN


@pytest.mark.parametrize("target", ["label", "number", "digit"])
def test_a_scan_rebuilt_from_plain_data_trains_as_the_one_that_read_the_files(tmp_path, target) -> None:
    """Every part a fit reads (preprocessing, classes and their counts, units' rows and weights, target moments) comes back equal
    to the bit, from builtins only (nothing of the files is pickled); the rebuilt scan transforms rows as the original does."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"a": rng.normal(size=n) * 1e3, "c": rng.choice(["x", "y", "z"], size=n), "w": rng.integers(0, 3, size=n) * 0.5})
    frame.loc[::7, "a"] = np.nan
    frame["label"] = rng.choice(["cat", "dog"], size=n)
    frame["number"] = rng.normal(size=n) * 5 + 1e6
    frame["digit"] = rng.integers(0, 3, size=n)
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=70)
    src = ParquetSource(str(tmp_path), target=target, weight="w", features=["a", "c"])
    scan = src.scan()
    plain = scan.to_plain()
    assert _only_plain(plain)
    back = Scan.from_plain(pickle.loads(pickle.dumps(plain)))
    assert back.to_plain() == plain and back.n_rows == scan.n_rows == n
    assert back.checks is None and back.class_counts() == scan.class_counts()
    if scan.classes is not None:
        assert back.classes.dtype == scan.classes.dtype and back.classes.tolist() == scan.classes.tolist()
    if scan.target_moments is not None:
        assert (back.target_moments.mean, back.target_moments.var) == (scan.target_moments.mean, scan.target_moments.var)
    X = frame[["a", "c"]]
    np.testing.assert_array_equal(back.preprocessor.transform(X).matrix, scan.preprocessor.transform(X).matrix)
    other = ParquetSource(str(tmp_path), target=target, weight="w", features=["a", "c"])
    assert other.use_scan(back) is back and other.use_scan(scan) is back  # taken once; a scanned source keeps its own
    assert next(other.chunks([0], rows=70))[0].tolist() == next(src.chunks([0], rows=70))[0].tolist()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=20), st.lists(st.floats(0, 5), min_size=1, max_size=20))
def test_moments_state_round_trips_exactly(values: list[float], weights: list[float]) -> None:
    k = min(len(values), len(weights))
    m = Moments()
    m.add(np.array(values[:k]), np.array(weights[:k]))
    back = Moments.from_state(*m.state())
    assert back.state() == m.state()
    assert (np.isnan(back.mean) and np.isnan(m.mean)) or (back.mean, back.var) == (m.mean, m.var)
