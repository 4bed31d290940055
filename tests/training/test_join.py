"""Forming the process group (join timeout) apart from the collectives' limit, and the ranks that wait for rank 0's work.

Two ranks training through a rank 0 pass longer than the join timeout: tests/training/test_distributed.py's launch."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hiddenlayers.training import DistributedError, _join, init_from_env

SRC = str(Path(__file__).parents[2] / "src")


class FakeStore:
    """A c10d store's calls that init_from_env and the waits make, recorded; ``beats``: what ``add(KEY/beat, 0)`` answers,
    one per look (the last repeated); ``done_at``: the look at which ``check`` says rank 0 is done; ``closed``: raise."""

    def __init__(self, beats: list[int] | None = None, done_at: int = 10**9, closed: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.keys: dict[str, Any] = {}
        self.beats, self.done_at, self.closed, self.looks = beats or [0], done_at, closed, 0

    def set(self, key: str, value: str) -> None:
        self.calls.append(("set", key))
        self.keys[key] = value

    def wait(self, keys: list[str], timeout: datetime.timedelta) -> None:
        self.calls.append(("wait", tuple(keys), timeout))

    def set_timeout(self, timeout: datetime.timedelta) -> None:
        self.calls.append(("set_timeout", timeout))

    def check(self, keys: list[str]) -> bool:
        if self.closed:
            raise RuntimeError("Failed to recv, got 0 bytes. Connection was likely closed. Did the remote server shutdown or crash?")
        self.looks += 1
        return self.looks >= self.done_at

    def add(self, key: str, amount: int) -> int:
        if amount:
            self.calls.append(("add", key, amount))
            return 0
        return self.beats[min(self.looks - 1, len(self.beats) - 1)]


def test_the_join_timeout_bounds_forming_the_group_and_the_collectives_get_pytorchs_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """``init_from_env(60)`` gave ``init_process_group`` ``timeout=60 s``: every collective of the fit had the join's limit, so
    ranks waiting while rank 0 read a large folder alone failed after a minute. The join (the store reached, every rank there)
    is bounded by it now, and the group and the store's later reads get PyTorch's default (30 min for gloo), or the given one."""
    import torch.distributed as dist

    store, made = FakeStore(), []
    monkeypatch.setattr(dist, "TCPStore", lambda *a, **kw: made.append(kw["timeout"]) or store)
    monkeypatch.setattr(dist, "PrefixStore", lambda prefix, base: base)
    monkeypatch.setattr(dist, "init_process_group", lambda *a, **kw: store.calls.append(("init", kw["timeout"])))
    monkeypatch.setattr(_join, "_GROUP", None)
    for name, value in dict(WORLD_SIZE="2", RANK="1", MASTER_ADDR="127.0.0.1", MASTER_PORT="29500", HIDDENLAYERS_BACKEND="gloo").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TORCHELASTIC_USE_AGENT_STORE", raising=False)
    assert init_from_env(60.0)
    join, default = datetime.timedelta(seconds=60), dist.default_pg_timeout
    assert default == datetime.timedelta(minutes=30) and made == [join]
    assert store.calls == [("set", "joined/1"), ("wait", ("joined/0", "joined/1"), join), ("set_timeout", default), ("init", default)]
    store.calls.clear()
    assert init_from_env(5.0, collective_timeout_s=7200)
    assert store.calls[-2:] == [("set_timeout", datetime.timedelta(hours=2)), ("init", datetime.timedelta(hours=2))]


@given(st.one_of(st.floats(max_value=0.0), st.just(float("nan"))))
def test_a_collective_timeout_that_is_not_a_positive_number_is_refused_before_any_connection(seconds: float) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORLD_SIZE", "2")
        with pytest.raises(ValueError, match=r"^collective_timeout_s must be a positive number of seconds or None\. Received: "):
            init_from_env(60.0, collective_timeout_s=seconds)


def _clock() -> tuple[Any, Any]:
    now = [0.0]
    return (lambda s: now.__setitem__(0, now[0] + 10.0)), (lambda: now[0])  # each pause: 10 s on the clock


def test_the_other_ranks_wait_as_long_as_rank_0_beats() -> None:
    """Rank 0's work for every rank (a 100 GB pass) may take longer than any limit: while its beat count moves, the others
    wait (100 looks of 10 s here, a limit of 30 s), and return once it is done."""
    sleep, clock = _clock()
    store = FakeStore(beats=[i // 2 for i in range(200)], done_at=100)
    _join.wait_for_rank_0(store, "rank_0/1", 30.0, sleep=sleep, clock=clock)
    assert store.looks == 100 and clock() > 900


def test_a_rank_0_silent_for_the_limit_is_one_line() -> None:
    """Rank 0 dead while its store lives on (hosted elsewhere): no beat for the limit (the collective timeout) is one line."""
    sleep, clock = _clock()
    store = FakeStore(beats=[0, 1, 2, 2])
    with pytest.raises(DistributedError, match=r"^rank 0 gave no sign of life for 30 s while the other ranks waited for its work: "
                                               r"it stopped or hangs; its own output, on node 0, says why\.$"):
        _join.wait_for_rank_0(store, "rank_0/1", 30.0, sleep=sleep, clock=clock)
    assert 30 < clock() - 20 <= 40  # the third look saw the last beat (at 20 s); 4 pauses more


def test_a_closed_store_is_one_line() -> None:
    with pytest.raises(DistributedError, match=r"^rank 0 stopped while the other ranks waited for its work \(the process group's store "
                                               r"closed: Failed to recv, got 0 bytes\. .*\): rank 0's own output, on node 0, says why\.$"):
        _join.wait_for_rank_0(FakeStore(closed=True), "rank_0/1", 30.0)


def test_rank_0_beats_while_it_works_and_sets_the_key_when_done(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(_join, "BEAT_S", 0.01)
    store = FakeStore()
    beat = _join.Heartbeat(store, "rank_0/3")
    for _ in range(1000):  # 10 s at most
        if len(store.calls) >= 2:
            break
        time.sleep(0.01)
    beat.stop()
    beats = len(store.calls)
    assert beats >= 2 and set(store.calls) == {("add", "rank_0/3/beat", 1)} and "rank_0/3" not in store.keys
    beat.done()
    assert store.keys == {"rank_0/3": "1"} and len(store.calls) == beats + 1  # no beat after stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: one rank of two: rank 0 hosts the store (no torchrun agent, as ranks started by hand or node 0's agent that exits) and dies
#: while it works for every rank; rank 1 prints what from_rank_0 raised, or its answer
_RANK = """
import os, sys, time
from hiddenlayers.training import DistributedError, from_rank_0, init_from_env
init_from_env(60.0)
def work():
    time.sleep(0.5)
    os._exit(7)
try:
    print(from_rank_0(work))
except DistributedError as exc:
    print(f"{type(exc).__name__}: {exc}")
    sys.exit(2)
"""


def test_a_rank_0_that_dies_while_the_others_wait_leaves_them_one_line() -> None:
    """Before, the others waited in the broadcast and failed with gloo's error and a traceback (a timeout, or 'Connection closed
    by peer'); now they wait on the store, and its closing is one line naming rank 0, at once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORCHELASTIC_")}
    env.update(PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""), OMP_NUM_THREADS="1", HIDDENLAYERS_BACKEND="gloo",
               WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()))
    ranks = [subprocess.Popen([sys.executable, "-c", _RANK], env={**env, "RANK": str(r)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for r in (0, 1)]
    outs = [p.communicate(timeout=120) for p in ranks]
    assert [p.returncode for p in ranks] == [7, 2], outs
    line = outs[1][0].strip()
    assert line.startswith("DistributedError: rank 0 stopped while the other ranks waited for its work (the process group's store "
                           "closed: ") and line.endswith("): rank 0's own output, on node 0, says why."), outs
    assert "\n" not in line and "Traceback" not in outs[1][1], outs[1][1]


@pytest.mark.parametrize(("world", "exc", "said"), [
    ("2", RuntimeError("[../third_party/gloo/gloo/transport/tcp/pair.cc:534] Connection closed by peer [127.0.0.1]:23456"), "connection closed by peer"),
    ("4", RuntimeError("[gloo/transport/tcp/pair.cc:589] Read error [::1]:41234: Connection reset by peer"), "connection reset by peer"),
    ("2", RuntimeError("[gloo/transport/tcp/pair.cc:598] Write error: Broken pipe"), "broken pipe"),
    ("1", RuntimeError("Connection closed by peer"), None),  # no group: not a lost rank
    ("2", RuntimeError("mat1 and mat2 shapes cannot be multiplied"), None),  # a bug stays a bug
    ("2", ValueError("Connection closed by peer"), None),
])
def test_a_collective_whose_peer_went_away_is_one_line(monkeypatch, world, exc, said) -> None:
    from hiddenlayers.training import lost_peer_line

    monkeypatch.setenv("WORLD_SIZE", world)
    line = lost_peer_line(exc)
    if said is None:
        assert line is None
    else:
        assert line is not None and f"({said})" in line and "\n" not in line
        assert line.startswith("the connection to another rank was lost during training") and "resumes from the checkpoint" in line
