"""Run a user's module in eval mode and hand it back exactly as it was
(``network.evaluating``: each submodule's own mode restored, also on error),
and find the module the lens runs for a model.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..network import evaluating


def module_of(model: Any) -> nn.Module | None:
    """The ``nn.Module`` the lens will run for ``model`` (a module, or an estimator's network), None when there is none yet."""
    from ._target import _network_of

    if isinstance(model, nn.Module):
        return model
    return _network_of(model)


__all__ = ["evaluating", "module_of"]
