"""``hiddenlayers explain --model FILE --data TABLE --row N``: one pass of a saved model on one of the user's rows.

The row is read as ``predict`` and ``evaluate`` read a table (every data row
kept in file order; ``--row 1`` is the first row after the header, a count of
data rows; messages name its file line, as every command's do), its target from the column the model file records (or
``--target``), and handed raw to :func:`hiddenlayers.estimators.explain_model`,
which applies the stored preprocessing itself and shows both forms. A saved Pipeline of scikit-learn steps then an MLP
is explained as ``hl.explain(pipe, ...)`` explains it: the row's numeric columns (read as ``predict`` reads them, by
name where the Pipeline was fitted on a DataFrame) pass through the steps, and the network's inputs are named by the
steps' ``get_feature_names_out()``.
"""

from __future__ import annotations

import re
from typing import Any

from .._words import article
from ._common import UserError, clean, one_line, print_json

SUPPORTED = "explain supports MLPClassifier and MLPRegressor model files (.safetensors), and saved Pipelines ending in one"
#: hl.explain's parameters by the options that set them: its errors name the parameter (learning_rate), the user typed --lr
OPTIONS = {"learning_rate": "--lr", "q": "--q", "sizes": "--sizes", "input": "--input", "target": "--target", "loss": "--loss",
           "seed": "--seed", "activation": "--activation", "solver": "--solver", "steps": "--steps", "momentum": "--momentum",
           "nesterovs_momentum": "--nesterov/--no-nesterov", "beta_1": "--beta1", "beta_2": "--beta2", "epsilon": "--epsilon", "alpha": "--alpha"}


def option_error(exc: Exception) -> UserError:
    """``exc`` of :func:`hiddenlayers.explain` as one line led by the option that sets the parameter it names, as ``train``'s
    parameter errors are (``--lr: learning_rate must be a finite number > 0 ...``); a message naming no parameter stays as it is."""
    message = one_line(exc)
    first = re.match(r"[a-z][a-z_0-9]*", message)  # beta_1 has a digit
    option = OPTIONS.get(first.group(0)) if first else None
    return UserError(f"{option}: {message}" if option else message)


def refuse_tiny_options(given: dict[str, Any]) -> None:
    """With ``--model``: refuse the tiny network's options that were given (``{"--sizes": value or None, ...}``), naming them."""
    named = [option for option, value in given.items() if value is not None]
    if named:
        verb = "describes" if len(named) == 1 else "describe"
        raise UserError(f"{', '.join(named)} {verb} the tiny network; with --model the network, activations, loss and alpha are the model's: "
                        f"drop {named[0]}.")


def check_tiny_loss(loss: str | None) -> None:
    """Refuse ``--loss gce`` (the estimators' name) with the command's own flags: the API's hint names ``q=``, the CLI's ``--q``."""
    if loss is not None and loss.strip().lower() == "gce":
        raise UserError("--loss gce is the estimators' name (train --loss gce --gce-q Q); the tiny network calls it "
                        "generalized_cross_entropy: pass --loss generalized_cross_entropy --q Q (Q in (0, 1], default 0.7).")


def check_optim_options(optim: dict[str, Any]) -> None:
    """Refuse a bad optimizer option before anything is read or drawn, worded with the command's options (``--solver adam``)."""
    from ..training import check_optim

    try:
        check_optim(**optim, options=OPTIONS)
    except (TypeError, ValueError) as exc:
        raise option_error(exc) from exc


def check_optim_agrees(ex: Any) -> None:
    """After the tables: an optimizer's steps by hand that disagree with ``torch.optim`` or ``fit``'s optimizer end the command with an error.

    The hand steps claim to be what ``fit`` does; printing them with a red DISAGREE and exit status 0 would let a
    script (or a teacher's handout) take wrong numbers for right ones.
    """
    o = getattr(ex, "optim", None)
    if o is not None and not o.agrees:
        raise UserError(f"the {o.spec.solver} steps written out differ from torch.optim's (by {max(o.torch_diffs):.2e}) or fit's optimizer's "
                        f"(by {max(o.fit_diffs):.2e}) beyond float64 rounding: a bug in explain; please report it with this command line.")


def run_explain_tiny(*, sizes: str | None, activation: str | None, input_: str | None, target: str | None, loss: str | None,
                     q: float | None, learning_rate: float | None, seed: int | None, as_json: bool, optim: dict[str, Any],
                     alpha: float | None = None) -> Any:
    """Explain the tiny network the options describe (None: its default, ``learning_rate`` 0.1, ``alpha`` 0); print tables or JSON.
    ``optim``: the optimizer options."""
    from ..training import explain

    check_tiny_loss(loss)
    try:
        result = explain(sizes or "2,3,2", activation=activation or "tanh", x=input_, target=target, loss=loss or "squared_error",
                         learning_rate=0.1 if learning_rate is None else learning_rate, seed=0 if seed is None else seed, q=q,
                         alpha=0.0 if alpha is None else alpha, **optim)
    except ValueError as exc:
        raise option_error(exc) from exc
    if as_json:
        print_json(result.to_dict())
    else:
        result.render()
    check_optim_agrees(result)
    return result


def run_explain_model(model_path: str, data: str, *, row: int, target: str | None, learning_rate: float | None, as_json: bool,
                      optim: dict[str, Any] | None = None) -> Any:
    """Explain ``model_path``'s forward and backward pass on data row ``row`` (1-based); print tables or JSON.

    ``learning_rate``: None for :func:`hiddenlayers.estimators.explain_model`'s default (the model's ``learning_rate_init`` with a
    solver, 0.1 for the plain step). ``optim``: its optimizer parameters (``solver``, ``steps``, ``momentum``, ...).
    """
    from ..data import TablePreprocessor, did_you_mean, read_table, resolve_column
    from ..estimators import MLPClassifier, MLPRegressor, explain_model
    from ..exceptions import DataError
    from ._data import MODEL_IS_REGRESSOR, class_labels, load_model, model_inputs, refuse_input_as_target, regression_target, stored_target
    from ._table_out import final_estimator

    if model_path.lower().endswith(".onnx"):
        raise UserError(f"{SUPPORTED}; '{model_path}' is an ONNX export, which keeps no training loss: pass the .safetensors file it came from.")
    from ._appfiles import app_kind, app_refusal

    kind = app_kind(model_path)
    if kind is not None:
        raise app_refusal(model_path, kind, "explain --model")
    model = load_model(model_path, pipeline=True)  # a Pipeline of scikit-learn steps then an MLP: the row goes through the steps
    net = final_estimator(model)
    if not isinstance(net, (MLPClassifier, MLPRegressor)):
        raise UserError(f"{SUPPORTED}; '{model_path}' holds {article(type(net).__name__)}.")
    refuse_input_as_target(model, target)
    table = read_table(data)
    frame = table.frame
    n = len(frame)
    if not 1 <= row <= n:
        first = "the first after the header" if str(data).lower().endswith((".csv", ".tsv", ".txt")) else "the first row"  # a Parquet file has no header row
        raise UserError(f"--row must be between 1 and {n} (the data rows of '{data}', 1 = {first}). Received: {row}.")
    stored = stored_target(model)
    name = target or stored
    if name is None:
        raise UserError("this model file does not record its target column: pass --target COLUMN.")
    columns = [str(c) for c in frame.columns]
    if target is None and name not in columns:
        raise DataError(f"'{data}' has no column '{name}', the target the model was trained on (its columns: {', '.join(columns[:8])}"
                        f"{', ...' if len(columns) > 8 else ''}): add it, or pass --target COLUMN.{did_you_mean([name], columns)}")
    name = resolve_column(name, columns)
    where = f"row {row} ({table.where(row - 1)} of '{data}')"
    X = frame.iloc[[row - 1]].drop(columns=[name])
    y = frame[name].iloc[[row - 1]]
    if y.isna().iloc[0]:
        raise DataError(f"{where} has no value in the target column '{name}': choose another row or fill it in.")
    if isinstance(net, MLPClassifier):
        label: Any = class_labels(y, net.classes_, name)[0]
    else:
        label = regression_target(y, name, lambda _: where, MODEL_IS_REGRESSOR)[0]
    state = getattr(model, "preprocessing_", None)
    if state:  # read here first, so a bad cell is named by its file line (explain_model would call it "row 1" of the one row)
        TablePreprocessor.from_dict(state).transform(X, lambda _: where)
        X_row: Any = X
    else:  # numbers by name where fitted on them; a Pipeline of steps fitted on a DataFrame gets a one-row DataFrame, its raw row shown by them
        from ._data import named_rows

        A = model_inputs(model, X, lambda _: where)
        X_row = named_rows(model, A) if getattr(model, "steps", None) is not None else A[0]
    try:
        ex = explain_model(model, X_row, label, learning_rate=learning_rate, **(optim or {}))
    except (TypeError, ValueError) as exc:
        raise option_error(exc) from exc
    ex.source.update({"where": f"Data: {where}", "model_file": model_path, "row": row, "target_column": name})
    if as_json:
        print_json(clean(ex.to_dict()))
    else:
        ex.render()
    check_optim_agrees(ex)
    return ex

