"""``hiddenlayers recommend``: a saved Recommender's top-N lists as predict writes tables; user errors in one line."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run
from hiddenlayers import Recommender
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._recommend import parse_user_ids

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recommender]:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"user": rng.integers(0, 30, 600), "item": rng.integers(0, 40, 600), "rating": rng.integers(1, 6, 600).astype(float)})
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(df[["user", "item"]], df.rating)
    path = tmp_path_factory.mktemp("rec") / "stars.safetensors"
    rec.save(path)
    return path, Recommender.load(path)


def test_lists_on_stdout_are_the_models(model_file: tuple[Path, Recommender]) -> None:
    path, rec = model_file
    result = ok("recommend", path, "--users", "3,1", "-n", "4")
    got = pd.read_csv(io.StringIO(result.stdout))
    expected = rec.recommend([3, 1], n=4)
    assert list(got.columns) == ["user", "rank", "item", "score"]
    pd.testing.assert_frame_equal(got[["user", "rank", "item"]], expected[["user", "rank", "item"]])
    np.testing.assert_allclose(got.score, expected.score, rtol=1e-6)


def test_out_file_and_include_seen(model_file: tuple[Path, Recommender], tmp_path: Path) -> None:
    path, rec = model_file
    result = ok("recommend", path, "--users", "2", "-n", "50", "--include-seen", "--out", tmp_path / "lists.jsonl")
    assert "-n 50 is more than the model's 40 items" in result.stderr
    got = pd.read_json(tmp_path / "lists.jsonl", lines=True)
    assert got.item.tolist() == rec.recommend(2, n=40, exclude_seen=False).item.tolist()
    assert len(got) == 40
    assert_user_error(run("recommend", path, "--users", "2", "--out", tmp_path / "lists.jsonl"), "already exists: pass --force")


def test_an_unseen_user_is_noted(model_file: tuple[Path, Recommender]) -> None:
    path, _ = model_file
    result = ok("recommend", path, "--users", "1,999", "-n", "2")
    assert "note: 1 of 2 users were not seen in fit (first: 999)" in result.stderr
    assert pd.read_csv(io.StringIO(result.stdout)).user.tolist() == [1, 1, 999, 999]


@pytest.mark.parametrize(("args", "message"), [
    (["--users", "1,x"], "--users holds 'x', but the model's user ids are numbers"),
    (["--users", "1,1"], "--users names '1' more than once"),
    (["--users", "1,,2"], "--users must be comma-separated user ids"),
    (["--users", "1", "-n", "0"], "-n must be at least 1"),
    (["--users", "1", "--out", "lists.txt"], "--out must end in .csv, .tsv, .jsonl or .parquet"),
])
def test_user_errors_are_one_line(model_file: tuple[Path, Recommender], args: list[str], message: str) -> None:
    path, _ = model_file
    assert_user_error(run("recommend", path, *args), message)


def test_other_files_are_refused(tmp_path: Path) -> None:
    assert_user_error(run("recommend", LEGACY / "recommender.safetensors", "--users", "1"), "was saved before Recommender files kept the pairs")
    assert_user_error(run("recommend", tmp_path / "none.safetensors", "--users", "1"), "does not exist")
    # another app's file named its class without an article: "holds Forecaster, not a Recommender"
    assert_user_error(run("recommend", LEGACY / "forecaster.safetensors", "--users", "1"), "holds a Forecaster, not a Recommender")
    assert_user_error(run("recommend", LEGACY / "autoencoder.safetensors", "--users", "1"), "holds an Autoencoder, not a Recommender")
    assert_user_error(run("recommend", LEGACY / "mlp_classifier.safetensors", "--users", "1"), "holds a table model, not a Recommender")


@settings(max_examples=50, deadline=None)
@given(ids=st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=8, unique=True))
def test_parse_user_ids_reads_integers_back(ids: list[int]) -> None:
    assert parse_user_ids(",".join(map(str, ids)), "i") == ids
    assert parse_user_ids(", ".join(map(str, ids)), "O") == [str(i) for i in ids]


@settings(max_examples=50, deadline=None)
@given(text=st.text(alphabet="ab,1 ", max_size=8))
def test_parse_user_ids_refuses_or_reads_every_text(text: str) -> None:
    try:
        ids = parse_user_ids(text, "i")
    except UserError as exc:
        assert str(exc).startswith("--users ")
    else:
        assert len(ids) == len(set(ids)) == len(text.split(","))


def test_help_says_which_rated_items_are_left_out() -> None:
    """A file of train --app holds out --test-size of the ratings (never fitted, so not in rated_): recommend lists those items as
    unrated, and its help did not say so (a user expects every rating of the training file left out)."""
    shown = " ".join(ok("recommend", "--help").stdout.split())
    assert "rows it held out to score" in shown and "--test-size 0" in shown
