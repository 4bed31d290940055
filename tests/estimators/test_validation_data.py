"""fit(X, y, X_val=, y_val=, sample_weight_val=): the user's own held-out rows for early stopping (estimators/_validation_data)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


def _iris() -> tuple[np.ndarray, ...]:
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    order = np.random.RandomState(0).permutation(len(y))
    tr, va = order[:100], order[100:]
    return X[tr], y[tr], X[va], y[va]


class _ByHand(hl.Callback):
    """The held-out score of the network as each epoch left it, computed here from its raw outputs."""

    def __init__(self, X_val: np.ndarray, score: Any) -> None:
        self.X_val, self.score, self.scores = torch.as_tensor(X_val, dtype=torch.float32), score, []

    def on_epoch_end(self, *, network: Any, **kwargs: Any) -> None:
        with torch.no_grad():
            self.scores.append(self.score(network(self.X_val).numpy()))


def test_classifier_scores_are_the_given_rows_weighted_by_sample_weight_val() -> None:
    X, y, Xv, yv = _iris()
    wv = np.random.RandomState(1).uniform(0.2, 3.0, len(yv))
    by_hand = _ByHand(Xv, lambda z: accuracy_score(yv, z.argmax(axis=1), sample_weight=wv))
    clf = hl.MLPClassifier((8,), early_stopping=True, max_iter=15, n_iter_no_change=100, learning_rate_init=0.01,
                           random_state=0, callbacks=[by_hand])
    _quiet(clf.fit, X, y, X_val=Xv, y_val=yv, sample_weight_val=wv)
    assert len(by_hand.scores) == clf.n_iter_ == 15
    assert clf.validation_scores_ == pytest.approx(by_hand.scores, abs=1e-12)
    assert list(clf.history_.val_score) == clf.validation_scores_
    assert clf.best_validation_score_ == pytest.approx(max(by_hand.scores))
    assert len(set(clf.validation_scores_)) > 3  # the scores moved: a weighted accuracy of 50 rows, not a constant


def test_regressor_r2_on_the_given_rows_and_no_row_of_X_held_out() -> None:
    X, y = load_diabetes(return_X_y=True)
    X, y = StandardScaler().fit_transform(X), (y - y.mean()) / y.std()
    X, y, Xv, yv = X[:340], y[:340], X[340:], y[340:]  # a fixed later block, not a random draw
    by_hand = _ByHand(Xv, lambda z: r2_score(yv, z[:, 0]))
    reg = hl.MLPRegressor(hidden_layer_sizes=(16,), early_stopping=True, max_iter=12, n_iter_no_change=100, learning_rate_init=0.01,
                          random_state=0, callbacks=[by_hand])
    _quiet(reg.fit, X, y, X_val=Xv, y_val=yv)
    assert reg.validation_scores_ == pytest.approx(by_hand.scores, abs=1e-6)
    assert reg.t_ == reg.n_iter_ * 340  # every row of X trained, each epoch
    split = _quiet(hl.MLPRegressor(hidden_layer_sizes=(16,), early_stopping=True, max_iter=12, n_iter_no_change=100, random_state=0).fit, X, y)
    assert split.t_ == split.n_iter_ * 306  # without X_val: validation_fraction=0.1 of the 340 rows held out


def test_stops_on_the_given_rows_and_keeps_their_best_epoch() -> None:
    X, y, Xv, yv = _iris()
    clf = _quiet(hl.MLPClassifier((8,), early_stopping=True, max_iter=300, n_iter_no_change=5, learning_rate_init=0.05, random_state=0).fit,
                 X, y, X_val=Xv, y_val=yv)
    assert clf.stop_reason_ == "no_improvement_validation_score" and clf.n_iter_ < 300
    assert clf.score(Xv, yv) == pytest.approx(clf.best_validation_score_)  # the kept weights are the best epoch's on X_val


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"X_val": "X"}, "X_val is provided, but y_val was not provided"),
    ({"y_val": "y"}, "y_val is provided, but X_val was not provided"),
    ({"sample_weight_val": "w"}, "sample_weight_val weights the rows of X_val and needs X_val and y_val"),
    ({"X_val": "X3", "y_val": "y"}, "X_val: X has 3 features, but MLPClassifier is expecting 4"),
    ({"X_val": "Xnan", "y_val": "y"}, "X_val: Input X contains NaN. 1 of 50 row(s) hold a missing value (NaN, None or pd.NA) (first: row 3, column 1): "),
    ({"X_val": "X", "y_val": "y7"}, "y_val holds labels that y does not (7)"),
    ({"X_val": "X", "y_val": "y", "sample_weight_val": "w0"}, "sample_weight_val is 0 for every row"),
    ({"X_val": "X", "y_val": "y", "sample_weight_val": "wneg"}, "sample_weight_val: sample_weight must be >= 0"),
    ({"X_val": "X", "y_val": "y_short"}, "X_val has 50 rows and y_val 49"),
    ({"X_val": "X1", "y_val": "y1"}, "X_val has 1 row(s): early stopping scores at least 2"),
])
def test_refusals_in_one_line_and_the_model_unchanged(kwargs: dict[str, str], words: str) -> None:
    X, y, Xv, yv = _iris()
    Xnan = Xv.copy()
    Xnan[3, 1] = np.nan
    y7 = yv.copy()
    y7[0] = 7
    values = {"X": Xv, "y": yv, "w": np.ones(len(yv)), "X3": Xv[:, :3], "Xnan": Xnan, "y7": y7, "w0": np.zeros(len(yv)),
              "wneg": -np.ones(len(yv)), "y_short": yv[:-1], "X1": Xv[:1], "y1": yv[:1]}
    clf = hl.MLPClassifier((4,), early_stopping=True, max_iter=3, random_state=0)
    with pytest.raises(ValueError) as err:
        clf.fit(X, y, **{k: values[v] for k, v in kwargs.items()})
    assert words in str(err.value) and "\n" not in str(err.value)
    assert not hasattr(clf, "network_") and not hasattr(clf, "classes_")  # a refused first fit leaves no fitted model


@pytest.mark.parametrize(("params", "words"), [
    ({"early_stopping": False}, "X_val and y_val are passed to fit while early_stopping=False"),
    ({"solver": "lbfgs"}, "solver='lbfgs' runs no early stopping"),
])
def test_refused_where_early_stopping_does_not_run(params: dict[str, Any], words: str) -> None:
    X, y, Xv, yv = _iris()
    est = hl.MLPClassifier((4,), max_iter=3, random_state=0, **{"early_stopping": True, **params})
    with pytest.raises(ValueError, match="X_val and y_val") as err:
        est.fit(X, y, X_val=Xv, y_val=yv)
    assert words in str(err.value) and ("Set early_stopping=True" in str(err.value) or "solver='adam'" in str(err.value))


def test_dataframe_columns_checked_by_name_and_order() -> None:
    X, y, Xv, yv = _iris()
    cols = ["a", "b", "c", "d"]
    df, dfv = pd.DataFrame(X, columns=cols), pd.DataFrame(Xv, columns=cols)
    clf = _quiet(hl.MLPClassifier((4,), early_stopping=True, max_iter=3, random_state=0).fit, df, y, X_val=dfv, y_val=yv)
    assert len(clf.validation_scores_) == 3
    with pytest.raises(ValueError, match="X_val: The feature names should match those that were passed during fit"):
        clf.fit(df, y, X_val=dfv[["b", "a", "c", "d"]], y_val=yv)
    with pytest.raises(ValueError, match="X_val: The feature names should match"):
        clf.fit(df, y, X_val=dfv.rename(columns={"d": "e"}), y_val=yv)


def test_regressor_y_val_checked() -> None:
    X, y = load_diabetes(return_X_y=True)
    reg = hl.MLPRegressor(hidden_layer_sizes=(4,), early_stopping=True, max_iter=2)
    bad = y[:40].copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match="y_val: Input y_val contains NaN"):
        reg.fit(X[40:], y[40:], X_val=X[:40], y_val=bad)
    with pytest.raises(ValueError, match=r"y_val has shape \(40, 2\) and y \(402,\)"):
        reg.fit(X[40:], y[40:], X_val=X[:40], y_val=np.c_[y[:40], y[:40]])


def test_streamed_fit_takes_x_val(tmp_path: Any) -> None:
    """(Refused before feat/streamval; the streamed rules: tests/estimators/test_fit_stream_validation.py.)"""
    X, y, Xv, yv = _iris()
    path = tmp_path / "t.parquet"
    pd.DataFrame(X, columns=list("abcd")).assign(t=y).to_parquet(path)
    clf = _quiet(hl.MLPClassifier((4,), early_stopping=True, max_iter=2).fit, hl.data.ParquetSource(str(path), target="t"), X_val=Xv, y_val=yv)
    assert len(clf.validation_scores_) == 2 and clf.t_ == 2 * len(y)


def test_grid_search_passes_the_validation_rows_to_every_fit() -> None:
    X, y, Xv, yv = _iris()
    est = hl.MLPClassifier((4,), early_stopping=True, max_iter=4, n_iter_no_change=100, random_state=0)
    search = _quiet(GridSearchCV(est, {"alpha": [1e-4, 1e-2]}, cv=2).fit, X, y, X_val=Xv, y_val=yv)
    best = search.best_estimator_
    assert best.t_ == 4 * len(y)  # the refit on all of X: no row held out
    alone = _quiet(hl.MLPClassifier((4,), early_stopping=True, max_iter=4, n_iter_no_change=100, random_state=0,
                                    alpha=best.alpha).fit, X, y, X_val=Xv, y_val=yv)
    assert best.validation_scores_ == alone.validation_scores_


def test_metadata_routing_through_grid_search_and_pipeline_transform_input() -> None:
    X, y, Xv, yv = _iris()
    X, Xv = X * 5 + 3, Xv * 5 + 3  # unscaled: the pipeline's scaler matters
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = hl.MLPClassifier((4,), early_stopping=True, max_iter=4, n_iter_no_change=100, random_state=0)
        mlp.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)], transform_input=["X_val"])
        fitted = _quiet(pipe.fit, X, y, X_val=Xv, y_val=yv)
        search = _quiet(GridSearchCV(pipe, {"mlp__alpha": [1e-4, 1e-2]}, cv=2).fit, X, y, X_val=Xv, y_val=yv)
    scaler = StandardScaler().fit(X)
    by_hand = _quiet(hl.MLPClassifier((4,), early_stopping=True, max_iter=4, n_iter_no_change=100, random_state=0).fit,
                     scaler.transform(X), y, X_val=scaler.transform(Xv), y_val=yv)
    assert fitted[-1].validation_scores_ == by_hand.validation_scores_  # X_val scaled as fitted on X
    assert search.best_estimator_[-1].t_ == 4 * len(y)


def test_the_rule_over_every_combination() -> None:
    """Refused exactly when scikit-learn's pairing is broken (X_val without y_val or the reverse, sample_weight_val without
    them) or early stopping does not run (early_stopping=False, lbfgs); otherwise the given rows are the scored ones."""
    import itertools

    X, y, Xv, yv = _iris()
    for has_x, has_y, has_w, early, solver in itertools.product((False, True), (False, True), (False, True), (False, True), ("adam", "lbfgs")):
        kwargs = {k: v for k, v, on in (("X_val", Xv, has_x), ("y_val", yv, has_y), ("sample_weight_val", np.ones(len(yv)), has_w)) if on}
        given = has_x or has_y
        refused = (has_x != has_y) or (has_w and not given) or (given and (not early or solver == "lbfgs"))
        est = hl.MLPClassifier((3,), early_stopping=early, solver=solver, max_iter=2, random_state=0)
        if refused:
            with pytest.raises(ValueError, match="X_val|y_val|sample_weight_val"):
                est.fit(X, y, **kwargs)
            assert not hasattr(est, "network_")
        else:
            _quiet(est.fit, X, y, **kwargs)
            if given:  # every row of X trained; one score per epoch
                assert est.t_ == est.n_iter_ * len(y) and len(est.validation_scores_) == est.n_iter_
