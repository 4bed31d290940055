"""Playing a GPU on a CPU-only machine for the pickling tests, and watching what pickle writes.

:func:`play_gpu` makes every tensor count as fitted on ``cuda:0`` (the two small functions of
:mod:`hiddenlayers.network._pickling` that say so are replaced) while ``torch.cuda.is_available`` says no GPU:
pickling then takes the path a GPU-fitted model takes, and unpickling the path of a machine without the GPU.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import pytest
import torch
from torch import nn

from hiddenlayers.network import _pickling


def play_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every tensor counts as fitted on ``cuda:0``, and this machine has no CUDA GPU."""
    monkeypatch.setattr(_pickling, "_on_host", lambda t: False)
    monkeypatch.setattr(_pickling, "_device_name", lambda t: "cuda:0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def tensors_written(obj: Any) -> tuple[list[torch.Tensor], int]:
    """The tensors pickle writes for ``obj`` (a parameter counted once, as its data), and how many CPU copies of
    tensors fitted on another device it writes (each holds one of those tensors)."""
    seen: dict[int, torch.Tensor] = {}
    wrapped: set[int] = set()

    class Watching(pickle.Pickler):
        def persistent_id(self, o: Any) -> None:
            if isinstance(o, torch.Tensor) and not isinstance(o, nn.Parameter):
                seen[id(o)] = o
            elif isinstance(o, _pickling._OnDevice):
                wrapped.add(id(o))
            return None  # (called for each reference to an object, hence the sets)

    Watching(io.BytesIO()).dump(obj)
    return list(seen.values()), len(wrapped)


def unpickled_with_one_warning(data: bytes, owner: str) -> Any:
    """``pickle.loads(data)``, checking it warned once that ``owner`` was fitted on cuda:0 and is on the CPU."""
    with pytest.warns(UserWarning) as record:
        back = pickle.loads(data)
    mine = [str(w.message) for w in record if "which this machine lacks" in str(w.message)]
    assert mine == [f"this {owner} was fitted on cuda:0, which this machine lacks: it was unpickled on the CPU. Choose the device of "
                    "further fits with set_params(device=...), or save it with hl.save and read it with hl.load(path, device=...)."]
    return back
