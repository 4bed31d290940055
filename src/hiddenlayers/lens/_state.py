"""Run a user's module in eval mode and hand it back exactly as it was
(``network.evaluating``: each submodule's own mode restored, also on error),
and find the module the lens runs for a model.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..network import evaluating


def module_of(model: Any) -> nn.Module | None:
    """The ``nn.Module`` the lens will run for ``model`` (a module, an estimator's network, or that of a Pipeline's
    last step), None when there is none yet."""
    from .._pipe import split_pipeline
    from ._target import _network_of, eager

    if isinstance(model, nn.Module):
        return eager(model)
    parts = split_pipeline(model)
    return _network_of(model if parts is None else parts[1])


__all__ = ["evaluating", "module_of"]
