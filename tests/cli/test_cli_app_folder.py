"""``train DIR --app image``, ``evaluate MODEL DIR`` and ``predict MODEL DIR``: a folder of images, read as ``ImageClassifier.fit(DIR)`` reads it.

The folders hold tiny 8 x 8 PNGs written here (dark and light images, one sub-folder per class); one model is trained
by the command line for the module and checked against the app's own ``predict`` and ``score`` on the same folder.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run
from hiddenlayers import DataError
from hiddenlayers.apps import ImageClassifier


def _write(folder: Path, n: int, nested: bool = True, seed: int = 0) -> None:
    """``n`` grayscale 8 x 8 PNGs, dark and light by turns: in ``folder/dark`` and ``folder/light`` (``nested``), else in ``folder``."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for i in range(n):
        label = ("dark", "light")[i % 2]
        place = folder / label if nested else folder
        place.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 80, (8, 8)) + 170 * (i % 2)
        Image.fromarray(pixels.astype(np.uint8)).save(place / f"{label}{i}.png")


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A model trained by ``train photos --app image`` (40 images, 8 held out) and its training summary."""
    d = tmp_path_factory.mktemp("app_folder")
    _write(d / "photos", 40)
    _write(d / "later", 12, seed=1)
    model = d / "photos.safetensors"
    summary = _json(ok("train", d / "photos", "--app", "image", "--hidden", "conv2k3:same,4", "--epochs", "8", "--lr", "0.05",
                       "--no-early-stopping", "--out", model, "--json", "--quiet"))
    return {"dir": d, "model": model, "summary": summary}


def test_train_reads_the_sub_folders_as_the_labels_and_learns_them(trained: dict[str, Any]) -> None:
    """A folder of class sub-folders was refused ('train --app image reads pixel columns or an .npz ..., not a folder')."""
    s, app = trained["summary"], ImageClassifier.load(trained["model"])
    assert (s["app"], s["folder"], s["image_shape"], s["rows"], s["test_rows"]) == ("ImageClassifier", str(trained["dir"] / "photos"), "1x8x8", 32, 8)
    assert "image_layout" not in s and "target" not in s  # no pixel layout or label column was read
    assert list(app.classes_) == ["dark", "light"] and app.image_shape_ == (1, 8, 8) and app.pixel_dtype_ == "uint8"
    assert s["test_metrics"]["accuracy"] == 1.0  # dark against light: a broken fit is at chance, 0.5
    assert not hasattr(app, "data_columns_")  # no column for predict or evaluate to read by default


def test_evaluate_scores_a_folder_against_its_sub_folder_names_as_score_does(trained: dict[str, Any]) -> None:
    app, later = ImageClassifier.load(trained["model"]), trained["dir"] / "later"
    scored = _json(ok("evaluate", trained["model"], later, "--json"))
    assert (scored["rows"], scored["task"], scored["target"]) == (12, "classification", "the sub-folder names")
    assert scored["metrics"]["accuracy"] == app.score(later) == 1.0
    assert scored["metrics"]["confusion_matrix"]["matrix"] == [[6, 0], [0, 6]] and scored["metrics"]["confusion_matrix"]["labels"] == ["dark", "light"]
    # every image on the right side of 0.5: the probabilities rank them perfectly (both were missing: the folder scored labels only)
    assert (scored["metrics"]["roc_auc"], scored["metrics"]["average_precision"]) == (1.0, 1.0)


def test_predict_writes_one_row_per_image_file_by_its_path_below_the_folder(trained: dict[str, Any], tmp_path: Path) -> None:
    app, later = ImageClassifier.load(trained["model"]), trained["dir"] / "later"
    table = pd.read_csv(io.StringIO(ok("predict", trained["model"], later, "--proba").stdout))
    assert list(table.columns) == ["file", "predicted_label", "proba_dark", "proba_light"]
    assert table["file"].tolist() == sorted(p.relative_to(later).as_posix() for p in later.rglob("*.png"))  # nested: 'dark/dark0.png'
    assert table["predicted_label"].tolist() == app.predict(later).tolist() == [f.split("/")[0] for f in table["file"]]
    assert np.allclose(table[["proba_dark", "proba_light"]].to_numpy(), app.predict_proba(later), atol=1e-6)
    _write(tmp_path / "flat", 4, nested=False)  # images with no class sub-folders: predict reads no labels
    out = tmp_path / "preds.parquet"
    ok("predict", trained["model"], tmp_path / "flat", "--out", out)
    written = pd.read_parquet(out)
    assert written["file"].tolist() == ["dark0.png", "dark2.png", "light1.png", "light3.png"]
    assert written["predicted_label"].tolist() == ["dark", "dark", "light", "light"]
    assert not list(tmp_path.glob(".*")) and not list(tmp_path.glob("*.tmp*"))  # written atomically: no temporary file left


def _bad_folders(root: Path) -> dict[str, Path]:
    """Folders the app refuses: no image, one class, a file Pillow cannot read, images outside the class sub-folders."""
    bad = {name: root / name for name in ("empty", "one_class", "corrupt", "stray")}
    (bad["empty"] / "dark").mkdir(parents=True)
    _write(bad["one_class"] / "x", 4)
    for p in (bad["one_class"] / "x" / "light").iterdir():
        p.rename(bad["one_class"] / "x" / "dark" / p.name)
    (bad["one_class"] / "x" / "light").rmdir()
    bad["one_class"] = bad["one_class"] / "x"
    _write(bad["corrupt"], 4)
    (bad["corrupt"] / "light" / "broken.png").write_bytes(b"not a png")
    _write(bad["stray"], 4)
    (bad["stray"] / "dark" / "dark0.png").rename(bad["stray"] / "loose.png")
    return bad


def _python_says(folder: Path) -> str:
    with pytest.raises(DataError) as caught:
        ImageClassifier("conv2k3:same,4", max_iter=1).fit(folder)
    return str(caught.value)


@pytest.mark.parametrize("case", ["empty", "one_class", "corrupt", "stray"])
def test_a_bad_folder_is_the_python_apps_one_line_in_each_command(trained: dict[str, Any], tmp_path: Path, case: str) -> None:
    folder = _bad_folders(tmp_path)[case]
    said = _python_says(folder)
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", folder, "--app", "image", "--epochs", "1", "--out", out), said)
    assert not out.exists()
    if case != "one_class":  # a folder of one class is scored (its other class is a column of zeros), as score() scores it
        assert_user_error(run("evaluate", trained["model"], folder), said)
    if case in ("empty", "corrupt"):  # predict reads no labels: images outside sub-folders, or of one class, are images
        assert_user_error(run("predict", trained["model"], folder), said)


def test_options_for_pixel_arrays_are_refused_on_a_folder_naming_why(trained: dict[str, Any]) -> None:
    photos, model = trained["dir"] / "photos", trained["model"]
    assert_user_error(run("train", photos, "--app", "image", "--target", "label", "--out", trained["dir"] / "x.safetensors"),
                      f"--target does not apply to a folder of images ('{photos}'): its labels are the names of its sub-folders, one per class; drop --target.")
    assert_user_error(run("train", photos, "--app", "image", "--image-shape", "4x4", "--out", trained["dir"] / "x.safetensors"),
                      "--image-shape does not apply to a folder of images")
    assert_user_error(run("evaluate", model, photos, "--image-layout", "chw"),
                      f"--image-layout does not apply to a folder of images ('{photos}'): its images are files, whose pixels are read in their own "
                      "layout; drop --image-layout.")
    assert_user_error(run("predict", model, photos, "--keep", "id"),
                      f"--keep does not apply to a folder of images ('{photos}'): its rows are its image files, each named by the column 'file'; drop --keep.")
    assert_user_error(run("predict", model, photos, "--image-dtype", "uint8"), "--image-dtype does not apply to a folder of images")
    assert_user_error(run("train", str(photos / "*"), "--app", "image", "--out", trained["dir"] / "x.safetensors"),
                      "train --app reads one data file in memory (or, for --app image, a folder with one sub-folder of images per class); ")


def test_evaluate_refuses_a_sub_folder_named_for_no_class_of_the_model(trained: dict[str, Any], tmp_path: Path) -> None:
    _write(tmp_path / "photos", 4)
    (tmp_path / "photos" / "light").rename(tmp_path / "photos" / "bright")
    assert_user_error(run("evaluate", trained["model"], tmp_path / "photos"),
                      f"the sub-folder(s) 'bright' of '{tmp_path / 'photos'}' name no class of the model (dark, light): name each sub-folder for the "
                      "class of its images, or move it out of the folder.")


@pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in ("onnx", "onnxruntime")), reason="export needs onnx and onnxruntime")
def test_the_models_onnx_export_reads_the_folder_as_its_file_does(trained: dict[str, Any], tmp_path: Path) -> None:
    """predict and evaluate run an ImageClassifier's export on the data its .safetensors file reads: a folder too (it was refused,
    'a folder or a glob ... is scored batch by batch for a table model's ... only')."""
    later, onnx = trained["dir"] / "later", tmp_path / "photos.onnx"
    ok("export", trained["model"], "--out", onnx)
    from_file = pd.read_csv(io.StringIO(ok("predict", trained["model"], later, "--proba").stdout))
    from_export = pd.read_csv(io.StringIO(ok("predict", onnx, later, "--proba").stdout))
    assert from_export["file"].tolist() == from_file["file"].tolist()
    assert from_export["predicted_label"].tolist() == from_file["predicted_label"].tolist()
    assert np.allclose(from_export[["proba_dark", "proba_light"]], from_file[["proba_dark", "proba_light"]], atol=1e-4)
    assert _json(ok("evaluate", onnx, later, "--json"))["metrics"] == _json(ok("evaluate", trained["model"], later, "--json"))["metrics"]
    assert_user_error(run("evaluate", onnx, later, "--target", "label"), "--target does not apply to a folder of images")


def test_the_summary_names_the_hidden_layers_fitted_not_the_default_asked_for(tmp_path: Path) -> None:
    """Images below 10 x 10 pixels get the default's 'same'-padded variant (hidden_spec_); the summary showed the default, whose
    valid convolutions cannot even run on 8 x 8 images."""
    from hiddenlayers.apps._image import SMALL_SPEC

    _write(tmp_path / "photos", 8)
    model = tmp_path / "m.safetensors"
    summary = _json(ok("train", tmp_path / "photos", "--app", "image", "--epochs", "1", "--out", model, "--json", "--quiet"))
    assert summary["hidden_layers"] == SMALL_SPEC == ImageClassifier.load(model).hidden_spec_


def test_set_image_size_reads_the_folder_at_that_size_and_a_bad_one_is_one_line(trained: dict[str, Any], tmp_path: Path) -> None:
    """``--set image_size=[H,W]``: the folder is read at that size, as ``ImageClassifier(image_size=...).fit(DIR)`` reads it."""
    args = ("train", trained["dir"] / "photos", "--app", "image", "--hidden", "conv2k3:same,4", "--epochs", "1", "--json", "--quiet")
    summary = _json(ok(*args, "--set", "image_size=[5,6]", "--out", tmp_path / "m.safetensors"))
    assert summary["image_shape"] == "1x5x6" and ImageClassifier.load(tmp_path / "m.safetensors").image_size == (5, 6)
    assert_user_error(run(*args, "--set", "image_size=[0,6]", "--out", tmp_path / "bad.safetensors"),
                      "--set image_size: image_size must be None, an int or (height, width), whole numbers >= 1 in pixels")
    assert not (tmp_path / "bad.safetensors").exists()
