"""SWA's own learning rate: from SWA's first averaged epoch the rate anneals to ``swa_lr``, then stays there.

This is ``torch.optim.swa_utils.SWALR`` (its ``anneal_strategy``: ``"cos"``, the default, or ``"linear"``), written where the fit loop sets its
rate: the loop's optimizers (``_optim``) take the rate as an argument of ``step(lr)`` and hold no
``torch.optim`` parameter groups, which ``SWALR`` reads and writes. The rates are SWALR's for the same settings
(``tests/training/test_averaging.py`` steps a real ``SWALR`` beside the loop): the first averaged epoch runs at the
rate the fit's schedule gave it (SWALR built at that epoch's start), and each averaged epoch's end is one
``SWALR.step()``: after ``k`` of them the rate is ``(1 - a) * lr_start + a * swa_lr``, ``a = (1 - cos(pi * t)) / 2``
for ``"cos"`` and ``a = t`` for ``"linear"``, ``t = min(1, k / E)`` (``E = anneal_epochs``; ``E = 0``: ``swa_lr`` from the first
averaged epoch on).

:class:`SwaSchedule` wraps the fit's :class:`~._optim.Schedule`: before SWA's first epoch the wrapped schedule
drives the rate (``invscaling``, ``adaptive``'s cuts, ``plateau``, ``cosine``), from it on SWA's rate does and the
wrapped schedule stands still (``adaptive`` no longer cuts the rate when the monitor stalls, so the no-improvement
rule stops training as under ``constant``). Its state is the wrapped schedule's, so a warm fit goes on from the rate
the schedule had reached, not from ``swa_lr``.
"""

from __future__ import annotations

import math
from typing import Any

from ._optim import Schedule

#: SWALR's anneal_strategy names: cosine (its default) or linear annealing of the rate to swa_lr
ANNEAL_STRATEGIES = ("cos", "linear")


def swa_rate(lr_start: float, swa_lr: float, anneal_epochs: int, k: int, strategy: str = "cos") -> float:
    """The rate after ``k`` SWA epochs (SWALR's after ``k`` steps) from ``lr_start`` towards ``swa_lr``.

    Parameters
    ----------
    lr_start : float
        The rate SWA starts from.
    swa_lr : float
        The rate it anneals to.
    anneal_epochs : int
        The epochs the annealing takes.
    k : int
        SWA epochs so far, >= 0.
    strategy : {"cos", "linear"}
        SWALR's ``anneal_strategy``.
    """
    t = 1.0 if anneal_epochs == 0 else min(1.0, k / anneal_epochs)
    alpha = t if strategy == "linear" else (1.0 - math.cos(math.pi * t)) / 2.0
    return swa_lr * alpha + lr_start * (1.0 - alpha)


class SwaSchedule(Schedule):
    """The fit's ``inner`` schedule until epoch ``start_epoch`` of the run (1-based), then SWA's rate (:func:`swa_rate`).

    ``kind``, ``lr0`` and the other settings are ``inner``'s, so what reads them (``SklearnLines``) sees the fit's own
    schedule. One object serves one :func:`~hiddenlayers.training.train` call (it counts that call's epochs).

    Parameters
    ----------
    inner : Schedule
        The fit's schedule.
    swa_lr : float
        The rate SWA anneals to, > 0.
    start_epoch : int
        SWA's first epoch of the run.
    anneal_epochs : int
        The epochs the annealing takes, >= 0.
    anneal_strategy : {"cos", "linear"}
        :data:`ANNEAL_STRATEGIES`.
    """

    def __init__(self, inner: Schedule, *, swa_lr: float, start_epoch: int, anneal_epochs: int, anneal_strategy: str = "cos") -> None:
        super().__init__(inner.kind, inner.lr0, power_t=inner.power_t, max_epochs=inner.max_epochs, patience=inner.patience)
        self.inner, self.swa_lr, self.start_epoch, self.anneal_epochs = inner, float(swa_lr), int(start_epoch), int(anneal_epochs)
        self.anneal_strategy = anneal_strategy
        self.epochs = 0  # epochs of this call ended
        self.lr_start = inner.lr  # the wrapped schedule's rate for SWA's first epoch (set when that epoch is next)
        self._sync()

    def _sync(self) -> None:
        """``lr`` (the next epoch's) and ``stalled`` from the wrapped schedule, or from SWA's annealing once its epochs have begun."""
        self.stalled = self.inner.stalled
        done = self.epochs - (self.start_epoch - 1)  # SWA epochs ended (< 0: the next epoch is before SWA's first)
        if done < 0:
            self.lr = self.inner.lr
            return
        if done == 0:
            self.lr_start = self.inner.lr
        self.lr = swa_rate(self.lr_start, self.swa_lr, self.anneal_epochs, done, self.anneal_strategy)

    def epoch_end(self, epoch: int, samples_seen: int, improved: bool) -> None:
        """The wrapped schedule's update after an epoch before SWA's first; SWA's annealing step after the others.

        Parameters
        ----------
        epoch, samples_seen, improved
            As :meth:`Schedule.epoch_end` takes them.
        """
        if self.epochs + 1 < self.start_epoch:
            self.inner.epoch_end(epoch, samples_seen, improved)
        self.epochs += 1
        self._sync()

    def on_no_improvement(self) -> bool:
        """The wrapped schedule's answer (``adaptive`` cuts its rate) up to SWA's first epoch; after it False: SWA's rate stays."""
        if self.epochs >= self.start_epoch:
            return False
        going_on = self.inner.on_no_improvement()
        self._sync()  # an 'adaptive' cut just before SWA's first epoch is the rate SWA anneals from
        return going_on

    def state(self) -> dict[str, Any]:
        """The wrapped schedule's state (where it stood when SWA's rate took over, after that)."""
        return self.inner.state()

    def load_state(self, state: dict[str, Any]) -> None:
        """Put the wrapped schedule's state back (Ctrl-C, a divergence); SWA's rate follows from the epochs counted.

        Parameters
        ----------
        state : dict
            The wrapped schedule's :meth:`state`.
        """
        self.inner.load_state(state)
        self._sync()


__all__ = ["ANNEAL_STRATEGIES", "SwaSchedule", "swa_rate"]
