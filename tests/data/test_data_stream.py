"""Tables streamed from Parquet/CSV files: the source, the streamed preprocessing, fitting on it."""

from __future__ import annotations

import io
import math
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

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
    with pytest.raises(DataError, match=r"^no target column '-1' in .*\(a folder's target is a column name, not a position\): choose one of "
                                        r"p0, p1, .*p9, \.\.\.\.$"):
        ParquetSource(digits_dir[0], target="-1")
    with pytest.raises(DataError, match=r"^the target 'y' is also listed in --features \(features=\): remove it from --features\.$"):
        ParquetSource(digits_dir[0], target="y", features=["p0", "y"])  # was pandas' 'truth value of a Series is ambiguous' at scan
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


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")  # the bar is reached before convergence
def test_fit_on_a_parquet_source_learns_digits_and_saves_its_preprocessing(digits_dir, tmp_path) -> None:
    path, df = digits_dir
    src = ParquetSource(path, target="y")
    # 6 epochs at rate 0.01 (seeds 0-3: validation 0.96-0.98, the held-out rows 0.879-0.899; 25 epochs at 0.001 gave 0.872-0.892)
    clf = hl.MLPClassifier(hidden_layer_sizes=(64,), max_iter=6, learning_rate_init=0.01, random_state=0, early_stopping=True,
                           n_iter_no_change=5).fit(src)
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


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")  # the bar is reached before convergence
def test_regressor_on_a_source(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    df = pd.DataFrame(X, columns=list("abc"))
    df["t"] = X @ [1.0, -2.0, 0.5] + 0.01 * rng.normal(size=2000)
    df.to_parquet(tmp_path / "r.parquet", row_group_size=250)
    # 8 epochs (seeds 0-3: best validation R² 0.990-0.994; 40 epochs, 32-40 of them run: 0.9992-0.9995)
    src = ParquetSource(str(tmp_path), target="t")
    reg = hl.MLPRegressor(hidden_layer_sizes=(16,), max_iter=8, learning_rate_init=0.01, random_state=0, early_stopping=True).fit(src)
    assert reg.best_validation_score_ > 0.95
    # the source fit streamed is predicted and scored batch by batch (tests/estimators/test_predict_source.py); a method that
    # does not stream says which do (before: "X must be 2-D ... Received shape ()")
    assert reg.score(src) == pytest.approx(reg.score(df[list("abc")], df["t"]), rel=1e-6)
    said = re.escape(f"this method takes rows in memory (a DataFrame or an array), not {src!r}: predict, predict_proba and score take a source")
    with pytest.raises(DataError, match="^" + said):
        reg.transform(src)  # hidden activations: rows in memory
    assert reg.score(df[list("abc")], df["t"]) > 0.95  # the rows in memory, read by name through the stored preprocessing


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


def _files(tmp_path, name: str, parts: list, kind: str = "parquet") -> str:
    """A folder ``name`` of ``part0``, ``part1``, ... files: DataFrames written as ``kind``, bytes as they are."""
    d = tmp_path / name
    d.mkdir()
    for i, part in enumerate(parts):
        path = d / f"part{i}.{kind}"
        if isinstance(part, bytes):
            path.write_bytes(part)
        elif kind == "parquet":
            part.to_parquet(path)
        else:
            part.to_csv(path, index=False)
    return str(d)


def _frame(**columns) -> pd.DataFrame:
    n = 300
    return pd.DataFrame({c: (np.arange(n) % 2 if v is None else v) for c, v in columns.items()})


A = np.arange(300.0)


@pytest.mark.parametrize(("parts", "message"), [
    ([_frame(a=A, b=A, y=None), _frame(a=A, y=None)],
     "'{d}/part1.parquet' lacks column 'b' that '{d}/part0.parquet' has: write every file with the same columns, or leave 'b' out of features= (--features)."),
    ([_frame(a=A, b=A, y=None), _frame(a=A, c=A, y=None)],  # a renamed column
     "'{d}/part1.parquet' lacks column 'b' that '{d}/part0.parquet' has: write every file with the same columns, or leave 'b' out of features= (--features)."),
    ([_frame(a=A, y=None), _frame(a=A, c=A, y=None)],
     "'{d}/part1.parquet' has column 'c' that '{d}/part0.parquet' lacks: write every file with the same columns, or name the columns to use with features= (--features)."),
    ([_frame(a=A, b=A, y=None), _frame(a=A, b=A)],
     "'{d}/part1.parquet' has no column 'y' (the target; '{d}/part0.parquet' has it): add it to every file, or move '{d}/part1.parquet' out of {d}."),
    ([_frame(a=A, b=A, c=A), _frame(a=A, b=A, y=None)],
     "'{d}/part0.parquet' has no column 'y' (the target; '{d}/part1.parquet' has it): add it to every file, or move '{d}/part0.parquet' out of {d}."),
    # a header spelled otherwise in one file (a CSV export's capitals, a renamed column): the name it has is offered, as
    # predict and evaluate of a folder offer it (it said only "has no column 'y'")
    ([_frame(a=A, y=None), _frame(A=A, Y=None)],
     "'{d}/part1.parquet' has no column 'y' (the target; '{d}/part0.parquet' has it): add it to every file, or move '{d}/part1.parquet' out of {d}. Did you mean 'Y'?"),
    ([_frame(x_1=A, y=None), _frame(x1=A, y=None)],
     "'{d}/part1.parquet' lacks column 'x_1' that '{d}/part0.parquet' has: write every file with the same columns, or leave 'x_1' out of features= (--features). Did you mean 'x1'?"),
    ([_frame(a=A, y=None), _frame(a=A, y=np.where(np.arange(300) % 2, "x", "z"))],
     "'{d}/part1.parquet' column 'y' holds large_string where '{d}/part0.parquet' holds int64: write the column with one type in every file."),
])
def test_every_file_has_the_first_files_columns(tmp_path, parts, message) -> None:
    d = _files(tmp_path, "d", parts)
    with pytest.raises(DataError) as info:
        ParquetSource(d, target="y")
    assert str(info.value) == message.format(d=d)


@pytest.mark.parametrize("empty", [0, 1])
@pytest.mark.parametrize("content", [b"", b"\n\n"])
def test_an_empty_csv_file_of_a_folder_is_named_as_empty(tmp_path, empty, content) -> None:
    """A 0-byte (or blank) CSV beside good ones: one line saying the file is empty. Before: "has no column 'y' (the target;
    ...)" or, for a model, "lacks column(s) 'a', 'y' ... (it has )", as if the file had other columns."""
    parts: list = [_frame(a=A, y=None)]
    parts.insert(empty, content)
    d = _files(tmp_path, "d", parts, "csv")
    message = f"'{d}/part{empty}.csv' is empty (no header line, no rows): remove it from the source, or write its header and rows."
    for make in (lambda: ParquetSource(d, target="y"), lambda: hl.data.stream_file_columns(d)):
        with pytest.raises(DataError) as info:
            make()
        assert str(info.value) == message


@pytest.mark.parametrize("empty", [0, 1])
def test_a_parquet_file_of_no_columns_in_a_folder_is_named_as_such(tmp_path, empty) -> None:
    """Before: "has no column 'y' (the target; ...)" or, for a model, "lacks column(s) 'a', 'y' ... (it has )"."""
    parts: list = [_frame(a=A, y=None)]
    parts.insert(empty, pd.DataFrame(index=range(0)))
    d = _files(tmp_path, "d", parts)
    message = f"'{d}/part{empty}.parquet' is a Parquet file with no columns: remove it from the source, or write it again with its columns and rows."
    for make in (lambda: ParquetSource(d, target="y"), lambda: hl.data.stream_file_columns(d)):
        with pytest.raises(DataError) as info:
            make()
        assert str(info.value) == message


def test_named_features_need_only_those_columns_and_ints_read_as_floats(tmp_path) -> None:
    d = _files(tmp_path, "d", [_frame(a=A, b=A, y=None), _frame(a=np.arange(300), c=A, y=None)])
    src = ParquetSource(d, target="y", features=["a"])
    assert src.scan().n_rows == 600 and src.features == ["a"]


def _fit_error(d: str) -> str:
    with pytest.raises(DataError) as info:
        hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(ParquetSource(d, target="y"))
    return str(info.value)


def test_csv_values_that_do_not_read_are_named_by_file_and_line(tmp_path) -> None:
    labels = _frame(a=A, y=np.where(np.arange(300) % 2, "x", "z"))
    d = _files(tmp_path, "types", [_frame(a=A, y=None), labels], "csv")
    assert _fit_error(d) == (
        f"'{d}/part1.csv' line 2: column 'y' holds 'z', not a number as in '{d}/part0.csv': "
        "fix the value (leave it empty if unknown), or write the column with one type in every file."
    )
    text = "a,y\n" + "".join(f"{i}.0,{i % 2}\n" for i in range(300))
    d = _files(tmp_path, "oops", [_frame(a=A, y=None), text.replace("\n250.0,", "\noops,").encode()], "csv")
    assert _fit_error(d) == (
        f"'{d}/part1.csv' line 252: column 'a' holds 'oops', not a number as in '{d}/part0.csv': "
        "fix the value (leave it empty if unknown), or write the column with one type in every file."
    )


@pytest.mark.parametrize("column", ["a", "y"])
def test_a_csv_byte_that_is_not_utf8_is_named_by_line(tmp_path, column) -> None:
    first = _frame(a=np.where(np.arange(300) % 2, "p", "q"), y=None) if column == "a" else _frame(a=A, y=None)
    text = "a,y\n" + "".join(f"{'p' if column == 'a' else i},{i % 2}\n" for i in range(300))
    bad = text.replace("\n7,1" if column == "y" else "\np,1", "\n7,K\xf6ln" if column == "y" else "\nK\xf6ln,1", 1).encode("latin1")
    d = _files(tmp_path, "latin", [first, bad], "csv")
    line = 9 if column == "y" else 3
    assert _fit_error(d) == (
        f"'{d}/part1.csv' is not UTF-8: line {line} has the byte 0xf6 (byte {2 if column == 'a' else 4} of the line); "
        "save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8 part1.csv > utf8-part1.csv`)."
    )


def test_a_corrupt_parquet_file_is_named_when_the_source_is_made(tmp_path) -> None:
    d = _files(tmp_path, "d", [_frame(a=A, y=None), b"PAR1 not really parquet"])
    with pytest.raises(DataError) as info:
        ParquetSource(d, target="y")
    assert str(info.value).startswith(f"cannot read '{d}/part1.parquet' as Parquet: Parquet magic bytes not found in footer")
    assert str(info.value).endswith(": the file is corrupt or not Parquet; rewrite it, or move it out of the source.")


def test_ragged_csv_rows_are_dropped_and_noted_by_line(tmp_path) -> None:
    d = _files(tmp_path, "d", [_frame(a=A, b=A, c=A, y=None), b"a,b,c,y\n1,2,3,0\n4,5\n6,7,8,1\n9,9,9,9,9\n"], "csv")
    src = ParquetSource(d, target="y")
    assert src.scan().n_rows == 302
    assert src.drop_notes() == [
        f"dropped 2 of 4 data rows of '{d}/part1.csv': 1 with fewer fields than the 4 header columns (line 3); "
        "1 with more fields than the 4 header columns (line 5)"
    ]


def test_a_glob_that_matches_nothing_says_so(tmp_path) -> None:
    with pytest.raises(DataError) as info:
        ParquetSource(str(tmp_path / "nomatch" / "*.parquet"), target="y")
    assert str(info.value) == (
        f"the glob '{tmp_path}/nomatch/*.parquet' matches no files: check the pattern (and quote it, so the shell leaves it to hiddenlayers)."
    )


def test_a_glob_matching_a_folder_or_a_file_of_neither_format_names_a_narrower_glob(tmp_path) -> None:
    """'data/*' matching a subfolder or a README beside the data read it as Parquet: "cannot read 'data/sub' as Parquet ...
    the file is corrupt or not Parquet; rewrite it". One line naming the glob and a narrower one now; a Parquet file without
    a Parquet name is still read (by its magic bytes), and format="csv" reads any name as CSV."""
    d = tmp_path / "data"
    (d / "sub").mkdir(parents=True)
    _frame(a=A, y=None).to_parquet(d / "a.parquet")
    with pytest.raises(DataError) as info:
        ParquetSource(f"{d}/*", target="y")
    assert str(info.value) == (f"the glob '{d}/*' matches the folder '{d}/sub', which is no data file: match the data files only, e.g. "
                               f"'{d}/*.parquet' (a subfolder's files: a glob that names them, such as '{d}/*/*.parquet').")
    (d / "sub").rmdir()
    (d / "README.txt").write_text("what these files hold")
    with pytest.raises(DataError) as info:
        ParquetSource(f"{d}/*", target="y")
    assert str(info.value) == (f"the glob '{d}/*' matches '{d}/README.txt', which is neither a Parquet file (by its bytes) nor a CSV "
                               f"file (by its name): match the data files only, e.g. '{d}/*.parquet', or move '{d}/README.txt' out.")
    (d / "README.txt").unlink()
    _frame(a=A, y=None).to_parquet(d / "part-00001")  # Hive's and Spark's names carry no suffix at times
    assert ParquetSource(f"{d}/*", target="y").scan().n_rows == 2 * len(A)
    c = tmp_path / "csv"
    c.mkdir()
    _frame(a=A, y=None).to_csv(c / "export_1", index=False)
    assert ParquetSource(f"{c}/*", target="y", format="csv").scan().n_rows == len(A)

def test_a_quoted_glob_or_folder_under_the_home_folder_is_found(tmp_path, monkeypatch) -> None:
    """A glob is quoted so that the shell leaves it to hiddenlayers, which left its `~` as well: '~/parts/*.parquet' matched
    no file, and the line said to quote it. `~` is the home folder now, as the shell reads it."""
    monkeypatch.setenv("HOME", str(tmp_path))
    d = tmp_path / "parts"
    d.mkdir()
    for i in range(2):
        _frame(a=A, y=None).to_parquet(d / f"p{i}.parquet")
    both = [str(d / "p0.parquet"), str(d / "p1.parquet")]
    for typed, files in (("~/parts/*.parquet", both), ("~/parts", both), ("~/parts/p1.parquet", both[1:])):
        src = ParquetSource(typed, target="y")
        assert src.path == typed and src.files == files  # the path as typed, for the messages
        assert src.scan().n_rows == len(files) * len(A)

def test_csv_headers_are_checked_as_read_table_checks_them(tmp_path) -> None:
    d = _files(tmp_path, "d", [_frame(a=A, y=None), b"a,a,y\n1,2,0\n"], "csv")
    with pytest.raises(DataError) as info:
        ParquetSource(d, target="y")
    assert str(info.value) == f"'{d}/part1.csv' has the column 'a' twice: rename one."


def _lines(n: int, start: int = 0) -> str:
    return "".join(f"{i}.0,x{i % 3},{i % 2}\n" for i in range(start, start + n))


OPEN = "opens a quote that is never closed, so the rest of the file reads as one value: close the quote (or double it, \"\", inside a quoted value)."
UNCLOSED = [  # (the second file's text, the line that opens the quote)
    ("a,b,y\n" + _lines(5) + '9.0,"oops,1\n' + _lines(20, 5), 7),  # a short record: pyarrow would skip the rest of the file as one ragged row
    ("a,b,y\n" + _lines(5) + '9.0,x0,"1\n' + _lines(20, 5), 7),  # the right width: the last value would hold the rest of the file
    ("a,b,y\n" + _lines(5) + '"9.0,x0,1\n' + _lines(20, 5), 7),  # a quote that opens the record
    ("a,b,y\n" + _lines(5) + '9.0,"oops,1\n' + _lines(150_000, 5), 7),  # past pyarrow's first read block: its chunker error
]


@pytest.mark.parametrize(("text", "line"), UNCLOSED)
@pytest.mark.parametrize("which", [0, 1])
def test_an_unclosed_csv_quote_is_refused_with_its_file_and_line(tmp_path, text: str, line: int, which: int) -> None:
    """pyarrow reads the rest of the file after an unclosed quote as one value without a word; the source refuses it as read_table does."""
    good = "a,b,y\n" + _lines(30)
    parts = [text.encode(), good.encode()] if which == 0 else [good.encode(), text.encode()]
    d = _files(tmp_path, "d", parts, "csv")
    bad = f"{d}/part{which}.csv"
    assert _fit_error(d) == f"'{bad}': line {line} {OPEN}"
    with pytest.raises(DataError) as info:
        hl.data.read_table(bad)
    assert str(info.value) == f"'{bad}': line {line} {OPEN}"


def test_an_unclosed_quote_in_a_gzipped_csv_is_named_too(tmp_path) -> None:
    import gzip

    d = tmp_path / "gz"
    d.mkdir()
    (d / "part0.csv.gz").write_bytes(gzip.compress(("a,b,y\n" + _lines(30)).encode()))
    (d / "part1.csv.gz").write_bytes(gzip.compress(("a,b,y\n" + _lines(5) + '9.0,"oops,1\n' + _lines(20, 5)).encode()))
    assert _fit_error(str(d)) == f"'{d}/part1.csv.gz': line 7 {OPEN}"


def test_closed_quotes_doubled_quotes_and_line_breaks_in_values_still_read(tmp_path) -> None:
    text = 'a,b,y\n1.0,"x, y",0\n2.0,"say ""hi""",1\n3.0,"two\nlines",0\n4.0,x"y,1\n'
    d = _files(tmp_path, "d", [text.encode()], "csv")
    src = ParquetSource(d, target="y")
    assert src.scan().n_rows == 4 and src.drop_notes() == []
    assert next(src.read_unit(0))["b"].tolist() == ["x, y", 'say "hi"', "two\nlines", 'x"y']


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='a,"\n', max_size=30))
def test_open_quote_line_follows_the_csv_quoting_rule(text: str) -> None:
    """A quote is open at the end exactly when Python's csv module (strict, the same quoting rule) runs out of data inside one."""
    import csv
    import io

    from hiddenlayers.data._csv_rows import open_quote_line

    try:
        list(csv.reader(io.StringIO(text, newline=""), strict=True))
        expected = False
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return  # text after a closing quote, which strict parsing refuses before the end: no verdict on the end
        expected = True
    line = open_quote_line(io.StringIO(text, newline=""))
    assert (line is not None) == expected, (text, line)
    if line is not None:
        opened = text.split("\n")[line - 1]
        assert '"' in opened


ENDS_OPEN = [  # (text, the line that opens the quote): the last line opens it and the file ends without a line end
    ('a,b,y\n1.0,x,0\n9.0,x,"1', 3),
    ('a,b,y\n1.0,x,0\n9.0,x,"', 3),
    ('a,b,y\n1.0,x,0\n"9.0,x,1', 3),
    ('a,b,y\n1.0,"two\nlines",0\n9.0,x,"1', 4),
    ("a,b,y\n" + _lines(3000) + '9.0,x,"1', 3002),  # past the tail read from the end of the file
    ("a,b,y\n" + _lines(3) + '9.0,x,"' + "1" * 70_000, 5),  # a last line longer than that tail
]


@pytest.mark.parametrize(("text", "line"), ENDS_OPEN)
@pytest.mark.parametrize("gz", [False, True])
def test_a_quote_opened_on_the_last_line_without_a_line_end_is_refused_by_both_readers(tmp_path, text: str, line: int, gz: bool) -> None:
    """pyarrow reads ``9,x,"1`` at the end of a file as ``1`` without a word; the source refuses it as read_table does, with the same line."""
    import gzip

    d = tmp_path / "d"
    d.mkdir()
    name = "part0.csv.gz" if gz else "part0.csv"
    (d / name).write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    with pytest.raises(DataError) as streamed:
        ParquetSource(str(d), target="y").scan()
    assert str(streamed.value) == f"'{d}/{name}': line {line} {OPEN}"
    if not gz:  # read_table takes no .gz
        with pytest.raises(DataError) as read:
            hl.data.read_table(d / name)
        assert str(read.value) == f"'{d}/{name}': line {line} {OPEN}"


@pytest.mark.parametrize("text", ['a,b,y\n1.0,"x\n",0', 'a,b,y\n1.0,"x\n,y",0', 'a,b,y\n1.0,x"y,0', 'a,b,y\n1.0,"x ""q""",0'])
def test_a_last_line_without_a_line_end_whose_quotes_close_still_reads(tmp_path, text: str) -> None:
    """The last line alone may look like it opens a quote (it closes one opened above): the full scan clears it."""
    d = _files(tmp_path, "d", [text.encode()], "csv")
    src = ParquetSource(d, target="y")
    assert src.scan().n_rows == 1
    assert next(src.read_unit(0))["b"].tolist() == hl.data.read_table(f"{d}/part0.csv").frame["b"].tolist()


DROPS = [  # CSV texts with ragged rows where pyarrow's record number is not the file line
    "a,b,y\n\n1,2,0\n\n\n3,4,1\n1,2\n5,6,0\n7,8,0,9\n",  # blank lines: pyarrow does not count them
    "\n\na,b,y\n1,2,0\n1,2\n",  # blank lines before the header
    'a,b,y\n1,"two\nlines",0\n1,2\n3,"x\n\ny",1\n4,5,6,7\n',  # quoted line breaks (one with a blank line inside the value)
    "a,b,y\r\n1,2,0\r\n\r\n1,2\r\n5,6,0\r\n",  # CRLF line ends
    "a,b,y\n1,2,0\n  \n\t\n3,4,1\n1,2\n",  # lines of spaces or tabs: blank to read_table, so neither dropped nor counted
]


@pytest.mark.parametrize("text", DROPS)
def test_drop_notes_name_the_file_lines_read_table_names(tmp_path, text: str) -> None:
    """The streamed reader's notes equal read_table's, line for line (they said pyarrow's record numbers, or 0)."""
    d = _files(tmp_path, "d", [text.encode()], "csv")
    file = f"{d}/part0.csv"
    src = ParquetSource(d, target="y")
    src.scan()
    expected = hl.data.read_table(file).drop_summary()
    assert expected and src.drop_notes() == [expected]


def test_a_ragged_row_pyarrow_cannot_number_is_noted_at_an_unknown_line(tmp_path, monkeypatch) -> None:
    """InvalidRow.number is None where pyarrow reads blocks in parallel: the note says so, never 'line 0'."""
    import pyarrow.csv as pcsv

    real = pcsv.ParseOptions

    def unnumbered(*, invalid_row_handler, **kwargs):  # pyarrow handing the rows over without their numbers
        return real(invalid_row_handler=lambda row: invalid_row_handler(row._replace(number=None)), **kwargs)

    monkeypatch.setattr(pcsv, "ParseOptions", unnumbered)
    d = _files(tmp_path, "d", [b"a,b,y\n1,2,0\n\n1,2\n5,6,7,8\n"], "csv")
    file = f"{d}/part0.csv"
    src = ParquetSource(d, target="y")
    src.scan()
    assert src.drop_notes() == [
        f"dropped 2 of 3 data rows of '{file}': 1 with fewer fields than the 3 header columns (line unknown); "
        "1 with more fields than the 3 header columns (line unknown)"
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.lists(st.sampled_from(["1", "x", '"a,b"', '"p\nq"', '"r\n\ns"', '"t""u"']), min_size=1, max_size=3)),
                min_size=1, max_size=12))
def test_record_lines_finds_where_each_record_starts(records) -> None:
    """Records (some with quoted line breaks) after 0-2 blank lines each: record k starts on the line written down for it."""
    from hiddenlayers.data._csv_rows import record_lines

    text, starts, line = "", {}, 1
    for k, (blanks, fields) in enumerate(records, 1):
        text += "\n" * blanks
        line += blanks
        starts[k] = line
        record = ",".join(fields) + "\n"
        text += record
        line += record.count("\n")
    lines = io.StringIO(text, newline="").readlines()
    assert record_lines(lines, starts) == starts
    assert record_lines(lines, [len(records) + 1]) == {}  # past the last record: left out


def test_open_quote_pickles() -> None:
    import pickle

    from hiddenlayers.data._csv_rows import OpenQuote

    back = pickle.loads(pickle.dumps(OpenQuote(7)))  # noqa: S301 (made just above)
    assert type(back) is OpenQuote and back.line == 7 and str(back) == "line 7 opens a quote that is never closed"


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_warm_streamed_fit_carries_the_no_improvement_count(tmp_path, early_stopping: bool) -> None:
    """As the in-memory fit (and scikit-learn's _no_improvement_count): a warm fit of a model that stopped for
    lack of progress stops after one more such epoch; before, each call started its patience over."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(400, 3)), columns=list("abc"))
    df["y"] = (df["a"] > 0).astype(int)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y")
    # tol=10: no epoch counts as progress but the first (on inf), so a fresh fit runs 1 + (n_iter_no_change + 1) epochs
    clf = hl.MLPClassifier(hidden_layer_sizes=(4,), tol=10.0, n_iter_no_change=2, max_iter=50, warm_start=True,
                           early_stopping=early_stopping, random_state=0)
    clf.fit(src)
    assert len(clf.loss_curve_) == 4
    before, best = clf.predict_proba(df[list("abc")].to_numpy()), clf.best_validation_score_
    assert clf.n_iter_ == 4
    clf.fit(src)
    assert len(clf.loss_curve_) == 5 and clf.stop_reason_.startswith("no_improvement")
    assert clf.n_iter_ == 1  # this call's epochs, as scikit-learn counts a warm fit's (loss_curve_ keeps them all)
    if early_stopping and clf.best_validation_score_ == best:  # no better score: it ends on the best weights so far, not its last epoch's
        assert np.array_equal(clf.predict_proba(df[list("abc")].to_numpy()), before)


def _stalling_source(tmp_path) -> tuple[ParquetSource, np.ndarray, np.ndarray]:
    """A 400-row source in 4 row groups, and its rows as the stream reads them (preprocessed, in order)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(400, 3)), columns=list("abc"))
    df["y"] = (df["a"] > 0).astype(int)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y")
    X, y = next(src.chunks(range(len(src.units)), rows=400))
    return src, X, y


def _adaptive(**kw) -> hl.MLPClassifier:
    # tol=10: every epoch but the first (on inf) misses tol, so 'adaptive' cuts the rate every n_iter_no_change + 1 epochs
    return hl.MLPClassifier(hidden_layer_sizes=(4,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, tol=10.0,
                            n_iter_no_change=1, shuffle=False, batch_size=50, random_state=0, dtype="float64", **kw)


def test_streamed_partial_fit_lowers_an_adaptive_rate_per_pass_as_in_memory_partial_fit(tmp_path, monkeypatch) -> None:
    """One partial_fit(source) is one epoch (one pass, 8 chunks here): the adaptive rule counts passes, as scikit-learn
    counts partial_fit calls; before, every chunk counted as an epoch and the rate fell 5x every other chunk."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)  # a chunk per batch: 8 chunks per pass
    src, X, y = _stalling_source(tmp_path)
    streamed, in_memory = _adaptive(), _adaptive()
    rates, counts, losses = [], [], []
    for _ in range(6):
        streamed.partial_fit(src)
        in_memory.partial_fit(X, y, classes=[0, 1])
        rates.append((streamed._optimizer_state["lr"], in_memory._optimizer_state["lr"]))
        counts.append((streamed._no_improvement_count, in_memory._no_improvement_count))
        losses.append((streamed.loss_, in_memory.loss_))
    assert [r for r, _ in rates] == [r for _, r in rates] == pytest.approx([0.1, 0.1, 0.02, 0.02, 0.004, 0.004])  # scikit-learn's
    assert [c for c, _ in counts] == [c for _, c in counts] == [0, 1, 0, 1, 0, 1]
    np.testing.assert_allclose(*zip(*losses), rtol=1e-9)  # the same steps on the same rows
    np.testing.assert_allclose(streamed.predict_proba(X), in_memory.predict_proba(X), rtol=1e-9)


def test_a_streamed_adaptive_fit_lowers_the_rate_instead_of_stopping_as_in_memory(tmp_path, monkeypatch) -> None:
    """fit(source) with 'adaptive' goes on at a 5x lower rate after a stall, as the in-memory fit (and scikit-learn's);
    before, the epochs' rule stopped it at the first stall, after the chunks had cut the rate on their own."""
    from sklearn.exceptions import ConvergenceWarning

    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)
    src, X, y = _stalling_source(tmp_path)
    with pytest.warns(ConvergenceWarning):
        in_memory = _adaptive(max_iter=6).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        streamed = _adaptive(max_iter=6).fit(src)
    assert streamed.n_iter_ == in_memory.n_iter_ == 6 and streamed.stop_reason_ == in_memory.stop_reason_ == "max_epochs"
    assert streamed.history_.lr == pytest.approx(in_memory.history_.lr) and in_memory.history_.lr == pytest.approx([0.1, 0.1, 0.1, 0.02, 0.02, 0.004])
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-9)
    assert streamed._no_improvement_count == in_memory._no_improvement_count


class _RaiseAt(hl.Callback):
    """Raises at the ``at``-th call of its hook ``hook`` (``on_epoch_end``: once a pass; ``on_batch_end``: every batch)."""

    def __init__(self, hook: str, at: int | None) -> None:
        self.hook, self.at, self.seen = hook, at, 0

    def _count(self) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise RuntimeError(f"callback failed at call {self.seen}")

    def on_epoch_end(self, **kwargs) -> None:
        if self.hook == "on_epoch_end":
            self._count()

    def on_batch_end(self, **kwargs) -> None:
        if self.hook == "on_batch_end":
            self._count()


@pytest.mark.parametrize("hook", ["on_batch_end", "on_epoch_end"])
@pytest.mark.parametrize("warm_start", [True, False])
@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_a_streamed_refit_that_raises_leaves_every_attribute_as_it_was(tmp_path, monkeypatch, warm_start: bool, call: str, hook: str) -> None:
    """A streamed fit that fails in a later chunk (a callback's batch hook here; a bad row of a later file alike) or at a
    later pass's end leaves the fitted model as it was; before, only the failing chunk was undone: history_ was the chunks'
    scratch, loss_curve_ one chunk's, the network trained by the earlier chunks (and a cold refit had dropped network_ and classes_ first)."""
    from fit_helpers import assert_same_state, model_state
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)  # 8 chunks a pass
    src, _, _ = _stalling_source(tmp_path)
    cb = _RaiseAt(hook, None)
    est = hl.MLPClassifier((4,), max_iter=2, batch_size=50, random_state=0, warm_start=warm_start, callbacks=[cb])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        est.fit(src)
    before = model_state(est)
    # the third chunk (batch) of the second pass (fit) or of the pass (partial_fit); or the end of that pass
    cb.at, cb.seen = ({"fit": 11, "partial_fit": 3} if hook == "on_batch_end" else {"fit": 2, "partial_fit": 1})[call], 0
    with pytest.raises(RuntimeError, match=rf"^callback failed at call {cb.at}$"):
        getattr(est, call)(src)
    assert_same_state(model_state(est), before)


class _CtrlCAtBatch(hl.Callback):
    """Ctrl-C at the ``at``-th batch this callback sees (over every chunk's partial_fit)."""

    def __init__(self, at: int | None) -> None:
        self.at, self.seen = at, 0

    def on_batch_end(self, **kwargs) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize("early_stopping", [False, True])
def test_ctrl_c_ends_a_streamed_fit_with_the_last_whole_epochs_weights(tmp_path, monkeypatch, early_stopping: bool) -> None:
    """Ctrl-C in the third chunk of epoch 2 stops the fit there, as in memory: one InterruptedWarning, no epoch 2 in the
    history, the weights of epoch 1 (the best epoch's with held-out units); before, the chunk took it as its own
    Ctrl-C and the fit read on to max_iter."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)  # 8 chunks a pass (6 with a held-out row group)
    src, X, y = _stalling_source(tmp_path)
    kw = dict(hidden_layer_sizes=(4,), batch_size=50, random_state=0, early_stopping=early_stopping, validation_fraction=0.25)
    one_epoch = hl.MLPClassifier(max_iter=1, callbacks=[_CtrlCAtBatch(None)], **kw).fit(src)  # a batch hook: the same L2 path
    per_pass = 6 if early_stopping else 8
    cb = _CtrlCAtBatch(per_pass + 3)
    est = hl.MLPClassifier(max_iter=5, callbacks=[cb], **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(src)
    interrupts = [str(w.message) for w in caught if issubclass(w.category, hl.InterruptedWarning)]
    assert interrupts == ["training interrupted by the user; restored the weights of epoch 1."]
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 1 and len(est.history_) == 1 and cb.seen == per_pass + 3
    np.testing.assert_array_equal(est.predict_proba(X), one_epoch.predict_proba(X))
    # and the optimizer state those weights were trained to (epoch 2's 2 whole chunks undone), at the rate the schedule is at
    assert est._optimizer_state.keys() == one_epoch._optimizer_state.keys() and est._optimizer_state["t"] == per_pass
    assert est.t_ == one_epoch.t_ == per_pass * 50  # and the samples seen: epoch 2's whole chunks undone (before: counted)
    for k, v in one_epoch._optimizer_state.items():
        assert torch.equal(est._optimizer_state[k], v) if isinstance(v, torch.Tensor) else est._optimizer_state[k] == v, k


def test_ctrl_c_in_a_first_streamed_pass_leaves_a_usable_model(tmp_path, monkeypatch) -> None:
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)
    src, X, _ = _stalling_source(tmp_path)
    est = hl.MLPClassifier(hidden_layer_sizes=(4,), batch_size=50, random_state=0, max_iter=5, callbacks=[_CtrlCAtBatch(3)])
    with pytest.warns(hl.InterruptedWarning, match=r"restored the weights of the last whole chunk of epoch 1\.$"):
        est.fit(src)
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 0 and len(est.history_) == 0 and np.isnan(est.loss_)
    assert est.predict(X).shape == (400,)


class _StartWeights(hl.Callback):
    """Keeps the weights the fit's first run begins from (its ``on_train_begin``'s network)."""

    def __init__(self) -> None:
        self.start: dict | None = None

    def on_train_begin(self, **kwargs) -> None:
        if self.start is None and kwargs.get("network") is not None:
            self.start = {k: v.clone() for k, v in kwargs["network"].state_dict().items()}


def test_ctrl_c_in_a_first_streamed_fits_first_chunk_says_it_kept_the_untrained_start(tmp_path, monkeypatch) -> None:
    """Ctrl-C in the first chunk of a first fit (no chunk whole yet) said "restored the weights of the last whole chunk of
    epoch 1", where the chunk had gone back to the untrained start. Now it says what the in-memory fit says, "the start of
    this run", and the estimator is as the in-memory fit leaves it: those weights, no epoch, loss NaN, t_ 0."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)
    src, X, y = _stalling_source(tmp_path)
    start = _StartWeights()
    est = hl.MLPClassifier(hidden_layer_sizes=(4,), batch_size=50, random_state=0, max_iter=5, callbacks=[start, _CtrlCAtBatch(2)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(src)
    said = [str(w.message) for w in caught if issubclass(w.category, hl.InterruptedWarning)]
    assert said == ["training interrupted by the user; restored the weights of the start of this run."]
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 0 and len(est.history_) == 0 and np.isnan(est.loss_) and est.t_ == 0
    assert start.start is not None and all(torch.equal(v, start.start[k]) for k, v in est.network_.state_dict().items())
    in_memory = hl.MLPClassifier(hidden_layer_sizes=(4,), batch_size=50, random_state=0, max_iter=5, callbacks=[_CtrlCAtBatch(2)])
    with pytest.warns(hl.InterruptedWarning, match=r"restored the weights of the start of this run\.$"):
        in_memory.fit(X, y)
    assert (in_memory.stop_reason_, in_memory.n_iter_, in_memory.t_) == (est.stop_reason_, est.n_iter_, est.t_)


def test_ctrl_c_in_a_streamed_partial_fit_ends_that_pass(tmp_path, monkeypatch) -> None:
    """As an in-memory partial_fit: stop_reason_ and history_ say 'interrupted' (before, stop_reason_ said 'partial_fit'), the weights are the pass's start,
    which the warning names as epoch 1's, those the call began with (before: "the start of this run", as if a first fit's)."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)
    src, X, _ = _stalling_source(tmp_path)
    cb = _CtrlCAtBatch(None)
    est = hl.MLPClassifier(hidden_layer_sizes=(4,), batch_size=50, random_state=0, callbacks=[cb]).partial_fit(src)
    proba, state = est.predict_proba(X), est._optimizer_state
    cb.at, cb.seen = 3, 0
    with pytest.warns(hl.InterruptedWarning, match=r"restored the weights of epoch 1 \(the weights this call began with\)\.$"):
        est.partial_fit(src)
    assert est.stop_reason_ == est.history_.stop_reason == "interrupted" and len(est.history_) == 1
    assert est.history_.held_epoch == 1
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    assert est._optimizer_state["t"] == state["t"] and all(torch.equal(est._optimizer_state[k], state[k]) for k in ("m", "v"))


def _scheduled(kind: str, **kw) -> hl.MLPClassifier:
    # plateau: at rate 2 the loss rises at epochs 3 and 4, each a tenth after patience n_iter_no_change // 2 = 1 such epoch;
    # the others never stall
    settings = {"learning_rate_init": 2.0, "n_iter_no_change": 2} if kind == "plateau" else {"learning_rate_init": 0.1, "n_iter_no_change": 100}
    return hl.MLPClassifier(hidden_layer_sizes=(4,), solver="sgd", learning_rate=kind, shuffle=False, batch_size=50, random_state=0,
                            dtype="float64", **{**settings, **kw})


_EPOCH_RATES = {  # what each schedule gives a 4-epoch fit on the 400 rows, epoch by epoch (scikit-learn's for invscaling)
    "invscaling": [0.1 / (400 * k + 1) ** 0.5 for k in range(4)],
    "cosine": [0.1 * (1 + np.cos(np.pi * k / 4)) / 2 for k in range(4)],
    "plateau": [2.0, 2.0, 2.0, 0.2],
}


@pytest.mark.parametrize("kind", ["invscaling", "cosine", "plateau"])
def test_a_streamed_fit_steps_its_schedule_per_pass_as_an_in_memory_fit(tmp_path, monkeypatch, kind: str) -> None:
    """fit(source): the schedule moves after each pass, as after each epoch in memory on the same rows (4 chunks a pass
    here); before, each chunk's partial_fit moved it (cosine walked its cycle per chunk, from the chunks' scratch history)."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)
    src, X, y = _stalling_source(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        in_memory = _scheduled(kind, max_iter=4).fit(X, y)
        streamed = _scheduled(kind, max_iter=4).fit(src)
    assert in_memory.history_.lr == pytest.approx(_EPOCH_RATES[kind], rel=1e-12)
    assert streamed.history_.lr == pytest.approx(in_memory.history_.lr, rel=1e-12)
    assert streamed.n_iter_ == in_memory.n_iter_ == 4 and streamed.stop_reason_ == in_memory.stop_reason_
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-9)  # the same steps at the same rates
    assert streamed._optimizer_state["lr"] == pytest.approx(in_memory._optimizer_state["lr"], rel=1e-12)  # what a warm fit resumes
    assert streamed.t_ == in_memory.t_ == 1600


@pytest.mark.parametrize("kind", ["invscaling", "cosine"])
def test_streamed_partial_fit_calls_step_the_schedule_as_in_memory_partial_fit_calls(tmp_path, monkeypatch, kind: str) -> None:
    """partial_fit(source) is one epoch: invscaling from t_, cosine a cycle of max_iter calls restarting after it, as
    in-memory partial_fit; before, cosine's position was the chunk's in the pass and every chunk moved invscaling."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)
    src, X, y = _stalling_source(tmp_path)
    streamed, in_memory = _scheduled(kind, max_iter=3), _scheduled(kind, max_iter=3)
    for _ in range(5):
        streamed.partial_fit(src)
        in_memory.partial_fit(X, y, classes=[0, 1])
        assert streamed._optimizer_state["lr"] == pytest.approx(in_memory._optimizer_state["lr"], rel=1e-12)
    assert streamed.history_.lr == pytest.approx(in_memory.history_.lr, rel=1e-12)
    if kind == "cosine":
        assert in_memory.history_.lr == pytest.approx([0.1, 0.075, 0.025, 0.1, 0.075])
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-9)


def test_a_warm_streamed_fit_resumes_the_rate_as_in_memory(tmp_path, monkeypatch) -> None:
    """A warm fit(source) carries on from the rate the last left (invscaling from t_), as a warm in-memory fit."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)
    src, X, y = _stalling_source(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = _scheduled("invscaling", max_iter=2, warm_start=True).fit(X, y).fit(X, y)
        streamed = _scheduled("invscaling", max_iter=2, warm_start=True).fit(src).fit(src)
    assert streamed.history_.lr == pytest.approx(in_memory.history_.lr, rel=1e-12) == _EPOCH_RATES["invscaling"]


def test_a_streamed_fit_that_reaches_max_iter_warns_as_in_memory(tmp_path) -> None:
    """scikit-learn's ConvergenceWarning, its message, pointing at the caller's line; none when it stops on its own
    or for partial_fit. Before, a streamed fit never warned."""
    from sklearn.exceptions import ConvergenceWarning

    src, X, y = _stalling_source(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _scheduled("constant", max_iter=3).fit(X, y)
        _scheduled("constant", max_iter=3).fit(src)
        _scheduled("constant", max_iter=3).partial_fit(src)
        stalled = _scheduled("constant", max_iter=50, tol=10.0, n_iter_no_change=1).fit(src)  # tol=10: stops at its second stall
    assert stalled.stop_reason_.startswith("no_improvement")
    found = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(found) == 2, [str(w.message) for w in caught]
    assert str(found[0].message) == str(found[1].message) == (
        "Stochastic Optimizer: Maximum iterations (3) reached and the optimization hasn't converged yet.")
    assert [w.filename for w in found] == [__file__] * 2


class _CrashAtBatch(_CtrlCAtBatch):
    def on_batch_end(self, **kwargs) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise RuntimeError("the process died")


@pytest.mark.parametrize("kind", ["cosine", "plateau", "invscaling"])
def test_a_resumed_streamed_fit_takes_the_rates_of_an_unbroken_one(tmp_path, monkeypatch, kind: str) -> None:
    """$HIDDENLAYERS_CHECKPOINT: a run that dies in epoch 4 and starts again resumes the schedule where epoch 3 left it
    (cosine's place in the call's cycle, plateau's epochs without progress, invscaling's t_), as if it had not died."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)  # 4 chunks, 8 batches a pass
    src, _, _ = _stalling_source(tmp_path)
    kw = {"max_iter": 6, "n_iter_no_change": 4} if kind == "plateau" else {"max_iter": 6}  # plateau: patience 2, a stall carried over
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unbroken = _scheduled(kind, callbacks=[_CrashAtBatch(None)], **kw).fit(src)
        monkeypatch.setenv(_fit_stream.CHECKPOINT_ENV, str(tmp_path / "ckpt.pt"))
        with pytest.raises(RuntimeError, match="the process died"):
            _scheduled(kind, callbacks=[_CrashAtBatch(3 * 8 + 3)], **kw).fit(src)
        resumed = _scheduled(kind, callbacks=[_CrashAtBatch(None)], **kw).fit(src)
    assert resumed.history_.lr == pytest.approx(unbroken.history_.lr, rel=1e-12)
    assert len(set(unbroken.history_.lr)) > 1  # the schedule moved
    np.testing.assert_allclose(resumed.loss_curve_, unbroken.loss_curve_, rtol=1e-9)


def _plateau_rates(losses: list[float], lr0: float, patience: int, tol: float = 1e-4) -> list[float]:
    """The rate of each epoch under 'plateau' from the epochs' losses: a tenth after ``patience`` epochs without progress
    by ``tol`` below the best (the epochs the no-improvement rule counts)."""
    rates, lr, best, stalled = [], lr0, math.inf, 0
    for loss in losses:
        rates.append(lr)
        stalled = 0 if loss <= best - tol else stalled + 1
        best = min(best, loss)
        if stalled >= patience:
            lr, stalled = lr / 10, 0
    return rates


def test_partial_fit_calls_that_stall_cut_a_plateau_rate_after_patience_calls_in_memory_and_streamed(tmp_path, monkeypatch) -> None:
    """learning_rate='plateau' counts stalled partial_fit calls across calls (scikit-learn carries _no_improvement_count
    for 'adaptive' so), in memory and streamed alike; before, each call began a new count, so with patience 2 the rate
    never fell however long the loss stalled. A fresh fit starts the count over."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)
    src, X, y = _stalling_source(tmp_path)
    streamed, in_memory = _scheduled("plateau", n_iter_no_change=4), _scheduled("plateau", n_iter_no_change=4)  # patience 2
    for _ in range(8):
        streamed.partial_fit(src)
        in_memory.partial_fit(X, y, classes=[0, 1])
    assert in_memory.history_.lr == _plateau_rates(in_memory.loss_curve_, 2.0, 2)
    assert streamed._optimizer_state["stalled"] == in_memory._optimizer_state["stalled"]
    assert min(in_memory.history_.lr) < 2.0  # the rate fell
    assert streamed.history_.lr == pytest.approx(in_memory.history_.lr, rel=1e-12)
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refit = in_memory.set_params(max_iter=1).fit(X, y)
    assert refit._optimizer_state["stalled"] == 0 and refit.history_.lr == [2.0]


class _SeesSettings(hl.Callback):
    """Records the estimator's learning_rate and learning_rate_init at each epoch a callback sees (a chunk's, streamed)."""

    def __init__(self) -> None:
        self.est: Any = None
        self.seen: list[tuple[str, float]] = []

    def on_epoch_begin(self, **kwargs) -> None:
        self.seen.append((self.est.learning_rate, self.est.learning_rate_init))


@pytest.mark.parametrize("kind", ["invscaling", "plateau"])
def test_callbacks_of_a_streamed_fit_see_the_users_learning_rate_settings(tmp_path, monkeypatch, kind: str) -> None:
    """Each chunk trains at the pass's rate without borrowing the public settings: callbacks see the user's
    learning_rate and learning_rate_init; before, they saw 'constant' and the pass's rate."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)  # 4 chunks a pass
    src, _, _ = _stalling_source(tmp_path)
    cb = _SeesSettings()
    est = cb.est = _scheduled(kind, max_iter=3, callbacks=[cb])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(src)
    user = (kind, est.learning_rate_init)
    assert len(cb.seen) == 3 and set(cb.seen) == {user}  # once a pass, as once an epoch in memory
    if kind == "invscaling":  # the passes still train at the schedule's rates
        assert est.history_.lr == pytest.approx(_EPOCH_RATES["invscaling"][:3], rel=1e-12)
    assert (est.learning_rate, est.learning_rate_init) == user


@pytest.mark.parametrize("where", ["memory", "stream"])
def test_ctrl_c_takes_t_and_the_schedule_back_to_the_best_epoch(tmp_path, monkeypatch, where: str) -> None:
    """Ctrl-C in epoch 5 goes back to the best epoch (in memory: epoch 2 by training loss; streamed with held-out units:
    epoch 1 by held-out score), and t_, the carried rate and plateau's stalled epochs go back with the weights: the
    model is the one a fit that stopped there makes. Before, t_ and the rate counted the undone epochs (the tenth the
    stalled epochs 3 and 4 had cut stayed, and t_ held them), and so did _no_improvement_count."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)  # 4 chunks, 8 batches a pass (6 with a held-out row group)
    src, X, y = _stalling_source(tmp_path)
    data = (X, y) if where == "memory" else (src,)
    kw = {"n_iter_no_change": 4} if where == "memory" else {"n_iter_no_change": 4, "early_stopping": True, "validation_fraction": 0.25}
    per_pass = 8 if where == "memory" else 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cut = _scheduled("plateau", max_iter=8, callbacks=[_CtrlCAtBatch(4 * per_pass + 3)], **kw).fit(*data)
        best = cut.history_.best_epoch
        kept = _scheduled("plateau", max_iter=best, callbacks=[_CtrlCAtBatch(None)], **kw).fit(*data)
    assert cut.stop_reason_ == "interrupted" and len(cut.history_) == 4 and best == (2 if where == "memory" else 1)
    assert cut.t_ == kept.t_ == best * per_pass * 50
    assert {k: cut._optimizer_state[k] for k in ("t", "lr", "stalled")} == {k: kept._optimizer_state[k] for k in ("t", "lr", "stalled")}
    np.testing.assert_array_equal(cut.predict_proba(X), kept.predict_proba(X))
    # and the epochs without progress: the undone stalled epochs 3 and 4 no longer count (before: they did)
    assert cut._no_improvement_count == kept._no_improvement_count
    # and the best score is the kept weights' (the undone epochs never beat it; loss_curve_ keeps them as the record)
    assert (cut.best_loss_, cut.best_validation_score_) == (kept.best_loss_, kept.best_validation_score_)
    assert cut.loss_curve_[:best] == kept.loss_curve_ and len(cut.loss_curve_) == 4


def _iris_source(tmp_path) -> tuple[ParquetSource, np.ndarray]:
    """Iris as a regression (the class number), shuffled, in 5 row groups of 30; and its rows as the stream reads them."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    df = pd.DataFrame(X, columns=list("abcd"))
    df["y"] = y.astype(float)
    df.sample(frac=1, random_state=0).to_parquet(tmp_path / "iris.parquet", row_group_size=30)
    src = ParquetSource(str(tmp_path), target="y")
    return src, next(src.chunks(range(len(src.units)), rows=150))[0]


def _diverging(**kw) -> hl.MLPRegressor:
    # at rate 0.2 the second pass diverges (its loss past 1e4 x the first batch's; NaN came in the third with held-out
    # units before that was a divergence too); at rate 1, the first
    return hl.MLPRegressor(activation="identity", solver="sgd", momentum=0.9, batch_size=30, random_state=0, shuffle=False,
                           n_iter_no_change=20, **{"learning_rate_init": 0.2, **kw})


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_diverged_streamed_fit_stops_and_goes_back_with_its_counts(tmp_path, monkeypatch, early_stopping: bool) -> None:
    """A chunk whose loss turns NaN/inf (or passes 1e4 x the fit's start loss) ends the streamed fit as a divergence ends an in-memory one: one DivergedWarning,
    stop_reason_ 'diverged', the last whole epoch's weights (the best epoch's with held-out units), and t_, the
    no-improvement count, plateau's stalled epochs and the best score of those weights: the model a fit that stopped
    there makes, with fresh moments and the rate kept. Before, the pass's first chunk raised the NaN error and threw
    away every good epoch (a later chunk: the pass went on from a NaN epoch, which reset the count)."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)
    src, X = _iris_source(tmp_path)
    kw = dict(early_stopping=early_stopping, validation_fraction=0.2, learning_rate="plateau")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = _diverging(max_iter=50, **kw).fit(src)
    diverged = [str(w.message) for w in caught if issubclass(w.category, hl.DivergedWarning)]
    assert [w.filename for w in caught if issubclass(w.category, hl.DivergedWarning)] == [__file__]  # the caller's line
    best = est.history_.best_epoch
    assert est.stop_reason_ == "diverged" and best == 1 and len(est.history_) == 1
    assert len(diverged) == 1 and re.match(
        rf"^training diverged at epoch {len(est.history_) + 1}: the loss grew to \S+, more than 10000 times its start \(0\.649\); "
        r"restored the weights of epoch 1\. "
        r"Lower learning_rate_init \(now 0\.2\), scale the inputs, or set clip_grad_norm\.$", diverged[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        kept = _diverging(max_iter=1, **kw).fit(src)
    np.testing.assert_array_equal(est.predict(X), kept.predict(X))
    assert est.t_ == kept.t_ == (120 if early_stopping else 150)
    assert est._no_improvement_count == kept._no_improvement_count == 0
    assert (est.best_loss_, est.best_validation_score_) == (kept.best_loss_, kept.best_validation_score_)
    # no moments: the next call starts them afresh (learning_rate_init: the rate the state was trained from, _warm.record_rate)
    assert est._optimizer_state == {"lr": 0.2, "stalled": 0, "learning_rate_init": 0.2}


def test_a_streamed_first_fit_diverging_in_its_first_pass_raises_sklearns_error(tmp_path, monkeypatch) -> None:
    """No whole epoch to fall back on: a ValueError, as in memory, and the model stays unfitted (scikit-learn's words for a
    NaN loss; here the loss explodes while finite, past 1e4 x its start, and the message says so)."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)
    src, _ = _iris_source(tmp_path)
    est = _diverging(max_iter=5, learning_rate_init=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"^training diverged in its first epoch: the loss grew to \S+, more than 10000 times its start"):
            est.fit(src)
    assert not hasattr(est, "network_")


def test_a_missing_target_in_a_csv_is_named_by_file_and_row_as_an_infinite_value_is(tmp_path) -> None:
    """Both stop the streamed fit at the same cell of the second file, read in several batches: the same 'file' line N
    (1-based, the header line 1, as an editor shows it; it was the 0-based data row, 130, which no editor shows)."""
    def second(column: str, value: float) -> pd.DataFrame:
        frame = _frame(a=A, y=None).astype(float)
        frame.loc[130, column] = value
        return frame

    first = _frame(a=A, y=None).astype(float)  # y as floats in both files (a missing value makes the second one's float)
    missing = _files(tmp_path, "missing", [first, second("y", np.nan)], "csv")
    infinite = _files(tmp_path, "infinite", [first, second("a", np.inf)], "csv")
    for d in (missing, infinite):
        with pytest.raises(DataError) as info:
            hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(ParquetSource(d, target="y", read_rows=64))
        assert "\n" not in str(info.value)
        if d == missing:
            assert str(info.value) == f"the target column 'y' has missing values (first at '{d}/part1.csv' line 132): drop those rows."
        else:
            assert f"a ('{d}/part1.csv' line 132)" in str(info.value)


def test_empty_and_na_text_cells_of_a_csv_folder_are_missing_as_read_table_reads_them(tmp_path) -> None:
    """pyarrow keeps "" and "NA" in a text column as text by default: a streamed fit learnt a class "" that prediction
    (read_table, pandas) never sees. Read as missing, the target's empty cell is refused and the features' are imputed."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "part0.csv").write_text("a,color,y\n1,red,cat\n2,,dog\n3,NA,cat\n4,blue,dog\n")
    (d / "part1.csv").write_text("a,color,y\n5,red,\n6,blue,dog\n")
    report = ParquetSource(d, target="y").check()
    missing = [f for f in report.findings if f.check == "missing_target"]
    assert missing and missing[0].message.endswith("part1.csv' line 2") and missing[0].lines == (2,)
    assert not [f for f in report.findings if f.check in ("rare_classes", "class_imbalance") and "''" in f.message]
    with pytest.raises(DataError, match="has missing values"):
        ParquetSource(d, target="y").scan()
    (d / "part1.csv").write_text("a,color,y\n5,red,cat\n6,blue,dog\n")
    src = ParquetSource(d, target="y")
    streamed = src.scan().preprocessor
    in_memory = TablePreprocessor().fit(pd.concat([pd.read_csv(d / "part0.csv"), pd.read_csv(d / "part1.csv")]).drop(columns="y"))
    assert streamed.output_names == in_memory.output_names  # no "color=" or "color=NA" category: imputed, with its indicator
    rows = pd.read_csv(d / "part0.csv").drop(columns="y")
    np.testing.assert_allclose(streamed.transform(rows).matrix, in_memory.transform(rows).matrix, rtol=1e-12)


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_a_column_empty_in_the_first_file_is_learnt_from_the_later_ones(tmp_path, kind) -> None:
    """A feature with no value in the first file (all NaN, or an empty CSV column) and values later: the pass refused it
    as 'no values (all missing)' after the first file; it learns the mean over every row, as pandas reads the files."""
    parts = [_frame(a=A, b=np.full(300, np.nan), y=None), _frame(a=A, b=A / 10, y=None)]
    d = _files(tmp_path, "late", parts, kind)
    b = next(c for c in ParquetSource(d, target="y").scan().preprocessor.columns if c["name"] == "b")
    assert (b["mean"], b["missing_indicator"]) == (pytest.approx(np.mean(A / 10)), True)
    d = _files(tmp_path, "never", [parts[0], parts[0]], kind)
    with pytest.raises(DataError, match="column 'b' has no values"):
        ParquetSource(d, target="y").scan()


def test_a_csv_column_of_whole_numbers_then_decimals_reads_as_numbers(tmp_path) -> None:
    """pyarrow typed every CSV file by the first one's first rows: whole numbers there, then '0.5' in a later file,
    was refused as "holds '0.5', not a number"; the files' types are promoted as Parquet files' are."""
    d = _files(tmp_path, "d", [_frame(a=np.arange(300), y=None), _frame(a=A + 0.5, y=None)], "csv")
    src = ParquetSource(d, target="y")
    a = src.scan().preprocessor.columns[0]
    assert a["mean"] == pytest.approx(np.concatenate([np.arange(300), A + 0.5]).mean())
    assert src.scan().n_rows == 600


def test_ctrl_c_while_the_next_chunk_is_read_ends_the_fit_with_the_last_whole_epochs_weights(tmp_path, monkeypatch) -> None:
    """Most of an I/O-bound pass waits for the read-ahead thread's next chunk: a Ctrl-C there escaped the fit (train DIR
    exited 130 with no model saved); it now ends the fit as a Ctrl-C inside a chunk does, on epoch 1's weights."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 1)
    src, X, y = _stalling_source(tmp_path)
    kw = dict(hidden_layer_sizes=(4,), batch_size=50, random_state=0, early_stopping=False)
    one_epoch = hl.MLPClassifier(max_iter=1, **kw).fit(src)
    passes = []

    def reads(chunks: Any, depth: int = 1) -> Any:  # Ctrl-C as epoch 2's third chunk is awaited
        passes.append(1)
        for i, chunk in enumerate(chunks):
            if len(passes) == 2 and i == 2:
                raise KeyboardInterrupt
            yield chunk

    monkeypatch.setattr(_fit_stream, "read_ahead", reads)
    est = hl.MLPClassifier(max_iter=5, **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(src)
    assert [str(w.message) for w in caught if issubclass(w.category, hl.InterruptedWarning)] == [
        "training interrupted by the user; restored the weights of epoch 1."]
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 1 and est.t_ == one_epoch.t_
    np.testing.assert_array_equal(est.predict_proba(X), one_epoch.predict_proba(X))


def test_a_hive_partitioned_folder_names_its_subfolders_files_and_the_glob(tmp_path) -> None:
    """year=2023/part-0.parquet, year=2024/part-0.parquet: 'no .parquet files in DIR' sent a data engineer looking for
    files that are there; the message names them, the glob that reads them, and that the partition value is no column."""
    for year in (2023, 2024):
        (tmp_path / "d" / f"year={year}").mkdir(parents=True)
        _frame(a=A, y=None).to_parquet(tmp_path / "d" / f"year={year}" / "part-0.parquet")
    (tmp_path / "d" / "_temporary").mkdir()
    _frame(a=A, y=None).to_parquet(tmp_path / "d" / "_temporary" / "part-9.parquet")  # Spark's, not counted
    d = str(tmp_path / "d")
    with pytest.raises(DataError) as info:
        ParquetSource(d, target="y")
    assert str(info.value) == (
        f"no .parquet/.pq/.csv/.csv.gz files in {d} itself, but 2 in its subfolders (e.g. '{d}/year=2023/part-0.parquet'), which are not "
        f"searched: give a glob such as '{d}/year=*/*.parquet' (a hive partition's value, year=2024/, is then no column: write it into the "
        "files to use it as a feature).")
    assert ParquetSource(f"{d}/year=*/*.parquet", target="y").scan().n_rows == 600
