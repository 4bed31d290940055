"""``predict`` / ``predict_proba`` / ``score`` of a :class:`ParquetSource`: the rows of the folder, batch by batch, as in memory.

Before: each raised "predicting takes rows in memory ..., which fit streams". A float64 model: its batches and the whole
table agree to 1e-12 (a float32 network's may differ in the last float32 bit: BLAS rounds a row of a 50-row product
apart from the same row of a 900-row one, as any other batching does).
"""

from __future__ import annotations

import warnings

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


def _noted_frames() -> list[pd.DataFrame]:
    """The fixture's files with cells its preprocessing notes: categories training never saw (files 0 and 2) and missing
    cells in 'a', which had none in training (files 1 and 2)."""
    frames = _frames()
    frames[0].loc[[3, 70, 110], "c"] = "s"  # in both record batches of 50 rows and the last one
    frames[1].loc[[5, 99], "a"] = np.nan
    frames[2].loc[[0, 1], "c"] = "t"
    frames[2].loc[[60], "a"] = np.nan
    return frames


@pytest.mark.parametrize("kind", ["pq", "csv"])
def test_the_preprocessings_notes_are_one_warning_per_kind_counted_over_every_batch(folders, tmp_path, kind):
    """Before: predict(source), predict_proba and score dropped the stored preprocessing's notes (the CLI's ``predict DIR``
    counted them); now each kind is one TableNoteWarning at the user's line, its counts those of every row at once."""
    _, _, clf, reg = folders
    whole = write_folders(tmp_path, _noted_frames(), ROWS // 2)
    expected = hl.data.TablePreprocessor.from_dict(clf.preprocessing_).transform(whole[FEATURES]).notes  # every row at once
    assert [n.kind for n in expected] == ["unseen", "unlearned"] and expected[0].counts == {"c": 5} and expected[1].counts == {"a": 3}
    src = ParquetSource(str(tmp_path / kind), target="y", features=FEATURES, read_rows=50)
    for call in (lambda: clf.predict(src), lambda: clf.predict_proba(src), lambda: clf.score(src)):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            call()
        noted = [w for w in seen if issubclass(w.category, hl.TableNoteWarning)]
        assert [str(w.message).split(" (in ")[0] for w in noted] == [str(n) for n in expected]
        assert "(in 2 files: " in str(noted[0].message) and "part0" in str(noted[0].message) and "part2" in str(noted[0].message)
        assert {w.filename for w in noted} == {__file__}  # the user's line, not the package's
    with warnings.catch_warnings():
        warnings.simplefilter("error", hl.TableNoteWarning)  # the user's filters apply to the joined warning
        with pytest.raises(hl.TableNoteWarning, match=r"^5 value\(s\) outside the categories"):
            reg.predict(ParquetSource(str(tmp_path / kind), target=None, features=FEATURES, read_rows=50))


def test_rows_in_memory_warn_the_preprocessings_notes_too(folders):
    """Before: predict(frame) of a model with stored preprocessing (fit(source), hl.load of a train file) filled missing
    cells and mapped unseen categories without a word, while predict(source) and the CLI said so."""
    _, _, clf, _ = folders
    frame = pd.concat(_noted_frames(), ignore_index=True)[FEATURES]
    expected = hl.data.TablePreprocessor.from_dict(clf.preprocessing_).transform(frame).notes
    assert [n.kind for n in expected] == ["unseen", "unlearned"]
    for call in (lambda: clf.predict(frame), lambda: clf.predict_proba(frame)):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            call()
        noted = [w for w in seen if issubclass(w.category, hl.TableNoteWarning)]
        assert [str(w.message) for w in noted] == [str(n) for n in expected]
        assert {w.filename for w in noted} == {__file__}  # the user's line, not the package's
    with warnings.catch_warnings():
        warnings.simplefilter("error", hl.TableNoteWarning)
        clf.predict(_frames()[0][FEATURES].iloc[:5])  # rows the preprocessing has nothing to say of: no warning


def test_rows_without_notes_warn_nothing(folders):
    d, _, clf, _ = folders
    with warnings.catch_warnings():
        warnings.simplefilter("error", hl.TableNoteWarning)
        clf.predict(ParquetSource(str(d / "csv"), target="y", features=FEATURES, read_rows=50))
