"""What a streamed fit plans before its first pass: the units each rank of a distributed run reads."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.estimators._stream_plan import balanced_shards, plan_units


def _folder(tmp_path, sizes: list[int]) -> ParquetSource:
    rng = np.random.default_rng(0)
    for i, n in enumerate(sizes):
        df = pd.DataFrame({"a": rng.normal(size=n), "y": rng.normal(size=n)})
        df.to_parquet(tmp_path / f"part-{i}.parquet")
    return ParquetSource(str(tmp_path), target="y")


def test_two_ranks_share_unequal_row_groups_by_rows_and_train_on_every_row(tmp_path) -> None:
    """Row groups of 200, 100, 100, 50 and 50 rows: every other unit gave the ranks 350 and 150 rows, and each epoch
    stopped both at 150 (300 of 500 rows trained on); shared by rows, each holds 250 and an epoch reads all 500."""
    src = _folder(tmp_path, [200, 100, 100, 50, 50])
    est = hl.MLPRegressor(early_stopping=False, batch_size=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left out: no warning
        _, shards, batch, limit = plan_units(est, src, src.scan(), False, 2)
    assert sorted(shards[0] + shards[1]) == [0, 1, 2, 3, 4]  # disjoint, every unit
    assert [sum(src.scan().units_rows[u] for u in s) for s in shards] == [250, 250]
    assert (batch, 2 * limit) == (5, 500)


def test_rows_still_left_out_by_one_large_row_group_are_a_warning_on_rank_0_only(tmp_path) -> None:
    """A 400-row group beside four of 50 cannot be split over two ranks: each epoch reads 400 of 600 rows, and rank 0 says so."""
    src = _folder(tmp_path, [400, 50, 50, 50, 50])
    est = hl.MLPRegressor(early_stopping=False, batch_size=10)
    with pytest.warns(UserWarning, match=r"each epoch trains on 400 of the 600 training rows: .* largest unit holds 400 rows"):
        plan_units(est, src, src.scan(), False, 2, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan_units(est, src, src.scan(), False, 2, 1)


def test_balanced_shards_keep_unit_order_and_one_rank_takes_all() -> None:
    assert balanced_shards([0, 2, 5], [9, 0, 3, 0, 0, 4], 1) == [[0, 2, 5]]
    assert balanced_shards([0, 1, 2, 3], [1, 5, 2, 2], 2) == [[1], [0, 2, 3]]
