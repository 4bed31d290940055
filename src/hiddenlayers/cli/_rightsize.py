"""The right-sizing commands: ``cost``, ``search``, ``prune``, ``export``, and ``predict`` on an ``.onnx`` file.

Heavy imports (PyTorch, Optuna, onnxruntime) happen inside each function, so
``cli.py`` stays fast to import. Every user mistake becomes a :class:`UserError`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .._words import article
from ._common import (
    SEARCH_KEY,
    WEIGHT_COLUMN_KEY,
    UserError,
    check_output,
    check_report_output,
    clean,
    note,
    one_line,
    print_json,
    refuse_absent_inputs,
    rows_of,
)
from ._header import check_named_columns

OBJECTIVE_ALIASES = {"accuracy": "score", "score": "score", "r2": "score", "params": "params", "parameters": "params",
                     "flops": "flops", "latency": "latency"}
MAX_LAYERS = 8


# ------------------------------------------------------------------ parsers
def parse_layers(text: str) -> tuple[int, int]:
    """``"1-3"`` -> ``(1, 3)``; ``"2"`` -> ``(2, 2)``; bounds within 1..8."""
    m = re.fullmatch(r"\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?", text or "")
    if not m:
        raise UserError(f"--layers takes a count or a range like 1-3. Received: {text!r}.")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) is not None else lo
    if not 1 <= lo <= hi <= MAX_LAYERS:
        raise UserError(f"--layers must be MIN-MAX with 1 <= MIN <= MAX <= {MAX_LAYERS}. Received: {text!r}.")
    return lo, hi


def parse_widths(text: str) -> tuple[int, ...]:
    """``"16,32,64"`` -> ``(16, 32, 64)`` (sorted, unique); every width an integer in 1..65536."""
    parts = [p.strip() for p in (text or "").split(",")]
    if not parts or any(not re.fullmatch(r"\d{1,6}", p) for p in parts):
        raise UserError(f"--widths takes comma-separated whole numbers like 16,32,64. Received: {text!r}.")
    widths = sorted({int(p) for p in parts})
    if widths[0] < 1 or widths[-1] > 65536:
        raise UserError(f"--widths must be between 1 and 65536. Received: {text!r}.")
    return tuple(widths)


def parse_activations(text: str) -> tuple[str, ...]:
    """``"relu,tanh"`` -> ``("relu", "tanh")``, each checked against the activation table."""
    from ..network import canonical_activation

    names = [p.strip().lower() for p in (text or "").split(",") if p.strip()]
    if not names:
        raise UserError(f"--activations takes comma-separated names like relu,tanh. Received: {text!r}.")
    out = []
    for n in names:
        try:
            out.append(canonical_activation(n))
        except ValueError as exc:
            raise UserError(f"--activations: {one_line(exc)}") from None
    return tuple(dict.fromkeys(out))


def _choice_list(option: str, text: str, allowed: dict[str, Any], example: str, refused: dict[str, str] | None = None) -> tuple[Any, ...]:
    """``"a,b"`` -> the values ``allowed`` maps each name to (case and spaces aside, repeats dropped); else one line naming ``option``."""
    names = [p.strip().lower() for p in (text or "").split(",") if p.strip()]
    bad = [n for n in names if n not in allowed]
    if not names or bad:
        why = (refused or {}).get(bad[0], "") if bad else ""
        raise UserError(f"{option} takes comma-separated names from {', '.join(allowed)}{why}, e.g. {example}. Received: {text!r}.")
    return tuple(dict.fromkeys(allowed[n] for n in names))


def parse_weight_averaging(text: str) -> tuple[str | None, ...]:
    """``"none,swa"`` -> ``(None, "swa")``: the weight averaging a search tries (none, ema, swa)."""
    return _choice_list("--weight-averaging", text, {"none": None, "ema": "ema", "swa": "swa"}, "none,swa")


def parse_solvers(text: str) -> tuple[str, ...]:
    """``"adam,sgd"`` -> ``("adam", "sgd")``: the solvers a search tries (lbfgs refused: it has no epochs for a trial to score)."""
    from ..rightsize import SEARCH_SOLVERS

    return _choice_list("--solvers", text, {n: n for n in SEARCH_SOLVERS}, "adam,sgd",
                        {"lbfgs": " (not lbfgs: it has no epochs for a trial to score and stop)"})


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def parse_learning_rates(text: str) -> tuple[float, float] | dict[str, tuple[float, float]]:
    """``--lr``'s text: ``"3e-4,3e-2"`` (or ``3e-4:3e-2``; one number fixes it) -> one ``(low, high)`` for every solver;
    ``"sgd=0.01:0.3,adam=3e-4:3e-2"`` -> ``{solver: (low, high)}``, each named solver's range (``sgd=0.05`` fixes it).

    Only the form is checked here; the values (> 0, low <= high, solver names) are :class:`~hiddenlayers.rightsize.SearchSpace`'s check.
    """
    usage = ("--lr takes LOW,HIGH (one range for every solver, e.g. 3e-4,3e-2) or SOLVER=LOW:HIGH,... (e.g. "
             f"sgd=0.01:0.3,adam=3e-4:3e-2). Received: {text!r}.")
    body = (text or "").strip()
    if "=" not in body:
        m = re.fullmatch(rf"\s*({_NUMBER})\s*(?:[,:]\s*({_NUMBER})\s*)?", body)
        if not m:
            raise UserError(usage)
        return _finite_pair(m.group(1), m.group(2), usage)
    out: dict[str, tuple[float, float]] = {}
    for part in body.split(","):
        m = re.fullmatch(rf"\s*([A-Za-z]\w*)\s*=\s*({_NUMBER})\s*(?::\s*({_NUMBER})\s*)?", part)
        if not m:
            raise UserError(usage)
        if m.group(1).lower() in out:
            raise UserError(f"--lr names solver {m.group(1).lower()!r} twice: give each solver one range. Received: {text!r}.")
        out[m.group(1).lower()] = _finite_pair(m.group(2), m.group(3), usage)
    return out


def _finite_pair(low: str, high: str | None, usage: str) -> tuple[float, float]:
    """``(float(low), float(high))`` (``high`` None: ``low`` twice); a number too large for a float is ``usage``'s error."""
    lo, hi = float(low), float(low if high is None else high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UserError(usage)
    return lo, hi


def search_learning_rates(text: str | None, solvers: tuple[str, ...]) -> dict[str, Any]:
    """The space's ``learning_rate_init`` from ``--lr`` (``{}``: the per-solver defaults): a per-solver form fills the solvers
    it does not name from :data:`~hiddenlayers.rightsize.DEFAULT_LEARNING_RATES`; naming a solver ``--solvers`` does not try is an error."""
    if text is None:
        return {}
    from ..rightsize import DEFAULT_LEARNING_RATES, SEARCH_SOLVERS

    rates = parse_learning_rates(text)
    if not isinstance(rates, dict):
        return {"learning_rate_init": rates}
    unused = [s for s in rates if s in SEARCH_SOLVERS and s not in solvers]  # another name: the space's check suggests one
    if unused:
        raise UserError(f"--lr names solver {unused[0]!r}, which --solvers ({','.join(solvers)}) does not try: add it to --solvers, or drop it from --lr.")
    return {"learning_rate_init": {**DEFAULT_LEARNING_RATES, **rates}}


def parse_objectives(text: str) -> tuple[str, ...]:
    """``"accuracy,params,latency"`` -> ``("score", "params", "latency")``; the score always comes first."""
    names = [p.strip().lower() for p in (text or "").split(",") if p.strip()]
    bad = [n for n in names if n not in OBJECTIVE_ALIASES]
    if not names or bad:
        raise UserError(f"--objectives: unknown objective {bad[0] if bad else text!r}; choose from accuracy (or r2), params, flops, latency, e.g. accuracy,latency.")
    out = tuple(dict.fromkeys(OBJECTIVE_ALIASES[n] for n in names))
    return ("score", *(o for o in out if o != "score"))


# ------------------------------------------------------------------ shared
def _load_estimator(path: str) -> Any:
    if Path(path).suffix.lower() == ".onnx":
        raise UserError(f"'{path}' is an ONNX file: this command needs the .safetensors model file it was exported from.")
    from ._appfiles import app_kind, app_refusal
    from ._data import load_model

    kind = app_kind(path)
    if kind is not None:
        raise app_refusal(path, kind, "this command")
    model = load_model(path)
    if not hasattr(model, "network_") or type(model).__name__ not in ("MLPClassifier", "MLPRegressor"):
        raise UserError(f"'{path}' holds {article(type(model).__name__)}; this command takes a model trained by `hiddenlayers train`.")
    return model


def _load_exportable(path: str, data: str | None) -> Any:
    """A model file ``export`` takes: a table model (from `hiddenlayers train`), a saved Pipeline of scikit-learn steps then an MLP
    (the Pipeline), or a saved app named in ``ONNX_APPS``."""
    if Path(path).suffix.lower() == ".onnx":
        return _load_estimator(path)  # its one-line refusal
    from ..ship import ONNX_APPS
    from ._data import load_model

    model = load_model(path, pipeline=True)  # a Pipeline of scikit-learn steps then an MLP: exported whole, its steps in the graph
    kind = type(model).__name__
    if kind == "Pipeline":  # DATA's numeric columns read as predict reads them (by name where it was fitted on a DataFrame)
        return model
    if kind in ONNX_APPS:  # DATA: its parity inputs, read as predict reads them (run_export, ._appexport)
        return model
    if not hasattr(model, "network_") or kind not in ("MLPClassifier", "MLPRegressor"):
        from ._appfiles import app_refusal

        raise app_refusal(path, kind, "export", f"a model trained by `hiddenlayers train`, or a saved {', '.join(ONNX_APPS)}")
    return model


def _show(report: Any, as_json: bool, extra: dict[str, Any] | None = None, words: Any = None) -> None:
    """Print ``report``'s table (or its JSON with ``extra``); ``words``: what puts its caption in the command's words (None: as it is)."""
    if as_json:
        print_json(clean({**report.to_dict(), **(extra or {})}))
        return
    from ._common import print_table

    table = report.table()
    if words is not None and table.caption:
        table.caption = words(str(table.caption))
    print_table(_console(), table)  # prune's caption (what its figures mean) is wider than its four columns


def _console() -> Any:
    """Rich console on stdout (markup off: paths and layer names print as given); when piped (no terminal to fit), wide enough
    for the cost table's ten columns, unless ``COLUMNS`` sets the width (``COLUMNS=60 hiddenlayers cost m | less`` printed
    113-column tables and 158-column notes), as it does for every other command's tables."""
    from .._rich_plain import console

    con = console()
    return con if con.is_terminal or os.environ.get("COLUMNS", "").strip().isdigit() else console(width=160)


# ------------------------------------------------------------------ cost
def run_cost(model_path: str, *, batch: int, calls: int, watts: float | None, as_json: bool) -> dict[str, Any]:
    """Measure a model file's cost; print the per-layer table (or JSON)."""
    if batch < 1:
        raise UserError(f"--batch-size must be an integer >= 1. Received: {batch}.")
    if calls < 10:
        raise UserError(f"--calls must be an integer >= 10 (timed batch-1 calls). Received: {calls}.")
    if watts is not None and not watts > 0:
        raise UserError(f"--watts must be a positive power in watts. Received: {watts}.")
    report = _measure(model_path, batch=batch, calls=calls, watts=watts)
    # what shipping it takes: the file holds the weights and its metadata (preprocessing, provenance) beside them
    file_bytes = os.path.getsize(model_path)
    _show(report, as_json, {"model": model_path, "file_bytes": file_bytes})
    if not as_json:
        _console().print(f"model file: {file_bytes:,} bytes on disk ({report.weight_bytes:,} bytes of weights, the rest its metadata)")
    return {**report.to_dict(), "file_bytes": file_bytes}


def _measure(model_path: str, *, batch: int, calls: int, watts: float | None) -> Any:
    """The cost report of a table model's file, or of an application's (:mod:`._appcost`: each on its fitted input)."""
    from ._appfiles import app_kind

    if app_kind(model_path) is not None:
        from ._appcost import app_cost
        from ._data import load_model

        return app_cost(load_model(model_path), model_path, batch_size=batch, n_calls=calls, watts=watts)
    model, encoded = _load_prunable(model_path)
    from ..rightsize import cost

    try:  # a Pipeline (of scikit-learn steps, or a TableEncoder's) as hl.cost(pipe) measures it: its MLP's, the steps named, not counted
        report = cost(model if encoded is None else encoded, batch_size=batch, n_calls=calls, watts=watts)
    except ValueError as exc:
        raise UserError(_cost_words(one_line(exc))) from None
    report.notes = [_cost_words(n) for n in report.notes]
    return report


def _cost_words(message: str) -> str:
    """A note of ``hl.cost(pipe)`` in ``cost``'s words: the command times random rows (it takes no data, so no ``X=`` to pass),
    and its ``predict()`` figure is the MLP's on them, not ``pipe[-1].predict`` (a Python name the user never typed)."""
    from ._option_words import named_options

    for said, words in ((" (pass X= for real ones)", ""), ("predict() is pipe[-1].predict", "predict() is the MLP's own, on those rows")):
        message = message.replace(said, words)
    return named_options(message, _COST_OPTIONS)


#: cost()'s parameters that ``cost`` sets, and its option for each
_COST_OPTIONS = {"batch_size": "--batch-size", "n_calls": "--calls"}  # not watts: also a word ("a number of watts")
#: prune()'s parameters that ``prune`` sets, and its option for each
_PRUNE_OPTIONS = {"max_drop": "--max-drop", "fine_tune_epochs": "--epochs", "random_state": "--seed"}


def _prune_words(message: str) -> str:
    """prune()'s message in ``prune``'s words: its parameters as the options that set them (``a larger max_drop`` -> ``a larger
    --max-drop``), and ``max_ratio`` (no option: the command cuts at most prune()'s default share) said as what it is."""
    from ._option_words import named_options

    message = re.sub(r"(?<![\w-])max_ratio=(\S+) of layers of", r"cutting at most \1 of the units of layers of", message)
    return named_options(message, _PRUNE_OPTIONS)


# ------------------------------------------------------------------ prune
def run_prune(model_path: str, data: str, *, target: str | None, max_drop: float, out: str, epochs: int, seed: int,
              force: bool, as_json: bool, check: bool = True) -> dict[str, Any]:
    """Prune hidden units within ``max_drop``; save the smaller model with the same preprocessing.

    ``check`` runs the fast data checks on ``data`` as the model reads it (its
    columns, target and task), as ``train`` does: a short summary on stderr, and a
    fatal finding refused before any unit is cut.
    """
    check_named_columns(data, target=target)  # a misspelt --target before an existing --out
    out_path = check_output(out, force=force, inputs=(data, model_path), what="--out")  # never the model being pruned, as distill never writes over its teacher
    if not 0 <= max_drop < 1:
        raise UserError(f"--max-drop must be a score drop in [0, 1), e.g. 0.005 for half a point of accuracy. Received: {max_drop}.")
    if epochs < 0:
        raise UserError(f"--epochs must be >= 0. Received: {epochs}.")
    model, encoded = _load_prunable(model_path)
    from ._check import fast_check_for_model, print_check_summary, read_checked, refuse_fatal
    from ._data import labelled, named_rows

    table, found = read_checked(data) if check else (None, [])
    held = io.StringIO()  # its notes (unseen values, dropped rows) wait: a refusal below stays the only line on stderr
    with contextlib.redirect_stderr(held):
        _, A, y = labelled(model, data, target, table=table)  # its errors first: they name the problem more precisely than a finding
    A = named_rows(model, A)  # a Pipeline of steps fitted on a DataFrame: its predict, timed, reads the names it was fitted with
    checked = fast_check_for_model(model, table.frame, found, target, table) if table is not None else None
    refuse_fatal(checked, table.drop_summary() if table is not None else "")
    if len(y) < 10:
        raise UserError(f"prune needs at least 10 labelled rows to hold some out; '{data}' has {len(y)}.")
    sys.stderr.write(held.getvalue())
    if checked is not None:
        print_check_summary(checked)
    import warnings

    from ..rightsize import prune

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            small = prune(model, A, y, max_drop=max_drop, fine_tune_epochs=epochs, random_state=seed)
    except ValueError as exc:
        raise UserError(_prune_words(one_line(exc))) from None
    report = small.prune_report_
    for w in caught:  # one line each, not Python's warning format; a no-cut warning is the no-cut note below
        if str(w.message).startswith("prune()") and "nothing was cut" not in str(w.message):
            note(_prune_words(one_line(w.message) if isinstance(w.message, Warning) else str(w.message)))
    _save_pruned(small, model, encoded, out_path)  # unchanged when no cut is kept: the user asked for a file at --out, and gets the model as it is
    if report.no_cut_reason:
        report.no_cut_reason = _prune_words(report.no_cut_reason)
    _show(report, as_json, {"model": str(out_path)}, words=_prune_words)
    if not report.cut:
        note(f"no cut kept: {report.no_cut_reason}; the model is unchanged (wrote an unchanged copy of it to {out_path})")
    elif not as_json:
        note(f"estimated score drop {report.drop:+.4f}, {100 * report.confidence:g}% interval "
             f"[{report.drop_low:+.4f}, {report.drop_high:+.4f}] (cut kept only when its upper end <= {report.max_drop})")
        note(f"saved the pruned model to {out_path}")
    return report.to_dict()


def _load_prunable(path: str) -> tuple[Any, Any]:
    """``(model, encoded)``: what ``prune`` reads ``path``'s table through and cuts, and the saved Pipeline of a TableEncoder then
    the MLP when the file holds one (else None).

    A saved Pipeline of scikit-learn steps then an MLP is the Pipeline itself (``hl.prune`` cuts its MLP on the rows through its
    steps, as ``predict`` reads them); an encoder's Pipeline is its MLP with the stored preprocessing, as every command reads it,
    and the Pipeline beside it, so the pruned file is a Pipeline file again.
    """
    if Path(path).suffix.lower() == ".onnx":
        return _load_estimator(path), None  # its one-line refusal
    from .._meta import PIPELINE_KEY
    from ..ship import load, read_metadata, stored_steps

    meta = read_metadata(path)
    if stored_steps(meta):
        from ._data import load_model

        return load_model(path, pipeline=True), None
    model = _load_estimator(path)
    return model, (load(path) if isinstance(meta.get(PIPELINE_KEY), dict) else None)


def _save_pruned(small: Any, model: Any, encoded: Any, out_path: Path) -> None:
    """Write ``prune``'s result to ``out_path`` in the form ``model``'s file had: the Pipeline of scikit-learn steps, the encoder's
    Pipeline (``encoded``, its MLP the pruned one), or the MLP with ``model``'s stored preprocessing (atomic, each)."""
    from sklearn.pipeline import Pipeline

    from ..ship import save

    if isinstance(small, Pipeline):
        save(small, out_path)
    elif encoded is not None:
        small.preprocessing_ = None  # the encoder's Pipeline file stores it from the encoder: the MLP alone must not hold it too
        save(type(encoded)(**{**encoded.get_params(deep=False), "steps": [*encoded.steps[:-1], (encoded.steps[-1][0], small)]}), out_path)
    else:
        small.preprocessing_ = getattr(model, "preprocessing_", None)
        small.save(out_path)


# ------------------------------------------------------------------ export
def run_export(model_path: str, data: str | None, *, target: str | None, out: str, int8: bool, force: bool, as_json: bool,
               input_dtype: str = "float32", dtype: str | None = None, int8_tolerance: float | None = None,
               text_column: str | None = None) -> dict[str, Any]:
    """Write the ONNX file (and its int8 copy); report parity and, with data, the score before/after int8.
    ``dtype``: an application's graph float type (``--dtype``; None: the model's own); ``int8_tolerance``: ``--int8-tolerance``,
    the largest difference of the int8 copy's answers from the model's that its file is written with (None: no limit);
    ``text_column``: ``--text-column``, DATA's column of texts for a TextClassifier's parity (None: predict's default)."""
    from ..exceptions import QuantizedToleranceError
    from ..ship import INPUT_DTYPES, ONNX_APPS

    if int8_tolerance is not None and not int8_tolerance >= 0:
        raise UserError(f"--int8-tolerance must be a number >= 0 (the largest difference of the int8 copy's answers from the model's), "
                        f"e.g. 0.05. Received: {int8_tolerance}.")
    if int8_tolerance is not None and not int8:
        raise UserError("--int8-tolerance bounds the int8 copy's answers: pass --int8 too, or leave --int8-tolerance out.")

    if input_dtype not in INPUT_DTYPES:
        raise UserError(f"--input-dtype must be one of {', '.join(INPUT_DTYPES)}. Received: {input_dtype!r}.")
    if dtype not in (None, "float32", "float64"):
        raise UserError(f"--dtype must be float32 or float64 (an application's graph float type; default: the model's own). Received: {dtype!r}.")
    if Path(out).suffix.lower() != ".onnx":
        raise UserError(f"--out must end in .onnx. Received: {out!r}.")
    out_path = check_output(out, force=force, what="--out", example="model.onnx")
    qpath = out_path.with_name(out_path.stem + ".int8.onnx")
    if int8:
        check_output(qpath, force=force, what="int8 output")
    if target is not None and data is None:
        raise UserError("--target needs DATA: give the labelled data file after the model, e.g. `hiddenlayers export model.safetensors test.csv --target label`.")
    if text_column is not None and data is None:
        raise UserError("--text-column names DATA's column of texts: give the data file after the model, or drop --text-column.")
    model = _load_exportable(model_path, data)
    if text_column is not None:
        from ._appfiles import check_app_options

        kind = type(model).__name__
        check_app_options(kind if kind in ONNX_APPS else None, model_path, text_column=text_column)
    X = y = None
    if data is not None and type(model).__name__ in ONNX_APPS:
        from ._appexport import export_inputs

        X = export_inputs(model, model_path, data, target, text_column)
    elif data is not None:
        from ._data import export_rows

        raw, A, y = export_rows(model, data, target)
        X = raw if getattr(model, "preprocessing_", None) else A
    from ..ship import export_onnx

    try:
        report = export_onnx(model, out_path, X=X, y=y, quantize=int8, quantized_path=qpath if int8 else None,
                             quantized_tolerance=int8_tolerance, input_dtype=input_dtype, dtype=dtype)
    except QuantizedToleranceError as exc:  # the float file was written: show its report, then refuse in one line (exit 2)
        _show(exc.report, as_json, {"model": model_path})
        raise UserError(_export_words(one_line(exc))) from None
    except ValueError as exc:
        raise UserError(_export_words(one_line(exc))) from None
    _show(report, as_json, {"model": model_path})
    return report.to_dict()


def _export_words(message: str) -> str:
    """``export_onnx``'s remedies in ``export``'s options: ``quantize=True`` is ``--int8``, ``dtype='float32'`` is ``--dtype float32``
    (an app's graph type) or ``train --dtype float32`` (a table model's), ``input_dtype='uint8'`` is ``--input-dtype uint8``, and
    ``leave dtype=None`` is ``leave --dtype out``. Only these phrases, each in one message's words: a user of ``export`` typed
    ``--dtype``, and ``dtype=None`` names nothing they can type."""
    for said, option in (("quantize=True", "--int8"), ("without quantize", "without --int8"),
                         ("fit with dtype='float32'", "train it with --dtype float32"), ("or with dtype='float32'", "or with --dtype float32"),
                         ("fit it with dtype=", "train it with dtype="), ("refit with that dtype", "train it again with that --dtype"),
                         ("leave dtype=None, or 'float32'", "leave --dtype out, or give float32"), ("leave dtype=None", "leave --dtype out"),
                         ("quantized_tolerance=", "--int8-tolerance "), ("raise quantized_tolerance", "raise --int8-tolerance")):
        message = message.replace(said, option)
    message = re.sub(r"(?<![\w-])input_dtype='(\w+)'", r"--input-dtype \1", message)
    return re.sub(r"(?<![\w-])dtype='(\w+)'", r"--dtype \1", message)


# ------------------------------------------------------------------ predict (.onnx)


# ------------------------------------------------------------------ search
def _check_storage(storage: str) -> None:
    """``--storage`` checked before any trial runs (read only): its folder exists and an existing file is an Optuna study store."""
    from ..rightsize import storage_problem

    problem = storage_problem(storage, folder=True)
    if problem is not None:
        raise UserError(f"--storage: {problem}")


def run_search(data: str, *, target: str | None, features: str | None, objectives: str, trials: int, timeout: float | None,
               storage: str | None, study: str, workers: int, max_params: int | None, max_latency_us: float | None,
               layers: str, widths: str, activations: str, epochs: int, max_categories: int, seed: int, out_dir: str,
               html: str | None, force: bool, as_json: bool, check: bool = True, class_weight: str | None = None,
               label_smoothing: float | None = None, sample_weight: str | None = None, scale_target: bool | None = None,
               weight_averaging: str = "none", solvers: str = "adam", lr: str | None = None, budget: dict[str, Any] | None = None,
               validation: str | None = None) -> dict[str, Any]:
    """Search hidden-layer configurations on a table; save the best (or the Pareto front) as model files.

    ``check`` runs the fast data checks first, as ``train`` does: a short summary
    on stderr, and a fatal finding refused before any trial runs. ``class_weight``
    (``--class-weight``'s text) and ``label_smoothing`` reach every trial, as ``train``'s; so do the weights
    of the ``sample_weight`` column, which also weight the held-out score that ranks the trials. ``scale_target``
    (``--scale-target``, None: unset): decided as ``train`` decides it, so a regression's trials train as ``train`` would.
    ``weight_averaging`` and ``solvers``: ``--weight-averaging`` / ``--solvers``' comma lists, the choices every trial samples among;
    ``lr``: ``--lr``'s text (:func:`parse_learning_rates`; None: each solver's default range). ``budget``: ``--cv`` (text),
    ``--patience``, ``--validation-fraction``, ``--max-flops`` and ``--max-saved`` as given (None: search()'s defaults);
    ``validation``: a file of DATA's columns whose rows score every trial (search()'s ``X_val``; :func:`~._validation.validation_rows`).
    """
    from ._train import classifier_options, model_state, target_scaling_option

    tried = parse_solvers(solvers)
    settings, folder = _search_settings(
        data, objectives=objectives, trials=trials, timeout=timeout, storage=storage, study=study, workers=workers,
        max_params=max_params, max_latency_us=max_latency_us, layers=layers, widths=widths, activations=activations,
        epochs=epochs, max_categories=max_categories, out_dir=out_dir, html=html, force=force,
        classifier={"class_weight": class_weight, "label_smoothing": label_smoothing},
        choices={"weight_averaging": parse_weight_averaging(weight_averaging), "solvers": tried, **search_learning_rates(lr, tried)},
        budget=budget, validation=validation)
    from ..rightsize import ResumedBudgetError, close_study, search
    from ._option_words import named_options

    matrix, prep, pre = _search_table(data, target, features, max_categories, check, settings, sample_weight)
    given = classifier_options(prep["task"], {"class_weight": class_weight, "label_smoothing": label_smoothing}, prep["y"], fix="drop it")
    settings.update({k: v for k, v in given.items() if v is not None})
    settings.update(target_scaling_option(prep["task"], {"scale_target": scale_target}))  # {} for classification
    val: dict[str, Any] = {}
    if validation is not None:  # read through DATA's preprocessing, as train --validation reads it
        from ._validation import validation_rows

        val = dict(zip(("X_val", "y_val", "sample_weight_val"), validation_rows(validation, pre, model_state(pre, prep), prep["task"], prep["y"])))
    try:
        with _trial_log_in_option_words():
            found = search(matrix, prep["y"], **settings, **val, task=prep["task"], study_name=study, random_state=seed, save_dir=None,
                           refit=True, before_refit=_outputs_still_ours(folder, study, html, force), progress=not as_json,
                           sample_weight=prep["w"])
    except ResumedBudgetError as exc:
        raise UserError(_budget_refusal(exc)) from None
    except (ValueError, TypeError) as exc:
        raise UserError(_study_option(_search_option(one_line(exc)))) from None
    except RuntimeError as exc:
        if str(exc).startswith(("no feasible trial", "no trial finished")):
            raise UserError(named_options(trial_words(one_line(exc)), _SEARCH_BUDGETS)) from None  # "raise --max-latency-us"
        raise
    except KeyboardInterrupt:
        note(f"the finished trials are kept in {storage}: the same command resumes study '{study}'" if storage else
             "the trials were in memory and are lost: pass --storage FILE.db to make a search resumable")
        raise
    if timeout is not None and found.n_trials < trials:  # Optuna's timeout: no trial starts after it, and the study is short
        how = "the same command resumes it" if storage else "pass --storage FILE.db to make a search resumable"
        note(f"--timeout {timeout:g} s stopped the search at {found.n_trials} of {trials} trials: {how}, or give a longer --timeout")
    extra = {"max_flops": settings["max_flops"], "max_saved": settings["max_saved"], "validation": validation,
             "validation_rows": len(val["y_val"]) if val else None}
    try:
        return _save_found(found, model_state(pre, prep), folder, study, html, as_json, extra, force=force)
    finally:  # search() closed the storage, but reading and recording the saved files connected the study's engine again
        close_study(found.study)


#: the divergence remedy a failed trial names, as search's option: the trial's rate came from the --lr range
_TRIAL_REMEDIES = {"learning_rate_init": "--lr"}


def trial_words(message: str) -> str:
    """A failed trial's reason in the command's words: ``lower learning_rate_init (now 0.3), scale the inputs, or set clip_grad_norm``
    -> ``lower --lr (now 0.3), or scale the inputs``. Why: search has no option for the trials' ``clip_grad_norm``, so that remedy
    is dropped rather than named as a Python parameter (``train --clip-grad-norm`` has it for the chosen configuration).

    ``message``: the text that holds the trials' reasons (``search()``'s "no trial finished" error, the failures note).
    """
    from ._option_words import option_words

    return option_words(re.sub(r", scale the inputs, or set clip_grad_norm\b", ", or scale the inputs", message), _TRIAL_REMEDIES)


class _TrialLogWords:
    """A logging filter on Optuna's trial log: the reason of its "Trial N failed with parameters: {...} because of the following
    error: ..." line in :func:`trial_words` (the sampled parameters' names before it are kept: they are the study's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        head, sep, reason = record.getMessage().partition(_BECAUSE)
        if sep:
            record.msg, record.args = head + sep + trial_words(reason), ()
        return True


_BECAUSE = " because of the following error: "  # Optuna's words before a failed trial's exception (optuna/study/_optimize.py)


@contextlib.contextmanager
def _trial_log_in_option_words() -> Iterator[None]:
    """Inside, Optuna's line for a failed trial says its remedy as :func:`trial_words` does (it is on stderr beside the command's own)."""
    logger = logging.getLogger("optuna.study._optimize")  # where Optuna logs the line (a filter sees its own logger's records only)
    words = _TrialLogWords()
    logger.addFilter(words)
    try:
        yield
    finally:
        logger.removeFilter(words)


#: search()'s budget settings, and the command's option for each
_BUDGET_OPTIONS = {"max_epochs": "--epochs", "cv": "--cv", "validation_fraction": "--validation-fraction", "patience": "--patience"}
#: search()'s settings whose errors name them as search() takes them: the command's option leads the line
_SEARCH_OPTIONS = {**_BUDGET_OPTIONS, "max_flops": "--max-flops", "max_saved": "--max-saved", "study_name": "--study"}


#: search()'s budgets that its messages name inside a sentence (``fits max_params=10``), and the command's option for each
_SEARCH_BUDGETS = {"max_params": "--max-params", "max_flops": "--max-flops", "max_latency_us": "--max-latency-us"}


def _search_option(message: str) -> str:
    """search()'s error about one of its settings, led by the command's option (``--cv: cv must be 'auto' or ...``); else train's
    rule, its budgets named as options (``fits max_params=10`` -> ``fits --max-params 10``: :func:`~._option_words.named_options`)."""
    from ._option_words import named_options
    from ._train import _with_option

    name = message.split(" ", 1)[0]
    return f"{_SEARCH_OPTIONS[name]}: {message}" if name in _SEARCH_OPTIONS else named_options(_with_option(message), _SEARCH_BUDGETS)


def parse_cv(text: str) -> int | str:
    """``--cv``'s text: ``"auto"`` or a whole number of folds (its range is search()'s check); else one line naming ``--cv``."""
    body = (text or "").strip().lower()
    if body == "auto":
        return "auto"
    if not re.fullmatch(r"\d{1,6}", body):
        raise UserError(f"--cv takes auto or a number of folds, e.g. 5 (1: one --validation-fraction split). Received: {text!r}.")
    return int(body)


def _budget_settings(budget: dict[str, Any] | None, validation: str | None) -> dict[str, Any]:
    """search()'s ``cv``, ``patience``, ``validation_fraction``, ``max_flops`` and ``max_saved`` from the options (their defaults when
    absent); ``--validation`` with ``--cv`` or ``--validation-fraction`` refused (its rows replace the folds and the split)."""
    b = {"cv": "auto", "patience": 10, "validation_fraction": None, "max_flops": None, "max_saved": 10, **(budget or {})}
    for name in ("--patience", "--max-saved"):
        v = b[name[2:].replace("-", "_")]
        if v < 1:
            raise UserError(f"{name} must be an integer >= 1. Received: {v}.")
    if b["max_flops"] is not None and b["max_flops"] < 1:
        raise UserError(f"--max-flops must be a positive integer (FLOPs of one prediction). Received: {b['max_flops']}.")
    cv = parse_cv(b["cv"]) if isinstance(b["cv"], str) else b["cv"]
    if validation is not None and cv != "auto":
        raise UserError(f"--validation {validation}: its rows score every trial, with no folds of DATA, so --cv would be ignored: drop --cv.")
    if validation is not None and b["validation_fraction"] is not None:
        raise UserError(f"--validation {validation}: its rows replace the --validation-fraction share of DATA, which would be ignored: "
                        "drop --validation-fraction.")
    return {**b, "cv": cv}


def _budget_refusal(exc: Any) -> str:
    """search()'s refusal of a resumed study of another budget (:class:`~hiddenlayers.rightsize.ResumedBudgetError`)
    in the command's words: ``--epochs 5`` and ``--study``; a setting the command has no option for is said as search() takes it."""
    def spell(name: str, value: Any) -> str:
        return f"{_BUDGET_OPTIONS[name]} {value}" if name in _BUDGET_OPTIONS else f"{name}={value!r}"

    theirs = ", ".join(spell(k, v) for k, v in exc.theirs.items())
    if all(k in _BUDGET_OPTIONS for k in exc.theirs):
        fix = f"Pass {theirs} (the study's), or a new --study."
    else:
        fix = (f"Pass a new --study: the command has no option for {', '.join(k for k in exc.theirs if k not in _BUDGET_OPTIONS)} "
               f"(resume the study from Python with hiddenlayers.rightsize.search({', '.join(f'{k}={v!r}' for k, v in exc.theirs.items())})).")
    return exc.worded(spell, fix)


def _study_option(message: str) -> str:
    """search()'s refusal of a resumed study in the command's words: its fix "pass a new study_name" is ``--study`` here."""
    return message.replace("new study_name", "new --study").replace("another study_name", "another --study")


def _search_settings(data: str, *, objectives: str, trials: int, timeout: float | None, storage: str | None, study: str,
                     workers: int, max_params: int | None, max_latency_us: float | None, layers: str, widths: str,
                     activations: str, epochs: int, max_categories: int, out_dir: str, html: str | None,
                     force: bool, classifier: dict[str, Any] | None = None, choices: dict[str, Any] | None = None,
                     budget: dict[str, Any] | None = None, validation: str | None = None) -> tuple[dict[str, Any], Path]:
    """``search``'s options checked before the table is read (an option's mistake is one line, said at once); its settings and the output folder.

    ``classifier``: ``--class-weight`` (text) and ``--label-smoothing`` as given, checked here without
    the labels (the classes a ``LABEL=WEIGHT`` names are matched once the table is read); not in the settings.
    ``choices``: the space's ``weight_averaging``, ``solvers`` and ``learning_rate_init`` (parsed; absent: the space's defaults).
    ``budget``, ``validation``: see :func:`_budget_settings` (in the settings).
    """
    from ._train import class_weight_option
    objs = parse_objectives(objectives)
    lo_hi, ws, acts = parse_layers(layers), parse_widths(widths), parse_activations(activations)
    for name, v in (("--trials", trials), ("--workers", workers), ("--epochs", epochs)):
        if v < 1:
            raise UserError(f"{name} must be an integer >= 1. Received: {v}.")
    if max_params is not None and max_params < 1:
        raise UserError(f"--max-params must be a positive integer. Received: {max_params}.")
    if max_latency_us is not None and not max_latency_us > 0:
        raise UserError(f"--max-latency-us must be a positive number of microseconds. Received: {max_latency_us}.")
    if timeout is not None and not timeout > 0:
        raise UserError(f"--timeout must be a positive number of seconds. Received: {timeout}.")
    if max_categories < 2:
        raise UserError(f"--max-categories must be >= 2. Received: {max_categories}.")
    more = _budget_settings(budget, validation)
    from ..rightsize import SearchSpace, check_search_options

    space = SearchSpace(layers=lo_hi, widths=ws, activations=acts, **(choices or {}))
    settings: dict[str, Any] = {"objectives": objs, "trials": trials, "space": space, "max_params": max_params,
                                "max_latency_us": max_latency_us, "max_epochs": epochs, "storage": storage,
                                "workers": workers, "timeout": timeout, **more}
    if storage is not None:  # in the CLI's words (--storage), before search()'s own check of it
        _check_storage(storage)
    given = {k: v for k, v in (classifier or {}).items() if v is not None}
    if isinstance(given.get("class_weight"), str):
        given["class_weight"] = class_weight_option(given["class_weight"], None)
    try:  # search()'s own checks, before the table is read: an option's mistake is one line, said at once
        check_search_options(**settings, **given, study_name=study)
    except (ValueError, TypeError) as exc:
        raise UserError(_search_option(one_line(exc))) from None
    # the outputs last: an existing study file or page never hides an option's mistake
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out-dir '{folder}' is a file: give a folder for the model files.")
    recorded = {} if force else _study_record(storage, study)
    if not force:
        _refuse_files_not_written_for(folder, study, storage, recorded, inputs=(data, validation))
    if html is not None:  # the page a resumed study wrote, unchanged, is its own too
        from ..rightsize import written_for

        check_report_output(html, force=force or written_for(recorded, html), inputs=(data,) if validation is None else (data, validation),
                            what="--html")
    _check_folder_writable(folder)
    return settings, folder


def _study_record(storage: str | None, study: str) -> dict[str, str]:
    """The files study ``study`` in ``storage`` records as written for it (:func:`~hiddenlayers.rightsize.saved_files`; none
    without a storage); a storage search() would refuse is one line in its words."""
    from ..rightsize import saved_files

    try:
        return saved_files(storage, study)
    except ValueError as exc:
        raise UserError(_study_option(one_line(exc))) from None


def _refuse_files_not_written_for(folder: Path, study: str, storage: str | None, recorded: dict[str, str],
                                  inputs: tuple[str | None, ...] = ()) -> None:
    """Without ``--force``, the study's model files in ``folder`` may be written over only where ``recorded`` (what study ``study``
    in ``storage`` recorded as written for it: :func:`_study_record`) names them, unchanged since (a resumed search); any other is
    refused in one line. ``inputs``: DATA and ``--validation``, a missing one named first (as ``check_output`` orders it)."""
    from ..rightsize import written_for

    foreign = [p for p in _study_files(folder, study) if not written_for(recorded, p)]
    if not foreign:
        return  # none, or the search's own files as it wrote them: a resumed study writes its new front over them
    refuse_absent_inputs(inputs)  # a mistyped DATA (or '-') before "pass --force", as check_output says it
    why = "" if storage is None else f", and study '{study}' in {storage} did not write it (or it was changed since)"
    raise UserError(f"'{foreign[0]}' already exists{why}: pass --force to overwrite the model files of study '{study}', "
                    "or choose another --out-dir or --study.")


def _check_folder_writable(folder: Path) -> None:
    """``--out-dir`` (or the nearest folder above it that exists, where it will be made) takes a file (:func:`write_problem`),
    checked before any trial, so a read-only folder or mount is one line now and not after the first trial's fit."""
    from .._files import write_problem

    probe = folder if folder.is_dir() else next((p for p in folder.parents if p.is_dir()), Path("."))
    problem = write_problem(probe)
    if problem is not None:
        raise UserError(f"--out-dir '{folder}' cannot be written ({problem}): choose a folder you can write to.")


def _search_table(data: str, target: str | None, features: str | None, max_categories: int, check: bool,
                  settings: dict[str, Any], sample_weight: str | None = None) -> tuple[Any, dict[str, Any], Any]:
    """The table read (and checked) once, as ``train`` reads it: ``(encoded matrix, prepare()'s dict, fitted TablePreprocessor)``; notes and the check's summary on stderr.

    The budget (``settings``' ``max_params``, with the encoded columns and the target's outputs) is checked
    before any note or summary is printed: a search that cannot run says so in one line, alone.
    """
    from ..data import TablePreprocessor
    from ..rightsize import check_search_data
    from ._check import (
        fast_check_for_train,
        hinted_columns,
        print_check_summary,
        read_checked,
        refuse_fatal,
        weight_column_findings,
        without_column_hints,
    )
    from ._data import prepare
    from ._train import weighted_rows

    checked, table = None, None
    if check:  # as train: the table is read once, and the summary printed just before the search
        table, found = read_checked(data)
        frame, weight_found = weight_column_findings(table, data, sample_weight, target, features)  # the weight column is no feature
        checked = fast_check_for_train(frame, found + weight_found, data, target, features, "auto", table)
    prep = prepare(data, target, features, "auto", max_categories, table=table, sample_weight=sample_weight, task_option=False)
    refuse_fatal(checked, prep["dropped"])
    prep = weighted_rows(prep)  # rows of --sample-weight 0 as if absent, as in train: the preprocessing's statistics, the folds
    where = rows_of(prep["where"], prep["X"].index)  # an error names the row's file line
    with without_column_hints(hinted_columns(checked)):  # the check named those columns: said once
        pre = TablePreprocessor(max_categories=max_categories).fit(prep["X"], where)
    t = pre.transform(prep["X"], where)
    try:
        check_search_data(t.matrix, prep["y"], task=prep["task"], space=settings["space"], max_params=settings["max_params"],
                          max_flops=settings.get("max_flops"))
    except ValueError as exc:
        raise UserError(_search_option(one_line(exc))) from None
    for msg in [prep["dropped"], *t.notes] if prep["dropped"] else t.notes:
        note(msg)
    if checked is not None:
        print_check_summary(checked)
    return t.matrix, prep, pre


def _study_files(folder: Path, study: str) -> list[Path]:
    """The model files ``STUDY-trialN.safetensors`` of study ``study`` in ``folder`` (not another study's whose name starts alike)."""
    import re

    pattern = re.compile(rf"{re.escape(study)}-trial\d+\.safetensors")
    return sorted(p for p in folder.glob("*.safetensors") if pattern.fullmatch(p.name)) if folder.is_dir() else []


def _search_record(found: Any, row: dict[str, Any]) -> dict[str, Any]:
    """What a saved model file records of its search: study, storage, trial, objectives, its cross-validated score and fold sd."""
    return {"study": found.study_name, "storage": found.storage, "trial": row["trial"], "objectives": list(found.objectives),
            "score": row["score"], "score_sd": row.get("score_sd"), "n_trials": found.n_trials}


def _save_found(found: Any, state: dict[str, Any], folder: Path, study: str, html: str | None, as_json: bool,
                extra: dict[str, Any] | None = None, force: bool = False) -> dict[str, Any]:
    """Save each found model (with the table's preprocessing ``state``) as ``STUDY-trialN.safetensors`` in ``folder``, the HTML report; print the summary.

    The summary's ``sample_weight`` is the ``--sample-weight`` column's name (``false`` without one); ``extra``: more of the
    command's settings for the summary (``max_flops``, ``max_saved``, the ``--validation`` file and its rows). Without ``force``
    the study's files already in ``folder`` must be its own (checked again: one may have appeared during the search).
    """
    stale = _write_models(found, state, folder, study, force)
    paths = found.paths
    if html is not None:
        found.save_html(html)
    if found.study is not None and found.storage is not None:  # a resumed search may write over them (an in-memory study: none)
        from ..rightsize import record_saved

        record_saved(found.study, paths + ([html] if html is not None else []), removed=stale)
    failures = found.failures()
    if failures:  # on stderr, --json too: a failed trial is no row of the table
        more = f"; ... {len(failures) - 3} more" if len(failures) > 3 else ""
        note(trial_words(f"{len(failures)} of {found.n_trials} trials failed ({found.n_complete} complete; a failed trial counts toward "
                         f"--trials, as in Optuna's n_trials: raise --trials, same --study, to run more): {'; '.join(failures[:3])}{more} "
                         "(search --json: each trial's failed_because)"))
    summary = {**found.to_dict(), **(extra or {}), "html": html}
    if summary.get("sample_weight"):  # the column, as `train --json` and `info` name it, rather than the library's "given"
        summary["sample_weight"] = state.get(WEIGHT_COLUMN_KEY)
    if as_json:
        print_json(clean(summary))
        return summary
    from ._common import print_table

    con = _console()
    print_table(con, found.table())  # eleven columns: on 80 they were cut (lr 0.0…, params 11,8…)
    con.print(_scored_line(summary))
    for p in paths:
        con.print(f"saved {p}")
    if html is not None:
        con.print(f"wrote {html}")
    return summary


def _found_record(found: Any) -> dict[str, str]:
    """The files the search's open study records as written for it (:func:`~hiddenlayers.rightsize.recorded_files`);
    none for an in-memory study, which nothing outlives and nothing resumes."""
    from ..rightsize import recorded_files

    return recorded_files(found.study) if found.study is not None and found.storage is not None else {}


def _outputs_still_ours(folder: Path, study: str, html: str | None, force: bool) -> Callable[[Any], None]:
    """search()'s ``before_refit``: without ``force``, the study's model files in ``folder`` and the ``--html`` page checked
    again after the trials, as before them (:func:`_search_settings`).

    Why: a file another process dropped into ``--out-dir`` during a long search was refused only when the models were
    written, after the refits had run for nothing. The final write checks again (one may come during the refits).
    """

    def check(found: Any) -> None:
        if force:
            return
        recorded = _found_record(found)
        _refuse_files_not_written_for(folder, study, found.storage, recorded)
        if html is not None:
            from ..rightsize import written_for

            check_report_output(html, force=written_for(recorded, html), what="--html")

    return check


def _write_models(found: Any, state: dict[str, Any], folder: Path, study: str, force: bool) -> list[Path]:
    """The found models as ``STUDY-trialN.safetensors`` in ``folder`` (``found.paths``); the study's earlier files no longer
    chosen removed, and returned."""
    if not force:  # checked before the search and before the refits; again now (one may have come since), from the open study
        _refuse_files_not_written_for(folder, study, found.storage, _found_record(found))
    earlier = _study_files(folder, study)  # there only under --force or as the study's own (refused before the search otherwise)
    paths = []
    for row, model in zip(found.rows, found.models):
        path = folder / f"{study}-trial{row['trial']}.safetensors"
        folder.mkdir(parents=True, exist_ok=True)
        model.preprocessing_ = {**state, SEARCH_KEY: _search_record(found, row)}  # info says which trial of which study
        model.save(path)
        paths.append(str(path))
    found.paths = paths
    stale = [f for f in earlier if str(f) not in paths]
    for f in stale:  # the new front replaces the study's model files: an earlier front's left beside it read as part of it
        f.unlink(missing_ok=True)
    if stale:
        note(f"removed {len(stale)} model file(s) of study '{study}' no longer chosen: {', '.join(f.name for f in stale)}")
    return stale


def _scored_line(summary: dict[str, Any]) -> str:
    """``"each trial: 3 folds, up to 100 epochs, patience 10"`` (or the ``--validation`` file's rows): what scored the trials."""
    b = summary["budget"]
    if summary.get("validation"):
        how = f"scored on {summary['validation_rows']} rows of {summary['validation']}"
    elif b["cv"] == 1:
        how = f"one split, {b['validation_fraction']:g} of the rows held out"
    else:
        how = f"{b['cv']} folds"
    return f"each trial: {how}, up to {b['max_epochs']} epochs, patience {b['patience']}"


__all__ = ["parse_activations", "parse_cv", "parse_layers", "parse_learning_rates", "parse_objectives", "parse_solvers", "parse_weight_averaging", "parse_widths", "run_cost", "run_export",
           "run_prune", "run_search"]
