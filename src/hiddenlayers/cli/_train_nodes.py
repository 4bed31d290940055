"""``hiddenlayers train DIR --workers N --nnodes M --node-rank R --master-addr HOST``: one run over several machines.

The launcher runs ``torch.distributed.run`` with torchrun's static rendezvous (``--nnodes/--node-rank/--master-addr/--master-port``,
what a hand-run ``torchrun`` uses with those options): node 0's agent hosts the rendezvous store at ``HOST:PORT`` and every
other machine's agent dials it. torchrun itself, given an address nobody answers at, waits its rendezvous timeout (600 s by
default, with C++ tracebacks) before any of our code runs. So the launcher checks first, in one line each
(:func:`check_master`): ``HOST`` resolves; on node 0 it is an address of this machine and ``PORT`` is free there; on node
``R > 0`` something answers at ``HOST:PORT`` within ``--join-timeout`` seconds, and answers as a ``TCPStore`` does (torch's
store client, torchrun's agent's, waits for a silent listener's handshake past 10 minutes whatever its timeout). torchrun then gets a rendezvous timeout of
``--join-timeout`` (``--rdzv-conf timeout=S``, which static rendezvous passes to its store: how long node 0 waits for the others
to join, and the others for node 0), so a machine that vanishes mid-launch stops the others after that time, not 10 minutes.
"""

from __future__ import annotations

import errno
import ipaddress
import math
import re
import socket
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from ._common import UserError

#: ``--join-timeout``'s default on one machine (the workers start together) and over several (each machine is started by hand)
JOIN_TIMEOUT_ONE, JOIN_TIMEOUT_NODES = 60.0, 300.0

#: the options of this module, by parameter name and as typed; the launcher takes them off the workers' command line
NODE_OPTIONS = {"nnodes": "--nnodes", "node_rank": "--node-rank", "master_addr": "--master-addr", "master_port": "--master-port"}


@dataclass(frozen=True)
class Nodes:
    """Where this machine stands in a run over ``nnodes`` machines; ``Nodes()`` is one machine (``--standalone``).

    ``join_timeout``: seconds node ``R > 0`` waits for node 0 to answer, and torchrun's rendezvous timeout.
    """

    nnodes: int = 1
    node_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = 29500
    join_timeout: float = JOIN_TIMEOUT_ONE

    def torchrun_args(self) -> list[str]:
        """torchrun's rendezvous options: ``--standalone`` on one machine, else static rendezvous with a timeout."""
        if self.nnodes == 1:
            return ["--standalone"]
        return [f"--nnodes={self.nnodes}", f"--node-rank={self.node_rank}", f"--master-addr={self.master_addr}",
                f"--master-port={self.master_port}", f"--rdzv-conf=timeout={math.ceil(self.join_timeout)}"]  # an int for static rendezvous

    @property
    def where(self) -> str:
        """``HOST:PORT`` as the lines name it (``[::1]:PORT`` for an IPv6 address)."""
        return host_port(self.master_addr, self.master_port)


def host_port(host: str, port: object) -> str:
    """``host:port``, an IPv6 address in brackets (``[::1]:29500``), as a URL writes it."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def master_host(addr: str) -> str:
    """``--master-addr`` as torchrun's static rendezvous and PyTorch's ``TCPStore`` take it, or one line saying what to give.

    torch 2.13 joins ``HOST:PORT`` and splits it again at the last colon (``parse_rendezvous_endpoint``), keeps a name or
    address of ``[A-Za-z0-9_.:-]`` only, and hands the host to ``TCPStore`` and the workers' ``MASTER_ADDR`` as it is, where
    ``getaddrinfo`` resolves it: so an IPv6 address goes bare (``::1``), ``[::1]`` is unbracketed, and an address with a zone
    (``fe80::1%eth0``), which that check refuses, or a port written into the address (``host:29500``, ``[::1]:29500``) is
    refused here in one line rather than by torchrun's traceback."""
    host = addr.strip()
    if not host:
        raise UserError("--master-addr is empty: give node 0's host name or IP address.")
    if host.startswith("["):
        inner, bracket, rest = host[1:].partition("]")
        if bracket and rest.startswith(":"):
            raise _port_in_addr(addr)
        if not bracket or rest or not _is_ipv6(inner):
            raise UserError(f"--master-addr {addr}: brackets hold an IPv6 address alone ([::1], say): give the address without "
                            "them, or fix the brackets.")
        host = inner
    elif host.count(":") == 1:
        raise _port_in_addr(addr)
    elif ":" in host and not _is_ipv6(host):
        raise UserError(f"--master-addr {addr} is not an IPv6 address nor a host name: give node 0's host name or IP address.")
    if "%" in host:
        raise UserError(f"--master-addr {addr} names an IPv6 zone (%...), which torchrun's rendezvous does not take: give node 0's "
                        "global IPv6 address, its IPv4 address or its host name.")
    if not re.fullmatch(r"[\w.:-]+", host):
        raise UserError(f"--master-addr {addr} is not a host name or IP address (letters, digits, '.', '-', '_' and, for IPv6, "
                        "':'): give node 0's host name or IP address.")
    return host


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _port_in_addr(addr: str) -> UserError:
    return UserError(f"--master-addr {addr} holds a port: give the host alone (an IPv6 address bare or in brackets, ::1 or [::1]) "
                     "and the port with --master-port.")


def nodes_from_options(o: dict[str, Any], given: Collection[str], *, under_torchrun: bool) -> Nodes:
    """The :class:`Nodes` of ``train``'s options ``o`` (by parameter name; ``given``: those typed), each inconsistency refused in
    one line before anything starts: a node option without ``--workers``, or under a hand-run ``torchrun`` (whose own options
    say it), ``--nnodes 2`` without ``--master-addr`` or ``--node-rank``, ``--node-rank`` outside ``0..nnodes-1``, an address or
    rank for one machine, ``--max-restarts`` over several machines."""
    typed = [flag for name, flag in NODE_OPTIONS.items() if name in given]
    join_timeout = float(o["join_timeout"]) if o.get("join_timeout") is not None else None
    if not typed:
        return Nodes(join_timeout=join_timeout or JOIN_TIMEOUT_ONE)
    if under_torchrun:
        raise UserError(f"{typed[0]} is for the launcher (train --workers N); under torchrun give torchrun its own {typed[0]} and drop "
                        f"it from the hiddenlayers command.")
    if "workers" not in given:
        raise UserError(f"{typed[0]} needs --workers N, the processes to start on this machine (1 or more): add --workers 1, say.")
    nnodes, rank, addr, port = o["nnodes"], o["node_rank"], o["master_addr"], o["master_port"]
    if nnodes == 1:
        extra = next((flag for name, flag in NODE_OPTIONS.items() if name in given and name != "nnodes"), None)
        if extra is not None:
            raise UserError(f"{extra} is for a run over several machines (--nnodes 2 or more); on one machine --workers N needs no "
                            f"address: drop {extra}, or add --nnodes.")
        return Nodes(join_timeout=join_timeout or JOIN_TIMEOUT_ONE)
    for value, what in ((addr, "--master-addr HOST, the address of node 0 (the machine with --node-rank 0), the same on every machine"),
                        (rank, f"--node-rank R: 0 on the machine --master-addr names, {_others(nnodes)}")):
        if value is None:
            raise UserError(f"--nnodes {nnodes} needs {what}: add it.")
    if not 0 <= rank < nnodes:
        raise UserError(f"--node-rank must be in 0..{nnodes - 1} for --nnodes {nnodes}. Received: {rank}.")
    host = master_host(addr)
    if not 1 <= port <= 65535:
        raise UserError(f"--master-port must be in 1..65535 (the same on every machine). Received: {port}.")
    if o.get("max_restarts", 0) > 0:
        raise UserError(f"--max-restarts {o['max_restarts']} needs one machine: over several, torchrun's static rendezvous restarts "
                        "the failed machine's workers alone and tells the others nothing, so the run cannot resume: drop --max-restarts "
                        "(a killed run resumes when the same commands run again, where every machine reads OUT.ckpt).")
    return Nodes(nnodes, rank, host, port, join_timeout or JOIN_TIMEOUT_NODES)


def _others(nnodes: int) -> str:
    """The node ranks of the machines other than node 0, in words: "1 on the other machine", "1 to 3 on the other machines"."""
    return "1 on the other machine" if nnodes == 2 else f"1 to {nnodes - 1} on the other machines"


def check_master(nodes: Nodes, *, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
    """Before torchrun starts (a no-op on one machine): the master address resolves; on node 0 it is this machine's and its port
    is free; on node ``R > 0`` node 0 answers there within ``nodes.join_timeout`` seconds (polled). Each failure one line."""
    if nodes.nnodes == 1:
        return
    infos = _resolve(nodes)
    if nodes.node_rank == 0:
        _check_hosts(nodes, infos)
    else:
        _wait_for_node_0(nodes, infos, sleep, clock)


def _resolve(nodes: Nodes) -> list[Any]:
    """``getaddrinfo`` of the master address (TCP), or one line naming it."""
    try:
        return socket.getaddrinfo(nodes.master_addr, nodes.master_port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise UserError(f"--master-addr {nodes.master_addr} does not resolve ({why}): give node 0's host name or IP address, as "
                        "this machine can look it up (`getent hosts NAME`), the same on every machine.") from None


def _check_hosts(nodes: Nodes, infos: list[Any]) -> None:
    """Node 0 hosts the store: the master address must be one of this machine's (a bind to it succeeds) and the port free."""
    local = False
    for family, kind, proto, _, sockaddr in infos:
        with socket.socket(family, kind, proto) as s:
            try:
                s.bind((sockaddr[0], 0))
            except OSError as exc:
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
                continue
            local = True
    if not local:
        raise UserError(f"--master-addr {nodes.master_addr} is not an address of this machine; node 0 runs where the master address "
                        "points: run --node-rank 0 on that machine, or give one of this machine's addresses (`hostname -I`).")
    with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:  # the store listens on every interface, as torchrun's does
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed run's TIME_WAIT does not count: the store reuses it too
        try:
            s.bind(("::" if infos[0][0] == socket.AF_INET6 else "0.0.0.0", nodes.master_port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise UserError(f"--master-port {nodes.master_port} is in use on this machine: pick a free port (the same on every "
                            "machine), or stop what listens there.") from None


def _wait_for_node_0(nodes: Nodes, infos: list[Any], sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
    """Node ``R > 0``: poll a TCP connect to node 0's store until it answers or ``nodes.join_timeout`` seconds have passed."""
    start = clock()
    last = "no answer"
    while True:
        left = nodes.join_timeout - (clock() - start)
        for family, kind, proto, _, sockaddr in infos:
            try:
                with socket.socket(family, kind, proto) as s:
                    s.settimeout(max(0.1, min(5.0, left)))
                    s.connect(sockaddr)
            except OSError as exc:
                last = exc.strerror or type(exc).__name__
                continue
            answered = _store_answers(str(sockaddr[0]), nodes.master_port, max(1.0, left))
            if answered is None:
                return
            if answered == "hung":
                raise UserError(f"something listens at {nodes.where} but does not answer as node 0's rendezvous store (torchrun's) "
                                f"within {max(1.0, left):g} s: another program holds that port there, or an old run hangs on it; "
                                "check --master-port (the same on every machine) and what listens on it (`ss -ltnp` on node 0).")
            last = answered
        if clock() - start >= nodes.join_timeout:
            break
        sleep(min(0.5, max(0.0, nodes.join_timeout - (clock() - start))))
    raise UserError(f"node 0 did not answer at {nodes.where} within {nodes.join_timeout:g} s ({last}): start the same command "
                    "with --node-rank 0 on that machine first, and check --master-addr and --master-port (the same on every machine) "
                    "and that a firewall lets the port through; --join-timeout waits longer.")


def _store_answers(host: str, port: int, seconds: float) -> str | None:
    """Whether what accepted a connection at ``host:port`` answers as a PyTorch ``TCPStore`` (torchrun's static rendezvous
    store): None when a client's handshake succeeds within ``seconds``, ``"hung"`` when it did not return, else the error.

    Why: torchrun's agent on node ``R > 0`` dials the store as such a client, and torch's client waits for the handshake's
    reply without its timeout: against a listener that never answers (another program on the port, a hung process) it
    waited past 10 minutes whatever ``--join-timeout`` said. The probe runs in a daemon thread, left behind if it hangs (the
    command then stops); it joins nothing (no world size), so node 0's store counts only the real agents.
    """
    import datetime
    import threading

    from torch.distributed import TCPStore

    outcome: list[str | None] = []

    def probe() -> None:
        try:
            TCPStore(host, port, None, False, datetime.timedelta(seconds=seconds), wait_for_workers=False)
            outcome.append(None)
        except Exception as exc:  # noqa: BLE001 - any failure of the handshake: node 0 not (yet) there; polled again
            outcome.append(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)

    thread = threading.Thread(target=probe, name="hiddenlayers-store-probe", daemon=True)
    thread.start()
    thread.join(seconds + 1.0)
    return outcome[0] if outcome else "hung"


def rendezvous_failed(stderr: str, nodes: Nodes) -> str | None:
    """The one line for torchrun's own failure to bring the machines together (its store's ``DistStoreError`` or
    ``DistNetworkError``, below pages of traceback), or None when ``stderr`` (torchrun's) holds none: a machine that never
    joined within ``--join-timeout``, or node 0 gone between the launcher's check and torchrun's."""
    said = [ln.split(":", 1)[1].strip() for ln in stderr.splitlines() if ln.startswith(_STORE_ERRORS)]
    if not said:
        return None
    if nodes.node_rank == 0:
        fix = (f"start the same command with --node-rank {_others(nodes.nnodes)} within --join-timeout ({nodes.join_timeout:g} s), "
               f"with --master-addr {nodes.master_addr} and --master-port {nodes.master_port}")
    else:
        fix = "node 0 stopped or is unreachable: start it again first, and check the address, port and firewall"
    return f"the {nodes.nnodes} machines did not meet at {nodes.where} ({said[-1][:200]}): {fix}."


def join_run(join_timeout: float, ckpt: str) -> None:
    """A worker's start under torchrun: join the process group (``join_timeout`` seconds at most; none outside torchrun), then
    see that every rank would resume from rank 0's checkpoint ``ckpt`` (:func:`check_same_checkpoint`)."""
    from ..training import init_from_env

    init_from_env(join_timeout)
    check_same_checkpoint(ckpt)


def check_same_checkpoint(ckpt: str) -> None:
    """Under a process group: refuse, on every rank at once, a run whose ranks would not resume from one checkpoint.

    Every rank reads the checkpoint ``ckpt`` (``OUT.ckpt``) from its own disk when the run starts, and rank 0 alone writes it.
    Over several machines those are different files unless ``--out``'s folder is shared: a re-run of a killed run resumed
    rank 0 from its epoch while the other machine's ranks started again from the first (or from an older checkpoint left
    there), their steps and weights apart. The ranks compare their files with rank 0's
    (:func:`~hiddenlayers.estimators.checkpoint_differs`, which the streamed fit runs too), so each raises the same line, in the
    command's words. A no-op without a process group."""
    from ..estimators import checkpoint_differs

    differ, rank_0_has = checkpoint_differs(ckpt)
    if differ:
        has = "has one" if rank_0_has else "has none"
        raise UserError(f"{differ} rank(s) on other machines do not read rank 0's checkpoint {ckpt} (rank 0 {has}; theirs differs), so "
                        "the ranks would resume from different epochs: put --out in a folder every machine shares, or delete "
                        f"{ckpt} on every machine to train from the start.")


#: how torchrun's traceback names its store's failures (``torch.distributed.DistStoreError: Timed out after ...``)
_STORE_ERRORS = ("torch.distributed.DistStoreError:", "torch.distributed.DistNetworkError:", "torch.distributed.DistError:")


__all__ = ["JOIN_TIMEOUT_NODES", "JOIN_TIMEOUT_ONE", "NODE_OPTIONS", "Nodes", "check_master", "host_port", "master_host", "check_same_checkpoint", "join_run", "nodes_from_options", "rendezvous_failed"]
