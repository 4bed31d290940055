"""Connectionist temporal classification (CTC) as a :class:`~hiddenlayers.training.Loss` for :func:`train`.

A CTC network emits one distribution over ``k`` symbols per output frame (symbol 0 is the
blank) and the loss sums the probability of every frame-level path that collapses (repeats
merged, blanks dropped) to the label: PyTorch's ``torch.nn.functional.ctc_loss``. Since
:func:`train` batches ``X`` and ``Y`` by row, each row of ``Y`` carries what CTC needs
besides the logits, as numbers (exact in float32 up to 2**24):

``Y[i] = [output frames T'_i, label length L_i, label id 1, ..., label id L_i, 0, ...]``

``(n, 2 + max_label)`` with ids in ``1..k-1``. Logits ``z`` are ``(B, T, k)``, ``T >= T'_i``
(frames past ``T'_i`` are padding and ignored).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ._losses import Loss


def ctc_per_row(z: Tensor, y: Tensor) -> Tensor:
    """CTC negative log-likelihood per row ``(B,)`` of logits ``z`` against rows ``y`` of the module's layout.

    ``zero_infinity``: a row no path can emit (too few frames) adds 0 and no gradient rather than ``inf``; the recognizer
    refuses such rows before training, so this only guards against float underflow.

    Parameters
    ----------
    z : torch.Tensor of shape (B, T, k)
        Per-frame logits.
    y : torch.Tensor of shape (B, 2 + max_label)
        ``[T'_i, L_i, label ids..., 0, ...]``: output frames, label length, label ids (the module docstring's layout).
    """
    log_probs = torch.log_softmax(z.float(), dim=2).transpose(0, 1)  # (T, B, k), as ctc_loss wants
    frames, lengths = y[:, 0].long(), y[:, 1].long()
    targets = y[:, 2:].long()
    per = F.ctc_loss(log_probs, targets, frames, lengths, blank=0, reduction="none", zero_infinity=True)
    return per.to(z.dtype)


def _value(z: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
    per = ctc_per_row(z, y)
    return per.sum() if w is None else torch.dot(per, w)


def _grad(z: Tensor, y: Tensor) -> Tensor:
    """Per-row ``dL/dz`` by autograd (CTC's gradient has no short closed form)."""
    with torch.enable_grad():
        zz = z.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(ctc_per_row(zz, y).sum(), zz)
    return g


def _np_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_value_grad(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
    zt, yt = torch.from_numpy(np.ascontiguousarray(z)), torch.from_numpy(np.ascontiguousarray(y))
    wt = None if w is None else torch.from_numpy(np.ascontiguousarray(w)).to(zt.dtype)
    g = _grad(zt, yt)
    if wt is not None:
        g = g * wt[:, None, None]
    return float(_value(zt, yt, wt)), g.numpy()


def ctc_loss(max_label: int) -> Loss:
    """The CTC loss for labels of at most ``max_label`` symbols (``Y`` has ``2 + max_label`` columns; see the module docstring).

    Its output activation is the per-frame softmax over the last axis.

    Parameters
    ----------
    max_label : int
        The longest label, in symbols.
    """
    if isinstance(max_label, bool) or not isinstance(max_label, (int, np.integer)) or max_label < 1:
        raise ValueError(f"max_label must be an integer >= 1 (the longest label). Received: max_label={max_label!r}.")
    width = 2 + int(max_label)
    return Loss(
        "ctc", "softmax", _value, lambda z: torch.softmax(z, -1), _np_softmax, _np_value_grad,
        grad_fn=_grad, target_width=lambda k: width,
    )


__all__ = ["ctc_loss", "ctc_per_row"]
