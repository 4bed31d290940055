"""What a resumed study's trials chose among and trained with, held against this search's before any trial runs.

Optuna keeps one list of choices per categorical setting of a study (``hidden``,
``activation``, ``batch_size``, ``weight_averaging``, ``solver``): a resumed search
offering another list would fail every new trial with Optuna's "does not support
dynamic value space", one log line each, and return the old trials only. A
regression's trials also record ``scale_target``, which changes what they train.
:func:`check_resumed_space` says either mismatch in one line instead.
"""

from __future__ import annotations

from typing import Any

from .run import TrialSetup

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
    for t in study.get_trials(deepcopy=False):
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


__all__ = ["check_resumed_space", "offered"]
