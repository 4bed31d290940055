"""cost() and prune() of a fitted scikit-learn Pipeline ending in our MLP: the last step's figures on the rows through the steps
before it, equal to the two-step call they used to ask for; prune gives back a Pipeline of the same fitted steps."""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl
from hiddenlayers.rightsize import cost, prune


@pytest.fixture(scope="module")
def pipe(iris_raw) -> Pipeline:
    X, y = iris_raw
    with warnings.catch_warnings():  # a few epochs: ConvergenceWarning
        warnings.simplefilter("ignore")
        return make_pipeline(StandardScaler(), PCA(3), hl.MLPClassifier((16, 8), max_iter=30, random_state=0, engine="autograd")).fit(X, y)


_FIGURES = ("params", "flops_per_prediction", "flops_per_train_step", "train_batch_size", "weight_bytes", "activation_bytes", "epoch_samples")


def test_cost_of_a_pipeline_is_its_last_steps_on_the_transformed_rows(pipe, iris_raw) -> None:
    X, _ = iris_raw
    r = cost(pipe, X=X, n_calls=10, throughput_batch=16, per_layer_latency=False)
    two = cost(pipe[-1], X=pipe[:-1].transform(X), n_calls=10, throughput_batch=16, per_layer_latency=False)
    assert [getattr(r, f) for f in _FIGURES] == [getattr(two, f) for f in _FIGURES]
    assert [(lc.name, lc.in_features, lc.out_features, lc.flops_per_prediction, lc.activation_bytes) for lc in r.layers] == \
        [(lc.name, lc.in_features, lc.out_features, lc.flops_per_prediction, lc.activation_bytes) for lc in two.layers]
    assert r.layers[0].in_features == 3  # PCA's 3 components, not the 4 raw columns
    assert r.pipeline == ["standardscaler: StandardScaler", "pca: PCA", "mlpclassifier: MLPClassifier"] and two.pipeline is None
    assert r.latency_predict_p50_us is not None  # X passed through the steps: pipe[-1].predict takes it
    note = ("the Pipeline's steps before MLPClassifier, 'standardscaler' (StandardScaler), 'pca' (PCA), are not counted: every figure is "
            "MLPClassifier's, on X transformed by them; predict() is pipe[-1].predict")
    assert r.notes[0] == note and r.notes[1:] == two.notes
    text = " ".join(str(r).split())
    assert "cost of Pipeline(standardscaler: StandardScaler, pca: PCA, mlpclassifier: MLPClassifier) on cpu" in text
    assert note in text
    assert r.to_dict()["pipeline"] == r.pipeline
    bare = cost(pipe, n_calls=10, throughput_batch=16, per_layer_latency=False)  # no X: random rows of the network's width
    assert bare.flops_per_prediction == r.flops_per_prediction and "on random rows of the network's width (pass X= for real ones)" in bare.notes[0]


def test_cost_of_a_pipeline_refuses_what_it_cannot_use(pipe, iris_raw) -> None:
    X, _ = iris_raw
    with pytest.raises(ValueError, match=r"^example_input= and input_shape= are for a plain torch\.nn\.Module; a Pipeline makes its own inputs"):
        cost(pipe, example_input=torch.zeros(2, 3), n_calls=10)
    with pytest.raises(ValueError, match=r"^X is empty: pass at least one input to time the model on\.$"):
        cost(pipe, X=X[:0], n_calls=10)
    with pytest.raises(ValueError, match="X has 2 features, but StandardScaler is expecting 4"):  # scikit-learn's own words, one line
        cost(pipe, X=X[:, :2], n_calls=10)


def test_prune_of_a_pipeline_prunes_its_last_step_and_keeps_the_fitted_steps(pipe, iris_raw, tmp_path) -> None:
    X, y = iris_raw
    settings = {"max_drop": 0.2, "cv": 3, "search_steps": 2, "fine_tune_epochs": 2, "latency_calls": 0}
    small = prune(pipe, X, y, **settings)
    two = prune(pipe[-1], pipe[:-1].transform(X), y, **settings)
    assert type(small) is Pipeline and [name for name, _ in small.steps] == [name for name, _ in pipe.steps]
    assert small[0] is pipe[0] and small[1] is pipe[1]  # the same fitted steps, not refitted
    assert small[-1] is not pipe[-1] and pipe[-1].hidden_layer_sizes == (16, 8)  # the model given is unchanged
    r, r2 = small.prune_report_, two.prune_report_
    assert r is small[-1].prune_report_ and r.cut
    for name in ("units_before", "units_after", "params_before", "params_after", "score_before", "score_after", "ratio", "drop", "drop_high", "tried"):
        assert getattr(r, name) == getattr(r2, name), name
    assert r.units_after != r.units_before
    assert np.isnan(r.pipeline_b1_before_us) and np.isnan(r.pipeline_b1_after_us) and r2.pipeline_b1_before_us is None  # not timed
    for a, b in zip(small[-1].network_.parameters(), two.network_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(small.predict(X), two.predict(pipe[:-1].transform(X)))  # raw rows in, through the steps
    path = tmp_path / "small.safetensors"
    hl.save(small, path)
    back = hl.load(path)
    assert type(back) is Pipeline and back[-1].hidden_layer_sizes == small[-1].hidden_layer_sizes
    np.testing.assert_array_equal(back.predict(X), small.predict(X))


def test_prune_of_a_pipeline_says_what_is_not_fitted(pipe, iris_raw) -> None:
    X, y = iris_raw
    with pytest.raises(hl.NotFittedError, match="^" + re.escape("prune() needs a fitted model: this Pipeline's steps before MLPClassifier are not "
                                                                "fitted yet; call pipe.fit(X, y) first.") + "$"):
        prune(make_pipeline(StandardScaler(), pipe[-1]), X, y)
    with pytest.raises(ValueError, match="X has 2 features, but StandardScaler is expecting 4"):
        prune(pipe, X[:, :2], y)


def test_a_one_hot_step_s_sparse_rows_are_measured_and_pruned() -> None:
    """A ColumnTransformer with a OneHotEncoder hands the MLP a SciPy sparse matrix (which the MLP fits on): cost said
    "sparse array length is ambiguous" and prune "Sparse data was passed, but dense data is required"."""
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=120), "c": rng.choice(list("xyz"), 120)})
    y = ((df["a"] > 0) ^ (df["c"] == "x")).astype(int)
    steps = make_column_transformer((StandardScaler(), ["a"]), (OneHotEncoder(), ["c"]), sparse_threshold=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sp = make_pipeline(steps, hl.MLPClassifier((8,), max_iter=20, random_state=0)).fit(df, y)
        dense = sp[:-1].transform(df).toarray()
        assert cost(sp, X=df).flops_per_prediction == cost(sp[-1], X=dense).flops_per_prediction
        pruned = prune(sp, df, y, cv=2, fine_tune_epochs=1, search_steps=2, random_state=0, latency_calls=20, big_batch=64)
        twice = prune(sp[-1], dense, y, cv=2, fine_tune_epochs=1, search_steps=2, random_state=0)
    assert pruned.prune_report_.units_after == twice.prune_report_.units_after
    assert pruned.predict(df).shape == (120,)


def test_prune_of_a_pipeline_times_the_whole_pipeline_and_the_network_alone(iris_raw) -> None:
    """prune(pipe) reported the MLP's predict latency on rows already transformed as 'predict' latency, though the steps
    (a TableEncoder, a one-hot step) may take longer than the network: the report now also times the whole Pipeline's predict
    on X as given, before and after, and labels which figure is which in its table, its repr and to_dict()."""
    from sklearn.preprocessing import FunctionTransformer

    X, y = iris_raw
    seen: list[int] = []  # the rows each call of the step got

    def noted(rows: np.ndarray) -> np.ndarray:
        seen.append(len(rows))
        return rows

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(StandardScaler(), FunctionTransformer(noted), hl.MLPClassifier((16, 8), max_iter=30, random_state=0)).fit(X, y)
    seen.clear()
    small = prune(pipe, X, y, max_drop=0.2, cv=3, search_steps=2, fine_tune_epochs=1, latency_calls=20, big_batch=64)
    r = small.prune_report_
    assert r.cut and r.pipeline == ["standardscaler: StandardScaler", "functiontransformer: FunctionTransformer", "mlpclassifier: MLPClassifier"]
    assert seen.count(len(X)) == 1  # the rows the MLP is pruned and timed on, transformed once
    assert seen.count(1) >= 2 * 20 and seen.count(64) >= 2 * 2  # batch-1 and big-batch predict of the Pipeline before and after
    figures = (r.pipeline_b1_before_us, r.pipeline_b1_after_us, r.pipeline_big_before_ms, r.pipeline_big_after_ms, r.latency_b1_after_us)
    assert all(np.isfinite(f) and f > 0 for f in figures)
    d = r.to_dict()
    assert d["pipeline"] == r.pipeline and d["pipeline_speedup_b1"] == pytest.approx(r.pipeline_b1_before_us / r.pipeline_b1_after_us)
    text = " ".join(str(r).split())
    assert "network alone: predict batch 1 (p50 µs)" in text and "whole Pipeline: predict batch 64 (p50 ms)" in text
    assert "'network alone' is the MLP's predict on rows its steps transformed (the steps not timed)" in text
    assert re.search(r"batch-1 predict [0-9.]+x as fast for the whole Pipeline \(latency before / after\), [0-9.]+x for its network alone", repr(r))
    slower = dataclasses.replace(r, pipeline_b1_after_us=2 * r.pipeline_b1_before_us)  # a ratio under 1 read "x0.50 faster"
    assert "batch-1 predict 0.50x as fast for the whole Pipeline" in repr(slower) and "faster" not in repr(slower)
    alone = prune(pipe[-1], pipe[:-1].transform(X), y, max_drop=0.2, cv=3, search_steps=2, fine_tune_epochs=1, latency_calls=0).prune_report_
    assert alone.pipeline is None and "network alone" not in str(alone) and "whole Pipeline" not in repr(alone)
    assert np.isnan(alone.to_dict()["pipeline_speedup_b1"])


def test_prune_of_a_pipeline_times_a_frame_as_a_frame() -> None:
    """The whole Pipeline is timed on X in its own form: a DataFrame's first row and tiled big batch stay DataFrames with
    its column names, which a step fitted on names needs (an array would make scikit-learn warn on every timed call)."""
    import pandas as pd

    from hiddenlayers.rightsize._prune.latency import timing_batches

    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    one, big = timing_batches(frame, 7)
    assert list(one.columns) == list(big.columns) == ["a", "b"] and len(one) == 1 and big["a"].tolist() == [1, 2, 3, 1, 2, 3, 1]
    from scipy import sparse

    one, big = timing_batches(sparse.csr_matrix(np.eye(3)), 5)
    assert sparse.issparse(big) and big.shape == (5, 3) and big.toarray()[3:].tolist() == [[1, 0, 0], [0, 1, 0]]
    assert timing_batches(["p", "q"], 3) == (["p"], ["p", "q", "p"])
    one, big = timing_batches(np.arange(6.0).reshape(3, 2), 4)
    assert one.tolist() == [[0, 1]] and big[:, 0].tolist() == [0, 2, 4, 0] and big.flags["C_CONTIGUOUS"]
