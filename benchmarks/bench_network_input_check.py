"""``Network.forward`` with its input check (a ``try`` whose ``except`` names a wrong width or dtype) against the same pass
without it, in one process: CPU seconds per call (``time.process_time``), median of rounds that alternate the two.

Why: the check must cost the forward pass nothing measurable. It runs only once PyTorch has refused ``x`` (a ``try`` block
costs nothing in CPython 3.11+ until something raises), so the ratio should be 1 within this machine's noise.

    python benchmarks/bench_network_input_check.py --calls 3000 --rounds 15
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch

from hiddenlayers import Network


def _unchecked(net: Network, x: torch.Tensor, return_hidden: bool = False) -> Any:
    """``Network.forward`` as it was before the check, line for line, without the ``try``."""
    hidden = []
    h = x
    for layer in net.hidden_layers:
        h = layer(h)
        if return_hidden:
            hidden.append(h)
    out = net.head(h.flatten(1) if h.ndim > 2 else h)
    return (out, hidden) if return_hidden else out


def _us_per_call(fn: Any, net: Network, x: torch.Tensor, calls: int) -> float:
    start = time.process_time()
    with torch.no_grad():
        for _ in range(calls):
            fn(net, x)
    return (time.process_time() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="forward calls per round and side")
    parser.add_argument("--rounds", type=int, default=15, help="rounds, each timing both sides")
    args = parser.parse_args()
    torch.set_num_threads(1)
    net = Network(16, "32,16", 3).eval()
    checked = Network.forward
    for batch in (1, 256):
        x = torch.randn(batch, 16)
        plain, with_check = [], []
        for _ in range(args.rounds):
            plain.append(_us_per_call(_unchecked, net, x, args.calls))
            with_check.append(_us_per_call(checked, net, x, args.calls))
        a, b = statistics.median(plain), statistics.median(with_check)
        print(f"batch {batch}: without the check {a:.2f} µs, with it {b:.2f} µs per call (CPU, median of {args.rounds}); ratio {b / a:.3f}")


if __name__ == "__main__":
    main()
