"""The report's "What each unit responds to most" section: :func:`preferred_inputs` for one layer's most active units.

Cost is bounded the way the other sections bound theirs: at most
:data:`MAX_UNITS` units, :data:`STEPS` ascent steps for all of them in one
batch (a few hundred small forward and backward passes), whatever the rows.
Units are ranked by their mean absolute activation on the report's rows;
units constant on those rows (dead) are left out, since their preferred input
is the data mean itself. Models it cannot apply to (integer ids, NaN-padded
sequences, a layer whose units are all flat) get the report's one-line note.
Images are searched with the search's default ``bounds="auto"``: each pixel
stays within its range over the report's rows, so no preferred image holds a
value no image has; tables search the ball only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import _html as H

MAX_UNITS = 16  # units shown: one readable grid of images or bar charts
STEPS = 100  # ascent steps; the search's default is 200, half is close enough for a picture and keeps the report fast
MAX_FEATURES = 10  # bars per unit (tables): drawing the tick labels is most of the section's time
LEAD = "What each unit responds to most."


def resolve_layer(target: Any, layer: Any, recorded: list[str]) -> str:
    """The layer the section looks at: ``layer`` (one layer, as ``record`` selects them), else the first recorded layer.

    A selection that matches no layer, or several, raises ``ValueError`` naming
    ``preferred_layer`` (the caller's error, raised before the report's work).
    """
    if layer is None:
        return recorded[0]
    from ._select import layer_listing, select_layers

    chosen = select_layers(target.module, layer, target.default_layers, param="preferred_layer")
    if len(chosen) > 1:
        raise ValueError(f"preferred_layer={layer!r} picks {len(chosen)} layers ({layer_listing(target.module, chosen)}): name one of them.")
    return next(iter(chosen))


def check_image_shape(image_shape: Any, Xa: np.ndarray) -> tuple[int, ...] | None:
    """``image_shape`` checked against one input of ``Xa`` (``(N, ...)``); raises the search's one-line ``ValueError``."""
    if image_shape is None:
        return None
    from ._preferred import _image_shape

    return _image_shape(image_shape, tuple(int(d) for d in Xa.shape[1:]))


def preferred_section(target: Any, rec: Any, Xa: np.ndarray, name: str, *, image_shape: tuple[int, ...] | None,
                      feature_names: list[str] | None, model: Any, plot_rows: int) -> tuple[str, str]:
    """The section's lead and body: images (image inputs, or ``image_shape``) or one bar chart per unit (tables)."""
    from ._preferred import preferred_inputs

    if Xa.dtype.kind != "f":
        return LEAD, H.na_html("preferred inputs need real-valued inputs; this model reads integer ids (embeddings), which have no gradient between them.")
    if not bool(np.isfinite(Xa).all()):
        return LEAD, H.na_html("preferred inputs need finite inputs; this model's rows hold NaN (padded sequence steps), so there is no data mean to search around.")
    f = _layer_features(target, rec, Xa, name, plot_rows)  # (N, units)
    live = np.flatnonzero(f.std(axis=0) > 0)
    if live.size == 0:
        return LEAD, H.na_html(f"every unit of {name} is constant on this data (dead or flat), so none responds to one input more than another.")
    units = live[np.argsort(-np.abs(f[:, live]).mean(axis=0), kind="stable")][:MAX_UNITS]
    known = feature_names or [str(c) for c in getattr(model, "feature_names_in_", [])]
    width = int(np.prod(Xa.shape[1:]))
    pref = preferred_inputs(target.module, Xa, layer=[name], units=units, steps=STEPS, image_shape=image_shape,
                            feature_names=known if len(known) == width else None)
    keep = ~pref.flat
    if not keep.any():
        return LEAD, H.na_html(f"the {len(units)} most active units of {name} have no gradient near the data mean (flat), so the search cannot move them.")
    flat_units = [int(u) for u in pref.units[~keep]]
    pref = dataclasses.replace(pref, units=pref.units[keep], inputs=pref.inputs[keep], activation=pref.activation[keep],
                               activation_at_mean=pref.activation_at_mean[keep], flat=pref.flat[keep])
    image = pref.image_shape is not None
    n, total = len(pref.units), f.shape[1]
    which = f"all {n} units" if n == total else f"the {n} most active of {total} units"
    if live.size < total:
        which += f" ({total - live.size} constant on this data, left out)"
    if image:
        kept = " with each pixel within its range on these rows" if pref.bounds is not None else ""
        caption = (f"{name}: {which}; each image is the input within radius {pref.radius:.3g} of the data mean{kept} "
                   "that drives the unit highest (title: unit, activation there)")
    else:
        units_of = f"in {target.input_space}" if target.input_space else "in the network's input units"
        caption = f"{name}: {which}; bars: how far each input feature moves from the data mean (the {MAX_FEATURES} that move most), {units_of}"
    alt = f"preferred inputs of {name}, units " + ", ".join(str(int(u)) for u in pref.units) if image else _bars_alt(pref)
    body = H.figure_html(pref.plot(max_units=MAX_UNITS, max_features=MAX_FEATURES), caption, alt=alt)
    rows = [[int(u), f"{a0:.3g}", f"{a:.3g}"] for u, a0, a in zip(pref.units, pref.activation_at_mean, pref.activation)]
    body += H.table_html(["unit", "activation at the data mean", "at its preferred input"], rows)
    if flat_units:
        body += H.note_html(f"Left out (flat near the data mean, no gradient to follow): unit {', '.join(map(str, flat_units))}.")
    box = ", and each input within its range on the rows" if pref.bounds is not None else ""
    lead = (f"The input each unit of {name} responds to most: gradient ascent on the input, kept within the rows' median "
            f"distance to their mean{box} (hl.lens.preferred_inputs).")
    return lead, body


def _bars_alt(pref: Any) -> str:
    """The bar charts in words: each unit's three inputs that move farthest from the mean, signed (for screen readers and search)."""
    dev = pref.inputs.reshape(len(pref.units), -1) - pref.mean.reshape(-1)
    names = pref.feature_names or [f"x{j}" for j in range(dev.shape[1])]
    per_unit = []
    for u, d in zip(pref.units, dev):
        top = np.argsort(-np.abs(d), kind="stable")[:3]
        per_unit.append(f"unit {int(u)}: " + ", ".join(f"{names[j]} {d[j]:+.2g}" for j in top))
    return f"preferred inputs of {pref.layer} (input − data mean): " + "; ".join(per_unit)


def _layer_features(target: Any, rec: Any, Xa: np.ndarray, name: str, plot_rows: int) -> np.ndarray:
    """``(N, units)`` activations of ``name``: from the report's recording, else recorded now on ``plot_rows`` rows."""
    if name in rec.arrays:
        return np.asarray(rec.features(name))
    from ._record import record_prepared

    return np.asarray(record_prepared(target.as_module, Xa[:plot_rows], [name]).features(name))


__all__ = ["LEAD", "MAX_UNITS", "STEPS", "check_image_shape", "preferred_section", "resolve_layer"]
