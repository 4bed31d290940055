"""What a refusal adds when it is handed a model that is not one of ours: another library's MLP, or a Pipeline around ours.

``cost``, ``prune`` and ``explain`` run one fitted hiddenlayers model (the lens also takes a Pipeline ending in one). scikit-learn's own
``MLPClassifier`` (same class name, same ``hidden_layer_sizes``) and a ``Pipeline(StandardScaler(), hl.MLPClassifier())``
(scikit-learn's recipe for an MLP, and what ``hl.load`` gives back for a saved Pipeline) are neither, and
"Received: MLPClassifier" or "Received: Pipeline" alone did not say what to pass instead.
"""

from __future__ import annotations

from typing import Any


def foreign(model: Any) -> bool:
    """Whether ``model`` is no hiddenlayers class (nor a subclass of one): scikit-learn's ``MLPClassifier`` has ``hidden_layer_sizes`` too,
    and, fitted, is no unfitted model of ours."""
    return not any(c.__module__.split(".")[0] == "hiddenlayers" for c in type(model).__mro__)


def foreign_note(model: Any) -> str:
    """For a refusal of ``model``: where another library's estimator comes from, and the hiddenlayers class that takes its parameters."""
    if not foreign(model) or not hasattr(model, "hidden_layer_sizes"):
        return ""
    name = type(model).__name__
    mlp = name in ("MLPClassifier", "MLPRegressor")
    return f" from {type(model).__module__.split('.')[0]}, not hiddenlayers" + (f": fit hl.{name} instead (it takes the same parameters)" if mlp else "")


def pipeline_note(model: Any, fix: str) -> str:
    """For a refusal of ``model``: when it is a scikit-learn ``Pipeline`` whose last step is a hiddenlayers model, how to pass that step.

    ``fix`` is the call to write, with ``pipe`` for the Pipeline: ``pipe[-1]`` is the fitted model and
    ``pipe[:-1].transform(X)`` the rows it reads. Empty for anything else (a Pipeline of another library's model too).
    """
    steps = getattr(model, "steps", None)
    if not (isinstance(steps, list) and steps and hasattr(model, "named_steps")):
        return ""
    last = steps[-1][1]
    if foreign(last):
        return ""
    return f" (a scikit-learn Pipeline: pass its last step, {type(last).__name__}: {fix})"


__all__ = ["foreign", "foreign_note", "pipeline_note"]
