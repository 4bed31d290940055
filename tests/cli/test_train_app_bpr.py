"""``train --app recommender --loss bpr``: the ranking Recommender through the parameter table, scored by its top-10 lists
(not by a rating error its scores have no meaning for), in ``train``'s summary and in ``evaluate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


@pytest.fixture(scope="module")
def ratings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    users = rng.integers(0, 40, 800)
    items = (users % 4) * 10 + rng.integers(0, 10, 800)  # each user's items come from its group's 10
    frame = pd.DataFrame({"user": users, "item": items, "rating": rng.integers(1, 6, 800)}).drop_duplicates(["user", "item"])
    path = tmp_path_factory.mktemp("bpr") / "ratings.csv"
    frame.to_csv(path, index=False)
    return path


def test_train_and_evaluate_score_a_bpr_model_by_its_lists(ratings: Path, tmp_path: Path) -> None:
    model = tmp_path / "rank.safetensors"
    summary = _json(ok("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--set", "positive_threshold=3",
                       "--epochs", "20", "--lr", "0.01", "--seed", "0", "--out", model, "--json", "--quiet"))
    metrics = summary["test_metrics"]
    assert set(metrics) == {"precision_at_10", "recall_at_10", "ndcg_at_10", "map_at_10", "hit_rate_at_10"}  # no rmse of scores
    assert 0.0 < metrics["hit_rate_at_10"] <= 1.0
    rec = hl.Recommender.load(model)
    assert rec.loss == "bpr" and rec.positive_threshold == 3
    evaluated = _json(ok("evaluate", model, ratings, "--target", "rating", "--json"))
    frame = pd.read_csv(ratings)
    expected = hl.apps.ranking_metrics(rec, frame[["user", "item"]], frame.rating, k=10, relevant=3.0)
    assert evaluated["task"] == "ranking" and evaluated["relevant_from"] == 3.0
    assert evaluated["metrics"]["ndcg_at_10"] == pytest.approx(expected["ndcg"])
    assert evaluated["metrics"]["hit_rate_at_10"] == pytest.approx(expected["hit_rate"])
    table = ok("evaluate", model, ratings, "--target", "rating").stdout
    assert "ranking metrics" in table and "ndcg at 10" in table and "rmse" not in table


def test_a_bad_loss_is_one_line(ratings: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "hinge", "--out", out),
                      "loss must be 'squared_error' or 'bpr'")
    assert_user_error(run("train", ratings, "--app", "recommender", "--target", "rating", "--set", "positive_threshold=4", "--out", out),
                      "positive_threshold=4")
    assert not out.exists()


def test_the_onnx_export_of_a_bpr_model_is_not_scored_as_ratings(ratings: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    model, onnx = tmp_path / "rank.safetensors", tmp_path / "rank.onnx"
    ok("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--epochs", "2", "--seed", "0", "--out", model, "--quiet")
    ok("export", model, "--out", onnx)
    assert_user_error(run("evaluate", onnx, ratings, "--target", "rating"),
                      "trained with loss='bpr', whose outputs are ranking scores, not ratings")


def test_train_help_names_the_recommenders_losses() -> None:
    """`train --help`'s --loss listed the table models' losses only: --app recommender's bpr (the ranking model) was not named."""
    shown = " ".join(ok("train", "--help").stdout.split())
    loss = shown[shown.index("--loss"):]
    assert "--app recommender: squared_error" in loss and "or bpr" in loss


def test_predict_of_a_bpr_file_names_its_scores_as_scores(ratings: Path, tmp_path: Path) -> None:
    """predict of a loss='bpr' file wrote its ranking scores under 'predicted_rating', as if they were stars."""
    model = tmp_path / "rank.safetensors"
    ok("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--epochs", "2", "--out", model, "--quiet")
    out = tmp_path / "scores.csv"
    ok("predict", model, ratings, "--out", out)
    got = pd.read_csv(out)
    assert "predicted_score" in got.columns and "predicted_rating" not in got.columns
    frame = pd.read_csv(ratings)
    np.testing.assert_allclose(got["predicted_score"], hl.load(model).predict(frame[["user", "item"]]), rtol=1e-6)


def test_evaluate_of_a_bpr_file_says_whom_its_figures_cover(ratings: Path, tmp_path: Path) -> None:
    """evaluate's table gave the ranking figures without a word of the users left out (not seen in fit: no list) or of
    which pairs counted as relevant; only --json's users_left_out held them."""
    model = tmp_path / "rank.safetensors"
    ok("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--epochs", "2", "--out", model, "--quiet")
    frame = pd.read_csv(ratings)
    data = tmp_path / "with_new_users.csv"
    pd.concat([frame, pd.DataFrame({"user": [900, 901], "item": [1, 2], "rating": [5, 4]})]).to_csv(data, index=False)
    result = ok("evaluate", model, data)
    users = frame["user"].nunique()
    assert (f"note: ranking metrics over {users} user(s) with a pair rated 1 or more in the data" in result.stderr
            and "; 2 user(s) not seen in fit have no list and are left out" in result.stderr)
    assert _json(ok("evaluate", model, data, "--json"))["users_left_out"] == 2


def test_n_negatives_goes_through_the_parameter_table(ratings: Path, tmp_path: Path) -> None:
    model = tmp_path / "k3.safetensors"
    ok("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--set", "n_negatives=3", "--epochs", "2",
       "--seed", "0", "--out", model, "--quiet")
    assert hl.Recommender.load(model).n_negatives == 3
    out = tmp_path / "bad.safetensors"
    assert_user_error(run("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--set", "n_negatives=0",
                          "--out", out), "n_negatives")
    assert_user_error(run("train", ratings, "--app", "recommender", "--target", "rating", "--set", "n_negatives=3", "--out", out),
                      "n_negatives=3 sets the negatives per positive of loss='bpr'")
    assert not out.exists()


def test_matrix_factorization_trains_from_the_command_line(ratings: Path, tmp_path: Path) -> None:
    """`--hidden ""` (no hidden layer: with interaction=dot, matrix factorization) saved the model, then the summary took the
    empty spec for a Translator's ('no attribute bidirectional') and the command ended in an internal error."""
    model = tmp_path / "mf.safetensors"
    summary = _json(ok("train", ratings, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--set", "interaction=dot",
                       "--hidden", "", "--epochs", "2", "--seed", "0", "--out", model, "--json", "--quiet"))
    assert summary["hidden_layers"] == "none"
    rec = hl.Recommender.load(model)
    assert rec.interaction == "dot" and rec.network_.gmf


def test_a_clicks_file_without_ratings_is_told_to_add_a_column_of_ones(ratings: Path, tmp_path: Path) -> None:
    """Two id columns and no rating: the old line, "pass --target COLUMN (the ratings), one of 'user', 'item'", offered an id
    column as the ratings. It says what the file lacks and, for clicks (--loss bpr), what to add; with ones it trains."""
    clicks = tmp_path / "clicks.csv"
    pd.read_csv(ratings)[["user", "item"]].to_csv(clicks, index=False)
    for loss in ([], ["--loss", "bpr"]):
        assert_user_error(run("train", clicks, "--app", "recommender", *loss, "--out", tmp_path / "m.safetensors"),
                          "a Recommender reads two id columns, user and item, and a rating column, but the data has only 'user', 'item': add the "
                          "ratings and pass --target COLUMN (--loss bpr ranks every pair: for clicks or views without ratings, a column of ones).")
    assert not (tmp_path / "m.safetensors").exists()
    assert_user_error(run("train", ratings, "--app", "recommender", "--out", tmp_path / "m.safetensors"),
                      "no target column given: pass --target COLUMN (the ratings; --loss bpr: any numbers, e.g. ones, for clicks), one of 'user', 'item', 'rating'.")
    ones = tmp_path / "ones.csv"
    pd.read_csv(clicks).assign(clicked=1).to_csv(ones, index=False)
    summary = _json(ok("train", ones, "--app", "recommender", "--loss", "bpr", "--target", "clicked", "--epochs", "1", "--out", tmp_path / "m.safetensors",
                       "--json", "--quiet"))
    assert set(summary["test_metrics"]) == {"precision_at_10", "recall_at_10", "ndcg_at_10", "map_at_10", "hit_rate_at_10"}
