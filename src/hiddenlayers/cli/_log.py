"""``train --log FILE``: the per-epoch CSV log (:class:`hiddenlayers.training.CSVLogger`) of a table MLP's fit, in memory or streamed,
or of ``train --app``'s (the app's ``callbacks``; every app but ``agent``, which has no epochs).

The path follows the rules of the command's other outputs (:func:`~._common.check_output`), checked before any work:
not a folder, not a file the command reads, not the ``--out`` model file (nor the ``--timelapse`` page), and an existing
file only with ``--force``. The log is written while the fit runs, so ``tail -f FILE`` shows each epoch as it ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._common import UserError, check_output


def log_path(log: str | None, *, force: bool, inputs: tuple[str, ...], out_path: Path, others: tuple[tuple[str, Path | None], ...] = ()) -> Path | None:
    """``--log``'s path checked as the command's other outputs are, and against ``--out`` and ``others`` (option, path); None without ``--log``."""
    if log is None:
        return None
    path = check_output(log, force=force, inputs=inputs, what="--log", example="log.csv")
    for option, other in (("--out", out_path), *others):
        if other is not None and path.resolve() == other.resolve():
            raise UserError(f"--log '{log}' is the {option} path: the log would be replaced by (or replace) that file; give each its own path.")
    return path


def log_callback(path: Path | None, *, resume: bool = False) -> Any:
    """The fit's :class:`~hiddenlayers.training.CSVLogger` for ``path`` (None: none); ``resume``: a restarted streamed run, which
    adds its epochs to the broken run's log (the rows of epochs it trains again replaced) instead of starting the file again."""
    if path is None:
        return None
    from ..training import CSVLogger

    return CSVLogger(path, append=resume)


__all__ = ["log_callback", "log_path"]
