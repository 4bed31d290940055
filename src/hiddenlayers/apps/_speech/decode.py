"""CTC decoding: frame-level log-probabilities ``(T, symbols)`` -> a label (symbol ids, blank = 0 never in it).

* :func:`greedy_decode`: the most probable symbol per frame, repeats merged, blanks dropped
  (best path; fast, and exact when one path dominates);
* :func:`prefix_beam_search`: Hannun et al.'s CTC prefix beam search (2014): keeps the ``beam_size``
  most probable *labels* (summing every path that collapses to each, split by whether the path
  ends in a blank), so it finds a label whose probability is spread over many paths, which
  the best path can miss. No language model.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

NEG_INF = -np.inf


def greedy_decode(log_probs: np.ndarray) -> tuple[int, ...]:
    """The best path's label: argmax per frame of ``log_probs``, repeats merged, blanks (0) dropped.

    Parameters
    ----------
    log_probs : numpy.ndarray of shape (T, symbols)
        Per-frame log-probabilities, column 0 the blank.
    """
    best = np.asarray(log_probs).argmax(axis=1)
    if best.size == 0:
        return ()
    keep = np.r_[True, best[1:] != best[:-1]] & (best != 0)
    return tuple(int(s) for s in best[keep])


def _logaddexp(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) of two Python floats (NumPy's scalar call costs ~5x more in this inner loop)."""
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _add(beams: dict[tuple[int, ...], tuple[float, float]], prefix: tuple[int, ...], blank: float, last: float) -> None:
    """Add the path probabilities ``blank`` (ending in a blank) and ``last`` (ending in the prefix's last symbol) to ``prefix`` in ``beams``."""
    b, s = beams.get(prefix, (NEG_INF, NEG_INF))
    beams[prefix] = (_logaddexp(b, blank), _logaddexp(s, last))


def prefix_beam_search(log_probs: np.ndarray, beam_size: int) -> tuple[int, ...]:
    """The most probable label found by a CTC prefix beam search over ``log_probs``.

    Each prefix keeps two log-probabilities: of the paths so far that collapse to it and end in a blank, and of those
    ending in its last symbol (a repeat of that symbol extends it only after a blank).

    Parameters
    ----------
    log_probs : numpy.ndarray of shape (T, symbols)
        Per-frame natural-log probabilities, column 0 the blank.
    beam_size : int
        Prefixes that survive each frame; 1 is close to greedy but sums paths, so it can differ from it.
    """
    lp = np.asarray(log_probs, dtype=np.float64).tolist()
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, NEG_INF)}  # prefix -> (log p ends in blank, log p ends in its last symbol)
    for frame in lp:
        nxt: dict[tuple[int, ...], tuple[float, float]] = {}
        add = partial(_add, nxt)
        for prefix, (p_b, p_s) in beams.items():
            p_all = _logaddexp(p_b, p_s)
            add(prefix, p_all + frame[0], NEG_INF)  # a blank: the label stays
            end = prefix[-1] if prefix else None
            for sym in range(1, len(frame)):
                p = frame[sym]
                if sym == end:
                    add(prefix, NEG_INF, p_s + p)  # the repeat merges into the same symbol
                    add((*prefix, sym), NEG_INF, p_b + p)  # after a blank it is a new one
                else:
                    add((*prefix, sym), NEG_INF, p_all + p)
        beams = dict(sorted(nxt.items(), key=lambda kv: _logaddexp(*kv[1]), reverse=True)[:beam_size])
    return max(beams.items(), key=lambda kv: _logaddexp(*kv[1]))[0]


def label_log_prob(log_probs: np.ndarray, label: tuple[int, ...]) -> float:
    """log p(label | frames): the CTC forward recursion over the blank-interleaved label (for tests and diagnostics)."""
    lp = np.asarray(log_probs, dtype=np.float64)
    ext = [0]
    for s in label:
        ext += [s, 0]
    alpha = [NEG_INF] * len(ext)
    alpha[0] = float(lp[0, 0])
    if len(ext) > 1:
        alpha[1] = float(lp[0, ext[1]])
    for t in range(1, lp.shape[0]):
        prev = list(alpha)
        for j in range(len(ext)):
            a = prev[j]
            if j >= 1:
                a = _logaddexp(a, prev[j - 1])
            if j >= 2 and ext[j] != 0 and ext[j] != ext[j - 2]:
                a = _logaddexp(a, prev[j - 2])
            alpha[j] = a + float(lp[t, ext[j]])
    return alpha[-1] if len(ext) == 1 else _logaddexp(alpha[-1], alpha[-2])


__all__ = ["greedy_decode", "label_log_prob", "prefix_beam_search"]
