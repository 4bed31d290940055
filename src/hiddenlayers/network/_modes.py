"""Run a module in one mode for a block and hand it back exactly as it was.

``module.eval()`` followed by ``module.train(was_training)`` is not a restore:
``train(flag)`` sets *every* submodule to ``flag``, so a model kept in eval
with one BatchNorm left training (or a training model with a frozen, eval-mode
backbone) comes back changed. :func:`in_mode` snapshots each submodule's own
flag and puts it back, also when the block raises. Every stage that runs a
user's module (or an estimator's network) in a mode for a moment uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from torch import nn


@contextmanager
def in_mode(module: nn.Module, training: bool) -> Iterator[nn.Module]:
    """``module`` (all its submodules) in training (``True``) or eval (``False``) mode for the block; each submodule's own mode restored after, also on error.

    >>> with in_mode(net, False):  # doctest: +SKIP
    ...     out = net(x)           # dropout off, BatchNorm reads its running stats
    """
    modes = [(m, m.training) for m in module.modules()]
    module.train(bool(training))
    try:
        yield module
    finally:
        for m, flag in modes:
            m.training = flag  # the flag itself: m.train(flag) would recurse into the children again


def evaluating(module: nn.Module) -> AbstractContextManager[nn.Module]:
    """``module`` in eval mode (no dropout noise, BatchNorm running stats read, not updated) for the block: ``in_mode(module, False)``."""
    return in_mode(module, False)


__all__ = ["evaluating", "in_mode"]
