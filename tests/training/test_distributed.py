"""Several processes with torch.distributed (gloo, loopback): two ranks train as one process does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

import hiddenlayers as hl

WORKER = str(Path(__file__).with_name("ddp_worker.py"))
SRC = str(Path(__file__).parents[2] / "src")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""), OMP_NUM_THREADS="1", HIDDENLAYERS_BACKEND="gloo", **extra)
    return env


def _torchrun(*args: str, restarts: int = 0, **env: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", f"--max-restarts={restarts}", WORKER, *args]
    return subprocess.run(cmd, env=_env(**env), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    X, y = load_digits(return_X_y=True)
    df = pd.DataFrame(X[:640], columns=[f"p{i}" for i in range(64)])
    df["y"] = y[:640]
    d = tmp_path_factory.mktemp("ddp")
    df.to_parquet(d / "t.parquet", row_group_size=16)  # 40 row groups of half a global batch
    return str(d)


def _weights(path: Path | str) -> list[np.ndarray]:
    m = hl.load(path)
    return [*m.coefs_, *m.intercepts_]


def test_two_ranks_with_global_batch_b_match_one_process_and_resume_after_a_kill(data: str, tmp_path: Path) -> None:
    one, two, resumed = tmp_path / "one.safetensors", tmp_path / "two.safetensors", tmp_path / "resumed.safetensors"
    single = subprocess.run([sys.executable, WORKER, data, str(one), "32"], env=_env(), capture_output=True, text=True, timeout=120)
    assert single.returncode == 0, single.stderr[-2000:]
    run = _torchrun(data, str(two), "32")
    assert run.returncode == 0, run.stderr[:3000]
    for a, b in zip(_weights(one), _weights(two)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    assert hl.load(two).n_iter_ == 3
    # rank 1 dies at step 30 (mid-epoch 2: 20 steps an epoch); torchrun restarts both, they resume from epoch 1's checkpoint
    ckpt = tmp_path / "run.ckpt"
    run = _torchrun(data, str(resumed), "32", "30", restarts=1, HIDDENLAYERS_CHECKPOINT=str(ckpt))
    assert run.returncode == 0, run.stderr[:3000]
    model = hl.load(resumed)
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    for a, b in zip(_weights(two), _weights(resumed)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


@pytest.fixture(scope="module")
def weighted(tmp_path_factory: pytest.TempPathFactory) -> str:
    X, y = load_digits(return_X_y=True)
    df = pd.DataFrame(X[:640], columns=[f"p{i}" for i in range(64)])
    df["y"] = y[:640]
    df["w"] = np.random.default_rng(0).integers(0, 4, size=640).astype(float)
    df.loc[:31, "w"] = 0.0  # the first global batch (rank 0's first row group and rank 1's) weighs nothing: skipped by both
    d = tmp_path_factory.mktemp("ddpw")
    df.to_parquet(d / "t.parquet", row_group_size=16, index=False)
    return str(d)


def test_two_ranks_with_weights_match_one_process(weighted: str, tmp_path: Path) -> None:
    """Each rank's batch mean counts by its rows' summed weight (before: refused; averaged equally it would not match),
    a batch of weight 0 on every rank makes no step, and the epoch's loss is the weighted mean over both ranks' rows.
    (Resuming after a killed rank is the unweighted test's: a restarted run reads its weights from the files again.)
    The same runs fit MLPRegressor(scale_target=True) on the digit as a number: every rank standardizes y by the
    weighted mean and std of every row, so two ranks train as one process does."""
    one, two = tmp_path / "one.safetensors", tmp_path / "two.safetensors"
    single = subprocess.run([sys.executable, WORKER, weighted, str(one), "32"], env=_env(HL_TEST_WEIGHT="w", HL_TEST_REGRESSOR="1"),
                            capture_output=True, text=True, timeout=120)
    assert single.returncode == 0, single.stderr[-2000:]
    run = _torchrun(weighted, str(two), "32", HL_TEST_WEIGHT="w", HL_TEST_REGRESSOR="1")
    assert run.returncode == 0, run.stderr[:3000]
    for a, b in zip(_weights(one), _weights(two)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    np.testing.assert_allclose(hl.load(two).loss_curve_, hl.load(one).loss_curve_, rtol=1e-6)
    reg_one, reg_two = hl.load(f"{one}.reg.safetensors"), hl.load(f"{two}.reg.safetensors")
    frame = pd.read_parquet(weighted)
    mean = np.average(frame["y"], weights=frame["w"])
    assert reg_two.target_mean_[0] == pytest.approx(mean, rel=1e-12)
    assert reg_two.target_scale_[0] == pytest.approx(np.sqrt(np.average((frame["y"] - mean) ** 2, weights=frame["w"])), rel=1e-12)
    np.testing.assert_array_equal(reg_two.target_mean_, reg_one.target_mean_)
    np.testing.assert_array_equal(reg_two.target_scale_, reg_one.target_scale_)
    for a, b in zip(_weights(f"{one}.reg.safetensors"), _weights(f"{two}.reg.safetensors")):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


def test_a_bad_master_address_is_one_clear_line(data: str, tmp_path: Path) -> None:
    env = _env(WORLD_SIZE="2", RANK="0", LOCAL_RANK="0", MASTER_ADDR="no-such-host.invalid", MASTER_PORT="29531")
    cmd = [sys.executable, "-m", "hiddenlayers", "train", data, "--target", "y", "--out", str(tmp_path / "m.safetensors"), "--join-timeout", "5"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot form the process group at no-such-host.invalid:29531"), res.stderr


def test_a_worker_that_never_joins_is_an_error_after_the_timeout(data: str, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _env(WORLD_SIZE="2", RANK="0", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    cmd = [sys.executable, "-m", "hiddenlayers", "train", data, "--target", "y", "--out", str(tmp_path / "m.safetensors"), "--join-timeout", "3"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.startswith("error: cannot form the process group at 127.0.0.1:") and "within 3 s" in res.stderr, res.stderr
