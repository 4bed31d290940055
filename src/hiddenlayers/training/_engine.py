"""Gradient steps: the hand-written dense engine and the autograd fallback.

Both compute, for one batch, the summed loss and write ``dL/dθ`` of the
batch-mean loss plus the L2 penalty into the flat gradient buffer. The summed
loss they return is the one a fit records (:meth:`~._losses.Loss.reported`:
scikit-learn's mean over a regressor's outputs); the gradient is ``value``'s. The
engine is the textbook back-propagation that ``explain`` prints — for layer
l, ``z_l = h_{l-1} W_lᵀ + b_l``, ``h_l = act(z_l)``; backwards
``dW_l = dz_lᵀ h_{l-1}``, ``db_l = Σ_batch dz_l``,
``dz_{l-1} = (dz_l W_l) ⊙ act'(z_{l-1})``.

It is written once over a tiny backend: NumPy views of the flat PyTorch
buffers on the CPU (a NumPy op costs ~1 µs where a PyTorch op costs 3–20 µs,
which dominates the step of a small network), PyTorch tensors on a GPU. It
runs only on plain dense stacks (no norm, no dropout); anything else uses
autograd. A test checks both against finite differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from ..network import Network, get_activation
from . import _sparse_first
from ._losses import Loss
from ._np_const import filled as _filled
from ._optim import FlatParams


def _grad(p: Tensor) -> Tensor:
    if p.grad is None:  # FlatParams gives every parameter a gradient view
        raise ValueError("parameters must be re-homed by FlatParams before a step")
    return p.grad


def _denominator(w: Any) -> tuple[Any, Any]:
    """``(Σw, 1 or 0)`` of a batch's sample weights ``(B,)`` (NumPy or tensor, no host read): what its weighted
    mean divides by, and what scales its L2 term (``alpha * that / Σw``). A batch of zero weight gets ``(1, 0)``,
    so it adds a zero gradient, not 0/0: the fit loop skips such batches, but under DDP a rank must still
    step with its share (``Batches``).
    """
    total = w.sum()
    empty = total == 0
    nonempty = (~empty).to(total.dtype) if isinstance(total, Tensor) else float(not empty)
    return total + empty, nonempty


class _NumpyOps:
    """Primitives on NumPy arrays (CPU).

    Two forms are chosen for speed, measured on (256, 256) float32 arrays:
    ReLU as ``maximum`` with a zero *row* (11 µs; a scalar 0 takes NumPy's
    slower scalar path, 25 µs) and column sums as ``ones @ a``, one BLAS
    matrix-vector product (3.4 µs against 9.4 µs for ``sum(axis=0)``).
    """

    name = "numpy"

    @staticmethod
    def convert(t: Tensor) -> Any:
        return t.detach().numpy()

    @staticmethod
    def relu_(z: Any) -> Any:
        return np.maximum(z, _filled(z.shape[-1], 0.0, z.dtype), out=z)

    @staticmethod
    def relu_grad_(dh: Any, h: Any) -> Any:
        return np.multiply(dh, h > 0, out=dh)

    @staticmethod
    def mm_into(a: Any, b: Any, out: Any) -> None:
        np.matmul(a, b, out=out)

    @staticmethod
    def colsum_into(a: Any, out: Any) -> None:
        np.matmul(_filled(a.shape[0], 1.0, a.dtype), a, out=out)

    @staticmethod
    def linear(h: Any, W: Any, b: Any) -> Any:
        z = h @ W.T
        z += b
        return z

    @classmethod
    def linear_relu(cls, h: Any, W: Any, b: Any) -> Any:
        return cls.relu_(cls.linear(h, W, b))

    @classmethod
    def grad_w_into(cls, dz: Any, h: Any, W: Any, l2: Any, out: Any) -> None:
        cls.mm_into(dz.T, h, out)  # (out, in)
        if l2:
            out += l2 * W

    @staticmethod
    def act_forward(act: Any, z: Any) -> Any:
        return act.np_forward(z)

    @staticmethod
    def act_grad(act: Any, z: Any, h: Any) -> Any:
        return act.np_grad(z, h)

    @staticmethod
    def value_grad(loss: Loss, z: Any, y: Any, w: Any) -> tuple[Any, Any]:
        return loss.np_value_grad(z, y, w)


class _TorchOps:
    """Primitives on PyTorch tensors (GPU, or CPU when asked)."""

    name = "torch"

    @staticmethod
    def convert(t: Tensor) -> Any:
        return t.detach()

    @staticmethod
    def relu_(z: Any) -> Any:
        return z.clamp_(min=0.0)

    @staticmethod
    def relu_grad_(dh: Any, h: Any) -> Any:
        # one pass (autograd's own ReLU backward kernel) where masked_fill_(h <= 0) takes two
        return torch.ops.aten.threshold_backward.grad_input(dh, h, 0.0, grad_input=dh)

    @staticmethod
    def mm_into(a: Any, b: Any, out: Any) -> None:
        torch.mm(a, b, out=out)

    @staticmethod
    def colsum_into(a: Any, out: Any) -> None:
        torch.sum(a, 0, dtype=out.dtype, out=out)  # bf16 rows summed into a float32 gradient

    @staticmethod
    def linear(h: Any, W: Any, b: Any) -> Any:
        return torch.addmm(b, h, W.T)  # the bias added in the matmul's epilogue, not a second pass

    @staticmethod
    def linear_relu(h: Any, W: Any, b: Any) -> Any:
        # bias and ReLU in the matmul's epilogue (cuBLASLt on a GPU): one kernel where three were
        return torch._addmm_activation(b, h, W.T)

    @staticmethod
    def grad_w_into(dz: Any, h: Any, W: Any, l2: Any, out: Any) -> None:
        if out.shape[0] <= 64 and not isinstance(l2, Tensor):
            # A narrow layer (the output's few units): cuBLAS picks a slow kernel for dz.T @ h
            # (52 µs on an H200 for 10 x 256 @ 256 x 128, also when written into out.T), while
            # h.T @ dz then a transposing add takes 8 µs; the add also brings in the L2 term.
            torch.add(torch.mm(h.T, dz).T, W, alpha=l2, out=out)
        elif isinstance(l2, Tensor):  # alpha over a summed sample weight: not a host number
            torch.mm(dz.T, h, out=out)
            out += l2 * W
        else:  # the L2 gradient l2·W as the matmul's beta term
            torch.addmm(W, dz.T, h, beta=l2, out=out)

    @staticmethod
    def act_forward(act: Any, z: Any) -> Any:
        return act.forward(z)

    @staticmethod
    def act_grad(act: Any, z: Any, h: Any) -> Any:
        return act.grad(z, h)

    @staticmethod
    def value_grad(loss: Loss, z: Any, y: Any, w: Any) -> tuple[Any, Any]:
        if loss.name == "log_loss" and w is None:
            # from one log-softmax: the summed loss -Σ y·log p as one dot, and p - y (5 kernels, not 7)
            ls = torch.log_softmax(z, 1)
            value = -torch.dot(ls.reshape(-1), y.reshape(-1))
            return value, ls.exp_().sub_(y)
        return loss.value(z, y, w), loss.grad(z, y)


class DenseEngine:
    """Forward + backward by hand for a plain dense :class:`Network`.

    ``backend="auto"`` uses NumPy for CPU tensors and PyTorch otherwise.
    Inputs to :meth:`step` are arrays of that backend (see :meth:`convert`).
    ``low=torch.bfloat16`` (PyTorch backend only) runs the matmuls in that
    dtype from a copy of the weights cast once per step, as autocast would;
    the weights, gradients and optimizer state stay in the buffer's dtype.
    """

    def __init__(
        self, network: Network, loss: Loss, flat: FlatParams, alpha: float, backend: str = "auto", low: torch.dtype | None = None
    ) -> None:
        if not network.is_plain_dense():
            raise ValueError("the hand-written engine needs dense layers without norm or dropout: use engine='autograd' or 'auto' for this network.")
        if backend == "auto":
            backend = "numpy" if flat.data.device.type == "cpu" else "torch"
        self.ops = _NumpyOps if backend == "numpy" else _TorchOps
        if low is not None and self.ops is not _TorchOps:
            raise ValueError("low-precision matmuls need the PyTorch backend (a CUDA device)")
        self.loss = loss
        self.alpha = float(alpha)
        self.flat = flat
        cv = self.ops.convert
        linears = network.linears()
        self.W = [cv(lin.weight.data) for lin in linears]  # (out, in) views of flat.data
        self.b = [cv(lin.bias.data) for lin in linears]
        # views of flat.grad; None for a frozen layer (requires_grad=False: not in the flat buffer)
        self.gW = [cv(_grad(lin.weight)) if lin.weight.requires_grad else None for lin in linears]
        self.gb = [cv(_grad(lin.bias)) if lin.bias.requires_grad else None for lin in linears]
        # below the first trainable layer nothing needs a gradient: the backward pass stops there
        self.first_trainable = next((i for i, g in enumerate(self.gW) if g is not None), len(linears))
        self.acts = [get_activation(name) for name in network.activation_names()]
        self.relu = [a.name == "relu" for a in self.acts]
        self.low = low
        self.Wc, self.bc = self.W, self.b  # the weights the matmuls read
        if low is not None:
            self._flat_low = torch.empty(flat.data.shape, dtype=low, device=flat.data.device)
            base = flat.data.storage_offset()
            same = lambda t: self._flat_low.as_strided(t.shape, t.stride(), t.storage_offset() - base)  # noqa: E731
            self.Wc, self.bc = [same(W) for W in self.W], [same(b) for b in self.b]

    def convert(self, t: Tensor) -> Any:
        """A tensor as this engine's array type (a view on the CPU, no copy)."""
        return self.ops.convert(t)

    def step(self, x: Any, y: Any, w: Any) -> Any:
        """Summed batch loss, as the fit records it (``loss.reported``); gradients of the mean loss written into ``flat.grad``."""
        if self.ops is _TorchOps:
            with torch.no_grad():
                return self._step(x, y, w)
        return self._step(x, y, w)

    def _step(self, x: Any, y: Any, w: Any) -> Any:
        ops, low = self.ops, self.low
        if low is not None:
            self._flat_low.copy_(self.flat.data)  # one cast for every layer's weights and biases
            x = x.to(low)
        xs = _sparse_first.columns(x) if sp.issparse(x) else None  # a sparse batch (NumPy backend): its columns, once
        hs = [x]  # h_0 = x: (B, in_features)
        zs: list[Any] = []
        for W, b, act, relu in zip(self.Wc, self.bc, self.acts, self.relu):
            if xs is not None and len(hs) == 1:  # the first layer's product on the batch's columns
                z = _sparse_first.linear(xs, W, b)
                h = ops.relu_(z) if relu else ops.act_forward(act, z)
            elif relu:  # relu' needs only h: no z kept
                z = h = ops.linear_relu(hs[-1], W, b)  # (B, units)
            else:
                z = ops.linear(hs[-1], W, b)
                h = ops.act_forward(act, z)
            zs.append(z)
            hs.append(h)
        last = (self.Wc[-1], self.bc[-1])
        z_out: Any = _sparse_first.linear(xs, *last) if xs is not None and len(hs) == 1 else ops.linear(hs[-1], *last)  # (B, n_outputs)
        if low is not None:
            z_out = z_out.float()  # the loss and its gradient in float32, as autocast does
        loss_sum, dz = ops.value_grad(self.loss, z_out, y, w)  # dz: per-sample dL/dz
        n_rows = x.shape[0]
        if w is None:
            dz *= 1.0 / n_rows
            denom, nonempty = n_rows, 1.0
        else:
            denom, nonempty = _denominator(w)
            dz *= (w / denom)[:, None]
        if low is not None:
            dz = dz.to(low)
        for layer in range(len(self.W) - 1, -1, -1):
            gW, gb = self.gW[layer], self.gb[layer]
            if gW is not None:
                l2 = self.alpha * nonempty / denom if self.alpha else 0.0
                if xs is not None and layer == 0:
                    _sparse_first.grad_w_into(xs, dz, self.W[0], l2, gW)  # the same, on the batch's columns
                elif low is None:
                    ops.grad_w_into(dz, hs[layer], self.W[layer], l2, gW)  # dz.T @ h + l2·W: (out, in)
                else:
                    gW.copy_(torch.mm(dz.T, hs[layer]))
                    if self.alpha:
                        gW += l2 * self.W[layer]
            if gb is not None:
                ops.colsum_into(dz, gb)
            if layer <= self.first_trainable:
                break
            dh = dz @ self.Wc[layer]  # (B, in) = dL/dh_layer
            if self.relu[layer - 1]:
                dz = ops.relu_grad_(dh, hs[layer])
            else:
                dh *= ops.act_grad(self.acts[layer - 1], zs[layer - 1], hs[layer])
                dz = dh
        return self.loss.reported(loss_sum, z_out)


class AutogradStep:
    """The same contract through ``loss.backward()``, for any network."""

    def __init__(self, network: torch.nn.Module, loss: Loss, flat: FlatParams, alpha: float, low: torch.dtype | None = None) -> None:
        self.network, self.loss, self.flat, self.alpha = network, loss, flat, float(alpha)
        self.low = low  # autocast dtype of the forward (and so the backward) matmuls, None for none
        self.linear_weights = [m.weight for m in network.modules() if isinstance(m, torch.nn.Linear) and m.weight.requires_grad]

    def convert(self, t: Tensor) -> Tensor:
        return t

    def step(self, x: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
        self.flat.grad.zero_()
        if self.low is None:
            z_out = self.network(x)
        else:
            with torch.autocast(x.device.type, dtype=self.low):
                z_out = self.network(x)
            z_out = z_out.float()
        loss_sum = self.loss.value(z_out, y, w)
        denom, nonempty = (x.shape[0], 1.0) if w is None else _denominator(w)
        (loss_sum / denom).backward()
        if self.alpha:
            with torch.no_grad():
                for W in self.linear_weights:
                    _grad(W).add_(W * (self.alpha * nonempty / denom))
        return self.loss.reported(loss_sum.detach(), z_out)


def make_step(
    network: Network | torch.nn.Module,
    loss: Loss,
    flat: FlatParams,
    alpha: float,
    engine: str = "auto",
    backend: str = "auto",
    low: torch.dtype | None = None,
) -> DenseEngine | AutogradStep:
    """Pick the hand-written engine when it applies (``engine="auto"``), else autograd.

    Pass batches through ``stepper.convert(tensor)`` first: the CPU engine
    works on NumPy views of the tensors. ``low``: the matmul dtype of
    ``precision="bf16"`` (None: the weights' own).
    """
    if engine not in ("auto", "dense", "autograd"):
        raise ValueError(f"engine must be 'auto', 'dense' or 'autograd'. Received: engine={engine!r}.")
    plain = isinstance(network, Network) and network.is_plain_dense()
    if engine == "dense" or (engine == "auto" and plain):
        return DenseEngine(network, loss, flat, alpha, backend, low)  # type: ignore[arg-type]
    return AutogradStep(network, loss, flat, alpha, low)


__all__ = ["AutogradStep", "DenseEngine", "make_step"]
