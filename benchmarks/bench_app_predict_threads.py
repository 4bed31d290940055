"""An application's batched predict on the CPU, ``apps._fit.forward_batches`` on one thread (what it does) beside the
threads set (what ``training.inference_threads``' rule would give these passes), in one process.

``hl.Autoencoder`` (its default network, (64, 32) hidden, 8 components) fitted for 2 epochs on random data of
``--features`` columns (20: 7,168 multiply-adds a row; 256: 37,376), then ``predict`` (the reconstruction error of every
row in 8,192-row forward calls) of 8,192 and 65,536 rows. Old: ``forward_batches``' ``one_thread`` (the code); new:
``one_thread`` replaced by no change, the threads set (``torch.get_num_threads()``, 2 on this machine), which the rule
(one thread under 5e7 multiply-adds a call) gives every pass here: 5.9e7 and 3.1e8 a call. The rule was not merged
for ``forward_batches`` (measured slower here on a busy machine); this script is kept to measure it on a quiet one. Old and new interleaved, the results checked equal within float32
rounding; median wall milliseconds of ``--calls`` calls. A gain needs the other core free: on a machine whose other
cores are busy, more threads only wait on each other. Usage:
python benchmarks/bench_app_predict_threads.py [--calls 15] [--features 20,256]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import warnings

import numpy as np
import torch

import hiddenlayers as hl
from hiddenlayers.apps import _fit

warnings.simplefilter("ignore")


def _ms(ae: hl.Autoencoder, X: np.ndarray) -> float:
    """Wall milliseconds of one ``ae.predict(X)``."""
    t = time.perf_counter()
    ae.predict(X)
    return (time.perf_counter() - t) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--features", default="20,256")
    args = ap.parse_args()
    one = _fit.one_thread
    print(f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.1f}")
    print("| features | rows | one thread (old) ms | the rule (new) ms | new / old |\n|---|---|---|---|---|")
    for d in (int(v) for v in args.features.split(",")):
        rng = np.random.default_rng(0)
        ae = hl.Autoencoder(max_iter=2, random_state=0).fit(rng.normal(size=(2000, d)).astype(np.float32))
        for rows in (8192, 65536):
            X = rng.normal(size=(rows, d)).astype(np.float32)
            old, new = [], []
            for _ in range(3):  # warm both (the first call sizes the pass)
                ae.score_samples(X)
            for _ in range(args.calls):
                _fit.one_thread = one  # type: ignore[assignment]
                old.append(_ms(ae, X))
                a = ae.score_samples(X)
                _fit.one_thread = contextlib.nullcontext  # type: ignore[assignment]
                new.append(_ms(ae, X))
                assert np.allclose(ae.score_samples(X), a, rtol=1e-5, atol=1e-6)
            _fit.one_thread = one  # type: ignore[assignment]
            o, n = float(np.median(old)), float(np.median(new))
            print(f"| {d} | {rows:,} | {o:.1f} | {n:.1f} | **{n / o:.2f}** |", flush=True)
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
