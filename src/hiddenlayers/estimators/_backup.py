"""The estimators' side of :class:`~hiddenlayers.training.BackupAndRestore`: which fits it backs up, and whose backup it is.

The fit loop backs up and resumes its own state (``training/_backup``); here the estimator
refuses the fits a backup cannot resume (decided below, one line each), names what must match for
a backup to be this fit's (the class, every setting that changes training, the rows' digest; ``max_iter`` may
change unless the saved epochs depended on it, as the loop judges: ``BackupAndRestore.check_epochs``), and
keeps the early-stopping split's RNG state in the backup, so a resumed ``random_state=None`` fit
holds out the rows the broken one held out.

A streamed fit (``fit(ParquetSource(...))``, alone or under ``torchrun``) already writes a per-epoch checkpoint that
resumes it bit for bit (``$HIDDENLAYERS_CHECKPOINT``; ``hiddenlayers train DIR`` writes ``OUT.ckpt``): a
``BackupAndRestore`` given to it makes that checkpoint its file, ``backup_dir/backup.pt`` (:func:`stream_checkpoint`),
rather than run a second machinery. Rank 0 alone writes it, atomically, after each epoch; a fit that ends (not by
Ctrl-C) deletes it when ``delete_checkpoint`` says so; a checkpoint of another model or other rows is refused in one line
(:func:`training_settings` in the checkpoint's record, :mod:`._trained_on`). Inside a streamed pass each chunk's
``partial_fit`` sees no backup (:func:`backup_callback`): the stream backs the pass up, not its chunks.

Refused, with the reason: ``partial_fit`` (one epoch per call: nothing inside a
call to resume); ``solver='lbfgs'`` (SciPy's minimize keeps its curvature pairs inside, with no way to save them);
``warm_start=True`` on a fitted model (the backup of one fit cannot say which earlier state it continued);
``domain_adaptation`` and ``freeze='head_first'`` (their own loops or two runs); an in-memory fit under ``torchrun``
(several processes train a streamed source).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..training import BackupAndRestore
    from ._mlp_base import _BaseMLP

#: settings that change no step of training: a backup resumes whatever they are
_NOT_TRAINING = ("callbacks", "verbose", "progress_bar", "warm_start", "device")


def backup_callback(est: _BaseMLP) -> BackupAndRestore | None:
    """The :class:`~hiddenlayers.training.BackupAndRestore` among ``est.callbacks``, or None; None too for a chunk's
    ``partial_fit`` inside a streamed pass, which the stream's own checkpoint backs up."""
    from ..training import backup_of, check_callbacks

    if est.__dict__.get("_pass_callbacks") is not None:  # a streamed pass's chunk (_stream_plan.one_epoch_settings)
        return None
    return backup_of(check_callbacks(est.callbacks))


def stream_checkpoint(est: _BaseMLP, env: str | None) -> str | None:
    """The checkpoint file of a streamed ``fit``: the ``BackupAndRestore``'s ``backup.pt`` (its folder made by rank 0), else
    ``env`` (``$HIDDENLAYERS_CHECKPOINT``), else None. Both, naming other files, is one ValueError: one fit, one checkpoint."""
    from ..training import from_rank_0, is_writer

    backup = backup_callback(est)
    if backup is None:
        if env:  # rank 0 writes it: its refusal on every rank, before the statistics pass and the first epoch
            from_rank_0(lambda: _refuse_unwritable(env), errors=(ValueError,))
        return env or None
    path = backup.path
    if env and os.path.abspath(env) != os.path.abspath(path):
        raise ValueError(f"BackupAndRestore writes this streamed fit's checkpoint to '{path}' and HIDDENLAYERS_CHECKPOINT names "
                         f"'{env}': a fit keeps one checkpoint, so unset HIDDENLAYERS_CHECKPOINT or drop BackupAndRestore from callbacks.")
    if is_writer():
        path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def _refuse_unwritable(env: str) -> None:
    """One ValueError for a ``$HIDDENLAYERS_CHECKPOINT`` the fit cannot write after its epochs: a folder (read as a damaged
    checkpoint, whose fix said to delete it: the user's folder), a missing folder, or one no file can be created in (both
    found only when the first epoch's checkpoint was written, after the statistics pass and that epoch)."""
    from .._files import check_writable, write_problem

    name = "HIDDENLAYERS_CHECKPOINT"
    if os.path.isdir(env):
        raise ValueError(f"{name} names the folder '{env}', not a file: name a file for the checkpoint, such as "
                         f"'{os.path.join(env, 'fit.ckpt')}'.")
    try:
        check_writable(env, what=name)
    except OSError as exc:
        raise ValueError(f"{name} '{env}': {(exc.strerror or str(exc)).rstrip('.')}.") from None
    folder = os.path.dirname(os.path.abspath(env))
    unwritable = write_problem(folder)
    if unwritable is not None:
        raise ValueError(f"{name} '{env}' cannot be written (folder '{folder}': {unwritable}): name a file in a folder you can write to.")


def training_settings(est: _BaseMLP) -> dict[str, str]:
    """The class (``"model"``) and every setting of ``est`` that changes training, as text, by name: what a backup of this fit
    must have been written with (``max_iter`` too: the caller judges it apart, as it may change)."""
    settings = {"model": type(est).__name__}
    settings.update({name: _setting_text(v) for name, v in sorted(est.get_params(deep=False).items()) if name not in _NOT_TRAINING})
    return settings


def refuse_backup(est: _BaseMLP, incremental: bool, streamed: bool, X_target: Any) -> None:
    """Refuse, in one line and before anything changes, a fit with ``BackupAndRestore`` that a backup cannot resume."""
    from ..training import distributed_world

    if backup_callback(est) is None:
        return
    drop = "or drop BackupAndRestore from callbacks"
    reason = None
    if incremental:
        reason = "partial_fit trains one epoch per call, with nothing inside a call to resume: call fit, or save the model between calls"
    elif est.solver == "lbfgs":
        reason = "solver='lbfgs' keeps its curvature pairs inside SciPy's minimize, where they cannot be saved: use solver='adam' or 'sgd'"
    elif est.warm_start and hasattr(est, "network_"):
        reason = "warm_start=True continues this fitted model, which a backup of one fit cannot resume into: set warm_start=False"
    elif est.domain_adaptation is not None or X_target is not None:
        reason = "domain_adaptation trains in its own loop, which BackupAndRestore does not back up: fit without it"
    elif est.freeze == "head_first":
        reason = "freeze='head_first' trains in two runs, which one backup cannot resume: use freeze=None"
    elif distributed_world()[1] > 1 and not streamed:
        reason = "under torchrun, several processes train a streamed source: fit a ParquetSource, whose checkpoint BackupAndRestore keeps"
    if reason is not None:
        raise ValueError(f"BackupAndRestore cannot back this fit up: {reason}, {drop}.")


def _setting_text(value: Any) -> str:
    """A setting as the backup records it: its repr, or its type's name where the repr is an object's address."""
    if isinstance(value, np.random.RandomState):
        return "a RandomState"
    text = repr(value)
    return f"a {type(value).__name__}" if " at 0x" in text else text


def bind_backup(est: _BaseMLP, X: Any, y: Any, sample_weight: Any, validation: Any = None) -> None:
    """Check that a backup present is this fit's (class, training settings, rows: ``X``, ``y``, ``sample_weight`` as
    the fit trains on them, and ``validation``'s, ``fit``'s ``X_val`` rows), and take its early-stopping split's RNG state;
    no backup callback, or no file: nothing."""
    from ..data import rows_digest

    backup = backup_callback(est)
    if backup is None:
        return
    identity = training_settings(est)
    identity["rows"] = f"{X.shape[0]} rows, digest {rows_digest(X, y, True, sample_weight)}"
    if validation is not None:
        identity["X_val rows"] = f"{validation.X.shape[0]} rows, digest {rows_digest(validation.X, validation.y, True, validation.w)}"
    backup.set_estimator(est)  # a refusal of another max_iter names it
    extra = backup.bind(identity, judged=("max_iter",))  # a new max_iter resumes unless what ran depended on it (the loop's check)
    if extra and extra.get("split_state") is not None:
        name, keys, pos, has_gauss, cached = extra["split_state"]
        est._split_state = (name, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached))


def keep_split(est: _BaseMLP) -> None:
    """Keep the early-stopping split's RNG state in the fit's backups (after the split is drawn), for a resumed fit."""
    import torch

    backup = backup_callback(est)
    state = getattr(est, "_split_state", None)
    if backup is None or state is None:
        return
    name, keys, pos, has_gauss, cached = state
    backup.keep_extra({"split_state": [str(name), torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss), float(cached)]})


__all__ = ["backup_callback", "bind_backup", "keep_split", "refuse_backup", "stream_checkpoint", "training_settings"]
