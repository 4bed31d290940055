"""One torch thread for a small forward pass at inference, the fit loop's rule for a small batch.

Predicting one image with a small CNN on two threads took 13 ms on the loaded 2-core machine, 1.6 ms on one
(``benchmarks/bench_small_predict.py``): the threads' hand-offs cost more than the arithmetic they share, and on a
busy machine a spinning second thread steals the time of the first. :func:`inference_threads` applies the rule
:func:`~._loop.thread_limits` applies to a fit (``SMALL_BATCH_MACS``) to one forward call.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from ._loop import SMALL_BATCH_MACS
from ._macs import row_macs_of

# per network, the forward multiply-adds of one row by the row's shape and dtype (counted once: a FlopCounterMode pass costs a forward)
_MACS: weakref.WeakKeyDictionary[torch.nn.Module, dict[tuple[tuple[int, ...], torch.dtype], float]] = weakref.WeakKeyDictionary()


def row_macs(network: torch.nn.Module, sample: Tensor) -> float:
    """The forward multiply-adds of one row of ``sample``'s shape through ``network``, counted once per network and row shape.

    Parameters
    ----------
    network : torch.nn.Module
        The network (its submodules' modes are kept).
    sample : torch.Tensor of shape (n, ...)
        Rows as the network takes them; the first is run through the counter.
    """
    key = (tuple(int(d) for d in sample.shape[1:]), sample.dtype)
    counted = _MACS.setdefault(network, {})
    if key not in counted:
        counted[key] = row_macs_of(network, sample[:1])
    return counted[key]


@contextmanager
def inference_threads(network: torch.nn.Module, sample: Tensor, rows: int) -> Iterator[None]:
    """Run the block on one torch thread when ``rows`` rows of ``sample``'s shape are a small forward pass on the CPU.

    Small: under ``SMALL_BATCH_MACS`` multiply-adds (:func:`row_macs` times ``rows``), the fit loop's line. Elsewhere
    (a GPU, a larger pass, one thread already, no rows) the block runs as it is. The setting is restored after.

    Parameters
    ----------
    network : torch.nn.Module
        The network the block runs forward.
    sample : torch.Tensor of shape (n, ...)
        Its input rows (one is enough to size the pass).
    rows : int
        The rows each forward call of the block takes.
    """
    before = torch.get_num_threads()
    small = (before > 1 and sample.device.type == "cpu" and sample.shape[0] > 0
             and row_macs(network, sample) * rows < SMALL_BATCH_MACS)
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(before)


__all__ = ["inference_threads", "row_macs"]
