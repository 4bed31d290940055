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


def test_n_past_the_items_notes_the_lists_true_lengths(model_file: tuple[Path, Recommender]) -> None:
    """The note said "each list holds at most 40" where the lists, less each user's rated items, held fewer."""
    path, rec = model_file
    rated = [int(rec.rated_[[rec.users_.get_loc(u)]].sum()) for u in (2, 3)]
    result = ok("recommend", path, "--users", "2", "-n", "50")
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 40 - rated[0]
    assert (f"note: -n 50 is more than the model's 40 items: the list holds {40 - rated[0]} items (the 40 candidates less the {rated[0]} "
            "the user rated in training)") in " ".join(result.stderr.split())
    low, high = sorted(40 - r for r in rated)
    shown = " ".join(ok("recommend", path, "--users", "2,3", "-n", "50").stderr.split())
    assert f"the lists hold {low if low == high else f'{low} to {high}'} items (the 40 candidates less those each user rated in training)" in shown


def test_items_ranks_only_those_candidates_as_pythons_items(model_file: tuple[Path, Recommender], tmp_path: Path) -> None:
    path, rec = model_file
    got = pd.read_csv(io.StringIO(ok("recommend", path, "--users", "3,1", "-n", "3", "--items", "7, 2,30,11,5").stdout))
    expected = rec.recommend([3, 1], n=3, items=[7, 2, 30, 11, 5])
    pd.testing.assert_frame_equal(got[["user", "rank", "item"]], expected[["user", "rank", "item"]])
    assert set(got.item) <= {7, 2, 30, 11, 5}
    (tmp_path / "items.txt").write_text("7\n2\n\n30,11\n5\n")  # a file of ids, one per line (or comma-separated): the same lists
    (tmp_path / "users.txt").write_text("3\n1\n")
    from_files = pd.read_csv(io.StringIO(ok("recommend", path, "--users", tmp_path / "users.txt", "-n", "3", "--items", tmp_path / "items.txt").stdout))
    pd.testing.assert_frame_equal(from_files, got)
    result = ok("recommend", path, "--users", "2", "-n", "5", "--items", "4,9", "--include-seen")
    assert "note: -n 5 is more than the 2 --items: the list holds 2 items" in result.stderr
    assert sorted(pd.read_csv(io.StringIO(result.stdout)).item) == [4, 9]


def test_tied_scores_are_listed_by_item_id(model_file: tuple[Path, Recommender], tmp_path: Path) -> None:
    """Every item given one vector: all scores tie, and the CLI's list is the candidates in id order (topk's order before)."""
    import copy

    rec = copy.deepcopy(model_file[1])
    rec.network_.item.weight.data[:] = rec.network_.item.weight.data[0]
    rec.network_.item_bias.weight.data[:] = rec.network_.item_bias.weight.data[0]
    rec.save(tmp_path / "tied.safetensors")
    got = pd.read_csv(io.StringIO(ok("recommend", tmp_path / "tied.safetensors", "--users", "5", "-n", "40", "--include-seen").stdout))
    assert got.item.tolist() == sorted(rec.items_) and got.score.nunique() == 1


def test_unknown_items_are_refused_in_cli_words_not_pythons(model_file: tuple[Path, Recommender], tmp_path: Path) -> None:
    """It said "pass items the model knows (its items_)": a Python attribute a CLI user never sees. Text ids are shown as text."""
    path, _ = model_file
    result = run("recommend", path, "--users", "1", "--items", "4,999")
    assert_user_error(result, "it knows 40 items: 0, 1, 2, 3, 4, ...")
    assert "items_" not in result.stderr and "(its " not in result.stderr
    df = pd.DataFrame({"user": ["u1", "u2", "u1"], "item": ["b", "a", "c"], "rating": [4.0, 3.0, 5.0]})
    Recommender(n_factors=2, hidden_layer_sizes=(), max_iter=1, random_state=0).fit(df[["user", "item"]], df.rating).save(tmp_path / "t.safetensors")
    assert_user_error(run("recommend", tmp_path / "t.safetensors", "--users", "u1", "--items", "a,z"),
                      "--items holds 1 item id(s) the model was not trained on (first: 'z'), which it has no vector to rank: "
                      "pass ids from its training data (it knows 3 items: 'a', 'b', 'c'), or leave out --items to rank them all.")


@pytest.mark.parametrize(("args", "message"), [
    (["--items", "1,x"], "--items holds 'x', but the model's item ids are numbers"),
    (["--items", "4,4"], "--items names '4' more than once: give each item once."),
    (["--items", "4,,5"], "--items must be comma-separated item ids (or a file of them), e.g. --items 10,20,30."),
    (["--items", "4,999,1000"], "--items holds 2 item id(s) the model was not trained on (first: 999), which it has no vector to rank: "
                                "pass ids from its training data (it knows 40 items: 0, 1, 2, 3, 4, ...), or leave out --items to rank them all."),
    (["--items", "EMPTY"], "holds no item ids: write them one per line."),
    (["--items", "DUPS"], "names '3' more than once: give each item once."),
])
def test_items_errors_are_one_line(model_file: tuple[Path, Recommender], tmp_path: Path, args: list[str], message: str) -> None:
    path, _ = model_file
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "dups.txt").write_text("3\n4\n3\n")
    files = {"EMPTY": str(tmp_path / "empty.txt"), "DUPS": str(tmp_path / "dups.txt")}
    assert_user_error(run("recommend", path, "--users", "1", *[files.get(a, a) for a in args]), message)


def test_out_dash_is_stdout(model_file: tuple[Path, Recommender], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out -` writes to stdout, as `-` means to curl or tar; it was refused as a path without a table suffix."""
    path, _ = model_file
    monkeypatch.chdir(tmp_path)
    assert ok("recommend", path, "--users", "3,1", "-n", "4", "--out", "-").stdout == ok("recommend", path, "--users", "3,1", "-n", "4").stdout
    assert not list(tmp_path.iterdir())


def test_ids_of_the_other_type_are_refused_in_the_clis_words(tmp_path: Path) -> None:
    """predict and evaluate of a model trained on text ids given numbers said "convert them with .astype(str) first"."""
    X = pd.DataFrame({"user": ["u1", "u1", "u2", "u3"], "item": ["a", "b", "a", "c"]})
    Recommender(n_factors=2, hidden_layer_sizes=(), max_iter=1, random_state=0).fit(X, [5.0, 3.0, 4.0, 2.0]).save(tmp_path / "m.safetensors")
    pd.DataFrame({"user": [1, 2], "item": ["a", "b"], "rating": [4.0, 3.0]}).to_csv(tmp_path / "d.csv", index=False)
    message = ("the user id column 'user' holds numbers (first: 1) but the model was trained on user ids that are text (first: 'u1'), so "
               "none of them is known: check that the column holds the user ids of the training data, written as they were there.")
    for command in (["predict", tmp_path / "m.safetensors", tmp_path / "d.csv"], ["evaluate", tmp_path / "m.safetensors", tmp_path / "d.csv", "--target", "rating"]):
        result = run(*command)
        assert_user_error(result, message)
        assert ".astype" not in result.stderr


def test_train_refuses_id_columns_named_item_then_user_naming_features(tmp_path: Path) -> None:
    pd.DataFrame({"movieId": [10, 20, 10], "userId": [1, 1, 2], "rating": [5.0, 3.0, 4.0]}).to_csv(tmp_path / "r.csv", index=False)
    assert_user_error(run("train", tmp_path / "r.csv", "--app", "recommender", "--target", "rating", "--out", tmp_path / "m.safetensors"),
                      "the id columns are 'movieId' then 'userId': by their names the first holds items and the second users, but a Recommender "
                      "reads user then item, so they would be swapped: pass --features userId,movieId.")
    assert not (tmp_path / "m.safetensors").exists()


def test_train_notes_repeated_pairs_by_file_line_for_ratings_only(tmp_path: Path) -> None:
    pd.DataFrame({"user": [1, 1, 2, 1], "item": [10, 20, 10, 10], "rating": [5.0, 3.0, 4.0, 1.0]}).to_csv(tmp_path / "r.csv", index=False)
    args = ("train", tmp_path / "r.csv", "--app", "recommender", "--target", "rating", "--epochs", "1", "--test-size", "0")
    shown = " ".join(ok(*args, "--out", tmp_path / "m.safetensors").stderr.split())
    assert ("note: the training rows hold 1 (user, item) pair(s) given more than once (first: user 1, item 10, on line 2 and line 5): each "
            "is fitted as a separate rating, as Surprise does, so such a pair weighs more; to fit one rating per pair, average each pair's "
            "ratings in the file first.") in shown
    assert "groupby" not in shown  # the app's warning, in Python's words, is not shown beside it
    assert "given more than once" not in ok(*args, "--loss", "bpr", "--out", tmp_path / "b.safetensors").stderr  # one positive
