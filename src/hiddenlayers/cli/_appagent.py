"""A game agent's file on the command line: ``evaluate AGENT [--env ID]``, and the environment checks ``train --app agent`` shares.

A :class:`~hiddenlayers.apps.DQNAgent` learns by playing a gymnasium environment and reads no data file
(``train --app agent``: :mod:`._apptrain_agent`). ``evaluate`` plays greedy episodes of the environment stored in
the file (or ``--env``, which must have the same observation size and action count) and reports the returns and
episode lengths; ``info`` (:mod:`._info`) and ``export`` read the file as they read the other apps'.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import UserError, one_line

#: the episode cap's option, which the cap's note names in place of ``max_episode_steps=N`` (:mod:`._option_words`)
CAP_OPTION = {"max_episode_steps": "--max-episode-steps"}


def need_gymnasium(command: str) -> None:
    """A one-line error when gymnasium is not installed: ``command`` plays its environments."""
    import importlib.util

    if importlib.util.find_spec("gymnasium") is None:
        raise UserError(f"{command} plays gymnasium environments, and gymnasium is not installed: run `pip install gymnasium` (or hiddenlayers[apps]).")


def make_env_or_fail(env_id: str, option: str = "--env") -> Any:
    """The gymnasium environment ``env_id`` (:func:`hiddenlayers.apps.make_env`); an unknown id is one line led by ``option``."""
    from ..apps import make_env
    from ..exceptions import DataError

    try:
        return make_env(env_id)
    except DataError as exc:
        raise UserError(f"{option}: {one_line(exc)}") from None


def evaluate_agent(model: Any, path: str, options: dict[str, Any]) -> dict[str, Any]:
    """``evaluate AGENT``: ``episodes`` greedy episodes (seeds ``seed``, ``seed + 1``, ...) of ``env`` (default: the file's environment),
    each cut after ``max_episode_steps`` steps (default: the environment's own limit, else 10,000; a note says how many were cut).

    Returns the returns' mean, median, min, max and SD and the episode lengths' mean, min and max, with each episode's.
    """
    env_id = options.get("env") or model.env_id_
    if env_id is None:
        raise UserError(f"'{path}' records no environment id (the agent learned from an environment object): pass --env ID, e.g. --env CartPole-v1.")
    episodes = 100 if options.get("episodes") is None else int(options["episodes"])
    seed = 10_000 if options.get("seed") is None else int(options["seed"])
    if episodes < 1:
        raise UserError(f"--episodes must be a whole number >= 1 (greedy episodes to play). Received: {episodes}.")
    cap = options.get("max_episode_steps")
    if cap is not None and cap < 1:
        raise UserError(f"--max-episode-steps must be a whole number >= 1 (steps after which an episode is cut). Received: {cap}.")
    need_gymnasium("evaluate of a DQNAgent")
    env = make_env_or_fail(env_id, "--env" if options.get("env") else f"the environment '{env_id}' stored in '{path}'")
    from ..exceptions import DataError
    from ._option_words import notes_in_option_words

    try:
        with notes_in_option_words(CAP_OPTION):
            returns, lengths = model.evaluate(env, episodes, seed=seed, return_lengths=True, max_episode_steps=cap)
    except DataError as exc:
        raise UserError(one_line(exc)) from None
    metrics = {"mean_return": float(returns.mean()), "median_return": float(np.median(returns)), "min_return": float(returns.min()),
               "max_return": float(returns.max()), "sd_return": float(returns.std()), "mean_length": float(lengths.mean()),
               "min_length": int(lengths.min()), "max_length": int(lengths.max())}
    return {"model": path, "env": env_id, "episodes": episodes, "seeds": f"{seed}-{seed + episodes - 1}", "task": "reinforcement learning",
            "metrics": metrics, "returns": returns.tolist(), "lengths": lengths.tolist()}


def show_agent_evaluation(result: dict[str, Any], as_json: bool) -> None:
    """``evaluate``'s result for an agent as JSON, or as one table of returns and episode lengths."""
    if as_json:
        from ._common import clean, print_json

        print_json(clean(result))
        return
    from .._rich_plain import PlainTable
    from ._common import stdout_console

    t = PlainTable(title=f"greedy play of {result['env']}", title_justify="left")  # short: a title wraps at the table's width
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("episodes", str(result["episodes"]))
    t.add_row("seeds", result["seeds"])
    for k, v in result["metrics"].items():
        t.add_row(k.replace("_", " "), f"{v:.4f}" if isinstance(v, float) else str(v))
    stdout_console().print(t)


__all__ = ["CAP_OPTION", "evaluate_agent", "make_env_or_fail", "need_gymnasium", "show_agent_evaluation"]
