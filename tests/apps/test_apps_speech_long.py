"""SpeechRecognizer.fit_long: utterances from a long table (one row per frame), read by the SequenceClassifier's long-table reader.

The toy utterances of test_apps_speech are written as a shuffled long table: fit_long must train the model that fit
trains on the same frames, keep its columns through save/load, and refuse each bad table in one line naming the utterance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hiddenlayers import DataError
from hiddenlayers.apps import SpeechRecognizer, long_sequences, long_transcripts
from speech_helpers import toy_utterances

SPEC = "conv8k3:same,gru8:bi"


def toy(n: int, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    return toy_utterances(n, seed)


def as_long(X: list[np.ndarray], y: list[str], start: int = 0, shuffle: bool = True) -> pd.DataFrame:
    """Utterances as a long table: utt, frame t, features f0..f2, the transcript on every row (rows shuffled)."""
    frame = pd.concat([pd.DataFrame({"utt": start + i, "t": np.arange(len(x)), **{f"f{j}": x[:, j] for j in range(x.shape[1])}, "text": t})
                       for i, (x, t) in enumerate(zip(X, y))], ignore_index=True)
    return frame.sample(frac=1, random_state=0).reset_index(drop=True) if shuffle else frame


def fit_long(frame: pd.DataFrame, **kw: Any) -> SpeechRecognizer:
    return SpeechRecognizer(SPEC, max_iter=2, early_stopping=False, random_state=0).fit_long(frame, "text", id_column="utt", order_column="t", **kw)


def test_fit_long_trains_what_fit_trains_and_reads_new_tables_alike(tmp_path: Path) -> None:
    X, y = toy(24)
    from_table = fit_long(as_long(X, y))
    from_arrays = SpeechRecognizer(SPEC, max_iter=2, early_stopping=False, random_state=0).fit(X, y)
    assert from_table.long_columns_ == {"id_column": "utt", "order_column": "t", "features": ["f0", "f1", "f2"], "target": "text"}
    assert from_table.alphabet_ == "ab" and from_table.loss_curve_ == pytest.approx(from_arrays.loss_curve_)
    long = from_table.sequences_from_long(as_long(X[:5], y[:5], start=100).drop(columns="text"))  # no transcripts needed to predict
    assert sorted(long.ids.tolist()) == [100, 101, 102, 103, 104]  # in the order each id first appears in the shuffled rows
    order = np.argsort(long.ids)
    for got, want in zip([long.sequences[i] for i in order], X[:5]):
        np.testing.assert_array_equal(got, want)
    assert from_table.predict(long.sequences) == from_arrays.predict([X[i - 100] for i in long.ids.tolist()])
    path = tmp_path / "asr.safetensors"
    from_table.save(path)
    loaded = SpeechRecognizer.load(path)
    assert loaded.long_columns_ == from_table.long_columns_ and loaded.predict(long.sequences) == from_table.predict(long.sequences)
    from_arrays.save(path)
    assert not hasattr(SpeechRecognizer.load(path), "long_columns_")
    with pytest.raises(ValueError, match="fitted on frame arrays, not a long table"):
        from_arrays.sequences_from_long(as_long(X[:2], y[:2]))


def test_refit_on_arrays_forgets_the_columns() -> None:
    X, y = toy(12)
    rec = fit_long(as_long(X, y))
    rec.fit(X, y)
    assert not hasattr(rec, "long_columns_")


def test_digit_strings_keep_their_leading_zeros_as_text() -> None:
    X, y = toy(8)
    frame = as_long(X, ["0" + t.replace("a", "1").replace("b", "0") for t in y])
    assert set(fit_long(frame).alphabet_) == {"0", "1"}


GOOD = pd.DataFrame({"utt": [7] * 12 + [8] * 12, "t": list(range(12)) * 2, "x": np.arange(24.0), "text": ["ab"] * 12 + ["ba"] * 12})


@pytest.mark.parametrize(("change", "message"), [
    (dict(text=["ab"] * 11 + ["aa"] + ["ba"] * 12),
     r"^sequence utt=7 has rows that disagree on the transcript column 'text': 'ab' on row 1, 'aa' on row 12; a transcript is per sequence"),
    (dict(text=[None] * 12 + ["ba"] * 12), r"^sequence utt=7 has no value in the transcript column 'text' \(row 1\): give it a transcript or drop it\.$"),
    (dict(text=[314] * 24), r"^the transcript column 'text' holds numbers \(314 \.\.\.\), not text, which loses leading zeros"),
    (dict(text=["ab"] * 12 + ["  "] * 12), r"^utterance utt=8 has an empty text in the transcript column 'text' \(row 13\)"),
    (dict(x=[0.0] * 5 + [np.nan] + [0.0] * 18), r"^feature column 'x' has a missing or infinite value on row 6 \(sequence utt=7\): a sequence model reads"),
    (dict(text=["abababababab"] * 12 + ["ba"] * 12),  # 12 symbols in 12 frames pooled to 6
     r"^utterance utt=7 \(row 1\) \('abababababab'\) needs at least 12 output frames but gives 6 after the spec's convolution/pooling"),
])
def test_bad_long_tables_are_one_line(change: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError, match=message):
        SpeechRecognizer("conv4k3:same,pool2", max_iter=1, early_stopping=False).fit_long(GOOD.assign(**change), "text", id_column="utt", order_column="t")


def test_short_utterance_is_named_by_id() -> None:
    frame = pd.concat([GOOD, pd.DataFrame({"utt": [9, 9], "t": [0, 1], "x": [1.0, 2.0], "text": ["a", "a"]})], ignore_index=True)
    with pytest.raises(DataError, match=r"^utterance utt=9 \(row 25\) has 2 frames, too few for the spec's convolution/pooling layers: each needs at least 5"):
        SpeechRecognizer("conv4k5", max_iter=1, early_stopping=False).fit_long(frame, "text", id_column="utt", order_column="t")


def test_failed_fit_long_keeps_the_fitted_model() -> None:
    X, y = toy(12)
    rec = fit_long(as_long(X, y))
    before = rec.predict(X[:3])
    with pytest.raises(DataError):
        rec.fit_long(GOOD.assign(x=np.nan), "text", id_column="utt", order_column="t")
    assert rec.predict(X[:3]) == before and rec.long_columns_["features"] == ["f0", "f1", "f2"]


def test_long_transcripts_reads_one_text_per_utterance() -> None:
    long = long_sequences(GOOD, "utt", ["x"], "t")
    assert long_transcripts(GOOD, "text", long, "utt") == ["ab", "ba"]
