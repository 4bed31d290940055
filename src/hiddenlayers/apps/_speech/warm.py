"""``SpeechRecognizer(init_from=...)``: start from a fitted SpeechRecognizer, its output rows matched by character.

The new model learns its alphabet from its own transcripts, as a fresh fit does, so symbol id 3 may be
another character in each model (``"2"`` in one, ``"3"`` in the other). The output layer (``head``, one row
per symbol) is therefore copied row by row by character, the blank's row (id 0) included, as the Translator
copies its output rows by token text; characters new to the fine-tuning transcripts keep fresh rows. The
hidden layers (the sequence spec's ``hidden1``, ``hidden2``, ...) are copied where kind and shapes match
(:func:`hiddenlayers.apps._warm.copy_layers`: one warning for the others, nothing copied a ``ValueError``).
"""

from __future__ import annotations

from typing import Any

from .._warm import copy_layers, copy_rows, shared_rows
from .net import CTCNetwork

BLANK = ""  # the blank's name among the symbols: no character of a transcript is the empty string


def symbols(alphabet: str) -> list[str]:
    """The output layer's rows by name: the blank (row 0), then ``alphabet``'s characters (rows 1..)."""
    return [BLANK, *alphabet]


def copy_character_rows(source: CTCNetwork, net: CTCNetwork, old: str, new: str) -> tuple[list[str], list[str], dict[str, int]]:
    """Copy ``source``'s output rows (weights and bias) of the blank and of each character both alphabets hold into ``net``.

    ``old``/``new``: the source's and this model's ``alphabet_``. Returns ``(copied, skipped, counts)``: ``["head"]`` or
    ``"head (why)"`` (another width: the last hidden layer's units differ; no character in common), and the characters whose
    rows were copied and those new (``characters_copied``, ``characters_new``).
    """
    width_old, width_new = source.head.weight.shape[1], net.head.weight.shape[1]
    rows = shared_rows(symbols(old), symbols(new))
    common = int((rows[0] > 0).sum())  # characters, the blank not counted
    if width_old != width_new:
        why = f"head (source width {width_old}, this model {width_new}: the last hidden layer's units differ)"
    elif not common:
        why = "head (no character in common with the source's alphabet)"
    else:
        copy_rows(source.head.weight, net.head.weight, rows)
        copy_rows(source.head.bias, net.head.bias, rows)
        return ["head"], [], {"characters_copied": common, "characters_new": len(new) - common}
    return [], [why], {"characters_copied": 0, "characters_new": len(new)}


def start_from(source: Any, net: CTCNetwork, alphabet: str) -> tuple[list[str], dict[str, int]]:
    """Copy the fitted SpeechRecognizer ``source``'s character rows and its hidden layers of matching shape into the new ``net``.

    ``alphabet``: the new model's. Returns the names copied (``head`` first) and the character counts of
    :func:`copy_character_rows`. One ``UserWarning`` names the layers not copied; nothing copied is a ``ValueError``.
    """
    done, not_done, counts = copy_character_rows(source.network_, net, source.alphabet_, alphabet)
    return copy_layers(source.network_, net, net.hidden_names, done, not_done), counts


__all__ = ["BLANK", "copy_character_rows", "start_from", "symbols"]
