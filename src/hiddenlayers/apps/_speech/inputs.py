"""What a :class:`~hiddenlayers.apps.SpeechRecognizer` reads: feature frames and their transcripts, checked.

Frames: a list of ``(T_i, F)`` float arrays, or a 3-D array ``(N, T, F)`` whose utterances
may end in whole steps of NaN (padding, the form :class:`~hiddenlayers.apps.SequenceClassifier`'s
padded arrays take); a NaN anywhere else is refused, naming the utterance and step.
Transcripts: one non-empty text per utterance, coded as symbol ids ``1..len(alphabet)``
(0 is CTC's blank) for the CTC loss's target rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...exceptions import DataError
from .._seq.data import IDS, as_sequences, lengths_of, strip_padding
from .metrics import check_texts


def as_frames(X: Any, dtype: Any = np.float32) -> list[np.ndarray]:
    """Utterances ``X`` as a list of ``(T_i, F)`` arrays of ``dtype`` (float32, or float64 for a float64 model; see the module for the
    forms taken); DataError naming the first bad one."""
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.ndim == 3:
        X = strip_padding(X, "utterance", "frames")
    if isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.ndim == 2:  # the sequence reader would suggest token ids
        t, f = X.shape
        raise DataError(f"X is a 2-D float array {X.shape}: one utterance of {t} frames x {f} features is [X] (a list of one); several are a list of (T_i, F) arrays or a 3-D array.")
    kind, seqs = as_sequences(X, dtype=dtype, noun="utterance", steps="frames")
    if kind == IDS:
        raise DataError("X holds integer token ids, but a SpeechRecognizer reads feature frames: pass float arrays (T_i, F) such as MFCCs.")
    return seqs


def check_transcripts(y: Any, n: int) -> list[str]:
    """``y`` as ``n`` non-empty texts, one per utterance of ``X``."""
    texts = check_texts(y, "y", allow_empty=False)
    if len(texts) != n:
        raise ValueError(f"y must hold one text per utterance: X has {n} utterances, y has {len(texts)} texts.")
    return texts


def emitted_frames_needed(text: str) -> int:
    """The fewest output frames CTC can emit ``text`` in: one per symbol, plus a blank between each pair of equal neighbours."""
    return len(text) + sum(a == b for a, b in zip(text, text[1:]))


def _name(i: int, names: Sequence[str] | None) -> str:
    """How a message names utterance ``i``: ``names[i]`` (a long table's ``utterance utt=7 (line 12)``), else ``utterance i``."""
    return names[i] if names is not None else f"utterance {i}"


def check_emittable(texts: list[str], frames_out: np.ndarray, names: Sequence[str] | None = None) -> None:
    """Refuse the first utterance whose text needs more output frames than its frames give after the spec's convolution/pooling
    (``names``: how a message names each utterance; default its index)."""
    for i, (text, have) in enumerate(zip(texts, frames_out.tolist())):
        need = emitted_frames_needed(text)
        if have < need:
            raise DataError(
                f"{_name(i, names)} ({text!r}) needs at least {need} output frames but gives {have} after the spec's convolution/pooling: "
                "drop it, give it more frames, or use a spec that shortens the frames less (less pooling or stride)."
            )


def target_rows(texts: list[str], alphabet: str, frames_out: np.ndarray) -> np.ndarray:
    """The CTC loss's rows ``(n, 2 + longest text)`` float: output frames, text length, symbol ids (1-based in ``alphabet``), zeros."""
    index = {c: k + 1 for k, c in enumerate(alphabet)}
    width = max(len(t) for t in texts)
    Y = np.zeros((len(texts), 2 + width), dtype=np.float64)
    Y[:, 0] = frames_out
    Y[:, 1] = [len(t) for t in texts]
    for i, t in enumerate(texts):
        Y[i, 2 : 2 + len(t)] = [index[c] for c in t]
    return Y


def check_lengths(seqs: list[np.ndarray], min_length: int, names: Sequence[str] | None = None) -> np.ndarray:
    """Each utterance's frames ``(N,)``; one too short for the spec's convolution/pooling is refused by index (or ``names[i]``)."""
    lengths = lengths_of(seqs)
    short = np.flatnonzero(lengths < min_length)
    if short.size:
        i = int(short[0])
        raise DataError(f"{_name(i, names)} has {lengths[i]} frames, too few for the spec's convolution/pooling layers: each needs at least {min_length}.")
    return lengths


__all__ = ["as_frames", "check_emittable", "check_lengths", "check_transcripts", "emitted_frames_needed", "target_rows"]
