"""Which trial dominates which when latency is an objective: latencies within the timing's resolution are the same.

One rule for every place that ranks trials: the final Pareto front
(:func:`~hiddenlayers.rightsize._search.result.pareto_front`) and the NSGA-II
sampler's choice of parents (:mod:`~hiddenlayers.rightsize._search.elite`).
Why: a median latency moves by more than a few percent between two runs of the
same model on a busy machine; compared raw, that noise decides which trials
survive and breed, and which end on the front.
"""

from __future__ import annotations

from typing import Any

#: latencies closer than this share of the faster one are the same on the Pareto front (timing noise, not speed)
LATENCY_TOLERANCE = 0.05
#: the rule, as the table, the page and ``to_dict`` state it
SAME_LATENCY_RULE = (f"latencies count as the same when they differ by at most {LATENCY_TOLERANCE:.0%} of the faster one or by "
                     "the spread of either trial's timed calls (half their interquartile range), whichever is more")


def same_latency(a: float, b: float, spread_a: float | None = None, spread_b: float | None = None) -> bool:
    """Whether latencies ``a`` and ``b`` (µs) are the same within the measurement's resolution (:data:`SAME_LATENCY_RULE`).

    Why: a median latency moves by more than a few percent between two runs of the
    same model on a busy machine, so a model 0.01 µs faster is not faster. ``spread_*``:
    half the interquartile range of each trial's timed calls (None for trials stored before it was recorded).
    """
    resolution = max(LATENCY_TOLERANCE * min(a, b), spread_a or 0.0, spread_b or 0.0)
    return abs(a - b) <= resolution


def dominates(b: Any, a: Any, latency_at: int | None) -> bool:
    """Whether trial ``b`` dominates ``a``: at least as good in every objective and better in one.

    Score (``values[0]``) is maximised, the rest minimised; the latency (at ``latency_at``) compares within
    :func:`same_latency`: a latency no more than the resolution above ``a``'s is as good, and only one
    below it by more than that is better.
    """
    va, vb = a.values, b.values
    at_least, better = vb[0] >= va[0], vb[0] > va[0]
    for i in range(1, len(va)):
        if i == latency_at and same_latency(va[i], vb[i], _spread(a), _spread(b)):
            continue  # as good, not better
        at_least, better = at_least and vb[i] <= va[i], better or vb[i] < va[i]
    return at_least and better


def _spread(t: Any) -> float | None:
    """Trial ``t``'s latency spread (µs), None when not recorded."""
    from .limit import LATENCY_SPREAD_ATTR

    return getattr(t, "user_attrs", {}).get(LATENCY_SPREAD_ATTR)

__all__ = ["LATENCY_TOLERANCE", "SAME_LATENCY_RULE", "dominates", "same_latency"]
