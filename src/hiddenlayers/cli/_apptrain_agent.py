"""``hiddenlayers train --app agent --env ID``: a DQNAgent learns a gymnasium game by playing it, and is saved as one model file.

It reads no data file: ``--env`` names the environment and the play budget is ``--total-steps``, ``--max-time`` and
``--target-return``, with a greedy evaluation of ``--eval-episodes`` episodes every ``--eval-every`` steps whose best
weights are kept; an episode that has not ended after ``--max-episode-steps`` steps is cut (``DQNAgent.fit``'s
``max_episode_steps``: default the environment's own limit, else 10,000; a note says how many were cut). ``--hidden``, ``--activation``, ``--lr`` (the agent's ``learning_rate_init``), ``--batch-size``, ``--max-time``
(the agent's ``max_time`` parameter, checked by its row as every app's) and ``--seed`` mean what they mean for the other apps (:mod:`._apptrain` checks them and refuses the others in one line); any other
parameter is ``--set KEY=VALUE``. The file is read back by ``evaluate``, ``info`` and ``export`` (:mod:`._appagent`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any

import numpy as np

from ._appagent import CAP_OPTION, make_env_or_fail, need_gymnasium
from ._apptrain import app_params, check_app, check_app_params, fit_app, maker, param_options
from ._common import UserError, check_output, saved_line, stdout_console, stop_if_interrupted, summary_table

#: the fit's budget options (parameter name -> DQNAgent.fit's keyword); one not given keeps fit's default (--max-time sets the agent's max_time)
_FIT = {"total_steps": "total_steps", "eval_every": "eval_every", "eval_episodes": "eval_episodes", "target_return": "target_return",
        "max_episode_steps": "max_episode_steps"}


def run_agent_train(data: str | None, options: dict[str, Any], flags: dict[str, str], given: set[str]) -> dict[str, Any]:
    """``train --app agent --env ID``: check the options, make the environment, fit a DQNAgent by playing it, save it; print the summary."""
    from ..apps import DQNAgent

    if data is not None:
        hint = f" (to play it: --env {data})" if "-v" in data and "." not in data.rsplit("-v", 1)[-1] else ""
        raise UserError(f"train --app agent learns by playing the --env environment and reads no data file: drop '{data}'{hint}.")
    check_app("agent", flags, given - {"data"})
    if options["env"] is None:
        raise UserError("train --app agent needs --env ID: the gymnasium environment to play, e.g. --env CartPole-v1.")
    _check_budget(options)
    params = app_params("agent", options, given, DQNAgent().get_params())
    params["progress_bar"] = not (options["quiet"] or options["json"])
    by_param = param_options("agent", flags)
    by_param.update({k: f"--set {k}" for k in params if k not in by_param})
    check_app_params(DQNAgent, params, by_param)  # the options before the output: an existing --out never hides a bad --lr
    out = check_output(options["out"], force=options["force"], what="--out", example="agent.safetensors")
    need_gymnasium("train --app agent")
    env = make_env_or_fail(options["env"])
    if not hasattr(env.action_space, "n"):
        raise UserError(f"--env {options['env']}: a DQNAgent chooses among a discrete set of actions; this environment's actions are {env.action_space}: "
                        "pass an environment with discrete actions (e.g. CartPole-v1, Acrobot-v1, LunarLander-v3).")
    if getattr(env.observation_space, "shape", None) in (None, ()):  # Blackjack's Tuple, FrozenLake's Discrete: fit's fix is Python's wrapper
        raise UserError(f"--env {options['env']}: a DQNAgent reads each observation as an array; this environment's are {env.observation_space}: "
                        f"train it from Python on gymnasium.wrappers.FlattenObservation(gymnasium.make({options['env']!r})), or pass an environment "
                        "of array observations (e.g. CartPole-v1).")
    agent = maker(DQNAgent, params, int(options["seed"]), by_param)()
    budget = {kw: options[name] for name, kw in _FIT.items() if options[name] is not None}  # the others: DQNAgent.fit's defaults
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        fit_app(agent, {**by_param, **CAP_OPTION}, env, **budget)
    elapsed = time.perf_counter() - start
    agent.save(out)  # after a Ctrl-C too: fit caught it and restored the best evaluation's weights, as train's models do
    summary = agent_summary(agent)
    summary.update(model=str(out), seconds=round(elapsed, 3))
    show_agent_summary(summary, bool(options["json"]))
    stop_if_interrupted(summary["stop_reason"], saved_line(out))  # Ctrl-C: saved and said, then exit 130
    return summary


def _check_budget(options: dict[str, Any]) -> None:
    """``--total-steps``, ``--eval-every``, ``--eval-episodes``, ``--max-episode-steps`` whole numbers >= 1, ``--target-return`` finite:
    one line each, before any play.

    ``--max-time`` is the agent's ``max_time`` parameter, checked by its shared row when fit starts (before any play, as every app's)."""
    for name, what in (("total_steps", "environment steps to learn from"), ("eval_every", "steps between greedy evaluations"),
                       ("eval_episodes", "greedy episodes per evaluation"), ("max_episode_steps", "steps after which an episode is cut")):
        if options[name] is not None and options[name] < 1:
            raise UserError(f"--{name.replace('_', '-')} must be a whole number >= 1 ({what}). Received: {options[name]}.")
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
    for key, label in _SUMMARY_ROWS:
        if s.get(key) is not None:
            t.add_row(label, f"{s[key]:.4g}" if isinstance(s[key], float) else str(s[key]))
    t.add_row("time", f"{s['seconds']:.2f} s")
    t.add_row("saved to", s["model"])
    stdout_console().print(t)


__all__ = ["agent_summary", "run_agent_train", "show_agent_summary"]
