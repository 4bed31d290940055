"""The served SpeechRecognizer: ``{"utterances": [...], "beam_size": k}`` -> ``{"transcripts": [...]}``, by its own ``predict``.

Each utterance is a list of frames of the fitted width (e.g. 13 MFCCs), of any length from the fewest its
convolution/pooling reads up to :func:`~hiddenlayers.ship._serve.app_seq.step_limit`'s rule (4 x the longest in fit,
at least 1000: a longer one is a 413); the frames are checked as a SequenceClassifier's are (numbers, finite, float32's
range). ``beam_size`` (optional, default 1: greedy; at most :data:`MAX_BEAM`) is the prefix beam search's width for the
whole request. One batch may join several requests: each beam width is decoded apart, each utterance by itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .app_base import MAX_BEAM, AppModel, RequestError, _beam, _body, _items, _per_beam
from .app_seq import MIN_STEP_LIMIT, checked_frames, item_numbers


class SpeechModel(AppModel):
    """A SpeechRecognizer: ``{"utterances": [[[f1, ...], ...], ...], "beam_size": k}`` -> ``{"transcripts": [...]}``."""

    double = False  # frames read in float64 (a dtype='float64' app, or its float64 ONNX graph): no float32 range check

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.describe(int(self.app.n_features_in_), int(self.app.min_length_), max(4 * int(self.app.max_len_), MIN_STEP_LIMIT),
                      f"4 x its longest utterance in fit, at least {MIN_STEP_LIMIT}", self.app.alphabet_)

    def describe(self, width: int, min_steps: int, limit: int, why: str, alphabet: str) -> None:
        """What requests are checked against: frames of ``width`` features, ``min_steps`` to ``limit`` of them (``why``: the
        limit's reason, for its 413), and the ``alphabet`` /metadata shows."""
        self.width, self.min_steps, self.limit, self.why, self.alphabet = width, min_steps, limit, why, alphabet
        self.form = ('{"utterances": [[[f1, f2, ...], ...], ...], "beam_size": k} (each utterance a list of frames of '
                     f"{self.width} numbers; beam_size optional, default 1: greedy)")
        self.no_proba = "/predict_proba needs a classifier; a SpeechRecognizer answers /predict with transcripts."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("utterances",), ("beam_size",), self.form)
        beam = _beam(b.get("beam_size", 1))
        return [(self._utterance(u, i), beam) for i, u in enumerate(_items(b, "utterances", "utterances (lists of frames)", max_rows))]

    def _utterance(self, u: Any, i: int) -> np.ndarray:
        """Utterance ``i`` as float64 ``(T, F)``, checked as the app checks frames, and against the server's step limit."""
        a = checked_frames(item_numbers(u, f"utterances[{i}]", "frames", "frame"), f"utterances[{i}]", self.width, self.double)
        if len(a) > self.limit:
            raise RequestError(413, f"utterances[{i}] has {len(a)} frames, over this server's limit of {self.limit} for this model ({self.why}): split it.")
        if len(a) < self.min_steps:
            raise RequestError(422, f"utterances[{i}] has {len(a)} frames, too few for the model's convolution/pooling layers: send at least {self.min_steps}.")
        return a

    def transcribe(self, X: list[np.ndarray], beam_size: int) -> list[str]:
        """The transcripts of the checked utterances ``X``, decoded with ``beam_size``: the app's own ``predict``."""
        return list(self.app.predict(X, beam_size=beam_size))

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        return _per_beam(rows, self.transcribe)  # one decode per beam width in the batch

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        return {"transcripts": result}

    def inputs(self) -> dict[str, Any]:
        return {"body": self.form, "n_features": self.width, "min_steps": self.min_steps, "max_steps": self.limit,
                "alphabet": self.alphabet, "beam_size": {"default": 1, "max": MAX_BEAM}}


__all__ = ["MAX_BEAM", "SpeechModel"]
