"""A folder of images as :class:`~hiddenlayers.apps.ImageClassifier` fits on it: one sub-folder per class.

The layout of Keras' ``image_dataset_from_directory`` and torchvision's ``ImageFolder``
(``root/cat/1.png``, ``root/dog/7.jpg``): each image's label is the name of the
sub-folder of ``root`` it lies in. An image directly in ``root`` has no class; read
for a fit it would have become a class named ``""`` without a word, so it is refused.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._stacklevel import user_stacklevel
from ..exceptions import DataError


def folder_images(folder: str | os.PathLike[str], shape: tuple[int, ...] | None = None, *, labelled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: the images of ``folder`` (uint8 ``(N, H, W, C)``) and their sub-folder names ``(N,)``.

    ``shape``: a fitted model's ``(C, H, W)``, whose size and channels the images are converted to (None: the
    first image's size, grayscale if all are). ``labelled``: the labels are the sub-folder names (``fit`` was
    given no ``y``): an image outside every sub-folder is a :class:`DataError` naming it, and a sub-folder
    with no image (which Keras would count as a class) one ``UserWarning``, as the fit cannot learn it.
    """
    from ..data import load_image_folder

    size = None if shape is None else (int(shape[1]), int(shape[2]))
    mode = None if shape is None else ("L" if int(shape[0]) == 1 else "RGB")
    images, labels, files = load_image_folder(folder, size=size, mode=mode)
    if labelled:
        _check_classes(Path(folder), labels, files)
    return images, labels


def _check_classes(root: Path, labels: np.ndarray, files: list[str]) -> None:
    """Refuse images outside the class sub-folders of ``root`` (label ``""``); warn of sub-folders without images."""
    stray = np.flatnonzero(labels == "")
    if stray.size == labels.size:
        raise DataError(f"'{root}' holds its {labels.size} image(s) directly, with no class sub-folders, so they have no labels: put each class's "
                        f"images in a sub-folder named for the class ('{root / 'cat' / '1.png'}'), or pass y.")
    if stray.size:
        raise DataError(f"{stray.size} image(s) lie directly in '{root}' (first: '{files[int(stray[0])]}'), outside the class sub-folders, so they "
                        "have no label: move them into their class's sub-folder, or pass y.")
    found = set(labels.tolist())
    empty = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in found and not p.name.startswith("."))
    if empty:
        warnings.warn(f"{len(empty)} sub-folder(s) of '{root}' hold no image ({', '.join(map(repr, empty[:5]))}{', ...' if len(empty) > 5 else ''}), "
                      "so they are no class of this fit: put images in them, or remove them.", UserWarning, stacklevel=user_stacklevel())


def is_folder(X: Any) -> bool:
    """Whether ``X`` names a folder (a path) rather than holding images."""
    return isinstance(X, (str, os.PathLike))


__all__ = ["folder_images", "is_folder"]
