"""`train DIR --workers N --nnodes M --node-rank R --master-addr HOST`: one run over several machines.

`train --workers N` ran on one machine only (torchrun --standalone); over several, users ran torchrun by hand, whose agent, given
a master address nobody answers at, waited its rendezvous timeout (10 minutes) with C++ tracebacks before any of our code ran.
The launcher now takes the node options, refuses inconsistent ones and checks the address in one line before torchrun starts
(none of these tests starts one but the last), and passes torchrun a rendezvous timeout of --join-timeout.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hiddenlayers as hl
import hiddenlayers.cli._train_stream as train_stream
from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._train_nodes import Nodes, check_master, master_host
from hiddenlayers.cli._train_stream import workers_outcome

SRC = str(Path(__file__).parents[2] / "src")


def _no_torchrun(*args, **kwargs):
    raise AssertionError("torchrun was started")


@pytest.fixture
def launcher(monkeypatch, tmp_path):
    """The launcher's refusals, with no torchrun to start (it would be an AssertionError, not a user error): ``train(*args)``."""
    monkeypatch.setattr(train_stream.subprocess, "Popen", _no_torchrun)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    d = tmp_path / "parts"
    d.mkdir()
    return lambda *args: run("train", d, "--target", "y", "--out", tmp_path / "m.safetensors", *args)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TWO = ("--nnodes", "2", "--master-addr", "127.0.0.1")


@pytest.mark.parametrize("args, message", [
    (["--nnodes", "2"], "--nnodes needs --workers N, the processes to start on this machine (1 or more): add --workers 1, say."),
    (["--master-addr", "h", "--node-rank", "1"], "--node-rank needs --workers N"),
    (["--workers", "1", "--nnodes", "2", "--node-rank", "1"], "--nnodes 2 needs --master-addr HOST, the address of node 0"),
    (["--workers", "1", "--nnodes", "3", "--master-addr", "h"], "--nnodes 3 needs --node-rank R: 0 on the machine --master-addr names, "
                                                                 "1 to 2 on the other machines: add it."),
    (["--workers", "1", *TWO, "--node-rank", "2"], "--node-rank must be in 0..1 for --nnodes 2. Received: 2."),
    (["--workers", "1", *TWO, "--node-rank", "-1"], "--node-rank must be in 0..1 for --nnodes 2. Received: -1."),
    (["--workers", "2", "--master-addr", "h"], "--master-addr is for a run over several machines (--nnodes 2 or more); on one machine"),
    (["--workers", "2", "--nnodes", "1", "--node-rank", "0"], "--node-rank is for a run over several machines"),
    (["--workers", "2", "--master-port", "29400"], "--master-port is for a run over several machines"),
    (["--workers", "1", "--nnodes", "2", "--master-addr", " ", "--node-rank", "0"], "--master-addr is empty"),
    (["--workers", "1", *TWO, "--node-rank", "0", "--master-port", "0"], "--master-port must be in 1..65535 (the same on every machine). "
                                                                          "Received: 0."),
    (["--workers", "1", *TWO, "--node-rank", "0", "--max-restarts", "1"], "--max-restarts 1 needs one machine: over several, torchrun's "
                                                                           "static rendezvous restarts the failed machine's workers alone"),
    (["--workers", "2", *TWO, "--node-rank", "0", "--batch-size", "10"], "--batch-size 10 is the global batch, shared out equally over "
     "the 4 processes of --workers 2 on --nnodes 2 machines, so it must be a multiple of 4: use --batch-size 8 or 12."),
    (["--workers", "1", "--nnodes", "3", "--master-addr", "127.0.0.1", "--node-rank", "0", "--batch-size", "2"],
     "shared out equally over the 3 processes of --workers 1 on --nnodes 3 machines, so it must be a multiple of 3: use --batch-size 3."),
    (["--workers", "1", *TWO, "--node-rank", "0", "--test-size", "0.1"], "--test-size holds out rows of a table in memory"),
    (["--workers", "1", *TWO, "--node-rank", "0", "--join-timeout", "0"], "--join-timeout must be a finite number of seconds > 0"),
])
def test_inconsistent_node_options_are_one_line_before_any_launch(launcher, args, message):
    assert_user_error(launcher(*args), message)


@given(st.ip_addresses(), st.integers(1, 65535), st.booleans())
def test_master_addresses_go_to_torchrun_as_its_static_rendezvous_reads_them(addr, port, bracketed):
    """IPv6 literals (::1, [::1]) were checked by resolving "[::1]", which fails, and named as "::1:29500". The address goes
    to torchrun bare, which joins HOST:PORT and splits it again (torch 2.13's parse_rendezvous_endpoint): the same host comes
    back, and the lines write an IPv6 address in brackets."""
    from torch.distributed.elastic.rendezvous.utils import parse_rendezvous_endpoint

    text = str(addr)
    host = master_host(f"[{text}]" if bracketed and addr.version == 6 else f" {text} ")
    assert host == text
    assert parse_rendezvous_endpoint(Nodes(2, 0, host, port).torchrun_args()[2].split("=", 1)[1] + f":{port}", -1) == (text, port)
    assert Nodes(2, 0, host, port).where == (f"[{text}]:{port}" if addr.version == 6 else f"{text}:{port}")


@pytest.mark.parametrize("addr, message", [
    ("[::1]:29500", "--master-addr [::1]:29500 holds a port: give the host alone (an IPv6 address bare or in brackets, ::1 or [::1]) "
                    "and the port with --master-port."),
    ("node0:29500", "--master-addr node0:29500 holds a port"),
    ("fe80::1%eth0", "--master-addr fe80::1%eth0 names an IPv6 zone (%...), which torchrun's rendezvous does not take"),
    ("[fe80::1%eth0]", "names an IPv6 zone"),
    ("[::1", "--master-addr [::1: brackets hold an IPv6 address alone ([::1], say)"),
    ("[10.0.0.1]", "brackets hold an IPv6 address alone"),
    ("1:2:3", "--master-addr 1:2:3 is not an IPv6 address nor a host name"),
    ("node 0", "--master-addr node 0 is not a host name or IP address"),
])
def test_master_addresses_torchrun_would_refuse_are_one_line(launcher, addr, message):
    assert_user_error(launcher("--workers", "1", "--nnodes", "2", "--master-addr", addr, "--node-rank", "1"), message)


def test_under_a_hand_run_torchrun_the_node_options_are_torchruns(launcher, monkeypatch):
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    assert_user_error(launcher("--nnodes", "2"), "--nnodes is for the launcher (train --workers N); under torchrun give torchrun its own "
                                                 "--nnodes and drop it from the hiddenlayers command.")


def test_an_address_that_does_not_resolve_is_one_line(launcher):
    assert_user_error(launcher("--workers", "1", "--nnodes", "2", "--master-addr", "no-such-host.invalid", "--node-rank", "1"),
                      "--master-addr no-such-host.invalid does not resolve (")


def test_node_0_must_run_where_the_master_address_points(launcher):
    # 192.0.2.1 (TEST-NET-1, RFC 5737) is no machine's own address
    assert_user_error(launcher("--workers", "1", "--nnodes", "2", "--master-addr", "192.0.2.1", "--node-rank", "0"),
                      "--master-addr 192.0.2.1 is not an address of this machine; node 0 runs where the master address points")


def test_node_0s_port_in_use_is_one_line(launcher):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_user_error(launcher("--workers", "1", *TWO, "--node-rank", "0", "--master-port", port),
                          f"--master-port {port} is in use on this machine: pick a free port")


def test_an_unreachable_node_0_is_one_line_after_the_join_timeout(launcher):
    port = _free_port()  # nobody listens there
    res = launcher("--workers", "1", *TWO, "--node-rank", "1", "--master-port", port, "--join-timeout", "1")
    assert_user_error(res, f"node 0 did not answer at 127.0.0.1:{port} within 1 s (Connection refused): start the same command with "
                           "--node-rank 0 on that machine first, and check --master-addr and --master-port")


def test_node_r_polls_until_node_0_answers():
    """A machine started before node 0 waits for it (each failed connect, a sleep), rather than failing at once. Node 0 is
    what torchrun's static rendezvous starts there: a TCPStore server, which the check's handshake must find."""
    import datetime

    from torch.distributed import TCPStore

    port, stores = _free_port(), []
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # node 0 comes up during the first wait
        slept.append(seconds)
        if len(slept) == 1:
            stores.append(TCPStore("127.0.0.1", port, None, True, datetime.timedelta(seconds=30), wait_for_workers=False))

    check_master(Nodes(2, 1, "127.0.0.1", port, 30.0), sleep=sleep)
    assert len(slept) == 1 and 0 < slept[0] <= 0.5 and stores[0].num_keys() >= 0  # the server is still serving


def test_a_listener_that_is_no_rendezvous_store_is_one_line_within_the_join_timeout():
    """Another program on node 0's port accepts the connection and never answers: torch's store client waited for its
    handshake past 10 minutes whatever --join-timeout said (torchrun hung there before any of our code ran). Now the check
    itself shakes hands, and after --join-timeout (here 1 s) says what listens is not node 0's store."""
    import threading

    from hiddenlayers.cli._common import UserError

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()  # accepts (the kernel's backlog), never answers
        port, raised = other.getsockname()[1], []

        def check() -> None:
            try:
                check_master(Nodes(2, 1, "127.0.0.1", port, 1.0))
            except UserError as exc:
                raised.append(str(exc))

        thread = threading.Thread(target=check, daemon=True)
        thread.start()
        thread.join(20)  # the old code was still waiting here
        assert not thread.is_alive(), "the check hung on a listener that never answers"
    assert raised == [f"something listens at 127.0.0.1:{port} but does not answer as node 0's rendezvous store (torchrun's) within "
                      "1 s: another program holds that port there, or an old run hangs on it; check --master-port (the same on every "
                      "machine) and what listens on it (`ss -ltnp` on node 0)."]


def test_the_launch_is_static_rendezvous_with_the_join_timeout(monkeypatch, tmp_path):
    """torchrun gets the node options and a rendezvous timeout (its store's: 600 s by default); the workers get --join-timeout as
    resolved (300 s over several machines) and none of the launcher's own options."""
    seen: list[list[str]] = []

    class Torchrun:
        def __init__(self, cmd, **kwargs):
            seen.append(cmd)
            self.returncode, self.stderr = 0, iter(())

        def wait(self):
            return 0

    monkeypatch.setattr(train_stream.subprocess, "Popen", Torchrun)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    port = _free_port()
    args = ["train", str(tmp_path), "--target", "y", "--workers", "2", "--nnodes", "2", "--node-rank", "0", "--master-addr", "127.0.0.1",
            f"--master-port={port}", "--epochs", "2"]
    monkeypatch.setattr("sys.argv", ["hiddenlayers", *args])
    ok(*args)
    cmd = seen[0]
    run_args = cmd[cmd.index("torch.distributed.run") + 1:cmd.index("hiddenlayers")]
    assert run_args == ["--nnodes=2", "--node-rank=0", "--master-addr=127.0.0.1", f"--master-port={port}", "--rdzv-conf=timeout=300",
                        "--nproc-per-node=2", "--max-restarts=0", "-m"]
    assert cmd[cmd.index("hiddenlayers") + 1:] == ["train", str(tmp_path), "--target", "y", "--epochs", "2", "--join-timeout=300"]


def test_torchruns_rendezvous_failure_and_the_other_machines_outcome_are_one_line():
    node0, node1 = Nodes(2, 0, "10.0.0.5", 29500, 60.0), Nodes(2, 1, "10.0.0.5", 29500, 60.0)
    stderr = ("Traceback (most recent call last):\n  File ...\n"
              "torch.distributed.DistStoreError: Timed out after 61 seconds waiting for clients. 1/2 clients joined.\n")
    with pytest.raises(UserError, match=r"^the 2 machines did not meet at 10.0.0.5:29500 \(Timed out after 61 seconds waiting for "
                                        r"clients. 1/2 clients joined.\): start the same command with --node-rank 1 on the other machine "
                                        r"within --join-timeout \(60 s\), with --master-addr 10.0.0.5 and --master-port 29500.$"):
        workers_outcome(1, False, None, stderr, 1, node0)
    with pytest.raises(UserError, match=r"^this machine's 1 worker\(s\) failed \(exit 1\)"):  # no store error: not said to be one
        workers_outcome(1, False, None, "Traceback ...\n", 1, node1)
    # rank 0 runs on node 0 and writes its result file there: the other machines say so, not "nothing was saved"
    assert workers_outcome(0, False, None, "", 1, node1) == (0, "note: this machine's 1 worker(s) finished; node 0 (10.0.0.5) saved "
                                                                 "the model and says where")
    assert workers_outcome(1, True, None, "", 1, node1) == (130, "note: this machine's workers stopped; node 0 (10.0.0.5) says what "
                                                                 "rank 0 saved")


def _parts(d: Path) -> None:
    """320 rows in 20 row groups of 16: each global batch of 32 is one row group from each of two ranks, or two in one process."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(320, 3))
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": (x[:, 0] + x[:, 1] > 0).astype(int)})
    d.mkdir()
    frame.to_parquet(d / "t.parquet", row_group_size=16, index=False)


def _loopback() -> str:
    """IPv6's loopback in brackets where this machine has one (the launcher's checks and torchrun's rendezvous then run over
    IPv6: `[::1]` was refused as not resolving), else IPv4's."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return "127.0.0.1"
    return "[::1]"


def test_two_machines_on_loopback_train_as_one_process(tmp_path):
    """Two `hiddenlayers train` commands, one machine each (--workers 1, --nnodes 2, node 1 started first: it waits for node 0),
    save a model that loads and equals one process's fit with the same global batch."""
    d, port, addr = tmp_path / "parts", _free_port(), _loopback()
    _parts(d)
    fit = ["--target", "y", "--hidden", "8", "--epochs", "2", "--batch-size", "32", "--dtype", "float64", "--no-early-stopping",
           "--set", "shuffle=false", "--no-check"]
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT",
                                                            "TORCHELASTIC_RUN_ID")}
    env.update(PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""), OMP_NUM_THREADS="1")
    two = tmp_path / "two.safetensors"

    def node(rank: int, *extra: str) -> subprocess.Popen[str]:
        cmd = [sys.executable, "-m", "hiddenlayers", "train", str(d), *fit, "--out", str(two), "--workers", "1", "--nnodes", "2",
               "--node-rank", str(rank), "--master-addr", addr, "--master-port", str(port), "--join-timeout", "60", *extra]
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    nodes = [node(1, "--json"), node(0)]
    outs = [p.communicate(timeout=120) for p in nodes]
    assert [p.returncode for p in nodes] == [0, 0], outs
    assert outs[0][1].strip() == f"note: this machine's 1 worker(s) finished; node 0 ({addr.strip('[]')}) saved the model and says where"
    # node 1's --json: a document on stdout (it was empty), saying node 0 saved the model
    assert json.loads(outs[0][0]) == {"model": None, "saved_by": f"node 0 ({addr.strip('[]')})", "node_rank": 1, "nnodes": 2, "processes": 1}
    assert f"note: saved {two}" in outs[1][1] and "(2 processes)" in outs[1][1], outs[1][1]
    one = tmp_path / "one.safetensors"
    ok("train", d, *fit, "--out", one)
    a, b = hl.load(two), hl.load(one)
    for x, y in zip([*a.coefs_, *a.intercepts_], [*b.coefs_, *b.intercepts_], strict=True):
        np.testing.assert_allclose(x, y, atol=1e-5, rtol=0)


def test_ranks_that_would_resume_from_other_checkpoints_stop_together(tmp_path, monkeypatch):
    """Every rank reads OUT.ckpt from its own disk: over machines without a shared folder, a re-run resumed rank 0 from its
    epoch and the others from the first (or a stale file). The ranks compare with rank 0's file and all stop with one line.
    The collectives are stand-ins here (rank 1 of 2, whose machine keeps an old checkpoint; rank 0's has none)."""
    import hiddenlayers.training as training
    from hiddenlayers.cli._train_nodes import check_same_checkpoint

    ckpt = tmp_path / "m.safetensors.ckpt"
    ckpt.write_bytes(b"an older run's checkpoint")
    sent: list[list[float]] = []
    monkeypatch.setattr(training, "distributed_world", lambda: (1, 2))
    monkeypatch.setattr(training, "from_rank_0", lambda fn: None)  # rank 0's answer: no checkpoint there
    monkeypatch.setattr(training, "reduce_sum", lambda values: sent.append(list(values)) or [float(values[0])])
    with pytest.raises(UserError, match=rf"^1 rank\(s\) on other machines do not read rank 0's checkpoint {ckpt} \(rank 0 has none; "
                                        r"theirs differs\), so the ranks would resume from different epochs: put --out in a folder"):
        check_same_checkpoint(str(ckpt))
    assert sent == [[1.0]]
    same = [ckpt.stat().st_size, training.file_sha256(ckpt)]
    monkeypatch.setattr(training, "from_rank_0", lambda fn: same)  # a shared folder: the same bytes
    check_same_checkpoint(str(ckpt))
    assert sent[-1] == [0.0]


def test_a_machine_whose_data_differs_from_rank_0s_is_one_line_before_any_row_is_read(tmp_path, monkeypatch):
    """DATA was not compared across machines (its fingerprint has modification times, which differ between copies): a
    machine with other files trained on other rows under rank 0's statistics. Stand-ins: rank 1 of 2, rank 0's copy lacks a file."""
    import hiddenlayers.training as training
    from hiddenlayers.data import ParquetSource

    d = tmp_path / "parts"
    _parts(d)
    there = tmp_path / "there"
    there.mkdir()
    (there / "t.parquet").write_bytes((d / "t.parquet").read_bytes())
    (d / "u.parquet").write_bytes((d / "t.parquet").read_bytes())
    rank_0s = ParquetSource(str(there), target="y").fingerprint()["files"]
    monkeypatch.setattr(training, "distributed_world", lambda: (1, 2))
    monkeypatch.setattr(training, "from_rank_0", lambda fn, errors=None: rank_0s if isinstance(fn(), dict) else None)
    monkeypatch.setattr(training, "from_every_rank", lambda value: [None, value])
    monkeypatch.setattr(training, "reduce_sum", lambda values: [float(v) for v in values])
    assert_user_error(run("train", d, "--target", "y", "--out", tmp_path / "m.safetensors"),
                      "DATA: rank 1 reads other training files than rank 0: 'u.parquet' is there and not on rank 0's machine; "
                      "the ranks would train on other rows under rank 0's statistics: give every machine the same files")
    assert not (tmp_path / "m.safetensors").exists()


def test_train_dir_compares_the_files_and_checkpoint_with_rank_0s_once(tmp_path, monkeypatch):
    """`train DIR` compared DATA's files, --validation's and OUT.ckpt with rank 0's before planning from the footers, then its
    fit compared them all again: every rank digested every footer and the checkpoint twice, with two collectives each. Now the
    fit takes the command's comparison. Stand-ins: rank 0 of 2 (the same files there); the fit stops at its statistics pass."""
    import hiddenlayers.estimators._fit_stream as fit_stream
    import hiddenlayers.training as training
    from hiddenlayers.data import ParquetSource

    d, valid = tmp_path / "parts", tmp_path / "valid"
    _parts(d)
    _parts(valid)
    out = tmp_path / "m.safetensors"
    compared: list[str] = []
    monkeypatch.setattr(training, "distributed_world", lambda: (0, 2))
    monkeypatch.setattr(training, "from_rank_0", lambda fn, errors=None: fn())
    monkeypatch.setattr(training, "from_every_rank", lambda value: compared.append("files") or [value, value])
    monkeypatch.setattr(training, "reduce_sum", lambda values: compared.append("checkpoint") or [float(v) for v in values])

    def scanned(src):
        raise RuntimeError(f"the fit's statistics pass over {src.path}")

    monkeypatch.setattr(fit_stream, "shared_scan", scanned)
    result = run("train", d, "--target", "y", "--validation", valid, "--out", out)
    assert "internal error RuntimeError: the fit's statistics pass" in result.output  # (the stand-in's stop)
    assert sorted(compared) == ["checkpoint", "files", "files"]  # DATA's and --validation's files, OUT.ckpt: once each
    # the fit alone (a script under torchrun) still compares both
    compared.clear()
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(tmp_path / "fit.ckpt"))
    with pytest.raises(RuntimeError, match="the fit's statistics pass"):
        hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(ParquetSource(str(d), target="y"))
    assert sorted(compared) == ["checkpoint", "files"]
