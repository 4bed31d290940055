"""What a resumed study's trials chose among and trained with, held against this search's before any trial runs.

Optuna keeps one list of choices per categorical setting of a study (``hidden``,
``activation``, ``batch_size``, ``weight_averaging``, ``solver``): a resumed search
offering another list would fail every new trial with Optuna's "does not support
dynamic value space", one log line each, and return the old trials only. A
regression's trials also record ``scale_target``, which changes what they train.
A study samples each learning rate under one name (``learning_rate_init``, or
``learning_rate_init[SOLVER]`` when the solvers' ranges differ): a search of the other
layout would run, but Optuna's TPE would model its rates apart from every earlier
trial's, so the study's rates would teach it nothing. :func:`check_resumed_space`
says any of these mismatches in one line instead.
"""

from __future__ import annotations

from typing import Any

from .run import TrialSetup
from .space import RATE, is_rate_name

#: each sampled categorical setting as the error names it
_NAMES = {"hidden": "hidden-layer specs (from layers, widths, funnel, max_params and max_flops)", "activation": "activations",
          "batch_size": "batch_sizes", "weight_averaging": "weight_averaging", "solver": "solvers"}


def offered(setup: TrialSetup) -> dict[str, tuple[Any, ...]]:
    """The choices this search's trials sample each categorical setting among (a setting the space fixes is not sampled)."""
    sp, fixed = setup.space, setup.space.fixed()
    out: dict[str, tuple[Any, ...]] = {"hidden": tuple(setup.choices), "activation": tuple(sp.activations),
                                       "batch_size": tuple(sp.batch_sizes)}
    for name, values in (("weight_averaging", sp.weight_averaging), ("solver", sp.solvers)):
        if name not in fixed:
            out[name] = tuple(values)
    return out


def _shown(choices: tuple[Any, ...]) -> str:
    """``('relu', 'tanh')``; a long list as its first six and a count."""
    if len(choices) <= 6:
        return repr(choices)
    return f"({', '.join(map(repr, choices[:6]))}, ... {len(choices)} in all)"


def check_resumed_space(study: Any, setup: TrialSetup, storage: Any) -> None:
    """A one-line ValueError when study ``study`` (resumed from ``storage``) holds trials that sampled a categorical
    setting among other choices than this search offers, or (regression) trials trained with another ``scale_target``."""
    mine = offered(setup)
    trials = study.get_trials(deepcopy=False)
    _check_rate_names(study, trials, setup, storage)
    for t in trials:
        for name, dist in t.distributions.items():
            theirs = tuple(getattr(dist, "choices", ()))
            if name in mine and theirs != mine[name]:
                raise ValueError(
                    f"study {study.study_name!r} in {storage} chose its {_NAMES[name]} among {_shown(theirs)}, and this search offers "
                    f"{_shown(mine[name])}: an Optuna study keeps one list of choices per setting. Pass a new study_name, "
                    "or the choices the study was run with.")
        stored = t.user_attrs.get("scale_target")
        if not setup.classifier and stored is not None and bool(stored) != setup.scale_target:
            raise ValueError(
                f"study {study.study_name!r} in {storage} holds trials trained with scale_target={bool(stored)}, and this search has "
                f"scale_target={setup.scale_target}: their scores come from other training and do not rank together. Pass a new "
                f"study_name, or scale_target={bool(stored)}.")


def rate_names(setup: TrialSetup) -> set[str]:
    """The names this search's trials sample a learning rate under (none when the space fixes the rate)."""
    sp = setup.space
    if RATE in sp.fixed():
        return set()
    return {sp.rate_name_of(s) for s, (lo, hi) in sp.learning_rates().items() if lo != hi}


def _check_rate_names(study: Any, trials: list[Any], setup: TrialSetup, storage: Any) -> None:
    """A one-line ValueError when the study's trials sampled learning rates under a name this search does not sample
    (one shared range against per-solver ranges, or the other way); a search that fixes the rate samples none and is not refused."""
    mine = rate_names(setup)
    theirs = sorted({n for t in trials for n in t.distributions if is_rate_name(n)})
    if not mine or all(n in mine for n in theirs):
        return
    shared = RATE in theirs
    fix = ("one learning_rate_init range for every solver (CLI: --lr LOW,HIGH), as the study's trials had" if shared else
           "per-solver learning_rate_init ranges that differ, as the study's trials had (CLI: --lr SOLVER=LOW:HIGH,...)")
    raise ValueError(
        f"study {study.study_name!r} in {storage} sampled its learning rates as {', '.join(theirs)}, and this search samples "
        f"{', '.join(sorted(mine))}: {'one range for every solver' if shared else 'a range per solver'} against "
        f"{'a range per solver' if shared else 'one range for every solver'}, so the study's rates would not guide the sampler. "
        f"Pass a new study_name, or {fix}.")


__all__ = ["check_resumed_space", "offered", "rate_names"]
