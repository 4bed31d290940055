"""One forward pass of a module over a plane's grid: each dense unit's map and the raw outputs (a Timelapse frame's numbers).

Eval mode (every submodule's own mode put back after, also on error), under
``torch.inference_mode``, drawing no random numbers: a frame taken during
training leaves the fitted weights bit-identical. A NaN or inf activation
raises :class:`~hiddenlayers.lens._record.NonFiniteActivations` (a diverging
run) rather than drawing as 0.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._record import _first_tensor, recording, to_numpy
from ._runnable import check_runnable, diagnosed
from ._select import Selector
from ._state import evaluating
from ._target import as_target


def grid_pass(module: nn.Module, grid: np.ndarray, layers: Selector, res: int, block: int = 1024) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """``({layer: (units, res, res)}, output (res², ...))`` of one pass over the grid: eval mode, no autograd, no statistics.

    The grid goes through in blocks of ``block`` rows, as :func:`~hiddenlayers.lens.record` feeds it, so the
    numbers equal :func:`~hiddenlayers.lens.neuron_maps`'. A layer that is not dense (one value per unit) is refused.
    """
    check_runnable(module)
    target = as_target(module)
    to_tensor = target.to_tensor
    parts: dict[str, list[np.ndarray]] = {}
    outs: list[np.ndarray] = []
    selection = layers if layers is not None else target.default_layers
    with evaluating(module), torch.inference_mode(), diagnosed(module, rows=len(grid), batch_size=block) as forward, \
            recording(module, selection, pre=False) as rec:
        rec.finite = True  # a NaN or inf activation raises NonFiniteActivations (a diverging run) instead of drawing as 0
        for start in range(0, len(grid), block):
            out = forward(to_tensor(grid[start : start + block]))
            for name, got in rec.outputs.items():
                if got:
                    parts.setdefault(name, []).append(to_numpy(got.pop()))
            first = _first_tensor(out)
            if first is not None:
                outs.append(to_numpy(first))
    silent = [n for n in rec.layers if n not in parts]
    if silent and layers is not None:
        raise ValueError(f"layer(s) {', '.join(map(repr, silent))} of {type(module).__name__} did not run in its forward pass: select layers it runs.")
    maps = {}
    for name, chunks in parts.items():
        a = np.concatenate(chunks)
        if rec.kinds.get(name) != "dense" or a.ndim != 2:
            raise ValueError(
                f"Timelapse draws maps of dense layers (one value per unit); layer {name!r} outputs shape {tuple(a.shape[1:])} per row: "
                "select dense layers with layers=[...]."
            )
        maps[name] = np.ascontiguousarray(a.T.reshape(-1, res, res), dtype=np.float32)
    if not maps:
        raise ValueError(f"Timelapse recorded no layer of {type(module).__name__}: select layers it runs with layers=[...].")
    return maps, (np.concatenate(outs) if outs else None)


__all__ = ["grid_pass"]
