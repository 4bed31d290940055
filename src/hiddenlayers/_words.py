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


__all__ = ["article"]
