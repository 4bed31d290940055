"""ImageClassifier on a folder of images, one sub-folder per class: images outside them, empty classes, warm fits."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers import DataError
from hiddenlayers.apps import ImageClassifier, read_image_folder

TINY = "conv2k3:same,4"


def _write(folder: Path, n: int, side: int = 8) -> None:
    """``n`` grayscale images ``side`` x ``side`` in ``folder/dark`` and ``folder/light`` (``n // 2`` each)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(n):
        label = ("dark", "light")[i % 2]
        (folder / label).mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 100, (side, side)) + 150 * (i % 2)
        Image.fromarray(pixels.astype(np.uint8)).save(folder / label / f"{i}.png")


def _model(**params: object) -> ImageClassifier:
    return ImageClassifier(TINY, **{"max_iter": 1, "early_stopping": False, "random_state": 0, **params})


def test_an_image_outside_the_class_folders_is_refused_not_a_class_named_empty(tmp_path: Path) -> None:
    _write(tmp_path, 6)
    (tmp_path / "dark" / "0.png").rename(tmp_path / "stray.png")
    with pytest.raises(DataError, match=r"^1 image\(s\) lie directly in '.*' \(first: '.*stray\.png'\), outside the class sub-folders, so they "
                                        r"have no label: move them into their class's sub-folder, or in Python pass y to fit or score \(one label per image, in sorted file order\)\.$"):
        _model().fit(tmp_path)
    labels = ["dark", "dark", "light", "light", "light", "dark"]  # given: the folder's order (dark/, light/, then stray.png)
    assert list(_model().fit(tmp_path, labels).classes_) == ["dark", "light"]
    with pytest.raises(DataError, match=r"^1 image\(s\) lie directly in"):  # a folder of held-out images is read alike
        _model(early_stopping=True).fit(tmp_path, labels, X_val=tmp_path)


def test_a_folder_without_class_folders_says_to_make_them(tmp_path: Path) -> None:
    _write(tmp_path, 4)
    for image in tmp_path.rglob("*.png"):
        image.rename(tmp_path / f"{image.parent.name}{image.name}")
    with pytest.raises(DataError, match=r"^'.*' holds its 4 image\(s\) directly, with no class sub-folders, so they have no labels: put each "
                                        r"class's images in a sub-folder named for the class \('.*cat/1\.png.\), or in Python pass y to fit or score \(one label per image, in sorted file order\)\.$"):
        _model().fit(tmp_path)


def test_a_class_folder_without_images_warns(tmp_path: Path) -> None:
    _write(tmp_path, 4)
    (tmp_path / "empty").mkdir()
    (tmp_path / ".cache").mkdir()  # a hidden folder is no class anyone meant
    with pytest.warns(UserWarning, match=r"^1 sub-folder\(s\) of '.*' hold no image \('empty'\), so they are no class of this fit: "
                                         r"put images in them, or remove them\.$"):
        clf = _model().fit(tmp_path)
    assert list(clf.classes_) == ["dark", "light"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict(tmp_path)  # predict reads no labels: nothing to say


def test_a_warm_fit_reads_a_folder_at_the_fitted_size_as_predict_does(tmp_path: Path) -> None:
    _write(tmp_path / "first", 4, side=8)
    _write(tmp_path / "later", 4, side=12)
    clf = _model(batch_size=2)
    clf.partial_fit(tmp_path / "first", None, classes=["dark", "light"])
    clf.partial_fit(tmp_path / "later", None)  # resized to 8 x 8, as predict(tmp_path / "later") reads them
    assert clf.n_iter_ == 2 and clf.image_shape_ == (1, 8, 8)
    assert clf.predict(tmp_path / "later").shape == (4,)


def test_score_takes_the_labels_of_a_folder_as_fit_does(tmp_path: Path) -> None:
    """score(folder) raised TypeError 'missing 1 required positional argument: y', though fit(folder) reads the labels from its
    sub-folders; now it takes them from there too, and a y given with a folder means what it means to fit (the folder's order)."""
    _write(tmp_path / "train", 8)
    _write(tmp_path / "test", 6)
    clf = _model(max_iter=3).fit(tmp_path / "train")
    images, labels, _ = read_image_folder(tmp_path / "test", clf.image_shape_)
    expected = float(np.mean(clf.predict(images) == labels))
    assert clf.score(tmp_path / "test") == expected
    flipped = np.where(labels == "dark", "light", "dark")  # y in the folder's sorted order, as fit(folder, y) takes it
    assert clf.score(tmp_path / "test", flipped) == pytest.approx(1 - expected)
    (tmp_path / "test" / "empty").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty class folder is no fit's: scoring says nothing of it
        assert clf.score(tmp_path / "test") == expected
    (tmp_path / "test" / "dark" / "0.png").rename(tmp_path / "test" / "stray.png")
    with pytest.raises(DataError, match=r"^1 image\(s\) lie directly in '.*test' \(first: '.*stray\.png'\), outside the class sub-folders"):
        clf.score(tmp_path / "test")
    with pytest.raises(ValueError, match=r"^y is required: pass one label per image, or a folder with one sub-folder per class\.$"):
        clf.score(images)


def test_a_first_fit_on_a_folder_of_one_class_names_the_folder_not_y(tmp_path: Path) -> None:
    """fit(folder) of one class sub-folder said "y has a single class 'dark'", of a y the user never passed; a stream's batch
    (partial_fit with classes) and a warm fit may hold one class."""
    _write(tmp_path / "both", 4)
    _write(tmp_path / "one", 4)
    for image in (tmp_path / "one" / "light").iterdir():  # the light images as dark ones: one class
        image.rename(tmp_path / "one" / "dark" / f"l{image.name}")
    (tmp_path / "one" / "light").rmdir()
    with pytest.raises(DataError, match=r"^'.*one' holds images of one class only \(its sub-folder 'dark', 4 image\(s\)\): a classifier needs "
                                        r"at least two: put each class's images in a sub-folder of its own\.$"):
        _model().fit(tmp_path / "one")
    stream = _model()
    stream.partial_fit(tmp_path / "one", None, classes=["dark", "light"])  # a first batch of one class: the classes are given
    stream.partial_fit(tmp_path / "both", None)
    assert stream.n_iter_ == 2 and list(stream.classes_) == ["dark", "light"]
    assert _model(warm_start=True).fit(tmp_path / "both").fit(tmp_path / "one").n_iter_ == 2  # a warm fit goes on with one class


def test_score_refuses_a_sub_folder_named_for_no_class_as_evaluate_does(tmp_path: Path) -> None:
    """score(folder) counted the images of a sub-folder named for no class of the model ('bright' for 'light') as wrong, without
    a word (0.5 on a model that scores 1.0); evaluate DIR refused it, and now both say it in one line."""
    _write(tmp_path / "train", 8)
    clf = _model(max_iter=1).fit(tmp_path / "train")
    (tmp_path / "train" / "light").rename(tmp_path / "train" / "bright")
    with pytest.raises(DataError, match=r"^the sub-folder\(s\) 'bright' of '.*train' name no class of the model \(dark, light\): name each "
                                        r"sub-folder for the class of its images, or move it out of the folder\.$"):
        clf.score(tmp_path / "train")
    images, labels, _ = read_image_folder(tmp_path / "train", clf.image_shape_)
    assert clf.score(tmp_path / "train", np.where(labels == "bright", "light", labels)) == clf.score(images, np.where(labels == "bright", "light", labels))


def test_a_model_fitted_on_rgba_images_reads_a_folder_of_them(tmp_path: Path) -> None:
    """A model fitted on RGBA arrays read every folder as RGB, so predict and score refused its own RGBA PNGs with "images have
    3 channel(s) but the model was fitted on 4 (RGBA): convert them to RGBA first"."""
    from PIL import Image

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (6, 8, 8, 4), dtype=np.uint8)
    clf = _model(max_iter=1).fit(X, ["a", "b"] * 3)
    for i, label in enumerate(["a", "b"] * 3):
        (tmp_path / label).mkdir(exist_ok=True)
        Image.fromarray(X[i], "RGBA").save(tmp_path / label / f"{i}.png")
    images, labels, _ = read_image_folder(tmp_path, clf.image_shape_)
    assert images.shape == (6, 8, 8, 4) and labels.tolist() == ["a"] * 3 + ["b"] * 3
    np.testing.assert_array_equal(images, X[[0, 2, 4, 1, 3, 5]])  # the pixels and their alpha as the arrays held them
    np.testing.assert_array_equal(clf.predict(str(tmp_path)), clf.predict(images))
    assert clf.score(tmp_path) == clf.score(images, labels)


def test_image_size_resizes_a_folder_of_any_sizes_at_fit_and_arrays_of_another_size_are_refused(tmp_path: Path) -> None:
    """Without a size a folder was read at its first image's size (a folder of phone photos held as large in memory),
    with no way to ask for another, as Keras' image_dataset_from_directory(image_size=) asks."""
    from PIL import Image

    _write(tmp_path, 8, side=20)
    Image.fromarray(np.full((30, 12), 200, np.uint8)).save(tmp_path / "light" / "odd.png")  # another size: resized, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = _model(image_size=(6, 10)).fit(tmp_path)
    assert clf.image_shape_ == (1, 6, 10) and _model(image_size=7).fit(tmp_path).image_shape_ == (1, 7, 7)
    assert clf.predict(tmp_path).shape == (9,)  # predict reads the folder at the fitted size, as before
    clf.save(tmp_path / "m.safetensors")
    loaded = ImageClassifier.load(tmp_path / "m.safetensors")
    assert loaded.image_size == (6, 10) and loaded.get_params() == clf.get_params()
    with pytest.raises(DataError, match=r"^these images are 8 x 8 pixels, but image_size=\(6, 10\) asks for 6 x 10: image_size resizes the "
                                        r"images a folder's files hold; resize arrays yourself"):
        _model(image_size=(6, 10)).fit(np.zeros((4, 8, 8), np.uint8), [0, 1, 0, 1])
    for bad in (0, (3,), "64", (2.5, 3), True, [4, -1]):
        with pytest.raises(ValueError, match=r"^image_size must be None, an int or \(height, width\), whole numbers >= 1 in pixels"):
            _model(image_size=bad).fit(np.zeros((4, 8, 8), np.uint8), [0, 1, 0, 1])
