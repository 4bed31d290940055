"""A Rich progress bar as a fit-loop callback (epoch, loss, validation score, ETA)."""

from __future__ import annotations

import sys
from typing import Any

from ._stopping import Callback


class ProgressBar(Callback):
    """Show one Rich progress bar over epochs on stderr while training runs."""

    def __init__(self, total_epochs: int, description: str = "training") -> None:
        self.total_epochs = int(total_epochs)
        self.description = description
        self._progress: Any = None
        self._task: Any = None

    def on_train_begin(self, **kwargs: Any) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=20),  # the whole line fits 80 columns (pipes, CI logs, small terminals)
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("val {task.fields[val]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=self.total_epochs, loss="-", val="-")

    def on_epoch_end(self, **kwargs: Any) -> None:
        logs = kwargs.get("logs", {})
        val = logs.get("val_score")
        self._progress.update(
            self._task,
            advance=1,
            loss=f"{logs.get('train_loss', float('nan')):.4f}",
            val="-" if val is None or val != val else f"{val:.4f}",
        )

    def on_train_end(self, **kwargs: Any) -> None:
        if self._progress is not None:
            history = kwargs.get("history")
            self._progress.stop()
            if history is not None and history.stop_reason:
                epochs = history.epoch[-1] if history.epoch else 0
                why = f"{history.stop_message} ({history.stop_reason})" if history.stop_message else history.stop_reason
                self._progress.console.print(f"{self.description} stopped after epoch {epochs}: {why}", highlight=False, soft_wrap=True)
            self._progress = None
