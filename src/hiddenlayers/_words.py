"""Small helpers for the wording of messages, shared by every stage."""

from __future__ import annotations


def article(name: object, *, quoted: bool = False) -> str:
    """``name`` with its indefinite article, by its first letter: ``"an Autoencoder"``, ``"a TextClassifier"``,
    ``"an MLPClassifier"`` (an initialism is read by its letters);
    ``quoted=True`` quotes the name (``"an 'ImageClassifier'"``), as messages naming a file's stored class do."""
    text = str(name)
    shown = repr(text) if quoted else text
    spelt = text[:2].isupper() and text[:2].isalpha()  # an initialism, read letter by letter: "an MLPClassifier", "a DQNAgent"
    return f"{'an' if text and text[:1].upper() in ('AEFHILMNORSX' if spelt else 'AEIOU') else 'a'} {shown}"


def foreign(model: object) -> bool:
    """Whether ``model`` is no hiddenlayers class (nor a subclass of one): scikit-learn's ``MLPClassifier`` has our class name and
    ``hidden_layer_sizes`` too, and, fitted, is no unfitted model of ours."""
    return not any(c.__module__.split(".")[0] == "hiddenlayers" for c in type(model).__mro__)


def foreign_note(model: object) -> str:
    """For a refusal of ``model``: where another library's estimator comes from, and the hiddenlayers class that takes its parameters
    (``" from sklearn, not hiddenlayers: fit hl.MLPClassifier instead (it takes the same parameters)"``); ``""`` for others."""
    if not foreign(model) or not hasattr(model, "hidden_layer_sizes"):
        return ""
    name = type(model).__name__
    mlp = name in ("MLPClassifier", "MLPRegressor")
    return f" from {type(model).__module__.split('.')[0]}, not hiddenlayers" + (f": fit hl.{name} instead (it takes the same parameters)" if mlp else "")


def pipeline_note(model: object, fix: str) -> str:
    """For a refusal of ``model``: when it is a scikit-learn ``Pipeline`` whose last step is a hiddenlayers model, why it is
    refused and what to pass.

    The stages take such a Pipeline whole when every step before the model transforms (:func:`hiddenlayers._pipe.split_pipeline`),
    so one they refuse has a step that does not (a classifier in the middle): that step is named, as ``pipe[:-1].transform``
    cannot run either. ``fix`` is the call to write otherwise, with ``pipe`` for the Pipeline: ``pipe[-1]`` is the fitted
    model and ``pipe[:-1].transform(X)`` the rows it reads. A Pipeline ending in another library's MLP is named with
    :func:`foreign_note`'s words (scikit-learn's ``MLPClassifier``: fit ``hl.MLPClassifier`` in its place). Empty for anything else.
    """
    steps = getattr(model, "steps", None)
    if not (isinstance(steps, list) and steps and hasattr(model, "named_steps")):
        return ""
    last = steps[-1][1]
    if foreign(last):  # another library's MLP last: where it is from, and ours that takes its parameters
        note = foreign_note(last)
        return f" (a scikit-learn Pipeline whose last step is {type(last).__name__}{note})" if note else ""
    stuck = next(((name, step) for name, step in steps[:-1]
                  if not (step is None or isinstance(step, str) or callable(getattr(step, "transform", None)))), None)
    if stuck is not None:
        return (f" (a scikit-learn Pipeline whose step {stuck[0]!r}, {type(stuck[1]).__name__}, has no transform(): every step before "
                f"{type(last).__name__} must transform the rows it reads)")
    return f" (a scikit-learn Pipeline: pass its last step, {type(last).__name__}: {fix})"


__all__ = ["article", "foreign", "foreign_note", "pipeline_note"]
