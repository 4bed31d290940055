"""Run a module in one mode for a block and hand it back exactly as it was.

``module.eval()`` followed by ``module.train(was_training)`` is not a restore:
``train(flag)`` sets *every* submodule to ``flag``, so a model kept in eval
with one BatchNorm left training (or a training model with a frozen, eval-mode
backbone) comes back changed. :func:`in_mode` snapshots each submodule's own
flag and puts it back, also when the block raises. Every stage that runs a
user's module (or an estimator's network) in a mode for a moment uses it;
:func:`snapshot_modes` is the same record for code that restores later
(a failed fit put back by ``estimators.restored_on_error``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from torch import nn


def snapshot_modes(module: nn.Module) -> Callable[[], None]:
    """Record the train/eval flag of ``module`` and of each of its submodules now; the returned function puts each one back.

    Submodules added later keep their own flag; ones removed since still get theirs (harmless).

    Parameters
    ----------
    module : torch.nn.Module
        The module.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).eval()
    >>> net[1].train()  # one submodule left training  # doctest: +ELLIPSIS
    BatchNorm1d(...)
    >>> restore = snapshot_modes(net)
    >>> net.train(); restore()  # back as it was, every submodule its own flag  # doctest: +ELLIPSIS
    Sequential(...)
    >>> net.training, net[0].training, net[1].training
    (False, False, True)
    """
    modes = [(m, m.training) for m in module.modules()]

    def restore() -> None:
        for m, flag in modes:
            m.training = flag  # the flag itself: m.train(flag) would recurse into the children again

    return restore


@contextmanager
def in_mode(module: nn.Module, training: bool) -> Iterator[nn.Module]:
    """``module`` (all its submodules) in training or eval mode for the block; each submodule's own mode restored after, also on error.

    Parameters
    ----------
    module : torch.nn.Module
        The module.
    training : bool
        True: training mode; False: eval mode.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2)).train()
    >>> net[2].eval()  # a frozen BatchNorm in a training network  # doctest: +ELLIPSIS
    BatchNorm1d(...)
    >>> x = torch.ones(4, 2)
    >>> with in_mode(net, False):  # dropout off, BatchNorm reads its running stats
    ...     torch.equal(net(x), net(x)), [m.training for m in net]
    (True, [False, False, False])
    >>> [m.training for m in net]  # each submodule's own mode back, not all set to True
    [True, True, False]
    """
    restore = snapshot_modes(module)
    module.train(bool(training))
    try:
        yield module
    finally:
        restore()


def evaluating(module: nn.Module) -> AbstractContextManager[nn.Module]:
    """``module`` in eval mode (no dropout noise, BatchNorm running stats read, not updated) for the block: ``in_mode(module, False)``.

    Parameters
    ----------
    module : torch.nn.Module
        The module (with all its submodules).
    """
    return in_mode(module, False)


__all__ = ["evaluating", "in_mode", "snapshot_modes"]
