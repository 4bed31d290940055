"""The served DQNAgent: ``{"observations": [...], "return_q": bool}`` -> ``{"actions": [...]}`` (and ``"q_values"``).

Each observation is a list of the agent's ``obs_dim`` numbers (CartPole-v1: 4), or nested lists of its observation
shape (an image-like space), finite and within float32's range (the Q-network computes in float32). The answer is the
greedy action of each (``DQNAgent.act`` with ``epsilon=0``: the argmax of its Q-values, the lowest action on a tie) and,
with ``"return_q": true``, the Q-value of every action, ``(n, n_actions)``. The ``.onnx`` export is served with the same
form (:mod:`.app_onnx`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...data import F32_MAX
from .app_base import AppModel, RequestError, _body, _call, _items
from .app_seq import _numbers
from .model import _require_finite
from .values import F32_TEXT, shown


def _not_finite(i: int) -> str:
    return (f"observations[{i}]: its Q-values are not finite (the observation is so far from those the agent learned on that the "
            "network overflows): send observations as the environment returns them.")


class AgentModel(AppModel):
    """A DQNAgent: ``{"observations": [[...], ...], "return_q": false}`` -> greedy ``actions`` (and ``q_values``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.describe(tuple(int(d) for d in getattr(self.app, "observation_shape_", (self.app.obs_dim_,))), int(self.app.n_actions_),
                      getattr(self.app, "env_id_", None))

    def describe(self, shape: tuple[int, ...], n_actions: int, env_id: str | None) -> None:
        """What requests are checked against: the observation ``shape`` (``(obs_dim,)`` for a flat space) and the action count
        (``env_id``: the environment learned, for /metadata)."""
        self.shape, self.obs_dim, self.n_actions, self.env_id = shape, int(np.prod(shape)), n_actions, env_id
        nested = "" if len(shape) == 1 else f", or nested lists of shape {shape}"
        self.form = (f'{{"observations": [[x1, x2, ...], ...], "return_q": false}} (each observation {self.obs_dim} numbers{nested}; '
                     'return_q optional: true adds each action\'s Q-value)')
        self.no_proba = "/predict_proba needs a classifier; a DQNAgent answers /predict with actions (\"return_q\": true adds the Q-values)."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("observations",), ("return_q",), self.form)
        want = b.get("return_q", False)
        if not isinstance(want, bool):
            raise RequestError(400, f'"return_q" must be true or false. Received: {want!r:.40}.')
        return [(self._observation(o, i), want) for i, o in enumerate(_items(b, "observations", "observations (lists of numbers)", max_rows))]

    def _observation(self, o: Any, i: int) -> np.ndarray:
        """Observation ``i`` as float32 ``(obs_dim,)``, checked: numbers of the agent's shape, finite, within float32's range."""
        if not isinstance(o, list):
            raise RequestError(400, f"observations[{i}] must be a list of {self.obs_dim} numbers. Received: {type(o).__name__}.")
        a = _numbers(o)
        if a.dtype.kind == "O" or a.shape not in (self.shape, (self.obs_dim,)) or any(isinstance(v, bool) for v in np.asarray(o, dtype=object).ravel()):
            got = f". Received shape {a.shape}." if a.dtype.kind != "O" else ": check for text, true/false, null or rows of different lengths."
            raise RequestError(422, f"observations[{i}] must be {self.obs_dim} numbers{'' if len(self.shape) == 1 else f' (or shape {self.shape})'}, "
                                    f"as the agent's environment returns them{got}")
        if not np.isfinite(a).all():
            raise RequestError(422, f"observations[{i}] holds NaN or infinity: send finite values.")
        if np.abs(a).max() > F32_MAX:
            raise RequestError(422, f"observations[{i}] holds {shown(a.flat[np.abs(a).argmax()])}, beyond {F32_TEXT}: send a smaller number.")
        return a.reshape(-1).astype(np.float32)

    def q_values(self, X: np.ndarray) -> np.ndarray:
        """Q-values ``(n, n_actions)`` of the checked observations ``X`` ``(n, obs_dim)``: the agent's own ``q_values``."""
        return _call(self.app.q_values, X)

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        q = np.asarray(self.q_values(np.stack([o for o, _ in rows])), dtype=np.float64).reshape(len(rows), self.n_actions)
        results = [(int(np.argmax(r)), qs if want else None) for r, qs, (_, want) in zip(q, self.numbers(q), rows)]
        return _require_finite(q, results, message=_not_finite)  # a row with a non-finite Q-value has no greedy action

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"actions": [a for a, _ in result]}
        if result and result[0][1] is not None:  # one request's rows share its return_q
            out["q_values"] = [q for _, q in result]
        return out

    def inputs(self) -> dict[str, Any]:
        return {"body": self.form, "observation_shape": list(self.shape), "n_actions": self.n_actions,
                "env_id": self.env_id}


__all__ = ["AgentModel"]
