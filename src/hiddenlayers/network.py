"""``Network``: input -> named hidden layers (hidden1, hidden2, ...) -> head.

The head is a plain linear layer that returns raw scores (logits); the output
activation (softmax, logistic, identity, exp) belongs to the loss and to the
estimator, so the hidden layers and the head are exactly what a user reads.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .layers import DenseLayer, init_dense_
from .spec import Dense, Spec


class Network(nn.Module):
    """A stack of hidden layers built from a :class:`~hiddenlayers.Spec`.

    ``Network(4, "16:tanh,8", 3)`` has children ``hidden1`` (4->16),
    ``hidden2`` (16->8) and ``head`` (8->3). ``forward(x)`` maps ``(N, 4)`` to
    ``(N, 3)`` logits; ``forward(x, return_hidden=True)`` also returns the list
    of every hidden layer's output from the same pass.
    """

    def __init__(
        self,
        in_features: int,
        spec: Any,
        out_features: int,
        *,
        activation: str = "relu",
        init: str = "auto",
    ) -> None:
        super().__init__()
        self.spec = Spec.parse(spec)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.default_activation = activation
        width = self.in_features
        self.hidden_names: list[str] = []
        for i, layer in enumerate(self.spec, start=1):
            if not isinstance(layer, Dense):  # pragma: no cover - future kinds
                raise TypeError(f"layer kind {layer.kind!r} is not supported by Network yet")
            module = DenseLayer(
                width,
                layer.units,
                layer.activation or activation,
                dropout=layer.dropout,
                norm=layer.norm,
                init=init,
            )
            name = f"hidden{i}"
            self.add_module(name, module)
            self.hidden_names.append(name)
            width = layer.units
        self.head = nn.Linear(width, self.out_features)
        if init == "auto":
            init_dense_(self.head, "identity")

    @property
    def hidden_layers(self) -> list[DenseLayer]:
        """The hidden layers in order (``hidden1`` first)."""
        return [getattr(self, name) for name in self.hidden_names]

    def forward(self, x: Tensor, return_hidden: bool = False) -> Any:
        hidden = []
        h = x  # (N, in_features)
        for layer in self.hidden_layers:
            h = layer(h)  # (N, units)
            if return_hidden:
                hidden.append(h)
        out = self.head(h)  # (N, out_features) raw scores
        return (out, hidden) if return_hidden else out

    def is_plain_dense(self) -> bool:
        """True when every hidden layer is dense with no norm and no dropout.

        Such a stack can be trained by the hand-written engine in ``_engine``.
        """
        return all(layer.norm is None and layer.dropout is None for layer in self.hidden_layers)

    def linears(self) -> list[nn.Linear]:
        """Every affine map in order, the head last."""
        return [layer.linear for layer in self.hidden_layers] + [self.head]

    def activation_names(self) -> list[str]:
        return [layer.activation_name for layer in self.hidden_layers]

    def config(self) -> dict[str, Any]:
        """The JSON-able constructor arguments that rebuild this network."""
        return {
            "in_features": self.in_features,
            "spec": self.spec.to_list(),
            "out_features": self.out_features,
            "activation": self.default_activation,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Network:
        return cls(
            config["in_features"],
            config["spec"],
            config["out_features"],
            activation=config.get("activation", "relu"),
            init="none",
        )


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars in ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"`` -> CUDA if present, else Apple MPS if present, else CPU."""
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Received: device={device!r}."
        ) from None


__all__ = ["Network", "count_parameters", "resolve_device"]
