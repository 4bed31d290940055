"""``report(model, X, y).save("report.html")``: one self-contained HTML page.

Sections (each always present; one that cannot be computed says why):
architecture, training, gradient flow, layers (table + plain-word warnings),
activations, similarity (CKA), probes, projections, neurons (maps + top
rows), features (attribution). Figures are inline PNGs made with
Matplotlib's Agg backend; nothing is fetched from the network.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import _html as H

SECTIONS = ("architecture", "training", "gradient-flow", "layers", "activations", "similarity", "probes", "projections", "neurons", "features")


@dataclass
class Report:
    """A rendered report; ``html`` is the page, ``warnings`` the plain-word findings."""

    title: str
    sections: list[tuple[str, str, str, str]]
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def html(self) -> str:
        subtitle = f"{len(self.warnings)} warning(s) · generated {time.strftime('%Y-%m-%d %H:%M')}"
        return H.page(self.title, subtitle, self.sections)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the page atomically (temp file in the same folder, then rename)."""
        from ..modelfile import atomic_write_bytes

        if os.path.isdir(path):
            raise ValueError(f"'{path}' is a folder: give a file path such as report.html.")
        atomic_write_bytes(path, self.html.encode("utf-8"))

    def _repr_html_(self) -> str:  # Jupyter
        return self.html


def _architecture(model: Any, module: torch.nn.Module, names: list[str]) -> str:
    from ..network import count_parameters

    rows = []
    net_in = getattr(module, "in_features", None)
    if net_in is not None:
        rows.append(["input", "", str(net_in), "", ""])
    for name, mod in module.named_modules():
        if not name or (names and name not in names and name != "head") or (not names and list(mod.children())):
            continue
        lin = getattr(mod, "linear", mod)
        shape = f"{getattr(lin, 'in_features', '')} → {getattr(lin, 'out_features', '')}" if hasattr(lin, "in_features") else ""
        extra = ", ".join(x for x in (getattr(mod, "norm", None) and "norm", getattr(mod, "dropout", None) and "dropout") if x)
        rows.append([name, type(mod).__name__, shape, getattr(mod, "activation_name", "") or "", f"{count_parameters(mod):,}" + (f" ({extra})" if extra else "")])
    body = H.table_html(["layer", "kind", "shape", "activation", "parameters"], rows)
    total = f"<p>Total trainable parameters: <b>{count_parameters(module):,}</b>.</p>"
    if model is not module and hasattr(model, "get_params"):
        p = model.get_params(deep=False)
        keys = ("hidden_layer_sizes", "activation", "solver", "alpha", "batch_size", "learning_rate_init", "max_iter", "early_stopping")
        total += '<p class="mono">' + H.esc(", ".join(f"{k}={p[k]!r}" for k in keys if k in p)) + "</p>"
    return total + body


def _training(history: Any) -> tuple[str, str]:
    from ..stopping import STOP_REASONS
    from ._plots import training_curves

    if history is None or not len(history):
        return "", H.na_html("no training history (the model was not trained with hiddenlayers' fit loop).")
    reason = history.stop_reason or "unknown"
    msg = history.stop_message or STOP_REASONS.get(reason, "")
    lead = f"Stopped after {history.epoch[-1]} epochs: {msg or reason}."
    last = f"Final training loss {history.train_loss[-1]:.4g}"
    if history.best_epoch:
        last += f"; best epoch {history.best_epoch}"
    return lead, f"<p>{H.esc(last)}.</p>" + H.figure_html(training_curves(history), "loss by epoch; right: validation score (or learning rate)")


def _gradflow(history: Any) -> tuple[str, str]:
    from ._plots import gradient_flow
    from .gradflow import KEY, gradient_flow_table

    if history is None or not (getattr(history, "extra", None) or {}).get(KEY):
        return "", H.na_html("train with callbacks=[hl.lens.GradientFlow(X_sample)] to record gradient flow per epoch.")
    table = gradient_flow_table(history)
    notes = []
    for name, m in table.items():
        g = m["grad_norm"][np.isfinite(m["grad_norm"])]
        if g.size and g[-1] < 1e-6:
            notes.append(f"{name}: the gradient has vanished (norm {g[-1]:.1e} in the last epoch).")
        if g.size and g[-1] > 1e3:
            notes.append(f"{name}: the gradient is exploding (norm {g[-1]:.1e}); lower the learning rate or set clip_grad_norm.")
    return "Per epoch and hidden layer: gradient norm, size of the update relative to the weights, and the share of active units.", (
        H.figure_html(gradient_flow(table), "log scale; flat near zero = vanishing, very large = exploding") + H.warnings_html(notes)
    )


def _layers_table(rec: Any) -> tuple[str, list[str]]:
    rows, classes, warns = [], [], []
    for name, s in rec.stats.items():
        rows.append([name, rec.kinds.get(name, ""), s.activation or "-", s.units, f"{s.mean.mean():.3g}", f"{s.std.mean():.3g}",
                     f"{s.fraction_active.mean():.0%}", s.n_dead, s.n_saturated, f"{s.sparsity:.0%}", f"{s.effective_rank:.1f}"])
        classes.append(["", "", "", "", "", "", "", "bad" if s.n_dead else "", "warn" if s.n_saturated else "", "", ""])
        warns.extend(s.warnings())
    header = ["layer", "kind", "activation", "units", "mean", "std", "active", "dead", "saturated", "sparsity", "effective rank"]
    return H.table_html(header, rows, classes) + H.warnings_html(warns, "No dead or saturated units on this data."), warns


def report(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    layers: Any = None,
    title: str | None = None,
    max_rows: int = 10000,
    plot_rows: int = 2000,
    tsne: bool = False,
    units_per_layer: int = 8,
    feature_names: list[str] | None = None,
) -> Report:
    """Build the report on (at most ``max_rows`` rows of) ``X``; ``y`` enables probes and colours.

    >>> report(clf, X, y).save("report.html")
    """
    from ._plots import bars, heatmap, histograms, neuron_grid, probes, scatter_grid
    from .attribution import feature_importance
    from .neurons import neuron_maps, top_activating
    from .probes import model_task, probe_features
    from .projection import project_2d
    from .record import _prepare_X, as_target, record
    from .similarity import cka_matrix

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    target = as_target(model)
    Xp = _prepare_X(target, X)
    yv = None if y is None else np.asarray(y)
    if yv is not None and yv.shape[0] != Xp.shape[0]:
        raise ValueError(f"X has {Xp.shape[0]} rows but y has {yv.shape[0]}: pass one label per row.")
    if Xp.shape[0] > max_rows:
        Xp, yv = Xp[:max_rows], (None if yv is None else yv[:max_rows])
    rec = record(model, Xp, layers)
    names = list(rec)
    t["record"] = time.perf_counter() - t0
    history = getattr(model, "history_", None)
    sections: list[tuple[str, str, str, str]] = []
    sections.append(("architecture", "Architecture", "The layers, their sizes and activations.", _architecture(model, target.module, names)))
    lead, body = _training(history)
    sections.append(("training", "Training", lead or "How the loss moved while training.", body))
    lead, body = _gradflow(history)
    sections.append(("gradient-flow", "Gradient flow", lead or "Gradient norms per layer during training.", body))
    table, warns = _layers_table(rec)
    sections.append(("layers", "Hidden layers", f"Statistics of every hidden unit on {rec.n_rows:,} rows.", table))
    sample = {n: rec[n][:plot_rows] for n in names}
    sections.append(("activations", "Activations", "Distribution of each layer's outputs (log count).", H.figure_html(histograms(sample))))
    t["stats"] = time.perf_counter() - t0

    feats = {n: rec.features(n) for n in names}
    sim = cka_matrix(feats, unbiased=False) if len(names) > 1 else None
    if sim is not None:
        body = H.figure_html(heatmap(sim.matrix, sim.rows, sim.cols, "linear CKA (biased estimator)"), "1 = the same geometry up to rotation and scale")
        lead = "How similar the layers' representations are (linear CKA)."
    else:
        body, lead = H.na_html("only one hidden layer; nothing to compare."), "Layer similarity."
    sections.append(("similarity", "Layer similarity", lead, body))
    t["cka"] = time.perf_counter() - t0

    if yv is not None and yv.ndim == 1:
        Xa = Xp.toarray() if hasattr(Xp, "toarray") else np.asarray(Xp)
        pr_feats = {"input": Xa.reshape(Xa.shape[0], -1), **feats}
        cap = min(Xa.shape[0], 5000)
        pr = probe_features({k: v[:cap] for k, v in pr_feats.items()}, yv[:cap], task=model_task(model))
        rows = [[n, f"{a:.3f}", f"{b:.3f}"] for n, a, b in zip(pr.layers, pr.train_score, pr.test_score)]
        body = H.figure_html(probes(pr.layers, pr.train_score, pr.test_score, pr.chance, pr.metric)) + H.table_html(["layer", f"train {pr.metric}", f"held-out {pr.metric}"], rows)
        lead = f"Held-out {pr.metric} of a linear model on each layer: how the label information grows with depth (best: {pr.best()})."
    else:
        body, lead = H.na_html("pass y (one label per row) to probe the layers."), "Linear probes."
    sections.append(("probes", "Linear probes", lead, body))
    t["probes"] = time.perf_counter() - t0

    method = "tsne" if tsne else "pca"
    pts = {n: project_2d(feats[n][:plot_rows], method=method) for n in names}
    sections.append(("projections", "Projections", f"Each layer's representation in 2-D ({method.upper()}), coloured by label.",
                     H.figure_html(scatter_grid(pts, yv, method))))
    t["projections"] = time.perf_counter() - t0

    sections.append(("neurons", "Neurons", "What each hidden unit responds to.", _neurons(model, Xp, yv, rec, names, units_per_layer, feature_names, neuron_maps, neuron_grid, top_activating)))
    t["neurons"] = time.perf_counter() - t0

    Xa = Xp.toarray() if hasattr(Xp, "toarray") else np.asarray(Xp)
    if Xa.ndim == 2 and Xa.dtype.kind == "f":
        imp = feature_importance(model, Xa[:300])
        fnames = feature_names or [str(c) for c in getattr(model, "feature_names_in_", [])] or [f"x{i}" for i in range(imp.shape[0])]
        body = H.figure_html(bars(imp, fnames, "mean |integrated gradients|, all outputs"), "top input features")
        lead = "Which input features drive the outputs (integrated gradients, Captum)."
    else:
        body, lead = H.na_html("attribution needs tabular floating-point inputs."), "Input attribution."
    sections.append(("features", "Top features", lead, body))
    t["features"] = time.perf_counter() - t0
    return Report(title or f"Inside {type(model).__name__}", sections, warns, t)


def _neurons(model: Any, Xp: Any, yv: Any, rec: Any, names: list[str], k: int, feature_names: Any, neuron_maps: Any, neuron_grid: Any, top_activating: Any) -> str:
    parts = []
    Xa = Xp.toarray() if hasattr(Xp, "toarray") else np.asarray(Xp)
    if Xa.ndim == 2 and Xa.shape[1] >= 2 and all(rec.kinds[n] == "dense" for n in names):
        nm = neuron_maps(model, Xa, resolution=40, max_rows=2000)
        for n in names:
            m = nm.maps[n]
            units = [int(u) for u in np.argsort(-m.reshape(m.shape[0], -1).std(1))[:k]]
            parts.append(H.figure_html(neuron_grid(m, sorted(units), nm.extent, nm.points, yv, n, nm.axes),
                                       f"{n}: the {len(units)} most varying units; red = high output, dots = data"))
    else:
        parts.append(H.na_html("neuron maps need tabular inputs with two or more features."))
    rows = []
    for n in names:
        f = rec.features(n)
        top = top_activating(f, 3)
        order = np.argsort(-f.std(0))[: min(k, f.shape[1])]
        for u in order:
            r = top[u]
            lab = "" if yv is None else ", ".join(str(yv[i]) for i in r)
            rows.append([n, int(u), ", ".join(str(int(i)) for i in r), f"{f[r[0], u]:.3g}", lab])
    parts.append("<h3>Rows that activate each unit most</h3>" + H.table_html(["layer", "unit", "top rows", "max output", "their labels"], rows))
    return "".join(parts)


__all__ = ["SECTIONS", "Report", "report"]
