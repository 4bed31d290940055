"""Translator's ``pad_batch``: one NumPy mask assignment (now) against one tensor copy per row (before), alone and in a fit.

Side by side in one process on one thread, alternating the two ways so load drifts hit both: ``--calls`` calls of each on
batches of ``--batch`` random id lists of 3 to 30 ids (what a fit pads three times a step), then ``--fits`` Translator fits
(hidden 16, 3 epochs on 400 word-reversal pairs) with each ``pad_batch``. Prints CPU seconds (medians) and old / new ratios.

    python benchmarks/bench_pad_batch.py --calls 2000 --batch 32 --fits 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def per_row(seqs: Sequence[Sequence[int]], device: Any = None) -> tuple[Any, Any]:
    """The old pad_batch, kept here as the peer: a tensor copy per row."""
    import torch

    from hiddenlayers.apps._translate.text import PAD

    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), int(lengths.max()) if len(seqs) else 0), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out.to(device), lengths


def _cpu(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="timed pad_batch calls each way per round (default 2000)")
    parser.add_argument("--batch", type=int, default=32, help="id lists per batch (default 32)")
    parser.add_argument("--fits", type=int, default=3, help="timed Translator fits each way (default 3)")
    args = parser.parse_args()
    import numpy as np
    import torch

    import hiddenlayers.apps._translate.translate as translate
    from hiddenlayers.apps import Translator
    from hiddenlayers.apps._translate.seq2seq import pad_batch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    batch = [rng.integers(4, 500, rng.integers(3, 31)).tolist() for _ in range(args.batch)]
    assert torch.equal(per_row(batch)[0], pad_batch(batch)[0])
    ways = {"per row (old)": per_row, "mask (new)": pad_batch}
    calls: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(3):
        for name, fn in ways.items():
            calls[name].append(_cpu(lambda fn=fn: [fn(batch) for _ in range(args.calls)]) / args.calls * 1e6)  # type: ignore[misc]

    words = [f"w{i}" for i in range(30)]
    rows = [rng.integers(0, 30, rng.integers(2, 8)) for _ in range(400)]
    src = [" ".join(words[i] for i in r) for r in rows]
    tgt = [" ".join(words[i] for i in r[::-1]) for r in rows]
    model = dict(hidden_size=16, embed_dim=16, batch_size=32, max_iter=3, early_stopping=False, random_state=0)
    Translator(**model).fit(src, tgt)  # warm-up: first-use imports
    fits: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(args.fits):
        for name, fn in ways.items():
            translate.pad_batch = fn  # type: ignore[assignment]
            fits[name].append(_cpu(lambda: Translator(**model).fit(src, tgt)))
    translate.pad_batch = pad_batch

    old, new = ways
    print(f"pad_batch of {args.batch} lists, CPU us per call (median of 3 x {args.calls}):")
    for name in ways:
        print(f"  {name:14s} {statistics.median(calls[name]):8.1f}")
    print(f"  ratio old/new  {statistics.median(calls[old]) / statistics.median(calls[new]):8.2f}x")
    print(f"Translator fit, 3 epochs on 400 pairs, CPU s (median of {args.fits}):")
    for name in ways:
        print(f"  {name:14s} {statistics.median(fits[name]):8.2f}")
    print(f"  ratio old/new  {statistics.median(fits[old]) / statistics.median(fits[new]):8.2f}x")


if __name__ == "__main__":
    main()
