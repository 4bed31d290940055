"""A streamed fit's checkpoint file (``$HIDDENLAYERS_CHECKPOINT``): read it, and see that it is this fit's network.

One job: the checks that turn a damaged, foreign or stale checkpoint into one
clear ``ValueError``. The streamed fit runs them as it resumes; the command
line runs :func:`check_checkpoint` before its data check, so such a file is one
line, said before any table is read for the check. What the checkpoint was trained
on (settings, columns, files, validation rows) is judged by :mod:`._trained_on`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..data import ParquetSource
    from ._mlp_base import _BaseMLP

_CHECKPOINT_KEYS = ("network", "optimizer", "t", "history", "no_improvement", "best")


def read_checkpoint(path: str) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (None when there is none), or one clear ValueError for a damaged or foreign file.

    Parameters
    ----------
    path : str
        The checkpoint file.
    """
    from ..training import load_checkpoint

    fix = "delete it to train from the start"
    try:
        saved = load_checkpoint(path)
    except Exception as exc:  # torch.load's errors for a truncated or foreign file vary by version
        raise ValueError(f"checkpoint '{path}' cannot be read ({type(exc).__name__}): it is damaged or not a hiddenlayers checkpoint; {fix}.") from None
    if isinstance(saved, dict) and saved.get("format") == "hiddenlayers-backup":  # BackupAndRestore's folder of an in-memory fit
        raise ValueError(f"checkpoint '{path}' is an in-memory fit's backup (BackupAndRestore of fit(X, y)), which a streamed fit cannot "
                         f"resume: {fix}, or give BackupAndRestore another folder.")
    if saved is not None and (not isinstance(saved, dict) or any(k not in saved for k in _CHECKPOINT_KEYS)):
        raise ValueError(f"checkpoint '{path}' is not a hiddenlayers checkpoint (it lacks {', '.join(_CHECKPOINT_KEYS)}): {fix}.")
    return saved


def checked_weights(net: Any, state: Any, path: str) -> Any:
    """``state`` (a checkpoint's weights) when its tensors have ``net``'s names and shapes, else a ValueError (a stale file)."""
    want = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()} if isinstance(state, dict) else {}
    if want != got:
        diff = next((k for k in want if got.get(k) != want[k]), next(iter(got), "?"))
        raise ValueError(
            f"checkpoint '{path}' holds another network than this fit builds ({diff}: {got.get(diff)} there, {want.get(diff)} here): "
            "it is left from another run; delete it to train from the start, or write to another --out."
        )
    return state


def epochs_of(est: _BaseMLP) -> dict[str, int | None]:
    """What of a streamed fit depends on ``max_iter``, for its checkpoint: the count, and the cosine schedule's cycle.

    A streamed fit has no weight averaging; as the in-memory loop records it (``training.epochs_refusal`` reads both).

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        The estimator.
    """
    return {"max_epochs": int(est.max_iter), "cosine_cycle": int(est.max_iter) if est.learning_rate == "cosine" else None, "swa_start": None}


def check_epochs(est: _BaseMLP, saved: dict[str, Any], path: str, name: str = "max_iter") -> None:
    """Refuse, in one line, resuming the checkpoint ``saved`` (at ``path``) with a ``max_iter`` its epochs depended on
    (``learning_rate='cosine'`` anneals over it); another ``max_iter`` is free otherwise: the fit trains on to it, or
    ends at once when the checkpoint holds it already. ``name``: the setting as the caller's user writes it (``--epochs``).
    A checkpoint written before it recorded this is not judged."""
    from ..training import epochs_refusal

    theirs = saved.get("epochs")
    if not isinstance(theirs, dict):
        return
    refusal = epochs_refusal(theirs, epochs_of(est), len(saved["history"].get("epoch") or []), name)
    if refusal is not None:
        raise ValueError(f"checkpoint '{path}': {refusal}, or delete it to train from the start.")


def check_checkpoint(est: _BaseMLP, src: ParquetSource, path: str, epochs_name: str = "max_iter", *, X_val: Any = None,
                     y_val: Any = None, sample_weight_val: Any = None) -> dict[str, Any] | None:
    """Raise the ValueError ``est.fit(src, X_val=X_val, ...)`` would raise on resuming from the checkpoint ``path``.

    Damaged, foreign or stale (trained on other columns, files or validation rows:
    :func:`~._trained_on.check_trained_on`; another network; written with the other ``scale_target``, or with a
    ``max_iter`` its epochs depended on: :func:`check_epochs`). Returns the checkpoint the fit will resume from (None:
    none there), so a caller can say so (``train DIR``'s "resuming from the checkpoint ... after epoch N" note). Other
    columns or files (a validation source's too) are refused first, from their fingerprint (no row read; rows in memory
    are read through the statistics pass's preprocessing for their digest); then files whose statistics pass learns
    other statistics than the checkpoint records (edited in place, the footer kept), and another draw of early
    stopping's held-out units. Nothing is trained and no weights are allocated: the network ``fit`` builds is made on
    PyTorch's ``meta`` device to compare shapes. A ``BackupAndRestore``'s checkpoint is not judged by its settings here:
    the fit does.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        The estimator about to fit.
    src : ParquetSource
        The training source.
    path : str
        The checkpoint file (no file: nothing to check).
    epochs_name : str
        How a refusal names ``max_iter`` (the CLI's ``--epochs``).
    X_val, y_val, sample_weight_val
        ``fit``'s validation rows (a source, or rows in memory with their labels and weights), which the checkpoint
        records.
    """
    import torch
    from sklearn.base import is_classifier

    from ..data import is_source
    from ..network import Network
    from ..training import distributed_world
    from ._stream_plan import held_out_units
    from ._stream_validation import stream_validation
    from ._target_scale import check_checkpoint_scaling
    from ._trained_on import check_trained_on, scan_statistics, trained_on, validation_files

    saved = read_checkpoint(path)
    if saved is None:
        return None
    if X_val is None or is_source(X_val):
        validation = None if X_val is None else validation_files(X_val)
    else:
        validation = stream_validation(est, src, src.scan(), X_val, y_val, sample_weight_val).record
    record = trained_on(src, validation=validation)
    check_trained_on(saved, record, path, warn_unrecorded=False)  # (the fit warns of one without a record)
    scan = src.scan()
    # then what the pass and the plan give: a file edited in place with its footer kept (other statistics), another held-out draw
    held_out = held_out_units(est, src, False, distributed_world()[1], hold_out=X_val is None)
    check_trained_on(saved, {**record, "statistics": scan_statistics(scan), "held_out": held_out}, path, warn_unrecorded=False)
    n_classes = len(scan.classes) if scan.classes is not None else 0
    n_out = (1 if n_classes <= 2 else n_classes) if is_classifier(est) else 1
    with torch.device("meta"):
        net = Network(len(scan.preprocessor.output_names), est._validate_params(), n_out, activation=est.activation, init="none")
    checked_weights(net, saved["network"], path)
    check_checkpoint_scaling(est, saved.get("target_scaling"), path)
    check_epochs(est, saved, path, epochs_name)
    return saved


__all__ = ["check_checkpoint", "check_epochs", "checked_weights", "epochs_of", "read_checkpoint"]
