"""The NSGA-II sampler picks parents under the Pareto front's rule: latencies within the timing's resolution are the same."""

from __future__ import annotations

import optuna
import pytest

from hiddenlayers.rightsize._search.dominance import dominates
from hiddenlayers.rightsize._search.elite import SameLatencyElite, constrained_dominates, crowding_order, rank_fronts
from hiddenlayers.rightsize._search.run import make_sampler


def _trial(score: float, latency: float, spread: float = 0.0):
    return optuna.trial.create_trial(values=[score, latency], user_attrs={"latency_us": latency, "latency_spread_us": spread})


def test_latencies_within_the_resolution_do_not_dominate_each_other_in_the_samplers_view() -> None:
    a, b = _trial(0.90, 100.0), _trial(0.90, 103.0)  # 3% apart: within 5% of the faster
    assert not constrained_dominates(a, b, 1, None) and not constrained_dominates(b, a, 1, None)
    assert rank_fronts([a, b], 1) == [[a, b]]  # one front: raw values put b behind a
    wide = _trial(0.90, 110.0)  # 10% apart: a is faster
    assert constrained_dominates(a, wide, 1, None) and rank_fronts([wide, a], 1) == [[a], [wide]]
    spread = _trial(0.90, 110.0, spread=12.0)  # a noisy timing widens the resolution
    assert not constrained_dominates(a, spread, 1, None)
    assert rank_fronts([a, b], None) == [[a], [b]]  # no latency objective: values compare exactly


def test_the_elite_keeps_the_better_score_over_a_latency_faster_only_by_noise() -> None:
    a, b = _trial(0.90, 100.0), _trial(0.90, 103.0)
    g = _trial(0.85, 101.0)  # worse score; 2 µs faster than b, within the noise: b dominates it (raw values: neither does)
    assert dominates(b, g, 1)
    elite = SameLatencyElite(2, 1)(None, [g, b, a])
    assert sorted(t.values[1] for t in elite) == [100.0, 103.0]
    raw = SameLatencyElite(2, None)(None, [g, b, a])  # raw values, as Optuna's default compares: g, faster by noise, takes b's place
    assert sorted(t.values[1] for t in raw) == [100.0, 101.0]


def test_a_study_runs_generations_with_it(monkeypatch) -> None:
    """Optuna calls the strategy as its own (each generation's parents): a toy objective over three generations of 16."""
    def objective(trial):
        width = trial.suggest_int("width", 1, 64)
        latency = 10.0 + width + trial.suggest_float("noise", 0.0, 0.3)
        trial.set_user_attr("latency_us", latency)
        return 1.0 - 1.0 / width, latency

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=make_sampler(2, 0, None, 1))
    calls = []
    real = SameLatencyElite.__call__

    def counted(self, st, pop):
        calls.append(len(pop))
        return real(self, st, pop)

    monkeypatch.setattr(SameLatencyElite, "__call__", counted)
    study.optimize(objective, n_trials=48)
    assert calls and max(calls) >= 16 and len(study.trials) == 48


def test_over_the_latency_limit_ranks_below_every_feasible_trial() -> None:
    fast, slow, slower = _trial(0.5, 40.0), _trial(0.99, 80.0), _trial(0.99, 90.0)
    assert rank_fronts([slower, slow, fast], 1, max_latency_us=50.0) == [[fast], [slow], [slower]]
    assert SameLatencyElite(1, 1, 50.0)(None, [slow, fast]) == [fast]


def test_crowding_keeps_each_objectives_ends_first() -> None:
    front = [_trial(0.8, 50.0), _trial(0.85, 70.0), _trial(0.9, 100.0), _trial(0.86, 72.0)]
    kept = crowding_order(front)[:2]
    assert {t.values[1] for t in kept} == {50.0, 100.0}


@pytest.mark.parametrize(("objectives", "wired"), [(("score", "latency"), True), (("score", "params"), False)])
def test_the_search_sampler_selects_parents_with_it(monkeypatch, objectives, wired) -> None:
    seen = {}
    real = optuna.samplers.NSGAIISampler

    def spy(**kwargs):
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(optuna.samplers, "NSGAIISampler", spy)
    make_sampler(2, 0, 60.0, objectives.index("latency") if "latency" in objectives else None)
    strategy = seen["elite_population_selection_strategy"]
    assert isinstance(strategy, SameLatencyElite) == wired
    if wired:
        assert (strategy.latency_at, strategy.max_latency_us, strategy.population_size) == (1, 60.0, seen["population_size"])
