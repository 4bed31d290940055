"""``TorchAdam``: ``torch.optim.Adam``'s step at its default settings (its single-tensor algorithm), written out.

Why: building any ``torch.optim.Optimizer`` imports ``torch._dynamo`` (~2.6 s here, torch 2.13, CPU), which a
Translator's first fit in a process paid for its one optimizer, while the rest of the fit loop needs none of it (the
other apps' fits use ``training``'s own optimizers). The step is torch's own, op for op (``lerp_`` of the first moment,
``mul_``/``addcmul_`` of the second, the bias corrections in Python floats, ``addcdiv_``), so the weights are
bit-identical to ``torch.optim.Adam(params, lr=lr)``'s on the CPU (``tests/apps/test_apps_translate_adam.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor


class TorchAdam:
    """Adam over ``params`` with learning rate ``lr``, β = (0.9, 0.999), ε = 1e-8, no weight decay: ``torch.optim.Adam``'s defaults.

    Parameters
    ----------
    params : iterable of Tensor
        The tensors to update (each with ``requires_grad``); one without a gradient at a step is left as it is, as torch leaves it.
    lr : float
        The learning rate.
    """

    betas = (0.9, 0.999)
    eps = 1e-8

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        self.lr = float(lr)
        self.state: dict[int, tuple[Tensor, Tensor, Tensor]] = {}  # by position: (first moment, second moment, step count)

    def zero_grad(self) -> None:
        """Drop every parameter's gradient (``set_to_none=True``, torch's default)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One Adam step of every parameter that has a gradient."""
        beta1, beta2 = self.betas
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            if i not in self.state:  # torch's lazy state: zeros shaped as the parameter, a float32 step count
                self.state[i] = (torch.zeros_like(p, memory_format=torch.preserve_format),
                                 torch.zeros_like(p, memory_format=torch.preserve_format), torch.tensor(0.0, dtype=torch.float32))
            exp_avg, exp_avg_sq, step_t = self.state[i]
            grad = p.grad
            step_t += 1
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = step_t.item()
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            step_size = self.lr / bias_correction1
            denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(self.eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)


__all__ = ["TorchAdam"]
