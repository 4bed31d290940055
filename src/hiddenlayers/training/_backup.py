"""Keras' ``BackupAndRestore`` for the in-memory fit loop: a fit killed at epoch 40 of 50 goes on from epoch 40.

:class:`BackupAndRestore` is a callback the loop (:func:`~._loop.train`) knows by its type. After every
epoch that does not end the run, the loop writes (atomically) everything the next epochs depend on:
the network's weights and buffers, the optimizer's moments and step count (and the copy kept with the
best epoch), the samples seen, the schedule's rate and stalled epochs, the no-improvement rules' best
and count, the best epoch's weights, the weight average (EMA/SWA), the history, and the RNG states that
draw the next epochs' batch order (``generator``) and dropout (torch's global generator). A run that
starts with a backup present puts all of it back before its first step, so it gives the weights and
history an uninterrupted run gives, bit for bit. A run that ends (any reason but Ctrl-C) deletes it.

The file is read with ``torch.load(weights_only=True)``: loading runs no code. A backup of another
network, other rows, or (through :meth:`BackupAndRestore.bind`) another model's settings is refused
in one line, before anything changes.

A run's number of epochs is free (Keras' rule: killed at epoch 40 of 50, resumed with ``epochs=80``, it trains to
80) where nothing the saved epochs did depends on it: the backup records what does (:func:`epochs_record`: a cosine
schedule's cycle, SWA's first averaged epoch), and :meth:`BackupAndRestore.check_epochs` refuses, naming it, a run
whose new count changes one of them, since the resumed run would not equal an unbroken run of the new count. A run
whose backup already holds its epochs ends before any step, as a run that reached them does (``_loop``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from ._stopping import Callback, History

#: the file a backup folder holds
BACKUP_FILE = "backup.pt"
_FORMAT = "hiddenlayers-backup"
_VERSION = 1


class BackupAndRestore(Callback):
    """Back a fit up after every epoch in ``backup_dir``, and resume a fit from it (Keras' ``BackupAndRestore``).

    A fit started with a backup there resumes from its last epoch and ends with the weights and ``history_`` the
    uninterrupted fit would have (its ``time`` column aside). For ``MLPClassifier`` and ``MLPRegressor``
    (``callbacks=[...]``) with ``solver`` sgd/adam/adamw/rmsprop, the applications that
    :func:`~hiddenlayers.training.train` runs (all but the Recommender, Translator and DQNAgent), and ``train`` itself. A
    streamed fit (``fit(ParquetSource(...))``, under ``torchrun`` too) keeps its own per-epoch checkpoint in
    ``backup.pt`` instead (written by rank 0 alone), which resumes it as bit for bit.

    Parameters
    ----------
    backup_dir : str or PathLike
        A folder (made when first written) that holds one file, ``backup.pt``.
    delete_checkpoint : bool
        Delete the file when the fit ends, for any reason but Ctrl-C (an interrupted fit keeps it, to resume); False
        keeps it.

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> hl.BackupAndRestore("runs/backup")
    BackupAndRestore('runs/backup', delete_checkpoint=True)
    """

    #: the remedy the refusals of a backup end with
    fix = "delete it (or point BackupAndRestore at another folder) to train from the start"
    #: the setting a refusal of another number of epochs names (:meth:`set_estimator`: an estimator's or app's ``max_iter``)
    epochs_name = "max_epochs"

    def __init__(self, backup_dir: str | os.PathLike[str], *, delete_checkpoint: bool = True) -> None:
        self.backup_dir = backup_dir
        self.delete_checkpoint = delete_checkpoint
        self._identity: dict[str, str] = {}  # what the file must have been written by: the caller's (bind) and the loop's
        self._extra: dict[str, Any] = {}  # the caller's record beside the loop's (keep_extra)
        self._judged: tuple[str, ...] = ()  # identity names check_epochs judges instead, in a backup with an epochs record (bind)

    def __repr__(self) -> str:
        return f"BackupAndRestore({os.fspath(self.backup_dir)!r}, delete_checkpoint={self.delete_checkpoint})"

    @property
    def path(self) -> Path:
        """The backup file: ``backup_dir / "backup.pt"``."""
        return Path(os.fspath(self.backup_dir)) / BACKUP_FILE

    def check(self) -> None:
        """Refuse, in one line, a ``backup_dir`` that is no path or is a file, and a ``delete_checkpoint`` that is no bool."""
        if not isinstance(self.backup_dir, (str, os.PathLike)) or not os.fspath(self.backup_dir):
            raise TypeError(f"BackupAndRestore's backup_dir must be a folder path. Received: backup_dir={self.backup_dir!r}.")
        if not isinstance(self.delete_checkpoint, (bool, np.bool_)):
            raise TypeError(f"BackupAndRestore's delete_checkpoint must be True or False. Received: delete_checkpoint={self.delete_checkpoint!r}.")
        folder = Path(os.fspath(self.backup_dir))
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"BackupAndRestore's backup_dir '{folder}' is a file: give a folder (it is made if missing).")

    def read(self) -> dict[str, Any] | None:
        """The backup in the folder (None when there is none), or one ValueError for a damaged or foreign file."""
        self.check()
        path = self.path
        if not path.exists():
            return None
        try:
            saved = torch.load(path, weights_only=True)  # never unpickles code
        except Exception as exc:  # torch.load's errors for a truncated or foreign file vary by version
            raise ValueError(f"backup '{path}' cannot be read ({type(exc).__name__}): it is damaged or not a hiddenlayers backup; {self.fix}.") from None
        if not isinstance(saved, dict) or saved.get("format") != _FORMAT or not isinstance(saved.get("loop"), dict):
            raise ValueError(f"backup '{path}' is not a hiddenlayers backup (no '{_FORMAT}' record): {self.fix}.")
        if saved.get("version") != _VERSION:
            raise ValueError(f"backup '{path}' has format version {saved.get('version')!r}, this release reads {_VERSION}: {self.fix}.")
        return saved

    def set_estimator(self, estimator: Any) -> None:
        """Called with the estimator or application whose fit this backs up: a refusal of another number of epochs names its ``max_iter``.

        Parameters
        ----------
        estimator : estimator or application
            The model being fitted.
        """
        if hasattr(estimator, "max_iter"):
            self.epochs_name = "max_iter"

    def bind(self, identity: dict[str, str], judged: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """Say what writes this fit's backup, and read the backup there.

        Returns its ``extra`` record (what the caller stored with :meth:`write`), or None when there is none. A backup whose
        identity differs on one of these names is refused (ValueError naming it); nothing is changed.

        Parameters
        ----------
        identity : dict of str to str
            Name -> text, e.g. each model setting and the rows' digest.
        judged : tuple of str
            The names that set the number of epochs (``max_iter``), compared only in a backup written before the loop
            recorded what depends on them; in the others :meth:`check_epochs` judges a change.
        """
        saved = self.read()
        self._identity, self._judged = dict(identity), tuple(judged)
        if saved is None:
            return None
        self._compare(saved, identity)
        extra = saved.get("extra")
        return dict(extra) if isinstance(extra, dict) else {}

    def _compare(self, saved: dict[str, Any], identity: dict[str, str]) -> None:
        found = saved.get("identity")
        theirs: dict[str, Any] = found if isinstance(found, dict) else {}
        judged = self._judged if isinstance(saved["loop"].get("epochs"), dict) else ()
        for key, ours in identity.items():
            if key not in judged and theirs.get(key) != ours:
                raise ValueError(
                    f"backup '{self.path}' was written by another fit ({key}: {theirs.get(key, 'absent')} there, {ours} here): "
                    f"it resumes only the same model on the same rows; {self.fix}."
                )

    def resume_record(self, loop_identity: dict[str, str], epochs: dict[str, int | None] | None = None) -> dict[str, Any] | None:
        """The loop's record to resume from (None without a backup).

        Parameters
        ----------
        loop_identity : dict of str to str
            What the backup's network and rows must be (else refused, as :meth:`bind`).
        epochs : dict of str to int or None, optional
            This run's epochs record (:func:`epochs_record`), judged by :meth:`check_epochs`.
        """
        saved = self.read()
        self._identity.update(loop_identity)
        if saved is None:
            return None
        self._compare(saved, self._identity)
        loop: dict[str, Any] = saved["loop"]
        if epochs is not None:
            self.check_epochs(loop, epochs)
        return loop

    def check_epochs(self, loop: dict[str, Any], ours: dict[str, int | None]) -> None:
        """Refuse, in one line naming the setting (:func:`epochs_refusal`), a run whose number of epochs changes what the backup's epochs depended on.

        A backup written before the loop kept this record is not judged here (the caller's identity compares the count).

        Parameters
        ----------
        loop : dict
            The backup's loop record.
        ours : dict of str to int or None
            This run's epochs record (:func:`epochs_record`).
        """
        theirs = loop.get("epochs")
        if not isinstance(theirs, dict):
            return
        epochs = loop["history"].get("epoch") or [0]
        refusal = epochs_refusal(theirs, ours, int(epochs[-1]) - int(loop["first"]), self.epochs_name)
        if refusal is not None:
            raise ValueError(f"backup '{self.path}': {refusal}, or {self.fix}.")

    def write(self, loop: dict[str, Any]) -> None:
        """Write the loop's record (and the caller's :meth:`keep_extra`) atomically: a kill mid-write leaves the last backup whole.

        Parameters
        ----------
        loop : dict
            The training loop's record of this epoch (weights, optimizer, history, RNG states).
        """
        from .._files import atomic_write_bytes

        buf = io.BytesIO()
        torch.save({"format": _FORMAT, "version": _VERSION, "identity": self._identity, "extra": self._extra, "loop": loop}, buf)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, buf.getvalue())

    def keep_extra(self, extra: dict[str, Any]) -> None:
        """What the caller stores beside the loop's record in every backup.

        Parameters
        ----------
        extra : dict
            Tensors, numbers, text: e.g. a split's RNG state.
        """
        self._extra = dict(extra)

    def on_train_end(self, **kwargs: Any) -> None:
        """Delete the backup when the run ended (not by Ctrl-C) and ``delete_checkpoint`` asks; its folder goes too when left empty.
        ``**kwargs``: the loop's keywords (:class:`Callback`); reads ``history``."""
        from ._distributed import is_writer

        history: History = kwargs["history"]
        if history.stop_reason == "interrupted" or not self.delete_checkpoint or not is_writer():  # rank 0 alone writes the file
            return
        self.path.unlink(missing_ok=True)
        if self.path.parent == Path(os.fspath(self.backup_dir)):  # the backup's own folder (a subclass's file path: not its folder)
            try:
                self.path.parent.rmdir()  # only when empty: the user's other files stay
            except OSError:
                pass


def _setting(name: str, value: Any) -> str:
    """A setting as the user writes it: ``max_iter=50``, or ``--epochs 50`` for a command-line option."""
    return f"{name} {value}" if name.startswith("--") else f"{name}={value}"


def epochs_record(max_epochs: int, schedule: Any, averaging: Any) -> dict[str, int | None]:
    """What of a run depends on its number of epochs, for its backups: ``max_epochs`` itself, a cosine ``schedule``'s cycle
    (its own ``max_epochs``: the estimators' and apps' ``max_iter``; None for the other schedules, which never read it),
    and an SWA ``averaging``'s first averaged epoch (a share of ``max_iter`` there; None without SWA). An EMA, the stopping
    rules and the progress bar's total take nothing from it that the epochs run so far depend on."""
    swa = averaging is not None and averaging.kind == "swa"
    return {"max_epochs": int(max_epochs), "cosine_cycle": int(schedule.max_epochs) if schedule.kind == "cosine" else None,
            "swa_start": int(averaging.start_epoch) if swa else None}


def _whole(value: Any) -> int | None:
    """A whole number read from a file, or None for anything else (absent, or not what :func:`epochs_record` writes)."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def epochs_refusal(theirs: dict[str, Any], ours: dict[str, int | None], done: int, name: str) -> str | None:
    """Why a run of ``ours`` epochs cannot resume ``done`` epochs of one of ``theirs``; None when it can.

    The start of a one-line refusal that names the setting and what to keep. A cosine schedule's rate after every epoch
    depends on its cycle; SWA's first averaged epoch matters from the epoch before it on (SWA's rate may take over at that
    epoch's end): ``done`` epochs short of both the old and the new one are free.

    Parameters
    ----------
    theirs : dict
        The backup's epochs record.
    ours : dict of str to int or None
        This run's (:func:`epochs_record`).
    done : int
        Epochs the backup holds.
    name : str
        The setting's name in the line (``max_iter``, ``--epochs``).
    """
    was, now = _whole(theirs.get("max_epochs")), ours.get("max_epochs")
    ca, cb = _whole(theirs.get("cosine_cycle")), ours.get("cosine_cycle")
    if ca is not None and cb is not None and ca != cb:
        return (f"{name} changed from {ca} to {cb}, but learning_rate='cosine' anneals over {name}, so the resumed fit would not "
                f"equal a fit of {cb} epochs: keep {_setting(name, ca)}")
    sa, sb = _whole(theirs.get("swa_start")), ours.get("swa_start")
    if sa is not None and sb is not None and sa != sb and done >= min(sa, sb) - 1:
        return (f"{name} changed from {was} to {now}, but SWA's first averaged epoch (swa_start) follows it, epoch {sa} there and "
                f"{sb} here, and the backup's {done} epochs ran up to it, so the resumed fit would not equal a fit of {now} epochs: "
                f"keep {_setting(name, was)}")
    return None


def backup_of(callbacks: list[Callback]) -> BackupAndRestore | None:
    """The one :class:`BackupAndRestore` among ``callbacks``, or None; two are refused (they would write the same run twice).

    Parameters
    ----------
    callbacks : list of Callback
        A run's callbacks.
    """
    found = [cb for cb in callbacks if isinstance(cb, BackupAndRestore)]
    if len(found) > 1:
        raise ValueError(f"callbacks hold {len(found)} BackupAndRestore callbacks; a fit has one backup: keep one.")
    if found:
        found[0].check()
    return found[0] if found else None


def loop_identity(network: torch.nn.Module, X: Any, Y: torch.Tensor, sample_weight: torch.Tensor | None) -> dict[str, str]:
    """What a backup's loop record must match: the network's tensors (names and shapes) and the training rows' digest."""
    from ..data import rows_digest

    shapes = ", ".join(f"{k}{list(v.shape)}" for k, v in network.state_dict().items())
    rows = X if sp.issparse(X) else X.detach().cpu().numpy()
    w = None if sample_weight is None else sample_weight.detach().cpu().numpy()
    return {"network": shapes, "training rows": f"{X.shape[0]} rows, digest {rows_digest(rows, Y.detach().cpu().numpy(), False, w)}"}


def _rng_states(device: torch.device) -> dict[str, Any]:
    """The global generators' states dropout draws from: the CPU's, and ``device``'s on a GPU."""
    out = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        out["cuda"] = torch.cuda.get_rng_state(device)
    return out


def _schedule_record(schedule: Any) -> dict[str, Any]:
    """The schedule's state and rate; an SWA schedule's epochs counted and the rate it anneals from too."""
    out = {"state": schedule.state(), "lr": float(schedule.lr)}
    for key in ("epochs", "lr_start"):  # SwaSchedule's
        if hasattr(schedule, key):
            out[key] = getattr(schedule, key)
    return out


def loop_record(plan: Any, network: torch.nn.Module, history: History, schedule: Any, monitors: list[Any], *, samples_seen: int,
                first: int) -> dict[str, Any]:
    """Everything the loop's next epochs depend on, after an epoch's bookkeeping (``plan``: the loop's ``_Plan``;
    ``first``: the last epoch before this call, from which ``max_epochs`` and SWA's epochs count)."""
    best = plan.best
    return {
        "network": {k: v.detach().cpu().clone() for k, v in network.state_dict().items()},
        "optimizer": plan.optimizer.state(), "kept": plan.optimizer.kept_state(),
        "best": {"data": best.data.detach().cpu().clone(), "epoch": best.epoch, "saved": best.saved, "state_at": best.state_at,
                 "samples_seen": int(best.samples_seen), "schedule_state": dict(best.schedule_state),
                 "rules": [[float(b), int(c)] for _, b, c in best.rules], "start": best.start, "prev": best.prev_record()},
        "history": history.to_dict(), "schedule": _schedule_record(schedule),
        "rules": [[float(m.best), int(m.count)] for m in monitors],
        "samples_seen": int(samples_seen), "steps": int(plan.steps), "first": int(first),
        "generator": plan.generator.get_state() if plan.generator is not None else None, "rng": _rng_states(plan.device),
        "averaging": plan.averaging.state() if plan.averaging is not None else None,
        "epochs": plan.epochs,  # what depends on the number of epochs (epochs_record), which a resumed run may change
    }


def resume_loop(record: dict[str, Any], plan: Any, network: torch.nn.Module, history: History, schedule: Any, monitors: list[Any]) -> tuple[int, int]:
    """Put :func:`loop_record`'s ``record`` back into a new run's ``plan``, network, history, schedule and rules:
    ``(first, samples_seen)``, the call's first epoch and the samples seen to go on from."""
    if len(record["rules"]) != len(monitors) or (record["averaging"] is None) != (plan.averaging is None):
        raise ValueError("the backup was written with other stopping rules or weight averaging than this fit's: delete it to train from the start.")
    network.load_state_dict(record["network"])
    plan.optimizer.load_state(record["optimizer"])
    if record["kept"] is not None:
        plan.optimizer.load_kept(record["kept"])
    saved = History.from_dict(record["history"])
    for key in History.__dataclass_fields__:
        setattr(history, key, getattr(saved, key))
    _resume_schedule(schedule, record["schedule"])
    for m, (best_value, count) in zip(monitors, record["rules"]):
        m.best, m.count = float(best_value), int(count)
    b, best = record["best"], plan.best
    best.data.copy_(b["data"].to(best.data.device))
    best.epoch, best.saved, best.state_at, best.start = b["epoch"], bool(b["saved"]), str(b["state_at"]), b["start"]
    best.samples_seen, best.schedule_state = int(b["samples_seen"]), dict(b["schedule_state"])
    best.rules = [(m, float(v), int(c)) for m, (v, c) in zip(monitors, b["rules"])]
    best.load_prev(b.get("prev"), monitors)  # absent from a backup written before it was kept: none
    if record["averaging"] is not None:
        plan.averaging.load_state(record["averaging"])
    if plan.generator is not None and record["generator"] is not None:
        plan.generator.set_state(record["generator"])
    torch.set_rng_state(record["rng"]["cpu"])
    if "cuda" in record["rng"] and plan.device.type == "cuda":
        torch.cuda.set_rng_state(record["rng"]["cuda"], plan.device)
    plan.steps = int(record["steps"])
    return int(record["first"]), int(record["samples_seen"])


def _resume_schedule(schedule: Any, record: dict[str, Any]) -> None:
    """The schedule as :func:`_schedule_record` saw it."""
    for key in ("epochs", "lr_start"):
        if key in record and hasattr(schedule, key):
            setattr(schedule, key, record[key])
    schedule.load_state(record["state"])
    schedule.lr = float(record["lr"])


__all__ = ["BACKUP_FILE", "BackupAndRestore", "backup_of", "epochs_record", "epochs_refusal", "loop_identity", "loop_record", "resume_loop"]
