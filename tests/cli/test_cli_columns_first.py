"""A misspelt column option is named before an existing output (``cli/_header.py``): the header alone is read for it.

Before, ``already exists: pass --force`` came first, so the user overwrote the output only to meet the column error next.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({"id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n), "w": rng.uniform(0.5, 1.5, size=n)})
    frame["label"] = np.where(frame["a"] + frame["b"] > 0, "yes", "no")
    root = tmp_path_factory.mktemp("columns")
    (root / "parts").mkdir()
    frame.to_csv(root / "t.csv", index=False)
    frame.to_parquet(root / "t.parquet")
    frame.to_parquet(root / "parts" / "p0.parquet")
    model = root / "m.safetensors"
    ok("train", root / "t.csv", "-t", "label", "--features", "a,b", "--hidden", "4", "--epochs", "2", "-q", "--no-check", "-o", model)
    return {"csv": root / "t.csv", "parquet": root / "t.parquet", "folder": root / "parts", "model": model}


def _existing(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    out.write_bytes(b"keep")
    return out


@pytest.mark.parametrize(("source", "args", "words"), [
    ("csv", ["-t", "lable"], "unknown target column 'lable': the table has 'id', 'a', 'b', 'w', 'label'. Did you mean 'label'?"),
    ("parquet", ["-t", "lable"], "unknown target column 'lable'"),
    ("csv", ["-t", "label", "--features", "a,bb"], "unknown feature column(s) 'bb': the table has 'id', 'a', 'b', 'w'. Did you mean 'b'?"),
    ("csv", ["-t", "label", "--sample-weight", "ww"], "unknown --sample-weight column 'ww'"),
    ("folder", ["-t", "lable"], "no target column 'lable' in"),
    ("folder", ["-t", "label", "--features", "a,bb"], "feature column(s) ['bb'] are not in"),
])
def test_train_names_a_misspelt_column_before_an_existing_out(files, tmp_path, source, args, words):
    out = _existing(tmp_path, "m.safetensors")
    assert_user_error(run("train", files[source], *args, "-o", out), words)
    assert out.read_bytes() == b"keep"


def test_check_names_a_misspelt_column_before_an_existing_clean_or_html(files, tmp_path):
    clean, html = _existing(tmp_path, "c.csv"), _existing(tmp_path, "r.html")
    assert_user_error(run("check", files["csv"], "-t", "nope", "--clean", clean), "unknown target column 'nope'")
    assert_user_error(run("check", files["csv"], "--sample-weight", "ww", "--html", html), "unknown --sample-weight column 'ww'")
    assert clean.read_bytes() == b"keep" and html.read_bytes() == b"keep"


@pytest.mark.parametrize("source", ["csv", "folder"])
def test_predict_names_a_misspelt_keep_before_an_existing_out(files, tmp_path, source):
    out = _existing(tmp_path, "p.csv")
    assert_user_error(run("predict", files["model"], files[source], "--keep", "idd", "-o", out), "--keep: the data has no column 'idd'. Did you mean 'id'?")
    assert out.read_bytes() == b"keep"


def test_distill_names_a_misspelt_column_before_an_existing_out(files, tmp_path):
    out = _existing(tmp_path, "s.safetensors")
    assert_user_error(run("distill", files["model"], files["csv"], "-t", "lable", "-o", out), "unknown target column 'lable'")
    assert_user_error(run("distill", files["model"], files["csv"], "--sample-weight", "ww", "-o", out), "unknown --sample-weight column 'ww'")
    assert out.read_bytes() == b"keep"


def test_right_columns_still_meet_the_output_check(files, tmp_path):
    """A target by position (-1: the last column) and right names pass the header check: the existing output is named."""
    out = _existing(tmp_path, "m.safetensors")
    res = run("train", files["csv"], "-t", "-1", "--features", "a,b", "--sample-weight", "w", "-o", out)
    assert_user_error(res, "already exists: pass --force")
    assert_user_error(run("check", files["csv"], "-t", "label", "--clean", _existing(tmp_path, "c.csv")), "already exists: pass --force")
    assert_user_error(run("predict", files["model"], files["folder"], "--keep", "id", "-o", _existing(tmp_path, "p.csv")), "already exists: pass --force")


def test_lr_find_and_prune_name_a_misspelt_column_before_an_existing_output(files, tmp_path):
    plot, out = _existing(tmp_path, "lr.png"), _existing(tmp_path, "small.safetensors")
    assert_user_error(run("lr-find", files["csv"], "-t", "label", "--sample-weight", "ww", "--plot", plot), "unknown --sample-weight column 'ww'")
    assert_user_error(run("prune", files["model"], files["csv"], "-t", "lable", "-o", out), "unknown target column 'lable'")
    assert plot.read_bytes() == b"keep" and out.read_bytes() == b"keep"


def test_text_column_is_named_before_an_existing_out(tmp_path):
    """train --app text and predict with a TextClassifier file: a misspelt --text-column before 'already exists'."""
    texts = tmp_path / "reviews.csv"
    words = ["good fun", "bad dull", "great film", "awful plot"] * 6
    pd.DataFrame({"review": words, "label": ["pos", "neg", "pos", "neg"] * 6}).to_csv(texts, index=False)
    model = tmp_path / "text.safetensors"
    ok("train", texts, "--app", "text", "--text-column", "review", "-t", "label", "--epochs", "1", "-q", "-o", model)
    out = _existing(tmp_path, "m.safetensors")
    assert_user_error(run("train", texts, "--app", "text", "--text-column", "reveiw", "-t", "label", "-o", out),
                      "--text-column 'reveiw' is not a column of the data; its columns are 'review'. Did you mean 'review'?")  # the read's words: the labels are no text column
    preds = _existing(tmp_path, "p.csv")
    assert_user_error(run("predict", model, texts, "--text-column", "reveiw", "-o", preds), "--text-column 'reveiw' is not a column of the data")
    assert out.read_bytes() == b"keep" and preds.read_bytes() == b"keep"


def test_inspect_names_a_misspelt_target_before_an_existing_report(files, tmp_path):
    page = _existing(tmp_path, "r.html")
    assert_user_error(run("inspect", files["model"], files["csv"], "-t", "lable", "-o", page), "unknown target column 'lable'")
    assert page.read_bytes() == b"keep"
