"""``summary(model, X)``: one Rich table of every hidden layer's health."""

from __future__ import annotations

from typing import Any

from ._stats import LayerStats, unknown_activation_note


def summary(model: Any, X: Any, *, layers: Any = None, console: Any = None, stream: bool = True) -> list[LayerStats]:
    """Print a per-layer table (units, mean, std, active, dead, saturated, sparsity, effective rank).

    Returns the :class:`LayerStats` per layer; warnings in plain words follow the table.
    ``X`` is what :func:`~hiddenlayers.lens.record` reads: rows, or a DataLoader / iterable of batches.

    >>> summary(clf, X)  # a fitted model; prints the table  # doctest: +SKIP
    """
    from rich.table import Table

    from ._record import record

    rec = record(model, X, layers, stream=stream, sample=1)
    stats = list(rec.stats.values())
    table = Table(title=f"hidden layers on {rec.n_rows} rows", title_justify="left")
    for col in ("layer", "kind", "activation", "units", "mean", "std", "active", "dead", "saturated", "sparsity", "eff. rank"):
        table.add_column(col, justify="left" if col in ("layer", "kind", "activation") else "right")
    for s in stats:
        dead = f"[red]{s.n_dead}[/red]" if s.n_dead else "0"
        sat = f"[yellow]{s.n_saturated}[/yellow]" if s.n_saturated else "0"
        table.add_row(
            s.name, rec.kinds.get(s.name, "?"), s.activation or "unknown", str(s.units), f"{s.mean.mean():.3g}", f"{s.std.mean():.3g}",
            s.active_text, dead, sat, f"{s.sparsity:.0%}", f"{s.effective_rank:.1f}",
        )
    console = console or _default_console()
    console.print(table)
    note = unknown_activation_note({s.name: s.dead_rule for s in stats})
    if note:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    for s in stats:
        for w in s.warnings():
            console.print(f"[yellow]warning:[/yellow] {w}")
    return stats


def _default_console() -> Any:
    """Rich's console on stdout; off a terminal (a log file, a pipe, a script's captured output) 160 columns wide, not Rich's 80.

    Why: eleven columns in 80 characters were cut to an ellipsis each ("hid…", "den…"),
    so the layer names, kinds and figures could not be read where summaries are kept.
    """
    from rich.console import Console

    console = Console()
    return console if console.is_terminal or console.is_jupyter else Console(width=160)


__all__ = ["summary"]
