"""Gradient steps: the hand-written dense engine and the autograd fallback.

Both compute, for one batch, the summed loss (a 0-d tensor, no host sync)
and write ``dL/dθ`` of the batch-mean loss plus the L2 penalty into the flat
gradient buffer. The engine is the textbook back-propagation that
``explain`` prints — for hidden layer l, ``z_l = h_{l-1} W_lᵀ + b_l``,
``h_l = act(z_l)``; backwards ``dW_l = dz_lᵀ h_{l-1}``, ``db_l = Σ dz_l``,
``dz_{l-1} = (dz_l W_l) ⊙ act'(z_{l-1})`` — written with in-place and
``out=`` ops so a step allocates little and launches few kernels. It runs
only on plain dense stacks (no norm, no dropout); anything else uses autograd.
A test checks both against finite differences.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .layers import get_activation
from .losses import Loss
from .network import Network
from .optim import FlatParams


class DenseEngine:
    """Forward + backward by hand for a plain dense :class:`Network`."""

    def __init__(self, network: Network, loss: Loss, flat: FlatParams, alpha: float) -> None:
        if not network.is_plain_dense():
            raise ValueError("the hand-written engine needs dense layers without norm or dropout")
        self.loss = loss
        self.flat = flat
        self.alpha = float(alpha)
        linears = network.linears()
        self.W = [lin.weight for lin in linears]
        self.b = [lin.bias for lin in linears]
        self.gW = [lin.weight.grad for lin in linears]
        self.gb = [lin.bias.grad for lin in linears]
        self.acts = [get_activation(name) for name in network.activation_names()]
        self.relu = [a.name == "relu" for a in self.acts]

    def step(self, x: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
        """Summed batch loss; gradients of the mean loss written into ``flat.grad``."""
        with torch.no_grad():
            return self._step(x, y, w)

    def _step(self, x: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
        hs = [x]  # h_0 = x: (B, in_features)
        zs: list[Tensor] = []
        for W, b, act, relu in zip(self.W, self.b, self.acts, self.relu):
            z = torch.addmm(b, hs[-1], W.t())  # (B, units)
            if relu:
                h = z.clamp_(min=0.0)  # relu' only needs h, so overwrite z
            else:
                h = act.forward(z)
            zs.append(z)
            hs.append(h)
        z_out = torch.addmm(self.b[-1], hs[-1], self.W[-1].t())  # (B, n_outputs)
        loss_sum = self.loss.value(z_out, y, w)
        dz = self.loss.grad(z_out, y)  # (B, n_outputs) per-sample dL/dz
        if w is None:
            dz.mul_(1.0 / x.shape[0])
        else:
            dz.mul_((w / w.sum()).unsqueeze(1))
        n = len(self.W)
        for layer in range(n - 1, -1, -1):
            h_prev = hs[layer]
            torch.mm(dz.t(), h_prev, out=self.gW[layer])  # (out, in)
            torch.sum(dz, 0, out=self.gb[layer])
            if layer == 0:
                break
            dh = torch.mm(dz, self.W[layer])  # (B, in) = dL/dh_{layer}
            if self.relu[layer - 1]:
                dz = torch.ops.aten.threshold_backward(dh, hs[layer], 0.0)
            else:
                dz = dh.mul_(self.acts[layer - 1].grad(zs[layer - 1], hs[layer]))
        if self.alpha:
            if w is None:
                self.flat.grad.addcmul_(self.flat.decay_mask, self.flat.data, value=self.alpha / x.shape[0])
            else:
                self.flat.grad.addcmul_(self.flat.decay_mask * (self.alpha / w.sum()), self.flat.data)
        return loss_sum


class AutogradStep:
    """The same contract through ``loss.backward()``, for any network."""

    def __init__(self, network: torch.nn.Module, loss: Loss, flat: FlatParams, alpha: float) -> None:
        self.network, self.loss, self.flat, self.alpha = network, loss, flat, float(alpha)

    def step(self, x: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
        self.flat.grad.zero_()
        z_out = self.network(x)
        loss_sum = self.loss.value(z_out, y, w)
        denom = x.shape[0] if w is None else w.sum()
        (loss_sum / denom).backward()
        if self.alpha:
            self.flat.grad.add_(self.flat.decay_mask * self.flat.data * (self.alpha / denom))
        return loss_sum.detach()


def make_step(
    network: Network | torch.nn.Module, loss: Loss, flat: FlatParams, alpha: float, engine: str = "auto"
) -> DenseEngine | AutogradStep:
    """Pick the hand-written engine when it applies (``engine="auto"``), else autograd."""
    if engine not in ("auto", "dense", "autograd"):
        raise ValueError(f"engine must be 'auto', 'dense' or 'autograd'. Received: engine={engine!r}.")
    plain = isinstance(network, Network) and network.is_plain_dense()
    if engine == "dense" or (engine == "auto" and plain):
        return DenseEngine(network, loss, flat, alpha)  # type: ignore[arg-type]
    return AutogradStep(network, loss, flat, alpha)


__all__ = ["AutogradStep", "DenseEngine", "make_step"]
