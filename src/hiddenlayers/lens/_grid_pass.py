"""One forward pass of a module over a plane's grid: each dense unit's map and the raw outputs (a Timelapse frame's numbers).

Eval mode (every submodule's own mode put back after, also on error), under
``torch.inference_mode``, drawing no random numbers: a frame taken during
training leaves the fitted weights bit-identical. A NaN or inf activation
raises :class:`~hiddenlayers.lens._record.NonFiniteActivations` (a diverging
run) rather than drawing as 0.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from ._record import _first_tensor, recording, to_numpy
from ._runnable import check_runnable, diagnosed
from ._select import Selector
from ._state import evaluating
from ._stats import UnitAccumulator
from ._target import as_target

#: each layer's outputs on the rows ``(n, units)``, with its activation and role (what :class:`UnitAccumulator` reads)
RowOutputs = dict[str, tuple[np.ndarray, str | None, str | None]]


class GridPass(NamedTuple):
    """One frame's numbers: ``maps`` ``{layer: (units, res, res)}``, ``output`` ``(res², ...)`` (None: no tensor out) and
    ``rows``, each layer's outputs on the rows given (None: no rows given), for :func:`dead_on_rows`."""

    maps: dict[str, np.ndarray]
    output: np.ndarray | None
    rows: RowOutputs | None


def dead_on_rows(rows: RowOutputs) -> dict[str, np.ndarray]:
    """``{layer: (units,) bool}``: the units dead on the rows, by the lens's own rule (:class:`~hiddenlayers.lens.LayerStats`:
    never active for ReLU, constant otherwise), and only where the rows are enough to call a unit dead (``dead_known``)."""
    dead = {}
    for name, (a, activation, role) in rows.items():
        acc = UnitAccumulator(activation, role=role)
        acc.update(torch.from_numpy(a))
        s = acc.result(name)
        dead[name] = s.dead & s.dead_known
    return dead


def grid_pass(module: nn.Module, grid: np.ndarray, layers: Selector, res: int, block: int = 1024, rows: np.ndarray | None = None) -> GridPass:
    """The maps and output of one pass over the grid (eval mode, no autograd), and which units are dead on ``rows``.

    The grid goes through in blocks of ``block`` rows, as :func:`~hiddenlayers.lens.record` feeds it, so the
    numbers equal :func:`~hiddenlayers.lens.neuron_maps`'. A layer that is not dense (one value per unit) is refused.
    ``rows``: network-input rows (the data the plane was fitted to) sent through after the grid in the same pass (in
    their own blocks); each layer's outputs on them are returned, for :func:`dead_on_rows` to read where needed (the
    statistics cost more than the pass: a Timelapse reads them for its first and last frames only).
    """
    check_runnable(module)
    target = as_target(module)
    to_tensor = target.to_tensor
    parts: dict[str, list[np.ndarray]] = {}
    outs: list[np.ndarray] = []
    selection = layers if layers is not None else target.default_layers
    n_grid = len(grid)
    grid = grid if rows is None else np.concatenate([grid, np.asarray(rows, dtype=grid.dtype)])
    with evaluating(module), torch.inference_mode(), diagnosed(module, rows=len(grid), batch_size=block) as forward, \
            recording(module, selection, pre=False) as rec:
        rec.finite = True  # a NaN or inf activation raises NonFiniteActivations (a diverging run) instead of drawing as 0
        starts = [*range(0, n_grid, block), *range(n_grid, len(grid), block)]  # the grid's blocks as neuron_maps has them
        for start, stop in zip(starts, [*starts[1:], len(grid)], strict=True):
            out = forward(to_tensor(grid[start:stop]))
            for name, got in rec.outputs.items():
                if got:
                    parts.setdefault(name, []).append(to_numpy(got.pop()))
            first = _first_tensor(out)
            if first is not None:
                outs.append(to_numpy(first))
    silent = [n for n in rec.layers if n not in parts]
    if silent and layers is not None:
        raise ValueError(f"layer(s) {', '.join(map(repr, silent))} of {type(module).__name__} did not run in its forward pass: select layers it runs.")
    maps: dict[str, np.ndarray] = {}
    on_rows: RowOutputs = {}
    for name, chunks in parts.items():
        a = np.concatenate(chunks)
        if rows is not None and a.ndim == 2:
            on_rows[name], a = (a[n_grid:], rec.acts.get(name), rec.roles.get(name)), a[:n_grid]
        if rec.kinds.get(name) != "dense" or a.ndim != 2:
            raise ValueError(
                f"Timelapse draws maps of dense layers (one value per unit); layer {name!r} outputs shape {tuple(a.shape[1:])} per row: "
                "select dense layers with layers=[...]."
            )
        maps[name] = np.ascontiguousarray(a.T.reshape(-1, res, res), dtype=np.float32)
    if not maps:
        raise ValueError(f"Timelapse recorded no layer of {type(module).__name__}: select layers it runs with layers=[...].")
    out = np.concatenate(outs)[:n_grid] if outs else None
    return GridPass(maps, out, None if rows is None else on_rows)


__all__ = ["GridPass", "RowOutputs", "dead_on_rows", "grid_pass"]
