"""``Tokenizer``: text -> integer token ids, with a vocabulary that lives in the model file.

Two modes: ``"word"`` (runs of letters/digits, and each punctuation mark on
its own) and ``"char"`` (every character, spaces included). Before splitting,
text is Unicode-normalized (``normalize``, NFKC by default) so that one text
typed two ways gives the same tokens: "café" with a precomposed "é" (NFC) or
with "e" and a combining accent (NFD), full-width "ｆｉｌｍ", the ligature "ﬁ". Ids ``0`` and
``1`` are reserved for padding and for tokens outside the vocabulary; the
kept tokens get ``2, 3, ...`` from most to least frequent. The whole state
is plain JSON (:meth:`Tokenizer.to_json`), never pickled.

>>> tok = Tokenizer("word").fit(["a good film", "a bad film"])
>>> tok.encode(["a dull film"])[0]          # "dull" was never seen -> 1
array([2, 1, 3])
>>> tok.split("ＦＩＬＭ ﬁlm cafe\\u0301") == ["film", "film", "caf\\u00e9"]
True
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal, cast

import numpy as np

PAD_ID = 0
UNKNOWN_ID = 1
_WORD = re.compile(r"\w+|[^\w\s]")
_MODES = ("word", "char")
#: what ``normalize`` takes. NFD and NFKD are left out: they split "é" into "e" and a combining accent, which word mode
#: then splits into two tokens.
NORMAL_FORMS = ("NFKC", "NFC", None)
NORMAL_FORMS_TEXT = "'NFKC', 'NFC' or None"


def _check_normalize(value: Any) -> Literal["NFKC", "NFC"] | None:
    if value is not None and not (isinstance(value, str) and value in NORMAL_FORMS):
        raise ValueError(f"normalize must be {NORMAL_FORMS_TEXT}. Received: normalize={value!r}.")
    return cast(Literal["NFKC", "NFC"] | None, value)


def normalized(text: str, form: str | None) -> str:
    """``text`` in Unicode normal form ``form`` (None: as typed).

    ``unicodedata.normalize`` returns ASCII text, and text that its quick check finds normal already, without rewriting it
    (``benchmarks/bench_tokenize.py`` measures the step).

    Parameters
    ----------
    text : str
        One text.
    form : {"NFKC", "NFC"} or None
        The normal form (:data:`NORMAL_FORMS`).
    """
    return text if form is None else unicodedata.normalize(cast("Literal['NFKC', 'NFC']", form), text)  # a str: no Literal[...] per call


def _check_int(value: Any, name: str, minimum: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{extra}. Received: {name}={value!r}.")
    return int(value)


def as_texts(X: Any) -> list[str]:
    """A list, tuple, 1-D array or pandas Series of strings as a list of ``str``; clear errors otherwise.

    Parameters
    ----------
    X : array-like of str
        The texts.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError("X must be a list of texts, not one string: wrap it as [text].")
    if getattr(X, "ndim", 1) == 2 and hasattr(X, "columns"):  # a DataFrame, e.g. df[["text"]]: name its column(s)
        cols = list(X.columns)
        from pandas.api.types import is_string_dtype

        texts = [c for c in cols if is_string_dtype(X[c])] or cols
        raise ValueError(f"X must be a 1-D list of texts, not a DataFrame (columns {[str(c) for c in cols[:5]]}): pass its text column, "
                         f"e.g. X[{texts[0]!r}].")
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise ValueError(f"X must be a 1-D list of texts. Received an array of shape {X.shape}.")
    try:
        items = list(X)
    except TypeError:
        raise TypeError(f"X must be a list of texts. Received: {type(X).__name__}.") from None
    texts = []
    for i, item in enumerate(items):
        if isinstance(item, np.str_):
            item = str(item)
        if not isinstance(item, str):
            raise TypeError(f"X[{i}] is a {type(item).__name__}, not a string: every sample must be text (decode bytes, replace missing values with '').")
        texts.append(item)
    return texts


class Tokenizer:
    """Split texts into word or character tokens and map them to ids.

    Parameters
    ----------
    mode : {"word", "char"}
        Word or character tokens.
    lowercase : bool
        Fold case (``str.lower``) after normalizing.
    normalize : {"NFKC", "NFC"} or None
        Unicode normalization first. ``"NFKC"`` joins a letter and its combining accent into one character and folds
        compatibility forms: full-width letters (``"ｆｉｌｍ"`` -> ``"film"``), ligatures (``"ﬁ"`` -> ``"fi"``), no-break
        spaces, and also ``"²"`` -> ``"2"``, ``"½"`` -> ``"1⁄2"``, ``"…"`` -> ``"..."``, ``"™"`` -> ``"TM"``. ``"NFC"`` only
        joins accents. None reads text as typed (a tokenizer saved before this setting existed).
    max_vocab : int, optional
        Keep at most this many distinct tokens (the most frequent; None = all).
    min_freq : int
        Drop tokens seen fewer times in ``fit``.
    max_len : int, optional
        Keep the first ``max_len`` tokens of each text (None = all).
    """

    def __init__(self, mode: str = "word", *, lowercase: bool = True, normalize: str | None = "NFKC", max_vocab: int | None = 20000, min_freq: int = 1,
                 max_len: int | None = None) -> None:
        if mode not in _MODES:
            raise ValueError(f"tokenizer must be 'word' or 'char'. Received: tokenizer={mode!r}.")
        if not isinstance(lowercase, bool):
            raise ValueError(f"lowercase must be True or False. Received: lowercase={lowercase!r}.")
        self.mode = mode
        self.lowercase = lowercase
        self.normalize = _check_normalize(normalize)
        self.max_vocab = _check_int(max_vocab, "max_vocab", 1, allow_none=True)
        self.min_freq: int = _check_int(min_freq, "min_freq", 1) or 1
        self.max_len = _check_int(max_len, "max_len", 1, allow_none=True)
        self.tokens: list[str] = []  # id = position + 2
        self._index: dict[str, int] = {}

    # -- splitting ----------------------------------------------------------
    def split(self, text: str) -> list[str]:
        """The tokens of one text (before the vocabulary lookup).

        Parameters
        ----------
        text : str
            One text.
        """
        if self.normalize is not None:  # normalized()'s rule, inline: the call per text cost more than the normalization
            text = unicodedata.normalize(self.normalize, text)
        if self.lowercase:  # lower() of NFC/NFKC text is NFC/NFKC (checked for every code point)
            text = text.lower()
        return _WORD.findall(text) if self.mode == "word" else list(text)

    # -- fit / encode ---------------------------------------------------------
    def fit(self, texts: Iterable[str]) -> Tokenizer:
        """Build the vocabulary from ``texts``: most frequent first, ties in alphabetical order.

        Parameters
        ----------
        texts : iterable of str
            The training texts.
        """
        counts: Counter[str] = Counter()
        for text in as_texts(texts):
            counts.update(self.split(text))
        kept = [tok for tok, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= self.min_freq]
        self.tokens = kept if self.max_vocab is None else kept[: self.max_vocab]
        self._index = {tok: i + 2 for i, tok in enumerate(self.tokens)}
        return self

    @property
    def vocab_size(self) -> int:
        """Number of distinct ids, the two reserved ones included."""
        return len(self.tokens) + 2

    def encode(self, texts: Iterable[str]) -> list[np.ndarray]:
        """One ``int64`` id array per text (length <= ``max_len``; may be empty).

        Parameters
        ----------
        texts : iterable of str
            The texts.
        """
        index, out = self._index, []
        for text in as_texts(texts):
            toks = self.split(text)
            if self.max_len is not None:
                toks = toks[: self.max_len]
            out.append(np.fromiter((index.get(t, UNKNOWN_ID) for t in toks), dtype=np.int64, count=len(toks)))
        return out

    def text_ids(self, texts: Iterable[str]) -> list[np.ndarray]:
        """What a TextClassifier reads: :meth:`encode`'s ids, a text with no tokens read as one unknown token.

        A text with no tokens (``""``, only spaces in word mode) reads as ``[UNKNOWN_ID]``, so every text has at least one
        step. NumPy only: an ONNX runner (:mod:`hiddenlayers.ship`) tokenizes with it, without PyTorch.

        Parameters
        ----------
        texts : iterable of str
            The texts.
        """
        unknown = np.array([UNKNOWN_ID], dtype=np.int64)
        return [ids if ids.size else unknown for ids in self.encode(texts)]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens for ids (``"<pad>"`` and ``"<unk>"`` for the reserved ones).

        Parameters
        ----------
        ids : iterable of int
            Token ids.
        """
        names = ["<pad>", "<unk>", *self.tokens]
        return [names[i] if 0 <= i < len(names) else "<unk>" for i in map(int, ids)]

    # -- JSON -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The settings and vocabulary as JSON-able values (read back by :meth:`from_dict`)."""
        return {
            "mode": self.mode, "lowercase": self.lowercase, "normalize": self.normalize, "max_vocab": self.max_vocab,
            "min_freq": self.min_freq, "max_len": self.max_len, "tokens": list(self.tokens),
        }

    def to_json(self) -> str:
        """The settings and vocabulary as one JSON text (ASCII-escaped, exact round trip)."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> Tokenizer:
        """The tokenizer :meth:`to_dict` described, vocabulary included (no refit).

        Parameters
        ----------
        data : dict
            What :meth:`to_dict` returned; without a ``tokens`` list of distinct strings it is a ``ValueError``. Without a
            ``normalize`` key (written before that setting existed) text is read as typed, as it was then.
        """
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            raise ValueError("tokenizer data must be an object with a 'tokens' list, as written by Tokenizer.to_json().")
        tokens = data["tokens"]
        if not all(isinstance(t, str) for t in tokens) or len(set(tokens)) != len(tokens):
            raise ValueError("tokenizer 'tokens' must be distinct strings.")
        tok = cls(
            data.get("mode", "word"), lowercase=data.get("lowercase", True), normalize=data.get("normalize"), max_vocab=data.get("max_vocab"),
            min_freq=data.get("min_freq", 1), max_len=data.get("max_len"),
        )
        tok.tokens = list(tokens)
        tok._index = {t: i + 2 for i, t in enumerate(tokens)}
        return tok

    @classmethod
    def from_json(cls, text: str) -> Tokenizer:
        """The tokenizer :meth:`to_json` wrote (see :meth:`from_dict`).

        Parameters
        ----------
        text : str
            The JSON text :meth:`to_json` wrote; text that is not JSON is a ``ValueError``.
        """
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError):
            raise ValueError("tokenizer JSON is not valid JSON: pass the text written by Tokenizer.to_json().") from None
        return cls.from_dict(data)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"normalize": None, **state})  # pickled before normalize existed: text read as typed, as then

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Tokenizer(mode={self.mode!r}, lowercase={self.lowercase}, normalize={self.normalize!r}, vocab_size={self.vocab_size}, max_len={self.max_len})"


__all__ = ["NORMAL_FORMS", "NORMAL_FORMS_TEXT", "PAD_ID", "UNKNOWN_ID", "Tokenizer", "as_texts", "normalized"]
