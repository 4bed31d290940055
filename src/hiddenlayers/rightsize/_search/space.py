"""The space a search explores (depth, widths, activations, learning rates),
and the parameter and FLOP counts its constraints use.

Its own module because the search loop (``search.py``) and the trial objective
(``run.py``) both read it, and neither should import the other.
"""

from __future__ import annotations

import difflib
import itertools
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def flops_of(n_in: int, widths: list[int], n_out: int) -> int:
    """FLOPs of one prediction of a dense stack: 2 per multiply-add (as torch's counter)."""
    dims = [n_in, *widths, n_out]
    return int(sum(2 * a * b for a, b in zip(dims[:-1], dims[1:])))


def outputs_of(y: Any, classifier: bool) -> int:
    """The network's outputs for targets ``y``: one per column of a 2-D ``y`` (multilabel
    indicator or regression targets), else one per class (one for two classes), one for a regression target."""
    y = np.asarray(y)
    if y.ndim == 2:
        return int(y.shape[1])
    if classifier:
        k = len(np.unique(y))
        return 1 if k == 2 else k
    return 1


def params_of(n_in: int, widths: list[int], n_out: int) -> int:
    dims = [n_in, *widths, n_out]
    return int(sum(a * b + b for a, b in zip(dims[:-1], dims[1:])))


def within_budget(n_in: int, widths: list[int], n_out: int, max_params: int | None, max_flops: int | None) -> bool:
    """Whether the dense stack ``n_in -> widths -> n_out`` keeps within ``max_params`` and ``max_flops`` (None: no limit)."""
    return ((max_params is None or params_of(n_in, widths, n_out) <= max_params)
            and (max_flops is None or flops_of(n_in, widths, n_out) <= max_flops))


def budget_error(max_params: int | None, max_flops: int | None, smallest: str | None = None) -> str:
    """The one-line error for budgets that no spec of the space fits (the budgets given named, a None one left out); ``smallest``:
    what the cheapest spec costs on the data (:func:`smallest_spec`), so the budget to raise to is in the message, not found by trial and error."""
    cheapest = f": {smallest}" if smallest else ""
    given = " / ".join(f"{name}={v}" for name, v in (("max_params", max_params), ("max_flops", max_flops)) if v is not None)
    return (f"no hidden-layer spec of the space fits {given}{cheapest}: "
            "raise the budget or allow smaller widths.")


def smallest_spec(layers: tuple[int, int], widths: Any, n_in: int | None, n_out: int | None) -> str:
    """The cheapest spec of a space of ``layers`` (min, max) and ``widths`` for ``n_in`` columns and ``n_out`` outputs, and its
    cost, in words: the fewest layers of the smallest width (parameters and FLOPs grow with every width and every layer).
    ``n_in``/``n_out`` None: before the data is read, costed on one column and one output, the least any data gives, and said so."""
    spec = [int(min(widths))] * int(layers[0])
    hidden = ",".join(map(str, spec))
    if n_in is None or n_out is None:
        return (f"the smallest, hidden layers {hidden}, has at least {params_of(1, spec, 1):,} parameters and {flops_of(1, spec, 1):,} "
                "FLOPs per prediction (on one input column and one output: more on the data)")
    return (f"the smallest, hidden layers {hidden} on {n_in} input column(s) and {n_out} output(s), has "
            f"{params_of(n_in, spec, n_out):,} parameters and {flops_of(n_in, spec, n_out):,} FLOPs per prediction")


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _range_error(name: str, value: Any, allowed: str) -> str | None:
    """Why ``value`` is not a ``(low, high)`` pair of finite numbers with ``low <= high`` inside ``allowed``, or None."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_number(v) for v in value)):
        return f"{name} must be a (low, high) pair of numbers; {allowed}. Received: {name}={value!r}."
    if value[0] > value[1]:
        return f"{name} must be (low, high) with low <= high (equal ends fix a value); {allowed}. Received: {name}={tuple(value)!r}."
    return None


def _activations_error(acts: Any) -> str | None:
    """Why ``acts`` is not a non-empty tuple of activation names, or None (the nearest valid name suggested)."""
    from ...network import activation_names

    names = activation_names()
    if not isinstance(acts, (tuple, list)) or not acts:
        return f"activations must be a non-empty tuple of activation names ({', '.join(names)}). Received: activations={acts!r}."
    bad = [a for a in acts if not isinstance(a, str) or a.strip().lower() not in names]
    if not bad:
        return None
    close = difflib.get_close_matches(str(bad[0]).strip().lower(), names, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"activations must be activation names, each one of {', '.join(names)}.{hint} Received: activations={tuple(acts)!r}."


def _layers_error(layers: Any, widths: Any) -> str | None:
    lo, hi = layers if isinstance(layers, (tuple, list)) and len(layers) == 2 else (None, None)
    if not (isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool) and not isinstance(hi, bool) and 1 <= lo <= hi <= 8):
        return f"layers must be (min, max) with 1 <= min <= max <= 8. Received: layers={layers!r}."
    if not isinstance(widths, (tuple, list)) or not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
        return f"widths must be positive integers. Received: widths={widths!r}."
    return None


def _learning_rate_error(lr: Any, solvers: Any) -> str | None:
    """Why ``lr`` is neither one ``(low, high)`` for every solver nor a ``{solver: (low, high)}`` covering ``solvers``, or None."""
    if not isinstance(lr, Mapping):
        return _one_rate_error("learning_rate_init", lr)
    names = [k for k in lr if not (isinstance(k, str) and k in SEARCH_SOLVERS)]
    if names:
        close = difflib.get_close_matches(str(names[0]), SEARCH_SOLVERS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return (f"learning_rate_init keys must be solvers, each one of {', '.join(SEARCH_SOLVERS)}.{hint} "
                f"Received: learning_rate_init={dict(lr)!r}.")
    for solver, pair in lr.items():
        problem = _one_rate_error(f"learning_rate_init[{solver!r}]", pair)
        if problem is not None:  # said from "learning_rate_init", the name the CLI maps to --lr
            return f"learning_rate_init for solver {solver!r}: {problem}"
    searched = [s for s in solvers if s in SEARCH_SOLVERS] if isinstance(solvers, (tuple, list)) else []
    missing = [s for s in searched if s not in lr]
    if missing:
        return (f"learning_rate_init has no range for solver {missing[0]!r}, which solvers tries: add one, e.g. "
                f"{{{missing[0]!r}: {DEFAULT_LEARNING_RATES[missing[0]]!r}}}, or give one (low, high) for every solver. "
                f"Received: learning_rate_init={dict(lr)!r}.")
    return None


def _one_rate_error(name: str, lr: Any) -> str | None:
    allowed = "both > 0 (searched on a log scale), e.g. (3e-4, 3e-2)"
    problem = _range_error(name, lr, allowed)
    if problem is None and lr[0] <= 0:
        problem = f"{name} must be (low, high) with {allowed}. Received: {name}={tuple(lr)!r}."
    return problem


def _alpha_error(alpha: Any) -> str | None:
    allowed = "a range is searched on a log scale, so its low must be > 0, e.g. (1e-6, 1e-2); (0.0, 0.0) fixes no L2 penalty"
    problem = _range_error("alpha", alpha, allowed)
    if problem is None and (alpha[0] < 0 or (alpha[0] == 0 and alpha[1] > 0)):
        problem = f"alpha must be (low, high) with low <= high; {allowed}. Received: alpha={tuple(alpha)!r}."
    return problem


def _dropout_error(dropout: Any) -> str | None:
    allowed = "both in [0, 1), e.g. (0.0, 0.3)"
    problem = _range_error("dropout", dropout, allowed)
    if problem is None and not (dropout[0] >= 0 and dropout[1] < 1):
        problem = f"dropout must be (low, high) with {allowed}. Received: dropout={tuple(dropout)!r}."
    return problem


def _batch_sizes_error(sizes: Any) -> str | None:
    if isinstance(sizes, (tuple, list)) and sizes and all(isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in sizes):
        return None
    return f"batch_sizes must be a non-empty tuple of positive integers, e.g. (32, 64). Received: batch_sizes={sizes!r}."


#: the solvers a search may try: the step-by-step ones, whose epochs the trials score and stop (L-BFGS has none)
SEARCH_SOLVERS = ("adam", "adamw", "rmsprop", "sgd")
#: the weight averaging a search may try (None: the plain weights), as the estimators' ``weight_averaging`` takes it
SEARCH_AVERAGING = (None, "ema", "swa")
#: each solver's default ``learning_rate_init`` range (log scale). Adam, AdamW and RMSprop scale their steps by the
#: gradients' size; SGD (momentum 0.9) does not and wants rates ~10x larger: on standardized digits and breast
#: cancer (one layer of 64, 30 epochs) SGD kept within 2 points of its best from 3e-3 to 0.1, lost 4 points at 1e-3
#: and 9 at 0.3 (digits), while Adam's best lay within 1e-3..3e-2.
DEFAULT_LEARNING_RATES: dict[str, tuple[float, float]] = {
    "adam": (3e-4, 3e-2), "adamw": (3e-4, 3e-2), "rmsprop": (3e-4, 3e-2), "sgd": (3e-3, 1e-1)}
#: the name a trial samples its learning rate under when every solver shares one range (and the result rows' key)
RATE = "learning_rate_init"


def rate_name(solver: str) -> str:
    """The name a trial samples ``solver``'s learning rate under when the solvers' ranges differ: ``learning_rate_init[sgd]``."""
    return f"{RATE}[{solver}]"


def is_rate_name(name: str) -> bool:
    """Whether ``name`` is a sampled learning rate's: ``learning_rate_init`` or ``learning_rate_init[SOLVER]``."""
    return name == RATE or (name.startswith(RATE + "[") and name.endswith("]"))


def _choices_error(name: str, values: Any, allowed: tuple[Any, ...], example: str, why: str = "") -> str | None:
    """Why ``values`` is not a non-empty tuple of members of ``allowed``, or None."""
    if isinstance(values, (tuple, list)) and values and all(any(v is a or (isinstance(v, str) and v == a) for a in allowed) for v in values):
        return None
    shown = ", ".join("None" if a is None else repr(a) for a in allowed)
    return f"{name} must be a non-empty tuple of {shown}{why}, e.g. {example}. Received: {name}={values!r}."


def _solvers_error(solvers: Any) -> str | None:
    why = " (lbfgs is not offered: it has no epochs for a trial to score and stop)" if isinstance(solvers, (tuple, list)) and "lbfgs" in solvers else ""
    return _choices_error("solvers", solvers, SEARCH_SOLVERS, "('adam', 'sgd')", why)


def _space_errors(space: SearchSpace) -> list[str]:
    """Every field of ``space`` that cannot be searched, one message each (empty when it is fine)."""
    errors = [
        _layers_error(space.layers, space.widths),
        None if isinstance(space.funnel, bool) else f"funnel must be True or False. Received: funnel={space.funnel!r}.",
        _activations_error(space.activations),
        _learning_rate_error(space.learning_rate_init, space.solvers),
        _alpha_error(space.alpha),
        _dropout_error(space.dropout),
        _batch_sizes_error(space.batch_sizes),
        _choices_error("weight_averaging", space.weight_averaging, SEARCH_AVERAGING, "(None, 'swa')"),
        _solvers_error(space.solvers),
    ]
    return [e for e in errors if e is not None]


@dataclass(frozen=True)
class SearchSpace:
    """What :func:`search` may try. Ranges are ``(low, high)``; equal ends fix a value, as does a tuple of one value (:meth:`fixed`).

    :meth:`check` (run by :func:`search` before any trial) says which field is wrong.

    Parameters
    ----------
    layers : tuple of int
        Min and max number of hidden layers.
    widths : tuple of int
        The widths a layer may take.
    funnel : bool
        Keep only non-increasing widths (the usual shape, and a much smaller space).
    activations : tuple of str
        The hidden activations to try.
    learning_rate_init : tuple of float, or dict of str to tuple of float
        One ``(low, high)`` for every solver or a ``{solver: (low, high)}`` naming each searched solver, searched on a
        log scale (ends > 0); the default is per solver (``DEFAULT_LEARNING_RATES``: SGD's rates are ~10x Adam's). When
        the searched solvers' ranges differ, a trial samples its rate under its solver's name
        (``learning_rate_init[sgd]``, :meth:`rate_name_of`), so Optuna's TPE models each solver's rates apart; else
        under ``learning_rate_init``.
    alpha : tuple of float
        L2 penalty range, searched on a log scale, so its ends must be > 0 (``(0.0, 0.0)`` fixes no penalty).
    dropout : tuple of float
        Dropout range, in [0, 1).
    batch_sizes : tuple of int
        The batch sizes to try.
    weight_averaging : tuple of {None, "ema", "swa"}
        The estimators' ``weight_averaging`` values to try.
    solvers : tuple of str
        The solvers to try (``SEARCH_SOLVERS``: adam, adamw, rmsprop, sgd; not lbfgs, which has no epochs to score).
    """

    layers: tuple[int, int] = (1, 3)
    widths: tuple[int, ...] = (16, 32, 64, 128, 256)
    funnel: bool = False
    activations: tuple[str, ...] = ("relu", "tanh")
    learning_rate_init: tuple[float, float] | Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_LEARNING_RATES))
    alpha: tuple[float, float] = (1e-6, 1e-2)
    dropout: tuple[float, float] = (0.0, 0.0)
    batch_sizes: tuple[int, ...] = (32, 64, 128, 256)
    weight_averaging: tuple[str | None, ...] = (None,)
    solvers: tuple[str, ...] = ("adam",)

    def check(self) -> None:
        """Raise one ``ValueError`` naming the first field that cannot be searched (before any trial runs)."""
        errors = _space_errors(self)
        if errors:
            raise ValueError(errors[0])

    def fits_budget(self, max_params: int | None = None, max_flops: int | None = None) -> bool:
        """Whether any data at all could leave a spec of this space within the budgets (needs no data).

        With one input and one output, a spec's parameters and FLOPs grow with every width and with every added layer, and
        any data has at least one of each; so when the fewest layers of the smallest width break a budget there, every spec
        breaks it on every data set. The converse needs the data: :meth:`hidden_choices`.

        Parameters
        ----------
        max_params : int, optional
            The most parameters a spec may have (None: no limit).
        max_flops : int, optional
            The most FLOPs per row a spec may have (None: no limit).
        """
        problem = _layers_error(self.layers, self.widths)
        if problem is not None:
            raise ValueError(problem)
        return within_budget(1, [min(self.widths)] * self.layers[0], 1, max_params, max_flops)

    def learning_rates(self) -> dict[str, tuple[float, float]]:
        """Each searched solver's ``(low, high)`` learning-rate range, in ``solvers``' order (run :meth:`check` first)."""
        lr = self.learning_rate_init
        pairs = {s: lr[s] if isinstance(lr, Mapping) else lr for s in dict.fromkeys(self.solvers)}
        return {s: (float(lo), float(hi)) for s, (lo, hi) in pairs.items()}

    def __hash__(self) -> int:
        """As the dataclass's own hash, with a per-solver ``learning_rate_init`` dict hashed as its sorted items."""
        lr = self.learning_rate_init
        key = tuple(sorted((k, tuple(v)) for k, v in lr.items())) if isinstance(lr, Mapping) else lr
        return hash((self.layers, self.widths, self.funnel, self.activations, key, self.alpha, self.dropout, self.batch_sizes,
                     self.weight_averaging, self.solvers))

    def rate_name_of(self, solver: str | None) -> str:
        """The name a trial of ``solver`` samples its learning rate under.

        ``learning_rate_init[SOLVER]`` when the searched solvers' ranges differ, else ``learning_rate_init`` (the name of
        every study before per-solver ranges).

        Parameters
        ----------
        solver : str or None
            The trial's solver; None: not known yet, as when one range is shared.
        """
        if solver is None or len(set(self.learning_rates().values())) == 1:
            return RATE
        return rate_name(solver)

    def fixed(self) -> dict[str, Any]:
        """The settings the trials use without sampling them, by name: the float ranges whose ends are equal (the
        learning rate when every searched solver's range is the same point), and ``weight_averaging`` / ``solver`` when
        the space offers one value (``{"solver": "adam", ...}``)."""
        out: dict[str, Any] = {}
        rates = set(self.learning_rates().values())
        if len(rates) == 1 and len(set(point := rates.pop())) == 1:
            out[RATE] = point[0]
        out.update({name: float(lo) for name, (lo, hi) in (("alpha", self.alpha), ("dropout", self.dropout)) if lo == hi})
        for name, values in (("weight_averaging", self.weight_averaging), ("solver", self.solvers)):
            if len(set(values)) == 1:
                out[name] = values[0]
        return out

    def hidden_choices(self, n_in: int, n_out: int, max_params: int | None = None, max_flops: int | None = None) -> list[str]:
        """Every allowed hidden-layer spec as text ("64,32"), within the budgets.

        Parameters
        ----------
        n_in : int
            Input features of the data.
        n_out : int
            Outputs of the network.
        max_params : int, optional
            The most parameters a spec may have (None: no limit).
        max_flops : int, optional
            The most FLOPs per row a spec may have (None: no limit).
        """
        problem = _layers_error(self.layers, self.widths)
        if problem is not None:
            raise ValueError(problem)
        lo, hi = self.layers
        out = []
        for n in range(lo, hi + 1):
            for combo in itertools.product(sorted(set(self.widths), reverse=True), repeat=n):
                if self.funnel and any(a < b for a, b in zip(combo, combo[1:])):
                    continue
                if within_budget(n_in, list(combo), n_out, max_params, max_flops):
                    out.append(",".join(map(str, combo)))
        if len(out) > 50_000:
            raise ValueError(f"the space holds {len(out):,} hidden-layer specs: use fewer widths, fewer layers or funnel=True.")
        return out
