"""Small helpers for the wording of messages, shared by every stage."""

from __future__ import annotations


def article(name: str, *, quoted: bool = False) -> str:
    """``name`` with its indefinite article, by its first letter: ``"an Autoencoder"``, ``"a TextClassifier"``,
    ``"an MLPClassifier"`` (an initialism is read by its letters);
    ``quoted=True`` quotes the name (``"an 'ImageClassifier'"``), as messages naming a file's stored class do."""
    text = str(name)
    shown = repr(text) if quoted else text
    spelt = text[:2].isupper() and text[:2].isalpha()  # an initialism, read letter by letter: "an MLPClassifier", "a DQNAgent"
    return f"{'an' if text and text[:1].upper() in ('AEFHILMNORSX' if spelt else 'AEIOU') else 'a'} {shown}"


def type_name(obj: object) -> str:
    """``obj``'s class as a message names what it received: ``"MLPClassifier"`` for hiddenlayers' own, and with its
    library for another's, ``"scikit-learn's MLPClassifier (sklearn.neural_network.MLPClassifier)"``.

    Why: "takes a fitted MLPClassifier ... Received: MLPClassifier" reads as a contradiction when the object is
    scikit-learn's class of the same name.
    """
    cls = type(obj)
    module = cls.__module__
    if module.split(".")[0] in ("hiddenlayers", "builtins"):
        return cls.__name__
    top = module.split(".")[0]
    public = ".".join(p for p in module.split(".") if not p.startswith("_"))  # sklearn.neural_network._multilayer_perceptron -> sklearn.neural_network
    library = {"sklearn": "scikit-learn", "torch": "PyTorch"}.get(top, top)
    return f"{library}'s {cls.__name__} ({public}.{cls.__name__})"


def sklearn_mlp_hint(obj: object) -> str:
    """``" Fit hl.MLPClassifier ..."``: the way on for scikit-learn's own MLPClassifier/MLPRegressor given where a hiddenlayers model
    is taken (its drop-in, the same parameters); ``""`` for anything else."""
    cls = type(obj)
    if not cls.__module__.startswith("sklearn.") or cls.__name__ not in ("MLPClassifier", "MLPRegressor"):
        return ""
    return (f" Fit hl.{cls.__name__} (scikit-learn's parameters and fitted attributes, a drop-in) to save or export it here; "
            "scikit-learn's own exports to ONNX with skl2onnx.")


__all__ = ["article", "sklearn_mlp_hint", "type_name"]
