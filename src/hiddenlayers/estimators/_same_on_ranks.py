"""Under ``torch.distributed``: every rank must read the files rank 0 reads, though each reads its own disk.

Over several machines each rank reads the training files and the checkpoint where its machine has them. Rank 0 alone reads
every row for the statistics pass, and alone writes the checkpoint; the other ranks take its statistics and read their
share of the units from their own copy. So a machine with other files (one more, one older) trained on other rows under
rank 0's statistics, and a machine without the shared folder resumed from another epoch than rank 0 (or from the first):
weights and steps apart, without a word. Both are compared with rank 0's before a row is read, here, where every streamed
fit passes (``est.fit(ParquetSource(...))`` in a script under ``torchrun``, and ``train DIR``): each refusal is one
ValueError, the same line on every rank (the ranks gather what each found), so every rank stops together.

A caller that compared them already, before the fit (``train DIR`` does, before it plans anything from the footers), runs
the fit inside :func:`compared_with_rank_0`, so the fit does not compare the same files and checkpoint a second time (each
rank digested every footer and the checkpoint again, with two more collectives each).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..data import ParquetSource

_COMPARED: list[tuple[tuple[Any, ...], str | None]] = []  # (sources, checkpoint) compared already, innermost last


@contextmanager
def compared_with_rank_0(*sources: Any, checkpoint: str | None = None) -> Iterator[None]:
    """Within the block, :func:`check_same_files` of these very ``sources`` and :func:`check_same_checkpoint` of ``checkpoint`` do nothing.

    The caller compared them with rank 0's just before (``train DIR``, whose fit would compare them again). Every rank
    runs the caller's code, so every rank skips the same collectives; other sources and paths are compared as ever.

    Parameters
    ----------
    *sources : ParquetSource or None
        The objects compared already (None ignored).
    checkpoint : str, optional
        The checkpoint path compared already.
    """
    _COMPARED.append((tuple(s for s in sources if s is not None), checkpoint))
    try:
        yield
    finally:
        _COMPARED.pop()


def _compared(src: Any = None, checkpoint: str | None = None) -> bool:
    """Whether :func:`compared_with_rank_0` holds ``src`` (by identity) or the path ``checkpoint``."""
    if src is not None:
        return any(any(s is src for s in sources) for sources, _ in _COMPARED)
    return checkpoint is not None and any(path == checkpoint for _, path in _COMPARED)


def check_same_files(src: ParquetSource, what: str = "training") -> None:
    """Refuse, on every rank at once, a source whose files differ from rank 0's; a no-op without a process group.

    Parquet files are compared by size, rows and footer digest, CSV files by size alone (their modification times
    differ between copies, and their rows would take a read); paths within their folder.

    Parameters
    ----------
    src : ParquetSource
        The source.
    what : {"training", "validation"}
        For the line.
    """
    from ..data import machine_difference
    from ..training import distributed_world, from_every_rank, from_rank_0

    if distributed_world()[1] == 1 or _compared(src):
        return
    mine = src.fingerprint()["files"]
    rank_0s = from_rank_0(lambda: mine)
    found = from_every_rank(machine_difference(rank_0s, mine))
    differ = [(rank, said) for rank, said in enumerate(found) if said]
    if not differ:
        return
    rank, said = differ[0]
    more = f" (and {len(differ) - 1} other rank(s))" if len(differ) > 1 else ""
    how = "" if src.file_format == "parquet" else " (CSV files are compared by size alone)"
    raise ValueError(f"rank {rank}{more} reads other {what} files than rank 0{how}: {said}; the ranks would train on "
                     "other rows under rank 0's statistics: give every machine the same files (copy them, or share the folder).")


def checkpoint_differs(path: str) -> tuple[int, bool]:
    """``(ranks whose file at path is not rank 0's, whether rank 0 has one)``, the same on every rank.

    Each rank sends nothing but compares its file's size and SHA-256 with rank 0's (one broadcast), and the ranks add up
    who differs (one all-reduce). ``(0, exists)`` without a process group.

    Parameters
    ----------
    path : str
        The checkpoint file.
    """
    from ..training import distributed_world, file_sha256, from_rank_0, reduce_sum

    if distributed_world()[1] == 1:
        return 0, os.path.isfile(path)
    mine = [os.path.getsize(path), file_sha256(path)] if os.path.isfile(path) else None
    rank_0s = from_rank_0(lambda: mine)
    return int(reduce_sum([0.0 if mine == rank_0s else 1.0])[0]), rank_0s is not None


def check_same_checkpoint(path: str | None) -> None:
    """Refuse, on every rank at once, a streamed fit whose ranks would resume from different checkpoints.

    Rank 0 writes it, every rank reads it from its own disk: without a shared folder a re-run resumed rank 0 from its
    epoch and the others from the first, or from an older file left there.

    Parameters
    ----------
    path : str or None
        ``$HIDDENLAYERS_CHECKPOINT``, or a ``BackupAndRestore``'s ``backup.pt``; None: none.
    """
    if path is None or _compared(checkpoint=path):
        return
    differ, rank_0_has = checkpoint_differs(path)
    if differ:
        raise ValueError(f"{differ} rank(s) do not read rank 0's checkpoint '{path}' (rank 0 has {'one' if rank_0_has else 'none'}; "
                         "theirs differs), so the ranks would resume from different epochs: keep the checkpoint in a folder every "
                         "machine shares ($HIDDENLAYERS_CHECKPOINT, or BackupAndRestore's backup_dir), or delete it on every machine "
                         "to train from the start.")


__all__ = ["check_same_checkpoint", "check_same_files", "checkpoint_differs", "compared_with_rank_0"]
