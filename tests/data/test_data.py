"""Reading tables and bundled datasets (hiddenlayers.data)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiddenlayers.data import DATASETS, default_target, find_dataset, infer_task, load_table, read_table, scan_file, split_target
from hiddenlayers.exceptions import DataError

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"], "y": [0, 1, 0]})


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl", ".json"])
def test_round_trip_formats(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        FRAME.to_csv(path, index=False)
    elif suffix == ".tsv":
        FRAME.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        FRAME.to_parquet(path)
    else:
        FRAME.to_json(path, orient="records", lines=True)
    got = load_table(path)
    pd.testing.assert_frame_equal(got, FRAME, check_dtype=False)


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_json_values_keep_their_json_types_as_a_csv_keeps_its_text(tmp_path, suffix):
    # before: pandas' inference made a column named "date" or "created_at" datetimes (epoch integers too), and
    # true/false/null 1.0/0.0/NaN: a numeric column here, a category in the same table as CSV or Parquet
    frame = pd.DataFrame({"date": ["2021-01-01", None, "2021-01-03"], "created_at": [1609459200000, 1609459200001, 5],
                          "ok": [True, None, False], "n": [1, None, 3]})
    path = tmp_path / f"t{suffix}"
    frame.to_json(path, orient="records", lines=suffix == ".jsonl")
    got = load_table(path)
    frame.to_csv(tmp_path / "t.csv", index=False)
    csv = load_table(tmp_path / "t.csv")
    assert got["created_at"].dtype == np.int64 and got["date"].tolist()[::2] == ["2021-01-01", "2021-01-03"]
    assert got["ok"].tolist()[::2] == [True, False] and pd.isna(got["ok"][1])
    from hiddenlayers.data import TablePreprocessor

    pre = TablePreprocessor().fit(csv)
    assert np.array_equal(pre.transform(got).matrix, pre.transform(csv).matrix)
    assert [c["kind"] for c in TablePreprocessor().fit(got).columns] == [c["kind"] for c in pre.columns]


def test_numpy_files(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "x.npy", X)
    assert list(load_table(tmp_path / "x.npy").columns) == ["x0", "x1", "x2"]
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1, 0, 1]))
    frame = load_table(str(tmp_path / "d.npz"))
    assert default_target(str(tmp_path / "d.npz"), frame) == "target"
    assert frame["target"].tolist() == [0, 1, 0, 1]


def test_npy_object_array_is_refused_without_unpickling(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="cannot read"):
        load_table(tmp_path / "o.npy")


@pytest.mark.parametrize("name", list(DATASETS))
def test_bundled_datasets(name):
    frame = load_table(name)
    X, y = split_target(frame, "target")
    assert len(X) == len(y) > 100
    assert infer_task(y) == DATASETS[name].task


def test_dataset_names_are_forgiving():
    assert find_dataset("Breast-Cancer") is DATASETS["breast_cancer"]
    assert find_dataset("mnist") is None


def test_errors(tmp_path):
    with pytest.raises(DataError, match="neither a file nor a bundled dataset"):
        load_table(tmp_path / "missing.csv")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        load_table(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no data rows"):
        load_table(tmp_path / "h.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        load_table(tmp_path / "t.xlsx")
    with pytest.raises(DataError, match=re.escape(f"'{tmp_path}' is a folder: give a data file (CSV, TSV, Parquet, JSON lines, .npy or .npz); "
                                                  "a folder of Parquet or CSV files is streamed, never read whole, by "
                                                  "hl.data.ParquetSource(path, target=...)")):  # before: what reads a folder, unsaid
        load_table(tmp_path)
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read"):
        load_table(tmp_path / "bad.parquet")


def test_a_file_without_a_header_row_is_named_as_such_by_the_target_error_and_the_check(tmp_path) -> None:
    """A CSV saved without its header: its first data row became the column names, and `--target y` said only
    "unknown target column 'y': the table has '0.126', '-0.436', 'no'", `--target -1` trained on one row fewer
    without a word. The error and the check now say the header looks like data and how to fix the file."""
    from hiddenlayers.data import check

    path = tmp_path / "nohead.csv"
    path.write_text("".join(f"{0.1 * i + 0.126:.3f},{-0.436 - i:.3f},{'yes' if i % 2 else 'no'}\n" for i in range(30)))
    table = read_table(path)
    with pytest.raises(DataError, match=r"unknown target column 'y'.* The header looks like a row of data \('0\.126', '-0\.436'\): "
                                        r"the file seems to have no header row; add one"):
        split_target(table.frame, "y")
    X, y = split_target(table.frame, "-1")
    found = check(X, y, fast=True)["header_as_data"]
    assert found.severity == "warning" and found.columns == ("0.126", "-0.436") and "header line" in found.fix
    # a real header of years, of an array's positions, or of words: no such finding
    for names in (["2019", "2020", "2021"], ["0", "1", "2"], ["a", "0.5", "b", "c"]):
        frame = pd.DataFrame(np.arange(20.0 * len(names)).reshape(20, len(names)), columns=names)
        assert "header_as_data" not in check(frame, fast=True)


@given(st.lists(st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_ .%-]{0,8}", fullmatch=True), st.integers(0, 3000).map(str)), min_size=1, max_size=8),
       st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"), min_size=1, max_size=8))
@settings(max_examples=60, deadline=None)
def test_header_as_data_is_names_of_decimal_numbers_when_half_or_more(words, numbers) -> None:
    """Words and whole numbers (a header's) are never data; decimals are, once they are at least half the names."""
    from hiddenlayers.data._column_hints import header_as_data

    assert header_as_data(words) == []
    assert header_as_data(numbers + words) == (numbers if len(numbers) >= len(words) else [])


def test_split_target():
    X, y = split_target(FRAME, "y")
    assert list(X.columns) == ["a", "b"]
    X, y = split_target(FRAME, "-1", ["a"])
    assert list(X.columns) == ["a"] and y.name == "y"
    with pytest.raises(DataError, match="unknown target column 'yy'.*Did you mean 'y'"):
        split_target(FRAME, "yy")
    with pytest.raises(DataError, match="no target column given: pass --target"):
        split_target(FRAME, None)
    with pytest.raises(DataError, match="unknown feature column"):
        split_target(FRAME, "y", ["zz"])


def test_missing_targets_are_dropped():
    frame = pd.DataFrame({"a": [1, 2, 3], "y": [1.0, None, 0.0]})
    X, y = split_target(frame, "y")
    assert len(y) == 2


def test_infer_task():
    assert infer_task(pd.Series(["a", "b"])) == "classification"
    assert infer_task(pd.Series([0, 1, 2, 1])) == "classification"
    assert infer_task(pd.Series([0.5, 1.2, 3.3])) == "regression"
    assert infer_task(pd.Series(np.arange(100))) == "regression"


# ------------------------------------------------------------------ ragged rows (read_table)
def _csv(tmp_path, text: str, name: str = "t.csv"):
    path = tmp_path / name
    path.write_text(text, newline="")
    return path


def test_read_table_drops_ragged_rows_with_their_lines(tmp_path):
    t = read_table(_csv(tmp_path, "a,b,y\n1,x,0\n3,4,1\n,,\n5,6\n7,8,1,9\n"))
    assert t.frame.values.tolist()[:2] == [[1.0, "x", 0.0], [3.0, "4", 1.0]] and len(t.frame) == 3
    assert t.data_rows == 5 and t.unit == "line"
    assert t.dropped == {"fewer fields than the 3 header columns": [5], "more fields than the 3 header columns": [6]}
    assert t.lines().tolist() == [2, 3, 4]
    t = t.drop_missing("y", "no value in the target column 'y'")
    assert t.drop_summary() == (
        f"dropped 3 of 5 data rows of '{tmp_path / 't.csv'}': 1 with fewer fields than the 3 header columns (line 5); "
        "1 with more fields than the 3 header columns (line 6); 1 with no value in the target column 'y' (line 4)"
    )


def test_read_table_long_first_row_is_dropped_not_truncated(tmp_path):
    # pandas alone would truncate it (with index_col=False) or shift every column (by default)
    t = read_table(_csv(tmp_path, "a,b,y\n1,2,0,7\n3,4,1\n5,6,1\n"))
    assert t.frame.values.tolist() == [[3, 4, 1], [5, 6, 1]]
    assert t.dropped == {"more fields than the 3 header columns": [2]}


def test_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path):
    # clean file: pandas' fast path; the line numbers are found only when asked for
    t = read_table(_csv(tmp_path, 'a,y\n1,0\n   \n\n"x\ny",\n5,1\n'))
    assert t.dropped == {} and t.data_rows == 3
    assert t.lines().tolist() == [2, 5, 7]
    t = t.drop_missing("y", "no label")
    assert t.dropped == {"no label": [5]} and t.lines().tolist() == [2, 7]
    # ragged file: the scan's own line numbers; TSV; Windows line ends
    t = read_table(_csv(tmp_path, "a\tb\r\n1\t2\r\n\r\n3\r\n4\t5\r\n", "t.tsv"))
    assert t.frame.values.tolist() == [[1, 2], [4, 5]] and t.lines().tolist() == [2, 5]
    assert t.dropped == {"fewer fields than the 2 header columns": [4]}


def test_read_table_other_formats_number_rows(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [1.0, None, 0.0]}).to_parquet(path)
    t = read_table(path).drop_missing("y", "no label")
    assert t.unit == "row" and t.dropped == {"no label": [2]} and "(row 2)" in t.drop_summary()
    assert read_table("iris").n_dropped == 0


def test_ragged_rows_errors(tmp_path):
    with pytest.raises(DataError, match=r"no usable rows: dropped 2 of 2 data rows of .*: 2 with fewer fields than the 3 header columns \(lines 2, 3\)"):
        read_table(_csv(tmp_path, "a,b,y\n1,2\n3\n"))
    # load_table keeps every row or none (predict writes one row per input row)
    with pytest.raises(DataError, match=r"has 1 of 3 data rows that do not fit its header: 1 with fewer fields than the 2 header columns \(line 3\)\. Fix those lines"):
        load_table(_csv(tmp_path, "a,y\n1,2\n3\n4,5\n"))
    many = "a,y\n" + "".join(f"{i}\n" for i in range(8))
    with pytest.raises(DataError, match=r"\(lines 2, 3, 4, 5, 6, \.\.\.\)"):
        read_table(_csv(tmp_path, many))


def test_bare_cr_blank_line_before_a_long_row_is_counted(tmp_path):
    # pandas' tokenizer swallows the delimiter after a blank line ended by a bare \r and reads one row here
    t = read_table(_csv(tmp_path, "c0\r1\r\r,\r"))
    assert t.data_rows == 2 and t.lines().tolist() == [2] and t.dropped == {"more fields than the 1 header columns": [4]}


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 20])
def test_has_bare_cr_across_chunk_edges(tmp_path, chunk):
    from hiddenlayers.data._csv_rows import has_bare_cr

    cases = {b"a\r\nb\r\n": False, b"a\r\n": False, b"ab\r\nc": False, b"a\rb": True, b"a\r": True, b"a\r\rb": True, b"a\r\r\n": True}
    for text, bare in cases.items():
        path = tmp_path / "x.csv"
        path.write_bytes(text)
        assert has_bare_cr(path, chunk) is bare, text


FIELD = st.sampled_from(["", " ", "1", "2.5 ", "-3", "x", "a b", '"q,1"', '"two\nlines"', '" sp"', '"a""b"', "nan"])
ROW = st.lists(FIELD, min_size=0, max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=st.integers(1, 4), rows=st.lists(ROW, min_size=1, max_size=12), end=st.sampled_from(["\n", "\r\n", "\r"]), plain=st.booleans())
def test_random_ragged_csv_never_crashes_and_accounts_for_every_row(tmp_path, width, rows, end, plain):
    # plain: no quote characters, so read_table's byte-level scan runs; otherwise the csv module's
    text, line, expected_kept, expected_dropped = ",".join(f"c{i}" for i in range(width)) + end, 2, [], []
    for fields in rows:
        fields = [f for f in fields if not plain or '"' not in f]
        body = ",".join(fields)
        if body.strip():  # a blank line is no data row, for pandas and for read_table
            (expected_kept if len(fields) == width else expected_dropped).append(line)
        text += body + end
        line += 1 + body.count("\n")
    path = _csv(tmp_path, text)
    try:
        t = read_table(path)
    except DataError as exc:  # the only allowed failure: nothing usable left
        assert not expected_kept and "no usable rows" in str(exc) or not expected_kept and not expected_dropped, str(exc)
        return
    assert t.data_rows == len(expected_kept) + len(expected_dropped)
    assert len(t.frame) + t.n_dropped == t.data_rows
    assert t.lines().tolist() == expected_kept
    assert sorted(v for lines in t.dropped.values() for v in lines) == expected_dropped
    # one scanner: the check's ragged_rows finding names exactly the lines the reader dropped
    assert [line for f in scan_file(path) if f.check == "ragged_rows" for line in f.rows] == expected_dropped


@pytest.mark.parametrize("values, rows", [
    ([str(0.5 + i) for i in range(40)] + ["high"], [40]),             # numbers and a typo: a regression target
    ([str(0.5 + i) for i in range(40)] + ["high", None], [40]),       # a missing cell is no typo
    ([str(i % 3) for i in range(40)] + ["high"], []),                 # three integer values and a word: labels
    (["a", "b"] * 20 + ["1.5"], []),                                  # text labels
    ([str(0.5 + i) for i in range(30)] + ["x"] * 10, []),             # a quarter text: not numbers with a typo
])
def test_mistyped_numeric_target(values, rows):
    from hiddenlayers.data import mistyped_numeric_target

    assert mistyped_numeric_target(pd.Series(values, dtype=object)) == rows
    assert mistyped_numeric_target(pd.Series(np.arange(40.5))) == []  # a numeric column has no text cells


def test_a_parquet_file_of_no_rows_or_columns_is_told_what_it_is_not_to_add_a_header_row(tmp_path) -> None:
    """read_table told an empty Parquet file to be "a file with a header row", which Parquet has not."""
    pd.DataFrame({"a": [1.0], "y": [0]}).iloc[:0].to_parquet(tmp_path / "rows.parquet")
    pd.DataFrame(index=range(0)).to_parquet(tmp_path / "cols.parquet")
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "rows.parquet")
    assert str(info.value) == f"'{tmp_path}/rows.parquet' is a Parquet file with no rows (its columns: a, y): give a file with at least one row of data."
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "cols.parquet")
    assert str(info.value) == f"'{tmp_path}/cols.parquet' is a Parquet file with no columns: write it again with its columns and rows, or give another file."
    (tmp_path / "rows.csv").write_text("a,y\n")
    with pytest.raises(DataError, match="has no data rows: give a file with a header row"):  # a CSV file has one
        read_table(tmp_path / "rows.csv")
