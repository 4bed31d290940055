"""Forming the process group ``torchrun`` describes, and waiting on its store while rank 0 alone works.

Two limits, as a DDP script gives ``torch.distributed.init_process_group``: :func:`init_from_env`'s ``timeout_s`` bounds
forming the group (reaching the store and every rank's arrival: a worker that never joins is one line after it); the
collectives after it (all-reduces, broadcasts, barriers) wait PyTorch's default for the backend
(``torch.distributed.default_pg_timeout``, 30 min, for gloo; ``default_pg_nccl_timeout``, 10 min, for NCCL) or
``collective_timeout_s``. The join timeout (60 s) used to be the limit of every collective too, so a rank that waited while
rank 0 alone read every file for the statistics pass failed after a minute on a large folder.

Work that rank 0 does alone for every rank (:func:`~._distributed.from_rank_0`) may outlast any collective's limit (a
100 GB pass): the other ranks wait on the store instead (:func:`wait_for_rank_0`), as long as rank 0 works and beats
(:class:`Heartbeat`), and stop with one line once it is gone: its store closed (rank 0 hosted it, or node 0's torchrun agent
that exits when its rank 0 fails), or no beat for the collective timeout (a store hosted elsewhere). On one machine
torchrun's agent stops the other ranks itself as soon as a rank dies.
"""

from __future__ import annotations

import datetime
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..exceptions import HiddenLayersError


class DistributedError(HiddenLayersError):
    """The process group could not be formed (bad address, a rank that never joined), or rank 0 stopped while the others waited."""


@dataclass
class _Group:
    """The store of the process group in effect, for :func:`rank_0_key` (``world``: ``dist.group.WORLD`` then, to tell it
    from a later group; ``limit``: seconds without rank 0's beat that mean it is gone; ``calls``: keys handed out)."""

    store: Any
    world: Any
    limit: float
    calls: int = 0


_GROUP: _Group | None = None
_FORMED = [0]  # groups this process formed: each gets its own prefix in the store (the keys of an earlier one stay there)


def init_from_env(timeout_s: float = 60.0, collective_timeout_s: float | None = None) -> bool:
    """Join the process group ``torchrun`` describes (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``...).

    Returns whether a group is in place (True as well for a group made before, by this or ``init_process_group``).

    Parameters
    ----------
    timeout_s : float
        Seconds to form the group; a master address that does not resolve, or a rank that does not join within them, is
        a :class:`DistributedError` with one line, not a hang.
    collective_timeout_s : float, optional
        Seconds any collective may wait for the other ranks once formed; None: PyTorch's default for the backend
        (30 min for gloo, 10 min for NCCL).
    """
    import torch.distributed as dist

    if dist.is_initialized():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if collective_timeout_s is not None and not collective_timeout_s > 0:
        raise ValueError(f"collective_timeout_s must be a positive number of seconds or None. Received: {collective_timeout_s!r}.")
    addr, port = os.environ.get("MASTER_ADDR", "?"), os.environ.get("MASTER_PORT", "?")
    backend = "nccl" if torch.cuda.is_available() and os.environ.get("HIDDENLAYERS_BACKEND", "") != "gloo" else "gloo"
    join, collective = datetime.timedelta(seconds=timeout_s), _collective_timeout(backend, collective_timeout_s)
    _FORMED[0] += 1
    quiet = _QuietStderr()  # c10d logs every retry on stderr from C++: keep it for a failure's cause only
    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        # torchrun's agent hosts the store; a restarted run finds the last attempt's keys there,
        # so each attempt gets its own prefix (else the ranks dial the dead attempt's addresses)
        agent = os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "").lower() == "true"
        base = dist.TCPStore(addr, int(port), world_size=world, is_master=rank == 0 and not agent, timeout=join, wait_for_workers=False)
        store = dist.PrefixStore(f"hiddenlayers/{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}/{_FORMED[0]}", base)
        _join_all(store, rank, world, join)
        base.set_timeout(collective)  # past the join, the store's reads are a collective's (NCCL's first one reads its id there)
        dist.init_process_group(backend, store=store, rank=rank, world_size=world, timeout=collective)
    except Exception as exc:
        quiet.restore()  # c10d raises RuntimeError / DistNetworkError / DistStoreError / ValueError
        raise DistributedError(
            f"cannot form the process group at {f'[{addr}]' if ':' in addr else addr}:{port} within {timeout_s:g} s ({_first_line(exc)}): "
            "check --master-addr/--master-port and that every worker started."
        ) from None
    quiet.restore()
    global _GROUP
    _GROUP = _Group(store, dist.group.WORLD, collective.total_seconds())
    return True


def _join_all(store: Any, rank: int, world: int, join: datetime.timedelta) -> None:
    """Every rank says it arrived and waits, ``join`` at most, for all ``world`` ranks to have (the join timeout's bound: the
    process group itself then waits the collective timeout for its connections, every rank being there)."""
    store.set(f"joined/{rank}", "1")
    keys = [f"joined/{r}" for r in range(world)]
    try:
        store.wait(keys, join)
    except Exception:
        missing = [str(r) for r, key in enumerate(keys) if not store.check([key])]
        if not missing:
            raise
        raise DistributedError(f"rank {', '.join(missing)} of {world} did not join" if len(missing) == 1 else
                               f"ranks {', '.join(missing)} of {world} did not join") from None


def _collective_timeout(backend: str, seconds: float | None) -> datetime.timedelta:
    """``seconds`` as a timedelta, or PyTorch's default for ``backend`` (``init_process_group(timeout=None)``'s)."""
    if seconds is not None:
        return datetime.timedelta(seconds=seconds)
    from torch.distributed import constants

    nccl = constants.default_pg_nccl_timeout
    return nccl if backend == "nccl" and isinstance(nccl, datetime.timedelta) else constants.default_pg_timeout


def _first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (its class's name when empty), at most 200 characters."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def forget_group() -> None:
    """Drop the store of the group in effect (the group is being destroyed)."""
    global _GROUP
    _GROUP = None


def rank_0_key() -> tuple[Any, str, float] | None:
    """``(store, key, limit)`` for one call of :func:`~._distributed.from_rank_0` (each rank makes its calls in the same order,
    so the ``n``-th key is the same on every rank), or None where no store is known (then the broadcast alone waits).

    A group formed by ``init_process_group`` (a user's own script) is waited on through its default store, with the
    backend's default timeout as the limit."""
    import torch.distributed as dist

    global _GROUP
    if _GROUP is None or _GROUP.world is not dist.group.WORLD:
        try:  # torch's own handle on the default group's store (no public one): without it, the broadcast alone waits
            store = dist.PrefixStore("hiddenlayers/user", dist.distributed_c10d._get_default_store())
        except Exception:
            return None
        _GROUP = _Group(store, dist.group.WORLD, _collective_timeout(str(dist.get_backend()), None).total_seconds())
    _GROUP.calls += 1
    return _GROUP.store, f"rank_0/{_GROUP.calls}", max(_GROUP.limit, 3 * BEAT_S)  # a short collective timeout: still 3 beats


#: seconds between rank 0's beats while it works alone, and the longest pause between a waiting rank's looks at the store
BEAT_S, MAX_PAUSE_S = 5.0, 1.0


class Heartbeat:
    """While rank 0 works alone: a thread adding 1 to ``KEY/beat`` every :data:`BEAT_S` seconds, then ``KEY`` set (:meth:`done`).

    The beat is a count, not a time, so the machines' clocks need not agree."""

    def __init__(self, store: Any, key: str) -> None:
        self.store, self.key = store, key
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="hiddenlayers-rank-0-beat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_S):
            try:
                self.store.add(f"{self.key}/beat", 1)
            except Exception:  # the store gone: the others learn it from the store too
                return

    def stop(self) -> None:
        """Stop beating (rank 0's work ended, or was interrupted)."""
        self._stop.set()
        self._thread.join()

    def done(self) -> None:
        """Tell the waiting ranks that rank 0's answer is on its way (``KEY`` set), after :meth:`stop`."""
        try:
            self.store.set(self.key, "1")
        except Exception as exc:
            raise DistributedError(f"the process group's store closed while rank 0 worked for every rank ({_first_line(exc)}).") from None


def wait_for_rank_0(store: Any, key: str, limit: float, *, sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.monotonic) -> None:
    """A rank other than 0: return once rank 0 has set ``key`` (its work done), however long that takes while it beats.

    Looks at the store every 0.01 s at first, then every :data:`MAX_PAUSE_S` at most. Rank 0 gone is a
    :class:`DistributedError` with one line: the store closed (its host was rank 0, or node 0's torchrun agent, which exits once
    its rank 0 failed), or ``limit`` seconds without a beat (``KEY/beat`` unchanged: rank 0 dead and the store hosted elsewhere).
    ``sleep`` and ``clock``: the pause and the clock (seconds), for tests."""
    pause, beat, since = 0.01, -1, clock()
    while True:
        quiet = _QuietStderr()  # a closed store is a C++ warning with a stack on stderr besides the exception
        try:
            done, now = store.check([key]), store.add(f"{key}/beat", 0)
        except Exception as exc:
            quiet.restore()
            raise DistributedError(f"rank 0 stopped while the other ranks waited for its work (the process group's store closed: "
                                   f"{_first_line(exc)}): rank 0's own output, on node 0, says why.") from None
        quiet.restore()
        if done:
            return
        if now != beat:
            beat, since = now, clock()
        elif clock() - since > limit:
            raise DistributedError(f"rank 0 gave no sign of life for {limit:g} s while the other ranks waited for its work: it "
                                   "stopped or hangs; its own output, on node 0, says why.")
        sleep(pause)
        pause = min(MAX_PAUSE_S, pause * 2)


class _QuietStderr:
    """File descriptor 2 sent to /dev/null until :meth:`restore` (C++ writes there, not to ``sys.stderr``)."""

    def __init__(self) -> None:
        import sys

        sys.stderr.flush()
        self._saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)

    def restore(self) -> None:
        if self._saved >= 0:
            os.dup2(self._saved, 2)
            os.close(self._saved)
            self._saved = -1


#: what gloo (and NCCL's socket layer) say when the rank at the other end of a collective went away
_PEER_GONE = ("Connection closed by peer", "Connection reset by peer", "Broken pipe", "Connection refused")


def lost_peer_line(exc: BaseException) -> str | None:
    """One line for a collective that failed because another rank went away; None for any other error.

    Why: the rank whose peer died sees only the transport's ``RuntimeError`` ("Connection closed by peer"), which says
    nothing of the cause or the fix; the cause is on the dead rank's machine, and the fix is to re-run from the
    checkpoint.

    Parameters
    ----------
    exc : BaseException
        The error, in a process of a group of several (``WORLD_SIZE`` > 1).
    """
    if int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1 or not isinstance(exc, RuntimeError):
        return None
    text = str(exc)
    said = next((s for s in _PEER_GONE if s in text), None)
    if said is None:
        return None
    return (f"the connection to another rank was lost during training ({said.lower()}): a process of this run stopped (killed, "
            "out of memory, or its machine went down), and its own output, on its machine, says why; re-running the same command on "
            "every machine resumes from the checkpoint of the last whole epoch, if one was written.")


__all__ = ["DistributedError", "Heartbeat", "forget_group", "init_from_env", "lost_peer_line", "rank_0_key", "wait_for_rank_0"]
