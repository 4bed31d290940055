"""The ONNX graph of a :class:`~hiddenlayers.apps.SpeechRecognizer`: its acoustic network, frames in, per-frame log-probabilities out.

Input ``X`` float32 ``(batch, steps, n_features)``: each utterance's raw frames (e.g. MFCCs), padded after its end with
whole steps of NaN, as the :class:`~hiddenlayers.apps.SequenceClassifier` graph reads sequences (its network reads each
utterance's length from the NaN steps, so every utterance gets what ``frame_log_probs`` gives it, whatever the batch's
longest); the per-feature standardisation runs in the graph. Outputs: ``log_probs`` ``(batch, out_steps, 1 + len(alphabet))``,
the natural-log softmax of every output frame (column 0 CTC's blank, column ``k`` the alphabet's ``k``-th symbol; 0.0 past
an utterance's own frames), and ``frames`` ``(batch,)`` int64, each utterance's output frames (its steps after the spec's
convolution/pooling). Decoding (greedy or prefix beam search) is left to the reader: it is plain NumPy on those outputs.

``steps`` is fixed at the longest of ``max_len_`` (the longest utterance in fit) and the parity utterances ``X``:
PyTorch's exporter bakes the traced length into 1-D pooling and into what follows a recurrent layer that returns every
step, and a CTC network's recurrent layers all do. Pad every utterance to it; a longer one has no place in the graph
(export with ``X`` holding utterances as long as the longest to transcribe, to widen it). The file's metadata ``speech`` keeps the alphabet,
the step count and the long-table columns of ``fit_long`` (None after ``fit``), for ``hiddenlayers predict``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._app_base import AppGraph, base_metadata, cpu_network, hold_scaling
from ._app_graph_seq import pad_with_nan, parity_sequences, unpack_bidirectional

SPEECH_KEY = "speech"


def _padded_reference(log_probs: list[np.ndarray], out_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(log-probabilities (N, out_steps, symbols) with 0.0 past each utterance's frames, frames (N,))`` from ``frame_log_probs``' list."""
    ref = np.zeros((len(log_probs), out_steps, log_probs[0].shape[1]), dtype=np.float64)
    for i, lp in enumerate(log_probs):
        ref[i, : lp.shape[0]] = lp
    return ref, np.array([lp.shape[0] for lp in log_probs], dtype=np.int64)


def speech_graph(model: Any, X: Any) -> AppGraph:
    """SpeechRecognizer: NaN-padded raw frames ``(N, steps, F)`` -> ``log_probs`` ``(N, out_steps, symbols)`` and ``frames`` ``(N,)``;
    ``steps``: the longest of ``max_len_`` and the utterances of ``X`` (parity utterances; random ones around the training frames when None)."""
    import torch
    from torch import Tensor, nn

    from ..exceptions import DataError

    seqs = [np.asarray(s, dtype=np.float32) for s in parity_sequences(model, X)]
    n_features, width = int(model.n_features_in_), max(int(model.max_len_), max(s.shape[0] for s in seqs))
    try:
        log_probs = model.frame_log_probs(seqs)  # also checks every utterance as predict does
    except (DataError, TypeError) as exc:
        raise ValueError(f"X cannot be the parity utterances: {exc}") from None
    network = cpu_network(model.network_).float()  # onnxruntime's LSTM and GRU take no float64: a float64 model runs in float32
    for layer in network.hidden_layers:
        if getattr(layer, "bidirectional", False):
            unpack_bidirectional(layer)
    out_steps = int(network.output_lengths(torch.tensor([width]))[0])
    reference, frames = _padded_reference(log_probs, out_steps)

    class _Speech(nn.Module):
        network: nn.Module
        mean: Tensor
        scale: Tensor

        def __init__(self) -> None:
            super().__init__()
            hold_scaling(self, network, model.mean_, model.scale_)

        def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
            lengths = (~torch.isnan(x[..., 0])).sum(1).clamp_min(1)  # (N,) each utterance's frames, as the network reads them
            z = (x - self.mean) / self.scale  # (N, steps, F) standardised; NaN padding stays NaN
            lp = torch.log_softmax(self.network(z), dim=2)  # (N, out_steps, symbols)
            out_frames = network.output_lengths(lengths)  # (N,): the same network, whose lengths are plain integer arithmetic
            keep = torch.arange(lp.shape[1], device=lp.device)[None, :] < out_frames[:, None]
            return torch.where(keep[..., None], lp, torch.zeros_like(lp)), out_frames

    shape: list[int | str] = ["batch", width, n_features]
    meta = base_metadata(model, "log_probs", shape, "(batch, steps, n_features)", "raw feature frames; steps after an utterance's end are NaN")
    meta[SPEECH_KEY] = json.dumps({"alphabet": model.alphabet_, "min_length": int(model.min_length_), "steps": width, "out_steps": out_steps,
                                   "long_columns": getattr(model, "long_columns_", None)})
    notes = [f"input X is raw frames (batch, {width}, {n_features}): each utterance padded after its end with whole NaN steps to {width} "
             f"(the longest in fit or in the parity utterances X; longer ones do not fit the graph: export with a longer one in X to widen it); standardisation is in the graph; every utterance needs >= {int(model.min_length_)} frame(s)",
             f"outputs log_probs (batch, {out_steps}, {len(model.alphabet_) + 1}): per output frame, the log-softmax over CTC's blank (column 0) and "
             f"the alphabet {model.alphabet_!r}, 0.0 past each utterance's own frames; frames (batch,): those frames' count. Decode greedily or by beam search"]
    return AppGraph(_Speech().eval(), torch.zeros(2, width, n_features), pad_with_nan(seqs, width), reference, ["log_probs", "frames"], shape, meta,
                    notes, extra_reference={"frames": frames.astype(np.float64)}, dynamic_shapes={"x": {0: torch.export.Dim("batch")}})


__all__ = ["SPEECH_KEY", "speech_graph"]
