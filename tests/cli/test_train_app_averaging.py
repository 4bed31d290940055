"""``hiddenlayers train DATA --app KIND --weight-averaging ema|swa [--ema-decay D] [--swa-start S] ...``: the app's
``weight_averaging`` and settings, stored in its file, said by the summary and ``info``; a setting it would ignore, a bad value,
and an app without averaging are one ``error:`` line with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("app_averaging")
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(80, 4)), columns=["a", "b", "c", "d"]).to_csv(d / "rows.csv", index=False)
    pd.DataFrame({"v": np.sin(np.arange(120) / 4)}).to_csv(d / "wave.csv", index=False)
    pd.DataFrame({"user": rng.integers(0, 5, 80), "item": rng.integers(0, 6, 80), "rating": rng.integers(1, 6, 80)}).to_csv(d / "ratings.csv", index=False)
    return d


@pytest.mark.parametrize(("app", "file", "options", "expected", "shown"), [
    ("autoencoder", "rows.csv", ["--weight-averaging", "swa", "--swa-start", "2"], ("swa", 0.99, 2), "swa (swa_start=2)"),
    ("forecaster", "wave.csv", ["--weight-averaging", "EMA", "--ema-decay", "0.9", "--window", "6"], ("ema", 0.9, 0.75), "ema (ema_decay=0.9)"),
])
def test_train_app_stores_the_averaging_and_says_so(data: Path, tmp_path: Path, app: str, file: str, options: list[str],
                                                     expected: tuple[object, ...], shown: str) -> None:
    out = tmp_path / "m.safetensors"
    summary = json.loads(ok("train", data / file, "--app", app, "--hidden", "4", "--epochs", "3", "--json", "--out", out, *options).stdout)
    assert summary["weight_averaging"] == shown
    model = hl.load(out)
    assert (model.weight_averaging, model.ema_decay, model.swa_start) == expected
    info = json.loads(ok("info", out, "--json").stdout)
    assert info["training"]["weight_averaging"] == shown and info["settings"]["weight_averaging"] == expected[0]
    text = ok("train", data / file, "--app", app, "--hidden", "4", "--epochs", "3", "--out", out, "--force", *options).stdout
    assert f"{shown}: the model holds the" in text


@pytest.mark.parametrize(("options", "message"), [
    (["--ema-decay", "0.9"], "--ema-decay needs --weight-averaging ema (no --weight-averaging was given): add --weight-averaging ema, or drop --ema-decay."),
    (["--weight-averaging", "ema", "--swa-start", "2"], "--swa-start needs --weight-averaging swa (--weight-averaging ema does not use it)"),
    (["--weight-averaging", "swa", "--swa-anneal-epochs", "2"], "--swa-anneal-epochs sets how --swa-lr is reached, and no --swa-lr was given"),
    (["--weight-averaging", "swa", "--swa-start", "9"], "--swa-start: swa_start must be an epoch <= max_iter=3 (no epoch past it would be averaged)"),
    (["--weight-averaging", "mean"], "--weight-averaging must be ema or swa. Received: 'mean'."),
])
def test_a_setting_the_app_would_ignore_or_a_bad_value_is_one_line(data: Path, tmp_path: Path, options: list[str], message: str) -> None:
    out = tmp_path / "m.safetensors"
    result = run("train", data / "rows.csv", "--app", "autoencoder", "--hidden", "4", "--epochs", "3", "--out", out, *options)
    assert_user_error(result, message)
    assert not out.exists()


def test_an_app_without_averaging_refuses_the_option(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    result = run("train", data / "ratings.csv", "--app", "recommender", "--target", "rating", "--weight-averaging", "ema", "--out", out)
    assert_user_error(result, "--weight-averaging does not apply to train --app recommender (a Recommender): drop it; the options that apply are")
    assert not out.exists()


@pytest.mark.parametrize(("app", "reads"), [("text", "--target, --text-column, "), ("image", "--target, --features, --image-shape, --image-dtype, --image-layout, "),
                                            ("sequence", "--target, --features, --id-column, --order-column, ")])
def test_the_refusal_lists_what_the_app_reads_first_and_ends_on_a_whole_name(data: Path, tmp_path: Path, app: str, reads: str) -> None:
    """The list of the options that apply outgrew one_line's 500 characters (the averaging options made it longer): the line was cut
    inside a name and lost the app's own inputs at its end. Now they come first, and what does not fit is '...'."""
    result = run("train", data / "rows.csv", "--app", app, "--workers", "2", "--out", tmp_path / "m.safetensors")
    assert_user_error(result, f"the options that apply are {reads}--test-size, ")
    line = result.stderr.strip()
    assert line.endswith((", ...", ".")) and "--epochs, " in line and len(line) <= len("error: ") + 500
