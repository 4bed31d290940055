"""``network_of``: the one lookup of a fitted model's network, for every stage (and free of PyTorch)."""

from __future__ import annotations

import subprocess
import sys

from hiddenlayers._network_of import NETWORK_ATTRS, network_of


class _Both:
    network_ = "network"
    q_network_ = "q-network"


class _Agent:
    network_ = None  # an attribute left unset reads as absent, as every caller treated it
    q_network_ = "q-network"


def test_network_first_then_an_agents_q_network_else_none() -> None:
    assert NETWORK_ATTRS == ("network_", "q_network_")
    assert network_of(_Both()) == "network"
    assert network_of(_Agent()) == "q-network"
    assert network_of(object()) is None


def test_model_devices_reads_an_agents_q_network_and_skips_what_is_not_a_module() -> None:
    import torch

    from hiddenlayers._rng import model_devices

    agent = _Agent()
    agent.q_network_ = torch.nn.Linear(2, 1)  # type: ignore[assignment]
    assert model_devices(agent) == [torch.device("cpu")]
    assert model_devices(_Both()) == []  # a network_ that is not a module: nothing to guard


def test_importing_it_imports_no_torch() -> None:
    code = "import sys, hiddenlayers._network_of; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
