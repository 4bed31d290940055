"""Ctrl-C under torch.distributed: every rank stops at the same point and rank 0 saves the last whole epoch's weights."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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


@pytest.mark.parametrize("where", ["read:2", "step:25"])
def test_ctrl_c_while_the_ranks_read_a_chunk_or_step_saves_the_last_whole_epoch(tmp_path: Path, where: str) -> None:
    """``read:2``: the SIGINT lands while each rank reads pass 2's first chunk (the old code raised on each rank: exit 130 and a
    gloo error, nothing saved); ``step:25``: inside step 5 of pass 2 (20 steps a pass), where each rank stopped at its own step."""
    X, y = load_digits(return_X_y=True)
    data = tmp_path / "data"
    data.mkdir()
    df = pd.DataFrame(X[:640, 16:32], columns=[f"p{i}" for i in range(16, 32)])
    df["y"] = y[:640]
    df.to_parquet(data / "t.parquet", row_group_size=16)
    out, model = tmp_path / "out", tmp_path / "m.safetensors"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
    env.update(PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""), OMP_NUM_THREADS="1", HIDDENLAYERS_BACKEND="gloo",
               WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), HIDDENLAYERS_RESULT_FILE=str(out / "result.json"))
    args = ["train", str(data), "--target", "y", "--epochs", "5", "--batch-size", "32", "--hidden", "16", "--no-check",
            "--no-early-stopping", "--dtype", "float64", "--seed", "0", "--out", str(model)]
    # both ranks in one new session: the test's SIGINT goes to the group, as a terminal's Ctrl-C or torchrun's reaches each rank
    procs = [subprocess.Popen([sys.executable, WORKER, str(out), where, *args], env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, process_group=0 if r else None,
                              start_new_session=r == 0) for r in range(2)]
    try:
        _wait_for([out / "waiting.0", out / "waiting.1"], procs, 60)  # pass 2: each rank inside its first chunk's read, or a step
        os.killpg(procs[0].pid, signal.SIGINT)
        time.sleep(0.3)
        (out / "go").touch()  # the reads (steps) finish; the ranks agree on the flag once each has its chunk (in that all-reduce)
        results = [p.communicate(timeout=30) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], results
    # rank 0 keeps the checkpoint, as train FILE does, and names it so the launcher can say how to resume
    assert json.loads((out / "result.json").read_text()) == {"model": str(model), "stop_reason": "interrupted", "checkpoint": f"{model}.ckpt"}
    # the launcher says "interrupted: the best model so far was saved to ..." from that record and exits 130 (tests/cli); a rank
    # under it says it saved, and exits 0 (a rank's 130 would be a failure torchrun restarts with --max-restarts)
    assert f"note: saved {model}" in results[0][1] and "interrupted: the best model" not in results[0][1]
    saved = hl.MLPClassifier.load(model)
    assert saved.n_iter_ == 1 and saved.stop_reason_ == "interrupted" and len(saved.history_.train_loss) == 1
    epoch1 = torch.load(out / "epoch.1.pt", weights_only=True)
    assert not (out / "epoch.2.pt").exists()
    for k, v in saved.network_.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), epoch1[k].numpy(), err_msg=k)
    assert Path(f"{model}.ckpt").exists()  # kept: the same command again resumes from it
