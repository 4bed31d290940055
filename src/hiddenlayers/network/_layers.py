"""Hidden layer kinds and the activation table.

One registry, :data:`ACTIVATIONS`, turns an activation name into everything
the rest of the library needs: the ``torch`` module (autograd path), the
function and its derivative in PyTorch (the hand-written training engine) and
in NumPy (fast CPU inference and ``explain``), the weight initialisation that
suits it, and the range a unit saturates at (for the lens).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..exceptions import SpecError
from ._np_dense import (  # noqa: F401  (re-exported)
    _SQRT1_2,
    ALIASES,
    LEAKY_SLOPE,
    NORM_EPS,
    NP_FORWARD,
    NpMap,
    activation_names,
    batch_norm_map,
    canonical_activation,
    layer_norm_map,
    np_sigmoid,
)
from ._np_dense import np_erf as _np_erf

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


#: a bounded activation's unit is saturated when its output lies within this fraction of the range from a limit: the one
#: rule the lens's statistics (``hl.lens.summary``) and ``explain``'s notes both read
SATURATION_MARGIN = 0.02


@dataclass(frozen=True)
class Activation:
    """One row of the activation table.

    Parameters
    ----------
    name : str
        The canonical name.
    module : callable
        Makes the activation's ``nn.Module``.
    forward : callable
        ``h = f(z)`` on tensors.
    grad : callable
        ``grad(z, h)``: dh/dz given the pre-activation ``z`` and the output ``h``.
    np_forward : callable
        ``f`` on NumPy arrays (the CPU prediction path).
    np_grad : callable
        ``grad`` on NumPy arrays.
    init : {"he", "glorot"}
        The weight initialisation that keeps the signal's variance.
    saturation : tuple of float, optional
        The open interval the output lives in (None when unbounded), used to flag units stuck near a limit (within
        :data:`SATURATION_MARGIN` of it).
    gain : float
        The initialisation's gain.
    """

    name: str
    module: Callable[[], nn.Module]
    forward: Callable[[Tensor], Tensor]
    grad: Callable[[Tensor, Tensor], Tensor]
    np_forward: Callable[[np.ndarray], np.ndarray]
    np_grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    init: str
    saturation: tuple[float, float] | None = None
    gain: float = 1.0


def _gelu_grad(z: Tensor, h: Tensor) -> Tensor:
    return 0.5 * (1.0 + torch.erf(z * _SQRT1_2)) + z * torch.exp(-0.5 * z * z) * _INV_SQRT_2PI


def _np_gelu_grad(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _np_erf(z * _SQRT1_2)) + z * np.exp(-0.5 * z * z) * _INV_SQRT_2PI


def _silu_grad(z: Tensor, h: Tensor) -> Tensor:
    s = torch.sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def _np_silu_grad(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    s = np_sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "identity", nn.Identity, lambda z: z, lambda z, h: torch.ones_like(z),
            NP_FORWARD["identity"], lambda z, h: np.ones_like(z), init="glorot",
        ),
        Activation(
            "relu", nn.ReLU, torch.relu, lambda z, h: (z > 0).to(z.dtype),
            NP_FORWARD["relu"], lambda z, h: (z > 0).astype(z.dtype),
            init="he", gain=math.sqrt(2.0),
        ),
        Activation(
            "leaky_relu", lambda: nn.LeakyReLU(LEAKY_SLOPE),
            lambda z: torch.nn.functional.leaky_relu(z, LEAKY_SLOPE),
            lambda z, h: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, LEAKY_SLOPE)),
            NP_FORWARD["leaky_relu"],
            lambda z, h: np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype),
            init="he", gain=math.sqrt(2.0 / (1 + LEAKY_SLOPE**2)),
        ),
        Activation(
            "elu", nn.ELU, torch.nn.functional.elu,
            lambda z, h: torch.where(z > 0, torch.ones_like(z), h + 1.0),
            NP_FORWARD["elu"],
            lambda z, h: np.where(z > 0, 1.0, h + 1.0).astype(z.dtype),
            init="he", gain=math.sqrt(2.0),
        ),
        Activation(
            "gelu", nn.GELU, torch.nn.functional.gelu, _gelu_grad,
            NP_FORWARD["gelu"], _np_gelu_grad,
            init="he", gain=math.sqrt(2.0),
        ),
        Activation(
            "silu", nn.SiLU, torch.nn.functional.silu, _silu_grad,
            NP_FORWARD["silu"], _np_silu_grad, init="he", gain=math.sqrt(2.0),
        ),
        Activation(
            "tanh", nn.Tanh, torch.tanh, lambda z, h: 1.0 - h * h,
            NP_FORWARD["tanh"], lambda z, h: 1.0 - h * h, init="glorot", saturation=(-1.0, 1.0),
            gain=5.0 / 3.0,
        ),
        Activation(
            "logistic", nn.Sigmoid, torch.sigmoid, lambda z, h: h * (1.0 - h),
            NP_FORWARD["logistic"], lambda z, h: h * (1.0 - h), init="glorot", saturation=(0.0, 1.0),
        ),
        Activation(
            "softplus", nn.Softplus, torch.nn.functional.softplus,
            lambda z, h: torch.sigmoid(z),
            NP_FORWARD["softplus"], lambda z, h: np_sigmoid(z),
            init="he", gain=math.sqrt(2.0),
        ),
    ]
}
def get_activation(name: str) -> Activation:
    """Return the table row for ``name`` (aliases such as ``sigmoid`` accepted).

    An unknown name raises :class:`SpecError` that lists the valid names and suggests the closest one
    (:func:`canonical_activation`'s words).

    Parameters
    ----------
    name : str
        An activation's name or alias.
    """
    return ACTIVATIONS[canonical_activation(name)]


NORMS = ("batch", "layer")


class DenseLayer(nn.Module):
    """A dense hidden layer: ``h = dropout(activation(norm(W·x + b)))``.

    Shapes: input ``(N, in_features)``, output ``(N, out_features)``.

    Parameters
    ----------
    in_features : int
        Inputs per row.
    out_features : int
        Units of the layer.
    activation : str
        Its activation (a name of ``ACTIVATIONS``).
    dropout : float
        Drop probability after the activation, in [0, 1).
    norm : {None, "batch", "layer"}
        Batch or layer normalisation of ``W·x + b``, before the activation.
    bias : bool
        Learn the bias ``b``.
    init : {"auto", "none"}
        ``"auto"``: weights initialised to suit the activation (He for the ReLU family, Glorot for
        tanh/logistic/identity); ``"none"``: PyTorch's default (the caller loads weights).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: str = "relu",
        *,
        dropout: float = 0.0,
        norm: str | None = None,
        bias: bool = True,
        init: str = "auto",
    ) -> None:
        super().__init__()
        self.activation_name = canonical_activation(activation)
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        if norm is None:
            self.norm: nn.Module | None = None
        elif norm == "batch":
            self.norm = nn.BatchNorm1d(out_features, eps=NORM_EPS)
        elif norm == "layer":
            self.norm = nn.LayerNorm(out_features, eps=NORM_EPS)
        else:
            raise SpecError(f"unknown norm '{norm}': use 'batch', 'layer' or None.")
        self.act = get_activation(self.activation_name).module()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        if init == "auto":
            init_dense_(self.linear, self.activation_name)

    @property
    def in_features(self) -> int:
        """Inputs per row: the width of the layer's ``x``, shape ``(N, in_features)``."""
        return self.linear.in_features

    @property
    def out_features(self) -> int:
        """Units of the layer: the width of its output, shape ``(N, out_features)``."""
        return self.linear.out_features

    def forward(self, x: Tensor) -> Tensor:
        """``h = dropout(activation(norm(W·x + b)))``, shape ``(N, out_features)``.

        Parameters
        ----------
        x : torch.Tensor of shape (N, in_features)
            The layer's input.
        """
        z = self.linear(x)  # (N, out_features)
        if self.norm is not None:
            z = self.norm(z)
        h = self.act(z)
        if self.dropout is not None:
            h = self.dropout(h)
        return h

    def runs_its_activation(self) -> bool:
        """Whether ``act`` is the module ``activation_name`` builds, settings included: one put in by hand (``nn.Hardswish``,
        a LeakyReLU of another slope) is not, and the NumPy forward, which knows the layer by its name, does not compute it."""
        want = get_activation(self.activation_name).module()
        return type(self.act) is type(want) and self.act.extra_repr() == want.extra_repr()

    def np_norm(self, dtype: Any) -> NpMap | None:
        """This layer's norm in eval mode as the NumPy map of ``z`` ``(n, out_features)`` that ``predict`` applies on the CPU.

        The map is :func:`~._np_dense.batch_norm_map` of its running statistics, or :func:`~._np_dense.layer_norm_map`;
        None without a norm. A ``ValueError`` for a norm that map does not compute: another module put in its place, a batch
        norm without running statistics (which normalizes each batch by its own, even in eval mode), or a layer norm over
        another shape.

        Parameters
        ----------
        dtype : numpy dtype
            The float type the map computes in.
        """
        norm = self.norm
        if norm is None:
            return None
        weight, bias = (None if p is None else _numpy(p) for p in (norm.weight, norm.bias))
        if type(norm) is nn.BatchNorm1d and isinstance(norm.running_mean, Tensor) and isinstance(norm.running_var, Tensor):
            return batch_norm_map(_numpy(norm.running_mean), _numpy(norm.running_var), weight, bias, norm.eps, dtype)
        if type(norm) is nn.LayerNorm and tuple(norm.normalized_shape) == (self.out_features,):
            return layer_norm_map(weight, bias, norm.eps, dtype)
        raise ValueError(f"a {type(norm).__name__} norm has no NumPy map here")

    def extra_repr(self) -> str:
        return f"activation={self.activation_name!r}"


def _numpy(t: Any) -> np.ndarray:
    """A tensor's values as a NumPy array (a copy on the CPU, outside autograd)."""
    return t.detach().cpu().numpy()  # type: ignore[no-any-return]


def init_dense_(linear: nn.Linear, activation: str, generator: torch.Generator | None = None) -> None:
    """Initialise ``linear`` in place for ``activation``: He-uniform or Glorot-uniform.

    Parameters
    ----------
    linear : torch.nn.Linear
        The layer whose weight (and bias) are drawn.
    activation : str
        The activation it feeds, which picks the rule.
    generator : torch.Generator, optional
        The random source (default: PyTorch's global one).
    """
    act = get_activation(activation)
    fan_out, fan_in = linear.weight.shape
    with torch.no_grad():
        if act.init == "he":
            bound = act.gain * math.sqrt(3.0 / fan_in)
        else:
            bound = act.gain * math.sqrt(6.0 / (fan_in + fan_out))
        linear.weight.uniform_(-bound, bound, generator=generator)
        if linear.bias is not None:
            linear.bias.zero_()


def sklearn_init_(linear: nn.Linear, activation: str, rng: np.random.RandomState) -> None:
    """scikit-learn's MLP initialisation, drawn from the same NumPy generator.

    Weights and biases ~ U(-b, b), ``b = sqrt(6 / (fan_in + fan_out))`` (factor 2 for logistic), in the same draw order
    as sklearn, so a seed gives sklearn's starting weights.

    Parameters
    ----------
    linear : torch.nn.Linear
        The layer to initialise in place.
    activation : str
        The activation it feeds.
    rng : numpy.random.RandomState
        scikit-learn's generator.
    """
    fan_out, fan_in = linear.weight.shape
    factor = 2.0 if canonical_activation(activation) == "logistic" else 6.0
    bound = math.sqrt(factor / (fan_in + fan_out))
    w = rng.uniform(-bound, bound, (fan_in, fan_out))
    b = rng.uniform(-bound, bound, fan_out)
    with torch.no_grad():
        # cast first, then one transposing copy in the layer's dtype: for float32 layers
        # a fifth of the time of transposing the float64 draw (30 ms for 2048 x 2048)
        linear.weight.copy_(torch.from_numpy(w).to(linear.weight.dtype).T)
        if linear.bias is not None:
            linear.bias.copy_(torch.from_numpy(b))


__all__ = [
    "ACTIVATIONS",
    "SATURATION_MARGIN",
    "Activation",
    "DenseLayer",
    "activation_names",
    "canonical_activation",
    "get_activation",
    "init_dense_",
    "sklearn_init_",
]
