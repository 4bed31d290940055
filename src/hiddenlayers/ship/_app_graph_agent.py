"""The ONNX graph of a ``DQNAgent``: a batch of observations -> the Q-value of each action.

Input ``X`` is float32 ``(batch, *observation shape)``, observations as the
environment returns them (CartPole-v1: ``(batch, 4)``); the graph flattens
each one as :meth:`DQNAgent.q_values` does and runs the Q-network. Output
``q_values`` ``(batch, n_actions)``; the greedy action (``DQNAgent.act``) is
its argmax over axis 1. Like the classifiers' graphs, which give the
probabilities and leave the label to the caller, the graph gives the values.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._app_base import AppGraph, base_metadata, cpu_network


def _observations(model: Any, X: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``X`` as finite float32 observations ``(n, *shape)``, n >= 1 (rows of ``obs_dim`` values are taken too); else a one-line ValueError."""
    what = f"observations ({', '.join(['n', *map(str, shape)])})"
    try:
        rows = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must be numbers, {what}, for this agent's ONNX input: {exc}.") from None
    if rows.ndim == 2 and rows.shape[1] == int(model.obs_dim_):
        rows = rows.reshape(-1, *shape)
    if rows.ndim != len(shape) + 1 or tuple(rows.shape[1:]) != shape or rows.shape[0] == 0:
        raise ValueError(f"X must be {what} with at least one row for this agent's ONNX input. Received shape {rows.shape}.")
    if not np.isfinite(rows).all():
        raise ValueError("X contains NaN or infinite values: the parity check needs finite observations; drop or fill them.")
    return rows


def agent_graph(model: Any, X: Any) -> AppGraph:
    """DQNAgent: observations ``(N, *observation shape)`` -> ``q_values`` ``(N, n_actions)``.

    ``X``: parity observations (e.g. ``agent.rollout(env)[0]``, the states it visits); None: 256 standard-normal ones.
    """
    import torch
    from torch import Tensor, nn

    shape = tuple(int(d) for d in getattr(model, "observation_shape_", (model.obs_dim_,)))
    if X is None:
        X = np.random.default_rng(0).standard_normal((256, *shape))
    feeds = _observations(model, X, shape)
    reference = np.asarray(model.q_values(feeds.reshape(len(feeds), -1)), dtype=np.float64)
    network = cpu_network(model.q_network_)

    class _QValues(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, x: Tensor) -> Tensor:
            return self.network(x.reshape(x.shape[0], -1))  # (N, obs_dim) -> (N, n_actions)

    layout = f"(batch, {', '.join(map(str, shape))})"
    meta = base_metadata(model, "q_values", ["batch", *shape], layout, "observations as the environment returns them")
    meta["agent"] = json.dumps({"env_id": getattr(model, "env_id_", None), "n_actions": int(model.n_actions_)})
    notes = [f"input X is a batch of observations {layout} as the environment returns them; output q_values (batch, {int(model.n_actions_)}): "
             "the greedy action (DQNAgent.act) is its argmax over axis 1"]
    return AppGraph(_QValues().eval(), torch.zeros(2, *shape), feeds, reference, ["q_values"], ["batch", *shape], meta, notes)


__all__ = ["agent_graph"]
