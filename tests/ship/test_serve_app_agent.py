"""`hiddenlayers serve` of a DQNAgent file (ship/_serve/app_agent.py): greedy actions (and Q-values) as its act and q_values, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")

from hiddenlayers.ship._serve.app_model import open_served  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError  # noqa: E402
from serve_helpers import Client, assert_float32_digits, json_bodies, rows_or_refusal  # noqa: E402


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A DQNAgent briefly trained on CartPole-v1, saved, a server of its file, and observations of every action."""
    from hiddenlayers.apps import DQNAgent

    ag = DQNAgent((8,), learning_starts=10, random_state=0).fit("CartPole-v1", total_steps=30, eval_every=30, eval_episodes=1)
    path = tmp_path_factory.mktemp("serve_agent") / "agent.safetensors"
    ag.save(path)
    obs = np.random.default_rng(0).normal(size=(12, 4))
    assert len(set(ag.act(obs).tolist())) == 2  # both actions occur: equal answers mean something
    client = Client(path, max_rows=16)
    yield {"agent": ag, "path": path, "client": client, "obs": obs}
    client.stop()


def test_actions_are_its_greedy_act_and_q_values_on_request(agent: dict) -> None:
    ag, client, obs = agent["agent"], agent["client"], agent["obs"]
    assert client.post("/predict", {"observations": obs.tolist()}) == (200, {"actions": ag.act(obs).tolist(), "model_version": 1})
    status, got = client.post("/predict", {"observations": obs.tolist(), "return_q": True})
    assert status == 200 and got["actions"] == ag.act(obs).tolist()
    np.testing.assert_allclose(got["q_values"], ag.q_values(obs), rtol=1e-6)
    assert_float32_digits(got["q_values"], ag.q_values(obs))  # the Q-network's float32 digits (before: its float64 copy's)
    assert client.post("/predict", {"observations": obs[:2].tolist(), "return_q": False})[1] == {"actions": ag.act(obs[:2]).tolist(), "model_version": 1}


def test_a_batch_of_requests_asking_q_values_or_not_answers_each_as_asked(agent: dict) -> None:
    from serve_helpers import batched

    ag, obs = agent["agent"], agent["obs"]
    model = open_served(agent["path"])
    got, batches, calls = batched(model, [model.rows({"observations": obs[:3].tolist(), "return_q": True}, 16),
                                          model.rows({"observations": obs[3:].tolist()}, 16)])
    assert batches == [(12, 2)] and calls == [12]
    assert model.answer(got[1], False) == {"actions": ag.act(obs[3:]).tolist()}
    answer = model.answer(got[0], False)
    assert answer["actions"] == ag.act(obs[:3]).tolist()
    np.testing.assert_allclose(answer["q_values"], ag.q_values(obs[:3]), rtol=1e-6)


def test_ready_metadata_and_no_proba(agent: dict) -> None:
    client = agent["client"]
    assert client.request("GET", "/ready") == (200, {"status": "ready", "model_version": 1})
    status, meta = client.request("GET", "/metadata")
    assert status == 200 and meta["estimator"] == "DQNAgent"
    assert meta["input"]["observation_shape"] == [4] and meta["input"]["n_actions"] == 2 and meta["input"]["env_id"] == "CartPole-v1"
    assert client.post("/predict_proba", {"observations": [[0, 0, 0, 0]]}) == (
        400, {"error": '/predict_proba needs a classifier; a DQNAgent answers /predict with actions ("return_q": true adds the Q-values).'})


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"observation": [[0, 0, 0, 0]]}, 400, "unknown key 'observation': the body takes only 'observations' and 'return_q'"),
    ({"observations": [0, 0, 0, 0]}, 400, "observations[0] must be a list of 4 numbers. Received: int."),
    ({"observations": []}, 400, '"observations" is empty: send at least one.'),
    ({"observations": [[0, 0, 0, 0]] * 17}, 413, '"observations" holds 17 items, more than the limit of 16'),
    ({"observations": [[0, 0, 0]]}, 422, "observations[0] must be 4 numbers, as the agent's environment returns them. Received shape (3,)."),
    ({"observations": [[0, 0, 0, "x"]]}, 422, "observations[0] must be 4 numbers, as the agent's environment returns them: check for text"),
    ({"observations": [[0, 0, 0, True]]}, 422, "observations[0] must be 4 numbers"),
    ({"observations": [[0, 0, 0, None]]}, 422, "observations[0] must be 4 numbers"),
    ({"observations": [[0, 0, 0, 1e39]]}, 422, "observations[0] holds 1e+39, beyond ±3.4e38"),
    ({"observations": [[0, 0, 0, 0]], "return_q": 1}, 400, '"return_q" must be true or false. Received: 1.'),
])
def test_bad_agent_requests_are_one_line(agent: dict, body: Any, status: int, message: str) -> None:
    got_status, got = agent["client"].post("/predict", body)
    assert got_status == status and message in got["error"] and "\n" not in got["error"]


def test_nan_and_infinity_are_refused(agent: dict) -> None:
    model = open_served(agent["path"])
    with pytest.raises(RequestError, match=r"observations\[1\] holds NaN or infinity: send finite values."):
        model.rows({"observations": [[0, 0, 0, 0], [0, float("inf"), 0, 0]]}, 16)


@settings(max_examples=60, deadline=None)
@given(body=json_bodies(["observations", "return_q"]))
def test_any_json_body_is_checked_or_refused_never_a_crash(agent: dict, body: Any) -> None:
    """Whatever JSON arrives, the parser answers finite float32 observations of 4 values or a one-line RequestError (a 4xx)."""
    rows = rows_or_refusal(agent.setdefault("served", open_served(agent["path"])), body, 16)
    assert rows is None or all(o.shape == (4,) and o.dtype == np.float32 and np.isfinite(o).all() and isinstance(q, bool) for o, q in rows)


def test_an_agent_of_a_2d_observation_space_reads_nested_or_flat_observations_from_its_file_and_export(tmp_path: Path) -> None:
    gym = pytest.importorskip("gymnasium")
    from gymnasium.wrappers import ReshapeObservation

    import hiddenlayers as hl
    from hiddenlayers.apps import DQNAgent

    square = DQNAgent((8,), learning_starts=10, random_state=0).fit(ReshapeObservation(gym.make("CartPole-v1"), (2, 2)), total_steps=40,
                                                                   eval_every=40, eval_episodes=1)
    square.save(tmp_path / "sq.safetensors")
    hl.export_onnx(square, tmp_path / "sq.onnx")
    obs = np.random.default_rng(1).normal(size=(6, 2, 2))
    for path in (tmp_path / "sq.safetensors", tmp_path / "sq.onnx"):
        model = open_served(path)
        for body in (obs.tolist(), obs.reshape(6, 4).tolist()):
            got = model.answer(model.predict(model.rows({"observations": body, "return_q": True}, 16), False), False)
            assert got["actions"] == square.act(obs).tolist()
            np.testing.assert_allclose(got["q_values"], square.q_values(obs), rtol=1e-5, atol=1e-6)
        with pytest.raises(RequestError, match=r"observations\[0\] must be 4 numbers \(or shape \(2, 2\)\)"):
            model.rows({"observations": [[[0], [0], [0], [0]]]}, 16)
        assert model.metadata()["input"]["observation_shape"] == [2, 2]
