"""Callbacks in the fit loops other than :func:`~._loop.train`'s, called as ``train`` calls them.

:func:`~._loop.train` calls its callbacks itself. DANN (:func:`~._dann.train_dann`), the Recommender
(row-wise embedding updates) and the Translator (teacher-forced batches) run loops of their own;
:class:`LoopHooks` gives those loops the same hooks in the same order: ``on_train_begin``,
then per epoch ``on_epoch_begin``, ``on_batch_end`` (``batch_loss``: the epoch's running sum of the
per-row losses so far) and, once the epoch is recorded and its best weights noted, ``on_epoch_end``
with the MLP estimators' ``logs``; ``on_train_end`` once the kept weights and ``stop_reason`` are final.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ._stopping import Callback, History, TrainState


class LoopHooks:
    """``callbacks`` of one run of a loop of its own on ``network``, recording into ``history``.

    ``state.stop_training`` (set by a callback) is read by :meth:`epoch_end`: the loop stops after that epoch with
    ``stop_reason`` ``"callback"``, keeping the weights any other stop keeps.

    Parameters
    ----------
    callbacks : list of Callback
        The run's callbacks.
    network : torch.nn.Module
        The network trained.
    history : History
        Where the run records its epochs.
    """

    def __init__(self, callbacks: list[Callback], network: nn.Module, history: History) -> None:
        self.callbacks, self.network, self.history, self.state = callbacks, network, history, TrainState()
        self.batch_cbs = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]

    def _call(self, hook: str, **kwargs: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(network=self.network, history=self.history, state=self.state, **kwargs)

    def begin(self) -> None:
        """The run starts (before its first epoch)."""
        self._call("on_train_begin")

    def epoch_begin(self, epoch: int) -> None:
        """Epoch ``epoch`` is about to start.

        Parameters
        ----------
        epoch : int
            Its number, counted on over warm fits.
        """
        self.state.epoch = epoch
        self._call("on_epoch_begin", epoch=epoch)

    @property
    def reads_batches(self) -> bool:
        """Whether a callback overrides ``on_batch_end`` (else the loop need not add up its batches' losses)."""
        return bool(self.batch_cbs)

    def batch_end(self, batch_loss: Any) -> None:
        """A step is done.

        Parameters
        ----------
        batch_loss : float or torch.Tensor
            The epoch's summed per-row losses so far (a float or a 0-d tensor).
        """
        for cb in self.batch_cbs:
            cb.on_batch_end(network=self.network, history=self.history, state=self.state, batch_loss=batch_loss)

    def epoch_end(self) -> bool:
        """The history's last epoch is recorded: ``on_epoch_end`` with its ``logs``; True when a callback asked to stop."""
        h = self.history
        logs = {"epoch": h.epoch[-1], "train_loss": h.train_loss[-1], "val_loss": h.val_loss[-1], "val_score": h.val_score[-1], "lr": h.lr[-1]}
        self._call("on_epoch_end", logs=logs)
        return self.state.stop_training

    def end(self) -> None:
        """The run is over: its weights and ``history.stop_reason`` are final."""
        self._call("on_train_end")


__all__ = ["LoopHooks"]
