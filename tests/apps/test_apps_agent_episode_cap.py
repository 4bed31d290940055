"""DQNAgent's episode cap: ``max_episode_steps`` of ``evaluate``, ``rollout`` and ``fit``.

Greedy play ran ``while not done``: in an environment without a time limit of its own (an object made without
``gymnasium.make``, or registered with none) whose greedy policy never ends an episode, ``evaluate``, ``rollout`` and
``fit``'s evaluations never returned, and ``max_time`` was not looked at during an evaluation. Now an episode is cut after
``max_episode_steps`` steps (default: the environment's own limit, else ``MAX_EPISODE_STEPS``), as gymnasium's
``TimeLimit`` truncates it, with one warning per call. ``Endless`` raises past 5,000 steps of an episode, so the old code
fails fast here; the tests lower the default cap to keep each episode short.
"""

from __future__ import annotations

import itertools
import re
import time
import warnings
from typing import Any

import pytest

from agent_helpers import Endless, registered_endless
from hiddenlayers import DQNAgent
from hiddenlayers.apps import _agent

gym = pytest.importorskip("gymnasium")

KW: dict[str, Any] = {"learning_starts": 10, "batch_size": 8, "random_state": 0}
FIX = "pass max_episode_steps=N for another cap, or wrap the environment in gymnasium.wrappers.TimeLimit."


def _said(record: Any) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, UserWarning)]


@pytest.fixture(scope="module")
def agent() -> DQNAgent:
    """An agent of Endless's spaces, fitted for a few steps on its episodes of 10 steps."""
    return DQNAgent((8,), **KW).fit(Endless(ends_at=10), total_steps=30, eval_every=30, eval_episodes=1)


@pytest.fixture
def cap_100(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_agent, "MAX_EPISODE_STEPS", 100, raising=False)  # (raising=False: the old code, without it, fails by the guard)


def test_the_default_cap_is_ten_thousand_steps() -> None:
    assert _agent.MAX_EPISODE_STEPS == 10_000


def test_evaluate_cuts_never_ending_episodes_at_the_default_cap_with_one_warning(agent: DQNAgent, cap_100: None) -> None:
    env = Endless()
    with pytest.warns(UserWarning) as record:
        returns, lengths = agent.evaluate(env, 3, return_lengths=True)
    assert _said(record) == [f"3 of 3 greedy episodes ran 100 steps without ending and were cut there (truncated: a return is the "
                             f"rewards until then): {FIX}"]
    assert returns.tolist() == [100.0] * 3 and lengths.tolist() == [100] * 3 and env.steps == 300


def test_rollout_and_evaluate_take_the_cap(agent: DQNAgent) -> None:
    with pytest.warns(UserWarning, match=rf"^2 of 2 greedy episodes ran 7 steps without ending and were cut there .*{re.escape(FIX)}$") as record:
        states, actions = agent.rollout(Endless(), episodes=2, max_episode_steps=7)
    assert len(_said(record)) == 1 and states.shape == (14, 1) and actions.shape == (14,)
    with pytest.warns(UserWarning, match="^1 of 1 greedy episodes ran 3 steps"):
        assert agent.evaluate(Endless(), 1, max_episode_steps=3).tolist() == [3.0]


def test_an_environments_own_limit_is_not_cut_short_and_nothing_is_said(agent: DQNAgent, cap_100: None) -> None:
    """An environment with a time limit (spec.max_episode_steps, a TimeLimit wrapper) ends its episodes itself, past the
    default cap too; one whose episodes end plays as before. No warning."""
    with registered_endless("hl-test/EndlessLimited-v0", 300) as env_id, warnings.catch_warnings():
        warnings.simplefilter("error")
        returns, lengths = agent.evaluate(env_id, 2, return_lengths=True)
        assert lengths.tolist() == [300, 300] and returns.tolist() == [300.0, 300.0]
        assert agent.rollout(gym.make(env_id), episodes=1)[0].shape == (300, 1)
        assert agent.evaluate(gym.wrappers.TimeLimit(Endless(), 40), 1, max_episode_steps=40).tolist() == [40.0]  # it truncates at the cap itself


def test_an_environment_registered_without_a_limit_is_cut_at_the_default(agent: DQNAgent, cap_100: None) -> None:
    with registered_endless("hl-test/EndlessForever-v0", None) as env_id, pytest.warns(UserWarning, match="^2 of 2 greedy episodes ran 100 steps"):
        assert agent.evaluate(env_id, 2).tolist() == [100.0, 100.0]


def test_fit_on_a_never_ending_environment_finishes(cap_100: None) -> None:
    """Its evaluations never returned; training episodes are cut at the cap too (truncated: bootstrapped), one warning in all."""
    env = Endless()
    with pytest.warns(UserWarning) as record:
        agent = DQNAgent((8,), **KW).fit(env, total_steps=60, eval_every=30, eval_episodes=2)
    assert _said(record) == [f"4 of 4 greedy evaluation episodes ran 100 steps without ending and were cut there (truncated: a return is "
                             f"the rewards until then): {FIX}"]
    assert agent.history_.eval_returns == [100.0, 100.0] and agent.history_.steps == 60 and agent.stop_reason_ == "total_steps"
    with pytest.warns(UserWarning, match=r"^2 training episodes and 4 of 4 greedy evaluation episodes ran 20 steps without ending"):
        again = DQNAgent((8,), **KW).fit(Endless(), total_steps=60, eval_every=30, eval_episodes=2, max_episode_steps=20)
    assert again.history_.episode_returns == [20.0, 20.0] and again.history_.eval_returns == [20.0, 20.0]


def test_max_time_ends_an_evaluation_between_episodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock moves 1 s at each reading, and the budget is 13 s: 9 steps read 1-9 s, then the evaluation at step 10 reads
    10, 11, 12 and 13 s after its first four episodes and stops there, not after its fifth (nor, without a cap, ever)."""
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1.0 * next(ticks))
    env = Endless()
    with pytest.warns(UserWarning, match="^2 training episodes and 4 of 4 greedy evaluation episodes ran 5 steps"):
        agent = DQNAgent((8,), max_time=13.0, **KW).fit(env, total_steps=20, eval_every=10, eval_episodes=5, max_episode_steps=5)
    assert agent.stop_reason_ == "time_limit" and agent.history_.steps == 10 and agent.history_.eval_returns == [5.0]
    assert env.steps == 10 + 4 * 5


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_a_bad_cap_is_refused_before_any_play(agent: DQNAgent, bad: Any) -> None:
    message = rf"^max_episode_steps must be an integer >= 1\. Received: max_episode_steps={re.escape(repr(bad))}\.$"
    env = Endless()
    for call in (lambda: agent.evaluate(env, 1, max_episode_steps=bad), lambda: agent.rollout(env, 1, max_episode_steps=bad)):
        with pytest.raises(ValueError, match=message):
            call()
    fresh = DQNAgent((8,), **KW)
    with pytest.raises(ValueError, match=message):
        fresh.fit(env, total_steps=20, max_episode_steps=bad)
    assert env.steps == 0 and not hasattr(fresh, "q_network_")


@pytest.mark.parametrize("name", ["eval_every", "eval_episodes"])
def test_fit_refuses_no_evaluations_before_any_play(name: str) -> None:
    """``eval_every=0`` was a ZeroDivisionError at the first step; ``eval_episodes=0`` failed at the first evaluation."""
    env, agent = Endless(), DQNAgent((8,), **KW)
    with pytest.raises(ValueError, match=rf"^{name} must be an integer >= 1\. Received: {name}=0\.$"):
        agent.fit(env, total_steps=20, **{name: 0})
    assert env.steps == 0 and not hasattr(agent, "q_network_")
