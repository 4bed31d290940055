"""The ONNX graph of a :class:`~hiddenlayers.apps.SequenceClassifier` on feature frames (e.g. MFCC).

Input ``X`` float32 ``(batch, steps, n_features)``: the raw frames of each
sequence, padded after its end with whole steps of NaN, as the app pads
sequences of different lengths itself (its network reads the lengths from the
NaN steps, so the ONNX graph gives each sequence exactly what ``predict_proba``
gives it, whatever the batch's longest). The per-feature standardisation
runs in the graph. Output ``probabilities`` ``(batch, n_classes)`` in
``classes_`` order.

``steps`` is dynamic where PyTorch's exporter keeps it so. With ``max_len``
set, the graph reads each sequence's first ``max_len`` steps itself, as
``predict`` does (:func:`first_steps`), so sequences of any length may be fed;
a spec whose layers fix the step count (1-D max/avg pooling, a recurrent layer
that returns every step, ``:seq``) then runs on exactly ``max_len`` steps, the
graph adding NaN steps after a shorter batch's end. Where such a dynamic
export fails (the conversion, or the check that 3 more NaN steps change
nothing), the export falls back to ``steps`` fixed at ``max_len`` (feed each
sequence's first ``max_len`` steps), said in the report's notes. Without
``max_len``, ``steps`` is fixed at ``max_len_`` (the longest sequence in fit:
pad every sequence to it) for a spec whose layers fix it, and for a dense
layer over the flattened time axis whatever ``max_len``. Bidirectional
recurrent layers, which the app runs on a packed sequence (no ONNX
operator), run each direction on its own, the backward one on every sequence
reversed within its length. A model fitted on token ids has its own graph (:mod:`._app_graph_ids`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from ._app_base import AppGraph, base_metadata, graph_network


def parity_sequences(model: Any, X: Any) -> list[np.ndarray]:
    """The parity sequences: the user's (any form ``predict`` takes), or random ones of mixed lengths around the training frames,
    two of them 3 steps longer than a ``max_len`` (which ``predict`` and the graph cut)."""
    if X is not None:
        if isinstance(X, (str, bytes)) or not hasattr(X, "__iter__"):
            raise ValueError(f"X must be sequences for the parity check: a list of (T_i, F) arrays or an (N, T, F) array. Received: {type(X).__name__}.")
        return list(X.to_numpy() if hasattr(X, "to_numpy") else X)
    rng = np.random.default_rng(0)
    lo, hi = int(model.min_length_), int(model.max_len_)
    lengths = np.full(64, hi) if model.network_.fixed_length else rng.integers(lo, hi + 1, size=64)
    lengths[:2] = hi if model.network_.fixed_length else (lo, hi)
    if getattr(model, "max_len", None) is not None and not model.network_.fixed_length:  # a SpeechRecognizer has none
        lengths[2:4] = int(model.max_len) + 3
    return [(rng.standard_normal((int(t), model.n_features_in_)) * model.scale_ + model.mean_).astype(np.float32) for t in lengths]


def pad_with_nan(seqs: list[np.ndarray], steps: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """``(N, steps, F)`` of ``dtype`` (float32, or float64 for a float64 graph): each ``(T_i, F)`` sequence then whole NaN steps
    (``steps``: default the longest)."""
    steps = max(s.shape[0] for s in seqs) if steps is None else steps
    out = np.full((len(seqs), steps, seqs[0].shape[1]), np.nan, dtype=dtype)
    for i, s in enumerate(seqs):
        out[i, : min(s.shape[0], steps)] = s[:steps]
    return out


def sequence_graph(model: Any, X: Any, double: bool = False, fixed: bool = False) -> AppGraph:
    """SequenceClassifier: NaN-padded raw frames ``(N, steps, F)`` -> class probabilities ``(N, n_classes)``, in float32, or in
    float64 from input to output where ``double`` (a ``dtype="float64"`` model without LSTM/GRU layers: onnxruntime has no float64 kernel for them).

    ``steps`` is dynamic unless ``fixed`` or :func:`steps_rule` fixes it; a dynamic graph of a model with ``max_len`` cuts each
    sequence there itself, and its ``fallback`` (for an export that fails so) is the graph with ``fixed=True``, at ``max_len``."""
    import torch
    from torch import Tensor

    from ..exceptions import DataError
    from ._scaled_graph import ScaledGraph

    network = graph_network(model.network_, double)  # first: a float64 LSTM/GRU is refused before any work
    floats = np.float64 if double else np.float32
    n_features, cut = int(model.n_features_in_), model.max_len
    seqs = parity_sequences(model, X)
    try:
        reference = np.asarray(model.predict_proba(seqs), dtype=np.float64)  # also checks every sequence as predict does
    except (DataError, TypeError) as exc:
        raise ValueError(f"X cannot be the parity sequences: {exc}") from None
    seqs = [np.asarray(s, dtype=floats) for s in seqs]
    for layer in network.hidden_layers:
        if getattr(layer, "bidirectional", False):
            unpack_bidirectional(layer)

    fixed, width, exact = steps_rule(model, fixed)
    graph_cut = None if fixed else cut  # a fixed graph is fed the first `width` steps already

    class _Sequence(ScaledGraph):
        def forward(self, x: Tensor) -> Tensor:
            x = first_steps(x, graph_cut, float("nan"), exact)  # predict's cut at max_len, in the graph
            z = (x - self.mean) / self.scale  # (N, steps, F) standardised; NaN padding stays NaN
            p = torch.softmax(self.network(z).to(torch.float64), dim=1)
            return p if double else p.to(torch.float32)

    longest = int(model.max_len_)
    feeds = pad_with_nan(seqs, width if fixed else None, floats)  # fixed: each sequence's first `width` steps; dynamic: whole (the graph cuts)
    if fixed and cut is None and any(s.shape[0] > width for s in seqs):
        raise ValueError(f"this spec's layers fix the ONNX input at {width} steps (the longest sequence in fit), "
                         f"but X has a sequence of {max(s.shape[0] for s in seqs)}: pass sequences of at most {width} steps.")
    steps: int | str = width if fixed else "steps"
    shape: list[int | str] = ["batch", steps, n_features]

    meta = base_metadata(model, "probabilities", shape, "(batch, steps, n_features)", "raw feature frames; steps after a sequence's end are NaN",
                         "float64" if double else "float32")
    meta["classes"] = json.dumps(np.asarray(model.classes_).tolist())
    meta["sequence"] = json.dumps({"min_length": int(model.min_length_), "max_len": cut, "fitted_steps": longest, "steps_fixed": fixed,
                                   "fixed_length": bool(model.network_.fixed_length)})  # the layers read exactly fitted_steps (a server's check)
    notes = ["input X is raw frames (batch, steps, n_features), each sequence padded after its end with whole NaN steps; "
             f"standardisation is in the graph; every sequence needs >= {int(model.min_length_)} step(s)", *steps_notes(model, fixed, width, exact)]
    axes = {0: torch.export.Dim("batch")} if fixed else {0: torch.export.Dim("batch"), 1: torch.export.Dim.AUTO}
    dtype = torch.float64 if double else torch.float32
    sample = torch.zeros(2, width if fixed else trace_steps(model), n_features, dtype=dtype)
    return AppGraph(_Sequence(network, model.mean_, model.scale_, (-1,), dtype).eval(), sample, feeds, reference, ["probabilities"], shape, meta,
                    notes, dynamic_shapes={"x": axes}, edit=steps_edit(fixed, feeds, fix="report this spec, or pad every sequence to the fitted length and refit"),
                    input_types=["float64" if double else "float32"], double=double,
                    fallback=None if fixed or cut is None else (lambda: sequence_graph(model, X, double=double, fixed=True)))


def steps_rule(model: Any, fixed: bool = False) -> tuple[bool, int, bool]:
    """``(fixed, width, exact)``: whether a sequence model's graph has a fixed steps axis, its step count where fixed (or what
    its layers run on where ``exact``), and whether a dynamic graph with ``max_len`` pads each batch to exactly ``max_len`` steps.

    Fixed where ``fixed`` (an export's fallback: at ``max_len``), where the layers flatten time (at ``max_len_``, the fitted
    length), and where :func:`steps_fixed`'s layers fix it and the model has no ``max_len`` (at ``max_len_``). With ``max_len``,
    the graph cuts each sequence there itself (:func:`first_steps`), so its steps axis stays dynamic; such layers then run on
    exactly ``max_len`` steps (``exact``)."""
    cut, flat = model.max_len, bool(model.network_.fixed_length)
    layers_fix = steps_fixed(model.network_)
    width = int(model.max_len_) if flat or cut is None else int(cut)
    return fixed or flat or (layers_fix and cut is None), width, layers_fix and not flat


def first_steps(x: Any, cut: int | None, pad: float, exact: bool) -> Any:
    """Each row's first ``cut`` steps of ``x`` ``(N, steps, ...)``, as ``predict`` cuts a sequence at ``max_len`` (``x`` itself where
    ``cut`` is None). ``exact``: exactly ``cut`` steps, ``pad`` (NaN frames, or the pad id) added after the end of a batch of fewer,
    for layers whose graph fixes its step count (:func:`steps_fixed`); else ``min(steps, cut)``, the exporter keeping ``steps`` dynamic."""
    import torch

    if cut is None:
        return x
    if exact:
        x = torch.cat((x, x.new_full((x.shape[0], cut, *x.shape[2:]), pad)), dim=1)  # steps + cut >= cut: the slice is exactly cut
    return x[:, :cut]


def steps_notes(model: Any, fixed: bool, width: int, exact: bool, pad: str = "NaN") -> list[str]:
    """The report's note on a sequence graph's steps axis (:func:`steps_rule`'s three values), ``pad`` naming the padding (NaN
    steps, or a token-id graph's pad id); none for a dynamic axis without ``max_len``."""
    cut = model.max_len
    if fixed and (model.network_.fixed_length or cut is None):
        return [f"this spec's layers (1-D pooling, a recurrent layer returning every step, or dense over the flattened time axis) fix steps at {width} "
                f"= the longest sequence in fit: pad every sequence to {width} steps with {pad}"]
    if fixed:
        return [f"steps is fixed at max_len = {width} (PyTorch's exporter could not keep it dynamic for this spec): feed each sequence's first "
                f"{width} steps (all that predict reads), padded to {width} with {pad}"]
    if cut is None:
        return []
    runs = f"; this spec's layers run on exactly {cut} steps, the graph padding a shorter batch with {pad}" if exact else ""
    return [f"the graph reads each sequence's first max_len = {cut} steps, as predict does: feed sequences of any length, "
            f"padded with {pad} to the batch's longest{runs}"]


TRACE_STEPS = 3


def trace_steps(model: Any) -> int:
    """The steps of the sample a dynamic steps axis is traced with: few (PyTorch's exporter on its own traces a recurrent layer
    step by step, which :mod:`._rnn_shapes` now spares our exports), but at least ``min_length_`` and at least 3 (a size of 1 or
    of the batch, 2, would be specialised or tied to it). The graph is the same for any length; the parity check runs on the full-length sequences."""
    return max(TRACE_STEPS, int(model.min_length_))


def _reversal(x: Any, lengths: Any) -> Any:
    """``(N, T)`` step indices that put each sample's first ``lengths[n]`` steps of ``x`` ``(N, T, ...)`` in reverse order and
    leave the padding after them in place; the same for every tensor with ``x``'s steps, so one serves a whole layer.

    Taken from the layer's input, not from a recurrent output: the exporter may give that output the traced step count as
    a constant (it does when its while-loop LSTM/GRU kernel is not the one traced), which would bake ``arange(12)`` in.
    """
    import torch

    t = torch.arange(x.shape[1], device=x.device)[None, :]  # (1, T)
    last = lengths.to(x.device)[:, None] - 1  # (N, 1)
    return torch.where(t <= last, last - t, t)  # (N, T)


def _reverse(h: Any, order: Any) -> Any:
    """``h`` ``(N, T, C)`` with its steps taken in ``order`` ``(N, T)`` (from :func:`_reversal`; applying it twice restores ``h``)."""
    return h.gather(1, order[..., None].expand(-1, -1, h.shape[2]))


def unpack_bidirectional(layer: Any) -> None:
    """Make the bidirectional recurrent ``layer`` (a copy) exportable: each direction of each stacked layer runs as its
    own one-directional LSTM/GRU, the backward one on every sequence reversed within its own length.

    The app runs such a layer on a ``PackedSequence``, which ONNX cannot express; reversing within lengths gives the
    backward direction the same steps in the same order, so the outputs are the packed run's (checked by the parity).
    """
    import torch
    from torch import Tensor, nn

    rnn = layer.rnn
    directions = nn.ModuleList()
    for depth in range(rnn.num_layers):
        pair = nn.ModuleList()
        for suffix in ("", "_reverse"):
            one = type(rnn)(rnn.input_size if depth == 0 else 2 * rnn.hidden_size, rnn.hidden_size, bias=rnn.bias, batch_first=True)
            for name in ("weight_ih", "weight_hh", *(("bias_ih", "bias_hh") if rnn.bias else ())):
                getattr(one, f"{name}_l0").data.copy_(getattr(rnn, f"{name}_l{depth}{suffix}").data)
            pair.append(one)
        directions.append(pair)

    def forward(self: Any, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.int64, device=x.device)
        order = _reversal(x, lengths)  # (N, T): every depth's steps are x's
        h = x  # (N, T, F), zeros past each end
        for forward_rnn, backward_rnn in self.directions:
            ahead, _ = forward_rnn(h)  # (N, T, units)
            back, _ = backward_rnn(_reverse(h, order))
            back = _reverse(back, order)  # back in step order: step t has read t..end
            h = torch.cat((ahead, back), dim=2)  # (N, T, 2 units)
        if self.sequence:
            keep = torch.arange(x.shape[1], device=h.device)[None, :] < lengths.to(h.device)[:, None]
            out = h * keep[..., None].to(h.dtype)  # zeros past each end, as the packed run pads
        else:
            last = (lengths.to(h.device) - 1).view(-1, 1, 1).expand(-1, 1, ahead.shape[2])
            out = torch.cat((ahead.gather(1, last).squeeze(1), back[:, 0]), dim=1)  # forward's state at the end, backward's at the start
        return self.dropout(out) if self.dropout is not None else out

    layer.directions = directions
    layer.__class__ = type("ExportableBidirectional", (type(layer),), {"forward": forward})


def steps_fixed(network: Any) -> bool:
    """Whether the graph's step axis must be the fitted length: a flattened time axis needs it, and PyTorch's
    exporter bakes the traced length into 1-D pooling and into what follows a recurrent layer that returns every step."""
    from ..network import PoolLayer, RecurrentLayer

    return bool(network.fixed_length) or any(
        isinstance(layer, PoolLayer) or (isinstance(layer, RecurrentLayer) and layer.sequence) for layer in network.hidden_layers)


def steps_edit(fixed: bool, feeds: np.ndarray, pad: Any = np.nan, fix: str = "report this spec") -> Callable[[Any], None]:
    """The ``AppGraph.edit`` of a sequence graph: where its steps axis is dynamic (not ``fixed``), name it ``steps``, and refuse
    a graph whose steps axis the exporter fixed (``fix``: the refusal's remedy) or whose answers change with more ``pad`` steps
    after the parity ``feeds`` (:func:`check_padding_invariance`)."""
    def edit(proto: Any) -> None:
        dim = proto.graph.input[0].type.tensor_type.shape.dim[1]
        if fixed:
            return
        if dim.HasField("dim_value"):
            raise ValueError(f"the exporter fixed the ONNX input at {dim.dim_value} steps for this spec, so the graph would not take other lengths; {fix}.")
        dim.dim_param = "steps"
        check_padding_invariance(proto, feeds, pad)

    return edit


def check_padding_invariance(proto: Any, feeds: np.ndarray, pad: Any = np.nan) -> None:
    """Refuse a graph whose output changes when the same sequences come with 3 more steps of padding (``pad``: whole NaN frames,
    or a token-id graph's pad id): its step axis is not truly dynamic."""
    import onnxruntime as ort

    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    longer = np.concatenate([feeds, np.full((feeds.shape[0], 3, *feeds.shape[2:]), pad, dtype=feeds.dtype)], axis=1)
    base = sess.run(None, {"X": feeds})[0]  # at the parity feeds' own step count (a failure here is not about steps)
    try:
        diff = float(np.max(np.abs(sess.run(None, {"X": longer})[0] - base)))
    except Exception as exc:  # onnxruntime's own error types: a shape baked into the graph
        diff, why = float("inf"), f"onnxruntime fails at 3 more steps: {type(exc).__name__}"
    else:
        why = f"3 more padding steps change the outputs by {diff:.3g}"
    if not diff <= 1e-5:
        raise ValueError(f"the exported graph does not take other step counts than the traced one ({why}): this spec's layers are not exportable "
                         "with a dynamic steps axis; report the spec.")


__all__ = ["check_padding_invariance", "first_steps", "pad_with_nan", "parity_sequences", "sequence_graph", "steps_edit", "steps_fixed", "steps_notes", "steps_rule", "trace_steps", "unpack_bidirectional"]
