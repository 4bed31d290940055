"""A training script for tests/test_distributed.py: run alone, or by ``torch.distributed.run``.

``python tests/ddp_worker.py DATA OUT BATCH [KILL_AT]``: fits a small classifier on the
Parquet directory DATA for 3 epochs (no shuffling, so that runs can be compared
weight for weight), rank 0 saves OUT. With KILL_AT, rank 1 of the first attempt
(``TORCHELASTIC_RESTART_COUNT=0``) exits hard at that step, as a killed worker would.
``$HL_TEST_WEIGHT`` names a weight column of DATA to train with (``ParquetSource(weight=)``).
With ``$HL_TEST_REGRESSOR`` set, the same run also fits ``MLPRegressor(scale_target=True)`` on DATA's
target read as numbers (rank 0 saves it to ``OUT.reg.safetensors``): its target statistics and weights.
"""

from __future__ import annotations

import os
import sys

import torch

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.training import Callback, distributed_world, init_from_env, is_writer, shutdown_distributed


class KillAt(Callback):
    """Exit this process without cleanup at global step ``at``."""

    def __init__(self, at: int) -> None:
        self.at, self.steps = at, 0

    def on_batch_end(self, **kw: object) -> None:
        self.steps += 1
        if self.steps == self.at:
            os._exit(3)


def main() -> None:
    torch.set_num_threads(1)
    data, out, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    init_from_env(timeout_s=30)
    rank, _ = distributed_world()
    # every run and rank has the callback (a batch callback changes how the L2 term is applied, so
    # all runs compared take the same path); only rank 1 of the first attempt ever fires it
    kill = len(sys.argv) > 4 and rank == 1 and os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    callbacks = [KillAt(int(sys.argv[4]) if kill else -1)]
    clf = hl.MLPClassifier(
        hidden_layer_sizes=(16,), batch_size=batch, max_iter=3, shuffle=False, random_state=0, alpha=1e-3,
        learning_rate_init=0.01, early_stopping=False, dtype="float64", n_iter_no_change=100, callbacks=callbacks,
    )
    src = ParquetSource(data, target="y", weight=os.environ.get("HL_TEST_WEIGHT") or None)
    clf.fit(src)
    if is_writer():
        clf.save(out)
    del clf
    if os.environ.get("HL_TEST_REGRESSOR"):
        reg = hl.MLPRegressor(hidden_layer_sizes=(8,), batch_size=batch, max_iter=2, shuffle=False, random_state=0, alpha=1e-3,
                              learning_rate_init=0.01, dtype="float64", n_iter_no_change=100, scale_target=True, callbacks=callbacks)
        reg.fit(src)
        if is_writer():
            reg.save(out + ".reg.safetensors")
        del reg
    shutdown_distributed()


if __name__ == "__main__":
    main()
