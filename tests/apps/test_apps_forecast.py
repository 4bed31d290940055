"""Forecaster: beats the naive forecast on a sine wave, shapes, save/load, errors, device."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from hiddenlayers import Forecaster, NotFittedError
from hiddenlayers.exceptions import DataError

WAVE = np.sin(np.arange(400) * 2 * np.pi / 25) + 0.02 * np.random.default_rng(0).normal(size=400)


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(window=25, horizon=3, hidden_layer_sizes=(32,), max_iter=150, random_state=0).fit(WAVE[:300])


def test_beats_naive_on_sine(fitted: Forecaster) -> None:
    test = WAVE[300:]
    one_step = fitted.predict(WAVE[300 - 25 :])[:-1, 0]
    rmse = np.sqrt(np.mean((one_step - test) ** 2))
    naive = np.sqrt(np.mean((WAVE[299:-1] - test) ** 2))
    assert rmse < 0.5 * naive
    assert fitted.score(WAVE[300 - 25 :]) > 0.9


def test_forecast_direct_and_recursive(fitted: Forecaster) -> None:
    assert fitted.predict(3).shape == (3,)
    np.testing.assert_allclose(fitted.forecast(3), fitted.predict(WAVE[275:300])[-1])
    long = fitted.forecast(10, series=WAVE[:300])
    assert long.shape == (10,)
    assert np.sqrt(np.mean((long - WAVE[300:310]) ** 2)) < 0.3


@settings(max_examples=20, deadline=None)
@given(n=st.integers(25, 80))
def test_rolling_shape(fitted: Forecaster, n: int) -> None:
    assert fitted.predict(WAVE[:n]).shape == (n - 25 + 1, 3)


def test_delta_target_handles_trend() -> None:
    t = np.arange(300, dtype=float)
    series = 0.05 * t + np.sin(t / 4)
    f = Forecaster(window=16, target="delta", max_iter=80, random_state=0).fit(series[:240])
    pred = f.predict(series[240 - 16 :])[:-1, 0]
    assert np.sqrt(np.mean((pred - series[240:]) ** 2)) < np.sqrt(np.mean((series[239:-1] - series[240:]) ** 2))


def test_save_load(fitted: Forecaster, tmp_path: Path) -> None:
    fitted.save(tmp_path / "f.safetensors")
    again = Forecaster.load(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(again.predict(WAVE[:60]), fitted.predict(WAVE[:60]))
    np.testing.assert_array_equal(again.forecast(5), fitted.forecast(5))


def test_errors(fitted: Forecaster) -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Forecaster().predict(3)
    with pytest.raises(DataError, match="series has 10 values; window=24 and horizon=1 need at least 26"):
        Forecaster().fit(np.arange(10.0))
    with pytest.raises(DataError, match="missing or non-finite values"):
        Forecaster().fit(np.r_[np.arange(40.0), np.nan])
    with pytest.raises(DataError, match=r"series has 2 features, but Forecaster is expecting 1 feature as input: .* e\.g\. series\[:, 0\]\."):
        Forecaster().fit(np.zeros((30, 2)))
    with pytest.raises(ValueError, match="target must be one of level, delta. Received: target='diff'"):
        Forecaster(target="diff").fit(np.arange(40.0))
    with pytest.raises(DataError, match="each forecast needs window=25 past values"):
        fitted.predict(WAVE[:10])


def test_a_series_on_a_time_index_out_of_order_is_refused_not_read_reversed(fitted: Forecaster) -> None:
    import pandas as pd

    # read_csv(..., index_col="date", parse_dates=True) of a newest-first export: the values were read in that order, so fit
    # learnt, and forecast continued, the series backwards, with no word
    wave = pd.Series(WAVE[:300], index=pd.date_range("2020-01-01", periods=300, freq="D"))
    with pytest.raises(DataError, match=r"^the time index of series is out of order: 2020-10-25 00:00:00 comes after 2020-10-26 00:00:00 "
                       r"\(position 1\); the values are read in order, so sort it first \(series.sort_index\(\)\)\.$"):
        Forecaster(window=25, max_iter=1).fit(wave.iloc[::-1])
    with pytest.raises(DataError, match=r"^the time index of series holds 2020-01-05 00:00:00 twice \(positions 4 and 5\)"):
        fitted.forecast(3, pd.concat([wave.iloc[:5], wave.iloc[4:40]]))
    monthly = wave.iloc[:40].to_period("D")
    with pytest.raises(DataError, match=r"^the time index of series is out of order"):
        fitted.backtest(monthly.sample(frac=1, random_state=0), steps=3)
    np.testing.assert_allclose(fitted.forecast(3, wave.iloc[::-1].sort_index()), fitted.forecast(3, WAVE[:300]))  # sorted: read as the array
    fitted.forecast(3, pd.Series(WAVE[:300][::-1]))  # a plain index is no time order: read as given


@pytest.mark.parametrize(
    "window, horizon, n, fix",
    [(12, 400, 300, "shorten the horizon"), (400, 12, 300, "shorten the window"), (24, 1, 10, "shorten the window")],
)
def test_too_short_a_series_names_window_horizon_and_the_length_needed(window: int, horizon: int, n: int, fix: str) -> None:
    need = window + horizon + 1
    message = (f"series has {n} values; window={window} and horizon={horizon} need at least {need} (window + horizon + 1): "
               f"pass a series of at least {need} values, or {fix}.")
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        Forecaster(window=window, horizon=horizon).fit(np.arange(float(n)))


# ------------------------------------------------------------------ device
@pytest.mark.skipif(torch.cuda.is_available() or torch.backends.mps.is_available(), reason="device='auto' picks a GPU here")
def test_device_cpu_equals_default_on_a_cpu_machine() -> None:
    a = Forecaster(window=10, horizon=2, max_iter=5, random_state=0).fit(WAVE[:150])
    b = Forecaster(window=10, horizon=2, max_iter=5, random_state=0, device="cpu").fit(WAVE[:150])
    assert next(b.network_.parameters()).device.type == "cpu"
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict(WAVE[:60]), b.predict(WAVE[:60]))
    np.testing.assert_array_equal(a.forecast(5), b.forecast(5))


def test_device_errors() -> None:
    with pytest.raises(ValueError, match=r"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Received: device='gpu'"):
        Forecaster(device="gpu").fit(WAVE)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"device='cuda:0' but this machine has no CUDA GPU: use device='auto'"):
            Forecaster(device="cuda:0").fit(WAVE)


def test_load_onto_cpu_and_params(fitted: Forecaster, tmp_path: Path) -> None:
    assert fitted.get_params()["device"] == "auto" and clone(Forecaster(device="cpu")).device == "cpu"
    path = tmp_path / "f.safetensors"
    fitted.save(path)
    cpu = Forecaster.load(path, device="cpu")
    assert cpu.device == "cpu" and next(cpu.network_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(cpu.predict(WAVE[:60]), fitted.predict(WAVE[:60]), rtol=0, atol=1e-5)  # exact on a CPU; float32 kernels differ on a GPU
    np.testing.assert_allclose(cpu.forecast(5), fitted.forecast(5), rtol=0, atol=1e-5)  # exact on a CPU; float32 kernels differ on a GPU
    with pytest.raises(ValueError, match="Received: device='gpu'"):
        Forecaster.load(path, device="gpu")


def test_init_from_copies_and_freeze_keeps_layers_bit_identical(tmp_path: Path) -> None:
    src = Forecaster(window=25, hidden_layer_sizes=(16, 8), max_iter=20, random_state=0).fit(WAVE[:300])
    before = {k: v.clone() for k, v in src.network_.hidden1.state_dict().items()}
    kw = dict(window=25, hidden_layer_sizes=(16, 8))
    tgt = Forecaster(**kw, max_iter=20, random_state=1, init_from=src, freeze=1).fit(2.0 * WAVE[100:250] + 5)
    assert tgt.transferred_ == ["hidden1", "hidden2"] and tgt.frozen_ == ["hidden1"]
    assert tgt.provenance_ == {"source": "Forecaster", "source_sha256": None, "transferred": ["hidden1", "hidden2"], "frozen": ["hidden1"]}
    for k, v in before.items():  # the frozen layer: the source's weights, bit for bit, after fit
        assert torch.equal(tgt.network_.hidden1.state_dict()[k], v), k
    assert not torch.equal(tgt.network_.hidden2.linear.weight, src.network_.hidden2.linear.weight)  # the unfrozen one trained
    assert all(p.requires_grad for p in tgt.network_.parameters())  # freezing lasts for the fit only
    src.save(tmp_path / "src.safetensors")  # a model file is a source too, and a saved target loads back
    from_file = Forecaster(**kw, max_iter=2, init_from=str(tmp_path / "src.safetensors"), freeze=["hidden2"]).fit(WAVE[:80])
    assert from_file.frozen_ == ["hidden2"] and from_file.provenance_["source_sha256"] is not None
    from_file.save(tmp_path / "tgt.safetensors")
    loaded = Forecaster.load(tmp_path / "tgt.safetensors")
    assert loaded.get_params()["freeze"] == ["hidden2"] and loaded.provenance_ == from_file.provenance_  # where it came from, in the file
    assert (loaded.transferred_, loaded.frozen_) == (from_file.transferred_, from_file.frozen_) == (["hidden1", "hidden2"], ["hidden2"])
    assert tgt.get_params(deep=False)["init_from"] is src  # stored unchanged


def test_init_from_mismatch_and_bad_freeze_are_clear_errors() -> None:
    src = Forecaster(window=25, hidden_layer_sizes=(16,), max_iter=2, random_state=0).fit(WAVE[:100])
    mismatch = r"init_from: layer hidden1 does not match: source DenseLayer \(16, 25\) vs target DenseLayer \(8, 25\)"
    with pytest.raises(ValueError, match=mismatch):
        Forecaster(window=25, hidden_layer_sizes=(8,), max_iter=2, init_from=src).fit(WAVE[:100])
    with pytest.raises(ValueError, match=r"freeze must be 0\.\.1 \(the number of hidden layers to keep fixed\)\. Received: freeze=3\."):
        Forecaster(window=25, hidden_layer_sizes=(16,), max_iter=2, init_from=src, freeze=3).fit(WAVE[:100])
    with pytest.raises(ValueError, match="freeze='head_first' is for MLPClassifier/MLPRegressor"):
        Forecaster(window=25, hidden_layer_sizes=(16,), max_iter=2, init_from=src, freeze="head_first").fit(WAVE[:100])


def test_init_from_a_forecaster_of_another_window_is_refused_naming_both_windows() -> None:
    """Its first layer reads another number of values, and layers copy from the first on: nothing could be copied, so no silent fresh start."""
    src = Forecaster(window=25, hidden_layer_sizes=(16, 8), max_iter=2, random_state=0).fit(WAVE[:100])
    tgt = Forecaster(window=12, hidden_layer_sizes=(16, 8), max_iter=2, init_from=src)
    with pytest.raises(ValueError) as err:
        tgt.fit(WAVE[:100])
    assert str(err.value) == ("init_from: the source forecaster's window is 25 and this one's is 12: its first layer (hidden1) reads 25 values, "
                              "not 12, and layers are copied from the first on, so none could be copied; set window=25 (the source's), or drop init_from.")
    assert not hasattr(tgt, "network_")  # nothing fitted


def test_a_pickle_from_before_init_from_gets_the_new_parameters() -> None:
    import pickle

    # our own fixture, written by this project's earlier code: unpickling it is the point
    old = pickle.loads((Path(__file__).parents[1] / "fixtures" / "legacy" / "forecaster.pkl").read_bytes())  # noqa: S301
    assert old.get_params()["init_from"] is None and old.get_params()["freeze"] is None


@pytest.mark.parametrize(
    ("series", "params", "message"),
    [
        (WAVE[:300], {"hidden_layer_sizes": "conv4k3"}, "needs"),  # a spec the window cannot take
        (WAVE[:300], {"freeze": 3, "init_from": "SOURCE"}, r"freeze must be 0\.\.1"),
        (np.r_[WAVE[:299], np.nan], {}, "NaN|missing|finite"),
        (WAVE[:20], {}, "series has 20 values"),
    ],
    ids=["spec", "freeze", "nan", "short"],
)
def test_a_failed_refit_leaves_the_fitted_forecaster_as_it_was(series: np.ndarray, params: dict, message: str) -> None:
    """mean_/scale_ and the network are assigned only if the whole refit succeeds (review: a bad spec half-changed the model)."""
    model = Forecaster(window=25, horizon=3, hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(WAVE[:200])
    if params.get("init_from") == "SOURCE":
        params = {**params, "init_from": Forecaster(window=25, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(WAVE[:100])}
    before, weights = dict(vars(model)), {k: v.clone() for k, v in model.network_.state_dict().items()}
    forecast = model.forecast(5)
    old = model.get_params()
    model.set_params(**params)
    with pytest.raises((ValueError, DataError), match=message):
        model.fit(series)
    model.set_params(**old)
    assert [k for k, v in before.items() if vars(model).get(k) is not v] == [] and vars(model).keys() == before.keys()
    for k, v in model.network_.state_dict().items():
        assert torch.equal(v, weights[k]), k
    np.testing.assert_array_equal(model.forecast(5), forecast)


# ------------------------------------------------------- forecast_many
def _recursive_by_predict(f: Forecaster, steps: int, series: np.ndarray) -> np.ndarray:
    """The recursive forecast written out on the public predict(series): one window at a time, each block fed back."""
    hist = list(series[-f.window :])
    while len(hist) - f.window < steps:
        hist.extend(f.predict(np.asarray(hist[-f.window :]))[0].tolist())
    return np.asarray(hist[f.window : f.window + steps])


@pytest.fixture(scope="module")
def fitted_delta() -> Forecaster:
    t = np.arange(200, dtype=float)
    return Forecaster(window=10, horizon=4, target="delta", hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(0.05 * t + np.sin(t / 4))


RAGGED = [WAVE[:25], WAVE[:300], WAVE[40:97], 3.0 * WAVE[100:180] + 2.0]  # the first exactly one window long


@pytest.mark.parametrize("steps", [2, 3, 10], ids=["below-horizon", "horizon", "recursive"])
@pytest.mark.parametrize("model", ["fitted", "fitted_delta"])
def test_forecast_many_equals_forecast_per_series(model: str, steps: int, request: pytest.FixtureRequest) -> None:
    f: Forecaster = request.getfixturevalue(model)
    got = f.forecast_many(steps, RAGGED)
    assert got.shape == (len(RAGGED), steps) and got.dtype == np.float64
    # float32 kernels may round a batch of n and a batch of 1 differently by an ulp: 1e-6 relative (values reach 5 here), 1e-6 absolute
    for row, s in zip(got, RAGGED):
        np.testing.assert_allclose(row, f.forecast(steps, s), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(f.forecast(steps, s), _recursive_by_predict(f, steps, s))  # forecast itself: unchanged, bit for bit
    equal = np.stack([WAVE[k : k + 60] for k in range(0, 200, 50)])  # a 2-D array: one series per row
    np.testing.assert_allclose(f.forecast_many(steps, equal), [f.forecast(steps, s) for s in equal], rtol=1e-6, atol=1e-6)
    assert f.forecast_many(steps, np.empty((0, 30))).shape == (0, steps)


@settings(max_examples=15, deadline=None)
@given(lengths=st.lists(st.integers(25, 60), min_size=1, max_size=5), steps=st.integers(1, 8), start=st.integers(0, 300))
def test_forecast_many_on_any_ragged_batch_is_the_per_series_loop(fitted: Forecaster, lengths: list[int], steps: int, start: int) -> None:
    batch = [WAVE[start : start + n] for n in lengths]
    np.testing.assert_allclose(fitted.forecast_many(steps, batch), [fitted.forecast(steps, s) for s in batch], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ([WAVE[:30], WAVE[:10]], "series[1] has 10 values but the model needs the last window=25: pass a longer series."),
        ([WAVE[:30], WAVE[:30], np.r_[WAVE[:30], np.nan]], "series[2] has missing or non-finite values: fill them first"),
        ([np.r_[np.inf, WAVE[:30]]], "series[0] has missing or non-finite values"),
        ([WAVE[:30], ["a"] * 30], "series[1] must be a 1-D sequence of numbers"),
        ([WAVE[:30], np.zeros((30, 2))], "series[1] has 2 features, but Forecaster is expecting 1 feature as input: it forecasts one series and "
                                         "reads no exogenous inputs; pass the series alone, e.g. series[1][:, 0]."),
        (WAVE[:30], "series is one series of 30 values, not several: use forecast(steps, series) for one, or forecast_many(steps, [series])."),
        (list(WAVE[:30]), "series is one series of 30 values, not several"),
        (np.zeros((2, 3, 30)), "series must be a 2-D array (n_series, length) or a list of 1-D series. Received shape (2, 3, 30)."),
        (7, "series must hold several series: pass a list of 1-D series (any lengths) or a 2-D array with one series per row. Received: int."),
        ("abc", "series must hold several series: pass a list of 1-D series (any lengths) or a 2-D array with one series per row. Received: str."),
        ({"north": WAVE[:30], "south": WAVE[:30]}, "series is a dict: pass a list of 1-D series (any lengths) or a 2-D array with one series per row, "
                                                   "e.g. list(d.values())"),
        (np.c_[WAVE[:30], WAVE[:30]], "series is a (30, 2) array, read as 30 series (one per row) of 2 values, fewer than window=25: "
                                      "pass longer series, or series.T when each column is a series."),
    ],
    ids=["short", "nan", "inf", "text", "2-D item", "one array", "one list", "3-D", "number", "string", "dict", "columns"],
)
def test_forecast_many_errors_name_the_series(fitted: Forecaster, series: object, message: str) -> None:
    with pytest.raises(DataError, match=f"^{re.escape(message)}"):
        fitted.forecast_many(3, series)


def test_forecast_many_refuses_a_data_frame_steps_and_unfitted(fitted: Forecaster) -> None:
    import pandas as pd

    with pytest.raises(DataError, match=re.escape("series is a DataFrame: pass a list of 1-D series") + ".*" + re.escape("[df[c] for c in df.columns]")):
        fitted.forecast_many(3, pd.DataFrame({"a": WAVE[:30], "b": WAVE[30:60]}))
    assert fitted.forecast_many(3, [pd.Series(WAVE[:30]), WAVE[:40].tolist()]).shape == (2, 3)  # any 1-D series type inside the list
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=f"steps must be an integer >= 1. Received: steps={bad!r}."):
            fitted.forecast_many(bad, [WAVE[:30]])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Forecaster().forecast_many(3, [WAVE[:30]])


def test_a_second_series_in_fit_is_refused_not_ignored() -> None:  # sktime's fit(y, X_exog) order trained on y alone
    y = np.sin(np.arange(80) / 5)
    exog = np.cos(np.arange(80) / 5)
    with pytest.raises(DataError, match=r"^Forecaster\.fit takes one series, fit\(series\): it reads no exogenous inputs .* y \(a ndarray\) would be ignored; drop it \(y=None\)\.$"):
        Forecaster(window=8, max_iter=1).fit(y, exog)
    fitted = Forecaster(window=8, max_iter=1, random_state=0).fit(y, None)
    assert fitted.n_iter_ == 1
    with pytest.raises(DataError, match=r"^Forecaster\.score takes one series, score\(series\): .* drop it \(y=None\)\.$"):
        fitted.score(y, exog)
    assert fitted.score(y) == fitted.score(y, None)


@pytest.mark.parametrize("steps", [3.0, True, np.float64(2)])
def test_predict_of_a_non_integer_count_names_steps(fitted: Forecaster, steps: object) -> None:  # read as a series: 'Received shape ()'
    with pytest.raises(DataError, match=r"^predict takes a number of steps \(an integer >= 1\) or a series\. Received: .*: pass an int, e\.g\. predict\(3\)"):
        fitted.predict(steps)
    assert fitted.predict(np.int64(3)).shape == (3,)


@pytest.mark.parametrize("unit", [1e-13, 1e-6, 1e6])
def test_a_series_in_tiny_or_huge_units_forecasts_as_the_same_series_in_units_of_one(unit: float) -> None:
    """Standardized, a series and the same series times ``unit`` train alike, so their forecasts differ by ``unit`` alone. A series
    in tiny units (1e-13 ± 5e-14) had a spread under the old absolute 1e-12 'constant' cut: standardized by 1, its windows were
    all ~0 to the network and its forecasts off by float32 noise, a million times its spread."""
    t = np.arange(120.0)
    series = 1 + 0.5 * np.sin(t / 4)
    params = dict(window=8, hidden_layer_sizes=(8,), max_iter=5, early_stopping=False, random_state=0)
    ones = Forecaster(**params).fit(series).forecast(4)
    scaled = Forecaster(**params).fit(unit * series)
    np.testing.assert_allclose(scaled.scale_, unit * series.std())
    np.testing.assert_allclose(scaled.forecast(4) / unit, ones, rtol=1e-4)


def test_a_constant_series_is_standardized_by_one_and_forecast_as_that_constant() -> None:
    """A constant series has no spread to divide by (its rounding-level std, relative to its level, is none): scale 1, forecast the constant."""
    f = Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(np.full(40, 0.1 * 3))
    assert f.scale_ == 1.0
    np.testing.assert_allclose(f.forecast(3), 0.3)


def test_score_on_a_constant_series_is_scikit_learns_r2() -> None:
    """R² of a constant series has no variance to divide by: scikit-learn's ``r2_score`` gives 1.0 for a perfect forecast
    and 0.0 otherwise (it was 0.0 for both)."""
    from sklearn.metrics import r2_score

    flat = np.full(40, 3.0)
    f = Forecaster(window=4, hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(flat)
    pred = f.predict(flat)[: len(flat) - 4]
    assert f.score(flat) == r2_score(flat[4:], pred.ravel()) == 1.0
    bent = flat.copy()
    bent[20:] = 3.5  # not constant: the ordinary R²
    assert f.score(bent) == pytest.approx(r2_score(np.lib.stride_tricks.sliding_window_view(bent[4:], 1), f.predict(bent)[:36]))
