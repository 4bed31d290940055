"""Training steps replayed as CUDA graphs, for the dense engine on a GPU.

A small network's GPU step is bound by the host: each of its ~50 kernels
costs a few microseconds to launch from Python, more than it runs. A CUDA
graph records the kernels of several steps once and replays them with one
launch. What a replay reads must sit at fixed addresses, so:

- a chunk's row indices are copied into one index buffer before each
  replay, and the graph gathers its batches from the data with them (the
  data stay where they are; no shuffled copy of the epoch is made);
- each step's rate (with Adam's bias correction) is computed on the host for
  the whole epoch (:meth:`Optimizer.device_scalars`), copied to the device once
  per epoch, and into the graph's scalar buffer before each replay;
- the epoch's summed loss (and, with ``track_l2``, the summed ``|W|²`` before
  each step: the L2 penalty's share of the epoch loss) accumulates in device
  tensors read once per epoch.

Full batches run in graphs of up to ``chunk`` steps; the last, partial batch
runs eagerly through the same code. The first two steps run eagerly on a
side stream before any capture, as PyTorch's graph notes ask (cuBLAS
handles and workspaces are made then).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ._optim import FlatParams, Optimizer, clip_grad_norm_


class GraphEpochs:
    """Runs whole epochs of one fit, full batches replayed as CUDA graphs.

    ``X``, ``Y`` (and ``W``, or None): the fit's tensors on the GPU, one row per
    sample, unchanged for the runner's lifetime. ``stepper``: a dense engine on
    PyTorch tensors; ``optimizer``: one with a :meth:`~Optimizer.device_step`.
    """

    def __init__(
        self, stepper: Any, optimizer: Optimizer, flat: FlatParams, X: Tensor, Y: Tensor, W: Tensor | None,
        batch_size: int, clip_grad_norm: float | None = None, chunk: int = 16, track_l2: bool = False, l2: float = 0.0,
    ) -> None:
        self.stepper, self.opt, self.flat = stepper, optimizer, flat
        self.X, self.Y, self.W = X, Y, W
        self.B = int(batch_size)
        self.n = X.shape[0]
        self.n_full = self.n // self.B
        self.chunk = max(1, min(int(chunk), self.n_full))
        self.clip = clip_grad_norm
        self.idx = torch.zeros(self.chunk * self.B, dtype=torch.long, device=X.device)
        self.scal = torch.zeros((self.chunk, 2), dtype=flat.data.dtype, device=X.device)  # each step's rates
        self.total = torch.zeros((), dtype=flat.data.dtype, device=X.device)
        self.track_l2 = track_l2
        self.l2 = float(l2)  # the L2 strength, for the start loss's penalty (the epoch loss's own is added by the caller)
        self.l2_total = torch.zeros((), dtype=flat.data.dtype, device=X.device)  # sum of |W|² before each step
        self.graphs: dict[int, torch.cuda.CUDAGraph] = {}
        self._warm = False
        self.first_loss: float | None = None  # the first batch's mean loss and L2 penalty, before its step (read once, after warm-up)
        optimizer.prepare_device_step()

    def _one(self, rows: Tensor, s: Tensor) -> None:
        """One training step on the rows ``rows`` (a device index tensor), with the optimizer's numbers ``s``."""
        wb = None if self.W is None else self.W.index_select(0, rows)
        if self.track_l2:
            self.l2_total += self.flat.l2()  # the weights this step's loss is computed with
        loss = self.stepper.step(self.X.index_select(0, rows), self.Y.index_select(0, rows), wb)
        if self.clip:
            clip_grad_norm_(self.flat, self.clip)
        self.opt.device_step(s)
        self.total += loss

    def _graph(self, k: int) -> torch.cuda.CUDAGraph:
        """The graph of ``k`` steps over the batches in ``idx[: k * B]`` (captured on first use)."""
        g = self.graphs.get(k)
        if g is None:
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                for j in range(k):
                    self._one(self.idx[j * self.B : (j + 1) * self.B], self.scal[j])
            self.graphs[k] = g
        return g

    def run_epoch(self, perm: Tensor, lr: float) -> tuple[Tensor, Tensor]:
        """Train one epoch over the rows in ``perm`` (device) at rate ``lr``.

        Returns ``(summed loss, summed |W|² before each step)``, 0-d device tensors (the second 0 without ``track_l2``).
        """
        B, end = self.B, self.n_full * self.B
        n_steps = self.n_full + (end < self.n)
        scal = torch.as_tensor(self.opt.device_scalars(lr, self.opt.t, n_steps), dtype=self.scal.dtype).to(self.X.device)
        self.total.zero_()
        self.l2_total.zero_()
        pos = step = 0
        if not self._warm:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(min(2, self.n_full)):
                    self._one(perm[pos : pos + B], scal[step])
                    if step == 0:  # the first batch's summed loss and |W|² at the starting weights, and its weight
                        first = (self.total.clone(), B if self.W is None else self.W.index_select(0, perm[:B]).sum(), self.l2_total.clone())
                    pos, step = pos + B, step + 1
            torch.cuda.current_stream().wait_stream(side)
            self._warm = True
            summed = float(first[0]) + (0.5 * self.l2 * float(first[2]) if self.track_l2 else 0.0)  # the penalty as the epoch loss counts it
            self.first_loss = summed / float(first[1]) if float(first[1]) > 0 else float("nan")
        while pos < end:
            k = min(self.chunk, (end - pos) // B)
            self.idx[: k * B].copy_(perm[pos : pos + k * B])
            self.scal[:k].copy_(scal[step : step + k])
            self._graph(k).replay()
            pos, step = pos + k * B, step + k
        if pos < self.n:  # the last, partial batch: eagerly
            self._one(perm[pos:], scal[step])
            step += 1
        self.opt.t += step
        return self.total, self.l2_total


__all__ = ["GraphEpochs"]
