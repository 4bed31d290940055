"""A streamed fit with a weight column (``ParquetSource(weight=)``): the in-memory fit's weighted loss, split and score."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource


@pytest.fixture
def chunky(monkeypatch) -> None:
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)  # 4 chunks a pass: the chunks' losses must add up as the epoch's


def _weighted_frame(n: int = 400, zero: int = 61, low: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(n, 3)), columns=list("abc"))
    df["y"] = (df["a"] + 0.5 * rng.normal(size=n) > 0).astype(int)
    df["w"] = rng.integers(low, 4, size=n).astype(float)
    df.loc[: zero - 1, "w"] = 0.0  # the first batch (rows 0-49) weighs nothing: skipped, as in memory
    return df


def _sgd(est: type = hl.MLPClassifier, **kw: Any) -> Any:
    settings = {"hidden_layer_sizes": (4,), "solver": "sgd", "shuffle": False, "batch_size": 50, "random_state": 0, "dtype": "float64",
                "learning_rate_init": 0.1, "max_iter": 4, "n_iter_no_change": 100, "alpha": 1e-3}
    return est(**{**settings, **kw})


def _same(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9, atol=0)
    for p, q in zip([*a.coefs_, *a.intercepts_], [*b.coefs_, *b.intercepts_]):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-10)


@pytest.mark.parametrize(("class_weight", "zero"), [(None, 100), ({0: 1.0, 1: 3.0}, 100), ("balanced", 100), (None, 200)])
def test_a_weighted_streamed_fit_is_the_in_memory_fit_with_those_weights(tmp_path, chunky, class_weight, zero: int) -> None:
    """The source's rows in its reading order, fitted in memory with sample_weight=, take the same steps: the weights
    (times class_weight; 'balanced' from the unweighted label counts, as compute_sample_weight) weigh every batch's loss,
    the all-zero first chunk (zero=100; 200: two) is a no-op partial_fit, as its rows are absent in memory (estimators/_zero_weight:
    so the batches line up, the rest weigh 1-3), and the epochs' losses are sum(w·loss)/sum(w). Before, the weights were never read."""
    df = _weighted_frame(zero=zero, low=1)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", weight="w")
    X, y, w = next(src.weighted_chunks(range(len(src.units)), rows=400))
    np.testing.assert_array_equal(w, df["w"].to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        in_memory = _sgd(class_weight=class_weight).fit(X, y, sample_weight=w)
        streamed = _sgd(class_weight=class_weight).fit(src)
        unweighted = _sgd(class_weight=class_weight).fit(ParquetSource(str(tmp_path), target="y", features=list("abc")))
    _same(streamed, in_memory)
    assert streamed.t_ == in_memory.t_
    assert not np.allclose(unweighted.loss_curve_, streamed.loss_curve_)


def test_a_weighted_streamed_regressor_with_early_stopping_scores_its_held_out_units_weighted(tmp_path, chunky) -> None:
    """The held-out units' R² is weighted (scikit-learn's r2_score with sample_weight), as the in-memory split's score is."""
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(500, 2)), columns=["a", "b"])
    df["y"] = 2 * df["a"] - df["b"] + 0.3 * rng.normal(size=500)
    df["w"] = rng.uniform(0, 3, size=500)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", weight="w")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd(hl.MLPRegressor, early_stopping=True, validation_fraction=0.2, max_iter=3).fit(src)
    held = ParquetSource(str(tmp_path), target="y", weight="w")
    # the held-out unit, scored now (the kept weights are the best epoch's, so its score is the best one)
    from hiddenlayers.estimators._stream_plan import plan_units

    val_units = plan_units(est, held, held.scan(), False, 1)[0]
    X, y, w = next(held.weighted_chunks(val_units, rows=10_000))
    assert est.best_validation_score_ == pytest.approx(r2_score(y, est._predict_validated(X), sample_weight=w), rel=1e-9)
    assert est.best_validation_score_ != pytest.approx(r2_score(y, est._predict_validated(X)), rel=1e-6)


def test_weight_two_is_a_row_written_twice_when_each_epoch_is_one_batch(tmp_path) -> None:
    """One batch an epoch (batch_size above the rows): a row of weight 2 is that row twice, a row of weight 0 is no row.
    Categorical features only, so the preprocessing (one-hot, no scaling) is the same for both sources."""
    rng = np.random.default_rng(2)
    n = 120
    # clearly unequal category counts: the one-hot columns (ordered by count) come in the same order from both sources
    df = pd.DataFrame({"a": rng.choice(list("pqr"), n, p=[0.6, 0.3, 0.1]), "b": rng.choice(list("st"), n, p=[0.75, 0.25])})
    df["y"] = ((df["a"] == "p") ^ (rng.uniform(size=n) < 0.2)).astype(int)
    df["w"] = rng.integers(0, 3, size=n).astype(float)
    (tmp_path / "w").mkdir()
    (tmp_path / "d").mkdir()
    df.to_parquet(tmp_path / "w" / "t.parquet", index=False)
    df.loc[df.index.repeat(df["w"].astype(int))].drop(columns="w").to_parquet(tmp_path / "d" / "t.parquet", index=False)
    sources = ParquetSource(str(tmp_path / "w"), target="y", weight="w"), ParquetSource(str(tmp_path / "d"), target="y")
    def encoding(state: dict) -> dict:  # what transform does; the stored training frequencies (the attribution baseline's) count rows
        return {**state, "columns": [{k: v for k, v in c.items() if k not in ("frequencies", "missing_rate")} for c in state["columns"]]}

    assert encoding(sources[0].scan().preprocessor.to_dict()) == encoding(sources[1].scan().preprocessor.to_dict())
    kw = {"batch_size": 1000, "solver": "adam", "learning_rate_init": 0.05, "max_iter": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted, twice = (_sgd(**kw).fit(src) for src in sources)
    np.testing.assert_allclose(weighted.loss_curve_, twice.loss_curve_, rtol=1e-9)
    for p, q in zip(weighted.coefs_, twice.coefs_):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-9)


def test_weights_all_zero_in_the_held_out_or_training_units_are_refused_before_a_step(tmp_path) -> None:
    df = _weighted_frame(300)
    df["w"] = 0.0
    df.loc[200:, "w"] = 1.0  # only the last of 3 units weighs anything
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", weight="w")
    with pytest.raises(ValueError, match="held out for early stopping all have weight 0"):
        _sgd(early_stopping=True, validation_fraction=0.34, random_state=3).fit(src)
    with pytest.raises(ValueError, match="left to train on .* all have weight 0"):
        _sgd(early_stopping=True, validation_fraction=0.34, random_state=0).fit(src)
    est = _sgd(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(src)  # without a split, the one weighted unit trains
    assert np.isfinite(est.loss_)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_streamed_fit_counts_the_rows_of_weight_zero_of_mixed_chunks_as_the_in_memory_fit_does(tmp_path, chunky, solver) -> None:
    """Rows of weight 0 inside chunks that also hold weighted rows: the streamed fit counted them in t_ (which invscaling
    reads), the in-memory fit (which leaves them out before training) did not. Both now count the rows of weight > 0."""
    df = _weighted_frame(zero=0, low=0)  # about a quarter of the rows weigh 0, spread through every chunk
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", weight="w")
    X, y, w = next(src.weighted_chunks(range(len(src.units)), rows=400))
    assert 0 < (w == 0).sum() < 400
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        in_memory = _sgd(solver=solver).fit(X, y, sample_weight=w)
        streamed = _sgd(solver=solver).fit(src)
    assert streamed.t_ == in_memory.t_ == 4 * int((w > 0).sum())
