"""Gradient flow from the command line: `train --gradient-flow` keeps it in the model file; `inspect` shows it
(`demo`'s report shows it too: tests/cli/test_cli.py::test_demo checks it on the run it makes already)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from cli_helpers import run

EPOCHS = 6


def gradflow_section(html: str) -> str:
    m = re.search(r'<section id="gradient-flow">(.*?)</section>', html, re.S)
    assert m, "the report has no gradient-flow section"
    return m.group(1)


def assert_shows_gradient_flow(html: str) -> None:
    body = gradflow_section(html)
    assert "data:image/png;base64," in body, body[:300]
    assert "Not available" not in body


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    path = tmp_path_factory.mktemp("data") / "g.csv"
    pd.DataFrame(X, columns=list("abcd")).assign(y=(X[:, 0] - X[:, 1] > 0).astype(int)).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def flow_model(table, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("m") / "g.safetensors"
    result = run("train", table, "-t", "y", "--hidden", "8,6", "--epochs", EPOCHS, "--no-early-stopping", "--gradient-flow", "--json", "-o", out)
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_train_gradient_flow_is_saved_in_the_model_file(flow_model):
    path, summary = flow_model
    assert summary["epochs"] == EPOCHS and summary["gradient_flow_epochs"] == EPOCHS
    records = hl.load(path).history_.extra["gradient_flow"]
    assert [r["epoch"] for r in records] == list(range(1, EPOCHS + 1))
    for r in records:
        assert set(r["layers"]) == {"hidden1", "hidden2"}
        for name, units in (("hidden1", 8), ("hidden2", 6)):
            row = r["layers"][name]
            assert math.isfinite(row["grad_norm"]) and row["grad_norm"] > 0
            assert row["weight_norm"] > 0 and 0 < row["update_ratio"] < 1
            assert row["units"] == units and 0 <= row["fraction_active"] <= 1 and 0 <= row["dead"] <= units


def test_train_table_mentions_gradient_flow(table, tmp_path):
    result = run("train", table, "-t", "y", "--hidden", "4", "--epochs", "2", "--gradient-flow", "-q", "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 0, result.output
    assert "gradient flow" in result.stdout and "recorded for 2 epochs" in result.stdout


def test_train_without_flag_records_nothing(table, tmp_path):
    out = tmp_path / "m.safetensors"
    result = run("train", table, "-t", "y", "--hidden", "4", "--epochs", "2", "--json", "-o", out)
    assert result.exit_code == 0, result.output
    assert "gradient_flow_epochs" not in json.loads(result.stdout)
    assert "gradient_flow" not in hl.load(out).history_.extra


def test_inspect_shows_saved_gradient_flow(flow_model, table, tmp_path):
    path, _ = flow_model
    out = tmp_path / "r.html"
    # the gradient-flow section alone: every section of a table model's report is tests/cli/test_cli_inspect.py's first test
    result = run("inspect", path, table, "-o", out, "--json", "--sections", "gradient-flow")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gradient_flow_epochs"] == EPOCHS
    assert_shows_gradient_flow(out.read_text(encoding="utf-8"))


def test_train_lbfgs_records_gradient_flow_per_iteration(table, tmp_path):
    result = run("train", table, "-t", "y", "--hidden", "4", "--solver", "lbfgs", "--epochs", "3", "--gradient-flow", "-q", "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 0, result.output
    assert "recorded nothing" not in result.stderr
    records = hl.load(tmp_path / "m.safetensors").history_.extra["gradient_flow"]
    assert [r["epoch"] for r in records] == [1, 2, 3]
