"""What ``train --app KIND`` reads, fits and scores for each application (the options are checked in :mod:`._apptrain`).

Each reader is the one ``predict``/``evaluate`` use for the same app's file (:mod:`._appfiles`), so
a trained file reads back with the same options. The held-out part is scored by ``evaluate``'s metric:

* text: a text column (``--text-column``, default the only text column besides ``--target``) and the labels ``--target``;
  ``--test-size`` of the rows held out (stratified) -> accuracy, balanced accuracy, macro F1;
* autoencoder: numeric columns (``--features``, default every numeric one); an optional ``--target`` anomaly
  column (0/1 or +1/-1, as ``evaluate`` takes it) is never an input: the fit learns "normal" from the training
  part's rows marked normal only (novelty detection), and the held-out rows of both kinds are scored (ROC-AUC,
  average precision); the summary gives the anomaly threshold (the reconstruction error above which ``predict`` says -1);
* recommender: two id columns, user then item (``--features USER,ITEM``, default the two besides ``--target``),
  and the rating ``--target`` -> held-out RMSE and MAE, beside the RMSE of the training mean rating;
* forecaster: a series (``--value-column``, oldest first); its last ``--steps`` values (or ``--test-size`` of the series;
  default 0.2 of it, at least ``horizon`` values) are held out and forecast from the rest -> MAE, RMSE, MASE and the naive
  forecast's MAE (``evaluate --steps K``'s backtest);
* image: pixel columns (``--features``, default every column but ``--target``) in ``--image-layout`` order, each image
  ``--image-shape`` (default: one channel, square), pixels by ``--image-dtype`` and the server's rule (``predict``'s
  reader); the labels ``--target``; or an ``.npz`` with the images ``X`` (N, H, W[, C]; ``chw``: (N, C, H, W)) and the labels ``y``
  (``--target NAME`` names another), read without unpickling and by predict's ``.npy`` rule (a uint8 array is 0-255 pixels);
  ``--test-size`` held out (stratified) -> accuracy. An ``.npy`` holds no labels: refused. Or a folder with one sub-folder
  of images per class, read as ``ImageClassifier.fit(folder)`` reads it (:mod:`._appfolder`);
* sequence: a long table, one row per time step (``hl.apps.long_sequences``; :mod:`._appseq` reads it back): ``--id-column``, ``--order-column``, ``--features``
  and the per-sequence label ``--target``; ``--test-size`` of the sequences held out (stratified) -> accuracy, macro F1;
* translator: sentence pairs, ``--source-column`` (default the only text column besides ``--target``) and the translations
  ``--target`` (:mod:`._apptranslate`'s reader); ``--test-size`` of the pairs held out -> corpus BLEU (sacrebleu), exact matches,
  the mean log-probability of the references;
* speech: a long table, one row per frame (:mod:`._appspeech` reads it back): ``--id-column``, ``--order-column``, ``--features``
  and the per-utterance transcript ``--target`` (a CSV column of digit strings is read as text); ``--test-size`` of the
  utterances held out -> CER, WER, exact-match rate.

Every fit is on the training part only (as ``train`` fits a table model), so the held-out score is honest. ``fit`` (the
command's) takes ``lens_rows=``: the training inputs as the app's ``predict`` takes them, where they are not ``fit``'s first
argument (a long table's sequences), for ``--gradient-flow``'s sample (:mod:`._appgradflow`).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..data import at_row
from ._appcolumns import check_text_column, feature_columns
from ._appspeech import read_speech_table
from ._common import UserError, labelled_table, note, one_line

Fit = Callable[..., Any]


def _split(n: int, options: dict[str, Any], stratify: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Row positions to fit on and to hold out (``--test-size`` of ``n``, ``--seed``; stratified by ``stratify`` where every class allows)."""
    from ._train import split_rows

    y = stratify if stratify is not None else np.zeros(n)
    task = "classification" if stratify is not None else "regression"
    tr, te, *_ = split_rows(np.arange(n), y, task, float(options["test_size"]), int(options["seed"]))
    return np.sort(tr), (None if te is None else np.sort(te))


def _labelled(data: str, target: str | None, what: str, missing: Callable[[list[str]], str] | None = None) -> tuple[pd.DataFrame, str, Callable[[int], str]]:
    """``data`` with its ``--target`` column (rows without a value dropped, said in a note), the column's name, and ``where(i)``:
    row ``i``'s file line (``Table.where``) for a message; no ``--target`` is one line naming ``what`` (or ``missing(columns)``'s line)."""
    def say(cols: list[str]) -> str:
        return f"no target column given: pass --target COLUMN ({what}), one of {', '.join(map(repr, cols[:8]))}."

    table, name = labelled_table(data, target, None, missing or say, min_rows=2, purpose="train --app")
    if table.n_dropped:
        note(table.drop_summary())
    return table.frame, name, table.where


def _refuse_one_class(labels: np.ndarray, target: str | None, unit: str) -> None:
    """A classifier app's labels of one class are refused as the table model's are (``target 'label' has only one class``),
    before the split: the app's own refusal came through as 'training failed: y has a single class ...', naming a ``y`` the
    command line never showed and no fix."""
    values = pd.unique(pd.Series(labels, dtype=object))
    if len(values) == 1:
        name = f"target '{target}' has" if target is not None else "the labels 'y' have"
        raise UserError(f"{name} only one class ({_plain_label(values[0])!r}) in {len(labels)} {unit}: a classifier needs at least 2 different "
                        f"values: check --target, or add {unit} of another class.")


def _check_classes(labels: np.ndarray, target: str | None, unit: str, options: dict[str, Any]) -> None:
    """A classifier app's labels checked before the fit: two classes at least (:func:`_refuse_one_class`), and ``--pos-label`` one
    of exactly two, with rows held out to score (:func:`._binary.check_train_pos_label`)."""
    from ._binary import check_train_pos_label

    _refuse_one_class(labels, target, unit)
    check_train_pos_label(labels, options.get("pos_label"), target, float(options["test_size"]) > 0)


def _held_out_classes(model: Any, proba: np.ndarray, labels: np.ndarray, options: dict[str, Any]) -> dict[str, Any]:
    """The summary's held-out metrics of a classifier app from its probabilities ``proba`` ``(n, n_classes)`` of the held-out
    ``labels`` ``(n,)``: ``evaluate``'s (ROC-AUC included), a two-class target's of the positive class ``--pos-label`` (default the
    second label), which ``test_positive`` names (:func:`._binary.held_out_positive`)."""
    from ._appclass import class_metrics
    from ._binary import held_out_positive

    pos_label = options.get("pos_label")
    return held_out_positive(class_metrics(model, proba, labels, pos_label), pos_label)


def _plain_label(value: Any) -> Any:
    """``value`` as a plain Python scalar (``np.int64(1)`` -> ``1``), for a message."""
    return value.item() if isinstance(value, np.generic) else value


def fit_text(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """A TextClassifier on a text column and the labels ``--target``; held-out accuracy."""
    from ._appclass import class_proba
    from ._appfiles import read_texts
    from ._train import class_weight_option

    frame, target, where = _labelled(data, options["target"], "the labels")
    inputs = frame.drop(columns=[target])
    column = options["text_column"]
    check_text_column(column, target)
    texts = np.asarray(read_texts(inputs, column, where), dtype=object)  # a column of numbers is refused there, as predict and evaluate refuse it
    if column is None:
        column = next(str(c) for c in inputs.columns if not pd.api.types.is_numeric_dtype(inputs[c]) and not pd.api.types.is_bool_dtype(inputs[c]))
    labels = frame[target].to_numpy()
    _check_classes(labels, target, "rows", options)
    extra = {"class_weight": class_weight_option(options["class_weight"], labels)} if "class_weight" in given else {}
    tr, te = _split(len(texts), options, labels)
    model = fit(make(**extra), list(texts[tr]), labels[tr])
    summary: dict[str, Any] = {"text_column": column, "target": target, "rows": len(tr)}
    if te is not None:
        summary.update(test_rows=len(te), **_held_out_classes(model, class_proba(model, list(texts[te])), labels[te], options))
    return model, summary


def _numeric(frame: pd.DataFrame, names: list[str], given: bool, where: Callable[[int], str]) -> list[str]:
    """The numeric columns of ``names`` (an autoencoder's inputs): a named text column is an error, a text column found by default a note."""
    text = [n for n in names if not pd.api.types.is_numeric_dtype(frame[n]) or pd.api.types.is_bool_dtype(frame[n])]
    if text and given:
        raise UserError(f"--features column '{text[0]}' holds text, not numbers: an Autoencoder reads numeric columns; leave it out of --features.")
    if text:
        note(f"left out {len(text)} column(s) that hold text, not numbers: {', '.join(map(repr, text[:6]))} (an Autoencoder reads numbers).")
    numeric = [n for n in names if n not in text]
    if not numeric:
        raise UserError("the data has no numeric column to learn from: an Autoencoder reads numeric columns (pass them with --features).")
    values = frame[numeric].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise UserError(f"column '{numeric[col]}' has a missing or infinite value on {where(row)} ({int(bad.any(axis=1).sum())} row(s)): "
                        "fill or drop those rows.")
    return numeric


def fit_autoencoder(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """An Autoencoder on numeric columns; the anomaly threshold, and with an anomaly column ``--target`` the held-out ROC-AUC."""
    from ._appscore import ONE_KIND_TRAIN, anomaly_labels, score_autoencoder

    if options["target"] is not None:
        frame, target, where = _labelled(data, options["target"], "the anomaly column")
    else:
        from ..data import read_table

        table = read_table(data).every_row()
        frame, target, where = table.frame, None, table.where
    columns = feature_columns(frame, options["features"], target)  # the names before the values, as the header check (cli/_header.py)
    anomaly: np.ndarray | None = None if target is None else anomaly_labels(frame[target], target, ONE_KIND_TRAIN)
    names = _numeric(frame, columns, options["features"] is not None, where)
    tr, te = _split(len(frame), options, anomaly)
    if anomaly is not None:  # the rows marked normal teach "normal" (novelty detection); the held-out rows keep both kinds
        tr = tr[~anomaly[tr]]
    model = fit(make(), frame.iloc[tr][names])
    threshold = -float(model.offset_)  # predict says -1 where the reconstruction error is above it (score_samples = -error)
    summary: dict[str, Any] = {"features": names, "target": target, "rows": len(tr), "threshold": threshold}
    if te is not None:
        held = frame.iloc[te]
        error = model.reconstruction_error(held[names])
        metrics = {"reconstruction_error": float(error.mean()), "flagged_share": float((error > threshold).mean())}
        if anomaly is not None and len(set(anomaly[te].tolist())) == 2:
            found = score_autoencoder(model, held[[*names, target]], str(target), lambda f: (error, np.where(error > threshold, -1, 1)),
                                      lambda i: where(int(te[i])))
            metrics.update(found["metrics"])
        elif anomaly is not None:
            note("the held-out rows hold one kind only (anomalies or not): no held-out ROC-AUC; use a larger --test-size.")
        summary.update(test_rows=len(te), test_metrics=metrics)
    return model, summary


def _no_ratings(columns: list[str]) -> str:
    """No ``--target`` for a Recommender: the line naming the fix. With two columns only, the data has no ratings to name (the old
    line offered an id column as the ratings); clicks or views without ratings (``--loss bpr``) need a column of ones."""
    shown = ", ".join(map(repr, columns[:8]))
    if len(columns) > 2:
        return f"no target column given: pass --target COLUMN (the ratings; --loss bpr: any numbers, e.g. ones, for clicks), one of {shown}."
    return (f"a Recommender reads two id columns, user and item, and a rating column, but the data has only {shown}: add the ratings and pass "
            "--target COLUMN (--loss bpr ranks every pair: for clicks or views without ratings, a column of ones).")


def fit_recommender(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """A Recommender on a user and an item column and the ratings ``--target``; held-out RMSE and MAE (``loss="bpr"``: ranking metrics at 10)."""
    from ._appfiles import refuse_missing_ids
    from ._appscore import is_ranking, score_ranking, score_recommender

    frame, target, where = _labelled(data, options["target"], "the ratings", _no_ratings if options["target"] is None else None)
    ids = feature_columns(frame, options["features"], target)
    if len(ids) != 2:
        which = f"--features names {len(ids)}" if options["features"] is not None else f"the data has {len(ids)} besides the rating"
        raise UserError(f"a Recommender reads two id columns, user then item, and {which} ({', '.join(map(repr, ids[:6]))}): pass --features USER,ITEM.")
    ratings = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(ratings))
    if bad.size:
        raise UserError(f"the rating column '{target}' holds a non-number on {where(int(bad[0]))} ({bad.size} row(s)): fix or drop those rows.")
    refuse_missing_ids(frame[ids], where)  # before the split: the held-out part's would fail only after the whole fit
    tr, te = _split(len(frame), options)
    model = make()
    _check_id_columns(frame, ids, tr, where, model.loss)
    with warnings.catch_warnings():  # the app's warning on repeated pairs, in Python's words: noted in the CLI's by _check_id_columns
        warnings.filterwarnings("ignore", message=r"X holds \d+ \(user, item\) pair", category=UserWarning)
        model = fit(model, frame.iloc[tr][ids], ratings[tr])
    summary: dict[str, Any] = {"features": ids, "target": target, "rows": len(tr)}
    if te is not None and is_ranking(model):  # scores, not ratings: the held-out pairs score its top-10 lists
        ranked = score_ranking(model, frame.iloc[te][[*ids, target]], target, lambda f: f[ids])
        summary.update(test_rows=len(te), test_metrics=ranked["metrics"], test_users=ranked["users"])
    elif te is not None:
        held = frame.iloc[te][[*ids, target]]
        with warnings.catch_warnings():  # held-out rows of users or items only in the held-out part: counted in the summary instead
            warnings.filterwarnings("ignore", message=r"\d+ of \d+ rows have a user", category=UserWarning)
            scored = score_recommender(model, held, target, lambda f: model.predict(f[ids]), lambda f: model.seen(f[ids]))
        metrics = scored["metrics"]
        metrics["mean_rating_rmse"] = float(np.sqrt(np.mean((ratings[te] - ratings[tr].mean()) ** 2)))
        summary.update(test_rows=len(te), test_metrics=metrics, test_cold_start_rows=scored["cold_start"]["rows"])
    return model, summary


def _check_id_columns(frame: pd.DataFrame, ids: list[str], rows: np.ndarray, where: Any, loss: str) -> None:
    """``train --app recommender``'s checks of the user and item columns ``ids`` in the CLI's words: names that say item then
    user are refused (naming ``--features``); a (user, item) pair given twice in the training ``rows`` is noted for a rating fit."""
    from ..apps import duplicate_pairs, swapped_id_columns

    if swapped_id_columns(ids):
        raise UserError(f"the id columns are '{ids[0]}' then '{ids[1]}': by their names the first holds items and the second users, but a "
                        f"Recommender reads user then item, so they would be swapped: pass --features {ids[1]},{ids[0]}.")
    users, items = (frame[c].to_numpy(dtype=object)[rows] for c in ids)  # object: the ids as Python's ints and strings
    found = duplicate_pairs(users, items) if loss != "bpr" else None
    if found is not None:
        first, earlier = (at_row(int(rows[k]), where) for k in (found.row, found.earlier))
        note(f"the training rows hold {found.repeats} (user, item) pair(s) given more than once (first: user {users[found.row]!r}, item "
             f"{items[found.row]!r}, on {earlier} and {first}): each is fitted as a separate rating, as Surprise does, so such a pair weighs "
             "more; to fit one rating per pair, average each pair's ratings in the file first.")


def fit_forecaster(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """A Forecaster on the series ``--value-column``; its tail held out (:func:`forecast_hold_out`) and forecast from the rest (evaluate's backtest)."""
    from ..apps import date_step
    from ._appfiles import read_dated_series, shown_dates
    from ._appscore import forecast_hold_out, score_forecaster

    # a missing value refused there, naming its line; skipped dates noted
    values, column, where, dated = read_dated_series(data, options["value_column"], gaps=True)
    model = make()
    share = float(options["test_size"]) if "test_size" in given else None
    k = forecast_hold_out(len(values), int(model.window), int(model.horizon), options["steps"], share)
    need = int(model.window) + int(model.horizon) + 1
    if len(values) - k < need:
        why = "--steps" if options["steps"] is not None else "--test-size" if share is not None else "by default at least --horizon; --test-size 0: none"
        held = f" and {k} held out ({why})" if k else ""
        smaller = "" if not k else "/--steps" if options["steps"] is not None else "/--test-size"
        raise UserError(f"the series '{column}' has {len(values)} values; window {model.window} + horizon {model.horizon} + 1 = {need} are needed "
                        f"to train{held}: pass a longer series, or a smaller --window/--horizon{smaller}.")
    model = fit(model, values[: len(values) - k])
    if dated is not None:  # the dates' step, kept in the file: predict and evaluate refuse data of another step
        model.freq_ = date_step(pd.DatetimeIndex(dated[1]), wall=None if dated[2] is None else pd.DatetimeIndex(dated[2]))
    summary: dict[str, Any] = {"value_column": column, "rows": len(values) - k, "window": int(model.window), "horizon": int(model.horizon)}
    if k:
        found = score_forecaster(model, values, column, k, 1, lambda s, n, f, apart: model.backtest(s, n, f, apart), where=where,
                                 dates=shown_dates(dated))  # evaluate --steps k
        summary.update(test_rows=k, test_metrics=found["metrics"])
    return model, summary


def _image_shape(text: str | None, n: int) -> tuple[int, int, int]:
    """``(C, H, W)`` of ``--image-shape`` for ``n`` pixel columns; not given, one channel of a square (64 -> 1 x 8 x 8)."""
    from ._options import parse_image_shape

    shape = parse_image_shape(text)
    if shape is None:
        side = int(round(np.sqrt(n)))
        if side * side != n:
            raise UserError(f"the data has {n} pixel columns, which is no square image: pass --image-shape HxW or CxHxW (e.g. 3x32x32).")
        return 1, side, side
    c, h, w = shape if len(shape) == 3 else (1, *shape)
    if c * h * w != n:
        raise UserError(f"--image-shape {text} has {c * h * w} pixels but the data has {n} pixel columns: give the shape of the images, "
                        "or the pixel columns with --features.")
    return c, h, w


def fit_image(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """An ImageClassifier on images and labels (pixel columns and ``--target``, or an ``.npz``'s arrays), read as ``predict`` reads them; held-out accuracy."""
    from ._appclass import class_proba
    from ._appfiles import check_app_options
    from ._train import class_weight_option

    if data.lower().endswith(".npy"):
        raise UserError("train --app image needs labels beside the images, and an .npy array holds none: save both with np.savez(path, X=images, y=labels) "
                        "and pass the .npz, or save the images flattened as columns beside a label column.")
    check_app_options("ImageClassifier", image_dtype=options["image_dtype"], image_layout=options["image_layout"])
    layout = options["image_layout"] or "hwc"
    folder = os.path.isdir(data)  # one sub-folder of images per class, read by the app's own reader (._appfolder)
    if folder:
        from ..apps import check_image_size
        from ._appfolder import train_images

        size = None
        with contextlib.suppress(ValueError, TypeError):  # a bad --set image_size: the fit's parameter check says so, led by --set
            size = check_image_size(make().image_size)
        images, labels, shape, read = train_images(data, options, size)
    else:
        images, labels, shape, read = (_npz_images if data.lower().endswith(".npz") else _column_images)(data, options, layout)
    _check_classes(labels, options["target"], "images", options)
    extra = {"class_weight": class_weight_option(options["class_weight"], labels)} if "class_weight" in given else {}
    tr, te = _split(len(images), options, labels)
    model = fit(make(**extra), images[tr], labels[tr])
    # the shape the model fitted, not the one the layout's axes gave: a (N, 1, 8, 8) array read as hwc is (1, 8, 8) to fit, not 8 channels,
    # and the layout it was read in: such an array is channels-first (the pixel rule hands over (H, W, C) images, which the app
    # reads channels-last; any other 4-D array it reads channels-first), not the hwc the option defaulted to
    c, h, w = (int(v) for v in model.image_shape_)
    if images.ndim == 4 and tuple(images.shape[1:]) != (h, w, c):
        layout = "chw"
    summary: dict[str, Any] = {"image_shape": f"{c}x{h}x{w}", **({} if folder else {"image_layout": layout}), **read, "rows": len(tr)}
    if te is not None:
        summary.update(test_rows=len(te), **_held_out_classes(model, class_proba(model, images[te]), labels[te], options))
    return model, summary


def _column_images(data: str, options: dict[str, Any], layout: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int], dict[str, Any]]:
    """Images from pixel columns (``--features``, default every column but ``--target``) of ``--image-shape``, and the labels ``--target``."""
    from types import SimpleNamespace

    from ..data import numeric_matrix
    from ._appfiles import read_images

    frame, target, where = _labelled(data, options["target"], "the labels")
    names = feature_columns(frame, options["features"], target)
    text = [n for n in names if not pd.api.types.is_numeric_dtype(frame[n])]
    if text:
        raise UserError(f"column '{text[0]}' holds text: an ImageClassifier reads pixel columns (numbers); pass them with --features.")
    shape = _image_shape(options["image_shape"], len(names))
    images = read_images(SimpleNamespace(image_shape_=shape), numeric_matrix(frame[names], where), options["image_dtype"] or "float32", layout, "the data",
                         where)  # a bad pixel named by its file line
    return images, frame[target].to_numpy(), shape, {"target": target}


def _npz_images(data: str, options: dict[str, Any], layout: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int], dict[str, Any]]:
    """Images ``X`` (N, H, W[, C]), or (N, C, H, W) with ``--image-layout chw``, and labels ``y`` (``--target``) of an ``.npz``, by predict's .npy rule."""
    from types import SimpleNamespace

    from ._appfiles import array_images, npz_arrays

    for option in ("features", "image_shape"):
        if options[option] is not None:
            flag = "--" + option.replace("_", "-")
            raise UserError(f"{flag} is for pixel columns; the images of an .npz are an array that carries its shape: drop {flag}.")
    X, y, name, label = npz_arrays(data, options["target"])
    if X.ndim not in (3, 4):
        raise UserError(f"the images '{name}' in '{data}' have shape {X.shape}: give (N, H, W) or (N, H, W, C) (--image-layout chw: (N, C, H, W)).")
    c, h, w = (1, *X.shape[1:]) if X.ndim == 3 else (X.shape[1], *X.shape[2:]) if layout == "chw" else (X.shape[3], *X.shape[1:3])
    shape = (int(c), int(h), int(w))
    return array_images(SimpleNamespace(image_shape_=shape), X, options, f"the images '{name}' in '{data}'"), y, shape, {"target": label}


def fit_sequence(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """A SequenceClassifier on the long table ``data``; ``--test-size`` of the sequences held out (stratified) -> accuracy, F1."""
    from ..apps import long_features, long_labels, long_sequences
    from ..data import read_table
    from ..exceptions import DataError
    from ._appclass import class_proba
    from ._options import parse_features
    from ._train import class_weight_option

    id_column, order, target = options["id_column"], options["order_column"], options["target"]
    if id_column is None or target is None:
        missing = "--id-column NAME (the column naming each row's sequence)" if id_column is None else "--target NAME (each sequence's label)"
        raise UserError(f"train --app sequence reads a long table, one row per time step: pass {missing}; --order-column NAME orders the steps.")
    table = read_table(data).every_row()
    frame, where = table.frame, table.where
    try:
        names = long_features(frame, {"--id-column": id_column, "--order-column": order, "--target": target}, parse_features(options["features"]), "--features")
        long = long_sequences(frame, id_column, names, order, where)
        labels = long_labels(frame[target], long, id_column, where)
    except DataError as exc:
        raise UserError(one_line(exc)) from None
    _check_classes(labels, target, "sequences", options)
    extra = {"class_weight": class_weight_option(options["class_weight"], labels)} if "class_weight" in given else {}
    tr, te = _split(len(long.ids), options, labels)
    rows = np.sort(np.concatenate([long.rows[i] for i in tr]))
    model = fit(make(**extra), frame.iloc[rows], target, method="fit_long", id_column=id_column, order_column=order, features=names,
                where=lambda i: where(int(rows[i])), lens_rows=[long.sequences[i] for i in tr])  # --gradient-flow's sample: the training sequences
    summary: dict[str, Any] = {"id_column": id_column, "order_column": order or "(the file's order)", "features": names, "target": target,
                               "sequences": len(tr), "rows": len(rows)}
    if te is not None:
        summary.update(test_sequences=len(te), **_held_out_classes(model, class_proba(model, [long.sequences[i] for i in te]), labels[te], options))
    return model, summary


def fit_speech(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """A SpeechRecognizer on the long table ``data`` (one row per frame); ``--test-size`` of the utterances held out -> CER, WER, exact matches."""
    from ..apps import long_features, long_sequences, long_transcripts
    from ..exceptions import DataError
    from ._appspeech import speech_metrics, transcribe
    from ._options import parse_features

    id_column, order, target = options["id_column"], options["order_column"], options["target"]
    if id_column is None or target is None:
        missing = "--id-column NAME (the column naming each row's utterance)" if id_column is None else "--target NAME (each utterance's transcript)"
        raise UserError(f"train --app speech reads a long table, one row per frame: pass {missing}; --order-column NAME orders the frames.")
    table = read_speech_table(data, target)
    frame, where = table.frame, table.where
    try:
        names = long_features(frame, {"--id-column": id_column, "--order-column": order, "--target": target}, parse_features(options["features"]), "--features")
        long = long_sequences(frame, id_column, names, order, where)
        texts = long_transcripts(frame, target, long, id_column, where)
    except DataError as exc:
        raise UserError(one_line(exc)) from None
    tr, te = _split(len(long.ids), options)
    rows = np.sort(np.concatenate([long.rows[i] for i in tr]))
    model = fit(make(), frame.iloc[rows], target, method="fit_long", id_column=id_column, order_column=order, features=names,
                where=lambda i: where(int(rows[i])), lens_rows=[long.sequences[i] for i in tr])  # --gradient-flow's sample: the training utterances
    summary: dict[str, Any] = {"id_column": id_column, "order_column": order or "(the file's order)", "features": names, "target": target,
                               "alphabet": model.alphabet_, "sequences": len(tr), "rows": len(rows)}
    if te is not None:
        summary.update(test_sequences=len(te), test_metrics=speech_metrics([texts[i] for i in te], transcribe(model, [long.sequences[i] for i in te], None)))
    return model, summary


def fit_translator(data: str, options: dict[str, Any], given: set[str], make: Callable[..., Any], fit: Fit) -> tuple[Any, dict[str, Any]]:
    """A Translator on a table of sentence pairs: ``--source-column`` into ``--target``; ``--test-size`` of the pairs held out -> BLEU, exact matches."""
    from ..data import read_table
    from ._apptranslate import check_pair_columns, need_sacrebleu, read_sentences, translation_metrics

    target = options["target"]
    if target is None:
        raise UserError("train --app translator reads a table of sentence pairs: pass --target NAME (the translations), "
                        "and --source-column NAME (the sentences to translate).")
    table = read_table(data).every_row()
    frame, where = table.frame, table.where
    source = options["source_column"]
    check_pair_columns(frame, target, source)  # the names first, as the header check says them before the output (cli/_header.py)
    if source is None:
        texts = [str(c) for c in frame.columns if c != target and not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
        if len(texts) != 1:
            found = f"{len(texts)} text columns ({', '.join(map(repr, texts[:8]))})" if texts else "no text column"
            raise UserError(f"a Translator reads one source column besides --target but the data has {found}: pass --source-column NAME.")
        source = texts[0]  # never the target: it is left out above
    targets = np.asarray(read_sentences(frame, target, "--target", where), dtype=object)
    sources = np.asarray(read_sentences(frame, source, "--source-column", where), dtype=object)
    tr, te = _split(len(sources), options)
    if te is not None:
        need_sacrebleu("train --app translator (its held-out score)")
    index = frame.index[tr]  # named Series: the file keeps the column names for predict and evaluate
    pair = (pd.Series(sources[tr], index=index, name=source), pd.Series(targets[tr], index=index, name=target))
    model = fit(make(), *pair, lens_rows=pair)  # --gradient-flow's sample: pairs, what the Translator's network_input reads
    summary: dict[str, Any] = {"source_column": source, "target": target, "rows": len(tr)}
    if te is not None:
        summary.update(test_rows=len(te), test_metrics=translation_metrics(model, list(sources[te]), list(targets[te]), None))
    return model, summary


#: ``--app`` name -> its reader, fit and score
FITS = {"text": fit_text, "autoencoder": fit_autoencoder, "recommender": fit_recommender, "forecaster": fit_forecaster, "image": fit_image,
        "sequence": fit_sequence, "translator": fit_translator, "speech": fit_speech}

__all__ = ["FITS", "fit_autoencoder", "fit_forecaster", "fit_image", "fit_recommender", "fit_sequence", "fit_speech", "fit_text", "fit_translator"]
