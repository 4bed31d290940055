"""The ONNX graph of a :class:`~hiddenlayers.apps.SpeechRecognizer`: its acoustic network, frames in, per-frame log-probabilities out.

Input ``X`` float32 ``(batch, steps, n_features)``: each utterance's raw frames (e.g. MFCCs), padded after its end with
whole steps of NaN, as the :class:`~hiddenlayers.apps.SequenceClassifier` graph reads sequences (its network reads each
utterance's length from the NaN steps, so every utterance gets what ``frame_log_probs`` gives it, whatever the batch's
longest); the per-feature standardisation runs in the graph. Outputs: ``log_probs`` ``(batch, out_steps, 1 + len(alphabet))``,
the natural-log softmax of every output frame (column 0 CTC's blank, column ``k`` the alphabet's ``k``-th symbol; 0.0 past
an utterance's own frames), and ``frames`` ``(batch,)`` int64, each utterance's output frames (its steps after the spec's
convolution/pooling). Decoding (greedy or prefix beam search) is left to the reader: it is plain NumPy on those outputs.

``steps`` is dynamic (pad a batch to its longest utterance) for the specs a SpeechRecognizer takes, as measured: convolutions,
1-D max/average pooling, (bi)LSTM/GRU layers returning every step, before a per-frame head. Such a graph is traced on a few
steps (:func:`trace_steps`: PyTorch's exporter on its own decomposes a recurrent layer step by step, which :mod:`._rnn_shapes`
now spares our exports), the same graph for any length. Each export checks it: the parity
utterances padded to three times their steps must give the same outputs. Where a dynamic export fails (any failure of the
conversion or of the check), the export falls back to ``steps`` fixed at the longest of ``max_len_`` and the parity
utterances, said in the report's notes. Average pooling before a GRU used to fail so (PyTorch's step-by-step GRU
decomposition could not follow the pooled length) and was fixed in advance; with :mod:`._rnn_shapes` it converts. Files
exported before were fixed so (older ones for every spec), and :class:`~hiddenlayers.ship.SpeechOnnx` still reads them.
The file's metadata ``speech`` keeps the alphabet, the step count (None: dynamic) and the long-table columns of
``fit_long`` (None after ``fit``), for ``hiddenlayers predict`` and ``evaluate``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._app_base import AppGraph, base_metadata, graph_network
from ._app_graph_seq import TRACE_STEPS, pad_with_nan, parity_sequences, unpack_bidirectional

SPEECH_KEY = "speech"


def _padded_reference(log_probs: list[np.ndarray], out_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(log-probabilities (N, out_steps, symbols) with 0.0 past each utterance's frames, frames (N,))`` from ``frame_log_probs``' list."""
    ref = np.zeros((len(log_probs), out_steps, log_probs[0].shape[1]), dtype=np.float64)
    for i, lp in enumerate(log_probs):
        ref[i, : lp.shape[0]] = lp
    return ref, np.array([lp.shape[0] for lp in log_probs], dtype=np.int64)


def speech_graph(model: Any, X: Any, fixed: bool = False, double: bool = False) -> AppGraph:
    """SpeechRecognizer: NaN-padded raw frames ``(N, steps, F)`` -> ``log_probs`` ``(N, out_steps, symbols)`` and ``frames`` ``(N,)``,
    checked on the utterances of ``X`` (parity utterances; random ones around the training frames when None) and traced on a
    sample of :func:`trace_steps` steps (a dynamic axis) or of the fixed width.

    ``steps`` is dynamic, unless ``fixed``; its ``fallback`` (for an export that fails so) fixes it
    (``fixed=True``) at the longest of ``max_len_`` and ``X``'s.
    ``double``: frames and ``log_probs`` are float64 and the network computes in float64 (a ``dtype="float64"`` model; LSTM/GRU layers
    refused in one line, as onnxruntime has no float64 kernel for them), else float32."""
    import torch
    from torch import Tensor

    from ..exceptions import DataError
    from ._scaled_graph import ScaledGraph

    network = graph_network(model.network_, double)  # first: a float64 LSTM/GRU is refused before any work
    floats = np.float64 if double else np.float32
    seqs = [np.asarray(s, dtype=floats) for s in parity_sequences(model, X)]
    n_features, width = int(model.n_features_in_), max(s.shape[0] for s in seqs)
    width = max(width, int(model.max_len_)) if fixed else width
    try:
        log_probs = model.frame_log_probs(seqs)  # also checks every utterance as predict does
    except (DataError, TypeError) as exc:
        raise ValueError(f"X cannot be the parity utterances: {exc}") from None
    for layer in network.hidden_layers:
        if getattr(layer, "bidirectional", False):
            unpack_bidirectional(layer)
    reference, frames = _padded_reference(log_probs, int(network.output_lengths(torch.tensor([width]))[0]))
    feeds = pad_with_nan(seqs, width, floats)

    class _Speech(ScaledGraph):
        def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
            lengths = (~torch.isnan(x[..., 0])).sum(1).clamp_min(1)  # (N,) each utterance's frames, as the network reads them
            z = (x - self.mean) / self.scale  # (N, steps, F) standardised; NaN padding stays NaN
            lp = torch.log_softmax(self.network(z), dim=2)  # (N, out_steps, symbols)
            out_frames = network.output_lengths(lengths)  # (N,): the same network, whose lengths are plain integer arithmetic
            keep = torch.arange(lp.shape[1], device=lp.device)[None, :] < out_frames[:, None]
            return torch.where(keep[..., None], lp, torch.zeros_like(lp)), out_frames

    shape: list[int | str] = ["batch", width if fixed else "steps", n_features]
    meta = base_metadata(model, "log_probs", shape, "(batch, steps, n_features)", "raw feature frames; steps after an utterance's end are NaN",
                         "float64" if double else "float32")
    meta[SPEECH_KEY] = json.dumps({"alphabet": model.alphabet_, "min_length": int(model.min_length_), "steps": width if fixed else None,
                                   "long_columns": getattr(model, "long_columns_", None)})
    axes = {0: torch.export.Dim("batch")} if fixed else {0: torch.export.Dim("batch"), 1: torch.export.Dim.AUTO}
    dtype = torch.float64 if double else torch.float32
    sample = torch.zeros(2, width if fixed else trace_steps(network, int(model.min_length_), width), n_features, dtype=dtype)
    return AppGraph(_Speech(network, model.mean_, model.scale_, (-1,), dtype).eval(), sample, feeds, reference,
                    ["log_probs", "frames"], shape, meta, input_types=["float64" if double else "float32"], double=double, notes=_notes(model, width if fixed else None),
                    extra_reference={"frames": frames.astype(np.float64)}, dynamic_shapes={"x": axes},
                    edit=None if fixed else (lambda proto: _dynamic_steps(proto, feeds)),
                    fallback=None if fixed else (lambda: speech_graph(model, X, fixed=True, double=double)))


def trace_steps(network: Any, min_length: int, width: int) -> int:
    """The input steps of the sample a dynamic steps axis is traced with: the fewest from ``max(3, min_length)`` whose output
    frames (after the spec's convolution/pooling) number at least 3, and at most ``width`` (the parity utterances' longest).

    Few, as PyTorch's exporter on its own traces a recurrent layer step by step (:mod:`._rnn_shapes` spares that); 3 or more frames
    in every layer, as a size of 1, or of the batch (2), would be specialised or tied to it. The graph is the same for any
    length: the parity check and :func:`_dynamic_steps` run on the parity utterances, padded to ``width`` and to three times it.
    """
    import torch

    steps = max(TRACE_STEPS, int(min_length))
    while steps < width and int(network.output_lengths(torch.tensor([steps]))[0]) < TRACE_STEPS:
        steps += 1
    return min(steps, int(width))


def _notes(model: Any, steps: int | None) -> list[str]:
    """The export report's notes on the input (``steps``: its fixed count, None when dynamic) and the outputs."""
    n_features = int(model.n_features_in_)
    if steps is None:
        first = (f"input X is raw frames (batch, steps, {n_features}), steps dynamic: each utterance padded after its end with whole NaN steps "
                 "to the batch's longest")
    else:
        first = (f"input X is raw frames (batch, {steps}, {n_features}), steps fixed: PyTorch's exporter could not keep this spec's steps "
                 "dynamic, so every utterance is padded after its "
                 f"end with whole NaN steps to {steps}, the longest in fit or in the parity utterances X; longer ones do not fit the graph "
                 "(export with a longer one in X to widen it)")
    return [f"{first}; standardisation is in the graph; every utterance needs >= {int(model.min_length_)} frame(s)",
            f"outputs log_probs (batch, out_steps, {len(model.alphabet_) + 1}): per output frame, the log-softmax over CTC's blank (column 0) "
            f"and the alphabet {model.alphabet_!r}, 0.0 past each utterance's own frames; frames (batch,): those frames' count. "
            "Decode greedily or by beam search"]


def _dynamic_steps(proto: Any, feeds: np.ndarray) -> None:
    """Name the input's step axis ``steps`` and ``log_probs``' frame axis ``out_steps``, then refuse a graph whose outputs change when
    the parity utterances ``feeds`` come with three times their steps of NaN padding (a step count baked into the graph)."""
    import onnxruntime as ort

    dim = proto.graph.input[0].type.tensor_type.shape.dim[1]
    if dim.HasField("dim_value"):
        raise ValueError(f"the exporter fixed the ONNX input at {dim.dim_value} steps for this spec, so the graph would not take other lengths; "
                         "report this spec.")
    dim.dim_param = "steps"
    out = next(o for o in proto.graph.output if o.name == "log_probs").type.tensor_type.shape.dim[1]
    out.dim_param = "out_steps"  # the exporter may state the traced count
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    base, frames = sess.run(None, {"X": feeds})
    longer = np.concatenate([feeds, np.full((feeds.shape[0], 2 * feeds.shape[1], feeds.shape[2]), np.nan, dtype=feeds.dtype)], axis=1)
    try:
        more, more_frames = sess.run(None, {"X": longer})
        diff = max(float(np.max(np.abs(more[:, : base.shape[1]] - base))), float(np.max(np.abs(more[:, base.shape[1]:]), initial=0.0)),
                   float(np.max(np.abs(more_frames - frames))))
        why = f"NaN padding to three times the steps changes the outputs by {diff:.3g}"
    except Exception as exc:  # onnxruntime's own error types: a shape baked into the graph
        diff, why = float("inf"), f"onnxruntime fails at three times the steps: {type(exc).__name__}"
    if not diff <= 1e-5:
        raise ValueError(f"the exported graph does not take other step counts than the traced one ({why}): this spec's layers are not "
                         "exportable with a dynamic steps axis; report the spec.")


__all__ = ["SPEECH_KEY", "speech_graph", "trace_steps"]
