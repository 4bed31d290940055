"""``hiddenlayers train --app agent --env ID``, then ``evaluate``, ``info`` and ``export`` of the agent's file.

Tiny budgets (a few hundred CartPole steps): these tests check what the commands do with the agent and its file
(the steps and evaluations run, the file's environment, evaluate's returns against DQNAgent.evaluate on the same
seeds), not how well it learns; the learning itself is examples/cartpole_agent.py's (examples/RESULTS.md).
Bad input is one ``error:`` line with nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli_helpers import assert_user_error, interrupted_run, ok, run

gym = pytest.importorskip("gymnasium")

TINY = ("--hidden", "16", "--total-steps", "300", "--eval-every", "150", "--eval-episodes", "1", "--set", "learning_starts=50", "--set", "target_update=100")


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("agent") / "agent.safetensors"
    summary = _json(ok("train", "--app", "agent", "--env", "CartPole-v1", *TINY, "--seed", "3", "--lr", "0.002", "--out", path, "--json"))
    return path, summary


def test_train_plays_the_budget_and_writes_an_agent_of_its_options(trained: tuple[Path, dict[str, Any]]) -> None:
    from hiddenlayers.apps import DQNAgent

    path, summary = trained
    assert summary["app"] == "DQNAgent" and summary["env"] == "CartPole-v1" and summary["observation_shape"] == "4" and summary["actions"] == 2
    assert summary["steps"] == 300 and summary["evaluations"] == 2 and summary["stop_reason"] == "total_steps" and summary["episodes"] >= 1
    assert summary["hidden_layers"] == "16" and summary["model"] == str(path)
    agent = DQNAgent.load(path)
    assert agent.env_id_ == "CartPole-v1" and agent.learning_rate_init == 0.002 and agent.learning_rate == "deprecated" and agent.random_state == 3 and agent.learning_starts == 50
    assert agent.q_network_.hidden1.linear.out_features == 16
    assert agent.training_summary_["best_eval_return"] == summary["best_eval_return"] == max(agent.training_summary_["eval_returns"])


def test_the_same_seed_trains_the_same_agent(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from hiddenlayers.apps import DQNAgent

    again = tmp_path / "again.safetensors"
    ok("train", "--app", "agent", "--env", "CartPole-v1", *TINY, "--seed", "3", "--lr", "0.002", "--out", again, "--quiet")
    obs = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
    np.testing.assert_array_equal(DQNAgent.load(again).q_values(obs), DQNAgent.load(trained[0]).q_values(obs))


def test_target_return_stops_at_the_first_evaluation_that_reaches_it(tmp_path: Path) -> None:
    out = tmp_path / "a.safetensors"
    summary = _json(ok("train", "--app", "agent", "--env", "CartPole-v1", *TINY, "--target-return", "1", "--out", out, "--json"))
    assert summary["stop_reason"] == "target_return" and summary["steps"] == 150 and summary["evaluations"] == 1  # any episode returns >= 1


def test_progress_bar_on_stderr_unless_quiet(tmp_path: Path) -> None:
    shown = ok("train", "--app", "agent", "--env", "CartPole-v1", *TINY, "--out", tmp_path / "a.safetensors")
    assert "training DQNAgent" in shown.stderr and "saved to" in shown.stdout
    quiet = ok("train", "--app", "agent", "--env", "CartPole-v1", *TINY, "--out", tmp_path / "b.safetensors", "--quiet")
    assert "training DQNAgent" not in quiet.stderr


def test_evaluate_plays_the_stored_environment_as_the_agent_does(trained: tuple[Path, dict[str, Any]]) -> None:
    from hiddenlayers.apps import DQNAgent

    path, _ = trained
    result = _json(ok("evaluate", path, "--episodes", "4", "--seed", "7", "--json"))
    expected, lengths = DQNAgent.load(path).evaluate("CartPole-v1", 4, seed=7, return_lengths=True)
    assert result["env"] == "CartPole-v1" and result["episodes"] == 4 and result["seeds"] == "7-10"
    assert result["returns"] == expected.tolist() and result["lengths"] == lengths.tolist()
    assert result["returns"] == [float(n) for n in result["lengths"]]  # CartPole pays 1 per step: each return is its episode's length
    m = result["metrics"]
    assert (m["mean_return"], m["median_return"], m["min_return"], m["max_return"]) == pytest.approx(
        (expected.mean(), np.median(expected), expected.min(), expected.max()))
    assert (m["min_length"], m["max_length"]) == (lengths.min(), lengths.max())
    table = ok("evaluate", path, "--episodes", "2").stdout
    assert "greedy play of CartPole-v1" in table and "10000-10001" in table and "median return" in table


def test_evaluate_help_names_every_return_figure_it_reports() -> None:
    """The help's list of an agent's figures is the table's: the SD was reported (``sd_return``) but left out of it."""
    text = " ".join(ok("evaluate", "--help").output.split())
    assert "reports the returns (mean, median, min, max, SD) and the episode lengths" in text


def test_evaluate_another_environment_of_the_same_spaces(trained: tuple[Path, dict[str, Any]]) -> None:
    result = _json(ok("evaluate", trained[0], "--env", "CartPole-v0", "--episodes", "2", "--json"))
    assert result["env"] == "CartPole-v0" and len(result["returns"]) == 2


def test_info_shows_the_environment_and_the_training_run(trained: tuple[Path, dict[str, Any]]) -> None:
    path, summary = trained
    info = _json(ok("info", path, "--json"))
    assert info["estimator"] == "DQNAgent" and info["environment"] == {"id": "CartPole-v1", "observation_shape": "4", "actions": 2}
    assert info["training"]["steps"] == 300 and info["training"]["evaluations"] == 2 and info["training"]["stop_reason"] == "total_steps"
    assert [layer["layer"] for layer in info["layers"]] == ["hidden1", "head"]
    text = ok("info", path).stdout
    assert "environment (gymnasium)" in text and "CartPole-v1" in text and "stop reason" in text


def test_export_runs_the_agents_greedy_actions_in_onnxruntime(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from hiddenlayers.apps import DQNAgent

    path = tmp_path / "agent.onnx"
    report = _json(ok("export", trained[0], "--out", path, "--json"))
    assert report["output_name"] == "q_values" and report["input_shape"] == ["batch", 4]
    agent = DQNAgent.load(trained[0])
    states, _ = agent.rollout("CartPole-v1", episodes=3, seed=0)
    obs = np.concatenate([states, np.random.default_rng(1).normal(0, 1, (300, 4))]).astype(np.float32)
    q = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": obs})[0]
    assert q.argmax(1).tolist() == [agent.act(o) for o in obs]


@pytest.mark.parametrize(("args", "message"), [
    (("--env", "CartPole-v9"), "--env: Unknown gymnasium environment id 'CartPole-v9'; close matches: 'CartPole-v1'"),
    ((), "train --app agent needs --env ID: the gymnasium environment to play, e.g. --env CartPole-v1."),
    (("--env", "Pendulum-v1"), "--env Pendulum-v1: a DQNAgent chooses among a discrete set of actions"),
    (("--env", "FrozenLake-v1"), "--env FrozenLake-v1: a DQNAgent reads each observation as an array; this environment's are Discrete(16): "
                                 "train it from Python on gymnasium.wrappers.FlattenObservation(gymnasium.make('FrozenLake-v1')), or pass"),
    (("--env", "CartPole-v1", "--target", "y"), "--target does not apply to train --app agent (a DQNAgent): drop it; the options that apply are"),
    (("--env", "CartPole-v1", "--epochs", "3"), "--epochs does not apply to train --app agent"),
    (("--env", "CartPole-v1", "--test-size", "0.1"), "--test-size does not apply to train --app agent"),
    (("--env", "CartPole-v1", "--features", "a,b"), "--features does not apply to train --app agent"),
    (("--env", "CartPole-v1", "--total-steps", "0"), "--total-steps must be a whole number >= 1 (environment steps to learn from). Received: 0."),
    (("--env", "CartPole-v1", "--eval-episodes", "0"), "--eval-episodes must be a whole number >= 1"),
    (("--env", "CartPole-v1", "--max-episode-steps", "0"), "--max-episode-steps must be a whole number >= 1 (steps after which an episode is cut). "
                                                           "Received: 0."),
    (("--env", "CartPole-v1", "--max-episode-steps", "ten"), "Invalid value for '--max-episode-steps'"),
    (("--env", "CartPole-v1", "--max-time", "0"), "--max-time: max_time must be None or a number of seconds > 0. Received: max_time=0.0."),
    (("--env", "CartPole-v1", "--set", "learning_rate=0.1"), "use --lr instead of --set learning_rate=0.1: learning_rate is the deprecated name of a DQNAgent's learning_rate_init, which --lr sets."),
    (("--env", "CartPole-v1", "--set", "gamma=2", "--total-steps", "10"), "--set gamma: gamma must be a number strictly between 0.0 and 1.0"),
    (("--env", "CartPole-v1", "--set", "gama=0.9"), "--set gama: a DQNAgent has no parameter 'gama' (did you mean 'gamma'?)"),
    (("--env", "CartPole-v1", "--hidden", "0"), "--hidden"),
])
def test_train_refuses_in_one_line_and_writes_nothing(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    assert_user_error(run("train", "--app", "agent", *args, "--out", tmp_path / "a.safetensors"), message)
    assert not list(tmp_path.iterdir())


def test_a_data_file_or_an_agent_option_in_the_wrong_place_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "a.safetensors"
    assert_user_error(run("train", "CartPole-v1", "--app", "agent", "--out", out),
                      "train --app agent learns by playing the --env environment and reads no data file: drop 'CartPole-v1' (to play it: --env CartPole-v1).")
    assert_user_error(run("train", "digits", "--env", "CartPole-v1", "--out", out), "--env is an option of train --app agent (a table MLP has no use for it)")
    assert_user_error(run("train", "digits", "--total-steps", "9", "--out", out), "--total-steps is an option of train --app agent")
    assert_user_error(run("train", "--out", out), "train needs DATA: a data file")
    assert_user_error(run("train", "--app", "text", "--target", "y", "--out", out), "train --app text needs DATA")
    assert not list(tmp_path.iterdir())


def test_without_gymnasium_train_and_evaluate_say_how_to_install_it(trained: tuple[Path, dict[str, Any]], tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gymnasium" else find_spec(name, *a))
    assert_user_error(run("train", "--app", "agent", "--env", "CartPole-v1", "--out", tmp_path / "a.safetensors"),
                      "train --app agent plays gymnasium environments, and gymnasium is not installed: run `pip install gymnasium`")
    assert_user_error(run("evaluate", trained[0]), "gymnasium is not installed: run `pip install gymnasium`")
    assert not list(tmp_path.iterdir())


def test_evaluate_refuses_in_one_line(trained: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    path = trained[0]
    assert_user_error(run("evaluate", path, "--env", "MountainCar-v0"),
                      "environment 'MountainCar-v0' has 2 observation values and 3 actions, but this agent learned 4 values and 2 actions (CartPole-v1): "
                      "pass an environment with the same observation and action spaces.")
    assert_user_error(run("evaluate", path, "--env", "CartPol-v1"), "--env: Unknown gymnasium environment id 'CartPol-v1'; close matches: 'CartPole-v1'")
    assert_user_error(run("evaluate", path, "digits"), "holds a DQNAgent, which is scored by playing its environment, not on a data file: drop DATA ('digits')")
    assert_user_error(run("evaluate", path, "--target", "y"), "drop --target")
    assert_user_error(run("evaluate", path, "--episodes", "0"), "--episodes must be a whole number >= 1 (greedy episodes to play). Received: 0.")
    assert_user_error(run("evaluate", path, "--max-episode-steps", "-2"),
                      "--max-episode-steps must be a whole number >= 1 (steps after which an episode is cut). Received: -2.")
    assert_user_error(run("evaluate", path, "--text-column", "x"), "--text-column is for TextClassifier files; this model file holds a DQNAgent")
    assert_user_error(run("predict", path, "digits"), f"or `hiddenlayers serve {path}` / `hiddenlayers evaluate {path}`")
    table_model = tmp_path / "m.safetensors"
    ok("train", "iris", "--hidden", "4", "--epochs", "2", "--out", table_model, "--quiet")
    assert_user_error(run("evaluate", table_model, "--env", "CartPole-v1"), "--env is for DQNAgent files; this model file holds a table model: drop --env.")
    assert_user_error(run("evaluate", table_model, "--max-episode-steps", "9"), "--max-episode-steps is for DQNAgent files; this model file holds a table model")
    assert_user_error(run("evaluate", table_model), "evaluate needs DATA: the labelled data file")


def test_an_environment_without_a_time_limit_is_cut_at_max_episode_steps_with_a_note(trained: tuple[Path, dict[str, Any]],
                                                                                      tmp_path: Path) -> None:
    """An environment registered without a time limit whose episodes never end: train and evaluate hung; now each episode is
    cut after --max-episode-steps steps and one note names the option."""
    from agent_helpers import registered_endless

    with registered_endless("hl-test/EndlessCli-v0", None, obs_dim=4) as env_id:
        result = run("evaluate", trained[0], "--env", env_id, "--episodes", "2", "--max-episode-steps", "30", "--json")
        assert result.exit_code == 0, result.output
        assert _json(result)["lengths"] == [30, 30] and _json(result)["returns"] == [30.0, 30.0]
        assert result.stderr.count("note:") == 1 and ("note: 2 of 2 greedy episodes ran 30 steps without ending and were cut there (truncated: a "
                                                      "return is the rewards until then): pass --max-episode-steps N for another cap") in result.stderr
        out = tmp_path / "endless.safetensors"
        summary = _json(ok("train", "--app", "agent", "--env", env_id, *TINY, "--max-episode-steps", "40", "--out", out, "--json"))
        assert summary["steps"] == 300 and summary["evaluations"] == 2 and summary["best_eval_return"] == 40.0
        shown = run("train", "--app", "agent", "--env", env_id, *TINY, "--max-episode-steps", "40", "--out", tmp_path / "b.safetensors", "--quiet")
        assert "greedy evaluation episodes ran 40 steps without ending" in shown.stderr and "pass --max-episode-steps N" in shown.stderr


def test_evaluate_an_agent_of_an_environment_object_needs_env(tmp_path: Path) -> None:
    from gymnasium.envs.classic_control import CartPoleEnv

    from hiddenlayers.apps import DQNAgent

    path = tmp_path / "bare.safetensors"
    DQNAgent((8,), learning_starts=10, random_state=0).fit(CartPoleEnv(), total_steps=30, eval_every=30, eval_episodes=1).save(path)
    assert_user_error(run("evaluate", path), "records no environment id (the agent learned from an environment object): pass --env ID")
    assert len(_json(ok("evaluate", path, "--env", "CartPole-v1", "--episodes", "2", "--json"))["returns"]) == 2


def test_ctrl_c_keeps_the_best_evaluation_saves_the_file_and_says_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyboardInterrupt (what Ctrl-C or `timeout -s INT` raises) in the middle of the play: the agent keeps the best
    evaluation's weights, the file is written, the summary says interrupted and stderr says where, as `train` does; exit 130
    (it was 0, so `train ... && next` went on after a Ctrl-C)."""
    from hiddenlayers.apps import DQNAgent

    real, calls = DQNAgent._update, []

    def update(self: DQNAgent, *args: Any) -> float:
        calls.append(1)
        if len(calls) > 150:  # after the first evaluation at step 150 (updates start past learning_starts=50)
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(DQNAgent, "_update", update)
    path = tmp_path / "agent.safetensors"
    result = interrupted_run("train", "--app", "agent", "--env", "CartPole-v1", *TINY, "--seed", "3", "--out", path, "--json")
    summary = _json(result)
    assert summary["stop_reason"] == "interrupted" and summary["evaluations"] == 1 and 150 < summary["steps"] < 300
    assert f"interrupted: the best model so far was saved to {path}" in result.stderr
    assert "restored the weights of the best evaluation (step 150)" in result.stderr
    assert (DQNAgent.load(path).training_summary_ or {}).get("stop_reason") == "interrupted"  # the file is the interrupted run's
