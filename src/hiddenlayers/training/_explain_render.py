"""Rich rendering of :class:`Explanation` (the tables of `hl.explain(...).render()` and of `hiddenlayers explain`)."""

from __future__ import annotations

from typing import Any

import numpy as np

_DERIV = {
    "tanh": "1 - h²", "logistic": "h·(1 - h)", "relu": "1 if z > 0 else 0", "identity": "1",
    "leaky_relu": "1 if z > 0 else 0.01", "elu": "1 if z > 0 else h + 1", "softplus": "sigmoid(z)",
    "gelu": "Φ(z) + z·φ(z)", "silu": "s·(1 + z·(1 - s)), s = sigmoid(z)",
}


def _f(v: float) -> str:
    return f"{v:+.4f}"


def _vec(a: np.ndarray) -> str:
    return "[" + ", ".join(_f(v) for v in np.asarray(a).ravel()) + "]"


def render(ex: Any, console: Any = None) -> None:
    """Print ``ex`` step by step: forward tables, loss, backward tables, autograd check, one update."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    arrow = " → ".join(str(s) for s in ex.sizes)
    con.rule(f"[bold]A {arrow} network, {ex.activation} hidden units, {ex.loss_name.replace('_', ' ')} loss")
    con.print(f"input x = {_vec(ex.x)}    target t = {_vec(ex.target)}")
    con.print("Each layer computes z = W·(its input) + b, then a hidden layer applies the activation: h = act(z).\n")

    con.rule("[bold]1. Forward pass (input → output)")
    prev = "x"
    for i, s in enumerate(ex.forward):
        is_out = s.name == "output"
        how = "y = z (raw scores, no activation)" if is_out else f"h{i + 1} = {s.activation}(z)"
        t = Table(title=f"{s.name}: z = W·{prev} + b, {how}", title_justify="left")
        t.add_column("unit", justify="right")
        for k in range(s.W.shape[1]):
            t.add_column(f"W[·,{k + 1}]\n{prev}[{k + 1}]={s.h_in[k]:+.3f}", justify="right")
        t.add_column("b", justify="right")
        t.add_column("z", justify="right", style="cyan")
        t.add_column("h" if not is_out else "y", justify="right", style="green")
        for j in range(s.W.shape[0]):
            t.add_row(str(j + 1), *(_f(w) for w in s.W[j]), _f(s.b[j]), _f(s.z[j]), _f(s.h[j]))
        con.print(t)
        prev = f"h{i + 1}"
    if ex.loss_name == "squared_error":
        con.print(f"output y = {_vec(ex.output)}")
        con.print(f"loss L = ½·Σ(y - t)² = [bold]{ex.loss:.6f}[/]\n")
    elif ex.loss_name == "binary_cross_entropy":
        con.print(f"logistic probabilities p = 1 / (1 + e^-z) = {_vec(ex.output)}")
        con.print(f"loss L = -Σ [t·log p + (1 - t)·log(1 - p)] = [bold]{ex.loss:.6f}[/]\n")
    else:
        con.print(f"softmax probabilities p = {_vec(ex.output)}")
        con.print(f"loss L = -Σ t·log p = [bold]{ex.loss:.6f}[/]\n")

    con.rule("[bold]2. Backward pass (output → input), the chain rule")
    start = {"squared_error": "dL/dz = y - t", "binary_cross_entropy": "dL/dz = p - t (logistic + binary cross entropy)"}.get(
        ex.loss_name, "dL/dz = p - t (softmax + cross entropy)")
    con.print(f"At the output: {start} = {_vec(ex.dL_dout)}")
    con.print("For every layer: dL/dW = dL/dz ⊗ input, dL/db = dL/dz, dL/d(input) = Wᵀ·dL/dz.")
    con.print(f"Into the hidden layer below: dL/dz = dL/dh ⊙ act'(z), with {ex.activation}'(z) = {_DERIV.get(ex.activation, 'its derivative')}.\n")
    for s in ex.backward:
        t = Table(title=f"{s.name}", title_justify="left")
        t.add_column("unit", justify="right")
        t.add_column("dL/dz", justify="right", style="cyan")
        t.add_column("dL/db", justify="right")
        for k in range(s.dL_dW.shape[1]):
            t.add_column(f"dL/dW[·,{k + 1}]", justify="right")
        for j in range(s.dL_dW.shape[0]):
            t.add_row(str(j + 1), _f(s.dL_dz[j]), _f(s.dL_db[j]), *(_f(v) for v in s.dL_dW[j]))
        con.print(t)
        below = "dL/dx" if s is ex.backward[-1] else "dL/dh (layer below)"
        con.print(f"{below} = Wᵀ·dL/dz = {_vec(s.dL_dh_in)}\n")

    con.rule("[bold]3. Check against PyTorch autograd (float64)")
    t = Table()
    t.add_column("gradient")
    t.add_column("max |by hand - autograd|", justify="right")
    for k, v in ex.autograd_diffs.items():
        t.add_row(f"dL/d{k}", f"{v:.2e}")
    con.print(t)
    ok = "[green]agree[/]" if ex.max_abs_diff < 1e-7 else "[red]DISAGREE[/]"
    con.print(f"largest difference {ex.max_abs_diff:.2e}: hand-written back-propagation and autograd {ok}.\n")

    con.rule("[bold]4. One gradient-descent step")
    con.print(f"W ← W - {ex.learning_rate:g}·dL/dW,  b ← b - {ex.learning_rate:g}·dL/db for every layer")
    change = ex.loss_after - ex.loss
    con.print(f"loss before [bold]{ex.loss:.6f}[/] → after [bold]{ex.loss_after:.6f}[/] ({change:+.6f})")
