"""Several processes with ``torch.distributed`` (DDP's all-reduce; gloo on CPU, NCCL on GPU).

The fit loop asks :func:`gradient_sync` once per fit: ``None`` in a single
process, else a callable that averages the flat gradient buffer over the ranks
with one ``all_reduce`` per step (the hand-written engine and autograd both
write their gradients there). :func:`reduce_sum` agrees epoch figures (loss,
rows) so that early stopping, the schedule and ``history_`` are the same on
every rank. :func:`~._join.init_from_env` joins the group that ``torchrun`` describes
in the environment, with a timeout and one-line errors. :func:`agreed_interrupts` turns a
rank's Ctrl-C into a flag the ranks agree on, so they stop at the same point together.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from ._join import DistributedError, Heartbeat, forget_group, rank_0_key, wait_for_rank_0


def distributed_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the current process group, ``(0, 1)`` when there is none."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def rank_seed(seed: int) -> int:
    """The seed of this rank's training-time draws (dropout, noise layers): ``seed`` in one process, ``seed + rank`` under
    ``torch.distributed``.

    Why: every rank seeded its global generator with the same ``seed`` (from the same ``random_state``), so the ranks drew
    the same dropout masks for their different rows, where one process with the global batch draws a mask for each row.
    The initial weights (drawn before, from ``random_state``) and the batch order (a generator of its own, as
    ``DistributedSampler``'s seed is shared) stay the same on every rank; each rank's seed depends only on ``seed`` and its
    rank, so a run is repeatable for a given ``random_state`` and world size, and a resumed one draws as the broken one did.

    Parameters
    ----------
    seed : int
        The fit's seed, in ``[0, 2**63 - world)``.
    """
    rank, world = distributed_world()
    return seed if world == 1 else seed + rank


def shutdown_distributed() -> None:
    """Destroy the process group (before exit: gloo can abort at exit otherwise)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        forget_group()
        dist.destroy_process_group()


class GradientSync:
    """Average a flat gradient buffer over the ranks: one ``all_reduce`` per step."""

    def __init__(self, world: int) -> None:
        self.world = world

    def __call__(self, grad: torch.Tensor, weight: Any = None) -> bool:
        """Replace ``grad`` (this rank's batch-mean gradient) by the mean over the ranks; whether to step.

        ``weight``: this rank's summed sample weights of the batch (a 0-d tensor or number), or None without
        weights. With weights, each rank's weighted mean counts by its weight, so the result is the weighted
        mean gradient of the ranks' rows together, as one process computes it on the whole batch (one
        all-reduce of the gradient and the weight together). A batch whose rows weigh 0 on every rank
        gives False: no rank steps, as one process skips such a batch (``Batches``).
        Inside :func:`agreed_interrupts` the rank's Ctrl-C flag rides along in the same all-reduce on the CPU (one number
        more): :attr:`stop_agreed` then says alike on every rank, at this step, whether any rank got Ctrl-C (on a GPU the
        ranks agree at the next chunk read instead, so that unweighted steps read nothing back).
        """
        import torch.distributed as dist

        # the Ctrl-C flag rides along on the CPU (gloo) only: on a GPU, reading it back would make every step wait for the
        # all-reduce on the host, so there the ranks agree once per chunk read (AgreedInterrupt.agreed) instead
        flag = _ACTIVE if grad.device.type == "cpu" else None
        if weight is None and flag is None:
            dist.all_reduce(grad, op=dist.ReduceOp.SUM)
            grad.div_(self.world)
            return True
        parts = [grad]
        if weight is not None:
            total = torch.as_tensor(weight, dtype=grad.dtype, device=grad.device).reshape(1)
            parts = [grad * total, total]
        if flag is not None:
            parts.append(torch.full((1,), 1.0 if flag.raised else 0.0, dtype=grad.dtype, device=grad.device))
        buf = torch.cat(parts)
        dist.all_reduce(buf, op=dist.ReduceOp.SUM)
        if flag is not None:
            flag.stop = flag.stop or float(buf[-1]) > 0
            buf = buf[:-1]
        if weight is None:
            grad.copy_(buf).div_(self.world)
            return True
        summed = float(buf[-1])
        if summed == 0:
            grad.zero_()
            return False
        grad.copy_(buf[:-1]).div_(summed)
        return True

    @property
    def stop_agreed(self) -> bool:
        """Whether the ranks agreed, at the last all-reduce, to stop for a Ctrl-C (inside :func:`agreed_interrupts` only)."""
        return _ACTIVE is not None and _ACTIVE.stop

    def check_steps(self, steps: int) -> None:
        """Raise a one-line error unless every rank takes ``steps`` steps an epoch (else the all-reduces would hang)."""
        import torch.distributed as dist

        t = torch.tensor([steps, -steps], dtype=torch.int64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        if int(t[0]) != -int(t[1]):
            raise ValueError(
                f"the ranks take {-int(t[1])} to {int(t[0])} steps an epoch: give every rank the same number of rows "
                "(or train from a ParquetSource, which shares the rows out evenly)."
            )

    def agree(self, *values: float) -> list[float]:
        """``values`` averaged over the ranks, so that every rank takes the same stopping and schedule decisions."""
        return [v / self.world for v in reduce_sum(values)]


def gradient_sync() -> GradientSync | None:
    """The all-reduce for the fit loop, or ``None`` without a process group of 2 or more ranks."""
    _, world = distributed_world()
    return GradientSync(world) if world > 1 else None


def reduce_sum(values: Sequence[float]) -> list[float]:
    """``values`` summed over the ranks (unchanged in one process), in float64.

    Parameters
    ----------
    values : sequence of float
        This rank's values.
    """
    _, world = distributed_world()
    if world == 1:
        return [float(v) for v in values]
    import torch.distributed as dist

    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def from_rank_0(fn: Callable[[], Any], errors: Sequence[type[Exception]] = (ValueError, TypeError)) -> Any:
    """``fn()`` run by rank 0 alone and its answer sent to every rank (``broadcast_object_list``); ``fn()`` itself in one process.

    Why: work whose answer every rank needs but that reads every row (a streamed fit's statistics pass, its data check)
    cost ``world`` times the reading when each rank did it. Every rank must call it at the same point, as every
    collective. Rank 0 may work longer than any collective's limit (a pass over 100 GB): the others wait on the process
    group's store, not in the broadcast, until rank 0 sets this call's key, and stop with one line if it is gone
    (:func:`~._join.wait_for_rank_0`).

    Parameters
    ----------
    fn : callable
        Must answer with plain data (lists, dicts, numbers, text, None): it is pickled to travel, and a receiver
        unpickles only what rank 0 of the same command made, never a user's file.
    errors : sequence of exception classes
        An exception of rank 0's is raised there as it is, and on the other ranks as the first of these it is an
        instance of, with the same message; of none of them, as a :class:`DistributedError` naming it.
    """
    rank, world = distributed_world()
    if world == 1:
        return fn()
    import torch.distributed as dist

    box: list[Any] = [None]
    failure: BaseException | None = None
    where = rank_0_key()
    if rank == 0:
        beat = Heartbeat(where[0], where[1]) if where is not None else None
        try:
            box[0] = ("ok", fn())
        except Exception as exc:
            failure = exc
            kind = next((i for i, cls in enumerate(errors) if isinstance(exc, cls)), -1)
            box[0] = ("error", kind, str(exc) if kind >= 0 else f"{type(exc).__name__}: {exc}")
        finally:  # a KeyboardInterrupt too: no beat from a rank 0 that has left this call
            if beat is not None:
                beat.stop()
        if beat is not None:
            beat.done()
    elif where is not None:
        wait_for_rank_0(*where)
    dist.broadcast_object_list(box, src=0)
    if failure is not None:
        raise failure
    answer = box[0]
    if answer[0] == "error":
        raise (errors[answer[1]](answer[2]) if answer[1] >= 0 else DistributedError(f"rank 0 failed ({answer[2]})")) from None
    return answer[1]


def from_every_rank(value: Any) -> list[Any]:
    """Every rank's ``value``, in rank order, on every rank (``all_gather_object``); ``[value]`` in one process.

    For a few plain values: what a rank found that the others must say too, so that every rank stops with the same line.

    Parameters
    ----------
    value : object
        Plain data (text, numbers, lists): it is pickled to travel, and a rank unpickles only what the ranks of the
        same command made.
    """
    _, world = distributed_world()
    if world == 1:
        return [value]
    import torch.distributed as dist

    out: list[Any] = [None] * world
    dist.all_gather_object(out, value)
    return out


def is_writer() -> bool:
    """Whether this process writes files (rank 0, or no process group)."""
    return distributed_world()[0] == 0


def barrier() -> None:
    """Wait for every rank (no-op in one process)."""
    import torch.distributed as dist

    if distributed_world()[1] > 1:
        dist.barrier()


class AgreedInterrupt:
    """Ctrl-C under ``torch.distributed``, taken by every rank at the same point: see :func:`agreed_interrupts`."""

    def __init__(self) -> None:
        self.raised = False  # this rank got SIGINT
        self.stop = False  # the ranks agreed to stop (a gradient all-reduce carried a raised flag)

    def _handle(self, signum: int, frame: Any) -> None:
        self.raised = True

    def agreed(self) -> bool:
        """Whether any rank got Ctrl-C: one all-reduce (MAX) of one number, so every rank answers alike.

        Every rank must call it at the same point of its work (a streamed pass: after each chunk is read, the ranks
        reading as many chunks), as every collective; a rank gone bounds the wait by the process group's timeout."""
        import torch.distributed as dist

        t = torch.tensor([1 if self.raised else 0], dtype=torch.int64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        self.stop = self.stop or bool(t.item())
        return self.stop


@contextmanager
def agreed_interrupts() -> Iterator[AgreedInterrupt | None]:
    """Inside the block, a Ctrl-C (SIGINT) of a rank sets a flag instead of raising :class:`KeyboardInterrupt`; None in one process.

    Why: a KeyboardInterrupt lands on each rank at its own moment (one in a step, another reading data), so the ranks
    would stop at different steps and the next all-reduce would pair unlike calls or hang. With the flag, the caller asks
    :meth:`AgreedInterrupt.agreed` at points every rank reaches alike and every rank stops there together. Only Python's
    default handler is replaced (on the main thread; restored after the block): a program's own handler, or SIG_IGN, stays.
    """
    import signal
    import threading

    _, world = distributed_world()
    if world <= 1 or threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield None
        return
    global _ACTIVE
    flag = AgreedInterrupt()
    signal.signal(signal.SIGINT, flag._handle)
    _ACTIVE = flag
    try:
        yield flag
    finally:
        _ACTIVE = None
        signal.signal(signal.SIGINT, signal.default_int_handler)


#: The flag of the :func:`agreed_interrupts` block in effect (None outside one): :class:`GradientSync` carries it.
_ACTIVE: AgreedInterrupt | None = None


def save_checkpoint(path: str, payload: dict[str, Any]) -> None:
    """Rank 0 writes ``payload`` to ``path`` atomically; others wait.

    Parameters
    ----------
    path : str
        The checkpoint file.
    payload : dict
        Tensors, numbers, lists, text.
    """
    import io

    from .._files import atomic_write_bytes

    if is_writer():
        buf = io.BytesIO()
        torch.save(payload, buf)
        atomic_write_bytes(path, buf.getvalue())
    barrier()


def load_checkpoint(path: str) -> dict[str, Any] | None:
    """A checkpoint written by :func:`save_checkpoint` (``weights_only``: loading runs no code), or ``None``.

    Parameters
    ----------
    path : str
        The checkpoint file.
    """
    if not os.path.exists(path):
        return None
    return torch.load(path, weights_only=True)  # type: ignore[no-any-return]


__all__ = [
    "AgreedInterrupt", "agreed_interrupts", "GradientSync", "barrier", "distributed_world", "from_every_rank", "from_rank_0", "gradient_sync",
    "is_writer", "load_checkpoint", "rank_seed", "reduce_sum", "save_checkpoint", "shutdown_distributed",
]
