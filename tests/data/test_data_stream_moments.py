"""The target's weighted mean and variance learned in the streaming pass (``Moments``, ``Scan.target_moments``):
numpy's ``np.average`` over all rows, whatever the files, row groups and record batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import Moments, ParquetSource
from hiddenlayers.exceptions import DataError


def _reference(y: np.ndarray, w: np.ndarray | None) -> tuple[float, float]:
    mean = float(np.average(y, weights=w))
    return mean, float(np.average((y - mean) ** 2, weights=w))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.sampled_from([0.0, 0.5, 1.0, 3.0])), min_size=1, max_size=80),
       st.lists(st.integers(1, 30), min_size=1, max_size=10), st.floats(-1e7, 1e7), st.booleans())
def test_any_batch_split_gives_numpys_weighted_mean_and_variance(rows, cuts, shift, weighted) -> None:
    y = np.array([r[0] for r in rows]) + shift
    w = np.array([r[1] for r in rows]) if weighted else None
    if w is not None and not w.sum() > 0:
        w[0] = 1.0
    m, start, i = Moments(), 0, 0
    while start < len(y):
        stop = start + cuts[i % len(cuts)]
        m.add(y[start:stop], None if w is None else w[start:stop])
        start, i = stop, i + 1
    mean, var = _reference(y, w)
    spread = max(1.0, float(np.abs(y).max()))
    assert m.mean == pytest.approx(mean, rel=1e-12, abs=1e-12 * spread)
    assert m.var == pytest.approx(var, rel=1e-9, abs=1e-12 * spread**2)
    assert m.weight == pytest.approx(len(y) if w is None else w.sum())


def test_no_weighted_row_yet_is_nan_and_a_zero_weight_batch_changes_nothing() -> None:
    m = Moments()
    assert np.isnan(m.mean) and np.isnan(m.var)
    m.add(np.array([5.0, 7.0]), np.zeros(2))
    assert np.isnan(m.mean)
    m.add(np.array([1.0, 3.0]))
    m.add(np.array([100.0]), np.zeros(1))
    assert (m.mean, m.var, m.weight) == (2.0, 1.0, 2.0)


def test_a_large_offset_keeps_the_spread_where_sums_of_squares_would_lose_it() -> None:
    y = 1e9 + np.arange(10.0)
    m = Moments()
    for part in np.array_split(y, 4):
        m.add(part)
    assert m.var == pytest.approx(np.var(y), rel=1e-9)


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_scan_learns_the_targets_moments_over_every_file_group_and_batch(tmp_path, kind: str, weighted: bool) -> None:
    rng = np.random.default_rng(3)
    frames = []
    for i, n in enumerate((130, 77, 201)):
        f = pd.DataFrame({"a": rng.normal(size=n), "y": 250 + 60 * rng.normal(size=n), "w": rng.integers(0, 4, size=n).astype(float)})
        frames.append(f)
        if kind == "parquet":
            f.to_parquet(tmp_path / f"p{i}.parquet", row_group_size=50)
        else:
            f.to_csv(tmp_path / f"p{i}.csv", index=False)
    src = ParquetSource(str(tmp_path), target="y", weight="w" if weighted else None, features=["a"], read_rows=16)
    scan = src.scan()
    allrows = pd.concat(frames)
    mean, var = _reference(allrows["y"].to_numpy(), allrows["w"].to_numpy() if weighted else None)
    assert scan.target_moments is not None
    assert scan.target_moments.mean == pytest.approx(mean, rel=1e-12)
    assert scan.target_moments.var == pytest.approx(var, rel=1e-10)


def test_a_text_target_has_no_moments_and_missing_targets_are_left_out_by_the_check(tmp_path) -> None:
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": ["x", "y", "x"]}).to_parquet(tmp_path / "t.parquet")
    assert ParquetSource(str(tmp_path), target="y").scan().target_moments is None
    d = tmp_path / "num"
    d.mkdir()
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [1.0, None, 3.0, 5.0]}).to_parquet(d / "t.parquet")
    src = ParquetSource(str(d), target="y")
    moments = src.scan(refuse_infinite=False).target_moments  # the check's pass reads on past a missing target
    assert moments is not None and moments.mean == pytest.approx(3.0) and moments.weight == 3
    with pytest.raises(DataError, match="missing values"):
        src.scan()  # training refuses it still
