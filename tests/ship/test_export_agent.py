"""export_onnx() of a DQNAgent: observations -> Q-values, whose argmax is the agent's own greedy action."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers.apps import DQNAgent
from hiddenlayers.ship import describe_onnx, export_onnx

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
gym = pytest.importorskip("gymnasium")


@pytest.fixture(scope="module")
def agent() -> DQNAgent:
    return DQNAgent((16, 8), learning_starts=50, target_update=100, random_state=0).fit("CartPole-v1", total_steps=300, eval_every=150, eval_episodes=1)


def _run(path: Path, obs: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": obs})[0]


def test_onnx_q_values_and_greedy_actions_match_the_agent(agent: DQNAgent, tmp_path: Path) -> None:
    states, _ = agent.rollout("CartPole-v1", episodes=3, seed=0)  # the states the agent visits, then random ones
    obs = np.concatenate([states, np.random.default_rng(0).normal(0, 1.5, (300, 4))]).astype(np.float32)
    path = tmp_path / "agent.onnx"
    report = export_onnx(agent, path, X=obs, quantize=True)
    assert report.parity_rows == len(obs) and report.max_abs_diff < 1e-5 and report.output_name == "q_values" and report.input_shape == ["batch", 4]
    q = _run(path, obs)
    np.testing.assert_allclose(q, agent.q_values(obs), atol=1e-5)
    assert q.argmax(1).tolist() == [agent.act(o) for o in obs]
    assert _run(path, obs[:1]).shape == (1, 2)  # dynamic batch
    info = describe_onnx(path)
    assert info["estimator"] == "DQNAgent" and info["output"] == "q_values" and info["app_input"]["shape"] == ["batch", 4]
    import onnx

    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(props["agent"]) == {"env_id": "CartPole-v1", "n_actions": 2}


def test_without_x_parity_runs_on_random_observations(agent: DQNAgent, tmp_path: Path) -> None:
    report = export_onnx(agent, tmp_path / "a.onnx")
    assert report.parity_rows == 256 and report.max_abs_diff < 1e-5


def test_a_multi_dimensional_observation_is_read_as_the_environment_gives_it(tmp_path: Path) -> None:
    from gymnasium.wrappers import ReshapeObservation

    square = DQNAgent((8,), learning_starts=10, random_state=0).fit(ReshapeObservation(gym.make("CartPole-v1"), (2, 2)), total_steps=40, eval_every=40,
                                                                    eval_episodes=1)
    assert square.observation_shape_ == (2, 2)
    obs = np.random.default_rng(1).normal(size=(50, 2, 2)).astype(np.float32)
    report = export_onnx(square, tmp_path / "sq.onnx", X=obs)
    assert report.input_shape == ["batch", 2, 2]
    assert _run(tmp_path / "sq.onnx", obs).argmax(1).tolist() == [square.act(o) for o in obs]


def test_bad_parity_rows_and_labels_are_one_line(agent: DQNAgent, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^X must be observations \(n, 4\) with at least one row for this agent's ONNX input\. Received shape \(3, 5\)\.$"):
        export_onnx(agent, tmp_path / "a.onnx", X=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        export_onnx(agent, tmp_path / "a.onnx", X=np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="y is for classifiers"):
        export_onnx(agent, tmp_path / "a.onnx", X=np.zeros((3, 4)), y=[0, 1, 0])
    assert not list(tmp_path.iterdir())


def test_an_unfitted_agent_is_refused(tmp_path: Path) -> None:
    from hiddenlayers.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="needs a fitted model: call DQNAgent.fit"):
        export_onnx(DQNAgent(), tmp_path / "a.onnx")


def test_the_cli_export_checks_parity_on_a_table_of_observations(agent: DQNAgent, tmp_path: Path) -> None:
    """``export AGENT DATA``: DATA's rows are observations (as ``inspect`` reads them), the parity rows; the wrong width is one line."""
    import pandas as pd

    from cli_helpers import assert_user_error, ok, run

    agent.save(tmp_path / "agent.safetensors")
    pd.DataFrame(np.random.default_rng(0).normal(0, 1, (11, 4)), columns=["x", "v", "angle", "spin"]).to_csv(tmp_path / "obs.csv", index=False)
    report = json.loads(ok("export", tmp_path / "agent.safetensors", tmp_path / "obs.csv", "--out", tmp_path / "a.onnx", "--json").stdout)
    assert report["parity_rows"] == 11
    pd.DataFrame({"x": [0.1], "v": [0.2]}).to_csv(tmp_path / "narrow.csv", index=False)
    assert_user_error(run("export", tmp_path / "agent.safetensors", tmp_path / "narrow.csv", "--out", tmp_path / "b.onnx"),
                      "the agent reads observations of 4 values")
