"""PyTorch's global generators left as the caller had them by a call that draws from them as a side effect.

Building a network (``nn.Linear``'s own initialisation runs before ours replaces it), random timing inputs and a
training step's dropout all draw from PyTorch's global generator. A call whose result does not depend on those draws
(``cost``'s timings, ``prune``'s rebuilt smaller networks, whose weights are copied in) should not shift a user's
``torch.manual_seed(...)`` sequence: :func:`keeps_torch_rng` puts the generators back when it returns.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import torch

from ._network_of import network_of

F = TypeVar("F", bound=Callable[..., Any])


def keeps_torch_rng(fn: F) -> F:
    """Decorate ``fn(model, ...)`` so that PyTorch's CPU generator, and the generators of the CUDA devices ``model`` is on
    (:func:`model_devices`) and of the current one, are put back when it returns or raises; CUDA not yet initialised (a
    model on the CPU) is not started for this.

    Only those: what the decorated calls draw (``cost``'s random timing inputs and its energy probe's dropout, ``prune``'s
    rebuilt networks) is drawn on the CPU and on the model's device. Every GPU's generator was saved and put back
    (``torch.random.fork_rng`` over all of ``device_count()``), which PyTorch says initialises each device: on a machine
    of several GPUs, for a model on one of them.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cuda: list[int] = []
        if torch.cuda.is_initialized():
            cuda = cuda_indices(*model_devices(args[0] if args else kwargs.get("model")), "cuda")  # a bare "cuda": the current device
        with torch.random.fork_rng(devices=cuda, device_type="cuda"):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def model_devices(model: Any) -> list[torch.device]:
    """The devices of ``model``'s parameters and buffers, each once: a ``torch.nn.Module``, the network of an estimator or
    application (``network_``, a reinforcement agent's ``q_network_``), a scikit-learn ``Pipeline``'s last step's; none for
    anything else (an unfitted model).

    Parameters
    ----------
    model : object
        What a ``cost`` or ``prune`` call is given.

    Examples
    --------
    >>> model_devices(torch.nn.Linear(2, 1))
    [device(type='cpu')]
    """
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and isinstance(steps[-1], tuple):
        return model_devices(steps[-1][-1])
    if not isinstance(model, torch.nn.Module):
        model = network_of(model)
        if not isinstance(model, torch.nn.Module):
            return []
    found: dict[str, torch.device] = {}
    for tensor in (*model.parameters(), *model.buffers()):
        found.setdefault(str(tensor.device), tensor.device)
    return list(found.values())


def cuda_indices(*devices: torch.device | str | None) -> list[int]:
    """The CUDA device indices among ``devices``, sorted and each once: ``cuda:1`` -> 1, a bare ``cuda`` -> the current
    device (:func:`torch.cuda.current_device`); a CPU, MPS or XPU device, or None, adds none.

    Parameters
    ----------
    *devices : torch.device, str or None
        The devices a fit uses (its model's, its data's).

    Examples
    --------
    >>> cuda_indices(torch.device("cpu"), "cuda:1", torch.device("cuda", 1), None)
    [1]
    """
    found = set()
    for device in devices:
        on = torch.device(device) if device is not None else None
        if on is not None and on.type == "cuda":
            found.add(on.index if on.index is not None else torch.cuda.current_device())
    return sorted(found)


@contextlib.contextmanager
def seeded(seed: int, *devices: torch.device | str | None) -> Iterator[None]:
    """For the block, PyTorch's CPU generator and the generator of each CUDA device of ``devices`` (:func:`cuda_indices`)
    seeded with ``seed``; all of them put back when it ends (or raises), and no other device's touched.

    Why: a fit seeded its dropout with ``torch.manual_seed``, which seeds every CUDA device (and XPU, MPS), while its fork
    put back only the fit's own: on a machine of several GPUs, the other devices' generators were left reseeded. On
    another accelerator (MPS, XPU) it is still ``torch.manual_seed``, whose seeding is not put back (untested here).

    Parameters
    ----------
    seed : int
        The seed, in ``[0, 2**63)``.
    *devices : torch.device, str or None
        The devices the block draws on.
    """
    cuda = cuda_indices(*devices)
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.default_generator.manual_seed(seed)
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        if any(d is not None and torch.device(d).type not in ("cpu", "cuda") for d in devices):
            torch.manual_seed(seed)
        yield


__all__ = ["cuda_indices", "keeps_torch_rng", "model_devices", "seeded"]
