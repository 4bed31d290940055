"""What :mod:`hiddenlayers.lens` runs for a :class:`~hiddenlayers.apps.Translator`: its encoder-decoder as a one-input module.

The Seq2Seq network reads two sequences (the source ids and the teacher-forced target ids), while the lens feeds one
``(batch, ...)`` tensor per pass. :func:`pair_rows` packs each (source, target) pair into one ``(2, W)`` row of ids
(source padded with PAD, then BOS + target padded with PAD), and :class:`TranslatorLens` unpacks a block of them and
runs the fitted network's own layers on each side. Every recorded layer is called as ``layer(x, lengths, ...)`` and
has ``output_lengths``, the lens's protocol for padded sequences (``lens/_record.py``), so a layer's statistics read
each sentence's real steps only. The layers are named by side: ``encoder.embedding``, ``encoder.rnn`` (the encoder's
outputs, the attention memory), ``decoder.embedding``, ``decoder.rnn`` (the decoder's outputs) and
``decoder.attentional`` (``tanh(W [s; c])``, what the output layer reads). The other parts (bridge, attention, output
layer) sit under ``net`` so the parameter count is the whole network's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .seq2seq import Encoded, Seq2Seq, pad_batch
from .text import BOS, PAD


def pair_rows(sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> np.ndarray:
    """``(N, 2, W)`` int64 ids: row ``[i, 0]`` is source ``i`` (with its EOS), ``[i, 1]`` BOS + target ``i``, each padded
    with PAD to ``W``, the longest of either side."""
    ids, _ = pad_batch([*sources, *([BOS, *t] for t in targets)])  # one padding to the longest of either side, as a fit's batches
    return np.ascontiguousarray(ids.numpy().reshape(2, len(sources), -1).transpose(1, 0, 2))


class _Steps(nn.Module):
    """Base of the recorded layers: ``forward(x, lengths, ...)`` keeps ``lengths`` real steps per row."""

    def output_lengths(self, lengths: Tensor) -> Tensor:
        return lengths


class _Embedding(_Steps):
    """One side's embedding: ids ``(B, T)`` -> vectors ``(B, T, E)``."""

    def __init__(self, embed: nn.Embedding) -> None:
        super().__init__()
        self.embed = embed

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        return self.embed(ids)


class _Encoder(_Steps):
    """The encoder RNN over packed sources: ``(memory (B, S, D), Encoded)``; the lens records the memory."""

    def __init__(self, net: Seq2Seq) -> None:
        super().__init__()
        self.rnn = net.encoder
        self._net = [net]  # not a child: its other parts are TranslatorLens.net's

    def forward(self, emb: Tensor, lengths: Tensor, mask: Tensor) -> tuple[Tensor, Encoded]:
        enc = self._net[0].encode_embedded(emb, lengths, mask)
        return enc.memory, enc


class _Decoder(_Steps):
    """The decoder RNN on teacher-forced inputs: ``(outputs s (B, T, H), contexts (B, T, D))``; the lens records ``s``."""

    def __init__(self, net: Seq2Seq) -> None:
        super().__init__()
        self.rnn = net.decoder
        self._net = [net]

    def forward(self, emb: Tensor, lengths: Tensor, enc: Encoded) -> tuple[Tensor, Tensor]:
        return self._net[0].teacher_forced(emb, enc)


class _Attentional(_Steps):
    """``tanh(W [s; c])`` at every decoder step, ``(B, T, H)``: the vector the output layer reads."""

    def __init__(self, net: Seq2Seq) -> None:
        super().__init__()
        self.combine = net.combine
        self.act = nn.Tanh()  # the activation the lens reads off the last child

    def forward(self, states: Tensor, lengths: Tensor, contexts: Tensor) -> Tensor:
        return self.act(self.combine(torch.cat([states, contexts], -1)))


class TranslatorLens(nn.Module):
    """A fitted Seq2Seq as one module of one input, ``x (B, 2, W)`` ids (:func:`pair_rows`) -> teacher-forced logits ``(B, W, V)``.

    Sources are the row's first sequence, teacher-forced decoder inputs (BOS + target) its second; each side's real
    steps are its non-PAD ids. The network is the fitted one (no copy): ``Translator.lens_network()`` makes this view.
    """

    lens_layers = ("encoder.embedding", "encoder.rnn", "decoder.embedding", "decoder.rnn", "decoder.attentional")

    def __init__(self, net: Seq2Seq) -> None:
        super().__init__()
        self.encoder = nn.ModuleDict({"embedding": _Embedding(net.src_embed), "rnn": _Encoder(net)})
        self.decoder = nn.ModuleDict({"embedding": _Embedding(net.tgt_embed), "rnn": _Decoder(net), "attentional": _Attentional(net)})
        self.net = net  # registered last: the shared layers keep their side names, the rest (bridge, attention, output) sit here

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[1] != 2 or x.is_floating_point():
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"a Translator's lens input is (N, 2, W) integer ids (Translator.network_input((sources, targets))); received {got}.")
        src, tgt_in = x[:, 0], x[:, 1]
        mask = src != PAD
        src_len, tgt_len = mask.sum(1), (tgt_in != PAD).sum(1)
        memory, enc = self.encoder["rnn"](self.encoder["embedding"](src, src_len), src_len, mask)
        states, contexts = self.decoder["rnn"](self.decoder["embedding"](tgt_in, tgt_len), tgt_len, enc)
        return self.net.logits(self.decoder["attentional"](states, tgt_len, contexts))


__all__ = ["TranslatorLens", "pair_rows"]
