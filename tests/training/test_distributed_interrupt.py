"""Ctrl-C under torch.distributed: every rank stops at the same point and rank 0 saves the last whole epoch's weights."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits

import hiddenlayers as hl

WORKER = str(Path(__file__).with_name("ddp_interrupt_worker.py"))
SRC = str(Path(__file__).parents[2] / "src")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(paths: list[Path], procs: list[subprocess.Popen[str]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not all(p.exists() for p in paths):
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            outs = [p.communicate(timeout=30) if p.poll() is not None else ("", "still running") for p in procs]
            for p in procs:
                p.kill()
            pytest.fail(f"the ranks never reached the slow read or step: {outs}")
        time.sleep(0.02)


#: the cases, run in this order by one pair of ranks (:func:`interrupted`): ``read:2``, the SIGINT lands while each rank reads
#: pass 2's first chunk; ``step:25``, inside step 5 of pass 2 (20 steps a pass)
CASES = ("read:2", "step:25")


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both ranks' processes, started once, run ``train`` once per case of :data:`CASES` (each its own process group, folder
    and model); the test's SIGINT interrupts each run in turn. ``{"codes": the processes' exit statuses, "stderr": each
    rank's stderr split by case, "cases": {case: (its folder, its model)}}``. Read only by the tests."""
    tmp = tmp_path_factory.mktemp("interrupt")
    X, y = load_digits(return_X_y=True)
    data = tmp / "data"
    data.mkdir()
    df = pd.DataFrame(X[:640, 16:32], columns=[f"p{i}" for i in range(16, 32)])
    df["y"] = y[:640]
    df.to_parquet(data / "t.parquet", row_group_size=16)
    runs, folders = [], {}
    for i, where in enumerate(CASES):
        out, model = tmp / f"out{i}", tmp / f"m{i}.safetensors"
        out.mkdir()
        args = ["train", str(data), "--target", "y", "--epochs", "5", "--batch-size", "32", "--hidden", "16", "--no-check",
                "--no-early-stopping", "--dtype", "float64", "--seed", "0", "--out", str(model)]
        runs.append({"out": str(out), "where": where, "port": _free_port(), "args": args})
        folders[where] = (out, model)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
    env.update(PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""), OMP_NUM_THREADS="1", HIDDENLAYERS_BACKEND="gloo",
               WORLD_SIZE="2", MASTER_ADDR="127.0.0.1")
    # rank 0 in a new session, rank 1 in a process group of its own: the test's SIGINT reaches rank 0 alone, and rank 1 learns
    # of it only through the flag the ranks agree on after each step or chunk read
    procs = [subprocess.Popen([sys.executable, WORKER, json.dumps(runs)], env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, process_group=0 if r else None,
                              start_new_session=r == 0) for r in range(2)]
    try:
        for i, where in enumerate(CASES):
            out = folders[where][0]
            # pass 2: each rank inside its first chunk's read, or a step (the first run's wait includes both processes' start)
            _wait_for([out / "waiting.0", out / "waiting.1"], procs, 60 if i else 120)
            os.killpg(procs[0].pid, signal.SIGINT)
            time.sleep(0.3)
            (out / "go").touch()  # the reads (steps) finish; the ranks agree on the flag once each has its chunk (in that all-reduce)
        results = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            p.kill()
    stderr = [dict(zip(CASES, re.split(r"^--- case \d+ ---$", err, flags=re.M)[1:])) for _, err in results]
    return {"codes": [p.returncode for p in procs], "results": results, "stderr": stderr, "cases": folders}


@pytest.mark.parametrize("where", CASES)
def test_ctrl_c_while_the_ranks_read_a_chunk_or_step_saves_the_last_whole_epoch(interrupted: dict[str, Any], where: str) -> None:
    """``read:2``: the SIGINT lands while each rank reads pass 2's first chunk (the old code raised on each rank: exit 130 and a
    gloo error, nothing saved); ``step:25``: inside step 5 of pass 2 (20 steps a pass), where each rank stopped at its own step."""
    out, model = interrupted["cases"][where]
    assert interrupted["codes"] == [0, 0], interrupted["results"]
    assert [(out / f"exit.{r}").read_text() for r in (0, 1)] == ["0", "0"], interrupted["stderr"]  # this run's command, on each rank
    # rank 0 keeps the checkpoint, as train FILE does, and names it so the launcher can say how to resume
    assert json.loads((out / "result.json").read_text()) == {"model": str(model), "stop_reason": "interrupted", "checkpoint": f"{model}.ckpt"}
    # the launcher says "interrupted: the best model so far was saved to ..." from that record and exits 130 (tests/cli); a rank
    # under it says it saved, and exits 0 (a rank's 130 would be a failure torchrun restarts with --max-restarts)
    said = interrupted["stderr"][0][where]
    assert f"note: saved {model}" in said and "interrupted: the best model" not in said
    saved = hl.MLPClassifier.load(model)
    assert saved.n_iter_ == 1 and saved.stop_reason_ == "interrupted" and len(saved.history_.train_loss) == 1
    epoch1 = torch.load(out / "epoch.1.pt", weights_only=True)
    assert not (out / "epoch.2.pt").exists()
    for k, v in saved.network_.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), epoch1[k].numpy(), err_msg=k)
    assert Path(f"{model}.ckpt").exists()  # kept: the same command again resumes from it
