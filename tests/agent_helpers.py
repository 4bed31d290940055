"""A gymnasium environment whose episodes never end, for the DQNAgent's episode cap (``max_episode_steps``).

Each step pays 1 and neither terminates nor truncates, whatever the action: greedy play of any agent never ends an episode.
An episode past ``GUARD`` steps raises, so code without a cap fails in a second instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

GUARD = 5_000  # steps of one episode after which Endless raises: far past every cap the tests set


class Endless(gym.Env):  # type: ignore[misc]
    """``obs_dim`` observation values in [0, 1], 2 actions, reward 1 a step, no end (``ends_at``: episodes that terminate at
    that step instead, to fit an agent on); ``steps``: every step taken, ``resets``: the resets."""

    def __init__(self, obs_dim: int = 1, ends_at: int | None = None) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (obs_dim,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.ends_at = ends_at
        self.t = self.steps = self.resets = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.t, self.resets = 0, self.resets + 1
        return np.zeros(self.observation_space.shape, np.float32), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.t, self.steps = self.t + 1, self.steps + 1
        if self.t > GUARD:
            raise RuntimeError(f"an episode of Endless went past {GUARD} steps: nothing cut it")
        ended = self.ends_at is not None and self.t >= self.ends_at
        return np.full(self.observation_space.shape, (self.t % 10) / 10, np.float32), 1.0, ended, False, {}


@contextlib.contextmanager
def registered_endless(env_id: str, max_episode_steps: int | None, obs_dim: int = 1) -> Iterator[str]:
    """``env_id`` registered as :class:`Endless` with that time limit (None: none) while inside; removed after."""
    gym.register(env_id, entry_point=lambda: Endless(obs_dim), max_episode_steps=max_episode_steps)
    try:
        yield env_id
    finally:
        gym.registry.pop(env_id, None)
