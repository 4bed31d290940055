"""Ctrl-C inside a longer job made of fits (a search's trial, prune's refits and fine-tuning, the lens's freeze curve)
stops the job, not just one fit. Here, below every stage that runs such a job, so each takes the one rule."""

from __future__ import annotations

from typing import Any


def reraise_interrupt(model: Any) -> Any:
    """``model``, after a fit or ``partial_fit``; raises ``KeyboardInterrupt`` when Ctrl-C stopped it (its stop reason ``"interrupted"``).

    Why: the estimators take Ctrl-C as "stop this fit, keep the best weights" and return, which is right for one fit and
    wrong for a fit that is one step of a longer job: the job went on as if the fit had finished. Raised again, the job
    stops where it was asked to.

    Parameters
    ----------
    model : estimator or application
        What the fit returned.
    """
    history = getattr(model, "history_", None)  # either record: a model may keep only one of the two
    if "interrupted" in (getattr(model, "stop_reason_", None), getattr(history, "stop_reason", None)):
        raise KeyboardInterrupt
    return model


__all__ = ["reraise_interrupt"]
