"""``init_from`` / ``freeze`` of the Autoencoder, the Recommender, the Translator and the SpeechRecognizer: start from a fitted model of the same class.

Unlike the MLP estimators' strict copy (a shared layer of another shape is an error), these copy each
layer whose kind and shapes match and leave the others freshly initialised, naming them in one
``UserWarning`` (a new machine's autoencoder may have another bottleneck; a recommender another
``n_factors``). A transfer that copies nothing is a ``ValueError``: it would be a fresh fit in disguise.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .._stacklevel import user_stacklevel
from ..estimators import load_source_record
from ..training import copy_matching_layers, resolve_frozen
from ._appfile import open_model_file


def _article(kind: str) -> str:
    """``"an Autoencoder"``, ``"an MLPRegressor"`` (said "em-el-pee"), ``"a Recommender"``."""
    return f"{'an' if kind[:1] in 'AEIOU' or kind.startswith('MLP') else 'a'} {kind}"


def open_source(model: Any) -> tuple[Any, dict[str, Any] | None]:
    """``model.init_from`` as a fitted model of ``model``'s own class and its provenance record; ``(None, None)`` without one.

    Another class (an MLP's or another application's model or file) is a ``ValueError`` naming both.
    """
    if model.init_from is None:
        return None, None
    source, provenance = load_source_record(model.init_from, open_model_file)
    kind = type(model).__name__
    if not isinstance(source, type(model)):
        raise ValueError(f"init_from: the source is {_article(type(source).__name__)}, not {_article(kind)}: start {_article(kind)} from a "
                         f"fitted {kind} or its saved file, or drop init_from.")
    return source, provenance


def frozen_names(model: Any, freezable: Sequence[str]) -> list[str]:
    """The layers of ``freezable`` that ``model.freeze`` names (a count: the first k; names; None); ``"head_first"`` is refused."""
    if model.freeze == "head_first":
        raise ValueError(f"freeze='head_first' is for MLPClassifier/MLPRegressor and ImageClassifier; {type(model).__name__} takes a count "
                         f"or layer names (of {list(freezable)}).")
    return resolve_frozen(model.freeze, freezable)


def copy_layers(source_net: nn.Module, net: nn.Module, names: Sequence[str], done: Sequence[str] = (), not_done: Sequence[str] = (),
                sizes: str = "hidden_layer_sizes") -> list[str]:
    """Copy the layers ``names`` of ``source_net`` into ``net`` where their shapes match; return the names copied (``done`` first).

    ``done`` and ``not_done``: what the caller copied, or could not (``"name (why)"``), by its own rule (a
    recommender's embedding rows). The layers not copied are named in one ``UserWarning`` with their reasons
    (both shapes, or the caller's why: "their shapes differ" leads it only where every reason is a shape);
    nothing copied at all is a ``ValueError`` whose fix names the model's size parameters, ``sizes``.
    """
    copied, skipped = copy_matching_layers(source_net, net, names)
    copied, skipped = [*done, *copied], [*not_done, *skipped]
    if not copied:
        lead = "matches this model's shapes" if _why(skipped).startswith("their shapes") else "could be copied, for the reason each gives"
        raise ValueError(f"init_from: no layer of the source {lead}: {'; '.join(skipped)}. Give the model the "
                         f"source's layer sizes ({sizes} and the other sizes its file stores), or drop init_from.")
    if skipped:
        warnings.warn(f"init_from: {len(skipped)} layer(s) not copied, {_why(skipped)}: {'; '.join(skipped)}; "
                      "they start from fresh random weights.", UserWarning, stacklevel=user_stacklevel())
    return copied


def _why(skipped: Sequence[str]) -> str:
    """The warning's lead for the ``"name (why)"`` entries: "their shapes differ" only where every reason is another shape or
    width (``"name (source ...)"``); otherwise each entry gives its own reason (no word in common, a tied output layer, ...)."""
    shaped = [s for s in skipped if s.partition(" (")[2].startswith("source ") and "this model" in s]
    if len(shaped) == len(skipped):
        return "their shapes differ (shapes are (out, in))"
    return "for the reason each gives" + (" (shapes are (out, in))" if shaped else "")


def provenance_record(provenance: dict[str, Any] | None, copied: Sequence[str], frozen_layers: Sequence[str]) -> dict[str, Any] | None:
    """What ``provenance_`` holds: the source, the layers copied and those kept fixed (None without a source or a freeze)."""
    if provenance is None:
        return {"source": None, "source_sha256": None, "transferred": [], "frozen": list(frozen_layers)} if frozen_layers else None
    return {**provenance, "transferred": list(copied), "frozen": list(frozen_layers)}


def shared_rows(old: Sequence[str], new: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(rows of new, rows of old)`` of the tokens both vocabularies hold (the specials included), in ``new``'s order."""
    where = {t: i for i, t in enumerate(old)}
    pairs = [(i, where[t]) for i, t in enumerate(new) if t in where]
    rows = torch.tensor(pairs, dtype=torch.long).reshape(-1, 2)
    return rows[:, 0], rows[:, 1]


def copy_rows(src: torch.Tensor, dst: torch.Tensor, rows: tuple[torch.Tensor, torch.Tensor]) -> None:
    """``dst[new rows] = src[old rows]`` (the same token's or character's row), across devices and dtypes."""
    with torch.no_grad():
        dst[rows[0].to(dst.device)] = src[rows[1].to(src.device)].to(dst.device, dst.dtype)


__all__ = ["copy_layers", "copy_rows", "frozen_names", "open_source", "provenance_record", "shared_rows"]
