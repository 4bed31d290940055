"""The latency limit as the sampler sees it: each trial's constraint derived from its measured latency and *this* search's limit.

Optuna stores a trial's constraint value once, when the trial finishes
(``Trial.set_constraint`` in Optuna 5, the sampler's ``constraints_func`` in
Optuna 4), and a finished trial cannot be changed. A study resumed with
another ``max_latency_us`` would then steer TPE and NSGA-II by the old limit.
:class:`LimitSampler` wraps the sampler and hands it a view of the study whose
trials carry ``latency_us - max_latency_us`` for the limit now given (no
constraint without a limit); the stored trials are left as they are.

Every Optuna sampler reads trials through ``Study._get_trials`` (TPE,
NSGA-II and the GA base in Optuna 4 and 5); ``test_search`` checks that TPE
and NSGA-II see the new limit, so a change there shows as a failing test.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from optuna.samplers import BaseSampler

LATENCY_ATTR = "latency_us"  # the trial's user attribute holding its measured batch-1 predict p50 (µs)
LATENCY_SPREAD_ATTR = "latency_spread_us"  # half the interquartile range of those timed calls (µs)
CONSTRAINT_KEY = "latency_us"  # the constraint's name (Optuna 5: system attribute "constraints:latency_us")
_STORED = "constraints"  # Optuna's system attribute: a list (Optuna 4), or the prefix of "constraints:NAME" (Optuna 5)


@functools.cache
def trial_constraints() -> bool:
    """Whether this Optuna records constraints on the trial itself (``Trial.set_constraint``, Optuna 5)."""
    import optuna

    return hasattr(optuna.trial.Trial, "set_constraint")


def constraint_attrs(latency_us: float, max_latency_us: float | None) -> dict[str, Any]:
    """The system attributes that say ``latency_us - max_latency_us`` (<= 0 is feasible) in this Optuna's format; none without a limit."""
    if max_latency_us is None:
        return {}
    value = float(latency_us) - float(max_latency_us)
    return {f"{_STORED}:{CONSTRAINT_KEY}": value} if trial_constraints() else {_STORED: (value,)}


def _judged(trial: Any, max_latency_us: float | None) -> Any:
    """``trial``, or a copy whose constraint follows ``max_latency_us`` when its stored one does not (a trial without a measured latency as it is)."""
    latency = trial.user_attrs.get(LATENCY_ATTR)
    if not isinstance(latency, (int, float)):
        return trial
    attrs = {k: v for k, v in trial.system_attrs.items() if k != _STORED and not k.startswith(f"{_STORED}:")}
    attrs.update(constraint_attrs(latency, max_latency_us))
    if attrs == trial.system_attrs:
        return trial
    out = copy.copy(trial)
    out.system_attrs = attrs
    return out


class _StudyView:
    """``study`` as the wrapped sampler reads it: trials judged by this search's limit; everything else is the study's own."""

    def __init__(self, study: Any, judge: Any) -> None:
        self._study, self._judge = study, judge

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)

    def _get_trials(self, deepcopy: bool = True, states: Any = None, use_cache: bool = False) -> list[Any]:
        return [self._judge(t) for t in self._study._get_trials(deepcopy=deepcopy, states=states, use_cache=use_cache)]

    def get_trials(self, deepcopy: bool = True, states: Any = None) -> list[Any]:
        return [self._judge(t) for t in self._study.get_trials(deepcopy=deepcopy, states=states)]

    @property
    def trials(self) -> list[Any]:
        return self.get_trials()


class LimitSampler(BaseSampler):
    """``sampler``, steered by the latency constraint of ``max_latency_us`` (µs; None: no constraint) whatever limit the study's trials ran under."""

    def __init__(self, sampler: BaseSampler, max_latency_us: float | None) -> None:
        self.sampler = sampler
        self.max_latency_us = max_latency_us

    def _judge(self, trial: Any) -> Any:
        # not cached: a trial is copied only where its stored constraint differs, and one sampler may serve several studies
        return _judged(trial, self.max_latency_us)

    def _view(self, study: Any) -> Any:
        return _StudyView(study, self._judge)

    def infer_relative_search_space(self, study: Any, trial: Any) -> Any:
        return self.sampler.infer_relative_search_space(self._view(study), trial)

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> Any:
        return self.sampler.sample_relative(self._view(study), trial, search_space)

    def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
        return self.sampler.sample_independent(self._view(study), trial, param_name, param_distribution)

    def before_trial(self, study: Any, trial: Any) -> None:
        self.sampler.before_trial(self._view(study), trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self.sampler.after_trial(self._view(study), trial, state, values)

    def reseed_rng(self) -> None:
        self.sampler.reseed_rng()


__all__ = ["CONSTRAINT_KEY", "LATENCY_ATTR", "LATENCY_SPREAD_ATTR", "LimitSampler", "constraint_attrs", "trial_constraints"]
