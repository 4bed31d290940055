"""hiddenlayers.TableEncoder: TablePreprocessor's encoding as a scikit-learn transformer (Pipeline, GridSearchCV, clone, set_output)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

import hiddenlayers as hl
from hiddenlayers.data import TablePreprocessor


def _cancer_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """breast_cancer with a text column (a size band of 'mean radius') and ~10 % missing cells in three columns."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.copy()
    X["band"] = pd.cut(X["mean radius"], [0, 12, 15, 100], labels=["small", "mid", "large"]).astype(object)
    rng = np.random.default_rng(0)
    for col in ("mean texture", "mean area", "band"):
        X.loc[rng.random(len(X)) < 0.1, col] = np.nan
    return X, y.to_numpy()


def test_pipeline_learns_on_a_frame_with_text_and_missing_values() -> None:
    X, y = _cancer_frame()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    pipe = Pipeline([("pre", hl.TableEncoder()), ("clf", LogisticRegression(max_iter=1000))]).fit(X_tr, y_tr)
    assert pipe.score(X_te, y_te) > 0.95
    pre = pipe.named_steps["pre"]
    # the same encoding as the preprocessing a model file stores
    np.testing.assert_array_equal(pre.transform(X_te), TablePreprocessor().fit(X_tr).transform(X_te).matrix)
    names = list(pre.get_feature_names_out())
    assert {"mean texture=<missing>", "band=small", "band=mid", "band=large", "band=<missing>"} <= set(names)
    assert list(pre.feature_names_in_) == list(X.columns) and pre.n_features_in_ == 31


@pytest.mark.filterwarnings("ignore::hiddenlayers.TableNoteWarning")  # max_categories=2 sends most cities to <other>
def test_grid_search_tunes_max_categories() -> None:
    rng = np.random.default_rng(1)
    city = rng.choice([f"c{i}" for i in range(8)], size=240)
    y = np.isin(city, ["c5", "c6", "c7"]).astype(int)  # only the rarer half of the cities tells the class
    X = pd.DataFrame({"x": rng.normal(size=240), "city": city})
    pipe = Pipeline([("pre", hl.TableEncoder()), ("clf", LogisticRegression())])
    grid = GridSearchCV(pipe, {"pre__max_categories": np.array([2, 10])}, cv=3).fit(X, y)
    assert grid.best_params_["pre__max_categories"] == 10  # 2 keeps one city and lumps the rest into <other>
    assert grid.cv_results_["mean_test_score"][0] < 0.8 < grid.cv_results_["mean_test_score"][1]
    assert len(grid.best_estimator_.named_steps["pre"].get_feature_names_out()) == 1 + 8


def test_clone_and_params() -> None:
    enc = hl.TableEncoder(max_categories=3).fit(pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "y"]}))
    assert enc.get_params() == {"max_categories": 3, "numeric_text_ratio": 0.9}
    fresh = clone(enc)
    assert fresh.get_params() == enc.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    with pytest.raises(NotFittedError):
        fresh.transform(pd.DataFrame({"a": [1.0], "c": ["x"]}))
    check_is_fitted(enc)
    bad = hl.TableEncoder(max_categories=1)  # checked at fit, as scikit-learn's estimators do
    with pytest.raises(ValueError, match="max_categories must be an integer >= 2"):
        bad.fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="numeric_text_ratio must be a number in"):
        hl.TableEncoder(numeric_text_ratio=0).fit(pd.DataFrame({"a": [1.0, 2.0]}))


def test_set_output_pandas_names_the_columns() -> None:
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "c": ["x", "y", "x", None]}, index=[10, 11, 12, 13])
    out = hl.TableEncoder().set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["a", "a=<missing>", "c=x", "c=y", "c=<missing>"]
    assert list(out.index) == [10, 11, 12, 13]
    assert out["c=<missing>"].tolist() == [0.0, 0.0, 0.0, 1.0]
    y = np.array([0, 1, 0, 1])
    pipe = Pipeline([("pre", hl.TableEncoder()), ("clf", LogisticRegression())]).set_output(transform="pandas").fit(X, y)
    assert list(pipe[:-1].transform(X).columns) == list(out.columns)
    plain = hl.TableEncoder().fit_transform(X)
    assert isinstance(plain, np.ndarray) and plain.dtype == np.float64


def test_notes_are_warnings_not_lost() -> None:
    enc = hl.TableEncoder().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]}))
    new = pd.DataFrame({"id": [7, 8], "c": ["z", "x"], "a": [np.nan, 2.0]})  # other order, an extra column, unseen, missing
    with pytest.warns(hl.TableNoteWarning) as caught:
        got = enc.transform(new)
    messages = [str(w.message) for w in caught if w.category is hl.TableNoteWarning]
    assert messages == enc.preprocessor_.transform(new).notes
    assert any("ignored 1 column(s) the model does not use: id" in m for m in messages)
    assert any("outside the categories kept in training" in m for m in messages)
    assert any("had none in training" in m for m in messages)
    np.testing.assert_array_equal(got, enc.preprocessor_.transform(new).matrix)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc.transform(pd.DataFrame({"c": ["y"], "a": [2.0]}))  # nothing to say: no warning
        # the training rows' own <other> values are the design, not news: fit_transform (a Pipeline's fit) says nothing
        train = pd.DataFrame({"c": ["x", "x", "y", "z"]})
        enc = hl.TableEncoder(max_categories=2)
        np.testing.assert_array_equal(enc.fit_transform(train), enc.preprocessor_.transform(train).matrix)
    with pytest.warns(hl.TableNoteWarning, match="outside the categories"):
        enc.transform(train)  # the same rows given again later are judged as new data


def test_columns_by_name_or_by_position() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]})
    enc = hl.TableEncoder().fit(X)
    np.testing.assert_array_equal(enc.transform(X[["c", "a"]]), enc.transform(X))  # by name
    import pyarrow as pa

    np.testing.assert_array_equal(enc.transform(pa.Table.from_pandas(X[["c", "a"]])), enc.transform(X))  # to_pandas()
    with pytest.raises(hl.DataError, match="'a'"):
        enc.transform(X[["c"]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(enc.transform(X.to_numpy()), enc.transform(X))
    arr = np.array([[1.0, 5.0], [2.0, np.nan], [3.0, 7.0]])
    by_pos = hl.TableEncoder().fit(arr)
    assert not hasattr(by_pos, "feature_names_in_") and by_pos.n_features_in_ == 2
    assert list(by_pos.get_feature_names_out()) == ["x0", "x1", "x1=<missing>"]
    with pytest.raises(ValueError, match="X has 3 features, but TableEncoder is expecting 2"):
        by_pos.transform(np.ones((2, 3)))
    with pytest.raises(TypeError, match="sparse"):
        by_pos.transform(__import__("scipy.sparse").sparse.csr_matrix(arr))
    with pytest.raises(ValueError, match="input_features is not equal"):
        enc.get_feature_names_out(["c", "a"])
    # a refit on unnamed data drops the last fit's names; an object array's numbers stay numbers (not categories)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        refit = enc.fit(X.to_numpy())
    assert not hasattr(refit, "feature_names_in_")
    assert list(refit.get_feature_names_out()) == ["x0", "x1=x", "x1=y"]


def test_notes_name_the_users_line_inside_a_pipeline() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": ["x", "y", "x", "y"]})
    pipe = Pipeline([("pre", hl.TableEncoder()), ("clf", LogisticRegression())]).fit(X, [0, 1, 0, 1])
    with pytest.warns(hl.TableNoteWarning) as caught:
        pipe.predict(X.assign(c=["z", "x", "y", "x"]))
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.filterwarnings("ignore::hiddenlayers.TableNoteWarning")
def test_fitted_preprocessor_is_the_model_file_state() -> None:
    X, _ = _cancer_frame()
    enc = hl.TableEncoder(max_categories=2).fit(X)
    again = TablePreprocessor.from_dict(json.loads(json.dumps(enc.preprocessor_.to_dict())))
    np.testing.assert_array_equal(again.transform(X).matrix, enc.transform(X))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(-1e6, 1e6)), st.sampled_from(["p", "q", "r", None])), min_size=2, max_size=12))
def test_same_matrix_as_the_preprocessor(rows: list[tuple[float | None, str | None]]) -> None:
    X = pd.DataFrame({"n": [r[0] for r in rows], "t": [r[1] for r in rows]}, dtype=object).astype({"n": float})
    if X["n"].isna().all() or X["t"].isna().all():
        with pytest.raises(hl.DataError, match="no values"):
            hl.TableEncoder().fit(X)
        return
    enc = hl.TableEncoder(max_categories=2)
    out = enc.fit_transform(X)
    np.testing.assert_array_equal(out, TablePreprocessor(max_categories=2).fit(X).transform(X).matrix)
    assert out.shape == (len(X), len(enc.get_feature_names_out()))


def test_table_preprocessor_in_a_pipeline_names_table_encoder() -> None:
    """TablePreprocessor.fit's second argument is where: a Pipeline's y there was taken silently (old code)."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    pipe = Pipeline([("pre", TablePreprocessor()), ("clf", LogisticRegression())])
    with pytest.raises(TypeError, match="use hl.TableEncoder"):
        pipe.fit(X, np.array([0, 1, 0, 1]))
    with pytest.raises(TypeError, match="second argument is where"):
        TablePreprocessor().fit(X).transform(X, [0, 1])


@parametrize_with_checks([hl.TableEncoder()])
def test_sklearn_estimator_checks(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def test_from_preprocessor_is_the_encoder_fit_leaves() -> None:
    """A stored preprocessing (a saved Pipeline's) gives back the fitted encoder, without a refit: same matrix, names, params."""
    from hiddenlayers.data import TableEncoder

    X = pd.DataFrame({"a": [1.0, None, 3.0, 4.0], "c": ["x", "y", "x", None]})
    fitted = TableEncoder(max_categories=3).fit(X)
    back = TableEncoder.from_preprocessor(TablePreprocessor.from_dict(fitted.preprocessor_.to_dict()), named=True, max_categories=3)
    assert back.get_params() == fitted.get_params() and list(back.feature_names_in_) == ["a", "c"] and back.n_features_in_ == 2
    assert (back.transform(X) == fitted.transform(X)).all()
    by_position = TableEncoder().fit(X.to_numpy())
    again = TableEncoder.from_preprocessor(by_position.preprocessor_, named=False)
    assert not hasattr(again, "feature_names_in_") and (again.transform(X.to_numpy()) == by_position.transform(X.to_numpy())).all()
    with pytest.raises(ValueError, match=r"^an encoder fitted by position names its columns x0, x1, \.\.\.; this preprocessing reads \['a', 'c'\]$"):
        TableEncoder.from_preprocessor(fitted.preprocessor_, named=False)


def test_a_frame_of_decimals_fits_as_its_floats_in_a_pipeline_and_in_the_estimators() -> None:
    # pandas.read_sql's NUMERIC column: object cells of Decimal. Before, TableEncoder one-hot encoded every distinct
    # amount (in a Pipeline with an MLP, and in `hiddenlayers train`); the estimators alone read it as floats already
    from decimal import Decimal

    rng = np.random.default_rng(0)
    cents = rng.integers(-5000, 5000, 40)
    floats = pd.DataFrame({"amount": cents / 100, "city": rng.choice(["a", "b"], 40)})
    decimals = floats.assign(amount=pd.Series([Decimal(int(c)).scaleb(-2) for c in cents], dtype=object))
    y = (cents > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [Pipeline([("pre", hl.TableEncoder()), ("clf", hl.MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0))]).fit(X, y)
                for X in (decimals, floats)]
        alone = [hl.MLPRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X[["amount"]], cents / 100) for X in (decimals, floats)]
    names = list(fits[0].named_steps["pre"].get_feature_names_out())
    assert names[0] == "amount" and len(names) == 3  # one numeric column, not a one-hot column per amount
    for X in (decimals, floats):  # fitted on either, given either: one answer
        assert np.array_equal(fits[0].predict_proba(X), fits[1].predict_proba(floats))
        assert np.array_equal(alone[0].predict(X[["amount"]]), alone[1].predict(floats[["amount"]]))
