"""Text side of :class:`~hiddenlayers.apps.Translator`: word/character tokenizer,
vocabulary, input checks, and the attention map it returns.

A small tokenizer of its own (lowercased words and single punctuation marks)
keeps the translator's model files independent of other text models.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from .._fit import one_thread
from .._tokenize import normalized

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
_WORD = re.compile(r"\w+|[^\w\s]")
_SPACE = re.compile(r"\s+")
_NO_SPACE_BEFORE = re.compile(r" ([.,;:!?%)\]}»])")
_NO_SPACE_AFTER = re.compile(r"([(\[{¿¡«]) ")
_APOSTROPHE = re.compile(r"(\w) ' (\w)")


def tokenize(text: str, kind: str = "word", lowercase: bool = True, normalize: str | None = None) -> list[str]:
    """Split ``text`` into tokens: ``word`` = runs of letters/digits and single
    punctuation marks; ``char`` = characters, whitespace collapsed to one space.
    ``normalize`` (``"NFC"``, ``"NFKC"`` or None) is the Unicode normal form put first, before case folding."""
    text = normalized(text, normalize)
    text = text.lower() if lowercase else text
    if kind == "char":
        return list(_SPACE.sub(" ", text).strip())
    return _WORD.findall(text)


def detokenize(tokens: Sequence[str], kind: str = "word") -> str:
    """Inverse of :func:`tokenize` up to spacing: ``["hello", ",", "world"]`` -> ``"hello, world"``."""
    if kind == "char":
        return "".join(tokens)
    text = " ".join(tokens)
    text = _APOSTROPHE.sub(r"\1'\2", text)
    return _NO_SPACE_AFTER.sub(r"\1", _NO_SPACE_BEFORE.sub(r"\1", text))


class Vocab:
    """Token <-> id table; ids 0-3 are ``<pad> <unk> <bos> <eos>``."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}. Received: {list(tokens[:4])}.")
        self.itos = list(tokens)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], max_size: int | None, min_freq: int) -> Vocab:
        """The ``max_size`` most frequent tokens seen at least ``min_freq`` times (ties: alphabetical)."""
        counts = Counter(t for s in sentences for t in s)
        ranked = sorted((t for t, c in counts.items() if c >= min_freq and t not in SPECIALS), key=lambda t: (-counts[t], t))
        return cls(list(SPECIALS) + ranked[: None if max_size is None else max(0, max_size - len(SPECIALS))])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, UNK) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]


F = TypeVar("F", bound=Callable[..., Any])


def single_thread(method: F) -> F:
    """Run ``method`` with PyTorch on one CPU thread: these small step-by-step RNNs run
    many times faster that way than with threads that must meet on a busy machine."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_thread():
            return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def check_texts(values: Any, name: str) -> list[str]:
    """``values`` as a non-empty list of strings, or a one-line error naming the bad item."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a list of strings, not a single string: wrap it as [{name}].")
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{name} must be a list of strings. Received: {type(values).__name__}.") from None
    if not items:
        raise ValueError(f"{name} is empty: pass at least one sentence.")
    for i, v in enumerate(items):
        if not isinstance(v, str):
            raise TypeError(f"{name}[{i}] is {type(v).__name__} ({v!r}), not str: every sentence must be a string.")
    return items


def unknown_words(tokens: Iterable[Sequence[str]], vocab: Vocab) -> list[list[str]]:
    """Per sentence of ``tokens`` (token lists), the tokens ``vocab`` lacks, each once, in order of first appearance."""
    return [list(dict.fromkeys(t for t in toks if t not in vocab.stoi)) for toks in tokens]


def unknown_words_note(unknown: Sequence[Sequence[str]], tokenizer: str = "word", shown: int = 3) -> str | None:
    """The one warning (the CLI's and the server's note) for source sentences holding tokens not seen in fit; None when none do.

    The rows are counted, as the Recommender counts its cold-start rows.

    Parameters
    ----------
    unknown : sequence of sequences of str
        Per sentence, its unknown tokens (:func:`unknown_words`).
    tokenizer : {"word", "char"}
        What a token is called.
    shown : int
        How many of the distinct tokens the message quotes.
    """
    rows = sum(1 for u in unknown if u)
    if not rows:
        return None
    distinct = list(dict.fromkeys(t for u in unknown for t in u))
    what = "words" if tokenizer == "word" else "characters"
    more = ", ..." if len(distinct) > shown else ""
    return (f"{rows} of {len(unknown)} source sentences have {what} not seen in fit ({len(distinct)} distinct: "
            f"{', '.join(map(repr, distinct[:shown]))}{more}): each reads as the unknown token, which the model cannot "
            "translate (with copy_unknown a translation may copy it through as is).")


@dataclass
class AttentionMap:
    """Attention of one translation: ``weights[i, j]`` = weight of source token ``j``
    when writing target token ``i``; each row sums to 1. Both token lists end with ``<eos>``."""

    weights: np.ndarray
    source_tokens: list[str]
    target_tokens: list[str]
    translation: str

    def to_frame(self) -> Any:
        """The weights as a pandas DataFrame (rows: target tokens, columns: source tokens)."""
        import pandas as pd

        return pd.DataFrame(self.weights, index=self.target_tokens, columns=self.source_tokens)


__all__ = ["BOS", "EOS", "PAD", "SPECIALS", "UNK", "AttentionMap", "Vocab", "check_texts", "detokenize", "single_thread", "tokenize", "unknown_words",
           "unknown_words_note"]
