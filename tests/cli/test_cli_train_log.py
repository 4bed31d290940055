"""``train --log FILE``: the per-epoch CSV log of a table MLP's fit (in memory, a streamed folder, ``--workers 2``), its output-path
rules (checked before any work, nothing written) and its refusal by ``train --app``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run

COLUMNS = ["train_loss", "val_loss", "val_score", "lr", "time"]


def _same(log: Path, model_path: Path) -> None:
    """The log read back equals the saved model's history, number for number."""
    frame = pd.read_csv(log, index_col="epoch")
    pd.testing.assert_frame_equal(frame, hl.load(model_path).history_.to_frame()[COLUMNS], check_exact=True)


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "parts"
    d.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        a = rng.normal(size=200)
        pd.DataFrame({"a": a, "b": rng.normal(size=200), "y": (a > 0).astype(int)}).to_parquet(d / f"part{i}.parquet", row_group_size=50)
    return d


def test_log_of_an_in_memory_fit(table, tmp_path) -> None:
    out, log = tmp_path / "m.safetensors", tmp_path / "log.csv"
    ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "3", "-q", "--no-check", "--early-stopping", "-o", out, "--log", log)
    assert log.read_text().splitlines()[0] == "epoch,train_loss,val_loss,val_score,lr,time"
    _same(log, out)
    assert len(pd.read_csv(log)) == 3
    # an existing log needs --force, as the model file does
    out2 = tmp_path / "m2.safetensors"
    assert_user_error(run("train", table, "-t", "label", "--epochs", "1", "-q", "--no-check", "-o", out2, "--log", log),
                      f"'{log}' already exists: pass --force to overwrite it, or choose another --log path.")
    assert not out2.exists() and len(pd.read_csv(log)) == 3
    ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "2", "-q", "--no-check", "-o", out2, "--log", log, "--force")
    _same(log, out2)


@pytest.mark.parametrize("where, message", [
    ("out", "--log '{log}' is the --out path"),
    ("data", "is the data file this command reads"),
    ("folder", "--log path '{log}' is a folder: give a file name, e.g. '{log}/log.csv'."),
    ("timelapse", "--log '{log}' is the --timelapse path"),
])
def test_log_path_refusals(table, tmp_path, where, message) -> None:
    out = tmp_path / "m.safetensors"
    log = {"out": out, "data": Path(table), "folder": tmp_path, "timelapse": tmp_path / "t.html"}[where]
    extra = ["--timelapse", log] if where == "timelapse" else []
    before = Path(table).read_bytes()
    result = run("train", table, "-t", "label", "--epochs", "1", "-q", "--no-check", "-o", out, "--log", log, *extra)
    assert_user_error(result, message.format(log=log))
    assert not out.exists() and Path(table).read_bytes() == before and not (tmp_path / "t.html").exists()


def test_log_of_a_streamed_folder(tmp_path) -> None:
    d, out, log = _folder(tmp_path), tmp_path / "m.safetensors", tmp_path / "log.csv"
    ok("train", d, "-t", "y", "--hidden", "4", "--epochs", "3", "-o", out, "--log", log)
    _same(log, out)
    assert list(pd.read_csv(log)["epoch"]) == [1, 2, 3]
    assert_user_error(run("train", d, "-t", "y", "--epochs", "1", "-o", tmp_path / "m2.safetensors", "--log", d / "log.csv"),
                      f"--log '{d / 'log.csv'}' is a data file of the folder '{d}' this command reads")


@pytest.mark.parametrize("app, args", [
    ("text", ["--text-column", "review"]),
    ("agent", ["--env", "CartPole-v1"]),
])
def test_train_app_refuses_log(tmp_path, app, args) -> None:
    log = tmp_path / "log.csv"
    data = [] if app == "agent" else ["reviews.csv"]
    result = run("train", *data, "--app", app, *args, "-o", tmp_path / "m.safetensors", "--log", log)
    assert_user_error(result, f"--log writes the epochs of a table MLP's fit (its callbacks); the applications' fits take no callbacks, so train --app {app} cannot log them")
    assert not log.exists()


# `--workers 2 --log FILE` (rank 0 alone writes, one row per pass): tests/cli/test_cli_sample_weight.py's two-worker launch.


def test_a_restarted_run_adds_to_the_log(tmp_path, monkeypatch) -> None:
    """A run torchrun restarted (``--max-restarts``) finds the broken run's log: it is no 'already exists' refusal, and the
    epochs the run trains again replace their old rows (here no checkpoint is left, so it trains from epoch 1 again)."""
    d, out, log = _folder(tmp_path), tmp_path / "m.safetensors", tmp_path / "log.csv"
    log.write_text("epoch,train_loss,val_loss,val_score,lr,time\n1,9.0,,,0.001,1.0\n2,8.0,,,0.001,2.0\n")
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    ok("train", d, "-t", "y", "--hidden", "4", "--epochs", "2", "-o", out, "--log", log)
    _same(log, out)
    log.write_text("step,loss\n1,0.5\n")  # a file of something else: one line, the file kept
    out.unlink()
    assert_user_error(run("train", d, "-t", "y", "--hidden", "4", "--epochs", "2", "--no-check", "-o", out, "--log", log),
                      "has the header 'step,loss', but this log writes 'epoch,train_loss,val_loss,val_score,lr,time'")
    assert log.read_text() == "step,loss\n1,0.5\n" and not out.exists()
