"""``hiddenlayers train DATA --app KIND``: each application trained from a data file, then read back by predict and evaluate.

Each app learns from real or plainly structured data written in ``tmp_path`` and must reach a
score a broken fit would not (held-out, and again through ``evaluate`` on the written file);
train's options that do not apply, and bad input, are one ``error:`` line with nothing written.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from cli_helpers import assert_user_error, interrupted_run, ok, run

POSITIVE = ["a fine film", "great acting and a fine cast", "a wonderful moving story", "brilliant and fun", "fine work, great fun"]
NEGATIVE = ["a dull mess", "boring and slow", "a terrible plot", "dull acting and a weak cast", "an awful film"]


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_breast_cancer

    d = tmp_path_factory.mktemp("train_app")
    rng = np.random.default_rng(0)
    good = rng.integers(0, 2, 240).astype(bool)
    texts = [str(rng.choice(POSITIVE if g else NEGATIVE)) for g in good]
    pd.DataFrame({"stars": rng.integers(1, 6, 240), "review": texts, "label": np.where(good, "pos", "neg")}).to_csv(d / "reviews.csv", index=False)
    cancer = load_breast_cancer(as_frame=True).frame
    cancer.assign(malignant=1 - cancer.pop("target")).to_csv(d / "cancer.csv", index=False)  # malignant: the anomalies
    users, items = rng.integers(0, 40, 3000), rng.integers(0, 30, 3000)
    ratings = np.clip(3 + rng.normal(0, 1, 40)[users] + rng.normal(0, 1, 30)[items] + rng.normal(0, 0.3, 3000), 1, 5)
    pd.DataFrame({"user": users, "item": items, "rating": ratings}).to_csv(d / "ratings.csv", index=False)
    return d


def test_text_app_learns_the_labels_and_predict_and_evaluate_read_its_file(files: Path, tmp_path: Path) -> None:
    model = tmp_path / "text.safetensors"
    summary = _json(ok("train", files / "reviews.csv", "--app", "text", "--text-column", "review", "--target", "label", "--hidden", "embed8,gru8",
                       "--epochs", "15", "--lr", "0.01", "--set", "normalize=NFC", "--out", model, "--json"))
    assert hl.load(model).tokenizer_.normalize == "NFC"  # the tokenizer's settings are --set's
    assert summary["app"] == "TextClassifier" and summary["text_column"] == "review" and summary["test_rows"] == 48
    assert summary["test_metrics"]["accuracy"] >= 0.9  # a broken fit is at chance, 0.5
    # the held-out summary ranks the probabilities too, as evaluate does (it gave the labels' metrics only)
    assert summary["test_metrics"]["roc_auc"] >= 0.9 and summary["test_metrics"]["average_precision"] >= 0.9
    scored = _json(ok("evaluate", model, files / "reviews.csv", "--target", "label", "--text-column", "review", "--json"))
    assert scored["metrics"]["accuracy"] >= 0.9
    predicted = pd.read_csv(io.StringIO(ok("predict", model, files / "reviews.csv", "--text-column", "review").stdout))
    truth = pd.read_csv(files / "reviews.csv")["label"]
    assert (predicted["predicted_label"] == truth).mean() >= 0.9


def test_the_stored_text_column_of_numbers_is_named_as_the_models_not_as_an_option_never_given(files: Path, tmp_path: Path) -> None:
    import typing

    from hiddenlayers.cli._app import TextColumn, ValueColumn

    model = tmp_path / "t.safetensors"
    ok("train", files / "reviews.csv", "--app", "text", "--target", "label", "--hidden", "embed4,gru4", "--epochs", "1", "--out", model, "-q")
    numbers = tmp_path / "numbers.csv"
    pd.read_csv(files / "reviews.csv").assign(review=lambda f: np.arange(len(f))).to_csv(numbers, index=False)
    # no --text-column was given: the message said "--text-column 'review' holds numbers"
    assert_user_error(run("predict", model, numbers), "the text column 'review' (the model's, from training) holds numbers, not text: "
                      "a TextClassifier reads words; pass the column of texts as --text-column NAME.")
    # predict's and evaluate's help said the default is the only text (numeric) column; it is the stored one first
    for option, words in ((TextColumn, "the one a file of `train --app text` keeps"), (ValueColumn, "the one the model was trained on")):
        assert words in typing.get_args(option)[1].help


def test_verbose_progress_lines_go_to_stderr_and_json_stdout_is_one_document(files: Path, tmp_path: Path) -> None:
    result = ok("train", files / "reviews.csv", "--app", "text", "--target", "label", "--hidden", "embed4,gru4", "--epochs", "3",
                "--set", "verbose=true", "--out", tmp_path / "t.safetensors", "--json")
    summary = json.loads(result.stdout)  # the whole of stdout: no progress line before the document
    assert summary["app"] == "TextClassifier" and summary["epochs"] == 3
    assert [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("epoch ")] == ["epoch 1", "epoch 2", "epoch 3"]


def test_autoencoder_app_learns_normal_rows_and_ranks_the_anomalies(files: Path, tmp_path: Path) -> None:
    model = tmp_path / "auto.safetensors"
    summary = _json(ok("train", files / "cancer.csv", "--app", "autoencoder", "--target", "malignant", "--hidden", "16", "--set", "n_components=4",
                       "--epochs", "30", "--out", model, "--json"))
    assert "malignant" not in summary["features"] and len(summary["features"]) == 30
    assert 280 <= summary["rows"] <= 290  # of the 455 training rows, the benign ones only (357 of 569 in all)
    assert summary["test_metrics"]["roc_auc"] >= 0.9  # an untrained autoencoder ranks malignant rows near chance
    scored = _json(ok("evaluate", model, files / "cancer.csv", "--target", "malignant", "--json"))
    assert scored["metrics"]["roc_auc"] >= 0.9
    predicted = pd.read_csv(io.StringIO(ok("predict", model, files / "cancer.csv").stdout))
    above = predicted["reconstruction_error"] > summary["threshold"]  # the threshold the summary gives is predict's
    assert ((predicted["predicted_anomaly"] == -1) == above).mean() > 0.99
    # the lens report reads the app's file too (every section of an autoencoder's report: tests/cli/test_cli_apps.py's auto-inspect)
    shown = ok("inspect", model, files / "cancer.csv", "--sections", "gradient-flow", "--out", tmp_path / "auto.html").stdout
    # trained without --gradient-flow: the hint names the option that records it for an app
    assert "gradient flow: not recorded (train the app with `hiddenlayers train DATA --app KIND --gradient-flow`" in " ".join(shown.split())
    page = (tmp_path / "auto.html").read_text()
    assert "<html" in page.lower() and 'id="gradient-flow"' in page


@pytest.mark.parametrize("kind", [0, 1])
def test_an_anomaly_column_of_one_kind_says_so_and_how_to_train_on_normal_rows(files: Path, tmp_path: Path, kind: int) -> None:
    """A column of one value (every row normal, or every row an anomaly) was told it "must hold 0/1 ..., both present.
    Received values 0", which names no fix; the novelty-detection user with clean rows is told how to train on them."""
    data = tmp_path / "one_kind.csv"
    pd.read_csv(files / "cancer.csv").assign(malignant=kind).to_csv(data, index=False)
    out = tmp_path / "one.safetensors"
    assert_user_error(run("train", data, "--app", "autoencoder", "--target", "malignant", "--epochs", "1", "--out", out),
                      f"the anomaly column 'malignant' holds one value only ({kind}): ROC-AUC and the flag's precision and recall need normal rows "
                      "(0, False or +1) and anomalies (1, True or -1) both: to learn from rows that are all normal, leave out --target and name the "
                      "input columns with --features")
    assert not out.exists()


def test_labels_of_one_class_are_refused_as_a_table_models_are(files: Path, tmp_path: Path) -> None:
    """A text, image or sequence app's labels of one class came through as "training failed: y has a single class 'pos': a
    classifier needs at least two", naming a y the command line never showed and no fix; now train's table-model words."""
    text = tmp_path / "one.csv"
    pd.read_csv(files / "reviews.csv").assign(label="pos").to_csv(text, index=False)
    out = tmp_path / "one.safetensors"
    assert_user_error(run("train", text, "--app", "text", "--target", "label", "--epochs", "1", "--out", out),
                      "target 'label' has only one class ('pos') in 240 rows: a classifier needs at least 2 different values: check --target, "
                      "or add rows of another class.")
    images = tmp_path / "one.npz"
    np.savez(images, X=np.zeros((12, 8, 8)), y=np.ones(12, dtype=int))
    assert_user_error(run("train", images, "--app", "image", "--epochs", "1", "--out", out),
                      "the labels 'y' have only one class (1) in 12 images: a classifier needs at least 2 different values")
    steps = tmp_path / "steps.csv"
    pd.DataFrame({"id": np.repeat(np.arange(6), 3), "x": np.arange(18.0), "label": 1}).to_csv(steps, index=False)
    assert_user_error(run("train", steps, "--app", "sequence", "--id-column", "id", "--target", "label", "--epochs", "1", "--out", out),
                      "target 'label' has only one class (1) in 6 sequences: a classifier needs at least 2 different values")
    assert not out.exists()


def test_an_interrupted_app_fit_says_where_it_saved_as_train_does(files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hiddenlayers.cli._apptrain as at

    real = at.fit_app

    def interrupted(model: Any, *args: Any, **kwargs: Any) -> Any:  # the app caught Ctrl-C, kept its best weights and returned
        real(model, *args, **kwargs)
        model.stop_reason_ = "interrupted"
        return model

    monkeypatch.setattr(at, "fit_app", interrupted)
    out = tmp_path / "a.safetensors"
    result = interrupted_run("train", files / "cancer.csv", "--app", "autoencoder", "--target", "malignant", "--hidden", "8", "--epochs", "2",
                             "--out", out, "--json")  # exit 130: before, 0
    assert _json(result)["stop_reason"] == "interrupted" and out.exists()  # the JSON summary is still printed, before the exit
    assert result.stderr.strip().splitlines()[-1] == f"interrupted: the best model so far was saved to {out}"


def test_autoencoder_with_a_code_as_wide_as_its_input_says_so_in_one_note(files: Path, tmp_path: Path) -> None:
    """--set n_components=100 on 30 columns: the bottleneck can learn the identity; train says so once, as a note, and still trains."""
    result = ok("train", files / "cancer.csv", "--app", "autoencoder", "--target", "malignant", "--set", "n_components=100",
                "--epochs", "1", "--out", tmp_path / "wide.safetensors", "--quiet")
    notes = [line for line in result.stderr.splitlines() if "n_components" in line]
    assert len(notes) == 1 and notes[0].startswith("note: n_components=100 is at least the input's width, 30 columns"), result.stderr
    assert "Set n_components below 30" in notes[0] and (tmp_path / "wide.safetensors").exists()


def test_autoencoder_without_target_reports_its_threshold(files: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(files / "cancer.csv").drop(columns=["malignant"]).assign(note="x")
    frame.to_csv(tmp_path / "plain.csv", index=False)
    result = ok("train", tmp_path / "plain.csv", "--app", "autoencoder", "--hidden", "8", "--epochs", "5", "--out", tmp_path / "a.safetensors", "--json")
    summary = _json(result)
    assert summary["target"] is None and summary["threshold"] > 0 and "note" not in summary["features"]
    assert "left out 1 column(s) that hold text" in result.stderr
    assert 0.0 < summary["test_metrics"]["flagged_share"] < 0.5


def test_recommender_app_beats_the_mean_rating_and_evaluate_agrees(files: Path, tmp_path: Path) -> None:
    model = tmp_path / "rec.safetensors"
    summary = _json(ok("train", files / "ratings.csv", "--app", "recommender", "--target", "rating", "--epochs", "10", "--out", model, "--json"))
    assert summary["features"] == ["user", "item"]
    metrics = summary["test_metrics"]
    assert metrics["rmse"] < 0.6 < metrics["mean_rating_rmse"]  # the biases alone explain most; the mean rating does not
    scored = _json(ok("evaluate", model, files / "ratings.csv", "--target", "rating", "--json"))
    assert scored["metrics"]["rmse"] < 0.6
    frame = pd.read_csv(files / "ratings.csv")  # the held-out rows whose user or item the training part lacks: evaluate's cold-start split
    assert summary["test_cold_start_rows"] == scored["cold_start"]["rows"] == 0  # every id was trained on: the whole file is known
    assert len(frame) == scored["known"]["rows"]


def test_forecaster_app_backtest_is_evaluates_and_beats_the_naive_forecast(tmp_path: Path) -> None:
    pytest.importorskip("statsmodels")
    import hiddenlayers as hl
    from hiddenlayers.data import load_co2

    pd.DataFrame({"month": np.arange(526), "co2": load_co2().to_numpy()}).to_csv(tmp_path / "co2.csv", index=False)
    model = tmp_path / "fc.safetensors"
    summary = _json(ok("train", tmp_path / "co2.csv", "--app", "forecaster", "--value-column", "co2", "--window", "24", "--horizon", "12",
                       "--set", "target=delta", "--epochs", "100", "--steps", "12", "--out", model, "--json"))
    assert (summary["window"], summary["horizon"], summary["test_rows"], summary["rows"]) == (24, 12, 12, 514)
    assert summary["test_metrics"]["mae"] < summary["test_metrics"]["naive_mae"] / 3  # one epoch is about as bad as naive
    # the file keeps the value column it was trained on: evaluate and predict read it again without --value-column
    scored = _json(ok("evaluate", model, tmp_path / "co2.csv", "--steps", "12", "--json"))
    assert scored["metrics"]["mae"] == pytest.approx(summary["test_metrics"]["mae"])  # the same backtest: fitted without those 12 values
    assert scored["value_column"] == "co2"
    forecast = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "co2.csv", "--value-column", "co2").stdout))
    assert len(forecast) == 12 and forecast["forecast_co2"].between(360, 380).all()
    kept = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "co2.csv").stdout))
    pd.testing.assert_frame_equal(kept, forecast)
    assert hl.load(model).data_columns_ == {"value_column": "co2"}
    pd.DataFrame({"month": np.arange(40), "ppm": np.linspace(300, 340, 40)}).to_csv(tmp_path / "other.csv", index=False)
    assert_user_error(run("predict", model, tmp_path / "other.csv"),
                      "a Forecaster reads one value column (the series, oldest first) but the data has 2 numeric columns ('month', 'ppm') "
                      "(the model was trained on a column 'co2', which it lacks): pass --value-column NAME.")


@pytest.mark.parametrize(("n", "args", "held"), [
    (100, [], 20),  # 0.2 of the series by default, as --test-size for every app (it was --horizon's 1 value)
    (100, ["--horizon", "30"], 30),  # at least one horizon
    (18, [], 4),  # ceil(0.2 x 18) = 4 leaves window 8 + horizon 1 + 1 = 10 to train on
    (12, [], 2),  # fewer: the default shrinks to leave those 10 (it never goes below --horizon)
    (100, ["--test-size", "0.1"], 10), (100, ["--test-size", "0"], 0), (100, ["--steps", "7"], 7),
])
def test_forecaster_app_holds_out_a_share_of_the_series_by_default(tmp_path: Path, n: int, args: list[str], held: int) -> None:
    pd.DataFrame({"v": np.sin(np.arange(n) / 5)}).to_csv(tmp_path / "s.csv", index=False)
    model = tmp_path / "f.safetensors"
    summary = _json(ok("train", tmp_path / "s.csv", "--app", "forecaster", "--window", "8", "--hidden", "4", "--epochs", "1", *args,
                       "--out", model, "--json"))
    assert summary["rows"] == n - held and summary.get("test_rows", 0) == held
    if held:  # forecast from the one origin before them: evaluate --steps HELD's backtest of the same file
        scored = _json(ok("evaluate", model, tmp_path / "s.csv", "--steps", str(held), "--json"))
        assert scored["metrics"]["mae"] == pytest.approx(summary["test_metrics"]["mae"]) and scored["history"] == n - held
    if "--test-size" in args and held:  # evaluate takes train's --test-size, the same share held out (it had no such option)
        share = _json(ok("evaluate", model, tmp_path / "s.csv", *args, "--json"))
        assert (share["steps"], share["history"]) == (held, n - held) and share["metrics"] == pytest.approx(summary["test_metrics"])
    if not args:  # evaluate's default holds out what train's default held out: the same figures again (it held out --horizon's 1 value)
        again = _json(ok("evaluate", model, tmp_path / "s.csv", "--json"))
        assert again["steps"] == held and again["metrics"] == pytest.approx(summary["test_metrics"])


def test_image_app_learns_digits_from_pixel_columns_and_predict_reads_them_alike(tmp_path: Path) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = (digits.images[:600] * (255 / 16)).astype(np.uint8)  # (600, 8, 8), 0-255
    table = pd.DataFrame(pixels.reshape(600, 64), columns=[f"p{i}" for i in range(64)]).assign(digit=digits.target[:600])
    table.to_csv(tmp_path / "d.csv", index=False)
    table.iloc[:100].to_csv(tmp_path / "few.csv", index=False)  # inspect's report costs ~1 CPU-s less on 100 rows, read the same way
    model = tmp_path / "img.safetensors"
    summary = _json(ok("train", tmp_path / "d.csv", "--app", "image", "--target", "digit", "--image-dtype", "uint8", "--hidden", "conv8k3:same,pool2,32",
                       "--epochs", "15", "--lr", "0.01", "--out", model, "--json"))
    assert (summary["image_shape"], summary["test_rows"]) == ("1x8x8", 120)
    assert summary["test_metrics"]["accuracy"] >= 0.85  # ten classes: chance is 0.1
    assert summary["test_metrics"]["roc_auc"] >= 0.9 and "average_precision" not in summary["test_metrics"]  # one-vs-rest, as evaluate's
    scored = _json(ok("evaluate", model, tmp_path / "d.csv", "--target", "digit", "--image-dtype", "uint8", "--json"))
    assert scored["metrics"]["accuracy"] >= 0.85
    np.save(tmp_path / "d.npy", pixels)
    predicted = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "d.npy").stdout))["predicted_label"]
    assert (predicted == digits.target[:600]).mean() >= 0.85
    shown = ok("inspect", model, tmp_path / "few.csv", "--target", "digit", "--image-dtype", "uint8", "--out", tmp_path / "img.html").stdout
    assert "gradient flow: not recorded (train the app with `hiddenlayers train DATA --app KIND --gradient-flow`" in " ".join(shown.split())


@pytest.mark.parametrize("layout", ["hwc", "chw"])
def test_image_app_learns_digits_from_an_npz_of_images_and_labels(tmp_path: Path, layout: str) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = (digits.images * (255 / 16)).astype(np.uint8)[..., None]  # (1797, 8, 8, 1), 0-255
    if layout == "chw":
        pixels = pixels.transpose(0, 3, 1, 2)  # PyTorch's (N, C, H, W)
    np.savez(tmp_path / "digits.npz", X=pixels, y=digits.target)
    model = tmp_path / "img.safetensors"
    summary = _json(ok("train", tmp_path / "digits.npz", "--app", "image", "--image-layout", layout, "--hidden", "conv8k3:same,pool2,32",
                       "--epochs", "8", "--lr", "0.01", "--out", model, "--json"))
    assert (summary["image_shape"], summary["target"], summary["rows"], summary["test_rows"]) == ("1x8x8", "y", 1437, 360)
    assert summary["test_metrics"]["accuracy"] >= 0.85  # ten classes: chance is 0.1
    scored = _json(ok("evaluate", model, tmp_path / "digits.npz", "--image-layout", layout, "--json"))  # evaluate reads the .npz alike
    assert scored["target"] == "y" and scored["rows"] == 1797 and scored["metrics"]["accuracy"] >= 0.85
    np.save(tmp_path / "d.npy", pixels)  # predict reads the same array as uint8 0-255 pixels, as train read it
    predicted = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "d.npy", "--image-layout", layout).stdout))["predicted_label"]
    assert (predicted == digits.target).mean() >= 0.85
    from_npz = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "digits.npz", "--image-layout", layout).stdout))["predicted_label"]
    assert from_npz.tolist() == predicted.tolist()  # the images X of the .npz; its labels unread


def test_a_folder_is_read_by_the_image_app_and_refused_by_the_others(tmp_path: Path) -> None:
    """Keras' image_dataset_from_directory layout given to train --app image is read as ImageClassifier.fit(folder) reads it
    (tests/cli/test_cli_app_folder.py); it was refused, sent to Python. The other apps read one file."""
    (tmp_path / "photos" / "cat").mkdir(parents=True)
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", tmp_path / "photos", "--app", "image", "--epochs", "1", "--out", out),
                      f"no images (.png, .jpg, .jpeg, .bmp, .gif, .tif, .tiff, .webp, .pgm, .ppm) found in '{tmp_path / 'photos'}'")
    assert_user_error(run("train", tmp_path / "photos", "--app", "text", "--out", out),
                      f"train --app reads one data file in memory; '{tmp_path / 'photos'}' is a folder or a glob, which only a table MLP streams")
    assert not out.exists()


def test_the_summarys_image_shape_is_the_fitted_models_for_channels_first_arrays(tmp_path: Path) -> None:
    """A PyTorch-ordered (N, 1, 8, 8) .npz without --image-layout chw fits 8 x 8 images of one channel (the app reads the
    channels-first array as such), but the summary said 'image shape (C x H x W) 8x1x8' from the hwc axes."""
    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "chw.npz", X=rng.integers(0, 256, (40, 1, 8, 8), dtype=np.uint8), y=np.repeat([0, 1], 20))
    model = tmp_path / "chw.safetensors"
    summary = _json(ok("train", tmp_path / "chw.npz", "--app", "image", "--hidden", "conv2k3:same,4", "--epochs", "1", "--out", model, "--json"))
    assert summary["image_shape"] == "x".join(map(str, hl.load(model).image_shape_)) == "1x8x8"
    assert summary["image_layout"] == "chw"  # as read: the summary said hwc, the option's default, for this channels-first array
    np.savez(tmp_path / "rgb.npz", X=rng.integers(0, 256, (40, 3, 6, 6), dtype=np.uint8), y=np.repeat([0, 1], 20))
    for layout in ([], ["--image-layout", "chw"]):
        summary = _json(ok("train", tmp_path / "rgb.npz", "--app", "image", *layout, "--hidden", "conv2k3:same,4", "--epochs", "1", "--out", model, "--force", "--json"))
        assert (summary["image_shape"], summary["image_layout"]) == ("3x6x6", "chw")
    np.savez(tmp_path / "hwc.npz", X=rng.integers(0, 256, (40, 6, 6, 3), dtype=np.uint8), y=np.repeat([0, 1], 20))
    summary = _json(ok("train", tmp_path / "hwc.npz", "--app", "image", "--hidden", "conv2k3:same,4", "--epochs", "1", "--out", model, "--force", "--json"))
    assert (summary["image_shape"], summary["image_layout"]) == ("3x6x6", "hwc")


@pytest.mark.parametrize("option", [["--sample-weight", "stars"], ["--workers", "2"],
                                    ["--scale-target"], ["--timelapse", "t.html"], ["--max-categories", "5"], ["--features", "review"]])
def test_options_that_do_not_apply_are_refused_naming_what_applies(files: Path, tmp_path: Path, option: list[str]) -> None:
    out = tmp_path / "m.safetensors"
    result = run("train", files / "reviews.csv", "--app", "text", "--target", "label", *option, "--out", out)
    assert_user_error(result, f"{option[0]} does not apply to train --app text (a TextClassifier): drop it; the options that apply are")
    assert "--text-column" in result.stderr and "--epochs" in result.stderr
    assert not out.exists()


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two series of another shape, and a Forecaster trained by the CLI on the first (window 8, horizon 2, two hidden layers)."""
    d = tmp_path_factory.mktemp("series")
    t = np.arange(300)
    pd.DataFrame({"v": np.sin(t / 5)}).to_csv(d / "a.csv", index=False)
    pd.DataFrame({"w": 2 * np.sin(t / 3) + 1}).to_csv(d / "b.csv", index=False)
    ok("train", d / "a.csv", "--app", "forecaster", "--window", "8", "--horizon", "2", "--hidden", "8,8", "--epochs", "20", "--out", d / "a.safetensors")
    return d


@pytest.mark.parametrize("command", ["predict", "evaluate", "inspect", "export"])
def test_the_trained_value_column_holding_text_is_refused_never_another_column_forecast(series: Path, tmp_path: Path, command: str) -> None:
    # the file's 'v' has one cell of text, so pandas reads it as text; beside it a numeric row number 't': every command read
    # (and predict forecast) 't' as the series, silently ('forecast_t'), as it was the only numeric column
    data = tmp_path / "q.csv"
    v = pd.read_csv(series / "a.csv")["v"].astype(object)
    v[3] = "?"
    pd.DataFrame({"t": np.arange(len(v)), "v": v}).to_csv(data, index=False)
    out = ["--out", tmp_path / ("q.onnx" if command == "export" else "q.html")] if command in ("inspect", "export") else []
    assert_user_error(run(command, series / "a.safetensors", data, *out),
                      "the value column 'v' (the model's, from training) holds text, not numbers (line 5: '?'): make every cell a number "
                      "(or empty it and fill the gap), or pass --value-column NAME.")
    got = ok("predict", series / "a.safetensors", data, "--value-column", "t", "--steps", "1").stdout  # named, another column is read
    assert got.startswith("step,forecast_t")


@pytest.mark.parametrize("command", ["train", "predict", "evaluate"])
def test_a_forecaster_file_whose_dates_go_back_in_time_is_refused(series: Path, tmp_path: Path, command: str) -> None:
    # a newest-first export: the series was read in the file's order, so trained on, forecast from and scored reversed, silently
    v = pd.read_csv(series / "a.csv")["v"]
    dates = pd.date_range("2000-01-01", periods=len(v), freq="D").strftime("%Y-%m-%d")
    data = tmp_path / "newest_first.csv"
    pd.DataFrame({"date": dates, "v": v}).iloc[::-1].to_csv(data, index=False)
    args = ["--app", "forecaster", "--window", "8", "--epochs", "1", "--out", tmp_path / "n.safetensors"] if command == "train" else []
    model = [] if command == "train" else [series / "a.safetensors"]
    assert_user_error(run(command, *model, data, *args), "the column 'date' holds dates out of order (line 3: 2000-10-25 after 2000-10-26): "
                      "a Forecaster reads the series in the file's order, oldest first; sort the file by 'date' first.")
    pd.DataFrame({"date": dates, "v": v}).to_csv(data, index=False)  # oldest first: read as before
    ok(command, *model, data, *args)


def test_train_of_a_forecaster_on_dates_with_gaps_notes_them_once_and_trains(series: Path, tmp_path: Path) -> None:
    """Daily dates with days missing were read as evenly spaced without a word; now one note (gaps, the first by line and
    date, the step), and the model is trained all the same. Business days are a step of their own: no note."""
    v = pd.read_csv(series / "a.csv")["v"]
    days = pd.date_range("2000-01-01", periods=len(v) + 3, freq="D").delete([20, 100, 101])
    data = tmp_path / "gaps.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "v": v}).to_csv(data, index=False)
    args = ["--app", "forecaster", "--window", "8", "--epochs", "1", "--quiet"]
    result = ok("train", data, *args, "--out", tmp_path / "g.safetensors")
    assert result.stderr.splitlines() == [
        "note: the dates of column 'date' are not evenly spaced: 2 gap(s) (3 missing step(s) of 'D'), the first after 2000-01-20 "
        "(line 21), whose next date is 2000-01-22. A Forecaster reads the values as evenly spaced steps, so a lag window across a gap "
        "spans more time than the others: add the missing dates' rows (with their values) to the file, or leave them if the gaps are "
        "meant (market days, say)."]
    assert (tmp_path / "g.safetensors").exists()
    assert "not evenly spaced" not in ok("evaluate", tmp_path / "g.safetensors", data).stderr  # said once, in train
    pd.DataFrame({"date": pd.bdate_range("2000-01-03", periods=len(v)).strftime("%Y-%m-%d"), "v": v}).to_csv(data, index=False)
    assert "not evenly spaced" not in ok("train", data, *args, "--out", tmp_path / "b.safetensors").stderr


def test_order_column_with_a_forecaster_says_how_its_series_is_ordered_and_help_says_it_too(series: Path, tmp_path: Path) -> None:
    """The sequence apps' --order-column sorts each sequence's steps; a Forecaster reads its file's order, checked by its date
    column: the refusal said only "drop it" and listed options, and --help did not say how the series is ordered."""
    assert_user_error(run("train", series / "a.csv", "--app", "forecaster", "--order-column", "t", "--out", tmp_path / "o.safetensors"),
                      "--order-column does not apply to train --app forecaster (a Forecaster): a Forecaster reads its series in the "
                      "file's order, which the table's date column (its first column of dates or ISO 8601 date text) checks: a date "
                      "that goes back is refused, skipped dates are noted; sort the file by that column; drop --order-column.")
    assert not (tmp_path / "o.safetensors").exists()
    shown = " ".join(ok("train", "--help").stdout.split())
    assert ("A forecaster has none: its series is read in the file's order, checked by its date column (see --value-column)." in shown
            and "read in the file's order: the first column of dates (or ISO 8601 date text), if any, checks it (a date going back, "
                "or one repeated as in a table of several series, is refused; skipped dates are noted)." in shown), shown


def test_a_value_column_of_text_names_its_first_text_cell(series: Path, tmp_path: Path) -> None:
    data = tmp_path / "q.csv"  # it said "--value-column 'v' holds text, not numbers; the numeric columns are 't'.", leaving the cell to find
    v = pd.read_csv(series / "a.csv")["v"].astype(object)
    v[6] = "1,234"
    pd.DataFrame({"t": np.arange(len(v)), "v": v}).to_csv(data, index=False)
    assert_user_error(run("train", data, "--app", "forecaster", "--value-column", "v", "--out", tmp_path / "q.safetensors"),
                      "--value-column 'v' holds text, not numbers (line 8: '1,234'): make every cell a number (or empty it and fill the gap)")
    assert not (tmp_path / "q.safetensors").exists()


def test_init_from_starts_a_forecaster_from_one_trained_on_another_series(series: Path, tmp_path: Path) -> None:
    import torch

    import hiddenlayers as hl

    out = tmp_path / "b.safetensors"
    summary = _json(ok("train", series / "b.csv", "--app", "forecaster", "--init-from", series / "a.safetensors", "--freeze", "1",
                       "--epochs", "3", "--out", out, "--json"))
    # not given: window, horizon and hidden layers are the source's, so its layers fit and are copied
    assert (summary["window"], summary["horizon"], summary["hidden_layers"]) == (8, 2, "8,8")
    assert (summary["transferred"], summary["frozen"], summary["epochs"]) == (["hidden1", "hidden2"], ["hidden1"], 3)
    source, new = hl.load(series / "a.safetensors").network_.state_dict(), hl.load(out).network_.state_dict()
    assert torch.equal(source["hidden1.linear.weight"], new["hidden1.linear.weight"])  # copied and kept fixed: the source's own weights
    assert not torch.equal(source["hidden2.linear.weight"], new["hidden2.linear.weight"])  # copied, then trained on the new series
    assert hl.load(out).provenance_["transferred"] == ["hidden1", "hidden2"]


def test_init_from_a_forecaster_of_another_window_is_one_line_and_writes_nothing(series: Path, tmp_path: Path) -> None:
    """Another --window: the source's first layer reads 8 values, and layers copy from the first on, so nothing could be copied."""
    out = tmp_path / "b.safetensors"
    result = run("train", series / "b.csv", "--app", "forecaster", "--init-from", series / "a.safetensors", "--window", "12", "--epochs", "3", "--out", out)
    assert_user_error(result, "--window 12 differs from the --init-from file's window 8: its first layer (hidden1) reads 8 values, not 12, and layers "
                      "are copied from the first on, so none could be copied; drop --window (the file's is the default) or drop --init-from.")
    assert not out.exists()
    same = _json(ok("train", series / "b.csv", "--app", "forecaster", "--init-from", series / "a.safetensors", "--window", "8", "--epochs", "2",
                    "--out", out, "--json"))
    assert same["transferred"] == ["hidden1", "hidden2"]  # the source's own window, given: copied


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")  # the table model is trained 2 epochs: only its file matters
def test_init_from_takes_a_file_of_the_same_app_only(series: Path, files: Path, tmp_path: Path) -> None:
    import hiddenlayers as hl
    from hiddenlayers.apps import Recommender

    table = tmp_path / "table.safetensors"
    hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(np.eye(4), [0, 1, 0, 1]).save(table)
    rec = tmp_path / "rec.safetensors"
    Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=1, early_stopping=False, random_state=0).fit(
        pd.DataFrame({"u": [1, 2, 3, 1], "i": [1, 2, 1, 3]}), [1.0, 2.0, 3.0, 4.0]).save(rec)
    out = tmp_path / "m.safetensors"
    fc = ["train", series / "b.csv", "--app", "forecaster", "--out", out]
    assert_user_error(run(*fc, "--init-from", table), f"--init-from '{table}' holds a table model (`hiddenlayers train`); train --app forecaster "
                      "starts from a Forecaster file (written by `hiddenlayers train --app forecaster` or Forecaster.save): pass one, or drop --init-from.")
    assert_user_error(run(*fc, "--init-from", rec), f"--init-from '{rec}' holds a Recommender (an application file); train --app forecaster starts from")
    assert_user_error(run("train", files / "reviews.csv", "--app", "text", "--target", "label", "--init-from", series / "a.safetensors", "--out", out),
                      "holds a Forecaster (an application file); train --app text starts from a TextClassifier file")
    assert_user_error(run(*fc, "--init-from", tmp_path / "none.safetensors"), "does not exist")
    assert_user_error(run(*fc, "--freeze", "1"), "--freeze needs --init-from")
    assert_user_error(run("train", files / "cancer.csv", "--app", "autoencoder", "--init-from", rec, "--out", out),
                      f"--init-from '{rec}' holds a Recommender (an application file); train --app autoencoder starts from an Autoencoder file")
    assert_user_error(run("train", files / "ratings.csv", "--app", "recommender", "--target", "rating", "--init-from", series / "a.safetensors", "--out", out),
                      "holds a Forecaster (an application file); train --app recommender starts from a Recommender file")
    assert not out.exists()


@pytest.fixture(scope="module")
def machines(files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Machine A: the first 300 cancer rows and an Autoencoder the CLI trained on them (hidden 16, bottleneck 4); machine B: the
    other rows read by another 'sensor' (every feature times 1.5 plus 2)."""
    d = tmp_path_factory.mktemp("machines")
    cancer = pd.read_csv(files / "cancer.csv")
    cancer.iloc[:300].to_csv(d / "a.csv", index=False)
    b = cancer.iloc[300:].copy()
    features = [c for c in b.columns if c != "malignant"]
    b[features] = b[features] * 1.5 + 2
    b.to_csv(d / "b.csv", index=False)
    ok("train", d / "a.csv", "--app", "autoencoder", "--target", "malignant", "--hidden", "16", "--set", "n_components=4", "--epochs", "20",
       "--out", d / "a.safetensors")
    return d


def test_init_from_starts_an_autoencoder_from_another_machines(machines: Path, tmp_path: Path) -> None:
    import torch

    import hiddenlayers as hl

    out = tmp_path / "b.safetensors"
    summary = _json(ok("train", machines / "b.csv", "--app", "autoencoder", "--target", "malignant", "--init-from", machines / "a.safetensors",
                       "--freeze", "1", "--epochs", "5", "--out", out, "--json"))
    # not given: the hidden layers and the bottleneck (n_components) are the source's, so every layer is copied
    assert summary["hidden_layers"] == "16" and summary["transferred"] == ["encoder.hidden1", "encoder.head", "decoder.hidden1", "decoder.head"]
    assert summary["frozen"] == ["encoder.hidden1"] and summary["epochs"] == 5
    source, new = hl.load(machines / "a.safetensors"), hl.load(out)
    assert torch.equal(source.network_.encoder.hidden1.linear.weight, new.network_.encoder.hidden1.linear.weight)
    assert not np.allclose(source.mean_, new.mean_)  # machine B's own scaling
    assert new.provenance_["frozen"] == ["encoder.hidden1"]


def test_the_anomaly_thresholds_meaning_stays_under_it_beside_init_from_rows(capsys: pytest.CaptureFixture[str]) -> None:
    from hiddenlayers.cli._apptrain import show_summary

    show_summary({"app": "Autoencoder", "threshold": 1.8, "init_from": "a.safetensors", "transferred": ["encoder.hidden1"], "frozen": [],
                  "epochs": 5, "stop_reason": "max_epochs", "seconds": 0.1, "model": "b.safetensors"}, as_json=False)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    at = next(i for i, line in enumerate(lines) if "anomaly threshold" in line)
    assert "reconstruction error above which" in lines[at + 1], lines
    assert sum("reconstruction error above which" in line for line in lines) == 1
    show_summary({"app": "TextClassifier", "text_column": "review", "rows": 2, "epochs": 1, "stop_reason": "max_epochs", "seconds": 0.1,
                  "model": "t.safetensors"}, as_json=False)
    assert "reconstruction error" not in capsys.readouterr().out  # no threshold, no line about it


def test_init_from_an_autoencoder_of_another_bottleneck_notes_the_layers_left_fresh(machines: Path, tmp_path: Path) -> None:
    result = ok("train", machines / "b.csv", "--app", "autoencoder", "--target", "malignant", "--init-from", machines / "a.safetensors",
                "--set", "n_components=6", "--epochs", "2", "--out", tmp_path / "b.safetensors", "--json")
    assert "note: init_from: 2 layer(s) not copied, their shapes differ (shapes are (out, in)): encoder.head (source Linear (4, 16), this model " \
           "Linear (6, 16)); decoder.hidden1 (source DenseLayer (16, 4), this model DenseLayer (16, 6)); they start from fresh random weights." \
           in " ".join(result.stderr.split())
    assert _json(result)["transferred"] == ["encoder.hidden1", "decoder.head"]


def test_init_from_an_autoencoder_that_shares_no_layer_or_a_freeze_too_deep_is_one_line(machines: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.safetensors"
    base = ["train", machines / "b.csv", "--app", "autoencoder", "--target", "malignant", "--init-from", machines / "a.safetensors", "--epochs", "2", "--out", out]
    assert_user_error(run(*base, "--features", "mean radius,mean texture", "--hidden", "8"),
                      "training failed: init_from: no layer of the source matches this model's shapes: encoder.hidden1 (source DenseLayer (16, 30), "
                      "this model DenseLayer (8, 2));")
    assert_user_error(run(*base, "--freeze", "9"), "--freeze: freeze must be 0..3")
    assert not out.exists()


def test_init_from_warm_starts_a_recommender_with_new_users_and_items(files: Path, tmp_path: Path) -> None:
    import hiddenlayers as hl

    ratings = pd.read_csv(files / "ratings.csv")
    ratings.iloc[:2000].to_csv(tmp_path / "last.csv", index=False)
    now = ratings.iloc[2000:2400].copy()
    now.loc[now.index[:40], "user"] += 100  # ten-odd users and items last month's model never saw
    now.loc[now.index[:20], "item"] += 100
    now.to_csv(tmp_path / "now.csv", index=False)
    ok("train", tmp_path / "last.csv", "--app", "recommender", "--target", "rating", "--hidden", "16", "--set", "n_factors=8", "--epochs", "5",
       "--out", tmp_path / "last.safetensors")
    out = tmp_path / "now.safetensors"
    summary = _json(ok("train", tmp_path / "now.csv", "--app", "recommender", "--target", "rating", "--init-from", tmp_path / "last.safetensors",
                       "--freeze", "1", "--epochs", "3", "--out", out, "--json"))
    assert summary["transferred"] == ["user", "item", "user_bias", "item_bias", "mlp.hidden1", "mlp.head"] and summary["frozen"] == ["mlp.hidden1"]
    last, new = hl.load(tmp_path / "last.safetensors"), hl.load(out)
    assert (summary["users_from_source"], summary["items_from_source"]) == (len(last.users_), len(last.items_))
    # train --app holds out --test-size 0.2 of the rows at random: the file's new ids bound the counts from above
    assert 0 < summary["new_users"] <= now.user[~now.user.isin(last.users_)].nunique()
    assert 0 < summary["new_items"] <= now.item[~now.item.isin(last.items_)].nunique()
    assert len(new.users_) == summary["users_from_source"] + summary["new_users"]
    assert list(new.users_[: len(last.users_)]) == list(last.users_)  # last month's ids first, matched by id


@pytest.mark.parametrize("app", ["text", "autoencoder", "recommender", "forecaster", "image"])
def test_every_app_shows_trains_progress_bar_on_stderr_and_quiet_or_json_turns_it_off(files: Path, app: str, tmp_path: Path) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    pd.DataFrame(digits.data[:60], columns=[f"p{i}" for i in range(64)]).assign(digit=digits.target[:60]).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame({"v": np.sin(np.arange(80) / 5)}).to_csv(tmp_path / "s.csv", index=False)
    data = {"text": [files / "reviews.csv", "--target", "label", "--hidden", "embed4,gru4"], "autoencoder": [files / "cancer.csv", "--hidden", "4"],
            "recommender": [files / "ratings.csv", "--target", "rating"], "forecaster": [tmp_path / "s.csv", "--window", "8", "--hidden", "4"],
            "image": [tmp_path / "d.csv", "--target", "digit", "--hidden", "conv2k3,4"]}[app]
    args = ["train", *data, "--app", app, "--epochs", "2", "--no-early-stopping", "--out", tmp_path / "m.safetensors", "--force"]
    bar = f"training {_APPS[app]}"
    shown = ok(*args).stderr
    assert bar in shown and "2/2" in shown  # the bar over the epochs, as train shows it for a table model
    assert bar not in ok(*args, "--quiet").stderr
    result = ok(*args, "--json")
    assert bar not in result.stderr and json.loads(result.stdout)["epochs"] == 2


_APPS = {"text": "TextClassifier", "autoencoder": "Autoencoder", "recommender": "Recommender", "forecaster": "Forecaster", "image": "ImageClassifier"}


@pytest.mark.parametrize(("args", "message"), [
    (["--text-column", "review"], "--text-column is an option of train --app text"),
    (["--window", "12"], "--window is an option of train --app forecaster"),
    (["--steps", "3"], "--steps is an option of train --app forecaster"),
    (["--image-shape", "8x8"], "--image-shape is an option of train --app image"),
])
def test_app_options_without_app_are_refused(files: Path, tmp_path: Path, args: list[str], message: str) -> None:
    assert_user_error(run("train", files / "ratings.csv", "--target", "rating", *args, "--out", tmp_path / "m.safetensors"), message)
    assert not (tmp_path / "m.safetensors").exists()


def _bad_files(d: Path) -> None:
    pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0] * 5, "b": range(20)}).to_csv(d / "nan.csv", index=False)
    pd.DataFrame({"v": np.arange(16.0)}).to_csv(d / "short.csv", index=False)
    pd.DataFrame({"u": [1, 2] * 10, "i": [3, 4] * 10, "k": [5, 6] * 10, "r": [1.0, 2.0] * 10}).to_csv(d / "three_ids.csv", index=False)
    pd.DataFrame({"u": [1, 2] * 10, "i": [3, 4] * 10, "r": ["good", 2.0] * 10}).to_csv(d / "text_rating.csv", index=False)
    pd.DataFrame({"u": [1.0, 2.0, np.nan, 2.0] * 5, "i": [3, 4] * 10, "r": [1.0, 2.0] * 10}).to_csv(d / "no_user.csv", index=False)
    pd.DataFrame({"u": [1, 2] * 10, "i": ["a", "b"] * 9 + ["a", None], "r": [1.0, 2.0] * 10}).to_csv(d / "no_item.csv", index=False)
    (d / "empty.csv").write_text("review,label\n")
    np.save(d / "pixels.npy", np.zeros((4, 8, 8), dtype=np.uint8))
    np.savez(d / "pixels.npz", X=np.zeros((4, 8, 8), dtype=np.uint8), y=[0, 1, 0, 1])
    np.savez(d / "objects.npz", X=np.zeros((4, 8, 8)), y=np.array([0, "a", None, 1], dtype=object))  # loading it would unpickle
    np.savez(d / "three.npz", a=np.zeros((4, 8, 8)), b=np.zeros((4, 8, 8)), y=[0, 1, 0, 1])
    np.savez(d / "short_y.npz", X=np.zeros((4, 8, 8)), y=[0, 1, 0])
    np.savez(d / "flat.npz", X=np.zeros((4, 64)), y=[0, 1, 0, 1])
    (d / "fake.npz").write_text("not a zip")
    pd.DataFrame({"title": ["a", "b"] * 10, "body": ["c d", "e f"] * 10, "label": [0, 1] * 10}).to_csv(d / "two_texts.csv", index=False)


@pytest.mark.parametrize(("data", "args", "message"), [
    ("reviews.csv", ["--app", "txet", "--target", "label"], "--app must be one of text, autoencoder, recommender, forecaster, image, sequence, translator, speech, agent (did you mean 'text'?)"),
    ("reviews.csv", ["--app", "text", "--target", "label", "--text-column", "nope"], "--text-column 'nope' is not a column of the data"),
    ("reviews.csv", ["--app", "text", "--target", "label", "--text-column", "stars"], "--text-column 'stars' holds numbers, not text"),
    ("two_texts.csv", ["--app", "text", "--target", "label"], "a TextClassifier reads one text column but the data has 2 text columns ('title', 'body')"),
    ("reviews.csv", ["--app", "text", "--text-column", "review"], "no target column given: pass --target COLUMN (the labels)"),
    ("reviews.csv", ["--app", "text", "--target", "label", "--text-column", "label"], "--text-column 'label' is the --target column"),
    ("reviews.csv", ["--app", "text", "--target", "label", "--set", "toknizer=char"], "has no parameter 'toknizer' (did you mean 'tokenizer'?)"),
    ("reviews.csv", ["--app", "text", "--target", "label", "--epochs", "0"], "--epochs: max_iter must be"),
    ("reviews.csv", ["--app", "text", "--target", "label", "--set", "normalize=nfc"], "--set normalize: normalize must be 'NFKC', 'NFC' or None. "
     "Received: normalize='nfc'."),
    ("ratings.csv", ["--app", "recommender", "--target", "rating", "--set", "n_factors=0"], "--set n_factors: n_factors must be an integer >= 1"),
    (".", ["--app", "recommender", "--target", "rating"], "train --app reads one data file in memory;"),
    ("empty.csv", ["--app", "text", "--target", "label"], "has no data rows: give a file with a header row and at least one row of data"),
    ("nan.csv", ["--app", "autoencoder"], "column 'a' has a missing or infinite value on line 4 (5 row(s))"),
    ("nan.csv", ["--app", "autoencoder", "--features", "b,zz"], "--features names 'zz', which is not a column of the data"),
    ("three_ids.csv", ["--app", "recommender", "--target", "r"], "a Recommender reads two id columns, user then item, and the data has 3"),
    ("text_rating.csv", ["--app", "recommender", "--target", "r"], "the rating column 'r' holds a non-number on line 2"),
    ("no_user.csv", ["--app", "recommender", "--target", "r"], "the user id column 'u' has no id on line 4 (5 row(s)): fill or drop those rows."),
    ("no_item.csv", ["--app", "recommender", "--target", "r"], "the item id column 'i' has no id on line 21 (1 row(s)): fill or drop those rows."),
    ("short.csv", ["--app", "forecaster", "--window", "12", "--horizon", "3"], "the series 'v' has 16 values; window 12 + horizon 3 + 1 = 16 are needed to train and 3 held out "
     "(by default at least --horizon; --test-size 0: none): pass a longer series, or a smaller --window/--horizon/--test-size."),
    ("short.csv", ["--app", "forecaster", "--window", "12", "--steps", "3"], "are needed to train and 3 held out (--steps): pass a longer series, "
     "or a smaller --window/--horizon/--steps."),
    ("short.csv", ["--app", "forecaster", "--window", "4", "--test-size", "0.2", "--steps", "2"],
     "--steps and --test-size both set how many of the series' last values are held out (a count, a share): drop one of them."),
    ("short.csv", ["--app", "forecaster", "--window", "4", "--test-size", "0.9"], "window 4 + horizon 1 + 1 = 6 are needed to train and 15 held out (--test-size)"),
    ("ratings.csv", ["--app", "forecaster"], "a Forecaster reads one value column"),
    ("ratings.csv", ["--app", "image", "--target", "rating"], "the data has 2 pixel columns, which is no square image: pass --image-shape"),
    ("ratings.csv", ["--app", "image", "--target", "rating", "--image-shape", "3x2x2"], "--image-shape 3x2x2 has 12 pixels but the data has 2"),
    ("two_texts.csv", ["--app", "image", "--target", "label"], "column 'title' holds text: an ImageClassifier reads pixel columns"),
    ("pixels.npy", ["--app", "image"], "an .npy array holds none: save both with np.savez(path, X=images, y=labels)"),
    ("objects.npz", ["--app", "image"], "is not a plain .npz of arrays (Object arrays cannot be loaded when allow_pickle=False)"),
    ("pixels.npz", ["--app", "image", "--target", "label"], "has no labels array 'label'; its arrays are 'X', 'y'"),
    ("three.npz", ["--app", "image"], "has no images array 'X' (beside the labels); its arrays are 'a', 'b', 'y'"),
    ("short_y.npz", ["--app", "image"], "the labels 'y' in"),
    ("flat.npz", ["--app", "image"], "have shape (4, 64): give (N, H, W) or (N, H, W, C)"),
    ("pixels.npz", ["--app", "image", "--image-shape", "8x8"], "--image-shape is for pixel columns; the images of an .npz are an array"),
    ("fake.npz", ["--app", "image"], "is not a plain .npz of arrays"),
    ("missing.npz", ["--app", "image"], "missing.npz' is not a file: check the path."),
    ("ratings.csv", ["--app", "image", "--target", "rating", "--image-layout", "whc"], "--image-layout must be hwc"),
    ("ratings.csv", ["--app", "forecaster", "--value-column", "rating", "--set", "window=3"], "use --window instead of --set window"),
])
def test_bad_input_is_one_line_and_nothing_is_written(files: Path, tmp_path: Path, data: str, args: list[str], message: str) -> None:
    _bad_files(files)
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", files / data, *args, "--out", out), message)
    assert not out.exists()


def test_an_existing_model_file_needs_force(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"keep me")
    args = ["train", files / "ratings.csv", "--app", "recommender", "--target", "rating", "--epochs", "1", "--out", out]
    assert_user_error(run(*args), "already exists: pass --force to overwrite it")
    assert out.read_bytes() == b"keep me"
    ok(*args, "--force")
    assert out.read_bytes() != b"keep me"


def test_table_train_is_unchanged_by_the_app_path(tmp_path: Path) -> None:
    summary = _json(ok("train", "iris", "--hidden", "16", "--epochs", "100", "--lr", "0.01", "--out", tmp_path / "iris.safetensors", "--json", "--no-check"))
    assert summary["task"] == "classification" and summary["test_metrics"]["accuracy"] > 0.8


@functools.cache
def _train_flags() -> dict[str, str]:
    """``train``'s parameters by name -> the option as typed (``sample_weight`` -> ``--sample-weight``)."""
    import typer.main

    from hiddenlayers.cli import app as cli

    return {str(p.name): p.opts[0] for p in typer.main.get_command(cli).commands["train"].params}  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(app=st.sampled_from(["text", "autoencoder", "recommender", "forecaster", "image", "agent"]), picked=st.sets(st.integers(0, 200), max_size=4))
def test_every_given_option_either_applies_or_is_refused_by_name(app: str, picked: set[int]) -> None:
    from hiddenlayers.cli._apptrain import _WHY_NOT, applicable, check_app
    from hiddenlayers.cli._common import UserError

    flags = _train_flags()
    names = sorted(flags)
    given_names = {names[i % len(names)] for i in picked}
    refused = sorted(n for n in given_names if n not in applicable(app))
    if not refused:
        assert check_app(app, flags, given_names)
        return
    with pytest.raises(UserError) as err:
        check_app(app, flags, given_names)
    first = next(n for n in flags if n in refused)
    cls = check_app(app, flags, set())
    article = "an" if cls[0] in "AEIOU" else "a"  # "an ImageClassifier", "an Autoencoder" (it said "a ImageClassifier")
    why = _WHY_NOT.get((app, first))  # an option the app gets another way says which, then drops it
    said = f"{why}; drop {flags[first]}." if why else "drop it;"
    assert str(err.value).startswith(f"{flags[first]} does not apply to train --app {app} ({article} {cls}): {said}")


@settings(max_examples=50, deadline=None)
@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 12), st.integers(1, 12)), extra=st.integers(-3, 3), channel=st.booleans())
def test_image_shape_reads_hxw_or_cxhxw_and_must_match_the_pixel_columns(shape: tuple[int, int, int], extra: int, channel: bool) -> None:
    from hiddenlayers.cli._apptrain_fit import _image_shape
    from hiddenlayers.cli._common import UserError

    c, h, w = shape if channel else (1, *shape[1:])
    text = f"{c}x{h}x{w}" if channel else f"{h}x{w}"
    n = c * h * w + extra
    if extra == 0:
        assert _image_shape(text, n) == (c, h, w)
        assert _image_shape(None, h * h) == (1, h, h)  # not given: one channel, square
    elif n > 0:
        with pytest.raises(UserError, match=f"--image-shape {text} has {c * h * w} pixels but the data has {n} pixel columns"):
            _image_shape(text, n)


def test_train_app_text_names_a_missing_text_by_its_file_line(tmp_path):
    """A missing text was 'row 2' (counted from 1 among the rows); as every command names a row: the file line (header = line 1)."""
    p = tmp_path / "tx.csv"
    p.write_text("text,label\nhello world,a\n,b\ngood day,a\nbad day,b\n")
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", p, "--app", "text", "--target", "label", "-o", out),
                      "text column 'text' has no text on line 3 (1 row(s)): fill or drop those rows.")
    assert not out.exists()


def test_ctrl_c_during_a_recommender_fit_keeps_the_best_epoch_and_saves(files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Recommender trains in its own loop, which let Ctrl-C through: `train --app recommender` printed 'interrupted', wrote
    nothing and exited 130, losing every epoch. It now stops as the other apps do: the best epoch's weights, the file, then exit 130."""
    import hiddenlayers.apps._recommend as rec

    real, calls = rec.forward_batches, []

    def forward_batches(*args: Any, **kwargs: Any) -> Any:  # the held-out loss: once before training, then once per epoch
        calls.append(1)
        if len(calls) == 5:  # during epoch 4, after three whole epochs
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(rec, "forward_batches", forward_batches)
    out = tmp_path / "r.safetensors"
    result = interrupted_run("train", files / "ratings.csv", "--app", "recommender", "--target", "rating", "--epochs", "50", "--out", out, "--json")
    summary = _json(result)
    assert summary["stop_reason"] == "interrupted" and summary["epochs"] == 3 and out.exists()
    assert f"interrupted: the best model so far was saved to {out}" in result.stderr
    assert "training interrupted by the user; restored the weights of epoch" in " ".join(result.stderr.split())
    assert summary["test_metrics"]["rmse"] < summary["test_metrics"]["mean_rating_rmse"]  # three epochs' weights, not lost


def test_predict_on_the_labelled_pixel_table_an_image_app_was_trained_on_names_keep(tmp_path: Path) -> None:
    """`predict` read every column of the training table as a pixel, the label too: 'each image has shape (65,)', no way named
    to leave the label out. It now says how many columns are not pixels and names --keep (and --target), which read it right."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = (digits.images[:100] * (255 / 16)).astype(np.uint8)
    pd.DataFrame(pixels.reshape(100, 64), columns=[f"p{i}" for i in range(64)]).assign(digit=digits.target[:100]).to_csv(tmp_path / "d.csv", index=False)
    model = tmp_path / "img.safetensors"
    ok("train", tmp_path / "d.csv", "--app", "image", "--target", "digit", "--image-dtype", "uint8", "--hidden", "conv2k3:same,8", "--epochs", "1",
       "--out", model, "--quiet")
    pd.read_csv(tmp_path / "d.csv").assign(photo=np.arange(100)).to_csv(tmp_path / "ids.csv", index=False)  # the file keeps 'digit': an id column is left
    assert_user_error(run("predict", model, tmp_path / "ids.csv", "--image-dtype", "uint8"),
                      "the data has 65 columns but the model reads 64 pixel columns (8 x 8, 1 channel(s)): name the other 1 (a label or id column) "
                      "with predict's --keep NAME")
    kept = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "ids.csv", "--image-dtype", "uint8", "--keep", "photo,digit").stdout))
    np.save(tmp_path / "d.npy", pixels)
    alone = pd.read_csv(io.StringIO(ok("predict", model, tmp_path / "d.npy").stdout))
    assert kept["digit"].tolist() == digits.target[:100].tolist() and kept["predicted_label"].tolist() == alone["predicted_label"].tolist()
    assert kept["photo"].tolist() == list(range(100))


def test_train_help_names_every_app_it_takes() -> None:
    """`train --help` listed text ... translator, agent, but not speech, an app --app takes (and the docs train from the CLI)."""
    from hiddenlayers.cli._apptrain import APPS

    shown = " ".join(ok("train", "--help").stdout.split())
    missing = [name for name in [*APPS, "agent"] if f"{name} (" not in shown]
    assert not missing, missing
    # "[default: 200]" beside --epochs is a table model's: an app not given --epochs keeps its own (a Recommender's 100), and help says so
    assert "With --app an option not given keeps the app's own default (e.g. a Recommender's 100 epochs): the defaults shown below are a table model's." in shown


def test_an_autoencoder_that_diverges_at_epoch_2_with_no_usable_epoch_says_epoch_2_in_both_lines(files: Path, tmp_path: Path) -> None:
    """The progress bar said "stopped after epoch 2" and the error "The loss became inf in the first epoch": epoch 1's training
    loss (before its steps) was finite, its held-out error already inf. The error now names epoch 2 too."""
    out = tmp_path / "a.safetensors"
    result = run("train", files / "cancer.csv", "--app", "autoencoder", "--target", "malignant", "--lr", "1e6", "--out", out)
    assert result.exit_code == 2 and not out.exists(), result.output
    *bar, error = result.stderr.strip().splitlines()  # the progress bar's lines, then the one error line
    assert error.startswith("error: training failed: Solver produced non-finite parameter weights.")
    assert "The loss became inf at epoch 2, and no earlier epoch is usable (none had a finite held-out score): lower --lr (now 1000000.0)" in error
    assert "stopped after epoch 2" in " ".join(bar)
    assert "no epoch is usable (diverged)" in bar[-1] and "restored" not in " ".join(bar)  # none was: it claimed "best weights restored"


def test_a_forecaster_csv_of_a_time_zone_aware_index_across_dst_has_its_dates_checked(series: Path, tmp_path: Path) -> None:
    """pandas' to_csv writes a tz-aware index with each row's UTC offset ("+01:00", then "+02:00" after the change): pandas
    refuses such a column ("Mixed timezones"), so the order check and the gap note skipped it. Now it is read as one time
    zone: a dropped day is the one note (counted in local calendar days, so the 23-hour day is no gap) and newest first is refused."""
    v = pd.read_csv(series / "a.csv")["v"][:40]
    days = pd.date_range("2024-03-20", periods=41, freq="D", tz="Europe/Berlin").delete(25)  # DST starts 2024-03-31
    frame = pd.DataFrame({"v": v.to_numpy()}, index=pd.Index(days, name="date"))
    data = tmp_path / "dst.csv"
    frame.to_csv(data)
    assert "+01:00" in data.read_text() and "+02:00" in data.read_text()
    args = ["--app", "forecaster", "--window", "8", "--epochs", "1", "--quiet"]
    result = ok("train", data, *args, "--out", tmp_path / "d.safetensors")
    (note,) = result.stderr.splitlines()  # one note, on the dropped day only: the 23-hour day of the change is no gap
    assert note.startswith("note: the dates of column 'date' are not evenly spaced: 1 gap(s) (1 missing step(s) of 'D'), the first after "
                           "2024-04-13 (line 26), whose next date is 2024-04-15. ")
    frame.iloc[::-1].to_csv(data)
    assert_user_error(run("predict", tmp_path / "d.safetensors", data),
                      "the column 'date' holds dates out of order (line 3: 2024-04-28 00:00:00+02:00 after 2024-04-29 00:00:00+02:00): "
                      "a Forecaster reads the series in the file's order, oldest first; sort the file by 'date' first.")
    every_day = pd.date_range("2024-03-20", periods=40, freq="D", tz="Europe/Berlin", name="date")
    pd.DataFrame({"v": v.to_numpy()}, index=every_day).to_csv(data)  # across the change, no day missing: no note
    assert "not evenly spaced" not in ok("train", data, *args, "--out", tmp_path / "e.safetensors").stderr
