"""Matplotlib figures for the report (Agg backend, no pyplot global state)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def new_figure(w: float, h: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


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
    metrics = [("grad_norm", "gradient norm (last batch)"), ("update_ratio", "update / weight"), ("fraction_active", "fraction active")]
    present = [(k, t) for k, t in metrics if any(np.isfinite(v.get(k, np.array([np.nan]))).any() for v in table.values())]
    fig = new_figure(3.4 * len(present), 3.0)
    for i, (key, title) in enumerate(present, start=1):
        ax = fig.add_subplot(1, len(present), i)
        for name, m in table.items():
            ax.plot(m["epoch"], m[key], label=name)
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
    im = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(m), cols, rotation=30, ha="right", fontsize=9)
    ax.set_yticks(range(n), rows, fontsize=9)
    for i in range(n):
        for j in range(m):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8, color="white" if matrix[i, j] < 0.6 else "black")
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
    ax.set_xticks(x, layers, fontsize=9)
    ax.set_ylabel(metric)
    ax.legend(frameon=False, fontsize=8)
    return fig


def _colors(y: np.ndarray | None, n: int) -> tuple[Any, Any]:
    if y is None:
        return "#2f6fde", None
    y = np.asarray(y)[:n]
    if y.dtype.kind in "fc" and np.unique(y).size > 20:
        return y, "viridis"
    _, codes = np.unique(y, return_inverse=True)
    return codes, "tab10"


def scatter_grid(points: dict[str, np.ndarray], y: np.ndarray | None, method: str) -> Any:
    k = len(points)
    cols = min(k, 4)
    rows = math.ceil(k / cols)
    fig = new_figure(3.1 * cols, 3.0 * rows)
    for i, (name, p) in enumerate(points.items(), start=1):
        ax = fig.add_subplot(rows, cols, i)
        c, cmap = _colors(y, p.shape[0])
        ax.scatter(p[:, 0], p[:, 1], c=c, cmap=cmap, s=6, alpha=0.7, linewidths=0)
        ax.set_title(f"{name} ({method.upper()})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def neuron_grid(maps: np.ndarray, units: list[int], extent: tuple[float, ...], points: np.ndarray, y: np.ndarray | None, layer: str, axes: tuple[str, str]) -> Any:
    cols = min(len(units), 8)
    rows = math.ceil(len(units) / cols)
    fig = new_figure(1.6 * cols, 1.6 * rows + 0.3)
    c, cmap = _colors(y, points.shape[0])
    for i, u in enumerate(units, start=1):
        ax = fig.add_subplot(rows, cols, i)
        ax.imshow(maps[u], origin="lower", extent=extent, aspect="auto", cmap="RdBu_r")
        ax.scatter(points[:300, 0], points[:300, 1], c=c if cmap is None else c[:300], cmap=cmap, s=2, alpha=0.5, linewidths=0)
        ax.set_title(f"unit {u}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{layer}: unit output over the {axes[0]}–{axes[1]} plane", fontsize=10)
    return fig


def bars(values: np.ndarray, names: list[str], title: str) -> Any:
    order = np.argsort(values)[::-1][:15][::-1]
    fig = new_figure(6.5, 0.32 * len(order) + 1.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(range(len(order)), values[order], color="#2f6fde")
    ax.set_yticks(range(len(order)), [names[i] for i in order], fontsize=9)
    ax.set_title(title, fontsize=10)
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
        ax.set_title(name, fontsize=10)
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
