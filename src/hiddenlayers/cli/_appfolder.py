"""An ImageClassifier on a folder of images in ``train``, ``evaluate`` and ``predict``, read as ``ImageClassifier.fit(folder)`` reads it.

The folder is read by :func:`hiddenlayers.apps.read_image_folder`, the app's own reader (the layout of Keras'
``image_dataset_from_directory`` and torchvision's ``ImageFolder``: one sub-folder per class, ``photos/cat/1.png``),
so a folder without images, of one class, with an image outside the class sub-folders, or with a file Pillow cannot
read is the Python app's own one line:

* ``train DIR --app image``: the images at the first image's size (grayscale if all are, else RGB) and their
  sub-folder names as the labels (:func:`train_images`; :mod:`._apptrain_fit` splits, fits and scores them);
* ``evaluate MODEL DIR``: the same layout, each image converted to the model's channels and resized to its size,
  scored against its sub-folder name as ``evaluate`` scores a label column (:func:`evaluate_folder`);
* ``predict MODEL DIR``: a folder of images, flat or nested (no labels read), one row per image file: its path below
  DIR (``file``, with ``/``), then ``predicted_label`` (and ``proba_<class>`` with ``--proba``) (:func:`predict_folder`).

An ImageClassifier's ``.onnx`` export reads a folder as its ``.safetensors`` file does (``predict`` and ``evaluate`` pass
the stand-in :func:`._apponnx.exported_app` here, whose numbers are the graph's).

The pixel options are for arrays and pixel columns: a folder's images are files, read as their 0-255 pixels in their
own layout, so ``--image-dtype`` and ``--image-layout`` are refused, naming why; so are ``train``'s ``--target``,
``--features`` and ``--image-shape``, ``evaluate``'s ``--target`` and ``predict``'s ``--keep``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError

#: why each option does not apply to a folder of images
_WHY = {
    "target": "its labels are the names of its sub-folders, one per class",
    "features": "its images are files, not pixel columns",
    "image_shape": "its images are files of their own size (train: the first image's; the others are resized to it)",
    "image_dtype": "its images are read as their files hold them, 0-255 pixels (scaled by 1/255)",
    "image_layout": "its images are files, whose pixels are read in their own layout",
    "keep": "its rows are its image files, each named by the column 'file'",
}


def is_image_folder(kind: str | None, data: str) -> bool:
    """Whether ``data`` is a folder that an ImageClassifier file (``kind``) reads as images, not a folder of table files to stream."""
    return kind == "ImageClassifier" and os.path.isdir(data)


def refuse_options(data: str, **given: Any) -> None:
    """A one-line UserError for the first option of ``given`` (parameter name -> value; None, False or empty: not given)
    that does not apply to the folder of images ``data``, saying why."""
    for name, value in given.items():
        if value is not None and value is not False and value != []:
            option = "--" + name.replace("_", "-")
            raise UserError(f"{option} does not apply to a folder of images ('{data}'): {_WHY[name]}; drop {option}.")


def train_images(data: str, options: dict[str, Any], size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int], dict[str, Any]]:
    """``train DIR --app image``'s images uint8 ``(N, H, W, C)``, their labels (the sub-folder names) ``(N,)``, the images'
    ``(C, H, W)`` and what the summary says was read (the folder), as ``ImageClassifier.fit(DIR)`` reads them (``size``:
    the model's ``image_size``, ``--set image_size=[H,W]``; None: the first image's)."""
    from ..apps import read_image_folder

    refuse_options(data, **{k: options.get(k) for k in ("target", "features", "image_shape", "image_dtype", "image_layout")})
    images, labels, _ = read_image_folder(data, least=2, size=size)
    n, h, w, c = (int(d) for d in images.shape)
    return images, labels, (c, h, w), {"folder": str(data)}


def _model_images(model: Any, data: str, labelled: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The images of ``data`` at ``model``'s channels and size (:func:`hiddenlayers.apps.read_image_folder`), once the model
    is one that reads 0-255 pixels (one fitted on 0-255 floats is refused, naming why, as for a uint8 array)."""
    from ..apps import read_image_folder
    from ._appfiles import refuse_uint8_pixels

    refuse_uint8_pixels(model, "uint8", f"the folder '{data}'")
    return read_image_folder(data, tuple(int(d) for d in model.image_shape_), labelled=labelled, fitting=False)


def evaluate_folder(model: Any, path: str, data: str, target: str | None, options: dict[str, Any], pos_label: str | None = None) -> dict[str, Any]:
    """``evaluate``'s result for the ImageClassifier ``model`` (from ``path``) on the folder ``data``: accuracy, F1, the confusion
    matrix, ROC-AUC and (two classes) average precision of its probabilities against each image's sub-folder name
    (:func:`._appfiles.class_metrics`; ``pos_label``: ``--pos-label``). A sub-folder named for no class of the model is refused,
    naming it (its images could never be predicted right)."""
    from ..apps import refuse_unknown_classes
    from ._appclass import class_metrics, class_proba
    from ._data import class_labels

    refuse_options(data, target=target, image_dtype=options.get("image_dtype"), image_layout=options.get("image_layout"))
    images, names, _ = _model_images(model, data, labelled=True)
    refuse_unknown_classes(data, names, model.classes_)  # score(folder)'s refusal
    labels = class_labels(pd.Series(names), model.classes_, "the sub-folder names", app=True)  # '3' as the class 3 of a model fitted on numbers
    return {"model": path, "data": data, "rows": len(images), "target": "the sub-folder names", "task": "classification",
            "metrics": class_metrics(model, class_proba(model, images), labels, pos_label)}


def predict_folder(model: Any, data: str, proba: bool, options: dict[str, Any], keep: list[str] | None) -> pd.DataFrame:
    """``predict``'s table for the ImageClassifier ``model`` on the folder of images ``data`` (flat or nested, every image
    file at any depth, in sorted path order): ``file`` (its path below ``data``, with ``/``), ``predicted_label`` and,
    with ``proba``, ``proba_<class>``."""
    from ._appfiles import _outputs

    refuse_options(data, keep=keep, image_dtype=options.get("image_dtype"), image_layout=options.get("image_layout"))
    images, _, files = _model_images(model, data, labelled=False)
    result = _outputs(model, images, proba)
    result.insert(0, "file", [Path(f).relative_to(data).as_posix() for f in files])
    return result


__all__ = ["evaluate_folder", "is_image_folder", "predict_folder", "refuse_options", "train_images"]
