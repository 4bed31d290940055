"""``report(model, X, y).save("report.html")``: one self-contained HTML page.

Sections (all by default, or those ``sections=`` names; one that cannot be computed says why):
architecture, training, gradient flow, layers (table + plain-word warnings),
activations, similarity (CKA), probes, projections, neurons (maps + top
rows), preferred inputs (what each unit of one layer responds to most),
features (attribution), data (the findings of ``hiddenlayers.check``).
Figures are inline PNGs made with Matplotlib's Agg backend; nothing is
fetched from the network.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._docsections import parameters_section
from . import _html as H
from . import _report_landscape as landscape
from ._advice import ADVICE, report_advice
from ._report_preferred import LEAD, check_image_shape, preferred_section, resolve_layer
from ._stats import few_rows_note, unknown_activation_note

PROBE_ROWS = 5000  # the probes section's rows, drawn at random from the report's
#: the report's section ids, in page order (``report(sections=...)``, ``hiddenlayers inspect --sections``)
REPORT_SECTIONS = SECTIONS = ("architecture", "training", "gradient-flow", "layers", "activations", "loss-landscape", "similarity", "probes", "projections", "neurons", "preferred-inputs", "features", "data")


@dataclass(repr=False)
class Report:
    """A rendered report; ``html`` is the page, ``warnings`` the plain-word findings.

    Its repr is one line (title, section ids, warning count), not the sections' HTML with their inline images:
    ``hl.lens.report(clf, X, y)`` ending a REPL line printed about 750 kB of it.

    Attributes
    ----------
    title : str
        The page's title.
    sections : list of tuple of str
        ``(id, title, lead sentence, body HTML)`` per section, in page order.
    warnings : list of str
        The plain-word findings.
    timings : dict of str to float
        Seconds from the start to the end of each stage (``record``, ``stats``, each section), by name.
    """

    title: str
    sections: list[tuple[str, str, str, str]]
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def html(self) -> str:
        """The whole report as one self-contained HTML page (inline SVG, no network), dated now."""
        subtitle = f"{len(self.warnings)} warning(s) · generated {time.strftime('%Y-%m-%d %H:%M')}"
        return H.page(self.title, subtitle, self.sections, footer="Written by hiddenlayers.lens — one self-contained file, no network needed.")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the page atomically (temp file in the same folder, then rename); a folder is refused.

        Parameters
        ----------
        path : str or PathLike
            The HTML file to write.
        """
        H.write_page(path, self.html, example="report.html")

    def _repr_html_(self) -> str:  # Jupyter
        return self.html

    def __repr__(self) -> str:
        ids = ", ".join(sid for sid, *_ in self.sections)
        return f"Report(title={self.title!r}, sections=[{ids}], warnings={len(self.warnings)}; .save(path) writes the page)"


def _params_line(model: Any) -> str:
    get = getattr(model, "get_params", None)
    if get is None:
        return ""
    try:
        p = get(deep=False)
    except TypeError:  # get_params() without scikit-learn's `deep` argument (DQNAgent)
        p = get()
    keys = ("hidden_layer_sizes", "n_components", "window", "horizon", "target", "n_factors", "activation",
            "solver", "alpha", "batch_size", "learning_rate_init", "learning_rate", "max_iter", "early_stopping")
    return '<p class="mono">' + H.esc(", ".join(f"{k}={p[k]!r}" for k in keys if k in p)) + "</p>"


def _architecture(model: Any, module: torch.nn.Module, rec: Any, in_shape: tuple[int, ...], in_dtype: str) -> str:
    """One row per recorded layer (with its output shape per example) plus the input and output heads."""
    from ..network import count_parameters

    names = list(rec)
    rows = [["input", in_dtype, " × ".join(map(str, in_shape)) or "1", "", ""]]
    mods = dict(module.named_modules())
    heads = [n for n in mods if (n == "head" or n.endswith(".head")) and n not in names]
    for name in names + heads:
        mod = mods.get(name, module)  # not a path: a bare leaf module (nn.Linear, nn.GRU) recorded under its type's name
        if name in rec.arrays:
            shape = " × ".join(map(str, rec.arrays[name].shape[1:]))
            act = rec.activations.get(name) or ""
        else:
            shape, act = str(getattr(mod, "out_features", "")), "(output)"
        extra = ", ".join(x for x in (getattr(mod, "norm", None) and "norm", getattr(mod, "dropout", None) and "dropout") if x)
        rows.append([name, type(mod).__name__, shape, act, f"{count_parameters(mod):,}" + (f" ({extra})" if extra else "")])
    body = H.table_html(["layer", "kind", "output per example", "activation", "parameters"], rows)
    total = f"<p>Total trainable parameters: <b>{count_parameters(module):,}</b>.</p>"
    if model is not module:
        total += _params_line(model)
    return total + body


def _training(history: Any) -> tuple[str, str]:
    from ..training import STOP_REASONS
    from ._plots import training_curves

    if history is not None and getattr(history, "episode_returns", None):  # an agent: returns, not losses
        from ._plots import returns_curve

        ret = np.asarray(history.episode_returns, dtype=float)
        lead = f"{len(ret)} training episodes over {getattr(history, 'steps', 0):,} steps; best greedy evaluation {getattr(history, 'best_eval', float('nan')):.4g}."
        return lead, H.figure_html(returns_curve(history), "return of each training episode; dots: greedy evaluations (the best weights are kept)")
    if history is None or not hasattr(history, "train_loss") or not len(history.train_loss):
        return "", H.na_html("no training history (the model was not trained with hiddenlayers' fit loop).")
    reason = history.stop_reason or "unknown"
    msg = history.stop_message or STOP_REASONS.get(reason, "")
    lead = f"Stopped after {history.epoch[-1]} epochs: {msg or reason}."
    last = f"Final training loss {history.train_loss[-1]:.4g}"
    if history.best_epoch:
        last += f"; best epoch {history.best_epoch}"
    return lead, f"<p>{H.esc(last)}.</p>" + H.figure_html(training_curves(history), "loss by epoch; right: validation score (or learning rate)")


GRADIENT_FLOW_HINT = "train with callbacks=[hl.lens.GradientFlow(X_sample)] to record gradient flow per epoch."


def _gradflow(model: Any, history: Any, hint: str = GRADIENT_FLOW_HINT) -> tuple[str, str]:
    """The section's lead and body from ``history`` (a training History or a :class:`GradientFlow`)."""
    from ._gradflow import flow_records, gradient_flow_table
    from ._plots import gradient_flow

    if history is None or not flow_records(history):
        if model is not None and not hasattr(model, "callbacks"):
            why = f"{type(model).__name__}'s fit loop takes no callbacks, so gradient flow was not recorded."
        elif model is None and hint == GRADIENT_FLOW_HINT:  # a torch module trained in its own loop
            why = "measure your training loop with hl.lens.GradientFlow (`with flow.epoch(model):`, `flow.step()`) and pass gradient_flow=flow."
        else:
            why = hint
        return "", H.na_html(why)
    table = gradient_flow_table(history)
    notes = []
    for name, m in table.items():
        g = m["grad_norm"][np.isfinite(m["grad_norm"])]
        if g.size and g[-1] < 1e-6:
            notes.append(f"{name}: the gradient has vanished (norm {g[-1]:.1e} in the last epoch).")
        if g.size and g[-1] > 1e3:
            notes.append(f"{name}: the gradient is exploding (norm {g[-1]:.1e}); lower the learning rate or set clip_grad_norm.")
    return "Per epoch and hidden layer: gradient norm (mean over the epoch's steps), size of the update relative to the weights, and the share of active units.", (
        H.figure_html(gradient_flow(table), "log scale; flat near zero = vanishing, very large = exploding") + H.warnings_html(notes)
    )


def _layers_table(rec: Any) -> tuple[str, list[str]]:
    rows, classes, warns = [], [], []
    for name, s in rec.stats.items():
        rows.append([name, rec.kinds.get(name, ""), s.activation_text, s.units, f"{s.mean.mean():.3g}", f"{s.std.mean():.3g}",
                     s.active_text, s.dead_text, s.n_saturated, f"{s.sparsity:.0%}", f"{s.effective_rank:.1f}"])
        classes.append(["", "", "", "", "", "", "", "bad" if s.n_dead and s.dead_known else "", "warn" if s.n_saturated else "", "", ""])
        warns.extend(s.warnings())
    header = ["layer", "kind", "activation", "units", "mean", "std", "active", "dead", "saturated", "sparsity", "effective rank"]
    notes = [unknown_activation_note({n: s.dead_rule for n, s in rec.stats.items()}), few_rows_note(list(rec.stats.values()))]
    return H.table_html(header, rows, classes) + "".join(H.note_html(n) for n in notes if n) + H.warnings_html(warns, "No dead or saturated units on this data."), warns


def _guarded(reason_prefix: str, fn: Any, *args: Any) -> tuple[str, str]:
    """Run one analysis section; a model it cannot apply to yields a visible one-line reason, not a crash."""
    try:
        return fn(*args)
    except (ValueError, TypeError, RuntimeError, IndexError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return reason_prefix, H.na_html(f"could not be computed for this model: {msg}")


def _task(model: Any, yv: np.ndarray) -> str | None:
    from ._probes import probe_task

    return probe_task(model, yv)  # many distinct real values (e.g. a series' next value): not classes


def _to_array(Xp: Any) -> np.ndarray:
    if hasattr(Xp, "toarray"):
        return Xp.toarray()
    if isinstance(Xp, torch.Tensor):
        return Xp.detach().cpu().numpy()
    return np.asarray(Xp)


def _prepare(model: Any, X: Any, y: Any, max_rows: int | None, n_names: int | None = None, *,
             probes: bool = False) -> tuple[Any, Any, np.ndarray | None, np.ndarray | None]:
    """``(target, network-input rows, labels, their positions)``, at most ``max_rows`` of each; ``y`` must give one label per row.

    The positions are those of the drawn rows among the network-input rows (None: every row, in order), so the
    page names a row by its place in ``X``, not in the sample. ``n_names``: the length of :func:`report`'s ``row_names``,
    which must give one name per network-input row. ``probes``: the page probes the layers on ``y``, so a missing
    label is refused now, naming its row, not as scikit-learn's "Input y contains NaN." half-way through the page.
    """
    from ._probes import refuse_missing_labels
    from ._record import as_target
    from ._target import check_max_rows, n_rows, sample_index, take_rows

    if y is not None and probes:
        refuse_missing_labels(np.asarray(y))
    cap = check_max_rows(max_rows, 2)  # X[:-5] used to drop the last rows silently
    target = as_target(model)
    Xp = target.prepared(X)
    yv = None if y is None else np.asarray(y)
    n_in = n_rows(Xp)
    if yv is not None and (yv.ndim == 0 or yv.shape[0] != n_in):
        got = "a scalar" if yv.ndim == 0 else str(yv.shape[0])
        what = " rows" if target.estimator is None or not hasattr(target.estimator, "network_input") else f" network-input rows ({type(model).__name__}.network_input(X))"
        raise ValueError(f"X gives {n_in}{what} but y has {got}: pass one label per row.")
    if n_names is not None and n_names != n_in:
        raise ValueError(f"X gives {n_in} rows but row_names has {n_names} names: pass one name per row of X.")
    idx = sample_index(int(n_in), cap, 0)  # at random, not the first rows: sorted data would hide classes
    if idx is not None:
        Xp, yv = take_rows(Xp, idx), (None if yv is None else yv[idx])
    return target, Xp, yv, idx


def _row_names(row_names: Any, note: str | None, positions: np.ndarray | None, n_drawn: int) -> tuple[np.ndarray, str]:
    """``(name of each drawn row, what the names are)``: ``row_names`` (one per network-input row, checked by
    :func:`_prepare`) at the drawn ``positions``, else the positions in X counted from 0."""
    if row_names is None:
        return (np.arange(n_drawn) if positions is None else np.asarray(positions)), "positions in X, counted from 0"
    names = np.asarray(list(row_names), dtype=object)
    return (names if positions is None else names[positions]), (note or "as row_names names the rows of X")


def _similarity(names: list[str], feats: dict[str, np.ndarray]) -> tuple[str, str]:
    """The layer-similarity section: linear CKA between every pair of layers."""
    from ._plots import heatmap
    from ._similarity import cka_matrix

    if len(names) < 2:
        return "Layer similarity.", H.na_html("only one hidden layer; nothing to compare.")
    sim = cka_matrix(feats, unbiased=False)
    caption = "1 = the same geometry up to rotation and scale"
    flat = [n for n, d in zip(sim.rows, np.diag(sim.matrix), strict=True) if np.isnan(d)]
    if flat:  # CKA is 0/0 for a layer that does not vary: no number, not a 0 that reads as "nothing in common"
        caption += f"; n/a: {', '.join(flat)} {'does' if len(flat) == 1 else 'do'} not vary on these rows (every unit dead or constant)"
    return "How similar the layers' representations are (linear CKA).", H.figure_html(
        heatmap(sim.matrix, sim.rows, sim.cols, "linear CKA (biased estimator)"), caption)


def _probe_section(model: Any, Xa: np.ndarray, yv: np.ndarray | None, feats: dict[str, np.ndarray], advice: str = ADVICE["labels"]) -> tuple[str, str]:
    """The linear-probes section: a held-out linear model on the input and on each layer (needs one label per row;
    ``advice``: what the note says to do without them)."""
    from ._plots import probes
    from ._probes import probe_features

    if yv is None:
        return "Linear probes.", H.na_html(f"{advice}.")
    if yv.ndim != 1:  # a multi-output target (the landscape reads it): the note said "pass y", which was passed
        return "Linear probes.", H.na_html(f"y has shape {yv.shape}, and a probe fits one label or quantity per row: "
                                           "make a report with one of its columns, y[:, j], for the probes.")
    if np.unique(yv).size < 2:
        return "Linear probes.", H.na_html("y holds a single value; a probe needs at least two labels.")
    from ._target import sample_index, take_rows

    idx = sample_index(Xa.shape[0], PROBE_ROWS, 0)  # at random: the report's rows keep X's order, which may be sorted by label
    real = Xa.dtype.kind == "f" and bool(np.isfinite(take_rows(Xa, idx)).all())  # padded sequences hold NaN steps
    pr_feats = ({"input": Xa.reshape(Xa.shape[0], -1)} if real else {}) | feats
    pr = probe_features({k: take_rows(v, idx) for k, v in pr_feats.items()}, take_rows(yv, idx), task=_task(model, yv))
    rows = [[n, f"{a:.3f}", f"{b:.3f}"] for n, a, b in zip(pr.layers, pr.train_score, pr.test_score)]
    body = H.figure_html(probes(pr.layers, pr.train_score, pr.test_score, pr.chance, pr.metric)) + H.table_html(["layer", f"train {pr.metric}", f"held-out {pr.metric}"], rows)
    if Xa.dtype.kind != "f":
        body = H.note_html("The input itself is not probed: it is integer ids, not features.") + body
    elif not real:
        body = H.note_html("The input itself is not probed: its padded steps (NaN) are not features.") + body
    return f"Held-out {pr.metric} of a linear model on each layer: how the label information grows with depth (best: {pr.best()}).", body


def _projections(feats: dict[str, np.ndarray], yv: np.ndarray | None, plot_rows: int, method: str) -> tuple[str, str]:
    """The projections section: ``plot_rows`` of the rows (at random; the report keeps X's order) in 2-D (PCA or t-SNE), coloured by label."""
    from ._plots import scatter_grid
    from ._projection import project_2d
    from ._target import sample_index, take_rows

    n = next(iter(feats.values())).shape[0] if feats else 0
    idx = sample_index(n, plot_rows, 0)  # not the first rows: X sorted by label would show its first classes only
    pts = {name: project_2d(take_rows(f, idx), method=method) for name, f in feats.items()}
    return f"Each layer's representation in 2-D ({method.upper()}), coloured by label.", H.figure_html(
        scatter_grid(pts, None if yv is None else take_rows(yv, idx), method))


_REPORT_PARAMETERS = """
Parameters
----------
model : estimator, application, Network, torch.nn.Module or Pipeline
    The model to look inside.
X : array-like
    What the model itself takes (a table, images, a series for a Forecaster, (user, item) pairs for a Recommender,
    observations for a DQNAgent; a Translator's ``(sources, targets)``).
y : array-like, optional
    One label per network row (a Forecaster: one per lag window).
layers : selector, optional
    Which layers, as :func:`record` takes them.
title : str, optional
    The page's title (default ``"Inside <model class>"``).
max_rows : int, optional
    The rows of ``X`` used, drawn at random (None: every row).
plot_rows : int
    Rows shown in the projections (drawn at random).
tsne : bool
    Project with t-SNE instead of PCA.
units_per_layer : int
    Units per layer shown in the neurons section.
feature_names : sequence, optional
    Names of the network's input features.
data_report : DataReport, optional
    Shown in the "Data" section (a :class:`~hiddenlayers.DataReport`); without one, the fast data checks run on
    ``X`` and ``y`` when they are a table.
gradient_flow_hint : str
    The advice shown when no gradient flow was recorded (the CLI names its ``--gradient-flow`` flag instead of the
    Python callback).
gradient_flow : GradientFlow, optional
    A :class:`~hiddenlayers.lens.GradientFlow` that measured your own training loop; its records fill the
    "Gradient flow" section (instead of the model's ``history_``).
preferred_layer : layer selector, optional
    The layer "What each unit responds to most" shows :func:`~hiddenlayers.lens.preferred_inputs` for (one layer,
    as ``layers`` selects them; default: the first recorded layer), at most 16 of its most active units.
image_shape : tuple of int, optional
    ``(H, W)`` or ``(C, H, W)``: how to fold a row of pixels into an image for the preferred inputs (an
    ``(N, C, H, W)`` input is one already); else one bar chart per unit.
sections : sequence of str, optional
    The ids of the sections to build (of :data:`SECTIONS`, e.g. ``["layers", "probes"]``), always in page order;
    default every one (the loss landscape, neurons, preferred inputs and features take most of the time: leaving
    them out gives a quick report).
baseline : str or array-like
    The "Top features" section's reference input, as :func:`~hiddenlayers.lens.feature_importance` takes it
    (``"auto"``: the rows' mean for a table, zeros for images and sequences; ``"zeros"``, ``"median"``, or one row
    of network input).
attribution_method : str
    That section's Captum method, as ``feature_importance``'s ``method`` takes it (images and sequences get a map:
    :mod:`._report_maps`).
attribution_smooth : str, optional
    Its noise tunnel, as ``feature_importance``'s ``smooth`` takes it.
row_names : sequence, optional
    One name per (network-input) row of ``X``, shown for the neurons section's top rows instead of their 0-based
    positions in ``X`` (``hiddenlayers inspect`` passes the data file's lines, as ``X`` is a sample of the file
    there).
row_names_note : str, optional
    Says on the page what ``row_names`` are.
progress : callable, optional
    Told each stage's name as it starts (``"recording the hidden layers"``, the sections' titles): ``inspect``'s
    lines.
advice : mapping of str to str, optional
    The "not available" notes' fixes by :data:`ADVICE`'s keys (default Python's words; ``inspect`` names its
    options).
"""


@parameters_section(_REPORT_PARAMETERS)
def report(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    layers: Any = None,
    title: str | None = None,
    max_rows: int | None = 10000, plot_rows: int = 2000, tsne: bool = False, units_per_layer: int = 8,
    feature_names: Sequence[Any] | None = None,
    data_report: Any = None,
    gradient_flow_hint: str = GRADIENT_FLOW_HINT,
    gradient_flow: Any = None,
    preferred_layer: Any = None,
    image_shape: tuple[int, ...] | None = None,
    sections: Sequence[str] | None = None,
    baseline: Any = "auto",
    attribution_method: str = "integrated_gradients", attribution_smooth: str | None = None,
    row_names: Sequence[Any] | None = None,
    row_names_note: str | None = None,
    progress: Callable[[str], None] | None = None,
    advice: Mapping[str, str] | None = None,
) -> Report:
    """Build the report on (at most ``max_rows`` rows, drawn at random, of) ``X``; ``y`` enables probes and colours.

    The lens turns ``X`` into the rows the model's network reads (``model.network_input(X)``). A Pipeline ending in one
    of ours takes its raw rows: its earlier steps make the network's rows, whose columns
    (``pipe[:-1].get_feature_names_out()``) name the features unless ``feature_names`` does. Sections that cannot apply
    to a model (attribution over integer ids, neuron maps over images, ...) say why in one line.

    Examples
    --------
    >>> report(clf, X, y, data_report=hl.check(X, y)).save("report.html")  # a fitted model; writes the page  # doctest: +SKIP
    """
    from ._record import record_prepared

    wanted = report_sections(sections)  # a misspelt section raises before the work
    names = None if feature_names is None else [str(n) for n in feature_names]  # X.columns or an array: `or` would ask its truth
    words = report_advice(advice)
    attribution_method = _checked_arguments(baseline, attribution_method, attribution_smooth, gradient_flow)
    t: dict[str, float] = {}  # seconds from the start to the end of each stage
    t0 = time.perf_counter()
    say = progress or (lambda stage: None)
    say("recording the hidden layers")
    target, Xp, yv, positions = _prepare(model, X, y, max_rows, None if row_names is None else len(row_names), probes="probes" in wanted)
    model, title, names = _pipeline_view(model, target, title, names)
    rec = record_prepared(target, Xp, layers)
    Xa = _to_array(Xp)
    shown = _row_names(row_names, row_names_note, positions, len(Xa))
    pref = (resolve_layer(target, preferred_layer, list(rec)), check_image_shape(image_shape, Xa))  # bad arguments raise before the work
    t["record"] = time.perf_counter() - t0
    with _thread_scope(target, Xa):
        built, warns = _model_sections(model, target, rec, Xa, plot_rows, gradient_flow_hint, gradient_flow, wanted, say)
        t["stats"] = time.perf_counter() - t0
        built += _analysis_sections(model, target, rec, Xa, yv, t, t0, plot_rows=plot_rows, tsne=tsne, units_per_layer=units_per_layer,
                                    feature_names=names, data=(data_report, X, y), preferred=pref, wanted=wanted, shown=shown,
                                    baseline=(baseline, attribution_method, attribution_smooth), say=say, advice=words)
    return Report(title or f"Inside {type(model).__name__}", built, warns, t)


def _thread_scope(target: Any, Xa: np.ndarray) -> contextlib.AbstractContextManager[Any]:
    """The threads the sections run on: one BLAS and one torch thread for a small network on the CPU, as training's
    rule (:func:`~hiddenlayers.training.thread_limits`) decides for a batch of all ``Xa``'s rows; the caller's threads otherwise.

    Why: the sections' work is many small forward passes (the loss landscape's 50 on at most 2,000 rows, the neuron maps,
    the attribution's steps) and small NumPy products, whose thread hand-offs cost more than they share: a report on
    100 rows of iris spent 0.31 CPU s in the landscape on two threads and 0.12 on one. Both counts are restored after,
    on error too. A network whose one-row forward pass the rule cannot take (it reads pairs, tuples) keeps the caller's.
    """
    from ..training import thread_limits

    stack = contextlib.ExitStack()
    params = next(target.module.parameters(), None)
    if params is None or len(Xa) == 0:
        return stack
    try:
        sample = target.to_tensor(Xa[:1])
        stack.enter_context(thread_limits(target.module, len(Xa), params.device, numpy_engine=False, sample=sample))
    except Exception:  # the rule's forward pass could not run (nothing was limited yet): a speed-up must not cost the page
        stack.close()
    return stack


def report_sections(sections: Sequence[str] | str | None) -> frozenset[str]:
    """The section ids that :func:`report`'s ``sections`` names (every one of :data:`REPORT_SECTIONS` for ``None``).

    An unknown id (with the closest one, if any) or an empty list is a ``ValueError``, so a caller (the CLI's
    ``inspect --sections``) can refuse a misspelt section before any work.

    Parameters
    ----------
    sections : sequence of str, str or None
        Section ids, one or several.
    """
    from ..data import did_you_mean

    if sections is None:
        return frozenset(SECTIONS)
    names = [sections] if isinstance(sections, str) else [str(s) for s in sections]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown report section {unknown[0]!r}: the sections are {', '.join(SECTIONS)}.{did_you_mean(unknown[:1], SECTIONS)}")
    if not names:
        raise ValueError(f"sections is empty: name at least one of {', '.join(SECTIONS)} (or leave sections out for all of them).")
    return frozenset(names)


def _pipeline_view(model: Any, target: Any, title: str | None, names: list[str] | None) -> tuple[Any, str | None, list[str] | None]:
    """``(model, title, names)`` for the page: a Pipeline's (``target.head`` set) last step, whose history and parameters
    the page shows, a title naming its steps, and the names of the columns its network reads unless ``names`` gives them;
    anything else as given."""
    from .._pipe import step_classes

    if target.head is None:
        return model, title, names
    return target.estimator, title or f"Inside {type(model).__name__} ({step_classes(model.steps)})", target.feature_names if names is None else names


def _checked_arguments(baseline: Any, method: str, smooth: str | None, gradient_flow: Any) -> str:
    """:func:`report`'s attribution method, checked with its ``smooth``ing, after checking a named ``baseline`` and
    ``gradient_flow``: an unknown name or a wrong type raises before the work."""
    from ._attribution import named_baseline
    from ._methods import check_method_smooth

    if isinstance(baseline, str):
        named_baseline(baseline, np.zeros((2, 1)))
    _check_gradient_flow(gradient_flow)
    return check_method_smooth(method, smooth)


def _check_gradient_flow(gradient_flow: Any) -> None:
    """``report``'s ``gradient_flow``: None or a :class:`~hiddenlayers.lens.GradientFlow` (a TypeError naming what it got)."""
    if gradient_flow is not None:
        from ._gradflow import GradientFlow

        if not isinstance(gradient_flow, GradientFlow):
            raise TypeError(f"gradient_flow must be an hl.lens.GradientFlow that measured the training. Received: {type(gradient_flow).__name__}.")


#: the sections :func:`_model_sections` builds (id, title), in page order: read off the model and its recording, quick
_MODEL_SECTIONS = (("architecture", "Architecture"), ("training", "Training"), ("gradient-flow", "Gradient flow"), ("layers", "Hidden layers"),
                   ("activations", "Activations"))


def _model_sections(model: Any, target: Any, rec: Any, Xa: np.ndarray, plot_rows: int, gradient_flow_hint: str,
                    flow: Any = None, wanted: frozenset[str] = frozenset(SECTIONS),
                    say: Callable[[str], None] = lambda stage: None) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """The ``wanted`` sections read off the model and its recording (architecture, training, gradient flow, layers,
    activations), and the layers' warnings (always: they cost nothing and the CLI prints them); ``say`` is told their titles first."""
    say(", ".join(title for sid, title in _MODEL_SECTIONS if sid in wanted) or "the layers' warnings")
    names = list(rec)
    history = getattr(model, "history_", None)
    sections: list[tuple[str, str, str, str]] = []
    if "architecture" in wanted:
        in_dtype = "ids" if Xa.dtype.kind in "iu" else "values"
        sections.append(("architecture", "Architecture", "The layers, their output shapes and activations.", _architecture(model, target.module, rec, tuple(Xa.shape[1:]), in_dtype)))
    if "training" in wanted:
        lead, body = _training(history)
        sections.append(("training", "Training", lead or "How the loss moved while training.", body))
    if "gradient-flow" in wanted:
        lead, body = _gradflow(None, flow, gradient_flow_hint) if flow is not None else _gradflow(target.estimator, history, gradient_flow_hint)
        sections.append(("gradient-flow", "Gradient flow", lead or "Gradient norms per layer during training.", body))
    table, warns = _layers_table(rec)
    if "layers" in wanted:
        sections.append(("layers", "Hidden layers", f"Statistics of every hidden unit on {rec.n_rows:,} rows.", table))
    if "activations" in wanted:
        from ._plots import histograms
        from ._target import sample_index

        idx = sample_index(rec[names[0]].shape[0], plot_rows, 0) if names else None  # at random, as the projections: not X's first rows
        sample = {n: rec.units(n, idx) for n in names}  # a padded sequence's real steps only
        sections.append(("activations", "Activations", "Distribution of each layer's outputs (log count).", H.figure_html(histograms(sample))))
    return sections, warns


def _analysis_sections(model: Any, target: Any, rec: Any, Xa: np.ndarray, yv: np.ndarray | None, t: dict[str, float], t0: float, *,
                       plot_rows: int, tsne: bool, units_per_layer: int, feature_names: list[str] | None,
                       data: tuple[Any, Any, Any], preferred: tuple[str, tuple[int, ...] | None],
                       wanted: frozenset[str] = frozenset(SECTIONS), shown: tuple[np.ndarray, str] | None = None,
                       baseline: tuple[Any, str, str | None] = ("auto", "integrated_gradients", None), say: Callable[[str], None] = lambda stage: None,
                       advice: Mapping[str, str] = ADVICE) -> list[tuple[str, str, str, str]]:
    """The ``wanted`` sections computed from the rows and the layers' features: loss landscape, similarity, probes, projections,
    neurons, preferred inputs, features, data.

    Each built stage's end (seconds since ``t0``) goes into ``t``. ``data`` is ``(data_report, X, y)`` for the "Data" section;
    ``preferred`` is ``(layer name, image shape or None)`` for the preferred-inputs section; ``shown``: the rows' names and what they are (:func:`_row_names`);
    ``baseline``: the features section's baseline, method and smoothing (:func:`report`); ``say``: told each section's title as it starts; ``advice``: the notes' fixes (:data:`ADVICE`).
    """
    names = list(rec)
    feats = {n: rec.features(n) for n in names}
    method = "tsne" if tsne else "pca"
    # (id, title, timing key, builder of (lead, body)); the probes are not guarded: a y that cannot be probed is the caller's error
    stages: list[tuple[str, str, str, Any]] = [
        ("loss-landscape", landscape.TITLE, "landscape", lambda: _guarded(landscape.LEAD, landscape.landscape_section, target, Xa, yv, data[1], advice)),
        ("similarity", "Layer similarity", "cka", lambda: _guarded("Layer similarity.", _similarity, names, feats)),
        ("probes", "Linear probes", "probes", lambda: _probe_section(model, Xa, yv, feats, advice["labels"])),
        ("projections", "Projections", "projections", lambda: _guarded("Projections.", _projections, feats, yv, plot_rows, method)),
        ("neurons", "Neurons", "neurons", lambda: _guarded("What each hidden unit responds to.", lambda: (
            "What each hidden unit responds to.", _neurons(target.module, Xa, yv, rec, names, units_per_layer, shown)))),
        ("preferred-inputs", "What each unit responds to most", "preferred", lambda: _guarded(LEAD, lambda: preferred_section(
            target, rec, Xa, preferred[0], image_shape=preferred[1], feature_names=feature_names, model=model, plot_rows=plot_rows))),
        ("features", "Top features", "features", lambda: _guarded("Input attribution.", _features, target, Xa, model, feature_names, *baseline, data[1], shown)),
        ("data", "Data", "data", lambda: _guarded("Data checks.", _data_section, *data, advice["data"], advice["data-all"])),
    ]
    sections: list[tuple[str, str, str, str]] = []
    for sid, title, key, build in stages:
        if sid in wanted:
            say(title)
            lead, body = build()
            sections.append((sid, title, lead, body))
            t[key] = time.perf_counter() - t0
    return sections


def _data_section(data_report: Any, X: Any, y: Any, advice: str = ADVICE["data"], all_checks: str = ADVICE["data-all"]) -> tuple[str, str]:
    """The "Data" section: the given report, else the fast checks on a 2-D table ``X`` (``advice``: the note's fix for another
    input; ``all_checks``: how to run every check, in the lead over the fast ones)."""
    from ..data import check

    lead = "What the data checks (hiddenlayers.check) found in the data."
    if data_report is None:
        if isinstance(X, (torch.Tensor, list, tuple)) or np.ndim(X) != 2 or hasattr(X, "toarray"):  # ids, sequences, images, sparse
            return lead, H.na_html(f"the input is not a table; {advice}.")
        data_report = check(X, y, fast=True)
        lead = f"The fast data checks on the rows given to the report ({all_checks})."
    return lead, data_report.html_section()


def _features(target: Any, Xa: np.ndarray, model: Any, feature_names: list[str] | None, baseline: Any = "auto",
              method: str = "integrated_gradients", smooth: str | None = None, X: Any = None,
              shown: tuple[np.ndarray, str] | None = None) -> tuple[str, str]:
    """The "Top features" section: mean |attribution| of ``method`` (Captum's, :mod:`._methods`; inside the noise tunnel
    ``smooth``) per input from ``baseline`` (network-input units; a name is resolved over ``Xa`` with the model's own
    training mean where it stores one, as feature_importance does). Images and sequences: a map (:mod:`._report_maps`;
    ``X``: the rows as the model takes them); padded sequences: a map per shown row (:mod:`._report_padded`; ``shown``:
    the rows' names, :func:`_row_names`)."""
    from ._attribution import feature_importance, named_baseline, stored_training_mean
    from ._methods import NO_BASELINE
    from ._plot_text import font_families, shortened
    from ._plots import bars, top_order
    from ._report_maps import map_section, method_words

    if Xa.dtype.kind != "f":
        return "Input attribution.", H.na_html("attribution needs real-valued inputs; this model reads integer ids (embeddings), which have no gradient.")
    if Xa.ndim == 3 and np.isnan(Xa).any():  # padded sequences: no one step axis to average over, so a map per shown row
        from ._report_padded import padded_section

        return padded_section(target, Xa, Xa if X is None else X, baseline, method, smooth, model, shown)
    if Xa.ndim in (3, 4):
        return map_section(target, Xa, Xa if X is None else X, baseline, method, smooth)
    if Xa.ndim != 2:
        return "Input attribution.", H.na_html(f"attribution is summarised per tabular feature; this model reads {' × '.join(map(str, Xa.shape[1:]))} arrays per example.")
    b = named_baseline(baseline, Xa, target.estimator)
    imp = feature_importance(target.module, Xa, baseline=b, max_rows=300, method=method, smooth=smooth)  # 300 of the rows at random, not the first (sorted data)
    known = feature_names or [str(c) for c in getattr(model, "feature_names_in_", [])]
    fnames = known if len(known) == imp.shape[0] else [f"x{i}" for i in range(imp.shape[0])]
    top = [int(i) for i in top_order(imp)]
    alt = "top input features, largest first: " + ", ".join(fnames[i] for i in top)
    words = method_words(method, smooth)
    body = H.figure_html(bars(imp, fnames, f"mean |{words}|, all outputs"), "top input features", alt=alt)
    if any(shortened(fnames[i]) for i in top) or font_families(fnames[i] for i in top) is None:
        # the chart shortens long names and no installed font draws some characters: the full names as text
        rows = [[fnames[i], f"{imp[i]:.3g}"] for i in top]
        short = "IG" if method == "integrated_gradients" and smooth is None else words
        body = f'<div class="side">{body}{H.table_html(["feature (full name)", f"mean |{short}|"], rows)}</div>'
    named = "auto" if baseline is None else baseline.strip().lower() if isinstance(baseline, str) else "given"
    stored = stored_training_mean(target.estimator)  # a train-made model's stored training mean, categories included
    trained = isinstance(b, float) or (stored is not None and isinstance(b, np.ndarray) and b.shape == stored.shape)
    mean = "the training mean" if trained and named in ("auto", "mean") else "the rows' mean"
    frm = {"auto": mean, "mean": mean, "median": "the rows' median", "zeros": "zeros", "given": "the given baseline"}[named]
    how = words if method in NO_BASELINE else f"{words} from {frm}"  # saliency, input x gradient: no baseline
    return f"Which input features drive the outputs ({how}, Captum).", body


def _neurons(module: torch.nn.Module, Xa: np.ndarray, yv: Any, rec: Any, names: list[str], k: int, shown: tuple[np.ndarray, str] | None = None) -> str:
    """The neurons section: maps of the dense units over the input plane, and each unit's top rows named by ``shown``
    (``(name of each row of Xa, what the names are)``; None: positions in ``Xa``, counted from 0)."""
    from ._neurons import neuron_maps, top_activating
    from ._plots import neuron_grid

    parts = []
    kinds = {rec.kinds[n] for n in names}
    if Xa.ndim != 2 or Xa.shape[1] < 2:
        why = "neuron maps need tabular inputs with two or more features"
        parts.append(H.na_html(why + (f"; this model reads {' × '.join(map(str, Xa.shape[1:]))} arrays per example." if Xa.ndim != 2 else ".")))
    elif Xa.dtype.kind != "f":
        parts.append(H.na_html("neuron maps need real-valued inputs; this model reads integer ids, which have no plane between them."))
    elif kinds != {"dense"}:
        parts.append(H.na_html(f"neuron maps are drawn for dense layers only; this model has {', '.join(sorted(kinds - {'dense'}))} layers."))
    else:
        nm = neuron_maps(module, Xa, layers=names, resolution=40)
        y_pts = yv if yv is None or nm.rows is None else np.asarray(yv)[nm.rows]  # the labels of the sampled points
        for n in names:
            m = nm.maps[n]
            units = _varying_units(m.reshape(m.shape[0], -1).T, k)
            if not units:  # a flat map per unit says nothing: the layer is dead or constant over the plane
                parts.append(H.na_html(f"{n}: every unit has one output over the whole plane (dead or constant): no map to draw."))
                continue
            parts.append(H.figure_html(neuron_grid(m, sorted(units), nm.extent, nm.points, y_pts, n, nm.axes),
                                       f"{n}: the {len(units)} most varying units; red = high output, dots = data"))
    rows, flat = [], []
    for n in names:
        f = rec.features(n)
        with warnings.catch_warnings():  # its constant units' notice: _varying_units leaves them out, and the page says so
            warnings.simplefilter("ignore", UserWarning)
            top = top_activating(f, 3)
        order = _varying_units(f, k)
        if not order:
            flat.append(n)
        for u in order:
            r = top[u]
            lab = "" if yv is None else ", ".join(str(yv[i]) for i in r)
            at = [str(int(i)) for i in r] if shown is None else [str(shown[0][i]) for i in r]  # names in X or the file, not places in the sample
            rows.append([n, int(u), ", ".join(at), f"{f[r[0], u]:.3g}", lab])
    note = "positions in X, counted from 0" if shown is None else shown[1]
    if flat:  # a constant unit's "top rows" would be ties broken by position: rows named for no reason
        note += f"; units constant on these rows are left out (every unit of {', '.join(flat)})"
    parts.append(f"<h3>Rows that activate each unit most</h3><p>top rows: {H.esc(note)}.</p>" + H.table_html(["layer", "unit", "top rows", "max output", "their labels"], rows))
    return "".join(parts)


def _varying_units(f: np.ndarray, k: int) -> list[int]:
    """At most ``k`` units of ``f`` ``(n, units)``, the most varying first, leaving out the constant ones (a dead unit's
    rows all tie, so its "most active rows" would be the first or last positions, and its map one flat colour)."""
    lo, hi = f.min(0), f.max(0)
    varies = (hi - lo) > 1e-6 * (1.0 + np.maximum(np.abs(lo), np.abs(hi)))  # the lens's rule for a constant unit
    order = np.argsort(-f.std(0), kind="stable")
    return [int(u) for u in order if varies[u]][:k]


__all__ = ["ADVICE", "REPORT_SECTIONS", "SECTIONS", "Report", "report", "report_advice", "report_sections"]
