"""Run the ONNX export of a :class:`~hiddenlayers.apps.SpeechRecognizer` (see :mod:`._app_graph_ctc`) on utterances.

onnxruntime and NumPy only (no PyTorch): :class:`SpeechOnnx` checks each utterance against the graph's input (features
per frame, the fewest frames the spec reads, the step count where the graph fixes it), pads it with NaN steps (to the fixed
count, or to the batch's longest where the steps axis is dynamic), runs the graph in batches and
returns each utterance's own per-frame log-probabilities ``(T'_i, 1 + len(alphabet))``, which the caller decodes (the CTC
decoders are plain NumPy: ``hl.apps.greedy_decode``, ``hl.apps.prefix_beam_search``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DataError, ModelFileError
from ._app_graph_ctc import SPEECH_KEY
from ._onnx_app import empty_refusal, onnx_estimator, session

ESTIMATOR = "SpeechRecognizer"


class SpeechOnnx:
    """A SpeechRecognizer's ONNX file.

    Its attributes: ``alphabet`` (symbol ``k`` is ``alphabet[k - 1]``; 0 is the blank), ``steps`` (the graph's fixed
    input length; None where the steps axis is dynamic), ``min_length``, ``n_features``, ``long_columns``
    (``fit_long``'s columns, or None) and ``dtype`` (the frames' float type, ``np.float32`` or ``np.float64`` for a
    float64 graph).

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    threads : int, optional
        onnxruntime's threads per run (None: its defaults; see :func:`~._onnx_app.session`).
    """

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        self.session = session(path, threads)
        meta = dict(self.session.get_modelmeta().custom_metadata_map)
        if meta.get("hiddenlayers_estimator") != ESTIMATOR or SPEECH_KEY not in meta:
            raise ModelFileError(f"'{path}' is not the ONNX export of a SpeechRecognizer: export one with `hiddenlayers export MODEL.safetensors`.")
        try:
            info = json.loads(meta[SPEECH_KEY])
            self.alphabet, self.min_length = str(info["alphabet"]), int(info["min_length"])
            self.steps: int | None = None if info["steps"] is None else int(info["steps"])
            self.long_columns: dict[str, Any] | None = info.get("long_columns")
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(f"'{path}' has damaged hiddenlayers metadata ({type(exc).__name__}): export the model again.") from None
        self.n_features = int(self.session.get_inputs()[0].shape[2])
        # the frames' float type: float64 where the export of a dtype="float64" model computes in float64, else float32
        self.dtype: Any = np.float64 if self.session.get_inputs()[0].type == "tensor(double)" else np.float32
        self.path = str(path)

    def _check(self, sequences: Sequence[np.ndarray], names: Sequence[str] | None) -> list[np.ndarray]:
        """Each utterance as ``(T_i, F)`` of the graph's float type; a wrong feature count or length is a DataError naming the utterance."""
        out = []
        for i, s in enumerate(sequences):
            a = np.asarray(s, dtype=self.dtype)
            name = names[i] if names is not None else f"utterance {i}"
            if a.ndim >= 1 and a.shape[0] == 0:  # first: an empty list reads as shape (0,), no frames of a wrong width
                raise DataError(empty_refusal(name, "frames", max(1, self.min_length)))
            if a.ndim != 2 or a.shape[1] != self.n_features:
                raise DataError(f"{name} has frames of shape {a.shape[1:]} but the model reads {self.n_features} features per frame: pass the same features.")
            if a.shape[0] < self.min_length:  # 1 or more, below a least above 1: convolution/pooling layers set it
                raise DataError(f"{name} has {a.shape[0]} frames, but the model reads at least {self.min_length} (its convolution and pooling "
                                "need them): drop it or pad its frames.")
            if self.steps is not None and a.shape[0] > self.steps:
                raise DataError(f"{name} has {a.shape[0]} frames, but this ONNX graph reads {self.min_length} to {self.steps} (its input is fixed at "
                                "the export's longest utterance): transcribe it from the .safetensors file, which takes any length, or export "
                                "again with export_onnx(model, path, X=utterances) holding one this long.")
            out.append(a)
        return out

    def log_probs(self, sequences: Sequence[np.ndarray], names: Sequence[str] | None = None, batch: int = 256) -> list[np.ndarray]:
        """Per utterance, its per-frame natural-log probabilities ``(T'_i, 1 + len(alphabet))`` (column 0: the blank).

        Parameters
        ----------
        sequences : sequence of numpy.ndarray
            The utterances' frames, each ``(T_i, F)``.
        names : sequence of str, optional
            How a message names each utterance (default ``utterance i``).
        batch : int
            Utterances per run of the graph (sorted by length, so a batch holds little padding).
        """
        seqs = self._check(sequences, names)
        order = np.argsort([s.shape[0] for s in seqs], kind="stable")  # batches of similar lengths: little padding on a dynamic axis
        result: list[np.ndarray] = [np.empty(0)] * len(seqs)
        for start in range(0, len(seqs), batch):
            part = order[start : start + batch].tolist()
            steps = self.steps if self.steps is not None else max(seqs[i].shape[0] for i in part)
            X = np.full((len(part), steps, self.n_features), np.nan, dtype=self.dtype)
            for k, i in enumerate(part):
                X[k, : seqs[i].shape[0]] = seqs[i]
            lp, frames = self.session.run(["log_probs", "frames"], {"X": X})
            for k, i in enumerate(part):
                result[i] = lp[k, : int(frames[k])].astype(np.float64)
        return result


    def transcripts(self, sequences: Sequence[np.ndarray], beam_size: int | None = None, names: Sequence[str] | None = None) -> list[str]:
        """The transcript of each utterance, as the app's ``predict`` gives it.

        Its per-frame log-probabilities (:meth:`log_probs`) are decoded in NumPy.

        Parameters
        ----------
        sequences : sequence of numpy.ndarray
            The utterances' frames, each ``(T_i, F)``.
        beam_size : int, optional
            None or 1: greedy; else a prefix beam search of that width (``hl.apps.prefix_beam_search``).
        names : sequence of str, optional
            As :meth:`log_probs` takes them.
        """
        from ..apps import greedy_decode, prefix_beam_search  # NumPy decoders: no PyTorch

        decode = greedy_decode if not beam_size or beam_size == 1 else (lambda lp: prefix_beam_search(lp, int(beam_size)))
        return ["".join(self.alphabet[s - 1] for s in decode(lp)) for lp in self.log_probs(sequences, names)]


__all__ = ["SpeechOnnx", "onnx_estimator"]
