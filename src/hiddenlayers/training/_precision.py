"""Arithmetic precision of a fit: ``"fp32"``, ``"tf32"`` or ``"bf16"``.

``fp32`` is full float32 (or the network's dtype) everywhere. ``tf32`` lets
CUDA matmuls use TensorFloat-32 (10-bit mantissa inputs, float32 accumulate)
for the length of one fit only: the process-wide setting is restored after.
``bf16`` runs the forward and backward matmuls in bfloat16 while the master
weights, the gradients and the optimizer's moments stay float32.

Both reduced precisions need a CUDA device and are refused elsewhere: on a
CPU the hand-written engine runs in NumPy, which has neither TF32 nor
bfloat16 matmuls, and PyTorch's CPU bf16 path is slower than float32 on CPUs
without bf16 units, so a silent fallback would hide that nothing got faster.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

PRECISIONS = ("fp32", "tf32", "bf16")


def check_precision(precision: object, device: torch.device, dtype: torch.dtype = torch.float32) -> str:
    """``precision`` if valid for ``device`` and ``dtype``, else a ValueError naming the fix.

    Parameters
    ----------
    precision : object
        ``"fp32"``, ``"tf32"`` or ``"bf16"``.
    device : torch.device
        Where training runs (``tf32``/``bf16``: CUDA only).
    dtype : torch.dtype
        The network's float type.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be 'fp32', 'tf32' or 'bf16'. Received: precision={precision!r}.")
    if precision != "fp32" and device.type != "cuda":
        raise ValueError(
            f"precision={precision!r} needs a CUDA device (the model is on {device.type!r}); "
            "use precision='fp32' there, or device='cuda'."
        )
    if precision != "fp32" and dtype != torch.float32:
        raise ValueError(f"precision={precision!r} needs dtype='float32' (got {str(dtype).removeprefix('torch.')}); use precision='fp32' with float64.")
    return str(precision)


def compute_dtype(precision: str) -> torch.dtype | None:
    """The matmul dtype of ``precision`` (``torch.bfloat16`` for ``"bf16"``), None when it is the weights' own."""
    return torch.bfloat16 if precision == "bf16" else None


@contextmanager
def precision_scope(precision: str) -> Iterator[None]:
    """Within the block, float32 CUDA matmuls use TF32 when ``precision == "tf32"``; restored after.

    Restores ``torch.get_float32_matmul_precision()`` exactly as it was,
    also when the block raises.
    """
    if precision != "tf32":
        yield
        return
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


__all__ = ["PRECISIONS", "check_precision", "compute_dtype", "precision_scope"]
