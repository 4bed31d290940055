"""Rich rendering of an explanation's optimizer steps (:class:`~._explain_optim.OptimTrace`): section 4 of ``hiddenlayers explain --solver``.

One table per step and layer, one row per weight or bias: the gradient the optimizer reads, its state after the step
(sgd: the velocity; adam: m, v, m^, v^) and the update, then the new value. Numbers are printed with four significant
digits (``+1.234e-05``), as Adam's v is of the order of g²·(1-β2). A layer with more than :data:`MAX_PARAMS` weights
shows the first ones and says how many were left out; a table wider than the console is printed as two narrower ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_PARAMS = 16  # weights and biases (table rows) shown per layer and step

#: the state columns by solver: (key in LayerUpdate.state, heading)
_STATE = {"sgd": [("velocity", "velocity v")], "adam": [("m", "m"), ("v", "v"), ("m_hat", "m^"), ("v_hat", "v^")]}


def _g(v: float) -> str:
    return f"{v + 0.0:+.4g}"


def _setting(name: str, value: Any) -> str:
    """``name=value``: a number with ``:g`` (``momentum=0.9``), a flag as it is (``nesterovs_momentum=True``)."""
    return f"{name}={value}" if isinstance(value, (bool, np.bool_)) else f"{name}={value:g}"


def _loss(v: float) -> str:
    """A loss with 6 decimals, as the plain step prints it; past 1e6 (a diverging step) in exponent form, not 80 digits."""
    return f"{v:.6f}" if abs(v) < 1e6 else f"{v:.6e}"


def render_optim(con: Any, ex: Any) -> None:
    """Section 4 of :func:`~._explain_render.render` for an explanation with ``optim``: the rule, each step, the checks."""
    from rich.markup import escape

    o = ex.optim
    spec = o.spec
    settings = ", ".join(_setting(k, v) for k, v in spec.settings().items())
    taken = ex.source.get("from_model") or {}
    lr_from = "the model's learning_rate_init" if "learning_rate_init" in taken else "--lr / learning_rate"
    con.rule(f"[bold]4. {spec.steps} {spec.solver} step{'s' if spec.steps > 1 else ''} on this row")
    con.print(escape(f"solver={spec.solver}, learning rate {o.learning_rate:g} ({lr_from}), {settings}; float64."))
    if taken:  # which numbers are the model's and which the user's (or the defaults): the steps are only fit's when all are its
        con.print(escape(f"The model's own: {', '.join(_setting(k, v) for k, v in taken.items())}; "
                         "the options (--lr, --momentum, --beta1, ...; learning_rate=, momentum=, ...) set others."))
    if ex.source.get("solver"):
        con.print(f"Steps from zero optimizer state on this row alone (the model was trained with solver={ex.source['solver']}; its fit also "
                  "carried state across batches).")
    decay = f" + {o.alpha:g}·W for the weights (the L2 term's gradient, as fit adds it)" if o.alpha else ""
    con.print(f"Each step recomputes the gradient at the current weights: g = dL/dW{decay}, g = dL/db for the biases.")
    for line in _rule(spec, o.learning_rate):
        con.print(line)
    con.print()
    for step in o.steps:
        _one_step(con, step, spec)
    change = _loss(o.loss_after - ex.loss)
    con.print(f"loss before [bold]{_loss(ex.loss)}[/] → after {spec.steps} step{'s' if spec.steps > 1 else ''} [bold]{_loss(o.loss_after)}[/] "
              f"({'' if change.startswith('-') else '+'}{change})" + (f"; L2 term {ex.penalty:.6f} → {ex.penalty_after:.6f}" if ex.alpha else ""))
    ok = "[green]agree[/]" if o.agrees else "[red]DISAGREE[/]"
    con.print(f"Check: the same steps by torch.optim.{'SGD' if spec.solver == 'sgd' else 'Adam'} (largest weight difference over the steps "
              f"{max(o.torch_diffs):.2e}) and by the optimizer fit uses (hiddenlayers.training, {max(o.fit_diffs):.2e}): {ok} with the steps "
              "by hand (to float64 rounding: within 1e-9 of the weights' size, or of 1).\n")


def _rule(spec: Any, lr: float) -> list[str]:
    """The update rule in words and symbols, with this run's numbers."""
    if spec.solver == "sgd":
        mu = f"{spec.momentum:g}"
        move = f"update = {mu}·v - {lr:g}·g (Nesterov's momentum)" if spec.nesterovs_momentum else "update = v (classic momentum)"
        return [f"velocity v ← {mu}·v - {lr:g}·g (v starts at 0); {move}; W ← W + update."]
    b1, b2 = f"{spec.beta_1:g}", f"{spec.beta_2:g}"
    return [f"m ← {b1}·m + (1 - {b1})·g,  v ← {b2}·v + (1 - {b2})·g² (both start at 0; t counts the steps);",
            f"bias-corrected m^ = m / (1 - {b1}^t), v^ = v / (1 - {b2}^t);",
            f"update = -{lr:g}·m^ / (√v^ + ε^), ε^ = {spec.epsilon:g}/√(1 - {b2}^t): scikit-learn's and fit's "
            f"-lr·√(1 - β2^t)/(1 - β1^t)·m / (√v + ε), ε outside the bias correction; W ← W + update."]


def _one_step(con: Any, step: Any, spec: Any) -> None:
    from rich.table import Table

    extra = ""
    if step.scalars:
        s = step.scalars
        extra = (f": 1 - β1^t = {s['bias_correction_1']:.6g}, 1 - β2^t = {s['bias_correction_2']:.6g}, ε^ = {s['epsilon_hat']:.4g}")
    con.print(f"[bold]step t = {step.t}[/] (loss at its start {_loss(step.loss)}){extra}")
    for u in step.layers:
        if u.fixed:
            con.print(f"  {u.name}: frozen, unchanged (no gradient step, no optimizer state)")
            continue
        names, cols = _params(u)
        n = len(names)
        k = min(n, MAX_PARAMS)
        state = [(head, cols[key]) for key, head in _STATE[spec.solver]]
        groups = [[("g", cols["grad"]), *state], [("update", cols["update"]), ("new", cols["new"])]]

        def table(groups: list[list[tuple[str, np.ndarray]]], title: str = u.name, names: list[str] = names, k: int = k, n: int = n) -> Table:
            t = Table(title=title, title_justify="left")
            t.add_column("param")
            for g in groups:
                for head, _ in g:
                    t.add_column(head, justify="right", style="cyan" if head == "update" else None)
            for r in range(k):
                t.add_row(names[r], *(_g(vals[r]) for g in groups for _, vals in g))
            if k < n:
                t.add_row("…", *(["…"] * (len(t.columns) - 1)))
            return t

        whole = table(groups)
        if con.measure(whole, options=con.options.update_width(1_000_000)).maximum <= con.width:
            con.print(whole)
        else:  # narrower console: the gradient and state, then the update and new value
            con.print(table(groups[:1]))
            con.print(table(groups[1:], f"{u.name} (continued)"))
        if k < n:
            con.print(f"[dim]({u.name}: parameters {k + 1}–{n} of {n} left out; --json / to_dict() has them all)[/]")


def _params(u: Any) -> tuple[list[str], dict[str, np.ndarray]]:
    """Row names (``W[1,2]``, ``b[1]``: unit, input; 1-based) and each column's values, W row by row then b."""
    W = u.grad[0]
    names = [f"W[{j + 1},{c + 1}]" for j in range(W.shape[0]) for c in range(W.shape[1])] + [f"b[{j + 1}]" for j in range(W.shape[0])]

    def flat(p: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return np.concatenate([p[0].ravel(), p[1].ravel()])

    cols = {"grad": flat(u.grad), "update": flat(u.update), "new": flat(u.new)}
    cols.update({k: flat(v) for k, v in u.state.items()})
    return names, cols
