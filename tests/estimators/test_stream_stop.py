"""How a streamed fit stops: loss_threshold and max_time, which it ignored (every pass ran to max_iter or no improvement)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource


def _source(tmp_path) -> ParquetSource:
    rng = np.random.default_rng(0)
    a = rng.normal(size=400)
    pd.DataFrame({"a": a, "b": rng.normal(size=400), "y": (a > 0).astype(int)}).to_parquet(tmp_path / "t.parquet", row_group_size=100)
    return ParquetSource(str(tmp_path), target="y")


@pytest.mark.parametrize(("setting", "reason"), [({"max_time": 1e-6}, "time_limit"), ({"loss_threshold": 1e9}, "loss_below")])
def test_max_time_and_loss_threshold_stop_a_streamed_fit_after_the_pass_that_crosses_them(tmp_path, setting, reason) -> None:
    """Any pass takes over a microsecond and has a loss below 1e9: the first one stops the fit, with the in-memory reason."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0, **setting).fit(_source(tmp_path))
    assert (est.n_iter_, est.stop_reason_) == (1, reason)
    assert est.history_.time[0] > 0 and math.isfinite(est.history_.time[0])  # seconds, no longer NaN


def test_a_warm_streamed_fit_counts_max_time_from_its_own_start(tmp_path) -> None:
    """history_.time runs on over warm calls, as in memory: a warm call's max_time counts from where the last call ended."""
    src = _source(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0, warm_start=True).fit(src)
        first = est.history_.time[-1]
        est.set_params(max_time=1e-6).fit(src)
    assert (est.n_iter_, est.stop_reason_, len(est.history_.time)) == (1, "time_limit", 3)
    assert est.history_.time[-1] > first
