"""The ``train``, ``predict`` and ``evaluate`` commands (heavy imports live here, not in cli.py)."""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import TablePreprocessor, default_target, infer_task, load_table, resolve_column, split_target
from ..exceptions import DataError, HiddenLayersError
from ._common import UserError, check_output, clean, note, one_line, print_json, read_labelled

TASKS = ("auto", "classification", "regression")


def _parse_set(items: list[str]) -> dict[str, Any]:
    """``["momentum=0.8", "shuffle=false"]`` -> ``{"momentum": 0.8, "shuffle": False}`` (JSON values, else text)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise UserError(f"--set takes KEY=VALUE, e.g. --set momentum=0.8. Received: {item!r}.")
        try:
            value = json.loads(raw.strip().lower() if raw.strip().lower() in ("true", "false", "null") else raw)
        except json.JSONDecodeError:
            value = raw.strip()
        out[key] = value
    return out


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


def _regression_target(y: pd.Series, name: str) -> np.ndarray:
    num = pd.to_numeric(y, errors="coerce")
    bad = num.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"regression target '{name}' must be numeric but holds {str(y.iloc[row])!r} (row {row + 1}): fix it, or use --task classification.")
    values = num.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise DataError(f"regression target '{name}' holds infinite values: replace them.")
    return values


def prepare(data: str, target: str | None, features: str | None, task: str, max_categories: int) -> dict[str, Any]:
    """Load ``data`` and split out the target; decide the task. Returns the pieces ``train`` needs."""
    if task not in TASKS:
        raise UserError(f"--task must be one of {', '.join(TASKS)}. Received: {task!r}.")
    frame = load_table(data)
    target = target if target is not None else default_target(data, frame)
    feats = [f.strip() for f in features.split(",") if f.strip()] if features else None
    X, y = split_target(frame, target, feats)
    name = resolve_column(target, list(frame.columns)) if target is not None else ""
    kind = infer_task(y) if task == "auto" else task
    if kind == "classification":
        labels = coerce_labels(y)
        classes = np.unique(labels.astype(str)) if labels.dtype == object else np.unique(labels)
        if len(classes) < 2:
            raise DataError(f"target '{name}' has only one class ('{classes[0]}'): classification needs at least 2 different values.")
        yv: np.ndarray = labels
    else:
        yv = _regression_target(y, name)
    return {"X": X, "y": yv, "target": name, "task": kind, "max_categories": max_categories, "n_rows": len(yv)}


def _split(X: pd.DataFrame, y: np.ndarray, task: str, test_size: float, seed: int) -> tuple[Any, Any, Any, Any]:
    from sklearn.model_selection import train_test_split

    if not (0 <= test_size < 1):
        raise UserError(f"--test-size must be in [0, 1). Received: {test_size}.")
    if test_size == 0 or len(y) < 10:
        return X, None, y, None
    strat = None
    if task == "classification":
        _, counts = np.unique(y.astype(str), return_counts=True)
        strat = y if counts.min() >= 2 else None
    try:
        return tuple(train_test_split(X, y, test_size=test_size, random_state=seed, stratify=strat))  # type: ignore[return-value]
    except ValueError:
        return tuple(train_test_split(X, y, test_size=test_size, random_state=seed))  # type: ignore[return-value]


def make_estimator(task: str, params: dict[str, Any], seed: int, quiet: bool) -> Any:
    """An unfitted MLPClassifier/MLPRegressor from CLI options (bad values -> UserError)."""
    from ..estimators import MLPClassifier, MLPRegressor

    cls = MLPClassifier if task == "classification" else MLPRegressor
    params = dict(params)
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
        model._validate_params()
    except (ValueError, TypeError) as exc:
        raise UserError(one_line(exc)) from None
    return model


def run_train(
    data: str, *, target: str | None, features: str | None, out: str, params: dict[str, Any], extra: list[str], task: str,
    test_size: float, max_categories: int, seed: int, quiet: bool, force: bool, as_json: bool, gradient_flow: bool = False,
) -> dict[str, Any]:
    """Load, preprocess, fit, save; print a summary table (or JSON). Returns the summary.

    ``gradient_flow`` adds :class:`hiddenlayers.lens.GradientFlow` on a sample of
    the training rows, so the saved history carries per-layer gradient records.
    """
    out_path = check_output(out, force=force, inputs=(data,), what="--out")
    params = {**params, **_parse_set(extra)}
    if max_categories < 2:
        raise UserError(f"--max-categories must be >= 2. Received: {max_categories}.")
    params, source_pre = _transfer_params(params)
    prep = prepare(data, target, features, task, max_categories)
    X_tr, X_te, y_tr, y_te = _split(prep["X"], prep["y"], prep["task"], test_size, seed)
    if params.get("early_stopping") is None:
        params["early_stopping"] = len(y_tr) >= 1000
    model = make_estimator(prep["task"], params, seed, quiet)
    # --init-from: the source's preprocessing, so its first layer reads the columns (by name) and scales it learned on
    pre = TablePreprocessor.from_dict(source_pre) if source_pre else TablePreprocessor(max_categories=max_categories).fit(X_tr)
    A_tr = pre.transform(X_tr)
    for msg in A_tr.notes:
        note(msg)
    if gradient_flow:
        model.set_params(callbacks=[*(model.callbacks or []), gradient_flow_callback(A_tr.matrix, seed)])
    start = time.perf_counter()
    model = fit_model(model, A_tr.matrix, y_tr)
    elapsed = time.perf_counter() - start
    if gradient_flow and not model.history_.extra.get("gradient_flow"):
        note(f"--gradient-flow recorded nothing: solver '{model.solver}' runs no per-epoch callbacks; use --solver adam or sgd.")
    model.preprocessing_ = {**pre.to_dict(), "target": prep["target"], "task": prep["task"]}
    model.save(out_path)
    summary = _summary(model, prep, pre, X_te, y_te, elapsed, out_path)
    if model.stop_reason_ == "interrupted":
        sys.stderr.write(f"interrupted: the best model so far was saved to {out_path}\n")
    _show_summary(summary, as_json)
    return summary


def _transfer_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``--init-from``/``--freeze`` checked and parsed; the source's layers as the default ``--hidden``.

    Returns the parameters and the source model's stored preprocessing (or None).
    """
    params = dict(params)
    init_from, freeze = params.get("init_from"), params.get("freeze")
    if freeze is not None:
        if not init_from:
            raise UserError("--freeze needs --init-from: freezing fresh random layers would only shrink the model.")
        text = str(freeze).strip()
        params["freeze"] = int(text) if text.isdigit() else text if text == "head_first" else [n.strip() for n in text.split(",") if n.strip()]
    source_pre = None
    if init_from:
        from ..ship import read_metadata

        meta = read_metadata(init_from)  # ModelFileError (one line, exit 2) for a missing or foreign file
        source_pre = meta.get("preprocessing")
        if params.get("hidden_layer_sizes") is None:
            params["hidden_layer_sizes"] = meta["network"]["spec"]
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


def fit_model(model: Any, X: np.ndarray, y: np.ndarray) -> Any:
    """``model.fit(X, y)``; estimator ValueErrors (bad parameter combinations, too little data) become UserErrors."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model.fit(X, y)
        except HiddenLayersError:
            raise
        except (ValueError, TypeError) as exc:
            raise UserError(f"training failed: {one_line(exc)}") from None
    return model


def _summary(model: Any, prep: dict[str, Any], pre: TablePreprocessor, X_te: Any, y_te: Any, elapsed: float, out: Path) -> dict[str, Any]:
    from ..training import STOP_REASONS

    s: dict[str, Any] = {
        "model": str(out), "task": prep["task"], "target": prep["target"], "rows": prep["n_rows"],
        "features": len(pre.feature_names), "inputs": len(pre.output_names), "spec": model.network_.spec.to_text(),
        "epochs": int(model.n_iter_), "stop_reason": model.stop_reason_, "stop_message": STOP_REASONS.get(model.stop_reason_ or "", ""),
        "parameters": int(model.n_parameters_), "seconds": round(elapsed, 3),
    }
    flow = model.history_.extra.get("gradient_flow")
    if flow:
        s["gradient_flow_epochs"] = len(flow)
    if X_te is not None:
        m = metrics(model, pre.transform(X_te).matrix, y_te)
        s["test_rows"] = len(y_te)
        s["test_metrics"] = {k: v for k, v in m.items() if k != "confusion_matrix"}
    return s


def _show_summary(s: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(clean(s))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="training summary", show_header=False, title_justify="left")
    t.add_column("", style="bold")
    t.add_column("")
    for k, v in [("task", s["task"]), ("target", s["target"]), ("hidden layers", s["spec"])]:
        t.add_row(k, str(v))
    for k, v in s.get("test_metrics", {}).items():
        t.add_row(f"held-out {k.replace('_', ' ')}", f"{v:.4f}")
    if "test_rows" in s:
        t.add_row("held-out rows", str(s["test_rows"]))
    t.add_row("epochs", str(s["epochs"]))
    t.add_row("stop reason", f"{s['stop_reason']} ({s['stop_message']})" if s["stop_message"] else str(s["stop_reason"]))
    t.add_row("parameters", f"{s['parameters']:,}")
    if "gradient_flow_epochs" in s:
        t.add_row("gradient flow", f"recorded for {s['gradient_flow_epochs']} epochs (see `hiddenlayers inspect`)")
    t.add_row("time", f"{s['seconds']:.2f} s")
    t.add_row("saved to", s["model"])
    Console().print(t)


def metrics(model: Any, A: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Classifier: accuracy, balanced accuracy, F1 (macro), confusion matrix; regressor: R², MAE, RMSE."""
    return prediction_metrics(model.predict(A), y, getattr(model, "classes_", None))


def prediction_metrics(pred: np.ndarray, y: np.ndarray, classes: Any = None) -> dict[str, Any]:
    """:func:`metrics` from predictions: ``classes`` (a classifier's ``classes_``) picks the classification metrics."""
    from sklearn import metrics as M

    if classes is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels = list(classes)
            return {
                "accuracy": float(M.accuracy_score(y, pred)),
                "balanced_accuracy": float(M.balanced_accuracy_score(y, pred)),
                "f1_macro": float(M.f1_score(y, pred, average="macro", labels=labels, zero_division=0)),
                "confusion_matrix": {"labels": [str(c) for c in labels], "matrix": M.confusion_matrix(y, pred, labels=labels).tolist()},
            }
    return {
        "r2": float(M.r2_score(y, pred)) if len(y) > 1 else float("nan"),
        "mae": float(M.mean_absolute_error(y, pred)),
        "rmse": float(np.sqrt(M.mean_squared_error(y, pred))),
    }


def load_model(path: str) -> Any:
    from ..ship import load

    return load(path)


def model_inputs(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """The matrix ``model`` reads, from a raw table (its stored preprocessing, or plain numeric columns)."""
    state = getattr(model, "preprocessing_", None)
    if state:
        pre = TablePreprocessor.from_dict(state)
        target = state.get("target")
        if target in frame.columns and target not in pre.feature_names:
            frame = frame.drop(columns=[target])
        res = pre.transform(frame)
        for msg in res.notes:
            note(msg)
        return res.matrix
    names = [str(n) for n in getattr(model, "feature_names_in_", [])]
    if names:
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise DataError(f"the data lacks column(s) {', '.join(map(repr, missing[:10]))} that the model was trained on.")
        frame = frame[names]
    if frame.shape[1] != model.n_features_in_:
        raise DataError(f"the model expects {model.n_features_in_} numeric columns; the data has {frame.shape[1]}: pass the same columns as in training.")
    try:
        return frame.to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise DataError("this model has no stored preprocessing, so every column must be numeric: convert text columns first.") from None


def run_predict(model_path: str, data: str, *, proba: bool, out: str | None, force: bool) -> None:
    """Write predictions (and probabilities) as CSV on stdout, or to ``out`` by its suffix."""
    if out is not None:
        check_output(out, force=force, inputs=(data,), what="--out")
        suffix = Path(out).suffix.lower()
        if suffix not in (".csv", ".tsv", ".jsonl", ".parquet"):
            raise UserError(f"--out must end in .csv, .tsv, .jsonl or .parquet. Received: {out!r}.")
    if Path(model_path).suffix.lower() == ".onnx":
        from ._rightsize import predict_onnx

        result = predict_onnx(model_path, data, proba=proba)
    else:
        result = _predict_frame(model_path, data, proba)
    if out is None:
        try:
            result.to_csv(sys.stdout, index=False)
        except BrokenPipeError:  # e.g. `| head`: the reader left, nothing more to do
            sys.stderr.close()
        return
    _write_table(result, Path(out))
    note(f"wrote {len(result)} predictions to {out}")


def _predict_frame(model_path: str, data: str, proba: bool) -> pd.DataFrame:
    """Predictions (and probabilities) of a .safetensors model on ``data``, as a DataFrame."""
    model = load_model(model_path)
    if proba and not hasattr(model, "classes_"):
        raise UserError("--proba needs a classifier; this model is a regressor: drop --proba.")
    frame = load_table(data)
    A = model_inputs(model, frame)
    state = getattr(model, "preprocessing_", None) or {}
    col = f"predicted_{state.get('target') or 'value'}"
    pred = model.predict(A)
    result = pd.DataFrame({col: pred} if np.ndim(pred) == 1 else {f"{col}_{i}": pred[:, i] for i in range(pred.shape[1])})
    if proba:
        P = model.predict_proba(A)
        for i, c in enumerate(model.classes_):
            result[f"proba_{c}"] = P[:, i]
    return result


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    import io

    from .._files import atomic_write_bytes

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        data = buf.getvalue()
    elif suffix == ".jsonl":
        data = frame.to_json(orient="records", lines=True).encode()
    else:
        data = frame.to_csv(index=False, sep="\t" if suffix == ".tsv" else ",").encode()
    atomic_write_bytes(path, data)


def labelled(model: Any, data: str, target: str | None) -> tuple[Any, Any, Any]:
    """(raw feature table, model matrix, labels) of labelled ``data``, read with the model's stored preprocessing."""
    stored = (getattr(model, "preprocessing_", None) or {}).get("target")
    raw, y_raw, name = read_labelled(data, target, stored, "this model file does not record its target column: pass --target COLUMN.")
    y = coerce_labels(y_raw, model.classes_) if hasattr(model, "classes_") else _regression_target(y_raw, name)
    return raw, model_inputs(model, raw), y


def run_evaluate(model_path: str, data: str, *, target: str | None, as_json: bool) -> dict[str, Any]:
    """Metrics of a saved model on labelled ``data``; printed as tables or JSON."""
    model = load_model(model_path)
    _, A, y = labelled(model, data, target)
    m = metrics(model, A, y)
    result = {"model": model_path, "data": data, "rows": len(y), "task": "classification" if hasattr(model, "classes_") else "regression", "metrics": m}
    show_evaluation(result, as_json)
    return result


def show_evaluation(result: dict[str, Any], as_json: bool) -> None:
    """Print ``evaluate``'s result (``rows``, ``task``, ``metrics``) as JSON or as the metric and confusion-matrix tables."""
    if as_json:
        print_json(clean(result))
        return
    m = result["metrics"]
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"{result['task']} metrics on {result['rows']} rows", title_justify="left")
    t.add_column("metric")
    t.add_column("value", justify="right")
    for k, v in m.items():
        if k != "confusion_matrix":
            t.add_row(k.replace("_", " "), f"{v:.4f}")
    con.print(t)
    if "confusion_matrix" in m:
        cm = m["confusion_matrix"]
        c = Table(title="confusion matrix (rows: true, columns: predicted)", title_justify="left")
        c.add_column("")
        for lab in cm["labels"]:
            c.add_column(lab, justify="right")
        for lab, row in zip(cm["labels"], cm["matrix"]):
            c.add_row(lab, *(str(v) for v in row))
        con.print(c)
