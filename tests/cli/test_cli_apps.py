"""Application model files (hl.apps) on every command that takes a model file: each works, or refuses in one line.

One tiny fit of each app (1 epoch), shared by the module; ``predict`` and
``evaluate`` are checked against the app's own methods on the same inputs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import (
    Autoencoder,
    DQNAgent,
    Forecaster,
    ImageClassifier,
    Recommender,
    SequenceClassifier,
    TextClassifier,
    Translator,
)

TEXTS = ["a fine film", "a dull mess", "fine acting", "a dull plot", "what a fine cast", "dull and slow"] * 4
LABELS = ["pos", "neg"] * 12
KINDS = {"text": "TextClassifier", "image": "ImageClassifier", "auto": "Autoencoder", "rec": "Recommender", "fc": "Forecaster",
         "seq": "SequenceClassifier", "tr": "Translator", "dqn": "DQNAgent"}
FAST = dict(max_iter=1, early_stopping=False, random_state=0, device="cpu")


def _fit_all(d: Path) -> dict[str, Any]:
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(0)
    digits = load_digits()
    pixels = (digits.images[:100] * (255 / 16)).astype(np.uint8)  # (100, 8, 8), 0-255
    table = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    pairs = pd.DataFrame({"user": rng.integers(0, 20, 100), "item": rng.choice(list("xyzw"), 100)})
    series = np.sin(np.arange(80) / 5)
    apps: dict[str, Any] = {
        "text": TextClassifier("embed8,gru8", **FAST).fit(TEXTS, LABELS),
        "image": ImageClassifier("conv4k3:same,pool2,16", **FAST).fit(pixels, digits.target[:100]),
        "rgb": ImageClassifier("conv2k3:same,4", **FAST).fit(colour := rng.integers(0, 256, (12, 4, 5, 3)).astype(np.uint8), [0, 1] * 6),
        "auto": Autoencoder((8,), n_components=2, **FAST).fit(table),
        "rec": Recommender(n_factors=4, hidden_layer_sizes=(8,), **FAST).fit(pairs, ratings := rng.uniform(1, 5, 100)),
        "fc": Forecaster(window=8, horizon=2, hidden_layer_sizes=(8,), **FAST).fit(series),
        # conv + global pooling: its export takes a fraction of a recurrent layer's (GRU/LSTM exports: tests/ship/test_export_seq_rec.py)
        "seq": SequenceClassifier("conv4k3:same,gap,4", **FAST).fit([rng.normal(size=(5, 3)) for _ in range(8)], [0, 1] * 4),
        "tr": Translator(hidden_size=8, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(["a b", "c d", "a d", "c b"] * 3,
                                                                                                          ["x y", "z w", "x w", "z y"] * 3),
    }
    if importlib.util.find_spec("gymnasium") is not None:  # DQNAgent learns a gymnasium game
        apps["dqn"] = DQNAgent((8,), learning_starts=10, random_state=0).fit("CartPole-v1", total_steps=30, eval_every=30, eval_episodes=1)
    for name, app in apps.items():
        app.save(d / f"{name}.safetensors")
    pd.DataFrame({"review": TEXTS, "label": LABELS}).to_csv(d / "texts.csv", index=False)
    img = pd.DataFrame(pixels.reshape(100, -1), columns=[f"p{i}" for i in range(64)])
    img.assign(label=digits.target[:100]).to_csv(d / "pixels.csv", index=False)
    pd.DataFrame({"review": TEXTS}).to_csv(d / "reviews.csv", index=False)
    np.save(d / "pixels.npy", pixels)
    pd.DataFrame(pixels.reshape(100, -1) / 255).to_csv(d / "unit.csv", index=False)  # the same pixels as floats 0-1
    pd.DataFrame(colour.reshape(12, -1)).to_csv(d / "rgb_hwc.csv", index=False)
    pd.DataFrame(colour.transpose(0, 3, 1, 2).reshape(12, -1)).to_csv(d / "rgb_chw.csv", index=False)  # PyTorch's (C, H, W) order
    np.save(d / "rgb_chw.npy", colour.transpose(0, 3, 1, 2))
    table.to_csv(d / "table.csv", index=False)
    pairs.to_csv(d / "pairs.csv", index=False)
    pd.DataFrame({"level": series}).to_csv(d / "series.csv", index=False)
    pairs.assign(rating=ratings).to_csv(d / "ratings.csv", index=False)
    marked = pd.concat([table, table.iloc[:8] * 6 + 3], ignore_index=True)  # 8 rows far from the fitted ones: anomalies
    marked.assign(anomaly=[0] * 60 + [1] * 8).to_csv(d / "anomalies.csv", index=False)
    return {"dir": d, "apps": apps, "pixels": pixels, "table": table, "pairs": pairs, "series": series, "labels": digits.target[:100],
            "ratings": ratings, "marked": marked, "colour": colour}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _fit_all(tmp_path_factory.mktemp("cli_apps"))


#: each app's data file, as predict reads it (the refused apps get a plain table)
DATA = {"text": "reviews.csv", "image": "unit.csv", "auto": "table.csv", "rec": "pairs.csv", "fc": "series.csv",
        "seq": "table.csv", "tr": "table.csv", "dqn": "table.csv"}
#: the labelled files of evaluate (the others get DATA's) and what evaluate scores them by (default: --target label)
LABELLED = {"text": "texts.csv", "image": "pixels.csv", "rec": "ratings.csv", "auto": "anomalies.csv"}
SCORED_BY = {"image": "--target label --image-dtype uint8", "rec": "--target rating", "auto": "--target anomaly", "fc": "--steps 2"}
#: command -> (its arguments, the apps it works on); {m} the model file, {d} the data file, {o} a fresh output path
COMMANDS = {
    "predict": ("predict {m} {d}", {"text", "image", "auto", "rec", "fc"}),
    "evaluate": ("evaluate {m} {L} {T}", {"text", "image", "auto", "rec", "fc", "dqn"}),
    # seq and tr: fitted on arrays and lists, no columns to read a file by; dqn: table.csv's 4 columns are CartPole's observations
    "inspect": ("inspect {m} {d} --out {o}.html", {"auto", "text", "image", "rec", "fc", "dqn"}),
    "explain": ("explain --model {m} --data {d}", set()),
    "info": ("info {m}", set(KINDS)),
    "cost": ("cost {m} --calls 10", set(KINDS) - {"tr"}),  # each app on its fitted input (cli/_appcost); a Translator has several inputs
    "prune": ("prune {m} {d} --out {o}.safetensors --epochs 1", set()),
    "export": ("export {m} --out {o}.onnx", {"text", "image", "auto", "rec", "fc", "seq", "dqn"}),
    "distill": ("distill {m} {d} --out {o}.safetensors", set()),
    "train-init-from": ("train {d} --target a --init-from {m} --out {o}.safetensors --epochs 1", set()),
}
#: an app's own arguments for a command: a DQNAgent is evaluated by playing its environment, with no data file
OWN_ARGS = {("dqn", "evaluate"): "evaluate {m} --episodes 2"}


#: every (app, command) pair; serve is not among them: it serves every app file (a Translator's and a DQNAgent's too, since
#: feat/serveapps), so `serve {m}` would start a server and never return (tests/ship/test_serve_apps.py serves them)
PAIRS = [(name, command) for name in sorted(KINDS) for command in sorted(COMMANDS)]


@pytest.mark.parametrize(("name", "command"), PAIRS)
def test_every_command_works_or_refuses_an_app_file_in_one_line(fitted: dict[str, Any], tmp_path: Path, name: str, command: str) -> None:
    if name not in fitted["apps"]:
        pytest.skip("gymnasium is not installed")
    template, works = COMMANDS[command]
    if command == "export" and name in works and not _has_onnx():
        pytest.skip("export needs onnx and onnxruntime")
    d = fitted["dir"]
    args = OWN_ARGS.get((name, command), template).format(m=d / f"{name}.safetensors", d=d / DATA[name], L=d / LABELLED.get(name, DATA[name]), o=tmp_path / "out",
                           T=SCORED_BY.get(name, "--target label")).split()
    result = run(*args)
    if name in works:
        assert result.exit_code == 0, result.output
        return
    assert_user_error(result, KINDS[name])
    assert "hl.load" in result.stderr, result.stderr  # what to use instead
    assert not list(tmp_path.iterdir())  # nothing written


def _has_onnx() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def _csv(result: Any) -> pd.DataFrame:
    import io

    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout))


def test_text_predict_is_the_apps_predict_and_predict_proba(fitted: dict[str, Any]) -> None:
    app, d = fitted["apps"]["text"], fitted["dir"]
    got = _csv(run("predict", d / "text.safetensors", d / "texts.csv", "--text-column", "review", "--proba"))
    assert got["predicted_label"].tolist() == app.predict(TEXTS).tolist()
    np.testing.assert_allclose(got[["proba_neg", "proba_pos"]].to_numpy(), app.predict_proba(TEXTS), atol=1e-6)
    assert_user_error(run("predict", d / "text.safetensors", d / "texts.csv", "--text-column", "nope"), "--text-column 'nope' is not a column")


def test_text_predict_needs_one_text_column_or_the_option(fitted: dict[str, Any], tmp_path: Path) -> None:
    two = tmp_path / "two.csv"
    pd.DataFrame({"title": ["x", "y"], "body": ["a fine film", "dull"]}).to_csv(two, index=False)
    assert_user_error(run("predict", fitted["dir"] / "text.safetensors", two), "pass --text-column NAME")
    got = _csv(run("predict", fitted["dir"] / "text.safetensors", two, "--text-column", "body"))
    assert got["predicted_label"].tolist() == fitted["apps"]["text"].predict(["a fine film", "dull"]).tolist()
    gap = tmp_path / "gap.csv"  # a missing text is named by its file line (it said "data row 2")
    pd.DataFrame({"title": ["x", "y", "z"], "body": ["a fine film", None, "dull"]}).to_csv(gap, index=False)
    assert_user_error(run("predict", fitted["dir"] / "text.safetensors", gap, "--text-column", "body"), "text column 'body' has no text on line 3 (1 row(s))")


@pytest.mark.parametrize("column", ["stars", "liked"])
@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_text_column_of_numbers_is_refused_as_train_refuses_it(fitted: dict[str, Any], tmp_path: Path, command: str, column: str) -> None:
    data = tmp_path / "stars.csv"  # a column of numbers (or True/False) read as texts would be "3" and "True": silently wrong predictions
    pd.DataFrame({"review": TEXTS, "stars": [1, 5] * 12, "liked": [False, True] * 12, "label": LABELS}).to_csv(data, index=False)
    target = ["--target", "label"] if command == "evaluate" else []
    assert_user_error(run(command, fitted["dir"] / "text.safetensors", data, *target, "--text-column", column),
                      f"--text-column '{column}' holds numbers, not text: a TextClassifier reads words; pass the column of texts.")
    ok(command, fitted["dir"] / "text.safetensors", data, *target, "--text-column", "review")


def test_evaluate_text_and_image_classifiers_score_the_apps_predictions(fitted: dict[str, Any]) -> None:
    import json

    from sklearn.metrics import accuracy_score

    d, apps = fitted["dir"], fitted["apps"]
    res = run("evaluate", d / "text.safetensors", d / "texts.csv", "--target", "label", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"]["accuracy"] == pytest.approx(accuracy_score(LABELS, apps["text"].predict(TEXTS)))
    res = run("evaluate", d / "image.safetensors", d / "pixels.csv", "--target", "label", "--image-dtype", "uint8", "--json")
    assert res.exit_code == 0, res.output
    expected = accuracy_score(fitted["labels"], apps["image"].predict(fitted["pixels"]))
    assert json.loads(res.stdout)["metrics"]["accuracy"] == pytest.approx(expected)


def test_image_predict_reads_pixel_columns_and_npy_by_the_servers_dtype_rule(fitted: dict[str, Any], tmp_path: Path) -> None:
    d, app, px = fitted["dir"], fitted["apps"]["image"], fitted["pixels"]
    flat = tmp_path / "flat.csv"
    pd.DataFrame(px.reshape(100, -1)).to_csv(flat, index=False)  # no header names needed: the columns in H, W order
    as_uint8 = _csv(run("predict", d / "image.safetensors", flat, "--image-dtype", "uint8", "--proba"))
    assert as_uint8["predicted_label"].tolist() == app.predict(px).tolist()
    np.testing.assert_allclose(as_uint8[[f"proba_{c}" for c in app.classes_]].to_numpy(), app.predict_proba(px), atol=1e-6)
    # float32 (the default): as given; this model was fitted on uint8 pixels (scaled to 0-1), so 0-255 floats are refused, as the server does
    assert_user_error(run("predict", d / "image.safetensors", flat), "fitted on uint8 images 0-255 (scaled by 1/255): pass --image-dtype uint8 for 0-255 pixels, or divide the floats by 255.")
    as_float = _csv(run("predict", d / "image.safetensors", d / "unit.csv"))
    assert as_float["predicted_label"].tolist() == app.predict(px.astype(np.float32) / 255).tolist()
    npy = _csv(run("predict", d / "image.safetensors", d / "pixels.npy"))  # a uint8 array: the uint8 rule
    assert npy["predicted_label"].tolist() == app.predict(px).tolist()
    half = tmp_path / "half.csv"
    pd.DataFrame(px.reshape(100, -1) + 0.5).to_csv(half, index=False)
    assert_user_error(run("predict", d / "image.safetensors", half, "--image-dtype", "uint8"), "not whole numbers 0-255")
    assert_user_error(run("predict", d / "image.safetensors", d / "table.csv"), "8 x 8 pixels with 1 channel(s): give [8, 8] or [8, 8, 1] or [1, 8, 8]")


def test_a_bad_pixel_of_a_pixel_table_is_named_by_its_file_line(fitted: dict[str, Any], tmp_path: Path) -> None:
    """A table of pixel columns names a bad image by its file line (header = line 1), as every command names a row; it said
    'in image 7' (counted from 1 among the rows). An array of images keeps 'image N'."""
    d, px = fitted["dir"], fitted["pixels"]
    big = tmp_path / "big.csv"
    frame = pd.DataFrame(px.reshape(100, -1) / 255)
    frame.iloc[6, 3] = 1e39
    frame.to_csv(big, index=False)
    assert_user_error(run("predict", d / "image.safetensors", big), "the data holds pixels beyond float32's range on line 8 (largest 1e+39)")
    frame.iloc[6, 3] = np.inf
    frame.to_csv(big, index=False)
    assert_user_error(run("predict", d / "image.safetensors", big), "the data has a missing or infinite pixel on line 8: fill it.")
    labelled = tmp_path / "labelled.csv"
    frame.assign(label=fitted["labels"]).to_csv(labelled, index=False)  # train --app image: the same line
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", labelled, "--app", "image", "--target", "label", "--image-shape", "8x8", "-o", out),
                      "the data has a missing or infinite pixel on line 8: fill it.")
    assert not out.exists()
    npy = tmp_path / "big.npy"
    np.save(npy, np.where(np.arange(100)[:, None, None] == 6, np.inf, px / 255))
    assert_user_error(run("predict", d / "image.safetensors", npy), "has a missing or infinite pixel in image 7: fill it.")


def test_npy_with_objects_is_refused_never_unpickled(fitted: dict[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "objects.npy"
    np.save(bad, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert_user_error(run("predict", fitted["dir"] / "image.safetensors", bad), "not a plain numeric .npy array")


def test_autoencoder_feature_errors_say_which_columns_make_a_row_anomalous(fitted: dict[str, Any], tmp_path: Path) -> None:
    """predict --feature-errors: each fitted column's squared reconstruction error (Autoencoder.feature_errors), error_<column>;
    predict wrote the row's error alone, which says that a row is anomalous but not in which columns."""
    d, app = fitted["dir"], fitted["apps"]["auto"]
    got = _csv(ok("predict", d / "auto.safetensors", d / "table.csv", "--feature-errors", "--keep", "a"))
    assert list(got.columns) == ["a", "reconstruction_error", "predicted_anomaly", "error_a", "error_b", "error_c", "error_d"]
    errors = got[["error_a", "error_b", "error_c", "error_d"]].to_numpy()
    np.testing.assert_allclose(errors, app.feature_errors(fitted["table"]), rtol=1e-6)
    np.testing.assert_allclose(errors.mean(1), got["reconstruction_error"], rtol=1e-5)
    assert_user_error(run("predict", d / "rec.safetensors", d / "pairs.csv", "--feature-errors"),
                      "--feature-errors is for Autoencoder files; this model file holds a Recommender: drop --feature-errors.")


def test_autoencoder_recommender_and_forecaster_predict_as_their_apps(fitted: dict[str, Any], tmp_path: Path) -> None:
    d, apps = fitted["dir"], fitted["apps"]
    auto = _csv(said := run("predict", d / "auto.safetensors", d / "table.csv"))
    np.testing.assert_allclose(auto["reconstruction_error"], apps["auto"].reconstruction_error(fitted["table"]), rtol=1e-6)
    assert auto["predicted_anomaly"].tolist() == apps["auto"].predict(fitted["table"]).tolist()
    flagged = apps["auto"].reconstruction_error(fitted["table"]) > -apps["auto"].offset_  # the threshold the note names: -1 over it
    assert flagged.any() and (auto["predicted_anomaly"] == np.where(flagged, -1, 1)).all()
    # the column invites `== 1` for the anomalies, which picks the normal rows: predict says which value is which
    assert ("note: predicted_anomaly is -1 for an anomaly (reconstruction_error over the model's threshold) and 1 for a normal row, "
            "as scikit-learn's outlier detectors predict: select the anomalies with predicted_anomaly == -1\n") in said.stderr
    assert "predicted_anomaly: -1 for an anomaly, 1 for a normal row" in " ".join(ok("predict", "--help").stdout.split())
    rec = _csv(said := run("predict", d / "rec.safetensors", d / "pairs.csv"))
    assert "predicted_anomaly" not in said.stderr
    np.testing.assert_allclose(rec["predicted_rating"], apps["rec"].predict(fitted["pairs"]), rtol=1e-6)
    out = tmp_path / "forecast.parquet"
    res = run("predict", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--out", out)
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    assert got["step"].tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(got["forecast_level"], apps["fc"].forecast(5, fitted["series"]), rtol=1e-6)


def test_a_renamed_column_of_a_recommender_table_is_named_with_the_columns_not_read(fitted: dict[str, Any], tmp_path: Path) -> None:
    """'the data lacks column(s) 'user' that the Recommender was fitted on.' named neither the renamed column nor the fix."""
    renamed = tmp_path / "renamed.csv"
    fitted["pairs"].rename(columns={"user": "customer"}).assign(rating=1.0).to_csv(renamed, index=False)
    assert_user_error(run("predict", fitted["dir"] / "rec.safetensors", renamed),
                      "the data lacks column(s) 'user' that the Recommender was fitted on; the columns it does not read are 'customer', 'rating'. "
                      "Did you mean 'customer'? Give those columns the names the model was fitted on.")


def test_a_table_of_other_columns_names_ten_of_the_missing_ones_and_the_count(fitted: dict[str, Any], tmp_path: Path) -> None:
    """An Autoencoder of 30 columns given another table listed all 30 names in one line of over 700 characters."""
    import hiddenlayers as hl

    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 30)), columns=[f"sensor {i}" for i in range(30)])
    hl.apps.Autoencoder((4,), n_components=2, max_iter=1, random_state=0).fit(wide).save(tmp_path / "wide.safetensors")
    result = run("predict", tmp_path / "wide.safetensors", fitted["dir"] / "pairs.csv")
    assert_user_error(result, "the data lacks column(s) 'sensor 0', 'sensor 1', ")
    assert "'sensor 9', ... (30 of the 30 in all) that the Autoencoder was fitted on" in result.stderr and "'sensor 10'" not in result.stderr


def test_a_missing_cell_of_an_autoencoder_table_is_named_by_column_and_file_line(fitted: dict[str, Any], tmp_path: Path) -> None:
    """predict and evaluate said 'X contains NaN or infinity in 1 of N rows (first: row 3): ... sklearn.impute.SimpleImputer in a
    Pipeline', a 0-based row and a Python fix; a command-line user gets the column and the file line, as other apps' readers say."""
    table = fitted["table"].copy()
    column = str(table.columns[1])
    table.iloc[3, 1] = np.nan
    gap = tmp_path / "gap.csv"
    table.assign(anomaly=np.arange(len(table)) % 2).to_csv(gap, index=False)
    said = f"column '{column}' has a missing or infinite value on line 5 (1 row(s) in all): an Autoencoder reads every fitted column of every row"
    assert_user_error(run("predict", fitted["dir"] / "auto.safetensors", gap), said)
    assert_user_error(run("evaluate", fitted["dir"] / "auto.safetensors", gap, "--target", "anomaly"), said)



def test_an_autoencoder_row_whose_error_overflows_is_named_by_file_line_in_evaluate(fitted: dict[str, Any], tmp_path: Path) -> None:
    """A finite value so far from the training data's that the float32 network's squared error overflows (1e30) made evaluate
    an internal error, scikit-learn's 'Input contains infinity' from roc_auc_score; predict writes its error, inf, and flags it."""
    table = fitted["table"].copy()
    table.iloc[3, 1] = 1e30
    far = tmp_path / "far.csv"
    table.assign(anomaly=np.arange(len(table)) % 2).to_csv(far, index=False)
    assert_user_error(run("evaluate", fitted["dir"] / "auto.safetensors", far, "--target", "anomaly"),
                      "the reconstruction error of line 5 is not finite (1 row(s)): its values are so far from the training data's")

def test_a_missing_id_of_a_recommender_table_is_named_by_column_and_file_line(fitted: dict[str, Any], tmp_path: Path) -> None:
    """predict and evaluate said 'Missing user ids (NaN or None) in 1 of 100 rows (0-based: 3) ... before predict, e.g. df.dropna()',
    a 0-based position and a Python fix; a command-line user gets the column and the file line, as train --app recommender says."""
    for column, side in (("user", "user"), ("item", "item")):
        gap = tmp_path / f"no_{column}.csv"
        table = fitted["pairs"].assign(rating=fitted["ratings"]).astype({column: object})
        table.loc[[3, 7], column] = None
        table.to_csv(gap, index=False)
        said = f"the {side} id column '{column}' has no id on line 5 (2 row(s)): fill or drop those rows."
        assert_user_error(run("predict", fitted["dir"] / "rec.safetensors", gap), said)
        assert_user_error(run("evaluate", fitted["dir"] / "rec.safetensors", gap, "--target", "rating"), said)


def test_app_options_are_refused_on_files_they_do_not_fit(fitted: dict[str, Any], tmp_path: Path) -> None:
    d = fitted["dir"]
    assert_user_error(run("predict", d / "text.safetensors", d / "texts.csv", "--steps", "3"), "--steps is for Forecaster files")
    assert_user_error(run("predict", d / "fc.safetensors", d / "series.csv", "--steps", "0"), "--steps must be a whole number >= 1")
    assert_user_error(run("predict", d / "image.safetensors", d / "pixels.csv", "--image-dtype", "int8"), "--image-dtype must be float32")
    assert_user_error(run("predict", d / "fc.safetensors", d / "series.csv", "--proba"), "--proba needs a classifier")
    assert_user_error(run("predict", d / "fc.safetensors", d / "series.csv", "--keep", "level"),
                      "--keep is for table models, their .onnx files and TextClassifier, ImageClassifier, Autoencoder, Recommender files "
                      "(one prediction per input row); ")
    table_model = tmp_path / "m.safetensors"
    assert run("train", d / "table.csv", "--target", "a", "--epochs", "1", "--out", table_model, "--quiet", "--no-check").exit_code == 0
    assert_user_error(run("predict", table_model, d / "table.csv", "--text-column", "b"), "--text-column is for TextClassifier files")


@pytest.mark.parametrize("command", ["predict", "evaluate", "inspect"])
def test_an_app_option_with_a_missing_or_broken_model_file_names_the_file_not_the_option(fitted: dict[str, Any], tmp_path: Path, command: str) -> None:
    """A mistyped model path was "this model file holds a table model: drop --image-dtype": the wrong fix for a file not there."""
    d = fitted["dir"]
    for missing in ("nofile.safetensors", "nofile.onnx"):
        assert_user_error(run(command, tmp_path / missing, d / "pixels.csv", "--image-dtype", "uint8"), f"model file '{tmp_path / missing}' does not exist: check the path")
    junk = tmp_path / "junk.safetensors"
    junk.write_text("not a model")
    assert_user_error(run(command, junk, d / "pixels.csv", "--image-dtype", "uint8"), f"'{junk}' is not a readable safetensors model file")


def test_an_int64_array_of_0_255_pixels_is_called_int64_pixels_not_float_pixels(fitted: dict[str, Any], tmp_path: Path) -> None:
    """An int64 .npy read as float32 (not uint8) by a model fitted on uint8 images was said to hold "float pixels" and told to
    "divide the floats by 255"; the line now names the array's own dtype."""
    images = tmp_path / "i64.npy"
    np.save(images, fitted["pixels"].astype(np.int64))
    top = int(fitted["pixels"][0].max())
    assert_user_error(run("predict", fitted["dir"] / "image.safetensors", images),
                      f"'{images}' holds int64 pixels up to {top} in image 1, but the model was fitted on uint8 images 0-255 (scaled by 1/255): "
                      "pass --image-dtype uint8 for 0-255 pixels, or divide them by 255.")


def test_standardised_pixels_for_a_model_fitted_on_0_1_pixels_are_refused_naming_the_normalisation(fitted: dict[str, Any], tmp_path: Path) -> None:
    """Pixels standardised as torchvision's Normalize((0.5,), (0.5,)) leaves them, -1 to 1, reached a model fitted on uint8
    images (which standardises its pixels itself) and were predicted from without a word: under 1.5, the 0-255 guard let them by."""
    images = tmp_path / "normalised.npy"
    np.save(images, ((fitted["pixels"] / 255.0 - 0.5) / 0.5).astype(np.float32))
    assert_user_error(run("predict", fitted["dir"] / "image.safetensors", images),
                      f"'{images}' holds float pixels down to -1 in image 1, but the model was fitted on pixels 0-1 and standardises them itself "
                      "(mean_, scale_): pass the pixels before any normalisation (undo torchvision's Normalize, X * std + mean), 0-1, or pass "
                      "--image-dtype uint8 for 0-255 pixels.")


def test_uint8_pixels_for_a_model_fitted_on_0_255_floats_are_refused_naming_image_dtype_float32(tmp_path: Path) -> None:
    """A uint8 .npy (read as uint8, scaled by 1/255) or --image-dtype uint8 given to a model fitted on 0-255 floats was read
    255 times too dark: predictions of one class, exit 0. Now one line naming --image-dtype float32, which reads them right."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
    app = ImageClassifier("conv2k3:same,4", max_iter=1, random_state=0).fit(X.astype(np.float32), np.repeat(["a", "b"], 20))
    model, images = tmp_path / "f255.safetensors", tmp_path / "u8.npy"
    app.save(model)
    np.save(images, X)
    fix = "holds uint8 pixels, read as 0-1 (scaled by 1/255), but the model was fitted on float pixels from 0 to 255: pass --image-dtype float32"
    assert_user_error(run("predict", model, images), f"'{images}' {fix}")
    pd.DataFrame(X.reshape(40, 64)).to_csv(tmp_path / "pixels.csv", index=False)
    assert_user_error(run("predict", model, tmp_path / "pixels.csv", "--image-dtype", "uint8"), f"the data {fix}")
    # a float32 array read as uint8 by the option was said to hold uint8 pixels
    np.save(tmp_path / "f32.npy", X.astype(np.float32))
    assert_user_error(run("predict", model, tmp_path / "f32.npy", "--image-dtype", "uint8"),
                      f"'{tmp_path / 'f32.npy'}' holds float32 pixels, read by --image-dtype uint8 as 0-1 (scaled by 1/255), but the model "
                      "was fitted on float pixels from 0 to 255: pass --image-dtype float32")
    got = _csv(ok("predict", model, images, "--image-dtype", "float32"))["predicted_label"].tolist()
    assert got == app.predict(X.astype(np.float32)).tolist()


def test_image_npz_is_read_by_predict_and_evaluate_and_bad_ones_are_one_line(fitted: dict[str, Any], tmp_path: Path) -> None:
    model, pixels, labels = fitted["dir"] / "image.safetensors", fitted["pixels"], fitted["labels"]
    np.savez(tmp_path / "d.npz", X=pixels, y=labels)
    got = _csv(run("predict", model, tmp_path / "d.npz"))["predicted_label"]
    assert got.tolist() == fitted["apps"]["image"].predict(pixels).tolist()
    np.savez(tmp_path / "unlabelled.npz", X=pixels)  # predict needs no labels; evaluate does
    assert _csv(run("predict", model, tmp_path / "unlabelled.npz"))["predicted_label"].tolist() == got.tolist()
    assert_user_error(run("evaluate", model, tmp_path / "unlabelled.npz"), "has no labels array 'y'; its arrays are 'X'")
    np.savez(tmp_path / "objects.npz", X=pixels, y=np.array(list(labels), dtype=object))
    assert_user_error(run("evaluate", model, tmp_path / "objects.npz"), "Object arrays cannot be loaded when allow_pickle=False")


def test_forecaster_series_with_a_gap_and_npy_evaluate_are_refused(fitted: dict[str, Any], tmp_path: Path) -> None:
    gap = tmp_path / "gap.csv"
    pd.DataFrame({"level": [0.1, None, 0.3] + [0.2] * 10}).to_csv(gap, index=False)
    # predict names the gap's file line as evaluate and train do (it said 'series has missing ...: e.g. pandas' Series.interpolate()')
    assert_user_error(run("predict", fitted["dir"] / "fc.safetensors", gap), "the series 'level' has missing or non-finite values (line 3, 1 in all): fill or drop them.")
    assert_user_error(run("evaluate", fitted["dir"] / "image.safetensors", fitted["dir"] / "pixels.npy"), "evaluate needs the labels beside the images")


def test_forecaster_value_column_picks_the_series_among_numeric_columns(fitted: dict[str, Any], tmp_path: Path) -> None:
    dated = tmp_path / "dated.csv"
    series = fitted["series"]
    pd.DataFrame({"day": np.arange(len(series)), "level": series}).to_csv(dated, index=False)
    model = fitted["dir"] / "fc.safetensors"
    assert_user_error(run("predict", model, dated), "2 numeric columns ('day', 'level'): pass --value-column NAME")
    assert_user_error(run("predict", model, dated, "--value-column", "nope"), "--value-column 'nope' is not a column of the data")
    got = _csv(run("predict", model, dated, "--value-column", "level", "--steps", "3"))
    np.testing.assert_allclose(got["forecast_level"], fitted["apps"]["fc"].forecast(3, series), rtol=1e-6)
    assert_user_error(run("predict", fitted["dir"] / "auto.safetensors", fitted["dir"] / "table.csv", "--value-column", "a"), "--value-column is for Forecaster files")


def _json(result: Any) -> dict[str, Any]:
    import json

    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_evaluate_recommender_scores_its_ratings_against_the_rating_column(fitted: dict[str, Any]) -> None:
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    d, app = fitted["dir"], fitted["apps"]["rec"]
    got = _json(run("evaluate", d / "rec.safetensors", d / "ratings.csv", "--target", "rating", "--json"))
    pred = app.predict(fitted["pairs"])
    assert got["task"] == "rating" and got["rows"] == 100
    assert got["metrics"]["rmse"] == pytest.approx(root_mean_squared_error(fitted["ratings"], pred))
    assert got["metrics"]["mae"] == pytest.approx(mean_absolute_error(fitted["ratings"], pred))
    assert_user_error(run("evaluate", d / "rec.safetensors", d / "pairs.csv"), "pass --target COLUMN (the rating column)")
    bad = pd.read_csv(d / "ratings.csv", dtype={"rating": object})
    bad.loc[2, "rating"] = "five"  # file line 4; train says "on line 4" for the same column, and so does evaluate now (was "in line 4")
    bad.to_csv(d / "bad_ratings.csv", index=False)
    assert_user_error(run("evaluate", d / "rec.safetensors", d / "bad_ratings.csv", "--target", "rating"),
                      "the rating column 'rating' holds a non-number on line 4 (1 row(s)): fix or drop those rows.")


def test_evaluate_forecaster_is_a_hold_out_backtest_of_the_last_steps(fitted: dict[str, Any]) -> None:
    d, app, series = fitted["dir"], fitted["apps"]["fc"], fitted["series"]
    got = _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--json"))
    pred, held = app.forecast(5, series[:-5]), series[-5:]
    m = got["metrics"]
    assert (got["task"], got["steps"], got["history"], got["value_column"]) == ("forecast", 5, 75, "level")
    assert m["mae"] == pytest.approx(np.mean(np.abs(pred - held)))
    assert m["rmse"] == pytest.approx(np.sqrt(np.mean((pred - held) ** 2)))
    assert m["mase"] == pytest.approx(m["mae"] / np.mean(np.abs(np.diff(series[:-5]))))
    assert m["naive_mae"] == pytest.approx(np.mean(np.abs(held - series[-6])))
    shown = run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5")
    assert shown.exit_code == 0 and "the last 5 of 80 values, forecast from the 75 before them" in " ".join(shown.stdout.split()), shown.output
    assert_user_error(run("evaluate", d / "fc.safetensors", d / "series.csv", "--target", "level"), "drop --target")
    assert_user_error(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "75"), "needs window 8 + 75 = 83")
    short = d / "series_short.csv"  # no --steps given: the message said "a backtest of --steps 2", an option the user never typed
    pd.DataFrame({"level": series[:6]}).to_csv(short, index=False)
    assert_user_error(run("evaluate", d / "fc.safetensors", short), "the series 'level' has 6 values; a backtest of the last 2 values (by default "
                      "0.2 of the series, at least its horizon, as train --app forecaster holds out) needs window 8 + 2 = 10: pass a longer series: one "
                      "forecast needs the window's 8 values before it, and one value after them to score.")  # no fewer --steps helps (it said so)
    assert_user_error(run("evaluate", d / "fc.safetensors", short, "--steps", "1"), "needs window 8 + 1 = 9: pass a longer series: one forecast")
    gap = d / "held_gap.csv"  # a gap in the held-out values, which forecast itself never reads
    pd.DataFrame({"level": np.r_[series[:-1], np.nan]}).to_csv(gap, index=False)
    assert_user_error(run("evaluate", d / "fc.safetensors", gap), "missing or non-finite values (line 81, 1 in all)")  # the file line (was "data row 80")


def test_evaluate_forecaster_holds_out_what_train_holds_out_by_default(fitted: dict[str, Any]) -> None:
    """No --steps: 0.2 of the series (at least its horizon), as `train --app forecaster` holds out (it was `horizon` values: 2 here,
    1 for a default Forecaster, a score of one value), said in the output; with --folds above 1, `horizon` values per fold."""
    from hiddenlayers.cli._appscore import forecast_hold_out

    d, app, series = fitted["dir"], fitted["apps"]["fc"], fitted["series"]
    got = _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--json"))
    assert forecast_hold_out(80, 8, 2, None, None) == 16  # ceil(0.2 x 80), the hold-out train gives the same series
    assert (got["steps"], got["history"], got["n_folds"]) == (16, 64, 1)
    assert got["steps_default"] == "by default 0.2 of the series, at least its horizon, as train --app forecaster holds out"
    assert got["metrics"]["mae"] == pytest.approx(np.mean(np.abs(app.forecast(16, series[:-16]) - series[-16:])))
    assert got["metrics"] == _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "16", "--json"))["metrics"]
    assert "steps_default" not in _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "16", "--json"))  # given: no default said
    shown = " ".join(run("evaluate", d / "fc.safetensors", d / "series.csv").stdout.split())
    assert ("the last 16 of 80 values (by default 0.2 of the series, at least its horizon, as train --app forecaster holds out), "
            "forecast from the 64 before them") in shown, shown
    folds = _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--folds", "3", "--json"))  # rolling origins: one horizon each
    assert (folds["steps"], folds["stride"], folds["steps_default"]) == (app.horizon, app.horizon, "by default its horizon, with --folds")
    assert folds["metrics"] == pytest.approx(app.backtest(series, steps=app.horizon, folds=3).mean)
    short = d / "short.csv"  # 12 values: ceil(0.2 x 12) = 3 would leave less than window + horizon + 1 = 11, so train's rule gives the horizon
    pd.DataFrame({"level": series[:12]}).to_csv(short, index=False)
    assert _json(run("evaluate", d / "fc.safetensors", short, "--json"))["steps"] == forecast_hold_out(12, 8, 2, None, None) == 2


def test_evaluate_forecaster_title_reads_across_an_80_column_terminal(fitted: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The metrics table's title (the hold-out in words) was wrapped to the two-column table's width: nine lines of about 22
    characters above it. A title wider than its table is a line of its own now, wrapped at the terminal's 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    d = fitted["dir"]
    lines = ok("evaluate", d / "fc.safetensors", d / "series.csv").stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    head = lines[:lines.index(next(line for line in lines if line.startswith("┏")))]
    assert len(head) == 3 and min(len(line.rstrip()) for line in head[:-1]) > 70, head  # whole lines, not a 22-column block
    assert " ".join(" ".join(head).split()) == ("forecast metrics on the last 16 of 80 values (by default 0.2 of the series, at least its "
                                                "horizon, as train --app forecaster holds out), forecast from the 64 before them")
    folds = ok("evaluate", d / "fc.safetensors", d / "series.csv", "--folds", "3").stdout.splitlines()
    assert "forecast metrics on 3 forecast origins of 80 values, mean over the folds" in folds  # one line of its own
    assert "forecast backtest: 3 folds of 2 values, origins 2 apart (data rows)" in " ".join(folds)
    image = ok("evaluate", d / "image.safetensors", d / "pixels.csv", "--target", "label", "--image-dtype", "uint8").stdout.splitlines()
    assert "confusion matrix (rows: true, columns: predicted)" in image  # wider than a few labels' columns: one line too


def test_evaluate_forecaster_folds_score_rolling_origins_table_and_json(fitted: dict[str, Any]) -> None:
    d, app, series = fitted["dir"], fitted["apps"]["fc"], fitted["series"]
    got = _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--folds", "3", "--json"))
    bt = app.backtest(series, steps=5, folds=3)
    assert (got["n_folds"], got["steps"], got["stride"], got["history"]) == (3, 5, 5, 75)
    assert [(f["fold"], f["first_row"], f["last_row"], f["history"]) for f in got["folds"]] == [(1, 66, 70, 65), (2, 71, 75, 70), (3, 76, 80, 75)]
    for f in got["folds"]:
        assert {m: f[m] for m in ("mae", "rmse", "mase", "mape", "smape", "naive_mae")} == pytest.approx(bt.folds.loc[f["fold"]].drop("origin").to_dict())
    assert got["metrics"] == pytest.approx(bt.mean)
    assert got["folds"][2]["mae"] == pytest.approx(np.mean(np.abs(app.forecast(5, series[:-5]) - series[-5:])))  # the last fold: the one hold-out
    one = _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--json"))
    assert one["n_folds"] == 1 and one["metrics"] == _json(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--folds", "1",
                                                                "--json"))["metrics"]
    shown = run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--folds", "3")
    text = " ".join(shown.stdout.split())
    assert shown.exit_code == 0 and "forecast backtest: 3 folds of 5 values, origins 5 apart" in text and "3 forecast origins of 80 values, mean over the folds" in text
    assert "66-70" in text and "76-80" in text and f"{bt.mean['mae']:.4f}" in text
    assert_user_error(run("evaluate", d / "fc.safetensors", d / "series.csv", "--folds", "0"), "--folds must be a whole number >= 1")
    assert_user_error(run("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--folds", "15"),
                      "a backtest of --folds 15 of --steps 5 needs window 8 + 5 + (15 - 1) x 5 = 83: pass a longer series, fewer --folds or fewer --steps")
    assert_user_error(run("evaluate", d / "rec.safetensors", d / "ratings.csv", "--target", "rating", "--folds", "3"), "--folds is for Forecaster files")


def test_evaluate_forecaster_stride_spaces_the_origins_as_backtest_stride_does(fitted: dict[str, Any]) -> None:
    """`evaluate --stride` is Forecaster.backtest's ``stride=`` (before: no such option, the origins always --steps apart)."""
    d, app, series = fitted["dir"], fitted["apps"]["fc"], fitted["series"]
    args = ("evaluate", d / "fc.safetensors", d / "series.csv", "--steps", "5", "--folds", "4")
    got = _json(run(*args, "--stride", "2", "--json"))
    bt = app.backtest(series, steps=5, folds=4, stride=2)
    assert (got["n_folds"], got["steps"], got["stride"]) == (4, 5, 2)
    assert [(f["first_row"], f["last_row"], f["history"]) for f in got["folds"]] == [(70, 74, 69), (72, 76, 71), (74, 78, 73), (76, 80, 75)]
    assert got["metrics"] == pytest.approx(bt.mean)
    for f in got["folds"]:
        assert f["mae"] == pytest.approx(bt.folds.loc[f["fold"], "mae"])
    assert _json(run(*args, "--stride", "5", "--json"))["metrics"] == _json(run(*args, "--json"))["metrics"]  # default: --steps
    shown = " ".join(run(*args, "--stride", "2").stdout.split())
    assert "forecast backtest: 4 folds of 5 values, origins 2 apart" in shown and "70-74" in shown
    assert_user_error(run(*args, "--stride", "30"), "a backtest of --folds 4 of --steps 5, --stride 30 needs window 8 + 5 + (4 - 1) x 30 = 103: "
                                                   "pass a longer series, fewer --folds, a smaller --stride or fewer --steps.")
    for bad in ("0", "-3"):  # the rule of --steps and --folds
        assert_user_error(run(*args, "--stride", bad), f"--stride must be a whole number >= 1 (values from one forecast origin to the next). Received: {bad}.")
    assert_user_error(run(*args, "--stride", "two"), "--stride")
    assert_user_error(run("evaluate", d / "rec.safetensors", d / "ratings.csv", "--target", "rating", "--stride", "3"), "--stride is for Forecaster files")


def test_evaluate_of_an_app_classifier_on_a_continuous_column_points_to_no_regressor(fitted: dict[str, Any], tmp_path: Path) -> None:
    """A TextClassifier scored against a column of fractions was told "(a regressor is trained with --task regression)": no text
    app regresses, so the advice led nowhere. The app's line stops at the check."""
    scores = tmp_path / "scores.csv"
    pd.DataFrame({"review": TEXTS, "label": np.linspace(0.1, 0.9, len(TEXTS))}).to_csv(scores, index=False)
    assert_user_error(run("evaluate", fitted["dir"] / "text.safetensors", scores, "--target", "label"),
                      "target 'label' is continuous (e.g. 0.1) but the model is a classifier of the classes neg, pos: check --target or the data.")

    res = run("inspect", fitted["dir"] / "text.safetensors", scores, "--target", "label", "--out", tmp_path / "r.html")
    assert_user_error(res, "target 'label' is continuous (e.g. 0.1) but the model is a classifier of the classes neg, pos: check --target or the data.")
    assert not (tmp_path / "r.html").exists()

def test_evaluate_forecaster_says_why_mase_is_missing_on_a_constant_history(fitted: dict[str, Any], tmp_path: Path) -> None:
    """MASE scales the MAE by the mean one-step change before the origin: 0 on a constant history, so it is left out; the table
    dropped the row without a word. A note says so, and says over how many folds the mean is where only some are constant."""
    d = fitted["dir"]
    flat, half = tmp_path / "flat.csv", tmp_path / "half.csv"
    pd.DataFrame({"level": np.ones(40)}).to_csv(flat, index=False)
    pd.DataFrame({"level": np.r_[np.ones(60), np.arange(20.0)]}).to_csv(half, index=False)
    shown = run("evaluate", d / "fc.safetensors", flat)
    assert shown.exit_code == 0 and "mase" not in shown.stdout and "naive mae" in shown.stdout, shown.output
    assert shown.stderr == ("note: no MASE: the values before the forecast origin are constant, so its scale (their mean absolute one-step change) "
                            "is 0; MAE and RMSE are in the series' units.\n")
    folds = run("evaluate", d / "fc.safetensors", half, "--steps", "2", "--folds", "8", "--stride", "4", "--json")  # origins 50, 54, 58 on the ones
    assert _json(folds)["metrics"]["mase"] == pytest.approx(np.mean([f["mase"] for f in _json(folds)["folds"][3:]]))
    assert folds.stderr == "note: MASE is the mean over 5 of the 8 folds: the values before the other folds' origins are constant (a scale of 0).\n"
    # defined: no MASE note (the file is the model's training series, which the one note there says)
    assert run("evaluate", d / "fc.safetensors", d / "series.csv").stderr.startswith("note: 1 of the 1 backtest folds forecast values the model was trained on")


def test_evaluate_forecaster_test_size_holds_out_a_share_as_train_does(fitted: dict[str, Any]) -> None:
    """`evaluate --test-size` is train --app forecaster's: ceil(share x n) of the series' last values, at least the horizon (before:
    no such option, "No such option: --test-size"); with --folds, each fold's length; checked as train checks it."""
    d, app, series = fitted["dir"], fitted["apps"]["fc"], fitted["series"]
    args = ("evaluate", d / "fc.safetensors", d / "series.csv")
    got = _json(run(*args, "--test-size", "0.1", "--json"))
    assert (got["steps"], got["history"], "steps_default" in got) == (8, 72, False)  # ceil(0.1 x 80)
    assert got["metrics"]["mae"] == pytest.approx(np.mean(np.abs(app.forecast(8, series[:-8]) - series[-8:])))
    assert _json(run(*args, "--test-size", "0.01", "--json"))["steps"] == app.horizon  # ceil(0.8) = 1 < horizon 2
    folds = _json(run(*args, "--test-size", "0.05", "--folds", "3", "--json"))
    assert (folds["steps"], folds["n_folds"]) == (4, 3) and folds["metrics"] == pytest.approx(app.backtest(series, steps=4, folds=3).mean)
    for bad in ("1", "1.5", "-0.2"):
        assert_user_error(run(*args, "--test-size", bad), f"--test-size must be in (0, 1) (evaluate: the share of the series' last values held out "
                                                          f"and forecast). Received: {float(bad)}: pass e.g. 0.2, or --steps for a count.")
    assert_user_error(run(*args, "--test-size", "0"), "--test-size holds out nothing to score")
    assert_user_error(run(*args, "--test-size", "0.2", "--steps", "3"), "--steps and --test-size both set how many of the series' last values are held out")
    assert_user_error(run(*args, "--test-size", "0.95"), "a backtest of --test-size 0.95 (76 values) needs window 8 + 76 = 84: "
                                                         "pass a longer series or a smaller --test-size.")
    assert_user_error(run("evaluate", d / "rec.safetensors", d / "ratings.csv", "--target", "rating", "--test-size", "0.2"),
                      "--test-size is for Forecaster files")


@given(st.integers(-10**6, 10**6))
@settings(max_examples=60, deadline=None)
def test_stride_is_checked_as_steps_and_folds_are(value: int) -> None:
    """--stride, --steps and --folds: one rule (a whole number >= 1), each refusal naming its own option."""
    from hiddenlayers.cli._appfiles import check_app_options
    from hiddenlayers.cli._common import UserError

    for name in ("steps", "folds", "stride"):
        if value >= 1:
            check_app_options("Forecaster", **{name: value})
        else:
            with pytest.raises(UserError, match=rf"^--{name} must be a whole number >= 1 \(.*\)\. Received: {value}\.$"):
                check_app_options("Forecaster", **{name: value})


def test_evaluate_recommender_scores_cold_start_rows_apart(fitted: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")  # the cold-start label on one line
    d, app, pairs, ratings = fitted["dir"], fitted["apps"]["rec"], fitted["pairs"], fitted["ratings"]
    cold = pd.DataFrame({"user": [999, 998, 0, 997], "item": ["x", "q", "q", "r"], "rating": [1.0, 5.0, 2.0, 4.5]})  # 3 unseen users, 3 unseen items
    rows = pd.concat([pairs.assign(rating=ratings).iloc[:30], cold], ignore_index=True)
    path = tmp_path / "cold.csv"
    rows.to_csv(path, index=False)
    result = run("evaluate", d / "rec.safetensors", path, "--target", "rating", "--json")
    got = _json(result)
    assert (got["known"]["rows"], got["cold_start"]["rows"], got["cold_start"]["unseen_user"], got["cold_start"]["unseen_item"]) == (30, 4, 3, 3)
    with pytest.warns(UserWarning):
        pred = app.predict(rows[["user", "item"]])
    y = rows["rating"].to_numpy()
    assert got["cold_start"]["rmse"] == pytest.approx(np.sqrt(np.mean((pred[30:] - y[30:]) ** 2)))
    assert got["known"]["mae"] == pytest.approx(np.mean(np.abs(pred[:30] - y[:30])))
    # the overall figures are the row-weighted combination of the two parts
    assert got["metrics"]["rmse"] ** 2 * 34 == pytest.approx(30 * got["known"]["rmse"] ** 2 + 4 * got["cold_start"]["rmse"] ** 2)
    assert got["metrics"]["mae"] * 34 == pytest.approx(30 * got["known"]["mae"] + 4 * got["cold_start"]["mae"])
    notes = result.stderr.strip().splitlines()
    assert notes == [f"note: 4 of 34 rows are cold start (3 with a user, 3 with an item not seen in fit): the model rates them the global mean "
                     f"{app.global_mean_:.4g} plus the bias of the seen side (user or item), if any; their errors are shown apart."]
    shown = run("evaluate", d / "rec.safetensors", path, "--target", "rating")
    text = " ".join(shown.stdout.split())
    assert shown.exit_code == 0 and "cold start (3 with an unseen user, 3 with an unseen item)" in text and f"{got['cold_start']['rmse']:.4f}" in text
    twice = tmp_path / "twice.csv"  # user 999 on two rows: the counts are rows (the table said "4 unseen user" of 3 users)
    pd.concat([rows, cold.iloc[:1]], ignore_index=True).to_csv(twice, index=False)
    again = " ".join(run("evaluate", d / "rec.safetensors", twice, "--target", "rating").stdout.split())
    assert "cold start (4 with an unseen user, 3 with an unseen item) │ 5 │" in again, again  # 4 rows, of 3 users
    known = _json(plain := run("evaluate", d / "rec.safetensors", d / "ratings.csv", "--target", "rating", "--json"))  # no cold rows: no note, null errors
    assert known["cold_start"]["rows"] == 0 and known["cold_start"]["rmse"] is None and known["known"]["rmse"] == known["metrics"]["rmse"]
    assert plain.stderr == ""


def test_evaluate_autoencoder_ranks_anomalies_by_reconstruction_error(fitted: dict[str, Any], tmp_path: Path) -> None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    d, app, marked = fitted["dir"], fitted["apps"]["auto"], fitted["marked"]
    got = _json(run("evaluate", d / "auto.safetensors", d / "anomalies.csv", "--target", "anomaly", "--json"))
    truth = np.r_[np.zeros(60), np.ones(8)]
    error = app.reconstruction_error(marked)
    assert (got["task"], got["anomalies"]) == ("anomaly detection", 8)
    assert got["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(truth, error))
    assert got["metrics"]["average_precision"] == pytest.approx(average_precision_score(truth, error))
    assert got["metrics"]["flag_recall"] == pytest.approx(np.mean(app.predict(marked)[60:] == -1))
    signed = tmp_path / "signed.csv"  # +1 / -1 as an outlier detector writes them: -1 marks the anomaly
    marked.assign(anomaly=np.where(truth == 1, -1, 1)).to_csv(signed, index=False)
    assert _json(run("evaluate", d / "auto.safetensors", signed, "--target", "anomaly", "--json"))["metrics"] == got["metrics"]
    words = tmp_path / "words.csv"
    marked.assign(anomaly=["odd"] * 68).to_csv(words, index=False)
    assert_user_error(run("evaluate", d / "auto.safetensors", words, "--target", "anomaly"), "must hold 0/1 or True/False")
    normal = tmp_path / "normal.csv"  # every row normal: nothing for ROC-AUC to rank, said with the fix
    marked.assign(anomaly=0).to_csv(normal, index=False)
    assert_user_error(run("evaluate", d / "auto.safetensors", normal, "--target", "anomaly"),
                      "the anomaly column 'anomaly' holds one value only (0): ROC-AUC and the flag's precision and recall need normal rows (0, False or +1) "
                      "and anomalies (1, True or -1) both: score rows of both kinds, or write the flags alone with `hiddenlayers predict` (no --target).")


def test_image_layout_chw_reads_pytorch_ordered_columns_and_npy(fitted: dict[str, Any]) -> None:
    d, app, colour = fitted["dir"], fitted["apps"]["rgb"], fitted["colour"]
    expected = app.predict(colour).tolist()
    model = d / "rgb.safetensors"
    assert _csv(run("predict", model, d / "rgb_hwc.csv", "--image-dtype", "uint8"))["predicted_label"].tolist() == expected
    assert _csv(run("predict", model, d / "rgb_chw.csv", "--image-dtype", "uint8", "--image-layout", "chw"))["predicted_label"].tolist() == expected
    assert _csv(run("predict", model, d / "rgb_chw.npy", "--image-layout", "chw"))["predicted_label"].tolist() == expected
    # an array of the model's (C, H, W) images needs no --image-layout, as train --app image reads an .npz of them channels-first
    # (it was refused, told to give (H, W, C) images "resized as in fit")
    assert _csv(run("predict", model, d / "rgb_chw.npy"))["predicted_label"].tolist() == expected
    # (N, H, W, C) said to be chw: refused, naming the order the images are in and the option that reads them (it said to give
    # [3, 4, 5] "resized as in fit", of images that had the model's size and channels)
    np.save(d / "rgb_hwc.npy", colour)
    assert_user_error(run("predict", model, d / "rgb_hwc.npy", "--image-layout", "chw"),
                      f"error: '{d / 'rgb_hwc.npy'}': each image has shape (4, 5, 3), which is (H, W, C) (channels last, numpy's order), but "
                      "--image-layout chw reads (C, H, W) (channels first, PyTorch's order): the size and channels are the model's, the axes in "
                      "the other order; pass --image-layout hwc.")
    np.savez(d / "rgb_chw.npz", X=colour.transpose(0, 3, 1, 2), y=[0, 1] * 6)
    assert_user_error(run("evaluate", model, d / "rgb_chw.npz", "--image-layout", "hwc"), "the axes in the other order; pass --image-layout chw.")
    assert_user_error(run("predict", model, d / "rgb_chw.npy", "--image-layout", "hwc"),
                      "each image has shape (3, 4, 5), which is (C, H, W) (channels first, PyTorch's order), but --image-layout hwc reads (H, W, C)")
    assert_user_error(run("predict", model, d / "rgb_chw.csv", "--image-layout", "nchw"), "--image-layout must be hwc")
    assert_user_error(run("predict", d / "text.safetensors", d / "reviews.csv", "--image-layout", "chw"), "--image-layout is for ImageClassifier files")


def test_inspect_text_and_image_classifiers_report_their_hidden_layers(fitted: dict[str, Any], tmp_path: Path) -> None:
    d = fitted["dir"]
    out = tmp_path / "text.html"
    res = run("inspect", d / "text.safetensors", d / "texts.csv", "--target", "label", "--out", out, "--json")
    got = _json(res)
    assert (got["rows"], got["target"]) == (24, "label") and got["layers"] and out.stat().st_size > 10_000
    assert "probe" in out.read_text().lower()  # labels given: the linear probes are in the report
    res = run("inspect", d / "image.safetensors", d / "pixels.csv", "--target", "label", "--image-dtype", "uint8", "--out", tmp_path / "image.html", "--json",
              "--sections", "layers")  # the layers below are recorded for any sections; every section of an image report: [image-inspect] above
    from hiddenlayers.lens import record

    expected = record(fitted["apps"]["image"], fitted["pixels"]).stats  # the layers and their dead units, as the lens reads the app in Python
    got = {layer["name"]: layer["dead"] for layer in _json(res)["layers"]}
    assert got == {name: s.to_dict()["dead"] for name, s in expected.items()}
    assert {layer["name"]: layer["role"] for layer in _json(res)["layers"]} == {"hidden1": None, "hidden2": "pooling", "hidden3": None}
    shown = ok("inspect", d / "image.safetensors", d / "pixels.csv", "--target", "label", "--image-dtype", "uint8", "--out", tmp_path / "i2.html",
               "--sections", "layers").stdout  # the pooling layer has no activation: said as what it is, not "unknown" and a note
    pool_row = next(line for line in shown.splitlines() if "hidden2" in line)
    assert "(pooling)" in pool_row and "unknown" not in shown and "activation unknown" not in " ".join(shown.split())
    assert_user_error(run("inspect", d / "image.safetensors", d / "pixels.csv", "--target", "label", "--out", tmp_path / "x.html"),
                      "pass --image-dtype uint8")  # 0-255 floats for a model fitted on 0-1 pixels
    assert_user_error(run("inspect", d / "text.safetensors", d / "texts.csv", "--landscape", tmp_path / "l.png", "--out", tmp_path / "y.html"),
                      "--landscape is for table models and Autoencoder files")
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "y.html").exists()


@given(st.lists(st.sampled_from([0, 1, -1, 2, 0.5, True, False, "yes"]), min_size=1, max_size=12))
@settings(max_examples=80, deadline=None)
def test_anomaly_labels_are_0_1_or_plus_minus_1_with_both_present(values: list[Any]) -> None:
    from hiddenlayers.cli._appscore import anomaly_labels
    from hiddenlayers.cli._common import UserError

    column = pd.Series(values)
    found = set(pd.to_numeric(column, errors="coerce").tolist()) if column.dtype != bool else set(map(int, values))
    if found in ({0, 1}, {-1, 1}):  # both values present (True/False read as 1/0)
        got = anomaly_labels(column, "anomaly")
        marker = -1 if found == {-1, 1} else 1
        assert got.tolist() == [v == marker for v in column.astype(float).tolist()]
    elif len(found) == 1 and found <= {0, 1, -1}:  # one kind only: named as such, with the fix
        with pytest.raises(UserError, match=r"the anomaly column 'anomaly' holds one value only \((0|1|-1|True|False)\): ROC-AUC"):
            anomaly_labels(column, "anomaly")
    else:
        with pytest.raises(UserError, match="the anomaly column 'anomaly' must hold 0/1"):
            anomaly_labels(column, "anomaly")


def test_predict_keep_writes_input_columns_beside_each_app_prediction(fitted: dict[str, Any], tmp_path: Path) -> None:
    """--keep was refused for every application file; the ones that predict one row per input row now write the kept
    columns in front, as table models do, and a kept column the app does not read by name is no input (an ID beside the
    only text column, or beside the pixel columns)."""
    d, apps = fitted["dir"], fitted["apps"]
    texts = _csv(ok("predict", d / "text.safetensors", d / "texts.csv", "--keep", "label"))  # two text columns: label is kept, review read
    assert list(texts.columns) == ["label", "predicted_label"] and texts["label"].tolist() == LABELS
    assert texts["predicted_label"].tolist() == list(apps["text"].predict(TEXTS))
    images = _csv(ok("predict", d / "image.safetensors", d / "pixels.csv", "--keep", "label", "--image-dtype", "uint8"))
    assert list(images.columns) == ["label", "predicted_label"] and images["label"].tolist() == fitted["labels"].tolist()
    assert images["predicted_label"].tolist() == apps["image"].predict(fitted["pixels"]).tolist()
    auto = _csv(ok("predict", d / "auto.safetensors", d / "table.csv", "--keep", "b,a"))  # fitted columns: kept and read
    plain = _csv(ok("predict", d / "auto.safetensors", d / "table.csv"))
    assert list(auto.columns) == ["b", "a", "reconstruction_error", "predicted_anomaly"]
    pd.testing.assert_frame_equal(auto[plain.columns], plain)
    assert np.allclose(auto[["b", "a"]].to_numpy(), fitted["table"][["b", "a"]].to_numpy())
    rec = _csv(ok("predict", d / "rec.safetensors", d / "ratings.csv", "--keep", "rating"))
    assert list(rec.columns) == ["rating", "predicted_rating"] and np.allclose(rec["rating"], fitted["ratings"])
    assert np.allclose(rec["predicted_rating"], apps["rec"].predict(fitted["pairs"]), atol=1e-5)


def test_predict_keep_on_app_files_refuses_as_for_table_models(fitted: dict[str, Any], tmp_path: Path) -> None:
    d = fitted["dir"]
    out = tmp_path / "p.csv"
    err = run("predict", d / "auto.safetensors", d / "table.csv", "--keep", "aa", "--out", out)
    assert err.exit_code == 2 and "--keep: the data has no column 'aa'." in err.stderr and "Traceback" not in err.output
    assert not out.exists()
    assert_user_error(run("predict", d / "text.safetensors", d / "texts.csv", "--keep", "label,label"), "--keep names 'label' twice")
    assert_user_error(run("predict", d / "rec.safetensors", d / "pairs.csv", "--keep", "predicted_rating"),
                      "--keep column 'predicted_rating' has the name of an output column")
    assert_user_error(run("predict", d / "image.safetensors", d / "pixels.npy", "--keep", "label"),
                      "--keep reads columns of a table, and '")


@given(c=st.sampled_from([3, 4]), h=st.integers(1, 6), w=st.integers(1, 6), n=st.integers(1, 3), layout=st.sampled_from(["hwc", "chw"]))
@settings(max_examples=60, deadline=None)
def test_images_in_the_other_layout_are_named_so_and_read_by_the_other_option(c: int, h: int, w: int, n: int, layout: str) -> None:
    """Any model shape: an array of its images in the other axis order than --image-layout is one line naming that order
    and the option (unless both orders are one shape), and that option reads the same array."""
    from types import SimpleNamespace

    from hiddenlayers.cli._appfiles import read_images
    from hiddenlayers.cli._common import UserError

    model = SimpleNamespace(image_shape_=(c, h, w))
    other = "chw" if layout == "hwc" else "hwc"
    shape = (c, h, w) if other == "chw" else (h, w, c)
    assume((h, w, c) != (c, h, w))  # both orders one shape: nothing tells them apart
    a = np.arange(n * c * h * w, dtype=np.float32).reshape(n, *shape) / (n * c * h * w)
    with pytest.raises(UserError, match=rf"^the data: each image has shape \({shape[0]}, {shape[1]}, {shape[2]}\), which is .* but --image-layout "
                                        rf"{layout} reads .*: the size and channels are the model's, the axes in the other order; pass --image-layout {other}\.$"):
        read_images(model, a, "float32", layout, "the data")
    assert read_images(model, a, "float32", other, "the data").shape == (n, h, w, c)
