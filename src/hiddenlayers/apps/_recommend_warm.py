"""A Recommender started from last month's: ids matched by value, known rows copied, new ids fresh.

The new model's vocabulary is the source's ids in the source's order, then the ids it never saw
(in order of first appearance), so row ``k < len(source.users_)`` of each embedding is the same
user (item) in both models: copying the first rows copies each known id's vector and bias, whatever
order the new ratings list them in. Users and items of the source that this month's data lacks are
kept (their vectors as learned), so the new model still rates them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn


def joined_ids(known: pd.Index | None, ids: np.ndarray) -> pd.Index:
    """``known`` (the source's ids, in its order) followed by the ids of ``ids`` it lacks, in order of first appearance
    (without a source: ``ids``' distinct values in that order)."""
    fresh = pd.Index(pd.unique(ids))
    return fresh if known is None else known.append(fresh[~fresh.isin(known)])


def copy_known_rows(source_net: nn.Module, net: nn.Module) -> tuple[list[str], list[str]]:
    """Copy the rows of the source's ``user``, ``item``, ``user_bias`` and ``item_bias`` embeddings into the first rows of ``net``'s.

    Returns ``(copied, skipped)`` as :func:`hiddenlayers.training.copy_matching_layers` does: an embedding of
    another width (``n_factors``) is skipped with both shapes; the biases (width 1) always copy.
    """
    copied: list[str] = []
    skipped: list[str] = []
    for name in ("user", "item", "user_bias", "item_bias"):
        src: Any = getattr(source_net, name).weight
        dst: Any = getattr(net, name).weight
        if src.shape[1] != dst.shape[1]:
            skipped.append(f"{name} (source width {src.shape[1]}, this model {dst.shape[1]}: n_factors differs)")
            continue
        with torch.no_grad():
            dst[: src.shape[0]] = src.to(dst.device, dst.dtype)
        copied.append(name)
    return copied, skipped


__all__ = ["copy_known_rows", "joined_ids"]
