"""The ``info`` and ``datasets`` commands.

``info`` must answer in well under half a second, so it reads the model
file's JSON header directly (the safetensors layout: an 8-byte little-endian
header length, then the JSON header) and never imports PyTorch, NumPy or
scikit-learn. It applies the same checks as :func:`hiddenlayers.ship.read_metadata`.
An ``.onnx`` file from ``hiddenlayers export`` is read with the ``onnx``
package (:func:`hiddenlayers.ship.describe_onnx`), still without PyTorch.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from .._meta import FORMAT_VERSION as FORMAT_VERSION  # the version info reads (re-exported)
from .._meta import META_KEY, MODEL_KINDS, PIPELINE_KEY, parse_metadata, pipeline_inputs, pipeline_text, stored_steps
from ..exceptions import ModelFileError
from ._common import SEARCH_KEY, WEIGHT_COLUMN_KEY, UserError, averaging_text, clean, print_json, print_table, scaling_text, stdout_console

_MAX_HEADER = 100 * 1024 * 1024
MLP_KINDS = ("MLPClassifier", "MLPRegressor")
APP_KINDS = tuple(k for k in MODEL_KINDS if k not in MLP_KINDS)  # the applications' model files


def read_header_metadata(path: str) -> dict[str, Any]:
    """The hiddenlayers metadata of a model file, validated, from the header alone."""
    return read_header(path)[0]


def read_header(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model file's validated hiddenlayers metadata and its tensors' ``{name: {"dtype", "shape"}}``, from the header alone."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"model file '{p}' does not exist: check the path, or train one with `hiddenlayers train`.")
    if p.is_dir():
        raise UserError(f"'{p}' is a folder, not a model file: give the path of a .safetensors file.")
    from .._files import foreign_format
    from .._meta import UNREADABLE

    bad = f"'{p}' is not a readable safetensors model file: " + (foreign_format(p) or UNREADABLE)
    with p.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise UserError(bad)
        (n,) = struct.unpack("<Q", head)
        if n == 0 or n > _MAX_HEADER or n > p.stat().st_size - 8:
            raise UserError(bad)
        raw = fh.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(bad) from None
    meta_raw = (header.get("__metadata__") or {}).get(META_KEY) if isinstance(header, dict) else None
    meta = parse_metadata(meta_raw, p, UserError)  # the same checks and messages as loading the file
    tensors = {k: v for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)}
    return meta, tensors


def app_info(path: str, meta: dict[str, Any], tensors: dict[str, Any]) -> dict[str, Any]:
    """``info`` of an application's file: its layers from the stored tensors' names and shapes, its parameters, its provenance."""
    layers: dict[str, dict[str, Any]] = {}
    for name, t in sorted(tensors.items()):
        parts = name.split(".")
        layer, rest = (parts[1], ".".join(parts[2:])) if len(parts) > 2 else ("(state)", name)
        row = layers.setdefault(layer, {"layer": layer, "tensors": [], "parameters": 0})
        shape = [int(d) for d in t.get("shape", [])]
        size = 1
        for d in shape:
            size *= d
        row["tensors"].append(f"{rest} {tuple(shape)}")
        row["parameters"] += size if layer != "(state)" else 0
    for name, text in _layers_without_weights(meta).items():
        layers.setdefault(name, {"layer": name, "tensors": [f"(no weights: {text})"], "parameters": 0})
    rows = sorted(layers.values(), key=lambda r: (r["layer"] == "(state)", r["layer"] == "head", _layer_order(r["layer"])))
    params = meta.get("params") or {}
    if "hidden_layer_sizes" in params:  # stored with the form the user gave it: show that form
        from ..estimators import sizes_from_json

        try:
            params = {**params, "hidden_layer_sizes": sizes_from_json(params["hidden_layer_sizes"])}
        except (AttributeError, TypeError, ValueError):
            pass  # an altered value: shown as stored, loading the file says what is wrong
    state = meta.get("state") or {}
    run = _agent_info(state) if meta["estimator"] == "DQNAgent" else _fit_info(state)
    if averaging_text(params) is not None and "training" in run:  # the weights the file holds are an average: said, as for a table model
        run["training"]["weight_averaging"] = averaging_text(params)
    return clean({
        "file": path, "estimator": meta["estimator"], "library_version": meta.get("library_version"),
        "layers": [{**r, "tensors": ", ".join(r["tensors"])} for r in rows], "parameters": sum(r["parameters"] for r in rows),
        "settings": {k: v for k, v in params.items() if not isinstance(v, (dict, list)) or k == "hidden_layer_sizes"},
        "provenance": state.get("provenance_") or meta.get("provenance"),
        **({"data_columns": state["data_columns"]} if isinstance(state.get("data_columns"), dict) else {}),
        **({"long_columns": state["long_columns"]} if isinstance(state.get("long_columns"), dict) else {}),  # fit_long's, train --app sequence/speech
        **({"step": state.get("freq_")} if meta["estimator"] == "Forecaster" else {}),  # None: fitted without dates, or before it was kept
        **run,
    })


def _fit_info(state: dict[str, Any]) -> dict[str, Any]:
    """An application file's training run: its epochs and why it stopped (``time_limit``: ``--max-time``; ``interrupted``: Ctrl-C),
    from its ``history`` (the classifiers, Translator, SpeechRecognizer) or its ``n_iter_`` and ``stop_reason_``; none if it stores neither."""
    history = state.get("history") if isinstance(state.get("history"), dict) else {}
    epochs = len(history.get("train_loss") or []) if history else state.get("n_iter_")
    reason = history.get("stop_reason") if history else state.get("stop_reason_")
    return {"training": {"epochs": epochs, "stop_reason": reason}} if epochs is not None or reason else {}


def _agent_info(state: dict[str, Any]) -> dict[str, Any]:
    """A DQNAgent file's environment (id, observation shape, actions) and training run (steps, episodes, evaluations, stop reason).

    A file written before these were kept has no id or summary: the shapes come from ``obs_dim_`` and ``n_actions_``; one whose
    time budget was ``fit``'s argument stored the stop reason ``"max_time"``, shown as ``"time_limit"`` as the agent reads it.
    """
    shape = state.get("observation_shape_") or [state.get("obs_dim_")]
    env = {"id": state.get("env_id_"), "observation_shape": "x".join(map(str, shape)), "actions": state.get("n_actions_")}
    from ..apps import renamed_stop_reason

    run = renamed_stop_reason(state.get("training_summary_"))  # a file written before max_time was a parameter: "max_time" reads "time_limit"
    if not isinstance(run, dict):
        return {"environment": env}
    evals = run.get("eval_returns") or []
    training = {"steps": run.get("steps"), "episodes": run.get("episodes"), "seconds": run.get("seconds"), "evaluations": len(evals),
                "best_eval_return": run.get("best_eval_return"), "last_eval_return": evals[-1] if evals else None, "stop_reason": run.get("stop_reason")}
    return {"environment": env, "training": training}


def _layers_without_weights(meta: dict[str, Any]) -> dict[str, str]:
    """``{"hidden2": "pool2", ...}``: the fitted spec's pooling, global pooling and flatten layers, which store no tensor.

    Read from the file's network spec (``state["network"]["spec"]``); a file without one, or an altered one, gives none.
    """
    network = (meta.get("state") or {}).get("network")
    spec = network.get("spec") if isinstance(network, dict) else None
    if not spec:
        return {}
    from ..exceptions import SpecError
    from ..network import Spec

    try:
        layers = Spec.parse(spec).layers
    except (SpecError, TypeError, ValueError, KeyError, AttributeError):  # an altered file: loading it says what is wrong
        return {}
    return {f"hidden{i}": layer.to_text() for i, layer in enumerate(layers, 1) if type(layer).__name__ in ("Pool", "GlobalPool", "Flatten")}


def _layer_order(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


def layer_table(network: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per layer (hidden layers, then the head): units, activation, parameters."""
    rows = []
    width = int(network["in_features"])
    default = network.get("activation", "relu")
    for i, layer in enumerate(network.get("spec", []), start=1):
        units = int(layer["units"])
        params = width * units + units + (2 * units if layer.get("norm") else 0)
        extra = ", ".join(x for x in [f"dropout {layer['dropout']}" if layer.get("dropout") else "", f"{layer['norm']} norm" if layer.get("norm") else ""] if x)
        rows.append({"layer": f"hidden{i}", "inputs": width, "units": units, "activation": layer.get("activation") or default, "parameters": params, "extra": extra})
        width = units
    out = int(network["out_features"])
    rows.append({"layer": "head", "inputs": width, "units": out, "activation": "(output)", "parameters": width * out + out, "extra": ""})
    return rows


def spec_text(network: dict[str, Any]) -> str:
    """The hidden layers as ``train --hidden`` and ``hidden_layer_sizes`` read them (``"16:relu:norm=batch:dropout=0.2,8:tanh"``):
    each layer's width, activation (the network's default where the layer names none), norm and dropout, so the text
    rebuilds the same network (widths and activations alone described another one for a file with norms or dropout)."""
    from dataclasses import replace

    from ..network import Dense, Spec

    default = network.get("activation", "relu")
    layers = Spec.parse(network.get("spec", [])).layers
    return Spec(tuple(replace(x, activation=default) if isinstance(x, Dense) and x.activation is None else x for x in layers)).to_text()


def describe_preprocessing(state: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per input column of the stored preprocessing: name, kind, detail."""
    rows = []
    for c in (state or {}).get("columns", []):
        if c.get("kind") == "numeric":
            detail = f"standardised (mean {c['mean']:.4g}, scale {c['scale']:.4g})"
            if c.get("missing_indicator"):
                detail += f"; missing -> {c['fill']:.4g} + indicator"
        else:
            cats = c.get("categories", [])
            shown = ", ".join(str(x) for x in cats[:4]) + (", ..." if len(cats) > 4 else "")
            detail = f"one-hot {len(cats)}: {shown}" + (" + <other>" if c.get("other") else "") + (" + <missing>" if c.get("missing_indicator") else "")
        rows.append({"column": c.get("name"), "kind": c.get("kind"), "detail": detail})
    return rows


def model_info(path: str) -> dict[str, Any]:
    """Everything ``info`` shows, as a JSON-able dict."""
    meta, tensors = read_header(path)
    if meta["estimator"] in APP_KINDS:
        return app_info(path, meta, tensors)
    try:
        _check_sections(meta)
        layers = layer_table(meta["network"])
        fitted, history, params = meta["fitted"], meta["history"], meta["params"]
        times = history.get("time") or []
        pre = meta.get("preprocessing")
        _check_widths(path, meta["network"], pre)
        _check_features(path, meta["network"], fitted)
        _check_shapes(path, layers, tensors)
        return clean({
            "file": path, "estimator": meta["estimator"], "library_version": meta.get("library_version"),
            "spec": spec_text(meta["network"]),
            # a Pipeline of scikit-learn steps takes the raw columns (as its ONNX export's info says), its MLP the steps' output
            "inputs": pipeline_inputs(meta) or meta["network"]["in_features"], "outputs": meta["network"]["out_features"],
            "layers": layers, "parameters": sum(r["parameters"] for r in layers),
            "training": {
                "epochs": fitted.get("n_iter_"), "stop_reason": fitted.get("stop_reason_"), "final_loss": _num(fitted.get("loss_")),
                "weights_of_epoch": _kept_epoch(history),
                "best_validation_score": _num(fitted.get("best_validation_score_")), "seconds": times[-1] if times else None,
                "solver": params.get("solver"), "learning_rate_init": params.get("learning_rate_init"), "loss": _loss_name(params),
                "class_weight": _class_weight_text(params.get("class_weight")), "label_smoothing": params.get("label_smoothing") or None,
                "sample_weight": (pre or {}).get(WEIGHT_COLUMN_KEY),
                "weight_averaging": averaging_text(params),
                "target_scaling": scaling_text(meta.get("target_scaling")),
                "search": _search_text((pre or {}).get(SEARCH_KEY)),
            },
            "classes": (meta.get("classes") or {}).get("values"),
            "target": (pre or {}).get("target"), "task": (pre or {}).get("task"),
            "preprocessing": describe_preprocessing(pre),
            "provenance": meta.get("provenance"),
            "pipeline": None if meta.get(PIPELINE_KEY) is None else pipeline_text(meta[PIPELINE_KEY], meta["estimator"]),
            "pipeline_steps": stored_steps(meta) or None,
        })
    except ModelFileError:  # already the one line loading gives
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # any shape of edited JSON: the message loading gives
        raise UserError(f"'{path}' has inconsistent contents ({type(exc).__name__}: {exc}); the file was altered or is damaged.") from None


def _kept_epoch(history: dict[str, Any]) -> int | None:
    """The epoch whose weights the file holds when it is not the last one run (early stopping's best, or where Ctrl-C or a
    divergence went back to), else None: ``final loss`` is the last epoch's, which may not be these weights'."""
    held, epochs = history.get("held_epoch"), history.get("epoch") or []
    return int(held) if isinstance(held, int) and epochs and held != epochs[-1] else None


def _search_text(record: Any) -> str | None:
    """``"study 'hiddenlayers' (s.db), trial 4 of 5: cross-validated score 0.9816 ± 0.0044"``: a search's model file's origin; None for others."""
    if not isinstance(record, dict):
        return None
    where = f" ({record['storage']})" if record.get("storage") else ""
    sd = f" ± {record['score_sd']:.2g}" if isinstance(record.get("score_sd"), (int, float)) else ""
    score = f"{record['score']:.4g}{sd}" if isinstance(record.get("score"), (int, float)) else "-"
    return f"study '{record.get('study')}'{where}, trial {record.get('trial')} of {record.get('n_trials')}: validation score {score}"


_REQUIRED = ("params", "network", "fitted", "history")  # an MLP file's sections; classes, preprocessing, provenance are optional
_OPTIONAL = ("classes", "preprocessing", "provenance")


def _check_sections(meta: dict[str, Any]) -> None:
    """A ``KeyError``/``TypeError`` naming the first section that is missing or not a JSON object (as loading checks them)."""
    for key in _REQUIRED + _OPTIONAL:
        value = meta.get(key)
        if value is None and key in _OPTIONAL:
            continue
        if key not in meta:
            raise KeyError(key)
        if not isinstance(value, dict):
            raise TypeError(f"{key!r} is {'null' if value is None else type(value).__name__}, not a JSON object")


def _check_widths(path: str, network: dict[str, Any], pre: Any) -> None:
    """The :class:`UserError` loading gives when the stored table preprocessing feeds the network another number of inputs."""
    if not (isinstance(pre, dict) and pre.get("kind") == "table"):
        return
    width = 0
    for c in pre["columns"]:
        extra = int(bool(c["missing_indicator"]))
        width += 1 + extra if c["kind"] == "numeric" else len(c["categories"]) + int(bool(c["other"])) + extra
    n_in = network["in_features"]
    if width != n_in:
        raise UserError(f"'{path}' does not agree with itself (the preprocessing produces {width} features but the network reads {n_in} inputs): "
                        "the file was altered or is damaged.")


def _check_features(path: str, network: dict[str, Any], fitted: dict[str, Any]) -> None:
    """The :class:`~hiddenlayers.exceptions.ModelFileError` loading gives when the recorded ``n_features_in_`` (or the number
    of ``feature_names_in_``) is not the network's input width: ``info`` showed such an edited file as sound, which every
    other command then refused."""
    n_in, n_features, names = network["in_features"], fitted["n_features_in_"], fitted.get("feature_names_in_")
    problems = []
    if n_features != n_in:
        problems.append(f"n_features_in_ is {n_features} but the network reads {n_in} inputs")
    if isinstance(names, list) and len(names) != n_features:
        problems.append(f"{len(names)} feature names for {n_features} features")
    if problems:
        raise ModelFileError(f"'{path}' does not agree with itself ({'; '.join(problems)}): the file was altered or is damaged.")


def _check_shapes(path: str, layers: list[dict[str, Any]], tensors: dict[str, Any]) -> None:
    """The :class:`UserError` loading gives when a layer's weight tensor (shape from the header) is not the size its JSON
    says, or is missing: a file altered to claim 10**12 hidden units was shown with them, and 55 quintillion parameters."""
    for row in layers:
        key = "head.weight" if row["layer"] == "head" else f"{row['layer']}.linear.weight"
        want = (row["units"], row["inputs"])
        if key not in tensors:
            raise UserError(f"'{path}' tensors do not match its architecture (missing [{key!r}]): the file was altered.")
        got = tuple(tensors[key].get("shape") or ())
        if got != want:
            raise UserError(f"'{path}' tensor {key!r} has shape {got} but its architecture needs {want}: the file was altered.")


def _loss_name(params: dict[str, Any]) -> str | None:
    """The training loss as saved (``"gce (q=0.2)"`` for the generalized cross entropy); None in files older than the parameter."""
    loss = params.get("loss")
    return f"gce (q={params.get('gce_q')})" if loss == "gce" else loss


def _class_weight_text(stored: Any) -> str | None:
    """The stored ``class_weight`` as ``--class-weight`` takes it (``"balanced"``, ``"0=1,1=10"``); None when not set."""
    if stored is None:
        return None
    if isinstance(stored, list):  # a dict, saved as [[label, weight], ...] (labels keep their type)
        return ",".join(f"{label}={weight:g}" if isinstance(weight, (int, float)) else f"{label}={weight}" for label, weight in stored)
    return str(stored)


def _num(v: Any) -> Any:
    """A stored number, None where it is not finite: the file tags those ``{"__nonfinite_float__": "-inf"}``
    (``_files.jsonable``, not imported: it loads NumPy), older files wrote the text."""
    if isinstance(v, dict) and set(v) == {"__nonfinite_float__"}:
        return None
    if isinstance(v, str) and v in ("inf", "-inf", "nan"):
        return None
    return v


def run_info(path: str, *, as_json: bool) -> None:
    if path.lower().endswith(".onnx"):
        from ..ship import describe_onnx

        onnx_info = clean(describe_onnx(path))
        print_json(onnx_info) if as_json else _show_onnx(onnx_info)
        return
    info = model_info(path)
    if as_json:
        print_json(info)
        return
    if info["estimator"] in APP_KINDS:
        _show_app(info)
        return
    from .._rich_plain import PlainTable, styled

    con = stdout_console()  # markup off: class labels, column names, categories and paths print as given
    tr = info["training"]
    outputs = f"{info['outputs']} output{'' if info['outputs'] == 1 else 's'}"  # a two-class model has one logistic output
    con.print(styled((info["file"], "bold"), f": {info['estimator']}, {info['inputs']} inputs -> {info['spec'] or '(no hidden layers)'} -> {outputs}, "
              f"{info['parameters']:,} parameters (hiddenlayers {info['library_version']})"))
    if info.get("pipeline"):
        reads = ("predict, evaluate and inspect run it on the table's numeric columns" if info.get("pipeline_steps")
                 else "the commands read raw tables")
        mlp_reads = info["layers"][0]["inputs"]
        steps_out = f"; its MLP reads the steps' {mlp_reads} outputs" if info.get("pipeline_steps") and mlp_reads != info["inputs"] else ""
        con.print(f"saved from a scikit-learn Pipeline: {info['pipeline']} (hl.load gives the Pipeline; {reads}{steps_out})")
    t = PlainTable(title="layers", title_justify="left")
    for col in ("layer", "inputs", "units", "activation", "parameters", "extra"):
        t.add_column(col, justify="right" if col in ("inputs", "units", "parameters") else "left")
    for r in info["layers"]:
        t.add_row(r["layer"], str(r["inputs"]), str(r["units"]), r["activation"], f"{r['parameters']:,}", r["extra"])
    print_table(con, t)
    s = PlainTable(title="training", title_justify="left", show_header=False)
    s.add_column("", style="bold")
    s.add_column("")
    for k, v in tr.items():
        if v is not None:
            s.add_row(k.replace("_", " "), f"{v:.4g}" if isinstance(v, float) else str(v))
    if info["classes"] is not None:
        cl = info["classes"]
        s.add_row("classes", ", ".join(map(str, cl[:10])) + (f" ... ({len(cl)})" if len(cl) > 10 else ""))
    if info["target"]:
        s.add_row("target", f"{info['target']} ({info['task']})")
    _provenance_rows(s, info.get("provenance"))
    print_table(con, s)
    if info["preprocessing"]:
        p = PlainTable(title="preprocessing (stored in the file)", title_justify="left")
        for col in ("column", "kind", "detail"):
            p.add_column(col)
        for r in info["preprocessing"]:
            p.add_row(str(r["column"]), str(r["kind"]), str(r["detail"]))
        print_table(con, p)
    elif info.get("pipeline_steps"):
        con.print(f"preprocessing: the Pipeline's scikit-learn steps ({', '.join(info['pipeline_steps'])}) on the numeric columns")
    else:
        con.print("preprocessing: none stored (the model reads numeric columns as given)")


def data_rows(info: dict[str, Any]) -> list[tuple[str, str]]:
    """An application file's (or export's) data rows for ``info``: each column of a data file it was trained on, by role
    (``info["data_columns"]``: ``value column``, ``text column``, ``target``...), a SequenceClassifier's or SpeechRecognizer's
    long-table columns (``info["long_columns"]``, its ``long_columns_``: id, order, feature and label or transcript columns),
    and a Forecaster's training dates' step (``info["step"]``, its ``freq_``: a date column of another step is refused by
    predict and evaluate); none for other files."""
    rows = [(str(role).replace("_", " "), str(name)) for role, name in (info.get("data_columns") or {}).items()]
    rows += _long_rows(info.get("long_columns"), info.get("estimator"))
    if info.get("estimator") == "Forecaster" and "step" in info:
        step = info["step"]
        rows.append(("date step", f"{step} (a pandas offset alias; dates of another step are refused)" if step is not None
                     else "none stored (fitted on values without dates, or before the step was kept): dates are not checked"))
    return rows


def _long_rows(columns: Any, estimator: Any) -> list[tuple[str, str]]:
    """The rows of a long table's columns (``long_columns_``: ``id_column``, ``order_column`` (None: the file's order),
    ``features``, ``target``), which ``predict`` and ``evaluate`` read a new table by; none where the file keeps none."""
    if not isinstance(columns, dict):
        return []
    order = columns.get("order_column")
    features = [str(f) for f in columns.get("features") or []]
    label = "transcript column" if estimator == "SpeechRecognizer" else "target"
    return [("id column", str(columns.get("id_column"))), ("order column", str(order) if order is not None else "none (the file's row order)"),
            ("feature columns", ", ".join(features[:8]) + (f", ... ({len(features)} in all)" if len(features) > 8 else "")),
            (label, str(columns.get("target")))]


def _provenance_rows(table: Any, prov: dict[str, Any] | None) -> None:
    """Where ``init_from``/``freeze`` took the hidden layers from, as rows of a Rich ``table`` (none without a source)."""
    if prov:
        sha = prov.get("source_sha256")
        table.add_row("started from", f"{prov.get('source')}" + (f" (sha256 {sha[:12]})" if sha else ""))
        table.add_row("copied layers", ", ".join(prov.get("transferred") or []) or "none")
        table.add_row("frozen layers", ", ".join(prov.get("frozen") or []) or "none")


def _show_app(info: dict[str, Any]) -> None:
    """``info`` of an application's file as text: a summary line, its layers' tensors, its settings and provenance."""
    from .._rich_plain import PlainTable, styled

    con = stdout_console()  # markup off: the path, an app's settings (columns, vocabularies) print as given
    con.print(styled((info["file"], "bold"), f": {info['estimator']}, {info['parameters']:,} parameters (hiddenlayers {info['library_version']})"))
    t = PlainTable(title="layers (from the stored tensors)", title_justify="left")
    for col in ("layer", "tensors", "parameters"):
        t.add_column(col, justify="right" if col == "parameters" else "left")
    for r in info["layers"]:
        t.add_row(r["layer"], r["tensors"], f"{r['parameters']:,}" if r["layer"] != "(state)" else "-")
    print_table(con, t)
    s = PlainTable(title="settings", title_justify="left", show_header=False)
    s.add_column("", style="bold")
    s.add_column("")
    for k, v in info["settings"].items():
        if v is not None:
            s.add_row(k, json.dumps(v) if isinstance(v, (dict, list)) else str(v))
    _provenance_rows(s, info.get("provenance"))
    print_table(con, s)
    stored = data_rows(info)
    if stored:
        d = PlainTable(title="data read by predict and evaluate (stored in the file)", title_justify="left", show_header=False)
        d.add_column("", style="bold")
        d.add_column("")
        for row in stored:
            d.add_row(*row)
        print_table(con, d)
    for section, title in (("environment", "environment (gymnasium)"), ("training", "training")):
        if info.get(section):  # a DQNAgent's environment and run; another app's epochs and stop reason
            t = PlainTable(title=title, title_justify="left", show_header=False)
            t.add_column("", style="bold")
            t.add_column("")
            for k, v in info[section].items():
                t.add_row(k.replace("_", " "), "-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v))
            print_table(con, t)


#: The ONNX op of a layer without weights (:func:`describe_onnx`'s pool, global_pool and flatten rows), as the table shows it.
#: Four letters at most: the 80-column table has no room for 'AveragePool'.
_NO_WEIGHTS = {"MaxPool": "max", "AveragePool": "avg", "LpPool": "lp", "GlobalAveragePool": "gap", "ReduceMean": "gap",
               "GlobalMaxPool": "gmp", "ReduceMax": "gmp", "Flatten": "flat", "Reshape": "flat"}


def _conv_text(row: dict[str, Any]) -> str:
    """A convolution (or pooling) row of :func:`describe_onnx`, short for an 80-column table: ``3x3 s1 p1`` (kernel, stride, padding; ``d``/``g``: dilation, groups)."""
    def dims(values: list[int]) -> str:
        return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))

    pad = row["padding"]
    parts = ["x".join(map(str, row["kernel"])), f"s{dims(row['stride'])}", pad if isinstance(pad, str) else f"p{dims(pad)}"]
    if set(row.get("dilation", [1])) != {1}:
        parts.append(f"d{dims(row['dilation'])}")
    if row.get("groups", 1) != 1:
        parts.append(f"g{row['groups']}")
    return " ".join(parts)


def _token_rows(info: dict[str, Any]) -> list[tuple[str, str]]:
    """A token-id export's metadata rows: the ids ``X`` holds and how rows are padded, and a TextClassifier's tokenizer (none for other files)."""
    rows = []
    if info.get("token_ids"):
        t = info["token_ids"]
        text = t.get("unknown_id") is not None  # a tokenizer's ids: 0 is padding, the unknown id the lowest real one
        rows.append(("token ids (X)", f"{t['unknown_id'] if text else 0} to {t['max_id']}, padded with {t['pad_id']}" + (f"; {t['unknown_id']} = unknown" if text else "")
                     + ("" if not t.get("id_shift") else f"; the graph adds {t['id_shift']}")))
    if info.get("tokenizer"):  # a TextClassifier's export: the tokenizer travels in the file (metadata 'tokenizer')
        k = info["tokenizer"]
        norm = f"{k['normalize']}, " if k.get("normalize") else ""  # the Unicode form: NFKC, NFC
        rows.append(("tokenizer", f"{k['mode']}s, {norm}{'lowercased, ' if k['lowercase'] else ''}{k['vocab_size']:,} ids (0 pad, 1 unknown), "
                                  f"first {k['max_len'] if k['max_len'] is not None else 'all'} tokens; metadata key 'tokenizer'"))
    return rows


def _show_onnx(info: dict[str, Any]) -> None:
    """``info`` of an ONNX file as text: a summary line, the graph's inputs and outputs, its dense layers, the metadata."""
    from .._rich_plain import PlainTable, styled

    con = stdout_console()  # markup off: the path, target, classes, columns and categories print as given
    opsets = ", ".join(f"{k} {v}" for k, v in info["opset_imports"].items())
    written = f"hiddenlayers {info['library_version']}" if info["library_version"] else "hiddenlayers (version not recorded)"
    con.print(styled((info["file"], "bold"), f": ONNX (opset {opsets}), {info['bytes']:,} bytes, {info['estimator'] or 'model'}"
                  f"{', int8-quantised' if info['quantized'] else ''}, computes in {info.get('dtype') or 'unknown'}; written by {written}, producer {info['producer'] or 'unknown'}"))
    io = PlainTable(title="graph inputs and outputs", title_justify="left")
    for col in ("", "name", "type", "shape"):
        io.add_column(col)
    for kind, rows in (("input", info["graph_inputs"]), ("output", info["graph_outputs"])):
        for r in rows:
            shape = "(" + ", ".join("?" if d is None else str(d) for d in r["shape"]) + ")" if r["shape"] is not None else "unknown"
            io.add_row(kind, r["name"], r["type"], shape)
    print_table(con, io)
    if info["layers"]:
        kinds = {r.get("kind") for r in info["layers"]}
        conv = bool(kinds & {"conv", "pool"})
        named = [("convolution" if "conv" in kinds else None), ("pooling" if kinds - {"conv", "dense", "recurrent"} else None),
                 ("recurrent" if "recurrent" in kinds else None), "dense"]
        words = [w for w in named if w]
        title = ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]
        t = PlainTable(title=f"{title} layers found in the graph", title_justify="left")
        cols = ("layer", "op", "inputs", "units", *(("kernel",) if conv else ()), "weights", "bias", "followed by", "parameters")
        for col in cols:
            t.add_column(col, justify="right" if col in ("inputs", "units", "parameters") else "left", no_wrap=col in ("layer", "kernel", "parameters"))
        for r in info["layers"]:
            weighted = r.get("kind") in (None, "dense", "conv", "recurrent")
            kernel: tuple[str, ...] = ((_conv_text(r) if r.get("kind") in ("conv", "pool") else "-"),) if conv else ()
            op = r["op"] if weighted else _NO_WEIGHTS.get(r["op"], r["op"])
            t.add_row(r["layer"], op, *(str(r[k]) if weighted else "-" for k in ("inputs", "units")), *kernel,
                      r["weight_type"] or "-", ("yes" if r["bias"] else "no") if weighted else "-", r["followed_by"] or "-", f"{r['parameters']:,}")
        print_table(con, t)
        if conv:
            con.print("convolutions: inputs = input channels, units = filters; kernel 3x3 s1 p1 = a 3 x 3 kernel, stride 1, padding 1 (pads per side)")
        if "recurrent" in kinds:
            con.print("recurrent layers: inputs = features a step, units = output features a step (hidden size x directions; "
                      "PyTorch's exporter writes a two-direction layer as two ops); parameters: W, R and the biases")
        if kinds - {"conv", "dense", "recurrent"}:
            con.print("layers without weights: max/avg = max/average pooling (kernel, stride, padding), gap/gmp = global average/max pooling, flat = flatten")
        con.print(f"{info['parameters']:,} parameters in these layers")
    else:
        con.print("layers: no dense (Gemm/MatMul), convolution (Conv) or recurrent (LSTM/GRU/RNN) node with stored weights found in the graph")
    s = PlainTable(title="metadata (written by hiddenlayers export)", title_justify="left", show_header=False)
    s.add_column("", style="bold")
    s.add_column("")
    s.add_row("output", str(info["output"]))
    if info["target"]:
        s.add_row("target", f"{info['target']} ({info['task']})")
    if info["classes"] is not None:
        cl = info["classes"]
        s.add_row("classes", ", ".join(map(str, cl[:10])) + (f" ... ({len(cl)})" if len(cl) > 10 else ""))
    if info.get("app_input"):  # an application's export: X is images, rows or windows, not a table
        a = info["app_input"]
        typed = " ".join(str(part) for part in (a.get("layout"), a.get("dtype", "float32")) if part)  # dtype "": the layout names each input's type
        s.add_row("input (X)" if "inputs" not in a else "inputs", f"{typed}: {a.get('values')}")
        if info["input_columns"]:
            s.add_row("input columns (X)", ", ".join(info["input_columns"]))
        for row in (*_token_rows(info), *data_rows(info)):
            s.add_row(*row)
    elif info["numeric_columns"] is not None:
        s.add_row("numeric columns (X)", ", ".join(info["numeric_columns"]) or "-")
        for c in info["categorical_columns"]:
            cats = c["categories"]
            s.add_row(f"categorical column (C): {c['name']}", ", ".join(map(str, cats[:6])) + (f" ... ({len(cats)})" if len(cats) > 6 else ""))
        if info["missing_token"] is not None:
            s.add_row("missing text in C", repr(info["missing_token"]))
    elif info["input_columns"]:
        s.add_row("input columns (X)", ", ".join(info["input_columns"]))
    elif not info.get("pipeline"):
        s.add_row("preprocessing", "none stored (X is the numeric matrix the network reads)")
    if info.get("pipeline"):  # a Pipeline's export: its scikit-learn steps are nodes of the graph, ahead of the MLP
        filled = "NaN cells of X filled in the graph" if info.get("fills_missing") else "no missing cells (no imputer fills them first)"
        s.add_row("preprocessing", f"the Pipeline's steps in the graph: {info['pipeline']} ({filled})")
    print_table(con, s)


def run_datasets(*, as_json: bool) -> None:
    from ..data import DATASET_TARGET, DATASETS

    rows = [{"name": d.name, "task": d.task, "target": DATASET_TARGET, "description": d.description, "source": f"sklearn.datasets.{d.loader}"} for d in DATASETS.values()]
    if as_json:
        print_json(rows)
        return
    from .._rich_plain import PlainTable

    t = PlainTable(title="bundled datasets (use the name wherever a data file goes, e.g. `hiddenlayers train digits`)", title_justify="left")
    for col in ("name", "task", "description", "source"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["name"], r["task"], r["description"], r["source"])
    print_table(stdout_console(), t)  # the title (how to use a name) is wider than an 80-column table
