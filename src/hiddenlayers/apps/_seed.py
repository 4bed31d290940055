"""The applications' seeding: one fit's random draws from ``random_state``, the caller's global generators left as they were.

An application's network draws its initial weights (``nn.Linear``, ``nn.GRU``, ... constructors) and its dropout masks
from PyTorch's global generator, which takes no ``generator=``. A fit therefore seeds that generator, and
:func:`keeps_global_rng` (on every method that calls :func:`seed_everything`) puts it back when the method returns,
so a user's own ``torch.manual_seed(...)`` sequence does not shift because a model was fitted, as the MLP estimators'
fits leave it (``estimators/_fit.py``).

``random_state`` keeps scikit-learn's meaning (:func:`sklearn.utils.check_random_state`): an int repeats the fit;
``None`` draws from NumPy's global generator (so ``np.random.seed(0)`` repeats such a fit); a ``np.random.RandomState``
is drawn from, and so advanced, by each fit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ExitStack
from contextvars import ContextVar
from numbers import Integral
from typing import Any, TypeVar

import numpy as np
import torch
from sklearn.utils import check_random_state

F = TypeVar("F", bound=Callable[..., Any])

#: the fork of the global generators that the innermost running :func:`keeps_global_rng` method closes on return
_FORKS: ContextVar[ExitStack | None] = ContextVar("hiddenlayers_app_rng_forks", default=None)


def seed_of(random_state: Any) -> int:
    """One int seed in ``[0, 2**31 - 1)`` from ``random_state``: an int as given; ``None`` or a ``RandomState`` draws it
    (NumPy's global generator or that object, which advances, as scikit-learn's estimators consume it)."""
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def keeps_global_rng(method: F) -> F:
    """Decorate a fit method that calls :func:`seed_everything`: PyTorch's global generators are put back when it returns
    (or raises), so seeding them for the fit changes nothing the caller draws afterwards."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with ExitStack() as stack:
            token = _FORKS.set(stack)
            try:
                stack.enter_context(torch.random.fork_rng(devices=[]))  # the CPU generator (initial weights, the CPU's dropout)
                return method(*args, **kwargs)
            finally:
                _FORKS.reset(token)

    return wrapper  # type: ignore[return-value]


def seed_everything(random_state: Any, device: torch.device | str | None = None) -> torch.Generator:
    """Seed PyTorch's global generator on the CPU (weight init, dropout) and on ``device`` when it is a CUDA device,
    for the rest of the running :func:`keeps_global_rng` method only, and return a CPU generator for shuffling.

    The shuffling generator stays on the CPU whatever the device, so a given ``random_state`` visits the rows in the
    same order on every device. Only the fit's own CUDA device is seeded (and put back after): ``torch.manual_seed``
    would queue a seed for every device, which no fork could undo. On another accelerator (MPS, XPU) it is
    ``torch.manual_seed``, whose seeding of that device's generator is not put back.
    """
    stack = _FORKS.get()
    if stack is None:
        raise RuntimeError("seed_everything runs inside a method decorated with keeps_global_rng (it restores the generators it seeds)")
    seed = int(np.random.SeedSequence(seed_of(random_state)).generate_state(1)[0] & 0x7FFFFFFF)
    on = torch.device(device) if device is not None else torch.device("cpu")
    if on.type == "cuda":
        index = on.index if on.index is not None else torch.cuda.current_device()
        stack.enter_context(torch.random.fork_rng(devices=[index], device_type="cuda"))
        with torch.cuda.device(index):
            torch.cuda.manual_seed(seed)
    elif on.type != "cpu":  # MPS, XPU: seeded as before, every device; not put back (untested here)
        torch.manual_seed(seed)
    torch.default_generator.manual_seed(seed)
    return torch.Generator().manual_seed(seed + 1)


__all__ = ["keeps_global_rng", "seed_everything", "seed_of"]
