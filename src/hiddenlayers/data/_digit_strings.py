"""Spoken digit strings: multi-digit utterances made by joining Free Spoken Digit recordings end to end.

The bundled recordings hold one digit each (:func:`~hiddenlayers.data.load_spoken_digits`). A
speech-to-text model needs utterances of several symbols, so each one here is 2-4 (``min_len`` to
``max_len``) recordings of one split, drawn at random, their MFCC frames concatenated in order;
its label is the digits as one string without separators (``"314"``): a digit string has no
spoken word boundary to transcribe, and then the character error rate is the digit error rate.

The 3,000 recordings are first split, stratified by digit, into a training and a test part
(``test_fraction``, seeded by ``random_state``), so calls with the same ``random_state`` and
``split="train"`` / ``"test"`` build their utterances from disjoint recordings. The data set has
no speaker ids: the same six speakers are in both parts.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from ._speech import load_spoken_digits

_SPLITS = ("train", "test")


def _check(n: object, min_len: object, max_len: object, split: object, test_fraction: object, gap: object, random_state: object) -> None:
    for name, value, low in (("n", n, 1), ("min_len", min_len, 1), ("max_len", max_len, 1), ("gap", gap, 0)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}. Received: {name}={value!r}.")
    if max_len < min_len:  # type: ignore[operator]
        raise ValueError(f"max_len must be >= min_len. Received: min_len={min_len!r}, max_len={max_len!r}.")
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test'. Received: split={split!r}.")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, Real) or not 0 < float(test_fraction) < 1:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1. Received: test_fraction={test_fraction!r}.")
    if isinstance(random_state, bool) or not isinstance(random_state, Integral):
        raise ValueError(
            f"random_state must be an integer: it seeds the split of the recordings, which the 'train' and 'test' calls must share. "
            f"Received: random_state={random_state!r}."
        )


def spoken_digit_strings(
    n: int, *, min_len: int = 2, max_len: int = 4, split: str = "train", test_fraction: float = 0.25, gap: int = 0, random_state: int = 0,
    return_segments: bool = False,
) -> Any:
    """``n`` utterances of ``min_len``-``max_len`` spoken digits: ``(frames, texts)``.

    ``frames[i]``: float32 ``(T_i, 13)`` MFCCs (10 ms frames), the recordings' frames one after the other with ``gap``
    frames of silence between them (each MFCC at the minimum it takes in the data set: the quietest frame); ``texts[i]``:
    the digits spoken, such as ``"314"``.

    Parameters
    ----------
    n : int
        Utterances.
    min_len : int
        The fewest digits per utterance.
    max_len : int
        The most digits per utterance.
    split : {"train", "test"}
        Drawn from disjoint recordings for one ``random_state`` (see the module).
    test_fraction : float
        The share of recordings kept for ``"test"``.
    gap : int
        Frames of silence between digits.
    random_state : int
        Seed of the draw.
    return_segments : bool
        Add a third list: per utterance, each recording's frame count ``(len(text),)`` int64 (gaps not counted), the
        true word boundaries an oracle may cut at.

    Examples
    --------
    >>> frames, texts = spoken_digit_strings(3, random_state=0)  # doctest: +SKIP
    >>> len(frames), frames[0].shape[1], all(2 <= len(t) <= 4 for t in texts)  # doctest: +SKIP
    (3, 13, True)
    """
    _check(n, min_len, max_len, split, test_fraction, gap, random_state)
    from sklearn.model_selection import train_test_split

    recordings, digits = load_spoken_digits()
    train, test = train_test_split(np.arange(len(recordings)), test_size=float(test_fraction), stratify=digits, random_state=int(random_state))
    pool = np.sort(train if split == "train" else test)
    rng = np.random.default_rng([int(random_state), _SPLITS.index(split)])  # each split its own draws
    silence = np.concatenate(recordings).min(axis=0)[None, :].repeat(int(gap), axis=0)  # (gap, 13)
    frames: list[np.ndarray] = []
    texts: list[str] = []
    segments: list[np.ndarray] = []
    for length in rng.integers(int(min_len), int(max_len) + 1, size=int(n)):
        chosen = rng.choice(pool, size=int(length))
        parts: list[np.ndarray] = []
        for k, i in enumerate(chosen.tolist()):
            if k and gap:
                parts.append(silence)
            parts.append(recordings[i])
        frames.append(np.concatenate(parts).astype(np.float32, copy=False))
        texts.append("".join(str(int(digits[i])) for i in chosen.tolist()))
        segments.append(np.array([len(recordings[i]) for i in chosen.tolist()], dtype=np.int64))
    return (frames, texts, segments) if return_segments else (frames, texts)


__all__ = ["spoken_digit_strings"]
