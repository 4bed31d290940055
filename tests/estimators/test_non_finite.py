"""NaN or infinity in X or y: scikit-learn's first sentence, then how many rows, the first cell by row and column, the fix."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl
from hiddenlayers.estimators._non_finite import located_non_finite

_X = np.random.default_rng(0).normal(size=(12, 3))
_Y = np.arange(12) % 2


@pytest.fixture(scope="module")
def fitted() -> hl.MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return hl.MLPClassifier((3,), max_iter=2, random_state=0).fit(pd.DataFrame(_X, columns=["a", "b", "c"]), _Y)


@settings(max_examples=25, deadline=None)
@given(row=st.integers(0, 11), col=st.integers(0, 2), solver=st.sampled_from(["adam", "lbfgs"]),
       cell=st.sampled_from(["NA", "nan", "inf"]))
def test_a_missing_cell_of_a_frame_is_named_by_row_and_column(row: int, col: int, solver: str, cell: str) -> None:
    # was "Input X contains NaN." and a paragraph suggesting HistGradientBoostingClassifier, no row, no column
    frame = pd.DataFrame(_X, columns=["a", "b", "c"]).astype("Float64")
    frame.iloc[row, col] = {"NA": pd.NA, "nan": np.nan, "inf": np.inf}[cell]
    name = "abc"[col]
    if cell == "inf":
        want = (r"Input X contains infinity or a value too large for dtype\('float64'\)\. 1 of 12 row\(s\) hold an infinite value "
                rf"\(first: row {row}, column '{name}'\): replace those values or drop those rows\.")
    else:
        want = (rf"Input X contains NaN\. 1 of 12 row\(s\) hold a missing value \(NaN, None or pd\.NA\) \(first: row {row}, column "
                rf"'{name}'\): impute them, e\.g\. make_pipeline\(SimpleImputer\(\), MLPClassifier\(\.\.\.\)\), or put hl\.TableEncoder\(\)")
    with pytest.raises(ValueError, match="^" + want) as info:
        hl.MLPClassifier((3,), solver=solver, max_iter=1).fit(frame, _Y)
    assert "\n" not in str(info.value) and "HistGradientBoosting" not in str(info.value)


def test_predict_and_sparse_rows_name_the_first_cell(fitted: hl.MLPClassifier) -> None:
    frame = pd.DataFrame(_X, columns=["a", "b", "c"])
    frame.loc[[4, 7], "c"] = None
    with pytest.raises(ValueError, match=r"^Input X contains NaN\. 2 of 12 row\(s\) hold a missing value .*\(first: row 4, column 'c'\)"):
        fitted.predict(frame)
    bad = sp.csr_matrix(_X)
    bad[9, 2] = np.nan
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"^Input X contains NaN\. 2 of 12 row\(s\) .*\(first: row 2, column 1\)"):
        hl.MLPClassifier((3,), max_iter=1).fit(bad, _Y)


def test_a_missing_label_is_named_by_its_row() -> None:
    y = pd.Series(pd.array([0, 1, None, 1, 0, 1, 0, 1, None, 1, 0, 1], dtype="Int64"))
    with pytest.raises(ValueError, match=re.escape("Input y contains NaN. 2 of 12 target value(s) are missing (first: row 2): drop those "
                                                   "rows, e.g. keep = ~pd.isna(y); fit(X[keep], y[keep]).")):
        hl.MLPRegressor(hidden_layer_sizes=(3,), max_iter=1).fit(_X, y)


def test_other_messages_pass_as_they_are() -> None:
    assert located_non_finite("X has 3 features, but ...", _X, "MLPClassifier") is None
    assert located_non_finite("Input X contains NaN.", _X, "MLPClassifier") is None  # no such cell to name: scikit-learn's own


def test_a_regressors_score_names_a_missing_target() -> None:
    # was r2_score's bare "Input contains NaN.", naming neither y nor the row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = hl.MLPRegressor(hidden_layer_sizes=(3,), max_iter=1, random_state=0).fit(_X, _Y.astype(float))
    y = pd.Series(pd.array([*_Y[:5], None, *_Y[6:]], dtype="Float64"))
    with pytest.raises(ValueError, match=re.escape("Input y contains NaN. 1 of 12 target value(s) are missing (first: row 5): drop those "
                                                   "rows, e.g. keep = ~pd.isna(y); score(X[keep], y[keep]).")):
        reg.score(_X, y)
