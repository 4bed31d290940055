"""ParquetSource.apply: a fitted scikit-learn Pipeline predicts a table larger than memory one record batch at a time
(pipe.predict(source) cannot: its steps read rows in memory, and a source handed to them says so in one line)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.exceptions import DataError


@pytest.fixture(scope="module")
def table() -> tuple[Pipeline, pd.DataFrame]:
    """Three numeric columns with holes and a 0/1 target; a Pipeline of an imputer, a scaler and our MLP fitted on them by name."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    y = (X["a"] - X["b"] > 0).astype(int)
    X.iloc[::7, 1] = np.nan
    with warnings.catch_warnings():  # a few epochs: ConvergenceWarning
        warnings.simplefilter("ignore")
        pipe = make_pipeline(SimpleImputer(), StandardScaler(), hl.MLPClassifier((8,), max_iter=20, random_state=0)).fit(X, y)
    return pipe, X.assign(y=y)


def _parts(frame: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    """``frame``'s rows cut before each row of ``cuts``."""
    bounds = [0, *cuts, len(frame)]
    return [frame.iloc[a:b] for a, b in zip(bounds, bounds[1:])]


def _files(frame: pd.DataFrame, folder, kind: str, cuts: list[int]) -> None:
    """``frame`` split at ``cuts`` into files of ``folder`` (Parquet row groups of 16 rows, or CSV)."""
    folder.mkdir()
    for i, part in enumerate(_parts(frame, cuts)):
        name = folder / f"p{i}.{kind}"
        part.to_parquet(name, index=False, row_group_size=16) if kind == "parquet" else part.to_csv(name, index=False)


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_apply_predicts_every_batch_as_the_pipeline_predicts_the_table(table, tmp_path, kind) -> None:
    """The answers of source.apply(pipe.predict) and of predict_proba are the Pipeline's on the whole table, in file order,
    from several batches (the holes filled by its imputer; the target column left out, as the Pipeline never saw it)."""
    pipe, frame = table
    _files(frame, tmp_path / "big", kind, [50, 90])
    src = ParquetSource(str(tmp_path / "big"), target="y", read_rows=16)
    seen: list[int] = []

    def predict(rows: pd.DataFrame) -> np.ndarray:
        seen.append(len(rows))
        assert list(rows.columns) == ["a", "b", "c"]
        return pipe.predict(rows)

    X = frame.drop(columns="y")
    np.testing.assert_array_equal(src.apply(predict), pipe.predict(X))
    assert len(seen) > 3 and sum(seen) == len(frame)
    np.testing.assert_allclose(src.apply(pipe.predict_proba), pipe.predict_proba(X), rtol=1e-6)
    shown = ParquetSource(str(tmp_path / "big"), target=None, features=["c", "a"], read_rows=16).apply(lambda rows: rows * 2)
    assert list(shown.index) == list(range(len(frame)))  # frames joined, a fresh index
    pd.testing.assert_frame_equal(shown, frame[["c", "a"]].reset_index(drop=True) * 2, check_dtype=False)


def test_a_pipeline_given_the_source_itself_says_to_apply_it(table, tmp_path) -> None:
    """pipe.predict(source) failed inside scikit-learn with "float() argument must be a string or a real number, not
    'ParquetSource'" (a TableEncoder first: "got a 0D array"); a step given a source now says what to call instead."""
    pipe, frame = table
    _files(frame, tmp_path / "big", "parquet", [60])
    src = ParquetSource(str(tmp_path / "big"), target="y")
    said = re.escape("a ParquetSource streams files larger than memory and is not an array, so a step that reads rows in memory (a "
                     "Pipeline's) cannot take it: predict it one record batch at a time with source.apply(pipe.predict) (our "
                     "estimators also take it whole: clf.predict(source)).")
    with pytest.raises(TypeError, match=f"^{said}$"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's 'X does not have valid feature names', before it reads the rows
        pipe.predict(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoded = make_pipeline(hl.TableEncoder(), hl.MLPClassifier((4,), max_iter=5, random_state=0)).fit(frame.drop(columns="y"), frame["y"])
    with pytest.raises(TypeError, match=f"^{said}$"):
        encoded.predict(src)


def test_a_batch_the_function_refuses_is_named_by_its_file_and_lines(table, tmp_path) -> None:
    pipe, frame = table
    _files(frame, tmp_path / "big", "csv", [60])
    src = ParquetSource(str(tmp_path / "big"), target=None, features=["a", "c"])
    with pytest.raises(DataError, match=re.escape(f"Pipeline.predict failed on the record batch of '{tmp_path / 'big' / 'p0.csv'}' lines 2 to 61: "
                                                  "The feature names should match those that were passed during fit.")):
        src.apply(pipe.predict)
    empty = tmp_path / "empty"
    empty.mkdir()
    frame.iloc[:0].to_parquet(empty / "e.parquet", index=False)
    with pytest.raises(DataError, match="has no rows: its files hold a header"):
        ParquetSource(str(empty), target="y").apply(pipe.predict)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 30), min_size=1, max_size=4), read_rows=st.integers(1, 40))
def test_apply_gives_every_row_once_in_file_order(tmp_path_factory, sizes, read_rows) -> None:
    """Whatever the files' sizes and the batch size, the rows reach ``fn`` once each, in file order, and the answers join in that order."""
    folder = tmp_path_factory.mktemp("src")
    n = sum(sizes)
    frame = pd.DataFrame({"i": np.arange(n, dtype=float), "y": np.arange(n) % 2})
    for k, part in enumerate(_parts(frame, list(np.cumsum(sizes)[:-1]))):
        part.to_parquet(folder / f"p{k}.parquet", index=False, row_group_size=7)
    got = ParquetSource(str(folder), target="y", read_rows=read_rows).apply(lambda rows: rows["i"].to_numpy()[:, None] * [1, -1])
    np.testing.assert_array_equal(got, np.c_[np.arange(n), -np.arange(n)])


@pytest.mark.parametrize(("fn", "got"), [
    (lambda rows: rows.to_numpy()[:2], "gave 2 row(s) for the 16 rows"),  # a short answer: joined, later rows would get others' answers
    (lambda rows: None, "gave a NoneType with no rows"),
    (lambda rows: float(rows["a"].mean()), "gave a float with no rows"),  # a summary, not one answer per row
])
def test_apply_refuses_an_answer_without_one_row_per_row(table, tmp_path, fn, got) -> None:
    """An fn whose answer has not one row per row of its batch is one DataError naming the batch and the rule, not
    answers silently joined out of step with the rows (or NumPy's 'zero-dimensional arrays cannot be concatenated')."""
    _, frame = table
    _files(frame, tmp_path / "big", "parquet", [])
    src = ParquetSource(str(tmp_path / "big"), target="y", read_rows=16)
    with pytest.raises(DataError, match=re.escape(got)) as err:
        src.apply(fn)
    assert "rows 1 to 16" in str(err.value) and "one row per row" in str(err.value) and "\n" not in str(err.value)


def test_a_table_encoders_notes_are_one_warning_per_kind_counted_over_every_batch(tmp_path) -> None:
    """Before: a TableEncoder step warned per batch (one warning per batch with that batch's counts, or one batch's worth
    where a warning shows once); apply now warns each kind once, its counts those of every row at once, at the user's line."""
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.normal(size=80), "c": rng.choice(["p", "q"], 80)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(hl.TableEncoder(), hl.MLPClassifier((4,), max_iter=5, random_state=0)).fit(train, train["a"] > 0)
    new = train.assign(y=0)
    new.loc[[1, 20, 41, 77], "c"] = "zz"  # unseen, in three files and four batches
    new.loc[[30, 50], "a"] = np.nan  # missing where training had none
    _files(new, tmp_path / "big", "csv", [25, 45])
    expected = pipe[0].preprocessor_.transform(new[["a", "c"]]).notes
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got = ParquetSource(str(tmp_path / "big"), target="y", read_rows=10).apply(pipe.predict)
    np.testing.assert_array_equal(got, pipe.predict(new[["a", "c"]]))
    noted = [w for w in seen if issubclass(w.category, hl.TableNoteWarning)]
    assert [str(w.message).split(" (in ")[0] for w in noted] == [str(n) for n in expected]
    assert [n.counts for n in expected] == [{"c": 4}, {"a": 2}]
    assert "(in 3 files: " in str(noted[0].message) and "(in 2 files: " in str(noted[1].message)
    assert {w.filename for w in noted} == {__file__}


def test_other_warnings_of_fn_pass_through(table, tmp_path) -> None:
    """Only TableNoteWarnings are gathered: any other warning fn gives reaches the user's filters as it comes, once per call."""
    _, frame = table
    _files(frame, tmp_path / "big", "parquet", [60])
    calls = []

    def fn(rows: pd.DataFrame) -> np.ndarray:
        calls.append(len(rows))
        warnings.warn(f"batch {len(calls)}", UserWarning, stacklevel=1)
        return rows["a"].to_numpy()

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ParquetSource(str(tmp_path / "big"), target="y", read_rows=16).apply(fn)
    assert len(calls) > 3 and [str(w.message) for w in seen] == [f"batch {i + 1}" for i in range(len(calls))]
    assert {w.category for w in seen} == {UserWarning} and {w.filename for w in seen} == {__file__}
