"""The ONNX graph of a model that reads token ids: a :class:`~hiddenlayers.apps.TextClassifier`, or a
:class:`~hiddenlayers.apps.SequenceClassifier` fitted on token ids.

As Hugging Face's exports do, the graph takes token ids and the tokenizer travels beside it: input ``X`` int64
``(batch, steps)``, each row one sequence's ids then the pad id after its end; output ``probabilities``
``(batch, n_classes)`` in ``classes_`` order (labels: their argmax in the ``classes`` metadata), exactly what
``predict_proba`` gives each sequence whatever the batch's longest. The pad id is the network's own (0) for a
TextClassifier, whose tokenizer keeps id 0 for padding and 1 for unknown tokens; a SequenceClassifier's ids are the
user's own (0 is a real token), padded with -1, and the graph adds the model's shift of 1 itself.

A TextClassifier's file holds its :class:`~hiddenlayers.apps.Tokenizer` as JSON (metadata :data:`TOKENIZER_KEY`),
so the export is self-contained: our onnxruntime paths tokenize in NumPy (:mod:`._onnx_text`, where the metadata keys
are) and another runtime follows the rules written in ``docs/guide/ship.md``.

``steps`` is dynamic where the exporter keeps it so (recurrent layers returning their last step, 1-D convolutions,
global pooling; bidirectional layers run each direction on its own, as :mod:`._app_graph_seq` does for frames).
With ``max_len`` (the TextClassifier's default 200) the graph reads each row's first ``max_len`` ids itself, as the
tokenizer and ``predict`` cut, so rows of any length may be fed; a spec whose layers fix the step count (1-D pooling,
``:seq``) then runs on exactly ``max_len`` steps, the graph padding a shorter batch with the pad id. Where such a dynamic
export fails, the export falls back to ``steps`` fixed at ``max_len`` (feed each row's first ``max_len`` ids), said in the
report's notes. ``steps`` is fixed at the longest sequence in fit where ``max_len`` is None and the layers fix it, or where
the layers flatten time (:func:`~._app_graph_seq.steps_rule`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._app_base import AppGraph, base_metadata, graph_network
from ._app_graph_seq import first_steps, steps_edit, steps_notes, steps_rule, trace_steps, unpack_bidirectional
from ._onnx_text import TOKENIZER_KEY, TOKENS_KEY

PARITY_TEXTS = 64  # random parity texts or id sequences, where the caller gives none


def id_shift(model: Any) -> int:
    """What the network adds to a user's token id: 1 for a SequenceClassifier (0 is a real id there), 0 for a TextClassifier
    (its tokenizer keeps 0 for padding); from the public ``vocab_size_`` and ``max_id_``."""
    return int(model.vocab_size_) - 1 - int(model.max_id_)


def is_text(model: Any) -> bool:
    """Whether ``model`` reads texts (a TextClassifier: a fitted ``tokenizer_``), not ids."""
    return getattr(model, "tokenizer_", None) is not None


def _unseen_token(tokenizer: Any) -> str | None:
    """A one-token text outside ``tokenizer``'s vocabulary (the parity's unknown word), or None where every candidate is in it."""
    for word in ("qzxunseenword", "\u2603", "\u0416", "~"):
        toks = tokenizer.split(word)
        if len(toks) == 1 and toks[0] not in tokenizer.tokens:
            return word
    return None


def _random_texts(model: Any, rng: np.random.Generator) -> list[str]:
    """Texts of vocabulary tokens of mixed lengths up to the longest in fit (two of them 3 tokens longer than a ``max_len``,
    which the graph cuts), every third with a word unseen in fit, and an empty text (read as one unknown token) where the layers take one step."""
    tok = model.tokenizer_
    join = " " if tok.mode == "word" else ""
    unseen = _unseen_token(tok)
    fixed = bool(model.network_.fixed_length)  # predict reads texts of exactly the fitted length only
    lo, hi = int(model.min_length_), int(model.max_len_)
    texts = [""] if lo <= 1 and not fixed else []
    longer = None if fixed or model.max_len is None else int(model.max_len) + 3  # the last two texts' tokens
    while len(texts) < PARITY_TEXTS:
        n = hi if fixed else longer if longer and len(texts) >= PARITY_TEXTS - 2 else int(rng.integers(lo, hi + 1))
        words = [tok.tokens[i] for i in rng.integers(0, len(tok.tokens), size=n)] if tok.tokens else [unseen or ""] * n
        if unseen is not None and len(texts) % 3 == 0:
            words[int(rng.integers(0, n))] = unseen
        texts.append(join.join(words))
    return texts


def _random_ids(model: Any, rng: np.random.Generator) -> list[np.ndarray]:
    """Id sequences of every id seen in fit, of mixed lengths from the fewest the layers take to the longest in fit, and two
    3 ids longer than a ``max_len`` (which ``predict`` and the graph cut)."""
    lo, hi = int(model.min_length_), int(model.max_len_)
    lengths = np.full(PARITY_TEXTS, hi) if model.network_.fixed_length else rng.integers(lo, hi + 1, size=PARITY_TEXTS)
    if model.max_len is not None and not model.network_.fixed_length:
        lengths[-2:] = int(model.max_len) + 3
    return [rng.integers(0, int(model.max_id_) + 1, size=int(t)).astype(np.int64) for t in lengths]


def parity_ids(model: Any, X: Any) -> tuple[list[np.ndarray], np.ndarray]:
    """``(id sequences as the graph reads them, predict_proba of the same inputs)``: ``X`` is texts (a TextClassifier) or id
    sequences (a SequenceClassifier), as ``predict`` takes them; random ones of the fitted vocabulary and lengths when None."""
    from ..exceptions import DataError

    rng = np.random.default_rng(0)
    text = is_text(model)
    if X is None:
        X = _random_texts(model, rng) if text else _random_ids(model, rng)
    elif isinstance(X, (str, bytes)) or not hasattr(X, "__iter__"):
        raise ValueError(f"X must be {'a list of texts' if text else 'token id sequences (a list of 1-D integer arrays)'} for the parity check. "
                         f"Received: {type(X).__name__}.")
    elif hasattr(X, "to_numpy"):
        X = X.to_numpy()
    try:
        reference = np.asarray(model.predict_proba(X), dtype=np.float64)  # also checks every text or sequence as predict does
    except (DataError, TypeError) as exc:
        raise ValueError(f"X cannot be the parity {'texts' if text else 'sequences'}: {exc}") from None
    if text:
        import copy

        from ..apps import as_texts

        whole = copy.copy(model.tokenizer_)
        whole.max_len = None  # every token: a graph with max_len cuts the ids itself, as the tokenizer does (pad_ids cuts a fixed one's)
        return whole.text_ids(as_texts(X)), reference
    return [np.asarray(s, dtype=np.int64) for s in X], reference


def ids_metadata(model: Any, shape: list[int | str], fixed: bool, width: int, double: bool) -> dict[str, str]:
    """The export's ``metadata_props``: the base keys, ``classes``, ``sequence`` (the step rules, as a frames export's),
    :data:`TOKENS_KEY` and, for a TextClassifier, :data:`TOKENIZER_KEY`."""
    text, shift = is_text(model), id_shift(model)
    values = ("token ids of the tokenizer in the 'tokenizer' metadata (0 = padding, 1 = unknown); steps after a text's end are 0" if text
              else "the token ids predict reads (0 to max_id); steps after a sequence's end are -1")
    meta = base_metadata(model, "probabilities", shape, "(batch, steps)", values, "int64")
    meta["classes"] = json.dumps(np.asarray(model.classes_).tolist())
    meta["sequence"] = json.dumps({"min_length": int(model.min_length_), "max_len": model.max_len, "fitted_steps": int(model.max_len_),
                                   "steps_fixed": fixed, "fixed_length": bool(model.network_.fixed_length), "graph_steps": width if fixed else None})
    meta[TOKENS_KEY] = json.dumps({"pad_id": -shift, "id_shift": shift, "max_id": int(model.max_id_), "unknown_id": 1 if text else None})
    if text:
        meta[TOKENIZER_KEY] = model.tokenizer_.to_json()
    return meta


def ids_graph(model: Any, X: Any, double: bool = False, fixed: bool = False) -> AppGraph:
    """TextClassifier or token-id SequenceClassifier: padded ids ``(N, steps)`` int64 -> class probabilities ``(N, n_classes)``,
    in float32, or in float64 where ``double`` (a ``dtype="float64"`` model without LSTM/GRU layers).

    ``steps`` is dynamic unless ``fixed`` or :func:`~._app_graph_seq.steps_rule` fixes it; a dynamic graph of a model with ``max_len``
    cuts each row there itself, and its ``fallback`` (for an export that fails so) is the graph with ``fixed=True``, at ``max_len``."""
    import torch
    from torch import Tensor, nn

    from ..apps import pad_ids

    network = graph_network(model.network_, double)  # first: a float64 LSTM/GRU is refused before any work
    seqs, reference = parity_ids(model, X)
    for layer in network.hidden_layers:
        if getattr(layer, "bidirectional", False):
            unpack_bidirectional(layer)
    shift = id_shift(model)
    cut = model.max_len  # the tokenizer's (or the runner's) cut: predict reads no more ids than this
    fixed, width, exact = steps_rule(model, fixed)  # fixed at max_len: every text predict reads fits
    graph_cut = None if fixed else cut  # a fixed graph is fed each row's first `width` ids already
    if fixed and cut is None and any(len(s) > width for s in seqs):
        raise ValueError(f"this spec's layers fix the ONNX input at {width} steps (the longest sequence in fit), "
                         f"but X has a sequence of {max(len(s) for s in seqs)} tokens: pass {'texts' if is_text(model) else 'sequences'} of at most {width}.")
    feeds = pad_ids(seqs, width if fixed else None, pad_id=-shift)

    class _Ids(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, x: Tensor) -> Tensor:
            ids = first_steps(x + shift if shift else x, graph_cut, 0, exact)  # (N, steps): the network's ids, 0 = padding, cut at max_len
            p = torch.softmax(self.network(ids).to(torch.float64), dim=1)
            return p if double else p.to(torch.float32)

    shape: list[int | str] = ["batch", width if fixed else "steps"]

    notes = [f"input X is token ids (batch, steps) int64, each row padded after its end with {-shift}; every sequence needs >= {int(model.min_length_)} id(s)"]
    if is_text(model):
        notes.append("the tokenizer (metadata 'tokenizer', Tokenizer.to_json) travels in the file: a text with no tokens reads as [1] (unknown)")
    else:
        notes.append(f"ids are the ones predict reads (0 to {int(model.max_id_)}); the graph adds the model's shift of 1")
    notes += steps_notes(model, fixed, width, exact, pad=f"the pad id {-shift}")
    axes = {0: torch.export.Dim("batch")} if fixed else {0: torch.export.Dim("batch"), 1: torch.export.Dim.AUTO}
    sample = torch.full((2, width if fixed else trace_steps(model)), 1 - shift, dtype=torch.int64)  # real ids (1: unknown; a user's 0)
    return AppGraph(_Ids().eval(), sample, feeds, reference, ["probabilities"], shape, ids_metadata(model, shape, fixed, width, double),
                    notes, dynamic_shapes={"x": axes}, edit=steps_edit(fixed, feeds, -shift), input_types=["int64"], double=double,
                    fallback=None if fixed or cut is None else (lambda: ids_graph(model, X, double=double, fixed=True)))


__all__ = ["PARITY_TEXTS", "id_shift", "ids_graph", "ids_metadata", "is_text", "parity_ids"]
