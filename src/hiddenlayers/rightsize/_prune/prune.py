"""Structural pruning of hidden units, guided by what the data shows.

:func:`prune` removes whole hidden units: layer ``l``'s weight matrix loses
rows, layer ``l+1``'s loses the matching columns, so the pruned model is a
plain smaller network (fewer FLOPs *and* less wall-clock time). Units are
ranked from their activations on the data:

* **contribution** ``std(h_j) · ||W_next[:, j]||`` — how much signal the unit
  actually sends onward (dead and constant units score 0);
* **redundancy** — that score is scaled by ``sqrt(1 - r²)``, where ``r`` is the
  unit's largest correlation with a higher-ranked unit of its layer.

Before fine-tuning, what the removed units carried is folded into the kept
ones: the removed activations are regressed on the kept ones
(``h_R ≈ A·h_K + c``, least squares on the data) and the next layer absorbs
``A`` and ``c``. Dead or constant units are thereby removed exactly. Then a
few epochs of fine-tuning (one warm ``fit``, every epoch in one row order) recover the rest.
A binary search over the share of units removed keeps the largest share whose
score drop is shown to stay within ``max_drop``: the model is refitted on
cross-validation folds, each refit is cut the same way, and the paired drop on
the left-out rows gets a confidence interval (:mod:`.bound`); a cut is
kept only when the interval's upper end is within ``max_drop``.
"""

from __future__ import annotations

import copy
import functools
import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from scipy import sparse

from ..._docsections import parameters_section
from ..._pipe import split_pipeline
from ..._rng import keeps_torch_rng
from ..._stacklevel import user_stacklevel
from ...exceptions import NotFittedError
from ...network import evaluating
from ...training import Callback, reraise_interrupt, to_tensor
from .latency import interleaved_latency

if TYPE_CHECKING:
    from .bound import DropEstimate


@dataclass(repr=False)  # a short repr, and print() the table
class PruneReport:
    """Before/after figures of :func:`prune`; ``to_dict()`` for JSON, ``table()`` for Rich.

    Scores are the estimator's ``score`` (accuracy or R²) on rows the scoring model never saw, pooled over ``cv`` folds.
    When no cut is kept, ``no_cut_reason`` says why, the model is unchanged, and nothing after it is measured:
    ``score_after``, ``drop``, ``drop_low``, ``drop_high`` and the after latencies are NaN (JSON null; the table shows
    "—"), not a drop of 0 that no comparison gave. Latencies are timed before and after in alternating rounds
    (:func:`interleaved_latency`) with ``latency_threads`` BLAS threads, so a busy machine slows both alike.

    Attributes
    ----------
    units_before : list of int
        Units of each hidden layer of the model given.
    units_after : list of int
        Units of each hidden layer of the result.
    params_before : int
        Parameters of the model given.
    params_after : int
        Parameters of the result.
    score_before : float
        Held-out score of the folds' refits, uncut.
    score_after : float
        Held-out score of the same refits cut as the result was.
    max_drop : float
        The largest score drop allowed (``prune``'s ``max_drop``).
    ratio : float
        The share of each hidden layer's units removed, 0 to 1.
    validation_rows : int
        Held-out rows behind the scores, over all folds.
    latency_b1_before_us : float
        Median batch-1 ``predict`` latency of the model given, in µs.
    latency_b1_after_us : float
        The same of the result, in µs.
    big_batch : int
        Rows of the large-batch latency.
    latency_big_before_ms : float
        Median ``predict`` latency at ``big_batch`` rows of the model given, in ms.
    latency_big_after_ms : float
        The same of the result, in ms.
    fine_tune_epochs : int
        Epochs of fine-tuning after the cut.
    tried : list of dict
        Each share the search tried, with its ``ratio``, ``drop`` and interval.
    latency_calls : int
        Timed batch-1 calls per model (0: not timed, latencies NaN).
    latency_threads : int or None
        BLAS threads while timing (None: the default).
    drop : float
        Paired score difference, ``score_before - score_after``.
    drop_low : float
        Lower end of ``drop``'s two-sided ``confidence`` interval.
    drop_high : float
        Upper end of that interval; a cut is kept only when ``drop_high <= max_drop``.
    confidence : float
        Level of the interval, in (0, 1).
    cv : int
        Folds of the comparison.
    resolution : float
        The smallest accuracy drop the rows could confirm for a cut that changes no row (only a cut that raises the score
        confirms less; NaN for R²).
    resolved : bool
        False when the rows were too few to confirm ``max_drop`` (then nothing is cut and ``prune`` warns).
    no_cut_reason : str
        Why no cut was kept; empty when one was.
    pipeline : list of str or None
        For a scikit-learn ``Pipeline`` ending in the MLP, its steps as ``"name: Class"`` (None for a model given
        alone); the ``latency_*`` figures are then the MLP's alone on rows the steps transformed (the steps not timed).
    pipeline_b1_before_us : float or None
        The whole Pipeline's batch-1 ``predict`` latency before, in µs, steps included (None for a model given alone;
        NaN where not measured).
    pipeline_b1_after_us : float or None
        The same after, in µs.
    pipeline_big_before_ms : float or None
        The whole Pipeline's ``predict`` latency at ``big_batch`` rows before, in ms.
    pipeline_big_after_ms : float or None
        The same after, in ms.
    """

    units_before: list[int]
    units_after: list[int]
    params_before: int
    params_after: int
    score_before: float
    score_after: float
    max_drop: float
    ratio: float
    validation_rows: int
    latency_b1_before_us: float
    latency_b1_after_us: float
    big_batch: int
    latency_big_before_ms: float
    latency_big_after_ms: float
    fine_tune_epochs: int
    tried: list[dict[str, Any]] = field(default_factory=list)
    latency_calls: int = 0
    latency_threads: int | None = None
    drop: float = math.nan
    drop_low: float = math.nan
    drop_high: float = math.nan
    confidence: float = math.nan
    cv: int = 0
    resolution: float = math.nan
    resolved: bool = True
    no_cut_reason: str = ""
    pipeline: list[str] | None = None
    pipeline_b1_before_us: float | None = None
    pipeline_b1_after_us: float | None = None
    pipeline_big_before_ms: float | None = None
    pipeline_big_after_ms: float | None = None

    @property
    def cut(self) -> bool:
        """True when a cut was kept (the model returned is not the one given)."""
        return not self.no_cut_reason

    @property
    def units_removed_fraction(self) -> float:
        """The share of hidden units the cut removed, 0 to 1 (0 when no cut was kept)."""
        return 1.0 - sum(self.units_after) / max(1, sum(self.units_before))

    @property
    def speedup_b1(self) -> float:
        """Batch-1 ``predict`` latency before / after (> 1: the pruned model is faster)."""
        return self.latency_b1_before_us / self.latency_b1_after_us if self.latency_b1_after_us else math.nan

    @property
    def speedup_big(self) -> float:
        """``big_batch`` ``predict`` latency before / after."""
        return self.latency_big_before_ms / self.latency_big_after_ms if self.latency_big_after_ms else math.nan

    @property
    def pipeline_speedup_b1(self) -> float:
        """The whole Pipeline's batch-1 ``predict`` latency before / after (NaN for a model given alone, or not measured)."""
        before, after = self.pipeline_b1_before_us, self.pipeline_b1_after_us
        return before / after if before is not None and after else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-able values, with the derived ratios (``units_removed_fraction``, the speed-ups, ``cut``)."""
        d = asdict(self)
        d["units_removed_fraction"] = self.units_removed_fraction
        d["speedup_b1"], d["speedup_big"] = self.speedup_b1, self.speedup_big
        d["pipeline_speedup_b1"] = self.pipeline_speedup_b1
        d["cut"] = self.cut
        return d

    def table(self) -> Any:
        """A Rich table of the hidden units, parameters, held-out score and latency before and after the cut, for the console."""
        from ..._rich_plain import PlainTable  # cells, titles and captions print as given (paths, names)

        title = f"pruned {100 * self.units_removed_fraction:.1f}% of hidden units" if self.cut else "no cut kept: the model is unchanged"
        t = PlainTable(title=title)
        for col in ("", "before", "after", "change"):
            t.add_column(col, justify="left" if not col else "right")

        def shown(v: float, fmt: str) -> str:
            return format(v, fmt) if v == v else "—"  # NaN: not measured

        def row(name: str, a: float, b: float, fmt: str, points: bool = False) -> None:
            # a score changes by points, as max_drop and the drop are read: a relative change of an R² near 0 means nothing
            change = (f"{b - a:+.4f}" if points else f"{100 * (b - a) / a:+.1f}%") if (points or a) and a == a and b == b else ""
            t.add_row(name, shown(a, fmt), shown(b, fmt), change)

        t.add_row("hidden units", ",".join(map(str, self.units_before)), ",".join(map(str, self.units_after)), "")
        row("parameters", self.params_before, self.params_after, ",")
        row("held-out score (cross-fitted)", self.score_before, self.score_after, ".4f", points=True)
        interval = f"[{self.drop_low:+.4f}, {self.drop_high:+.4f}]" if self.cut else ""
        t.add_row(f"score drop ({100 * self.confidence:g}% interval)", "", shown(self.drop, "+.4f"), interval)
        alone = "" if self.pipeline is None else "network alone: "
        row(f"{alone}predict batch 1 (p50 µs)", self.latency_b1_before_us, self.latency_b1_after_us, ".1f")
        row(f"{alone}predict batch {self.big_batch} (p50 ms)", self.latency_big_before_ms, self.latency_big_after_ms, ".2f")
        if self.pipeline is not None:
            nan = math.nan
            row("whole Pipeline: predict batch 1 (p50 µs)", self.pipeline_b1_before_us or nan, self.pipeline_b1_after_us or nan, ".1f")
            row(f"whole Pipeline: predict batch {self.big_batch} (p50 ms)", self.pipeline_big_before_ms or nan, self.pipeline_big_after_ms or nan, ".2f")
        threads = f"{self.latency_threads} BLAS thread(s)" if self.latency_threads else "default BLAS threads"
        timed = (f"latency: median of {self.latency_calls:,} batch-1 calls per model, interleaved, {threads}" if self.latency_calls
                 else "latency: not measured (latency_calls=0)")
        unresolved = f"; no cut kept: {self.no_cut_reason} (— : not measured)" if not self.cut else ""
        of = "" if self.pipeline is None else (f"; Pipeline({', '.join(self.pipeline)}): 'network alone' is the MLP's predict on rows "
                                               "its steps transformed (the steps not timed), 'whole Pipeline' its predict on the rows as given")
        t.caption = (f"max_drop={self.max_drop}: a cut is kept when its interval's upper end is within it; "
                     f"{self.validation_rows} rows, each left out of one of {self.cv} refits{unresolved}; "
                     f"{len(self.tried)} ratio(s) tried, {self.fine_tune_epochs} fine-tune epoch(s) each; "
                     f"{timed}{of}")
        return t

    def __rich__(self) -> Any:
        return self.table()

    def __repr__(self) -> str:
        kept = (f"hidden units {self.units_before} -> {self.units_after}, score drop {self.drop:.4g} "
                f"({100 * self.confidence:g}% interval {self.drop_low:.4g} to {self.drop_high:.4g})") if self.cut else f"no cut kept ({self.no_cut_reason})"
        if self.pipeline is not None and self.cut and self.latency_calls:
            # "as fast", not "faster": a ratio under 1 (a pruned model no quicker, in timing noise) read "x0.84 faster"
            kept += (f"; batch-1 predict {self.pipeline_speedup_b1:.2f}x as fast for the whole Pipeline (latency before / after), "
                     f"{self.speedup_b1:.2f}x for its network alone")
        return f"PruneReport({kept}; print() shows the table)"

    def __str__(self) -> str:
        """The table as plain text, so ``print(model.prune_report_)`` shows it (no colours, 140 columns)."""
        from .._plain import plain_text

        return plain_text(self.table())


def unit_scores(H: np.ndarray, W_next: np.ndarray) -> np.ndarray:
    """Importance of each unit: contribution x (1 - redundancy²)^½.

    ``H``: ``(n_samples, units)`` activations; ``W_next``: ``(next_out, units)``
    the weights that read them. Returns ``(units,)`` scores, higher = keep.
    """
    std = H.std(axis=0)
    contrib = std * np.linalg.norm(W_next, axis=0)
    order = np.argsort(-contrib, kind="stable")
    alive = std > 1e-12
    Hc = (H - H.mean(0)) / np.where(alive, std, 1.0)
    corr = np.abs(Hc.T @ Hc) / H.shape[0]  # (units, units); dead units give 0
    score = contrib.copy()
    for rank, j in enumerate(order[1:], start=1):
        if alive[j]:
            r = float(min(1.0, corr[j, order[:rank]].max()))
            score[j] = contrib[j] * math.sqrt(max(0.0, 1.0 - r * r))
    return score


def _fold(H: np.ndarray, keep: np.ndarray, drop: np.ndarray, W_next: np.ndarray, b_next: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Next layer's weights over the kept units, with the dropped units' signal folded in."""
    W, b = W_next[:, keep].copy(), b_next.copy()
    if drop.size == 0:
        return W, b
    K = np.hstack([H[:, keep], np.ones((H.shape[0], 1))])  # (n, |K|+1)
    KtK = K.T @ K
    ridge = 1e-6 * np.trace(KtK) / KtK.shape[0] * np.eye(KtK.shape[0])  # tiny: keeps the solve stable with dead units
    ridge[-1, -1] = 0.0
    coef = np.linalg.solve(KtK + ridge, K.T @ H[:, drop])  # (|K|+1, |R|): h_R ≈ h_K·A + c
    W += W_next[:, drop] @ coef[:-1].T
    b += W_next[:, drop] @ coef[-1]
    return W, b


def _dense_specs(net: Any) -> list[Any]:
    """The network's layer specs, after checking every hidden layer is a plain dense one."""
    from ...network import Dense, DenseLayer

    others = sorted({type(m).__name__ for m in net.hidden_layers if type(m) is not DenseLayer})
    if others or getattr(net, "vocab_size", None) or not all(isinstance(layer, Dense) for layer in net.spec):
        raise ValueError(
            f"prune() removes units of dense hidden layers on table inputs only; this network has {', '.join(others) or 'an embedding'}: "
            "prune a dense-only model (e.g. hidden_layer_sizes=(256, 128))."
        )
    # LayerNorm normalises each row over all of a layer's units: removing some would change the kept ones' outputs
    normed = [name for name, layer in zip(net.hidden_names, net.spec) if layer.norm == "layer"]
    if normed:
        raise ValueError(
            f"prune() cannot remove units of a layer with norm='layer' ({', '.join(normed)}): it normalises over all the layer's "
            "units, so removing some changes the kept ones; prune a model without layer norm (norm='batch' is per unit and prunes exactly)."
        )
    return list(net.spec)


def _activations(model: Any, X: np.ndarray) -> list[np.ndarray]:
    net = model.network_
    dtype = next(net.parameters()).dtype
    with evaluating(net), torch.inference_mode():  # the model's network comes back in the modes it had
        _, hidden = net(to_tensor(X, dtype, next(net.parameters()).device), return_hidden=True)  # a read-only X (pandas) without torch's warning
    return [h.double().cpu().numpy() for h in hidden]


def shrink(model: Any, keep: list[np.ndarray], H: list[np.ndarray]) -> Any:
    """A deep copy of ``model`` whose hidden layer ``l`` keeps only units ``keep[l]``.

    ``H[l]`` are layer ``l``'s activations on training rows, used to fold the
    removed units' signal into the next layer. Norm parameters are sliced too.
    """
    from ...network import Dense, Network, Spec

    net = model.network_
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    names = list(net.hidden_names)
    widths = [len(k) for k in keep]
    for i, name in enumerate(names):
        idx = torch.as_tensor(np.sort(keep[i]), dtype=torch.long)
        width = net.hidden_layers[i].out_features
        drop = np.setdiff1d(np.arange(width), keep[i])
        nxt = names[i + 1] + ".linear" if i + 1 < len(names) else "head"
        Wn = state[f"{nxt}.weight"].double().cpu().numpy()
        bn = state[f"{nxt}.bias"].double().cpu().numpy()
        W, b = _fold(H[i], np.sort(keep[i]), drop, Wn, bn)
        like = state[f"{nxt}.weight"]
        state[f"{nxt}.weight"] = torch.as_tensor(W, dtype=like.dtype, device=like.device)
        state[f"{nxt}.bias"] = torch.as_tensor(b, dtype=like.dtype, device=like.device)
        for key in [k for k in state if k.startswith(name + ".")]:
            t = state[key]
            if t.ndim >= 1 and t.shape[0] == width:  # linear rows, bias, norm weight/bias/running stats
                state[key] = t.index_select(0, idx.to(t.device))
    layers = [Dense(w, layer.activation, layer.dropout, layer.norm) for layer, w in zip(_dense_specs(net), widths)]
    spec = Spec(tuple(layers))
    new_net = Network(net.in_features, spec, net.out_features, activation=net.default_activation, init="none")
    param = next(net.parameters())
    new_net = new_net.to(dtype=param.dtype, device=param.device)
    new_net.load_state_dict(state)
    out = copy.deepcopy(model)
    plain = all(layer.activation is None and not layer.dropout and layer.norm is None for layer in layers)
    out.hidden_layer_sizes = tuple(widths) if plain else spec.to_text()
    out.replace_network(new_net)
    return out


#: what a fine-tuning run sets on the model for its duration (then puts back): one quiet warm fit of ``max_iter``
#: epochs in the order the rows are given, that no rule stops early (partial_fit's epochs have no stopping rule either)
_FINE_TUNE_PARAMS = ("early_stopping", "verbose", "progress_bar", "solver", "callbacks", "warm_start", "shuffle", "max_iter",
                     "n_iter_no_change", "loss_threshold", "max_time", "weight_averaging",
                     "swa_lr", "ema_decay", "swa_start", "swa_anneal_epochs", "swa_anneal_strategy")


def _averaging_defaults(model: Any) -> dict[str, Any]:
    """``ema_decay``, ``swa_start``, ``swa_anneal_epochs`` and ``swa_anneal_strategy`` at their defaults: without averaging (and swa_lr) the estimator refuses another value (it would be ignored)."""
    import inspect

    params = inspect.signature(type(model)).parameters
    return {k: params[k].default for k in ("ema_decay", "swa_start", "swa_anneal_epochs", "swa_anneal_strategy") if k in params}


class _EpochWeights(Callback):
    """A training callback that keeps each epoch's weights (``state_dict`` copies), so the best can be picked after the run."""

    def __init__(self) -> None:
        self.states: list[dict[str, torch.Tensor]] = []

    def on_epoch_end(self, *, network: torch.nn.Module, **kwargs: Any) -> None:
        self.states.append({k: v.detach().clone() for k, v in network.state_dict().items()})


def _same_classes(model: Any, y: np.ndarray) -> bool:
    """Whether a warm ``fit`` may train ``model`` on ``y``: a regressor, or ``y`` holds every class of ``classes_`` (scikit-learn's rule)."""
    if not hasattr(model, "classes_") or getattr(model, "label_type_", None) == "multilabel-indicator":
        return True
    return set(np.unique(y).tolist()) == set(np.asarray(model.classes_).tolist())


def _epochwise_class_weight(model: Any, y: np.ndarray) -> dict[str, Any]:
    """What ``partial_fit`` epochs on ``y`` need set in place of the model's ``class_weight="balanced"`` (empty otherwise).

    ``partial_fit`` refuses ``"balanced"`` (scikit-learn's rule), so the epochs get the same weights as a dict:
    scikit-learn's ``n / (k · count)`` over the classes present in ``y``, as a warm ``fit`` on ``y`` would weigh
    them, and 1.0 for the model's classes ``y`` lacks (no row reads it).
    """
    if getattr(model, "class_weight", None) != "balanced":
        return {}
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(y)
    weights = dict(zip(present.tolist(), compute_class_weight("balanced", classes=present, y=y).tolist()))
    return {"class_weight": {c: weights.get(c, 1.0) for c in np.asarray(model.classes_).tolist()}}


def _first_epoch_order(model: Any, n: int) -> np.ndarray:
    """The row order ``(n,)`` of the model's next shuffled epoch: what one ``partial_fit`` would draw.

    The estimator seeds each call's torch generator with the first draw of
    ``check_random_state(random_state)`` and takes one ``torch.randperm`` per
    epoch; an int seed therefore gives every call the same order. Rows in order
    when the model does not shuffle.
    """
    from sklearn.utils import check_random_state

    if not model.shuffle:
        return np.arange(n)
    seed = int(check_random_state(model.random_state).randint(np.iinfo(np.int32).max))
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()


def _fine_tune(model: Any, X: np.ndarray, y: np.ndarray, Xv: np.ndarray | None, yv: np.ndarray | None,
               epochs: int) -> tuple[Any, float]:
    """``epochs`` passes over ``X``, ``y``, every pass in one row order; returns the model at its best score on ``Xv``, ``yv``.

    Every epoch takes the rows in the order the model's first ``partial_fit`` would
    (:func:`_first_epoch_order`), so a model with an int ``random_state`` gets exactly the
    weights of ``epochs`` calls of ``partial_fit``, each of which reseeds and repeats that
    order (bit for bit without dropout at a constant rate, as tested; dropout masks, the
    cosine cycle and the adaptive/plateau patience follow one fit, not ``epochs`` calls).
    It must stay one order: a new one each epoch moves the cut model further from where it
    started (on digits it changed 1.1-4x as many left-out predictions at the same cut), so
    fewer cuts are confirmed within ``max_drop`` (benchmarks/RESULTS.md). The passes are one warm ``fit`` of the permuted rows with ``shuffle=False``,
    ``max_iter=epochs`` and no early stop (the optimizer carried over the epochs, as over
    ``partial_fit`` calls, without a call's checks and setup per epoch); when ``y`` lacks one
    of the model's classes a warm fit is refused (scikit-learn's rule), so each epoch is one
    ``partial_fit``, in the same order (a ``class_weight="balanced"``, which ``partial_fit`` refuses,
    as its weights on ``y``: :func:`_epochwise_class_weight`). The model's ``class_weight`` and
    ``label_smoothing`` stay in force: it fine-tunes on its own training objective. With ``Xv``, the model ends at the first epoch of the
    best score (the starting weights count as epoch 0); without ``Xv`` (``None``): the last
    epoch's weights, score NaN.
    """
    best_score = float(model.score(Xv, yv)) if Xv is not None else math.nan
    if epochs <= 0:
        return model, best_score
    order = _first_epoch_order(model, X.shape[0])
    X, y = X[order], y[order]
    saved = {k: getattr(model, k) for k in _FINE_TUNE_PARAMS}
    kept = _EpochWeights() if Xv is not None else None
    one_run = _same_classes(model, y)
    epochwise = {} if one_run else _epochwise_class_weight(model, y)
    saved.update({k: getattr(model, k) for k in epochwise})
    best = {k: v.detach().clone() for k, v in model.network_.state_dict().items()}  # epoch 0: the starting weights
    model.set_params(**epochwise, early_stopping=False, verbose=False, progress_bar=False, callbacks=[kept] if kept else None, warm_start=one_run,
                     shuffle=False, solver=saved["solver"] if saved["solver"] != "lbfgs" else "adam", max_iter=epochs,
                     n_iter_no_change=math.inf, loss_threshold=None, max_time=None,
                     weight_averaging=None, swa_lr=None,  # fine-tuning epochs are kept per epoch (kept), not averaged; partial_fit refuses averaging
                     **_averaging_defaults(model))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the run ends at max_iter: that is the plan, not a convergence problem
            if one_run:
                reraise_interrupt(model.fit(X, y))  # Ctrl-C stops prune: a cut fine-tuned part way is no cut to judge or keep
            else:
                for _ in range(epochs):  # (the callback sees each of these epochs too)
                    reraise_interrupt(model.partial_fit(X, y))
    finally:
        model.set_params(**saved)
    if kept is not None:
        for state in kept.states:
            model.network_.load_state_dict(state)
            model.replace_network(model.network_)  # predict's weight copies follow the loaded state
            score = float(model.score(Xv, yv))
            if score > best_score:
                best_score, best = score, state
        model.network_.load_state_dict(best)
    model.replace_network(model.network_)
    return model, best_score


def _ranked_units(model: Any, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Activations on ``X`` per hidden layer and each layer's units, best first."""
    H = _activations(model, X)
    linears = model.network_.linears()
    scores = [unit_scores(H[i], linears[i + 1].weight.detach().double().cpu().numpy()) for i in range(len(H))]
    return H, [np.argsort(-s, kind="stable") for s in scores]


def kept_units(widths: list[int], ratio: float) -> list[int]:
    """The units each hidden layer of ``widths`` keeps when the ``ratio`` share is cut: rounded, at least 1 each."""
    return [max(1, int(round((1 - ratio) * w))) for w in widths]


def _cut(model: Any, X: np.ndarray, y: np.ndarray, H: list[np.ndarray], ranked: list[np.ndarray], ratio: float,
         epochs: int) -> Any:
    """``model`` with the ``ratio`` share of each layer's lowest-ranked units removed, then fine-tuned on ``X``, ``y``."""
    keep = [r[:k] for r, k in zip(ranked, kept_units([r.size for r in ranked], ratio))]
    return _fine_tune(shrink(model, keep, H), X, y, None, None, epochs)[0]


def _check_prune_args(model: Any, max_drop: float, cv: int, confidence: float, max_ratio: float, latency_calls: int, big_batch: int,
                      search_steps: int, fine_tune_epochs: int, latency_threads: int | None) -> None:
    """One-line errors for what :func:`prune` cannot work with (an unfitted model, out-of-range settings)."""
    if not hasattr(model, "network_"):
        from ..._words import foreign, foreign_note, pipeline_note

        if hasattr(model, "hidden_layer_sizes") and not foreign(model):
            raise NotFittedError(f"prune() needs a fitted model: call {type(model).__name__}.fit(X, y) first.")
        fix = "small = hl.prune(pipe[-1], pipe[:-1].transform(X), y), then pipe.steps[-1] = (pipe.steps[-1][0], small)"
        raise TypeError(f"prune() takes a fitted MLPClassifier or MLPRegressor. Received: {type(model).__name__}{foreign_note(model)}"
                        f"{pipeline_note(model, fix)}.")
    from ...estimators import MLPClassifier, MLPRegressor

    if not isinstance(model, (MLPClassifier, MLPRegressor)):  # an application: its network_ is no MLP's (an AttributeError, or its own fit's refusal)
        from ..._words import article

        raise TypeError(f"prune() takes a fitted MLPClassifier or MLPRegressor. Received: {article(type(model).__name__)}, whose hidden "
                        "layers prune does not cut: fit it again with smaller hidden layers, or measure it with hl.cost(model).")
    if isinstance(max_drop, bool) or not isinstance(max_drop, (int, float)) or not 0 <= max_drop < 1:
        raise ValueError(f"max_drop must be a score drop in [0, 1), e.g. 0.005 for half a point of accuracy. Received: max_drop={max_drop!r}.")
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
        raise ValueError(f"cv must be a number of folds >= 2, e.g. 5. Received: cv={cv!r}.")
    if not isinstance(confidence, float) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a float in (0, 1), e.g. 0.9 for a 90% interval. Received: confidence={confidence!r}.")
    if not isinstance(max_ratio, float) or not 0 < max_ratio < 1:
        raise ValueError(f"max_ratio must be a float in (0, 1). Received: max_ratio={max_ratio!r}.")
    for name, v, low in (("latency_calls", latency_calls, 0), ("big_batch", big_batch, 1), ("search_steps", search_steps, 1),
                         ("fine_tune_epochs", fine_tune_epochs, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}. Received: {name}={v!r}.")
    if latency_threads is not None and (isinstance(latency_threads, bool) or not isinstance(latency_threads, int) or latency_threads < 1):
        raise ValueError(f"latency_threads must be a number of BLAS threads >= 1, or None to leave them as they are. Received: latency_threads={latency_threads!r}.")
    if not model.network_.hidden_names:
        raise ValueError("this model has no hidden layers to prune.")


#: The most values (rows x columns) a sparse ``X`` may have once dense: 1 GiB of float64.
_MAX_DENSE_CELLS = 2**27


def _check_data(model: Any, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` as arrays, checked against each other and against the model's inputs."""
    from sklearn.utils.validation import check_array

    from ...data import require_2d

    require_2d(X)  # one line; check_array's "Expected 2D array" printed every value of X
    try:
        X = check_array(X, dtype=(np.float64, np.float32), accept_sparse="csr", input_name="X")
    except ValueError as exc:  # scikit-learn's "Input X contains NaN." said neither where it came from nor the fix
        if "NaN" not in str(exc) and "infinity" not in str(exc):
            raise
        raise ValueError("X holds NaN or infinite values, which the network cannot read: impute or drop those rows first, or prune "
                         "a Pipeline whose imputer fills them (hl.prune(pipe, X, y)).") from None
    if sparse.issparse(X):  # a one-hot step's output: the refits, cuts and timings below index and tile dense rows
        if X.shape[0] * X.shape[1] > _MAX_DENSE_CELLS:
            raise ValueError(f"X is a sparse {X.shape[0]} x {X.shape[1]} matrix, which prune() reads dense: over {_MAX_DENSE_CELLS:,} "
                             "values; pass fewer rows (a sample of the training rows).")
        X = X.toarray()
    y = np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y have different numbers of rows: {X.shape[0]} and {y.shape[0]}.")
    if X.shape[1] != model.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features but the model reads {model.n_features_in_}: pass the same columns it was trained on.")
    problem = _labels_problem(model, y) if hasattr(model, "classes_") else _targets_problem(model, y)
    if problem is not None:
        raise ValueError(problem)
    return X, y


def _labels_problem(model: Any, y: np.ndarray) -> str | None:
    """Why ``y`` cannot be scored by the classifier ``model`` (labels outside ``classes_``), or None.

    The refits train on ``y``: unknown labels would become new classes there
    and count as errors for the model itself, so the drop would be measured on
    something the model never learned.
    """
    classes = np.asarray(model.classes_)
    if getattr(model, "label_type_", None) == "multilabel-indicator":
        if y.ndim != 2 or y.shape[1] != classes.size or not np.isin(y, (0, 1)).all():
            return f"y must be a 0/1 indicator matrix with {classes.size} columns, as the model was fitted. Received shape {y.shape}."
        return None
    if y.ndim != 1:
        return f"y must be one label per row (1-D), as the model was fitted. Received shape {y.shape}."
    known = set(classes.tolist())
    unknown = [v for v in dict.fromkeys(y.tolist()) if v not in known]  # first-seen order; NaN is never a class
    if not unknown:
        return None
    shown = ", ".join(repr(v) for v in unknown[:5]) + (f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else "")
    return (f"y holds labels not in model.classes_ ({', '.join(repr(c) for c in classes.tolist()[:10])}"
            f"{' ...' if classes.size > 10 else ''}): {shown}. Pass the labels the model was fitted on.")


def _targets_problem(model: Any, y: np.ndarray) -> str | None:
    """Why ``y`` cannot be the regressor ``model``'s targets (not numbers, NaN or infinite, wrong number of outputs), or None."""
    try:
        values = y.astype(np.float64)
    except (TypeError, ValueError):
        return f"y must be numeric targets for a regressor. Received dtype {y.dtype}."
    if not np.isfinite(values).all():
        return "y contains NaN or infinite values: drop or fill those rows first."
    outputs = 1 if y.ndim == 1 else y.shape[1]
    if y.ndim > 2 or outputs != getattr(model, "n_outputs_", outputs):
        return f"y has {outputs} output(s) but the model predicts {model.n_outputs_}: pass the targets it was fitted on. Received shape {y.shape}."
    return None


def _confirmed_ratio(model: Any, X: np.ndarray, y: np.ndarray, floor: float, max_drop: float, cv: int, confidence: float,
                     max_ratio: float, search_steps: int, fine_tune_epochs: int, random_state: int | None,
                     classifier: bool) -> tuple[float, DropEstimate | None, list[dict[str, Any]], bool, float]:
    """The largest share of units whose cut is confirmed within ``max_drop``, searched on ``cv`` refits of ``model``.

    Returns ``(ratio, its drop estimate, ratios tried, resolved, score before)``;
    ``(0.0, None, ...)`` when no cut is confirmed. ``floor`` is the smallest drop
    the rows can confirm for a cut that changes no row; a ``max_drop`` below it is
    still searched, since a cut that raises the score confirms a drop below it
    (the interval's upper end of a cut that gains rows is below ``floor``; below 0
    when it gains enough): ``max_drop=0`` keeps a cut shown to cost nothing.
    When the rows are too few to tell, it warns (at the user's line) and ``resolved`` is False.
    """
    from .bound import cross_fitted_drop, fold_models, search_ratio

    widths = [layer.out_features for layer in model.network_.hidden_layers]
    if kept_units(widths, max_ratio) == widths:  # no share up to max_ratio removes a unit: nothing to search (_no_cut_reason says so)
        return 0.0, None, [], True, math.nan
    folds = fold_models(model, X, y, cv, random_state)
    ranks = [_ranked_units(m, X[train]) for m, train, _ in folds]
    before = cross_fitted_drop(folds, lambda k: folds[k][0], X, y, confidence, classifier).score_before  # nothing cut
    best_ratio, best_est, tried = search_ratio(
        lambda r: cross_fitted_drop(folds, lambda k: _cut(folds[k][0], X[folds[k][1]], y[folds[k][1]], *ranks[k], r, fine_tune_epochs),
                                    X, y, confidence, classifier), max_drop, max_ratio, search_steps,
        removes=lambda r: kept_units(widths, r) != widths)
    resolved = True
    if best_est is None and any(t["drop"] <= max_drop for t in tried):
        resolved = False  # some cut looked fine but its interval reached past max_drop: the rows are too few to tell
        warnings.warn(f"prune(): {X.shape[0]} rows cannot confirm any cut within max_drop={max_drop} at {100 * confidence:g}% "
                      f"confidence (some cut's estimate was within it, its interval was not{_below_floor(max_drop, floor)}); nothing was cut. "
                      "Pass more rows or a larger max_drop.", UserWarning, stacklevel=user_stacklevel())
    return best_ratio, best_est, tried, resolved, before


def _no_cut_reason(resolved: bool, tried: list[dict[str, Any]], n: int, max_drop: float, floor: float, widths: list[int],
                   max_ratio: float) -> str:
    """Why :func:`prune` kept no cut, in words for the report (each case warned about, or a finding of the search)."""
    if kept_units(widths, max_ratio) == widths:
        return (f"no unit can be removed: every hidden layer keeps at least 1 unit, and max_ratio={max_ratio:g} of layers of "
                f"{','.join(map(str, widths))} unit(s) removes none: the model is as small as prune makes it")
    if not resolved:
        return (f"{n} rows cannot confirm any cut within max_drop={max_drop} (some cut's estimate was within it, its interval was not"
                f"{_below_floor(max_drop, floor)}): pass more rows or a larger max_drop")
    least = min(tried, key=lambda t: t["ratio"])
    return (f"every cut tried lowered the held-out score by more than max_drop={max_drop} allows (the smallest, "
            f"{100 * least['ratio']:g}% of units, by {least['drop']:+.4f}, interval up to {least['drop_high']:+.4f})")


def _below_floor(max_drop: float, floor: float) -> str:
    """For a ``max_drop`` below ``floor`` (the smallest drop the rows confirm for a cut that changes no row): that only a cut
    raising the score could have been kept, in words; ``""`` otherwise (and for a regressor, whose ``floor`` is NaN)."""
    if not floor > max_drop:
        return ""
    return f"; below {floor:.4f} only a cut that raises the score can be confirmed"


_PRUNE_PARAMETERS = """
Parameters
----------
model : MLPClassifier, MLPRegressor or Pipeline
    The fitted model to prune (never changed), or a fitted ``Pipeline`` ending in one.
X : array-like of shape (n_samples, n_features)
    The rows ``model`` was fitted on: the matrix the network reads (a SciPy sparse matrix, such as a one-hot step's
    output, is read dense: the refits, cuts and latencies run on its dense rows); for a Pipeline, rows as
    ``pipe.predict`` takes them.
y : array-like of shape (n_samples,)
    The labels or targets ``model`` was fitted on.
max_drop : float
    The largest held-out score drop a kept cut may cost (accuracy or R², in score units: 0.005 is half a point).
cv : int
    Folds of the cross-fitted comparison.
confidence : float
    Level of the interval of the paired score drop whose upper end must be within ``max_drop``, in (0, 1).
fine_tune_epochs : int
    Epochs of the warm ``fit`` after each cut.
max_ratio : float
    The largest share of each hidden layer's units the search may remove, in (0, 1).
search_steps : int
    Steps of the binary search over the share removed.
latency_calls : int
    Timed batch-1 ``predict`` calls per model; 0 skips timing and reports NaN.
big_batch : int
    Rows of the large-batch latency (a few calls of this many rows).
random_state : int, optional
    Seed of the folds.
latency_threads : int, optional
    BLAS threads while timing (None: the default BLAS threads).
"""


@keeps_torch_rng  # the smaller networks it builds draw initial weights (then replaced) from the global generator
@parameters_section(_PRUNE_PARAMETERS)
def prune(
    model: Any,
    X: Any,
    y: Any,
    *,
    max_drop: float = 0.005,
    cv: int = 5,
    confidence: float = 0.9,
    fine_tune_epochs: int = 10,
    max_ratio: float = 0.95,
    search_steps: int = 6,
    latency_calls: int = 1000,
    big_batch: int = 4096,
    random_state: int | None = 0,
    latency_threads: int | None = 1,
) -> Any:
    """Remove as many hidden units as ``max_drop`` allows; return a new fitted estimator.

    The rows ``model`` was fitted on are memorised, so they cannot show what a cut costs on new data: ``model``'s
    parameters are refitted on ``cv`` folds, each refit is cut and fine-tuned as the result will be, and pruned and
    unpruned are compared row by row on the left-out fold. A cut is kept when the upper end of the ``confidence``
    interval of that paired score drop is within ``max_drop``; when the rows are too few for any cut to show that,
    nothing is cut and a warning says so. The share of units removed from every hidden layer is binary-searched in
    ``[0, max_ratio]`` over ``search_steps`` steps; the chosen share is then cut from ``model`` itself (units ranked on
    all rows, then ``fine_tune_epochs`` epochs of one warm ``fit``, each in the row order of the model's first shuffled
    epoch, as ``partial_fit`` calls would take them). Latency before and after is timed interleaved
    (:func:`interleaved_latency`). ``model`` is not changed; the result has smaller ``hidden_layer_sizes`` and
    ``prune_report_`` (a :class:`PruneReport`). Cost: ``cv`` fits of ``model`` plus ``cv x search_steps`` fine-tunings.
    Ctrl-C (``KeyboardInterrupt``) stops the prune in whichever refit or fine-tuning it lands (which, alone, would stop
    and return as ``fit`` does, and the prune went on) and returns nothing; ``model`` is unchanged.

    A fitted scikit-learn ``Pipeline`` whose last step is an MLP of ours is pruned as that step on ``X`` through the
    steps before it; the result is a Pipeline of the same fitted steps (the same objects, not refitted) then the pruned
    MLP, so ``result.predict(X_raw)`` and ``hl.save(result, path)`` work; its ``prune_report_`` is the MLP's, whose
    latency is timed twice: the MLP's ``predict`` on the transformed rows (the network alone) and the whole Pipeline's
    ``predict`` on ``X`` (what its user waits for; ``PruneReport.pipeline_*``).

    Examples
    --------
    >>> small = prune(clf, X, y, max_drop=0.005)  # doctest: +SKIP
    >>> small.prune_report_.drop_high             # doctest: +SKIP
    """
    settings: dict[str, Any] = {"max_drop": max_drop, "cv": cv, "confidence": confidence, "fine_tune_epochs": fine_tune_epochs, "max_ratio": max_ratio,
                "search_steps": search_steps, "latency_calls": latency_calls, "big_batch": big_batch, "random_state": random_state,
                "latency_threads": latency_threads}
    parts = split_pipeline(model)
    if parts is not None:
        from .pipeline import prune_pipeline

        return prune_pipeline(model, parts, X, y, functools.partial(_prune_model, **settings), settings)
    return _prune_model(model, X, y, **settings)


def _prune_model(model: Any, X: Any, y: Any, *, max_drop: float, cv: int, confidence: float, fine_tune_epochs: int, max_ratio: float,
                 search_steps: int, latency_calls: int, big_batch: int, random_state: int | None, latency_threads: int | None) -> Any:
    """:func:`prune` of an MLP of ours (the settings documented there)."""
    from .bound import resolution

    _check_prune_args(model, max_drop, cv, confidence, max_ratio, latency_calls, big_batch, search_steps, fine_tune_epochs, latency_threads)
    _dense_specs(model.network_)
    X, y = _check_data(model, X, y)
    if X.shape[0] < 2 * cv:
        raise ValueError(f"prune() needs at least 2 rows per fold to estimate the drop: {X.shape[0]} rows for cv={cv}; pass more rows or a smaller cv.")
    classifier = hasattr(model, "classes_")
    widths = [layer.out_features for layer in model.network_.hidden_layers]
    floor = resolution(X.shape[0], confidence, classifier)
    best_ratio, best_est, tried, resolved, before = _confirmed_ratio(
        model, X, y, floor, max_drop, cv, confidence, max_ratio, search_steps, fine_tune_epochs, random_state, classifier)
    if best_est is not None:
        H, ranked = _ranked_units(model, X)
        best_model = _cut(model, X, y, H, ranked, best_ratio, fine_tune_epochs)
        drop, scores = (best_est.drop, best_est.low, best_est.high), (best_est.score_before, best_est.score_after)
    else:  # nothing cut: the result is a copy of the model, and nothing after a cut was measured
        drop, scores = (math.nan, math.nan, math.nan), (before, math.nan)
        best_model = copy.deepcopy(model)
    reason = "" if best_est is not None else _no_cut_reason(resolved, tried, X.shape[0], max_drop, floor, widths, max_ratio)
    b1_before = big_before = b1_after = big_after = math.nan
    if latency_calls > 0:
        timed = interleaved_latency([model, best_model] if best_est is not None else [model], X, big_batch=big_batch,
                                    calls=latency_calls, threads=latency_threads)
        b1_before, big_before = timed[0]
        if best_est is not None:
            b1_after, big_after = timed[1]
    best_model.prune_report_ = PruneReport(
        units_before=widths, units_after=[layer.out_features for layer in best_model.network_.hidden_layers],
        params_before=int(model.n_parameters_), params_after=int(best_model.n_parameters_),
        score_before=scores[0], score_after=scores[1], max_drop=float(max_drop), ratio=best_ratio,
        validation_rows=int(X.shape[0]), latency_b1_before_us=b1_before, latency_b1_after_us=b1_after, big_batch=big_batch,
        latency_big_before_ms=big_before, latency_big_after_ms=big_after, fine_tune_epochs=fine_tune_epochs, tried=tried,
        latency_calls=int(latency_calls), latency_threads=latency_threads, drop=drop[0], drop_low=drop[1], drop_high=drop[2],
        confidence=confidence, cv=cv, resolution=floor, resolved=resolved, no_cut_reason=reason,
    )
    return best_model


__all__ = ["PruneReport", "interleaved_latency", "prune", "shrink", "unit_scores"]
