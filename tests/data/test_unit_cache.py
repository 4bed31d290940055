"""``UnitCache``: a streamed fit's preprocessed rows read once and replayed, giving the very chunks a read pass gives."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource, UnitCache


def _folder(tmp_path, sizes: list[int], fmt: str = "parquet", weight: bool = False) -> ParquetSource:
    rng = np.random.default_rng(0)
    for i, n in enumerate(sizes):
        df = pd.DataFrame({"a": rng.normal(size=n), "c": rng.choice(["red", "blue", None], size=n), "y": rng.choice(["p", "q"], size=n)})
        df.loc[::5, "a"] = np.nan
        if weight:
            df["w"] = rng.uniform(0.5, 2.0, size=n)
        path = tmp_path / f"part-{i}.{fmt}"
        df.to_parquet(path, row_group_size=40) if fmt == "parquet" else df.to_csv(path, index=False)
    return ParquetSource(str(tmp_path), target="y", weight="w" if weight else None, read_rows=16)


def _counting_reads(monkeypatch, src: ParquetSource) -> list[int]:
    reads: list[int] = []
    original = type(src).read_unit

    def read_unit(self, i, whole=None):
        reads.append(i)
        return original(self, i, whole)

    monkeypatch.setattr(type(src), "read_unit", read_unit)
    return reads


def _same(a, b) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x, y) and np.array_equal(u, v) and (w is None and z is None or np.array_equal(w, z))
        for (x, u, w), (y, v, z) in zip(a, b))


@pytest.mark.parametrize(("fmt", "weight"), [("parquet", False), ("csv", True)])
def test_cached_passes_give_the_read_chunks_bit_for_bit_and_read_each_unit_once(tmp_path, monkeypatch, fmt, weight) -> None:
    src = _folder(tmp_path, [50, 30, 70], fmt, weight)
    src.scan()
    units = list(range(len(src.units)))
    cache = UnitCache(src.scan().units_rows, units, src.scan().preprocessor)
    reads = _counting_reads(monkeypatch, src)
    for seed, limit in ((None, None), (1, None), (2, 101), (3, 7)):  # file order, shuffled, a row limit mid-unit, one tiny cut
        plain = list(src.weighted_chunks(units, rows=32, seed=seed, limit=limit))
        cached = list(src.weighted_chunks(units, rows=32, seed=seed, limit=limit, cache=cache))
        assert _same(plain, cached)
    plain_reads = len(reads)
    reads.clear()
    list(src.weighted_chunks(units, rows=32, seed=4, cache=cache))
    assert reads == []  # every unit was kept by an earlier whole read
    assert plain_reads > len(units)


def test_a_unit_cut_by_the_row_limit_is_not_kept(tmp_path, monkeypatch) -> None:
    src = _folder(tmp_path, [40, 40])  # one row group per file
    cache = UnitCache(src.scan().units_rows, [0, 1], src.scan().preprocessor)
    list(src.weighted_chunks([0, 1], rows=16, limit=50, cache=cache))  # unit 0 whole, unit 1 cut after 10 rows
    reads = _counting_reads(monkeypatch, src)
    full = list(src.weighted_chunks([0, 1], rows=16, cache=cache))
    assert reads == [1]
    assert sum(len(y) for _, y, _ in full) == 80


def test_over_the_byte_limit_or_for_another_preprocessing_nothing_is_kept(tmp_path, monkeypatch) -> None:
    src = _folder(tmp_path, [30, 30])
    pre = src.scan().preprocessor
    # 60 rows of (a, its missing indicator, 3-4 category columns) float32 plus 16 bytes: some 2 kB, so a 1 kB limit keeps none
    small = UnitCache(src.scan().units_rows, [0, 1], pre, max_bytes=1024)
    assert not small.enabled
    other = hl.data.TablePreprocessor.from_dict(pre.to_dict())
    kept = UnitCache(src.scan().units_rows, [0, 1], pre)
    list(src.weighted_chunks([0, 1], rows=16, cache=small))
    list(src.weighted_chunks([0, 1], rows=16, cache=kept, preprocessor=other))
    reads = _counting_reads(monkeypatch, src)
    list(src.weighted_chunks([0, 1], rows=16, cache=small))
    list(src.weighted_chunks([0, 1], rows=16, cache=kept, preprocessor=other))
    assert reads == [0, 1, 0, 1]


@pytest.mark.parametrize("validation", ["held_out", "source"])
def test_a_streamed_fit_reads_each_file_once_and_learns_what_reading_every_pass_did(tmp_path, monkeypatch, validation) -> None:
    """Three small CSV files trained 6 passes with early stopping scoring after each: every pass read every file again
    (most of a small streamed fit's time); now each is read once, with weights, losses and scores bit-identical."""
    import hiddenlayers.data._unit_cache as unit_cache

    train = _folder(tmp_path, [40, 40, 40], "csv")
    (tmp_path / "val").mkdir()
    val = _folder(tmp_path / "val", [30], "csv") if validation == "source" else None

    reads: list[tuple[str, int]] = []
    original = ParquetSource.read_unit
    monkeypatch.setattr(ParquetSource, "read_unit", lambda self, i, whole=None: reads.append((self.path, i)) or original(self, i, whole))

    def fit(limit: int) -> tuple[hl.MLPClassifier, list[int]]:
        monkeypatch.setattr(unit_cache, "CACHE_BYTES", limit)
        src = ParquetSource(train.path, target="y", read_rows=16)
        kw = {} if val is None else {"X_val": ParquetSource(val.path, target="y")}
        src.scan()
        if val is not None:
            kw["X_val"].scan()
        reads.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # not converged in 6 passes
            clf = hl.MLPClassifier(hidden_layer_sizes=(6,), max_iter=6, early_stopping=True, n_iter_no_change=50, random_state=0,
                                   validation_fraction=0.34).fit(src, **kw)
        return clf, list(reads)

    read_every_pass, reads_before = fit(0)
    cached, reads_now = fit(256 * 2**20)
    assert all(np.array_equal(a, b) for a, b in zip(read_every_pass.coefs_, cached.coefs_))
    assert read_every_pass.loss_curve_ == cached.loss_curve_ and read_every_pass.validation_scores_ == cached.validation_scores_
    assert len(reads_before) >= 6 * 3  # every pass read the three files (two training, one held out; or three) and scored
    training = [r for r in reads_now if r[0] == train.path]
    assert sorted(training) == sorted(set(training))  # each training file once
    if val is not None:  # the validation file: its check against the training columns, then its first score; was once more per pass
        assert len(reads_now) - len(training) == 2 and len(reads_before) - len([r for r in reads_before if r[0] == train.path]) == 7
