"""The report's "The loss around the fitted weights" section: two 1-D loss landscapes through the model's weights.

Two random filter-normalised directions (Li et al. 2018), one curve each: a
narrow valley reads as a sharp minimum, a wide flat one as a robust fit, and a
curve whose lowest point is off zero says training stopped short of the bottom
(or the L2 penalty, which this loss leaves out, holds the weights away from it).
The cost is bounded: :data:`STEPS` points per curve on at most :data:`ROWS` of
the report's rows, forward passes only. A model with no training loss the lens
can evaluate (a plain ``nn.Module``), or no ``y``, gets the one-line reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _html as H
from ._advice import ADVICE

STEPS = 25  # points per curve: enough for the shape, half the default's forward passes
ROWS = 2000  # rows of the report's sample the loss is taken on
SPAN = 1.0
TITLE = "The loss around the fitted weights"
LEAD = "How the training loss changes when the weights move away from the fitted ones."


def landscape_section(target: Any, Xp: Any, yv: np.ndarray | None, X: Any = None, advice: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``(lead, body)``: two 1-D landscapes on at most :data:`ROWS` of the report's rows ``Xp`` (network input), labels ``yv``.

    A model whose targets come from its input (an Autoencoder's rows, a Forecaster's series) takes them from ``X``, the
    report's own input: its network rows and their targets are made from all of ``X`` (a Forecaster's windows stay whole,
    each with the ``horizon`` values after it), as :func:`~hiddenlayers.lens.loss_landscape` makes them, and ``yv`` is not used.
    ``advice``: the notes' fixes by key (``"landscape-labels"``, ``"landscape-loss"`` of :data:`._advice.ADVICE`; None: Python's words).
    """
    from ._landscape import targets_from_X

    weights = None
    if targets_from_X(target.estimator):
        if X is None:
            return LEAD, H.na_html(f"{type(target.estimator).__name__} takes its targets from X: call hl.lens.loss_landscape(model, X) to draw it.")
        from ._landscape import self_target_rows

        Xs, ys = self_target_rows(target, X, ROWS, np.random.default_rng(0))
    else:
        words = {**ADVICE, **(advice or {})}
        no_loss = target.estimator is None or not callable(getattr(target.estimator, "network_loss", None))
        if no_loss and target.estimator is not None:  # an app that has no loss to draw (a Translator): no y would help
            return LEAD, H.na_html(f"{type(target.estimator).__name__} has no training loss the report can evaluate: {words['landscape-loss']}.")
        if yv is None:
            return LEAD, H.na_html(f"{words['landscape-labels']}.")
        if no_loss:
            return LEAD, H.na_html(f"{type(target.module).__name__} has no training loss the report can evaluate: {words['landscape-loss']}.")
        from ._landscape_weights import row_weights
        from ._target import sample_index, take_rows

        weights = row_weights(target, yv, None, len(yv), class_weighted=True)  # a class_weight model's own objective, as fit weighed it
        idx = sample_index(len(yv), ROWS, 0)  # the report's rows are in X's order when all of them fit
        Xs, ys = take_rows(Xp, idx), (yv if idx is None else yv[idx])
        weights = weights if weights is None or idx is None else weights[idx]
    return _curves_section(target, Xs, ys, weights)


def _curves_section(target: Any, Xs: Any, ys: Any, ws: np.ndarray | None) -> tuple[str, str]:
    """``(lead, body)``: the two random-direction curves through the fitted weights on network rows ``Xs`` and targets ``ys``
    (row weights ``ws`` or None)."""
    from ._landscape import landscape_prepared
    from ._plots import new_figure

    curves = [landscape_prepared(target, Xs, ys, loss=None, directions=1, span=SPAN, steps=STEPS, normalization="filter",
                                 between=None, rng=np.random.default_rng(seed), sample_weight=ws) for seed in (0, 1)]
    fig = new_figure(5.5, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    for i, c in enumerate(curves, start=1):
        ax.plot(c.alphas, c.losses, label=f"random direction {i}")
    ax.plot([0.0], [curves[0].center_loss], "o", color="#1a1a1a", label=f"fitted weights ({curves[0].center_loss:.4g})")
    ax.set_xlabel("step along the direction (1 = each unit's weights moved by their own norm)")
    ax.set_ylabel("training " + curves[0].label)
    ax.legend(frameon=False, fontsize=8)
    rows = [[f"direction {i}", f"{c.losses[0]:.4g}", f"{c.center_loss:.4g}", f"{c.losses[-1]:.4g}",
             f"{c.alphas[int(np.nanargmin(c.losses))]:+.2f}" if np.isfinite(c.losses).any() else "n/a"] for i, c in enumerate(curves, start=1)]
    table = H.table_html(["curve", f"loss at -{SPAN:g}", "at 0", f"at +{SPAN:g}", "lowest at"], rows)
    notes = []
    lowest = [float(c.alphas[int(np.nanargmin(c.losses))]) for c in curves if np.isfinite(c.losses).any()]
    if any(abs(a) > 0.25 for a in lowest):
        notes.append("the training loss (without the L2 term) is lower away from the fitted weights along a random direction: training stopped "
                     "before the bottom of this valley (too few epochs, or early stopping), or the L2 penalty (alpha) holds the weights back from it.")
    weighted = " (weighted by the model's class_weight, as in fit)" if ws is not None else ""
    unit = f"; {curves[0].unit}" if curves[0].unit else ""
    lead = (f"Training loss (no L2 term{unit}){weighted} on {curves[0].rows:,} rows along two random filter-normalised directions (Li et al., 2018); "
            "a narrow valley is a sharp minimum, a wide one a flat minimum.")
    return lead, H.figure_html(fig, "0 = the fitted weights; hl.lens.loss_landscape draws more (2-D, or the line to another model)") + table + (
        H.note_html(" ".join(notes)) if notes else "")


__all__ = ["LEAD", "TITLE", "landscape_section"]
