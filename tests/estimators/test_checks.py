"""X's NaN/inf check made on the training tensor: the same errors as scikit-learn's validation, wherever the bad value sits."""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

import hiddenlayers as hl
from hiddenlayers.estimators._checks import require_finite
from hiddenlayers.exceptions import DataError


def _error(fit) -> str:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(ValueError) as info:
            fit()
    return str(info.value)


@settings(max_examples=25, deadline=None)
@given(row=st.integers(0, 59), col=st.integers(0, 2), bad=st.sampled_from([np.nan, np.inf, -np.inf]),
       dtype=st.sampled_from([np.float32, np.float64]), kind=st.sampled_from(["fit", "early_stopping", "partial_fit", "regressor", "sgd"]))
def test_bad_value_anywhere_gives_scikit_learns_error(row: int, col: int, bad: float, dtype: type, kind: str) -> None:
    """One NaN or inf in any row (in the training part or the held-out part): scikit-learn's first sentence, word for word,
    then (ours, in place of its paragraph naming no cell) the row and column of that cell."""
    X = np.random.default_rng(row).random((60, 3)).astype(dtype)
    X[row, col] = bad
    y = np.arange(60) % 3
    kw: dict = {"max_iter": 2, "random_state": 0}
    if kind == "early_stopping":
        kw["early_stopping"] = True
    if kind == "sgd":
        kw["solver"] = "sgd"
    if kind == "regressor":
        ours, theirs = hl.MLPRegressor(hidden_layer_sizes=(4,), **kw), SkMLPRegressor(hidden_layer_sizes=(4,), **kw)
        mine, sklearns = _error(lambda: ours.fit(X, y.astype(float))), _error(lambda: theirs.fit(X, y.astype(float)))
    elif kind == "partial_fit":
        ours, theirs = hl.MLPClassifier((4,), **kw), SkMLPClassifier((4,), **kw)
        mine, sklearns = _error(lambda: ours.partial_fit(X, y, classes=[0, 1, 2])), _error(lambda: theirs.partial_fit(X, y, classes=[0, 1, 2]))
    else:
        ours, theirs = hl.MLPClassifier((4,), **kw), SkMLPClassifier((4,), **kw)
        mine, sklearns = _error(lambda: ours.fit(X, y)), _error(lambda: theirs.fit(X, y))
    first = sklearns.split("\n")[0].strip()
    assert mine.startswith(first + " 1 of 60 row(s) hold ") and f"(first: row {row}, column {col}): " in mine and "\n" not in mine
    assert not hasattr(ours, "network_")


@pytest.mark.parametrize("kw", [{}, {"warm_start": True}, {"early_stopping": True}])
def test_a_refit_on_bad_data_leaves_the_fitted_model_as_it_was(kw: dict) -> None:
    """The check comes before the network is rebuilt: the error loses nothing of the model fitted before."""
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 3)), np.arange(60) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = hl.MLPClassifier((4,), max_iter=3, random_state=0, **kw).fit(X, y)
    before = [c.copy() for c in model.coefs_]
    history = list(model.loss_curve_)
    bad = X.copy()
    bad[5, 1] = np.nan
    for refit in (lambda: model.fit(bad, y), lambda: model.partial_fit(bad, y) if not kw else model.fit(bad, y)):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            refit()
        for a, b in zip(before, model.coefs_):
            np.testing.assert_array_equal(a, b)
        assert model.loss_curve_ == history


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_sparse_and_lbfgs_inputs_are_checked_by_validation(solver: str) -> None:
    """The paths that never build a dense training tensor keep scikit-learn's check at validation."""
    X = sp.random(30, 4, density=0.5, format="csr", random_state=0)
    X.data[0] = np.nan
    y = np.arange(30) % 2
    assert "Input X contains NaN" in _error(lambda: hl.MLPClassifier((4,), solver=solver, max_iter=2).fit(X, y))
    Xd = np.random.default_rng(0).random((30, 4))
    Xd[3, 1] = np.inf
    assert "Input X contains infinity" in _error(lambda: hl.MLPClassifier((4,), solver="lbfgs", max_iter=2).fit(Xd, y))


def test_an_overflowing_sum_of_finite_values_passes() -> None:
    """Large finite float32 values whose sum overflows are finite: scikit-learn's elementwise check decides, and passes."""
    X = np.full((4, 2), 3e38, dtype=np.float32)
    Xt = torch.as_tensor(X)
    assert not torch.isfinite(Xt.sum())
    require_finite(hl.MLPClassifier(), X, Xt)  # no error
    X[1, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        require_finite(hl.MLPClassifier(), X, torch.as_tensor(X))


# ------------------------------------------------------------- sample_weight: none negative, for every solver
_NEG = r"^sample_weight must be >= 0\. Received: sample_weight\[(\d+)\]=(\S+) \((\d+) negative\); a negative weight rewards mispredicting its row"


@settings(max_examples=30, deadline=None)
@given(weights=st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=30, max_size=30),
       solver=st.sampled_from(["adam", "sgd", "lbfgs"]), regressor=st.booleans())
def test_negative_sample_weights_are_refused_by_every_solver_with_the_first_one_named(weights: list[float], solver: str, regressor: bool) -> None:
    X = np.random.RandomState(0).rand(30, 3)
    y = X[:, 0] if regressor else (X[:, 0] > 0.5).astype(int)
    sw = np.asarray(weights)
    est = (hl.MLPRegressor if regressor else hl.MLPClassifier)(hidden_layer_sizes=(4,), solver=solver, max_iter=1)
    if (sw < 0).any():
        with pytest.raises(ValueError, match=_NEG) as info:
            est.fit(X, y, sample_weight=sw)
        first = int(np.argmax(sw < 0))
        assert info.value.args[0].startswith(f"sample_weight must be >= 0. Received: sample_weight[{first}]={sw[first]:g} ({int((sw < 0).sum())} negative);")
        assert not hasattr(est, "network_")
    elif (sw > 0).any():  # weights >= 0, not all zero: trains
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_negative_weight_leaves_a_fitted_model_as_it_was(solver: str) -> None:
    # lbfgs trained on negative weights silently before; adam refused them inside train()
    X = np.random.RandomState(0).rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    est = hl.MLPClassifier((4,), solver=solver, max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    proba, curve = est.predict_proba(X), list(est.loss_curve_)
    sw = np.ones(40)
    sw[7] = -0.5
    with pytest.raises(ValueError, match=r"sample_weight\[7\]=-0\.5 \(1 negative\).*Drop those rows or give them weight 0\.$"):
        est.fit(X, y, sample_weight=sw)
    if solver != "lbfgs":
        with pytest.raises(ValueError, match=r"sample_weight\[7\]=-0\.5"):
            est.partial_fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    assert est.loss_curve_ == curve


def test_scikit_learn_s_mlp_accepts_negative_weights_which_we_refuse() -> None:
    """The difference is deliberate (see check_sample_weight); this pins what sklearn does, so a change there shows."""
    X = np.random.RandomState(0).rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    sw = np.ones(40)
    sw[0] = -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SkMLPClassifier((4,), max_iter=5, random_state=0).fit(X, y, sample_weight=sw)  # no error
    assert "sample_weight" in _error(lambda: hl.MLPClassifier((4,), max_iter=5).fit(X, y, sample_weight=sw))


@pytest.mark.parametrize(("col", "message"), [
    (pd.date_range("2020-01-01", periods=20), r"^X's column 'c' holds dates and times \(datetime64\[.*\]\), which the network cannot read: turn it into real numbers first \(e\.g\. days since"),
    (pd.date_range("2020-01-01", periods=20, tz="UTC"), r"^X's column 'c' holds dates and times \(datetime64\[.*, UTC\]\)"),
    (pd.to_timedelta(np.arange(20), unit="s"), r"^X's column 'c' holds durations \(timedelta64\[.*\]\).*total_seconds\(\)"),
    (np.arange(20) + 1j, r"^X's column 'c' holds complex numbers \(complex128\).*np\.abs"),
    (pd.Series(["a", "b"] * 10, dtype="string[pyarrow]"), r"^X has non-numeric values \(could not convert string to float: 'a', in column 'c'\)"),
    (pd.Categorical(["a", "b"] * 10), r"^X has non-numeric values \(could not convert string to float: 'a', in column 'c'\)"),
])
def test_a_dataframe_column_the_network_cannot_read_is_named(col: object, message: str) -> None:
    # before: NumPy's DTypePromotionError (no column named), sklearn's "Complex data not supported", or a value without its column
    X = pd.DataFrame({"x": np.arange(20.0), "c": col})
    for est in (hl.MLPClassifier(max_iter=2), hl.MLPRegressor(max_iter=2)):
        with pytest.raises(hl.DataError, match=message):
            est.fit(X, np.arange(20) % 2)


def test_nullable_and_bool_dataframe_columns_fit_as_numbers() -> None:
    X = pd.DataFrame({"i": pd.array(range(20), dtype="Int64"), "f": pd.array(np.linspace(0, 1, 20), dtype="Float64"),
                      "b": pd.array([True, False] * 10, dtype="boolean"), "flag": [True, False] * 10})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = hl.MLPClassifier(max_iter=3, random_state=0).fit(X, np.arange(20) % 2)
    assert list(m.feature_names_in_) == ["i", "f", "b", "flag"]
    assert np.array_equal(m.predict_proba(X), m.predict_proba(X.astype(np.float64)))
    with pytest.raises(ValueError, match="Input X contains NaN"):  # pd.NA is missing, refused as NaN is (as scikit-learn does)
        m.predict(X.assign(i=pd.array([None] + list(range(19)), dtype="Int64")))


ONE_D = (
    "X must be 2-D (n_samples, n_features). Received shape (3,). Reshape your data with X.reshape(-1, 1) "
    "if it holds one feature, or X.reshape(1, -1) if it is one sample."
)


@pytest.fixture(scope="module")
def fitted_small() -> dict[str, hl.MLPClassifier | hl.MLPRegressor]:
    """A classifier and a regressor fitted on 20 rows of 3 features, fitted once for the module; tests take a deep copy."""
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 3)), np.arange(20) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {kind: cls(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
                for kind, cls in (("classifier", hl.MLPClassifier), ("regressor", hl.MLPRegressor))}


@pytest.mark.parametrize("kind,method", [("classifier", m) for m in ("fit", "partial_fit", "predict", "predict_proba", "score")]
                         + [("regressor", m) for m in ("fit", "partial_fit", "predict", "score")])
@pytest.mark.parametrize("form", ["array", "list", "series"])
def test_one_d_X_is_one_line_naming_the_shape_and_both_reshapes(method: str, kind: str, form: str, fitted_small: dict) -> None:
    """scikit-learn's message spans three lines and prints every value; ours is one line, still a ValueError."""
    cls = hl.MLPClassifier if kind == "classifier" else hl.MLPRegressor
    row = np.array([0.25, 1.5, 7.125])
    X = {"array": row, "list": row.tolist(), "series": pd.Series(row)}[form]
    y = np.array([0, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = cls(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
        if method not in ("fit", "partial_fit"):  # the fitted model's methods: one fit per module, not one per case
            model = copy.deepcopy(fitted_small[kind])
        call = {
            "fit": lambda: model.fit(X, y),
            "partial_fit": lambda: model.partial_fit(X, y, classes=[0, 1]) if kind == "classifier" else model.partial_fit(X, y),
            "predict": lambda: model.predict(X),
            "predict_proba": lambda: model.predict_proba(X),
            "score": lambda: model.score(X, y),
        }[method]
        with pytest.raises(DataError) as info:
            call()
    assert str(info.value) == ONE_D


@pytest.mark.parametrize("kw", [{}, {"early_stopping": True}, {"solver": "lbfgs"}])
def test_fit_refuses_a_value_beyond_float32_naming_it_where_the_network_computes_in_float32(kw):
    """1e39 in X or a regression's y is infinite in the float32 network: one ValueError naming the cell, before any training
    (it was 'Solver produced non-finite parameter weights', or a fit on garbage); a float64 network takes it."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    X[3, 1] = 1e39
    with pytest.raises(ValueError, match=re.escape("X[3, 1] = 1e+39 is beyond float32's range (±3.4e38)")):
        hl.MLPRegressor(max_iter=2, **kw).fit(X, y)
    X[3, 1], y[5] = 0.0, -2e39
    with pytest.raises(ValueError, match=re.escape("y[5] = -2e+39 is beyond float32's range") + ".*dtype='float64'"):
        hl.MLPRegressor(max_iter=2, scale_target=True, **kw).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.MLPRegressor(max_iter=2, dtype="float64", **kw).fit(X, y / 1e30)  # within range once rescaled
        hl.MLPClassifier(max_iter=2, **kw).fit(np.where(np.abs(X) < 10, X, 0), (y > 0).astype(int))


@pytest.mark.parametrize("kw", [{}, {"hidden_layer_sizes": "6:batchnorm"}])  # the NumPy path, and the PyTorch one (a norm layer)
def test_predict_refuses_a_value_beyond_float32_as_fit_does(kw):
    """1e39 in a row to predict was cast to inf in the float32 network: NaN outputs, a silent class 0 (or NaN) and an
    'overflow encountered in cast' RuntimeWarning. Now one ValueError naming the cell, on the NumPy and the PyTorch path."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = hl.MLPRegressor(max_iter=2, **kw).fit(X, y)
        clf = hl.MLPClassifier(max_iter=2, **kw).fit(X, (y > 0).astype(int))
        wide = hl.MLPClassifier(max_iter=2, dtype="float64", **kw).fit(X, (y > 0).astype(int))
    X[3, 1] = -1e39
    message = re.escape("X[3, 1] = -1e+39 is beyond float32's range (±3.4e38), in which the network computes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning before the error
        for call in (reg.predict, clf.predict, clf.predict_proba, clf.predict_log_proba):
            with pytest.raises(ValueError, match=message):
                call(X)
        assert np.isfinite(wide.predict_proba(np.where(np.abs(X) < 1e30, X, 1e30))).all()  # float64 takes large values
        assert np.isfinite(clf.predict_proba(np.delete(X, 3, axis=0))).all()  # the other rows are fine


@pytest.mark.parametrize(("values", "shown"), [
    (np.arange(60).astype("datetime64[D]").reshape(20, 3), r"dates and times \(datetime64\[D\]\).*np\.timedelta64\(1, 'D'\), days since the first"),
    (np.arange(60).astype("timedelta64[s]").reshape(20, 3), r"durations \(timedelta64\[s\]\).*X / np\.timedelta64\(1, 's'\), seconds"),
    (np.ones((20, 3)) + 1j, r"complex numbers \(complex128\).*np\.abs\(X\) or X\.real"),
])
def test_an_array_of_dates_durations_or_complex_numbers_is_one_line(values: np.ndarray, shown: str) -> None:
    # dates and durations were read as counts of their unit without a word (other numbers in another unit); complex numbers
    # were scikit-learn's "Complex data not supported" and a printout of every value (its first words are kept: its
    # check_complex_data requires them)
    y = np.arange(20) % 2
    lead = "Complex data not supported: " if values.dtype.kind == "c" else ""
    for call in (lambda: hl.MLPClassifier((3,), max_iter=1).fit(values, y), lambda: hl.Autoencoder(max_iter=1).fit(values)):
        with pytest.raises(hl.DataError, match=rf"^{lead}X holds {shown}\)\.$"):
            call()
