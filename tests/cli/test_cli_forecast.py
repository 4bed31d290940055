"""``hiddenlayers predict`` and ``evaluate`` of a Forecaster file (cli/_appfiles): one row per future step, dated where the
data has dates; a backtest's folds that forecast the training series said.

statsmodels' ``forecast`` and sktime's ``ForecastingHorizon`` date each forecast value, the first one step after the
last observation; predict wrote only ``step`` numbers, so a user counted the dates on from the file's last row.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import Forecaster

N = 40
TRAINED = np.sin(np.arange(60) / 3)  # the model's training series


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("forecast_predict") / "f.safetensors"
    Forecaster(window=6, horizon=2, hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(TRAINED).save(path)
    return path


def _predict(model: Path, frame: pd.DataFrame, tmp_path: Path, *args: str) -> str:
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    return ok("predict", model, data, *args).stdout


@pytest.mark.parametrize(("dates", "expected"), [
    (pd.date_range("1998-03-01", periods=N, freq="MS").strftime("%Y-%m-%d"), ["2001-07-01", "2001-08-01", "2001-09-01"]),
    (pd.bdate_range("2024-01-01", periods=N).strftime("%Y-%m-%d"), ["2024-02-26", "2024-02-27", "2024-02-28"]),  # Friday 23rd, then Monday
    (pd.date_range("2024-01-01", periods=N + 2, freq="D").delete([5, 9]).strftime("%Y-%m-%d"), ["2024-02-12", "2024-02-13", "2024-02-14"]),
])
def test_predict_dates_each_forecast_value_one_step_of_the_data_after_its_last_date(model: Path, tmp_path: Path, dates: pd.Index, expected: list[str]) -> None:
    frame = pd.DataFrame({"month": dates, "level": np.sin(np.arange(N) / 3)})
    got = pd.read_csv(io.StringIO(_predict(model, frame, tmp_path, "--steps", "3")), dtype=str)
    assert list(got.columns) == ["step", "month", "forecast_level"]
    assert got["month"].tolist() == expected
    no_dates = _predict(model, frame[["level"]], tmp_path, "--steps", "3")
    assert no_dates.splitlines()[0] == "step,forecast_level"  # no column of dates: step numbers alone, as before
    assert [line.split(",")[1] for line in no_dates.splitlines()[1:]] == got["forecast_level"].tolist()  # the same forecasts


def test_predict_keeps_the_time_zone_of_hourly_dates_and_writes_iso_dates_to_jsonl(model: Path, tmp_path: Path) -> None:
    """An hourly parquet column in UTC goes on in UTC; JSON lines carried the dates as milliseconds since 1970."""
    data, out = tmp_path / "h.parquet", tmp_path / "f.jsonl"
    hours = pd.date_range("2024-03-30 20:00", periods=N, freq="h", tz="UTC")
    pd.DataFrame({"t": hours, "v": np.sin(np.arange(N) / 3)}).to_parquet(data)
    ok("predict", model, data, "--steps", "2", "--out", out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["t"] for r in rows] == ["2024-04-01T12:00:00.000Z", "2024-04-01T13:00:00.000Z"]
    assert [r["step"] for r in rows] == [1, 2]


def test_evaluate_notes_the_folds_that_forecast_the_training_series(model: Path, tmp_path: Path) -> None:
    """evaluate of the training file with many folds scored the model's fit as its forecasts, silently."""
    data = tmp_path / "trained.csv"
    pd.DataFrame({"v": np.r_[TRAINED, np.sin(np.arange(60, 80) / 3)]}).to_csv(data, index=False)
    notes = [line for line in ok("evaluate", model, data, "--folds", "15").stderr.splitlines() if line.startswith("note:")]
    assert notes == ["note: 5 of the 15 backtest folds forecast values the model was trained on: the series' first 60 values end as its "
                     "training series does (its last 6 values), and folds 1-5 forecast some of those 60, so their scores flatter it; score "
                     "values after the training series: drop the first 54 values (the 6 kept before the new ones are the first fold's "
                     "window), or fewer folds/steps."]
    assert "backtest folds" not in ok("evaluate", model, data, "--folds", "10").stderr  # origins 60 on: all new values


def test_evaluate_season_adds_the_seasonal_naive_baseline_and_scales_mase_by_it(model: Path, tmp_path: Path) -> None:
    """evaluate compared a Forecaster with the last value repeated only: on a seasonal series (monthly CO2) that baseline is
    easy to beat while the seasonal naive one (a season earlier) may not be. --season M is sktime's sp."""
    import hiddenlayers as hl

    later = np.sin(np.arange(54, 110) / 3)  # after the training series, with its last window (6) before
    data = tmp_path / "later.csv"
    pd.DataFrame({"v": later}).to_csv(data, index=False)
    got = json.loads(ok("evaluate", model, data, "--steps", "4", "--folds", "3", "--season", "19", "--json").stdout)
    expected = hl.apps.Forecaster.load(model).backtest(later, steps=4, folds=3, season=19)
    assert got["season"] == 19 and got["metrics"] == pytest.approx(expected.mean, rel=1e-5)
    assert [f["snaive_mae"] for f in got["folds"]] == pytest.approx(expected.folds["snaive_mae"].tolist(), rel=1e-9)
    shown = ok("evaluate", model, data, "--steps", "4", "--folds", "3", "--season", "19").stdout
    assert "snaive mae" in shown and "snaive" not in ok("evaluate", model, data, "--steps", "4", "--folds", "3").stdout
    assert_user_error(run("evaluate", model, data, "--season", "0"),
                      "--season must be a whole number >= 1 (the seasonal period in steps: 12 for monthly values, 1 for none). Received: 0.")


@pytest.mark.parametrize("command", ["train", "predict", "evaluate"])
@pytest.mark.parametrize(("by", "lines"), [("date", "line 2 and line 3"), ("store", "line 2 and line 42")])
def test_a_long_table_of_several_series_is_refused_naming_the_repeated_date(model: Path, tmp_path: Path, command: str, by: str, lines: str) -> None:
    """One row per store and date: sorted by date it was trained on, forecast from and scored as one series interleaved (a, b,
    a, b, ...), silently; sorted by store its first date going back was refused with 'sort the file by date', which made that."""
    days = pd.date_range("2024-01-01", periods=N, freq="D").strftime("%Y-%m-%d")
    long = pd.DataFrame({"date": np.repeat(days, 2), "store": ["a", "b"] * N, "sales": np.sin(np.arange(2.0 * N))}).sort_values([by, "date"], kind="stable")
    long.to_csv(tmp_path / "long.csv", index=False)
    long[long["store"] == "a"].to_csv(tmp_path / "one.csv", index=False)  # the fix: one series

    def args(data: Path) -> list[object]:
        return [data, "--app", "forecaster", "--window", "4", "--epochs", "1", "--out", tmp_path / f"{data.stem}.safetensors"] if command == "train" else [model, data]

    assert_user_error(run(command, *args(tmp_path / "long.csv")), f"the column 'date' holds 2024-01-01 twice ({lines}): a Forecaster reads one "
                      "series, one value per date. A table of several series (one row per series and date) is not read as several: keep one "
                      "series' rows (e.g. those of one value of the column that names it), or aggregate each date's values (a sum, a mean) to one row first.")
    ok(command, *args(tmp_path / "one.csv"))


def test_only_the_first_column_of_dates_must_not_repeat(model: Path, tmp_path: Path) -> None:
    """Another column of dates (a release date, the same on every row) is no time axis: it may repeat, as before."""
    frame = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=N, freq="D").strftime("%Y-%m-%d"), "release": "2023-06-01",
                          "v": np.sin(np.arange(N) / 3)})
    assert _predict(model, frame, tmp_path, "--steps", "1").splitlines()[0] == "step,day,forecast_v"


def _dated(name: str, dates: pd.Index, values: np.ndarray, tmp_path: Path) -> Path:
    path = tmp_path / f"{name}.csv"
    pd.DataFrame({"month": dates.strftime("%Y-%m-%d"), "v": values}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def monthly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained by the command on monthly rows: its file keeps the step 'MS'."""
    folder = tmp_path_factory.mktemp("forecast_step")
    data = _dated("train", pd.date_range("2001-01-01", periods=60, freq="MS"), TRAINED, folder)
    ok("train", data, "--app", "forecaster", "--window", "2", "--horizon", "1", "--hidden", "4", "--epochs", "2", "--out", folder / "m.safetensors")
    return folder / "m.safetensors"


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_data_of_another_step_than_the_training_dates_is_refused(monthly: Path, tmp_path: Path, command: str) -> None:
    """A monthly model given daily rows forecast from 2 days as if from 2 months, silently: the file kept no step."""
    assert Forecaster.load(monthly).freq_ == "MS"
    daily = _dated("daily", pd.date_range("2024-01-01", periods=N, freq="D"), np.sin(np.arange(N) / 3), tmp_path)
    assert_user_error(run(command, monthly, daily), "the dates of column 'month' step by 'D', but the model was fitted on values one 'MS' "
                      "apart: its window of 2 values would span 2 steps of 'D', not the 2 steps of 'MS' it learnt from, and each forecast "
                      "would be read as one 'D' step after the last; resample the data to one row per 'MS' step first (pandas: "
                      "df.resample('MS', on='month').mean()), or train a model on data of this step.")
    later = _dated("later", pd.date_range("2006-01-31", periods=N, freq="ME"), np.sin(np.arange(N) / 3), tmp_path)  # month ends: monthly too
    ok(command, monthly, later)


def test_predict_dates_two_rows_in_the_models_step(monthly: Path, tmp_path: Path) -> None:
    """Two dates tell no step of their own (pandas infers one from three): the forecasts were written undated."""
    two = _dated("two", pd.DatetimeIndex(["2024-05-01", "2024-06-01"]), np.array([0.1, 0.2]), tmp_path)
    got = pd.read_csv(io.StringIO(ok("predict", monthly, two, "--steps", "2").stdout), dtype=str)
    assert list(got.columns) == ["step", "month", "forecast_v"] and got["month"].tolist() == ["2024-07-01", "2024-08-01"]


def test_evaluate_folds_show_their_dates_where_the_data_has_them(model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fold table showed data rows only; a dated series' folds show their first and last dates (JSON: ``start``, ``end``)."""
    later = np.sin(np.arange(54, 110) / 3)
    data = _dated("later", pd.date_range("2010-01-01", periods=len(later), freq="MS"), later, tmp_path)
    got = json.loads(ok("evaluate", model, data, "--steps", "4", "--folds", "3", "--json").stdout)
    assert [(f["first_row"], f["last_row"], f["start"], f["end"]) for f in got["folds"]] == [
        (45, 48, "2013-09-01", "2013-12-01"), (49, 52, "2014-01-01", "2014-04-01"), (53, 56, "2014-05-01", "2014-08-01")]
    monkeypatch.setenv("COLUMNS", "200")  # whole rows, under xdist's COLUMNS=80 too
    shown = ok("evaluate", model, data, "--steps", "4", "--folds", "3").stdout
    header = next(line for line in shown.splitlines() if "fold" in line and "history" in line)
    assert re.findall(r"\w+", header)[:4] == ["fold", "start", "end", "history"]
    assert any("2014-05-01" in line and "2014-08-01" in line for line in shown.splitlines())
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"v": later}).to_csv(plain, index=False)
    no_dates = ok("evaluate", model, plain, "--steps", "4", "--folds", "3").stdout
    assert "53-56" in no_dates and "start" not in no_dates
    assert "start" not in json.loads(ok("evaluate", model, plain, "--steps", "4", "--folds", "3", "--json").stdout)["folds"][0]


def test_evaluate_reports_mape_and_smape_and_says_why_mape_is_missing(model: Path, tmp_path: Path) -> None:
    """There was no MAPE or sMAPE; where the values forecast hold a 0, MAPE (scikit-learn's would be ~1e15) is left out with a note."""
    import hiddenlayers as hl

    later = np.sin(np.arange(54, 110) / 3) + 3
    data = tmp_path / "later.csv"
    pd.DataFrame({"v": later}).to_csv(data, index=False)
    got = json.loads(ok("evaluate", model, data, "--steps", "4", "--folds", "3", "--json").stdout)
    expected = hl.apps.Forecaster.load(model).backtest(later, steps=4, folds=3)
    assert {m: got["metrics"][m] for m in ("mape", "smape")} == pytest.approx({m: expected.mean[m] for m in ("mape", "smape")}, rel=1e-5)
    zero = later.copy()
    zero[-2] = 0.0  # in the last fold
    pd.DataFrame({"v": zero}).to_csv(data, index=False)
    result = ok("evaluate", model, data, "--steps", "4", "--folds", "3", "--json")
    folds = json.loads(result.stdout)
    assert folds["folds"][2]["mape"] is None and folds["folds"][0]["mape"] is not None and "smape" in folds["metrics"]
    assert folds["metrics"]["mape"] == pytest.approx(np.mean([f["mape"] for f in folds["folds"][:2]]))
    assert "note: MAPE is the mean over 2 of the 3 folds: the other fold's values forecast hold a 0 in the series 'v'" in result.stderr
    one = ok("evaluate", model, data, "--steps", "4")
    assert "mape" not in json.loads(ok("evaluate", model, data, "--steps", "4", "--json").stdout)["metrics"]
    assert "note: no MAPE: the values forecast hold a 0 in the series 'v'" in one.stderr and "smape" in one.stdout


def test_evaluate_hold_out_line_names_the_dates_it_forecasts(model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-fold summary said 'the last 4 of 56 values' with no dates, while the fold table and --json gave them."""
    later = np.sin(np.arange(54, 110) / 3)
    data = _dated("later", pd.date_range("2010-01-01", periods=len(later), freq="MS"), later, tmp_path)
    monkeypatch.setenv("COLUMNS", "80")  # the title wraps at the terminal's width: read it as one text
    shown = " ".join(ok("evaluate", model, data, "--steps", "4").stdout.split())
    assert "forecast metrics on the last 4 of 56 values, dated 2014-05-01 to 2014-08-01, forecast from the 52 before them" in shown
    assert "on the last 1 of 56 values, dated 2014-08-01, forecast from the 55 before them" in " ".join(ok("evaluate", model, data, "--steps", "1").stdout.split())
    default = " ".join(ok("evaluate", model, data).stdout.split())  # the default hold-out says where its length came from, then its dates
    assert "on the last 12 of 56 values (by default 0.2 of the series, at least its horizon, as train --app forecaster holds out), " \
           "dated 2013-09-01 to 2014-08-01, forecast from the 44 before them" in default
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"v": later}).to_csv(plain, index=False)
    assert "on the last 4 of 56 values, forecast from the 52 before them" in " ".join(ok("evaluate", model, plain, "--steps", "4").stdout.split())


def _info_rows(*args: object) -> dict[str, str]:
    """``info``'s two-column rows (key -> value; a wrapped value joined), read at a wide terminal."""
    rows: dict[str, str] = {}
    for line in ok("info", *args).stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[1]:
            key = cells[0] or list(rows)[-1]
            rows[key] = f"{rows[key]} {cells[1]}" if not cells[0] else cells[1]
    return rows


@pytest.fixture(scope="module")
def monthly_onnx(monthly: Path) -> Path:
    """The monthly model's .onnx export."""
    pytest.importorskip("onnxruntime")
    ok("export", monthly, "--out", monthly.with_suffix(".onnx"))
    return monthly.with_suffix(".onnx")


def test_info_shows_the_value_column_and_the_step_of_the_file_and_its_export(monthly: Path, monthly_onnx: Path, model: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """info showed neither the step the file keeps (freq_) nor the value column it reads, and the export stored no step."""
    monkeypatch.setenv("COLUMNS", "200")
    for path in (monthly, monthly_onnx):
        got = json.loads(ok("info", path, "--json").stdout)
        assert (got["data_columns"], got["step"]) == ({"value_column": "v"}, "MS")
        rows = _info_rows(path)
        assert rows["value column"] == "v" and rows["date step"] == "MS (a pandas offset alias; dates of another step are refused)"
    assert _info_rows(model)["date step"].startswith("none stored (fitted on values without dates")  # fitted on an array
    assert json.loads(ok("info", model, "--json").stdout)["step"] is None


def test_the_servers_metadata_shows_the_step_of_the_file_and_its_export(monthly: Path, monthly_onnx: Path, model: Path) -> None:
    """GET /metadata showed a Forecaster's window and horizon but not the step of the dates it was trained on (freq_)."""
    pytest.importorskip("starlette")
    from hiddenlayers.ship._serve.app_model import open_served

    for path in (monthly, monthly_onnx):
        assert open_served(path).metadata()["input"]["freq"] == "MS"
    assert open_served(model).metadata()["input"]["freq"] is None  # fitted on an array: no step


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_an_export_refuses_data_of_another_step_as_its_file_does(monthly: Path, monthly_onnx: Path, tmp_path: Path, command: str) -> None:
    """The export kept no step: a monthly model's .onnx forecast daily rows as months, silently, where the file refused them."""
    daily = _dated("daily", pd.date_range("2024-01-01", periods=N, freq="D"), np.sin(np.arange(N) / 3), tmp_path)
    refused = run(command, monthly, daily).stderr.strip()
    assert "step by 'D', but the model was fitted on values one 'MS' apart" in refused
    assert run(command, monthly_onnx, daily).stderr.strip() == refused
    later = _dated("later", pd.date_range("2006-01-31", periods=N, freq="ME"), np.sin(np.arange(N) / 3), tmp_path)  # month ends: monthly too
    if command == "predict":  # dated in the model's step, as the file dates them
        got, own = (pd.read_csv(io.StringIO(ok("predict", m, later, "--steps", "3").stdout)) for m in (monthly_onnx, monthly))
        assert got["month"].tolist() == own["month"].tolist() == ["2009-05-31", "2009-06-30", "2009-07-31"]
        np.testing.assert_allclose(got["forecast_v"], own["forecast_v"], atol=1e-5)
    else:
        got, own = (json.loads(ok("evaluate", m, later, "--json").stdout) for m in (monthly_onnx, monthly))
        assert [(f["start"], f["end"]) for f in got["folds"]] == [(f["start"], f["end"]) for f in own["folds"]]
        assert got["metrics"] == pytest.approx(own["metrics"], abs=1e-5)


def test_a_damaged_step_in_an_export_is_refused_as_a_damaged_file(monthly_onnx: Path, tmp_path: Path) -> None:
    onnx_lib = pytest.importorskip("onnx")
    data = _dated("later", pd.date_range("2006-01-01", periods=N, freq="MS"), np.sin(np.arange(N) / 3), tmp_path)

    def stored(freq: object, name: str) -> Path:
        proto = onnx_lib.load(str(monthly_onnx))
        prop = next(p for p in proto.metadata_props if p.key == "forecaster")
        prop.value = json.dumps({**json.loads(prop.value), "freq": freq})
        onnx_lib.save(proto, str(tmp_path / name))
        return tmp_path / name

    bad = stored("fortnightly", "word.onnx")
    assert_user_error(run("predict", bad, data), f"'{bad}' freq_ 'fortnightly' is not a pandas frequency: the file was altered or is damaged.")
    assert_user_error(run("info", stored(7, "number.onnx")), "has damaged hiddenlayers metadata")
