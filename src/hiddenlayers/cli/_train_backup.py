"""``train FILE``'s per-epoch checkpoint: ``OUT.ckpt``, the name, resume rule and Ctrl-C line of ``train DIR``'s.

An in-memory fit (``train data.csv``) backs itself up after every epoch with a
:class:`~hiddenlayers.training.BackupAndRestore` whose backup is the file ``OUT.ckpt``
(``$HIDDENLAYERS_CHECKPOINT`` names another, as for a folder). A re-run of the same command
finds it, says so and resumes (the model file of an interrupted run may be written over: it
is that run's); with another ``--epochs`` it trains to that many, and says so, unless what the saved epochs did
depends on it (``--learning-rate cosine``, SWA's share of the epochs: refused in one line); a run that ends removes it; Ctrl-C or a kill leaves it, and Ctrl-C's line says
how to resume. Fits a backup cannot resume (``--set solver=lbfgs``, ``--freeze head_first``)
keep no checkpoint.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from ._common import UserError, note, one_line, saved_line

CHECKPOINT_ENV = "HIDDENLAYERS_CHECKPOINT"  # the streamed fit's variable: one name for both


def checkpoint_path(out: str | os.PathLike[str]) -> Path:
    """The checkpoint file of the fit that writes ``out``: ``$HIDDENLAYERS_CHECKPOINT``, else ``OUT.ckpt``."""
    return Path(os.environ.get(CHECKPOINT_ENV) or f"{Path(out)}.ckpt")


def keeps_checkpoint(params: dict[str, Any]) -> bool:
    """Whether the fit of these settings (``params``: the model's or the command's) backs up each epoch: not L-BFGS, not ``head_first``."""
    return params.get("solver") != "lbfgs" and params.get("freeze") != "head_first"


def resumes(ckpt: Path, params: dict[str, Any]) -> bool:
    """Whether this run resumes from ``ckpt``: it exists and the fit keeps one (then the broken run's model file may be written over)."""
    return ckpt.exists() and keeps_checkpoint(params)


def checkpoint_callback(ckpt: Path, params: dict[str, Any]) -> Any:
    """The fit's backup callback writing ``ckpt`` each epoch, or None for a fit it cannot resume (``params``: the model's settings).

    A checkpoint already there is read first: a damaged or foreign file is one line (a UserError). Resuming from it is
    announced once the fit has found it is this model's and these rows' (a refusal is the one line then).
    """
    if not keeps_checkpoint(params):
        return None
    backup = _checkpoint_file_class()(ckpt)
    try:
        backup.read()
    except (TypeError, ValueError) as exc:
        raise UserError(f"training failed: {one_line(exc)}") from None
    return backup


def interrupted_line(out_path: Path, ckpt: Path | None) -> str:
    """Ctrl-C's line of ``train FILE`` and ``train DIR``: the best model so far is saved, and (when the checkpoint ``ckpt`` is kept) how to resume."""
    line = saved_line(out_path)
    if ckpt is not None and ckpt.is_file():
        line += f"; the checkpoint {ckpt} keeps the last whole epoch: run the same command again to resume (delete it to start over)"
    return line


def untrained_line(out_path: Path) -> str:
    """Ctrl-C's line of ``train FILE`` and ``train DIR`` before the first epoch ended: the weights are the untrained start, so
    no model file is written (the command exits 130 with it)."""
    return f"interrupted before the first epoch ended: nothing was trained, so no model was saved to {out_path}"


def resuming_line(path: Path, record: dict[str, Any], epochs: dict[str, int | None] | None) -> str:
    """The note of a run that resumes from the checkpoint ``path`` (its loop ``record``): after which epoch, and to which
    (``epochs``: what the run's epochs depend on, ``max_epochs`` its ``--epochs``, which may differ from the broken run's)."""
    done = (record.get("history", {}).get("epoch") or [0])[-1]
    line = f"resuming from the checkpoint {path} after epoch {done}"
    end = None if epochs is None else int(record.get("first", 0)) + int(epochs["max_epochs"] or 0)
    if end is not None and end > done:
        line += f", training to epoch {end}"
    elif end is not None:
        line += f": --epochs {end} are trained already, so the fit ends there"
    return line + " (delete it to train from the start)"


@functools.cache
def _checkpoint_file_class() -> type:
    """:class:`BackupAndRestore` whose backup is one file (``OUT.ckpt``) rather than a folder's ``backup.pt``."""
    from ..training import BackupAndRestore

    class CheckpointFile(BackupAndRestore):
        fix = "delete it to train from the start, or write to another --out"
        epochs_name = "--epochs"

        def set_estimator(self, estimator: Any) -> None:  # the command's option, not the model's max_iter
            pass

        @property
        def path(self) -> Path:
            return Path(os.fspath(self.backup_dir))

        def check(self) -> None:
            if self.path.is_dir():
                raise ValueError(f"the checkpoint path '{self.path}' is a folder: give a file ({CHECKPOINT_ENV}), or another --out.")

        def resume_record(self, loop_identity: dict[str, str], epochs: dict[str, int | None] | None = None) -> dict[str, Any] | None:
            record: dict[str, Any] | None = super().resume_record(loop_identity, epochs)
            if record is not None:
                note(resuming_line(self.path, record, epochs))
            return record

    return CheckpointFile


__all__ = ["CHECKPOINT_ENV", "checkpoint_callback", "checkpoint_path", "interrupted_line", "keeps_checkpoint", "resumes", "untrained_line"]
