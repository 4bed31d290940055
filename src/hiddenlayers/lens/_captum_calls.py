"""What every Captum call of the lens shares: a name checked against a list (:func:`one_of`), Captum's DeepLift notice
silenced (:class:`quiet_hooks`) and the random draws seeded without moving the user's generators (:class:`seeded`)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch


def one_of(method: Any, allowed: tuple[str, ...], named: str, param: str = "method") -> str:
    """``method`` (case and ``-``/``_`` forgiven) as one of ``allowed``; else one line, ``named`` first, listing them and the
    closest (``param``: the argument's name in the line's "Received: ...")."""
    from ..data import did_you_mean

    name = method.strip().lower().replace("-", "_") if isinstance(method, str) else None
    if name not in allowed:
        hint = did_you_mean([str(method)], allowed) if isinstance(method, str) else ""
        raise ValueError(f"{named} must be one of {', '.join(allowed)}. Received: {param}={method!r}.{hint}")
    return name


class quiet_hooks(warnings.catch_warnings):
    """Silences DeepLift's and guided backpropagation's notices that they hook the nonlinear modules for the call (and
    remove the hooks after)."""

    def __enter__(self) -> None:
        super().__enter__()
        warnings.filterwarnings("ignore", message="Setting forward, backward hooks", category=UserWarning)
        warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU activations", category=UserWarning)


class seeded:
    """Within it, NumPy's and torch's global generators are seeded with ``seed`` (GradientSHAP draws from both, the noise
    tunnel from torch's, on the rows' device); after it, all are as they were, so a call of the lens does not move the
    user's random streams. ``torch.manual_seed`` seeds every CUDA device too, so their states are saved and put back as
    the CPU's is (``fork_rng(devices=[])`` alone left them reseeded)."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __enter__(self) -> None:
        self.np_state = np.random.get_state()
        cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        self.fork = torch.random.fork_rng(devices=cuda)
        self.fork.__enter__()
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)

    def __exit__(self, *exc: Any) -> None:
        self.fork.__exit__(*exc)
        np.random.set_state(self.np_state)


__all__ = ["one_of", "quiet_hooks", "seeded"]
