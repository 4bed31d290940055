"""``hiddenlayers train DATA --app KIND``: fit an application (``hl.apps``) on a data file and save it as one model file.

The options are ``train``'s where they mean the same thing for the app (``--hidden``, ``--epochs``, ``--lr``,
``--alpha``, ``--batch-size``, ``--early-stopping``, ``--seed``, ``--test-size``, ``--out``, ``--force``, ...),
and the app's inputs are named as ``predict`` and ``evaluate`` name them for the same app's file
(``--text-column``, ``--value-column``, ``--steps``, ``--target``, ``--features``; a SequenceClassifier's file stores its
``--id-column`` and ``--order-column``, as a SpeechRecognizer's does), so the file written is
read back by those commands with the same options. ``--weight-averaging ema|swa`` (with ``--ema-decay``, ``--swa-start``,
``--swa-lr``, ``--swa-anneal-epochs``, ``--swa-anneal-strategy``) sets the app's ``weight_averaging`` and its settings, for the apps
trained by ``hl.training.train`` (text, sequence, image, speech, autoencoder, forecaster), with ``train``'s refusals of a setting it
would ignore. An option of ``train`` that the app has no use for
(``--sample-weight``, ``--workers``; ``--weight-averaging`` for a recommender, translator or agent, ...) is refused in one line
that lists the options that apply, before anything is read or written. Any other parameter of the app:
``--set KEY=VALUE`` (``n_factors``, ``contamination``, ``tokenizer``, ``target=delta``, ...).
``--max-time SECONDS`` sets the app's ``max_time`` (seconds of training: the fit stops after the epoch that reaches them,
stop reason ``time_limit``; a DQNAgent's counts seconds of play and learning and stops after the step that reaches them).
``--init-from FILE`` (with ``--freeze``) starts a TextClassifier, Forecaster, ImageClassifier, Autoencoder, Recommender,
SequenceClassifier, Translator or SpeechRecognizer from a file of the same app (its ``init_from``); a DQNAgent has none and refuses it.
The app shows ``train``'s Rich progress bar over its epochs on stderr (``--quiet``, or ``--json``: none). What the app
prints while it fits (``--set verbose=true``: one line per epoch) goes to stderr too: stdout holds the summary only,
so ``--json`` is one JSON document.

The fitting is the app's own ``fit``; the file is its ``save`` (written atomically). What each app reads and
scores is in :mod:`._apptrain_fit`.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
import time
from typing import Any

from ._binary import held_out_confusion, metric_label
from ._common import (
    UserError,
    averaging_text,
    check_output,
    is_stream_input,
    note,
    one_line,
    saved_line,
    stdout_console,
    stop_if_interrupted,
    summary_table,
)
from ._header import check_app_columns
from ._log import log_callback, log_path
from ._options import check_averaging_options

#: ``--app`` name -> the application class it trains
APPS = {"text": "TextClassifier", "autoencoder": "Autoencoder", "recommender": "Recommender", "forecaster": "Forecaster", "image": "ImageClassifier",
        "sequence": "SequenceClassifier", "translator": "Translator", "speech": "SpeechRecognizer", "agent": "DQNAgent"}
#: options every app takes (the command's parameter names); an agent reads no data, so it holds none out (--test-size)
_EVERY = ("data", "app_", "out", "force", "json", "quiet", "seed", "set_")
_HOLD_OUT = ("test_size",)
#: the apps whose held-out metrics are a classifier's: a two-class target's positive class is --pos-label's
_CLASSIFIERS = ("text", "image", "sequence")
#: the per-epoch CSV log (hl.CSVLogger, the app's callbacks) and the gradient flow (hl.lens.GradientFlow, kept in the app's History):
#: every app trained by epochs; an agent has no epochs (nor a History). A Translator's --gradient-flow is refused by :mod:`._appgradflow`
_LOGS = ("log", "gradient_flow")
#: train's options that set the app parameter of the same meaning (parameter name -> the app's)
_COMMON = {"hidden": "hidden_layer_sizes", "activation": "activation", "alpha": "alpha", "batch_size": "batch_size",
           "learning_rate_init": "learning_rate_init", "max_iter": "max_iter", "early_stopping": "early_stopping",
           "validation_fraction": "validation_fraction", "n_iter_no_change": "n_iter_no_change", "tol": "tol", "device": "device",
           "max_time": "max_time"}
#: apps that take only some of them: a Translator has no hidden_layer_sizes, activation or alpha (its sizes: --set hidden_size=...)
_COMMON_ONLY = {"translator": ("batch_size", "learning_rate_init", "max_iter", "early_stopping", "validation_fraction", "n_iter_no_change", "tol", "device",
                               "max_time"),
                "agent": ("hidden", "activation", "batch_size", "learning_rate_init", "max_time")}
#: apps' deprecated parameter names (-> the name an option sets now): --set may not set them (a DQNAgent's learning_rate is --lr)
_DEPRECATED = {"agent": {"learning_rate": "learning_rate_init"}}
#: per app: more options that set its parameters of the same name, and the options that say what it reads
#: the weight-averaging options of train (the estimators' parameters of the same names): the apps whose fit is hl.training.train take them
_AVERAGING = ("weight_averaging", "ema_decay", "swa_start", "swa_lr", "swa_anneal_epochs", "swa_anneal_strategy")
_PARAMS = {"text": ("solver", "learning_rate", "clip_grad_norm", "dtype", "loss", "gce_q", "class_weight", "label_smoothing", "init_from", "freeze", *_AVERAGING),
           "autoencoder": ("init_from", "freeze", *_AVERAGING), "recommender": ("loss", "init_from", "freeze"),
           "forecaster": ("window", "horizon", "init_from", "freeze", *_AVERAGING),
           "image": ("solver", "learning_rate", "dtype", "loss", "gce_q", "class_weight", "label_smoothing", "init_from", "freeze", *_AVERAGING),
           "sequence": ("solver", "learning_rate", "clip_grad_norm", "dtype", "loss", "gce_q", "class_weight", "label_smoothing", "init_from", "freeze",
                        *_AVERAGING),
           "translator": ("init_from", "freeze"), "speech": ("solver", "learning_rate", "clip_grad_norm", "dtype", "init_from", "freeze", *_AVERAGING),
           "agent": ()}
_READS = {"text": ("target", "text_column"), "autoencoder": ("target", "features"), "recommender": ("target", "features"),
          "forecaster": ("value_column", "steps"), "image": ("target", "features", "image_shape", "image_dtype", "image_layout"),
          "sequence": ("target", "features", "id_column", "order_column"), "translator": ("target", "source_column"),
          "speech": ("target", "features", "id_column", "order_column"),
          "agent": ("env", "total_steps", "eval_every", "eval_episodes", "target_return", "max_episode_steps")}  # what it plays, and for how long
#: app parameters that an option of ``train --app`` sets: ``--set`` may not set them too
_DEDICATED = {"window": "--window", "horizon": "--horizon"}


def refuse_app_options(**given: Any) -> None:
    """Refuse ``train --app``'s own options (``--text-column``, ``--value-column``, ``--steps``, ``--image-*``; ``--window`` and ``--horizon``) without ``--app``."""
    for name, value in given.items():
        if value is not None:
            option = "--" + name.replace("_", "-")
            owner = next(app for app in APPS if name in (*_READS[app], *_PARAMS[app]))
            raise UserError(f"{option} is an option of train --app {owner} (a table MLP has no use for it): add --app {owner}, or drop {option}.")


def applicable(app: str) -> tuple[str, ...]:
    """The command's parameter names that ``train --app app`` takes."""
    classes = ("pos_label",) if app in _CLASSIFIERS else ()
    return (*_EVERY, *((*_HOLD_OUT, *_LOGS) if app != "agent" else ()), *classes, *_common(app), *_PARAMS[app], *_READS[app])


def _common(app: str) -> dict[str, str]:
    """The options of :data:`_COMMON` that ``app`` takes (parameter name -> the app's)."""
    return {k: v for k, v in _COMMON.items() if k in _COMMON_ONLY.get(app, _COMMON)}


def check_app(app: str, flags: dict[str, str], given: set[str]) -> str:
    """The application class ``--app app`` trains; an unknown app, or a ``given`` option it does not take, is one line.

    ``flags``: each parameter name's option as typed (``"sample_weight"`` -> ``"--sample-weight"``); ``given``: the parameters set on the command line.
    """
    if app not in APPS:
        close = difflib.get_close_matches(app, list(APPS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(f"--app must be one of {', '.join(APPS)}{hint}. Received: {app!r}.")
    takes = applicable(app)
    refused = [name for name in flags if name in given and name not in takes]
    if refused:
        from ._appfiles import article

        why = _WHY_NOT.get((app, refused[0]))
        if why:  # an option of the same idea that the app gets another way: say which
            raise UserError(f"{flags[refused[0]]} does not apply to train --app {app} ({article(APPS[app])}): {why}; drop {flags[refused[0]]}.")
        said = f"{flags[refused[0]]} does not apply to train --app {app} ({article(APPS[app])}): drop it; the options that apply are "
        raise UserError(said + _options_within(app, takes, flags, _LINE - len(said)))
    return APPS[app]


#: why ``train --app APP`` refuses an option that names what it does another way, instead of the list of options that apply
_WHY_NOT = {
    ("forecaster", "order_column"): "a Forecaster reads its series in the file's order, which the table's date column (its first column "
                                    "of dates or ISO 8601 date text) checks: a date that goes back is refused, skipped dates are noted; "
                                    "sort the file by that column",
}

#: the most characters of one error line (``_common.one_line`` cuts there)
_LINE = 500


def _options_within(app: str, takes: tuple[str, ...], flags: dict[str, str], room: int) -> str:
    """The options ``app`` takes, as a sentence's end of at most ``room`` characters: what it reads first, the averaging settings said
    with ``--weight-averaging``, and ``...`` for those left out (the every-app ones, last), so the line is never cut inside a name."""
    order = [*_READS[app], *(n for n in takes if n not in _READS[app] and n not in _EVERY and n not in _AVERAGING[1:]), *_EVERY]
    names = [flags[n] + (" (--ema-decay, --swa-*)" if n == "weight_averaging" else "") for n in order if n in flags and n not in ("data", "app_")]
    for k in range(len(names), 0, -1):
        text = ", ".join(names[:k]) + (", ..." if k < len(names) else ".")
        if len(text) <= room:
            return text
    return "..."


def app_params(app: str, options: dict[str, Any], given: set[str], defaults: dict[str, Any]) -> dict[str, Any]:
    """The app's parameters from the ``given`` options (the others keep the app's own defaults) and ``--set KEY=VALUE``.

    ``defaults``: the app's ``get_params()``, whose keys ``--set`` may name (a key an option sets is refused, naming it).
    """
    from ._train import parse_set

    names = {**_common(app), **{n: n for n in _PARAMS[app]}}
    params = {names[n]: options[n] for n in names if n in given}
    if "batch_size" in params:
        params.pop("batch_size") if params["batch_size"] == "auto" else params.update(batch_size=_whole(params["batch_size"], "--batch-size"))
    if "gce_q" in params and params.get("loss", "log_loss") != "gce":
        raise UserError("--gce-q needs --loss gce (the default --loss log_loss has no q): add --loss gce, or drop --gce-q.")
    for item in options.get("set_") or []:  # a deprecated name of a parameter a common option sets (the agent's learning_rate: --lr)
        key = item.partition("=")[0].strip().replace("-", "_")
        new = _DEPRECATED.get(app, {}).get(key)
        if new is not None:
            option = "--lr" if new == "learning_rate_init" else f"--{new.replace('_', '-')}"
            raise UserError(f"use {option} instead of --set {item}: {key} is the deprecated name of a {APPS[app]}'s {new}, which {option} sets.")
    for key, value in parse_set(options.get("set_") or []).items():
        if key in _DEDICATED:
            raise UserError(f"use {_DEDICATED[key]} instead of --set {key}=...: {_DEDICATED[key]} sets {key}.")
        if key not in defaults:
            close = difflib.get_close_matches(key, sorted(defaults), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UserError(f"--set {key}: a {APPS[app]} has no parameter '{key}'{hint}; its parameters are {', '.join(sorted(defaults))}.")
        params[key] = value
    return params


#: the parameters a new app takes from its ``--init-from`` file unless given: they shape the layers copied (the Forecaster's first layer reads
#: ``window`` values; an Autoencoder's bottleneck is ``n_components`` wide, a Recommender's embeddings ``n_factors``)
_SHAPING = ("hidden_layer_sizes", "window", "horizon", "n_components", "n_factors")
#: per app, more of them: a Translator's layer sizes and kinds, and the tokenizer, case folding and Unicode form its tokens must share with
#: the source
_APP_SHAPING = {"translator": ("hidden_size", "embed_dim", "cell", "num_layers", "bidirectional", "attention", "input_feeding", "tie_embeddings",
                               "tokenizer", "lowercase", "normalize")}


def _before(app: str) -> dict[str, Any]:
    """A shaping parameter's value in a file written before it existed, as that file's model behaves and its ``load`` reads it
    (a Translator fed Luong's vector back, had its own output weights and read text as typed)."""
    if app != "translator":
        return {}
    from ..apps import Translator

    return dict(Translator.PARAMS_BEFORE_OPTIONS)


def transfer_params(app: str, params: dict[str, Any]) -> dict[str, Any]:
    """``--init-from`` checked (a model file of the same app) and ``--freeze`` parsed as ``train`` parses it.

    The source's ``hidden_layer_sizes`` (and a Forecaster's ``window`` and ``horizon``, an Autoencoder's ``n_components``, a
    Recommender's ``n_factors``) are the defaults of the new app, so its hidden layers match the source's and are copied. A table model's file or another app's is one line naming what is taken;
    so is a ``--window`` other than the source forecaster's (its first layer reads that many values: no layer could be copied).
    """
    from ._appfiles import article
    from ._train import freeze_option

    params = dict(params)
    init_from = params.get("init_from")
    if params.get("freeze") is not None:
        if init_from is None:
            raise UserError("--freeze needs --init-from: freezing fresh random layers would only shrink the model.")
        params["freeze"] = freeze_option(params["freeze"])
    if init_from is None:
        return params
    from ..ship import read_metadata

    meta = read_metadata(init_from)  # ModelFileError (one line, exit 2) for a missing or foreign file
    kind = str(meta.get("estimator"))
    if kind != APPS[app]:
        held = "a table model (`hiddenlayers train`)" if kind in ("MLPClassifier", "MLPRegressor") else f"{article(kind)} (an application file)"
        raise UserError(f"--init-from '{init_from}' holds {held}; train --app {app} starts from {article(APPS[app])} file "
                        f"(written by `hiddenlayers train --app {app}` or {APPS[app]}.save): pass one, or drop --init-from.")
    from ..estimators import sizes_from_json

    source = meta.get("params") or {}
    if "window" in params and "window" in source and int(params["window"]) != int(source["window"]):
        # the Forecaster refuses it too (fit's ValueError); said here in the options' words, before the data is read
        raise UserError(f"--window {params['window']} differs from the --init-from file's window {source['window']}: its first layer (hidden1) reads "
                        f"{source['window']} values, not {params['window']}, and layers are copied from the first on, so none could be copied; "
                        f"drop --window (the file's is the default) or drop --init-from.")
    before = _before(app)
    for name in (*_SHAPING, *_APP_SHAPING.get(app, ())):
        if name not in params and (name in source or name in before):
            params[name] = sizes_from_json(source[name]) if name == "hidden_layer_sizes" else source.get(name, before.get(name))
    return params


def _whole(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UserError(f"{option} must be 'auto' or an integer >= 1. Received: {text!r}.") from None


def param_options(app: str, flags: dict[str, str]) -> dict[str, str]:
    """The app parameter -> the option of ``train`` that sets it (``"learning_rate_init"`` -> ``"--lr"``)."""
    return {param: flags[name] for name, param in {**_common(app), **{n: n for n in _PARAMS[app]}}.items() if name in flags}


def option_error(exc: BaseException, by_param: dict[str, str]) -> UserError:
    """An app's parameter error (``max_iter must be ...``) as one line led by the option that sets it (``--epochs: max_iter must be ...``).

    ``by_param``: app parameter -> option (``--set KEY`` for a key ``--set`` gave).
    """
    message = one_line(exc)
    option = by_param.get(message.split(" ", 1)[0])
    return UserError(f"{option}: {message}" if option else message)


def run_app_train(data: str | None, app: str, options: dict[str, Any], flags: dict[str, str], given: set[str]) -> dict[str, Any]:
    """``train DATA --app app``: check the options, read ``data``, fit the app on the training part, score the held-out part, save.

    ``options``: every option of ``train`` by parameter name; ``flags``: their option names; ``given``: those set on the command line.
    Returns (and prints, or prints as JSON with ``--json``) the summary. ``--app agent`` reads no DATA: :mod:`._appagent` trains it.
    """
    from .. import apps
    from ._appgradflow import add_gradient_flow, recorded_epochs, refuse_gradient_flow
    from ._apptrain_fit import FITS

    kind = check_app(app, flags, given)
    if options.get("gradient_flow"):
        refuse_gradient_flow(app)
    if "weight_averaging" in _PARAMS[app]:  # --ema-decay without --weight-averaging ema, ...: train's refusals, before any data is read
        check_averaging_options(*(options[name] for name in _AVERAGING))
    if data is None:
        raise UserError(f"train --app {app} needs DATA: the data file to learn from (CSV, TSV, Parquet, JSON lines, .npy, .npz) before the options.")
    if is_stream_input(data) and not (app == "image" and os.path.isdir(data)):  # the image app reads a folder of class sub-folders
        also = " (or, for --app image, a folder with one sub-folder of images per class)" if app == "image" else ""
        raise UserError(f"train --app reads one data file in memory{also}; '{data}' is a folder or a glob, which only a table MLP streams: pass one file.")
    cls = getattr(apps, kind)
    defaults = cls().get_params()
    params = transfer_params(app, app_params(app, options, given, defaults))
    by_param = param_options(app, flags)
    by_param.update({k: f"--set {k}" for k in params if k not in by_param})  # the keys --set gave
    check_app_params(cls, params, by_param)  # the options before the outputs: an existing --out never hides a bad --epochs
    check_app_columns(data, app, options)  # a misspelt --target, --features or app column (--text-column, --id-column, ...) before an existing --out
    inputs = tuple(str(f) for f in (data, params.get("init_from")) if f is not None)  # --init-from's model is read too: never written over
    out = check_output(options["out"], force=options["force"], inputs=inputs, what="--out")
    log_file = log_path(options.get("log"), force=options["force"], inputs=inputs, out_path=out)  # checked before any work
    if "progress_bar" in defaults:  # every app's, a Translator's too
        params["progress_bar"] = not (options["quiet"] or options["json"])  # train's Rich bar on stderr, as for a table model
    if log_file is not None:  # --log: one CSV row per epoch as the fit runs, as for a table model
        params["callbacks"] = [log_callback(log_file)]
    make = maker(cls, params, int(options["seed"]), by_param)
    flow = bool(options.get("gradient_flow"))

    def fit(m: Any, *args: Any, lens_rows: Any = None, **kw: Any) -> Any:
        """The app's fit; with --gradient-flow its callbacks gain the lens on ``lens_rows`` (default: the training inputs ``args[0]``)."""
        if not flow:
            return fit_app(m, by_param, *args, **kw)
        lens = add_gradient_flow(app, m, args[0] if lens_rows is None else lens_rows, int(options["seed"]))
        fitted = fit_app(m, by_param, *args, **kw)
        lens.finish()
        return fitted

    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # the app's progress lines (--set verbose=true): stdout holds the summary only
        model, summary = FITS[app](data, options, given, make, fit)
    elapsed = time.perf_counter() - start
    if flow:
        summary["gradient_flow_epochs"] = recorded_epochs(model)
        if not summary["gradient_flow_epochs"]:
            note("--gradient-flow recorded nothing: the fit ran no epoch.")
    remember_columns(app, data, model, summary)
    model.save(out)
    # an app without hidden_layer_sizes is the Translator; an empty spec ("", ()) is a model without hidden layers, not one;
    # an ImageClassifier's layers fitted (hidden_spec_): its default takes 'same' padding below 10 x 10 pixels
    layers = spec_text(getattr(model, "hidden_spec_", None) or model.hidden_layer_sizes) if hasattr(model, "hidden_layer_sizes") else _seq2seq(model)
    summary = {"model": str(out), "app": kind, **summary, "hidden_layers": layers,
               "epochs": int(model.n_iter_), "stop_reason": model.stop_reason_, "seconds": round(elapsed, 3)}
    if averaging_text(model.get_params()) is not None:  # the weights the file holds are an average: said, as train says it of a table model
        summary["weight_averaging"] = averaging_text(model.get_params())
    if params.get("init_from") is not None:
        summary.update(init_from=str(params["init_from"]), transferred=list(model.transferred_), frozen=list(model.frozen_))
        record = getattr(model, "provenance_", None) or {}
        summary.update({k: record[k] for k in ("users_from_source", "new_users", "items_from_source", "new_items", *_TOKEN_COUNTS, *_CHARACTER_COUNTS)
                        if k in record})
    show_summary(summary, bool(options["json"]))
    stop_if_interrupted(model.stop_reason_, saved_line(out))  # Ctrl-C: the app kept its best weights; saved and said, then exit 130
    return summary


#: a Translator's ``provenance_`` counts of the tokens whose rows came from the source and those new, per side (summary labels)
#: a SpeechRecognizer's: the characters whose output rows came from the source and those new
_CHARACTER_COUNTS = {"characters_copied": "characters from the source", "characters_new": "new characters"}
_TOKEN_COUNTS = {"source_tokens_copied": "source words from the source", "source_tokens_new": "new source words",
                 "target_tokens_copied": "target words from the source", "target_tokens_new": "new target words"}


#: per app, the columns of the data file its file keeps (``data_columns_``), which predict, evaluate and inspect then read by default
#: (a SequenceClassifier, Translator or SpeechRecognizer keeps its own: ``long_columns_``, ``source_column_``)
_KEPT_COLUMNS = {"text": ("text_column", "target"), "image": ("target",), "autoencoder": ("target",), "recommender": ("target",),
                 "forecaster": ("value_column",)}


def remember_columns(app: str, data: str, model: Any, summary: dict[str, Any]) -> None:
    """Set ``model.data_columns_`` to the columns of ``data`` the fit read (the text column, the label, rating or anomaly column, a Forecaster's value column), which
    its :meth:`save` stores; an ``.npz``'s labels are an array, not a column, and a column not given (an Autoencoder without ``--target``) is left out."""
    if data.lower().endswith(".npz"):
        return
    columns = {role: str(summary[role]) for role in _KEPT_COLUMNS.get(app, ()) if summary.get(role) is not None}
    if columns:
        model.data_columns_ = columns


def check_app_params(cls: Any, params: dict[str, Any], by_param: dict[str, str]) -> None:
    """The app's parameters the options and ``--set`` gave, checked against its parameter table (as its ``fit`` checks them,
    weight averaging's cross-checks too) before any file is read or written; a bad value is one line led by its option (``by_param``)."""
    from .._params import check_given
    from ..estimators import check_averaging

    try:
        model = cls(**params)
        check_given(model, params)
        if "weight_averaging" in params:  # its cross-checks too (an --swa-start past --epochs), in the estimators' words, before any data is read
            check_averaging(model)
    except (TypeError, ValueError) as exc:
        raise option_error(exc, by_param) from None


def maker(cls: Any, params: dict[str, Any], seed: int, by_param: dict[str, str]) -> Any:
    """``make(**more)``: an unfitted ``cls`` with ``params``, ``more`` (the app's data-dependent ones) and ``random_state=seed``."""

    def make(**more: Any) -> Any:
        try:
            return cls(**{**params, **more}, random_state=seed)
        except (TypeError, ValueError) as exc:
            raise option_error(exc, by_param) from None

    return make


def _seq2seq(model: Any) -> str:
    """A Translator's layers in words: ``"gru64 (bidirectional encoder), attention luong"``."""
    both = " (bidirectional encoder)" if model.bidirectional else ""
    return f"{model.cell}{model.hidden_size} x {model.num_layers}{both}, attention {model.attention}"


def spec_text(sizes: Any) -> str:
    """A hidden-layer spec as the summary shows it: ``"64,32"``; ``"none"`` for no hidden layer (``()``, ``[]``, ``""``)."""
    text = ",".join(str(s) for s in sizes) if isinstance(sizes, (tuple, list)) else str(sizes)
    return text or "none"


def fit_app(model: Any, by_param: dict[str, str], *args: Any, method: str = "fit", **kwargs: Any) -> Any:
    """``model.fit(*args, **kwargs)`` (or its ``method``: ``fit_long``); a parameter the app refuses is one line naming the option,
    a data problem one line ``training failed: ...``; a divergence's remedies (the error, the ``DivergedWarning``'s note) name the
    options (``--lr``), not the parameters."""
    from ..exceptions import DataError
    from ._option_words import REMEDY_PARAMS, notes_in_option_words, option_words

    remedies = {**{name: f"--set {name}" for name in REMEDY_PARAMS}, **by_param}  # a divergence's remedy as typed: --lr, --set max_grad_norm
    try:
        with notes_in_option_words(remedies):
            return getattr(model, method)(*args, **kwargs)
    except DataError as exc:
        raise UserError(f"training failed: {option_words(one_line(exc), remedies)}") from None
    except (ValueError, TypeError) as exc:
        error = option_error(exc, by_param)
        raise error if str(error) != one_line(exc) else UserError(f"training failed: {option_words(one_line(exc), remedies)}") from None


def _listed(names: list[Any], most: int = 6) -> str:
    """``'a, b, c'``, or the first ``most`` and how many in all (``--json`` has every name)."""
    shown = ", ".join(map(str, names[:most]))
    return shown if len(names) <= most else f"{shown}, ... ({len(names)} in all)"


def show_summary(s: dict[str, Any], as_json: bool) -> None:
    """The training summary of an app, as ``train`` prints a table model's (a table, or JSON)."""
    t = summary_table(s, as_json)
    if t is None:
        return
    for key, label in (("app", "application"), ("folder", "image folder (labels: its sub-folders)"), ("id_column", "id column"), ("order_column", "order column"), ("text_column", "text column"), ("source_column", "source column"), ("features", "columns"), ("value_column", "value column"),
                       ("target", "target"), ("alphabet", "alphabet"), ("hidden_layers", "hidden layers"), ("sequences", "training sequences"), ("rows", "training rows"), ("window", "window"),
                       ("horizon", "horizon"), ("image_shape", "image shape (C x H x W)"),
                       ("image_layout", "image layout (hwc or chw)"), ("threshold", "anomaly threshold"), ("init_from", "started from"),
                       ("transferred", "layers copied"), ("frozen", "layers kept fixed"), ("users_from_source", "users from the source"),
                       ("new_users", "new users"), ("items_from_source", "items from the source"), ("new_items", "new items"), *_TOKEN_COUNTS.items(),
                       *_CHARACTER_COUNTS.items()):
        if s.get(key) is not None:
            value = s[key]
            t.add_row(label, (_listed(value) or "none") if isinstance(value, list) else f"{value:.4g}" if isinstance(value, float) else str(value))
            if key == "threshold":  # its meaning right under it, before an --init-from's rows
                t.add_row("", "reconstruction error above which predict flags a row (-1)")
    for k, v in s.get("test_metrics", {}).items():
        t.add_row(f"held-out {metric_label(k, held_out_confusion(s))}", f"{v:.4f}")  # sensitivity: whose recall
    if "test_rows" in s:
        t.add_row("held-out rows", str(s["test_rows"]))
    if "test_sequences" in s:
        t.add_row("held-out sequences", str(s["test_sequences"]))
    if s.get("test_cold_start_rows"):
        t.add_row("", f"{s['test_cold_start_rows']} with a user or item not in the training part (rated by the fallback; evaluate shows them apart)")
    if "weight_averaging" in s:
        t.add_row("weight averaging", f"{s['weight_averaging']}: the model holds the averaged weights")
    t.add_row("epochs", str(s["epochs"]))
    if "gradient_flow_epochs" in s:
        t.add_row("gradient flow", f"recorded for {s['gradient_flow_epochs']} epochs (see `hiddenlayers inspect`)")
    t.add_row("stop reason", str(s["stop_reason"]))
    t.add_row("time", f"{s['seconds']:.2f} s")
    t.add_row("saved to", s["model"])
    stdout_console().print(t)


__all__ = ["APPS", "applicable", "app_params", "check_app", "fit_app", "maker", "param_options", "refuse_app_options", "run_app_train", "show_summary",
           "spec_text"]
