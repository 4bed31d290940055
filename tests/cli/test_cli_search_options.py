"""search's --cv, --patience, --validation-fraction, --max-flops, --max-saved and --validation FILE: search()'s settings on the command."""

from __future__ import annotations

import contextlib
import gc
import json
import os

import optuna
import pytest

from cli_helpers import assert_user_error, ok, run

TINY = ("--widths", "4,8", "--layers", "1", "--activations", "relu", "--epochs", "2", "--no-check")


@pytest.fixture(scope="module")
def iris_files(tmp_path_factory):
    """Iris as a training file (100 rows) and a validation file (50 other rows)."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame.sample(frac=1.0, random_state=0)
    folder = tmp_path_factory.mktemp("iris")
    frame.iloc[:100].to_csv(folder / "train.csv", index=False)
    frame.iloc[100:].to_csv(folder / "val.csv", index=False)
    frame.iloc[100:].drop(columns=["petal width (cm)"]).to_csv(folder / "val_short.csv", index=False)
    return folder


@pytest.mark.parametrize(("args", "message"), [
    (("--cv", "five"), "--cv takes auto or a number of folds, e.g. 5 (1: one --validation-fraction split). Received: 'five'."),
    (("--cv", "0"), "--cv: cv must be 'auto' or a number of folds from 1 (one validation split) to 20. Received: cv=0."),
    (("--cv", "21"), "--cv: cv must be 'auto'"),
    (("--patience", "0"), "--patience must be an integer >= 1. Received: 0."),
    (("--max-saved", "0"), "--max-saved must be an integer >= 1. Received: 0."),
    (("--max-flops", "0"), "--max-flops must be a positive integer (FLOPs of one prediction). Received: 0."),
    (("--max-flops", "5"), "no hidden-layer spec of the space fits --max-flops 5:"),
    (("--validation-fraction", "1.5"), "--validation-fraction: validation_fraction must be a share of rows in (0, 1)"),
    (("--validation", "VAL", "--cv", "3"), "--validation VAL: its rows score every trial, with no folds of DATA, so --cv would be ignored: drop --cv."),
    (("--validation", "VAL", "--validation-fraction", "0.3"), "--validation VAL: its rows replace the --validation-fraction share of DATA"),
    (("--validation", "SHORT"), "--validation SHORT: "),
])
def test_bad_options_are_one_line_and_nothing_is_written(iris_files, tmp_path, args, message):
    names = {"VAL": str(iris_files / "val.csv"), "SHORT": str(iris_files / "val_short.csv")}
    args = tuple(names.get(a, a) for a in args)
    for name, path in names.items():
        message = message.replace(name, path)
    result = run("search", iris_files / "train.csv", "--target", "target", *TINY, *args, "--trials", "1", "--out-dir", tmp_path / "found")
    assert_user_error(result, message)
    assert not (tmp_path / "found").exists()


def test_the_options_reach_the_search_and_its_summary(iris_files, tmp_path):
    res = ok("search", iris_files / "train.csv", "--target", "target", *TINY, "--trials", "2", "--cv", "2", "--patience", "3",
             "--max-saved", "1", "--max-flops", "1000", "--objectives", "accuracy,flops", "--out-dir", tmp_path / "found", "--json")
    summary = json.loads(res.stdout)
    assert summary["budget"] == {"max_epochs": 2, "cv": 2, "validation_fraction": None, "patience": 3}
    assert summary["max_saved"] == 1 and summary["max_flops"] == 1000 and summary["validation"] is None
    assert len(summary["paths"]) == 1  # at most --max-saved refitted and saved
    assert all(t["flops"] <= 1000 for t in summary["trials"])
    res = ok("search", iris_files / "train.csv", "--target", "target", *TINY, "--trials", "1", "--cv", "1", "--validation-fraction", "0.3",
             "--out-dir", tmp_path / "one", "--json")
    assert json.loads(res.stdout)["budget"] == {"max_epochs": 2, "cv": 1, "validation_fraction": 0.3, "patience": 10}
    res = ok("search", iris_files / "train.csv", "--target", "target", *TINY, "--trials", "1", "--patience", "4", "--out-dir", tmp_path / "t")
    assert "each trial: 3 folds, up to 2 epochs, patience 4" in res.stdout


def _held_open(path) -> int:
    """How many of this process's file descriptors are open on ``path`` (Linux's /proc)."""
    held = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            held += os.path.realpath(f"/proc/self/fd/{fd}") == os.path.realpath(path)
    return held


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_a_resumed_study_with_another_cv_patience_or_fraction_is_refused(iris_files, tmp_path, monkeypatch):
    """(And the command leaves the study's database closed: search() closed its storage, but reading and recording the
    saved model files after it connected the study's engine again, and that connection stayed open.)"""
    from hiddenlayers.rightsize._search import storage as storage_module

    opened = []  # every RDB storage the command opens, kept so that the garbage collector closes none of them
    real = storage_module._rdb
    monkeypatch.setattr(storage_module, "_rdb", lambda *a, **kw: opened.append(real(*a, **kw)) or opened[-1])

    def closed() -> bool:
        gc.collect()  # the test's own optuna.load_study storages (the command's are kept in opened: not collected)
        return bool(opened) and all(s.engine.pool.checkedin() == 0 == s.engine.pool.checkedout() for s in opened) and not _held_open(storage)

    storage = tmp_path / "s.db"
    args = ("search", iris_files / "train.csv", "--target", "target", *TINY, "--storage", storage, "--study", "st",
            "--out-dir", tmp_path / "found", "--force")
    ok(*args, "--trials", "1", "--cv", "1", "--validation-fraction", "0.3", "--patience", "3")
    assert closed()
    for more, said in ((("--cv", "2", "--patience", "3"), "--cv 1"),
                       (("--cv", "1", "--validation-fraction", "0.2", "--patience", "3"), "--validation-fraction 0.3"),
                       (("--cv", "1", "--validation-fraction", "0.3", "--patience", "4"), "--patience 3")):
        result = run(*args, "--trials", "2", *more)
        assert_user_error(result, f"holds trials scored with {said}, and this search has ")
        assert f"Pass {said} (the study's), or a new --study." in result.stderr
    assert len(optuna.load_study(study_name="st", storage=f"sqlite:///{storage}").trials) == 1  # nothing ran
    opened.clear()
    ok(*args, "--trials", "2", "--cv", "1", "--validation-fraction", "0.3", "--patience", "3")  # the study's budget goes on
    assert closed()


def test_validation_file_scores_every_trial_and_a_resume_on_another_is_refused(iris_files, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # a wide console: the workers' long temporary paths would otherwise wrap the note
    storage = tmp_path / "s.db"
    args = ("search", iris_files / "train.csv", "--target", "target", *TINY, "--storage", storage, "--out-dir", tmp_path / "found", "--force")
    res = ok(*args, "--trials", "2", "--validation", iris_files / "val.csv", "--json")
    summary = json.loads(res.stdout)
    assert summary["validation"] == str(iris_files / "val.csv") and summary["validation_rows"] == 50
    assert summary["budget"]["validation_fraction"] is None and summary["validation_set"]["rows"] == 50
    study = optuna.load_study(study_name="hiddenlayers", storage=f"sqlite:///{storage}")
    assert all(t.user_attrs["data"]["validation"]["rows"] == 50 and t.user_attrs["data"]["rows"] == 100 for t in study.trials)
    text = ok(*args, "--trials", "2", "--validation", iris_files / "val.csv").stdout  # the same file resumes (no trial to add)
    assert f"each trial: scored on 50 rows of {iris_files / 'val.csv'}" in text
    result = run(*args, "--trials", "3")  # folds of DATA now: other data
    assert_user_error(result, "holds trials scored on other data (classification on 100 rows x 4 columns (digest")
    assert "scored on 50 validation rows" in result.stderr and "Pass a new --study" in result.stderr
    other = tmp_path / "val2.csv"
    import pandas as pd

    pd.read_csv(iris_files / "val.csv").iloc[:40].to_csv(other, index=False)
    assert_user_error(run(*args, "--trials", "3", "--validation", other), "scored on 40 validation rows")
    assert len(optuna.load_study(study_name="hiddenlayers", storage=f"sqlite:///{storage}").trials) == 2
