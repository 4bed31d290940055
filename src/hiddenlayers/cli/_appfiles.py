"""Application model files (``hl.apps``) on the commands written for table models.

:func:`app_kind` tells an application's file from a table model's by its
header alone (no tensors read); :func:`app_refusal` is the one-line refusal of
a command that takes only table models, naming the app, what the command
takes and what to use instead. :func:`predict_app` and :func:`evaluate_app`
run an app's own ``predict`` on a data file of an obvious form:

* TextClassifier: one text column (``--text-column``, default the only text column);
* ImageClassifier: the fitted H x W x C pixels as columns (flattened in the
  order ``(H, W, C)``, as numpy's ``reshape`` lays an ``(N, H, W[, C])`` array
  out; ``--image-layout chw``: ``(C, H, W)``, as PyTorch's), or an ``.npy`` array
  ``(N, H, W[, C])`` (``chw``: ``(N, C, H, W)``) read with ``allow_pickle=False``, or an ``.npz``'s array ``X``
  of them (``evaluate``: against its labels ``y``, or the array ``--target`` names);
  ``--image-dtype uint8`` (whole numbers 0-255, scaled by 1/255) or
  ``float32`` (pixels as given), as the server's ``"dtype"``; the values are checked by
  :func:`hiddenlayers.ship.image_input`, the server's rule, and a broken rule said with the option that fixes it; or a folder
  of image files, read as the app reads one (:mod:`._appfolder`, which ``predict`` and ``evaluate`` call before these readers);
* Autoencoder: the fitted numeric columns -> reconstruction error and the
  anomaly flag (+1 inlier, -1 outlier) of its ``predict``;
* Recommender: the user and item columns -> predicted rating;
* Forecaster: a value column (``--value-column``, default the only numeric one; oldest first) -> the next ``--steps`` values,
  each dated where the table has a column of dates.

``evaluate`` scores the classifiers against a label column, and a Recommender,
Forecaster or Autoencoder by the metrics of :mod:`._appscore`.
* SequenceClassifier (trained by ``train --app sequence`` or ``fit_long``): a long table, one row per time step, read by the
  id, order and feature columns its file stores -> one row per sequence (:mod:`._appseq`).

* Translator (trained by ``train --app translator``, or ``fit`` on a table's columns): its stored source column -> the
  translations (``--beam-size``); ``evaluate``: BLEU against its target column (:mod:`._apptranslate`).

* SpeechRecognizer (trained by ``train --app speech`` or ``fit_long``): a long table, one row per frame, read by the id,
  order and feature columns its file stores -> one transcript per utterance (``--beam-size``); ``evaluate``: CER, WER and
  exact matches against its transcript column (:mod:`._appspeech`).

A SequenceClassifier or SpeechRecognizer fitted on arrays, a Translator fitted on lists and DQNAgent files have no table form and are refused
by ``predict`` (a DQNAgent learns from an environment, not a file: ``evaluate`` plays it, :mod:`._appagent`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._words import article
from ..data import at_row
from ._appclass import class_metrics, class_proba
from ._appdates import refuse_unread_dates
from ._common import UserError, one_line
from ._table_out import network_precision

if TYPE_CHECKING:
    from ..ship import PixelError

#: the applications ``predict`` runs on a data file (see the module docstring); ``evaluate`` scores each of them (:mod:`._appscore`)
PREDICTABLE = ("TextClassifier", "ImageClassifier", "Autoencoder", "Recommender", "Forecaster", "SequenceClassifier", "Translator", "SpeechRecognizer")
CLASSIFIERS = ("TextClassifier", "ImageClassifier")
#: applications whose predict reads a table and writes one row per input row: ``predict --keep`` writes input columns beside them
KEEPS = ("TextClassifier", "ImageClassifier", "Autoencoder", "Recommender")
EVALUABLE = (*CLASSIFIERS, "Recommender", "Forecaster", "Autoencoder", "SequenceClassifier", "Translator", "SpeechRecognizer")
_SERVED = ("TextClassifier", "ImageClassifier", "SequenceClassifier", "SpeechRecognizer", "Translator", "Autoencoder", "Recommender", "Forecaster", "DQNAgent")


def app_kind(path: str) -> str | None:
    """The application class a ``.safetensors`` file holds (e.g. ``"TextClassifier"``); None for a table model or an ``.onnx`` file.

    Reads the header only; a missing or foreign file is left to the command's own loading (its one-line error).
    """
    if Path(path).suffix.lower() == ".onnx" or not Path(path).is_file():
        return None
    from ..exceptions import ModelFileError
    from ..ship import read_metadata

    try:
        kind = str(read_metadata(path)["estimator"])
    except (ModelFileError, KeyError, OSError):
        return None
    return None if kind in ("MLPClassifier", "MLPRegressor") else kind


_a = article


def instead(kind: str, path: str) -> str:
    """What to use for a ``kind`` file where a command takes only table models: Python, and the commands that read it."""
    cli = [f"`hiddenlayers {c} {path}`" for c, ok in (("predict", kind in PREDICTABLE), ("serve", kind in _SERVED), ("evaluate", kind == "DQNAgent")) if ok]
    return f"use hl.load('{path}') from Python" + (f", or {' / '.join(cli)}" if cli else "")


def app_refusal(path: str, kind: str, command: str, takes: str = "a model trained by `hiddenlayers train` (MLPClassifier or MLPRegressor)") -> UserError:
    """The one-line refusal of ``command`` on an application file: the app, what ``command`` takes, what to use instead."""
    return UserError(f"'{path}' holds {_a(kind)} (an application file); {command} takes {takes}: {instead(kind, path)}.")


def check_app_options(kind: str | None, model_path: str | None = None, **given: Any) -> None:
    """Refuse an app-only option (``--text-column``, ``--steps``, ``--folds``, ``--stride``, ``--value-column``, ``--image-dtype``,
    ``--image-layout``) on a file it does not apply to, or a value it does not take.

    ``model_path``: the model file ``kind`` was read from. ``kind`` None means a table model, or no model file at all: a
    missing or unreadable file is named as such (the loader's words) before any option is blamed, as "this model file holds
    a table model: drop --steps" sent the user of a mistyped path after the wrong fix.
    """
    owners = {"text_column": "TextClassifier", "steps": "Forecaster", "test_size": "Forecaster", "folds": "Forecaster", "stride": "Forecaster", "season": "Forecaster", "value_column": "Forecaster", "image_dtype": "ImageClassifier",
              "image_layout": "ImageClassifier", "beam_size": "Translator or SpeechRecognizer", "env": "DQNAgent", "episodes": "DQNAgent", "seed": "DQNAgent",
              "max_episode_steps": "DQNAgent",
              "feature_errors": "Autoencoder"}
    for name, value in given.items():
        if value is not None and kind not in owners[name].split(" or "):
            option = "--" + name.replace("_", "-")
            if kind is None and model_path is not None:
                _check_model_file(model_path)
            raise UserError(f"{option} is for {owners[name]} files; this model file holds {_a(kind) if kind else 'a table model'}: drop {option}.")
    from ..ship import PIXEL_DTYPES

    if given.get("image_layout") is not None and given["image_layout"] not in ("hwc", "chw"):
        raise UserError(f"--image-layout must be hwc (numpy's (H, W, C) order) or chw (PyTorch's (C, H, W) order). Received: {given['image_layout']!r}.")
    if given.get("image_dtype") is not None and given["image_dtype"] not in PIXEL_DTYPES:
        raise UserError(f"--image-dtype must be float32 (pixels as given) or uint8 (whole numbers 0-255, scaled by 1/255). Received: {given['image_dtype']!r}.")
    if given.get("beam_size") is not None and given["beam_size"] < 1:
        raise UserError(f"--beam-size must be a whole number >= 1 (1: greedy). Received: {given['beam_size']}.")
    if given.get("steps") is not None and given["steps"] < 1:
        raise UserError(f"--steps must be a whole number >= 1 (values to forecast). Received: {given['steps']}.")
    if given.get("test_size") is not None and not 0 < given["test_size"] < 1:
        why = "holds out nothing to score" if given["test_size"] == 0 else "must be in (0, 1)"
        raise UserError(f"--test-size {why} (evaluate: the share of the series' last values held out and forecast). "
                        f"Received: {given['test_size']}: pass e.g. 0.2, or --steps for a count.")
    if given.get("folds") is not None and given["folds"] < 1:
        raise UserError(f"--folds must be a whole number >= 1 (forecast origins to score). Received: {given['folds']}.")
    if given.get("stride") is not None and given["stride"] < 1:
        raise UserError(f"--stride must be a whole number >= 1 (values from one forecast origin to the next). Received: {given['stride']}.")
    if given.get("season") is not None and given["season"] < 1:
        raise UserError(f"--season must be a whole number >= 1 (the seasonal period in steps: 12 for monthly values, 1 for none). Received: {given['season']}.")


def _check_model_file(path: str) -> None:
    """A one-line UserError where ``path`` is no model file: missing, a folder, or not a readable ``.safetensors`` file."""
    from ..exceptions import ModelFileError
    from ..ship import read_metadata
    from ._common import _absent_message

    if not Path(path).exists():
        raise UserError(_absent_message(path))
    if Path(path).suffix.lower() != ".onnx":
        try:
            read_metadata(path)
        except ModelFileError as exc:
            raise UserError(str(exc)) from None


def data_column(model: Any, role: str) -> str | None:
    """The column of ``role`` (``"text_column"``, ``"target"``) that the file of ``model`` keeps from ``train --app`` (``data_columns_``);
    None for a file without it (fitted from Python, or written before it was kept): the command's own default applies."""
    columns = getattr(model, "data_columns_", None) or {}
    value = columns.get(role)
    return None if value is None else str(value)


def _call(method: Any, *args: Any) -> Any:
    """``method(*args)``; a ValueError or TypeError of the app (a value it refuses) is a one-line UserError."""
    try:
        return method(*args)
    except (ValueError, TypeError) as exc:
        raise UserError(one_line(exc)) from None


def predict_app(model: Any, path: str, data: str, options: dict[str, Any], *, proba: bool, keep: list[str] | None = None) -> pd.DataFrame:
    """Predictions of application ``model`` (from ``path``) on ``data``, as the table ``predict`` writes them.

    ``options``: ``text_column``, ``steps``, ``value_column``, ``image_dtype``, ``image_layout`` as given (absent: the default).
    ``keep``: ``--keep``, input columns written in front of the predictions (:data:`KEEPS`: one prediction per input row).
    """
    kind = type(model).__name__
    if kind not in PREDICTABLE:
        raise UserError(f"'{path}' holds {_a(kind)}, which has no table form for predict (it reads {_FORMS.get(kind, 'no table')}): {instead(kind, path)}.")
    if keep and kind not in KEEPS:
        raise UserError(f"--keep is for table models, their .onnx files and {', '.join(KEEPS)} files (one prediction per input row); "
                        f"'{path}' holds {_a(kind)}: drop --keep.")
    if kind == "SequenceClassifier":
        from ._appseq import predict_sequences

        return predict_sequences(model, path, data, proba)
    if proba and kind in ("Translator", "SpeechRecognizer"):
        raise UserError(f"--proba needs a classifier; '{path}' holds {_a(kind)}: drop --proba.")
    if kind == "SpeechRecognizer":
        from ._appspeech import predict_speech

        return predict_speech(model, path, data, options.get("beam_size"))
    if kind == "Translator":
        from ._apptranslate import predict_translations

        return predict_translations(model, path, data, options.get("beam_size"))
    if proba and kind not in CLASSIFIERS:
        raise UserError(f"--proba needs a classifier; '{path}' holds {_a(kind)}: drop --proba.")
    if kind == "Forecaster":
        return _forecast(model, data, options.get("steps"), options.get("value_column"))
    X, where, frame = _inputs(model, data, options, keep)
    from ._data import with_kept

    out = with_kept(_outputs(model, X, proba, where, bool(options.get("feature_errors"))), frame, keep)
    if kind == "Autoencoder":  # the column's name invites `== 1` for the anomalies, which picks the normal rows
        from ._common import note

        note(ANOMALY_NOTE)
    return out


#: what ``predict`` says of an Autoencoder's ``predicted_anomaly`` column (its ``.safetensors`` file and its ``.onnx`` export)
ANOMALY_NOTE = ("predicted_anomaly is -1 for an anomaly (reconstruction_error over the model's threshold) and 1 for a normal row, "
                "as scikit-learn's outlier detectors predict: select the anomalies with predicted_anomaly == -1")


_FORMS = {"DQNAgent": "an environment's observations (DQNAgent.act)"}


def _inputs(model: Any, data: str, options: dict[str, Any], keep: list[str] | None = None) -> tuple[Any, Any, Any]:
    """The app's ``X`` from unlabelled ``data`` (a bundled dataset's ``target`` column is left out, as the table ``predict`` ignores it),
    ``where(i)``: row ``i``'s file line (``Table.where``; None for a ``.npy`` file of images, whose rows are images), and the
    table as read (None for an array of images).

    ``keep``: ``--keep``'s columns, checked here before any prediction (:func:`~._data.check_keep`) and left out of the columns
    the app reads unless it reads them by name (``--text-column``, the columns it was fitted on): an ID column beside pixel
    columns, or beside the one text column, is no input; nor is the label column the file keeps from ``train --app``.
    """
    kind = type(model).__name__
    if kind == "ImageClassifier" and Path(data).suffix.lower() in (".npy", ".npz"):
        if keep:
            raise UserError(f"--keep reads columns of a table, and '{data}' holds an array of images: drop --keep, or pass the images as a table of pixel columns.")
        if Path(data).suffix.lower() == ".npy":
            return _npy_images(model, data, options), None, None
        X, _, name, _ = npz_arrays(data, None, labels=False)  # the images X; labels y, if any, unread
        return array_images(model, X, options, f"the images '{name}' in '{data}'"), None, None
    from ..data import default_target, read_table
    from ._data import check_keep

    table = read_table(data).every_row()
    frame = table.frame
    drop = default_target(data, frame)
    if drop is not None:
        frame = frame.drop(columns=[drop])
    check_keep(frame, keep, _output_names(model, bool(options.get("feature_errors"))))
    fitted = getattr(model, "feature_names_in_", None)
    named = {str(c) for c in (fitted if fitted is not None else ())} | {options.get("text_column") or data_column(model, "text_column")}
    label = data_column(model, "target")  # the label column train --app read beside the inputs: no input (kept by --keep if named)
    inputs = frame.drop(columns=[k for k in {*(keep or ()), *([label] if label in frame.columns else [])} if k not in named])
    if kind in CLASSIFIERS:
        return app_inputs(model, inputs, options, table.where), table.where, frame
    return _named_columns(model, inputs), table.where, frame


def _output_names(model: Any, feature_errors: bool = False) -> list[str]:
    """The columns :func:`_outputs` writes for ``model`` (the first names the prefix of the others), which ``--keep`` may not name;
    ``feature_errors``: an Autoencoder's ``--feature-errors`` columns too."""
    kind = type(model).__name__
    if kind == "Autoencoder":
        return ["reconstruction_error", "predicted_anomaly", *(_error_columns(model) if feature_errors else [])]
    if kind == "Recommender":
        return [_recommender_column(model)]
    return ["predicted_label", *(f"proba_{c}" for c in getattr(model, "classes_", ()))]


def _recommender_column(model: Any) -> str:
    """The column a Recommender's predictions go in: ``predicted_rating``, or ``predicted_score`` for a ``loss="bpr"`` model,
    whose predict gives ranking scores (only their order within a user means anything), not ratings."""
    return "predicted_score" if getattr(model, "loss", None) == "bpr" else "predicted_rating"


def read_texts(frame: pd.DataFrame, column: str | None, where: Any = None, stored: str | None = None) -> list[str]:
    """The texts of ``column``, else of ``stored`` (the text column the model file keeps) where ``frame`` has it, else of the only
    text column; a missing text is an error naming its row (``where``: its file line).

    ``train --app text``, ``predict`` and ``evaluate`` read a TextClassifier's texts here, so one rule refuses a
    ``--text-column`` of numbers (or booleans) for all three.
    """
    named = None  # how the message names the column: the option, or the column the model file keeps
    if column is None and stored is not None and stored in frame.columns:
        column, named = stored, f"the text column '{stored}' (the model's, from training)"
    if column is None:
        texts = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
        if len(texts) != 1:
            found = f"{len(texts)} text columns ({', '.join(map(repr, texts[:8]))})" if texts else "no text column"
            kept = f" (the model was trained on a column '{stored}', which it lacks)" if stored is not None else ""
            raise UserError(f"a TextClassifier reads one text column but the data has {found}{kept}: pass --text-column NAME.")
        column = texts[0]
    if column not in frame.columns:
        from ..data import did_you_mean

        hint = did_you_mean([column], list(frame.columns))
        raise UserError(f"--text-column '{column}' is not a column of the data; its columns are {', '.join(map(repr, list(frame.columns)[:10]))}.{hint}")
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values):  # bool too: True/False are no words either
        fix = " as --text-column NAME" if named else ""
        raise UserError(f"{named or f'--text-column {column!r}'} holds numbers, not text: a TextClassifier reads words; pass the column of texts{fix}.")
    missing = np.flatnonzero(values.isna().to_numpy())
    if missing.size:
        raise UserError(f"text column '{column}' has no text on {at_row(int(missing[0]), where)} ({missing.size} row(s)): fill or drop those rows.")
    return [str(v) for v in values]


def read_images(model: Any, a: Any, dtype: str, layout: str, where: str, row_where: Callable[[int], str] | None = None,
                given: Any = None) -> np.ndarray:
    """``a`` (N, H*W*C flattened in ``layout`` order) or (N, image) as the app's images, by :func:`hiddenlayers.ship.image_input`'s rule; a broken rule is one line.

    ``row_where(i)``: where image ``i`` is in the user's file when each is a row of pixel columns (``Table.where``:
    ``"line 7"``); without it (an array of images) ``image N``, counted from 1. ``given``: the dtype of the user's array
    (an ``.npy``'s), which a message names (``int64 pixels``); None: a table's numbers, called float pixels.
    """
    from ..ship import PixelError, image_input

    try:
        # a float64 model (or its float64 export) reads float64 pixels, not held to float32's range
        return image_input(model, a, dtype, layout=layout, float64=getattr(model, "dtype", "float32") == "float64")
    except PixelError as exc:
        swapped = _other_layout(model, np.shape(a)[1:], layout) if exc.problem == "shape" else None
        if swapped is not None:
            raise UserError(f"{where}: {swapped}") from None
        raise UserError(_says(model, exc, where, layout, row_where, given)) from None


#: the two orders of an image's axes, as a message names them
_ORDERS = {"hwc": "(H, W, C) (channels last, numpy's order)", "chw": "(C, H, W) (channels first, PyTorch's order)"}


def _other_layout(model: Any, shape: tuple[int, ...], layout: str) -> str | None:
    """The line for images of ``shape`` that are the model's images with their axes in the other order than ``--image-layout``
    ``layout`` reads (channels-last images read as ``chw``), naming the order they are in and the option that reads it; None
    for any other shape. The pixel rule's own words ("give [3, 8, 8], resized as in fit") sent the user to resize images
    that had the right size."""
    c, h, w = (int(d) for d in model.image_shape_)
    other = "hwc" if layout == "chw" else "chw"
    if c == 1 or tuple(shape) != ((h, w, c) if other == "hwc" else (c, h, w)) or (h, w, c) == (c, h, w):
        return None
    return (f"each image has shape {tuple(shape)}, which is {_ORDERS[other]}, but --image-layout {layout} reads {_ORDERS[layout]}: "
            f"the size and channels are the model's, the axes in the other order; pass --image-layout {other}.")


def _says(model: Any, exc: PixelError, where: str, layout: str, row_where: Callable[[int], str] | None = None, given: Any = None) -> str:
    """The CLI line of pixel rule ``exc.problem`` broken in ``where``, with the option that fixes it (``row_where``, ``given``: as :func:`read_images`')."""
    c, h, w = (int(d) for d in model.image_shape_)
    image = "" if exc.image is None else f" on {row_where(exc.image)}" if row_where is not None else f" in image {exc.image + 1}"
    if exc.problem == "numbers":
        return f"{where} must hold numbers (pixels): {exc}"
    if exc.problem == "shape":
        order = "C, H, W" if layout == "chw" else f"H, W{', C' if c > 1 else ''}"
        other = " (--image-layout chw: in the order C, H, W)" if c > 1 and layout != "chw" else ""
        return f"{where}: {exc} As columns: {h * w * c} of them, in the order {order}{other}: pass images at the fitted size."
    if exc.problem == "finite":
        return f"{where} has a missing or infinite pixel{image}: fill it."
    if exc.problem == "float32_range":
        return f"{where} holds pixels beyond float32's range{image} (largest {exc.value:.3g}): pass pixels as fitted, e.g. 0-1 or 0-255."
    if exc.problem == "standardised":  # torchvision's Normalize: the model standardises its pixels itself
        from ..apps import pixel_words, standardised_advice

        return f"{where} holds {pixel_words(given)[0]} pixels down to {exc.value:.4g}{image}, but {standardised_advice('pass --image-dtype uint8 for 0-255 pixels')}"
    if exc.problem == "unit_scale":  # the fix from the model's own training range; a file without it: the generic 0-1 advice
        from ..apps import pixel_words, scale_advice

        kind, these = pixel_words(given)
        said = scale_advice(model, float(exc.value or 0.0), "pass --image-dtype uint8 for 0-255 pixels", these)
        return f"{where} holds {kind} pixels up to {exc.value:.4g}{image}, but " + (said or "the model was fitted on pixels 0-1 (uint8 images scaled by 1/255): "
                                                                               "pass --image-dtype uint8 for 0-255 pixels, or divide them by 255.")
    return f"{where} holds pixels that are not whole numbers 0-255{image}, as --image-dtype uint8 needs: fix them, or use --image-dtype float32."


def _pixel_images(model: Any, frame: pd.DataFrame, options: dict[str, Any], where: Callable[[int], str] | None = None) -> np.ndarray:
    """The images of a table of pixel columns, one a row; ``where(i)``: row ``i``'s file line for a message (:func:`read_images`)."""
    from ..data import numeric_matrix

    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise UserError(f"an ImageClassifier reads pixel columns (numbers) but column '{bad[0]}' holds text: drop it.")
    pixels = int(np.prod(model.image_shape_))
    if frame.shape[1] > pixels:  # a label or id column beside the pixels, as in the table `train --app image --target` read
        c, h, w = (int(d) for d in model.image_shape_)
        raise UserError(f"the data has {frame.shape[1]} columns but the model reads {pixels} pixel columns ({h} x {w}, {c} channel(s)): name the other "
                        f"{frame.shape[1] - pixels} (a label or id column) with predict's --keep NAME (written beside the predictions, not read as "
                        "pixels) or --target (evaluate, inspect), or drop them.")
    dtype = options.get("image_dtype") or "float32"
    refuse_float_pixels(model, dtype)
    refuse_uint8_pixels(model, dtype, "the data")
    return read_images(model, numeric_matrix(frame, where), dtype, options.get("image_layout") or "hwc", "the data", where)


def refuse_float_pixels(model: Any, dtype: str) -> None:
    """A UserError when ``model`` is an ``input_dtype="uint8"`` export and the pixels are read as ``dtype`` float32.

    Before the pixel rule: its fix for 0-255 floats ("or divide them by 255") would only lead to this refusal.
    """
    if dtype != "uint8" and getattr(model, "input_dtype", None) == "uint8":
        raise UserError("this export reads uint8 pixels 0-255 (exported with input_dtype='uint8'): pass whole numbers 0-255 with "
                        "--image-dtype uint8, or predict with the .safetensors file.")


def refuse_uint8_pixels(model: Any, dtype: str, where: str, given: Any = None) -> None:
    """A UserError when ``where``'s pixels are read as ``dtype`` uint8 (scaled by 1/255) by an ImageClassifier, or its export,
    fitted on float pixels beyond 0-1 (0-255 images given as floats): the network would read them 255 times too dark and
    predict one class for all, which it did without a word. The fix is the option that reads them as given; an
    ``input_dtype="uint8"`` export that divides by 255 (one written before such a graph read uint8 as given) is exported again.
    ``given``: the array's own dtype (None: a table's cells), so an array of another dtype read as uint8 by ``--image-dtype``
    is said to be one, not called uint8 pixels.
    """
    from ..apps import fitted_beyond_unit_scale

    if dtype != "uint8" or not getattr(model, "uint8_scaled", True) or not fitted_beyond_unit_scale(model):
        return
    span = getattr(model, "pixel_range_", None)
    fitted = f"from {span[0]:.4g} to {span[1]:.4g}" if span is not None else "beyond 0-1"
    fix = ("export the model again with this version, whose uint8 graph reads them as given" if getattr(model, "input_dtype", None) == "uint8"
           else "pass --image-dtype float32 to read them as given")
    held = "uint8 pixels, read" if given is None or np.dtype(given) == np.uint8 else f"{np.dtype(given)} pixels, read by --image-dtype uint8"
    raise UserError(f"{where} holds {held} as 0-1 (scaled by 1/255), but the model was fitted on float pixels {fitted}: {fix}.")


def _npy_images(model: Any, data: str, options: dict[str, Any]) -> np.ndarray:
    """An ``.npy`` array of images, read without unpickling; a uint8 array follows the uint8 rule unless --image-dtype says otherwise."""
    try:
        a = np.load(data, allow_pickle=False)
    except ValueError as exc:
        raise UserError(f"'{data}' is not a plain numeric .npy array ({one_line(exc)}): save the images with np.save of a number array.") from None
    return array_images(model, a, options, f"'{data}'")


def array_images(model: Any, a: np.ndarray, options: dict[str, Any], where: str) -> np.ndarray:
    """Images ``a`` (N, H, W[, C]) or (N, C, H, W) (``--image-layout chw``, or each image the model's (C, H, W)) by the server's
    pixel rule (:func:`read_images`).

    A uint8 array follows the uint8 rule (0-255, scaled by 1/255) unless ``--image-dtype`` says otherwise; any other, float32's.
    """
    dtype = options.get("image_dtype") or ("uint8" if a.dtype == np.uint8 else "float32")
    refuse_float_pixels(model, dtype)
    refuse_uint8_pixels(model, dtype, where, a.dtype)
    return read_images(model, a, dtype, options.get("image_layout") or _array_layout(model, a), where, given=a.dtype)


def _array_layout(model: Any, a: np.ndarray) -> str:
    """The layout of images ``a`` (N, ...) when ``--image-layout`` is not given: ``chw`` where each image has the model's
    ``(C, H, W)`` shape and not its ``(H, W, C)``, else ``hwc``.

    ``train --app image`` reads an ``.npz`` of ``(N, C, H, W)`` images channels-first by itself, so ``predict``,
    ``evaluate`` and ``inspect`` read such an array back alike; they refused it, saying to give ``(H, W, C)`` images
    "resized as in fit". Where both orders are one shape (3 x 3 RGB images) ``hwc`` stays the default.
    """
    c, h, w = (int(d) for d in model.image_shape_)
    return "chw" if a.ndim == 4 and c > 1 and tuple(a.shape[1:]) == (c, h, w) != (h, w, c) else "hwc"


def npz_arrays(data: str, target: str | None, *, labels: bool = True) -> tuple[np.ndarray, Any, str, str]:
    """``(images, labels, images' name, labels' name)`` of an ``.npz`` file, read without unpickling (an object array is refused).

    The labels are the array ``target`` (default ``y``); the images the array ``X``, else the only other one.
    ``labels=False`` (``predict``): a file without the labels' array gives None for them.
    """
    import zipfile

    fix = "save it with np.savez(path, X=images, y=labels) of number (or, for labels, text) arrays"
    if not Path(data).is_file():
        raise UserError(f"'{data}' is not a file: check the path.")
    try:
        with np.load(data, allow_pickle=False) as npz:
            names = list(npz.files)
            label = target or "y"
            others = [n for n in names if n != label]
            images = "X" if "X" in others else others[0] if len(others) == 1 else None
            arrays = (npz[images], npz[label] if label in names else None) if (label in names or not labels) and images is not None else None
    except (ValueError, OSError, TypeError, zipfile.BadZipFile) as exc:  # an object array, a broken zip, an .npy named .npz
        raise UserError(f"'{data}' is not a plain .npz of arrays ({one_line(exc)}): {fix}.") from None
    if arrays is None:
        held = ", ".join(map(repr, names)) or "no array"
        what = f"no labels array '{label}'" if label not in names else "no images array 'X' (beside the labels)"
        raise UserError(f"'{data}' has {what}; its arrays are {held}: {fix}, or name the labels' array with --target.")
    X, y = arrays
    if y is not None and (y.ndim != 1 or len(y) != len(X)):
        raise UserError(f"the labels '{label}' in '{data}' must be one label per image: {len(X)} images ('{images}' {X.shape}), labels of shape {y.shape}.")
    return X, y, str(images), label


def predict_inputs(model: Any, data: str, options: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """An ImageClassifier's, Autoencoder's, Recommender's or TextClassifier's ``X`` from ``data`` as ``predict`` reads it
    (``options`` as :func:`predict_app`'s: ``text_column``; None: the defaults), and ``where(i)``: row ``i``'s file line (None for
    an array of images): ``export``'s parity rows (:mod:`._appexport`)."""
    X, where, _ = _inputs(model, data, options or {})
    return X, where


def _named_columns(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns an Autoencoder or Recommender was fitted on (its ``feature_names_in_``), else all columns."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return frame
    missing = [str(n) for n in names if n not in frame.columns]
    if missing:
        from ..data import did_you_mean

        unread = [str(c) for c in frame.columns if c not in set(names)]
        hint = did_you_mean(missing, unread)
        lacks = ", ".join(map(repr, missing[:10])) + (f", ... ({len(missing)} of the {len(names)} in all)" if len(missing) > 10 else "")
        raise UserError(f"the data lacks column(s) {lacks} that the {type(model).__name__} was fitted on; the columns it does not "
                        f"read are {', '.join(map(repr, unread[:10])) or 'none'}.{hint} Give those columns the names the model was fitted on.")
    return frame[list(names)]


def _error_columns(model: Any) -> list[str]:
    """``--feature-errors``' column names: ``error_<column>`` for each column an Autoencoder was fitted on (``error_<j>`` unnamed)."""
    names = getattr(model, "feature_names_in_", None)
    return [f"error_{c}" for c in (names if names is not None else range(int(model.n_features_in_)))]


def _feature_errors(model: Any, X: Any) -> pd.DataFrame:
    """An Autoencoder's ``feature_errors`` of ``X`` as ``error_<column>`` columns; its ``.onnx`` export (which gives the reconstruction
    error alone) refuses ``--feature-errors`` naming the file that gives them."""
    if not hasattr(model, "feature_errors"):
        raise UserError("--feature-errors needs the Autoencoder's .safetensors file: its .onnx export gives each row's reconstruction error only. "
                        "Predict with the .safetensors file, or drop --feature-errors.")
    values = network_precision(model, _call(model.feature_errors, X))
    return pd.DataFrame(values, columns=_error_columns(model))


def _outputs(model: Any, X: Any, proba: bool, where: Any = None, feature_errors: bool = False) -> pd.DataFrame:
    """The app's own predictions on ``X`` as a DataFrame (classifiers: ``predicted_label`` and ``proba_<class>`` columns; an
    Autoencoder's with ``feature_errors``: ``error_<column>``, each feature's squared reconstruction error, after its two)."""
    kind = type(model).__name__
    if kind == "Autoencoder":
        _refuse_missing_cells(X, where)
        error = network_precision(model, _call(model.reconstruction_error, X))  # float32 text for a float32 network, as table models' (._table_out)
        out = pd.DataFrame({"reconstruction_error": error, "predicted_anomaly": _call(model.predict, X)})
        return pd.concat([out, _feature_errors(model, X)], axis=1) if feature_errors else out
    if kind == "Recommender":
        refuse_missing_ids(X, where, model)
        return pd.DataFrame({_recommender_column(model): network_precision(model, _call(model.predict, X))})
    P = class_proba(model, X, where)
    result = pd.DataFrame({"predicted_label": model.classes_[P.argmax(axis=1)]})
    if proba:
        for i, c in enumerate(model.classes_):
            result[f"proba_{c}"] = P[:, i]
    return result


def refuse_missing_ids(ids: pd.DataFrame, where: Any = None, model: Any = None) -> None:
    """A Recommender's user and item columns ``ids`` (in that order) with an empty cell: one line naming the column and its file line
    (``where``: :func:`at_row`), as ``train --app recommender``, ``predict`` and ``evaluate`` refuse it; with the fitted ``model``,
    a column of numbers for a model trained on text ids (or the other way round) too, in the CLI's words (:func:`_refuse_id_kinds`).

    The app's own error names 0-based positions of the array it was given, which on the command line are no file's lines
    (``train``'s are positions in its training part), and its remedy for ids of the other type is Python's ``.astype``.
    """
    for side, name in zip(("user", "item"), ids.columns):
        missing = np.flatnonzero(ids[name].isna().to_numpy())
        if missing.size:
            raise UserError(f"the {side} id column '{name}' has no id on {at_row(int(missing[0]), where)} ({missing.size} row(s)): fill or drop those rows.")
        if model is not None:
            _refuse_id_kinds(side, name, ids[name].to_numpy(), getattr(model, f"{side}s_"))


def _refuse_id_kinds(side: str, name: Any, ids: np.ndarray, fitted: pd.Index) -> None:
    """One line when column ``name`` holds numbers and the model's ``side`` ids (``fitted``) are text, or the other way round, so that
    none is known (the app's :func:`~hiddenlayers.apps.id_kind_clash`)."""
    from ..apps import id_kind_clash

    clash = id_kind_clash(ids, fitted.get_indexer(ids), fitted)
    if clash is None:
        return
    words = {"number": "numbers", "text": "text"}
    given, known = (v.item() if isinstance(v, np.generic) else v for v in (ids[0], fitted[0]))
    raise UserError(f"the {side} id column '{name}' holds {words[clash[0]]} (first: {given!r}) but the model was trained on {side} ids "
                    f"that are {words[clash[1]]} (first: {known!r}), so none of them is known: check that the column holds the {side} "
                    "ids of the training data, written as they were there.")


def _refuse_missing_cells(X: pd.DataFrame, where: Any) -> None:
    """An Autoencoder's input columns ``X`` with a missing or infinite cell: one line naming its column and file line (``where``: :func:`at_row`).

    The app's own error names a 0-based row and a Python fix (SimpleImputer); on the command line the file line and the cell are what to fix.
    """
    from ..data import numeric_matrix

    values = numeric_matrix(X, where)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise UserError(f"column '{X.columns[col]}' has a missing or infinite value on {at_row(row, where)} ({int(bad.any(axis=1).sum())} row(s) in all): "
                        "an Autoencoder reads every fitted column of every row; fill or drop those rows.")



def read_series(data: str, column: str | None, kept: str | None = None, *, gaps: bool = False) -> tuple[np.ndarray, str, Any]:
    """``data``'s value column ``column`` (default: the column ``kept``, the one the model file was trained on, where ``data``
    has it as numbers, else its only numeric column), oldest first, its name, and ``where(i)``: value ``i``'s file line.

    A missing or infinite value is refused here, naming its file line, for ``train --app forecaster``, ``predict`` and ``evaluate`` alike.
    The table's date column (its first column of dates, found by the type of its cells) must go forward in time; with ``gaps``
    (``train``) dates that skip steps are one note (:func:`~hiddenlayers.apps.date_gaps`), not refused: they may be meant.
    """
    return read_dated_series(data, column, kept, gaps=gaps)[:3]


def read_dated_series(data: str, column: str | None, kept: str | None = None, *,
                      gaps: bool = False) -> tuple[np.ndarray, str, Any, tuple[str, pd.Series, pd.Series | None] | None]:
    """:func:`read_series`'s three and the table's date column: its name, its dates (parsed) and, where their UTC offsets
    change, their local wall-clock times; None when the table has no column of dates."""
    from ..data import read_table

    table = read_table(data).every_row()
    frame = table.frame
    dated = _refuse_dates_out_of_order(frame, table.where)
    if gaps and dated is not None:
        _warn_date_gaps(*dated, table.where)
    numeric = [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    if column is None and kept is not None and kept in frame.columns:
        if kept not in numeric:  # never fall back to another numeric column (a row number): that forecast would be of the wrong series
            _refuse_text_series(frame[kept], f"the value column '{kept}' (the model's, from training)", table.where)
        column = kept
    if column is None and len(numeric) != 1:
        found = f"{len(numeric)} numeric columns ({', '.join(map(repr, numeric[:8]))})" if numeric else "no numeric column"
        lacks = f" (the model was trained on a column '{kept}', which it lacks)" if kept is not None and kept not in frame.columns else ""
        raise UserError(f"a Forecaster reads one value column (the series, oldest first) but the data has {found}{lacks}: pass --value-column NAME.")
    column = column or numeric[0]
    if column in frame.columns and column not in numeric:
        _refuse_text_series(frame[column], f"--value-column '{column}'", table.where)
    if column not in numeric:
        from ..data import did_you_mean

        raise UserError(f"--value-column '{column}' is not a column of the data; the numeric columns are "
                        f"{', '.join(map(repr, numeric[:10])) or 'none'}.{did_you_mean([column], numeric)}")
    values = frame[column].to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))  # one rule for train, predict and evaluate: the first gap's file line
    if bad.size:
        raise UserError(f"the series '{column}' has missing or non-finite values ({at_row(int(bad[0]), table.where)}, {bad.size} in all): fill or drop them.")
    return values, column, table.where, dated


def _warn_date_gaps(name: str, dates: pd.Series, wall: pd.Series | None, where: Any) -> None:
    """One warning (the command's note) when the date column ``name`` (``dates``, parsed; ``wall``, their local wall-clock
    times where their UTC offsets change) skips steps: how many gaps, the first by its file line and date, the step inferred."""
    import warnings

    from ..apps import date_gaps, date_gaps_message
    from ..data import at_row

    index = pd.DatetimeIndex(dates)
    local = None if wall is None else pd.DatetimeIndex(wall)
    found = date_gaps(index, wall=local)
    if found is not None:
        fix = "add the missing dates' rows (with their values) to the file"
        shown = index if local is None else local  # the dates as the file writes them, less their offsets
        warnings.warn(date_gaps_message(found, shown, f"the dates of column '{name}'", lambda i: at_row(i, where), fix), UserWarning, stacklevel=2)


def _refuse_dates_out_of_order(frame: pd.DataFrame, where: Any) -> tuple[str, pd.Series, pd.Series | None] | None:
    """A column of dates (datetimes, or ISO 8601 text) that goes back in time, or the first such column holding a date twice
    (:func:`_refuse_repeated_dates`): one line naming the first such row.

    A Forecaster reads the series in the file's order, oldest first, so a newest-first export (or a shuffled one) would
    be trained on, forecast from and scored as the series reversed, silently; its date column tells. Returns the first date
    column's name, its dates (parsed) and, for dates whose UTC offsets change, their local wall-clock times
    (:func:`_parse_dates`), or None when the table has none.
    """
    first: tuple[str, pd.Series, pd.Series | None] | None = None
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        dates, wall = _parse_dates(col)
        if dates is None:
            continue
        if dates.isna().all():  # no cell is ISO 8601: a column of other date text is refused, not taken for no dates
            refuse_unread_dates(str(name), col, where)
        d = dates.to_numpy()
        if dates.isna().any() or len(d) < 2:
            continue
        if first is None:  # the table's date column (its first); another column of dates (a release date, say) may repeat
            _refuse_repeated_dates(str(name), col, d, where)
        back = np.flatnonzero(d[1:] < d[:-1])
        if back.size:
            i = int(back[0]) + 1
            raise UserError(f"the column '{name}' holds dates out of order ({at_row(i, where)}: {col.iloc[i]} after {col.iloc[i - 1]}): a Forecaster "
                            f"reads the series in the file's order, oldest first; sort the file by '{name}' first.")
        first = first or (str(name), dates, wall)
    return first


def _refuse_repeated_dates(name: str, col: pd.Series, d: np.ndarray, where: Any) -> None:
    """A date column holding a date twice: one line naming it and both rows.

    A Forecaster reads one series, one value per date (a pandas Series on a time index holding a time twice is refused
    alike). A repeated date is mostly a table of several series, one row per series and date (long form): read in file
    order it was trained on as one series interleaved (sorted by date: store a, store b, store a, ...), silently, and sorted
    by series its first date going back was refused with "sort the file by the date", which makes the interleaved one.
    """
    order = np.argsort(d, kind="stable")
    same = np.flatnonzero(d[order][1:] == d[order][:-1])  # neighbours once sorted that hold one date (in file order: stable)
    if not same.size:
        return
    i, j = min(((int(order[k]), int(order[k + 1])) for k in same), key=lambda pair: pair[1])  # the first repeat in the file
    raise UserError(f"the column '{name}' holds {col.iloc[j]} twice ({at_row(i, where)} and {at_row(j, where)}): a "
                    f"Forecaster reads one series, one value per date. A table of several series (one row per series and date) is not read "
                    f"as several: keep one series' rows (e.g. those of one value of the column that names it), or aggregate each date's "
                    f"values (a sum, a mean) to one row first.")


#: a time of day then its UTC offset ("00:00:00+01:00", "12:30Z"): the offset dropped leaves the local wall-clock time
_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


def _parse_dates(col: pd.Series) -> tuple[pd.Series | None, pd.Series | None]:
    """``col`` as dates (datetimes, or ISO 8601 text; None when it holds none) and, where its rows carry UTC offsets that
    differ (what pandas' ``to_csv`` writes for a time-zone-aware index across daylight saving: "+01:00", then "+02:00"),
    the same dates in local wall-clock time (else None).

    Such a column has no one time zone, so pandas refuses it ("Mixed timezones"); it is read as instants in UTC (their
    order is the true one, even where the clock repeats an hour) and, for counting calendar days, as written without
    the offsets."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col, None
    try:
        return pd.to_datetime(col, format="ISO8601", errors="coerce"), None
    except (ValueError, TypeError):  # mixed UTC offsets: read as one time zone below
        pass
    try:
        dates = pd.to_datetime(col, format="ISO8601", errors="coerce", utc=True)
        wall = pd.to_datetime(col.astype(str).str.strip().str.replace(_OFFSET, r"\1", regex=True), format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # some rows with an offset, others without: no column of plain dates
        return None, None
    return dates, (None if wall.isna().any() else wall)


def _refuse_text_series(values: pd.Series, named: str, where: Any) -> None:
    """A value column read as text (a cell such as ``?`` or ``1,234``), ``named`` as the message names it: one line naming its
    first such cell, so the fix is that cell (the column's name alone left the user to search the file)."""
    cells = values.dropna()
    text = cells[pd.to_numeric(cells, errors="coerce").isna()]
    place = f" ({at_row(values.index.get_loc(text.index[0]), where)}: {str(text.iloc[0])!r})" if len(text) else ""
    raise UserError(f"{named} holds text, not numbers{place}: make every cell a number (or empty it and fill the gap), or pass --value-column NAME.")


def _forecast(model: Any, data: str, steps: int | None, column: str | None) -> pd.DataFrame:
    """The next ``steps`` (default ``horizon``) values after ``data``'s value column ``column`` (default: the one the model was
    trained on, else the only numeric column), oldest first: ``step``, then, where the table has a column of dates, that
    column with each value's date (one step of the dates after the last, :func:`~hiddenlayers.apps.next_dates`), then
    ``forecast_<column>``. (Only step numbers were written: a user had to count the dates on from the file's last row.)"""
    values, column, _, dated = read_dated_series(data, column, data_column(model, "value_column"))
    check_data_step(model, dated)
    n = int(model.horizon) if steps is None else steps
    out = network_precision(model, _call(model.forecast, n, values))
    table = {"step": np.arange(1, n + 1), **_forecast_dates(dated, n, column, getattr(model, "freq_", None)), f"forecast_{column}": out}
    return pd.DataFrame(table)


def _forecast_dates(dated: tuple[str, pd.Series, pd.Series | None] | None, n: int, column: str, step: str | None = None) -> dict[str, Any]:
    """The date column of ``n`` forecast values (named as the file's column of dates ``dated``), or none where the table has
    no such column or its step cannot be told (fewer than 3 dates and no ``step``, the model's training dates' step, to go on
    in); a date column named as an output column is ``date``."""
    from ..apps import next_dates

    if dated is None:
        return {}
    name, dates, wall = dated
    future = next_dates(pd.DatetimeIndex(dates), n, wall=None if wall is None else pd.DatetimeIndex(wall), step=step)
    if future is None:
        return {}
    return {"date" if name in ("step", f"forecast_{column}") else name: future}


def shown_dates(dated: tuple[str, pd.Series, pd.Series | None] | None) -> list[str] | None:
    """The table's dates (``dated``, :func:`read_dated_series`') as the file writes them (the local wall-clock times where its
    UTC offsets change), each as text (dates alone where every one is at midnight), to place a backtest's folds; None without a date column."""
    if dated is None:
        return None
    _, dates, wall = dated
    index = pd.DatetimeIndex(dates if wall is None else wall)
    return list(index.strftime("%Y-%m-%d")) if (index == index.normalize()).all() else [str(d) for d in index]


def check_data_step(model: Any, dated: tuple[str, pd.Series, pd.Series | None] | None) -> None:
    """Refuse a date column (``dated``, :func:`read_dated_series`') whose step differs from the one ``model`` was trained on
    (``freq_``: a monthly model given daily rows, :mod:`hiddenlayers.apps._date_step`; an ``.onnx`` export's stand-in reads it from
    the export's metadata); a model file without a stored step (fitted on an array, written or exported before it was kept) or
    dates too few to tell a step are not checked."""
    from ..apps import mismatched_step, step_mismatch_message

    trained = getattr(model, "freq_", None)
    if trained is None or dated is None:
        return
    name, dates, wall = dated
    found = mismatched_step(pd.DatetimeIndex(dates), trained, wall=None if wall is None else pd.DatetimeIndex(wall))
    if found is not None:
        fix = (f"resample the data to one row per '{trained}' step first (pandas: df.resample('{trained}', on='{name}').mean()), "
               f"or train a model on data of this step")
        raise UserError(step_mismatch_message(found, trained, f"the dates of column '{name}'", int(model.window), fix))


def evaluate_app(model: Any, path: str, data: str, target: str | None, options: dict[str, Any], pos_label: str | None = None) -> dict[str, Any]:
    """``evaluate``'s result (rows, task, metrics) for an application file on ``data``.

    Classifiers (TextClassifier, ImageClassifier, SequenceClassifier): accuracy, F1, the confusion matrix, ROC-AUC and, for two
    classes, average precision (:func:`class_metrics`; ``pos_label``: ``--pos-label``) against the labels ``target`` (default: the
    column a file of ``train --app`` keeps, as for a Recommender's ratings and an Autoencoder's anomaly column); a Recommender, Forecaster
    or Autoencoder: the metrics of :mod:`._appscore` (rating error with the cold-start rows apart, a rolling-origin backtest, anomaly ranking).
    """
    from ._appscore import forecast_hold_out, score_forecaster

    kind = type(model).__name__
    if kind not in EVALUABLE:
        raise UserError(f"'{path}' holds {_a(kind)}; evaluate scores table models, {', '.join(EVALUABLE)}: {instead(kind, path)}.")
    if kind == "SequenceClassifier":
        from ._appseq import evaluate_sequences

        return evaluate_sequences(model, path, data, target, pos_label)
    if kind == "Translator":
        from ._apptranslate import evaluate_translations

        return evaluate_translations(model, path, data, target, options.get("beam_size"))
    if kind == "SpeechRecognizer":
        from ._appspeech import evaluate_speech

        return evaluate_speech(model, path, data, target, options.get("beam_size"))
    if kind == "ImageClassifier" and Path(data).suffix.lower() == ".npy":
        raise UserError("evaluate needs the labels beside the images: pass an .npz of images X and labels y (np.savez), "
                        "or a CSV/Parquet of pixel columns and a --target column.")
    if kind == "ImageClassifier" and Path(data).suffix.lower() == ".npz":
        return _evaluate_npz(model, path, data, target, options, pos_label)
    if kind == "Forecaster":
        if target is not None:
            raise UserError("--target names a label column; a Forecaster is scored on its series' own last --steps values: "
                            "drop --target (the series' column: --value-column).")
        values, column, where, dated = read_dated_series(data, options.get("value_column"), data_column(model, "value_column"))
        check_data_step(model, dated)
        steps, share = options.get("steps"), options.get("test_size")
        if share is not None:  # train --app forecaster's --test-size: ceil(share * n) values, at least the horizon
            steps = forecast_hold_out(len(values), int(model.window), int(model.horizon), steps, share)
        season = options.get("season") or 1
        result = score_forecaster(model, values, column, steps, options.get("folds"), lambda s, n, f, k: _call(lambda *a: model.backtest(*a, season=season), s, n, f, k),
                                  stride=options.get("stride"), where=where, share=share, dates=shown_dates(dated))
        return {"model": path, "data": data, "rows": len(values), "value_column": column, **result}
    return _evaluate_labelled(model, path, data, target, options, pos_label)


def _evaluate_npz(model: Any, path: str, data: str, target: str | None, options: dict[str, Any], pos_label: str | None = None) -> dict[str, Any]:
    """``evaluate`` of an ImageClassifier on an ``.npz``: the images ``X`` against the labels ``y`` (``--target`` names another array)."""
    from ._data import class_labels

    X, y, name, label = npz_arrays(data, target)
    labels = class_labels(pd.Series(y), model.classes_, label, app=True)
    P = class_proba(model, array_images(model, X, options, f"the images '{name}' in '{data}'"))
    return {"model": path, "data": data, "rows": len(X), "target": label, "task": "classification", "metrics": class_metrics(model, P, labels, pos_label)}


_TARGETS = {"Recommender": "the rating column", "Autoencoder": "the anomaly column (0/1, 1: an anomaly)"}


def _evaluate_labelled(model: Any, path: str, data: str, target: str | None, options: dict[str, Any], pos_label: str | None = None) -> dict[str, Any]:
    """``evaluate`` of an app scored against a column of ``data``: labels (``pos_label``: ``--pos-label``), ratings or anomaly marks."""
    from ._appscore import score_autoencoder
    from ._common import labelled_table, note
    from ._data import class_labels

    kind = type(model).__name__
    what = _TARGETS.get(kind, "the label column")
    table, name = labelled_table(data, target, data_column(model, "target"), lambda cols: f"no target column given: pass --target COLUMN ({what}), one of {', '.join(map(repr, cols[:8]))}.")
    frame = table.frame
    if kind == "Recommender":
        result = _score_recommender(model, frame, name, table.where)
    elif kind == "Autoencoder":
        result = score_autoencoder(model, frame, name, lambda f: _outputs(model, _named_columns(model, f), False, table.where).to_numpy().T, table.where)
    else:
        labels = class_labels(frame[name], model.classes_, name, app=True)
        X = app_inputs(model, frame.drop(columns=[name]), options, table.where)
        result = {"task": "classification", "metrics": class_metrics(model, class_proba(model, X, table.where), labels, pos_label)}
    if table.n_dropped:
        note(table.drop_summary())
    return {"model": path, "data": data, "rows": len(frame), "target": name, **result}


def _score_recommender(model: Any, frame: pd.DataFrame, target: str, where: Any = None) -> dict[str, Any]:
    """A Recommender's rating errors on ``frame`` (overall, known rows, cold-start rows), and one note on what it predicts for unseen ids.

    ``predict``'s own warning about unseen ids is replaced by that note, which adds the split's counts and the fallback's value.
    """
    import warnings

    from ._appscore import is_ranking, score_ranking, score_recommender
    from ._common import note

    refuse_missing_ids(_named_columns(model, frame), where, model)
    if is_ranking(model):  # scores, not ratings: its top-10 lists are scored
        ranked = score_ranking(model, frame, target, lambda f: _named_columns(model, f), where)
        left = f"; {ranked['users_left_out']} user(s) not seen in fit have no list and are left out" if ranked["users_left_out"] else ""
        note(f"ranking metrics over {ranked['users']} user(s) with a pair rated {ranked['relevant_from']:g} or more in the data (those pairs "
             f"are the relevant items; each list leaves out the pairs the user had in fit){left}")
        return ranked
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\d+ of \d+ rows have a user", category=UserWarning)
        result = score_recommender(model, frame, target, lambda f: _call(model.predict, _named_columns(model, f)),
                                   lambda f: _call(model.seen, _named_columns(model, f)), where)
    cold = result["cold_start"]
    clip = f", clipped to {model.clip[0]:g}-{model.clip[1]:g}" if model.clip is not None else ""
    cold["fallback"] = f"the global mean {model.global_mean_:.4g} plus the bias of the seen side (user or item), if any{clip}"
    if cold["rows"]:
        note(f"{cold['rows']} of {len(frame)} rows are cold start ({cold['unseen_user']} with a user, {cold['unseen_item']} with an item not seen in fit): "
             f"the model rates them {cold['fallback']}; their errors are shown apart.")
    return result


def app_inputs(model: Any, frame: pd.DataFrame, options: dict[str, Any], where: Any = None) -> Any:
    """A TextClassifier's texts (list of str) or an ImageClassifier's images (N, H, W[, C]) from the input columns of ``frame``, as ``predict`` reads them.

    ``where(i)``: row ``i``'s file line (``Table.where``), for an error naming a row; without it ``row N``, counted from 1.
    """
    if type(model).__name__ == "TextClassifier":
        return read_texts(frame, options.get("text_column"), where, data_column(model, "text_column"))
    return _pixel_images(model, frame, options, where)
