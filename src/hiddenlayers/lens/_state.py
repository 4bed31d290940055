"""Run a user's module in eval mode and hand it back exactly as it was.

``module.eval()`` followed by ``module.train(was_training)`` is not a restore:
``train(flag)`` sets *every* submodule to ``flag``, so a model kept in eval
with one BatchNorm left training (or a training model with a frozen, eval-mode
backbone) comes back changed. The lens snapshots each submodule's own flag
and puts it back, also when the forward pass raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from torch import nn


@contextmanager
def evaluating(module: nn.Module) -> Iterator[nn.Module]:
    """``module`` in eval mode (no dropout noise, BatchNorm running stats read, not updated) for the block; each submodule's mode restored after."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, flag in modes:
            m.training = flag  # the flag itself: m.train(flag) would recurse into the children again


def module_of(model: Any) -> nn.Module | None:
    """The ``nn.Module`` the lens will run for ``model`` (a module, or an estimator's network), None when there is none yet."""
    from ._target import NETWORK_ATTRS

    if isinstance(model, nn.Module):
        return model
    for attr in NETWORK_ATTRS:
        net = getattr(model, attr, None)
        if isinstance(net, nn.Module):
            return net
    return None


__all__ = ["evaluating", "module_of"]
