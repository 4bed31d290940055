"""Optimizers and learning-rate schedules that update one flat parameter buffer.

Every trainable tensor of a network is re-homed into a single contiguous
buffer (:class:`FlatParams`) with a matching gradient buffer, so an optimizer
step is a handful of fused element-wise ops however many layers there are,
and never touches ``torch.optim`` (whose first use imports ``torch._dynamo``,
about a second of start-up). The update rules follow scikit-learn's MLP
(``sgd`` with momentum/Nesterov, ``adam`` with its bias correction), plus
``adamw`` (decoupled weight decay) and ``rmsprop``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ._numbers import real, whole

SOLVERS = ("sgd", "adam", "adamw", "rmsprop", "lbfgs")
SCHEDULES = ("constant", "invscaling", "adaptive", "cosine", "plateau")


def schedule_refusal(value: Any) -> str:
    """The error for a ``learning_rate`` that names no schedule.

    A number (Keras' and PyTorch's sense of the word) is pointed to ``learning_rate_init``, the step size, as
    scikit-learn's MLP names it.

    Parameters
    ----------
    value : object
        The ``learning_rate`` given.
    """
    hint = ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        hint = f" A number is the step size: pass learning_rate_init={value!r} (learning_rate names the schedule, as in scikit-learn's MLP)."
    return f"learning_rate must be one of {', '.join(SCHEDULES)}. Received: learning_rate={value!r}.{hint}"


class FlatParams:
    """All trainable parameters of ``module`` as views of one flat buffer.

    ``data`` and ``grad`` are 1-D tensors; each parameter's ``.data`` and ``.grad`` become views into them.
    ``decay_mask`` is 1 on the weights of linear layers (the L2 penalty ``alpha`` applies to those only, as in
    scikit-learn) and 0 on biases and norm parameters. Call :meth:`release` to give each parameter its own storage again
    (before pickling).

    Parameters
    ----------
    module : torch.nn.Module
        The network (its parameters with ``requires_grad``).
    """

    def __init__(self, module: nn.Module) -> None:
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        self.params = [p for _, p in named]
        #: which parameters the buffer holds, in order, with their shapes: optimizer moments
        #: carried from another fit apply only to the same layout (see Optimizer.load_state)
        self.layout = [[name, list(p.shape)] for name, p in named]
        self._rnns = [m for m in module.modules() if isinstance(m, nn.RNNBase)]
        for rnn in self._rnns:
            rnn.in_flat_buffer = True  # type: ignore[assignment]  # read by RecurrentLayer.run_rnn
        if not self.params:
            raise ValueError("the network has no trainable parameters")
        ref = self.params[0]
        n = sum(p.numel() for p in self.params)
        self.data = torch.empty(n, dtype=ref.dtype, device=ref.device)
        self.grad = torch.zeros_like(self.data)
        self.decay_mask = torch.zeros_like(self.data)
        linear_weights = {id(m.weight) for m in module.modules() if isinstance(m, nn.Linear)}
        self._decayed: list[tuple[int, int]] = []  # the linear weights' [start, stop) in the buffer: l2() sums these
        self._decayed_views: list[np.ndarray] | None = None  # their NumPy views (CPU), made by the first l2()
        offset = 0
        for p in self.params:
            k = p.numel()
            self.data[offset : offset + k].copy_(p.data.reshape(-1))
            p.data = self.data[offset : offset + k].view_as(p)
            p.grad = self.grad[offset : offset + k].view_as(p)
            if id(p) in linear_weights:
                self.decay_mask[offset : offset + k] = 1.0
                self._decayed.append((offset, offset + k))
            offset += k

    def release(self) -> None:
        """Give every parameter its own contiguous storage and drop ``.grad``."""
        for p in self.params:
            p.data = p.data.clone()
            p.grad = None
        for rnn in self._rnns:  # on a GPU: back into cuDNN's packed layout (a no-op on the CPU)
            rnn.in_flat_buffer = False  # type: ignore[assignment]
            rnn.flatten_parameters()

    def l2(self) -> Tensor | float:
        """Sum of squared linear weights: a 0-d tensor on a GPU (no host sync), a float on the CPU.

        On the CPU it is computed in NumPy: a torch op between NumPy BLAS calls
        wakes torch's own thread pool while BLAS's threads still spin, and the
        two pools then fight over the cores (this dot took ~10 ms instead of ~0.1).
        """
        if self.data.device.type == "cpu":  # one dot per weight matrix, on views made once: no copy (the loop calls it per batch)
            if self._decayed_views is None:
                d = self.data.numpy()
                self._decayed_views = [d[a:b] for a, b in self._decayed]
            return float(sum(np.dot(v, v) for v in self._decayed_views))
        return torch.dot(self.data * self.decay_mask, self.data)


class Optimizer(ABC):
    """Base: ``step(lr)`` updates the flat parameters from the flat gradient in place.

    The update is written with in-place operators that NumPy arrays and PyTorch tensors share, so one definition runs on
    NumPy views of the buffers on the CPU (cheap per op) and on tensors on a GPU. Intermediate results go to a
    preallocated scratch buffer (``out=``): a fresh array per operation cost more than the arithmetic (Adam: 440 µs ->
    80 µs a step for 60k parameters), and the arithmetic, so the result, is unchanged.

    Parameters
    ----------
    flat : FlatParams
        The parameters it updates.
    """

    name = "base"
    _state_keys: tuple[str, ...] = ()

    def __init__(self, flat: FlatParams) -> None:
        self.flat = flat
        self.layout = flat.layout  # kept after the buffer is let go: state() names what its moments belong to
        self.t = 0
        self.xp: Any = np if flat.data.device.type == "cpu" else torch
        self.p: Any
        self.g: Any
        self.mask: Any
        if self.xp is np:
            self.p, self.g, self.mask = flat.data.numpy(), flat.grad.numpy(), flat.decay_mask.numpy()
        else:
            self.p, self.g, self.mask = flat.data, flat.grad, flat.decay_mask

    def _zeros(self) -> Any:
        return self.xp.zeros_like(self.p)

    @property
    def _scratch(self) -> Any:
        buf = self.__dict__.get("_tmp")
        if buf is None:
            buf = self.__dict__["_tmp"] = self._zeros()
        return buf

    #: True where ``step(lr, l2=...)`` adds the L2 gradient inside its own pass over the buffers,
    #: cheaper than the gradient step adding it (two more passes over the weights)
    folds_l2 = False

    @abstractmethod
    def step(self, lr: float, l2: float = 0.0) -> None:
        """Update ``flat.data`` in place from ``flat.grad`` at learning rate ``lr``.

        Parameters
        ----------
        lr : float
            The learning rate.
        l2 : float
            When > 0, first adds ``l2 · W`` to the linear weights' gradient (the L2 penalty's gradient,
            ``alpha / batch size``), as if the gradient step had.
        """

    def prepare_device_step(self) -> None:
        """Check that :meth:`device_step` can run: the buffers must sit on a GPU."""
        if self.xp is np:
            raise ValueError("device steps need the parameters on a GPU")

    def device_scalars(self, lr: float, t0: int, k: int) -> np.ndarray:
        """The numbers steps ``t0 + 1 .. t0 + k`` read, one row each ``(k, 2)``, float64.

        A CUDA graph replays kernels with the values they were captured with, so a step reads its rate from a device tensor:
        the caller copies these rows there once per epoch. Column 0 is the step's rate (for Adam, with the bias correction,
        computed on the host exactly as :meth:`step` does); column 1 is ``lr · weight_decay`` where there is a decoupled
        decay.

        Parameters
        ----------
        lr : float
            The epoch's learning rate.
        t0 : int
            Steps taken before.
        k : int
            Steps to come.
        """
        return np.tile(np.array([lr, 0.0]), (k, 1))

    def device_step(self, s: Tensor) -> None:
        """:meth:`step` reading its numbers from the device row ``s`` of :meth:`device_scalars`, no host value.

        Fewer, fused kernels than :meth:`step`, so the last bits may differ; ``t`` is the caller's to advance.

        Parameters
        ----------
        s : torch.Tensor of shape (2,)
            One row of :meth:`device_scalars`, on the device.
        """
        raise TypeError(f"{type(self).__name__} has no device step: train it without CUDA graphs (train(..., cuda_graphs=False))")

    def _add_l2(self, l2: float) -> None:
        t = self._scratch
        self.xp.multiply(self.p, self.mask, out=t)
        t *= l2
        self.g += t

    def keep_state(self) -> None:
        """Copy the moments and step count aside (into buffers made on the first call): :meth:`restore_kept` goes back to them.

        The fit loop keeps them with the best epoch's weights, so weights put back after
        Ctrl-C come with the moments and step count they were trained to.
        """
        kept = self.__dict__.get("_kept")
        if kept is None:
            kept = self.__dict__["_kept"] = {k: self.xp.empty_like(getattr(self, k)) for k in self._state_keys}
        for k, buf in kept.items():
            buf[...] = getattr(self, k)
        self._kept_t = self.t

    def restore_kept(self) -> None:
        """Moments and step count back to :meth:`keep_state`'s copy."""
        for k, buf in self.__dict__["_kept"].items():
            getattr(self, k)[...] = buf
        self.t = self._kept_t

    def kept_state(self) -> dict[str, Any] | None:
        """:meth:`keep_state`'s copy as :meth:`state` gives it (CPU tensors and the step count), or None before any; for a backup."""
        kept = self.__dict__.get("_kept")
        if kept is None:
            return None
        out: dict[str, Any] = {"t": self._kept_t}
        for k, buf in kept.items():
            out[k] = torch.as_tensor(buf).detach().cpu().clone()
        return out

    def load_kept(self, state: dict[str, Any]) -> None:
        """Make :meth:`kept_state`'s ``state`` this optimizer's kept copy (a resumed backup's), so :meth:`restore_kept` goes back to it.

        Parameters
        ----------
        state : dict
            What :meth:`kept_state` returned.
        """
        self.keep_state()  # the buffers, of this optimizer's shapes and device
        for k, buf in self.__dict__["_kept"].items():
            buf[...] = state[k].numpy() if self.xp is np else state[k].to(buf.device)
        self._kept_t = int(state["t"])

    def start_over(self, state: dict[str, Any] | None) -> None:
        """Moments and step count back to where this optimizer began: zeros, then :meth:`load_state` of ``state`` if given.

        Parameters
        ----------
        state : dict, optional
            The state it began from.
        """
        for k in self._state_keys:
            getattr(self, k)[...] = 0
        self.t = 0
        if state:
            self.load_state(state)

    def state(self) -> dict[str, Any]:
        """Moments and step count as CPU tensors (picklable, device-independent), with the buffer's layout."""
        out: dict[str, Any] = {"t": self.t, "layout": self.layout}
        for k in self._state_keys:
            v = getattr(self, k)
            out[k] = torch.as_tensor(v).detach().cpu().clone()
        return out

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state` of an earlier fit: moments and step count.

        Only onto the same layout (the same trainable parameters, in the same order and shapes): after ``freeze`` changed
        which layers train, the old moments belong to other parameters, so the optimizer starts afresh (``t = 0``, zero
        moments), as a new fit would.

        Parameters
        ----------
        state : dict
            What :meth:`state` returned.
        """
        layout = state.get("layout")
        if layout is not None and [[str(n), [int(d) for d in shape]] for n, shape in layout] != self.layout:
            return
        self.t = int(state.get("t", 0))
        for k in self._state_keys:
            v = state.get(k)
            cur = getattr(self, k)
            if v is not None and tuple(v.shape) == tuple(cur.shape):
                cur[...] = v.numpy() if self.xp is np else v.to(cur.device)


class SGD(Optimizer):
    """scikit-learn's SGD: ``v = momentum·v - lr·g``; ``p += v`` (Nesterov: ``p += momentum·v - lr·g``)."""

    name = "sgd"
    _state_keys = ("velocity",)

    def __init__(self, flat: FlatParams, momentum: float = 0.9, nesterov: bool = True) -> None:
        super().__init__(flat)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = self._zeros()
        self._lg = self._zeros()  # lr·g, read twice by a Nesterov step

    def step(self, lr: float, l2: float = 0.0) -> None:
        self.t += 1
        if l2:
            self._add_l2(l2)
        self.xp.multiply(self.g, lr, out=self._lg)
        self._move(self.xp)

    def device_step(self, s: Tensor) -> None:
        torch.mul(self.g, s[0], out=self._lg)
        self._move(torch)

    def _move(self, xp: Any) -> None:
        """p <- p - lr·g, through the (Nesterov) momentum when there is one; ``_lg`` holds lr·g (``xp``: numpy or torch)."""
        p, v, lg = self.p, self.velocity, self._lg
        if self.momentum == 0:
            p -= lg
            return
        v *= self.momentum
        v -= lg
        if self.nesterov:
            t = self._scratch
            xp.multiply(v, self.momentum, out=t)
            t -= lg
            p += t
        else:
            p += v


class Adam(Optimizer):
    """Adam as in scikit-learn: ``p -= lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε)``.

    With ``weight_decay > 0`` it is AdamW: linear weights also shrink by
    ``lr·weight_decay·p`` each step, decoupled from the gradient.
    """

    name = "adam"
    _state_keys = ("m", "v")

    def __init__(
        self,
        flat: FlatParams,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(flat)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.weight_decay = float(weight_decay)
        self.m = self._zeros()
        self.v = self._zeros()
        self._denom = self._zeros()
        # On the CPU without decoupled decay: PyTorch's fused Adam kernel, one pass over the buffers
        # instead of twelve (32 µs against ~80 µs a step for 60k float32 parameters, one thread).
        # Its formula puts ε inside the bias correction; passing ε / sqrt(1 - β2^t) each step makes
        # it scikit-learn's update exactly (tests compare with sklearn's AdamOptimizer to 1e-10).
        self._fused = self.xp is np and not self.weight_decay and hasattr(torch, "_fused_adam_")
        if self._fused:
            self._m_t, self._v_t = torch.from_numpy(self.m), torch.from_numpy(self.v)  # views: state() and load_state() see them
            self._step_t = torch.zeros((), dtype=torch.float64 if self.flat.data.dtype == torch.float64 else torch.float32)
            # the kernel's weight_decay adds wd·p to the gradient (L2, not AdamW's decay): with the
            # linear weights and the other parameters as two lists, it applies alpha's penalty
            self._groups = [self._tensor_lists(weights) for weights in (True, False)]
            self._whole = [[b] for b in (self.flat.data, self.flat.grad, self._m_t, self._v_t, self._step_t)]

    @property
    def folds_l2(self) -> bool:  # type: ignore[override]
        return self._fused

    def _fused_step(self, lists: list[list[Tensor]], lr: float, eps: float, l2: float) -> None:
        p, g, m, v, steps = lists
        torch._fused_adam_(
            p, g, m, v, [], steps, amsgrad=False, lr=lr, beta1=self.beta_1, beta2=self.beta_2,
            weight_decay=l2, eps=eps, maximize=False,
        )

    def _tensor_lists(self, weights: bool) -> list[list[Tensor]]:
        """``[params, grads, m, v, steps]`` views over the runs of the buffer that are (not) linear weights."""
        mask = self.mask != 0
        edges = [0, *(np.flatnonzero(mask[1:] != mask[:-1]) + 1).tolist(), len(mask)]
        runs = [(a, b) for a, b in zip(edges, edges[1:]) if bool(mask[a]) == weights]
        bufs = (self.flat.data, self.flat.grad, self._m_t, self._v_t)
        return [[buf[a:b] for a, b in runs] for buf in bufs] + [[self._step_t] * len(runs)]

    def step(self, lr: float, l2: float = 0.0) -> None:
        self.t += 1
        if self._fused:
            self._step_t.fill_(self.t)
            eps = self.epsilon / math.sqrt(1.0 - self.beta_2**self.t)
            weights, others = self._groups
            try:
                if l2 and weights[0]:
                    self._fused_step(weights, lr, eps, l2)
                else:
                    self._fused_step(self._whole, lr, eps, 0.0)
                    return
            except (TypeError, RuntimeError):  # a private kernel: another torch version may change it
                self._fused = False  # it raised before writing anything: the NumPy update below does this step
            else:
                if others[0]:  # the same call just worked on the weights
                    self._fused_step(others, lr, eps, 0.0)
                return
        if l2:
            self._add_l2(l2)
        p, m, v, d, t, xp = self.p, self.m, self.v, self._denom, self._scratch, self.xp
        if self.weight_decay:
            xp.multiply(self.mask, lr * self.weight_decay, out=t)
            t *= p
            p -= t
        self._update_moments(xp)
        lr_t = lr * math.sqrt(1.0 - self.beta_2**self.t) / (1.0 - self.beta_1**self.t)
        xp.sqrt(v, out=d)
        d += self.epsilon
        xp.multiply(m, lr_t, out=t)
        t /= d
        p -= t

    def _update_moments(self, xp: Any) -> None:
        """m, v <- the decayed first and second moments of the gradient (``xp``: numpy or torch; scratch: t)."""
        g, m, v, t = self.g, self.m, self.v, self._scratch
        m *= self.beta_1
        xp.multiply(g, 1.0 - self.beta_1, out=t)
        m += t
        v *= self.beta_2
        xp.multiply(g, g, out=t)
        t *= 1.0 - self.beta_2
        v += t

    def device_scalars(self, lr: float, t0: int, k: int) -> np.ndarray:
        out = np.empty((k, 2))
        out[:, 0] = [lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t) for t in range(t0 + 1, t0 + k + 1)]
        out[:, 1] = lr * self.weight_decay
        return out

    def _device_pieces(self) -> list[list[Tensor]]:
        """``[params, grads, m, v, [], steps]`` for the fused kernel: each buffer cut in up to 16 views.

        The kernel gives each tensor's 64k-element chunks one block each, so a small network's
        single buffer would run on one block (34 µs against 14 for 16 pieces, 59k parameters, H200).
        Each piece's step count is 2^30, where both bias corrections are exactly 1.
        """
        n = self.p.shape[0]
        size = max(2048, -(-n // 16))
        cuts = [(a, min(a + size, n)) for a in range(0, n, size)]
        steps = torch.full((len(cuts),), 2.0**30, dtype=torch.float32, device=self.p.device)
        return [[buf[a:b] for a, b in cuts] for buf in (self.p, self.g, self.m, self.v)] + [[], list(steps.unbind())]

    def device_step(self, s: Tensor) -> None:
        # A small network's GPU step is bound by its kernel count. Without decoupled decay: PyTorch's
        # fused Adam, one kernel, reading the rate from the device. Given a step count so large that
        # both of its bias corrections are exactly 1, it computes p -= s[0]·m / (sqrt(v) + ε): this
        # class's update with the host-computed rate s[0] (ε outside the correction, as in sklearn).
        p, m, v, d, t, g = self.p, self.m, self.v, self._denom, self._scratch, self.g
        if not self.weight_decay and self.__dict__.get("_device_fused", hasattr(torch, "_fused_adam_")):
            lists = self.__dict__.get("_device_lists")
            if lists is None:
                lists = self._device_lists = self._device_pieces()
            try:
                torch._fused_adam_(*lists, lr=s[0], beta1=self.beta_1, beta2=self.beta_2,
                                   weight_decay=0.0, eps=self.epsilon, amsgrad=False, maximize=False)
                return
            except (TypeError, RuntimeError):  # a private kernel: another torch version may change it
                self._device_fused = False  # it raised before writing anything: the path below does this step
        # otherwise 8 kernels where step() takes 12 passes: moments as mul + add/addcmul, update as div + addcmul
        if self.weight_decay:
            torch.mul(self.mask, s[1], out=t)
            t *= p
            p -= t
        m.mul_(self.beta_1).add_(g, alpha=1.0 - self.beta_1)
        v.mul_(self.beta_2).addcmul_(g, g, value=1.0 - self.beta_2)
        torch.sqrt(v, out=d)
        d += self.epsilon
        torch.div(m, d, out=t)
        p.addcmul_(t, s[0], value=-1.0)


class RMSprop(Optimizer):
    """RMSprop: ``v = ρ·v + (1-ρ)·g²``; ``p -= lr · g / (sqrt(v) + ε)`` with ρ = 0.99."""

    name = "rmsprop"
    _state_keys = ("v",)

    def __init__(self, flat: FlatParams, rho: float = 0.99, epsilon: float = 1e-8) -> None:
        super().__init__(flat)
        self.rho, self.epsilon = float(rho), float(epsilon)
        self.v = self._zeros()
        self._denom = self._zeros()

    def step(self, lr: float, l2: float = 0.0) -> None:
        self.t += 1
        if l2:
            self._add_l2(l2)
        g, v, d, t, xp = self.g, self.v, self._denom, self._scratch, self.xp
        v *= self.rho
        xp.multiply(g, g, out=t)
        t *= 1.0 - self.rho
        v += t
        xp.sqrt(v, out=d)
        d += self.epsilon
        xp.multiply(g, lr, out=t)
        t /= d
        self.p -= t

    def device_step(self, s: Tensor) -> None:
        g, v, d, t = self.g, self.v, self._denom, self._scratch
        v.mul_(self.rho).addcmul_(g, g, value=1.0 - self.rho)
        torch.sqrt(v, out=d)
        d += self.epsilon
        torch.div(g, d, out=t)
        self.p.addcmul_(t, s[0], value=-1.0)


def make_optimizer(
    solver: str,
    flat: FlatParams,
    *,
    momentum: float = 0.9,
    nesterov: bool = True,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    weight_decay: float = 0.0,
) -> Optimizer:
    """The optimizer for ``solver`` (one of ``sgd``, ``adam``, ``adamw``, ``rmsprop``).

    Parameters
    ----------
    solver : {"sgd", "adam", "adamw", "rmsprop"}
        The optimizer.
    flat : FlatParams
        The parameters it updates.
    momentum : float
        sgd's momentum.
    nesterov : bool
        sgd's Nesterov momentum.
    beta_1 : float
        adam's (and adamw's) first-moment decay.
    beta_2 : float
        Their second-moment decay.
    epsilon : float
        The denominator guard (adam, adamw, rmsprop).
    weight_decay : float
        adamw's decoupled weight decay.
    """
    if solver == "sgd":
        return SGD(flat, momentum, nesterov)
    if solver == "adam":
        return Adam(flat, beta_1, beta_2, epsilon)
    if solver == "adamw":
        return Adam(flat, beta_1, beta_2, epsilon, weight_decay=weight_decay)
    if solver == "rmsprop":
        return RMSprop(flat, epsilon=epsilon)
    raise ValueError(f"solver must be one of {', '.join(SOLVERS)}. Received: solver={solver!r}.")


#: the settings each step-by-step solver takes through ``optimizer_kwargs``
SOLVER_KEYS: dict[str, tuple[str, ...]] = {
    "sgd": ("momentum", "nesterov"),
    "adam": ("beta_1", "beta_2", "epsilon"),
    "adamw": ("beta_1", "beta_2", "epsilon", "weight_decay"),
    "rmsprop": ("epsilon",),
}

#: each setting's allowed range, as :func:`~._numbers.real` takes it
_KEY_RANGES: dict[str, dict[str, Any]] = {
    "momentum": {"low": 0, "high": 1},
    "beta_1": {"low": 0, "high": 1, "high_open": True},
    "beta_2": {"low": 0, "high": 1, "high_open": True},
    "epsilon": {"low": 0, "low_open": True},
    "weight_decay": {"low": 0},
}


def check_solver(solver: Any) -> str:
    """``solver`` if :func:`~._loop.train` can step with it; L-BFGS gets its own function, so it is named."""
    if solver == "lbfgs":
        raise ValueError(
            "solver='lbfgs' is not a step-by-step solver, so train() cannot run it: use hl.training.fit_lbfgs "
            "(or an estimator's solver='lbfgs'), or one of sgd, adam, adamw, rmsprop here."
        )
    if solver not in SOLVER_KEYS:
        raise ValueError(f"solver must be one of {', '.join(SOLVER_KEYS)}. Received: solver={solver!r}.")
    return str(solver)


def check_optimizer_kwargs(solver: str, kwargs: Any) -> dict[str, Any]:
    """``kwargs`` as a dict whose keys ``solver`` takes and whose values lie in range (one clear error otherwise)."""
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict):
        raise TypeError(f"optimizer_kwargs must be a dict or None. Received: optimizer_kwargs={kwargs!r}.")
    valid = SOLVER_KEYS[solver]
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key not in valid:
            raise ValueError(f"optimizer_kwargs has {key!r}, which solver={solver!r} does not take; its keys are {', '.join(valid)}.")
        if key == "nesterov":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"optimizer_kwargs['nesterov'] must be True or False. Received: {value!r}.")
            out[key] = bool(value)
        else:
            out[key] = real(f"optimizer_kwargs['{key}']", value, **_KEY_RANGES[key])
    return out


class Schedule:
    """Learning rate per epoch, with scikit-learn's ``invscaling``/``adaptive`` semantics.

    ``lr`` is the rate of the next epoch; ``stalled`` counts ``plateau``'s epochs without improvement since its last cut.
    :meth:`state` holds both: the estimators carry it over ``partial_fit`` calls and warm fits (as scikit-learn carries
    ``_no_improvement_count``), and a fit interrupted by Ctrl-C goes back to the best epoch's.

    Parameters
    ----------
    kind : {"constant", "invscaling", "adaptive", "cosine", "plateau"}
        ``constant``: ``lr0`` throughout. ``invscaling``: ``lr0 / (t + 1) ** power_t`` after each epoch, ``t`` = samples
        seen. ``adaptive``: when the no-improvement rule fires, divide by 5 instead of stopping, until the rate is below
        1e-6. ``cosine``: ``lr0 · (1 + cos(π · epoch / max_epochs)) / 2``. ``plateau``: divide by 10 after ``patience``
        epochs without improvement (training still stops by the no-improvement rule).
    lr0 : float
        The first epoch's rate.
    power_t : float
        ``invscaling``'s exponent.
    max_epochs : int
        ``cosine``'s cycle, in epochs.
    patience : int
        ``plateau``'s epochs without improvement before a cut.
    """

    def __init__(self, kind: str, lr0: float, *, power_t: float = 0.5, max_epochs: int = 200, patience: int = 5) -> None:
        if kind not in SCHEDULES:
            raise ValueError(schedule_refusal(kind))
        self.lr0 = real("Schedule lr0", lr0, low=0, low_open=True, meaning="the starting learning rate")
        self.kind, self.lr = kind, self.lr0
        self.power_t = real("Schedule power_t", power_t, low=0, meaning="the exponent of 'invscaling'")
        self.max_epochs = whole("Schedule max_epochs", max_epochs, 1, "the epochs of one cosine cycle")
        self.patience = whole("Schedule patience", patience, 1, "epochs without improvement before 'plateau' lowers the rate")
        self.stalled = 0

    def epoch_end(self, epoch: int, samples_seen: int, improved: bool) -> None:
        """Update the rate after ``epoch``.

        Parameters
        ----------
        epoch : int
            The epoch, 1-based.
        samples_seen : int
            Rows seen so far (``invscaling``'s ``t``).
        improved : bool
            Whether the monitor improved (by the stopping rule's ``tol``).
        """
        if self.kind == "invscaling":
            self.lr = self.lr0 / (samples_seen + 1) ** self.power_t
        elif self.kind == "cosine":
            self.lr = self.lr0 * 0.5 * (1.0 + math.cos(math.pi * min(epoch, self.max_epochs) / self.max_epochs))
        elif self.kind == "plateau":
            self.stalled = 0 if improved else self.stalled + 1
            if self.stalled >= self.patience:
                self.lr /= 10.0
                self.stalled = 0

    def state(self) -> dict[str, Any]:
        """Where the schedule stands: ``{"lr": next epoch's rate, "stalled": plateau's epochs without improvement}``."""
        return {"lr": self.lr, "stalled": self.stalled}

    def load_state(self, state: dict[str, Any]) -> None:
        """Go on from :meth:`state` (a key left out keeps its value: a state saved before ``stalled`` was kept).

        Parameters
        ----------
        state : dict
            What :meth:`state` returned.
        """
        self.lr = float(state.get("lr", self.lr))
        self.stalled = int(state.get("stalled", self.stalled))

    def on_no_improvement(self) -> bool:
        """Called when training would stop for no improvement; True means "keep going"."""
        if self.kind == "adaptive" and self.lr > 1e-6:
            self.lr /= 5.0
            return True
        return False


def clip_grad_norm_(flat: FlatParams, max_norm: float) -> None:
    """Scale the whole gradient so its L2 norm is at most ``max_norm`` (no host sync).

    Parameters
    ----------
    flat : FlatParams
        The parameters whose gradient is scaled in place.
    max_norm : float
        The largest L2 norm.
    """
    with torch.no_grad():
        norm = torch.linalg.vector_norm(flat.grad)
        flat.grad.mul_(torch.clamp(max_norm / (norm + 1e-12), max=1.0))


__all__ = [
    "SOLVER_KEYS",
    "check_optimizer_kwargs",
    "check_solver",
    "SCHEDULES",
    "schedule_refusal",
    "SGD",
    "SOLVERS",
    "Adam",
    "FlatParams",
    "Optimizer",
    "RMSprop",
    "Schedule",
    "clip_grad_norm_",
    "make_optimizer",
]
