"""The callback relay of a streamed fit (:func:`~._fit_stream.fit_source`): passes seen as epochs.

The user's callbacks (then the ``verbose`` lines and progress bar) get the epoch hooks once per pass,
with the stream's history and state, and ``on_batch_end`` at every batch of every chunk, while each
chunk's own ``partial_fit`` sees :class:`PassHooks` as its only callback.
"""

from __future__ import annotations

from typing import Any

from ..training import Callback, History, TrainState


class PassHooks(Callback):
    """A streamed run's callbacks (the user's, then the verbose lines and progress bar), called as the in-memory loop calls them.

    The stream calls the epoch hooks once per pass, with its ``history`` and :class:`TrainState`
    (``state.epoch``: the pass; ``state.stop_training`` stops the fit after the pass) and, at the
    pass's end, ``logs`` (no ``flat``: each chunk's buffer is gone by then). Within a pass this relay
    is each chunk's ``partial_fit``'s only callback: at a chunk's start, once the network exists (a
    first fit builds it in its first chunk), it calls ``on_train_begin`` (the run's first chunk) and
    ``on_epoch_begin`` (the pass's first); :class:`_BatchHooks` passes on every batch's ``on_batch_end``
    (its ``batch_loss``: the pass's running sum, as in memory the epoch's). A chunk's run never calls the others' epoch hooks.
    """

    def __init__(self, callbacks: list[Callback], history: History) -> None:
        self.callbacks, self.history, self.state = callbacks, history, TrainState()
        self.batch_cbs = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        self.started = self.opening = False

    @staticmethod
    def make(callbacks: list[Callback], history: History) -> PassHooks:
        """The relay for ``callbacks``; one that reads batches only when one of them does (else the chunks keep their fast paths)."""
        hooks = PassHooks(callbacks, history)
        return _BatchHooks(callbacks, history) if hooks.batch_cbs else hooks

    def _call(self, hook: str, network: Any, **kwargs: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(network=network, history=self.history, state=self.state, **kwargs)

    def _open(self, network: Any) -> None:
        if not self.started:
            self.started = True
            self._call("on_train_begin", network)
        if self.opening:
            self.opening = False
            self._call("on_epoch_begin", network, epoch=self.state.epoch)

    def begin_pass(self, epoch: int) -> None:
        """Pass ``epoch`` is about to start: its first chunk calls ``on_epoch_begin``."""
        self.state.epoch, self.opening = epoch, True

    def on_train_begin(self, **kwargs: Any) -> None:  # a chunk's run starts
        self._open(kwargs["network"])

    def end_pass(self, network: Any, logs: dict[str, Any]) -> None:
        """The pass's ``on_epoch_end``, after its bookkeeping (``logs``: the epoch's numbers, ``lr`` the next pass's rate)."""
        self._call("on_epoch_end", network, logs=logs)

    def end(self, network: Any) -> None:
        """The run's ``on_train_end``, once its weights and ``stop_reason`` are final."""
        self.opening = False
        self._open(network)  # (a resumed run that had no pass left to train)
        self._call("on_train_end", network)


class _BatchHooks(PassHooks):
    """:class:`PassHooks` for callbacks that read batches: each chunk's batch reaches them, with the stream's history and state.

    ``batch_loss`` is the pass's running sum of the per-row losses (no L2 term), as the in-memory loop's is the
    epoch's: the chunks before this one (``done``) plus this chunk's own running sum (``last``), a float or 0-d tensor,
    never read back from the device here.
    """

    def __init__(self, callbacks: list[Callback], history: History) -> None:
        super().__init__(callbacks, history)
        self.done: Any = 0.0
        self.last: Any = 0.0

    def begin_pass(self, epoch: int) -> None:
        super().begin_pass(epoch)
        self.done = self.last = 0.0

    def on_train_begin(self, **kwargs: Any) -> None:  # a chunk's run starts: the last one's sum joins the pass's
        self.done, self.last = self.done + self.last, 0.0
        super().on_train_begin(**kwargs)

    def on_batch_end(self, **kwargs: Any) -> None:
        self.last = kwargs.get("batch_loss", 0.0)
        batch_loss = self.done + self.last
        for cb in self.batch_cbs:
            cb.on_batch_end(network=kwargs.get("network"), history=self.history, state=self.state, batch_loss=batch_loss)
