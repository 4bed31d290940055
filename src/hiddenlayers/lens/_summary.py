"""``summary(model, X)``: one Rich table of every hidden layer's health."""

from __future__ import annotations

from typing import Any

from ._stats import LayerStats, few_rows_note, unknown_activation_note


def summary(model: Any, X: Any, *, layers: Any = None, console: Any = None, stream: bool = True) -> list[LayerStats]:
    """Print a per-layer table (units, mean, std, active, dead, saturated, sparsity, effective rank).

    Returns the :class:`LayerStats` per layer; warnings in plain words follow the table.

    Parameters
    ----------
    model : estimator, Network or torch.nn.Module
        The model (what :func:`~hiddenlayers.lens.record` takes).
    X : array-like, or an iterable of batches
        What :func:`~hiddenlayers.lens.record` reads: rows, or a DataLoader / iterable of batches.
    layers : selector, optional
        Which layers, as :func:`~hiddenlayers.lens.record` takes them.
    console : rich.console.Console, optional
        Where to print (default: stdout).
    stream : bool
        Statistics over every row in bounded memory (``record``'s ``stream``).

    Examples
    --------
    >>> summary(clf, X)  # a fitted model; prints the table  # doctest: +SKIP
    """
    from .._rich_plain import PlainTable, styled
    from .._rich_plain import console as plain_console
    from ._record import record

    rec = record(model, X, layers, stream=stream, sample=1)
    stats = list(rec.stats.values())
    table = PlainTable(title=f"hidden layers on {rec.n_rows} row{'' if rec.n_rows == 1 else 's'}", title_justify="left")
    longest = max((len(s.name) for s in stats), default=5)
    for col in ("layer", "kind", "activation", "units", "mean", "std", "active", "dead", "saturated", "sparsity", "eff. rank"):
        # a layer's name is never cut to "hid…" (hidden1 and hidden2 would read the same): Rich narrows the others first
        table.add_column(col, justify="left" if col in ("layer", "kind", "activation") else "right",
                         min_width=min(longest, 40) if col == "layer" else None, no_wrap=True)
    for s in stats:
        dead = styled((str(s.n_dead), "red")) if s.n_dead and s.dead_known else s.dead_text
        sat = styled((str(s.n_saturated), "yellow")) if s.n_saturated else "0"
        table.add_row(
            s.name, rec.kinds.get(s.name, "?"), s.activation_text, str(s.units), f"{s.mean.mean():.3g}", f"{s.std.mean():.3g}",
            s.active_text, dead, sat, f"{s.sparsity:.0%}", f"{s.effective_rank:.1f}",
        )
    if console is None:
        console = plain_console()  # markup off: a module's name "blocks[0]" or a note naming it prints as given
        if not console.is_terminal and not console.is_jupyter:
            # a pipe or log file has no width to fit: Rich's default 80 columns cut every header and number to "…"
            wide = console.measure(table, options=console.options.update(max_width=10_000)).maximum
            console = plain_console(width=max(console.width, wide))
    console.print(table)
    for note in (unknown_activation_note({s.name: s.dead_rule for s in stats}), few_rows_note(stats)):
        if note:
            console.print(styled(f"note: {note}"), highlight=False, soft_wrap=True)  # a Text: plain on the caller's console too
    for s in stats:
        for w in s.warnings():
            console.print(styled(("warning:", "yellow"), f" {w}"))  # a Text: plain on a console of the caller's too
    return stats


__all__ = ["summary"]
