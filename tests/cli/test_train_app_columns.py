"""The files of ``hiddenlayers train --app`` keep the data file's columns they were trained on (the text column, the label,
rating or anomaly column), so ``predict``, ``evaluate`` and ``inspect`` read a file of the same layout with no options;
an explicit option still wins, and a file without them (fitted from Python) keeps the commands' own defaults.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run

POSITIVE = ["a fine film", "great acting and a fine cast", "brilliant and fun"]
NEGATIVE = ["a dull mess", "boring and slow", "an awful film"]


def _json(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout[result.stdout.index("{"):])


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two text columns: the reviews and their labels (pos/neg), as the review's user has them."""
    d = tmp_path_factory.mktemp("columns")
    rng = np.random.default_rng(0)
    good = rng.integers(0, 2, 120).astype(bool)
    texts = [str(rng.choice(POSITIVE if g else NEGATIVE)) for g in good]
    pd.DataFrame({"review": texts, "label": np.where(good, "pos", "neg")}).to_csv(d / "labelled.csv", index=False)
    return d


@pytest.fixture(scope="module")
def text_model(reviews: Path) -> Path:
    model = reviews / "reviews.safetensors"
    ok("train", reviews / "labelled.csv", "--app", "text", "--target", "label", "--hidden", "embed8,gru8", "--epochs", "12", "--lr", "0.01",
       "--test-size", "0", "--out", model, "--quiet")
    return model


def test_a_text_app_file_reads_its_text_column_with_no_option(reviews: Path, text_model: Path) -> None:
    predicted = pd.read_csv(io.StringIO(ok("predict", text_model, reviews / "labelled.csv").stdout))
    truth = pd.read_csv(reviews / "labelled.csv")["label"]
    assert list(predicted.columns) == ["predicted_label"]
    assert (predicted["predicted_label"] == truth).mean() >= 0.9  # learned, read from 'review' (not from 'label')
    scored = _json(ok("evaluate", text_model, reviews / "labelled.csv", "--json"))  # the text and the label column both kept
    assert scored["target"] == "label" and scored["metrics"]["accuracy"] >= 0.9


def test_an_explicit_text_column_still_wins(reviews: Path, text_model: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(reviews / "labelled.csv")
    frame.assign(other=["a dull mess"] * len(frame)).to_csv(tmp_path / "more.csv", index=False)
    predicted = pd.read_csv(io.StringIO(ok("predict", text_model, tmp_path / "more.csv", "--text-column", "other").stdout))
    assert set(predicted["predicted_label"]) == {"neg"}  # every row read from 'other', not from the kept 'review'


def test_a_kept_text_column_the_data_lacks_falls_back_to_the_only_text_column(reviews: Path, text_model: Path, tmp_path: Path) -> None:
    pd.read_csv(reviews / "labelled.csv")[["review"]].rename(columns={"review": "comment"}).to_csv(tmp_path / "renamed.csv", index=False)
    assert len(pd.read_csv(io.StringIO(ok("predict", text_model, tmp_path / "renamed.csv").stdout))) == 120
    renamed = pd.read_csv(reviews / "labelled.csv").rename(columns={"review": "comment"})
    renamed.to_csv(tmp_path / "labelled.csv", index=False)  # the kept label column is no input: 'comment' is the only text column left
    assert len(pd.read_csv(io.StringIO(ok("predict", text_model, tmp_path / "labelled.csv").stdout))) == 120
    renamed.assign(note="x").to_csv(tmp_path / "two.csv", index=False)
    assert_user_error(run("predict", text_model, tmp_path / "two.csv"), "the model was trained on a column 'review', which it lacks")


def test_a_text_file_fitted_from_python_keeps_todays_rule(reviews: Path, tmp_path: Path) -> None:
    from hiddenlayers.apps import TextClassifier

    frame = pd.read_csv(reviews / "labelled.csv")
    TextClassifier("embed4,gru4", max_iter=1, random_state=0).fit(list(frame["review"]), frame["label"]).save(tmp_path / "py.safetensors")
    assert_user_error(run("predict", tmp_path / "py.safetensors", reviews / "labelled.csv"), "the data has 2 text columns ('review', 'label')")
    assert_user_error(run("evaluate", tmp_path / "py.safetensors", reviews / "labelled.csv"), "no target column given")


def test_the_kept_columns_survive_save_and_load(text_model: Path, tmp_path: Path) -> None:
    import hiddenlayers as hl

    model = hl.load(text_model)
    assert model.data_columns_ == {"text_column": "review", "target": "label"}
    model.save(tmp_path / "again.safetensors")
    assert hl.load(tmp_path / "again.safetensors").data_columns_ == {"text_column": "review", "target": "label"}


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 digits as 64 uint8 pixel columns beside their label column 'digit', and an image app trained on them."""
    from sklearn.datasets import load_digits

    d = tmp_path_factory.mktemp("digits")
    data = load_digits()
    pixels = (data.images[:400] * (255 / 16)).astype(np.uint8).reshape(400, 64)
    pd.DataFrame(pixels, columns=[f"p{i}" for i in range(64)]).assign(digit=data.target[:400]).to_csv(d / "d.csv", index=False)
    ok("train", d / "d.csv", "--app", "image", "--target", "digit", "--image-dtype", "uint8", "--hidden", "conv8k3:same,pool2,32", "--epochs", "8",
       "--lr", "0.01", "--test-size", "0", "--out", d / "img.safetensors", "--quiet")
    return d


def test_an_image_app_file_leaves_its_label_column_out_of_the_pixels(digits: Path) -> None:
    predicted = pd.read_csv(io.StringIO(ok("predict", digits / "img.safetensors", digits / "d.csv", "--image-dtype", "uint8").stdout))
    assert (predicted["predicted_label"] == pd.read_csv(digits / "d.csv")["digit"]).mean() >= 0.8  # 64 pixels read, 'digit' not one of them
    kept = pd.read_csv(io.StringIO(ok("predict", digits / "img.safetensors", digits / "d.csv", "--image-dtype", "uint8", "--keep", "digit").stdout))
    assert list(kept.columns) == ["digit", "predicted_label"]  # --keep still writes it beside the predictions


def test_an_image_app_file_is_evaluated_against_its_label_column(digits: Path) -> None:
    scored = _json(ok("evaluate", digits / "img.safetensors", digits / "d.csv", "--image-dtype", "uint8", "--json"))
    assert scored["target"] == "digit" and scored["metrics"]["accuracy"] >= 0.8


def test_autoencoder_and_recommender_files_are_evaluated_against_their_kept_column(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    cancer = load_breast_cancer(as_frame=True).frame
    cancer.assign(malignant=1 - cancer.pop("target")).to_csv(tmp_path / "cancer.csv", index=False)
    ok("train", tmp_path / "cancer.csv", "--app", "autoencoder", "--target", "malignant", "--hidden", "16", "--set", "n_components=4", "--epochs", "30",
       "--test-size", "0", "--out", tmp_path / "auto.safetensors", "--quiet")
    scored = _json(ok("evaluate", tmp_path / "auto.safetensors", tmp_path / "cancer.csv", "--json"))
    assert scored["target"] == "malignant" and scored["metrics"]["roc_auc"] >= 0.85  # scored against the kept anomaly column
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 20, 600), rng.integers(0, 15, 600)
    ratings = np.clip(3 + rng.normal(0, 1, 20)[users] + rng.normal(0, 1, 15)[items], 1, 5)
    pd.DataFrame({"user": users, "item": items, "stars": ratings, "ones": 1.0}).to_csv(tmp_path / "stars.csv", index=False)
    ok("train", tmp_path / "stars.csv", "--app", "recommender", "--target", "stars", "--features", "user,item", "--epochs", "3", "--test-size", "0",
       "--out", tmp_path / "rec.safetensors", "--quiet")
    scored = _json(ok("evaluate", tmp_path / "rec.safetensors", tmp_path / "stars.csv", "--json"))
    assert scored["target"] == "stars" and np.isfinite(scored["metrics"]["rmse"])
    other = _json(ok("evaluate", tmp_path / "rec.safetensors", tmp_path / "stars.csv", "--target", "ones", "--json"))  # an explicit --target wins
    assert other["target"] == "ones" and other["metrics"]["rmse"] != scored["metrics"]["rmse"]


def test_inspect_of_a_text_app_file_takes_its_kept_label_column(reviews: Path, text_model: Path, tmp_path: Path) -> None:
    shown = _json(ok("inspect", text_model, reviews / "labelled.csv", "--out", tmp_path / "r.html", "--json"))
    assert shown["target"] == "label"  # the probes' labels: the kept column, with no --target (it read no label before)
