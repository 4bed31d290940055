"""``train DATA --validation FILE``: early stopping scores the user's own rows (a later time span here), every DATA row trains
(``--test-size`` still holds out its own share of DATA), and a file that does not fit DATA is one line, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run

TRAIN = ("--hidden", "8", "--epochs", "40", "--lr", "0.01", "--seed", "0", "-q", "--json")


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> tuple[Path, Path, pd.DataFrame]:
    """Time-ordered rows: the first 300 in DATA, the next 100 in the validation file (numeric x1, x2, a category, target y, weight w)."""
    rng = np.random.default_rng(0)
    n = 400
    t = np.arange(n)
    x1, x2, kind = rng.normal(size=n), np.sin(t / 20), rng.choice(["a", "b"], size=n)
    y = 2 * x1 - x2 + (kind == "a") + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "kind": kind, "y": y, "w": rng.integers(1, 4, size=n)})
    folder = tmp_path_factory.mktemp("val")
    data, val = folder / "early.csv", folder / "late.csv"
    frame.iloc[:300].to_csv(data, index=False)
    frame.iloc[300:].to_csv(val, index=False)
    return data, val, frame.iloc[300:]


def test_early_stopping_scores_the_validation_file_and_every_row_trains(series, tmp_path) -> None:
    data, val, late = series
    out = tmp_path / "m.safetensors"
    summary = json.loads(ok("train", data, "-t", "y", "--features", "x1,x2,kind", "--validation", val, "--test-size", "0", *TRAIN, "-o", out).stdout)
    assert summary["validation_rows"] == 100 and summary["validation"] == str(val) and "test_rows" not in summary
    model = hl.load(out)
    assert model.t_ == model.n_iter_ * 300  # no DATA row held out for early stopping
    assert len(model.validation_scores_) == model.n_iter_
    # the kept model is the best epoch's, and its score there is R² on the validation file read by the stored preprocessing
    best = r2_score(late["y"], model.predict(late[["x1", "x2", "kind"]]))
    assert summary["best_validation_score"] == pytest.approx(best, abs=1e-5) == model.best_validation_score_


def test_test_size_still_holds_out_its_own_rows_and_weights_score_the_file(series, tmp_path) -> None:
    data, val, late = series
    out = tmp_path / "m.safetensors"
    summary = json.loads(ok("train", data, "-t", "y", "--features", "x1,x2,kind", "--sample-weight", "w", "--validation", val,
                            "--test-size", "0.2", *TRAIN, "-o", out).stdout)
    assert summary["test_rows"] == 60 and summary["validation_rows"] == 100
    model = hl.load(out)
    assert model.t_ == model.n_iter_ * 240
    best = r2_score(late["y"], model.predict(late[["x1", "x2", "kind"]]), sample_weight=late["w"])
    assert model.best_validation_score_ == pytest.approx(best, abs=1e-5)


@pytest.mark.parametrize(("make", "words"), [
    (lambda f: f.drop(columns=["x2"]), "--validation {val}: the data lacks column(s) 'x2' that DATA has"),
    (lambda f: f.assign(y=["low"] * len(f)), "--validation {val}: regression target 'y' must be numeric but holds 'low' (line 2)"),
    (lambda f: f.iloc[:0], "has no data rows"),
    (lambda f: f.iloc[:1], "--validation {val}: 1 usable row(s), and early stopping scores at least 2"),
])
def test_a_file_unlike_data_is_one_line_and_nothing_is_written(series, tmp_path, make, words) -> None:
    data, _, late = series
    val = tmp_path / "bad.csv"
    make(late).to_csv(val, index=False)
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", data, "-t", "y", "--validation", val, *TRAIN, "-o", out), words.format(val=val))
    assert not out.exists()


def test_classes_of_the_file_checked_and_options_that_cannot_apply_refused(series, tmp_path) -> None:
    data, val, late = series
    labelled = tmp_path / "cls.csv"
    late.assign(y=np.where(late["y"] > 0, "up", "down")).to_csv(labelled, index=False)
    early = tmp_path / "early_cls.csv"
    pd.read_csv(data).assign(y=lambda f: np.where(f["y"] > 0, "up", "flat")).to_csv(early, index=False)
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", early, "-t", "y", "--validation", labelled, *TRAIN, "-o", out),
                      "label 'down' is not a class of the training data (flat, up)")
    assert_user_error(run("train", data, "-t", "y", "--validation", val, "--no-early-stopping", *TRAIN, "-o", out),
                      "which --no-early-stopping turns off")
    assert_user_error(run("train", data, "-t", "y", "--validation", val, "--validation-fraction", "0.2", *TRAIN, "-o", out),
                      "drop --validation-fraction")
    assert_user_error(run("train", data, "-t", "y", "--validation", val, "--solver", "lbfgs", *TRAIN, "-o", out), "--solver lbfgs runs none")
    assert_user_error(run("train", data, "-t", "y", "--validation", tmp_path / "none.csv", *TRAIN, "-o", out), "--validation ")
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.read_csv(data).to_csv(folder / "a.csv", index=False)
    assert_user_error(run("train", folder, "-t", "y", "--validation", val, *TRAIN, "-o", out), "a folder of files (or --workers) is streamed")
    assert not out.exists()
