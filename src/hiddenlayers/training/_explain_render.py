"""Rich rendering of :class:`Explanation` (the tables of `hl.explain(...).render()` and of `hiddenlayers explain`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..network import SATURATION_MARGIN  # h this near a limit of tanh/logistic counts as saturated, as hl.lens.summary counts it

_DERIV = {
    "tanh": "1 - h²", "logistic": "h·(1 - h)", "relu": "1 if z > 0 else 0", "identity": "1",
    "leaky_relu": "1 if z > 0 else 0.01", "elu": "1 if z > 0 else h + 1", "softplus": "sigmoid(z)",
    "gelu": "Φ(z) + z·φ(z)", "silu": "s·(1 + z·(1 - s)), s = sigmoid(z)",
}


def _f(v: float) -> str:
    return f"{v + 0.0:+.4f}"  # + 0.0: an exact -0.0 (a rounded weight, a gradient times relu' = 0) prints as +0.0000


#: the names beside the standard texts' (Nielsen's book, CS231n's notes: a for the activation, δ for dL/dz), said once
NOTATION = "Notation: h is the activation the textbooks call a (Nielsen, CS231n: a = σ(z)), and dL/dz below is their δ, the layer's error."

MAX_ROWS = 16  # units (table rows) shown per layer; the rest are counted in one line
MAX_VEC = 12  # values shown of a printed vector (x, p, dL/dx)


def _vec(a: np.ndarray) -> str:
    """``[+0.1000, ...]``; past :data:`MAX_VEC` values, the first ones and a count of the rest."""
    v = np.asarray(a).ravel()
    more = f", … {len(v) - MAX_VEC} more" if len(v) > MAX_VEC else ""
    return "[" + ", ".join(_f(x) for x in v[:MAX_VEC]) + more + "]"


def _rows(con: Any, n: int, what: str) -> int:
    """How many of ``n`` units a table shows; says which were left out."""
    if n <= MAX_ROWS:
        return n
    con.print(f"[dim]({what}: units {MAX_ROWS + 1}–{n} left out below; --json / to_dict() has them all)[/]")
    return MAX_ROWS


def _fitted(con: Any, build: Callable[[int], Any], n: int, what: str) -> None:
    """Print the widest ``build(k)`` (a table showing ``k`` of ``n`` columns) that fits ``con``'s width, and say what was left out.

    Rich would otherwise squeeze every column of a wide table down to ``…``
    (16 inputs at 80 columns printed no digit at all). A table is wider with each column it shows (the ``…`` column
    standing for those left out is narrower than any), so ``k`` is found by bisection: a few measures, not one per column.
    """
    unbounded = con.options.update_width(1_000_000)  # measure the natural width, not one clamped to the console's
    lo, hi = 1, min(n, max(1, con.width // 9))  # a column of +0.1234 takes at least 9 characters: no need to measure wider tables
    while lo < hi:  # the widest k in lo..hi that fits (1 when none does: it is printed anyway)
        mid = (lo + hi + 1) // 2
        if con.measure(build(mid), options=unbounded).maximum <= con.width:
            lo = mid
        else:
            hi = mid - 1
    k = lo
    con.print(build(k))
    if k < n:
        con.print(f"[dim]({what} columns {k + 1}–{n} left out to fit {con.width} columns; --json / to_dict() has them all)[/]")


def _more_rows(t: Any, k: int, n: int) -> None:
    """A last row ``…`` standing for the units left out."""
    if k < n:
        t.add_row("…", *(["…"] * (len(t.columns) - 1)))


def _more(t: Any, k: int, n: int) -> None:
    """A narrow ``…`` column standing for the columns left out."""
    if k < n:
        t.add_column("…", justify="center")


#: what the output layer's z is, by loss: the output y itself only for squared error
_OUTPUT_HOW = {
    "squared_error": "y = z (no activation)",
    "cross_entropy": "z are raw scores (logits): the softmax below turns them into probabilities p",
    "generalized_cross_entropy": "z are raw scores (logits): the softmax below turns them into probabilities p",
    "binary_cross_entropy": "z are raw scores (logits): a logistic per output, below, turns each into a probability p",
    "binary_generalized_cross_entropy": "z are raw scores (logits): a logistic per output, below, turns each into a probability p",
    "poisson": "z is the log of the prediction: y = e^z, below",
    "logistic_squared_error": "z are raw scores: a logistic per output, below, gives the output y = σ(z)",
}


def render(ex: Any, console: Any = None) -> None:
    """Print ``ex`` step by step: forward tables, loss, backward tables, autograd check, one update (or the optimizer's steps)."""
    from rich.console import Console

    con = console or Console()
    arrow = " → ".join(str(s) for s in ex.sizes)
    what = f"{ex.source['model']}: a" if ex.source.get("model") else "A"
    loss = ex.loss_name.replace("_", " ") + (f" (q={ex.q:g})" if ex.q is not None else "")
    _title(con, f"{what} {arrow} network, {ex.activation} hidden units, {loss} loss")
    _source(con, ex)
    con.print(f"input x = {_vec(ex.x)}    target t = {_vec(ex.target)}")
    con.print("Each layer computes z = W·(its input) + b, then a hidden layer applies the activation: h = act(z). "
              "W has one row per unit of the layer and one column per input (out × in). One sample, float64.")
    con.print(f"{NOTATION}\n")
    _forward(con, ex)
    _backward(con, ex)
    _check(con, ex)
    if ex.optim is not None:
        from ._explain_optim_render import render_optim

        render_optim(con, ex)
    else:
        _step(con, ex)


def _title(con: Any, title: str) -> None:
    """The title in a rule when it fits the width; else a plain rule and the title wrapped below it, never cut to ``…``."""
    from rich.markup import escape
    from rich.text import Text

    if Text(title).cell_len + 4 <= con.width:  # "─ " title " ─": Rich cuts the title short of that
        con.rule(f"[bold]{escape(title)}")
    else:
        con.rule()
        con.print(f"[bold]{escape(title)}[/]")


def _named(names: list[str], values: Any, raw: bool = False) -> str:
    """``name=value`` pairs (``raw``: values as the user gave them), at most :data:`MAX_VEC`, then a count of the rest."""
    from rich.markup import escape  # a column "length [cm]" or a value "[red]" is the user's text, not Rich markup

    pairs = [escape(f"{n}={v!s}") if raw else escape(f"{n}={_f(v)}") for n, v in zip(names, values)]
    return ", ".join(pairs[:MAX_VEC]) + (f", … {len(pairs) - MAX_VEC} more" if len(pairs) > MAX_VEC else "")


def _source(con: Any, ex: Any) -> None:
    """Where the row and the weights came from: the model, the raw row, after preprocessing, the label."""
    from rich.markup import escape  # names, labels and paths are the user's text: "[cm]" would vanish, "[/x]" raise

    src = ex.source
    if not src:
        return
    con.print(escape(f"The fitted model's own weights (trained with solver={src.get('solver')}, loss={src.get('estimator_loss')}, "
                     f"alpha={src.get('alpha', 0):g}), in float64." + (f" {src['where']}." if src.get("where") else "")))
    if src.get("raw") is not None:
        raw = src["raw"]
        con.print(f"raw row: {_named(list(raw), list(raw.values()), raw=True)}")
        con.print(f"after preprocessing (the network's input x): {_named(ex.input_names or [], ex.x)}")
    elif ex.input_names:
        con.print(f"features: {_named(ex.input_names, ex.x)}")
    if ex.output_names:
        outs = ", ".join(ex.output_names[:MAX_VEC]) + (" …" if len(ex.output_names) > MAX_VEC else "")
        binary = ex.loss_name in ("binary_cross_entropy", "binary_generalized_cross_entropy")
        kind = "P(class " + ex.output_names[0] + ")" if binary and len(ex.output_names) == 1 else "classes " + outs
        con.print(escape(f"label {src.get('label')!r} → target t below; outputs: {kind}"))
    elif "label" in src:
        con.print(escape(f"target value(s): {src['label']}"))
    for n in src.get("notes", []):
        con.print(f"[dim]note: {escape(str(n))}[/]")


def _forward(con: Any, ex: Any) -> None:
    from rich.table import Table

    con.rule("[bold]1. Forward pass (input → output)")
    prev = "x"
    for i, s in enumerate(ex.forward):
        is_out = s.name == "output"
        how = _OUTPUT_HOW.get(ex.loss_name, _OUTPUT_HOW["cross_entropy"]) if is_out else f"h{i + 1} = {s.activation}(z)"
        # a y column only where y is z: a softmax, logistic or exp output is below the table, z would be mislabelled y
        y_column = not is_out or ex.loss_name == "squared_error"
        n_out, n_in = s.W.shape
        con.print(f"[bold]{s.name}[/]: z = W·{prev} + b, {how}   [dim](W: {n_out}×{n_in})[/]")

        rows = _rows(con, n_out, s.name)

        def table(k: int, s: Any = s, prev: str = prev, is_out: bool = is_out, rows: int = rows, n_out: int = n_out,
                  y_column: bool = y_column) -> Table:
            t = Table()
            t.add_column("unit", justify="right")
            for c in range(k):
                t.add_column(f"W[·,{c + 1}]\n{prev}[{c + 1}]=\n{s.h_in[c]:+.3f}", justify="right")
            _more(t, k, s.W.shape[1])
            t.add_column("b", justify="right")
            t.add_column("z", justify="right", style="cyan")
            if y_column:
                t.add_column("y" if is_out else "h", justify="right", style="green")
            for j in range(rows):
                t.add_row(str(j + 1), *(_f(w) for w in s.W[j, :k]), *(["…"] if k < s.W.shape[1] else []), _f(s.b[j]), _f(s.z[j]),
                          *([_f(s.h[j])] if y_column else []))
            _more_rows(t, rows, n_out)
            return t

        _fitted(con, table, n_in, "W")
        prev = f"h{i + 1}"
    if ex.loss_name == "squared_error":
        con.print(f"output y = {_vec(ex.output)}")
        k = len(ex.output)
        con.print(f"loss L = ½·Σ(y - t)² = [bold]{ex.loss:.6f}[/]" + (f" (summed over the outputs: the fit steps along this sum's gradient; "
                  f"its loss_curve_ records L/{k} = {ex.loss / k:.6f}, ½·mean over them, as scikit-learn reports)" if k > 1 and ex.source else ""))
    elif ex.loss_name == "binary_cross_entropy":
        con.print(f"logistic probabilities p = 1 / (1 + e^-z) = {_vec(ex.output)}")
        con.print(f"loss L = -Σ \\[t·log p + (1 - t)·log(1 - p)] = [bold]{ex.loss:.6f}[/]")  # escaped: "[t·log p ...]" read as a Rich tag printed "-Σ  ="
    elif ex.loss_name == "logistic_squared_error":
        con.print(f"output y = σ(z) = 1 / (1 + e^-z) = {_vec(ex.output)}")
        con.print(f"loss L = ½·Σ(y - t)² (the quadratic cost over logistic outputs, Nielsen's C) = [bold]{ex.loss:.6f}[/]")
    elif ex.loss_name == "poisson":
        con.print(f"output y = e^z (the expected count or rate) = {_vec(ex.output)}")
        con.print(f"loss L = Σ (y - t·z + t·log t - t) (half the Poisson deviance; t·log t = 0 for t = 0) = [bold]{ex.loss:.6f}[/]")
    elif ex.loss_name == "binary_generalized_cross_entropy":
        con.print(f"logistic probabilities p = 1 / (1 + e^-z) = {_vec(ex.output)}")
        con.print(f"p_y, the probability given to each output's label (p where t = 1, 1 - p where t = 0) = {_vec(ex.p_y)}")
        con.print(f"loss L = Σ (1 - p_y^q) / q with q = {ex.q:g} (generalized cross entropy) = [bold]{ex.loss:.6f}[/]")
    elif ex.loss_name == "generalized_cross_entropy":
        con.print(f"softmax probabilities p = e^z / Σ e^z = {_vec(ex.output)}")
        con.print(f"p_y, the probability given to the labelled class (p_y = Π p^t) = {_vec(ex.p_y)}")
        con.print(f"loss L = (1 - p_y^q) / q with q = {ex.q:g} (generalized cross entropy) = [bold]{ex.loss:.6f}[/]")
    else:
        con.print(f"softmax probabilities p = e^z / Σ e^z = {_vec(ex.output)}")
        con.print(f"loss L = -Σ t·log p = [bold]{ex.loss:.6f}[/]")
    if ex.alpha:
        w = (ex.source or {}).get("row_weight")
        strength = f"alpha / w = {ex.source['alpha']:g} / {w:g} = {ex.alpha:g}" if w else f"alpha={ex.alpha:g}"
        con.print(f"L2 term ({strength}, for a batch of this one row): ½·alpha·Σ W² = {ex.penalty:.6f}, kept apart: "
                  "the tables below are the gradients of L; the step adds alpha·W to dL/dW.")
    con.print()


def _gce_start(output: str, ce: str) -> str:
    """Where the generalized cross entropy's ``dL/dz`` comes from: the chain rule through ``p_y``."""
    return (f"dL/dz = dL/dp_y · dp_y/dz = (-p_y^(q-1)) · (-p_y·(p - t)) = p_y^q · (p - t) ({output} + generalized cross entropy; "
            f"dp_y/dz = -p_y·(p - t) because d(-log p_y)/dz = p - t, {ce} dL/dz: rows the model finds unlikely pull less)")


def _backward(con: Any, ex: Any) -> None:
    from rich.table import Table

    con.rule("[bold]2. Backward pass (output → input), the chain rule")
    start = {
        "squared_error": "dL/dz = y - t",
        "binary_cross_entropy": "dL/dz = p - t (logistic + binary cross entropy)",
        "poisson": "dL/dz = e^z - t = y - t (the exp output and the Poisson deviance: d(e^z - t·z)/dz)",
        "logistic_squared_error": "dL/dz = dL/dy ⊙ σ'(z) = (y - t) ⊙ y·(1 - y) (Nielsen's BP1: δ = (a - y) ⊙ σ'(z); no cancellation "
                                  "as with cross entropy, so a saturated output learns slowly)",
        "generalized_cross_entropy": _gce_start("softmax", "cross entropy's"),
        "binary_generalized_cross_entropy": _gce_start("logistic", "binary cross entropy's, output by output"),
    }.get(ex.loss_name, "dL/dz = p - t (softmax + cross entropy)")
    con.print(f"At the output: {start} = {_vec(ex.dL_dout)}")
    con.print("For every layer: dL/dW = dL/dz ⊗ input (dL/dW\\[j,k] = dL/dz\\[j]·input\\[k]), dL/db = dL/dz, dL/d(input) = Wᵀ·dL/dz.")
    acts = {f.name: f.activation for f in ex.forward}
    hidden_acts = sorted({a for n, a in acts.items() if n != "output"})
    for a in hidden_acts:
        con.print(f"Into a {a} hidden layer below: dL/dz = dL/dh ⊙ {a}'(z), unit by unit, with {a}'(z) = {_DERIV.get(a, 'its derivative')}.")
    con.print()
    for s in ex.backward:
        hidden = s.dL_dh is not None
        n_out, n_in = s.dL_dW.shape
        deriv = f"{acts.get(s.name)}'(z)"
        rule = f"dL/dz = dL/dh × {deriv}" if hidden else "dL/dz from the loss"
        con.print(f"[bold]{s.name}[/]: {rule}   [dim](dL/dW: {n_out}×{n_in}, as W)[/]")

        rows = _rows(con, n_out, s.name)

        def table(k: int, s: Any = s, hidden: bool = hidden, deriv: str = deriv, rows: int = rows, n_out: int = n_out) -> Table:
            t = Table()
            t.add_column("unit", justify="right")
            if hidden:
                t.add_column("dL/dh", justify="right")
                t.add_column(deriv, justify="right")
            t.add_column("dL/dz", justify="right", style="cyan")
            t.add_column("dL/db", justify="right")
            for c in range(k):
                t.add_column(f"dL/dW\n[·,{c + 1}]", justify="right")
            _more(t, k, s.dL_dW.shape[1])
            for j in range(rows):
                factors = [_f(s.dL_dh[j]), _f(s.act_grad[j])] if hidden else []
                t.add_row(str(j + 1), *factors, _f(s.dL_dz[j]), _f(s.dL_db[j]), *(_f(v) for v in s.dL_dW[j, :k]),
                          *(["…"] if k < s.dL_dW.shape[1] else []))
            _more_rows(t, rows, n_out)
            return t

        _fitted(con, table, n_in, "dL/dW")
        if hidden:
            _quiet_units(con, next(f for f in ex.forward if f.name == s.name), s)
        below = "dL/dx" if s is ex.backward[-1] else "dL/dh (layer below)"
        con.print(f"{below} = Wᵀ·dL/dz = {_vec(s.dL_dh_in)}\n")


def _units(idx: np.ndarray, n: int) -> str:
    """``unit 2`` or ``units 1, 3`` (1-based, as the tables count); past :data:`MAX_VEC`, ``30 of 100 units (1, 3, …)``."""
    shown = ", ".join(str(int(i) + 1) for i in idx[:MAX_VEC])
    if len(idx) > MAX_VEC:
        return f"{len(idx)} of {n} units ({shown}, …)"
    return f"unit{'s' if len(idx) > 1 else ''} {shown}"


def _quiet_units(con: Any, fwd: Any, back: Any) -> None:
    """Name the hidden units that pass (almost) no gradient on this row: act'(z) = 0 (a ReLU at z <= 0) or saturated.

    The numbers are in the table (a 0 in the act'(z) column), but not what they mean: such a unit's weights get no
    gradient from this row and it passes none to the layer below; one like it on every row is dead (ReLU) or stuck
    (tanh, logistic) and stops learning, which ``hl.lens.summary`` counts over many rows.
    """
    from ..network import get_activation

    act = get_activation(fwd.activation)
    n = back.act_grad.shape[0]
    off = np.flatnonzero(back.act_grad == 0)
    if off.size:
        why = " (z ≤ 0)" if act.name == "relu" else ""
        its, it = ("their", "them") if off.size > 1 else ("its", "it")
        con.print(f"{_units(off, n)}: {act.name}'(z) = 0{why}, inactive on this row: this row gives {its} W and b no gradient, and none "
                  f"passes through {it} to the layer below. A unit inactive on every row is dead and never learns again "
                  "(hl.lens.summary(model, X) counts dead units over many rows).")
    if act.saturation is not None:
        lo, hi = act.saturation
        eps = SATURATION_MARGIN * (hi - lo)
        stuck = np.flatnonzero((np.minimum(fwd.h - lo, hi - fwd.h) <= eps) & (back.act_grad != 0))
        if stuck.size:
            con.print(f"{_units(stuck, n)}: h is within {SATURATION_MARGIN:.0%} of {act.name}'s limit ({lo:g} or {hi:g}), saturated: "
                      f"{act.name}'(z) is near 0, so little gradient flows through {'them' if stuck.size > 1 else 'it'} "
                      "(hl.lens.summary(model, X) counts units saturated on most rows).")


def _check(con: Any, ex: Any) -> None:
    from rich.table import Table

    con.rule("[bold]3. Check against PyTorch autograd (float64)")
    t = Table()
    t.add_column("gradient")
    t.add_column("max |by hand - autograd|", justify="right")
    t.add_column("max |gradient|", justify="right")
    for k, v in ex.autograd_diffs.items():
        t.add_row(f"dL/d{k}", f"{v:.2e}", f"{ex.autograd_sizes.get(k, float('nan')):.2e}")
    con.print(t)
    ok = "[green]agree[/]" if ex.agrees else "[red]DISAGREE[/]"
    con.print(f"largest difference {ex.max_abs_diff:.2e}: hand-written back-propagation and autograd {ok} "
              "(to float64 rounding: within 1e-9 of each gradient's size, or of 1).\n")


def _step(con: Any, ex: Any) -> None:
    from rich.table import Table

    con.rule("[bold]4. One gradient-descent step")
    lr = f"{ex.learning_rate:g}"
    if ex.source.get("solver"):
        con.print(f"One plain gradient-descent step with learning rate {lr} (--lr / learning_rate), on this row alone: not the model's own "
                  f"optimizer ({ex.source['solver']}), whose step also depends on its running state and batch.")
    decay = f" + {ex.alpha:g}·W" if ex.alpha else ""
    fixed = [ex.forward[i].name for i in ex.fixed]
    where = f"for every layer but the frozen {', '.join(fixed)} (unchanged, as in the model's training)" if fixed else "for every layer"
    con.print(f"W ← W - {lr}·(dL/dW{decay}),  b ← b - {lr}·dL/db {where}; the new weights:")
    for i, (s, (W, b)) in enumerate(zip(ex.forward, ex.updated)):
        con.print(f"[bold]{s.name}[/] " + ("frozen: unchanged by the step" if i in ex.fixed else "after the step"))
        rows = _rows(con, W.shape[0], s.name)

        def table(k: int, W: np.ndarray = W, b: np.ndarray = b, rows: int = rows) -> Table:
            t = Table()
            t.add_column("unit", justify="right")
            for c in range(k):
                t.add_column(f"W[·,{c + 1}]", justify="right")
            _more(t, k, W.shape[1])
            t.add_column("b", justify="right")
            for j in range(rows):
                t.add_row(str(j + 1), *(_f(w) for w in W[j, :k]), *(["…"] if k < W.shape[1] else []), _f(b[j]))
            _more_rows(t, rows, W.shape[0])
            return t

        _fitted(con, table, W.shape[1], "W")
    change = ex.loss_after - ex.loss
    con.print(f"loss before [bold]{ex.loss:.6f}[/] → after [bold]{ex.loss_after:.6f}[/] ({change:+.6f})"
              + (f"; L2 term {ex.penalty:.6f} → {ex.penalty_after:.6f}" if ex.alpha else ""))
