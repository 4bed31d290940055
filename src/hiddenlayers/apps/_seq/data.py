"""Sequence inputs: parse the accepted forms of ``X`` and pad them into one array.

Accepted: a 3-D numeric array ``(N, T, F)`` (a float one may end each sequence in whole NaN steps of
padding, the form the ONNX export reads and the SpeechRecognizer takes); a 2-D integer array ``(N, T)``
of token ids; or a list (tuple, object array, pandas Series) whose items are
all 2-D float arrays ``(T_i, F)`` (e.g. MFCC frames) or all 1-D integer
arrays ``(T_i,)`` of token ids >= 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...exceptions import DataError

IDS, FRAMES = "ids", "features"


def _items(X: Any) -> list[Any] | np.ndarray:
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if isinstance(X, (str, bytes)):
        raise TypeError("X must be sequences (arrays), not a string: for texts use TextClassifier.")
    if isinstance(X, np.ndarray) and X.dtype != object:
        return X
    try:
        items = list(X)
    except TypeError:
        raise TypeError(f"X must be a 3-D array (N, T, F), a 2-D integer array of token ids, or a list of per-sample arrays. Received: {type(X).__name__}.") from None
    return items


def strip_padding(a: np.ndarray, noun: str = "sequence", steps: str = "steps") -> list[np.ndarray]:
    """The sequences of a 3-D float array ``(N, T, F)`` without their trailing all-NaN steps (padding); a NaN elsewhere is
    refused, naming the ``noun`` (sequence, utterance) and its step. A sequence of padding only is left empty (refused as empty)."""
    out = []
    for i, u in enumerate(a):
        nan = np.isnan(u)
        whole = nan.all(axis=1)  # (T,) steps that are padding if they end the sequence
        real = int(np.flatnonzero(~whole)[-1]) + 1 if (~whole).any() else 0
        bad = np.flatnonzero(nan[:real].any(axis=1))
        if bad.size:
            raise DataError(
                f"{noun} {i} has NaN at step {int(bad[0])}, which is not padding (padding is whole NaN steps after the last real one): "
                f"clean or impute those {steps} first."
            )
        out.append(u[:real])
    return out


def as_sequences(X: Any, max_len: int | None = None, dtype: Any = np.float32, noun: str = "sequence", steps: str = "steps") -> tuple[str, list[np.ndarray]]:
    """``(kind, sequences)``: kind ``"ids"`` (1-D int64 arrays) or ``"features"`` (2-D arrays of ``dtype``: float32, or float64
    for a model that computes in float64, so its frames keep their digits).

    Sequences longer than ``max_len`` keep their first ``max_len`` steps.
    Raises :class:`DataError` naming the first bad sample as ``noun`` (``"utterance"`` for a SpeechRecognizer) and its
    time steps as ``steps`` (``"frames"``).
    """
    items = _items(X)
    if isinstance(items, np.ndarray):
        a = items
        if a.dtype.kind not in "iufb":
            raise DataError(f"X must be numeric. Received dtype {a.dtype}: for texts use TextClassifier.")
        if a.ndim == 3 and a.dtype.kind == "f":
            seqs = strip_padding(a.astype(dtype, copy=False), noun, steps)
        elif a.ndim == 3:
            seqs = list(a.astype(dtype, copy=False))
        elif a.ndim == 2 and a.dtype.kind in "iu":
            seqs = list(a.astype(np.int64, copy=False))
        elif a.ndim == 2:
            t, f = a.shape
            raise DataError(
                f"X is a 2-D float array {a.shape}: one sequence of {t} steps x {f} features is [X] (a list of one); "
                f"{t} sequences of one feature per step are X[:, :, None]; token ids are an integer array."
            )
        else:
            raise DataError(f"X must be 3-D (N, T, F) or 2-D integer token ids (N, T). Received an array of shape {a.shape}.")
    else:
        seqs = [np.asarray(item) for item in items]
    if not seqs:
        raise DataError(f"X has 0 {noun}s: pass at least one.")
    first = seqs[0]
    kind = IDS if first.ndim == 1 and first.dtype.kind in "iu" else FRAMES
    out: list[np.ndarray] = []
    for i, s in enumerate(seqs):
        # first: an empty list reads as a 1-D float64 array, which the checks below would call the wrong kind of sequence
        if s.ndim >= 1 and s.shape[0] == 0:
            raise DataError(f"{noun} {i} is empty (0 steps): drop it or give it at least one step.")
        if s.dtype.kind not in "iufb":
            raise DataError(f"{noun} {i} has dtype {s.dtype}: every sample must be a numeric array.")
        if kind == IDS:
            if s.ndim != 1 or s.dtype.kind not in "iu":
                raise DataError(f"{noun} {i} has shape {s.shape} and dtype {s.dtype}, but {noun} 0 is 1-D token ids: pass all samples as 1-D integer arrays.")
            s = s.astype(np.int64, copy=False)
            if s.size and s.min() < 0:
                raise DataError(f"{noun} {i} has a negative token id ({s.min()}): ids must be >= 0.")
        else:
            if s.ndim == 1:
                raise DataError(f"{noun} {i} is a 1-D {s.dtype} array: for token ids pass integers; for one feature per step reshape it to (T, 1).")
            if s.ndim != 2:
                raise DataError(f"{noun} {i} has shape {s.shape}: each sample must be (steps, features).")
            if s.shape[1] != first.shape[1]:
                raise DataError(f"{noun} {i} has {s.shape[1]} features per step but {noun} 0 has {first.shape[1]}: every step needs the same features.")
            s = s.astype(dtype, copy=False)
            bad = np.flatnonzero(~np.isfinite(s).all(axis=1))  # (steps,) with a NaN or inf
            if bad.size:
                raise DataError(f"{noun} {i} has NaN or infinity at step {int(bad[0])} (of {s.shape[0]}): clean or impute those {steps} first.")
        out.append(s if max_len is None else s[:max_len])
    return kind, out


def lengths_of(seqs: list[np.ndarray]) -> np.ndarray:
    return np.fromiter((s.shape[0] for s in seqs), dtype=np.int64, count=len(seqs))


def pad_ids(seqs: list[np.ndarray], steps: int | None = None, pad_id: int = 0) -> np.ndarray:
    """``(N, steps)`` int64: each 1-D id sequence of ``seqs``, cut at ``steps`` ids, then ``pad_id`` after its end.

    NumPy only, so the ONNX runner pads without PyTorch. A sequence that is not 1-D, or holds ids that are not whole
    numbers (``3.7``, text), is one ``DataError`` naming it: copying it into the int64 array would cut ``3.7`` to id 3
    (or fail on NumPy's broadcasting words).

    Parameters
    ----------
    seqs : list of numpy.ndarray
        1-D id sequences.
    steps : int, optional
        Default the longest sequence; an int >= 0.
    pad_id : int
        0, the id a SequenceClassifier's network reads as padding; the ONNX runner (``ship``'s ``TokenOnnx``) pads with
        its export's pad id (-1 for a SequenceClassifier's ids, which the graph shifts by 1).
    """
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0):
        raise DataError(f"steps must be an int >= 0 (ids kept per sequence) or None (the longest sequence). Received: steps={steps!r}.")
    arrays = [_id_array(s, i) for i, s in enumerate(seqs)]
    steps = max((len(a) for a in arrays), default=0) if steps is None else int(steps)
    out = np.full((len(arrays), steps), pad_id, dtype=np.int64)
    for i, a in enumerate(arrays):
        out[i, : min(len(a), steps)] = a[:steps]
    return out


def _id_array(seq: Any, i: int) -> np.ndarray:
    """Sequence ``i`` of :func:`pad_ids` as a 1-D array of whole numbers (ints, bools, or floats without a fraction)."""
    a = np.asarray(seq)
    if a.ndim != 1:
        raise DataError(f"sequence {i} of pad_ids is {a.ndim}-D, shape {a.shape}: each sequence must be 1-D token ids (T_i,).")
    if a.size and (a.dtype.kind not in "biuf" or (a.dtype.kind == "f" and not bool(np.all(np.isfinite(a) & (a == np.round(a)))))):
        bad = a[0] if a.dtype.kind not in "biuf" else a[~(np.isfinite(a) & (a == np.round(a)))][0]
        raise DataError(f"sequence {i} of pad_ids holds {bad.item()!r}, not a whole-number token id ({a.dtype}): pass integer ids "
                        "(a vocabulary's indices), not values to be cut to ints.")
    return a


def pad_frames(seqs: list[np.ndarray], steps: int, mean: np.ndarray, scale: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
    """``(N, steps, F)`` of ``dtype`` (float32, or float64 for a float64 model) standardised with ``mean``/``scale``, whole NaN steps after each end."""
    n_features = seqs[0].shape[1]
    m, sc = mean.astype(dtype), scale.astype(dtype)
    lengths = lengths_of(seqs)
    if (lengths == steps).all():
        return (np.stack(seqs) - m) / sc
    out = np.full((len(seqs), steps, n_features), np.nan, dtype=dtype)
    for i, s in enumerate(seqs):
        out[i, : s.shape[0]] = (s - m) / sc
    return out


__all__ = ["FRAMES", "IDS", "as_sequences", "lengths_of", "pad_frames", "pad_ids", "strip_padding"]
