"""DQNAgent(warm_start=True): fit again goes on from the fitted Q-network, its steps, epsilon and best evaluation; other spaces refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from hiddenlayers import DQNAgent
from hiddenlayers.exceptions import DataError

gym = pytest.importorskip("gymnasium")

KW: dict[str, Any] = {"learning_starts": 100, "target_update": 100, "epsilon_decay_steps": 400, "random_state": 0}


def _weights(agent: DQNAgent) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in agent.q_network_.state_dict().items()}


def _first(agent: DQNAgent) -> DQNAgent:
    return agent.fit("CartPole-v1", total_steps=300, eval_every=300, eval_episodes=2)


def test_a_warm_fit_goes_on_from_the_fitted_network_steps_and_epsilon(monkeypatch: pytest.MonkeyPatch) -> None:
    agent = _first(DQNAgent((16,), warm_start=True, **KW))
    fitted, best = _weights(agent), agent.history_.best_eval
    seen: list[float] = []
    act = agent.act
    monkeypatch.setattr(agent, "act", lambda obs, eps=0.0, rng=None: (seen.append(eps) if eps else None, act(obs, eps, rng))[1])
    agent.fit("CartPole-v1", total_steps=50, eval_every=50, eval_episodes=1)  # fewer steps than learning_starts: no update
    assert seen[0] == pytest.approx(1.0 + 301 / 400 * (0.05 - 1.0))  # step 301 of the schedule, not step 1 (1.0: random play again)
    assert agent.history_.steps == agent.training_summary_["steps"] == 350
    assert agent.history_.eval_steps == [300, 350] and agent.history_.best_eval >= best
    if agent.history_.eval_returns[-1] <= best:  # the new evaluation did not beat the fitted weights: they are kept
        assert all(torch.equal(v, fitted[k]) for k, v in agent.q_network_.state_dict().items())
    fresh = DQNAgent((16,), **KW).fit("CartPole-v1", total_steps=50, eval_every=50, eval_episodes=1)
    assert fresh.history_.steps == 50 and not all(torch.equal(v, fitted[k]) for k, v in fresh.q_network_.state_dict().items())


def test_a_loaded_agent_goes_on_from_its_file(tmp_path: Path) -> None:
    agent = _first(DQNAgent((16,), **KW))
    agent.save(tmp_path / "agent.safetensors")
    loaded = DQNAgent.load(tmp_path / "agent.safetensors").set_params(warm_start=True)
    loaded.fit("CartPole-v1", total_steps=200, eval_every=200, eval_episodes=1)
    summary = loaded.training_summary_
    assert summary["steps"] == 500 and summary["eval_steps"] == [300, 500]
    assert summary["episodes"] == agent.training_summary_["episodes"] + len(loaded.history_.episode_returns)


def test_another_environment_or_network_is_refused_and_the_agent_kept() -> None:
    agent = _first(DQNAgent((16,), warm_start=True, **KW))
    fitted, summary = _weights(agent), dict(agent.training_summary_)
    with pytest.raises(DataError, match=r"^warm_start=True goes on from a Q-network fitted on 4 observation values and 2 actions, but "
                                        r"environment 'Acrobot-v1' has 6 and 3: .*or set warm_start=False to train a new agent on it\.$"):
        agent.fit("Acrobot-v1", total_steps=50)
    agent.set_params(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match=r"warm_start=True goes on from the fitted network.*Received: hidden_layer_sizes=\(8,\)"):
        agent.fit("CartPole-v1", total_steps=50)
    assert all(torch.equal(v, fitted[k]) for k, v in agent.q_network_.state_dict().items())
    assert agent.training_summary_ == summary and agent.env_id_ == "CartPole-v1"
    agent.set_params(warm_start=False).fit("Acrobot-v1", total_steps=50, eval_every=50, eval_episodes=1)  # the fix: a new agent
    assert (agent.obs_dim_, agent.n_actions_, agent.history_.steps) == (6, 3, 50)
