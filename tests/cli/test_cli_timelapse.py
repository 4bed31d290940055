"""`hiddenlayers train --timelapse page.html`: the hidden units' maps during training, as one page beside the model file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import run


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    path = tmp_path_factory.mktemp("data") / "t.csv"
    pd.DataFrame(X, columns=list("abcd")).assign(y=(X[:, 0] - X[:, 1] > 0).astype(int)).to_csv(path, index=False)
    return path


def test_train_writes_the_timelapse_page(table, tmp_path):
    page = tmp_path / "lapse.html"
    result = run("train", table, "-t", "y", "--hidden", "6,4", "--epochs", "5", "--no-early-stopping", "-q", "--timelapse", page,
                 "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 0, result.output
    assert f"wrote {page}: 6 frames of the hidden units over the PC1–PC2 plane" in result.stderr
    text = page.read_text(encoding="utf-8")
    assert re.findall(r'data-epoch="(\d+)"', text) == ["0", "1", "2", "3", "4", "5"]
    assert "hidden1" in text and "hidden2" in text and "http:" not in text and "https:" not in text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lapse.txt", "--timelapse must end in .html (the timelapse is one HTML page). Received: 'lapse.txt'."),  # said "the report"
        ("missing/lapse.html", "folder 'missing' of --timelapse"),
        ("pages.html", "--timelapse path 'pages.html' is a folder: give a file name, e.g. 'pages.html/timelapse.html'."),
    ],
)
def test_bad_timelapse_path_is_refused_before_training(table, tmp_path, monkeypatch, name, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pages.html").mkdir()
    result = run("train", table, "-t", "y", "--epochs", "2", "-q", "--timelapse", name, "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "m.safetensors").exists()


def test_one_feature_is_a_one_line_error(tmp_path):
    path = tmp_path / "one.csv"
    pd.DataFrame({"a": np.arange(50.0), "y": np.arange(50) % 2}).to_csv(path, index=False)
    result = run("train", path, "-t", "y", "--epochs", "2", "-q", "--timelapse", tmp_path / "l.html", "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 2 and "--timelapse: Timelapse needs X with 2 or more features" in result.output
    assert "Traceback" not in result.output
