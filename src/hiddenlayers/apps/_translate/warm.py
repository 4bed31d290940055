"""``Translator(init_from=...)``: start from a fitted Translator, its tokens matched by text.

The new model learns its vocabularies from its own data, as a fresh fit does. A vocabulary id is a
frequency rank in one corpus (id 57 is another word in the fine-tuning data), so rows are copied by
token text, as the Recommender copies by id value: each token both vocabularies hold gets the source's
row of the source (or target) embedding and, on the target side, of the output layer (its weights and
bias; with tied embeddings the embedding row is the output row and ``out_bias`` holds the bias). Tokens
new to the fine-tuning data keep their fresh rows. The recurrent, bridge, attention and combine layers
are copied where kind and shapes match (:func:`hiddenlayers.apps._warm.copy_layers`: one warning for
the others, nothing copied a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from .._warm import copy_layers, copy_rows, shared_rows
from .seq2seq import Seq2Seq
from .text import SPECIALS

#: the Translator's settings that must equal the source's, or its tokens would not mean the same (what each does, for the error)
_SAME_TOKENS = {"tokenizer": "splits sentences into", "lowercase": "folds case:", "normalize": "normalizes Unicode:"}


def check_same_tokens(source: Any, model: Any) -> None:
    """A ``ValueError`` (one line) when ``model``'s tokenizer, lowercase or normalize setting differs from the source Translator's.

    With another setting a token of the new vocabulary is not the source's token of the same text
    (``"The"`` and ``"the"``; the character ``"t"`` and the word ``"t"``; ``"ﬁ"`` and ``"fi"``), so copying its row would be wrong.
    """
    for name in _SAME_TOKENS:
        mine, theirs = getattr(model, name), getattr(source, name)
        if mine != theirs:
            raise ValueError(f"init_from: the source Translator has {name}={theirs!r}, this one {name}={mine!r}: their tokens would not "
                             f"mean the same, so no word's row could be copied; set {name}={theirs!r} (the source's) or drop init_from.")


def freezable(net: Seq2Seq) -> list[str]:
    """The layers ``freeze`` counts, in data order: ``encoder``, ``bridge`` (``bridge_cell``: LSTM), ``attn``, ``decoder``, ``combine``.

    The embeddings and the output layer are not among them: they hold fresh rows for the tokens new to
    the fine-tuning data, which a frozen layer would keep random.
    """
    return ["encoder", "bridge", *(["bridge_cell"] if net.bridge_cell is not None else []), "attn", "decoder", "combine"]


def _row_layers(source: Seq2Seq, net: Seq2Seq) -> list[tuple[str, str, Any, Any]]:
    """``(name, side, source parameters, this model's)`` of each layer whose rows are tokens, or a reason it has none to copy."""
    layers: list[tuple[str, str, Any, Any]] = [
        ("src_embed", "source", [source.src_embed.weight], [net.src_embed.weight]),
        ("tgt_embed", "target", [source.tgt_embed.weight], [net.tgt_embed.weight]),
    ]
    theirs: list[torch.Tensor] | str
    if net.tie_embeddings:
        theirs = [source.out_bias] if source.tie_embeddings else "the source's output layer has its own weights (tie_embeddings=False)"
        layers.append(("out_bias", "target", theirs, [net.out_bias]))
    else:
        theirs = [source.out.weight, source.out.bias] if not source.tie_embeddings else "the source ties its output layer to the target embeddings"
        layers.append(("out", "target", theirs, [net.out.weight, net.out.bias]))
    return layers


def copy_token_rows(source: Seq2Seq, net: Seq2Seq, vocabs: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> tuple[list[str], list[str], dict[str, int]]:
    """Copy the rows of the tokens both models know in the embeddings and the output layer.

    ``vocabs``: ``{"source": (source's tokens, this model's), "target": (...)}``. Returns ``(copied, skipped, counts)``:
    the layer names copied, ``"name (why)"`` for the others (another width, or no word in common), and per side
    the words (specials not counted) whose rows were copied and those new, ``source_tokens_copied``, ``source_tokens_new``, ...
    """
    copied: list[str] = []
    skipped: list[str] = []
    rows = {side: shared_rows(old, new) for side, (old, new) in vocabs.items()}
    words = {side: int((rows[side][0] >= len(SPECIALS)).sum()) for side in vocabs}
    done = {"source": False, "target": False}
    for name, side, theirs, mine in _row_layers(source, net):
        if isinstance(theirs, str):
            skipped.append(f"{name} ({theirs})")
        elif any(t.shape[1:] != m.shape[1:] for t, m in zip(theirs, mine)):
            skipped.append(f"{name} (source width {theirs[0].shape[1]}, this model {mine[0].shape[1]}: "
                           f"{'embed_dim' if name.endswith('embed') else 'hidden_size'} differs)")
        elif not words[side]:
            skipped.append(f"{name} (no {side} word in common with the source's vocabulary)")
        elif name == "out_bias" and "tgt_embed" not in copied:  # the tied output's bias goes with its rows, the target embedding's
            skipped.append("out_bias (tgt_embed, the tied output layer's weights, was not copied)")
        else:
            for t, m in zip(theirs, mine):
                copy_rows(t, m, rows[side])
            copied.append(name)
            done[side] = done[side] or name.endswith("embed")
    counts: dict[str, int] = {}
    for side, (_, new) in vocabs.items():
        kept = words[side] if done[side] else 0
        counts.update({f"{side}_tokens_copied": kept, f"{side}_tokens_new": len(new) - len(SPECIALS) - kept})
    return copied, skipped, counts


def start_from(source: Any, net: Seq2Seq, vocabs: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> tuple[list[str], dict[str, int]]:
    """Copy the fitted Translator ``source``'s token rows and its layers of matching shape into the new ``net``.

    Returns the names copied (token-row layers first) and the token counts of :func:`copy_token_rows`.
    One ``UserWarning`` names the layers not copied; nothing copied is a ``ValueError``.
    """
    src_net: nn.Module = source.model_
    done, not_done, counts = copy_token_rows(source.model_, net, vocabs)
    names = freezable(net) + (["project"] if getattr(net, "project", None) is not None else [])
    if source.model_.attention_kind != net.attention_kind:  # same parameter kind and key shape: say why instead of two equal shapes
        names.remove("attn")
        not_done.append(f"attn (the source's attention is {source.model_.attention_kind!r}, this model's {net.attention_kind!r})")
    return copy_layers(src_net, net, names, done, not_done, sizes="hidden_size, embed_dim"), counts


__all__ = ["check_same_tokens", "copy_token_rows", "freezable", "shared_rows", "start_from"]
