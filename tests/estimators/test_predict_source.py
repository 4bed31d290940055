"""``predict`` / ``predict_proba`` / ``score`` of a :class:`ParquetSource`: the rows of the folder, batch by batch, as in memory.

Before: each raised "predicting takes rows in memory ..., which fit streams". A float64 model: its batches and the whole
table agree to 1e-12 (a float32 network's may differ in the last float32 bit: BLAS rounds a row of a 50-row product
apart from the same row of a 900-row one, as any other batching does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.exceptions import DataError
from stream_helpers import write_folders

ROWS = 120  # per file
FEATURES = ["a", "b", "c"]

pytestmark = pytest.mark.filterwarnings("ignore:Stochastic Optimizer")


def _frames() -> list[pd.DataFrame]:
    rng = np.random.default_rng(3)
    frames = []
    for _ in range(3):
        a, b = rng.normal(size=ROWS), rng.normal(size=ROWS)
        c = rng.choice(["p", "q", "r"], ROWS)
        frames.append(pd.DataFrame({"a": a, "b": b, "c": c, "w": rng.uniform(0.5, 2.0, ROWS),
                                    "y": (a + (c == "p") > 0.3).astype(int), "t": 2 * a - b + rng.normal(scale=0.1, size=ROWS)}))
    return frames


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A folder of three Parquet files (two row groups each), its CSV twin, every row in one frame, and the models fitted on it."""
    d = tmp_path_factory.mktemp("predict_source")
    whole = write_folders(d, _frames(), ROWS // 2)
    params = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0, "dtype": "float64"}
    clf = hl.MLPClassifier(**params).fit(ParquetSource(str(d / "pq"), target="y", features=FEATURES))
    reg = hl.MLPRegressor(**params).fit(ParquetSource(str(d / "pq"), target="t", features=FEATURES))
    return d, whole, clf, reg


@pytest.mark.parametrize("kind", ["pq", "csv"])
def test_predict_of_a_source_equals_predict_of_its_rows_in_memory(folders, kind):
    d, whole, clf, reg = folders
    X = whole[FEATURES]
    src = ParquetSource(str(d / kind), target="y", features=FEATURES, read_rows=50)  # 50 rows a batch: batches span row groups
    labels, proba = clf.predict(src), clf.predict_proba(src)
    assert labels.shape == (3 * ROWS,) and proba.shape == (3 * ROWS, 2)
    np.testing.assert_array_equal(labels, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(src), clf.predict_log_proba(X), rtol=0, atol=1e-12)
    only = ParquetSource(str(d / kind), target=None, features=FEATURES, read_rows=50)  # a source only read: no target
    values = reg.predict(only)
    assert values.dtype == reg.predict(X).dtype and values.shape == (3 * ROWS,)
    np.testing.assert_allclose(values, reg.predict(X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_score_of_a_source_equals_score_of_its_rows_in_memory(folders, weighted):
    d, whole, clf, reg = folders
    X, w = whole[FEATURES], (whole["w"] if weighted else None)
    weight = "w" if weighted else None
    src = ParquetSource(str(d / "csv"), target="y", features=FEATURES, weight=weight, read_rows=50)
    assert clf.score(src) == pytest.approx(clf.score(X, whole["y"], sample_weight=w), rel=0, abs=1e-12)
    src = ParquetSource(str(d / "pq"), target="t", features=FEATURES, weight=weight, read_rows=50)
    assert reg.score(src) == pytest.approx(reg.score(X, whole["t"], sample_weight=w), rel=0, abs=1e-12)


def test_a_bad_cell_is_named_by_its_file_and_line(folders, tmp_path):
    d, _, clf, _ = folders
    frames = _frames()
    frames[0].to_csv(tmp_path / "p0.csv", index=False)
    bad = frames[1].astype({"a": object})
    bad.loc[7, "a"] = "oops"
    bad.to_csv(tmp_path / "p1.csv", index=False)
    src = ParquetSource(str(tmp_path), target="y", features=FEATURES, read_rows=50)
    with pytest.raises(DataError, match=r"'[^']*p1\.csv' line 9: column 'a' holds 'oops'"):
        clf.predict(src)
    frames[1].loc[70, "a"] = np.inf  # in the second record batch of the file: named by its file row, not its batch row
    frames[1].to_parquet(tmp_path / "p1.parquet")
    with pytest.raises(DataError, match=r"'[^']*p1\.parquet' row 71 holds the infinite number inf"):
        clf.predict(ParquetSource(str(tmp_path / "p1.parquet"), target="y", features=FEATURES, read_rows=50))
    frames[1].loc[70, "a"] = 0.5
    frames[1].loc[[4, 9], "y"] = np.nan
    frames[1].to_parquet(tmp_path / "p1.parquet")
    frames[0].to_parquet(tmp_path / "p0.parquet")
    src = ParquetSource(str(tmp_path / "*.parquet"), target="y", features=FEATURES)
    with pytest.raises(DataError, match=r"the target column 'y' has missing values \(first at '[^']*p1\.parquet' row 5\)"):
        clf.score(src)


def test_a_file_without_a_column_or_without_rows_is_one_line(folders, tmp_path):
    d, whole, clf, _ = folders
    (tmp_path / "lack").mkdir()
    whole.to_parquet(tmp_path / "lack" / "p0.parquet")
    whole.drop(columns=["b"]).to_parquet(tmp_path / "lack" / "p1.parquet")
    with pytest.raises(DataError, match=r"p1\.parquet"):  # the source names the file before any row is read
        clf.predict(ParquetSource(str(tmp_path / "lack"), target="y", features=FEATURES))
    (tmp_path / "empty").mkdir()
    whole.iloc[:0].to_parquet(tmp_path / "empty" / "p0.parquet")
    src = ParquetSource(str(tmp_path / "empty"), target="y", features=FEATURES)
    with pytest.raises(DataError, match="has no rows to predict"):
        clf.predict(src)
    with pytest.raises(DataError, match="has no rows to score"):
        clf.score(src)
    (tmp_path / "none").mkdir()
    with pytest.raises(DataError, match="no .parquet/.pq/.csv/.csv.gz files in"):  # an empty folder: the source says so
        ParquetSource(str(tmp_path / "none"), target="y")


def test_score_of_a_source_takes_its_labels_from_it(folders):
    d, whole, clf, reg = folders
    src = ParquetSource(str(d / "pq"), target="y", features=FEATURES)
    with pytest.raises(ValueError, match=r"score\(source\) reads y from the source's target column"):
        clf.score(src, whole["y"])
    with pytest.raises(ValueError, match="needs the source's target column"):
        reg.score(ParquetSource(str(d / "pq"), target=None, features=FEATURES))
    with pytest.raises(TypeError, match=r"score\(X, y\) needs y"):
        clf.score(whole[FEATURES])
    with pytest.raises(DataError, match="predict, predict_proba and score take a source"):  # the methods that do not stream say which do
        clf.predict_logits(src)
