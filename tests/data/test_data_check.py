"""hl.check: each check finds its planted fault and is quiet on clean data; messy tables never crash it."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression

import hiddenlayers as hl
from hiddenlayers.data import DataReport, Finding, check, read_table
from hiddenlayers.data._check.columns import check_constant, check_id_like, check_missing
from hiddenlayers.data._check.drift import check_drift, psi
from hiddenlayers.data._check.duplicates import check_duplicates, check_shared_rows
from hiddenlayers.data._check.labels import (
    apportion,
    check_classes,
    check_label_errors,
    check_target,
    find_label_issues,
    prune_counts,
    spelled_alike,
)
from hiddenlayers.data._check.leakage import check_leakage
from hiddenlayers.data._check.outliers import check_outliers
from hiddenlayers.data._check.table import (
    check_beyond_float32,
    check_columns_shape,
    check_infinite,
    check_new_columns,
    file_findings,
    scan_file,
)


def _lr():
    return LogisticRegression(max_iter=300)


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True, as_frame=True)
    return X, y.to_numpy()


def _checks(findings):
    return {f.check for f in findings}


# --- the table itself -------------------------------------------------------

def test_scan_file_reports_ragged_and_empty_lines_with_line_numbers(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,y\n1,2,0\n3,4\n\n5,6,1\n7,8,1,9\n")
    found = {f.check: f for f in scan_file(p)}
    assert found["ragged_rows"].rows == (3, 6)
    assert "1 short, 1 long" in found["ragged_rows"].message
    assert found["empty_rows"].rows == (4,)
    clean = tmp_path / "c.csv"
    clean.write_text("a,b,y\n1,2,0\n3,4,1\n,,\n")  # ',,' is a row of missing values, as read_table reads it: no empty line
    assert scan_file(clean) == []


def test_file_findings_come_from_the_readers_own_scan(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('a,b,y\n"x\ny",2,0\n\n3,4\n5,6,1\n')  # quoted newline: the csv-module path
    table = read_table(p)
    found = {f.check: f for f in file_findings(table.records())}
    assert table.dropped == {"fewer fields than the 3 header columns": [5]}
    assert found["ragged_rows"].rows == (5,) and found["empty_rows"].rows == (4,)
    assert [f.rows for f in scan_file(p)] == [(5,), (4,)]
    assert read_table("iris").records() is None  # no file, no lines


def test_unparseable_numbers_mixed_types_and_empty_columns():
    n = 50
    frame = pd.DataFrame({
        "num": [str(i) for i in range(n - 2)] + ["n/a?", "12,5"],
        "mixed": [1] * 25 + ["one"] * 25,
        "empty": [np.nan] * n,
        "ok": np.arange(n, dtype=float),
    })
    found = {f.check: f for f in check_columns_shape(frame)}
    assert found["unparseable_numbers"].rows == (48, 49) and found["unparseable_numbers"].columns == ("num",)
    assert "'n/a?'" in found["unparseable_numbers"].message
    assert found["mixed_types"].columns == ("mixed",)
    assert found["empty_columns"].columns == ("empty",)
    assert check_columns_shape(frame[["ok"]]) == []



def test_dates_and_durations_are_fatal_as_training_refuses_them():
    # before: no finding at all; `check` passed a table that `train` then refused
    n = 30
    frame = pd.DataFrame({"x": np.arange(n, dtype=float), "when": pd.date_range("2020-01-01", periods=n, tz="UTC"),
                          "took": pd.to_timedelta(np.arange(n), unit="s"), "t": ["a", "b", "c"] * 10})
    found = [f for f in check_columns_shape(frame) if f.check == "unreadable_columns"]
    assert [(f.severity, f.columns) for f in found] == [("fatal", ("when", "took"))]
    assert found[0].message == "2 column(s) hold dates and times or durations, which the model cannot read: when, took"
    r = hl.check(frame, np.arange(n) % 2, fast=True)
    assert [f.check for f in r.fatal] == ["unreadable_columns"]
    assert check_columns_shape(frame[["x", "t"]]) == []


def test_infinite_values_are_fatal_and_named_by_column_and_row(tmp_path):
    frame = pd.DataFrame({"a": [1.0, np.inf, 3.0, 4.0], "b": [0.0, 1.0, -np.inf, np.nan], "t": ["x", "y", "z", "w"], "ok": [True, False] * 2})
    (found,) = check_infinite(frame)
    assert (found.check, found.severity, found.columns, found.rows) == ("infinite_values", "fatal", ("a", "b"), (1, 2))
    assert found.message == "2 column(s) hold infinite values: a, b (rows 1, 2)"
    assert check_infinite(frame[["t", "ok"]]) == [] and check_infinite(frame.iloc[[0, 3]]) == []
    p = tmp_path / "inf.csv"  # as the CLI reads it: "inf" and 1e400 are both parsed as infinity
    p.write_text("a,b,y\n1,inf,0\n2,3,1\n1e400,4,0\n5,6,1\n")
    r = hl.check(read_table(p).frame.drop(columns=["y"]), read_table(p).frame["y"], fast=True)
    assert [(f.check, f.columns, f.rows) for f in r.fatal] == [("infinite_values", ("a", "b"), (0, 2))]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), min_size=1, max_size=30))
def test_infinite_values_finding_matches_np_isinf(values):
    col = pd.Series(values, dtype=np.float64)
    found = check_infinite(pd.DataFrame({"v": col}))
    expected = tuple(int(i) for i in np.flatnonzero(np.isinf(col.to_numpy())))
    assert (found[0].rows if found else ()) == expected


def test_values_beyond_float32_are_fatal_and_every_check_still_runs():
    """1e308 is finite in float64 but infinite in the float32 the network computes in: check() crashed in its
    label-error model ("Input X contains infinity or a value too large for dtype('float32')") instead of saying so."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame.loc[7, "a"], frame.loc[9, "b"] = 1e308, -3.5e38
    y = (frame["b"] > 0).astype(int).to_numpy()
    report = hl.check(frame, y)
    assert [(f.check, f.columns, f.rows) for f in report.fatal] == [("beyond_float32", ("a", "b"), (7, 9))]
    assert report["beyond_float32"].message == "2 column(s) hold values beyond float32's range (±3.4e38, where the network computes): a, b (rows 7, 9)"
    assert "label_issues_skipped" not in {f.check for f in report.findings} and "outliers" in report.seconds


# --- columns ------------------------------------------------------------------

def test_missing_values_and_missingness_that_predicts_the_target(wine):
    X, y = wine
    X = X.copy()
    assert check_missing(X, y, "classification") == []
    X.loc[y == 0, "alcohol"] = np.nan  # missing exactly in class 0
    found = {f.check: f for f in check_missing(X, y, "classification")}
    assert found["missing_values"].columns == ("alcohol",)
    assert found["missing_predicts_target"].columns == ("alcohol",)


def test_missing_rows():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, np.nan, np.nan], "c": [1.0, 2.0, 3.0]})
    found = {f.check: f for f in check_missing(frame, None, None)}
    assert found["missing_rows"].rows == (1,)


def test_constant_near_constant_and_id_columns(wine):
    X, _ = wine
    assert check_constant(X) == [] and check_id_like(X) == []
    X = X.assign(const=1.0, rare=np.r_[np.ones(len(X) - 1), 2.0], row_id=np.arange(len(X)), name=[f"p{i}" for i in range(len(X))])
    found = {f.check: f for f in check_constant(X)}
    assert found["constant_columns"].columns == ("const",)
    assert found["near_constant_columns"].columns == ("rare",)
    assert check_id_like(X)[0].columns == ("row_id", "name")


def test_dates_as_text_are_a_finding_whether_or_not_they_repeat(wine):
    """The preprocessing reads them as unordered categories; repeated dates were not reported at all, unique ones as IDs."""
    X, y = wine
    days = pd.Series(pd.date_range("2021-01-01", periods=len(X))).dt.strftime("%Y-%m-%d")
    X = X.assign(day=days.to_numpy(), week=days.str[:8].add("01").to_numpy(), code=np.where(np.arange(len(X)) % 2, "2021", "1999"))
    found = {f.check: f for f in check_id_like(X)}
    assert set(found) == {"date_text_columns"} and found["date_text_columns"].columns == ("day", "week")
    assert found["date_text_columns"].message.startswith("2 column(s) hold dates as text, read as categories")
    assert "days since a start date" in found["date_text_columns"].fix


def test_numbers_as_text_are_a_finding_and_codes_are_not(wine):
    """A Parquet string column of numbers was read as categories without a finding; zip codes (leading zeros) are text on purpose."""
    X, _ = wine
    n = len(X)
    rng = np.random.default_rng(0)
    X = X.assign(
        price=X["alcohol"].map(lambda v: f"{v:.2f}").astype("string"),  # pandas' string dtype, as a Parquet string column reads
        zip=rng.choice(["02139", "10001", "94105"], n).astype(object),
        row=[str(i) for i in range(n)],  # whole numbers, one per row: an ID, not also numbers
        amount=[f"{v:.3f}" for v in rng.normal(size=n)],  # all distinct but fractional: numbers, not an ID
    )
    found = {f.check: f for f in check_id_like(X)}
    assert set(found) == {"id_columns", "numeric_text_columns"}
    assert found["numeric_text_columns"].columns == ("price", "amount") and found["id_columns"].columns == ("row",)
    assert found["numeric_text_columns"].message.startswith("2 column(s) hold numbers as text, read as categories")
    assert "pd.to_numeric" in found["numeric_text_columns"].fix
    assert found["numeric_text_columns"].severity == "warning"
    assert check_id_like(X.assign(price=pd.to_numeric(X["price"]), amount=pd.to_numeric(X["amount"])))[0].check == "id_columns"


def test_leakage_one_feature_predicts_the_target(wine):
    X, y = wine
    assert check_leakage(X, y, "classification") == []
    leaky = X.assign(leak=y * 10.0 + np.random.default_rng(0).normal(0, 0.1, len(y)))
    f = check_leakage(leaky, y, "classification")[0]
    assert f.check == "leakage" and f.columns == ("leak",)
    yr = X["alcohol"].to_numpy() * 2
    assert check_leakage(X.drop(columns=["alcohol"]), yr, "regression") == []
    assert check_leakage(X, yr, "regression")[0].columns == ("alcohol",)


# --- duplicates ---------------------------------------------------------------

def test_exact_near_and_conflicting_duplicates(wine):
    X, y = wine
    assert check_duplicates(X, y.astype(str)) == []
    near = X.iloc[[5]].copy()
    near["alcohol"] += 1e-4
    Xd = pd.concat([X, X.iloc[[3]], near], ignore_index=True)
    yd = np.r_[y, (y[3] + 1) % 3, y[5]].astype(object)
    found = {f.check: f for f in check_duplicates(Xd, yd)}
    assert found["duplicates"].rows == (len(X),)
    assert found["conflicting_labels"].rows == (3, len(X))
    assert found["near_duplicates"].rows == (len(X) + 1,)


def test_rows_shared_between_training_and_new_data(wine):
    X, _ = wine
    train, new = X.iloc[:100], X.iloc[100:]
    assert check_shared_rows(train, new) == []
    f = check_shared_rows(train, pd.concat([new, X.iloc[[7, 8]]], ignore_index=True))[0]
    assert f.check == "train_new_overlap" and f.rows == (len(new), len(new) + 1)


def test_new_data_with_other_columns(wine):
    """Named columns: a finding says which columns X_new lacks or adds; positional columns: another count is an error."""
    X, y = wine
    assert check_new_columns(X, X.iloc[:5]) == []
    lacking = check_new_columns(X, X.iloc[:5, 2:])[0]
    assert lacking.check == "new_columns" and lacking.severity == "warning"
    assert lacking.details["missing_from_new"] == list(X.columns[:2]) and lacking.details["only_in_new"] == []
    assert "compare the 11 shared column(s) only" in lacking.message
    extra = check_new_columns(X, X.iloc[:5].assign(batch=1))[0]
    assert extra.severity == "info" and extra.columns == ("batch",)
    report = check(X, y, X_new=X.iloc[:20, :5], fast=True)
    assert "new_columns" in {f.check for f in report.findings}
    A = X.to_numpy()
    for cols in (A[:20, :5], np.c_[A[:20], A[:20]]):
        with pytest.raises(hl.DataError, match=rf"^X_new has {cols.shape[1]} columns but X has 13: without column names they are matched by position"):
            check(A, y, X_new=cols, fast=True)
    assert "new_columns" not in {f.check for f in check(A, y, X_new=A[:20], fast=True).findings}


# --- labels -------------------------------------------------------------------

def test_fatal_target_problems():
    assert _checks(check_target(np.array([None, None], dtype=object), 3, "classification")) == {"missing_target"}
    assert check_target(np.array([None, None], dtype=object), 3, "classification")[0].severity == "fatal"
    assert check_target(np.array(["a", "a", "a"], dtype=object), 3, "classification")[0].check == "single_class"
    assert check_target(np.array([], dtype=object), 0, "classification")[0].check == "no_features"
    assert check_target(np.array([1, 2, 1]), 2, "classification") == []


def test_imbalance_and_rare_classes():
    y = np.array(["a"] * 200 + ["b"] * 5)
    found = {f.check: f for f in check_classes(y)}
    assert "1:40" in found["class_imbalance"].message
    assert found["rare_classes"].details["classes"] == {"b": 5}
    assert check_classes(np.array(["a"] * 50 + ["b"] * 40)) == []


def test_distinct_numbers_as_text_are_kept_when_rows_are_compared_for_duplicates():
    """A price column read as text ('1000.5', '1037.5', ...: a different value per row) was left out of the duplicate
    check as if it were an ID, so rows that differ in price were "repeat an earlier row exactly"."""
    X = pd.DataFrame({"price": [f"{1000.5 + 37 * i}" for i in range(40)], "rate": [f"r{i % 20}" for i in range(40)]})
    y = pd.Series(["a", "b"] * 20)
    report = check(X, y, task="classification", fast=True)
    assert "numeric_text_columns" in report and "duplicates" not in report and "conflicting_labels" not in report
    # an ID is still left out: the same rows with a row number instead are duplicates
    ids = X.assign(price=[f"id{i}" for i in range(40)])
    assert "duplicates" in check(ids, y, task="classification", fast=True)


def test_labels_spelled_two_ways_are_a_warning_naming_both_spellings():
    """A label with a trailing space ('yes ', a spreadsheet cell) was a class of its own without a word: `train` learned
    four classes from a yes/no target. check() now names each label spelled more than one way and the fix."""
    X = pd.DataFrame({"a": np.arange(80.0)})
    y = pd.Series(["yes", "yes ", "no", "No"] * 20)
    found = check(X, y, task="classification", fast=True)["label_spelling"]
    assert found.severity == "warning"
    assert found.details["groups"] == [["No", "no"], ["yes", "yes "]]
    assert "'yes' / 'yes '" in found.message and ".str.strip()" in found.fix
    assert "label_spelling" not in check(X, pd.Series(["yes", "no"] * 40), task="classification", fast=True)


@given(st.lists(st.text(min_size=1, max_size=4), min_size=2, max_size=8, unique=True))
@settings(max_examples=50, deadline=None)
def test_spelled_alike_groups_exactly_the_labels_equal_once_stripped_and_casefolded(labels):
    groups = spelled_alike(labels)
    grouped = [v for g in groups for v in g]
    assert len(grouped) == len(set(grouped))  # each label in one group at most
    key = {v: v.strip().casefold() for v in labels}
    for g in groups:
        assert len(g) > 1 and len({key[v] for v in g}) == 1
    alone = [v for v in labels if v not in grouped]
    assert len({key[v] for v in alone}) == len(alone) and not {key[v] for v in alone} & {key[v] for v in grouped}


def test_find_label_issues_on_handmade_probabilities():
    P = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9], [0.05, 0.95]])
    codes = np.array([0, 0, 1, 1, 0])  # the last row's label disagrees with a confident 0.95
    assert find_label_issues(P, codes).tolist() == [4]


def test_apportion_rounds_each_value_down_or_up_and_keeps_the_total():
    values = np.array([0.4, 0.4, 0.4, 1.7, 0.0])
    out = apportion(values, 3)
    assert out.tolist() == [1, 0, 0, 2, 0]  # floors 0,0,0,1,0; the two largest remainders (0.7, then the first 0.4) get the rest
    assert np.all((out == np.floor(values)) | (out == np.ceil(values)))
    with pytest.raises(ValueError, match=r"total=6 cannot be reached by rounding values that add up to 2.900"):
        apportion(values, 6)


def test_prune_counts_keep_the_estimated_total_when_every_pair_is_under_one_half():
    noise = np.full((4, 4), 0.3)
    np.fill_diagonal(noise, 0.0)  # 12 pairs of 0.3: per-pair rounding would flag nothing of an estimated 3.6 errors
    counts = prune_counts(noise)
    assert counts.sum() == 4 and np.diag(counts).sum() == 0
    assert set(counts.sum(axis=1).tolist()) == {1}  # each class's 0.9 becomes 1
    noise = np.array([[0.0, 2.6, 0.3], [0.2, 0.0, 0.2], [5.0, 0.4, 0.0]])
    assert prune_counts(noise).tolist() == [[0, 3, 0], [0, 0, 0], [5, 1, 0]]  # total 8.7 -> 9: 2.9 -> 3, 0.4 -> 0, 5.4 -> 6


def test_label_errors_found_and_ranked_on_real_data():
    X, y = load_breast_cancer(return_X_y=True)
    A = (X - X.mean(0)) / X.std(0)
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(y), 25, replace=False)
    noisy = y.copy()
    noisy[flipped] = 1 - noisy[flipped]
    f = check_label_errors(A, noisy, _lr)[0]
    hits = set(f.rows) & set(flipped.tolist())
    assert len(hits) / len(flipped) >= 0.7  # recall
    assert len(hits) / len(f.rows) >= 0.7  # precision
    assert len(set(f.rows[:10]) & set(flipped.tolist())) >= 9  # the most suspicious first


# --- outliers and drift -------------------------------------------------------

def test_outliers(wine):
    X, _ = wine
    A = ((X - X.mean()) / X.std()).to_numpy()
    assert check_outliers(A) == []
    A = A.copy()
    A[10] = 40.0
    f = check_outliers(A)[0]
    assert f.rows[0] == 10


def test_drift_per_feature_and_domain_classifier(wine):
    X, _ = wine
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(X))
    a, b = X.iloc[idx[:89]].reset_index(drop=True), X.iloc[idx[89:]].reset_index(drop=True)
    quiet = {f.check: f for f in check_drift(a, b)}
    assert "feature_drift" not in quiet and quiet["domain_drift"].severity == "info"
    b2 = b.assign(proline=b["proline"] * 2)
    found = {f.check: f for f in check_drift(a, b2)}
    assert found["feature_drift"].columns == ("proline",)
    assert found["domain_drift"].severity == "warning" and found["domain_drift"].columns[0] == "proline"
    assert psi(a["proline"].to_numpy(), a["proline"].to_numpy()) == pytest.approx(0.0)


# --- the whole check and the report -----------------------------------------

def test_check_report_on_clean_data_has_no_warnings(wine):
    X, y = wine
    r = hl.check(X, y)
    assert [f for f in r.findings if f.severity != "info"] == [], r.table()
    assert isinstance(r, DataReport) and r.task == "classification"


def test_check_finds_planted_faults_and_clean_drops_them(wine):
    X, y = wine
    X2 = pd.concat([X, X.iloc[[0, 1]]], ignore_index=True).assign(const=1.0)
    y2 = np.r_[y, y[0], y[1]]
    before = X2.copy()
    r = check(X2, y2, label_model=_lr)
    assert {"duplicates", "constant_columns"} <= _checks(r.findings)
    X3, y3 = out = r.clean(X2, y2, drop=("duplicates", "constant_columns"))
    assert len(X3) == len(X) and "const" not in X3.columns and len(y3) == len(X)
    assert out.summary == "dropped 2 row(s) and 1 column(s): column(s) const (constant_columns); 2 row(s) (duplicates)"
    pd.testing.assert_frame_equal(X2, before)  # never changes the user's data
    with pytest.raises(ValueError, match="drop holds unknown name"):
        r.clean(X2, y2, drop=("dupes",))


def test_report_outputs(tmp_path, wine):
    X, y = wine
    r = check(X.assign(const=0), y, label_model=_lr)
    data = json.loads(r.to_json())
    assert data["findings"][0]["check"] == "constant_columns" and data["rows"] == len(X)
    assert r.table().splitlines()[0] == f"data check: {len(X)} rows x 14 columns: 1 warning"
    r.save(tmp_path / "data.html")
    assert "constant_columns" in (tmp_path / "data.html").read_text()
    assert r["constant_columns"].fix.startswith("drop them")


def test_pickles_naming_the_check_modules_old_paths_still_load() -> None:
    """A DataReport (and its Findings) pickled before the checks moved into data/_check/ loads."""
    import pickle

    report = DataReport([Finding("constant_columns", "warning", "1 constant column", "drop them", columns=("c",))], n_rows=3,
                        n_columns=2, task="classification", target="y")
    data = pickle.dumps(report, protocol=0)  # protocol 0 names each class's module as plain text
    for new, old in (("report", "_check_report"), ("common", "_check_common")):
        assert f"chiddenlayers.data._check.{new}\n".encode() in data
        data = data.replace(f"chiddenlayers.data._check.{new}\n".encode(), f"chiddenlayers.data.{old}\n".encode())
    assert b"data._check." not in data
    back = pickle.loads(data)  # noqa: S301 (made just above)
    assert type(back) is DataReport and type(back.findings[0]) is Finding and back == report


def test_fatal_findings_stop_the_check():
    r = check(pd.DataFrame({"a": [1.0, 2.0]}), [None, None])
    assert [f.check for f in r.fatal] == ["missing_target"]
    assert check(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), ["x", "y", "z"], task="classification").fatal[0].check == "too_few_rows"
    assert check(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), ["x", "y", "x"], task="classification").fatal == []
    assert check(pd.DataFrame({"a": [1.0]}), ["x"]).fatal[0].check == "single_class"


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="X has 3 rows but y has 2: pass one label per row"):
        check(np.zeros((3, 2)), [1, 2])
    with pytest.raises(TypeError, match="not a path"):
        check("data.csv")
    with pytest.raises(ValueError, match="task must be"):
        check(np.zeros((3, 2)), task="classify")
    with pytest.raises(hl.DataError, match="is not a column of X"):
        check(pd.DataFrame({"a": [1]}), "b")
    with pytest.raises(ValueError, match="severity must be one of"):
        Finding("x", "error", "m", "f")


# --- messy inputs from the issue -----------------------------------------------

def test_messy_inputs_never_crash():
    rng = np.random.default_rng(0)
    n = 200
    cases = [
        (pd.DataFrame({"a": [np.nan] * n, "b": rng.normal(size=n)}), rng.integers(0, 2, n)),  # all-NaN column
        (pd.DataFrame({"a": [1.0], "b": ["x"]}), [1]),  # one row
        (pd.DataFrame({"cat": [f"c{i % 10000}" for i in range(12000)], "v": rng.normal(size=12000)}), rng.integers(0, 2, 12000)),  # 10,000 categories
        (pd.DataFrame({"a": rng.normal(size=n)}), np.zeros(n)),  # a single class
        (pd.DataFrame({"a": [*rng.normal(size=n - 3).astype(str), "abc", "", "?"]}), rng.integers(0, 2, n)),  # strings in numbers
        (pd.DataFrame(rng.normal(size=(60, 1000))), rng.integers(0, 3, 60)),  # 1,000 columns
    ]
    for X, y in cases:
        r = check(X, y, X_new=X if X.shape[1] < 100 and len(X) < 1000 else None, label_model=_lr)
        assert isinstance(r.table(), str) and json.loads(r.to_json())


_cell = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), st.text(max_size=3), st.booleans())


#: examples of the messy-table property: 30 fresh ones under `make fuzz` (the "fuzz" profile draws at random), 12 fixed ones in
#: `make test` (the "default" profile, derandomized: the same 12 every run; each is a full check(), a third of a second)
MESSY_EXAMPLES = 12 if settings.default.derandomize else 30


@settings(max_examples=MESSY_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(([[None] * 9 + [3.4028235677973366e38]], [None] * 7 + [0, 0, 1]))  # a finite value past float32's range (the drift forest)
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(st.lists(_cell, min_size=n, max_size=n), min_size=1, max_size=4),
    st.lists(st.one_of(st.none(), st.integers(0, 2), st.text(max_size=2)), min_size=n, max_size=n))))
def test_messy_tables_never_crash(data):
    cols, y = data
    X = pd.DataFrame({f"c{i}": col for i, col in enumerate(cols)})
    r = check(X, y, X_new=X.iloc[::-1], label_model=_lr)
    assert r.n_rows == len(X)
    json.loads(r.to_json())


def test_one_wild_value_among_many_columns_is_an_outlier():
    X, _ = load_breast_cancer(return_X_y=True, as_frame=True)
    A = ((X - X.mean()) / X.std()).to_numpy()
    assert check_outliers(A) == []  # skewed real columns (robust z up to ~40) stay quiet
    A = A.copy()
    A[11, 3] = A[:, 3].max() * 50  # a unit mix-up in one of 30 columns
    assert check_outliers(A)[0].rows[0] == 11


def test_duplicates_ignore_id_columns_and_label_check_ignores_leaks(wine):
    X, y = wine
    Xd = pd.concat([X, X.iloc[[3]]], ignore_index=True)
    yd = np.r_[y, y[3]]
    Xd["row_id"] = np.arange(len(Xd))
    r = check(Xd, yd, label_model=_lr)
    assert r["duplicates"].rows == (len(X),) and r["id_columns"].columns == ("row_id",)
    rng = np.random.default_rng(1)
    flip = rng.choice(len(y), 8, replace=False)
    noisy = y.copy()
    noisy[flip] = (noisy[flip] + 1) % 3
    leaky = X.assign(leak=noisy * 5.0)
    r = check(leaky, noisy, label_model=_lr)
    assert r["leakage"].columns == ("leak",)
    assert len(set(r["label_issues"].rows) & set(flip.tolist())) >= 4  # with the leak in the model, none would be found


def test_label_errors_are_not_judged_by_a_model_no_better_than_chance():
    """One column holds all the signal and is left out as leaky: the rest cannot judge labels, and the report says so."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 6))
    y = (X[:, 0] > 0).astype(int)
    found = {f.check: f for f in hl.check(X, y).findings}  # hl.check: with our MLP as the label model
    assert "label_issues" not in found and found["leakage"].columns == ("x0",)
    f = found["label_issues_inconclusive"]
    assert f.severity == "info" and "without the column(s) x0" in f.message and f.details["oof_accuracy"] < 0.6
    noisy = np.where(rng.random(1000) < 0.1, 1 - y, y)  # with the signal visible, flips are still found
    found = {f.check for f in hl.check(np.c_[X[:, 0] + 0.3 * rng.normal(size=1000), X[:, 1:]], noisy).findings}
    assert "label_issues" in found and "label_issues_inconclusive" not in found


def test_domain_auc_below_chance_is_not_read_as_no_drift():
    """New rows copied from the training rows drive the held-out AUC under 0.5: reported as not judged, pointing at the overlap."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 5)), columns=list("abcde"))
    found = {f.check: f for f in check(X, (X.a > 0).astype(int), X_new=X.iloc[:200]).findings}
    assert found["domain_drift"].message.startswith("drift not judged: a classifier tells training rows from new rows worse than chance")
    assert "train_new_overlap" in found["domain_drift"].fix


def test_report_page_has_the_shared_shell_and_wraps_long_cells(tmp_path):
    """The data-check page uses the reports' one page shell: CSP, viewport, and cells that wrap a long unbroken string."""
    long = "C" * 200
    X = pd.DataFrame({"a": np.arange(60.0) % 7, "<b>x</b>": 1.0})
    r = check(X, [long if i % 15 == 0 else "b" for i in range(60)], fast=True)  # a rare class, named in a finding
    r.save(tmp_path / "data.html")
    page = (tmp_path / "data.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "overflow-wrap:anywhere" in page and '<section id="findings">' in page and "constant_columns" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert re.search(f'<td class="wrap" style="text-align:left">[^<]*{long}', page)  # only cells with a long unbroken run may break anywhere
    assert '<td class="" style' not in page and '<td class="wrap" style="text-align:left">drop them' not in page


# --- a fatal finding stops no check ------------------------------------------
def test_a_fatal_finding_no_longer_hides_the_other_findings():
    """check() stopped after the column and target checks once one was fatal: the constant column next to an infinite
    value went unsaid until the user fixed the infinite value and ran it again. Every check that can judge the data runs."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "c": np.ones(60), "b": rng.normal(size=60)})
    X.loc[7, "a"] = np.inf
    X.loc[[40, 41], ["a", "b"]] = X.loc[[10, 11], ["a", "b"]].to_numpy()  # two exact repeats
    y = np.resize(["p", "q"], 60)
    y[[40, 41]] = y[[10, 11]]
    for fast in (True, False):
        r = check(X, y, fast=fast, label_model=_lr)
        assert [f.check for f in r.fatal] == ["infinite_values"] and r["infinite_values"].rows == (7,)
        assert r["constant_columns"].columns == ("c",)
        assert r["duplicates"].rows == (40, 41)
    assert {"outliers", "label_errors"} <= set(r.seconds)  # the slow checks ran too


def test_a_column_the_model_cannot_read_is_named_once_beside_the_other_findings():
    """A column of dates is fatal (unreadable); the check goes on but does not call it an ID as well (another fix)."""
    X = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=40), "c": np.ones(40), "a": np.arange(40.0) % 7})
    r = check(X, np.resize(["p", "q"], 40))
    assert [(f.check, f.columns) for f in r.fatal] == [("unreadable_columns", ("when",))]
    assert r["constant_columns"].columns == ("c",) and "id_columns" not in _checks(r.findings)


def test_an_unusable_target_skips_only_the_checks_that_read_it():
    """A single class (fatal) leaves no target to judge: classes, leakage, missingness against the target, conflicting
    labels and label errors skip themselves (saying nothing false); the feature checks still run."""
    X = pd.DataFrame({"a": np.arange(40, dtype=float), "c": np.zeros(40), "m": [np.nan if i % 2 else 1.0 for i in range(40)]})
    X.loc[39] = X.loc[0]
    r = check(X, ["k"] * 40, label_model=_lr)
    assert [f.check for f in r.fatal] == ["single_class"] and r.task == "classification"
    assert {"constant_columns", "missing_values", "duplicates"} <= _checks(r.findings)
    assert not _checks(r.findings) & {"leakage", "conflicting_labels", "class_imbalance", "missing_predicts_target",
                                       "label_issues", "label_issues_skipped"}
    r = check(X, ["1", "x"] * 20, task="regression")  # a regression target of text: fatal, the feature checks still run
    assert [f.check for f in r.fatal] == ["target_not_numeric"] and r.task is None
    assert {"constant_columns", "duplicates"} <= _checks(r.findings)


def test_check_of_a_column_with_two_equal_infinities_raises_no_numpy_warning():
    """Sorting the values for the leakage score put two +inf cells side by side: inf - inf warned "invalid value encountered
    in subtract" to the user, beside the infinite_values finding that says it properly."""
    import warnings

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.copy()
    X.iloc[[3, 7], 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        report = check(X, y, fast=True)
    assert [f.check for f in report.fatal] == ["infinite_values"]


@pytest.mark.parametrize("n_bad, severity", [(1, "fatal"), (2, "fatal"), (3, "warning")])
def test_unparseable_numbers_is_fatal_exactly_where_training_refuses_the_column(n_bad, severity):
    # 20 cells, n_bad of them text: 19/20 and 18/20 parse (>= 0.9: the preprocessing refuses the column), 17/20 do not
    # (read as categories). The finding said "read as text (categories)", a warning, where training refused the column.
    frame = pd.DataFrame({"x": [str(i) for i in range(20 - n_bad)] + ["abc"] * n_bad})
    found = {f.check: f for f in check_columns_shape(frame)}["unparseable_numbers"]
    assert found.severity == severity and found.rows == tuple(range(20 - n_bad, 20))
    if severity == "fatal":
        assert found.fix == "fix those values or make them empty: training refuses 'x' as it is"
        with pytest.raises(hl.DataError, match="column 'x' is numeric but holds text"):
            hl.data.TablePreprocessor().fit(frame[["x"]])
    else:
        assert found.fix == "fix those values or make them empty: as it is, 'x' is read as text (categories)"
        assert hl.data.TablePreprocessor().fit(frame[["x"]]).columns[0]["kind"] == "categorical"


def test_a_numeric_target_with_a_typo_is_a_fatal_finding():
    # read as text, the target was checked as 41 classes (rare_classes), though train refuses it
    y = pd.Series([str(0.5 + i) for i in range(40)] + ["high"], dtype=object)
    X = pd.DataFrame({"a": np.arange(41.0)})
    found = {f.check: f for f in check(X, y, fast=True).findings}
    assert found["target_not_numeric"].severity == "fatal" and found["target_not_numeric"].rows == (40,)
    assert "rare_classes" not in found
    assert "target_not_numeric" not in {f.check for f in check(X, y, task="classification", fast=True).findings}


def test_located_names_the_file_lines_of_a_findings_rows_and_keeps_the_positions() -> None:
    from hiddenlayers.data import Finding, located

    f = Finding("outliers", "warning", "2 row(s) are outliers (...): rows 0, 143", "look at them", rows=(0, 143))
    lines = np.arange(2, 202)  # a CSV without ragged lines: data row i is on line i + 2
    g = located(f, lines, "line")
    assert g.message == "2 row(s) are outliers (...): lines 2, 145" and g.rows == (0, 143) and g.lines == (2, 145)
    assert g.to_dict()["rows"] == [0, 143] and g.to_dict()["lines"] == [2, 145] and g.to_dict()["line_unit"] == "line"
    one = located(Finding("missing_target", "warning", "the target is missing in 1 row(s): rows 7", "fill", rows=(7,)), lines + 1, "line")
    assert one.message.endswith(": line 10")  # one row: "line", and each row's own line (a dropped line shifts the rest)
    assert located(f, np.arange(1, 201), "row").message.endswith("rows 1, 144")  # Parquet: data rows counted from 1
    ragged = Finding("ragged_rows", "warning", "... line(s) 5", "fix", rows=(5,))
    new = Finding("train_new_overlap", "warning", "new rows 3", "x", rows=(3,), details={"rows_refer_to": "X_new"})
    assert located(ragged, lines, "line") is ragged and located(new, lines, "line") is new  # lines already, or other data
    assert "lines" not in f.to_dict()  # Python data: positions only


@given(st.lists(st.integers(0, 59), min_size=1, max_size=12, unique=True), st.lists(st.integers(0, 3), min_size=60, max_size=60))
def test_located_shows_each_rows_own_line(rows: list[int], gaps: list[int]) -> None:
    from hiddenlayers.data import located, preview

    lines = 2 + np.arange(60) + np.cumsum(gaps)  # increasing file lines, dropped or blank lines between some rows
    f = Finding("outliers", "warning", f"{len(rows)} row(s) are outliers: rows {preview(rows)}", "look", rows=tuple(rows))
    g = located(f, lines, "line")
    assert g.rows == tuple(rows) and g.lines == tuple(int(lines[r]) for r in rows)
    word = "lines" if len(rows) > 1 else "line"
    assert g.message == f"{len(rows)} row(s) are outliers: {word} {preview([int(lines[r]) for r in rows], total=len(rows))}"


def test_values_beyond_float32_are_fatal_naming_column_and_row_features_and_target(tmp_path):
    """1e39 fits float64 but is infinite in the network's float32: check() says so (the target too), where it said nothing
    and training went on to a NaN loss; an infinite value stays infinite_values' finding only."""
    frame = pd.DataFrame({"a": [1.0, 1e39, 3.0, -np.inf], "b": [0.0, 1.0, -4e38, 2.0], "ok": [3e38, -3e38, 0.0, 1.0], "t": list("wxyz")})
    (found,) = check_beyond_float32(frame)
    assert (found.check, found.severity, found.columns, found.rows) == ("beyond_float32", "fatal", ("a", "b"), (1, 2))
    assert found.message == "2 column(s) hold values beyond float32's range (±3.4e38, where the network computes): a, b (rows 1, 2)"
    (found,) = check_beyond_float32(frame[["ok", "t"]], pd.Series([0.0, 2e39, 1.0, 1.0], name="price"))
    assert (found.columns, found.rows) == (("price",), (1,))
    p = tmp_path / "big.csv"  # as the CLI reads it, with the file line in the finding
    p.write_text("a,b,y\n1,2,0\n2,3,1e39\n1e40,4,0\n5,6,1\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)))
    table = read_table(p)
    r = hl.check(table.frame.drop(columns=["y"]), table.frame["y"], fast=True)
    assert [(f.check, f.columns, f.rows) for f in r.fatal] == [("beyond_float32", ("a", "y"), (1, 2))]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), min_size=1, max_size=30))
def test_beyond_float32_finding_matches_the_float32_cast(values):
    """The rows named are those of a finite value past the largest float32 (first_beyond_float32's rule, predict's and the server's)."""
    col = pd.Series(values + [1e39], dtype=np.float64)
    found = check_beyond_float32(pd.DataFrame({"v": col}))
    v = col.to_numpy()
    expected = tuple(int(i) for i in np.flatnonzero(np.isfinite(v) & (np.abs(v) > np.finfo(np.float32).max)))
    assert (found[0].rows if found else ()) == expected


def test_repeated_column_names_are_one_clear_error():
    """A frame with a name twice (``df.columns = [..., "age"]``) failed deep in pandas ("Grouper for 'age' not
    1-dimensional"); hl.check now refuses it as training does, naming the column, for X and X_new alike."""
    frame = pd.DataFrame([[1.0, 2.0, 3.0]] * 8, columns=["age", "b", "age"])
    ok = pd.DataFrame({"age": [1.0] * 8, "b": [2.0] * 8})
    with pytest.raises(hl.DataError, match=r"^X has the column 'age' twice \(names are compared as text\): give every column a unique name\.$"):
        hl.check(frame, np.arange(8) % 2)
    with pytest.raises(hl.DataError, match=r"^X_new has the column '1' twice"):
        hl.check(ok, np.arange(8) % 2, X_new=pd.DataFrame([[1.0, 2.0]] * 3, columns=[1, "1"]))


def test_report_repr_is_one_line_and_print_shows_the_findings() -> None:
    """`hl.check(X, y)` ending a REPL line printed every finding's rows (kilobytes on one line); the repr is the summary."""
    X = np.vstack([np.arange(400.0).reshape(200, 2)] * 2)  # every row twice: a duplicates finding of 200 rows
    y = np.arange(400) % 2
    report = check(X, y, fast=True)
    line = repr(report)
    assert "\n" not in line and len(line) < 250 and "duplicates" in line
    assert line.startswith(f"DataReport({report.summary()} (")
    assert str(report) == report.table() and "fix:" in str(report)
    assert report._repr_html_() == report.html_section()


def test_a_column_of_decimals_is_checked_as_numbers() -> None:
    # pandas.read_sql's NUMERIC column (object cells of Decimal): before, "numbers as text, read as categories", which
    # the preprocessing no longer does; now the findings of the same column as floats
    from decimal import Decimal

    rng = np.random.default_rng(0)
    cents = rng.integers(0, 10**5, 200)
    floats = pd.DataFrame({"amount": cents / 100, "x": rng.normal(size=200)})
    decimals = floats.assign(amount=pd.Series([Decimal(int(c)).scaleb(-2) for c in cents], dtype=object))
    y = rng.integers(0, 2, 200)
    got, want = check(decimals, y, X_new=decimals, fast=True), check(floats, y, X_new=floats, fast=True)
    assert [(f.check, f.message) for f in got.findings] == [(f.check, f.message) for f in want.findings]
    assert "numeric_text_columns" not in {f.check for f in got.findings}
