"""``DQNAgent(max_time=...)``: the agent's time budget as every other app's (a constructor parameter checked by the shared row,
stop reason ``"time_limit"``, a warm fit counting its own call), kept in its file; ``fit(max_time=)`` deprecated for one release.

The clock is a stand-in for ``time.perf_counter`` (no test reads real time): each reading moves it ``tick`` seconds.
"""

from __future__ import annotations

import itertools
import json
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from hiddenlayers import DQNAgent

gym = pytest.importorskip("gymnasium")

KW: dict[str, Any] = {"learning_starts": 10, "batch_size": 8, "target_update": 50, "random_state": 0}
BUDGET: dict[str, Any] = {"total_steps": 60, "eval_every": 30, "eval_episodes": 1}


def _clock(monkeypatch: pytest.MonkeyPatch, tick: float) -> None:
    """``time.perf_counter`` moves ``tick`` seconds at each reading."""
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: tick * next(ticks))


def test_max_time_is_a_parameter_and_the_stop_reason_is_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DQNAgent().get_params()["max_time"] is None
    _clock(monkeypatch, 1000.0)  # 1 s is spent at the first step's check
    agent = DQNAgent((8,), max_time=1.0, **KW).fit("CartPole-v1", **BUDGET)
    assert agent.history_.steps == 1 and agent.history_.eval_steps == []
    assert agent.stop_reason_ == agent.history_.stop_reason == agent.training_summary_["stop_reason"] == "time_limit"


def test_a_budget_not_reached_changes_nothing() -> None:
    plain = DQNAgent((8,), **KW).fit("CartPole-v1", **BUDGET)
    timed = DQNAgent((8,), max_time=1e6, **KW).fit("CartPole-v1", **BUDGET)
    assert timed.stop_reason_ == plain.stop_reason_ == "total_steps" and timed.history_.steps == 60
    assert timed.history_.eval_returns == plain.history_.eval_returns


@pytest.mark.parametrize("bad", [0, -1.0, True, "10", float("nan")])
def test_a_bad_max_time_is_refused_by_the_shared_row_before_any_play(bad: Any) -> None:
    agent = DQNAgent((8,), max_time=bad, **KW)
    with pytest.raises(ValueError, match=r"^max_time must be None or a number of seconds > 0\. Received: max_time="):
        agent.fit("CartPole-v1", **BUDGET)
    assert not hasattr(agent, "q_network_")


def test_a_warm_fit_counts_its_own_call(monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, 1000.0)
    agent = DQNAgent((8,), warm_start=True, **KW).fit("CartPole-v1", **BUDGET)  # no budget: the history holds 1000 s or more
    assert agent.stop_reason_ == "total_steps" and agent.training_summary_["seconds"] >= 1000
    _clock(monkeypatch, 1.0)  # 1 s a reading: this call's 60 steps take about 60 s, the history's seconds much more than 500
    agent.set_params(max_time=500.0).fit("CartPole-v1", **BUDGET)
    assert agent.stop_reason_ == "total_steps" and agent.history_.steps == 120
    _clock(monkeypatch, 1000.0)
    agent.fit("CartPole-v1", **BUDGET)
    assert agent.stop_reason_ == "time_limit" and agent.history_.steps == 121  # one step of this call, its steps numbered on


def test_fit_max_time_is_deprecated_for_one_release(monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, 1000.0)
    agent = DQNAgent((8,), **KW)
    with pytest.warns(FutureWarning, match=r"DQNAgent\.fit's 'max_time' moved to the agent's parameters .* pass DQNAgent\(max_time=1\.0\) "
                                           r"or agent\.set_params\(max_time=1\.0\) instead\.$") as record:
        agent.fit("CartPole-v1", **BUDGET, max_time=1.0)
    assert record[0].filename == __file__  # names the user's line
    assert agent.stop_reason_ == "time_limit" and agent.history_.steps == 1 and agent.max_time is None  # the parameter untouched
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        agent.set_params(max_time=1.0).fit("CartPole-v1", **BUDGET, max_time=None)  # None is fit's default: no warning


def test_both_or_a_bad_deprecated_value_are_refused_in_one_line() -> None:
    agent = DQNAgent((8,), max_time=2.0, **KW)
    with pytest.raises(ValueError, match=r"^fit\(max_time=1\.0\) and DQNAgent\(max_time=2\.0\) were both given: .*pass DQNAgent\(max_time=\.\.\.\) "
                                         r"\(or set_params\) only\.$"):
        agent.fit("CartPole-v1", **BUDGET, max_time=1.0)
    with pytest.raises(ValueError, match=r"^max_time must be None or a number of seconds > 0\. Received: max_time=0\.$"):
        DQNAgent((8,), **KW).fit("CartPole-v1", **BUDGET, max_time=0)
    assert not hasattr(agent, "q_network_")


def _rewrite(path: Path, drop_param: str, stop_reason: str) -> None:
    """Rewrite ``path`` as a file written when the budget was fit's argument: no ``max_time`` param, that stop reason stored."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), "pt") as f:
        metadata = dict(f.metadata())
    doc = json.loads(metadata["hiddenlayers"])
    doc["params"].pop(drop_param)
    doc["state"]["training_summary_"]["stop_reason"] = stop_reason
    save_file(load_file(str(path)), str(path), metadata={**metadata, "hiddenlayers": json.dumps(doc)})


def test_the_file_keeps_max_time_and_an_old_file_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, 1000.0)
    path = tmp_path / "agent.safetensors"
    DQNAgent((8,), max_time=2.5, **KW).fit("CartPole-v1", **BUDGET).save(path)
    again = DQNAgent.load(path)
    assert again.max_time == 2.5 and again.stop_reason_ == again.training_summary_["stop_reason"] == "time_limit"
    _rewrite(path, "max_time", "max_time")
    old = DQNAgent.load(path)
    assert old.max_time is None  # the default: its budget was fit's, not kept
    assert old.stop_reason_ == old.training_summary_["stop_reason"] == "time_limit"  # the old name read in today's words


def test_an_agent_pickled_before_max_time_unpickles_with_none_and_its_stop_read_as_time_limit() -> None:
    import pickle

    agent = DQNAgent((8,), **KW).fit("CartPole-v1", **BUDGET)
    state = {k: v for k, v in agent.__dict__.items() if k != "max_time"}
    state["training_summary_"] = {**state["training_summary_"], "stop_reason": "max_time"}
    old = DQNAgent.__new__(DQNAgent)
    old.__setstate__(state)
    again = pickle.loads(pickle.dumps(old))
    assert again.max_time is None and again.stop_reason_ == "time_limit"
