"""ImageClassifier on a folder of images, one sub-folder per class: images outside them, empty classes, warm fits."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers import DataError
from hiddenlayers.apps import ImageClassifier

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
                                        r"have no label: move them into their class's sub-folder, or pass y\.$"):
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
                                        r"class's images in a sub-folder named for the class \('.*cat/1\.png'\), or pass y\.$"):
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
