"""What the commands that read a model file and a labelled table share:
loading the model, matching a table's columns to it, reading labels and the
target, scoring predictions, and running an ``.onnx`` file.

One shared module, so each command group (``_train``, ``_rightsize``,
``_onnx``, ``_inspect``, ``_demo``) imports it and none imports another.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import (
    TablePreprocessor,
    at_row,
    by_position_note,
    check_float32,
    first_non_finite_row,
    infer_task,
    lacks_columns,
    mistyped_numeric_target,
    numeric_matrix,
    preview,
    read_table,
    split_target,
)
from ..exceptions import DataError
from ._binary import Cut, binary_rates, metric_label, with_positive
from ._common import (
    WEIGHT_COLUMN_KEY,
    UserError,
    clean,
    labelled_table,
    note,
    print_json,
    print_table,
    read_labelled,
    shown,
    stdout_console,
)
from ._options import parse_features
from ._table_out import final_estimator

TASKS = ("auto", "classification", "regression")
#: Fewer usable rows than this (after dropping ragged and unlabelled ones) cannot be trained on.
MIN_TRAIN_ROWS = 2


def coerce_labels(y: pd.Series, classes: np.ndarray | None = None) -> np.ndarray:
    """Target labels as a clean 1-D array: whole numbers as int64, anything else as text.

    With ``classes`` (a fitted model's ``classes_``), labels follow their type.
    """
    if classes is not None and np.asarray(classes).dtype.kind in "OUS":
        return y.map(str).to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        values = y.to_numpy(dtype=np.float64)
        if np.all(values == np.round(values)):
            return values.astype(np.int64)
        return values
    if classes is not None:
        num = pd.to_numeric(y, errors="coerce")
        if num.notna().all():
            return coerce_labels(num, classes)
    return y.map(str).to_numpy(dtype=object)


def class_labels(y: pd.Series, classes: Any, name: str, *, app: bool = False) -> np.ndarray:
    """:func:`coerce_labels` of ``y`` for a fitted classifier; labels it cannot score are a DataError.

    ``app``: the classifier is an application's (text, image, sequence), which has no regressor to point to.

    A continuous target (fractional numbers where the classes are not) and
    labels outside ``classes`` (new values, or text among numeric classes)
    would otherwise reach scikit-learn's metrics, which fail on them or count
    them silently as errors, and ``prune`` would cut against them.
    """
    cls = np.asarray(classes)
    shown = preview([str(c) for c in cls], 10)
    raw = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64) if y.dtype.kind in "biuf" else np.empty(0)
    fractional = raw[np.isfinite(raw) & (raw != np.round(raw))]
    if fractional.size and cls.dtype.kind != "f":  # whatever the classes' type: text classes too
        example = fractional[0]
        raise DataError(f"target '{name}' is continuous (e.g. {example:g}) but the model is a classifier of the classes {shown}: "
                        "check --target or the data" + (" (a regressor is trained with --task regression)." if not app else "."))
    labels = coerce_labels(y, classes)
    known = {str(c) for c in cls}
    unknown = [str(u) for u in np.unique(labels) if str(u) not in known]
    if unknown:
        which = f"labels {preview([repr(u) for u in unknown], 5)} are not classes" if len(unknown) > 1 else f"label {unknown[0]!r} is not a class"
        folded = {k.strip().casefold() for k in known}
        if all(u.strip().casefold() in folded for u in unknown):  # 'yes ' for 'yes': a cell's trailing space, or 'Yes'
            raise DataError(f"{which} of the model ({shown}): they differ from its classes only in surrounding spaces or letter case; "
                            f"make each label the model's spelling first (e.g. df[{name!r}] = df[{name!r}].str.strip()).")
        raise DataError(f"{which} of the model ({shown}): check --target or the data.")
    return labels


def input_columns(model: Any) -> list[str]:
    """The table columns ``model`` reads: its stored preprocessing's features, else ``feature_names_in_`` (may be empty);
    an ``.onnx`` export's (:class:`~hiddenlayers.ship.OnnxModel`) as its metadata names them."""
    from ..ship import OnnxModel

    if isinstance(model, OnnxModel):
        return model.inputs
    state = getattr(model, "preprocessing_", None)
    if state:
        return [str(n) for n in TablePreprocessor.from_dict(state).feature_names]
    return [str(n) for n in getattr(model, "feature_names_in_", [])]


def categorical_columns(model: Any) -> list[str]:
    """The table columns ``model``'s stored preprocessing reads as categories (none for a model without one, or an
    ``.onnx`` export): a streamed read takes them as text (``ParquetSource(text_columns=)``), as pandas reads a column
    that holds any text, so a column of numbers in a CSV file's first block and codes further down is not refused."""
    state = getattr(model, "preprocessing_", None)
    if not state or not isinstance(state, dict):
        return []
    return [str(c["name"]) for c in state.get("columns", []) if isinstance(c, dict) and c.get("kind") == "categorical"]


def refuse_input_as_target(model: Any, target: str | None) -> None:
    """A ``--target`` that names one of the model's input columns is a UserError naming the model's own target.

    Otherwise the column is taken out of the features and the error would be
    that the data "lacks" it, though it is right there.
    """
    if target is None or target not in input_columns(model):
        return
    stored = stored_target(model)
    fix = f"the model predicts '{stored}': pass --target {stored}, or leave --target out." if stored else "pass the column the model predicts."
    raise UserError(f"--target '{target}' is one of the model's input columns, not a target: {fix}")


def stored_target(model: Any) -> str | None:
    """The target column the model records: a ``.safetensors`` model's stored preprocessing's, an ``.onnx`` export's metadata's; or None."""
    from ..ship import OnnxModel

    if isinstance(model, OnnxModel):
        return model.target
    return (getattr(model, "preprocessing_", None) or {}).get("target")  # type: ignore[no-any-return]


MODEL_IS_REGRESSOR = "check --target (the model is a regressor: its target holds numbers)"
"""The fix :func:`regression_target` names for a command reading a saved regressor's target (it has no ``--task``)."""


def regression_target(y: pd.Series, name: str, where: Callable[[int], str] | None = None,
                      fix: str = "use --task classification") -> np.ndarray:
    """``y`` as float64; a value that is no number is a DataError naming it and ``where(row)`` (its file line) or its row.

    ``fix``: the second way out the error names (``train``'s ``--task``; :data:`MODEL_IS_REGRESSOR` for a saved model).
    """
    num = pd.to_numeric(y, errors="coerce")
    bad = num.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"regression target '{name}' must be numeric but holds {str(y.iloc[row])!r} ({at_row(row, where)}): fix it, or {fix}.")
    values = num.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        row = int(np.flatnonzero(~np.isfinite(values))[0])
        raise DataError(f"regression target '{name}' holds an infinite value ({at_row(row, where)}): replace it with a number, or drop the row.")
    return values


def _refuse_mistyped_target(y: pd.Series, name: str, where: Callable[[int], str], task_option: bool) -> None:
    """A DataError for a numeric target with a few text cells, which ``--task auto`` would read as hundreds of classes
    (``task_option``: the command has ``--task``, so the error names it)."""
    bad = mistyped_numeric_target(y)
    if bad:
        examples = ", ".join(repr(str(v)) for v in dict.fromkeys(y.iloc[bad[:50]].astype(str)))
        raise DataError(f"target '{name}' holds numbers but {len(bad)} value(s) that are not, e.g. {examples} ({where(bad[0])}), so it "
                        "would be read as one class per number: fix those values (or leave them empty to drop their rows)"
                        + (", or pass --task classification to keep the values as labels." if task_option else "."))


def _no_target(columns: list[str]) -> str:
    return f"no target column given: pass --target COLUMN, one of {preview([repr(c) for c in columns], 8)}."


def prepare(data: str, target: str | None, features: str | None, task: str, max_categories: int, table: Any = None,
            sample_weight: str | None = None, task_option: bool = True) -> dict[str, Any]:
    """Load ``data`` and split out the target; decide the task. Returns the pieces ``train`` needs.

    ``"dropped"`` says which rows were dropped while reading (empty if none): the
    caller notes it once its own checks pass, so an error stays one line.
    ``table``: ``data`` already read by ``read_table`` (``train``'s checks read it first), else it is read here.
    ``sample_weight``: the ``--sample-weight`` column, taken out of the features; its checked
    weights ``(n_rows,)`` are ``"w"`` (None without it), aligned with ``"X"`` and ``"y"``.
    ``task_option``: the command has ``--task`` (an error may name it as a fix).
    """
    from ._weights import take_weights

    if task not in TASKS:
        raise UserError(f"--task must be one of {', '.join(TASKS)}. Received: {task!r}.")
    table, name = labelled_table(data, target, None, _no_target, min_rows=MIN_TRAIN_ROWS, purpose="training", table=table)
    dropped, feats = table.drop_summary(), parse_features(features)
    frame, w = take_weights(table.frame, sample_weight, target=name, features=feats, where=table.where)
    X, y = split_target(frame, name, feats)
    if task == "auto":
        _refuse_mistyped_target(y, name, table.where, task_option)
    kind = infer_task(y) if task == "auto" else task
    if kind == "classification":
        labels = coerce_labels(y)
        _refuse_real_classes(labels, name, table.where)
        classes = np.unique(labels.astype(str)) if labels.dtype == object else np.unique(labels)
        if len(classes) < 2:
            raise DataError(
                f"target '{name}' has only one class ('{classes[0]}') in {len(labels)} usable rows: classification needs at least 2 different values"
                + (f" ({dropped})." if dropped else ".")
            )
        yv: np.ndarray = labels
    else:
        yv = regression_target(y, name, table.where)
    return {"X": X, "y": yv, "w": w, "sample_weight": sample_weight, "target": name, "task": kind, "max_categories": max_categories,
            "n_rows": len(yv), "dropped": dropped, "where": table.where}


def _refuse_real_classes(labels: np.ndarray, name: str, where: Callable[[int], str]) -> None:
    """A DataError when ``--task classification`` is given a target of real numbers (scikit-learn's ``'continuous'``).

    The classifier would refuse it after the data check, as "training failed: Unknown label type: 'continuous'
    ... use MLPRegressor", which names no option of the command.
    """
    if labels.dtype.kind != "f":
        return
    frac = np.flatnonzero(np.isfinite(labels) & (labels != np.round(labels)))
    if frac.size:
        raise DataError(f"target '{name}' holds real numbers such as {labels[frac[0]]:g} ({where(int(frac[0]))}), which cannot be classes: "
                        "use --task regression (or auto), or turn them into class labels first.")


def metrics(model: Any, A: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, cut: Cut | None = None,
            positive: int = 1) -> dict[str, Any]:
    """Classifier: accuracy, balanced accuracy, F1 (macro), ROC-AUC (and for two classes average precision, sensitivity and
    specificity: the second class positive, :mod:`._binary`), confusion matrix; regressor: R², MAE, RMSE.

    ``sample_weight`` ``(n_rows,)``: each row counts by its weight (scikit-learn's metrics' ``sample_weight``;
    the confusion matrix then sums weights), so a row of weight 2 counts as that row twice.
    ``cut``: ``--threshold``, a two-class model's labels cut from its positive class's probability (None: its ``predict``);
    ``positive``: without a cut, the index in ``classes_`` of the class average precision ranks (``--pos-label``).
    """
    classes = getattr(model, "classes_", None)
    if classes is None or not hasattr(model, "predict_proba"):
        pred = model.predict(A)  # a Pipeline's columns were taken by name (model_inputs); _Group.main hides sklearn's no-names warning
        return prediction_metrics(pred, y, classes, sample_weight)
    from ..estimators import MLPClassifier

    pred, P = model.predict_with_proba(A) if isinstance(model, MLPClassifier) else (model.predict(A), model.predict_proba(A))  # one pass
    if cut is not None:
        pred, positive = cut.labels(P, classes), cut.positive
    return prediction_metrics(pred, y, classes, sample_weight, proba=P, positive=positive)


def prediction_metrics(pred: np.ndarray, y: np.ndarray, classes: Any = None, sample_weight: np.ndarray | None = None,
                       proba: np.ndarray | None = None, positive: int = 1) -> dict[str, Any]:
    """:func:`metrics` from predictions: ``classes`` (a classifier's ``classes_``) picks the classification metrics.

    ``proba`` ``(n, n_classes)``: the probabilities ``pred`` came from, which add ROC-AUC and, for two classes, the average
    precision of the class at index ``positive`` (:func:`._class_scores.score_metrics`; left out with a note where a class has
    no row); None: neither.
    """
    from sklearn import metrics as M

    sw = sample_weight
    if classes is not None:
        scores: dict[str, float] = {}
        if proba is not None:
            from ._class_scores import score_metrics

            scores, why = score_metrics(y, proba, classes, sw, positive)
            if why:
                note(why)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels = list(classes)
            cm = M.confusion_matrix(y, pred, labels=labels, sample_weight=sw)
            return {
                "accuracy": float(M.accuracy_score(y, pred, sample_weight=sw)),
                "balanced_accuracy": float(M.balanced_accuracy_score(y, pred, sample_weight=sw)),
                "f1_macro": float(M.f1_score(y, pred, average="macro", labels=labels, zero_division=0, sample_weight=sw)),
                **scores,
                **binary_rates(cm),  # a two-class target: its positive class is the second label, which the table names
                "confusion_matrix": {"labels": [str(c) for c in labels], "matrix": (cm if sw is None else np.round(cm, 6)).tolist()},
            }
    return {
        "r2": float(M.r2_score(y, pred, sample_weight=sw)) if len(y) > 1 else float("nan"),
        "mae": float(M.mean_absolute_error(y, pred, sample_weight=sw)),
        "rmse": float(np.sqrt(M.mean_squared_error(y, pred, sample_weight=sw))),
    }


def load_model(path: str, pipeline: bool = False) -> Any:
    """The model in ``path``; a saved Pipeline as its MLP with the encoder's preprocessing, which the commands read raw tables through.

    A Pipeline of scikit-learn steps then an MLP (whose MLP alone does not read raw rows) is the Pipeline where ``pipeline``
    (``predict`` and ``evaluate`` run it on the table's numeric columns), else a UserError naming the commands that read it.
    """
    from ..ship import load, read_metadata, stored_steps

    steps = stored_steps(read_metadata(path)) if Path(path).suffix.lower() != ".onnx" else []
    if steps and not pipeline:
        raise UserError(f"'{path}' holds a Pipeline whose MLP reads the output of scikit-learn steps ({', '.join(steps)}): `hiddenlayers "
                        "predict`, `evaluate`, `info`, `inspect`, `explain`, `cost`, `prune`, `export` and `serve` read it, this command reads an MLP's file; in Python, hl.load(path)[-1] is the MLP.")
    return load(path) if steps else load(path, as_pipeline=False)


def model_inputs(model: Any, frame: pd.DataFrame, where: Callable[[int], str] | None = None, notes: list[str] | None = None) -> np.ndarray:
    """The matrix ``model`` reads, from a raw table (its stored preprocessing, or plain numeric columns).

    ``where(i)``: where row ``i`` of ``frame`` is in the user's file (``Table.where``: ``"line 7"``), for an error naming a row.
    ``notes``: a list that collects the preprocessing's notes (a folder's batches: said once at the end); None prints them.
    """
    say = note if notes is None else notes.append
    state = getattr(model, "preprocessing_", None)
    if state:
        pre = TablePreprocessor.from_dict(state)
        target, weight = state.get("target"), state.get(WEIGHT_COLUMN_KEY)
        own = [c for c in (target, weight) if c is not None and c in frame.columns and c not in pre.feature_names]
        res = pre.transform(frame.drop(columns=own), where)
        if not _computes_in_float64(model):  # a float64 network takes it, as its .onnx export and predict(frame) do
            check_float32(res.matrix, pre.output_names, frame, where)  # before the notes: an error stays the only line on stderr
        if weight in own:  # not "a column the model does not use": the user may wonder whether it was read
            say(f"left out column '{weight}': the weight column the model was trained with (train --sample-weight {weight}), not an input")
        for msg in res.notes:
            say(msg)
        return res.matrix
    names = [str(n) for n in getattr(model, "feature_names_in_", [])]
    if names:
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise DataError(lacks_columns(missing, [c for c in frame.columns if c not in set(names)], fix="add them"))
        frame = frame[names]
    if frame.shape[1] != model.n_features_in_:
        raise DataError(f"the model expects {model.n_features_in_} numeric columns; the data has {frame.shape[1]}: pass the same columns as in training.")
    A = numeric_matrix(frame, where)  # booleans as 1.0/0.0, as the server and the preprocessing read them
    if not _fills_missing(model):
        _refuse_missing(A, [str(c) for c in frame.columns], where)
    if not _computes_in_float64(model):
        check_float32(A, [str(c) for c in frame.columns], frame, where)
    positional = None if names else by_position_note(frame.columns)
    if positional:
        say(positional)  # after the checks: an error stays the only line on stderr
    return A


def named_rows(model: Any, A: np.ndarray) -> Any:
    """``A`` (:func:`model_inputs`' matrix) as a DataFrame of the input names a Pipeline of scikit-learn steps was fitted on,
    so its steps read the names they were fitted with (scikit-learn warns on each call without them, and ``explain`` shows the
    raw row by them); ``A`` itself for an MLP, or a Pipeline fitted on an array."""
    names = [str(n) for n in getattr(model, "feature_names_in_", [])]
    if getattr(model, "steps", None) is None or len(names) != A.shape[1]:
        return A
    return pd.DataFrame(A, columns=names)


def _computes_in_float64(model: Any) -> bool:
    """Whether ``model`` (or a Pipeline's MLP) computes in float64 (``dtype="float64"``), where values beyond float32's range are finite."""
    return getattr(final_estimator(model), "dtype", "float32") == "float64"


def _fills_missing(model: Any) -> bool:
    """Whether ``model`` is a Pipeline with a SimpleImputer step, which fills missing cells itself (its ``missing_values`` is NaN by default)."""
    return any(type(step).__name__ == "SimpleImputer" for _, step in (getattr(model, "steps", None) or [])[:-1])


def _refuse_missing(A: np.ndarray, names: list[str], where: Callable[[int], str] | None = None) -> None:
    """A DataError naming the first missing cell of ``A``: a model without stored preprocessing has no value to fill it with.

    The estimator's own check would say "Input X contains NaN" with no column or row (and the CLI would call it an internal error).
    """
    from ..data import refuse_missing_cells

    refuse_missing_cells(A, names, where, "and this model has no stored preprocessing to fill one (it was fitted in Python on numbers): "
                         "fill them first, or train with `hiddenlayers train`, which stores how to fill them.")


def check_finite_output(out: np.ndarray, where: Callable[[int], str] | None = None) -> None:
    """A DataError naming the first row whose model output is NaN or infinite (values the network overflows on); ``where`` as in :func:`model_inputs`."""
    r = first_non_finite_row(out)
    if r is not None:
        raise DataError(f"the model's output for {at_row(r, where)} is not finite (its values are so far from the training data that the network "
                        "overflows): fix that row's values.")


def refuse_missing_inputs(model: Any, columns: list[str]) -> None:
    """A DataError naming the model's input columns that ``columns`` lacks, before any label is read.

    Why first: a table of other data (wrong file) would otherwise fail on its labels
    ("label 'x' is not a class", "unknown target column") and hide that the columns are wrong.
    """
    from ..data import lacks_columns

    have = set(columns)
    inputs = input_columns(model)
    missing = [c for c in inputs if c not in have]
    if missing:
        unused = [c for c in columns if c not in set(inputs)]
        raise DataError(lacks_columns(missing, unused, fix=f"pass the table the model reads (it has {preview([repr(c) for c in columns], 8)})"))


def labelled(model: Any, data: str, target: str | None, table: Any = None) -> tuple[Any, Any, Any]:
    """(raw feature table, model matrix, labels) of labelled ``data``, read with the model's stored preprocessing.

    ``table``: ``data`` as ``read_table`` already returned it (``prune``'s data check read it first), else it is read here.
    """
    X, A, y, _ = labelled_weighted(model, data, target, None, table=table)
    return X, A, y


def export_rows(model: Any, data: str, target: str | None) -> tuple[Any, Any, Any]:
    """``export``'s DATA as ``(raw table, model matrix, labels or None)``: :func:`labelled` rows, whose labels score the model
    before and after ``--int8``; or, with no ``target`` given and no column of the target the model records, the rows
    unlabelled, read as ``predict`` reads them, for the parity check alone (a note says so). A model that records no
    target (fitted in Python) takes rows of its input columns alone, and nothing else, as unlabelled too.

    Why: new rows without labels are what a user has at hand to check an export on; they were refused as an
    "unknown target column" that the user never named, or, for a model fitted in Python, with "pass --target COLUMN"
    for data that has no such column.
    """
    stored = stored_target(model)
    table = read_table(data)
    columns = [str(c) for c in table.frame.columns]
    if target is not None or (stored in columns if stored is not None else not _inputs_only(model, columns)):
        return labelled(model, data, target, table=table)
    refuse_missing_inputs(model, columns)
    A = model_inputs(model, table.frame, table.where)
    if table.n_dropped:
        note(table.drop_summary())
    said = f"has no column '{stored}' (the target)" if stored is not None else "holds the model's input columns alone"
    note(f"'{data}' {said}: parity checked on its {len(A)} row(s), no score (give labelled rows{'' if stored else ' and --target'} "
         "for the score before and after --int8)")
    return table.frame, A, None


def _inputs_only(model: Any, columns: list[str]) -> bool:
    """``columns`` are those ``model`` reads and no other (by name; a model fitted without names: as many as its inputs)."""
    names = input_columns(model)
    return set(columns) == set(names) if names else len(columns) == getattr(model, "n_features_in_", -1)


def labelled_weighted(model: Any, data: str, target: str | None, sample_weight: str | None, table: Any = None) -> tuple[Any, Any, Any, Any]:
    """:func:`labelled` and the ``--sample-weight`` column's checked weights ``(n_rows,)`` (None without it).

    The weight column is taken out of the raw table before the model reads it; one the model
    reads as an input is refused (it would be a feature and a weight at once).
    """
    stored = stored_target(model)
    refuse_input_as_target(model, target)
    if sample_weight is not None and sample_weight in input_columns(model):
        raise UserError(f"--sample-weight '{sample_weight}' is one of the model's input columns: a weight column is never a feature; "
                        "pass a column the model does not read.")
    table = read_table(data) if table is None else table
    refuse_missing_inputs(model, [str(c) for c in table.frame.columns])  # another dataset's table: its columns, not its labels, are the problem
    lab = read_labelled(data, target, stored, "this model file does not record its target column: pass --target COLUMN.", table=table)
    from ._weights import take_weights

    X, w = take_weights(lab.X, sample_weight, target=lab.name, where=lab.where)
    y = (class_labels(lab.y, model.classes_, lab.name) if hasattr(model, "classes_")
         else regression_target(lab.y, lab.name, lab.where, MODEL_IS_REGRESSOR))
    A = model_inputs(model, X, lab.where)
    if lab.table.n_dropped:  # after the checks above: an error stays the only line on stderr
        note(lab.table.drop_summary())
    return X, A, y, w


def show_evaluation(result: dict[str, Any], as_json: bool, pos_label: str | None = None) -> None:
    """Print ``evaluate``'s result (``rows``, ``task``, ``metrics``) as JSON or as the metric and confusion-matrix tables.

    ``pos_label``: ``--pos-label``, the positive class of a two-class target's sensitivity and specificity (None: the second
    label), which the confusion matrix's ``positive`` names (:func:`._binary.with_positive`; refused for any other result).
    """
    with_positive(result, pos_label)
    if as_json:  # DATA piped into standard input is "-" there, as the user gave it, not the temporary file the command read
        print_json(clean({**result, "data": shown(result["data"])} if isinstance(result.get("data"), str) else result))
        return
    m = result["metrics"]
    from .._rich_plain import PlainTable

    con = stdout_console()  # markup off: labels, the weight column and the task's words print as given
    if result.get("n_folds", 1) > 1:
        print_table(con, _fold_table(result))
    if "cold_start" in result:
        print_table(con, _rating_split_table(result))
        return
    weighted = f" (weighted by column '{result['weighted_by']}')" if result.get("weighted_by") else ""
    counted = "rows" if "sequences" not in result else "utterances" if result["task"] == "speech recognition" else "sequences"  # not the long table's rows
    on = f"{result['rows']} {counted}" if "steps" not in result else _held_out(result)
    if result.get("n_folds", 1) > 1:
        on = f"{result['n_folds']} forecast origins of {result['rows']} values, mean over the folds"
    if result.get("threshold") is not None:  # --threshold: the labels' cut, which the confusion matrix and its rates follow
        on += f", '{m['confusion_matrix']['positive']}' predicted where its probability >= {result['threshold']:g}"
    t = PlainTable(title=f"{result['task']} metrics on {on}{weighted}", title_justify="left")
    t.add_column("metric")
    t.add_column("value", justify="right")
    for k, v in m.items():
        if k != "confusion_matrix":
            t.add_row(metric_label(k, m.get("confusion_matrix")), f"{v:.4f}")
    print_table(con, t)  # a Forecaster's hold-out in words is longer than its two columns
    if "confusion_matrix" in m:
        cm = m["confusion_matrix"]
        c = PlainTable(title=f"confusion matrix (rows: true, columns: predicted{'; sums of weights' if weighted else ''})", title_justify="left")
        c.add_column("")
        for lab in cm["labels"]:
            c.add_column(str(lab), justify="right")
        for lab, row in zip(cm["labels"], cm["matrix"]):
            c.add_row(str(lab), *(f"{v:g}" for v in row))
        print_table(con, c)


def _held_out(result: dict[str, Any]) -> str:
    """A one-fold Forecaster backtest's hold-out in words, saying where its length came from when ``--steps`` was not given, and
    the first and last dates it forecasts where the table has a date column (as the fold table and ``--json`` give them)."""
    why = f" ({result['steps_default']})" if result.get("steps_default") else ""
    fold = result["folds"][0] if result.get("folds") else {}
    dated = "" if "start" not in fold else f", dated {fold['start']}" + ("" if fold["end"] == fold["start"] else f" to {fold['end']}")
    return f"the last {result['steps']} of {result['rows']} values{why}{dated}, forecast from the {result['history']} before them"


def _cell(value: float | None) -> str:
    """A metric's table cell: 4 decimals, or a dash where it is undefined (NaN, null)."""
    return "-" if value is None or value != value else f"{value:.4f}"


def _fold_table(result: dict[str, Any]) -> Any:
    """A Forecaster backtest's folds, one line each: the dates forecast (the data rows where the table has no date column), the
    values before them, the scores."""
    from .._rich_plain import PlainTable

    t = PlainTable(title=f"forecast backtest: {result['n_folds']} folds of {result['steps']} values, origins {result['stride']} apart (data rows)", title_justify="left")
    scores = [m for m in ("mae", "rmse", "mase", "mape", "smape", "naive_mae", "snaive_mae") if result["folds"] and m in result["folds"][0]]
    dated = bool(result["folds"]) and "start" in result["folds"][0]
    for name in ("fold", *(("start", "end") if dated else ("rows",)), "history", *(m.replace("_", " ") for m in scores)):
        t.add_column(name, justify="right")
    for f in result["folds"]:
        where = (f["start"], f["end"]) if dated else (f"{f['first_row']}-{f['last_row']}",)
        t.add_row(str(f["fold"]), *where, str(f["history"]), *(_cell(f[m]) for m in scores))
    return t


def _rating_split_table(result: dict[str, Any]) -> Any:
    """A Recommender's RMSE and MAE on all rows, the rows of known users and items, and the cold-start rows."""
    from .._rich_plain import PlainTable

    cold = result["cold_start"]
    t = PlainTable(title=f"{result['task']} metrics on {result['rows']} rows", title_justify="left")
    t.add_column("rows")
    for name in ("count", "rmse", "mae"):
        t.add_column(name, justify="right")
    t.add_row("all", str(result["rows"]), _cell(result["metrics"]["rmse"]), _cell(result["metrics"]["mae"]))
    t.add_row("known user and item", str(result["known"]["rows"]), _cell(result["known"]["rmse"]), _cell(result["known"]["mae"]))
    t.add_row(f"cold start ({cold['unseen_user']} with an unseen user, {cold['unseen_item']} with an unseen item)", str(cold["rows"]), _cell(cold["rmse"]), _cell(cold["mae"]))
    return t


def output_columns(target: str | None, classes: Any, proba: bool) -> list[str]:
    """The columns ``predict`` writes: ``predicted_<target>`` (``_0``, ``_1``, ... after it for several outputs), then
    ``proba_<class>`` with ``--proba``."""
    return [f"predicted_{target or 'value'}"] + ([f"proba_{c}" for c in classes] if proba and classes is not None else [])


def check_keep(frame: Any, keep: list[str] | None, outputs: list[str]) -> None:
    """``predict --keep``'s columns must be in the table (a did-you-mean otherwise), each named once and none named as one of
    the ``outputs`` columns; checked before any prediction, so the error is the only line."""
    if not keep:
        return
    clash = [k for k in keep if k in outputs or k.startswith(f"{outputs[0]}_")]  # predicted_y_0, ...: several outputs
    if clash:
        raise UserError(f"--keep column {clash[0]!r} has the name of an output column: rename it in the data, or drop it from --keep.")
    from ..data import did_you_mean

    twice = sorted({k for k in keep if keep.count(k) > 1})
    if twice:
        raise UserError(f"--keep names {twice[0]!r} twice: name each column once.")
    have = [str(c) for c in frame.columns]
    absent = [k for k in keep if k not in have]
    if absent:
        raise DataError(f"--keep: the data has no column {absent[0]!r}.{did_you_mean(absent[:1], have)}")


def without_kept(frame: Any, keep: list[str] | None, inputs: list[str] | None) -> Any:
    """``frame`` less its ``--keep`` columns that are not among the model's ``inputs`` (its column names; None: unknown, as for
    a model fitted on an unnamed array, and nothing is dropped), so that a column the user asked to keep is not also
    reported as "ignored: a column the model does not use"."""
    if not keep or inputs is None:
        return frame
    drop = [k for k in keep if k not in set(inputs)]
    return frame.drop(columns=drop) if drop else frame


def model_columns(model: Any) -> list[str] | None:
    """The table columns ``model`` reads by name (its stored preprocessing's, else ``feature_names_in_``), or None."""
    state = getattr(model, "preprocessing_", None)
    if state:
        return list(TablePreprocessor.from_dict(state).feature_names)
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def with_kept(result: Any, frame: Any, keep: list[str] | None) -> Any:
    """``result`` (one row per row of ``frame``) with ``frame``'s ``keep`` columns in front, as read (an ID to join on)."""
    if not keep:
        return result
    kept = frame[keep].reset_index(drop=True)
    return kept.join(result.reset_index(drop=True))
