"""Matplotlib figures for the report (Agg backend, no pyplot global state)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._plot_text import font_families, label

# Up to 12 classes get their own colour (tab10 without its grey, plus black, yellow and mint);
# the rest are drawn in light grey as "other".
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
           "#1a1a1a", "#f2c500", "#7fe0b5")
OTHER = "#c8c8c8"


def new_figure(w: float, h: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


POINT = 1 / 72  # inches
TICK = 7 * POINT  # a tick (3.5 pt) and the pad (3.5 pt) between it and its label
TITLE_PAD = 6 * POINT  # Matplotlib's axes.titlepad
HINTING = 1.15  # text_inches' allowance for the resolution the figure is saved at


def text_inches(fig: Any, texts: Any, size: float, family: Any = None) -> tuple[float, float]:
    """Width and height in inches of the widest and tallest of ``texts`` (plain text) at ``size`` points.

    Measured by the figure's own Agg renderer (its cached glyph metrics), so a
    grid can be laid out before any tick exists, plus :data:`HINTING` (glyph
    hinting makes a text's width vary by ~10% with the resolution it is saved
    at: one 20-character label measured 1.04-1.21 in between 60 and 150 dpi).
    ``family``: a font family list as :func:`font_families` gives it. An empty
    ``texts`` measures 0 × 0.
    """
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=size, family=family)
    width = height = 0.0
    for text in texts:
        w, h, _ = renderer.get_text_width_height_descent(str(text), prop, ismath=False)
        width, height = max(width, w), max(height, h)
    return HINTING * width / fig.dpi, HINTING * height / fig.dpi


def fixed_grid(fig: Any, rows: int, cols: int, *, left: float, right: float, bottom: float, top: float,
               wspace: float, hspace: float) -> bool:
    """Lay out a ``rows`` × ``cols`` grid of small multiples with margins and gaps given in inches.

    For grids whose decorations are known up front (titles, known tick labels):
    the axes get their place once, so the figure needs no layout engine, whose
    measuring passes draw every tick label again (most of a small-multiples
    figure's time). Returns False, leaving the figure's layout engine in charge,
    when the margins leave no room for the axes (a figure too small for them).
    """
    width, height = fig.get_size_inches()
    cell_w = (width - left - right - (cols - 1) * wspace) / cols
    cell_h = (height - top - bottom - (rows - 1) * hspace) / rows
    if cell_w <= 0.2 or cell_h <= 0.2:
        return False
    fig.set_layout_engine(None)  # None, not "none": "none" keeps a placeholder that refuses subplots_adjust
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=wspace / cell_w, hspace=hspace / cell_h)
    return True


def training_curves(history: Any) -> Any:
    fig = new_figure(9, 3.2)
    ax = fig.add_subplot(1, 2, 1)
    ep = np.asarray(history.epoch, dtype=float)
    ax.plot(ep, history.train_loss, color="#2f6fde", label="training loss")
    vl = np.asarray(history.val_loss, dtype=float)
    if vl.size and np.isfinite(vl).any():
        ax.plot(ep, vl, color="#c05621", label="validation loss")
    if history.best_epoch:
        ax.axvline(history.best_epoch, color="#888", ls=":", lw=1, label=f"best epoch {history.best_epoch}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(frameon=False, fontsize=8)
    ax2 = fig.add_subplot(1, 2, 2)
    vs = np.asarray(history.val_score, dtype=float)
    if vs.size and np.isfinite(vs).any():
        ax2.plot(ep, vs, color="#2f855a")
        ax2.set_ylabel("validation score")
    else:
        ax2.plot(ep, history.lr, color="#805ad5")
        ax2.set_ylabel("learning rate")
    ax2.set_xlabel("epoch")
    return fig


def gradient_flow(table: dict[str, dict[str, np.ndarray]]) -> Any:
    metrics = [("grad_norm", "gradient norm (mean of steps)"), ("update_ratio", "update / weight"), ("fraction_active", "fraction active")]
    present = [(k, t) for k, t in metrics if any(np.isfinite(v.get(k, np.array([np.nan]))).any() for v in table.values())]
    fig = new_figure(3.4 * len(present), 3.0)
    for i, (key, title) in enumerate(present, start=1):
        ax = fig.add_subplot(1, len(present), i)
        for name, m in table.items():
            ax.plot(m["epoch"], m[key], label=label(name))
        if key != "fraction_active":
            ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
    fig.axes[0].legend(frameon=False, fontsize=8)
    return fig


def heatmap(matrix: np.ndarray, rows: list[str], cols: list[str], title: str) -> Any:
    n, m = matrix.shape
    fig = new_figure(max(3.5, 0.9 * m + 1.8), max(3.0, 0.7 * n + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    import matplotlib

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#d9d9d9")  # NaN (undefined: a constant layer's CKA) in grey
    im = ax.imshow(np.ma.masked_invalid(matrix), vmin=0, vmax=1, cmap=cmap)
    ax.set_xticks(range(m), [label(c) for c in cols], rotation=30, ha="right", fontsize=9)
    ax.set_yticks(range(n), [label(r) for r in rows], fontsize=9)
    for i in range(n):
        for j in range(m):
            v = matrix[i, j]
            text, dark = ("n/a", False) if np.isnan(v) else (f"{v:.2f}", v < 0.6)
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def probes(layers: list[str], train: list[float], test: list[float], chance: float, metric: str) -> Any:
    fig = new_figure(6, 3.0)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(layers))
    ax.plot(x, test, "o-", color="#2f6fde", label="held-out")
    ax.plot(x, train, "o--", color="#a0aec0", label="train")
    ax.axhline(chance, color="#c53030", ls=":", lw=1, label=f"chance ({chance:.2f})")
    ax.set_xticks(x, [label(n) for n in layers], fontsize=9)
    ax.set_ylabel(metric)
    ax.legend(frameon=False, fontsize=8)
    return fig


class _Colours:
    """How points are coloured by ``y``: ``c``/``cmap`` for ``scatter``; ``classes`` = legend entries
    (label, colour) for classes, ``continuous`` for a real-valued target (a colour bar)."""

    def __init__(self, y: np.ndarray | None, n: int) -> None:
        self.classes: list[tuple[str, str]] = []
        self.continuous = False
        self.cmap: str | None = None
        if y is None:
            self.c: Any = "#2f6fde"
            return
        y = np.asarray(y)[:n]
        if y.dtype.kind in "fc" and np.unique(y).size > 20:
            self.c, self.cmap, self.continuous = y.astype(float), "viridis", True
            return
        values, codes, counts = np.unique(y.astype(str) if y.dtype.kind == "O" else y, return_inverse=True, return_counts=True)
        # most frequent classes first (ties in sorted order); beyond the palette they share "other"
        rank = np.argsort(-counts, kind="stable")
        own = rank[: len(PALETTE)] if values.size <= len(PALETTE) else rank[: len(PALETTE) - 1]
        lookup = np.full(values.size, OTHER, dtype=object)
        for k, cls in enumerate(sorted(own)):  # colours follow the classes' sorted order
            lookup[cls] = PALETTE[k]
            self.classes.append((str(values[cls]), PALETTE[k]))
        if values.size > own.size:
            self.classes.append((f"other ({values.size - own.size} classes)", OTHER))
        self.c = lookup[codes.ravel()]

    def head(self, k: int) -> Any:
        return self.c if isinstance(self.c, str) else self.c[:k]

    def take(self, rows: np.ndarray) -> Any:
        return self.c if isinstance(self.c, str) else self.c[rows]


def scatter_grid(points: dict[str, np.ndarray], y: np.ndarray | None, method: str) -> Any:
    """Each layer's 2-D points, coloured by ``y``: a legend of the classes (at most 12, the rest
    "other" in grey), or a colour bar for a real-valued target."""
    from matplotlib.lines import Line2D

    k = len(points)
    cols = min(k, 4)
    rows = math.ceil(k / cols)
    n = max(p.shape[0] for p in points.values())
    colours = _Colours(y, n)
    fig = new_figure(3.1 * cols + (1.8 if colours.classes or colours.continuous else 0), 3.0 * rows)
    drawn = None
    for i, (name, p) in enumerate(points.items(), start=1):
        ax = fig.add_subplot(rows, cols, i)
        drawn = ax.scatter(p[:, 0], p[:, 1], c=colours.head(p.shape[0]), cmap=colours.cmap, s=6, alpha=0.7, linewidths=0)
        ax.set_title(f"{label(name)} ({method.upper()})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if colours.continuous and drawn is not None:
        fig.colorbar(drawn, ax=fig.axes, shrink=0.8, label="target")
    elif colours.classes:
        names = [c for c, _ in colours.classes]
        handles = [Line2D([], [], ls="", marker="o", color=col, label=label(c, 24)) for c, col in colours.classes]
        families = font_families(names)
        fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize=8, title="label",
                   prop={"size": 8, **({"family": families} if families else {})})
    return fig


def evenly_spaced(n: int, k: int) -> np.ndarray:
    """At most ``k`` row indices spread evenly over ``range(n)``, first and last included, ascending."""
    return np.unique(np.linspace(0, n - 1, num=min(n, k)).round().astype(int)) if n else np.zeros(0, dtype=int)


def neuron_grid(maps: np.ndarray, units: list[int], extent: tuple[float, ...], points: np.ndarray, y: np.ndarray | None, layer: str, axes: tuple[str, str]) -> Any:
    cols = min(len(units), 8)
    rows = math.ceil(len(units) / cols)
    fig = new_figure(1.6 * cols, 1.6 * rows + 0.3)
    colours = _Colours(y, points.shape[0])
    shown = evenly_spaced(points.shape[0], 300)  # over all the rows: data sorted by label or time shows every part
    for i, u in enumerate(units, start=1):
        ax = fig.add_subplot(rows, cols, i)
        ax.imshow(maps[u], origin="lower", extent=extent, aspect="auto", cmap="RdBu_r")
        ax.scatter(points[shown, 0], points[shown, 1], c=colours.take(shown), cmap=colours.cmap, s=2, alpha=0.5, linewidths=0)
        ax.set_title(f"unit {u}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{label(layer)}: unit output over the {label(axes[0])}–{label(axes[1])} plane", fontsize=10)
    return fig


def top_order(values: np.ndarray, k: int = 15) -> np.ndarray:
    """Indices of the ``k`` largest values, largest first."""
    return np.argsort(values, kind="stable")[::-1][:k]


def bars(values: np.ndarray, names: list[str], title: str) -> Any:
    """The 15 largest ``values`` as horizontal bars, largest at the top; names over 30 characters are
    shortened (the report lists them in full), ``$`` drawn literally, a fallback font used if one is installed."""
    order = top_order(values)[::-1]
    shown = [names[i] for i in order]
    fig = new_figure(6.5, 0.32 * len(order) + 1.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(range(len(order)), values[order], color="#2f6fde")
    families = font_families(shown)
    ax.set_yticks(range(len(order)), [label(n) for n in shown], fontsize=9, **({"fontfamily": families} if families else {}))
    ax.set_title(title, fontsize=10)
    return fig


def attribution_map(values: np.ndarray, title: str, axes: tuple[str, str]) -> Any:
    """A 2-D map of mean |attribution| ``values`` ``(rows, cols)``: an image's ``(H, W)`` pixels or a sequence's ``(T, F)``
    steps by features, white at 0 and darkest at the largest; ``axes``: the (vertical, horizontal) axes' names."""
    r, c = values.shape
    side = 3.2 / max(r, c) ** 0.5 if max(r, c) < 10 else 0.32  # small maps drawn larger per cell
    fig = new_figure(min(7.0, max(3.0, c * side + 1.6)), min(7.0, max(2.6, r * side + 0.9)))
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(values, cmap="Reds", vmin=0, vmax=float(values.max()) or 1.0, aspect="auto" if axes[0] == "step" else "equal")
    ax.set_ylabel(axes[0], fontsize=9)
    ax.set_xlabel(axes[1], fontsize=9)
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def histograms(arrays: dict[str, np.ndarray]) -> Any:
    k = len(arrays)
    cols = min(k, 4)
    rows = math.ceil(k / cols)
    fig = new_figure(3.1 * cols, 2.4 * rows)
    for i, (name, a) in enumerate(arrays.items(), start=1):
        ax = fig.add_subplot(rows, cols, i)
        v = np.asarray(a, dtype=float).ravel()
        v = v[np.isfinite(v)][:200000]
        ax.hist(v, bins=50, color="#718096")
        ax.set_yscale("log")
        ax.set_title(label(name), fontsize=10)
    return fig


def returns_curve(history: Any) -> Any:
    """An agent's return per training episode (line) and its greedy evaluations (dots, at their step's episode)."""
    fig = new_figure(7, 3.0)
    ax = fig.add_subplot(1, 1, 1)
    ret = np.asarray(history.episode_returns, dtype=float)
    ax.plot(np.arange(1, ret.size + 1), ret, color="#2f6fde", lw=1, label="training episode")
    steps, evals = list(getattr(history, "eval_steps", [])), list(getattr(history, "eval_returns", []))
    total = int(getattr(history, "steps", 0) or 0)
    if steps and evals and total:
        x = np.asarray(steps, dtype=float) / float(total) * ret.size  # evaluation step -> approximate episode index
        ax.plot(x, evals, "o", color="#c05621", ms=4, label="greedy evaluation")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.legend(frameon=False, fontsize=8)
    return fig
