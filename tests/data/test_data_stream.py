"""Tables streamed from Parquet/CSV files: the source, the streamed preprocessing, fitting on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource, TablePreprocessor
from hiddenlayers.exceptions import DataError


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    X, y = load_digits(return_X_y=True)
    df = pd.DataFrame(X, columns=[f"p{i}" for i in range(64)])
    df["y"] = y
    d = tmp_path_factory.mktemp("digits")
    df.iloc[:800].to_parquet(d / "a.parquet", row_group_size=100)
    df.iloc[800:1500].to_parquet(d / "b.parquet", row_group_size=100)
    return str(d), df


def test_partial_fit_learns_what_fit_learns_with_mean_fill() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(3, 2, 500), "c": rng.choice(["x", "y", "z"], 500)})
    df.loc[::7, "a"] = np.nan
    df.loc[::11, "c"] = None
    full = TablePreprocessor().fit(df)
    part = TablePreprocessor()
    for s in range(0, 500, 64):
        part.partial_fit(df.iloc[s : s + 64])
    a_full, a_part = full.columns[0], part.columns[0]
    finite = df["a"].dropna()
    assert a_part["mean"] == pytest.approx(finite.mean(), rel=1e-12)
    filled = df["a"].fillna(finite.mean())
    assert a_part["scale"] == pytest.approx(filled.std(ddof=0), rel=1e-10)
    assert a_part["fill"] == pytest.approx(finite.mean())  # the streamed mean, not fit's median
    assert a_part["missing_indicator"] is a_full["missing_indicator"] is True
    assert part.columns[1] == full.columns[1]
    assert part.output_names == full.output_names


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=60), st.integers(1, 20))
def test_partial_fit_any_chunking_gives_the_same_mean_and_scale(values: list[float], step: int) -> None:
    df = pd.DataFrame({"a": values})
    pre = TablePreprocessor()
    for s in range(0, len(values), step):
        pre.partial_fit(df.iloc[s : s + step])
    ref = TablePreprocessor().fit(df).columns[0]
    assert pre.columns[0]["mean"] == pytest.approx(ref["mean"], rel=1e-9, abs=1e-6)
    assert pre.columns[0]["scale"] == pytest.approx(ref["scale"], rel=1e-6, abs=1e-6)


def test_partial_fit_refuses_a_chunk_with_other_columns() -> None:
    pre = TablePreprocessor().partial_fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(DataError, match=r"every file must have the same columns"):
        pre.partial_fit(pd.DataFrame({"b": [1.0]}))


def test_source_errors_name_the_problem(tmp_path, digits_dir) -> None:
    with pytest.raises(DataError, match="no such file or directory"):
        ParquetSource(str(tmp_path / "nope"), target="y")
    with pytest.raises(DataError, match=r"no \.parquet/\.pq/\.csv/\.csv\.gz files in"):
        ParquetSource(str(tmp_path), target="y")
    with pytest.raises(DataError, match=r"no target column 'label'"):
        ParquetSource(digits_dir[0], target="label")
    with pytest.raises(ValueError, match=r"shuffle_buffer must be a positive integer"):
        ParquetSource(digits_dir[0], target="y", shuffle_buffer=0)


def test_units_are_row_groups_and_chunks_cover_every_row_once(digits_dir) -> None:
    src = ParquetSource(digits_dir[0], target="y", shuffle_buffer=300)
    assert len(src.units) == 15
    scan = src.scan()
    assert scan.n_rows == 1500 and scan.classes.tolist() == list(range(10))
    chunks = list(src.chunks(range(15), rows=128, seed=3))
    assert [len(y) for _, y in chunks[:-1]] == [128] * (len(chunks) - 1)
    X = np.concatenate([c[0] for c in chunks])
    assert X.dtype == np.float32 and X.shape == (1500, 64)
    ordered = np.concatenate([c[0] for c in src.chunks(range(15), rows=128)])
    assert not np.array_equal(X, ordered)  # shuffled ...
    assert np.array_equal(np.sort(X, axis=0), np.sort(ordered, axis=0))  # ... the same rows
    assert sum(len(y) for _, y in src.chunks(range(15), rows=64, limit=250)) == 250


def test_fit_on_a_parquet_source_learns_digits_and_saves_its_preprocessing(digits_dir, tmp_path) -> None:
    path, df = digits_dir
    src = ParquetSource(path, target="y")
    clf = hl.MLPClassifier(hidden_layer_sizes=(64,), max_iter=25, random_state=0, early_stopping=True, n_iter_no_change=5).fit(src)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ >= 0.9
    clf.save(tmp_path / "m.safetensors")
    loaded = hl.load(tmp_path / "m.safetensors")
    pre = TablePreprocessor.from_dict(loaded.preprocessing_)
    test = df.iloc[1500:]
    assert loaded.score(pre.transform(test.drop(columns="y")).matrix, test["y"].to_numpy()) >= 0.85
    assert loaded.preprocessing_["target"] == "y"


def test_partial_fit_on_a_source_is_one_epoch_and_csv_directories_work(digits_dir, tmp_path) -> None:
    _, df = digits_dir
    for i in range(3):
        df.iloc[i * 500 : (i + 1) * 500].to_csv(tmp_path / f"part{i}.csv", index=False)
    src = ParquetSource(str(tmp_path), target="y")
    assert src.file_format == "csv" and len(src.units) == 3
    clf = hl.MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    losses = [clf.partial_fit(src).loss_ for _ in range(4)]
    assert clf.stop_reason_ == "partial_fit" and len(clf.loss_curve_) == 4
    assert losses[-1] < losses[0] * 0.5


def test_early_stopping_needs_two_units(tmp_path) -> None:
    pd.DataFrame({"a": np.arange(50.0), "y": np.arange(50) % 2}).to_parquet(tmp_path / "one.parquet")
    with pytest.raises(ValueError, match=r"holds out whole row groups .* has only 1"):
        hl.MLPClassifier(early_stopping=True).fit(ParquetSource(str(tmp_path), target="y"))


def test_regressor_on_a_source(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    df = pd.DataFrame(X, columns=list("abc"))
    df["t"] = X @ [1.0, -2.0, 0.5] + 0.01 * rng.normal(size=2000)
    df.to_parquet(tmp_path / "r.parquet", row_group_size=250)
    reg = hl.MLPRegressor(hidden_layer_sizes=(16,), max_iter=40, learning_rate_init=0.01, random_state=0, early_stopping=True).fit(ParquetSource(str(tmp_path), target="t"))
    assert reg.best_validation_score_ > 0.95


def test_read_ahead_keeps_order_raises_where_the_reader_failed_and_stops_with_the_consumer():
    import threading

    from hiddenlayers.data import read_ahead

    assert list(read_ahead(iter(range(50)), depth=2)) == list(range(50))

    def failing():
        yield 1
        yield 2
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="^disk gone$"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1, 2]

    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    for item in read_ahead(endless(), depth=1):
        if item == 3:
            break
    assert not any(t.name == "hiddenlayers-read-ahead" and t.is_alive() for t in threading.enumerate())
    assert len(produced) <= 3 + 3  # stopped within a couple of items of the consumer
    with pytest.raises(ValueError, match=r"^depth must be an integer >= 1\. Received: depth=0\.$"):
        next(read_ahead([1], depth=0))
