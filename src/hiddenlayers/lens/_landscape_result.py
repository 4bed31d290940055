"""The result of :func:`~hiddenlayers.lens.loss_landscape`: the grid, the losses on it, and its plot and table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class LossLandscape:
    """The training loss on a line or a plane through the weights (mean per row, in the loss's units).

    Attributes
    ----------
    alphas : numpy.ndarray of shape (steps,)
        Coordinates along the first direction (for ``"between"``, alpha 0 and 1 are among them, added where the evenly
        spaced points miss them).
    betas : numpy.ndarray of shape (steps,) or None
        Coordinates along the second direction (None for 1-D).
    losses : numpy.ndarray of shape (steps,) or (steps, steps)
        ``losses[i, j]`` at ``(alphas[i], betas[j])``.
    center_loss : float
        The loss at the model's own weights (alpha = beta = 0).
    kind : {"random", "between"}
        Directions drawn at random (scaled by ``normalization``), or the straight line to another model's weights,
        which ``alpha = 1`` reaches.
    normalization : str or None
        How the random directions were scaled (``"filter"``, ``"layer"``, None).
    rows : int
        Rows the losses were computed on.
    other_loss : float or None
        With ``"between"``: the other model's loss.
    unit : str
        What the losses are, in words (``"half squared error per row, in y's units squared"`` for a regressor, whose
        ``scale_target`` standardisation is undone; ``""`` for a ``loss=`` given, in that loss's own units).
    """

    alphas: np.ndarray
    betas: np.ndarray | None
    losses: np.ndarray
    center_loss: float
    kind: str
    normalization: str | None
    rows: int
    other_loss: float | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        for values in (self.alphas, self.betas, self.losses):
            if values is not None:
                values.setflags(write=False)  # frozen all the way down: a plot or a frame cannot change the result

    def __repr__(self) -> str:  # the grid's size and range, not every loss of it (a 51x51 surface printed 2,601 numbers)
        grid = f"{self.alphas.size}" if self.betas is None else f"{self.alphas.size}x{self.betas.size}"
        span = f"alpha {self.alphas.min():g}..{self.alphas.max():g}" if self.alphas.size else "no points"
        return (f"LossLandscape({self.kind}, {grid} points, {span}, center_loss={self.center_loss:.4g}, "
                f"min loss={np.nanmin(self.losses) if self.losses.size else float('nan'):.4g}, rows={self.rows})")

    @property
    def label(self) -> str:
        """``"loss"``, with :attr:`unit` in brackets when it is known: the plots' axis label."""
        return f"loss ({self.unit})" if self.unit else "loss"

    @property
    def directions(self) -> int:
        """1 for a curve, 2 for a surface."""
        return 1 if self.betas is None else 2

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per grid point: columns ``alpha`` (``beta`` for 2-D) and ``loss``."""
        import pandas as pd

        if self.betas is None:
            return pd.DataFrame({"alpha": self.alphas, "loss": self.losses})
        a, b = np.meshgrid(self.alphas, self.betas, indexing="ij")
        return pd.DataFrame({"alpha": a.ravel(), "beta": b.ravel(), "loss": self.losses.ravel()})

    def plot(self, ax: Any = None) -> Any:
        """Draw the curve (1-D) or a filled contour with the model's weights marked (2-D); returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; None: a new matplotlib Figure (no pyplot state) holds it.
        """
        if ax is None:
            from ._plots import new_figure

            ax = new_figure(5.0, 3.6 if self.betas is None else 4.2).add_subplot(1, 1, 1)
        first = "towards the other model" if self.kind == "between" else "direction 1"
        if self.betas is None:
            ax.plot(self.alphas, self.losses, color="#2f6fde")
            ax.plot([0.0], [self.center_loss], "o", color="#1a1a1a", label=f"the model ({self.center_loss:.4g})")
            if self.other_loss is not None:
                ax.plot([1.0], [self.other_loss], "s", color="#c05621", label=f"the other model ({self.other_loss:.4g})")
            ax.set_ylabel(self.label)
            ax.legend(frameon=False, fontsize=8)
        else:
            finite = self.losses[np.isfinite(self.losses)]
            top = float(np.quantile(finite, 0.98)) if finite.size else 1.0
            z = np.clip(np.where(np.isfinite(self.losses), self.losses, top), None, top).T  # rows: beta, columns: alpha
            filled = ax.contourf(self.alphas, self.betas, z, levels=20, cmap="viridis")
            ax.contour(self.alphas, self.betas, z, levels=20, colors="white", linewidths=0.3)
            ax.plot([0.0], [0.0], marker="*", color="#d62728", markersize=11, ls="none", label=f"the model ({self.center_loss:.4g})")
            ax.figure.colorbar(filled, ax=ax, label=self.label)
            ax.set_ylabel("direction 2")
            ax.legend(frameon=False, fontsize=8, loc="upper right")
        ax.set_xlabel(first)
        return ax


__all__ = ["LossLandscape"]
