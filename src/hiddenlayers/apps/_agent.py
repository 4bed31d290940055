"""``DQNAgent``: a Q-network of dense hidden layers learning a gymnasium game.

Deep Q-learning (Mnih et al. 2015) with the two pieces that make it stable,
experience replay and a target network, plus double-DQN targets (van Hasselt
et al. 2016): the online network picks the next action, the target network
values it. The Q-network is a :class:`~hiddenlayers.Network` (observation ->
hidden layers -> one Q-value per action) trained with the flat-buffer
optimizers of :mod:`hiddenlayers.training` in a plain loop, written out below.
Greedy evaluations during training keep the best weights seen (model
selection, since DQN is known to forget a solved task and re-learn it).
The saved file records the environment's id, its spaces and a training
summary, so ``hiddenlayers evaluate`` and ``info`` need nothing else.
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator

from .._params import AnyOf, Bool, DefaultsOnUnpickle, Interval, Options, Param, document, validate
from ..estimators import fit_keywords, restored_on_error
from ..exceptions import DataError
from ..network import Network, PortablePickle, evaluating, resolve_device
from ..training import FlatParams, ProgressBar, clip_grad_norm_, make_optimizer, warn_interrupted
from ._app_params import fraction, number, positive_int, row
from ._appfile import file_errors, load_app, restore_state, save_app, split_prefix
from ._deprecated import DEPRECATED, fit_max_time, renamed_params, renamed_stop_reason, step_size
from ._fit import check_positive_int, hidden_spec, one_thread
from ._fitted import FitRequired
from ._seed import keeps_global_rng, seed_everything, seed_of
from ._warm_fit import continues, mark_built, refuse_rebuilt


def make_env(env: Any) -> Any:
    """``env`` itself, or the gymnasium environment registered as ``env`` (a string); an unknown id is one DataError.

    Parameters
    ----------
    env : gymnasium.Env or str
        An environment, or a Gymnasium id such as ``"CartPole-v1"``.
    """
    if isinstance(env, str):
        try:
            import gymnasium as gym
        except ImportError:
            raise DataError("DQNAgent needs the 'gymnasium' package for environments: run `pip install gymnasium`.") from None
        try:
            return gym.make(env)
        except gym.error.UnregisteredEnv:  # unknown name, version or namespace
            raise DataError(_unknown_env(env, list(gym.registry))) from None
        except ModuleNotFoundError as exc:  # "module:Env-v0" ids import the module that registers Env
            if ":" not in env:
                raise
            raise DataError(f"Unknown gymnasium environment id {env!r}: its module {exc.name or env.split(':')[0]!r} cannot be imported; install the package that registers it.") from None
    if not (hasattr(env, "reset") and hasattr(env, "step") and hasattr(env, "action_space")):
        raise TypeError(f"env must be a gymnasium environment or its id (e.g. 'CartPole-v1'). Received: {type(env).__name__}.")
    if hasattr(env, "num_envs") and hasattr(env, "single_action_space"):  # a gymnasium VectorEnv: it was "needs a discrete action space; ... MultiDiscrete([2 2])"
        env_id = getattr(getattr(env, "spec", None), "id", None)
        one = f"gymnasium.make({env_id!r})" if env_id else "gymnasium.make(ID)"
        raise TypeError(f"env is a vector of {env.num_envs} environments (gymnasium.vector), but a DQNAgent plays one at a time: pass one "
                        f"environment, e.g. {one}.")
    return env


def _unknown_env(env: str, registered: list[str], accepts: Callable[[str], bool] | None = None) -> str:
    """The one-line message for an id gymnasium does not know, with up to 3 close registered ids (case ignored) that the agent
    accepts (``accepts(id)``, default :func:`_agent_accepts`): ``Nope-v1`` suggested ``Hopper-v5``, which has a continuous
    action space (and needs MuJoCo), so following the advice led to another refusal."""
    accepts = _agent_accepts if accepts is None else accepts
    by_lower = {name.lower(): name for name in registered}
    ranked = [by_lower[m] for m in difflib.get_close_matches(env.lower(), list(by_lower), n=len(by_lower), cutoff=0.6)]
    close = [name for name in ranked[:_TRIED] if accepts(name)][:3]
    if close:
        return f"Unknown gymnasium environment id {env!r}; close matches: {', '.join(repr(c) for c in close)}. Pass a registered id (gymnasium.registry) or an environment object."
    return (f"Unknown gymnasium environment id {env!r}: pass a registered id (gymnasium.registry, e.g. 'CartPole-v1'), "
            "or install and import the package that registers it.")


_TRIED = 12  # the closest registered ids _unknown_env makes to see whether the agent accepts them (each a gymnasium.make: ~1 ms)


def _agent_accepts(env_id: str) -> bool:
    """Whether ``DQNAgent.fit`` takes the registered environment ``env_id``: it can be made here (its packages installed:
    not MuJoCo's or Box2D's without them) and has a discrete action space and an observation array (a shape, not the empty one
    of a ``Discrete`` space)."""
    import warnings

    try:
        import gymnasium as gym

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated versions warn as they are made
            made = gym.make(env_id)
    except Exception:  # a missing package (DependencyNotInstalled, ImportError), a broken registration: not one to suggest
        return False
    try:
        return hasattr(made.action_space, "n") and getattr(made.observation_space, "shape", None) not in (None, ())
    finally:
        made.close()


class ReplayBuffer:
    """Fixed-size circular store of transitions ``(s, a, r, s', terminated)`` in NumPy arrays."""

    def __init__(self, capacity: int, obs_dim: int) -> None:
        self.s = np.zeros((capacity, obs_dim), np.float32)
        self.s2 = np.zeros((capacity, obs_dim), np.float32)
        self.a = np.zeros(capacity, np.int64)
        self.r = np.zeros(capacity, np.float32)
        self.done = np.zeros(capacity, np.float32)
        self.capacity, self.size, self.pos = capacity, 0, 0

    def add(self, s: np.ndarray, a: int, r: float, s2: np.ndarray, terminated: bool) -> None:
        i = self.pos
        self.s[i], self.a[i], self.r[i], self.s2[i], self.done[i] = s, a, r, s2, float(terminated)
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, batch_size: int) -> tuple[torch.Tensor, ...]:
        idx = rng.integers(0, self.size, batch_size)
        return tuple(torch.from_numpy(arr[idx]) for arr in (self.s, self.a, self.r, self.s2, self.done))


_BUILT_FROM = ("hidden_layer_sizes", "activation")  # the parameters that shape the Q-network: a warm fit refuses another value


@dataclass
class AgentHistory:
    """Per-episode training returns and the periodic greedy evaluations."""

    episode_returns: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_returns: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)  # mean TD loss per 1,000 updates
    best_eval: float = -np.inf
    steps: int = 0
    seconds: float = 0.0
    stop_reason: str = ""  # total_steps, target_return, time_limit or interrupted
    earlier_episodes: int = 0  # episodes of earlier fits whose returns are not kept (a loaded agent's file keeps their count only)

    def summary(self) -> dict[str, Any]:
        """What the saved file keeps of this run (JSON-able): steps, episodes, seconds, the evaluations and why it stopped."""
        return {"steps": self.steps, "episodes": self.earlier_episodes + len(self.episode_returns), "seconds": round(self.seconds, 3),
                "best_eval_return": float(self.best_eval) if self.eval_returns else None, "eval_steps": list(self.eval_steps),
                "eval_returns": [float(r) for r in self.eval_returns], "stop_reason": self.stop_reason}


_STEP = 5e-4  # learning_rate_init's default: a deprecated learning_rate is read only beside it
_MAX_TIME = row("max_time", None).constraint  # the shared row's check, which a deprecated fit(max_time=) value passes too

AGENT_PARAMS: tuple[Param, ...] = (
    row("hidden_layer_sizes", (128, 128), "Hidden layers of the Q-network"),
    row("activation", "relu"),
    Param("gamma", fraction(), 0.99, "Discount of future rewards"),
    row("learning_rate_init", _STEP, "Adam's step size (scikit-learn's name, as every other estimator and app)"),
    row("batch_size", 64, "Transitions per gradient step"),
    Param("buffer_size", positive_int(), 50_000, "Transitions the replay buffer keeps"),
    Param("learning_starts", positive_int(0), 1_000, "Steps of random play before learning starts"),
    Param("target_update", positive_int(), 500, "Steps between copies of the Q-network into the target network"),
    Param("epsilon_start", Interval(Real, 0, 1), 1.0, "Share of random actions at the start"),
    Param("epsilon_end", Interval(Real, 0, 1), 0.05, "Share of random actions after the decay"),
    Param("epsilon_decay_steps", positive_int(), 10_000, "Steps over which epsilon falls linearly from start to end"),
    Param("double", Bool(), True, "Double DQN: the online network picks the next action, the target network values it", check=False),
    Param("max_grad_norm", number(0, strict=True), 10.0, "Clip the gradients' global L2 norm to this"),
    row("max_time", None, "Seconds of training (wall clock: play, learning and evaluations) in each fit call, as every app's: the fit "
        "stops after the environment step in which they are reached and keeps the weights any other stop keeps (the best greedy "
        "evaluation's; the run's start if none came yet); stop_reason_ 'time_limit'; a warm fit counts its own call; None: no limit"),
    row("random_state", None),
    row("progress_bar", False, "Show a Rich progress bar over the greedy evaluations on stderr while fitting (loss: mean TD loss, val: mean return)"),
    row("warm_start", False, "fit goes on from the fitted Q-network for total_steps more (Adam restarts; the target network starts as its "
        "copy; the replay buffer, not kept, refills for learning_starts steps; epsilon goes on from the steps already taken; the best "
        "evaluation so far stays the one to beat); an environment of another observation size or action count is refused"),
    Param("learning_rate", AnyOf(Options((DEPRECATED,)), number(0, strict=True), text="a number > 0 (deprecated: use learning_rate_init)", type="float"),
          DEPRECATED, "Deprecated name of learning_rate_init, read for one deprecation cycle with a FutureWarning; pass learning_rate_init"),
)


def _eval_env(env: Any) -> Any:
    """A second copy of ``env`` for the evaluation episodes, wrappers included (``gymnasium.make`` of its spec: a
    ``FlattenObservation``-wrapped environment is evaluated wrapped, not as its bare id); its registered id where a wrapper
    records no constructor arguments (gymnasium cannot remake it); ``env`` itself where it has no spec (an environment object made
    without ``gymnasium.make``), whose training episode ``fit`` then starts again after each evaluation: it went on stepping the
    evaluation's finished episode from a stale observation, storing transitions that never happened."""
    spec = getattr(env, "spec", None)
    if spec is None:
        return env
    import gymnasium as gym

    try:
        return gym.make(spec)
    except (gym.error.Error, TypeError, ValueError):  # a wrapper gymnasium cannot remake: the bare environment, as before
        return make_env(spec.id)


def _kept_weights(hist: AgentHistory, step: int) -> str:
    """Which weights a fit interrupted at ``step`` keeps, in :func:`~hiddenlayers.training.warn_interrupted`'s words."""
    if hist.eval_steps:
        return f"the best evaluation (step {hist.eval_steps[int(np.argmax(hist.eval_returns))]}); stopped at step {step}"
    return f"the start of this run; stopped at step {step}, before the first evaluation"


def _refuse_unshaped(space: Any) -> None:
    """A ``DataError`` for an observation space with no array shape (gymnasium's ``Tuple``/``Dict``, e.g. Blackjack-v1's),
    which the Q-network cannot read, or with the empty shape of one state number (a ``Discrete`` space: FrozenLake-v1's, Taxi-v3's;
    fit started and stopped at its first observation, "must have 1 values each ... Received shape ()"): naming the wrapper
    that flattens it (one-hot, as Stable-Baselines3 reads a ``Discrete`` observation)."""
    shape = getattr(space, "shape", None)
    if shape is None:
        raise DataError(f"DQNAgent reads each observation as one array, and this environment's observation space is {space}: "
                        "wrap the environment in gymnasium.wrappers.FlattenObservation first.")
    if shape == ():
        raise DataError(f"DQNAgent reads each observation as an array, and this environment's observation space is {space}, one state "
                        "number: wrap the environment in gymnasium.wrappers.FlattenObservation first (each state a one-hot vector).")


#: the step at which a greedy episode is cut where neither the call nor the environment sets a limit (no ``spec.max_episode_steps``:
#: an environment object made without ``gymnasium.make``, or registered without a time limit): 5 times the longest limit gymnasium
#: registers for its Box2D and MuJoCo tasks (BipedalWalkerHardcore-v3's 2,000), and at 0.1-0.3 ms a greedy step a few seconds of
#: play, so a policy that never ends its episode cannot hang ``evaluate``, ``rollout`` or ``fit``'s evaluations
MAX_EPISODE_STEPS = 10_000


def _episode_cap(env: Any, max_episode_steps: int | None = None) -> int:
    """The step at which an episode of ``env`` is cut: ``max_episode_steps``, else the environment's own limit
    (``env.spec.max_episode_steps``, which gymnasium's ``TimeLimit`` wrapper enforces), else :data:`MAX_EPISODE_STEPS`.

    Parameters
    ----------
    env : gymnasium.Env
        The environment played.
    max_episode_steps : int, optional
        The cap asked for: a whole number >= 1 (anything else is a ValueError), or None for the environment's own.
    """
    if max_episode_steps is not None:
        return check_positive_int(max_episode_steps, "max_episode_steps")
    own = getattr(getattr(env, "spec", None), "max_episode_steps", None)
    return int(own) if isinstance(own, (int, np.integer)) and not isinstance(own, bool) and own > 0 else MAX_EPISODE_STEPS


def _cut_message(cap: int, evaluation: tuple[int, int], training: int | None = None) -> str:
    """The one-line warning of episodes the cap ``cap`` cut: ``evaluation`` (cut, played) greedy episodes, and ``training`` episodes
    of a fit (None: not a fit); what their returns are and how to change the cap."""
    cut, played = evaluation
    parts = [f"{training} training episode{'s' if training != 1 else ''}"] if training else []
    if cut:
        parts.append(f"{cut} of {played} greedy {'evaluation ' if training is not None else ''}episodes")
    return (f"{' and '.join(parts)} ran {cap} steps without ending and were cut there (truncated: a return is the rewards until "
            "then): pass max_episode_steps=N for another cap, or wrap the environment in gymnasium.wrappers.TimeLimit.")


def _warn_cut(message: str) -> None:
    """``message`` (:func:`_cut_message`) as a UserWarning naming the user's line."""
    import warnings

    from .._stacklevel import user_stacklevel

    warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


@dataclass
class _Played:
    """What :meth:`DQNAgent._play` played: each episode's return and steps, how many the cap cut, and whether the time ran out."""

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    cut: int = 0
    timed_out: bool = False


@dataclass
class _Evaluations:
    """``fit``'s greedy evaluations: the environment, episodes each, the episode cap and the deadline (``perf_counter`` seconds,
    None: no ``max_time``); the greedy and training episodes the cap cut so far, for one warning when the fit ends."""

    env: Any
    episodes: int
    cap: int
    deadline: float | None
    played: int = 0
    cut: int = 0
    training_cut: int = 0

    def warn(self) -> None:
        """The one warning of the episodes the cap cut in this fit, if it cut any."""
        if self.cut or self.training_cut:
            _warn_cut(_cut_message(self.cap, (self.cut, self.played), self.training_cut))


@document(AGENT_PARAMS)
class DQNAgent(FitRequired, DefaultsOnUnpickle, PortablePickle, BaseEstimator):
    """Double DQN with experience replay and a periodically copied target network.

    Example
    -------
    >>> agent = DQNAgent((64, 64), random_state=0)  # doctest: +SKIP
    >>> agent.fit("CartPole-v1", total_steps=60_000, target_return=500)  # doctest: +SKIP
    >>> agent.evaluate("CartPole-v1", episodes=100).mean()  # doctest: +SKIP
    """

    _fitted_attribute = "q_network_"
    _not_fitted = "This {name} is not trained yet. Call 'fit' with an environment before acting."
    obs_dim_: int  # set by fit (the observation's values) and load
    n_actions_: int

    def __init__(
        self,
        hidden_layer_sizes: Any = (128, 128),
        *,
        activation: str = "relu",
        gamma: float = 0.99,
        learning_rate_init: float = _STEP,
        batch_size: int = 64,
        buffer_size: int = 50_000,
        learning_starts: int = 1_000,
        target_update: int = 500,
        epsilon_start: float = 1.0,
        epsilon_end: float = 0.05,
        epsilon_decay_steps: int = 10_000,
        double: bool = True,
        max_grad_norm: float = 10.0,
        max_time: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        progress_bar: bool = False,
        warm_start: bool = False,
        learning_rate: Any = DEPRECATED,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.gamma = gamma
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.buffer_size = buffer_size
        self.learning_starts = learning_starts
        self.target_update = target_update
        self.epsilon_start = epsilon_start
        self.epsilon_end = epsilon_end
        self.epsilon_decay_steps = epsilon_decay_steps
        self.double = double
        self.max_grad_norm = max_grad_norm
        self.max_time = max_time
        self.random_state = random_state
        self.progress_bar = progress_bar
        self.learning_rate = learning_rate
        self.warm_start = warm_start

    def _check_params(self) -> float:
        """Validate the parameters; return Adam's step size: ``learning_rate_init``, or the deprecated ``learning_rate`` with a FutureWarning."""
        validate(self, AGENT_PARAMS)
        return step_size(self.learning_rate_init, self.learning_rate, _STEP)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """An agent pickled when the step size was ``learning_rate`` gets it back as ``learning_rate_init``."""
        super().__setstate__(renamed_params(state))

    @property
    def stop_reason_(self) -> str | None:
        """Why the last fit stopped, as the other apps' ``stop_reason_``: ``"total_steps"``, ``"target_return"``, ``"time_limit"``
        (``max_time``) or ``"interrupted"`` (Ctrl-C); a loaded agent's is its file's (None for a file that keeps no summary; a file's
        or pickle's ``"max_time"``, the name before ``max_time`` was a parameter, reads ``"time_limit"``)."""
        self._require_fitted()
        return (renamed_stop_reason(getattr(self, "training_summary_", None)) or {}).get("stop_reason")

    # ------------------------------------------------------------- acting
    @torch.no_grad()
    def q_values(self, obs: Any) -> np.ndarray:
        """Q-values of each action: ``(n_actions,)`` for one observation, ``(n, n_actions)`` for a batch.

        Parameters
        ----------
        obs : array-like
            One observation, or a batch ``(n, *observation shape)``.
        """
        x = self._observations(obs)
        with evaluating(self.q_network_):  # greedy values: no dropout noise, whatever mode the network was left in
            q = self.q_network_(torch.as_tensor(x.reshape(-1, self.obs_dim_))).numpy()  # (n, n_actions)
        if x.shape[-1] == self.obs_dim_:
            return q.reshape(*x.shape[:-1], self.n_actions_)
        return q[0] if x.size == self.obs_dim_ else q  # observations of a multi-dimensional space: one, or a batch

    def _observations(self, obs: Any) -> np.ndarray:
        """``obs`` as a float32 array, checked: numbers, ``obs_dim_`` values each, all finite."""
        self._require_fitted()
        try:
            x = np.asarray(obs, dtype=np.float32)
        except (TypeError, ValueError):
            raise DataError(f"observations must be numbers, {self.obs_dim_} per observation. Received: {type(obs).__name__}.") from None
        trailing = np.cumprod(x.shape[::-1])  # values in the last 1, 2, ... axes: one of them must be one observation
        if x.size == 0 or self.obs_dim_ not in trailing:
            raise DataError(f"observations must have {self.obs_dim_} values each, e.g. shape (n, {self.obs_dim_}). Received shape {x.shape}.")
        if not np.isfinite(x).all():
            raise DataError("observations contain NaN or infinity: the Q-network needs finite values; check the environment's output.")
        return x

    def network_input(self, obs: Any) -> np.ndarray:
        """Observations as the Q-network reads them: float32 ``(n, obs_dim)`` (the lens uses this).

        Parameters
        ----------
        obs : array-like
            One observation or a batch of them.
        """
        return self._observations(obs).reshape(-1, self.obs_dim_)

    def act(self, obs: Any, epsilon: float = 0.0, rng: np.random.Generator | None = None) -> Any:
        """Greedy action for ``obs`` (random with probability ``epsilon``): an ``int`` for one observation, an int64 array
        ``(n,)`` for a batch ``(n, *observation shape)``, each row's action drawn alike.

        Why per row: the argmax of a batch's flattened Q-values was one index into ``n x n_actions`` values, not an action
        (``act(np.zeros((3, 4)))`` on CartPole could return 5).

        Parameters
        ----------
        obs : array-like
            One observation, or a batch of them ``(n, *observation shape)``.
        epsilon : float
            Probability of a random action instead of the greedy one, in [0, 1].
        rng : numpy.random.Generator, optional
            The random source of the epsilon draws (default: the agent's own, seeded by ``random_state`` at the first
            call after ``fit`` or ``load``, so a seeded agent's epsilon-greedy episodes repeat).
        """
        q = self.q_values(obs)
        gen = rng if rng is not None else self._act_generator() if epsilon > 0 else None
        if q.ndim == 1:
            if gen is not None and gen.random() < epsilon:
                return int(gen.integers(self.n_actions_))
            return int(np.argmax(q))
        actions = q.argmax(axis=-1).astype(np.int64)
        if gen is not None:
            explore = gen.random(actions.shape) < epsilon
            actions[explore] = gen.integers(self.n_actions_, size=int(explore.sum()))
        return actions

    def _act_generator(self) -> np.random.Generator:
        """The generator of :meth:`act`'s epsilon draws where no ``rng`` is given: made from ``random_state`` (read as
        scikit-learn reads it, :func:`._seed.seed_of`) on first use and kept; ``fit`` starts it again.

        Why: each call drew from a fresh unseeded ``np.random.default_rng()``, so a seeded agent's episodes never repeated.
        """
        gen = self.__dict__.get("_act_rng")
        if gen is None:
            gen = self._act_rng = np.random.default_rng([seed_of(self.random_state), 0xAC7])  # (a stream apart from fit's)
        return gen

    def evaluate(self, env: Any, episodes: int = 100, seed: int = 10_000, *, return_lengths: bool = False,
                 max_episode_steps: int | None = None) -> Any:
        """Returns of ``episodes`` greedy episodes (seeds ``seed``, ``seed + 1``, ...): shape ``(episodes,)``.

        An environment whose observations or actions differ from the ones the agent learned is one DataError naming both.
        An episode that has not ended after ``max_episode_steps`` steps is cut there, as gymnasium's ``TimeLimit`` truncates it
        (its return: the rewards until then), and one UserWarning says how many were cut: a policy that never ends its
        episode in an environment without a time limit of its own played forever.

        Parameters
        ----------
        env : gymnasium.Env or str
            The environment, or its Gymnasium id.
        episodes : int
            Episodes to play.
        seed : int
            The first episode's reset seed.
        return_lengths : bool
            Return ``(returns, lengths)``: the steps of each episode too.
        max_episode_steps : int, optional
            Steps after which an episode is cut (>= 1). Default: the environment's own limit (``env.spec.max_episode_steps``,
            gymnasium's ``TimeLimit``: nothing is cut before it ends the episode itself), else :data:`MAX_EPISODE_STEPS` (10,000).
        """
        self._require_fitted()
        env = self.check_env(env)
        cap, episodes = _episode_cap(env, max_episode_steps), check_positive_int(episodes, "episodes")
        with one_thread():
            played = self._play(env, episodes, seed, cap)
        if played.cut:
            _warn_cut(_cut_message(cap, (played.cut, episodes)))
        out = np.asarray(played.returns)
        return (out, np.asarray(played.lengths, dtype=np.int64)) if return_lengths else out

    def _play(self, env: Any, episodes: int, seed: int, cap: int, deadline: float | None = None,
              seen: list[tuple[np.ndarray, int]] | None = None) -> _Played:
        """Greedy episodes of ``env`` (reset seeds ``seed``, ``seed + 1``, ...), each cut after ``cap`` steps; after the episode
        in which ``time.perf_counter()`` reaches ``deadline`` no other starts. ``seen``: each step's (observation, action) is
        appended to it (:meth:`rollout`)."""
        played = _Played()
        for k in range(episodes):
            obs, _ = env.reset(seed=seed + k)
            total, n, done = 0.0, 0, False
            while not done and n < cap:
                a = self.act(obs)
                if seen is not None:
                    seen.append((np.asarray(obs, np.float32).reshape(-1), a))
                obs, r, term, trunc, _ = env.step(a)
                total, n, done = total + float(r), n + 1, bool(term or trunc)
            played.returns.append(total)
            played.lengths.append(n)
            played.cut += not done
            if deadline is not None and time.perf_counter() >= deadline:
                played.timed_out = k + 1 < episodes
                break
        return played

    def check_env(self, env: Any) -> Any:
        """``env`` (or the environment its id makes), checked to have the observation size and action count the agent learned.

        Parameters
        ----------
        env : gymnasium.Env or str
            An environment, or a Gymnasium id such as ``"CartPole-v1"``.
        """
        self._require_fitted()
        env = make_env(env)
        space, actions = getattr(env, "observation_space", None), getattr(env, "action_space", None)
        if space is None or actions is None:  # a bare object with reset/step: its observations are checked as they come
            return env
        _refuse_unshaped(space)
        obs_dim = int(np.prod(space.shape))
        n_actions = int(actions.n) if hasattr(actions, "n") else None
        if (obs_dim, n_actions) != (self.obs_dim_, self.n_actions_):
            name = getattr(getattr(env, "spec", None), "id", None) or type(env).__name__
            has = f"{obs_dim} observation values and {n_actions} actions" if n_actions is not None else f"{obs_dim} observation values and a continuous action space {actions}"
            trained = f" ({self.env_id_})" if getattr(self, "env_id_", None) else ""
            raise DataError(f"environment {name!r} has {has}, but this agent learned {self.obs_dim_} values and {self.n_actions_} actions{trained}: "
                            "pass an environment with the same observation and action spaces.")
        return env

    def rollout(self, env: Any, episodes: int = 5, seed: int = 10_000, *, max_episode_steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Play ``episodes`` greedy episodes; return every observation seen ``(n, obs_dim)`` and the action taken ``(n,)``.

        The states the agent actually visits: what to look inside its Q-network with
        (``hl.lens.report(agent, states, actions)``).

        Parameters
        ----------
        env, episodes, seed, max_episode_steps
            As :meth:`evaluate` takes them: the environment (or its Gymnasium id), the episodes to play, the first
            episode's reset seed (then ``seed + 1``, ...) and the steps after which an episode is cut (default: the
            environment's own limit, else 10,000; one UserWarning says how many episodes were cut).
        """
        env = self.check_env(env)
        cap, episodes = _episode_cap(env, max_episode_steps), check_positive_int(episodes, "episodes")
        seen: list[tuple[np.ndarray, int]] = []
        with one_thread():
            played = self._play(env, episodes, seed, cap, seen=seen)
        if played.cut:
            _warn_cut(_cut_message(cap, (played.cut, episodes)))
        return np.stack([o for o, _ in seen]), np.asarray([a for _, a in seen], dtype=np.int64)

    # ----------------------------------------------------------- learning
    @fit_keywords
    def fit(
        self,
        env: Any,
        total_steps: int = 100_000,
        *,
        eval_every: int = 5_000,
        eval_episodes: int = 10,
        target_return: float | None = None,
        max_episode_steps: int | None = None,
        max_time: float | None = None,
    ) -> DQNAgent:
        """Learn from ``total_steps`` environment steps (fewer once ``target_return`` is reached in evaluation).

        Every ``eval_every`` steps the greedy policy plays ``eval_episodes`` episodes on a separate copy of the environment
        (on ``env`` itself where it has no spec to remake it from, an environment object made without ``gymnasium.make``:
        the training episode then starts again after each evaluation); the best-scoring weights are kept and restored at the end. With ``warm_start=True`` a fitted agent goes on
        (:meth:`_start`). The time budget is the ``max_time`` parameter; ``fit(max_time=...)`` is its deprecated place, read
        for one release with a FutureWarning (both given: a ValueError). It is checked after each environment step and after
        each evaluation episode: an evaluation under way when it runs out ends after the episode then playing (its mean is over
        the episodes played), and the fit stops there (``stop_reason_`` ``"time_limit"``).

        Every episode, training's and the evaluations', is cut after ``max_episode_steps`` steps if it has not ended, as
        gymnasium's ``TimeLimit`` truncates it (a truncation, not a terminal state: its last target still bootstraps); one
        UserWarning at the end says how many were cut.

        Parameters
        ----------
        env : gymnasium.Env or str
            The environment to learn, or its Gymnasium id.
        total_steps : int
            Environment steps to learn from.
        eval_every : int
            Steps between evaluations of the greedy policy.
        eval_episodes : int
            Episodes per evaluation.
        target_return : float, optional
            Stop once an evaluation's mean return reaches this.
        max_episode_steps : int, optional
            Steps after which an episode is cut (>= 1), as :meth:`evaluate` takes it. Default: the environment's own limit
            (``env.spec.max_episode_steps``), else :data:`MAX_EPISODE_STEPS` (10,000).
        max_time : float, optional
            Deprecated here (use the ``max_time`` parameter): a time budget in seconds.
        """
        lr = self._check_params()
        max_time = fit_max_time(self.max_time, max_time, _MAX_TIME)
        for value, name in ((total_steps, "total_steps"), (eval_every, "eval_every"), (eval_episodes, "eval_episodes")):
            check_positive_int(value, name)  # before any play (eval_every=0 was a ZeroDivisionError at the first step)
        if max_episode_steps is not None:
            check_positive_int(max_episode_steps, "max_episode_steps")
        with one_thread(), restored_on_error(self):  # an environment that raises mid-fit leaves a fitted agent as it was
            return self._fit(env, total_steps, eval_every, (eval_episodes, max_episode_steps), target_return, max_time, lr)

    @keeps_global_rng
    def _fit(self, env: Any, total_steps: int, eval_every: int, eval_plan: tuple[int, int | None], target_return: float | None,
             max_time: float | None, lr: float) -> DQNAgent:
        """:meth:`fit`'s play and learning; ``eval_plan``: (``eval_episodes``, ``max_episode_steps``)."""
        env = make_env(env)
        if not hasattr(env.action_space, "n"):
            raise DataError(f"DQNAgent needs a discrete action space; this environment has {env.action_space}.")
        _refuse_unshaped(env.observation_space)
        gen_seed = seed_everything(self.random_state).initial_seed()  # before a fresh Q-network is built: its weights come from this seed
        rng = np.random.default_rng(gen_seed)
        online, hist = self._start(env)
        before, seconds_before = hist.steps, hist.seconds  # a warm fit's steps and seconds so far (0 for a fresh fit)
        target = Network(self.obs_dim_, hidden_spec(self.hidden_layer_sizes), self.n_actions_, activation=self.activation, init="none")
        target.load_state_dict(online.state_dict())  # (a warm fit's too: the target network is not kept, it starts as the Q-network)
        target.eval()
        self.q_network_ = online
        flat = FlatParams(online)
        opt = make_optimizer("adam", flat)
        buffer = ReplayBuffer(self.buffer_size, self.obs_dim_)
        best = flat.data.clone()  # a warm fit's: the fitted weights, the best evaluation's so far (hist.best_eval)
        bar = ProgressBar(-(-total_steps // eval_every), "training DQNAgent") if self.progress_bar else None  # one tick per evaluation
        t0 = time.perf_counter()
        evals = _Evaluations(_eval_env(env), eval_plan[0], _episode_cap(env, eval_plan[1]), None if max_time is None else t0 + max_time)
        obs, _ = env.reset(seed=int(gen_seed % 2**31))
        ep_return, ep_steps, loss_sum, n_updates = 0.0, 0, 0.0, 0
        losses: list[float] = []  # TD losses since the last evaluation (the progress bar's)
        step = 0
        if bar is not None:
            bar.on_train_begin()
        try:
            for step in range(1, total_steps + 1):
                frac = min(1.0, (before + step) / self.epsilon_decay_steps)  # epsilon goes on from the steps of earlier fits
                eps = self.epsilon_start + frac * (self.epsilon_end - self.epsilon_start)
                online.eval()
                action = self.act(obs, eps, rng)
                nxt, r, term, trunc, _ = env.step(action)
                buffer.add(np.asarray(obs, np.float32).reshape(-1), action, float(r), np.asarray(nxt, np.float32).reshape(-1), bool(term))
                obs, ep_return, ep_steps = nxt, ep_return + float(r), ep_steps + 1
                if term or trunc or ep_steps >= evals.cap:  # a truncation (time limit or cap) is no terminal state: its target still bootstraps
                    evals.training_cut += not (term or trunc)
                    hist.episode_returns.append(ep_return)
                    obs, _ = env.reset()
                    ep_return, ep_steps = 0.0, 0
                if step > self.learning_starts and buffer.size >= self.batch_size:
                    losses.append(self._update(online, target, flat, opt, buffer, rng, lr))
                    loss_sum, n_updates = loss_sum + losses[-1], n_updates + 1
                    if n_updates % 1000 == 0:
                        hist.losses.append(loss_sum / 1000)
                        loss_sum = 0.0
                if step % self.target_update == 0:
                    target.load_state_dict(online.state_dict())
                if step % eval_every == 0 or step == total_steps:
                    score = self._evaluation(evals, before + step, hist, flat, best, bar, losses)
                    losses = []
                    if evals.env is env:  # evaluated on the training environment itself (no spec to remake it): a new episode
                        obs, ep_return, ep_steps = env.reset()[0], 0.0, 0
                    if target_return is not None and score >= target_return:
                        hist.stop_reason = "target_return"
                        break
                if max_time is not None and time.perf_counter() - t0 >= max_time:  # training.time_limit's rule: this call's seconds
                    hist.stop_reason = "time_limit"
                    break
        except KeyboardInterrupt:  # Ctrl-C: stop here and keep the best evaluated weights, as the estimators do (same warning)
            hist.stop_reason = "interrupted"
            warn_interrupted(_kept_weights(hist, step))  # names the line that called fit
        finally:
            if bar is not None:
                bar.on_train_end()
        flat.data.copy_(best)
        flat.release()
        online.eval()
        hist.steps, hist.seconds = before + step, seconds_before + time.perf_counter() - t0
        self.history_ = hist
        self.training_summary_: dict[str, Any] | None = hist.summary()
        self.__dict__.pop("_act_rng", None)  # act's epsilon draws start again from random_state
        mark_built(self, _BUILT_FROM)
        evals.warn()
        return self

    def _start(self, env: Any) -> tuple[Network, AgentHistory]:
        """``(Q-network, history)`` a fit on ``env`` starts from: a fresh network and history (the fitted attributes of ``env``'s
        spaces set), or with ``warm_start=True`` on a fitted agent the fitted network and its history going on (numbered on).

        A warm fit refuses a changed ``hidden_layer_sizes``/``activation`` and an environment of another observation size or
        action count, in one line; ``env_id_`` and ``observation_shape_`` describe the last environment trained on."""
        obs_dim, n_actions = int(np.prod(env.observation_space.shape)), int(env.action_space.n)
        warm = continues(self)
        if warm:
            refuse_rebuilt(self, _BUILT_FROM)
            if (obs_dim, n_actions) != (self.obs_dim_, self.n_actions_):
                name = getattr(getattr(env, "spec", None), "id", None) or type(env).__name__
                raise DataError(f"warm_start=True goes on from a Q-network fitted on {self.obs_dim_} observation values and {self.n_actions_} "
                                f"actions, but environment {name!r} has {obs_dim} and {n_actions}: pass an environment with the same "
                                "observation and action spaces, or set warm_start=False to train a new agent on it.")
        self.obs_dim_, self.n_actions_ = obs_dim, n_actions
        self.env_id_ = getattr(getattr(env, "spec", None), "id", None)  # None for an environment object made without gymnasium.make
        self.observation_shape_ = tuple(int(d) for d in env.observation_space.shape)
        if warm:
            return self.q_network_, self._past_history()
        online = Network(obs_dim, hidden_spec(self.hidden_layer_sizes), n_actions, activation=self.activation)
        return online, AgentHistory(stop_reason="total_steps")

    def _past_history(self) -> AgentHistory:
        """A copy of the fitted agent's history to go on from (its own lists: a failed fit leaves ``history_`` as it was); for a
        loaded agent, whose file keeps only ``training_summary_``, one made of that (steps, seconds, evaluations, best return)."""
        old = getattr(self, "history_", None)
        if isinstance(old, AgentHistory):
            return AgentHistory(list(old.episode_returns), list(old.eval_steps), list(old.eval_returns), list(old.losses), old.best_eval,
                                old.steps, old.seconds, "total_steps", old.earlier_episodes)
        s = getattr(self, "training_summary_", None) or {}
        best = s.get("best_eval_return")
        return AgentHistory(eval_steps=[int(v) for v in s.get("eval_steps", [])], eval_returns=[float(v) for v in s.get("eval_returns", [])],
                            best_eval=-np.inf if best is None else float(best), steps=int(s.get("steps", 0)),
                            seconds=float(s.get("seconds", 0.0)), stop_reason="total_steps", earlier_episodes=int(s.get("episodes", 0)))

    def _evaluation(self, evals: _Evaluations, step: int, hist: AgentHistory, flat: FlatParams, best: torch.Tensor, bar: ProgressBar | None,
                    losses: list[float]) -> float:
        """One greedy evaluation during fit: recorded in ``hist``, the weights kept in ``best`` when it is the best so far; its mean
        return (over the episodes played: the deadline ends it after the episode in which it passes). The episodes the cap cut are
        counted in ``evals``."""
        self.check_env(evals.env)
        played = self._play(evals.env, evals.episodes, 100_000 + step, evals.cap, evals.deadline)
        evals.played, evals.cut = evals.played + len(played.returns), evals.cut + played.cut
        score = float(np.mean(played.returns))
        hist.eval_steps.append(step)
        hist.eval_returns.append(score)
        if score > hist.best_eval:
            hist.best_eval = score
            best.copy_(flat.data)
        if bar is not None:
            bar.on_epoch_end(logs={"train_loss": float(np.mean(losses)) if losses else float("nan"), "val_score": score})
        return score

    def _update(self, online: Network, target: Network, flat: FlatParams, opt: Any, buffer: ReplayBuffer, rng: np.random.Generator,
                lr: float) -> float:
        """One Adam step of size ``lr`` on a replayed batch; returns its Huber TD loss."""
        s, a, r, s2, done = buffer.sample(rng, self.batch_size)  # (B, d), (B,), (B,), (B, d), (B,)
        with torch.no_grad():
            q_next = target(s2)  # (B, A)
            a2 = online(s2).argmax(1) if self.double else q_next.argmax(1)
            y = r + self.gamma * (1.0 - done) * q_next.gather(1, a2[:, None])[:, 0]  # (B,) TD targets
        online.train()
        flat.grad.zero_()
        q = online(s).gather(1, a[:, None])[:, 0]  # (B,) Q of the actions taken
        loss = F.smooth_l1_loss(q, y)
        loss.backward()
        clip_grad_norm_(flat, self.max_grad_norm)
        opt.step(lr)
        return float(loss.detach())

    # --------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the Q-network, settings, environment id and spaces and the training summary to one ``.safetensors`` file (atomic; no pickle).

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        params = self.get_params()
        state = {"obs_dim_": self.obs_dim_, "n_actions_": self.n_actions_, "env_id_": getattr(self, "env_id_", None),
                 "observation_shape_": list(getattr(self, "observation_shape_", (self.obs_dim_,))),
                 "training_summary_": getattr(self, "training_summary_", None)}
        save_app(path, "DQNAgent", params, state, {f"q.{k}": v for k, v in self.q_network_.state_dict().items()})

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> DQNAgent:
        """Read an agent written by :meth:`save`; it acts exactly as the saved one.

        Parameters
        ----------
        path : str or PathLike
            The ``.safetensors`` file :meth:`save` wrote.
        device : str, optional
            None or ``"cpu"``: the agent runs on the CPU only.
        """
        if device is not None and resolve_device(device).type != "cpu":  # the caller's error, before the file's (file_errors)
            raise ValueError("DQNAgent runs on the CPU only: load it without device= (or with device='cpu').")
        return cls._load_file(path)

    @classmethod
    @file_errors
    def _load_file(cls, path: str | os.PathLike[str], *, device: str | None = None) -> DQNAgent:
        """:meth:`load`'s reading of the file (on the CPU; ``device`` is :func:`file_errors`' signature, always None here)."""
        params, state, tensors = load_app(path, "DQNAgent")
        agent = cls(**renamed_params(params))  # a file of either spelling: learning_rate (before the rename) or learning_rate_init
        agent.obs_dim_, agent.n_actions_ = int(state["obs_dim_"]), int(state["n_actions_"])
        # files written before these were kept: no environment id, a flat observation, no summary
        agent.env_id_ = state.get("env_id_")
        agent.observation_shape_ = tuple(int(d) for d in state.get("observation_shape_") or (agent.obs_dim_,))
        agent.training_summary_ = renamed_stop_reason(state.get("training_summary_"))  # a file's "max_time" stop reads "time_limit"
        agent.q_network_ = restore_state(lambda: Network(agent.obs_dim_, hidden_spec(params["hidden_layer_sizes"]), agent.n_actions_, activation=params["activation"],
                                                         init="none"), split_prefix(tensors, "q"), path)
        mark_built(agent, _BUILT_FROM)
        return agent


__all__ = ["MAX_EPISODE_STEPS", "AgentHistory", "DQNAgent", "ReplayBuffer", "make_env"]
