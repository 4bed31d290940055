"""Fit-loop callbacks that report progress: scikit-learn's ``verbose`` lines and a Rich progress bar.

:class:`SklearnLines` prints exactly what scikit-learn's MLP prints with
``verbose=True`` (stdout); :class:`ProgressBar` is the opt-in Rich bar
(``progress_bar=True``, stderr).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._stopping import Callback

if TYPE_CHECKING:
    from ._optim import Schedule


class SklearnLines(Callback):
    """Print scikit-learn's ``verbose`` lines to stdout, word for word.

    Per epoch ``Iteration 3, loss = 0.69314718`` (epochs of this call, as sklearn's ``n_iter_``), then with early
    stopping ``Validation score: 0.933333``; when the no-improvement rule fires, sklearn's message ending in
    ``Stopping.`` (or, for ``learning_rate="adaptive"``, ``Setting learning rate to ...``).

    Parameters
    ----------
    schedule : Schedule
        The fit's schedule, read to see adaptive rate cuts, which happen after the epoch's callbacks have run.
    early_stopping : bool
        Print the validation score line.
    tol : float
        The no-improvement rule's tolerance, as sklearn's message says it.
    n_iter_no_change : float
        Its patience, as sklearn's message says it.
    """

    def __init__(self, schedule: Schedule, *, early_stopping: bool, tol: float, n_iter_no_change: float) -> None:
        self.schedule = schedule
        self.early_stopping = early_stopping
        what = "Validation score" if early_stopping else "Training loss"
        patience = int(n_iter_no_change) if n_iter_no_change != float("inf") else n_iter_no_change
        self.message = f"{what} did not improve more than tol={tol:f} for {patience} consecutive epochs."
        self._epochs = 0
        self._lr: float | None = None

    def _report_rate_cut(self) -> None:
        # sklearn prints the cut inside the epoch that caused it; printing it here, before the next
        # epoch's line (or at the end), gives the same text in the same order
        if self.schedule.kind == "adaptive" and self._lr is not None and self.schedule.lr < self._lr:
            print(f"{self.message} Setting learning rate to {self.schedule.lr:f}")
        self._lr = self.schedule.lr

    def on_train_begin(self, **kwargs: Any) -> None:
        self._epochs = 0
        self._lr = self.schedule.lr

    def on_epoch_end(self, **kwargs: Any) -> None:
        logs = kwargs.get("logs", {})
        self._report_rate_cut()
        self._epochs += 1
        print(f"Iteration {self._epochs}, loss = {logs.get('train_loss', float('nan')):.8f}")  # sklearn's "%d ... %.8f"
        if self.early_stopping:
            print(f"Validation score: {logs.get('val_score', float('nan')):f}")

    def on_train_end(self, **kwargs: Any) -> None:
        self._report_rate_cut()
        history = kwargs.get("history")
        if history is not None and (history.stop_reason or "").startswith("no_improvement"):
            # 'adaptive' stops once its rate is at most 1e-6 (it cuts the rate otherwise); under SWA's own rate (swa_lr) it no longer
            # cuts, and the stop is the plain no-improvement one
            tail = " Learning rate too small. Stopping." if self.schedule.kind == "adaptive" and self.schedule.lr <= 1e-6 else " Stopping."
            print(self.message + tail)


#: the progress line's widest (columns): pipes, CI logs and terminals of 80 columns show it whole
MAX_WIDTH = 80


class ProgressBar(Callback):
    """One Rich progress bar over epochs on stderr while training runs (``progress_bar=True``).

    One line of at most :data:`MAX_WIDTH` columns and the terminal's width (the description, the bar, epochs done of
    all, the loss, the validation figure, the time left; at the end of a run stopped before its last epoch, ``stopped`` or
    ``interrupted`` in its place).

    Parameters
    ----------
    total_epochs : int
        The bar's length in epochs.
    description : str
        The line's first words.
    val : tuple of (str, callable), optional
        The validation column's label and how to read it from an epoch's ``logs`` (default ``("val", val_score)``: the
        score, higher is better). A fit that watches an error passes its own, e.g. the Autoencoder's
        ``("val error", ...)``.
    """

    def __init__(self, total_epochs: int, description: str = "training", val: tuple[str, Callable[[dict[str, Any]], Any]] | None = None) -> None:
        self.total_epochs = int(total_epochs)
        self.description = description
        self.val_label: str = (val or ("val",))[0]
        self.val_of: Callable[[dict[str, Any]], Any] = val[1] if val is not None else (lambda logs: logs.get("val_score"))
        self._progress: Any = None
        self._task: Any = None

    def on_train_begin(self, **kwargs: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from .._rich_plain import console

        # The line is at most MAX_WIDTH columns and never wider than the terminal: the bar takes what the text leaves (Rich narrows
        # a flexible column first). A fixed 20-column bar beside the elapsed and remaining times made "training Autoencoder ...
        # val error" 96 columns, which Rich cut to fit 80 ("3/5…", "0:00:…"); the elapsed time is left out, the time left kept.
        con = console(file=sys.stderr)
        con.width = min(con.width, MAX_WIDTH)
        self._progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False),  # the description may name the user's file: never markup
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn(f"{self.val_label} {{task.fields[val]}}"),
            TimeRemainingColumn(),
            console=con,
            transient=False,
            expand=True,
        )
        self._progress.start()
        # a fit resumed from a backup has done some of this call's epochs already: the bar starts at them (k of N), with their last loss
        done = int(getattr(kwargs.get("state"), "resumed_epochs", 0) or 0)
        history = kwargs.get("history")
        loss = f"{history.train_loss[-1]:.4f}" if done and history is not None and history.train_loss else "-"
        self._task = self._progress.add_task(self.description, total=self.total_epochs, completed=done, loss=loss, val="-")

    def on_epoch_end(self, **kwargs: Any) -> None:
        logs = kwargs.get("logs", {})
        val = self.val_of(logs)
        self._progress.update(
            self._task,
            advance=1,
            loss=f"{logs.get('train_loss', float('nan')):.4f}",
            val="-" if val is None or val != val else f"{val:.4f}",
        )

    def on_train_end(self, **kwargs: Any) -> None:
        if self._progress is not None:
            history = kwargs.get("history")
            self._end_time_left(history)
            self._progress.stop()
            if history is not None and history.stop_reason:
                epochs = history.epoch[-1] if history.epoch else 0
                why = f"{_restored_words(history)} ({history.stop_reason})" if history.stop_message else history.stop_reason
                self._progress.console.print(f"{self.description} stopped after epoch {epochs}: {why}", highlight=False, soft_wrap=True)
            self._progress = None


    def _end_time_left(self, history: Any) -> None:
        """Before the bar's last render: a run that ends before its last epoch (Ctrl-C, early stopping, a time limit, a
        divergence) shows ``interrupted`` or ``stopped`` where the time left was, as the bar stays on screen.

        Why: the last render kept its estimate ("0:00:12") after Ctrl-C or an early stop, as if 12 seconds of training were
        still to come. A run of every epoch keeps Rich's own ``0:00:00``.
        """
        from rich.progress import TextColumn

        task = self._progress.tasks[0] if self._progress.tasks else None
        if task is None or task.finished:
            return
        word = "interrupted" if history is not None and history.stop_reason == "interrupted" else "stopped"
        self._progress.columns = (*self._progress.columns[:-1], TextColumn(word, style="progress.remaining"))


_RESTORED = "; best weights restored"


def _restored_words(history: Any) -> str:
    """``history.stop_message``, less its claim that best weights were restored where none were: a divergence that left the
    network no epoch's weights, which the fit then refuses ("no epoch is usable"; :func:`~._divergence.left_unusable`)."""
    from ._divergence import left_unusable

    message = str(history.stop_message)
    if left_unusable(history) and message.endswith(_RESTORED):
        return message[: -len(_RESTORED)] + "; no epoch is usable"
    return message
