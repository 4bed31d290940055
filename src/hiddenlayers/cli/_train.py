"""The ``train``, ``predict`` and ``evaluate`` commands (heavy imports live here, not in cli.py)."""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import TablePreprocessor, check_float32, read_table
from ..exceptions import HiddenLayersError
from ._binary import check_train_pos_label, held_out_confusion, held_out_positive, metric_label, scored_positive
from ._common import (
    Interrupted,
    UserError,
    averaging_text,
    check_output,
    note,
    one_line,
    rows_of,
    stdout_console,
    stop_if_interrupted,
    summary_table,
)
from ._data import (
    MIN_TRAIN_ROWS,
    TASKS,
    check_keep,
    labelled_weighted,
    load_model,
    metrics,
    output_columns,
    prepare,
    show_evaluation,
)
from ._header import check_app_columns, check_named_columns
from ._log import log_callback
from ._table_out import write_table
from ._train_backup import checkpoint_callback, checkpoint_path, interrupted_line, resumes, untrained_line
from ._validation import validation_rows

#: Estimator parameters that ``train`` sets from its own options: ``--set`` may not set them too
#: (it would either clash, as ``random_state`` did, or silently override the option).
DEDICATED = {
    "hidden_layer_sizes": "--hidden", "activation": "--activation", "solver": "--solver", "alpha": "--alpha",
    "batch_size": "--batch-size", "learning_rate": "--learning-rate", "learning_rate_init": "--lr", "max_iter": "--epochs",
    "early_stopping": "--early-stopping", "validation_fraction": "--validation-fraction", "n_iter_no_change": "--patience",
    "tol": "--tol", "loss_threshold": "--loss-threshold", "max_time": "--max-time", "clip_grad_norm": "--clip-grad-norm",
    "loss": "--loss", "gce_q": "--gce-q", "class_weight": "--class-weight", "label_smoothing": "--label-smoothing",
    "weight_averaging": "--weight-averaging", "ema_decay": "--ema-decay", "swa_start": "--swa-start", "swa_lr": "--swa-lr",
    "swa_anneal_epochs": "--swa-anneal-epochs", "swa_anneal_strategy": "--swa-anneal-strategy", "device": "--device", "dtype": "--dtype", "init_from": "--init-from", "freeze": "--freeze",
    "scale_target": "--scale-target", "random_state": "--seed", "progress_bar": "--quiet", "callbacks": "--gradient-flow, --timelapse or --log",
}
#: training rows from which `train` turns early stopping on when --early-stopping is not given (`lr-find` follows it)
EARLY_STOPPING_ROWS = 1000


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["momentum=0.8", "shuffle=false"]`` -> ``{"momentum": 0.8, "shuffle": False}`` (JSON values, else text).

    A key that one of ``train``'s own options sets (:data:`DEDICATED`) is refused, naming that option.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise UserError(f"--set takes KEY=VALUE, e.g. --set momentum=0.8. Received: {item!r}.")
        if key in DEDICATED:
            option = DEDICATED[key]
            sets = "those options set" if " or " in option else f"{option} sets"
            raise UserError(f"use {option} instead of --set {item}: {sets} {key}.")
        try:
            value = json.loads(raw.strip().lower() if raw.strip().lower() in ("true", "false", "null") else raw)
        except json.JSONDecodeError:
            value = raw.strip()
        out[key] = value
    return out


def split_rows(X: pd.DataFrame, y: np.ndarray, task: str, test_size: float, seed: int, w: np.ndarray | None = None) -> tuple[Any, ...]:
    """(X_train, X_test, y_train, y_test, w_train, w_test): ``test_size`` of the rows held out (stratified where every class allows), or none.

    ``w``: the rows' ``--sample-weight`` weights, split with them (None stays None); the split itself is the same with or without them.
    """
    from sklearn.model_selection import train_test_split

    if not (0 <= test_size < 1):
        raise UserError(f"--test-size must be in [0, 1). Received: {test_size}.")
    if test_size == 0 or len(y) < 10:
        return X, None, y, None, w, None
    _check_train_rows(len(y), test_size)
    strat = None
    if task == "classification":
        _, counts = np.unique(y.astype(str), return_counts=True)
        strat = y if counts.min() >= 2 else None
    arrays = (X, y) if w is None else (X, y, w)
    try:
        parts = train_test_split(*arrays, test_size=test_size, random_state=seed, stratify=strat)
    except ValueError:
        parts = train_test_split(*arrays, test_size=test_size, random_state=seed)
    return (*parts, None, None) if w is None else tuple(parts)


def weighted_rows(prep: dict[str, Any]) -> dict[str, Any]:
    """``prep`` (:func:`~._data.prepare`'s) without its rows of ``--sample-weight`` 0, which are as if absent.

    The fit leaves them out too (``estimators/_zero_weight``), but before it the split would hold some of them out
    in place of weighted rows and the preprocessing's medians, means, scales and categories would count them.
    Unchanged without weights, or when every weight is 0 (the fit's own error names that).
    """
    w = prep["w"]
    if w is None:
        return prep
    keep = np.asarray(w) > 0
    if keep.all() or not keep.any():
        return prep
    return {**prep, "X": prep["X"][keep], "y": np.asarray(prep["y"])[keep], "w": np.asarray(w)[keep]}


def _check_train_rows(n: int, test_size: float) -> None:
    """Refuse a ``--test-size`` that leaves fewer than :data:`MIN_TRAIN_ROWS` of ``n`` rows to train on.

    The counts are scikit-learn's (``train_test_split``: ``floor((1 - test_size) * n)`` rows to train on).
    """
    n_train = math.floor((1.0 - test_size) * n)
    if n_train < MIN_TRAIN_ROWS:
        raise UserError(
            f"--test-size {test_size} holds out {n - n_train} of the {n} rows and leaves {n_train} to train on: "
            "choose a smaller --test-size (e.g. 0.2), or 0 to hold out none."
        )


def make_estimator(task: str, params: dict[str, Any], seed: int, quiet: bool, labels: Any = None) -> Any:
    """An unfitted MLPClassifier/MLPRegressor from CLI options (bad values -> UserError).

    ``labels``: the target's classes, which ``--class-weight LABEL=WEIGHT`` names as text.
    """
    from ..estimators import MLPClassifier, MLPRegressor, validate_params

    cls = MLPClassifier if task == "classification" else MLPRegressor
    params = target_scaling_option(task, classifier_options(task, params, labels))
    bs = params.get("batch_size")
    if isinstance(bs, str) and bs != "auto":
        try:
            params["batch_size"] = int(bs)
        except ValueError:
            raise UserError(f"--batch-size must be 'auto' or an integer >= 1. Received: {bs!r}.") from None
    known = set(cls().get_params())
    unknown = sorted(set(params) - known)
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        raise UserError(f"unknown estimator parameter '{unknown[0]}'{f' (did you mean {close[0]!r}?)' if close else ''}: see `hiddenlayers train --help`.")
    model = cls(random_state=seed, progress_bar=not quiet, **params)
    try:
        validate_params(model)
    except (ValueError, TypeError) as exc:
        message = _with_option(one_line(exc))
        if not message.startswith("-"):
            option = _culprit(cls, params, seed)
            message = message if option is None else f"{option}: {message}"
        raise UserError(message) from None
    return model


def _culprit(cls: Any, params: dict[str, Any], seed: int) -> str | None:
    """The option a parameter error is about when its message names no parameter: the one option whose value left out
    (its default) lets the estimator pass. Why: ``--hidden 0`` said only "dense layer units must be a positive integer",
    and ``--hidden 8:foo`` and ``--activation foo`` both "unknown activation 'foo'"."""
    from ..estimators import validate_params

    for name in params:
        if name not in DEDICATED or name == "progress_bar":
            continue
        try:
            validate_params(cls(random_state=seed, **{k: v for k, v in params.items() if k != name}))
        except (ValueError, TypeError):
            continue
        return DEDICATED[name]
    return None


def check_params(task: str, params: dict[str, Any], seed: int) -> None:
    """The estimator options (``--epochs``, ``--lr``, ``--hidden``, ``--set``, ...) checked before any output is looked at.

    Why: an existing ``--out`` ("pass --force") said first hid a bad option, so the user fixed the wrong thing.
    ``task``: ``--task``; with ``auto`` the data decides it later, so an option is refused here only
    when neither a classifier nor a regressor takes it, for the same reason (``--loss poisson`` waits for the data; so does
    ``--scale-target --loss poisson``, which each refuses in its task's words: only the data says which is true).
    """
    if task not in TASKS:
        raise UserError(f"--task must be one of {', '.join(TASKS)}. Received: {task!r}.")
    tasks = ("classification", "regression") if task == "auto" else (task,)
    given = {k: v for k, v in params.items() if not (k == "early_stopping" and v is None)}  # None: decided from the rows later
    errors: list[UserError] = []
    for each in tasks:
        try:
            make_estimator(each, given, seed, quiet=True)
        except UserError as exc:
            errors.append(exc)
    if len(errors) == len(tasks) and len({str(exc) for exc in errors}) == 1:
        raise errors[0]


def classifier_options(task: str, params: dict[str, Any], labels: Any, fix: str = "drop it, or pass --task classification") -> dict[str, Any]:
    """``params`` with ``--class-weight``'s text parsed against the target's ``labels``; a UserError when
    ``--class-weight`` or ``--label-smoothing`` is given for a ``task`` other than classification (``fix`` says what to do)."""
    params = dict(params)
    for name in ("class_weight", "label_smoothing"):
        if task != "classification" and params.get(name) is not None:
            raise UserError(f"{DEDICATED[name]} applies to classification, and this target is {task}: {fix}.")
    if isinstance(params.get("class_weight"), str):
        params["class_weight"] = class_weight_option(params["class_weight"], labels)
    return params


def target_scaling_option(task: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with ``scale_target`` decided: on by default for a regression with loss squared_error, in memory or
    streamed (``train``, ``train DIR``, ``lr-find`` and ``search`` train alike), absent for classification; a UserError
    for an explicit ``--scale-target`` that cannot apply (classification, ``--loss poisson``)."""
    params = dict(params)
    given = params.pop("scale_target", None)
    squared = params.get("loss") in (None, "squared_error")
    if given:
        if task != "regression":
            raise UserError(f"--scale-target applies to regression, and this target is {task}: drop it.")
        if not squared:
            raise UserError(f"--scale-target works with --loss squared_error only (--loss {params['loss']} needs no scaling): drop it.")
    if task == "regression":
        params["scale_target"] = bool(given if given is not None else squared)
    return params


def class_weight_option(text: str, labels: Any) -> Any:
    """``--class-weight``'s text as the estimator's ``class_weight``: ``"balanced"``, or ``LABEL=WEIGHT,...`` as ``{label: weight}``.

    Each LABEL is matched to a class of ``labels`` by its text (``1`` names the integer class 1, ``fraud`` the string).
    """
    if text.strip().lower() == "balanced":
        return "balanced"
    classes = {str(c): c for c in (np.unique(np.asarray(labels)).tolist() if labels is not None else [])}
    out: dict[Any, float] = {}
    for item in text.split(","):
        label, sep, raw = item.partition("=")
        try:
            weight = float(raw)
        except ValueError:
            weight = math.nan
        if not sep or not label.strip() or math.isnan(weight):
            raise UserError(f"--class-weight takes 'balanced' or LABEL=WEIGHT for every class, e.g. 0=1,1=10. Received: {text!r}.")
        if classes and label.strip() not in classes:
            raise UserError(f"--class-weight names {label.strip()!r}, which is not a class of the target: the classes are {list(classes)[:10]}.")
        key = classes.get(label.strip(), label.strip())
        if key in out:
            raise UserError(f"--class-weight names {label.strip()!r} twice: give each class one weight. Received: {text!r}.")
        out[key] = weight
    missing = [name for name, c in classes.items() if c not in out]
    if missing:
        example = ",".join(f"{name}={out.get(c, 1.0):g}" for name, c in list(classes.items())[:4])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""  # the count said, not only the first five
        raise UserError(f"--class-weight gives no weight to the class(es) {missing[:5]}{more} of the target: name every class "
                        f"(1 keeps a class as it is), e.g. {example}{',...' if len(classes) > 4 else ''}, or pass --class-weight balanced.")
    return out


def _with_option(message: str) -> str:
    """An estimator's parameter error, prefixed with the option that sets it (``--lr: learning_rate_init must be ...``)."""
    name = message.split(" ", 1)[0]
    return f"{DEDICATED[name]}: {message}" if name in DEDICATED and name != "progress_bar" else message


def _fit_preprocessing(X: Any, max_categories: int, checked: Any, where: Any = None) -> TablePreprocessor:
    """The preprocessing fitted on ``X``; its warning about an ID, dates or numbers as text is left out for a column the data check named (said once).

    ``where``: where each row of ``X`` is in the user's file (:func:`~._common.rows_of`), for an error naming a row.
    """
    from ._check import hinted_columns, without_column_hints

    with without_column_hints(hinted_columns(checked)):
        return TablePreprocessor(max_categories=max_categories).fit(X, where)


def _outputs(inputs: tuple[str, ...], out: str, timelapse: str | None, force: bool, log: str | None = None) -> tuple[Path, Path | None, Path | None]:
    """``train``'s model path, ``--timelapse`` page path and ``--log`` file, checked before any work: none one of the files
    ``inputs`` (DATA, a ``--validation`` file and an ``--init-from`` model file), nor one another."""
    from ._log import log_path

    out_path = check_output(out, force=force, inputs=inputs, what="--out")
    lapse_path = None
    if timelapse is not None:
        from ._common import check_report_output

        lapse_path = check_report_output(timelapse, force=force, what="--timelapse", inputs=inputs, page="timelapse")
        if lapse_path.resolve() == out_path.resolve():  # the page was written over the model just saved
            raise UserError(f"--timelapse '{timelapse}' is the --out path: the page would replace the model file; give each its own path.")
    return out_path, lapse_path, log_path(log, force=force, inputs=inputs, out_path=out_path, others=(("--timelapse", lapse_path),))


def run_train(
    data: str, *, target: str | None, features: str | None, out: str, params: dict[str, Any], extra: list[str], task: str,
    test_size: float, max_categories: int, seed: int, quiet: bool, force: bool, as_json: bool, gradient_flow: bool = False,
    check: bool = True, timelapse: str | None = None, sample_weight: str | None = None, validation: str | None = None, log: str | None = None, pos_label: str | None = None,
) -> dict[str, Any]:
    """Load, check, preprocess, fit, save; print a summary table (or JSON). Returns the summary.

    ``sample_weight``: the ``--sample-weight`` column: its weights reach ``fit`` (and so the early-stopping
    split's score) and weight the held-out metrics; the model file records the column's name, but never reads it.
    ``validation``: a file of DATA's columns whose rows early stopping scores (``fit``'s ``X_val``; ``test_size`` still splits ``data``).

    ``check`` runs the fast data checks first (a short summary on stderr); a fatal finding that the preparation itself does not already refuse stops here.

    ``gradient_flow`` adds :class:`hiddenlayers.lens.GradientFlow` on a sample of
    the training rows, so the saved history carries per-layer gradient records.
    ``timelapse``: also write :class:`hiddenlayers.lens.Timelapse`'s page there (the preprocessed training rows' plane).
    ``log``: ``--log``'s CSV file, one row per epoch written as the fit runs (:mod:`._log`). ``pos_label``: ``--pos-label``, the held-out metrics' positive class.
    """
    ckpt = checkpoint_path(out)  # a re-run of a broken fit resumes from it, over the model file that fit wrote (OUT.ckpt)
    resuming = resumes(ckpt, params)
    # the options, then the inputs (--init-from), then the outputs: an existing --out is never said before a bad option
    params = {**params, **parse_set(extra)}
    if max_categories < 2:
        raise UserError(f"--max-categories must be >= 2. Received: {max_categories}.")
    if not (0 <= test_size < 1):
        raise UserError(f"--test-size must be in [0, 1). Received: {test_size}.")
    params, source_pre = _transfer_params(params)
    check_params(task, params, seed)
    check_named_columns(data, target=target, features=features, sample_weight=sample_weight)  # a misspelt column before an existing --out
    inputs = tuple(str(f) for f in (data, validation, params.get("init_from")) if f is not None)  # --init-from's model: never written over
    out_path, lapse_path, log_file = _outputs(inputs, out, timelapse, force or resuming, log)
    checked, table = None, None
    if check:  # the summary is printed just before training, so an earlier error stays one line
        from ._check import fast_check_for_train, read_checked, weight_column_findings

        table, found = read_checked(data)
        frame, weight_found = weight_column_findings(table, data, sample_weight, target, features)  # the weight column is no feature
        checked = fast_check_for_train(frame, found + weight_found, data, target, features, task, table)
    prep = prepare(data, target, features, task, max_categories, table=table, sample_weight=sample_weight)
    if checked is not None:
        from ._check import refuse_fatal

        refuse_fatal(checked, prep["dropped"])
    prep = weighted_rows(prep)  # rows of --sample-weight 0 as if absent: the split, the preprocessing's statistics, the fit
    check_train_pos_label(prep["y"] if prep["task"] == "classification" else None, pos_label, prep["target"], test_size > 0)
    X_tr, X_te, y_tr, y_te, w_tr, w_te = split_rows(prep["X"], prep["y"], prep["task"], test_size, seed, prep["w"])
    if params.get("early_stopping") is None:  # on from 1000 rows or with --validation; L-BFGS holds out no rows
        params["early_stopping"] = (validation is not None or len(y_tr) >= EARLY_STOPPING_ROWS) and params.get("solver") != "lbfgs"
    model = make_estimator(prep["task"], params, seed, quiet, labels=prep["y"] if prep["task"] == "classification" else None)
    # --init-from: the source's preprocessing, so its first layer reads the columns (by name) and scales it learned on
    where_tr = rows_of(prep["where"], X_tr.index)  # the file line of a training row, not its place in the shuffled split
    pre = TablePreprocessor.from_dict(source_pre) if source_pre else _fit_preprocessing(X_tr, max_categories, checked, where_tr)
    A_tr, A_te = _model_matrices(pre, X_tr, where_tr, X_te, rows_of(prep["where"], X_te.index) if X_te is not None else None)
    val = None if validation is None else validation_rows(validation, pre, model_state(pre, prep), prep["task"], y_tr)
    for msg in [prep["dropped"], *A_tr.notes] if prep["dropped"] else A_tr.notes:
        note(msg)
    if checked is not None:
        from ._check import print_check_summary

        print_check_summary(checked)
    if gradient_flow:
        model.set_params(callbacks=[*(model.callbacks or []), gradient_flow_callback(A_tr.matrix, seed)])
    lapse = timelapse_callback(A_tr.matrix, y_tr, prep["task"]) if lapse_path is not None else None
    _add_callbacks(model, lapse, checkpoint_callback(ckpt, model.get_params()), log_callback(log_file, resume=resumes(ckpt, model.get_params())))
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():  # --set verbose=true's lines: stdout is the JSON only
        model = fit_model(model, A_tr.matrix, y_tr, w_tr, val, by_param=DEDICATED)
    elapsed = time.perf_counter() - start
    if model.stop_reason_ == "interrupted" and not len(model.history_):  # Ctrl-C before an epoch ended: its weights are the untrained start
        raise Interrupted(untrained_line(out_path))
    if lapse is not None and lapse_path is not None:
        _save_timelapse(lapse, lapse_path, data)
    if gradient_flow and not model.history_.extra.get("gradient_flow"):
        note("--gradient-flow recorded nothing: the fit ran no epoch.")
    model.preprocessing_ = model_state(pre, prep)
    model.save(out_path)
    summary = _summary(model, prep, pre, A_te, y_te, elapsed, out_path, w_te, pos_label)
    if val is not None:
        summary.update(validation=validation, validation_rows=len(val[1]), best_validation_score=model.best_validation_score_)
    return _show_and_end(summary, model.stop_reason_, out_path, ckpt, as_json)


def _show_and_end(summary: dict[str, Any], stop_reason: str | None, out_path: Path, ckpt: Path, as_json: bool) -> dict[str, Any]:
    """Print ``summary`` (a table, or JSON with ``as_json``) and return it; after Ctrl-C (``stop_reason`` ``"interrupted"``: the fit
    kept its best weights and the model file at ``out_path`` is saved) the summary names the checkpoint ``ckpt`` kept to resume
    from, and the command ends with :func:`interrupted_line` and exit 130 (:class:`~._common.Interrupted`)."""
    if stop_reason == "interrupted" and ckpt.is_file():  # for a script: the file the same command resumes from
        summary["checkpoint"] = str(ckpt)
    _show_summary(summary, as_json)
    stop_if_interrupted(stop_reason, interrupted_line(out_path, ckpt))
    return summary


def _add_callbacks(model: Any, *callbacks: Any) -> None:
    """Add the given callbacks (None: none) after the model's own; the CSV log last, so it sees what the others add to the logs."""
    given = [cb for cb in callbacks if cb is not None]
    if given:
        model.set_params(callbacks=[*(model.callbacks or []), *given])


def _save_timelapse(lapse: Any, path: Path, data: str) -> None:
    """Write ``--timelapse``'s page to ``path`` (a note says what it holds), or note that no frame was recorded."""
    if lapse.frames:
        lapse.save(path, title=f"Training timelapse: {Path(data).name}")
        note(f"wrote {path}: {len(lapse.frames)} frames of the hidden units over the {'–'.join(lapse.plane.axes) if lapse.plane else ''} plane.")
    else:
        note(f"--timelapse recorded no frame (the activations were never finite: {lapse.note}); no page written.")


def model_state(pre: TablePreprocessor, prep: dict[str, Any]) -> dict[str, Any]:
    """What a model file stores as ``preprocessing_``: ``pre``'s description, the target and task of ``prepare``'s ``prep``, and the
    ``--sample-weight`` column it was trained with (a record for ``info`` and ``evaluate``; predicting never reads that column)."""
    from ._common import WEIGHT_COLUMN_KEY

    state = {**pre.to_dict(), "target": prep["target"], "task": prep["task"]}
    if prep.get("sample_weight") is not None:
        state[WEIGHT_COLUMN_KEY] = prep["sample_weight"]
    return state


def freeze_option(freeze: Any) -> Any:
    """``--freeze`` as the estimators take it: ``"2"`` -> 2 (the first two hidden layers), ``"head_first"``, else layer names (``"hidden1,hidden2"`` -> a list)."""
    text = str(freeze).strip()
    return int(text) if text.isdigit() else text if text == "head_first" else [n.strip() for n in text.split(",") if n.strip()]


def _transfer_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``--init-from``/``--freeze`` checked and parsed; the source's layers as the default ``--hidden``.

    Returns the parameters and the source model's stored preprocessing (or None).
    """
    params = dict(params)
    init_from, freeze = params.get("init_from"), params.get("freeze")
    if freeze is not None:
        if not init_from:
            raise UserError("--freeze needs --init-from: freezing fresh random layers would only shrink the model.")
        params["freeze"] = freeze_option(freeze)
    source_pre = None
    if init_from:
        from ..ship import read_metadata
        from ._appfiles import app_kind, app_refusal

        meta = read_metadata(init_from)  # ModelFileError (one line, exit 2) for a missing or foreign file
        kind = app_kind(init_from)
        if kind is not None:  # an app's file has no table network to start from (its metadata has no "network")
            raise app_refusal(init_from, kind, "--init-from", "a model file of `hiddenlayers train` (its hidden layers start the new model)")
        source_pre = meta.get("preprocessing")
        if params.get("hidden_layer_sizes") is None:
            params["hidden_layer_sizes"] = meta["network"]["spec"]
        names = [f"hidden{i}" for i in range(1, len(meta["network"]["spec"]) + 1)]
        unknown = [n for n in params["freeze"] if n not in names] if isinstance(params.get("freeze"), list) else []
        if unknown:  # said before the data is read and checked, so it is the one line the user sees
            raise UserError(f"--freeze names unknown layer(s) {unknown}: the source's hidden layers are {names}.")
    if params.get("hidden_layer_sizes") is None:
        params["hidden_layer_sizes"] = "100"
    if not init_from:
        params.pop("init_from", None)
        params.pop("freeze", None)
    return params, source_pre


def gradient_flow_callback(A: np.ndarray, seed: int, rows: int = 512) -> Any:
    """A :class:`hiddenlayers.lens.GradientFlow` whose activation statistics use ``rows`` random rows of ``A``."""
    from ..lens import GradientFlow

    idx = np.random.default_rng(seed).permutation(A.shape[0])[:rows]
    return GradientFlow(A[np.sort(idx)], max_rows=rows)


def timelapse_callback(A: Any, y: np.ndarray, task: str) -> Any:
    """A :class:`hiddenlayers.lens.Timelapse` on the preprocessed training rows ``A``; what it refuses is a one-line UserError."""
    from ..lens import Timelapse

    try:
        return Timelapse(A, y if task == "classification" else None)
    except ValueError as exc:
        raise UserError(f"--timelapse: {exc}") from None


def fit_model(model: Any, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
              val: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None, by_param: dict[str, str] | None = None) -> Any:
    """``model.fit(X, y, sample_weight=)``; estimator ValueErrors (bad parameter combinations, too little data) become UserErrors.

    ``val``: ``(X_val, y_val, sample_weight_val)``, the rows early stopping scores (``--validation``).
    ``by_param``: parameter -> the option that sets it (``train``'s :data:`DEDICATED`): the divergence messages' remedies (the error
    and the ``DivergedWarning``'s note) name the option, ``--lr``, not ``learning_rate_init``; None: the library's words.
    """
    from sklearn.exceptions import ConvergenceWarning

    from ._option_words import notes_in_option_words, option_words

    given = {} if val is None else dict(zip(("X_val", "y_val", "sample_weight_val"), val))
    with warnings.catch_warnings(), notes_in_option_words(by_param or {}):
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model.fit(X, y, sample_weight=sample_weight, **given)
        except HiddenLayersError:
            raise
        except (ValueError, TypeError) as exc:
            raise UserError(f"training failed: {option_words(one_line(exc), by_param or {})}") from None
    return model


def _model_matrices(pre: TablePreprocessor, X_tr: Any, where_tr: Any, X_te: Any, where_te: Any) -> tuple[Any, np.ndarray | None]:
    """The training rows' :class:`Transformed` and the held-out rows' matrix (None without them), each refused in one line
    (column and file line) where the stored scaling leaves a value beyond float32's range: training would fail on it, and
    scoring the held-out rows after the fit (the file already written) did."""
    A_tr = pre.transform(X_tr, where_tr)
    check_float32(A_tr.matrix, pre.output_names, X_tr, where_tr)
    if X_te is None:
        return A_tr, None
    A_te = pre.transform(X_te, where_te).matrix
    check_float32(A_te, pre.output_names, X_te, where_te)
    return A_tr, A_te


def _summary(model: Any, prep: dict[str, Any], pre: TablePreprocessor, A_te: np.ndarray | None, y_te: Any, elapsed: float, out: Path,
             w_te: np.ndarray | None = None, pos_label: str | None = None) -> dict[str, Any]:
    from ..training import STOP_REASONS

    s: dict[str, Any] = {
        "model": str(out), "task": prep["task"], "target": prep["target"], "rows": prep["n_rows"],
        "features": len(pre.feature_names), "inputs": len(pre.output_names), "spec": model.network_.spec.to_text(),
        "epochs": int(model.n_iter_), "stop_reason": model.stop_reason_, "stop_message": STOP_REASONS.get(model.stop_reason_ or "", ""),
        "parameters": int(model.n_parameters_), "seconds": round(elapsed, 3),
    }
    if prep.get("sample_weight") is not None:
        s["sample_weight"] = prep["sample_weight"]
    if averaging_text(model.get_params()) is not None:  # the weights the file holds are an average: said, as info says it
        s["weight_averaging"] = averaging_text(model.get_params())
    flow = model.history_.extra.get("gradient_flow")
    if flow:
        s["gradient_flow_epochs"] = len(flow)
    if A_te is not None:
        if w_te is not None and not w_te.any():  # a weighted mean of weights that are all 0 is undefined
            note("every held-out row has --sample-weight 0: the held-out metrics are unweighted.")
            w_te = None
        m = metrics(model, A_te, y_te, w_te, positive=scored_positive(getattr(model, "classes_", None), pos_label))
        s["test_metrics_weighted"] = w_te is not None
        s["test_rows"] = len(y_te)
        s["test_metrics"] = {k: v for k, v in m.items() if k != "confusion_matrix"}
        if "confusion_matrix" in m:  # whose recall and average precision (--pos-label, default the second class); ROC-AUC's kind
            s.update(held_out_positive(m, pos_label))
    return s


def _show_summary(s: dict[str, Any], as_json: bool) -> None:
    t = summary_table(s, as_json)
    if t is None:
        return
    for k, v in [("task", s["task"]), ("target", s["target"]), ("hidden layers", s["spec"] or "none (a linear model)")]:
        t.add_row(k, str(v))
    weighted = bool(s.get("test_metrics_weighted"))
    if "sample_weight" in s:
        t.add_row("sample weights", f"column '{s['sample_weight']}'" + (" (the held-out metrics are weighted)" if weighted else ""))
    if "weight_averaging" in s:
        t.add_row("weight averaging", f"{s['weight_averaging']}: the model holds the averaged weights")
    for k, v in s.get("test_metrics", {}).items():
        t.add_row(f"held-out {'weighted ' if weighted else ''}{metric_label(k, held_out_confusion(s))}", f"{v:.4f}")
    if "test_rows" in s:
        t.add_row("held-out rows", str(s["test_rows"]))
    if "validation" in s:
        t.add_row("early stopping on", f"{s['validation_rows']} rows of {s['validation']} (best score {s['best_validation_score']:.4f})")
    t.add_row("epochs", str(s["epochs"]))
    t.add_row("stop reason", f"{s['stop_reason']} ({s['stop_message']})" if s["stop_message"] else str(s["stop_reason"]))
    t.add_row("parameters", f"{s['parameters']:,}")
    if "gradient_flow_epochs" in s:
        t.add_row("gradient flow", f"recorded for {s['gradient_flow_epochs']} epochs (see `hiddenlayers inspect`)")
    t.add_row("time", f"{s['seconds']:.2f} s")
    t.add_row("saved to", s["model"])
    stdout_console().print(t)


def run_predict(model_path: str, data: str, *, proba: bool, out: str | None, force: bool, app_options: dict[str, Any] | None = None,
                keep: list[str] | None = None, threshold: float | None = None, pos_label: str | None = None) -> None:
    """Write predictions (and probabilities) as CSV on stdout, or to ``out`` by its suffix.

    ``app_options``: ``text_column``, ``steps``, ``image_dtype`` for an application file (see :mod:`._appfiles`); None when not given.
    ``keep``: ``--keep``, input columns written in front of the predictions (table models, their .onnx files, and the
    applications that predict one row per input row: :data:`._appfiles.KEEPS`).
    ``threshold``: ``--threshold``, a two-class table model's probability of its positive class (``pos_label``, ``--pos-label``;
    default the second label) at or above which a row is predicted positive (:func:`._binary.cut_for`).
    """
    from ._appfiles import app_kind, article, check_app_options, predict_app
    from ._apponnx import export_app

    onnx = Path(model_path).suffix.lower() == ".onnx"
    exported = export_app(model_path) if onnx else None  # the app an .onnx file is the export of (None: a table model's)
    speech, table_export = exported == "SpeechRecognizer", exported not in (None, "SpeechRecognizer")
    kind = exported or app_kind(model_path)
    check_app_options(kind, model_path, **(app_options or {}))
    _check_cut_options(model_path, kind, threshold, pos_label)
    from ._appfolder import is_image_folder, predict_folder, refuse_options

    images = is_image_folder(kind, data)  # an ImageClassifier file, or its export, on a folder of images (._appfolder)
    if images:
        refuse_options(data, keep=keep, **{k: (app_options or {}).get(k) for k in ("image_dtype", "image_layout")})
    else:
        check_named_columns(data, keep=keep, text_column=(app_options or {}).get("text_column"))  # a misspelt column before an existing --out
        check_app_columns(data, "forecaster", app_options or {})  # a Forecaster's --value-column (check_app_options refused it on any other file)
    if out is not None:  # the suffix first: `--out model.safetensors` (the model's path) said "already exists: pass --force"
        if not Path(out).is_dir() and Path(out).suffix.lower() not in (".csv", ".tsv", ".jsonl", ".parquet"):  # a folder: check_output's advice
            raise UserError(f"--out must end in .csv, .tsv, .jsonl or .parquet. Received: {out!r}.")
        check_output(out, force=force, inputs=(data,), what="--out", example="predictions.csv")
    from ._score_stream import is_folder_input, predict_stream, refuse_folder, streamed_file

    if (is_folder_input(data) or (kind is None and streamed_file(data))) and not images:  # a table model's file or pipe too
        if kind is not None:  # an application file, or an application's export (a table model's .onnx export streams)
            refuse_folder(data, f"the export of {article(kind)}" if onnx else f"{article(kind)} file")
        n = predict_stream(model_path, data, proba=proba, out=out, keep=keep, threshold=threshold, pos_label=pos_label)
        if n is not None:  # None: a model that reads columns by position, read whole below
            if out is not None:
                note(f"wrote {n} predictions to {out}")
            return
    if images:
        from ._apponnx import exported_app

        result = predict_folder(exported_app(model_path) if onnx else load_model(model_path), data, proba, app_options or {}, keep)
    elif speech:
        from ._appspeech import predict_speech_onnx

        result = predict_speech_onnx(model_path, data, (app_options or {}).get("beam_size"), proba)
    elif table_export:  # an app export (._apponnx.TABLE_EXPORTS), read as its .safetensors file is
        from ._apponnx import exported_app

        result = predict_app(exported_app(model_path), model_path, data, app_options or {}, proba=proba, keep=keep)
    elif onnx:
        from ._predict_rows import predict_onnx

        result = predict_onnx(model_path, data, proba=proba, keep=keep, threshold=threshold, pos_label=pos_label)
    elif kind is not None:
        result = predict_app(load_model(model_path), model_path, data, app_options or {}, proba=proba, keep=keep)
    else:
        result = _predict_frame(model_path, data, proba, keep, threshold, pos_label)
    if out is None:
        try:
            result.to_csv(sys.stdout, index=False)
        except BrokenPipeError:  # e.g. `| head`: the reader left, nothing more to do
            sys.stderr.close()
        return
    write_table(result, Path(out))
    note(f"wrote {len(result)} predictions to {out}")


def _check_cut_options(model_path: str, kind: str | None, threshold: float | None, pos_label: str | None) -> None:
    """``predict``'s ``--threshold`` and ``--pos-label``: a table model's (``kind`` None), and ``--pos-label`` only with ``--threshold``
    (it names the class the threshold is for), else a UserError saying why."""
    from ._appfiles import article

    if threshold is None and pos_label is not None:
        raise UserError("--pos-label names the class whose probability --threshold cuts: give --threshold too, or drop --pos-label.")
    if threshold is not None and kind is not None:
        raise UserError(f"--threshold cuts a two-class table model's probability of its positive class; '{model_path}' holds "
                        f"{article(kind)} (an application file): drop --threshold.")


def _predict_frame(model_path: str, data: str, proba: bool, keep: list[str] | None = None, threshold: float | None = None,
                   pos_label: str | None = None) -> pd.DataFrame:
    """Predictions (and probabilities) of a .safetensors model on ``data``, as a DataFrame (``keep``: input columns in front;
    ``threshold``, ``pos_label``: :func:`._binary.cut_for`)."""
    from ._binary import cut_for
    from ._predict_rows import predict_rows, refuse_proba

    model = load_model(model_path, pipeline=True)
    refuse_proba(model, proba)
    cut = cut_for(getattr(model, "classes_", None), threshold, pos_label, model_path)
    table = read_table(data).every_row()
    state = getattr(model, "preprocessing_", None) or {}
    check_keep(table.frame, keep, output_columns(state.get("target"), getattr(model, "classes_", None), proba))
    return predict_rows(model, table.frame, table.where, proba, keep, cut=cut)


def _evaluate_agent(model_path: str, data: str | None, target: str | None, options: dict[str, Any], as_json: bool) -> dict[str, Any]:
    """``evaluate`` of a DQNAgent file: greedy episodes of its environment (:mod:`._appagent`); DATA and --target do not apply."""
    from ._appagent import evaluate_agent, show_agent_evaluation

    for given, what in ((data, f"DATA ('{data}')"), (target, "--target")):
        if given is not None:
            raise UserError(f"'{model_path}' holds a DQNAgent, which is scored by playing its environment, not on a data file: drop {what} "
                            "(--env ID plays another environment, --episodes N sets how many).")
    result = evaluate_agent(load_model(model_path), model_path, options)
    show_agent_evaluation(result, as_json)
    return result


def run_evaluate(model_path: str, data: str | None, *, target: str | None, as_json: bool, sample_weight: str | None = None,
                 app_options: dict[str, Any] | None = None, pos_label: str | None = None, threshold: float | None = None) -> dict[str, Any]:
    """Metrics of a saved model on labelled ``data``; printed as tables or JSON.

    ``sample_weight``: a column of ``data`` whose values weight each row's part in every metric
    (``"weighted_by"`` in the result). Not given, the metrics are plain, and a note says so when
    the model was trained with weights from a column that ``data`` holds.
    ``app_options``: ``text_column``, ``image_dtype``, ``steps``, ``value_column`` for an application file (see :mod:`._appfiles`); None when not given.
    ``pos_label``: ``--pos-label``, the positive class of a two-class target's sensitivity (:func:`._binary.with_positive`) and
    average precision; ``threshold``: ``--threshold``, its probability at or above which a row is predicted positive (a
    two-class table model: :func:`._binary.cut_for`).
    """
    from ._appfiles import app_kind, article, check_app_options, evaluate_app
    from ._binary import cut_for, scored_positive
    from ._weights import stored_weight_column

    kind = app_kind(model_path)
    check_app_options(kind, model_path, **(app_options or {}))
    for given, option, what in ((sample_weight, "--sample-weight", "weights"), (threshold, "--threshold", "cuts")):
        if kind is not None and given is not None:
            raise UserError(f"{option} {what} a table model's metrics; '{model_path}' holds {article(kind)} (an application file): drop {option}.")
    if kind == "DQNAgent":
        if pos_label is not None:
            raise UserError("--pos-label picks the positive class of a two-class target; a DQNAgent file is scored by its episodes' returns: drop --pos-label.")
        return _evaluate_agent(model_path, data, target, app_options or {}, as_json)
    if data is None:
        raise UserError("evaluate needs DATA: the labelled data file (or bundled dataset name) to score the model on, after the model file.")
    from ._appfolder import evaluate_folder, is_image_folder
    from ._score_stream import evaluate_stream, is_folder_input, refuse_folder, streamed_file

    # a folder, glob, or one table file or pipe of a table model, batch by batch (an ImageClassifier file reads a folder of images: ._appfolder)
    if (is_folder_input(data) or (kind is None and streamed_file(data))) and not is_image_folder(kind, data):
        if kind is not None:
            refuse_folder(data, f"{article(kind)} file")
        streamed = evaluate_stream(model_path, data, target=target, sample_weight=sample_weight, pos_label=pos_label, threshold=threshold)
        if streamed is not None:  # None: a model that reads columns by position, read whole below
            show_evaluation(streamed, as_json, pos_label)
            return streamed
    model = load_model(model_path, pipeline=True)
    if kind is not None:
        scored = evaluate_folder if is_image_folder(kind, data) else evaluate_app
        result = scored(model, model_path, data, target, app_options or {}, pos_label)
        show_evaluation(result, as_json, pos_label)
        return result
    classes = getattr(model, "classes_", None)
    cut = cut_for(classes, threshold, pos_label, model_path)  # refused before the data is read
    raw, A, y, w = labelled_weighted(model, data, target, sample_weight)
    trained = stored_weight_column(model)
    if sample_weight is None and trained is not None and trained in raw.columns:
        note(f"these metrics are unweighted: pass --sample-weight {trained} to weight them as the training did.")
    m = metrics(model, A, y, w, cut, scored_positive(classes, pos_label))
    result = {"model": model_path, "data": data, "rows": len(y), "task": "classification" if hasattr(model, "classes_") else "regression",
              "weighted_by": sample_weight, **({"threshold": threshold} if cut else {}), "metrics": m}
    show_evaluation(result, as_json, pos_label)
    return result


