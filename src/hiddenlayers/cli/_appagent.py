"""A game agent on the command line: ``train --app agent --env ID`` and ``evaluate AGENT [--env ID]``.

A :class:`~hiddenlayers.apps.DQNAgent` learns by playing a gymnasium environment, so it reads no data file:
``train --app agent`` takes the environment's id (``--env``) and the play budget (``--total-steps``, ``--max-time``,
``--target-return``, evaluated every ``--eval-every`` steps over ``--eval-episodes`` greedy episodes) where the other
apps take a table; ``--hidden``, ``--activation``, ``--lr``, ``--batch-size`` and ``--seed`` mean what they mean there,
and every other parameter (``gamma``, ``buffer_size``, ``epsilon_decay_steps``, ...) is ``--set KEY=VALUE``.
``evaluate`` plays greedy episodes of the environment stored in the file (or ``--env``, which must have the same
observation size and action count) and reports the returns and episode lengths.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any

import numpy as np

from ._common import UserError, one_line, summary_table

#: ``train``'s options that only ``--app agent`` takes: what it plays and for how long (``--max-time`` is train's own)
AGENT_OPTIONS = ("env", "total_steps", "eval_every", "eval_episodes", "target_return")
#: the fit's budget options (parameter name -> DQNAgent.fit's keyword)
_FIT = {"total_steps": "total_steps", "eval_every": "eval_every", "eval_episodes": "eval_episodes", "target_return": "target_return",
        "max_time": "max_time"}


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


def run_agent_train(data: str | None, options: dict[str, Any], flags: dict[str, str], given: set[str]) -> dict[str, Any]:
    """``train --app agent --env ID``: check the options, make the environment, fit a DQNAgent by playing it, save it; print the summary."""
    from ..apps import DQNAgent
    from ._apptrain import app_params, check_app, fit_app, maker, param_options
    from ._common import check_output

    if data is not None:
        hint = f" (to play it: --env {data})" if "-v" in data and "." not in data.rsplit("-v", 1)[-1] else ""
        raise UserError(f"train --app agent learns by playing the --env environment and reads no data file: drop '{data}'{hint}.")
    check_app("agent", flags, given - {"data"})
    if options["env"] is None:
        raise UserError("train --app agent needs --env ID: the gymnasium environment to play, e.g. --env CartPole-v1.")
    _check_budget(options)
    out = check_output(options["out"], force=options["force"], what="--out", example="agent.safetensors")
    need_gymnasium("train --app agent")
    env = make_env_or_fail(options["env"])
    if not hasattr(env.action_space, "n"):
        raise UserError(f"--env {options['env']}: a DQNAgent chooses among a discrete set of actions; this environment's actions are {env.action_space}: "
                        "pass an environment with discrete actions (e.g. CartPole-v1, Acrobot-v1, LunarLander-v3).")
    params = app_params("agent", options, given, DQNAgent().get_params())
    params["progress_bar"] = not (options["quiet"] or options["json"])
    by_param = param_options("agent", flags)
    by_param.update({k: f"--set {k}" for k in params if k not in by_param})
    agent = maker(DQNAgent, params, int(options["seed"]), by_param)()
    budget = {kw: options[name] for name, kw in _FIT.items() if options[name] is not None}  # the others: DQNAgent.fit's defaults
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        fit_app(agent, by_param, env, **budget)
    elapsed = time.perf_counter() - start
    agent.save(out)
    summary = agent_summary(agent)
    summary.update(model=str(out), seconds=round(elapsed, 3))
    show_agent_summary(summary, bool(options["json"]))
    return summary


def _check_budget(options: dict[str, Any]) -> None:
    """``--total-steps``, ``--eval-every``, ``--eval-episodes`` whole numbers >= 1, ``--max-time`` > 0: one line each, before any play."""
    for name, what in (("total_steps", "environment steps to learn from"), ("eval_every", "steps between greedy evaluations"),
                       ("eval_episodes", "greedy episodes per evaluation")):
        if options[name] is not None and options[name] < 1:
            raise UserError(f"--{name.replace('_', '-')} must be a whole number >= 1 ({what}). Received: {options[name]}.")
    if options["max_time"] is not None and not options["max_time"] > 0:
        raise UserError(f"--max-time must be a number of seconds > 0. Received: {options['max_time']}.")
    if options["target_return"] is not None and not np.isfinite(options["target_return"]):
        raise UserError(f"--target-return must be a finite number (the mean greedy return that ends training). Received: {options['target_return']}.")


def agent_summary(agent: Any) -> dict[str, Any]:
    """What ``train --app agent`` reports of a fitted agent: its environment and spaces, its layers and its training run."""
    from ._apptrain import spec_text

    run = agent.training_summary_ or {}
    evals = run.get("eval_returns") or []
    return {"app": "DQNAgent", "env": agent.env_id_, "observation_shape": "x".join(map(str, agent.observation_shape_)), "actions": int(agent.n_actions_),
            "hidden_layers": spec_text(agent.hidden_layer_sizes), "steps": run.get("steps"), "episodes": run.get("episodes"),
            "evaluations": len(evals), "best_eval_return": run.get("best_eval_return"), "last_eval_return": evals[-1] if evals else None,
            "stop_reason": run.get("stop_reason")}


_SUMMARY_ROWS = (("app", "application"), ("env", "environment"), ("observation_shape", "observation shape"), ("actions", "actions"),
                 ("hidden_layers", "hidden layers"), ("steps", "environment steps"), ("episodes", "training episodes"),
                 ("evaluations", "greedy evaluations"), ("best_eval_return", "best mean return (weights kept)"),
                 ("last_eval_return", "last mean return"), ("stop_reason", "stop reason"))


def show_agent_summary(s: dict[str, Any], as_json: bool) -> None:
    """The training summary of ``train --app agent``: a table, or JSON."""
    t = summary_table(s, as_json)
    if t is None:
        return
    from rich.console import Console

    for key, label in _SUMMARY_ROWS:
        if s.get(key) is not None:
            t.add_row(label, f"{s[key]:.4g}" if isinstance(s[key], float) else str(s[key]))
    t.add_row("time", f"{s['seconds']:.2f} s")
    t.add_row("saved to", s["model"])
    Console().print(t)


def evaluate_agent(model: Any, path: str, options: dict[str, Any]) -> dict[str, Any]:
    """``evaluate AGENT``: ``episodes`` greedy episodes (seeds ``seed``, ``seed + 1``, ...) of ``env`` (default: the file's environment).

    Returns the returns' mean, median, min, max and SD and the episode lengths' mean, min and max, with each episode's.
    """
    env_id = options.get("env") or model.env_id_
    if env_id is None:
        raise UserError(f"'{path}' records no environment id (the agent learned from an environment object): pass --env ID, e.g. --env CartPole-v1.")
    episodes = 100 if options.get("episodes") is None else int(options["episodes"])
    seed = 10_000 if options.get("seed") is None else int(options["seed"])
    if episodes < 1:
        raise UserError(f"--episodes must be a whole number >= 1 (greedy episodes to play). Received: {episodes}.")
    need_gymnasium("evaluate of a DQNAgent")
    env = make_env_or_fail(env_id, "--env" if options.get("env") else f"the environment '{env_id}' stored in '{path}'")
    from ..exceptions import DataError

    try:
        returns, lengths = model.evaluate(env, episodes, seed=seed, return_lengths=True)
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
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"greedy play of {result['env']}", title_justify="left")  # short: a title wraps at the table's width
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("episodes", str(result["episodes"]))
    t.add_row("seeds", result["seeds"])
    for k, v in result["metrics"].items():
        t.add_row(k.replace("_", " "), f"{v:.4f}" if isinstance(v, float) else str(v))
    Console().print(t)


__all__ = ["AGENT_OPTIONS", "agent_summary", "evaluate_agent", "make_env_or_fail", "need_gymnasium", "run_agent_train", "show_agent_evaluation",
           "show_agent_summary"]
