"""Split a fitted scikit-learn ``Pipeline`` that ends in a hiddenlayers model into its steps and that model.

Shared by every stage that takes such a Pipeline where it takes the model alone: the lens (``lens.as_target``), ``cost``
and ``prune`` (``rightsize``) and ``explain`` (``estimators``). Each runs the rows through the steps first, then does what
it does for the last step; one rule here says which Pipelines those are, so the stages cannot disagree.
"""

from __future__ import annotations

from typing import Any

from ._words import foreign


def split_pipeline(model: Any) -> tuple[Any, Any] | None:
    """``(pipe[:-1] or None, pipe[-1])`` for a scikit-learn ``Pipeline`` whose last step is a hiddenlayers model and whose other
    steps all transform (``"passthrough"`` and None steps aside; None for the head when only those precede the model); None for
    anything else, a Pipeline of another library's model (scikit-learn's MLP) included, which the callers refuse in one line.

    Why ``pipe[:-1]`` and not the step list: it is the fitted steps themselves (never refitted), and its ``transform`` and
    ``get_feature_names_out`` are scikit-learn's own.
    """
    steps = getattr(model, "steps", None)
    if not (isinstance(steps, list) and steps and hasattr(model, "named_steps")):
        return None
    from torch import nn

    if isinstance(model, nn.Module):
        return None
    last = steps[-1][1]
    if last is None or isinstance(last, str) or foreign(last):
        return None
    kept = [step for _, step in real_steps(steps[:-1])]
    if not all(callable(getattr(step, "transform", None)) for step in kept):
        return None
    return (model[:-1] if kept else None), last


def real_steps(steps: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The ``(name, step)`` pairs of a Pipeline's ``steps`` that do something: ``"passthrough"`` and None steps left out."""
    return [(name, step) for name, step in steps if not (step is None or isinstance(step, str))]


def step_classes(steps: list[tuple[str, Any]]) -> str:
    """The classes of the ``steps`` that do something, for a message or a title: ``"StandardScaler, PCA"``."""
    return ", ".join(type(step).__name__ for _, step in real_steps(steps))


def head_names(head: Any, width: int | None = None) -> list[str] | None:
    """The names of the columns ``head`` (a Pipeline's steps before its model) gives, by its ``get_feature_names_out()``; None
    when the steps give no names (a step without the method) or, with ``width``, not ``width`` of them."""
    if head is None:
        return None
    try:
        found = head.get_feature_names_out()
    except (AttributeError, TypeError, ValueError):  # a step with no names out (scikit-learn raises AttributeError for those)
        return None
    if found is None or (width is not None and len(found) != width):
        return None
    return [str(n) for n in found]


def require_fitted_head(head: Any, last: Any, what: str) -> None:
    """A one-line ``NotFittedError`` (ours, also scikit-learn's) in ``what``'s words when a step of ``head``, the steps before
    ``last``, is not fitted: a fitted model put into an unfitted Pipeline would otherwise be measured on rows no step could transform.

    Each step is checked, not ``head`` as a Pipeline: scikit-learn judges a Pipeline by its last step only, and takes one
    that ends in a None step as fitted whatever precedes it (``[StandardScaler(), None]``).
    """
    if head is None:
        return
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        for _, step in head.steps:
            if not (step is None or isinstance(step, str)):  # None and "passthrough" steps have nothing to fit
                check_is_fitted(step)
    except SklearnNotFittedError:
        from .exceptions import NotFittedError

        raise NotFittedError(f"{what} needs a fitted model: this Pipeline's steps before {type(last).__name__} are not fitted yet; "
                             "call pipe.fit(X, y) first.") from None


def through_head(head: Any, X: Any) -> Any:
    """``X`` as the Pipeline's model reads it: ``head.transform(X)``, or ``X`` itself when no step precedes the model."""
    return X if head is None else head.transform(X)


__all__ = ["head_names", "real_steps", "require_fitted_head", "split_pipeline", "step_classes", "through_head"]
