"""Per-layer and per-unit activation statistics, accumulated in one streaming pass.

Definitions (``h`` = a unit's output, ``f`` = the layer's activation):

- **active**: ``h > f(0)``, i.e. the pre-activation is positive (ReLU: ``h > 0``;
  logistic: ``h > 0.5``). Not applicable (NaN, shown as "n/a") when the
  activation is unknown: a max-pool or custom output below 0 is not "off", so
  there is no threshold to count; ``sparsity`` (exact zeros) is still reported.
  Tables show "n/a" for a linear layer too (``identity``: a bare ``nn.Linear``
  in an ``nn.Sequential``), whose sign means nothing; ``fraction_active`` is kept.
- **dead unit**: for ReLU, never active on the data (it gets no gradient
  either) — PyTorch's "dead ReLU"; a unit stuck at one positive value is
  active and still learns, so it is not dead. Leaky ReLU, ELU, GELU, SiLU and
  softplus still pass gradient where the pre-activation is negative (slope
  0.01, ``exp(z)``, ...), so a unit of theirs that is never active is only
  **never active** (``LayerStats.never_active``, its own warning), and dead
  only by the constant rule below. ``never_active`` marks the never-active units of
  ReLU too, where they are the dead ones: ``to_dict()["never_active"]`` counts them
  for both families, so it never reads 0 beside a ReLU layer's "never active" dead
  units. Called
  dead only on at least ``MIN_DEAD_ROWS`` (30) rows: a unit can be off on a few
  rows and on for others, and one on for a tenth of the rows is off on all of 30
  rows drawn at random only 0.9³⁰ ≈ 4% of the time (29 rows: 4.7%, 20 rows: 12%).
  On fewer rows such units are "inactive on these N rows" (``dead`` still marks
  them; ``LayerStats.dead_known`` is False and tables show "n/a"). For the
  other activations (tanh, logistic, linear), an output that does not vary on
  the data (at least 2 rows: one row cannot show variation). When the
  activation is unknown (pooling, a custom module, ``layer_stats`` called
  without one), only the second rule is safe — a max-pool channel below 0 on
  every row still carries information — so only constant units are counted,
  and ``LayerStats.dead_rule`` says so (``UNKNOWN_RULE``). A layer that has no
  activation by nature (``LayerStats.role``: pooling, flatten, dropout) takes the
  same rule, named ``"constant"``: nothing about it is unknown.
- **saturated unit**: for bounded activations (tanh, logistic), the output is
  within ``margin`` x range of a limit on at least ``stuck`` of the rows.
- **sparsity**: fraction of outputs that are exactly zero (|h| <= 1e-7).
- **effective rank**: participation ratio ``(sum λ)² / sum λ²`` of the
  covariance eigenvalues — 1 when one direction carries all variance, ``units``
  when variance is spread evenly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..network import SATURATION_MARGIN, get_activation

_ZERO = 1e-7

CHUNK_VALUES = 1 << 22
"""Most values :meth:`UnitAccumulator.update` turns into float64 at once (32 MB a copy)."""

# Zero gradient below 0: a unit of these that is never active learns no more (dead).
_RELU_LIKE = {"relu"}
# Active where the pre-activation is positive, yet with gradient below 0 too: never active is no death.
_LEAKY = {"leaky_relu", "elu", "gelu", "silu", "softplus"}
# Rows below which a ReLU-like unit off on every row is "inactive on these rows", not "dead" (see the module doc).
MIN_DEAD_ROWS = 30
# Shown wherever a layer's "dead" count was made without knowing its activation.
UNKNOWN_RULE = "activation unknown: constant units only"


@dataclass(repr=False)
class LayerStats:
    """Statistics of one layer; per-unit arrays have shape ``(units,)`` (definitions: the module docstring).

    Its repr is one line of the layer-level numbers (as :meth:`to_dict`), not the per-unit arrays:
    ``hl.lens.summary(clf, X)`` ends a notebook cell or REPL line, and a list of 128-unit arrays after the table buried it.

    Attributes
    ----------
    name : str
        The layer's name.
    activation : str or None
        Its activation's name; None when unknown.
    units : int
        Units (a conv layer's channels).
    samples : int
        Values per unit the statistics come from (a conv layer's positions and a recurrent layer's steps count too).
    mean : numpy.ndarray
        Each unit's mean output.
    std : numpy.ndarray
        Each unit's standard deviation.
    min : numpy.ndarray
        Each unit's smallest output.
    max : numpy.ndarray
        Each unit's largest output.
    fraction_active : numpy.ndarray
        Each unit's share of active outputs (``h > f(0)``); NaN when the activation is unknown.
    fraction_saturated : numpy.ndarray or None
        Each unit's share of outputs near a limit, for bounded activations (tanh, logistic); None otherwise.
    dead : numpy.ndarray of bool
        The dead units.
    saturated : numpy.ndarray of bool
        The saturated units.
    sparsity : float
        Share of outputs that are exactly zero (``|h| <= 1e-7``).
    effective_rank : float
        Participation ratio of the covariance eigenvalues: 1 when one direction carries all variance, ``units`` when it
        is spread evenly.
    role : str or None
        A layer with no activation of its own: ``"pooling"``, ``"flatten"`` or ``"dropout"``.
    rows : int or None
        Examples the statistics come from, where ``samples`` counts positions or steps too (N*H*W, N*T); None: each
        sample is a row.
    never_active : numpy.ndarray of bool or None
        Per unit, never active on the data, for ReLU and the leaky family; None for other activations.
    """

    name: str
    activation: str | None
    units: int
    samples: int
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    fraction_active: np.ndarray  # NaN per unit when the activation is unknown: no threshold defines "active"
    fraction_saturated: np.ndarray | None
    dead: np.ndarray
    saturated: np.ndarray
    sparsity: float
    effective_rank: float
    role: str | None = None  # a layer with no activation of its own: "pooling", "flatten" or "dropout" (activation is None)
    # Examples the statistics come from; ``samples`` counts a conv layer's positions and a recurrent layer's steps
    # too (N*H*W, N*T), which are no independent rows: a channel off at all 64 positions of one image may be on for
    # the next image. None: each sample is a row (``layer_stats`` of an (n, units) matrix).
    rows: int | None = None
    # Per unit, never active on the data (pre-activation never positive), for ReLU (where that is what makes a unit dead)
    # and the :data:`_LEAKY` activations (which still pass gradient there: such a unit is dead only when constant); None
    # for the other activations, whose "dead" rule does not look at activity.
    never_active: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        """The examples behind the statistics: ``rows``, or ``samples`` where each sample is a row."""
        return self.samples if self.rows is None else self.rows

    @property
    def activation_text(self) -> str:
        """The activation column of a table: its name, ``"(pooling)"`` (the layer's kind) for a layer that has none, else ``"unknown"``."""
        return self.activation or (f"({self.role})" if self.role else "unknown")

    @property
    def n_dead(self) -> int:
        """How many of the layer's units are dead on these rows (:attr:`dead`)."""
        return int(self.dead.sum())

    @property
    def n_never_active(self) -> int:
        """Units never active on these rows (:attr:`never_active`): for ReLU the dead units themselves, for the leaky family
        dead ones (constant) included; 0 for activations it is not counted for."""
        return 0 if self.never_active is None else int(self.never_active.sum())

    @property
    def n_never_active_alive(self) -> int:
        """Never-active units that are not dead: the leaky family's own warning (0 for ReLU, whose never active is dead)."""
        return 0 if self.never_active is None else int((self.never_active & ~self.dead).sum())

    @property
    def n_saturated(self) -> int:
        """How many of the layer's units are saturated on these rows (:attr:`saturated`)."""
        return int(self.saturated.sum())

    @property
    def active_text(self) -> str:
        """The layer's mean active fraction for a table: ``"42%"``, or ``"n/a"`` when the activation is unknown or linear
        (``identity``: the sign of a linear output says nothing of a unit being on)."""
        return "n/a" if self.activation in (None, "identity") else f"{float(self.fraction_active.mean()):.0%}"

    @property
    def dead_known(self) -> bool:
        """Whether these rows are enough to call a unit dead: ``MIN_DEAD_ROWS`` for a ReLU-like layer (see the module doc)."""
        return not (self.activation in _RELU_LIKE and self.n_rows < MIN_DEAD_ROWS)

    @property
    def dead_text(self) -> str:
        """The dead column of a table: the count, or ``"n/a"`` when the rows are too few to call a unit dead."""
        return str(self.n_dead) if self.dead_known else "n/a"

    @property
    def dead_rule(self) -> str:
        """How ``dead`` was decided: ``"never active"``, ``"constant"`` or :data:`UNKNOWN_RULE`."""
        return "constant" if self.activation is None and self.role else _dead_rule(self.activation)

    def warnings(self) -> list[str]:
        """Plain-word findings, e.g. ``"hidden2: 31 of 64 ReLU units are dead on this data"``."""
        out = []
        label = _label(self.activation)
        if self.n_dead and not self.dead_known:
            verb = "is" if self.n_dead == 1 else "are"
            rows = "this 1 row" if self.n_rows == 1 else f"these {self.n_rows} rows"
            out.append(f"{self.name}: {self.n_dead} of {self.units} {label}units {verb} inactive on {rows}, too few to call a unit dead "
                       f"(that takes at least {MIN_DEAD_ROWS} rows): look again on more rows.")
        elif self.n_dead:
            verb = "is" if self.n_dead == 1 else "are"
            state = "constant" if self.activation is None else "dead"
            out.append(f"{self.name}: {self.n_dead} of {self.units} {label}units {verb} {state} on this data ({self.dead_rule}).")
        alive = self.n_never_active_alive
        if alive:
            verb = "is" if alive == 1 else "are"
            out.append(f"{self.name}: {alive} of {self.units} {label}units {verb} never active on "
                       f"{'this 1 row' if self.n_rows == 1 else f'these {self.n_rows} rows'} (pre-activation never positive); "
                       f"not dead: {label.strip()} passes gradient below 0, so {'it' if alive == 1 else 'they'} can still learn.")
        if self.n_saturated:
            verb = "is" if self.n_saturated == 1 else "are"
            out.append(
                f"{self.name}: {self.n_saturated} of {self.units} {label}units {verb} saturated (stuck near a limit); "
                "scale the inputs or lower the learning rate."
            )
        if self.units > 1 and self.samples >= 2 and self.effective_rank == 0.0:
            out.append(f"{self.name}: the representation does not vary on this data (every unit is constant).")
        elif self.units > 1 and self.samples >= 2 and self.effective_rank < 1.5:
            out.append(
                f"{self.name}: the representation is nearly one-dimensional (effective rank {self.effective_rank:.1f} of {self.units} units)."
            )
        elif self.units > 1 and self.samples >= 2 and self.effective_rank < 0.05 * self.units:
            # A wide layer spanning a few directions (rank 4 of 100): not one-dimensional, but mostly redundant units.
            out.append(
                f"{self.name}: the representation is low-dimensional (effective rank {self.effective_rank:.1f} of {self.units} units, "
                "under 5%): most units repeat a few directions."
            )
        return out

    def __repr__(self) -> str:
        return (
            f"LayerStats(name={self.name!r}, activation={self.activation!r}, {f'role={self.role!r}, ' if self.role else ''}units={self.units}, samples={self.samples}, "
            f"dead={self.n_dead}, saturated={self.n_saturated}, sparsity={self.sparsity:.3g}, "
            f"effective_rank={self.effective_rank:.3g})"
        )

    def to_dict(self) -> dict[str, float | int | str | None]:
        """Layer-level numbers only (JSON-able)."""
        return {
            "name": self.name, "activation": self.activation, "role": self.role, "units": self.units, "samples": self.samples, "rows": self.n_rows,
            "mean": float(self.mean.mean()), "std": float(self.std.mean()),
            "fraction_active": None if self.activation in (None, "identity") else float(self.fraction_active.mean()),
            "dead": self.n_dead, "dead_rule": self.dead_rule, "dead_known": self.dead_known, "never_active": None if self.never_active is None else self.n_never_active,
            "saturated": self.n_saturated, "sparsity": self.sparsity, "effective_rank": self.effective_rank,
        }


def _dead_rule(activation: str | None) -> str:
    if activation is None:
        return UNKNOWN_RULE
    return "never active" if activation in _RELU_LIKE else "constant"


def unknown_activation_note(rules: dict[str, str]) -> str | None:
    """One line under a stats table naming the layers (``{name: dead_rule}``) judged without an activation."""
    names = [n for n, rule in rules.items() if rule == UNKNOWN_RULE]
    if not names:
        return None
    return (
        f"{', '.join(names)}: {UNKNOWN_RULE} (the dead column counts units that do not vary over >= 2 rows; "
        "active is n/a: with no known activation, no threshold says when a unit is on)."
    )


def few_rows_note(stats: list[LayerStats]) -> str | None:
    """One line under a stats table whose dead column reads "n/a" for too few rows (None when every layer's count stands)."""
    short = [s for s in stats if not s.dead_known]
    return dead_unknown_note(short[0].n_rows) if short else None


def dead_unknown_note(n_rows: int) -> str:
    """The note that says why a stats table's dead column reads "n/a" on ``n_rows`` rows (fewer than :data:`MIN_DEAD_ROWS`).

    The words of :func:`few_rows_note`, for a table built from the layers' ``to_dict`` (``inspect``'s, whose ``rows`` is
    ``n_rows``).

    Parameters
    ----------
    n_rows : int
        The examples the statistics were computed on.
    """
    rows = "1 row is" if n_rows == 1 else f"{n_rows} rows are"
    return (f"dead is n/a: {rows} too few to call a ReLU unit dead (it takes {MIN_DEAD_ROWS}: a unit on for a tenth of the rows is off "
            f"on all of {MIN_DEAD_ROWS} random rows only {0.9 ** MIN_DEAD_ROWS:.0%} of the time); the warnings count the units inactive on these rows.")


def _label(activation: str | None) -> str:
    names = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
             "tanh": "tanh", "logistic": "logistic", "softplus": "softplus", "identity": "linear"}
    return f"{names[activation]} " if activation in names else ""


class UnitAccumulator:
    """Streaming sums over ``(samples, units)`` batches; float64 on the host side.

    Memory is ``O(units²)`` (for the covariance that gives the effective rank),
    independent of the number of rows. ``activation``: the name the units passed
    through (None: unknown); ``margin``, ``stuck``: the saturation rule (within
    ``margin`` x range of a limit on ``stuck`` of the rows); ``role``: what a layer
    with no activation is (``"pooling"``, ...), kept in :attr:`LayerStats.role`.
    """

    def __init__(self, activation: str | None = None, *, margin: float = SATURATION_MARGIN, stuck: float = 0.95, role: str | None = None) -> None:
        self.activation, self.role = activation, role
        act = get_activation(activation) if activation else None
        self.threshold = float(act.np_forward(np.zeros(1))[0]) if act is not None else 0.0
        self.bounds = act.saturation if act is not None else None
        self.margin, self.stuck = margin, stuck
        self.n = 0
        self.rows: int | None = 0  # None once a batch came without its row count: each sample is then a row
        self.sum: Tensor | None = None

    def update(self, h: Tensor, rows: int | None = None) -> None:
        """Add one batch ``h`` of shape ``(samples, units)``; ``rows``: the examples it holds, where a conv layer's positions
        or a recurrent layer's steps make several samples of one example (None: each sample is one).

        A big ``h`` is added :data:`CHUNK_VALUES` values at a time: each step makes float64 copies of what it is given
        (``h - shift``, ``|h|``), which for a whole recording (100,000 rows of 2,048 units: 0.8 GB as float32) took
        six times its size at once.
        """
        step = max(1, CHUNK_VALUES // max(1, int(h.shape[1]))) if h.ndim == 2 else h.shape[0]
        for i, part in enumerate(h.split(step) if h.shape[0] > step else (h,)):
            self._add(part, rows if i == 0 or rows is None else 0)

    def _add(self, h: Tensor, rows: int | None) -> None:
        """:meth:`update` on one chunk."""
        h = h.detach().to(torch.float64)
        if self.sum is None:
            u = h.shape[1]
            z = torch.zeros(u, dtype=torch.float64, device=h.device)
            self.sum, self.gram = z.clone(), torch.zeros(u, u, dtype=torch.float64, device=h.device)
            self.active, self.zero, self.sat = z.clone(), z.clone(), z.clone()
            self.lo = torch.full_like(z, float("inf"))
            self.hi = torch.full_like(z, float("-inf"))
            self.shift: Tensor | None = None
        if h.shape[0] == 0:
            return
        if self.shift is None:  # the first batch's mean: sums of h - shift keep the variance from cancelling (below)
            self.shift = h.mean(0)
        self.n += h.shape[0]
        self.rows = None if rows is None or self.rows is None else self.rows + int(rows)
        d = h - self.shift
        self.sum += d.sum(0)
        self.gram += d.T @ d  # (units, units)
        self.active += (h > self.threshold).sum(0)
        self.zero += (h.abs() <= _ZERO).sum(0)
        self.lo = torch.minimum(self.lo, h.min(0).values)
        self.hi = torch.maximum(self.hi, h.max(0).values)
        if self.bounds is not None:
            a, b = self.bounds
            eps = self.margin * (b - a)
            self.sat += ((h <= a + eps) | (h >= b - eps)).sum(0)

    def result(self, name: str) -> LayerStats:
        """Finish: per-unit arrays and the layer's effective rank."""
        if self.sum is None or self.n == 0:
            raise ValueError(f"layer {name!r} produced no rows: record at least one row before reading statistics.")
        n = float(self.n)
        # Shifted data: cov = E[d dᵀ] - E[d] E[d]ᵀ with d = h - shift, E[d] ≈ 0. Unshifted, E[h²] - E[h]² cancelled
        # when the mean dwarfs the spread (a unit at 1e5 ± 0.01 read std 0 in float64).
        offset = self.sum / n
        mean = offset if self.shift is None else self.shift + offset  # shift: set with the first row (n > 0 here)
        cov = self.gram / n - torch.outer(offset, offset)
        var = torch.clamp(torch.diagonal(cov), min=0.0)
        # Participation ratio without an eigendecomposition: for symmetric cov,
        # sum(λ) = trace and sum(λ²) = squared Frobenius norm (eigvalsh cost ~10 ms
        # per 128-unit layer on a busy 2-core machine, every GradientFlow epoch).
        total = float(var.sum())
        pr = (total**2 / float((cov * cov).sum())) if total > 1e-12 else 0.0
        frac_active = (self.active / n).cpu().numpy() if self.activation is not None else np.full(int(mean.shape[0]), np.nan)
        lo, hi = self.lo.cpu().numpy(), self.hi.cpu().numpy()
        scale = np.maximum(np.abs(lo), np.abs(hi))
        n_rows = self.n if self.rows is None else self.rows
        constant = ((hi - lo) <= 1e-6 * (1.0 + scale)) & (n_rows >= 2)  # one example cannot show variation, at any position
        dead = (frac_active == 0) if self.activation in _RELU_LIKE else constant
        never = (frac_active == 0) if self.activation in _RELU_LIKE | _LEAKY else None
        frac_sat = (self.sat / n).cpu().numpy() if self.bounds is not None else None
        saturated = (frac_sat >= self.stuck) if frac_sat is not None else np.zeros_like(dead)
        return LayerStats(
            name=name, activation=self.activation, units=int(mean.shape[0]), samples=self.n,
            mean=mean.cpu().numpy(), std=np.sqrt(var.cpu().numpy()), min=lo, max=hi,
            fraction_active=frac_active, fraction_saturated=frac_sat, dead=dead.astype(bool),
            saturated=saturated.astype(bool) & ~dead, sparsity=float(self.zero.sum() / (n * mean.shape[0])),
            effective_rank=float(pr), role=self.role, rows=self.rows, never_active=never,
        )


def layer_stats(h: np.ndarray | Tensor, activation: str | None = None, name: str = "layer") -> LayerStats:
    """Statistics of one ``(samples, units)`` activation matrix.

    NaN or inf in ``h`` raises: compared with the threshold they read as "never active", so a diverged layer would be
    reported as dead units.

    Parameters
    ----------
    h : numpy.ndarray or torch.Tensor of shape (samples, units)
        The layer's activations.
    activation : str, optional
        The name of the activation ``h`` passed through (``"relu"``, ``"tanh"``...); None (unknown) counts only
        constant units as dead (see the module doc).
    name : str
        The layer's name in the result.
    """
    from ._target import refuse_model

    refuse_model(h, "h", "layer_stats")
    t = torch.as_tensor(np.asarray(h)) if not isinstance(h, Tensor) else h
    if t.ndim != 2:
        raise ValueError(f"h must be a (samples, units) matrix. Received shape {tuple(t.shape)}.")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise ValueError(
            f"h (the activations of {name!r}) holds NaN or infinite values: check the network's input for NaN "
            "and the network for divergence (retrain with a lower learning rate) before reading its statistics."
        )
    acc = UnitAccumulator(activation)
    acc.update(t)
    return acc.result(name)


__all__ = ["MIN_DEAD_ROWS", "UNKNOWN_RULE", "LayerStats", "UnitAccumulator", "dead_unknown_note", "few_rows_note", "layer_stats", "unknown_activation_note"]
