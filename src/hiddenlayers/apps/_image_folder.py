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


def folder_images(folder: str | os.PathLike[str], shape: tuple[int, ...] | None = None, *, labelled: bool = True,
                  fitting: bool = True, least: int = 1, size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: the images of ``folder`` (uint8 ``(N, H, W, C)``) and their sub-folder names ``(N,)``
    (:func:`read_image_folder` without the file names)."""
    images, labels, _ = read_image_folder(folder, shape, labelled=labelled, fitting=fitting, least=least, size=size)
    return images, labels


def read_image_folder(folder: str | os.PathLike[str], shape: tuple[int, ...] | None = None, *, labelled: bool = True,
                      fitting: bool = True, least: int = 1, size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(images, labels, files)``: the images of ``folder`` as :class:`~hiddenlayers.apps.ImageClassifier` reads them,
    uint8 ``(N, H, W, C)``, their sub-folder names ``(N,)`` (``""`` for an image directly in ``folder``) and their files'
    paths (``folder`` joined with the path below it), in one sorted order.

    A folder without images, or a file Pillow cannot read, is a :class:`DataError` naming it (the reader's,
    :func:`hiddenlayers.data.load_image_folder`). The command line's ``train``, ``evaluate`` and ``predict --app image``
    read a folder here, so their messages are fit's.

    Parameters
    ----------
    folder : str or path-like
        The folder: one sub-folder per class (``folder/cat/1.png``), as Keras' ``image_dataset_from_directory`` reads it.
    shape : tuple of (C, H, W), optional
        A fitted model's image shape, whose size and channels (grayscale, RGB or RGBA) the images are converted to
        (None: the first image's size, grayscale if all are, else RGB).
    labelled : bool
        The labels are the sub-folder names (``fit`` or ``score`` was given no ``y``): an image outside every sub-folder
        is a :class:`DataError` naming it.
    fitting : bool
        With ``labelled``: a sub-folder with no image (which Keras would count as a class) is one ``UserWarning``, as
        the fit cannot learn it; ``score`` reads such a folder without a word.
    least : int
        With ``labelled``: the fewest classes the sub-folders must hold, 2 for a first fit (a classifier needs two).
    size : tuple of (int, int), optional
        ``(H, W)`` every image is resized to when no ``shape`` is given (a first fit's ``image_size``; None: the first
        image's size).
    """
    from ..data import load_image_folder

    size = size if shape is None else (int(shape[1]), int(shape[2]))
    mode = None if shape is None else fitted_mode(shape)
    images, labels, files = load_image_folder(folder, size=size, mode=mode)
    if labelled:
        _check_classes(Path(folder), labels, files, fitting)
        found = np.unique(labels)
        if found.size < least:
            raise DataError(f"'{folder}' holds images of one class only (its sub-folder {str(found[0])!r}, {labels.size} image(s)): a classifier "
                            "needs at least two: put each class's images in a sub-folder of its own.")
    return images, labels, files


def fitted_mode(shape: tuple[int, ...]) -> str:
    """The Pillow mode a folder's images are converted to for a model fitted on images of ``shape`` ``(C, H, W)``: ``"L"``,
    ``"RGB"`` or ``"RGBA"`` for 1, 3 or 4 channels (a model fitted on RGBA arrays read a folder as RGB, and refused its own
    RGBA images as "3 channel(s) ... convert them to RGBA")."""
    return {1: "L", 4: "RGBA"}.get(int(shape[0]), "RGB")


#: the other fix for unlabelled images, which only Python offers (the command line reads labels from sub-folders only)
_Y_FIX = "in Python pass y to fit or score (one label per image, in sorted file order)"


def _check_classes(root: Path, labels: np.ndarray, files: list[str], fitting: bool = True) -> None:
    """Refuse images outside the class sub-folders of ``root`` (label ``""``); with ``fitting``, warn of sub-folders without images."""
    stray = np.flatnonzero(labels == "")
    if stray.size == labels.size:
        raise DataError(f"'{root}' holds its {labels.size} image(s) directly, with no class sub-folders, so they have no labels: put each class's "
                        f"images in a sub-folder named for the class ('{root / 'cat' / '1.png'}'), or {_Y_FIX}.")
    if stray.size:
        raise DataError(f"{stray.size} image(s) lie directly in '{root}' (first: '{files[int(stray[0])]}'), outside the class sub-folders, so they "
                        f"have no label: move them into their class's sub-folder, or {_Y_FIX}.")
    if not fitting:
        return
    found = set(labels.tolist())
    empty = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in found and not p.name.startswith("."))
    if empty:
        warnings.warn(f"{len(empty)} sub-folder(s) of '{root}' hold no image ({', '.join(map(repr, empty[:5]))}{', ...' if len(empty) > 5 else ''}), "
                      "so they are no class of this fit: put images in them, or remove them.", UserWarning, stacklevel=user_stacklevel())


def refuse_unknown_classes(folder: str | os.PathLike[str], labels: np.ndarray, classes: Any) -> None:
    """A :class:`DataError` naming the sub-folders of ``folder`` among ``labels`` (its images' sub-folder names) that name
    no class of ``classes`` (a fitted model's ``classes_``): their images could never be predicted right, so a score
    counted them wrong without a word (``score(folder)``; the command line's ``evaluate MODEL DIR``).

    Parameters
    ----------
    folder : str or path-like
        The folder read, as the message names it.
    labels : ndarray of shape (n_images,)
        Its images' sub-folder names (:func:`read_image_folder`'s labels).
    classes : array-like
        The fitted model's ``classes_``, compared as text (a sub-folder ``3`` is the class ``3``).
    """
    from ..data import preview

    unknown = sorted({str(n) for n in labels} - {str(c) for c in classes})
    if unknown:
        raise DataError(f"the sub-folder(s) {preview([repr(u) for u in unknown], 5)} of '{folder}' name no class of the model "
                        f"({preview([str(c) for c in classes], 10)}): name each sub-folder for the class of its images, or move it out of the folder.")


def is_folder(X: Any) -> bool:
    """Whether ``X`` names a folder (a path) rather than holding images."""
    return isinstance(X, (str, os.PathLike))


__all__ = ["fitted_mode", "folder_images", "is_folder", "read_image_folder", "refuse_unknown_classes"]
