"""``MLPRegressor(scale_target=True).fit(source)``: a streamed regression trains on y standardized by the statistics pass's
weighted mean and std (every row, as the in-memory fit's), and a checkpoint keeps that scaling for the resumed run."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

import hiddenlayers as hl
from fit_helpers import CrashAtBatch
from hiddenlayers.data import ParquetSource
from hiddenlayers.estimators import check_checkpoint


@pytest.fixture
def chunky(monkeypatch) -> None:
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)  # 4 chunks a pass


def _frame(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(n, 3)), columns=list("abc"))
    df["y"] = 300 + 80 * (2 * df["a"] - df["b"]) + 10 * rng.normal(size=n)  # a target in the hundreds, as diabetes'
    df["w"] = rng.integers(1, 4, size=n).astype(float)  # none 0: such rows are dropped per chunk streamed, before batching in memory
    return df


def _sgd(**kw: Any) -> hl.MLPRegressor:
    settings = {"hidden_layer_sizes": (4,), "solver": "sgd", "shuffle": False, "batch_size": 50, "random_state": 0, "dtype": "float64",
                "learning_rate_init": 0.1, "max_iter": 4, "n_iter_no_change": 100, "alpha": 1e-3, "scale_target": True}
    return hl.MLPRegressor(**{**settings, **kw})


@pytest.mark.parametrize("weight", [None, "w"])
def test_a_streamed_scaled_fit_is_the_in_memory_scaled_fit(tmp_path, chunky, weight) -> None:
    """The source's rows in reading order, fitted in memory (sample_weight= the weight column): the same target_mean_ and
    target_scale_ (weighted as StandardScaler), the same scaled losses and weights. Before, fit(source) refused scale_target."""
    df = _frame()
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", weight=weight, features=list("abc"))
    X, y, w = next(src.weighted_chunks(range(len(src.units)), rows=400))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        in_memory = _sgd().fit(X, y, sample_weight=w)
        streamed = _sgd().fit(src)
    np.testing.assert_allclose(streamed.target_mean_, in_memory.target_mean_, rtol=1e-12)
    np.testing.assert_allclose(streamed.target_scale_, in_memory.target_scale_, rtol=1e-12)
    expect = np.average(df["y"], weights=None if weight is None else df["w"])
    assert streamed.target_mean_[0] == pytest.approx(expect, rel=1e-12)
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-9, atol=0)
    for p, q in zip([*streamed.coefs_, *streamed.intercepts_], [*in_memory.coefs_, *in_memory.intercepts_]):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-10)
    np.testing.assert_allclose(streamed.predict(X), in_memory.predict(X), rtol=1e-9)
    assert 200 < streamed.predict(X).mean() < 400  # in y's units


def test_held_out_units_are_scored_in_y_units_and_counted_in_the_statistics(tmp_path, chunky) -> None:
    """Early stopping holds out whole units; the statistics count them, as the preprocessing's do (and as the in-memory
    fit's scaling counts its validation split), and their R² is the unscaled predictions' against y."""
    from sklearn.metrics import r2_score

    from hiddenlayers.estimators._stream_plan import plan_units

    df = _frame(500)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", features=list("abc"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd(early_stopping=True, validation_fraction=0.2, max_iter=3).fit(src)
    assert est.target_mean_[0] == pytest.approx(df["y"].mean(), rel=1e-12)
    assert est.target_scale_[0] == pytest.approx(df["y"].std(ddof=0), rel=1e-12)
    val_units = plan_units(est, src, src.scan(), False, 1)[0]
    X, y = next(src.chunks(val_units, rows=10_000))
    assert est.best_validation_score_ == pytest.approx(r2_score(y, est.predict(X)), rel=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_streamed_diabetes_regression_learns_with_scaling_and_not_without(tmp_path) -> None:
    """A learning test: diabetes (targets 25-346) in two Parquet files, the held-out 92 rows in memory. Unscaled, the
    network stays far from y for the whole fit (R² -2.7 here, as `train diabetes.csv` was -1.40 before scale_target); scaled 0.55."""
    frame = load_diabetes(as_frame=True).frame
    train, test = frame.iloc[:350], frame.iloc[350:]
    train.iloc[:175].to_parquet(tmp_path / "a.parquet", row_group_size=100)
    train.iloc[175:].to_parquet(tmp_path / "b.parquet", row_group_size=100)
    X_te, y_te = test.drop(columns="target"), test["target"].to_numpy()
    scores = {}
    for scale in (True, False):
        src = ParquetSource(str(tmp_path), target="target")
        est = hl.MLPRegressor(hidden_layer_sizes=(32,), max_iter=20, learning_rate_init=0.01, random_state=0, device="cpu",
                              scale_target=scale).fit(src)
        Xt = src.scan().preprocessor.transform(X_te).matrix
        scores[scale] = est.score(Xt, y_te)
    assert scores[False] < 0 < 0.4 < scores[True]


def test_a_warm_streamed_fit_keeps_the_scaling_and_refuses_a_changed_flag(tmp_path) -> None:
    df = _frame(200)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", features=list("abc"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd(max_iter=1, warm_start=True).fit(src)
        mean = est.target_mean_.copy()
        shifted = tmp_path / "shifted"
        shifted.mkdir()
        df.assign(y=df["y"] + 500).to_parquet(shifted / "t.parquet", row_group_size=100)
        est.fit(ParquetSource(str(shifted), target="y", features=list("abc")))  # a warm fit keeps the fitted scaling, as in memory
    np.testing.assert_array_equal(est.target_mean_, mean)
    with pytest.raises(ValueError, match=r"^scale_target=False but the fitted model was trained with target scaling"):
        est.set_params(scale_target=False).fit(src)
    np.testing.assert_array_equal(est.target_mean_, mean)


def test_a_resumed_run_takes_the_scaling_back_from_its_checkpoint(tmp_path, chunky, monkeypatch) -> None:
    """A run that dies in epoch 3 and restarts goes on as the unbroken run; restarted on data whose y has moved, it is refused
    (the checkpoint records its files); with a record that matched, it would keep the checkpoint's scaling (the one its network
    was trained against), not a recomputed one."""
    from hiddenlayers.estimators import _fit_stream
    from hiddenlayers.estimators._trained_on import scan_statistics
    from hiddenlayers.training import load_checkpoint, save_checkpoint

    df = _frame()
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", features=list("abc"))
    ckpt = tmp_path / "run.ckpt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unbroken = _sgd(callbacks=[CrashAtBatch(None)]).fit(src)
        monkeypatch.setenv(_fit_stream.CHECKPOINT_ENV, str(ckpt))
        with pytest.raises(RuntimeError, match="the process died"):
            _sgd(callbacks=[CrashAtBatch(2 * 8 + 3)]).fit(src)
        check_checkpoint(_sgd(), src, str(ckpt))  # a scaled fit's own checkpoint passes
        resumed = _sgd(callbacks=[CrashAtBatch(None)]).fit(src)
        np.testing.assert_array_equal(resumed.target_mean_, unbroken.target_mean_)
        np.testing.assert_allclose(resumed.loss_curve_, unbroken.loss_curve_, rtol=1e-9)
        ckpt.unlink()  # (its last epoch's: a finished run's; the CLI deletes it so)
        with pytest.raises(RuntimeError, match="the process died"):
            _sgd(callbacks=[CrashAtBatch(2 * 8 + 3)]).fit(src)
        df.assign(y=df["y"] * 3 + 1000).to_parquet(tmp_path / "t.parquet", row_group_size=100)
        moved = ParquetSource(str(tmp_path), target="y", features=list("abc"))
        with pytest.raises(ValueError, match="was written by a run on other files: since then 't.parquet'"):
            _sgd(callbacks=[CrashAtBatch(None)]).fit(moved)
        saved = load_checkpoint(str(ckpt))
        save_checkpoint(str(ckpt), {**saved, "trained_on": {**saved["trained_on"], "files": moved.fingerprint()["files"]}})
        with pytest.raises(ValueError, match="was written by a run on other rows: .* but the target reads with other statistics now"):
            _sgd(callbacks=[CrashAtBatch(None)]).fit(moved)  # the files' record forged alone: y's moments moved
        # as if neither the files' record nor the statistics' had changed
        record = {**saved["trained_on"], "files": moved.fingerprint()["files"], "statistics": scan_statistics(moved.scan())}
        save_checkpoint(str(ckpt), {**saved, "trained_on": record})
        again = _sgd(callbacks=[CrashAtBatch(None)]).fit(moved)
    np.testing.assert_array_equal(again.target_mean_, unbroken.target_mean_)
    np.testing.assert_array_equal(again.target_scale_, unbroken.target_scale_)


def test_a_checkpoint_of_the_other_scale_target_is_one_clear_error(tmp_path, chunky, monkeypatch) -> None:
    from hiddenlayers.estimators import _fit_stream

    _frame(200).to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y", features=list("abc"))
    ckpt = tmp_path / "run.ckpt"
    monkeypatch.setenv(_fit_stream.CHECKPOINT_ENV, str(ckpt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="the process died"):
            # (a rate small enough for y in the hundreds: at 0.1 the loss passes 1e4 x its start in the first pass, a divergence)
            _sgd(scale_target=False, learning_rate_init=1e-5, callbacks=[CrashAtBatch(6)]).fit(src)
    message = (rf"^checkpoint '{ckpt}' was written by a fit without target scaling and this fit has scale_target=True: "
               r"delete it to train from the start, or set scale_target=False to resume it\.$")
    with pytest.raises(ValueError, match=message) as caught:
        check_checkpoint(_sgd(), src, str(ckpt))
    from hiddenlayers.estimators import CheckpointScalingMismatch  # what the CLI rewords in its own options

    assert isinstance(caught.value, CheckpointScalingMismatch)
    assert (caught.value.path, caught.value.want, caught.value.have) == (str(ckpt), True, False)
    est = _sgd()
    with pytest.raises(ValueError, match=message):
        est.fit(src)
    assert not hasattr(est, "network_") and not hasattr(est, "target_mean_")


def test_an_infinite_target_is_one_line_without_numpy_warnings(tmp_path) -> None:
    pd.DataFrame({"a": np.arange(10.0), "y": [1.0] * 9 + [np.inf]}).to_parquet(tmp_path / "t.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the statistics pass says nothing of its own
        with pytest.raises(ValueError, match=r"^scale_target=True needs a finite target: its mean or variance over the source is not finite"):
            _sgd(max_iter=1).fit(ParquetSource(str(tmp_path), target="y"))
        with pytest.raises(ValueError, match="Input y contains infinity"):
            _sgd(max_iter=1, scale_target=False).fit(ParquetSource(str(tmp_path), target="y"))
