"""Deprecated parameter names of the applications, read for one deprecation cycle (scikit-learn's way).

``DQNAgent(learning_rate=...)`` was its Adam step size while every other estimator and app calls it
``learning_rate_init`` (scikit-learn's name). The old keyword stays in the signature with the default
:data:`DEPRECATED` (so ``get_params``/``clone`` see it); ``fit`` reads a value given there with one
``FutureWarning`` naming the new word. Saved files and pickles of the old spelling load as the new one.

``DQNAgent.fit(max_time=...)`` was the agent's time budget while every other app has ``max_time`` as a constructor
parameter: ``fit`` still reads it for one deprecation cycle (:func:`fit_max_time`), and a stored stop reason
``"max_time"`` (files written before) reads as the others' ``"time_limit"`` (:func:`renamed_stop_reason`).
"""

from __future__ import annotations

import warnings
from numbers import Real
from typing import Any

from .._params import Constraint
from .._stacklevel import user_stacklevel

#: the default of a deprecated keyword: "not given" (scikit-learn's marker)
DEPRECATED = "deprecated"


def step_size(learning_rate_init: float, learning_rate: Any, default: float) -> float:
    """The step size to train with: ``learning_rate_init``, or a deprecated ``learning_rate`` (one FutureWarning).

    Both given (``learning_rate_init`` not at its ``default``) is a ValueError: which one was meant is unclear.
    """
    if isinstance(learning_rate, str) and learning_rate == DEPRECATED:
        return float(learning_rate_init)
    if learning_rate_init != default:
        raise ValueError(f"learning_rate={learning_rate!r} and learning_rate_init={learning_rate_init!r} were both given: "
                         "learning_rate is the deprecated name of learning_rate_init; pass learning_rate_init only.")
    warnings.warn(f"'learning_rate' was renamed to 'learning_rate_init' (scikit-learn's name, as every other hiddenlayers estimator and app) "
                  f"and will be removed in the next minor release: pass learning_rate_init={learning_rate!r} instead.",
                  FutureWarning, stacklevel=user_stacklevel())
    return float(learning_rate)


def renamed_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` (a saved file's, or a pickle's ``__dict__``) with a numeric ``learning_rate`` moved to ``learning_rate_init``.

    A file or pickle written before the rename holds ``learning_rate`` only; one written since by a user who passed the
    old keyword holds both. Either way the value the agent trained with is ``learning_rate``'s, now under the new name.
    """
    old = params.get("learning_rate")
    if isinstance(old, Real) and not isinstance(old, bool):
        params = {**params, "learning_rate_init": float(old), "learning_rate": DEPRECATED}
    return params


def fit_max_time(param: float | None, given: float | None, constraint: Constraint) -> float | None:
    """The seconds one ``DQNAgent.fit`` call may take: the ``max_time`` parameter (``param``, checked by the table), or a
    deprecated ``fit(max_time=given)`` checked by the same ``constraint`` (one FutureWarning); None: no limit.

    Both given is a ValueError in one line: which budget was meant is unclear.
    """
    if given is None:
        return param
    if param is not None:
        raise ValueError(f"fit(max_time={given!r}) and DQNAgent(max_time={param!r}) were both given: fit's max_time is the deprecated "
                         "place of the agent's max_time parameter; pass DQNAgent(max_time=...) (or set_params) only.")
    constraint.check("max_time", given)
    warnings.warn(f"DQNAgent.fit's 'max_time' moved to the agent's parameters (as every other hiddenlayers app's) and will be removed "
                  f"from fit in the next minor release: pass DQNAgent(max_time={given!r}) or agent.set_params(max_time={given!r}) instead.",
                  FutureWarning, stacklevel=user_stacklevel())
    return float(given)


#: stop reasons stored under an older name -> today's
_STOP_REASONS = {"max_time": "time_limit"}


def renamed_stop_reason(summary: Any) -> Any:
    """A DQNAgent's stored training summary with an old stop reason in today's words.

    ``"max_time"`` -> ``"time_limit"``, the others' name for the same stop; anything else, or a summary that is not a
    dict, returned as it is.

    Parameters
    ----------
    summary : dict or object
        The summary read from a model file.
    """
    if isinstance(summary, dict) and summary.get("stop_reason") in _STOP_REASONS:
        return {**summary, "stop_reason": _STOP_REASONS[summary["stop_reason"]]}
    return summary


__all__ = ["DEPRECATED", "fit_max_time", "renamed_params", "renamed_stop_reason", "step_size"]
