"""What a streamed fit call (:func:`~._fit_stream.fit_source`) sets up before its first pass.

The source's target checked against the estimator, the held-out and per-rank training units, the
per-rank batch and rows, the shuffling seed, whether the call starts a new model, the no-improvement
rule carried from earlier calls, ``class_weight="balanced"`` from the source's label counts, and the
settings each chunk's ``partial_fit`` runs under.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import is_classifier

from .._stacklevel import user_stacklevel
from ..training import Callback, NoImprovement
from ._class_weight import balanced_from_counts

if TYPE_CHECKING:
    from ..data import ParquetSource
    from ._mlp_base import _BaseMLP


def shared_scan(src: ParquetSource, read: Callable[[], Any] | None = None) -> Any:
    """``src.scan()`` (or ``read()``), read by rank 0 alone under ``torch.distributed`` and sent to the other ranks as plain data.

    The other ranks take it as their source's (:meth:`~hiddenlayers.data.ParquetSource.use_scan`), the same to the bit
    (its preprocessing, classes, units, weights and target moments). Rank 0's refusal (a missing target, an infinite
    value, a row ``read`` refuses) is raised on every rank with its message.

    Parameters
    ----------
    src : ParquetSource
        The source.
    read : callable, optional
        A scan of ``src`` with checks of its own (a validation source's readability check).
    """
    from ..data import Scan
    from ..exceptions import DataError
    from ..training import distributed_world, from_rank_0

    scan = src.scan if read is None else read
    if distributed_world()[1] == 1:
        return scan()
    plain = from_rank_0(lambda: scan().to_plain(), errors=(DataError, ValueError, TypeError))
    return src.use_scan(Scan.from_plain(plain))


def check_target(src: ParquetSource, scan: Any, classifier: bool) -> None:
    """The source's target suits the estimator: at most 1000 labels for a classifier, numbers for a regressor."""
    if classifier and scan.classes is None:
        raise ValueError(f"the target {src.target!r} has more than 1000 distinct values: use MLPRegressor for a numeric target.")
    if not classifier and not scan.target_numeric:
        raise ValueError(f"the target {src.target!r} is not numeric: use MLPClassifier for labels.")


def plan_units(
    est: _BaseMLP, src: ParquetSource, scan: Any, incremental: bool, world: int, rank: int = 0, hold_out: bool = True,
) -> tuple[list[int], list[list[int]], int, int]:
    """``(validation units, each rank's training units, per-rank batch, rows per rank per epoch)``.

    Early stopping holds out whole units (row groups or CSV files), unless ``hold_out`` is False (the user's own
    validation rows score it: every unit trains); every rank
    reads the same number of rows, cut to whole batches, so all take the same steps.
    The units are shared out by their rows (:func:`balanced_shards`), so a large row group
    among small ones does not cut every rank's epoch to the smallest share; what is still
    left out each epoch (over 5 % of the rows) is a warning, from rank 0 (``rank``) only.
    """
    units = list(range(len(src.units)))
    val_units = held_out_units(est, src, incremental, world, hold_out)
    train_units = [u for u in units if u not in set(val_units)]
    _check_unit_weights(src, scan, train_units, val_units)
    shards = balanced_shards(train_units, scan.units_rows, world)
    batch = rank_batch(est.batch_size, world)
    share = min(sum(scan.units_rows[u] for u in s) for s in shards)  # same rows on every rank: same steps
    limit = share - share % batch if world > 1 else share
    if limit < 1:
        raise ValueError(f"{src.path} has too few rows for {world} processes: each needs at least one batch ({batch} rows, of a "
                         f"global batch_size={batch * world}), and the smallest share holds {share:,}: lower batch_size, or train with fewer processes.")
    if world > 1 and rank == 0:
        _warn_rows_left_out(src, scan, train_units, world, share, limit, batch)
    return val_units, shards, batch, limit


def batch_clipped(est: _BaseMLP, batch: int, limit: int) -> bool:
    """Whether the ``batch_size`` the user gave exceeds the rows a pass trains on (``limit``, one process), which scikit-learn's
    "larger than sample size" warning says once, from the first chunk's ``partial_fit``: every other chunk's is silenced, as a
    chunk shorter than a batch (a small source, a pass's last chunk) clips no batch the user asked for.
    Over several processes a share under one batch is refused (:func:`plan_units`)."""
    return est.batch_size != "auto" and batch > limit


def held_out_units(est: _BaseMLP, src: ParquetSource, incremental: bool, world: int, hold_out: bool = True) -> list[int]:
    """The units (indices in ``src.units``, sorted) early stopping holds out for ``est``'s fit of ``src`` over ``world`` ranks,
    drawn from its ``random_state`` (0 for None: a re-run draws the same) and ``validation_fraction``; none for ``partial_fit``
    (``incremental``), without early stopping, or when ``hold_out`` is False (the user's own validation rows score it).
    From the footers alone: :func:`plan_units` draws them so, and a check of a checkpoint before the fit (``train DIR``'s) too."""
    k = refuse_unit_counts(src, bool(est.early_stopping and not incremental and hold_out), est.validation_fraction, world)
    if not k:
        return []
    return sorted(np.random.RandomState(stream_seed(est)).permutation(len(src.units))[:k].tolist())


def refuse_unit_counts(src: ParquetSource, holds_out: bool, validation_fraction: float, world: int) -> int:
    """The units early stopping holds out, once the source's units are enough for it and for ``world`` ranks; else one ValueError.

    Called before the statistics pass (by the fit, and by ``train DIR`` before its data check), so a folder with too few
    row groups is refused before any row is read, not after a pass over every file.

    Parameters
    ----------
    src : ParquetSource
        The source (its units, row groups or CSV files, known from the footers and the file list when it is made).
    holds_out : bool
        Whether early stopping holds out units (0 are held out otherwise).
    validation_fraction : float
        The share held out.
    world : int
        The ranks.
    """
    n = len(src.units)
    k = max(1, round(validation_fraction * n)) if holds_out else 0
    if holds_out and k >= n:
        raise ValueError(f"early stopping holds out whole row groups (or CSV files), and {src.path} has only {n}: write more row groups, or set early_stopping=False.")
    _check_units_per_rank(src, n - k, k, world)
    return k


def rank_batch(batch_size: Any, world: int) -> int:
    """Each of ``world`` ranks' batch: the global ``batch_size`` shared out equally.

    ``"auto"`` (scikit-learn's 200) rounds up to a multiple of the ranks (201 over 3), so ``--workers 3`` runs with the
    default batch; a given batch that does not share out equally is refused, naming the nearest ones that do.
    """
    if batch_size == "auto":
        return -(-200 // world)
    global_batch = int(batch_size)
    if global_batch % world:
        lower, upper = global_batch - global_batch % world, global_batch - global_batch % world + world
        fits = f"{lower} or {upper}" if lower else f"{upper}"
        raise ValueError(f"batch_size={global_batch} is the global batch, shared out equally over the {world} processes, so it must be "
                         f"a multiple of {world}: use {fits}.")
    return global_batch // world


def _check_units_per_rank(src: ParquetSource, n_train: int, n_held: int, world: int) -> None:
    """Refuse, before any step, fewer training units than ranks: a unit (a row group, or a CSV file) is read whole by one rank,
    so a rank would have nothing (the refusal said "too few rows" of a 20,000-row CSV file over 2 processes)."""
    if world < 2 or n_train >= world:
        return
    held = f" after early stopping holds out {n_held}" if n_held else ""
    raise ValueError(
        f"{src.path} has {n_train} row group(s) or CSV file(s) to train on{held}, fewer than the {world} processes: each process reads whole "
        "row groups (Parquet) or whole CSV files, so one would have none: write the rows as more row groups (pyarrow's row_group_size=) "
        "or more files, or train with fewer processes.")


def _warn_rows_left_out(src: ParquetSource, scan: Any, train_units: list[int], world: int, share: int, limit: int, batch: int) -> None:
    """Warn when an epoch leaves out over 5 % of the training rows, naming the cause: row groups (or CSV files) too
    large to share out evenly (each rank takes the smallest share), or whole batches (each rank reads whole batches of its share)."""
    total = sum(scan.units_rows[u] for u in train_units)
    if total - world * limit <= 0.05 * total:
        return
    if total - world * share > 0.05 * total:
        largest = max(scan.units_rows[u] for u in train_units)
        why = (f"the row groups (or CSV files) of {src.path} do not split evenly over {world} processes (each takes the rows of the "
               f"smallest share; the largest unit holds {largest:,} rows): write smaller row groups (pyarrow's row_group_size=) or more files, "
               "or train with fewer processes.")
    else:
        why = (f"each of the {world} processes reads whole batches of {batch} rows (the global batch_size={batch * world}) of its share of "
               f"{share:,}: lower batch_size, or give the fit more rows.")
    warnings.warn(f"each epoch trains on {world * limit:,} of the {total:,} training rows: {why}", UserWarning, stacklevel=user_stacklevel())


def balanced_shards(units: list[int], rows: list[int], world: int) -> list[list[int]]:
    """``units`` shared out over ``world`` ranks by their ``rows``: largest first, each to the rank holding fewest rows so far.

    Every rank reads as many rows as the smallest share (same steps everywhere), so shares of
    equal rows lose the least; ``units[r::world]`` gave a rank with the one large row group half the units
    and cut every epoch to the other's few rows. Each share is in unit order; one rank takes every unit.
    """
    if world == 1:
        return [list(units)]
    shares: list[list[int]] = [[] for _ in range(world)]
    held = [0] * world
    for u in sorted(units, key=lambda u: (-rows[u], u)):
        r = min(range(world), key=lambda r: (held[r], r))
        shares[r].append(u)
        held[r] += rows[u]
    return [sorted(s) for s in shares]


def held_out_share(units: list[int], rows: list[int], rank: int, world: int) -> list[int]:
    """Rank ``rank``'s share of the held-out ``units`` (``rows[u]``: unit ``u``'s rows) that it scores after each pass, shared
    out by their rows (:func:`balanced_shards`); the shares of all ranks hold every unit once (one rank: all of them)."""
    return balanced_shards(units, rows, world)[rank]


def _check_unit_weights(src: ParquetSource, scan: Any, train_units: list[int], val_units: list[int]) -> None:
    """Refuse, before any step, training or held-out units whose rows all have weight 0 (the in-memory split's rule)."""
    sums = scan.units_weight
    if sums is None:
        return
    if not sum(sums[u] for u in train_units) > 0:
        raise ValueError(f"the units (row groups or CSV files) left to train on after holding out early stopping's all have weight 0 "
                         f"in the column {src.weight!r}: give more rows a weight > 0, or early_stopping=False to train on every unit.")
    if val_units and not sum(sums[u] for u in val_units) > 0:
        raise ValueError(f"the units (row groups or CSV files) held out for early stopping all have weight 0 in the column {src.weight!r}, "
                         "so they cannot score the model: give more rows a weight > 0, raise validation_fraction, or early_stopping=False.")


@contextlib.contextmanager
def agreed_seed(est: _BaseMLP, fresh: bool, world: int) -> Iterator[None]:
    """Within: a new model's ``random_state`` the same on every rank, so every rank starts from rank 0's initial weights.

    Only gradients are all-reduced, so ranks that start apart stay apart: ``random_state=None`` (scikit-learn's default)
    under ``torchrun`` gave each rank its own initial weights, and rank 0 saved a model the others never matched (DDP
    broadcasts rank 0's parameters when it wraps a module). Rank 0 draws a seed (from ``random_state``: None or a
    ``RandomState``) and the ranks agree on it for the call; ``random_state`` is the user's again after it.
    """
    rs = est.random_state
    if world < 2 or not fresh or isinstance(rs, (int, np.integer)):
        yield
        return
    est.random_state = agreed_random_state(rs)
    try:
        yield
    finally:
        est.random_state = rs


def agreed_random_state(rs: Any) -> Any:
    """``rs`` as given in one process, or where it is an int; under ``torch.distributed``, an int rank 0 draws from it (None:
    NumPy's global generator; a ``RandomState``, which advances on rank 0), the same on every rank (one collective, which
    every rank makes: they all call the fit).

    Why: an in-memory fit under ``torchrun`` with ``random_state=None`` (each rank fitting its own rows) drew each rank's
    initial weights from its own generator, and only gradients being all-reduced, the ranks ended with different models.

    Parameters
    ----------
    rs : None, int or numpy.random.RandomState
        The estimator's ``random_state``.
    """
    if isinstance(rs, (int, np.integer)):
        return rs
    from ..training import distributed_world, from_rank_0

    if distributed_world()[1] < 2:
        return rs
    from sklearn.utils import check_random_state

    return int(from_rank_0(lambda: int(check_random_state(rs).randint(np.iinfo(np.int32).max))))


def stream_seed(est: _BaseMLP) -> int:
    rs = est.random_state
    return int(rs) if isinstance(rs, (int, np.integer)) else 0


def chunk_seed(est: _BaseMLP, epoch: int, chunk: int) -> int | None:
    """The seed of the batch order and dropout masks of chunk ``chunk`` (0 first) of the streamed fit's pass ``epoch``
    (``history_``'s number: warm calls and a resumed run number on), from an int ``random_state`` (under
    ``torch.distributed`` the ranks' agreed one; each rank's dropout then adds its rank, ``training.rank_seed``); None for
    ``None`` or a ``RandomState``, whose draws already move on from call to call.

    Why: each chunk's ``partial_fit`` made its generator afresh from the int, so every chunk of every pass repeated one
    order and one set of masks. Drawn from ``(random_state, epoch, chunk)`` alone, a run repeats for a given
    ``random_state`` (and file order and world size), and a run resumed from an epoch's checkpoint draws what the unbroken
    one would have.
    """
    rs = est.random_state
    if isinstance(rs, bool) or not isinstance(rs, (int, np.integer)):
        return None
    return int(np.random.default_rng([int(rs), epoch, chunk]).integers(np.iinfo(np.int32).max))


def forget_if_fresh(est: _BaseMLP, incremental: bool) -> bool:
    """Whether this call starts a new model (no network yet, or a cold ``fit``); if so, forget the old one's network and labels."""
    fresh = not hasattr(est, "network_") or (not est.warm_start and not incremental)
    if fresh:
        for attr in ("network_", "classes_", "_label_binarizer"):
            if hasattr(est, attr):
                delattr(est, attr)
    return fresh


def no_improvement_rule(est: _BaseMLP, held_out: bool, fresh: bool) -> tuple[NoImprovement, dict[str, Any] | None]:
    """The epochs' no-improvement rule (on the held-out score, or the training loss) and the best weights so far.

    A warm call carries on from earlier calls' best and stalled epochs, as the
    in-memory fit does (scikit-learn's); with held-out units every call ended on
    its best weights, so those are the model's weights now.
    """
    no_imp = NoImprovement("val_score" if held_out else "train_loss", est.tol, int(min(est.n_iter_no_change, 10**12)))
    best_state: dict[str, Any] | None = None
    if not fresh:
        carried = est.best_validation_score_ if held_out else est.best_loss_
        if carried is not None and np.isfinite(carried):
            no_imp.best = float(carried)
            if held_out:
                best_state = {k: v.clone() for k, v in est.network_.state_dict().items()}
        no_imp.count = getattr(est, "_no_improvement_count", 0)  # 0 for a model saved before it was kept
    return no_imp, best_state


@contextlib.contextmanager
def balanced_from_scan(est: _BaseMLP, scan: Any, incremental: bool) -> Iterator[None]:
    """Within: a streamed ``fit``'s ``class_weight="balanced"`` is the dict of the source's label counts (its statistics pass).

    Each chunk's ``partial_fit`` sees one chunk, so it could not balance (and refuses "balanced", as scikit-learn's
    does); the counts of the whole source give every chunk the weights an in-memory fit on all rows would.
    ``partial_fit(source)`` keeps the refusal, as in memory: its weights would change from call to call.
    """
    counts = scan.class_counts() if is_classifier(est) else None
    if getattr(est, "class_weight", None) != "balanced" or incremental or counts is None:
        yield
        return
    est._stream_class_weight = balanced_from_counts(counts)
    try:
        yield
    finally:
        est.__dict__.pop("_stream_class_weight", None)


@contextlib.contextmanager
def one_epoch_settings(est: _BaseMLP, batch: int, hooks: Callback | None = None) -> Iterator[None]:
    """Each chunk's ``partial_fit``: this rank's batch size, no own early stopping or progress lines, and as its only
    callback the stream's relay ``hooks`` (None: none, as for a resumed run's set-up chunk).

    (The epoch's rate goes in by :func:`~._fit.at_pass_rate` and the relay by a private attribute, so
    callbacks see the user's ``learning_rate``, ``learning_rate_init`` and ``callbacks``.)
    """
    keys = ("batch_size", "early_stopping", "verbose", "progress_bar")
    keep = {k: getattr(est, k) for k in keys}
    est.batch_size, est.early_stopping, est.verbose, est.progress_bar = batch, False, False, False
    est._pass_callbacks = [hooks] if hooks is not None else []
    try:
        yield
    finally:
        for k, v in keep.items():
            setattr(est, k, v)
        est.__dict__.pop("_pass_callbacks", None)
