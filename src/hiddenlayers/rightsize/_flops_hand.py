"""FLOPs per module of a network whose every part is known, from its layers' shapes: the counts ``FlopCounterMode`` gives.

:func:`hand_flops` is what :func:`~hiddenlayers.rightsize._measure._flops` tries first. PyTorch's counter is a
``TorchDispatchMode``, and the first one a process enters imports ``torch._dynamo`` (about 3 s of a 4 s ``hl.cost`` of a
small MLP on a 2-core machine); one forward pass with a hook on each module is enough where the network is provably
made of layers whose products are known (no backward pass is run: a training step's backward is read from which
tensors need gradients). The counts follow the counter's own rules, checked against it by the
tests on every network kind hiddenlayers builds:

* ``Linear``: 2 x output elements x ``in_features`` forward; in a training step one product as large for the weight's
  gradient (when it needs one) and one for the input's (when the input needs one: not for the first weighted layer,
  nor after frozen ones). Bias gradients are sums, which the counter does not count.
* ``Conv1d/2d/3d``: 2 x output elements x input channels per group x kernel size forward; the input's gradient as much,
  the weight's ``groups`` times as much (the counter's formula for ``convolution_backward``).
* ``LSTM``/``GRU``: :func:`~hiddenlayers.rightsize._rnn_flops.rnn_flops` forward. A training step depends on the kernel
  PyTorch ran: a fused one the counter cannot see into (oneDNN's ``mkldnn_rnn_layer``, the float32 CPU LSTM) is the
  forward times 3, as ``_flops`` has always added it; the decomposed CPU one (GRU, float64 LSTM) is counted product by
  product as the counter sees it: the input projections' weight (and input) gradients, the recurrent products' weight
  gradients at every step and their state gradients at every step but each direction's first (its state starts at zero).
* Norms, activations, dropout, pooling, flatten, embeddings: no matrix product (0, as the counter counts them). One
  that hands on its input tensor itself (``Identity``) also holds, under its name alone, the backward FLOPs of every
  layer before it: the counter's module tracking enters it in the backward pass and never leaves (:class:`_Tally`).

Anything else returns None and is counted by ``FlopCounterMode``: a module kind not listed (attention, a transposed
convolution, a user's own module), a module whose forward is replaced or hooked, a network's class other than
hiddenlayers' own or ``nn.Sequential`` (whose forwards do no product outside their layers), parameters off the CPU, a recurrent kernel of
another kind (cuDNN) or one whose training step cannot be read from its graph.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from ..network import ConvLayer, DenseLayer, EmbedLayer, FlatDense, GlobalPoolLayer, Network, PoolLayer, RecurrentLayer, in_mode
from ._rnn_flops import RNN_GATES, rnn_flops

# containers whose own forward does no matrix product, only calls their children and element-wise or shape operations;
# the applications' classes by name (a lower stage does not import a higher one)
_KNOWN_FORWARD: frozenset[type] = frozenset({
    Network, DenseLayer, FlatDense, ConvLayer, PoolLayer, GlobalPoolLayer, RecurrentLayer, EmbedLayer, nn.Sequential,
})
_APP_FORWARD = frozenset(f"hiddenlayers.apps.{name}" for name in (
    "_seq.net.SequenceNetwork", "_seq.net.MaskedEmbed", "_seq.net.MaskedConv", "_seq.net.MaskedPool", "_seq.net.PackedRecurrent",
    "_seq.net.MaskedGlobalPool", "_autoencoder.AutoencoderNet", "_recommend.RecommenderNet",
))
_PRODUCTS: frozenset[type] = frozenset({nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.LSTM, nn.GRU})
_PASS_THROUGH: frozenset[type] = frozenset({nn.Identity, nn.Flatten, nn.Dropout, nn.Sequential})
#: layers that compute no matrix product, forward or backward (``FlopCounterMode`` counts 0 for each: a test checks)
NO_PRODUCTS: frozenset[type] = frozenset({
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm, nn.Embedding, nn.Dropout, nn.Flatten, nn.Identity,
    nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.Softplus, nn.PReLU, nn.Hardswish,
    nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
    nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
})


def _known(module: nn.Module) -> bool:
    """Whether ``module``'s exact class is one whose products :func:`hand_flops` knows (a subclass may compute others)."""
    kind = type(module)
    return kind in _KNOWN_FORWARD or kind in _PRODUCTS or kind in NO_PRODUCTS or f"{kind.__module__}.{kind.__qualname__}" in _APP_FORWARD


def _hooked(module: nn.Module) -> bool:
    """Whether ``module`` runs code of someone else's around its forward: hooks, or a forward set on the instance."""
    return bool("forward" in vars(module) or module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
                or module._backward_pre_hooks)


def provable(network: nn.Module) -> bool:
    """Whether every product ``network`` computes is in a layer :func:`hand_flops` counts: each module's class known, none
    hooked or shared, no global module hooks, every parameter on the CPU.

    Parameters
    ----------
    network : torch.nn.Module
        The network to be counted.
    """
    from torch.nn.modules import module as torch_module

    everything = [m for _, m in network.named_modules(remove_duplicate=False)]
    if len({id(m) for m in everything}) != len(everything):  # a shared module: the counter names it after its first parent
        return False
    if getattr(torch_module, "_global_forward_hooks", None) or getattr(torch_module, "_global_forward_pre_hooks", None):
        return False
    return all(_known(m) and not _hooked(m) for m in everything) and all(p.device.type == "cpu" for p in network.parameters())


def _needs(t: Tensor | None) -> int:
    """1 when a training step computes ``t``'s gradient, else 0."""
    return int(t is not None and t.requires_grad)


def _linear(m: nn.Linear, x: Tensor, out: Tensor) -> tuple[int, int]:
    forward = 2 * out.numel() * m.in_features
    return forward, forward * (_needs(x) + _needs(m.weight))


def _conv(m: nn.Conv1d | nn.Conv2d | nn.Conv3d, x: Tensor, out: Tensor) -> tuple[int, int]:
    forward = 2 * out.numel() * m.weight.shape[1] * math.prod(m.kernel_size)
    return forward, forward * (_needs(x) + m.groups * _needs(m.weight))


def _graph_kinds(out: Tensor, stop: Any, limit: int = 200_000) -> set[str] | None:
    """Names of the autograd nodes between ``out`` and the node ``stop`` (the input's; not walked past), the parameters'
    ``AccumulateGrad`` leaves included; None without a graph or past ``limit`` nodes."""
    if out.grad_fn is None:
        return None
    seen: set[Any] = set()
    todo: list[Any] = [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node is stop or node in seen:
            continue
        seen.add(node)
        if len(seen) > limit:
            return None
        todo.extend(n for n, _ in node.next_functions)
    return {type(n).__name__ for n in seen}


def _decomposed_backward(m: nn.RNNBase, data: Tensor, batch_sizes: Tensor | None, input_grad: bool) -> int | None:
    """Backward FLOPs of the decomposed CPU kernel, product by product; None when some of its weights train and others not."""
    trains = {p.requires_grad for p in m.parameters()}
    if len(trains) != 1:
        return None
    trainable = trains.pop()
    if batch_sizes is None:  # (N, steps, features) batch first, or (steps, N, features)
        steps_rows = int(data.shape[0] * data.shape[1])
        first = last = int(data.shape[0 if m.batch_first else 1])
    else:  # packed: each step's rows; the reversed direction starts at the last step
        steps_rows, first, last = int(data.shape[0]), int(batch_sizes[0]), int(batch_sizes[-1])
    gates, units, dirs = RNN_GATES[m.mode], m.hidden_size, 2 if m.bidirectional else 1
    macs, grad_in = 0, input_grad
    for layer in range(m.num_layers):
        width = m.input_size if layer == 0 else units * dirs
        for start in (first, last)[:dirs]:
            ih, hh = steps_rows * gates * units * width, steps_rows * gates * units * units
            macs += (ih + hh) * trainable + ih * grad_in + (steps_rows - start) * gates * units * units * (grad_in or trainable)
        grad_in = grad_in or trainable
    return 2 * macs


def _recurrent(m: nn.RNNBase, args: tuple[Any, ...], out: Any, train: bool) -> tuple[int, int] | None:
    x = args[0] if len(args) == 1 else None  # a given initial state: not counted here
    if isinstance(x, PackedSequence):
        data, batch_sizes = x.data, x.batch_sizes
    elif isinstance(x, Tensor) and x.ndim == 3:
        data, batch_sizes = x, None
    else:
        return None
    if getattr(m, "proj_size", 0):
        return None
    forward = rnn_flops(m, x)
    if not train:
        return forward, 0  # the fused kernels (counted by hand) and the decomposed one (by the counter) agree here
    result = out[0].data if isinstance(out[0], PackedSequence) else out[0]
    kinds = _graph_kinds(result, data.grad_fn)
    if kinds is None:
        return None
    if any("MkldnnRnnLayer" in k for k in kinds):
        return forward, 2 * forward
    if any(word in k for k in kinds for word in ("Cudnn", "Miopen", "Fused", "Thnn", "Rnn", "Lstm", "Gru")):
        return None
    backward = _decomposed_backward(m, data, batch_sizes, data.requires_grad)
    return None if backward is None else (forward, backward)


def _layer_flops(m: nn.Module, args: tuple[Any, ...], out: Any, train: bool) -> tuple[int, int] | None:
    """``(forward, backward)`` FLOPs of one call of a weighted layer (backward 0 without ``train``); None when unknown."""
    if isinstance(m, nn.RNNBase):
        return _recurrent(m, args, out, train)
    x = args[0] if args and isinstance(args[0], Tensor) else None
    if x is None or not isinstance(out, Tensor):
        return None
    forward, backward = _linear(m, x, out) if isinstance(m, nn.Linear) else _conv(m, x, out)  # type: ignore[arg-type]
    return forward, backward if train else 0


class _Tally:
    """What one forward pass's hooks saw, in order: each weighted layer's ``(name, forward, backward)`` FLOPs, and each
    module that handed on its input tensor itself as its output (an ``Identity``, a ``Flatten`` of flat rows, a dropout of
    rate 0).

    The counter's module tracking enters such a module in the backward pass (its output's gradient arrived) and never
    leaves it (it leaves on its input's gradient, the same tensor's, whose hook ran first), so every backward FLOP of the
    layers before it in the forward pass is also counted under its name; the tally does as it does. Any other module
    that returns its input (an in-place activation) is not known.
    """

    def __init__(self, names: dict[nn.Module, str], train: bool) -> None:
        self.names, self.train = names, train
        self.layers: list[tuple[str, int, int]] = []
        self.stuck: list[tuple[str, int]] = []  # (name, how many layers ran before it)
        self.unknown = False

    def __call__(self, m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
        if type(m) in _PRODUCTS:
            flops = _layer_flops(m, args, out, self.train)
            self.unknown |= flops is None
            if flops is not None:
                self.layers.append((self.names[m], *flops))
        elif self.train and args and out is args[0] and isinstance(out, Tensor) and out.requires_grad:
            if type(m) in _PASS_THROUGH:
                self.stuck.append((self.names[m], len(self.layers)))
            else:
                self.unknown = True

    def counts(self) -> dict[str, int]:
        """FLOPs keyed as the counter keys them: each layer's under its own name, every enclosing module's and "Global"."""
        counts: dict[str, int] = {}
        for key, forward, backward in self.layers:
            parts = key.split(".")
            for scope in ["Global", *(".".join(parts[:i]) for i in range(1, len(parts) + 1))]:
                counts[scope] = counts.get(scope, 0) + forward + backward
        for key, before in self.stuck:
            flops = sum(backward for _, _, backward in self.layers[:before])
            if flops:
                counts[key] = counts.get(key, 0) + flops
        return counts


def hand_flops(network: nn.Module, x: Tensor, train_step: bool, is_classifier: bool) -> dict[str, int] | None:
    """FLOPs per module name ("Network", "Network.hidden1", ... and "Global") of one forward of ``x`` (and, with
    ``train_step``, the backward of the training loss), exactly as ``FlopCounterMode`` keys and counts them; None when
    ``network`` is not :func:`provable` or a layer's count is unknown.

    The forward runs in training mode for a training step (batch norm's running statistics move, as the counted step
    moved them), in eval mode otherwise; every submodule's mode comes back. No backward is run.

    Parameters
    ----------
    network : torch.nn.Module
        The network (a copy: a training step's forward moves batch-norm statistics).
    x : torch.Tensor of shape (N, ...)
        The input batch.
    train_step : bool
        Count a training step (forward and backward) instead of a prediction.
    is_classifier : bool
        The loss of the training step: ``logsumexp`` of the scores (a classifier), else ``sum(output²)``; a loss that cannot
        be taken raises as the counted step did.
    """
    if not provable(network):
        return None
    top = type(network).__name__
    tally = _Tally({m: top if not n else f"{top}.{n}" for n, m in network.named_modules()}, train_step)
    hooks = [m.register_forward_hook(tally) for m in tally.names]
    try:
        with in_mode(network, train_step), torch.set_grad_enabled(train_step):
            out = network(x)
            if train_step and not _loss(out, is_classifier).requires_grad:
                return None  # nothing to train: the counted step raises its own error
    finally:
        for hook in hooks:
            hook.remove()
    return None if tally.unknown else tally.counts()


def _loss(out: Any, is_classifier: bool) -> Tensor:
    """The counted training step's loss of the scores ``out``."""
    return out.logsumexp(1).sum() if is_classifier else (out * out).sum()  # type: ignore[no-any-return]


__all__ = ["NO_PRODUCTS", "hand_flops", "provable"]
