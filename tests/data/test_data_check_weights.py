"""``hl.check(X, y, sample_weight=...)``: the weights' findings (``sample_weight``, ``zero_weight``, ``skewed_weights``),
by the rule ``hiddenlayers check --sample-weight COL`` reports them with."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from cli_helpers import run
from hiddenlayers.data import check as data_check
from hiddenlayers.exceptions import DataError


def _table(n: int = 100) -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame({"a": np.arange(n) % 7, "b": (np.arange(n) * 3) % 11})
    return X, np.arange(n) % 2


def _weights(report: hl.DataReport) -> dict[str, object]:
    return {f.check: f for f in report.findings if f.check in ("sample_weight", "zero_weight", "skewed_weights")}


@pytest.mark.parametrize(("bad", "message", "rows"), [
    ([np.nan], "sample_weight has no value on row 4 (1 row): Input sample_weight contains NaN", (3,)),
    ([np.inf], "sample_weight holds inf (row 4; 1 row): Input sample_weight contains infinity", (3,)),
    ([-2.0], "sample_weight holds -2 (row 4; 1 negative row): sample_weight must be >= 0", (3,)),
    (["heavy"], "sample_weight must hold numbers but holds 'heavy' (row 4; 1 row)", (3,)),
])
def test_weights_fit_would_refuse_are_one_fatal_finding_naming_the_row(bad, message, rows) -> None:
    X, y = _table()
    w = np.ones(len(y), dtype=object)
    w[3] = bad[0]
    found = _weights(data_check(X, y, sample_weight=w, fast=True))
    assert set(found) == {"sample_weight"}
    f = found["sample_weight"]
    assert f.severity == "fatal" and f.message.startswith(message) and f.rows == rows


def test_all_zero_and_wrong_length_weights_are_fatal() -> None:
    X, y = _table()
    f = _weights(data_check(X, y, sample_weight=np.zeros(len(y)), fast=True))["sample_weight"]
    assert f.severity == "fatal" and f.message == "sample_weight is 0 on every row: Sample weights must contain at least one non-zero number."
    f = _weights(data_check(X, y, sample_weight=np.ones(7), fast=True))["sample_weight"]
    assert f.message == "sample_weight has 7 values for the 100 rows of X" and f.severity == "fatal"
    f = _weights(data_check(X, y, sample_weight=np.ones((100, 2)), fast=True))["sample_weight"]
    assert f.message == "sample_weight has an array of shape (100, 2) for the 100 rows of X"


def test_zero_and_skewed_weights_are_reported_and_even_ones_are_not() -> None:
    X, y = _table()
    w = np.full(100, 0.01)
    w[:2], w[10:13] = 100.0, 0.0
    found = _weights(hl.check(X, y, sample_weight=w, fast=True))
    assert found["zero_weight"].severity == "info" and found["zero_weight"].rows == (10, 11, 12)
    assert found["skewed_weights"].severity == "warning" and found["skewed_weights"].details["effective_rows"] < 3
    assert not _weights(hl.check(X, y, sample_weight=np.linspace(1, 3, 100), fast=True))
    assert not _weights(hl.check(X, y, fast=True))  # no weights: no weight findings


def test_a_weight_column_of_x_is_checked_as_weights_and_not_as_a_feature() -> None:
    X, y = _table()
    X["w"] = 1.0  # a constant column: a feature check would flag it
    X.loc[5, "w"] = 0.0
    report = hl.check(X, y, sample_weight="w", fast=True)
    assert _weights(report)["zero_weight"].columns == ("w",) and "sample_weight column 'w'" in _weights(report)["zero_weight"].message
    assert not any("w" in f.columns for f in report.findings if f.check not in ("zero_weight",))
    with pytest.raises(DataError, match="sample_weight='ww' is not a column of X"):
        hl.check(X, y, sample_weight="ww", fast=True)
    with pytest.raises(DataError, match="sample_weight='y' is the target"):
        hl.check(X.assign(y=y), "y", sample_weight="y", fast=True)


@pytest.mark.parametrize("kind", ["zero_skewed", "negative", "nan"])
def test_python_and_cli_findings_agree_on_the_same_data(kind, tmp_path) -> None:
    X, y = _table()
    w = np.full(100, 0.01)
    w[:2], w[10:13] = 100.0, 0.0
    if kind == "negative":
        w[20] = -1.0
    elif kind == "nan":
        w[30] = np.nan
    path = tmp_path / "t.csv"
    X.assign(w=w, y=y).to_csv(path, index=False)
    res = run("check", path, "-t", "y", "--fast", "--json", "--sample-weight", "w")
    assert res.exit_code == (0 if kind == "zero_skewed" else 2)  # 2: a fatal finding
    cli = [f for f in json.loads(res.stdout)["findings"] if f["check"] in ("sample_weight", "zero_weight", "skewed_weights")]
    py = [f.to_dict() for f in _weights(hl.check(X.assign(w=w), y, sample_weight="w", fast=True)).values()]
    key = [(f["check"], f["severity"], f["rows"], f["columns"], f["details"]) for f in cli]
    assert key and key == [(f["check"], f["severity"], f["rows"], f["columns"], f["details"]) for f in py]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["x", "", None, True])), min_size=1, max_size=30))
def test_weights_pass_the_check_exactly_when_fit_takes_them(values) -> None:
    """No fatal finding exactly when MLPClassifier's own sample_weight check takes the values (as numbers)."""
    from hiddenlayers.estimators import check_sample_weight

    X = np.zeros((len(values), 1))
    fatal = "sample_weight" in _weights(data_check(X, sample_weight=np.array(values, dtype=object), fast=True))
    try:
        numbers = pd.to_numeric(pd.Series(values, dtype=object).replace("", None), errors="raise").to_numpy(dtype=np.float64)
        check_sample_weight(numbers, X)
    except (ValueError, TypeError):
        assert fatal
    else:
        assert not fatal
