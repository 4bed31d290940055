"""DQNAgent: the TD loss falls on replayed data, a short run plays episodes, save/load, errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hiddenlayers import DQNAgent, ModelFileError, NotFittedError
from hiddenlayers.apps._agent import ReplayBuffer
from hiddenlayers.apps._fit import one_thread
from hiddenlayers.exceptions import DataError
from hiddenlayers.network import Network
from hiddenlayers.training import FlatParams, make_optimizer

gym = pytest.importorskip("gymnasium")


@pytest.fixture(scope="module")
def trained() -> DQNAgent:
    agent = DQNAgent((32, 32), learning_starts=200, target_update=200, epsilon_decay_steps=1000, random_state=0)
    return agent.fit("CartPole-v1", total_steps=1200, eval_every=600, eval_episodes=2)


def test_replay_buffer_wraps_around() -> None:
    buf = ReplayBuffer(3, 2)
    for k in range(5):
        buf.add(np.full(2, k), k % 2, float(k), np.full(2, k + 1), k == 4)
    assert buf.size == 3 and buf.pos == 2
    assert sorted(buf.r.tolist()) == [2.0, 3.0, 4.0]
    s, a, r, s2, done = buf.sample(np.random.default_rng(0), 8)
    assert s.shape == (8, 2) and a.dtype == torch.int64 and set(done.tolist()) <= {0.0, 1.0}
    np.testing.assert_array_equal((s2 - s).numpy(), np.ones((8, 2)))


def test_td_loss_decreases_on_replayed_batch() -> None:
    torch.manual_seed(0)
    env = gym.make("CartPole-v1")
    buf = ReplayBuffer(512, 4)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    for _ in range(512):
        a = int(rng.integers(2))
        nxt, r, term, trunc, _ = env.step(a)
        buf.add(obs, a, r, nxt, term)
        obs = nxt if not (term or trunc) else env.reset()[0]
    agent = DQNAgent((32,), batch_size=64, learning_rate_init=1e-3)
    online, target = Network(4, "32", 2), Network(4, "32", 2)
    target.load_state_dict(online.state_dict())
    flat = FlatParams(online)
    opt = make_optimizer("adam", flat)

    def full_loss() -> float:
        s, a, r, s2, d = (torch.from_numpy(x[: buf.size]) for x in (buf.s, buf.a, buf.r, buf.s2, buf.done))
        with torch.no_grad():
            y = r + 0.99 * (1 - d) * target(s2).gather(1, online(s2).argmax(1)[:, None])[:, 0]
            return float(F.smooth_l1_loss(online(s).gather(1, a[:, None])[:, 0], y))

    before = full_loss()
    with one_thread():
        for _ in range(150):
            agent._update(online, target, flat, opt, buf, rng, agent.learning_rate_init)
    assert full_loss() < 0.5 * before


def test_short_run_plays_episodes(trained: DQNAgent) -> None:
    h = trained.history_
    assert h.steps == 1200 and len(h.episode_returns) >= 5
    assert h.eval_steps == [600, 1200] and h.best_eval == max(h.eval_returns)
    assert len(h.losses) == 1 and np.isfinite(h.losses[0])
    returns = trained.evaluate("CartPole-v1", episodes=3)
    assert returns.shape == (3,) and (returns >= 8).all()
    assert trained.q_values(np.zeros(4)).shape == (2,) and trained.q_values(np.zeros((5, 4))).shape == (5, 2)
    assert trained.act(np.zeros(4)) in (0, 1)


def test_save_load_acts_the_same(trained: DQNAgent, tmp_path: Path) -> None:
    trained.save(tmp_path / "agent.safetensors")
    again = DQNAgent.load(tmp_path / "agent.safetensors")
    obs = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    np.testing.assert_array_equal(again.q_values(obs), trained.q_values(obs))
    assert again.get_params()["gamma"] == trained.gamma
    with pytest.raises(ModelFileError, match="holds a 'DQNAgent' model, not a Forecaster"):
        from hiddenlayers import Forecaster

        Forecaster.load(tmp_path / "agent.safetensors")


def test_load_takes_only_the_cpu(trained: DQNAgent, tmp_path: Path) -> None:
    import hiddenlayers as hl

    trained.save(tmp_path / "agent.safetensors")
    obs = np.random.default_rng(2).normal(size=(5, 4)).astype(np.float32)
    for again in (DQNAgent.load(tmp_path / "agent.safetensors", device="cpu"), hl.load(tmp_path / "agent.safetensors", device="cpu")):
        np.testing.assert_array_equal(again.q_values(obs), trained.q_values(obs))
    # any device other than the CPU ("meta" exists on every machine) is refused by name
    for load in (DQNAgent.load, hl.load):
        with pytest.raises(ValueError, match=r"^DQNAgent runs on the CPU only: load it without device= \(or with device='cpu'\)\.$"):
            load(tmp_path / "agent.safetensors", device="meta")


def test_errors() -> None:
    with pytest.raises(NotFittedError, match="not trained yet"):
        DQNAgent().act(np.zeros(4))
    with pytest.raises(DataError, match="needs a discrete action space"):
        DQNAgent().fit("Pendulum-v1", total_steps=10)
    with pytest.raises(TypeError, match="env must be a gymnasium environment or its id"):
        DQNAgent().fit(42, total_steps=10)
    with pytest.raises(ValueError, match="gamma must be a number strictly between 0.0 and 1.0. Received: gamma=1.5"):
        DQNAgent(gamma=1.5).fit("CartPole-v1", total_steps=10)
    # a Stable-Baselines3 habit: a vector of environments was "needs a discrete action space; ... MultiDiscrete([2 2])"
    vector = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync")
    with pytest.raises(TypeError, match=r"^env is a vector of 2 environments \(gymnasium.vector\), but a DQNAgent plays one at a time: pass one "
                                        r"environment, e.g. gymnasium.make\('CartPole-v1'\)\.$"):
        DQNAgent().fit(vector, total_steps=10)


@pytest.mark.parametrize(
    ("env", "tail"),
    [
        # phys2d/CartPole-v1 needs jax: not suggested where it cannot be made (nor Hopper-v5, a continuous MuJoCo one, for Nope-v1)
        ("CartPol-v1", "; close matches: 'CartPole-v1', 'CartPole-v0', 'Acrobot-v1'. Pass a registered id (gymnasium.registry) or an environment object."),
        ("cartpole-v1", "; close matches: 'CartPole-v1', 'CartPole-v0'. Pass a registered id (gymnasium.registry) or an environment object."),
        ("NoSuchGame-v0", ": pass a registered id (gymnasium.registry, e.g. 'CartPole-v1'), or install and import the package that registers it."),
        ("Nope-v1", ": pass a registered id (gymnasium.registry, e.g. 'CartPole-v1'), or install and import the package that registers it."),
        ("NoSuchSpace/Game-v0", ": pass a registered id (gymnasium.registry, e.g. 'CartPole-v1'), or install and import the package that registers it."),
        ("no_such_module_xyz:Game-v0", ": its module 'no_such_module_xyz' cannot be imported; install the package that registers it."),
    ],
    ids=["typo", "case", "no-match", "continuous-only", "namespace", "module"],
)
def test_an_unknown_environment_id_is_one_line_with_close_matches(trained: DQNAgent, env: str, tail: str) -> None:
    msg = f"Unknown gymnasium environment id {env!r}{tail}"
    before = trained.q_values(np.zeros(4))
    for call in (lambda: DQNAgent().fit(env, total_steps=10), lambda: trained.fit(env, total_steps=10),
                 lambda: trained.evaluate(env, episodes=1), lambda: trained.rollout(env, episodes=1)):
        with pytest.raises(DataError, match=f"^{re.escape(msg)}$"):
            call()
    np.testing.assert_array_equal(trained.q_values(np.zeros(4)), before)  # a failed refit changes nothing


def test_close_matches_come_from_the_registry() -> None:
    from hiddenlayers.apps._agent import _unknown_env

    registered = ["Alpha-v0", "Alpha-v1", "Beta-v0"]  # difflib orders equally close ones by its own rule
    assert _unknown_env("alpha-v2", registered, accepts=lambda name: True) == (
        "Unknown gymnasium environment id 'alpha-v2'; close matches: 'Alpha-v1', 'Alpha-v0'. Pass a registered id (gymnasium.registry) or an environment object."
    )
    assert "close matches" not in _unknown_env("Zzz", registered, accepts=lambda name: True)


def test_close_matches_are_only_environments_the_agent_accepts() -> None:
    """`Nope-v1` suggested 'Hopper-v5' (continuous actions, and MuJoCo), which fit then refused: a suggestion is now one the
    agent takes, the closest that are, and none when no close one is."""
    from hiddenlayers.apps._agent import _agent_accepts, _unknown_env

    assert [_agent_accepts(e) for e in ("CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0", "Hopper-v5", "NoSuch-v0")] == [
        True, True, False, False, False, False]
    registered = ["Walk-v0", "Walk-v1", "Walker-v1", "Talk-v1"]
    assert _unknown_env("walk-v2", registered, accepts=lambda name: name != "Walk-v1") == (
        "Unknown gymnasium environment id 'walk-v2'; close matches: 'Walk-v0', 'Walker-v1', 'Talk-v1'. Pass a registered id (gymnasium.registry) or an environment object."
    )
    assert "close matches" not in _unknown_env("walk-v2", registered, accepts=lambda name: False)


class _StopsAt(gym.Wrapper):
    """CartPole whose step() raises ``exc`` at step ``at``: an environment bug, or the user's Ctrl-C."""

    def __init__(self, at: int, exc: BaseException) -> None:
        super().__init__(gym.make("CartPole-v1"))
        self.at, self.exc, self.n = at, exc, 0

    def step(self, action):  # type: ignore[no-untyped-def]
        self.n += 1
        if self.n == self.at:
            raise self.exc
        return self.env.step(action)


def test_an_environment_that_raises_leaves_a_fitted_agent_as_it_was(trained: DQNAgent) -> None:
    obs = np.zeros((5, 4), np.float32) + 0.01
    before = (dict(vars(trained)), trained.q_values(obs))
    with pytest.raises(RuntimeError, match="simulator crashed"):
        trained.fit(_StopsAt(50, RuntimeError("simulator crashed")), total_steps=300, eval_every=100, eval_episodes=1)
    assert [k for k, v in before[0].items() if vars(trained).get(k) is not v] == [] and vars(trained).keys() == before[0].keys()
    np.testing.assert_array_equal(trained.q_values(obs), before[1])


class _Walk(gym.Env):  # type: ignore[misc]
    """Ten steps of reward 1, made without gymnasium.make (no spec, as a user's own environment class); counts the steps
    taken on a finished episode without a reset, which gymnasium leaves undefined."""

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Box(0.0, 2.0, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.t, self.done, self.stale = 0, True, 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):  # type: ignore[no-untyped-def]
        super().reset(seed=seed)
        self.t, self.done = 0, False
        return np.zeros(1, np.float32), {}

    def step(self, action):  # type: ignore[no-untyped-def]
        self.stale += self.done
        self.t += 1
        self.done = self.t >= 10
        return np.array([self.t / 10], np.float32), 1.0, self.done, False, {}


def test_an_environment_without_a_spec_starts_a_new_training_episode_after_each_evaluation() -> None:
    """The evaluation plays the training environment itself (it cannot be remade): training went on stepping the evaluation's
    finished episode from its own stale observation (3 such steps here), and cut episodes were counted as returns of 5 or 6."""
    env = _Walk()
    agent = DQNAgent((8,), learning_starts=10, batch_size=8, random_state=0).fit(env, 95, eval_every=25, eval_episodes=1)
    assert env.spec is None and env.stale == 0
    assert agent.history_.episode_returns == [10.0] * 8 and agent.history_.eval_returns and agent.history_.steps == 95


def test_ctrl_c_keeps_the_best_evaluated_weights_with_a_warning() -> None:
    from hiddenlayers.exceptions import InterruptedWarning

    agent = DQNAgent((16,), learning_starts=50, random_state=0)
    with pytest.warns(InterruptedWarning, match=r"^training interrupted by the user; restored the weights of the best evaluation \(step (100|200)\); stopped at step 250\.$") as caught:
        agent.fit(_StopsAt(250, KeyboardInterrupt()), total_steps=1000, eval_every=100, eval_episodes=1)
    assert caught[0].filename == __file__  # the warning points at the caller of fit
    assert agent.history_.steps == 250 and agent.history_.eval_steps == [100, 200]
    assert agent.q_values(np.zeros((2, 4), np.float32)).shape == (2, 2)


def test_ctrl_c_before_the_first_evaluation_keeps_the_initial_weights_with_the_shared_message() -> None:
    """The agent's Ctrl-C warning has the estimators' shape (training/_stopping.py's warn_interrupted), plus the step."""
    from hiddenlayers.exceptions import InterruptedWarning

    agent = DQNAgent((16,), learning_starts=10, random_state=0)
    with pytest.warns(InterruptedWarning, match=r"^training interrupted by the user; restored the weights of the start of this run; stopped at step 30, before the first evaluation\.$"):
        agent.fit(_StopsAt(30, KeyboardInterrupt()), total_steps=1000, eval_every=100, eval_episodes=1)
    assert agent.history_.steps == 30 and agent.history_.eval_steps == []


def test_q_values_read_without_dropout_noise_and_keep_the_mode() -> None:
    agent = DQNAgent("32:dropout=0.5", learning_starts=50, target_update=50, epsilon_decay_steps=100, random_state=0)
    agent.fit("CartPole-v1", total_steps=120, eval_every=120, eval_episodes=1)
    obs = np.zeros((5, 4), dtype=np.float32) + 0.1
    agent.q_network_.train()  # left in training mode by the user: dropout would make every read differ
    first, second = agent.q_values(obs), agent.q_values(obs)
    np.testing.assert_array_equal(first, second)
    assert agent.q_network_.training and all(m.training for m in agent.q_network_.modules())


def test_the_file_keeps_the_environment_its_spaces_and_the_training_run(trained: DQNAgent, tmp_path: Path) -> None:
    trained.save(tmp_path / "agent.safetensors")
    again = DQNAgent.load(tmp_path / "agent.safetensors")
    h = trained.history_
    assert again.env_id_ == trained.env_id_ == "CartPole-v1" and again.observation_shape_ == (4,)
    assert again.training_summary_ == trained.training_summary_ == {
        "steps": 1200, "episodes": len(h.episode_returns), "seconds": round(h.seconds, 3), "best_eval_return": h.best_eval,
        "eval_steps": [600, 1200], "eval_returns": h.eval_returns, "stop_reason": "total_steps"}


def test_evaluate_gives_each_episodes_length_on_request(trained: DQNAgent) -> None:
    returns, lengths = trained.evaluate("CartPole-v1", episodes=3, seed=5, return_lengths=True)
    np.testing.assert_array_equal(returns, trained.evaluate("CartPole-v1", episodes=3, seed=5))
    np.testing.assert_array_equal(returns, lengths)  # CartPole pays 1 per step
    assert lengths.dtype == np.int64


@pytest.mark.parametrize("call", ["evaluate", "rollout"])
def test_an_environment_of_other_spaces_is_one_data_error(trained: DQNAgent, call: str) -> None:
    # MountainCar: 2 observation values, 3 actions (the agent would have read them as 4 values, or stepped an action it never learned)
    with pytest.raises(DataError, match=re.escape("environment 'MountainCar-v0' has 2 observation values and 3 actions, but this agent learned "
                                                  "4 values and 2 actions (CartPole-v1): pass an environment with the same observation and action spaces.")):
        getattr(trained, call)("MountainCar-v0", episodes=1)
    with pytest.raises(DataError, match="a continuous action space Box"):
        trained.evaluate("MountainCarContinuous-v0", episodes=1)


def test_stop_reasons_and_the_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    agent = DQNAgent((8,), learning_starts=10, random_state=0, progress_bar=True)
    agent.fit("CartPole-v1", total_steps=200, eval_every=50, eval_episodes=1, target_return=1)  # any episode returns >= 1
    assert agent.history_.stop_reason == "target_return" and agent.history_.steps == 50
    assert "training DQNAgent" in capsys.readouterr().err  # Rich's bar on stderr
    agent.set_params(progress_bar=False, max_time=1e-9).fit("CartPole-v1", total_steps=40, eval_every=20, eval_episodes=1)
    assert agent.history_.stop_reason == agent.stop_reason_ == "time_limit" and agent.history_.steps == 1 and capsys.readouterr().err == ""


def test_act_on_a_batch_gives_one_action_per_observation(trained: DQNAgent) -> None:
    obs = np.random.default_rng(0).normal(size=(40, 4))
    actions = trained.act(obs)
    assert isinstance(actions, np.ndarray) and actions.shape == (40,) and actions.dtype == np.int64
    assert actions.tolist() == [trained.act(o) for o in obs] == trained.q_values(obs).argmax(1).tolist()
    assert trained.act(obs[:1]).shape == (1,) and isinstance(trained.act(obs[0]), int)
    explored = trained.act(obs, epsilon=1.0, rng=np.random.default_rng(0))
    assert explored.shape == (40,) and set(explored.tolist()) == {0, 1}


# -- learning_rate_init, scikit-learn's name for the step size; learning_rate read for one deprecation cycle --------------------

def _short_fit(agent: DQNAgent) -> DQNAgent:
    return agent.fit("CartPole-v1", total_steps=60, eval_every=60, eval_episodes=1)


def test_learning_rate_init_is_the_step_size_and_learning_rate_is_deprecated() -> None:
    small = dict(learning_starts=10, batch_size=8, random_state=0)
    new = _short_fit(DQNAgent((8,), learning_rate_init=0.01, **small))
    with pytest.warns(FutureWarning, match=r"'learning_rate' was renamed to 'learning_rate_init'.*pass learning_rate_init=0\.01 instead"):
        old = _short_fit(DQNAgent((8,), learning_rate=0.01, **small))
    obs = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_array_equal(old.q_values(obs), new.q_values(obs))  # the same step size, under either name
    default = _short_fit(DQNAgent((8,), **small))
    assert not np.array_equal(default.q_values(obs), new.q_values(obs))  # and the step size is read
    from sklearn.base import clone

    assert clone(DQNAgent(learning_rate=0.01)).get_params()["learning_rate"] == 0.01
    assert DQNAgent().get_params()["learning_rate"] == "deprecated" and DQNAgent().learning_rate_init == 5e-4


def test_both_step_size_names_given_is_one_error() -> None:
    with pytest.raises(ValueError, match="learning_rate=0.01 and learning_rate_init=0.02 were both given"):
        DQNAgent(learning_rate=0.01, learning_rate_init=0.02).fit("CartPole-v1", total_steps=10)


def _rewrite_params(path: Path, change: dict[str, object], drop: tuple[str, ...]) -> None:
    """Rewrite ``path``'s stored params as a file written before the rename holds them."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), "pt") as f:
        metadata = dict(f.metadata())
    doc = json.loads(metadata["hiddenlayers"])
    doc["params"] = {**{k: v for k, v in doc["params"].items() if k not in drop}, **change}
    save_file(load_file(str(path)), str(path), metadata={**metadata, "hiddenlayers": json.dumps(doc)})


@pytest.mark.parametrize("stored", ["old", "deprecated_keyword"])
def test_agent_files_of_either_spelling_load_with_learning_rate_init(tmp_path: Path, stored: str) -> None:
    import warnings

    import hiddenlayers as hl

    agent = _short_fit(DQNAgent((8,), learning_rate_init=0.002, learning_starts=10, batch_size=8, random_state=0))
    path = tmp_path / "agent.safetensors"
    agent.save(path)
    if stored == "old":  # written before the rename: learning_rate only, no learning_rate_init
        _rewrite_params(path, {"learning_rate": 0.002}, drop=("learning_rate_init",))
    else:  # written since by a user who passed learning_rate=0.002: both keys, the default in learning_rate_init
        _rewrite_params(path, {"learning_rate": 0.002, "learning_rate_init": 5e-4}, drop=())
    for again in (DQNAgent.load(path), hl.load(path)):
        assert again.learning_rate_init == 0.002 and again.learning_rate == "deprecated"
        obs = np.zeros((3, 4), np.float32)
        np.testing.assert_array_equal(again.q_values(obs), agent.q_values(obs))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # a loaded file refits without the deprecation warning: the user wrote neither
        _short_fit(again)


def test_an_agent_pickled_before_the_rename_unpickles_with_learning_rate_init() -> None:
    import pickle

    agent = DQNAgent((8,), random_state=0)
    state = {k: v for k, v in agent.__dict__.items() if k not in ("learning_rate_init", "learning_rate")}
    old = DQNAgent.__new__(DQNAgent)
    old.__setstate__({**state, "learning_rate": 0.003})
    again = pickle.loads(pickle.dumps(old))
    assert again.learning_rate_init == 0.003 and again.learning_rate == "deprecated"


def test_an_observation_space_with_no_array_shape_names_the_flattening_wrapper(trained: DQNAgent) -> None:
    # Blackjack-v1 observes a Tuple of Discrete spaces: fit crashed in a bare TypeError (np.prod(None)), evaluate said "None values"
    with pytest.raises(DataError, match=r"observation space is Tuple\(Discrete\(32\), .*FlattenObservation first\.$"):
        DQNAgent((8,), random_state=0).fit("Blackjack-v1", total_steps=10)
    with pytest.raises(DataError, match="FlattenObservation first"):
        trained.evaluate("Blackjack-v1", episodes=1)
    import gymnasium as gym

    flat = gym.wrappers.FlattenObservation(gym.make("Blackjack-v1"))  # the fix the message names trains
    agent = DQNAgent((8,), learning_starts=5, random_state=0).fit(flat, total_steps=20, eval_every=10, eval_episodes=1)
    assert agent.obs_dim_ == 45 and agent.n_actions_ == 2


def test_a_discrete_observation_space_is_refused_before_training_naming_the_one_hot_wrapper() -> None:
    # FrozenLake-v1 observes one state number (Discrete(16), shape ()): fit was accepted, then stopped at its first observation
    # with "observations must have 1 values each, e.g. shape (n, 1). Received shape ()."; and it was suggested as a close match
    from hiddenlayers.apps._agent import _agent_accepts

    with pytest.raises(DataError, match=r"observation space is Discrete\(16\), one state number: .*FlattenObservation first"):
        DQNAgent((8,), random_state=0).fit("FrozenLake-v1", total_steps=10)
    assert not _agent_accepts("FrozenLake-v1") and _agent_accepts("CartPole-v1")
    flat = gym.wrappers.FlattenObservation(gym.make("FrozenLake-v1"))  # the fix the message names trains, one-hot states
    agent = DQNAgent((8,), learning_starts=5, random_state=0).fit(flat, total_steps=20, eval_every=10, eval_episodes=1)
    assert agent.obs_dim_ == 16 and agent.evaluate(flat, episodes=1).shape == (1,)


def test_act_without_rng_draws_from_the_agents_own_seeded_generator(trained: DQNAgent, tmp_path: Path) -> None:
    # each call drew from a fresh unseeded np.random.default_rng(): a seeded agent's epsilon-greedy episodes never repeated
    trained.save(tmp_path / "agent.safetensors")
    obs = np.random.default_rng(1).normal(size=(40, 4))

    def episode() -> list[int]:
        agent = DQNAgent.load(tmp_path / "agent.safetensors")
        assert agent.random_state == 0
        return [agent.act(o, epsilon=0.5) for o in obs] + agent.act(obs, epsilon=0.5).tolist()

    first, again = episode(), episode()
    assert first == again
    greedy = trained.q_values(obs).argmax(1).tolist() * 2
    assert first != greedy  # the draws explored: the sequence is the generator's, not the argmax alone


def test_a_second_fit_of_one_agent_repeats_a_fresh_agents_fit() -> None:
    """``fit`` starts the agent's generators again from ``random_state``: refitting one agent (its own epsilon draws used
    between the fits) gives the weights, episodes, losses and later epsilon draws of a fresh agent's fit."""
    kw = dict(learning_starts=20, batch_size=16, target_update=20, epsilon_decay_steps=50, random_state=3)
    how = dict(total_steps=60, eval_every=30, eval_episodes=1)
    obs = np.random.default_rng(2).normal(size=(30, 4))

    def run(agent: DQNAgent) -> tuple:
        h = agent.history_
        return ([p.detach().clone() for p in agent.q_network_.parameters()], h.episode_returns, h.eval_returns, h.losses,
                [agent.act(o, epsilon=0.5) for o in obs])

    agent = DQNAgent((8,), **kw).fit("CartPole-v1", **how)
    first = run(agent)
    agent.fit("CartPole-v1", **how)
    again, fresh = run(agent), run(DQNAgent((8,), **kw).fit("CartPole-v1", **how))
    for other in (again, fresh):
        assert all(torch.equal(a, b) for a, b in zip(first[0], other[0]))
        assert first[1:] == other[1:]
    assert first[-1] != agent.q_values(obs).argmax(1).tolist()  # the epsilon draws explored: the generator's, not the argmax
