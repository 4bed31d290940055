"""Weight averaging in the fit loop: an exponential moving average (EMA) or stochastic weight averaging (SWA).

:class:`WeightAveraging` keeps one average of the loop's flat parameter buffer (``FlatParams.data``,
every trainable parameter in one 1-D tensor), updated by PyTorch's own averaging functions
(``torch.optim.swa_utils.get_ema_multi_avg_fn`` / ``get_swa_multi_avg_fn``, the ones
``AveragedModel`` applies) on that one tensor instead of a deep copy of the module:

- ``"ema"``: after every optimizer step, ``avg = decay * avg + (1 - decay) * w``; the first
  step's weights start it (``AveragedModel``'s rule), as in timm, Keras' ``use_ema`` and Lightning's ``EMAWeightAveraging``.
- ``"swa"``: at the end of each epoch from ``start_epoch`` (1-based, counted in this
  :func:`~hiddenlayers.training.train` call) on, the plain mean of those epochs' weights (Izmailov et al. 2018).
  With ``swa_lr`` the rate of those epochs is SWA's own, as ``torch.optim.swa_utils.SWALR`` sets it: annealed
  from the schedule's to ``swa_lr`` over ``anneal_epochs``, then constant (:mod:`._swa_lr`, :meth:`WeightAveraging.schedule`).

The loop scores the averaged weights (:meth:`WeightAveraging.swapped`: validation, early stopping and the best
epoch's weights see them) and ends with them in the network (:meth:`WeightAveraging.finish`); the steps
themselves always run on the raw weights. A network with batch norm gets its running statistics recomputed
for the averaged weights by ``torch.optim.swa_utils.update_bn`` (one forward pass over the training rows),
since statistics gathered along the raw trajectory do not describe the average.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Integral, Real
from typing import Any

import scipy.sparse as sp
import torch
from torch import Tensor
from torch.optim.swa_utils import get_ema_multi_avg_fn, get_swa_multi_avg_fn, update_bn

from ._optim import FlatParams, Schedule
from ._swa_lr import ANNEAL_STRATEGIES, SwaSchedule

#: the kinds of weight averaging :func:`~hiddenlayers.training.train` runs
AVERAGING_KINDS = ("ema", "swa")


class WeightAveraging:
    """The average of a :func:`~hiddenlayers.training.train` run's weights: ``"ema"`` per step or ``"swa"`` per epoch.

    Until its first update the average is the raw weights. One object serves one run (``train`` calls :meth:`begin`).

    Parameters
    ----------
    kind : {"ema", "swa"}
        An exponential moving average per step, or stochastic weight averaging per epoch.
    decay : float
        EMA's weight on the old average, in (0, 1) (0.99: the newest step counts 1 %).
    start_epoch : int
        SWA's first averaged epoch of the call, >= 1 (epochs before it are trained, not averaged).
    swa_lr : float, optional
        SWA's learning rate, > 0, or None to keep the fit's schedule; from ``start_epoch`` the rate anneals from the
        schedule's to it over ``anneal_epochs`` epochs, then stays there.
    anneal_epochs : int
        Epochs of that annealing, >= 0 (10, as SWALR's and Lightning's default).
    anneal_strategy : {"cos", "linear"}
        SWALR's names for the annealing's shape.

    Examples
    --------
    >>> avg = WeightAveraging("swa", start_epoch=3, swa_lr=0.05, anneal_epochs=2)
    >>> avg
    WeightAveraging('swa', start_epoch=3, swa_lr=0.05, anneal_epochs=2)
    """

    def __init__(self, kind: str, *, decay: float = 0.99, start_epoch: int = 1, swa_lr: float | None = None, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos") -> None:
        if kind not in AVERAGING_KINDS:
            raise ValueError(f"weight averaging must be one of {', '.join(map(repr, AVERAGING_KINDS))}. Received: {kind!r}.")
        if isinstance(decay, bool) or not isinstance(decay, Real) or not 0 < decay < 1:
            raise ValueError(f"ema_decay must be a number in (0, 1), e.g. 0.999. Received: ema_decay={decay!r}.")
        if isinstance(start_epoch, bool) or not isinstance(start_epoch, Integral) or start_epoch < 1:
            raise ValueError(f"the SWA start epoch must be an integer >= 1. Received: {start_epoch!r}.")
        if swa_lr is not None:
            if kind != "swa":
                raise ValueError(f"swa_lr sets the learning rate of SWA's epochs; weight averaging {kind!r} has none. "
                                 f"Received: swa_lr={swa_lr!r}; use kind 'swa', or swa_lr=None.")
            if isinstance(swa_lr, bool) or not isinstance(swa_lr, Real) or not 0 < swa_lr < float("inf"):
                raise ValueError(f"swa_lr must be a finite number > 0, e.g. 0.01, or None. Received: swa_lr={swa_lr!r}.")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, Integral) or anneal_epochs < 0:
            raise ValueError(f"swa_anneal_epochs must be an integer >= 0, e.g. 10. Received: swa_anneal_epochs={anneal_epochs!r}.")
        if not isinstance(anneal_strategy, str) or anneal_strategy not in ANNEAL_STRATEGIES:
            raise ValueError(f"swa_anneal_strategy must be 'cos' or 'linear' (PyTorch SWALR's names). Received: swa_anneal_strategy={anneal_strategy!r}.")
        self.kind: str = kind
        self.decay: float = float(decay)
        self.start_epoch: int = int(start_epoch)
        self.swa_lr: float | None = None if swa_lr is None else float(swa_lr)
        self.anneal_epochs: int = int(anneal_epochs)
        self.anneal_strategy: str = anneal_strategy
        self._update: Callable[..., None] = get_ema_multi_avg_fn(self.decay) if kind == "ema" else get_swa_multi_avg_fn()
        self.n_averaged: int = 0  # weights folded into the average so far (0: the average is the raw weights)
        self._flat: FlatParams | None = None
        self._avg: Tensor | None = None
        self._raw: Tensor | None = None  # the raw weights while the averaged ones are swapped in
        self._network: torch.nn.Module | None = None
        self._bn: list[torch.nn.modules.batchnorm._BatchNorm] = []
        self._X: Any = None
        self._batch_size: int = 1

    def __repr__(self) -> str:
        detail = f"decay={self.decay:g}" if self.kind == "ema" else f"start_epoch={self.start_epoch}"
        if self.swa_lr is not None:
            detail += f", swa_lr={self.swa_lr:g}, anneal_epochs={self.anneal_epochs}"
            detail += "" if self.anneal_strategy == "cos" else f", anneal_strategy={self.anneal_strategy!r}"
        return f"WeightAveraging({self.kind!r}, {detail})"

    def schedule(self, schedule: Schedule) -> Schedule:
        """The run's learning-rate schedule: ``schedule`` itself, or with ``swa_lr`` SWA's rate from ``start_epoch`` on (:class:`SwaSchedule`).

        Parameters
        ----------
        schedule : Schedule
            The fit's own schedule.
        """
        if self.swa_lr is None:
            return schedule
        return SwaSchedule(schedule, swa_lr=self.swa_lr, start_epoch=self.start_epoch, anneal_epochs=self.anneal_epochs,
                           anneal_strategy=self.anneal_strategy)

    def begin(self, flat: FlatParams, network: torch.nn.Module, X: Any, batch_size: int) -> None:
        """Start a run on ``flat`` (``network``'s parameters).

        Parameters
        ----------
        flat : FlatParams
            The network's parameters as one buffer.
        network : torch.nn.Module
            The network trained.
        X : torch.Tensor of shape (n, in_features)
            The training rows, for ``update_bn``.
        batch_size : int
            Rows per ``update_bn`` batch.
        """
        self._flat, self._network, self._X, self._batch_size = flat, network, X, max(1, int(batch_size))
        self._avg, self._raw = flat.data.clone(), torch.empty_like(flat.data)
        self._bn = [m for m in network.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        self.n_averaged = 0

    def state(self) -> dict[str, Any]:
        """The average so far, for a backup: ``{"n_averaged", "avg"}`` (a CPU copy of the flat average ``(n_params,)``)."""
        assert self._avg is not None
        return {"n_averaged": self.n_averaged, "avg": self._avg.detach().cpu().clone()}

    def load_state(self, state: dict[str, Any]) -> None:
        """Go on from :meth:`state` of the same run's earlier epochs (after :meth:`begin`): the average and its count.

        Parameters
        ----------
        state : dict
            What :meth:`state` returned.
        """
        assert self._avg is not None
        self._avg.copy_(state["avg"].to(self._avg.device))
        self.n_averaged = int(state["n_averaged"])

    def _fold(self) -> None:
        """Fold the current weights into the average (the first update copies them, as ``AveragedModel`` does)."""
        assert self._flat is not None and self._avg is not None
        if self.n_averaged == 0:
            self._avg.copy_(self._flat.data)
        else:
            self._update([self._avg], [self._flat.data], self.n_averaged)
        self.n_averaged += 1

    def after_step(self) -> None:
        """Called after each optimizer step: the EMA's update."""
        if self.kind == "ema":
            self._fold()

    def after_epoch(self, epoch_of_call: int) -> None:
        """Called after each epoch's steps: SWA's update from ``start_epoch`` on.

        Parameters
        ----------
        epoch_of_call : int
            The epoch, 1 for the call's first.
        """
        if self.kind == "swa" and epoch_of_call >= self.start_epoch:
            self._fold()

    def weights(self) -> Tensor:
        """The averaged flat weights ``(n_params,)`` (the raw ones before the first update); not a copy."""
        assert self._flat is not None and self._avg is not None
        return self._avg if self.n_averaged else self._flat.data

    @contextmanager
    def swapped(self) -> Iterator[None]:
        """Within: the network holds the averaged weights (and batch-norm statistics recomputed for them); after: the raw ones again.

        The copies are in place, so every view of the flat buffer (the NumPy engine's, CUDA graphs') stays valid.
        """
        assert self._flat is not None and self._avg is not None and self._raw is not None
        if not self.n_averaged:
            yield
            return
        self._raw.copy_(self._flat.data)
        stats = [{k: v.clone() for k, v in m.state_dict().items()} for m in self._bn]
        self._flat.data.copy_(self._avg)
        try:
            self._recompute_bn()
            yield
        finally:
            self._flat.data.copy_(self._raw)
            for m, s in zip(self._bn, stats):
                m.load_state_dict(s)

    def finish(self, put: bool = True) -> None:
        """End the run: the averaged weights into the network; batch-norm statistics are recomputed for the weights it holds.

        Parameters
        ----------
        put : bool
            Put the averaged weights in; False: the caller has put back weights kept earlier (the averaged ones of a best
            epoch).
        """
        assert self._flat is not None
        if self.n_averaged:
            if put:
                self._flat.data.copy_(self.weights())
            self._recompute_bn()
        self._flat = self._avg = self._raw = self._network = self._X = None

    def _recompute_bn(self) -> None:
        """``update_bn`` over the training rows in batches of ``batch_size`` (the network's mode is kept)."""
        if not self._bn or self._network is None:
            return
        param = next(self._network.parameters())
        X, bs = self._X, self._batch_size

        def batches() -> Iterator[Tensor]:
            for i in range(0, X.shape[0], bs):
                xb = X[i : i + bs]
                if xb.shape[0] < 2 <= X.shape[0]:  # batch norm cannot take one row in training mode: a last row alone is left out
                    return
                yield torch.as_tensor(xb.toarray(), dtype=param.dtype, device=param.device) if sp.issparse(xb) else xb

        update_bn(batches(), self._network)


__all__ = ["AVERAGING_KINDS", "WeightAveraging"]
