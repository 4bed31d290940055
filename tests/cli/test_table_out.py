"""How ``predict`` writes its table (cli/_table_out): JSON lines carry a time zone's dates in that zone, as the CSV does."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from cli_helpers import ok
from hiddenlayers.apps import Forecaster
from hiddenlayers.cli._table_out import jsonl_bytes


def test_jsonl_writes_zoned_dates_with_their_offset_utc_ones_as_pandas_does() -> None:
    """pandas' to_json wrote Berlin's midnight of 31 March as '2024-03-30T23:00:00.000Z': the instant, but the day before its date."""
    berlin = pd.Series(pd.date_range("2024-03-30", periods=3, freq="D", tz="Europe/Berlin"))
    berlin[1] = pd.NaT
    frame = pd.DataFrame({"local": berlin, "utc": pd.date_range("2024-03-30", periods=3, freq="D", tz="UTC"),
                          "naive": pd.date_range("2024-03-30", periods=3, freq="D"), "v": np.float32([1, 2, 3])})
    rows = [json.loads(line) for line in jsonl_bytes(frame).decode().splitlines()]
    assert [r["local"] for r in rows] == ["2024-03-30T00:00:00.000+01:00", None, "2024-04-01T00:00:00.000+02:00"]
    assert [r["utc"] for r in rows] == ["2024-03-30T00:00:00.000Z", "2024-03-31T00:00:00.000Z", "2024-04-01T00:00:00.000Z"]
    assert [r["naive"] for r in rows] == ["2024-03-30T00:00:00.000", "2024-03-31T00:00:00.000", "2024-04-01T00:00:00.000"]
    assert pd.to_datetime([r["local"] for r in rows], format="ISO8601", utc=True)[[0, 2]].equals(pd.DatetimeIndex(berlin[[0, 2]]).tz_convert("UTC"))


def test_a_forecasts_jsonl_dates_are_its_csv_dates(tmp_path: Path) -> None:
    model = tmp_path / "f.safetensors"
    Forecaster(window=4, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(np.sin(np.arange(30) / 3)).save(model)
    days = pd.date_range("2024-03-01", periods=30, freq="D", tz="Asia/Kolkata")
    pd.DataFrame({"day": days, "v": np.sin(np.arange(30) / 3)}).to_parquet(tmp_path / "d.parquet")
    ok("predict", model, tmp_path / "d.parquet", "--steps", "2", "--out", tmp_path / "f.jsonl")
    csv = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "d.parquet", "--steps", "2").stdout), dtype=str)
    lines = [json.loads(line)["day"] for line in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert lines == ["2024-03-31T00:00:00.000+05:30", "2024-04-01T00:00:00.000+05:30"]
    assert pd.to_datetime(lines).equals(pd.DatetimeIndex(pd.to_datetime(csv["day"])))
