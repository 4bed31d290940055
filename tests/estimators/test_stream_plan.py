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


def test_fewer_units_than_ranks_is_refused_naming_the_units_not_the_rows(tmp_path) -> None:
    """One 20,000-row CSV file (one unit) over two processes: one rank would read nothing. The refusal said the file had
    "too few rows for 2 processes: each needs at least one batch"; it names the units and how to make more."""
    src = _folder(tmp_path, [2000])
    est = hl.MLPRegressor(early_stopping=False, batch_size=10)
    with pytest.raises(ValueError, match=r"has 1 row group\(s\) or CSV file\(s\) to train on, fewer than the 2 processes: each process "
                                         r"reads whole row groups .* more row groups \(pyarrow's row_group_size=\) or more files"):
        plan_units(est, src, src.scan(), False, 2)
    (tmp_path / "two").mkdir()
    two = _folder(tmp_path / "two", [100, 100])
    held = hl.MLPRegressor(early_stopping=True, validation_fraction=0.5, batch_size=10)
    with pytest.raises(ValueError, match=r"has 1 row group\(s\) or CSV file\(s\) to train on after early stopping holds out 1, fewer than"):
        plan_units(held, two, two.scan(), False, 2)


def test_the_default_batch_shares_out_over_any_number_of_ranks_and_a_given_one_names_the_nearest_that_do(tmp_path) -> None:
    """batch_size="auto" (200) refused three processes ("batch_size=200 must be a multiple of the 3 processes"), so
    `train DIR --workers 3` failed with the default batch after every rank had started; it rounds up to 201 now."""
    src = _folder(tmp_path, [300, 300, 300])
    _, _, batch, _ = plan_units(hl.MLPRegressor(early_stopping=False), src, src.scan(), False, 3, rank=1)  # (rank 0 notes 804 of 900 rows)
    assert batch == 67
    _, _, batch, _ = plan_units(hl.MLPRegressor(early_stopping=False), src, src.scan(), False, 1)
    assert batch == 200  # one process: scikit-learn's 200
    with pytest.raises(ValueError, match=r"batch_size=100 is the global batch, shared out equally over the 3 processes, so it must be a "
                                         r"multiple of 3: use 99 or 102\."):
        plan_units(hl.MLPRegressor(early_stopping=False, batch_size=100), src, src.scan(), False, 3)
    with pytest.raises(ValueError, match=r"must be a multiple of 3: use 3\."):
        plan_units(hl.MLPRegressor(early_stopping=False, batch_size=2), src, src.scan(), False, 3)


def test_rows_left_out_by_whole_batches_name_the_batch_not_the_row_groups(tmp_path) -> None:
    """Two row groups of 175 rows split evenly; a global batch of 100 (50 a rank) reads 150 of each: the warning blamed the
    row groups ("do not split evenly ... write smaller row groups"), which no smaller row group fixes."""
    src = _folder(tmp_path, [175, 175])
    est = hl.MLPRegressor(early_stopping=False, batch_size=100)
    with pytest.warns(UserWarning) as caught:
        plan_units(est, src, src.scan(), False, 2, 0)
    assert [str(w.message) for w in caught] == [
        "each epoch trains on 300 of the 350 training rows: each of the 2 processes reads whole batches of 50 rows (the global "
        "batch_size=100) of its share of 175: lower batch_size, or give the fit more rows."]



def test_too_few_row_groups_for_early_stopping_are_refused_before_the_statistics_pass(tmp_path, monkeypatch) -> None:
    """Two row groups: validation_fraction=0.8 holds out both, refused from the footers' count as before, but now before the
    pass over every row (which the fit ran first: on a large folder, every file read for one line)."""
    from hiddenlayers.estimators import refuse_unit_counts

    src = _folder(tmp_path, [50, 50])
    assert refuse_unit_counts(src, True, 0.5, 1) == 1 and refuse_unit_counts(src, False, 0.5, 2) == 0
    with pytest.raises(ValueError, match="1 row group\\(s\\) or CSV file\\(s\\) to train on after early stopping holds out 1, fewer than the 2"):
        refuse_unit_counts(src, True, 0.5, 2)

    def no_pass(*args, **kwargs):
        raise AssertionError("the statistics pass ran")

    monkeypatch.setattr(ParquetSource, "scan", no_pass)
    with pytest.raises(ValueError, match=f"early stopping holds out whole row groups \\(or CSV files\\), and {src.path} has only 2"):
        hl.MLPRegressor(early_stopping=True, validation_fraction=0.8).fit(src)


@pytest.mark.parametrize(("batch_size", "clipped"), [("auto", False), (64, False), (500, True)])
def test_a_batch_over_the_sources_rows_is_one_warning_and_a_short_chunk_none(tmp_path, batch_size, clipped) -> None:
    """120 training rows in two files: with the default batch (200 per chunk's partial_fit) every chunk warned scikit-learn's
    "larger than sample size", though the user set no batch and an in-memory fit of those rows warns nothing. It is now
    said once for the call, where a batch_size the user gave exceeds its training rows, as in memory (after the rows are checked)."""
    src = _folder(tmp_path, [60, 60])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        hl.MLPRegressor(hidden_layer_sizes=(4,), batch_size=batch_size, max_iter=2, early_stopping=False, random_state=0).fit(src)
    said = [w for w in seen if "larger than sample size" in str(w.message)]
    assert len(said) == int(clipped)
    assert all(w.filename == __file__ for w in said)  # pointed at the user's fit call
