"""PyTorch's global generators left as the caller had them by a call that draws from them as a side effect.

Building a network (``nn.Linear``'s own initialisation runs before ours replaces it), random timing inputs and a
training step's dropout all draw from PyTorch's global generator. A call whose result does not depend on those draws
(``cost``'s timings, ``prune``'s rebuilt smaller networks, whose weights are copied in) should not shift a user's
``torch.manual_seed(...)`` sequence: :func:`keeps_torch_rng` puts the generators back when it returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

F = TypeVar("F", bound=Callable[..., Any])


def keeps_torch_rng(fn: F) -> F:
    """Decorate ``fn`` so that PyTorch's CPU generator, and each CUDA device's when CUDA is already in use, are put back
    when it returns or raises (a model on a GPU means CUDA is initialised; an uninitialised one is not started for this)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=cuda):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


__all__ = ["keeps_torch_rng"]
