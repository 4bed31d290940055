"""Run a user's module in eval mode and hand it back exactly as it was
(``network.evaluating``: each submodule's own mode restored, also on error; ``out_of_place``: in-place
activations computing out of place for Captum, their flags restored),
and find the module the lens runs for a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from torch import nn

from ..network import evaluating


@contextmanager
def out_of_place(module: nn.Module) -> Iterator[nn.Module]:
    """``module`` with every ``inplace=True`` submodule (``nn.ReLU(inplace=True)``, an in-place dropout) computing out of place
    for the block; each flag put back after, also on error.

    Why: the same numbers, but Captum's layer attributions hand the layer's output on as a leaf that requires grad,
    which an in-place ReLU after it may not modify (PyTorch: "a leaf Variable that requires grad is being used in an
    in-place operation"), and DeepLift needs each nonlinearity's own input and output.
    """
    flipped = [m for m in module.modules() if getattr(m, "inplace", None) is True]
    for m in flipped:
        cast(Any, m).inplace = False  # (an attribute of the layer classes that have it, unknown to nn.Module's typing)
    try:
        yield module
    finally:
        for m in flipped:
            cast(Any, m).inplace = True


def module_of(model: Any) -> nn.Module | None:
    """The ``nn.Module`` the lens will run for ``model`` (a module, an estimator's network, or that of a Pipeline's
    last step), None when there is none yet."""
    from .._pipe import split_pipeline
    from ._target import _network_of, eager

    if isinstance(model, nn.Module):
        return eager(model)
    parts = split_pipeline(model)
    return _network_of(model if parts is None else parts[1])


__all__ = ["evaluating", "module_of", "out_of_place"]
