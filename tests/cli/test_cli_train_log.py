"""``train --log FILE``: the per-epoch CSV log of a table MLP's fit (in memory, a streamed folder, ``--workers 2``), its output-path
rules (checked before any work, nothing written), and of ``train --app``'s fit (every app but the agent, which has no epochs)."""

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


def _app_files(d: Path) -> dict[str, Path]:
    """Small data files of two apps: texts for TextClassifier (trained by training.train) and ratings for the Recommender (its own loop)."""
    rng = np.random.default_rng(0)
    good = rng.integers(0, 2, 80).astype(bool)
    texts = np.where(good, "good great fine film", "bad awful dull film")
    pd.DataFrame({"review": texts, "label": np.where(good, "pos", "neg")}).to_csv(d / "reviews.csv", index=False)
    users, items = rng.integers(0, 10, 300), rng.integers(0, 8, 300)
    pd.DataFrame({"user": users, "item": items, "rating": rng.integers(1, 6, 300)}).to_csv(d / "ratings.csv", index=False)
    return {"text": d / "reviews.csv", "recommender": d / "ratings.csv"}


@pytest.mark.parametrize("app, args", [
    ("text", ["--text-column", "review", "--target", "label", "--hidden", "embed4,gru4"]),
    ("recommender", ["--target", "rating"]),
])
def test_train_app_logs_its_epochs(tmp_path, app, args) -> None:
    data, out, log = _app_files(tmp_path)[app], tmp_path / "m.safetensors", tmp_path / "log.csv"
    ok("train", data, "--app", app, *args, "--epochs", "2", "-q", "-o", out, "--log", log)
    assert log.read_text().splitlines()[0] == "epoch,train_loss,val_loss,val_score,lr,time"
    assert list(pd.read_csv(log)["epoch"]) == [1, 2]
    if app == "recommender":  # its file keeps loss_curve_, not the whole history_
        assert list(pd.read_csv(log)["train_loss"]) == hl.load(out).loss_curve_
    else:
        _same(log, out)


def test_train_app_log_path_and_set_refusals(tmp_path) -> None:
    data, out = _app_files(tmp_path)["text"], tmp_path / "m.safetensors"
    args = ["--app", "text", "--text-column", "review", "--target", "label", "--epochs", "1", "-q", "-o", out]
    assert_user_error(run("train", data, *args, "--log", out), f"--log '{out}' is the --out path")
    assert_user_error(run("train", data, *args, "--log", data), "is the data file this command reads")
    assert_user_error(run("train", data, *args, "--set", "callbacks=x"), "instead of --set callbacks=x: those options set callbacks.")
    assert not out.exists()


def test_train_app_agent_has_no_epochs_to_log(tmp_path) -> None:
    log = tmp_path / "log.csv"
    result = run("train", "--app", "agent", "--env", "CartPole-v1", "-o", tmp_path / "m.safetensors", "--log", log)
    assert_user_error(result, "--log does not apply to train --app agent (a DQNAgent): drop it")
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
