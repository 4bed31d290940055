"""The network of :class:`~hiddenlayers.apps.Translator`: the attentional
encoder-decoder, and greedy / beam decoding.

The encoder is a (bi-directional) GRU or LSTM over packed sequences, so
padding never reaches its states; attention masks the padded positions, so a
sentence gets the same translation alone or in a batch of longer ones.

Luong attention without input feeding makes the decoder RNN's input the
previous word alone, so with teacher forcing the whole target sequence goes
through one ``nn.GRU``/``nn.LSTM`` call and attention for all steps is one
batched matmul (``Seq2Seq.parallel``); the step function used by greedy and
beam decoding computes the same function one position at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .text import BOS, EOS, PAD


def pad_batch(seqs: Sequence[Sequence[int]], device: torch.device | None = None) -> tuple[Tensor, Tensor]:
    """``(ids (B, T_max) padded with PAD, lengths (B,))`` from lists of ids.

    Filled by one NumPy mask assignment (row-major, so the ids land in order), not one
    tensor copy per row: a fit pads three batches per step (benchmarks/bench_pad_batch.py).
    """
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    width = int(lengths.max()) if len(seqs) else 0
    out = np.full((len(seqs), width), PAD, dtype=np.int64)
    out[np.arange(width) < lengths[:, None]] = np.fromiter(chain.from_iterable(seqs), dtype=np.int64, count=int(lengths.sum()))
    return torch.from_numpy(out).to(device), torch.from_numpy(lengths)


@dataclass
class Encoded:
    """Encoder output for a batch: ``memory (B, S, D)``, attention ``keys (B, S, H)``,
    ``mask (B, S)`` (True = real token) and the decoder's initial ``state``."""

    memory: Tensor
    keys: Tensor
    mask: Tensor
    state: Any

    def take(self, idx: Tensor) -> Encoded:
        return Encoded(self.memory[idx], self.keys[idx], self.mask[idx], select_state(self.state, idx))


def select_state(state: Any, idx: Tensor) -> Any:
    """Rows ``idx`` of a GRU state ``(L, B, H)`` or an LSTM ``(h, c)`` pair."""
    return tuple(s[:, idx] for s in state) if isinstance(state, tuple) else state[:, idx]


class Attention(nn.Module):
    """``bahdanau`` (additive: v·tanh(K h + Q s)) or ``luong`` (general: s·K h) attention."""

    def __init__(self, kind: str, hidden_size: int, enc_dim: int) -> None:
        super().__init__()
        self.kind = kind
        self.key = nn.Linear(enc_dim, hidden_size, bias=False)
        if kind == "bahdanau":
            self.query = nn.Linear(hidden_size, hidden_size)
            self.v = nn.Linear(hidden_size, 1, bias=False)

    def all_steps(self, queries: Tensor, enc: Encoded) -> tuple[Tensor, Tensor]:
        """Luong attention for every step at once: ``queries (B, T, H)`` -> ``(context (B, T, D), weights (B, T, S))``."""
        scores = torch.bmm(queries, enc.keys.transpose(1, 2)).masked_fill(~enc.mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=2)
        return torch.bmm(weights, enc.memory), weights

    def forward(self, query: Tensor, enc: Encoded) -> tuple[Tensor, Tensor]:
        """``query (B, H)`` -> ``(context (B, D), weights (B, S))``; padded positions get weight 0."""
        if self.kind == "bahdanau":
            scores = self.v(torch.tanh(enc.keys + self.query(query).unsqueeze(1))).squeeze(2)
        else:
            scores = torch.bmm(enc.keys, query.unsqueeze(2)).squeeze(2)
        weights = torch.softmax(scores.masked_fill(~enc.mask, float("-inf")), dim=1)
        return torch.bmm(weights.unsqueeze(1), enc.memory).squeeze(1), weights


class Seq2Seq(nn.Module):
    """Embedding -> RNN encoder; RNN decoder with attention -> ``tanh(W [s; c])`` -> vocabulary logits.

    Bahdanau: the previous decoder state queries the source before the RNN
    step and the context is part of the RNN input. Luong: the new state
    queries after the step; with ``input_feeding`` the previous attentional
    vector is fed back, without it teacher-forced training runs all steps at
    once (:meth:`parallel`). ``tie_embeddings``: the output layer reuses the
    target embedding matrix (after a linear map to ``embed_dim`` when it differs
    from ``hidden_size``).
    """

    def __init__(
        self,
        n_src: int,
        n_tgt: int,
        *,
        embed_dim: int,
        hidden_size: int,
        cell: str,
        num_layers: int,
        bidirectional: bool,
        attention: str,
        dropout: float,
        input_feeding: bool = True,
        tie_embeddings: bool = False,
    ) -> None:
        super().__init__()
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        between = dropout if num_layers > 1 else 0.0
        self.cell, self.num_layers, self.bidirectional, self.attention_kind = cell, num_layers, bidirectional, attention
        self.hidden_size = hidden_size
        self.enc_dim = hidden_size * (2 if bidirectional else 1)
        self.src_embed = nn.Embedding(n_src, embed_dim, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(n_tgt, embed_dim, padding_idx=PAD)
        self.encoder = rnn(embed_dim, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional, dropout=between)
        self.bridge = nn.Linear(self.enc_dim, hidden_size)
        self.bridge_cell = nn.Linear(self.enc_dim, hidden_size) if cell == "lstm" else None
        self.attn = Attention(attention, hidden_size, self.enc_dim)
        self.input_feeding = attention == "luong" and input_feeding
        feed = self.enc_dim if attention == "bahdanau" else hidden_size if self.input_feeding else 0
        self.decoder = rnn(embed_dim + feed, hidden_size, num_layers, batch_first=True, dropout=between)
        self.combine = nn.Linear(hidden_size + self.enc_dim, hidden_size)
        self.tie_embeddings = tie_embeddings
        if tie_embeddings:  # logits = E (P a) + b with E the target embedding: no separate (V, H) matrix
            self.project = nn.Linear(hidden_size, embed_dim, bias=False) if embed_dim != hidden_size else None
            self.out_bias = nn.Parameter(torch.zeros(n_tgt))
        else:
            self.out = nn.Linear(hidden_size, n_tgt)
        self.drop = nn.Dropout(dropout)

    @property
    def parallel_ok(self) -> bool:
        """True when teacher-forced training can run all decoder steps at once (Luong, no input feeding)."""
        return self.attention_kind == "luong" and not self.input_feeding

    def logits(self, attentional: Tensor) -> Tensor:
        """Output layer: attentional vectors ``(..., H)`` -> vocabulary logits ``(..., V)`` (dropout first)."""
        x = self.drop(attentional)
        if not self.tie_embeddings:
            return self.out(x)
        if self.project is not None:
            x = self.project(x)
        return nn.functional.linear(x, self.tgt_embed.weight, self.out_bias)

    def _bridge(self, h: Tensor, layer: nn.Linear) -> Tensor:
        # h: (L * dirs, B, H) -> (L, B, dirs * H) -> (L, B, H)
        L, B = self.num_layers, h.shape[1]
        h = h.view(L, 2 if self.bidirectional else 1, B, self.hidden_size).permute(0, 2, 1, 3).reshape(L, B, self.enc_dim)
        return torch.tanh(layer(h)).contiguous()

    def encode(self, src: Tensor, lengths: Tensor) -> Encoded:
        """``src (B, S)`` ids padded with PAD, ``lengths (B,)`` -> :class:`Encoded`."""
        return self.encode_embedded(self.src_embed(src), lengths, src != PAD)

    def encode_embedded(self, emb: Tensor, lengths: Tensor, mask: Tensor) -> Encoded:
        """The encoder on embedded source tokens ``emb (B, S, E)`` (``mask (B, S)``: True = real token) -> :class:`Encoded`."""
        packed = pack_padded_sequence(self.drop(emb), lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, final = self.encoder(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=emb.shape[1])  # (B, S, D), zeros at padding
        if isinstance(final, tuple):
            assert self.bridge_cell is not None
            state: Any = (self._bridge(final[0], self.bridge), self._bridge(final[1], self.bridge_cell))
        else:
            state = self._bridge(final, self.bridge)
        return Encoded(memory, self.attn.key(memory), mask, state)

    def initial_feed(self, enc: Encoded) -> Tensor:
        """The attentional vector fed at step 0 (Luong input feeding; unused by Bahdanau)."""
        return enc.memory.new_zeros(enc.memory.shape[0], self.hidden_size)

    def attend(self, prev: Tensor, state: Any, feed: Tensor, enc: Encoded) -> tuple[Any, Tensor, Tensor]:
        """One decoder step before the output layer: ``prev (B,)`` ids -> ``(state, attentional (B, H), weights (B, S))``."""
        state, s, context, weights = self._step_state(self.drop(self.tgt_embed(prev)), state, feed, enc)
        return state, self.attentional(s, context), weights

    def _step_state(self, emb: Tensor, state: Any, feed: Tensor, enc: Encoded) -> tuple[Any, Tensor, Tensor, Tensor]:
        """One decoder RNN step on the embedded previous word ``emb (B, E)``: ``(state, output s (B, H), context (B, D), weights (B, S))``."""
        if self.attention_kind == "bahdanau":
            top = (state[0] if isinstance(state, tuple) else state)[-1]
            context, weights = self.attn(top, enc)
            out, state = self.decoder(torch.cat([emb, context], 1).unsqueeze(1), state)
            s = out[:, 0]
        else:
            out, state = self.decoder((torch.cat([emb, feed], 1) if self.input_feeding else emb).unsqueeze(1), state)
            s = out[:, 0]
            context, weights = self.attn(s, enc)
        return state, s, context, weights

    def attentional(self, s: Tensor, context: Tensor) -> Tensor:
        """``tanh(W [s; c])``: decoder outputs ``s (..., H)`` and their contexts ``(..., D)`` -> attentional vectors ``(..., H)``."""
        return torch.tanh(self.combine(torch.cat([s, context], -1)))

    def teacher_forced(self, emb: Tensor, enc: Encoded) -> tuple[Tensor, Tensor]:
        """The decoder on embedded teacher-forced inputs ``emb (B, T, E)`` (BOS + target): ``(outputs s (B, T, H), contexts (B, T, D))``.

        One RNN call (Luong without input feeding, as :meth:`parallel`) or one step at a time (as :meth:`forward`);
        :meth:`attentional` of the two is the vector the output layer reads at each step.
        """
        if self.parallel_ok:
            states, _ = self.decoder(self.drop(emb), enc.state)
            return states, self.attn.all_steps(states, enc)[0]
        state, feed, outs, contexts = enc.state, self.initial_feed(enc), [], []
        for t in range(emb.shape[1]):
            state, s, context, _ = self._step_state(self.drop(emb[:, t]), state, feed, enc)
            feed = self.attentional(s, context)
            outs.append(s)
            contexts.append(context)
        return torch.stack(outs, 1), torch.stack(contexts, 1)

    def step(self, prev: Tensor, state: Any, feed: Tensor, enc: Encoded) -> tuple[Tensor, Any, Tensor, Tensor]:
        """One decoder step: ``prev (B,)`` ids -> ``(logits (B, V), state, attentional (B, H), weights (B, S))``."""
        state, attentional, weights = self.attend(prev, state, feed, enc)
        return self.logits(attentional), state, attentional, weights

    def parallel(self, tgt_in: Tensor, enc: Encoded, mask: Tensor | None = None) -> Tensor:
        """Teacher-forced logits for all steps at once (Luong without input feeding only).

        One RNN call over ``tgt_in (B, T)`` (padding sits after each target, so it
        never reaches an earlier step), attention scores ``(B, T, S)`` by batched
        matmul, then the output layer on the positions where ``mask`` is True.
        Same function as calling :meth:`step` T times.
        """
        states, _ = self.decoder(self.drop(self.tgt_embed(tgt_in)), enc.state)  # (B, T, H)
        context, _ = self.attn.all_steps(states, enc)  # (B, T, D)
        if mask is not None:
            states, context = states[mask], context[mask]
        return self.logits(self.attentional(states, context))

    def forward(self, src: Tensor, lengths: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0, mask: Tensor | None = None) -> Tensor:
        """Logits ``(B, T, V)`` for ``tgt_in (B, T)`` (BOS + target), or ``(mask.sum(), V)`` for the
        positions where ``mask (B, T)`` is True (the output layer, the costliest part, skips padding).
        With ``teacher_forcing < 1`` each step feeds, per sentence, the model's own previous guess
        with probability ``1 - teacher_forcing``."""
        enc = self.encode(src, lengths)
        if teacher_forcing >= 1.0 and self.parallel_ok:
            return self.parallel(tgt_in, enc, mask)
        state, feed = enc.state, self.initial_feed(enc)
        if teacher_forcing >= 1.0:  # inputs known in advance: one output-layer matmul for all steps
            feeds = []
            for t in range(tgt_in.shape[1]):
                state, feed, _ = self.attend(tgt_in[:, t], state, feed, enc)
                feeds.append(feed)
            stacked = torch.stack(feeds, 1)
            return self.logits(stacked if mask is None else stacked[mask])
        prev, steps = tgt_in[:, 0], []
        for t in range(tgt_in.shape[1]):
            logits, state, feed, _ = self.step(prev, state, feed, enc)
            steps.append(logits)
            if t + 1 < tgt_in.shape[1]:
                own = torch.rand(prev.shape[0], device=prev.device) >= teacher_forcing
                prev = torch.where(own, logits.detach().argmax(1), tgt_in[:, t + 1])
        return torch.stack(steps, 1) if mask is None else torch.stack(steps, 1)[mask]


def _log_probs(logits: Tensor) -> Tensor:
    logp = torch.log_softmax(logits.float(), dim=-1)
    logp[:, PAD] = logp[:, BOS] = -float("inf")  # never emitted
    return logp


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: Tensor, lengths: Tensor, max_len: int) -> tuple[list[list[int]], list[float], list[Tensor]]:
    """Most probable token at each step for a batch: ``(ids without EOS, log-probabilities, attention (T, S) each)``."""
    enc = model.encode(src, lengths)
    B = src.shape[0]
    state, feed = enc.state, model.initial_feed(enc)
    prev = torch.full((B,), BOS, dtype=torch.long, device=src.device)
    done = torch.zeros(B, dtype=torch.bool, device=src.device)
    score = torch.zeros(B, dtype=torch.float64, device=src.device)
    tokens, weights = [], []
    for _ in range(max_len):
        logits, state, feed, w = model.step(prev, state, feed, enc)
        logp = _log_probs(logits)
        best, prev = logp.max(1)
        score += torch.where(done, torch.zeros_like(best), best).double()
        tokens.append(torch.where(done, torch.full_like(prev, PAD), prev))
        weights.append(w)
        done |= prev == EOS
        if bool(done.all()):
            break
    ids = torch.stack(tokens, 1).tolist()
    att = torch.stack(weights, 1)  # (B, T, S)
    out, maps = [], []
    for i, row in enumerate(ids):
        n = row.index(EOS) if EOS in row else len(row)
        out.append(row[:n])
        maps.append(att[i, : min(n + 1, len(row)), : int(lengths[i])].cpu())
    return out, score.tolist(), maps


@torch.no_grad()
def beam_decode(
    model: Seq2Seq, src: Tensor, lengths: Tensor, beam_size: int, max_len: int, length_penalty: float = 1.0
) -> tuple[list[int], float, list[int]]:
    """Beam search for one sentence ``src (1, S)``: ``(ids without EOS, log-probability,
    the source position each id attended to most)``.

    Finished hypotheses are ranked by ``log-probability / length ** length_penalty``
    (length counts EOS); ``length_penalty=0`` ranks by log-probability alone.
    The search ends once ``beam_size`` hypotheses have finished.
    """
    enc0 = model.encode(src, lengths)
    device = src.device
    alive: list[list[int]] = [[]]
    aligns: list[list[int]] = [[]]
    scores = torch.zeros(1, dtype=torch.float64, device=device)
    state, feed, enc = enc0.state, model.initial_feed(enc0), enc0
    finished: list[tuple[float, list[int], float, list[int]]] = []
    for t in range(max_len):
        prev = torch.tensor([h[-1] if h else BOS for h in alive], device=device)
        logits, state, feed, weights = model.step(prev, state, feed, enc)
        looked = weights.argmax(1).tolist()
        cand = (scores[:, None] + _log_probs(logits).double()).view(-1)
        top_scores, top_idx = cand.topk(min(2 * beam_size, cand.numel()))
        V = logits.shape[1]
        keep_rows: list[int] = []
        keep_hyps: list[list[int]] = []
        keep_scores: list[float] = []
        keep_aligns: list[list[int]] = []
        for rank, (s, j) in enumerate(zip(top_scores.tolist(), top_idx.tolist())):
            if s == -float("inf"):
                break
            row, tok = divmod(j, V)
            if tok == EOS:
                if rank < beam_size:  # only EOS among the best beam_size candidates ends a hypothesis
                    finished.append((s / (t + 1) ** length_penalty, alive[row], s, aligns[row]))
            elif len(keep_rows) < beam_size:
                keep_rows.append(row)
                keep_hyps.append(alive[row] + [tok])
                keep_scores.append(s)
                keep_aligns.append(aligns[row] + [looked[row]])
        if len(finished) >= beam_size or not keep_rows:
            break
        idx = torch.tensor(keep_rows, device=device)
        alive, aligns, scores = keep_hyps, keep_aligns, torch.tensor(keep_scores, dtype=torch.float64, device=device)
        state, feed = select_state(state, idx), feed[idx]
        if enc.memory.shape[0] != len(keep_rows):
            enc = enc0.take(torch.zeros(len(keep_rows), dtype=torch.long, device=device))
    else:
        finished += [(s / len(h) ** length_penalty, h, s, a) for h, s, a in zip(alive, scores.tolist(), aligns)]
    if not finished:  # every candidate impossible (-inf): return the empty translation
        finished = [(-float("inf"), [], -float("inf"), [])]
    _, ids, logp, align = max(finished, key=lambda f: f[0])
    return ids, logp, align


__all__ = ["Attention", "Encoded", "Seq2Seq", "beam_decode", "greedy_decode", "pad_batch"]
