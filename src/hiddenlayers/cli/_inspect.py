"""The ``inspect`` command: the lens report of a saved model on a data file.

The data goes through the model's stored preprocessing exactly as in
``predict``/``evaluate``; the labels (the target column recorded in the model
file, or ``--target``) enable the linear probes and colour the projections.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Table, default_target, missing_target_reason, read_table, resolve_column
from ..exceptions import DataError
from ._common import Steps, UserError, check_report_output, clean, note, one_line, print_json, print_table, stdout_console
from ._data import (
    MODEL_IS_REGRESSOR,
    class_labels,
    coerce_labels,
    load_model,
    model_inputs,
    refuse_input_as_target,
    refuse_missing_inputs,
    regression_target,
    stored_target,
)
from ._header import check_named_columns
from ._inspect_apps import AppRows
from ._table_out import final_estimator

MAX_ROWS = 10_000  # the report's own cap; larger data is sampled at random, not cut at the top


def _labels(model: Any, data: str, table: Table, target: str | None) -> tuple[Any, np.ndarray | None, str | None, Table]:
    """``(features frame, labels or None, target name or None, table)``; ``table`` holds the frame's rows (``table.where(i)``
    names row ``i``'s file line, ``table.lines()`` every row's).

    An explicit ``--target`` must exist; the target stored in the model file is
    used when the data has it, and otherwise the report is built without labels.
    Rows dropped while reading (ragged, or without a label) are noted.
    """
    frame = table.frame
    state = getattr(model, "preprocessing_", None) or {}
    refuse_input_as_target(model, target)
    refuse_missing_inputs(model, [str(c) for c in frame.columns])  # another dataset's table: a column problem before any label
    name = target or state.get("target") or default_target(data, frame)
    if name is not None and target is None and name not in frame.columns:
        note(f"the data has no '{name}' column (the model's target): the report is built without labels, so no probes.")
        name = None
    if name is None:
        if table.n_dropped:
            note(table.drop_summary())
        return frame, None, None, table
    name = resolve_column(name, [str(c) for c in frame.columns])
    table = table.drop_missing(name, missing_target_reason(name))
    frame = table.frame
    if frame.empty:
        raise DataError(f"the target column '{name}' is empty (every value is missing).")
    if table.n_dropped:
        note(table.drop_summary())
    y_raw = frame[name]
    if hasattr(model, "classes_"):  # the model's own target must hold its classes; another column only feeds probes and colours
        y = class_labels(y_raw, model.classes_, name) if name == state.get("target") else coerce_labels(y_raw, model.classes_)
    else:
        y = regression_target(y_raw, name, table.where, fix=MODEL_IS_REGRESSOR)
    return frame.drop(columns=[name]), y, name, table


def _sample(n: int, max_rows: int, seed: int = 0) -> np.ndarray | None:
    """The positions of at most ``max_rows`` of ``n`` rows, drawn at random (files are often sorted by label
    or time); ``None`` when all rows fit."""
    if n <= max_rows:
        return None
    note(f"the data has {n:,} rows: the report uses a random sample of {max_rows:,}.")
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


GRADIENT_FLOW_HINT = "train with `hiddenlayers train --gradient-flow` to record gradient flow per epoch."


def report_advice(data: str, kind: str | None = None) -> dict[str, str]:
    """The report's advice (``lens.report(advice=...)``) in the command's words: its options, not Python's arguments. ``kind``: the
    app in the model file (None: a table model); labels come from ``--target`` except where the app has none to give (a Translator's
    target sentences and a SpeechRecognizer's transcripts are no class labels)."""
    labels = "pass --target COLUMN (a column of labels in the data)"
    unlabelled = {"Translator": "a Translator's pairs hold translations, not class labels: there is nothing to probe the layers with",
                  "SpeechRecognizer": "a SpeechRecognizer's transcripts are no class labels: there is nothing to probe the layers with"}
    return {
        "labels": unlabelled.get(kind or "", f"{labels} to probe the layers"),
        "landscape-labels": f"{labels} to see the loss around the fitted weights",
        "landscape-loss": "inspect draws the loss landscape of models with a training loss only",
        "data": f"run `hiddenlayers check {data}` to check the data file itself",
        "data-all": f"`hiddenlayers check {data}` runs them all",
    }


def app_gradient_flow_hint(kind: str) -> str:
    """What a page of an app file of ``kind`` says when no gradient flow was recorded: how to record it, or, for an app whose
    ``train --app NAME --gradient-flow`` is refused (:data:`._appgradflow.REFUSED`), why it is not recorded."""
    from ._appgradflow import REFUSED

    name = {"Translator": "translator", "SpeechRecognizer": "speech", "DQNAgent": "agent"}.get(kind)
    if name == "translator":  # its fit hands callbacks the two-input Seq2Seq: only the command reads it through the lens's view
        return "train the app with `hiddenlayers train DATA --app translator --gradient-flow` to record gradient flow per epoch."
    return APP_GRADIENT_FLOW_HINT if name not in REFUSED else f"`train --app {name} --gradient-flow` does not apply: {REFUSED[str(name)]}."


#: an app file records gradient flow when ``train --app KIND --gradient-flow`` (or a fit with hl.lens.GradientFlow in its callbacks) wrote it
APP_GRADIENT_FLOW_HINT = ("train the app with `hiddenlayers train DATA --app KIND --gradient-flow` to record gradient flow per epoch "
                          "(in Python, fit it with callbacks=[hl.lens.GradientFlow(X_sample)]).")


def run_inspect(
    model_path: str, data: str, *, target: str | None, out: str, force: bool, as_json: bool, shift_from: str | None = None,
    image_shape: tuple[int, ...] | None = None, landscape: str | None = None, app_options: dict[str, Any] | None = None,
    sections: str | None = None, baseline: str = "auto", steps: Steps | None = None, method: str = "integrated_gradients", smooth: str | None = None,
) -> dict[str, Any]:
    """Write the lens report of ``model_path`` on ``data`` to ``out``; print the path and the per-layer findings.

    ``shift_from``: source-domain rows; the report gains the per-layer domain-shift section (source vs ``data``).
    ``image_shape``: ``(H, W)`` or ``(C, H, W)`` of the model's input rows (``--image-shape``), for the preferred-inputs images.
    ``landscape``: an image path (``--landscape``): the 2-D training-loss surface around the fitted weights is drawn there.
    ``app_options``: ``text_column``, ``image_dtype``, ``image_layout`` for a TextClassifier or ImageClassifier file, whose
    texts or images are read from ``data`` as ``predict`` reads them (the labels from ``--target``, else the label column the file
    keeps from ``train --app`` where ``data`` has it).
    ``sections``: ``--sections``, the comma-separated ids of the report sections to build (default all). ``baseline``:
    ``--baseline``, the features section's reference input (auto, mean, median, zeros). ``steps``: the progress line on stderr
    as the report is built (:class:`~._common.Steps`; None: none).
    ``method``, ``smooth``: ``--method`` and ``--smooth``, the features section's Captum attribution (integrated_gradients, saliency,
    ...) and its noise tunnel (smoothgrad, smoothgrad_sq, vargrad; None: none).
    """
    steps = steps or Steps("inspect", quiet=True)
    steps("reading the model and the data")  # from the start: the imports and checks before the report take seconds too
    wanted, baseline, method = parse_sections(sections), parse_baseline(baseline), parse_method(method)
    smooth = parse_smooth(smooth, method)
    check_named_columns(data, target=target, text_column=(app_options or {}).get("text_column"))  # a misspelt column before an existing --out
    out_path = check_report_output(out, force=force, what="--out")
    landscape_path = None
    if landscape is not None:
        from ._landscape import check_landscape_output

        landscape_path = check_landscape_output(landscape, data=data, force=force)  # .png/.svg/.pdf: never the .html --out
    from ._appfiles import app_kind

    kind = app_kind(model_path)
    if _app_mode(model_path, kind, app_options or {}, shift_from=shift_from, image_shape=image_shape, landscape=landscape):
        return _inspect_app(model_path, data, target, out_path, app_options or {}, as_json, wanted, (baseline, method, smooth), steps)
    model = load_model(model_path, pipeline=True)  # a Pipeline of scikit-learn steps then an MLP: the lens runs the steps first
    features, y, name, table = _labels(model, data, read_table(data), target)
    if landscape_path is not None:
        from ._landscape import check_landscape_labels

        check_landscape_labels(y, target=name, model_target=stored_target(model))
    A, features, y, idx = _report_rows(model, features, y, image_shape, table.where)
    from ..lens import GRADIENT_FLOW_KEY as GRADFLOW
    from ..lens import record

    names = _output_names(model) if getattr(model, "preprocessing_", None) else None
    start = time.perf_counter()
    title, hint = f"Inside {Path(model_path).name}", GRADIENT_FLOW_HINT if kind is None else APP_GRADIENT_FLOW_HINT
    try:
        stats = record(model, A, stream=True, sample=1).stats
        options: dict[str, Any] = {"title": title, "feature_names": names, "gradient_flow_hint": hint, "image_shape": image_shape, "sections": wanted,
                                   "baseline": baseline, "attribution_method": method, "attribution_smooth": smooth, "progress": steps, "advice": report_advice(data, kind), **_file_rows(table, data, idx, len(A))}
        rep = _table_report(model, A, y, features, options)
    except (ValueError, TypeError) as exc:
        raise UserError(f"could not build the report: {one_line(exc)}") from None
    drawn = None
    if landscape_path is not None:
        from ._landscape import write_landscape

        steps(f"drawing the loss landscape to {landscape_path}")
        drawn = write_landscape(model, A, y, landscape_path)
    shift = _shift(model, shift_from, A, y, target) if shift_from else None
    if shift is not None:
        rep.sections.append(shift.html_section())
    steps(f"writing {out_path}")
    rep.save(out_path)
    history = getattr(final_estimator(model), "history_", None)
    result = clean({
        "report": str(out_path), "model": model_path, "data": data, "rows": int(A.shape[0]), "target": name,
        "seconds": round(time.perf_counter() - start, 2),
        "gradient_flow_epochs": len((getattr(history, "extra", None) or {}).get(GRADFLOW, [])),
        "layers": [s.to_dict() for s in stats.values()],
        "warnings": list(rep.warnings),
        "shift": None if shift is None else {"shifted": shift.shifted(), "layers": shift.to_dict()["rows"]},
        "landscape": drawn,
    })
    _show(result, as_json, hint)
    if shift is not None and not as_json:
        stdout_console().print(shift.table())
    return result


def _table_report(model: Any, A: np.ndarray, y: Any, features: Any, options: dict[str, Any]) -> Any:
    """The report of a table model on its input rows ``A``; labels it cannot use (too few rows per class to probe) are dropped with a note.

    The Data section checks the file's own columns ``features`` (names, raw values), not the encoded model matrix.
    """
    from ..data import check
    from ..lens import report

    wanted = options.get("sections")
    checked = wanted is None or "data" in wanted  # the checks cost a pass over the table: only for the Data section
    try:
        return report(model, A, y, data_report=check(features, y, fast=True) if checked else None, **options)
    except ValueError as exc:
        if y is None:
            raise
        # The labels only feed the probes and colours: go on without them.
        note(f"built the report without labels ({one_line(exc)})")
        return report(model, A, None, data_report=check(features, fast=True) if checked else None, **options)


def _file_rows(table: Table, data: str, idx: np.ndarray | None, n: int) -> dict[str, Any]:
    """``report``'s ``row_names`` and ``row_names_note`` for the ``n`` rows of ``table`` at ``idx`` (all when None): their place
    in the user's file, as every command's messages name rows (the report's own positions would count in the sample).
    Nothing when the model's rows are not the table's one for one."""
    lines = table.lines()
    chosen = lines if idx is None else lines[idx]
    if len(chosen) != n:
        return {}
    note = (f"lines of '{data}' (the file line, header = line 1)" if table.unit == "line"
            else f"data rows of '{data}', counted from 1")
    return {"row_names": [int(v) for v in chosen], "row_names_note": note}


def _app_mode(model_path: str, kind: str | None, app_options: dict[str, Any], **table_only: Any) -> bool:
    """Whether ``model_path`` holds an application whose examples are read as ``predict`` reads them (a Text or Image classifier,
    a sequence, speech, forecaster, recommender, translator or agent file); False for a table model or an Autoencoder (a table form).

    An app that cannot be inspected, an option it does not take, or a table-only option (``table_only``: given or None) is one line.
    """
    from ._appfiles import CLASSIFIERS, app_refusal, article, check_app_options
    from ._inspect_apps import READ_AS_PREDICT

    check_app_options(kind, model_path, **app_options)
    if kind in CLASSIFIERS or kind in READ_AS_PREDICT:  # texts, images, sequences, a series or id pairs from the data file, as predict reads them
        refused = ["--" + o.replace("_", "-") for o, v in table_only.items() if v is not None]
        if refused:
            raise UserError(f"{refused[0]} is for table models and Autoencoder files; '{model_path}' holds {article(kind)}: drop {refused[0]}.")
        return True
    if kind is not None and kind != "Autoencoder":  # an application this command does not know
        raise app_refusal(model_path, kind, "inspect", "a model trained by `hiddenlayers train` or `hiddenlayers train --app` (an application file)")
    return False


def _classifier_rows(model: Any, data: str, target: str | None, options: dict[str, Any]) -> AppRows:
    """A TextClassifier's texts or an ImageClassifier's images of ``data`` (:class:`~._inspect_apps.AppRows`), labels ``target``
    (else the label column the file keeps from ``train --app``, where the data has it), each named by its file line."""
    from ._appfiles import app_inputs, data_column
    from ._common import labelled_table

    if type(model).__name__ == "ImageClassifier" and Path(data).suffix.lower() in (".npy", ".npz"):
        return _image_array_rows(model, data, target, options)
    table = read_table(data)
    frame, y = table.frame, None
    kept = data_column(model, "target")  # the label column of train --app, where the data has it: labels for the probes
    target = target if target is not None or kept not in frame.columns else kept
    if target is not None:
        table, target = labelled_table(data, target, None, "", table=table)
        frame = table.frame
        y = class_labels(frame[target], model.classes_, target, app=True)
        frame = frame.drop(columns=[target])
    else:
        drop = default_target(data, frame)  # a bundled dataset's target column is no input
        frame = frame.drop(columns=[drop]) if drop is not None else frame
    if table.n_dropped:
        note(table.drop_summary())
    X = app_inputs(model, frame, options, table.where)
    return AppRows(X, y, target, **_file_rows(table, data, None, len(X)))


def _image_array_rows(model: Any, data: str, target: str | None, options: dict[str, Any]) -> AppRows:
    """An ImageClassifier's images of an ``.npy``, or of an ``.npz``'s ``X`` with its labels ``y`` (``--target``: another array) for
    the probes, read as ``predict`` and ``evaluate`` read them; each named by its place in the array (inspect refused them as no table)."""
    import pandas as pd

    from ._appfiles import _npy_images, array_images, npz_arrays

    if Path(data).suffix.lower() == ".npy":
        if target is not None:
            raise UserError("--target names the labels, and an .npy array holds none: drop --target, or pass an .npz of images X and labels y (np.savez).")
        X, y, label = _npy_images(model, data, options), None, None
    else:
        images, labels, name, label = npz_arrays(data, target, labels=target is not None)
        X = array_images(model, images, options, f"the images '{name}' in '{data}'")
        y = None if labels is None else class_labels(pd.Series(labels), model.classes_, label, app=True)
        label = None if labels is None else label
    return AppRows(X, y, label, list(range(1, len(X) + 1)), f"images of '{data}', counted from 1")


def _inspect_app(model_path: str, data: str, target: str | None, out_path: Path, options: dict[str, Any], as_json: bool,
                 sections: tuple[str, ...] | None = None, baseline: tuple[str, str, str | None] = ("auto", "integrated_gradients", None),
                 steps: Steps | None = None) -> dict[str, Any]:
    """The lens report of an application file on ``data``'s examples, read as ``predict`` reads them (``options``: its column options);
    labels: ``target``, else the app's own (:mod:`._inspect_apps`); ``steps``: the progress lines (none when None)."""
    from ..lens import GRADIENT_FLOW_KEY, record, report
    from ._appfiles import CLASSIFIERS
    from ._inspect_apps import app_rows

    steps = steps or Steps("inspect", quiet=True)
    model = load_model(model_path)
    kind = type(model).__name__
    rows = _classifier_rows(model, data, target, options) if kind in CLASSIFIERS else app_rows(model, model_path, data, target, options)
    X, y, names = rows.X, rows.y, rows.row_names
    if len(X) < 2:
        raise DataError(f"the data has {len(X)} usable example(s): the report needs at least 2.")
    idx = None if kind == "Forecaster" else _sample(len(X), MAX_ROWS)  # a series stays whole: the report draws its windows
    if idx is not None:
        X = X[idx] if isinstance(X, np.ndarray) else X.iloc[idx].reset_index(drop=True) if hasattr(X, "iloc") else [X[i] for i in idx]
        y = None if y is None else y[idx]
        names = None if names is None else [names[i] for i in idx]
    if y is not None and hasattr(model, "classes_") and np.unique(y.astype(str)).size < 2:
        note("the labels hold a single class: the report is built without probes.")
        y = None
    start, hint = time.perf_counter(), app_gradient_flow_hint(kind)
    try:
        stats = record(model, X, stream=True, sample=1).stats
        rep = report(model, X, y, title=f"Inside {Path(model_path).name}", gradient_flow_hint=hint, sections=sections, max_rows=MAX_ROWS,
                     baseline=baseline[0], attribution_method=baseline[1], attribution_smooth=baseline[2], progress=steps, row_names=names, row_names_note=rows.row_names_note if names is not None else None,
                     advice=report_advice(data, kind))
    except (ValueError, TypeError) as exc:
        raise UserError(f"could not build the report: {one_line(exc)}") from None
    steps(f"writing {out_path}")
    rep.save(out_path)
    history = getattr(final_estimator(model), "history_", None)
    result = clean({
        "report": str(out_path), "model": model_path, "data": data, "rows": len(X) - int(model.window) + 1 if kind == "Forecaster" else len(X),  # network-input rows: a series' windows
        **rows.extra, "target": rows.target, "labels": None if y is None else rows.target, "seconds": round(time.perf_counter() - start, 2),
        "gradient_flow_epochs": len((getattr(history, "extra", None) or {}).get(GRADIENT_FLOW_KEY, [])),
        "layers": [s.to_dict() for s in stats.values()], "warnings": list(rep.warnings),
    })
    _show(result, as_json, hint)
    return result


def parse_method(text: str) -> str:
    """``--method``'s attribution name (``deeplift``, ``gradient-shap``...); an unknown one is one line before any work."""
    from ..data import did_you_mean
    from ..lens import ATTRIBUTION_METHODS as METHODS

    name = text.strip().lower().replace("-", "_")
    if name not in METHODS:
        raise UserError(f"--method must be one of {', '.join(METHODS)}. Received: {text!r}.{did_you_mean([name], METHODS)}")
    return name


def parse_smooth(text: str | None, method: str) -> str | None:
    """``--smooth``'s noise tunnel (``smoothgrad``, ``smoothgrad-sq``, ``vargrad``) for ``--method``; an unknown name, or a method
    it does not take (gradient_shap), is one line before any work."""
    from ..lens import ATTRIBUTION_SMOOTHINGS as SMOOTHINGS

    if text is None:
        return None
    name = text.strip().lower().replace("-", "_")
    if name not in SMOOTHINGS:
        from ..data import did_you_mean

        raise UserError(f"--smooth must be one of {', '.join(SMOOTHINGS)}. Received: {text!r}.{did_you_mean([name], SMOOTHINGS)}")
    if method == "gradient_shap":
        raise UserError("--smooth does not apply to --method gradient_shap, which already averages over noisy copies with random "
                        "baselines: drop --smooth, or pick another --method.")
    return name


def parse_baseline(text: str) -> str:
    """``--baseline``'s name, lower-cased; an unknown one is one line before any work."""
    from ..lens import ATTRIBUTION_BASELINES as BASELINES

    name = text.strip().lower()
    if name not in BASELINES:
        from ..data import did_you_mean

        raise UserError(f"--baseline must be one of {', '.join(BASELINES)}. Received: {text!r}.{did_you_mean([text], BASELINES)}")
    return name


def parse_sections(text: str | None) -> tuple[str, ...] | None:
    """``--sections``' comma-separated section ids (``None``: every section); an unknown or missing one is one line before any work."""
    if text is None:
        return None
    from ..lens import report_sections

    names = tuple(s.strip() for s in text.split(",") if s.strip())
    if not names:  # the library's own line names its Python parameter; here it is the option
        from ..lens import REPORT_SECTIONS

        raise UserError(f"--sections names no section: name at least one of {', '.join(REPORT_SECTIONS)}, "
                        "or leave --sections out for all of them.")
    try:
        report_sections(names)
    except ValueError as exc:
        raise UserError(f"--sections: {one_line(exc)}") from None
    return names


def _report_rows(model: Any, features: Any, y: Any, image_shape: tuple[int, ...] | None, where: Any = None) -> tuple[np.ndarray, Any, Any, np.ndarray | None]:
    """The model's input rows for the report (a seeded sample of at most ``MAX_ROWS``), checked against
    ``--image-shape``; single-class labels dropped with a note (nothing to probe). ``where``: ``Table.where``.
    Returns ``(rows, features, labels, the sample's positions in features or None)``."""
    A = model_inputs(model, features, where)
    idx = _sample(A.shape[0], MAX_ROWS)
    if idx is not None:
        A, features, y = A[idx], features.iloc[idx], None if y is None else y[idx]
    if A.shape[0] < 2:
        raise DataError(f"the data has {A.shape[0]} usable row(s): the report needs at least 2.")
    width = int(np.prod(A.shape[1:]))
    if image_shape is not None and int(np.prod(image_shape)) != width:
        shape = "x".join(map(str, image_shape))
        raise UserError(f"--image-shape {shape} holds {int(np.prod(image_shape))} values but the model reads {width} per row: "
                        "give the shape its input columns were flattened from (digits: 8x8), or leave --image-shape out.")
    if y is not None and hasattr(model, "classes_") and np.unique(y.astype(str)).size < 2:
        note("the labels hold a single class: the report is built without probes.")
        y = None
    return A, features, y, idx


def _shift(model: Any, shift_from: str, A_target: np.ndarray, y_target: Any, target: str | None) -> Any:
    """``lens.domain_shift`` of the source rows in ``shift_from`` against the target matrix ``A_target``."""
    from ..lens import domain_shift

    features, _, _, table = _labels(model, shift_from, read_table(shift_from), target)
    A_source = model_inputs(model, features, table.where)
    idx = _sample(A_source.shape[0], MAX_ROWS)
    A_source = A_source if idx is None else A_source[idx]
    y_probe = y_target if y_target is not None and hasattr(model, "classes_") else None
    try:
        return domain_shift(model, A_source, A_target, y_target=y_probe)
    except (ValueError, TypeError) as exc:
        raise UserError(f"could not measure the domain shift: {one_line(exc)}") from None


def _output_names(model: Any) -> list[str]:
    from ..data import TablePreprocessor

    return [str(n) for n in TablePreprocessor.from_dict(model.preprocessing_).output_names]


def _title(r: dict[str, Any]) -> str:
    """The layers table's title: how many examples, and the labels the probes used (``r["labels"]``; a table model's: its
    ``target``), or, for a Translator (``r["source_column"]``), the two columns its encoder and decoder read, which are no labels."""
    if r.get("source_column"):
        return (f"hidden layers on {r['rows']:,} sentence pairs (encoder on '{r['source_column']}', decoder teacher-forced on "
                f"'{r['target']}'; translations are no labels: no probes)")
    labels = r["labels"] if "labels" in r else r["target"]
    return f"hidden layers on {r['rows']:,} rows" + (f" (labels: {labels})" if labels else " (no labels)")


def _show(r: dict[str, Any], as_json: bool, hint: str = GRADIENT_FLOW_HINT) -> None:
    """The inspect result ``r`` as tables (or JSON); ``hint`` says how to record gradient flow when none was."""
    if as_json:
        print_json(r)
        return
    from .._rich_plain import PlainTable, styled

    con = stdout_console()  # markup off: the target, a layer's name, the report's path print as given
    t = PlainTable(title=_title(r), title_justify="left")
    for col in ("layer", "activation", "units", "active", "dead", "saturated", "eff. rank"):
        t.add_column(col, justify="left" if col in ("layer", "activation") else "right")
    for s in r["layers"]:
        t.add_row(s["name"], s["activation"] or (f"({s['role']})" if s.get("role") else "unknown"), str(s["units"]), "n/a" if s["fraction_active"] is None else f"{s['fraction_active']:.0%}",
                  "n/a" if not s.get("dead_known", True) else styled((str(s["dead"]), "red")) if s["dead"] else "0", styled((str(s["saturated"]), "yellow")) if s["saturated"] else "0",
                  f"{s['effective_rank']:.1f}")
    print_table(con, t)  # a Translator's title (its two columns) is wider than the table
    unknown = [s for s in r["layers"] if s["activation"] is None and not s.get("role")]  # a pooling layer has none by nature: no note
    if unknown:  # as lens.summary's note: the rule that gave these layers' dead column
        con.print(f"note: {', '.join(s['name'] for s in unknown)}: {unknown[0]['dead_rule']} "
                  "(the dead column counts units that do not vary over >= 2 rows; active is n/a).", highlight=False, soft_wrap=True)
    short = [s for s in r["layers"] if not s.get("dead_known", True)]
    if short:  # as lens.summary's and the page's note: why dead reads n/a (--json says it by dead_known)
        from ..lens import dead_unknown_note

        con.print(f"note: {dead_unknown_note(short[0]['rows'])}", highlight=False, soft_wrap=True)
    for w in r["warnings"]:
        con.print(styled(("warning:", "yellow"), f" {w}"), highlight=False, soft_wrap=True)
    if not r["warnings"]:
        con.print("no dead or saturated units on this data.")
    if not r["gradient_flow_epochs"]:
        con.print(f"gradient flow: not recorded ({hint})", highlight=False, soft_wrap=True)
    if r.get("landscape"):
        land = r["landscape"]
        unit = f" ({land['loss_unit']})" if land.get("loss_unit") else ""
        con.print(f"loss landscape ({land['steps']}x{land['steps']} grid on {land['rows']:,} rows, loss {land['center_loss']:.4g}{unit} at the fitted weights) "
                  f"written to {land['path']}", highlight=False, soft_wrap=True)
    con.print(f"report written to {r['report']}", highlight=False, soft_wrap=True)
