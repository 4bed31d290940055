"""``extreme_target``: a regression target with a few values far from the rest (five 1e6 among values around 1e4
trained to R² about 0, and the check said nothing). A warning by a robust rule, in check() and the streamed check alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes, load_linnerud

from hiddenlayers.data import ParquetSource, check
from hiddenlayers.data._check.target_range import CUT, check_extreme_target

scales = st.floats(1e-3, 1e6)
shifts = st.floats(-1e6, 1e6)


def _base(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=n) if kind == "normal" else rng.uniform(-1.0, 1.0, size=n)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["normal", "uniform"]), n=st.integers(20, 5000), seed=st.integers(0, 2**32 - 1), scale=scales, shift=shifts)
def test_never_fires_on_normal_or_uniform_targets_of_any_scale_or_shift(kind, n, seed, scale, shift):
    assert check_extreme_target(shift + scale * _base(kind, n, seed), "y") == []


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["normal", "uniform"]), n=st.integers(40, 3000), seed=st.integers(0, 2**32 - 1), scale=scales, shift=shifts,
       k=st.integers(1, 5), far=st.floats(100.0, 1e4), sign=st.sampled_from([-1.0, 1.0]))
def test_always_fires_on_planted_far_outliers_and_names_exactly_their_rows(kind, n, seed, scale, shift, k, far, sign):
    y = shift + scale * _base(kind, n, seed)
    planted = np.random.default_rng(seed + 1).choice(n, size=k, replace=False)
    y[planted] = shift + sign * far * scale * np.arange(1, k + 1)  # each farther than the last: the rows come farthest first
    (f,) = check_extreme_target(y, "price")
    assert (f.check, f.severity, f.columns) == ("extreme_target", "warning", ("price",))
    assert f.rows == tuple(int(r) for r in planted[::-1])
    assert f"the target 'price' has {k} value(s) more than {CUT:g} robust SDs from its median" in f.message


def test_missing_and_unusable_values_are_left_out_and_rows_stay_positions_in_the_column():
    y = np.r_[np.linspace(0.0, 1.0, 40), np.nan, np.inf, 1e39, 500.0]
    (f,) = check_extreme_target(y, None)
    assert f.rows == (43,) and f.message.startswith("the target has 1 value(s)") and f.columns == ()
    assert check_extreme_target(np.r_[np.zeros(10), 1e6], "y") == []  # under 20 values: not judged


def test_a_target_mostly_one_value_is_judged_by_its_quantile_range_or_not_at_all():
    y = np.r_[np.zeros(60), np.linspace(1.0, 10.0, 40), 1e5]  # MAD 0; the 10-90 % range is not
    assert check_extreme_target(y, "y")[0].rows == (100,)
    assert check_extreme_target(np.r_[np.zeros(99), 1e5], "y") == []  # nearly constant: no spread to judge by


def test_the_fix_offers_log1p_or_poisson_for_targets_at_or_above_zero_and_a_signed_log_otherwise():
    y = np.r_[np.linspace(1e4, 2e4, 95), [1e6] * 5]
    assert "np.log1p(target)" in check_extreme_target(y, "y")[0].fix and "loss='poisson'" in check_extreme_target(y, "y")[0].fix
    assert "np.sign(y) * np.log1p(np.abs(y))" in check_extreme_target(y - 1.5e4, "y")[0].fix


def _priced(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    X["price"] = 1e4 + 2e3 * X["a"] + rng.normal(size=n) * 300
    X.loc[[7, 50, 120, 260, 390], "price"] = 1e6
    return X


def test_check_warns_of_it_for_regression_only_and_bundled_targets_stay_quiet():
    report = check(_priced(), "price", fast=True)
    f = report["extreme_target"]
    assert f.severity == "warning" and f.rows == (7, 50, 120, 260, 390) and "rows 7, 50, 120, 260, 390" in f.message
    assert not report.fatal
    for X, y in (load_diabetes(return_X_y=True), (load_linnerud().data, load_linnerud().target[:, 0])):
        assert "extreme_target" not in {g.check for g in check(X, y, task="regression", fast=True).findings}
    as_classes = _priced().assign(price=lambda d: (d["price"] > 1e4).astype(int))
    assert "extreme_target" not in {g.check for g in check(as_classes, "price", fast=True).findings}


def test_the_streamed_check_gives_the_same_finding_with_rows_across_files(tmp_path):
    whole = _priced()
    whole.iloc[:200].to_parquet(tmp_path / "p0.parquet")
    whole.iloc[200:].to_parquet(tmp_path / "p1.parquet")
    streamed = ParquetSource(str(tmp_path), target="price", read_rows=64).check("regression")["extreme_target"]
    memory = check(whole, "price", fast=True)["extreme_target"]
    assert (streamed.severity, streamed.rows, streamed.columns) == (memory.severity, memory.rows, memory.columns)
    assert streamed.message.split(": '")[0] == memory.message.split(": rows")[0]  # the same words; rows named by file and row
    assert streamed.message.endswith(f"'{tmp_path / 'p0.parquet'}' rows 8, 51, 121; '{tmp_path / 'p1.parquet'}' rows 61, 191")
    assert streamed.fix == memory.fix and streamed.lines == (8, 51, 121, 61, 191) and streamed.line_unit == "row"
    assert streamed.details["files"] == [str(tmp_path / "p0.parquet")] * 3 + [str(tmp_path / "p1.parquet")] * 2


@pytest.mark.parametrize("cap", [300])
def test_past_the_kept_rows_the_streamed_finding_says_it_judged_the_first_rows(tmp_path, monkeypatch, cap):
    from hiddenlayers.data._check import stream_missing

    monkeypatch.setattr(stream_missing, "HASH_CAP", cap)
    monkeypatch.setattr(stream_missing.MissingByValue.__init__, "__defaults__", (cap,))
    _priced().to_parquet(tmp_path / "p0.parquet")
    f = ParquetSource(str(tmp_path), target="price", read_rows=64).check("regression")["extreme_target"]
    assert f.rows == (7, 50, 120, 260) and "(among the first 300 rows only)" in f.message


def test_why_it_warns_five_far_values_wreck_a_scaled_fit_on_the_ordinary_rows():
    """The figures the data guide gives: held-out R² on the ordinary rows -108 with the five 1e6 values, 0.97 without."""
    import warnings

    from sklearn.metrics import r2_score

    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    n = 500
    X = rng.normal(size=(n, 2))
    y = (1e4 + 2e3 * X[:, 0] + rng.normal(size=n) * 300).round(2)
    y[[7, 50, 100, 200, 300]] = 1e6
    train, ordinary = np.arange(n) < 400, y < 1e5
    scores = []
    for rows in (train, train & ordinary):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = hl.MLPRegressor(hidden_layer_sizes=(100,), scale_target=True, random_state=0, max_iter=200).fit(X[rows], y[rows])
        scores.append(r2_score(y[~train & ordinary], model.predict(X[~train & ordinary])))
    assert scores[0] < 0 and scores[1] > 0.95, scores
    assert check_extreme_target(y[train], "y")[0].rows == (7, 50, 100, 200, 300)
