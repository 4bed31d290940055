"""NSGA-II's parents chosen under the search's dominance rule: latencies within the timing's resolution are the same.

Optuna's :class:`~optuna.samplers.NSGAIISampler` picks each generation's parents
(``select_parent``) by its ``elite_population_selection_strategy``: non-dominated
fronts of the previous generation and its parents, the last front cut by crowding
distance. Its default compares raw values, so a latency 1% lower (timing noise)
dominated, and noise chose the parents. :class:`SameLatencyElite` is that strategy
with :func:`~hiddenlayers.rightsize._search.dominance.dominates` (the Pareto front's
rule) between feasible trials; the latency limit as the sampler judges it
(:mod:`~hiddenlayers.rightsize._search.limit`): a trial over ``max_latency_us`` ranks
below every feasible one, and among such trials the smaller excess ranks first
(Deb's rule, as Optuna's constrained NSGA-II). The strategy is a constructor argument of
``NSGAIISampler`` (Optuna >= 3.3; experimental there); no Optuna internals are touched.

Not changed: the binary tournament inside Optuna's crossover, which picks one of two
random parents by raw dominance (the parents themselves were chosen here).
"""

from __future__ import annotations

from typing import Any

from .dominance import dominates
from .limit import LATENCY_ATTR


def excess(trial: Any, max_latency_us: float | None) -> float:
    """How far trial ``trial``'s measured latency (µs) is over ``max_latency_us``: 0 when within it, without a limit or a latency."""
    latency = trial.user_attrs.get(LATENCY_ATTR)
    if max_latency_us is None or not isinstance(latency, (int, float)):
        return 0.0
    return max(0.0, float(latency) - float(max_latency_us))


def constrained_dominates(b: Any, a: Any, latency_at: int | None, max_latency_us: float | None) -> bool:
    """Whether trial ``b`` dominates ``a`` for the sampler: feasible beats infeasible, the smaller excess among infeasible,
    :func:`~hiddenlayers.rightsize._search.dominance.dominates` (latencies within the resolution the same) among feasible."""
    ea, eb = excess(a, max_latency_us), excess(b, max_latency_us)
    if ea > 0 or eb > 0:
        return eb < ea
    return dominates(b, a, latency_at)


def rank_fronts(trials: list[Any], latency_at: int | None, max_latency_us: float | None = None) -> list[list[Any]]:
    """``trials`` in non-dominated fronts under :func:`constrained_dominates`, best front first (each in the given order)."""
    left = list(trials)
    fronts = []
    while left:
        front = [a for a in left if not any(b is not a and constrained_dominates(b, a, latency_at, max_latency_us) for b in left)]
        fronts.append(front)
        left = [t for t in left if all(t is not f for f in front)]
    return fronts


def crowding_order(front: list[Any]) -> list[Any]:
    """``front`` by NSGA-II's crowding distance, most isolated first (the ends of each objective first; then the
    sum of the normalised gaps to each objective's neighbours); ties keep the given order."""
    n = len(front)
    if n <= 2:
        return list(front)
    distance = [0.0] * n
    for i in range(len(front[0].values)):
        order = sorted(range(n), key=lambda k: front[k].values[i])
        low, high = front[order[0]].values[i], front[order[-1]].values[i]
        if high == low:
            continue
        distance[order[0]] = distance[order[-1]] = float("inf")
        for j in range(1, n - 1):
            distance[order[j]] += (front[order[j + 1]].values[i] - front[order[j - 1]].values[i]) / (high - low)
    return [front[k] for k in sorted(range(n), key=lambda k: -distance[k])]


class SameLatencyElite:
    """NSGA-II's elite population selection (``NSGAIISampler(elite_population_selection_strategy=)``) under the search's
    dominance: ``population_size`` trials, whole fronts of :func:`rank_fronts` while they fit, the last cut by :func:`crowding_order`.
    ``latency_at``: the latency's index among the objectives (None: values compare exactly); ``max_latency_us``: the limit (µs) or None.
    """

    def __init__(self, population_size: int, latency_at: int | None, max_latency_us: float | None = None) -> None:
        self.population_size, self.latency_at, self.max_latency_us = population_size, latency_at, max_latency_us

    def __call__(self, study: Any, population: list[Any]) -> list[Any]:
        elite: list[Any] = []
        for front in rank_fronts([t for t in population if t.values is not None], self.latency_at, self.max_latency_us):
            room = self.population_size - len(elite)
            elite.extend(front if len(front) <= room else crowding_order(front)[:room])
            if len(elite) >= self.population_size:
                break
        return elite


__all__ = ["SameLatencyElite", "constrained_dominates", "crowding_order", "excess", "rank_fronts"]
