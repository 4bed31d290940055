"""Toy utterances for the SpeechRecognizer tests: words that are visible in the frames, so a small model learns them in seconds."""

from __future__ import annotations

import numpy as np


def toy_utterances(n: int, seed: int = 0, letters: str = "ab", n_features: int = 3) -> tuple[list[np.ndarray], list[str]]:
    """``n`` utterances of 2-3 'words' drawn from ``letters``: each letter is its own feature (``"abcdef".index``) high for
    4 frames, with 1-2 frames of noise after each; float32 ``(T_i, n_features)`` frames and their transcripts."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        text = "".join(rng.choice(list(letters), size=int(rng.integers(2, 4))))
        parts = []
        for c in text:
            block = rng.normal(0, 0.1, size=(4, n_features))
            block[:, "abcdef".index(c)] += 2.0
            parts += [block, rng.normal(0, 0.1, size=(int(rng.integers(1, 3)), n_features))]
        X.append(np.concatenate(parts).astype(np.float32))
        y.append(text)
    return X, y
