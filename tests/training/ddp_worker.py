"""A training script for tests/training/test_distributed.py: run by ``torch.distributed.run``, or called in process.

``python ddp_worker.py DATA WEIGHTED OUT BATCH KILL_AT``: the fits of :func:`fit_all`, rank 0 saving to the folder
OUT, after :func:`fit_val`'s backed-up fit (early stopping on a validation source, ``BackupAndRestore(OUT/backup)``) that
rank 1 of the first attempt (``TORCHELASTIC_RESTART_COUNT=0``) leaves by exiting hard at global step KILL_AT, as a killed
worker would; torchrun restarts both ranks, which resume that fit from the backup (the streamed checkpoint, written by
rank 0 after each epoch) and save it as ``OUT/resumed.safetensors``; then :func:`fit_bad_val`'s refused validation source
(``OUT/badval``, which the test writes); then :func:`fit_held_out`'s early stopping on
held-out row groups, checkpointed to ``$HIDDENLAYERS_CHECKPOINT``. The restarted attempt never joins the process
group itself: ``fit(source)`` does, as in a user's script. The first attempt joins with a join timeout of
:data:`JOIN_TIMEOUT_S` (:func:`join_briefly`), and its rank 0's first statistics pass takes :data:`SLOW_PASS_S` longer
(:func:`slow_first_scan`), so rank 1 waits for it longer than the join timeout (``OUT/slow_pass.json`` says how long rank 0 took).
One launch checks all: each torchrun start costs a launcher, two ranks, a torch import each and a rendezvous.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.training import Callback, distributed_world, init_from_env, is_writer, shutdown_distributed

#: the first attempt's join timeout, and the sleep added to its rank 0's first statistics pass (seconds)
JOIN_TIMEOUT_S, SLOW_PASS_S = 2.0, 3.0


class KillAt(Callback):
    """Exit this process without cleanup at global step ``at``, after touching ``$DDP_KILL_MARK`` when set (the test's
    proof that the kill happened: torchrun names whichever failure it saw first, rank 1's exit 3 or rank 0's abort when
    gloo found its peer gone)."""

    def __init__(self, at: int) -> None:
        self.at, self.steps = at, 0

    def on_batch_end(self, **kw: object) -> None:
        self.steps += 1
        if self.steps == self.at:
            if os.environ.get("DDP_KILL_MARK"):
                Path(os.environ["DDP_KILL_MARK"]).touch()
            os._exit(3)


class FirstEpoch(Callback):
    """The first epoch this run begins (1, or the epoch after the one a resumed run's checkpoint holds)."""

    def __init__(self) -> None:
        self.first: int | None = None

    def on_epoch_begin(self, *, epoch: int, **kw: object) -> None:
        self.first = epoch if self.first is None else self.first


class DropoutMasks(Callback):
    """Each training batch's dropout masks, as lists of 0/1 (a unit dropped: 1), taken by a forward hook on the network's
    ``nn.Dropout`` layers. With ``tanh`` before the dropout a unit's output is 0 only where the mask dropped it."""

    def __init__(self) -> None:
        self.masks: list[list[int]] = []

    def on_train_begin(self, *, network: torch.nn.Module, **kw: object) -> None:
        def record(module: torch.nn.Module, args: object, out: torch.Tensor) -> None:
            if module.training:
                self.masks.append((out == 0).flatten().int().tolist())

        for m in network.modules():
            if isinstance(m, torch.nn.Dropout):
                m.register_forward_hook(record)


def fit_dropout(out: Path) -> None:
    """An in-memory fit with dropout, twice, each rank on rows of its own (the same count: the same steps): each rank writes
    the dropout masks of both fits (every batch) and the first fit's weights to ``out/dropout.rank{R}.json``."""
    rank = distributed_world()[0]
    X = np.random.default_rng(rank).normal(size=(32, 3))
    seen: dict[str, object] = {}
    for run in ("first", "again"):
        masks = DropoutMasks()
        model = hl.MLPClassifier("8:tanh:dropout=0.5", batch_size=16, max_iter=2, random_state=0, dtype="float64", callbacks=[masks])
        model.fit(X, (X[:, 0] > 0).astype(int))
        seen[run] = masks.masks
        seen.setdefault("weights", [w.tolist() for w in (*model.coefs_, *model.intercepts_)])
    (out / f"dropout.rank{rank}.json").write_text(json.dumps(seen))


def _classifier(batch: int, kill_at: int = -1) -> hl.MLPClassifier:
    # every fit has the callback (a batch callback changes how the L2 term is applied, so all runs compared take
    # the same path); only the resumed fit's rank 1 of the first attempt ever fires it
    return hl.MLPClassifier(
        hidden_layer_sizes=(16,), batch_size=batch, max_iter=3, shuffle=False, random_state=0, alpha=1e-3,
        learning_rate_init=0.01, early_stopping=False, dtype="float64", n_iter_no_change=100, callbacks=[KillAt(kill_at)],
    )


def fit_all(data: ParquetSource, weighted: ParquetSource, out: Path, batch: int) -> None:
    """Fit and (rank 0) save to the folder ``out``, 3 epochs without shuffling, so that runs compare weight for weight:

    ``plain.safetensors``: a classifier on ``data`` (target ``y``);
    ``weighted.safetensors``: the same on ``weighted``, a source with a weight column (``ParquetSource(weight=)``);
    ``weighted.reg.safetensors``: ``MLPRegressor(scale_target=True)`` on ``weighted``'s digit read as a number
    (its target statistics and weights), 2 epochs.
    Each source's statistics pass (its data check: most of a fit's time here) is made once and cached, as in use.
    """
    reg = hl.MLPRegressor(hidden_layer_sizes=(8,), batch_size=batch, max_iter=2, shuffle=False, random_state=0, alpha=1e-3,
                          learning_rate_init=0.01, dtype="float64", n_iter_no_change=100, scale_target=True, callbacks=[KillAt(-1)])
    fits: list[tuple[str, hl.MLPClassifier | hl.MLPRegressor, ParquetSource]] = [
        ("plain", _classifier(batch), data), ("weighted", _classifier(batch), weighted), ("weighted.reg", reg, weighted)]
    for name, model, source in fits:
        model.fit(source)
        if is_writer():
            model.save(out / f"{name}.safetensors")
    # whether this rank read the files for the statistics pass (rank 0) or took rank 0's result (its scan has no check tallies)
    read = {name: source.scan().checks is not None for name, _, source in fits}
    (out / f"scan.rank{distributed_world()[0]}.json").write_text(json.dumps(read))
    # random_state=None (scikit-learn's default): each rank's weights after the fit, which must be rank 0's on every rank
    seedless = _classifier(batch).set_params(random_state=None).fit(data)
    weights = [w.tolist() for w in (*seedless.coefs_, *seedless.intercepts_)]
    (out / f"seedless.rank{distributed_world()[0]}.json").write_text(json.dumps(weights))
    # the same in memory, each rank fitting rows of its own (the same count: the same steps): from rank 0's seed too
    X = np.random.default_rng(distributed_world()[0]).normal(size=(64, 3))
    memory = _classifier(batch).set_params(random_state=None, max_iter=1).fit(X, (X[:, 0] > 0).astype(int))
    weights = [w.tolist() for w in (*memory.coefs_, *memory.intercepts_)]
    (out / f"seedless.memory.rank{distributed_world()[0]}.json").write_text(json.dumps(weights))
    fit_dropout(out)


def fit_val(data: ParquetSource, weighted: ParquetSource, out: Path, name: str, batch: int, kill_at: int = -1) -> None:
    """The classifier on ``data`` with early stopping on a validation source (``weighted``'s folder read with ``data``'s
    columns), saved (rank 0) as ``out/{name}.safetensors``; each rank writes what it scored to ``out/val.rank{R}.json``
    (its scores, ``t_``, best score). Its scores rise each of the 3 epochs, so the weights kept are the last epoch's,
    those of ``plain.safetensors``: the launch's checkpointed fit is this one, one fit checking resume and validation."""
    val = ParquetSource(weighted.path, target="y", features=data.features)  # the same columns as data's, no weight column
    clf = _classifier(batch, kill_at)
    first = FirstEpoch()
    clf.set_params(early_stopping=True, callbacks=[*clf.callbacks, first, hl.BackupAndRestore(out / "backup")])
    clf.fit(data, X_val=val)
    if is_writer():
        clf.save(out / f"{name}.safetensors")
    # read_val: whether this rank read the validation files for their statistics pass (rank 0) or took rank 0's (no tallies)
    seen = {"scores": clf.validation_scores_, "t": int(clf.t_), "best": clf.best_validation_score_, "first_epoch": first.first,
            "read_val": val.scan().checks is not None}
    (out / f"val.rank{distributed_world()[0]}.json").write_text(json.dumps(seen))


def fit_bad_val(data: ParquetSource, out: Path, batch: int) -> None:
    """The classifier on ``data`` scored on ``out/badval`` (a validation source with a missing label), which rank 0's pass
    refuses: each rank writes the error it raised, ``[class name, message]``, to ``out/badval.rank{R}.json``."""
    try:
        _classifier(batch).set_params(early_stopping=True).fit(data, X_val=ParquetSource(str(out / "badval"), target="y"))
        said = None
    except Exception as exc:
        said = [type(exc).__name__, str(exc)]
    (out / f"badval.rank{distributed_world()[0]}.json").write_text(json.dumps(said))


def fit_held_out(data: ParquetSource, out: Path, batch: int) -> None:
    """The classifier on ``data`` with early stopping on 4 of its row groups held out; each rank writes the scores and
    losses it recorded to ``out/held.rank{R}.json`` (each rank scores its share of those row groups, the sums all-reduced)."""
    clf = _classifier(batch).set_params(early_stopping=True, validation_fraction=0.2)
    clf.fit(data)
    seen = {"scores": clf.validation_scores_, "loss": clf.history_.val_loss}
    (out / f"held.rank{distributed_world()[0]}.json").write_text(json.dumps(seen))


def join_briefly(out: Path) -> None:
    """Join with a join timeout of :data:`JOIN_TIMEOUT_S`, once both ranks are here (each touches ``out/arrived.rank{R}``
    and waits for the other's: a loaded machine's torch imports do not eat into the 2 s)."""
    rank = os.environ["RANK"]
    (out / f"arrived.rank{rank}").touch()
    for _ in range(6000):
        if all((out / f"arrived.rank{r}").exists() for r in range(int(os.environ["WORLD_SIZE"]))):
            break
        time.sleep(0.01)
    init_from_env(JOIN_TIMEOUT_S)


def slow_first_scan(source: ParquetSource, out: Path) -> None:
    """Make ``source``'s statistics pass take :data:`SLOW_PASS_S` seconds more, and write how long it took (seconds) to
    ``out/slow_pass.json``, with the join timeout: rank 0's long pass while the other ranks wait (a large folder's)."""
    read = source.scan

    def slow(**kw: object) -> object:
        del source.scan  # once: the class's own scan (cached) from now on
        start = time.monotonic()
        time.sleep(SLOW_PASS_S)
        scan = read(**kw)  # type: ignore[arg-type]
        (out / "slow_pass.json").write_text(json.dumps({"join_timeout": JOIN_TIMEOUT_S, "pass_s": time.monotonic() - start}))
        return scan

    source.scan = slow  # type: ignore[method-assign]


def sources(data: str, weighted: str) -> tuple[ParquetSource, ParquetSource]:
    """The Parquet directories ``data`` and ``weighted`` (its weight column ``w``) as the fits read them."""
    return ParquetSource(data, target="y"), ParquetSource(weighted, target="y", weight="w")


def main() -> None:
    torch.set_num_threads(1)
    data, weighted, out, batch, kill_at = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    first = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    kill = os.environ.get("RANK") == "1" and first
    plain, with_weights = sources(data, weighted)
    if first:  # a join timeout shorter than rank 0's pass; the restart has no init_from_env: fit(source) joins, as a user's script does
        join_briefly(out)
        if os.environ.get("RANK") == "0":
            slow_first_scan(plain, out)
    ckpt = os.environ.pop("HIDDENLAYERS_CHECKPOINT")  # fit_val's checkpoint is its BackupAndRestore's; the next fits start from scratch
    fit_val(plain, with_weights, out, "resumed", batch, kill_at if kill else -1)
    fit_bad_val(plain, out, batch)
    fit_all(plain, with_weights, out, batch)
    os.environ["HIDDENLAYERS_CHECKPOINT"] = ckpt  # the variable's checkpoint, written each epoch by rank 0
    fit_held_out(plain, out, batch)
    shutdown_distributed()


if __name__ == "__main__":
    main()
