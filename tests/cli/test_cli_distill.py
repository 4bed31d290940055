"""``hiddenlayers distill``: a student file that predicts with the teacher's preprocessing, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, interrupted_run, ok, run


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    n = 240
    a, b = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(a + (color == "red") > 0.3, "yes", np.where(b > 0, "no", "maybe"))
    path = tmp_path_factory.mktemp("distill") / "t.csv"
    pd.DataFrame({"a": a, "b": b, "color": color, "label": label}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def teacher(table) -> Path:
    out = table.parent / "teacher.safetensors"
    ok("train", table, "-t", "label", "--hidden", "32", "--epochs", "30", "--lr", "0.01", "-q", "--no-check", "-o", out)
    return out


def test_distill_writes_a_student_that_predicts_raw_rows(teacher, table, tmp_path):
    out = tmp_path / "student.safetensors"
    unl = tmp_path / "unl.csv"
    pd.read_csv(table).drop(columns=["label"]).head(50).to_csv(unl, index=False)
    r = json.loads(ok("distill", teacher, table, "--sizes", "4", "--epochs", "40", "--lr", "0.01", "--unlabeled", unl,
                      "--temperature", "3", "--alpha", "0.3", "--out", out, "--json").stdout)
    assert r["spec"] == "4" and r["teacher_spec"] == "32" and r["parameters"] < r["teacher_parameters"]
    assert r["test_rows"] == 48 and r["train_rows"] == 192 and r["unlabeled_rows"] == 50 and r["temperature"] == 3.0
    assert 0.0 <= r["agreement"] <= 1.0 and r["test_accuracy"] > 0.5
    assert ok("predict", out, table).stdout.startswith("predicted_label\n")
    info = json.loads(ok("info", out, "--json").stdout)
    assert info["target"] == "label" and {p["column"] for p in info["preprocessing"]} == {"a", "b", "color"}
    text = ok("distill", teacher, table, "--sizes", "4", "--epochs", "5", "--out", out, "--force")
    assert "student 4:" in text.stdout and "they agree on" in text.stdout and "saved the student to" in text.stderr


def test_distill_errors_are_one_line(teacher, table, tmp_path):
    out = tmp_path / "s.safetensors"
    assert_user_error(run("distill", teacher, table, "--temperature", "0", "--out", out), "--temperature must be a finite number > 0")
    assert_user_error(run("distill", teacher, table, "--alpha", "1.5", "--out", out), "--alpha must lie in [0, 1]")
    assert_user_error(run("distill", teacher, table, "--out", teacher, "--force"), f"--out '{teacher}' is the model file this command reads: writing there would replace it")  # was: the data file
    assert_user_error(run("distill", "nope.safetensors", table, "--out", out), "model file 'nope.safetensors' does not exist")
    assert_user_error(run("distill", teacher, table, "--sizes", "0", "--out", out), "dense layer units must be a positive integer")
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1.0], "b": [2.0]}).to_csv(bad, index=False)
    assert_user_error(run("distill", teacher, table, "--unlabeled", bad, "--out", out), "color")
    assert not out.exists()


def test_a_bad_cell_of_the_unlabeled_file_is_named_by_its_file_and_line(teacher, table, tmp_path):
    """--unlabeled FILE's bad cell was named 'row 10' (counted from 1, no file: two files are read); now as every command
    names a row: the file and its line (header = line 1)."""
    unl = tmp_path / "unl.csv"
    frame = pd.read_csv(table).drop(columns=["label"]).head(30)
    frame["a"] = frame["a"].astype(object)
    frame.loc[9, "a"] = "1e39"
    frame.to_csv(unl, index=False)
    out = tmp_path / "s.safetensors"
    assert_user_error(run("distill", teacher, table, "--unlabeled", unl, "--out", out), f"but '{unl}' line 11 holds 1e+39")
    assert not out.exists()


def test_distill_help_has_an_example():
    assert "Example: hiddenlayers distill" in ok("distill", "--help").output


def test_option_mistakes_come_before_the_file_checks_and_name_the_cli_options(teacher, table, tmp_path):
    """An --alpha mistake is named even when --out already exists (the output check ran first and hid it), and
    --unlabeled with --alpha 1 is named by its options, not by the Python argument X_unlabeled."""
    out = tmp_path / "s.safetensors"
    out.write_bytes(b"keep")
    assert_user_error(run("distill", teacher, table, "--alpha", "1.5", "--out", out), "--alpha must lie in [0, 1]")
    unl = tmp_path / "unl.csv"
    pd.read_csv(table).drop(columns=["label"]).head(5).to_csv(unl, index=False)
    res = run("distill", teacher, table, "--alpha", "1", "--unlabeled", unl, "--out", out, "--force")
    assert_user_error(res, "--unlabeled rows get only the teacher's soft term, which --alpha 1 switches off")
    assert "X_unlabeled" not in res.stderr and out.read_bytes() == b"keep"


def test_a_regressor_teacher_is_named_with_its_type(table, tmp_path):
    reg = tmp_path / "reg.csv"
    pd.read_csv(table).assign(y=np.arange(240.0)).drop(columns=["label"]).to_csv(reg, index=False)
    model = tmp_path / "reg.safetensors"
    ok("train", reg, "-t", "y", "--hidden", "4", "--epochs", "2", "-q", "--no-check", "-o", model)
    assert_user_error(run("distill", model, table, "--out", tmp_path / "s.safetensors"), "holds a model of type MLPRegressor; distill takes a classifier")


def test_student_option_mistakes_are_named_by_their_option_before_the_output_check(teacher, table, tmp_path):
    """--epochs 0 said "distillation failed: max_iter must be ..." after reading the data (and "pass --force" first when
    --out existed); --lr and --sizes mistakes alike: each is named by its option now, before any file is looked at."""
    out = tmp_path / "s.safetensors"
    out.write_bytes(b"keep")
    for args, words in ((("--epochs", "0"), "--epochs must be an integer >= 1. Received: 0."),
                        (("--lr", "-1"), "--lr: learning_rate_init must be a number > 0"),
                        (("--sizes", "0"), "--sizes: dense layer units must be a positive integer")):
        res = run("distill", teacher, table, *args, "--out", out)
        assert_user_error(res, words)
        assert "distillation failed" not in res.stderr and "already exists" not in res.stderr
    assert out.read_bytes() == b"keep"


def test_a_student_that_diverges_names_lr(teacher, table, tmp_path):
    """distill --lr 1e9: the student's divergence names --lr, the option the user typed, not learning_rate_init."""
    result = run("distill", teacher, table, "--sizes", "4", "--epochs", "3", "--lr", "1e9", "--out", tmp_path / "s.safetensors")
    said = [line for line in result.stderr.splitlines() if "(now 1000000000.0)" in line]
    assert said and all("--lr (now 1000000000.0)" in line for line in said) and "learning_rate_init" not in result.stderr, result.stderr


def test_a_student_that_diverges_names_clip_grad_norm_which_distill_takes(teacher, table, tmp_path):
    """The divergence's remedy "or set clip_grad_norm" is distill's --clip-grad-norm (it named a parameter the command lacked);
    the option reaches the student, and a bad value is one line naming it before any file is written."""
    result = run("distill", teacher, table, "--sizes", "4", "--epochs", "3", "--lr", "1e9", "--out", tmp_path / "s.safetensors")
    said = [line for line in result.stderr.splitlines() if "(now 1000000000.0)" in line]
    assert said and all("or set --clip-grad-norm" in line for line in said) and "clip_grad_norm" not in result.stderr, result.stderr
    out = tmp_path / "c.safetensors"
    ok("distill", teacher, table, "--sizes", "4", "--epochs", "2", "--clip-grad-norm", "0.5", "--out", out)
    from hiddenlayers.ship import read_metadata

    assert read_metadata(out)["params"]["clip_grad_norm"] == 0.5
    assert_user_error(run("distill", teacher, table, "--clip-grad-norm", "0", "--out", tmp_path / "z.safetensors"), "--clip-grad-norm: clip_grad_norm must be")
    assert not (tmp_path / "z.safetensors").exists()


def test_ctrl_c_saves_the_best_student_so_far_says_where_and_exits_130(teacher, table, tmp_path, monkeypatch):
    """The student's fit takes Ctrl-C as "stop, keep the best weights": distill saved that student and exited 0 without a word
    that it was cut short (a script's `distill ... && export ...` went on). Now: the file, the summary, the line, exit 130."""
    import hiddenlayers as hl
    import hiddenlayers.cli._distill as cd
    from fit_helpers import BreakAt

    real = cd._student
    monkeypatch.setattr(cd, "_student", lambda *a, **k: real(*a, **k).set_params(callbacks=[BreakAt(3)]))
    out = tmp_path / "student.safetensors"
    result = interrupted_run("distill", teacher, table, "--sizes", "4", "--epochs", "20", "--out", out, "--json")
    r = json.loads(result.stdout)
    assert r["stop_reason"] == "interrupted" and r["epochs"] == 3 and r["model"] == str(out)
    assert hl.load(out).stop_reason_ == "interrupted"
    assert result.stderr.strip().splitlines()[-1] == f"interrupted: the best model so far was saved to {out}"
