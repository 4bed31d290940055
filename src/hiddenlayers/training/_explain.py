"""One forward and one backward pass of a tiny network, by hand, with real numbers.

:func:`explain` computes in NumPy (float64), for a network of sizes
``(n_in, hidden..., n_out)``:

* forward, layer by layer: ``z = W·h_prev + b``, ``h = activation(z)``; the
  output layer is linear, then the loss (squared error, softmax + cross
  entropy, or logistic + binary cross entropy per output);
* backward, from the output to the input: ``dL/dz``, ``dL/dW = dL/dz ⊗ h_prev``,
  ``dL/db = dL/dz``, ``dL/dh_prev = Wᵀ·dL/dz`` and, through the activation's
  derivative from the activation table, the previous layer's ``dL/dz``;
* the same gradients from PyTorch autograd, and their largest difference;
* one gradient-descent step ``W ← W - lr·dL/dW`` and the loss before and after.

The result is a plain :class:`Explanation` (``to_dict()`` for JSON) that
:meth:`Explanation.render` prints as Rich tables.

>>> ex = explain(seed=0)
>>> ex.max_abs_diff < 1e-12 and ex.loss_after < ex.loss
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..network import get_activation

LOSSES = ("squared_error", "cross_entropy", "binary_cross_entropy")


@dataclass
class ForwardStep:
    """One layer's forward pass: ``z = W·h_in + b``, ``h = activation(z)``. ``W`` is ``(out, in)``."""

    name: str
    activation: str
    W: np.ndarray
    b: np.ndarray
    h_in: np.ndarray
    z: np.ndarray
    h: np.ndarray


@dataclass
class BackwardStep:
    """One layer's backward pass: the loss's gradients w.r.t. its ``z``, ``W``, ``b`` and input."""

    name: str
    dL_dz: np.ndarray
    dL_dW: np.ndarray
    dL_db: np.ndarray
    dL_dh_in: np.ndarray


@dataclass
class Explanation:
    """Everything one forward + backward pass computed, in float64."""

    sizes: list[int]
    activation: str
    loss_name: str
    x: np.ndarray
    target: np.ndarray
    forward: list[ForwardStep]
    output: np.ndarray  # network output: y (squared error) or softmax probabilities
    loss: float
    dL_dout: np.ndarray  # dL/dz of the output layer
    backward: list[BackwardStep]  # output layer first
    autograd_diffs: dict[str, float]
    learning_rate: float
    loss_after: float
    notes: list[str] = field(default_factory=list)

    @property
    def max_abs_diff(self) -> float:
        """Largest absolute difference between the hand gradients and autograd's."""
        return max(self.autograd_diffs.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (arrays as nested lists)."""
        def arr(a: np.ndarray) -> Any:
            return np.asarray(a).tolist()

        return {
            "sizes": self.sizes, "activation": self.activation, "loss_name": self.loss_name,
            "x": arr(self.x), "target": arr(self.target),
            "forward": [{"layer": s.name, "activation": s.activation, "W": arr(s.W), "b": arr(s.b), "z": arr(s.z), "h": arr(s.h)} for s in self.forward],
            "output": arr(self.output), "loss": self.loss,
            "backward": [{"layer": s.name, "dL_dz": arr(s.dL_dz), "dL_dW": arr(s.dL_dW), "dL_db": arr(s.dL_db), "dL_dinput": arr(s.dL_dh_in)} for s in self.backward],
            "autograd_diffs": self.autograd_diffs, "max_abs_diff": self.max_abs_diff,
            "learning_rate": self.learning_rate, "loss_after": self.loss_after,
        }

    def render(self, console: Any = None) -> None:
        """Print the pass step by step as Rich tables on ``console`` (stdout by default)."""
        from ._explain_render import render

        render(self, console)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _loss(z_out: np.ndarray, target: np.ndarray, loss_name: str) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, network output, dL/dz_out) for the output layer's raw ``z_out``."""
    if loss_name == "squared_error":
        diff = z_out - target
        return float(0.5 * diff @ diff), z_out.copy(), diff
    if loss_name == "binary_cross_entropy":  # a logistic per output: -Σ t·log p + (1 - t)·log(1 - p), written stably in z
        p = 1.0 / (1.0 + np.exp(-z_out))
        return float((np.logaddexp(0.0, z_out) - target * z_out).sum()), p, p - target
    p = _softmax(z_out)
    return float(-(target * np.log(np.clip(p, 1e-300, None))).sum()), p, p - target


def _parse_vector(value: Any, n: int, what: str) -> np.ndarray:
    if isinstance(value, str):
        try:
            value = [float(v) for v in value.replace(" ", "").split(",") if v != ""]
        except ValueError:
            raise ValueError(f"{what} must be {n} comma-separated numbers, e.g. '{','.join(['0.5'] * n)}'. Received: {value!r}.") from None
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.shape != (n,):
        raise ValueError(f"{what} must have {n} numbers (one per {'input' if what == 'input' else 'output'}). Received {arr.shape[0]}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be finite numbers. Received: {arr.tolist()}.")
    return arr


def parse_sizes(value: Any) -> list[int]:
    """``"2,3,2"`` (or a sequence) -> ``[2, 3, 2]``: inputs, hidden layer widths, outputs."""
    try:
        sizes = [int(v) for v in value.replace(" ", "").split(",")] if isinstance(value, str) else [int(v) for v in value]
    except (ValueError, TypeError):
        raise ValueError(f"sizes must be integers separated by commas, inputs first and outputs last, e.g. '2,3,2'. Received: {value!r}.") from None
    if len(sizes) < 3 or any(s < 1 for s in sizes):
        raise ValueError(f"sizes needs at least 3 positive integers (inputs, one or more hidden layers, outputs), e.g. '2,3,2'. Received: {value!r}.")
    if max(sizes) > 16:
        raise ValueError(f"sizes are capped at 16 units per layer so the tables stay readable. Received: {value!r}.")
    return sizes


def _check_target(target: np.ndarray, loss: str, sizes: list[int]) -> None:
    """Refuse a loss the output layer cannot carry: a softmax over one output is 1, so its loss and gradients are all 0."""
    if loss == "cross_entropy" and sizes[-1] < 2:
        raise ValueError(
            "loss='cross_entropy' needs at least 2 outputs (a softmax over one output is always 1: loss and gradients 0); "
            f"for one output use loss='binary_cross_entropy' (logistic), or end sizes with 2 or more. Received: sizes={','.join(map(str, sizes))}."
        )
    if loss == "binary_cross_entropy" and (np.any(target < 0) or np.any(target > 1)):
        raise ValueError(f"with loss='binary_cross_entropy' each target must be in [0, 1] (e.g. '1' or '0.8'). Received: {target.tolist()}.")


def explain(
    sizes: Any = (2, 3, 2),
    *,
    activation: str = "tanh",
    x: Any = None,
    target: Any = None,
    loss: str = "squared_error",
    learning_rate: float = 0.1,
    seed: int = 0,
) -> Explanation:
    """Run one forward + backward pass of a tiny dense network by hand and check it.

    ``sizes`` lists the layer widths (inputs, hidden..., outputs); weights are
    drawn from ``seed`` and rounded to two decimals so the tables are easy to
    follow; ``x`` defaults to random inputs, ``target`` to the first class
    (one-hot). ``loss`` is ``"squared_error"`` (``½·Σ(y - t)²``) or
    ``"cross_entropy"`` (softmax, then ``-Σ t·log p``; ``target`` must then be
    probabilities, e.g. one-hot; at least 2 outputs, as a softmax over one is
    always 1) or ``"binary_cross_entropy"`` (a logistic per output, targets in
    [0, 1]: the loss for one output).
    """
    sizes = parse_sizes(sizes)
    act = get_activation(activation)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}. Received: loss={loss!r}.")
    if not (isinstance(learning_rate, (int, float)) and np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a number > 0. Received: learning_rate={learning_rate!r}.")
    rng = np.random.default_rng(seed)
    x_arr = np.round(rng.uniform(-1, 1, sizes[0]), 2) if x is None else _parse_vector(x, sizes[0], "input")
    if target is None:
        t_arr = np.zeros(sizes[-1])
        t_arr[0] = 1.0
    else:
        t_arr = _parse_vector(target, sizes[-1], "target")
    _check_target(t_arr, loss, sizes)
    if loss == "cross_entropy" and (np.any(t_arr < 0) or abs(t_arr.sum() - 1.0) > 1e-9):
        raise ValueError(f"with loss='cross_entropy' the target must be probabilities summing to 1 (e.g. one-hot '1,0'). Received: {t_arr.tolist()}.")
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append((np.round(rng.uniform(-bound, bound, (fan_out, fan_in)), 2), np.round(rng.uniform(-0.5, 0.5, fan_out), 2)))

    forward, z_out = _forward(weights, x_arr, act)
    loss_value, output, dz = _loss(z_out, t_arr, loss)
    backward = _backward(weights, forward, dz, act)
    diffs = _autograd_check(weights, x_arr, t_arr, act.name, loss, backward)

    stepped = [(W - learning_rate * s.dL_dW, b - learning_rate * s.dL_db) for (W, b), s in zip(weights, reversed(backward))]
    _, z_after = _forward(stepped, x_arr, act)
    loss_after = _loss(z_after, t_arr, loss)[0]
    return Explanation(
        sizes=sizes, activation=act.name, loss_name=loss, x=x_arr, target=t_arr, forward=forward, output=output,
        loss=loss_value, dL_dout=dz, backward=backward, autograd_diffs=diffs, learning_rate=float(learning_rate), loss_after=loss_after,
    )


def _forward(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, act: Any) -> tuple[list[ForwardStep], np.ndarray]:
    steps, h = [], x
    for i, (W, b) in enumerate(weights):
        last = i == len(weights) - 1
        z = W @ h + b  # (out,)
        out = z if last else act.np_forward(z)
        steps.append(ForwardStep("output" if last else f"hidden{i + 1}", "identity" if last else act.name, W, b, h, z, out))
        h = out
    return steps, h


def _backward(weights: list[tuple[np.ndarray, np.ndarray]], forward: list[ForwardStep], dz: np.ndarray, act: Any) -> list[BackwardStep]:
    steps = []
    for i in range(len(weights) - 1, -1, -1):
        W, _ = weights[i]
        s = forward[i]
        dW = np.outer(dz, s.h_in)  # (out, in)
        dh_in = W.T @ dz  # (in,)
        steps.append(BackwardStep(s.name, dz, dW, dz.copy(), dh_in))
        if i > 0:
            prev = forward[i - 1]
            dz = dh_in * act.np_grad(prev.z, prev.h)  # chain rule through the activation
    return steps


def _autograd_check(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, t: np.ndarray, act_name: str, loss: str, backward: list[BackwardStep]) -> dict[str, float]:
    """Max |hand - autograd| per gradient, PyTorch float64."""
    import torch

    fn = get_activation(act_name).forward
    params = [(torch.tensor(W, dtype=torch.float64, requires_grad=True), torch.tensor(b, dtype=torch.float64, requires_grad=True)) for W, b in weights]
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    h = xt
    for i, (W, b) in enumerate(params):
        z = W @ h + b
        h = z if i == len(params) - 1 else fn(z)
    tt = torch.tensor(t, dtype=torch.float64)
    if loss == "squared_error":
        L = 0.5 * ((h - tt) ** 2).sum()
    elif loss == "binary_cross_entropy":
        L = torch.nn.functional.binary_cross_entropy_with_logits(h, tt, reduction="sum")
    else:
        L = -(tt * torch.log_softmax(h, dim=0)).sum()
    L.backward()
    diffs: dict[str, float] = {}

    def grad(t: Any) -> np.ndarray:
        return t.grad.detach().numpy()  # set by L.backward()

    for (W, b), s in zip(params, reversed(backward)):
        diffs[f"{s.name}.W"] = float(np.abs(grad(W) - s.dL_dW).max())
        diffs[f"{s.name}.b"] = float(np.abs(grad(b) - s.dL_db).max())
    diffs["input"] = float(np.abs(grad(xt) - backward[-1].dL_dh_in).max())
    return diffs


__all__ = ["BackwardStep", "Explanation", "ForwardStep", "explain", "parse_sizes"]
