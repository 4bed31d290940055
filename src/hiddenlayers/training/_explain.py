"""One forward and one backward pass of a dense network, by hand, with real numbers.

:func:`explain` draws a tiny network of sizes ``(n_in, hidden..., n_out)``;
:func:`explain_network` takes given weights, one activation per hidden layer
and a loss (the estimators pass a fitted model's own); both take an L2
strength ``alpha``. Both compute in NumPy (float64):

* forward, layer by layer: ``z = W·h_prev + b``, ``h = activation(z)``; the
  output layer is linear, then the loss (squared error, softmax + cross
  entropy, logistic + binary cross entropy per output, the generalized cross
  entropy ``(1 - p_y^q)/q`` over a softmax or per logistic output, and the
  Poisson deviance of ``y = e^z``);
* backward, from the output to the input: ``dL/dz``, ``dL/dW = dL/dz ⊗ h_prev``,
  ``dL/db = dL/dz``, ``dL/dh_prev = Wᵀ·dL/dz`` and, through the activation's
  derivative from the activation table, the previous layer's
  ``dL/dz = dL/dh ⊙ act'(z)`` (both factors kept);
* the same gradients from PyTorch autograd, and their largest difference;
* one gradient-descent step ``W ← W - lr·dL/dW``, the new weights, and the loss
  before and after; layers given as ``fixed`` (a fitted model's frozen ones) keep
  their weights, as the model's own training keeps them.

One sample, no batch: the loss is the sample's, summed over the outputs (the
objective whose gradient the estimators step along, for a batch of that one row;
a several-output regressor records it divided by the outputs, scikit-learn's
mean, which the rendering says). With ``alpha`` the
L2 penalty ``½·alpha·Σ W²`` (weights, not biases: scikit-learn's, for a batch
of one row) is stated apart: the chain-rule tables are the data loss's, and
the step adds ``alpha·W``. :func:`explain`'s sizes are capped (16 units per layer, 8 hidden layers) and checked before
anything is allocated; inputs or a learning rate so large that float64
overflows are refused rather than printed as ``inf``/``nan``.

The result is a plain :class:`Explanation` (``to_dict()`` for JSON) that
:meth:`Explanation.render` prints as Rich tables.

>>> ex = explain(seed=0)
>>> ex.max_abs_diff < 1e-12 and ex.loss_after < ex.loss
True
"""

from __future__ import annotations

import difflib
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._docsections import parameters_section
from ..network import get_activation
from ._explain_losses import DEFAULT_Q, GCE, LOSSES, gce, loss_value_grad, torch_loss
from ._explain_optim import OptimSpec, OptimTrace, check_optim, run_steps
from ._numbers import real, whole

MAX_UNITS = 16  # per layer: wider tables stop being readable
MAX_HIDDEN = 8  # hidden layers: a deeper walk-through is pages long
AGREE_TOL = 1e-9  # hand vs autograd, relative to the gradient's size (float64 rounding is ~1e-16 per operation)
MAX_VALUE = 1e6  # |input| and |target|: beyond it the tables lose their digits and float64 nears overflow


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
    """One layer's backward pass: the loss's gradients w.r.t. its ``z``, ``W``, ``b`` and input.

    For a hidden layer, ``dL_dz = dL_dh * act_grad`` (the chain rule's two
    factors, ``dL/dh`` and ``act'(z)``); the output layer has ``None`` there.
    """

    name: str
    dL_dz: np.ndarray
    dL_dW: np.ndarray
    dL_db: np.ndarray
    dL_dh_in: np.ndarray
    dL_dh: np.ndarray | None = None
    act_grad: np.ndarray | None = None


@dataclass(repr=False)
class Explanation:
    """Everything one forward + backward pass computed, in float64.

    Its repr is one line (layer sizes, loss before and after the step, agreement with autograd), not every array:
    ``hl.explain(...)`` ending a REPL line printed about 9 kB. ``str()`` and :meth:`render` show the tables.

    Attributes
    ----------
    sizes : list of int
        The layer widths: inputs, hidden..., outputs.
    activation : str
        The hidden activation.
    loss_name : str
        The loss.
    x : numpy.ndarray of shape (sizes[0],)
        The input row.
    target : numpy.ndarray of shape (sizes[-1],)
        The target the loss compares with.
    forward : list of ForwardStep
        Each layer's ``z = W·h_in + b`` and ``h = activation(z)``, input side first.
    output : numpy.ndarray of shape (sizes[-1],)
        The network output: y (squared error), e^z (poisson) or the softmax / logistic probabilities.
    loss : float
        The loss before the step (without the L2 penalty).
    dL_dout : numpy.ndarray of shape (sizes[-1],)
        dL/dz of the output layer.
    backward : list of BackwardStep
        Each layer's gradients, output layer first.
    autograd_diffs : dict of str to float
        Largest ``|hand - autograd|`` per gradient.
    learning_rate : float
        The step size.
    loss_after : float
        The loss after the step.
    updated : list of tuple of numpy.ndarray
        ``(W, b)`` of each layer after the step, input side first.
    autograd_sizes : dict of str to float
        Largest ``|autograd gradient|`` per gradient: the scale of each diff.
    alpha : float
        L2 strength: the step is ``W ← W - lr·(dL/dW + alpha·W)``.
    penalty : float
        ``½·alpha·Σ W²`` before the step (not in ``loss``).
    penalty_after : float
        The same after the step.
    input_names : list of str or None
        One name per input (e.g. the columns after preprocessing).
    output_names : list of str or None
        One name per output (e.g. a classifier's classes).
    source : dict
        Where the row and the weights came from (model, row, raw values, label, optimizer).
    fixed : list of int
        The layers (0-based, input side first) the step leaves unchanged: a model's frozen ones.
    q : float or None
        The generalized cross entropy's q (None for the other losses).
    p_y : numpy.ndarray or None
        gce: the probability given to the labelled class (softmax: one value; logistic: one per output).
    optim : OptimTrace or None
        ``solver="sgd"``/``"adam"``: its steps written out (then ``updated``/``loss_after`` are after the last).
    """

    sizes: list[int]
    activation: str
    loss_name: str
    x: np.ndarray
    target: np.ndarray
    forward: list[ForwardStep]
    output: np.ndarray  # network output: y (squared error), e^z (poisson) or the softmax / logistic probabilities
    loss: float
    dL_dout: np.ndarray  # dL/dz of the output layer
    backward: list[BackwardStep]  # output layer first
    autograd_diffs: dict[str, float]  # max |hand - autograd| per gradient
    learning_rate: float
    loss_after: float
    updated: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (W, b) after the step, input side first
    autograd_sizes: dict[str, float] = field(default_factory=dict)  # max |autograd gradient| per gradient, the scale of each diff
    alpha: float = 0.0  # L2 strength: the step is W ← W - lr·(dL/dW + alpha·W)
    penalty: float = 0.0  # ½·alpha·Σ W² before the step (not in ``loss``)
    penalty_after: float = 0.0  # the same after the step
    input_names: list[str] | None = None  # one name per input (e.g. the columns after preprocessing)
    output_names: list[str] | None = None  # one name per output (e.g. a classifier's classes)
    source: dict[str, Any] = field(default_factory=dict)  # where the row and the weights came from (model, row, raw values, label, optimizer)
    fixed: list[int] = field(default_factory=list)  # the layers (0-based, input side first) the step leaves unchanged: a model's frozen ones
    q: float | None = None  # the generalized cross entropy's q (None for the other losses)
    p_y: np.ndarray | None = None  # gce: the probability given to the labelled class (softmax: one value; logistic: one per output)
    optim: OptimTrace | None = None  # solver="sgd"/"adam": its steps written out (then ``updated``/``loss_after`` are after the last)

    @property
    def max_abs_diff(self) -> float:
        """Largest absolute difference between the hand gradients and autograd's."""
        return max(self.autograd_diffs.values())

    @property
    def agrees(self) -> bool:
        """Whether every hand gradient matches autograd's to float64 rounding: ``|diff| <= 1e-9·max(1, |gradient|)``.

        Relative, not absolute: with inputs near 1e6 the gradients reach 1e12 and
        rounding alone differs by 1e-4, which is agreement.
        """
        ok = all(d <= AGREE_TOL * max(1.0, self.autograd_sizes.get(k, 0.0)) for k, d in self.autograd_diffs.items())
        return ok and (self.optim is None or self.optim.agrees)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (arrays as nested lists)."""
        def arr(a: np.ndarray | None) -> Any:
            return None if a is None else np.asarray(a).tolist()

        out = {
            "sizes": self.sizes, "activation": self.activation, "loss_name": self.loss_name,
            "x": arr(self.x), "target": arr(self.target),
            "forward": [{"layer": s.name, "activation": s.activation, "W": arr(s.W), "b": arr(s.b), "z": arr(s.z), "h": arr(s.h)} for s in self.forward],
            "output": arr(self.output), "loss": self.loss,
            "backward": [{"layer": s.name, "dL_dz": arr(s.dL_dz), "dL_dW": arr(s.dL_dW), "dL_db": arr(s.dL_db), "dL_dinput": arr(s.dL_dh_in),
                          "dL_dh": arr(s.dL_dh), "act_grad": arr(s.act_grad)} for s in self.backward],
            "autograd_diffs": self.autograd_diffs, "max_abs_diff": self.max_abs_diff, "autograd_sizes": self.autograd_sizes, "agrees": self.agrees,
            "learning_rate": self.learning_rate, "loss_after": self.loss_after,
            "alpha": self.alpha, "l2_penalty": self.penalty, "l2_penalty_after": self.penalty_after,
            "input_names": self.input_names, "output_names": self.output_names, "source": self.source,
            "updated": [{"layer": s.name, "W": arr(W), "b": arr(b)} for s, (W, b) in zip(self.forward, self.updated)],
            "fixed": [self.forward[i].name for i in self.fixed],
            "gce_q": self.q, "p_y": arr(self.p_y),
        }
        if self.optim is not None:  # only then: the plain step's JSON stays as it was
            out["optimizer"] = self.optim.to_dict()
        return out

    def render(self, console: Any = None) -> None:
        """Print the pass step by step as Rich tables.

        Parameters
        ----------
        console : rich.console.Console, optional
            Where to print (default: a console on stdout).
        """
        from ._explain_render import render

        render(self, console)

    def __repr__(self) -> str:
        sizes = "-".join(str(n) for n in self.sizes)
        check = "agree with" if self.agrees else "DIFFER from"
        o = self.optim
        after = "one step" if o is None else f"{o.spec.steps} {o.spec.solver} step{'s' if o.spec.steps > 1 else ''}"
        checked = "autograd" if o is None else "autograd, torch.optim and fit's optimizer"
        return (f"Explanation(sizes {sizes}, {self.activation}, {self.loss_name} loss {self.loss:.6g} -> {self.loss_after:.6g} after {after} "
                f"at learning_rate {self.learning_rate:g}; gradients {check} {checked} (max diff {self.max_abs_diff:.2g}); "
                ".render() or print() shows the tables)")

    def __str__(self) -> str:
        """The tables of :meth:`render` as plain text (no colours, 140 columns), so ``print(ex)`` shows them."""
        import io

        from rich.console import Console

        buf = io.StringIO()
        self.render(Console(file=buf, width=140, color_system=None, force_terminal=False))
        return buf.getvalue().rstrip("\n")


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
        bad = np.flatnonzero(~np.isfinite(arr))
        where = ", ".join(str(int(i) + 1) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
        raise ValueError(f"{what} must be finite numbers: {len(bad)} of its {n} values are NaN or infinite (at position {where}; 1 is the first); "
                         "impute or drop them first.")
    if np.abs(arr).max() > MAX_VALUE:
        raise ValueError(f"{what} values must be within ±{MAX_VALUE:g}, so every printed number keeps its digits and float64 does not overflow; "
                         f"scale the values first (e.g. standardise the column). Received: {arr.tolist()}.")
    return arr


def _refuse_class_index(target: Any, loss: str, n_out: int) -> None:
    """A softmax loss's target given as a class index (``--target 1``, as a label is given to ``fit``): name its one-hot form.

    It was told "target must have 3 numbers (one per output). Received 1.", which did not say how to write class 1.
    """
    if loss not in ("cross_entropy", "generalized_cross_entropy") or n_out < 2:
        return
    try:
        values = np.asarray(target.split(",") if isinstance(target, str) else target, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return  # not numbers: _parse_vector words that
    k = float(values[0]) if values.shape == (1,) else None
    if k is not None and k.is_integer() and 0 <= k < n_out:
        onehot = ",".join("1" if i == int(k) else "0" for i in range(n_out))
        raise ValueError(f"target must have {n_out} numbers (one per output), the probabilities the softmax should give: class {int(k)} "
                         f"(counted from 0) is the one-hot '{onehot}'. Received: {target!r}.")


def parse_sizes(value: Any) -> list[int]:
    """``"2,3,2"`` (or a sequence) -> ``[2, 3, 2]``: inputs, hidden layer widths, outputs.

    At most :data:`MAX_HIDDEN` hidden layers and :data:`MAX_UNITS` units per
    layer, checked here, before any weight is drawn.
    """
    def whole_number(v: Any) -> int:
        if isinstance(v, bool) or not (isinstance(v, numbers.Integral) or (isinstance(v, float) and v.is_integer())):
            raise TypeError
        return int(v)

    try:
        sizes = [int(v) for v in value.replace(" ", "").split(",")] if isinstance(value, str) else [whole_number(v) for v in value]
    except (ValueError, TypeError):
        raise ValueError(f"sizes must be integers separated by commas, inputs first and outputs last, e.g. '2,3,2'. Received: {_short(value)}.") from None
    if len(sizes) > MAX_HIDDEN + 2:
        raise ValueError(f"sizes allows at most {MAX_HIDDEN} hidden layers ({MAX_HIDDEN + 2} numbers with the inputs and outputs) so the walk-through "
                         f"stays readable, e.g. '2,3,3,2'. Received: {len(sizes)} numbers.")
    if len(sizes) < 3:
        raise ValueError(f"sizes needs at least 3 positive integers (inputs, one or more hidden layers, outputs), e.g. '2,3,2'. Received: {_short(value)}.")
    if any(s < 1 for s in sizes):  # '2,0,2' has 3 numbers: "needs at least 3" would not name its problem
        i = next(i for i, s in enumerate(sizes) if s < 1)
        which = "the inputs" if i == 0 else "the outputs" if i == len(sizes) - 1 else f"hidden layer {i}"
        raise ValueError(f"sizes must be positive integers: {which} cannot have {sizes[i]} units (every layer has at least 1), "
                         f"e.g. '2,3,2'. Received: {_short(value)}.")
    if max(sizes) > MAX_UNITS:
        raise ValueError(f"sizes are capped at {MAX_UNITS} units per layer so the tables stay readable. Received: {_short(value)}.")
    return sizes


def _short(value: Any) -> str:
    """``repr(value)``, cut to 80 characters: a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_target(target: np.ndarray, loss: str, sizes: list[int]) -> None:
    """Refuse a loss the output layer cannot carry: a softmax over one output is 1, so its loss and gradients are all 0."""
    if loss == "cross_entropy" and sizes[-1] < 2:
        raise ValueError(
            "loss='cross_entropy' needs at least 2 outputs (a softmax over one output is always 1: loss and gradients 0); "
            f"for one output use loss='binary_cross_entropy' (logistic), or end sizes with 2 or more. Received: sizes={','.join(map(str, sizes))}."
        )
    if loss == "generalized_cross_entropy" and sizes[-1] < 2:
        raise ValueError("loss='generalized_cross_entropy' needs at least 2 outputs (a softmax over one output is always 1); for one output use "
                         f"loss='binary_generalized_cross_entropy' (logistic). Received: sizes={','.join(map(str, sizes))}.")
    if loss in ("binary_cross_entropy", "binary_generalized_cross_entropy", "logistic_squared_error") and (np.any(target < 0) or np.any(target > 1)):
        raise ValueError(f"with loss={loss!r} each target must be in [0, 1] (e.g. '1' or '0.8'"
                         + (": a logistic output never leaves (0, 1)" if loss == "logistic_squared_error" else "") + f"). Received: {target.tolist()}.")
    if loss == "generalized_cross_entropy" and (np.any(target < 0) or abs(target.sum() - 1.0) > 1e-9):
        raise ValueError(f"with loss='generalized_cross_entropy' the target must be probabilities summing to 1 (e.g. one-hot '1,0'). "
                         f"Received: {target.tolist()}.")
    if loss == "poisson" and np.any(target < 0):
        raise ValueError(f"with loss='poisson' each target must be >= 0 (a count or a rate). Received: {target.tolist()}.")


def explain(
    sizes: Any = (2, 3, 2),
    *,
    activation: str = "tanh",
    x: Any = None,
    target: Any = None,
    loss: str = "squared_error",
    learning_rate: float = 0.1,
    seed: int = 0,
    q: float | None = None,
    solver: str | None = None,
    steps: int = 1,
    momentum: float | None = None,
    nesterovs_momentum: bool | None = None,
    beta_1: float | None = None,
    beta_2: float | None = None,
    epsilon: float | None = None,
    alpha: float = 0.0,
) -> Explanation:
    """Run one forward + backward pass of a tiny dense network by hand and check it.

    One sample: no batch, no mean. At most 8 hidden layers of at most 16 units; inputs and targets within ±1e6. The result
    keeps every number printed, the new weights after the ``learning_rate`` step included (``updated``).

    Parameters
    ----------
    sizes : sequence of int
        The layer widths (inputs, hidden..., outputs); weights are drawn from ``seed`` and rounded to two decimals so the
        tables are easy to follow.
    activation : str
        The hidden activation.
    x : array-like of shape (sizes[0],), optional
        The input (default: random).
    target : array-like of shape (sizes[-1],), optional
        The target (default: the first class, one-hot).
    loss : str
        ``"squared_error"`` (``½·Σ(y - t)²``), ``"cross_entropy"`` (softmax, then ``-Σ t·log p``; ``target`` must then
        be probabilities, e.g. one-hot; at least 2 outputs, as a softmax over one is always 1), ``"binary_cross_entropy"``
        (a logistic per output, targets in [0, 1]), ``"generalized_cross_entropy"`` /
        ``"binary_generalized_cross_entropy"`` (``(1 - p_y^q)/q`` over the softmax or per logistic output, the
        estimators' ``loss="gce"``), ``"poisson"`` (``y = e^z``, half deviance, targets >= 0) or the textbooks'
        ``"logistic_squared_error"`` (``½·Σ(σ(z) - t)²``, Nielsen's quadratic cost over sigmoid outputs, targets in [0, 1]).
    learning_rate : float
        The step size, > 0.
    seed : int
        Seed of the weights and the default input.
    q : float, optional
        The generalized cross entropy's exponent, in (0, 1] (default 0.7); only with those losses.
    solver : {None, "sgd", "adam"}
        None: one plain gradient-descent step; else ``steps`` updates on this row by the estimators' own rule, written out
        in ``optim`` and checked against ``torch.optim`` and ``fit``'s optimizer (see :mod:`._explain_optim`).
    steps : int
        Updates with ``solver``, 1 to 10.
    momentum, nesterovs_momentum
        sgd's settings (default 0.9 and True).
    beta_1, beta_2, epsilon
        adam's settings (default 0.9, 0.999, 1e-8).
    alpha : float
        The L2 strength (the estimators' ``alpha``, default 0): ``½·alpha·Σ W²`` over the weights, not the biases, is
        stated apart from the loss and its ``alpha·W`` added to the step, as the estimators' fit adds it.
    """
    spec = check_optim(solver, steps, momentum, nesterovs_momentum, beta_1, beta_2, epsilon)
    sizes = parse_sizes(sizes)
    act = get_activation(activation)
    _check_loss(loss)
    q = _check_q(loss, DEFAULT_Q if q is None and loss in GCE else q)
    learning_rate = real("learning_rate", learning_rate, low=0, low_open=True, meaning="the step size of the one gradient-descent step")
    alpha = real("alpha", alpha, low=0, meaning="the L2 strength (scikit-learn's alpha)")
    rng = np.random.default_rng(whole("seed", seed, 0, "the seed of the weights and the default input"))
    x_arr = np.round(rng.uniform(-1, 1, sizes[0]), 2) if x is None else _parse_vector(x, sizes[0], "input")
    if target is None:
        t_arr = np.zeros(sizes[-1])
        t_arr[0] = 1.0
    else:
        _refuse_class_index(target, loss, sizes[-1])
        t_arr = _parse_vector(target, sizes[-1], "target")
    _check_target(t_arr, loss, sizes)
    if loss == "cross_entropy" and (np.any(t_arr < 0) or abs(t_arr.sum() - 1.0) > 1e-9):
        raise ValueError(f"with loss='cross_entropy' the target must be probabilities summing to 1 (e.g. one-hot '1,0'). Received: {t_arr.tolist()}.")
    return _run(_draw_weights(rng, sizes), [act.name] * (len(sizes) - 2), x_arr, t_arr, loss, learning_rate, alpha, q=q, spec=spec)


def _draw_weights(rng: np.random.Generator, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Glorot-uniform ``W`` ``(out, in)`` and ``b`` in [-0.5, 0.5] per layer, rounded to two decimals so the tables are easy to follow."""
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append((np.round(rng.uniform(-bound, bound, (fan_out, fan_in)), 2), np.round(rng.uniform(-0.5, 0.5, fan_out), 2)))
    return weights


def _check_loss(loss: Any) -> None:
    """Refuse a loss explain cannot write out, naming the valid ones and the nearest."""
    if loss not in LOSSES:
        close = difflib.get_close_matches(str(loss).strip().lower().replace("-", "_").replace(" ", "_"), LOSSES, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        if str(loss).strip().lower() == "gce":  # the estimators' name: MLPClassifier(loss="gce", gce_q=...)
            hint = " The estimators' loss='gce' is loss='generalized_cross_entropy' here, with q= for their gce_q."
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}. Received: loss={loss!r}.{hint}")


def _check_q(loss: str, q: Any) -> float | None:
    """``q`` checked against ``loss``: a float in (0, 1] with a generalized cross entropy, None with any other loss."""
    if loss in GCE:
        if q is None:
            raise ValueError(f"loss={loss!r} needs q, its exponent in (0, 1] (the classifier's gce_q), e.g. q=0.7.")
        return real("q", q, low=0, low_open=True, high=1, meaning="the generalized cross entropy's exponent (gce_q)")
    if q is not None:
        raise ValueError(f"q is the generalized cross entropy's exponent: it goes with loss='generalized_cross_entropy' or "
                         f"'binary_generalized_cross_entropy', not loss={loss!r}. Received: q={q!r}; drop it.")
    return None


_EXPLAIN_NETWORK_PARAMETERS = """
Parameters
----------
weights : sequence of (W, b)
    Input side first, ``W`` of shape ``(out, in)`` (PyTorch's ``Linear.weight``), the last pair the linear output
    layer.
activations : sequence of str
    One activation name per hidden layer.
x : array-like of shape (n_in,)
    The input.
target : array-like of shape (n_out,)
    In the loss's form: one-hot for ``"cross_entropy"`` and ``"generalized_cross_entropy"``, 0/1 per output for the
    binary ones and ``"logistic_squared_error"``, values for ``"squared_error"``, values >= 0 for ``"poisson"`` (whose output
    is ``y = e^z``).
loss : str
    The loss, as :func:`explain` names them.
learning_rate : float
    The step size of ``W ← W - learning_rate·(dL/dW + alpha·W)``, one plain gradient-descent step.
alpha : float
    The L2 strength, stated apart (``penalty``) and added to the step.
input_names : list of str, optional
    One name per input, for the tables.
output_names : list of str, optional
    One name per output.
source : dict, optional
    Where the row and weights came from (a model's explanation fills it).
fixed : sequence of int
    Hidden layers (0-based) the step leaves unchanged and the L2 term leaves out, as training does with frozen
    layers.
q : float, optional
    The generalized cross entropy's ``(1 - p_y^q) / q`` exponent (the classifier's ``gce_q``), in (0, 1]; only with
    those losses.
solver, steps, momentum, nesterovs_momentum, beta_1, beta_2, epsilon
    Instead of the plain step, ``steps`` updates by that optimizer, as :func:`explain` takes them; ``alpha`` is then
    added to the gradient the optimizer reads, as ``fit`` adds it.
"""


@parameters_section(_EXPLAIN_NETWORK_PARAMETERS)
def explain_network(
    weights: Any,
    activations: Any,
    x: Any,
    target: Any,
    *,
    loss: str,
    learning_rate: float = 0.1,
    alpha: float = 0.0,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    source: dict[str, Any] | None = None,
    fixed: Any = (),
    q: float | None = None,
    solver: str | None = None,
    steps: int = 1,
    momentum: float | None = None,
    nesterovs_momentum: bool | None = None,
    beta_1: float | None = None,
    beta_2: float | None = None,
    epsilon: float | None = None,
) -> Explanation:
    """One forward + backward pass of the dense network ``weights``, by hand, checked against autograd.

    No size cap: the renderer truncates wide layers and says so.

    Examples
    --------
    >>> W1, W2 = [[0.5, -0.5]], [[1.0]]
    >>> ex = explain_network([(W1, [0.0]), (W2, [0.0])], ["relu"], [1.0, 0.0], [1.0], loss="squared_error")
    >>> ex.loss, ex.agrees
    (0.125, True)
    """
    _check_loss(loss)
    q = _check_q(loss, q)
    spec = check_optim(solver, steps, momentum, nesterovs_momentum, beta_1, beta_2, epsilon)
    pairs = [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64).reshape(-1)) for W, b in weights]
    if not pairs:
        raise ValueError("weights must hold at least one (W, b) pair: the output layer.")
    for i, (W, b) in enumerate(pairs):
        n_in = pairs[i - 1][0].shape[0] if i else W.shape[-1]
        if W.ndim != 2 or W.shape != (b.shape[0], n_in):
            raise ValueError(f"weights[{i}] must be W of shape (out, in) = ({b.shape[0]}, {n_in}) and b of shape ({b.shape[0]},): "
                             f"each layer's inputs are the layer before's outputs. Received: W {W.shape}, b {b.shape}.")
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise ValueError(f"weights[{i}] holds NaN or infinite values: explain needs a finite network (refit the model).")
    acts = [get_activation(a).name for a in activations]
    if len(acts) != len(pairs) - 1:
        raise ValueError(f"activations must name one activation per hidden layer ({len(pairs) - 1}). Received: {len(acts)}.")
    x_arr = _parse_vector(x, pairs[0][0].shape[1], "input")
    t_arr = _parse_vector(target, pairs[-1][0].shape[0], "target")
    sizes = [pairs[0][0].shape[1]] + [W.shape[0] for W, _ in pairs]
    _check_target(t_arr, loss, sizes)
    learning_rate = real("learning_rate", learning_rate, low=0, low_open=True, meaning="the step size of the one gradient-descent step")
    alpha = real("alpha", alpha, low=0, meaning="the L2 strength (scikit-learn's alpha)")
    return _run(pairs, acts, x_arr, t_arr, loss, learning_rate, alpha, input_names, output_names, source or {}, _check_fixed(fixed, len(pairs) - 1), q,
                spec)


def _check_fixed(fixed: Any, n_hidden: int) -> list[int]:
    """``fixed`` as sorted distinct hidden-layer indices in ``[0, n_hidden)``, or a ValueError naming the bad one."""
    out: set[int] = set()
    for i in fixed:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral) or not 0 <= int(i) < n_hidden:
            raise ValueError(f"fixed must list hidden-layer indices 0..{n_hidden - 1} (the output layer always trains). Received: {i!r}.")
        out.add(int(i))
    return sorted(out)


def _run(weights: list[tuple[np.ndarray, np.ndarray]], acts: list[str], x_arr: np.ndarray, t_arr: np.ndarray, loss: str, learning_rate: float,
         alpha: float, input_names: list[str] | None = None, output_names: list[str] | None = None, source: dict[str, Any] | None = None,
         fixed: list[int] | None = None, q: float | None = None, spec: OptimSpec | None = None) -> Explanation:
    """The pass itself, on checked inputs: forward, loss, backward, autograd check, then one plain step or ``spec``'s optimizer steps
    (``fixed`` layers kept as they are)."""
    fixed = fixed or []
    sizes = [weights[0][0].shape[1]] + [W.shape[0] for W, _ in weights]
    forward, z_out = _forward(weights, x_arr, acts)
    with np.errstate(over="ignore", invalid="ignore"):
        loss_value, output, dz = loss_value_grad(z_out, t_arr, loss, q)
    if not (np.isfinite(loss_value) and np.all(np.isfinite(dz))):  # e^z of a Poisson output past z ≈ 709
        raise ValueError(f"the output z = {_short(z_out.tolist())} overflows float64 in the {loss} loss: explain needs a network whose "
                         "outputs stay within float64's range on this row (check the row's scale, or refit the model).")
    backward = _backward(weights, forward, dz, acts)
    diffs, sizes_of = _autograd_check(weights, x_arr, t_arr, acts, loss, backward, q)
    trace = None
    if spec is None:
        stepped, loss_after = _plain_step(weights, backward, x_arr, t_arr, acts, loss, q, learning_rate, alpha, fixed)
    else:
        trace = run_steps(weights, [s.name for s in forward], fixed, alpha, learning_rate, spec, _grads_fn(x_arr, t_arr, acts, loss, q),
                          lambda params: _torch_loss_of(params, x_arr, t_arr, acts, loss, q))
        stepped, loss_after = [u.new for u in trace.steps[-1].layers], trace.loss_after

    def l2(ws: list[tuple[np.ndarray, np.ndarray]]) -> float:
        return float(0.5 * alpha * sum(float(np.vdot(W, W)) for i, (W, _) in enumerate(ws) if i not in fixed)) if alpha else 0.0

    hidden = sorted(set(acts), key=acts.index)
    return Explanation(
        sizes=sizes, activation=", ".join(hidden) if hidden else "identity", loss_name=loss, x=x_arr, target=t_arr, forward=forward,
        output=output, loss=loss_value, dL_dout=dz, backward=backward, autograd_diffs=diffs, learning_rate=learning_rate,
        loss_after=loss_after, updated=stepped, autograd_sizes=sizes_of, alpha=alpha, penalty=l2(weights), penalty_after=l2(stepped),
        input_names=input_names, output_names=output_names, source=dict(source or {}), fixed=fixed,
        q=q, p_y=gce(z_out, t_arr, loss == GCE[1], float(q or 0.0))[2] if loss in GCE else None, optim=trace,
    )


def _plain_step(weights: list[tuple[np.ndarray, np.ndarray]], backward: list[BackwardStep], x_arr: np.ndarray, t_arr: np.ndarray, acts: list[str],
                loss: str, q: float | None, learning_rate: float, alpha: float, fixed: list[int]) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
    """One plain gradient-descent step ``W ← W - lr·(dL/dW + alpha·W)``: the new weights and the loss after; refused where it overflows."""
    stepped = [(W, b) if i in fixed else (W - learning_rate * (s.dL_dW + alpha * W), b - learning_rate * s.dL_db)
               for i, ((W, b), s) in enumerate(zip(weights, reversed(backward)))]
    with np.errstate(over="ignore", invalid="ignore"):
        _, z_after = _forward(stepped, x_arr, acts)
        loss_after = loss_value_grad(z_after, t_arr, loss, q)[0]
    if not (np.isfinite(loss_after) and all(np.all(np.isfinite(W)) for W, _ in stepped)):
        raise ValueError(f"learning_rate={learning_rate:g} is so large that the step overflows float64 (the loss after it is {loss_after}): "
                         "choose a smaller learning rate, e.g. 0.1.")
    return stepped, loss_after


def _grads_fn(x_arr: np.ndarray, t_arr: np.ndarray, acts: list[str], loss: str, q: float | None) -> Any:
    """``weights -> (data loss, [(dL/dW, dL/db)] input side first)`` by the hand forward and backward pass, for the optimizer steps."""
    def grads(weights: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        forward, z_out = _forward(weights, x_arr, acts)
        with np.errstate(over="ignore", invalid="ignore"):
            value, _, dz = loss_value_grad(z_out, t_arr, loss, q)
            backward = _backward(weights, forward, dz, acts)
        return float(value), [(s.dL_dW, s.dL_db) for s in reversed(backward)]

    return grads


def _torch_loss_of(params: list[tuple[Any, Any]], x: np.ndarray, t: np.ndarray, acts: list[str], loss: str, q: float | None,
                   xt: Any = None) -> Any:
    """The loss of the network ``params`` (``(W, b)`` torch float64 tensors) on the row, as a torch scalar (``xt``: the input tensor)."""
    import torch

    h = torch.tensor(x, dtype=torch.float64) if xt is None else xt
    for i, (W, b) in enumerate(params):
        z = W @ h + b
        h = z if i == len(params) - 1 else get_activation(acts[i]).forward(z)
    return torch_loss(h, torch.tensor(t, dtype=torch.float64), loss, q)


def _forward(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, acts: list[str]) -> tuple[list[ForwardStep], np.ndarray]:
    steps, h = [], x
    for i, (W, b) in enumerate(weights):
        last = i == len(weights) - 1
        z = W @ h + b  # (out,)
        out = z if last else get_activation(acts[i]).np_forward(z)
        steps.append(ForwardStep("output" if last else f"hidden{i + 1}", "identity" if last else acts[i], W, b, h, z, out))
        h = out
    return steps, h


def _backward(weights: list[tuple[np.ndarray, np.ndarray]], forward: list[ForwardStep], dz: np.ndarray, acts: list[str]) -> list[BackwardStep]:
    steps = []
    dL_dh: np.ndarray | None = None  # the output layer has no activation: dL/dz comes from the loss
    act_grad: np.ndarray | None = None
    for i in range(len(weights) - 1, -1, -1):
        W, _ = weights[i]
        s = forward[i]
        dW = np.outer(dz, s.h_in)  # (out, in)
        dh_in = W.T @ dz  # (in,)
        steps.append(BackwardStep(s.name, dz, dW, dz.copy(), dh_in, dL_dh, act_grad))
        if i > 0:
            prev = forward[i - 1]
            dL_dh, act_grad = dh_in, get_activation(acts[i - 1]).np_grad(prev.z, prev.h)
            dz = dL_dh * act_grad  # chain rule through the activation
    return steps


def _autograd_check(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, t: np.ndarray, acts: list[str], loss: str, backward: list[BackwardStep],
                    q: float | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Max |hand - autograd| per gradient, and max |autograd gradient| (its scale), PyTorch float64."""
    import torch

    params = [(torch.tensor(W, dtype=torch.float64, requires_grad=True), torch.tensor(b, dtype=torch.float64, requires_grad=True)) for W, b in weights]
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    L = _torch_loss_of(params, x, t, acts, loss, q, xt)
    L.backward()
    diffs: dict[str, float] = {}
    sizes: dict[str, float] = {}

    def grad(t: Any) -> np.ndarray:
        return t.grad.detach().numpy()  # set by L.backward()

    pairs = {}
    for (W, b), s in zip(params, reversed(backward)):
        pairs[f"{s.name}.W"] = (grad(W), s.dL_dW)
        pairs[f"{s.name}.b"] = (grad(b), s.dL_db)
    pairs["input"] = (grad(xt), backward[-1].dL_dh_in)
    for k, (auto, hand) in pairs.items():
        diffs[k] = float(np.abs(auto - hand).max())
        sizes[k] = float(np.abs(auto).max())
    return diffs, sizes


__all__ = ["BackwardStep", "Explanation", "ForwardStep", "explain", "explain_network", "parse_sizes"]
