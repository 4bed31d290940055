"""Character and word error rates of transcripts, by ``jiwer`` (the field's standard implementation).

Both are corpus rates: the edits (substitutions + deletions + insertions) of the best
alignment of every hypothesis to its reference, summed, over the reference characters
(CER) or words (WER), summed. They can exceed 1 (many insertions). References must be
non-empty (a rate over nothing is undefined); hypotheses may be empty.
"""

from __future__ import annotations

from typing import Any


def check_texts(texts: Any, name: str, *, allow_empty: bool) -> list[str]:
    """``texts`` as a list of ``str``: a bare string, a non-text item or (unless ``allow_empty``) an empty or whitespace-only text is a
    ValueError naming it."""
    if isinstance(texts, (str, bytes)):
        raise ValueError(f"{name} must be a list of texts, one per utterance, not one string: wrap it as [{name}].")
    if hasattr(texts, "tolist"):
        texts = texts.tolist()
    try:
        items = list(texts)
    except TypeError:
        raise ValueError(f"{name} must be a list of texts, one per utterance. Received: {type(texts).__name__}.") from None
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise ValueError(f"{name}[{i}] is {type(t).__name__} {t!r}, not a text: pass strings such as '314'.")
        if not allow_empty and not t.strip():  # whitespace alone is no transcript either, as fit_long refuses it
            raise ValueError(f"{name}[{i}] is an empty text{' (whitespace only)' if t else ''}: every utterance needs at least one character "
                             "to be transcribed and scored.")
    return items


def _pairs(references: Any, hypotheses: Any) -> tuple[list[str], list[str]]:
    refs = check_texts(references, "references", allow_empty=False)
    hyps = check_texts(hypotheses, "hypotheses", allow_empty=True)
    if len(refs) != len(hyps):
        raise ValueError(f"references and hypotheses must pair up: {len(refs)} references, {len(hyps)} hypotheses.")
    if not refs:
        raise ValueError("references is empty: pass at least one utterance.")
    return refs, hyps


def character_error_rate(references: Any, hypotheses: Any) -> float:
    """Corpus CER of ``hypotheses`` against ``references``: edits / reference characters.

    Parameters
    ----------
    references : sequence of str
        The true texts, one per utterance.
    hypotheses : sequence of str
        The predicted texts, one per utterance.
    """
    import jiwer

    refs, hyps = _pairs(references, hypotheses)
    return float(jiwer.cer(refs, hyps))


def word_error_rate(references: Any, hypotheses: Any) -> float:
    """Corpus WER (words split on whitespace): edits / reference words.

    Of labels without spaces (``"314"``) it is the share of wrong utterances plus insertions: each whole label is one
    word.

    Parameters
    ----------
    references, hypotheses
        As :func:`character_error_rate` takes them: the true and predicted texts, one per utterance.
    """
    import jiwer

    refs, hyps = _pairs(references, hypotheses)
    return float(jiwer.wer(refs, hyps))


__all__ = ["character_error_rate", "check_texts", "word_error_rate"]
