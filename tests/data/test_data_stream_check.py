"""The data check of a streamed table sees every row, from the scan's one pass (``ParquetSource.check``).

It used to check the first record batch only: a problem in a later file went unsaid. Each test
here makes the problem appear in the last file only, or compares the streamed check with the
in-memory ``check`` on the same rows.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import ParquetSource, TablePreprocessor, check
from hiddenlayers.data._check import stream as stream_mod
from hiddenlayers.data._check.stream import FIRST_BATCH_CHECKS, StreamCheck
from hiddenlayers.data._check.stream_lines import _words
from hiddenlayers.exceptions import DataError

#: Checks the streamed check runs on the first batch only (see data/_check/stream.py).
NOT_WHOLE = FIRST_BATCH_CHECKS


def _frame(i: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(i)
    return pd.DataFrame({
        "a": rng.normal(size=n), "b": rng.normal(size=n),
        "k": pd.Series(rng.choice(["x", "y"], n), dtype=object),
        "s": pd.Series(rng.choice(["1", "2"], n), dtype=object),  # two values: no "numbers as text" yet
        "u": pd.Series([f"{v:.1f}" for v in rng.normal(size=n)], dtype=object),
        "id": np.arange(i * n, (i + 1) * n), "c": np.ones(n), "y": rng.integers(0, 3, n),
    })


def _write(d, frames) -> pd.DataFrame:
    for i, f in enumerate(frames):
        f.to_parquet(d / f"p{i}.parquet", row_group_size=100)  # 3 row groups a file
    return pd.concat(frames, ignore_index=True)


def _last_file_problems(i: int) -> pd.DataFrame:
    f = _frame(i)
    if i == 2:  # only the last file: a NaN, numbers as text, text among numbers, an unseen label
        rng = np.random.default_rng(9)
        f.loc[5, "a"] = np.nan
        f["s"] = pd.Series([f"{v:.2f}" for v in rng.normal(size=len(f))], dtype=object)
        f.loc[[7, 9], "u"] = "oops"
        f.loc[7, "y"] = 9
    return f


@pytest.fixture(scope="module")
def late(tmp_path_factory):
    d = tmp_path_factory.mktemp("late")
    whole = _write(d, [_last_file_problems(i) for i in range(3)])
    return d, whole


def _source(d, **kw) -> ParquetSource:
    return ParquetSource(str(d), target="y", read_rows=64, **kw)  # several batches a row group


def _as_rows(f) -> str:
    """A streamed finding's message with its rows named as check() of the concatenated table names them (``rows 611``)
    instead of by file and line (``'p2.parquet' row 12``)."""
    if not f.lines:
        return f.message
    text = _words(list(f.details["files"][:5]), list(f.lines[:5]), f.line_unit)
    return f.message.replace(text, "rows " + ", ".join(map(str, f.rows[:5])), 1)


def _comparable(report) -> list[tuple]:
    """The findings of the checks both run on every row, their rows named as check() names them (:func:`_as_rows`)."""
    return [(f.check, f.severity, _as_rows(f), f.columns, f.rows)
            for f in report.findings if f.check not in NOT_WHOLE and f.check not in ("near_duplicates",)]


def test_problems_in_the_last_file_only_are_reported(late):
    d, whole = late
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = _source(d).check("classification")
    assert report.n_rows == 900
    assert report["missing_values"].columns == ("a",)
    assert report["numeric_text_columns"].columns == ("s",)
    bad = report["unparseable_numbers"]
    assert bad.rows == (607, 609) and f"('{d / 'p2.parquet'}' rows 8, 10)" in bad.message  # each row by its file and data row
    assert (bad.lines, bad.line_unit, bad.details["files"]) == ((8, 10), "row", [str(d / "p2.parquet")] * 2)
    assert "'9' (1)" in report["rare_classes"].message
    assert report["id_columns"].columns == ("id",) and report["constant_columns"].columns == ("c",)
    memory = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
    assert _comparable(report) == _comparable(memory)


def test_an_infinite_value_in_the_last_file_stops_the_scan_naming_file_and_row(tmp_path):
    frames = [_frame(i) for i in range(3)]
    frames[2].loc[11, "b"] = np.inf
    _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match=re.escape(f"1 column(s) hold infinite values: b ('{tmp_path / 'p2.parquet'}' row 12)")):
            _source(tmp_path).scan()


def test_a_value_beyond_float32_in_the_last_file_is_fatal_and_stops_training_naming_file_and_line(tmp_path):
    """1e39 (a feature) and -1e39 (the target) are infinite in the network's float32: the check's fatal beyond_float32
    finding (as check() gives it) and the training scan's one-line refusal; before, the folder trained on them."""
    frames = [_frame(i).astype({"y": np.float64}) for i in range(3)]
    frames[2].loc[11, "b"] = 1e39
    frames[2].loc[40, "y"] = -1e39
    whole = _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = _source(tmp_path).check("regression")
        with pytest.raises(DataError, match=re.escape(f"('{tmp_path / 'p2.parquet'}' rows 12, 41)")) as err:
            _source(tmp_path).scan()
        memory = check(whole.drop(columns="y"), whole["y"], task="regression", fast=True)
    found = report["beyond_float32"]
    assert (found.severity, found.columns, found.rows) == ("fatal", ("b", "y"), (611, 640))
    assert (memory["beyond_float32"].columns, memory["beyond_float32"].rows) == (found.columns, found.rows)
    assert "beyond float32's range" in str(err.value) and "b, y ('" in str(err.value)
    csv = tmp_path / "csv"
    csv.mkdir()
    pd.DataFrame({"a": [1.0, 2.0, 1e39, 4.0] * 5, "y": np.arange(20.0)}).to_csv(csv / "t.csv", index=False)
    with pytest.raises(DataError, match=re.escape(f"a ('{csv / 't.csv'}' lines 4, 8, 12, 16, 20)")):
        ParquetSource(str(csv), target="y").scan()


def test_check_reads_past_an_infinite_value_and_reports_it_with_the_other_findings(tmp_path):
    """check() stopped at the first infinite value with a one-line error; it now gives the report check() gives the
    concatenated table (the fatal finding, an earlier file's text among numbers), while scan() (training) still refuses."""
    frames = [_frame(i) for i in range(3)]
    frames[0].loc[[3, 4], "u"] = "oops"  # the first file: numeric but for two values
    frames[2].loc[11, "b"] = np.inf
    whole = _write(tmp_path, frames)
    src = _source(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = src.check("classification")
        memory = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
    first = f"('{tmp_path / 'p2.parquet'}' row 12)"
    assert sorted(f.check for f in report.fatal) == ["infinite_values", "unparseable_numbers"]  # 'u' is refused by training too
    assert first in report["infinite_values"].message
    assert report["unparseable_numbers"].rows == (3, 4) and report.n_rows == 900
    assert _comparable(report) == _comparable(memory)
    with pytest.raises(DataError, match=re.escape(f"data check: 1 column(s) hold infinite values: b {first}: replace them")):
        src.scan()  # the cached pass of the check: refused all the same


def test_a_value_beyond_float32_is_the_in_memory_checks_fatal_finding_and_training_refuses_it(tmp_path):
    """1e308 is finite in float64: the streamed check said nothing of it (and its SD overflowed, so near duplicates
    were found on a useless grid), and training failed in the preprocessing with no file or row. Now the fatal
    beyond_float32 finding of the in-memory check, with where the first is, and scan() refuses it by file and row."""
    frames = [_frame(i) for i in range(3)]
    frames[1].loc[4, "b"] = 1e308
    whole = _write(tmp_path, frames)
    src = _source(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "overflow encountered in cast" on the way
        report = src.check("classification")
        memory = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
    first = f"'{tmp_path / 'p1.parquet'}' row 5"
    assert [f.check for f in report.fatal] == ["beyond_float32"] and report["beyond_float32"].rows == (304,)
    assert first in report["beyond_float32"].message
    assert _comparable(report) == _comparable(memory)
    with pytest.raises(DataError, match=re.escape(f"data check: 1 column(s) hold values beyond float32's range (±3.4e38, where the network computes): b ({first})")):
        src.scan()


def test_a_text_column_of_numbers_but_a_few_is_refused_by_the_scan_as_the_in_memory_fit_refuses_it(tmp_path):
    """The streamed check called 'u' (numbers but two values) a warning, "read as text (categories)", while the in-memory
    check and fit refuse it; streamed training read it as categories or refused it by which chunk came first."""
    frames = [_frame(i) for i in range(3)]
    frames[2].loc[[5, 7], "u"] = "oops"  # the last file only: the first chunk's kind said numeric
    _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = _source(tmp_path).check("classification")["unparseable_numbers"]
        assert found.severity == "fatal" and "training refuses 'u' as it is" in found.fix
        with pytest.raises(DataError, match=r"data check: column 'u' is numeric except 2 value\(s\) that do not parse as numbers, e\.g\. 'oops'"):
            _source(tmp_path).scan()


def test_missingness_that_predicts_the_class_across_files_is_found_as_check_finds_it(tmp_path):
    """The streamed check did not run missing_predicts_target at all; it now tallies the labels where each column is missing."""
    frames = [_frame(i) for i in range(3)]
    for i, f in enumerate(frames):  # 'a' missing in most rows of class 2 (in every file), 'b' at random
        f.loc[(f["y"] == 2) & (np.arange(len(f)) % 4 != 0), "a"] = np.nan
        f.loc[np.random.default_rng(i).random(len(f)) < 0.2, "b"] = np.nan
    whole = _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = _source(tmp_path).check("classification")
        memory = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
    assert report["missing_predicts_target"].columns == ("a",)
    assert _comparable(report) == _comparable(memory)


def test_missingness_that_predicts_a_numeric_target_across_files_is_found_as_check_finds_it(tmp_path):
    """For regression the streamed check did not look at missingness at all (classification only); it now keeps the target
    and each column's missing cells and runs check()'s Mann-Whitney test, with the same finding and p-values."""
    frames = [_frame(i) for i in range(3)]
    for i, f in enumerate(frames):  # 'a' missing where the target is large (in every file), 'b' at random
        f["y"] = np.random.default_rng(10 + i).normal(size=len(f))
        f.loc[(f["y"] > 0.5) & (np.arange(len(f)) % 4 != 0), "a"] = np.nan
        f.loc[np.random.default_rng(i).random(len(f)) < 0.2, "b"] = np.nan
    whole = _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = _source(tmp_path).check("regression")
        memory = check(whole.drop(columns="y"), whole["y"], task="regression", fast=True)
    found, expected = report["missing_predicts_target"], memory["missing_predicts_target"]
    assert found.columns == expected.columns == ("a",) and found.message == expected.message
    assert found.details["p_values"] == pytest.approx(expected.details["p_values"], rel=1e-9)
    assert _comparable(report) == _comparable(memory)


def test_past_the_cap_missingness_against_a_numeric_target_says_it_judged_a_sample():
    from hiddenlayers.data._check.stream_missing import MissingByValue

    rng = np.random.default_rng(0)
    y = pd.Series(rng.normal(size=400))
    m = (y > 0).to_numpy() & (np.arange(400) % 3 != 0)
    kept = MissingByValue(cap=300)
    kept.add({"a": m[:250]}, y[:250])
    kept.add({"a": m[250:]}, y[250:])
    (found,) = kept.findings(["a", "b"])
    assert found.columns == ("a",) and found.message.endswith("(among the first 300 rows only)") and found.details["sample_rows"] == 300


def test_the_check_reads_every_unit_once_with_the_scan_and_once_more_for_near_duplicates(late, monkeypatch):
    """The tallies ride on the scan's one pass; near duplicates need the pass's means and SDs first, so the report reads
    every unit once more (in the same order), and a second check() reuses what it found."""
    d, _ = late
    src = _source(d)
    reads: list[int] = []
    real = src.read_unit
    monkeypatch.setattr(src, "read_unit", lambda i: (reads.append(i), real(i))[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src.check("classification")
        src.check("classification")
    assert reads == list(range(9)) * 2 and len(src.units) == 9


def test_findings_keep_a_bounded_number_of_rows_and_count_all(late, monkeypatch):
    monkeypatch.setattr(stream_mod, "ROW_CAP", 1)
    d, _ = late
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = _source(d).check("classification")["unparseable_numbers"]
    assert bad.rows == (607,) and "2 value(s)" in bad.message and "(rows 607 (+1 more)" not in bad.message


def test_a_regression_target_that_turns_to_text_is_fatal(tmp_path):
    frames = [pd.DataFrame({"a": np.arange(50.0), "y": pd.Series([str(v) for v in range(50)], dtype=object)}) for _ in range(2)]
    frames[1].loc[3, "y"] = "n/a?"
    _write(tmp_path, frames)
    report = _source(tmp_path).check("regression")
    assert [f.check for f in report.fatal] == ["target_not_numeric"]


_TEXT = st.sampled_from(["1", "2", "3.5", "4", "x", "red", None])


@st.composite
def _tables(draw):
    leak = draw(st.booleans())  # missingness that goes with the class: the missing_predicts_target finding (20+ rows)
    n = draw(st.integers(20 if leak else 2, 60))
    a = draw(st.lists(st.one_of(st.floats(-5, 5, allow_nan=False), st.just(np.nan)), min_size=n, max_size=n))
    if draw(st.sampled_from([False, False, False, True])):  # now and then an infinite value (fatal: the checks after it are not run)
        a[draw(st.integers(0, n - 1))] = np.inf
    frame = pd.DataFrame({
        "a": np.array(a, dtype=np.float64),
        "i": np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=np.int64),
        "t": pd.Series(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype=object),
    })
    if leak:  # every class, and a column missing in the rows of one
        y = pd.Series(np.roll(np.resize(["p", "q", "r"], n), draw(st.integers(0, 2))), name="y")
        frame.loc[(y == "p").to_numpy(), draw(st.sampled_from(["a", "t"]))] = None
    else:
        y = pd.Series(draw(st.lists(st.sampled_from(["p", "q", "r"]), min_size=n, max_size=n)), name="y")
    cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=4)))) if n > 2 else []
    return frame, y, cuts


@settings(max_examples=40, deadline=None)
@given(_tables())
def test_batches_in_any_cut_give_the_in_memory_findings(table):
    """The tallies of any cut into batches report what check() reports on the whole table (the row-comparing checks aside)."""
    frame, y, cuts = table
    checks, pre = StreamCheck(), TablePreprocessor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory = check(frame, y, task="classification", fast=True)
        bounds = [0, *cuts, len(frame)]
        for lo, hi in zip(bounds, bounds[1:]):
            part = frame.iloc[lo:hi].reset_index(drop=True)
            checks.add(part, y.iloc[lo:hi].reset_index(drop=True), "f.parquet", lo)
            try:
                pre.partial_fit(part.replace([np.inf, -np.inf], np.nan))  # as the check's scan reads an infinite cell
            except DataError:  # a column the preprocessing refuses (no value yet in a first batch): the scan would stop too
                return
        streamed = checks.report("classification", pre.streamed_counts(), "y")
    assert _comparable(streamed) == _comparable(memory)


def test_check_reports_a_missing_target_as_check_does_and_training_still_refuses(tmp_path):
    """check() stopped at the first missing target with a one-line error; it now reports ``missing_target`` as check()
    of the concatenated table words it (rows numbered across the files, and where the first is), fatal as training on a
    folder refuses those rows; scan() (training) refuses them with the message it gave before."""
    frames = [_frame(i) for i in range(3)]
    for f in frames:
        f["y"] = f["y"].astype("float64")  # one type in every file (NaN needs floats)
    frames[1].loc[4, "y"] = np.nan
    frames[2].loc[[11, 12], "y"] = np.nan
    whole = _write(tmp_path, frames)
    src = _source(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = src.check()
        memory = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
    found, expected = report["missing_target"], memory["missing_target"]
    assert _as_rows(found) == expected.message == "the target is missing in 3 row(s): rows 304, 611, 612"
    assert found.message == f"the target is missing in 3 row(s): '{tmp_path / 'p1.parquet'}' row 5; '{tmp_path / 'p2.parquet'}' rows 12, 13"
    assert found.severity == "fatal" and found.rows == expected.rows == (304, 611, 612)
    assert report.task == "classification" and report.n_rows == 900
    refused = re.escape(f"the target column 'y' has missing values (first at '{tmp_path / 'p1.parquet'}' row 5): drop those rows.")
    with pytest.raises(DataError, match=refused):
        src.scan()  # the cached pass of the check: refused as before
    with warnings.catch_warnings(), pytest.raises(DataError, match=refused):
        warnings.simplefilter("ignore")
        _source(tmp_path).scan()  # a fresh pass stops at it


def test_a_target_missing_in_every_row_is_check_s_fatal_finding(tmp_path):
    frames = [_frame(i, n=50) for i in range(2)]
    for f in frames:
        f["y"] = np.nan
    whole = _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = _source(tmp_path).check()
        memory = check(whole.drop(columns="y"), whole["y"], fast=True)
    assert [(f.check, f.severity, _as_rows(f), f.fix) for f in report.fatal] == \
        [(f.check, f.severity, f.message, f.fix) for f in memory.fatal if f.check == "missing_target"]


# --- duplicates over every row, rows located as a user finds them ----------------
def test_duplicates_across_batches_and_files_match_check_of_the_same_rows(tmp_path):
    """Duplicates and conflicting labels were looked for in the first record batch only; they now cover every row
    (tiny batches, repeats in another file), with the ID column left out as check() leaves it out."""
    frames = [_frame(i, n=120) for i in range(3)]
    frames[2].loc[5, ["a", "b", "k", "s", "u"]] = frames[0].loc[3, ["a", "b", "k", "s", "u"]]  # file 0's row 3, another id
    frames[2].loc[5, "y"] = frames[0].loc[3, "y"] + 1  # ... with another label
    frames[1].loc[70, ["a", "b", "k", "s", "u", "y"]] = frames[1].loc[2, ["a", "b", "k", "s", "u", "y"]]
    whole = _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ParquetSource(str(tmp_path), target="y", read_rows=7).check("classification")
        memory = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
    assert report["duplicates"].rows == memory["duplicates"].rows == (190, 245)
    # the same words, then where the first repeat and the first conflicting row are (file and Parquet row): row 190 is file 1's row 70
    assert _as_rows(report["duplicates"]) == memory["duplicates"].message
    assert report["duplicates"].message.endswith(f"'{tmp_path / 'p1.parquet'}' row 71; '{tmp_path / 'p2.parquet'}' row 6")
    assert _as_rows(report["conflicting_labels"]) == memory["conflicting_labels"].message
    assert f"'{tmp_path / 'p0.parquet'}' row 4; '{tmp_path / 'p2.parquet'}' row 6" in report["conflicting_labels"].message
    assert report["conflicting_labels"].rows == memory["conflicting_labels"].rows == (3, 245)
    assert report["id_columns"].columns == ("id",)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_leakage_over_every_row_is_found_as_check_finds_it(tmp_path, task):
    """Leakage was judged on the first record batch only: a column that gives the target away went unsaid when that
    batch could not show it (one target value there). It is now scored over every row kept, by check()'s own scores."""
    frames = [_frame(i, n=200) for i in range(3)]
    for i, f in enumerate(frames):
        if task == "regression":
            f["y"] = np.random.default_rng(20 + i).normal(size=len(f))
        if i == 0:
            f.loc[:49, "y"] = 0  # the first batch (50 rows): one target value, nothing to judge there
        f["leak"] = f["y"] * 10.0 + 0.001 * np.random.default_rng(i).normal(size=len(f))  # the target, nearly
        f["cat"] = pd.Series(np.where(f["y"] > 0.5, "hi", "lo"), dtype=object)
    whole = _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ParquetSource(str(tmp_path), target="y", read_rows=50).check(task)
        memory = check(whole.drop(columns="y"), whole["y"], task=task, fast=True)
    assert "leak" in memory["leakage"].columns
    assert report["leakage"].columns == memory["leakage"].columns and report["leakage"].message == memory["leakage"].message
    assert _comparable(report) == _comparable(memory)


def test_past_the_budget_leakage_says_it_judged_a_sample():
    from hiddenlayers.data._check.stream_leak import LeakColumns

    y = pd.Series(np.resize([0, 1, 2], 300))
    frame = pd.DataFrame({"a": y * 2.0 + np.linspace(0, 0.1, 300), "b": np.random.default_rng(0).normal(size=300)})
    kept = LeakColumns(budget=(8 + 8 + 12) * 200)  # 200 rows' bytes
    for lo in range(0, 300, 64):
        kept.add(frame.iloc[lo : lo + 64], y.iloc[lo : lo + 64])
    (found,) = kept.findings("classification", set())
    assert kept.n == 200 and found.columns == ("a",) and found.message.endswith("(among the first 200 rows only)")
    assert found.details["sample_rows"] == 200


def test_a_text_column_past_the_code_cap_is_named_as_not_judged_where_check_would_judge_it(monkeypatch):
    """A text column of more values than the streamed check keeps codes for was left out of the leakage check in silence;
    now one info finding names it, where check() would judge it (values <= rows / 20), and nothing where it would not."""
    import hiddenlayers.data._check.stream_leak as stream_leak

    monkeypatch.setattr(stream_leak, "MAX_CODES", 10)  # 1.3M rows' worth of the real cap would take minutes
    y = pd.Series(np.resize([0, 1], 400))
    codes = np.resize(np.arange(15), 400)  # 15 values: over the cap of 10, within check()'s 400 // 20 = 20
    frame = pd.DataFrame({"code": [f"k{c}" for c in codes], "many": [f"m{c}" for c in codes], "b": np.linspace(0, 1, 400)})
    kept = stream_leak.LeakColumns()
    for lo in range(0, 400, 64):
        kept.add(frame.iloc[lo : lo + 64], y.iloc[lo : lo + 64])
    (found,) = kept.findings("classification", set())
    assert found.check == "leakage_skipped" and found.severity == "info" and found.columns == ("code", "many")
    assert found.message.startswith("leakage not judged for 2 column(s) of over 10 distinct values: code, many")
    assert kept.findings("classification", {"code", "many"}) == []  # ID-like columns check() leaves out too: no word
    few = stream_leak.LeakColumns()
    few.add(frame.iloc[:180], y.iloc[:180])  # 180 // 20 = 9 values at most: check() would not judge 15 either
    assert few.findings("classification", set()) == []


def test_a_csv_file_checked_in_memory_and_streamed_gives_the_same_duplicates(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.integers(0, 4, 200), "t": rng.choice(["x", "y", ""], 200), "y": rng.integers(0, 2, 200)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        streamed = ParquetSource(str(tmp_path / "t.csv"), target="y", read_rows=5).check("classification")
        table = pd.read_csv(tmp_path / "t.csv")
        memory = check(table.drop(columns="y"), table["y"], task="classification", fast=True)
    first = memory["duplicates"].rows[0] + 2  # its CSV line: the header is line 1
    assert _as_rows(streamed["duplicates"]) == memory["duplicates"].message
    assert f"'{tmp_path / 't.csv'}' lines {first}, " in streamed["duplicates"].message and streamed["duplicates"].line_unit == "line"
    assert int(streamed["duplicates"].message.split()[0]) == int(table.drop(columns="y").duplicated().sum())
    assert streamed["conflicting_labels"].rows == memory["conflicting_labels"].rows


@st.composite
def _cut_frames(draw):
    n = draw(st.integers(2, 40))
    cells = st.one_of(st.sampled_from([0.0, 1.0, -0.0, np.nan]), st.integers(0, 2).map(float))
    frame = pd.DataFrame({
        "a": np.array(draw(st.lists(cells, min_size=n, max_size=n)), dtype=np.float64),
        "t": pd.Series(draw(st.lists(st.sampled_from(["u", "v", None]), min_size=n, max_size=n)), dtype=object),
    })
    labels = draw(st.sampled_from([["p", "q"], [0, 1]]))  # text, or numbers with 0 (a hash of 0 once read as no label)
    y = pd.Series(draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n)), name="y")
    return frame, y, sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=6))))


@settings(max_examples=60, deadline=None)
@given(_cut_frames())
def test_streamed_duplicate_count_is_pandas_count_for_any_cut(table):
    """For random small frames cut into random batches, the streamed count equals pandas' ``duplicated().sum()`` and
    the rows and conflicting labels equal check_duplicates' on the whole frame."""
    from hiddenlayers.data._check.duplicates import check_duplicates
    from hiddenlayers.data._check.stream_rows import RowHashes

    frame, y, cuts = table
    rows = RowHashes()
    bounds = [0, *cuts, len(frame)]
    for lo, hi in zip(bounds, bounds[1:]):
        rows.add(frame.iloc[lo:hi], y.iloc[lo:hi])
    streamed = {f.check: f for f in rows.findings(set(), True, 10_000)}
    memory = {f.check: f for f in check_duplicates(frame, y.astype(str).to_numpy(dtype=object)) if f.check != "near_duplicates"}
    assert (len(streamed["duplicates"].rows) if "duplicates" in streamed else 0) == int(frame.duplicated().sum())
    assert {c: (f.rows, f.message) for c, f in streamed.items()} == {c: (f.rows, f.message) for c, f in memory.items()}


def test_past_the_cap_the_duplicate_finding_says_it_is_a_sample():
    from hiddenlayers.data._check.stream_rows import RowHashes

    rows = RowHashes(cap=6)
    frame = pd.DataFrame({"a": [1.0, 2.0, 1.0, 3.0, 2.0, 4.0, 1.0, 1.0]})
    rows.add(frame.iloc[:4], pd.Series(["p"] * 4))
    rows.add(frame.iloc[4:], pd.Series(["p"] * 4))  # 2 of these rows are past the cap: not compared
    (found,) = rows.findings(set(), True, 10_000)
    assert found.rows == (2, 4) and "among the first 6 rows only" in found.message and found.details["sample_rows"] == 6


def test_csv_messages_name_the_line_a_user_sees(tmp_path):
    """Streamed messages gave a 0-based data row within the file; for a CSV file they now give its line (1-based, header
    line 1), counting a blank line, a dropped ragged row and a quoted value over two lines; the rows are check()'s."""
    lines = ["a,t,y", "1,u,p", "", "3,v,q", "5,6,7,8", '7,"x\ny",p', "inf,w,q", "9,u,p"]
    p = tmp_path / "t.csv"
    p.write_text("\n".join(lines) + "\n")
    assert p.read_text().splitlines()[7] == "inf,w,q"  # line 8 of the file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = ParquetSource(str(p), target="y", read_rows=2)
        found = src.check("classification")["infinite_values"]
    assert found.rows == (3,) and found.message.endswith(f"('{p}' line 8)") and found.lines == (8,)
    with pytest.raises(DataError, match=re.escape(f"('{p}' line 8)")):
        ParquetSource(str(p), target="y").scan()


def test_a_missing_csv_target_is_refused_naming_its_line(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,y\n1,p\n\n2,q\n3,\n")
    with pytest.raises(DataError, match=re.escape(f"missing values (first at '{p}' line 5)")):
        ParquetSource(str(p), target="y").scan()


def _sklearn_folder(d, frame: pd.DataFrame) -> None:
    frame.iloc[:200].to_parquet(d / "a.parquet", row_group_size=100)
    frame.iloc[200:].to_parquet(d / "b.parquet", row_group_size=100)


@pytest.mark.parametrize("name, task", [("diabetes", "regression"), ("breast_cancer", "classification")])
def test_auto_task_is_the_rule_check_and_train_use_on_one_table(tmp_path, name, task):
    """`check(task="auto")` of a folder judges the target as check() of the same rows and `train` do (data.infer_task):
    diabetes' 214 distinct whole-number targets are a regression. Before: up to 1000 whole numbers were classes, so the
    folder got a classification report (rare_classes) that check() of the same table and `train DIR` do not give."""
    from sklearn import datasets

    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    _sklearn_folder(tmp_path, frame)
    src = ParquetSource(str(tmp_path), target="target")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = src.check()
        memory = check(frame.drop(columns="target"), frame["target"], fast=True)
    assert report.task == memory.task == src.scan().inferred_task() == task
    assert sorted(f.check for f in report.findings) == sorted(f.check for f in memory.findings)
    assert "rare_classes" not in report and "class_imbalance" not in report


@settings(max_examples=20, deadline=None)
@given(n_distinct=st.integers(1, 60), whole=st.booleans(), as_text=st.booleans())
def test_auto_task_of_a_folder_is_infer_task_of_its_values(tmp_path_factory, n_distinct, whole, as_text):
    """Any target: the folder's judged task is data.infer_task's on the same column (text, or at most 20 whole numbers: classes)."""
    from hiddenlayers.data import infer_task

    d = tmp_path_factory.mktemp("rule")
    values = np.arange(n_distinct, dtype=np.float64) + (0.0 if whole else 0.5)
    y = pd.Series(np.resize(values, 120))
    if as_text:
        y = y.map(lambda v: f"c{v}").astype(object)
    pd.DataFrame({"a": np.arange(120.0), "target": y}).to_parquet(d / "t.parquet", row_group_size=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ParquetSource(str(d), target="target").check()
    assert report.task == infer_task(y)


def _text_target_folder(d, n_labels: int, rows: int) -> None:
    """Two Parquet files; the text target ``t`` takes ``n_labels`` distinct values over ``rows`` rows."""
    frame = pd.DataFrame({"a": np.arange(float(rows)), "t": pd.Series([f"c{i % n_labels}" for i in range(rows)], dtype=object)})
    frame.iloc[: rows // 2].to_parquet(d / "a.parquet", row_group_size=500)
    frame.iloc[rows // 2:].to_parquet(d / "b.parquet", row_group_size=500)


def test_a_text_target_of_over_1000_values_is_classes_as_in_memory_never_a_regression(tmp_path):
    """Text is always classes: 1200 labels over 1500 rows are 1200 classes (check() of the same rows: too_few_rows, one row
    a class), and 1200 over 3000 rows a classification to train. Before: over 1000 labels the scan stopped collecting and
    judged the folder a regression, so check DIR said target_not_numeric and train DIR refused a target train FILE takes."""
    _text_target_folder(tmp_path, 1500, 1500)
    src = ParquetSource(str(tmp_path), target="t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = src.check()
    assert report.task == src.scan().inferred_task() == "classification" and len(src.scan().classes) == 1500
    assert [f.check for f in report.fatal] == ["too_few_rows"] and "1500 classes" in report["too_few_rows"].message
    d = tmp_path / "ok"
    d.mkdir()
    _text_target_folder(d, 1200, 3000)
    src = ParquetSource(str(d), target="t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = src.check()
    assert report.task == "classification" and not report.fatal and len(src.scan().classes) == 1200


def test_a_text_target_past_the_class_cap_is_one_fatal_finding_naming_the_column(tmp_path, monkeypatch):
    monkeypatch.setattr(stream_mod, "MAX_TEXT_CLASSES", 50)
    _text_target_folder(tmp_path, 80, 2000)
    src = ParquetSource(str(tmp_path), target="t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = src.check()
    assert report.task == "classification" and src.scan().classes is None
    (fatal,) = report.fatal
    assert fatal.check == "too_many_classes"
    assert "target 't' holds text with over 50 distinct values (80 counted) in 2,000 rows" in fatal.message and "ID column" in fatal.fix


def _near_frames() -> list[pd.DataFrame]:
    """Three files; near duplicates (1e-4 apart in one column: within 0.01 SD) of an earlier file's rows in the last file only,
    one exact repeat (counted by duplicates, not again here), one with a missing cell where its twin holds the column's mean."""
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300) * 100, "k": rng.choice(["x", "y", "z"], 300),
                            "id": np.arange(i * 300, (i + 1) * 300), "y": rng.integers(0, 2, 300)}) for i in range(3)]
    last = frames[2]
    for at, (src, row) in {50: (0, 3), 51: (1, 250), 52: (0, 120)}.items():
        last.loc[at, ["a", "b", "k"]] = [frames[src].loc[row, "a"] + 1e-4, frames[src].loc[row, "b"], frames[src].loc[row, "k"]]
    last.loc[60, ["a", "b", "k"]] = frames[1].loc[7, ["a", "b", "k"]].to_list()  # exact (its id differs: an ID column, left out)
    return frames


def test_near_duplicates_cover_every_row_as_check_finds_them(tmp_path):
    """Near duplicates were looked for within the first record batch only (they need each column's mean and SD): planted in
    the last file they went unsaid. A second read on the grid of the pass's means and SDs finds them as check() does."""
    frames = _near_frames()
    whole = _write(tmp_path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ParquetSource(str(tmp_path), target="y", read_rows=50).check()
        memory = check(whole.drop(columns="y"), whole["y"], fast=True)
    found, expected = report["near_duplicates"], memory["near_duplicates"]
    assert {650, 651, 652} <= set(found.rows) and 660 not in found.rows  # the exact repeat is a duplicate, not also a near one
    assert found.rows == expected.rows and _as_rows(found) == expected.message
    first = found.rows[0]
    assert f": '{tmp_path / f'p{first // 300}.parquet'}' rows {first % 300 + 1}, " in found.message  # Parquet rows counted from 1
    assert found.lines == tuple(r % 300 + 1 for r in found.rows)
    assert report["duplicates"].rows == memory["duplicates"].rows == (660,)


def test_near_duplicates_past_the_cap_say_they_compared_a_sample():
    """The grid hashes are kept for the first `cap` rows (16 bytes a row); later rows are not compared, and the finding says so."""
    from hiddenlayers.data._check.duplicates import near_duplicates_finding
    from hiddenlayers.data._check.stream_near import NearHashes

    near = NearHashes({"a": (0.0, 1.0)}, ["k"], cap=5)
    near.add(pd.DataFrame({"a": [0.0, 0.0001, 3.0, 3.0, 5.0, 0.0, 0.0], "k": ["x", "x", "x", "y", "x", "x", "x"]}))
    assert (near.n, near.seen, near.sample) == (5, 7, 5)
    rows = near.rows([])
    assert rows.tolist() == [1]  # 0.0001 is in 0.0's cell; 3.0 with another text is not; rows 5-6 were not hashed
    assert near.rows([1]).tolist() == []  # an exact repeat is not counted again
    f = near_duplicates_finding(rows, 1, near.tol, near.sample)
    assert f.message.endswith("rows 1 (among the first 5 rows only: later rows were not compared)") and f.details["sample_rows"] == 5


def test_a_folder_names_each_way_numbers_are_written_and_keeps_distinct_prices_when_comparing_rows(tmp_path):
    """Streamed, the numbers-as-text finding took one column's wording and fix (money, percent signs and thousands of
    other files lost), and a price column of distinct text values was left out of the duplicate check as an ID, so rows
    of different prices were "repeat an earlier row exactly". Both now match check() of the whole table."""
    n = 60
    whole = pd.DataFrame({"price": [f"${1000 + 37 * i:,}.50" for i in range(n)], "rate": [f"{i % 30}%" for i in range(n)],
                          "pop": [f"{100000 + 1234 * i:,}" for i in range(n)], "y": ["a", "b", "b"] * 20})
    _write(tmp_path, [whole.iloc[:30].reset_index(drop=True), whole.iloc[30:].reset_index(drop=True)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = _source(tmp_path).check("classification")
        table = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
    streamed = report["numeric_text_columns"]
    assert streamed.columns == table["numeric_text_columns"].columns == ("price", "rate", "pop")
    assert streamed.fix == table["numeric_text_columns"].fix
    assert "price: amounts of money" in streamed.fix and ".str.rstrip('%')" in streamed.fix and "thousands=','" in streamed.fix
    assert "duplicates" not in report and "duplicates" not in table
