"""A latency limit no network of the space can meet: said, and the search stopped, after the first few trials.

Why: a search under ``max_latency_us`` learned that no trial met its limit only
when every trial had run (30 by default, each trained on every fold), then said
"no feasible trial finished". What the search can honestly know early: each
complete trial's measured latency, and the latency of the space's cheapest
network. A batch-1 ``predict``'s time depends on the layers' shapes and the
activation, not on the trained weights, so the cheapest spec (fewest FLOPs) is
timed after one epoch on a few rows, as each trial is timed
(:func:`~hiddenlayers.rightsize._search.run.measure_latency`, same calls, same threads).

The rule (:class:`OutOfReach`): once the first ``OUT_OF_REACH_AFTER`` complete
trials are all over the limit, the cheapest spec is timed under each searched
activation; when even the fastest of those is over the limit beyond the timing's
resolution (:func:`~hiddenlayers.rightsize._search.dominance.same_latency`), every
untried spec is at least as costly as one measured over it, and the search stops
(Optuna's ``study.stop``). When the cheapest spec meets the limit, or is within
noise of it, the search goes on: a smaller spec than those tried may meet it.
The study records why (:data:`OUT_OF_REACH_ATTR`), so the result's error says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .dominance import same_latency
from .space import flops_of, outputs_of

#: how many complete trials must all be over the limit before the cheapest spec is timed
OUT_OF_REACH_AFTER = 3
#: the study's user attribute holding why the search stopped early: ``{"max_latency_us", "after", "spec", "latency_us"}``
OUT_OF_REACH_ATTR = "latency_out_of_reach"
_PROBE_ROWS = 256  # rows the cheapest spec trains one epoch on before it is timed (its weights do not change its time)


def cheapest_spec(setup: Any) -> str:
    """The hidden-layer spec of ``setup.choices`` with the fewest FLOPs per prediction (ties: the first)."""
    n_in, n_out = setup.X.shape[1], outputs_of(setup.y, setup.classifier)
    return min(setup.choices, key=lambda s: flops_of(n_in, [int(w) for w in s.split(",")], n_out))


def _probe_rows(setup: Any) -> np.ndarray:
    """Indices of up to ``_PROBE_ROWS`` rows of ``setup`` with every class of a label vector in them (one fit needs them all)."""
    y = np.asarray(setup.y)
    first = np.arange(min(len(y), _PROBE_ROWS))
    if setup.classifier and y.ndim == 1:
        first = np.union1d(first, np.unique(y, return_index=True)[1])
    return first


def probe_latency(setup: Any, build_estimator: Callable[..., Any], fit_or_interrupt: Callable[..., None],
                  measure_latency: Callable[..., tuple[float, float]]) -> tuple[str, float, float]:
    """``(spec, median, spread)``: the cheapest spec's batch-1 predict time (µs) under its fastest searched activation.

    Each activation's network trains one epoch on a few rows (:func:`_probe_rows`), then is timed as a trial is: with the
    trials' own ``build_estimator``, ``fit_or_interrupt`` and ``measure_latency`` (:mod:`~hiddenlayers.rightsize._search.run`'s,
    passed in: that module imports this one).
    """
    spec = cheapest_spec(setup)
    rows = _probe_rows(setup)
    X, y = setup.X[rows], np.asarray(setup.y)[rows]
    timed = []
    for activation in dict.fromkeys(setup.space.activations):
        cfg = {"hidden": spec, "activation": activation, "learning_rate_init": 1e-3, "alpha": 0.0, "dropout": 0.0,
               "batch_size": _PROBE_ROWS, "weight_averaging": None, "solver": "adam"}
        model = build_estimator(cfg, setup, None, epochs=1)
        fit_or_interrupt(model, X, y, None)
        timed.append(measure_latency(model, setup.X, setup.latency_calls))
    median, spread = min(timed)
    return spec, median, spread


class OutOfReach:
    """An Optuna callback that stops the search when no spec of the space can meet ``setup.max_latency_us`` (see the module).

    ``setup``: the search's :class:`~hiddenlayers.rightsize._search.run.TrialSetup`; ``probe``: what times the cheapest
    spec, ``setup`` -> ``(spec, median µs, spread µs)`` (:func:`probe_latency` with the trials' builders), called at most once.
    ``reason``: the stop's record, None until then.
    """

    def __init__(self, setup: Any, probe: Callable[[Any], tuple[str, float, float]]) -> None:
        self.setup, self.probe = setup, probe
        self.probed: tuple[str, float, float] | None = None
        self.reason: dict[str, Any] | None = None

    def __call__(self, study: Any, trial: Any) -> None:
        import optuna

        from .limit import LATENCY_ATTR  # imports optuna: not at import time

        limit = self.setup.max_latency_us
        if limit is None or self.reason is not None:
            return
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        latencies = [t.user_attrs.get(LATENCY_ATTR) for t in done]
        if len(latencies) < OUT_OF_REACH_AFTER or any(not isinstance(v, (int, float)) or v <= limit for v in latencies):
            return
        if self.probed is None:
            self.probed = self.probe(self.setup)
        spec, median, spread = self.probed
        if median <= limit or same_latency(median, limit, spread):
            return  # the cheapest spec meets the limit, or is within the timing's noise of it: a smaller spec may
        self.reason = {"max_latency_us": float(limit), "after": len(done), "spec": spec, "latency_us": float(median)}
        study.set_user_attr(OUT_OF_REACH_ATTR, self.reason)
        study.stop()


def out_of_reach_text(study: Any, max_latency_us: float | None) -> str | None:
    """One line saying why the search stopped early under ``max_latency_us`` (µs), or None when it did not
    (or stopped under another limit: a resumed study's record of an earlier one)."""
    reason = study.user_attrs.get(OUT_OF_REACH_ATTR) if max_latency_us is not None else None
    if not isinstance(reason, dict) or reason.get("max_latency_us") != float(max_latency_us):  # type: ignore[arg-type]
        return None
    return (f"stopped early: all {reason['after']} complete trials are over the latency limit of {max_latency_us:g} µs, and so is the "
            f"smallest network the space allows (hidden layers {reason['spec']}: {reason['latency_us']:.3g} µs per prediction): "
            "raise max_latency_us, or search smaller networks (fewer, narrower layers).")


__all__ = ["OUT_OF_REACH_AFTER", "OUT_OF_REACH_ATTR", "OutOfReach", "cheapest_spec", "out_of_reach_text", "probe_latency"]
