"""Several processes with torch.distributed (gloo, loopback): two ranks train as one process does."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import Result
from sklearn.datasets import load_digits

import hiddenlayers as hl

WORKER = str(Path(__file__).with_name("ddp_worker.py"))
SRC = str(Path(__file__).parents[2] / "src")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""), OMP_NUM_THREADS="1", HIDDENLAYERS_BACKEND="gloo", **extra)
    return env


def _torchrun(*args: str, restarts: int = 0, **env: str) -> subprocess.Popen[str]:
    """torchrun's launch of :data:`WORKER` on two ranks, started (the caller waits for it: ``communicate``)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", f"--max-restarts={restarts}", WORKER, *args]
    return subprocess.Popen(cmd, env=_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _frame(weights: bool) -> pd.DataFrame:
    X, y = load_digits(return_X_y=True)
    # 16 of the 64 pixels (the image's rows 2 and 3): every rank's statistics pass checks each column of each row group
    # 320 rows (10 global batches of 32 an epoch): the equalities hold at any size, and each rank's fits read every row group
    df = pd.DataFrame(X[:320, 16:32], columns=[f"p{i}" for i in range(16, 32)])
    df["y"] = y[:320]
    if weights:
        df["w"] = np.random.default_rng(0).integers(0, 4, size=320).astype(float)
        df.loc[:31, "w"] = 0.0  # the first global batch (rank 0's first row group and rank 1's) weighs nothing: skipped by both
    return df


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    d = tmp_path_factory.mktemp("ddp")
    _frame(False).to_parquet(d / "t.parquet", row_group_size=16)  # 20 row groups of half a global batch
    return str(d)


@pytest.fixture(scope="module")
def weighted(tmp_path_factory: pytest.TempPathFactory) -> str:
    d = tmp_path_factory.mktemp("ddpw")
    _frame(True).to_parquet(d / "t.parquet", row_group_size=16, index=False)
    return str(d)


@pytest.fixture(scope="module")
def runs(data: str, weighted: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The worker's fits (global batch 32) in this process (``one``) and in one torchrun launch of two ranks (``two``),
    whose first attempt loses rank 1 at step 15 of the checkpointed fit (mid-epoch 2: 10 steps an epoch; the fit with a
    validation source, ``val`` in this process): torchrun restarts both, they resume from epoch 1's checkpoint, then make
    the other fits. This process fits while the launch runs (its ranks' imports, rendezvous and rank 0's slow pass).
    Read only by the tests."""
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    bad = _frame(False)[:40].astype({"y": float})
    bad.loc[5, "y"] = np.nan  # a validation source with a missing label, which its statistics pass refuses
    (two / "badval").mkdir()
    bad.to_parquet(two / "badval" / "v.parquet", index=False)
    killed = two / "killed"
    launch = _torchrun(data, weighted, str(two), "32", "15", restarts=1, HIDDENLAYERS_CHECKPOINT=str(two / "run.ckpt"), DDP_KILL_MARK=str(killed))
    try:
        spec = importlib.util.spec_from_file_location("ddp_worker", WORKER)
        assert spec is not None and spec.loader is not None
        worker = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(worker)
        with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
            for name in ("WORLD_SIZE", "RANK", "HIDDENLAYERS_CHECKPOINT"):
                mp.delenv(name, raising=False)
            warnings.simplefilter("ignore")  # 3 epochs do not converge, on purpose
            both = worker.sources(data, weighted)
            worker.fit_all(*both, one, 32)
            worker.fit_val(*both, one, "val", 32)
            worker.fit_held_out(both[0], one, 32)
        _, stderr = launch.communicate(timeout=120)
    finally:
        if launch.poll() is None:  # a fit here failed, or the launch hangs: torchrun stops its ranks on SIGTERM
            launch.terminate()
            try:
                launch.communicate(timeout=30)
            finally:
                launch.kill()
    assert launch.returncode == 0, stderr[:3000]
    # rank 1 was killed and the restart finished: torchrun reports the first failure it saw, rank 1's exit 3 (KillAt's) or,
    # as often under load, rank 0's abort (-6) once gloo found its peer gone; the mark is KillAt's own word
    assert killed.exists() and ("exitcode: 3" in stderr or "exitcode: -6" in stderr), stderr[-3000:]
    return {"one": one, "two": two}


def _weights(path: Path | str) -> list[np.ndarray]:
    m = hl.load(path)
    return [*m.coefs_, *m.intercepts_]


def test_two_ranks_with_global_batch_b_match_one_process_and_resume_after_a_kill(runs: dict[str, Path]) -> None:
    one, two = runs["one"] / "plain.safetensors", runs["two"] / "plain.safetensors"
    for a, b in zip(_weights(one), _weights(two)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    assert hl.load(two).n_iter_ == 3
    # the fit that lost rank 1 mid-epoch 2 and resumed from the checkpoint: early stopping on a validation source, whose rising
    # scores keep the last epoch's weights (test_two_ranks_agree_on_the_validation_sources_score)
    resumed = runs["two"] / "resumed.safetensors"
    model = hl.load(resumed)
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    for a, b in zip(_weights(two), _weights(resumed)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


def test_two_ranks_with_weights_match_one_process(runs: dict[str, Path], weighted: str) -> None:
    """Each rank's batch mean counts by its rows' summed weight (before: refused; averaged equally it would not match),
    a batch of weight 0 on every rank makes no step, and the epoch's loss is the weighted mean over both ranks' rows.
    (Resuming after a killed rank is the unweighted fit's: a restarted run reads its weights from the files again.)
    The same runs fit MLPRegressor(scale_target=True) on the digit as a number: every rank standardizes y by the
    weighted mean and std of every row, so two ranks train as one process does."""
    one, two = runs["one"] / "weighted.safetensors", runs["two"] / "weighted.safetensors"
    for a, b in zip(_weights(one), _weights(two)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    np.testing.assert_allclose(hl.load(two).loss_curve_, hl.load(one).loss_curve_, rtol=1e-6)
    reg_one, reg_two = hl.load(runs["one"] / "weighted.reg.safetensors"), hl.load(runs["two"] / "weighted.reg.safetensors")
    frame = pd.read_parquet(weighted)
    mean = np.average(frame["y"], weights=frame["w"])
    assert reg_two.target_mean_[0] == pytest.approx(mean, rel=1e-12)
    assert reg_two.target_scale_[0] == pytest.approx(np.sqrt(np.average((frame["y"] - mean) ** 2, weights=frame["w"])), rel=1e-12)
    np.testing.assert_array_equal(reg_two.target_mean_, reg_one.target_mean_)
    np.testing.assert_array_equal(reg_two.target_scale_, reg_one.target_scale_)
    for a, b in zip(_weights(runs["one"] / "weighted.reg.safetensors"), _weights(runs["two"] / "weighted.reg.safetensors")):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


def test_two_ranks_agree_on_the_validation_sources_score(runs: dict[str, Path]) -> None:
    """fit(source, X_val=other_source) under torch.distributed: each rank scores its share of the validation source and the
    ranks all-reduce the sums, so both ranks hold the same scores (so early stopping stops them together), those of one process,
    and no unit of the training source is held out (t_: 3 epochs of all 320 rows, a rank's t_ its half of them). The two ranks'
    fit is the launch's checkpointed one: resumed after rank 1 was killed mid-epoch 2, it holds every epoch's score."""
    import json

    ranks = [json.loads((runs["two"] / f"val.rank{r}.json").read_text()) for r in (0, 1)]
    one = json.loads((runs["one"] / "val.rank0.json").read_text())
    assert {k: v for k, v in ranks[0].items() if k != "read_val"} == {k: v for k, v in ranks[1].items() if k != "read_val"}
    assert ranks[0]["first_epoch"] == 2 and one["first_epoch"] == 1  # the restarted ranks began at epoch 2
    assert len(one["scores"]) == 3 and one["t"] == 3 * 320 and ranks[0]["t"] == 3 * 160  # each rank its half of every row group
    np.testing.assert_allclose(ranks[0]["scores"], one["scores"], atol=2 / 640)  # weights equal to 1e-5: a row of the 320 at most may flip
    # rank 0 alone read the validation files for their statistics pass (each rank read them all before); rank 1 took its result
    assert one["read_val"] and ranks[0]["read_val"] is True and ranks[1]["read_val"] is False
    assert len(set(one["scores"])) > 1
    for a, b in zip(_weights(runs["one"] / "val.safetensors"), _weights(runs["two"] / "resumed.safetensors")):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    # its checkpoint was BackupAndRestore's (before: refused under torchrun), written by rank 0 and deleted by it at the end
    assert not (runs["two"] / "backup").exists() and not (runs["one"] / "backup").exists()


def test_the_ranks_wait_for_rank_0s_pass_longer_than_the_join_timeout(runs: dict[str, Path]) -> None:
    """The join timeout bounds forming the group only. It was every collective's limit too, so a rank waiting while rank 0
    alone read every file for the statistics pass (``from_rank_0``) failed once the pass outlasted it (60 s by default: a
    folder of a few GB). The launch's first attempt joins with a 2 s timeout and its rank 0's pass takes over 3 s: rank 1
    waited for it and trained on (rank 0's pass done, then rank 1 killed mid-epoch 2 by plan, the restart resuming from
    epoch 1's checkpoint: the fixture checks that exit status, the validation test the first epoch resumed)."""
    import json

    slow = json.loads((runs["two"] / "slow_pass.json").read_text())
    assert slow["pass_s"] > slow["join_timeout"] + 1  # the setup: rank 1 waited past the join timeout
    assert hl.load(runs["two"] / "resumed.safetensors").n_iter_ == 3
    ranks = [json.loads((runs["two"] / f"val.rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["first_epoch"] == ranks[1]["first_epoch"] == 2  # the first attempt trained epoch 1 together


def test_rank_0s_refusal_of_the_validation_source_stops_every_rank_with_its_line(runs: dict[str, Path]) -> None:
    """A validation source with a missing label: rank 0 reads it and refuses; rank 1, which reads no row of it, raises the same
    class with the same line (a launcher shows it once), and both ranks go on in step (the fits after it in the launch)."""
    import json

    said = [json.loads((runs["two"] / f"badval.rank{r}.json").read_text()) for r in (0, 1)]
    assert said[0] == said[1] and said[0][0] == "DataError"
    where = runs["two"] / "badval" / "v.parquet"
    assert said[0][1] == f"X_val: the target column 'y' has missing values (first at '{where}' row 6): drop those rows."


def test_two_ranks_agree_on_the_held_out_row_groups_score(runs: dict[str, Path]) -> None:
    """Early stopping on held-out row groups under torch.distributed: each rank scores its share of them and the ranks
    all-reduce the sums (every rank read and scored all of them, each pass), so both hold the same scores, those of one process."""
    import json

    ranks = [json.loads((runs["two"] / f"held.rank{r}.json").read_text()) for r in (0, 1)]
    one = json.loads((runs["one"] / "held.rank0.json").read_text())
    assert ranks[0] == ranks[1] and len(one["scores"]) == 3
    np.testing.assert_allclose(ranks[0]["scores"], one["scores"], atol=2 / 64)  # weights equal to 1e-5: a row of the 64 at most may flip
    np.testing.assert_allclose(ranks[0]["loss"], one["loss"], rtol=1e-4)
    assert (runs["two"] / "run.ckpt").is_file()  # $HIDDENLAYERS_CHECKPOINT's, which this fit wrote each epoch


def test_rank_0_alone_reads_the_files_for_the_statistics_pass(runs: dict[str, Path]) -> None:
    """Every rank ran the statistics pass (and its data-check tallies) over every file before: N processes read the folder N
    times before the first step. Rank 1 now takes rank 0's statistics (its scan holds no tallies: it read no row for them),
    and the fits above still equal one process's to 1e-5 (the preprocessing, classes, weights and target scaling it took)."""
    import json

    ranks = [json.loads((runs["two"] / f"scan.rank{r}.json").read_text()) for r in (0, 1)]
    one = json.loads((runs["one"] / "scan.rank0.json").read_text())
    assert one == ranks[0] == {"plain": True, "weighted": True, "weighted.reg": True}
    assert ranks[1] == {"plain": False, "weighted": False, "weighted.reg": False}


def test_fit_joins_torchruns_group_and_a_seedless_fit_starts_every_rank_from_rank_0s_weights(runs: dict[str, Path]) -> None:
    """The worker script's restarted attempt calls no init: its first ``fit(source)`` joins torchrun's group (before, each rank
    fitted every row alone, and both wrote val.rank0.json; the first attempt, which joins itself, wrote none, killed in that fit). With ``random_state=None`` each rank drew its own initial weights and, only
    gradients being all-reduced, the ranks ended with different models; they start from rank 0's draw now."""
    import json

    assert (runs["two"] / "val.rank1.json").is_file()
    for fit in ("seedless", "seedless.memory"):  # streamed; in memory, each rank on its own rows (its seed was its own too)
        ranks = [json.loads((runs["two"] / f"{fit}.rank{r}.json").read_text()) for r in (0, 1)]
        for a, b in zip(*ranks):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_the_ranks_draw_their_own_dropout_masks_from_the_same_initial_weights(runs: dict[str, Path]) -> None:
    """Every rank seeded dropout with the same seed, so the two ranks dropped the same units for their different rows (one
    process with the global batch draws a mask per row). Each rank's masks are its own now, the same again in a second fit
    of the same random_state (repeatable), rank 0's those of one process; the ranks still end with the same weights (the
    same initial weights, the gradients all-reduced)."""
    import json

    ranks = [json.loads((runs["two"] / f"dropout.rank{r}.json").read_text()) for r in (0, 1)]
    one = json.loads((runs["one"] / "dropout.rank0.json").read_text())
    assert len(ranks[0]["first"]) == len(ranks[1]["first"]) == 4  # 2 epochs of 2 batches of 16 rows
    assert ranks[0]["first"] != ranks[1]["first"]
    for r in ranks:
        assert r["first"] == r["again"]
        assert 0.3 < np.mean(r["first"]) < 0.7  # dropout=0.5 (tanh's outputs are 0 only where dropped)
    assert ranks[0]["first"] == one["first"]
    for a, b in zip(ranks[0]["weights"], ranks[1]["weights"]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _train_joining(monkeypatch: pytest.MonkeyPatch, data: str, out: Path, addr: str, port: int) -> Result:
    """``hiddenlayers train`` in this process as rank 0 of 2 joining at ``addr:port`` with a 0.5 s join timeout.
    In-process: the point is the one-line error of a failed join, not a process of its own (torchrun's launches
    above are real processes); the failed join leaves no process group behind, which each test checks."""
    from cli_helpers import run

    for name, value in dict(WORLD_SIZE="2", RANK="0", LOCAL_RANK="0", MASTER_ADDR=addr, MASTER_PORT=str(port), HIDDENLAYERS_BACKEND="gloo").items():
        monkeypatch.setenv(name, value)
    res = run("train", data, "--target", "y", "--out", out, "--join-timeout", "0.5")
    import torch.distributed as dist

    assert not dist.is_initialized() and not out.exists()
    return res


def test_a_bad_master_address_is_one_clear_line(data: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the name is retried until the timeout: half a second is enough to fail
    res = _train_joining(monkeypatch, data, tmp_path / "m.safetensors", "no-such-host.invalid", 29531)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot form the process group at no-such-host.invalid:29531"), res.stderr


def test_a_worker_that_never_joins_is_an_error_after_the_timeout(data: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = _train_joining(monkeypatch, data, tmp_path / "m.safetensors", "127.0.0.1", port)
    assert res.exit_code == 2, res.output
    # the timeout as given (was rounded: 'within 0 s'), and who is missing (was the store's own timeout message)
    assert res.stderr.startswith("error: cannot form the process group at 127.0.0.1:") and "within 0.5 s (rank 1 of 2 did not join)" in res.stderr, res.stderr
    assert "Traceback" not in res.output
