"""The ``lr-find`` command: a learning-rate range test on a table, ending in a ``--lr`` to paste into ``train``.

The table is read and split as ``train`` reads and splits it (``--test-size``,
``--seed``), preprocessed as ``train`` fits its preprocessing (on the training
rows), the estimator is the one ``train`` would build from the same options and
seed (early stopping on from the same row count), and
:func:`hiddenlayers.estimators.lr_find` runs the sweep on the rows that fit
trains on: the test rows and early stopping's held-out rows are left out. The optional plot is
written atomically (a temp file beside it, then renamed).
"""

from __future__ import annotations

import io
import math
import shlex
from pathlib import Path
from typing import Any

from ._common import UserError, check_output, clean, note, one_line, print_json, print_table, rows_of, stdout_console
from ._header import check_named_columns

#: the plot's formats, by the --plot file's suffix (matplotlib writes each)
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
#: rows of the printed table, spread over the curve
TABLE_ROWS = 8


def _check_numbers(start_lr: float, end_lr: float, num_steps: int, solver: str) -> None:
    """The sweep's options, before any file is read: ``--start-lr``/``--end-lr``/``--num-steps`` and ``--solver lbfgs``."""
    from ..training import check_sweep

    if solver == "lbfgs":
        raise UserError("--solver lbfgs has no learning rate to find (it sizes each step by line search): use --solver sgd or adam.")
    try:
        check_sweep(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, smooth=0.05, diverge=4.0)
    except (ValueError, TypeError) as exc:
        text = one_line(exc)
        for name, option in (("start_lr", "--start-lr"), ("end_lr", "--end-lr"), ("num_steps", "--num-steps")):
            text = text.replace(name, option)
        raise UserError(text) from None


def _check_plot(plot: str | None, data: str, force: bool) -> Path | None:
    """``--plot`` as a writable path of a format matplotlib writes, checked before the sweep."""
    if plot is None:
        return None
    if Path(plot).suffix.lower() not in PLOT_SUFFIXES:
        raise UserError(f"--plot must end in {', '.join(PLOT_SUFFIXES)}. Received: {plot!r}.")
    return check_output(plot, force=force, inputs=(data,), what="--plot", example="lr.png")


def run_lr_find(
    data: str, *, target: str | None, features: str | None, params: dict[str, Any], task: str, max_categories: int, seed: int,
    start_lr: float, end_lr: float, num_steps: int, plot: str | None, force: bool, as_json: bool, test_size: float = 0.2,
    sample_weight: str | None = None,
) -> dict[str, Any]:
    """Load, split and preprocess ``data`` as ``train`` does, sweep the rate on the rows ``train`` fits on, print a
    table and the ``--lr`` to use; returns the summary (``rows_swept``: how many rows the sweep drew its batches from).

    ``sample_weight``: the ``--sample-weight`` column, whose weights weigh the swept loss as ``train``'s fit weighs it; its rows
    of weight 0 are left out before the split and the preprocessing, as ``train`` leaves them out.
    """
    from ..data import TablePreprocessor
    from ..estimators import lr_find
    from ._data import prepare
    from ._train import EARLY_STOPPING_ROWS, check_params, make_estimator, split_rows, weighted_rows

    _check_numbers(start_lr, end_lr, num_steps, str(params.get("solver")))
    if max_categories < 2:
        raise UserError(f"--max-categories must be >= 2. Received: {max_categories}.")
    check_params(task, params, seed)  # --hidden, --batch-size, ... before the --plot check: an existing plot never hides them
    check_named_columns(data, target=target, features=features, sample_weight=sample_weight)  # a misspelt column before an existing --plot
    plot_path = _check_plot(plot, data, force)
    raw = prepare(data, target, features, task, max_categories, sample_weight=sample_weight)
    prep = weighted_rows(raw)  # weight 0: as if absent, as in train
    X_tr, _, y_tr, _, w_tr, _ = split_rows(prep["X"], prep["y"], prep["task"], test_size, seed, prep["w"])  # train's test rows are never swept
    params = {**params, "early_stopping": len(y_tr) >= EARLY_STOPPING_ROWS}  # as train decides it: fit then holds out more rows
    labels = prep["y"] if prep["task"] == "classification" else None  # --class-weight LABEL=WEIGHT names these, as in train
    model = make_estimator(prep["task"], params, seed, quiet=True, labels=labels)
    where = rows_of(prep["where"], X_tr.index)  # an error names the row's file line, not its place in the split
    A = TablePreprocessor(max_categories=max_categories).fit(X_tr, where).transform(X_tr, where)  # fitted on train's rows, as train fits it
    for msg in [prep["dropped"], *A.notes] if prep["dropped"] else A.notes:
        note(msg)
    try:
        found = lr_find(model, A.matrix, y_tr, start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, sample_weight=w_tr)
    except (ValueError, TypeError) as exc:
        raise UserError(f"lr-find failed: {one_line(exc)}") from None
    if plot_path is not None:
        _write_plot(found, plot_path)
    cli = {"--features": features, "--task": task, "--max-categories": max_categories, "--seed": seed, "--test-size": test_size,
           "--sample-weight": sample_weight}
    summary = _summary(found, data, prep, params, plot_path, cli)
    summary["rows_swept"] = _rows_fit_trains_on(len(y_tr), model)
    summary["rows_left_out"] = {"weight_zero": len(raw["y"]) - len(prep["y"]), "test_size": len(prep["y"]) - len(y_tr),
                                "early_stopping": len(y_tr) - summary["rows_swept"]}
    _show(summary, found, as_json)
    return summary


def _left_out(counts: dict[str, int]) -> str:
    """What the sweep left out, as counted: ``"30 --test-size rows left out"``, ``"... and 12 early-stopping rows ..."``, ``"none left out"``.

    Why: the line said "its --test-size rows and early stopping's held-out rows left out" whether or not there were any
    (below 10 rows train holds out no test rows; below 1000 training rows early stopping is off)."""
    named = (("", "weight_zero", " of weight 0"), ("--test-size ", "test_size", ""), ("early-stopping ", "early_stopping", ""))
    parts = [f"{counts[key]} {before}row{'s' * (counts[key] != 1)}{after}" for before, key, after in named if counts[key]]
    return f"{', '.join(parts[:-1]) + ' and ' if len(parts) > 1 else ''}{parts[-1]} left out" if parts else "none left out"


def _rows_fit_trains_on(n_train: int, model: Any) -> int:
    """The rows ``model.fit`` trains on out of ``n_train``: all, or with early stopping those its split leaves
    (scikit-learn's ``train_test_split`` holds out ``ceil(validation_fraction * n)``)."""
    return n_train - math.ceil(model.validation_fraction * n_train) if model.early_stopping else n_train


def _write_plot(found: Any, path: Path) -> None:
    """The curve (:meth:`LRFindResult.plot`) written to ``path`` atomically, in the format its suffix names."""
    from .._files import atomic_write_bytes

    fig = found.plot().figure
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lower().lstrip("."), dpi=120)
    atomic_write_bytes(path, buf.getvalue())


#: the options ``lr-find`` shares with ``train`` and their defaults (the same in both): passed on when set otherwise
_SHARED_DEFAULTS = {"--features": None, "--task": "auto", "--max-categories": 20, "--seed": 0, "--test-size": 0.2, "--sample-weight": None}


def _train_line(data: str, prep: dict[str, Any], params: dict[str, Any], lr: float, cli: dict[str, Any]) -> str:
    """The ``hiddenlayers train`` command that trains with the suggestion and the swept options (loss ones included).

    ``cli``: the sweep's ``--features``/``--task``/``--max-categories``/``--seed``/``--test-size``/``--sample-weight``; each
    one not at its default is passed on, so ``train`` reads the same columns, holds out the same rows and starts from the same weights.
    """
    parts = ["hiddenlayers", "train", data, "--target", str(prep["target"])]
    for flag, unset in _SHARED_DEFAULTS.items():
        if cli.get(flag, unset) != unset:
            parts += [flag, str(cli[flag])]
    for key, option in (("hidden_layer_sizes", "--hidden"), ("solver", "--solver")):
        parts += [option, str(params[key])]
    for key, option, default in (
        ("activation", "--activation", "relu"), ("alpha", "--alpha", 0.0001), ("batch_size", "--batch-size", "auto"), ("device", "--device", "auto"),
        ("loss", "--loss", None), ("gce_q", "--gce-q", None), ("class_weight", "--class-weight", None), ("label_smoothing", "--label-smoothing", None),
    ):
        if params.get(key, default) != default:  # the swept options train would not take by default (the loss's as the user wrote them)
            parts += [option, str(params[key])]
    if params.get("scale_target") is not None:  # as given: train's default is decided as lr-find's was
        parts.append("--scale-target" if params["scale_target"] else "--no-scale-target")
    parts += ["--lr", f"{lr:.3g}"]
    return " ".join(shlex.quote(p) for p in parts)


def _summary(found: Any, data: str, prep: dict[str, Any], params: dict[str, Any], plot: Path | None, cli: dict[str, Any]) -> dict[str, Any]:
    from ..training import LR_FIND_STOPS

    s: dict[str, Any] = {
        "data": data, "target": prep["target"], "task": prep["task"], "rows": prep["n_rows"], "solver": params.get("solver"),
        "steps": len(found.lrs), "stop_reason": found.stop_reason, "stop_message": LR_FIND_STOPS[found.stop_reason],
        "suggestion": found.suggestion, "lowest_loss_lr": found.best_lr, "curve": found.to_frame().to_dict(orient="list"),
    }
    if found.suggestion is not None:
        s["train_command"] = _train_line(data, prep, params, found.suggestion, cli)
    if plot is not None:
        s["plot"] = str(plot)
    return s


def _table_rows(found: Any) -> list[int]:
    """About :data:`TABLE_ROWS` step indices spread over the curve, the suggestion's among them."""
    n = len(found.lrs)
    picks = {round(i * (n - 1) / (TABLE_ROWS - 1)) for i in range(TABLE_ROWS)} if n > 1 else {0}
    if found.suggestion is not None:
        picks.add(found.lrs.index(found.suggestion))
    return sorted(picks)


def _show(s: dict[str, Any], found: Any, as_json: bool) -> None:
    if as_json:
        print_json(clean(s))
        return
    from .._rich_plain import PlainTable

    t = PlainTable(title=f"learning-rate range test: {s['solver']}, {s['steps']} steps ({s['stop_reason']})", title_justify="left")
    t.add_column("learning rate", justify="right")
    t.add_column("smoothed loss", justify="right")
    t.add_column("")
    for i in _table_rows(found):
        v = found.smoothed[i]
        t.add_row(f"{found.lrs[i]:.3g}", f"{v:.4f}" if math.isfinite(v) else str(v), "<- suggestion" if found.lrs[i] == found.suggestion else "")
    console = stdout_console()  # markup off: the train command names the user's file and columns
    print_table(console, t)  # the title (solver, steps, stop reason) is wider than the three columns
    console.print(f"swept on the {s['rows_swept']} of {s['rows']} rows train fits on ({_left_out(s['rows_left_out'])})", highlight=False)
    if found.suggestion is None:
        console.print("no suggestion: the sweep stopped before the loss fell (try a lower --end-lr or more --num-steps).")
    else:
        console.print(f"suggestion: --lr {found.suggestion:.3g}", highlight=False)
        console.print(f"  {s['train_command']}", highlight=False, soft_wrap=True)
    if "plot" in s:
        note(f"wrote {s['plot']}")
