"""Rich rendering of :class:`Explanation` (the tables of `hl.explain(...).render()` and of `hiddenlayers explain`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

_DERIV = {
    "tanh": "1 - h²", "logistic": "h·(1 - h)", "relu": "1 if z > 0 else 0", "identity": "1",
    "leaky_relu": "1 if z > 0 else 0.01", "elu": "1 if z > 0 else h + 1", "softplus": "sigmoid(z)",
    "gelu": "Φ(z) + z·φ(z)", "silu": "s·(1 + z·(1 - s)), s = sigmoid(z)",
}


def _f(v: float) -> str:
    return f"{v + 0.0:+.4f}"  # + 0.0: an exact -0.0 (a rounded weight, a gradient times relu' = 0) prints as +0.0000


def _vec(a: np.ndarray) -> str:
    return "[" + ", ".join(_f(v) for v in np.asarray(a).ravel()) + "]"


def _fitted(con: Any, build: Callable[[int], Any], n: int, what: str) -> None:
    """Print the widest ``build(k)`` (a table showing ``k`` of ``n`` columns) that fits ``con``'s width, and say what was left out.

    Rich would otherwise squeeze every column of a wide table down to ``…``
    (16 inputs at 80 columns printed no digit at all).
    """
    unbounded = con.options.update_width(1_000_000)  # measure the natural width, not one clamped to the console's
    k = n
    while k > 1 and con.measure(build(k), options=unbounded).maximum > con.width:
        k -= 1
    con.print(build(k))
    if k < n:
        con.print(f"[dim]({what} columns {k + 1}–{n} left out to fit {con.width} columns; --json / to_dict() has them all)[/]")


def _more(t: Any, k: int, n: int) -> None:
    """A narrow ``…`` column standing for the columns left out."""
    if k < n:
        t.add_column("…", justify="center")


def render(ex: Any, console: Any = None) -> None:
    """Print ``ex`` step by step: forward tables, loss, backward tables, autograd check, one update."""
    from rich.console import Console

    con = console or Console()
    arrow = " → ".join(str(s) for s in ex.sizes)
    con.rule(f"[bold]A {arrow} network, {ex.activation} hidden units, {ex.loss_name.replace('_', ' ')} loss")
    con.print(f"input x = {_vec(ex.x)}    target t = {_vec(ex.target)}")
    con.print("Each layer computes z = W·(its input) + b, then a hidden layer applies the activation: h = act(z). "
              "W has one row per unit of the layer and one column per input (out × in). One sample, float64.\n")
    _forward(con, ex)
    _backward(con, ex)
    _check(con, ex)
    _step(con, ex)


def _forward(con: Any, ex: Any) -> None:
    from rich.table import Table

    con.rule("[bold]1. Forward pass (input → output)")
    prev = "x"
    for i, s in enumerate(ex.forward):
        is_out = s.name == "output"
        how = "y = z (raw scores, no activation)" if is_out else f"h{i + 1} = {s.activation}(z)"
        n_out, n_in = s.W.shape
        con.print(f"[bold]{s.name}[/]: z = W·{prev} + b, {how}   [dim](W: {n_out}×{n_in})[/]")

        def table(k: int, s: Any = s, prev: str = prev, is_out: bool = is_out) -> Table:
            t = Table()
            t.add_column("unit", justify="right")
            for c in range(k):
                t.add_column(f"W[·,{c + 1}]\n{prev}[{c + 1}]=\n{s.h_in[c]:+.3f}", justify="right")
            _more(t, k, s.W.shape[1])
            t.add_column("b", justify="right")
            t.add_column("z", justify="right", style="cyan")
            t.add_column("y" if is_out else "h", justify="right", style="green")
            for j in range(s.W.shape[0]):
                t.add_row(str(j + 1), *(_f(w) for w in s.W[j, :k]), *(["…"] if k < s.W.shape[1] else []), _f(s.b[j]), _f(s.z[j]), _f(s.h[j]))
            return t

        _fitted(con, table, n_in, "W")
        prev = f"h{i + 1}"
    if ex.loss_name == "squared_error":
        con.print(f"output y = {_vec(ex.output)}")
        con.print(f"loss L = ½·Σ(y - t)² = [bold]{ex.loss:.6f}[/]\n")
    elif ex.loss_name == "binary_cross_entropy":
        con.print(f"logistic probabilities p = 1 / (1 + e^-z) = {_vec(ex.output)}")
        con.print(f"loss L = -Σ [t·log p + (1 - t)·log(1 - p)] = [bold]{ex.loss:.6f}[/]\n")
    else:
        con.print(f"softmax probabilities p = e^z / Σ e^z = {_vec(ex.output)}")
        con.print(f"loss L = -Σ t·log p = [bold]{ex.loss:.6f}[/]\n")


def _backward(con: Any, ex: Any) -> None:
    from rich.table import Table

    con.rule("[bold]2. Backward pass (output → input), the chain rule")
    start = {"squared_error": "dL/dz = y - t", "binary_cross_entropy": "dL/dz = p - t (logistic + binary cross entropy)"}.get(
        ex.loss_name, "dL/dz = p - t (softmax + cross entropy)")
    con.print(f"At the output: {start} = {_vec(ex.dL_dout)}")
    con.print("For every layer: dL/dW = dL/dz ⊗ input (dL/dW\\[j,k] = dL/dz\\[j]·input\\[k]), dL/db = dL/dz, dL/d(input) = Wᵀ·dL/dz.")
    deriv = f"{ex.activation}'(z)"
    con.print(f"Into the hidden layer below: dL/dz = dL/dh ⊙ {deriv}, unit by unit, with {deriv} = {_DERIV.get(ex.activation, 'its derivative')}.\n")
    for s in ex.backward:
        hidden = s.dL_dh is not None
        n_out, n_in = s.dL_dW.shape
        rule = f"dL/dz = dL/dh × {deriv}" if hidden else "dL/dz from the loss"
        con.print(f"[bold]{s.name}[/]: {rule}   [dim](dL/dW: {n_out}×{n_in}, as W)[/]")

        def table(k: int, s: Any = s, hidden: bool = hidden) -> Table:
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
            for j in range(s.dL_dW.shape[0]):
                factors = [_f(s.dL_dh[j]), _f(s.act_grad[j])] if hidden else []
                t.add_row(str(j + 1), *factors, _f(s.dL_dz[j]), _f(s.dL_db[j]), *(_f(v) for v in s.dL_dW[j, :k]),
                          *(["…"] if k < s.dL_dW.shape[1] else []))
            return t

        _fitted(con, table, n_in, "dL/dW")
        below = "dL/dx" if s is ex.backward[-1] else "dL/dh (layer below)"
        con.print(f"{below} = Wᵀ·dL/dz = {_vec(s.dL_dh_in)}\n")


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
    con.print(f"W ← W - {lr}·dL/dW,  b ← b - {lr}·dL/db for every layer; the new weights:")
    for s, (W, b) in zip(ex.forward, ex.updated):
        con.print(f"[bold]{s.name}[/] after the step")

        def table(k: int, W: np.ndarray = W, b: np.ndarray = b) -> Table:
            t = Table()
            t.add_column("unit", justify="right")
            for c in range(k):
                t.add_column(f"W[·,{c + 1}]", justify="right")
            _more(t, k, W.shape[1])
            t.add_column("b", justify="right")
            for j in range(W.shape[0]):
                t.add_row(str(j + 1), *(_f(w) for w in W[j, :k]), *(["…"] if k < W.shape[1] else []), _f(b[j]))
            return t

        _fitted(con, table, W.shape[1], "W")
    change = ex.loss_after - ex.loss
    con.print(f"loss before [bold]{ex.loss:.6f}[/] → after [bold]{ex.loss_after:.6f}[/] ({change:+.6f})")
