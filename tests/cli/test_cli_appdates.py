"""A Forecaster's data file with a column of dates not written in ISO 8601 (cli/_appdates): one line, never taken for no dates.

Such a column (``12/01/2001``, ``01.12.2001``, ``Dec 2001``, ``2001Q4``) was read as no date column at all: a newest-first
export of it trained reversed without a word (ISO dates are refused out of order), and its forecasts had no dates and no
check of the model's step.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import Forecaster

N = 30
MONTHS = pd.date_range("2001-01-01", periods=N, freq="MS")
VALUES = np.sin(np.arange(N) / 3)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("forecast_dates") / "f.safetensors"
    Forecaster(window=4, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(pd.Series(VALUES, index=MONTHS)).save(path)
    return path


FORMATS = {  # the written dates, and the fix the message gives (applied below as a user would)
    "us": (MONTHS.strftime("%m/%d/%Y"), "pd.to_datetime(df['date'], format='%m/%d/%Y').dt.strftime('%Y-%m-%d') ('%m/%d/%Y' is pandas' guess"),
    "eu": (MONTHS.strftime("%d.%m.%Y"), "pd.to_datetime(df['date'], format='%m.%d.%Y')"),  # guessed month first: the user is told to check
    "month names": (MONTHS.strftime("%b %Y"), "pd.to_datetime(df['date'], format='mixed').dt.strftime('%Y-%m-%d'), or drop it."),
    "quarters": (pd.period_range("2001Q1", periods=N, freq="Q").astype(str), "pd.PeriodIndex(df['date'], freq='Q').to_timestamp().strftime('%Y-%m-%d')"),
}


@pytest.mark.parametrize("command", ["train", "predict", "evaluate"])
@pytest.mark.parametrize("written", list(FORMATS))
def test_a_newest_first_file_of_other_date_text_is_refused_not_trained_reversed(model: Path, tmp_path: Path, command: str, written: str) -> None:
    dates, fix = FORMATS[written]
    data = tmp_path / "newest_first.csv"
    pd.DataFrame({"date": dates, "v": VALUES}).iloc[::-1].to_csv(data, index=False)
    args = [data, "--app", "forecaster", "--window", "4", "--epochs", "1", "--out", tmp_path / "m.safetensors"] if command == "train" else [model, data]
    result = run(command, *args)
    assert_user_error(result, f"the column 'date' holds dates not written in ISO 8601 (line 2: {dates[-1]!r}): a Forecaster reads a date column")
    assert f"df['date'] = {fix}" in result.stderr


def test_the_dates_rewritten_as_the_message_says_are_read(model: Path, tmp_path: Path) -> None:
    us = pd.DataFrame({"date": MONTHS.strftime("%m/%d/%Y"), "v": VALUES})
    us["date"] = pd.to_datetime(us["date"], format="%m/%d/%Y").dt.strftime("%Y-%m-%d")  # the fix
    us.to_csv(tmp_path / "fixed.csv", index=False)
    got = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "fixed.csv", "--steps", "2").stdout), dtype=str)
    assert got["date"].tolist() == ["2003-07-01", "2003-08-01"]  # dated, one month after the last row
    us.iloc[::-1].to_csv(tmp_path / "fixed_newest_first.csv", index=False)
    assert_user_error(run("predict", model, tmp_path / "fixed_newest_first.csv"), "the column 'date' holds dates out of order")


@pytest.mark.parametrize("column", [
    ["May", "June"] * (N // 2),  # month names without a year: a category
    ["Monday", "Tuesday", "Wednesday"] * (N // 3),
    [f"A{i}" for i in range(N)],  # ids
    ["12:30", "13:00"] * (N // 2),  # times of day
    [f"store {i} opened" for i in range(N)],
    [f"ID-{2000 + i}-X" for i in range(N)],  # a year inside text that is no date
])
def test_text_columns_that_are_no_dates_pass_as_before(model: Path, tmp_path: Path, column: list[str]) -> None:
    pd.DataFrame({"note": column, "v": VALUES}).to_csv(tmp_path / "d.csv", index=False)
    assert ok("predict", model, tmp_path / "d.csv", "--steps", "1").stdout.splitlines()[0] == "step,forecast_v"
