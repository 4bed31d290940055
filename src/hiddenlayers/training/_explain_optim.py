"""The optimizer steps of :func:`~._explain.explain`: ``solver="sgd"`` or ``"adam"``, ``steps`` updates on the same row, by hand.

Each step recomputes the row's gradients at the current weights and applies the
update rule the estimators' ``fit`` uses (:mod:`._optim`, scikit-learn's rules),
written out factor by factor in float64:

* ``sgd``: ``g = dL/dW + alpha·W``; velocity ``v ← momentum·v - lr·g``; the update
  is ``v`` (classic momentum) or ``momentum·v - lr·g`` (``nesterovs_momentum``);
* ``adam``: ``m ← β1·m + (1-β1)·g``, ``v ← β2·v + (1-β2)·g²``, the bias-corrected
  ``m^ = m/(1-β1^t)``, ``v^ = v/(1-β2^t)`` and the update
  ``-lr·m^/(√v^ + ε/√(1-β2^t))``: scikit-learn's ``-lr·√(1-β2^t)/(1-β1^t)·m/(√v + ε)``
  (ε outside the bias correction), rewritten with ``m^`` and ``v^``.

The same steps are then run twice more and compared after every step: by
``torch.optim.SGD``/``torch.optim.Adam`` (their ``weight_decay`` is this L2 term;
Adam's ``eps`` is set to ``ε/√(1-β2^t)`` before step ``t``, which is where
PyTorch puts ε relative to scikit-learn), and by the training stage's own
optimizer (:func:`._optim.make_optimizer` on a :class:`._optim.FlatParams`), the
code ``fit`` steps with. Frozen (``fixed``) layers keep their weights and have
no optimizer state, as in training.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._numbers import real, whole

SOLVERS = ("sgd", "adam")
MAX_STEPS = 10  # steps shown: each is a page of tables
AGREE_TOL = 1e-9  # hand vs torch.optim / fit's optimizer, relative to the weights' size

Pairs = list[tuple[np.ndarray, np.ndarray]]
#: weights (input side first) -> (data loss, [(dL/dW, dL/db)] input side first)
GradFn = Callable[[Pairs], tuple[float, Pairs]]
#: a torch float64 forward pass: [(W, b) tensors] -> the scalar loss tensor
TorchLoss = Callable[[list[tuple[Any, Any]]], Any]


@dataclass(frozen=True)
class OptimSpec:
    """A checked optimizer for the walk-through: ``solver``, ``steps`` and that solver's settings (the estimators' names).

    Attributes
    ----------
    solver : {"sgd", "adam"}
        The optimizer.
    steps : int
        Its updates on the row.
    momentum : float
        sgd's momentum.
    nesterovs_momentum : bool
        sgd's Nesterov momentum.
    beta_1 : float
        adam's first-moment decay.
    beta_2 : float
        adam's second-moment decay.
    epsilon : float
        adam's denominator guard.
    """

    solver: str
    steps: int = 1
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8

    def settings(self) -> dict[str, Any]:
        """The settings this solver reads, by the estimators' parameter names."""
        if self.solver == "sgd":
            return {"momentum": self.momentum, "nesterovs_momentum": self.nesterovs_momentum}
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


def check_optim(solver: Any = None, steps: Any = 1, momentum: Any = None, nesterovs_momentum: Any = None,
                beta_1: Any = None, beta_2: Any = None, epsilon: Any = None, *, options: dict[str, str] | None = None) -> OptimSpec | None:
    """The optimizer options as an :class:`OptimSpec`, or None for the plain single step (``solver=None``).

    A setting of the other solver (``momentum`` with ``"adam"``), or any setting or ``steps > 1`` without a solver, is
    refused rather than ignored: the user meant it to change the numbers.

    Parameters
    ----------
    solver, steps, momentum, nesterovs_momentum, beta_1, beta_2, epsilon
        As :func:`explain` takes them.
    options : dict of str to str, optional
        The command-line option of each parameter (``{"solver": "--solver", ...}``), to word the refusals as the user
        typed them (``--solver adam``, ``drop --momentum``) rather than by the parameters (``solver='adam'``).
    """
    def opt(name: str, value: object = None) -> str:
        if options:
            return options.get(name, name) + ("" if value is None else f" {value}")
        return name if value is None else f"{name}={value!r}"  # solver='adam', momentum=0: as the call is written

    sgd_given = [n for n, v in (("momentum", momentum), ("nesterovs_momentum", nesterovs_momentum)) if v is not None]
    adam_given = [n for n, v in (("beta_1", beta_1), ("beta_2", beta_2), ("epsilon", epsilon)) if v is not None]
    n = whole("steps", steps, 1, "the number of optimizer steps shown")
    if solver is None:
        if sgd_given or adam_given:
            name = (sgd_given + adam_given)[0]
            which = "sgd" if sgd_given else "adam"
            raise ValueError(f"{name} is a setting of {opt('solver', which)}, and no solver is chosen (the default is one plain gradient-descent "
                             f"step): add {opt('solver', which)}, or drop {opt(name)}.")
        if n != 1:
            raise ValueError(f"steps={n} needs a solver (the default is one plain gradient-descent step): add {opt('solver', 'sgd')} or "
                             f"{opt('solver', 'adam')} ({opt('solver', 'sgd')} with {opt('momentum', 0)} steps plainly).")
        return None
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(SOLVERS)} (the estimators' step-by-step solvers explain writes out); leave it out "
                         f"for one plain gradient-descent step. Received: {opt('solver', str(solver))}.")
    if n > MAX_STEPS:
        raise ValueError(f"steps must be at most {MAX_STEPS} so the walk-through stays readable (each step is a page of tables). Received: steps={n}.")
    other = adam_given if solver == "sgd" else sgd_given
    if other:
        raise ValueError(f"{other[0]} is a setting of {opt('solver', 'adam' if solver == 'sgd' else 'sgd')}, not of {opt('solver', solver)}: "
                         f"drop {opt(other[0])}.")
    if solver == "sgd":
        if nesterovs_momentum is not None and not isinstance(nesterovs_momentum, (bool, np.bool_)):
            raise TypeError(f"nesterovs_momentum must be True or False. Received: nesterovs_momentum={nesterovs_momentum!r}.")
        mu = 0.9 if momentum is None else real("momentum", momentum, low=0, high=1, meaning="the velocity's decay per step")
        return OptimSpec("sgd", n, momentum=mu, nesterovs_momentum=True if nesterovs_momentum is None else bool(nesterovs_momentum))
    b1 = 0.9 if beta_1 is None else real("beta_1", beta_1, low=0, high=1, high_open=True, meaning="the first moment's decay")
    b2 = 0.999 if beta_2 is None else real("beta_2", beta_2, low=0, high=1, high_open=True, meaning="the second moment's decay")
    eps = 1e-8 if epsilon is None else real("epsilon", epsilon, low=0, low_open=True, meaning="added to √v so the step never divides by 0")
    return OptimSpec("adam", n, beta_1=b1, beta_2=b2, epsilon=eps)


@dataclass
class LayerUpdate:
    """One layer's part of one optimizer step, each array shaped as its ``W`` ``(out, in)`` or ``b`` ``(out,)``.

    A frozen layer has no state and a zero update.

    Attributes
    ----------
    name : str
        The layer.
    fixed : bool
        Frozen: the step leaves it unchanged.
    grad : tuple of numpy.ndarray
        What the optimizer reads, ``(dL/dW + alpha·W, dL/db)``.
    state : dict of str to tuple of numpy.ndarray
        Its running state after this step by name (sgd: ``velocity``; adam: ``m``, ``v``, ``m_hat``, ``v_hat``), each a
        ``(W part, b part)`` pair.
    update : tuple of numpy.ndarray
        What is added to the weights.
    new : tuple of numpy.ndarray
        The weights after the step.
    """

    name: str
    fixed: bool
    grad: tuple[np.ndarray, np.ndarray]
    state: dict[str, tuple[np.ndarray, np.ndarray]]
    update: tuple[np.ndarray, np.ndarray]
    new: tuple[np.ndarray, np.ndarray]


@dataclass
class OptimStep:
    """Step ``t``: the data loss at the weights it starts from, and each layer's update (input side first).

    Attributes
    ----------
    t : int
        The step, 1-based.
    loss : float
        The data loss at the weights it starts from.
    layers : list of LayerUpdate
        Each layer's update, input side first.
    scalars : dict of str to float
        The step's numbers shared by every weight (adam: ``1-β1^t``, ``1-β2^t`` and ``ε/√(1-β2^t)``).
    """

    t: int
    loss: float
    layers: list[LayerUpdate]
    scalars: dict[str, float] = field(default_factory=dict)


@dataclass
class OptimTrace:
    """``spec.steps`` optimizer steps on one row, by hand, and their agreement with ``torch.optim`` and with ``fit``'s optimizer.

    Attributes
    ----------
    spec : OptimSpec
        The optimizer.
    learning_rate : float
        Its rate.
    alpha : float
        The L2 strength added to the gradient.
    steps : list of OptimStep
        Each step written out.
    loss_after : float
        The data loss after the last step.
    torch_diffs : list of float
        Per step, the largest ``|hand - torch.optim|`` over every trained weight and bias after that step.
    fit_diffs : list of float
        The same against ``fit``'s optimizer.
    scales : list of float
        Per step, the largest ``|weight|`` then (the diffs are judged relative to it).
    """

    spec: OptimSpec
    learning_rate: float
    alpha: float
    steps: list[OptimStep]
    loss_after: float
    torch_diffs: list[float]
    fit_diffs: list[float]
    scales: list[float]

    @property
    def agrees(self) -> bool:
        """Whether every step matches both ``torch.optim`` and ``fit``'s optimizer to float64 rounding (1e-9 of the weights' size, or of 1)."""
        return all(max(a, b) <= AGREE_TOL * max(1.0, s) for a, b, s in zip(self.torch_diffs, self.fit_diffs, self.scales))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: every number of every step (arrays as nested lists)."""
        def pair(p: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
            return {"W": p[0].tolist(), "b": p[1].tolist()}

        return {
            "solver": self.spec.solver, "steps": self.spec.steps, "learning_rate": self.learning_rate, "alpha": self.alpha,
            "settings": self.spec.settings(), "loss_after": self.loss_after,
            "trace": [{"t": s.t, "loss": s.loss, "scalars": s.scalars,
                       "layers": [{"layer": u.name, "fixed": u.fixed, "grad": pair(u.grad), "state": {k: pair(v) for k, v in u.state.items()},
                                   "update": pair(u.update), "new": pair(u.new)} for u in s.layers]} for s in self.steps],
            "torch_optim_diffs": self.torch_diffs, "fit_optimizer_diffs": self.fit_diffs, "weight_scales": self.scales, "agrees": self.agrees,
        }


def run_steps(weights: Pairs, names: list[str], fixed: list[int], alpha: float, lr: float, spec: OptimSpec,
              grads: GradFn, torch_loss: TorchLoss) -> OptimTrace:
    """``spec.steps`` steps from ``weights`` by hand (``grads`` gives each step's data loss and gradients), then the two checks.

    ``names``: one per layer; ``torch_loss``: the same loss in PyTorch float64, for the checks' autograd. A step that
    overflows float64 is refused (the learning rate is too large), as the plain step's is.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflow is refused below in one line, not warned of
        steps = _hand_steps(weights, names, fixed, alpha, lr, spec, grads)
        loss_after = grads([u.new for u in steps[-1].layers])[0]
    if not np.isfinite(loss_after):
        raise ValueError(f"learning_rate={lr:g} is so large that the loss after {spec.steps} {spec.solver} step(s) overflows float64: "
                         "choose a smaller learning rate, e.g. 0.1.")
    hand = [[u.new for u in s.layers] for s in steps]
    torch_w = _torch_optim_steps(weights, fixed, alpha, lr, spec, torch_loss)
    fit_w = _fit_optimizer_steps(weights, fixed, alpha, lr, spec, torch_loss)
    return OptimTrace(spec, lr, alpha, steps, float(loss_after), _diffs(hand, torch_w), _diffs(hand, fit_w),
                      [max(float(np.abs(np.concatenate([W.ravel(), b])).max()) for W, b in ws) for ws in hand])


def _hand_steps(weights: Pairs, names: list[str], fixed: list[int], alpha: float, lr: float, spec: OptimSpec, grads: GradFn) -> list[OptimStep]:
    """The steps by hand: each step's gradient at the current weights, each layer's state, update and new weights."""
    state: list[dict[str, tuple[np.ndarray, np.ndarray]]] = [{} for _ in weights]
    current = [(W.copy(), b.copy()) for W, b in weights]
    steps = []
    for t in range(1, spec.steps + 1):
        loss, g = grads(current)
        scalars = _scalars(spec, t)
        layers = []
        for i, ((W, b), (dW, db)) in enumerate(zip(current, g)):
            grad = (dW + alpha * W, db.copy())
            if i in fixed:
                zero = (np.zeros_like(W), np.zeros_like(b))
                layers.append(LayerUpdate(names[i], True, grad, {}, zero, (W, b)))
                continue
            upd_W, st_W = _update(spec, lr, grad[0], {k: v[0] for k, v in state[i].items()}, scalars)
            upd_b, st_b = _update(spec, lr, grad[1], {k: v[1] for k, v in state[i].items()}, scalars)
            state[i] = {k: (st_W[k], st_b[k]) for k in st_W}
            layers.append(LayerUpdate(names[i], False, grad, dict(state[i]), (upd_W, upd_b), (W + upd_W, b + upd_b)))
        current = [u.new for u in layers]
        if not all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in current):
            raise ValueError(f"learning_rate={lr:g} is so large that step {t} of {spec.solver} overflows float64: choose a smaller learning rate, e.g. 0.1.")
        steps.append(OptimStep(t, loss, layers, scalars))
    return steps


def _scalars(spec: OptimSpec, t: int) -> dict[str, float]:
    if spec.solver == "sgd":
        return {}
    c2 = 1.0 - spec.beta_2**t
    return {"bias_correction_1": 1.0 - spec.beta_1**t, "bias_correction_2": c2, "epsilon_hat": spec.epsilon / math.sqrt(c2)}


def _update(spec: OptimSpec, lr: float, g: np.ndarray, state: dict[str, np.ndarray], scalars: dict[str, float]
            ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One array's update (added to the weights) and its new state, by the rule of ``spec.solver``."""
    if spec.solver == "sgd":
        v = spec.momentum * state.get("velocity", np.zeros_like(g)) - lr * g
        update = spec.momentum * v - lr * g if spec.nesterovs_momentum else v
        return update, {"velocity": v}
    m = spec.beta_1 * state.get("m", np.zeros_like(g)) + (1.0 - spec.beta_1) * g
    v = spec.beta_2 * state.get("v", np.zeros_like(g)) + (1.0 - spec.beta_2) * g * g
    m_hat, v_hat = m / scalars["bias_correction_1"], v / scalars["bias_correction_2"]
    update = -lr * m_hat / (np.sqrt(v_hat) + scalars["epsilon_hat"])
    return update, {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat}


def _diffs(hand: list[Pairs], other: list[Pairs]) -> list[float]:
    """Per step, max ``|hand - other|`` over every weight and bias."""
    return [max(max(float(np.abs(Wh - Wo).max()), float(np.abs(bh - bo).max())) for (Wh, bh), (Wo, bo) in zip(hs, os_))
            for hs, os_ in zip(hand, other)]


def _torch_optim_steps(weights: Pairs, fixed: list[int], alpha: float, lr: float, spec: OptimSpec, torch_loss: TorchLoss) -> list[Pairs]:
    """The same steps by ``torch.optim.SGD``/``Adam`` (weights in a group with ``weight_decay=alpha``, biases without); weights after each."""
    import torch

    params = [(torch.tensor(W, dtype=torch.float64, requires_grad=i not in fixed), torch.tensor(b, dtype=torch.float64, requires_grad=i not in fixed))
              for i, (W, b) in enumerate(weights)]
    trained = [p for i, p in enumerate(params) if i not in fixed]
    groups = [{"params": [W for W, _ in trained], "weight_decay": alpha}, {"params": [b for _, b in trained], "weight_decay": 0.0}]
    opt: Any
    if spec.solver == "sgd":
        opt = torch.optim.SGD(groups, lr=lr, momentum=spec.momentum, nesterov=spec.nesterovs_momentum and spec.momentum > 0)
    else:
        opt = torch.optim.Adam(groups, lr=lr, betas=(spec.beta_1, spec.beta_2), eps=spec.epsilon)
    out = []
    for t in range(1, spec.steps + 1):
        opt.zero_grad()
        torch_loss(params).backward()
        if spec.solver == "adam":  # PyTorch adds ε to √v^; scikit-learn (and fit) to √v: the same update with this ε
            for group in opt.param_groups:
                group["eps"] = spec.epsilon / math.sqrt(1.0 - spec.beta_2**t)
        opt.step()
        out.append([(W.detach().numpy().copy(), b.detach().numpy().copy()) for W, b in params])
    return out


def _fit_optimizer_steps(weights: Pairs, fixed: list[int], alpha: float, lr: float, spec: OptimSpec, torch_loss: TorchLoss) -> list[Pairs]:
    """The same steps by the optimizer ``fit`` uses (:func:`._optim.make_optimizer` over a flat buffer, ``l2=alpha``); weights after each."""
    import torch
    from torch import nn

    from ._optim import FlatParams, make_optimizer

    linears: list[nn.Linear] = []
    for i, (W, b) in enumerate(weights):
        lin = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        lin.requires_grad_(i not in fixed)
        linears.append(lin)
    flat = FlatParams(nn.ModuleList(linears))  # the trained layers' weights and biases, in order, as one buffer
    opt = make_optimizer(spec.solver, flat, momentum=spec.momentum, nesterov=spec.nesterovs_momentum,
                         beta_1=spec.beta_1, beta_2=spec.beta_2, epsilon=spec.epsilon)
    out = []
    for _ in range(spec.steps):
        loss = torch_loss([(lin.weight, lin.bias) for lin in linears])
        grads = torch.autograd.grad(loss, flat.params)
        with torch.no_grad():
            flat.grad.copy_(torch.cat([g.reshape(-1) for g in grads]))  # the buffer the optimizer reads, in flat.params' order
        opt.step(lr, l2=alpha)
        out.append([(lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()) for lin in linears])
    return out


__all__ = ["MAX_STEPS", "SOLVERS", "LayerUpdate", "OptimSpec", "OptimStep", "OptimTrace", "check_optim", "run_steps"]
