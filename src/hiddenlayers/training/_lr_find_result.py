"""What a learning-rate range test found: the curve, its smoothing, the suggested rate.

:class:`LRFindResult` holds the rates tried and the loss at each (raw and
smoothed), why the sweep ended, and the suggestion; :func:`smoothed_losses`
and :func:`steepest_descent` are the two rules that turn the raw curve into
the suggestion, kept apart so tests can check them on hand-made curves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: why a sweep ended: every step ran, the smoothed loss passed ``diverge`` x its best, or a loss was NaN/inf
LR_FIND_STOPS = {
    "num_steps": "ran every step",
    "diverged": "the smoothed loss passed diverge x its best",
    "non_finite": "a loss was NaN or infinite",
}


def smoothed_losses(losses: Sequence[float], smooth: float) -> np.ndarray:
    """The exponential moving average of ``losses`` with bias correction, as fastai and Lightning smooth them.

    ``avg_i = (1 - smooth) · avg_{i-1} + smooth · loss_i`` from ``avg_{-1} = 0``, divided by
    ``1 - (1 - smooth)^(i+1)`` so the first values are not pulled towards 0. ``smooth`` is
    the weight of each new loss, in (0, 1]: fastai's and Lightning's ``beta = 0.98`` is ``smooth=0.02``;
    ``smooth=1`` is no smoothing. A NaN or infinite loss makes it and every later value non-finite.
    """
    beta = 1.0 - smooth
    out = np.empty(len(losses))
    avg = 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + smooth * float(loss)
        out[i] = avg / (1.0 - beta ** (i + 1))
    return out


def steepest_descent(lrs: Sequence[float] | np.ndarray, smoothed: Sequence[float] | np.ndarray, skip_begin: int = 10, skip_end: int = 1) -> float | None:
    """The rate where the smoothed loss falls fastest per decade of learning rate: Lightning's suggestion rule.

    The first ``skip_begin`` and last ``skip_end`` points are left out (the start is
    noise, the end is the blow-up; none is skipped on a curve too short to keep 3
    points), and so are the non-finite ones and those past the lowest smoothed loss (after
    a blow-up the loss can fall back steeply from its peak, at rates that diverge: on digits
    with Adam that picked 0.89); the slope is ``np.gradient`` of the loss against
    ``log10(lr)``, and the rate at its most negative value is returned.
    None when fewer than 3 finite points are left (the sweep stopped too soon to tell).
    """
    lr = np.asarray(lrs, dtype=float)
    loss = np.asarray(smoothed, dtype=float)
    n = len(lr)
    if n - skip_begin - skip_end >= 3:
        lr, loss = lr[skip_begin : n - skip_end], loss[skip_begin : n - skip_end]
    keep = np.isfinite(loss)
    lr, loss = lr[keep], loss[keep]
    if len(lr) >= 3:
        lowest = int(np.argmin(loss))
        lr, loss = lr[: lowest + 1], loss[: lowest + 1]  # descent only: nothing past the lowest loss
    if len(lr) < 3:
        return None
    slope = np.gradient(loss, np.log10(lr))
    return float(lr[int(np.argmin(slope))])


@dataclass(frozen=True)
class LRFindResult:
    """A learning-rate range test (:func:`~hiddenlayers.training.lr_find`): one mini-batch step per rate.

    Attributes
    ----------
    lrs : tuple of float
        The rates tried, geometric from ``start_lr`` upwards (one per step taken).
    losses : tuple of float
        The mini-batch loss at each step, computed before that step's update (mean over the batch, plus the L2 penalty
        as training counts it).
    smoothed : tuple of float
        Their bias-corrected moving average (:func:`smoothed_losses`, weight ``smooth``).
    suggestion : float or None
        The rate at the steepest descent of ``smoothed`` (:func:`steepest_descent`), or None when the sweep stopped too
        soon to tell.
    stop_reason : str
        One of :data:`LR_FIND_STOPS`.
    smooth : float
        The weight of each new loss in ``smoothed``, in (0, 1].
    """

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    suggestion: float | None
    stop_reason: str
    smooth: float

    @property
    def stopped_early(self) -> bool:
        """True when the sweep ended before its last step (the loss diverged or was NaN/inf)."""
        return self.stop_reason != "num_steps"

    @property
    def best_lr(self) -> float:
        """The rate at the lowest smoothed loss (a ceiling: the suggestion is usually about 10x lower)."""
        finite = [(v, lr) for lr, v in zip(self.lrs, self.smoothed) if math.isfinite(v)]
        return min(finite)[1] if finite else self.lrs[0]

    def to_frame(self) -> Any:
        """The curve as a pandas DataFrame: columns ``lr``, ``loss``, ``smoothed``, one row per step."""
        import pandas as pd

        return pd.DataFrame({"lr": self.lrs, "loss": self.losses, "smoothed": self.smoothed})

    def plot(self, ax: Any = None) -> Any:
        """Plot the smoothed loss (and, faintly, the raw one) against the rate on a log axis, the suggestion marked.

        Returns the Axes, so ``result.plot().figure.savefig("lr.png")`` works anywhere.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            The Axes to draw on; None makes a new Figure (Agg canvas, no pyplot state).
        """
        if ax is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            fig = Figure(figsize=(6, 3.6), layout="constrained")
            FigureCanvasAgg(fig)
            ax = fig.add_subplot(1, 1, 1)
        lrs = np.asarray(self.lrs, dtype=float)
        ax.plot(lrs, self.losses, color="#9bb7ee", lw=0.8, label="loss")
        ax.plot(lrs, self.smoothed, color="#2f6fde", lw=1.6, label=f"smoothed (smooth={self.smooth:g})")
        if self.suggestion is not None:
            y = float(np.interp(math.log(self.suggestion), np.log(lrs), np.nan_to_num(self.smoothed, nan=np.inf)))
            ax.axvline(self.suggestion, color="#c05621", ls=":", lw=1)
            ax.plot([self.suggestion], [y], "o", color="#c05621", label=f"suggestion {self.suggestion:.3g}")
        finite = np.asarray([v for v in self.smoothed if math.isfinite(v)])
        if finite.size:  # the blow-up at the end would flatten the rest: show up to 1.5x the start's height above the low
            raw = np.asarray([v for v in self.losses if math.isfinite(v)])
            low, first = min(float(finite.min()), float(raw.min())), float(finite[0])
            top = min(float(finite.max()), first + 0.5 * (first - low))
            if top > low:
                ax.set_ylim(low - 0.05 * (top - low), top)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend(frameon=False, fontsize=8)
        return ax


__all__ = ["LRFindResult", "LR_FIND_STOPS", "smoothed_losses", "steepest_descent"]
