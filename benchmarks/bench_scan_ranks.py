"""The pass before training under ``torch.distributed``: every rank reading every file, against rank 0 alone.

A streamed fit (``fit(ParquetSource)`` under torchrun, ``train DIR --workers N``) learns the preprocessing, the classes and
the data check's tallies in one pass over every file, then the command line runs the data check (a second read for near
duplicates). Each rank did both itself; now rank 0 does them and sends the others the result
(``hiddenlayers.estimators.shared_scan``, ``hiddenlayers.training.from_rank_0``). This script times both ways in the same
processes, interleaved, for 1 and 2 ranks (gloo on loopback), on a generated Parquet folder (in ``--dir``, a /tmp folder,
never committed; reused when present):

* ``every rank``: ``src.scan()`` and ``src.check()`` on each rank (the old way);
* ``rank 0``: ``shared_scan(src)`` and the check through ``from_rank_0`` (the new way).

Each repeat uses a fresh ``ParquetSource`` (no cached scan). The figure is CPU seconds (``time.process_time``, all threads
of the process) summed over the ranks, median over ``--repeats``, with the ratio new / old; wall seconds of the slowest rank
beside it. Run: ``python benchmarks/bench_scan_ranks.py --rows 400000 --repeats 3``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time

FEATURES = 16


def generate(folder: str, rows: int, files: int = 8, groups_per_file: int = 4) -> None:
    """``rows`` rows of float features, a text column and a 5-class label over ``files`` Parquet files of ``groups_per_file`` row groups."""
    import numpy as np
    import pandas as pd

    if os.path.isdir(folder) and len(os.listdir(folder)) == files:
        return
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    per = rows // files
    for i in range(files):
        frame = pd.DataFrame(rng.normal(size=(per, FEATURES)), columns=[f"x{j}" for j in range(FEATURES)])
        frame["kind"] = rng.choice(["a", "b", "c", "d"], size=per)
        frame["y"] = rng.integers(0, 5, size=per)
        frame.to_parquet(os.path.join(folder, f"part-{i}.parquet"), row_group_size=-(-per // groups_per_file))


def _pass(folder: str, mode: str) -> None:
    """The pre-training pass of one rank: the statistics pass and the data check, ``mode`` "old" (this rank) or "new" (rank 0)."""
    from hiddenlayers.data import ParquetSource
    from hiddenlayers.estimators import shared_scan
    from hiddenlayers.training import from_rank_0

    src = ParquetSource(folder, target="y")
    if mode == "old":
        src.scan()
        src.check("auto")
    else:
        shared_scan(src)
        from_rank_0(lambda: src.check("auto") and None)


def _rank(rank: int, world: int, port: int, folder: str, repeats: int, queue: object) -> None:
    """One rank: join the group, then ``repeats`` rounds of both modes, each rank's CPU and wall seconds sent to ``queue``."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    _pass(folder, "old")  # warm-up, not counted: the imports, the files into the page cache
    for r in range(repeats):
        for mode in ("old", "new") if r % 2 == 0 else ("new", "old"):  # interleaved, alternating which goes first
            if world > 1:
                dist.barrier()
            cpu, wall = time.process_time(), time.perf_counter()
            _pass(folder, mode)
            queue.put((world, mode, r, rank, time.process_time() - cpu, time.perf_counter() - wall))  # type: ignore[attr-defined]
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    import multiprocessing as mp
    import warnings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/hl-bench-scan-ranks")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    folder = os.path.join(args.dir, f"rows{args.rows}")
    generate(folder, args.rows)
    ctx = mp.get_context("spawn")
    print(f"{args.rows:,} rows x {FEATURES + 1} features, 8 files x 4 row groups; CPU s summed over the ranks, median of {args.repeats}")
    for world in (1, 2):
        queue = ctx.Queue()
        port = _free_port()
        procs = [ctx.Process(target=_rank, args=(r, world, port, folder, args.repeats, queue)) for r in range(world)]
        for p in procs:
            p.start()
        got = [queue.get() for _ in range(world * args.repeats * 2)]
        for p in procs:
            p.join()
            if p.exitcode:
                sys.exit(f"rank exited {p.exitcode}")
        cpu = {m: statistics.median(sum(g[4] for g in got if g[1] == m and g[2] == r) for r in range(args.repeats)) for m in ("old", "new")}
        wall = {m: statistics.median(max(g[5] for g in got if g[1] == m and g[2] == r) for r in range(args.repeats)) for m in ("old", "new")}
        print(f"  {world} rank(s): every rank {cpu['old']:6.2f} CPU s ({wall['old']:5.2f} s wall)   rank 0 {cpu['new']:6.2f} CPU s "
              f"({wall['new']:5.2f} s wall)   CPU ratio rank 0 / every rank {cpu['new'] / cpu['old']:.2f}", flush=True)


if __name__ == "__main__":
    main()
