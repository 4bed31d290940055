"""``train DATA --validation FILE``: early stopping scores the user's own rows (a later time span here), every DATA row trains
(``--test-size`` still holds out its own share of DATA), and a file that does not fit DATA is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import os
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
    assert not out.exists()


# --- DATA streamed (a folder or glob): --validation a folder, glob or file, streamed too -------------------------------


def _folder(frame: pd.DataFrame, folder: Path, parts: int = 2) -> Path:
    """``frame`` as ``parts`` CSV files of ``folder``."""
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[part].to_csv(folder / f"p{i}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def streamed(series, tmp_path_factory) -> tuple[Path, Path, pd.DataFrame]:
    """DATA's 300 rows as a folder of 3 CSV files, the 100 later rows as a folder of 2."""
    data, _, late = series
    root = tmp_path_factory.mktemp("streamval")
    return _folder(pd.read_csv(data), root / "train", 3), _folder(late, root / "valid"), late


def test_a_streamed_fit_scores_the_validation_folder_and_every_file_trains(streamed, tmp_path) -> None:
    train, valid, late = streamed
    out = tmp_path / "m.safetensors"
    summary = json.loads(ok("train", train, "-t", "y", "--features", "x1,x2,kind", "--sample-weight", "w", "--validation", valid,
                            *TRAIN, "-o", out).stdout)
    assert summary["validation_rows"] == 100 and summary["validation"] == str(valid)
    model = hl.load(out)
    assert model.t_ == model.n_iter_ * 300  # 3 files: without --validation one would be held out
    assert len(model.validation_scores_) == model.n_iter_
    # the kept model is the best pass's: R² of the validation folder's rows (weighted by w) read by DATA's preprocessing
    best = r2_score(late["y"], model.predict(late[["x1", "x2", "kind"]]), sample_weight=late["w"])
    assert summary["best_validation_score"] == pytest.approx(best, abs=1e-5) == model.best_validation_score_
    glob = json.loads(ok("train", f"{train}/*.csv", "-t", "y", "--features", "x1,x2,kind", "--validation", f"{valid}/p0.csv",
                         *TRAIN, "-o", tmp_path / "g.safetensors").stdout)  # a glob of DATA, one file of validation
    assert glob["validation_rows"] == 50


def _hard_link(target: Path, path: Path) -> Path:
    path.parent.mkdir(exist_ok=True)
    os.link(target, path)
    return path


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("case", "words"), [
    ("other_columns", "--validation {val}: it has other feature columns than DATA ({train}): it lacks 'x2'; has besides 'z'"),
    ("unseen_label", "--validation {val}: it holds labels in 'y' that DATA does not ('down')"),
    ("empty", "--validation {val}: {val} has no rows to score"),
    ("same_folder", "--validation {val}: '{train}/p0.csv', '{train}/p1.csv', '{train}/p2.csv' are also in DATA ({train})"),
    ("one_file_of_data", "--validation {val}: '{train}/p1.csv' is also in DATA ({train}), so early stopping would score rows the model "
                         "trains on (leakage)"),
    ("hard_link", "--validation {val}: '{train}/p1.csv' is also in DATA ({train}), so early stopping would score rows the model "
                  "trains on (leakage)"),  # another name of the same file: its real path was not DATA's
    ("out_in_valid", "--out '{val}/m.csv' is a data file of the folder '{val}' this command reads"),
    ("missing", "--validation {val}: no such file or directory: {val}"),
    ("jsonl", "--validation {val}: a streamed DATA (a folder, a glob or --workers) streams its validation rows too, from Parquet or CSV"),
    ("no_early_stopping", "--validation {val}: its rows are scored by early stopping, which --no-early-stopping turns off"),
])
def test_a_validation_folder_that_cannot_score_is_one_line_and_nothing_is_written(streamed, tmp_path, case, words) -> None:
    train, valid, late = streamed
    data = train
    if case == "unseen_label":  # DATA's labels up/flat, the validation's up/down
        data = _folder(pd.read_csv(train / "p0.csv").assign(y=lambda f: np.where(f["y"] > 0, "up", "flat")), tmp_path / "cls")
    val = {
        "other_columns": lambda: _write_csv(late.rename(columns={"x2": "z"}), tmp_path / "cols" / "v.csv").parent,
        "unseen_label": lambda: _write_csv(late.assign(y=np.where(late["y"] > 0, "up", "down")), tmp_path / "lab" / "v.csv").parent,
        "empty": lambda: _write_csv(late.iloc[:0], tmp_path / "empty" / "v.csv").parent,
        "same_folder": lambda: train, "one_file_of_data": lambda: train / "p1.csv", "out_in_valid": lambda: valid,
        "missing": lambda: tmp_path / "none", "no_early_stopping": lambda: valid,
        "hard_link": lambda: _hard_link(train / "p1.csv", tmp_path / "linked" / "v.csv").parent,
        "jsonl": lambda: Path(late.to_json(tmp_path / "v.jsonl", orient="records", lines=True) or tmp_path / "v.jsonl"),
    }[case]()
    out = val / "m.csv" if case == "out_in_valid" else tmp_path / "m.safetensors"
    features = [] if case == "other_columns" else ["--features", "x1,x2,kind"]
    off = ["--no-early-stopping"] if case == "no_early_stopping" else []
    res = run("train", data, "-t", "y", *features, *off, "--validation", val, *TRAIN, "-o", out)
    assert_user_error(res, words.format(val=val, train=data))
    assert not out.exists() and not Path(f"{out}.ckpt").exists()


@pytest.mark.parametrize("case", ["out_in_valid_glob", "out_in_data_glob", "checkpoint_in_valid", "text_in_numeric"])
def test_outputs_in_the_validation_glob_and_text_in_a_numeric_column_are_one_line(streamed, tmp_path, monkeypatch, case) -> None:
    train, valid, late = streamed
    data, val, out = str(train), str(valid), tmp_path / "m.safetensors"
    written = [out, Path(f"{out}.ckpt")]
    if case == "out_in_valid_glob":  # m.csv is no file yet, so the glob matches nothing of it now: the next run would read it
        val, out = f"{valid}/*.csv", valid / "m.csv"
        words = f"--out '{out}' is a file the glob '{val}' this command reads matches: the next run would read it as data"
    elif case == "out_in_data_glob":
        data, out = f"{train}/*", train / "m.safetensors"
        words = f"--out '{out}' is a file the glob '{data}' this command reads matches"
    elif case == "checkpoint_in_valid":
        monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(valid / "c.csv"))
        words = f"the checkpoint '{valid / 'c.csv'}' is a data file of the folder '{valid}' this command reads"
        written.append(valid / "c.csv")
    else:  # 'x1' numeric in DATA, text in the validation folder (its own pass types it as a category)
        val = str(_folder(late.assign(x1=np.where(late["x1"] > 0, "hi", "lo")), tmp_path / "txt", parts=1))
        first = "hi" if late["x1"].iloc[0] > 0 else "lo"
        words = f"--validation {val}: data check: column 'x1' must be numeric but '{val}/p0.csv' line 2 holds '{first}'"
    written.append(Path(out))
    res = run("train", data, "-t", "y", "--features", "x1,x2,kind", "--validation", val, *TRAIN, "-o", out)
    assert_user_error(res, words)
    assert not any(p.exists() for p in written)
